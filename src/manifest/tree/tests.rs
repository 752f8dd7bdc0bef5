use super::*;
use sha2::Digest;

fn leaf(rel: &str, content: &str) -> Leaf {
    Leaf {
        rel: rel.to_owned(),
        digest: sha2::Sha256::digest(content.as_bytes()).into(),
        size: content.len() as u64,
    }
}

fn sorted(mut v: Vec<Leaf>) -> Vec<Leaf> {
    v.sort_by(|a, b| a.rel.cmp(&b.rel));
    v
}

fn digest_of(files: &[Leaf]) -> Tree {
    Listing::of(sorted(files.to_vec())).tree
}

#[test]
fn a_folder_digest_is_sha256_over_git_ordered_entries() {
    // computed by hand from the documented form: the subfolder first, then the folder
    let a = leaf("d/x", "1");
    let b = leaf("d.txt", "22");
    let hex = |d: &[u8]| crate::canonical::hex(d);
    let inner = sha2::Sha256::digest(format!("file {} 1 x\0", hex(&a.digest)));
    let outer = sha2::Sha256::digest(format!(
        "file {} 2 d.txt\0tree {} 1 1 d\0",
        hex(&b.digest),
        hex(&inner)
    ));
    let t = digest_of(&[a, b]);
    assert_eq!(t.tree.0, format!("sha256:{}", hex(&outer)));
    assert_eq!((t.files, t.bytes), (2, 3));
}

#[test]
fn digests_tell_apart_what_a_listing_would() {
    let base = vec![leaf("a/1", "x"), leaf("a/2", "y"), leaf("b", "z")];
    let t = digest_of(&base).tree;
    // a changed byte, a rename inside the tree, a file moved into a folder of its name
    let changed = vec![leaf("a/1", "x"), leaf("a/2", "Y"), leaf("b", "z")];
    let renamed = vec![leaf("a/1", "x"), leaf("a/3", "y"), leaf("b", "z")];
    let into_folder = vec![leaf("a/1", "x"), leaf("a/2", "y"), leaf("b/b", "z")];
    let moved_up = vec![leaf("a/1", "x"), leaf("2", "y"), leaf("b", "z")];
    let mut seen = std::collections::BTreeSet::new();
    seen.insert(t.clone());
    for other in [changed, renamed, into_folder, moved_up] {
        assert!(seen.insert(digest_of(&other).tree), "{other:?}");
    }
    // the same files give the same digest wherever the folder is
    let here = digest_of(&[leaf("p/q", "1"), leaf("r", "2")]);
    let there = digest_of(&[leaf("p/q", "1"), leaf("r", "2")]);
    assert_eq!(here, there);
}

#[test]
fn small_sets_keep_one_entry_per_file() {
    let files = sorted(vec![leaf("cfg/a.yaml", "a"), leaf("data/b/c.bin", "b")]);
    let (entries, listings) = fold(files, 2);
    assert!(listings.is_empty());
    assert_eq!(
        entries.keys().collect::<Vec<_>>(),
        ["cfg/a.yaml", "data/b/c.bin"]
    );
    assert!(matches!(entries["cfg/a.yaml"], Entry::File(_)));
}

/// 2 top folders × 3 subfolders × 4 files, and one file at the top.
fn dataset() -> Vec<Leaf> {
    let mut v = vec![leaf("README", "r")];
    for a in 0..2 {
        for b in 0..3 {
            for c in 0..4 {
                v.push(leaf(&format!("d{a}/s{b}/f{c}"), &format!("{a}{b}{c}")));
            }
        }
    }
    sorted(v)
}

