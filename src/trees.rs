//! The objects of folders a baseline records by their digest: `.prov/trees/<hex>`, each named
//! by the SHA-256 of its bytes (see [`crate::manifest::tree`]), so that one object serves every
//! run, profile and machine that saw the same folder, a folder is written once, and a change in
//! one file of a dataset writes only the objects of the folders above it. They stay out of git
//! (the objects of a million files weigh about 90 MB); a failing check leaves the objects its
//! candidate needs beside it (`.prov/candidates/trees/`), so that CI's candidates artifact
//! carries them, and `accept --from` takes them in.
//!
//! An object is checked against its name when it is read: one changed, cut short or put under
//! the wrong name is no object (and is removed, so that the right one can be kept).

use crate::manifest::Sha256;
use crate::manifest::tree::Object;
use sha2::Digest;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The folder of a project's objects.
pub fn folder(root: &Path) -> PathBuf {
    crate::disk::local(root, crate::disk::Local::Root).join("trees")
}

/// The folder under a candidates folder that holds its candidates' objects.
pub fn beside_candidates(candidates: &Path) -> PathBuf {
    candidates.join("trees")
}

/// The file name of a folder's object: its digest's hex.
pub fn file_name(tree: &Sha256) -> &str {
    tree.0.strip_prefix("sha256:").unwrap_or(&tree.0)
}

/// Why an object could not be had.
#[derive(Debug, Clone)]
pub enum Missing {
    /// No file by its name.
    Absent(PathBuf),
    /// A file that is not the object it is named as.
    Bad(PathBuf, Damage),
}

/// What is wrong with an object's file.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Damage {
    /// The name asked for is not a digest.
    #[error("not a digest of 64 hex digits")]
    NotADigest,
    /// The file could not be read.
    #[error("{0}")]
    Unreadable(#[source] std::sync::Arc<std::io::Error>),
    /// Its bytes are not the ones its name is the digest of (it was removed).
    #[error("its bytes do not give the digest it is named by: changed or cut short")]
    WrongDigest,
    /// Its bytes are not an object's.
    #[error(transparent)]
    NotAnObject(#[from] crate::error::ObjectError),
    /// Objects nested deeper than any folder.
    #[error("nested deeper than any folder: a forged chain of objects")]
    TooDeep,
    /// Objects that name more entries than a walk follows.
    #[error(
        "its folders' objects reach more than {0} entries: objects that repeat each other's subfolders (forged?) are not followed further"
    )]
    TooManyEntries(usize),
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Missing::Absent(p) => write!(f, "{} is not on this machine", p.display()),
            Missing::Bad(p, why) => write!(f, "{} is damaged ({why})", p.display()),
        }
    }
}

/// A folder of objects, with the ones that could not be written kept in memory (a read-only
/// checkout still folds and explains, for the length of the process).
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    root: Option<PathBuf>,
    /// A folder the user handed provbase (a downloaded artifact): read, never changed.
    foreign: bool,
    unwritten: Mutex<std::collections::HashMap<String, Vec<u8>>>,
}

impl Store {
    /// The objects of a project.
    pub fn of(root: &Path) -> Store {
        Store {
            dir: folder(root),
            root: Some(root.to_owned()),
            foreign: false,
            unwritten: Default::default(),
        }
    }

    /// The objects in a folder (beside candidates, say) that provbase writes to.
    pub fn at(dir: &Path) -> Store {
        Store {
            dir: dir.to_owned(),
            root: None,
            foreign: false,
            unwritten: Default::default(),
        }
    }

    /// The objects in a folder that came from elsewhere (a CI artifact): they are read by name
    /// and size-capped, and nothing there is ever removed.
    pub fn foreign(dir: &Path) -> Store {
        Store {
            foreign: true,
            ..Store::at(dir)
        }
    }

