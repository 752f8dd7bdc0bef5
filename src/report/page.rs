//! The fleet page: one self-contained HTML file (no script, font or style from anywhere else;
//! it opens from a downloaded CI artifact) with the first-seen lines, the matrix of runs ×
//! runners, each runner's timeline of nights, and the reports it was folded from. Every status
//! reads as text as well as colour; a cell's drifts open on click (`<details>`, so printing and
//! readers without scripts work too).

use super::fold::{Cell, FirstSeen, Folded, Source};
use crate::session::Status;
use std::fmt::Write;

use super::html_escape as esc;

/// A value as the page shows it: JSON, shortened.
fn value(v: Option<&serde_json::Value>) -> String {
    esc(&super::human::short_value(v))
}

/// A status as the page writes it: a sign in any font, and the word.
fn status_text(s: Status) -> &'static str {
    match s {
        Status::Pass => "✔ pass",
        Status::Warn => "⚠ warn",
        Status::Fail => "✘ fail",
        Status::Missing => "✘ missing",
        Status::Error => "✘ error",
    }
}

/// `1 report`, `3 reports`.
pub fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn status_class(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Warn => "warn",
        Status::Fail => "fail",
        Status::Missing => "missing",
        Status::Error => "error",
    }
}

/// `2026-11-30T02:00:00Z` as `2026-11-30 02:00`.
fn short_time(t: &str) -> String {
    if t.is_empty() {
        return "(no time)".into();
    }
    let t = t.replacen('T', " ", 1);
    let t = t.trim_end_matches('Z');
    t.strip_suffix(":00").unwrap_or(t).to_owned()
}

