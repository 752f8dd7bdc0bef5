//! `provbase record [...] -- CMD`: run a command, pass its exit status through, and record its
//! provenance.

use crate::error::{Error, Result};
use crate::record::RecordOptions;

pub(super) fn run(opts: &RecordOptions, result: Option<&std::path::Path>) -> Result<u8> {
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    let rec = match crate::record::record(&cwd, opts) {
        Ok(r) => r,
        // as a shell says it: 127 for a command not found, 126 for one found that cannot run
        Err(Error::Command(e))
            if matches!(*e, crate::collect::CollectError::CouldNotStart { .. }) =>
        {
            errln!("provbase: {e}");
            return Ok(if e.not_found() {
                crate::error::exit::NOT_FOUND
            } else {
                crate::error::exit::CANNOT_RUN
            });
        }
        Err(e) => return Err(e),
    };
    let rel = rec
        .dir
        .strip_prefix(&cwd)
        .unwrap_or(&rec.dir)
        .display()
        .to_string();
    errln!(
        "provbase: recorded run {} in {rel}{}",
        rec.id,
        if rec.repeated {
            " (identical to an earlier run: one more event)"
        } else {
            ""
        }
    );
    if let Some(file) = result {
        let doc = serde_json::json!({
            "id": rec.id,
            "dir": rel,
            "exit_status": rec.exit_code,
            "repeated": rec.repeated,
        });
        crate::store::write_fresh(&cwd.join(file), &crate::canonical::pretty_bytes(&doc))?;
    }
    Ok(rec.exit_code.clamp(0, 255) as u8)
}
