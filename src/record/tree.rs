//! The state of a working tree, as a recorded run keeps it and a bundle carries it: the
//! status, the patch against HEAD, the untracked files, and a fingerprint of every tracked file.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// The files a recorded run keeps of the tree it ran on, for a later bundle.
pub const TREE_DIFF: &str = "git.diff";
/// See [`TREE_DIFF`].
pub const TREE_UNTRACKED: &str = "untracked.txt";
/// See [`TREE_DIFF`].
pub const TREE_FINGERPRINT: &str = "codebase_fingerprint.json";

/// The tree's status as `git status --porcelain` lists it (`XY path`), without `.prov/`;
/// unavailable outside a repository.
pub fn porcelain(root: &Path) -> crate::manifest::Or<Vec<String>> {
    let Ok(repo) = git2::Repository::discover(root) else {
        return crate::manifest::Or::unavailable("not a git repository");
    };
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let Ok(statuses) = repo.statuses(Some(&mut opts)) else {
        return crate::manifest::Or::unavailable("no work tree");
    };
    let mut lines = Vec::new();
    for s in statuses.iter() {
        let Ok(path) = s.path() else { continue };
        if path
            .strip_prefix(crate::disk::PROV)
            .is_some_and(|r| r.starts_with('/'))
        {
            continue;
        }
        let st = s.status();
        let x = if st.is_index_new() {
            'A'
        } else if st.is_index_modified() {
            'M'
        } else if st.is_index_deleted() {
            'D'
        } else if st.is_index_renamed() {
            'R'
        } else {
            ' '
        };
        let y = if st.is_wt_new() {
            '?'
        } else if st.is_wt_modified() {
            'M'
        } else if st.is_wt_deleted() {
            'D'
        } else {
            ' '
        };
        let xy = if st.is_wt_new() && x == ' ' {
            "??".to_owned()
        } else {
            format!("{x}{y}")
        };
        lines.push(format!("{xy} {path}"));
    }
    lines.sort();
    crate::manifest::Or::Value(lines)
}

/// The working tree's changes against HEAD, leaving out files under `exclude`: a patch of the
/// tracked files (each line redacted like every value provbase writes), and the untracked
/// files by name and hash. Their contents join the patch only with `untracked_contents`; files
/// git ignores never appear. Empty on a clean tree.
pub fn git_diff(
    root: &Path,
    exclude: &[PathBuf],
    untracked_contents: bool,
) -> std::result::Result<(String, Vec<(String, String)>), crate::error::GitError> {
    let repo = git2::Repository::discover(root).map_err(crate::error::GitError::NotRepository)?;
    if repo.is_bare() {
        return Err(crate::error::GitError::Bare);
    }
    let skip = crate::collect::git::excluded_prefixes(&repo, exclude);
    let head = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
    let mut opts = git2::DiffOptions::new();
    opts.include_untracked(true)
        .include_ignored(false)
        .recurse_untracked_dirs(true)
        .show_untracked_content(untracked_contents)
        .show_binary(true);
    let diff = repo.diff_tree_to_workdir_with_index(head.as_ref(), Some(&mut opts))?;
    let path_of = |delta: &git2::DiffDelta| {
        delta
            .new_file()
            .path()
            .or(delta.old_file().path())
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let mut untracked = Vec::new();
    let workdir = repo.workdir().unwrap_or(root).to_owned();
    for delta in diff.deltas() {
        let path = path_of(&delta);
        if delta.status() == git2::Delta::Untracked
            && !skip.iter().any(|s| path.starts_with(s.as_str()))
        {
            let hash = crate::collect::files::sha256_file(&workdir.join(&path))
                .unwrap_or_else(|e| format!("unreadable: {e}"));
            untracked.push((path, hash));
        }
    }
    let mut out = Vec::new();
    diff.print(git2::DiffFormat::Patch, |delta, _, line| {
        let path = path_of(&delta);
        if skip.iter().any(|s| path.starts_with(s.as_str()))
            || (delta.status() == git2::Delta::Untracked && !untracked_contents)
        {
            return true;
        }
        if matches!(line.origin(), '+' | '-' | ' ') {
            out.push(line.origin() as u8);
        }
        match std::str::from_utf8(line.content()) {
            Ok(text) => out.extend_from_slice(crate::redact::scrub_str(text).as_bytes()),
            Err(_) => out.extend_from_slice(line.content()),
        }
        true
    })?;
    Ok((String::from_utf8_lossy(&out).into_owned(), untracked))
}

/// Tracked files with the hash of their working-tree content, and one digest over them.
pub fn codebase_fingerprint(root: &Path) -> Value {
    use crate::manifest::bundle::CodebaseFingerprint;
    use crate::manifest::{Or, Sha256};
    let fingerprint = (|| {
        let Ok(repo) = git2::Repository::discover(root) else {
            return CodebaseFingerprint::unavailable("not a git repository");
        };
        let (Some(workdir), Ok(index)) = (repo.workdir().map(Path::to_owned), repo.index()) else {
            return CodebaseFingerprint::unavailable("no work tree");
        };
        let mut files = std::collections::BTreeMap::new();
        for entry in index.iter() {
            let rel = String::from_utf8_lossy(&entry.path).into_owned();
            let h = crate::collect::files::sha256_file(&workdir.join(&rel))
                .map_or_else(|e| Or::unavailable(e.to_string()), |h| Or::Value(Sha256(h)));
            files.insert(rel, h);
        }
        let head = repo.head().ok().and_then(|h| h.target()).map(|o| o.to_string());
        CodebaseFingerprint::new(head, files)
    })();
    serde_json::to_value(fingerprint).unwrap_or(Value::Null)
}
