//! What comes from elsewhere is hostile: candidates and folder objects from CI artifacts, the
//! outputs provbase writes where a device or a link already is, CI systems that set no `CI`.

use crate::project::Project;
use serde_json::Value;
use std::path::Path;

const RUN: &str = "coiss-N1597846115";

/// A project with a committed baseline and a candidate left by CI for a changed config file,
/// copied into a folder as a downloaded artifact: (project, artifact, the candidate there).
fn with_candidate() -> (Project, tempfile::TempDir, Value) {
    let p = Project::nav_with_second_run();
    p.git_init();
    assert_eq!(p.run(&["accept"]).0, 0);
    p.commit_all("baselines");
    p.file("cfg/config_220_body_shape.yaml", "tuned: true\n");
    let out = p.provbase(&["accept"]).env("CI", "true").output().unwrap();
    assert!(out.status.success());
    let artifact = tempfile::tempdir().unwrap();
    crate::project::copy_tree(&p.join(".prov/candidates"), artifact.path());
    let file = artifact.path().join(format!("baselines/{RUN}.json"));
    let c: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    std::fs::remove_dir_all(p.join(".prov/candidates")).unwrap();
    (p, artifact, c)
}

/// Replaces the artifact's candidates with one document.
fn plant(artifact: &Path, c: &Value) -> std::path::PathBuf {
    let dir = artifact.join("baselines");
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("planted.json");
    std::fs::write(&file, serde_json::to_vec_pretty(c).unwrap()).unwrap();
    file
}

/// Every file under a folder with its bytes, to show that nothing changed.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let t = e.file_type().unwrap();
            if t.is_dir() {
                if e.file_name() != ".prov" {
                    todo.push(e.path());
                }
            } else if t.is_file() {
                out.push((
                    e.path().display().to_string(),
                    std::fs::read(e.path()).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_candidate_writes_only_its_configured_runs_baseline() {
    let (p, artifact, good) = with_candidate();
    let dir = artifact.path().to_str().unwrap().to_owned();
    std::fs::create_dir_all(p.join(".github/workflows")).unwrap();
    let mut cases: Vec<(&str, Value, &str)> = Vec::new();
    for (what, target) in [
        ("into .git", ".git/hooks/pre-commit"),
        ("into the workflows", ".github/workflows/ci.yml"),
        ("into the code", "src/nav/navigate.py"),
        ("over another run's baseline", "baselines/second.json"),
    ] {
        let mut c = good.clone();
        c["baseline"] = target.into();
        cases.push((what, c, "which is not run"));
    }
    let mut c = good.clone();
    c["run"] = "nobody".into();
    cases.push(("an unknown run", c, "does not configure"));
    let mut c = good.clone();
    c["run"] = "second".into();
    c["baseline"] = "baselines/second.json".into();
    cases.push(("another run's manifest", c, "its manifest is of run"));
    for (what, c, says) in cases {
        let before = snapshot(p.path());
        let file = plant(artifact.path(), &c);
        let (code, out, err) = p.run(&["accept", "--from", &dir]);
        assert_ne!(code, 0, "{what}: {out}");
        assert!(
            err.contains(&file.display().to_string()) && err.contains(says),
            "{what}: the refusal names the candidate's file: {err}"
        );
        assert_eq!(before, snapshot(p.path()), "{what}: nothing was written");
        let (_, out, _) = p.run(&["pending", &dir]);
        assert!(out.starts_with("refused"), "{what}: {out}");
    }
    // the untouched candidate is still applied
    plant(artifact.path(), &good);
    let (code, out, err) = p.run(&["accept", "--from", &dir]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("wrote     baselines/{RUN}.json")),
        "{out}"
    );
}

#[test]
fn a_baselines_folder_through_a_link_or_in_git_is_refused() {
    let p = Project::nav();
    p.git_init();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("theirs.json"), "{}").unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), p.join("baselines")).unwrap();
    for args in [&["accept"][..], &["check"], &["prune", "--yes"]] {
        let (code, out, err) = p.run(args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(
            err.contains("outside the project") && err.contains("harness.toml"),
            "{args:?}: {err}"
        );
    }
    assert!(elsewhere.path().join("theirs.json").exists());
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 1);
    std::fs::remove_file(p.join("baselines")).unwrap();
    for folder in [".git", ".git/provbase", ".prov/b", "./.git"] {
        p.file(
            "harness.toml",
            &crate::project::HARNESS.replace(
                "baselines = \"baselines\"",
                &format!("baselines = \"{folder}\""),
            ),
        );
        let (code, _, err) = p.run(&["accept"]);
        assert_eq!(code, 2, "{folder}: {err}");
        assert!(err.contains("harness.toml:2"), "{folder}: {err}");
    }
    // a link that stays inside the project is a folder like any other
    std::fs::create_dir_all(p.join("real")).unwrap();
    std::os::unix::fs::symlink("real", p.join("linked")).unwrap();
    p.file(
        "harness.toml",
        &crate::project::HARNESS.replace("baselines = \"baselines\"", "baselines = \"linked\""),
    );
    assert_eq!(p.run(&["accept"]).0, 0);
    assert!(p.join(&format!("real/{RUN}.json")).is_file());
}

