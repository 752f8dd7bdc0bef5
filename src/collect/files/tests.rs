//! Globs and folder walks: what they match, what they refuse, and that the parallel walk of
//! `prefix/**/name` answers what the glob crate does.

use super::*;

fn spec(p: &str) -> GlobSpec {
    GlobSpec {
        max_entries: None,
        pattern: p.into(),
        line: 7,
    }
}

#[test]
fn star_does_not_cross_slashes_and_prefixes_select() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for f in [
        "cfg/config_220_body.yaml",
        "cfg/config_070_bootstrap.yaml",
        "cfg/config_400_a.yaml",
        "cfg/sub/config_220_deep.yaml",
    ] {
        std::fs::create_dir_all(root.join(f).parent().unwrap()).unwrap();
        std::fs::write(root.join(f), f).unwrap();
    }
    let got = expand(
        root,
        &[spec("cfg/config_220_*.yaml"), spec("cfg/config_[34]*.yaml")],
        "static_data",
        &|_| false,
        (true, false), 4,
    )
    .unwrap();
    let rels: Vec<&str> = got.iter().map(|m| m.rel.as_str()).collect();
    assert_eq!(rels, ["cfg/config_220_body.yaml", "cfg/config_400_a.yaml"]);
    let deep = expand(
        root,
        &[spec("cfg/**/*.yaml")],
        "code",
        &|_| false,
        (true, false), 4,
    )
    .unwrap();
    assert_eq!(deep.len(), 4);
    // a folder, or `folder/**`, stands for every file under it
    for pattern in ["cfg/**", "cfg", "cfg/sub"] {
        let got = expand(root, &[spec(pattern)], "code", &|_| false, (true, false), 4,).unwrap();
        assert_eq!(
            got.len(),
            if pattern == "cfg/sub" { 1 } else { 4 },
            "{pattern}"
        );
    }
    let skipped = expand(
        root,
        &[spec("cfg/**")],
        "code",
        &|p| p.ends_with("config_400_a.yaml"),
        (false, false),
        4,
    )
    .unwrap();
    assert_eq!(skipped.len(), 3);
}

#[test]
fn an_empty_match_is_an_error_naming_the_glob_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("cfg")).unwrap();
    let err = expand(
        dir.path(),
        &[spec("cfg/*.yaml")],
        "static_data",
        &|_| false,
        (true, false), 4,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "no file matches `static_data` glob `cfg/*.yaml` (harness.toml line 7)"
    );
    // an empty folder is not a match
    let err = expand(dir.path(), &[spec("cfg")], "code", &|_| false, (true, false), 4,)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no file matches"));
}

#[cfg(unix)]
#[test]
fn a_broken_link_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(dir.path().join("nowhere"), dir.path().join("a.yaml")).unwrap();
    let err = expand(
        dir.path(),
        &[spec("*.yaml")],
        "static_data",
        &|_| false,
        (true, false), 4,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("cannot read a.yaml: broken symbolic link"),
        "{err}"
    );
}

#[test]
fn streaming_hash_matches_one_shot_hash() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big");
    let data: Vec<u8> = (0..1_000_003u32).map(|i| (i * 7) as u8).collect();
    std::fs::write(&p, &data).unwrap();
    assert_eq!(
        sha256_file(&p).unwrap(),
        crate::canonical::sha256_tagged(&data)
    );
}

/// Names that are not UTF-8 get keys of their own that give back their bytes; a name
/// holding a backslash cannot collide with an escaped one.
#[cfg(unix)]
#[test]
fn names_that_are_not_utf8_keep_their_bytes() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("data")).unwrap();
    let names: [&[u8]; 4] = [b"x\xff.txt", b"x\xfe.txt", b"x\\xFF.txt", b"plain.txt"];
    for n in names {
        let p = root.join("data").join(std::ffi::OsStr::from_bytes(n));
        std::fs::write(p, n).unwrap();
    }
    let got = expand(
        root,
        &[spec("data")],
        "static_data",
        &|_| false,
        (true, false), 4,
    )
    .unwrap();
    let keys: std::collections::BTreeSet<&str> = got.iter().map(|m| m.rel.as_str()).collect();
    assert_eq!(keys.len(), 4, "{keys:?}");
    assert!(keys.contains("data/x\\xFF.txt"), "{keys:?}");
    assert!(keys.contains("data/x\\\\xFF.txt"), "{keys:?}");
    assert!(keys.contains("data/plain.txt"));
    for m in &got {
        let back = unescape_name(&m.rel).unwrap();
        assert_eq!(
            back,
            m.abs.strip_prefix(root).unwrap().as_os_str().as_bytes()
        );
    }
    for odd in ["a\\", "a\\q", "a\\xZ1", "a\\x4"] {
        assert_eq!(unescape_name(odd), None, "{odd}");
    }
}

