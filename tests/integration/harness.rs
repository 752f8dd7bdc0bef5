//! The libtest-mimic front door, run in process and as the project's own `baselines` binary.

use crate::project::{Project, hermetic};

/// (passed, failed, filtered out) from libtest's closing line.
fn counts(out: &str) -> (u32, u32, u32) {
    let line = out
        .lines()
        .find(|l| l.starts_with("test result:"))
        .unwrap_or_else(|| panic!("no result line: {out}"));
    let num = |what: &str| {
        line.split(';')
            .find(|p| p.trim_end().ends_with(what))
            .and_then(|p| {
                p.split_whitespace()
                    .rev()
                    .nth(what.split(' ').count())?
                    .parse()
                    .ok()
            })
            .unwrap_or_else(|| panic!("{what} in {line}"))
    };
    (num("passed"), num("failed"), num("filtered out"))
}

#[test]
fn one_trial_per_run_and_accept_then_check() {
    let p = Project::nav_with_second_run();
    let (code, out) = run_binary(&p, &[], &[]);
    // two runs without baselines fail; the orphan trial passes
    assert_eq!((code, counts(&out)), (101, (1, 2, 0)), "{out}");
    assert!(!p.join("baselines").exists(), "no accept, no write");

    let (code, out) = run_binary(&p, &["--accept"], &[]);
    assert_eq!((code, counts(&out)), (0, (3, 0, 0)), "{out}");
    assert!(
        out.contains("provbase: accepted baselines/second.json"),
        "{out}"
    );
    assert!(p.join("baselines/second.json").is_file());

    let (code, out) = run_binary(&p, &[], &[]);
    assert_eq!((code, counts(&out)), (0, (3, 0, 0)), "{out}");

    p.file("src/nav/navigate.py", "changed\n");
    let (_, out) = run_binary(&p, &[], &[]);
    assert_eq!(counts(&out), (2, 1, 0), "{out}");
    // a filter runs only the matching trial (the orphan trial does not match it)
    let (_, out) = run_binary(&p, &["second"], &[]);
    assert_eq!(counts(&out), (1, 0, 2), "{out}");
    let (_, out) = run_binary(&p, &["--exact", "coiss-N1597846115"], &[]);
    assert_eq!(counts(&out), (0, 1, 2), "{out}");

    p.file("baselines/gone.json", "{}\n");
    let (_, out) = run_binary(&p, &["--exact", provbase::harness::ORPHANS_TRIAL], &[]);
    assert_eq!(counts(&out), (0, 1, 2), "{out}");
    assert!(
        out.contains("baselines/gone.json") && out.contains("provbase prune --yes"),
        "{out}"
    );
}

