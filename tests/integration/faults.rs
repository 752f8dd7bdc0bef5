//! Faults and hostile input: concurrent accepts, killed writes, file modes, prune's reach.

use crate::project::{Project, hermetic};
use std::time::{Duration, Instant};

/// The external command sleeps while a marker file exists (removing it), so that one accept
/// can be held between collecting and writing.
const SLOW: &str = r#"[[run]]
name = "r"
hardware = false
static_data = ["data.txt"]

[run.external.gate]
command = ["sh", "-c", "if [ -f slow ]; then rm slow; sleep 3; fi; echo '{}'"]
"#;

#[test]
fn two_accepts_never_lose_an_update() {
    let p = Project::new();
    p.file("harness.toml", SLOW).file("data.txt", "v: 2\n");
    p.file("slow", "");
    let mut a = std::process::Command::new(env!("CARGO_BIN_EXE_provbase"));
    hermetic(a.arg("accept").current_dir(p.path()));
    let a = a
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A has hashed data.txt once the gate removed its marker
    let started = Instant::now();
    while p.join("slow").exists() {
        assert!(started.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(20));
    }
    p.file("data.txt", "v: 3\n");
    let (code, _, err) = p.run(&["accept"]);
    assert_eq!(code, 0, "{err}");
    let written_by_b = p.baseline_of("r");
    let a = a.wait_with_output().unwrap();
    let a_err = String::from_utf8_lossy(&a.stderr);
    assert_eq!(a.status.code(), Some(1), "A must refuse: {a_err}");
    assert!(
        a_err.contains("changed while this accept was collecting"),
        "{a_err}"
    );
    assert_eq!(p.baseline_of("r"), written_by_b, "B's update is kept");
    assert_eq!(p.run(&["check"]).0, 0, "the baseline is today's data");
}

#[test]
fn a_killed_accepts_temporary_files_are_removed_by_the_next() {
    let p = Project::new();
    p.file(
        "harness.toml",
        "[[run]]\nname = \"r\"\nhardware = false\nparams = { a = 1 }\n",
    );
    p.file("baselines/.provbase-k1Ll3d.tmp", "{\"half\": ");
    p.file("baselines/.provbase-Zz9.tmp", "");
    p.file("baselines/keep.tmp", "not ours");
    // in the folders writers share without a lock, those not written to for a long time
    for rel in [
        ".prov/trees/.provbase-a1.tmp",
        ".prov/cache/folders/.provbase-b2.tmp",
        ".prov/cache/.provbase-c3.tmp",
    ] {
        p.file(rel, "half");
        crate::project::abandon(&p.join(rel));
    }
    p.file(".prov/trees/.provbase-being-written.tmp", "half");
    assert_eq!(p.run(&["accept"]).0, 0);
    for gone in [
        ".prov/trees/.provbase-a1.tmp",
        ".prov/cache/folders/.provbase-b2.tmp",
        ".prov/cache/.provbase-c3.tmp",
    ] {
        assert!(!p.join(gone).exists(), "{gone}");
    }
    assert!(
        p.join(".prov/trees/.provbase-being-written.tmp").exists(),
        "a file another process may still be writing stays"
    );
    let mut left: Vec<String> = std::fs::read_dir(p.join("baselines"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["keep.tmp", "r.json"]);
}

#[cfg(unix)]
fn mode(p: &Project, rel: &str) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p.join(rel)).unwrap().permissions().mode() & 0o777
}

/// A new baseline follows the umask; a rewritten one keeps its mode.
#[cfg(unix)]
#[test]
fn baselines_follow_the_umask_and_keep_their_mode() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::new();
    p.file(
        "harness.toml",
        "[[run]]\nname = \"r\"\nhardware = false\nstatic_data = [\"d\"]\n",
    )
    .file("d", "1");
    let accept_with_umask = |umask: &str| {
        let mut cmd = std::process::Command::new("sh");
        cmd.args(["-c", &format!("umask {umask} && exec \"$0\" accept")])
            .arg(env!("CARGO_BIN_EXE_provbase"));
        let out = hermetic(cmd.current_dir(p.path())).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    accept_with_umask("022");
    assert_eq!(mode(&p, "baselines/r.json"), 0o644);
    std::fs::set_permissions(
        p.join("baselines/r.json"),
        std::fs::Permissions::from_mode(0o664),
    )
    .unwrap();
    p.file("d", "2");
    accept_with_umask("077");
    assert!(p.baseline_of("r").contains("\"d\""));
    assert_eq!(
        mode(&p, "baselines/r.json"),
        0o664,
        "a rewrite keeps the mode"
    );
    std::fs::remove_file(p.join("baselines/r.json")).unwrap();
    accept_with_umask("027");
    assert_eq!(mode(&p, "baselines/r.json"), 0o640);
}

