//! The fleet page: any bytes given as a report are folded, or named as not a report, and the
//! page and its Markdown summary are written, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("provbase-fuzz-fold-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("r.json"), data);
    if let Ok((loaded, _)) = provbase::report::fold::load(&["r.json".to_owned()], &dir) {
        let folded = provbase::report::fold::fold(loaded);
        let page = provbase::report::page::html(&folded);
        assert!(!page.contains("<script"));
        let _ = provbase::report::page::markdown(&folded);
    }
});
