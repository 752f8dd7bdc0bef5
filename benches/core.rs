//! `cargo bench`: hashing, canonical JSON and drift. Figures against peers (openssl, find, git)
//! come from `bench/compare.sh`, which runs them side by side.

use provbase::drift::{PolicySet, compare};
use serde_json::{Map, Value, json};
use std::io::Write;

fn main() {
    divan::main();
}

fn manifest(n: usize, salt: &str) -> Value {
    let files: Map<String, Value> = (0..n)
        .map(|i| {
            (
                format!("data/part-{i:06}.bin"),
                json!(provbase::canonical::sha256_tagged(
                    format!("{salt}{i}").as_bytes()
                )),
            )
        })
        .collect();
    json!({ "format_version": 1, "run": "bench", "static_data_hashes": files, "params": { "seed": 42 } })
}

#[divan::bench(args = [1 << 12, 1 << 20, 16 << 20])]
fn sha256_in_memory(bencher: divan::Bencher, len: usize) {
    let data = vec![7u8; len];
    bencher
        .counter(divan::counter::BytesCount::new(len))
        .bench(|| provbase::canonical::sha256_tagged(divan::black_box(&data)));
}

#[divan::bench(args = [64 << 10, 64 << 20])]
fn sha256_file_in_page_cache(bencher: divan::Bencher, len: usize) {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(&vec![3u8; len]).unwrap();
    let path = f.path().to_owned();
    provbase::collect::files::sha256_file(&path).unwrap();
    bencher
        .counter(divan::counter::BytesCount::new(len))
        .bench(|| provbase::collect::files::sha256_file(&path).unwrap());
}

#[divan::bench(args = [100, 1000])]
fn hash_many_small_files(bencher: divan::Bencher, n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = (0..n)
        .map(|i| {
            let p = dir.path().join(format!("f{i}"));
            std::fs::write(&p, vec![i as u8; 1024 + (i * 131) % 15360]).unwrap();
            p
        })
        .collect();
    bencher.bench(|| {
        let progress = provbase::collect::hashing::Progress::default();
        provbase::collect::hashing::hash_many(&paths, &progress)
    });
}

#[divan::bench(args = [1_000, 100_000])]
fn canonical_json(bencher: divan::Bencher, n: usize) {
    let m = manifest(n, "a");
    bencher.bench(|| provbase::canonical::jcs_bytes(divan::black_box(&m)));
}

#[divan::bench(args = [1_000, 100_000])]
fn pretty_json(bencher: divan::Bencher, n: usize) {
    let m = manifest(n, "a");
    bencher.bench(|| provbase::canonical::pretty_bytes(divan::black_box(&m)));
}

#[divan::bench(args = [1_000, 100_000])]
fn drift_everything_changed(bencher: divan::Bencher, n: usize) {
    let (a, b) = (manifest(n, "a"), manifest(n, "b"));
    let policy = PolicySet::default();
    bencher.bench(|| compare(divan::black_box(&a), divan::black_box(&b), &policy).len());
}

#[divan::bench(args = [100_000])]
fn drift_nothing_changed(bencher: divan::Bencher, n: usize) {
    let (a, b) = (manifest(n, "a"), manifest(n, "a"));
    let policy = PolicySet::default();
    bencher.bench(|| compare(divan::black_box(&a), divan::black_box(&b), &policy).len());
}
