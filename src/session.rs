//! The one path both front doors share: collect a run (facts once, then the run's own
//! collectors), strip, compare with its baseline, and judge; or accept it.

use crate::collect::facts::NameKind;
use crate::collect::{CollectError, Facts, files};
use crate::config::{Config, NamesSpec, RunSpec};
use crate::drift::{self, Drift, Policy, Verdict};
use crate::error::{Error, Result};
use crate::manifest::types::{Output, Runtime};
use crate::manifest::{self, FORMAT_VERSION, Manifest, Sha256};
use crate::store;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What a check concluded about one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
    /// When the check began: UTC, whole seconds.
    pub taken: String,
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
        Session { config, facts }
    }

    /// The facts cache.
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    fn err(run: &RunSpec, source: impl Into<CollectError>) -> Error {
        Error::Collect {
            run: run.name.clone(),
            context: None,
            source: Box::new(source.into()),
        }
    }

    fn err_in(run: &RunSpec, context: String, source: CollectError) -> Error {
        Error::Collect {
            run: run.name.clone(),
            context: Some(context),
            source: Box::new(source),
        }
    }

    fn unreadable(run: &RunSpec, rel: &str, e: &std::io::Error) -> Error {
        Self::err(
            run,
            CollectError::Unreadable {
                path: rel.to_owned(),
                reason: e.to_string(),
            },
        )
    }

    fn hashes(
        &self,
        run: &RunSpec,
        matched: &[files::Matched],
        since_ns: i64,
    ) -> Result<BTreeMap<String, Sha256>> {
        let paths: Vec<&std::path::Path> = matched.iter().map(|m| m.abs.as_path()).collect();
        let stamps: Vec<Option<crate::cache::Stamp>> = matched.iter().map(|m| m.stamp).collect();
        matched
            .iter()
            .zip(
                self.facts
                    .hash_all_stamped(&paths, Some((&stamps, since_ns))),
            )
            .map(|(m, h)| {
                let h = h.map_err(|e| Self::unreadable(run, &m.rel, &e))?;
                Ok((m.rel.clone(), Sha256(h)))
            })
            .collect()
    }

    /// The files a run's globs of one key name (`code`, `static_data`, …).
    fn expand(
        &self,
        run: &RunSpec,
        globs: &[crate::config::GlobSpec],
        key: &str,
    ) -> Result<Vec<files::Matched>> {
        let ignored = |p: &std::path::Path| key == "code" && self.facts.git_ignores(p);
        files::expand(
            &self.config.root,
            globs,
            key,
            &ignored,
            self.facts.cache_enabled(),
            run.allow_outside,
        )
        .map_err(|m| Self::err(run, m))
    }

    /// The full manifest of a run, time fields included, sealed with its digest.
    pub fn collect(&self, run: &RunSpec) -> Result<Value> {
        Ok(manifest::document(&self.collect_typed(run)?))
    }

    /// The full manifest of a run as its type (its `digest` is set when it becomes a document).
    pub fn collect_typed(&self, run: &RunSpec) -> Result<Manifest> {
        let root = &self.config.root;
        // before any file is stat-ed: the stat cache trusts an entry only as of this moment
        let since_ns = crate::cache::now_ns();
        if let Some(cmd) = &run.command {
            crate::collect::command::run(&cmd.argv, root, cmd.timeout).map_err(|e| {
                Self::err_in(
                    run,
                    format!("the pipeline command (harness.toml line {})", cmd.line),
                    e,
                )
            })?;
        }
        let mut code = self.facts.git().clone();
        code.scope = Some(self.hashes(run, &self.expand(run, &run.code, "code")?, since_ns)?);
        let static_data_hashes = self.hashes(
            run,
            &self.expand(run, &run.static_data, "static_data")?,
            since_ns,
        )?;
        let mut params = Value::Object(run.params.clone());
        crate::redact::scrub_json(&mut params);
        let outputs = if run.outputs.is_empty() {
            None
        } else {
            Some(self.outputs(run)?)
        };
        let inputs = if run.inputs.is_empty() {
            None
        } else {
            Some(self.hashes(run, &self.expand(run, &run.inputs, "inputs")?, since_ns)?)
        };
        let spice_kernels = match &run.spice {
            Some(spice) => Some(
                crate::collect::spice::collect(root, spice, &|p| self.facts.hash(p))
                    .map_err(|e| Self::err(run, e))?,
            ),
            None => None,
        };
        let external = if run.external.is_empty() {
            None
        } else {
            let mut ext = BTreeMap::new();
            for (name, spec) in &run.external {
                let v = crate::collect::external::collect(spec, root).map_err(|e| {
                    Self::err_in(
                        run,
                        format!("external `{name}` (harness.toml line {})", spec.line),
                        e,
                    )
                })?;
                ext.insert(name.clone(), v);
            }
            Some(ext)
        };
        Ok(Manifest {
            format_version: FORMAT_VERSION,
            run: run.name.clone(),
            pipeline_run_iso8601: Some(self.facts.host().now_iso8601()),
            code,
            static_data_hashes,
            params: match params {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            inputs,
            outputs,
            spice_kernel_count: spice_kernels.as_ref().map(|k| k.len() as u64),
            spice_kernels,
            technique_names: self.names(
                run,
                "technique_names",
                run.techniques.as_ref(),
                NameKind::Techniques,
            )?,
            extractor_names: self.names(
                run,
                "extractor_names",
                run.extractors.as_ref(),
                NameKind::Extractors,
            )?,
            hardware: run.hardware.then(|| self.facts.hardware().clone()),
            runtime: self.runtime(run),
            environment: crate::collect::environment::collect(&run.env, self.facts.host()),
            external,
            digest: Sha256::default(),
        })
    }

    /// Each output's hash; with `outputs_tolerance`, a JSON output's parsed value instead, so
    /// that its numbers can be compared within the tolerance.
    fn outputs(&self, run: &RunSpec) -> Result<BTreeMap<String, Output>> {
        let matched = self.expand(run, &run.outputs, "outputs")?;
        let mut out = BTreeMap::new();
        for m in matched {
            let v = if !run.outputs_tolerance.is_empty() && m.rel.ends_with(".json") {
                let bytes = std::fs::read(&m.abs).map_err(|e| Self::unreadable(run, &m.rel, &e))?;
                let mut v = crate::canonical::parse_strict(&bytes).map_err(|e| {
                    Self::err(run, format!("output {} is not valid JSON: {e}", m.rel))
                })?;
                crate::canonical::stringify_big_integers(&mut v);
                Output::Json { json: v }
            } else {
                Output::Hash(Sha256(self.facts.hash(&m.abs).map_err(|e| {
                    Self::err(run, format!("cannot read {}: {e}", m.rel))
                })?))
            };
            out.insert(m.rel, v);
        }
        Ok(out)
    }

    fn runtime(&self, run: &RunSpec) -> Runtime {
        Runtime {
            provbase: self.facts.host().version.clone(),
            tools: run
                .runtime
                .iter()
                .map(|tool| (tool.clone(), self.facts.runtime(tool)))
                .collect(),
        }
    }

    fn names(
        &self,
        run: &RunSpec,
        key: &str,
        spec: Option<&NamesSpec>,
        kind: NameKind,
    ) -> Result<Option<Vec<String>>> {
        let configured = match spec {
            None => None,
            Some(NamesSpec::List(l)) => Some(l.clone()),
            Some(NamesSpec::Command(c)) => Some(self.facts.names_from(c).map_err(|e| {
                Self::err_in(run, format!("{key} (harness.toml line {})", c.line), e)
            })?),
        };
        let registered = self
            .facts
            .registered(kind)
            .transpose()
            .map_err(|e| Self::err_in(run, key.to_owned(), CollectError::Invalid(e)))?;
        Ok(match (configured, registered) {
            (None, None) => None,
            (a, b) => {
                let mut all: Vec<String> = a.into_iter().chain(b).flatten().collect();
                all.sort();
                all.dedup();
                Some(all)
            }
        })
    }

    /// Registers a function that returns names for every run (see
    /// [`crate::harness::Harness::techniques`]).
    pub fn register(&mut self, kind: NameKind, f: crate::collect::facts::NamesFn) -> &mut Self {
        self.facts.register(kind, f);
        self
    }

    /// A run's document with the configuration's strip rules applied, sealed again.
    pub fn strip_document(&self, run: &RunSpec, mut m: Value) -> Result<Value> {
        crate::strip::strip(&mut m, &self.config.strip)
            .map_err(|e| Self::err(run, e.to_string()))?;
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
                Self::err(
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
        let stored = store::load(&path);
        // the digest of the bytes just read, not a second read of the file
        let compared_with = stored
            .as_ref()
            .ok()
            .and_then(Option::as_ref)
            .map(|s| crate::canonical::sha256_tagged(s.text.as_bytes()));
        let current = self.stripped(run);
        let current_text = current
            .as_ref()
            .ok()
            .map(|c| String::from_utf8_lossy(&crate::canonical::pretty_bytes(c)).into_owned());
        let mut candidate = None;
        let checked = match (stored, current) {
            (Err(e), _) | (_, Err(e)) => Checked::Failed(std::sync::Arc::new(e)),
            (Ok(None), Ok(current)) => {
                candidate = self.leave_candidate(run, current, None);
                Checked::Missing
            }
            (Ok(Some(stored)), Ok(current)) => {
                let c = self.compare(run, stored, &current);
                if c.verdict == Verdict::Fail {
                    candidate = self.leave_candidate(run, current, compared_with);
                }
                Checked::Compared(c)
            }
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
        let head = self.judge_head(run, &stored.value, current, &mut drifts);
        let shown: Vec<&Drift> = drifts
            .iter()
            .filter(|d| d.policy != Policy::Ignore)
            .collect();
        let mut explanation = if shown.is_empty() {
            Vec::new()
        } else {
            crate::explain::explain(&self.config.root, &stored.value, &shown)
        };
        explanation.extend(head);
        Comparison {
            verdict: drift::verdict(&drifts),
            drifts,
            explanation,
            baseline_text: stored.text,
        }
    }

    /// Writes a run's candidate under `.prov/candidates/`; `None` when it cannot be written
    /// (a read-only checkout): a candidate is a convenience, the check's verdict stands.
    fn leave_candidate(
        &self,
        run: &RunSpec,
        manifest: Value,
        compared_with: Option<String>,
    ) -> Option<String> {
        self.write_candidate(run, manifest, compared_with).ok()
    }

    fn write_candidate(
        &self,
        run: &RunSpec,
        manifest: Value,
        compared_with: Option<String>,
    ) -> Result<String> {
        let baseline = self.config.rel(&self.config.baseline_path(&run.name));
        let path = store::candidates_dir(&self.config.root).join(&baseline);
        let c = store::Candidate {
            run: run.name.clone(),
            baseline,
            compared_with,
            manifest,
        };
        crate::disk::ensure_prov_ignored(&self.config.root)
            .map_err(|e| Error::io(&self.config.root, e))?;
        store::write_if_changed(&path, &crate::canonical::pretty_bytes(&c.to_value()))?;
        Ok(self.config.rel(&path))
    }

    /// Accept, or in CI (unless `force`) leave a candidate instead of touching the committed
    /// baseline: a CI job never rewrites what the team committed.
    pub fn accept_or_candidate(&self, run: &RunSpec, force: bool) -> Result<Accepted> {
        if force || !crate::options::in_ci() {
            return self.accept(run);
        }
        let path = self.config.baseline_path(&run.name);
        let compared_with = store::file_digest(&path)?;
        let current = self.stripped(run)?;
        if compared_with.as_deref()
            == Some(&crate::canonical::sha256_tagged(&crate::canonical::pretty_bytes(&current))[..])
        {
            return Ok(Accepted::Unchanged);
        }
        self.write_candidate(run, current, compared_with)
            .map(Accepted::Candidate)
    }

    /// The drift a candidate would bring to its baseline as it is now.
    pub fn candidate_drift(&self, c: &store::Candidate) -> Result<Vec<Drift>> {
        let target = self.config.root.join(&c.baseline);
        let empty = json!({});
        let stored = store::load(&target)?;
        let before = stored.as_ref().map_or(&empty, |s| &s.value);
        Ok(drift::compare(before, &c.manifest, self.config.policy()))
    }

    /// Writes a candidate's manifest over its baseline, unless the baseline changed since the
    /// candidate was made (stale). The manifest is checked as a baseline first, so a forged or
    /// broken candidate is refused naming its file.
    pub fn apply_candidate(&self, file: &std::path::Path, c: &store::Candidate) -> Result<Applied> {
        let target = self.config.root.join(&c.baseline);
        let bytes = crate::canonical::pretty_bytes(&c.manifest);
        store::parse(file, bytes.clone())?;
        let lock = store::Lock::acquire(
            &self.config.root,
            target.parent().unwrap_or(&self.config.root),
        )?;
        if let Some(dir) = target.parent() {
            store::remove_stale_temp_files(dir, &lock);
        }
        let found = store::file_digest(&target)?;
        if found != c.compared_with {
            return Ok(Applied::Stale {
                expected: c.compared_with.clone(),
                found,
            });
        }
        let drifts = self.candidate_drift(c)?;
        Ok(if store::write_if_changed(&target, &bytes)? {
            Applied::Written(drifts)
        } else {
            Applied::Unchanged
        })
    }

    /// What a run depends on that its manifest does not hash: the files its commands name
    /// (the pipeline, techniques, extractors, externals) and its entry in harness.toml.
    fn unhashed_dependencies(&self, run: &RunSpec) -> crate::explain::Unhashed {
        let mut argvs: Vec<&Vec<String>> = run.command.iter().map(|c| &c.argv).collect();
        argvs.extend(run.external.values().map(|c| &c.argv));
        for spec in [&run.techniques, &run.extractors].into_iter().flatten() {
            if let NamesSpec::Command(c) = spec {
                argvs.push(&c.argv);
            }
        }
        let mut files: Vec<String> = argvs
            .into_iter()
            .flatten()
            .filter(|a| {
                !std::path::Path::new(a).is_absolute() && self.config.root.join(a).is_file()
            })
            .map(|a| a.trim_start_matches("./").to_owned())
            .collect();
        files.sort();
        files.dedup();
        crate::explain::Unhashed {
            files,
            config: Some((self.config.rel(&self.config.path), run.name.clone())),
        }
    }

    /// A moved HEAD is not drift when no change since the baseline's commit touches what the
    /// run depends on (hashed files drift by themselves; see [`Session::unhashed_dependencies`]
    /// for the rest) and nothing else fails: then the commit fields (`code.git_sha`, `code.git_short_sha`, and any
    /// field of an external document that holds the commit, such as rms-nav's
    /// `rms_nav_git_sha`) are ignored, and a note says how far HEAD moved. Otherwise they are
    /// judged as `git` (warn by default), with the reason when the baseline's commit is gone.
    fn judge_head(
        &self,
        run: &RunSpec,
        baseline: &Value,
        current: &Value,
        drifts: &mut [Drift],
    ) -> Option<crate::explain::Note> {
        let base = &crate::manifest::types::commit_of(baseline)?;
        let head = &crate::manifest::types::commit_of(current)?;
        // where the checkout is (its remote, its branch or a detached HEAD) says nothing of
        // what the run depends on: a clone in CI, a pull request's detached HEAD
        let checkout = |d: &Drift| {
            d.category == drift::Category::Git
                && matches!(d.path.key(1), Some("remote" | "branch" | "detached"))
        };
        if base == head {
            for d in drifts.iter_mut().filter(|d| checkout(d)) {
                d.policy = Policy::Ignore;
            }
            return None;
        }
        let is_commit = |s: &str, full: &str| {
            (7..=full.len()).contains(&s.len())
                && s.bytes().all(|b| b.is_ascii_hexdigit())
                && full.starts_with(&s.to_ascii_lowercase())
        };
        let kind = |d: &Drift| {
            if d.category == drift::Category::Git
                && matches!(d.path.key(1), Some("git_sha" | "git_short_sha"))
            {
                return Some(false);
            }
            match (&d.before, &d.after) {
                (Some(Value::String(b)), Some(Value::String(a)))
                    if d.category == drift::Category::External
                        && is_commit(b, base)
                        && is_commit(a, head) =>
                {
                    Some(true)
                }
                _ => None,
            }
        };
        if !drifts.iter().any(|d| kind(d).is_some()) {
            return None;
        }
        let mut moved = crate::explain::head_moved(
            &self.config.root,
            base,
            head,
            &self.unhashed_dependencies(run),
        )?;
        // a hashed dependency that changed fails by itself; the commits are then its context
        if matches!(moved, crate::explain::HeadMove::Untouched { .. })
            && drifts
                .iter()
                .any(|d| d.policy == Policy::Fail && d.category != drift::Category::External)
        {
            moved = crate::explain::HeadMove::Touched(Vec::new());
        }
        let git_policy = self.config.policy().for_path(
            &crate::path::JsonPath(vec![
                crate::path::Segment::Key("code".into()),
                crate::path::Segment::Key("git_sha".into()),
            ]),
            drift::Category::Git,
        );
        // the tree that became clean by committing: what it held is hashed where it matters
        let cleaned = |d: &Drift| {
            d.category == drift::Category::Git
                && matches!(d.path.key(1), Some("dirty" | "untracked"))
                && (d.after == Some(json!(false)) || d.after == Some(json!(0)))
        };
        for d in drifts.iter_mut() {
            let untouched = matches!(moved, crate::explain::HeadMove::Untouched { .. });
            match kind(d) {
                Some(_) if untouched => d.policy = Policy::Ignore,
                Some(true) => d.policy = git_policy,
                None if untouched && (cleaned(d) || checkout(d)) => d.policy = Policy::Ignore,
                _ => {}
            }
        }
        match moved {
            crate::explain::HeadMove::Untouched { commits, from, to } => {
                Some(crate::explain::Note {
                    subject: "HEAD".into(),
                    text: format!(
                        "moved {commits} commit{} since the baseline's commit {from} (now {to}); none touches this run's files",
                        if commits == 1 { "" } else { "s" }
                    ),
                })
            }
            crate::explain::HeadMove::Unknown(why) => Some(crate::explain::Note {
                subject: "HEAD".into(),
                text: why,
            }),
            crate::explain::HeadMove::Touched(_) => None,
        }
    }

    /// Writes a run's baseline if its bytes would change, atomically and under the folder's lock.
    ///
    /// Two accepts never lose an update: the baseline is read before collecting, and when it
    /// changed by the time this accept writes (another accept wrote it meanwhile), nothing is
    /// written and the error says so. Temporary files of a killed accept are removed.
    pub fn accept(&self, run: &RunSpec) -> Result<Accepted> {
        let path = self.config.baseline_path(&run.name);
        let before = store::read_if_exists(&path)?;
        let current = self.stripped(run)?;
        let bytes = crate::canonical::pretty_bytes(&current);
        let lock = store::Lock::acquire(&self.config.root, &self.config.baselines_dir())?;
        if let Some(dir) = path.parent() {
            store::remove_stale_temp_files(dir, &lock);
        }
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
        if !self.facts.cache_enabled() {
            second.facts.disable_cache();
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
        let taken = self.facts.host().now_iso8601();
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
            taken,
        })
    }

    /// Baseline files in the baselines folder that no configured run owns.
    pub fn orphans(&self) -> Result<Vec<PathBuf>> {
        let names: Vec<&str> = self.config.runs.iter().map(|r| r.name.as_str()).collect();
        store::orphans(&self.config.baselines_dir(), &names)
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
