//! What comes from elsewhere is hostile: candidates and folder objects from CI artifacts, the
//! outputs provbase writes where a device or a link already is, CI systems that set no `CI`.

use crate::project::Project;
use serde_json::Value;
use std::path::Path;

const RUN: &str = "coiss-N1597846115";

/// A project with a committed baseline and a candidate left by CI for a changed config file,
/// copied into a folder as a downloaded artifact: (project, artifact, the candidate there).
fn with_candidate() -> (Project, tempfile::TempDir, Value) {
    let p = Project::nav_with_second_run();
    p.git_init();
    assert_eq!(p.run(&["accept"]).0, 0);
    p.commit_all("baselines");
    p.file("cfg/config_220_body_shape.yaml", "tuned: true\n");
    let out = p.provbase(&["accept"]).env("CI", "true").output().unwrap();
    assert!(out.status.success());
    let artifact = tempfile::tempdir().unwrap();
    crate::project::copy_tree(&p.join(".prov/candidates"), artifact.path());
    let file = artifact.path().join(format!("baselines/{RUN}.json"));
    let c: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    std::fs::remove_dir_all(p.join(".prov/candidates")).unwrap();
    (p, artifact, c)
}

/// Replaces the artifact's candidates with one document.
fn plant(artifact: &Path, c: &Value) -> std::path::PathBuf {
    let dir = artifact.join("baselines");
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("planted.json");
    std::fs::write(&file, serde_json::to_vec_pretty(c).unwrap()).unwrap();
    file
}

/// Every file under a folder with its bytes, to show that nothing changed.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let t = e.file_type().unwrap();
            if t.is_dir() {
                if e.file_name() != ".prov" {
                    todo.push(e.path());
                }
            } else if t.is_file() {
                out.push((
                    e.path().display().to_string(),
                    std::fs::read(e.path()).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_candidate_writes_only_its_configured_runs_baseline() {
    let (p, artifact, good) = with_candidate();
    let dir = artifact.path().to_str().unwrap().to_owned();
    std::fs::create_dir_all(p.join(".github/workflows")).unwrap();
    let mut cases: Vec<(&str, Value, &str)> = Vec::new();
    for (what, target) in [
        ("into .git", ".git/hooks/pre-commit"),
        ("into the workflows", ".github/workflows/ci.yml"),
        ("into the code", "src/nav/navigate.py"),
        ("over another run's baseline", "baselines/second.json"),
    ] {
        let mut c = good.clone();
        c["baseline"] = target.into();
        cases.push((what, c, "which is not run"));
    }
    let mut c = good.clone();
    c["run"] = "nobody".into();
    cases.push(("an unknown run", c, "does not configure"));
    let mut c = good.clone();
    c["run"] = "second".into();
    c["baseline"] = "baselines/second.json".into();
    cases.push(("another run's manifest", c, "its manifest is of run"));
    for (what, c, says) in cases {
        let before = snapshot(p.path());
        let file = plant(artifact.path(), &c);
        let (code, out, err) = p.run(&["accept", "--from", &dir]);
        assert_ne!(code, 0, "{what}: {out}");
        assert!(
            err.contains(&file.display().to_string()) && err.contains(says),
            "{what}: the refusal names the candidate's file: {err}"
        );
        assert_eq!(before, snapshot(p.path()), "{what}: nothing was written");
        let (_, out, _) = p.run(&["pending", &dir]);
        assert!(out.starts_with("refused"), "{what}: {out}");
    }
    // the untouched candidate is still applied
    plant(artifact.path(), &good);
    let (code, out, err) = p.run(&["accept", "--from", &dir]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("wrote     baselines/{RUN}.json")),
        "{out}"
    );
}

#[test]
fn a_baselines_folder_through_a_link_or_in_git_is_refused() {
    let p = Project::nav();
    p.git_init();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("theirs.json"), "{}").unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), p.join("baselines")).unwrap();
    for args in [&["accept"][..], &["check"], &["prune", "--yes"]] {
        let (code, out, err) = p.run(args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(
            err.contains("outside the project") && err.contains("harness.toml"),
            "{args:?}: {err}"
        );
    }
    assert!(elsewhere.path().join("theirs.json").exists());
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 1);
    std::fs::remove_file(p.join("baselines")).unwrap();
    for folder in [".git", ".git/provbase", ".prov/b", "./.git"] {
        p.file(
            "harness.toml",
            &crate::project::HARNESS.replace(
                "baselines = \"baselines\"",
                &format!("baselines = \"{folder}\""),
            ),
        );
        let (code, _, err) = p.run(&["accept"]);
        assert_eq!(code, 2, "{folder}: {err}");
        assert!(err.contains("harness.toml:2"), "{folder}: {err}");
    }
    // a link that stays inside the project is a folder like any other
    std::fs::create_dir_all(p.join("real")).unwrap();
    std::os::unix::fs::symlink("real", p.join("linked")).unwrap();
    p.file(
        "harness.toml",
        &crate::project::HARNESS.replace("baselines = \"baselines\"", "baselines = \"linked\""),
    );
    assert_eq!(p.run(&["accept"]).0, 0);
    assert!(p.join(&format!("real/{RUN}.json")).is_file());
}

