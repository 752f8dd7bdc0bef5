//! `provbase collect RUN`: the full manifest of a run, time fields included, on stdout.

use super::Cli;
use crate::error::{Error, Result};
use std::io::Write;

pub(super) fn run(cli: &Cli, name: &str) -> Result<u8> {
    let session = cli.session()?;
    let run = session.select(&[name.to_owned()])?[0];
    let manifest = session.collect(run)?;
    std::io::stdout()
        .write_all(&crate::canonical::pretty_bytes(&manifest))
        .map_err(|e| Error::io("<stdout>", e))?;
    Ok(0)
}
