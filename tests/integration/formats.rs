//! The frozen formats. `tests/fixtures/formats/v1/project` uses every collector; `…/v1/docs`
//! holds what provbase wrote for it when format_version 1 was frozen: the baselines of both
//! profiles, a recorded run, a bundle, and the JSON report and JUnit of a failing check. These
//! tests collect the project again on a pinned host (clock, environment, hardware and version)
//! and require the same bytes, and read every v1 document with zero drift.
//!
//! The rule (docs/guide/manifest.md, "Formats are frozen"): a change to what these documents hold is a `format_version`
//! bump with a new fixture set beside this one and a reader for the old version, never an
//! accident of a refactor. Nothing here rewrites a v1 document: `PROVBASE_FREEZE_FORMATS=1`
//! writes only documents that are missing (a new version's set).

use crate::project::copy_tree;
use provbase::collect::Host;
use provbase::collect::clock::FixedClock;
use provbase::session::{Outcome, Status};
use provbase::{Config, Session};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

fn v1() -> PathBuf {
    version(1)
}

fn version(n: u32) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/formats/v{n}"))
}

/// 2026-11-30T12:00:00Z: every time a pinned collection records.
const PINNED_SECS: u64 = 1_796_040_000;

/// The machine the v1 documents were collected on: a captured host (tests/fixtures/formats/v1/
/// host.json), the GPUs of a captured `nvidia-smi -q -x` (an A100), a fixed clock, and an
/// environment with a token, a URL with credentials and the variables a run names.
fn pinned_host() -> Host {
    let mut hardware: serde_json::Value =
        serde_json::from_slice(&std::fs::read(v1().join("host.json")).unwrap()).unwrap();
    let smi = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/gpu/nvidia-smi-xml/telegraf_a100-sxm4-v12.xml"),
    )
    .unwrap();
    hardware["gpus"] = provbase::collect::gpu::nvidia_smi::parse(&smi).unwrap();
    let env = [
        ("HOME", "/home/nav"),
        ("LANG", "C.UTF-8"),
        ("OMP_NUM_THREADS", "8"),
        ("CUDA_VISIBLE_DEVICES", "0"),
        ("NCCL_DEBUG", "WARN"),
        ("NAV_API_TOKEN", "not-a-real-token-but-a-secret-name"),
        (
            "NAV_CACHE_URL",
            "https://nav-bot:hunter2@cache.example.org/nav?sig=abc",
        ),
        ("HF_TOKEN", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"),
    ];
    Host {
        clock: Arc::new(FixedClock(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(PINNED_SECS),
        )),
        env: Some(
            env.iter()
                .map(|(k, v)| ((*k).to_owned(), v.into()))
                .collect(),
        ),
        hardware: Some(serde_json::from_value(hardware).unwrap()),
        version: "0.1.0".into(),
        runner: Some("ci-runner-07".into()),
        ..Host::this_machine()
    }
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "core.autocrlf=false", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Nav Team")
        .env("GIT_AUTHOR_EMAIL", "nav@example.org")
        .env("GIT_COMMITTER_NAME", "Nav Team")
        .env("GIT_COMMITTER_EMAIL", "nav@example.org")
        .env("GIT_AUTHOR_DATE", "2026-11-30T11:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-11-30T11:00:00Z")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The fixture project in a fresh git repository with one commit at a fixed time (so its
/// commit id is the same on every machine) and a remote with credentials in its URL.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&v1().join("project"), dir.path());
    std::fs::rename(dir.path().join("gitignore"), dir.path().join(".gitignore")).unwrap();
    git(dir.path(), &["init", "-q"]);
    git(
        dir.path(),
        &[
            "remote",
            "add",
            "origin",
            "https://nav-bot:ghp_0123456789abcdefghijABCDEFGHIJ456789@github.com/example/nav.git",
        ],
    );
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "The nav pipeline"]);
    dir
}

fn session(root: &Path, profile: Option<&str>) -> Session {
    let mut config = Config::load(&root.join("harness.toml")).unwrap();
    if let Some(p) = profile {
        config.select_profile(p).unwrap();
    }
    Session::on_host(config, Vec::new(), pinned_host())
}

/// A produced document against its v1 fixture: the same bytes, or (with
/// `PROVBASE_FREEZE_FORMATS=1`, for a new version's set) written when the fixture is missing.
fn frozen(rel: &str, produced: &[u8]) {
    frozen_in(1, rel, produced)
}

