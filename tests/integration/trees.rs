//! Datasets larger than `[harness] max_entries`: recorded as folder digests (format_version 2),
//! their drift explained from the folders' objects kept under `.prov/trees/`.

use crate::project::Project;
use serde_json::Value;

/// Up to 10 entries per glob: `cfg.yaml`, and a dataset of 3 × 4 × 5 files (12 folders deep down,
/// 3 at the top).
const CONFIG: &str = "[harness]\nmax_entries = 10\n\n[[run]]\nname = \"data\"\nhardware = false\nstatic_data = [\"cfg.yaml\", \"data\"]\n";

fn dataset(p: &Project) {
    p.file("harness.toml", CONFIG);
    p.file("cfg.yaml", "threshold: 1\n");
    for a in 0..3 {
        for b in 0..4 {
            for c in 0..5 {
                p.file(
                    &format!("data/set{a}/part{b}/f{c}.bin"),
                    &format!("{a}-{b}-{c}"),
                );
            }
        }
    }
}

fn baseline(p: &Project) -> Value {
    serde_json::from_str(&p.baseline_of("data")).unwrap()
}

/// The check's JSON report of the run: (exit code, drifts, explanation notes).
fn check(p: &Project) -> (i32, Vec<Value>, Vec<Value>) {
    let (code, out, err) = p.run(&["--format", "json", "check"]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    let run = &v["runs"][0];
    (
        code,
        run["drifts"].as_array().cloned().unwrap_or_default(),
        run["explanation"].as_array().cloned().unwrap_or_default(),
    )
}

fn paths(drifts: &[Value]) -> Vec<String> {
    drifts
        .iter()
        .map(|d| d["path"].as_str().unwrap().to_owned())
        .collect()
}

fn note_of<'a>(notes: &'a [Value], subject: &str) -> &'a str {
    notes
        .iter()
        .find(|n| n["subject"] == subject)
        .and_then(|n| n["text"].as_str())
        .unwrap_or_else(|| panic!("no note on {subject}: {notes:?}"))
}

