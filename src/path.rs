//! The path language: where a value sits in a JSON document ([`JsonPath`]), and patterns over
//! such paths ([`Selector`]) that strip rules, policies and tolerances use.
//!
//! A selector is a dot-separated list of segments: a literal key, `*` (any one key or array
//! index), `**` (any number of segments, none included), a glob such as `offset_*`, or a quoted
//! key (`static_data_hashes."cfg/a.yaml"`) for keys that hold dots.

use serde_json::Value;
use std::fmt;

/// One step of a path inside a JSON document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    /// A member of an object.
    Key(String),
    /// An element of an array.
    Index(usize),
}

/// Where a value sits inside a JSON document.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JsonPath(pub Vec<Segment>);

impl JsonPath {
    /// The path of nested keys: `of(&["code", "git_sha"])` is `code.git_sha`.
    pub fn of(keys: &[&str]) -> JsonPath {
        JsonPath(keys.iter().map(|k| Segment::Key((*k).to_owned())).collect())
    }

    /// The path one step further down.
    pub fn child(&self, seg: Segment) -> JsonPath {
        let mut v = self.0.clone();
        v.push(seg);
        JsonPath(v)
    }

    /// The first key, if the path starts with one.
    pub fn key(&self, i: usize) -> Option<&str> {
        match self.0.get(i) {
            Some(Segment::Key(k)) => Some(k),
            _ => None,
        }
    }

    /// A selector that matches this path (array indexes become `*`), to paste into
    /// `[harness] strip`.
    pub fn to_selector(&self) -> String {
        self.0
            .iter()
            .map(|s| match s {
                Segment::Index(_) => "*".to_owned(),
                Segment::Key(k) if needs_quotes(k) => Value::String(k.clone()).to_string(),
                Segment::Key(k) => k.clone(),
            })
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The path without its first `n` segments, as text (`""` when nothing is left).
    pub fn display_from(&self, n: usize) -> String {
        JsonPath(self.0.iter().skip(n).cloned().collect()).to_string()
    }
}

fn needs_quotes(k: &str) -> bool {
    k.is_empty()
        || k.chars()
            .any(|c| !(c.is_alphanumeric() || c == '_' || c == '-'))
        || k.chars().all(|c| c.is_ascii_digit())
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if needs_quotes(k) {
                        write!(f, "{}", Value::String(k.clone()))?;
                    } else {
                        f.write_str(k)?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
enum Part {
    Literal(String),
    Glob(glob::Pattern),
    Any,
    AnyDepth,
}

/// A pattern over JSON paths (see the module documentation for the syntax).
#[derive(Debug, Clone)]
pub struct Selector {
    text: String,
    parts: Vec<Part>,
}

/// Why a selector could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("invalid selector `{text}`: {reason}")]
pub struct SelectorError {
    text: String,
    reason: String,
}

impl Selector {
    /// Parses a selector.
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        let err = |reason: &str| SelectorError {
            text: text.to_owned(),
            reason: reason.to_owned(),
        };
        let mut parts = Vec::new();
        let mut chars = text.chars().peekable();
        loop {
            let part = if chars.peek() == Some(&'"') {
                chars.next();
                let mut key = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => key.push(chars.next().ok_or_else(|| err("dangling `\\`"))?),
                        Some(c) => key.push(c),
                        None => return Err(err("unterminated quote")),
                    }
                }
                Part::Literal(key)
            } else {
                let mut seg = String::new();
                while let Some(&c) = chars.peek() {
                    if c == '.' {
                        break;
                    }
                    seg.push(c);
                    chars.next();
                }
                match seg.as_str() {
                    "" => return Err(err("empty segment")),
                    "**" => Part::AnyDepth,
                    "*" => Part::Any,
                    s if s.contains(['*', '?', '[']) => {
                        Part::Glob(glob::Pattern::new(s).map_err(|e| err(&e.to_string()))?)
                    }
                    s => Part::Literal(s.to_owned()),
                }
            };
            parts.push(part);
            match chars.next() {
                None => break,
                Some('.') => continue,
                Some(_) => return Err(err("a quoted key must be followed by `.` or the end")),
            }
        }
        Ok(Selector {
            text: text.to_owned(),
            parts,
        })
    }

    /// The selector as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the selector matches a path exactly (a selector for `a` does not match `a.b`).
    pub fn matches(&self, path: &JsonPath) -> bool {
        match_parts(&self.parts, &path.0)
    }

