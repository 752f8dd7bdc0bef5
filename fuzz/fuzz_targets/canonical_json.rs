//! Canonical JSON: whatever parses has one canonical form, stable under a round trip through
//! the on-disk form and through RFC 8785 bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(mut v) = provbase::canonical::parse_strict(data) else {
        return;
    };
    provbase::canonical::stringify_big_integers(&mut v);
    let jcs = provbase::canonical::jcs_bytes(&v);
    let pretty = provbase::canonical::pretty_bytes(&v);
    let back = provbase::canonical::parse_strict(&pretty).expect("the on-disk form parses");
    assert_eq!(provbase::canonical::jcs_bytes(&back), jcs, "pretty round trip");
    let again = provbase::canonical::parse_strict(&jcs).expect("the JCS form parses");
    assert_eq!(provbase::canonical::jcs_bytes(&again), jcs, "JCS round trip");
});
