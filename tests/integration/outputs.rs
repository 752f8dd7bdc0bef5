//! Reports for people and CI (colour, JUnit, GitHub Actions), `check --twice`, profiles and
//! typed strip selectors.

use crate::project::{HARNESS, Project};

fn drifted() -> Project {
    let p = Project::nav();
    p.run(&["accept"]);
    p.file("cfg/config_220_body_shape.yaml", "changed: true\n");
    p
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let p = drifted();
    let (_, plain, _) = p.run(&["check"]);
    assert!(
        !plain.contains('\x1b'),
        "no escape codes in a pipe: {plain}"
    );
    let (_, never, _) = p.run(&["--color", "never", "check"]);
    assert!(!never.contains('\x1b'));
    let (_, always, _) = p.run(&["--color", "always", "check"]);
    assert!(always.contains("\x1b[31mFAIL"), "{always}");
    assert!(always.contains("        \x1b[31m  static_data"), "{always}");
    assert!(
        always.contains("\x1b[32m+"),
        "added diff lines are green: {always}"
    );
    let (code, _, err) = p.run(&["--color", "sometimes", "check"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn junit_report_one_case_per_run() {
    let p = drifted();
    p.file(
        "harness.toml",
        &format!("{HARNESS}\n[[run]]\nname = \"second\"\n"),
    );
    p.run(&["accept", "second"]);
    p.file("baselines/orphan.json", "{}\n");
    let (code, _, _) = p.run(&["--junit", "out/report.xml", "check"]);
    assert_eq!(code, 1);
    let xml = p.read("out/report.xml");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let names: Vec<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    assert_eq!(names, ["coiss-N1597846115", "second", "provbase::orphans"]);
    let failure = cases[0]
        .children()
        .find(|c| c.has_tag_name("failure"))
        .expect("a failure element");
    assert!(
        failure
            .text()
            .unwrap()
            .contains("static_data  cfg/config_220_body_shape.yaml"),
        "{xml}"
    );
    assert!(
        failure
            .text()
            .unwrap()
            .contains("To accept: provbase accept coiss-N1597846115"),
        "{xml}"
    );
    assert!(
        cases[1].children().all(|c| !c.has_tag_name("failure")),
        "second passed"
    );
    assert!(cases[2].children().any(|c| c.has_tag_name("failure")));
}

#[test]
fn github_actions_annotations_and_step_summary() {
    let p = drifted();
    let out = p
        .provbase(&["check"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", p.join("summary.md"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // workflow commands go to stderr: stdout carries only the report
    assert!(!stdout.contains("::error"), "{stdout}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("::error "))
        .expect(&stderr);
    assert!(
        line.starts_with("::error file=baselines/coiss-N1597846115.json,title=provbase%3A coiss-N1597846115 drifted::static_data"),
        "{line}"
    );
    assert!(
        line.contains("%0ATo accept: provbase accept coiss-N1597846115"),
        "{line}"
    );
    let summary = p.read("summary.md");
    assert!(
        summary.contains("| run | status | static_data |"),
        "{summary}"
    );
    assert!(
        summary.contains("| coiss-N1597846115 | ❌ fail | ❌ 1 |"),
        "{summary}"
    );
    // off GitHub, no workflow commands
    let (_, plain, _) = p.run(&["check"]);
    assert!(!plain.contains("::error"));
}

#[test]
fn twice_finds_volatile_fields_and_names_the_selector() {
    let p = Project::nav();
    p.file("stamp.py", "import json, time\nprint(json.dumps({'started_ns': str(time.time_ns()), 'model': 'v3'}))\n");
    p.file(
        "harness.toml",
        &format!("{HARNESS}\n[run.external.train]\ncommand = [\"python3\", \"stamp.py\"]\n"),
    );
    let (code, out, _) = p.run(&["check", "--twice"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("volatile  coiss-N1597846115  external.train.started_ns"),
        "{out}"
    );
    assert!(
        out.contains("add to [harness] strip: \"external.train.started_ns\""),
        "{out}"
    );
    assert!(!out.contains("model"), "{out}");
    // following the advice makes it stable
    p.file(
        "harness.toml",
        &p.read("harness.toml").replace(
            "baselines = \"baselines\"",
            "baselines = \"baselines\"\nstrip = [\"external.train.started_ns\"]",
        ),
    );
    let (code, out, _) = p.run(&["check", "--twice"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no volatile field"), "{out}");
}

#[test]
fn typed_strip_selectors_never_hide_a_broken_value() {
    let p = Project::nav();
    p.file(
        "stamp.py",
        "print('{\"started\": \"2026-11-23T10:00:00Z\", \"k\": 1}')\n",
    );
    p.file(
        "harness.toml",
        &format!("{}\n[run.external.job]\ncommand = [\"python3\", \"stamp.py\"]\n", HARNESS.replace("baselines = \"baselines\"", "baselines = \"baselines\"\nstrip = [{ path = \"**.started\", expect = \"rfc3339\" }]")),
    );
    assert_eq!(p.run(&["accept"]).0, 0);
    assert!(!p.baseline().contains("started"));
    assert_eq!(p.run(&["check"]).0, 0);
    p.file(
        "stamp.py",
        "print('{\"started\": \"not a time\", \"k\": 1}')\n",
    );
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1);
    assert!(out.contains("field `external.job.started` was to be stripped by `**.started` as rfc3339, but its value is \"not a time\""), "{out}");
}

#[test]
fn a_nightly_profile_keeps_its_own_baselines_and_fails_on_hardware() {
    let p = Project::nav();
    p.file(
        "harness.toml",
        &format!("[profile.nightly]\nbaselines = \"baselines/nightly-gpu\"\npolicy = {{ hardware = \"fail\", \"hardware.os.kernel\" = \"warn\" }}\n\n{HARNESS}"),
    );
    assert_eq!(p.run(&["accept"]).0, 0);
    let out = p
        .provbase(&["accept"])
        .env("PROVBASE_PROFILE", "nightly")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        p.join("baselines/nightly-gpu/coiss-N1597846115.json")
            .is_file()
    );
    // the default check does not call the nightly folder's files orphans
    assert_eq!(p.run(&["check"]).0, 0);

    // a hardware change: the pull-request profile warns, the nightly one fails
    for profile in ["", "nightly"] {
        let dir = if profile.is_empty() {
            "baselines"
        } else {
            "baselines/nightly-gpu"
        };
        let path = format!("{dir}/coiss-N1597846115.json");
        let mut v: serde_json::Value = serde_json::from_str(&p.read(&path)).unwrap();
        v["hardware"]["cpu"]["brand"] = "Some Other CPU".into();
        v["hardware"]["os"]["kernel"] = "0.0.0".into();
        provbase::manifest::seal(&mut v);
        p.file(
            &path,
            &String::from_utf8(provbase::canonical::pretty_bytes(&v)).unwrap(),
        );
    }
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("hardware     cpu.brand") && out.contains("(warn)"),
        "{out}"
    );
    let (code, out, _) = p.run(&["--profile", "nightly", "check"]);
    assert_eq!(code, 1, "{out}");
    let brand = out.lines().find(|l| l.contains("cpu.brand")).unwrap();
    assert!(!brand.ends_with("(warn)"), "{brand}");
    let kernel = out.lines().find(|l| l.contains("os.kernel")).unwrap();
    assert!(
        kernel.ends_with("(warn)"),
        "the more specific field policy wins: {kernel}"
    );
    assert!(
        out.contains("To accept: provbase --profile nightly accept coiss-N1597846115"),
        "{out}"
    );
}

/// With GitHub Actions on, `--format json` on stdout still parses, and untrusted text from a
/// data file's diff or a command's stderr cannot issue a workflow command.
#[test]
fn machine_output_stays_machine_readable_and_data_cannot_command_the_runner() {
    let p = drifted();
    let out = p
        .provbase(&["--format", "json", "check"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(v["runs"][0]["status"], "fail");
    assert!(String::from_utf8_lossy(&out.stderr).contains("::error "));

    // a tracked data file whose lines are workflow commands, and a command's stderr too
    let p = Project::nav();
    p.git_init();
    p.file(
        "cfg/config_220_body_shape.yaml",
        "a: 1\n::stop-commands::pwned\n::error::from-data\n",
    );
    p.commit_all("start");
    p.file(
        "harness.toml",
        &format!("{HARNESS}\n[run.external.x]\ncommand = [\"sh\", \"-c\", \"cat marker\"]\n"),
    );
    p.file("marker", "{}");
    assert_eq!(p.run(&["accept"]).0, 0);
    p.file(
        "cfg/config_220_body_shape.yaml",
        "a: 2\n::stop-commands::pwned\n::error::from-data\n",
    );
    std::fs::remove_file(p.join("marker")).unwrap();
    p.file(
        "harness.toml",
        &format!("{HARNESS}\n[run.external.x]\ncommand = [\"sh\", \"-c\", \"echo '::error::from-stderr' >&2; exit 3\"]\n"),
    );
    let out = p
        .provbase(&["check"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("from-stderr"), "{all}");
    for line in all.lines() {
        let t = line.trim_start();
        assert!(
            !t.starts_with("::stop-commands") && !t.starts_with("::error::"),
            "a runner would execute: {line}"
        );
    }
    // the same for a data diff shown in the explanation
    p.file("harness.toml", crate::project::HARNESS);
    let out = p
        .provbase(&["check"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("from-data"), "the diff is shown: {all}");
    for line in all.lines() {
        let t = line.trim_start();
        assert!(
            !t.starts_with("::stop-commands") && !t.starts_with("::error::"),
            "{line}"
        );
    }
}

/// `--format markdown` is a report of check for a pull-request comment or a step summary;
/// other commands refuse it instead of ignoring it.
#[test]
fn markdown_report_of_a_check() {
    let p = drifted();
    let (code, out, _) = p.run(&["--format", "markdown", "check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("### provbase: 0 ok, 0 warn, 1 fail"),
        "{out}"
    );
    assert!(
        out.contains("| coiss-N1597846115 | ❌ fail | static_data (1) |"),
        "{out}"
    );
    assert!(
        out.contains("| static_data | `cfg/config_220_body_shape.yaml` | `sha256:04409dd3…`"),
        "{out}"
    );
    assert!(
        out.contains("To accept: `provbase accept coiss-N1597846115`"),
        "{out}"
    );
    let (code, _, err) = p.run(&["--format", "markdown", "list"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--format markdown is a report of `check`"),
        "{err}"
    );
}
