//! `provbase collect RUN`: the full manifest of a run, time fields included, on stdout.

use super::Cli;
use crate::error::{Error, Result};
use std::io::Write;

pub(super) fn run(cli: &Cli, name: &str) -> Result<u8> {
    let session = cli.session()?;
    let run = session.select(&[name.to_owned()])?[0];
    let manifest = session.collect(run)?;
    // its values were scrubbed when collected; the text is made inert for CI runners (a file
    // or a value may hold `##[`), as every output is
    let text = serde_json::to_string_pretty(&manifest)
        .map_err(|e| Error::serialize(&format!("run `{name}`'s manifest"), e))?;
    let mut out = std::io::stdout().lock();
    out.write_all(crate::outbound::inert(&text).as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("<stdout>", e))?;
    session.facts().files().save_cache();
    // a manifest of many files leaves large maps: the process ends now, and the operating
    // system reclaims them faster than freeing them one by one
    std::mem::forget(session);
    std::mem::forget(manifest);
    Ok(0)
}
