//! `provbase review [DIR]`: on a terminal, each candidate's drift, then accept, reject or skip
//! it, like `cargo insta review`.

use super::Cli;
use crate::error::{Error, Result};
use crate::session::Applied;
use std::io::{BufRead, IsTerminal, Write};

enum Answer {
    Accept,
    Reject,
    Skip,
    Quit,
}

pub(super) fn run(cli: &Cli, dir: Option<&std::path::Path>) -> Result<u8> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "review asks on a terminal: elsewhere use `provbase pending` and `provbase accept --from DIR`".into(),
        ));
    }
    let session = cli.session()?;
    session.may_apply_candidates("review", false)?;
    let dir = super::candidates_folder(&session, dir)?;
    let candidates = crate::store::candidates_in(&dir)?;
    if candidates.is_empty() {
        outln!("no candidates under {}", dir.display());
        return Ok(0);
    }
    let mut stdin = std::io::stdin().lock();
    let (mut accepted, mut rejected, mut skipped) = (0, 0, 0);
    let total = candidates.len();
    for (i, (file, c)) in candidates.into_iter().enumerate() {
        outln!("\n[{}/{total}] {} → {}", i + 1, c.run, c.baseline);
        let drifts = match session.candidate_drift(&file, &c) {
            Ok(d) => d,
            Err(e) => {
                outln!("  {}", crate::report::inert(&e.to_string()));
                skipped += 1;
                continue;
            }
        };
        let shown: Vec<&crate::Drift> = drifts.iter().collect();
        if shown.is_empty() {
            outln!("  (no drift: the baseline already holds it)");
        }
        for line in crate::report::human::summary_lines(&shown) {
            outln!("  {}", crate::report::inert(&line));
        }
        let answer = loop {
            print!("a accept · r reject · s skip · q quit > ");
            let _ = std::io::stdout().flush();
            let mut line = String::new();
            if stdin
                .read_line(&mut line)
                .map_err(|e| Error::io("stdin", e))?
                == 0
            {
                break Answer::Quit;
            }
            match line.trim() {
                "a" | "accept" => break Answer::Accept,
                "r" | "reject" => break Answer::Reject,
                "s" | "skip" | "" => break Answer::Skip,
                "q" | "quit" => break Answer::Quit,
                other => outln!("`{other}`: answer a, r, s or q"),
            }
        };
        match answer {
            Answer::Accept => match session.accept_reviewed(&file, &c)? {
                Applied::Written(_) => {
                    outln!("wrote     {}", c.baseline);
                    accepted += 1;
                }
                Applied::Unchanged => {
                    outln!("unchanged {}", c.baseline);
                    accepted += 1;
                }
                Applied::Stale { .. } => {
                    outln!(
                        "STALE     {}: the baseline changed since the candidate was made; kept for now",
                        c.baseline
                    );
                    skipped += 1;
                }
            },
            Answer::Reject => {
                session.reject_reviewed(&file)?;
                outln!("rejected  {}", file.display());
                rejected += 1;
            }
            Answer::Skip => skipped += 1,
            Answer::Quit => {
                skipped += total - i;
                break;
            }
        }
    }
    outln!("\n{accepted} accepted, {rejected} rejected, {skipped} skipped");
    Ok(0)
}
