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

/// Untrusted text (a run name, a value, a command's stderr) as Markdown shows it literally in
/// running text: a code span, so no link, image, HTML, emphasis or @mention renders, and `<`,
/// `&`, `\` show as they are. The span's fence is one backtick longer than any run of backticks
/// inside; line breaks become spaces. In a table cell use [`cell`].
pub fn code(s: &str) -> String {
    let flat = s.replace("\r\n", " ").replace(['\r', '\n'], " ");
    let longest = flat.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if flat.starts_with('`') || flat.ends_with('`') || flat.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{flat}{pad}{fence}")
}

/// [`code`] for a table cell: a pipe is escaped (`\|`), which GFM's tables read as the cell's
/// text even inside a code span. (Outside a table the backslash would show.)
pub fn cell(s: &str) -> String {
    let flat = s.replace("\r\n", " ").replace(['\r', '\n'], " ");
    code(&flat.replace('|', "\\|"))
}

/// A run's name in a table cell: as it is when it has the shape harness.toml allows (letters,
/// digits, `.`, `_`, `-`, which no Markdown reads within a word), else a code span (a name
/// from a report folded from elsewhere, a file in the baselines folder).
pub fn name(s: &str) -> String {
    let plain = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !s.contains("__");
    if plain { s.to_owned() } else { cell(s) }
}

fn rest_starts(s: &str, i: usize, what: &str) -> bool {
    s[i..].starts_with(what)
}

