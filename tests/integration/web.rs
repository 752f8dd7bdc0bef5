//! https:// and http:// locations against Debian's nginx, started by each test on 127.0.0.1:
//! the ETag, time and size it sends, content digests, and TLS (a certificate openssl's CLI
//! signs). Skipped with a note where nginx is not installed, unless `PROVBASE_REQUIRE_NGINX`
//! is set (as `.ci/run` sets it).

use crate::project::{Project, Server, free_port, missing, outcome, wait_for};
use crate::stores::project;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// nginx (Debian's) serving a folder on a free port of 127.0.0.1, in the foreground as one
/// process, stopped when dropped; `None` (with a note) where it is not installed.
struct Nginx {
    _server: Server,
    url: String,
    dir: tempfile::TempDir,
}

impl Nginx {
    fn start() -> Option<Nginx> {
        Nginx::start_with(None)
    }

    /// nginx serving HTTPS with `cert` and `key` (PEM files).
    fn start_with(tls: Option<(&std::path::Path, &std::path::Path)>) -> Option<Nginx> {
        let bin = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.is_file());
        let Some(bin) = bin else {
            return missing("PROVBASE_REQUIRE_NGINX", "nginx (Debian)");
        };
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let port = free_port();
        std::fs::create_dir_all(dir.path().join("www")).unwrap();
        std::fs::write(
            dir.path().join("nginx.conf"),
            format!(
                "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\nhttp {{\n  access_log {d}/access.log;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  server {{ listen 127.0.0.1:{port}{ssl}; root {d}/www; }}\n}}\n",
                ssl = match tls {
                    Some((cert, key)) => format!(
                        " ssl; ssl_certificate {}; ssl_certificate_key {}",
                        cert.display(),
                        key.display()
                    ),
                    None => String::new(),
                }
            ),
        )
        .unwrap();
        let child = Command::new(bin)
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .arg("-p")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for(port, "nginx");
        Some(Nginx {
            _server: Server(child),
            url: format!(
                "{}://127.0.0.1:{port}",
                if tls.is_some() { "https" } else { "http" }
            ),
            dir,
        })
    }

    fn serve(&self, rel: &str, bytes: &[u8], mtime: std::time::SystemTime) {
        let p = self.dir.path().join("www").join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
    }
}

#[test]
fn a_kernel_on_a_web_server_is_recorded_by_its_etag_and_its_bytes_match_a_local_copy() {
    let Some(web) = Nginx::start() else { return };
    let kernel = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/nav/kernels/naif0012.tls"),
    )
    .unwrap();
    let then = std::time::UNIX_EPOCH + Duration::from_secs(1_764_728_469);
    web.serve("pub/naif0012.tls", &kernel, then);
    let url = format!("{}/pub/naif0012.tls", web.url);
    let p = Project::new();
    p.file(
        "kernels/naif0012.tls",
        std::str::from_utf8(&kernel).unwrap(),
    );
    p.file(
        "harness.toml",
        &format!(
            "[[run]]\nname = \"k\"\nhardware = false\nstatic_data = [\"kernels/naif0012.tls\", \"{url}\"]\ninputs = [{{ glob = \"{url}\", sha256 = true }}]\n"
        ),
    )
    .git_init()
    .commit_all("init");
    let (code, out, err) = p.run(&["accept"]);
    assert_eq!(code, 0, "{out}{err}");
    let baseline: serde_json::Value = serde_json::from_str(&p.baseline_of("k")).unwrap();
    let entry = &baseline["static_data_hashes"][url.as_str()];
    // nginx's ETag is the file's time and size in hex
    assert_eq!(
        entry["etag"],
        format!("{:x}-{:x}", 1_764_728_469, kernel.len()),
        "{entry}"
    );
    assert_eq!(entry["size"], kernel.len());
    assert_eq!(entry["modified"], "2025-12-03T02:21:09Z");
    assert_eq!(
        baseline["inputs"][url.as_str()]["sha256"],
        baseline["static_data_hashes"]["kernels/naif0012.tls"],
        "the served kernel and the local copy hold the same bytes"
    );
    // the same size, one byte changed, a day later
    let mut changed = kernel.clone();
    let at = changed.iter().position(|b| *b == b'3').unwrap();
    changed[at] = b'4';
    web.serve(
        "pub/naif0012.tls",
        &changed,
        then + Duration::from_secs(86_400),
    );
    let (code, out, err) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(&format!(
            "{url}: ETag {:x}-{:x} → {:x}-{:x}, 5.3 kB → 5.3 kB",
            1_764_728_469,
            kernel.len(),
            1_764_728_469 + 86_400,
            kernel.len()
        )),
        "{out}"
    );
    assert!(out.contains("modified 2025-12-04 02:21 UTC"), "{out}");
    std::fs::remove_file(web.dir.path().join("www/pub/naif0012.tls")).unwrap();
    let (code, out, err) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        format!("{out}{err}").contains(&format!("`{url}`: cannot read {url}: not found")),
        "a file gone from the server is an error naming it: {out}{err}"
    );
}

/// openssl's CLI makes a CA and a certificate it signs for 127.0.0.1.
fn test_ca(dir: &std::path::Path) -> Option<()> {
    let openssl = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    std::fs::write(
        dir.join("leaf.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let ok = openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=provbase test CA",
    ]) && openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]) && openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.cnf",
    ]);
    ok.then_some(())
}

#[test]
fn https_is_trusted_through_the_systems_certificates_and_an_unknown_issuer_is_refused() {
    let certs = tempfile::tempdir().unwrap();
    if test_ca(certs.path()).is_none() {
        assert!(
            std::env::var_os("PROVBASE_REQUIRE_NGINX").is_none(),
            "PROVBASE_REQUIRE_NGINX is set, but openssl could not make a test certificate"
        );
        eprintln!("note: openssl is not installed; `.ci/run` tests https:// with it");
        return;
    }
    let Some(web) = Nginx::start_with(Some((
        &certs.path().join("leaf.pem"),
        &certs.path().join("leaf.key"),
    ))) else {
        return;
    };
    web.serve("k/naif0012.tls", b"KPL/LSK\n", std::time::SystemTime::now());
    let url = format!("{}/k/naif0012.tls", web.url);
    let p = project(&format!(
        "[[run]]\nname = \"k\"\nhardware = false\nstatic_data = [{{ glob = \"{url}\", timeout = \"5s\" }}]\n"
    ));
    let accept = |ca: Option<&std::path::Path>| {
        let mut cmd = p.provbase(&["accept"]);
        cmd.env_remove("SSL_CERT_FILE").env_remove("SSL_CERT_DIR");
        if let Some(ca) = ca {
            cmd.env("SSL_CERT_FILE", ca);
        }
        outcome(cmd.output().unwrap())
    };
    // a server whose issuer the system does not trust is an error that says why
    let (code, out, err) = accept(None);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("invalid peer certificate"), "{err}");
    assert!(!p.join("baselines/k.json").exists());
    // trusted through the system's certificate settings (`SSL_CERT_FILE`), TLS on ring
    let (code, out, err) = accept(Some(&certs.path().join("ca.pem")));
    assert_eq!(code, 0, "{out}{err}");
    let baseline: serde_json::Value = serde_json::from_str(&p.baseline_of("k")).unwrap();
    assert_eq!(baseline["static_data_hashes"][url.as_str()]["size"], 8);
}
