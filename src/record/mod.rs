//! Provenance for any command: `record` runs a command and writes `.prov/runs/<id>/run.json`
//! and its `events.jsonl`; `runs` lists them; references (`#N`, ids, tags) name them for
//! `diff` and `export`; `bundle` writes a `provenance/` folder; `verify` re-checks digests and
//! hashes; `export` writes an in-toto Statement.

pub mod bundle;
pub mod diff;
pub mod export;
pub mod run;
pub mod runs;
pub mod tree;
pub mod verify;

pub use run::{RecordOptions, record};
pub use runs::{RecordedRun, list, resolve};
