//! Folder digests: how a large file set stays a small baseline.
//!
//! A run's `static_data` or `inputs` that name more files than `[harness] max_entries` are
//! recorded at the deepest level of folders where the set fits: each file above that level as
//! today (`path → "sha256:…"`), each folder at it as a [`Tree`] keyed `path/` (a Merkle digest
//! over its sorted entries, with its file count and total bytes). A changed file then drifts as
//! the smallest recorded folder that holds it; the folder's listing (see [`Listing`]), kept
//! outside git, names the file.
//!
//! The digest of a folder is SHA-256 over its entries in git's tree order (names compared as
//! bytes, a folder's name as if it ended in `/`), each entry written as
//! `file <hex> <size> <name>\0` or `tree <hex> <files> <bytes> <name>\0`, where `<hex>` is the
//! file's SHA-256 or the subfolder's digest. Names are the escaped names a manifest records, so
//! the digest is the same on every platform, and two folders with the same files (by name,
//! content and place) have the same digest wherever they are.

use super::Sha256;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::collections::BTreeMap;

/// How many entries a file set keeps in a baseline unless `[harness] max_entries` says.
pub const DEFAULT_MAX_ENTRIES: usize = 1000;

/// A folder recorded by its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tree {
    /// The Merkle digest of the files under the folder.
    pub tree: Sha256,
    /// How many files.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
}

/// An entry of `static_data_hashes` or `inputs`: a file's hash, or a folder's digest (keyed
/// with a trailing `/`; `format_version` 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Entry {
    /// A file.
    File(Sha256),
    /// A folder.
    Tree(Tree),
}

impl Entry {
    /// The folder's digest, when it is one.
    pub fn tree(&self) -> Option<&Tree> {
        match self {
            Entry::Tree(t) => Some(t),
            Entry::File(_) => None,
        }
    }
}

/// A hashed file of a set: its path as a manifest records it, its SHA-256 and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    /// `/`-separated, relative to the project (or, in a listing, to its folder).
    pub rel: String,
    /// The raw SHA-256 of its content.
    pub digest: [u8; 32],
    /// Its size in bytes.
    pub size: u64,
}

/// Folds the digests of files sorted by path (as strings), relative to one folder, into that
/// folder's digest, file count and bytes.
#[derive(Default)]
pub struct Folder {
    /// Open folders from the top: the path prefix each covers (`a/b/`), its hasher, counts.
    stack: Vec<Level>,
}

struct Level {
    prefix: String,
    hasher: sha2::Sha256,
    files: u64,
    bytes: u64,
}

impl Level {
    fn new(prefix: String) -> Level {
        Level {
            prefix,
            hasher: sha2::Sha256::new(),
            files: 0,
            bytes: 0,
        }
    }
}

impl Folder {
    /// An empty folder.
    pub fn new() -> Folder {
        Folder {
            stack: vec![Level::new(String::new())],
        }
    }

    /// Adds the next file (`rel` after every earlier one in string order).
    pub fn add(&mut self, rel: &str, digest: &[u8; 32], size: u64) {
        while self.stack.len() > 1 && !rel.starts_with(&self.top().prefix) {
            self.close();
        }
        let mut at = self.top().prefix.len();
        while let Some(slash) = rel[at..].find('/') {
            let prefix = rel[..at + slash + 1].to_owned();
            at = prefix.len();
            self.stack.push(Level::new(prefix));
        }
        let name = &rel[at..];
        let top = self.top_mut();
        top.hasher.update(format!(
            "file {} {size} {name}\0",
            crate::canonical::hex(digest)
        ));
        top.files += 1;
        top.bytes += size;
    }

    fn top(&self) -> &Level {
        &self.stack[self.stack.len() - 1]
    }

    fn top_mut(&mut self) -> &mut Level {
        let n = self.stack.len() - 1;
        &mut self.stack[n]
    }

