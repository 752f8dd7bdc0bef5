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
                .map_err(|e| unreadable(&root.display().to_string(), &e))?,
        )
    };
    let opts = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    let mut out = Vec::new();
    for g in globs {
        // `dir/**` means the folder and everything under it; the glob crate would yield only
        // its subfolders, so match the folder itself and walk it
        let pattern = g.pattern.strip_suffix("/**").unwrap_or(&g.pattern);
        let full = if Path::new(pattern).is_absolute() {
            pattern.to_owned()
        } else {
            format!("{}/{}", glob::Pattern::escape(root_text), pattern)
        };
        let paths = glob::glob_with(&full, opts).map_err(|e| {
            CollectError::Invalid(format!(
                "`{key}` glob `{}`{}: {e}",
                g.pattern,
                crate::error::at_line(g.line)
            ))
        })?;
        let before = out.len();
        for entry in paths {
            let path = entry.map_err(|e| unreadable(&e.path().display().to_string(), e.error()))?;
            let mut found = Vec::new();
            if let Some(b) = &boundary {
                check_inside(&path, b).map_err(|e| {
                    CollectError::Invalid(format!(
                        "`{key}` glob `{}`{}: {e}",
                        g.pattern,
                        crate::error::at_line(g.line)
                    ))
                })?;
            }
            walk_with(&path, &mut found, stamps, boundary.as_deref())
                .map_err(|e| unreadable(&rel_of(root, &path), &e))?;
            for (file, stamp) in found {
                if !skip(&file) {
                    out.push(Matched {
                        rel: rel_of(root, &file),
                        abs: file,
                        stamp,
                    });
                }
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

fn unreadable(path: &str, e: &dyn std::fmt::Display) -> CollectError {
    CollectError::Unreadable {
        path: path.to_owned(),
        reason: e.to_string(),
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
        walk_dir(path, out, stamps, boundary)?;
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
                        if let Err(e) = read_one_dir(&d, &mut mine, &mut subdirs, stamps, boundary)
                        {
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

fn read_one_dir(
    dir: &Path,
    out: &mut Vec<Stamped>,
    subdirs: &mut Vec<PathBuf>,
    stamps: bool,
    boundary: Option<&Path>,
) -> std::io::Result<()> {
    if dir.file_name().is_some_and(|n| n == ".git") {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(p: &str) -> GlobSpec {
        GlobSpec {
            pattern: p.into(),
            line: 7,
        }
    }

    #[test]
    fn star_does_not_cross_slashes_and_prefixes_select() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "cfg/config_220_body.yaml",
            "cfg/config_070_bootstrap.yaml",
            "cfg/config_400_a.yaml",
            "cfg/sub/config_220_deep.yaml",
        ] {
            std::fs::create_dir_all(root.join(f).parent().unwrap()).unwrap();
            std::fs::write(root.join(f), f).unwrap();
        }
        let got = expand(
            root,
            &[spec("cfg/config_220_*.yaml"), spec("cfg/config_[34]*.yaml")],
            "static_data",
            &|_| false,
            true,
            false,
        )
        .unwrap();
        let rels: Vec<&str> = got.iter().map(|m| m.rel.as_str()).collect();
        assert_eq!(rels, ["cfg/config_220_body.yaml", "cfg/config_400_a.yaml"]);
        let deep = expand(
            root,
            &[spec("cfg/**/*.yaml")],
            "code",
            &|_| false,
            true,
            false,
        )
        .unwrap();
        assert_eq!(deep.len(), 4);
        // a folder, or `folder/**`, stands for every file under it
        for pattern in ["cfg/**", "cfg", "cfg/sub"] {
            let got = expand(root, &[spec(pattern)], "code", &|_| false, true, false).unwrap();
            assert_eq!(
                got.len(),
                if pattern == "cfg/sub" { 1 } else { 4 },
                "{pattern}"
            );
        }
        let skipped = expand(
            root,
            &[spec("cfg/**")],
            "code",
            &|p| p.ends_with("config_400_a.yaml"),
            false,
            false,
        )
        .unwrap();
        assert_eq!(skipped.len(), 3);
    }

    #[test]
    fn an_empty_match_is_an_error_naming_the_glob_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("cfg")).unwrap();
        let err = expand(
            dir.path(),
            &[spec("cfg/*.yaml")],
            "static_data",
            &|_| false,
            true,
            false,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "no file matches `static_data` glob `cfg/*.yaml` (harness.toml line 7)"
        );
        // an empty folder is not a match
        let err = expand(dir.path(), &[spec("cfg")], "code", &|_| false, true, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no file matches"));
    }

    #[cfg(unix)]
    #[test]
    fn a_broken_link_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(dir.path().join("nowhere"), dir.path().join("a.yaml")).unwrap();
        let err = expand(
            dir.path(),
            &[spec("*.yaml")],
            "static_data",
            &|_| false,
            true,
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("cannot read a.yaml: broken symbolic link"),
            "{err}"
        );
    }

    #[test]
    fn streaming_hash_matches_one_shot_hash() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        let data: Vec<u8> = (0..1_000_003u32).map(|i| (i * 7) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        assert_eq!(
            sha256_file(&p).unwrap(),
            crate::canonical::sha256_tagged(&data)
        );
    }

    /// Names that are not UTF-8 get keys of their own that give back their bytes; a name
    /// holding a backslash cannot collide with an escaped one.
    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_keep_their_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("data")).unwrap();
        let names: [&[u8]; 4] = [b"x\xff.txt", b"x\xfe.txt", b"x\\xFF.txt", b"plain.txt"];
        for n in names {
            let p = root.join("data").join(std::ffi::OsStr::from_bytes(n));
            std::fs::write(p, n).unwrap();
        }
        let got = expand(
            root,
            &[spec("data")],
            "static_data",
            &|_| false,
            true,
            false,
        )
        .unwrap();
        let keys: std::collections::BTreeSet<&str> = got.iter().map(|m| m.rel.as_str()).collect();
        assert_eq!(keys.len(), 4, "{keys:?}");
        assert!(keys.contains("data/x\\xFF.txt"), "{keys:?}");
        assert!(keys.contains("data/x\\\\xFF.txt"), "{keys:?}");
        assert!(keys.contains("data/plain.txt"));
        for m in &got {
            let back = unescape_name(&m.rel).unwrap();
            assert_eq!(
                back,
                m.abs.strip_prefix(root).unwrap().as_os_str().as_bytes()
            );
        }
        for odd in ["a\\", "a\\q", "a\\xZ1", "a\\x4"] {
            assert_eq!(unescape_name(odd), None, "{odd}");
        }
    }

    /// A project in a folder whose name is not UTF-8 is told so, not "no file matches".
    #[cfg(unix)]
    #[test]
    fn a_root_that_is_not_utf8_is_named() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(std::ffi::OsStr::from_bytes(b"proj\xff"));
        std::fs::create_dir_all(root.join("cfg")).unwrap();
        std::fs::write(root.join("cfg/a.yaml"), "a").unwrap();
        let err = expand(&root, &[spec("cfg")], "code", &|_| false, true, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("is not UTF-8"), "{err}");
    }

    /// A symbolic link out of the project, matched or met inside a folder, is an error unless
    /// the run allows it.
    #[cfg(unix)]
    #[test]
    fn links_out_of_the_project_need_allow_outside() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), "s").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("data")).unwrap();
        std::fs::write(root.join("data/a.txt"), "a").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("data/ext")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.txt"), root.join("top.txt"))
            .unwrap();
        for pattern in ["data", "top.txt", "data/ext/*.txt"] {
            let err = expand(root, &[spec(pattern)], "inputs", &|_| false, true, false)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("outside the project's folder"),
                "{pattern}: {err}"
            );
            let ok = expand(root, &[spec(pattern)], "inputs", &|_| false, true, true).unwrap();
            assert!(!ok.is_empty());
        }
        // a link that stays inside is fine
        std::os::unix::fs::symlink(root.join("data/a.txt"), root.join("inner.txt")).unwrap();
        assert!(
            expand(
                root,
                &[spec("inner.txt")],
                "inputs",
                &|_| false,
                true,
                false
            )
            .is_ok()
        );
    }
}