/// A project in a folder whose name is not UTF-8 has its files named relative to it.
#[cfg(unix)]
#[test]
fn a_root_that_is_not_utf8_works() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(std::ffi::OsStr::from_bytes(b"proj\xff"));
    std::fs::create_dir_all(root.join("cfg")).unwrap();
    std::fs::write(root.join("cfg/a.yaml"), "a").unwrap();
    let got = expand(&root, &[spec("cfg")], "code", &|_| false, (true, false), 4,).unwrap();
    let rels: Vec<&str> = got.iter().map(|m| m.rel.as_str()).collect();
    assert_eq!(rels, ["cfg/a.yaml"]);
}

/// A symbolic link out of the project, matched or met inside a folder, is an error unless
/// the run allows it.
#[cfg(unix)]
#[test]
fn links_out_of_the_project_need_allow_outside() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "s").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("data")).unwrap();
    std::fs::write(root.join("data/a.txt"), "a").unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("data/ext")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), root.join("top.txt")).unwrap();
    for pattern in ["data", "top.txt", "data/ext/*.txt"] {
        let err = expand(root, &[spec(pattern)], "inputs", &|_| false, (true, false), 4,)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("outside the project's folder"),
            "{pattern}: {err}"
        );
        let ok = expand(root, &[spec(pattern)], "inputs", &|_| false, (true, true), 4,).unwrap();
        assert!(!ok.is_empty());
    }
    // a link that stays inside is fine
    std::os::unix::fs::symlink(root.join("data/a.txt"), root.join("inner.txt")).unwrap();
    assert!(
        expand(
            root,
            &[spec("inner.txt")],
            "inputs",
            &|_| false,
            (true, false), 4,
        )
        .is_ok()
    );
}

mod one_walk {

    use super::*;

    /// Every file at or under `p`, links followed, by plain recursion: the oracle's walk.
    fn all_under(p: &Path, out: &mut Vec<PathBuf>) {
        let meta = std::fs::metadata(p).unwrap();
        if meta.is_file() {
            out.push(p.to_owned());
        } else if meta.is_dir() && p.file_name().is_none_or(|n| n != ".git") {
            for e in std::fs::read_dir(p).unwrap() {
                all_under(&e.unwrap().path(), out);
            }
        }
    }

    /// What the glob crate answers for a pattern: each path it yields, walked.
    fn by_glob(root: &Path, pattern: &str) -> Vec<PathBuf> {
        let full = format!(
            "{}/{pattern}",
            glob::Pattern::escape(root.to_str().unwrap())
        );
        let full = full.strip_suffix("/**").unwrap_or(&full);
        let mut out = Vec::new();
        for p in glob::glob_with(full, MATCH).unwrap() {
            let p = p.unwrap();
            if p.components().any(|c| c.as_os_str() == ".git") {
                continue;
            }
            all_under(&p, &mut out);
        }
        out.sort();
        out.dedup();
        out
    }

    fn by_walk(root: &Path, pattern: &str) -> Vec<PathBuf> {
        let canonical = root.canonicalize().unwrap();
        let walk = Walk {
            root,
            leave_out_prov: true,
            boundary: Some(&canonical),
            skip: &|_| false,
            stamps: true,
            threads: 4,
        };
        let mut out: Vec<PathBuf> = walk
            .files(&Glob::new(pattern).unwrap())
            .unwrap()
            .into_iter()
            .map(|(f, stamp)| {
                // the stamp is the file's (its link's target's)
                assert_eq!(
                    stamp.unwrap(),
                    crate::cache::Stamp::of(&std::fs::metadata(&f).unwrap()),
                    "{}",
                    f.display()
                );
                f
            })
            .collect();
        out.sort();
        out
    }

