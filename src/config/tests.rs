//! harness.toml: what parses, what is refused and with which message, and profiles.

use super::*;

fn parse(text: &str) -> Result<Config> {
    Config::parse(text, Path::new("/repo/harness.toml"))
}

fn err(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn full_example_parses() {
    let cfg = parse(
        r#"
[harness]
baselines = "bl"
strip = ["**.started_at", { path = "**.t", expect = "rfc3339" }]

[policy]
git = "warn"
hardware = "fail"
"hardware.hostname" = "ignore"

[profile.nightly]
baselines = "bl/nightly"
policy = { hardware = "fail" }

[[run]]
name = "coiss-N1597846115"
code = ["src/nav/**"]
static_data = ["cfg/config_220_*.yaml", "cfg/config_3*.yaml"]
params = { image = "N1597846115", seed = 42, big = 9007199254740993, when = 1979-05-27 }
"#,
    )
    .unwrap();
    assert_eq!(cfg.baselines(), "bl");
    assert_eq!(cfg.root, Path::new("/repo"));
    assert_eq!(cfg.strip.len(), crate::strip::BUILTIN_VOLATILE.len() + 2);
    let run = &cfg.runs[0];
    assert_eq!(run.name, "coiss-N1597846115");
    assert_eq!(run.line, 15, "the [[run]] header's line");
    assert_eq!(run.static_data[1].pattern, "cfg/config_3*.yaml");
    assert_eq!(run.static_data[1].line, 18);
    assert_eq!(run.params["seed"], 42);
    assert_eq!(run.params["big"], "9007199254740993");
    assert_eq!(run.params["when"], "1979-05-27");
    assert_eq!(cfg.baseline_path("x"), Path::new("/repo/bl/x.json"));
    let mut nightly = cfg.clone();
    nightly.select_profile("nightly").unwrap();
    assert_eq!(nightly.baselines(), "bl/nightly");
    // a view: the file's own settings are unchanged under it
    assert_eq!(nightly.default.baselines, "bl");
    let hw = crate::path::JsonPath(vec![crate::path::Segment::Key("hardware".into())]);
    let hostname = crate::path::JsonPath(vec![
        crate::path::Segment::Key("hardware".into()),
        crate::path::Segment::Key("hostname".into()),
    ]);
    use crate::policy::{Category, Policy};
    assert_eq!(
        nightly.policy().for_path(&hw, Category::Hardware),
        Policy::Fail
    );
    // the profile's overrides sit over `[policy]`, which it keeps
    assert_eq!(
        nightly.policy().for_path(&hostname, Category::Hardware),
        Policy::Ignore
    );
    assert_eq!(cfg.policy().for_path(&hw, Category::Git), Policy::Warn);
    // every profile's baselines stay out of git's dirty and untracked counts, whichever
    // profile is in force (the default folder was once left out under a profile)
    for c in [&cfg, &nightly] {
        assert_eq!(
            c.all_baselines_dirs(),
            [Path::new("/repo/bl"), Path::new("/repo/bl/nightly")]
        );
    }
    let msg = cfg
        .clone()
        .select_profile("weekly")
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("unknown profile `weekly`") && msg.contains("nightly"),
        "{msg}"
    );
}

