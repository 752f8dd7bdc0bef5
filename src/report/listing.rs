//! The JSON documents of `provbase list`, `runs`, `pending`, `diff` and `check --twice`
//! (`--format json`), as types: each says what it is (`kind`) and the version of its shape
//! (`version`), the commands print them, and `schemas/` holds the schemas they generate, with
//! those of the JSON report and the fold ([`Output`]).

use super::json::DriftEntry;
use crate::manifest::types::Or;
use crate::manifest::value::Head;
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
    /// `provbase check --twice --format json`.
    Volatile,
}

impl Output {
    /// Every one.
    pub const ALL: [Output; 7] = [
        Output::Report,
        Output::Fold,
        Output::List,
        Output::Runs,
        Output::Pending,
        Output::Diff,
        Output::Volatile,
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
            Output::Volatile => "volatile.schema.json",
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
            Output::Volatile => schemars::schema_for!(Volatile),
        };
        crate::schema::published(self.file_name(), s)
    }

    /// Checks a document against the schema; the message names the fields that do not fit.
    pub fn validate(self, value: &Value) -> Result<(), crate::error::DocumentError> {
        static VALIDATORS: [OnceLock<jsonschema::Validator>; 7] = [const { OnceLock::new() }; 7];
        let at = Output::ALL.iter().position(|d| *d == self).unwrap_or(0);
        let validator = VALIDATORS[at].get_or_init(|| {
            jsonschema::validator_for(&self.schema()).expect("the generated schema compiles")
        });
        crate::schema::validate_with(validator, self.file_name(), value)
    }
}

/// The version of the listings' shapes (`list`, `runs`, `pending`, `diff`, `check --twice`),
/// bumped on any change a script could notice.
pub const LISTING_VERSION: u32 = 1;

/// A listing's head: `provbase.` and its kind, at [`LISTING_VERSION`].
fn head(kind: &str) -> Head {
    Head::new(format!("provbase.{kind}"), LISTING_VERSION)
}

/// `provbase list --format json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct List {
    /// `provbase.list`, version 1.
    #[serde(flatten)]
    pub head: Head,
    /// Every configured run.
    pub runs: Vec<Listed>,
    /// Baseline files no run owns, relative to the project.
    pub orphans: Vec<String>,
}

impl List {
    /// The listing of these runs and orphans.
    pub fn new(runs: Vec<Listed>, orphans: Vec<String>) -> List {
        List {
            head: head("list"),
            runs,
            orphans,
        }
    }
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
#[schemars(deny_unknown_fields)]
pub struct Runs {
    /// `provbase.runs`, version 1.
    #[serde(flatten)]
    pub head: Head,
    /// The runs.
    pub runs: Vec<Recorded>,
}

impl Runs {
    /// The listing of these recorded runs.
    pub fn new(runs: Vec<Recorded>) -> Runs {
        Runs {
            head: head("runs"),
            runs,
        }
    }
}

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
#[schemars(deny_unknown_fields)]
pub struct Pending {
    /// `provbase.pending`, version 1.
    #[serde(flatten)]
    pub head: Head,
    /// The folder of candidates.
    pub dir: String,
    /// The candidates, by file.
    pub candidates: Vec<PendingCandidate>,
}

impl Pending {
    /// The listing of the candidates under `dir`.
    pub fn new(dir: String, candidates: Vec<PendingCandidate>) -> Pending {
        Pending {
            head: head("pending"),
            dir,
            candidates,
        }
    }
}

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
    /// `provbase.diff`, version 1.
    #[serde(flatten)]
    pub head: Head,
    /// The earlier document, as named.
    pub a: String,
    /// The later one.
    pub b: String,
    /// The drifts the project's policy does not ignore.
    pub drifts: Vec<DriftEntry>,
}

impl Diff {
    /// The drifts between `a` and `b`.
    pub fn new(a: String, b: String, drifts: Vec<DriftEntry>) -> Diff {
        Diff {
            head: head("diff"),
            a,
            b,
            drifts,
        }
    }
}

/// `provbase check --twice --format json`: the fields whose value differs between two
/// collections of a run in a row.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Volatile {
    /// `provbase.volatile`, version 1.
    #[serde(flatten)]
    pub head: Head,
    /// Each field that differed.
    pub volatile: Vec<VolatileField>,
}

impl Volatile {
    /// The listing of these fields.
    pub fn new(volatile: Vec<VolatileField>) -> Volatile {
        Volatile {
            head: head("volatile"),
            volatile,
        }
    }
}

/// One field in [`Volatile`].
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct VolatileField {
    /// The run.
    pub run: String,
    /// The field, as a path.
    pub path: String,
    /// The strip selector that removes it (`[harness] strip`).
    pub selector: String,
    /// The first collection's value (`null`: absent).
    pub first: Option<Value>,
    /// The second's.
    pub second: Option<Value>,
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
