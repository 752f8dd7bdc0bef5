//! `provbase list`: every run and whether its baseline exists, then orphan baselines. Collects
//! nothing.

use super::{Cli, Format, print_json, to_value};
use crate::error::Result;

pub(super) fn run(cli: &Cli) -> Result<u8> {
    let session = cli.session()?;
    let c = &session.config;
    let orphans: Vec<String> = session.orphans()?.iter().map(|p| c.rel(p)).collect();
    let rows: Vec<(String, String, bool)> = c
        .runs
        .iter()
        .map(|r| {
            let p = c.baseline_path(&r.name);
            (r.name.clone(), c.rel(&p), p.is_file())
        })
        .collect();
    match cli.format() {
        Format::Json => print_json(&to_value(crate::report::listing::List::new(
            rows.iter()
                .map(|(run, baseline, present)| crate::report::listing::Listed {
                    run: run.clone(),
                    baseline: baseline.clone(),
                    present: *present,
                })
                .collect(),
            orphans,
        ))),
        Format::Human | Format::Markdown => {
            let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
            for (name, baseline, present) in &rows {
                let state = if *present { "baseline" } else { "missing " };
                outln!("{name:<width$}  {state}  {baseline}");
            }
            for o in &orphans {
                outln!("{:<width$}  orphan    {o}", "-");
            }
        }
    }
    Ok(0)
}
