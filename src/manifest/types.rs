//! The documents as Rust types: a run's manifest (and so every baseline) and a recorded run's
//! `run.json`. Collectors build them, readers deserialize them, and `schemas/` is generated
//! from them. Each section's drift category is declared beside them, in
//! [`super::category::DECLARED`].
//!
//! Four members hold documents provbase does not own, and stay open JSON: `params` (the
//! project's), `external` (what a command printed), an output compared within a tolerance, and
//! `hardware.gpus` (what NVML, nvidia-smi or rocm-smi reported).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub use super::value::{Or, Sha256, Unavailable};

/// The `code` section: git state and the content of the files the run's `code` globs name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Code {
    /// The commit HEAD names (40 hex digits).
    pub git_sha: Or<String>,
    /// Its abbreviation, as git prints it.
    pub git_short_sha: Or<String>,
    /// Absent or unavailable when HEAD is detached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<Or<String>>,
    /// Whether HEAD is detached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detached: Option<Or<bool>>,
    /// Whether tracked files differ from HEAD (the baselines folders and `.prov/` aside).
    pub dirty: Or<bool>,
    /// How many untracked files git does not ignore.
    pub untracked: Or<u64>,
    /// Without user, password or query.
    pub remote: Or<String>,
    /// Repo-relative path → hash (in run.json with `--code`, or a configured run's globs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<BTreeMap<String, Sha256>>,
    /// The tree's status as `git status --porcelain` lists it (run.json only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Or<Vec<String>>>,
}

impl Code {
    /// Every git field unavailable, for one reason.
    pub fn unavailable(reason: &str) -> Code {
        Code {
            git_sha: Or::unavailable(reason),
            git_short_sha: Or::unavailable(reason),
            branch: Some(Or::unavailable(reason)),
            detached: Some(Or::unavailable(reason)),
            dirty: Or::unavailable(reason),
            untracked: Or::unavailable(reason),
            remote: Or::unavailable(reason),
            scope: None,
            status: None,
        }
    }
}

/// One SPICE kernel in load order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Kernel {
    /// The kernel file, relative to the project.
    pub path: String,
    /// Its content hash.
    pub sha256: Sha256,
}

/// An output: its hash, or its parsed JSON when compared within a tolerance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Output {
    /// The file's hash.
    Hash(Sha256),
    /// The file's parsed JSON.
    Json {
        /// The document.
        json: Value,
    },
}

/// An environment variable: its value (secrets in it redacted), `"<redacted:…>"`, `{"unset": true}`, or unavailable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum EnvValue {
    /// The value.
    Value(String),
    /// A variable the run names that is not set.
    Unset {
        /// Always `true`.
        #[schemars(extend("const" = true))]
        unset: bool,
    },
    /// Why the value cannot be recorded (not UTF-8).
    Unavailable(Unavailable),
}

/// A CPU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cpu {
    /// The model name.
    pub brand: Or<String>,
    /// The architecture (`x86_64`, `aarch64`).
    pub arch: String,
    /// Logical cores.
    pub logical_cores: u64,
    /// Physical cores.
    pub physical_cores: Or<u64>,
}

/// The operating system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Os {
    /// The distribution or system name.
    pub name: Or<String>,
    /// Its version.
    pub version: Or<String>,
    /// The kernel version.
    pub kernel: Or<String>,
}

/// The `hardware` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hardware {
    /// The CPU.
    pub cpu: Or<Cpu>,
    /// Whole GiB.
    pub memory_gib: Or<u64>,
    /// The operating system.
    pub os: Os,
    /// Stripped by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<Or<String>>,
    /// GPU inventory (`source`, `driver_version`, `devices`, …) or unavailable.
    pub gpus: Map<String, Value>,
}

/// A package set: the digest of its package → version map, and the map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageSet {
    /// The digest of the JCS form of `packages`.
    pub digest: Sha256,
    /// Package → version.
    pub packages: BTreeMap<String, String>,
}

/// One `runtime` entry: a tool's version, a package set, or why neither could be collected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Tool {
    /// A version line (`rustc 1.95.0 (…)`).
    Version(String),
    /// A package set (`pip-freeze`, `cargo-lock`, `conda-export`).
    Packages(PackageSet),
    /// Why not.
    Unavailable(Unavailable),
    /// Anything else a baseline holds here (a strip rule may have removed part of an entry).
    Other(Value),
}

