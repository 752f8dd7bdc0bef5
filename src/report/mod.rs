//! Reports of a check: human text (with a unified diff and the accept command) and a JSON
//! document for scripts.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;

pub use human::{render_run, short_value};

/// What every report says of a baseline file no run owns, after naming it.
pub const ORPHAN_HINT: &str =
    "no run owns this baseline: remove it with `provbase prune --yes`, or add its run back";

/// Writes what CI reads of an outcome, the same from both front doors: the JUnit report (when
/// `junit` names a file; written anew every time) and, on GitHub Actions, the annotations and
/// the step summary. Paths in them are relative to the repository's root.
pub fn publish(
    config: &crate::Config,
    outcome: &crate::session::Outcome,
    accept: &dyn Fn(&str) -> String,
    junit: Option<&std::path::Path>,
) -> crate::Result<()> {
    let file = |r: &crate::session::RunReport| config.repo_rel(&config.root.join(&r.baseline));
    if let Some(path) = junit {
        let xml = junit::document(&outcome.reports, &outcome.orphans, accept, &file);
        crate::store::write_fresh(path, xml.as_bytes())?;
    }
    if !outcome.reports.is_empty() || !outcome.orphans.is_empty() {
        let orphans: Vec<String> = outcome
            .orphans
            .iter()
            .map(|o| config.repo_rel(&config.root.join(o)))
            .collect();
        github::emit(&outcome.reports, &orphans, accept, &file);
    }
    Ok(())
}

/// Text that cannot command a CI runner: GitHub's runner (and GitLab's log parser) takes any
/// line of stdout or stderr whose first non-blank characters are `::` as a workflow command,
/// so a data file's line or a command's stderr such as `::error::x` or `::stop-commands::t`
/// would be executed. Such a line gets a zero-width space between its two colons: it reads the
/// same, and no runner parses it.
pub fn inert(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.lines().any(|l| l.trim_start().starts_with("::")) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        if line[indent..].starts_with("::") {
            out.push_str(&line[..indent]);
            out.push_str(":\u{200B}:");
            out.push_str(&line[indent + 2..]);
        } else {
            out.push_str(line);
        }
    }
    out.into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn untrusted_lines_cannot_command_the_runner() {
        let text = "ok\n::error::pwned\n   ::stop-commands::token\n+::warning::x\nlast ::error::y";
        let safe = super::inert(text);
        for line in safe.lines() {
            assert!(!line.trim_start().starts_with("::"), "{line}");
        }
        assert_eq!(safe.replace('\u{200B}', ""), text, "reads the same");
        assert_eq!(super::inert("plain\n"), "plain\n");
    }
}
