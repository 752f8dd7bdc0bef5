//! Registered techniques and extractors (`technique_names`, `extractor_names`): listed in
//! harness.toml, printed by a command (a JSON array of strings or one name per line), or
//! registered in code through the harness. Names are sorted and de-duplicated.

use crate::error::NamesError;
use crate::manifest::names::normalize;

/// Reads a command's output: a JSON array of strings, or one name per line.
pub fn parse(stdout: &str) -> Result<Vec<String>, NamesError> {
    let t = stdout.trim();
    if t.starts_with('[') || t.starts_with('{') || t.starts_with('"') {
        let v: serde_json::Value =
            serde_json::from_str(t).map_err(|e| NamesError::Json(e.to_string()))?;
        let arr = v.as_array().ok_or(NamesError::NotArray)?;
        let names = arr
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| NamesError::NotString(x.to_string()))
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
    .map_err(|e| NamesError::Printed(Box::new(e)))
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
        assert!(matches!(
            parse(&long).unwrap_err(),
            NamesError::Printed(e) if matches!(*e, NamesError::TooLong { len: 257, .. })
        ));
        let many: String = (0..=MAX_NAMES).map(|i| format!("T{i}\n")).collect();
        assert!(
            parse(&many)
                .unwrap_err()
                .to_string()
                .contains("more than the 10000")
        );
        assert_eq!(parse("{\"a\": 1}"), Err(NamesError::NotArray));
        assert_eq!(parse("[1, 2]"), Err(NamesError::NotString("1".into())));
        assert_eq!(parse("[\"a b\"]"), Err(NamesError::NotAName("a b".into())));
        assert!(matches!(parse("[oops"), Err(NamesError::Json(_))));
        assert!(matches!(
            parse("Traceback (most recent call last):\n  File x"),
            Err(NamesError::Printed(_))
        ));
    }
}
