//! `provbase verify FILE...`: a baseline's, a run's or a bundle's embedded digests still match
//! their content, and the files they list that still exist still have the listed hashes.

use crate::error::{Error, Result};
use crate::manifest::types::{Described, DocKind, FileRecord, ParamsRecord};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The outcome for one file.
#[derive(Debug, Default)]
pub struct Verified {
    /// The file checked.
    pub file: PathBuf,
    /// Hashes that matched.
    pub matched: usize,
    /// Listed files that no longer exist (not checked).
    pub missing: Vec<String>,
    /// What no longer matches.
    pub mismatches: Vec<String>,
    /// Objects in stores (and folders of them) the document records: not read here, where
    /// only local files are; `provbase check` compares them with their store.
    pub remote: usize,
}

/// The folder a document's relative paths are relative to: the nearest folder above it with
/// a harness.toml, the folder holding its `.prov`, its git work tree, else `cwd`.
fn root_for(file: &Path, cwd: &Path) -> PathBuf {
    let abs = std::path::absolute(file).unwrap_or_else(|_| file.to_owned());
    let mut dir = abs.parent();
    while let Some(d) = dir {
        if d.join(crate::config::FILE_NAME).is_file() {
            return d.to_owned();
        }
        if d.file_name().is_some_and(|n| n == crate::disk::PROV) {
            return d.parent().unwrap_or(d).to_owned();
        }
        dir = d.parent();
    }
    git2::Repository::discover(abs.parent().unwrap_or(cwd))
        .ok()
        .and_then(|r| r.workdir().map(Path::to_owned))
        .unwrap_or_else(|| cwd.to_owned())
}

/// A bundle's list of files, or a codebase fingerprint's.
#[derive(serde::Deserialize)]
struct Listing {
    files: Option<BTreeMap<String, FileRecord>>,
}

/// Every (path, listed hash) a document names; a folder recorded by its digest names the
/// files of its objects under `root`'s `.prov/trees/`, and goes into `unlisted` without them.
fn listed(
    doc: &Value,
    d: Described,
    root: &Path,
    unlisted: &mut Vec<(String, crate::manifest::tree::Tree, String)>,
    remote: &mut usize,
) -> Vec<(String, String)> {
    let files = Listing::deserialize(doc).ok().and_then(|l| l.files);
    let mut out = Vec::new();
    let scope = d.code.as_ref().and_then(|c| c.scope.as_ref());
    for (p, h) in scope.into_iter().flatten() {
        out.push((p.clone(), h.0.clone()));
    }
    for map in [&d.static_data_hashes, &d.inputs, &d.outputs, &files]
        .into_iter()
        .flatten()
    {
        for (p, f) in map {
            if crate::config::location::Location::looks_remote(p) {
                *remote += 1;
                continue;
            }
            if let Some(h) = f.hash() {
                out.push((p.clone(), h.to_owned()));
            }
            if let FileRecord::Tree(t) = f {
                let store = crate::trees::Store::of(root);
                let mut walk = crate::trees::Walk::new(&store);
                match crate::manifest::tree::leaves(&t.tree, &mut |d| walk.load(d)) {
                    Ok(files) => out.extend(files.into_iter().map(|f| {
                        (
                            format!("{p}{}", f.rel),
                            crate::canonical::tag_digest(&f.digest),
                        )
                    })),
                    Err(missing) => unlisted.push((p.clone(), t.clone(), missing.to_string())),
                }
            }
        }
    }
    if let Some(ParamsRecord::File(p)) = &d.params {
        out.push((p.path.clone(), p.sha256.0.clone()));
    }
    for k in d.spice_kernels.into_iter().flatten() {
        out.push((k.path, k.sha256.0));
    }
    out.sort();
    out
}

