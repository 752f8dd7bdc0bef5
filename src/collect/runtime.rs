//! The `runtime` section: provbase's version, and the toolchains and package sets a run lists
//! (`runtime = ["rustc", "python3", "pip-freeze", "cargo-lock", "nvcc"]`). A tool is recorded
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
                    Some(crate::redact::sanitize_url(remote.url().ok()?))
                })
                .collect()
        })
        .unwrap_or_default();
    let own = |location: &str| -> bool {
        let location = location
            .strip_prefix("git+")
            .unwrap_or(location)
            .rsplit_once('@')
            .filter(|(_, commit)| commit.bytes().all(|b| b.is_ascii_hexdigit()))
            .map_or(location, |(l, _)| l);
        let path = location.strip_prefix("file://").unwrap_or(location);
        let local = Path::new(path)
            .canonicalize()
            .is_ok_and(|p| p.starts_with(&top));
        local
            || remotes
                .iter()
                .any(|r| r.trim_end_matches(".git") == location.trim_end_matches(".git"))
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
                Ok(o) => packages::parse_pip_freeze(&o.stdout).map_or_else(unavailable, |p| {
                    package_set(own_install_without_commit(p, root))
                }),
                Err(e) => unavailable(e.to_string()),
            }
        }
        "conda-export" => match command::run(&argv(&["conda", "env", "export"]), root, TIMEOUT) {
            Ok(o) => packages::parse_conda_export(&o.stdout).map_or_else(unavailable, package_set),
            Err(CollectError::CouldNotStart { .. }) => unavailable("`conda` is not installed"),
            Err(e) => unavailable(e.to_string()),
        },
        "cargo-lock" => match std::fs::read_to_string(root.join("Cargo.lock")) {
            Ok(text) => packages::parse_cargo_lock(&text).map_or_else(unavailable, package_set),
            Err(e) => unavailable(format!("Cargo.lock: {e}")),
        },
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
