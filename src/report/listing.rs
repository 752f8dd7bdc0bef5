//! The JSON documents of `provbase list`, `runs`, `pending` and `diff` (`--format json`), as
//! types: the commands print them, and `schemas/` holds the schemas they generate, with those
//! of the JSON report and the fold ([`Output`]).

use super::json::DriftEntry;
use crate::manifest::types::Or;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use std::sync::OnceLock;

/// The reports and listings provbase prints for scripts, each with a schema under `schemas/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The JSON report of a check (`--format json`, `PROVBASE_JSON_REPORT`), version 2.
    Report,
    /// The fold of many reports (`provbase report --format json`).
    Fold,
    /// `provbase list --format json`.
    List,
    /// `provbase runs --format json`.
    Runs,
    /// `provbase pending --format json`.
    Pending,
    /// `provbase diff --format json`.
    Diff,
}

impl Output {
    /// Every one.
    pub const ALL: [Output; 6] = [
        Output::Report,
        Output::Fold,
        Output::List,
        Output::Runs,
        Output::Pending,
        Output::Diff,
    ];

    /// The schema's file name under `schemas/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Output::Report => "report.schema.json",
            Output::Fold => "fold.schema.json",
            Output::List => "list.schema.json",
            Output::Runs => "runs.schema.json",
            Output::Pending => "pending.schema.json",
            Output::Diff => "diff.schema.json",
        }
    }

    /// The schema as `schemas/` holds it ([`crate::schema::published`]).
    pub fn schema(self) -> Value {
        let s = match self {
            Output::Report => schemars::schema_for!(super::json::Report),
            Output::Fold => schemars::schema_for!(super::fold::Folded),
            Output::List => schemars::schema_for!(List),
            Output::Runs => schemars::schema_for!(Runs),
            Output::Pending => schemars::schema_for!(Pending),
            Output::Diff => schemars::schema_for!(Diff),
        };
        crate::schema::published(self.file_name(), s)
    }

    /// Checks a document against the schema; the message names the fields that do not fit.
    pub fn validate(self, value: &Value) -> Result<(), String> {
        static VALIDATORS: [OnceLock<jsonschema::Validator>; 6] = [const { OnceLock::new() }; 6];
        let at = Output::ALL.iter().position(|d| *d == self).unwrap_or(0);
        let validator = VALIDATORS[at].get_or_init(|| {
            jsonschema::validator_for(&self.schema()).expect("the generated schema compiles")
        });
        crate::schema::validate_with(validator, self.file_name(), value)
    }
}

/// `provbase list --format json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct List {
    /// Every configured run.
    pub runs: Vec<Listed>,
    /// Baseline files no run owns, relative to the project.
    pub orphans: Vec<String>,
}

/// One configured run in [`List`].
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Listed {
    /// The run.
    pub run: String,
    /// Its baseline file, relative to the project.
    pub baseline: String,
    /// Whether the baseline exists.
    pub present: bool,
}

/// `provbase runs --format json`: recorded runs, newest first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Runs(pub Vec<Recorded>);

/// One recorded run in [`Runs`].
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Recorded {
    /// Its id.
    pub id: String,
    /// Its name (`--name`).
    pub name: Option<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// When it was first recorded (UTC).
    pub first: String,
    /// When it was last recorded (UTC).
    pub last: String,
    /// The command's exit status, or why there is none.
    pub exit_status: Option<Or<i64>>,
    /// How many times the command ran.
    pub executions: usize,
    /// Its folder, relative to the current folder.
    pub dir: String,
}

/// `provbase pending --format json`: the candidates under a folder.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Pending(pub Vec<PendingCandidate>);

/// One candidate in [`Pending`].
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PendingCandidate {
    /// The candidate's file.
    pub file: String,
    /// Its run.
    pub run: String,
    /// The baseline it would write, relative to the project.
    pub baseline: String,
    /// Whether that baseline changed since the candidate was made.
    pub stale: bool,
    /// Whether it may not write where it says (it is never read further).
    pub refused: bool,
    /// Failing drifts and warnings.
    pub drifts: usize,
    /// Failing drifts.
    pub failing: usize,
    /// Warnings.
    pub warnings: usize,
}

/// `provbase diff --format json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Diff {
    /// The earlier document, as named.
    pub a: String,
    /// The later one.
    pub b: String,
    /// The drifts the project's policy does not ignore.
    pub drifts: Vec<DriftEntry>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn committed_schemas_are_the_generated_ones() {
        for out in super::Output::ALL {
            crate::schema::tests::assert_committed(out.file_name(), &out.schema());
        }
    }
}
