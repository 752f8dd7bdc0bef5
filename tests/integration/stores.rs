//! Remote locations against a real S3 API server: moto's server mode (from PyPI), started on
//! 127.0.0.1 by each test, its buckets seeded and changed with boto3 (`tests/tools/s3.py`), and
//! servers that fail or say nothing, for the faults. Skipped with a note where moto is not
//! installed, unless `PROVBASE_REQUIRE_MOTO` is set (as `.ci/run` sets it).

use crate::project::{Project, Server, free_port, missing, outcome, wait_for};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Credentials planted in the environment of every run: none may reach any output.
const KEY_ID: &str = "AKIAPROVBASEPLANTED7";
const SECRET: &str = "pLaNtEd/SecretKey+provbase/0123456789abcdEF";

fn tools() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tools")
}

/// A moto S3 server on a free port of 127.0.0.1, killed when dropped; its request log is kept.
struct Moto {
    _server: Server,
    endpoint: String,
    log: tempfile::NamedTempFile,
    /// The credentials its clients sign with.
    keys: (String, String),
}

impl Moto {
    /// A running server, or `None` (with a note) where moto is not installed.
    fn start() -> Option<Moto> {
        Moto::launch(false)
    }

    /// A server that checks every request's signature as S3 does (moto's IAM mode), and the
    /// keys of a user it made (its first three requests, to IAM, go unchecked).
    fn start_checking() -> Option<Moto> {
        let mut moto = Moto::launch(true)?;
        let keys = moto.s3(&["iam-keys"]);
        let (id, secret) = keys.trim().split_once(' ').unwrap();
        moto.keys = (id.to_owned(), secret.to_owned());
        Some(moto)
    }

    fn launch(checking: bool) -> Option<Moto> {
        let have = Command::new("python3")
            .args(["-c", "import moto.server, boto3, flask"])
            .status()
            .is_ok_and(|s| s.success());
        if !have {
            return missing("PROVBASE_REQUIRE_MOTO", "moto[server] or boto3 (PyPI)");
        }
        let port = free_port();
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut command = Command::new("python3");
        if checking {
            command.env("INITIAL_NO_AUTH_ACTION_COUNT", "3");
        } else {
            command.env_remove("INITIAL_NO_AUTH_ACTION_COUNT");
        }
        let child = command
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap();
        let moto = Moto {
            _server: Server(child),
            endpoint: format!("http://127.0.0.1:{port}"),
            log,
            keys: (KEY_ID.to_owned(), SECRET.to_owned()),
        };
        wait_for(port, "moto");
        Some(moto)
    }

    /// `tests/tools/s3.py ENDPOINT ARGS`; its output.
    fn s3(&self, args: &[&str]) -> String {
        let out = Command::new("python3")
            .arg(tools().join("s3.py"))
            .arg(&self.endpoint)
            .args(args)
            .env("AWS_ACCESS_KEY_ID", &self.keys.0)
            .env("AWS_SECRET_ACCESS_KEY", &self.keys.1)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "s3.py {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// `provbase ARGS` in the project, signing with this server's keys.
    fn run(&self, p: &Project, args: &[&str]) -> (i32, String, String) {
        let keys = (self.keys.0.as_str(), self.keys.1.as_str());
        outcome(
            without_aws(p, args)
                .envs(aws_settings(&self.endpoint, keys))
                .output()
                .unwrap(),
        )
    }

    /// The requests the server has logged so far.
    fn requests(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap()
    }
}

/// A project whose runs name remote locations, and `provbase` run there with the store's
/// settings (endpoint, region, the planted credentials) in its environment.
pub(crate) fn project(harness: &str) -> Project {
    let p = Project::new();
    p.file("harness.toml", harness)
        .git_init()
        .commit_all("init");
    p
}

fn run(p: &Project, endpoint: &str, args: &[&str]) -> (i32, String, String) {
    outcome(
        without_aws(p, args)
            .envs(aws_settings(endpoint, (KEY_ID, SECRET)))
            .output()
            .unwrap(),
    )
}

/// What a run is given of an S3 server: its endpoint, a region and the keys to sign with.
fn aws_settings<'a>(endpoint: &'a str, keys: (&'a str, &'a str)) -> [(&'static str, &'a str); 4] {
    [
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", keys.0),
        ("AWS_SECRET_ACCESS_KEY", keys.1),
    ]
}

/// The `AWS_` settings of the outside environment, which no run here may see.
fn outside_aws() -> Vec<std::ffi::OsString> {
    std::env::vars_os()
        .map(|(k, _)| k)
        .filter(|k| k.to_string_lossy().starts_with("AWS_"))
        .collect()
}

/// `provbase ARGS` in the project, with no `AWS_` setting of the outside environment.
fn without_aws(p: &Project, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = p.provbase(args);
    for k in outside_aws() {
        cmd.env_remove(k);
    }
    cmd
}

