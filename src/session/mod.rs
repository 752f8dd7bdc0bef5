//! The one path both front doors share: collect a run (facts once, then the run's own
//! collectors), strip, compare with its baseline, and judge; or accept it.

mod candidates;
mod collect;
mod head;
mod remote;

use crate::collect::{CollectError, Facts};
use crate::config::{Config, RunSpec};
use crate::drift::{self, Drift, Policy, Verdict};
use crate::error::{Error, Result};
use crate::manifest;
use crate::store;
use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;

/// What a check concluded about one run.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nothing reportable drifted.
    Pass,
    /// Only warnings.
    Warn,
    /// Failing drift.
    Fail,
    /// No baseline yet.
    Missing,
    /// The check could not run (bad baseline, a file that cannot be read, …).
    Error,
}

/// What comparing a run with its baseline found.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Pass, warn or fail.
    pub verdict: Verdict,
    /// Every drift, ignored ones included (reports leave those out).
    pub drifts: Vec<Drift>,
    /// Why the shown drifts happened, where git history can tell, and how far HEAD moved.
    pub explanation: Vec<crate::explain::Note>,
    /// The baseline as it is on disk.
    pub baseline_text: String,
}

/// What a check of one run came to: a comparison, no baseline, or an error — one of them, so
/// that a status and a message can never disagree.
#[derive(Debug, Clone)]
pub enum Checked {
    /// Compared with its baseline.
    Compared(Comparison),
    /// No baseline yet.
    Missing,
    /// The check could not run (a bad baseline, a file that cannot be read, …).
    Failed(std::sync::Arc<Error>),
}

/// The outcome of checking one run.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The run's name.
    pub run: String,
    /// Its baseline file, relative to the project root.
    pub baseline: String,
    /// What the check came to.
    pub checked: Checked,
    /// What accept would write, when the run could be collected.
    pub current_text: Option<String>,
    /// Where a failing or missing run left its candidate (relative to the project's folder).
    pub candidate: Option<String>,
    /// How long collecting and comparing took.
    pub duration: std::time::Duration,
}

impl RunReport {
    /// The conclusion.
    pub fn status(&self) -> Status {
        match &self.checked {
            Checked::Compared(c) => match c.verdict {
                Verdict::Pass => Status::Pass,
                Verdict::Warn => Status::Warn,
                Verdict::Fail => Status::Fail,
            },
            Checked::Missing => Status::Missing,
            Checked::Failed(_) => Status::Error,
        }
    }

    /// Every drift, ignored ones included (none unless compared).
    pub fn drifts(&self) -> &[Drift] {
        match &self.checked {
            Checked::Compared(c) => &c.drifts,
            _ => &[],
        }
    }

    /// The drifts a report shows: those whose policy is not `ignore`.
    pub fn shown(&self) -> impl Iterator<Item = &Drift> {
        self.drifts().iter().filter(|d| d.policy != Policy::Ignore)
    }

    /// The explanation of the drifts (none unless compared).
    pub fn explanation(&self) -> &[crate::explain::Note] {
        match &self.checked {
            Checked::Compared(c) => &c.explanation,
            _ => &[],
        }
    }

    /// Why the check could not run.
    pub fn error(&self) -> Option<&Error> {
        match &self.checked {
            Checked::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// The baseline as it is on disk, when it was compared.
    pub fn baseline_text(&self) -> Option<&str> {
        match &self.checked {
            Checked::Compared(c) => Some(&c.baseline_text),
            _ => None,
        }
    }
}

/// What accept did with one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// A new or changed baseline was written.
    Written,
    /// The baseline already held these bytes; it was not touched.
    Unchanged,
    /// In CI: the baseline was left alone, and what accept would write is this candidate
    /// (relative to the project's folder).
    Candidate(String),
}

/// The outcome of checking the selected runs: what every report (human, JSON, JUnit, GitHub,
/// Markdown) of either front door is written from.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// One report per run, in configuration order.
    pub reports: Vec<RunReport>,
    /// Baseline files no run owns, relative to the project's folder (judged only when every
    /// run was selected).
    pub orphans: Vec<String>,
    /// Where and when the check was taken.
    pub taken: Taken,
}

/// Where and when a check was taken: what lets the reports of many machines and nights be
/// folded into one picture.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct Taken {
    /// When the check began: UTC, whole seconds.
    pub time: String,
    /// The machine (`PROVBASE_RUNNER`, else a hash of its host name): stable, and not its host name.
    pub runner: String,
    /// The commit checked out, when in git.
    pub commit: Option<String>,
    /// The GPUs and their driver, when a run recorded hardware.
    pub gpu: Option<GpuSummary>,
}

