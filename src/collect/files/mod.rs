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
/// Every glob must match at least one file; `skip` may drop files (for example those git
/// ignores), and a glob whose every match is dropped fails as well.
///
/// Unless `outside` allows it, every file must stay inside `root`: a glob match or a symbolic
/// link (the match itself, or one met while walking a folder) that leads out of it is an error.
pub fn expand(
    root: &Path,
    globs: &[GlobSpec],
    key: &str,
    skip: &dyn Fn(&Path) -> bool,
    stamps: bool,
    outside: bool,
) -> Result<Vec<Matched>, CollectError> {
    let Some(root_text) = root.to_str() else {
        return Err(CollectError::Invalid(format!(
            "the project's folder {} has a name that is not UTF-8: `{key}` globs cannot name files under it (move or rename the folder)",
            root.display()
        )));
    };
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
    let mut out = Vec::new();
    for g in globs {
        // `prefix/**/name`: the prefix folder walked in parallel, as a folder is
        let found = match prefix_walk(root, &g.pattern, stamps, boundary.as_deref()) {
            Some(found) => found,
            None => glob_walk(root, root_text, g, key, stamps, boundary.as_deref())?,
        };
        let before = out.len();
        for (file, stamp) in found {
            let rel = rel_of(root, &file);
            if !left_out(&rel) && !excluded(&rel) && !skip(&file) {
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

/// Whether a file (relative to the project) is left out of every glob, as git leaves out
/// `.git`: what is in a `.git` folder, and provbase's own `.prov/` (caches, candidates, folder
/// objects), which change with every check, so a glob such as `.` or `**` could never pass.
pub fn left_out(rel: &str) -> bool {
    let mut parts = rel.split('/').filter(|c| !c.is_empty() && *c != ".");
    parts.clone().next() == Some(crate::disk::PROV) || parts.any(|c| c == ".git")
}

/// How globs match: `*` never crosses `/`, and a leading dot needs no literal dot.
const MATCH: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

/// The files a glob names, as the glob crate walks it: each path it matches (checked to stay
/// inside `boundary`), walked.
fn glob_walk(
    root: &Path,
    root_text: &str,
    g: &GlobSpec,
    key: &str,
    stamps: bool,
    boundary: Option<&Path>,
) -> Result<Vec<Stamped>, CollectError> {
    let bad = |e: &dyn std::fmt::Display| {
        CollectError::Invalid(format!(
            "`{key}` glob `{}`{}: {e}",
            g.pattern,
            crate::error::at_line(g.line)
        ))
    };
    // `dir/**` means the folder and everything under it; the glob crate would yield only
    // its subfolders, so match the folder itself and walk it
    let pattern = g.pattern.strip_suffix("/**").unwrap_or(&g.pattern);
    let full = if Path::new(pattern).is_absolute() {
        pattern.to_owned()
    } else {
        format!("{}/{}", glob::Pattern::escape(root_text), pattern)
    };
    let mut found = Vec::new();
    for entry in glob::glob_with(&full, MATCH).map_err(|e| bad(&e))? {
        let path = entry.map_err(|e| {
            let at = e.path().display().to_string();
            unreadable(&at, e.into())
        })?;
        if let Some(b) = boundary {
            check_inside(&path, b).map_err(|e| bad(&e))?;
        }
        walk_with(&path, &mut found, stamps, boundary)
            .map_err(|e| unreadable(&rel_of(root, &path), e))?;
    }
    Ok(found)
}

/// The files `prefix/**/name` matches, where `prefix` is literal and `name` one path component
/// (`small/**/*.bin`): the prefix folder walked in parallel, as a folder named on its own is,
/// keeping each file whose name matches and every file under a folder whose name matches
/// (the glob would name that folder, which is then walked whole). `None` when the pattern has
/// another shape, or the tree holds what only the glob crate answers exactly (a symbolic link,
/// a special file, a `.git` folder): then the glob crate walks it.
fn prefix_walk(
    root: &Path,
    pattern: &str,
    stamps: bool,
    boundary: Option<&Path>,
) -> Option<Vec<Stamped>> {
    let Scannable {
        abs: base,
        name: Some(name),
        ..
    } = scannable_in(root, pattern, boundary)?
    else {
        return None;
    };
    let mut all = Vec::new();
    walk_dir(&base, &mut all, stamps, boundary, true).ok()?;
    all.retain(|(file, _)| {
        file.strip_prefix(&base)
            .is_ok_and(|rel| rel.iter().any(|c| name_matches(&name, c)))
    });
    Some(all)
}

fn unreadable(path: &str, e: std::io::Error) -> CollectError {
    CollectError::Unreadable {
        path: path.to_owned(),
        source: e.into(),
    }
}

/// The error for a special file where files are collected.
fn special(t: std::fs::FileType) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "{}, not a regular file (narrow the glob to leave it out)",
            super::hashing::special_kind(t)
        ),
    )
}

/// Fails when `path`, its symbolic links followed, is not under `boundary` (a canonical path).
fn check_inside(path: &Path, boundary: &Path) -> std::io::Result<()> {
    let real = match path.canonicalize() {
        Ok(r) => r,
        // a broken link: the walk says so
        Err(_) => return Ok(()),
    };
    if real.starts_with(boundary) {
        return Ok(());
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::PermissionDenied,
        format!(
            "{} leads to {}, outside the project's folder; set `allow_outside = true` in the run if it should",
            path.display(),
            real.display()
        ),
    ))
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
/// `.git`), in sorted order. Folders are read with their entries' types, so no file is
/// stat-ed twice. A symbolic link that points nowhere is an error, not a silent skip.
pub fn walk(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut stamped = Vec::new();
    walk_stamped(path, &mut stamped)?;
    let mut found: Vec<PathBuf> = stamped.into_iter().map(|(p, _)| p).collect();
    found.sort_unstable();
    out.extend(found);
    Ok(())
}

/// Like [`walk`], with each file's stat data, taken relative to its folder as it is read, in
/// no particular order.
pub fn walk_stamped(
    path: &Path,
    out: &mut Vec<(PathBuf, Option<crate::cache::Stamp>)>,
) -> std::io::Result<()> {
    walk_with(path, out, true, None)
}

/// Like [`walk_stamped`]; `stamps` false leaves the stat data out (nothing will use it).
/// `boundary`: a canonical folder that no symbolic link met on the way may lead out of.
fn walk_with(
    path: &Path,
    out: &mut Vec<Stamped>,
    stamps: bool,
    boundary: Option<&Path>,
) -> std::io::Result<()> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if std::fs::symlink_metadata(path).is_ok() => {
            return Err(std::io::Error::new(
                e.kind(),
                format!("broken symbolic link ({e})"),
            ));
        }
        Err(e) => return Err(e),
    };
    if meta.is_file() {
        out.push((path.to_owned(), Some(crate::cache::Stamp::of(&meta))));
    } else if meta.is_dir() {
        walk_dir(path, out, stamps, boundary, false)?;
    } else {
        return Err(special(meta.file_type()));
    }
    Ok(())
}

