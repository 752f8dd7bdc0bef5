//! Package-list parsers, so that runtime drift names the package that moved: `pip freeze`,
//! `conda env export`, and `Cargo.lock`.

use crate::error::ParseError;
use std::collections::BTreeMap;

/// A package name in PEP 503 normal form: lowercase, runs of `-`, `_`, `.` as one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// `pip freeze` output: `name==version`, `name @ url` (the URL without credentials; a wheel
/// hash kept), `-e git+…#egg=name`; comments, blank lines and trailing spaces ignored.
pub fn parse_pip_freeze(text: &str) -> Result<BTreeMap<String, String>, ParseError> {
    let mut out = BTreeMap::new();
    // pip names an editable install that is a plain folder in a comment before it:
    // `# Editable Git install with no remote (navpkg==0.1)` then `-e /home/me/nav`
    let mut named: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(comment) = line.strip_prefix('#') {
            named = comment
                .trim()
                .strip_prefix("Editable")
                .and_then(|c| c.rsplit_once('('))
                .and_then(|(_, n)| n.strip_suffix(')'))
                .and_then(|n| n.split_once("=="))
                .map(|(n, _)| n.trim().to_owned());
            continue;
        }
        if line.is_empty() {
            continue;
        }
        if let (Some(name), Some(path)) = (named.take(), line.strip_prefix("-e "))
            && !path.contains("#egg=")
        {
            // the folder as pip names it: the runtime collector tells the project's own
            // install from another checkout's, and writes the other's under `~`
            out.insert(normalize(&name), format!("editable {}", path.trim()));
            continue;
        }
        let (name, version) = if let Some((n, v)) = line.split_once("==") {
            (n.trim(), v.trim().to_owned())
        } else if let Some((n, url)) = line.split_once(" @ ") {
            (
                n.trim(),
                crate::redact::sanitize_url_keep_fragment(url.trim()),
            )
        } else if let Some(rest) = line.strip_prefix("-e ") {
            let egg = rest
                .rsplit_once("#egg=")
                .map(|(_, e)| e.trim())
                .ok_or_else(|| ParseError::Line {
                    line: i + 1,
                    problem: "an editable install without #egg=",
                    text: line.to_owned(),
                })?;
            (
                egg,
                format!(
                    "editable {}",
                    crate::redact::sanitize_url(rest.split('#').next().unwrap_or(rest).trim())
                ),
            )
        } else if let Some((n, v)) = line.split_once("===") {
            (n.trim(), v.trim().to_owned())
        } else {
            return Err(ParseError::Line {
                line: i + 1,
                problem: "not a pip freeze entry",
                text: line.to_owned(),
            });
        };
        if name.is_empty() {
            return Err(ParseError::Line {
                line: i + 1,
                problem: "no package name",
                text: line.to_owned(),
            });
        }
        out.insert(normalize(name), version);
    }
    Ok(out)
}

/// `conda env export` YAML: `- name=version=build` entries under `dependencies:`, and
/// `- name==version` under its `- pip:` list (prefixed `pip:`).
pub fn parse_conda_export(text: &str) -> Result<BTreeMap<String, String>, ParseError> {
    let mut out = BTreeMap::new();
    let mut in_deps = false;
    let mut pip_indent: Option<usize> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if indent == 0 {
            in_deps = line.starts_with("dependencies:");
            pip_indent = None;
            continue;
        }
        if !in_deps {
            continue;
        }
        let Some(item) = line.trim_start().strip_prefix("- ") else {
            return Err(ParseError::Line {
                line: i + 1,
                problem: "expected `- package` under dependencies",
                text: line.trim().to_owned(),
            });
        };
        let item = item.trim();
        if let Some(pi) = pip_indent {
            if indent > pi {
                let (n, v) = item.split_once("==").unwrap_or((item, ""));
                out.insert(format!("pip:{}", normalize(n)), v.trim().to_owned());
                continue;
            }
            pip_indent = None;
        }
        if item == "pip:" {
            pip_indent = Some(indent);
            continue;
        }
        let mut parts = item.splitn(3, '=');
        let name = parts.next().unwrap_or("").trim();
        let version = parts.next().unwrap_or("").trim();
        let build = parts.next().unwrap_or("").trim();
        let v = if build.is_empty() {
            version.to_owned()
        } else {
            format!("{version}={build}")
        };
        out.insert(name.to_owned(), v);
    }
    if !in_deps && out.is_empty() && !text.contains("dependencies:") {
        return Err(ParseError::Shape {
            what: "conda env export".into(),
            expected: "a `dependencies:` list",
        });
    }
    Ok(out)
}

/// `Cargo.lock`: each `[[package]]`'s name → version (several versions of one crate are
/// listed together, comma-separated).
pub fn parse_cargo_lock(text: &str) -> Result<BTreeMap<String, String>, ParseError> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for p in lock_packages(text, "a Cargo.lock")? {
        let version = p
            .version
            .ok_or_else(|| ParseError::Shape {
                what: format!("package `{}`", p.name),
                expected: "a version",
            })?;
        append(&mut out, p.name, version);
    }
    Ok(out)
}

