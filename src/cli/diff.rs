//! `provbase diff A B`: compare two manifest files with the same rules as check. Exit 0 when
//! they agree, 1 when something drifted.

use super::{Cli, Format, print_json};
use crate::canonical::parse_strict;
use crate::config::Config;
use crate::drift::{self, PolicySet};
use crate::error::{Error, Result};
use crate::report::human::summary_lines;
use crate::strip::{builtin_rules, strip};
use serde_json::{Value, json};
use std::path::Path;

fn load(path: &Path) -> Result<Value> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let v = parse_strict(&bytes).map_err(|e| Error::Json {
        path: path.to_owned(),
        message: format!("not valid JSON: {e}"),
    })?;
    if !v.is_object() {
        return Err(Error::Json {
            path: path.to_owned(),
            message: "not a JSON object".into(),
        });
    }
    Ok(v)
}

pub(super) fn run(cli: &Cli, a: &Path, b: &Path) -> Result<u8> {
    // the project's strip rules and policy when there is a project; the built-in ones otherwise
    let config = match cli.config_path() {
        Ok(p) => {
            let mut c = Config::load(&p)?;
            if let Some(profile) = cli.profile.as_deref().filter(|p| !p.is_empty()) {
                c.select_profile(profile)?;
            }
            Some(c)
        }
        Err(Error::ConfigNotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    let (rules, policy) = match &config {
        Some(c) => (c.strip.clone(), c.policy.clone()),
        None => (builtin_rules(), PolicySet::default()),
    };
    let mut va = load(a)?;
    let mut vb = load(b)?;
    for (v, p) in [(&mut va, a), (&mut vb, b)] {
        strip(v, &rules).map_err(|e| Error::Json {
            path: p.to_owned(),
            message: e.to_string(),
        })?;
    }
    let drifts = drift::compare(&va, &vb, &policy);
    let shown: Vec<_> = drifts
        .iter()
        .filter(|d| d.policy != drift::Policy::Ignore)
        .collect();
    match cli.format {
        Format::Json => print_json(&json!({
            "a": a.display().to_string(),
            "b": b.display().to_string(),
            "drifts": shown.iter().map(|d| json!({
                "path": d.path.to_string(), "category": d.category, "policy": d.policy,
                "before": d.before, "after": d.after,
            })).collect::<Vec<_>>(),
        })),
        Format::Human => {
            if shown.is_empty() {
                outln!("no drift between {} and {}", a.display(), b.display());
            } else {
                outln!("{} drifted from {}:", b.display(), a.display());
                for line in summary_lines(&shown) {
                    outln!("  {line}");
                }
            }
        }
    }
    Ok(u8::from(!shown.is_empty()))
}