/// The `runtime` section: provbase's version and each listed tool or package set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Runtime {
    /// The version of provbase that collected the document.
    pub provbase: String,
    /// Each listed tool or package set, by the name harness.toml gives it.
    #[serde(flatten)]
    #[schemars(with = "BTreeMap<String, Value>")]
    pub tools: BTreeMap<String, Tool>,
}

/// The provenance of one configured run (`format_version` 1); a baseline is this document
/// with the volatile fields stripped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "provbase manifest")]
pub struct Manifest {
    /// The format: 1; 2 when a file set is recorded by folder digests; 3 when it records
    /// objects in stores.
    #[schemars(range(min = 1, max = 3))]
    pub format_version: u64,
    /// The run's name in harness.toml.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"))]
    pub run: String,
    /// UTC, whole seconds; stripped from baselines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline_run_iso8601: Option<String>,
    /// Git state and the content of the code the run depends on.
    pub code: Code,
    /// Static data file → hash (or folder → digest, or object URL → what the store says).
    pub static_data_hashes: BTreeMap<String, super::tree::Entry>,
    /// The run's parameters as harness.toml writes them (secrets redacted).
    pub params: Map<String, Value>,
    /// Input file → hash (or folder → digest, or object URL → what the store says).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<BTreeMap<String, super::tree::Entry>>,
    /// Output file → hash, or its parsed JSON under a tolerance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outputs: Option<BTreeMap<String, Output>>,
    /// The kernels a metakernel loads, in load order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spice_kernels: Option<Vec<Kernel>>,
    /// How many.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spice_kernel_count: Option<u64>,
    /// The pipeline's registered techniques, sorted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub technique_names: Option<Vec<String>>,
    /// The pipeline's registered extractors, sorted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extractor_names: Option<Vec<String>>,
    /// CPU, memory, operating system and GPUs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hardware: Option<Hardware>,
    /// Toolchains and package sets.
    pub runtime: Runtime,
    /// The variables the run names, and the built-in set.
    pub environment: BTreeMap<String, EnvValue>,
    /// What each external command printed (a JSON object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external: Option<BTreeMap<String, Map<String, Value>>>,
    /// `"sha256:"` + SHA-256 of the RFC 8785 form of the document without `digest`.
    pub digest: Sha256,
}

/// A recorded file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Its content hash.
    pub sha256: Sha256,
    /// Its size in bytes.
    pub size: u64,
}

/// A parameters file: where, its hash, and its parsed content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The file, relative to the project.
    pub path: String,
    /// Its content hash.
    pub sha256: Sha256,
    /// Its parsed content (secrets redacted).
    pub content: Value,
}

/// A recorded command run (`.prov/runs/<id>/run.json`). Its times live in `events.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "provbase run")]
pub struct Run {
    /// The format, 1.
    #[schemars(range(min = 1, max = 1))]
    pub format_version: u64,
    /// `provbase.run`.
    #[schemars(extend("const" = "provbase.run"))]
    pub kind: String,
    /// The first 12 hex digits of the digest of the run's time-free content.
    #[schemars(regex(pattern = r"^[0-9a-f]{12}$"))]
    pub id: String,
    /// A name given with `--name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Labels given with `--tag`, sorted.
    pub tags: Vec<String>,
    /// The command line, secrets redacted.
    pub command: Vec<String>,
    /// The command's exit status (128 + the signal when killed).
    pub exit_status: Or<i64>,
    /// Input file → hash and size, as before the command ran.
    pub inputs: BTreeMap<String, Or<FileEntry>>,
    /// Output file → hash and size.
    pub outputs: BTreeMap<String, Or<FileEntry>>,
    /// The parameters file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<Params>,
    /// Inputs whose content the command changed: recorded as they were before it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs_changed: Option<Vec<String>>,
    /// Git state, the tree status, and the code the `--code` globs name.
    pub code: Code,
    /// Toolchains and package sets.
    pub runtime: Runtime,
    /// The built-in variables.
    pub environment: BTreeMap<String, EnvValue>,
    /// CPU, memory, operating system and GPUs.
    pub hardware: Hardware,
    /// `"sha256:"` + SHA-256 of the RFC 8785 form of the document without `digest`.
    pub digest: Sha256,
}