    /// Closes the innermost open folder into its parent.
    fn close(&mut self) {
        let Some(done) = self.stack.pop() else { return };
        let parent = self.top_mut();
        let name = done.prefix[parent.prefix.len()..].trim_end_matches('/');
        let digest = done.hasher.finalize();
        parent.hasher.update(format!(
            "tree {} {} {} {name}\0",
            crate::canonical::hex(&digest),
            done.files,
            done.bytes
        ));
        parent.files += done.files;
        parent.bytes += done.bytes;
    }

    /// The folder's digest, file count and bytes.
    pub fn finish(mut self) -> Tree {
        while self.stack.len() > 1 {
            self.close();
        }
        let root = self
            .stack
            .pop()
            .unwrap_or_else(|| Level::new(String::new()));
        Tree {
            tree: Sha256(crate::canonical::tag_digest(&root.hasher.finalize())),
            files: root.files,
            bytes: root.bytes,
        }
    }
}

/// How many folders deep `rel` is (`a/b/c.bin`: 2).
fn depth(rel: &str) -> usize {
    rel.bytes().filter(|b| *b == b'/').count()
}

/// The key `rel` falls under when folders `level` deep are recorded as trees: the folder
/// (`a/b/`), or the file itself when it lies above that level.
fn key_at(rel: &str, level: usize) -> &str {
    match rel.match_indices('/').nth(level - 1) {
        Some((i, _)) => &rel[..=i],
        None => rel,
    }
}

/// How many entries `files` (sorted) make when folders `level` deep are recorded as trees.
fn entries_at(files: &[Leaf], level: usize, stop_above: usize) -> usize {
    let mut n = 0;
    let mut last: Option<&str> = None;
    for f in files {
        let k = key_at(&f.rel, level);
        if last != Some(k) {
            n += 1;
            last = Some(k);
            if n > stop_above {
                break;
            }
        }
    }
    n
}

/// The level of folders at which `files` (sorted by path) fit in `max` entries: `None` when
/// they fit as files. When no level fits, the top level (the closest there is).
pub fn level_for(files: &[Leaf], max: usize) -> Option<usize> {
    if files.len() <= max {
        return None;
    }
    let deepest = files.iter().map(|f| depth(&f.rel)).max().unwrap_or(0);
    if deepest == 0 {
        // every file at the top: there is no folder to record
        return None;
    }
    let mut fit = 1;
    for level in 2..=deepest {
        if entries_at(files, level, max) > max {
            break;
        }
        fit = level;
    }
    Some(fit)
}

/// A file set (sorted by path) as a baseline records it: every file when there are at most
/// `max`, else folders at the deepest level that fits (see the module's documentation).
/// Each recorded folder comes back with the files under it, for its listing.
pub fn fold(files: Vec<Leaf>, max: usize) -> (BTreeMap<String, Entry>, Vec<Listing>) {
    let Some(level) = level_for(&files, max) else {
        let entries = files
            .into_iter()
            .map(|f| {
                (
                    f.rel,
                    Entry::File(Sha256(crate::canonical::tag_digest(&f.digest))),
                )
            })
            .collect();
        return (entries, Vec::new());
    };
    let mut entries = BTreeMap::new();
    let mut listings = Vec::new();
    let mut files = files.into_iter().peekable();
    while let Some(first) = files.next() {
        let key = key_at(&first.rel, level).to_owned();
        if !key.ends_with('/') {
            let hash = Sha256(crate::canonical::tag_digest(&first.digest));
            entries.insert(first.rel, Entry::File(hash));
            continue;
        }
        let mut under = vec![first];
        while let Some(next) = files.next_if(|f| f.rel.starts_with(&key)) {
            under.push(next);
        }
        for f in &mut under {
            f.rel.drain(..key.len());
        }
        let listing = Listing::of(under);
        entries.insert(key.clone(), Entry::Tree(listing.tree.clone()));
        listings.push(listing);
    }
    (entries, listings)
}

/// The files under a recorded folder, relative to it, sorted, with the folder's digest: what
/// names the changed files when the folder drifts. Kept under `.prov/listings/`, never in git.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The folder's digest, computed from `files`.
    pub tree: Tree,
    /// The files, relative to the folder, sorted by path.
    pub files: Vec<Leaf>,
}

