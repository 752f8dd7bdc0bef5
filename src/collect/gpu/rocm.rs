//! The `rocm-smi --json` parser. Every value is a string and key names differ across ROCm
//! versions (`GPU ID` or `Device ID`, `Card series` or `Card Series`), so keys are matched
//! without regard to case, and several spellings are tried.

use super::{hashed_id, mib, reported};
use crate::manifest::unavailable;
use serde_json::{Map, Value, json};

fn get<'a>(card: &'a Map<String, Value>, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|n| {
        card.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .and_then(|(_, v)| v.as_str())
    })
}

/// Parses the JSON into the `hardware.gpus` section.
pub fn parse(text: &str) -> Result<Value, crate::error::ParseError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| crate::error::ParseError::NotFormat {
        format: "valid rocm-smi JSON",
        reason: e.to_string(),
    })?;
    let top = doc
        .as_object()
        .ok_or_else(|| crate::error::ParseError::Shape {
            what: "rocm-smi JSON".into(),
            expected: "an object",
        })?;
    let mut cards: Vec<(&String, &Map<String, Value>)> = top
        .iter()
        .filter(|(k, _)| k.starts_with("card"))
        .filter_map(|(k, v)| Some((k, v.as_object()?)))
        .collect();
    if cards.len() > super::MAX_DEVICES {
        return Err(super::too_many("rocm-smi", cards.len() as u64));
    }
    cards.sort_by_key(|(k, _)| k[4..].parse::<u32>().unwrap_or(u32::MAX));
    let devices: Vec<Value> = cards
        .iter()
        .map(|(_, c)| {
            json!({
                "vendor": "amd",
                "name": reported(get(c, &["Card series", "Card model"])),
                "device_id": reported(get(c, &["Device ID", "GPU ID"])),
                "sku": reported(get(c, &["Card SKU"])),
                "gfx_version": reported(get(c, &["GFX Version"])),
                "memory_total_mib": get(c, &["VRAM Total Memory (B)"]).and_then(mib).map_or_else(|| unavailable("not reported"), Value::from),
                "vbios": reported(get(c, &["VBIOS version"])),
                "uuid": hashed_id(get(c, &["Unique ID"])),
                "serial": hashed_id(get(c, &["Serial Number"])),
            })
        })
        .collect();
    let driver = top
        .get("system")
        .and_then(Value::as_object)
        .and_then(|s| get(s, &["Driver version"]));
    Ok(json!({
        "source": "rocm-smi",
        "driver_version": reported(driver),
        "devices": devices,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn fixture(name: &str) -> Value {
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/amd/rocm-smi-json");
        parse(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
    }

    #[test]
    fn every_rocm_version() {
        let cases: &[(&str, usize, &str, &str, u64)] = &[
            (
                "telegraf_mi100_rocm571.json",
                6,
                "Arcturus GL-XL [Instinct MI100]",
                "6.2.4",
                32752,
            ),
            (
                "telegraf_mi100_rocm602.json",
                4,
                "Arcturus GL-XL [Instinct MI100]",
                "6.3.6",
                32752,
            ),
            (
                "telegraf_rx6700xt_rocm430.json",
                1,
                "0x1002",
                "6.3.6",
                12272,
            ),
            (
                "telegraf_rx6700xt_rocm612.json",
                1,
                "Navi 22 [Radeon RX 6700/6700 XT / 6800M]",
                "6.3.6",
                12272,
            ),
            ("telegraf_vega-10-XT.json", 1, "0xc1e", "5.9.25", 16368),
        ];
        for (file, n, name, driver, mem) in cases {
            let v = fixture(file);
            let d = v["devices"].as_array().unwrap();
            assert_eq!(d.len(), *n, "{file}");
            assert_eq!(d[0]["name"], *name, "{file}");
            assert_eq!(v["driver_version"], *driver, "{file}");
            assert_eq!(d[0]["memory_total_mib"], *mem, "{file}");
        }
        let v = fixture("telegraf_mi100_rocm602.json");
        assert_eq!(
            v["devices"][0]["uuid"],
            crate::canonical::sha256_tagged(b"0x79ccd55167a2124a")
        );
        assert_eq!(v["devices"][0]["device_id"], "0x738c");
        assert_eq!(
            fixture("telegraf_mi100_rocm571.json")["devices"][0]["device_id"],
            "0x738c"
        );
    }

    #[test]
    fn too_many_cards_are_refused() {
        let cards: Vec<String> = (0..65)
            .map(|i| format!("\"card{i}\": {{\"Card series\": \"X\"}}"))
            .collect();
        let e = parse(&format!("{{{}}}", cards.join(","))).unwrap_err();
        assert!(
            matches!(
                e,
                crate::error::ParseError::TooManyDevices {
                    tool: "rocm-smi",
                    count: 65,
                    max: 64
                }
            ),
            "{e}"
        );
    }
}
