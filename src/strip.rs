//! JSON paths, path selectors, and strip rules: the fields whose values change with the clock or
//! the machine and are removed before a manifest is stored or compared.
//!
//! A selector is a dot-separated list of segments: a literal key, `*` (any one key or array
//! index), `**` (any number of segments, none included), a glob such as `offset_*`, or a quoted
//! key (`static_data_hashes."cfg/a.yaml"`) for keys that hold dots.

use serde_json::Value;
use std::fmt;

/// The selectors stripped from every manifest, whatever the configuration says.
pub const BUILTIN_VOLATILE: &[&str] = &["**.pipeline_run_iso8601", "hardware.hostname"];

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

/// The shape a stripped value must have (`strip = [{ path = "…", expect = "rfc3339" }]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// An RFC 3339 timestamp such as `2026-11-23T10:00:00Z`.
    Rfc3339,
    /// A full (40 or 64 hex digits) git object id.
    GitSha,
    /// A duration such as `1.5s`, `250ms` or a number of seconds.
    Duration,
    /// A file path (a non-empty string without NUL).
    Path,
}

impl Expect {
    /// Parses the name used in harness.toml.
    pub fn parse(name: &str) -> Option<Expect> {
        Some(match name {
            "rfc3339" => Expect::Rfc3339,
            "git_sha" => Expect::GitSha,
            "duration" => Expect::Duration,
            "path" => Expect::Path,
            _ => return None,
        })
    }

    /// The names accepted by [`Expect::parse`].
    pub const NAMES: &'static str = "rfc3339, git_sha, duration, path";

    fn name(self) -> &'static str {
        match self {
            Expect::Rfc3339 => "rfc3339",
            Expect::GitSha => "git_sha",
            Expect::Duration => "duration",
            Expect::Path => "path",
        }
    }

    /// Whether a value has this shape.
    pub fn accepts(self, value: &Value) -> bool {
        match (self, value) {
            (Expect::Rfc3339, Value::String(s)) => is_rfc3339(s),
            (Expect::GitSha, Value::String(s)) => {
                (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
            }
            (Expect::Duration, Value::Number(n)) => n.as_f64().is_some_and(|f| f >= 0.0),
            (Expect::Duration, Value::String(s)) => humantime::parse_duration(s).is_ok(),
            (Expect::Path, Value::String(s)) => !s.is_empty() && !s.contains('\0'),
            _ => false,
        }
    }
}

fn is_rfc3339(s: &str) -> bool {
    // humantime accepts `Z` only; an explicit offset is valid RFC 3339 too.
    if humantime::parse_rfc3339(s).is_ok() {
        return true;
    }
    let b = s.as_bytes();
    if b.len() < 25 {
        return false;
    }
    let (head, offset) = s.split_at(s.len() - 6);
    let ob = offset.as_bytes();
    let offset_ok = (ob[0] == b'+' || ob[0] == b'-')
        && ob[1..3].iter().all(u8::is_ascii_digit)
        && ob[3] == b':'
        && ob[4..6].iter().all(u8::is_ascii_digit);
    offset_ok && humantime::parse_rfc3339(&format!("{head}Z")).is_ok()
}

/// One strip selector, with the shape its value must have, if any.
#[derive(Debug, Clone)]
pub struct StripRule {
    /// Which fields.
    pub selector: Selector,
    /// The shape the value must have to be stripped silently.
    pub expect: Option<Expect>,
}

/// A typed strip selector met a value of the wrong shape.
#[derive(Debug, thiserror::Error)]
#[error("field `{path}` was to be stripped by `{selector}` as {expect}, but its value is {value}")]
pub struct StripError {
    /// The field.
    pub path: String,
    /// The selector that matched it.
    pub selector: String,
    /// The expected shape.
    pub expect: &'static str,
    /// The value found.
    pub value: String,
}

/// The built-in rules followed by the configured ones.
pub fn builtin_rules() -> Vec<StripRule> {
    BUILTIN_VOLATILE
        .iter()
        .map(|s| StripRule {
            selector: Selector::parse(s).expect("built-in selectors parse"),
            expect: None,
        })
        .collect()
}

/// Removes every object member that a rule selects. Returns the paths removed.
pub fn strip(value: &mut Value, rules: &[StripRule]) -> Result<Vec<JsonPath>, StripError> {
    let mut removed = Vec::new();
    strip_at(value, &JsonPath::default(), rules, &mut removed)?;
    Ok(removed)
}

fn strip_at(
    value: &mut Value,
    here: &JsonPath,
    rules: &[StripRule],
    removed: &mut Vec<JsonPath>,
) -> Result<(), StripError> {
    match value {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let path = here.child(Segment::Key(key.clone()));
                if let Some(rule) = rules.iter().find(|r| r.selector.matches(&path)) {
                    if let Some(expect) = rule.expect
                        && !expect.accepts(&map[&key])
                    {
                        return Err(StripError {
                            path: path.to_string(),
                            selector: rule.selector.to_string(),
                            expect: expect.name(),
                            value: map[&key].to_string(),
                        });
                    }
                    map.remove(&key);
                    removed.push(path);
                } else if let Some(child) = map.get_mut(&key) {
                    strip_at(child, &path, rules, removed)?;
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                strip_at(item, &here.child(Segment::Index(i)), rules, removed)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
    fn strip_removes_selected_fields_everywhere() {
        let mut v = json!({
            "pipeline_run_iso8601": "2026-01-01T00:00:00Z",
            "params": {"seed": 1},
            "external": {"nav": {"pipeline_run_iso8601": "x", "keep": [ {"started_at": 1, "k": 2} ]}}
        });
        let mut rules = builtin_rules();
        rules.push(StripRule {
            selector: Selector::parse("**.started_at").unwrap(),
            expect: None,
        });
        let removed = strip(&mut v, &rules).unwrap();
        assert_eq!(
            v,
            json!({"params": {"seed": 1}, "external": {"nav": {"keep": [ {"k": 2} ]}}})
        );
        assert_eq!(removed.len(), 3);
        assert_eq!(removed[0].to_string(), "external.nav.keep[0].started_at");
    }

    #[test]
    fn typed_rules_fail_on_the_wrong_shape() {
        let rule = |e| {
            vec![StripRule {
                selector: Selector::parse("**.t").unwrap(),
                expect: Some(e),
            }]
        };
        let ok: &[(Expect, Value)] = &[
            (Expect::Rfc3339, json!("2026-11-23T10:00:00Z")),
            (Expect::Rfc3339, json!("2026-11-23T10:00:00.123+02:00")),
            (
                Expect::GitSha,
                json!("0123456789abcdef0123456789abcdef01234567"),
            ),
            (Expect::Duration, json!("1.5s")),
            (Expect::Duration, json!(12.5)),
            (Expect::Path, json!("out/a.json")),
        ];
        for (e, v) in ok {
            let mut doc = json!({"t": v});
            assert!(strip(&mut doc, &rule(*e)).is_ok(), "{e:?} {v}");
            assert_eq!(doc, json!({}));
        }
        let bad: &[(Expect, Value)] = &[
            (Expect::Rfc3339, json!("yesterday")),
            (Expect::Rfc3339, json!(null)),
            (Expect::GitSha, json!("abc")),
            (Expect::Duration, json!("soon")),
            (Expect::Path, json!("")),
        ];
        for (e, v) in bad {
            let mut doc = json!({"a": {"t": v}});
            let err = strip(&mut doc, &rule(*e)).unwrap_err();
            assert_eq!(err.path, "a.t");
            assert!(doc["a"].get("t").is_some(), "nothing stripped on error");
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
