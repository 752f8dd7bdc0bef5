//! The stat cache: each hashed file's (device, inode, size, mtime ns, ctime ns) → its digest,
//! so that unchanged files are not read again. It lives in `.prov/cache/stat-v3.bin` (and
//! `.prov/` ignores itself in git). It is an optimisation only: a missing, corrupt or foreign
//! cache is an empty one, and two processes using it at once lose at most each other's new
//! entries (each writes a whole new file and renames it into place).
//!
//! The file ends with an HMAC-SHA256 over its version, the project root it belongs to and every
//! entry, under a key kept in the user's home, outside every project: a flipped bit, a
//! hand-edited digest sealed again, a truncated write, or a cache copied from another project,
//! machine or CI branch is not trusted: it is an empty cache, rewritten on the next save.
//!
//! Racy writes: a file rewritten with the same size within one timestamp tick of being hashed
//! keeps its (size, mtime), so an entry is trusted only when the file's mtime and ctime are
//! older than the moment it was hashed by more than the timestamp granularity — git's "racy
//! clean" rule. A file modified that recently is hashed again next time.

use rustc_hash::FxHashMap as HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"PBSTAT02";
/// Coarser than any common filesystem's timestamps (FAT's 2 s).
pub const RACY_NS: i64 = 2_000_000_000;

/// What identifies an unchanged file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stamp {
    /// Device.
    pub dev: u64,
    /// Inode.
    pub ino: u64,
    /// Length.
    pub size: u64,
    /// Modification time, ns since the epoch.
    pub mtime_ns: i64,
    /// Status change time, ns since the epoch.
    pub ctime_ns: i64,
}

impl Stamp {
    /// The stamp of a file's metadata.
    #[cfg(unix)]
    pub fn of(m: &std::fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime_ns: m
                .mtime()
                .saturating_mul(1_000_000_000)
                .saturating_add(m.mtime_nsec()),
            ctime_ns: m
                .ctime()
                .saturating_mul(1_000_000_000)
                .saturating_add(m.ctime_nsec()),
        }
    }

    /// The stamp of a file's metadata (no inode or ctime here: only size and mtime).
    #[cfg(not(unix))]
    pub fn of(m: &std::fs::Metadata) -> Stamp {
        let mtime_ns = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i64);
        Stamp {
            dev: 0,
            ino: 0,
            size: m.len(),
            mtime_ns,
            ctime_ns: mtime_ns,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    stamp: Stamp,
    digest: [u8; 32],
    hashed_at_ns: i64,
}

/// Nanoseconds since the epoch at `t` (0 before it), as stamps count them.
pub fn ns_since_epoch(t: std::time::SystemTime) -> i64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// The cache of one project.
#[derive(Debug, Default)]
pub struct StatCache {
    /// The racy window in nanoseconds (see [`crate::collect::Host::racy_window`]).
    racy_ns: i64,
    path: Option<PathBuf>,
    root: PathBuf,
    /// What the seal binds the file to: the project's folder, or a shard's own folder.
    owner: PathBuf,
    entries: HashMap<std::ffi::OsString, Entry>,
    changed: bool,
}

impl StatCache {
    /// Where a project's cache lives.
    pub fn location(root: &Path) -> PathBuf {
        crate::disk::local(root, crate::disk::Local::Cache).join("stat-v3.bin")
    }

    /// Where the shard of one folder lives: `.prov/cache/folders/<hash of its path>.bin`.
    pub fn shard_location(root: &Path, folder: &Path) -> PathBuf {
        use sha2::Digest;
        let key = sha2::Sha256::digest(folder.as_os_str().as_encoded_bytes());
        crate::disk::local(root, crate::disk::Local::Cache)
            .join("folders")
            .join(format!("{}.bin", crate::canonical::hex(&key[..16])))
    }