#[test]
fn listing_collects_nothing() {
    let p = Project::nav();
    // a glob that matches nothing would fail any collection; listing must not notice
    p.file(
        "harness.toml",
        &crate::project::HARNESS.replace("cfg/config_220_*.yaml", "cfg/none_*.yaml"),
    );
    let (code, out) = run_binary(&p, &["--list"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("coiss-N1597846115: test"), "{out}");
    assert!(!p.join("baselines").exists());
    let (code, out) = run_binary(&p, &[], &[]);
    assert_eq!(code, 101);
    assert!(
        out.contains("no file matches `static_data` glob `cfg/none_*.yaml`"),
        "{out}"
    );
}

/// The variable that makes this test binary the `baselines` harness: the harness's arguments,
/// one per line.
pub const AS_HARNESS: &str = "PROVBASE_TEST_AS_HARNESS";

/// The test that runs the harness when this binary is started as one.
pub const HARNESS_TEST: &str = "harness::this_binary_is_the_harness_when_asked";

/// The `baselines` harness as a process of its own: this test binary, run again with only
/// [`HARNESS_TEST`] selected, which runs `provbase::harness` with the arguments given and exits
/// with its status. No other binary is needed, so `cargo test --test integration` alone runs
/// these tests. (libtest prints one `running 1 test` line first.)
pub fn harness_command(args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([HARNESS_TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(AS_HARNESS, args.join("\n"));
    cmd
}

#[test]
fn this_binary_is_the_harness_when_asked() {
    if let Some(args) = std::env::var_os(AS_HARNESS) {
        let args = args.to_string_lossy().into_owned();
        let args = std::iter::once("baselines").chain(args.split('\n').filter(|a| !a.is_empty()));
        let code = provbase::harness::Harness::new().exit_status(args);
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        std::process::exit(code.into());
    }
    // run normally: the harness process lists a project's runs
    let p = Project::nav();
    let (code, out) = run_binary(&p, &["--list"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("coiss-N1597846115: test"), "{out}");
}

fn run_binary(p: &Project, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = harness_command(args);
    hermetic(cmd.current_dir(p.path())).env_remove("NEXTEST");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn the_cargo_front_door_end_to_end() {
    let p = Project::nav();
    // listing as nextest does it
    let (code, out) = run_binary(&p, &["--list", "--format", "terse"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("coiss-N1597846115: test") && out.contains("provbase::orphans: test"),
        "{out}"
    );

    let (code, out) = run_binary(&p, &[], &[]);
    assert_eq!(code, 101, "{out}");
    assert!(
        out.contains("cargo test --test baselines -- --accept --exact coiss-N1597846115"),
        "{out}"
    );

    // nextest passes no extra arguments: the environment asks for accept
    let (code, out) = run_binary(
        &p,
        &["--exact", "coiss-N1597846115"],
        &[("PROVBASE_ACCEPT", "1")],
    );
    assert_eq!(code, 0, "{out}");
    assert!(p.join("baselines/coiss-N1597846115.json").is_file());

    p.file("cfg/config_220_body_shape.yaml", "changed: true\n");
    let (code, out) = run_binary(&p, &["--exact", "coiss-N1597846115"], &[("NEXTEST", "1")]);
    assert_eq!(code, 101, "{out}");
    assert!(
        out.contains("static_data  cfg/config_220_body_shape.yaml  sha256:04409dd3… → sha256:"),
        "{out}"
    );
    assert!(
        out.contains("PROVBASE_ACCEPT=1 cargo nextest run --test baselines"),
        "{out}"
    );

    // libtest's json format keeps working
    let (_, out) = run_binary(&p, &["--format", "json", "-Z", "unstable-options"], &[]);
    assert!(out.contains("\"type\": \"test\""), "{out}");

    // a broken harness.toml is exit 2, not a panic
    p.file("harness.toml", "[[run]]\nnme = 1\n");
    let (code, out) = run_binary(&p, &[], &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("harness.toml:2: unknown field `nme`"), "{out}");
}

#[cfg(unix)]
#[test]
fn facts_are_collected_once_per_process_and_never_when_listing() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::nav_with_second_run();
    // a stand-in nvidia-smi that counts its calls (each `echo` adds a line)
    p.file(
        "bin/nvidia-smi",
        &format!(
            "#!/bin/sh\necho called >> '{}'\nexit 1\n",
            p.join("calls").display()
        ),
    );
    std::fs::set_permissions(
        p.join("bin/nvidia-smi"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        p.join("bin").display(),
        std::env::var("PATH").unwrap()
    );
    // NVML off, so that the stand-in is called on a machine with an NVIDIA driver too
    let no_nvml = p.join("no-such-libnvidia-ml.so.1");
    let no_nvml = no_nvml.to_str().unwrap();
    let env = [("PATH", path.as_str()), ("PROVBASE_NVML_LIBRARY", no_nvml)];
    let (code, out) = run_binary(&p, &["--list"], &env);
    assert_eq!(code, 0, "{out}");
    assert!(!p.join("calls").exists(), "listing collected hardware");
    let (_, out) = run_binary(&p, &["--accept"], &env);
    assert_eq!(counts(&out), (3, 0, 0), "{out}");
    assert_eq!(
        p.read("calls").lines().count(),
        1,
        "two runs, one hardware collection"
    );
}

#[test]
fn the_cargo_front_door_writes_junit_and_github_output() {
    let p = Project::nav();
    run_binary(&p, &["--accept"], &[]);
    p.file("cfg/config_220_body_shape.yaml", "changed: true\n");
    let junit = p.join("target/provbase.xml");
    let summary = p.join("summary.md");
    let (code, out) = run_binary(
        &p,
        &[],
        &[
            ("PROVBASE_JUNIT", junit.to_str().unwrap()),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ],
    );
    assert_eq!(code, 101, "{out}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testcase name=\"coiss-N1597846115\"") && xml.contains("<failure"),
        "{xml}"
    );
    assert!(
        xml.contains("cargo test --test baselines -- --accept --exact coiss-N1597846115"),
        "{xml}"
    );
    assert!(
        out.contains("::error file=baselines/coiss-N1597846115.json"),
        "{out}"
    );
    assert!(
        std::fs::read_to_string(&summary)
            .unwrap()
            .contains("| coiss-N1597846115 | ❌ fail |")
    );
    // a run of no test replaces the file: a reporter never reads an earlier run's failures
    let (code, out) = run_binary(
        &p,
        &["no-such-run"],
        &[("PROVBASE_JUNIT", junit.to_str().unwrap())],
    );
    assert_eq!(code, 0, "{out}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("tests=\"0\"") && !xml.contains("<failure"),
        "{xml}"
    );
    // listing writes nothing
    std::fs::remove_file(&junit).unwrap();
    run_binary(
        &p,
        &["--list"],
        &[("PROVBASE_JUNIT", junit.to_str().unwrap())],
    );
    assert!(!junit.exists());
}

#[test]
fn a_profile_chosen_by_environment_under_cargo() {
    let p = Project::nav();
    p.file(
        "harness.toml",
        &format!(
            "[profile.nightly]\nbaselines = \"baselines/nightly-gpu\"\n\n{}",
            crate::project::HARNESS
        ),
    );
    let (code, out) = run_binary(&p, &["--accept"], &[("PROVBASE_PROFILE", "nightly")]);
    assert_eq!(code, 0, "{out}");
    assert!(
        p.join("baselines/nightly-gpu/coiss-N1597846115.json")
            .is_file()
    );
    assert!(!p.join("baselines/coiss-N1597846115.json").exists());
    let (code, out) = run_binary(&p, &[], &[]);
    assert_eq!(code, 101, "the default profile has no baseline yet: {out}");
    p.file("cfg/config_220_body_shape.yaml", "changed\n");
    let (_, out) = run_binary(&p, &[], &[("PROVBASE_PROFILE", "nightly")]);
    assert!(out.contains("PROVBASE_PROFILE=nightly cargo test --test baselines -- --accept --exact coiss-N1597846115"), "{out}");
    let (code, out) = run_binary(&p, &[], &[("PROVBASE_PROFILE", "weekly")]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("unknown profile `weekly`") && out.contains("nightly"),
        "{out}"
    );
}

/// Under cargo-nextest, one process per trial: the step summary is still one table.
#[test]
fn under_nextest_the_step_summary_is_one_table() {
    let p = Project::nav_with_second_run();
    run_binary(&p, &["--accept"], &[]);
    p.file("cfg/config_220_body_shape.yaml", "changed: true\n");
    let summary = p.join("summary.md");
    for trial in ["coiss-N1597846115", "second", "provbase::orphans"] {
        let mut cmd = harness_command(&["--exact", trial]);
        hermetic(cmd.current_dir(p.path()))
            .env("NEXTEST", "1")
            .env("NEXTEST_RUN_ID", "run-1")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary);
        cmd.output().unwrap();
    }
    let text = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(text.matches("### provbase").count(), 1, "{text}");
    assert_eq!(
        text.matches("| run | status | drifted |").count(),
        1,
        "{text}"
    );
    assert!(
        text.contains("| coiss-N1597846115 | ❌ fail | static_data (1) |"),
        "{text}"
    );
    assert!(text.contains("| second | ✅ pass |  |"), "{text}");
    // the rows follow the header: one table
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("| run"))
        .collect();
    assert!(table.iter().all(|l| l.starts_with('|')), "{text}");
}

/// Both front doors report the same scenario the same way: JUnit, annotations and the step
/// summary, up to the accept command each prints and the times.
#[test]
fn both_front_doors_report_alike() {
    let p = Project::nav_with_second_run();
    run_binary(&p, &["--accept"], &[]);
    p.file("cfg/config_220_body_shape.yaml", "changed: true\n");
    p.file("baselines/orphan.json", &p.baseline());
    let normalize = |text: &str| -> String {
        let mut out = text
            .replace(
                "cargo test --test baselines -- --accept --exact ",
                "ACCEPT ",
            )
            .replace("provbase accept ", "ACCEPT ");
        for attr in ["time=\"", "timestamp=\""] {
            while let Some(at) = out.find(attr) {
                let end = out[at + attr.len()..].find('"').unwrap() + at + attr.len();
                out.replace_range(at..=end, "");
            }
        }
        out
    };
    let (cli_summary, harness_summary) = (p.join("cli.md"), p.join("harness.md"));
    let cli = p
        .provbase(&["--junit", "cli.xml", "check"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &cli_summary)
        .output()
        .unwrap();
    let mut cmd = harness_command(&[]);
    hermetic(cmd.current_dir(p.path()))
        .env_remove("NEXTEST")
        .env("PROVBASE_JUNIT", p.join("harness.xml"))
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &harness_summary);
    let harness = cmd.output().unwrap();
    assert_eq!(cli.status.code(), Some(1));
    assert_eq!(harness.status.code(), Some(101));
    assert_eq!(
        normalize(&p.read("cli.xml")),
        normalize(&p.read("harness.xml")),
        "the same JUnit"
    );
    let annotations = |o: &std::process::Output| -> Vec<String> {
        let mut v: Vec<String> = String::from_utf8_lossy(&o.stderr)
            .lines()
            .chain(String::from_utf8_lossy(&o.stdout).lines())
            .filter(|l| l.starts_with("::"))
            .map(normalize)
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        annotations(&cli),
        annotations(&harness),
        "the same annotations"
    );
    assert!(!annotations(&cli).is_empty());
    assert_eq!(
        std::fs::read_to_string(&cli_summary).unwrap(),
        std::fs::read_to_string(&harness_summary).unwrap(),
        "the same step summary"
    );
}

/// One options layer: a variable with a value provbase cannot take is an error naming it, from
/// either front door; CLICOLOR_FORCE colours a pipe, NO_COLOR wins over it.
#[test]
fn bad_variables_are_named_by_both_doors() {
    let p = Project::nav();
    for (name, value) in [
        ("PROVBASE_ACCEPT", "maybe"),
        ("PROVBASE_NO_CACHE", "perhaps"),
        ("PROVBASE_HASH_THREADS", "0"),
    ] {
        let (code, out) = run_binary(&p, &[], &[(name, value)]);
        assert_eq!(code, 2, "{name}: {out}");
        assert!(
            out.contains(&format!("{name}=\"{value}\": expected")),
            "{out}"
        );
        let out = p.provbase(&["check"]).env(name, value).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(
            err.contains(&format!("{name}=\"{value}\": expected")),
            "{err}"
        );
    }
    p.run(&["accept"]);
    p.file("cfg/config_220_body_shape.yaml", "changed: true\n");
    let out = p
        .provbase(&["check"])
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("\x1b["));
    let out = p
        .provbase(&["check"])
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("\x1b["));
}

