//! `--junit PATH` (and `PROVBASE_JUNIT` under cargo): JUnit XML as Jenkins' `junit-10.xsd`
//! defines it, which GitHub's reporter actions, GitLab and Jenkins all read: one `<testsuite>`
//! per run holding one `<testcase>` with its `time`; a failure's `type` is the category of its
//! first failing drift, its `message` (one line) names the first drifts, and its body is the
//! whole report.
//!
//! Each run's file is where a reader should look: its baseline, relative to the repository's
//! root; for a run whose baseline does not exist (missing, or an error before one was
//! written), harness.toml and the line of its `[[run]]`. The file is on the `<testsuite>` (junit-10.xsd has it there, and Jenkins
//! and dorny/test-reporter read it there) and on the `<testcase>` with its `line` (GitLab and
//! mikepenz/action-junit-report read it only there): the one place the document departs from
//! junit-10.xsd, whose `<testcase>` has no `file` or `line`, to serve the readers.

use crate::drift::Policy;
use crate::session::{RunReport, Status};
use quick_xml::Writer;
use quick_xml::events::BytesText;

use super::ORPHANS_TRIAL as ORPHANS;

/// The file (relative to the repository's root) and line a run's test case points at.
pub type FileOf<'a> = &'a dyn Fn(&RunReport) -> (String, Option<usize>);

