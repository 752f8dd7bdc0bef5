//! `provbase export --in-toto RUN_OR_ID`: an in-toto Statement v1 with a SLSA Provenance v1
//! predicate on stdout. It describes provenance already written — a configured run's committed
//! baseline, a recorded run, or a manifest file — and never runs the pipeline: the same file
//! gives the same Statement, and its subject's digest is that of the file's bytes.

use super::{Cli, print_json};
use crate::error::{Error, Result};
use crate::record::export::{Source, statement};
use crate::record::runs::Resolved;

pub(super) fn run(cli: &Cli, in_toto: bool, reference: &str) -> Result<u8> {
    if !in_toto {
        return Err(Error::Usage("export needs a format: --in-toto".into()));
    }
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    if let Some(session) = cli.optional_session()?
        && let Some(spec) = session.config.run(reference)
    {
        let path = session.config.baseline_path(&spec.name);
        let rel = session.config.rel(&path);
        let Some(bytes) = crate::store::read_if_exists(&path)? else {
            return Err(Error::Usage(format!(
                "{reference} has no baseline ({rel}): export describes the provenance accept wrote, and runs nothing; write it with `{}`",
                cli.accept_command(reference)
            )));
        };
        let doc = crate::canonical::parse_strict(&bytes).map_err(|e| Error::Json {
            path: path.clone(),
            message: e.to_string(),
        })?;
        print_json(&statement(
            &doc,
            &[],
            &Source {
                name: rel,
                bytes: &bytes,
            },
        ));
        return Ok(0);
    }
    let root = crate::record::run::project_root(&cwd);
    let resolved = crate::record::resolve(&root, &cwd, reference)?;
    let (file, doc, events) = match &resolved {
        Resolved::Run(r) => (r.dir.join("run.json"), &r.doc, &r.events[..]),
        Resolved::File(p, v) => (p.clone(), v, &[][..]),
    };
    let bytes = crate::disk::read_regular(&file).map_err(|e| Error::io(&file, e))?;
    // named from the project's folder, as a configured run's baseline is: the Statement travels,
    // and the same file gets the same name from any folder of the project
    let name = file
        .strip_prefix(&root)
        .unwrap_or(&file)
        .display()
        .to_string();
    print_json(&statement(
        doc,
        events,
        &Source {
            name,
            bytes: &bytes,
        },
    ));
    Ok(0)
}
