//! JSON Schemas (draft 2020-12) of the documents provbase writes and reads — the manifest (and
//! so every baseline), a recorded run's `run.json` and a candidate — generated from their
//! types, committed under `schemas/`, and used to validate every such file provbase reads,
//! naming the field that does not fit. (The reports' schemas, made the same way, are
//! [`crate::report::listing::Output`]'s.)
//!
//! The committed schemas are what any validator takes, ajv's strict mode included: each has
//! an `$id` and a `title`; a member's category ([`crate::manifest::category::DECLARED`]) is a
//! `$comment`; and the formats schemars writes for Rust's integers (`uint64`, …), which no
//! JSON Schema vocabulary defines, are left out (their `minimum` stays).

use serde_json::Value;
use std::sync::OnceLock;

/// Where the schemas are published; a schema's `$id` is this and its file name.
pub const ID_BASE: &str = "https://raw.githubusercontent.com/provbase/provbase/main/schemas/";

/// The documents with a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doc {
    /// A manifest or baseline.
    Manifest,
    /// A recorded run's `run.json`.
    Run,
    /// A candidate baseline under `.prov/candidates/`.
    Candidate,
    /// A bundle's `bundle.json`.
    BundleList,
    /// A bundle's `env_fingerprint.json`.
    EnvFingerprint,
    /// A bundle's `env_snapshot.json`.
    EnvSnapshot,
    /// A bundle's (or a recorded run's) `codebase_fingerprint.json`.
    CodebaseFingerprint,
}

impl Doc {
    /// Every document with a schema here.
    pub const ALL: [Doc; 7] = [
        Doc::Manifest,
        Doc::Run,
        Doc::Candidate,
        Doc::BundleList,
        Doc::EnvFingerprint,
        Doc::EnvSnapshot,
        Doc::CodebaseFingerprint,
    ];

    /// The document a bundle's document is, from its `kind` (`None`: not one, or one of
    /// version 1, which has no schema).
    pub fn of_bundle(doc: &Value) -> Option<Doc> {
        use crate::manifest as b;
        doc.get("version")?;
        Some(match doc.get("kind")?.as_str()? {
            crate::manifest::BUNDLE_KIND => Doc::BundleList,
            b::ENV_FINGERPRINT_KIND => Doc::EnvFingerprint,
            b::ENV_SNAPSHOT_KIND => Doc::EnvSnapshot,
            b::CODEBASE_FINGERPRINT_KIND => Doc::CodebaseFingerprint,
            _ => return None,
        })
    }

    /// The schema's file name under `schemas/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Doc::Manifest => "manifest.schema.json",
            Doc::Run => "run.schema.json",
            Doc::Candidate => "candidate.schema.json",
            Doc::BundleList => "bundle.schema.json",
            Doc::EnvFingerprint => "env_fingerprint.schema.json",
            Doc::EnvSnapshot => "env_snapshot.schema.json",
            Doc::CodebaseFingerprint => "codebase_fingerprint.schema.json",
        }
    }

    /// The schema as `schemas/` holds it: a manifest's and a run's members carry their
    /// category ([`crate::manifest::category::DECLARED`]) as a `$comment`.
    pub fn schema(self) -> Value {
        // where the manifest's (or run's) members are: the document itself, or its definition
        let (s, owner) = match self {
            Doc::Manifest => (schemars::schema_for!(crate::manifest::Manifest), None),
            Doc::Run => (schemars::schema_for!(crate::manifest::Run), None),
            Doc::Candidate => (
                schemars::schema_for!(crate::manifest::types::CandidateDoc),
                Some("Manifest"),
            ),
            Doc::BundleList => (
                schemars::schema_for!(crate::manifest::bundle::BundleList),
                None,
            ),
            Doc::EnvFingerprint => (
                schemars::schema_for!(crate::manifest::bundle::EnvFingerprint),
                None,
            ),
            Doc::EnvSnapshot => (
                schemars::schema_for!(crate::manifest::bundle::EnvSnapshot),
                None,
            ),
            Doc::CodebaseFingerprint => (
                schemars::schema_for!(crate::manifest::bundle::CodebaseFingerprint),
                None,
            ),
        };
        let mut v = published(self.file_name(), s);
        let categorized = matches!(self, Doc::Manifest | Doc::Run | Doc::Candidate);
        for (section, member, category) in crate::manifest::category::DECLARED
            .iter()
            .filter(|_| categorized)
        {
            if let Some(p) = declared_member(&mut v, owner, section, *member) {
                p.insert(
                    "$comment".into(),
                    Value::String(format!("provbase category: {category}")),
                );
            }
        }
        v
    }

    fn validator(self) -> &'static jsonschema::Validator {
        static VALIDATORS: [OnceLock<jsonschema::Validator>; 7] = [const { OnceLock::new() }; 7];
        let at = Doc::ALL.iter().position(|d| *d == self).unwrap_or(0);
        VALIDATORS[at].get_or_init(|| {
            jsonschema::validator_for(&self.schema()).expect("the generated schema compiles")
        })
    }
}

