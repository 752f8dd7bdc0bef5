//! The one walk: which files a glob names, found a folder at a time on the one pool.
//!
//! A glob is split into its literal folder (`data` of `data/*/images/*.png`) and the patterns
//! below it. The walk starts at that folder and enters a subfolder only when the patterns can
//! still match something under it, so `data/*/images/*.png` reads the `images` folders and no
//! other. A folder the glob matches whole stands for every file under it (`data`, `data/**`,
//! and a folder named `x.bin` under `data/**/*.bin`). Symbolic links are followed (a link that
//! leads out of `boundary`, points nowhere, or back up its own path is an error), `.git` folders
//! and the project's `.prov/` are never entered, `skip` prunes folders and files (those git
//! ignores, the baselines), and a special file the glob names is an error, never a silent skip.
//!
//! Each folder is read on one of the pool's threads, its files stat-ed relative to it, and
//! handed to a visitor with the folder's id and its parent's, so that a caller can fold
//! folders as they finish ([`super::scan`]) or list files ([`Walk::files`]). The same pool
//! hashes files ([`crate::collect::hashing::pool`]).

use crate::cache::Stamp;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// How globs match a name: `*` never crosses `/`, and a leading dot needs no literal dot.
pub const MATCH: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

/// One part of a glob below its literal folder.
#[derive(Debug, Clone)]
enum Part {
    /// `**`: any number of folders, none included.
    Any,
    /// A name written as it is (`images`).
    Literal(String),
    /// `PREFIX*SUFFIX` with both written as they are (`*.png`, `f*.png`, `shard-*`): matched
    /// without the glob crate, which a name of every file of a dataset goes through.
    Affix(String, String),
    /// Any other name pattern (`d[0-9]`, `?.bin`, `a*b*c`).
    Name(glob::Pattern),
}

impl Part {
    fn of(p: &str) -> Result<Part, glob::PatternError> {
        if p == "**" {
            return Ok(Part::Any);
        }
        if literal(p) {
            return Ok(Part::Literal(p.to_owned()));
        }
        if let Some((prefix, suffix)) = p.split_once('*')
            && literal(prefix)
            && literal(suffix)
        {
            return Ok(Part::Affix(prefix.to_owned(), suffix.to_owned()));
        }
        glob::Pattern::new(p).map(Part::Name)
    }

    /// Whether a name matches this part (never `Any`'s question).
    fn matches(&self, name: &str) -> bool {
        match self {
            Part::Any => true,
            Part::Literal(l) => name == l,
            Part::Affix(prefix, suffix) => {
                name.len() >= prefix.len() + suffix.len()
                    && name.starts_with(prefix.as_str())
                    && name.ends_with(suffix.as_str())
            }
            Part::Name(pat) => pat.matches_with(name, MATCH),
        }
    }
}

/// A glob ready to walk.
#[derive(Debug, Clone)]
pub struct Glob {
    /// The literal folder part as written, `/`-separated, without `.` parts or a trailing
    /// slash (`""`: the project's folder; starts with `/` when absolute).
    pub base: String,
    parts: Vec<Part>,
}

/// Where a walk stands in a glob's parts: bit `i` set means part `i` is next (bit `parts.len()`:
/// the glob is matched). 63 parts at most.
type States = u64;

/// Whether a glob part is written literally.
fn literal(part: &str) -> bool {
    !part.contains(['*', '?', '['])
}

impl Glob {
    /// Compiles a glob as harness.toml writes it (never a `!` one). Fails as the glob crate
    /// fails on it.
    pub fn new(pattern: &str) -> Result<Glob, glob::PatternError> {
        glob::Pattern::new(pattern)?;
        let absolute = pattern.starts_with('/');
        let mut parts = pattern.split('/').filter(|p| !p.is_empty() && *p != ".");
        let mut base: Vec<&str> = Vec::new();
        let mut rest = Vec::new();
        for p in parts.by_ref() {
            if literal(p) {
                base.push(p);
            } else {
                rest.push(p);
                break;
            }
        }
        rest.extend(parts);
        let parts = rest
            .into_iter()
            .map(Part::of)
            .collect::<Result<Vec<_>, glob::PatternError>>()?;
        if parts.len() >= 63 {
            return Err(glob::PatternError {
                pos: 0,
                msg: "a glob of more than 62 parts below its literal folder",
            });
        }
        let base = base.join("/");
        Ok(Glob {
            base: if absolute { format!("/{base}") } else { base },
            parts,
        })
    }

