//! `provbase runs`: recorded runs, newest first.

use super::{Cli, Format, print_json};
use crate::error::{Error, Result};
use serde_json::json;

pub(super) fn run(cli: &Cli) -> Result<u8> {
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    let root = crate::record::run::project_root(&cwd);
    let runs = crate::record::list(&root)?;
    for f in crate::record::runs::foreign(&root) {
        eprintln!(
            "provbase: skipped {}: not a run provbase recorded",
            f.strip_prefix(&cwd).unwrap_or(&f).display()
        );
    }
    let status = |r: &crate::record::RecordedRun| match r.doc["exit_status"].as_i64() {
        Some(c) => c.to_string(),
        None => "-".into(),
    };
    match cli.format {
        Format::Json => print_json(&json!(runs.iter().map(|r| json!({
            "id": r.id, "name": r.doc["name"], "tags": r.tags(), "first": r.first(), "last": r.last(),
            "exit_status": r.doc["exit_status"], "executions": r.executions(),
        })).collect::<Vec<_>>())),
        Format::Human | Format::Markdown => {
            if runs.is_empty() {
                outln!("no recorded runs (record one with: provbase record -- CMD)");
                return Ok(0);
            }
            outln!("{:<4} {:<12}  {:<16} {:<16} {:<20}  {:<20}  {:>4}  {:>4}", "#", "ID", "NAME", "TAGS", "FIRST", "LAST", "EXIT", "RUNS");
            for (i, r) in runs.iter().enumerate() {
                outln!(
                    "#{:<3} {:<12}  {:<16} {:<16} {:<20}  {:<20}  {:>4}  {:>4}",
                    i + 1,
                    r.id,
                    r.doc["name"].as_str().unwrap_or("-"),
                    r.tags().join(","),
                    r.first(),
                    r.last(),
                    status(r),
                    r.executions()
                );
            }
        }
    }
    Ok(0)
}