type Stamped = (PathBuf, Option<crate::cache::Stamp>);

/// Walks a folder tree on several threads: each takes a folder, reads it, stats its files
/// relative to it, and hands its subfolders back.
fn walk_dir(
    dir: &Path,
    out: &mut Vec<Stamped>,
    stamps: bool,
    boundary: Option<&Path>,
    plain_only: bool,
) -> std::io::Result<()> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let queue = Mutex::new(vec![dir.to_owned()]);
    let pending = AtomicUsize::new(1);
    let failed: Mutex<Option<std::io::Error>> = Mutex::new(None);
    let threads = super::hashing::thread_count().min(8);
    let found: Vec<Vec<Stamped>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop();
                        let Some(d) = next else {
                            if pending.load(Ordering::Acquire) == 0 {
                                break;
                            }
                            std::thread::yield_now();
                            continue;
                        };
                        let mut subdirs = Vec::new();
                        if let Err(e) = read_one_dir(
                            &d,
                            &mut mine,
                            &mut subdirs,
                            (stamps, plain_only),
                            boundary,
                        ) {
                            failed
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .get_or_insert(e);
                        }
                        pending.fetch_add(subdirs.len(), Ordering::AcqRel);
                        queue
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .extend(subdirs);
                        pending.fetch_sub(1, Ordering::AcqRel);
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .collect()
    });
    if let Some(e) = failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    // in no particular order: callers sort (`expand` by the relative path it records)
    out.extend(found.into_iter().flatten());
    Ok(())
}

/// The error a walk in `plain_only` mode stops with when it meets what only a glob answers
/// exactly (a symbolic link, a special file, a `.git` folder).
const NOT_PLAIN: &str = "provbase: not a plain tree";

