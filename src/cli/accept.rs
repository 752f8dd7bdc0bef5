//! `provbase accept [RUN...] [--new] [--force] [--from DIR]`: write the baselines whose bytes
//! would change; in CI, leave candidates instead unless forced; or apply candidates.

use super::Cli;
use crate::error::{Error, Result};
use crate::session::{Accepted, Applied};

pub(super) fn run(
    cli: &Cli,
    names: &[String],
    only_new: bool,
    force: bool,
    from: Option<&std::path::Path>,
) -> Result<u8> {
    let session = cli.session()?;
    let force = force || crate::options::accept_from_env().1;
    if let Some(dir) = from {
        return apply(&session, names, dir, force);
    }
    let mut code = 0;
    for run in session.select(names)? {
        let path = session.config.baseline_path(&run.name);
        let rel = session.config.rel(&path);
        if only_new && path.exists() {
            outln!("kept      {rel} (exists)");
            continue;
        }
        match session.accept_or_candidate(run, force) {
            Ok(Accepted::Written) => outln!("wrote     {rel}"),
            Ok(Accepted::Unchanged) => outln!("unchanged {rel}"),
            Ok(Accepted::Candidate(c)) => outln!(
                "candidate {c} (in CI committed baselines are not rewritten: review it with `provbase accept --from .prov/candidates`, or pass --force)"
            ),
            Err(e) => {
                errln!("error: {e}");
                code = code.max(e.exit_code());
            }
        }
    }
    Ok(code)
}

/// Applies the candidates under `dir` (of the named runs, or all), each after showing its
/// drift; a stale one is refused.
fn apply(
    session: &crate::Session,
    names: &[String],
    dir: &std::path::Path,
    force: bool,
) -> Result<u8> {
    session.may_apply_candidates("accept --from", force)?;
    let candidates = crate::store::candidates_in(dir)?;
    if candidates.is_empty() {
        return Err(Error::Usage(format!(
            "no candidates under {}",
            dir.display()
        )));
    }
    session.take_trees(dir);
    let mut code = 0;
    for (file, c) in candidates {
        if !names.is_empty() && !names.contains(&c.run) {
            continue;
        }
        let applied = match session.apply_candidate(&file, &c) {
            Ok(a) => a,
            Err(e) => {
                errln!("error: {e}");
                code = code.max(e.exit_code());
                continue;
            }
        };
        match applied {
            Applied::Written(drifts) => {
                let shown: Vec<&crate::Drift> = drifts.iter().collect();
                outln!("wrote     {} from {}", c.baseline, file.display());
                for line in crate::report::human::summary_lines(&shown) {
                    outln!("  {}", crate::report::inert(&line));
                }
            }
            Applied::Unchanged => outln!("unchanged {}", c.baseline),
            Applied::Stale { expected, found } => {
                outln!(
                    "STALE     {}: the baseline changed since the candidate was made ({} then, {} now); run the check again for a fresh candidate",
                    c.baseline,
                    expected.as_deref().unwrap_or("absent"),
                    found.as_deref().unwrap_or("absent")
                );
                code = 1;
            }
        }
    }
    Ok(code)
}
