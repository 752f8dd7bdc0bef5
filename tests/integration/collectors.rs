//! The collectors through the binary: SPICE kernels, techniques and extractors, hardware and
//! GPUs, runtime, environment, external commands.

use crate::project::Project;
use serde_json::Value;

const RUN: &str = "nav";
const KERNELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spice/kernels");

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn spice_project(metakernel: &str) -> Project {
    let p = Project::new();
    for k in ["naif0012.tls", "pck00010.tpc", "cas00084.tsc"] {
        std::fs::create_dir_all(p.join("kernels")).unwrap();
        std::fs::copy(format!("{KERNELS}/{k}"), p.join("kernels").join(k)).unwrap();
    }
    p.file("kernels/coiss.tm", metakernel).file(
        "harness.toml",
        "[[run]]\nname = \"nav\"\nhardware = false\nspice = { metakernel = \"kernels/coiss.tm\" }\n",
    );
    p
}

const MK: &str = "KPL/MK\n\\begindata\n  PATH_VALUES  = ( 'kernels' )\n  PATH_SYMBOLS = ( 'K' )\n  KERNELS_TO_LOAD = ( '$K/naif0012.tls',\n                      '$K/pck00010.tpc',\n                      '$K/cas00084.tsc' )\n\\begintext\n";

#[test]
fn spice_kernels_in_load_order_and_their_drift() {
    let p = spice_project(MK);
    assert_eq!(p.run(&["accept"]).0, 0);
    let v = json(&p.read("baselines/nav.json"));
    let paths: Vec<&str> = v["spice_kernels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "kernels/coiss.tm",
            "kernels/naif0012.tls",
            "kernels/pck00010.tpc",
            "kernels/cas00084.tsc"
        ]
    );
    assert_eq!(v["spice_kernel_count"], 4);
    let naif = std::fs::read(format!("{KERNELS}/naif0012.tls")).unwrap();
    assert_eq!(
        v["spice_kernels"][1]["sha256"],
        provbase::canonical::sha256_tagged(&naif)
    );

    // a changed kernel is spice drift naming it
    p.file(
        "kernels/pck00010.tpc",
        "KPL/PCK\n\\begindata\nBODY699_RADII = ( 1 2 3 )\n",
    );
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    let line = out
        .lines()
        .find(|l| l.contains(r#"spice_kernels."kernels/pck00010.tpc".sha256"#))
        .expect(&out);
    assert!(line.trim_start().starts_with("spice "), "{line}");

    // a reordered kernel list drifts too
    p.run(&["accept"]);
    p.file(
        "kernels/coiss.tm",
        &MK.replace(
            "'$K/naif0012.tls',\n                      '$K/pck00010.tpc'",
            "'$K/pck00010.tpc',\n                      '$K/naif0012.tls'",
        ),
    );
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    // one "moved" drift naming the kernel and both positions
    let moved: Vec<&str> = out.lines().filter(|l| l.contains(".position")).collect();
    assert_eq!(moved.len(), 1, "{out}");
    assert!(
        moved[0].contains(r#"spice_kernels."kernels/naif0012.tls".position"#)
            || moved[0].contains(r#"spice_kernels."kernels/pck00010.tpc".position"#),
        "{out}"
    );
    assert!(
        moved[0].ends_with("1 → 2") || moved[0].ends_with("2 → 1"),
        "{out}"
    );
    assert!(
        !out.lines().any(|l| l.contains(".path ")),
        "no removal and addition at one index: {out}"
    );
}

#[test]
fn a_missing_kernel_and_a_malformed_metakernel_name_file_and_line() {
    let p = spice_project(&MK.replace("cas00084.tsc", "cas00999.tsc"));
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1);
    assert!(
        out.contains(
            "kernel `kernels/cas00999.tsc` (metakernel `kernels/coiss.tm` line 7) does not exist"
        ),
        "{out}"
    );

    let malformed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/spice/mk/flyby-main_malformed.tm"
    ))
    .unwrap();
    let p = spice_project(&malformed);
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("metakernel `kernels/coiss.tm` line 12: unterminated string"),
        "{out}"
    );
    assert!(!p.join("baselines").exists());
}

