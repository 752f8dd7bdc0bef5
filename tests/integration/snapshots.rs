//! Snapshots of the human report, with hashes, commit ids and paths redacted.

use crate::project::Project;

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"sha256:[0-9a-f]{8}…", "sha256:[hash]…");
    s.add_filter(r"sha256:[0-9a-f]{64}", "sha256:[hash]");
    s.add_filter(r"\b[0-9a-f]{10}…", "[sha]…");
    s.add_filter(r"\b[0-9a-f]{40}\b", "[sha]");
    s.add_filter(r"\b[0-9a-f]{7}\b", "[sha]");
    s.add_filter(r"/tmp/[^\s/]+", "[tmp]");
    s.set_prepend_module_to_snapshot(false);
    s
}

#[test]
fn report_of_a_failing_run() {
    let p = Project::nav();
    p.file(
        "harness.toml",
        &format!(
            "{}env = [\"PROVBASE_SNAPSHOT_SCALE\"]\nhardware = false\n",
            crate::project::HARNESS
        ),
    );
    p.git_init().commit_all("start");
    let run = |args: &[&str], scale: &str| {
        let out = p
            .provbase(args)
            .env("PROVBASE_SNAPSHOT_SCALE", scale)
            .env("HOME", p.path())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(&["accept"], "1");
    p.commit_all("Accept provenance baselines");
    let cfg = p.read("cfg/config_400_inst_coiss.yaml");
    p.file(
        "cfg/config_400_inst_coiss.yaml",
        &cfg.replacen('\n', "\n# tuned\n", 1),
    )
    .commit_all("Tune the COISS config");
    p.file("src/nav/navigate.py", "print('navigate v2')\n");
    let report = run(&["check"], "2");
    settings().bind(|| insta::assert_snapshot!("failing_run", report));
}
