//! `provbase record`: run a command, then write what it ran with, on and produced. The run id
//! is a prefix of the digest of the run's time-free content, so an identical re-run has the
//! same id and only adds events; times live only in `events.jsonl`.

use crate::collect::{Facts, command, environment, files};
use crate::error::{Error, Result};
use crate::manifest::types::{Event, FileEntry, Params, Run, Runtime};
use crate::manifest::{Or, Sha256};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The `kind` of a run document.
use crate::manifest::RUN_KIND as KIND;

/// Hex digits of the digest that make a run id.
pub const ID_LEN: usize = 12;

/// What `provbase record` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct RecordOptions {
    /// A name for the run.
    pub name: Option<String>,
    /// Files or folders the command reads.
    pub inputs: Vec<PathBuf>,
    /// Files or folders the command writes.
    pub outputs: Vec<PathBuf>,
    /// A parameters file (JSON, YAML or TOML), hashed and parsed.
    pub params: Option<PathBuf>,
    /// Labels.
    pub tags: Vec<String>,
    /// Record without running the command.
    pub no_exec: bool,
    /// Globs of the code the run depends on (as `code` in harness.toml), recorded under
    /// `code.scope`.
    pub code: Vec<String>,
    /// Toolchains and package sets to record (as `runtime` in harness.toml).
    pub runtime: Vec<String>,
    /// The command and its arguments.
    pub command: Vec<String>,
}

/// What `record` did.
#[derive(Debug)]
pub struct Recorded {
    /// The run id.
    pub id: String,
    /// Its folder.
    pub dir: PathBuf,
    /// The command's exit status (0 with `--no-exec`).
    pub exit_code: i32,
    /// Whether an identical run was recorded before.
    pub repeated: bool,
}

/// The folder holding recorded runs.
pub fn runs_dir(root: &Path) -> PathBuf {
    crate::disk::local(root, crate::disk::Local::Runs)
}

/// The project folder for `record`: the nearest folder with harness.toml, else the git
/// work tree, else the current folder.
pub fn project_root(cwd: &Path) -> PathBuf {
    if let Ok(cfg) = crate::config::Config::discover(cwd) {
        return cfg
            .parent()
            .map(Path::to_owned)
            .unwrap_or_else(|| cwd.to_owned());
    }
    git2::Repository::discover(cwd)
        .ok()
        .and_then(|r| r.workdir().map(Path::to_owned))
        .unwrap_or_else(|| cwd.to_owned())
}

/// A path as a run records it: relative to the root when inside it, `~/…` under the home
/// folder, else as given.
pub fn shown_path(root: &Path, p: &Path) -> String {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
    let canon_root = root.canonicalize().unwrap_or_else(|_| root.to_owned());
    let canon = abs.canonicalize().unwrap_or(abs.clone());
    match canon
        .strip_prefix(&canon_root)
        .or_else(|_| abs.strip_prefix(root))
    {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().replace('\\', "/"),
        _ => crate::redact::home_relative(&abs.to_string_lossy()),
    }
}

/// Recorded files: path → hash and size, or why not.
pub type FileSet = BTreeMap<String, Or<FileEntry>>;

/// Each file under the given files and folders (walked in sorted order) with its hash and size.
/// A path that does not exist is recorded as unavailable.
pub fn file_set(root: &Path, facts: &Facts, paths: &[PathBuf]) -> Result<FileSet> {
    let mut out = FileSet::new();
    for p in paths {
        if !p.exists() {
            out.insert(shown_path(root, p), Or::unavailable("does not exist"));
            continue;
        }
        let mut found = Vec::new();
        files::walk(p, &mut found).map_err(|e| Error::io(p, e))?;
        // hashed together: in parallel, and through the stat cache
        for (f, sha) in found.iter().zip(facts.files().hash_all(&found)) {
            let sha = sha.map_err(|e| Error::io(f, e))?;
            let size = std::fs::metadata(f).map_err(|e| Error::io(f, e))?.len();
            out.insert(
                shown_path(root, f),
                Or::Value(FileEntry {
                    sha256: Sha256(sha),
                    size,
                }),
            );
        }
    }
    Ok(out)
}

/// The input files whose content, or presence, differs from `before`.
fn changed_inputs(root: &Path, inputs: &[PathBuf], before: &FileSet) -> Result<Vec<String>> {
    let mut now = BTreeMap::new();
    for p in inputs {
        let mut found = Vec::new();
        if p.exists() {
            files::walk(p, &mut found).map_err(|e| Error::io(p, e))?;
        }
        for f in found {
            let sha = files::sha256_file(&f).map_err(|e| Error::io(&f, e))?;
            now.insert(shown_path(root, &f), Sha256(sha));
        }
    }
    let mut changed: Vec<String> = before
        .iter()
        .filter(|(k, v)| v.value().is_some_and(|e| now.get(*k) != Some(&e.sha256)))
        .map(|(k, _)| k.clone())
        .chain(now.keys().filter(|k| !before.contains_key(*k)).cloned())
        .collect();
    changed.sort();
    changed.dedup();
    Ok(changed)
}

