//! Baselines: any bytes are a baseline or an error naming the file, never a panic; a
//! baseline that loads is one whose digest matches its content.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("baselines/fuzz.json");
    match provbase::store::parse(path, data.to_vec()) {
        Ok(stored) => {
            let digest = stored.value["digest"].as_str().unwrap_or_default();
            assert_eq!(digest, provbase::manifest::compute_digest(&stored.value));
        }
        Err(e) => assert!(e.to_string().contains("fuzz.json"), "{e}"),
    }
});