    /// How specific the selector is: literal segments count most, then globs and `*`; `**`
    /// counts nothing. The most specific of several matching selectors wins.
    pub fn specificity(&self) -> (usize, usize) {
        let literal = self
            .parts
            .iter()
            .filter(|p| matches!(p, Part::Literal(_)))
            .count();
        let other = self
            .parts
            .iter()
            .filter(|p| matches!(p, Part::Glob(_) | Part::Any))
            .count();
        (literal, other)
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn match_one(part: &Part, seg: &Segment) -> bool {
    match (part, seg) {
        (Part::Any, _) => true,
        (Part::Literal(l), Segment::Key(k)) => l == k,
        (Part::Literal(l), Segment::Index(i)) => l.parse::<usize>().ok() == Some(*i),
        (Part::Glob(g), Segment::Key(k)) => g.matches(k),
        (Part::Glob(g), Segment::Index(i)) => g.matches(&i.to_string()),
        (Part::AnyDepth, _) => unreachable!("handled by match_parts"),
    }
}

fn match_parts(parts: &[Part], segs: &[Segment]) -> bool {
    match parts.split_first() {
        None => segs.is_empty(),
        Some((Part::AnyDepth, rest)) => (0..=segs.len()).any(|i| match_parts(rest, &segs[i..])),
        Some((part, rest)) => match segs.split_first() {
            Some((seg, tail)) => match_one(part, seg) && match_parts(rest, tail),
            None => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(keys: &[&str]) -> JsonPath {
        JsonPath(
            keys.iter()
                .map(|k| match k.parse::<usize>() {
                    Ok(i) => Segment::Index(i),
                    Err(_) => Segment::Key(k.to_string()),
                })
                .collect(),
        )
    }

    #[test]
    fn selector_matching_table() {
        let cases: &[(&str, &[&str], bool)] = &[
            ("pipeline_run_iso8601", &["pipeline_run_iso8601"], true),
            (
                "pipeline_run_iso8601",
                &["external", "pipeline_run_iso8601"],
                false,
            ),
            ("**.pipeline_run_iso8601", &["pipeline_run_iso8601"], true),
            (
                "**.pipeline_run_iso8601",
                &["external", "nav", "pipeline_run_iso8601"],
                true,
            ),
            ("**.pipeline_run_iso8601", &["external", "nav"], false),
            ("hardware.*.driver", &["hardware", "gpu0", "driver"], true),
            (
                "hardware.*.driver",
                &["hardware", "a", "b", "driver"],
                false,
            ),
            (
                "hardware.**.driver",
                &["hardware", "a", "b", "driver"],
                true,
            ),
            ("outputs.offset_*", &["outputs", "offset_du_px"], true),
            ("outputs.offset_*", &["outputs", "confidence"], false),
            ("spice_kernels.1", &["spice_kernels", "1"], true),
            ("spice_kernels.*", &["spice_kernels", "0"], true),
            (
                r#"static_data_hashes."cfg/a.yaml""#,
                &["static_data_hashes", "cfg/a.yaml"],
                true,
            ),
            (
                r#"static_data_hashes."cfg/a.yaml""#,
                &["static_data_hashes", "cfg/b.yaml"],
                false,
            ),
            ("a.b", &["a"], false),
            ("**", &["anything", "at", "all"], true),
        ];
        for (sel, p, want) in cases {
            let s = Selector::parse(sel).unwrap();
            assert_eq!(s.matches(&path(p)), *want, "{sel} vs {p:?}");
        }
    }

    #[test]
    fn bad_selectors_are_rejected() {
        for bad in ["", "a..b", "a.", "\"open", "\"a\"b", "a.[x"] {
            assert!(Selector::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn paths_display_with_quotes_when_needed() {
        let p = path(&["static_data_hashes", "cfg/a.yaml"]);
        assert_eq!(p.to_string(), r#"static_data_hashes."cfg/a.yaml""#);
        assert_eq!(
            path(&["spice_kernels", "2", "sha256"]).to_string(),
            "spice_kernels[2].sha256"
        );
        // what Display writes, parse reads back
        let sel = Selector::parse(&p.to_string()).unwrap();
        assert!(sel.matches(&p));
        let q = path(&["external", "nav", "runs", "3", "started.at"]);
        assert_eq!(q.to_selector(), r#"external.nav.runs.*."started.at""#);
        assert!(Selector::parse(&q.to_selector()).unwrap().matches(&q));
    }
}
