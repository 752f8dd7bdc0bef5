//! Comparing two stripped manifests: each difference is a [`Drift`] with its JSON path,
//! category, baseline value and current value; a [`PolicySet`] decides whether it fails, warns or
//! is ignored.

use crate::manifest::types::keys;
use crate::path::{JsonPath, Segment};
use crate::policy::Tolerance;
pub use crate::policy::{Category, Policy, PolicySet};
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;

/// One difference between a baseline and the current manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    /// Where.
    pub path: JsonPath,
    /// What kind of thing.
    pub category: Category,
    /// What the policy makes of it.
    pub policy: Policy,
    /// The baseline's value (`None`: absent from the baseline).
    pub before: Option<Value>,
    /// The current value (`None`: absent now).
    pub after: Option<Value>,
}

/// Every difference between two manifests, in path order. The top-level `digest` is not
/// compared: it differs whenever anything else does; nor is `format_version`, which says how
/// a document is written (a baseline of version 1 and a manifest of version 2 that record the
/// same files agree).
pub fn compare(baseline: &Value, current: &Value, policy: &PolicySet) -> Vec<Drift> {
    compare_within(baseline, current, policy, &[])
}

/// Whether a baseline's value is the current one as this version's redaction rules write it:
/// a value that an earlier version kept (`?sig=abc`, a `db_pass` key) and that is redacted now
/// is the same value, not a drift, so that widening the rules never fails a check.
fn newly_redacted(before: Option<&Value>, after: Option<&Value>) -> bool {
    let (Some(before), Some(Value::String(after))) = (before, after) else {
        return false;
    };
    if !after.contains(crate::redact::PREFIX) {
        return false;
    }
    match before {
        Value::String(b) => {
            crate::redact::scrub_str(b) == after.as_str()
                || crate::redact::keyed(b.as_bytes()) == *after
        }
        Value::Null | Value::Bool(_) => false,
        other => crate::redact::keyed(&crate::canonical::jcs_bytes(other)) == *after,
    }
}

/// Like [`compare`], but numbers in `outputs` under keys a tolerance names agree when they
/// are within it.
pub fn compare_within(
    baseline: &Value,
    current: &Value,
    policy: &PolicySet,
    tolerance: &[Tolerance],
) -> Vec<Drift> {
    let mut out = Vec::new();
    walk(
        &JsonPath::default(),
        Some(baseline),
        Some(current),
        &mut out,
    );
    out.retain(|(p, a, b)| !within(p, a.as_deref(), b.as_deref(), tolerance));
    out.retain(|(_, a, b)| !newly_redacted(a.as_deref(), b.as_deref()));
    out.retain(|(p, _, _)| {
        !matches!(p.key(0), Some(keys::DIGEST | keys::FORMAT_VERSION)) || p.0.len() > 1
    });
    out.into_iter()
        .map(|(path, before, after)| {
            let category = Category::of(&path);
            Drift {
                policy: policy.for_path(&path, category),
                category,
                path,
                before: before.map(Cow::into_owned),
                after: after.map(Cow::into_owned),
            }
        })
        .collect()
}

type Raw<'a> = (JsonPath, Option<Cow<'a, Value>>, Option<Cow<'a, Value>>);

fn within(path: &JsonPath, a: Option<&Value>, b: Option<&Value>, tolerance: &[Tolerance]) -> bool {
    if path.key(0) != Some(keys::OUTPUTS) {
        return false;
    }
    // an integer beyond 2^53 is kept as the string of its digits: a tolerance compares it as
    // the number it is
    let number = |v: &Value| {
        v.as_f64().or_else(|| {
            v.as_str()
                .filter(|s| {
                    let d = s.strip_prefix('-').unwrap_or(s);
                    !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit())
                })
                .and_then(|s| s.parse::<f64>().ok())
        })
    };
    let (Some(x), Some(y)) = (a.and_then(number), b.and_then(number)) else {
        return false;
    };
    let Some(key) = path.0.iter().rev().find_map(|s| match s {
        Segment::Key(k) => Some(k.as_str()),
        Segment::Index(_) => None,
    }) else {
        return false;
    };
    tolerance
        .iter()
        .filter(|t| t.key.matches(key))
        .any(|t| (x - y).abs() <= t.abs + t.rel * x.abs().max(y.abs()))
}

