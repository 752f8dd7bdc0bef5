//! `--junit PATH` (and `PROVBASE_JUNIT` under cargo): JUnit XML with one test case per run and
//! the failure text inside, as GitHub Actions, GitLab and Jenkins read it.

use crate::session::{RunReport, Status};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

/// The JUnit document for a check. `accept` gives each run's accept command.
pub fn document(runs: &[RunReport], orphans: &[String], accept: &dyn Fn(&str) -> String) -> String {
    let mut suite = TestSuite::new("provbase");
    for r in runs {
        let text = super::human::render_run(r, &accept(&r.run));
        let status = match r.status {
            Status::Pass => TestCaseStatus::success(),
            Status::Warn => TestCaseStatus::success(),
            Status::Fail | Status::Missing => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(if r.status == Status::Missing {
                    "no baseline"
                } else {
                    "provenance drifted"
                })
                .set_type(if r.status == Status::Missing {
                    "missing"
                } else {
                    "drift"
                })
                .set_description(text.clone());
                s
            }
            Status::Error => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                s.set_message(r.error.clone().unwrap_or_default())
                    .set_description(text.clone());
                s
            }
        };
        let mut case = TestCase::new(r.run.clone(), status);
        case.set_classname("provbase");
        if r.status == Status::Warn {
            case.set_system_out(text);
        }
        suite.add_test_case(case);
    }
    if !orphans.is_empty() {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        s.set_message("baselines no run owns")
            .set_type("orphan")
            .set_description(format!(
                "{}\n\nRemove them with: provbase prune --yes",
                orphans.join("\n")
            ));
        let mut case = TestCase::new(crate::harness::ORPHANS_TRIAL, s);
        case.set_classname("provbase");
        suite.add_test_case(case);
    }
    let mut report = Report::new("provbase");
    report.add_test_suite(suite);
    report.to_string().unwrap_or_default()
}
