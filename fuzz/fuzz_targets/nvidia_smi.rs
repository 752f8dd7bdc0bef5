//! `nvidia-smi -q -x` output: any text gives a GPU section or an error, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = provbase::collect::gpu::nvidia_smi::parse(text);
    }
});