#[test]
fn outputs_never_replace_a_device() {
    use std::os::unix::fs::FileTypeExt;
    let p = Project::nav();
    assert_eq!(p.run(&["accept"]).0, 0);
    let (code, _, err) = p.run(&["--junit", "/dev/null", "check"]);
    assert_eq!(code, 0, "{err}");
    let out = p
        .provbase(&["check"])
        .env("PROVBASE_JSON_REPORT", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device(),
        "/dev/null is still a device"
    );
    // a report path that is a link is written through it, and stays a link
    std::fs::write(p.join("real.xml"), "").unwrap();
    std::os::unix::fs::symlink("real.xml", p.join("report.xml")).unwrap();
    assert_eq!(p.run(&["--junit", "report.xml", "check"]).0, 0);
    assert!(p.read("real.xml").contains("<testsuites"));
    assert!(
        std::fs::symlink_metadata(p.join("report.xml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn jenkins_is_ci_though_it_sets_no_ci() {
    let p = Project::nav();
    assert_eq!(p.run(&["accept"]).0, 0);
    let committed = p.baseline();
    p.file("cfg/config_220_body_shape.yaml", "tuned: true\n");
    for (var, value) in [
        ("JENKINS_URL", "https://jenkins.example.invalid/"),
        ("BUILDKITE", "true"),
        ("TEAMCITY_VERSION", "2025.1"),
    ] {
        let out = p.provbase(&["accept"]).env(var, value).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{var}: {text}");
        assert!(text.contains("candidate"), "{var}: {text}");
        assert_eq!(p.baseline(), committed, "{var}: the baseline is kept");
    }
}

/// A folder of 10 files, recorded by digest (`max_entries = 4`).
fn folded(p: &Project) {
    p.file(
        "harness.toml",
        "[harness]\nmax_entries = 4\n[[run]]\nname = \"data\"\nhardware = false\nstatic_data = [\"data\"]\n",
    );
    for i in 0..10 {
        p.file(&format!("data/d{}/f{i}", i % 2), &i.to_string());
    }
}

#[test]
fn objects_from_an_artifact_are_read_by_name_and_never_deleted() {
    let p = Project::new();
    p.git_init();
    folded(&p);
    assert_eq!(p.run(&["accept"]).0, 0);
    p.commit_all("baseline");
    p.file("data/d0/new", "new");
    let out = p.provbase(&["accept"]).env("CI", "true").output().unwrap();
    assert!(out.status.success());
    let artifact = tempfile::tempdir().unwrap();
    crate::project::copy_tree(&p.join(".prov/candidates"), artifact.path());
    std::fs::remove_dir_all(p.join(".prov")).unwrap();
    let trees = artifact.path().join("trees");
    // junk beside the objects: a file not named as one, and one named as one that is not it
    std::fs::write(trees.join("README"), "not an object").unwrap();
    let wrong = trees.join("0".repeat(64));
    std::fs::write(&wrong, "file 0 1 x\0").unwrap();
    let before = snapshot(artifact.path());
    let (code, out, err) = p.run(&["accept", "--from", artifact.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        before,
        snapshot(artifact.path()),
        "nothing in the artifact is removed or changed"
    );
    assert!(!p.join(".prov/trees/README").exists());
    assert!(!p.join(&format!(".prov/trees/{}", "0".repeat(64))).exists());
}

/// 41 objects, each naming the next twice, describe 2^40 files: the walk is bounded by the
/// objects it visits, so `check` and `verify` end at once.
#[test]
fn objects_that_repeat_their_subfolders_do_not_hang() {
    use provbase::manifest::tree::{Item, Object};
    let p = Project::new();
    folded(&p);
    assert_eq!(p.run(&["accept"]).0, 0);
    let mut item = Item::File {
        digest: [1; 32],
        size: 1,
    };
    let mut root = None;
    for _ in 0..41 {
        let (tree, bytes) = Object::new(vec![("a".into(), item), ("b".into(), item)]).seal();
        let hex = provbase::trees::file_name(&tree.tree).to_owned();
        std::fs::write(p.join(&format!(".prov/trees/{hex}")), &bytes).unwrap();
        item = Item::Tree {
            digest: provbase::manifest::tree::raw(&tree.tree).unwrap(),
            files: 1,
            bytes: 1,
        };
        root = Some(tree.tree);
    }
    let path = p.join("baselines/data.json");
    let mut b: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let folders = b["static_data_hashes"].as_object_mut().unwrap();
    let key = folders.keys().next().unwrap().clone();
    folders[&key]["tree"] = root.unwrap().0.into();
    folders[&key]["files"] = 1.into();
    provbase::manifest::seal(&mut b);
    std::fs::write(&path, provbase::canonical::pretty_bytes(&b)).unwrap();
    // a hang guard, not a speed figure: a walk over 2^40 paths would never end
    for args in [&["check"][..], &["verify", "baselines/data.json"]] {
        let out = p
            .provbase(args)
            .timeout(std::time::Duration::from_secs(300))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
    }
}

/// `.`, `**` and `*/**` name the whole project: `.git/`, `.prov/` and the baselines are left
/// out of them, so that the check passes after accept and a commit.
#[test]
fn globs_that_name_everything_leave_out_git_prov_and_the_baselines() {
    for glob in [".", "**", "*/**"] {
        let p = Project::nav();
        p.file(
            "harness.toml",
            &format!(
                "[[run]]\nname = \"all\"\nhardware = false\ncode = [\"{glob}\"]\nstatic_data = [\"{glob}\"]\n"
            ),
        );
        p.git_init().commit_all("pipeline");
        let (code, out, err) = p.run(&["accept"]);
        assert_eq!(code, 0, "{glob}: {out}{err}");
        let b = p.baseline_of("all");
        for never in [".git/", ".prov/", "baselines/"] {
            assert!(!b.contains(never), "{glob}: {never} recorded: {b}");
        }
        assert!(b.contains("cfg/config_220_body_shape.yaml"), "{glob}");
        p.commit_all("baselines");
        let (code, out, err) = p.run(&["check"]);
        assert_eq!(code, 0, "{glob}: {out}{err}");
        // a check leaves a cache, and a second accept of another state a candidate: still ok
        let (code, out, _) = p.run(&["check"]);
        assert_eq!(code, 0, "{glob}: {out}");
        p.file("cfg/config_220_body_shape.yaml", "tuned: true\n");
        assert_eq!(p.run(&["check"]).0, 1, "{glob}: a real change still fails");
    }
}

/// What a file from elsewhere holds never panics a reader: a folded report's commit with
/// multi-byte characters, a baseline's `git_sha` that is not hex.
#[test]
fn multi_byte_text_where_hex_is_expected_panics_nothing() {
    let p = Project::nav();
    p.git_init().commit_all("pipeline");
    assert_eq!(p.run(&["accept"]).0, 0);
    p.commit_all("baselines");
    let (_, out, _) = p.run(&["--format", "json", "check"]);
    let mut report: Value = serde_json::from_str(&out).unwrap();
    report["taken"]["commit"] = format!("a{}", "é".repeat(10)).into();
    p.file("reports/r.json", &report.to_string());
    let (code, out, err) = p.run(&["report", "reports"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(p.read("provbase-report.html").contains("aéééé"));

    let path = p.join(&format!("baselines/{RUN}.json"));
    let mut b: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    b["code"]["git_sha"] = "é".repeat(20).into();
    b["code"]["git_short_sha"] = "éé".into();
    provbase::manifest::seal(&mut b);
    std::fs::write(&path, provbase::canonical::pretty_bytes(&b)).unwrap();
    let (code, out, err) = p.run(&["check"]);
    assert!(code == 0 || code == 1, "{code}: {out}{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.contains("is not in this repository"), "{out}");
}

/// The leaves of a document: (path of keys and indexes, value).
fn leaves(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                at.push(k.clone());
                leaves(x, at, out);
                at.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                at.push(i.to_string());
                leaves(x, at, out);
                at.pop();
            }
        }
        _ => out.push(at.clone()),
    }
}

fn leaf_mut<'a>(v: &'a mut Value, path: &[String]) -> &'a mut Value {
    path.iter().fold(v, |v, k| match v {
        Value::Array(a) => &mut a[k.parse::<usize>().unwrap()],
        other => &mut other[k.as_str()],
    })
}

/// The stored types round-trip: a baseline that the schema accepts (leaves of a real one
/// changed at random, sealed again), read as the typed manifest and written back as a document,
/// gives the same bytes, and so no drift — as nextest's records are held to theirs.
#[test]
fn a_stored_manifest_round_trips_through_its_types() {
    use proptest::prelude::*;
    let p = Project::nav();
    p.git_init().commit_all("pipeline");
    assert_eq!(p.run(&["accept"]).0, 0);
    let path = p.join(&format!("baselines/{RUN}.json"));
    let good: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut paths = Vec::new();
    leaves(&good, &mut Vec::new(), &mut paths);
    paths.retain(|p| p[0] != "digest" && p[0] != "format_version");
    let change = (0..paths.len(), "[ -~é]{0,24}", any::<u32>());
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases: 128,
        failure_persistence: None,
        ..Default::default()
    });
    let kept = std::cell::Cell::new(0);
    runner
        .run(&proptest::collection::vec(change, 0..5), |changes| {
            let mut b = good.clone();
            for (i, s, n) in &changes {
                let leaf = leaf_mut(&mut b, &paths[*i]);
                *leaf = match &*leaf {
                    Value::String(_) => Value::String(s.clone()),
                    Value::Number(_) => Value::from(*n),
                    Value::Bool(x) => Value::Bool(!*x),
                    other => other.clone(),
                };
            }
            provbase::manifest::seal(&mut b);
            let bytes = provbase::canonical::pretty_bytes(&b);
            if provbase::store::parse(&path, bytes.clone()).is_err() {
                return Ok(());
            }
            let typed: provbase::manifest::Manifest = serde_json::from_value(b.clone())
                .map_err(|e| TestCaseError::fail(format!("schema-valid, yet not the type: {e}")))?;
            let back = provbase::manifest::document(typed);
            prop_assert_eq!(
                String::from_utf8_lossy(&provbase::canonical::pretty_bytes(&back)).into_owned(),
                String::from_utf8_lossy(&bytes).into_owned()
            );
            let drifts = provbase::drift::compare(&b, &back, &Default::default());
            prop_assert!(drifts.is_empty(), "{drifts:?}");
            kept.set(kept.get() + 1);
            Ok(())
        })
        .unwrap();
    assert!(kept.get() >= 32, "{} round-tripped", kept.get());
}