/// The hashes of the files the `--code` globs name, as check records `code.scope`.
fn code_scope(
    root: &Path,
    facts: &Facts,
    globs: &[String],
) -> Result<Option<BTreeMap<String, Sha256>>> {
    if globs.is_empty() {
        return Ok(None);
    }
    let specs: Vec<crate::config::GlobSpec> = globs
        .iter()
        .map(|g| crate::config::GlobSpec {
            max_entries: None,
            pattern: g.clone(),
            line: 0,
        })
        .collect();
    let matched = files::expand(
        root,
        &specs,
        "--code",
        &|p| facts.repo().ignores(p),
        (false, false),
        facts.host().threads,
    )
    .map_err(|m| Error::Usage(m.to_string()))?;
    let paths: Vec<PathBuf> = matched.iter().map(|m| m.abs.clone()).collect();
    let mut out = BTreeMap::new();
    for (m, h) in matched.iter().zip(facts.files().hash_all(&paths)) {
        out.insert(m.rel.clone(), Sha256(h.map_err(|e| Error::io(&m.abs, e))?));
    }
    Ok(Some(out))
}

/// Reads a parameters file: JSON, TOML (by extension) or YAML; its hash and parsed content.
pub fn params_of(root: &Path, path: &Path) -> Result<Params> {
    let bytes = crate::disk::read_regular(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8_lossy(&bytes);
    let bad = |m: String| Error::Json {
        path: path.to_owned(),
        message: m,
    };
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let mut content: Value = match ext {
        "json" => crate::canonical::parse_strict(&bytes)
            .map_err(|e| bad(format!("not valid JSON: {e}")))?,
        "toml" => {
            let t: toml::Table = toml::from_str(&text)
                .map_err(|e| bad(format!("not valid TOML: {}", e.message())))?;
            serde_json::to_value(t).map_err(|e| bad(e.to_string()))?
        }
        _ => crate::canonical::parse_yaml_strict(&text)
            .map_err(|e| bad(format!("not valid YAML: {e}")))?,
    };
    crate::canonical::stringify_big_integers(&mut content);
    crate::redact::scrub_json(&mut content);
    Ok(Params {
        path: shown_path(root, path),
        sha256: Sha256(crate::canonical::sha256_tagged(&bytes)),
        content,
    })
}

/// The digest of the time-free content that names a run: everything but its labels.
pub fn id_of(doc: &Value) -> String {
    let mut m = doc.as_object().cloned().unwrap_or_default();
    for k in crate::manifest::keys::RUN_LABELS
        .iter()
        .chain([&crate::manifest::keys::DIGEST])
    {
        m.remove(*k);
    }
    let d = crate::canonical::digest_of(&Value::Object(m));
    d[7..7 + ID_LEN].to_owned()
}

fn exit_code_of(status: std::process::ExitStatus) -> i32 {
    if let Some(c) = status.code() {
        return c;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return 128 + sig;
        }
    }
    1
}

/// Runs the command (its stdin, stdout and stderr pass through) and records it.
pub fn record(cwd: &Path, opts: &RecordOptions) -> Result<Recorded> {
    record_on(cwd, opts, crate::collect::Host::this_machine())
}

/// What a run's execution looked like: when it started and ended, and how it exited.
struct Execution {
    started: String,
    started_ms: u128,
    ended: String,
    ended_ms: u128,
    exit_code: Option<i32>,
}

/// The tree before the command ran, kept for a later bundle of this run.
struct TreeState {
    diff: Option<(String, Vec<(String, String)>)>,
    fingerprint: Value,
}

/// Runs the command (unless `--no-exec`), its stdin, stdout and stderr passing through.
fn execute(cwd: &Path, opts: &RecordOptions, host: &crate::collect::Host) -> Result<Execution> {
    let (started, started_ms) = (host.now_iso8601(), host.unix_ms());
    let exit_code = if opts.no_exec {
        None
    } else {
        let status = std::process::Command::new(&opts.command[0])
            .args(&opts.command[1..])
            .current_dir(cwd)
            .status()
            .map_err(|e| {
                Error::Command(Box::new(crate::collect::CollectError::CouldNotStart {
                    command: command::display(&opts.command),
                    source: e.into(),
                }))
            })?;
        Some(exit_code_of(status))
    };
    Ok(Execution {
        started,
        started_ms,
        ended: host.now_iso8601(),
        ended_ms: host.unix_ms(),
        exit_code,
    })
}

