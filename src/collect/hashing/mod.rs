//! Hashing at disk speed: each file is streamed through a page-aligned buffer of 1 MiB (a
//! plain `Vec` sits 16 bytes past a page boundary, which makes reads into it several times
//! slower here), and many files are hashed at once with enough reads in flight to hide disk
//! latency when the page cache is cold.

use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The read buffer's size.
pub const BUF_LEN: usize = 1 << 20;
const PAGE: usize = 4096;
/// Files hashed at once: disk latency, not the core count, decides (16–32 reads in flight are
/// several times faster than one on a cold cache, even on two cores).
pub const MAX_THREADS: usize = 16;

/// The buffer a small file is read into; a file that fills it continues in the large one.
const SMALL_LEN: usize = 64 << 10;

/// A thread of the pool takes at least this many files of a batch at a time.
pub const FILES_PER_THREAD: usize = 8;

/// How many files are hashed at once: `PROVBASE_HASH_THREADS`, else [`MAX_THREADS`].
pub fn thread_count() -> usize {
    crate::options::get().hash_threads.unwrap_or(MAX_THREADS)
}

/// The pool of `threads` threads that walks folders (`collect::files::walk`) and
/// hashes files: the one pool of provbase. Disk latency, not the
/// core count, sets how many (see [`MAX_THREADS`]); one pool per size
/// is made in a process, and only when first needed.
pub fn pool(threads: usize) -> std::sync::Arc<rayon::ThreadPool> {
    type Pools = std::sync::Mutex<Vec<(usize, std::sync::Arc<rayon::ThreadPool>)>>;
    static POOLS: std::sync::OnceLock<Pools> = std::sync::OnceLock::new();
    let threads = threads.max(1);
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some((_, p)) = pools.iter().find(|(n, _)| *n == threads) {
        return p.clone();
    }
    let made = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("provbase-{i}"))
        .build()
        .map(std::sync::Arc::new)
        .unwrap_or_else(|_| {
            // no thread could be started: everything runs on the caller's thread
            std::sync::Arc::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .use_current_thread()
                    .build()
                    .expect("a pool on the current thread needs no new thread"),
            )
        });
    pools.push((threads, made.clone()));
    made
}

thread_local! {
    static SMALL: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static LARGE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with one of this thread's page-aligned buffers of `len` bytes.
fn with_buffer<R>(large: bool, f: impl FnOnce(&mut [u8]) -> R) -> R {
    let (cell, len) = if large {
        (&LARGE, BUF_LEN)
    } else {
        (&SMALL, SMALL_LEN)
    };
    cell.with(|cell| {
        let mut v = cell.borrow_mut();
        if v.len() < len + PAGE {
            *v = vec![0u8; len + PAGE];
        }
        let offset = v.as_ptr().align_offset(PAGE);
        f(&mut v[offset..offset + len])
    })
}

/// How far [`pump`] reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Until {
    /// To the end of the file.
    End,
    /// To the end, or until one read fills the buffer (there may be more), and a read that returns less than the buffer is the end: POSIX has a read of a
    /// regular file return fewer bytes than asked for only at the end of the file, so the read
    /// that would return 0 is not made (one system call in four for a small file).
    FullOrShort,
}

/// Reads `file` into `hasher` through `buf`; returns the bytes read and whether there may be
/// more.
fn pump(
    file: &mut std::fs::File,
    hasher: &mut Sha256,
    buf: &mut [u8],
    until: Until,
    live: &AtomicU64,
) -> std::io::Result<(u64, bool)> {
    let mut len = 0u64;
    loop {
        let n = match file.read(buf) {
            Ok(0) => return Ok((len, false)),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        len += n as u64;
        live.fetch_add(n as u64, Ordering::Relaxed);
        match until {
            Until::FullOrShort if n == buf.len() => return Ok((len, true)),
            Until::FullOrShort => return Ok((len, false)),
            Until::End => {}
        }
    }
}

/// What decides whether a file listed without stat data was left alone while it was read: a
/// clock and the racy window (see `hash_open_file`). The session's comes from its host
/// ([`crate::collect::Host::settle`]), so a test that pins the host's clock pins this one too.
#[derive(Clone, Copy)]
pub struct Settle<'a> {
    /// The clock.
    pub clock: &'a dyn crate::collect::clock::Clock,
    /// How long after its last change a file counts as settled.
    pub window: std::time::Duration,
}

