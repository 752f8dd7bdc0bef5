//! `provbase collect RUN`: the full manifest of a run, time fields included, on stdout.

use super::Cli;
use crate::error::{Error, Result};
use std::io::Write;

pub(super) fn run(cli: &Cli, name: &str) -> Result<u8> {
    let session = cli.session()?;
    let run = session.select(&[name.to_owned()])?[0];
    let manifest = session.collect(run)?;
    // written as it is serialised: a manifest of many files is never held twice
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, &manifest)
        .map_err(std::io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("<stdout>", e))?;
    session.facts().save_cache();
    // a manifest of many files leaves large maps: the process ends now, and the operating
    // system reclaims them faster than freeing them one by one
    std::mem::forget(session);
    std::mem::forget(manifest);
    Ok(0)
}