/// A file as a document records it: a manifest's hash, a recorded run's hash and size (or why
/// not), or an output's parsed JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FileRecord {
    /// A manifest's `path → hash`.
    Hash(Sha256),
    /// A recorded run's `path → {sha256, size}`.
    Entry(FileEntry),
    /// A manifest's folder recorded by its digest (`format_version` 2).
    Tree(super::tree::Tree),
    /// A manifest's object in a store (`format_version` 3).
    Object(super::object::StoreObject),
    /// An output compared within a tolerance.
    Json {
        /// Its parsed content.
        json: Value,
    },
    /// Why it could not be recorded.
    Unavailable(Unavailable),
}

impl FileRecord {
    /// The file's hash, when it was hashed.
    pub fn hash(&self) -> Option<&str> {
        match self {
            FileRecord::Hash(h) | FileRecord::Entry(FileEntry { sha256: h, .. }) => Some(&h.0),
            FileRecord::Json { .. }
            | FileRecord::Unavailable(_)
            | FileRecord::Tree(_)
            | FileRecord::Object(_) => None,
        }
    }
}

/// `params` as either document holds it: a manifest's table, or a recorded run's file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamsRecord {
    /// A recorded run's parameters file.
    File(Params),
    /// A manifest's parameters.
    Table(Map<String, Value>),
}

/// What any provbase document — a manifest, a baseline, a recorded run — says of the run it
/// describes: the members they share, each as its type, absent where the document has none.
/// Bundles and exports read documents through it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Described {
    /// A configured run's name.
    pub run: Option<String>,
    /// A recorded run's name.
    pub name: Option<String>,
    /// A recorded run's id.
    pub id: Option<String>,
    /// A recorded run's tags.
    pub tags: Option<Vec<String>>,
    /// The document's digest.
    pub digest: Option<String>,
    /// A recorded run's command line.
    pub command: Option<Vec<String>>,
    /// A recorded run's exit status.
    pub exit_status: Option<Or<i64>>,
    /// Git state and code.
    pub code: Option<Code>,
    /// The machine.
    pub hardware: Option<Hardware>,
    /// Toolchains and package sets.
    pub runtime: Option<Runtime>,
    /// Environment variables.
    pub environment: Option<BTreeMap<String, EnvValue>>,
    /// Parameters.
    pub params: Option<ParamsRecord>,
    /// SPICE kernels in load order.
    pub spice_kernels: Option<Vec<Kernel>>,
    /// Registered techniques.
    pub technique_names: Option<Vec<String>>,
    /// Registered extractors.
    pub extractor_names: Option<Vec<String>>,
    /// Inputs.
    pub inputs: Option<BTreeMap<String, FileRecord>>,
    /// Static data.
    pub static_data_hashes: Option<BTreeMap<String, FileRecord>>,
    /// Outputs.
    pub outputs: Option<BTreeMap<String, FileRecord>>,
}

impl Described {
    /// Reads a document; a document of another shape reads as empty (the schema, not this
    /// view, judges a document).
    pub fn of(doc: &Value) -> Described {
        Described::deserialize(doc).unwrap_or_default()
    }
}

/// The commit a document was collected at, read without the rest of the document (a baseline
/// may list a million files).
pub fn commit_of(doc: &Value) -> Option<String> {
    #[derive(Deserialize)]
    struct Head {
        git_sha: Or<String>,
    }
    #[derive(Deserialize)]
    struct Doc {
        code: Head,
    }
    match Doc::deserialize(doc).ok()?.code.git_sha {
        Or::Value(sha) => Some(sha),
        Or::Unavailable(_) => None,
    }
}

/// Whether a document's tree was dirty (`code.dirty`), read without the rest of it; `None`
/// when not recorded.
pub fn dirty_of(doc: &Value) -> Option<bool> {
    #[derive(Deserialize)]
    struct Code {
        dirty: Or<bool>,
    }
    #[derive(Deserialize)]
    struct Doc {
        code: Code,
    }
    match Doc::deserialize(doc).ok()?.code.dirty {
        Or::Value(d) => Some(d),
        Or::Unavailable(_) => None,
    }
}

