//! The recorded runs under `.prov/runs/`: listing them, and resolving a reference — a run id
//! or a unique prefix of one, a tag, `#N` (the N-th newest), or a JSON file.

use super::run::runs_dir;
use crate::error::{Error, Result};
use crate::manifest::types::{Described, DocKind, Event};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One recorded run.
#[derive(Debug, Clone)]
pub struct RecordedRun {
    /// Its id.
    pub id: String,
    /// Its folder.
    pub dir: PathBuf,
    /// Its run.json.
    pub doc: Value,
    /// Its events, in order.
    pub events: Vec<Event>,
}

impl RecordedRun {
    /// The time of the first event.
    pub fn first(&self) -> &str {
        self.events
            .first()
            .and_then(|e| e.time.as_deref())
            .unwrap_or("")
    }

    /// The time of the last event.
    pub fn last(&self) -> &str {
        self.events
            .last()
            .and_then(|e| e.time.as_deref())
            .unwrap_or("")
    }

    fn last_ms(&self) -> u128 {
        self.events
            .iter()
            .filter_map(|e| e.unix_ms.as_deref()?.parse().ok())
            .max()
            .unwrap_or(0)
    }

    /// How many times it ran.
    pub fn executions(&self) -> usize {
        self.events.iter().filter(|e| e.event == "end").count()
    }

    /// Its tags.
    pub fn tags(&self) -> Vec<String> {
        self.described().tags.unwrap_or_default()
    }

    /// Its run.json, as the view every document shares.
    pub fn described(&self) -> Described {
        Described::of(&self.doc)
    }
}

/// Whether a document is a run provbase recorded (`"kind": "provbase.run"`).
pub fn is_provbase_run(doc: &Value) -> bool {
    DocKind::of(doc) == Some(DocKind::Run)
}

/// The `run.json` files under the runs folder that another tool wrote: [`list`] leaves them
/// out, and the CLI says so.
pub fn foreign(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(runs_dir(root)) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path().join("run.json"))
        .filter(|p| {
            crate::store::load_json(p)
                .ok()
                .flatten()
                .is_some_and(|d| !is_provbase_run(&d))
        })
        .collect();
    out.sort();
    out
}

/// Every recorded run under `root`, newest (by last event) first.
pub fn list(root: &Path) -> Result<Vec<RecordedRun>> {
    let dir = runs_dir(root);
    let Some(entries) =
        crate::disk::absent_as_none(std::fs::read_dir(&dir)).map_err(|e| Error::io(&dir, e))?
    else {
        return Ok(Vec::new());
    };
    let mut runs = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io(&dir, e))?.path();
        let run_json = path.join("run.json");
        let Some(doc) = crate::store::load_json(&run_json)? else {
            continue;
        };
        // another tool's run (provenance-recorder writes `.prov/runs/<id>/run.json` too)
        if !is_provbase_run(&doc) {
            continue;
        }
        crate::store::validate_known(&run_json, &doc)?;
        let events_path = path.join("events.jsonl");
        let events = match std::fs::read_to_string(&events_path) {
            Ok(t) => t
                .lines()
                .filter(|l| !l.trim().is_empty())
                .enumerate()
                .map(|(i, l)| {
                    serde_json::from_str(l).map_err(|e| Error::Json {
                        path: events_path.clone(),
                        message: format!("line {}: {e}", i + 1),
                    })
                })
                .collect::<Result<Vec<Event>>>()?,
            Err(_) => Vec::new(),
        };
        let id = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        runs.push(RecordedRun {
            id,
            dir: path,
            doc,
            events,
        });
    }
    runs.sort_by(|a, b| {
        b.last_ms()
            .cmp(&a.last_ms())
            .then_with(|| b.last().cmp(a.last()))
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(runs)
}

/// What a reference names.
#[derive(Debug, Clone)]
pub enum Resolved {
    /// A recorded run.
    Run(Box<RecordedRun>),
    /// A JSON file.
    File(PathBuf, Value),
}

impl Resolved {
    /// The document.
    pub fn doc(&self) -> &Value {
        match self {
            Resolved::Run(r) => &r.doc,
            Resolved::File(_, v) => v,
        }
    }

    /// How to name it in a report.
    pub fn label(&self) -> String {
        match self {
            Resolved::Run(r) => format!("run {}", r.id),
            Resolved::File(p, _) => p.display().to_string(),
        }
    }
}

/// Resolves a reference: an existing file, `#N`, a run id or unique id prefix, or a tag (the
/// newest run with it).
pub fn resolve(root: &Path, cwd: &Path, reference: &str) -> Result<Resolved> {
    let as_path = cwd.join(reference);
    if as_path.is_file() {
        let v = crate::store::load_json(&as_path)?.unwrap_or(Value::Null);
        crate::store::validate_known(&as_path, &v)?;
        if !matches!(DocKind::of(&v), Some(DocKind::Manifest | DocKind::Run)) {
            return Err(Error::Json {
                path: as_path,
                message: "not a provbase manifest, baseline or recorded run".into(),
            });
        }
        return Ok(Resolved::File(PathBuf::from(reference), v));
    }
    let runs = list(root)?;
    if let Some(n) = reference.strip_prefix('#') {
        let n: usize = n.parse().map_err(|_| {
            Error::Usage(format!(
                "`{reference}`: write #N with N a number (#1 is the newest run)"
            ))
        })?;
        return runs
            .into_iter()
            .nth(n.saturating_sub(1))
            .filter(|_| n >= 1)
            .map(|r| Resolved::Run(Box::new(r)))
            .ok_or_else(|| Error::Usage(format!("`{reference}`: there are fewer recorded runs")));
    }
    let by_id: Vec<&RecordedRun> = runs
        .iter()
        .filter(|r| r.id.starts_with(reference))
        .collect();
    match by_id.len() {
        1 => return Ok(Resolved::Run(Box::new(by_id[0].clone()))),
        n if n > 1 => {
            let ids: Vec<&str> = by_id.iter().map(|r| r.id.as_str()).collect();
            return Err(Error::Usage(format!(
                "`{reference}` is the prefix of {n} runs: {}",
                ids.join(", ")
            )));
        }
        _ => {}
    }
    if let Some(r) = runs
        .iter()
        .find(|r| r.tags().iter().any(|t| t == reference))
    {
        return Ok(Resolved::Run(Box::new(r.clone())));
    }
    Err(Error::Usage(format!(
        "`{reference}` is no file, recorded run id, tag or #N (see `provbase runs`)"
    )))
}
