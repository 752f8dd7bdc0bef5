//! `provbase export --in-toto`: an in-toto Statement v1 whose predicate is SLSA Provenance v1.
//! Subjects are the outputs, or the run document itself when there are none (a Statement needs
//! one); resolved dependencies the inputs, static data, kernels and code; byproducts the
//! environment and a hardware summary, each with the digest of its canonical JSON. Every
//! ResourceDescriptor has a digest (or a uri), as the in-toto spec requires.

use serde_json::{Map, Value, json};

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

fn from_map(v: &Value) -> Vec<Value> {
    v.as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(p, h)| descriptor(p, h.as_str().or(h["sha256"].as_str())?))
                .collect()
        })
        .unwrap_or_default()
}

/// The Statement for a manifest or a recorded run, with its events' times when known.
pub fn statement(doc: &Value, events: &[Value]) -> Value {
    let mut subject = from_map(&doc["outputs"]);
    if subject.is_empty() {
        // the run document itself: its digest covers everything it records
        let name = match (doc["id"].as_str(), doc["run"].as_str()) {
            (Some(id), _) => format!(".prov/runs/{id}/run.json"),
            (None, Some(run)) => format!("provbase run {run}"),
            _ => "provbase run".to_owned(),
        };
        let digest = doc["digest"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| crate::manifest::compute_digest(doc));
        subject.extend(descriptor(&name, &digest));
    }
    let mut deps = from_map(&doc["inputs"]);
    deps.extend(from_map(&doc["static_data_hashes"]));
    if let Some(kernels) = doc["spice_kernels"].as_array() {
        deps.extend(
            kernels
                .iter()
                .filter_map(|k| descriptor(k["path"].as_str()?, k["sha256"].as_str()?)),
        );
    }
    deps.extend(from_map(&doc["code"]["scope"]));
    if let Some(sha) = doc["code"]["git_sha"].as_str() {
        let mut d = json!({ "name": "source", "digest": { "gitCommit": sha } });
        if let Some(remote) = doc["code"]["remote"].as_str() {
            d["uri"] = json!(format!("git+{remote}@{sha}"));
        }
        deps.push(d);
    }
    let mut external = Map::new();
    for k in [
        "run",
        "command",
        "params",
        "technique_names",
        "extractor_names",
    ] {
        if let Some(v) = doc.get(k) {
            external.insert(k.to_owned(), v.clone());
        }
    }
    let hw = &doc["hardware"];
    let hardware = json!({
        "os": hw["os"], "cpu": hw["cpu"], "memory_gib": hw["memory_gib"], "gpus": hw["gpus"],
    });
    let mut metadata = json!({});
    if let Some(id) = doc["id"].as_str() {
        metadata["invocationId"] = json!(id);
    }
    let time = |kind: &str, first: bool| {
        let mut it = events.iter().filter(|e| e["event"] == kind);
        let e = if first { it.next() } else { it.next_back() };
        e.and_then(|e| e["time"].as_str()).map(str::to_owned)
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
                "internalParameters": { "runtime": doc["runtime"] },
                "resolvedDependencies": deps,
            },
            "runDetails": {
                "builder": {
                    "id": "urn:provbase:builder",
                    "version": { "provbase": env!("CARGO_PKG_VERSION") },
                },
                "metadata": metadata,
                "byproducts": [
                    byproduct("environment", &doc["environment"]),
                    byproduct("hardware", &hardware),
                ],
            },
        },
    })
}
