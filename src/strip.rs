//! Strip rules: the fields whose values change with the clock or the machine, removed before a
//! manifest is stored or compared (selectors: [`crate::path`]).

use crate::path::{JsonPath, Segment, Selector};
use serde_json::Value;

/// The selectors stripped from every manifest, whatever the configuration says.
pub const BUILTIN_VOLATILE: &[&str] = &["**.pipeline_run_iso8601", "hardware.hostname"];

/// The shape a stripped value must have (`strip = [{ path = "…", expect = "rfc3339" }]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
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
pub fn strip(value: &mut Value, rules: &[StripRule]) -> Result<(), StripError> {
    strip_at(value, &JsonPath::default(), rules)
}

fn strip_at(value: &mut Value, here: &JsonPath, rules: &[StripRule]) -> Result<(), StripError> {
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
                } else if let Some(child) = map.get_mut(&key) {
                    strip_at(child, &path, rules)?;
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                strip_at(item, &here.child(Segment::Index(i)), rules)?;
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
        strip(&mut v, &rules).unwrap();
        assert_eq!(
            v,
            json!({"params": {"seed": 1}, "external": {"nav": {"keep": [ {"k": 2} ]}}})
        );
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
}
