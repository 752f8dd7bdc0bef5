//! `provbase accept [RUN...] [--new]`: write the baselines whose bytes would change.

use super::Cli;
use crate::error::Result;
use crate::session::Accepted;

pub(super) fn run(cli: &Cli, names: &[String], only_new: bool) -> Result<u8> {
    let session = cli.session()?;
    let mut code = 0;
    for run in session.select(names)? {
        let path = session.config.baseline_path(&run.name);
        let rel = session.config.rel(&path);
        if only_new && path.exists() {
            outln!("kept      {rel} (exists)");
            continue;
        }
        match session.accept(run) {
            Ok(Accepted::Written) => outln!("wrote     {rel}"),
            Ok(Accepted::Unchanged) => outln!("unchanged {rel}"),
            Err(e) => {
                eprintln!("error: {}", crate::report::inert(&e.to_string()));
                code = code.max(e.exit_code());
            }
        }
    }
    Ok(code)
}
