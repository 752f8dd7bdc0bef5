//! Collecting a run: its files hashed through the facts, its commands run, its sections built
//! into the typed manifest.

use super::Session;
use crate::collect::CollectError;
use crate::collect::facts::NameKind;
use crate::collect::files;
use crate::config::FileSetKey;
use crate::config::{NamesSpec, RunSpec};
use crate::error::Result;
use crate::manifest::tree::{self, Entry, Leaf, Object};
use crate::manifest::types::{Output, Runtime};
use crate::manifest::{self, FORMAT_VERSION, Manifest, Sha256};

use serde_json::{Map, Value};
use std::collections::BTreeMap;

use crate::collect::facts::MAX_REMEMBERED;

impl Session {
    pub(super) fn hashes(
        &self,
        run: &RunSpec,
        matched: &[files::Matched],
        since_ns: i64,
    ) -> Result<BTreeMap<String, Sha256>> {
        Ok(self
            .leaves(run, matched, since_ns)?
            .into_iter()
            .map(|l| (l.rel, Sha256(crate::canonical::tag_digest(&l.digest))))
            .collect())
    }

    /// Each matched file's hash and size, through the facts (read at most once per process,
    /// not at all when the stat cache vouches for it); an unreadable file is an error naming it.
    fn leaves(
        &self,
        run: &RunSpec,
        matched: &[files::Matched],
        since_ns: i64,
    ) -> Result<Vec<Leaf>> {
        let paths: Vec<&std::path::Path> = matched.iter().map(|m| m.abs.as_path()).collect();
        let stamps: Vec<Option<crate::cache::Stamp>> = matched.iter().map(|m| m.stamp).collect();
        let resolved = self
            .facts
            .files()
            .resolve_all_stamped(&paths, Some((&stamps, since_ns)));
        matched
            .iter()
            .zip(resolved)
            .map(|(m, r)| {
                let (digest, size) = r.map_err(|e| Self::unreadable(run, &m.rel, e))?;
                Ok(Leaf {
                    rel: m.rel.clone(),
                    digest,
                    size,
                })
            })
            .collect()
    }

    /// A run's `static_data` or `inputs`: each glob's files by their hashes, or, for a glob
    /// naming more than `[harness] max_entries` files, by the digests of their folders at the
    /// deepest level that fits (their objects kept under `.prov/trees/`). A glob that names a
    /// folder is scanned a folder at a time, so that a dataset of any size costs memory for
    /// its folders only.
    pub(super) fn file_set(
        &self,
        run: &RunSpec,
        globs: &[crate::config::GlobSpec],
        key: FileSetKey,
        since_ns: i64,
    ) -> Result<BTreeMap<String, Entry>> {
        let mut out = BTreeMap::new();
        // the baselines (of every profile) are provbase's output, never a run's input
        let baselines = self.config.all_baselines_dirs();
        let skip = |p: &std::path::Path| baselines.iter().any(|b| p.starts_with(b));
        let boundary = if run.allow_outside {
            None
        } else {
            self.config.root.canonicalize().ok()
        };
        let walk = files::Walk {
            root: &self.config.root,
            leave_out_prov: true,
            boundary: boundary.as_deref(),
            skip: &skip,
            stamps: true,
            threads: self.facts.host().threads,
        };
        for g in globs {
            let max = self.max_entries(run, g);
            // a glob below a folder of the project is scanned a folder at a time; a file
            // named as it is, a glob that starts outside the project and a `!` glob are listed
            let glob = files::Glob::new(&g.pattern)
                .ok()
                .filter(|glob| scans(&glob.base) && !g.pattern.starts_with('!'));
            let start = match &glob {
                Some(glob) => walk
                    .start(glob)
                    .map_err(|e| Self::err(run, files::walk_error(&self.config.root, e)))?,
                None => files::walk::Start::Nothing,
            };
            let entries = match (glob, start) {
                (Some(glob), files::walk::Start::Folder(base)) => {
                    let found = self
                        .facts
                        .files()
                        .scan_folder(&walk, &glob, (&base, &glob.base), since_ns, max)
                        .map_err(|e| Self::err(run, files::walk_error(&self.config.root, e)))?;
                    if found.folders.is_empty() {
                        return Err(Self::err(
                            run,
                            CollectError::NoMatch {
                                key: key.name().to_owned(),
                                pattern: g.pattern.clone(),
                                line: g.line,
                            },
                        ));
                    }
                    self.fold_scanned(run, key, g, &found, max)?
                }
                _ => self.fold_matched(run, std::slice::from_ref(g), key, since_ns)?,
            };
            for (k, v) in entries {
                out.entry(k).or_insert(v);
            }
        }
        Ok(out)
    }

