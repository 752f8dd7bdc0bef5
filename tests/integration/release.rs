//! Ready for a first release: the command line's conventions (exit statuses, colour variables,
//! completions in fish, a man page per command), checked with the real programs where this
//! machine has them.

use crate::project::{Project, hermetic};
use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A folder of candidates that does not exist is a usage error (2) for `pending` and `review`,
/// as the README says, not an empty list; the default folder missing is still "no candidates".
#[test]
fn a_candidates_folder_that_does_not_exist_is_a_usage_error() {
    let p = Project::nav();
    let (code, out, _) = p.run(&["pending"]);
    assert_eq!(code, 0);
    assert!(out.contains("no candidates under"), "{out}");
    let (code, _, err) = p.run(&["pending", "/nonexistent/artifact"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("/nonexistent/artifact: no such folder of candidates"),
        "{err}"
    );
    p.file("a-file", "x\n");
    assert_eq!(p.run(&["pending", "a-file"]).0, 2);
}

/// Runs provbase on a pseudo-terminal (tests/tools/pty_session.py) with `vars` set; returns
/// what the terminal showed.
fn on_a_terminal(p: &Project, args: &[&str], vars: &[(&str, &str)]) -> String {
    let mut cmd = Command::new("python3");
    cmd.arg(root().join("tests/tools/pty_session.py"))
        .args(["never prompted", "--"])
        .arg(env!("CARGO_BIN_EXE_provbase"))
        .args(args);
    hermetic(cmd.current_dir(p.path()));
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `CLICOLOR=0` turns colour off on a terminal, as clap's own output honours it;
/// `CLICOLOR_FORCE` wins over it, as in anstream.
#[test]
fn clicolor_zero_turns_the_reports_colour_off() {
    let p = Project::nav();
    assert_eq!(p.run(&["accept"]).0, 0);
    p.file("cfg/config_220_body_shape.yaml", "tuned: true\n");
    let coloured = on_a_terminal(&p, &["check"], &[]);
    assert!(
        coloured.contains("static_data") && coloured.contains('\x1b'),
        "{coloured:?}"
    );
    let plain = on_a_terminal(&p, &["check"], &[("CLICOLOR", "0")]);
    assert!(plain.contains("static_data"), "{plain:?}");
    assert!(!plain.contains('\x1b'), "{plain:?}");
    let forced = on_a_terminal(
        &p,
        &["check"],
        &[("CLICOLOR", "0"), ("CLICOLOR_FORCE", "1")],
    );
    assert!(forced.contains('\x1b'), "{forced:?}");
}

/// fish, given the script `provbase completions fish` prints, completes the values of
/// `--format` each command takes (markdown only where it is a report), after the global flags
/// (`complete -C` asks fish what TAB would offer).
/// Runs where fish is installed; `.ci/run` installs it and sets PROVBASE_REQUIRE_FISH.
#[test]
fn fish_completes_format_values() {
    if Command::new("fish").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("PROVBASE_REQUIRE_FISH").is_none(),
            "fish is required here"
        );
        return;
    }
    let p = Project::new();
    let (code, script, _) = p.run(&["completions", "fish"]);
    assert_eq!(code, 0);
    p.file("provbase.fish", &script);
    let offered = |line: &str| -> Vec<String> {
        let out = Command::new("fish")
            .args(["--no-config", "-c"])
            .arg(format!("source provbase.fish; complete -C '{line}'"))
            .current_dir(p.path())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split('\t').next().unwrap().to_owned())
            .collect()
    };
    for (line, values) in [
        (
            "provbase check --format ",
            &["human", "json", "markdown"][..],
        ),
        (
            "provbase --profile nightly check --format ",
            &["human", "json", "markdown"],
        ),
        ("provbase report --format ", &["human", "json", "markdown"]),
        ("provbase list --format ", &["human", "json"]),
        ("provbase --color never diff --format ", &["human", "json"]),
    ] {
        assert_eq!(offered(line), values, "{line}");
    }
    // after a global flag's value, fish offers the commands
    assert!(
        offered("provbase --color never ")
            .iter()
            .any(|c| c == "check"),
        "commands after a global flag"
    );
}