    /// Every glob shape (literal folders, `**` anywhere, wildcards and character classes in
    /// folder parts, a folder the name part matches, links to files and folders inside the
    /// tree) names what the glob crate names.
    #[cfg(unix)]
    #[test]
    fn the_walk_answers_what_the_glob_crate_does() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "small/a.bin",
            "small/b.txt",
            "small/.hidden.bin",
            "small/d1/c.bin",
            "small/d1/c.bin.txt",
            "small/d1/d2/d3/deep.bin",
            "small/.cfg/x.bin",
            "small/pack.bin/inner.txt",
            "small/pack.bin/more/inner2.dat",
            "other/z.bin",
            "small.bin",
            "data/s1/images/a.png",
            "data/s1/images/b.jpg",
            "data/s1/labels/a.txt",
            "data/s2/images/c.png",
            "data/s2/images/sub/d.png",
            "data/t3/images/e.png",
            "data/s1/.git/HEAD",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, f).unwrap();
        }
        std::os::unix::fs::symlink(root.join("small/d1"), root.join("data/s1/images/linked"))
            .unwrap();
        std::os::unix::fs::symlink(root.join("small/a.bin"), root.join("data/s2/images/f.png"))
            .unwrap();
        for pattern in [
            "small/**/*.bin",
            "small/**/*.txt",
            "small/**/c.*",
            "small/d1/**/*.bin",
            "small/**/[cd]*.bin",
            "small/*.bin",
            "sm*/**/*.bin",
            "small/**/d1/*.bin",
            "**/*.bin",
            "**/*.png",
            "*.bin",
            "small",
            "small/**",
            "small/d1",
            "data/*/images/*.png",
            "data/s[12]/images/*",
            "data/?1/*/*.txt",
            "data/*/images/**/*.png",
            "data/*/images",
            "data/**/images/*.bin",
            "**/images/**",
            "data/s1/images/linked/**/*.bin",
            "data/s*/images/a*",
            "small/**/c*.bin*",
            "small/*.b*",
            "data/*/*/*g",
            "*/*/images/*.png",
            "small/**/*.none",
            "nothing/**",
        ] {
            assert_eq!(by_walk(root, pattern), by_glob(root, pattern), "{pattern}");
        }
    }

    /// Links inside a dataset, special files the glob does not name, and `.git` folders are
    /// walked as the glob crate would walk them; a link to a folder above it is an error.
    #[cfg(unix)]
    #[test]
    fn links_special_files_and_loops() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("small/d")).unwrap();
        std::fs::write(root.join("small/d/a.bin"), "a").unwrap();
        std::os::unix::fs::symlink(root.join("small/d"), root.join("small/link")).unwrap();
        assert_eq!(by_walk(root, "small/**/*.bin").len(), 2);
        let fifo = root.join("small/queue.txt");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            // a FIFO the glob does not name is left alone; one it names is an error
            assert_eq!(by_walk(root, "small/**/*.bin").len(), 2);
            let err = expand(root, &[spec("small")], "static_data", &|_| false, (true, false), 4,)
                .unwrap_err()
                .to_string();
            assert!(err.contains("queue.txt: a FIFO, not a regular file"), "{err}");
            std::fs::remove_file(&fifo).unwrap();
        }
        std::os::unix::fs::symlink(root.join("small"), root.join("small/d/up")).unwrap();
        let err = expand(root, &[spec("small/**/*.bin")], "static_data", &|_| false, (true, false), 4,)
            .unwrap_err()
            .to_string();
        assert!(err.contains("a folder above it"), "{err}");
    }

    /// A folder `skip` names is never entered: its files are never stat-ed or passed to `skip`.
    #[test]
    fn skipped_folders_are_not_entered() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in ["src/a.rs", "target/debug/b.rs", "target/c.rs"] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, f).unwrap();
        }
        let asked = std::sync::Mutex::new(Vec::new());
        let target = root.join("target");
        let skip = |p: &Path| {
            asked.lock().unwrap().push(p.to_owned());
            p == target
        };
        let got = expand(root, &[spec("**/*.rs")], "code", &skip, (true, false), 4).unwrap();
        let rels: Vec<&str> = got.iter().map(|m| m.rel.as_str()).collect();
        assert_eq!(rels, ["src/a.rs"]);
        let asked = asked.into_inner().unwrap();
        assert!(asked.contains(&target));
        assert!(!asked.iter().any(|p| p.starts_with(&target) && *p != target), "{asked:?}");
    }
}
