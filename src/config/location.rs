//! Remote locations of `static_data` and `inputs`: `s3://bucket/prefix/`, `gs://…`, `az://…`
//! and `https://…`, as harness.toml writes them. This is only their shape (which store, which
//! bucket, which keys); listing them is `collect::stores`.
//!
//! A location never carries a credential: userinfo, a query (a presigned URL's signature) or a
//! fragment is refused, since harness.toml is committed and a location is recorded in every
//! baseline. Credentials come from each store's own settings.

/// The stores provbase reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Amazon S3 and S3-compatible servers (`s3://`).
    S3,
    /// Google Cloud Storage (`gs://`).
    Gcs,
    /// Azure Blob Storage (`az://`, `azure://`, `abfs://`, `abfss://`).
    Azure,
    /// A web server (`http://`, `https://`): one object per location, read by HEAD.
    Http,
}

impl Scheme {
    /// Whether this store can list keys under a prefix (a web server cannot).
    pub fn lists(self) -> bool {
        !matches!(self, Scheme::Http)
    }
}

/// One remote location of a run.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The location as written (`s3://bucket/train/*.tar`).
    pub url: String,
    /// Which store.
    pub scheme: Scheme,
    /// `s3://bucket`: the scheme and authority, without a path.
    pub base: String,
    /// The keys: a key, a prefix ending in `/`, or a glob over keys (`*` stays within one
    /// `/`-separated part, `**` crosses them). Empty: the whole bucket.
    pub path: String,
}

impl Location {
    /// Whether `text` is written as a remote location (`scheme://`), valid or not.
    pub fn looks_remote(text: &str) -> bool {
        text.split_once("://").is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        })
    }

    /// Reads a location; the message says what is wrong with it.
    pub fn parse(text: &str) -> Result<Location, String> {
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| "not a URL".to_owned())?;
        let kind = match scheme.to_ascii_lowercase().as_str() {
            "s3" | "s3a" => Scheme::S3,
            "gs" => Scheme::Gcs,
            "az" | "azure" | "abfs" | "abfss" => Scheme::Azure,
            "http" | "https" => Scheme::Http,
            other => {
                return Err(format!(
                    "`{other}://` is not a store provbase reads (s3://, gs://, az://, https://)"
                ));
            }
        };
        if text.contains(['?', '#']) {
            return Err(
                "a location has no query or fragment: a presigned URL's signature is a credential, and the location is recorded in every baseline; give the store's credentials in its environment instead".to_owned(),
            );
        }
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        // Azure's `abfs://filesystem@account.dfs.core.windows.net` names a container so
        if let Some((user, _)) = authority.rsplit_once('@')
            && (kind != Scheme::Azure || user.contains(':'))
        {
            return Err(
                "a location holds no user name or secret (the store's credentials come from its own settings, such as AWS_ACCESS_KEY_ID, GOOGLE_APPLICATION_CREDENTIALS or AZURE_STORAGE_ACCOUNT_KEY)".to_owned(),
            );
        }
        if authority.is_empty() {
            return Err(match kind {
                Scheme::Http => "no host".to_owned(),
                _ => "no bucket or container".to_owned(),
            });
        }
        if authority.contains(['*', '?', '[', '{']) {
            return Err("a bucket is named, not matched: globs belong in the keys".to_owned());
        }
        if text.chars().any(char::is_control) {
            return Err("a location holds no control characters".to_owned());
        }
        if path.split('/').any(|p| p == ".." || p == ".") {
            return Err("keys have no `.` or `..` parts".to_owned());
        }
        if kind == Scheme::Http && (path.is_empty() || path.ends_with('/') || is_glob(path)) {
            return Err(
                "a web server cannot list its files: name each file (a glob or a folder works for s3://, gs:// and az://)".to_owned(),
            );
        }
        if is_glob(path)
            && let Err(e) = glob::Pattern::new(path)
        {
            return Err(format!("bad glob: {e}"));
        }
        Ok(Location {
            url: text.to_owned(),
            scheme: kind,
            base: format!("{}://{authority}", scheme.to_ascii_lowercase()),
            path: path.to_owned(),
        })
    }

    /// The literal part of the keys, up to the last `/` before the first wildcard (or the
    /// whole path when it has none): what the store is asked to list.
    pub fn prefix(&self) -> &str {
        match self.path.find(['*', '?', '[']) {
            Some(at) => &self.path[..self.path[..at].rfind('/').map_or(0, |s| s + 1)],
            None => &self.path,
        }
    }

    /// Whether the keys the location names may lie in folders below its prefix: not for a
    /// glob whose wildcards stay in the last part (`train/*.tar`).
    pub fn descends(&self) -> bool {
        let rest = &self.path[self.prefix().len()..];
        !is_glob(&self.path) || rest.contains('/') || rest.contains("**")
    }

    /// Whether the location names one object (no wildcard, no trailing `/`, not the bucket).
    pub fn is_object(&self) -> bool {
        !self.path.is_empty() && !self.path.ends_with('/') && !is_glob(&self.path)
    }

    /// Whether a key (as the store lists it) is one the location names.
    pub fn matches(&self, key: &str) -> bool {
        if is_glob(&self.path) {
            let options = glob::MatchOptions {
                case_sensitive: true,
                require_literal_separator: true,
                require_literal_leading_dot: false,
            };
            glob::Pattern::new(&self.path).is_ok_and(|p| p.matches_with(key, options))
        } else if self.is_object() {
            key == self.path
        } else {
            key.starts_with(&self.path)
        }
    }

    /// The URL a manifest records an object under: the location's base and the key.
    pub fn object_url(&self, key: &str) -> String {
        format!("{}/{key}", self.base)
    }
}

