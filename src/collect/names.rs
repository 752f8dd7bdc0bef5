//! Registered techniques and extractors (`technique_names`, `extractor_names`): listed in
//! harness.toml, printed by a command (a JSON array of strings or one name per line), or
//! registered in code through the harness. Names are sorted and de-duplicated.

/// The longest name accepted, in bytes.
pub const MAX_NAME_LEN: usize = 256;
/// The most names one list may hold.
pub const MAX_NAMES: usize = 10_000;

/// Checks and orders names: each non-empty, at most [`MAX_NAME_LEN`] bytes, without blanks or
/// control characters, and at most [`MAX_NAMES`] of them.
pub fn normalize(names: Vec<String>) -> Result<Vec<String>, String> {
    if names.len() > MAX_NAMES {
        return Err(format!(
            "{} names, more than the {MAX_NAMES} allowed",
            names.len()
        ));
    }
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        let t = n.trim();
        if t.len() > MAX_NAME_LEN {
            let start: String = t.chars().take(40).collect();
            return Err(format!(
                "a name of {} bytes (`{}…`), more than the {MAX_NAME_LEN} allowed",
                t.len(),
                start.escape_debug()
            ));
        }
        if t.is_empty() || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("`{}` is not a name", n.escape_debug()));
        }
        out.push(t.to_owned());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

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
