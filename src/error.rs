//! Error types of the library. Each carries the file, line or key it is about; the CLI maps
//! them to exit codes (see [`Error::exit_code`]).

/// The exit statuses of both doors, in one place (the guide's table of commands, and each
/// command's man page, say which a command uses).
pub mod exit {
    /// Nothing failed.
    pub const OK: u8 = 0;
    /// A failing drift, a missing or orphan baseline, a run that could not be checked.
    pub const FAILED: u8 = 1;
    /// A usage or configuration error.
    pub const USAGE: u8 = 2;
    /// The cargo harness when a trial failed, as libtest.
    pub const TRIAL_FAILED: u8 = 101;
    /// `record`: the command was found but cannot run, as a shell says it.
    pub const CANNOT_RUN: u8 = 126;
    /// `record`: the command was not found, as a shell says it.
    pub const NOT_FOUND: u8 = 127;
    /// Output to a closed pipe (`provbase check | head`): the status of a process SIGPIPE ends.
    pub const BROKEN_PIPE: u8 = 141;
}

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can stop provbase from doing what it was asked.
///
/// Drift is not an error: it is a value ([`crate::drift::Drift`]). An error means the check could
/// not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `harness.toml` is malformed or holds an invalid value.
    #[error("{}:{line}: {message}", path.display())]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// 1-based line of the problem (0 when the whole file is concerned).
        line: usize,
        /// What is wrong, naming the key.
        message: String,
    },
    /// No `harness.toml` was found.
    #[error("no harness.toml in {} or any folder above it (use --config PATH)", start.display())]
    ConfigNotFound {
        /// The folder the search started from.
        start: PathBuf,
    },
    /// A command-line argument names something that does not exist.
    #[error("{0}")]
    Usage(String),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A baseline file cannot be trusted; it is left exactly as it was.
    #[error("{}: {problem}", path.display())]
    Baseline {
        /// The baseline file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// A baseline that is not what provbase wrote (its schema, version or digest says so); it
    /// is left exactly as it was.
    #[error("{}: {source}", path.display())]
    Stored {
        /// The baseline file.
        path: PathBuf,
        /// What is wrong with it.
        source: DocumentError,
    },
    /// A document given on the command line that is not what provbase wrote.
    #[error("{}: {source}", path.display())]
    Document {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: DocumentError,
    },
    /// A baseline holds merge-conflict markers; accept regenerates it.
    #[error("{}: conflicted: the file holds merge-conflict markers; re-run accept to regenerate it", path.display())]
    Conflicted {
        /// The baseline file.
        path: PathBuf,
    },
    /// A section of the manifest could not be collected for a run.
    #[error("run `{run}`: {}{source}", context.as_deref().map(|c| format!("{c}: ")).unwrap_or_default())]
    Collect {
        /// The run.
        run: String,
        /// Where in the run's configuration (`the pipeline command (harness.toml line 3)`).
        context: Option<String>,
        /// What failed, naming the file, pattern or command.
        source: Box<CollectError>,
    },
    /// A command provbase was asked to run (`provbase record -- CMD`) could not run.
    #[error("{0}")]
    Command(Box<CollectError>),
    /// A JSON document given on the command line is not usable.
    #[error("{}: {message}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A document provbase made could not be turned into JSON or back (a value JSON cannot
    /// hold): a fault of provbase or of the data, never of the command line.
    #[error("{what}: {source}")]
    Serialize {
        /// The document.
        what: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A typed strip rule (`[harness] strip`, or a built-in one) found a value of another
    /// shape: the same failure wherever a document is stripped (a check, a record, a diff).
    #[error("{context}: {source}")]
    Strip {
        /// The run or document.
        context: String,
        /// The rule and the value (`strip::StripError`).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    /// The exit status the CLI uses for this error: 2 for usage and configuration problems,
    /// 1 for a run that could not be checked.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config { .. } | Error::ConfigNotFound { .. } | Error::Usage(_) => exit::USAGE,
            Error::Json { .. } | Error::Document { .. } | Error::Io { .. } => exit::USAGE,
            Error::Baseline { .. }
            | Error::Stored { .. }
            | Error::Conflicted { .. }
            | Error::Collect { .. } => exit::FAILED,
            Error::Command(_) | Error::Strip { .. } | Error::Serialize { .. } => exit::FAILED,
        }
    }

    /// Whether accepting the run again repairs what is wrong (a conflicted baseline).
    pub fn accept_repairs(&self) -> bool {
        matches!(self, Error::Conflicted { .. })
    }

    /// A serialization error of a document provbase made.
    pub fn serialize(what: &str, source: serde_json::Error) -> Self {
        Error::Serialize {
            what: what.to_owned(),
            source,
        }
    }

    /// Wraps an I/O error with the path it is about.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Why a collector could not give its section.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CollectError {
    /// A command to run was empty.
    #[error("empty command")]
    EmptyCommand,
    /// Registered names that break their rule: printed by a command (`` `cmd` ``), or returned
    /// by a function registered in code (`a registered name`).
    #[error("{from} {source}")]
    Names {
        /// Where they came from.
        from: String,
        /// What is wrong with them.
        #[source]
        source: NamesError,
    },
    /// A command could not be started (not installed, not executable).
    #[error("`{command}` could not start: {source}")]
    CouldNotStart {
        /// The command line, secrets redacted.
        command: String,
        /// What the system said ([`IoSource::kind`]: `NotFound` for a program not found).
        #[source]
        source: IoSource,
    },
    /// Waiting for a command failed.
    #[error("`{command}`: {source}")]
    Wait {
        /// The command line, secrets redacted.
        command: String,
        /// What the system said.
        #[source]
        source: IoSource,
    },
    /// A command exited with a failure status.
    #[error("`{command}` failed ({status}){}{}", output_suffix("stdout", .stdout), output_suffix("stderr", .stderr))]
    Exited {
        /// The command line, secrets redacted.
        command: String,
        /// Its exit status as the system says it.
        status: String,
        /// The tail of its stdout (a pipeline often reports its error there), secrets scrubbed.
        stdout: String,
        /// The tail of its stderr, secrets scrubbed.
        stderr: String,
    },
    /// A command ran past its timeout.
    #[error(
        "`{command}` timed out after {}{}{}",
        humantime::format_duration(*.after),
        if *.lingering { " (it exited, but a process it started still held its output open)" } else { "" },
        output_suffix("stderr", .stderr)
    )]
    TimedOut {
        /// The command line, secrets redacted.
        command: String,
        /// The timeout.
        after: Duration,
        /// It exited, but a process it started kept its output open.
        lingering: bool,
        /// The tail of its stderr.
        stderr: String,
    },
    /// A command printed more than provbase reads.
    #[error("`{command}` printed more than {mib} MiB on stdout")]
    TooMuchOutput {
        /// The command line, secrets redacted.
        command: String,
        /// The limit.
        mib: u64,
    },
    /// A command printed something that is not UTF-8.
    #[error("`{command}` printed something that is not UTF-8")]
    NotUtf8 {
        /// The command line, secrets redacted.
        command: String,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Unreadable {
        /// The file, as the project names it.
        path: String,
        /// What the system said.
        #[source]
        source: IoSource,
    },
    /// A glob matched no file.
    #[error("no file matches `{key}` glob `{pattern}`{}", at_line(*.line))]
    NoMatch {
        /// The harness.toml key.
        key: String,
        /// The glob.
        pattern: String,
        /// Its line.
        line: usize,
    },
    /// What a tool printed or a lock file holds is not in its format.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// A store could not be read (listed, asked, or its objects read).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// What a file or a command gave is not what the section needs (a malformed metakernel,
    /// JSON that is not an object, a name that is not a name, a path outside the project, …).
    #[error("{0}")]
    Invalid(String),
}

