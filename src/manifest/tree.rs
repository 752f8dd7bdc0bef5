//! Folder digests: how a large file set stays a small baseline.
//!
//! Each glob of a run's `static_data` or `inputs` that names more files than
//! `[harness] max_entries` is recorded at the deepest level of folders where it fits: each
//! file above that level as today (`path → "sha256:…"`), each folder at it as a [`Tree`] keyed
//! `path/` (a Merkle digest, with its file count and total bytes). A changed file then drifts
//! as the smallest recorded folder that holds it, and the folders' objects (kept outside git,
//! see the `trees` store) name the file.
//!
//! A folder's object lists its entries in git's tree order (names compared as bytes, a
//! folder's name as if it ended in `/`), each written `file <hex> <size> <name>\0` or
//! `tree <hex> <files> <bytes> <name>\0`, where `<hex>` is the file's SHA-256 or the
//! subfolder's digest; the folder's digest is the SHA-256 of its object. Names are the escaped
//! names a manifest records, so a digest is the same on every platform, and two folders with
//! the same files (by name, content and place) have the same digest wherever they are.

use super::Sha256;
use crate::error::ObjectError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::collections::BTreeMap;

/// How many entries a glob's files keep in a baseline unless `[harness] max_entries` says.
pub const DEFAULT_MAX_ENTRIES: usize = 1000;

/// A folder recorded by its digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tree {
    /// The SHA-256 of the folder's object.
    pub tree: Sha256,
    /// How many files under the folder.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
}

/// An entry of `static_data_hashes` or `inputs`: a file's hash, a folder's digest (keyed
/// with a trailing `/`; `format_version` 2), or an object in a store (keyed by its URL;
/// `format_version` 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Entry {
    /// A file.
    File(Sha256),
    /// A folder.
    Tree(Tree),
    /// An object in a store.
    Object(super::object::StoreObject),
}

impl Entry {
    /// The folder's digest, when it is one.
    pub fn tree(&self) -> Option<&Tree> {
        match self {
            Entry::Tree(t) => Some(t),
            Entry::File(_) | Entry::Object(_) => None,
        }
    }

    /// The object in a store, when it is one.
    pub fn object(&self) -> Option<&super::object::StoreObject> {
        match self {
            Entry::Object(o) => Some(o),
            Entry::File(_) | Entry::Tree(_) => None,
        }
    }
}

/// A hashed file of a set: its path as a manifest records it, its SHA-256 and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    /// `/`-separated, relative to the project (or to a folder).
    pub rel: String,
    /// The raw SHA-256 of its content.
    pub digest: [u8; 32],
    /// Its size in bytes.
    pub size: u64,
}

/// An entry of a folder's object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// A file: its SHA-256 and size.
    File {
        /// Raw SHA-256.
        digest: [u8; 32],
        /// Bytes.
        size: u64,
    },
    /// A subfolder: its digest, file count and bytes.
    Tree {
        /// Raw digest of its object.
        digest: [u8; 32],
        /// Files under it.
        files: u64,
        /// Their bytes.
        bytes: u64,
    },
}

/// A folder's entries, in git's tree order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Object {
    /// (name, entry).
    pub items: Vec<(String, Item)>,
}

/// Git's order: a folder's name compares as if it ended in `/`.
fn git_order(a: &(String, Item), b: &(String, Item)) -> std::cmp::Ordering {
    let key = |(n, i): &(String, Item)| {
        let slash: &[u8] = if matches!(i, Item::Tree { .. }) {
            b"/"
        } else {
            b""
        };
        (n.as_bytes().to_vec(), slash)
    };
    let (x, y) = (key(a), key(b));
    x.0.iter().chain(x.1).cmp(y.0.iter().chain(y.1))
}

impl Object {
    /// The object of these entries (put in order).
    pub fn new(mut items: Vec<(String, Item)>) -> Object {
        items.sort_by(git_order);
        Object { items }
    }