    /// Every file at or under `path` (relative to the project, or absolute).
    pub fn whole(path: &str) -> Glob {
        Glob {
            base: path.trim_end_matches('/').to_owned(),
            parts: Vec::new(),
        }
    }

    /// Whether the glob has only its literal part (a file or folder named as it is).
    pub fn is_literal(&self) -> bool {
        self.parts.is_empty()
    }

    /// The literal folder, found from `root`.
    pub fn base_in(&self, root: &Path) -> PathBuf {
        if self.base.is_empty() {
            root.to_owned()
        } else {
            root.join(&self.base)
        }
    }

    /// Adds the parts that follow each `**` (which may match no folder).
    fn closure(&self, mut s: States) -> States {
        for (i, p) in self.parts.iter().enumerate() {
            if s & (1 << i) != 0 && matches!(p, Part::Any) {
                s |= 1 << (i + 1);
            }
        }
        s
    }

    /// Where the walk stands at the literal folder.
    fn start(&self) -> States {
        self.closure(1)
    }

    /// Whether the glob is matched at `s`.
    fn done(&self, s: States) -> bool {
        s & (1 << self.parts.len()) != 0
    }

    /// Where the walk stands one name further down.
    fn step(&self, s: States, name: &OsStr) -> States {
        let mut next = 0;
        let text = name.to_str();
        for (i, p) in self.parts.iter().enumerate() {
            if s & (1 << i) == 0 {
                continue;
            }
            match p {
                Part::Any => next |= 1 << i,
                _ => {
                    if text.is_some_and(|t| p.matches(t)) {
                        next |= 1 << (i + 1);
                    }
                }
            }
        }
        self.closure(next)
    }
}

/// A file a walk found.
#[derive(Debug)]
pub struct Found {
    /// Its path (from the walk's start; its last part is its name in its folder).
    pub path: PathBuf,
    /// Its stat data (its link's target's, for a link), when the walk takes them.
    pub stamp: Option<Stamp>,
}

/// A folder a walk read, as its visitor sees it.
#[derive(Debug)]
pub struct Folder<'a> {
    /// Its id in this walk (the start is 0).
    pub id: usize,
    /// Its parent's id (`None` for the start).
    pub parent: Option<usize>,
    /// Its name in its parent (empty for the start).
    pub name: &'a OsStr,
    /// Its path.
    pub path: &'a Path,
    /// How many subfolders the walk will enter next (each visited later, with this folder as
    /// parent).
    pub subfolders: usize,
}

/// Why a walk stopped: the file or folder, and the reason.
#[derive(Debug)]
pub struct WalkError {
    /// What could not be read or is not allowed.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

impl WalkError {
    fn new(path: &Path, source: std::io::Error) -> WalkError {
        WalkError {
            path: path.to_owned(),
            source,
        }
    }
}

/// What a glob's literal part is.
#[derive(Debug)]
pub enum Start {
    /// Nothing (or something the glob cannot go below).
    Nothing,
    /// A file named as it is (its link followed), with its stat data.
    File(PathBuf, Stamp),
    /// A folder the walk goes through.
    Folder(PathBuf),
}

/// How a walk goes.
pub struct Walk<'a> {
    /// The project's folder: relative globs start from it.
    pub root: &'a Path,
    /// Whether the project's `.prov/` is left out (it is, for every glob of a run).
    pub leave_out_prov: bool,
    /// A canonical folder no file may lead out of (`None`: `allow_outside`).
    pub boundary: Option<&'a Path>,
    /// Files and folders left out (a folder's files are then never read).
    pub skip: &'a (dyn Fn(&Path) -> bool + Sync),
    /// Whether to stat each file (for the stat cache).
    pub stamps: bool,
    /// The pool's size.
    pub threads: usize,
}