/// A machine's GPUs in one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct GpuSummary {
    /// The model, with a count when there are several (`4 × NVIDIA A100-SXM4-80GB`).
    pub model: String,
    /// The driver's version.
    pub driver: Option<String>,
}

impl Outcome {
    /// Whether the check fails: failing drift, a missing baseline, a run that could not be
    /// checked, or an orphan baseline.
    pub fn failed(&self) -> bool {
        self.reports
            .iter()
            .any(|r| matches!(r.status(), Status::Fail | Status::Missing | Status::Error))
            || !self.orphans.is_empty()
    }
}

/// What applying a candidate did.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// The baseline was written; these drifts are what it changed.
    Written(Vec<Drift>),
    /// The baseline already held these bytes.
    Unchanged,
    /// The baseline changed since the candidate was made: nothing was written.
    Stale {
        /// The digest the candidate was compared with.
        expected: Option<String>,
        /// The baseline's digest now.
        found: Option<String>,
    },
}

/// A configuration plus the facts collected so far.
pub struct Session {
    /// The configuration (profile applied).
    pub config: Config,
    facts: Facts,
    /// What judging a moved HEAD learned, for the runs that follow.
    head: crate::explain::HeadMemo,
    /// Abandoned temporary files under `.prov/` are looked for once per process.
    swept: std::sync::Once,
}

impl Session {
    /// A session over a configuration. Collects nothing yet.
    pub fn new(config: Config) -> Session {
        Session::excluding(config, Vec::new())
    }

    /// A session whose git state also ignores the files under `extra` (a bundle being
    /// written, for example), besides the baselines folders and `.prov/`.
    pub fn excluding(config: Config, extra: Vec<PathBuf>) -> Session {
        Session::on_host(config, extra, crate::collect::Host::this_machine())
    }

    /// A session whose collectors read the clock, the environment and the hardware from
    /// `host` (pinned in tests and the frozen format fixtures).
    pub fn on_host(config: Config, mut extra: Vec<PathBuf>, host: crate::collect::Host) -> Session {
        extra.extend(config.all_baselines_dirs());
        extra.push(crate::disk::local(&config.root, crate::disk::Local::Root));
        let facts = Facts::on(&config.root, extra, host);
        Session {
            config,
            facts,
            head: Default::default(),
            swept: std::sync::Once::new(),
        }
    }

    /// The facts cache.
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// What a run's files or commands gave is not what its section needs.
    fn invalid(run: &RunSpec, message: String) -> Error {
        Self::err(run, CollectError::Invalid(message))
    }

    fn err(run: &RunSpec, source: CollectError) -> Error {
        Error::Collect {
            run: run.name.clone(),
            context: None,
            source: Box::new(source),
        }
    }

    fn err_in(run: &RunSpec, context: String, source: CollectError) -> Error {
        Error::Collect {
            run: run.name.clone(),
            context: Some(context),
            source: Box::new(source),
        }
    }

    fn unreadable(run: &RunSpec, rel: &str, e: std::io::Error) -> Error {
        Self::err(
            run,
            CollectError::Unreadable {
                path: rel.to_owned(),
                source: e.into(),
            },
        )
    }

    /// A run's document with the configuration's strip rules applied, sealed again.
    pub fn strip_document(&self, run: &RunSpec, mut m: Value) -> Result<Value> {
        crate::strip::strip(&mut m, &self.config.strip).map_err(|e| Error::Strip {
            context: format!("run `{}`", run.name),
            source: Box::new(e),
        })?;
        manifest::seal(&mut m);
        Ok(m)
    }

    /// The stripped manifest: what a baseline holds, sealed with its digest.
    pub fn stripped(&self, run: &RunSpec) -> Result<Value> {
        let m = self.strip_document(run, self.collect(run)?)?;
        // accept never writes what check would refuse to read
        crate::schema::validate(crate::schema::Doc::Manifest, &m)
            .and_then(|()| manifest::validate(&m))
            .map_err(|p| {
                Self::invalid(
                    run,
                    format!(
                        "the stripped manifest is not a valid baseline ({p}): does a `strip` selector in harness.toml remove a required field?"
                    ),
                )
            })?;
        Ok(m)
    }

