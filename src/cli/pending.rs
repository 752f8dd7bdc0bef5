//! `provbase pending [DIR]`: the candidates failing checks left (here, or downloaded from CI).

use super::{Cli, Format, print_json, to_value};
use crate::error::Result;

pub(super) fn run(cli: &Cli, dir: Option<&std::path::Path>) -> Result<u8> {
    let session = cli.session()?;
    let dir = super::candidates_folder(&session, dir)?;
    let mut rows = Vec::new();
    for (file, c) in crate::store::candidates_in(&dir)? {
        // a candidate that may not write where it says is listed as refused, and its path is
        // never read
        let Ok(target) = session.candidate_target(&file, &c) else {
            rows.push((file, c, "refused", (0, 0)));
            continue;
        };
        let now = crate::store::file_digest(&target)?;
        let state = if now != c.compared_with {
            "stale"
        } else {
            "pending"
        };
        // counted as check counts them: failing drifts and warnings, not what is ignored
        let drifts = session.candidate_drift(&file, &c).unwrap_or_default();
        let count = |p| drifts.iter().filter(|d| d.policy == p).count();
        let drifts = (
            count(crate::drift::Policy::Fail),
            count(crate::drift::Policy::Warn),
        );
        rows.push((file, c, state, drifts));
    }
    match cli.format() {
        Format::Json => print_json(&to_value(crate::report::listing::Pending::new(
            dir.display().to_string(),
            rows.iter()
                .map(
                    |(f, c, state, n)| crate::report::listing::PendingCandidate {
                        file: f.display().to_string(),
                        run: c.run.clone(),
                        baseline: c.baseline.clone(),
                        stale: *state == "stale",
                        refused: *state == "refused",
                        drifts: n.0 + n.1,
                        failing: n.0,
                        warnings: n.1,
                    },
                )
                .collect(),
        ))),
        Format::Human | Format::Markdown => {
            if rows.is_empty() {
                outln!("no candidates under {}", dir.display());
            }
            for (f, c, state, n) in &rows {
                outln!(
                    "{:<9} {:<24} {} ({}) {}",
                    state,
                    crate::report::inert(&c.run),
                    crate::report::inert(&c.baseline),
                    crate::report::human::counted(n.0, n.1),
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
