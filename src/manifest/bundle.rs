//! The JSON documents of a bundle's `provenance/` folder: its list of files (`bundle.json`), the
//! machine's fingerprint and snapshot (`env_fingerprint.json`, `env_snapshot.json`) and the
//! code's fingerprint (`codebase_fingerprint.json`, also kept beside a recorded run). Each says
//! what it is (`kind`) and the version of its shape (`version`, [`BUNDLE_VERSION`]); one without
//! a `version` is of version 1, as bundles were written before, and reads as it was written.

use super::types::{Cpu, Os, Runtime};
use super::value::Head;
use super::{CODEBASE_FINGERPRINT_KIND, ENV_FINGERPRINT_KIND, ENV_SNAPSHOT_KIND, Or, Sha256};
use crate::error::DocumentError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The version of the bundle documents' shapes, bumped on any change a reader could notice.
/// Version 1 had no `kind` (but `bundle.json`'s) and no `version`.
pub const BUNDLE_VERSION: u32 = 2;

/// A bundle document's head: its kind, at [`BUNDLE_VERSION`].
fn head(kind: &str) -> Head {
    Head::new(kind, BUNDLE_VERSION)
}

/// The version of a bundle document's shape: its `version`, 1 without one; a version this
/// build does not know is refused.
pub fn version_of(doc: &Value) -> Result<u32, DocumentError> {
    let Some(v) = doc.get("version") else {
        return Ok(1);
    };
    match v.as_u64() {
        Some(n) if (1..=u64::from(BUNDLE_VERSION)).contains(&n) => Ok(n as u32),
        _ => Err(DocumentError::UnknownVersion {
            member: "version",
            found: v.to_string(),
            reads: BUNDLE_VERSION.into(),
        }),
    }
}

/// `bundle.json`: the digest of every other file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BundleList {
    /// `provbase.bundle`.
    #[serde(flatten)]
    pub head: Head,
    /// Each file of `provenance/` by name, with the digest of its bytes.
    pub files: BTreeMap<String, Sha256>,
    /// The digest of the RFC 8785 form of the document without this member.
    pub digest: Sha256,
}

impl BundleList {
    /// The list of these files, sealed.
    pub fn sealed(files: BTreeMap<String, Sha256>) -> Value {
        seal(&BundleList {
            head: head(super::BUNDLE_KIND),
            files,
            digest: Sha256(String::new()),
        })
    }
}

/// `env_fingerprint.json`: a small, stable subset of the machine a run ran on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvFingerprint {
    /// `provbase.env_fingerprint`.
    #[serde(flatten)]
    pub head: Head,
    /// The version of provbase that wrote it.
    pub provbase: String,
    /// The operating system (`null`: the run did not record the machine).
    pub os: Option<Os>,
    /// The CPU's architecture.
    pub arch: Option<String>,
    /// The CPU's model.
    pub cpu: Option<Or<String>>,
    /// Whole GiB of memory.
    pub memory_gib: Option<Or<u64>>,
    /// The GPUs' names, as the vendor's tool gives them.
    pub gpus: Vec<Value>,
    /// The GPU driver's version.
    pub gpu_driver: Option<Value>,
    /// The run's toolchains and package sets.
    pub runtime: Option<Runtime>,
    /// The digest of the RFC 8785 form of the document without this member.
    pub digest: Sha256,
}

impl EnvFingerprint {
    /// The fingerprint, sealed.
    pub fn sealed(
        provbase: &str,
        os: Option<Os>,
        cpu: Option<&Cpu>,
        memory_gib: Option<Or<u64>>,
        gpus: Vec<Value>,
        gpu_driver: Option<Value>,
        runtime: Option<Runtime>,
    ) -> Value {
        seal(&EnvFingerprint {
            head: head(ENV_FINGERPRINT_KIND),
            provbase: provbase.to_owned(),
            os,
            arch: cpu.map(|c| c.arch.clone()),
            cpu: cpu.map(|c| c.brand.clone()),
            memory_gib,
            gpus,
            gpu_driver,
            runtime,
            digest: Sha256(String::new()),
        })
    }
}

