//! Reports of a check: human text (with a unified diff and the accept command) and a JSON
//! document for scripts.

pub mod human;
pub mod json;

pub use human::{render_run, short_value};