#[test]
fn techniques_and_extractors_from_lists_and_commands() {
    let p = Project::new();
    p.file("registry.py", "import json, sys\nprint(json.dumps(['RingEdgeExtractor', 'BodyLimbExtractor', 'RingEdgeExtractor']))\n")
        .file("lines.sh", "printf 'DTFitting\\nBodyLimbNav\\n'\n")
        .file(
            "harness.toml",
            "[[run]]\nname = \"nav\"\nhardware = false\ntechniques = { command = [\"sh\", \"lines.sh\"] }\nextractors = { command = [\"python3\", \"registry.py\"] }\n",
        );
    let (code, out, err) = p.run(&["collect", RUN]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(
        v["technique_names"],
        serde_json::json!(["BodyLimbNav", "DTFitting"])
    );
    assert_eq!(
        v["extractor_names"],
        serde_json::json!(["BodyLimbExtractor", "RingEdgeExtractor"])
    );
    p.run(&["accept"]);
    p.file("lines.sh", "printf 'DTFitting\\n'\n");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1);
    // one technique gone is one drift, not a shift of the names after it
    let pipeline: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("pipeline"))
        .collect();
    assert_eq!(pipeline.len(), 1, "{out}");
    assert!(
        pipeline[0].contains("technique_names[0]")
            && pipeline[0].contains("BodyLimbNav")
            && pipeline[0].contains("(absent)"),
        "{out}"
    );

    // a failing command: its exit status and the tail of its stderr
    p.file(
        "lines.sh",
        "echo 'ModuleNotFoundError: no module named nav' >&2\nexit 4\n",
    );
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("`sh lines.sh` failed (exit status: 4)")
            && out.contains("ModuleNotFoundError"),
        "{out}"
    );
    // something that is not names
    p.file("lines.sh", "echo '{\"a\": 1}'\n");
    let (_, out, _) = p.run(&["check"]);
    assert!(out.contains("not an array of names"), "{out}");
}

#[test]
fn names_registered_in_code_join_the_configured_ones() {
    let p = Project::new();
    p.file(
        "harness.toml",
        "[[run]]\nname = \"nav\"\nhardware = false\ntechniques = [\"DTFitting\"]\n",
    );
    let config = provbase::Config::load(&p.join("harness.toml")).unwrap();
    let mut session = provbase::Session::new(config);
    session.register(
        provbase::collect::facts::NameKind::Techniques,
        std::sync::Arc::new(|| vec!["BodyLimbNav".into(), "DTFitting".into()]),
    );
    session.register(
        provbase::collect::facts::NameKind::Extractors,
        std::sync::Arc::new(|| vec!["RingEdgeExtractor".into()]),
    );
    let m = session.collect(session.config.run("nav").unwrap()).unwrap();
    assert_eq!(
        m["technique_names"],
        serde_json::json!(["BodyLimbNav", "DTFitting"])
    );
    assert_eq!(
        m["extractor_names"],
        serde_json::json!(["RingEdgeExtractor"])
    );
}

