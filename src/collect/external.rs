//! `[run.external.NAME]`: a command that prints a JSON object, recorded under
//! `external.NAME`. Strip selectors apply to it like to the rest of the manifest.

use super::{CollectError, command};
use crate::config::CommandSpec;
use serde_json::{Map, Value};
use std::path::Path;

/// Runs the command and returns the object it printed.
pub fn collect(spec: &CommandSpec, dir: &Path) -> Result<Map<String, Value>, CollectError> {
    let out = command::run(&spec.argv, dir, spec.timeout)?;
    let shown = command::display(&spec.argv);
    let mut v = crate::canonical::parse_strict(out.stdout.as_bytes()).map_err(|e| {
        let mut msg = format!("`{shown}` did not print valid JSON: {e}");
        if !out.stderr_tail.is_empty() {
            msg.push_str(&format!("; stderr ends with:\n{}", out.stderr_tail));
        }
        CollectError::Invalid(msg)
    })?;
    crate::canonical::stringify_big_integers(&mut v);
    crate::redact::scrub_json(&mut v);
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(CollectError::Invalid(format!(
            "`{shown}` printed JSON that is not an object"
        ))),
    }
}