/// `check` never panics on a baseline that the schema accepts: leaves of a real baseline (with
/// git, SPICE kernels and a folder digest) replaced by arbitrary text and numbers of the same
/// type, sealed again, then checked in a session of the process (96 cases, about half of
/// which the schema refuses before a check).
#[test]
fn check_never_panics_on_a_schema_valid_baseline() {
    use proptest::prelude::*;
    let p = Project::nav();
    p.file(
        "harness.toml",
        &format!(
            "{}external.e = {{ command = [\"sh\", \"-c\", \"echo '{{\\\"v\\\": \\\"x\\\"}}'\"] }}\n",
            crate::project::HARNESS
        ),
    );
    p.git_init().commit_all("pipeline");
    assert_eq!(p.run(&["accept"]).0, 0);
    p.commit_all("baselines");
    let path = p.join(&format!("baselines/{RUN}.json"));
    let good: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut paths = Vec::new();
    leaves(&good, &mut Vec::new(), &mut paths);
    paths.retain(|p| p[0] != "digest");
    let text = prop_oneof![
        ".{0,40}",
        "[0-9a-f]{0,64}",
        "sha256:[0-9a-fé]{0,64}",
        Just("é".repeat(33)),
    ];
    let change = (0..paths.len(), text, any::<i64>());
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases: 96,
        failure_persistence: None,
        ..Default::default()
    });
    let (checked, refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    runner
        .run(&proptest::collection::vec(change, 1..4), |changes| {
            let mut b = good.clone();
            for (i, s, n) in &changes {
                let leaf = leaf_mut(&mut b, &paths[*i]);
                *leaf = match &*leaf {
                    Value::String(_) => Value::String(s.clone()),
                    Value::Number(_) => Value::from(n.rem_euclid(1 << 40)),
                    Value::Bool(x) => Value::Bool(!*x),
                    other => other.clone(),
                };
            }
            provbase::manifest::seal(&mut b);
            let bytes = provbase::canonical::pretty_bytes(&b);
            if provbase::store::parse(&path, bytes.clone()).is_err() {
                refused.set(refused.get() + 1);
                return Ok(());
            }
            std::fs::write(&path, &bytes).unwrap();
            let config = provbase::Config::load(&p.join("harness.toml")).unwrap();
            let s = provbase::Session::new(config);
            let report = s.check(s.config.run(RUN).unwrap());
            let _ = provbase::report::render_run(&report, "provbase accept");
            checked.set(checked.get() + 1);
            Ok(())
        })
        .unwrap();
    let (checked, refused) = (checked.get(), refused.get());
    assert!(
        checked >= 24,
        "{checked} checked, {refused} refused by the schema"
    );
}