#[test]
fn external_commands_land_under_their_name_and_are_stripped() {
    let p = Project::new();
    p.file(
        "prov.py",
        "import json, datetime\nprint(json.dumps({'pipeline_run_iso8601': datetime.datetime.now(datetime.timezone.utc).isoformat(), 'model': 'v3', 'seeds': [1, 2], 'big': 2**60}))\n",
    )
    .file(
        "harness.toml",
        "[[run]]\nname = \"nav\"\nhardware = false\n\n[run.external.nav]\ncommand = [\"python3\", \"prov.py\", \"--api-token=s3cr3t-tok\"]\ntimeout = \"30s\"\n",
    );
    let (_, out, _) = p.run(&["collect", RUN]);
    let v = json(&out);
    assert_eq!(v["external"]["nav"]["model"], "v3");
    assert_eq!(
        v["external"]["nav"]["big"], "1152921504606846976",
        "beyond 2^53: a string"
    );
    assert!(v["external"]["nav"]["pipeline_run_iso8601"].is_string());
    assert_eq!(p.run(&["accept"]).0, 0);
    assert!(
        !p.read("baselines/nav.json")
            .contains("pipeline_run_iso8601")
    );
    // the external command prints the time to the microsecond: a second collection differs
    assert_eq!(p.run(&["check"]).0, 0, "the time field does not drift");

    let cases: &[(&str, &str)] = &[
        ("print('not json')\n", "did not print valid JSON"),
        ("print('[1, 2]')\n", "not an object"),
        (
            "import sys\nsys.stderr.write('boom happened')\nsys.exit(3)\n",
            "failed (exit status: 3); stderr ends with:",
        ),
        (
            "import sys\nsys.stderr.write('boom happened')\nsys.exit(3)\n",
            "        boom happened",
        ),
        ("import time\ntime.sleep(30)\n", "timed out after 1s"),
    ];
    for (script, needle) in cases {
        p.file("prov.py", script);
        p.file(
            "harness.toml",
            &p.read("harness.toml").replace("\"30s\"", "\"1s\""),
        );
        let (code, out, _) = p.run(&["check"]);
        assert_eq!(code, 1, "{script}");
        assert!(
            out.contains("external `nav` (harness.toml line 5)") && out.contains(needle),
            "{script}: {out}"
        );
        assert!(
            out.contains("--api-token=<redacted>") && !out.contains("s3cr3t-tok"),
            "{out}"
        );
    }
}

#[test]
fn environment_allowlist_and_secrets() {
    let p = Project::new();
    p.file("harness.toml", "[[run]]\nname = \"nav\"\nhardware = false\nenv = [\"MY_SCALE\", \"HF_TOKEN\", \"NOT_SET_ANYWHERE\"]\n");
    let run = |scale: &str, threads: &str| {
        p.provbase(&["accept"])
            .env("MY_SCALE", scale)
            .env("HF_TOKEN", "hf_SECRETvalue42")
            .env("OMP_NUM_THREADS", threads)
            .env("UNRELATED_VAR", "x")
            .env_remove("NOT_SET_ANYWHERE")
            .output()
            .unwrap()
    };
    assert!(run("2", "4").status.success());
    let b = p.read("baselines/nav.json");
    let v = json(&b);
    assert_eq!(v["environment"]["MY_SCALE"], "2");
    assert!(
        v["environment"]["HF_TOKEN"]
            .as_str()
            .unwrap()
            .starts_with("<redacted:"),
        "{b}"
    );
    assert_eq!(v["environment"]["OMP_NUM_THREADS"], "4", "built-in set");
    assert_eq!(
        v["environment"]["NOT_SET_ANYWHERE"],
        serde_json::json!({"unset": true})
    );
    assert!(v["environment"].get("UNRELATED_VAR").is_none());
    assert!(!b.contains("hf_SECRETvalue42"));
    let out = p
        .provbase(&["check"])
        .env("MY_SCALE", "2")
        .env("HF_TOKEN", "hf_OTHERsecret")
        .env("OMP_NUM_THREADS", "8")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("environment  OMP_NUM_THREADS  4 → 8"),
        "{text}"
    );
    assert!(
        !text.contains("hf_OTHERsecret") && !text.contains("hf_SECRETvalue42"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("environment  HF_TOKEN") && l.contains("<redacted:")),
        "a rotated secret still drifts, shown only as its keyed hash: {text}"
    );
}

