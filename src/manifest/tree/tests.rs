use super::*;
use std::collections::HashMap;

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

/// The summaries and objects of files (sorted here), as a walk of the whole set makes them.
fn build(files: &[Leaf]) -> (Vec<FolderSum>, HashMap<String, Vec<u8>>) {
    let mut objects = HashMap::new();
    let sums = objects_of(&sorted(files.to_vec()), "", &mut |s, b| {
        objects.insert(s.tree.tree.0.clone(), b.to_vec());
    });
    (sums, objects)
}

fn digest_of(files: &[Leaf]) -> Tree {
    let (sums, _) = build(files);
    sums.last().expect("the top folder").tree.clone()
}

fn loader(
    objects: &HashMap<String, Vec<u8>>,
) -> impl FnMut(&Sha256) -> Result<Object, String> + '_ {
    move |t: &Sha256| {
        let b = objects.get(&t.0).ok_or_else(|| format!("no {}", t.0))?;
        Object::parse(b).map_err(|e| e.to_string())
    }
}

#[test]
fn a_folder_digest_is_sha256_over_its_object_in_git_order() {
    // computed by hand from the documented form: `d.txt` before `d/` (as `d/` compares)
    let a = leaf("d/x", "1");
    let b = leaf("d.txt", "22");
    let hex = |d: &[u8]| crate::canonical::hex(d);
    let inner = format!("file {} 1 x\0", hex(&a.digest));
    let inner_digest = sha2::Sha256::digest(&inner);
    let outer = format!(
        "file {} 2 d.txt\0tree {} 1 1 d\0",
        hex(&b.digest),
        hex(&inner_digest)
    );
    let (sums, objects) = build(&[a, b]);
    let top = sums.last().expect("top");
    assert_eq!(
        top.tree.tree.0,
        format!("sha256:{}", hex(&sha2::Sha256::digest(&outer)))
    );
    assert_eq!((top.tree.files, top.tree.bytes, top.direct), (2, 3, 1));
    assert_eq!(objects[&top.tree.tree.0], outer.as_bytes());
    // the object reads back as what it lists
    let o = Object::parse(outer.as_bytes()).expect("parse");
    assert_eq!(o.items.len(), 2);
    assert_eq!(o.seal().1, outer.as_bytes());
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
    seen.insert(t);
    for other in [changed, renamed, into_folder, moved_up] {
        assert!(seen.insert(digest_of(&other).tree), "{other:?}");
    }
}

#[test]
fn objects_refuse_what_is_not_an_object() {
    for (bad, why) in [
        (&b"file 00 1 a\0"[..], "entry 1"),
        (
            b"file 0000000000000000000000000000000000000000000000000000000000000000 1 a",
            "not ended",
        ),
        (
            b"blob 0000000000000000000000000000000000000000000000000000000000000000 1 a\0",
            "entry 1",
        ),
        (
            b"file 0000000000000000000000000000000000000000000000000000000000000000 x a\0",
            "entry 1",
        ),
        (
            b"file 0000000000000000000000000000000000000000000000000000000000000000 1 a/b\0",
            "entry 1",
        ),
    ] {
        let e = Object::parse(bad).expect_err("bad").to_string();
        assert!(e.contains(why), "{e}");
    }
    assert_eq!(Object::parse(b"").expect("empty").items.len(), 0);
}

fn fold_all(files: &[Leaf], max: usize) -> BTreeMap<String, Entry> {
    let (sums, objects) = build(files);
    let mut load = loader(&objects);
    fold(&sums, max, &mut |f: &FolderSum| load(&f.tree.tree)).expect("fold")
}

