//! `provbase digest FILE`: `sha256:<hex>` of the RFC 8785 form of a JSON file.

use crate::error::{Error, Result};
use std::path::Path;

pub(super) fn run(path: &Path) -> Result<u8> {
    let bytes = crate::disk::read_regular(path).map_err(|e| Error::io(path, e))?;
    let value = crate::canonical::parse_strict(&bytes).map_err(|e| Error::Json {
        path: path.to_owned(),
        message: format!("not valid JSON: {e}"),
    })?;
    outln!("{}", crate::canonical::digest_of(&value));
    Ok(0)
}
