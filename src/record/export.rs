//! `provbase export --in-toto`: an in-toto Statement v1 whose predicate is SLSA Provenance v1.
//! Subjects are the outputs, or the file the document was read from when there are none (a
//! Statement needs one), named from the project's folder with the SHA-256 of its bytes, so that a
//! verifier that hashes the file gets the subject's digest; resolved dependencies the inputs,
//! static data, kernels and code; byproducts the environment and a hardware summary, each with
//! the digest of its canonical JSON. Every ResourceDescriptor has a digest (or a uri), as the
//! in-toto spec requires.

use crate::manifest::types::{Described, Event, FileRecord};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// in-toto's Statement type.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// SLSA Provenance v1's predicate type.
pub const PREDICATE_TYPE: &str = "https://slsa.dev/provenance/v1";

fn descriptor(name: &str, hash: &str) -> Option<Value> {
    let hex = hash.strip_prefix(crate::canonical::SHA256_PREFIX)?;
    Some(json!({ "name": name, "digest": { "sha256": hex } }))
}

/// A byproduct: its value as annotations, and the digest of its canonical JSON.
fn byproduct(name: &str, value: &Value) -> Value {
    let value = if value.is_object() {
        value.clone()
    } else {
        json!({})
    };
    let mut d = descriptor(name, &crate::canonical::digest_of(&value)).unwrap_or_default();
    d["annotations"] = value;
    d
}

fn value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_default()
}

fn from_map(files: &Option<BTreeMap<String, FileRecord>>) -> Vec<Value> {
    files
        .iter()
        .flatten()
        .filter_map(|(p, f)| descriptor(p, f.hash()?))
        .collect()
}

/// What the run resolved: inputs, static data, kernels, code, and the commit.
fn dependencies(d: &Described) -> Vec<Value> {
    let mut deps = from_map(&d.inputs);
    deps.extend(from_map(&d.static_data_hashes));
    deps.extend(
        d.spice_kernels
            .iter()
            .flatten()
            .filter_map(|k| descriptor(&k.path, &k.sha256.0)),
    );
    let code = d.code.as_ref();
    for (p, h) in code.and_then(|c| c.scope.as_ref()).into_iter().flatten() {
        deps.extend(descriptor(p, &h.0));
    }
    if let Some(sha) = code.and_then(|c| c.git_sha.value()) {
        let mut dep = json!({ "name": "source", "digest": { "gitCommit": sha } });
        if let Some(remote) = code.and_then(|c| c.remote.value()) {
            dep["uri"] = json!(format!("git+{remote}@{sha}"));
        }
        deps.push(dep);
    }
    deps
}

/// The file a document was read from: its name as a verifier finds it, and its bytes.
pub struct Source<'a> {
    /// The file's path, as the Statement names it.
    pub name: String,
    /// The file's bytes.
    pub bytes: &'a [u8],
}

/// The Statement for a manifest, a baseline or a recorded run read from `source`, with its
/// events' times when known.
pub fn statement(doc: &Value, events: &[Event], source: &Source) -> Value {
    let d = Described::of(doc);
    let mut subject = from_map(&d.outputs);
    if subject.is_empty() {
        // the document itself, as the file's bytes: its digest covers everything it records
        subject.extend(descriptor(
            &source.name,
            &crate::canonical::sha256_tagged(source.bytes),
        ));
    }
    let deps = dependencies(&d);
    let mut external = Map::new();
    for (k, v) in [
        ("run", d.run.as_ref().map(value)),
        ("command", d.command.as_ref().map(value)),
        ("params", d.params.as_ref().map(value)),
        ("technique_names", d.technique_names.as_ref().map(value)),
        ("extractor_names", d.extractor_names.as_ref().map(value)),
    ] {
        if let Some(v) = v {
            external.insert(k.to_owned(), v);
        }
    }
    let hw = d.hardware.as_ref();
    let hardware = json!({
        "os": hw.map(|h| &h.os), "cpu": hw.map(|h| &h.cpu),
        "memory_gib": hw.map(|h| &h.memory_gib), "gpus": hw.map(|h| &h.gpus),
    });
    let mut metadata = json!({});
    if let Some(id) = &d.id {
        metadata["invocationId"] = json!(id);
    }
    let time = |kind: &str, first: bool| {
        let mut it = events.iter().filter(|e| e.event == kind);
        let e = if first { it.next() } else { it.next_back() };
        e.and_then(|e| e.time.clone())
    };
    if let Some(t) = time("start", true) {
        metadata["startedOn"] = json!(t);
    }
    if let Some(t) = time("end", false) {
        metadata["finishedOn"] = json!(t);
    }
    json!({
        "_type": STATEMENT_TYPE,
        "subject": subject,
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "buildDefinition": {
                "buildType": "urn:provbase:run:v1",
                "externalParameters": external,
                "internalParameters": { "runtime": d.runtime },
                "resolvedDependencies": deps,
            },
            "runDetails": {
                "builder": {
                    "id": "urn:provbase:builder",
                    "version": { "provbase": env!("CARGO_PKG_VERSION") },
                },
                "metadata": metadata,
                "byproducts": [
                    byproduct("environment", &value(&d.environment)),
                    byproduct("hardware", &hardware),
                ],
            },
        },
    })
}
