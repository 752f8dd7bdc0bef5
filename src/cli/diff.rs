//! `provbase diff [A [B]]`: compare two manifests or recorded runs with the same rules as
//! check. Exit 0 when nothing drifted or every drift only warns (as check), 1 when a drift
//! fails.

use super::{Cli, Format, print_json, to_value};
use crate::drift::{self, PolicySet};
use crate::error::{Error, Result};
use crate::record::runs::Resolved;
use crate::report::human::summary_lines;
use crate::strip::{builtin_rules, strip};
use serde_json::Value;

/// Labels and bookkeeping that differ between any two runs by construction.
const NOT_COMPARED: &[&str] = &["id", "name", "tags", "digest", "kind"];

pub(super) fn run(cli: &Cli, a: Option<&str>, b: Option<&str>) -> Result<u8> {
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    let root = crate::record::run::project_root(&cwd);
    let session = cli.optional_session()?;
    let (rules, policy) = match &session {
        Some(s) => (s.config.strip.clone(), s.config.policy().clone()),
        None => (builtin_rules(), PolicySet::default()),
    };
    let (ra, rb) = match (a, b) {
        (Some(a), Some(b)) => (
            crate::record::resolve(&root, &cwd, a)?,
            crate::record::resolve(&root, &cwd, b)?,
        ),
        (Some(_), None) => {
            return Err(Error::Usage(
                "diff takes two references, or none for the two newest runs".into(),
            ));
        }
        (None, _) => {
            let runs = crate::record::list(&root)?;
            if runs.len() < 2 {
                return Err(Error::Usage(format!(
                    "diff with no arguments compares the two newest recorded runs; there are {}",
                    runs.len()
                )));
            }
            let mut it = runs.into_iter();
            let newest = it.next().map(|r| Resolved::Run(Box::new(r)));
            let older = it.next().map(|r| Resolved::Run(Box::new(r)));
            (
                older.unwrap_or_else(|| unreachable!()),
                newest.unwrap_or_else(|| unreachable!()),
            )
        }
    };
    let prepare = |r: &Resolved| -> Result<Value> {
        let mut v = r.doc().clone();
        if let Value::Object(m) = &mut v {
            for k in NOT_COMPARED {
                m.remove(*k);
            }
        }
        strip(&mut v, &rules).map_err(|e| Error::Usage(format!("{}: {e}", r.label())))?;
        Ok(v)
    };
    let (va, vb) = (prepare(&ra)?, prepare(&rb)?);
    let drifts = drift::compare(&va, &vb, &policy);
    let shown: Vec<_> = drifts
        .iter()
        .filter(|d| d.policy != drift::Policy::Ignore)
        .collect();
    let (la, lb) = (ra.label(), rb.label());
    match cli.format {
        Format::Json => print_json(&to_value(crate::report::listing::Diff::new(
            la.clone(),
            lb.clone(),
            shown
                .iter()
                .map(|d| crate::report::json::DriftEntry::from(*d))
                .collect(),
        ))),
        Format::Human | Format::Markdown => {
            if shown.is_empty() {
                outln!("no drift between {la} and {lb}");
            } else {
                outln!("{lb} drifted from {la}:");
                for line in summary_lines(&shown) {
                    outln!("  {line}");
                }
            }
        }
    }
    Ok(u8::from(drift::verdict(&drifts) == drift::Verdict::Fail))
}
