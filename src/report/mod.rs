//! Reports of a check: human text (with a unified diff and the accept command) and a JSON
//! document for scripts.

pub mod fold;
pub mod json;
pub mod listing;

internal!(github, human, junit, markdown, page);

pub use human::{render_run, short_value};

/// Text safe inside HTML elements and attribute values (the fleet page; a `<summary>` in a
/// Markdown report, where Markdown is not read).
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A run's status in a table cell, with a sign that reads without colour.
pub fn status_cell(s: crate::session::Status) -> &'static str {
    use crate::session::Status;
    match s {
        Status::Pass => "✅ pass",
        Status::Warn => "⚠️ warn",
        Status::Fail => "❌ fail",
        Status::Missing => "❌ missing",
        Status::Error => "❌ error",
    }
}

/// The categories a run drifted in, with their counts: `static_data (1), code (2)`.
pub fn drifted_categories(r: &crate::session::RunReport) -> String {
    crate::drift::Category::ALL
        .iter()
        .filter_map(|c| {
            let n = r.shown().filter(|d| d.category == *c).count();
            (n > 0).then(|| format!("{c} ({n})"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `1 ok, 0 warn, 2 fail, 0 missing, 0 error[, 1 orphan]`.
pub fn counts(outcome: &crate::session::Outcome) -> String {
    use crate::session::Status;
    let n = |s: Status| outcome.reports.iter().filter(|r| r.status() == s).count();
    let mut out = format!(
        "{} ok, {} warn, {} fail, {} missing, {} error",
        n(Status::Pass),
        n(Status::Warn),
        n(Status::Fail),
        n(Status::Missing),
        n(Status::Error)
    );
    if !outcome.orphans.is_empty() {
        out.push_str(&format!(", {} orphan", outcome.orphans.len()));
    }
    out
}

/// The name of the harness trial (and of the JUnit test case) that reports orphan baselines.
/// `:` cannot appear in a run name, so it never clashes with one.
pub const ORPHANS_TRIAL: &str = "provbase::orphans";

/// What every report says of a baseline file no run owns, after naming it.
pub const ORPHAN_HINT: &str =
    "no run owns this baseline: remove it with `provbase prune --yes`, or add its run back";

/// Writes what CI reads of an outcome, the same from both front doors: the JUnit report (when
/// `junit` names a file; written anew every time), the JSON report (when `json_report`
/// names a file) and, on GitHub Actions, the annotations and the step summary. Paths in them are relative to the repository's root.
pub fn publish(
    config: &crate::Config,
    outcome: &crate::session::Outcome,
    accept: &dyn Fn(&str) -> String,
    junit: Option<&std::path::Path>,
    json_report: Option<&std::path::Path>,
) -> crate::Result<()> {
    // a run whose baseline does not exist (missing, or an error before one was written) has
    // no file to show but its [[run]] in harness.toml
    let file = |r: &crate::session::RunReport| {
        let baseline = config.root.join(&r.baseline);
        match config
            .run(&r.run)
            .filter(|_| !config.path.as_os_str().is_empty() && !baseline.is_file())
        {
            Some(spec) => (config.repo_rel(&config.path), Some(spec.line)),
            None => (config.repo_rel(&baseline), None),
        }
    };
    let orphans: Vec<String> = outcome
        .orphans
        .iter()
        .map(|o| config.repo_rel(&config.root.join(o)))
        .collect();
    if let Some(path) = junit {
        let xml = junit::document(outcome, &orphans, accept, &file);
        crate::store::write_fresh(path, crate::outbound::text(&xml).as_bytes())?;
    }
    // the JSON report, for `provbase report` to fold with those of other machines and nights
    if let Some(path) = json_report {
        let mut doc = json::document(outcome, config.profile.as_deref());
        crate::redact::scrub_strings(&mut doc);
        crate::store::write_fresh(path, &crate::canonical::pretty_bytes(&doc))?;
    }
    if !outcome.reports.is_empty() || !outcome.orphans.is_empty() {
        github::emit(&outcome.reports, &orphans, accept, &file);
    }
    Ok(())
}

pub use crate::outbound::inert;
