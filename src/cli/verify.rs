//! `provbase verify FILE...`: exit 0 when every digest and listed hash still holds, 1 on any
//! mismatch, naming it.

use crate::error::{Error, Result};
use std::path::PathBuf;

pub(super) fn run(files: &[PathBuf]) -> Result<u8> {
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    let mut bad = false;
    for f in files {
        for v in crate::record::verify::verify(f, &cwd)? {
            let name = v.file.display();
            if v.mismatches.is_empty() {
                outln!(
                    "ok        {name} ({} checked{}{})",
                    v.matched,
                    if v.missing.is_empty() {
                        String::new()
                    } else {
                        format!(", {} listed files no longer exist", v.missing.len())
                    },
                    if v.remote == 0 {
                        String::new()
                    } else {
                        format!(
                            ", {} entries in object stores not read: `provbase check` compares them with their stores",
                            v.remote
                        )
                    }
                );
            } else {
                bad = true;
                for m in &v.mismatches {
                    outln!("MISMATCH  {name}: {m}");
                }
            }
        }
    }
    Ok(u8::from(bad))
}
