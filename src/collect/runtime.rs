//! The `runtime` section: provbase's version, and the toolchains and package sets a run lists
//! (`runtime = ["rustc", "python3", "pip-freeze", "cargo-lock", "uv-lock", "poetry-lock",
//! "nvcc"]`). A tool is recorded
//! as its version; a package list as a digest plus the package → version map, so drift names
//! the package that moved.

use super::packages;
use super::{CollectError, command};
use crate::manifest::Sha256;
use crate::manifest::types::{PackageSet, Tool, Unavailable};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

/// The names with a meaning of their own; any other name is run as `NAME --version`.
pub const KNOWN: &[&str] = &[
    "pip-freeze",
    "conda-export",
    "cargo-lock",
    "uv-lock",
    "poetry-lock",
    "nvcc",
    "python3",
    "rustc",
];

fn argv(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn package_set(packages: BTreeMap<String, String>) -> Tool {
    let digest = crate::canonical::digest_of(&serde_json::to_value(&packages).unwrap_or_default());
    Tool::Packages(PackageSet {
        digest: Sha256(digest),
        packages,
    })
}

/// What `pip freeze` says of the project's own editable install (`pip install -e .`) names
/// the checkout: its folder and, for a git checkout, its commit, which every commit moves
/// (the commit of the baselines too) and which differs on every machine. It is recorded as
/// `editable (this repository)`: the code itself is what `code` records. An editable install
/// of another checkout keeps its location and commit.
fn own_install_without_commit(
    mut packages: BTreeMap<String, String>,
    root: &Path,
) -> BTreeMap<String, String> {
    let Ok(repo) = git2::Repository::discover(root) else {
        return packages;
    };
    let Some(top) = repo.workdir().and_then(|w| w.canonicalize().ok()) else {
        return packages;
    };
    let remotes: Vec<String> = repo
        .remotes()
        .map(|names| {
            names
                .iter()
                .filter_map(|n| {
                    let remote = repo.find_remote(n.ok()??).ok()?;
                    Some(place(remote.url().ok()?))
                })
                .collect()
        })
        .unwrap_or_default();
    let own = |location: &str| -> bool {
        let here = place(location);
        Path::new(&here).starts_with(&top) || remotes.contains(&here)
    };
    for value in packages.values_mut() {
        if let Some(location) = value.strip_prefix("editable ") {
            *value = if own(location) {
                "editable (this repository)".to_owned()
            } else if location.starts_with('/') {
                format!("editable {}", crate::redact::home_relative(location))
            } else {
                continue;
            };
        }
    }
    packages
}

/// Where a checkout is, in one form whatever names it: `git+https://u@host/org/r.git@<commit>`,
/// `git@host:org/r.git` and `https://host/org/r` are `host/org/r`; a local path or a `file://`
/// URL (percent-decoded) is the folder itself, symbolic links resolved.
fn place(location: &str) -> String {
    let s = location.strip_prefix("git+").unwrap_or(location);
    let s = s
        .rsplit_once('@')
        .filter(|(_, c)| c.len() >= 7 && c.bytes().all(|b| b.is_ascii_hexdigit()))
        .map_or(s, |(l, _)| l);
    let local = |p: &str| {
        let decoded = percent_decode(p);
        std::fs::canonicalize(&decoded).map_or(decoded, |c| c.to_string_lossy().into_owned())
    };
    let s = if let Some(path) = s.strip_prefix("file://") {
        local(path)
    } else if let Some((_, rest)) = s.split_once("://") {
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        format!("{host}{path}")
    } else if let Some((before, path)) = s.split_once(':')
        && !before.contains('/')
        && before.len() > 1
    {
        let host = before.rsplit_once('@').map_or(before, |(_, h)| h);
        format!("{host}/{path}")
    } else {
        local(s)
    };
    s.trim_end_matches('/').trim_end_matches(".git").to_owned()
}

/// `%XX` escapes decoded (a `file://` URL pip writes), others kept.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn unavailable(reason: impl Into<String>) -> Tool {
    Tool::Unavailable(Unavailable {
        unavailable: reason.into(),
    })
}

fn first_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
}

fn version_of(argv: &[String], dir: &Path) -> Tool {
    match command::run(argv, dir, TIMEOUT) {
        // some tools (old Pythons) print their version on stderr
        Ok(o) => first_line(&o.stdout)
            .or_else(|| first_line(&o.stderr_tail))
            .map_or_else(
                || unavailable(format!("`{}` printed nothing", command::display(argv))),
                Tool::Version,
            ),
        Err(CollectError::CouldNotStart { .. }) => {
            unavailable(format!("`{}` is not installed", argv[0]))
        }
        Err(e) => unavailable(e.to_string()),
    }
}

