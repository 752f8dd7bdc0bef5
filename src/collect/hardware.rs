//! The `hardware` section: CPU, memory (whole GiB, so a few MiB of kernel reservation is not
//! drift), operating system, host name (stripped by default: runners differ) and GPUs.

use crate::manifest::unavailable;
use serde_json::{Value, json};
use std::path::Path;
use sysinfo::{CpuRefreshKind, System};

const GIB: u64 = 1024 * 1024 * 1024;

/// Bytes rounded to the nearest whole GiB.
pub fn round_gib(bytes: u64) -> u64 {
    (bytes + GIB / 2) / GIB
}

fn or_unavailable<T: Into<Value>>(r: Result<T, sysinfo::Error>) -> Value {
    match r {
        Ok(v) => v.into(),
        Err(e) => unavailable(e.to_string()),
    }
}

/// Collects the CPU, memory and OS part (fast: no CPU usage sampling, no process list).
pub fn host() -> Value {
    let (cpu, memory) = match System::new() {
        Ok(mut sys) => {
            sys.refresh_cpu_list(CpuRefreshKind::nothing());
            sys.refresh_memory();
            let cpus = sys.cpus();
            let brand = cpus
                .first()
                .map(|c| c.brand().trim().to_owned())
                .filter(|b| !b.is_empty());
            (
                json!({
                    "brand": brand.map_or_else(|| unavailable("not reported"), Value::from),
                    "arch": System::cpu_arch(),
                    "logical_cores": cpus.len(),
                    "physical_cores": or_unavailable(System::physical_core_count()),
                }),
                json!(round_gib(sys.total_memory())),
            )
        }
        Err(e) => (unavailable(e.to_string()), unavailable(e.to_string())),
    };
    json!({
        "cpu": cpu,
        "memory_gib": memory,
        "os": {
            "name": or_unavailable(System::name()),
            "version": or_unavailable(System::os_version()),
            "kernel": or_unavailable(System::kernel_version()),
        },
        "hostname": or_unavailable(System::host_name()),
    })
}

/// The whole `hardware` section.
pub fn collect(dir: &Path) -> Value {
    let mut h = host();
    h["gpus"] = super::gpu::collect(dir);
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_rounds_to_whole_gib() {
        assert_eq!(round_gib(24 * GIB - 300 * 1024 * 1024), 24);
        assert_eq!(round_gib(24 * GIB + 10), 24);
        assert_eq!(round_gib(GIB / 2 - 1), 0);
    }

    #[test]
    fn this_machine_has_a_cpu_and_memory() {
        let h = host();
        assert!(h["cpu"]["logical_cores"].as_u64().unwrap() >= 1, "{h}");
        assert!(h["memory_gib"].as_u64().unwrap() >= 1, "{h}");
        assert!(!h["cpu"]["arch"].as_str().unwrap().is_empty(), "{h}");
        assert!(h["os"]["kernel"].is_string(), "{h}");
    }
}
