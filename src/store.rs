//! The baselines folder: strict loading, atomic writes under a lock, and orphan detection.
//!
//! A baseline that cannot be trusted is reported and left exactly as it was; only accept writes,
//! and it writes a file only when its bytes would change.

use crate::error::{Error, Result};
use crate::manifest::types::CandidateDoc;
use serde::Deserialize;
use serde_json::Value;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A baseline read from disk.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The parsed document.
    pub value: Value,
    /// Its text as it is on disk.
    pub text: String,
}

fn problem(path: &Path, problem: impl Into<String>) -> Error {
    Error::Baseline {
        path: path.to_owned(),
        problem: problem.into(),
    }
}

fn stored(path: &Path, source: crate::error::DocumentError) -> Error {
    Error::Stored {
        path: path.to_owned(),
        source,
    }
}

/// Whether a text holds git merge-conflict markers.
pub fn has_conflict_markers(text: &str) -> bool {
    let mut start = false;
    let mut end = false;
    for line in text.lines() {
        start |= line.starts_with("<<<<<<< ") || line == "<<<<<<<";
        end |= line.starts_with(">>>>>>> ") || line == ">>>>>>>";
    }
    start && end
}

/// Reads a baseline. `Ok(None)` when it does not exist; an error naming the file when it is not
/// valid JSON, holds a duplicate key or merge-conflict markers, has an unknown `format_version`,
/// or a `digest` that does not match its content.
pub fn load(path: &Path) -> Result<Option<Stored>> {
    let Some(bytes) = read_if_exists(path)? else {
        return Ok(None);
    };
    parse(path, bytes).map(Some)
}

/// Checks a baseline's bytes as [`load`] does; `path` names it in errors.
pub fn parse(path: &Path, bytes: Vec<u8>) -> Result<Stored> {
    let text = String::from_utf8(bytes).map_err(|_| problem(path, "not UTF-8 text"))?;
    if has_conflict_markers(&text) {
        return Err(Error::Conflicted {
            path: path.to_owned(),
        });
    }
    let value = crate::canonical::parse_strict(text.as_bytes())
        .map_err(|e| problem(path, format!("not a valid baseline: {e}")))?;
    // a known format_version first, so that a newer file says so rather than failing the schema
    if crate::manifest::format_version(&value)
        .is_some_and(|v| (1..=crate::manifest::FORMAT_VERSION).contains(&v))
    {
        crate::schema::validate(crate::schema::Doc::Manifest, &value).map_err(|e| stored(path, e))?;
    }
    crate::manifest::validate(&value).map_err(|e| stored(path, e))?;
    Ok(Stored { value, text })
}

/// Reads a JSON file strictly (duplicate keys rejected). `Ok(None)` when it does not exist.
pub fn load_json(path: &Path) -> Result<Option<Value>> {
    let Some(bytes) = read_if_exists(path)? else {
        return Ok(None);
    };
    crate::canonical::parse_strict(&bytes)
        .map(Some)
        .map_err(|e| Error::Json {
            path: path.to_owned(),
            message: format!("not valid JSON: {e}"),
        })
}

/// Checks a document against its schema when it says what it is: a recorded run
/// (`"kind": "provbase.run"`) or a manifest (`format_version` and `run`).
pub fn validate_known(path: &Path, v: &Value) -> Result<()> {
    use crate::manifest::types::DocKind;
    let doc = match DocKind::of(v) {
        Some(DocKind::Run) => crate::schema::Doc::Run,
        Some(DocKind::Manifest) => crate::schema::Doc::Manifest,
        _ => return Ok(()),
    };
    crate::schema::validate(doc, v).map_err(|source| Error::Document {
        path: path.to_owned(),
        source,
    })
}

/// Holds the accept lock of one baselines folder until dropped. The lock file lives in the
/// project's `.prov/locks/` (which git ignores), so that nothing but baselines appears in the
/// repository and no lock file outlives the project. Lock files are never removed while the
/// project lives: removing one another process waits on would let two hold "the" lock.
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Waits for and takes the lock of a baselines folder of the project at `root`.
    pub fn acquire(root: &Path, dir: &Path) -> Result<Lock> {
        let key = crate::canonical::sha256_tagged(
            std::path::absolute(dir)
                .unwrap_or_else(|_| dir.to_owned())
                .to_string_lossy()
                .as_bytes(),
        );
        crate::disk::ensure_prov_ignored(root).map_err(|e| Error::io(root, e))?;
        let locks = crate::disk::local(root, crate::disk::Local::Locks);
        std::fs::create_dir_all(&locks).map_err(|e| Error::io(&locks, e))?;
        let path = locks.join(format!("{}.lock", &key[7..23]));
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        file.lock().map_err(|e| Error::io(&path, e))?;
        Ok(Lock { _file: file })
    }
}

