//! NAIF text-kernel rules: any text gives kernels or an error with a line, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = provbase::collect::spice::parse_metakernel(text);
        let _ = provbase::collect::spice::parse_pool(text);
    }
});
