//! One picture of drift across the fleet: `provbase report` folds the JSON reports of several
//! runners and nights into a page, a Markdown summary and JSON; the page is read in headless
//! Chromium from disk with the network refused.

use crate::project::Project;
use serde_json::Value;
use std::path::{Path, PathBuf};

const RUN: &str = "coiss-N1597846115";

/// Reports of two runners over five nights: runner a100-1's config file is refreshed on night 3
/// and a100-2's on night 4; both drift from then on. Written as the CLI writes them, with the
/// night's time in `taken.time`.
fn fleet(p: &Project) -> PathBuf {
    p.file(".gitignore", "reports/\npage.html\n");
    p.git_init().commit_all("start");
    p.run(&["accept"]);
    p.commit_all("Accept provenance baselines");
    let original = p.read("cfg/config_220_body_shape.yaml");
    let dir = p.join("reports");
    for night in 1..=5 {
        for (runner, refreshed_on) in [("a100-1", 3), ("a100-2", 4)] {
            let text = if night >= refreshed_on {
                format!("{original}# refreshed\n")
            } else {
                original.clone()
            };
            if p.read("cfg/config_220_body_shape.yaml") != text {
                p.file("cfg/config_220_body_shape.yaml", &text)
                    .commit_all(&format!("{runner} night {night}"));
            }
            let out = p
                .provbase(&["--format", "json", "check"])
                .env("PROVBASE_RUNNER", runner)
                .output()
                .unwrap();
            let mut report: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(report["taken"]["runner"], runner);
            report["taken"]["time"] = format!("2026-11-{night:02}T02:00:00Z").into();
            let file = dir.join(runner).join(format!("night-{night}.json"));
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, serde_json::to_vec_pretty(&report).unwrap()).unwrap();
        }
    }
    dir
}

fn json(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(out)))
}

