//! # provbase
//!
//! Regression baselines of a run's provenance. A project names its runs in `harness.toml`;
//! provbase collects each run's provenance (code, static data, parameters, …), strips what
//! changes with the clock, and compares it with the baseline committed under `baselines/`.
//! Drift in something that matters is a failing test that says what changed, where, and the
//! command that accepts it.
//!
//! ## In a Rust project
//!
//! ```toml
//! # Cargo.toml
//! [[test]]
//! name = "baselines"
//! harness = false
//! ```
//!
//! ```no_run
//! // tests/baselines.rs
//! fn main() -> std::process::ExitCode {
//!     provbase::harness::main()
//! }
//! ```
//!
//! `cargo test --test baselines -- --accept` writes the baselines; `cargo test --test baselines`
//! checks them.
//!
//! ## As a library
//!
//! ```
//! use provbase::{Config, Session, session::Status};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::create_dir(dir.path().join("cfg"))?;
//! std::fs::write(dir.path().join("cfg/config_220_body.yaml"), "limb: 3\n")?;
//! let toml = r#"
//!     [[run]]
//!     name = "nav"
//!     static_data = ["cfg/config_220_*.yaml"]
//!     params = { seed = 42 }
//! "#;
//! let config = Config::parse(toml, &dir.path().join("harness.toml"))?;
//! let session = Session::new(config);
//! let run = session.config.run("nav").unwrap();
//!
//! assert_eq!(session.check(run).status(), Status::Missing);
//! session.accept(run)?;
//! assert_eq!(session.check(run).status(), Status::Pass);
//!
//! std::fs::write(dir.path().join("cfg/config_220_body.yaml"), "limb: 4\n")?;
//! let report = Session::new(session.config.clone()).check(run);
//! assert_eq!(report.status(), Status::Fail);
//! assert_eq!(report.drifts()[0].path.to_string(), r#"static_data_hashes."cfg/config_220_body.yaml""#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## The layers
//!
//! Each module uses only modules of the layers below its own, and no two files import each
//! other, directly or around a loop (`tests/integration/layers.rs` reads the `crate::` and
//! `super::` paths of `src/` and holds both rules):
//!
//! ```text
//! cli, harness                       the front doors: parse arguments, print
//! record, report                     recorded runs and bundles; what a check says
//! session                            the one path: collect, strip, compare, judge, accept
//! explain                            why a drift happened (git history, file diffs)
//! store, drift                       the baselines folder; comparing two manifests
//! collect                            the collectors, and the facts a process collects once
//! cache, trees                       the stat cache; the objects of folders recorded by digest
//! config                             harness.toml, profiles as views over it
//! policy, schema, strip              policies and tolerances; the documents' schemas; strip rules
//! manifest                           the documents as types, and their categories
//! outbound                           what leaves the process: secrets scrubbed, CI commands inert
//! redact, error                      secrets; errors
//! options, canonical, path, disk     the environment; canonical JSON; JSON paths; files
//! ```
//!
//! [`session`] is the one path the two front doors, [`harness`] and [`cli`], share: anything
//! new is built there or below, and the doors only parse arguments and print.

//!
//! ## The API
//!
//! What this crate promises between releases is what it exposes: the harness ([`harness`]),
//! the command line ([`cli::run`]), the configuration ([`Config`]), a check and its outcome
//! ([`Session`], [`session`]), drift ([`drift`], [`policy`], [`path`]), the documents as
//! types with their schemas ([`manifest`], [`schema`], [`report`]'s JSON report, fold and
//! listings), their canonical bytes and digests ([`canonical`]), and [`Error`]. The other
//! modules — collectors, stores, caches, the writers of human, Markdown, JUnit and HTML
//! output — are internal; provbase's own tests reach them through the `internals` feature,
//! which is not part of the API.

#![warn(missing_docs)]
#![cfg_attr(not(feature = "internals"), allow(dead_code))]

/// Modules internal to provbase: private, or public and hidden from the documentation under the
/// `internals` feature (provbase's own tests, benchmarks and fuzz targets).
macro_rules! internal {
    ($($name:ident),* $(,)?) => {
        $(
            #[cfg(feature = "internals")]
            #[doc(hidden)]
            pub mod $name;
            #[cfg(not(feature = "internals"))]
            pub(crate) mod $name;
        )*
    };
}

pub mod canonical;
pub mod cli;
pub mod config;
pub mod drift;
pub mod error;
pub mod harness;
pub mod manifest;
pub mod path;
pub mod policy;
pub mod report;
pub mod schema;
pub mod session;

internal!(
    cache, collect, disk, explain, options, outbound, record, redact, store, strip, trees
);

pub use config::Config;
pub use drift::{Category, Drift, Policy};
pub use error::{Error, Result};
pub use session::Session;