/// [`frozen`], against the fixture of format version `n`.
fn frozen_in(n: u32, rel: &str, produced: &[u8]) {
    let want = fixture_in(n, rel, produced);
    if want != produced {
        let diff = similar::TextDiff::from_lines(
            &*String::from_utf8_lossy(&want),
            &*String::from_utf8_lossy(produced),
        )
        .unified_diff()
        .header(&format!("v{n} fixture"), "written now")
        .to_string();
        panic!(
            "{rel} is not byte-identical to its frozen v{n} document: a format change needs a format_version bump (docs/guide/manifest.md, \"Formats are frozen\"){}\n{diff}",
            if std::env::var_os("PROVBASE_REDACT_KEY").is_some() {
                " — PROVBASE_REDACT_KEY is set, which changes every redacted value"
            } else {
                ""
            }
        );
    }
}

/// A document's bytes in the fixture set of format version `n` (with
/// `PROVBASE_FREEZE_FORMATS=1`: `produced`, written when missing).
fn fixture_in(n: u32, rel: &str, produced: &[u8]) -> Vec<u8> {
    let path = version(n).join("docs").join(rel);
    if !path.exists() && std::env::var_os("PROVBASE_FREEZE_FORMATS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, produced).unwrap();
    }
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (a frozen document is never rewritten)",
            path.display()
        )
    })
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn baselines_of_both_profiles_are_byte_identical_and_read_with_zero_drift() {
    let dir = project();
    for (profile, folder) in [(None, "baselines"), (Some("nightly"), "baselines/nightly")] {
        let s = session(dir.path(), profile);
        for run in &s.config.runs {
            s.accept(run).unwrap();
            let rel = format!("{folder}/{}.json", run.name);
            frozen(&rel, &read(&dir.path().join(&rel)));
        }
    }
    // the v1 baselines themselves, checked on a fresh copy of the project: no drift at all,
    // not even an ignored one
    let fresh = project();
    std::fs::create_dir(fresh.path().join("baselines")).unwrap();
    copy_tree(
        &v1().join("docs/baselines"),
        &fresh.path().join("baselines"),
    );
    for profile in [None, Some("nightly")] {
        let s = session(fresh.path(), profile);
        let outcome = s.check_selected(&[]).unwrap();
        assert!(outcome.orphans.is_empty(), "{:?}", outcome.orphans);
        for r in &outcome.reports {
            assert_eq!(
                r.status(),
                Status::Pass,
                "{profile:?} {}: {:?}",
                r.run,
                r.error()
            );
            assert!(
                r.drifts().is_empty(),
                "{profile:?} {}: {:?}",
                r.run,
                r.drifts()
            );
        }
    }
}

#[test]
fn a_failing_checks_json_report_and_junit_are_byte_identical() {
    let dir = project();
    let s = session(dir.path(), None);
    for run in &s.config.runs {
        s.accept(run).unwrap();
    }
    // a refreshed static data file fails `nav`; `fit`'s confidence moves within its tolerance,
    // and the edited script leaves the tree dirty: a warning
    let cfg = dir.path().join("config_files/config_220_body_shape.yaml");
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str("# refreshed\n");
    std::fs::write(&cfg, text).unwrap();
    let fit = dir.path().join("bin/fit.sh");
    let script = std::fs::read_to_string(&fit).unwrap();
    std::fs::write(&fit, script.replace("0.981", "0.985")).unwrap();
    let s = session(dir.path(), None);
    let outcome: Outcome = s.check_selected(&[]).unwrap();
    let statuses: Vec<Status> = outcome.reports.iter().map(|r| r.status()).collect();
    assert_eq!(statuses, [Status::Fail, Status::Warn]);
    // report_version 2 (`taken` added); the version 1 report reads back in report::json's tests
    let report = provbase::report::json::document(&outcome, None);
    frozen(
        "report-v2.json",
        &provbase::canonical::pretty_bytes(&report),
    );
    let junit = dir.path().join("junit.xml");
    provbase::report::publish(
        &s.config,
        &outcome,
        &|r| format!("provbase accept {r}"),
        Some(&junit),
        None,
    )
    .unwrap();
    // the durations are the one thing of this machine in a JUnit report
    frozen("junit.xml", without_durations(&read(&junit)).as_bytes());
}