/// Whether a path is an entry of a file set (`static_data_hashes."d/"`, `inputs."s3://b/k"`):
/// one drift, a folder's digest, count and bytes or an object's ETag, size and time together.
fn is_entry(path: &JsonPath) -> bool {
    matches!(path.0.as_slice(), [Segment::Key(set), Segment::Key(_)]
        if matches!(set.as_str(), keys::STATIC_DATA | keys::INPUTS))
}

fn walk<'a>(here: &JsonPath, a: Option<&'a Value>, b: Option<&'a Value>, out: &mut Vec<Raw<'a>>) {
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) if !is_entry(here) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                walk(
                    &here.child(Segment::Key(k.clone())),
                    x.get(k),
                    y.get(k),
                    out,
                );
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y)))
            if by_path(x).is_some() && by_path(y).is_some() =>
        {
            walk_by_path(here, x, y, out)
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) if x.len() == y.len() => {
            for i in 0..x.len() {
                walk(&here.child(Segment::Index(i)), x.get(i), y.get(i), out);
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) => walk_aligned(here, x, y, out),
        (a, b) if a != b => out.push((here.clone(), a.map(Cow::Borrowed), b.map(Cow::Borrowed))),
        _ => {}
    }
}

/// The `path` of each element, when every element is an object naming a `path` of its own
/// and no two name the same one (SPICE kernels, for one).
fn by_path(v: &[Value]) -> Option<Vec<&str>> {
    let paths: Vec<&str> = v
        .iter()
        .map(|e| e.get(keys::KERNEL_PATH).and_then(Value::as_str))
        .collect::<Option<_>>()?;
    let mut sorted = paths.clone();
    sorted.sort_unstable();
    (!paths.is_empty() && sorted.windows(2).all(|w| w[0] != w[1])).then_some(paths)
}

/// Lists of elements named by their `path`: each drift names the element by its path, not its
/// index. An element in both lists is compared field by field; one added or removed is one
/// drift; one that changed places (outside the longest run of elements that kept their
/// order) is one drift at `<path>.position`, from its old index to its new one.
fn walk_by_path<'a>(here: &JsonPath, x: &'a [Value], y: &'a [Value], out: &mut Vec<Raw<'a>>) {
    let (px, py) = (
        by_path(x).unwrap_or_default(),
        by_path(y).unwrap_or_default(),
    );
    let mut deleted = Vec::new();
    let mut inserted = Vec::new();
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &px, &py) {
        deleted.extend(
            op.old_range()
                .filter(|_| op.tag() != similar::DiffTag::Equal),
        );
        inserted.extend(
            op.new_range()
                .filter(|_| op.tag() != similar::DiffTag::Equal),
        );
    }
    let old_index = |p: &str| px.iter().position(|q| *q == p);
    for (j, p) in py.iter().enumerate() {
        let at = here.child(Segment::Key((*p).to_owned()));
        match old_index(p) {
            None => out.push((at, None, Some(Cow::Borrowed(&y[j])))),
            Some(i) => {
                if inserted.contains(&j) && deleted.contains(&i) {
                    out.push((
                        at.child(Segment::Key("position".into())),
                        Some(Cow::Owned(Value::from(i))),
                        Some(Cow::Owned(Value::from(j))),
                    ));
                }
                walk(&at, Some(&x[i]), Some(&y[j]), out);
            }
        }
    }
    for (i, p) in px.iter().enumerate() {
        if !py.contains(p) {
            out.push((
                here.child(Segment::Key((*p).to_owned())),
                Some(Cow::Borrowed(&x[i])),
                None,
            ));
        }
    }
}