/// The digest of every file under a folder, as a baseline records a folder.
fn folder_digest(dir: &Path) -> std::io::Result<crate::manifest::tree::Tree> {
    use crate::manifest::tree::{Leaf, objects_of};
    let mut paths = Vec::new();
    crate::collect::files::walk(dir, &mut paths)?;
    let mut leaves = Vec::with_capacity(paths.len());
    for p in &paths {
        let (digest, size) = crate::collect::hashing::sha256_file_raw(p)?;
        let rel = p.strip_prefix(dir).unwrap_or(p);
        leaves.push(Leaf {
            rel: crate::collect::files::escape_name(rel.as_os_str().as_encoded_bytes()),
            digest,
            size,
        });
    }
    leaves.sort_by(|a, b| a.rel.cmp(&b.rel));
    let sums = objects_of(&leaves, "", &mut |_, _| {});
    Ok(sums
        .last()
        .map(|s| s.tree.clone())
        .unwrap_or_else(|| crate::manifest::tree::Object::default().seal().0))
}

/// The file of a bundle that lists the digest of each of its other files.
pub const BUNDLE_LIST: &str = "bundle.json";

/// Checks one JSON document. A document provbase did not write, or one without its digest,
/// is not vouched for: the first is an error, the second a mismatch.
pub fn verify_file(file: &Path, cwd: &Path) -> Result<Verified> {
    let doc = crate::store::load_json(file)?
        .ok_or_else(|| Error::io(file, std::io::ErrorKind::NotFound.into()))?;
    let Some(kind) = DocKind::of(&doc) else {
        return Err(Error::Json {
            path: file.to_owned(),
            message: "not a provbase document (a baseline, a recorded run or a bundle's file): nothing to verify".into(),
        });
    };
    let mut v = Verified {
        file: file.to_owned(),
        ..Verified::default()
    };
    // a bundle's document of a version this build reads, and of its version's shape
    if matches!(
        kind,
        DocKind::BundleList | DocKind::EnvFingerprint | DocKind::CodebaseFingerprint
    ) {
        let fits = crate::manifest::bundle::version_of(&doc).and_then(|_| {
            crate::schema::Doc::of_bundle(&doc).map_or(Ok(()), |s| crate::schema::validate(s, &doc))
        });
        if let Err(e) = fits {
            v.mismatches.push(format!("refused: {e}"));
            return Ok(v);
        }
    }
    // the document read once as its view: its digest here, its listed files below
    let described = Described::of(&doc);
    let Some(d) = described.digest.clone() else {
        v.mismatches.push(
            "no `digest`: provbase cannot vouch for a document without one (removed by hand?)"
                .into(),
        );
        return Ok(v);
    };
    // a baseline is read as check reads it: one validator for both (schema, version, folder
    // digests, conflict markers)
    if kind == DocKind::Manifest
        && let Err(e) = crate::store::read_if_exists(file)
            .and_then(|b| crate::store::parse(file, b.unwrap_or_default()))
    {
        v.mismatches
            .push(format!("refused as check refuses it: {e}"));
        return Ok(v);
    }
    {
        // a codebase fingerprint's digest covers its file list; any other document's, the rest
        // of the document
        #[derive(serde::Deserialize)]
        struct Files {
            files: Value,
        }
        let want = if kind == DocKind::CodebaseFingerprint {
            let files = Files::deserialize(&doc).map_or(Value::Null, |f| f.files);
            crate::canonical::digest_of(&files)
        } else {
            crate::manifest::compute_digest(&doc)
        };
        if d == want {
            v.matched += 1;
        } else {
            v.mismatches.push(format!(
                "digest: the file says {d}, its content gives {want}"
            ));
        }
    }
    // a bundle lists its own files, relative to its folder
    let root = if kind == DocKind::BundleList {
        file.parent().unwrap_or(Path::new(".")).to_owned()
    } else {
        root_for(file, cwd)
    };
    let mut unlisted = Vec::new();
    let files = listed(&doc, described, &root, &mut unlisted, &mut v.remote);
    // a folder without its objects: every file under it on disk, folded; when that gives the
    // recorded digest, its files are as recorded
    for (rel, tree, missing) in unlisted {
        match folder_digest(&root.join(&rel)) {
            Ok(now) if now.tree == tree.tree => v.matched += 1,
            Ok(now) => v.mismatches.push(format!(
                "{rel}: recorded {} ({} files); the files under it now give {} ({} files), and its object {missing} (if the glob named only some of its files, bring the object to check them)",
                tree.tree.0, tree.files, now.tree.0, now.files
            )),
            Err(e) => v.mismatches.push(format!("{rel}: cannot read the folder: {e}")),
        }
    }
    // files outside the project are read only where check reads them: a run of harness.toml
    // that allows it (`allow_outside`)
    let outside = kind != DocKind::BundleList && allows_outside(&root, &doc);
    let real_root = root.canonicalize().unwrap_or_else(|_| root.clone());
    for (path, hash) in files {
        let p = if Path::new(&path).is_absolute() {
            PathBuf::from(&path)
        } else {
            root.join(&path)
        };
        if !outside
            && (Path::new(&path).is_absolute()
                || leaves_lexically(&path)
                || p.canonicalize()
                    .is_ok_and(|real| !real.starts_with(&real_root)))
        {
            v.mismatches.push(format!(
                "{path}: outside the project, not read (check reads it only for a run with `allow_outside = true`)"
            ));
            continue;
        }
        if !p.is_file() {
            v.missing.push(path);
            continue;
        }
        match crate::collect::files::sha256_file(&p) {
            Ok(h) if h == hash => v.matched += 1,
            Ok(h) => v.mismatches.push(format!("{path}: listed {hash}, now {h}")),
            Err(e) => v.mismatches.push(format!("{path}: cannot read: {e}")),
        }
    }
    Ok(v)
}

