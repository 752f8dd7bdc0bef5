//! The manifest: the provenance of one run as a JSON document (`format_version` 1; 2 when a
//! file set is recorded by folder digests; 3 when it records objects in stores), its `digest`,
//! and the checks a stored manifest must pass before it is trusted.

pub mod bundle;
pub mod category;
pub mod names;
pub mod object;
pub mod tree;
pub mod types;
pub mod value;

pub use category::Category;
pub use types::{Code, Manifest, Run, keys};
pub use value::{Or, Sha256};

use crate::canonical::{digest_of, is_sha256_tagged};
use crate::error::DocumentError;
use serde_json::Value;

/// The newest manifest format this provbase writes and reads. Version 2 adds folder digests
/// to `static_data_hashes` and `inputs` ([`tree`]); version 3 adds objects in stores
/// ([`object`]). A manifest is written at the lowest version that holds it, byte for byte as
/// before, so that no baseline churns when provbase learns a new kind of entry.
pub const FORMAT_VERSION: u64 = 3;

/// The format of a recorded run's `run.json`.
pub const RUN_FORMAT_VERSION: u64 = 1;

/// The version a manifest needs: 3 when it records an object in a store, 2 when it records a
/// folder by its digest, else 1.
pub fn version_needed(m: &Manifest) -> u64 {
    let sets = || std::iter::once(&m.static_data_hashes).chain(m.inputs.as_ref());
    if sets().any(|s| s.values().any(|e| e.object().is_some())) {
        3
    } else if sets().any(|s| s.values().any(|e| e.tree().is_some())) {
        2
    } else {
        1
    }
}

/// The version a manifest document's entries need (see [`version_needed`]): an entry that is
/// an object is a folder (`tree`) or an object in a store.
fn entries_need(doc: &serde_json::Map<String, Value>) -> u64 {
    let entries = [keys::STATIC_DATA, keys::INPUTS]
        .into_iter()
        .filter_map(|k| doc.get(k).and_then(Value::as_object))
        .flat_map(|m| m.values());
    entries
        .filter_map(Value::as_object)
        .map(|e| if e.contains_key("tree") { 2 } else { 3 })
        .max()
        .unwrap_or(1)
}

/// The `kind` of a recorded run's `run.json`.
pub const RUN_KIND: &str = "provbase.run";

/// The `kind` of a bundle's `bundle.json`.
pub const BUNDLE_KIND: &str = "provbase.bundle";

/// The `kind` of a bundle's `env_fingerprint.json`.
pub const ENV_FINGERPRINT_KIND: &str = "provbase.env_fingerprint";

/// The `kind` of a bundle's `env_snapshot.json`.
pub const ENV_SNAPSHOT_KIND: &str = "provbase.env_snapshot";

/// The `kind` of a bundle's (or a recorded run's) `codebase_fingerprint.json`.
pub const CODEBASE_FINGERPRINT_KIND: &str = "provbase.codebase_fingerprint";

/// The `kind` of a candidate baseline under `.prov/candidates/`.
pub const CANDIDATE_KIND: &str = "provbase.candidate";

/// The fields every manifest must keep: no strip selector may remove them.
pub const OWN_FIELDS: &[&str] = &[keys::FORMAT_VERSION, "run", keys::DIGEST];

/// The digest a manifest should carry: `"sha256:"` + SHA-256 of the RFC 8785 form of the
/// document without its `digest` member.
pub fn compute_digest(manifest: &Value) -> String {
    match manifest {
        Value::Object(m) => crate::canonical::digest_of_object_without(m, keys::DIGEST),
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
    m.format_version = version_needed(&m);
    let files = |map: std::collections::BTreeMap<String, Sha256>| {
        Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, Value::String(v.0)))
                .collect(),
        )
    };
    let entries = |map: std::collections::BTreeMap<String, tree::Entry>| {
        Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        tree::Entry::File(h) => Value::String(h.0),
                        tree::Entry::Tree(t) => serde_json::to_value(t).unwrap_or(Value::Null),
                        tree::Entry::Object(o) => serde_json::to_value(o).unwrap_or(Value::Null),
                    };
                    (k, v)
                })
                .collect(),
        )
    };
    let scope = m.code.scope.take().map(files);
    let static_data = entries(std::mem::take(&mut m.static_data_hashes));
    let inputs = m.inputs.take().map(entries);
    let mut v = serde_json::to_value(&m).unwrap_or(Value::Null);
    if let Value::Object(doc) = &mut v {
        doc.insert(keys::STATIC_DATA.into(), static_data);
        if let Some(i) = inputs {
            doc.insert(keys::INPUTS.into(), i);
        }
        if let (Some(s), Some(Value::Object(code))) = (scope, doc.get_mut(keys::CODE)) {
            code.insert(keys::code::SCOPE.into(), s);
        }
    }
    crate::canonical::stringify_big_integers(&mut v);
    seal(&mut v);
    v
}