#[test]
fn large_sets_fold_at_the_deepest_level_that_fits() {
    let files = dataset();
    assert_eq!(level_for(&files, 25), None);
    // 1 + 6 subfolders fit in 7..24; 1 + 2 top folders below that
    assert_eq!(level_for(&files, 24), Some(2));
    assert_eq!(level_for(&files, 7), Some(2));
    assert_eq!(level_for(&files, 6), Some(1));
    // nothing fits in 2: the top level is the closest
    assert_eq!(level_for(&files, 2), Some(1));
    let (entries, listings) = fold(files.clone(), 7);
    let keys: Vec<&String> = entries.keys().collect();
    assert_eq!(keys.len(), 7);
    assert_eq!(keys[0], "README");
    assert_eq!(keys[1], "d0/s0/");
    let t = entries["d1/s2/"].tree().expect("a folder");
    assert_eq!((t.files, t.bytes), (4, 12));
    assert_eq!(listings.len(), 6);
    assert_eq!(listings[5].files[0].rel, "f0");
    assert_eq!(listings[5].tree, *t);
    // a folder's digest is that of its files, relative to it, at whatever level it is recorded
    let (top, _) = fold(files.clone(), 3);
    let under_d0: Vec<Leaf> = files
        .iter()
        .filter_map(|f| {
            let rel = f.rel.strip_prefix("d0/")?;
            Some(Leaf {
                rel: rel.to_owned(),
                ..f.clone()
            })
        })
        .collect();
    assert_eq!(top["d0/"], Entry::Tree(digest_of(&under_d0)));
    assert_eq!(top["d0/"].tree().expect("folder").files, 12);
}

#[test]
fn a_flat_folder_of_many_files_is_one_entry() {
    let files = sorted(
        (0..50)
            .map(|i| leaf(&format!("data/{i:03}.bin"), "x"))
            .collect(),
    );
    let (entries, listings) = fold(files, 10);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries["data/"].tree().expect("folder").files, 50);
    assert_eq!(listings[0].files.len(), 50);
    // files at the top alone cannot fold: they stay files
    let top = sorted((0..50).map(|i| leaf(&format!("{i:03}.bin"), "x")).collect());
    assert_eq!(fold(top, 10).0.len(), 50);
}

#[test]
fn listings_round_trip_and_refuse_what_does_not_give_their_digest() {
    let files = sorted(vec![
        leaf("a b/c\nd", "1"),
        leaf("caf\\xE9", "2"),
        leaf("z\"q", "3"),
    ]);
    let l = Listing::of(files);
    let bytes = l.to_bytes();
    assert_eq!(Listing::parse(&bytes, &l.tree.tree).as_ref(), Ok(&l));
    // one line dropped
    let text = String::from_utf8(bytes.clone()).expect("text");
    let cut: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let e = Listing::parse(cut.as_bytes(), &l.tree.tree).expect_err("cut");
    assert!(e.contains("changed or cut short"), "{e}");
    // a line that is not a listing's
    let e = Listing::parse(b"zz 1 \"a\"\n", &l.tree.tree).expect_err("bad");
    assert!(e.contains("line 1"), "{e}");
    let swapped: String = text.lines().rev().map(|l| format!("{l}\n")).collect();
    let e = Listing::parse(swapped.as_bytes(), &l.tree.tree).expect_err("order");
    assert!(e.contains("not sorted"), "{e}");
}

#[test]
fn changes_name_changed_added_removed_and_renamed_files() {
    let before = Listing::of(sorted(vec![
        leaf("a", "1"),
        leaf("b", "2"),
        leaf("c", "3"),
        leaf("d", "4"),
    ]));
    let after = Listing::of(sorted(vec![
        leaf("a", "1"),
        leaf("b", "22"),
        leaf("e", "4"),
        leaf("f", "5"),
    ]));
    let c = Changes::between(&before, &after);
    assert_eq!(c.changed, vec![("b".to_owned(), 1, 2)]);
    assert_eq!(c.renamed, vec![("d".to_owned(), "e".to_owned())]);
    assert_eq!(c.added, vec!["f".to_owned()]);
    assert_eq!(c.removed, vec!["c".to_owned()]);
    assert_eq!(c.len(), 4);
    assert!(Changes::between(&before, &before).is_empty());
}
