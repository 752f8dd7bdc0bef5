//! `provbase prune [--yes]`: list baselines no run owns; delete them with `--yes`.

use super::Cli;
use crate::error::{Error, Result};

pub(super) fn run(cli: &Cli, yes: bool) -> Result<u8> {
    let session = cli.session()?;
    let orphans = session.orphans()?;
    if orphans.is_empty() {
        outln!("no orphan baselines in {}", session.config.baselines());
        return Ok(0);
    }
    for o in &orphans {
        let rel = session.config.rel(o);
        // only what parses as a provbase baseline is ever deleted
        if let Err(why) = crate::store::load(o).and_then(|b| {
            b.map(|_| ())
                .ok_or_else(|| Error::io(o, std::io::ErrorKind::NotFound.into()))
        }) {
            outln!("skipped {rel}: not a provbase baseline ({why})");
            continue;
        }
        if yes {
            std::fs::remove_file(o).map_err(|e| Error::io(o, e))?;
            outln!("removed {rel}");
        } else {
            outln!("orphan  {rel}");
        }
    }
    if !yes {
        outln!("\nRemove them with: provbase prune --yes");
    }
    Ok(0)
}