#[test]
fn outputs_never_replace_a_device() {
    use std::os::unix::fs::FileTypeExt;
    let p = Project::nav();
    assert_eq!(p.run(&["accept"]).0, 0);
    let (code, _, err) = p.run(&["--junit", "/dev/null", "check"]);
    assert_eq!(code, 0, "{err}");
    let out = p
        .provbase(&["check"])
        .env("PROVBASE_JSON_REPORT", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device(),
        "/dev/null is still a device"
    );
    // a report path that is a link is written through it, and stays a link
    std::fs::write(p.join("real.xml"), "").unwrap();
    std::os::unix::fs::symlink("real.xml", p.join("report.xml")).unwrap();
    assert_eq!(p.run(&["--junit", "report.xml", "check"]).0, 0);
    assert!(p.read("real.xml").contains("<testsuites"));
    assert!(
        std::fs::symlink_metadata(p.join("report.xml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn jenkins_is_ci_though_it_sets_no_ci() {
    let p = Project::nav();
    assert_eq!(p.run(&["accept"]).0, 0);
    let committed = p.baseline();
    p.file("cfg/config_220_body_shape.yaml", "tuned: true\n");
    for (var, value) in [
        ("JENKINS_URL", "https://jenkins.example.invalid/"),
        ("BUILDKITE", "true"),
        ("TEAMCITY_VERSION", "2025.1"),
    ] {
        let out = p.provbase(&["accept"]).env(var, value).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{var}: {text}");
        assert!(text.contains("candidate"), "{var}: {text}");
        assert_eq!(p.baseline(), committed, "{var}: the baseline is kept");
    }
}

/// A folder of 10 files, recorded by digest (`max_entries = 4`).
fn folded(p: &Project) {
    p.file(
        "harness.toml",
        "[harness]\nmax_entries = 4\n[[run]]\nname = \"data\"\nhardware = false\nstatic_data = [\"data\"]\n",
    );
    for i in 0..10 {
        p.file(&format!("data/d{}/f{i}", i % 2), &i.to_string());
    }
}

#[test]
fn objects_from_an_artifact_are_read_by_name_and_never_deleted() {
    let p = Project::new();
    p.git_init();
    folded(&p);
    assert_eq!(p.run(&["accept"]).0, 0);
    p.commit_all("baseline");
    p.file("data/d0/new", "new");
    let out = p.provbase(&["accept"]).env("CI", "true").output().unwrap();
    assert!(out.status.success());
    let artifact = tempfile::tempdir().unwrap();
    crate::project::copy_tree(&p.join(".prov/candidates"), artifact.path());
    std::fs::remove_dir_all(p.join(".prov")).unwrap();
    let trees = artifact.path().join("trees");
    // junk beside the objects: a file not named as one, and one named as one that is not it
    std::fs::write(trees.join("README"), "not an object").unwrap();
    let wrong = trees.join("0".repeat(64));
    std::fs::write(&wrong, "file 0 1 x\0").unwrap();
    let before = snapshot(artifact.path());
    let (code, out, err) = p.run(&["accept", "--from", artifact.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        before,
        snapshot(artifact.path()),
        "nothing in the artifact is removed or changed"
    );
    assert!(!p.join(".prov/trees/README").exists());
    assert!(!p.join(&format!(".prov/trees/{}", "0".repeat(64))).exists());
}

/// 41 objects, each naming the next twice, describe 2^40 files: the walk is bounded by the
/// objects it visits, so `check` and `verify` end at once.
#[test]
fn objects_that_repeat_their_subfolders_do_not_hang() {
    use provbase::manifest::tree::{Item, Object};
    let p = Project::new();
    folded(&p);
    assert_eq!(p.run(&["accept"]).0, 0);
    let mut item = Item::File {
        digest: [1; 32],
        size: 1,
    };
    let mut root = None;
    for _ in 0..41 {
        let (tree, bytes) = Object::new(vec![("a".into(), item), ("b".into(), item)]).seal();
        let hex = provbase::trees::file_name(&tree.tree).to_owned();
        std::fs::write(p.join(&format!(".prov/trees/{hex}")), &bytes).unwrap();
        item = Item::Tree {
            digest: provbase::manifest::tree::raw(&tree.tree).unwrap(),
            files: 1,
            bytes: 1,
        };
        root = Some(tree.tree);
    }
    let path = p.join("baselines/data.json");
    let mut b: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let folders = b["static_data_hashes"].as_object_mut().unwrap();
    let key = folders.keys().next().unwrap().clone();
    folders[&key]["tree"] = root.unwrap().0.into();
    folders[&key]["files"] = 1.into();
    provbase::manifest::seal(&mut b);
    std::fs::write(&path, provbase::canonical::pretty_bytes(&b)).unwrap();
    // a hang guard, not a speed figure: a walk over 2^40 paths would never end
    for args in [&["check"][..], &["verify", "baselines/data.json"]] {
        let out = p
            .provbase(args)
            .timeout(std::time::Duration::from_secs(300))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
    }
}

/// `.`, `**` and `*/**` name the whole project: `.git/`, `.prov/` and the baselines are left
/// out of them, so that the check passes after accept and a commit.
#[test]
fn globs_that_name_everything_leave_out_git_prov_and_the_baselines() {
    for glob in [".", "**", "*/**"] {
        let p = Project::nav();
        p.file(
            "harness.toml",
            &format!(
                "[[run]]\nname = \"all\"\nhardware = false\ncode = [\"{glob}\"]\nstatic_data = [\"{glob}\"]\n"
            ),
        );
        p.git_init().commit_all("pipeline");
        let (code, out, err) = p.run(&["accept"]);
        assert_eq!(code, 0, "{glob}: {out}{err}");
        let b = p.baseline_of("all");
        for never in [".git/", ".prov/", "baselines/"] {
            assert!(!b.contains(never), "{glob}: {never} recorded: {b}");
        }
        assert!(b.contains("cfg/config_220_body_shape.yaml"), "{glob}");
        p.commit_all("baselines");
        let (code, out, err) = p.run(&["check"]);
        assert_eq!(code, 0, "{glob}: {out}{err}");
        // a check leaves a cache, and a second accept of another state a candidate: still ok
        let (code, out, _) = p.run(&["check"]);
        assert_eq!(code, 0, "{glob}: {out}");
        p.file("cfg/config_220_body_shape.yaml", "tuned: true\n");
        assert_eq!(p.run(&["check"]).0, 1, "{glob}: a real change still fails");
    }
}
