//! Facts: what is the same for every run of a process — the git state and the repository, the
//! hardware, runtimes and registered names, the expansions of shared globs, the stat cache and
//! the folder objects — collected once and only when a run first needs it, never while
//! listing. Hashes of files are memoised too, so a file named by several runs is read once.

use crate::manifest::types::{Hardware, Tool};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::{Mutex, OnceLock};

impl Drop for Facts {
    fn drop(&mut self) {
        // best effort: the cache is an optimisation, and a failed write changes no result
        if let Ok(Some(c)) = self.cache.get_mut() {
            let _ = c.save();
        }
    }
}

/// The most files a process remembers for the rest of its life from one batch of hashes (cache
/// hits too) or one expansion of globs: what several runs share (a code glob) is small, and a
/// dataset that is large would stay in memory.
pub const MAX_REMEMBERED: usize = 10_000;

/// Lazily collected facts about one project root.
pub struct Facts {
    root: PathBuf,
    exclude: Vec<PathBuf>,
    git: OnceLock<crate::manifest::Code>,
    hashes: Mutex<rustc_hash::FxHashMap<std::ffi::OsString, ([u8; 32], u64)>>,
    /// Loaded when the first file is hashed, never while listing.
    cache: Mutex<Option<crate::cache::StatCache>>,
    files_read: std::sync::atomic::AtomicU64,
    repo: OnceLock<Option<(PathBuf, Mutex<git2::Repository>)>>,
    hardware: OnceLock<Hardware>,
    runtime: Mutex<HashMap<String, Tool>>,
    names: Mutex<HashMap<Vec<String>, NamesResult>>,
    registered: [Registered; 2],
    host: super::Host,
    expansions: Mutex<HashMap<ExpansionKey, Arc<[super::files::Matched]>>>,
    trees: crate::trees::Store,
}

/// What a glob expansion depends on: the key it was written under (`code` skips what git
/// ignores), its patterns, and whether it may leave the project.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExpansionKey {
    /// The harness.toml key.
    pub key: String,
    /// The patterns.
    pub patterns: Vec<String>,
    /// `allow_outside`.
    pub outside: bool,
}

/// Names a command printed, or why it could not give them.
type NamesResult = Result<Vec<String>, super::CollectError>;

/// Names a Rust project registers in code (see [`crate::harness::Harness::techniques`]).
pub type NamesFn = Arc<dyn Fn() -> Vec<String> + Send + Sync>;

#[derive(Default)]
struct Registered {
    f: Option<NamesFn>,
    value: OnceLock<Result<Vec<String>, String>>,
}

/// Which list of registered names.
#[derive(Debug, Clone, Copy)]
pub enum NameKind {
    /// `technique_names`.
    Techniques = 0,
    /// `extractor_names`.
    Extractors = 1,
}

impl Facts {
    /// Facts about the project whose harness.toml lives in `root`; files under `exclude` (the
    /// baselines folders) never make the tree dirty.
    pub fn new(root: &Path, exclude: Vec<PathBuf>) -> Facts {
        Facts::on(root, exclude, super::Host::this_machine())
    }

