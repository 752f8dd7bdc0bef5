//! A dataset folder walked, hashed and folded into its folders' digests a folder at a time:
//! each folder's files are stat-ed in it, looked up in its own stat cache shard, read only when
//! the shard does not vouch for them, and written into the folder's object; a folder's digest
//! goes up to its parent when its last subfolder is done. Nothing holds every path, hash or
//! stamp at once: what is kept is one summary per folder.

use super::walk::{Found, Glob, Walk, WalkError};
use crate::cache::StatCache;
use crate::collect::hashing::{self, Progress};
use crate::manifest::tree::{FolderSum, Item, Object};
use crate::trees::Store;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::Ordering;

/// How a scan looks files up and keeps what it learns.
pub struct Scan<'a> {
    /// The project's folder.
    pub root: &'a Path,
    /// Where folders' objects go.
    pub store: &'a Store,
    /// Whether stat cache shards are used (`--no-cache` turns them off).
    pub cache: bool,
    /// The racy window of the host's clock and filesystem, and its clock.
    pub settle: hashing::Settle<'a>,
    /// No later than any stamp is taken: what a shard's new entries are trusted as of.
    pub since_ns: i64,
    /// Counts files and bytes, for a progress bar.
    pub progress: &'a Progress,
    /// The walk that finds the folders and files (and the pool's size).
    pub walk: &'a Walk<'a>,
    /// The glob: only the files it names are kept.
    pub glob: &'a Glob,
    /// `max_entries`: the files of folders are remembered per depth while they number at most
    /// this many (past that, a depth cannot lie above the level).
    pub keep_up_to: usize,
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
    parent: Option<usize>,
    items: Vec<(String, Item)>,
    direct: u64,
    /// Subfolders not done, and one for reading the folder itself.
    waiting: usize,
}

#[derive(Default)]
struct State {
    /// The folders read and not done, by the walk's ids.
    folders: HashMap<usize, Pending>,
    done: Vec<FolderSum>,
    /// The objects this scan kept that were not kept before.
    written: Vec<crate::manifest::Sha256>,
    /// Per depth: the files directly in its folders, while they number at most
    /// `keep_up_to` (`None` past that: no folder of that depth can be above the level a
    /// baseline records, so none is needed).
    direct: std::collections::BTreeMap<usize, Option<Kept>>,
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
    /// The summaries of `base` (the glob's literal folder, relative to the project as `rel`)
    /// and every folder under it that holds a file the glob names; each folder's object is
    /// kept in the store, and those that were not there before come back too (a caller removes
    /// the ones its baseline will not refer to).
    pub fn folder(&self, base: &Path, rel: &str) -> Result<Scanned, WalkError> {
        let state = Mutex::new(State::default());
        let top = if rel.is_empty() {
            String::new()
        } else {
            format!("{rel}/")
        };
        self.walk.folders(self.glob, base, &|folder, files| {
            let items = self.entries(folder.path, files)?;
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            let rel = match folder.parent.and_then(|p| s.folders.get(&p)) {
                Some(parent) => format!(
                    "{}{}/",
                    parent.rel,
                    super::escape_name(folder.name.as_encoded_bytes())
                ),
                None => top.clone(),
            };
            if !items.is_empty() {
                let depth = rel.bytes().filter(|b| *b == b'/').count();
                s.keep_direct(depth, &rel, &items, self.keep_up_to);
            }
            s.folders.insert(
                folder.id,
                Pending {
                    rel,
                    parent: folder.parent,
                    direct: items.len() as u64,
                    items,
                    waiting: folder.subfolders + 1,
                },
            );
            let sealed = one_done(&mut s, folder.id);
            drop(s);
            let new: Vec<crate::manifest::Sha256> = sealed
                .into_iter()
                .filter(|(tree, bytes)| self.store.put(tree, bytes))
                .map(|(tree, _)| tree)
                .collect();
            if !new.is_empty() {
                state
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .written
                    .extend(new);
            }
            Ok(())
        })?;
        let state = state.into_inner().unwrap_or_else(|e| e.into_inner());
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

    /// The entries of one folder's files: found in its shard, or hashed on the pool.
    fn entries(&self, dir: &Path, files: Vec<Found>) -> Result<Vec<(String, Item)>, WalkError> {
        if files.is_empty() {
            return Ok(Vec::new());
        }
        let mut shard = if self.cache {
            StatCache::open_shard(self.root, dir).with_racy_window(self.settle.window)
        } else {
            StatCache::disabled()
        };
        // the shard's answers first, on this thread: the pool is asked for files to read only
        let mut found: Vec<Option<([u8; 32], u64)>> = files
            .iter()
            .map(|f| {
                let s = f.stamp.as_ref()?;
                shard.get(&f.path, s).map(|d| (d, s.size))
            })
            .collect();
        let hits = found.iter().filter(|f| f.is_some()).count() as u64;
        self.progress.files.fetch_add(hits, Ordering::Relaxed);
        let todo: Vec<usize> = (0..files.len()).filter(|i| found[*i].is_none()).collect();
        if !todo.is_empty() {
            let paths: Vec<&Path> = todo.iter().map(|i| files[*i].path.as_path()).collect();
            let stamps: Vec<Option<crate::cache::Stamp>> =
                todo.iter().map(|i| files[*i].stamp).collect();
            // "not known" for each: every file is read, and comes back with the stamp its read
            // was checked against (what the shard may vouch for next time)
            let unknown = |_: &Path, _: &crate::cache::Stamp| None;
            let results = hashing::resolve_many_on(
                &paths,
                Some(&stamps),
                Some(&unknown),
                (true, self.settle),
                self.progress,
                self.walk.threads,
            );
            for (i, (r, read_stamp)) in todo.into_iter().zip(results) {
                let path = &files[i].path;
                let (digest, size) = r.map_err(|e| WalkError {
                    path: path.clone(),
                    source: e,
                })?;
                if let Some(stamp) = read_stamp.filter(|_| shard.enabled()) {
                    shard.put(path.clone(), stamp, digest, self.since_ns);
                }
                found[i] = Some((digest, size));
            }
        }
        let items = files
            .into_iter()
            .zip(found)
            .map(|(f, h)| {
                let (digest, size) = h.unwrap_or_default();
                (
                    super::escape_name(f.path.file_name().unwrap_or_default().as_encoded_bytes()),
                    Item::File { digest, size },
                )
            })
            .collect();
        let _ = shard.save();
        Ok(items)
    }
}

/// Counts one part of folder `id` done; a folder with nothing left to wait for is sealed and
/// counted done in its parent. What comes back is the objects to keep.
fn one_done(s: &mut State, mut id: usize) -> Vec<(crate::manifest::Sha256, Vec<u8>)> {
    let mut sealed = Vec::new();
    loop {
        let Some(f) = s.folders.get_mut(&id) else {
            return sealed;
        };
        f.waiting -= 1;
        if f.waiting > 0 {
            return sealed;
        }
        let Some(f) = s.folders.remove(&id) else {
            return sealed;
        };
        let (tree, bytes) = Object::new(f.items).seal();
        let sum = FolderSum {
            rel: f.rel,
            tree,
            direct: f.direct,
        };
        // a folder with no file under it is no entry, as in a list of files
        if sum.tree.files > 0 {
            sealed.push((sum.tree.tree.clone(), bytes));
            if let Some(parent) = f.parent.and_then(|p| s.folders.get_mut(&p)) {
                let name = sum.rel[parent.rel.len()..].trim_end_matches('/').to_owned();
                parent.items.push((
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
        match f.parent {
            Some(p) => id = p,
            None => return sealed,
        }
    }
}
