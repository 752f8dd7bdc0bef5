//! Why a drift happened: for a changed text file (static data, inputs, a metakernel or text
//! kernel), a short diff of the file between the commit the baseline was accepted at and the
//! working tree; for a folder recorded by its digest, the files that differ, read through its
//! objects; for a moved HEAD, the commits between. In a shallow clone that lacks the
//! baseline's commit, it says so and suggests `git fetch --unshallow`; it is never an error.

use crate::manifest::types::keys;
use crate::drift::{Category, Drift};
use crate::config::location::Location;
use crate::path::Segment;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Lines of a file diff shown in an explanation.
pub const MAX_FILE_DIFF_LINES: usize = 40;
/// Commit subjects listed before "… and N more".
pub const MAX_SUBJECTS: usize = 5;

/// One explanation: what it is about and its text (possibly several lines).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Note {
    /// The file or `HEAD` it explains.
    pub subject: String,
    /// The explanation.
    pub text: String,
}

/// The file a drift is about, when it is about a file whose path the manifest records.
fn file_of(d: &Drift, baseline: &Value) -> Option<String> {
    match (d.category, d.path.0.as_slice()) {
        // a folder recorded by its digest is explained by its objects (see `folder_notes`)
        // an object in a store is explained by what its store says (see `object_notes`)
        (Category::StaticData | Category::Inputs, [_, Segment::Key(k)])
            if !k.ends_with('/') && !Location::looks_remote(k) =>
        {
            Some(k.clone())
        }
        (Category::Code, [_, _, Segment::Key(k)]) => Some(k.clone()),
        // kernels are named by their path in drift paths
        (Category::Spice, [Segment::Key(s), Segment::Key(path), Segment::Key(f)])
            if s == keys::SPICE_KERNELS && f == keys::KERNEL_SHA256 =>
        {
            crate::manifest::types::kernel_paths(baseline)
                .contains(path)
                .then(|| path.clone())
        }
        _ => None,
    }
}

fn is_binary(bytes: &[u8]) -> bool {
    bytes.iter().take(8000).any(|b| *b == 0) || std::str::from_utf8(bytes).is_err()
}

/// Explains the drifts of one run. `root` is the project's folder; `trees` holds the objects
/// of the folders recorded by digest.
pub fn explain(
    root: &Path,
    trees: &crate::trees::Store,
    baseline: &Value,
    drifts: &[&Drift],
) -> Vec<Note> {
    let (mut notes, mut folded) = folder_notes(root, trees, drifts);
    folded.retain(|f| !Location::looks_remote(f));
    notes.extend(object_notes(drifts));
    notes.extend(history_notes(root, baseline, drifts, &folded));
    // a note quotes files (a diff of a tracked file) and names: it leaves the process
    for n in &mut notes {
        for t in [&mut n.subject, &mut n.text] {
            if let std::borrow::Cow::Owned(o) = crate::redact::scrub_text(t) {
                *t = o;
            }
        }
    }
    notes
}

/// For each object in a store that drifted: what its store says changed (`ETag a → b, 1.2 GB →
/// 1.2 GB, modified 2026-12-03 02:11 UTC`), or that it was added or removed.
fn object_notes(drifts: &[&Drift]) -> Vec<Note> {
    use crate::manifest::object::StoreObject;
    let object = |v: &Option<Value>| v.as_ref().and_then(|v| StoreObject::deserialize(v).ok());
    drifts
        .iter()
        .filter_map(|d| {
            let (_, key) = set_key(d)?;
            let text = match (object(&d.before), object(&d.after)) {
                (Some(b), Some(a)) => StoreObject::change(&b, &a),
                (None, Some(a)) if d.before.is_none() => format!("added object ({})", a.describe()),
                (Some(b), None) if d.after.is_none() => {
                    format!("removed object ({} in the baseline)", b.describe())
                }
                _ => return None,
            };
            Some(Note {
                subject: key.to_owned(),
                text,
            })
        })
        .collect()
}

