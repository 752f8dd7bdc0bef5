//! Every environment variable that changes what provbase does, read once per process into one
//! typed [`Options`], a bad value rejected with the variable's name: `PROVBASE_*`, `CI` and the
//! CI systems' own variables, `GITHUB_ACTIONS` and `GITHUB_STEP_SUMMARY`, `NEXTEST` and
//! `NEXTEST_RUN_ID`, `NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE` and `TERM`, and `HOME` and `PATH` (where
//! collectors write paths as `~/…` and look for `nvidia-smi`).

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::OnceLock;

/// What `PROVBASE_ACCEPT` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AcceptVar {
    /// Unset, empty, `0`, `false` or `no`.
    #[default]
    No,
    /// `1`, `true` or `yes`: accept (where the harness gets no `--accept`).
    Yes,
    /// `force`: accept in CI too.
    Force,
}

/// The environment as provbase reads it.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// In CI: `CI` set to anything but empty, `0` or `false`, or any CI system that `ci_info`
    /// recognises by its own variables (GitHub Actions, GitLab, Azure Pipelines, Jenkins,
    /// Buildkite, CircleCI, TeamCity, Travis and some 40 more), or `JENKINS_URL` alone.
    pub ci: bool,
    /// `GITHUB_ACTIONS=true`.
    pub github_actions: bool,
    /// `GITHUB_STEP_SUMMARY`.
    pub github_step_summary: Option<PathBuf>,
    /// `NEXTEST` set: the harness runs under cargo-nextest.
    pub nextest: bool,
    /// `NEXTEST_RUN_ID`.
    pub nextest_run_id: Option<String>,
    /// `PROVBASE_ACCEPT`.
    pub accept: AcceptVar,
    /// `PROVBASE_CONFIG`.
    pub config: Option<PathBuf>,
    /// `PROVBASE_PROFILE`.
    pub profile: Option<String>,
    /// `PROVBASE_JUNIT`.
    pub junit: Option<PathBuf>,
    /// `PROVBASE_JSON_REPORT`: where both front doors also write the JSON report of a check.
    pub json_report: Option<PathBuf>,
    /// `PROVBASE_RUNNER`: the name reports give this machine (else a hash of its host name).
    pub runner: Option<String>,
    /// `PROVBASE_NO_CACHE`.
    pub no_cache: bool,
    /// `PROVBASE_HASH_THREADS`: a positive number.
    pub hash_threads: Option<usize>,
    /// `PROVBASE_NVML_LIBRARY`.
    pub nvml_library: Option<OsString>,
    /// `PROVBASE_REDACT_KEY`.
    pub redact_key: Option<OsString>,
    /// `NO_COLOR` set and not empty, `CLICOLOR=0`, or `TERM=dumb`: never colour.
    pub no_color: bool,
    /// `CLICOLOR_FORCE` set and not `0`: colour even off a terminal.
    pub color_force: bool,
    /// `HOME`, when set and not empty.
    pub home: Option<OsString>,
    /// `PATH`.
    pub path: Option<OsString>,
}

/// A variable with a value provbase cannot take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadVar {
    /// The variable.
    pub name: &'static str,
    /// Its value.
    pub value: String,
    /// What it may be.
    pub expected: &'static str,
}

impl std::fmt::Display for BadVar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}={:?}: expected {}",
            self.name, self.value, self.expected
        )
    }
}