    /// Its bytes, whose SHA-256 is the folder's digest.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.items.len() * 90);
        for (name, item) in &self.items {
            let line = match item {
                Item::File { digest, size } => {
                    format!("file {} {size} {name}\0", crate::canonical::hex(digest))
                }
                Item::Tree {
                    digest,
                    files,
                    bytes,
                } => format!(
                    "tree {} {files} {bytes} {name}\0",
                    crate::canonical::hex(digest)
                ),
            };
            out.extend_from_slice(line.as_bytes());
        }
        out
    }

    /// The folder's digest, file count and bytes, and the object's bytes.
    pub fn seal(&self) -> (Tree, Vec<u8>) {
        let bytes = self.to_bytes();
        let digest = sha2::Sha256::digest(&bytes);
        let (mut files, mut total) = (0u64, 0u64);
        for (_, item) in &self.items {
            match item {
                // an object read from elsewhere may claim any counts: they saturate
                Item::File { size, .. } => {
                    files = files.saturating_add(1);
                    total = size.saturating_add(total);
                }
                Item::Tree {
                    files: f, bytes: b, ..
                } => {
                    files = f.saturating_add(files);
                    total = b.saturating_add(total);
                }
            }
        }
        (
            Tree {
                tree: Sha256(crate::canonical::tag_digest(&digest)),
                files,
                bytes: total,
            },
            bytes,
        )
    }

    /// Reads an object's bytes; the message says which entry is not an object's.
    pub fn parse(bytes: &[u8]) -> Result<Object, ObjectError> {
        let text = std::str::from_utf8(bytes).map_err(|_| ObjectError::NotText)?;
        let Some(body) = text.strip_suffix('\0').or(text.is_empty().then_some("")) else {
            return Err(ObjectError::Unended);
        };
        let mut items = Vec::new();
        for (i, line) in body.split('\0').enumerate().filter(|_| !body.is_empty()) {
            let bad = || ObjectError::Entry { entry: i + 1 };
            let (kind, rest) = line.split_once(' ').ok_or_else(bad)?;
            let (hex, rest) = rest.split_once(' ').ok_or_else(bad)?;
            let digest = unhex(hex).ok_or_else(bad)?;
            let number = |s: &str| s.parse::<u64>().map_err(|_| bad());
            let (item, name) = match kind {
                "file" => {
                    let (size, name) = rest.split_once(' ').ok_or_else(bad)?;
                    (
                        Item::File {
                            digest,
                            size: number(size)?,
                        },
                        name,
                    )
                }
                "tree" => {
                    let (files, rest) = rest.split_once(' ').ok_or_else(bad)?;
                    let (total, name) = rest.split_once(' ').ok_or_else(bad)?;
                    (
                        Item::Tree {
                            digest,
                            files: number(files)?,
                            bytes: number(total)?,
                        },
                        name,
                    )
                }
                _ => return Err(bad()),
            };
            if name.is_empty() || name.contains('/') {
                return Err(bad());
            }
            items.push((name.to_owned(), item));
        }
        Ok(Object { items })
    }
}

