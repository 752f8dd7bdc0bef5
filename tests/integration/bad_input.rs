//! Bad input gets a clear message naming the file, line or key, and loses nothing.

use crate::project::{HARNESS, Project};

#[test]
fn bad_configurations_exit_2_naming_file_line_and_key() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "unknown key",
            "[[run]]\nname = \"a\"\nstatic_dat = [\"x\"]\n",
            "harness.toml:3: unknown field `static_dat`",
        ),
        (
            "bad glob",
            "[[run]]\nname = \"a\"\ncode = [\"src/[\"]\n",
            "harness.toml:3: `code`: bad glob `src/[`",
        ),
        (
            "duplicate",
            "[[run]]\nname = \"a\"\n[[run]]\nname = \"a\"\n",
            "harness.toml:4: duplicate run name `a`",
        ),
        (
            "path name",
            "[[run]]\nname = \"../x\"\n",
            "harness.toml:2: run name `../x` is not allowed",
        ),
        ("syntax", "[[run]\nname = \"a\"\n", "harness.toml:1:"),
    ];
    for (what, text, needle) in cases {
        let p = Project::new();
        p.file("harness.toml", text);
        for cmd in [&["check"][..], &["accept"], &["list"]] {
            let (code, out, err) = p.run(cmd);
            assert_eq!(code, 2, "{what} {cmd:?}: {out}{err}");
            assert!(err.contains(needle), "{what}: {err}");
        }
        assert!(!p.join("baselines").exists(), "{what}: nothing written");
    }
}

#[test]
fn an_unknown_profile_lists_the_known_ones() {
    let p = Project::nav();
    p.file(
        "harness.toml",
        &format!("[profile.nightly]\nbaselines = \"baselines/nightly\"\n\n{HARNESS}"),
    );
    let (code, _, err) = p.run(&["--profile", "weekly", "check"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown profile `weekly`") && err.contains("nightly"),
        "{err}"
    );
    let (code, out, _) = p.run(&["--profile", "nightly", "accept"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("baselines/nightly/coiss-N1597846115.json"),
        "{out}"
    );
}

#[test]
fn untrustworthy_baselines_fail_the_run_and_stay_as_they_were() {
    let p = Project::nav();
    p.run(&["accept"]);
    let good = p.baseline();
    let edited = good.replace("\"seed\": 42", "\"seed\": 41");
    let dup = good.replacen("{\n", "{\n  \"run\": \"x\",\n", 1);
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "not json",
            "{ \"format_version\": 1,\n".into(),
            "not a valid baseline",
        ),
        ("duplicate key", dup, "duplicate key `run`"),
        (
            "unknown version",
            good.replace("\"format_version\": 1", "\"format_version\": 7"),
            "unknown format_version 7",
        ),
        ("hand edit", edited, "edited by hand"),
        (
            "conflict",
            format!("<<<<<<< HEAD\n{good}=======\n{good}>>>>>>> branch\n"),
            "conflicted: the file holds merge-conflict markers; re-run accept",
        ),
    ];
    for (what, bytes, needle) in cases {
        p.file("baselines/coiss-N1597846115.json", &bytes);
        let (code, out, _) = p.run(&["check"]);
        assert_eq!(code, 1, "{what}: {out}");
        assert!(out.contains("ERROR   coiss-N1597846115"), "{what}: {out}");
        assert!(
            out.contains("baselines/coiss-N1597846115.json") && out.contains(needle),
            "{what}: {out}"
        );
        assert_eq!(
            p.baseline(),
            bytes,
            "{what}: the file is left exactly as it was"
        );
    }
    // accept is the explicit way out
    assert_eq!(p.run(&["accept"]).0, 0);
    assert_eq!(p.baseline(), good);
}

#[test]
fn a_glob_that_matches_nothing_fails_the_run() {
    let p = Project::nav();
    p.file(
        "harness.toml",
        &HARNESS.replace("cfg/config_220_*.yaml", "cfg/config_999_*.yaml"),
    );
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1);
    assert!(
        out.contains(
            "no file matches `static_data` glob `cfg/config_999_*.yaml` (harness.toml line 7)"
        ),
        "{out}"
    );
    let (code, _, err) = p.run(&["accept"]);
    assert_eq!(code, 1);
    assert!(err.contains("no file matches"), "{err}");
    assert!(!p.join("baselines").exists());
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_fails_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::nav();
    let f = p.join("cfg/config_400_inst_coiss.yaml");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&f).is_ok() {
        // running as root: permissions do not stop reads, so make it a dangling link instead
        std::fs::remove_file(&f).unwrap();
        std::os::unix::fs::symlink(p.join("nowhere"), &f).unwrap();
        let (code, out, _) = p.run(&["check"]);
        assert_eq!(code, 1);
        assert!(
            out.contains("cannot read cfg/config_400_inst_coiss.yaml: broken symbolic link"),
            "{out}"
        );
        return;
    }
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("cannot read cfg/config_400_inst_coiss.yaml"),
        "{out}"
    );
}

#[test]
fn with_ci_set_check_writes_nothing() {
    let p = Project::nav();
    let out = p.provbase(&["check"]).env("CI", "true").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!p.join("baselines").exists());
}

#[test]
fn a_baseline_that_breaks_the_schema_names_the_field() {
    let p = Project::nav();
    p.run(&["accept"]);
    let mut v: serde_json::Value = serde_json::from_str(&p.baseline()).unwrap();
    v["code"]["scope"]["src/nav/navigate.py"] = serde_json::json!("md5:abc");
    provbase::manifest::seal(&mut v);
    let bytes = String::from_utf8(provbase::canonical::pretty_bytes(&v)).unwrap();
    p.file("baselines/coiss-N1597846115.json", &bytes);
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1);
    assert!(
        out.contains(
            "does not match the manifest.schema.json schema: /code/scope/src~1nav~1navigate.py"
        ),
        "{out}"
    );
    assert_eq!(p.baseline(), bytes);
    // a recorded run too
    let q = Project::new();
    q.run(&["record", "--", "true"]);
    let dir = std::fs::read_dir(q.join(".prov/runs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let run = std::fs::read_to_string(dir.join("run.json"))
        .unwrap()
        .replace(
            "\"kind\": \"provbase.run\"",
            "\"kind\": \"provbase.run\",\n  \"extra\": 1",
        );
    std::fs::write(dir.join("run.json"), run).unwrap();
    let (code, _, err) = q.run(&["runs"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("run.json: does not match the run.schema.json schema")
            && err.contains("extra"),
        "{err}"
    );
}
