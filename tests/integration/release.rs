//! Ready for a first release: the command line's conventions (exit statuses, colour variables,
//! completions in fish, a man page per command), checked with the real programs where this
//! machine has them.

use crate::project::{Project, hermetic};
use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A folder of candidates that does not exist is a usage error (2) for `pending` and `review`,
/// as the README says, not an empty list; the default folder missing is still "no candidates".
#[test]
fn a_candidates_folder_that_does_not_exist_is_a_usage_error() {
    let p = Project::nav();
    let (code, out, _) = p.run(&["pending"]);
    assert_eq!(code, 0);
    assert!(out.contains("no candidates under"), "{out}");
    let (code, _, err) = p.run(&["pending", "/nonexistent/artifact"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("/nonexistent/artifact: no such folder of candidates"),
        "{err}"
    );
    p.file("a-file", "x\n");
    assert_eq!(p.run(&["pending", "a-file"]).0, 2);
}

/// Runs provbase on a pseudo-terminal (tests/tools/pty_session.py) with `vars` set; returns
/// what the terminal showed.
fn on_a_terminal(p: &Project, args: &[&str], vars: &[(&str, &str)]) -> String {
    let mut cmd = Command::new("python3");
    cmd.arg(root().join("tests/tools/pty_session.py"))
        .args(["never prompted", "--"])
        .arg(env!("CARGO_BIN_EXE_provbase"))
        .args(args);
    hermetic(cmd.current_dir(p.path()));
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `CLICOLOR=0` turns colour off on a terminal, as clap's own output honours it;
/// `CLICOLOR_FORCE` wins over it, as in anstream.
#[test]
fn clicolor_zero_turns_the_reports_colour_off() {
    let p = Project::nav();
    assert_eq!(p.run(&["accept"]).0, 0);
    p.file("cfg/config_220_body_shape.yaml", "tuned: true\n");
    let coloured = on_a_terminal(&p, &["check"], &[]);
    assert!(
        coloured.contains("static_data") && coloured.contains('\x1b'),
        "{coloured:?}"
    );
    let plain = on_a_terminal(&p, &["check"], &[("CLICOLOR", "0")]);
    assert!(plain.contains("static_data"), "{plain:?}");
    assert!(!plain.contains('\x1b'), "{plain:?}");
    let forced = on_a_terminal(
        &p,
        &["check"],
        &[("CLICOLOR", "0"), ("CLICOLOR_FORCE", "1")],
    );
    assert!(forced.contains('\x1b'), "{forced:?}");
}

/// fish, given the script `provbase completions fish` prints, completes the values of
/// `--format` before and after the command (`complete -C` asks fish what TAB would offer).
/// Runs where fish is installed; `.ci/run` installs it and sets PROVBASE_REQUIRE_FISH.
#[test]
fn fish_completes_format_values() {
    if Command::new("fish").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("PROVBASE_REQUIRE_FISH").is_none(),
            "fish is required here"
        );
        return;
    }
    let p = Project::new();
    let (code, script, _) = p.run(&["completions", "fish"]);
    assert_eq!(code, 0);
    p.file("provbase.fish", &script);
    for line in [
        "provbase --format ",
        "provbase check --format ",
        "provbase --profile nightly --format ",
    ] {
        let out = Command::new("fish")
            .args(["--no-config", "-c"])
            .arg(format!("source provbase.fish; complete -C '{line}'"))
            .current_dir(p.path())
            .output()
            .unwrap();
        let offered = String::from_utf8_lossy(&out.stdout);
        let values: Vec<&str> = offered
            .lines()
            .map(|l| l.split('\t').next().unwrap())
            .collect();
        assert_eq!(values, ["human", "json", "markdown"], "{line}: {offered}");
    }
    // after a value, fish offers the commands
    let out = Command::new("fish")
        .args(["--no-config", "-c"])
        .arg("source provbase.fish; complete -C 'provbase --format json '")
        .current_dir(p.path())
        .output()
        .unwrap();
    let offered = String::from_utf8_lossy(&out.stdout);
    assert!(
        offered.lines().any(|l| l.starts_with("check\t")),
        "{offered}"
    );
}

/// `completions man --dir DIR` writes the main page and one per command; every page the main
/// page names exists, and each says its exit statuses.
#[test]
fn a_man_page_per_command_with_exit_statuses() {
    let p = Project::new();
    let (code, out, err) = p.run(&["completions", "man", "--dir", "man"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("wrote man/provbase-check.1"), "{out}");
    let main = p.read("man/provbase.1");
    let named: Vec<String> = main
        .split("provbase\\-")
        .skip(1)
        .filter_map(|s| s.split_once("(1)").map(|(name, _)| name.to_owned()))
        .filter(|n| n.chars().all(|c| c.is_ascii_lowercase()))
        .collect();
    assert!(named.len() >= 15, "{named:?}\n{main}");
    for name in &named {
        let page = p.read(&format!("man/provbase-{name}.1"));
        assert!(page.contains(".SH \"EXIT STATUS\""), "provbase-{name}.1");
        assert!(page.contains(".TH provbase"), "provbase-{name}.1");
    }
    assert!(main.contains(".SH \"EXIT STATUS\""));
    assert!(p.read("man/provbase-record.1").contains("127"));
    assert!(p.read("man/provbase-check.1").contains("a failing drift"));
    // man itself renders a page, where it is installed
    if let Ok(o) = Command::new("man")
        .args(["-l", "man/provbase-check.1"])
        .env("MANWIDTH", "80")
        .env("MAN_KEEP_FORMATTING", "")
        .current_dir(p.path())
        .output()
        && o.status.success()
    {
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("EXIT STATUS"), "{text}");
    }
    // --dir is for man pages only
    assert_eq!(p.run(&["completions", "fish", "--dir", "x"]).0, 2);
}