impl Settle<'static> {
    /// The system's clock and the stat cache's window ([`crate::cache::RACY_NS`]).
    pub const SYSTEM: Settle<'static> = Settle {
        clock: &crate::collect::clock::SystemClock,
        window: std::time::Duration::from_nanos(crate::cache::RACY_NS as u64),
    };
}

impl Settle<'_> {
    fn now_ns(&self) -> i64 {
        crate::cache::ns_since_epoch(self.clock.now())
    }

    fn window_ns(&self) -> i64 {
        self.window.as_nanos().min(i64::MAX as u128) as i64
    }
}

/// Files at least this large are read on a second thread while this one hashes.
pub const PIPELINE_FROM: u64 = 8 << 20;

/// The raw SHA-256 of a file and its length, streamed: a small file through a 64 KiB buffer,
/// a larger one through the 1 MiB one, and a large one through a reader thread that fills the
/// next buffers while this thread hashes (copying out of the page cache then costs no hashing
/// time).
pub fn sha256_file_raw(path: &Path) -> Hashed {
    let (digest, len, _) = hash_open_file(
        open_nonblocking(path)?,
        (None, false),
        Settle::SYSTEM,
        &AtomicU64::new(0),
    )?;
    Ok((digest, len))
}

/// Opens a file for reading without waiting on it: a FIFO with no writer would block `open`
/// forever, and non-blocking has no effect on a regular file.
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    options.open(path)
}

/// How often a file that changes while it is read is read again before it is an error.
pub const CHANGED_TRIES: usize = 3;

/// Opens the files of one batch relative to their folder: a batch walks its files in order, so
/// consecutive files mostly share a folder, and opening `name` in an open folder skips looking
/// up every component of the path again (3% of the time to hash 100,000 small files here).
/// The folder stays open for one batch only: a command run between two batches may replace it.
#[derive(Default)]
struct Folders {
    #[cfg(unix)]
    last: Option<(PathBuf, rustix::fd::OwnedFd)>,
}

impl Folders {
    /// Opens `path` for reading, as `File::open` would.
    fn open(&mut self, path: &Path) -> std::io::Result<std::fs::File> {
        #[cfg(unix)]
        if let (Some(parent), Some(name)) = (path.parent(), path.file_name())
            && !parent.as_os_str().is_empty()
        {
            use rustix::fs::{Mode, OFlags};
            if self.last.as_ref().is_none_or(|(p, _)| p != parent) {
                self.last = None;
                let fd = rustix::fs::open(
                    parent,
                    OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                    Mode::empty(),
                )?;
                self.last = Some((parent.to_path_buf(), fd));
            }
            if let Some((_, dir)) = &self.last {
                let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK;
                let fd = rustix::fs::openat(dir, name, flags, Mode::empty())?;
                return Ok(std::fs::File::from(fd));
            }
        }
        open_nonblocking(path)
    }
}

/// What kind of special file a file type is, for messages.
pub fn special_kind(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        return "a folder";
    }
    "a special file"
}

