//! An object in a store (`s3://`, `gs://`, `az://`, `https://`) as a manifest records it: what
//! the store says of its content, without reading it — unless the location asks for content
//! digests (`sha256 = true`).

use super::Sha256;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An object of `static_data_hashes` or `inputs`, keyed by its URL (`format_version` 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreObject {
    /// Its size in bytes.
    pub size: u64,
    /// The store's entity tag, without quotes (`null` when the store gives none).
    pub etag: Option<String>,
    /// When the store says it was last written: UTC, whole seconds.
    pub modified: String,
    /// The version id, where the store keeps versions and says it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The SHA-256 of its content, when the location asks for it (`sha256 = true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Sha256>,
    /// The checksums the store keeps of its content, as it gives them on HEAD (`md5`,
    /// `crc32c`, `crc64`, `sha256`, …: base64, as the store encodes them), where a HEAD was
    /// made (a location naming one object, `versions` or `checksums`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksums: Option<std::collections::BTreeMap<String, String>>,
}

impl StoreObject {
    /// What identifies this state of the object without its content: the digest folder
    /// objects record for it when no content digest was asked for. Two listings of an
    /// unchanged object give the same identity; an overwrite gives another (a new ETag, time or
    /// version), even with the same size.
    pub fn identity(&self) -> [u8; 32] {
        use sha2::Digest;
        if let Some(raw) = self.sha256.as_ref().and_then(Sha256::raw) {
            return raw;
        }
        let mut h = sha2::Sha256::new();
        for part in [
            self.etag.as_deref().unwrap_or(""),
            self.version.as_deref().unwrap_or(""),
            &self.modified,
            &self.size.to_string(),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        h.finalize().into()
    }

    /// One line for people: `ETag …, 1.2 GB, modified 2026-12-03 02:11 UTC, version …,
    /// sha256:…`.
    pub fn describe(&self) -> String {
        self.words(None)
    }

    /// A few words for a report's drift line: [`StoreObject::describe`] with the ETag cut to
    /// 12 characters, the version to 8, and no content digest.
    pub fn brief(&self) -> String {
        self.words(Some((12, 8)))
    }

    /// The object in words; `cut` shortens the ETag and version and leaves the digest out.
    fn words(&self, cut: Option<(usize, usize)>) -> String {
        let short = |s: &str, n: Option<usize>| match n {
            Some(n) if s.chars().count() > n => {
                format!("{}…", s.chars().take(n).collect::<String>())
            }
            _ => s.to_owned(),
        };
        let mut parts = vec![match &self.etag {
            Some(e) => format!("ETag {}", short(e, cut.map(|c| c.0))),
            None => "no ETag".to_owned(),
        }];
        parts.push(bytes(self.size));
        parts.push(format!("modified {}", when(&self.modified)));
        if let Some(v) = &self.version {
            parts.push(format!("version {}", short(v, cut.map(|c| c.1))));
        }
        if let (Some(s), None) = (&self.sha256, cut) {
            parts.push(s.0.clone());
        }
        parts.join(", ")
    }

    /// What changed between two states of an object, for people:
    /// `ETag a → b, 1.2 GB → 1.2 GB, modified 2026-12-03 02:11 UTC`.
    pub fn change(before: &StoreObject, after: &StoreObject) -> String {
        let mut parts = Vec::new();
        let tag = |t: &Option<String>| t.clone().unwrap_or_else(|| "none".to_owned());
        if before.etag != after.etag {
            parts.push(format!("ETag {} → {}", tag(&before.etag), tag(&after.etag)));
        }
        parts.push(format!("{} → {}", bytes(before.size), bytes(after.size)));
        if before.version != after.version {
            parts.push(format!(
                "version {} → {}",
                tag(&before.version),
                tag(&after.version)
            ));
        }
        if before.checksums != after.checksums
            && let (Some(b), Some(a)) = (&before.checksums, &after.checksums)
        {
            for (name, was) in b {
                if let Some(now) = a.get(name).filter(|now| *now != was) {
                    parts.push(format!("{name} {was} → {now}"));
                }
            }
        }
        if before.sha256 != after.sha256 {
            let d = |s: &Option<Sha256>| s.as_ref().map_or("none".to_owned(), |s| s.0.clone());
            parts.push(format!(
                "content {} → {}",
                d(&before.sha256),
                d(&after.sha256)
            ));
        }
        parts.push(format!("modified {}", when(&after.modified)));
        parts.join(", ")
    }
}

/// `2026-12-03T02:11:09Z` as `2026-12-03 02:11 UTC`.
fn when(iso: &str) -> String {
    match (iso.get(..10), iso.get(11..16)) {
        (Some(d), Some(t)) if iso.ends_with('Z') => format!("{d} {t} UTC"),
        _ => iso.to_owned(),
    }
}

/// A size for people, in decimal units as the stores' consoles print them.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut unit = "";
    for u in UNITS {
        v /= 1000.0;
        unit = u;
        if v < 1000.0 {
            break;
        }
    }
    format!("{v:.1} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(etag: &str, size: u64, modified: &str) -> StoreObject {
        StoreObject {
            size,
            etag: Some(etag.to_owned()),
            modified: modified.to_owned(),
            version: None,
            sha256: None,
            checksums: None,
        }
    }

    #[test]
    fn an_overwrite_of_the_same_size_is_another_identity_and_says_what_changed() {
        let a = obj("9b2c", 1_200_000_000, "2026-11-01T10:00:00Z");
        let b = obj("77e1", 1_200_000_000, "2026-12-03T02:11:09Z");
        assert_ne!(a.identity(), b.identity());
        assert_eq!(a.identity(), a.clone().identity());
        assert_eq!(
            StoreObject::change(&a, &b),
            "ETag 9b2c → 77e1, 1.2 GB → 1.2 GB, modified 2026-12-03 02:11 UTC"
        );
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_500), "1.5 kB");
    }
}