    /// A scan's folders as a baseline records them (see [`tree::fold`]); the objects of
    /// folders above the recorded level, which nothing refers to, are removed when the scan
    /// made them.
    fn fold_scanned(
        &self,
        run: &RunSpec,
        key: FileSetKey,
        g: &crate::config::GlobSpec,
        found: &files::scan::Scanned,
        max: usize,
    ) -> Result<BTreeMap<String, Entry>> {
        let store = self.facts.trees();
        // the files above the level come from the scan's memory, not from objects (another
        // process may be removing those it made of the same folders)
        let entries = tree::fold(
            &found.folders,
            max,
            &mut |f| match found.direct.get(&f.rel) {
                Some(o) => Ok(o.clone()),
                None => store.load(&f.tree.tree),
            },
        )
        .map_err(|e| Self::invalid(run, format!("the `{key}` glob `{}`: {e}", g.pattern)))?;
        let level = tree::level_for(&found.folders, max);
        let new: std::collections::HashSet<&str> =
            found.written.iter().map(|t| t.0.as_str()).collect();
        for f in &found.folders {
            if level.is_none_or(|l| f.depth() < l) && new.contains(f.tree.tree.0.as_str()) {
                store.remove(&f.tree.tree);
            }
        }
        Ok(entries)
    }

    /// The most entries a glob's files keep in a baseline: the glob's own `max_entries`, else
    /// the run's, else `[harness] max_entries`.
    fn max_entries(&self, run: &RunSpec, glob: &crate::config::GlobSpec) -> usize {
        glob.max_entries
            .or(run.max_entries)
            .unwrap_or(self.config.max_entries)
    }

    /// [`Session::file_set`] of a glob that is walked whole: its files listed and hashed, then
    /// folded.
    fn fold_matched(
        &self,
        run: &RunSpec,
        glob: &[crate::config::GlobSpec],
        key: FileSetKey,
        since_ns: i64,
    ) -> Result<BTreeMap<String, Entry>> {
        let matched = self.expand(run, glob, key)?;
        let leaves = self.leaves(run, &matched, since_ns)?;
        drop(matched);
        let max = self.max_entries(run, &glob[0]);
        self.fold_leaves(run, &format!("the `{key}` files"), &leaves, "", max)
    }

    /// Files (sorted by path) as a baseline records them: each file when they fit in `max`
    /// entries, else the folders at the deepest level that fits, whose objects are kept.
    fn fold_leaves(
        &self,
        run: &RunSpec,
        what: &str,
        leaves: &[Leaf],
        prefix: &str,
        max: usize,
    ) -> Result<BTreeMap<String, Entry>> {
        let mut objects = std::collections::HashMap::new();
        let sums = tree::objects_of(leaves, prefix, &mut |sum, bytes| {
            objects.insert(sum.tree.tree.0.clone(), bytes.to_vec());
        });
        // the objects of the folders a baseline will refer to: those at the level and below
        if let Some(level) = tree::level_for(&sums, max) {
            let store = self.facts.trees();
            for f in sums.iter().filter(|f| f.depth() >= level) {
                if let Some(bytes) = objects.get(&f.tree.tree.0) {
                    let _ = store.put(&f.tree.tree, bytes);
                }
            }
        }
        tree::fold(&sums, max, &mut |f| {
            Object::parse(objects.get(&f.tree.tree.0).map_or(&[][..], Vec::as_slice))
        })
        .map_err(|e| Self::invalid(run, format!("{what}: {e}")))
    }

    /// The files a run's globs of one key name (`code`, `static_data`, …).
    pub(super) fn expand(
        &self,
        run: &RunSpec,
        globs: &[crate::config::GlobSpec],
        key: FileSetKey,
    ) -> Result<std::sync::Arc<[files::Matched]>> {
        // runs that share a glob (a code glob, say) expand it once per process; outputs are
        // what a run's command has just written, so they are expanded every time
        let memo = (key != FileSetKey::Outputs).then(|| crate::collect::facts::ExpansionKey {
            key: key.name().to_owned(),
            patterns: globs.iter().map(|g| g.pattern.clone()).collect(),
            outside: run.allow_outside,
        });
        if let Some(found) = memo.as_ref().and_then(|k| self.facts.files().expansion(k)) {
            return Ok(found);
        }
        // the baselines (of every profile) are provbase's output, never a run's input: a run
        // whose glob named its own baseline would drift with every accept
        let baselines = self.config.all_baselines_dirs();
        let ignored = |p: &std::path::Path| {
            baselines.iter().any(|b| p.starts_with(b))
                || (key == FileSetKey::Code && self.facts.repo().ignores(p))
        };
        let matched: std::sync::Arc<[files::Matched]> = files::expand(
            &self.config.root,
            globs,
            key.name(),
            &ignored,
            (self.facts.files().cache_enabled(), run.allow_outside),
            self.facts.host().threads,
        )
        .map_err(|m| Self::err(run, m))?
        .into();
        // a shared code glob is small; a dataset is large, seldom shared, and would stay in
        // memory for the rest of the process
        if let Some(k) = memo.filter(|_| matched.len() <= MAX_REMEMBERED) {
            self.facts.files().remember_expansion(k, matched.clone());
        }
        Ok(matched)
    }

