//! The Rust front door: one libtest-mimic trial per configured run, plus one trial that finds
//! orphan baselines.
//!
//! ```no_run
//! // tests/baselines.rs, with `[[test]] name = "baselines"` and `harness = false` in Cargo.toml
//! fn main() -> std::process::ExitCode {
//!     provbase::harness::main()
//! }
//! ```
//!
//! A pipeline that registers its components in code can record them too:
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     provbase::harness::Harness::new()
//!         .techniques(|| vec!["BodyLimbNav".into(), "DTFitting".into()])
//!         .extractors(|| vec!["RingEdgeExtractor".into()])
//!         .main()
//! }
//! ```
//!
//! It takes libtest's arguments (`--list`, `--exact`, filters, `--format json`, …) and
//! `--accept`, `--force` and `--twice`, which it removes before libtest-mimic parses the rest. Runners that pass no extra
//! arguments (cargo-nextest) get the same with `PROVBASE_ACCEPT=1`. Listing reads only
//! harness.toml and collects nothing.

use crate::collect::facts::{NameKind, NamesFn};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::session::{Accepted, Session, Status};
use libtest_mimic::{Arguments, Conclusion, Failed, Trial};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

pub use crate::report::ORPHANS_TRIAL;

/// Runs the harness with the process's arguments and environment.
pub fn main() -> ExitCode {
    Harness::new().main()
}

/// The test harness, configurable before it runs.
#[derive(Default)]
pub struct Harness {
    config: Option<PathBuf>,
    profile: Option<String>,
    techniques: Option<NamesFn>,
    extractors: Option<NamesFn>,
}

impl Harness {
    /// A harness with the defaults described on each setter.
    pub fn new() -> Harness {
        Harness::default()
    }

    /// The configuration file. Default: `PROVBASE_CONFIG`, else the nearest `harness.toml` from
    /// the current folder upward (cargo runs tests in the package's folder).
    pub fn config(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.config = Some(path.into());
        self
    }

    /// The profile. Default: `PROVBASE_PROFILE`, else none.
    pub fn profile(&mut self, name: impl Into<String>) -> &mut Self {
        self.profile = Some(name.into());
        self
    }

    /// Registers the pipeline's techniques in code: `f` is called once, when the first run is
    /// collected (never while listing), and its names join every run's `technique_names`
    /// (sorted and de-duplicated with any the run lists in harness.toml). Default: none.
    pub fn techniques(&mut self, f: impl Fn() -> Vec<String> + Send + Sync + 'static) -> &mut Self {
        self.techniques = Some(Arc::new(f));
        self
    }

    /// Registers the pipeline's extractors in code, as [`Harness::techniques`] does for
    /// `extractor_names`. Default: none.
    pub fn extractors(&mut self, f: impl Fn() -> Vec<String> + Send + Sync + 'static) -> &mut Self {
        self.extractors = Some(Arc::new(f));
        self
    }

    /// Runs with the process's arguments and returns the exit code: 0 when every trial passed,
    /// 101 when one failed (as libtest), 2 when the configuration could not be read.
    pub fn main(&mut self) -> ExitCode {
        ExitCode::from(self.exit_status(std::env::args_os()))
    }