    /// The cache of the files of one folder of a dataset (its shard), so that a dataset's
    /// cache is read and written a folder at a time, never whole.
    pub fn open_shard(root: &Path, folder: &Path) -> StatCache {
        let path = StatCache::shard_location(root, folder);
        let entries = std::fs::File::open(&path)
            .ok()
            .and_then(|f| read_entries(f, folder).ok())
            .unwrap_or_default();
        StatCache {
            racy_ns: RACY_NS,
            path: Some(path),
            root: root.to_path_buf(),
            owner: folder.to_path_buf(),
            entries,
            changed: false,
        }
    }

    /// A cache that remembers nothing (`--no-cache`, `PROVBASE_NO_CACHE=1`).
    pub fn disabled() -> StatCache {
        StatCache::default()
    }

    /// Loads a project's cache; anything unreadable is an empty cache.
    pub fn open(root: &Path) -> StatCache {
        let path = StatCache::location(root);
        let entries = std::fs::File::open(&path)
            .ok()
            .and_then(|f| read_entries(f, root).ok())
            .unwrap_or_default();
        StatCache {
            racy_ns: RACY_NS,
            path: Some(path),
            root: root.to_path_buf(),
            owner: root.to_path_buf(),
            entries,
            changed: false,
        }
    }

    /// The cache with another racy window (a host whose clock and filesystem are known).
    pub fn with_racy_window(mut self, window: std::time::Duration) -> StatCache {
        self.racy_ns = i64::try_from(window.as_nanos()).unwrap_or(i64::MAX);
        self
    }

    /// The digest of `path` if its stamp is unchanged and it was not modified racily close to
    /// when it was hashed.
    pub fn get(&self, path: &Path, stamp: &Stamp) -> Option<[u8; 32]> {
        let e = self.entries.get(path.as_os_str())?;
        let settled = stamp.mtime_ns.saturating_add(self.racy_ns) < e.hashed_at_ns
            && stamp.ctime_ns.saturating_add(self.racy_ns) < e.hashed_at_ns;
        (e.stamp == *stamp && settled).then_some(e.digest)
    }

    /// Remembers a digest taken at `hashed_at_ns` of a file with `stamp` (taken before it was
    /// read).
    pub fn put(&mut self, path: PathBuf, stamp: Stamp, digest: [u8; 32], hashed_at_ns: i64) {
        if self.path.is_some() {
            self.entries.insert(
                path.into_os_string(),
                Entry {
                    stamp,
                    digest,
                    hashed_at_ns,
                },
            );
            self.changed = true;
        }
    }

    /// Writes the cache if it changed: a new file in the same folder, renamed into place.
    pub fn save(&mut self) -> std::io::Result<()> {
        let (Some(path), true) = (&self.path, self.changed) else {
            return Ok(());
        };
        crate::disk::ensure_prov_ignored(&self.root)?;
        let shard = self.owner != self.root;
        let mode = if shard {
            crate::disk::Mode::Cache
        } else {
            crate::disk::Mode::Shared
        };
        crate::disk::write_atomic(path, mode, |file| {
            let mut w = Sealed::new(std::io::BufWriter::new(file), &self.owner);
            w.write_all(MAGIC)?;
            w.write_all(&(self.entries.len() as u64).to_le_bytes())?;
            for (p, e) in &self.entries {
                let bytes = p.as_os_str().as_encoded_bytes();
                w.write_all(&(bytes.len() as u32).to_le_bytes())?;
                w.write_all(bytes)?;
                for v in [e.stamp.dev, e.stamp.ino, e.stamp.size] {
                    w.write_all(&v.to_le_bytes())?;
                }
                for v in [e.stamp.mtime_ns, e.stamp.ctime_ns, e.hashed_at_ns] {
                    w.write_all(&v.to_le_bytes())?;
                }
                w.write_all(&e.digest)?;
            }
            w.finish()
        })
        .map_err(|(_, e)| e)?;
        self.changed = false;
        if !shard {
            // the cache of earlier versions held every file of every dataset: gone with it
            let _ = std::fs::remove_file(path.with_file_name("stat-v2.bin"));
        }
        Ok(())
    }

    /// Whether it is in use (not `--no-cache`).
    pub fn enabled(&self) -> bool {
        self.path.is_some()
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(unix)]
fn os_string_from_bytes(b: &[u8]) -> std::ffi::OsString {
    <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b).to_owned()
}

