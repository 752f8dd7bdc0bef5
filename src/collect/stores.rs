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
    /// Ask each listed object for its version id and the store's checksums (a HEAD each).
    pub head: bool,
    /// Ask S3 for the checksums it keeps (with `head`: S3 sends them only when asked).
    pub checksums: bool,
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

    /// Every object the location names, handed to `each` in batches in key order; how many.
    /// An error when it names none, and whenever the listing could not be read to its end
    /// (what `each` was given is then to be dropped).
    pub fn list(
        &self,
        ask: &Ask,
        each: &mut dyn FnMut(Vec<Found>) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        #[cfg(feature = "stores")]
        {
            let mut count = 0u64;
            self.inner.list(&self.host, &self.cache, ask, &mut |batch| {
                count += batch.len() as u64;
                each(batch)
            })?;
            if count == 0 {
                return Err(StoreError::NoMatch {
                    key: ask.key.to_owned(),
                    location: ask.location.url.clone(),
                    line: ask.line,
                });
            }
            Ok(count)
        }
        #[cfg(not(feature = "stores"))]
        {
            let _ = (&self.host, &self.cache, each);
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

/// The longest key the stores allow (S3, GCS and Azure: 1,024 bytes).
const KEY_BOUND: usize = 1024;

/// The longest ETag, version id or checksum recorded; the stores' are under 100 bytes.
const VALUE_BOUND: usize = 256;

/// How many checksums one object may carry.
const CHECKSUMS_BOUND: usize = 8;

/// Refuses what a store lists that no store makes and a hostile server might: a key longer
/// than the stores allow or holding a control character (it would reach reports and
/// terminals as it is), an ETag, version or checksum past [`VALUE_BOUND`], a checksum named
/// other than by letters and digits.
fn bounded(location: &Location, f: &Found) -> Result<(), StoreError> {
    let refuse = |reason: String| {
        Err(StoreError::Refused {
            location: location.url.clone(),
            reason,
        })
    };
    let shown = |s: &str| {
        let cut: String = s.chars().take(60).collect();
        format!("{cut:?}{}", if cut.len() < s.len() { "…" } else { "" })
    };
    if f.key.len() > KEY_BOUND {
        return refuse(format!(
            "a key of {} bytes (the stores allow {KEY_BOUND}): {}",
            f.key.len(),
            shown(&f.key)
        ));
    }
    if f.key.chars().any(char::is_control) {
        return refuse(format!("a key holding a control character: {}", shown(&f.key)));
    }
    let o = &f.object;
    let values = [("ETag", &o.etag), ("version id", &o.version)];
    for (what, value) in values {
        if let Some(v) = value
            && (v.len() > VALUE_BOUND || v.chars().any(char::is_control))
        {
            return refuse(format!("`{}` has an {what} of {} bytes: {}", f.key, v.len(), shown(v)));
        }
    }
    if let Some(sums) = &o.checksums {
        if sums.len() > CHECKSUMS_BOUND {
            return refuse(format!("`{}` carries {} checksums", f.key, sums.len()));
        }
        for (name, sum) in sums {
            let plain = !name.is_empty()
                && name.len() <= 32
                && name.bytes().all(|b| b.is_ascii_alphanumeric());
            if !plain || sum.len() > VALUE_BOUND || sum.chars().any(char::is_control) {
                return refuse(format!("`{}` carries a checksum {}: {}", f.key, shown(name), shown(sum)));
            }
        }
    }
    Ok(())
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

/// What an AWS profile gives (`~/.aws/credentials` and `~/.aws/config`, or the files
/// `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE` name), as the AWS CLI reads them:
/// `AWS_PROFILE` (else `AWS_DEFAULT_PROFILE`, else `default`). Only static keys, a session
/// token, a region and an endpoint are read; a profile that gets its credentials another way
/// (SSO, a `credential_process`, a role) says so.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AwsProfile {
    /// The profile's name.
    pub name: String,
    /// `(config key, value)`, as `object_store` names its settings (`aws_access_key_id`, …).
    pub settings: Vec<(&'static str, String)>,
    /// A way of getting credentials provbase does not follow (`sso_session`, …).
    pub unsupported: Option<String>,
}

impl AwsProfile {
    /// The profile the host's environment names, from its files; `None` when neither file has
    /// it.
    pub fn of(vars: &[(String, String)]) -> Option<AwsProfile> {
        let var = |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let home = var("HOME").unwrap_or_default();
        let name = var("AWS_PROFILE")
            .or_else(|| var("AWS_DEFAULT_PROFILE"))
            .unwrap_or_else(|| "default".to_owned());
        let credentials = var("AWS_SHARED_CREDENTIALS_FILE")
            .unwrap_or_else(|| format!("{home}/.aws/credentials"));
        let config = var("AWS_CONFIG_FILE").unwrap_or_else(|| format!("{home}/.aws/config"));
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let mut found = false;
        let mut values: Vec<(String, String)> = Vec::new();
        // the config file names a profile `[profile NAME]` (but `[default]`); the credentials
        // file `[NAME]`; the credentials file wins
        let config_section = if name == "default" {
            "default".to_owned()
        } else {
            format!("profile {name}")
        };
        for (text, section) in [(read(&config), config_section), (read(&credentials), name.clone())] {
            if let Some(pairs) = ini_section(&text, &section) {
                found = true;
                for (k, v) in pairs {
                    values.retain(|(x, _)| *x != k);
                    values.push((k, v));
                }
            }
        }
        if !found {
            return None;
        }
        let mut profile = AwsProfile {
            name,
            ..AwsProfile::default()
        };
        for (k, v) in values {
            let key = match k.as_str() {
                "aws_access_key_id" => "aws_access_key_id",
                "aws_secret_access_key" => "aws_secret_access_key",
                "aws_session_token" => "aws_session_token",
                "region" => "aws_region",
                "endpoint_url" => "aws_endpoint_url",
                "sso_session" | "sso_start_url" | "credential_process" | "role_arn"
                | "web_identity_token_file" => {
                    profile.unsupported.get_or_insert(k);
                    continue;
                }
                _ => continue,
            };
            profile.settings.push((key, v));
        }
        if profile.settings.iter().any(|(k, _)| *k == "aws_access_key_id") {
            profile.unsupported = None;
        }
        Some(profile)
    }
}

/// The `key = value` pairs of one `[section]` of an INI file (keys lower-cased, values
/// trimmed); `None` when it has no such section.
fn ini_section(text: &str, section: &str) -> Option<Vec<(String, String)>> {
    let mut inside = false;
    let mut found = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == section;
            found |= inside;
            continue;
        }
        if inside && let Some((k, v)) = line.split_once('=') {
            out.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    found.then_some(out)
}

#[cfg(test)]
mod profile_tests {
    use super::AwsProfile;

    #[test]
    fn a_profile_is_read_as_the_aws_cli_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let aws = dir.path().join(".aws");
        std::fs::create_dir(&aws).unwrap();
        std::fs::write(
            aws.join("credentials"),
            "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n\n[ci]\naws_access_key_id=AKIACI\naws_secret_access_key = s\n",
        )
        .unwrap();
        std::fs::write(
            aws.join("config"),
            "[default]\nregion = eu-west-1\n[profile ci]\n# the CI account\nregion = us-west-2\nendpoint_url = http://127.0.0.1:9000\n[profile sso]\nsso_session = corp\n",
        )
        .unwrap();
        let home = dir.path().to_string_lossy().into_owned();
        let vars = |profile: Option<&str>| {
            let mut v = vec![("HOME".to_owned(), home.clone())];
            if let Some(p) = profile {
                v.push(("AWS_PROFILE".to_owned(), p.to_owned()));
            }
            v
        };
        let ci = AwsProfile::of(&vars(Some("ci"))).unwrap();
        assert_eq!(
            ci.settings,
            [
                ("aws_region", "us-west-2".to_owned()),
                ("aws_endpoint_url", "http://127.0.0.1:9000".to_owned()),
                ("aws_access_key_id", "AKIACI".to_owned()),
                ("aws_secret_access_key", "s".to_owned()),
            ]
        );
        let default = AwsProfile::of(&vars(None)).unwrap();
        assert!(default.settings.contains(&("aws_region", "eu-west-1".to_owned())));
        assert!(default.settings.contains(&("aws_access_key_id", "AKIADEFAULT".to_owned())));
        let sso = AwsProfile::of(&vars(Some("sso"))).unwrap();
        assert_eq!(sso.unsupported.as_deref(), Some("sso_session"));
        assert_eq!(AwsProfile::of(&vars(Some("nowhere"))), None);
    }
}
