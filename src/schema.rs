//! JSON Schemas of the documents provbase writes and reads — the manifest (and so every
//! baseline) and a recorded run's `run.json` — generated from the types below, committed under
//! `schemas/`, and used to validate every such file provbase reads, naming the field that does
//! not fit.

#![allow(
    dead_code,
    reason = "these types exist to generate schemas; nothing builds them"
)]

use schemars::JsonSchema;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// `"sha256:<64 lowercase hex>"`.
#[derive(JsonSchema)]
struct Sha256(#[schemars(regex(pattern = r"^sha256:[0-9a-f]{64}$"))] String);

/// A value that could not be collected, and why.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Unavailable {
    unavailable: String,
}

/// A value, or why it could not be collected.
#[derive(JsonSchema)]
#[schemars(untagged)]
enum Or<T> {
    Value(T),
    Unavailable(Unavailable),
}

/// The `code` section: git state and the content of the files the run's `code` globs name.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Code {
    git_sha: Or<String>,
    git_short_sha: Or<String>,
    /// Absent or unavailable when HEAD is detached.
    branch: Option<Or<String>>,
    detached: Option<Or<bool>>,
    dirty: Or<bool>,
    untracked: Or<u64>,
    /// Without user, password or query.
    remote: Or<String>,
    /// Repo-relative path → hash (in run.json with `--code`, or a configured run's globs).
    scope: Option<BTreeMap<String, Sha256>>,
    /// The tree's status as `git status --porcelain` lists it (run.json only).
    status: Option<Or<Vec<String>>>,
}

/// One SPICE kernel in load order.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Kernel {
    path: String,
    sha256: Sha256,
}

/// An output: its hash, or its parsed JSON when compared within a tolerance.
#[derive(JsonSchema)]
#[schemars(untagged)]
enum Output {
    Hash(Sha256),
    Json { json: Value },
}

/// An environment variable: its value (secrets in it redacted), `"<redacted:…>"`, `{"unset": true}`, or unavailable.
#[derive(JsonSchema)]
#[schemars(untagged)]
enum EnvValue {
    Value(String),
    Unset {
        #[schemars(extend("const" = true))]
        unset: bool,
    },
    Unavailable(Unavailable),
}

/// A CPU.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Cpu {
    brand: Or<String>,
    arch: String,
    logical_cores: u64,
    physical_cores: Or<u64>,
}

/// The operating system.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Os {
    name: Or<String>,
    version: Or<String>,
    kernel: Or<String>,
}

/// The `hardware` section.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Hardware {
    cpu: Or<Cpu>,
    /// Whole GiB.
    memory_gib: Or<u64>,
    os: Os,
    /// Stripped by default.
    hostname: Option<Or<String>>,
    /// GPU inventory (`source`, `driver_version`, `devices`, …) or unavailable.
    gpus: Map<String, Value>,
}

/// The `runtime` section: provbase's version and each listed tool or package set.
#[derive(JsonSchema)]
struct Runtime {
    provbase: String,
    #[serde(flatten)]
    tools: BTreeMap<String, Value>,
}

/// The provenance of one configured run (`format_version` 1); a baseline is this document
/// with the volatile fields stripped.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, title = "provbase manifest")]
struct Manifest {
    #[schemars(range(min = 1, max = 1))]
    format_version: u64,
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"))]
    run: String,
    /// UTC, whole seconds; stripped from baselines.
    pipeline_run_iso8601: Option<String>,
    code: Code,
    static_data_hashes: BTreeMap<String, Sha256>,
    params: Map<String, Value>,
    inputs: Option<BTreeMap<String, Sha256>>,
    outputs: Option<BTreeMap<String, Output>>,
    spice_kernels: Option<Vec<Kernel>>,
    spice_kernel_count: Option<u64>,
    technique_names: Option<Vec<String>>,
    extractor_names: Option<Vec<String>>,
    hardware: Option<Hardware>,
    runtime: Runtime,
    environment: BTreeMap<String, EnvValue>,
    external: Option<BTreeMap<String, Map<String, Value>>>,
    digest: Sha256,
}

/// A recorded file.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct FileEntry {
    sha256: Sha256,
    size: u64,
}

/// A parameters file: where, its hash, and its parsed content.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Params {
    path: String,
    sha256: Sha256,
    content: Value,
}

/// A recorded command run (`.prov/runs/<id>/run.json`). Its times live in `events.jsonl`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, title = "provbase run")]
struct Run {
    #[schemars(range(min = 1, max = 1))]
    format_version: u64,
    #[schemars(extend("const" = "provbase.run"))]
    kind: String,
    /// The first 12 hex digits of the digest of the run's time-free content.
    #[schemars(regex(pattern = r"^[0-9a-f]{12}$"))]
    id: String,
    name: Option<String>,
    tags: Vec<String>,
    /// The command line, secrets redacted.
    command: Vec<String>,
    exit_status: Or<i64>,
    inputs: BTreeMap<String, Or<FileEntry>>,
    outputs: BTreeMap<String, Or<FileEntry>>,
    params: Option<Params>,
    /// Inputs whose content the command changed: recorded as they were before it ran.
    inputs_changed: Option<Vec<String>>,
    code: Code,
    runtime: Runtime,
    environment: BTreeMap<String, EnvValue>,
    hardware: Hardware,
    digest: Sha256,
}

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
            Doc::Manifest => schemars::schema_for!(Manifest),
            Doc::Run => schemars::schema_for!(Run),
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