    /// Where it keeps its objects.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Keeps an object (its digest `tree`), unless a file by its name is there already;
    /// whether it was not there before.
    pub fn put(&self, tree: &Sha256, bytes: &[u8]) -> bool {
        let path = self.dir.join(file_name(tree));
        if path.is_file() {
            // used now: prune keeps a recent object, which an accept may be about to name
            if !self.foreign {
                let _ = std::fs::File::options()
                    .write(true)
                    .open(&path)
                    .and_then(|f| f.set_modified(std::time::SystemTime::now()));
            }
            return false;
        }
        let written = self
            .root
            .as_deref()
            .map_or(Ok(()), crate::disk::ensure_prov_ignored)
            .and_then(|()| std::fs::create_dir_all(&self.dir))
            .and_then(|()| {
                crate::disk::write_atomic(&path, crate::disk::Mode::Cache, |f| {
                    std::io::Write::write_all(f, bytes)
                })
                .map_err(|(_, e)| e)
            });
        if written.is_err() {
            self.unwritten
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(tree.0.clone(), bytes.to_vec());
        }
        true
    }

    /// Forgets an object this process kept and nothing refers to (a folder above the level a
    /// baseline records).
    pub fn remove(&self, tree: &Sha256) {
        self.unwritten
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&tree.0);
        let _ = std::fs::remove_file(self.dir.join(file_name(tree)));
    }

    /// The bytes of an object, checked against its name.
    pub fn bytes(&self, tree: &Sha256) -> Result<Vec<u8>, Missing> {
        if let Some(b) = self
            .unwritten
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&tree.0)
        {
            return Ok(b.clone());
        }
        let name = file_name(tree);
        if !is_object_name(name) {
            return Err(Missing::Bad(self.dir.join("<invalid>"), Damage::NotADigest));
        }
        let path = self.dir.join(name);
        let bytes = match read_capped(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Missing::Absent(path));
            }
            Err(e) => return Err(Missing::Bad(path, Damage::Unreadable(e.into()))),
        };
        if crate::canonical::tag_digest(&sha2::Sha256::digest(&bytes)) != tree.0 {
            if !self.foreign {
                let _ = std::fs::remove_file(&path);
            }
            return Err(Missing::Bad(path, Damage::WrongDigest));
        }
        Ok(bytes)
    }

    /// A folder's object, checked against its name.
    pub fn load(&self, tree: &Sha256) -> Result<Object, Missing> {
        let bytes = self.bytes(tree)?;
        Object::parse(&bytes).map_err(|e| Missing::Bad(self.dir.join(file_name(tree)), e.into()))
    }

    /// Copies the objects of `trees` and every folder under them into `to` (hard-linked where
    /// the two folders share a filesystem). A folder's object is copied after those of its
    /// subfolders, so an object in `to` means its whole tree is there: a tree copied before is
    /// not read again.
    pub fn copy_to(&self, trees: &[Sha256], to: &Store) -> Result<(), Missing> {
        for t in trees {
            self.copy_one(t, to, 0)?;
        }
        Ok(())
    }

    fn copy_one(&self, t: &Sha256, to: &Store, depth: usize) -> Result<(), Missing> {
        let target = to.dir.join(file_name(t));
        if target.is_file() {
            return Ok(());
        }
        if depth > crate::manifest::tree::MAX_DEPTH {
            return Err(Missing::Bad(self.dir.join(file_name(t)), Damage::TooDeep));
        }
        let bytes = self.bytes(t)?;
        let object =
            Object::parse(&bytes).map_err(|e| Missing::Bad(self.dir.join(file_name(t)), e.into()))?;
        for (_, item) in object.items {
            if let crate::manifest::tree::Item::Tree { digest, .. } = item {
                self.copy_one(
                    &Sha256(crate::canonical::tag_digest(&digest)),
                    to,
                    depth + 1,
                )?;
            }
        }
        let linked = std::fs::create_dir_all(&to.dir)
            .and_then(|()| std::fs::hard_link(self.dir.join(file_name(t)), &target));
        if linked.is_err() {
            let _ = to.put(t, &bytes);
        }
        Ok(())
    }

    /// The objects in the store that no folder of `roots` reaches (directly or through a
    /// subfolder), with their sizes: what `prune` removes. Only files named as objects are
    /// listed; an object of a root that cannot be read keeps nothing below it alive.
    pub fn unreferenced(&self, roots: &[Sha256]) -> Vec<(PathBuf, u64)> {
        let mut alive = std::collections::HashSet::new();
        let mut todo: Vec<Sha256> = roots.to_vec();
        while let Some(t) = todo.pop() {
            if !alive.insert(file_name(&t).to_owned()) {
                continue;
            }
            if let Ok(object) = self.load(&t) {
                for (_, item) in object.items {
                    if let crate::manifest::tree::Item::Tree { digest, .. } = item {
                        todo.push(Sha256(crate::canonical::tag_digest(&digest)));
                    }
                }
            }
        }
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out: Vec<(PathBuf, u64)> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                (is_object_name(&name) && !alive.contains(&name))
                    .then(|| (e.path(), e.metadata().map_or(0, |m| m.len())))
            })
            .collect();
        out.sort();
        out
    }

    /// Takes every object found in `dir` (checked against its name) into this store; how many.
    /// `dir` is a folder from elsewhere: only files named by 64 hex digits and no larger than
    /// [`MAX_OBJECT_BYTES`] are read, and nothing there is removed.
    pub fn take_from(&self, dir: &Path) -> usize {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return 0;
        };
        let from = Store::foreign(dir);
        let mut taken = 0;
        for e in entries.flatten() {
            let Some(hex) = e.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if !is_object_name(&hex) || self.dir.join(&hex).is_file() {
                continue;
            }
            let t = Sha256(format!("sha256:{hex}"));
            if let Ok(bytes) = from.bytes(&t)
                && Object::parse(&bytes).is_ok()
            {
                let _ = self.put(&t, &bytes);
                taken += 1;
            }
        }
        taken
    }
}