#[test]
fn small_sets_keep_one_entry_per_file() {
    let files = vec![leaf("cfg/a.yaml", "a"), leaf("data/b/c.bin", "b")];
    let entries = fold_all(&files, 2);
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
    let (sums, _) = build(&files);
    assert_eq!(level_for(&sums, 25), None);
    // 1 + 6 subfolders fit in 7..24; 1 + 2 top folders below that
    assert_eq!(level_for(&sums, 24), Some(2));
    assert_eq!(level_for(&sums, 7), Some(2));
    assert_eq!(level_for(&sums, 6), Some(1));
    // nothing fits in 2: the top level is the closest
    assert_eq!(level_for(&sums, 2), Some(1));
    let entries = fold_all(&files, 7);
    let keys: Vec<&String> = entries.keys().collect();
    assert_eq!(keys.len(), 7);
    assert_eq!(keys[0], "README");
    assert_eq!(keys[1], "d0/s0/");
    let t = entries["d1/s2/"].tree().expect("a folder");
    assert_eq!((t.files, t.bytes), (4, 12));
    // a folder's digest is that of its files, relative to it, at whatever level it is recorded
    let top = fold_all(&files, 3);
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
}

#[test]
fn a_flat_folder_of_many_files_is_one_entry() {
    let files: Vec<Leaf> = (0..50)
        .map(|i| leaf(&format!("data/{i:03}.bin"), "x"))
        .collect();
    let entries = fold_all(&files, 10);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries["data/"].tree().expect("folder").files, 50);
    // files at the top alone cannot fold: they stay files
    let top: Vec<Leaf> = (0..50).map(|i| leaf(&format!("{i:03}.bin"), "x")).collect();
    assert_eq!(fold_all(&top, 10).len(), 50);
}

#[test]
fn leaves_and_changes_read_through_the_objects() {
    let before = vec![
        leaf("a", "1"),
        leaf("b", "2"),
        leaf("c", "3"),
        leaf("d", "4"),
        leaf("deep/x/y", "5"),
        leaf("gone/1", "6"),
        leaf("gone/2", "7"),
        leaf("f", "8"),
    ];
    let after = vec![
        leaf("a", "1"),
        leaf("b", "22"),
        leaf("e", "4"),
        leaf("deep/x/y", "55"),
        leaf("new", "9"),
        leaf("f/g", "8"),
    ];
    let (bs, mut objects) = build(&before);
    let (as_, more) = build(&after);
    objects.extend(more);
    let (b, a) = (
        &bs.last().unwrap().tree.tree,
        &as_.last().unwrap().tree.tree,
    );
    let all = leaves(b, &mut loader(&objects)).expect("leaves");
    assert_eq!(all, sorted(before.clone()));
    let c = Changes::between(b, a, &mut loader(&objects)).expect("changes");
    assert_eq!(
        c.changed,
        vec![("b".to_owned(), 1, 2), ("deep/x/y".to_owned(), 1, 2)]
    );
    assert_eq!(
        c.renamed,
        vec![
            ("d".to_owned(), "e".to_owned()),
            ("f".to_owned(), "f/g".to_owned())
        ]
    );
    assert_eq!(c.added, vec!["new".to_owned()]);
    assert_eq!(
        c.removed,
        vec!["c".to_owned(), "gone/1".to_owned(), "gone/2".to_owned()]
    );
    assert!(
        Changes::between(b, b, &mut |_| Err("not read"))
            .expect("same")
            .is_empty()
    );
    // an object that is not there is the error of its loader
    let e = Changes::between(b, a, &mut |_: &Sha256| Err::<Object, _>("missing")).unwrap_err();
    assert_eq!(e, "missing");
}

