//! `provbase export --in-toto RUN_OR_ID`: an in-toto Statement v1 with a SLSA Provenance v1
//! predicate on stdout.

use super::{Cli, print_json};
use crate::error::{Error, Result};
use crate::record::runs::Resolved;

pub(super) fn run(cli: &Cli, in_toto: bool, reference: &str) -> Result<u8> {
    if !in_toto {
        return Err(Error::Usage("export needs a format: --in-toto".into()));
    }
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    if let Some(session) = cli.optional_session()?
        && let Some(spec) = session.config.run(reference)
    {
        let full = session.collect_typed(spec)?;
        let events = vec![crate::manifest::types::Event {
            event: "start".into(),
            time: full.pipeline_run_iso8601.clone(),
            ..Default::default()
        }];
        let mut m = crate::manifest::document(full);
        crate::strip::strip(&mut m, &session.config.strip)
            .map_err(|e| Error::Usage(e.to_string()))?;
        print_json(&crate::record::export::statement(&m, &events));
        return Ok(0);
    }
    let root = crate::record::run::project_root(&cwd);
    let (doc, events) = match crate::record::resolve(&root, &cwd, reference)? {
        Resolved::Run(r) => (r.doc.clone(), r.events.clone()),
        Resolved::File(_, v) => (v, Vec::new()),
    };
    print_json(&crate::record::export::statement(&doc, &events));
    Ok(0)
}