/// `verify` reads a baseline as `check` does, and reads no file outside the project that
/// `check` would not: a baseline the schema refuses, or one that names a file outside the
/// project (by an absolute path, by `..`, or through a link), is a mismatch, and the outside
/// file's hash is never printed.
#[test]
fn verify_agrees_with_check() {
    let p = Project::nav();
    p.git_init().commit_all("pipeline");
    assert_eq!(p.run(&["accept"]).0, 0);
    let path = p.join(&format!("baselines/{RUN}.json"));
    let good = std::fs::read_to_string(&path).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let secret = elsewhere.path().join("secret.txt");
    std::fs::write(&secret, "not the project's").unwrap();
    let secret_hash = provbase::collect::files::sha256_file(&secret).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), p.join("out")).unwrap();
    type Edit = Box<dyn Fn(&mut Value)>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "an unknown key",
            Box::new(|b: &mut Value| b["surprise"] = 1.into()),
        ),
        (
            "a version it does not have",
            Box::new(|b: &mut Value| b["format_version"] = 99.into()),
        ),
        (
            "an absolute path",
            Box::new(move |b: &mut Value| {
                b["static_data_hashes"][secret.to_str().unwrap()] =
                    format!("sha256:{}", "0".repeat(64)).into()
            }),
        ),
        (
            "a path through a link",
            Box::new(|b: &mut Value| {
                b["static_data_hashes"]["out/secret.txt"] =
                    format!("sha256:{}", "0".repeat(64)).into()
            }),
        ),
        (
            "a path up and out",
            Box::new(|b: &mut Value| {
                b["static_data_hashes"]["../secret.txt"] =
                    format!("sha256:{}", "0".repeat(64)).into()
            }),
        ),
    ];
    for (what, edit) in edits {
        let mut b: Value = serde_json::from_str(&good).unwrap();
        edit(&mut b);
        provbase::manifest::seal(&mut b);
        std::fs::write(&path, provbase::canonical::pretty_bytes(&b)).unwrap();
        let (check, _, _) = p.run(&["check"]);
        let (verify, out, err) = p.run(&["verify", &format!("baselines/{RUN}.json")]);
        assert_eq!(verify, 1, "{what}: {out}{err}");
        assert_ne!(check, 0, "{what}: check refuses or fails it too");
        assert!(!out.contains(&secret_hash[7..]), "{what}: {out}");
    }
}

