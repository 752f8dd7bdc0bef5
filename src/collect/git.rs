//! The `code` section's git fields: commit, branch or detached HEAD, dirtiness, untracked
//! files, and the remote URL with its credentials removed.

use crate::error::GitError;
use crate::manifest::{Code, Or};
use std::path::{Path, PathBuf};

/// Collects the git fields for the repository holding `root`. Never fails: what cannot be
/// known is recorded as unavailable, with the reason. Files under `exclude` (the baselines
/// folders, which accept itself writes) count neither as dirty nor as untracked.
pub fn collect(root: &Path, exclude: &[PathBuf]) -> Code {
    let repo = match git2::Repository::discover(root) {
        Ok(r) => r,
        Err(e) if e.code() == git2::ErrorCode::Owner => {
            return Code::unavailable(
                "the repository is owned by another user (git's safe.directory)",
            );
        }
        Err(_) => return Code::unavailable("not a git repository"),
    };
    let head = match repo.head() {
        Ok(h) => h,
        Err(e) if e.code() == git2::ErrorCode::UnbornBranch => {
            return Code::unavailable("no commit yet (unborn HEAD)");
        }
        Err(e) => return Code::unavailable(&format!("cannot read HEAD: {}", e.message())),
    };
    let commit = match head.peel_to_commit() {
        Ok(c) => c,
        Err(e) => return Code::unavailable(&format!("HEAD is not a commit: {}", e.message())),
    };
    let short = commit
        .as_object()
        .short_id()
        .ok()
        .and_then(|b| b.as_str().ok().map(str::to_owned))
        .unwrap_or_else(|| commit.id().to_string()[..7].to_owned());
    let detached = repo.head_detached().unwrap_or(false);
    let branch = if detached {
        Or::unavailable("detached HEAD")
    } else {
        head.shorthand().map_or_else(
            |_| Or::unavailable("branch name is not UTF-8"),
            |b| Or::Value(b.to_owned()),
        )
    };
    let (dirty, untracked) = match status(&repo, &excluded_prefixes(&repo, exclude), Via::Auto) {
        Ok((dirty, untracked)) => (Or::Value(dirty), Or::Value(untracked)),
        Err(e) => {
            let reason = e.to_string();
            (Or::unavailable(reason.clone()), Or::unavailable(reason))
        }
    };
    Code {
        git_sha: Or::Value(commit.id().to_string()),
        git_short_sha: Or::Value(short),
        branch: Some(branch),
        detached: Some(Or::Value(detached)),
        dirty,
        untracked,
        remote: remote(&repo),
        scope: None,
        status: None,
    }
}

/// A path made absolute with its longest existing prefix resolved (the folder may not exist
/// yet).
fn canonical_prefix(p: &Path) -> PathBuf {
    let mut missing = Vec::new();
    let mut cur = p.to_owned();
    loop {
        if let Ok(c) = cur.canonicalize() {
            return missing.iter().rev().fold(c, |acc, part| acc.join(part));
        }
        match (cur.file_name().map(|f| f.to_owned()), cur.parent()) {
            (Some(name), Some(parent)) => {
                missing.push(name);
                cur = parent.to_owned();
            }
            _ => return p.to_owned(),
        }
    }
}

/// How to read the work tree's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The `git` command when it is installed and answers, else libgit2.
    Auto,
    /// Only the `git` command.
    Cli,
    /// Only libgit2.
    Libgit2,
}

/// Whether the work tree holding `root` has changes to tracked files, and how many untracked
/// files it has, leaving out files under `exclude`. `git status` walks the tree on every core
/// and uses the index's stat data; libgit2's walk is single-threaded and several times slower
/// on large trees, so the command is asked first. Both give the same answer.
pub fn worktree_status(
    root: &Path,
    exclude: &[PathBuf],
    via: Via,
) -> Result<(bool, u64), GitError> {
    let repo = git2::Repository::discover(root)?;
    status(&repo, &excluded_prefixes(&repo, exclude), via)
}

/// The excluded folders as `rel/` prefixes of paths inside the work tree.
pub fn excluded_prefixes(repo: &git2::Repository, exclude: &[PathBuf]) -> Vec<String> {
    let workdir = repo.workdir().and_then(|w| w.canonicalize().ok());
    exclude
        .iter()
        .filter_map(|e| {
            let abs = canonical_prefix(e);
            let rel = abs.strip_prefix(workdir.as_ref()?).ok()?;
            Some(format!("{}/", rel.to_string_lossy().replace('\\', "/")))
        })
        .collect()
}

