//! The human report of one run: one line per drifted field grouped by category, then a unified
//! diff of the baseline against what accept would write, then the command that accepts it.

use crate::drift::{Drift, Policy};
use crate::session::{RunReport, Status};
use serde::Deserialize;
use serde_json::Value;
use std::fmt::Write;

/// Lines of unified diff shown before the rest is cut.
pub const MAX_DIFF_LINES: usize = 120;
const MAX_VALUE_CHARS: usize = 60;

/// A value as one short line: hashes shortened to 8 hex digits, long text cut with `…`.
pub fn short_value(v: Option<&Value>) -> String {
    let Some(v) = v else { return "(absent)".into() };
    // a folder recorded by its digest: the digest, how many files, how many bytes
    if let Ok(t) = crate::manifest::tree::Tree::deserialize(v) {
        return format!(
            "{} ({} files, {} bytes)",
            short_value(Some(&Value::String(t.tree.0))),
            t.files,
            t.bytes
        );
    }
    // an object in a store: its ETag, size and time
    if let Ok(o) = crate::manifest::object::StoreObject::deserialize(v) {
        return o.brief();
    }
    let text = match v {
        Value::String(s) if crate::canonical::is_sha256_tagged(s) => {
            return format!("{}…", &s[..15]);
        }
        Value::String(s) if s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {
            return format!("{}…", &s[..10]);
        }
        Value::String(s)
            if !s.is_empty() && !s.contains(|c: char| c.is_whitespace() || c.is_control()) =>
        {
            s.clone()
        }
        // a string with spaces, quoted but as written (JSON would double each backslash);
        // one with control characters stays JSON, so nothing reaches a terminal raw
        Value::String(s) if !s.contains(char::is_control) => format!("\"{s}\""),
        other => other.to_string(),
    };
    if text.chars().count() > MAX_VALUE_CHARS {
        let cut: String = text.chars().take(MAX_VALUE_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// The name a drift line gives its field: the path within the category's section.
pub fn subject(d: &Drift) -> String {
    let s = d.path.display_from(d.category.prefix_len(&d.path));
    // a key alone needs no quotes in a report
    match serde_json::from_str::<String>(&s) {
        Ok(unquoted) if s.starts_with('"') => unquoted,
        _ => s,
    }
}

/// What `--twice` says of a field that differs between two collections of a run, and the
/// strip selector that removes it (both front doors).
pub fn volatile_line(run: &str, d: &Drift) -> String {
    format!(
        "volatile  {run}  {}  {} / {}\n          add to [harness] strip: \"{}\"",
        d.path,
        short_value(d.before.as_ref()),
        short_value(d.after.as_ref()),
        d.path.to_selector().replace('"', "\\\"")
    )
}

/// One line per drift, grouped by category in report order.
pub fn summary_lines(drifts: &[&Drift]) -> Vec<String> {
    summary(drifts).into_iter().map(|(_, l)| l).collect()
}

/// [`summary_lines`], each with its drift.
fn summary<'a>(drifts: &[&'a Drift]) -> Vec<(&'a Drift, String)> {
    let mut sorted: Vec<&'a Drift> = drifts.to_vec();
    sorted.sort_by_key(|d| (d.category, d.path.clone()));
    let width = sorted
        .iter()
        .map(|d| subject(d).chars().count())
        .max()
        .unwrap_or(0)
        .min(48);
    sorted
        .iter()
        .map(|d| {
            let mark = if d.policy == Policy::Warn {
                "  (warn)"
            } else {
                ""
            };
            let line = format!(
                "{:<12} {:<width$}  {} → {}{mark}",
                d.category.name(),
                subject(d),
                short_value(d.before.as_ref()),
                short_value(d.after.as_ref()),
            );
            (*d, line)
        })
        .collect()
}

/// How many drifts fail and how many warn, as every output says it: `1 failing drift, 7
/// warnings`.
pub fn counted(failing: usize, warning: usize) -> String {
    format!(
        "{}, {}",
        count(failing, "failing drift"),
        count(warning, "warning")
    )
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// How a piece of a report shows on a terminal, chosen by the code that writes the piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// As it is.
    Plain,
    /// A failing drift, a removed diff line: red.
    Fail,
    /// A drift that only warns: yellow.
    Warn,
    /// A diff's file names, "Why:", the accept command: bold.
    Heading,
    /// An added diff line: green.
    Added,
    /// A diff hunk's header: cyan.
    Hunk,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Plain => "",
            Style::Fail => RED,
            Style::Warn => YELLOW,
            Style::Heading => BOLD,
            Style::Added => GREEN,
            Style::Hunk => CYAN,
        }
    }

    /// The style of a line of a unified diff, which the caller knows it is writing.
    fn of_diff_line(line: &str) -> Style {
        if line.starts_with("--- ") || line.starts_with("+++ ") {
            Style::Heading
        } else if line.starts_with("@@") {
            Style::Hunk
        } else if line.starts_with('-') {
            Style::Fail
        } else if line.starts_with('+') {
            Style::Added
        } else {
            Style::Plain
        }
    }
}