/// The largest object read: a folder of a million files directly in it (about 100 MB) fits;
/// a multi-gigabyte file planted in an artifact is not read.
pub const MAX_OBJECT_BYTES: u64 = 256 << 20;

/// Whether a file name is an object's: 64 lowercase hex digits.
pub fn is_object_name(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A regular file's bytes, refused past [`MAX_OBJECT_BYTES`] before anything is read.
fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let m = std::fs::metadata(path)?;
    if !m.is_file() {
        return crate::disk::read_regular(path);
    }
    if m.len() > MAX_OBJECT_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{} bytes, larger than any folder's object ({MAX_OBJECT_BYTES} at most)",
                m.len()
            ),
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_OBJECT_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_OBJECT_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "grew past the largest object while being read",
        ));
    }
    Ok(bytes)
}

/// The most entries one walk over objects reads (an object of `n` entries counts `n`, each time
/// it is reached): a dataset of millions of files, and a bound (under 1 GB of names) on a graph
/// whose objects share children, where 41 objects can claim 2^40 files. `verify` checks a
/// larger folder by folding its files on disk instead.
pub const MAX_WALK_ENTRIES: usize = 8_000_000;

/// Reads objects for one walk (a difference, a listing): each distinct object is read and
/// checked once, and the work is bounded by the entries of the objects visited
/// ([`MAX_WALK_ENTRIES`]), not by the paths they would expand to.
pub struct Walk<'a> {
    store: &'a Store,
    seen: std::collections::HashMap<String, Object>,
    entries: usize,
}

