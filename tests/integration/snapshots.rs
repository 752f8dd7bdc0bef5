//! Snapshots of the human report, with hashes, commit ids and paths redacted.

use crate::project::Project;

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"sha256:[0-9a-f]{8}…", "sha256:[hash]…");
    s.add_filter(r"sha256:[0-9a-f]{64}", "sha256:[hash]");
    s.add_filter(r"\b[0-9a-f]{10}…", "[sha]…");
    s.add_filter(r"\b[0-9a-f]{40}\b", "[sha]");
    s.add_filter(r"\b[0-9a-f]{7}\b", "[sha]");
    // after an escaped newline in JSON text
    s.add_filter(r"\\n[0-9a-f]{7}\b", "\\n[sha]");
    s.add_filter(r"/tmp/[^\s/]+", "[tmp]");
    s.add_filter(
        r#""provbase(_version)?": "[0-9][^"]*""#,
        r#""provbase$1": "[version]""#,
    );
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

/// A project whose check gives one run of each kind: `warned` (only a git field moved),
/// `failed` (a static data file changed), `missing` (no baseline) and `broken` (a baseline
/// with merge-conflict markers), with an orphan baseline beside them.
fn mixed() -> Project {
    let p = Project::nav();
    p.file(
        "harness.toml",
        "[[run]]\nname = \"warned\"\nhardware = false\nparams = { seed = 1 }\n\n\
         [[run]]\nname = \"failed\"\nhardware = false\nstatic_data = [\"cfg/config_220_*.yaml\"]\n\n\
         [[run]]\nname = \"missing\"\nhardware = false\nparams = { seed = 3 }\n\n\
         [[run]]\nname = \"broken\"\nhardware = false\nparams = { seed = 4 }\n",
    );
    p.git_init().commit_all("start");
    assert_eq!(p.run(&["accept", "warned", "failed", "broken"]).0, 0);
    p.commit_all("Accept provenance baselines");
    // an untracked file: a git warning for every run
    p.file("notes.txt", "later\n");
    let cfg = p.read("cfg/config_220_body_shape.yaml");
    p.file("cfg/config_220_body_shape.yaml", &format!("{cfg}# tuned\n"));
    let broken = p.baseline_of("broken");
    p.file(
        "baselines/broken.json",
        &format!("<<<<<<< HEAD\n{broken}=======\n{broken}>>>>>>> other\n"),
    );
    p.file("baselines/gone.json", &p.baseline_of("warned"));
    p
}

#[test]
fn reports_of_each_kind_of_run() {
    let p = mixed();
    let (code, out, err) = p.run(&["check"]);
    assert_eq!(code, 1, "{err}");
    let (_, json_out, _) = p.run(&["--format", "json", "check"]);
    let junit = p.join("report.xml");
    let summary = p.join("summary.md");
    let gh = p
        .provbase(&["--junit", "report.xml", "check"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    let junit = std::fs::read_to_string(junit).unwrap();
    let mut s = settings();
    s.add_filter(r#""time": "[0-9T:Z-]+""#, r#""time": "[time]""#);
    s.add_filter(
        r#""runner": "host-[0-9a-f]{12}""#,
        r#""runner": "host-[hash]""#,
    );
    s.add_filter(r#"time="[0-9.]+""#, r#"time="[s]""#);
    s.add_filter(r#"timestamp="[0-9TZ:-]+""#, r#"timestamp="[time]""#);
    s.bind(|| {
        insta::assert_snapshot!("each_kind_human", out);
        insta::assert_snapshot!("each_kind_json", json_out);
        insta::assert_snapshot!("each_kind_junit", junit);
        insta::assert_snapshot!(
            "each_kind_github_annotations",
            String::from_utf8_lossy(&gh.stderr)
        );
        insta::assert_snapshot!(
            "each_kind_github_summary",
            std::fs::read_to_string(&summary).unwrap()
        );
    });
}