/// Untrusted text as it may stand in running Markdown outside a code span: every ASCII
/// punctuation character that Markdown could read is backslash-escaped (CommonMark allows it
/// before any of them), `@` is escaped so no one is mentioned, and line breaks become spaces.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        match c {
            '\r' | '\n' => out.push(' '),
            // `www.` would be linked
            '.' if s[..i].to_ascii_lowercase().ends_with("www") => out.push_str("\\."),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            // `:` only where it would start an autolink (`https://`)
            ':' if !rest_starts(s, i, "://") => out.push(':'),
            c if c.is_ascii_punctuation() && c != '.' && c != ',' && c != '/' && c != '-' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
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
            name(&r.run),
            super::status_cell(r.status()),
            super::drifted_categories(r)
        );
    }
    for o in orphans {
        let _ = writeln!(out, "| {} | ❌ orphan | {} |", name(o), super::ORPHAN_HINT);
    }
    // one section per run that needs attention, each whole or not at all
    let mut sections = Vec::new();
    for r in runs.iter().filter(|r| r.status() != Status::Pass) {
        let mut details = String::new();
        // the summary is inside an HTML block, where Markdown is not read: HTML-escaped, in
        // <code> so that no @mention is made of it
        let _ = write!(
            details,
            "\n<details><summary><code>{}</code> — {}</summary>\n\n",
            super::html_escape(&r.run),
            super::status_cell(r.status())
        );
        match r.status() {
            Status::Missing => {
                let _ = writeln!(
                    details,
                    "No baseline: {} does not exist.",
                    code(&r.baseline)
                );
            }
            Status::Error => {
                let _ = writeln!(
                    details,
                    "The check could not run: {}",
                    code(
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
                        "| {} | {} | {} | {} | {} |",
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
        // an error is repaired where it happened, not by accepting (which would fail too)
        if matches!(r.status(), Status::Fail | Status::Missing) {
            let _ = writeln!(details, "\nTo accept: {}", code(&accept(&r.run)));
        }
        details.push_str("\n</details>\n");
        sections.push(details);
    }
    // whole sections while they fit (a cut inside one would leave its <details> open and hide
    // what follows); then say how many are left out and where they are
    const NOTICE_ROOM: usize = 200;
    let mut shown = 0;
    for s in &sections {
        if out.len() + s.len() + NOTICE_ROOM > MAX_CHARS {
            break;
        }
        out.push_str(s);
        shown += 1;
    }
    if shown < sections.len() {
        let _ = write!(
            out,
            "\n… {} more {} not shown here to fit; `provbase --format json check` has all of it\n",
            sections.len() - shown,
            if sections.len() - shown == 1 {
                "run"
            } else {
                "runs"
            }
        );
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
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
        assert!(md.contains("| `baselines/old.json` | ❌ orphan |"), "{md}");
        assert!(md.contains("To accept: `provbase accept nav`"), "{md}");
        // data cannot break the table or open HTML: a code span, its pipe escaped
        assert!(md.contains("| `` p0\\|<b>`x` `` |"), "{md}");
        let html = render(&md);
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains("<code>p0|&lt;b&gt;`x`</code>"), "{html}");
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

    /// The text a reader sees of rendered HTML: tags dropped, entities decoded.
    fn visible(html: &str) -> String {
        let mut text = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    }

    /// 400 drifting runs: whole sections while they fit, every `<details>` closed, and the
    /// notice of what is left out outside them, where a reader sees it.
    #[test]
    fn a_capped_report_closes_every_section_and_shows_its_notice() {
        let outcome = crate::session::Outcome {
            reports: (0..400).map(|i| report(&format!("run-{i}"), 8)).collect(),
            ..Default::default()
        };
        let md = document(&outcome, &|r| format!("provbase accept {r}"));
        assert!(md.chars().count() <= MAX_CHARS, "{}", md.len());
        assert_eq!(
            md.matches("<details>").count(),
            md.matches("</details>").count()
        );
        let tail = &md[md.rfind("</details>").unwrap()..];
        assert!(tail.contains("more runs not shown here"), "{tail}");
        let html = render(&md);
        assert_eq!(
            html.matches("<details>").count(),
            html.matches("</details>").count()
        );
        assert!(
            html.rsplit("</details>")
                .next()
                .unwrap()
                .contains("more runs not shown")
        );
        // the table of runs is whole
        assert!(md.contains("| run-399 | ❌ fail |"));
    }

    /// What a reader sees of the rendered report is what the data says, character for
    /// character: no escape shows, nothing renders as emphasis, a link or HTML; a run that
    /// could not be checked is not offered an accept that would fail too.
    #[test]
    fn the_rendered_report_shows_the_data_as_written() {
        use crate::drift::Verdict;
        let hostile = "a<b & c \\d `e` *em* _u_ | f @team";
        let mut nav = report("coiss_N1597846115", 1);
        if let crate::session::Checked::Compared(c) = &mut nav.checked {
            c.drifts[0].before = Some(json!("x_y*z"));
            c.drifts[0].after = Some(json!(hostile));
            c.verdict = Verdict::Fail;
        }
        let mut broken = report("err_run", 0);
        broken.checked = crate::session::Checked::Failed(std::sync::Arc::new(
            crate::error::Error::Usage(format!("cannot read `cfg/*.yaml`: {hostile}")),
        ));
        let outcome = crate::session::Outcome {
            reports: vec![nav, broken],
            ..Default::default()
        };
        let md = document(&outcome, &|r| format!("provbase accept {r}"));
        let html = render(&md);
        for bad in ["<em>", "<strong>", "<a ", "<b>"] {
            assert!(!html.contains(bad), "{bad}: {html}");
        }
        let seen = visible(&html);
        for want in [
            "coiss_N1597846115 — ❌ fail",
            "x_y*z",
            &format!("\"{hostile}\""),
            &format!("cannot read `cfg/*.yaml`: {hostile}"),
            "To accept: provbase accept coiss_N1597846115",
            "err_run — ❌ error",
        ] {
            assert!(seen.contains(want), "{want:?} in:\n{seen}\n{md}");
        }
        assert!(!seen.contains("provbase accept err_run"), "{seen}");
        assert!(!seen.contains("\\|") && !seen.contains("\\_"), "{seen}");
    }

    /// Markdown as GitHub renders it (CommonMark with GFM tables and strikethrough), by
    /// pulldown-cmark.
    pub(crate) fn render(md: &str) -> String {
        let mut opts = pulldown_cmark::Options::empty();
        opts.insert(pulldown_cmark::Options::ENABLE_TABLES);
        opts.insert(pulldown_cmark::Options::ENABLE_STRIKETHROUGH);
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new_ext(md, opts));
        html
    }

    const HOSTILE: &str = "[click](https://evil.example) ![i](https://evil.example/i.png) <img src=x> @team *em* ~~s~~ ` a|b \\ &lt; \r::error::x";

    #[test]
    fn untrusted_text_is_a_code_span_or_escaped() {
        assert_eq!(code("a|b"), "`a|b`");
        assert_eq!(cell("a|b"), "`a\\|b`");
        assert_eq!(code("x `y` z"), "``x `y` z``");
        assert_eq!(code("`"), "`` ` ``");
        assert_eq!(code("l1\nl2"), "`l1 l2`");
        // in a table cell, as a code span: one cell, shown literally
        let table = format!("| a | b |\n|---|---|\n| {} | x |\n", cell(HOSTILE));
        let html = render(&table);
        assert_eq!(html.matches("<td>").count(), 2, "{html}");
        assert_eq!(html.matches("<code>").count(), 1, "{html}");
        for bad in ["<a ", "<img", "<em>", "<del>"] {
            assert!(!html.contains(bad), "{bad}: {html}");
        }
        assert!(html.contains("a|b \\ &amp;lt;"), "shown as written: {html}");
        // in running text, escaped: shown as written, nothing rendered
        let html = render(&format!("run {} failed", escape(HOSTILE)));
        for bad in ["<a ", "<img", "<em>", "<del>", "<code>"] {
            assert!(!html.contains(bad), "{bad}: {html}");
        }
        assert!(html.contains("[click](https://evil.example)"), "{html}");
        assert!(html.contains("@team *em*"), "{html}");
        let html = render(&escape("see www.evil.example at 02:00"));
        assert!(!html.contains("<a"), "{html}");
        assert!(escape("at 02:00").ends_with("02:00"));
    }
}