/// A `[[package]]` of a TOML lock file (Cargo.lock, uv.lock, poetry.lock).
#[derive(serde::Deserialize)]
struct LockedPackage {
    name: String,
    version: Option<String>,
    source: Option<toml::Value>,
}

fn lock_packages(text: &str, what: &'static str) -> Result<Vec<LockedPackage>, ParseError> {
    #[derive(serde::Deserialize)]
    struct Lock {
        #[serde(default)]
        package: Vec<LockedPackage>,
    }
    toml::from_str::<Lock>(text)
        .map(|l| l.package)
        .map_err(|e| ParseError::NotFormat {
            format: what,
            reason: e.message().to_owned(),
        })
}

/// Adds a version under a name; a name locked more than once lists each version.
fn append(out: &mut BTreeMap<String, String>, name: String, version: String) {
    out.entry(name)
        .and_modify(|v| {
            v.push_str(", ");
            v.push_str(&version);
        })
        .or_insert(version);
}

/// `uv.lock` and `poetry.lock`: each `[[package]]`'s name (normalized as pip names it) and
/// version; the project itself (uv's `source = { virtual = "." }` or `editable = "."`) is
/// `(this project)` plus its version, which a commit does not move.
pub fn parse_python_lock(text: &str) -> Result<BTreeMap<String, String>, ParseError> {
    let mut out = BTreeMap::new();
    for p in lock_packages(text, "a lock file")? {
        let own = p
            .source
            .as_ref()
            .and_then(toml::Value::as_table)
            .is_some_and(|s| {
                ["virtual", "editable"]
                    .iter()
                    .any(|k| s.get(*k).and_then(toml::Value::as_str) == Some("."))
            });
        let version = p.version.unwrap_or_else(|| "(no version)".to_owned());
        let value = if own {
            format!("{version} (this project)")
        } else {
            version
        };
        append(&mut out, normalize(&p.name), value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/env")
                .join(name),
        )
        .unwrap()
    }

    #[test]
    fn colab_pip_freeze() {
        let p = parse_pip_freeze(&fixture("colab_pip-freeze.gpu.txt")).unwrap();
        assert!(p.len() > 500, "{}", p.len());
        assert_eq!(p["absl-py"], "1.4.0");
        assert_eq!(
            p["google-colab"],
            "file:///colabtools/dist/google_colab-1.0.0.tar.gz"
        );
        assert!(
            p["en-core-web-sm"].ends_with(
                "#sha256=1932429db727d4bff3deed6b34cfc05df17794f4a52eeb26cf8928f7c1a0fb85"
            )
        );
        assert_eq!(
            p["jupyter-kernel-gateway"],
            "git+https://github.com/googlecolab/kernel_gateway@b134e9945df25c2dcb98ade9129399be10788671"
        );
    }

    /// What pip 24 prints for a project installed with `pip install -e .`: without a remote,
    /// with a local one, with a hosted one.
    #[test]
    fn editable_installs_as_pip_prints_them() {
        let p = parse_pip_freeze(
            "# Editable Git install with no remote (navpkg==0.1)\n-e /tmp/edp\nnumpy==2.1.0\n",
        )
        .unwrap();
        assert_eq!(p["navpkg"], "editable /tmp/edp");
        assert_eq!(p["numpy"], "2.1.0");
        let p = parse_pip_freeze(
            "-e git+file:///tmp/edp@f167d1d44bd4095faa9448aa4224d2d12b615ceb#egg=navpkg\n",
        )
        .unwrap();
        assert_eq!(
            p["navpkg"],
            "editable git+file:///tmp/edp@f167d1d44bd4095faa9448aa4224d2d12b615ceb"
        );
    }

    #[test]
    fn pip_freeze_edge_cases() {
        let p = parse_pip_freeze("# comment\nNumPy==1.26.4   \nmy_pkg @ https://user:tok@host/p.whl\n-e git+https://h/r.git@abc#egg=Local_Pkg\n\n").unwrap();
        assert_eq!(p["numpy"], "1.26.4");
        assert_eq!(p["my-pkg"], "https://host/p.whl");
        assert_eq!(p["local-pkg"], "editable git+https://h/r.git@abc");
        assert_eq!(
            parse_pip_freeze("just words here\n").unwrap_err(),
            ParseError::Line {
                line: 1,
                problem: "not a pip freeze entry",
                text: "just words here".into()
            }
        );
    }

    #[test]
    fn conda_exports() {
        for (file, pkg, version) in [
            (
                "AIOps-mlflow_conda-env-export_win64.yaml",
                "python",
                "3.7.11",
            ),
            (
                "Meta_Learning_conda-env-export_win64.yaml",
                "python",
                "3.7.13=h6244533_0",
            ),
        ] {
            let p = parse_conda_export(&fixture(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(p.len() > 10, "{file}: {p:?}");
            assert!(p[pkg].starts_with(version), "{file}: {:?}", p.get(pkg));
            assert!(
                p.keys().any(|k| k.starts_with("pip:")),
                "{file}: pip section"
            );
        }
    }

    #[test]
    fn this_projects_cargo_lock() {
        let text =
            std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"))
                .unwrap();
        let p = parse_cargo_lock(&text).unwrap();
        assert_eq!(p["provbase"], env!("CARGO_PKG_VERSION"));
        assert!(p.contains_key("serde_json"));
    }
}
