//! harness.toml: any text gives a configuration or an error naming a line, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let path = std::path::Path::new("/fuzz/harness.toml");
        if let Err(e) = provbase::Config::parse(text, path) {
            assert!(e.to_string().contains("harness.toml"), "{e}");
        }
    }
});