/// Hashes an open regular file and returns the stamp of the state that was hashed.
///
/// `listed` is the file's stamp from a folder walk, if one was taken (saving a `stat`);
/// `walked`: a folder walk found it to be a regular file. The file must be regular: a FIFO, a
/// device or a socket is an error, never a wait. A file whose size, mtime or ctime moved while
/// it was read is read again, up to [`CHANGED_TRIES`] times, then an error: a digest always
/// belongs to one state of the file. A read shorter than the buffer ends the file (no read
/// that returns 0) only when the bytes read equal the size that was stat-ed.
///
/// A walked file without a stamp is stat-ed once, after its read: if that size is what was
/// read and its mtime and ctime are older than the read (by `settle`'s clock) by more than its
/// window (git's racy-clean rule), nothing wrote to it during the read. Otherwise it is read
/// again against that stamp.
///
/// `live` counts bytes as they are read, for a progress bar that moves within one large file.
fn hash_open_file(
    mut file: std::fs::File,
    (listed, walked): (Option<crate::cache::Stamp>, bool),
    settle: Settle,
    live: &AtomicU64,
) -> std::io::Result<([u8; 32], u64, crate::cache::Stamp)> {
    use std::io::Seek;
    let not_regular = |m: &std::fs::Metadata| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{}, not a regular file", special_kind(m.file_type())),
        )
    };
    let started_ns = settle.now_ns();
    let mut before = match listed {
        Some(s) => Some(s),
        None if walked => None,
        None => {
            let m = file.metadata()?;
            if !m.is_file() {
                return Err(not_regular(&m));
            }
            Some(crate::cache::Stamp::of(&m))
        }
    };
    for _ in 0..CHANGED_TRIES {
        let mut hasher = Sha256::new();
        let first = with_buffer(false, |b| {
            pump(&mut file, &mut hasher, b, Until::FullOrShort, live)
        });
        let (mut len, mut more) = match first {
            Ok(r) => r,
            // a path listed as a regular file that became a FIFO says so
            Err(e) => match file.metadata() {
                Ok(m) if !m.is_file() => return Err(not_regular(&m)),
                _ => return Err(e),
            },
        };
        // a short read before the stat-ed size is not the end
        let size = before.map(|b| b.size);
        more |= size.is_some_and(|s| len < s);
        if more {
            len += if size.unwrap_or(0) >= PIPELINE_FROM {
                pipelined(&mut file, &mut hasher, live)?
            } else {
                with_buffer(true, |b| pump(&mut file, &mut hasher, b, Until::End, live))?.0
            };
        }
        let m = file.metadata()?;
        if !m.is_file() {
            // a listed stamp of a path that is now something else
            return Err(not_regular(&m));
        }
        let after = crate::cache::Stamp::of(&m);
        let settled = |s: &crate::cache::Stamp| {
            s.mtime_ns.saturating_add(settle.window_ns()) < started_ns
                && s.ctime_ns.saturating_add(settle.window_ns()) < started_ns
        };
        let consistent = match before {
            Some(b) => after == b && len == b.size,
            None => len == after.size && settled(&after),
        };
        if consistent {
            return Ok((hasher.finalize().into(), len, after));
        }
        before = Some(after);
        file.seek(std::io::SeekFrom::Start(0))?;
    }
    Err(std::io::Error::other(format!(
        "it changed while it was hashed ({CHANGED_TRIES} tries)"
    )))
}

enum Chunk {
    Data(Vec<u8>, usize, usize),
    Failed(std::io::Error),
}

fn pipelined(
    file: &mut std::fs::File,
    hasher: &mut Sha256,
    live: &AtomicU64,
) -> std::io::Result<u64> {
    use std::sync::mpsc::sync_channel;
    const BUFFERS: usize = 3;
    let (full_tx, full_rx) = sync_channel::<Chunk>(BUFFERS);
    let (free_tx, free_rx) = sync_channel::<Vec<u8>>(BUFFERS);
    for _ in 0..BUFFERS {
        let _ = free_tx.send(vec![0u8; BUF_LEN + PAGE]);
    }
    // `move`: when hashing stops early, the channel ends it owns are dropped, so the reader
    // never waits on a buffer that will not come back
    std::thread::scope(move |s| {
        s.spawn(move || {
            while let Ok(mut b) = free_rx.recv() {
                let off = b.as_ptr().align_offset(PAGE);
                let r = loop {
                    match file.read(&mut b[off..off + BUF_LEN]) {
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        r => break r,
                    }
                };
                let msg = match r {
                    Ok(0) => break,
                    Ok(n) => Chunk::Data(b, off, n),
                    Err(e) => Chunk::Failed(e),
                };
                if full_tx.send(msg).is_err() {
                    break;
                }
            }
        });
        let mut len = 0u64;
        while let Ok(chunk) = full_rx.recv() {
            match chunk {
                Chunk::Data(b, off, n) => {
                    hasher.update(&b[off..off + n]);
                    len += n as u64;
                    live.fetch_add(n as u64, Ordering::Relaxed);
                    let _ = free_tx.send(b);
                }
                Chunk::Failed(e) => return Err(e),
            }
        }
        Ok(len)
    })
}

/// What the stat cache knows of a file with a given stamp.
pub type Known<'a> = &'a (dyn Fn(&Path, &crate::cache::Stamp) -> Option<[u8; 32]> + Sync);

