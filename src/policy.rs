//! Policies: what a drift in a field of some [`Category`] does to the verdict ([`Policy`]), the configured policies ([`PolicySet`]), and the tolerances of
//! numeric outputs ([`Tolerance`]).

pub use crate::manifest::Category;
use crate::manifest::keys;
use crate::path::{JsonPath, Selector};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// What a drift does to the verdict.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Not reported.
    Ignore,
    /// Reported, does not fail.
    Warn,
    /// Fails the run.
    Fail,
}

impl Policy {
    /// The policy of a category when the configuration says nothing: the repository moving on
    /// and the machine changing only warn; everything that changes results fails.
    pub fn default_for(category: Category) -> Policy {
        match category {
            Category::Git | Category::Hardware => Policy::Warn,
            _ => Policy::Fail,
        }
    }

    /// Parses `fail`, `warn` or `ignore`.
    pub fn parse(s: &str) -> Option<Policy> {
        Some(match s {
            "fail" => Policy::Fail,
            "warn" => Policy::Warn,
            "ignore" => Policy::Ignore,
            _ => return None,
        })
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Policy::Ignore => "ignore",
            Policy::Warn => "warn",
            Policy::Fail => "fail",
        })
    }
}

/// Policies per category and per field path.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    categories: BTreeMap<Category, Policy>,
    paths: Vec<(Selector, Policy)>,
}

impl PolicySet {
    /// Sets the policy of a category or a field path (a later setting of the same key wins).
    pub fn set(&mut self, key: PolicyKey, policy: Policy) -> &mut Self {
        match key {
            PolicyKey::Category(c) => {
                self.categories.insert(c, policy);
            }
            PolicyKey::Path(s) => {
                self.paths.retain(|(x, _)| x.as_str() != s.as_str());
                self.paths.push((s, policy));
            }
        }
        self
    }

    /// The policy for a field: the most specific matching path selector, else the category's
    /// configured policy, else its default.
    pub fn for_path(&self, path: &JsonPath, category: Category) -> Policy {
        self.paths
            .iter()
            .filter(|(s, _)| s.matches(path))
            .max_by_key(|(s, _)| s.specificity())
            .map(|(_, p)| *p)
            .or_else(|| self.categories.get(&category).copied())
            .unwrap_or_else(|| Policy::default_for(category))
    }
}

/// What a drift is to a moved HEAD: the one thing besides its field that a verdict depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitRole {
    /// The manifest's own commit (`code.git_sha`, `code.git_short_sha`).
    Commit,
    /// A value that names the commit it was taken at: an external document's
    /// `rms_nav_git_sha`, a project's own editable install in `pip freeze`.
    HoldsCommit,
    /// Where the checkout is (its remote, its branch, a detached HEAD): a clone in CI, a pull
    /// request's detached HEAD.
    Checkout,
    /// The tree became clean by committing (`dirty` or `untracked` now false or 0).
    Cleaned,
    /// Anything else.
    Other,
}

/// How HEAD moved since the baseline's commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadMoved {
    /// It did not.
    No,
    /// It moved, and no change since touches what the run depends on.
    Untouched,
    /// It moved and a change touches what the run depends on, or it is not known how.
    Touched,
}

impl PolicySet {
    /// The policies of a comparison's drifts once HEAD's move is known: each drift's policy as
    /// its field decided it, its category and its [`CommitRole`]. Returns how the verdict
    /// counts the move.
    ///
    /// - HEAD did not move: where the checkout is says nothing; it is ignored.
    /// - HEAD moved and touched nothing the run depends on, and no other field fails (a hashed
    ///   dependency that changed fails by itself, and the commits are then its context): the
    ///   commit, the values that hold it, the checkout and a tree cleaned by committing are
    ///   ignored.
    /// - Otherwise a value that holds the commit is judged as the commit is (`code.git_sha`,
    ///   `git` by default); the rest keep their field's policy.
    pub fn judge_head(
        &self,
        drifts: &mut [(&mut Policy, Category, CommitRole)],
        moved: HeadMoved,
    ) -> HeadMoved {
        let fails_by_itself = drifts.iter().any(|(p, category, role)| {
            **p == Policy::Fail && *category != Category::External && !is_commit(*role)
        });
        let moved = match moved {
            HeadMoved::Untouched if fails_by_itself => HeadMoved::Touched,
            m => m,
        };
        let commit = self.for_path(
            &JsonPath::of(&[keys::CODE, keys::code::GIT_SHA]),
            Category::Git,
        );
        for (policy, _, role) in drifts.iter_mut() {
            **policy = match (moved, *role) {
                (HeadMoved::No, CommitRole::Checkout) => Policy::Ignore,
                (HeadMoved::Untouched, CommitRole::Other) => **policy,
                (HeadMoved::Untouched, _) => Policy::Ignore,
                (HeadMoved::Touched, CommitRole::HoldsCommit) => commit,
                _ => **policy,
            };
        }
        moved
    }
}