#[test]
fn bad_input_names_file_line_and_key() {
    let cases: &[(&str, usize, &str)] = &[
        ("[harness]\nbaseline = \"x\"\n", 2, "baseline"),
        (
            "[[run]]\nname = \"a\"\nstatic_dta = [\"x\"]\n",
            3,
            "static_dta",
        ),
        (
            "[[run]]\nname = \"a\"\n\n[[run]]\nname = \"a\"\n",
            5,
            "duplicate run name `a`",
        ),
        ("[[run]]\nname = \"../x\"\n", 2, "`../x`"),
        ("[[run]]\nname = \".hidden\"\n", 2, "`.hidden`"),
        (
            "[[run]]\nname = \"a\"\nstatic_data = [\"cfg/[\"]\n",
            3,
            "bad glob `cfg/[`",
        ),
        ("[policy]\ngit = \"maybe\"\n", 2, "`maybe`"),
        ("[policy]\ngti = \"warn\"\n", 2, "unknown category `gti`"),
        ("[harness]\nstrip = [\"a..b\"]\n", 2, "a..b"),
        (
            "[harness]\nstrip = [{ path = \"a\", expect = \"iso\" }]\n",
            2,
            "unknown variant `iso`, expected one of `rfc3339`",
        ),
        (
            "[harness]\nstrip = [{ path = \"a\", expct = \"rfc3339\" }]\n",
            2,
            "unknown field `expct`",
        ),
        (
            "[[run]]\nname = \"a\"\ntechniques = { command = [\"x\"], timout = \"5s\" }\n",
            3,
            "unknown field `timout`, expected one of `command`, `timeout`, `allow_empty`",
        ),
        (
            "[[run]]\nname = \"a\"\n\nextractors = [\"A\", 3]\n",
            4,
            "expected a string",
        ),
        (
            "[[run]]\nname = \"a\"\nextractors = 3\n",
            3,
            "expected a list of names or { command = [...] }",
        ),
        (
            "[[run]]\nname = \"a\"\ntechniques = { command = [\"x\"], allow_empty = \"yes\" }\n",
            3,
            "expected a boolean",
        ),
        (
            "[[run]]\nname = \"a\"\nparams = { x = nan }\n",
            3,
            "cannot be written as JSON",
        ),
        ("[[run]]\nname = \n", 2, ""),
    ];
    for (text, line, needle) in cases {
        let msg = err(text);
        assert!(
            msg.starts_with(&format!("/repo/harness.toml:{line}:")),
            "{text:?} gave {msg}"
        );
        assert!(msg.contains(needle), "{text:?} gave {msg}");
    }
}

#[test]
fn collector_keys() {
    let cfg = parse(
        r#"
[[run]]
name = "a"
spice = { metakernel = "k/coiss.tm", kernels = ["k/*.bsp"] }
techniques = ["DTFitting", "BodyLimbNav", "DTFitting"]
extractors = { command = ["python3", "reg.py"], timeout = "5s" }
hardware = false
runtime = ["rustc", "pip-freeze"]
env = ["OMP_NUM_THREADS", "NCCL_*"]

[run.external.nav]
command = ["python3", "-m", "nav.provenance"]
timeout = "90s"
"#,
    )
    .unwrap();
    let r = &cfg.runs[0];
    assert_eq!(
        r.spice.as_ref().unwrap().metakernel.as_ref().unwrap().line,
        4
    );
    assert!(
        matches!(&r.techniques, Some(NamesSpec::List(n)) if n == &["BodyLimbNav", "DTFitting"])
    );
    assert!(matches!(&r.extractors, Some(NamesSpec::Command(c)) if c.timeout.as_secs() == 5));
    assert!(!r.hardware);
    assert_eq!(r.external["nav"].timeout.as_secs(), 90);
    assert_eq!(r.external["nav"].line, 11, "the table's header line");
    let bad: &[(&str, usize, &str)] = &[
        (
            "[[run]]\nname = \"a\"\nspice = {}\n",
            3,
            "needs `metakernel` or `kernels`",
        ),
        (
            "[[run]]\nname = \"a\"\nspice = { metakernal = \"x\" }\n",
            3,
            "metakernal",
        ),
        (
            "[[run]]\nname = \"a\"\ntechniques = { command = [] }\n",
            3,
            "must name a program",
        ),
        (
            "[[run]]\nname = \"a\"\ntechniques = { command = [\"x\"], timeout = \"soon\" }\n",
            3,
            "not a duration",
        ),
        ("", 1, "no `[[run]]`"),
        ("[harness]\nbaselines = \"b\"\n", 1, "no `[[run]]`"),
        (
            "[harness]\nbaselines = \".\"\n[[run]]\nname = \"a\"\n",
            2,
            "is the project's folder itself",
        ),
        (
            "[harness]\nbaselines = \"x/..\"\n[[run]]\nname = \"a\"\n",
            2,
            "is the project's folder itself",
        ),
        (
            "[harness]\nbaselines = \"../x\"\n[[run]]\nname = \"a\"\n",
            2,
            "leaves the project's folder",
        ),
        (
            "[profile.n]\nbaselines = \"b/../../x\"\n[[run]]\nname = \"a\"\n",
            2,
            "leaves the project's folder",
        ),
        (
            "[harness]\nstrip = [\"format_version\"]\n[[run]]\nname = \"a\"\n",
            2,
            "would remove the manifest's own `format_version`",
        ),
        (
            "[harness]\nstrip = [\"**\"]\n[[run]]\nname = \"a\"\n",
            2,
            "would remove the manifest's own",
        ),
        (
            "[harness]\nstrip = [{ path = \"dig*\" }]\n[[run]]\nname = \"a\"\n",
            2,
            "own `digest`",
        ),
        (
            "[harness]\nstrip = [\"*\"]\n[[run]]\nname = \"a\"\n",
            2,
            "own `format_version`",
        ),
        (
            "[[run]]\nname = \"a\"\nstatic_data = [\"/etc/passwd\"]\n",
            3,
            "`static_data`: `/etc/passwd` leaves the project's folder; set `allow_outside = true`",
        ),
        (
            "[[run]]\nname = \"a\"\ncode = [\"src/../../x/**\"]\n",
            3,
            "leaves the project's folder",
        ),
        (
            "[[run]]\nname = \"a\"\nspice = { metakernel = \"../k.tm\" }\n",
            3,
            "`spice.metakernel`: `../k.tm` leaves",
        ),
        (
            "[[run]]\nname = \"a\"\nhardware = false\n\ninputs = [\"../in\"]\n",
            5,
            "`inputs`",
        ),
        (
            "[[run]]\nname = \"a\"\noutputs = [\"/tmp/o\"]\n",
            3,
            "`outputs`",
        ),
        (
            "[[run]]\nname = \"a\"\n\ncommand = [\"x\"]\ntimeout = \"9223372036854775807s\"\n",
            5,
            "longer than the most allowed, 1day",
        ),
        (
            "[[run]]\nname = \"a\"\ntechniques = [\"a b\"]\n",
            3,
            "not a name",
        ),
        (
            "[[run]]\nname = \"a\"\nruntime = [\"python 3\"]\n",
            3,
            "not a tool name",
        ),
        (
            "[[run]]\nname = \"a\"\n[run.external.x]\ncommand = [\"a\"]\ntimout = \"1s\"\n",
            5,
            "timout",
        ),
    ];
    for (text, line, needle) in bad {
        let msg = err(text);
        assert!(
            msg.starts_with(&format!("/repo/harness.toml:{line}:")) && msg.contains(needle),
            "{text:?} gave {msg}"
        );
    }
}

