//! A moved HEAD: not drift when no change since the baseline's commit touches what the run
//! depends on.

use super::Session;
use crate::config::{NamesSpec, RunSpec};
use crate::drift::{self, Drift};
use crate::manifest::types::keys;
use crate::policy::{CommitRole, HeadMoved};
use serde_json::{Value, json};

impl Session {
    /// What a run depends on that its manifest does not hash: the files its commands name
    /// (the pipeline, techniques, extractors, externals) and its entry in harness.toml.
    pub(super) fn unhashed_dependencies(&self, run: &RunSpec) -> crate::explain::Unhashed {
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
            accepted_dirty: None,
        }
    }

    /// A moved HEAD is not drift when no change since the baseline's commit touches what the
    /// run depends on (hashed files drift by themselves; see [`Session::unhashed_dependencies`]
    /// for the rest) and nothing else fails: then the commit fields (`code.git_sha`, `code.git_short_sha`, and any
    /// field of an external document that holds the commit, such as rms-nav's
    /// `rms_nav_git_sha`) are ignored, and a note says how far HEAD moved. Otherwise they are
    /// judged as `git` (warn by default), with the reason when the baseline's commit is gone.
    pub(super) fn judge_head(
        &self,
        run: &RunSpec,
        baseline: &crate::store::Stored,
        current: &Value,
        drifts: &mut [Drift],
    ) -> Option<crate::explain::Note> {
        let (text, baseline) = (&baseline.text, &baseline.value);
        let base = &crate::manifest::types::commit_of(baseline)?;
        let head = &crate::manifest::types::commit_of(current)?;
        let roles: Vec<CommitRole> = drifts.iter().map(|d| role(d, base, head)).collect();
        let moved = if base == head {
            None
        } else if !roles
            .iter()
            .any(|r| matches!(r, CommitRole::Commit | CommitRole::HoldsCommit))
        {
            return None;
        } else {
            Some(crate::explain::head_moved(
                &self.config.root,
                base,
                head,
                &crate::explain::Unhashed {
                    accepted_dirty: (crate::manifest::types::dirty_of(baseline) == Some(true))
                        .then(|| crate::explain::AcceptedDirty {
                            path: self.config.rel(&self.config.baseline_path(&run.name)),
                            bytes: text.clone(),
                        }),
                    ..self.unhashed_dependencies(run)
                },
                &self.head,
            )?)
        };
        let counted = match &moved {
            None => HeadMoved::No,
            Some(crate::explain::HeadMove::Untouched { .. }) => HeadMoved::Untouched,
            Some(_) => HeadMoved::Touched,
        };
        let mut judged: Vec<_> = drifts
            .iter_mut()
            .zip(roles)
            .map(|(d, role)| (&mut d.policy, d.category, role))
            .collect();
        match self.config.policy().judge_head(&mut judged, counted) {
            // a hashed dependency that changed fails by itself; the commits are its context
            HeadMoved::Touched if counted == HeadMoved::Untouched => None,
            _ => note(moved?),
        }
    }
}

/// What a drift is to HEAD's move from `base` to `head`.
fn role(d: &Drift, base: &str, head: &str) -> CommitRole {
    match commit_field(d, base, head) {
        Some(false) => CommitRole::Commit,
        Some(true) => CommitRole::HoldsCommit,
        None if is_checkout(d) => CommitRole::Checkout,
        None if is_cleaned(d) => CommitRole::Cleaned,
        None => CommitRole::Other,
    }
}

/// Where the checkout is (its remote, its branch or a detached HEAD) says nothing of what the run
/// depends on: a clone in CI, a pull request's detached HEAD.
fn is_checkout(d: &Drift) -> bool {
    d.category == drift::Category::Git
        && matches!(
            d.path.key(1),
            Some(keys::code::REMOTE | keys::code::BRANCH | keys::code::DETACHED)
        )
}

/// The tree that became clean by committing: what it held is hashed where it matters.
fn is_cleaned(d: &Drift) -> bool {
    d.category == drift::Category::Git
        && matches!(
            d.path.key(1),
            Some(keys::code::DIRTY | keys::code::UNTRACKED)
        )
        && (d.after == Some(json!(false)) || d.after == Some(json!(0)))
}