#[test]
fn runtime_records_versions_and_package_maps() {
    let p = Project::new();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"),
        p.join("Cargo.lock"),
    )
    .unwrap();
    p.file("harness.toml", "[[run]]\nname = \"nav\"\nhardware = false\nruntime = [\"cargo-lock\", \"python3\", \"no-such-tool-xyz\"]\n");
    let (_, out, _) = p.run(&["collect", RUN]);
    let v = json(&out);
    assert_eq!(v["runtime"]["provbase"], env!("CARGO_PKG_VERSION"));
    assert!(
        v["runtime"]["python3"]
            .as_str()
            .unwrap()
            .starts_with("Python 3."),
        "{}",
        v["runtime"]
    );
    assert_eq!(
        v["runtime"]["no-such-tool-xyz"]["unavailable"],
        "`no-such-tool-xyz` is not installed"
    );
    assert_eq!(
        v["runtime"]["cargo-lock"]["packages"]["serde"]
            .as_str()
            .unwrap()
            .split('.')
            .next(),
        Some("1")
    );
    p.run(&["accept"]);
    let lock = p.read("Cargo.lock");
    let bumped = lock.replacen(
        "name = \"serde_json\"\nversion = \"1.",
        "name = \"serde_json\"\nversion = \"9.",
        1,
    );
    assert_ne!(bumped, lock);
    p.file("Cargo.lock", &bumped);
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1);
    assert!(
        out.lines().any(|l| l.contains("runtime")
            && l.contains("cargo-lock.packages.serde_json")
            && l.contains("→ 9.")),
        "{out}"
    );
}