pub use crate::disk::{Mode, TEMP_PREFIX, TEMP_SUFFIX};

/// Writes `bytes` to `path` unless the file already holds exactly those bytes (then it is left
/// alone, mtime included). The write is atomic: a temporary file in the same folder, synced,
/// then renamed over the old one. A new file follows the umask; a rewritten one keeps its mode.
/// Returns whether it wrote.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool> {
    write_if_changed_as(path, bytes, Mode::Shared)
}

/// Writes `bytes` to `path` atomically even when it already holds them, so that its mtime
/// says it was written now (CI reporters such as Jenkins' junit step refuse a report that is
/// not newer than the build).
pub fn write_fresh(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::disk::write_atomic(path, Mode::Shared, |f| f.write_all(bytes))
        .map_err(|(at, e)| Error::io(&at, e))
}

/// [`write_if_changed`] with the file's [`Mode`].
pub fn write_if_changed_as(path: &Path, bytes: &[u8], mode: Mode) -> Result<bool> {
    // only a regular file is read back: a FIFO would block
    if std::fs::metadata(path).is_ok_and(|m| m.is_file())
        && std::fs::read(path).is_ok_and(|old| old == bytes)
    {
        return Ok(false);
    }
    crate::disk::write_atomic(path, mode, |f| f.write_all(bytes))
        .map_err(|(at, e)| Error::io(&at, e))?;
    Ok(true)
}

/// The baseline files (`*.json`, not in subfolders: those belong to profiles) of a folder.
pub fn list(dir: &Path) -> Result<Vec<PathBuf>> {
    let Some(entries) =
        crate::disk::absent_as_none(std::fs::read_dir(dir)).map_err(|e| Error::io(dir, e))?
    else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "json") && path.is_file() {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// Removes provbase's temporary files left in `dir` by a write that was killed before its
/// rename. Only under the folder's [`Lock`]: no other writer is between create and rename.
/// Returns the files removed.
pub fn remove_stale_temp_files(dir: &Path, _lock: &Lock) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(TEMP_PREFIX)
            && name.ends_with(TEMP_SUFFIX)
            && e.file_type().is_ok_and(|t| t.is_file())
            && std::fs::remove_file(e.path()).is_ok()
        {
            removed.push(e.path());
        }
    }
    removed
}

/// Baseline files that no run owns.
pub fn orphans(dir: &Path, runs: &[&str]) -> Result<Vec<PathBuf>> {
    let runs: std::collections::HashSet<&str> = runs.iter().copied().collect();
    Ok(list(dir)?
        .into_iter()
        .filter(|p| {
            let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned());
            !stem.is_some_and(|s| runs.contains(s.as_str()))
        })
        .collect())
}

/// The `kind` of a candidate document.
use crate::manifest::CANDIDATE_KIND;

/// Where candidates go: `.prov/candidates/` (git-ignored with the rest of `.prov/`), each at
/// the path of its baseline, so that profiles' baselines never collide.
pub fn candidates_dir(root: &Path) -> PathBuf {
    crate::disk::local(root, crate::disk::Local::Candidates)
}

/// What accept would write for a run, kept for review instead of written: from CI, or from a
/// failing check.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The run's name.
    pub run: String,
    /// The baseline it would replace, relative to the project's folder.
    pub baseline: String,
    /// The SHA-256 of that baseline's bytes when the candidate was made (`None`: there was
    /// none). A candidate whose baseline changed since is stale.
    pub compared_with: Option<String>,
    /// The stripped, sealed manifest: what accept would write.
    pub manifest: Value,
}

impl Candidate {
    /// The candidate's document.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(CandidateDoc {
            kind: CANDIDATE_KIND.to_owned(),
            run: self.run.clone(),
            baseline: self.baseline.clone(),
            compared_with: self.compared_with.clone(),
            manifest: self.manifest.clone(),
        })
        .unwrap_or_default()
    }

    /// Reads a candidate document; an error names the file.
    pub fn load(path: &Path) -> Result<Candidate> {
        let v =
            load_json(path)?.ok_or_else(|| Error::io(path, std::io::ErrorKind::NotFound.into()))?;
        let bad = |m: &str| problem(path, format!("not a provbase candidate: {m}"));
        if crate::manifest::types::DocKind::of(&v)
            != Some(crate::manifest::types::DocKind::Candidate)
        {
            return Err(bad("no `\"kind\": \"provbase.candidate\"`"));
        }
        let doc = CandidateDoc::deserialize(&v).map_err(|e| bad(&e.to_string()))?;
        let baseline = doc.baseline;
        if Path::new(&baseline).is_absolute()
            || Path::new(&baseline)
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err(bad("its baseline path leaves the project"));
        }
        Ok(Candidate {
            run: doc.run,
            baseline,
            compared_with: doc.compared_with,
            manifest: doc.manifest,
        })
    }
}