/// Whether a drift is the commit moving: `Some(false)` for the manifest's own commit fields,
/// `Some(true)` for an external document's or a package set's value that names the baseline's
/// commit and names HEAD's now ([`holds_commit`]), `None` for anything else.
fn commit_field(d: &Drift, base: &str, head: &str) -> Option<bool> {
    if d.category == drift::Category::Git
        && matches!(
            d.path.key(1),
            Some(keys::code::GIT_SHA | keys::code::GIT_SHORT_SHA)
        )
    {
        return Some(false);
    }
    match (&d.before, &d.after) {
        (Some(Value::String(b)), Some(Value::String(a)))
            if matches!(
                d.category,
                drift::Category::External | drift::Category::Runtime
            ) && holds_commit(b, base, a, head) =>
        {
            Some(true)
        }
        _ => None,
    }
}

/// Whether `s` is (an abbreviation of) the commit `full`.
fn is_commit(s: &str, full: &str) -> bool {
    (7..=full.len()).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_hexdigit())
        && full.starts_with(&s.to_ascii_lowercase())
}

/// Whether two values are one value that names the commit it was taken at: the same text
/// with the baseline's commit where the current one has HEAD's — rms-nav's `rms_nav_git_sha`,
/// a project's own editable install in `pip freeze` (`editable git+file://…@<commit>`) — or,
/// as rms-nav's envelope writes a dirty tree, `dirty` where HEAD's commit is now.
fn holds_commit(before: &str, base: &str, after: &str, head: &str) -> bool {
    if before == "dirty" {
        return is_commit(after, head);
    }
    let hex_runs = |s: &str| -> Vec<(usize, usize)> {
        let mut runs = Vec::new();
        let mut start = None;
        for (i, c) in s.char_indices().chain([(s.len(), ' ')]) {
            match (c.is_ascii_hexdigit(), start) {
                (true, None) => start = Some(i),
                (false, Some(st)) => {
                    runs.push((st, i));
                    start = None;
                }
                _ => {}
            }
        }
        runs
    };
    let (rb, ra) = (hex_runs(before), hex_runs(after));
    if rb.len() != ra.len() {
        return false;
    }
    let (mut moved, mut b_at, mut a_at) = (false, 0, 0);
    for (&(bs, be), &(as_, ae)) in rb.iter().zip(&ra) {
        if before[b_at..bs] != after[a_at..as_] {
            return false;
        }
        let (x, y) = (&before[bs..be], &after[as_..ae]);
        if x != y {
            if !(is_commit(x, base) && is_commit(y, head)) {
                return false;
            }
            moved = true;
        }
        (b_at, a_at) = (be, ae);
    }
    moved && before[b_at..] == after[a_at..]
}

/// What a report says of HEAD's move.
fn note(moved: crate::explain::HeadMove) -> Option<crate::explain::Note> {
    match moved {
        crate::explain::HeadMove::Untouched { commits, from, to } => Some(crate::explain::Note {
            subject: "HEAD".into(),
            text: format!(
                "moved {commits} commit{} since the baseline's commit {from} (now {to}); none touches this run's files",
                if commits == 1 { "" } else { "s" }
            ),
        }),
        crate::explain::HeadMove::Unknown(why) => Some(crate::explain::Note {
            subject: "HEAD".into(),
            text: why,
        }),
        crate::explain::HeadMove::Touched(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::holds_commit;

    const BASE: &str = "e0e23b3a9c1d4f5e6a7b8c9d0e1f2a3b4c5d6e7f";
    const HEAD: &str = "5f1a50a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8";

    #[test]
    fn values_that_name_the_commit_they_were_taken_at() {
        for (before, after) in [
            ("e0e23b3", "5f1a50a"),
            (BASE, HEAD),
            (
                "editable git+file:///home/me/nav@e0e23b3a9c1d4f5e6a7b8c9d0e1f2a3b4c5d6e7f",
                "editable git+file:///home/me/nav@5f1a50a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8",
            ),
            ("dirty", "5f1a50a"),
            ("nav 1.2 (e0e23b3a)", "nav 1.2 (5f1a50a2)"),
        ] {
            assert!(
                holds_commit(before, BASE, after, HEAD),
                "{before} → {after}"
            );
        }
        for (before, after) in [
            ("e0e23b3", "e0e23b3"),
            ("1.2.3", "1.2.4"),
            (
                "editable git+file:///home/me/nav@e0e23b3a",
                "editable git+file:///home/me/other@5f1a50a2",
            ),
            ("nav 1.2 (e0e23b3a)", "nav 1.3 (5f1a50a2)"),
            ("abc1234", "5f1a50a"),
            ("dirty", "clean"),
            ("e0e23b3", "dirty"),
        ] {
            assert!(
                !holds_commit(before, BASE, after, HEAD),
                "{before} → {after}"
            );
        }
    }
}
