//! The `--format json` report: one document with every run's status and drift entries, for
//! scripts. Its shape is documented in the README.

use crate::session::{RunReport, Status};
use serde_json::{Value, json};

/// The report format's version, bumped on any change a script could notice.
pub const REPORT_VERSION: u64 = 1;

/// One drift entry as scripts read it: path, category, policy, before, after.
pub fn drift_value(d: &crate::drift::Drift) -> Value {
    json!({
        "path": d.path.to_string(),
        "category": d.category,
        "policy": d.policy,
        "before": d.before,
        "after": d.after,
    })
}

/// One run as a JSON object.
pub fn run_value(r: &RunReport) -> Value {
    json!({
        "run": r.run,
        "status": r.status(),
        "baseline": r.baseline,
        "error": r.error().map(ToString::to_string),
        "explanation": r.explanation(),
        "candidate": r.candidate,
        "drifts": r.drifts().iter().map(drift_value).collect::<Vec<_>>(),
    })
}

/// The whole report.
pub fn document(runs: &[RunReport], orphans: &[String], profile: Option<&str>) -> Value {
    let count = |s: Status| runs.iter().filter(|r| r.status() == s).count();
    json!({
        "report_version": REPORT_VERSION,
        "provbase_version": env!("CARGO_PKG_VERSION"),
        "profile": profile,
        "summary": {
            "pass": count(Status::Pass),
            "warn": count(Status::Warn),
            "fail": count(Status::Fail),
            "missing": count(Status::Missing),
            "error": count(Status::Error),
            "orphans": orphans.len(),
        },
        "runs": runs.iter().map(run_value).collect::<Vec<_>>(),
        "orphans": orphans,
    })
}
