//! `provbase bundle DIR [--run RUN]`: write `DIR/provenance/`.

use super::Cli;
use crate::error::{Error, Result};
use crate::record::bundle::{Source, bundle};
use crate::record::runs::Resolved;

pub(super) fn run(
    cli: &Cli,
    dir: &std::path::Path,
    run: Option<&str>,
    untracked_contents: bool,
) -> Result<u8> {
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    let out_abs = cwd.join(dir);
    let session = match cli.optional_session()? {
        Some(s) => Some(crate::session::Session::excluding(
            s.config,
            vec![out_abs.join("provenance")],
        )),
        None => None,
    };
    let root = session.as_ref().map_or_else(
        || crate::record::run::project_root(&cwd),
        |s| s.config.root.clone(),
    );
    let configured = match (&session, run) {
        (Some(s), Some(name)) => s.config.run(name),
        (Some(s), None) if s.config.runs.len() == 1 => s.config.runs.first(),
        _ => None,
    };
    let written = if let (Some(s), Some(spec)) = (&session, configured) {
        bundle(
            &root,
            &out_abs,
            Source::Configured(s, spec),
            untracked_contents,
            s.facts().host(),
        )?
    } else {
        let reference = run.unwrap_or("#1");
        match crate::record::resolve(&root, &cwd, reference)? {
            Resolved::Run(r) => bundle(
                &root,
                &out_abs,
                Source::Recorded(&r),
                untracked_contents,
                &crate::collect::Host::this_machine(),
            )?,
            Resolved::File(p, _) => {
                return Err(Error::Usage(format!(
                    "{}: bundle takes a run, not a file",
                    p.display()
                )));
            }
        }
    };
    for w in written {
        outln!("wrote {}", w.strip_prefix(&cwd).unwrap_or(&w).display());
    }
    Ok(0)
}
