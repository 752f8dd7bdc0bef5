//! The check / accept cycle through the `provbase` binary.

use crate::project::{Project, hermetic};
use serde_json::Value;

const RUN: &str = "coiss-N1597846115";

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn accept_check_drift_accept_again() {
    let p = Project::nav();
    p.git_init().commit_all("start");

    // no baseline: check fails with the hint and writes nothing
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("MISSING") && out.contains("provbase accept coiss-N1597846115"),
        "{out}"
    );
    assert!(!p.join("baselines").exists(), "check wrote something");

    let (code, out, _) = p.run(&["accept"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("wrote     baselines/coiss-N1597846115.json"),
        "{out}"
    );
    let baseline = p.baseline();
    let v = json(&baseline);
    assert!(
        v.get("pipeline_run_iso8601").is_none(),
        "time fields are stripped"
    );
    let hashes = v["static_data_hashes"].as_object().unwrap();
    let keys: Vec<&String> = hashes.keys().collect();
    assert_eq!(
        keys,
        [
            "cfg/config_220_body_shape.yaml",
            "cfg/config_400_inst_coiss.yaml",
            "cfg/config_410_inst_gossi.yaml"
        ],
        "bootstrap not picked"
    );
    // rms-nav's published hash of config_220_body_shape.yaml
    assert_eq!(
        hashes["cfg/config_220_body_shape.yaml"],
        "sha256:04409dd33c08eaf0e82bdbd8ae93750b786148b23d183f17a172ed83a32e823e"
    );
    assert!(v["code"]["scope"].get("src/nav/util/geometry.py").is_some());
    assert_eq!(v["params"]["seed"], 42);
    assert_eq!(v["code"]["branch"], "main");
    assert_eq!(v["code"]["git_sha"].as_str().unwrap().len(), 40);
    assert!(baseline.ends_with("}\n") && !baseline.contains('\r'));

    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok      coiss-N1597846115"), "{out}");

    // a static-data file changes: failing drift naming it, a diff, the accept command
    p.file("cfg/config_220_body_shape.yaml", &CONFIG_CHANGED());
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    let summary = out
        .lines()
        .find(|l| l.contains("static_data  "))
        .expect(&out);
    assert!(
        summary.contains("cfg/config_220_body_shape.yaml  sha256:04409dd3… → sha256:"),
        "{summary}"
    );
    assert!(
        out.contains("--- baselines/coiss-N1597846115.json (baseline)"),
        "{out}"
    );
    assert!(out.contains("+++ coiss-N1597846115 (current)"), "{out}");
    assert!(
        out.contains("-    \"cfg/config_220_body_shape.yaml\": \"sha256:04409dd3"),
        "{out}"
    );
    let tail: Vec<&str> = out.trim_end().lines().rev().take(4).collect();
    assert!(
        tail[3].contains("To accept: provbase accept coiss-N1597846115")
            && tail[2].contains("Candidate: .prov/candidates/baselines/coiss-N1597846115.json"),
        "{out}"
    );
    assert_eq!(p.baseline(), baseline, "check never writes");

    let (code, _, _) = p.run(&["accept", RUN]);
    assert_eq!(code, 0);
    let accepted = p.baseline();
    assert_ne!(accepted, baseline);
    assert_eq!(p.run(&["check"]).0, 0);

    // a second accept leaves bytes and mtime alone (an mtime long past, so that a rewrite,
    // however soon, would show)
    let mtime = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    std::fs::File::options()
        .write(true)
        .open(p.join("baselines/coiss-N1597846115.json"))
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let (code, out, _) = p.run(&["accept"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("unchanged baselines/coiss-N1597846115.json"),
        "{out}"
    );
    assert_eq!(p.baseline(), accepted);
    assert_eq!(
        std::fs::metadata(p.join("baselines/coiss-N1597846115.json"))
            .unwrap()
            .modified()
            .unwrap(),
        mtime
    );
}

#[expect(non_snake_case, reason = "reads like the constant it derives from")]
fn CONFIG_CHANGED() -> String {
    format!("{}# edited\n", crate::project::CONFIG_220)
}

#[test]
fn identical_inputs_give_identical_bytes() {
    let a = Project::nav();
    let b = Project::nav();
    assert_eq!(a.run(&["accept"]).0, 0);
    assert_eq!(b.run(&["accept"]).0, 0);
    assert_eq!(a.baseline(), b.baseline());
}

#[test]
fn a_new_commit_or_dirty_tree_only_warns() {
    let p = Project::nav();
    p.git_init().commit_all("start");
    p.run(&["accept"]);
    p.file("README.md", "edited\n").commit_all("docs");
    p.file("notes.txt", "untracked\n");
    p.file("README.md", "dirty\n");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("warn    coiss-N1597846115"), "{out}");
    // the commit touched nothing the run depends on: HEAD's move is a note, not drift
    assert!(!out.contains("code.git_sha"), "{out}");
    assert!(
        out.contains("HEAD: moved 1 commit since the baseline's commit"),
        "{out}"
    );
    for field in ["code.dirty", "code.untracked"] {
        let line = out
            .lines()
            .find(|l| l.contains(field))
            .unwrap_or_else(|| panic!("{field}: {out}"));
        assert!(
            line.trim_start().starts_with("git ") && line.ends_with("(warn)"),
            "{line}"
        );
    }
    assert!(
        !out.contains("To accept"),
        "a warning needs no accept: {out}"
    );
}

