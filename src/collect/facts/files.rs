//! What the files of a project hold: each file's hash, read at most once per process and not
//! at all when the stat cache vouches for it; the stat cache's lifecycle (loaded on the first
//! hash, written when the facts are dropped); the glob expansions runs share; and the scan of a
//! dataset a folder at a time.

use super::ExpansionKey;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The most files a process remembers for the rest of its life from one batch of hashes (cache
/// hits too) or one expansion of globs: what several runs share (a code glob) is small, and a
/// dataset that is large would stay in memory.
pub const MAX_REMEMBERED: usize = 10_000;

/// What a project's files hold, as far as this process has read them.
pub struct Files {
    root: PathBuf,
    host: crate::collect::Host,
    hashes: Mutex<rustc_hash::FxHashMap<std::ffi::OsString, ([u8; 32], u64)>>,
    /// Loaded when the first file is hashed, never while listing.
    cache: Mutex<Option<crate::cache::StatCache>>,
    files_read: std::sync::atomic::AtomicU64,
    expansions: Mutex<HashMap<ExpansionKey, Arc<[crate::collect::files::Matched]>>>,
    trees: crate::trees::Store,
}

impl Drop for Files {
    fn drop(&mut self) {
        // best effort: the cache is an optimisation, and a failed write changes no result
        if let Ok(Some(c)) = self.cache.get_mut() {
            let _ = c.save();
        }
    }
}

impl Files {
    pub(super) fn new(root: &Path, host: crate::collect::Host) -> Files {
        Files {
            root: root.to_owned(),
            host,
            hashes: Mutex::new(Default::default()),
            cache: Mutex::new(None),
            files_read: std::sync::atomic::AtomicU64::new(0),
            expansions: Mutex::new(HashMap::new()),
            trees: crate::trees::Store::of(root),
        }
    }

    /// The objects of folders recorded by their digests.
    pub fn trees(&self) -> &crate::trees::Store {
        &self.trees
    }

    /// Whether stat caches are in use, without loading the project's.
    fn caching(&self) -> bool {
        match &*self.cache.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(c) => c.enabled(),
            None => self.host.cache,
        }
    }

    /// Scans a glob's files a folder at a time from its literal folder `base` (relative to
    /// the project as `rel`; see [`crate::collect::files::scan`]): its folders' summaries, each
    /// folder's object kept, its files found in their folders' stat cache shards or read.
    pub fn scan_folder(
        &self,
        walk: &crate::collect::files::Walk,
        glob: &crate::collect::files::Glob,
        (base, rel): (&Path, &str),
        since_ns: i64,
        max_entries: usize,
    ) -> Result<crate::collect::files::scan::Scanned, crate::collect::files::WalkError> {
        let progress = crate::collect::hashing::Progress::default();
        let scan = crate::collect::files::scan::Scan {
            root: &self.root,
            store: &self.trees,
            cache: self.caching(),
            settle: self.host.settle(),
            since_ns: since_ns.min(self.host.now_ns()),
            progress: &progress,
            walk,
            glob,
            keep_up_to: max_entries,
        };
        let r = crate::collect::progress::while_hashing(None, &progress, || scan.folder(base, rel));
        self.files_read.fetch_add(
            progress.read.load(std::sync::atomic::Ordering::Relaxed),
            std::sync::atomic::Ordering::Relaxed,
        );
        r
    }

    /// A glob expansion this process made before, if any.
    pub fn expansion(&self, key: &ExpansionKey) -> Option<Arc<[crate::collect::files::Matched]>> {
        self.expansions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    /// Remembers a glob expansion for the rest of the process.
    pub fn remember_expansion(&self, key: ExpansionKey, matched: Arc<[crate::collect::files::Matched]>) {
        self.expansions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, matched);
    }

    /// Forgets every glob expansion and every hash remembered (a command ran that may have
    /// written files).
    pub fn forget(&self) {
        self.expansions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        // and the hashes remembered: the command may have rewritten a file an earlier run read
        self.hashes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// `"sha256:<hex>"` of a file, read at most once per process.
    pub fn hash(&self, path: &Path) -> std::io::Result<String> {
        self.hash_all(&[path.to_owned()])
            .pop()
            .unwrap_or_else(|| Err(std::io::Error::other("no result")))
    }

    /// How many files this process has read to hash them (the rest came from the memo or the
    /// stat cache).
    pub fn files_read(&self) -> u64 {
        self.files_read.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The stat cache, loaded on first use (a host without caches: one that remembers nothing).
    fn load_cache(&self) -> crate::cache::StatCache {
        if !self.host.cache {
            crate::cache::StatCache::disabled()
        } else {
            crate::cache::StatCache::open(&self.root).with_racy_window(self.host.racy_window)
        }
    }

    /// Whether the stat cache is in use (this loads it).
    pub fn cache_enabled(&self) -> bool {
        let mut guard = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        guard.get_or_insert_with(|| self.load_cache()).enabled()
    }

    /// Writes the stat cache now, if it was loaded (it is also written when the facts are
    /// dropped).
    pub fn save_cache(&self) {
        if let Some(c) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            let _ = c.save();
        }
    }

    /// Switches the stat cache off for this process (`--no-cache`).
    pub fn disable_cache(&self) {
        *self.cache.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(crate::cache::StatCache::disabled());
    }

    /// `"sha256:<hex>"` of many files, in order: each read at most once per process, not at
    /// all when the stat cache vouches for it, and the rest hashed in parallel.
    pub fn hash_all(&self, paths: &[PathBuf]) -> Vec<std::io::Result<String>> {
        self.resolve_all_stamped(paths, None)
            .into_iter()
            .map(|r| r.map(|(d, _)| crate::canonical::tag_digest(&d)))
            .collect()
    }

    /// Like [`Files::hash_all`], each file's raw SHA-256 and size, with stat data already
    /// taken (while walking the folders) no earlier than the given time.
    pub fn resolve_all_stamped<P: AsRef<Path> + Sync>(
        &self,
        paths: &[P],
        stamped: Option<(&[Option<crate::cache::Stamp>], i64)>,
    ) -> Vec<std::io::Result<([u8; 32], u64)>> {
        // no later than any stamp was taken or any file read: an entry is only as fresh as that
        let started_ns = stamped
            .map_or_else(|| self.host.now_ns(), |(_, t)| t)
            .min(self.host.now_ns());
        let stamps = stamped.map(|(s, _)| s);
        let memo_hits: Vec<Option<([u8; 32], u64)>> = {
            let memo = self.hashes.lock().unwrap_or_else(|e| e.into_inner());
            if memo.is_empty() {
                vec![None; paths.len()]
            } else {
                paths
                    .iter()
                    .map(|p| memo.get(p.as_ref().as_os_str()).copied())
                    .collect()
            }
        };
        let todo: Vec<usize> = (0..paths.len())
            .filter(|i| memo_hits[*i].is_none())
            .collect();
        let owned_stamps: Vec<Option<crate::cache::Stamp>>;
        let to_resolve: Vec<&Path> = todo.iter().map(|i| paths[*i].as_ref()).collect();
        let to_stamps: Option<&[Option<crate::cache::Stamp>]> = if todo.len() == paths.len() {
            stamps
        } else {
            owned_stamps = todo
                .iter()
                .map(|i| stamps.and_then(|s| s.get(*i).copied().flatten()))
                .collect();
            Some(&owned_stamps)
        };
        let mut guard = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let cache = guard.get_or_insert_with(|| self.load_cache());
        let progress = crate::collect::hashing::Progress::default();
        let results = {
            let c: &crate::cache::StatCache = cache;
            let lookup = |p: &Path, s: &crate::cache::Stamp| c.get(p, s);
            let known: Option<crate::collect::hashing::Known> =
                if c.enabled() { Some(&lookup) } else { None };
            crate::collect::progress::while_hashing(Some(to_resolve.len()), &progress, || {
                // stat data comes from a folder walk, which lists regular files only
                let regular = stamped.is_some();
                let settle = self.host.settle();
                crate::collect::hashing::resolve_many_on(
                    &to_resolve,
                    to_stamps,
                    known,
                    (regular, settle),
                    &progress,
                    self.host.threads,
                )
            })
        };
        let mut out: Vec<std::io::Result<([u8; 32], u64)>> = memo_hits
            .into_iter()
            .map(|h| h.ok_or_else(|| std::io::Error::other("not hashed")))
            .collect();
        let mut memo = self.hashes.lock().unwrap_or_else(|e| e.into_inner());
        let cache_on = cache.enabled();
        // a batch of a shared glob's size is remembered whole, so that the runs that follow
        // neither stat it again nor start threads for it; a dataset's is not kept
        let remember_all = paths.len() <= MAX_REMEMBERED;
        for (i, (r, stamp)) in todo.into_iter().zip(results) {
            if let Ok((d, len)) = &r {
                // a file the stat cache vouched for stays a hit for the rest of the process;
                // a file read now is remembered, in case the cache cannot trust it yet
                if stamp.is_some() || !cache_on || remember_all {
                    memo.insert(paths[i].as_ref().as_os_str().to_owned(), (*d, *len));
                }
                if let Some(stamp) = stamp {
                    cache.put(paths[i].as_ref().to_owned(), stamp, *d, started_ns);
                }
            }
            out[i] = r;
        }
        drop(memo);
        drop(guard);
        self.files_read.fetch_add(
            progress.read.load(std::sync::atomic::Ordering::Relaxed),
            std::sync::atomic::Ordering::Relaxed,
        );
        out
    }
}