/// Text as XML 1.0 may hold it: control characters other than tab, line feed and carriage
/// return are not allowed even escaped.
fn xml_text(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

/// One line for an attribute.
fn one_line(s: &str) -> String {
    xml_text(&s.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn seconds(d: std::time::Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// `(type, message)` of a run that did not pass.
fn failure_of(r: &RunReport) -> (String, String) {
    match r.status() {
        Status::Missing => (
            "missing".into(),
            format!("no baseline: {} does not exist", r.baseline),
        ),
        Status::Error => (
            "error".into(),
            r.error()
                .and_then(|e| e.to_string().lines().next().map(str::to_owned))
                .unwrap_or_else(|| "the check could not run".to_owned()),
        ),
        _ => {
            let failing: Vec<_> = r.shown().filter(|d| d.policy == Policy::Fail).collect();
            let named: Vec<String> = failing
                .iter()
                .take(3)
                .map(|d| format!("{} {}", d.category, super::human::subject(d)))
                .collect();
            let more = failing.len().saturating_sub(3);
            let ty = failing
                .first()
                .map_or_else(|| "drift".to_owned(), |d| d.category.to_string());
            let mut msg = format!("drifted: {}", named.join("; "));
            if more > 0 {
                msg.push_str(&format!(" (+{more} more)"));
            }
            (ty, msg)
        }
    }
}

/// The JUnit document for a check. `orphans` are the outcome's orphan baselines relative to
/// the repository's root, `accept` gives each run's accept command, `file` each run's file and
/// line.
pub fn document(
    outcome: &crate::session::Outcome,
    orphans: &[String],
    accept: &dyn Fn(&str) -> String,
    file: FileOf,
) -> String {
    write(outcome, orphans, accept, file).unwrap_or_default()
}

/// One run's `<testsuite>` with its one `<testcase>`.
fn write_run(
    w: &mut Writer<Vec<u8>>,
    r: &RunReport,
    accept: &str,
    file: FileOf,
    now: &str,
) -> std::io::Result<()> {
    let text = xml_text(&super::human::render_run(r, accept));
    let (fail, err) = match r.status() {
        Status::Fail | Status::Missing => (1, 0),
        Status::Error => (0, 1),
        Status::Pass | Status::Warn => (0, 0),
    };
    let time = seconds(r.duration);
    let (file, line) = file(r);
    let line = line.map(|l| l.to_string());
    w.create_element("testsuite")
        .with_attribute(("name", r.run.as_str()))
        .with_attribute(("tests", "1"))
        .with_attribute(("failures", fail.to_string().as_str()))
        .with_attribute(("errors", err.to_string().as_str()))
        .with_attribute(("skipped", "0"))
        .with_attribute(("time", time.as_str()))
        .with_attribute(("timestamp", now))
        .with_attribute(("file", file.as_str()))
        .write_inner_content(|w| {
            let mut case = w
                .create_element("testcase")
                .with_attribute(("name", r.run.as_str()))
                .with_attribute(("classname", "provbase"))
                .with_attribute(("time", time.as_str()))
                .with_attribute(("file", file.as_str()));
            if let Some(l) = &line {
                case = case.with_attribute(("line", l.as_str()));
            }
            match r.status() {
                Status::Pass => {
                    case.write_empty()?;
                }
                Status::Warn => {
                    case.write_inner_content(|w| {
                        w.create_element("system-out")
                            .write_text_content(BytesText::new(&text))?;
                        Ok(())
                    })?;
                }
                _ => {
                    let (ty, msg) = failure_of(r);
                    let tag = if r.status() == Status::Error {
                        "error"
                    } else {
                        "failure"
                    };
                    case.write_inner_content(|w| {
                        w.create_element(tag)
                            .with_attribute(("type", ty.as_str()))
                            .with_attribute(("message", one_line(&msg).as_str()))
                            .write_text_content(BytesText::new(&text))?;
                        Ok(())
                    })?;
                }
            }
            Ok(())
        })?;
    Ok(())
}

/// The `<testsuite>` of the baselines no run owns; its file is the first of them.
fn write_orphans(w: &mut Writer<Vec<u8>>, orphans: &[String], now: &str) -> std::io::Result<()> {
    let first = orphans.first().map_or("", String::as_str);
    let body: String = orphans
        .iter()
        .map(|o| format!("{o}: {}\n", super::ORPHAN_HINT))
        .collect();
    let message = one_line(&format!("baselines no run owns: {}", orphans.join(", ")));
    w.create_element("testsuite")
        .with_attribute(("name", ORPHANS))
        .with_attribute(("tests", "1"))
        .with_attribute(("failures", "1"))
        .with_attribute(("errors", "0"))
        .with_attribute(("skipped", "0"))
        .with_attribute(("timestamp", now))
        .with_attribute(("file", first))
        .write_inner_content(|w| {
            w.create_element("testcase")
                .with_attribute(("name", ORPHANS))
                .with_attribute(("classname", "provbase"))
                .with_attribute(("file", first))
                .write_inner_content(|w| {
                    w.create_element("failure")
                        .with_attribute(("type", "orphan"))
                        .with_attribute(("message", message.as_str()))
                        .write_text_content(BytesText::new(&xml_text(&body)))?;
                    Ok(())
                })?;
            Ok(())
        })?;
    Ok(())
}

fn write(
    outcome: &crate::session::Outcome,
    orphans: &[String],
    accept: &dyn Fn(&str) -> String,
    file: FileOf,
) -> std::io::Result<String> {
    let runs = &outcome.reports[..];
    let now = outcome.taken.time.as_str();
    let failures = runs
        .iter()
        .filter(|r| matches!(r.status(), Status::Fail | Status::Missing))
        .count()
        + usize::from(!orphans.is_empty());
    let errors = runs.iter().filter(|r| r.status() == Status::Error).count();
    let total: std::time::Duration = runs.iter().map(|r| r.duration).sum();
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(quick_xml::events::Event::Decl(
        quick_xml::events::BytesDecl::new("1.0", Some("UTF-8"), None),
    ))?;
    let tests = (runs.len() + usize::from(!orphans.is_empty())).to_string();
    w.create_element("testsuites")
        .with_attribute(("name", "provbase"))
        .with_attribute(("tests", tests.as_str()))
        .with_attribute(("failures", failures.to_string().as_str()))
        .with_attribute(("errors", errors.to_string().as_str()))
        .with_attribute(("time", seconds(total).as_str()))
        .write_inner_content(|w| {
            for r in runs {
                write_run(w, r, &accept(&r.run), file, now)?;
            }
            if !orphans.is_empty() {
                write_orphans(w, orphans, now)?;
            }
            Ok(())
        })?;
    let mut out = String::from_utf8(w.into_inner()).map_err(std::io::Error::other)?;
    out.push('\n');
    Ok(out)
}