/// `completions man --dir DIR` writes the main page and one per command; every page the main
/// page names exists, and each says its exit statuses.
#[test]
fn a_man_page_per_command_with_exit_statuses() {
    let p = Project::new();
    let (code, out, err) = p.run(&["completions", "man", "--dir", "man"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("wrote man/provbase-check.1"), "{out}");
    let main = p.read("man/provbase.1");
    let named: Vec<String> = main
        .split("provbase\\-")
        .skip(1)
        .filter_map(|s| s.split_once("(1)").map(|(name, _)| name.to_owned()))
        .filter(|n| n.chars().all(|c| c.is_ascii_lowercase()))
        .collect();
    assert!(named.len() >= 15, "{named:?}\n{main}");
    for name in &named {
        let page = p.read(&format!("man/provbase-{name}.1"));
        assert!(page.contains(".SH \"EXIT STATUS\""), "provbase-{name}.1");
        assert!(page.contains(".TH provbase"), "provbase-{name}.1");
    }
    assert!(main.contains(".SH \"EXIT STATUS\""));
    assert!(p.read("man/provbase-record.1").contains("127"));
    assert!(p.read("man/provbase-check.1").contains("a failing drift"));
    // man itself renders a page, where it is installed
    if let Ok(o) = Command::new("man")
        .args(["-l", "man/provbase-check.1"])
        .env("MANWIDTH", "80")
        .env("MAN_KEEP_FORMATTING", "")
        .current_dir(p.path())
        .output()
        && o.status.success()
    {
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("EXIT STATUS"), "{text}");
    }
    // --dir is for man pages only
    assert_eq!(p.run(&["completions", "fish", "--dir", "x"]).0, 2);
}