fn is_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_say_which_keys_they_name() {
        let l = Location::parse("s3://bucket/train/*/shard-*.tar").unwrap();
        assert_eq!((l.scheme, l.base.as_str()), (Scheme::S3, "s3://bucket"));
        assert_eq!(l.prefix(), "train/");
        assert!(l.matches("train/a/shard-0042.tar"));
        assert!(!l.matches("train/a/b/shard-0042.tar"));
        assert!(!l.matches("train/a/shard-0042.txt"));
        assert!(l.descends());
        assert!(!Location::parse("s3://b/train/*.tar").unwrap().descends());
        assert!(Location::parse("s3://b/train/**").unwrap().descends());
        assert!(Location::parse("s3://b/train/").unwrap().descends());
        assert_eq!(
            l.object_url("train/a/shard-1.tar"),
            "s3://bucket/train/a/shard-1.tar"
        );
        let deep = Location::parse("gs://b/cal/**/*.fits").unwrap();
        assert_eq!(deep.prefix(), "cal/");
        assert!(deep.matches("cal/x/y/z.fits"));
        let folder = Location::parse("az://container/models/").unwrap();
        assert!(!folder.is_object() && folder.matches("models/a/b.pt"));
        assert!(!folder.matches("modelsx/b.pt"));
        let one = Location::parse("https://example.org/kernels/naif0012.tls").unwrap();
        assert!(one.is_object() && one.matches("kernels/naif0012.tls"));
        assert_eq!(Location::parse("s3://bucket").unwrap().prefix(), "");
        assert!(Location::looks_remote("s3://b/x") && !Location::looks_remote("data/*.csv"));
    }

    #[test]
    fn a_location_never_carries_a_credential() {
        for (url, says) in [
            ("s3://AKIA:s3cr3tval@bucket/x", "no user name or secret"),
            ("https://u:p@example.org/f", "no user name or secret"),
            ("https://example.org/f?X-Amz-Signature=abc", "no query"),
            ("ftp://example.org/f", "not a store"),
            ("s3:///x", "no bucket"),
            ("s3://b*/x", "globs belong in the keys"),
            ("https://example.org/data/", "cannot list"),
            ("https://example.org/*.csv", "cannot list"),
            ("s3://b/a/../x", "no `.` or `..`"),
            ("s3://b/a\0b/x", "no control characters"),
        ] {
            let e = Location::parse(url).unwrap_err();
            assert!(e.contains(says), "{url}: {e}");
            assert!(!e.contains("s3cr3tval") && !e.contains("=abc"), "{e}");
        }
    }
}