/// prune deletes only files that are provbase baselines, and says what it skipped.
#[test]
fn prune_deletes_only_baselines() {
    let p = Project::new();
    p.file(
        "harness.toml",
        "[[run]]\nname = \"old\"\nhardware = false\nparams = { a = 1 }\n",
    );
    assert_eq!(p.run(&["accept"]).0, 0);
    p.file(
        "harness.toml",
        "[[run]]\nname = \"new\"\nhardware = false\nparams = { a = 1 }\n",
    );
    p.file("baselines/package.json", "{\"name\": \"web\"}\n");
    p.file("baselines/tsconfig.json", "{ not json\n");
    let (code, out, err) = p.run(&["prune", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("removed baselines/old.json"), "{out}");
    assert!(
        out.contains("skipped baselines/package.json: not a provbase baseline"),
        "{out}"
    );
    assert!(out.contains("skipped baselines/tsconfig.json"), "{out}");
    assert!(!p.join("baselines/old.json").exists());
    assert_eq!(p.read("baselines/package.json"), "{\"name\": \"web\"}\n");
    assert!(p.join("baselines/tsconfig.json").exists());
    // a baselines folder that is the project's root is refused before anything is touched
    p.file(
        "harness.toml",
        "[harness]\nbaselines = \".\"\n[[run]]\nname = \"new\"\nparams = { a = 1 }\n",
    );
    let (code, _, err) = p.run(&["prune", "--yes"]);
    assert_eq!(code, 2);
    assert!(err.contains("harness.toml:2:"), "{err}");
    assert!(p.join("baselines/package.json").exists());
}

/// A pipeline command that leaves a process holding its output fails at its timeout instead
/// of waiting for that process.
#[test]
fn a_command_with_a_grandchild_holding_stdout_fails_at_its_timeout() {
    let p = Project::new();
    p.file(
        "harness.toml",
        "[[run]]\nname = \"r\"\nhardware = false\ncommand = [\"bash\", \"-c\", \"(sleep 60 &); echo A\"]\ntimeout = \"2s\"\n\n[run.external.x]\ncommand = [\"echo\", \"{}\"]\n",
    );
    let started = Instant::now();
    let (code, _, err) = p.run(&["accept"]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("timed out after 2s"), "{err}");
    assert!(err.contains("harness.toml line 4"), "{err}");
}

/// Every planted secret of the issue, through every door that writes: baselines, check in
/// every format (human, JSON, JUnit, GitHub annotations and step summary), record with a
/// params file, bundle, in-toto. A grep over every byte provbase wrote and printed finds none;
/// a rotated secret still drifts.
#[test]
fn planted_secrets_reach_no_byte_provbase_writes() {
    const SECRETS: &[&str] = &[
        "pw-db-s3cret",
        "ghp_R8xQ2kLmN4pV7sT1wY3zA5bC9dE0fG6hJ2kL",
        "hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345",
        "AKIAIOSFODNN7EXAMPLE",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlF",
        "nccl-s3cret",
        "toml-pass",
        "hub-t0ken-value",
        "params-file-key",
        "wandb-k3y-value",
        "ext-bearer-value",
    ];
    let p = Project::new();
    p.git_init();
    p.file(
        "harness.toml",
        r#"[[run]]
name = "r"
hardware = false
static_data = ["data.txt"]
env = ["DATABASE_URL", "DEPLOY_VALUE", "HF_HOME_X", "AWS_ID", "SESSION_JWT"]
params = { password = "toml-pass", hub = { token = "hub-t0ken-value" }, seed = 1 }

[run.external.ext]
command = ["sh", "-c", "echo '{\"wandb_api_key\": \"wandb-k3y-value\", \"auth\": {\"bearer\": \"ext-bearer-value\"}, \"ok\": 1}'"]
"#,
    )
    .file("data.txt", "1")
    .file("params.yaml", "lr: 0.1\napi_key: params-file-key\n")
    .file(".gitignore", ".prov/\nout/\nbundle/\njunit.xml\nsummary.md\nintoto.json\n");
    p.commit_all("start");
    let env = |cmd: &mut assert_cmd::Command, deploy: &str| {
        cmd.env("DATABASE_URL", "postgres://u:pw-db-s3cret@db.internal/x")
            .env("DEPLOY_VALUE", deploy)
            .env("HF_HOME_X", SECRETS[2])
            .env("AWS_ID", SECRETS[3])
            .env("SESSION_JWT", SECRETS[4])
            .env("NCCL_COMM_URL", "tcp://root:nccl-s3cret@10.0.0.1:29500")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", p.join("summary.md"));
    };
    let printed = std::cell::RefCell::new(String::new());
    let go = |args: &[&str], deploy: &str| {
        let mut cmd = p.provbase(args);
        env(&mut cmd, deploy);
        let out = cmd.output().unwrap();
        let mut printed = printed.borrow_mut();
        printed.push_str(&String::from_utf8_lossy(&out.stdout));
        printed.push_str(&String::from_utf8_lossy(&out.stderr));
        out.status.code().unwrap_or(-1)
    };
    // GITHUB_ACTIONS is set (for the annotations), so accept must be forced
    assert_eq!(go(&["accept", "--force"], SECRETS[1]), 0);
    assert_eq!(go(&["check"], SECRETS[1]), 0);
    // rotated: it drifts, and neither the old nor the new value is shown
    let rotated = "ghp_Z9yX8wV7uT6sR5qP4oN3mL2kJ1iH0gF9eD8c";
    assert_eq!(go(&["check"], rotated), 1, "a rotated secret drifts");
    assert!(
        printed.borrow().contains("DEPLOY_VALUE"),
        "{}",
        printed.borrow()
    );
    assert_eq!(go(&["--format", "json", "check"], rotated), 1);
    assert_eq!(go(&["--junit", "junit.xml", "check"], rotated), 1);
    assert_eq!(
        go(
            &[
                "record",
                "--name",
                "t",
                "--params",
                "params.yaml",
                "--",
                "sh",
                "-c",
                "echo done"
            ],
            rotated
        ),
        0
    );
    assert_eq!(go(&["bundle", "bundle", "--run", "r"], rotated), 0);
    assert_eq!(go(&["export", "--in-toto", "r"], rotated), 0);
    let printed = printed.into_inner();
    assert!(printed.contains("<redacted:"), "{printed}");
    let rotated_all: Vec<&str> = SECRETS.iter().copied().chain([rotated]).collect();
    for s in &rotated_all {
        assert!(!printed.contains(s), "{s} printed:\n{printed}");
    }
    let mut files = Vec::new();
    provbase::collect::files::walk(p.path(), &mut files).unwrap();
    let mut read = 0;
    for f in &files {
        if f.components().any(|c| c.as_os_str() == ".git") {
            continue;
        }
        let rel = f.strip_prefix(p.path()).unwrap();
        if ["harness.toml", "params.yaml"].contains(&rel.to_str().unwrap()) {
            continue;
        }
        read += 1;
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        for s in &rotated_all {
            assert!(!text.contains(s), "{s} in {}", rel.display());
        }
    }
    assert!(read >= 10, "{files:?}");
    let baseline = p.baseline_of("r");
    for key in [
        "DATABASE_URL",
        "DEPLOY_VALUE",
        "NCCL_COMM_URL",
        "wandb_api_key",
        "password",
    ] {
        assert!(baseline.contains(key), "{key} is recorded by name");
    }
    assert!(baseline.contains("postgres://<redacted:"), "{baseline}");
}

/// A technique command that prints nothing fails the run unless the run allows it; a huge
/// "name" is refused.
#[test]
fn empty_is_not_a_value() {
    let p = Project::new();
    let cfg = |extra: &str, cmd: &str| {
        format!(
            "[[run]]\nname = \"r\"\nhardware = false\ntechniques = {{ command = [\"sh\", \"-c\", \"{cmd}\"]{extra} }}\n"
        )
    };
    p.file("harness.toml", &cfg("", "true"));
    let (code, _, err) = p.run(&["accept"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("printed no names") && err.contains("allow_empty"),
        "{err}"
    );
    assert!(!p.join("baselines/r.json").exists());
    p.file("harness.toml", &cfg(", allow_empty = true", "true"));
    assert_eq!(p.run(&["accept"]).0, 0);
    assert!(p.baseline_of("r").contains("\"technique_names\": []"));
    p.file("harness.toml", &cfg("", "printf %0100000d 0"));
    let (code, out, err) = p.run(&["check"]);
    assert_ne!(code, 0);
    assert!(
        (out.clone() + &err).contains("a name of 100000 bytes"),
        "{out}{err}"
    );
}

/// JSON outputs compared within a tolerance keep their integers exact: a change in the last
/// digit of an integer beyond 2^53 is drift; a tolerance on its key still applies.
#[test]
fn outputs_keep_their_exact_numbers() {
    let p = Project::new();
    let cfg = |tol: &str| {
        format!(
            "[[run]]\nname = \"r\"\nhardware = false\noutputs = [\"out.json\"]\n[run.outputs_tolerance]\n{tol} = {{ abs = 1e-4 }}\n"
        )
    };
    p.file("harness.toml", &cfg("offset"));
    p.file(
        "out.json",
        "{\"count\": 18446744073709551617, \"offset\": 0.5}\n",
    );
    assert_eq!(p.run(&["accept"]).0, 0);
    assert!(p.baseline_of("r").contains("\"18446744073709551617\""));
    p.file(
        "out.json",
        "{\"count\": 18446744073709551616, \"offset\": 0.50001}\n",
    );
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    let drift_lines: Vec<&str> = out.lines().filter(|l| l.contains(" → ")).collect();
    assert_eq!(drift_lines.len(), 1, "{out}");
    assert!(drift_lines[0].contains(".count"), "{out}");
    // a tolerance on the big integer's key compares it as the number it is
    p.file("harness.toml", &cfg("count"));
    p.file(
        "out.json",
        "{\"count\": 18446744073709551617, \"offset\": 0.5}\n",
    );
    assert_eq!(p.run(&["accept"]).0, 0);
    p.file(
        "out.json",
        "{\"count\": 18446744073709551616, \"offset\": 0.5}\n",
    );
    assert_eq!(p.run(&["check"]).0, 0);
}

/// A FIFO where a regular file is expected — a baseline, the config, a metakernel, a params
/// file, a `digest` argument — is an error at once, never a wait.
#[cfg(unix)]
#[test]
fn fifos_never_block() {
    use rustix::fs::{CWD, FileType, Mode, mknodat};
    let p = Project::new();
    p.file(
        "harness.toml",
        "[[run]]\nname = \"r\"\nhardware = false\nparams = { a = 1 }\n",
    );
    let fifo = |rel: &str| {
        let path = p.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let _ = std::fs::remove_file(&path);
        mknodat(CWD, &path, FileType::Fifo, Mode::RUSR | Mode::WUSR, 0).unwrap();
    };
    let within = |args: &[&str]| {
        let started = Instant::now();
        let r = p.run(args);
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{args:?} blocked"
        );
        r
    };
    fifo("baselines/r.json");
    let (code, out, err) = within(&["check"]);
    assert_ne!(code, 0);
    assert!((out + &err).contains("not a regular file"), "check");
    std::fs::remove_file(p.join("baselines/r.json")).unwrap();
    fifo("other.toml");
    let (code, _, err) = within(&["--config", "other.toml", "check"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("other.toml") && err.contains("not a regular file"),
        "{err}"
    );
    fifo("p.json");
    let (code, _, err) = within(&["digest", "p.json"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a regular file"), "{err}");
    let (code, _, err) = within(&["record", "--no-exec", "--params", "p.json", "--", "true"]);
    assert_ne!(code, 0);
    assert!(err.contains("not a regular file"), "{err}");
    fifo("k/mk.tm");
    p.file(
        "harness.toml",
        "[[run]]\nname = \"r\"\nhardware = false\nspice = { metakernel = \"k/mk.tm\" }\n",
    );
    let (code, out, err) = within(&["check"]);
    assert_ne!(code, 0);
    assert!((out + &err).contains("not a regular file"), "metakernel");
    // a FIFO named by a glob, or inside a globbed folder, is an error naming it
    p.file(
        "harness.toml",
        "[[run]]\nname = \"r\"\nhardware = false\nstatic_data = [\"d\"]\n",
    );
    p.file("d/a.txt", "a");
    fifo("d/pipe");
    let (code, out, err) = within(&["check"]);
    assert_ne!(code, 0);
    let all = out + &err;
    assert!(all.contains("d/pipe") && all.contains("FIFO"), "{all}");
}

/// One large file shows a progress bar on a terminal (a pseudo-terminal from `script`), with
/// its bytes moving; nothing when stderr is not a terminal.
#[cfg(target_os = "linux")]
#[test]
fn one_big_file_shows_progress_on_a_terminal() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("`script` (util-linux) runs provbase on a pseudo-terminal here");
    }
    let p = Project::new();
    p.file(
        "harness.toml",
        "[[run]]\nname = \"r\"\nhardware = false\nstatic_data = [\"big.bin\"]\n",
    );
    // sparse: no disk, and this build hashes it for well over the bar's one-second delay
    std::fs::File::create(p.join("big.bin"))
        .unwrap()
        .set_len(if cfg!(debug_assertions) {
            64 << 20
        } else {
            4 << 30
        })
        .unwrap();
    let line = format!(
        "{} --no-cache collect r > /dev/null",
        env!("CARGO_BIN_EXE_provbase")
    );
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"]);
    let out = hermetic(cmd.current_dir(p.path())).output().unwrap();
    assert!(out.status.success());
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("hashing") && shown.contains("0/1 files"),
        "{shown}"
    );
    assert!(shown.contains("MiB"), "bytes move within the file: {shown}");
    // not a terminal: no bar
    let (code, _, err) = p.run(&["--no-cache", "collect", "r"]);
    assert_eq!(code, 0);
    assert!(!err.contains("hashing"), "{err}");
}

/// accept never writes a baseline that check would refuse: a strip selector that removes a
/// field every baseline needs fails the accept (or is a config error naming its line).
#[test]
fn accept_never_writes_what_check_rejects() {
    let p = Project::new();
    for (strip, config_error) in [
        ("format_version", true),
        ("**", true),
        ("code", false),
        ("code.git_sha", false),
        ("params", false),
    ] {
        p.file(
            "harness.toml",
            &format!("[harness]\nstrip = [\"{strip}\"]\n[[run]]\nname = \"r\"\nhardware = false\nparams = {{ a = 1 }}\n"),
        );
        let (code, _, err) = p.run(&["accept"]);
        assert_ne!(code, 0, "{strip}");
        if config_error {
            assert!(err.contains("harness.toml:2:"), "{strip}: {err}");
        } else {
            assert!(err.contains("not a valid baseline"), "{strip}: {err}");
        }
        assert!(!p.join("baselines/r.json").exists(), "{strip}");
    }
}

/// The everyday loop goes green: accept, commit the baselines, check is ok with one line on
/// how far HEAD moved. A commit that touches the run's files fails through the files' own
/// drift. An external envelope's commit field follows the same rule. A baseline whose commit
/// is gone warns with the reason and the fix.
#[test]
fn the_loop_goes_green_after_accept_and_commit() {
    let p = crate::project::Project::nav();
    p.file(".gitignore", "envelope.sh.out\n");
    p.file(
        "envelope.sh",
        "printf '{\"rms_nav_git_sha\": \"%s\", \"short\": \"%s\"}' \"$(git rev-parse HEAD)\" \"$(git rev-parse --short HEAD)\"\n",
    );
    p.file(
        "harness.toml",
        &format!(
            "{}\n[run.external.nav]\ncommand = [\"sh\", \"envelope.sh\"]\n",
            crate::project::HARNESS
        ),
    );
    p.git_init().commit_all("start");
    assert_eq!(p.run(&["accept"]).0, 0);
    p.commit_all("Accept provenance baselines");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("ok      coiss-N1597846115"), "{out}");
    assert!(
        out.contains("HEAD: moved 1 commit since the baseline's commit"),
        "{out}"
    );
    assert!(out.contains("1 ok, 0 warn"), "{out}");
    // re-accepting changes nothing, so the loop stays green
    assert_eq!(p.run(&["accept"]).0, 0);
    assert_eq!(p.run(&["check"]).0, 0);
    // a commit that changes a scope file: the file's drift fails, the commit fields warn
    p.file("src/nav/navigate.py", "print('changed')\n")
        .commit_all("change the code");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("src/nav/navigate.py"), "{out}");
    let git_lines: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("git_sha") && l.contains(" → "))
        .collect();
    assert!(
        !git_lines.is_empty() && git_lines.iter().all(|l| l.ends_with("(warn)")),
        "{out}"
    );
    // the baseline's commit is not in a shallow clone: a warning with the reason and the fix
    p.file("src/nav/navigate.py", "print('navigate')\n")
        .commit_all("restore");
    let clone = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "1"])
        .arg(format!("file://{}", p.path().display()))
        .arg(clone.path())
        .status()
        .unwrap();
    assert!(status.success());
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_provbase"));
    let out = hermetic(cmd.arg("check").current_dir(clone.path()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.starts_with("warn    coiss-N1597846115"), "{text}");
    assert!(
        text.contains("is not in this repository (a shallow clone)")
            && text.contains("git fetch --unshallow"),
        "{text}"
    );
}