#[test]
fn a_folder_too_large_to_name_file_by_file_is_named_whole() {
    let small = Object::new(vec![(
        "a".into(),
        Item::File {
            digest: [1; 32],
            size: 1,
        },
    )]);
    let (small_tree, small_bytes) = small.seal();
    // "big" claims more files than are ever named: its object is never read
    let with_big = Object::new(vec![
        (
            "a".into(),
            Item::File {
                digest: [1; 32],
                size: 1,
            },
        ),
        (
            "big".into(),
            Item::Tree {
                digest: [9; 32],
                files: MAX_NAMED as u64 + 1,
                bytes: 7,
            },
        ),
    ]);
    let (big_tree, big_bytes) = with_big.seal();
    let objects: HashMap<String, Vec<u8>> = [
        (small_tree.tree.0.clone(), small_bytes),
        (big_tree.tree.0.clone(), big_bytes),
    ]
    .into_iter()
    .collect();
    let c = Changes::between(&small_tree.tree, &big_tree.tree, &mut loader(&objects))
        .expect("the big folder's object is not read");
    assert_eq!(
        c.folders_added,
        vec![("big/".to_owned(), MAX_NAMED as u64 + 1)]
    );
    assert!(c.added.is_empty());
    assert_eq!(c.len(), MAX_NAMED + 1);
    let back = Changes::between(&big_tree.tree, &small_tree.tree, &mut loader(&objects))
        .expect("either way");
    assert_eq!(back.folders_removed.len(), 1);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn item() -> impl Strategy<Value = Item> {
        prop_oneof![
            (any::<[u8; 32]>(), any::<u64>())
                .prop_map(|(digest, size)| Item::File { digest, size }),
            (any::<[u8; 32]>(), any::<u64>(), any::<u64>()).prop_map(|(digest, files, bytes)| {
                Item::Tree {
                    digest,
                    files,
                    bytes,
                }
            }),
        ]
    }

    proptest! {
        /// Any bytes are an object or an error, never a panic.
        #[test]
        fn any_bytes_parse_or_fail(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Object::parse(&bytes);
        }

        /// An object's bytes read back as the object, whatever its names hold but `/` and NUL.
        #[test]
        fn objects_round_trip(
            entries in proptest::collection::btree_map("[^/\u{0}]{1,12}", item(), 0..20)
        ) {
            let o = Object::new(entries.into_iter().collect());
            let (tree, bytes) = o.seal();
            prop_assert_eq!(Object::parse(&bytes).expect("its own bytes"), o);
            prop_assert_eq!(&tree.tree.0[..7], "sha256:");
        }
    }
}

/// A chain of objects, one folder in each, `n` deep, with one file of `content` at the bottom.
fn chain(n: usize, content: u8, objects: &mut HashMap<String, Vec<u8>>) -> Sha256 {
    let (mut top, bytes) = Object::new(vec![(
        "f".into(),
        Item::File {
            digest: [content; 32],
            size: 1,
        },
    )])
    .seal();
    objects.insert(top.tree.0.clone(), bytes);
    for _ in 0..n {
        let (t, bytes) = Object::new(vec![(
            "d".into(),
            Item::Tree {
                digest: raw(&top.tree).expect("raw"),
                files: 1,
                bytes: 1,
            },
        )])
        .seal();
        objects.insert(t.tree.0.clone(), bytes);
        top = t;
    }
    top.tree
}

#[test]
fn a_forged_chain_deeper_than_any_folder_is_not_followed() {
    // on a thread with a stack of its own size, as the CLI's main thread has
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(|| {
            let mut objects = HashMap::new();
            let a = chain(MAX_DEPTH + 50, 1, &mut objects);
            let b = chain(MAX_DEPTH + 50, 2, &mut objects);
            assert!(
                leaves(&a, &mut loader(&objects))
                    .expect("leaves")
                    .is_empty()
            );
            let c = Changes::between(&a, &b, &mut loader(&objects)).expect("changes");
            assert_eq!((c.len(), c.more_changed), (1, 1));
            // a chain a filesystem could hold is followed to its file
            let shallow = chain(100, 3, &mut objects);
            assert_eq!(
                leaves(&shallow, &mut loader(&objects))
                    .expect("leaves")
                    .len(),
                1
            );
        })
        .expect("spawn")
        .join()
        .expect("no overflow");
}