/// Files named in a folder's note before "… and N more".
pub const MAX_FOLDER_FILES: usize = 10;

/// For each folder recorded by its digest that drifted: the files that differ, read through
/// the objects of the folder as the baseline and the check saw it, or where the baseline's
/// objects can be had when this machine lacks them.
/// A folder's key and the drift's section (`static_data_hashes` or `inputs`), for a drift of
/// a file set.
fn set_key(d: &Drift) -> Option<(&str, &str)> {
    match (d.category, d.path.0.as_slice()) {
        (Category::StaticData | Category::Inputs, [Segment::Key(section), Segment::Key(key)]) => {
            Some((section, key))
        }
        _ => None,
    }
}

/// What a folder recorded by its digest that appeared or went away is: the same files at
/// another level (another drift of the set lies above or below it), a folder that moved
/// with its content, or a folder added or removed whole.
fn appeared_or_gone(
    drifts: &[&Drift],
    section: &str,
    key: &str,
    tree: &crate::manifest::tree::Tree,
    added: bool,
) -> String {
    use crate::manifest::tree::Tree;
    let others = drifts.iter().filter_map(|d| {
        set_key(d)
            .filter(|(s, k)| *s == section && *k != key)
            .map(|k| (k.1, d))
    });
    let mut renamed = None;
    for (other, d) in others {
        if other.starts_with(key) || key.starts_with(other) {
            return if added {
                format!(
                    "recorded by its folder digest now ({} files): the glob's files no longer fit `[harness] max_entries` at the level the baseline records them, so they are recorded a level of folders higher (the drifts of the files or folders below {key} are the same change)",
                    tree.files
                )
            } else {
                format!(
                    "no longer recorded as one folder ({} files in the baseline): the glob's files now fit `[harness] max_entries` at a deeper level, or as files",
                    tree.files
                )
            };
        }
        let twin = if added { &d.before } else { &d.after };
        let lone = if added {
            d.after.is_none()
        } else {
            d.before.is_none()
        };
        if lone
            && twin
                .as_ref()
                .and_then(|v| Tree::deserialize(v).ok())
                .is_some_and(|t| t.tree == tree.tree)
        {
            renamed = Some(other);
        }
    }
    match (renamed, added) {
        (Some(from), true) => format!(
            "renamed folder: {from} → {key}, the same content ({} files, {} bytes)",
            tree.files, tree.bytes
        ),
        (Some(to), false) => format!(
            "renamed folder: {key} → {to}, the same content ({} files, {} bytes)",
            tree.files, tree.bytes
        ),
        (None, true) => format!("added folder ({} files, {} bytes)", tree.files, tree.bytes),
        (None, false) => format!(
            "removed folder ({} files, {} bytes in the baseline)",
            tree.files, tree.bytes
        ),
    }
}