/// Every shape of secret the issue planted, through every output of a failing check (human,
/// JSON, Markdown, JUnit, GitHub annotations and step summary, Azure), the fleet page and its
/// summary, and a bundle: none reaches a byte provbase prints or writes; and untrusted text
/// (a command's stderr, a file's diff) issues no CI runner command.
#[test]
fn planted_secrets_of_every_shape_reach_no_output_and_command_no_runner() {
    const GHP: &str = "ghp_R8xQ2kLmN4pV7sT1wY3zA5bC9dE0fG6hJ2kL";
    let secrets = [
        "R8xQ2kLmN4pV7sT1wY3zA5bC9dE0fG6hJ2kL",
        "url-s3cret",
        "opaque-bearer-value",
        "dXNlcjpwYXNzd29yZA",
        "QWxhZGRpbjpvcGVuIHNlc2FtZQ",
        "sas-signature-value",
        "slackwebhooksecret1",
        "pg-s3cret",
        "pw-value-1",
        "pass-value-2",
        "4711-pin",
        "mysql-s3cret",
        "api-tok-value",
        "hunter2-new",
        "hunter1-old",
        "SECRETpw",
    ];
    let p = Project::new();
    let stderr = format!(
        "fatal: unable to access https://bot:url-s3cret@git.example/x.git\\n\
         curl -H 'Authorization: Bearer opaque-bearer-value'\\n\
         Authorization: Basic dXNlcjpwYXNzd29yZA==\\n\
         token:{GHP}\\n\
         ##[error]pwned by stderr\\n\
         ok\\r::error::after a bare CR\\n\
         ##vso[task.setvariable variable=x]1\\n\
         mysql -uroot -pSECRETpw\\n\
         host=db user=u password=pg-s3cret dbname=x"
    );
    p.file(
        "harness.toml",
        &format!(
            r#"[[run]]
name = "r"
hardware = false
code = ["src/*.py"]
static_data = ["cfg/*.yaml"]
env = ["MYSQL_PWD", "API_TOKEN", "AZURE_STORAGE_CONNECTION_STRING", "SLACK_WEBHOOK_URL", "BLOB_URL"]
params = {{ pw = "pw-value-1", db_pass = "pass-value-2", sim_pin = "4711-pin", seed = 1 }}

[run.external.ext]
command = ["sh", "-c", "printf '{{\"note\": \"Authorization: Basic dXNlcjpwYXNzd29yZA==\", \"dsn\": \"host=db password=pg-s3cret\"}}'"]

[[run]]
name = "broken"
hardware = false
command = ["sh", "-c", "printf '{}' >&2; exit 1"]
"#,
            stderr.replace('\'', "'\"'\"'").replace('"', "\\\"")
        ),
    );
    p.file("src/app.py", "API = 'none'\n")
        .file("cfg/db.yaml", "password: hunter1-old\n")
        .file("cfg/##[error]named-to-command.yaml", "a: 1\n")
        .file(".gitignore", ".prov/\n");
    p.git_init().commit_all("pipeline");
    let env = |cmd: &mut assert_cmd::Command| {
        cmd.env("MYSQL_PWD", "mysql-s3cret")
            .env("API_TOKEN", "api-tok-value")
            .env(
                "AZURE_STORAGE_CONNECTION_STRING",
                "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=QWxhZGRpbjpvcGVuIHNlc2FtZQ==;EndpointSuffix=core.windows.net",
            )
            .env(
                "SLACK_WEBHOOK_URL",
                "https://hooks.slack.com/services/T0AAA/B0BBB/slackwebhooksecret1",
            )
            .env(
                "BLOB_URL",
                "https://acct.blob.core.windows.net/c/x?sv=2022-11-02&sig=sas-signature-value",
            );
    };
    let printed = std::cell::RefCell::new(String::new());
    let go = |args: &[&str], extra: &[(&str, &str)]| {
        let mut cmd = p.provbase(args);
        env(&mut cmd);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let (o, e) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        for line in o.split(['\n', '\r']) {
            assert!(
                !line.trim_start().starts_with("::"),
                "{args:?} stdout: {line}"
            );
        }
        for line in e.split(['\n', '\r']) {
            let l = line.trim_start();
            assert!(
                !l.starts_with("::")
                    || l.starts_with("::error file=")
                    || l.starts_with("::warning file="),
                "{args:?} stderr: {line}"
            );
        }
        for text in [&o, &e] {
            let lower = text.to_ascii_lowercase();
            for m in ["##[", "##vso[", "##teamcity["] {
                assert!(!lower.contains(m), "{args:?}: {m} in {text}");
            }
        }
        printed.borrow_mut().push_str(&o);
        printed.borrow_mut().push_str(&e);
        out.status.code().unwrap_or(-1)
    };
    assert_eq!(go(&["accept", "r"], &[]), 0);
    p.commit_all("baselines");
    // a token and a password on changed lines of tracked files
    p.file("src/app.py", &format!("API = '{GHP}'\n"))
        .file("cfg/db.yaml", "password: hunter2-new\n");
    let summary = p.join("summary.md");
    let gh = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
    ];
    assert_eq!(go(&["check"], &[]), 1);
    assert_eq!(go(&["--format", "json", "check"], &[]), 1);
    assert_eq!(go(&["--format", "markdown", "check"], &[]), 1);
    assert_eq!(go(&["--junit", "junit.xml", "check"], &gh), 1);
    assert_eq!(go(&["check"], &[("TF_BUILD", "True")]), 1);
    assert_eq!(
        go(&["check"], &[("PROVBASE_JSON_REPORT", "reports/r.json")]),
        1
    );
    assert_eq!(go(&["report", "reports"], &[]), 0);
    assert_eq!(go(&["--format", "markdown", "report", "reports"], &[]), 0);
    assert_eq!(go(&["bundle", "bundle", "--run", "r"], &[]), 0);
    assert_eq!(go(&["collect", "r"], &[]), 0);
    let printed = printed.into_inner();
    assert!(printed.contains("<redacted:"), "{printed}");
    assert!(
        printed.contains("pwned by stderr"),
        "the stderr tail is shown: {printed}"
    );
    for s in secrets {
        assert!(!printed.contains(s), "{s} printed:\n{printed}");
    }
    let mut files = Vec::new();
    provbase::collect::files::walk(p.path(), &mut files).unwrap();
    let mut read = 0;
    for f in &files {
        let rel = f
            .strip_prefix(p.path())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if rel.starts_with(".git/")
            || ["harness.toml", "src/app.py", "cfg/db.yaml"].contains(&rel.as_str())
        {
            continue;
        }
        read += 1;
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        for s in secrets {
            assert!(!text.contains(s), "{s} in {rel}");
        }
    }
    assert!(read >= 8, "{files:?}");
}

