//! `provbase runs`: recorded runs, newest first.

use super::{Cli, Format, print_json, to_value};
use crate::error::{Error, Result};

pub(super) fn run(cli: &Cli) -> Result<u8> {
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    let root = crate::record::run::project_root(&cwd);
    let runs = crate::record::list(&root)?;
    for f in crate::record::runs::foreign(&root) {
        errln!(
            "provbase: skipped {}: not a run provbase recorded",
            f.strip_prefix(&cwd).unwrap_or(&f).display()
        );
    }
    let described: Vec<_> = runs.iter().map(|r| r.described()).collect();
    let status = |d: &crate::manifest::types::Described| match d
        .exit_status
        .as_ref()
        .and_then(|s| s.value())
    {
        Some(c) => c.to_string(),
        None => "-".into(),
    };
    match cli.format() {
        Format::Json => print_json(&to_value(crate::report::listing::Runs::new(
            runs.iter()
                .zip(&described)
                .map(|(r, d)| crate::report::listing::Recorded {
                    id: r.id.clone(),
                    name: d.name.clone(),
                    tags: r.tags(),
                    first: r.first().to_owned(),
                    last: r.last().to_owned(),
                    exit_status: d.exit_status.clone(),
                    executions: r.executions(),
                    dir: r
                        .dir
                        .strip_prefix(&cwd)
                        .unwrap_or(&r.dir)
                        .display()
                        .to_string(),
                })
                .collect(),
        ))),
        Format::Human | Format::Markdown => {
            if runs.is_empty() {
                outln!("no recorded runs (record one with: provbase record -- CMD)");
                return Ok(0);
            }
            outln!(
                "{:<4} {:<12}  {:<16} {:<16} {:<20}  {:<20}  {:>4}  {:>4}",
                "#",
                "ID",
                "NAME",
                "TAGS",
                "FIRST",
                "LAST",
                "EXIT",
                "RUNS"
            );
            for (i, (r, d)) in runs.iter().zip(&described).enumerate() {
                outln!(
                    "#{:<3} {:<12}  {:<16} {:<16} {:<20}  {:<20}  {:>4}  {:>4}",
                    i + 1,
                    r.id,
                    d.name.as_deref().unwrap_or("-"),
                    r.tags().join(","),
                    r.first(),
                    r.last(),
                    status(d),
                    r.executions()
                );
            }
        }
    }
    Ok(0)
}