/// Labels a run (its id from its time-free content; the tags and name it had, and the new
/// ones) and writes its `run.json`. Returns the id and whether it was recorded before.
fn label_and_write(root: &Path, run: &Run, opts: &RecordOptions) -> Result<(String, bool)> {
    let mut doc = serde_json::to_value(run).map_err(|e| Error::serialize("the recorded run", e))?;
    crate::strip::strip(&mut doc, &crate::strip::builtin_rules()).map_err(|e| Error::Strip {
        context: "the recorded run".into(),
        source: Box::new(e),
    })?;
    let id = id_of(&doc);
    let run_path = runs_dir(root).join(&id).join("run.json");
    let previous: Option<Run> = crate::store::load_json(&run_path)
        .ok()
        .flatten()
        .and_then(|p| serde_json::from_value(p).ok());
    let repeated = previous.is_some();
    let (old_tags, old_name) = previous.map_or((Vec::new(), None), |p| (p.tags, p.name));
    let mut tags: Vec<String> = old_tags
        .into_iter()
        .chain(opts.tags.iter().cloned())
        .collect();
    tags.sort();
    tags.dedup();
    // the stripped document as its type again, labelled
    let mut run: Run =
        serde_json::from_value(doc).map_err(|e| Error::serialize("the recorded run", e))?;
    run.id = id.clone();
    run.tags = tags;
    run.name = opts.name.clone().or(old_name);
    let mut doc =
        serde_json::to_value(&run).map_err(|e| Error::serialize("the recorded run", e))?;
    crate::manifest::seal(&mut doc);
    crate::store::write_if_changed(&run_path, &crate::canonical::pretty_bytes(&doc))?;
    Ok((id, repeated))
}

/// Writes the tree's state beside the run, for a later bundle.
fn write_tree(dir: &Path, tree: &TreeState) -> Result<()> {
    if let Some((diff, untracked)) = &tree.diff {
        let private = crate::store::Mode::Private;
        crate::store::write_if_changed_as(
            &dir.join(super::tree::TREE_DIFF),
            diff.as_bytes(),
            private,
        )?;
        let listed: String = untracked
            .iter()
            .map(|(p, h)| format!("{h}  {p}\n"))
            .collect();
        crate::store::write_if_changed_as(
            &dir.join(super::tree::TREE_UNTRACKED),
            listed.as_bytes(),
            private,
        )?;
    }
    crate::store::write_if_changed(
        &dir.join(super::tree::TREE_FINGERPRINT),
        &crate::canonical::pretty_bytes(&tree.fingerprint),
    )?;
    Ok(())
}

/// Appends the run's start and end to its `events.jsonl`.
fn append_events(dir: &Path, id: &str, ex: &Execution, opts: &RecordOptions) -> Result<()> {
    let events = dir.join("events.jsonl");
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&events)
        .map_err(|e| Error::io(&events, e))?;
    // milliseconds since the Unix epoch as strings (JCS writes numbers as doubles), to order
    // events within one second
    let lines = [
        Event {
            event: "start".into(),
            id: Some(id.to_owned()),
            time: Some(ex.started.clone()),
            unix_ms: Some(ex.started_ms.to_string()),
            ..Default::default()
        },
        Event {
            event: "end".into(),
            id: Some(id.to_owned()),
            time: Some(ex.ended.clone()),
            unix_ms: Some(ex.ended_ms.to_string()),
            exit_status: Some(ex.exit_code),
            duration_ms: Some(ex.ended_ms.saturating_sub(ex.started_ms) as u64),
            executed: Some(!opts.no_exec),
            tags: Some(opts.tags.clone()),
            ..Default::default()
        },
    ];
    for l in lines {
        writeln!(f, "{}", l.line()).map_err(|e| Error::io(&events, e))?;
    }
    Ok(())
}

/// The `--code` globs and `--runtime` tools: those given, else, for a run named as a configured
/// one, what check records for it.
fn code_and_runtime(cwd: &Path, opts: &RecordOptions) -> (Vec<String>, Vec<String>) {
    let configured = opts.name.as_ref().and_then(|n| {
        let path = crate::config::Config::discover(cwd).ok()?;
        let config = crate::config::Config::load(&path).ok()?;
        config.run(n).cloned()
    });
    let code_globs: Vec<String> = match (&configured, opts.code.is_empty()) {
        (Some(r), true) => r.code.iter().map(|g| g.pattern.clone()).collect(),
        _ => opts.code.clone(),
    };
    let runtime_tools: Vec<String> = match (&configured, opts.runtime.is_empty()) {
        (Some(r), true) => r.runtime.clone(),
        _ => opts.runtime.clone(),
    };
    (code_globs, runtime_tools)
}

