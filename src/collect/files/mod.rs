//! File sets named by globs (`code`, `static_data`) and the streaming SHA-256 of a file.

use super::CollectError;
use crate::canonical::tag_digest;
use crate::config::GlobSpec;
use std::path::{Path, PathBuf};

/// A file a glob matched: its path relative to the root (with `/`) and its absolute path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// Relative to the folder holding harness.toml, `/`-separated.
    pub rel: String,
    /// Where it is.
    pub abs: PathBuf,
    /// Its stat data, taken while walking its folder (cheaper than a stat by full path).
    pub stamp: Option<crate::cache::Stamp>,
}

/// Expands globs relative to `root`. `*` never crosses `/` (only `**` does), and a matched folder
/// stands for every file under it (so `src/nav/**` and `src/nav` both mean all of `src/nav`).
/// Every glob must match at least one file; `skip` may drop files and folders (for example
/// those git ignores, whose folders are then never entered), and a glob whose every match is
/// dropped fails as well.
///
/// Unless `outside` allows it, every file must stay inside `root`: a glob match or a symbolic
/// link (the match itself, or one met while walking a folder) that leads out of it is an error.
/// The folders are read on the pool of `threads` threads (the host's).
pub fn expand(
    root: &Path,
    globs: &[GlobSpec],
    key: &str,
    skip: &(dyn Fn(&Path) -> bool + Sync),
    (stamps, outside): (bool, bool),
    threads: usize,
) -> Result<Vec<Matched>, CollectError> {
    let boundary = if outside {
        None
    } else {
        Some(
            root.canonicalize()
                .map_err(|e| unreadable(&root.display().to_string(), e))?,
        )
    };
    // `!GLOB` entries leave out what the others name: a file whose path, or a folder above it,
    // matches one
    let (left_out_globs, globs): (Vec<&GlobSpec>, Vec<&GlobSpec>) =
        globs.iter().partition(|g| g.pattern.starts_with('!'));
    let left_out_patterns: Vec<glob::Pattern> = left_out_globs
        .iter()
        .filter_map(|g| glob::Pattern::new(&g.pattern[1..]).ok())
        .collect();
    let excluded = |rel: &str| {
        !left_out_patterns.is_empty()
            && rel
                .match_indices('/')
                .map(|(i, _)| &rel[..i])
                .chain([rel])
                .any(|prefix| {
                    left_out_patterns
                        .iter()
                        .any(|p| p.matches_with(prefix, MATCH))
                })
    };
    let walk = Walk {
        root,
        leave_out_prov: true,
        boundary: boundary.as_deref(),
        skip,
        stamps,
        threads,
    };
    let mut out = Vec::new();
    for g in globs {
        let glob = Glob::new(&g.pattern).map_err(|e| {
            CollectError::Invalid(format!(
                "`{key}` glob `{}`{}: {e}",
                g.pattern,
                crate::error::at_line(g.line)
            ))
        })?;
        let found = walk.files(&glob).map_err(|e| walk_error(root, e))?;
        let before = out.len();
        for (file, stamp) in found {
            let rel = rel_of(root, &file);
            if !left_out(&rel) && !excluded(&rel) {
                out.push(Matched {
                    rel,
                    abs: file,
                    stamp,
                });
            }
        }
        if out.len() == before {
            return Err(CollectError::NoMatch {
                key: key.to_owned(),
                pattern: g.pattern.clone(),
                line: g.line,
            });
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel).then_with(|| a.abs.cmp(&b.abs)));
    out.dedup_by(|a, b| a.abs == b.abs);
    Ok(out)
}

/// A walk's error as a collection error, naming the path relative to the project.
pub fn walk_error(root: &Path, e: WalkError) -> CollectError {
    unreadable(&rel_of(root, &e.path), e.source)
}

/// Whether a file (relative to the project) is left out of every glob, as git leaves out
/// `.git`: what is in a `.git` folder, and provbase's own `.prov/` (caches, candidates, folder
/// objects), which change with every check, so a glob such as `.` or `**` could never pass.
pub fn left_out(rel: &str) -> bool {
    let mut parts = rel.split('/').filter(|c| !c.is_empty() && *c != ".");
    parts.clone().next() == Some(crate::disk::PROV) || parts.any(|c| c == ".git")
}

fn unreadable(path: &str, e: std::io::Error) -> CollectError {
    CollectError::Unreadable {
        path: path.to_owned(),
        source: e.into(),
    }
}

/// A relative path's bytes as a manifest key. Valid UTF-8 without a backslash is written as it
/// is; otherwise, as git quotes paths, `\` stands for a backslash and `\xHH` for a byte that is
/// not UTF-8, so two files never share a key and the key gives back the bytes
/// ([`unescape_name`]).
pub fn escape_name(bytes: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(bytes)
        && !s.contains('\\')
    {
        return s.to_owned();
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// The bytes of a name written by [`escape_name`]; `None` when it is not such a name.
pub fn unescape_name(name: &str) -> Option<Vec<u8>> {
    let b = name.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(b'\\') => {
                out.push(b'\\');
                i += 2;
            }
            Some(b'x') => {
                let hex = std::str::from_utf8(b.get(i + 2..i + 4)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 4;
            }
            _ => return None,
        }
    }
    Some(out)
}

fn rel_of(root: &Path, path: &Path) -> String {
    // a byte prefix, not a component-by-component comparison: the walk built `path` from `root`
    let (r, p) = (
        root.as_os_str().as_encoded_bytes(),
        path.as_os_str().as_encoded_bytes(),
    );
    let rel = match p.strip_prefix(r) {
        Some([b'/' | b'\\', rest @ ..]) => rest,
        _ => path
            .strip_prefix(root)
            .unwrap_or(path)
            .as_os_str()
            .as_encoded_bytes(),
    };
    if cfg!(windows) {
        String::from_utf8_lossy(rel).replace('\\', "/")
    } else {
        escape_name(rel)
    }
}

/// Collects the files at `path`: the file itself, or every file under a folder (not entering
/// `.git`), in sorted order, through the one walk. A symbolic link that points nowhere is an
/// error, not a silent skip.
pub fn walk(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let walk = Walk {
        root: path,
        leave_out_prov: false,
        boundary: None,
        skip: &|_| false,
        stamps: false,
        threads: super::hashing::thread_count(),
    };
    let mut found: Vec<PathBuf> = match walk.files(&Glob::whole("")) {
        Ok(found) => found.into_iter().map(|(p, _)| p).collect(),
        Err(e) => {
            return Err(std::io::Error::new(
                e.source.kind(),
                format!("{}: {}", e.path.display(), e.source),
            ));
        }
    };
    if found.is_empty() {
        // nothing there at all is an error, as a read of it would be
        std::fs::metadata(path)?;
    }
    found.sort_unstable();
    out.extend(found);
    Ok(())
}

/// `"sha256:<hex>"` of a file's bytes, streamed through a page-aligned buffer so that memory
/// stays flat however large the file is.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    super::hashing::sha256_file_raw(path).map(|(h, _)| tag_digest(&h))
}

pub mod scan;
pub mod walk;

pub use walk::{Glob, MATCH, Walk, WalkError};


#[cfg(test)]
mod tests;