fn is_excluded(path: &str, excluded: &[String]) -> bool {
    excluded
        .iter()
        .any(|e| path.starts_with(e.as_str()) || format!("{path}/") == *e)
}

fn status(repo: &git2::Repository, excluded: &[String], via: Via) -> Result<(bool, u64), GitError> {
    if repo.is_bare() {
        return Err(GitError::Bare);
    }
    if via != Via::Libgit2 {
        match (status_cli(repo, excluded), via) {
            (Some(r), _) => return Ok(r),
            (None, Via::Cli) => return Err(GitError::CommandSilent),
            (None, _) => {}
        }
    }
    status_libgit2(repo, excluded)
}

/// `git status --porcelain=v1 -z`: `XY path` entries, a rename's or copy's source path in the
/// next field. `None` when the command is missing or refuses (for example a repository owned
/// by another user), so that libgit2 answers instead.
fn status_cli(repo: &git2::Repository, excluded: &[String]) -> Option<(bool, u64)> {
    let workdir = repo.workdir()?;
    let out = std::process::Command::new("git")
        .args([
            "--no-optional-locks",
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--ignore-submodules=all",
        ])
        .current_dir(workdir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let mut dirty = false;
    let mut untracked = 0;
    let mut fields = out.stdout.split(|b| *b == 0).filter(|f| !f.is_empty());
    while let Some(entry) = fields.next() {
        if entry.len() < 4 {
            return None;
        }
        let (xy, path) = (&entry[..2], String::from_utf8_lossy(&entry[3..]));
        if matches!(xy[0], b'R' | b'C') {
            fields.next();
        }
        if is_excluded(&path, excluded) {
            continue;
        }
        if xy == b"??" {
            untracked += 1;
        } else if xy != b"!!" {
            dirty = true;
        }
    }
    Some((dirty, untracked))
}

fn status_libgit2(
    repo: &git2::Repository,
    excluded: &[String],
) -> Result<(bool, u64), GitError> {
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true);
    let statuses = repo.statuses(Some(&mut opts))?;
    let mut dirty = false;
    let mut untracked = 0;
    for entry in statuses.iter() {
        let path = String::from_utf8_lossy(entry.path_bytes());
        if excluded
            .iter()
            .any(|e| path.starts_with(e.as_str()) || format!("{path}/") == *e)
        {
            continue;
        }
        let s = entry.status();
        if s.contains(git2::Status::WT_NEW) && s.difference(git2::Status::WT_NEW).is_empty() {
            untracked += 1;
        } else if !s.is_ignored() {
            dirty = true;
        }
    }
    Ok((dirty, untracked))
}

fn remote(repo: &git2::Repository) -> Or<String> {
    let names = match repo.remotes() {
        Ok(n) => n,
        Err(e) => return Or::unavailable(e.message()),
    };
    let names: Vec<String> = names
        .iter()
        .filter_map(|n| n.ok().flatten().map(str::to_owned))
        .collect();
    let chosen = if names.iter().any(|n| n == "origin") {
        Some("origin".to_owned())
    } else {
        names.first().cloned()
    };
    let Some(name) = chosen else {
        return Or::unavailable("no remote");
    };
    match repo.find_remote(&name) {
        Ok(r) => match r.url() {
            Ok(url) => Or::Value(crate::redact::sanitize_url(url)),
            Err(_) => Or::unavailable("remote URL is not UTF-8"),
        },
        Err(e) => Or::unavailable(e.message()),
    }
}

#[cfg(test)]
mod tests {
    use crate::redact::sanitize_url;

    #[test]
    fn urls_lose_their_credentials() {
        let cases = [
            (
                "https://user:s3cret@github.com/org/repo.git",
                "https://github.com/org/repo.git",
            ),
            (
                "https://ghp_tok3n@github.com/org/repo",
                "https://github.com/org/repo",
            ),
            (
                "https://github.com/org/repo.git",
                "https://github.com/org/repo.git",
            ),
            (
                "https://github.com/org/repo.git?access_token=abc#x",
                "https://github.com/org/repo.git",
            ),
            ("ssh://git@host:2222/r.git", "ssh://host:2222/r.git"),
            ("git@github.com:org/repo.git", "github.com:org/repo.git"),
            ("host:path/repo.git", "host:path/repo.git"),
            ("https://a@b:c@host/p", "https://host/p"),
        ];
        for (url, want) in cases {
            assert_eq!(sanitize_url(url), want, "{url}");
        }
    }
}
