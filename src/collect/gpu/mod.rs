//! GPU inventory: NVIDIA GPUs through NVML (loaded at run time), else `nvidia-smi -q -x`; AMD
//! GPUs through `rocm-smi --json`. With none of them, `{"unavailable": "<why>"}`.

pub mod nvidia_smi;
pub mod nvml;
pub mod rocm;

/// The most GPUs (and MIG devices of one GPU) a collector accepts: a machine reporting more is
/// broken or hostile, and reading them all could take minutes.
pub const MAX_DEVICES: usize = 64;

/// The error for a device count past [`MAX_DEVICES`].
pub fn too_many(tool: &'static str, count: impl Into<u64>) -> crate::error::ParseError {
    crate::error::ParseError::TooManyDevices {
        tool,
        count: count.into(),
        max: MAX_DEVICES,
    }
}

use crate::manifest::unavailable;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

/// A value a vendor tool printed, or unavailable when it says it has none (`N/A`,
/// `[Not Supported]`, "Requested functionality has been deprecated", …).
pub fn reported(raw: Option<&str>) -> Value {
    match raw.map(str::trim) {
        None => unavailable("not reported"),
        Some("") => unavailable("empty"),
        Some(s)
            if matches!(
                s,
                "N/A"
                    | "[N/A]"
                    | "Not Supported"
                    | "[Not Supported]"
                    | "Unknown Error"
                    | "[Unknown Error]"
            ) =>
        {
            unavailable(s.trim_matches(['[', ']']))
        }
        Some(s) if s.starts_with("Requested functionality has been deprecated") => {
            unavailable("deprecated")
        }
        Some(s) => json!(s),
    }
}

/// Memory in MiB from text such as `80 GiB`, `4096 MiB` or a byte count.
pub fn mib(raw: &str) -> Option<u64> {
    let t = raw.trim();
    let (num, unit) = t.split_at(
        t.find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(t.len()),
    );
    let n: f64 = num.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "mib" | "mb" => 1.0,
        "gib" | "gb" => 1024.0,
        "kib" | "kb" => 1.0 / 1024.0,
        "" | "b" => 1.0 / (1024.0 * 1024.0),
        _ => return None,
    };
    Some((n * factor).round() as u64)
}

/// A hardware identifier recorded as its hash, never raw. Placeholder values stay as they
/// are (they identify nothing).
pub fn hashed_id(raw: Option<&str>) -> Value {
    match reported(raw) {
        Value::String(s) if s.chars().all(|c| c == '0') || s == "REDACTED" => {
            unavailable(format!("placeholder `{s}`"))
        }
        Value::String(s) => json!(crate::canonical::sha256_tagged(s.as_bytes())),
        other => other,
    }
}

/// Where `tool` is on `path`, if it is.
fn on_path(tool: &str, path: Option<&std::ffi::OsStr>) -> Option<std::path::PathBuf> {
    std::env::split_paths(path?)
        .map(|p| p.join(tool))
        .find(|p| p.is_file())
}

/// The GPUs of a `hardware.gpus` section in one line: the model (with a count when there are
/// several, and every model when they differ) and the driver's version.
pub fn summary(gpus: &serde_json::Map<String, Value>) -> Option<(String, Option<String>)> {
    let devices = gpus.get("devices")?.as_array()?;
    let mut names: Vec<&str> = devices
        .iter()
        .filter_map(|d| d.get("name")?.as_str())
        .collect();
    if names.is_empty() {
        return None;
    }
    let n = names.len();
    names.sort_unstable();
    names.dedup();
    let model = match (n, names.as_slice()) {
        (1, [one]) => (*one).to_owned(),
        (_, [one]) => format!("{n} × {one}"),
        (_, many) => many.join(", "),
    };
    let driver = gpus
        .get("driver_version")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some((model, driver))
}