/// In a workspace, cargo runs a member's tests in the member's folder: a relative
/// `PROVBASE_JUNIT` lands where `cargo test` was typed, the workspace's root.
#[test]
fn a_relative_junit_path_is_taken_from_the_workspace_root() {
    let ws = Project::new();
    ws.file("Cargo.toml", "[workspace]\nmembers = [\"crates/nav\"]\n");
    ws.file("crates/nav/harness.toml", crate::project::HARNESS)
        .file("crates/nav/src/nav/navigate.py", "print('navigate')\n")
        .file(
            "crates/nav/cfg/config_220_body_shape.yaml",
            crate::project::CONFIG_220,
        )
        .file(
            "crates/nav/cfg/config_400_inst_coiss.yaml",
            crate::project::CONFIG_400,
        );
    let mut cmd = harness_command(&[]);
    hermetic(cmd.current_dir(ws.join("crates/nav")))
        .env_remove("NEXTEST")
        .env("PROVBASE_JUNIT", "target/provbase.xml");
    cmd.output().unwrap();
    assert!(ws.join("target/provbase.xml").is_file());
    assert!(!ws.join("crates/nav/target/provbase.xml").exists());
}

/// `--twice` under cargo as with the CLI: each run collected twice, a failing trial naming the
/// volatile field and its strip selector.
#[test]
fn twice_under_cargo() {
    let p = Project::nav();
    p.file(
        "stamp.py",
        "import json, time\nprint(json.dumps({'started_ns': str(time.time_ns()), 'model': 'v3'}))\n",
    );
    p.file(
        "harness.toml",
        &format!(
            "{}\n[run.external.train]\ncommand = [\"python3\", \"stamp.py\"]\n",
            crate::project::HARNESS
        ),
    );
    let (code, out) = run_binary(&p, &["--twice"], &[]);
    assert_eq!(code, 101, "{out}");
    assert!(
        out.contains("volatile  coiss-N1597846115  external.train.started_ns")
            && out.contains("add to [harness] strip: \"external.train.started_ns\""),
        "{out}"
    );
    assert!(!out.contains("provbase::orphans"), "{out}");
    let (_, cli, _) = p.run(&["check", "--twice"]);
    assert!(
        cli.contains("volatile  coiss-N1597846115  external.train.started_ns"),
        "{cli}"
    );
}