/// ajv's module: `PROVBASE_AJV` or the copy `.ci/run` installs under `target/`.
fn ajv_module() -> Option<std::path::PathBuf> {
    let p = std::env::var_os("PROVBASE_AJV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root().join("target/ajv/node_modules/ajv"));
    p.join("dist/2020.js").is_file().then_some(p)
}

/// Every document provbase writes for scripts, produced for real, is valid under its committed
/// schema: with the `jsonschema` crate here, and with ajv in its default strict mode (which
/// also compiles every schema) where `.ci/run` installed it.
#[test]
fn every_document_validates_under_its_schema_with_two_validators() {
    use provbase::report::listing::Output;
    use provbase::schema::Doc;
    /// A document of either kind.
    #[derive(Clone, Copy, PartialEq)]
    enum Kind {
        Doc(Doc),
        Output(Output),
    }
    impl Kind {
        fn file_name(self) -> &'static str {
            match self {
                Kind::Doc(d) => d.file_name(),
                Kind::Output(o) => o.file_name(),
            }
        }
        fn validate(self, v: &serde_json::Value) -> Result<(), provbase::error::DocumentError> {
            match self {
                Kind::Doc(d) => provbase::schema::validate(d, v),
                Kind::Output(o) => o.validate(v),
            }
        }
    }
    let p = Project::nav();
    p.file(".gitignore", ".prov/\nout/\n");
    p.git_init().commit_all("the pipeline");
    assert_eq!(p.run(&["accept"]).0, 0);
    p.commit_all("Accept provenance baselines");
    p.file("cfg/config_220_body_shape.yaml", "tuned: true\n");
    p.file("baselines/orphan.json", "{}\n");
    let mut docs: Vec<(Kind, String)> = Vec::new();
    let mut keep = |doc: Kind, name: &str, text: String| {
        p.file(&format!("out/{name}"), &text);
        docs.push((doc, format!("out/{name}")));
    };
    let (code, report, _) = p.run(&["--format", "json", "check"]);
    assert_eq!(code, 1);
    keep(Kind::Output(Output::Report), "report.json", report);
    let (_, fold, _) = p.run(&["--format", "json", "report", "out/report.json"]);
    keep(Kind::Output(Output::Fold), "fold.json", fold);
    let (_, list, _) = p.run(&["--format", "json", "list"]);
    keep(Kind::Output(Output::List), "list.json", list);
    let (_, pending, _) = p.run(&["--format", "json", "pending"]);
    keep(Kind::Output(Output::Pending), "pending.json", pending);
    let candidate = ".prov/candidates/baselines/coiss-N1597846115.json";
    keep(
        Kind::Doc(Doc::Candidate),
        "candidate.json",
        p.read(candidate),
    );
    keep(
        Kind::Doc(Doc::Manifest),
        "manifest.json",
        p.read("baselines/coiss-N1597846115.json"),
    );
    for seed in ["1", "2"] {
        let (code, _, err) = p.run(&["record", "--tag", seed, "--", "sh", "-c", "true"]);
        assert_eq!(code, 0, "{err}");
    }
    let (_, runs, _) = p.run(&["--format", "json", "runs"]);
    let ids: Vec<String> = serde_json::from_str::<serde_json::Value>(&runs).unwrap()["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    keep(Kind::Output(Output::Runs), "runs.json", runs);
    keep(
        Kind::Doc(Doc::Run),
        "run.json",
        p.read(&format!(".prov/runs/{}/run.json", ids[0])),
    );
    p.file("params.yaml", "seed: 2\n");
    let (code, _, err) = p.run(&["record", "--params", "params.yaml", "--", "true"]);
    assert_eq!(code, 0, "{err}");
    let (code, diff, err) = p.run(&["--format", "json", "diff", &ids[0], "#1"]);
    assert_eq!(code, 1, "{err}");
    keep(Kind::Output(Output::Diff), "diff.json", diff);
    // a run whose pipeline reports a time: it differs between two collections
    p.file(
        "stamp.py",
        "import json, time\nprint(json.dumps({'started_ns': str(time.time_ns())}))\n",
    );
    p.file(
        "harness.toml",
        &format!(
            "{}\n[run.external.train]\ncommand = [\"python3\", \"stamp.py\"]\n",
            crate::project::HARNESS
        ),
    );
    let (code, twice, err) = p.run(&["--format", "json", "check", "--twice"]);
    assert_eq!(code, 1, "{err}");
    assert!(twice.contains("external.train.started_ns"), "{twice}");
    keep(Kind::Output(Output::Volatile), "volatile.json", twice);
    // a bundle of a recorded run (its code fingerprint kept since it was recorded)
    let (code, _, err) = p.run(&["bundle", "out/bundle", "--run", &ids[0]]);
    assert_eq!(code, 0, "{err}");
    for (doc, name) in [
        (Doc::BundleList, "bundle.json"),
        (Doc::EnvFingerprint, "env_fingerprint.json"),
        (Doc::EnvSnapshot, "env_snapshot.json"),
        (Doc::CodebaseFingerprint, "codebase_fingerprint.json"),
    ] {
        docs.push((Kind::Doc(doc), format!("out/bundle/provenance/{name}")));
    }
    // every schema document is checked, and none is trivially empty
    let kinds = Doc::ALL.len() + Output::ALL.len();
    assert_eq!(docs.len(), kinds);
    for (doc, file) in &docs {
        let value: serde_json::Value = serde_json::from_str(&p.read(file))
            .unwrap_or_else(|e| panic!("{file}: {e}: {}", p.read(file)));
        assert!(
            value.as_object().is_some_and(|o| o.len() > 1),
            "{file}: {value}"
        );
        doc.validate(&value)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        // what is not such a document does not pass for one
        assert!(
            doc.validate(&serde_json::json!({"surprise": 1})).is_err(),
            "{file}"
        );
    }
    let Some(ajv) = ajv_module() else {
        assert!(
            std::env::var_os("PROVBASE_REQUIRE_AJV").is_none(),
            "ajv is required here (.ci/run installs it under target/ajv)"
        );
        return;
    };
    let out = Command::new("node")
        .arg(root().join("tests/tools/ajv_check.cjs"))
        .arg(&ajv)
        .arg(root().join("schemas"))
        .args(
            docs.iter()
                .map(|(doc, file)| format!("{}={}", doc.file_name(), p.join(file).display())),
        )
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text.matches("\"compiled\":true").count(), kinds, "{text}");
    assert_eq!(text.matches("\"valid\":true").count(), kinds, "{text}");
}

