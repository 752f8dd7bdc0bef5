//! `provbase bundle DIR`: a `provenance/` folder beside a run's outputs — `repro.json` (the
//! canonical, time-free manifest), `git.diff`, `env.txt`, `events.jsonl`, `RUN.md`,
//! `env_fingerprint.json` and `codebase_fingerprint.json`.

use crate::error::{Error, Result};
use crate::manifest::types::{Described, Event, ParamsRecord};
use crate::redact::secret_variable as looks_secret;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What a bundle describes.
pub enum Source<'a> {
    /// A configured run, collected now.
    Configured(&'a crate::session::Session, &'a crate::config::RunSpec),
    /// A recorded run.
    Recorded(&'a super::RecordedRun),
}

fn canonical_line(v: &Value) -> Vec<u8> {
    let mut b = crate::canonical::jcs_bytes(v);
    b.push(b'\n');
    b
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf> {
    let p = dir.join(name);
    // a bundle holds environment values and the state of the tree: owner only
    crate::store::write_if_changed_as(&p, bytes, crate::store::Mode::Private)?;
    Ok(p)
}

/// `KEY=value` for every environment variable, sorted, redacted as the manifest's environment
/// is ([`crate::redact`]).
pub fn env_txt(host: &crate::collect::Host) -> String {
    let mut vars: Vec<(String, String)> = host
        .vars()
        .into_iter()
        .map(|(k, v)| (k, v.to_string_lossy().into_owned()))
        .collect();
    vars.sort();
    let mut out = String::new();
    for (k, v) in vars {
        let v = if looks_secret(&k) {
            crate::redact::keyed(v.as_bytes())
        } else {
            crate::redact::scrub_str(&v).into_owned()
        };
        let _ = writeln!(out, "{k}={}", v.replace('\n', "\\n"));
    }
    out
}

/// The machine the bundle was made on, as drifting_models' and mfcl's snapshots say it: the
/// Python interpreter, the working folder, CPUs, memory, disk, the GPUs as `nvidia-smi` lists
/// them, and git's HEAD. Paths under the home folder are written `~/…`.
fn env_snapshot(root: &Path, m: &Described, host: &crate::collect::Host) -> Value {
    use crate::manifest::Or;
    use crate::manifest::bundle::{Disk, EnvSnapshot};
    use crate::redact::home_relative;
    let run = |argv: &[&str]| {
        let argv: Vec<String> = argv.iter().map(|a| (*a).to_owned()).collect();
        crate::collect::command::run(&argv, root, std::time::Duration::from_secs(10))
            .map(|o| crate::redact::scrub_str(o.stdout.trim()).into_owned())
    };
    let python = run(&["python3", "-c", "import sys; print(sys.executable)"]).map_or_else(
        |_| Or::unavailable("python3 is not installed"),
        |p| Or::Value(home_relative(&p)),
    );
    let gpus = run(&[
        "nvidia-smi",
        "--query-gpu=name,driver_version,memory.total",
        "--format=csv,noheader",
    ])
    .map_or_else(
        |_| Or::unavailable("nvidia-smi is not installed or found no GPU"),
        |t| Or::Value(t.lines().map(|l| l.trim().to_owned()).collect()),
    );
    #[cfg(unix)]
    let disk = rustix::fs::statvfs(root).map_or_else(
        |e| Or::unavailable(e.to_string()),
        |s| {
            let gib = |blocks: u64| (blocks.saturating_mul(s.f_frsize) >> 30) as f64;
            Or::Value(Disk {
                total_gib: gib(s.f_blocks),
                free_gib: gib(s.f_bavail),
            })
        },
    );
    #[cfg(not(unix))]
    let disk = Or::unavailable("not measured on this platform");
    let cwd = std::env::current_dir().map_or_else(
        |e| Or::unavailable(e.to_string()),
        |d| Or::Value(home_relative(&d.to_string_lossy())),
    );
    let head = git2::Repository::discover(root)
        .ok()
        .and_then(|r| r.head().ok()?.target())
        .map_or_else(
            || Or::unavailable("not a git repository"),
            |o| Or::Value(o.to_string()),
        );
    EnvSnapshot {
        head: crate::manifest::value::Head {
            kind: String::new(),
            version: 0,
        },
        provbase: host.version.clone(),
        python_executable: python,
        cwd,
        cpu_count: std::thread::available_parallelism()
            .ok()
            .map(|n| n.get() as u64),
        cpu: m.hardware.as_ref().map(|h| h.cpu.clone()),
        memory_gib: m.hardware.as_ref().map(|h| h.memory_gib.clone()),
        disk,
        nvidia_smi: gpus,
        git_head: head,
        digest: crate::manifest::Sha256(String::new()),
    }
    .seal()
}

fn env_fingerprint(m: &Described, host: &crate::collect::Host) -> Value {
    let h = m.hardware.as_ref();
    // the GPU inventory is the vendor tool's document
    let gpus = h.map(|h| &h.gpus);
    let names: Vec<Value> = gpus
        .and_then(|g| g.get("devices")?.as_array())
        .map(|d| {
            d.iter()
                .map(|g| g.get("name").cloned().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    crate::manifest::bundle::EnvFingerprint::sealed(
        &host.version,
        h.map(|h| h.os.clone()),
        h.and_then(|h| h.cpu.value()),
        h.map(|h| h.memory_gib.clone()),
        names,
        gpus.and_then(|g| g.get("driver_version")).cloned(),
        m.runtime.clone(),
    )
}

/// A command line as a POSIX shell reads it back.
fn shell_line(cmd: &[String]) -> String {
    cmd.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
            {
                a.to_owned()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A value as JSON text (`null` when absent).
fn shown<T: serde::Serialize>(v: Option<&T>) -> String {
    serde_json::to_value(v).unwrap_or_default().to_string()
}

fn run_md(m: &Described, events: &[Event], recorded: Option<&super::RecordedRun>) -> String {
    let mut s = String::new();
    md_header(&mut s, m, events, recorded);
    md_inputs(&mut s, m);
    md_reproduce(&mut s, m);
    s
}

/// The title, and the command, times, code and machine in a list.
fn md_header(
    s: &mut String,
    m: &Described,
    events: &[Event],
    recorded: Option<&super::RecordedRun>,
) {
    let code = m.code.as_ref();
    let title = recorded
        .map(|r| {
            format!(
                "run {}{}",
                r.id,
                m.name
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            )
        })
        .or_else(|| m.run.as_deref().map(|r| format!("run `{r}`")))
        .unwrap_or_default();
    let _ = writeln!(s, "# Provenance of {title}\n");
    if let Some(cmd) = &m.command {
        let _ = writeln!(s, "- **Command:** `{}`", shell_line(cmd));
        let _ = writeln!(s, "- **Exit status:** {}", shown(m.exit_status.as_ref()));
    }
    if let (Some(first), Some(last)) = (events.first(), events.last()) {
        let _ = writeln!(
            s,
            "- **When:** {} – {}",
            first.time.as_deref().unwrap_or("?"),
            last.time.as_deref().unwrap_or("?")
        );
    }
    let _ = writeln!(
        s,
        "- **Code:** commit `{}` on `{}`, {}",
        code.and_then(|c| c.git_sha.value())
            .map_or("(not in git)", String::as_str),
        code.and_then(|c| c.branch.as_ref()?.value())
            .map_or("(detached or unknown)", String::as_str),
        if is_dirty(m) {
            "with uncommitted changes (see `git.diff`)"
        } else {
            "clean"
        }
    );
    let h = m.hardware.as_ref();
    let _ = writeln!(
        s,
        "- **Machine:** {} {}, {} GiB",
        h.and_then(|h| h.os.name.value())
            .map_or("?", String::as_str),
        h.and_then(|h| h.cpu.value())
            .map_or("?", |c| c.arch.as_str()),
        shown(h.map(|h| &h.memory_gib))
    );
    if let Some(status) = code
        .and_then(|c| c.status.as_ref()?.value())
        .filter(|s| !s.is_empty())
    {
        let _ = writeln!(s, "\n## Uncommitted files\n");
        for line in status {
            let _ = writeln!(s, "- `{line}`");
        }
    }
}

fn is_dirty(m: &Described) -> bool {
    m.code.as_ref().and_then(|c| c.dirty.value()) == Some(&true)
}

/// What the run read: parameters, kernels, registered names and files.
fn md_inputs(s: &mut String, m: &Described) {
    let (file, params) = match &m.params {
        Some(ParamsRecord::File(p)) => (Some(p), p.content.as_object()),
        Some(ParamsRecord::Table(t)) => (None, Some(t)),
        None => (None, None),
    };
    if let Some(p) = params.filter(|o| !o.is_empty()) {
        let _ = writeln!(s, "\n## Parameters\n");
        if let Some(f) = file {
            let _ = writeln!(s, "From `{}` ({}).\n", f.path, f.sha256.0);
        }
        for (k, v) in p {
            let _ = writeln!(s, "- `{k}` = `{v}`");
        }
    }
    if let Some(kernels) = m.spice_kernels.as_ref().filter(|k| !k.is_empty()) {
        let _ = writeln!(s, "\n## SPICE kernels (load order)\n");
        for k in kernels {
            let _ = writeln!(s, "1. `{}` {}", k.path, k.sha256.0);
        }
    }
    for (names, title) in [
        (&m.technique_names, "Techniques"),
        (&m.extractor_names, "Extractors"),
    ] {
        if let Some(names) = names.as_ref().filter(|n| !n.is_empty()) {
            let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            let _ = writeln!(s, "\n## {title}\n\n{}", names.join(", "));
        }
    }
    for (files, title) in [
        (&m.inputs, "Inputs"),
        (&m.static_data_hashes, "Static data"),
        (&m.outputs, "Outputs"),
    ] {
        if let Some(files) = files.as_ref().filter(|o| !o.is_empty()) {
            let _ = writeln!(s, "\n## {title}\n");
            for (path, f) in files {
                match f {
                    crate::manifest::types::FileRecord::Tree(t) => {
                        let _ = writeln!(
                            s,
                            "- `{path}` {} (a folder: {} files, {} bytes)",
                            t.tree.0, t.files, t.bytes
                        );
                    }
                    crate::manifest::types::FileRecord::Object(o) => {
                        let _ = writeln!(s, "- `{path}` (in a store: {})", o.describe());
                    }
                    f => {
                        let _ = writeln!(s, "- `{path}` {}", f.hash().unwrap_or("(unavailable)"));
                    }
                }
            }
        }
    }
}

/// The commands that reproduce the run.
fn md_reproduce(s: &mut String, m: &Described) {
    let code = m.code.as_ref();
    let _ = writeln!(s, "\n## How to reproduce\n\n```sh");
    if let Some(sha) = code.and_then(|c| c.git_sha.value()) {
        let _ = writeln!(s, "git checkout {sha}");
        let untracked = code.and_then(|c| c.untracked.value()).copied().unwrap_or(0);
        if is_dirty(m) || untracked > 0 {
            let _ = writeln!(s, "git apply provenance/git.diff");
        }
    }
    if let Some(cmd) = &m.command {
        let _ = writeln!(s, "{}", shell_line(cmd));
    } else if let Some(run) = &m.run {
        let _ = writeln!(s, "provbase check {run}");
    }
    let _ = writeln!(
        s,
        "```\n\n`repro.json` holds the time-free manifest; `provbase verify provenance/` re-checks its hashes."
    );
}

/// The tree a bundle carries: the patch, the untracked files' list, and the fingerprint.
struct Tree {
    diff: String,
    untracked: String,
    fingerprint: Value,
}

/// A recorded run carries the tree it ran on; the tree of now would belong to another run.
fn recorded_tree(r: &super::RecordedRun, untracked_contents: bool) -> Result<Tree> {
    let kept = |name: &str| {
        std::fs::read(r.dir.join(name)).map_err(|_| {
            Error::Usage(format!(
                "run {} was recorded without the state of its tree ({name}), so a bundle would pair it with today's tree; record it again",
                r.id
            ))
        })
    };
    if untracked_contents {
        return Err(Error::Usage(
            "--untracked-contents applies to a configured run: a recorded run keeps its untracked files by name and hash only".into(),
        ));
    }
    Ok(Tree {
        diff: String::from_utf8_lossy(&kept(super::tree::TREE_DIFF)?).into_owned(),
        untracked: String::from_utf8_lossy(&kept(super::tree::TREE_UNTRACKED)?).into_owned(),
        fingerprint: {
            let path = r.dir.join(super::tree::TREE_FINGERPRINT);
            let kept = crate::canonical::parse_strict(&kept(super::tree::TREE_FINGERPRINT)?)
                .map_err(|e| Error::Json {
                    path: path.clone(),
                    message: format!("not valid JSON: {e}"),
                })?;
            let read = crate::manifest::bundle::CodebaseFingerprint::read(&kept)
                .map_err(|source| Error::Document { path, source })?;
            serde_json::to_value(read).map_err(|e| Error::serialize("codebase_fingerprint.json", e))?
        },
    })
}

/// The tree as it is now, leaving out the bundle's own folder and `.prov/`.
fn current_tree(root: &Path, dir: &Path, untracked_contents: bool) -> Tree {
    let excluded = [
        dir.to_owned(),
        crate::disk::local(root, crate::disk::Local::Root),
    ];
    let (diff, untracked) =
        super::tree::git_diff(root, &excluded, untracked_contents).unwrap_or_default();
    Tree {
        diff,
        untracked: untracked
            .iter()
            .map(|(p, h)| format!("{h}  {p}\n"))
            .collect(),
        fingerprint: super::tree::codebase_fingerprint(root),
    }
}

/// The document a bundle describes and its events so far.
fn described_run(root: &Path, source: &Source) -> Result<(Value, Vec<Event>)> {
    Ok(match source {
        Source::Configured(session, run) => {
            let mut full = session.collect_typed(run)?;
            let collected_at = full.pipeline_run_iso8601.clone();
            // the tree's status beside the manifest, as the recorded runs keep it
            full.code.status = Some(super::tree::porcelain(root));
            let m = session.strip_document(run, crate::manifest::document(full))?;
            let ev = vec![Event {
                event: "collect".into(),
                run: Some(run.name.clone()),
                time: collected_at,
                ..Default::default()
            }];
            (m, ev)
        }
        Source::Recorded(r) => (r.doc.clone(), r.events.clone()),
    })
}

/// Writes `out/provenance/` and returns the files written.
///
/// `untracked_contents`: put untracked files' contents into `git.diff` (by default they are
/// listed by name and hash in `untracked.txt`, since an untracked `.env` or key file is
/// exactly what must not travel).
pub fn bundle(
    root: &Path,
    out: &Path,
    source: Source,
    untracked_contents: bool,
    host: &crate::collect::Host,
) -> Result<Vec<PathBuf>> {
    let dir = out.join("provenance");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let now = host.now_iso8601();
    let (manifest, mut events) = described_run(root, &source)?;
    events.push(Event {
        event: "bundle".into(),
        time: Some(now),
        ..Default::default()
    });
    let recorded = match source {
        Source::Recorded(r) => Some(r),
        Source::Configured(..) => None,
    };
    let tree = match recorded {
        Some(r) => recorded_tree(r, untracked_contents)?,
        None => current_tree(root, &dir, untracked_contents),
    };
    let described = Described::of(&manifest);
    let ev: String = events.iter().map(|e| e.line() + "\n").collect();
    let pretty = crate::canonical::pretty_bytes;
    let files: [(&str, Vec<u8>); 9] = [
        ("repro.json", canonical_line(&manifest)),
        ("git.diff", tree.diff.into_bytes()),
        ("untracked.txt", tree.untracked.into_bytes()),
        ("env.txt", env_txt(host).into_bytes()),
        ("events.jsonl", ev.into_bytes()),
        ("RUN.md", run_md(&described, &events, recorded).into_bytes()),
        (
            "env_fingerprint.json",
            pretty(&env_fingerprint(&described, host)),
        ),
        ("codebase_fingerprint.json", pretty(&tree.fingerprint)),
        (
            "env_snapshot.json",
            pretty(&env_snapshot(root, &described, host)),
        ),
    ];
    let mut written = Vec::new();
    for (name, bytes) in &files {
        written.push(write(&dir, name, bytes)?);
    }
    // the digest of every file written, so that an edit to any of them is caught by verify
    let listed = files
        .iter()
        .map(|(name, bytes)| {
            let digest = crate::manifest::Sha256(crate::canonical::sha256_tagged(bytes));
            ((*name).to_owned(), digest)
        })
        .collect();
    let list = crate::manifest::bundle::BundleList::sealed(listed);
    written.push(write(&dir, super::verify::BUNDLE_LIST, &pretty(&list))?);
    Ok(written)
}
