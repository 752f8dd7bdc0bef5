//! Objects in stores (`s3://`, `gs://`, `az://`, `https://`): what a store says of each object
//! a location names — size, ETag, time, version — listed without reading the objects, and
//! their SHA-256 when a location asks for content digests.
//!
//! Built on Apache Arrow's `object_store` (the `stores` cargo feature). Each store's client
//! takes its settings from the host's environment as that store's own tools do (`AWS_*`,
//! `GOOGLE_*`, `AZURE_*`); nothing of them is recorded, and every message a request's failure
//! gives is scrubbed before it leaves. A location is recorded whole or not at all: a failed or
//! truncated listing, a denied request or a passed deadline is an error of the run.

use crate::config::location::Location;
use crate::error::StoreError;
use crate::manifest::object::StoreObject;
use std::path::PathBuf;
use std::time::Duration;

/// What to record of one location.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    /// Where.
    pub location: &'a Location,
    /// Read each object for its SHA-256.
    pub sha256: bool,
    /// Keep content digests under `.prov/stores/` and trust those kept (not with `--no-cache`).
    pub keep: bool,
    /// How long it may take, retries included.
    pub deadline: Duration,
    /// The harness.toml key and line that name it, for messages.
    pub key: &'a str,
    /// Its line.
    pub line: usize,
}

/// One object a location names: its key within the bucket, and what the store says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The key, as the store lists it.
    pub key: String,
    /// Its record.
    pub object: StoreObject,
}

/// The stores a process reads: one client per bucket, made on first use, on one runtime.
pub struct Stores {
    host: super::Host,
    /// Where content digests are kept, by the object's identity.
    cache: PathBuf,
    #[cfg(feature = "stores")]
    inner: client::Clients,
}

impl Stores {
    /// The stores of a project whose local folder (`.prov/`) is under `root`.
    pub fn new(root: &std::path::Path, host: super::Host) -> Stores {
        Stores {
            cache: crate::disk::local(root, crate::disk::Local::Stores),
            #[cfg(feature = "stores")]
            inner: client::Clients::default(),
            host,
        }
    }

    /// Every object the location names, sorted by key; an error when it names none.
    pub fn list(&self, ask: &Ask) -> Result<Vec<Found>, StoreError> {
        #[cfg(feature = "stores")]
        {
            let found = self.inner.list(&self.host, &self.cache, ask)?;
            if found.is_empty() {
                return Err(StoreError::NoMatch {
                    key: ask.key.to_owned(),
                    location: ask.location.url.clone(),
                    line: ask.line,
                });
            }
            Ok(found)
        }
        #[cfg(not(feature = "stores"))]
        {
            let _ = (&self.host, &self.cache);
            Err(StoreError::NotBuilt {
                location: ask.location.url.clone(),
            })
        }
    }
}

/// A store's time as a manifest records it: UTC, whole seconds.
#[cfg(feature = "stores")]
fn iso8601(seconds: i64) -> String {
    let t = if seconds >= 0 {
        std::time::UNIX_EPOCH + Duration::from_secs(seconds as u64)
    } else {
        std::time::UNIX_EPOCH
    };
    super::host::iso8601(t)
}

/// An ETag without its quotes (and without a weak validator's `W/`).
fn bare_etag(e: &str) -> String {
    let e = e.strip_prefix("W/").unwrap_or(e);
    e.strip_prefix('"')
        .and_then(|e| e.strip_suffix('"'))
        .unwrap_or(e)
        .to_owned()
}

#[cfg(feature = "stores")]
mod client;

#[cfg(test)]
mod tests {
    #[test]
    fn etags_lose_their_quotes() {
        assert_eq!(super::bare_etag("\"9b2c\""), "9b2c");
        assert_eq!(super::bare_etag("W/\"9b2c\""), "9b2c");
        assert_eq!(super::bare_etag("0x8DC"), "0x8DC");
    }
}
