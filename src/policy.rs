//! Policies: what a drift in a field of some [`Category`] does to the verdict ([`Policy`]), the configured policies ([`PolicySet`]), and the tolerances of
//! numeric outputs ([`Tolerance`]).

pub use crate::manifest::Category;
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
