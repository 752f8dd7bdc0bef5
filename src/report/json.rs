//! The `--format json` report: one document with every run's status and drift entries, for
//! scripts, as types that serialize to it and read it back. Its shape is documented in the
//! guide (docs/guide/commands.md); `report_version` says which shape a document has.

use crate::drift::Drift;
use crate::explain::Note;
use crate::policy::{Category, Policy};
use crate::session::{Outcome, RunReport, Status, Taken};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The report format's version, bumped on any change a script could notice. Version 2 added
/// `taken`; a version 1 report reads with `taken` absent.
pub const REPORT_VERSION: u64 = 2;

/// The member that holds [`Report::report_version`], read before a document is parsed as a
/// report.
pub const REPORT_VERSION_KEY: &str = "report_version";

/// One drift entry as scripts read it: path, category, policy, before, after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DriftEntry {
    /// The field, as a selector (`static_data_hashes."cfg/a.yaml"`).
    pub path: String,
    /// Its category.
    pub category: Category,
    /// What the policy made of it.
    pub policy: Policy,
    /// The baseline's value (`null`: absent).
    pub before: Option<Value>,
    /// The current value (`null`: absent).
    pub after: Option<Value>,
}

impl From<&Drift> for DriftEntry {
    fn from(d: &Drift) -> DriftEntry {
        DriftEntry {
            path: d.path.to_string(),
            category: d.category,
            policy: d.policy,
            before: d.before.clone(),
            after: d.after.clone(),
        }
    }
}

/// One run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunEntry {
    /// The run.
    pub run: String,
    /// What its check came to.
    pub status: Status,
    /// Its baseline file, relative to the project.
    pub baseline: String,
    /// Why the check could not run.
    pub error: Option<String>,
    /// Why the drifts happened, where git history can tell.
    pub explanation: Vec<Note>,
    /// Where its candidate was left.
    pub candidate: Option<String>,
    /// Every drift, ignored ones included.
    pub drifts: Vec<DriftEntry>,
}

impl From<&RunReport> for RunEntry {
    fn from(r: &RunReport) -> RunEntry {
        RunEntry {
            run: r.run.clone(),
            status: r.status(),
            baseline: r.baseline.clone(),
            error: r.error().map(ToString::to_string),
            explanation: r.explanation().to_vec(),
            candidate: r.candidate.clone(),
            drifts: r.drifts().iter().map(DriftEntry::from).collect(),
        }
    }
}

/// How many runs came to each status, and how many orphans there were.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Summary {
    /// Passed.
    pub pass: usize,
    /// Warned.
    pub warn: usize,
    /// Failed.
    pub fail: usize,
    /// Had no baseline.
    pub missing: usize,
    /// Could not be checked.
    pub error: usize,
    /// Baselines no run owns.
    pub orphans: usize,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    /// [`REPORT_VERSION`].
    pub report_version: u64,
    /// The provbase that wrote it.
    pub provbase_version: String,
    /// The profile in force.
    pub profile: Option<String>,
    /// The counts.
    pub summary: Summary,
    /// One entry per run, in configuration order.
    pub runs: Vec<RunEntry>,
    /// Baselines no run owns.
    pub orphans: Vec<String>,
    /// Where and when the check was taken (version 2 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken: Option<Taken>,
}

impl Report {
    /// The report of a check.
    pub fn of(outcome: &Outcome, profile: Option<&str>) -> Report {
        let (runs, orphans) = (&outcome.reports, &outcome.orphans);
        let count = |s: Status| runs.iter().filter(|r| r.status() == s).count();
        Report {
            report_version: REPORT_VERSION,
            provbase_version: env!("CARGO_PKG_VERSION").to_owned(),
            profile: profile.map(str::to_owned),
            summary: Summary {
                pass: count(Status::Pass),
                warn: count(Status::Warn),
                fail: count(Status::Fail),
                missing: count(Status::Missing),
                error: count(Status::Error),
                orphans: orphans.len(),
            },
            runs: runs.iter().map(RunEntry::from).collect(),
            orphans: orphans.to_vec(),
            taken: Some(outcome.taken.clone()),
        }
    }
}

/// One drift entry as a JSON value.
pub fn drift_value(d: &Drift) -> Value {
    serde_json::to_value(DriftEntry::from(d)).unwrap_or_default()
}

/// The whole report as a JSON value (keys sorted, as every document provbase prints).
pub fn document(outcome: &Outcome, profile: Option<&str>) -> Value {
    serde_json::to_value(Report::of(outcome, profile)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_v1_report_reads_back_as_its_type() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/formats/v1/docs/report.json"),
        )
        .unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let report: super::Report = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(report.report_version, 1);
        assert_eq!(report.taken, None, "a version 1 report has no `taken`");
        assert_eq!(report.summary.fail, 1);
        assert_eq!(
            report.runs[0].drifts[1].category,
            crate::policy::Category::StaticData
        );
        assert_eq!(
            serde_json::to_value(&report).unwrap(),
            value,
            "nothing lost"
        );
    }
}