#[cfg(not(unix))]
fn os_string_from_bytes(b: &[u8]) -> std::ffi::OsString {
    std::ffi::OsString::from(String::from_utf8_lossy(b).into_owned())
}

/// A writer that also hashes what it writes, bound to the project root, and ends with that hash.
struct Sealed<W: Write> {
    inner: W,
    hasher: sha2::Sha256,
}

impl<W: Write> Sealed<W> {
    fn new(inner: W, root: &Path) -> Sealed<W> {
        Sealed {
            inner,
            hasher: seal_start(root),
        }
    }

    fn finish(mut self) -> std::io::Result<()> {
        let seal = seal_end(self.hasher);
        self.inner.write_all(&seal)?;
        self.inner.flush()
    }
}

impl<W: Write> Write for Sealed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The seal is an HMAC-SHA256 (RFC 2104) under a key kept outside the project, in the user's
/// home ([`seal_key`]): a cache edited by hand and sealed again, or restored by CI from
/// another branch or machine, does not verify and is an empty cache.
///
/// This is the inner hasher before the body: the key's inner pad, then the project root the
/// cache belongs to, length-prefixed.
fn seal_start(root: &Path) -> sha2::Sha256 {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(seal_key().map(|b| b ^ 0x36));
    let root = root.as_os_str().as_encoded_bytes();
    h.update((root.len() as u64).to_le_bytes());
    h.update(root);
    h
}

/// The seal of what `inner` (from [`seal_start`]) has hashed.
fn seal_end(inner: sha2::Sha256) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::new()
        .chain_update(seal_key().map(|b| b ^ 0x5c))
        .chain_update(inner.finalize())
        .finalize()
        .into()
}

/// Where the seal's key is kept: `~/.local/state/provbase/stat-cache.key`, outside every
/// project, so that no file a project holds or a CI cache restores can vouch for itself.
pub fn key_file() -> Option<PathBuf> {
    let home = crate::options::get().home.as_ref()?;
    Some(
        Path::new(home)
            .join(".local/state/provbase")
            .join("stat-cache.key"),
    )
}

/// The seal's key (64 bytes, HMAC's block): read from [`key_file`], made there on first use
/// (random, owner-only, created whole or not at all). Without a home to keep it in, a random
/// key for this process: the cache then serves this process only.
fn seal_key() -> [u8; 64] {
    static KEY: std::sync::OnceLock<[u8; 64]> = std::sync::OnceLock::new();
    *KEY.get_or_init(|| {
        key_file()
            .and_then(|f| read_or_make_key(&f).ok())
            .unwrap_or_else(random_key)
    })
}

fn random_key() -> [u8; 64] {
    let mut k = [0u8; 64];
    let filled = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut k));
    if filled.is_err() {
        // no /dev/urandom: the clock, the process and an address, hashed
        use sha2::Digest;
        let seed = format!(
            "{:?} {} {:p}",
            std::time::SystemTime::now(),
            std::process::id(),
            &k
        );
        let d = sha2::Sha256::digest(seed.as_bytes());
        k[..32].copy_from_slice(&d);
        k[32..].copy_from_slice(&sha2::Sha256::digest(d));
    }
    k
}