/// The paths of the SPICE kernels a document lists, read without the rest of it.
pub fn kernel_paths(doc: &Value) -> Vec<String> {
    #[derive(Deserialize)]
    struct Doc {
        spice_kernels: Option<Vec<Kernel>>,
    }
    Doc::deserialize(doc)
        .ok()
        .and_then(|d| d.spice_kernels)
        .map(|k| k.into_iter().map(|k| k.path).collect())
        .unwrap_or_default()
}

/// One line of a recorded run's `events.jsonl` (and of a bundle's): what happened, and when.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `start`, `end`, `collect` or `bundle`.
    pub event: String,
    /// The recorded run's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The configured run's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// UTC, whole seconds (`null` for a collection without one).
    pub time: Option<String>,
    /// Milliseconds since the Unix epoch, as a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unix_ms: Option<String>,
    /// The exit status (`null` when not executed).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub exit_status: Option<Option<i32>>,
    /// How long the command ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Whether the command ran (not `--no-exec`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executed: Option<bool>,
    /// The tags given this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

/// A member that is present, `null` included (`Some(None)`), as opposed to absent (`None`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl Event {
    /// The line as written: canonical JSON (keys sorted), no newline.
    pub fn line(&self) -> String {
        serde_json::to_value(self)
            .map(|v| v.to_string())
            .unwrap_or_default()
    }

    /// Reads one line; `None` when it is not an event.
    pub fn parse(line: &str) -> Option<Event> {
        serde_json::from_str(line).ok()
    }
}

/// A candidate baseline under `.prov/candidates/`: what accept would write for a run, and the
/// digest of the baseline it was compared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CandidateDoc {
    /// `provbase.candidate`.
    #[schemars(extend("const" = "provbase.candidate"))]
    pub kind: String,
    /// The run.
    pub run: String,
    /// Its baseline file, relative to the project.
    pub baseline: String,
    /// The digest of the baseline's bytes when the candidate was made (`null`: there was none).
    pub compared_with: Option<String>,
    /// The manifest accept would write.
    #[schemars(with = "super::Manifest")]
    pub manifest: Value,
}

/// Which provbase document a JSON value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// A manifest or baseline (`format_version` and `run`).
    Manifest,
    /// A recorded run (`kind: provbase.run`).
    Run,
    /// A bundle's list of files (`kind: provbase.bundle`).
    BundleList,
    /// A candidate (`kind: provbase.candidate`).
    Candidate,
    /// A bundle's codebase fingerprint (`files` and `digest`, the digest over `files`).
    CodebaseFingerprint,
    /// A bundle's environment fingerprint or snapshot (`provbase` names the version).
    EnvFingerprint,
}

impl DocKind {
    /// What a document is, from the members that say so; `None` for another tool's JSON.
    pub fn of(doc: &Value) -> Option<DocKind> {
        #[derive(Deserialize)]
        struct Marks {
            format_version: Option<Value>,
            run: Option<Value>,
            kind: Option<Value>,
            provbase: Option<Value>,
            files: Option<Value>,
            digest: Option<Value>,
        }
        let m = Marks::deserialize(doc).ok()?;
        Some(match m.kind.as_ref().and_then(Value::as_str) {
            Some(super::RUN_KIND) => DocKind::Run,
            Some(super::BUNDLE_KIND) => DocKind::BundleList,
            Some(super::CANDIDATE_KIND) => DocKind::Candidate,
            Some(super::ENV_FINGERPRINT_KIND | super::ENV_SNAPSHOT_KIND) => DocKind::EnvFingerprint,
            Some(super::CODEBASE_FINGERPRINT_KIND) => DocKind::CodebaseFingerprint,
            _ if m.format_version.is_some() && m.run.is_some() => DocKind::Manifest,
            // version 1 of a bundle's documents, without `kind`
            _ if m.provbase.as_ref().is_some_and(Value::is_string) => DocKind::EnvFingerprint,
            _ if m.files.as_ref().is_some_and(Value::is_object) && m.digest.is_some() => {
                DocKind::CodebaseFingerprint
            }
            _ => return None,
        })
    }
}