/// `time="…"` attributes as `time="0.000"`.
fn without_durations(xml: &[u8]) -> String {
    let text = String::from_utf8_lossy(xml);
    let mut out = String::new();
    let mut rest = &*text;
    while let Some(i) = rest.find(" time=\"") {
        let start = i + " time=\"".len();
        let end = start + rest[start..].find('"').unwrap();
        out.push_str(&rest[..start]);
        out.push_str("0.000");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn a_recorded_run_and_a_bundle_are_byte_identical_and_verify() {
    let dir = project();
    let opts = provbase::record::RecordOptions {
        name: Some("fit-by-hand".into()),
        inputs: vec!["images/N1597846115_2_CALIB.yaml".into()],
        outputs: vec!["out".into()],
        params: Some("params.yaml".into()),
        tags: vec!["v1".into()],
        code: vec!["src/**/*.py".into()],
        runtime: vec!["cargo-lock".into()],
        command: ["sh", "bin/fit.sh"].map(String::from).to_vec(),
        ..Default::default()
    };
    let rec = provbase::record::run::record_on(dir.path(), &opts, pinned_host()).unwrap();
    assert_eq!(rec.exit_code, 0);
    let run_dir = format!("runs/{}", rec.id);
    for f in ["run.json", "events.jsonl"] {
        frozen(&format!("{run_dir}/{f}"), &read(&rec.dir.join(f)));
    }
    let verified =
        provbase::record::verify::verify_file(&rec.dir.join("run.json"), dir.path()).unwrap();
    assert!(
        verified.mismatches.is_empty() && verified.matched > 0,
        "{verified:?}"
    );

    // a bundle of the configured run `nav`
    let s = session(dir.path(), None);
    let out = dir.path().join("bundle");
    let run = s.config.run("nav").unwrap();
    let written = provbase::record::bundle::bundle(
        dir.path(),
        &out,
        provbase::record::bundle::Source::Configured(&s, run),
        false,
        s.facts().host(),
    )
    .unwrap();
    assert_eq!(written.len(), 10, "{written:?}");
    for w in &written {
        let name = w.file_name().unwrap().to_str().unwrap();
        match name {
            // the machine the bundle is made on (its Python, disk and folder), and the list
            // that holds that file's digest: compared by their keys
            "env_snapshot.json" | "bundle.json" => {
                let keys = |b: &[u8]| -> Vec<String> {
                    let v: serde_json::Value = serde_json::from_slice(b).unwrap();
                    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
                    if let Some(files) = v["files"].as_object() {
                        k.extend(files.keys().map(|f| format!("files.{f}")));
                    }
                    k
                };
                let produced = read(w);
                let want = fixture_in(2, &format!("provenance/{name}"), &produced);
                assert_eq!(keys(&produced), keys(&want), "{name}");
            }
            // a bundle's JSON documents say what they are since version 2 of their shapes;
            // its other files are as version 1 froze them
            "env_fingerprint.json" | "codebase_fingerprint.json" => {
                frozen_in(2, &format!("provenance/{name}"), &read(w))
            }
            _ => frozen(&format!("provenance/{name}"), &read(w)),
        }
    }
    // what version 2 added, and only that: each document holds its version 1 members, and
    // says what it is (`kind`) and the version of its shape
    for name in [
        "bundle.json",
        "env_fingerprint.json",
        "env_snapshot.json",
        "codebase_fingerprint.json",
    ] {
        let doc = |n: u32| -> serde_json::Value {
            serde_json::from_slice(&read(&version(n).join("docs/provenance").join(name))).unwrap()
        };
        let members = |v: &serde_json::Value| -> Vec<String> {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.retain(|k| k != "kind" && k != "version");
            k
        };
        let (v1, v2) = (doc(1), doc(2));
        assert_eq!(members(&v2), members(&v1), "{name}");
        assert!(v1.get("version").is_none(), "{name}");
        assert_eq!(v2["version"], 2, "{name}");
        assert!(
            v2["kind"]
                .as_str()
                .is_some_and(|k| k.starts_with("provbase.")),
            "{name}"
        );
    }
    let verified = provbase::record::verify::verify(&out.join("provenance"), dir.path()).unwrap();
    assert!(
        verified.iter().all(|v| v.mismatches.is_empty()),
        "{verified:?}"
    );
    // the v1 bundle itself verifies, in the project it was made from
    let v1_copy = dir.path().join("v1/provenance");
    std::fs::create_dir_all(&v1_copy).unwrap();
    copy_tree(&v1().join("docs/provenance"), &v1_copy);
    let v1_bundle = provbase::record::verify::verify(&v1_copy, dir.path()).unwrap();
    assert!(
        v1_bundle.len() == 4
            && v1_bundle
                .iter()
                .all(|v| v.mismatches.is_empty() && v.missing.is_empty()),
        "{v1_bundle:?}"
    );
}

/// The format_version 2 project: a dataset of 2 × 3 × 4 files and a config file, with
/// `max_entries = 6` (so each `shards/splitN/partM/` is a folder digest), in a git repository with one pinned commit.
fn project_v2() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("harness.toml"),
        "[harness]\nmax_entries = 6\n\n[[run]]\nname = \"train\"\nhardware = false\nstatic_data = [\"vocab.txt\"]\ninputs = [\"shards\"]\n",
    )
    .unwrap();
    std::fs::write(root.join("vocab.txt"), "a\nb\n").unwrap();
    for a in 0..2 {
        for b in 0..3 {
            let d = root.join(format!("shards/split{a}/part{b}"));
            std::fs::create_dir_all(&d).unwrap();
            for c in 0..4 {
                std::fs::write(d.join(format!("{c:03}.bin")), format!("{a}{b}{c}")).unwrap();
            }
        }
    }
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "The training set"]);
    dir
}

