//! The repository a project lives in: the git fields of the `code` section, collected once,
//! and what git ignores.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The project's repository, as far as this process has asked.
pub struct Repo {
    root: PathBuf,
    exclude: Vec<PathBuf>,
    code: OnceLock<crate::manifest::Code>,
    repo: OnceLock<Option<(PathBuf, Mutex<git2::Repository>)>>,
}

impl Repo {
    pub(super) fn new(root: &Path, exclude: Vec<PathBuf>) -> Repo {
        Repo {
            root: root.to_owned(),
            exclude,
            code: OnceLock::new(),
            repo: OnceLock::new(),
        }
    }

    /// The git fields of the `code` section.
    pub fn code(&self) -> &crate::manifest::Code {
        self.code
            .get_or_init(|| crate::collect::git::collect(&self.root, &self.exclude))
    }

    /// Whether git ignores a path (false outside a repository).
    pub fn ignores(&self, path: &Path) -> bool {
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
