//! Collectors: each fills one section of a manifest. Facts shared by every run of a process are
//! collected once, lazily ([`facts`]).

pub mod facts;
pub mod files;
pub mod git;

pub use crate::error::CollectError;
pub use facts::Facts;
pub use host::Host;
pub mod clock;
pub mod command;
pub mod environment;
pub mod external;
pub mod gpu;
pub mod hardware;
pub mod hashing;
pub mod host;
pub mod names;
pub mod packages;
pub mod progress;
pub mod runtime;
pub mod spice;
pub mod stores;