/// The SHA-256 of a file's bytes, `None` when it does not exist.
pub fn file_digest(path: &Path) -> Result<Option<String>> {
    Ok(read_if_exists(path)?.map(|b| crate::canonical::sha256_tagged(&b)))
}

/// A document's bytes (a regular file), `None` when it does not exist.
pub fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>> {
    crate::disk::absent_as_none(crate::disk::read_regular(path)).map_err(|e| Error::io(path, e))
}

/// Every candidate under a folder (walked), sorted by path.
pub fn candidates_in(dir: &Path) -> Result<Vec<(PathBuf, Candidate)>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    crate::collect::files::walk(dir, &mut files).map_err(|e| Error::io(dir, e))?;
    files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| Candidate::load(&p).map(|c| (p, c)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sealed() -> Vec<u8> {
        let na = json!({"unavailable": "not a git repository"});
        let mut v = json!({
            "format_version": 1, "run": "r",
            "code": {"git_sha": na, "git_short_sha": na, "branch": na, "dirty": na, "untracked": na, "remote": na, "scope": {}},
            "static_data_hashes": {}, "params": {"seed": 1}, "runtime": {"provbase": "0.1.0"}, "environment": {},
        });
        crate::manifest::seal(&mut v);
        crate::canonical::pretty_bytes(&v)
    }

    #[test]
    fn bad_baselines_are_named_and_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let cases: &[(&str, Vec<u8>, &str)] = &[
            (
                "syntax",
                b"{\"format_version\": 1,".to_vec(),
                "not a valid baseline",
            ),
            (
                "dup",
                b"{\"format_version\": 1, \"format_version\": 1}".to_vec(),
                "duplicate key",
            ),
            (
                "version",
                b"{\"format_version\": 9, \"digest\": \"x\"}".to_vec(),
                "unknown format_version 9",
            ),
            (
                "edited",
                String::from_utf8(sealed())
                    .unwrap()
                    .replace("\"r\"", "\"s\"")
                    .into_bytes(),
                "edited by hand",
            ),
            (
                "schema",
                String::from_utf8(sealed())
                    .unwrap()
                    .replace(
                        "\"static_data_hashes\": {}",
                        "\"static_data_hashes\": {\"a\": 1}",
                    )
                    .into_bytes(),
                "does not match the manifest.schema.json schema: /static_data_hashes/a",
            ),
            (
                "conflict",
                b"<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> other\n".to_vec(),
                "conflicted",
            ),
        ];
        for (name, bytes, needle) in cases {
            let p = dir.path().join(format!("{name}.json"));
            std::fs::write(&p, bytes).unwrap();
            let msg = load(&p).unwrap_err().to_string();
            assert!(
                msg.contains(needle) && msg.contains(&format!("{name}.json")),
                "{name}: {msg}"
            );
            assert_eq!(&std::fs::read(&p).unwrap(), bytes, "{name} left as it was");
        }
        assert!(load(&dir.path().join("absent.json")).unwrap().is_none());
        let good = dir.path().join("good.json");
        std::fs::write(&good, sealed()).unwrap();
        assert!(load(&good).unwrap().is_some());
    }

    #[test]
    fn unchanged_bytes_are_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("new/sub/r.json");
        assert!(write_if_changed(&p, b"a\n").unwrap());
        // an mtime long past: a rewrite, however soon, would show
        let m1 = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(m1)
            .unwrap();
        assert!(!write_if_changed(&p, b"a\n").unwrap());
        assert_eq!(std::fs::metadata(&p).unwrap().modified().unwrap(), m1);
        assert!(write_if_changed(&p, b"b\n").unwrap());
        assert_eq!(std::fs::read(&p).unwrap(), b"b\n");
        let leftovers: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn orphans_ignore_subfolders_and_other_files() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["a.json", "b.json", "README.md", "nightly/a.json"] {
            std::fs::create_dir_all(dir.path().join(f).parent().unwrap()).unwrap();
            std::fs::write(dir.path().join(f), "{}").unwrap();
        }
        let o = orphans(dir.path(), &["a"]).unwrap();
        assert_eq!(o, vec![dir.path().join("b.json")]);
    }

    #[test]
    fn lock_can_be_taken_again_after_release() {
        let dir = tempfile::tempdir().unwrap();
        drop(Lock::acquire(dir.path(), &dir.path().join("baselines")).unwrap());
        drop(Lock::acquire(dir.path(), &dir.path().join("baselines")).unwrap());
        assert!(
            dir.path().join(".prov/locks").is_dir(),
            "inside the project"
        );
    }
}