/// A document's `format_version`, when it has a whole number there.
pub fn format_version(doc: &Value) -> Option<u64> {
    doc.get(keys::FORMAT_VERSION).and_then(Value::as_u64)
}

/// Sets (or replaces) the manifest's `digest`.
pub fn seal(manifest: &mut Value) {
    let d = compute_digest(manifest);
    if let Value::Object(m) = manifest {
        m.insert(keys::DIGEST.into(), Value::String(d));
    }
}

/// Checks what a stored manifest must hold before it is compared: an object, a known
/// `format_version`, and a `digest` that matches the content. The message says what is wrong.
pub fn validate(manifest: &Value) -> Result<(), DocumentError> {
    let Value::Object(m) = manifest else {
        return Err(DocumentError::NotObject);
    };
    match m.get(keys::FORMAT_VERSION) {
        Some(v)
            if v.as_u64()
                .is_some_and(|v| v < entries_need(m) && v <= FORMAT_VERSION) =>
        {
            return Err(DocumentError::EntryNeedsVersion {
                found: v.as_u64().unwrap_or_default(),
                needs: entries_need(m),
            });
        }
        Some(v)
            if v.as_u64()
                .is_some_and(|v| (1..=FORMAT_VERSION).contains(&v)) => {}
        Some(v) => {
            return Err(DocumentError::UnknownVersion {
                member: keys::FORMAT_VERSION,
                found: v.to_string(),
                reads: FORMAT_VERSION,
            });
        }
        None => return Err(DocumentError::NoVersion),
    }
    match m.get(keys::DIGEST) {
        Some(Value::String(d)) if is_sha256_tagged(d) => {
            let gives = compute_digest(manifest);
            if *d != gives {
                return Err(DocumentError::DigestMismatch {
                    says: d.clone(),
                    gives,
                });
            }
            Ok(())
        }
        Some(_) => Err(DocumentError::DigestShape),
        None => Err(DocumentError::NoDigest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn folder_digests_need_version_2() {
        let tree = json!({"tree": format!("sha256:{}", "0".repeat(64)), "files": 2, "bytes": 3});
        let mut m = json!({"format_version": 1, "run": "r", "inputs": {"d/": tree}});
        seal(&mut m);
        assert_eq!(
            validate(&m).unwrap_err(),
            DocumentError::EntryNeedsVersion { found: 1, needs: 2 }
        );
        m["format_version"] = json!(2);
        seal(&mut m);
        assert!(validate(&m).is_ok());
        let object = json!({"size": 1, "etag": "e", "modified": "2026-12-03T02:11:09Z"});
        m["inputs"]["s3://b/k"] = object;
        seal(&mut m);
        let err = validate(&m).unwrap_err();
        assert_eq!(err, DocumentError::EntryNeedsVersion { found: 2, needs: 3 });
        assert!(
            err.to_string().contains("objects in stores need version 3"),
            "{err}"
        );
        m["format_version"] = json!(3);
        seal(&mut m);
        assert!(validate(&m).is_ok());
    }

    #[test]
    fn sealed_manifests_validate_and_edits_are_caught() {
        let mut m = json!({"format_version": 1, "run": "r", "params": {"seed": 1}});
        seal(&mut m);
        assert!(validate(&m).is_ok());
        m["params"]["seed"] = json!(2);
        let err = validate(&m).unwrap_err();
        assert!(matches!(err, DocumentError::DigestMismatch { .. }), "{err}");
        assert!(err.to_string().contains("edited by hand"), "{err}");
        seal(&mut m);
        m["format_version"] = json!(4);
        let err = validate(&m).unwrap_err();
        assert!(
            err.to_string().contains("unknown format_version 4"),
            "{err}"
        );
        assert_eq!(validate(&json!([1])).unwrap_err(), DocumentError::NotObject);
        assert_eq!(
            validate(&json!({"format_version": 1})).unwrap_err(),
            DocumentError::NoDigest
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
