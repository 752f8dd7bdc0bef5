//! A dataset folder walked, hashed and folded into its folders' digests a folder at a time:
//! each folder's files are stat-ed in it, looked up in its own stat cache shard, read only when
//! the shard does not vouch for them, and written into the folder's object; a folder's digest
//! goes up to its parent when its last subfolder is done. Nothing holds every path, hash or
//! stamp at once: what is kept is one summary per folder.

use crate::cache::{Stamp, StatCache};
use crate::collect::hashing::{self, Progress};
use crate::manifest::tree::{FolderSum, Item, Object};
use crate::trees::Store;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How a scan looks files up and keeps what it learns.
pub struct Scan<'a> {
    /// The project's folder.
    pub root: &'a Path,
    /// Where folders' objects go.
    pub store: &'a Store,
    /// Whether stat cache shards are used (`--no-cache` turns them off).
    pub cache: bool,
    /// The racy window of the host's clock and filesystem.
    pub racy: std::time::Duration,
    /// No later than any stamp is taken: what a shard's new entries are trusted as of.
    pub since_ns: i64,
    /// Counts files and bytes, for a progress bar.
    pub progress: &'a Progress,
    /// How many folders are read at once.
    pub threads: usize,
    /// The name pattern of a `prefix/**/name` glob: only the files it names are kept.
    pub name: Option<&'a glob::Pattern>,
    /// `max_entries`: the files of folders are remembered per depth while they number at most
    /// this many (past that, a depth cannot lie above the level).
    pub keep_up_to: usize,
}

/// Why a scan stopped.
#[derive(Debug)]
pub enum Stop {
    /// The tree holds what only a glob walk answers exactly (a symbolic link, a special file,
    /// a `.git` folder): walk it that way instead.
    NotPlain,
    /// A file or folder could not be read: its path relative to the project, and why.
    Unreadable(String, std::io::Error),
}

/// What a scan found.
#[derive(Debug)]
pub struct Scanned {
    /// Every folder under the scanned one that holds a file, the scanned one included.
    pub folders: Vec<FolderSum>,
    /// The objects it kept that were not kept before.
    pub written: Vec<crate::manifest::Sha256>,
    /// The files directly in each folder (its object's files), for the folders that may lie
    /// above the level a baseline records (whose objects are then not kept): by the folder's
    /// path.
    pub direct: std::collections::HashMap<String, Object>,
}

struct Pending {
    rel: String,
    abs: PathBuf,
    parent: Option<usize>,
    items: Vec<(String, Item)>,
    direct: u64,
    /// Subfolders not done, and one for reading the folder itself.
    waiting: usize,
    /// Whether the name pattern matched this folder or one above it (below the scanned one):
    /// then every file under it is kept.
    named: bool,
}

struct State {
    folders: Vec<Pending>,
    queue: Vec<usize>,
    done: Vec<FolderSum>,
    /// The objects this scan kept that were not kept before.
    written: Vec<crate::manifest::Sha256>,
    /// Per depth: the files directly in its folders, while they number at most
    /// `keep_up_to` (`None` past that: no folder of that depth can be above the level a
    /// baseline records, so none is needed).
    direct: std::collections::BTreeMap<usize, Option<Kept>>,
    stop: Option<Stop>,
}

/// The files directly in the folders of one depth, and how many: (count, [(folder, files)]).
type Kept = (usize, Vec<(String, Vec<(String, Item)>)>);

impl State {
    fn keep_direct(&mut self, depth: usize, rel: &str, items: &[(String, Item)], up_to: usize) {
        let slot = self
            .direct
            .entry(depth)
            .or_insert_with(|| Some((0, Vec::new())));
        if let Some((count, kept)) = slot {
            *count += items.len();
            if *count > up_to {
                *slot = None;
            } else {
                kept.push((rel.to_owned(), items.to_vec()));
            }
        }
    }
}

