//! Facts: what is the same for every run of a process, collected once and only when a run
//! first needs it, never while listing. Each job has its own part: the repository
//! ([`repo::Repo`]: git state, what git ignores), the files ([`files::Files`]: hashes through
//! the stat cache, shared glob expansions, folder objects), the registered names
//! ([`names::Names`]), and the machine (hardware and runtimes, here).

use crate::manifest::types::{Hardware, Tool};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

pub mod files;
pub mod names;
pub mod repo;

pub use files::MAX_REMEMBERED;
pub use names::{NameKind, NamesFn};

/// Lazily collected facts about one project root.
pub struct Facts {
    root: PathBuf,
    host: super::Host,
    repo: repo::Repo,
    files: files::Files,
    names: names::Names,
    stores: super::stores::Stores,
    hardware: OnceLock<Hardware>,
    runtime: Mutex<HashMap<String, Tool>>,
}

/// What a glob expansion depends on: the key it was written under (`code` skips what git
/// ignores), its patterns, and whether it may leave the project.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExpansionKey {
    /// The harness.toml key.
    pub key: String,
    /// The patterns.
    pub patterns: Vec<String>,
    /// `allow_outside`.
    pub outside: bool,
}

impl Facts {
    /// Facts about the project whose harness.toml lives in `root`; files under `exclude` (the
    /// baselines folders) never make the tree dirty.
    pub fn new(root: &Path, exclude: Vec<PathBuf>) -> Facts {
        Facts::on(root, exclude, super::Host::this_machine())
    }

    /// Like [`Facts::new`], on a given host (a pinned clock, environment or hardware).
    pub fn on(root: &Path, exclude: Vec<PathBuf>, host: super::Host) -> Facts {
        Facts {
            root: root.to_owned(),
            repo: repo::Repo::new(root, exclude),
            files: files::Files::new(root, host.clone()),
            names: names::Names::new(root),
            stores: super::stores::Stores::new(root, host.clone()),
            host,
            hardware: OnceLock::new(),
            runtime: Mutex::new(HashMap::new()),
        }
    }

    /// The machine the facts are collected on.
    pub fn host(&self) -> &super::Host {
        &self.host
    }

    /// The repository: git state and what git ignores.
    pub fn repo(&self) -> &repo::Repo {
        &self.repo
    }

    /// The files: hashes, the stat cache, shared expansions and folder objects.
    pub fn files(&self) -> &files::Files {
        &self.files
    }

    /// The names runs register.
    pub fn names(&self) -> &names::Names {
        &self.names
    }

    /// The names runs register, to register a function.
    pub fn names_mut(&mut self) -> &mut names::Names {
        &mut self.names
    }

    /// The object stores runs name (one client per bucket, made on first use).
    pub fn stores(&self) -> &super::stores::Stores {
        &self.stores
    }

    /// The objects of folders recorded by their digests.
    pub fn trees(&self) -> &crate::trees::Store {
        self.files.trees()
    }

    /// The `hardware` section, if a run asked for it already.
    pub fn hardware_collected(&self) -> Option<&Hardware> {
        self.hardware.get()
    }

    /// The `hardware` section.
    pub fn hardware(&self) -> &Hardware {
        self.hardware.get_or_init(|| match &self.host.hardware {
            Some(h) => h.clone(),
            None => super::hardware::collect(&self.root, &self.host),
        })
    }

    /// One `runtime` entry, collected once per process.
    pub fn runtime(&self, name: &str) -> Tool {
        if let Some(v) = self
            .runtime
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
        {
            return v.clone();
        }
        let v = super::runtime::collect(name, &self.root);
        self.runtime
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_owned(), v.clone());
        v
    }
}