    /// The full manifest of a run, time fields included, sealed with its digest.
    pub fn collect(&self, run: &RunSpec) -> Result<Value> {
        Ok(manifest::document(self.collect_typed(run)?))
    }

    /// The full manifest of a run as its type (its `digest` is set when it becomes a document).
    pub fn collect_typed(&self, run: &RunSpec) -> Result<Manifest> {
        let root = &self.config.root;
        // before any file is stat-ed: the stat cache trusts an entry only as of this moment
        let since_ns = self.facts.host().now_ns();
        if let Some(cmd) = &run.command {
            // what the command writes may match other runs' globs: expand them again
            self.facts.files().forget();
            crate::collect::command::run(&cmd.argv, root, cmd.timeout).map_err(|e| {
                Self::err_in(
                    run,
                    format!("the pipeline command (harness.toml line {})", cmd.line),
                    e,
                )
            })?;
        }
        let mut code = self.facts.repo().code().clone();
        code.scope = Some(self.hashes(
            run,
            &self.expand(run, &run.code, FileSetKey::Code)?,
            since_ns,
        )?);
        let mut static_data_hashes =
            self.file_set(run, &run.static_data, FileSetKey::StaticData, since_ns)?;
        static_data_hashes.extend(self.remote_set(run, FileSetKey::StaticData)?);
        let mut params = Value::Object(run.params.clone());
        crate::redact::scrub_json(&mut params);
        let outputs = if run.outputs.is_empty() {
            None
        } else {
            Some(self.outputs(run)?)
        };
        let inputs =
            if run.inputs.is_empty() && !run.remote.iter().any(|r| r.key == FileSetKey::Inputs) {
                None
            } else {
                let mut inputs = self.file_set(run, &run.inputs, FileSetKey::Inputs, since_ns)?;
                inputs.extend(self.remote_set(run, FileSetKey::Inputs)?);
                Some(inputs)
            };
        let spice_kernels = match &run.spice {
            Some(spice) => Some(
                crate::collect::spice::collect(root, spice, &self.facts)
                    .map_err(|e| Self::err(run, e))?,
            ),
            None => None,
        };
        let external = self.externals(run)?;
        let mut m = Manifest {
            format_version: FORMAT_VERSION,
            run: run.name.clone(),
            pipeline_run_iso8601: Some(self.facts.host().now_iso8601()),
            code,
            static_data_hashes,
            params: match params {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            inputs,
            outputs,
            spice_kernel_count: spice_kernels.as_ref().map(|k| k.len() as u64),
            spice_kernels,
            technique_names: self.names(
                run,
                "technique_names",
                run.techniques.as_ref(),
                NameKind::Techniques,
            )?,
            extractor_names: self.names(
                run,
                "extractor_names",
                run.extractors.as_ref(),
                NameKind::Extractors,
            )?,
            hardware: run.hardware.then(|| self.facts.hardware().clone()),
            runtime: self.runtime(run),
            environment: crate::collect::environment::collect(&run.env, self.facts.host()),
            external,
            digest: Sha256::default(),
        };
        m.format_version = manifest::version_needed(&m);
        Ok(m)
    }

    /// What each `[run.external.NAME]` command printed.
    pub(super) fn externals(
        &self,
        run: &RunSpec,
    ) -> Result<Option<BTreeMap<String, Map<String, Value>>>> {
        if run.external.is_empty() {
            return Ok(None);
        }
        let mut ext = BTreeMap::new();
        for (name, spec) in &run.external {
            let v = crate::collect::external::collect(spec, &self.config.root).map_err(|e| {
                Self::err_in(
                    run,
                    format!("external `{name}` (harness.toml line {})", spec.line),
                    e,
                )
            })?;
            ext.insert(name.clone(), v);
        }
        Ok(Some(ext))
    }

    /// Each output's hash; with `outputs_tolerance`, a JSON output's parsed value instead, so
    /// that its numbers can be compared within the tolerance.
    pub(super) fn outputs(&self, run: &RunSpec) -> Result<BTreeMap<String, Output>> {
        let matched = self.expand(run, &run.outputs, FileSetKey::Outputs)?;
        let mut out = BTreeMap::new();
        for m in matched.iter() {
            let v = if !run.outputs_tolerance.is_empty() && m.rel.ends_with(".json") {
                let bytes = std::fs::read(&m.abs).map_err(|e| Self::unreadable(run, &m.rel, e))?;
                let mut v = crate::canonical::parse_strict(&bytes).map_err(|e| {
                    Self::invalid(run, format!("output {} is not valid JSON: {e}", m.rel))
                })?;
                crate::canonical::stringify_big_integers(&mut v);
                Output::Json { json: v }
            } else {
                Output::Hash(Sha256(self.facts.files().hash(&m.abs).map_err(|e| {
                    Self::invalid(run, format!("cannot read {}: {e}", m.rel))
                })?))
            };
            out.insert(m.rel.clone(), v);
        }
        Ok(out)
    }

    pub(super) fn runtime(&self, run: &RunSpec) -> Runtime {
        Runtime {
            provbase: self.facts.host().version.clone(),
            tools: run
                .runtime
                .iter()
                .map(|tool| (tool.clone(), self.facts.runtime(tool)))
                .collect(),
        }
    }

    pub(super) fn names(
        &self,
        run: &RunSpec,
        key: &str,
        spec: Option<&NamesSpec>,
        kind: NameKind,
    ) -> Result<Option<Vec<String>>> {
        let configured = match spec {
            None => None,
            Some(NamesSpec::List(l)) => Some(l.clone()),
            Some(NamesSpec::Command(c)) => Some(self.facts.names().printed_by(c).map_err(|e| {
                Self::err_in(run, format!("{key} (harness.toml line {})", c.line), e)
            })?),
        };
        let registered = self
            .facts
            .names()
            .registered(kind)
            .transpose()
            .map_err(|source| {
                let from = "a registered name".to_owned();
                Self::err_in(run, key.to_owned(), CollectError::Names { from, source })
            })?;
        Ok(match (configured, registered) {
            (None, None) => None,
            (a, b) => {
                let mut all: Vec<String> = a.into_iter().chain(b).flatten().collect();
                all.sort();
                all.dedup();
                Some(all)
            }
        })
    }

    /// Registers a function that returns names for every run (see
    /// [`crate::harness::Harness::techniques`]).
    pub fn register(&mut self, kind: NameKind, f: crate::collect::facts::NamesFn) -> &mut Self {
        self.facts.names_mut().register(kind, f);
        self
    }
}

/// Whether a glob's literal folder is one a scan records by paths relative to the project:
/// inside it as written (no `..`, not absolute) and not provbase's or git's own.
fn scans(base: &str) -> bool {
    !base.starts_with('/')
        && !base.split('/').any(|c| c == ".." || c == ".git")
        && !files::left_out(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scan (a folder at a time, from the glob's literal folder) and the list of the same
    /// glob's files, hashed and folded, record the same entries: as files within
    /// `max_entries`, as folder digests past it, with a symbolic link in the tree or not.
    #[test]
    fn a_scanned_glob_and_its_files_listed_and_folded_agree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for a in 0..3 {
            for b in 0..4 {
                for c in 0..5 {
                    let p = root.join(format!("data/set{a}/part{b}/f{c}.bin"));
                    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                    std::fs::write(p, format!("{a}-{b}-{c}")).unwrap();
                }
            }
        }
        let globs = [
            "data",
            "data/*/*/*.bin",
            "data/**/f0.bin",
            "data/**/part1",
            "data/set0/part0",
            "**/f[01].bin",
            "data/set?/part[0-2]/*",
        ];
        let mut text = String::new();
        for (i, g) in globs.iter().enumerate() {
            text.push_str(&format!(
                "[[run]]\nname = \"r{i}\"\nhardware = false\nstatic_data = [\"{g}\"]\n"
            ));
        }
        let harness = root.join("harness.toml");
        let check = |max: usize| {
            let config = crate::config::Config::parse(
                &format!("[harness]\nmax_entries = {max}\n{text}"),
                &harness,
            )
            .unwrap();
            let s = Session::new(config);
            for (i, g) in globs.iter().enumerate() {
                let run = s.config.run(&format!("r{i}")).unwrap();
                let scanned = s
                    .file_set(run, &run.static_data, FileSetKey::StaticData, 0)
                    .unwrap();
                let listed = s
                    .fold_matched(run, &run.static_data, FileSetKey::StaticData, 0)
                    .unwrap();
                assert_eq!(scanned, listed, "{g} with max_entries {max}");
                assert!(!scanned.is_empty(), "{g}");
            }
        };
        check(10);
        check(10_000);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("f0.bin", root.join("data/set1/part1/link.bin")).unwrap();
            check(10);
            check(10_000);
        }
    }
}