#[test]
fn code_scope_drifts_only_when_its_files_change() {
    let p = Project::nav();
    p.run(&["accept"]);
    p.file("README.md", "outside the scope\n");
    assert_eq!(p.run(&["check"]).0, 0);
    p.file("src/nav/util/geometry.py", "PI = 3.0\n");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("src/nav/util/geometry.py") && l.contains('→'))
        .expect(&out);
    assert!(line.trim_start().starts_with("code "), "{line}");
    // an added file in scope is drift too
    p.run(&["accept"]);
    p.file("src/nav/new.py", "x = 1\n");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1);
    assert!(out.contains("src/nav/new.py  (absent) → sha256:"), "{out}");
}

#[test]
fn removed_static_data_and_changed_params_fail() {
    let p = Project::nav();
    p.run(&["accept"]);
    std::fs::remove_file(p.join("cfg/config_400_inst_coiss.yaml")).unwrap();
    p.file(
        "harness.toml",
        &crate::project::HARNESS.replace("seed = 42", "seed = 43"),
    );
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("cfg/config_400_inst_coiss.yaml  sha256:96945943… → (absent)"),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.trim_start().starts_with("params")
            && l.contains("seed")
            && l.contains("42 → 43")),
        "{out}"
    );
}

#[test]
fn policy_can_make_git_fail_or_params_warn() {
    let p = Project::nav();
    p.git_init().commit_all("start");
    p.file(
        "harness.toml",
        &format!(
            "[policy]\ngit = \"fail\"\nparams = \"warn\"\n\n{}",
            crate::project::HARNESS
        ),
    );
    p.run(&["accept"]);
    p.file("README.md", "x\n").commit_all("next");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("code.git_sha") && !out.contains("(warn)"),
        "{out}"
    );
}

#[test]
fn outside_git_and_with_an_unborn_head_git_fields_are_unavailable() {
    let p = Project::nav();
    let (code, _, err) = p.run(&["accept"]);
    assert_eq!(code, 0, "{err}");
    let v = json(&p.baseline());
    assert_eq!(v["code"]["git_sha"]["unavailable"], "not a git repository");
    assert_eq!(p.run(&["check"]).0, 0);

    let q = Project::nav();
    q.git_init();
    assert_eq!(q.run(&["accept"]).0, 0);
    let v = json(&q.baseline());
    for f in [
        "git_sha",
        "git_short_sha",
        "branch",
        "dirty",
        "untracked",
        "remote",
    ] {
        assert_eq!(
            v["code"][f]["unavailable"], "no commit yet (unborn HEAD)",
            "{f}"
        );
    }
    assert!(
        v["code"]["scope"].as_object().unwrap().len() == 2,
        "the rest still works"
    );
}