/// In CI, accept never rewrites a committed baseline unless forced: it leaves a candidate. A
/// failing check leaves one too; `pending` lists them, `accept --from` applies them after
/// showing their drift, and refuses a stale one.
#[test]
fn ci_leaves_candidates_and_a_laptop_applies_them() {
    let p = crate::project::Project::nav();
    assert_eq!(p.run(&["accept"]).0, 0);
    let committed = p.baseline();
    p.file("cfg/config_220_body_shape.yaml", "tuned: true\n");
    // accept in CI: the committed baseline stays, a candidate is left
    let out = p.provbase(&["accept"]).env("CI", "true").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("candidate .prov/candidates/baselines/coiss-N1597846115.json"),
        "{text}"
    );
    assert_eq!(
        p.baseline(),
        committed,
        "CI never rewrites a committed baseline"
    );
    // GitHub Actions without CI set counts as CI too
    let out = p
        .provbase(&["accept"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(p.baseline(), committed);
    // a failing check leaves its candidate with the digest of the baseline it compared with
    std::fs::remove_dir_all(p.join(".prov/candidates")).unwrap();
    let (code, _, _) = p.run(&["check"]);
    assert_eq!(code, 1);
    let cand: serde_json::Value =
        serde_json::from_str(&p.read(".prov/candidates/baselines/coiss-N1597846115.json")).unwrap();
    assert_eq!(cand["kind"], "provbase.candidate");
    assert_eq!(
        cand["compared_with"],
        provbase::canonical::sha256_tagged(committed.as_bytes())
    );
    let (code, out, _) = p.run(&["pending"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("pending   coiss-N1597846115")
            && out.contains("(1 failing drift, 0 warnings)"),
        "{out}"
    );
    // downloaded as an artifact and applied on a laptop (with the data reverted there)
    let artifact = tempfile::tempdir().unwrap();
    let dest = artifact.path().join("baselines");
    std::fs::create_dir_all(&dest).unwrap();
    std::fs::copy(
        p.join(".prov/candidates/baselines/coiss-N1597846115.json"),
        dest.join("coiss-N1597846115.json"),
    )
    .unwrap();
    let dir = artifact.path().to_str().unwrap();
    let (code, _, err) = {
        let out = p
            .provbase(&["accept", "--from", dir])
            .env("CI", "true")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::new(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(code, Some(2), "refused in CI without --force: {err}");
    let (code, out, _) = p.run(&["accept", "--from", dir]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("wrote     baselines/coiss-N1597846115.json") && out.contains("static_data"),
        "{out}"
    );
    assert_eq!(
        p.run(&["check"]).0,
        0,
        "the applied candidate is today's data"
    );
    // applying it again: the baseline changed since the candidate was made
    let (code, out, _) = p.run(&["accept", "--from", dir]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("STALE     baselines/coiss-N1597846115.json"),
        "{out}"
    );
    // --force writes in CI
    p.file("cfg/config_220_body_shape.yaml", "tuned: twice\n");
    let out = p
        .provbase(&["accept", "--force"])
        .env("CI", "true")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("wrote"));
    let out = p.provbase(&["check"]).env("CI", "true").output().unwrap();
    assert!(out.status.success());
}

/// A first accept, with harness.toml not yet committed, then one commit of everything: the
/// loop is green at once (the tree became clean, and the run's entry cannot have changed
/// since it was not in the baseline's commit).
#[test]
fn a_first_accept_then_one_commit_is_green() {
    let p = crate::project::Project::nav();
    std::fs::remove_file(p.join("harness.toml")).unwrap();
    p.git_init().commit_all("the pipeline");
    p.file("harness.toml", crate::project::HARNESS);
    assert_eq!(p.run(&["accept"]).0, 0);
    p.commit_all("provbase: harness.toml and baselines");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("ok      coiss-N1597846115"), "{out}");
    // editing the run's entry afterwards is not hidden: it changes the manifest or, if not,
    // the commit fields warn
    p.file(
        "harness.toml",
        &crate::project::HARNESS.replace("seed = 42", "seed = 43"),
    )
    .commit_all("another seed");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("params"), "{out}");
    // a change to the run's entry that the manifest does not show (its timeout), or to a
    // script its commands run, leaves the commit fields as warnings
    p.file(
        "harness.toml",
        &format!(
            "{}command = [\"sh\", \"run.sh\"]\n",
            crate::project::HARNESS.replace("seed = 42", "seed = 43")
        ),
    )
    .file("run.sh", "true\n")
    .commit_all("a pipeline command");
    assert_eq!(p.run(&["accept"]).0, 0);
    p.commit_all("accept");
    assert_eq!(p.run(&["check"]).0, 0);
    p.file("run.sh", "true # same output, other script\n")
        .commit_all("edit the script");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("warn") && out.contains("code.git_sha") && out.contains("edit the script"),
        "{out}"
    );
}