    /// Runs with the given arguments (the first is the program name) and returns the exit
    /// status [`Harness::main`] exits with.
    pub fn exit_status<I, T>(&mut self, args: I) -> u8
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        match self.run(args) {
            Ok(c) if c.has_failed() => crate::error::exit::TRIAL_FAILED,
            Ok(_) => crate::error::exit::OK,
            Err(e) => {
                eprintln!("error: {}", crate::outbound::text(&e.to_string()));
                e.exit_code().max(crate::error::exit::USAGE)
            }
        }
    }

    /// Runs with the given arguments (the first is the program name, as in `std::env::args`).
    pub fn run<I, T>(&mut self, args: I) -> Result<Conclusion>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        crate::options::check().map_err(|bad| Error::Usage(bad.to_string()))?;
        let mut args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let before = args.len();
        args.retain(|a| a != "--accept");
        let asked = args.len() != before;
        let with_force = args.len();
        args.retain(|a| a != "--force");
        let (from_env, env_force) = crate::options::accept_from_env();
        let accept = asked || from_env;
        let force = env_force || args.len() != with_force;
        let with_twice = args.len();
        args.retain(|a| a != "--twice");
        let twice = args.len() != with_twice;
        let program = args.first().cloned().unwrap_or_default();
        let parsed = Arguments::from_iter(args);

        let path = Config::locate(self.config.as_deref())?;
        let mut config = Config::load(&path)?;
        let profile = self
            .profile
            .clone()
            .or_else(|| crate::options::get().profile.clone());
        if let Some(p) = &profile {
            config.select_profile(p)?;
        }
        let hint = AcceptHint::for_program(Path::new(&program), profile.as_deref());
        let collected: Arc<Mutex<Collected>> = Arc::default();
        let mut session = Session::new(config);
        if let Some(f) = &self.techniques {
            session.register(NameKind::Techniques, Arc::clone(f));
        }
        if let Some(f) = &self.extractors {
            session.register(NameKind::Extractors, Arc::clone(f));
        }
        let session = Arc::new(session);
        let mut trials: Vec<Trial> = session
            .config
            .runs
            .iter()
            .map(|run| {
                let session = Arc::clone(&session);
                let name = run.name.clone();
                let hint = hint.clone();
                let collected = Arc::clone(&collected);
                Trial::test(run.name.clone(), move || {
                    if twice {
                        return twice_trial(&session, &name);
                    }
                    run_trial(&session, &name, (accept, force), &hint, &collected)
                })
            })
            .collect();
        let session_o = Arc::clone(&session);
        let collected_o = Arc::clone(&collected);
        if !twice {
            trials.push(Trial::test(ORPHANS_TRIAL, move || {
                orphans_trial(&session_o, &collected_o)
            }));
        }
        let started = session.facts().host().now_iso8601();
        let conclusion = libtest_mimic::run(&parsed, trials);
        let mut done = std::mem::take(&mut *collected.lock().unwrap_or_else(|e| e.into_inner()));
        done.reports.sort_by(|a, b| a.run.cmp(&b.run));
        if !parsed.list {
            done.taken = session.taken(started);
        }
        publish_reports(&session, &done, &hint, parsed.list)?;
        Ok(conclusion)
    }
}

/// Writes the JUnit and JSON reports the environment asks for (fresh on every run that is not
/// a listing, one of no test included, so that a reporter never reads an earlier run's file),
/// and GitHub's annotations and step summary. Not under cargo-nextest, which runs one process
/// per test: each would write its own one-run report over the others.
fn publish_reports(
    session: &Session,
    done: &Collected,
    hint: &AcceptHint,
    list: bool,
) -> Result<()> {
    let accept = |run: &str| hint.command(run);
    let nextest = crate::options::get().nextest;
    let report_file = |path: Option<PathBuf>, what: &str, instead: &str| {
        let path = path.map(workspace_relative).filter(|_| !list)?;
        if nextest {
            eprintln!(
                "provbase: {what} is ignored under cargo-nextest, which runs one process per test: {instead}"
            );
            return None;
        }
        Some(path)
    };
    let options = crate::options::get();
    let junit = report_file(
        options.junit.clone(),
        "PROVBASE_JUNIT",
        "use nextest's own JUnit output",
    );
    let json_report = report_file(
        options.json_report.clone(),
        "PROVBASE_JSON_REPORT",
        "run `provbase check --format json` for the JSON report",
    );
    crate::report::publish(
        &session.config,
        done,
        &accept,
        junit.as_deref(),
        json_report.as_deref(),
    )
}

/// A relative `PROVBASE_JUNIT` names a file from where `cargo test` was typed, which is the
/// workspace's root in a workspace: cargo runs a member's tests in the member's folder, so a
/// relative path is taken from the nearest folder above whose Cargo.toml has `[workspace]`
/// (the current folder when there is none).
fn workspace_relative(path: PathBuf) -> PathBuf {
    if path.is_absolute() {
        return path;
    }
    let Ok(cwd) = std::env::current_dir() else {
        return path;
    };
    let root = cwd
        .ancestors()
        .find(|d| {
            std::fs::read_to_string(d.join("Cargo.toml"))
                .is_ok_and(|t| t.lines().any(|l| l.trim() == "[workspace]"))
        })
        .unwrap_or(&cwd);
    root.join(path)
}

/// How to tell the user to accept, depending on how the harness was started.
#[derive(Clone, Debug)]
struct AcceptHint {
    prefix: String,
    nextest: bool,
    test: String,
}