/// The members' names, for the code that reads a document as a JSON value (comparing, sealing,
/// explaining, judging a moved HEAD) rather than through the types above: each is the serde
/// name of a field here, and a test holds every one to the generated schema, so a renamed
/// field fails until its name here follows.
pub mod keys {
    /// [`super::Manifest::format_version`], [`super::Run::format_version`].
    pub const FORMAT_VERSION: &str = "format_version";
    /// [`super::Manifest::digest`], [`super::Run::digest`].
    pub const DIGEST: &str = "digest";
    /// [`super::Manifest::code`].
    pub const CODE: &str = "code";
    /// [`super::Manifest::static_data_hashes`].
    pub const STATIC_DATA: &str = "static_data_hashes";
    /// [`super::Manifest::params`].
    pub const PARAMS: &str = "params";
    /// [`super::Manifest::inputs`].
    pub const INPUTS: &str = "inputs";
    /// [`super::Manifest::outputs`].
    pub const OUTPUTS: &str = "outputs";
    /// [`super::Manifest::spice_kernels`].
    pub const SPICE_KERNELS: &str = "spice_kernels";
    /// [`super::Kernel::path`].
    pub const KERNEL_PATH: &str = "path";
    /// [`super::Kernel::sha256`].
    pub const KERNEL_SHA256: &str = "sha256";
    /// A recorded run's labels, which differ between any two runs by construction and are not
    /// part of what names it: [`super::Run::id`], [`super::Run::name`], [`super::Run::tags`].
    pub const RUN_LABELS: &[&str] = &["id", "name", "tags"];
    /// [`super::Run::kind`].
    pub const KIND: &str = "kind";

    /// The members of [`super::Code`].
    pub mod code {
        /// The commit.
        pub const GIT_SHA: &str = "git_sha";
        /// Its short form.
        pub const GIT_SHORT_SHA: &str = "git_short_sha";
        /// The branch.
        pub const BRANCH: &str = "branch";
        /// A detached HEAD.
        pub const DETACHED: &str = "detached";
        /// Uncommitted changes.
        pub const DIRTY: &str = "dirty";
        /// Untracked files.
        pub const UNTRACKED: &str = "untracked";
        /// The remote's URL.
        pub const REMOTE: &str = "remote";
        /// The content of the code the run depends on.
        pub const SCOPE: &str = "scope";
    }

    #[cfg(test)]
    mod tests {
        use serde_json::Value;

        fn properties(schema: &Value, def: Option<&str>) -> Vec<String> {
            let owner = match def {
                None => schema,
                Some(d) => &schema["$defs"][d],
            };
            owner["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        }

        #[test]
        fn every_key_is_a_member_of_the_types() {
            let manifest =
                serde_json::to_value(schemars::schema_for!(super::super::Manifest)).unwrap();
            let run = serde_json::to_value(schemars::schema_for!(super::super::Run)).unwrap();
            let (m, r) = (properties(&manifest, None), properties(&run, None));
            for k in [
                super::FORMAT_VERSION,
                super::DIGEST,
                super::CODE,
                super::STATIC_DATA,
                super::PARAMS,
                super::INPUTS,
                super::OUTPUTS,
                super::SPICE_KERNELS,
            ] {
                assert!(m.iter().any(|p| p == k), "{k}: not a member of Manifest");
            }
            for k in super::RUN_LABELS.iter().chain([&super::KIND]) {
                assert!(r.iter().any(|p| p == k), "{k}: not a member of Run");
            }
            let code = properties(&manifest, Some("Code"));
            for k in [
                super::code::GIT_SHA,
                super::code::GIT_SHORT_SHA,
                super::code::BRANCH,
                super::code::DETACHED,
                super::code::DIRTY,
                super::code::UNTRACKED,
                super::code::REMOTE,
                super::code::SCOPE,
            ] {
                assert!(code.iter().any(|p| p == k), "{k}: not a member of Code");
            }
            let kernel = properties(&manifest, Some("Kernel"));
            for k in [super::KERNEL_PATH, super::KERNEL_SHA256] {
                assert!(kernel.iter().any(|p| p == k), "{k}: not a member of Kernel");
            }
        }
    }
}