// The page is as wide as the window: a wide table scrolls inside its own box (`.wide`), and
// long names and values wrap. In print every `<details>` shows its content (a printed page
// cannot be clicked), the page turns to landscape, and tables fit its width.
const STYLE: &str = "
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#1b1b1b}
main{max-width:100%}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.6em}
.wide{max-width:100%;overflow-x:auto}
table{border-collapse:collapse}th,td{border:1px solid #bbb;padding:.3em .5em;vertical-align:top;text-align:left;overflow-wrap:anywhere}
.pass{background:#e5f4e5}.warn{background:#fff3cd}.fail,.missing,.error{background:#f8d7da}
summary{cursor:pointer;white-space:nowrap}#matrix>tbody>tr>th{white-space:nowrap}details.cell[open]{min-width:min(28em,80vw)}
.drifts td,.drifts th{font-size:.9em}code{font-size:.92em;overflow-wrap:anywhere}pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85em;margin:.3em 0}
.lane td{white-space:nowrap}.night{display:inline-block;margin:0 .2em .2em 0;padding:.1em .4em;border:1px solid #bbb;border-radius:3px}
small{color:#555}
@page{size:landscape;margin:1cm}
@media print{
body{margin:0;font-size:9pt}
details::details-content{content-visibility:visible;display:block}
details>*{display:block}summary{list-style:none;cursor:auto}
summary,#matrix>tbody>tr>th,.lane td{white-space:normal}
.wide{overflow:visible}table{width:100%;table-layout:fixed}details.cell[open]{min-width:0}
tr{break-inside:avoid}
}
";

/// The page.
pub fn html(f: &Folded) -> String {
    let mut s = String::new();
    let first = f.reports.first().map_or("", |r| r.time.as_str());
    let last = f.reports.last().map_or("", |r| r.time.as_str());
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>provbase: drift across {}</title><style>{STYLE}</style></head><body><main>\n\
         <h1>provbase: {} from {}, {} to {}</h1>\n",
        count(f.runners.len(), "runner"),
        count(f.reports.len(), "report"),
        count(f.runners.len(), "runner"),
        esc(&short_time(first)),
        esc(&short_time(last)),
    );
    first_seen_section(&mut s, f);
    matrix_section(&mut s, f);
    timeline_section(&mut s, f);
    sources_section(&mut s, &f.reports);
    s.push_str("</main></body></html>\n");
    s
}

/// The most first-seen lines a page shows: with each report within
/// [`super::fold::MAX_REPORT_BYTES`] and each run within [`super::fold::MAX_DRIFTS_KEPT`], this
/// keeps a page of any fleet to a size a browser opens.
pub const MAX_FIRST_SEEN: usize = 2000;

fn first_seen_section(s: &mut String, f: &Folded) {
    s.push_str("<h2>First seen</h2>\n");
    if f.first_seen.is_empty() {
        s.push_str("<p id=\"first-seen\">Nothing drifted in these reports.</p>\n");
        return;
    }
    s.push_str("<ol id=\"first-seen\">\n");
    for line in f.first_seen.iter().take(MAX_FIRST_SEEN) {
        let _ = writeln!(
            s,
            "<li class=\"first-seen\">{}</li>",
            first_seen_line(line, Style::Html)
        );
    }
    s.push_str("</ol>\n");
    if f.first_seen.len() > MAX_FIRST_SEEN {
        let _ = writeln!(
            s,
            "<p class=\"notice\">… and {} more fields first seen: `provbase report --format json` lists them all</p>",
            f.first_seen.len() - MAX_FIRST_SEEN
        );
    }
}

/// A list of names, the first few and how many more.
fn few(names: &[String]) -> String {
    const SHOWN: usize = 6;
    if names.len() <= SHOWN + 1 {
        return names.join(", ");
    }
    format!(
        "{}, and {} more",
        names[..SHOWN].join(", "),
        names.len() - SHOWN
    )
}

/// How a first-seen line is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// For the page: HTML-escaped.
    Html,
    /// For a step summary or a comment: escaped Markdown, the field a code span.
    Markdown,
    /// For a terminal: as it is.
    Plain,
}

/// One first-seen line: when, what, from what to what, on which runners and runs.
pub fn first_seen_line(line: &FirstSeen, style: Style) -> String {
    let e = |t: &str| match style {
        Style::Html => esc(t),
        Style::Markdown => super::markdown::escape(t),
        Style::Plain => t.to_owned(),
    };
    let code = |t: &str| match style {
        Style::Html => format!("<code>{}</code>", esc(t)),
        Style::Markdown => super::markdown::code(t),
        Style::Plain => format!("`{t}`"),
    };
    let v = |x: Option<&serde_json::Value>| {
        let t = super::human::short_value(x);
        match style {
            Style::Markdown => code(&t),
            _ => e(&t),
        }
    };
    format!(
        "{} · {} · {} {} → {} · on {} · runs {}",
        e(&short_time(&line.time)),
        line.category,
        code(&line.path),
        v(line.before.as_ref()),
        v(line.after.as_ref()),
        e(&few(&line.runners)),
        e(&few(&line.runs)),
    )
}

fn matrix_section(s: &mut String, f: &Folded) {
    s.push_str("<h2>Runs × runners (each runner's latest report)</h2>\n<div class=\"wide\"><table id=\"matrix\"><tr><th>run</th>");
    for runner in &f.runners {
        let _ = write!(s, "<th>{}</th>", esc(runner));
    }
    s.push_str("</tr>\n");
    for run in &f.runs {
        let _ = write!(s, "<tr><th>{}</th>", esc(run));
        for runner in &f.runners {
            match f
                .matrix
                .iter()
                .find(|c| &c.run == run && &c.runner == runner)
            {
                Some(c) => cell(s, c, &f.reports[c.report]),
                None => s.push_str("<td class=\"none\">— not run</td>"),
            }
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table></div>\n");
}

fn cell(s: &mut String, c: &Cell, source: &Source) {
    let categories: Vec<String> = c
        .categories
        .iter()
        .map(|(cat, n)| format!("{cat} ({n})"))
        .collect();
    let _ = write!(
        s,
        "<td class=\"{cls}\" data-run=\"{run}\" data-runner=\"{runner}\" data-status=\"{cls}\">\
         <details class=\"cell\"><summary>{status}<br><small class=\"categories\">{cats}</small></summary>\
         <div class=\"detail\"><small>{time}, {file}</small>",
        cls = status_class(c.status),
        run = esc(&c.run),
        runner = esc(&c.runner),
        status = esc(status_text(c.status)),
        cats = esc(&categories.join(", ")),
        time = esc(&short_time(&source.time)),
        file = esc(&source.file),
    );
    if let Some(e) = &c.error {
        let _ = write!(s, "<pre class=\"error\">{}</pre>", esc(e));
    }
    if !c.drifts.is_empty() {
        s.push_str("<table class=\"drifts\"><tr><th>field</th><th>baseline</th><th>now</th><th>policy</th></tr>");
        for d in &c.drifts {
            let _ = write!(
                s,
                "<tr class=\"drift\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&d.path),
                value(d.before.as_ref()),
                value(d.after.as_ref()),
                d.policy
            );
        }
        s.push_str("</table>");
    }
    for n in &c.explanation {
        let _ = write!(
            s,
            "<p class=\"why\"><b>{}</b></p><pre>{}</pre>",
            esc(&n.subject),
            esc(&n.text)
        );
    }
    s.push_str("</div></details></td>");
}

fn timeline_section(s: &mut String, f: &Folded) {
    s.push_str("<h2>Nights per runner</h2>\n<div class=\"wide\"><table id=\"timeline\">\n");
    for lane in &f.timeline {
        let _ = write!(
            s,
            "<tr class=\"lane\" data-runner=\"{}\"><th>{}</th><td>",
            esc(&lane.runner),
            esc(&lane.runner)
        );
        for st in &lane.stretches {
            let (from, to) = (&f.reports[st.first], &f.reports[st.last]);
            let when = if st.nights == 1 {
                short_time(&from.time)
            } else {
                format!("{} – {}", short_time(&from.time), short_time(&to.time))
            };
            let runs: Vec<String> = st
                .runs
                .iter()
                .map(|(run, status)| format!("{run}: {}", status_class(*status)))
                .collect();
            let _ = write!(
                s,
                "<span class=\"night {cls}\" data-nights=\"{n}\" title=\"{runs}\">{status} · {nights} <small>{when}</small></span>",
                cls = status_class(st.status),
                n = st.nights,
                when = esc(&when),
                runs = esc(&runs.join(", ")),
                status = esc(status_text(st.status)),
                nights = count(st.nights, "night"),
            );
        }
        s.push_str("</td></tr>\n");
    }
    s.push_str("</table></div>\n");
}

fn sources_section(s: &mut String, reports: &[Source]) {
    let _ = write!(
        s,
        "<h2>Reports</h2>\n<details id=\"reports\"><summary>{}</summary><div class=\"wide\"><table>\
         <tr><th>time</th><th>runner</th><th>status</th><th>profile</th><th>commit</th><th>GPU</th><th>provbase</th><th>file</th></tr>\n",
        count(reports.len(), "report")
    );
    for r in reports {
        let gpu = r.gpu.as_ref().map_or(String::new(), |g| {
            format!("{} ({})", g.model, g.driver.as_deref().unwrap_or("?"))
        });
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&short_time(&r.time)),
            esc(&r.runner),
            status_class(r.status),
            esc(status_text(r.status)),
            esc(r.profile.as_deref().unwrap_or("")),
            esc(r
                .commit
                .as_deref()
                .map_or("", |c| crate::canonical::prefix(c, 10))),
            esc(&gpu),
            esc(&r.provbase_version),
            esc(&r.file),
        );
    }
    s.push_str("</table></div></details>\n");
}

/// The Markdown summary of a fold: the first-seen lines and the matrix, capped as
/// [`super::markdown::MAX_CHARS`].
pub fn markdown(f: &Folded) -> String {
    let cellmd = super::markdown::name;
    let mut s = format!(
        "### provbase: {} from {}\n\n",
        count(f.reports.len(), "report"),
        count(f.runners.len(), "runner")
    );
    s.push_str("| run |");
    for r in &f.runners {
        let _ = write!(s, " {} |", cellmd(r));
    }
    s.push_str("\n|---|");
    s.push_str(&"---|".repeat(f.runners.len()));
    s.push('\n');
    for run in &f.runs {
        let _ = write!(s, "| {} |", cellmd(run));
        for runner in &f.runners {
            let c = f
                .matrix
                .iter()
                .find(|c| &c.run == run && &c.runner == runner);
            let _ = write!(
                s,
                " {} |",
                c.map_or_else(
                    || "—".to_owned(),
                    |c| {
                        let cats: Vec<String> = c
                            .categories
                            .iter()
                            .map(|(k, n)| format!("{k} ({n})"))
                            .collect();
                        format!("{} {}", super::status_cell(c.status), cats.join(", "))
                    }
                )
            );
        }
        s.push('\n');
    }
    if !f.first_seen.is_empty() {
        s.push_str("\n**First seen**\n\n");
        for line in &f.first_seen {
            let _ = writeln!(s, "- {}", first_seen_line(line, Style::Markdown));
        }
    }
    if s.len() > super::markdown::MAX_CHARS {
        let cut = s[..s.floor_char_boundary(super::markdown::MAX_CHARS - 200)]
            .rfind('\n')
            .unwrap_or(0);
        s.truncate(cut);
        s.push_str("\n\n… cut here: the page and `--format json` have all of it\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::super::fold::{FOLD_VERSION, FirstSeen, Folded};
    use super::*;
    use crate::policy::{Category, Policy};

    fn folded(lines: usize) -> Folded {
        Folded {
            fold_version: FOLD_VERSION,
            reports: Vec::new(),
            runners: vec!["a100-1".into()],
            runs: vec!["nav".into()],
            matrix: Vec::new(),
            timeline: Vec::new(),
            first_seen: (0..lines)
                .map(|i| FirstSeen {
                    path: format!("static_data_hashes.\"data/shard-{i:05}.bin\" | <b>"),
                    category: Category::StaticData,
                    policy: Policy::Fail,
                    before: Some("sha256:0".into()),
                    after: Some("sha256:1".into()),
                    report: 0,
                    time: "2026-11-30T03:17:00Z".into(),
                    runners: vec!["a100-1".into()],
                    runs: vec!["nav".into()],
                })
                .collect(),
        }
    }

    #[test]
    fn the_markdown_summary_is_capped_and_escaped() {
        let md = markdown(&folded(5000));
        assert!(
            md.len() <= super::super::markdown::MAX_CHARS,
            "{}",
            md.len()
        );
        assert!(md.ends_with("have all of it\n"), "{}", &md[md.len() - 80..]);
        let small = markdown(&folded(2));
        let rendered = super::super::markdown::tests::render(&small);
        assert!(
            !rendered.contains("<b>") && rendered.contains("&lt;b&gt;"),
            "{rendered}"
        );
        assert!(!small.contains("cut here"));
    }

    /// A first-seen line on a terminal is the data as written (no Markdown or HTML escape);
    /// in Markdown, rendered, it reads the same.
    #[test]
    fn a_first_seen_line_reads_as_written_on_a_terminal_and_rendered() {
        let mut f = folded(1);
        f.first_seen[0].after = Some(serde_json::json!("a<b | c \\ `d` *e*"));
        let plain = first_seen_line(&f.first_seen[0], Style::Plain);
        assert!(
            plain.contains(r#"→ "a<b | c \ `d` *e*" · on a100-1"#),
            "{plain}"
        );
        assert!(
            plain.contains(r#"`static_data_hashes."data/shard-00000.bin" | <b>`"#),
            "{plain}"
        );
        let md = first_seen_line(&f.first_seen[0], Style::Markdown);
        let html = super::super::markdown::tests::render(&format!("- {md}"));
        assert!(!html.contains("<em>") && !html.contains("<b>"), "{html}");
        assert!(
            html.contains(r#"<code>"a&lt;b | c \ `d` *e*"</code>"#),
            "{html}"
        );
    }

    #[test]
    fn the_page_escapes_what_reports_hold_and_loads_nothing() {
        let page = html(&folded(1));
        assert!(!page.contains("<b>") && page.contains("&lt;b&gt;"));
        assert!(page.contains("default-src 'none'"));
        assert!(
            !page.contains("<script") && !page.contains("http://") && !page.contains("https://")
        );
    }
}
