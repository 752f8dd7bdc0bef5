//! Candidates: what accept would write, left under `.prov/candidates/` by a failing check or by
//! accept in CI, and applied later (by `accept --from` or `review`) unless their baseline moved.

use super::{Accepted, Applied, Session};
use crate::config::RunSpec;
use crate::drift::{self, Drift};
use crate::error::{Error, Result};
use crate::store;
use serde_json::{Value, json};

impl Session {
    /// Writes a run's candidate under `.prov/candidates/`; `None` when it cannot be written
    /// (a read-only checkout): a candidate is a convenience, the check's verdict stands.
    pub(super) fn leave_candidate(
        &self,
        run: &RunSpec,
        manifest: Value,
        compared_with: Option<String>,
    ) -> Option<String> {
        self.write_candidate(run, manifest, compared_with).ok()
    }

    pub(super) fn write_candidate(
        &self,
        run: &RunSpec,
        manifest: Value,
        compared_with: Option<String>,
    ) -> Result<String> {
        let baseline = self.config.rel(&self.config.baseline_path(&run.name));
        let path = store::candidates_dir(&self.config.root).join(&baseline);
        let trees = crate::manifest::tree::trees_in(&manifest);
        let c = store::Candidate {
            run: run.name.clone(),
            baseline,
            compared_with,
            manifest,
        };
        crate::disk::ensure_prov_ignored(&self.config.root)
            .map_err(|e| Error::io(&self.config.root, e))?;
        store::write_if_changed(&path, &crate::canonical::pretty_bytes(&c.to_value()))?;
        // the objects of its folders travel with it (CI's candidates artifact), so that
        // whoever accepts it can name the files of a later drift
        let trees: Vec<_> = trees.into_iter().map(|t| t.tree).collect();
        let beside = crate::trees::Store::at(&crate::trees::beside_candidates(
            &store::candidates_dir(&self.config.root),
        ));
        if let Err(e) = self.facts.trees().copy_to(&trees, &beside) {
            eprintln!("provbase: warning: the candidate's folder objects are not all here: {e}");
        }
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

    /// Takes the folder objects that travel with the candidates under `dir` into
    /// `.prov/trees/`; how many.
    pub fn take_trees(&self, dir: &std::path::Path) -> usize {
        self.facts
            .trees()
            .take_from(&crate::trees::beside_candidates(dir))
    }

    /// The baseline a candidate may write: the one of the configured run it names, in the
    /// baselines folder of the default configuration or of a profile, reached through no
    /// symbolic link out of the project. A candidate may come from a fork's CI artifact, so
    /// anything else (a path into `.git/` or `src/`, another run's baseline, a manifest of
    /// another run) is refused naming the candidate's file.
    pub fn candidate_target(
        &self,
        file: &std::path::Path,
        c: &store::Candidate,
    ) -> Result<std::path::PathBuf> {
        let refuse = |why: String| Error::Baseline {
            path: file.to_owned(),
            problem: format!("refused candidate: {why}"),
        };
        let Some(run) = self.config.run(&c.run) else {
            return Err(refuse(format!(
                "it names run `{}`, which harness.toml does not configure",
                crate::outbound::inert(&c.run)
            )));
        };
        let named = c.manifest.get("run").and_then(Value::as_str);
        if named != Some(run.name.as_str()) {
            return Err(refuse(format!(
                "its manifest is of run `{}`, not of `{}`",
                crate::outbound::inert(named.unwrap_or("(none)")),
                run.name
            )));
        }
        let file_name = format!("{}.json", run.name);
        let Some(dir) = self
            .config
            .all_baselines_dirs()
            .into_iter()
            .find(|d| self.config.rel(&d.join(&file_name)) == c.baseline)
        else {
            return Err(refuse(format!(
                "it would write `{}`, which is not run `{}`'s baseline (`{}`)",
                crate::outbound::inert(&c.baseline),
                run.name,
                self.config.rel(&self.config.baseline_path(&run.name))
            )));
        };
        let rel = std::path::Path::new(&c.baseline);
        if let Err(why) = crate::config::resolved_inside(&self.config.root, rel) {
            return Err(refuse(format!("`{}` {why}", c.baseline)));
        }
        let target = dir.join(file_name);
        if std::fs::symlink_metadata(&target).is_ok_and(|m| !m.is_file()) {
            return Err(refuse(format!(
                "`{}` is not a regular file (a symbolic link?)",
                c.baseline
            )));
        }
        Ok(target)
    }

    /// The drift a candidate would bring to its baseline as it is now.
    /// A candidate refused by [`Session::candidate_target`] is an error naming `file`.
    pub fn candidate_drift(
        &self,
        file: &std::path::Path,
        c: &store::Candidate,
    ) -> Result<Vec<Drift>> {
        let target = self.candidate_target(file, c)?;
        let empty = json!({});
        let stored = store::load(&target)?;
        let before = stored.as_ref().map_or(&empty, |s| &s.value);
        Ok(drift::compare(before, &c.manifest, self.config.policy()))
    }

    /// Writes a candidate's manifest over its baseline, unless the baseline changed since the
    /// candidate was made (stale). The manifest is checked as a baseline first, so a forged or
    /// broken candidate is refused naming its file.
    pub fn apply_candidate(&self, file: &std::path::Path, c: &store::Candidate) -> Result<Applied> {
        let target = self.candidate_target(file, c)?;
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
        let drifts = self.candidate_drift(file, c)?;
        Ok(if store::write_if_changed(&target, &bytes)? {
            Applied::Written(drifts)
        } else {
            Applied::Unchanged
        })
    }

    /// Refuses to write committed baselines from candidates in CI unless `force` (or
    /// `PROVBASE_ACCEPT=force`): what `accept --from` and `review` ask before anything else.
    /// `what` names the command in the refusal.
    pub fn may_apply_candidates(&self, what: &str, force: bool) -> Result<()> {
        if crate::options::in_ci() && !force && !crate::options::accept_from_env().1 {
            return Err(crate::Error::Usage(format!(
                "{what} writes committed baselines: in CI it needs --force (or PROVBASE_ACCEPT=force)"
            )));
        }
        Ok(())
    }

    /// A reviewed candidate accepted: applied as [`Session::apply_candidate`] does, then its
    /// file removed once its baseline holds it (as `cargo insta review` removes a `.snap.new`).
    /// A stale candidate is kept.
    pub fn accept_reviewed(&self, file: &std::path::Path, c: &store::Candidate) -> Result<Applied> {
        let applied = self.apply_candidate(file, c)?;
        if !matches!(applied, Applied::Stale { .. }) {
            remove_candidate(file)?;
        }
        Ok(applied)
    }

    /// A reviewed candidate rejected: its file removed; the baseline stays as it is. Only a
    /// candidate provbase can read is removed, so a mistyped path deletes nothing else.
    pub fn reject_reviewed(&self, file: &std::path::Path) -> Result<()> {
        store::Candidate::load(file)?;
        remove_candidate(file)
    }
}

fn remove_candidate(file: &std::path::Path) -> Result<()> {
    std::fs::remove_file(file).map_err(|e| crate::Error::io(file, e))
}