#[test]
fn leaving_the_project_is_an_opt_in_per_run() {
    let text = "[harness]\nbaselines = \"./provenance/base\"\n[[run]]\nname = \"a\"\nallow_outside = true\nstatic_data = [\"/etc/hostname\", \"../data/*.csv\"]\ncode = [\"src/../lib/**\"]\n";
    let cfg = Config::parse(text, Path::new("/repo/harness.toml")).unwrap();
    assert!(cfg.runs[0].allow_outside);
    assert_eq!(cfg.runs[0].static_data.len(), 2);
    assert_eq!(cfg.baselines(), "./provenance/base");
}

#[test]
fn run_names() {
    for ok in ["a", "coiss-N1597846115", "A.b_c-1"] {
        assert!(valid_run_name(ok), "{ok}");
    }
    for bad in ["", "-a", ".a", "a/b", "../x", "a b", "é"] {
        assert!(!valid_run_name(bad), "{bad}");
    }
}

#[test]
fn a_thousand_runs_keep_their_lines() {
    let text: String = (1..=1000)
        .map(|i| format!("[[run]]\nname = \"r{i}\"\nstatic_data = [\"cfg/c{i}.yaml\"]\n\n"))
        .collect();
    let cfg = parse(&text).unwrap();
    let last = cfg.run("r1000").unwrap();
    assert_eq!(last.line, 4 * 999 + 1);
    assert_eq!(last.static_data[0].line, 4 * 999 + 3);
    let bad = text.replace("cfg/c1000.yaml", "cfg/[");
    assert!(err(&bad).starts_with(&format!("/repo/harness.toml:{}:", 4 * 999 + 3)));
}
