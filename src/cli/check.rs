//! `provbase check [RUN...]`: collect, compare, report. Exit 0 when nothing fails, 1 on failing
//! drift, a missing baseline, an orphan baseline or a run that could not be checked.
//! `check --twice` collects every run twice and reports the fields that differ.

use super::{Cli, Format, print_json};
use crate::error::Result;
use crate::report::{human, json, render_run};
use std::io::IsTerminal;

pub(super) fn run(cli: &Cli, names: &[String]) -> Result<u8> {
    let session = cli.session()?;
    let outcome = session.check_selected(names)?;
    let failed = outcome.failed();
    let accept = |run: &str| cli.accept_command(run);
    let junit = cli
        .junit()
        .map(std::path::Path::to_path_buf)
        .or_else(|| crate::options::get().junit.clone());
    let json_report = crate::options::get().json_report.clone();
    crate::report::publish(
        &session.config,
        &outcome,
        &accept,
        junit.as_deref(),
        json_report.as_deref(),
    )?;
    let (reports, orphans) = (&outcome.reports, &outcome.orphans);
    match cli.format() {
        Format::Json => print_json(&json::document(&outcome, session.config.profile.as_deref())),
        Format::Markdown => outln!(
            "{}",
            crate::report::markdown::document(&outcome, &accept).trim_end()
        ),
        Format::Human => {
            let color = human::use_color(cli.color, std::io::stdout().is_terminal());
            for r in reports {
                outln!("{} {}", human::label(r.status(), color), r.run);
                let report = if color {
                    human::render_run_colored(r, &accept(&r.run))
                } else {
                    render_run(r, &accept(&r.run))
                };
                let mut text = String::new();
                for line in report.lines() {
                    text.push_str(&format!("        {line}\n"));
                }
                if !text.is_empty() {
                    outln!("{}", text.trim_end_matches('\n'));
                }
            }
            for o in orphans {
                outln!("ORPHAN  {o}: {}", crate::report::ORPHAN_HINT);
            }
            outln!(
                "\n{} run{}: {}",
                reports.len(),
                if reports.len() == 1 { "" } else { "s" },
                crate::report::counts(&outcome)
            );
        }
    }
    session.facts().files().save_cache();
    // the process ends now: the operating system reclaims large maps faster than freeing them
    std::mem::forget(session);
    Ok(u8::from(failed))
}

/// Collects each run twice, each time with fresh facts, and reports every field whose value
/// differs between the two: a flaky baseline caught before anyone commits it.
pub(super) fn twice(cli: &Cli, names: &[String]) -> Result<u8> {
    if cli.format() == Format::Markdown {
        return Err(crate::error::Error::Usage(
            "`check --twice` prints --format human or json; markdown is a report of a check".into(),
        ));
    }
    let volatile = cli.session()?.volatile(names)?;
    match cli.format() {
        Format::Json => print_json(&super::to_value(crate::report::listing::Volatile::new(
            volatile
                .iter()
                .map(|(run, d)| crate::report::listing::VolatileField {
                    run: run.clone(),
                    path: d.path.to_string(),
                    selector: d.path.to_selector(),
                    first: d.before.clone(),
                    second: d.after.clone(),
                })
                .collect(),
        ))),
        _ => {
            if volatile.is_empty() {
                outln!("no volatile field: two collections in a row agree");
            }
            for (run, d) in &volatile {
                outln!("{}", human::volatile_line(run, d));
            }
        }
    }
    Ok(u8::from(!volatile.is_empty()))
}