/// Arrays of different lengths, aligned by their longest common run of matching elements: an
/// element inserted or removed is one drift (at its index in the array that holds it), not a
/// shift of every element after it. Elements match when they are equal, or when both are
/// objects naming the same `path` (a SPICE kernel whose content changed is still that kernel);
/// matched elements are then compared field by field.
fn walk_aligned<'a>(here: &JsonPath, x: &'a [Value], y: &'a [Value], out: &mut Vec<Raw<'a>>) {
    let identity = |v: &Value| match v.get(keys::KERNEL_PATH) {
        Some(Value::String(p)) => format!("path {p}"),
        _ => v.to_string(),
    };
    for op in similar::capture_diff_slices_by_key(similar::Algorithm::Myers, x, y, identity) {
        // matched, changed, removed or added: element by element, the surplus of either side
        // compared with nothing (so it drifts as removed or added)
        let (old, new) = (op.old_range(), op.new_range());
        for k in 0..old.len().max(new.len()) {
            let before = (k < old.len()).then(|| &x[old.start + k]);
            let after = (k < new.len()).then(|| &y[new.start + k]);
            let i = if k < new.len() { new.start } else { old.start } + k;
            walk(&here.child(Segment::Index(i)), before, after, out);
        }
    }
}

/// The outcome of one run's comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Nothing reportable drifted.
    Pass,
    /// Only drift whose policy is `warn`.
    Warn,
    /// At least one drift whose policy is `fail`.
    Fail,
}

