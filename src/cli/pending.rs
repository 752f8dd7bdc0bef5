//! `provbase pending [DIR]`: the candidates failing checks left (here, or downloaded from CI).

use super::{Cli, Format, print_json};
use crate::error::Result;
use serde_json::json;

pub(super) fn run(cli: &Cli, dir: Option<&std::path::Path>) -> Result<u8> {
    let session = cli.session()?;
    let dir = dir.map_or_else(
        || crate::store::candidates_dir(&session.config.root),
        std::path::Path::to_owned,
    );
    let mut rows = Vec::new();
    for (file, c) in crate::store::candidates_in(&dir)? {
        // a candidate that may not write where it says is listed as refused, and its path is
        // never read
        let Ok(target) = session.candidate_target(&file, &c) else {
            rows.push((file, c, "refused", 0));
            continue;
        };
        let now = crate::store::file_digest(&target)?;
        let state = if now != c.compared_with {
            "stale"
        } else {
            "pending"
        };
        let drifts = session
            .candidate_drift(&file, &c)
            .map(|d| d.len())
            .unwrap_or(0);
        rows.push((file, c, state, drifts));
    }
    match cli.format {
        Format::Json => print_json(&json!(
            rows.iter()
                .map(|(f, c, state, n)| json!({
                    "file": f.display().to_string(), "run": c.run, "baseline": c.baseline,
                    "stale": *state == "stale", "refused": *state == "refused", "drifts": n,
                }))
                .collect::<Vec<_>>()
        )),
        Format::Human | Format::Markdown => {
            if rows.is_empty() {
                outln!("no candidates under {}", dir.display());
            }
            for (f, c, state, n) in &rows {
                outln!(
                    "{:<9} {:<24} {} ({} drift{}) {}",
                    state,
                    crate::report::inert(&c.run),
                    crate::report::inert(&c.baseline),
                    n,
                    if *n == 1 { "" } else { "s" },
                    f.display()
                );
            }
            if rows.iter().any(|(_, _, state, _)| *state != "refused") {
                outln!(
                    "\nApply them with: provbase accept --from {}",
                    dir.display()
                );
            }
        }
    }
    Ok(0)
}
