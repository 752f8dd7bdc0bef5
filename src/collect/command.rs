//! Running a configured command: in the project's folder, with a timeout, its output captured,
//! and its arguments redacted wherever they are shown.

use super::CollectError;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};


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

/// The command line for messages: redacted, space-separated.
pub fn display(args: &[String]) -> String {
    crate::redact::redact_args(args).join(" ")
}

/// The end of what a command wrote, its secrets scrubbed: a tail travels into error messages,
/// reports and CI logs.
fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_end();
    let cut = text.len().saturating_sub(STDERR_TAIL);
    let start = (cut..=text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(text.len());
    crate::redact::scrub_text(&text[start..]).into_owned()
}

/// The most a command may print on stdout: a collector's output is a document, not a stream.
pub const MAX_STDOUT: u64 = 64 << 20;

pub use crate::config::MAX_TIMEOUT;

/// Reads a pipe to its end on a thread of its own, keeping at most `cap` bytes (and noting
/// that there were more), and sends what it read when the pipe closes.
fn reader(
    mut pipe: impl Read + Send + 'static,
    cap: u64,
) -> std::sync::mpsc::Receiver<(Vec<u8>, bool)> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = (&mut pipe).take(cap).read_to_end(&mut b);
        // drain the rest, so that the writer is not stopped by a full pipe
        let over = std::io::copy(&mut pipe, &mut std::io::sink()).unwrap_or(0) > 0;
        let _ = tx.send((b, over));
    });
    rx
}

/// Kills a command's whole process group: it and every process it started that did not leave
/// the group.
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
}

/// Runs `argv` in `dir`, waiting at most `timeout` for it to exit and for its output to end.
/// At the deadline its whole process group is killed and reading stops, even when a process
/// it left behind (outside the group, too) still holds its output open. An error says what
/// went wrong — could not start, exit status, timeout, too much output — with the tail of
/// stderr, and never shows a secret argument.
pub fn run(argv: &[String], dir: &Path, timeout: Duration) -> Result<Output, CollectError> {
    run_found(None, argv, dir, timeout)
}

/// [`run`], with the program at `found` (a tool found on a `PATH` other than the process's)
/// while messages name it as `argv` does.
pub fn run_found(
    found: Option<&Path>,
    argv: &[String],
    dir: &Path,
    timeout: Duration,
) -> Result<Output, CollectError> {
    let shown = display(argv);
    let Some((program, args)) = argv.split_first() else {
        return Err(CollectError::EmptyCommand);
    };
    let timeout = timeout.min(MAX_TIMEOUT);
    let mut cmd = match found {
        Some(path) => Command::new(path),
        None => Command::new(program),
    };
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // its own process group, so that a timeout ends the children it started too
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().map_err(|e| CollectError::CouldNotStart {
        command: shown.clone(),
        source: e.into(),
    })?;
    let out_rx = reader(child.stdout.take().expect("piped stdout"), MAX_STDOUT);
    let err_rx = reader(child.stderr.take().expect("piped stderr"), 1 << 20);
    let deadline = Instant::now() + timeout;
    let mut status = None;
    let (mut stdout, mut stderr) = (None, None);
    let timed_out = loop {
        if status.is_none() {
            match child.try_wait() {
                Ok(s) => status = s,
                Err(e) => {
                    kill_group(&mut child);
                    return Err(CollectError::Wait {
                        command: shown,
                        source: e.into(),
                    });
                }
            }
        }
        if stdout.is_none() {
            stdout = out_rx.try_recv().ok();
        }
        if stderr.is_none() {
            stderr = err_rx.try_recv().ok();
        }
        if status.is_some() && stdout.is_some() && stderr.is_some() {
            break false;
        }
        if Instant::now() >= deadline {
            kill_group(&mut child);
            let _ = child.wait();
            break true;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // what stderr said before the kill, if its pipe closed in time
    let stderr = stderr
        .or_else(|| err_rx.recv_timeout(Duration::from_millis(100)).ok())
        .map_or_else(String::new, |(b, _)| tail(&b));
    if timed_out {
        return Err(CollectError::TimedOut {
            command: shown,
            after: timeout,
            lingering: status.is_some_and(|s| s.success()),
            stderr,
        });
    }
    let (stdout, over) = stdout.unwrap_or_default();
    match status {
        Some(s) if !s.success() => Err(CollectError::Exited {
            command: shown,
            status: s.to_string(),
            stdout: tail(&stdout),
            stderr,
        }),
        _ if over => Err(CollectError::TooMuchOutput {
            command: shown,
            mib: MAX_STDOUT >> 20,
        }),
        _ => Ok(Output {
            stdout: String::from_utf8(stdout)
                .map_err(|_| CollectError::NotUtf8 { command: shown })?,
            stderr_tail: stderr,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_TIMEOUT;
    use crate::redact::redact_args;

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
        .unwrap_err()
        .to_string();
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
        .unwrap_err()
        .to_string();
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
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("could not start") && err.contains("--token=<redacted>"),
            "{err}"
        );
    }

    /// A process left behind holding the command's stdout, in its group or out of it, does
    /// not hold provbase past the deadline.
    #[cfg(unix)]
    #[test]
    fn errors_are_told_apart_by_their_type() {
        let dir = std::env::temp_dir();
        let short = Duration::from_millis(200);
        let missing = run(&s(&["no-such-program-provbase"]), &dir, short).unwrap_err();
        assert!(matches!(missing, CollectError::CouldNotStart { .. }));
        // the system's error is kept whole, its kind with it: the source, not its text
        assert!(missing.not_found());
        let source = std::error::Error::source(&missing)
            .and_then(|s| s.source())
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .expect("the io::Error is the source");
        assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        let dir_not_program = run(&s(&["/"]), &dir, short).unwrap_err();
        assert!(
            matches!(dir_not_program, CollectError::CouldNotStart { .. }) && !dir_not_program.not_found(),
            "{dir_not_program:?}"
        );
        assert!(matches!(
            run(&s(&["sh", "-c", "exit 4"]), &dir, short),
            Err(CollectError::Exited { status, .. }) if status.contains('4')
        ));
        assert!(matches!(
            run(&s(&["sleep", "5"]), &dir, short),
            Err(CollectError::TimedOut { after, lingering: false, .. }) if after == short
        ));
        assert!(matches!(
            run(&[], &dir, short),
            Err(CollectError::EmptyCommand)
        ));
    }

    #[test]
    fn a_grandchild_holding_stdout_does_not_outlive_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        for script in [
            "(sleep 30 &); echo A",
            "setsid sleep 30 & echo A",
            "sleep 30 & exec sleep 40",
        ] {
            let started = Instant::now();
            let err = run(
                &s(&["bash", "-c", script]),
                dir.path(),
                Duration::from_millis(600),
            )
            .unwrap_err()
            .to_string();
            let took = started.elapsed();
            assert!(took < Duration::from_secs(5), "{script}: took {took:?}");
            assert!(err.contains("timed out after 600ms"), "{script}: {err}");
        }
        let err = run(
            &s(&["bash", "-c", "(sleep 30 &); echo A"]),
            dir.path(),
            Duration::from_millis(600),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("still held its output open"), "{err}");
    }

    #[test]
    fn output_past_the_cap_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = run(
            &s(&["head", "-c", &(MAX_STDOUT + 10).to_string(), "/dev/zero"]),
            dir.path(),
            Duration::from_secs(60),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("printed more than 64 MiB"), "{err}");
    }
}