/// Every file under the project's folder (git's own aside), as text.
pub(crate) fn every_file(p: &Project) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![p.path().to_owned()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            if e.file_name() == ".git" {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                let bytes = std::fs::read(e.path()).unwrap();
                out.push((e.path(), String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    }
    out
}

fn assert_no_credentials(p: &Project, outputs: &[&str]) {
    for text in outputs {
        assert!(!text.contains(SECRET) && !text.contains(KEY_ID), "{text}");
    }
    for (path, text) in every_file(p) {
        assert!(
            !text.contains(SECRET) && !text.contains(KEY_ID),
            "{} holds a credential",
            path.display()
        );
    }
}

#[test]
fn an_overwritten_removed_or_added_object_fails_the_check_and_says_which() {
    let Some(s3) = Moto::start() else { return };
    s3.s3(&["bucket", "train"]);
    for i in 0..4 {
        s3.s3(&[
            "put",
            "train",
            &format!("shards/shard-{i:04}.tar"),
            &format!("shard {i}"),
        ]);
    }
    s3.s3(&["put", "train", "shards/README", "not a shard"]);
    let p = project(
        "[[run]]\nname = \"train\"\nhardware = false\nstatic_data = [\"s3://train/shards/*.tar\"]\n",
    );
    let (code, out, err) = run(&p, &s3.endpoint, &["accept"]);
    assert_eq!(code, 0, "{out}{err}");
    let baseline: serde_json::Value = serde_json::from_str(&p.baseline_of("train")).unwrap();
    assert_eq!(baseline["format_version"], 3);
    let trees = p.join(".prov/trees");
    assert!(
        !trees.exists() || std::fs::read_dir(&trees).unwrap().next().is_none(),
        "a listing recorded object by object leaves no folder objects behind"
    );
    let data = baseline["static_data_hashes"].as_object().unwrap();
    assert_eq!(
        data.keys().collect::<Vec<_>>(),
        (0..4)
            .map(|i| format!("s3://train/shards/shard-{i:04}.tar"))
            .collect::<Vec<_>>()
            .iter()
            .collect::<Vec<_>>(),
        "the glob names the shards and not the README"
    );
    let first = &data["s3://train/shards/shard-0001.tar"];
    // the ETag as the SDK reads it, without its quotes
    assert_eq!(
        first["etag"].as_str(),
        Some(s3.s3(&["head", "train", "shards/shard-0001.tar"]).trim())
    );
    assert_eq!(first["size"], 7);
    assert!(
        first["modified"].as_str().unwrap().ends_with('Z'),
        "{first}"
    );
    let (code, out, err) = run(&p, &s3.endpoint, &["check"]);
    assert_eq!(code, 0, "an unchanged bucket passes: {out}{err}");
    // verify vouches for the document's digest and reads no object (it reads local files)
    let (code, out, err) = p.run(&["verify", "baselines/train.json"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("(1 checked, 4 entries in object stores not read"),
        "{out}"
    );

    // the same size, other bytes; one gone; one new
    s3.s3(&["put", "train", "shards/shard-0001.tar", "SHARD 1"]);
    s3.s3(&["delete", "train", "shards/shard-0002.tar"]);
    s3.s3(&["put", "train", "shards/shard-0042.tar", "shard 42"]);
    let (code, out, err) = run(&p, &s3.endpoint, &["check"]);
    assert_eq!(code, 1, "{out}{err}");
    let before = first["etag"].as_str().unwrap();
    // the drift line gives each side's ETag, size and time, not the record's JSON
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("static_data") && l.contains("shard-0001.tar"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains(&format!("ETag {}", &before[..12]))
            && line.contains(", 7 B, ")
            && !line.contains('{'),
        "{line}"
    );
    assert!(
        out.contains(&format!(
            "s3://train/shards/shard-0001.tar: ETag {before} → "
        )),
        "{out}"
    );
    assert!(out.contains("7 B → 7 B, modified "), "{out}");
    assert!(
        out.contains("s3://train/shards/shard-0002.tar: removed object (ETag "),
        "{out}"
    );
    assert!(
        out.contains("s3://train/shards/shard-0042.tar: added object (ETag "),
        "{out}"
    );
    // the candidate a failing check leaves is what accept --from applies
    let (code, out, err) = run(&p, &s3.endpoint, &["accept", "--from", ".prov/candidates"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(&p, &s3.endpoint, &["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_no_credentials(&p, &[&out, &err]);
}

#[test]
fn a_versioned_object_records_its_version_and_a_same_bytes_upload_drifts() {
    let Some(s3) = Moto::start() else { return };
    s3.s3(&["bucket", "models", "versioned"]);
    s3.s3(&["put", "models", "ckpt/model.pt", "weights v1"]);
    s3.s3(&["put", "models", "ckpt/tokenizer.json", "{}"]);
    // one object named (HEAD gives its version), a listing asked for versions, and a listing
    // that is not (a listing carries none)
    let p = project(
        "[[run]]\nname = \"eval\"\nhardware = false\ninputs = [\"s3://models/ckpt/model.pt\", \"s3://models/ckpt/*.json\"]\nstatic_data = [{ glob = \"s3://models/ckpt/\", versions = true }]\n",
    );
    let (code, out, err) = run(&p, &s3.endpoint, &["accept"]);
    assert_eq!(code, 0, "{out}{err}");
    let baseline: serde_json::Value = serde_json::from_str(&p.baseline_of("eval")).unwrap();
    let entry = &baseline["inputs"]["s3://models/ckpt/model.pt"];
    let versions = s3.s3(&["versions", "models", "ckpt/model.pt"]);
    assert_eq!(
        entry["version"].as_str(),
        versions.lines().next(),
        "{entry}"
    );
    let listed = &baseline["static_data_hashes"];
    for key in ["ckpt/model.pt", "ckpt/tokenizer.json"] {
        let newest = s3.s3(&["versions", "models", key]);
        assert_eq!(
            listed[format!("s3://models/{key}")]["version"].as_str(),
            newest.lines().next(),
            "{listed}"
        );
    }
    assert!(
        baseline["inputs"]["s3://models/ckpt/tokenizer.json"]
            .get("version")
            .is_none(),
        "{baseline}"
    );
    // re-uploaded under the same name with the same bytes: the ETag stays, the version moves
    std::thread::sleep(Duration::from_millis(1100));
    s3.s3(&["put", "models", "ckpt/model.pt", "weights v1"]);
    let (code, out, err) = run(&p, &s3.endpoint, &["check"]);
    assert_eq!(code, 1, "{out}{err}");
    let newest = s3.s3(&["versions", "models", "ckpt/model.pt"]);
    let newest = newest.lines().next().unwrap();
    assert!(
        out.contains(&format!(
            "version {} → {newest}",
            entry["version"].as_str().unwrap()
        )),
        "{out}"
    );
    // the explanation names what changed, and the ETag did not
    let why = out
        .split("Why:")
        .nth(1)
        .and_then(|w| w.split("---").next())
        .unwrap_or("");
    assert!(
        why.contains("s3://models/ckpt/model.pt: ") && !why.contains("ETag"),
        "the ETag did not change: {out}"
    );
}

#[test]
fn a_listing_of_many_pages_folds_into_folder_digests_that_name_the_changed_object() {
    let Some(s3) = Moto::start() else { return };
    s3.s3(&["bucket", "cal"]);
    // two folders (listed at once) of more than one page of ListObjectsV2 (1,000 keys) each
    s3.s3(&["put-many", "cal", "images/", "2100", "2"]);
    s3.s3(&["put", "cal", "images/index.csv", "f0,f1\n"]);
    let p = project(
        "[[run]]\nname = \"cal\"\nhardware = false\nstatic_data = [{ glob = \"s3://cal/images/\", max_entries = 100 }]\n",
    );
    let (code, out, err) = run(&p, &s3.endpoint, &["accept"]);
    assert_eq!(code, 0, "{out}{err}");
    let baseline: serde_json::Value = serde_json::from_str(&p.baseline_of("cal")).unwrap();
    let data = baseline["static_data_hashes"].as_object().unwrap();
    assert_eq!(
        data.keys().collect::<Vec<_>>(),
        [
            "s3://cal/images/f0/",
            "s3://cal/images/f1/",
            "s3://cal/images/index.csv"
        ],
        "{data:?}"
    );
    assert!(data["s3://cal/images/index.csv"]["etag"].is_string());
    let files: Vec<u64> = data.values().filter_map(|t| t["files"].as_u64()).collect();
    assert_eq!(files, [1050, 1050], "every object of every page is counted");
    s3.s3(&["put", "cal", "images/f1/obj-000005.bin", "object X\n"]);
    let (code, out, err) = run(&p, &s3.endpoint, &["check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("s3://cal/images/f1/"), "{out}");
    assert!(
        out.contains("changed  s3://cal/images/f1/obj-000005.bin (9 → 9 bytes)"),
        "{out}"
    );
    assert!(
        !out.contains("s3://cal/images/f0/"),
        "one folder drifted: {out}"
    );
}

#[test]
fn content_digests_match_a_local_copy_and_an_unchanged_object_is_read_once() {
    let Some(s3) = Moto::start() else { return };
    s3.s3(&["bucket", "data"]);
    let text = "the same bytes in the bucket and on disk\n";
    s3.s3(&["put", "data", "kernels/naif0012.tls", text]);
    let p = Project::new();
    p.file("local/naif0012.tls", text);
    p.file(
        "harness.toml",
        "[[run]]\nname = \"k\"\nhardware = false\nstatic_data = [\"local/naif0012.tls\"]\ninputs = [{ glob = \"s3://data/kernels/\", sha256 = true }]\n",
    )
    .git_init()
    .commit_all("init");
    let (code, out, err) = run(&p, &s3.endpoint, &["accept"]);
    assert_eq!(code, 0, "{out}{err}");
    let baseline: serde_json::Value = serde_json::from_str(&p.baseline_of("k")).unwrap();
    let local = &baseline["static_data_hashes"]["local/naif0012.tls"];
    let remote = &baseline["inputs"]["s3://data/kernels/naif0012.tls"]["sha256"];
    assert_eq!(local, remote, "{baseline}");
    let gets = |log: &str| log.matches("\"GET /data/kernels/naif0012.tls").count();
    let read_before = gets(&s3.requests());
    assert_eq!(read_before, 1, "{}", s3.requests());
    let (code, out, err) = run(&p, &s3.endpoint, &["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        gets(&s3.requests()),
        1,
        "an unchanged object (same key, ETag and size) is not read again"
    );
    s3.s3(&["put", "data", "kernels/naif0012.tls", "other bytes\n"]);
    let (code, out, _) = run(&p, &s3.endpoint, &["check"]);
    assert_eq!(code, 1);
    assert_eq!(gets(&s3.requests()), 2, "a changed object is read again");
    assert!(out.contains("content sha256:"), "{out}");
}

/// A server that answers every request with `500 Internal Server Error`, or with nothing.
fn bad_server(silent: bool) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = seen.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            if silent {
                held.push(conn);
            } else {
                let _ = conn.write_all(
                    b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
            }
        }
    });
    (endpoint, seen)
}

#[test]
fn a_failing_or_silent_server_is_an_error_of_the_run_never_a_pass() {
    for silent in [false, true] {
        let (endpoint, seen) = bad_server(silent);
        let p = project(
            "[[run]]\nname = \"r\"\nhardware = false\nstatic_data = [{ glob = \"s3://train/shards/\", timeout = \"3s\" }]\n",
        );
        let started = Instant::now();
        let (code, out, err) = run(&p, &endpoint, &["accept"]);
        assert_eq!(code, 1, "silent={silent}: {out}{err}");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the location's deadline bounds the retries"
        );
        assert!(err.contains("`s3://train/shards/`"), "{err}");
        if silent {
            assert!(err.contains("not recorded within 3s"), "{err}");
        } else {
            // it gave up after its retries, or when the deadline passed: either way it says
            // what the server answered
            assert!(err.contains("500 Internal Server Error"), "{err}");
            assert!(
                seen.load(std::sync::atomic::Ordering::SeqCst) > 1,
                "a server error is retried"
            );
        }
        assert!(
            !p.join("baselines/r.json").exists(),
            "nothing is written of a location that could not be listed"
        );
        assert_no_credentials(&p, &[&out, &err]);
    }
}

/// S3's listing of one object, `shards/a.tar` (ETag `9b2c`) in bucket `train`.
const ONE_OBJECT: &str = "<ListBucketResult><Name>train</Name><Prefix>shards/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>shards/a.tar</Key><LastModified>2026-12-03T02:11:09.000Z</LastModified><ETag>&quot;9b2c&quot;</ETag><Size>7</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>";

/// A server that answers each request with what `answer` makes of it (its head).
fn scripted_server(answer: fn(&str) -> String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut buf = [0u8; 8192];
            let n = conn.read(&mut buf).unwrap_or(0);
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            let _ = conn.write_all(answer(&text).as_bytes());
        }
    });
    endpoint
}

fn http(status: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn a_denied_or_truncated_listing_is_an_error_never_a_partial_baseline() {
    // every request refused, as S3 refuses a key without s3:ListBucket
    let denied = scripted_server(|_| {
        http(
            "403 Forbidden",
            "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
        )
    });
    // the first page says more follow; the next page never comes
    let truncated = scripted_server(|line| {
        if line.contains("continuation-token") {
            http("503 Slow Down", "<Error><Code>SlowDown</Code></Error>")
        } else {
            http(
                "200 OK",
                "<ListBucketResult><Name>train</Name><Prefix>shards/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated><NextContinuationToken>page-2</NextContinuationToken><Contents><Key>shards/a.tar</Key><LastModified>2026-12-03T02:11:09.000Z</LastModified><ETag>&quot;9b2c&quot;</ETag><Size>7</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>",
            )
        }
    });
    for (endpoint, says) in [
        (denied, "access denied"),
        (truncated, "503 Service Unavailable"),
    ] {
        let p = project(
            "[[run]]\nname = \"r\"\nhardware = false\nstatic_data = [{ glob = \"s3://train/shards/\", timeout = \"3s\" }]\n",
        );
        let (code, out, err) = run(&p, &endpoint, &["accept"]);
        assert_eq!(code, 1, "{out}{err}");
        assert!(
            err.contains("`s3://train/shards/`") && err.contains(says),
            "{err}"
        );
        assert!(!p.join("baselines/r.json").exists(), "{out}{err}");
        assert!(!p.join(".prov/candidates").exists(), "{out}{err}");
        assert_no_credentials(&p, &[&out, &err]);
    }
}

#[test]
fn an_object_overwritten_while_it_is_read_for_its_digest_is_an_error() {
    // the listing says ETag 9b2c; by the time the object is read, it is another (412 to the
    // read's If-Match)
    let endpoint = scripted_server(|request| {
        if request.starts_with("HEAD /train/shards/a.tar") {
            // still the listed object when asked (S3 keeps no checksum of it)
            "HTTP/1.1 200 OK\r\netag: \"9b2c\"\r\ncontent-length: 7\r\nlast-modified: Thu, 03 Dec 2026 02:11:09 GMT\r\nconnection: close\r\n\r\n".to_owned()
        } else if request.starts_with("GET /train/shards/a.tar") {
            if request.to_ascii_lowercase().contains("if-match: \"9b2c\"") {
                http(
                    "412 Precondition Failed",
                    "<Error><Code>PreconditionFailed</Code></Error>",
                )
            } else {
                // a read without If-Match would take these bytes for the listed object's
                http("200 OK", "another")
            }
        } else {
            http("200 OK", ONE_OBJECT)
        }
    });
    let p = project(
        "[[run]]\nname = \"r\"\nhardware = false\nstatic_data = [{ glob = \"s3://train/shards/\", sha256 = true, timeout = \"5s\" }]\n",
    );
    let (code, out, err) = run(&p, &endpoint, &["accept"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains(
            "`s3://train/shards/a.tar` changed while it was read (its ETag is no longer 9b2c)"
        ),
        "{err}"
    );
    assert!(!p.join("baselines/r.json").exists());
}

#[test]
fn planted_credentials_reach_no_baseline_report_or_message() {
    let Some(s3) = Moto::start() else { return };
    s3.s3(&["bucket", "bkt"]);
    s3.s3(&["put", "bkt", "x/one.csv", "1,2\n"]);
    let p = project(
        "[[run]]\nname = \"r\"\nhardware = false\nenv = [\"AWS_*\"]\nstatic_data = [{ glob = \"s3://bkt/x/\", sha256 = true }]\ninputs = [\"s3://bkt/missing/\"]\n",
    );
    // a location that names nothing is an error naming it
    let (code, out, err) = run(&p, &s3.endpoint, &["check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        format!("{out}{err}").contains("no object matches `inputs` location `s3://bkt/missing/`"),
        "{out}{err}"
    );
    p.file(
        "harness.toml",
        "[[run]]\nname = \"r\"\nhardware = false\nenv = [\"AWS_*\"]\nstatic_data = [{ glob = \"s3://bkt/x/\", sha256 = true }]\n",
    );
    let (code, out, err) = run(&p, &s3.endpoint, &["accept"]);
    assert_eq!(code, 0, "{out}{err}");
    s3.s3(&["put", "bkt", "x/one.csv", "1,3\n"]);
    let (code, out, err) = run(
        &p,
        &s3.endpoint,
        &["check", "--format", "json", "--junit", "junit.xml"],
    );
    assert_eq!(code, 1, "{out}{err}");
    let baseline = p.baseline_of("r");
    assert!(
        baseline.contains("AWS_SECRET_ACCESS_KEY"),
        "the variable is named: {baseline}"
    );
    assert_no_credentials(&p, &[&out, &err]);
}

#[test]
fn a_location_with_a_credential_is_refused_without_repeating_it() {
    let p = project(
        "[[run]]\nname = \"r\"\nstatic_data = [\"s3://AKIAINLINE:inline-secret-value@b/x/\"]\n",
    );
    let (code, out, err) = p.run(&["list"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("harness.toml:3:"), "{err}");
    assert!(err.contains("no user name or secret"), "{err}");
    assert!(
        !err.contains("inline-secret-value") && !err.contains("AKIAINLINE"),
        "{err}"
    );
    p.file(
        "harness.toml",
        "[[run]]\nname = \"r\"\nstatic_data = [{ glob = \"data/*.csv\", sha256 = true }]\n",
    );
    let (code, _, err) = p.run(&["list"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`sha256` is an option of a remote location"),
        "{err}"
    );
    p.file(
        "harness.toml",
        "[[run]]\nname = \"r\"\ninputs = [{ glob = \"https://example.org/naif0012.tls\", versions = true }]\n",
    );
    let (code, _, err) = p.run(&["list"]);
    assert_eq!(code, 2);
    assert!(err.contains("a web server keeps no versions"), "{err}");
    p.file(
        "harness.toml",
        "[[run]]\nname = \"r\"\noutputs = [\"s3://bkt/results/\"]\n",
    );
    let (code, _, err) = p.run(&["list"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("harness.toml:3:")
            && err.contains("only `static_data` and `inputs` name locations in stores"),
        "{err}"
    );
}

#[test]
fn an_aws_profile_gives_the_keys_region_and_endpoint_and_an_sso_profile_says_what_to_do() {
    // a server that lists one object and keeps each request's head
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let keep = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut buf = [0u8; 8192];
            let n = conn.read(&mut buf).unwrap_or(0);
            keep.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            let _ = conn.write_all(http("200 OK", ONE_OBJECT).as_bytes());
        }
    });
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        format!("[ci]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"),
    )
    .unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        format!("[profile ci]\nregion = eu-north-1\nendpoint_url = {endpoint}\n[profile corp]\nsso_session = corp\n"),
    )
    .unwrap();
    let p = project(
        "[[run]]\nname = \"r\"\nhardware = false\nstatic_data = [{ glob = \"s3://train/shards/\", timeout = \"5s\" }]\n",
    );
    let run_as = |profile: &str| {
        let out = without_aws(&p, &["accept"])
            .env("HOME", home.path())
            .env("AWS_PROFILE", profile)
            .output()
            .unwrap();
        outcome(out)
    };
    let (code, out, err) = run_as("ci");
    assert_eq!(code, 0, "{out}{err}");
    let requests = seen.lock().unwrap().join("\n");
    assert!(
        requests.contains(&format!("Credential={KEY_ID}/")) && requests.contains("/eu-north-1/s3/"),
        "the profile's key and region sign the requests: {requests}"
    );
    assert_no_credentials(&p, &[&out, &err]);
    let (code, out, err) = run_as("corp");
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("the AWS profile `corp` gets its credentials by `sso_session`")
            && err.contains("aws configure export-credentials --profile corp --format env"),
        "{err}"
    );
}

#[test]
fn s3_checksums_are_asked_for_signed_and_a_whole_object_sha256_spares_the_read() {
    use base64::Engine;
    use sha2::Digest;
    // a server that checks each request's signature, as S3 does
    let Some(s3) = Moto::start_checking() else {
        return;
    };
    s3.s3(&["bucket", "data"]);
    let text = "the same bytes in the bucket and on disk\n";
    s3.s3(&["put-sha256", "data", "kernels/a.tls", text]);
    // boto3 has S3 keep a CRC32 of what it uploads, unless told another algorithm
    s3.s3(&["put", "data", "kernels/b.tls", "no SHA-256 kept\n"]);
    let p = Project::new();
    p.file("local/a.tls", text);
    // each object named (moto's signature check refuses any listing with a delimiter, boto3's
    // own included; a listing's HEADs are the same requests)
    p.file(
        "harness.toml",
        "[[run]]\nname = \"k\"\nhardware = false\nstatic_data = [\"local/a.tls\"]\ninputs = [\n  { glob = \"s3://data/kernels/a.tls\", checksums = true, sha256 = true },\n  { glob = \"s3://data/kernels/b.tls\", checksums = true, sha256 = true },\n]\n",
    )
    .git_init()
    .commit_all("init");
    let (code, out, err) = s3.run(&p, &["accept"]);
    assert_eq!(code, 0, "{out}{err}");
    let baseline: serde_json::Value = serde_json::from_str(&p.baseline_of("k")).unwrap();
    let a = &baseline["inputs"]["s3://data/kernels/a.tls"];
    let b = &baseline["inputs"]["s3://data/kernels/b.tls"];
    let sum = sha2::Sha256::digest(text.as_bytes());
    assert_eq!(
        a["checksums"]["sha256"],
        base64::engine::general_purpose::STANDARD.encode(sum),
        "{baseline}"
    );
    assert!(b["checksums"]["crc32"].is_string(), "{baseline}");
    // the checksum S3 kept stands for the content digest: it equals the local copy's, and the
    // object is not read
    assert_eq!(
        a["sha256"], baseline["static_data_hashes"]["local/a.tls"],
        "{baseline}"
    );
    let gets = |key: &str| {
        s3.requests()
            .matches(&format!("\"GET /data/kernels/{key}"))
            .count()
    };
    assert_eq!(gets("a.tls"), 0, "{}", s3.requests());
    assert_eq!(
        gets("b.tls"),
        1,
        "an object without a SHA-256 checksum is read"
    );
    let (code, out, err) = s3.run(&p, &["check"]);
    assert_eq!(code, 0, "{out}{err}");
    // the same bytes uploaded again keep the checksum and change nothing but the time
    s3.s3(&["put-sha256", "data", "kernels/a.tls", "other bytes\n"]);
    let (code, out, _) = s3.run(&p, &["check"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("s3://data/kernels/a.tls") && out.contains("content sha256:"),
        "{out}"
    );
    assert_eq!(gets("a.tls"), 0, "{}", s3.requests());
}

#[test]
fn the_checksum_mode_header_is_among_the_signed_headers() {
    // answers a HEAD with S3's checksum only when `x-amz-checksum-mode` is present and signed,
    // and refuses it (as S3 refuses an unsigned `x-amz-*` header) when it is present unsigned
    let endpoint = scripted_server(|request| {
        let lower = request.to_ascii_lowercase();
        if !request.starts_with("HEAD ") {
            return http("200 OK", ONE_OBJECT);
        }
        let signed = lower
            .lines()
            .find(|l| l.starts_with("authorization:"))
            .and_then(|l| l.split("signedheaders=").nth(1))
            .is_some_and(|h| {
                h.split([',', ' '])
                    .next()
                    .unwrap_or("")
                    .split(';')
                    .any(|h| h == "x-amz-checksum-mode")
            });
        match (lower.contains("x-amz-checksum-mode: enabled"), signed) {
            (true, true) => "HTTP/1.1 200 OK\r\netag: \"9b2c\"\r\ncontent-length: 7\r\nlast-modified: Thu, 03 Dec 2026 02:11:09 GMT\r\nx-amz-checksum-crc32c: yZRlqg==\r\nx-amz-checksum-type: FULL_OBJECT\r\nconnection: close\r\n\r\n".to_owned(),
            (true, false) => http("403 Forbidden", "<Error><Code>AccessDenied</Code><Message>There were headers present in the request which were not signed</Message></Error>"),
            (false, _) => "HTTP/1.1 200 OK\r\netag: \"9b2c\"\r\ncontent-length: 7\r\nlast-modified: Thu, 03 Dec 2026 02:11:09 GMT\r\nconnection: close\r\n\r\n".to_owned(),
        }
    });
    let p = project(
        "[[run]]\nname = \"r\"\nhardware = false\nstatic_data = [{ glob = \"s3://train/shards/\", checksums = true, timeout = \"5s\" }]\n",
    );
    let (code, out, err) = run(&p, &endpoint, &["accept"]);
    assert_eq!(code, 0, "{out}{err}");
    let baseline: serde_json::Value = serde_json::from_str(&p.baseline_of("r")).unwrap();
    assert_eq!(
        baseline["static_data_hashes"]["s3://train/shards/a.tar"]["checksums"],
        serde_json::json!({"crc32c": "yZRlqg=="}),
        "{baseline}"
    );
}

#[test]
fn a_listing_out_of_order_or_past_the_stores_bounds_is_refused() {
    // two pages, the second's key sorting before the first's
    let unordered = scripted_server(|request| {
        let (token, key) = if request.contains("continuation-token") {
            ("", "shards/a.tar")
        } else {
            (
                "<NextContinuationToken>page-2</NextContinuationToken>",
                "shards/b.tar",
            )
        };
        http(
            "200 OK",
            &format!(
                "<ListBucketResult><Name>train</Name><Prefix>shards/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>{}</IsTruncated>{token}<Contents><Key>{key}</Key><LastModified>2026-12-03T02:11:09.000Z</LastModified><ETag>&quot;9b2c&quot;</ETag><Size>7</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>",
                !token.is_empty()
            ),
        )
    });
    // a key longer than any store allows
    let long = scripted_server(|_| {
        http(
            "200 OK",
            &ONE_OBJECT.replace("shards/a.tar", &format!("shards/{}", "a".repeat(1100))),
        )
    });
    // an ETag of 300 bytes
    let etag = scripted_server(|_| http("200 OK", &ONE_OBJECT.replace("9b2c", &"e".repeat(300))));
    for (endpoint, says) in [
        (
            unordered,
            "it listed `s3://train/shards/a.tar` after `shards/b.tar`, out of key order",
        ),
        (long, "a key of 1107 bytes (the stores allow 1024)"),
        (etag, "`shards/a.tar` has an ETag of 300 bytes"),
    ] {
        let p = project(
            "[[run]]\nname = \"r\"\nhardware = false\nstatic_data = [{ glob = \"s3://train/shards/\", timeout = \"5s\" }]\n",
        );
        let (code, out, err) = run(&p, &endpoint, &["accept"]);
        assert_eq!(code, 1, "{out}{err}");
        assert!(
            err.contains("`s3://train/shards/`: the store's listing is refused")
                && err.contains(says),
            "{err}"
        );
        assert!(!p.join("baselines/r.json").exists(), "{out}{err}");
    }
}

#[test]
fn the_cargo_door_checks_a_bucket_as_the_cli_does() {
    let Some(s3) = Moto::start() else { return };
    s3.s3(&["bucket", "train"]);
    s3.s3(&["put", "train", "shards/shard-0000.tar", "shard 0"]);
    s3.s3(&["put", "train", "shards/shard-0001.tar", "shard 1"]);
    let p = project(
        "[[run]]\nname = \"train\"\nhardware = false\nstatic_data = [\"s3://train/shards/\"]\n",
    );
    // `cargo test --test baselines`: the harness, in the project, with the store's settings
    let trial = |args: &[&str]| {
        let mut cmd = crate::harness::harness_command(args);
        crate::project::hermetic(cmd.current_dir(p.path())).env_remove("NEXTEST");
        for k in outside_aws() {
            cmd.env_remove(k);
        }
        outcome(
            cmd.envs(aws_settings(&s3.endpoint, (KEY_ID, SECRET)))
                .output()
                .unwrap(),
        )
    };
    let (code, out, err) = trial(&["--accept"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = trial(&[]);
    assert_eq!(code, 0, "{out}{err}");
    let trial_line = |out: &str| {
        out.lines()
            .find(|l| l.starts_with("test train "))
            .map(|l| l.split_whitespace().last().unwrap_or("").to_owned())
    };
    assert_eq!(trial_line(&out).as_deref(), Some("ok"), "{out}");
    s3.s3(&["put", "train", "shards/shard-0001.tar", "SHARD 1"]);
    let (code, out, err) = trial(&[]);
    assert_eq!(code, 101, "{out}{err}");
    assert!(
        trial_line(&out).as_deref() == Some("FAILED")
            && out.contains("s3://train/shards/shard-0001.tar: ETag "),
        "{out}"
    );
    assert!(
        out.contains("cargo test --test baselines -- --accept --exact train"),
        "{out}"
    );
    assert_no_credentials(&p, &[&out, &err]);
}

#[test]
fn a_bucket_that_keeps_no_sha256_is_read_without_asking_each_object() {
    let Some(s3) = Moto::start() else { return };
    s3.s3(&["bucket", "data"]);
    for i in 0..12 {
        s3.s3(&[
            "put",
            "data",
            &format!("shards/s{i:02}.bin"),
            &format!("shard {i}\n"),
        ]);
    }
    let p = project(
        "[[run]]\nname = \"r\"\nhardware = false\ninputs = [{ glob = \"s3://data/shards/\", sha256 = true }]\n",
    );
    let (code, out, err) = run(&p, &s3.endpoint, &["accept"]);
    assert_eq!(code, 0, "{out}{err}");
    let log = s3.requests();
    let count = |method: &str| log.matches(&format!("\"{method} /data/shards/s")).count();
    assert_eq!(count("GET"), 12, "{log}");
    assert_eq!(
        count("HEAD"),
        8,
        "the first eight are asked for a SHA-256 S3 keeps; none has one, so the rest are only read: {log}"
    );
    let baseline: serde_json::Value = serde_json::from_str(&p.baseline_of("r")).unwrap();
    assert_eq!(
        baseline["inputs"]["s3://data/shards/s11.bin"]["sha256"],
        provbase::canonical::sha256_tagged(b"shard 11\n").as_str()
    );
}

#[test]
fn folders_are_listed_several_at_once_and_never_more_than_eight() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    // the top level holds 20 folders; each folder's listing takes a while to answer, and the
    // server counts how many are answered at once
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (n, m) = (now.clone(), most.clone());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let (now, most) = (n.clone(), m.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                let len = conn.read(&mut buf).unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..len]).into_owned();
                let line = head.lines().next().unwrap_or("").to_owned();
                let body = if line.contains("delimiter=") {
                    let folders: String = (0..20)
                        .map(|i| {
                            format!(
                                "<CommonPrefixes><Prefix>shards/f{i:02}/</Prefix></CommonPrefixes>"
                            )
                        })
                        .collect();
                    format!(
                        "<ListBucketResult><Name>train</Name><Prefix>shards/</Prefix><KeyCount>20</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated>{folders}</ListBucketResult>"
                    )
                } else {
                    let at = line.find("prefix=shards%2Ff").map(|i| i + 17).unwrap();
                    let folder = &line[at..at + 2];
                    let inside = now.fetch_add(1, SeqCst) + 1;
                    most.fetch_max(inside, SeqCst);
                    std::thread::sleep(Duration::from_millis(300));
                    now.fetch_sub(1, SeqCst);
                    ONE_OBJECT.replace("shards/a.tar", &format!("shards/f{folder}/a.tar"))
                };
                let _ = conn.write_all(http("200 OK", &body).as_bytes());
            });
        }
    });
    let p = project(
        "[[run]]\nname = \"r\"\nhardware = false\nstatic_data = [{ glob = \"s3://train/shards/\", timeout = \"30s\" }]\n",
    );
    let (code, out, err) = run(&p, &endpoint, &["accept"]);
    assert_eq!(code, 0, "{out}{err}");
    let baseline: serde_json::Value = serde_json::from_str(&p.baseline_of("r")).unwrap();
    let data = baseline["static_data_hashes"].as_object().unwrap();
    assert_eq!(data.len(), 20, "{data:?}");
    assert!(data.contains_key("s3://train/shards/f19/a.tar"), "{data:?}");
    let most = most.load(SeqCst);
    assert!(
        (2..=8).contains(&most),
        "folders are listed at once, at most eight: {most}"
    );
}
