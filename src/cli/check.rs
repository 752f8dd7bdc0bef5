//! `provbase check [RUN...]`: collect, compare, report. Exit 0 when nothing fails, 1 on failing
//! drift, a missing baseline, an orphan baseline or a run that could not be checked.

use super::{Cli, Format, print_json};
use crate::error::Result;
use crate::report::{json, render_run};
use crate::session::Status;

pub(super) fn run(cli: &Cli, names: &[String]) -> Result<u8> {
    let session = cli.session()?;
    let runs = session.select(names)?;
    let reports: Vec<_> = runs.iter().map(|r| session.check(r)).collect();
    // orphans are judged only when every run is checked: a filtered check never calls the
    // runs it skipped orphans
    let orphans: Vec<String> = if names.is_empty() {
        session
            .orphans()?
            .iter()
            .map(|p| session.config.rel(p))
            .collect()
    } else {
        Vec::new()
    };
    let failed = reports
        .iter()
        .any(|r| matches!(r.status, Status::Fail | Status::Missing | Status::Error))
        || !orphans.is_empty();
    match cli.format {
        Format::Json => print_json(&json::document(
            &reports,
            &orphans,
            session.config.profile.as_deref(),
        )),
        Format::Human => {
            for r in &reports {
                let label = match r.status {
                    Status::Pass => "ok",
                    Status::Warn => "warn",
                    Status::Fail => "FAIL",
                    Status::Missing => "MISSING",
                    Status::Error => "ERROR",
                };
                outln!("{label:<7} {}", r.run);
                let text = render_run(r, &cli.accept_command(&r.run));
                for line in text.lines() {
                    outln!("        {line}");
                }
            }
            for o in &orphans {
                outln!(
                    "ORPHAN  {o}: no run owns this baseline (remove it with: provbase prune --yes)"
                );
            }
            let n = |s: Status| reports.iter().filter(|r| r.status == s).count();
            outln!(
                "\n{} runs: {} ok, {} warn, {} fail, {} missing, {} error{}",
                reports.len(),
                n(Status::Pass),
                n(Status::Warn),
                n(Status::Fail),
                n(Status::Missing),
                n(Status::Error),
                if orphans.is_empty() {
                    String::new()
                } else {
                    format!(", {} orphan", orphans.len())
                }
            );
        }
    }
    Ok(u8::from(failed))
}