impl Scan<'_> {
    /// The summaries of `base` (a folder, relative to the project as `rel`) and every folder
    /// under it that holds a file; each folder's object is kept in the store, and those that
    /// were not there before come back too (a caller removes the ones its baseline will not
    /// refer to).
    pub fn folder(&self, base: &Path, rel: &str) -> Result<Scanned, Stop> {
        let state = Mutex::new(State {
            folders: vec![Pending {
                rel: format!("{rel}/"),
                abs: base.to_owned(),
                parent: None,
                items: Vec::new(),
                direct: 0,
                waiting: 1,
                named: self.name.is_none(),
            }],
            queue: vec![0],
            done: Vec::new(),
            written: Vec::new(),
            direct: Default::default(),
            stop: None,
        });
        let outstanding = AtomicUsize::new(1);
        std::thread::scope(|s| {
            for _ in 0..self.threads {
                s.spawn(|| self.work(&state, &outstanding));
            }
        });
        let state = state.into_inner().unwrap_or_else(|e| e.into_inner());
        if let Some(stop) = state.stop {
            return Err(stop);
        }
        Ok(Scanned {
            folders: state.done,
            written: state.written,
            direct: state
                .direct
                .into_values()
                .flatten()
                .flat_map(|(_, kept)| kept)
                .map(|(rel, items)| (rel, Object { items }))
                .collect(),
        })
    }

    fn work(&self, state: &Mutex<State>, outstanding: &AtomicUsize) {
        let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let next = {
                let mut s = lock();
                if s.stop.is_some() {
                    return;
                }
                // with other folders waiting, this thread hashes its folder alone: the other
                // threads take those folders, and no thread starts threads of its own
                let alone = !s.queue.is_empty() && s.queue.len() + 1 >= self.threads;
                s.queue.pop().map(|id| {
                    let f = &s.folders[id];
                    (id, f.abs.clone(), alone, f.named)
                })
            };
            let Some((id, abs, alone, named)) = next else {
                if outstanding.load(Ordering::Acquire) == 0 {
                    return;
                }
                std::thread::yield_now();
                continue;
            };
            let threads = if alone { 1 } else { hashing::thread_count() };
            match self.read(&abs, threads, named) {
                Ok((items, subdirs)) => {
                    let mut s = lock();
                    outstanding.fetch_add(subdirs.len(), Ordering::AcqRel);
                    let rel = s.folders[id].rel.clone();
                    for (name, path, child_named) in subdirs {
                        let child = s.folders.len();
                        s.folders.push(Pending {
                            rel: format!("{rel}{name}/"),
                            abs: path,
                            parent: Some(id),
                            items: Vec::new(),
                            direct: 0,
                            waiting: 1,
                            named: named || child_named,
                        });
                        s.folders[id].waiting += 1;
                        s.queue.push(child);
                    }
                    if !items.is_empty() {
                        let depth = rel.bytes().filter(|b| *b == b'/').count();
                        s.keep_direct(depth, &rel, &items, self.keep_up_to);
                    }
                    let me = &mut s.folders[id];
                    me.direct = items.len() as u64;
                    me.items.extend(items);
                    let sealed = one_done(&mut s, id);
                    drop(s);
                    let new: Vec<crate::manifest::Sha256> = sealed
                        .into_iter()
                        .filter(|(tree, bytes)| self.store.put(tree, bytes))
                        .map(|(tree, _)| tree)
                        .collect();
                    if !new.is_empty() {
                        lock().written.extend(new);
                    }
                }
                Err(stop) => {
                    let mut s = lock();
                    s.stop.get_or_insert(stop);
                }
            }
            outstanding.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// One folder: its files' entries (hashed or found in its shard; those the name pattern
    /// keeps, unless the folder is `named`) and its subfolders (whether the pattern names each).
    #[allow(clippy::type_complexity)]
    fn read(
        &self,
        dir: &Path,
        threads: usize,
        named: bool,
    ) -> Result<(Vec<(String, Item)>, Vec<(String, PathBuf, bool)>), Stop> {
        let keep =
            |n: &std::ffi::OsStr| named || self.name.is_none_or(|p| super::name_matches(p, n));
        let rel = |p: &Path| {
            super::escape_name(
                p.strip_prefix(self.root)
                    .unwrap_or(p)
                    .as_os_str()
                    .as_encoded_bytes(),
            )
        };
        let unreadable = |p: &Path, e: std::io::Error| Stop::Unreadable(rel(p), e);
        if dir.file_name().is_some_and(|n| n == ".git") {
            return Err(Stop::NotPlain);
        }
        let mut files: Vec<(String, PathBuf, Option<Stamp>)> = Vec::new();
        let mut subdirs = Vec::new();
        for e in std::fs::read_dir(dir).map_err(|e| unreadable(dir, e))? {
            let e = e.map_err(|e| unreadable(dir, e))?;
            let t = e.file_type().map_err(|err| unreadable(&e.path(), err))?;
            let raw = e.file_name();
            let name = super::escape_name(raw.as_encoded_bytes());
            if t.is_file() {
                if keep(&raw) {
                    let stamp = e.metadata().ok().map(|m| Stamp::of(&m));
                    files.push((name, e.path(), stamp));
                }
            } else if t.is_dir() {
                subdirs.push((name, e.path(), keep(&raw)));
            } else {
                return Err(Stop::NotPlain);
            }
        }
        if files.is_empty() {
            return Ok((Vec::new(), subdirs));
        }
        let mut shard = if self.cache {
            StatCache::open_shard(self.root, dir).with_racy_window(self.racy)
        } else {
            StatCache::disabled()
        };
        // the shard's answers first, on this thread: threads are started for files to read only
        let mut found: Vec<Option<([u8; 32], u64)>> = files
            .iter()
            .map(|(_, path, stamp)| {
                let s = stamp.as_ref()?;
                shard.get(path, s).map(|d| (d, s.size))
            })
            .collect();
        let hits = found.iter().filter(|f| f.is_some()).count() as u64;
        self.progress.files.fetch_add(hits, Ordering::Relaxed);
        let todo: Vec<usize> = (0..files.len()).filter(|i| found[*i].is_none()).collect();
        if !todo.is_empty() {
            let paths: Vec<&Path> = todo.iter().map(|i| files[*i].1.as_path()).collect();
            let stamps: Vec<Option<Stamp>> = todo.iter().map(|i| files[*i].2).collect();
            // "not known" for each: every file is read, and comes back with the stamp its read
            // was checked against (what the shard may vouch for next time)
            let unknown = |_: &Path, _: &Stamp| None;
            let results = hashing::resolve_many_on(
                &paths,
                Some(&stamps),
                Some(&unknown),
                true,
                self.progress,
                threads,
            );
            for (i, (r, read_stamp)) in todo.into_iter().zip(results) {
                let path = &files[i].1;
                let (digest, size) = r.map_err(|e| unreadable(path, e))?;
                if let Some(stamp) = read_stamp.filter(|_| shard.enabled()) {
                    shard.put(path.clone(), stamp, digest, self.since_ns);
                }
                found[i] = Some((digest, size));
            }
        }
        let items: Vec<(String, Item)> = files
            .into_iter()
            .zip(found)
            .map(|((name, _, _), f)| {
                let (digest, size) = f.unwrap_or_default();
                (name, Item::File { digest, size })
            })
            .collect();
        let _ = shard.save();
        Ok((items, subdirs))
    }
}