/// A folder waiting to be read.
struct Job {
    id: usize,
    parent: Option<usize>,
    name: OsString,
    path: PathBuf,
    states: States,
    /// The glob matched this folder or one above it: every file under it is named.
    whole: bool,
}

/// What a folder holds that the walk keeps: files, and subfolders to enter.
type Read = (Vec<Found>, Vec<Job>);

type Visitor<'v> = dyn Fn(Folder<'_>, Vec<Found>) -> Result<(), WalkError> + Sync + 'v;

impl Walk<'_> {
    /// What a glob's literal part names.
    pub fn start(&self, glob: &Glob) -> Result<Start, WalkError> {
        let path = glob.base_in(self.root);
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if std::fs::symlink_metadata(&path).is_ok() => {
                return Err(WalkError::new(&path, broken_link(e)));
            }
            Err(_) => return Ok(Start::Nothing),
        };
        if (self.skip)(&path) {
            return Ok(Start::Nothing);
        }
        if let Some(b) = self.boundary {
            check_inside(&path, b).map_err(|e| WalkError::new(&path, e))?;
        }
        Ok(if meta.is_dir() {
            Start::Folder(path)
        } else if !glob.is_literal() {
            Start::Nothing
        } else if meta.is_file() {
            Start::File(path, Stamp::of(&meta))
        } else {
            return Err(WalkError::new(&path, special(meta.file_type())));
        })
    }

    /// Every file a glob names, with its stat data when the walk takes them, in no
    /// particular order.
    pub fn files(&self, glob: &Glob) -> Result<Vec<(PathBuf, Option<Stamp>)>, WalkError> {
        match self.start(glob)? {
            Start::Nothing => Ok(Vec::new()),
            Start::File(path, stamp) => Ok(vec![(path, Some(stamp))]),
            Start::Folder(base) => {
                let found = Mutex::new(Vec::new());
                self.folders(glob, &base, &|_, files| {
                    let mut found = found.lock().unwrap_or_else(|e| e.into_inner());
                    found.extend(files.into_iter().map(|f| (f.path, f.stamp)));
                    Ok(())
                })?;
                Ok(found.into_inner().unwrap_or_else(|e| e.into_inner()))
            }
        }
    }

    /// Walks the folders under `base` (the glob's literal folder) that can hold what it names,
    /// on the pool, calling `visit` once per folder with the files in it that the glob names.
    /// A folder is visited before its subfolders. The first error stops the walk.
    pub fn folders(&self, glob: &Glob, base: &Path, visit: &Visitor<'_>) -> Result<(), WalkError> {
        let states = glob.start();
        let first = Job {
            id: 0,
            parent: None,
            name: OsString::new(),
            path: base.to_owned(),
            states,
            whole: glob.done(states),
        };
        let ctx = Ctx {
            glob,
            visit,
            next_id: AtomicUsize::new(1),
            stop: AtomicBool::new(false),
            failed: Mutex::new(None),
        };
        crate::collect::hashing::pool(self.threads).scope(|s| self.one(s, first, &ctx));
        match ctx.failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn one<'s>(&'s self, s: &rayon::Scope<'s>, job: Job, ctx: &'s Ctx<'s>) {
        if ctx.stop.load(Ordering::Relaxed) {
            return;
        }
        let (files, subdirs) = match self.read(&job, ctx.glob) {
            Ok(r) => r,
            Err(e) => return ctx.fail(e),
        };
        let first = ctx.next_id.fetch_add(subdirs.len(), Ordering::Relaxed);
        let folder = Folder {
            id: job.id,
            parent: job.parent,
            name: &job.name,
            path: &job.path,
            subfolders: subdirs.len(),
        };
        if let Err(e) = (ctx.visit)(folder, files) {
            return ctx.fail(e);
        }
        for (k, mut sub) in subdirs.into_iter().enumerate() {
            sub.id = first + k;
            sub.parent = Some(job.id);
            s.spawn(move |s| self.one(s, sub, ctx));
        }
    }

    /// One folder: the files in it the glob names, and the subfolders that may hold more.
    fn read(&self, job: &Job, glob: &Glob) -> Result<Read, WalkError> {
        let mut files = Vec::new();
        let mut subdirs = Vec::new();
        let entries = std::fs::read_dir(&job.path).map_err(|e| WalkError::new(&job.path, e))?;
        for e in entries {
            let e = e.map_err(|e| WalkError::new(&job.path, e))?;
            let name = e.file_name();
            if name == ".git" {
                continue;
            }
            let (states, whole) = if job.whole {
                (0, true)
            } else {
                let s = glob.step(job.states, &name);
                (s, glob.done(s))
            };
            if states == 0 && !whole {
                // nothing under this name can match: not even stat-ed
                continue;
            }
            let path = e.path();
            let mut t = e.file_type().map_err(|err| WalkError::new(&path, err))?;
            let mut stamp = None;
            if t.is_symlink() {
                let meta = self.follow(&path, &job.path)?;
                t = meta.file_type();
                stamp = Some(Stamp::of(&meta));
            }
            if t.is_file() {
                if whole && !(self.skip)(&path) {
                    if stamp.is_none() && self.stamps {
                        stamp = e.metadata().ok().map(|m| Stamp::of(&m));
                    }
                    files.push(Found { path, stamp });
                }
            } else if t.is_dir() {
                // the project's `.prov/`: named so, directly in the project's folder
                let prov = self.leave_out_prov && name == crate::disk::PROV && job.path == self.root;
                if prov || (self.skip)(&path) {
                    continue;
                }
                subdirs.push(Job {
                    id: 0,
                    parent: None,
                    name,
                    path,
                    states,
                    whole,
                });
            } else if whole && !(self.skip)(&path) {
                // never skipped in silence: a FIFO would block a read, and a file set that
                // leaves something out unsaid is a wrong answer
                return Err(WalkError::new(&path, special(t)));
            }
        }
        Ok((files, subdirs))
    }

    /// A symbolic link's target's stat data, if it is allowed: it points somewhere, stays in
    /// the boundary, and is not a folder above it (which would be walked forever).
    fn follow(&self, link: &Path, folder: &Path) -> Result<std::fs::Metadata, WalkError> {
        let meta = std::fs::metadata(link).map_err(|e| WalkError::new(link, broken_link(e)))?;
        if let Some(b) = self.boundary {
            check_inside(link, b).map_err(|e| WalkError::new(link, e))?;
        }
        if meta.is_dir()
            && let (Ok(target), Ok(here)) = (link.canonicalize(), folder.canonicalize())
            && here.starts_with(&target)
        {
            return Err(WalkError::new(
                link,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!(
                        "a symbolic link to {}, a folder above it: it would be walked forever",
                        target.display()
                    ),
                ),
            ));
        }
        Ok(meta)
    }
}

/// What every thread of one walk shares.
struct Ctx<'a> {
    glob: &'a Glob,
    visit: &'a Visitor<'a>,
    next_id: AtomicUsize,
    stop: AtomicBool,
    failed: Mutex<Option<WalkError>>,
}

impl Ctx<'_> {
    fn fail(&self, e: WalkError) {
        self.stop.store(true, Ordering::Relaxed);
        self.failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(e);
    }
}

fn broken_link(e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("broken symbolic link ({e})"))
}

/// The error for a special file where files are collected.
pub fn special(t: std::fs::FileType) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "{}, not a regular file (narrow the glob to leave it out)",
            crate::collect::hashing::special_kind(t)
        ),
    )
}

/// Fails when `path`, its symbolic links followed, is not under `boundary` (a canonical path).
pub fn check_inside(path: &Path, boundary: &Path) -> std::io::Result<()> {
    let real = match path.canonicalize() {
        Ok(r) => r,
        // a broken link: the walk says so
        Err(_) => return Ok(()),
    };
    if real.starts_with(boundary) {
        return Ok(());
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::PermissionDenied,
        format!(
            "{} leads to {}, outside the project's folder; set `allow_outside = true` in the run if it should",
            path.display(),
            real.display()
        ),
    ))
}