/// Collects the `hardware.gpus` section, with the host's NVML library and the vendors' tools
/// on its `PATH`.
pub fn collect(dir: &Path, host: &super::Host) -> Value {
    let timeout = Duration::from_secs(30);
    let mut reasons = Vec::new();
    let path = host.tools_path.as_deref();
    let mut nvidia = match nvml::collect(host.nvml_library.as_deref()) {
        Ok(v) => Some(v),
        Err(why) => {
            reasons.push(format!("NVML: {why}"));
            None
        }
    };
    if nvidia.is_none() {
        if let Some(found) = on_path("nvidia-smi", path) {
            let argv = vec!["nvidia-smi".to_owned(), "-q".into(), "-x".into()];
            match super::command::run_found(Some(&found), &argv, dir, timeout)
                .and_then(|o| nvidia_smi::parse(&o.stdout).map_err(super::CollectError::from))
            {
                Ok(v) => nvidia = Some(v),
                Err(e) => reasons.push(format!("nvidia-smi: {e}")),
            }
        } else {
            reasons.push("no nvidia-smi on PATH".into());
        }
    }
    let amd = if let Some(found) = on_path("rocm-smi", path) {
        let argv: Vec<String> = [
            "rocm-smi",
            "--showproductname",
            "--showvbios",
            "--showmeminfo",
            "vram",
            "--showdriverversion",
            "--showuniqueid",
            "--json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        match super::command::run_found(Some(&found), &argv, dir, timeout)
            .and_then(|o| rocm::parse(&o.stdout).map_err(super::CollectError::from))
        {
            Ok(v) => Some(v),
            Err(e) => {
                reasons.push(format!("rocm-smi: {e}"));
                None
            }
        }
    } else {
        None
    };
    match (nvidia, amd) {
        (Some(n), None) => n,
        (None, Some(a)) => a,
        (Some(mut n), Some(a)) => {
            n["amd"] = a;
            n
        }
        (None, None) => unavailable(reasons.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields that NVML and `nvidia-smi -q -x` both report, where the two disagree.
    fn disagreements(nvml: &Value, smi: &Value) -> Vec<String> {
        let mut out = Vec::new();
        let mut same = |what: String, a: &Value, b: &Value| {
            if a != b {
                out.push(format!("{what}: NVML {a}, nvidia-smi {b}"));
            }
        };
        assert_eq!(nvml["source"], "nvml");
        assert_eq!(smi["source"], "nvidia-smi");
        for key in ["driver_version", "cuda_driver_version"] {
            same(key.into(), &nvml[key], &smi[key]);
        }
        let (a, b) = (
            nvml["devices"].as_array().unwrap(),
            smi["devices"].as_array().unwrap(),
        );
        same("device count".into(), &json!(a.len()), &json!(b.len()));
        for (i, (a, b)) in a.iter().zip(b).enumerate() {
            for key in [
                "vendor",
                "name",
                "architecture",
                "memory_total_mib",
                "ecc_mode",
                "mig_mode",
                "vbios",
                "pci_bus_id",
                "uuid",
                "serial",
            ] {
                same(format!("devices[{i}].{key}"), &a[key], &b[key]);
            }
            let count = |d: &Value| json!(d["mig_devices"].as_array().map_or(0, Vec::len));
            same(format!("devices[{i}].mig_devices"), &count(a), &count(b));
        }
        out
    }

    /// The probe looks where its host says, not at the process: a host whose tools' PATH
    /// holds a stand-in `nvidia-smi` (printing a captured A100's XML) and whose NVML library
    /// does not exist gets that GPU; a host with no tools gets the reasons.
    #[cfg(unix)]
    #[test]
    fn the_gpu_probe_reads_its_hosts_tools() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let capture = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/gpu/nvidia-smi-xml/telegraf_a100-sxm4-v12.xml"
        );
        let smi = dir.path().join("nvidia-smi");
        std::fs::write(&smi, format!("#!/bin/sh\nexec /bin/cat '{capture}'\n")).unwrap();
        std::fs::set_permissions(&smi, std::fs::Permissions::from_mode(0o755)).unwrap();
        let host = |tools: &Path| super::super::Host {
            tools_path: Some(tools.as_os_str().to_owned()),
            nvml_library: Some(dir.path().join("no-libnvidia-ml.so.1").into_os_string()),
            ..super::super::Host::this_machine()
        };
        let v = collect(dir.path(), &host(dir.path()));
        assert_eq!(v["source"], "nvidia-smi", "{v}");
        assert_eq!(v["driver_version"], "535.54.03", "{v}");
        let none = dir.path().join("none");
        std::fs::create_dir_all(&none).unwrap();
        let v = collect(dir.path(), &host(&none));
        let why = v["unavailable"].as_str().unwrap_or_default();
        assert!(
            why.contains("NVML: cannot load NVML") && why.contains("no nvidia-smi on PATH"),
            "{v}"
        );
    }

    /// On a machine with an NVIDIA driver, NVML and nvidia-smi describe the same GPUs.
    /// `PROVBASE_EXPECT_NVML=1` (set where a GPU is known to be present) makes a driver that
    /// fails to load a failure instead of the CPU-only path.
    #[test]
    fn nvml_and_nvidia_smi_agree_on_this_machine() {
        match nvml::collect(crate::options::get().nvml_library.as_deref()) {
            Err(why) => {
                assert!(
                    std::env::var_os("PROVBASE_EXPECT_NVML").is_none(),
                    "PROVBASE_EXPECT_NVML is set, but {why}"
                );
                assert!(
                    matches!(
                        why,
                        crate::error::ParseError::Library {
                            action: "load NVML",
                            ..
                        }
                    ),
                    "{why}"
                );
            }
            Ok(from_nvml) => {
                let argv = vec!["nvidia-smi".to_owned(), "-q".into(), "-x".into()];
                let xml =
                    crate::collect::command::run(&argv, Path::new("."), Duration::from_secs(60))
                        .expect("nvidia-smi runs where NVML loads")
                        .stdout;
                let from_smi = nvidia_smi::parse(&xml).unwrap();
                assert!(!from_nvml["devices"].as_array().unwrap().is_empty());
                let diff = disagreements(&from_nvml, &from_smi);
                assert!(diff.is_empty(), "{diff:#?}");
            }
        }
    }

    /// The same comparison on what both paths printed on an H100 (see tests/fixtures/SOURCES.tsv).
    #[test]
    fn nvml_and_nvidia_smi_agree_on_a_captured_h100() {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/gpu/h100-nvml");
        let from_nvml: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("nvml.json")).unwrap()).unwrap();
        let from_smi =
            nvidia_smi::parse(&std::fs::read_to_string(dir.join("nvidia-smi-q-x.xml")).unwrap())
                .unwrap();
        assert_eq!(from_nvml["devices"][0]["architecture"], "Hopper");
        let diff = disagreements(&from_nvml, &from_smi);
        assert!(diff.is_empty(), "{diff:#?}");
    }

    #[test]
    fn vendor_placeholders_are_unavailable() {
        for raw in [
            "N/A",
            "[N/A]",
            "[Not Supported]",
            "Requested functionality has been deprecated",
            "",
        ] {
            assert!(reported(Some(raw)).get("unavailable").is_some(), "{raw}");
        }
        assert_eq!(reported(Some(" 535.54.03 ")), json!("535.54.03"));
    }

    #[test]
    fn memory_units() {
        assert_eq!(mib("80 GiB"), Some(81920));
        assert_eq!(mib("4096 MiB"), Some(4096));
        assert_eq!(mib("34342961152"), Some(32752));
        assert_eq!(mib("N/A"), None);
    }

    #[test]
    fn ids_are_hashed_and_placeholders_kept_out() {
        let h = hashed_id(Some("GPU-513536b6-7d19-9063-b049-1e69664bb298"));
        assert!(crate::canonical::is_sha256_tagged(h.as_str().unwrap()));
        assert!(
            hashed_id(Some("0000000000000"))
                .get("unavailable")
                .is_some()
        );
        assert!(hashed_id(Some("N/A")).get("unavailable").is_some());
    }
}