/// `(stamps, plain_only)`: whether to stat files, and whether to stop at anything but regular
/// files and folders (with [`NOT_PLAIN`]).
fn read_one_dir(
    dir: &Path,
    out: &mut Vec<Stamped>,
    subdirs: &mut Vec<PathBuf>,
    (stamps, plain_only): (bool, bool),
    boundary: Option<&Path>,
) -> std::io::Result<()> {
    if dir.file_name().is_some_and(|n| n == ".git") {
        if plain_only {
            return Err(std::io::Error::other(NOT_PLAIN));
        }
        return Ok(());
    }
    let context = |err: std::io::Error, p: &Path| {
        std::io::Error::new(err.kind(), format!("{}: {err}", p.display()))
    };
    for e in std::fs::read_dir(dir).map_err(|e| context(e, dir))? {
        let e = e.map_err(|e| context(e, dir))?;
        let p = e.path();
        let t = e.file_type().map_err(|err| context(err, &p))?;
        if t.is_file() {
            // a stat relative to the open folder, not a walk down the whole path again
            let stamp = if stamps {
                e.metadata().ok().map(|m| crate::cache::Stamp::of(&m))
            } else {
                None
            };
            out.push((p, stamp));
        } else if t.is_dir() {
            subdirs.push(p);
        } else if plain_only {
            return Err(std::io::Error::other(NOT_PLAIN));
        } else if t.is_symlink() {
            if let Some(b) = boundary {
                check_inside(&p, b)?;
            }
            walk_with(&p, out, stamps, boundary).map_err(|err| context(err, &p))?;
        } else {
            // never skipped in silence: a FIFO would block a read, and a file set that
            // leaves something out unsaid is a wrong answer
            return Err(context(special(t), &p));
        }
    }
    Ok(())
}

/// `"sha256:<hex>"` of a file's bytes, streamed through a page-aligned buffer so that memory
/// stays flat however large the file is.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    super::hashing::sha256_file_raw(path).map(|(h, _)| tag_digest(&h))
}

/// A glob whose files can be scanned a folder at a time: a folder inside the project (not a
/// link to one), and the name pattern of `prefix/**/name`, if any.
pub struct Scannable {
    /// The folder.
    pub abs: PathBuf,
    /// Its path relative to the project, as the glob writes it.
    pub rel: String,
    /// `name` of `prefix/**/name`: a file is kept when its name or the name of a folder
    /// between it and `prefix` matches (as the glob crate would match it).
    pub name: Option<glob::Pattern>,
}

/// Whether a glob names a folder literally (`data`, `data/`, `data/**`) or as
/// `prefix/**/name` (`data/**/*.bin`), with the folder inside the project: such a glob's files
/// can be scanned a folder at a time.
pub fn scannable(root: &Path, pattern: &str, outside: bool) -> Option<Scannable> {
    let boundary = if outside {
        None
    } else {
        Some(root.canonicalize().ok()?)
    };
    scannable_in(root, pattern, boundary.as_deref())
}

/// [`scannable`], with the canonical folder no match may leave (`None`: `allow_outside`).
fn scannable_in(root: &Path, pattern: &str, boundary: Option<&Path>) -> Option<Scannable> {
    let (rel, name) = match pattern.split_once("/**/") {
        Some((prefix, name)) if !name.is_empty() && !name.contains('/') => {
            (prefix, Some(glob::Pattern::new(name).ok()?))
        }
        Some(_) => return None,
        None => (
            pattern
                .strip_suffix("/**")
                .unwrap_or(pattern)
                .trim_end_matches('/'),
            None,
        ),
    };
    let glob_chars = ['*', '?', '[', ']', '{', '}', '\\'];
    if rel.is_empty() || rel.contains(glob_chars) || Path::new(rel).is_absolute() {
        return None;
    }
    if rel
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == ".." || c == ".git")
        || rel == crate::disk::PROV
        || left_out(rel)
    {
        return None;
    }
    let abs = root.join(rel);
    // the folder itself, not a link to one (that is the glob walk's to check)
    if !std::fs::symlink_metadata(&abs).ok()?.is_dir() {
        return None;
    }
    if let Some(b) = boundary {
        check_inside(&abs, b).ok()?;
    }
    Some(Scannable {
        abs,
        rel: rel.to_owned(),
        name,
    })
}

/// Whether a file or folder name matches a glob's name pattern.
pub fn name_matches(pattern: &glob::Pattern, name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .is_some_and(|n| pattern.matches_with(n, MATCH))
}

pub mod scan;

#[cfg(test)]
mod tests;