    /// Compares a run with its baseline. Never fails: a check that cannot run is a report with
    /// status [`Status::Error`].
    pub fn check(&self, run: &RunSpec) -> RunReport {
        let path = self.config.baseline_path(&run.name);
        let started = std::time::Instant::now();
        let raw = store::read_if_exists(&path);
        // the digest of the bytes just read, not a second read of the file
        let compared_with = raw
            .as_ref()
            .ok()
            .and_then(Option::as_ref)
            .map(|b| crate::canonical::sha256_tagged(b));
        let current = self.stripped(run);
        let current_bytes = current.as_ref().ok().map(crate::canonical::pretty_bytes);
        let current_text = current_bytes
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned());
        let mut candidate = None;
        let checked = match (raw, current) {
            (Err(e), _) | (_, Err(e)) => Checked::Failed(std::sync::Arc::new(e)),
            (Ok(None), Ok(current)) => {
                candidate = self.leave_candidate(run, current, None);
                Checked::Missing
            }
            // a baseline byte for byte what accept would write now: valid (accept wrote it)
            // and without a drift, so neither parsed nor walked (1,000 runs check in a blink)
            (Ok(Some(bytes)), Ok(_)) if current_bytes.as_deref() == Some(&bytes[..]) => {
                Checked::Compared(Comparison {
                    verdict: Verdict::Pass,
                    drifts: Vec::new(),
                    explanation: Vec::new(),
                    baseline_text: current_text.clone().unwrap_or_default(),
                })
            }
            (Ok(Some(bytes)), Ok(current)) => match store::parse(&path, bytes) {
                Err(e) => Checked::Failed(std::sync::Arc::new(e)),
                Ok(stored) => {
                    let c = self.compare(run, stored, &current);
                    if c.verdict == Verdict::Fail {
                        candidate = self.leave_candidate(run, current, compared_with);
                    }
                    Checked::Compared(c)
                }
            },
        };
        RunReport {
            run: run.name.clone(),
            baseline: self.config.rel(&path),
            checked,
            current_text,
            candidate,
            duration: started.elapsed(),
        }
    }

    /// Compares a run's stored baseline with what was collected now, judges a moved HEAD, and
    /// explains what drifted.
    fn compare(&self, run: &RunSpec, stored: store::Stored, current: &Value) -> Comparison {
        let mut drifts = drift::compare_within(
            &stored.value,
            current,
            self.config.policy(),
            &run.outputs_tolerance,
        );
        let head = self.judge_head(run, &stored, current, &mut drifts);
        let shown: Vec<&Drift> = drifts
            .iter()
            .filter(|d| d.policy != Policy::Ignore)
            .collect();
        let mut explanation = if shown.is_empty() {
            Vec::new()
        } else {
            crate::explain::explain(&self.config.root, self.facts.trees(), &stored.value, &shown)
        };
        explanation.extend(head);
        Comparison {
            verdict: drift::verdict(&drifts),
            drifts,
            explanation,
            baseline_text: stored.text,
        }
    }

    /// Writes a run's baseline if its bytes would change, atomically and under the folder's lock.
    ///
    /// Two accepts never lose an update: the baseline is read before collecting, and when it
    /// changed by the time this accept writes (another accept wrote it meanwhile), nothing is
    /// written and the error says so. Temporary files of a killed accept are removed.
    pub fn accept(&self, run: &RunSpec) -> Result<Accepted> {
        let path = self.config.baseline_path(&run.name);
        // a baseline is a regular file: a link (committed by anyone) would have accept write
        // wherever it leads
        if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.is_file()) {
            return Err(Error::Baseline {
                path,
                problem: "not a regular file (a symbolic link?): provbase writes a baseline only as a file of its own; remove it, then accept".into(),
            });
        }
        let before = store::read_if_exists(&path)?;
        let current = self.stripped(run)?;
        let bytes = crate::canonical::pretty_bytes(&current);
        let lock = store::Lock::acquire(&self.config.root, &self.config.baselines_dir())?;
        if let Some(dir) = path.parent() {
            store::remove_stale_temp_files(dir, &lock);
        }
        // the folders writers share without a lock: what a killed process left long ago,
        // looked for once per process, not once per run
        self.swept.call_once(|| {
            let local = |what| crate::disk::local(&self.config.root, what);
            for dir in [
                crate::trees::folder(&self.config.root),
                local(crate::disk::Local::Cache),
                local(crate::disk::Local::Cache).join("folders"),
            ] {
                crate::disk::remove_abandoned_temp_files(&dir);
            }
        });
        let now = store::read_if_exists(&path)?;
        if now != before && now.as_deref() != Some(&bytes[..]) {
            return Err(Error::Baseline {
                path,
                problem: "changed while this accept was collecting (another accept wrote it): nothing was written; check, then accept again".into(),
            });
        }
        Ok(if store::write_if_changed(&path, &bytes)? {
            Accepted::Written
        } else {
            Accepted::Unchanged
        })
    }

    /// Collects each named run (all when `names` is empty) twice, with facts collected anew
    /// for the second time, and returns the fields that differ: volatile fields to strip. The
    /// second collection keeps this session's cache setting (`--no-cache` included).
    pub fn volatile(&self, names: &[String]) -> Result<Vec<(String, Drift)>> {
        let second = Session::on_host(self.config.clone(), Vec::new(), self.facts.host().clone());
        if !self.facts.files().cache_enabled() {
            second.facts.files().disable_cache();
        }
        let mut out = Vec::new();
        for run in self.select(names)? {
            let a = self.stripped(run)?;
            let b = second.stripped(run).map_err(|e| {
                Self::err_in(
                    run,
                    "the second collection failed".into(),
                    CollectError::Invalid(e.to_string()),
                )
            })?;
            for d in drift::compare(&a, &b, self.config.policy()) {
                out.push((run.name.clone(), d));
            }
        }
        Ok(out)
    }

    /// Checks the named runs (all when `names` is empty); orphans are judged only when every
    /// run is checked, so a filtered check never calls the runs it skipped orphans.
    pub fn check_selected(&self, names: &[String]) -> Result<Outcome> {
        let started = self.facts.host().now_iso8601();
        let reports = self
            .select(names)?
            .into_iter()
            .map(|r| self.check(r))
            .collect();
        let orphans = if names.is_empty() {
            self.orphans()?.iter().map(|p| self.config.rel(p)).collect()
        } else {
            Vec::new()
        };
        Ok(Outcome {
            reports,
            orphans,
            taken: self.taken(started),
        })
    }

    /// Where and when a check that began at `time` was taken: this machine, the commit, and the
    /// GPUs if a run recorded them.
    pub fn taken(&self, time: String) -> Taken {
        let gpu = self
            .facts
            .hardware_collected()
            .and_then(|h| crate::collect::gpu::summary(&h.gpus))
            .map(|(model, driver)| GpuSummary { model, driver });
        Taken {
            time,
            runner: self.facts.host().runner_id(),
            commit: self.facts.repo().code().git_sha.value().cloned(),
            gpu,
        }
    }

    /// Baseline files in the baselines folder that no configured run owns.
    pub fn orphans(&self) -> Result<Vec<PathBuf>> {
        let names: Vec<&str> = self.config.runs.iter().map(|r| r.name.as_str()).collect();
        store::orphans(&self.config.baselines_dir(), &names)
    }

    /// The folder objects under `.prov/trees/` that no baseline (of any profile) and no
    /// candidate refers to, with their sizes: what `prune` removes; and how many such objects
    /// are kept because they were written or used within the last 15 minutes: an
    /// accept collecting now may be about to write a baseline that refers to them.
    pub fn unreferenced_trees(&self) -> Result<(Vec<(PathBuf, u64)>, usize)> {
        let mut roots = Vec::new();
        let mut docs = Vec::new();
        for dir in self.config.all_baselines_dirs() {
            docs.extend(store::list(&dir)?);
        }
        let candidates =
            store::candidates_in(&store::candidates_dir(&self.config.root)).unwrap_or_default();
        for path in docs {
            // a file that does not parse refers to nothing
            if let Ok(Some(doc)) = store::load_json(&path) {
                roots.extend(
                    crate::manifest::tree::trees_in(&doc)
                        .into_iter()
                        .map(|t| t.tree),
                );
            }
        }
        for (_, c) in candidates {
            roots.extend(
                crate::manifest::tree::trees_in(&c.manifest)
                    .into_iter()
                    .map(|t| t.tree),
            );
        }
        let now = std::time::SystemTime::now();
        let (old, recent): (Vec<_>, Vec<_>) = self
            .facts
            .trees()
            .unreferenced(&roots)
            .into_iter()
            .partition(|(p, _)| {
                std::fs::metadata(p)
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| {
                        now.duration_since(t)
                            .is_ok_and(|age| age >= crate::disk::ABANDONED_AFTER)
                    })
            });
        Ok((old, recent.len()))
    }

    /// The runs named, in configuration order; all of them when `names` is empty. An unknown
    /// name is a usage error listing the known ones.
    pub fn select(&self, names: &[String]) -> Result<Vec<&RunSpec>> {
        if let Some(bad) = names.iter().find(|n| self.config.run(n).is_none()) {
            let known: Vec<&str> = self.config.runs.iter().map(|r| r.name.as_str()).collect();
            return Err(Error::Usage(format!(
                "no run named `{bad}` in {} (runs: {})",
                self.config.path.display(),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            )));
        }
        Ok(self
            .config
            .runs
            .iter()
            .filter(|r| names.is_empty() || names.contains(&r.name))
            .collect())
    }
}