fn read_or_make_key(file: &Path) -> std::io::Result<[u8; 64]> {
    let read = |f: &Path| -> std::io::Result<[u8; 64]> {
        let b = crate::disk::read_regular(f)?;
        b.try_into()
            .map_err(|_| std::io::Error::other("not a stat cache key"))
    };
    if let Ok(k) = read(file) {
        return Ok(k);
    }
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(crate::disk::TEMP_PREFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    let key = random_key();
    tmp.write_all(&key)?;
    tmp.as_file().sync_all()?;
    // whole or not at all; a key another process made first wins
    match tmp.persist_noclobber(file) {
        Ok(_) => Ok(key),
        Err(_) => read(file),
    }
}

fn read_entries(
    mut f: std::fs::File,
    root: &Path,
) -> std::io::Result<HashMap<std::ffi::OsString, Entry>> {
    use sha2::Digest;
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes)?;
    let corrupt = || std::io::Error::other("corrupt stat cache");
    let body_len = bytes.len().checked_sub(32).ok_or_else(corrupt)?;
    let mut seal = seal_start(root);
    seal.update(&bytes[..body_len]);
    if seal_end(seal)[..] != bytes[body_len..] {
        return Err(std::io::Error::other(
            "the stat cache's seal does not verify",
        ));
    }
    bytes.truncate(body_len);
    let mut at = 0usize;
    let mut take = |n: usize| -> std::io::Result<&[u8]> {
        let s = bytes.get(at..at + n).ok_or_else(corrupt)?;
        at += n;
        Ok(s)
    };
    if take(8)? != MAGIC {
        return Err(std::io::Error::other(
            "not a provbase stat cache of this version",
        ));
    }
    let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
    let n = word(take(8)?);
    let mut out = HashMap::with_capacity_and_hasher(n.min(10_000_000) as usize, Default::default());
    for _ in 0..n {
        let len = u32::from_le_bytes(take(4)?.try_into().map_err(|_| corrupt())?) as usize;
        if len > 1 << 16 {
            return Err(corrupt());
        }
        // the bytes were written from a path on this platform; a corrupt cache can at worst
        // name a path that matches nothing
        let path = os_string_from_bytes(take(len)?);
        let f = take(6 * 8 + 32)?;
        let w = |i: usize| word(&f[i * 8..i * 8 + 8]);
        let mut digest = [0u8; 32];
        digest.copy_from_slice(&f[48..80]);
        let stamp = Stamp {
            dev: w(0),
            ino: w(1),
            size: w(2),
            mtime_ns: w(3) as i64,
            ctime_ns: w(4) as i64,
        };
        out.insert(
            path,
            Entry {
                stamp,
                digest,
                hashed_at_ns: w(5) as i64,
            },
        );
    }
    if at != bytes.len() {
        return Err(std::io::Error::other("trailing bytes"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(mtime_ns: i64) -> Stamp {
        Stamp {
            dev: 1,
            ino: 2,
            size: 3,
            mtime_ns,
            ctime_ns: mtime_ns,
        }
    }

    #[test]
    fn racy_entries_are_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = StatCache::open(dir.path());
        let p = PathBuf::from("/x");
        let t = 10 * RACY_NS;
        c.put(p.clone(), stamp(t), [7; 32], t + RACY_NS / 2);
        assert_eq!(
            c.get(&p, &stamp(t)),
            None,
            "hashed within the granularity of its mtime"
        );
        c.put(p.clone(), stamp(t), [7; 32], t + 2 * RACY_NS);
        assert_eq!(c.get(&p, &stamp(t)), Some([7; 32]));
        assert_eq!(c.get(&p, &stamp(t + 1)), None, "another mtime");
        let mut other = stamp(t);
        other.ino = 9;
        assert_eq!(c.get(&p, &other), None, "another inode");
    }

    #[test]
    fn saved_caches_load_and_corrupt_ones_are_empty() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = StatCache::open(dir.path());
        for i in 0..100 {
            c.put(
                PathBuf::from(format!("/f{i}")),
                stamp(i),
                [i as u8; 32],
                5 * RACY_NS,
            );
        }
        c.save().unwrap();
        assert!(dir.path().join(".prov/.gitignore").is_file());
        let d = StatCache::open(dir.path());
        assert_eq!(d.len(), 100);
        assert_eq!(d.get(Path::new("/f42"), &stamp(42)), Some([42; 32]));
        let loc = StatCache::location(dir.path());
        let bytes = std::fs::read(&loc).unwrap();
        for bad in [
            &bytes[..bytes.len() - 5],
            b"PBSTAT99rest",
            b"",
            &[bytes.clone(), vec![0]].concat()[..],
        ] {
            std::fs::write(&loc, bad).unwrap();
            assert!(StatCache::open(dir.path()).is_empty());
        }
        assert!(StatCache::disabled().is_empty());
    }
}
