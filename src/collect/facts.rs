//! Facts: what is the same for every run of a process (git state, for now), collected once and
//! only when a run first needs it, never while listing. Hashes of files are memoised too, so a
//! file named by several runs is read once.

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Lazily collected facts about one project root.
pub struct Facts {
    root: PathBuf,
    exclude: Vec<PathBuf>,
    git: OnceLock<Map<String, Value>>,
    hashes: Mutex<HashMap<PathBuf, String>>,
    repo: OnceLock<Option<(PathBuf, Mutex<git2::Repository>)>>,
}

impl Facts {
    /// Facts about the project whose harness.toml lives in `root`; files under `exclude` (the
    /// baselines folders) never make the tree dirty.
    pub fn new(root: &Path, exclude: Vec<PathBuf>) -> Facts {
        Facts {
            root: root.to_owned(),
            exclude,
            git: OnceLock::new(),
            hashes: Mutex::new(HashMap::new()),
            repo: OnceLock::new(),
        }
    }

    /// The git fields of the `code` section.
    pub fn git(&self) -> &Map<String, Value> {
        self.git
            .get_or_init(|| super::git::collect(&self.root, &self.exclude))
    }

    /// Whether the git collection already ran (for tests of laziness).
    pub fn git_collected(&self) -> bool {
        self.git.get().is_some()
    }

    /// `"sha256:<hex>"` of a file, read at most once per process.
    pub fn hash(&self, path: &Path) -> std::io::Result<String> {
        if let Some(h) = self
            .hashes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
        {
            return Ok(h.clone());
        }
        let h = super::files::sha256_file(path)?;
        self.hashes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_owned(), h.clone());
        Ok(h)
    }

    /// Whether git ignores a path (false outside a repository).
    pub fn git_ignores(&self, path: &Path) -> bool {
        let repo = self.repo.get_or_init(|| {
            let repo = git2::Repository::discover(&self.root).ok()?;
            let workdir = repo.workdir()?.canonicalize().ok()?;
            Some((workdir, Mutex::new(repo)))
        });
        let Some((workdir, repo)) = repo else {
            return false;
        };
        let Ok(abs) = path.canonicalize() else {
            return false;
        };
        let Ok(rel) = abs.strip_prefix(workdir) else {
            return false;
        };
        let repo = repo.lock().unwrap_or_else(|e| e.into_inner());
        repo.status_should_ignore(rel).unwrap_or(false)
    }
}
