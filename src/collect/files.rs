//! File sets named by globs (`code`, `static_data`) and the streaming SHA-256 of a file.

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
pub fn expand(
    root: &Path,
    globs: &[GlobSpec],
    key: &str,
    skip: &dyn Fn(&Path) -> bool,
    stamps: bool,
) -> Result<Vec<Matched>, String> {
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
            format!(
                "{}/{}",
                glob::Pattern::escape(&root.to_string_lossy()),
                pattern
            )
        };
        let paths = glob::glob_with(&full, opts).map_err(|e| {
            format!(
                "`{key}` glob `{}` (harness.toml line {}): {e}",
                g.pattern, g.line
            )
        })?;
        let before = out.len();
        for entry in paths {
            let path =
                entry.map_err(|e| format!("cannot read {}: {}", e.path().display(), e.error()))?;
            let mut found = Vec::new();
            walk_with(&path, &mut found, stamps)
                .map_err(|e| format!("cannot read {}: {e}", rel_of(root, &path)))?;
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
            return Err(format!(
                "no file matches `{key}` glob `{}` (harness.toml line {})",
                g.pattern, g.line
            ));
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel).then_with(|| a.abs.cmp(&b.abs)));
    out.dedup_by(|a, b| a.abs == b.abs);
    Ok(out)
}

fn rel_of(root: &Path, path: &Path) -> String {
    // a byte prefix, not a component-by-component comparison: the walk built `path` from `root`
    let (r, p) = (
        root.as_os_str().as_encoded_bytes(),
        path.as_os_str().as_encoded_bytes(),
    );
    let rel = match p.strip_prefix(r) {
        Some([b'/' | b'\\', rest @ ..]) => rest,
        _ => {
            return path
                .strip_prefix(root)
                .unwrap_or(path)
                .to_string_lossy()
                .replace('\\', "/");
        }
    };
    let s = String::from_utf8_lossy(rel);
    if cfg!(windows) {
        s.replace('\\', "/")
    } else {
        s.into_owned()
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
    walk_with(path, out, true)
}

/// Like [`walk_stamped`]; `stamps` false leaves the stat data out (nothing will use it).
fn walk_with(path: &Path, out: &mut Vec<Stamped>, stamps: bool) -> std::io::Result<()> {
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
        walk_dir(path, out, stamps)?;
    }
    Ok(())
}

type Stamped = (PathBuf, Option<crate::cache::Stamp>);

/// Walks a folder tree on several threads: each takes a folder, reads it, stats its files
/// relative to it, and hands its subfolders back.
fn walk_dir(dir: &Path, out: &mut Vec<Stamped>, stamps: bool) -> std::io::Result<()> {
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
                        if let Err(e) = read_one_dir(&d, &mut mine, &mut subdirs, stamps) {
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
            walk_with(&p, out, stamps).map_err(|err| context(err, &p))?;
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
        )
        .unwrap();
        let rels: Vec<&str> = got.iter().map(|m| m.rel.as_str()).collect();
        assert_eq!(rels, ["cfg/config_220_body.yaml", "cfg/config_400_a.yaml"]);
        let deep = expand(root, &[spec("cfg/**/*.yaml")], "code", &|_| false, true).unwrap();
        assert_eq!(deep.len(), 4);
        // a folder, or `folder/**`, stands for every file under it
        for pattern in ["cfg/**", "cfg", "cfg/sub"] {
            let got = expand(root, &[spec(pattern)], "code", &|_| false, true).unwrap();
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
        )
        .unwrap_err();
        assert_eq!(
            err,
            "no file matches `static_data` glob `cfg/*.yaml` (harness.toml line 7)"
        );
        // an empty folder is not a match
        let err = expand(dir.path(), &[spec("cfg")], "code", &|_| false, true).unwrap_err();
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
        )
        .unwrap_err();
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
}
