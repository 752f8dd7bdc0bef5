//! `check`'s comparison and explanation: any bytes that load as a baseline are compared with
//! a real one, explained (folder notes, git history) and rendered, never a panic.
#![no_main]
const CURRENT: &[u8] = include_bytes!("../../tests/fixtures/formats/v1/docs/baselines/nav.json");

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("baselines/fuzz.json");
    let Ok(stored) = provbase::store::parse(path, data.to_vec()) else {
        return;
    };
    let current: serde_json::Value = serde_json::from_slice(CURRENT).expect("the fixture");
    let policy = provbase::policy::PolicySet::default();
    let drifts = provbase::drift::compare(&stored.value, &current, &policy);
    let shown: Vec<&provbase::Drift> = drifts.iter().collect();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let store = provbase::trees::Store::foreign(&std::env::temp_dir().join("provbase-fuzz-trees"));
    let notes = provbase::explain::explain(root, &store, &stored.value, &shown);
    for line in provbase::report::human::summary_lines(&shown) {
        let _ = provbase::outbound::text(&line);
    }
    for n in notes {
        let _ = provbase::outbound::text(&n.text);
    }
});