#[test]
fn a_large_set_is_recorded_by_folder_and_its_drift_names_the_file() {
    let p = Project::new();
    dataset(&p);
    assert_eq!(p.run(&["accept"]).0, 0);
    let b = baseline(&p);
    assert_eq!(b["format_version"], 2);
    let sd = b["static_data_hashes"].as_object().unwrap();
    // 3 × 4 folders do not fit in 10: the 3 above them do
    let keys: Vec<&String> = sd.keys().collect();
    assert_eq!(keys, ["cfg.yaml", "data/set0/", "data/set1/", "data/set2/"]);
    assert!(sd["cfg.yaml"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(sd["data/set1/"]["files"], 20);
    assert_eq!(sd["data/set1/"]["bytes"], 100);
    let hex = sd["data/set1/"]["tree"].as_str().unwrap();
    let object = p.join(&format!(
        ".prov/trees/{}",
        hex.trim_start_matches("sha256:")
    ));
    assert!(object.is_file(), "the folder's object is kept outside git");
    // data/set1/ lists its 4 subfolders
    let text = std::fs::read_to_string(&object).unwrap();
    assert_eq!(text.matches("tree ").count(), 4, "{text}");
    // unchanged: a pass, and an empty folder is no file
    std::fs::create_dir_all(p.join("data/set1/empty")).unwrap();
    assert_eq!(check(&p).0, 0);
    // a change deep below the recorded level drifts as the folder, named by its listing
    p.file("data/set1/part2/f3.bin", "changed!");
    let (code, drifts, notes) = check(&p);
    assert_eq!(code, 1);
    assert_eq!(paths(&drifts), ["static_data_hashes.\"data/set1/\""]);
    let text = note_of(&notes, "data/set1/");
    assert!(text.starts_with("1 of 20 files differ"), "{text}");
    assert!(
        text.contains("changed  data/set1/part2/f3.bin (5 → 8 bytes)"),
        "{text}"
    );
    // the human report says the same
    let (_, out, _) = p.run(&["check"]);
    assert!(out.contains("changed  data/set1/part2/f3.bin"), "{out}");
    assert!(
        out.contains("(20 files, 100 bytes) → sha256:"),
        "the folder's digest, files and bytes: {out}"
    );
    assert!(out.contains("(20 files, 103 bytes)"), "{out}");
}

#[test]
fn renames_moves_and_a_file_replaced_by_a_folder_are_named() {
    let p = Project::new();
    dataset(&p);
    assert_eq!(p.run(&["accept"]).0, 0);
    std::fs::rename(
        p.join("data/set0/part0/f0.bin"),
        p.join("data/set0/part0/g0.bin"),
    )
    .unwrap();
    std::fs::remove_file(p.join("data/set2/part1/f1.bin")).unwrap();
    p.file("data/set2/part1/f1.bin/inner.bin", "1-1-1");
    let (code, drifts, notes) = check(&p);
    assert_eq!(code, 1);
    assert_eq!(
        paths(&drifts),
        [
            "static_data_hashes.\"data/set0/\"",
            "static_data_hashes.\"data/set2/\""
        ]
    );
    let set0 = note_of(&notes, "data/set0/");
    assert!(
        set0.contains("renamed  data/set0/part0/f0.bin → data/set0/part0/g0.bin"),
        "{set0}"
    );
    let set2 = note_of(&notes, "data/set2/");
    assert!(
        set2.lines()
            .any(|l| l == "  removed  data/set2/part1/f1.bin"),
        "{set2}"
    );
    assert!(
        set2.contains("added    data/set2/part1/f1.bin/inner.bin"),
        "{set2}"
    );
}

#[cfg(unix)]
#[test]
fn names_that_are_not_utf8_are_listed_escaped() {
    use std::os::unix::ffi::OsStrExt;
    let p = Project::new();
    dataset(&p);
    let odd = p
        .join("data/set1/part0")
        .join(std::ffi::OsStr::from_bytes(b"caf\xe9.bin"));
    std::fs::write(&odd, b"x").unwrap();
    assert_eq!(p.run(&["accept"]).0, 0);
    std::fs::write(&odd, b"y").unwrap();
    let (code, _, notes) = check(&p);
    assert_eq!(code, 1);
    let text = note_of(&notes, "data/set1/");
    assert!(
        text.contains(r"changed  data/set1/part0/caf\xE9.bin"),
        "{text}"
    );
}

#[test]
fn without_the_baselines_objects_the_drift_is_caught_and_the_note_says_where_to_get_them() {
    let p = Project::new();
    p.git_init();
    dataset(&p);
    p.commit_all("data");
    assert_eq!(p.run(&["accept"]).0, 0);
    p.commit_all("baseline");
    let kept = p.join(".prov/trees");
    // CI: a fresh clone, no .prov/
    let ci = Project::new();
    crate::project::hermetic(std::process::Command::new("git").args([
        "clone",
        "-q",
        p.path().to_str().unwrap(),
        ci.path().to_str().unwrap(),
    ]))
    .status()
    .unwrap();
    std::fs::write(ci.join("data/set2/part3/f4.bin"), "corrupted").unwrap();
    let (code, drifts, notes) = check(&ci);
    assert_eq!(code, 1, "caught without the listing");
    let data: Vec<String> = paths(&drifts)
        .into_iter()
        .filter(|p| p.starts_with("static_data"))
        .collect();
    assert_eq!(data, ["static_data_hashes.\"data/set2/\""]);
    let text = note_of(&notes, "data/set2/");
    assert!(text.contains("is not on this machine"), "{text}");
    assert!(text.contains(".prov/candidates/trees/"), "{text}");
    let b = baseline(&ci);
    let want = b["static_data_hashes"]["data/set2/"]["tree"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_owned();
    assert!(text.contains(&want), "{text}");
    // the failing check left its candidate with the objects of the folders it records: 3
    // recorded folders and their 4 subfolders each
    let beside = ci.join(".prov/candidates/trees");
    assert_eq!(std::fs::read_dir(&beside).unwrap().count(), 15);
    // the objects, brought from where the baseline was accepted, name the file
    std::fs::create_dir_all(ci.join(".prov/trees")).unwrap();
    crate::project::copy_tree(&kept, &ci.join(".prov/trees"));
    let (_, _, notes) = check(&ci);
    let text = note_of(&notes, "data/set2/");
    assert!(text.contains("changed  data/set2/part3/f4.bin"), "{text}");
    // an object edited by hand is no object
    std::fs::write(ci.join(&format!(".prov/trees/{want}")), "file 0 1 x\0").unwrap();
    let (code, _, notes) = check(&ci);
    assert_eq!(code, 1);
    let text = note_of(&notes, "data/set2/");
    assert!(text.contains("is damaged"), "{text}");
}

#[test]
fn accepting_ci_candidates_brings_their_folder_objects() {
    let p = Project::new();
    p.git_init();
    dataset(&p);
    assert_eq!(p.run(&["accept"]).0, 0);
    p.commit_all("baseline");
    p.file("data/set0/part1/new.bin", "new");
    // CI leaves a candidate (and its listing) instead of writing the baseline
    let out = p.provbase(&["accept"]).env("CI", "true").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let artifact = p.join(".prov/candidates");
    let ci_copy = tempfile::tempdir().unwrap();
    crate::project::copy_tree(&artifact, ci_copy.path());
    std::fs::remove_dir_all(p.join(".prov")).unwrap();
    let (code, out, err) = p.run(&["accept", "--from", ci_copy.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    // the accepted baseline's objects came with it: a later drift names its files
    p.file("data/set0/part1/new.bin", "newer");
    let (_, _, notes) = check(&p);
    let text = note_of(&notes, "data/set0/");
    assert!(text.contains("changed  data/set0/part1/new.bin"), "{text}");
}

#[test]
fn a_set_that_grows_past_the_limit_drifts_and_small_sets_keep_version_1() {
    let p = Project::new();
    p.file(
        "harness.toml",
        "[harness]\nmax_entries = 3\n[[run]]\nname = \"data\"\nhardware = false\nstatic_data = [\"data\"]\n",
    );
    p.file("data/a/1", "1")
        .file("data/b/2", "2")
        .file("data/b/3", "3");
    assert_eq!(p.run(&["accept"]).0, 0);
    let b = baseline(&p);
    assert_eq!(b["format_version"], 1, "no folder digest: version 1");
    assert_eq!(b["static_data_hashes"].as_object().unwrap().len(), 3);
    p.file("data/b/4", "4");
    let (code, drifts, notes) = check(&p);
    assert_eq!(code, 1);
    let text = note_of(&notes, "data/b/");
    assert!(
        text.starts_with("recorded by its folder digest now (3 files)"),
        "{text}"
    );
    assert_eq!(
        paths(&drifts),
        [
            "static_data_hashes.\"data/a/\"",
            "static_data_hashes.\"data/a/1\"",
            "static_data_hashes.\"data/b/\"",
            "static_data_hashes.\"data/b/2\"",
            "static_data_hashes.\"data/b/3\""
        ]
    );
}

#[test]
fn a_bad_max_entries_is_named_with_its_line() {
    let p = Project::new();
    p.file(
        "harness.toml",
        "[harness]\nmax_entries = 0\n[[run]]\nname = \"data\"\nstatic_data = [\"x\"]\n",
    );
    p.file("x", "1");
    let (code, _, err) = p.run(&["check"]);
    assert_eq!(code, 2);
    assert!(err.contains("harness.toml:2"), "{err}");
    assert!(err.contains("max_entries"), "{err}");
}

/// The entries of one run's static data, as its baseline records them.
fn entries_of(p: &Project, run: &str) -> Value {
    let b: Value = serde_json::from_str(&p.baseline_of(run)).unwrap();
    b["static_data_hashes"].clone()
}

#[test]
fn scanned_folders_and_the_same_files_walked_by_a_glob_agree() {
    let p = Project::new();
    dataset(&p);
    // each pair: a folder (or a glob with `**`), and a glob of another shape (wildcards in
    // folder parts) that names the same files; the walk enters different folders for each
    let pairs = [
        ("data", "data/*/*/*.bin"),
        ("data/**/f0.bin", "data/*/*/f0.bin"),
        ("data/**/part1", "data/*/part1"),
        ("data/set0/part0", "data/set0/part0/*"),
    ];
    let mut config = String::from("[harness]\nmax_entries = 10\n");
    for (i, (scanned, walked)) in pairs.iter().enumerate() {
        for (kind, glob) in [("s", scanned), ("w", walked)] {
            config.push_str(&format!(
                "[[run]]\nname = \"{kind}{i}\"\nhardware = false\nstatic_data = [\"{glob}\"]\n"
            ));
        }
    }
    p.file("harness.toml", &config);
    let (code, out, err) = p.run(&["accept"]);
    assert_eq!(code, 0, "{out}{err}");
    for (i, pair) in pairs.iter().enumerate() {
        let scanned = entries_of(&p, &format!("s{i}"));
        assert_eq!(scanned, entries_of(&p, &format!("w{i}")), "{pair:?}");
    }
    let whole = entries_of(&p, "s0");
    assert_eq!(whole.as_object().unwrap().len(), 3, "{whole}");
    // 12 files named f0.bin: folded to the 3 sets, 4 each
    let f0 = entries_of(&p, "s1");
    assert_eq!(f0["data/set2/"]["files"], 4, "{f0}");
    // a folder the name names is kept whole: 3 × part1, 5 files each
    let part1 = entries_of(&p, "s2");
    let files: u64 = part1
        .as_object()
        .unwrap()
        .keys()
        .map(|k| if k.ends_with('/') { 5 } else { 1 })
        .sum();
    assert_eq!(files, 15, "{part1}");
    // a set within the limit is its files, scanned or not
    let small = entries_of(&p, "s3");
    assert_eq!(
        small.as_object().unwrap().keys().collect::<Vec<_>>(),
        [
            "data/set0/part0/f0.bin",
            "data/set0/part0/f1.bin",
            "data/set0/part0/f2.bin",
            "data/set0/part0/f3.bin",
            "data/set0/part0/f4.bin"
        ]
    );
    // a tree holding a symbolic link is followed by both, and still agrees
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("f0.bin", p.join("data/set1/part1/link.bin")).unwrap();
        assert_eq!(p.run(&["accept"]).0, 0);
        let with_link = entries_of(&p, "s0");
        assert_eq!(with_link, entries_of(&p, "w0"));
        assert_ne!(with_link["data/set1/"], whole["data/set1/"]);
        assert_eq!(with_link["data/set1/"]["files"], 21);
    }
}

#[test]
fn a_folder_with_no_file_fails_the_run_naming_the_glob() {
    let p = Project::new();
    p.file(
        "harness.toml",
        "[[run]]\nname = \"data\"\nhardware = false\nstatic_data = [\"empty\"]\n",
    );
    std::fs::create_dir_all(p.join("empty/sub")).unwrap();
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("no file matches `static_data` glob `empty` (harness.toml line 4)"),
        "{out}"
    );
}

#[test]
fn verify_checks_a_folder_through_its_objects_or_its_files_on_disk() {
    let p = Project::new();
    dataset(&p);
    assert_eq!(p.run(&["accept"]).0, 0);
    // with the objects: the document's digest, every file of every folder, and cfg.yaml
    let (code, out, _) = p.run(&["verify", "baselines/data.json"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("(62 checked)"), "{out}");
    // without them: each folder's files on disk, folded, against its digest
    std::fs::remove_dir_all(p.join(".prov/trees")).unwrap();
    let (code, out, _) = p.run(&["verify", "baselines/data.json"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("(5 checked)"), "{out}");
    p.file("data/set2/part0/f0.bin", "changed");
    let (code, out, _) = p.run(&["verify", "baselines/data.json"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("MISMATCH"), "{out}");
    assert!(out.contains("data/set2/: recorded sha256:"), "{out}");
    assert!(!out.contains("data/set1/"), "{out}");
}

#[test]
fn prune_removes_the_folder_objects_nothing_refers_to() {
    let p = Project::new();
    dataset(&p);
    assert_eq!(p.run(&["accept"]).0, 0);
    let objects = || std::fs::read_dir(p.join(".prov/trees")).unwrap().count();
    // 3 recorded folders and their 4 subfolders each
    assert_eq!(objects(), 15);
    let (_, out, _) = p.run(&["prune"]);
    assert!(!out.contains("folder objects"), "{out}");
    // a changed file: its folder and the folder above it get new objects; the check's
    // candidate refers to them, the baseline to the old ones
    p.file("data/set0/part0/f0.bin", "changed");
    assert_eq!(check(&p).0, 1);
    assert_eq!(objects(), 17);
    let (_, out, _) = p.run(&["prune"]);
    assert!(
        !out.contains("folder objects"),
        "all still referred to: {out}"
    );
    // accepted: the old objects of data/set0/ and data/set0/part0/ are garbage, but kept
    // while an accept may still be about to refer to them
    assert_eq!(p.run(&["accept"]).0, 0);
    std::fs::remove_dir_all(p.join(".prov/candidates")).unwrap();
    let (_, out, _) = p.run(&["prune", "--yes"]);
    assert!(out.contains("kept    2 folder objects"), "{out}");
    assert_eq!(objects(), 17);
    for e in std::fs::read_dir(p.join(".prov/trees")).unwrap() {
        crate::project::abandon(&e.unwrap().path());
    }
    let (code, out, _) = p.run(&["prune"]);
    assert_eq!(code, 0);
    assert!(out.contains("unused  2 folder objects"), "{out}");
    assert!(out.contains("provbase prune --yes"), "{out}");
    assert_eq!(objects(), 17, "listing removes nothing");
    let (code, out, _) = p.run(&["prune", "--yes"]);
    assert_eq!(code, 0);
    assert!(out.contains("removed 2 folder objects"), "{out}");
    assert_eq!(objects(), 15);
    // what is left still names a drift's files
    p.file("data/set0/part0/f0.bin", "changed again");
    let (_, _, notes) = check(&p);
    assert!(note_of(&notes, "data/set0/").contains("changed  data/set0/part0/f0.bin"));
}

/// A folder recorded by its digest that went away, appeared or moved says so: removed folder,
/// added folder, renamed folder (same content); the level note stays for the same files
/// recorded at another level. A tracked text file changed inside a folder gets its diff since
/// the baseline's commit, as a listed file does.
#[test]
fn folders_removed_added_and_renamed_are_explained_as_such() {
    let p = Project::new();
    p.git_init();
    dataset(&p);
    assert_eq!(p.run(&["accept"]).0, 0);
    p.commit_all("baseline");
    std::fs::remove_dir_all(p.join("data/set2")).unwrap();
    let (code, _, notes) = check(&p);
    assert_eq!(code, 1);
    let text = note_of(&notes, "data/set2/");
    assert!(text.starts_with("removed folder (20 files"), "{text}");
    p.git(&["checkout", "--", "data"]);
    std::fs::rename(p.join("data/set1"), p.join("data/set9")).unwrap();
    let (_, _, notes) = check(&p);
    let text = note_of(&notes, "data/set1/");
    assert!(
        text.starts_with("renamed folder: data/set1/ → data/set9/, the same content (20 files"),
        "{text}"
    );
    assert!(note_of(&notes, "data/set9/").starts_with("renamed folder: data/set1/ → data/set9/"));
    std::fs::rename(p.join("data/set9"), p.join("data/set1")).unwrap();
    for i in 0..4 {
        p.file(&format!("data/set3/part{i}/new.bin"), &format!("new {i}"));
    }
    let (_, _, notes) = check(&p);
    let text = note_of(&notes, "data/set3/");
    assert!(text.starts_with("added folder (4 files"), "{text}");
    std::fs::remove_dir_all(p.join("data/set3")).unwrap();
    // a tracked text file inside a folder: its lines
    p.file("data/set0/part1/f2.bin", "0-1-2\na second line\n");
    p.commit_all("two lines");
    assert_eq!(p.run(&["accept"]).0, 0);
    p.commit_all("accepted");
    p.file(
        "data/set0/part1/f2.bin",
        "0-1-2\nthe second line, changed\n",
    );
    let (_, _, notes) = check(&p);
    let text = note_of(&notes, "data/set0/part1/f2.bin");
    assert!(
        text.contains("-a second line") && text.contains("+the second line, changed"),
        "{text}"
    );
}

/// `max_entries` per run and per glob: a dataset folds while the configs beside it stay
/// files; a bad value is named with its line.
#[test]
fn max_entries_per_run_and_per_glob() {
    let p = Project::new();
    p.file(
        "harness.toml",
        "[harness]\nmax_entries = 5\n\n[[run]]\nname = \"data\"\nhardware = false\nmax_entries = 20\nstatic_data = [\"cfg\", { glob = \"data\", max_entries = 4 }]\n",
    );
    for i in 0..12 {
        p.file(&format!("cfg/c{i:02}.yaml"), &format!("k: {i}\n"));
    }
    for a in 0..3 {
        for b in 0..4 {
            p.file(&format!("data/set{a}/f{b}.bin"), &format!("{a}-{b}"));
        }
    }
    assert_eq!(p.run(&["accept"]).0, 0);
    let b = baseline(&p);
    let keys: Vec<&String> = b["static_data_hashes"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        keys.iter().filter(|k| k.starts_with("cfg/")).count(),
        12,
        "the run's 20 keeps the configs as files: {keys:?}"
    );
    assert!(
        keys.iter()
            .filter(|k| k.starts_with("data/"))
            .all(|k| k.ends_with('/')),
        "the glob's 4 folds the dataset: {keys:?}"
    );
    assert_eq!(b["format_version"], 2);
    p.file(
        "harness.toml",
        "[[run]]\nname = \"data\"\nhardware = false\nstatic_data = [{ glob = \"data\", max_entries = 0 }]\n",
    );
    let (code, _, err) = p.run(&["check"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("harness.toml:4") && err.contains("`max_entries` = 0"),
        "{err}"
    );
    p.file(
        "harness.toml",
        "[[run]]\nname = \"data\"\nhardware = false\nstatic_data = [{ glob = \"data\", max_entrys = 4 }]\n",
    );
    let (code, _, err) = p.run(&["check"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("harness.toml:4: unknown field `max_entrys`"),
        "{err}"
    );
}
