//! Provenance for any command: record, runs, diff, bundle, verify, export, and configured runs
//! that execute.

use crate::project::Project;
use serde_json::Value;

const PARAMS: &str = include_str!("../fixtures/seeds/provenance-recorder/params.yaml");

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn repo() -> Project {
    let p = Project::new();
    p.file(".gitignore", ".prov/\nout/\n")
        .file("data/cases.csv", "county,cases\nA,5\n")
        .file("params.yaml", PARAMS);
    p.file(
        "train.sh",
        "mkdir -p out && cat data/cases.csv > out/model.txt && echo trained\n",
    );
    p.git_init().commit_all("start");
    p
}

fn record(p: &Project, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "record",
        "--name",
        "train",
        "--inputs",
        "data",
        "--outputs",
        "out",
        "--params",
        "params.yaml",
    ];
    args.extend_from_slice(extra);
    p.run(&args)
}

fn run_ids(p: &Project) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(p.join(".prov/runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    ids.sort();
    ids
}

#[test]
fn an_identical_rerun_keeps_its_id_and_a_changed_input_does_not() {
    let p = repo();
    let (code, out, err) = record(&p, &["--tag", "v1", "--", "sh", "train.sh"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "trained\n", "the command's stdout passes through");
    assert!(err.contains("provbase: recorded run "), "{err}");
    let ids = run_ids(&p);
    assert_eq!(ids.len(), 1);
    let run = json(&p.read(&format!(".prov/runs/{}/run.json", ids[0])));
    assert_eq!(run["id"], ids[0].as_str());
    assert_eq!(run["name"], "train");
    assert_eq!(run["exit_status"], 0);
    assert_eq!(run["inputs"]["data/cases.csv"]["size"], 17);
    assert!(
        run["outputs"]["out/model.txt"]["sha256"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(run["params"]["path"], "params.yaml");
    assert_eq!(run["params"]["content"]["aggregation"]["per"], 100000);
    assert_eq!(
        run["params"]["sha256"],
        provbase::canonical::sha256_tagged(PARAMS.as_bytes())
    );
    fn no_timestamps(v: &Value) -> bool {
        match v {
            Value::String(_) => !provbase::strip::Expect::Rfc3339.accepts(v),
            Value::Array(a) => a.iter().all(no_timestamps),
            Value::Object(m) => m.values().all(no_timestamps),
            _ => true,
        }
    }
    assert!(no_timestamps(&run), "times live only in events: {run}");
    assert_eq!(
        run["digest"],
        Value::String(provbase::manifest::compute_digest(&run))
    );

    let (_, _, err) = record(&p, &["--", "sh", "train.sh"]);
    assert!(err.contains("identical to an earlier run"), "{err}");
    assert_eq!(run_ids(&p), ids, "the same id");
    let events = p.read(&format!(".prov/runs/{}/events.jsonl", ids[0]));
    assert_eq!(
        events
            .lines()
            .filter(|l| l.contains("\"event\":\"end\""))
            .count(),
        2
    );

    p.file("data/cases.csv", "county,cases\nA,6\n");
    record(&p, &["--tag", "v2", "--", "sh", "train.sh"]);
    assert_eq!(run_ids(&p).len(), 2, "a changed input is a new run");

    // diff with no arguments: the two newest
    let (code, out, _) = p.run(&["diff"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("inputs") && l.contains("data/cases.csv")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("outputs") && l.contains("out/model.txt")),
        "{out}"
    );
    // references: tags, #N, id prefixes
    let (code, out2, _) = p.run(&["diff", "v1", "v2"]);
    assert_eq!((code, &out2), (1, &out));
    let (code, _, _) = p.run(&["diff", "#2", "#1"]);
    assert_eq!(code, 1);
    let (code, out, _) = p.run(&["diff", &ids[0][..6], "v1"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("no drift"), "{out}");
    let (code, _, err) = p.run(&["diff", "nope", "v1"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`nope` is no file, recorded run id, tag or #N"),
        "{err}"
    );

    let (code, out, _) = p.run(&["runs"]);
    assert_eq!(code, 0);
    let first = out.lines().nth(1).unwrap();
    assert!(first.starts_with("#1 ") && first.contains("v2"), "{out}");
    assert!(
        out.lines().nth(2).unwrap().contains("train")
            && out.lines().nth(2).unwrap().trim_end().ends_with('2'),
        "two executions: {out}"
    );
}

#[test]
fn the_commands_exit_status_passes_through() {
    let p = repo();
    let (code, _, _) = p.run(&["record", "--", "sh", "-c", "echo oops >&2; exit 7"]);
    assert_eq!(code, 7);
    let ids = run_ids(&p);
    assert_eq!(
        json(&p.read(&format!(".prov/runs/{}/run.json", ids[0])))["exit_status"],
        7
    );
    let (code, _, err) = p.run(&["record", "--", "/no/such/program"]);
    assert_eq!(code, 127, "{err}");
    assert!(err.contains("could not start"));
    // found but not executable: 126, as POSIX shells say it
    p.file("not-executable.sh", "echo hi\n");
    let (code, _, err) = p.run(&["record", "--", "./not-executable.sh"]);
    assert_eq!(code, 126, "{err}");
    assert!(err.contains("could not start"));
    // --no-exec records without running
    let (code, _, _) = p.run(&["record", "--no-exec", "--", "sh", "-c", "touch ran.txt"]);
    assert_eq!(code, 0);
    assert!(!p.join("ran.txt").exists());
    assert_eq!(run_ids(&p).len(), 2);
}

#[test]
fn planted_secrets_reach_no_file() {
    let p = repo();
    p.git(&[
        "remote",
        "add",
        "origin",
        "https://carol:remote-s3cret@git.example.com/x.git",
    ]);
    let out = p
        .provbase(&[
            "record",
            "--outputs",
            "out",
            "--",
            "sh",
            "train.sh",
            "--api-token=arg-s3cret",
            "--password",
            "pw-s3cret",
        ])
        .env("MY_API_TOKEN", "env-s3cret")
        .env("OMP_NUM_THREADS", "3")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = p
        .provbase(&["bundle", "bundle"])
        .env("MY_API_TOKEN", "env-s3cret")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files = Vec::new();
    provbase::collect::files::walk(&p.join(".prov"), &mut files).unwrap();
    provbase::collect::files::walk(&p.join("bundle"), &mut files).unwrap();
    assert!(files.len() >= 9, "{files:?}");
    for f in &files {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        for secret in [
            "remote-s3cret",
            "arg-s3cret",
            "pw-s3cret",
            "env-s3cret",
            "carol",
        ] {
            assert!(!text.contains(secret), "{secret} in {}", f.display());
        }
    }
    let env = p.read("bundle/provenance/env.txt");
    assert!(env.contains("MY_API_TOKEN=<redacted:"), "{env}");
    let ids = run_ids(&p);
    let run = p.read(&format!(".prov/runs/{}/run.json", ids[0]));
    assert!(
        run.contains("--api-token=<redacted>") && run.contains("\"OMP_NUM_THREADS\": \"3\""),
        "{run}"
    );
}

#[test]
fn bundles_are_reproducible_and_show_uncommitted_work() {
    let p = repo();
    p.file(
        "harness.toml",
        "[[run]]\nname = \"nav\"\nstatic_data = [\"data/*.csv\"]\ninputs = [\"params.yaml\"]\n",
    );
    p.commit_all("config");
    // bundles go beside the outputs, in a folder git ignores
    let (code, out, err) = p.run(&["bundle", "out/b1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("wrote out/b1/provenance/repro.json"), "{out}");
    p.run(&["bundle", "out/b2"]);
    assert_eq!(
        std::fs::read(p.join("out/b1/provenance/repro.json")).unwrap(),
        std::fs::read(p.join("out/b2/provenance/repro.json")).unwrap(),
        "byte-identical on a clean tree"
    );
    assert_eq!(
        p.read("out/b1/provenance/git.diff"),
        "",
        "clean tree, empty diff"
    );
    let repro = p.read("out/b1/provenance/repro.json");
    assert!(
        repro.ends_with("}\n")
            && !repro.contains("pipeline_run_iso8601")
            && !repro.contains("\n  "),
        "canonical, time-free"
    );
    let md = p.read("out/b1/provenance/RUN.md");
    assert!(
        md.contains("# Provenance of run `nav`")
            && md.contains("provbase check nav")
            && md.contains("git checkout "),
        "{md}"
    );
    let fp = json(&p.read("out/b1/provenance/codebase_fingerprint.json"));
    assert_eq!(
        fp["files"]["data/cases.csv"],
        provbase::canonical::sha256_tagged(b"county,cases\nA,5\n")
    );
    let events = p.read("out/b1/provenance/events.jsonl");
    assert!(
        events.contains("\"event\":\"collect\"") && events.contains("\"event\":\"bundle\""),
        "{events}"
    );

    // a dirty tree: the tracked files' patch; untracked files by name and hash, their
    // contents only when asked for, and never a file git ignores
    p.file("data/cases.csv", "county,cases\nA,9\n")
        .file("notes.txt", "new file\n")
        .file(".gitignore", &format!("{}*.key\n", p.read(".gitignore")))
        .file("service.key", "PRIVATE\n");
    p.run(&["bundle", "b3"]);
    let diff = p.read("b3/provenance/git.diff");
    assert!(
        diff.contains("+A,9") && !diff.contains("notes.txt"),
        "{diff}"
    );
    let untracked = p.read("b3/provenance/untracked.txt");
    assert!(
        untracked.contains(&format!(
            "{}  notes.txt\n",
            provbase::canonical::sha256_tagged(b"new file\n")
        )) && !untracked.contains("service.key"),
        "{untracked}"
    );
    p.run(&["bundle", "b4", "--untracked-contents"]);
    let diff = p.read("b4/provenance/git.diff");
    assert!(
        diff.contains("+A,9") && diff.contains("+++ b/notes.txt") && diff.contains("+new file"),
        "{diff}"
    );
    assert!(
        !diff.contains("PRIVATE") && !diff.contains("service.key"),
        "{diff}"
    );
    assert!(
        !diff.contains("b4/provenance"),
        "the bundle's own folder is left out: {diff}"
    );
    assert!(
        p.read("b3/provenance/RUN.md")
            .contains("git apply provenance/git.diff")
    );
}

#[test]
fn verify_checks_digests_and_listed_hashes() {
    let p = repo();
    record(&p, &["--", "sh", "train.sh"]);
    p.run(&["bundle", "b"]);
    let ids = run_ids(&p);
    let run_json = format!(".prov/runs/{}/run.json", ids[0]);
    let (code, out, _) = p.run(&["verify", &run_json, "b"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("ok        {run_json} (4 checked)")),
        "{out}"
    );
    p.file("out/model.txt", "tampered\n");
    let (code, out, _) = p.run(&["verify", &run_json]);
    assert_eq!(code, 1);
    assert!(
        out.contains("MISSMATCH").eq(&false)
            && out.contains("MISMATCH")
            && out.contains("out/model.txt: listed sha256:"),
        "{out}"
    );
    let edited = p
        .read(&run_json)
        .replace("\"exit_status\": 0", "\"exit_status\": 1");
    p.file(&run_json, &edited);
    let (code, out, _) = p.run(&["verify", &run_json]);
    assert_eq!(code, 1);
    assert!(out.contains("digest: the file says"), "{out}");
    // a baseline too
    p.file(
        "harness.toml",
        "[[run]]\nname = \"nav\"\nstatic_data = [\"data/*.csv\"]\n",
    );
    p.run(&["accept"]);
    assert_eq!(p.run(&["verify", "baselines/nav.json"]).0, 0);
    p.file("data/cases.csv", "changed\n");
    let (code, out, _) = p.run(&["verify", "baselines/nav.json"]);
    assert_eq!(code, 1);
    assert!(out.contains("data/cases.csv: listed"), "{out}");
}

/// verify fails on what it cannot vouch for: a baseline whose digest was removed (and a
/// param edited), a file holding `null` or another tool's JSON, and an edit to any file of a
/// bundle, `env.txt`, `git.diff`, `RUN.md` and `events.jsonl` included.
#[test]
fn verify_vouches_only_for_what_it_can() {
    let p = repo();
    p.file(
        "harness.toml",
        "[[run]]\nname = \"nav\"\nhardware = false\nparams = { seed = 1 }\n",
    );
    assert_eq!(p.run(&["accept"]).0, 0);
    let base = p.read("baselines/nav.json");
    let no_digest: String = base
        .lines()
        .filter(|l| !l.contains("\"digest\""))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("\"seed\": 1", "\"seed\": 2");
    p.file("edited.json", &no_digest);
    let (code, out, err) = p.run(&["verify", "edited.json"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("no `digest`"), "{out}");
    for (name, text) in [
        ("null.json", "null"),
        ("other.json", "{\"run_id\": \"abc\", \"status\": \"ok\"}"),
    ] {
        p.file(name, text);
        let (code, out, err) = p.run(&["verify", name]);
        assert_ne!(code, 0, "{name}: {out}");
        assert!(err.contains("not a provbase document"), "{name}: {err}");
        assert!(!out.contains("ok "), "{name}: {out}");
    }
    assert_eq!(p.run(&["bundle", "bb", "--run", "nav"]).0, 0);
    let (code, out, _) = p.run(&["verify", "bb"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("bundle.json"), "{out}");
    for f in [
        "env.txt",
        "git.diff",
        "RUN.md",
        "events.jsonl",
        "untracked.txt",
    ] {
        let path = format!("bb/provenance/{f}");
        let before = std::fs::read(p.join(&path)).unwrap();
        let mut edited = before.clone();
        edited.extend_from_slice(b"edited\n");
        std::fs::write(p.join(&path), &edited).unwrap();
        let (code, out, _) = p.run(&["verify", "bb"]);
        assert_eq!(code, 1, "an edit to {f} is caught: {out}");
        assert!(out.contains(&format!("{f}: listed")), "{out}");
        std::fs::write(p.join(&path), &before).unwrap();
    }
    std::fs::remove_file(p.join("bb/provenance/bundle.json")).unwrap();
    let (code, out, _) = p.run(&["verify", "bb"]);
    assert_eq!(code, 1, "{out}");
}

/// A bundle's JSON documents say what they are and the version of their shape: verify reads
/// versions 1 and 2, refuses a newer one and a version 2 document that lost a member, and a
/// run recorded with a version 1 code fingerprint bundles it as version 2 with its digest.
#[test]
fn bundle_documents_carry_kind_and_version() {
    let p = repo();
    record(&p, &["--", "sh", "train.sh"]);
    let id = run_ids(&p).remove(0);
    // as a run recorded before version 2 kept it
    let kept = format!(".prov/runs/{id}/codebase_fingerprint.json");
    let mut v1: serde_json::Value = json(&p.read(&kept));
    let digest = v1["digest"].clone();
    let obj = v1.as_object_mut().unwrap();
    assert_eq!(obj.remove("kind").unwrap(), "provbase.codebase_fingerprint");
    assert_eq!(obj.remove("version").unwrap(), 2);
    p.file(&kept, &serde_json::to_string_pretty(&v1).unwrap());
    let (code, _, err) = p.run(&["bundle", "b", "--run", &id]);
    assert_eq!(code, 0, "{err}");
    let fp = json(&p.read("b/provenance/codebase_fingerprint.json"));
    assert_eq!(
        (&fp["kind"], &fp["version"], &fp["digest"]),
        (
            &serde_json::json!("provbase.codebase_fingerprint"),
            &serde_json::json!(2),
            &digest
        )
    );
    for (name, kind) in [
        ("bundle.json", "provbase.bundle"),
        ("env_fingerprint.json", "provbase.env_fingerprint"),
        ("env_snapshot.json", "provbase.env_snapshot"),
    ] {
        let doc = json(&p.read(&format!("b/provenance/{name}")));
        assert_eq!(
            (doc["kind"].as_str(), doc["version"].as_u64()),
            (Some(kind), Some(2))
        );
    }
    assert_eq!(p.run(&["verify", "b"]).0, 0);
    // a newer version, sealed as provbase would seal it, is not vouched for
    let reseal = |mut doc: serde_json::Value| {
        doc.as_object_mut().unwrap().remove("digest");
        let d = provbase::canonical::digest_of(&doc);
        doc["digest"] = serde_json::json!(d);
        serde_json::to_string_pretty(&doc).unwrap()
    };
    let mut newer = json(&p.read("b/provenance/env_fingerprint.json"));
    newer["version"] = serde_json::json!(3);
    p.file("newer.json", &reseal(newer));
    let (code, out, _) = p.run(&["verify", "newer.json"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("refused: unknown version 3"), "{out}");
    // a version 2 document without a member its version has
    let mut lost = json(&p.read("b/provenance/env_snapshot.json"));
    lost.as_object_mut().unwrap().remove("git_head");
    p.file("lost.json", &reseal(lost));
    let (code, out, _) = p.run(&["verify", "lost.json"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("refused: does not match the env_snapshot.schema.json schema"),
        "{out}"
    );
}

#[test]
fn export_in_toto_slsa() {
    let p = repo();
    record(&p, &["--tag", "release", "--", "sh", "train.sh"]);
    let (code, out, err) = p.run(&["export", "--in-toto", "release"]);
    assert_eq!(code, 0, "{err}");
    let s = json(&out);
    assert_eq!(s["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(s["predicateType"], "https://slsa.dev/provenance/v1");
    let model = std::fs::read(p.join("out/model.txt")).unwrap();
    assert_eq!(s["subject"][0]["name"], "out/model.txt");
    assert_eq!(
        format!(
            "sha256:{}",
            s["subject"][0]["digest"]["sha256"].as_str().unwrap()
        ),
        provbase::canonical::sha256_tagged(&model)
    );
    let deps = s["predicate"]["buildDefinition"]["resolvedDependencies"]
        .as_array()
        .unwrap();
    assert!(
        deps.iter().any(|d| d["name"] == "data/cases.csv"
            && d["digest"]["sha256"].as_str().unwrap().len() == 64),
        "{deps:?}"
    );
    assert!(
        deps.iter().any(|d| d["digest"]["gitCommit"]
            .as_str()
            .is_some_and(|c| c.len() == 40)),
        "{deps:?}"
    );
    assert_eq!(
        s["predicate"]["runDetails"]["builder"]["version"]["provbase"],
        env!("CARGO_PKG_VERSION")
    );
    let byproducts = s["predicate"]["runDetails"]["byproducts"]
        .as_array()
        .unwrap();
    assert_eq!(
        byproducts
            .iter()
            .map(|b| b["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["environment", "hardware"]
    );
    assert!(s["predicate"]["runDetails"]["metadata"]["startedOn"].is_string());
    let (code, _, _) = p.run(&["export", "release"]);
    assert_eq!(code, 2, "a format is required");
}

#[test]
fn a_configured_run_executes_and_compares_outputs_within_tolerance() {
    let p = Project::new();
    let script = |du: f64, conf: f64| {
        format!(
            "import json, os\nos.makedirs('out', exist_ok=True)\njson.dump({{'offset_du_px': {du}, 'confidence': {conf}, 'image_id': 'N1597846115_2_CALIB'}}, open('out/result.json', 'w'))\nopen('out/mask.bin', 'wb').write(b'\\x00\\x01')\n"
        )
    };
    p.file("nav.py", &script(1.1922, 0.167));
    p.file(
        "harness.toml",
        "[[run]]\nname = \"nav\"\nhardware = false\ncommand = [\"python3\", \"nav.py\"]\ntimeout = \"30s\"\noutputs = [\"out/*\"]\n\n[run.outputs_tolerance]\n\"offset_*\" = { abs = 1e-4 }\nconfidence = { abs = 0.001 }\n",
    );
    assert_eq!(p.run(&["accept"]).0, 0);
    let b = json(&p.baseline_of("nav"));
    assert_eq!(
        b["outputs"]["out/result.json"]["json"]["offset_du_px"],
        1.1922
    );
    assert!(
        b["outputs"]["out/mask.bin"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    // within tolerance
    p.file("nav.py", &script(1.19225, 0.1675));
    assert_eq!(p.run(&["check"]).0, 0);
    // beyond it
    p.file("nav.py", &script(1.1932, 0.1675));
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines().any(|l| l.trim_start().starts_with("outputs")
            && l.contains("offset_du_px")
            && l.contains("1.1922 → 1.1932")),
        "{out}"
    );
    assert!(
        !out.lines()
            .any(|l| l.contains("confidence") && l.contains('→')),
        "{out}"
    );
    // a failing pipeline fails the run with its exit status and stderr
    p.file(
        "nav.py",
        "import sys\nsys.stderr.write('kernel not found')\nsys.exit(5)\n",
    );
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1);
    assert!(
        out.contains(
            "the pipeline command (harness.toml line 4): `python3 nav.py` failed (exit status: 5)"
        ) && out.contains("kernel not found"),
        "{out}"
    );
}

/// Inputs are hashed before the command runs: an input the command changed is recorded as it
/// was, and reported.
#[test]
fn inputs_are_hashed_before_the_command_runs() {
    let p = repo();
    p.file("in.txt", "before\n");
    let (code, _, err) = p.run(&[
        "record",
        "--inputs",
        "in.txt",
        "--",
        "sh",
        "-c",
        "echo x >> in.txt",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("the command changed its inputs") && err.contains("in.txt"),
        "{err}"
    );
    let run = json(&p.read(&format!(".prov/runs/{}/run.json", run_ids(&p)[0])));
    assert_eq!(
        run["inputs"]["in.txt"]["sha256"],
        provbase::canonical::sha256_tagged(b"before\n")
    );
    assert_eq!(run["inputs_changed"], serde_json::json!(["in.txt"]));
}

/// record sees what check sees: the code scope, the runtime, and the porcelain status of a
/// dirty tree, so an edit to a script in an already-dirty tree shows as code drift.
#[test]
fn record_sees_what_check_sees() {
    let p = repo();
    p.file("train.sh", "echo edited; mkdir -p out\n");
    let args = [
        "record",
        "--code",
        "*.sh",
        "--runtime",
        "git",
        "--",
        "sh",
        "train.sh",
    ];
    assert_eq!(p.run(&args).0, 0);
    p.file("train.sh", "echo edited twice; mkdir -p out\n");
    assert_eq!(p.run(&args).0, 0);
    let (code, out, _) = p.run(&["diff"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("code ") && l.contains("train.sh")),
        "{out}"
    );
    let run = json(&p.read(&format!(".prov/runs/{}/run.json", run_ids(&p)[0])));
    assert!(
        run["runtime"]["git"]
            .as_str()
            .unwrap()
            .starts_with("git version")
    );
    assert_eq!(run["code"]["status"], serde_json::json!([" M train.sh"]));
    // a configured run of the same name lends its code globs and runtime
    p.file(
        "harness.toml",
        "[[run]]\nname = \"cfg\"\ncode = [\"train.sh\"]\nruntime = [\"git\"]\n",
    );
    assert_eq!(p.run(&["record", "--name", "cfg", "--", "true"]).0, 0);
    let ids = run_ids(&p);
    let newest = ids
        .iter()
        .map(|id| json(&p.read(&format!(".prov/runs/{id}/run.json"))))
        .find(|r| r["name"] == "cfg")
        .unwrap();
    assert!(newest["code"]["scope"]["train.sh"].is_string(), "{newest}");
    assert!(newest["runtime"]["git"].is_string(), "{newest}");
}

/// Another tool's `.prov/runs/<id>/run.json` is not provbase's: runs skips it and says so,
/// diff and verify refuse it naming the file.
#[test]
fn another_tools_runs_are_not_provbases() {
    let p = repo();
    record(&p, &["--", "sh", "train.sh"]);
    p.file(
        ".prov/runs/20240101-abcdef/run.json",
        "{\"run_id\": \"20240101-abcdef\", \"status\": \"ok\", \"params\": {}}\n",
    );
    let (code, out, err) = p.run(&["runs"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("abcdef"), "{out}");
    assert!(
        err.contains("skipped .prov/runs/20240101-abcdef/run.json: not a run provbase recorded"),
        "{err}"
    );
    let foreign = ".prov/runs/20240101-abcdef/run.json";
    let (code, _, err) = p.run(&["diff", foreign, foreign]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("20240101-abcdef/run.json") && err.contains("not a provbase"),
        "{err}"
    );
    let (code, _, err) = p.run(&["verify", foreign]);
    assert_ne!(code, 0);
    assert!(err.contains("not a provbase document"), "{err}");
}

/// A bundle of an older run is that run: its patch is the tree it ran on, not today's.
#[test]
fn a_bundle_of_an_older_run_is_that_run() {
    let p = repo();
    record(&p, &["--tag", "clean", "--", "sh", "train.sh"]);
    p.file("data/cases.csv", "county,cases\nA,7\n");
    record(&p, &["--tag", "dirty", "--", "sh", "train.sh"]);
    assert_eq!(p.run(&["bundle", "old", "--run", "clean"]).0, 0);
    assert_eq!(
        p.read("old/provenance/git.diff"),
        "",
        "the clean run's tree"
    );
    let repro = json(&p.read("old/provenance/repro.json"));
    assert_eq!(repro["code"]["dirty"], false);
    assert_eq!(p.run(&["bundle", "new", "--run", "dirty"]).0, 0);
    assert!(p.read("new/provenance/git.diff").contains("+A,7"));
    // RUN.md and env_snapshot.json say what the run's peers say
    let md = p.read("new/provenance/RUN.md");
    assert!(
        md.contains("## Parameters") && md.contains("## Uncommitted files"),
        "{md}"
    );
    assert!(md.contains(" M data/cases.csv"), "{md}");
    let snap = json(&p.read("new/provenance/env_snapshot.json"));
    for k in [
        "python_executable",
        "cwd",
        "cpu_count",
        "memory_gib",
        "disk",
        "nvidia_smi",
        "git_head",
    ] {
        assert!(snap.get(k).is_some(), "{k}: {snap}");
    }
    assert_eq!(p.run(&["verify", "new"]).0, 0);
    // a run recorded without its tree (by an older provbase) is refused, saying why
    let ids = run_ids(&p);
    for id in &ids {
        let _ = std::fs::remove_file(p.join(&format!(".prov/runs/{id}/git.diff")));
    }
    let (code, _, err) = p.run(&["bundle", "again", "--run", "clean"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("without the state of its tree"), "{err}");
}

/// Exported Statements pass the reference implementation's checks (the `in-toto-attestation`
/// Python package, which `.ci/run` installs): a run without outputs included, whose subject is
/// then the run document itself.
#[test]
fn in_toto_statements_validate_with_the_reference_implementation() {
    let have = std::process::Command::new("python3")
        .args(["-c", "import in_toto_attestation"])
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        assert!(
            std::env::var_os("PROVBASE_REQUIRE_IN_TOTO").is_none(),
            "in-toto-attestation is required here: `python3 -m pip install in-toto-attestation==0.9.3`"
        );
        eprintln!("note: in-toto-attestation is not installed; `.ci/run` installs it");
        return;
    }
    let p = repo();
    record(&p, &["--tag", "with-outputs", "--", "sh", "train.sh"]);
    assert_eq!(p.run(&["record", "--tag", "no-outputs", "--", "true"]).0, 0);
    // a configured run whose command writes a file each time it runs
    p.file(
        "harness.toml",
        "[[run]]\nname = \"cfg\"\nstatic_data = [\"data/*.csv\"]\nparams = { seed = 1 }\ncommand = [\"sh\", \"-c\", \"date +%s%N > ran.txt\"]\n",
    );
    let (code, _, err) = p.run(&["export", "--in-toto", "cfg"]);
    assert_eq!(code, 2, "no baseline to describe yet");
    assert!(
        err.contains("cfg has no baseline (baselines/cfg.json)")
            && err.contains("provbase accept cfg"),
        "{err}"
    );
    assert_eq!(p.run(&["accept", "cfg"]).0, 0);
    std::fs::remove_file(p.join("ran.txt")).unwrap();
    let mut files = Vec::new();
    for (name, reference) in [("a", "with-outputs"), ("b", "no-outputs"), ("c", "cfg")] {
        let (code, out, err) = p.run(&["export", "--in-toto", reference]);
        assert_eq!(code, 0, "{err}");
        let s = json(&out);
        assert!(!s["subject"].as_array().unwrap().is_empty(), "{out}");
        // a subject is a file a verifier finds where it is named, with its bytes' digest
        for subject in s["subject"].as_array().unwrap() {
            let bytes = std::fs::read(p.join(subject["name"].as_str().unwrap()))
                .unwrap_or_else(|e| panic!("{subject}: {e}"));
            assert_eq!(
                provbase::canonical::sha256_tagged(&bytes),
                format!("sha256:{}", subject["digest"]["sha256"].as_str().unwrap()),
                "{subject}"
            );
        }
        // the same provenance, the same Statement, a second later too
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(p.run(&["export", "--in-toto", reference]).1, out, "{name}");
        // and from another folder of the project
        let below = p
            .provbase(&["export", "--in-toto", reference])
            .current_dir(p.join("data"))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&below.stdout), out, "{name}");
        p.file(&format!("{name}.intoto.json"), &out);
        files.push(p.join(&format!("{name}.intoto.json")));
    }
    assert!(
        !p.join("ran.txt").exists(),
        "export ran the pipeline's command"
    );
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("python3")
        .arg(root.join("tests/tools/validate_in_toto.py"))
        .args(&files)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text.matches("ok ").count(), 3, "{text}");
}

#[test]
fn a_location_in_a_store_is_refused_by_record_and_nothing_runs() {
    let p = repo();
    for (args, says) in [
        (
            ["--inputs", "s3://ml-data/train/"],
            "--inputs: `s3://ml-data/train/` is in an object store; `record` reads local files and folders: name it in a run's `inputs`",
        ),
        (
            ["--inputs", "s3://AKIARECORDPLANTED:s3cr3t@ml-data/train/"],
            "--inputs: a `s3://` location is in an object store",
        ),
        (
            ["--outputs", "gs://results/run-7/"],
            "--outputs: `gs://results/run-7/` is in an object store; `record` reads local files and folders: outputs are recorded on local disk only",
        ),
    ] {
        let mut all = vec!["record"];
        all.extend_from_slice(&args);
        all.extend_from_slice(&["--", "sh", "-c", "echo ran > ran.txt"]);
        let (code, out, err) = p.run(&all);
        assert_eq!(code, 2, "{out}{err}");
        assert!(err.contains(says), "{err}");
        assert!(
            !err.contains("AKIARECORDPLANTED") && !err.contains("s3cr3t"),
            "{err}"
        );
        assert!(!p.join("ran.txt").exists(), "the command did not run");
        assert!(!p.join(".prov/runs").exists(), "no run was recorded");
    }
}
