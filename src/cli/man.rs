//! Man pages: `provbase.1` and one page per command (`provbase-check.1`, …), each with the exit
//! statuses the command documents, as its `--help` has them.

use crate::error::{Error, Result};
use roff::{Roff, bold, roman};
use std::path::Path;

/// Each command's exit statuses, as the guide's table of commands states them
/// (docs/guide/commands.md).
fn exit_statuses(command: &str) -> &'static [(&'static str, &'static str)] {
    const USAGE: (&str, &str) = ("2", "a usage or configuration error");
    match command {
        "check" => &[
            ("0", "nothing failing"),
            (
                "1",
                "a failing drift, a missing or orphan baseline, or a run that could not be checked",
            ),
            USAGE,
        ],
        "accept" => &[
            ("0", "the baselines (or, in CI, the candidates) are written"),
            (
                "1",
                "a run could not be collected, or a candidate is stale (--from)",
            ),
            USAGE,
        ],
        "diff" => &[
            ("0", "the same, or only warnings"),
            ("1", "a failing drift"),
            USAGE,
        ],
        "collect" | "bundle" => &[
            ("0", "done"),
            ("1", "the run could not be collected"),
            USAGE,
        ],
        "verify" => &[
            ("0", "every digest and listed hash holds"),
            ("1", "one does not"),
            USAGE,
        ],
        "report" => &[
            ("0", "done"),
            ("2", "no report, a bad one, or a usage error"),
        ],
        "record" => &[
            (
                "N",
                "the recorded command's own exit status (a signal: 128 + its number)",
            ),
            ("126", "the command was found but cannot run"),
            ("127", "the command was not found"),
            (
                "1, 2",
                "provbase itself could not record the run (--result tells the two apart)",
            ),
        ],
        "runs" => &[("0", "done")],
        "locate" => &[("0", "printed"), ("2", "no harness.toml here or above")],
        "" => &[
            ("0", "success"),
            (
                "1",
                "a failing drift, or a run that could not be checked or collected",
            ),
            USAGE,
            (
                "101",
                "the cargo harness (`cargo test --test baselines`) when a trial failed, as libtest",
            ),
        ],
        _ => &[("0", "done"), USAGE],
    }
}

/// One page: clap's sections, then EXIT STATUS, then the version.
fn page(cmd: &clap::Command, name: &str) -> Result<Vec<u8>> {
    // a command's page says which provbase it documents, as the main page does
    let cmd = cmd.clone().version(env!("CARGO_PKG_VERSION"));
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    let io = |e| Error::io("man page", e);
    man.render_title(&mut out).map_err(io)?;
    man.render_name_section(&mut out).map_err(io)?;
    man.render_synopsis_section(&mut out).map_err(io)?;
    man.render_description_section(&mut out).map_err(io)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out).map_err(io)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut out).map_err(io)?;
    }
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in exit_statuses(name) {
        roff.control("TP", [])
            .text([bold(*code)])
            .text([roman(*meaning)]);
    }
    roff.to_writer(&mut out).map_err(io)?;
    man.render_version_section(&mut out).map_err(io)?;
    Ok(out)
}

/// The main page.
pub(super) fn main_page(cmd: clap::Command) -> Result<Vec<u8>> {
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    page(&cmd, "")
}

/// Writes `provbase.1` and `provbase-<command>.1` for every command into `dir`; returns the
/// files written.
pub(super) fn write_pages(cmd: clap::Command, dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let mut written = Vec::new();
    let mut write = |file: String, bytes: Vec<u8>| -> Result<()> {
        let path = dir.join(file);
        crate::store::write_if_changed(&path, &bytes)?;
        written.push(path);
        Ok(())
    };
    write("provbase.1".into(), page(&cmd, "")?)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let file = format!("provbase-{}.1", sub.get_name());
        write(file, page(sub, sub.get_name())?)?;
    }
    Ok(written)
}