/// A report being written: each line with the style its writer gave it, coloured only when
/// asked, and made inert for CI runners first.
struct Styled {
    out: String,
    color: bool,
}

impl Styled {
    fn line(&mut self, style: Style, text: &str) {
        let text = super::inert(text);
        if self.color && style != Style::Plain {
            let _ = writeln!(self.out, "{}{text}{RESET}", style.code());
        } else {
            let _ = writeln!(self.out, "{text}");
        }
    }

    fn blank(&mut self) {
        self.out.push('\n');
    }

    /// Lines of a unified diff (or of a note that may hold one), each styled by its kind.
    fn diff(&mut self, indent: &str, text: &str) {
        for l in text.lines() {
            self.line(Style::of_diff_line(l), &format!("{indent}{l}"));
        }
    }
}

/// The full text of one run's report. `accept` is the command that accepts this run.
pub fn render_run(r: &RunReport, accept: &str) -> String {
    render(r, accept, false)
}

/// [`render_run`] for a terminal that shows colour: failing drifts red, warnings yellow, diff
/// lines red and green, hunk headers cyan, headings bold.
pub fn render_run_colored(r: &RunReport, accept: &str) -> String {
    render(r, accept, true)
}

fn render(r: &RunReport, accept: &str, color: bool) -> String {
    let mut w = Styled {
        out: String::new(),
        color,
    };
    match r.status() {
        Status::Error => {
            let error = r
                .error()
                .map_or_else(|| "unknown error".to_owned(), ToString::to_string);
            w.line(Style::Plain, &format!("error: {error}"));
            if r.error().is_some_and(crate::Error::accept_repairs) {
                w.blank();
                w.line(Style::Heading, &format!("To regenerate it: {accept}"));
            }
        }
        Status::Missing => {
            w.line(
                Style::Plain,
                &format!("no baseline: {} does not exist", r.baseline),
            );
            w.blank();
            w.line(Style::Heading, &format!("To create it: {accept}"));
            if let Some(c) = &r.candidate {
                w.line(Style::Plain, &format!("What it would hold: {c}"));
            }
        }
        Status::Pass | Status::Warn | Status::Fail => {
            let shown: Vec<&Drift> = r.shown().collect();
            if shown.is_empty() {
                // nothing drifted: notes such as how far HEAD moved, one line each
                for note in r.explanation() {
                    let first = note.text.lines().next().unwrap_or("");
                    w.line(Style::Plain, &format!("{}: {first}", note.subject));
                }
                return w.out;
            }
            let failing = shown.iter().filter(|d| d.policy == Policy::Fail).count();
            let warning = shown.len() - failing;
            w.line(
                Style::Plain,
                &format!(
                    "{} drifted from {}: {}",
                    r.run,
                    r.baseline,
                    counted(failing, warning)
                ),
            );
            for (d, line) in summary(&shown) {
                let style = if d.policy == Policy::Warn {
                    Style::Warn
                } else {
                    Style::Fail
                };
                w.line(style, &format!("  {line}"));
            }
            if !r.explanation().is_empty() {
                w.blank();
                w.line(Style::Heading, "Why:");
                for note in r.explanation() {
                    let mut lines = note.text.lines();
                    w.line(
                        Style::Plain,
                        &format!("  {}: {}", note.subject, lines.next().unwrap_or("")),
                    );
                    // the rest of a note is a unified diff of the file, or plain lines
                    w.diff("    ", &lines.collect::<Vec<_>>().join("\n"));
                }
            }
            // warnings alone get their summary lines; the diff is for what fails
            if let (true, Some(old), Some(new)) = (failing > 0, &r.baseline_text(), &r.current_text)
            {
                w.blank();
                w.diff(
                    "",
                    &crate::explain::unified_diff(
                        old,
                        new,
                        &format!("{} (baseline)", r.baseline),
                        &format!("{} (current)", r.run),
                        MAX_DIFF_LINES,
                    ),
                );
            }
            if failing > 0 {
                w.blank();
                w.line(Style::Heading, &format!("To accept: {accept}"));
                if let Some(c) = &r.candidate {
                    w.line(
                        Style::Plain,
                        &format!("Candidate: {c} (provbase accept --from applies it)"),
                    );
                }
            }
        }
    }
    w.out
}

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// `--color`: whether output is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Only on a terminal, and not when `NO_COLOR` is set, `CLICOLOR` is `0` or `TERM` is
    /// `dumb`; anywhere when `CLICOLOR_FORCE` is set.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Whether to colour output: `always` and `never` decide; `auto` colours a terminal, or