impl AcceptHint {
    fn for_program(program: &Path, profile: Option<&str>) -> AcceptHint {
        let stem = program
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        // cargo names test binaries `<test>-<16 hex digits>`
        let test = match stem.rsplit_once('-') {
            Some((t, h)) if h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                t.to_owned()
            }
            _ if stem.is_empty() => "baselines".to_owned(),
            _ => stem,
        };
        AcceptHint {
            prefix: profile
                .map(|p| format!("PROVBASE_PROFILE={p} "))
                .unwrap_or_default(),
            nextest: crate::options::get().nextest,
            test,
        }
    }

    fn command(&self, run: &str) -> String {
        if self.nextest {
            format!(
                "{}PROVBASE_ACCEPT=1 cargo nextest run --test {} -E 'test(={run})'",
                self.prefix, self.test
            )
        } else {
            format!(
                "{}cargo test --test {} -- --accept --exact {run}",
                self.prefix, self.test
            )
        }
    }
}

/// What the trials found, for the JUnit and GitHub reports written after they all ran: the
/// same outcome the CLI's check builds.
type Collected = crate::session::Outcome;

fn run_trial(
    session: &Session,
    name: &str,
    (accept, force): (bool, bool),
    hint: &AcceptHint,
    collected: &Mutex<Collected>,
) -> Result<(), Failed> {
    let run = session
        .config
        .run(name)
        .ok_or_else(|| Failed::from(format!("run `{name}` vanished from the configuration")))?;
    let cmd = hint.command(name);
    if accept {
        return match session.accept_or_candidate(run, force) {
            Ok(Accepted::Written) => {
                eprintln!(
                    "provbase: accepted {}",
                    session.config.rel(&session.config.baseline_path(name))
                );
                Ok(())
            }
            Ok(Accepted::Unchanged) => Ok(()),
            Ok(Accepted::Candidate(c)) => {
                eprintln!(
                    "provbase: in CI committed baselines are not rewritten; the candidate is {c} (PROVBASE_ACCEPT=force writes it)"
                );
                Ok(())
            }
            Err(e) => Err(Failed::from(
                crate::outbound::text(&format!("cannot accept: {e}")).into_owned(),
            )),
        };
    }
    let report = session.check(run);
    let text = crate::report::render_run(&report, &cmd);
    collected
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .reports
        .push(report.clone());
    match report.status() {
        Status::Pass => Ok(()),
        Status::Warn => {
            eprint!("provbase warning: {}", crate::outbound::text(&text));
            Ok(())
        }
        Status::Fail | Status::Missing | Status::Error => {
            Err(Failed::from(crate::outbound::text(&text).into_owned()))
        }
    }
}

/// `--twice`: collects the run twice and fails naming each field that differs, with the
/// strip selector that removes it (the CLI's `check --twice`, run by run).
fn twice_trial(session: &Session, name: &str) -> Result<(), Failed> {
    let volatile = session
        .volatile(&[name.to_owned()])
        .map_err(|e| Failed::from(e.to_string()))?;
    if volatile.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = volatile
        .iter()
        .map(|(run, d)| crate::report::human::volatile_line(run, d))
        .collect();
    Err(Failed::from(
        crate::outbound::text(&lines.join("\n")).into_owned(),
    ))
}

fn orphans_trial(session: &Session, collected: &Mutex<Collected>) -> Result<(), Failed> {
    let orphans = session.orphans().map_err(|e| Failed::from(e.to_string()))?;
    if orphans.is_empty() {
        return Ok(());
    }
    collected.lock().unwrap_or_else(|e| e.into_inner()).orphans =
        orphans.iter().map(|p| session.config.rel(p)).collect();
    let text: String = orphans
        .iter()
        .map(|p| {
            format!(
                "{}: {}\n",
                session.config.rel(p),
                crate::report::ORPHAN_HINT
            )
        })
        .collect();
    Err(Failed::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_name_the_test_target_and_profile() {
        let h = AcceptHint {
            prefix: String::new(),
            nextest: false,
            test: "baselines".into(),
        };
        assert_eq!(
            h.command("r1"),
            "cargo test --test baselines -- --accept --exact r1"
        );
        let h = AcceptHint::for_program(
            Path::new("/t/deps/baselines-0123456789abcdef"),
            Some("nightly"),
        );
        assert_eq!(h.test, "baselines");
        assert!(h.prefix.starts_with("PROVBASE_PROFILE=nightly"));
        assert_eq!(
            AcceptHint::for_program(Path::new("/t/prov-check"), None).test,
            "prov-check"
        );
    }
}
