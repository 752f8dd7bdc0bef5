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
    let head = &why[why.find("HEAD:").unwrap()..];
    assert!(
        !head.contains("Tune the COISS config"),
        "only the newest five are listed: {why}"
    );
    // the file's note names the commit that changed it, however old
    assert!(
        why.lines().any(
            |l| l.contains("cfg/config_400_inst_coiss.yaml: changed since")
                && l.contains("(Tune the COISS config)")
        ),
        "{why}"
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

#[test]
fn a_changed_kernel_is_explained_even_when_a_kernel_was_added_before_it() {
    let kernels = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spice/kernels");
    let p = Project::new();
    for k in ["naif0012.tls", "pck00010.tpc", "DE403-MASSES.TPC"] {
        std::fs::create_dir_all(p.join("kernels")).unwrap();
        std::fs::copy(format!("{kernels}/{k}"), p.join("kernels").join(k)).unwrap();
    }
    let metakernel =
        |list: &str| format!("KPL/MK\n\\begindata\n  KERNELS_TO_LOAD = ( {list} )\n\\begintext\n");
    p.file(
        "kernels/nav.tm",
        &metakernel("'kernels/naif0012.tls', 'kernels/pck00010.tpc'"),
    )
    .file(
        "harness.toml",
        "[[run]]\nname = \"nav\"\nhardware = false\nspice = { metakernel = \"kernels/nav.tm\" }\n",
    );
    p.git_init().commit_all("kernels");
    assert_eq!(p.run(&["accept"]).0, 0);
    p.commit_all("Accept provenance baselines");

    // a masses kernel now loads before the PCK, and the PCK gained a line
    p.file(
        "kernels/nav.tm",
        &metakernel("'kernels/naif0012.tls', 'kernels/DE403-MASSES.TPC', 'kernels/pck00010.tpc'"),
    );
    let pck = p.read("kernels/pck00010.tpc");
    p.file(
        "kernels/pck00010.tpc",
        &pck.replacen("\\begindata", "\\begindata\nBODY699_RADII = ( 1 2 3 )", 1),
    );
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    let drifts: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("spice "))
        .collect();
    // the metakernel, the added kernel, the changed PCK (now third), and the count
    assert!(
        drifts
            .iter()
            .any(|l| l.contains("spice_kernels.\"kernels/") && l.contains("(absent)")),
        "{out}"
    );
    assert!(
        drifts
            .iter()
            .any(|l| l.contains(r#"spice_kernels."kernels/pck00010.tpc".sha256"#)),
        "{out}"
    );
    assert_eq!(drifts.len(), 4, "{out}");
    let why = &out[out.find("Why:").expect(&out)..];
    assert!(
        why.contains("kernels/pck00010.tpc: changed since the baseline's commit")
            && why.contains("+BODY699_RADII = ( 1 2 3 )"),
        "{why}"
    );
}