/// The notes on folders, and the files that changed inside them (for a text diff each, as a
/// listed file gets).
fn folder_notes(
    root: &Path,
    store: &crate::trees::Store,
    drifts: &[&Drift],
) -> (Vec<Note>, Vec<String>) {
    use crate::manifest::tree::{Changes, Tree};
    let tree = |v: &Option<Value>| v.as_ref().and_then(|v| Tree::deserialize(v).ok());
    let dir = store
        .dir()
        .strip_prefix(root)
        .unwrap_or(store.dir())
        .to_owned();
    let mut notes = Vec::new();
    let mut changed_files = Vec::new();
    for d in drifts {
        let Some((section, key)) = set_key(d) else {
            continue;
        };
        let key = key.to_owned();
        let key = &key;
        let (before, after) = match (tree(&d.before), tree(&d.after)) {
            (Some(b), Some(a)) => (b, a),
            (None, Some(a)) if d.before.is_none() => {
                notes.push(Note {
                    subject: key.clone(),
                    text: appeared_or_gone(drifts, section, key, &a, true),
                });
                continue;
            }
            (Some(b), None) if d.after.is_none() => {
                notes.push(Note {
                    subject: key.clone(),
                    text: appeared_or_gone(drifts, section, key, &b, false),
                });
                continue;
            }
            _ => continue,
        };
        let short = |t: &Tree| {
            let hex = crate::trees::file_name(&t.tree);
            crate::canonical::prefix(hex, 12).to_owned()
        };
        let mut walk = crate::trees::Walk::new(store);
        let text = match Changes::between(&before.tree, &after.tree, &mut |t| walk.load(t)) {
            Ok(c) => {
                changed_files.extend(c.changed.iter().map(|(f, _, _)| format!("{key}{f}")));
                let mut lines = vec![format!(
                    "{} of {} files differ (folder {} → {}):",
                    c.len(),
                    before.files.max(after.files),
                    short(&before),
                    short(&after),
                )];
                let named =
                    c.changed
                        .iter()
                        .map(|(f, x, y)| format!("  changed  {key}{f} ({x} → {y} bytes)"))
                        .chain(c.added.iter().map(|f| format!("  added    {key}{f}")))
                        .chain(c.removed.iter().map(|f| format!("  removed  {key}{f}")))
                        .chain(
                            c.renamed
                                .iter()
                                .map(|(f, t)| format!("  renamed  {key}{f} → {key}{t}")),
                        )
                        .map(|line| (line, 1))
                        .chain(c.folders_added.iter().map(|(f, n)| {
                            (format!("  added    {key}{f} ({n} files)"), *n as usize)
                        }))
                        .chain(c.folders_removed.iter().map(|(f, n)| {
                            (format!("  removed  {key}{f} ({n} files)"), *n as usize)
                        }));
                let mut shown = 0;
                for (line, files) in named.take(MAX_FOLDER_FILES) {
                    lines.push(line);
                    shown += files;
                }
                if c.len() > shown {
                    lines.push(format!("  … and {} more", c.len() - shown));
                }
                lines.join("\n")
            }
            Err(missing) => {
                let (path, why) = match &missing {
                    crate::trees::Missing::Absent(p) => (p, "is not on this machine".to_owned()),
                    crate::trees::Missing::Bad(p, why) => (p, format!("is damaged ({why})")),
                };
                let which = if Some(path.file_name())
                    == Some(Some(std::ffi::OsStr::new(crate::trees::file_name(
                        &before.tree,
                    )))) {
                    "the baseline's object of this folder"
                } else {
                    "an object under this folder"
                };
                format!(
                    "{which} ({}) {why}, so the files that differ cannot be named. A baseline's objects are kept in {}/ where it was accepted or checked, and beside the candidate a failing check leaves (.prov/candidates/trees/, in CI's candidates artifact): copy them into {}/, or `provbase accept --from` those candidates, and check again",
                    path.strip_prefix(root).unwrap_or(path).display(),
                    dir.display(),
                    dir.display(),
                )
            }
        };
        notes.push(Note {
            subject: key.clone(),
            text,
        });
    }
    (notes, changed_files)
}

