//! The names a run registers (techniques, extractors): printed by a command, run once per
//! process, or returned by a function a Rust project registers, called once.

use crate::error::NamesError;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Names a command printed, or why it could not give them.
type NamesResult = Result<Vec<String>, crate::collect::CollectError>;

/// Names a Rust project registers in code (see [`crate::harness::Harness::techniques`]).
pub type NamesFn = Arc<dyn Fn() -> Vec<String> + Send + Sync>;

/// Which list of registered names.
#[derive(Debug, Clone, Copy)]
pub enum NameKind {
    /// `technique_names`.
    Techniques = 0,
    /// `extractor_names`.
    Extractors = 1,
}

#[derive(Default)]
struct Registered {
    f: Option<NamesFn>,
    value: OnceLock<Result<Vec<String>, NamesError>>,
}

/// The names runs register, as far as this process has asked.
pub struct Names {
    root: PathBuf,
    printed: Mutex<HashMap<Vec<String>, NamesResult>>,
    registered: [Registered; 2],
}

impl Names {
    pub(super) fn new(root: &Path) -> Names {
        Names {
            root: root.to_owned(),
            printed: Mutex::new(HashMap::new()),
            registered: Default::default(),
        }
    }

    /// The names a command prints, run once per process.
    pub fn printed_by(&self, spec: &crate::config::CommandSpec) -> NamesResult {
        if let Some(v) = self
            .printed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&spec.argv)
        {
            return v.clone();
        }
        let shown = crate::collect::command::display(&spec.argv);
        let v = crate::collect::command::run(&spec.argv, &self.root, spec.timeout).and_then(|o| {
            let names = crate::collect::names::parse(&o.stdout).map_err(|source| {
                crate::collect::CollectError::Names {
                    from: format!("`{shown}`"),
                    source,
                }
            })?;
            if names.is_empty() && !spec.allow_empty {
                return Err(crate::collect::CollectError::Invalid(format!(
                    "`{shown}` printed no names: a registry that lists nothing is more likely broken than empty (set `allow_empty = true` beside `command` if it may be empty)"
                )));
            }
            Ok(names)
        });
        self.printed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(spec.argv.clone(), v.clone());
        v
    }

    /// Registers a function that returns names; it is called once, when a run first needs it.
    pub fn register(&mut self, kind: NameKind, f: NamesFn) {
        self.registered[kind as usize] = Registered {
            f: Some(f),
            value: OnceLock::new(),
        };
    }

    /// The registered names of a kind, if a function was registered.
    pub fn registered(&self, kind: NameKind) -> Option<Result<Vec<String>, NamesError>> {
        let r = &self.registered[kind as usize];
        let f = r.f.as_ref()?;
        Some(
            r.value
                .get_or_init(|| {
                    crate::manifest::names::normalize(f())
                })
                .clone(),
        )
    }
}