fn text(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn nonempty_os(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

fn flag(name: &'static str) -> Result<bool, BadVar> {
    match text(name).map(|v| v.to_ascii_lowercase()).as_deref() {
        None | Some("" | "0" | "false" | "no") => Ok(false),
        Some("1" | "true" | "yes") => Ok(true),
        Some(other) => Err(BadVar {
            name,
            value: other.to_owned(),
            expected: "1, true, yes, or 0, false, no",
        }),
    }
}

impl Options {
    /// Reads the environment now.
    pub fn from_env() -> Result<Options, BadVar> {
        let set = |n: &str| text(n).is_some_and(|v| !v.is_empty());
        let accept = match text("PROVBASE_ACCEPT")
            .map(|v| v.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("" | "0" | "false" | "no") => AcceptVar::No,
            Some("1" | "true" | "yes") => AcceptVar::Yes,
            Some("force") => AcceptVar::Force,
            Some(other) => {
                return Err(BadVar {
                    name: "PROVBASE_ACCEPT",
                    value: other.to_owned(),
                    expected: "1, true, yes, force, or 0, false, no",
                });
            }
        };
        let hash_threads = match text("PROVBASE_HASH_THREADS").filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    return Err(BadVar {
                        name: "PROVBASE_HASH_THREADS",
                        value: v,
                        expected: "a number of threads, 1 or more",
                    });
                }
            },
        };
        let github_actions = text("GITHUB_ACTIONS").is_some_and(|v| v == "true");
        let runner = match text("PROVBASE_RUNNER").filter(|v| !v.is_empty()) {
            None => None,
            Some(v)
                if v.len() <= 64
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) =>
            {
                Some(v)
            }
            Some(v) => {
                return Err(BadVar {
                    name: "PROVBASE_RUNNER",
                    value: v,
                    expected: "a name of at most 64 letters, digits, `.`, `_` or `-`",
                });
            }
        };
        Ok(Options {
            ci: in_ci_env(&set, github_actions),
            github_actions,
            github_step_summary: nonempty_os("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            nextest: std::env::var_os("NEXTEST").is_some(),
            nextest_run_id: text("NEXTEST_RUN_ID").filter(|v| !v.is_empty()),
            accept,
            config: nonempty_os("PROVBASE_CONFIG").map(PathBuf::from),
            profile: text("PROVBASE_PROFILE").filter(|v| !v.is_empty()),
            junit: nonempty_os("PROVBASE_JUNIT").map(PathBuf::from),
            json_report: nonempty_os("PROVBASE_JSON_REPORT").map(PathBuf::from),
            runner,
            no_cache: flag("PROVBASE_NO_CACHE")?,
            hash_threads,
            nvml_library: std::env::var_os("PROVBASE_NVML_LIBRARY"),
            redact_key: nonempty_os("PROVBASE_REDACT_KEY"),
            // CLICOLOR=0 as clap (anstream) reads it: no colour even on a terminal, unless
            // CLICOLOR_FORCE says otherwise
            no_color: nonempty_os("NO_COLOR").is_some()
                || (text("CLICOLOR").is_some_and(|v| v == "0")
                    && text("CLICOLOR_FORCE").is_none_or(|v| v.is_empty() || v == "0"))
                || text("TERM").is_some_and(|t| t == "dumb"),
            color_force: text("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0"),
            home: nonempty_os("HOME"),
            path: std::env::var_os("PATH"),
        })
    }
}

/// Whether the environment is a CI job's: `CI` true-ish, or a CI system's own variables, since
/// Jenkins, TeamCity and others set no `CI` at all (`PROVBASE_ACCEPT=force` is the way to write
/// committed baselines there).
fn in_ci_env(set: &dyn Fn(&str) -> bool, github_actions: bool) -> bool {
    text("CI").is_some_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "" | "0" | "false"))
        || github_actions
        || set("GITLAB_CI")
        || set("TF_BUILD")
        || set("JENKINS_URL")
        || ci_info::get().vendor.is_some()
}

static OPTIONS: OnceLock<Result<Options, BadVar>> = OnceLock::new();

/// The options of this process, read on first use; a bad value is reported by [`check`] at
/// the front doors, and reads as the default elsewhere.
pub fn get() -> &'static Options {
    static DEFAULT: OnceLock<Options> = OnceLock::new();
    match OPTIONS.get_or_init(Options::from_env) {
        Ok(o) => o,
        Err(_) => DEFAULT.get_or_init(Options::default),
    }
}

/// The front doors' first call: a variable with a bad value is an error naming it.
pub fn check() -> Result<(), BadVar> {
    OPTIONS
        .get_or_init(Options::from_env)
        .as_ref()
        .map(|_| ())
        .map_err(Clone::clone)
}

/// Whether a variable is set to a true value (`1`, `true`, `yes`, any case).
pub fn env_flag(name: &str) -> bool {
    std::env::var(name)
        .is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

/// Whether provbase runs in CI, where committed baselines are never rewritten unless forced.
pub fn in_ci() -> bool {
    get().ci
}

/// `PROVBASE_ACCEPT`: (accept, force).
pub fn accept_from_env() -> (bool, bool) {
    match get().accept {
        AcceptVar::No => (false, false),
        AcceptVar::Yes => (true, false),
        AcceptVar::Force => (true, true),
    }
}