/// Whether a relative path climbs out of its folder with `..`.
fn leaves_lexically(path: &str) -> bool {
    let mut depth = 0i64;
    for c in Path::new(path).components() {
        match c {
            std::path::Component::ParentDir => depth -= 1,
            std::path::Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

/// Whether the run a document records allows files outside the project, as harness.toml at
/// `root` says; `false` without one.
fn allows_outside(root: &Path, doc: &Value) -> bool {
    let Some(run) = doc.get("run").and_then(Value::as_str) else {
        return false;
    };
    crate::config::Config::load(&root.join(crate::config::FILE_NAME))
        .ok()
        .and_then(|c| c.run(run).map(|r| r.allow_outside))
        .unwrap_or(false)
}

/// Checks files, folders of runs, and bundles (a folder holding `provenance/` or the
/// `provenance/` folder itself).
pub fn verify(target: &Path, cwd: &Path) -> Result<Vec<Verified>> {
    if target.is_dir() {
        let dir = if target.join("provenance").is_dir() {
            target.join("provenance")
        } else {
            target.to_owned()
        };
        let list = dir.join(BUNDLE_LIST);
        let files: Vec<PathBuf> = [
            BUNDLE_LIST,
            "repro.json",
            "codebase_fingerprint.json",
            "env_fingerprint.json",
            "run.json",
        ]
        .iter()
        .map(|f| dir.join(f))
        .filter(|p| p.is_file())
        .collect();
        if files.is_empty() {
            return Err(Error::Usage(format!(
                "{}: no provenance files to verify here",
                target.display()
            )));
        }
        let mut out: Vec<Verified> = files
            .iter()
            .map(|f| verify_file(f, cwd))
            .collect::<Result<_>>()?;
        if !list.is_file() && dir.join("RUN.md").is_file() {
            out.push(Verified {
                file: list,
                mismatches: vec![
                    "missing: without its list of files, the bundle's other files cannot be vouched for"
                        .into(),
                ],
                ..Verified::default()
            });
        }
        return Ok(out);
    }
    Ok(vec![verify_file(target, cwd)?])
}