/// `nvcc --version`'s last line names the release: `Build cuda_12.4.r12.4/compiler.34097967_0`,
/// and the line before it `Cuda compilation tools, release 12.4, V12.4.131`.
pub fn parse_nvcc(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        l.split_once("Cuda compilation tools, release ")
            .map(|(_, r)| r.trim().to_owned())
    })
}

/// Collects one runtime entry.
pub fn collect(name: &str, root: &Path) -> Tool {
    match name {
        "pip-freeze" => {
            match command::run(&argv(&["python3", "-m", "pip", "freeze"]), root, TIMEOUT) {
                Ok(o) => packages::parse_pip_freeze(&o.stdout).map_or_else(|e| unavailable(e.to_string()), |p| {
                    package_set(own_install_without_commit(p, root))
                }),
                Err(e) => unavailable(e.to_string()),
            }
        }
        "conda-export" => match command::run(&argv(&["conda", "env", "export"]), root, TIMEOUT) {
            Ok(o) => packages::parse_conda_export(&o.stdout)
                .map_or_else(|e| unavailable(e.to_string()), package_set),
            Err(CollectError::CouldNotStart { .. }) => unavailable("`conda` is not installed"),
            Err(e) => unavailable(e.to_string()),
        },
        "cargo-lock" => match std::fs::read_to_string(root.join("Cargo.lock")) {
            Ok(text) => packages::parse_cargo_lock(&text)
                .map_or_else(|e| unavailable(e.to_string()), package_set),
            Err(e) => unavailable(format!("Cargo.lock: {e}")),
        },
        "uv-lock" | "poetry-lock" => {
            let file = if name == "uv-lock" {
                "uv.lock"
            } else {
                "poetry.lock"
            };
            match std::fs::read_to_string(root.join(file)) {
                Ok(text) => packages::parse_python_lock(&text)
                    .map_or_else(|e| unavailable(format!("{file}: {e}")), package_set),
                Err(e) => unavailable(format!("{file}: {e}")),
            }
        }
        "nvcc" => match command::run(&argv(&["nvcc", "--version"]), root, TIMEOUT) {
            Ok(o) => parse_nvcc(&o.stdout).map_or_else(
                || unavailable("no release line in `nvcc --version`"),
                Tool::Version,
            ),
            Err(CollectError::CouldNotStart { .. }) => unavailable("`nvcc` is not installed"),
            Err(e) => unavailable(e.to_string()),
        },
        other => version_of(&argv(&[other, "--version"]), root),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn nvcc_release_from_a_real_log() {
        let log = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/gpu/nvcc-and-smi-logs/mxochicale_gpu_installation_logs.md"),
        )
        .unwrap();
        let releases: Vec<String> = log
            .split("nvcc: NVIDIA")
            .skip(1)
            .filter_map(parse_nvcc)
            .collect();
        assert!(
            releases.iter().any(|r| r == "10.1, V10.1.243"),
            "{releases:?}"
        );
        assert!(releases.len() >= 3, "{releases:?}");
    }

    #[test]
    fn places_of_a_checkout() {
        for (a, b) in [
            (
                "git+https://github.com/SETI/rms-nav.git@ac566ca7",
                "https://github.com/SETI/rms-nav",
            ),
            (
                "git+ssh://git@github.com/SETI/rms-nav.git@ac566ca7",
                "git@github.com:SETI/rms-nav.git",
            ),
            ("git+file:///tmp/a%2Bb/repo@ac566ca793dc", "/tmp/a+b/repo"),
            ("/tmp/a+b/repo/", "file:///tmp/a%2Bb/repo"),
        ] {
            assert_eq!(place(a), place(b), "{a} {b}");
        }
        assert_ne!(
            place("git+https://github.com/SETI/rms-nav@ac566ca7"),
            place("https://github.com/SETI/other")
        );
    }

    #[test]
    fn tools_and_package_sets() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let Tool::Packages(lock) = collect("cargo-lock", &root) else {
            panic!("Cargo.lock is a package set")
        };
        assert_eq!(lock.packages["provbase"], env!("CARGO_PKG_VERSION"));
        assert!(crate::canonical::is_sha256_tagged(&lock.digest.0));
        let rustc = collect("rustc", &root);
        assert!(
            matches!(&rustc, Tool::Version(v) if v.starts_with("rustc ")),
            "{rustc:?}"
        );
        let missing = collect("no-such-tool-provbase", &root);
        assert_eq!(
            missing,
            unavailable("`no-such-tool-provbase` is not installed")
        );
    }
}