/// Where the checkout is — a clone with a remote, a pull request's detached HEAD, another
/// branch — is no drift when nothing the run depends on changed.
#[test]
fn a_fresh_clone_on_a_detached_head_is_green() {
    let p = crate::project::Project::nav();
    p.git_init().commit_all("start");
    assert_eq!(p.run(&["accept"]).0, 0);
    p.commit_all("Accept provenance baselines");
    p.file("README.md", "docs\n").commit_all("docs");
    let clone = tempfile::tempdir().unwrap();
    let dir = clone.path().join("c");
    let git = |args: &[&str], cwd: &std::path::Path| {
        assert!(
            std::process::Command::new("git")
                .args(args)
                .current_dir(cwd)
                .status()
                .unwrap()
                .success()
        );
    };
    git(
        &[
            "clone",
            "-q",
            p.path().to_str().unwrap(),
            dir.to_str().unwrap(),
        ],
        clone.path(),
    );
    git(&["checkout", "-q", "--detach", "HEAD"], &dir);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_provbase"));
    let out = hermetic(cmd.arg("check").current_dir(&dir))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.starts_with("ok      coiss-N1597846115"), "{text}");
}

/// `provbase review` on a pseudo-terminal: each candidate's drift, then accept, reject or
/// skip; refused where there is no terminal.
#[test]
fn review_on_a_terminal() {
    let p = crate::project::Project::nav_with_second_run();
    assert_eq!(p.run(&["accept"]).0, 0);
    p.file("cfg/config_220_body_shape.yaml", "tuned: true\n");
    // `second` drifts, `third` is new
    p.file(
        "harness.toml",
        &format!(
            "{}\n[[run]]\nname = \"second\"\nparams = {{ seed = 2 }}\n[[run]]\nname = \"third\"\nparams = {{ b = 1 }}\n",
            crate::project::HARNESS
        ),
    );
    assert_eq!(p.run(&["check"]).0, 1, "failing runs leave candidates");
    let (code, _, err) = p.run(&["review"]);
    assert_eq!(code, 2, "no terminal: {err}");
    assert!(err.contains("review asks on a terminal"), "{err}");
    let committed_second = p.baseline_of("second");
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(root.join("tests/tools/pty_session.py"))
        .args(["q quit > ", "a", "r", "s", "--"])
        .arg(env!("CARGO_BIN_EXE_provbase"))
        .arg("review");
    let out = hermetic(cmd.current_dir(p.path())).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    // candidates in path order: coiss-N1597846115, second, third
    assert!(
        text.contains("[1/3] coiss-N1597846115 → baselines/coiss-N1597846115.json"),
        "{text}"
    );
    assert!(
        text.contains("static_data  cfg/config_220_body_shape.yaml"),
        "{text}"
    );
    assert!(
        text.contains("wrote     baselines/coiss-N1597846115.json"),
        "{text}"
    );
    assert!(text.contains("rejected"), "{text}");
    assert!(text.contains("1 accepted, 1 rejected, 1 skipped"), "{text}");
    assert_eq!(p.run(&["check", "coiss-N1597846115"]).0, 0, "accepted");
    assert_eq!(
        p.baseline_of("second"),
        committed_second,
        "rejected: the baseline stays"
    );
    assert!(!p.join(".prov/candidates/baselines/second.json").exists());
    assert!(
        p.join(".prov/candidates/baselines/third.json").exists(),
        "skipped: kept"
    );
}