/// The schema of a document's member `section` (and of its `member`, through the section's
/// `$ref`), when the document has it. `owner` is the definition holding the members (`None`:
/// the schema's own).
fn declared_member<'a>(
    schema: &'a mut Value,
    owner: Option<&str>,
    section: &str,
    member: Option<&str>,
) -> Option<&'a mut serde_json::Map<String, Value>> {
    fn members<'b>(schema: &'b Value, owner: Option<&str>) -> Option<&'b Value> {
        match owner {
            None => schema.get("properties"),
            Some(o) => schema.get("$defs")?.get(o)?.get("properties"),
        }
    }
    let Some(member) = member else {
        let props = match owner {
            None => schema.get_mut("properties")?,
            Some(o) => schema.get_mut("$defs")?.get_mut(o)?.get_mut("properties")?,
        };
        return props.get_mut(section)?.as_object_mut();
    };
    let def = members(schema, owner)?
        .get(section)?
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/$defs/")?
        .to_owned();
    schema
        .get_mut("$defs")?
        .get_mut(&def)?
        .get_mut("properties")?
        .get_mut(member)?
        .as_object_mut()
}

/// A generated schema as `schemas/` holds it: made plain JSON Schema (see the module's
/// documentation), with its `$id`.
pub fn published(file_name: &str, schema: schemars::Schema) -> Value {
    let mut v = serde_json::to_value(schema).unwrap_or(Value::Null);
    plain(&mut v);
    if let Value::Object(m) = &mut v {
        m.insert("$id".into(), Value::String(format!("{ID_BASE}{file_name}")));
    }
    v
}

/// The formats JSON Schema 2020-12 defines; any other (schemars' `uint64`, `double`, …) is
/// left out of a published schema.
const FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

/// No format JSON Schema does not define, anywhere in a schema.
fn plain(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.get("format")
                .and_then(Value::as_str)
                .is_some_and(|f| !FORMATS.contains(&f))
            {
                m.remove("format");
            }
            m.values_mut().for_each(plain);
        }
        Value::Array(a) => a.iter_mut().for_each(plain),
        _ => {}
    }
}

/// Checks a document against its schema; the message names the field of the first few
/// violations.
pub fn validate(doc: Doc, value: &Value) -> Result<(), crate::error::DocumentError> {
    validate_with(doc.validator(), doc.file_name(), value)
}

/// Checks a document against a compiled schema (`file_name`'s), naming the fields of the
/// first few violations.
pub fn validate_with(
    validator: &jsonschema::Validator,
    file_name: &str,
    value: &Value,
) -> Result<(), crate::error::DocumentError> {
    let violations: Vec<String> = validator
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
    if violations.is_empty() {
        Ok(())
    } else {
        Err(crate::error::DocumentError::Schema {
            schema: file_name.to_owned(),
            violations,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A committed schema is the generated one. After changing the types, write them with
    /// `PROVBASE_WRITE_SCHEMAS=1 cargo test --lib schema`.
    pub(crate) fn assert_committed(file_name: &str, schema: &Value) {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("schemas")
            .join(file_name);
        let generated = crate::canonical::pretty_bytes(schema);
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

    #[test]
    fn committed_schemas_are_the_generated_ones() {
        for doc in Doc::ALL {
            assert_committed(doc.file_name(), &doc.schema());
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
        assert!(
            matches!(&err, crate::error::DocumentError::Schema { violations, .. }
                if violations[0].starts_with("/static_data_hashes/a")),
            "{err}"
        );
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
                .to_string()
                .contains("surprise")
        );
    }

    /// Every entry of the table of categories names a member the manifest's or the run's types
    /// have: renaming a field without the table fails here.
    #[test]
    fn every_declared_category_names_a_member_of_the_types() {
        let mut manifest =
            serde_json::to_value(schemars::schema_for!(crate::manifest::Manifest)).unwrap();
        let mut run = serde_json::to_value(schemars::schema_for!(crate::manifest::Run)).unwrap();
        for (section, member, _) in crate::manifest::category::DECLARED {
            assert!(
                declared_member(&mut manifest, None, section, *member).is_some()
                    || declared_member(&mut run, None, section, *member).is_some(),
                "{section}.{member:?} is not a member of the types"
            );
        }
    }
}
