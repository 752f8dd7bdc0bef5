//! Categories: what kind of thing a field of a manifest is. One table ([`DECLARED`]) gives each
//! section of the types its category (a `$comment` in the schemas); reports, policies and
//! explanations group drift by it.

use crate::path::JsonPath;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

/// What kind of thing drifted. The order is the order of reports.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
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

    /// The names, for messages: `code, static_data, …`.
    pub fn names() -> String {
        Category::ALL.map(Category::name).join(", ")
    }

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

    /// The category of a path in a manifest or a recorded run: the one [`DECLARED`] gives its
    /// section, the deepest one along the path; a member the types do not know (a future
    /// section, another tool's field) is `external`.
    pub fn of(path: &JsonPath) -> Category {
        let table = declared();
        let (Some(k0), k1) = (path.key(0), path.key(1)) else {
            return Category::External;
        };
        k1.and_then(|k1| table.get(&(k0.to_owned(), Some(k1.to_owned()))))
            .or_else(|| table.get(&(k0.to_owned(), None)))
            .copied()
            .unwrap_or(Category::External)
    }

    /// How many leading path segments the category's section takes, so that a report can name
    /// `cfg/a.yaml` rather than `static_data_hashes."cfg/a.yaml"`.
    pub fn prefix_len(self, path: &JsonPath) -> usize {
        use super::types::keys;
        let section = matches!(
            path.key(0),
            Some(keys::PARAMS | keys::INPUTS | keys::OUTPUTS | keys::STATIC_DATA)
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

/// Each section's category: `(member of a manifest or a recorded run, member of that section
/// or None for the whole member, category)`. This table is the one place categories are
/// declared; the schemas carry it as a `$comment` on each member ([`crate::schema`]), and a
/// test holds every entry to a member the types have.
pub const DECLARED: &[(&str, Option<&str>, Category)] = &[
    ("code", Some("branch"), Category::Git),
    ("code", Some("detached"), Category::Git),
    ("code", Some("dirty"), Category::Git),
    ("code", Some("git_sha"), Category::Git),
    ("code", Some("git_short_sha"), Category::Git),
    ("code", Some("remote"), Category::Git),
    ("code", Some("scope"), Category::Code),
    ("code", Some("status"), Category::Git),
    ("code", Some("untracked"), Category::Git),
    ("command", None, Category::Params),
    ("environment", None, Category::Environment),
    ("exit_status", None, Category::Outputs),
    ("external", None, Category::External),
    ("extractor_names", None, Category::Pipeline),
    ("hardware", None, Category::Hardware),
    ("inputs", None, Category::Inputs),
    ("inputs_changed", None, Category::Inputs),
    ("outputs", None, Category::Outputs),
    ("params", None, Category::Params),
    ("runtime", None, Category::Runtime),
    ("spice_kernel_count", None, Category::Spice),
    ("spice_kernels", None, Category::Spice),
    ("static_data_hashes", None, Category::StaticData),
    ("technique_names", None, Category::Pipeline),
];

/// `(section, member)` → category, from [`DECLARED`].
fn declared() -> &'static HashMap<(String, Option<String>), Category> {
    static TABLE: OnceLock<HashMap<(String, Option<String>), Category>> = OnceLock::new();
    TABLE.get_or_init(|| {
        DECLARED
            .iter()
            .map(|(k0, k1, c)| (((*k0).to_owned(), k1.map(str::to_owned)), *c))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::Segment;

    fn at(keys: &[&str]) -> Category {
        Category::of(&JsonPath(
            keys.iter().map(|k| Segment::Key((*k).to_owned())).collect(),
        ))
    }

    #[test]
    fn every_section_declares_its_category() {
        assert_eq!(at(&["code", "scope", "src/a.py"]), Category::Code);
        assert_eq!(at(&["code", "git_sha"]), Category::Git);
        assert_eq!(at(&["code", "status"]), Category::Git);
        assert_eq!(at(&["static_data_hashes", "a.yaml"]), Category::StaticData);
        assert_eq!(at(&["spice_kernels"]), Category::Spice);
        assert_eq!(at(&["spice_kernel_count"]), Category::Spice);
        assert_eq!(at(&["technique_names"]), Category::Pipeline);
        assert_eq!(at(&["extractor_names"]), Category::Pipeline);
        assert_eq!(at(&["hardware", "gpus"]), Category::Hardware);
        assert_eq!(at(&["runtime", "rustc"]), Category::Runtime);
        assert_eq!(
            at(&["environment", "OMP_NUM_THREADS"]),
            Category::Environment
        );
        assert_eq!(at(&["params", "seed"]), Category::Params);
        assert_eq!(at(&["inputs", "a"]), Category::Inputs);
        assert_eq!(at(&["outputs", "a"]), Category::Outputs);
        assert_eq!(at(&["exit_status"]), Category::Outputs);
        assert_eq!(at(&["command"]), Category::Params);
        assert_eq!(at(&["external", "nav", "x"]), Category::External);
        assert_eq!(at(&["surprise"]), Category::External);
        // every category but `external`'s fallback is declared by some section
        for c in Category::ALL {
            assert!(
                declared().values().any(|d| *d == c),
                "{c} is declared nowhere"
            );
        }
    }
}
