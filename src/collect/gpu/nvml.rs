//! NVIDIA GPUs through NVML. `libnvidia-ml.so.1` is opened at run time, so provbase starts on
//! machines without a GPU; there `Nvml::init` fails at once and the caller falls back.
//! `PROVBASE_NVML_LIBRARY` names another library to load instead.

use super::{hashed_id, reported};
use crate::manifest::unavailable;
use nvml_wrapper::Nvml;
use nvml_wrapper::error::NvmlError;
use serde_json::{Value, json};

fn or_unavailable<T>(r: Result<T, NvmlError>, f: impl FnOnce(T) -> Value) -> Value {
    match r {
        Ok(v) => f(v),
        Err(NvmlError::NotSupported) => unavailable("Not Supported"),
        Err(e) => unavailable(e.to_string()),
    }
}

/// Collects the `hardware.gpus` section through NVML (`library`, else the system's), or says
/// why it cannot.
pub fn collect(library: Option<&std::ffi::OsStr>) -> Result<Value, crate::error::ParseError> {
    // the loader's own message names paths that differ between machines: keep the reason
    // stable so that two CPU-only runners agree
    let mut builder = Nvml::builder();
    if let Some(path) = library {
        builder.lib_path(path);
    }
    let nvml = builder
        .init()
        .map_err(|e| crate::error::ParseError::Library {
            action: "load NVML",
            reason: match e {
                NvmlError::LibloadingError(_)
                | NvmlError::DriverNotLoaded
                | NvmlError::LibraryNotFound => "no NVIDIA driver".to_owned(),
                other => other.to_string(),
            },
        })?;
    let query = |e: NvmlError| crate::error::ParseError::Library {
        action: "query NVML",
        reason: e.to_string(),
    };
    let count = nvml.device_count().map_err(query)?;
    if count as usize > super::MAX_DEVICES {
        return Err(super::too_many("NVML", count));
    }
    let mut devices = Vec::new();
    for i in 0..count {
        let d = nvml.device_by_index(i).map_err(query)?;
        let mig = d.mig_mode();
        let mig_enabled = matches!(&mig, Ok(m) if m.current == 1);
        let mut mig_devices = Vec::new();
        if mig_enabled && let Ok(n) = d.mig_device_count() {
            if n as usize > super::MAX_DEVICES {
                return Err(super::too_many("NVML (MIG)", n));
            }
            for m in 0..n {
                if let Ok(md) = d.mig_device_by_index(m) {
                    mig_devices.push(json!({
                        "index": m,
                        "memory_total_mib": or_unavailable(md.memory_info(), |x| json!(x.total / (1024 * 1024))),
                    }));
                }
            }
        }
        devices.push(json!({
            "vendor": "nvidia",
            "name": or_unavailable(d.name(), |x| json!(x)),
            "architecture": or_unavailable(d.architecture(), |x| json!(x.to_string())),
            "memory_total_mib": or_unavailable(d.memory_info(), |x| json!(x.total / (1024 * 1024))),
            "compute_capability": or_unavailable(d.cuda_compute_capability(), |c| json!(format!("{}.{}", c.major, c.minor))),
            "ecc_mode": or_unavailable(d.is_ecc_enabled(), |e| json!(if e.currently_enabled { "Enabled" } else { "Disabled" })),
            "mig_mode": or_unavailable(mig, |m| json!(if m.current == 1 { "Enabled" } else { "Disabled" })),
            "mig_devices": mig_devices,
            "vbios": or_unavailable(d.vbios_version(), |x| json!(x)),
            "pci_bus_id": or_unavailable(d.pci_info(), |p| json!(p.bus_id)),
            "uuid": or_unavailable(d.uuid(), |u| hashed_id(Some(&u))),
            "serial": or_unavailable(d.serial(), |s| hashed_id(Some(&s))),
        }));
    }
    let cuda = nvml.sys_cuda_driver_version().map(|v| {
        format!(
            "{}.{}",
            nvml_wrapper::cuda_driver_version_major(v),
            nvml_wrapper::cuda_driver_version_minor(v)
        )
    });
    Ok(json!({
        "source": "nvml",
        "driver_version": or_unavailable(nvml.sys_driver_version(), |v| reported(Some(&v))),
        "cuda_driver_version": or_unavailable(cuda, |v| json!(v)),
        "devices": devices,
    }))
}
