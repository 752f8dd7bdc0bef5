//! Files on disk, once: the project's `.prov/` folder and what lives in it, reading a document
//! that must be a regular file, reading one that may be absent, and writing one atomically.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The folder, under a project's root, of what provbase keeps locally and git ignores:
/// recorded runs, candidates, the stat cache and the accept locks.
pub const PROV: &str = ".prov";

/// What lives under `.prov/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Local {
    /// The folder itself.
    Root,
    /// Recorded runs (`runs/<id>/`).
    Runs,
    /// Candidate baselines, each at its baseline's path.
    Candidates,
    /// The stat cache.
    Cache,
    /// The accept locks.
    Locks,
}

/// Where a local folder of the project at `root` is.
pub fn local(root: &Path, what: Local) -> PathBuf {
    let prov = root.join(PROV);
    match what {
        Local::Root => prov,
        Local::Runs => prov.join("runs"),
        Local::Candidates => prov.join("candidates"),
        Local::Cache => prov.join("cache"),
        Local::Locks => prov.join("locks"),
    }
}

/// Makes `.prov/` under `root` ignore itself, so that neither caches, candidates nor recorded
/// runs show in git status.
pub fn ensure_prov_ignored(root: &Path) -> std::io::Result<()> {
    let prov = local(root, Local::Root);
    std::fs::create_dir_all(&prov)?;
    let ignore = prov.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(
            &ignore,
            "# written by provbase: recorded runs, candidates and caches stay local\n*\n",
        )?;
    }
    Ok(())
}

/// Reads a document (a baseline, a config, a metakernel) that must be a regular file: a FIFO, a
/// device or a folder is an error at once, never a wait on a writer that will not come.
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    let m = std::fs::metadata(path)?;
    if !m.is_file() {
        let what = if m.is_dir() {
            "a folder"
        } else {
            "a special file (FIFO, device or socket)"
        };
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{what}, not a regular file"),
        ));
    }
    std::fs::read(path)
}

/// A read whose file may be absent: `Ok(None)` when it does not exist.
pub fn absent_as_none<T>(read: std::io::Result<T>) -> std::io::Result<Option<T>> {
    match read {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The prefix and suffix of provbase's temporary files: `.provbase-XXXXXX.tmp`, which a
/// `*.tmp` line in `.gitignore` covers.
pub const TEMP_PREFIX: &str = ".provbase-";
/// See [`TEMP_PREFIX`].
pub const TEMP_SUFFIX: &str = ".tmp";

/// Who may read a file that provbase writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A new file follows the umask (0666 less the umask); a rewritten one keeps its mode.
    Shared,
    /// Owner only (0600): files that hold environment values (bundles).
    Private,
    /// As `Shared`, not synced to disk first: a cache whose content is checked when it is read
    /// (a stat cache shard, a folder's object), where a file lost to a crash costs a re-read.
    Cache,
}

/// Writes a file atomically: `write` fills a temporary file in the same folder, which is synced
/// and renamed over `path`. Readers see the old file or the new one, never a part; a killed
/// writer leaves a `.provbase-*.tmp` that the next accept removes. The error names the file it
/// concerns.
pub fn write_atomic(
    path: &Path,
    mode: Mode,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<(), (PathBuf, std::io::Error)> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| (dir.to_owned(), e))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX).suffix(TEMP_SUFFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // given to open(2), so the umask applies as it does to any new file
        let bits = match mode {
            Mode::Shared | Mode::Cache => 0o666,
            Mode::Private => 0o600,
        };
        builder.permissions(std::fs::Permissions::from_mode(bits));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(|e| (dir.to_owned(), e))?;
    let tmp_name = tmp.path().to_owned();
    let at = |e| (tmp_name.clone(), e);
    if mode == Mode::Shared
        && let Ok(old) = std::fs::metadata(path)
    {
        std::fs::set_permissions(tmp.path(), old.permissions()).map_err(at)?;
    }
    write(tmp.as_file_mut()).map_err(at)?;
    tmp.as_file_mut().flush().map_err(at)?;
    if mode != Mode::Cache {
        tmp.as_file().sync_all().map_err(at)?;
    }
    tmp.persist(path).map_err(|e| (path.to_owned(), e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_file_is_none_and_other_errors_stay_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        assert!(absent_as_none(std::fs::read(&missing)).unwrap().is_none());
        assert!(
            absent_as_none(read_regular(dir.path())).is_err(),
            "a folder"
        );
        std::fs::write(&missing, "x").unwrap();
        assert_eq!(
            absent_as_none(std::fs::read(&missing)).unwrap().unwrap(),
            b"x"
        );
    }

    #[test]
    fn an_atomic_write_leaves_the_old_file_when_the_writer_fails() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.json");
        write_atomic(&f, Mode::Shared, |w| w.write_all(b"old")).unwrap();
        let err = write_atomic(&f, Mode::Shared, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("killed"))
        })
        .unwrap_err();
        assert!(
            err.0
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(TEMP_PREFIX)
        );
        assert_eq!(std::fs::read(&f).unwrap(), b"old");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "the temporary file is removed when dropped");
    }
}
