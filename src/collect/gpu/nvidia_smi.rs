//! The `nvidia-smi -q -x` parser. The XML names an external DTD that is never fetched: the
//! parser reads the DOCTYPE and ignores it.

use super::{hashed_id, mib, reported};
use crate::manifest::unavailable;
use roxmltree::{Document, Node, ParsingOptions};
use serde_json::{Value, json};

fn child<'a>(n: Node<'a, 'a>, name: &str) -> Option<Node<'a, 'a>> {
    n.children().find(|c| c.has_tag_name(name))
}

fn text<'a>(n: Node<'a, 'a>, path: &[&str]) -> Option<&'a str> {
    let mut cur = n;
    for p in path {
        cur = child(cur, p)?;
    }
    Some(cur.text().unwrap_or(""))
}

/// Parses the XML into the `hardware.gpus` section.
pub fn parse(xml: &str) -> Result<Value, crate::error::ParseError> {
    let opts = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(xml, opts)
        .map_err(|e| crate::error::ParseError::NotFormat {
            format: "valid nvidia-smi XML",
            reason: e.to_string(),
        })?;
    let root = doc.root_element();
    if !root.has_tag_name("nvidia_smi_log") {
        return Err(crate::error::ParseError::Shape {
            what: format!("<{}>", root.tag_name().name()),
            expected: "<nvidia_smi_log>",
        });
    }
    let count = root.children().filter(|c| c.has_tag_name("gpu")).count();
    if count > super::MAX_DEVICES {
        return Err(super::too_many("nvidia-smi", count as u64));
    }
    let devices: Vec<Value> = root
        .children()
        .filter(|c| c.has_tag_name("gpu"))
        .map(gpu)
        .collect();
    Ok(json!({
        "source": "nvidia-smi",
        "driver_version": reported(text(root, &["driver_version"])),
        "cuda_driver_version": reported(text(root, &["cuda_version"])),
        "devices": devices,
    }))
}

fn gpu(g: Node) -> Value {
    let memory = text(g, &["fb_memory_usage", "total"]).and_then(mib);
    let mig_devices: Vec<Value> = child(g, "mig_devices")
        .map(|m| {
            m.children()
                .filter(|c| c.has_tag_name("mig_device"))
                .take(super::MAX_DEVICES)
                .map(|d| {
                    json!({
                        "index": reported(text(d, &["index"])),
                        "gpu_instance_id": reported(text(d, &["gpu_instance_id"])),
                        "compute_instance_id": reported(text(d, &["compute_instance_id"])),
                        "memory_total_mib": text(d, &["fb_memory_usage", "total"]).and_then(mib).map_or_else(|| unavailable("not reported"), Value::from),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "vendor": "nvidia",
        "name": reported(text(g, &["product_name"])),
        "architecture": reported(text(g, &["product_architecture"])),
        "memory_total_mib": memory.map_or_else(|| unavailable("not reported"), Value::from),
        "compute_capability": unavailable("not reported by nvidia-smi"),
        "ecc_mode": reported(text(g, &["ecc_mode", "current_ecc"])),
        "mig_mode": reported(text(g, &["mig_mode", "current_mig"])),
        "mig_devices": mig_devices,
        "vbios": reported(text(g, &["vbios_version"])),
        "pci_bus_id": reported(text(g, &["pci", "pci_bus_id"]).or(g.attribute("id"))),
        "uuid": hashed_id(text(g, &["uuid"])),
        "serial": hashed_id(text(g, &["serial"])),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn fixture(name: &str) -> Value {
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gpu/nvidia-smi-xml");
        parse(&std::fs::read_to_string(dir.join(name)).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn every_real_capture_parses() {
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gpu/nvidia-smi-xml");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let v = fixture(&name);
            let devices = v["devices"].as_array().unwrap();
            assert!(!devices.is_empty(), "{name}");
            for d in devices {
                assert!(d["name"].is_string(), "{name}: {d}");
                let raw = serde_json::to_string(d).unwrap();
                assert!(!raw.contains("GPU-"), "{name}: a raw UUID leaked");
            }
            n += 1;
        }
        assert_eq!(n, 11);
    }

    #[test]
    fn values_from_known_captures() {
        let a100 = fixture("telegraf_a100-sxm4-v12.xml");
        assert_eq!(a100["driver_version"], "535.54.03");
        assert_eq!(a100["cuda_driver_version"], "12.2");
        let d = &a100["devices"][0];
        assert_eq!(d["name"], "NVIDIA A100-SXM4-80GB");
        assert_eq!(d["mig_mode"], "Enabled");
        assert_eq!(d["ecc_mode"], "Enabled");
        assert_eq!(d["pci_bus_id"], "00000000:01:00.0");
        assert_eq!(d["memory_total_mib"], 81920);
        assert_eq!(d["mig_devices"][0]["memory_total_mib"], 19968);
        assert_eq!(
            d["uuid"],
            crate::canonical::sha256_tagged(b"GPU-513536b6-7d19-9063-b049-1e69664bb298")
        );
        let dual = fixture("telegraf_dual_a5000-v13.xml");
        assert_eq!(dual["devices"].as_array().unwrap().len(), 2);
        // an older truncated capture without driver_version
        let old = fixture("telegraf_gtx-1070-ti.xml");
        assert_eq!(old["driver_version"]["unavailable"], "not reported");
        assert_eq!(old["devices"][0]["memory_total_mib"], 4096);
        let t4 = fixture("telegraf_tesla-t4.xml");
        assert_eq!(t4["devices"][0]["mig_mode"]["unavailable"], "N/A");
        assert_eq!(t4["devices"][0]["mig_devices"], json!([]));
        assert!(
            t4["devices"][0]["serial"]["unavailable"]
                .as_str()
                .unwrap()
                .contains("placeholder")
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse("not xml").is_err());
        assert_eq!(
            parse("<other/>").unwrap_err(),
            crate::error::ParseError::Shape {
                what: "<other>".into(),
                expected: "<nvidia_smi_log>"
            }
        );
    }

    /// A log listing more GPUs than any machine has is refused at once, not read for seconds.
    #[test]
    fn too_many_gpus_are_refused() {
        let gpus = "<gpu id=\"0\"><product_name>X</product_name></gpu>".repeat(200_000);
        let xml =
            format!("<nvidia_smi_log><driver_version>1</driver_version>{gpus}</nvidia_smi_log>");
        let e = parse(&xml).unwrap_err();
        assert_eq!(
            e.to_string(),
            "nvidia-smi reports 200000 devices, more than the 64 provbase accepts"
        );
        let ok = "<gpu id=\"0\"><product_name>X</product_name></gpu>".repeat(8);
        let xml = format!("<nvidia_smi_log>{ok}</nvidia_smi_log>");
        assert_eq!(parse(&xml).unwrap()["devices"].as_array().unwrap().len(), 8);
    }
}
