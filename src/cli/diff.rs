//! `provbase diff [A [B]]`: compare two manifests or recorded runs with the same rules as
//! check ([`crate::record::diff`]). Exit 0 when nothing drifted or every drift only warns (as
//! check), 1 when a drift fails.

use super::{Cli, Format, print_json, to_value};
use crate::error::{Error, Result};
use crate::report::human::summary_lines;

pub(super) fn run(cli: &Cli, a: Option<&str>, b: Option<&str>) -> Result<u8> {
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    let root = crate::record::run::project_root(&cwd);
    let session = cli.optional_session()?;
    let diffed = crate::record::diff::diff(&root, &cwd, a, b, session.as_ref().map(|s| &s.config))?;
    let shown = diffed.shown();
    let (la, lb) = (&diffed.a, &diffed.b);
    match cli.format() {
        Format::Json => print_json(&to_value(crate::report::listing::Diff::new(
            la.clone(),
            lb.clone(),
            shown
                .iter()
                .map(|d| crate::report::json::DriftEntry::from(*d))
                .collect(),
        ))),
        Format::Human | Format::Markdown => {
            if shown.is_empty() {
                outln!("no drift between {la} and {lb}");
            } else {
                outln!("{lb} drifted from {la}:");
                for line in summary_lines(&shown) {
                    outln!("  {line}");
                }
            }
        }
    }
    Ok(u8::from(diffed.fails()))
}
