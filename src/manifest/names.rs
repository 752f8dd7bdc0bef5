//! The rule every list of registered names (`technique_names`, `extractor_names`) follows,
//! wherever the names come from: harness.toml, a command, or code.

use crate::error::NamesError;

/// The longest name accepted, in bytes.
pub const MAX_NAME_LEN: usize = 256;
/// The most names one list may hold.
pub const MAX_NAMES: usize = 10_000;

/// Checks and orders names: each non-empty, at most [`MAX_NAME_LEN`] bytes, without blanks or
/// control characters, and at most [`MAX_NAMES`] of them.
pub fn normalize(names: Vec<String>) -> Result<Vec<String>, NamesError> {
    if names.len() > MAX_NAMES {
        return Err(NamesError::TooMany {
            count: names.len(),
            max: MAX_NAMES,
        });
    }
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        let t = n.trim();
        if t.len() > MAX_NAME_LEN {
            let start: String = t.chars().take(40).collect();
            return Err(NamesError::TooLong {
                len: t.len(),
                start: start.escape_debug().to_string(),
                max: MAX_NAME_LEN,
            });
        }
        if t.is_empty() || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(NamesError::NotAName(n.escape_debug().to_string()));
        }
        out.push(t.to_owned());
    }
    out.sort();
    out.dedup();
    Ok(out)
}