/// Resolves many files at once: each is stat-ed, looked up with `known` (the stat cache), and
/// read only when `known` has no digest for it. Results come back in the order of `paths`,
/// with the stamp of each file that was read (for the cache). `regular`: every path was a
/// regular file when it was listed (a folder walk lists no other kind).
pub fn resolve_many<P: AsRef<Path> + Sync>(
    paths: &[P],
    stamps: Option<&[Option<crate::cache::Stamp>]>,
    known: Option<Known>,
    regular: bool,
    progress: &Progress,
    settle: Settle,
) -> Vec<(Hashed, Option<crate::cache::Stamp>)> {
    resolve_many_on(
        paths,
        stamps,
        known,
        (regular, settle),
        progress,
        thread_count(),
    )
}

/// [`resolve_many`] on at most `threads` threads (a caller that is itself one of several
/// threads hashing, a folder each, asks for one).
pub fn resolve_many_on<P: AsRef<Path> + Sync>(
    paths: &[P],
    stamps: Option<&[Option<crate::cache::Stamp>]>,
    known: Option<Known>,
    (regular, settle): (bool, Settle),
    progress: &Progress,
    threads: usize,
) -> Vec<(Hashed, Option<crate::cache::Stamp>)> {
    let one = |i: usize, p: &P, folders: &mut Folders| -> (Hashed, Option<crate::cache::Stamp>) {
        let p = p.as_ref();
        // the stamp a folder walk took, when the listing says the file is regular
        let given = stamps
            .and_then(|s| s.get(i).copied().flatten())
            .filter(|_| regular);
        let read = |folders: &mut Folders, listed: Option<crate::cache::Stamp>| match folders
            .open(p)
            .and_then(|f| hash_open_file(f, (listed, regular), settle, &progress.bytes))
        {
            Ok((digest, len, stamp)) => (record(Ok((digest, len)), progress), Some(stamp)),
            Err(e) => (Err(e), None),
        };
        let Some(known) = known else {
            let (hashed, _) = read(folders, given);
            return (hashed, None);
        };
        let stamp = match given.map_or_else(
            || std::fs::metadata(p).map(|m| crate::cache::Stamp::of(&m)),
            Ok,
        ) {
            Ok(s) => s,
            Err(e) => return (Err(e), None),
        };
        if let Some(d) = known(p, &stamp) {
            progress.files.fetch_add(1, Ordering::Relaxed);
            return (Ok((d, stamp.size)), None);
        }
        // a stamp that did not come from a folder walk may be a FIFO's: look at the open file
        read(folders, Some(stamp).filter(|_| regular))
    };
    // a handful of files costs less to stat and read here than to hand to other threads
    if threads <= 1 || paths.len() <= FILES_PER_THREAD {
        let mut folders = Folders::default();
        return paths
            .iter()
            .enumerate()
            .map(|(i, p)| one(i, p, &mut folders))
            .collect();
    }
    use rayon::prelude::*;
    pool(threads).install(|| {
        paths
            .par_iter()
            .enumerate()
            .with_min_len(FILES_PER_THREAD)
            .map_init(Folders::default, |folders, (i, p)| one(i, p, folders))
            .collect()
    })
}

/// A file's raw SHA-256 and length, or why it could not be read.
pub type Hashed = std::io::Result<([u8; 32], u64)>;

/// Progress of a batch, shared with whoever shows it.
#[derive(Debug, Default)]
pub struct Progress {
    /// Files done.
    pub files: AtomicU64,
    /// Files that had to be read (the rest came from the stat cache).
    pub read: AtomicU64,
    /// Bytes read, counted as they are read (a file read again because it changed counts twice).
    pub bytes: AtomicU64,
}

/// Hashes many files at once; results come back in the order of `paths`.
pub fn hash_many(paths: &[PathBuf], progress: &Progress) -> Vec<Hashed> {
    resolve_many(paths, None, None, false, progress, Settle::SYSTEM)
        .into_iter()
        .map(|(h, _)| h)
        .collect()
}

fn record(r: Hashed, progress: &Progress) -> Hashed {
    if r.is_ok() {
        progress.files.fetch_add(1, Ordering::Relaxed);
        progress.read.fetch_add(1, Ordering::Relaxed);
    }
    r
}

#[cfg(test)]
mod tests;
