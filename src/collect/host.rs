//! What a collection reads from the machine rather than from the project: the clock, the
//! environment variables, the hardware and provbase's own version. Every collector asks the
//! [`Host`] of its [`super::Facts`] for them, so a test (or the frozen format fixtures under
//! `tests/fixtures/formats/`) can pin all four and collect byte for byte what another machine
//! collected.

use std::ffi::OsString;
use std::sync::Arc;
use std::time::SystemTime;

pub use super::clock::{Clock, SystemClock};

/// The machine as collectors see it.
#[derive(Clone)]
pub struct Host {
    /// The clock of `pipeline_run_iso8601`, of a recorded run's events and of a bundle.
    pub clock: Arc<dyn Clock>,
    /// The environment variables; `None`: the process's own.
    pub env: Option<Vec<(String, OsString)>>,
    /// The `hardware` section; `None`: collected from this machine when a run asks for it.
    pub hardware: Option<crate::manifest::types::Hardware>,
    /// The version `runtime.provbase` records.
    pub version: String,
    /// How long after a file's last change the stat cache trusts its entry: coarser than any
    /// common filesystem's timestamps (FAT's 2 s), so that a file changed within one tick of
    /// being hashed is read again.
    pub racy_window: std::time::Duration,
    /// The name reports give this machine: `PROVBASE_RUNNER`; `None`, a hash of the host name.
    pub runner: Option<String>,
    /// How many files are read at once (`PROVBASE_HASH_THREADS`, else
    /// [`crate::collect::hashing::MAX_THREADS`]): the size of the pool a session walks and
    /// hashes on.
    pub threads: usize,
    /// Whether stat caches are used (`PROVBASE_NO_CACHE=1` says no; `--no-cache` also switches
    /// them off for one session).
    pub cache: bool,
    /// Where the GPU probe finds the vendors' tools (`nvidia-smi`, `rocm-smi`): `PATH`.
    pub tools_path: Option<OsString>,
    /// The NVML library the GPU probe loads (`PROVBASE_NVML_LIBRARY`; `None`: the system's).
    pub nvml_library: Option<OsString>,
}

impl Default for Host {
    fn default() -> Host {
        Host::this_machine()
    }
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("env_pinned", &self.env.is_some())
            .field("hardware_pinned", &self.hardware.is_some())
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Host {
    /// This machine, now.
    pub fn this_machine() -> Host {
        Host {
            clock: Arc::new(SystemClock),
            env: None,
            hardware: None,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            racy_window: std::time::Duration::from_nanos(crate::cache::RACY_NS as u64),
            runner: crate::options::get().runner.clone(),
            threads: crate::collect::hashing::thread_count(),
            cache: !crate::options::get().no_cache,
            tools_path: crate::options::get().path.clone(),
            nvml_library: crate::options::get().nvml_library.clone(),
        }
    }

    /// The machine as reports name it: its configured name, else `host-` and 12 hex digits of
    /// the keyed hash of its host name (stable, and not the name itself).
    pub fn runner_id(&self) -> String {
        self.runner.clone().unwrap_or_else(|| {
            let name = sysinfo::System::host_name().unwrap_or_default();
            format!("host-{}", &crate::redact::keyed_hex(name.as_bytes())[..12])
        })
    }

    /// This host's clock and racy window, as hashing reads them.
    pub fn settle(&self) -> crate::collect::hashing::Settle<'_> {
        crate::collect::hashing::Settle {
            clock: &*self.clock,
            window: self.racy_window,
        }
    }

    /// Nanoseconds since the Unix epoch, by this host's clock.
    pub fn now_ns(&self) -> i64 {
        crate::cache::ns_since_epoch(self.clock.now())
    }

    /// Now, as `pipeline_run_iso8601` records it: UTC, whole seconds, `Z`.
    pub fn now_iso8601(&self) -> String {
        iso8601(self.clock.now())
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_ms(&self) -> u128 {
        self.clock
            .now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    }

    /// Every environment variable, names lossily decoded.
    pub fn vars(&self) -> Vec<(String, OsString)> {
        match &self.env {
            Some(v) => v.clone(),
            None => std::env::vars_os()
                .map(|(k, v)| (k.to_string_lossy().into_owned(), v))
                .collect(),
        }
    }
}

/// A time as `pipeline_run_iso8601` records it: UTC, whole seconds, `Z`.
pub fn iso8601(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pinned_host_says_what_it_was_told() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let h = Host {
            clock: Arc::new(crate::collect::clock::FixedClock(t)),
            env: Some(vec![("A".into(), "1".into())]),
            hardware: None,
            version: "9.9.9".into(),
            racy_window: std::time::Duration::ZERO,
            runner: Some("a100-1".into()),
            threads: 2,
            cache: false,
            tools_path: None,
            nvml_library: None,
        };
        assert_eq!(h.runner_id(), "a100-1");
        let hashed = Host::this_machine().runner_id();
        assert!(
            hashed.len() == 17 && hashed.starts_with("host-")
                || std::env::var_os("PROVBASE_RUNNER").is_some(),
            "{hashed}"
        );
        assert_eq!(h.now_iso8601(), "2023-11-14T22:13:20Z");
        assert_eq!(h.unix_ms(), 1_700_000_000_000);
        assert_eq!(h.vars(), vec![("A".to_owned(), OsString::from("1"))]);
        let real = Host::this_machine().now_iso8601();
        assert_eq!(real.len(), 20, "{real}");
        assert!(real.ends_with('Z') && real.as_bytes()[10] == b'T', "{real}");
    }
}