#[test]
fn hardware_with_the_nvidia_smi_fallback() {
    let p = Project::new();
    let bin = p.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let capture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/gpu/nvidia-smi-xml/telegraf_a100-sxm4-v12.xml"
    );
    p.file(
        "bin/nvidia-smi",
        &format!("#!/bin/sh\n[ \"$1 $2\" = \"-q -x\" ] || exit 9\nexec /bin/cat '{capture}'\n"),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            p.join("bin/nvidia-smi"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
    p.file("harness.toml", "[[run]]\nname = \"nav\"\n");
    // the same results on a machine with a GPU: NVML off, and a PATH with no vendor tool on it
    // but the stand-in (git state then comes from libgit2)
    let empty = p.join("no-tools");
    std::fs::create_dir_all(&empty).unwrap();
    let run = |path: &std::path::Path, args: &[&str]| {
        let out = p
            .provbase(args)
            .env("PATH", path)
            .env("PROVBASE_NVML_LIBRARY", p.join("no-such-libnvidia-ml.so.1"))
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };

    // without a GPU tool: unavailable, with the reason, and no drift between two such runners
    let (code, out) = run(&empty, &["collect", RUN]);
    assert_eq!(code, 0);
    let v = json(&out);
    assert!(v["hardware"]["hostname"].is_string(), "collected");
    assert!(v["hardware"]["memory_gib"].as_u64().unwrap() >= 1);
    let why = v["hardware"]["gpus"]["unavailable"]
        .as_str()
        .expect("no GPU here");
    assert!(why.contains("no nvidia-smi on PATH"), "{why}");
    assert_eq!(run(&empty, &["accept"]).0, 0);
    assert!(
        json(&p.read("baselines/nav.json"))["hardware"]
            .get("hostname")
            .is_none(),
        "hostname is volatile"
    );
    assert_eq!(run(&empty, &["check"]).0, 0);

    // a GPU appears (through nvidia-smi): hardware drift, a warning by default
    let (code, text) = run(&bin, &["check"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("hardware") && text.contains("(warn)"),
        "{text}"
    );
    let (_, out) = run(&bin, &["collect", RUN]);
    let v = json(&out);
    assert_eq!(v["hardware"]["gpus"]["source"], "nvidia-smi");
    assert_eq!(v["hardware"]["gpus"]["driver_version"], "535.54.03");
    assert_eq!(
        v["hardware"]["gpus"]["devices"][0]["name"],
        "NVIDIA A100-SXM4-80GB"
    );
    assert!(!out.contains("GPU-513536b6"), "raw UUIDs never recorded");
    // a nightly-style policy makes it fail
    p.file(
        "harness.toml",
        "[policy]\nhardware = \"fail\"\n\n[[run]]\nname = \"nav\"\n",
    );
    assert_eq!(run(&bin, &["check"]).0, 1);
}

/// Runs that share a glob expand it once per process, and a run's pipeline command, which may
/// write files another run's glob names, makes the next runs expand theirs again.
#[test]
fn shared_globs_are_expanded_once_until_a_command_writes() {
    let p = Project::new();
    p.file("data/a.txt", "a\n").file(
        "harness.toml",
        "[[run]]\nname = \"first\"\nhardware = false\ncode = [\"data/*.txt\"]\n\n\
         [[run]]\nname = \"writer\"\nhardware = false\ncommand = [\"sh\", \"-c\", \"echo b > data/b.txt\"]\n\n\
         [[run]]\nname = \"after\"\nhardware = false\ncode = [\"data/*.txt\"]\n",
    );
    let config = provbase::Config::load(&p.join("harness.toml")).unwrap();
    let s = provbase::Session::new(config);
    let files = |run: &str| -> Vec<String> {
        let m = s.collect(s.config.run(run).unwrap()).unwrap();
        m["code"]["scope"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(files("first"), ["data/a.txt"]);
    let key = provbase::collect::facts::ExpansionKey {
        key: "code".into(),
        patterns: vec!["data/*.txt".into()],
        outside: false,
    };
    assert!(
        s.facts().files().expansion(&key).is_some(),
        "remembered for the next run"
    );
    s.collect(s.config.run("writer").unwrap()).unwrap();
    assert!(
        s.facts().files().expansion(&key).is_none(),
        "forgotten once a command ran"
    );
    assert_eq!(files("after"), ["data/a.txt", "data/b.txt"]);
}

/// A failing pipeline command shows the end of what it printed, on stdout and on stderr,
/// secrets scrubbed: a Python pipeline often reports its error on stdout.
#[test]
fn a_failing_pipeline_command_shows_its_output() {
    let p = crate::project::Project::new();
    p.file(
        "harness.toml",
        "[[run]]\nname = \"r\"\nhardware = false\ncommand = [\"sh\", \"-c\", \"echo loading cfg.yaml; echo 'ValueError: limb must be > 0'; echo 'token=ghp_R8xQ2kLmN4pV7sT1wY3zA5bC9dE0fG6hJ2kL'; echo 'Traceback (most recent call last)' >&2; exit 1\"]\n",
    );
    let (code, out, err) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}{err}");
    for shown in [
        "failed (exit status: 1)",
        "stdout ends with:",
        "ValueError: limb must be > 0",
        "stderr ends with:",
        "Traceback (most recent call last)",
    ] {
        assert!(out.contains(shown), "{shown}: {out}");
    }
    assert!(!out.contains("R8xQ2kLmN4"), "{out}");
}

/// `!GLOB` leaves folders or suffixes out of a `code` scope: a change there is no drift.
#[test]
fn a_code_scope_leaves_out_what_bang_globs_name() {
    let p = crate::project::Project::new();
    p.file(
        "harness.toml",
        "[[run]]\nname = \"r\"\nhardware = false\ncode = [\"src/**\", \"!src/**/tests\", \"!**/*.pyc\"]\n",
    )
    .file("src/nav/a.py", "A = 1\n")
    .file("src/nav/tests/test_a.py", "def test(): pass\n")
    .file("src/nav/a.pyc", "bytes");
    assert_eq!(p.run(&["accept"]).0, 0);
    let b: serde_json::Value = serde_json::from_str(&p.baseline_of("r")).unwrap();
    let scope: Vec<&String> = b["code"]["scope"].as_object().unwrap().keys().collect();
    assert_eq!(scope, ["src/nav/a.py"]);
    p.file("src/nav/tests/test_a.py", "def test(): assert True\n")
        .file("src/nav/a.pyc", "other bytes");
    assert_eq!(p.run(&["check"]).0, 0, "what is left out does not drift");
    p.file("src/nav/a.py", "A = 2\n");
    assert_eq!(p.run(&["check"]).0, 1);
    p.file(
        "harness.toml",
        "[[run]]\nname = \"r\"\nhardware = false\nstatic_data = [\"src/**\", \"!**/*.pyc\"]\n",
    );
    let (code, _, err) = p.run(&["check"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("harness.toml:4") && err.contains("only `code` globs"),
        "{err}"
    );
}