/// anything when `CLICOLOR_FORCE` is set, and never when `NO_COLOR` is set to anything
/// non-empty, `CLICOLOR` is `0` or `TERM` is `dumb`.
pub fn use_color(choice: ColorChoice, is_terminal: bool) -> bool {
    let o = crate::options::get();
    color_decision(choice, is_terminal || o.color_force, o.no_color, false)
}

fn color_decision(choice: ColorChoice, is_terminal: bool, no_color: bool, dumb: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && !no_color && !dumb,
    }
}

/// A status label, coloured when asked.
pub fn label(status: crate::session::Status, color: bool) -> String {
    use crate::session::Status;
    let (text, c) = match status {
        Status::Pass => ("ok", GREEN),
        Status::Warn => ("warn", YELLOW),
        Status::Fail => ("FAIL", RED),
        Status::Missing => ("MISSING", RED),
        Status::Error => ("ERROR", RED),
    };
    if color {
        format!("{c}{text:<7}{RESET}")
    } else {
        format!("{text:<7}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::Category;
    use crate::path::{JsonPath, Segment};
    use serde_json::json;

    fn drift(keys: &[&str], cat: Category, policy: Policy, before: Value, after: Value) -> Drift {
        Drift {
            path: JsonPath(keys.iter().map(|k| Segment::Key(k.to_string())).collect()),
            category: cat,
            policy,
            before: Some(before),
            after: Some(after),
        }
    }

    #[test]
    fn summary_groups_by_category_and_names_fields() {
        let a = "sha256:1a2b3c4d00000000000000000000000000000000000000000000000000000000";
        let b = "sha256:9f8e7d6c00000000000000000000000000000000000000000000000000000000";
        let ds = [
            drift(
                &["code", "git_sha"],
                Category::Git,
                Policy::Warn,
                json!("0123456789012345678901234567890123456789"),
                json!("9999999999012345678901234567890123456789"),
            ),
            drift(
                &["static_data_hashes", "cfg/config_220_body_shape.yaml"],
                Category::StaticData,
                Policy::Fail,
                json!(a),
                json!(b),
            ),
            drift(
                &["params", "seed"],
                Category::Params,
                Policy::Fail,
                json!(42),
                json!(43),
            ),
        ];
        let refs: Vec<&Drift> = ds.iter().collect();
        let lines = summary_lines(&refs);
        assert_eq!(
            lines,
            [
                "static_data  cfg/config_220_body_shape.yaml  sha256:1a2b3c4d… → sha256:9f8e7d6c…",
                "params       seed                            42 → 43",
                "git          code.git_sha                    0123456789… → 9999999999…  (warn)",
            ]
        );
    }

    #[test]
    fn long_diffs_are_cut() {
        let old: String = (0..1000).map(|i| format!("{i}\n")).collect();
        let new: String = (0..1000).map(|i| format!("{}\n", i * 2)).collect();
        let d = crate::explain::unified_diff(&old, &new, "a", "b", 50);
        assert_eq!(d.lines().count(), 51);
        assert!(d.contains("more lines, see --format json"));
    }

    #[test]
    fn colour_decisions() {
        // (choice, terminal, NO_COLOR set, TERM=dumb) → colour
        use ColorChoice::{Always, Auto, Never};
        let cases = [
            (Auto, true, false, false, true),
            (Auto, false, false, false, false),
            (Auto, true, true, false, false),
            (Auto, true, false, true, false),
            (Always, false, true, false, true),
            (Never, true, false, false, false),
        ];
        for (choice, tty, no_color, dumb, want) in cases {
            assert_eq!(
                color_decision(choice, tty, no_color, dumb),
                want,
                "{choice:?} {tty} {no_color} {dumb}"
            );
        }
    }

    /// Each piece is styled by what it is, not by how its text looks: a warning is yellow even
    /// when its value starts with `-`, a failing drift red, the accept command bold; the plain
    /// rendering is the same text without a single escape.
    #[test]
    fn colour_follows_what_is_written() {
        let report = crate::session::RunReport {
            run: "nav".into(),
            baseline: "baselines/nav.json".into(),
            checked: crate::session::Checked::Compared(crate::session::Comparison {
                verdict: crate::drift::Verdict::Fail,
                drifts: vec![
                    drift(&["params", "seed"], Category::Params, Policy::Fail, json!(1), json!(2)),
                    drift(
                        &["environment", "OFFSET"],
                        Category::Environment,
                        Policy::Warn,
                        json!("-1"),
                        json!("-2"),
                    ),
                ],
                explanation: Vec::new(),
                baseline_text: "{\n  \"seed\": 1\n}\n".into(),
            }),
            current_text: Some("{\n  \"seed\": 2\n}\n".into()),
            candidate: None,
            duration: std::time::Duration::ZERO,
        };
        let plain = render_run(&report, "provbase accept nav");
        let colored = render_run_colored(&report, "provbase accept nav");
        assert!(!plain.contains('\x1b'), "{plain}");
        let line = |needle: &str| colored.lines().find(|l| l.contains(needle)).unwrap().to_owned();
        assert!(line("OFFSET").starts_with(YELLOW), "{colored}");
        assert!(line("seed ").starts_with(RED), "{colored}");
        assert!(line("To accept: provbase accept nav").starts_with(BOLD));
        assert!(line("-  \"seed\": 1").starts_with(RED));
        assert!(line("+  \"seed\": 2").starts_with(GREEN));
        assert!(line("@@").starts_with(CYAN));
        // the same text, escapes aside
        let stripped: String = colored
            .replace(RED, "")
            .replace(YELLOW, "")
            .replace(GREEN, "")
            .replace(CYAN, "")
            .replace(BOLD, "")
            .replace(RESET, "");
        assert_eq!(stripped, plain);
    }

    #[test]
    fn values_are_shortened() {
        assert_eq!(short_value(None), "(absent)");
        assert_eq!(short_value(Some(&json!("two words"))), "\"two words\"");
        assert_eq!(
            short_value(Some(&json!({"unavailable": "x"}))),
            "{\"unavailable\":\"x\"}"
        );
        assert_eq!(
            short_value(Some(&json!("x".repeat(100)))).chars().count(),
            60
        );
        assert_eq!(
            short_value(Some(&json!({
                "etag": "d7b03f61d7003c4affde4d979f382228",
                "modified": "2026-12-05T07:20:23Z",
                "size": 1_200_000_000u64,
                "version": "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY",
                "checksums": {"crc32": "T68qyw=="}
            }))),
            "ETag d7b03f61d700…, 1.2 GB, modified 2026-12-05 07:20 UTC, version 3HL4kqtJ…"
        );
    }
}
