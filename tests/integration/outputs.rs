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
        err.contains("invalid value 'markdown' for '--format <FORMAT>'")
            && err.contains("[possible values: human, json]"),
        "{err}"
    );
    let (code, _, err) = p.run(&["check", "--twice", "--format", "markdown"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`check --twice` prints --format human or json"),
        "{err}"
    );
}

/// A command's own flags read the same before its name as after it, with the global flags
/// around them in any order; clap says which command takes which.
#[test]
fn command_flags_before_or_after_the_command() {
    let p = drifted();
    let (code, after, _) = p.run(&["list", "--format", "json"]);
    assert_eq!(code, 0);
    assert!(after.contains("\"kind\": \"provbase.list\""), "{after}");
    for args in [
        &["--format", "json", "list"][..],
        &["--format=json", "list"],
        &["--config", "harness.toml", "--format", "json", "list"],
        &["--format", "json", "--color", "never", "list"],
        &["--no-cache", "--format", "json", "--profile", "", "list"],
    ] {
        let (code, out, err) = p.run(args);
        assert_eq!((code, &out), (0, &after), "{args:?}: {err}");
    }
    // the check's report and JUnit file, either way
    let (code, _, _) = p.run(&["--junit", "a.xml", "--format", "markdown", "check"]);
    assert_eq!(code, 1);
    let (code, _, _) = p.run(&["check", "--junit", "b.xml", "--format", "markdown"]);
    assert_eq!(code, 1);
    assert_eq!(
        std::fs::read_to_string(p.join("a.xml"))
            .unwrap()
            .lines()
            .count(),
        std::fs::read_to_string(p.join("b.xml"))
            .unwrap()
            .lines()
            .count()
    );
    // a command's arguments are never taken for flags: `--format` after `--` is the command's
    let (code, out, err) = p.run(&["record", "--no-exec", "--", "echo", "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
}

/// JUnit for every consumer: valid against Jenkins' junit-10.xsd (with the `xmlschema`
/// package, which `.ci/run` installs), read as GitHub's reporter actions read it, each run's
/// `file` relative to the repository's root (harness.toml in a workspace member), a `time`, a
/// `type` naming the category and a one-line message naming the drifts, and a file written
/// anew on every run.
#[test]
fn junit_for_every_consumer() {
    let have = std::process::Command::new("python3")
        .args(["-c", "import xmlschema"])
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        assert!(
            std::env::var_os("PROVBASE_REQUIRE_XMLSCHEMA").is_none(),
            "xmlschema is required here: `python3 -m pip install xmlschema`"
        );
        eprintln!("note: xmlschema is not installed; `.ci/run` installs it");
        return;
    }
    // a repository whose project is a workspace member
    let repo = Project::new();
    let member = "crates/nav";
    for (rel, text) in [
        (
            "harness.toml",
            format!(
                "{HARNESS}\n[[run]]\nname = \"ok\"\nparams = {{ a = 1 }}\n\n[[run]]\nname = \"new\"\nparams = {{ a = 2 }}\n\n[[run]]\nname = \"broken\"\nstatic_data = [\"nothing/*.csv\"]\n"
            ),
        ),
        ("src/nav/navigate.py", "print('navigate')\n".into()),
        ("src/nav/util/geometry.py", "PI = 3.14159\n".into()),
        (
            "cfg/config_220_body_shape.yaml",
            crate::project::CONFIG_220.into(),
        ),
        (
            "cfg/config_400_inst_coiss.yaml",
            crate::project::CONFIG_400.into(),
        ),
        (
            "cfg/config_410_inst_gossi.yaml",
            crate::project::CONFIG_410.into(),
        ),
    ] {
        repo.file(&format!("{member}/{rel}"), &text);
    }
    repo.git_init().commit_all("start");
    let in_member = |args: &[&str]| {
        let mut cmd = repo.provbase(args);
        cmd.current_dir(repo.join(member));
        cmd.output().unwrap()
    };
    assert!(
        in_member(&["accept", "coiss-N1597846115", "ok"])
            .status
            .success()
    );
    repo.file(
        &format!("{member}/cfg/config_220_body_shape.yaml"),
        "tuned: 1\n",
    );
    repo.file(&format!("{member}/baselines/orphan.json"), "{}\n");
    let out = in_member(&["--junit", "report.xml", "check"]);
    assert_eq!(out.status.code(), Some(1));
    let xml_path = repo.join(&format!("{member}/report.xml"));
    // an mtime long past: a report written anew, however soon, is newer
    let first = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    std::fs::File::options()
        .write(true)
        .open(&xml_path)
        .unwrap()
        .set_modified(first)
        .unwrap();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let read = std::process::Command::new("python3")
        .arg(root.join("tests/tools/validate_junit.py"))
        .arg(root.join("tests/fixtures/junit/junit-10.xsd"))
        .arg(&xml_path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&read.stdout);
    assert!(read.status.success(), "{text}");
    let cases: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let by_name = |n: &str| {
        cases
            .iter()
            .find(|c| c["name"] == n)
            .unwrap_or_else(|| panic!("{n}: {text}"))
    };
    let drifted = by_name("coiss-N1597846115");
    if std::env::var_os("PROVBASE_REQUIRE_XMLSCHEMA").is_some() {
        // .ci/run installs junitparser too, which read every case alike
        assert!(cases.iter().all(|c| c["junitparser"] == true), "{text}");
    }
    assert_eq!(drifted["result"], "failed");
    assert_eq!(drifted["type"], "static_data");
    assert_eq!(
        drifted["file"],
        "crates/nav/baselines/coiss-N1597846115.json"
    );
    assert_eq!(
        drifted["gitlab_file"], drifted["file"],
        "GitLab reads the case's"
    );
    // a run with no baseline, or that could not be checked, points at its [[run]]
    let harness = repo.read(&format!("{member}/harness.toml"));
    let run_line = |name: &str| {
        let lines: Vec<&str> = harness.lines().collect();
        let at = lines
            .iter()
            .position(|l| *l == format!("name = \"{name}\""))
            .unwrap();
        assert_eq!(lines[at - 1], "[[run]]");
        at.to_string()
    };
    for name in ["new", "broken"] {
        let case = by_name(name);
        assert_eq!(case["gitlab_file"], "crates/nav/harness.toml", "{case}");
        assert_eq!(case["file"], "crates/nav/harness.toml", "{case}");
        assert_eq!(case["line"], run_line(name).as_str(), "{case}");
    }
    assert_eq!(
        by_name("provbase::orphans")["gitlab_file"],
        "crates/nav/baselines/orphan.json"
    );
    assert_eq!(
        drifted["message"],
        "drifted: static_data cfg/config_220_body_shape.yaml"
    );
    assert!(
        drifted["details"]
            .as_str()
            .unwrap()
            .contains("To accept: provbase accept coiss-N1597846115")
    );
    assert!(drifted["time"].as_f64().unwrap() > 0.0);
    assert_eq!(by_name("ok")["result"], "passed");
    assert_eq!(by_name("new")["type"], "missing");
    let broken = by_name("broken");
    assert_eq!(broken["type"], "error");
    assert!(
        broken["message"]
            .as_str()
            .unwrap()
            .contains("no file matches"),
        "{broken}"
    );
    assert!(!broken["message"].as_str().unwrap().contains('\n'));
    assert_eq!(by_name("provbase::orphans")["type"], "orphan");
    // the annotations name the same file
    let out = repo
        .provbase(&["check"])
        .current_dir(repo.join(member))
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("::error file=crates/nav/baselines/coiss-N1597846115.json,"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // written anew, even with the same content
    in_member(&["--junit", "report.xml", "check", "ok"]);
    in_member(&["--junit", "report.xml", "check", "ok"]);
    let again = std::fs::metadata(&xml_path).unwrap().modified().unwrap();
    assert!(again > first, "a fresh file on every run");
}

/// Flags that would do nothing are refused; an orphan baseline gets an annotation and a row;
/// a run that could not be checked is not told to accept.
#[test]
fn refused_flags_orphan_annotations_and_error_hints() {
    let p = drifted();
    for args in [
        &["--junit", "j.xml", "accept"][..],
        &["--junit", "j.xml", "diff", "a", "b"],
        &["--junit", "j.xml", "list"],
        &["--junit", "j.xml", "digest", "harness.toml"],
        &["--format", "json", "accept"],
        &["--format", "json", "prune"],
    ] {
        let (code, _, err) = p.run(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(
            err.contains("--junit") || err.contains("--format"),
            "{args:?}: {err}"
        );
    }
    assert!(!p.join("j.xml").exists());
    p.file("baselines/orphan.json", "{}\n");
    p.file(
        "harness.toml",
        &format!("{HARNESS}\n[[run]]\nname = \"broken\"\nstatic_data = [\"none/*.csv\"]\n"),
    );
    let out = p
        .provbase(&["check"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", p.join("summary.md"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("::error file=baselines/orphan.json,title=provbase%3A orphan baseline::"),
        "{err}"
    );
    let broken = err
        .lines()
        .find(|l| l.contains("broken could not be checked"))
        .expect(&err);
    assert!(!broken.contains("To accept"), "{broken}");
    let summary = p.read("summary.md");
    assert!(
        summary.contains("| `baselines/orphan.json` | ❌ orphan |"),
        "{summary}"
    );
}

/// A file an earlier run hashed, rewritten by a later run's pipeline command: the later run
/// records what the command left, not what the process remembered.
#[test]
fn a_file_rewritten_by_a_later_runs_command_is_hashed_again() {
    let p = Project::new();
    p.file("data.txt", "old\n");
    p.file(
        "harness.toml",
        "[[run]]\nname = \"first\"\nhardware = false\nstatic_data = [\"data.txt\"]\n\n\
         [[run]]\nname = \"second\"\nhardware = false\nstatic_data = [\"data.txt\"]\n\
         command = [\"sh\", \"-c\", \"printf 'new\\\\n' > data.txt\"]\n",
    );
    let (code, out, err) = p.run(&["accept"]);
    assert_eq!(code, 0, "{out}{err}");
    let hash = |run: &str| {
        let b: serde_json::Value = serde_json::from_str(&p.baseline_of(run)).unwrap();
        b["static_data_hashes"]["data.txt"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let sha = |text: &str| provbase::canonical::sha256_tagged(text.as_bytes());
    assert_eq!(p.read("data.txt"), "new\n");
    assert_eq!(hash("first"), sha("old\n"));
    assert_eq!(hash("second"), sha("new\n"), "hashed after its command ran");
}