/// Explains a run's drifts from git: file diffs since the baseline's commit (of listed files,
/// and of `folded`, files that changed inside folders recorded by their digests), and the
/// commits HEAD moved by.
fn history_notes(root: &Path, baseline: &Value, drifts: &[&Drift], folded: &[String]) -> Vec<Note> {
    let Ok(repo) = git2::Repository::discover(root) else {
        return Vec::new();
    };
    let Some(base_sha) = crate::manifest::types::commit_of(baseline) else {
        return Vec::new();
    };
    let base_sha = base_sha.as_str();
    let short = crate::canonical::prefix(base_sha, 7);
    let base = git2::Oid::from_str(base_sha)
        .ok()
        .and_then(|oid| repo.find_commit(oid).ok());
    let mut notes = Vec::new();
    let shallow_hint = || {
        format!(
            "the baseline's commit {short} is not in this repository{}: run `git fetch --unshallow` to see what changed",
            if repo.is_shallow() {
                " (a shallow clone)"
            } else {
                ""
            }
        )
    };
    let workdir = repo.workdir().and_then(|w| w.canonicalize().ok());
    let mut files_explained = 0;
    // the recorded digest of a listed file, none for one inside a folder (its object has it)
    let listed = drifts
        .iter()
        .filter(|d| d.before.is_some() && d.after.is_some())
        .filter_map(|d| {
            let rel = file_of(d, baseline)?;
            Some((rel, d.before.as_ref().and_then(Value::as_str)))
        });
    let inside = folded.iter().map(|f| (f.clone(), None));
    for (rel, recorded) in listed.chain(inside) {
        files_explained += 1;
        if files_explained > 5 {
            continue;
        }
        let Some(commit) = &base else {
            notes.push(Note {
                subject: rel,
                text: shallow_hint(),
            });
            continue;
        };
        let abs = root.join(&rel);
        let text = match (abs.canonicalize().ok(), &workdir) {
            (Some(a), Some(w)) => match a.strip_prefix(w) {
                Ok(in_repo) => file_note(&repo, commit, in_repo, &a, recorded, short),
                Err(_) => "outside the repository: no history to compare".to_owned(),
            },
            _ => "no longer readable".to_owned(),
        };
        notes.push(Note { subject: rel, text });
    }
    if files_explained > 5 {
        notes.push(Note {
            subject: "…".into(),
            text: format!(
                "{} more changed files, see --format json",
                files_explained - 5
            ),
        });
    }
    if drifts
        .iter()
        .any(|d| d.path.key(0) == Some(keys::CODE) && d.path.key(1) == Some(keys::code::GIT_SHA))
    {
        let text = match &base {
            None => shallow_hint(),
            Some(c) => commits_since(&repo, c.id())
                .unwrap_or_else(|e| format!("cannot walk the history: {}", e.message())),
        };
        notes.push(Note {
            subject: "HEAD".into(),
            text,
        });
    }
    notes
}

/// What happened between the baseline's commit and HEAD, as far as one run is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadMove {
    /// HEAD moved, and no change between the two commits touches what the run depends on.
    Untouched {
        /// Commits reachable from HEAD and not from the baseline's commit.
        commits: usize,
        /// The baseline's commit, abbreviated.
        from: String,
        /// HEAD, abbreviated.
        to: String,
    },
    /// Changes between the two commits touch these dependencies of the run (repository-relative).
    Touched(Vec<String>),
    /// The baseline's commit cannot be compared with HEAD: why, and the fix.
    Unknown(String),
}

/// What a run depends on that its manifest does not hash, so that only git can tell whether it
/// changed: the files its commands name, and its own entry in harness.toml.
#[derive(Debug, Clone, Default)]
pub struct Unhashed {
    /// Files, relative to the project's folder.
    pub files: Vec<String>,
    /// harness.toml (relative to the project's folder) and the run's name: only that run's
    /// `[[run]]` entry counts, not the rest of the file.
    pub config: Option<(String, String)>,
    /// The baseline, when it was accepted on a dirty tree: its commit is not all it saw, and
    /// changes are counted from the commit that brought its bytes instead. An edit to a run's
    /// entry, accepted, then committed with the baseline, is no move; one committed later is.
    pub accepted_dirty: Option<AcceptedDirty>,
}

/// A baseline accepted on a dirty tree: its path (relative to the project's folder) and its
/// bytes, as the check read them.
#[derive(Debug, Clone)]
pub struct AcceptedDirty {
    /// Relative to the project's folder.
    pub path: String,
    /// Its text.
    pub bytes: String,
}