/// A device named by a glob, directly or through a link, fails the run as devices do
/// everywhere: it is never hashed as an empty file.
#[test]
fn a_device_named_by_a_glob_fails_the_run() {
    let p = Project::new();
    std::os::unix::fs::symlink("/dev/null", p.join("null.bin")).unwrap();
    for key in [
        "static_data = [\"/dev/null\"]",
        "inputs = [\"null.bin\"]",
        "spice = { kernels = [\"/dev/nul?\"] }",
    ] {
        p.file(
            "harness.toml",
            &format!("[[run]]\nname = \"r\"\nhardware = false\nallow_outside = true\n{key}\n"),
        );
        let (code, out, err) = p.run(&["accept"]);
        assert_ne!(code, 0, "{key}: {out}");
        assert!(err.contains("a device, not a regular file"), "{key}: {err}");
        assert!(!p.join("baselines/r.json").exists(), "{key}");
    }
}

/// A baseline that is a symbolic link (a pull request can commit one) is never written
/// through: accept refuses it and the file it points to is untouched.
#[test]
fn accept_never_writes_through_a_baseline_that_is_a_link() {
    let p = Project::nav();
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("authorized_keys");
    std::fs::write(&target, "ssh-ed25519 AAAA… me\n").unwrap();
    std::fs::create_dir_all(p.join("baselines")).unwrap();
    std::os::unix::fs::symlink(&target, p.join(&format!("baselines/{RUN}.json"))).unwrap();
    let (code, out, err) = p.run(&["accept"]);
    assert_ne!(code, 0, "{out}{err}");
    assert!(err.contains("not a regular file"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "ssh-ed25519 AAAA… me\n"
    );
}

/// An edit to a run's entry that the manifest does not show (its command's timeout), accepted
/// on the dirty tree and then committed with the baseline, is no move of HEAD: the check is
/// `ok`, not `warn`. The same edit committed without an accept still warns.
#[test]
fn an_entry_edited_accepted_then_committed_is_green() {
    let p = Project::nav();
    let harness = |timeout: &str| {
        format!(
            "{}command = [\"sh\", \"run.sh\"]\ntimeout = \"{timeout}\"\n",
            crate::project::HARNESS
        )
    };
    p.file("harness.toml", &harness("30s"))
        .file("run.sh", "true\n");
    p.git_init().commit_all("pipeline");
    assert_eq!(p.run(&["accept"]).0, 0);
    p.commit_all("baselines");
    assert!(p.run(&["check"]).1.starts_with("ok"));
    // edited, accepted on the dirty tree, committed together
    p.file("harness.toml", &harness("45s"));
    let (code, out, err) = p.run(&["accept"]);
    assert_eq!(code, 0, "{out}{err}");
    p.commit_all("a longer timeout");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("ok"), "{out}");
    // edited and committed without an accept: the commit fields warn
    p.file("harness.toml", &harness("60s"))
        .commit_all("longer still");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("warn"), "{out}");
}

/// An external field that holds the commit, and `dirty` when the tree is dirty (rms-nav's
/// envelope does this): accepted on a dirty tree and committed, `dirty → <HEAD>` is the
/// commit moving, not drift.
#[test]
fn an_envelope_that_says_dirty_then_the_commit_is_green_after_a_commit() {
    let p = Project::nav();
    p.file(
        "harness.toml",
        &format!(
            "{}\n[run.external.nav]\ncommand = [\"sh\", \"envelope.sh\"]\n",
            crate::project::HARNESS
        ),
    )
    .file(
        "envelope.sh",
        "if [ -n \"$(git status --porcelain)\" ]; then sha=dirty; else sha=$(git rev-parse --short HEAD); fi\nprintf '{\"rms_nav_git_sha\": \"%s\"}' \"$sha\"\n",
    );
    p.git_init().commit_all("pipeline");
    p.file("cfg/config_220_body_shape.yaml", "tuned: true\n");
    assert_eq!(p.run(&["accept"]).0, 0);
    assert!(p.baseline().contains("\"rms_nav_git_sha\": \"dirty\""));
    p.commit_all("tuned, accepted");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("ok"), "{out}");
}
