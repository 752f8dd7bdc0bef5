//! harness.toml as serde reads it: every table a struct that rejects unknown keys, every value
//! that a message must locate `Spanned`, so that errors name the file, the line and the key.

use crate::strip::Expect;
use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub(super) harness: RawHarness,
    #[serde(default)]
    pub(super) policy: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    pub(super) profile: BTreeMap<Spanned<String>, RawProfile>,
    #[serde(default)]
    pub(super) run: Vec<RawRun>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHarness {
    pub(super) baselines: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) strip: Vec<Spanned<RawStrip>>,
    pub(super) max_entries: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProfile {
    pub(super) baselines: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) policy: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRun {
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) code: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) static_data: Vec<Spanned<RawDataGlob>>,
    #[serde(default)]
    pub(super) params: Option<Spanned<toml::Table>>,
    #[serde(default)]
    pub(super) inputs: Vec<Spanned<RawDataGlob>>,
    pub(super) spice: Option<Spanned<RawSpice>>,
    pub(super) techniques: Option<Spanned<RawNames>>,
    pub(super) extractors: Option<Spanned<RawNames>>,
    pub(super) hardware: Option<bool>,
    #[serde(default)]
    pub(super) runtime: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) env: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) external: BTreeMap<String, Spanned<RawCommand>>,
    pub(super) command: Option<Spanned<Vec<String>>>,
    pub(super) timeout: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) outputs: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) outputs_tolerance: BTreeMap<String, Spanned<RawTolerance>>,
    pub(super) allow_outside: Option<bool>,
    pub(super) max_entries: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) probes: Option<Spanned<Vec<String>>>,
}

/// A glob of `static_data` or `inputs`: a string, or `{ glob = "…", max_entries = N }`.
pub(super) enum RawDataGlob {
    Plain(String),
    Table(RawDataGlobTable),
}

impl<'de> Deserialize<'de> for RawDataGlob {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match toml::Value::deserialize(d)? {
            toml::Value::String(s) => Ok(RawDataGlob::Plain(s)),
            t @ toml::Value::Table(_) => RawDataGlobTable::deserialize(t)
                .map(RawDataGlob::Table)
                .map_err(|e| D::Error::custom(e.message().trim_end())),
            other => Err(D::Error::custom(format!(
                "a glob is a string, or {{ glob = \"…\", max_entries = N, sha256 = true, versions = true, checksums = true, timeout = \"5m\" }}, not {}",
                other.type_str()
            ))),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDataGlobTable {
    pub(super) glob: String,
    pub(super) max_entries: Option<i64>,
    pub(super) sha256: Option<bool>,
    pub(super) versions: Option<bool>,
    pub(super) checksums: Option<bool>,
    pub(super) timeout: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTolerance {
    pub(super) abs: Option<f64>,
    pub(super) rel: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSpice {
    pub(super) metakernel: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) kernels: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCommand {
    pub(super) command: Vec<String>,
    pub(super) timeout: Option<Spanned<String>>,
}

/// `techniques` or `extractors`: a list of names, or a command that prints them.
pub(super) enum RawNames {
    /// `["DTFitting", …]`.
    List(Vec<String>),
    /// `{ command = [...], timeout = "30s", allow_empty = false }`.
    Command(RawNamesCommand),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNamesCommand {
    pub(super) command: Vec<String>,
    pub(super) timeout: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) allow_empty: bool,
}

impl<'de> Deserialize<'de> for RawNames {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RawNames, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawNames;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of names or { command = [...] }")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<RawNames, A::Error> {
                Vec::deserialize(SeqAccessDeserializer::new(seq)).map(RawNames::List)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawNames, A::Error> {
                RawNamesCommand::deserialize(MapAccessDeserializer::new(map)).map(RawNames::Command)
            }
        }
        d.deserialize_any(V)
    }
}

/// A `strip` entry: a selector, or `{ path = "…", expect = "rfc3339" }`.
pub(super) struct RawStrip {
    pub(super) path: String,
    pub(super) expect: Option<Expect>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTypedStrip {
    path: String,
    expect: Option<Expect>,
}

impl<'de> Deserialize<'de> for RawStrip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RawStrip, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawStrip;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a selector string or { path, expect }")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RawStrip, E> {
                Ok(RawStrip {
                    path: s.to_owned(),
                    expect: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawStrip, A::Error> {
                let t = RawTypedStrip::deserialize(MapAccessDeserializer::new(map))?;
                Ok(RawStrip {
                    path: t.path,
                    expect: t.expect,
                })
            }
        }
        d.deserialize_any(V)
    }
}