impl Listing {
    /// The listing of files sorted by path, relative to their folder.
    pub fn of(files: Vec<Leaf>) -> Listing {
        let mut f = Folder::new();
        for l in &files {
            f.add(&l.rel, &l.digest, l.size);
        }
        Listing {
            tree: f.finish(),
            files,
        }
    }

    /// As a file: one line per file, `<hex> <size> <name as a JSON string>`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.files.len() * 100);
        let _ = self.write_to(&mut out);
        out
    }

    /// Writes [`Listing::to_bytes`] to `w`.
    pub fn write_to(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        for f in &self.files {
            write!(w, "{} {} ", crate::canonical::hex(&f.digest), f.size)?;
            serde_json::to_writer(&mut *w, &f.rel)?;
            w.write_all(b"\n")?;
        }
        Ok(())
    }

    /// Reads a listing written by [`Listing::to_bytes`] and checks it against the digest it
    /// should have: the message says which line is wrong, or that the files do not give
    /// `want`.
    pub fn parse(bytes: &[u8], want: &Sha256) -> Result<Listing, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_owned())?;
        let mut files = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let bad = || format!("line {}: not `<sha256 hex> <size> \"<name>\"`", i + 1);
            let mut parts = line.splitn(3, ' ');
            let (Some(h), Some(size), Some(name)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(bad());
            };
            let digest = unhex(h).ok_or_else(bad)?;
            let size: u64 = size.parse().map_err(|_| bad())?;
            let rel: String = serde_json::from_str(name).map_err(|_| bad())?;
            if files.last().is_some_and(|l: &Leaf| l.rel >= rel) {
                return Err(format!("line {}: not sorted after the line before", i + 1));
            }
            files.push(Leaf { rel, digest, size });
        }
        let listing = Listing::of(files);
        if listing.tree.tree != *want {
            return Err(format!(
                "its files give {}, not {}: the listing was changed or cut short",
                listing.tree.tree.0, want.0
            ));
        }
        Ok(listing)
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

/// How a folder's files changed between two listings.
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
}

impl Changes {
    /// Every difference between the listings of one folder, before and after.
    pub fn between(before: &Listing, after: &Listing) -> Changes {
        let mut c = Changes::default();
        let (mut a, mut b) = (
            before.files.iter().peekable(),
            after.files.iter().peekable(),
        );
        let mut gone = Vec::new();
        let mut new = Vec::new();
        loop {
            match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x.rel == y.rel => {
                    if x.digest != y.digest {
                        c.changed.push((x.rel.clone(), x.size, y.size));
                    }
                    a.next();
                    b.next();
                }
                (Some(x), Some(y)) if x.rel < y.rel => {
                    gone.push(*x);
                    a.next();
                }
                (Some(x), None) => {
                    gone.push(*x);
                    a.next();
                }
                (_, Some(y)) => {
                    new.push(*y);
                    b.next();
                }
                (None, None) => break,
            }
        }
        // a file that left one name and arrived at another with the same content moved
        let mut by_digest: std::collections::HashMap<[u8; 32], Vec<&Leaf>> =
            std::collections::HashMap::new();
        for g in &gone {
            by_digest.entry(g.digest).or_default().push(g);
        }
        let mut moved = std::collections::HashSet::new();
        for n in new {
            match by_digest.get_mut(&n.digest).and_then(Vec::pop) {
                Some(from) => {
                    moved.insert(from.rel.as_str());
                    c.renamed.push((from.rel.clone(), n.rel.clone()));
                }
                None => c.added.push(n.rel.clone()),
            }
        }
        c.removed = gone
            .iter()
            .filter(|g| !moved.contains(g.rel.as_str()))
            .map(|g| g.rel.clone())
            .collect();
        c
    }

    /// How many files differ.
    pub fn len(&self) -> usize {
        self.changed.len() + self.added.len() + self.removed.len() + self.renamed.len()
    }

    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests;