/// The verdict over a list of drifts.
pub fn verdict(drifts: &[Drift]) -> Verdict {
    match drifts.iter().map(|d| d.policy).max() {
        Some(Policy::Fail) => Verdict::Fail,
        Some(Policy::Warn) => Verdict::Warn,
        _ => Verdict::Pass,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::Selector;
    use crate::policy::PolicyKey;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn base() -> Value {
        json!({
            "format_version": 1,
            "run": "r",
            "code": {"git_sha": "aaa", "dirty": false, "scope": {"src/a.py": "sha256:1"}},
            "static_data_hashes": {"cfg/a.yaml": "sha256:1", "cfg/b.yaml": "sha256:2"},
            "params": {"seed": 42},
            "hardware": {"cpu": {"brand": "x"}},
            "digest": "sha256:d1"
        })
    }

    #[test]
    fn format_versions_do_not_drift_and_a_folder_drifts_whole() {
        let mut b = base();
        let mut c = base();
        c["format_version"] = json!(2);
        assert!(compare(&b, &c, &PolicySet::default()).is_empty());
        b["static_data_hashes"]["d/"] = json!({"tree": "sha256:1", "files": 2, "bytes": 3});
        c["static_data_hashes"]["d/"] = json!({"tree": "sha256:2", "files": 2, "bytes": 4});
        let d = compare(&b, &c, &PolicySet::default());
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].path.to_string(), "static_data_hashes.\"d/\"");
        assert_eq!(d[0].category, Category::StaticData);
        assert_eq!(d[0].after.as_ref().unwrap()["bytes"], 4);
    }

    #[test]
    fn classification_and_default_policy_table() {
        let cases: &[(&str, Value, Category, Policy)] = &[
            ("/code/git_sha", json!("bbb"), Category::Git, Policy::Warn),
            ("/code/dirty", json!(true), Category::Git, Policy::Warn),
            (
                "/code/scope/src~1a.py",
                json!("sha256:9"),
                Category::Code,
                Policy::Fail,
            ),
            (
                "/static_data_hashes/cfg~1a.yaml",
                json!("sha256:9"),
                Category::StaticData,
                Policy::Fail,
            ),
            ("/params/seed", json!(43), Category::Params, Policy::Fail),
            (
                "/hardware/cpu/brand",
                json!("y"),
                Category::Hardware,
                Policy::Warn,
            ),
        ];
        for (pointer, new, cat, pol) in cases {
            let mut cur = base();
            *cur.pointer_mut(pointer).unwrap() = new.clone();
            cur["digest"] = json!("sha256:d2");
            let d = compare(&base(), &cur, &PolicySet::default());
            assert_eq!(d.len(), 1, "{pointer}: {d:?}");
            assert_eq!((d[0].category, d[0].policy), (*cat, *pol), "{pointer}");
            assert_eq!(d[0].after.as_ref(), Some(new));
        }
    }

    #[test]
    fn added_and_removed_static_data_fail() {
        let mut cur = base();
        let m = cur["static_data_hashes"].as_object_mut().unwrap();
        m.remove("cfg/b.yaml");
        m.insert("cfg/c.yaml".into(), json!("sha256:3"));
        let d = compare(&base(), &cur, &PolicySet::default());
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].path.to_string(), r#"static_data_hashes."cfg/b.yaml""#);
        assert_eq!((d[0].before.is_some(), d[0].after.is_none()), (true, true));
        assert_eq!((d[1].before.is_none(), d[1].after.is_some()), (true, true));
        assert_eq!(verdict(&d), Verdict::Fail);
    }

    #[test]
    fn an_inserted_or_removed_element_is_one_drift() {
        let with = |names: Value| {
            let mut m = base();
            m["technique_names"] = names;
            m
        };
        let was = with(json!(["A", "B", "C", "D"]));
        let drifts = |now: Value| {
            compare(&was, &with(now), &PolicySet::default())
                .into_iter()
                .map(|d| (d.path.to_string(), d.before, d.after))
                .collect::<Vec<_>>()
        };
        let at = |i: usize| format!("technique_names[{i}]");
        assert_eq!(
            drifts(json!(["A", "C", "D"])),
            [(at(1), Some(json!("B")), None)],
            "removed from the middle"
        );
        assert_eq!(
            drifts(json!(["Z", "A", "B", "C", "D"])),
            [(at(0), None, Some(json!("Z")))],
            "added in front"
        );
        assert_eq!(
            drifts(json!(["A", "X", "C", "D", "E"])),
            [
                (at(1), Some(json!("B")), Some(json!("X"))),
                (at(4), None, Some(json!("E")))
            ],
            "one changed in place, one added"
        );
        assert_eq!(
            drifts(json!(["A", "C", "B", "D"])),
            [
                (at(1), Some(json!("B")), Some(json!("C"))),
                (at(2), Some(json!("C")), Some(json!("B")))
            ],
            "same length: element by element"
        );
        // objects: a kernel added in the middle, and one whose hash changed, compared inside
        let kernels = |v: Value| {
            let mut m = base();
            m["spice_kernels"] = v;
            m
        };
        let k = |p: &str, h: &str| json!({"path": p, "sha256": h});
        let d = compare(
            &kernels(json!([k("a.tls", "1"), k("b.bsp", "2"), k("c.tpc", "3")])),
            &kernels(json!([
                k("a.tls", "9"),
                k("b.bsp", "2"),
                k("x.bc", "4"),
                k("c.tpc", "3")
            ])),
            &PolicySet::default(),
        );
        let paths: Vec<String> = d.iter().map(|d| d.path.to_string()).collect();
        assert_eq!(
            paths,
            [r#"spice_kernels."a.tls".sha256"#, r#"spice_kernels."x.bc""#]
        );
        assert_eq!(d[1].after, Some(k("x.bc", "4")));
        // a kernel that changed places is one drift naming it and both positions
        let d = compare(
            &kernels(json!([k("a.tls", "1"), k("b.bsp", "2"), k("c.tpc", "3")])),
            &kernels(json!([k("b.bsp", "2"), k("c.tpc", "3"), k("a.tls", "1")])),
            &PolicySet::default(),
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].path.to_string(), r#"spice_kernels."a.tls".position"#);
        assert_eq!(
            (d[0].before.clone(), d[0].after.clone()),
            (Some(json!(0)), Some(json!(2)))
        );
        // removed, and the rest kept their order
        let d = compare(
            &kernels(json!([k("a.tls", "1"), k("b.bsp", "2"), k("c.tpc", "3")])),
            &kernels(json!([k("a.tls", "1"), k("c.tpc", "3")])),
            &PolicySet::default(),
        );
        let paths: Vec<String> = d.iter().map(|d| d.path.to_string()).collect();
        assert_eq!(paths, [r#"spice_kernels."b.bsp""#]);
    }

    #[test]
    fn identical_manifests_do_not_drift() {
        assert!(compare(&base(), &base(), &PolicySet::default()).is_empty());
    }

    #[test]
    fn policies_override_categories_and_the_most_specific_path_wins() {
        let mut p = PolicySet::default();
        p.set(PolicyKey::Category(Category::Git), Policy::Fail);
        p.set(
            PolicyKey::Path(Selector::parse("hardware.**").unwrap()),
            Policy::Ignore,
        );
        p.set(
            PolicyKey::Path(Selector::parse("hardware.cpu.brand").unwrap()),
            Policy::Fail,
        );
        p.set(
            PolicyKey::Path(Selector::parse("hardware.*.*").unwrap()),
            Policy::Warn,
        );
        let mut cur = base();
        cur["code"]["git_sha"] = json!("bbb");
        cur["hardware"]["cpu"]["brand"] = json!("y");
        cur["hardware"]["cpu"]["cores"] = json!(4);
        let d = compare(&base(), &cur, &p);
        let by_path: BTreeMap<String, Policy> =
            d.iter().map(|d| (d.path.to_string(), d.policy)).collect();
        assert_eq!(by_path["code.git_sha"], Policy::Fail);
        assert_eq!(by_path["hardware.cpu.brand"], Policy::Fail);
        assert_eq!(by_path["hardware.cpu.cores"], Policy::Warn);
    }

    #[test]
    fn tolerances_apply_to_matching_output_keys_only() {
        let tol = |k: &str, abs: f64, rel: f64| Tolerance {
            key: glob::Pattern::new(k).unwrap(),
            abs,
            rel,
        };
        let tols = [tol("offset_*", 1e-4, 0.0), tol("confidence", 0.0, 0.01)];
        let a = json!({"outputs": {"r.json": {"json": {"offset_du_px": 1.19220, "offset_dv_px": [6.0871], "confidence": 0.167, "count": 3}}}});
        let mut b = a.clone();
        b["outputs"]["r.json"]["json"]["offset_du_px"] = json!(1.19225);
        b["outputs"]["r.json"]["json"]["offset_dv_px"][0] = json!(6.08715);
        b["outputs"]["r.json"]["json"]["confidence"] = json!(0.1685);
        assert!(compare_within(&a, &b, &PolicySet::default(), &tols).is_empty());
        b["outputs"]["r.json"]["json"]["offset_du_px"] = json!(1.1925);
        b["outputs"]["r.json"]["json"]["confidence"] = json!(0.17);
        b["outputs"]["r.json"]["json"]["count"] = json!(4);
        let d = compare_within(&a, &b, &PolicySet::default(), &tols);
        let paths: Vec<String> = d.iter().map(|d| d.path.to_string()).collect();
        assert_eq!(paths.len(), 3, "{paths:?}");
        // outside `outputs` a tolerance does nothing
        let p = json!({"params": {"offset_x": 1.0}});
        assert_eq!(
            compare_within(
                &p,
                &json!({"params": {"offset_x": 1.00001}}),
                &PolicySet::default(),
                &[tol("offset_*", 1.0, 0.0)]
            )
            .len(),
            1
        );
    }

    #[test]
    fn verdicts() {
        let mut cur = base();
        cur["code"]["git_sha"] = json!("bbb");
        assert_eq!(
            verdict(&compare(&base(), &cur, &PolicySet::default())),
            Verdict::Warn
        );
        assert_eq!(verdict(&[]), Verdict::Pass);
    }
}