impl<'a> Walk<'a> {
    /// A walk over a store's objects.
    pub fn new(store: &'a Store) -> Walk<'a> {
        Walk {
            store,
            seen: Default::default(),
            entries: 0,
        }
    }

    /// An object, read once per walk; past the bound, an error that says why.
    pub fn load(&mut self, tree: &Sha256) -> Result<Object, Missing> {
        let object = match self.seen.get(&tree.0) {
            Some(o) => o.clone(),
            None => {
                let o = self.store.load(tree)?;
                self.seen.insert(tree.0.clone(), o.clone());
                o
            }
        };
        self.entries = self.entries.saturating_add(object.items.len().max(1));
        if self.entries > MAX_WALK_ENTRIES {
            return Err(Missing::Bad(
                self.store.dir.join(file_name(tree)),
                Damage::TooManyEntries(MAX_WALK_ENTRIES),
            ));
        }
        Ok(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::tree::{Item, Object};

    fn object(size: u64) -> (Sha256, Vec<u8>) {
        let o = Object::new(vec![(
            "b.bin".into(),
            Item::File {
                digest: [7; 32],
                size,
            },
        )]);
        let (t, bytes) = o.seal();
        (t.tree, bytes)
    }

    #[test]
    fn an_object_is_kept_once_and_read_back_only_when_it_gives_its_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::of(dir.path());
        let (t, bytes) = object(3);
        assert!(store.put(&t, &bytes));
        assert!(!store.put(&t, &bytes), "kept once");
        assert_eq!(store.bytes(&t).ok(), Some(bytes.clone()));
        assert!(dir.path().join(".prov/.gitignore").is_file());
        // named as another folder's object: refused, with the path, and removed
        let (other, _) = object(4);
        let wrong = folder(dir.path()).join(file_name(&other));
        std::fs::write(&wrong, &bytes).expect("write");
        match store.load(&other) {
            Err(Missing::Bad(p, Damage::WrongDigest)) => assert_eq!(p, wrong),
            r => panic!("{r:?}"),
        }
        assert!(!wrong.exists());
        // objects taken from elsewhere are checked the same way
        let elsewhere = tempfile::tempdir().expect("tempdir");
        let theirs_store = Store::at(elsewhere.path());
        let (theirs, theirs_bytes) = object(5);
        let _ = theirs_store.put(&theirs, &theirs_bytes);
        std::fs::write(elsewhere.path().join(file_name(&other)), b"junk").expect("write");
        assert_eq!(store.take_from(elsewhere.path()), 1);
        assert_eq!(store.bytes(&theirs).ok(), Some(theirs_bytes));
        assert!(matches!(store.load(&object(6).0), Err(Missing::Absent(_))));
    }

    #[test]
    fn unreferenced_objects_are_those_no_root_reaches() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::of(dir.path());
        let (leaf, leaf_bytes) = object(3);
        let parent = Object::new(vec![(
            "sub".into(),
            Item::Tree {
                digest: crate::manifest::tree::raw(&leaf).expect("raw"),
                files: 1,
                bytes: 3,
            },
        )]);
        let (top, top_bytes) = parent.seal();
        let (other, other_bytes) = object(9);
        for (t, b) in [
            (&leaf, &leaf_bytes),
            (&top.tree, &top_bytes),
            (&other, &other_bytes),
        ] {
            let _ = store.put(t, b);
        }
        std::fs::write(folder(dir.path()).join("README"), "not an object").expect("write");
        let gone = store.unreferenced(std::slice::from_ref(&top.tree));
        assert_eq!(
            gone.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
            [folder(dir.path()).join(file_name(&other))]
        );
        assert_eq!(gone[0].1, other_bytes.len() as u64);
        assert_eq!(store.unreferenced(&[]).len(), 3);
    }

    #[test]
    fn a_store_that_cannot_be_written_keeps_objects_in_memory() {
        let dir = tempfile::tempdir().expect("tempdir");
        // a file where its folder would be: no one can write there, not even root
        let blocked = dir.path().join("blocked");
        std::fs::write(&blocked, "a file").expect("write");
        let store = Store::at(&blocked.join("trees"));
        let (t, bytes) = object(3);
        let _ = store.put(&t, &bytes);
        assert_eq!(store.bytes(&t).ok(), Some(bytes));
        store.remove(&t);
        assert!(store.bytes(&t).is_err());
    }
}