/// Why a remote location (`s3://`, `gs://`, `az://`, `https://`) could not be recorded. The
/// messages hold the location as harness.toml writes it (which holds no credential) and what
/// the store said, with anything secret scrubbed; never a partial listing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// This build leaves object stores out (the `stores` cargo feature).
    #[error("`{location}`: this provbase was built without object stores (the `stores` feature)")]
    NotBuilt {
        /// The location.
        location: String,
    },
    /// The store's client could not be made from the location and its settings.
    #[error("`{location}`: cannot use the store: {reason}")]
    Setup {
        /// The location.
        location: String,
        /// What the client said.
        reason: String,
    },
    /// A request failed after its retries.
    #[error("`{location}`: cannot {action}: {failure}: {reason}")]
    Request {
        /// The location.
        location: String,
        /// `list the objects`, `read s3://b/k`, …
        action: String,
        /// What kind of failure.
        failure: StoreFailure,
        /// What the store or the network said.
        reason: String,
    },
    /// The location's deadline passed before it was recorded.
    #[error(
        "`{location}`: not recorded within {} (its `timeout`): the store is slow or unreachable, and nothing of it was recorded{}",
        humantime::format_duration(*.after),
        .last.as_ref().map(|l| format!("; the last request: {l}")).unwrap_or_default()
    )]
    Deadline {
        /// The location.
        location: String,
        /// The deadline.
        after: Duration,
        /// What the last request met, when one failed.
        last: Option<String>,
    },
    /// Nothing at the location.
    #[error("no object matches `{key}` location `{location}`{}", at_line(*.line))]
    NoMatch {
        /// The harness.toml key.
        key: String,
        /// The location.
        location: String,
        /// Its line.
        line: usize,
    },
    /// The store listed what provbase does not record: a key out of order, a name or a value
    /// past its bound.
    #[error("`{location}`: the store's listing is refused: {reason}")]
    Refused {
        /// The location.
        location: String,
        /// What was refused.
        reason: String,
    },
    /// An object changed while it was read for its content digest.
    #[error("`{url}` changed while it was read (its ETag is no longer {before}): check again")]
    Changed {
        /// The object.
        url: String,
        /// The ETag it was listed with.
        before: String,
    },
}