/// What [`head_moved`] learns of two commits, kept for the runs that follow: the `[[run]]`
/// entries of harness.toml at each commit (parsed once, not once per run), the files read
/// there, and how many commits lie between. With it a check of many runs after a commit is
/// linear in the runs.
#[derive(Default)]
pub struct HeadMemo {
    repo: std::sync::Mutex<Option<git2::Repository>>,
    prefix: std::sync::Mutex<HashMap<PathBuf, Option<PathBuf>>>,
    runs: std::sync::Mutex<HashMap<(String, PathBuf), RunEntries>>,
    blobs: std::sync::Mutex<HashMap<(String, PathBuf), Blob>>,
    commits: std::sync::Mutex<HashMap<(String, String), usize>>,
    between: std::sync::Mutex<HashMap<(String, String), Commits>>,
}

type RunEntries = Option<Arc<HashMap<String, toml::Value>>>;
type Blob = Option<Arc<Vec<u8>>>;
/// Commits between two, oldest first.
type Commits = Option<Arc<Vec<String>>>;

fn memo<K: Eq + std::hash::Hash, V: Clone>(
    map: &std::sync::Mutex<HashMap<K, V>>,
    key: K,
    make: impl FnOnce() -> V,
) -> V {
    if let Some(v) = map.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return v.clone();
    }
    let v = make();
    map.lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, v.clone());
    v
}

/// A file's bytes at a commit (`rel` from the repository's top), read once per process.
fn blob_at(repo: &git2::Repository, seen: &HeadMemo, sha: &str, rel: &Path) -> Blob {
    memo(&seen.blobs, (sha.to_owned(), rel.to_owned()), || {
        let tree = repo
            .find_commit(git2::Oid::from_str(sha).ok()?)
            .ok()?
            .tree()
            .ok()?;
        let entry = tree.get_path(rel).ok()?;
        Some(Arc::new(
            repo.find_blob(entry.id()).ok()?.content().to_vec(),
        ))
    })
}

/// The commit since `base` (up to `head`) that brought the baseline's bytes, the oldest such:
/// the commit of an accept made on a dirty tree. `None` when no commit since holds them.
fn committed_with(
    repo: &git2::Repository,
    seen: &HeadMemo,
    base: &git2::Commit,
    head: &git2::Commit,
    prefix: &Path,
    accepted: &AcceptedDirty,
) -> Option<String> {
    let rel = prefix.join(&accepted.path);
    let key = (base.id().to_string(), head.id().to_string());
    let commits = memo(&seen.between, key, || {
        (|| -> Result<Vec<String>, git2::Error> {
            let mut walk = repo.revwalk()?;
            walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)?;
            walk.push(head.id())?;
            walk.hide(base.id())?;
            walk.map(|o| o.map(|o| o.to_string())).collect()
        })()
        .ok()
        .map(Arc::new)
    })?;
    commits.iter().find_map(|sha| {
        let at = blob_at(repo, seen, sha, &rel)?;
        (at.as_slice() == accepted.bytes.as_bytes()).then(|| sha.clone())
    })
}

/// Every `[[run]]` entry of a harness.toml's bytes, by name.
fn run_entries(bytes: &[u8]) -> RunEntries {
    let table: toml::Table = toml::from_str(std::str::from_utf8(bytes).ok()?).ok()?;
    let runs = table.get("run")?.as_array()?;
    Some(Arc::new(
        runs.iter()
            .filter_map(|r| Some((r.get("name")?.as_str()?.to_owned(), r.clone())))
            .collect(),
    ))
}