/// Counts one part of folder `id` done; a folder with nothing left to wait for is sealed and
/// counted done in its parent. What comes back is the objects to keep.
fn one_done(s: &mut State, mut id: usize) -> Vec<(crate::manifest::Sha256, Vec<u8>)> {
    let mut sealed = Vec::new();
    loop {
        let f = &mut s.folders[id];
        f.waiting -= 1;
        if f.waiting > 0 {
            return sealed;
        }
        let items = std::mem::take(&mut f.items);
        let (tree, bytes) = Object::new(items).seal();
        let parent = f.parent;
        let sum = FolderSum {
            rel: std::mem::take(&mut f.rel),
            tree,
            direct: f.direct,
        };
        // a folder with no file under it is no entry, as in a list of files
        if sum.tree.files > 0 {
            sealed.push((sum.tree.tree.clone(), bytes));
            if let Some(p) = parent {
                let name = sum.rel[s.folders[p].rel.len()..]
                    .trim_end_matches('/')
                    .to_owned();
                s.folders[p].items.push((
                    name,
                    Item::Tree {
                        digest: crate::manifest::tree::raw(&sum.tree.tree).unwrap_or_default(),
                        files: sum.tree.files,
                        bytes: sum.tree.bytes,
                    },
                ));
            }
            s.done.push(sum);
        }
        match parent {
            Some(p) => id = p,
            None => return sealed,
        }
    }
}