/// A disk's size and free space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Disk {
    /// Whole GiB.
    pub total_gib: f64,
    /// Whole GiB an unprivileged user may write.
    pub free_gib: f64,
}

/// `env_snapshot.json`: the machine a bundle was made on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvSnapshot {
    /// `provbase.env_snapshot`.
    #[serde(flatten)]
    pub head: Head,
    /// The version of provbase that wrote it.
    pub provbase: String,
    /// `python3`'s `sys.executable`, `~/…` under the home folder.
    pub python_executable: Or<String>,
    /// The working folder, `~/…` under the home folder.
    pub cwd: Or<String>,
    /// The CPUs this process may use.
    pub cpu_count: Option<u64>,
    /// The CPU, as the run recorded it.
    pub cpu: Option<Or<Cpu>>,
    /// Whole GiB of memory, as the run recorded it.
    pub memory_gib: Option<Or<u64>>,
    /// The disk holding the project.
    pub disk: Or<Disk>,
    /// `nvidia-smi --query-gpu=name,driver_version,memory.total`, a line per GPU.
    pub nvidia_smi: Or<Vec<String>>,
    /// The commit git's HEAD names.
    pub git_head: Or<String>,
    /// The digest of the RFC 8785 form of the document without this member.
    pub digest: Sha256,
}

impl EnvSnapshot {
    /// The snapshot, sealed (its `head` and `digest` are set here).
    pub fn seal(mut self) -> Value {
        self.head = head(ENV_SNAPSHOT_KIND);
        seal(&self)
    }
}

/// `codebase_fingerprint.json`: every file git tracks, with the hash of its content in the
/// work tree, and one digest over them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodebaseFingerprint {
    /// `provbase.codebase_fingerprint`.
    #[serde(flatten)]
    pub head: Head,
    /// The commit HEAD names (`null` before the first commit).
    pub git_sha: Option<String>,
    /// How many files.
    pub file_count: u64,
    /// Each tracked file's hash, or why it could not be read.
    pub files: BTreeMap<String, Or<Sha256>>,
    /// The digest of the RFC 8785 form of `files`.
    pub digest: Sha256,
    /// Why there are no files: not a git repository, or no work tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
}

impl CodebaseFingerprint {
    /// The fingerprint of these files.
    pub fn new(git_sha: Option<String>, files: BTreeMap<String, Or<Sha256>>) -> Self {
        let digest = Sha256(crate::canonical::digest_of(
            &serde_json::to_value(&files).unwrap_or(Value::Null),
        ));
        CodebaseFingerprint {
            head: head(CODEBASE_FINGERPRINT_KIND),
            git_sha,
            file_count: files.len() as u64,
            files,
            digest,
            unavailable: None,
        }
    }

    /// No files, for this reason.
    pub fn unavailable(reason: &str) -> Self {
        CodebaseFingerprint {
            unavailable: Some(reason.to_owned()),
            ..CodebaseFingerprint::new(None, BTreeMap::new())
        }
    }

    /// A fingerprint kept beside a recorded run, of either version, in the current shape:
    /// its digest covers its files only, so it stays what it was.
    pub fn read(doc: &Value) -> Result<Self, DocumentError> {
        version_of(doc)?;
        let mut doc = doc.clone();
        if let Value::Object(m) = &mut doc {
            m.insert("kind".into(), Value::from(CODEBASE_FINGERPRINT_KIND));
            m.insert("version".into(), Value::from(BUNDLE_VERSION));
            if !m.contains_key("files") {
                // version 1 wrote only `{"unavailable": …}` without a work tree
                let reason = m.get("unavailable").and_then(Value::as_str).unwrap_or("");
                return Ok(CodebaseFingerprint::unavailable(reason));
            }
        }
        serde_json::from_value(doc).map_err(|e| DocumentError::Schema {
            schema: "codebase_fingerprint.schema.json".into(),
            violations: vec![e.to_string()],
        })
    }
}

/// A document as JSON with its `digest` member set to the digest of the rest.
fn seal<T: Serialize>(doc: &T) -> Value {
    let mut v = serde_json::to_value(doc).unwrap_or(Value::Null);
    super::seal(&mut v);
    v
}