#[test]
fn folder_digests_and_their_objects_are_byte_identical_and_read_with_zero_drift() {
    let dir = project_v2();
    let s = session(dir.path(), None);
    let run = s.config.run("train").unwrap();
    s.accept(run).unwrap();
    let baseline = read(&dir.path().join("baselines/train.json"));
    frozen_in(2, "baselines/train.json", &baseline);
    let doc: serde_json::Value = serde_json::from_slice(&baseline).unwrap();
    assert_eq!(doc["format_version"], 2);
    let objects = dir.path().join(".prov/trees");
    let mut names: Vec<String> = std::fs::read_dir(&objects)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.len(), 6, "an object per recorded folder: the 6 parts");
    for n in &names {
        frozen_in(2, &format!("trees/{n}"), &read(&objects.join(n)));
    }
    // the v2 baseline and its objects on a fresh copy: no drift; a changed shard is named
    let fresh = project_v2();
    std::fs::create_dir(fresh.path().join("baselines")).unwrap();
    copy_tree(
        &version(2).join("docs/baselines"),
        &fresh.path().join("baselines"),
    );
    let s = session(fresh.path(), None);
    let r = s.check(s.config.run("train").unwrap());
    assert_eq!(r.status(), Status::Pass, "{:?}", r.error());
    assert!(r.drifts().is_empty(), "{:?}", r.drifts());
    std::fs::remove_dir_all(fresh.path().join(".prov/trees")).unwrap();
    std::fs::create_dir_all(fresh.path().join(".prov/trees")).unwrap();
    copy_tree(
        &version(2).join("docs/trees"),
        &fresh.path().join(".prov/trees"),
    );
    std::fs::write(fresh.path().join("shards/split1/part2/003.bin"), "changed").unwrap();
    let s = session(fresh.path(), None);
    let r = s.check(s.config.run("train").unwrap());
    assert_eq!(r.status(), Status::Fail);
    let notes = r.explanation();
    assert!(
        notes.iter().any(|n| n.subject == "shards/split1/part2/"
            && n.text
                .contains("changed  shards/split1/part2/003.bin (3 → 7 bytes)")),
        "{notes:?}"
    );
}

/// A baseline written before the redaction rules widened (`?sig=abc` was kept then, and is
/// redacted now as an Azure SAS signature) reads with zero drift: the baseline's value is
/// compared as this version would write it.
#[test]
fn a_baseline_written_under_narrower_redaction_reads_with_zero_drift() {
    let fresh = project();
    let earlier = v1().join("earlier-redaction/nav.json");
    assert!(
        String::from_utf8_lossy(&read(&earlier)).contains("?sig=abc"),
        "the fixture holds what the earlier rules kept"
    );
    std::fs::create_dir(fresh.path().join("baselines")).unwrap();
    std::fs::copy(&earlier, fresh.path().join("baselines/nav.json")).unwrap();
    let s = session(fresh.path(), None);
    let outcome = s.check_selected(&["nav".to_owned()]).unwrap();
    let r = &outcome.reports[0];
    assert_eq!(r.status(), Status::Pass, "{:?} {:?}", r.error(), r.drifts());
    assert!(r.drifts().is_empty(), "{:?}", r.drifts());
}

