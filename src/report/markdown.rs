//! A Markdown report for a pull-request comment or a CI step summary: one table of runs and
//! their drifted categories, then, per run that needs attention, its drifts and the command
//! that accepts them. Capped in size (a GitHub comment holds 65,536 characters); the rest is in
//! `--format json`.

use super::human::{short_value, subject};
use crate::drift::Policy;
use crate::session::Status;
use std::fmt::Write;

/// The most characters a report holds.
pub const MAX_CHARS: usize = 60_000;

/// Text as it may stand inside a table cell or inline code: no pipe, backtick, angle bracket
/// or line break can break out of it or open HTML.
pub(super) fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('`', "'")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\r', '\n'], " ")
}

/// The report. `accept` gives the command that accepts a run.
pub fn document(outcome: &crate::session::Outcome, accept: &dyn Fn(&str) -> String) -> String {
    let (runs, orphans) = (&outcome.reports, &outcome.orphans);
    let mut out = format!("### provbase: {}\n\n", super::counts(outcome));
    out.push_str("| run | status | drifted |\n|---|---|---|\n");
    for r in runs {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            cell(&r.run),
            super::status_cell(r.status()),
            super::drifted_categories(r)
        );
    }
    for o in orphans {
        let _ = writeln!(out, "| {} | ❌ orphan | {} |", cell(o), super::ORPHAN_HINT);
    }
    let mut details = String::new();
    for r in runs.iter().filter(|r| r.status() != Status::Pass) {
        let _ = write!(
            details,
            "\n<details><summary>{} — {}</summary>\n\n",
            cell(&r.run),
            super::status_cell(r.status())
        );
        match r.status() {
            Status::Missing => {
                let _ = writeln!(
                    details,
                    "No baseline: `{}` does not exist.",
                    cell(&r.baseline)
                );
            }
            Status::Error => {
                let _ = writeln!(
                    details,
                    "The check could not run: {}",
                    cell(
                        &r.error()
                            .map_or_else(|| "unknown error".to_owned(), ToString::to_string)
                    )
                );
            }
            _ => {
                details.push_str(
                    "| category | field | baseline | current | policy |\n|---|---|---|---|---|\n",
                );
                for d in r.shown() {
                    let _ = writeln!(
                        details,
                        "| {} | `{}` | `{}` | `{}` | {} |",
                        d.category,
                        cell(&subject(d)),
                        cell(&short_value(d.before.as_ref())),
                        cell(&short_value(d.after.as_ref())),
                        if d.policy == Policy::Fail {
                            "fail"
                        } else {
                            "warn"
                        }
                    );
                }
            }
        }
        if r.status() != Status::Warn {
            let _ = writeln!(details, "\nTo accept: `{}`", cell(&accept(&r.run)));
        }
        details.push_str("\n</details>\n");
    }
    if out.len() + details.len() > MAX_CHARS {
        // cut at a line, and say where the rest is
        let room = MAX_CHARS.saturating_sub(out.len() + 200);
        let cut = details[..details.floor_char_boundary(room)]
            .rfind('\n')
            .unwrap_or(0);
        details.truncate(cut);
        details.push_str(
            "\n\n… the report is cut here to fit; `provbase --format json check` has all of it\n",
        );
    }
    out.push_str(&details);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::{Category, Drift};
    use crate::path::{JsonPath, Segment};
    use crate::session::RunReport;
    use serde_json::json;

    fn report(run: &str, n: usize) -> RunReport {
        RunReport {
            run: run.into(),
            baseline: format!("baselines/{run}.json"),
            checked: crate::session::Checked::Compared(crate::session::Comparison {
                verdict: crate::drift::Verdict::Fail,
                drifts: (0..n)
                    .map(|i| Drift {
                        path: JsonPath(vec![
                            Segment::Key("params".into()),
                            Segment::Key(format!("p{i}|<b>`x`")),
                        ]),
                        category: Category::Params,
                        policy: Policy::Fail,
                        before: Some(json!(i)),
                        after: Some(json!(i + 1)),
                    })
                    .collect(),
                explanation: Vec::new(),
                baseline_text: String::new(),
            }),
            current_text: None,
            candidate: None,
            duration: std::time::Duration::ZERO,
        }
    }

    #[test]
    fn a_table_of_runs_then_each_runs_drifts() {
        let outcome = crate::session::Outcome {
            reports: vec![report("nav", 2)],
            orphans: vec!["baselines/old.json".into()],
            ..Default::default()
        };
        let md = document(&outcome, &|r| format!("provbase accept {r}"));
        assert!(
            md.starts_with("### provbase: 0 ok, 0 warn, 1 fail, 0 missing, 0 error, 1 orphan\n")
        );
        assert!(md.contains("| nav | ❌ fail | params (2) |"), "{md}");
        assert!(md.contains("| baselines/old.json | ❌ orphan |"), "{md}");
        assert!(md.contains("To accept: `provbase accept nav`"), "{md}");
        // data cannot break the table or open HTML
        assert!(md.contains("p0\\|&lt;b&gt;'x'"), "{md}");
        assert!(!md.contains("<b>"));
    }

    #[test]
    fn a_huge_report_is_capped() {
        let outcome = crate::session::Outcome {
            reports: vec![report("nav", 5000)],
            ..Default::default()
        };
        let md = document(&outcome, &|r| format!("provbase accept {r}"));
        assert!(md.chars().count() <= MAX_CHARS, "{}", md.len());
        assert!(md.ends_with("has all of it\n"));
    }
}
