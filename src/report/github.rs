//! GitHub Actions: an `::error` (or `::warning`) annotation per drifted run pointing at its
//! baseline file, and a markdown table of runs × categories for `$GITHUB_STEP_SUMMARY`.

use crate::drift::{Category, Policy};
use crate::session::{RunReport, Status};
use std::fmt::Write;

/// Data inside a workflow command: scrubbed and with `##[`-style markers made inert (before
/// its line breaks are encoded, which would glue words together), then `%`, CR and LF encoded
/// as the runner decodes them, so the command stays one line.
fn escape_data(s: &str) -> String {
    crate::outbound::text(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Whether provbase runs on GitHub Actions.
pub fn enabled() -> bool {
    crate::options::get().github_actions
}

/// One workflow command per run that failed, warned, or has no baseline.
/// `file` gives each run's baseline relative to the repository's root, where GitHub looks (for a
/// missing or error run, harness.toml and the line of its `[[run]]`).
/// `orphans`: baseline files no run owns, relative to the repository's root.
pub fn annotations(
    runs: &[RunReport],
    orphans: &[String],
    accept: &dyn Fn(&str) -> String,
    file: super::junit::FileOf,
) -> String {
    let mut out = String::new();
    for o in orphans {
        let _ = writeln!(
            out,
            "::error file={},title={}::{}",
            escape_property(o),
            escape_property("provbase: orphan baseline"),
            escape_data(super::ORPHAN_HINT)
        );
    }
    for r in runs {
        let level = match r.status() {
            Status::Pass => continue,
            Status::Warn => "warning",
            Status::Fail | Status::Missing | Status::Error => "error",
        };
        let shown: Vec<_> = r.shown().collect();
        let mut body = match r.status() {
            Status::Missing => "no baseline".to_owned(),
            Status::Error => r.error().map(ToString::to_string).unwrap_or_default(),
            _ => super::human::summary_lines(&shown).join("\n"),
        };
        // a run that could not be checked needs its error fixed, not an accept
        if matches!(r.status(), Status::Fail | Status::Missing) {
            let _ = write!(body, "\nTo accept: {}", accept(&r.run));
        }
        let title = match r.status() {
            Status::Missing => format!("provbase: {} has no baseline", r.run),
            Status::Error => format!("provbase: {} could not be checked", r.run),
            _ => format!("provbase: {} drifted", r.run),
        };
        let (file, line) = file(r);
        let line = line.map_or_else(String::new, |l| format!(",line={l}"));
        let _ = writeln!(
            out,
            "::{level} file={}{line},title={}::{}",
            escape_property(&file),
            escape_property(&title),
            escape_data(&body)
        );
    }
    out
}

/// A markdown table: one row per run, one column per category that drifted anywhere.
pub fn step_summary(runs: &[RunReport], orphans: &[String]) -> String {
    let cats: Vec<Category> = Category::ALL
        .into_iter()
        .filter(|c| runs.iter().any(|r| r.shown().any(|d| d.category == *c)))
        .collect();
    let mut out = String::from("### provbase\n\n| run | status |");
    for c in &cats {
        let _ = write!(out, " {c} |");
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(cats.len()));
    out.push('\n');
    for r in runs {
        let _ = write!(
            out,
            "| {} | {} |",
            super::markdown::name(&r.run),
            super::status_cell(r.status())
        );
        for c in &cats {
            let ds: Vec<_> = r.shown().filter(|d| d.category == *c).collect();
            let cell = if ds.is_empty() {
                String::new()
            } else if ds.iter().any(|d| d.policy == Policy::Fail) {
                format!("❌ {}", ds.len())
            } else {
                format!("⚠️ {}", ds.len())
            };
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    for o in orphans {
        let _ = writeln!(
            out,
            "| {} | ❌ orphan |{}",
            super::markdown::name(o),
            " |".repeat(cats.len())
        );
    }
    out
}

/// Prints the annotations and appends the step summary, when on GitHub Actions.
pub fn emit(
    runs: &[RunReport],
    orphans: &[String],
    accept: &dyn Fn(&str) -> String,
    file: super::junit::FileOf,
) {
    if !enabled() {
        return;
    }
    // stderr: stdout carries only the chosen format (`--format json`, libtest's JSON), and the
    // runner reads workflow commands from both
    // the commands are provbase's own; the data inside them was made inert by escape_data
    eprint!(
        "{}",
        crate::redact::scrub_text(&annotations(runs, orphans, accept, file))
    );
    let options = crate::options::get();
    if let Some(path) = &options.github_step_summary {
        use std::io::Write as _;
        let Ok(mut f) = std::fs::OpenOptions::new()
            .append(true)
            .read(true)
            .create(true)
            .open(path)
        else {
            return;
        };
        match &options.nextest_run_id {
            // cargo-nextest runs one process per trial: they share one table, its header
            // written by whichever comes first (under the file's lock)
            Some(id) if options.nextest => {
                if f.lock().is_err() {
                    return;
                }
                let marker = format!("<!-- provbase table {id} -->");
                let have = std::fs::read_to_string(path).is_ok_and(|t| t.contains(&marker));
                let mut text = String::new();
                if !have {
                    text.push_str(&format!("### provbase\n\n{marker}\n{SHARED_HEADER}"));
                }
                text.push_str(&shared_rows(runs, orphans));
                let _ = f.write_all(crate::outbound::text(&text).as_bytes());
                let _ = f.unlock();
            }
            _ => {
                let summary = step_summary(runs, orphans);
                let _ = f.write_all(crate::outbound::text(&summary).as_bytes());
            }
        }
    }
}

/// The header of the table processes share: the columns cannot depend on what drifted
/// elsewhere, so the drifted categories are one column.
const SHARED_HEADER: &str = "| run | status | drifted |\n|---|---|---|\n";

/// Rows of the shared table.
fn shared_rows(runs: &[RunReport], orphans: &[String]) -> String {
    let mut out = String::new();
    for r in runs {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            super::markdown::name(&r.run),
            super::status_cell(r.status()),
            super::drifted_categories(r)
        );
    }
    for o in orphans {
        let _ = writeln!(out, "| {} | ❌ orphan | |", super::markdown::name(o));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("x: y, z"), "x%3A y%2C z");
    }
}
