//! Folder objects: any bytes are an object or an error, never a panic; an object read back
//! from its own bytes is the same object.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(o) = provbase::manifest::tree::Object::parse(data) {
        let again = provbase::manifest::tree::Object::parse(&o.to_bytes()).expect("its own bytes");
        assert_eq!(again, o);
    }
});
