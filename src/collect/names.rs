//! Registered techniques and extractors (`technique_names`, `extractor_names`): listed in
//! harness.toml, printed by a command (a JSON array of strings or one name per line), or
//! registered in code through the harness. Names are sorted and de-duplicated.

use crate::manifest::names::normalize;

/// Reads a command's output: a JSON array of strings, or one name per line.
pub fn parse(stdout: &str) -> Result<Vec<String>, String> {
    let t = stdout.trim();
    if t.starts_with('[') || t.starts_with('{') || t.starts_with('"') {
        let v: serde_json::Value = serde_json::from_str(t)
            .map_err(|e| format!("printed JSON that does not parse: {e}"))?;
        let arr = v
            .as_array()
            .ok_or("printed JSON that is not an array of names")?;
        let names = arr
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("printed a non-string entry {x}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        return normalize(names);
    }
    normalize(
        t.lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect(),
    )
    .map_err(|e| format!("printed {e} (expected a JSON array of strings or one name per line)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::names::{MAX_NAME_LEN, MAX_NAMES};

    #[test]
    fn both_output_forms() {
        assert_eq!(parse("[\"b\", \"a\", \"b\"]\n").unwrap(), ["a", "b"]);
        assert_eq!(
            parse("RingEdgeExtractor\nBodyLimbExtractor\n\nBodyLimbExtractor\n").unwrap(),
            ["BodyLimbExtractor", "RingEdgeExtractor"]
        );
        assert_eq!(parse("").unwrap(), Vec::<String>::new());
        let long = "N".repeat(MAX_NAME_LEN + 1);
        assert!(parse(&long).unwrap_err().contains("257 bytes"));
        let many: String = (0..=MAX_NAMES).map(|i| format!("T{i}\n")).collect();
        assert!(parse(&many).unwrap_err().contains("more than the 10000"));
        for bad in [
            "{\"a\": 1}",
            "[1, 2]",
            "[\"a b\"]",
            "Traceback (most recent call last):\n  File x",
            "[oops",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
