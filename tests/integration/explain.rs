//! Drift that explains itself: file diffs since the baseline's commit, the commits between, and
//! a shallow clone that lacks the baseline's commit.

use crate::project::{Project, hermetic};

fn explained_project() -> Project {
    let p = Project::nav();
    p.file("cfg/model.bin", "\0\x01binary-weights-v1");
    p.file(
        "harness.toml",
        &crate::project::HARNESS.replace(
            "\"cfg/config_[34]*.yaml\"",
            "\"cfg/config_[34]*.yaml\", \"cfg/*.bin\"",
        ),
    );
    p.git_init().commit_all("start");
    assert_eq!(p.run(&["accept"]).0, 0);
    p.commit_all("Accept provenance baselines");
    p
}

#[test]
fn static_data_drift_shows_the_file_diff_and_the_commits_between() {
    let p = explained_project();
    let original = p.read("cfg/config_400_inst_coiss.yaml");
    let changed = original.replacen('\n', "\n# tuned by hand\n", 1);
    p.file("cfg/config_400_inst_coiss.yaml", &changed)
        .commit_all("Tune the COISS config");
    for i in 0..6 {
        p.file("README.md", &format!("edit {i}\n"))
            .commit_all(&format!("Docs edit {i}"));
    }
    p.file("cfg/model.bin", "\0\x02binary-weights-v2 longer");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    let why = &out[out.find("Why:").expect(&out)..];
    assert!(
        why.contains("cfg/config_400_inst_coiss.yaml: changed since the baseline's commit"),
        "{why}"
    );
    assert!(why.contains("+# tuned by hand"), "{why}");
    assert!(
        why.contains("--- cfg/config_400_inst_coiss.yaml at "),
        "{why}"
    );
    assert!(
        why.contains("cfg/model.bin: binary file: 19 → 26 bytes since"),
        "{why}"
    );
    assert!(
        why.contains("HEAD: 8 commits since the baseline's commit"),
        "{why}"
    );
    assert!(
        why.contains("Docs edit 5") && why.contains("… and 3 more"),
        "{why}"
    );
    assert!(
        !why.contains("Tune the COISS config"),
        "only the newest five are listed: {why}"
    );

    let (_, out, _) = p.run(&["--format", "json", "check"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let notes = v["runs"][0]["explanation"].as_array().unwrap();
    assert!(notes.iter().any(|n| n["subject"] == "HEAD"), "{notes:?}");
}

#[test]
fn a_shallow_clone_suggests_unshallow_and_is_no_error() {
    let p = explained_project();
    for i in 0..3 {
        p.file("README.md", &format!("edit {i}\n"))
            .commit_all(&format!("edit {i}"));
    }
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", p.path().display());
    let out = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "1", &url, "c"])
        .current_dir(clone.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = clone.path().join("c");
    let run = |args: &[&str]| {
        let out = hermetic(
            std::process::Command::new(env!("CARGO_BIN_EXE_provbase"))
                .args(args)
                .current_dir(&dir),
        )
        .output()
        .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = run(&["check"]);
    assert_eq!(code, Some(0), "only git moved: a warning: {out}");
    assert!(
        out.contains("(a shallow clone): run `git fetch --unshallow`"),
        "{out}"
    );

    std::fs::write(
        dir.join("cfg/config_220_body_shape.yaml"),
        "changed: true\n",
    )
    .unwrap();
    let (code, out) = run(&["check"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("cfg/config_220_body_shape.yaml: the baseline's commit"),
        "{out}"
    );
}

#[test]
fn a_file_accepted_before_it_was_committed_says_so() {
    let p = Project::nav();
    p.git_init().commit_all("start");
    p.file("cfg/config_400_inst_coiss.yaml", "uncommitted: 1\n");
    p.run(&["accept"]);
    p.file("cfg/config_400_inst_coiss.yaml", "uncommitted: 2\n");
    let (_, out, _) = p.run(&["check"]);
    assert!(
        out.contains("it was accepted before being committed"),
        "{out}"
    );
}
