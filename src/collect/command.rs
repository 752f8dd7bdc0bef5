//! Running a configured command: in the project's folder, with a timeout, its output captured,
//! and its arguments redacted wherever they are shown.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long a command may run when the configuration gives no `timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Bytes of stderr kept for messages.
const STDERR_TAIL: usize = 2000;

/// What a command printed.
#[derive(Debug)]
pub struct Output {
    /// Everything it wrote to stdout.
    pub stdout: String,
    /// The end of what it wrote to stderr.
    pub stderr_tail: String,
}

/// Whether an argument or variable name looks like it holds a secret.
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "PASSPHRASE",
        "KEY",
        "CREDENTIAL",
        "AUTH",
        "COOKIE",
        "SESSION",
        "PRIVATE",
        "SIGNATURE",
    ]
    .iter()
    .any(|w| upper.contains(w))
}

/// A command line as it may be shown: the value of `--token=…`, of `--password X` and of any
/// option whose name looks secret is `<redacted>`, and URLs lose their credentials.
pub fn redact_args(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut hide_next = false;
    for a in args {
        if hide_next {
            out.push("<redacted>".to_owned());
            hide_next = false;
            continue;
        }
        if let Some((name, _)) = a.split_once('=')
            && name.starts_with('-')
            && looks_secret(name)
        {
            out.push(format!("{name}=<redacted>"));
            continue;
        }
        if a.starts_with('-') && looks_secret(a) {
            hide_next = true;
            out.push(a.clone());
            continue;
        }
        if a.contains("://") {
            out.push(super::git::sanitize_url(a));
            continue;
        }
        out.push(a.clone());
    }
    out
}

/// The command line for messages: redacted, space-separated.
pub fn display(args: &[String]) -> String {
    redact_args(args).join(" ")
}

fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_end();
    let cut = text.len().saturating_sub(STDERR_TAIL);
    let start = (cut..=text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(text.len());
    text[start..].to_owned()
}

/// Runs `argv` in `dir`, waiting at most `timeout`. An error says what went wrong — could not
/// start, exit status, timeout — with the tail of stderr, and never shows a secret argument.
pub fn run(argv: &[String], dir: &Path, timeout: Duration) -> Result<Output, String> {
    let shown = display(argv);
    let Some((program, args)) = argv.split_first() else {
        return Err("empty command".into());
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // its own process group, so that a timeout ends the children it started too
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("`{shown}` could not start: {e}"))?;
    let mut out_pipe = child.stdout.take().expect("piped stdout");
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let out_thread = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out_pipe.read_to_end(&mut b);
        b
    });
    let err_thread = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err_pipe.read_to_end(&mut b);
        b
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() >= deadline => {
                #[cfg(unix)]
                let _ = Command::new("kill")
                    .args(["-s", "KILL", "--", &format!("-{}", child.id())])
                    .stderr(Stdio::null())
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("`{shown}`: {e}")),
        }
    };
    let stdout = out_thread.join().unwrap_or_default();
    let stderr = tail(&err_thread.join().unwrap_or_default());
    let with_stderr = |msg: String| {
        if stderr.is_empty() {
            msg
        } else {
            format!("{msg}; stderr ends with:\n{stderr}")
        }
    };
    match status {
        None => Err(with_stderr(format!(
            "`{shown}` timed out after {}",
            humantime::format_duration(timeout)
        ))),
        Some(s) if !s.success() => Err(with_stderr(format!("`{shown}` failed ({s})"))),
        Some(_) => Ok(Output {
            stdout: String::from_utf8(stdout)
                .map_err(|_| format!("`{shown}` printed something that is not UTF-8"))?,
            stderr_tail: stderr,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn secret_arguments_are_redacted() {
        let got = redact_args(&s(&[
            "train.py",
            "--token=abc123",
            "--password",
            "hunter2",
            "--api-key",
            "k-999",
            "--epochs",
            "3",
            "https://bob:pw@host/data",
        ]));
        assert_eq!(
            got,
            s(&[
                "train.py",
                "--token=<redacted>",
                "--password",
                "<redacted>",
                "--api-key",
                "<redacted>",
                "--epochs",
                "3",
                "https://host/data"
            ])
        );
    }

    #[test]
    fn exit_status_timeout_and_stderr_tail() {
        let dir = std::env::temp_dir();
        let ok = run(
            &s(&["sh", "-c", "echo hi; echo warn >&2"]),
            &dir,
            DEFAULT_TIMEOUT,
        )
        .unwrap();
        assert_eq!(
            (ok.stdout.as_str(), ok.stderr_tail.as_str()),
            ("hi\n", "warn")
        );
        let err = run(
            &s(&["sh", "-c", "echo boom >&2; exit 3"]),
            &dir,
            DEFAULT_TIMEOUT,
        )
        .unwrap_err();
        assert!(
            err.contains("exit status: 3") && err.ends_with("boom"),
            "{err}"
        );
        let t = Instant::now();
        // the shell's own child holds the pipes too: the whole process group must end
        let err = run(
            &s(&["sh", "-c", "sleep 30; echo late"]),
            &dir,
            Duration::from_millis(200),
        )
        .unwrap_err();
        assert!(err.contains("timed out after 200ms"), "{err}");
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "the grandchild kept the run waiting"
        );
        let err = run(
            &s(&["/nonexistent/tool", "--token=x"]),
            &dir,
            DEFAULT_TIMEOUT,
        )
        .unwrap_err();
        assert!(
            err.contains("could not start") && err.contains("--token=<redacted>"),
            "{err}"
        );
    }
}
