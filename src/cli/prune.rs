//! `provbase prune [--yes]`: list baselines no run owns, and the folder objects under
//! `.prov/trees/` no baseline or candidate refers to; delete them with `--yes`.

use super::Cli;
use crate::error::{Error, Result};

pub(super) fn run(cli: &Cli, yes: bool) -> Result<u8> {
    let session = cli.session()?;
    let trees = prune_trees(&session, yes)?;
    let orphans = session.orphans()?;
    if orphans.is_empty() {
        outln!("no orphan baselines in {}", session.config.baselines());
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
    if !yes && (trees > 0 || !orphans.is_empty()) {
        outln!("\nRemove them with: provbase prune --yes");
    }
    Ok(0)
}

/// The folder objects no baseline or candidate refers to: a count and their size, removed
/// with `--yes`.
fn prune_trees(session: &crate::Session, yes: bool) -> Result<usize> {
    let (unreferenced, recent) = session.unreferenced_trees()?;
    if recent > 0 {
        outln!(
            "kept    {recent} folder objects no baseline refers to yet: written or used in the last {} minutes, an accept may be about to refer to them",
            crate::disk::ABANDONED_AFTER.as_secs() / 60
        );
    }
    if unreferenced.is_empty() {
        return Ok(0);
    }
    let bytes: u64 = unreferenced.iter().map(|(_, b)| b).sum();
    let dir = session.config.rel(session.facts().trees().dir());
    if yes {
        for (p, _) in &unreferenced {
            std::fs::remove_file(p).map_err(|e| Error::io(p, e))?;
        }
        outln!(
            "removed {} folder objects ({bytes} bytes) from {dir}/ that no baseline or candidate refers to",
            unreferenced.len()
        );
    } else {
        outln!(
            "unused  {} folder objects ({bytes} bytes) in {dir}/ that no baseline or candidate refers to",
            unreferenced.len()
        );
    }
    Ok(unreferenced.len())
}
