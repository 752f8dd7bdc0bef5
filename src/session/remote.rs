//! Collecting a run's remote locations (`s3://…`, `gs://…`, `az://…`, `https://…`): each
//! object by what its store says of it (and its SHA-256 when the location asks), folded into
//! folder digests as a local dataset is when a location names more than `max_entries` objects.
//! The listing is folded as it arrives, in key order, so memory holds one summary per folder
//! and the records of at most `max_entries` objects, not the listing.

use super::Session;
use crate::collect::CollectError;
use crate::collect::stores::{Ask, Found};
use crate::config::{FileSetKey, RemoteSpec, RunSpec};
use crate::error::Result;
use crate::manifest::object::StoreObject;
use crate::manifest::tree::{self, Entry, Leaf};
use std::collections::{BTreeMap, BinaryHeap, HashMap};

impl Session {
    /// A run's remote locations of one key; a location that cannot be listed whole is an
    /// error of the run, and leaves nothing behind.
    pub(super) fn remote_set(
        &self,
        run: &RunSpec,
        key: FileSetKey,
    ) -> Result<BTreeMap<String, Entry>> {
        let mut out = BTreeMap::new();
        for r in run.remote.iter().filter(|r| r.key == key) {
            for (k, entry) in self.location(run, r)? {
                // an object two locations name is recorded once, with its content digest when
                // either asks for it
                match out.entry(k) {
                    std::collections::btree_map::Entry::Vacant(v) => {
                        v.insert(entry);
                    }
                    std::collections::btree_map::Entry::Occupied(mut o) => {
                        if entry.object().is_some_and(|n| n.sha256.is_some())
                            && o.get().object().is_some_and(|n| n.sha256.is_none())
                        {
                            o.insert(entry);
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// One location's entries, keyed by URL (`s3://bucket/key`, or `s3://bucket/folder/` for a
    /// folder recorded by its digest).
    fn location(&self, run: &RunSpec, r: &RemoteSpec) -> Result<BTreeMap<String, Entry>> {
        let ask = Ask {
            location: &r.location,
            sha256: r.sha256,
            head: r.versions || r.checksums,
            checksums: r.checksums,
            keep: self.facts.files().cache_enabled(),
            deadline: r.deadline,
            key: r.key.name(),
            line: r.line,
        };
        let max = r
            .max_entries
            .or(run.max_entries)
            .unwrap_or(self.config.max_entries);
        // folders are named as the URL's path names them: `bucket/train/` under `s3://`
        let (scheme, host) = r.location.base.split_once("://").unwrap_or_default();
        let mut folding = tree::folding::Folding::new("");
        let mut objects = Objects::new(self.facts.trees());
        let mut kept = Shallowest::new(max);
        let mut count = 0usize;
        let listed = self.facts.stores().list(&ask, &mut |batch: Vec<Found>| {
            for f in batch {
                let leaf = Leaf {
                    rel: format!("{host}/{}", f.key),
                    digest: f.object.identity(),
                    size: f.object.size,
                };
                count += 1;
                if count > max {
                    // folders will be recorded by their digests: their objects are kept
                    objects.spill();
                }
                folding.push(&leaf, &mut |sum, bytes| objects.keep(sum, bytes));
                kept.offer(leaf.rel, f.object);
            }
            Ok(())
        });
        let sums = folding.finish(&mut |sum, bytes| objects.keep(sum, bytes));
        if let Err(e) = listed {
            objects.forget(|_| true);
            return Err(Self::err(run, CollectError::Store(e)));
        }
        let what = format!("the `{}` location `{}`", r.key, r.location.url);
        let entries = tree::fold(&sums, max, &mut |f| objects.load(&f.tree.tree))
            .map_err(|e| Self::invalid(run, format!("{what}: {e}")))?;
        // the objects of folders above the recorded level, which nothing refers to
        let level = tree::level_for(&sums, max);
        let above: std::collections::HashSet<&str> = sums
            .iter()
            .filter(|f| level.is_none_or(|l| f.depth() < l))
            .map(|f| f.tree.tree.0.as_str())
            .collect();
        objects.forget(|t| above.contains(t.0.as_str()));
        let mut records = kept.into_map();
        Ok(entries
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Entry::File(_) => records.remove(&k).map_or(v, Entry::Object),
                    other => other,
                };
                (format!("{scheme}://{k}"), v)
            })
            .collect())
    }
}

/// The folders' objects of one listing: held in memory while the listing fits in `max_entries`
/// (a baseline then records its objects, and no folder object is needed after the run), kept
/// under `.prov/trees/` from the moment it does not.
struct Objects<'a> {
    store: &'a crate::trees::Store,
    held: Option<HashMap<String, Vec<u8>>>,
    written: Vec<crate::manifest::Sha256>,
}

impl<'a> Objects<'a> {
    fn new(store: &'a crate::trees::Store) -> Objects<'a> {
        Objects {
            store,
            held: Some(HashMap::new()),
            written: Vec::new(),
        }
    }

    fn keep(&mut self, sum: &tree::FolderSum, bytes: &[u8]) {
        match &mut self.held {
            Some(held) => {
                held.insert(sum.tree.tree.0.clone(), bytes.to_vec());
            }
            None => self.put(&sum.tree.tree, bytes),
        }
    }

    fn put(&mut self, tree: &crate::manifest::Sha256, bytes: &[u8]) {
        if self.store.put(tree, bytes) {
            self.written.push(tree.clone());
        }
    }

    /// From now on every object goes to the store, those held first.
    fn spill(&mut self) {
        if let Some(held) = self.held.take() {
            for (tree, bytes) in held {
                self.put(&crate::manifest::Sha256(tree), &bytes);
            }
        }
    }

    fn load(
        &self,
        tree: &crate::manifest::Sha256,
    ) -> std::result::Result<tree::Object, crate::trees::Missing> {
        match self.held.as_ref().and_then(|h| h.get(&tree.0)) {
            Some(bytes) => tree::Object::parse(bytes).map_err(|e| {
                crate::trees::Missing::Bad(
                    self.store.dir().join(crate::trees::file_name(tree)),
                    e.into(),
                )
            }),
            None => self.store.load(tree),
        }
    }

    /// Removes the objects this listing wrote that `which` names.
    fn forget(&self, which: impl Fn(&crate::manifest::Sha256) -> bool) {
        self.written
            .iter()
            .filter(|t| which(t))
            .for_each(|t| self.store.remove(t));
    }
}

/// The records of the `max` shallowest objects of a listing (by folder depth). A baseline
/// records as objects only those above the level its folders are recorded at, and there are
/// never more than `max` of them, all shallower than any object of a recorded folder: so
/// they are always among these.
struct Shallowest {
    max: usize,
    order: BinaryHeap<(usize, String)>,
    records: HashMap<String, StoreObject>,
}

impl Shallowest {
    fn new(max: usize) -> Shallowest {
        Shallowest {
            max,
            order: BinaryHeap::new(),
            records: HashMap::new(),
        }
    }

    fn offer(&mut self, rel: String, object: StoreObject) {
        let depth = rel.bytes().filter(|b| *b == b'/').count();
        self.order.push((depth, rel.clone()));
        self.records.insert(rel, object);
        if self.order.len() > self.max
            && let Some((_, deepest)) = self.order.pop()
        {
            self.records.remove(&deepest);
        }
    }

    fn into_map(self) -> HashMap<String, StoreObject> {
        self.records
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(n: u64) -> StoreObject {
        StoreObject {
            size: n,
            etag: Some(format!("e{n}")),
            modified: "2026-12-03T02:11:09Z".to_owned(),
            version: None,
            sha256: None,
            checksums: None,
        }
    }

    #[test]
    fn the_shallowest_records_are_kept_whatever_the_order() {
        let mut kept = Shallowest::new(3);
        let rels = [
            "b/x/y/1",
            "b/top-a",
            "b/x/2",
            "b/x/y/z/3",
            "b/top-b",
            "b/x/y/4",
            "b/top-c",
        ];
        for (i, rel) in rels.iter().enumerate() {
            kept.offer((*rel).to_owned(), object(i as u64));
        }
        let mut names: Vec<String> = kept.into_map().into_keys().collect();
        names.sort();
        assert_eq!(names, ["b/top-a", "b/top-b", "b/top-c"]);
        // fewer than `max`: every record stays
        let mut all = Shallowest::new(10);
        for (i, rel) in rels.iter().enumerate() {
            all.offer((*rel).to_owned(), object(i as u64));
        }
        assert_eq!(all.into_map().len(), rels.len());
    }
}