#[test]
fn reports_of_runners_and_nights_fold_into_one_picture() {
    let p = Project::nav();
    fleet(&p);
    let (code, out, err) = p.run(&["report", "reports", "--html", "page.html"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("10 reports from 2 runners, 1 run\n"),
        "{out}"
    );
    // the refreshed file is one line, with the night it first changed and both runners
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("first seen"))
        .collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert!(
        lines[0].starts_with("first seen 2026-11-03 02:00 · static_data · `static_data_hashes.\"cfg/config_220_body_shape.yaml\"`")
            && lines[0].ends_with("on a100-1, a100-2 · runs coiss-N1597846115"),
        "{}",
        lines[0]
    );

    let out = p
        .provbase(&["--format", "json", "report", "reports/*/night-*.json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let f = json(&out.stdout);
    assert_eq!(f["runners"], serde_json::json!(["a100-1", "a100-2"]));
    assert_eq!(f["reports"].as_array().unwrap().len(), 10);
    // nights collapse: a100-1 passed twice then failed three times; a100-2 three, then two
    let stretches = |i: usize| -> Vec<(u64, String)> {
        f["timeline"][i]["stretches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["nights"].as_u64().unwrap(),
                    s["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(stretches(0), [(2, "pass".into()), (3, "fail".into())]);
    assert_eq!(stretches(1), [(3, "pass".into()), (2, "fail".into())]);
    assert_eq!(f["matrix"].as_array().unwrap().len(), 2);
    assert_eq!(
        f["first_seen"][0]["runners"],
        serde_json::json!(["a100-1", "a100-2"])
    );

    let (code, md, _) = p.run(&["--format", "markdown", "report", "reports"]);
    assert_eq!(code, 0);
    assert!(
        md.starts_with("### provbase: 10 reports from 2 runners\n"),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "| {RUN} | ❌ fail static_data (1) | ❌ fail static_data (1) |"
        )),
        "{md}"
    );
    assert!(md.contains("- 2026-11-03 02:00 · static_data ·"), "{md}");

    check_in_a_browser(&p.join("page.html"), "fleet");
}

/// Loads the page in headless Chromium and checks what a reader sees; keeps a screenshot under
/// `target/test-artifacts/`. Skipped (saying so) where Chromium or playwright-core is missing,
/// unless `PROVBASE_REQUIRE_BROWSER` is set (as `.ci/run` sets it).
/// Runs a script of `tests/tools` on a page in headless Chromium through playwright-core,
/// writing its artifact (a screenshot, a PDF) as `target/test-artifacts/<artifact>`; returns
/// what it printed and the artifact's path, or `None` where this machine has no browser
/// (`.ci/run` installs one and sets PROVBASE_REQUIRE_BROWSER).
fn in_a_browser(script: &str, page: &Path, artifact: &str) -> Option<(Value, PathBuf)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let module = root.join("target/playwright/node_modules/playwright-core");
    let chromium = std::env::var_os("PROVBASE_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !module.is_dir() || !chromium.is_file() {
        assert!(
            std::env::var_os("PROVBASE_REQUIRE_BROWSER").is_none(),
            "PROVBASE_REQUIRE_BROWSER is set, but {} or {} is missing",
            module.display(),
            chromium.display()
        );
        eprintln!("skipped the browser check: no Chromium or playwright-core here");
        return None;
    }
    let shots = root.join("target/test-artifacts");
    std::fs::create_dir_all(&shots).unwrap();
    let out_file = shots.join(artifact);
    let out = std::process::Command::new("node")
        .arg(root.join("tests/tools").join(script))
        .arg(page)
        .arg(&out_file)
        .env("PLAYWRIGHT_CORE", &module)
        .env("PROVBASE_CHROMIUM", &chromium)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some((json(&out.stdout), out_file))
}

fn check_in_a_browser(page: &Path, name: &str) {
    let Some((seen, shot)) = in_a_browser("page_check.cjs", page, &format!("{name}.png")) else {
        return;
    };
    assert_eq!(
        seen["requests"],
        serde_json::json!([]),
        "the page asked the network"
    );
    assert_eq!(seen["errors"], serde_json::json!([]));
    // the matrix: one row, two runners, each failing, in text as well as colour
    let cells = seen["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2, "{cells:?}");
    for (c, runner) in cells.iter().zip(["a100-1", "a100-2"]) {
        assert_eq!(c["runner"], runner);
        assert_eq!(c["status"], "fail");
        let text = c["text"].as_str().unwrap();
        assert!(
            text.contains("fail") && text.contains("static_data (1)"),
            "{text}"
        );
        assert_ne!(
            c["background"], "rgba(0, 0, 0, 0)",
            "a colour besides the text"
        );
    }
    let first = seen["first_seen"].as_array().unwrap();
    assert_eq!(first.len(), 1);
    assert!(
        first[0]
            .as_str()
            .unwrap()
            .starts_with("2026-11-03 02:00 · static_data"),
        "{first:?}"
    );
    let lanes = seen["timeline"].as_array().unwrap();
    assert_eq!(lanes[0]["nights"][0]["nights"], 2);
    let stretch = lanes[0]["nights"][1]["text"].as_str().unwrap();
    assert!(
        stretch.starts_with("✘ fail · 3 nights 2026-11-03 02:00 – 2026-11-05 02:00"),
        "{stretch}"
    );
    // a click reveals the drift, with its before and after, and why
    let revealed = &seen["revealed"];
    assert_eq!(revealed["hidden_before"], true);
    assert_eq!(revealed["visible"], true);
    let drift = &revealed["drifts"][0];
    assert!(
        drift[0]
            .as_str()
            .unwrap()
            .contains("cfg/config_220_body_shape.yaml"),
        "{drift}"
    );
    assert!(
        drift[1].as_str().unwrap().starts_with("sha256:")
            && drift[2].as_str().unwrap().starts_with("sha256:")
            && drift[1] != drift[2],
        "{drift}"
    );
    assert!(
        revealed["why"].to_string().contains("+# refreshed"),
        "{revealed}"
    );
    assert!(shot.is_file());
}

#[test]
fn planted_secrets_stay_out_of_the_page_the_summary_and_the_json() {
    let p = Project::nav();
    let dir = fleet(&p);
    let token = "ghp_0123456789abcdefghijABCDEFGHIJ456789";
    let file = dir.join("a100-1/night-5.json");
    let mut report: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let run = &mut report["runs"][0];
    run["drifts"][0]["after"] = token.into();
    run["drifts"][0]["before"] = "https://ci:hunter2secret@cache.example.org/nav".into();
    run["explanation"] =
        serde_json::json!([{ "subject": "why", "text": format!("export TOKEN={token}") }]);
    run["error"] = format!("AKIAIOSFODNN7EXAMPLE {token}").into();
    std::fs::write(&file, serde_json::to_vec(&report).unwrap()).unwrap();
    let (code, out, err) = p.run(&["report", "reports", "--html", "page.html"]);
    assert_eq!(code, 0, "{err}");
    let (_, md, _) = p.run(&["--format", "markdown", "report", "reports"]);
    let (_, js, _) = p.run(&["--format", "json", "report", "reports"]);
    let page = p.read("page.html");
    for (what, text) in [
        ("page", &page),
        ("markdown", &md),
        ("json", &js),
        ("text", &out),
    ] {
        for secret in [token, "hunter2secret", "AKIAIOSFODNN7EXAMPLE"] {
            assert!(!text.contains(secret), "{what} shows {secret}");
        }
    }
    assert!(
        page.contains("&lt;redacted:"),
        "the redacted form is shown instead"
    );
}

#[test]
fn old_reports_load_and_bad_inputs_are_named() {
    let p = Project::nav();
    // a report of version 1, without `taken`
    p.file(
        "old/report.json",
        include_str!("../fixtures/formats/v1/docs/report.json"),
    );
    let (code, out, err) = p.run(&["report", "old"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("1 report from 1 runner, 2 runs\n"), "{out}");
    assert!(p.read("provbase-report.html").contains("(unknown runner)"));
    // a file named on its own that is not a report
    p.file("notes.json", "{\"a\": 1}\n");
    let (code, _, err) = p.run(&["report", "notes.json"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("notes.json") && err.contains("no `report_version`"),
        "{err}"
    );
    // in a folder, other JSON is skipped and named
    p.file("old/other.json", "[1]\n");
    let (code, _, err) = p.run(&["report", "old"]);
    assert_eq!(code, 0);
    assert!(err.contains("skipped old/other.json"), "{err}");
    // nothing to fold is an error, not an empty page
    std::fs::create_dir_all(p.join("empty")).unwrap();
    let (code, _, err) = p.run(&["report", "empty"]);
    assert_eq!(code, 2);
    assert!(err.contains("no provbase report in empty"), "{err}");
    let (code, _, err) = p.run(&["report", "nothing/*.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("matches no file"), "{err}");
}

/// Ten runners named as fleets name them, one of them drifting: on a 1280-pixel window the page
/// has a `<main>` and a viewport, is no wider than the window, and lists the runners in the order
/// people count them; printed (landscape A4), every cell's drifts show and the matrix fits the
/// page with all ten runners.
#[test]
fn ten_runners_read_on_a_laptop_and_print_whole() {
    let p = Project::nav();
    let dir = fleet(&p);
    // the last night of a100-2 (drifted) and of a100-1 (drifted too), as ten runners' reports
    let report: Value = json(&std::fs::read(dir.join("a100-2/night-5.json")).unwrap());
    let ten = p.join("ten");
    std::fs::create_dir_all(&ten).unwrap();
    for i in 1..=10 {
        let mut r = report.clone();
        r["taken"]["runner"] = format!("a100-{i}").into();
        std::fs::write(
            ten.join(format!("a100-{i}.json")),
            serde_json::to_vec(&r).unwrap(),
        )
        .unwrap();
    }
    let (code, _, err) = p.run(&["report", "ten", "--html", "ten.html"]);
    assert_eq!(code, 0, "{err}");
    let page = p.read("ten.html");
    assert!(page.contains("<main>") && page.contains("name=\"viewport\""));
    let Some((seen, pdf)) = in_a_browser("page_layout.cjs", &p.join("ten.html"), "ten-runners.pdf")
    else {
        return;
    };
    let screen = &seen["screen"];
    assert_eq!(screen["main"], 1, "{seen}");
    assert_eq!(
        screen["viewport_meta"],
        "width=device-width, initial-scale=1"
    );
    assert!(
        screen["page_width"].as_u64() <= screen["window_width"].as_u64(),
        "the page is wider than the window: {seen}"
    );
    let runners: Vec<String> = (1..=10).map(|i| format!("a100-{i}")).collect();
    assert_eq!(screen["runners"], serde_json::json!(runners));
    assert_eq!(screen["details_shown"], 0, "closed on screen: {seen}");
    let printed = &seen["printed"];
    assert_eq!(printed["details"], 10, "{seen}");
    assert_eq!(
        printed["details_shown"], 10,
        "every cell's drifts print: {seen}"
    );
    assert!(printed["drift_rows_shown"].as_u64() >= Some(10), "{seen}");
    assert!(
        printed["matrix_right"].as_u64() <= printed["printable"].as_u64(),
        "the matrix is cut in print: {seen}"
    );
    assert_eq!(printed["runner_columns_shown"], 10, "{seen}");
    assert!(std::fs::metadata(&pdf).unwrap().len() > 10_000);
}
