//! File sets named by globs (`code`, `static_data`) and the streaming SHA-256 of a file.

use crate::canonical::tag_digest;
use crate::config::GlobSpec;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A file a glob matched: its path relative to the root (with `/`) and its absolute path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Matched {
    /// Relative to the folder holding harness.toml, `/`-separated.
    pub rel: String,
    /// Where it is.
    pub abs: PathBuf,
}

/// Expands globs relative to `root`. `*` never crosses `/` (only `**` does). Every glob must
/// match at least one file; `skip` may drop files (for example those git ignores), and a glob
/// whose every match is dropped fails as well.
pub fn expand(
    root: &Path,
    globs: &[GlobSpec],
    key: &str,
    skip: &dyn Fn(&Path) -> bool,
) -> Result<Vec<Matched>, String> {
    let opts = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    let mut out = Vec::new();
    for g in globs {
        let full = if Path::new(&g.pattern).is_absolute() {
            g.pattern.clone()
        } else {
            format!(
                "{}/{}",
                glob::Pattern::escape(&root.to_string_lossy()),
                g.pattern
            )
        };
        let paths = glob::glob_with(&full, opts)
            .map_err(|e| format!("`{key}` glob `{}` (harness.toml line {}): {e}", g.pattern, g.line))?;
        let before = out.len();
        for entry in paths {
            let path = entry.map_err(|e| format!("cannot read {}: {}", e.path().display(), e.error()))?;
            if !path.is_file() || skip(&path) {
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push(Matched { rel, abs: path });
        }
        if out.len() == before {
            return Err(format!(
                "no file matches `{key}` glob `{}` (harness.toml line {})",
                g.pattern, g.line
            ));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// `"sha256:<hex>"` of a file's bytes, read in chunks so memory stays flat however large the
/// file is.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
    }
    Ok(tag_digest(&hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(p: &str) -> GlobSpec {
        GlobSpec { pattern: p.into(), line: 7 }
    }

    #[test]
    fn star_does_not_cross_slashes_and_prefixes_select() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "cfg/config_220_body.yaml",
            "cfg/config_070_bootstrap.yaml",
            "cfg/config_400_a.yaml",
            "cfg/sub/config_220_deep.yaml",
        ] {
            std::fs::create_dir_all(root.join(f).parent().unwrap()).unwrap();
            std::fs::write(root.join(f), f).unwrap();
        }
        let got = expand(root, &[spec("cfg/config_220_*.yaml"), spec("cfg/config_[34]*.yaml")], "static_data", &|_| false).unwrap();
        let rels: Vec<&str> = got.iter().map(|m| m.rel.as_str()).collect();
        assert_eq!(rels, ["cfg/config_220_body.yaml", "cfg/config_400_a.yaml"]);
        let deep = expand(root, &[spec("cfg/**/*.yaml")], "code", &|_| false).unwrap();
        assert_eq!(deep.len(), 4);
    }

    #[test]
    fn an_empty_match_is_an_error_naming_the_glob_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("cfg")).unwrap();
        let err = expand(dir.path(), &[spec("cfg/*.yaml")], "static_data", &|_| false).unwrap_err();
        assert_eq!(err, "no file matches `static_data` glob `cfg/*.yaml` (harness.toml line 7)");
        // a folder alone is not a match
        let err = expand(dir.path(), &[spec("cfg")], "code", &|_| false).unwrap_err();
        assert!(err.contains("no file matches"));
    }

    #[test]
    fn streaming_hash_matches_one_shot_hash() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        let data: Vec<u8> = (0..1_000_003u32).map(|i| (i * 7) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        assert_eq!(sha256_file(&p).unwrap(), crate::canonical::sha256_tagged(&data));
    }
}