/// Runs ci/action/install.sh (the action's install step, and the release's provbase-install.sh)
/// against the release at `download`; returns its exit status, stdout and stderr.
fn install(download: &str, version: &str, home: &Path) -> (i32, String, String) {
    let out = Command::new("bash")
        .arg(root().join("ci/action/install.sh"))
        .env("PROVBASE_VERSION", version)
        .env("PROVBASE_DOWNLOAD", download)
        .env("RUNNER_TEMP", home.join("temp"))
        .env("GITHUB_PATH", home.join("github-path"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The action's installer takes a release's archive only when its SHA-256 is the one the
/// release's SHA256SUMS lists, puts the binary on the job's PATH, and runs it; an archive
/// tampered with after the checksums were written, or one not listed, is refused and nothing is
/// unpacked.
#[test]
fn the_installer_takes_only_a_release_archive_its_checksums_list() {
    let version = env!("CARGO_PKG_VERSION");
    let home = tempfile::tempdir().unwrap();
    let release = home.path().join("release");
    let url = crate::ci_files::local_release(&release);
    let (code, out, err) = install(&url, version, home.path());
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(&format!("provbase {version}")), "{err}");
    let bin = out.trim();
    assert_eq!(
        std::fs::read_to_string(home.path().join("github-path"))
            .unwrap()
            .trim(),
        bin
    );
    let run = Command::new(Path::new(bin).join("provbase"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(run.status.success());
    // `v0.1.0` is the same release
    assert_eq!(install(&url, &format!("v{version}"), home.path()).0, 0);
    // an archive changed after its checksum was written
    let dir = release.join(format!("v{version}"));
    let archive = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .unwrap();
    let good = std::fs::read(&archive).unwrap();
    let mut bad = good.clone();
    bad.extend_from_slice(b"\0");
    std::fs::write(&archive, &bad).unwrap();
    let fresh = tempfile::tempdir().unwrap();
    let (code, out, err) = install(&url, version, fresh.path());
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("does not match its SHA-256 in the release's SHA256SUMS: not installed"),
        "{err}"
    );
    assert!(
        !fresh.path().join("temp/provbase").exists(),
        "nothing unpacked"
    );
    // an archive SHA256SUMS does not list
    std::fs::write(&archive, &good).unwrap();
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    let name = archive.file_name().unwrap().to_str().unwrap();
    std::fs::write(
        dir.join("SHA256SUMS"),
        sums.lines()
            .filter(|l| !l.ends_with(name))
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    )
    .unwrap();
    let (code, _, err) = install(&url, version, fresh.path());
    assert_eq!(code, 1);
    assert!(
        err.contains("is not listed in the release's SHA256SUMS"),
        "{err}"
    );
    // a release that does not exist
    let (code, _, _) = install(&url, "9.9.9", fresh.path());
    assert_ne!(code, 0);
    // `none` installs nothing
    let (code, out, _) = install(&url, "none", fresh.path());
    assert_eq!((code, out.as_str()), (0, ""));
}

/// `cargo binstall provbase` reads [package.metadata.binstall]: its URL, expanded for this
/// machine, names the archive the release workflow's packing step makes, and its `bin-dir`
/// is where that archive holds the binary.
#[test]
fn binstall_metadata_names_the_release_archive_and_its_binary() {
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(root().join("Cargo.toml")).unwrap()).unwrap();
    let package = &manifest["package"];
    let binstall = &package["metadata"]["binstall"];
    let version = package["version"].as_str().unwrap();
    let repo = package["repository"].as_str().unwrap();
    let target = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let expand = |t: &str| {
        t.replace("{ repo }", repo)
            .replace("{ version }", version)
            .replace("{ target }", &target)
            .replace("{ bin }", "provbase")
            .replace("{ binary-ext }", "")
    };
    let url = expand(binstall["pkg-url"].as_str().unwrap());
    assert_eq!(binstall["pkg-fmt"].as_str(), Some("tgz"));
    let dir = tempfile::tempdir().unwrap();
    crate::ci_files::local_release(dir.path());
    let archive = format!("provbase-{version}-{target}.tar.gz");
    assert_eq!(
        url,
        format!("{repo}/releases/download/v{version}/{archive}"),
        "the release's URL of the archive"
    );
    let listed = Command::new("tar")
        .arg("-tzf")
        .arg(dir.path().join(format!("v{version}")).join(&archive))
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    let bin_dir = expand(binstall["bin-dir"].as_str().unwrap());
    assert!(
        listed.lines().any(|l| l == bin_dir),
        "{bin_dir} in:\n{listed}"
    );
    for f in ["README.md", "LICENSE-MIT", "LICENSE-APACHE"] {
        assert!(listed.contains(f), "{f}");
    }
}

/// The release workflow's steps that run on Linux x86_64, run as written from a folder beside
/// the repository: the binary's build and packing, the wheel, the sdist, and the checksums of
/// the whole release, which the action's installer then installs from. (Several minutes of
/// release builds: `.ci/run` sets PROVBASE_RELEASE_STEPS=1 after building the wheel once, so
/// that only provbase itself is compiled again.)
#[test]
fn the_release_workflow_builds_checks_and_serves_a_release() {
    if std::env::var_os("PROVBASE_RELEASE_STEPS").is_none() {
        eprintln!(
            "note: PROVBASE_RELEASE_STEPS=1 runs the release workflow's build steps (.ci/run sets it)"
        );
        return;
    }
    let text = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    let doc: serde_json::Value = serde_yaml_ng::from_str(&text).unwrap();
    let jobs = &doc["jobs"];
    let target = "x86_64-unknown-linux-gnu";
    assert!(
        jobs["binary"]["strategy"]["matrix"]["include"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["target"] == target)
    );
    let step = |job: &str, name: &str| -> String {
        jobs[job]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("{job}: {name}"))["run"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // a folder with the repository's scripts, as a runner's checkout has them
    let work = tempfile::tempdir().unwrap();
    for d in ["scripts", "ci"] {
        std::os::unix::fs::symlink(root().join(d), work.path().join(d)).unwrap();
    }
    let run = |script: &str, env: &[(&str, &str)]| {
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(work.path())
            .env("CARGO_TARGET_DIR", root().join("target"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let o = cmd.output().unwrap();
        assert!(
            o.status.success(),
            "{script}\n{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    };
    run(&step("binary", "Build the binary"), &[("TARGET", target)]);
    run(&step("wheel", "Build the wheel"), &[]);
    run(&step("sdist", "Build the sdist"), &[]);
    run(&step("publish", "Write the checksums"), &[]);
    let dist = work.path().join("dist");
    let version = env!("CARGO_PKG_VERSION");
    let mut names: Vec<String> = std::fs::read_dir(&dist)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(
        names.contains(&format!("provbase-{version}-{target}.tar.gz")),
        "{names:?}"
    );
    assert!(
        names.contains(&format!("provbase-{version}.tar.gz")),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.ends_with(".whl")), "{names:?}");
    assert!(
        names.contains(&"provbase-install.sh".to_owned()),
        "{names:?}"
    );
    // SHA256SUMS lists every other file, and holds
    let sums = std::fs::read_to_string(dist.join("SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), names.len() - 1, "{sums}");
    let check = Command::new("sha256sum")
        .args(["--check", "--strict", "SHA256SUMS"])
        .current_dir(&dist)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    // the release serves the action's installer, which runs the release build
    let served = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&dist, served.path().join(format!("v{version}"))).unwrap();
    let home = tempfile::tempdir().unwrap();
    let (code, out, err) = install(
        &format!("file://{}", served.path().display()),
        version,
        home.path(),
    );
    assert_eq!(code, 0, "{err}");
    let help = Command::new(Path::new(out.trim()).join("provbase"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("Regression baselines"));
}