fn is_commit(role: CommitRole) -> bool {
    matches!(role, CommitRole::Commit | CommitRole::HoldsCommit)
}

/// What a policy entry applies to.
#[derive(Debug, Clone)]
pub enum PolicyKey {
    /// A whole category.
    Category(Category),
    /// The fields a selector matches.
    Path(Selector),
}

/// `[run.outputs_tolerance] "offset_*" = { abs = 1e-4, rel = 0.0 }`: numbers under keys
/// matching the pattern, in JSON outputs, agree when `|a - b| <= abs + rel * max(|a|, |b|)`.
#[derive(Debug, Clone)]
pub struct Tolerance {
    /// The key pattern (a glob over one key name).
    pub key: glob::Pattern,
    /// Absolute tolerance.
    pub abs: f64,
    /// Relative tolerance.
    pub rel: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the rule on one drift of each role (policies as their fields decided them) and
    /// returns the policies it settles on with how the move counted.
    fn judge(set: &PolicySet, moved: HeadMoved, other: Policy) -> (Vec<Policy>, HeadMoved) {
        let roles = [
            (Policy::Warn, Category::Git, CommitRole::Commit),
            (Policy::Fail, Category::External, CommitRole::HoldsCommit),
            (Policy::Warn, Category::Git, CommitRole::Checkout),
            (Policy::Warn, Category::Git, CommitRole::Cleaned),
            (other, Category::StaticData, CommitRole::Other),
        ];
        let mut policies: Vec<Policy> = roles.iter().map(|r| r.0).collect();
        let mut drifts: Vec<_> = policies
            .iter_mut()
            .zip(roles)
            .map(|(p, (_, c, r))| (p, c, r))
            .collect();
        let counted = set.judge_head(&mut drifts, moved);
        (policies, counted)
    }

    #[test]
    fn a_moved_head_is_judged_in_one_place() {
        use Policy::{Fail, Ignore, Warn};
        let set = PolicySet::default();
        // not moved: only where the checkout is stops counting
        assert_eq!(
            judge(&set, HeadMoved::No, Warn),
            (vec![Warn, Fail, Ignore, Warn, Warn], HeadMoved::No)
        );
        // moved, touching nothing: the commit and what follows from it are ignored
        assert_eq!(
            judge(&set, HeadMoved::Untouched, Warn),
            (
                vec![Ignore, Ignore, Ignore, Ignore, Warn],
                HeadMoved::Untouched
            )
        );
        // a field that fails by itself makes the move count as touched
        assert_eq!(
            judge(&set, HeadMoved::Untouched, Fail),
            (vec![Warn, Warn, Warn, Warn, Fail], HeadMoved::Touched)
        );
        // touched: a value holding the commit is judged as the commit is, here configured
        assert_eq!(
            judge(&set, HeadMoved::Touched, Warn),
            (vec![Warn, Warn, Warn, Warn, Warn], HeadMoved::Touched)
        );
        let mut quiet = PolicySet::default();
        quiet.set(PolicyKey::Category(Category::Git), Ignore);
        assert_eq!(
            judge(&quiet, HeadMoved::Touched, Warn),
            (vec![Warn, Ignore, Warn, Warn, Warn], HeadMoved::Touched)
        );
    }
}
