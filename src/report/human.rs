//! The human report of one run: one line per drifted field grouped by category, then a unified
//! diff of the baseline against what accept would write, then the command that accepts it.

use crate::drift::{Category, Drift, Policy};
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
    let mut sorted: Vec<&&Drift> = drifts.iter().collect();
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
            format!(
                "{:<12} {:<width$}  {} → {}{mark}",
                d.category.name(),
                subject(d),
                short_value(d.before.as_ref()),
                short_value(d.after.as_ref()),
            )
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

/// The full text of one run's report. `accept` is the command that accepts this run.
pub fn render_run(r: &RunReport, accept: &str) -> String {
    super::inert(&render_raw(r, accept)).into_owned()
}

fn render_raw(r: &RunReport, accept: &str) -> String {
    let mut out = String::new();
    match r.status() {
        Status::Error => {
            let _ = writeln!(
                out,
                "error: {}",
                r.error()
                    .map_or_else(|| "unknown error".to_owned(), ToString::to_string)
            );
            if r.error().is_some_and(crate::Error::accept_repairs) {
                let _ = writeln!(out, "\nTo regenerate it: {accept}");
            }
        }
        Status::Missing => {
            let _ = writeln!(out, "no baseline: {} does not exist", r.baseline);
            let _ = writeln!(out, "\nTo create it: {accept}");
            if let Some(c) = &r.candidate {
                let _ = writeln!(out, "What it would hold: {c}");
            }
        }
        Status::Pass | Status::Warn | Status::Fail => {
            let shown: Vec<&Drift> = r.shown().collect();
            if shown.is_empty() {
                // nothing drifted: notes such as how far HEAD moved, one line each
                for note in r.explanation() {
                    let _ = writeln!(
                        out,
                        "{}: {}",
                        note.subject,
                        note.text.lines().next().unwrap_or("")
                    );
                }
                return out;
            }
            let failing = shown.iter().filter(|d| d.policy == Policy::Fail).count();
            let warning = shown.len() - failing;
            let _ = writeln!(
                out,
                "{} drifted from {}: {}",
                r.run,
                r.baseline,
                counted(failing, warning)
            );
            for line in summary_lines(&shown) {
                let _ = writeln!(out, "  {line}");
            }
            if !r.explanation().is_empty() {
                let _ = writeln!(out, "\nWhy:");
                for note in r.explanation() {
                    let mut lines = note.text.lines();
                    let _ = writeln!(out, "  {}: {}", note.subject, lines.next().unwrap_or(""));
                    for l in lines {
                        let _ = writeln!(out, "    {l}");
                    }
                }
            }
            // warnings alone get their summary lines; the diff is for what fails
            if let (true, Some(old), Some(new)) = (failing > 0, &r.baseline_text(), &r.current_text)
            {
                let _ = writeln!(out);
                out.push_str(&crate::explain::unified_diff(
                    old,
                    new,
                    &format!("{} (baseline)", r.baseline),
                    &format!("{} (current)", r.run),
                    MAX_DIFF_LINES,
                ));
            }
            if failing > 0 {
                let _ = writeln!(out, "\nTo accept: {accept}");
                if let Some(c) = &r.candidate {
                    let _ = writeln!(out, "Candidate: {c} (provbase accept --from applies it)");
                }
            }
        }
    }
    out
}

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Whether to colour output: `always` and `never` decide; `auto` colours a terminal, or
/// anything when `CLICOLOR_FORCE` is set, and never when `NO_COLOR` is set to anything
/// non-empty, `CLICOLOR` is `0` or `TERM` is `dumb`.
pub fn use_color(choice: &str, is_terminal: bool) -> bool {
    let o = crate::options::get();
    color_decision(choice, is_terminal || o.color_force, o.no_color, false)
}

fn color_decision(choice: &str, is_terminal: bool, no_color: bool, dumb: bool) -> bool {
    match choice {
        "always" => true,
        "never" => false,
        _ => is_terminal && !no_color && !dumb,
    }
}

/// Paints a rendered report for a terminal: failing drift lines red, warnings yellow, diff
/// lines red and green, hunk headers cyan.
pub fn colorize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.lines() {
        let t = line.trim_start();
        let is_summary = line.starts_with("  ")
            && !line.starts_with("   ")
            && Category::ALL
                .iter()
                .any(|c| t.starts_with(&format!("{} ", c.name())));
        let color = if t.starts_with("--- ")
            || t.starts_with("+++ ")
            || t.starts_with("To accept")
            || t.starts_with("Why:")
        {
            BOLD
        } else if t.starts_with("@@") {
            CYAN
        } else if is_summary && t.ends_with("(warn)") {
            YELLOW
        } else if is_summary || t.starts_with('-') {
            RED
        } else if t.starts_with('+') {
            GREEN
        } else {
            ""
        };
        if color.is_empty() {
            out.push_str(line);
        } else {
            let _ = write!(out, "{color}{line}{RESET}");
        }
        out.push('\n');
    }
    out
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
        let cases = [
            ("auto", true, false, false, true),
            ("auto", false, false, false, false),
            ("auto", true, true, false, false),
            ("auto", true, false, true, false),
            ("always", false, true, false, true),
            ("never", true, false, false, false),
        ];
        for (choice, tty, no_color, dumb, want) in cases {
            assert_eq!(
                color_decision(choice, tty, no_color, dumb),
                want,
                "{choice} {tty} {no_color} {dumb}"
            );
        }
        assert!(!colorize("plain\n").contains('\x1b'));
        assert_eq!(colorize("-a\n"), "\x1b[31m-a\x1b[0m\n");
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
    }
}
