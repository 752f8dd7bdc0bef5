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
    /// Content digests of objects in stores, by the object's identity.
    Stores,
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
        Local::Stores => prov.join("stores"),
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

/// How old a temporary file must be before a folder that has no lock (the stat cache's shards,
/// the folder objects) takes it for one a killed process left: no write of provbase's takes
/// this long between creating its temporary file and renaming it, and the file's mtime moves
/// while it is written.
pub const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Removes provbase's temporary files in `dir` that have not been written to for
/// [`ABANDONED_AFTER`]: a killed writer's, in a folder writers share without a lock. Returns
/// how many.
pub fn remove_abandoned_temp_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let now = std::time::SystemTime::now();
    entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with(TEMP_PREFIX)
                && name.ends_with(TEMP_SUFFIX)
                && e.metadata().is_ok_and(|m| {
                    m.is_file()
                        && m.modified().is_ok_and(|t| {
                            now.duration_since(t)
                                .is_ok_and(|age| age >= ABANDONED_AFTER)
                        })
                })
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

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
///
/// Only a regular file is ever replaced by the rename. A symbolic link is followed, and its
/// target written as this function writes any path; a device, a FIFO or a socket is written in
/// place ([`write_in_place`]), so `--junit /dev/null` leaves `/dev/null` a device even for root;
/// a folder is an error.
pub fn write_atomic(
    path: &Path,
    mode: Mode,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<(), (PathBuf, std::io::Error)> {
    let target = follow_links(path).map_err(|e| (path.to_owned(), e))?;
    let path = target.as_path();
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            return Err((
                path.to_owned(),
                std::io::Error::new(
                    std::io::ErrorKind::IsADirectory,
                    "a folder, not a file to write",
                ),
            ));
        }
        Ok(m) if !m.is_file() => return write_in_place(path, write),
        _ => {}
    }
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

/// The path a write to `path` lands on: `path` itself, or where its chain of symbolic links
/// ends (which need not exist yet). A loop, or a chain longer than 40 links (Linux's own limit),
/// is an error.
pub fn follow_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut at = path.to_owned();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&at)?;
                at = match at.parent() {
                    Some(parent) if to.is_relative() => parent.join(to),
                    _ => to,
                };
            }
            _ => return Ok(at),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        "too many levels of symbolic links",
    ))
}

/// Writes to a file that is not a regular one (a device, a FIFO) as it is: opened for writing
/// without creating or truncating it, never renamed over. A FIFO that no process reads is an
/// error at once rather than a wait.
pub fn write_in_place(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<(), (PathBuf, std::io::Error)> {
    let at = |e| (path.to_owned(), e);
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let mut file = match options.open(path) {
        Ok(f) => f,
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::NXIO.raw_os_error()) => {
            return Err(at(std::io::Error::new(
                e.kind(),
                "a FIFO that no process reads",
            )));
        }
        Err(e) => return Err(at(e)),
    };
    #[cfg(unix)]
    {
        // blocking from here on, as a pipe's writer expects
        let flags = rustix::fs::fcntl_getfl(&file).map_err(|e| at(e.into()))?;
        rustix::fs::fcntl_setfl(&file, flags - rustix::fs::OFlags::NONBLOCK)
            .map_err(|e| at(e.into()))?;
    }
    write(&mut file).map_err(at)?;
    file.flush().map_err(at)
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

    #[test]
    fn a_write_follows_a_link_and_never_renames_over_a_special_file() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.xml");
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.xml");
        std::os::unix::fs::symlink("real.xml", &link).unwrap();
        write_atomic(&link, Mode::Shared, |w| w.write_all(b"new")).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink(),
            "the link stays a link"
        );
        assert_eq!(std::fs::read(&real).unwrap(), b"new");

        let null = Path::new("/dev/null");
        write_atomic(null, Mode::Shared, |w| w.write_all(b"report")).unwrap();
        use std::os::unix::fs::FileTypeExt;
        assert!(
            std::fs::metadata(null)
                .unwrap()
                .file_type()
                .is_char_device(),
            "/dev/null is still a device"
        );

        let fifo = dir.path().join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let err = write_atomic(&fifo, Mode::Shared, |w| w.write_all(b"x")).unwrap_err();
        assert!(err.1.to_string().contains("no process reads"), "{}", err.1);
        assert!(
            std::fs::metadata(&fifo).unwrap().file_type().is_fifo(),
            "the FIFO stays"
        );
        let err = write_atomic(dir.path(), Mode::Shared, |w| w.write_all(b"x")).unwrap_err();
        assert!(err.1.to_string().contains("a folder"));
    }

    #[test]
    fn only_abandoned_temporary_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join(".provbase-killed.tmp");
        let fresh = dir.path().join(".provbase-writing.tmp");
        let other = dir.path().join("other.tmp");
        for f in [&old, &fresh, &other] {
            std::fs::write(f, "x").unwrap();
        }
        let long_ago = std::time::SystemTime::now() - ABANDONED_AFTER * 2;
        for f in [&old, &other] {
            std::fs::File::options()
                .write(true)
                .open(f)
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        }
        assert_eq!(remove_abandoned_temp_files(dir.path()), 1);
        assert!(!old.exists() && fresh.exists() && other.exists());
    }
}