/// The `--format json` listings (`list`, `runs`, `pending`, `diff`, `check --twice`) of the v1
/// project, its frozen baselines and recorded run: each says its `kind` and `version`, and is
/// byte-identical to its frozen example (a change is a `version` bump, as for every format).
#[test]
fn the_listings_are_byte_identical() {
    use provbase::report::listing::{Volatile, VolatileField};
    let dir = project();
    let root = dir.path();
    copy_tree(&v1().join("docs/baselines"), &{
        let b = root.join("baselines");
        std::fs::create_dir_all(&b).unwrap();
        b
    });
    let runs = root.join(".prov/runs/978a4829ba48");
    std::fs::create_dir_all(&runs).unwrap();
    copy_tree(&v1().join("docs/runs/978a4829ba48"), &runs);
    // a candidate: the nav baseline with one parameter changed, compared with the baseline
    let baseline = std::fs::read(root.join("baselines/nav.json")).unwrap();
    let mut manifest: serde_json::Value = serde_json::from_slice(&baseline).unwrap();
    manifest["params"]["seed"] = 43.into();
    let candidate = serde_json::json!({
        "kind": "provbase.candidate",
        "run": "nav",
        "baseline": "baselines/nav.json",
        "compared_with": provbase::canonical::sha256_tagged(&baseline),
        "manifest": manifest,
    });
    std::fs::create_dir_all(root.join("ci-artifact/baselines")).unwrap();
    std::fs::write(
        root.join("ci-artifact/baselines/nav.json"),
        provbase::canonical::pretty_bytes(&candidate),
    )
    .unwrap();
    let cli = |args: &[&str]| -> Vec<u8> {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_provbase"));
        cmd.args(["--format", "json"]).args(args);
        let out = crate::project::hermetic(cmd.current_dir(root))
            .output()
            .unwrap();
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    for (name, out) in [
        ("list", cli(&["list"])),
        ("runs", cli(&["runs"])),
        ("pending", cli(&["pending", "ci-artifact"])),
        (
            "diff",
            cli(&["diff", "baselines/nav.json", "baselines/fit.json"]),
        ),
    ] {
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["kind"], format!("provbase.{name}"), "{name}");
        assert_eq!(doc["version"], 1, "{name}");
        frozen(&format!("listings/{name}.json"), &out);
    }
    // `check --twice` from its type: what it finds is the clock's, so its shape is frozen
    let volatile = Volatile::new(vec![VolatileField {
        run: "fit".into(),
        path: "external.train.started_ns".into(),
        selector: "external.train.started_ns".into(),
        first: Some("1796040000000000001".into()),
        second: Some("1796040000000000002".into()),
    }]);
    frozen(
        "listings/volatile.json",
        &provbase::canonical::pretty_bytes(&serde_json::to_value(volatile).unwrap()),
    );
}

/// Objects in stores (`format_version` 3): the v2 project's manifest with one object of each
/// shape a store gives (ETag only; a version; a content digest; no ETag) written as a
/// baseline is byte for byte the frozen v3 document, which loads strictly (schema, version,
/// digest) and reads back as the same types. (A store's own times cannot be pinned, so the
/// objects are set here rather than listed.)
#[test]
fn objects_in_stores_are_byte_identical_at_version_3() {
    use provbase::manifest::object::StoreObject;
    use provbase::manifest::tree::Entry;
    let dir = project_v2();
    let s = session(dir.path(), None);
    let mut m = s.collect_typed(s.config.run("train").unwrap()).unwrap();
    m.pipeline_run_iso8601 = None;
    let object = |etag: Option<&str>, version: Option<&str>, sha256: Option<&str>| {
        Entry::Object(StoreObject {
            size: 1_200_000_000,
            etag: etag.map(str::to_owned),
            modified: "2026-12-03T02:11:09Z".to_owned(),
            version: version.map(str::to_owned),
            sha256: sha256.map(|s| provbase::manifest::Sha256(s.to_owned())),
            checksums: None,
        })
    };
    let data = &mut m.static_data_hashes;
    data.insert(
        "s3://train/shards/shard-0042.tar".into(),
        object(Some("5d41402abc4b2a76b9719d911017c592-3"), None, None),
    );
    data.insert(
        "gs://models/ckpt/model.pt".into(),
        object(Some("CJjq0Y2w"), Some("1733192869123456"), None),
    );
    data.insert(
        "az://kernels/naif0012.tls".into(),
        object(
            Some("0x8DD13A1F2C3B4A5"),
            None,
            Some("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
        ),
    );
    data.insert(
        "https://example.org/pck00011.tpc".into(),
        object(None, None, None),
    );
    let doc = provbase::manifest::document(m.clone());
    let bytes = provbase::canonical::pretty_bytes(&doc);
    frozen_in(3, "baselines/train.json", &bytes);
    let path = version(3).join("docs/baselines/train.json");
    let stored = provbase::store::parse(&path, read(&path)).unwrap();
    let back: provbase::manifest::Manifest = serde_json::from_value(stored.value.clone()).unwrap();
    assert_eq!(back.format_version, 3);
    m.format_version = 3;
    m.digest = back.digest.clone();
    assert_eq!(
        back, m,
        "the frozen v3 document reads back as the types that wrote it"
    );
}