/// Whether HEAD's moving since the baseline's commit touched what the run depends on and its
/// manifest does not hash (files it does hash drift by themselves). A dependency that did not
/// exist at the baseline's commit (untracked when the baseline was accepted, as harness.toml
/// is on a first accept) cannot be compared, and does not count. `None` when there is no
/// repository or no commit to compare.
pub fn head_moved(
    root: &Path,
    base_sha: &str,
    head_sha: &str,
    deps: &Unhashed,
    seen: &HeadMemo,
) -> Option<HeadMove> {
    // the repository, opened once for the runs that follow (one run at a time uses it)
    let mut opened = seen.repo.lock().unwrap_or_else(|e| e.into_inner());
    if opened.is_none() {
        *opened = Some(git2::Repository::discover(root).ok()?);
    }
    let repo = opened.as_ref()?;
    let short = |s: &str| crate::canonical::prefix(s, 7).to_owned();
    let head = repo.find_commit(git2::Oid::from_str(head_sha).ok()?).ok()?;
    let Some(base) = git2::Oid::from_str(base_sha)
        .ok()
        .and_then(|o| repo.find_commit(o).ok())
    else {
        return Some(HeadMove::Unknown(format!(
            "the baseline's commit {} is not in this repository{}: run `git fetch --unshallow` (or fetch the branch it was accepted on), or accept again",
            short(base_sha),
            if repo.is_shallow() {
                " (a shallow clone)"
            } else {
                " (rebased away?)"
            }
        )));
    };
    // the project's folder inside the repository, so that run paths become repository paths
    let prefix = memo(&seen.prefix, root.to_owned(), || {
        let workdir = repo.workdir()?.canonicalize().ok()?;
        let prefix = root.canonicalize().ok()?;
        Some(prefix.strip_prefix(&workdir).ok()?.to_owned())
    })?;
    let blob = |sha: &str, rel: &Path| blob_at(repo, seen, sha, rel);
    // a baseline accepted on a dirty tree saw more than its commit: what it saw is taken to
    // be the commit that brought the baseline's bytes as they are now (accept, then commit
    // them together), when there is one since its commit
    let since = match &deps.accepted_dirty {
        Some(accepted) => committed_with(repo, seen, &base, &head, &prefix, accepted)
            .unwrap_or_else(|| base_sha.to_owned()),
        None => base_sha.to_owned(),
    };
    let mut touched = Vec::new();
    for f in &deps.files {
        let rel = prefix.join(f);
        if let Some(before) = blob(&since, &rel)
            && blob(head_sha, &rel).as_deref() != Some(&before)
        {
            touched.push(rel.to_string_lossy().into_owned());
        }
    }
    if let Some((file, run)) = &deps.config {
        let rel = prefix.join(file);
        // every run's entry of the file at a commit, parsed once for all the runs
        let entries = |sha: &str| -> RunEntries {
            memo(&seen.runs, (sha.to_owned(), rel.clone()), || {
                run_entries(&blob(sha, &rel)?)
            })
        };
        let entry = |e: RunEntries| e.and_then(|m| m.get(run).cloned());
        if let Some(before) = entry(entries(&since))
            && entry(entries(head_sha)).as_ref() != Some(&before)
        {
            touched.push(format!("{} (the `{run}` entry)", rel.to_string_lossy()));
        }
    }
    if !touched.is_empty() {
        return Some(HeadMove::Touched(touched));
    }
    let commits = memo(
        &seen.commits,
        (base_sha.to_owned(), head_sha.to_owned()),
        || {
            (|| -> Result<usize, git2::Error> {
                let mut walk = repo.revwalk()?;
                walk.push(head.id())?;
                walk.hide(base.id())?;
                Ok(walk.count())
            })()
            .unwrap_or(0)
        },
    );
    Some(HeadMove::Untouched {
        commits,
        from: short(base_sha),
        to: short(head_sha),
    })
}

/// The commits since `base` that changed `path` (newest first, at most three named), as
/// `, in 1a2b3c4 (subject)`; empty when none did (the change is not committed).
fn commits_touching(repo: &git2::Repository, base: git2::Oid, path: &Path) -> String {
    let found = (|| -> Result<Vec<String>, git2::Error> {
        let mut walk = repo.revwalk()?;
        walk.push_head()?;
        walk.hide(base)?;
        let mut out = Vec::new();
        let entry = |c: &git2::Commit| {
            c.tree()
                .ok()
                .and_then(|t| t.get_path(path).ok())
                .map(|e| e.id())
        };
        for id in walk.take(500) {
            let c = repo.find_commit(id?)?;
            let before = c.parent(0).ok().and_then(|p| entry(&p));
            if entry(&c) != before {
                let subject = c.summary().ok().flatten().unwrap_or("").to_owned();
                out.push(format!("{} ({subject})", &id_text(c.id())[..7]));
            }
        }
        Ok(out)
    })()
    .unwrap_or_default();
    match found.len() {
        0 => String::new(),
        n if n <= 3 => format!(", in {}", found.join(", ")),
        n => format!(", in {} and {} more", found[..3].join(", "), n - 3),
    }
}