    /// Like [`Facts::new`], on a given host (a pinned clock, environment or hardware).
    pub fn on(root: &Path, exclude: Vec<PathBuf>, host: super::Host) -> Facts {
        Facts {
            host,
            expansions: Mutex::new(HashMap::new()),
            root: root.to_owned(),
            exclude,
            git: OnceLock::new(),
            hashes: Mutex::new(Default::default()),
            files_read: std::sync::atomic::AtomicU64::new(0),
            cache: Mutex::new(None),
            repo: OnceLock::new(),
            hardware: OnceLock::new(),
            runtime: Mutex::new(HashMap::new()),
            names: Mutex::new(HashMap::new()),
            registered: Default::default(),
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
    /// the project as `rel`; see [`super::files::scan`]): its folders' summaries, each
    /// folder's object kept, its files found in their folders' stat cache shards or read.
    pub fn scan_folder(
        &self,
        walk: &super::files::Walk,
        glob: &super::files::Glob,
        (base, rel): (&Path, &str),
        since_ns: i64,
        max_entries: usize,
    ) -> Result<super::files::scan::Scanned, super::files::WalkError> {
        let progress = super::hashing::Progress::default();
        let scan = super::files::scan::Scan {
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
        let r = super::progress::while_hashing(None, &progress, || scan.folder(base, rel));
        self.files_read.fetch_add(
            progress.read.load(std::sync::atomic::Ordering::Relaxed),
            std::sync::atomic::Ordering::Relaxed,
        );
        r
    }

    /// A glob expansion this process made before, if any.
    pub fn expansion(&self, key: &ExpansionKey) -> Option<Arc<[super::files::Matched]>> {
        self.expansions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    /// Remembers a glob expansion for the rest of the process.
    pub fn remember_expansion(&self, key: ExpansionKey, matched: Arc<[super::files::Matched]>) {
        self.expansions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, matched);
    }

    /// Forgets every glob expansion and every hash remembered (a command ran that may have
    /// written files).
    pub fn forget_expansions(&self) {
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

    /// The machine the facts are collected on.
    pub fn host(&self) -> &super::Host {
        &self.host
    }

    /// The `hardware` section, if a run asked for it already.
    pub fn hardware_collected(&self) -> Option<&Hardware> {
        self.hardware.get()
    }

    /// The `hardware` section.
    pub fn hardware(&self) -> &Hardware {
        self.hardware.get_or_init(|| match &self.host.hardware {
            Some(h) => h.clone(),
            None => super::hardware::collect(&self.root),
        })
    }

    /// One `runtime` entry, collected once per process.
    pub fn runtime(&self, name: &str) -> Tool {
        if let Some(v) = self
            .runtime
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
        {
            return v.clone();
        }
        let v = super::runtime::collect(name, &self.root);
        self.runtime
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_owned(), v.clone());
        v
    }

    /// The names a command prints, run once per process.
    pub fn names_from(&self, spec: &crate::config::CommandSpec) -> NamesResult {
        if let Some(v) = self
            .names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&spec.argv)
        {
            return v.clone();
        }
        let shown = super::command::display(&spec.argv);
        let v = super::command::run(&spec.argv, &self.root, spec.timeout).and_then(|o| {
            let names = super::names::parse(&o.stdout)
                .map_err(|e| super::CollectError::Invalid(format!("`{shown}` {e}")))?;
            if names.is_empty() && !spec.allow_empty {
                return Err(super::CollectError::Invalid(format!(
                    "`{shown}` printed no names: a registry that lists nothing is more likely broken than empty (set `allow_empty = true` beside `command` if it may be empty)"
                )));
            }
            Ok(names)
        });
        self.names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(spec.argv.clone(), v.clone());
        v
    }

    /// Registers a function that returns names; it is called once, when a run first needs it.
    pub fn register(&mut self, kind: NameKind, f: NamesFn) {
        self.registered[kind as usize] = Registered {
            f: Some(f),
            value: OnceLock::new(),
        };
    }

    /// The registered names of a kind, if a function was registered.
    pub fn registered(&self, kind: NameKind) -> Option<Result<Vec<String>, String>> {
        let r = &self.registered[kind as usize];
        let f = r.f.as_ref()?;
        Some(
            r.value
                .get_or_init(|| {
                    crate::manifest::names::normalize(f())
                        .map_err(|e| format!("a registered name {e}"))
                })
                .clone(),
        )
    }

    /// The git fields of the `code` section.
    pub fn git(&self) -> &crate::manifest::Code {
        self.git
            .get_or_init(|| super::git::collect(&self.root, &self.exclude))
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

    /// Like [`Facts::hash_all`], each file's raw SHA-256 and size, with stat data already
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
        let progress = super::hashing::Progress::default();
        let results = {
            let c: &crate::cache::StatCache = cache;
            let lookup = |p: &Path, s: &crate::cache::Stamp| c.get(p, s);
            let known: Option<super::hashing::Known> =
                if c.enabled() { Some(&lookup) } else { None };
            super::progress::while_hashing(Some(to_resolve.len()), &progress, || {
                // stat data comes from a folder walk, which lists regular files only
                let regular = stamped.is_some();
                let settle = self.host.settle();
                super::hashing::resolve_many_on(
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

    /// Whether git ignores a path (false outside a repository).
    pub fn git_ignores(&self, path: &Path) -> bool {
        let repo = self.repo.get_or_init(|| {
            let repo = git2::Repository::discover(&self.root).ok()?;
            let workdir = repo.workdir()?.canonicalize().ok()?;
            Some((workdir, Mutex::new(repo)))
        });
        let Some((workdir, repo)) = repo else {
            return false;
        };
        let Ok(abs) = path.canonicalize() else {
            return false;
        };
        let Ok(rel) = abs.strip_prefix(workdir) else {
            return false;
        };
        let repo = repo.lock().unwrap_or_else(|e| e.into_inner());
        repo.status_should_ignore(rel).unwrap_or(false)
    }
}
