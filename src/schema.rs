//! JSON Schemas of the documents provbase writes and reads — the manifest (and so every
//! baseline) and a recorded run's `run.json` — generated from their types
//! ([`crate::manifest::types`]), committed under
//! `schemas/`, and used to validate every such file provbase reads, naming the field that does
//! not fit.

use serde_json::Value;
use std::sync::OnceLock;

/// The documents with a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doc {
    /// A manifest or baseline.
    Manifest,
    /// A recorded run's `run.json`.
    Run,
}

impl Doc {
    /// The schema's file name under `schemas/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Doc::Manifest => "manifest.schema.json",
            Doc::Run => "run.schema.json",
        }
    }

    /// The schema, generated from the types.
    pub fn schema(self) -> Value {
        let s = match self {
            Doc::Manifest => schemars::schema_for!(crate::manifest::Manifest),
            Doc::Run => schemars::schema_for!(crate::manifest::Run),
        };
        serde_json::to_value(s).unwrap_or(Value::Null)
    }

    fn validator(self) -> &'static jsonschema::Validator {
        static MANIFEST: OnceLock<jsonschema::Validator> = OnceLock::new();
        static RUN: OnceLock<jsonschema::Validator> = OnceLock::new();
        let cell = match self {
            Doc::Manifest => &MANIFEST,
            Doc::Run => &RUN,
        };
        cell.get_or_init(|| {
            jsonschema::validator_for(&self.schema()).expect("the generated schema compiles")
        })
    }
}

/// Checks a document against its schema; the message names the field of the first few
/// violations.
pub fn validate(doc: Doc, value: &Value) -> Result<(), String> {
    let errors: Vec<String> = doc
        .validator()
        .iter_errors(value)
        .take(3)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!(
                "{}: {e}",
                if at.is_empty() {
                    "(top level)".to_owned()
                } else {
                    at
                }
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "does not match the {} schema: {}",
            doc.file_name(),
            errors.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The committed schemas are the generated ones. After changing the types, write them with
    /// `PROVBASE_WRITE_SCHEMAS=1 cargo test --lib schema`.
    #[test]
    fn committed_schemas_are_the_generated_ones() {
        for doc in [Doc::Manifest, Doc::Run] {
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("schemas")
                .join(doc.file_name());
            let generated = crate::canonical::pretty_bytes(&doc.schema());
            if std::env::var_os("PROVBASE_WRITE_SCHEMAS").is_some() {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &generated).unwrap();
            }
            let committed = std::fs::read(&path).unwrap_or_default();
            assert!(
                committed == generated,
                "{} differs from the schema the types generate: run `PROVBASE_WRITE_SCHEMAS=1 cargo test --lib schema` and commit it",
                path.display()
            );
        }
    }

    #[test]
    fn violations_name_the_field() {
        let mut m = serde_json::json!({
            "format_version": 1, "run": "r",
            "code": {"git_sha": "x", "git_short_sha": "x", "dirty": false, "untracked": 0, "remote": {"unavailable": "no remote"}},
            "static_data_hashes": {"a": "sha256:00"},
            "params": {}, "runtime": {"provbase": "0.1.0"}, "environment": {},
            "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        });
        let err = validate(Doc::Manifest, &m).unwrap_err();
        assert!(err.contains("/static_data_hashes/a"), "{err}");
        m["static_data_hashes"]["a"] = serde_json::json!(format!("sha256:{}", "0".repeat(64)));
        assert!(
            validate(Doc::Manifest, &m).is_ok(),
            "{:?}",
            validate(Doc::Manifest, &m)
        );
        m["surprise"] = serde_json::json!(1);
        assert!(
            validate(Doc::Manifest, &m)
                .unwrap_err()
                .contains("surprise")
        );
    }
}