/// A location in a store given to `--inputs` or `--outputs` is refused (it would be taken for a
/// local path that does not exist): `record` reads local files; a run's locations are named in
/// harness.toml. The location is named only as its parse gives it, so a credential written in
/// it is not repeated.
fn refuse_locations(opts: &RecordOptions) -> Result<()> {
    use crate::config::location::Location;
    for (flag, paths) in [("--inputs", &opts.inputs), ("--outputs", &opts.outputs)] {
        for p in paths {
            let text = p.to_string_lossy();
            if !Location::looks_remote(&text) {
                continue;
            }
            let shown = match Location::parse(&text) {
                Ok(l) => format!("`{}`", l.url),
                Err(_) => format!("a `{}://` location", text.split("://").next().unwrap_or("")),
            };
            let instead = if flag == "--inputs" {
                "name it in a run's `inputs` or `static_data` in harness.toml, where `provbase check` records it"
            } else {
                "outputs are recorded on local disk only"
            };
            return Err(Error::Usage(format!(
                "{flag}: {shown} is in an object store; `record` reads local files and folders: {instead}"
            )));
        }
    }
    Ok(())
}

/// Like [`record`], on a given host (a pinned clock, environment or hardware).
pub fn record_on(cwd: &Path, opts: &RecordOptions, host: crate::collect::Host) -> Result<Recorded> {
    if opts.command.is_empty() {
        return Err(Error::Usage("record needs a command after `--`".into()));
    }
    refuse_locations(opts)?;
    let root = project_root(cwd);
    let prov = crate::disk::local(&root, crate::disk::Local::Root);
    let facts = Facts::on(&root, vec![prov.clone()], host);
    let host = facts.host();
    let (code_globs, runtime_tools) = code_and_runtime(cwd, opts);
    let abs = |p: &PathBuf| {
        if p.is_absolute() {
            p.clone()
        } else {
            cwd.join(p)
        }
    };
    // what the command reads is recorded as it was before it ran
    let inputs: Vec<PathBuf> = opts.inputs.iter().map(abs).collect();
    let inputs_before = file_set(&root, &facts, &inputs)?;
    let params = opts
        .params
        .as_ref()
        .map(|p| params_of(&root, &abs(p)))
        .transpose()?;
    let scope = code_scope(&root, &facts, &code_globs)?;
    let tree = TreeState {
        diff: super::tree::git_diff(&root, &[prov], false).ok(),
        fingerprint: super::tree::codebase_fingerprint(&root),
    };
    let ex = execute(cwd, opts, host)?;
    let outputs: Vec<PathBuf> = opts.outputs.iter().map(abs).collect();
    // inputs the command changed: hashed again from disk (not through the memo of this
    // process, which holds the hashes taken before)
    let inputs_changed = changed_inputs(&root, &inputs, &inputs_before)?;
    if !inputs_changed.is_empty() {
        eprintln!(
            "provbase: warning: the command changed its inputs (recorded as they were before it ran): {}",
            inputs_changed.join(", ")
        );
    }
    let mut code = facts.repo().code().clone();
    code.scope = scope;
    code.status = Some(super::tree::porcelain(&root));
    let run = Run {
        format_version: crate::manifest::RUN_FORMAT_VERSION,
        kind: KIND.to_owned(),
        id: String::new(),
        name: None,
        tags: Vec::new(),
        command: crate::redact::redact_args(&opts.command),
        exit_status: ex.exit_code.map_or_else(
            || Or::unavailable("not executed (--no-exec)"),
            |c| Or::Value(i64::from(c)),
        ),
        inputs: inputs_before,
        outputs: file_set(&root, &facts, &outputs)?,
        params,
        inputs_changed: (!inputs_changed.is_empty()).then_some(inputs_changed),
        code,
        runtime: Runtime {
            provbase: host.version.clone(),
            tools: runtime_tools
                .iter()
                .map(|tool| (tool.clone(), facts.runtime(tool)))
                .collect(),
        },
        environment: environment::collect(&[], host),
        hardware: facts.hardware().clone(),
        digest: Sha256::default(),
    };
    let (id, repeated) = label_and_write(&root, &run, opts)?;
    let dir = runs_dir(&root).join(&id);
    write_tree(&dir, &tree)?;
    append_events(&dir, &id, &ex, opts)?;
    Ok(Recorded {
        id,
        dir,
        exit_code: ex.exit_code.unwrap_or(0),
        repeated,
    })
}
