//! The values every document is made of: a digest (`sha256:<hex>`), and a value or the reason
//! it could not be collected.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `"sha256:<64 lowercase hex>"`.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct Sha256(#[schemars(regex(pattern = r"^sha256:[0-9a-f]{64}$"))] pub String);

impl Sha256 {
    /// The digest's raw bytes; `None` when it is not `sha256:` and 64 hex digits.
    pub fn raw(&self) -> Option<[u8; 32]> {
        let h = self.0.strip_prefix("sha256:")?;
        if h.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(h.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(out)
    }
}

/// What a document is and the version of its shape: the head of a bundle's JSON documents
/// (`provbase.bundle`, `provbase.env_fingerprint`, …) and of the listings (`provbase.list`,
/// `provbase.runs`, …), flattened into the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Head {
    /// What the document is (`provbase.bundle`, `provbase.list`, …).
    pub kind: String,
    /// The version of its shape.
    pub version: u32,
}

impl Head {
    /// A head of this kind and version.
    pub fn new(kind: impl Into<String>, version: u32) -> Head {
        Head {
            kind: kind.into(),
            version,
        }
    }
}

/// A value that could not be collected, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Unavailable {
    /// Why.
    pub unavailable: String,
}

/// A value, or why it could not be collected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Or<T> {
    /// The value.
    Value(T),
    /// Why there is none.
    Unavailable(Unavailable),
}

impl<T> Or<T> {
    /// No value, for this reason.
    pub fn unavailable(reason: impl Into<String>) -> Or<T> {
        Or::Unavailable(Unavailable {
            unavailable: reason.into(),
        })
    }

    /// The value, if there is one.
    pub fn value(&self) -> Option<&T> {
        match self {
            Or::Value(v) => Some(v),
            Or::Unavailable(_) => None,
        }
    }
}

impl<T> From<Result<T, String>> for Or<T> {
    fn from(r: Result<T, String>) -> Or<T> {
        r.map_or_else(Or::unavailable, Or::Value)
    }
}
