//! `provbase report INPUTS...`: folds JSON reports — files, folders, globs; from many runners
//! and nights — into one page, a Markdown summary or JSON.

use super::{Cli, Format, print_json};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Where the page goes when `--html` names no file.
pub const DEFAULT_PAGE: &str = "provbase-report.html";

pub(super) fn run(cli: &Cli, inputs: &[String], html: Option<&Path>, open: bool) -> Result<u8> {
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    let (loaded, skipped) = crate::report::fold::load(inputs, &cwd)?;
    for s in &skipped {
        errln!("provbase: skipped {s}: not a provbase report");
    }
    let folded = crate::report::fold::fold(loaded);
    // the page: always for the human form, and wherever --html names it
    let page: Option<PathBuf> = match (html, cli.format()) {
        (Some(p), _) => Some(p.to_owned()),
        (None, Format::Human) => Some(PathBuf::from(DEFAULT_PAGE)),
        (None, _) => None,
    };
    if let Some(p) = &page {
        let text = crate::report::page::html(&folded);
        crate::store::write_fresh(&cwd.join(p), text.as_bytes())?;
    }
    match cli.format() {
        Format::Json => print_json(&serde_json::to_value(&folded).unwrap_or_default()),
        Format::Markdown => outln!("{}", crate::report::page::markdown(&folded).trim_end()),
        Format::Human => {
            let count = crate::report::page::count;
            outln!(
                "{} from {}, {}",
                count(folded.reports.len(), "report"),
                count(folded.runners.len(), "runner"),
                count(folded.runs.len(), "run")
            );
            for line in &folded.first_seen {
                outln!(
                    "first seen {}",
                    crate::report::page::first_seen_line(line, crate::report::page::Style::Plain)
                );
            }
            if let Some(p) = &page {
                outln!("wrote {}", p.display());
            }
        }
    }
    if open {
        match &page {
            Some(p) => open_in_browser(&cwd.join(p)),
            None => errln!("provbase: --open needs a page: give --html FILE"),
        }
    }
    Ok(0)
}

/// Opens a file in the default browser, when the system has a way to.
fn open_in_browser(page: &Path) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    match std::process::Command::new(opener)
        .arg(page)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(_) => {}
        Err(e) => errln!(
            "provbase: cannot open {} ({opener}: {e}); open it in a browser",
            page.display()
        ),
    }
}