fn unhex(h: &str) -> Option<[u8; 32]> {
    if h.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(h.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// A digest's raw bytes (`sha256:<hex>`).
pub fn raw(d: &Sha256) -> Option<[u8; 32]> {
    d.raw()
}

/// What a walk of a glob's files learned of one folder: enough to choose the level a baseline
/// records them at, without holding the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderSum {
    /// Its path relative to the project, ending in `/` (`""`: the project's folder).
    pub rel: String,
    /// Its digest, over the matched files under it.
    pub tree: Tree,
    /// How many matched files lie directly in it.
    pub direct: u64,
}

impl FolderSum {
    /// How many folders deep it is (`a/b/`: 2; the project's folder: 0).
    pub fn depth(&self) -> usize {
        self.rel.bytes().filter(|b| *b == b'/').count()
    }
}

/// Folds files sorted by path into their folders' objects: `sink` gets each folder (deepest
/// first within a branch) with its object's bytes; the summaries come back, the top folder
/// (`prefix`) last.
pub fn objects_of(
    files: &[Leaf],
    prefix: &str,
    sink: &mut dyn FnMut(&FolderSum, &[u8]),
) -> Vec<FolderSum> {
    let mut folding = folding::Folding::new(prefix);
    for f in files {
        folding.push(f, sink);
    }
    folding.finish(sink)
}

/// The level of folders at which the files the summaries describe fit in `max` entries:
/// `None` when they fit as files. When no level fits, the top one (the closest there is).
pub fn level_for(folders: &[FolderSum], max: usize) -> Option<usize> {
    let total: u64 = folders.iter().map(|f| f.direct).sum();
    if total <= max as u64 {
        return None;
    }
    let deepest = folders
        .iter()
        .filter(|f| f.direct > 0)
        .map(FolderSum::depth)
        .max()?;
    if deepest == 0 {
        // every file at the top: there is no folder to record
        return None;
    }
    let entries_at = |level: usize| -> u64 {
        folders
            .iter()
            .map(|f| match f.depth() {
                d if d < level => f.direct,
                d if d == level && f.tree.files > 0 => 1,
                _ => 0,
            })
            .sum()
    };
    let mut fit = 1;
    for level in 2..=deepest {
        if entries_at(level) > max as u64 {
            break;
        }
        fit = level;
    }
    Some(fit)
}

/// A glob's files as a baseline records them, from its folders' summaries: every file when
/// there are at most `max`, else the folders at the deepest level that fits, with the files
/// above it. `direct` gives a folder's own files (from its object), for those above the level.
pub fn fold<E>(
    folders: &[FolderSum],
    max: usize,
    direct: &mut dyn FnMut(&FolderSum) -> Result<Object, E>,
) -> Result<BTreeMap<String, Entry>, E> {
    let level = level_for(folders, max);
    let mut out = BTreeMap::new();
    for f in folders {
        let depth = f.depth();
        if level.is_some_and(|l| depth == l) && f.tree.files > 0 {
            out.insert(f.rel.clone(), Entry::Tree(f.tree.clone()));
        } else if f.direct > 0 && level.is_none_or(|l| depth < l) {
            for (name, item) in direct(f)?.items {
                if let Item::File { digest, .. } = item {
                    out.insert(
                        format!("{}{name}", f.rel),
                        Entry::File(Sha256(crate::canonical::tag_digest(&digest))),
                    );
                }
            }
        }
    }
    Ok(out)
}

/// Every file under a folder, relative to it, sorted, read through its objects.
pub fn leaves<E>(
    tree: &Sha256,
    load: &mut dyn FnMut(&Sha256) -> Result<Object, E>,
) -> Result<Vec<Leaf>, E> {
    let mut out = Vec::new();
    collect_leaves(tree, "", load, &mut out, usize::MAX)?;
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

fn collect_leaves<E>(
    tree: &Sha256,
    prefix: &str,
    load: &mut dyn FnMut(&Sha256) -> Result<Object, E>,
    out: &mut Vec<Leaf>,
    limit: usize,
) -> Result<(), E> {
    for (name, item) in load(tree)?.items {
        // objects whose counts lie (forged) name no more than the caller asked for
        if out.len() >= limit {
            return Ok(());
        }
        match item {
            Item::File { digest, size } => out.push(Leaf {
                rel: format!("{prefix}{name}"),
                digest,
                size,
            }),
            // deeper than any path a filesystem holds: a forged chain of objects, not read
            Item::Tree { .. } if depth(prefix) >= MAX_DEPTH => {}
            Item::Tree { digest, .. } => collect_leaves(
                &Sha256(crate::canonical::tag_digest(&digest)),
                &format!("{prefix}{name}/"),
                load,
                out,
                limit,
            )?,
        }
    }
    Ok(())
}

/// How deep objects are followed: deeper than any path a filesystem holds (4,096 bytes make at
/// most 2,048 folders), so only a forged chain of objects reaches it.
pub const MAX_DEPTH: usize = 2048;

fn depth(prefix: &str) -> usize {
    prefix.bytes().filter(|b| *b == b'/').count()
}

/// The folders a manifest document records by their digests.
pub fn trees_in(doc: &serde_json::Value) -> Vec<Tree> {
    ["static_data_hashes", "inputs"]
        .iter()
        .filter_map(|k| doc.get(*k)?.as_object())
        .flat_map(|m| m.values())
        .filter(|v| v.is_object())
        .filter_map(|v| Tree::deserialize(v).ok())
        .collect()
}

/// How a folder's files changed between two of its digests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    /// Files whose content changed: (name, size before, size after).
    pub changed: Vec<(String, u64, u64)>,
    /// Files now there that were not.
    pub added: Vec<String>,
    /// Files there before that are gone.
    pub removed: Vec<String>,
    /// Files that moved with their content: (from, to).
    pub renamed: Vec<(String, String)>,
    /// Whole folders added, past [`MAX_NAMED`] files named: (folder, files).
    pub folders_added: Vec<(String, u64)>,
    /// Whole folders removed, past [`MAX_NAMED`] files named: (folder, files).
    pub folders_removed: Vec<(String, u64)>,
    /// Changed files past [`MAX_NAMED`], counted and not named.
    pub more_changed: usize,
}

/// The most files a difference names (the rest are counted, or named by their folder), so
/// that a dataset replaced whole is explained without holding a million names.
pub const MAX_NAMED: usize = 100_000;

impl Changes {
    /// Every difference between a folder before and after, read through the objects of the
    /// subfolders that differ only (a change in one file of a million reads a few objects).
    pub fn between<E>(
        before: &Sha256,
        after: &Sha256,
        load: &mut dyn FnMut(&Sha256) -> Result<Object, E>,
    ) -> Result<Changes, E> {
        let mut c = Changes::default();
        let (mut gone, mut new) = (Vec::new(), Vec::new());
        diff(before, after, "", load, &mut c, &mut gone, &mut new)?;
        // a file that left one name and arrived at another with the same content moved
        let mut by_digest: std::collections::HashMap<[u8; 32], Vec<String>> = Default::default();
        for g in gone {
            by_digest.entry(g.digest).or_default().push(g.rel);
        }
        for n in new {
            match by_digest.get_mut(&n.digest).and_then(Vec::pop) {
                Some(from) => c.renamed.push((from, n.rel)),
                None => c.added.push(n.rel),
            }
        }
        c.removed = by_digest.into_values().flatten().collect();
        for v in [&mut c.added, &mut c.removed] {
            v.sort();
        }
        c.renamed.sort();
        c.changed.sort();
        Ok(c)
    }

    /// How many files differ.
    pub fn len(&self) -> usize {
        let folders = self
            .folders_added
            .iter()
            .chain(&self.folders_removed)
            .fold(0usize, |a, (_, n)| {
                a.saturating_add(usize::try_from(*n).unwrap_or(usize::MAX))
            });
        (self.changed.len() + self.more_changed + self.added.len())
            .saturating_add(self.removed.len() + self.renamed.len())
            .saturating_add(folders)
    }

    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn tag(d: &[u8; 32]) -> Sha256 {
    Sha256(crate::canonical::tag_digest(d))
}

/// Every file under one side of a difference (a whole subfolder added or removed); a
/// subfolder whose files would pass [`MAX_NAMED`] names goes to `folders` whole.
fn side<E>(
    name: &str,
    item: &Item,
    load: &mut dyn FnMut(&Sha256) -> Result<Object, E>,
    (out, named): (&mut Vec<Leaf>, usize),
    folders: &mut Vec<(String, u64)>,
) -> Result<(), E> {
    match item {
        Item::File { digest, size } => out.push(Leaf {
            rel: name.to_owned(),
            digest: *digest,
            size: *size,
        }),
        Item::Tree { files, .. }
            if named.saturating_add(usize::try_from(*files).unwrap_or(usize::MAX)) > MAX_NAMED =>
        {
            folders.push((format!("{name}/"), *files));
        }
        Item::Tree { digest, .. } => {
            collect_leaves(&tag(digest), &format!("{name}/"), load, out, MAX_NAMED)?;
        }
    }
    Ok(())
}

fn diff<E>(
    before: &Sha256,
    after: &Sha256,
    prefix: &str,
    load: &mut dyn FnMut(&Sha256) -> Result<Object, E>,
    c: &mut Changes,
    gone: &mut Vec<Leaf>,
    new: &mut Vec<Leaf>,
) -> Result<(), E> {
    if before == after {
        return Ok(());
    }
    let b: BTreeMap<String, Item> = load(before)?.items.into_iter().collect();
    let a: BTreeMap<String, Item> = load(after)?.items.into_iter().collect();
    let mut names: Vec<&String> = b.keys().chain(a.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let full = format!("{prefix}{name}");
        match (b.get(name), a.get(name)) {
            (Some(x), Some(y)) if x == y => {}
            (Some(Item::Tree { .. }), Some(Item::Tree { .. })) if depth(prefix) >= MAX_DEPTH => {
                c.more_changed += 1;
            }
            (Some(Item::Tree { digest: x, .. }), Some(Item::Tree { digest: y, .. })) => {
                diff(&tag(x), &tag(y), &format!("{full}/"), load, c, gone, new)?;
            }
            (Some(Item::File { size: x, .. }), Some(Item::File { size: y, .. })) => {
                if c.changed.len() < MAX_NAMED {
                    c.changed.push((full, *x, *y));
                } else {
                    c.more_changed += 1;
                }
            }
            (x, y) => {
                if let Some(x) = x {
                    let named = gone.len() + new.len();
                    side(&full, x, load, (gone, named), &mut c.folders_removed)?;
                }
                if let Some(y) = y {
                    let named = gone.len() + new.len();
                    side(&full, y, load, (new, named), &mut c.folders_added)?;
                }
            }
        }
    }
    Ok(())
}

pub mod folding;

#[cfg(test)]
mod tests;
