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
        true,
        false,
    )
    .unwrap();
    let rels: Vec<&str> = got.iter().map(|m| m.rel.as_str()).collect();
    assert_eq!(rels, ["cfg/config_220_body.yaml", "cfg/config_400_a.yaml"]);
    let deep = expand(
        root,
        &[spec("cfg/**/*.yaml")],
        "code",
        &|_| false,
        true,
        false,
    )
    .unwrap();
    assert_eq!(deep.len(), 4);
    // a folder, or `folder/**`, stands for every file under it
    for pattern in ["cfg/**", "cfg", "cfg/sub"] {
        let got = expand(root, &[spec(pattern)], "code", &|_| false, true, false).unwrap();
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
        false,
        false,
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
        true,
        false,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "no file matches `static_data` glob `cfg/*.yaml` (harness.toml line 7)"
    );
    // an empty folder is not a match
    let err = expand(dir.path(), &[spec("cfg")], "code", &|_| false, true, false)
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
        true,
        false,
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
        true,
        false,
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

/// A project in a folder whose name is not UTF-8 is told so, not "no file matches".
#[cfg(unix)]
#[test]
fn a_root_that_is_not_utf8_is_named() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(std::ffi::OsStr::from_bytes(b"proj\xff"));
    std::fs::create_dir_all(root.join("cfg")).unwrap();
    std::fs::write(root.join("cfg/a.yaml"), "a").unwrap();
    let err = expand(&root, &[spec("cfg")], "code", &|_| false, true, false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("is not UTF-8"), "{err}");
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
        let err = expand(root, &[spec(pattern)], "inputs", &|_| false, true, false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("outside the project's folder"),
            "{pattern}: {err}"
        );
        let ok = expand(root, &[spec(pattern)], "inputs", &|_| false, true, true).unwrap();
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
            true,
            false
        )
        .is_ok()
    );
}

mod prefix_walk {

    use super::*;

    /// What the glob crate answers for a pattern: each path it yields, walked.
    fn by_glob(root: &Path, pattern: &str) -> Vec<PathBuf> {
        let opts = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: false,
        };
        let full = format!(
            "{}/{pattern}",
            glob::Pattern::escape(root.to_str().unwrap())
        );
        let mut out = Vec::new();
        for p in glob::glob_with(&full, opts).unwrap() {
            let mut found = Vec::new();
            walk_with(&p.unwrap(), &mut found, false, None).unwrap();
            out.extend(found.into_iter().map(|(f, _)| f));
        }
        out.sort();
        out.dedup();
        out
    }

    fn by_prefix_walk(root: &Path, pattern: &str) -> Option<Vec<PathBuf>> {
        let mut out: Vec<PathBuf> = prefix_walk(root, pattern, true, None)?
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        out.sort();
        Some(out)
    }

    #[test]
    fn the_parallel_walk_answers_what_the_glob_crate_does() {
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
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, f).unwrap();
        }
        for pattern in [
            "small/**/*.bin",
            "small/**/*.txt",
            "small/**/c.*",
            "small/d1/**/*.bin",
            "small/**/[cd]*.bin",
            "small/**/*.none",
        ] {
            let fast = by_prefix_walk(root, pattern).expect("a plain tree takes the parallel walk");
            assert_eq!(fast, by_glob(root, pattern), "{pattern}");
        }
        // not of the shape: the glob crate answers
        for pattern in [
            "small/*.bin",
            "sm*/**/*.bin",
            "small/**/d1/*.bin",
            "**/*.bin",
        ] {
            assert!(by_prefix_walk(root, pattern).is_none(), "{pattern}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_special_files_and_git_folders_take_the_general_path() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("small/d")).unwrap();
        std::fs::write(root.join("small/d/a.bin"), "a").unwrap();
        assert!(by_prefix_walk(root, "small/**/*.bin").is_some());
        std::os::unix::fs::symlink(root.join("small/d"), root.join("small/link")).unwrap();
        assert!(
            by_prefix_walk(root, "small/**/*.bin").is_none(),
            "a symbolic link"
        );
        std::fs::remove_file(root.join("small/link")).unwrap();
        std::fs::create_dir_all(root.join("small/.git")).unwrap();
        assert!(
            by_prefix_walk(root, "small/**/*.bin").is_none(),
            "a .git folder"
        );
        std::fs::remove_dir(root.join("small/.git")).unwrap();
        let fifo = root.join("small/queue.txt");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            assert!(by_prefix_walk(root, "small/**/*.bin").is_none(), "a FIFO");
            // and the general path leaves a FIFO the glob does not name alone, as before
            let got = expand(
                root,
                &[GlobSpec {
                    max_entries: None,
                    pattern: "small/**/*.bin".into(),
                    line: 1,
                }],
                "static_data",
                &|_| false,
                true,
                false,
            )
            .unwrap();
            assert_eq!(got.len(), 1);
        }
    }
}