/// What kind of failure a store's request met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreFailure {
    /// No such bucket or object.
    NotFound,
    /// The credentials were refused or lack a permission.
    Denied,
    /// Anything else: the network, the server, a malformed answer.
    Failed,
}

impl std::fmt::Display for StoreFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StoreFailure::NotFound => "not found",
            StoreFailure::Denied => {
                "access denied (the CI job needs list and read permissions on it)"
            }
            StoreFailure::Failed => "failed",
        })
    }
}

/// Why a tool's output (`pip freeze`, `nvidia-smi`, `rocm-smi`, NVML) or a lock file
/// (`Cargo.lock`, `uv.lock`, `conda env export`) could not be read as what it should be. Where
/// it is recorded (a runtime or GPU section's `unavailable` reason) it is its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// It is not the format at all.
    #[error("not {format}: {reason}")]
    NotFormat {
        /// The format, as a message names it (`a Cargo.lock`, `valid nvidia-smi XML`).
        format: &'static str,
        /// What the format's parser said.
        reason: String,
    },
    /// One line of it is not an entry.
    #[error("line {line}: {problem}: `{text}`")]
    Line {
        /// 1-based.
        line: usize,
        /// What is wrong with it.
        problem: &'static str,
        /// The line, trimmed.
        text: String,
    },
    /// A part the format requires is not there or not of its shape.
    #[error("{what}: expected {expected}")]
    Shape {
        /// The document or entry (`rocm-smi JSON`, "package `serde`").
        what: String,
        /// What it should have held.
        expected: &'static str,
    },
    /// More devices than provbase records.
    #[error("{tool} reports {count} devices, more than the {max} provbase accepts")]
    TooManyDevices {
        /// The tool (`nvidia-smi`, `NVML (MIG)`).
        tool: &'static str,
        /// How many it reported.
        count: u64,
        /// The most provbase records.
        max: usize,
    },
    /// A library the collector needs could not be used (`cannot load NVML (no NVIDIA driver)`).
    #[error("cannot {action} ({reason})")]
    Library {
        /// What failed (`load NVML`, `query NVML`).
        action: &'static str,
        /// Why, stable across machines where it can be.
        reason: String,
    },
}