fn id_text(id: git2::Oid) -> String {
    id.to_string()
}

fn file_note(
    repo: &git2::Repository,
    commit: &git2::Commit,
    in_repo: &Path,
    abs: &Path,
    recorded: Option<&str>,
    short: &str,
) -> String {
    let now = match std::fs::read(abs) {
        Ok(b) => b,
        Err(e) => return format!("cannot read it: {e}"),
    };
    let old = match commit
        .tree()
        .and_then(|t| t.get_path(in_repo))
        .and_then(|e| e.to_object(repo))
    {
        Ok(obj) => match obj.into_blob() {
            Ok(b) => b.content().to_vec(),
            Err(_) => return format!("not a file at the baseline's commit {short}"),
        },
        Err(_) => {
            return format!(
                "not committed at the baseline's commit {short}: no earlier content to compare"
            );
        }
    };
    let mut caveat = String::new();
    if recorded.is_some_and(|r| r != crate::canonical::sha256_tagged(&old)) {
        caveat = " (the file at that commit differs from what the baseline recorded: it was accepted before being committed)".into();
    }
    if is_binary(&old) || is_binary(&now) {
        return format!(
            "binary file: {} → {} bytes since {short}{caveat}",
            old.len(),
            now.len()
        );
    }
    let (a, b) = (String::from_utf8_lossy(&old), String::from_utf8_lossy(&now));
    let name = in_repo.to_string_lossy().replace('\\', "/");
    let diff = unified_diff(
        &a,
        &b,
        &format!("{name} at {short}"),
        &format!("{name} now"),
        MAX_FILE_DIFF_LINES,
    );
    let touched = commits_touching(repo, commit.id(), in_repo);
    format!(
        "changed since the baseline's commit {short}{caveat}{touched}:\n{}",
        diff.trim_end()
    )
}

fn commits_since(repo: &git2::Repository, base: git2::Oid) -> Result<String, git2::Error> {
    let head = repo.head()?.peel_to_commit()?.id();
    let mut walk = repo.revwalk()?;
    walk.push(head)?;
    walk.hide(base)?;
    let ids: Vec<git2::Oid> = walk.collect::<Result<_, _>>()?;
    let short = |o: git2::Oid| o.to_string()[..7].to_owned();
    if ids.is_empty() {
        return Ok(format!(
            "HEAD {} is not a descendant of the baseline's commit {}",
            short(head),
            short(base)
        ));
    }
    let mut text = format!(
        "{} commit{} since the baseline's commit {}:",
        ids.len(),
        if ids.len() == 1 { "" } else { "s" },
        short(base)
    );
    for id in ids.iter().take(MAX_SUBJECTS) {
        let c = repo.find_commit(*id)?;
        let subject = c.summary().ok().flatten().unwrap_or("").to_owned();
        text.push_str(&format!("\n{} {subject}", short(*id)));
    }
    if ids.len() > MAX_SUBJECTS {
        text.push_str(&format!("\n… and {} more", ids.len() - MAX_SUBJECTS));
    }
    Ok(text)
}
/// A unified diff of two texts, computed with a deadline and cut after `max_lines`.
pub fn unified_diff(
    old: &str,
    new: &str,
    old_name: &str,
    new_name: &str,
    max_lines: usize,
) -> String {
    let diff = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Patience)
        .timeout(std::time::Duration::from_millis(500))
        .diff_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= max_lines {
        return text;
    }
    let mut out = lines[..max_lines].join("\n");
    out.push_str(&format!(
        "\n… {} more lines, see --format json\n",
        lines.len() - max_lines
    ));
    out
}
