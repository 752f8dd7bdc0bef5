//! Error types of the library. Each carries the file, line or key it is about; the CLI maps
//! them to exit codes (see [`Error::exit_code`]).

use std::path::PathBuf;

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
    /// A baseline holds merge-conflict markers; accept regenerates it.
    #[error("{}: conflicted: the file holds merge-conflict markers; re-run accept to regenerate it", path.display())]
    Conflicted {
        /// The baseline file.
        path: PathBuf,
    },
    /// A section of the manifest could not be collected for a run.
    #[error("run `{run}`: {message}")]
    Collect {
        /// The run.
        run: String,
        /// What failed, naming the file, pattern or command.
        message: String,
    },
    /// A JSON document given on the command line is not usable.
    #[error("{}: {message}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

impl Error {
    /// The exit status the CLI uses for this error: 2 for usage and configuration problems,
    /// 1 for a run that could not be checked.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config { .. } | Error::ConfigNotFound { .. } | Error::Usage(_) => 2,
            Error::Json { .. } | Error::Io { .. } => 2,
            Error::Baseline { .. } | Error::Conflicted { .. } | Error::Collect { .. } => 1,
        }
    }

    /// Whether accepting the run again repairs what is wrong (a conflicted baseline).
    pub fn accept_repairs(&self) -> bool {
        matches!(self, Error::Conflicted { .. })
    }

    /// Wraps an I/O error with the path it is about.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// The result type of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