impl CollectError {
    /// Whether a command could not start because its program was not found (a shell's 127),
    /// rather than found but not runnable (126).
    pub fn not_found(&self) -> bool {
        matches!(self, CollectError::CouldNotStart { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// An I/O error kept whole — its kind and its message — inside errors that are cloned (a fact
/// collected once is shared by every run) and compared.
#[derive(Debug, Clone)]
pub struct IoSource(pub std::sync::Arc<std::io::Error>);

impl IoSource {
    /// What kind of failure it was.
    pub fn kind(&self) -> std::io::ErrorKind {
        self.0.kind()
    }
}

impl From<std::io::Error> for IoSource {
    fn from(e: std::io::Error) -> IoSource {
        IoSource(std::sync::Arc::new(e))
    }
}

impl PartialEq for IoSource {
    fn eq(&self, other: &IoSource) -> bool {
        self.0.kind() == other.0.kind() && self.0.to_string() == other.0.to_string()
    }
}

impl Eq for IoSource {}

impl std::fmt::Display for IoSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for IoSource {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// ` (harness.toml line N)`, or nothing for a glob given on the command line (line 0).
pub fn at_line(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(" (harness.toml line {line})")
    }
}

fn output_suffix(stream: &str, tail: &str) -> String {
    if tail.is_empty() {
        String::new()
    } else {
        format!("; {stream} ends with:\n{tail}")
    }
}

/// The result type of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A stored document that is not what provbase wrote: its schema, its `format_version` or its
/// `digest` says so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Fields that do not fit the schema (the first few, each at its JSON pointer).
    #[error("does not match the {schema} schema: {}", .violations.join("; "))]
    Schema {
        /// The schema's file name (`manifest.schema.json`).
        schema: String,
        /// `<pointer>: <what is wrong>`, at most three.
        violations: Vec<String>,
    },
    /// Not an object.
    #[error("not a JSON object")]
    NotObject,
    /// An entry the document's `format_version` cannot hold: a folder digest before version 2,
    /// an object in a store before version 3. provbase never writes one.
    #[error(
        "an entry of format_version {needs} in a format_version {found} document ({}): the file was edited by hand",
        if *.needs == 2 { "folder digests need version 2" } else { "objects in stores need version 3" }
    )]
    EntryNeedsVersion {
        /// The document's version.
        found: u64,
        /// The version its entries need.
        needs: u64,
    },
    /// A version (`format_version`, a bundle document's `version`) this build does not read.
    #[error("unknown {member} {found} (this provbase {} reads 1 to {reads})", env!("CARGO_PKG_VERSION"))]
    UnknownVersion {
        /// The member holding it.
        member: &'static str,
        /// The value found, as JSON.
        found: String,
        /// The newest version this build reads.
        reads: u64,
    },
    /// No `format_version`.
    #[error("no `format_version`")]
    NoVersion,
    /// A `digest` that is not the content's.
    #[error(
        "`digest` does not match the content (it says {says}, the content gives {gives}): the file was edited by hand"
    )]
    DigestMismatch {
        /// The digest the document holds.
        says: String,
        /// The digest of its content.
        gives: String,
    },
    /// A `digest` that is not a digest.
    #[error("`digest` is not of the form sha256:<64 lowercase hex>")]
    DigestShape,
    /// No `digest`.
    #[error("no `digest`")]
    NoDigest,
}

/// A folder object's bytes that are not an object's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectError {
    /// Not UTF-8.
    #[error("not UTF-8 text")]
    NotText,
    /// The last entry has no terminating NUL.
    #[error("its last entry is not ended")]
    Unended,
    /// An entry that is not of either form.
    #[error("entry {entry}: not `file <hex> <size> <name>` or `tree <hex> <files> <bytes> <name>`")]
    Entry {
        /// 1-based.
        entry: usize,
    },
}

/// A list of registered names (techniques, extractors) that breaks their rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NamesError {
    /// More names than a list may hold.
    #[error("{count} names, more than the {max} allowed")]
    TooMany {
        /// How many.
        count: usize,
        /// The most allowed.
        max: usize,
    },
    /// A name longer than allowed.
    #[error("a name of {len} bytes (`{start}…`), more than the {max} allowed")]
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// Its first 40 characters, escaped.
        start: String,
        /// The most allowed.
        max: usize,
    },
    /// Empty, or holding blanks or control characters (escaped here).
    #[error("`{0}` is not a name")]
    NotAName(String),
    /// A command printed JSON that does not parse.
    #[error("printed JSON that does not parse: {0}")]
    Json(String),
    /// A command printed JSON that is not an array.
    #[error("printed JSON that is not an array of names")]
    NotArray,
    /// A command printed an array holding something else than a string.
    #[error("printed a non-string entry {0}")]
    NotString(String),
    /// A command printed lines that break the rule.
    #[error("printed {0} (expected a JSON array of strings or one name per line)")]
    Printed(Box<NamesError>),
}

/// What git could not tell.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// No repository holds the folder.
    #[error("not a git repository")]
    NotRepository(#[source] git2::Error),
    /// The repository has no work tree.
    #[error("bare repository")]
    Bare,
    /// `git status` gave no answer where only it was asked.
    #[error("the git command did not answer")]
    CommandSilent,
    /// libgit2 failed.
    #[error("{}", .0.message())]
    Libgit2(#[from] git2::Error),
}
