//! Reports of a check: human text (with a unified diff and the accept command) and a JSON
//! document for scripts.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;

pub use human::{render_run, short_value};
