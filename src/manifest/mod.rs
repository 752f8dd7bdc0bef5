//! The manifest: the provenance of one run as a JSON document (`format_version` 1), its
//! `digest`, and the checks a stored manifest must pass before it is trusted.

pub mod category;
pub mod names;
pub mod types;

pub use category::Category;
pub use types::{Code, Manifest, Or, Run, Sha256};

use crate::canonical::{digest_of, is_sha256_tagged};
use serde_json::Value;

/// The manifest format this provbase writes and reads.
pub const FORMAT_VERSION: u64 = 1;

/// The `kind` of a recorded run's `run.json`.
pub const RUN_KIND: &str = "provbase.run";

/// The `kind` of a bundle's `bundle.json`.
pub const BUNDLE_KIND: &str = "provbase.bundle";

/// The `kind` of a candidate baseline under `.prov/candidates/`.
pub const CANDIDATE_KIND: &str = "provbase.candidate";

/// The fields every manifest must keep: no strip selector may remove them.
pub const OWN_FIELDS: &[&str] = &["format_version", "run", "digest"];

/// The digest a manifest should carry: `"sha256:"` + SHA-256 of the RFC 8785 form of the
/// document without its `digest` member.
pub fn compute_digest(manifest: &Value) -> String {
    match manifest {
        Value::Object(m) => crate::canonical::digest_of_object_without(m, "digest"),
        other => digest_of(other),
    }
}

/// `{"unavailable": reason}`: a value that could not be collected.
pub fn unavailable(reason: impl Into<String>) -> Value {
    serde_json::json!({ "unavailable": reason.into() })
}

/// A manifest as the document provbase writes: integers beyond 2^53 as strings of their
/// digits (JCS would round them), sealed with its `digest`. The file maps (a dataset may list
/// a million files) are moved into the document, not copied.
pub fn document(mut m: Manifest) -> Value {
    let files = |map: std::collections::BTreeMap<String, Sha256>| {
        Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, Value::String(v.0)))
                .collect(),
        )
    };
    let scope = m.code.scope.take().map(files);
    let static_data = files(std::mem::take(&mut m.static_data_hashes));
    let inputs = m.inputs.take().map(files);
    let mut v = serde_json::to_value(&m).unwrap_or(Value::Null);
    if let Value::Object(doc) = &mut v {
        doc.insert("static_data_hashes".into(), static_data);
        if let Some(i) = inputs {
            doc.insert("inputs".into(), i);
        }
        if let (Some(s), Some(Value::Object(code))) = (scope, doc.get_mut("code")) {
            code.insert("scope".into(), s);
        }
    }
    crate::canonical::stringify_big_integers(&mut v);
    seal(&mut v);
    v
}

/// A document's `format_version`, when it has a whole number there.
pub fn format_version(doc: &Value) -> Option<u64> {
    doc.get("format_version").and_then(Value::as_u64)
}

/// Sets (or replaces) the manifest's `digest`.
pub fn seal(manifest: &mut Value) {
    let d = compute_digest(manifest);
    if let Value::Object(m) = manifest {
        m.insert("digest".into(), Value::String(d));
    }
}

/// Checks what a stored manifest must hold before it is compared: an object, a known
/// `format_version`, and a `digest` that matches the content. The message says what is wrong.
pub fn validate(manifest: &Value) -> Result<(), String> {
    let Value::Object(m) = manifest else {
        return Err("not a JSON object".into());
    };
    match m.get("format_version") {
        Some(v) if v.as_u64() == Some(FORMAT_VERSION) => {}
        Some(v) => {
            return Err(format!(
                "unknown format_version {v} (this provbase {} reads {FORMAT_VERSION})",
                env!("CARGO_PKG_VERSION")
            ));
        }
        None => return Err("no `format_version`".into()),
    }
    match m.get("digest") {
        Some(Value::String(d)) if is_sha256_tagged(d) => {
            let want = compute_digest(manifest);
            if *d != want {
                return Err(format!(
                    "`digest` does not match the content (it says {d}, the content gives {want}): the file was edited by hand"
                ));
            }
            Ok(())
        }
        Some(_) => Err("`digest` is not of the form sha256:<64 lowercase hex>".into()),
        None => Err("no `digest`".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sealed_manifests_validate_and_edits_are_caught() {
        let mut m = json!({"format_version": 1, "run": "r", "params": {"seed": 1}});
        seal(&mut m);
        assert!(validate(&m).is_ok());
        m["params"]["seed"] = json!(2);
        let err = validate(&m).unwrap_err();
        assert!(err.contains("edited by hand"), "{err}");
        seal(&mut m);
        m["format_version"] = json!(2);
        assert!(
            validate(&m)
                .unwrap_err()
                .contains("unknown format_version 2")
        );
        assert!(validate(&json!([1])).is_err());
        assert!(
            validate(&json!({"format_version": 1}))
                .unwrap_err()
                .contains("no `digest`")
        );
    }

    #[test]
    fn digest_ignores_the_digest_member() {
        let a = json!({"format_version": 1, "x": 1});
        let mut b = a.clone();
        seal(&mut b);
        assert_eq!(compute_digest(&a), compute_digest(&b));
    }
}
