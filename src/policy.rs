//! Policies: what kind of thing a manifest field is ([`Category`]), what a drift in it does to
//! the verdict ([`Policy`]), the configured policies ([`PolicySet`]), and the tolerances of
//! numeric outputs ([`Tolerance`]).

use crate::path::{JsonPath, Selector};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// What kind of thing drifted. The order is the order of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// The content of the files a run's `code` globs name.
    Code,
    /// Static data file hashes.
    StaticData,
    /// SPICE kernels.
    Spice,
    /// Registered techniques and extractors.
    Pipeline,
    /// Parameters.
    Params,
    /// Inputs.
    Inputs,
    /// Outputs.
    Outputs,
    /// What external commands printed.
    External,
    /// Toolchains and packages.
    Runtime,
    /// Environment variables.
    Environment,
    /// Hardware and GPUs.
    Hardware,
    /// The repository's state: commit, branch, dirtiness, remote.
    Git,
}

impl Category {
    /// Every category, in report order.
    pub const ALL: [Category; 12] = [
        Category::Code,
        Category::StaticData,
        Category::Spice,
        Category::Pipeline,
        Category::Params,
        Category::Inputs,
        Category::Outputs,
        Category::External,
        Category::Runtime,
        Category::Environment,
        Category::Hardware,
        Category::Git,
    ];

    /// The names, for messages.
    pub const NAMES: &'static str = "code, static_data, spice, pipeline, params, inputs, outputs, external, runtime, environment, hardware, git";

    /// The category's name as written in harness.toml.
    pub fn name(self) -> &'static str {
        match self {
            Category::Code => "code",
            Category::StaticData => "static_data",
            Category::Spice => "spice",
            Category::Pipeline => "pipeline",
            Category::Params => "params",
            Category::Inputs => "inputs",
            Category::Outputs => "outputs",
            Category::External => "external",
            Category::Runtime => "runtime",
            Category::Environment => "environment",
            Category::Hardware => "hardware",
            Category::Git => "git",
        }
    }

    /// Parses a category name.
    pub fn parse(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The policy when the configuration says nothing: the repository moving on and the
    /// machine changing only warn; everything that changes results fails.
    pub fn default_policy(self) -> Policy {
        match self {
            Category::Git | Category::Hardware => Policy::Warn,
            _ => Policy::Fail,
        }
    }

    /// The category of a manifest path.
    pub fn of(path: &JsonPath) -> Category {
        match (path.key(0), path.key(1)) {
            (Some("code"), Some("scope")) => Category::Code,
            (Some("code"), _) => Category::Git,
            (Some("static_data_hashes"), _) => Category::StaticData,
            (Some("spice_kernels" | "spice_kernel_count"), _) => Category::Spice,
            (Some("technique_names" | "extractor_names"), _) => Category::Pipeline,
            (Some("hardware"), _) => Category::Hardware,
            (Some("runtime"), _) => Category::Runtime,
            (Some("environment"), _) => Category::Environment,
            (Some("params"), _) => Category::Params,
            (Some("inputs"), _) => Category::Inputs,
            (Some("outputs" | "exit_status"), _) => Category::Outputs,
            (Some("command"), _) => Category::Params,
            _ => Category::External,
        }
    }

    /// How many leading path segments the category's section takes, so that a report can name
    /// `cfg/a.yaml` rather than `static_data_hashes."cfg/a.yaml"`.
    pub fn prefix_len(self, path: &JsonPath) -> usize {
        let section = matches!(
            path.key(0),
            Some("params" | "inputs" | "outputs" | "static_data_hashes")
        );
        let n = match self {
            Category::Code => 2,
            Category::StaticData | Category::Params | Category::Inputs | Category::Outputs
                if section =>
            {
                1
            }
            Category::StaticData | Category::Params | Category::Inputs | Category::Outputs => 0,
            Category::Environment | Category::Runtime | Category::Hardware => 1,
            Category::Spice | Category::Pipeline | Category::Git | Category::External => 0,
        };
        n.min(path.0.len().saturating_sub(1))
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a drift does to the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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
            .unwrap_or_else(|| category.default_policy())
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
