//! The `hardware` section: CPU, memory (whole GiB, so a few MiB of kernel reservation is not
//! drift), operating system, host name (stripped by default: runners differ) and GPUs.

use crate::manifest::Or;
use crate::manifest::types::{Cpu, Hardware, Os};
use serde_json::{Map, Value};
use std::path::Path;
use sysinfo::{CpuRefreshKind, System};

const GIB: u64 = 1024 * 1024 * 1024;

/// Bytes rounded to the nearest whole GiB.
pub fn round_gib(bytes: u64) -> u64 {
    (bytes + GIB / 2) / GIB
}

fn or_unavailable<T>(r: Result<T, sysinfo::Error>) -> Or<T> {
    r.map_err(|e| e.to_string()).into()
}

/// Collects the CPU, memory and OS part (fast: no CPU usage sampling, no process list); the
/// GPUs are left empty.
pub fn host() -> Hardware {
    let (cpu, memory_gib) = match System::new() {
        Ok(mut sys) => {
            sys.refresh_cpu_list(CpuRefreshKind::nothing());
            sys.refresh_memory();
            let cpus = sys.cpus();
            let brand = cpus
                .first()
                .map(|c| c.brand().trim().to_owned())
                .filter(|b| !b.is_empty());
            let cpu = Cpu {
                brand: brand.map_or_else(|| Or::unavailable("not reported"), Or::Value),
                arch: System::cpu_arch(),
                logical_cores: cpus.len() as u64,
                physical_cores: or_unavailable(System::physical_core_count().map(|n| n as u64)),
            };
            (Or::Value(cpu), Or::Value(round_gib(sys.total_memory())))
        }
        Err(e) => (
            Or::unavailable(e.to_string()),
            Or::unavailable(e.to_string()),
        ),
    };
    Hardware {
        cpu,
        memory_gib,
        os: Os {
            name: or_unavailable(System::name()),
            version: or_unavailable(System::os_version()),
            kernel: or_unavailable(System::kernel_version()),
        },
        hostname: Some(or_unavailable(System::host_name())),
        gpus: Map::new(),
    }
}

/// The whole `hardware` section.
pub fn collect(dir: &Path, on: &super::Host) -> Hardware {
    let mut h = host();
    h.gpus = match super::gpu::collect(dir, on) {
        Value::Object(m) => m,
        other => Map::from_iter([("unavailable".to_owned(), other)]),
    };
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
        let h = serde_json::to_value(host()).unwrap();
        assert!(h["cpu"]["logical_cores"].as_u64().unwrap() >= 1, "{h}");
        assert!(h["memory_gib"].as_u64().unwrap() >= 1, "{h}");
        assert!(!h["cpu"]["arch"].as_str().unwrap().is_empty(), "{h}");
        assert!(h["os"]["kernel"].is_string(), "{h}");
    }
}
