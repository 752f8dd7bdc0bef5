//! Integration tests: the CLI and the harness in temporary projects with real git repositories.

mod bad_input;
mod cache;
mod ci_files;
mod cli;
mod collectors;
mod docs;
mod emulators;
mod explain;
mod faults;
mod fleet;
mod formats;
mod git_status;
mod harness;
mod layers;
mod outputs;
mod project;
mod record;
mod release;
mod snapshots;
mod stores;
mod trees;
mod trust;
mod web;