#[test]
fn remote_credentials_never_reach_a_file_or_output() {
    let p = Project::nav();
    p.git_init().commit_all("start");
    p.git(&[
        "remote",
        "add",
        "origin",
        "https://alice:hunter2-s3cret@git.example.com/org/nav.git?token=tok123",
    ]);
    p.run(&["accept"]);
    let baseline = p.baseline();
    assert!(
        baseline.contains("\"remote\": \"https://git.example.com/org/nav.git\""),
        "{baseline}"
    );
    let (_, collected, _) = p.run(&["collect", "coiss-N1597846115"]);
    for secret in ["alice", "hunter2", "tok123"] {
        assert!(
            !baseline.contains(secret) && !collected.contains(secret),
            "{secret} leaked"
        );
    }
}

#[test]
fn collect_prints_the_full_manifest_with_time_fields() {
    let p = Project::nav();
    let (code, out, _) = p.run(&["collect", RUN]);
    assert_eq!(code, 0);
    let v = json(&out);
    let t = v["pipeline_run_iso8601"].as_str().unwrap();
    assert!(t.ends_with('Z') && t.len() == 20, "{t}");
    assert_eq!(v["format_version"], 1);
    assert_eq!(
        v["digest"],
        Value::String(provbase::manifest::compute_digest(&v))
    );
    assert!(!p.join("baselines").exists());
    // an unknown run is a usage error naming the runs
    let (code, _, err) = p.run(&["collect", "nope"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no run named `nope`") && err.contains(RUN),
        "{err}"
    );
}

#[test]
fn diff_compares_two_manifests_without_their_time_fields() {
    let p = Project::nav();
    let (_, a, _) = p.run(&["collect", RUN]);
    // the same run collected at another time (sealed again, as provbase would write it)
    let mut b: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert!(b["pipeline_run_iso8601"].is_string());
    b["pipeline_run_iso8601"] = "2001-01-01T00:00:00Z".into();
    provbase::manifest::seal(&mut b);
    let b = String::from_utf8(provbase::canonical::pretty_bytes(&b)).unwrap();
    p.file("a.json", &a).file("b.json", &b);
    let (code, out, _) = p.run(&["diff", "a.json", "b.json"]);
    assert_eq!(code, 0, "time alone is no drift: {out}");
    p.file("src/nav/navigate.py", "changed\n");
    let (_, c, _) = p.run(&["collect", RUN]);
    p.file("c.json", &c);
    let (code, out, _) = p.run(&["diff", "a.json", "c.json"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("src/nav/navigate.py"), "{out}");
    let (code, out, _) = p.run(&["--format", "json", "diff", "a.json", "c.json"]);
    assert_eq!(code, 1);
    let d = json(&out);
    assert_eq!(d["drifts"][0]["category"], "code");
    assert_eq!(
        d["drifts"][0]["path"],
        r#"code.scope."src/nav/navigate.py""#
    );
    // drift that only warns (hardware, by default) exits 0, as check does
    let warn_only = c.replace("\"memory_gib\": ", "\"memory_gib\": 1000");
    assert_ne!(warn_only, c, "the manifest records memory");
    p.file("d.json", &warn_only);
    let (code, out, _) = p.run(&["diff", "c.json", "d.json"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("hardware"), "{out}");
}

#[test]
fn list_and_orphans_and_prune() {
    let p = Project::nav();
    let (code, out, _) = p.run(&["list"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("coiss-N1597846115  missing   baselines/coiss-N1597846115.json"),
        "{out}"
    );
    p.run(&["accept"]);
    p.file("baselines/old-run.json", &p.baseline())
        .file("baselines/nightly/x.json", "{}\n");
    let (_, out, _) = p.run(&["list"]);
    assert!(
        out.contains("baseline  baselines/coiss-N1597846115.json"),
        "{out}"
    );
    assert!(
        out.contains("orphan    baselines/old-run.json") && !out.contains("nightly"),
        "{out}"
    );

    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "an orphan fails the check: {out}");
    assert!(out.contains("ORPHAN  baselines/old-run.json"), "{out}");
    // a check of named runs does not judge orphans
    assert_eq!(p.run(&["check", RUN]).0, 0);

    let (code, out, _) = p.run(&["prune"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("orphan  baselines/old-run.json") && p.join("baselines/old-run.json").exists()
    );
    let (code, out, _) = p.run(&["prune", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert!(!p.join("baselines/old-run.json").exists());
    assert!(
        p.join("baselines/nightly/x.json").exists(),
        "profile folders are not orphans"
    );
    assert_eq!(p.run(&["check"]).0, 0);
}

#[test]
fn json_report_has_status_and_drift_entries() {
    let p = Project::nav();
    p.run(&["accept"]);
    p.file("src/nav/navigate.py", "changed\n");
    let (code, out, _) = p.run(&["--format", "json", "check"]);
    assert_eq!(code, 1);
    let v = json(&out);
    assert_eq!(v["summary"]["fail"], 1);
    let run = &v["runs"][0];
    assert_eq!(run["status"], "fail");
    assert_eq!(run["drifts"][0]["category"], "code");
    assert_eq!(run["drifts"][0]["policy"], "fail");
    assert!(
        run["drifts"][0]["before"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
}

#[test]
fn config_is_found_from_a_subfolder_and_with_config() {
    let p = Project::nav();
    std::fs::create_dir_all(p.join("src/nav/util")).unwrap();
    let out = p
        .provbase(&["list"])
        .current_dir(p.join("src/nav/util"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(RUN));
    let elsewhere = tempfile::tempdir().unwrap();
    let out = p
        .provbase(&["list"])
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no harness.toml"));
    let cfg = p.join("harness.toml");
    let out = p
        .provbase(&["--config", cfg.to_str().unwrap(), "list"])
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn digest_reproduces_a_known_canonical_hash() {
    let p = Project::new();
    // RFC 8785's arrays vector: its canonical form is `[56,{"1":[],"10":null,"d":true}]`
    p.file(
        "a.json",
        "[\n  56,\n  {\n    \"d\": true,\n    \"10\": null,\n    \"1\": [ ]\n  }\n]\n",
    );
    let (code, out, _) = p.run(&["digest", "a.json"]);
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        provbase::canonical::sha256_tagged(br#"[56,{"1":[],"10":null,"d":true}]"#)
    );
    p.file("bad.json", "{");
    assert_eq!(p.run(&["digest", "bad.json"]).0, 2);
}

#[cfg(unix)]
#[test]
fn a_closed_pipe_is_no_panic() {
    let p = Project::nav();
    // a manifest far larger than a pipe's buffer (64 KiB)
    for i in 0..2000 {
        p.file(&format!("src/nav/gen/m{i:04}.py"), &format!("X = {i}\n"));
    }
    p.run(&["accept"]);
    for i in 0..2000 {
        p.file(
            &format!("src/nav/gen/m{i:04}.py"),
            &format!("X = {}\n", i + 1),
        );
    }
    // a report of 2000 drifts; `head -c 1` closes the pipe while provbase is still writing
    let out = hermetic(std::process::Command::new("sh").args([
        "-c",
        &format!(
            "'{}' --format json check | head -c 1 >/dev/null",
            env!("CARGO_BIN_EXE_provbase")
        ),
    ]))
    .current_dir(p.path())
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn accept_new_writes_only_missing_baselines() {
    let p = Project::nav_with_second_run();
    assert_eq!(p.run(&["accept", "second"]).0, 0);
    assert!(
        !p.join("baselines/coiss-N1597846115.json").exists(),
        "only the named run"
    );
    let second = p.read("baselines/second.json");
    p.file(
        "harness.toml",
        &p.read("harness.toml").replace("seed = 1 }", "seed = 2 }"),
    );
    let (code, out, _) = p.run(&["accept", "--new"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("wrote     baselines/coiss-N1597846115.json"),
        "{out}"
    );
    assert!(
        out.contains("kept      baselines/second.json (exists)"),
        "{out}"
    );
    assert_eq!(
        p.read("baselines/second.json"),
        second,
        "an existing baseline is not rewritten"
    );
    assert_eq!(p.run(&["check", "second"]).0, 1, "and so it still drifts");
}

#[test]
fn digest_reproduces_genolewm_golden_vector() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seeds/geno_lewm");
    let receipt: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("receipt.json")).unwrap()).unwrap();
    let p = Project::new();
    let (code, out, _) = p.run(&["digest", dir.join("manifest.json").to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        receipt["model_id"].as_str().unwrap(),
        "the receipt's model_id"
    );
    assert_eq!(
        provbase::canonical::digest_of(&receipt["output"]),
        receipt["output_commitment"].as_str().unwrap()
    );
    // the files on disk are their canonical bytes plus a newline
    let manifest = std::fs::read(dir.join("manifest.json")).unwrap();
    let value = provbase::canonical::parse_strict(&manifest).unwrap();
    assert_eq!(
        [provbase::canonical::jcs_bytes(&value), b"\n".to_vec()].concat(),
        manifest
    );
}

#[test]
fn shell_completions_and_a_man_page() {
    let p = Project::new();
    let (code, bash, _) = p.run(&["completions", "bash"]);
    assert_eq!(code, 0);
    assert!(
        bash.contains("_provbase()") && bash.contains("pending"),
        "{bash}"
    );
    // bash itself reads it
    let status = std::process::Command::new("bash")
        .args(["-n", "-c", &bash])
        .status()
        .unwrap();
    assert!(status.success());
    let (code, man, _) = p.run(&["completions", "man"]);
    assert_eq!(code, 0);
    assert!(
        man.starts_with(".ie") || man.contains(".TH provbase"),
        "{man}"
    );
    assert_eq!(p.run(&["completions", "tcsh"]).0, 2);
}

/// `provbase locate`: the harness.toml every door uses (the Python plugin asks it): the
/// nearest from the current folder up, or PROVBASE_CONFIG, or `--config`; none is a usage
/// error.
#[test]
fn locate_names_the_harness_toml_the_doors_use() {
    let p = Project::nav();
    let below = p.join("cfg");
    let run = |dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_provbase"));
        cmd.args(args).arg("locate");
        crate::project::hermetic(cmd.current_dir(dir));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        )
    };
    let own = p.join("harness.toml").display().to_string();
    assert_eq!(run(&below, &[], &[]), (Some(0), own.clone()));
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("harness.toml"), "broken [").unwrap();
    let theirs = other.path().join("harness.toml").display().to_string();
    // found, not read: a broken file is still where the doors look
    assert_eq!(
        run(&below, &[("PROVBASE_CONFIG", &theirs)], &[]),
        (Some(0), theirs.clone())
    );
    assert_eq!(run(&below, &[], &["--config", &theirs]), (Some(0), theirs));
    let nowhere = tempfile::tempdir().unwrap();
    assert_eq!(run(nowhere.path(), &[], &[]).0, Some(2));
}

/// A typed strip rule that finds a value of another shape is one kind of failure wherever a
/// document is stripped: `diff` exits 1 as `check` does, naming the document and the rule.
#[test]
fn a_broken_typed_value_fails_diff_as_it_fails_check() {
    let p = Project::nav();
    p.file(
        "harness.toml",
        &crate::project::HARNESS.replace(
            "baselines = \"baselines\"",
            "baselines = \"baselines\"\nstrip = [{ path = \"**.started\", expect = \"rfc3339\" }]",
        ),
    );
    let (_, a, _) = p.run(&["collect", RUN]);
    let with = |started: &str| {
        let mut m: serde_json::Value = serde_json::from_str(&a).unwrap();
        m["external"] = serde_json::json!({ "job": { "started": started } });
        provbase::manifest::seal(&mut m);
        String::from_utf8(provbase::canonical::pretty_bytes(&m)).unwrap()
    };
    p.file("a.json", &with("2026-01-01T00:00:00Z"))
        .file("b.json", &with("yesterday"));
    let (code, _, err) = p.run(&["diff", "a.json", "b.json"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("b.json") && err.contains("external.job.started") && err.contains("yesterday"),
        "{err}"
    );
}
