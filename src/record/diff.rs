//! `provbase diff [A [B]]`: two manifests or recorded runs (ids, prefixes, tags, `#N`, files;
//! none: the two newest recorded runs) compared with the project's strip rules and policy when
//! there is a harness.toml, else the built-in ones.

use crate::config::Config;
use crate::drift::{self, Drift, PolicySet};
use crate::error::{Error, Result};
use crate::strip::{builtin_rules, strip};
use serde_json::Value;
use std::path::Path;

use super::runs::Resolved;

use crate::manifest::types::keys;

/// Two documents compared: how each was named, and every drift (ignored ones included).
#[derive(Debug)]
pub struct Diffed {
    /// The earlier one, as named.
    pub a: String,
    /// The later one.
    pub b: String,
    /// Every drift, with what the policy made of it.
    pub drifts: Vec<Drift>,
}

impl Diffed {
    /// The drifts the policy does not ignore.
    pub fn shown(&self) -> Vec<&Drift> {
        self.drifts
            .iter()
            .filter(|d| d.policy != drift::Policy::Ignore)
            .collect()
    }

    /// Whether a drift fails.
    pub fn fails(&self) -> bool {
        drift::verdict(&self.drifts) == drift::Verdict::Fail
    }
}

/// Compares `a` with `b`, or the two newest recorded runs under `root` when neither is given.
pub fn diff(
    root: &Path,
    cwd: &Path,
    a: Option<&str>,
    b: Option<&str>,
    config: Option<&Config>,
) -> Result<Diffed> {
    let (rules, policy) = match config {
        Some(c) => (c.strip.clone(), c.policy().clone()),
        None => (builtin_rules(), PolicySet::default()),
    };
    let (ra, rb) = match (a, b) {
        (Some(a), Some(b)) => (super::resolve(root, cwd, a)?, super::resolve(root, cwd, b)?),
        (Some(_), None) => {
            return Err(Error::Usage(
                "diff takes two references, or none for the two newest runs".into(),
            ));
        }
        (None, _) => {
            let runs = super::list(root)?;
            let count = runs.len();
            let mut runs = runs.into_iter();
            match (runs.next(), runs.next()) {
                (Some(newest), Some(older)) => (
                    Resolved::Run(Box::new(older)),
                    Resolved::Run(Box::new(newest)),
                ),
                _ => {
                    return Err(Error::Usage(format!(
                        "diff with no arguments compares the two newest recorded runs; there are {count}"
                    )));
                }
            }
        }
    };
    let prepare = |r: &Resolved| -> Result<Value> {
        let mut v = r.doc().clone();
        // labels and the seal differ between any two runs by construction
        if let Value::Object(m) = &mut v {
            for k in keys::RUN_LABELS.iter().chain([&keys::DIGEST, &keys::KIND]) {
                m.remove(*k);
            }
        }
        strip(&mut v, &rules).map_err(|e| Error::Strip {
            context: r.label(),
            source: Box::new(e),
        })?;
        Ok(v)
    };
    let (va, vb) = (prepare(&ra)?, prepare(&rb)?);
    Ok(Diffed {
        a: ra.label(),
        b: rb.label(),
        drifts: drift::compare(&va, &vb, &policy),
    })
}
