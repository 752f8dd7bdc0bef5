//! The listings of folders a baseline records by their digest: `.prov/listings/<hex>.txt`,
//! named by the folder's digest, so that one listing serves every run, profile and machine
//! that saw the same files, and a listing is written once. They stay out of git (a million
//! files list in 100 MB); a failing check leaves the listings its candidate needs beside it
//! (`.prov/candidates/listings/`), so that CI's candidates artifact carries them.
//!
//! A listing is checked against the digest it is named by when it is read: one changed, cut
//! short or put under the wrong name is no listing.

use crate::manifest::tree::{Listing, Tree};
use std::path::{Path, PathBuf};

/// The folder of a project's listings.
pub fn folder(root: &Path) -> PathBuf {
    crate::disk::local(root, crate::disk::Local::Root).join("listings")
}

/// The folder under a candidates folder that holds its candidates' listings.
pub fn beside_candidates(candidates: &Path) -> PathBuf {
    candidates.join("listings")
}

/// The file name of a folder's listing.
pub fn file_name(tree: &Tree) -> String {
    let hex = tree.tree.0.strip_prefix("sha256:").unwrap_or(&tree.tree.0);
    format!("{hex}.txt")
}

/// Keeps a listing in `dir` unless one by its name is there already.
pub fn keep_in(dir: &Path, listing: &Listing) -> std::io::Result<()> {
    let path = dir.join(file_name(&listing.tree));
    if path.is_file() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    crate::disk::write_atomic(&path, crate::disk::Mode::Shared, |f| {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        listing.write_to(&mut w)?;
        std::io::Write::flush(&mut w)
    })
    .map_err(|(_, e)| e)
}

/// Keeps a project's listings (a convenience: a read-only checkout keeps none, and the check
/// says where the listing would be).
pub fn keep(root: &Path, listings: &[Listing]) {
    if listings.is_empty() || crate::disk::ensure_prov_ignored(root).is_err() {
        return;
    }
    let dir = folder(root);
    for l in listings {
        let _ = keep_in(&dir, l);
    }
}

/// Why a listing could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// No file by its name.
    Absent(PathBuf),
    /// A file that is not the listing it is named as.
    Bad(PathBuf, String),
}

/// Reads the listing of a folder from `dir`, checked against its digest. A file that is not
/// the listing it is named as is removed (it would stop the right one from being kept).
pub fn load_from(dir: &Path, tree: &Tree) -> Result<Listing, Missing> {
    let path = dir.join(file_name(tree));
    let bytes = match crate::disk::read_regular(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Missing::Absent(path)),
        Err(e) => return Err(Missing::Bad(path, e.to_string())),
    };
    Listing::parse(&bytes, &tree.tree).map_err(|e| {
        let _ = std::fs::remove_file(&path);
        Missing::Bad(path, e)
    })
}

/// Copies the listings of `trees` from the project's folder to beside its candidates.
pub fn copy_beside_candidates(root: &Path, trees: &[Tree]) -> std::io::Result<()> {
    let from = folder(root);
    let to = beside_candidates(&crate::disk::local(root, crate::disk::Local::Candidates));
    for t in trees {
        if let Ok(l) = load_from(&from, t) {
            keep_in(&to, &l)?;
        }
    }
    Ok(())
}

/// Takes every listing found in `dir` (checked against the digest it is named by) into the
/// project's folder; how many.
pub fn take_from(root: &Path, dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let to = folder(root);
    let mut taken = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(hex) = name.to_str().and_then(|n| n.strip_suffix(".txt")) else {
            continue;
        };
        let want = crate::manifest::Sha256(format!("sha256:{hex}"));
        let Ok(bytes) = crate::disk::read_regular(&e.path()) else {
            continue;
        };
        if let Ok(l) = Listing::parse(&bytes, &want)
            && crate::disk::ensure_prov_ignored(root).is_ok()
            && keep_in(&to, &l).is_ok()
        {
            taken += 1;
        }
    }
    taken
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::tree::Leaf;

    fn listing(content: &str) -> Listing {
        Listing::of(vec![Leaf {
            rel: "a/b.bin".into(),
            digest: [7; 32],
            size: content.len() as u64,
        }])
    }

    #[test]
    fn a_listing_is_kept_once_and_read_back_only_when_it_is_its_digests() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let l = listing("xyz");
        keep(root, std::slice::from_ref(&l));
        assert_eq!(load_from(&folder(root), &l.tree), Ok(l.clone()));
        // named as another folder's listing: refused, with the path
        let other = listing("four");
        let wrong = folder(root).join(file_name(&other.tree));
        std::fs::copy(folder(root).join(file_name(&l.tree)), &wrong).expect("copy");
        match load_from(&folder(root), &other.tree) {
            Err(Missing::Bad(p, why)) => {
                assert_eq!(p, wrong);
                assert!(why.contains("changed or cut short"), "{why}");
            }
            r => panic!("{r:?}"),
        }
        // a listing taken from elsewhere is checked the same way
        let elsewhere = tempfile::tempdir().expect("tempdir");
        let theirs = listing("fives");
        keep_in(elsewhere.path(), &theirs).expect("keep");
        std::fs::write(elsewhere.path().join(file_name(&l.tree)), b"junk\n").expect("write");
        assert_eq!(take_from(root, elsewhere.path()), 1);
        assert_eq!(load_from(&folder(root), &theirs.tree), Ok(theirs));
        assert!(matches!(
            load_from(&folder(root), &listing("none").tree),
            Err(Missing::Absent(_))
        ));
    }
}
