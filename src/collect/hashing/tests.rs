//! Hashing: digests against openssl's, the SHA backend, special files, files that change while read.

use super::*;

/// Which SHA-256 implementation runs here. sha2 takes the CPU's SHA extensions (SHA-NI on
/// x86-64, about 5 times faster than its portable code) whenever CPUID reports `sha` and
/// `sse4.1`, unless the build forces its portable backend with `--cfg sha2_backend="soft"`.
fn sha256_backend() -> &'static str {
    if cfg!(any(sha2_backend = "soft", sha2_256_backend = "soft")) {
        return "portable (forced by --cfg sha2_backend)";
    }
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    if std::arch::is_x86_feature_detected!("sha") && std::arch::is_x86_feature_detected!("sse4.1") {
        return "sha-ni";
    }
    #[cfg(target_arch = "aarch64")]
    if std::arch::is_aarch64_feature_detected!("sha2") {
        return "armv8-sha2";
    }
    "portable"
}

/// Where the CPU has SHA-NI, hashing must take it: the portable path is a 5x cliff.
#[test]
fn sha256_takes_the_cpus_sha_extensions_where_it_has_them() {
    #[cfg(target_arch = "x86_64")]
    {
        let cpu_has_it = std::arch::is_x86_feature_detected!("sha")
            && std::arch::is_x86_feature_detected!("sse4.1");
        let on_linux_cpuinfo = std::fs::read_to_string("/proc/cpuinfo")
            .map(|c| c.contains(" sha_ni"))
            .unwrap_or(cpu_has_it);
        assert_eq!(
            cpu_has_it, on_linux_cpuinfo,
            "CPUID and /proc/cpuinfo disagree about SHA-NI"
        );
        if cpu_has_it {
            assert_eq!(sha256_backend(), "sha-ni");
        } else {
            eprintln!("this CPU has no SHA-NI: the portable SHA-256 runs");
        }
    }
    assert!(
        !sha256_backend().contains("forced"),
        "built with sha2's portable backend forced"
    );
}

#[test]
fn the_buffer_is_page_aligned() {
    for (large, len) in [(false, SMALL_LEN), (true, BUF_LEN)] {
        with_buffer(large, |b| {
            assert_eq!(b.as_ptr() as usize % PAGE, 0);
            assert_eq!(b.len(), len);
        });
    }
}

#[test]
fn many_files_in_order_and_errors_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for i in 0..200u32 {
        let p = dir.path().join(format!("f{i}"));
        // sizes around the buffer's length too
        let len = if i == 7 {
            BUF_LEN + 3
        } else if i == 8 {
            BUF_LEN
        } else {
            (i as usize) * 37
        };
        std::fs::write(&p, vec![i as u8; len]).unwrap();
        paths.push(p);
    }
    paths.insert(50, dir.path().join("missing"));
    let progress = Progress::default();
    let got = hash_many(&paths, &progress);
    assert_eq!(got.len(), 201);
    assert!(got[50].is_err());
    for (p, r) in paths.iter().zip(&got) {
        if let Ok((h, len)) = r {
            let bytes = std::fs::read(p).unwrap();
            assert_eq!(*len as usize, bytes.len());
            assert_eq!(
                crate::canonical::tag_digest(h),
                crate::canonical::sha256_tagged(&bytes),
                "{}",
                p.display()
            );
        }
    }
    assert_eq!(progress.files.load(Ordering::Relaxed), 200);
}

fn digest_of(bytes: &[u8]) -> String {
    crate::canonical::sha256_tagged(bytes)
}

fn resolved(paths: &[PathBuf], regular: bool) -> Vec<String> {
    resolve_many(paths, None, None, regular, &Progress::default(), Settle::SYSTEM)
        .into_iter()
        .map(|(h, _)| crate::canonical::tag_digest(&h.unwrap().0))
        .collect()
}

/// Regular files end at their first short read; every size around the buffers' lengths
/// still hashes all of its bytes.
#[test]
fn regular_files_of_every_size_around_the_buffers() {
    let dir = tempfile::tempdir().unwrap();
    let sizes = [
        0,
        1,
        4095,
        4096,
        SMALL_LEN - 1,
        SMALL_LEN,
        SMALL_LEN + 1,
        2 * SMALL_LEN,
        BUF_LEN + SMALL_LEN,
        BUF_LEN + SMALL_LEN + 1,
    ];
    let mut paths = Vec::new();
    let mut want = Vec::new();
    for (i, len) in sizes.iter().enumerate() {
        let bytes: Vec<u8> = (0..*len).map(|j| (j * 31 + i) as u8).collect();
        // in two folders, alternating, so that the batch changes folder at every file
        let p = dir.path().join(format!("d{}/f{i}", i % 2));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &bytes).unwrap();
        paths.push(p);
        want.push(digest_of(&bytes));
    }
    // a path with no folder part is opened relative to the working directory
    paths.push(PathBuf::from("Cargo.toml"));
    want.push(digest_of(&std::fs::read("Cargo.toml").unwrap()));
    for regular in [true, false] {
        assert_eq!(resolved(&paths, regular), want, "regular: {regular}");
    }
}

/// A FIFO is an error naming its kind, never a wait: opening one with no writer would
/// block forever, and reading one with a writer that never closes it too.
#[cfg(unix)]
#[test]
fn a_fifo_is_an_error_not_a_wait() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    use rustix::fs::{CWD, FileType, Mode, mknodat};
    mknodat(CWD, &fifo, FileType::Fifo, Mode::RUSR | Mode::WUSR, 0).unwrap();
    let e = sha256_file_raw(&fifo).unwrap_err();
    assert!(e.to_string().contains("a FIFO, not a regular file"), "{e}");
    // with a writer holding it open
    let _writer = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .unwrap();
    let e = sha256_file_raw(&fifo).unwrap_err();
    assert!(e.to_string().contains("a FIFO"), "{e}");
    for regular in [true, false] {
        let r = resolve_many(&[&fifo], None, None, regular, &Progress::default(), Settle::SYSTEM);
        let e = r[0].0.as_ref().unwrap_err();
        assert!(e.to_string().contains("a FIFO"), "{e}");
    }
    let e = sha256_file_raw(Path::new("/dev/zero")).unwrap_err();
    assert!(e.to_string().contains("a device"), "{e}");
}

/// A file rewritten while it is hashed never gives a digest of neither state: the result
/// is one of the states the file was in, or an error saying it changed. (The writer waits
/// longer than a timestamp tick between rewrites: two rewrites within one tick that leave
/// the same size are invisible to any stat, as git's racy-clean rule says.)
#[test]
fn a_file_rewritten_while_hashed_gives_one_of_its_states() {
    use std::sync::atomic::AtomicBool;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let states: Vec<Vec<u8>> = vec![vec![b'a'; 300 << 10], vec![b'b'; 500 << 10]];
    std::fs::write(&path, &states[0]).unwrap();
    // `fs::write` truncates before it writes: the empty file is a state too
    let want: Vec<String> = [&b""[..], &states[0], &states[1]]
        .iter()
        .map(|s| digest_of(s))
        .collect();
    let stop = AtomicBool::new(false);
    let results: Vec<std::io::Result<String>> = std::thread::scope(|s| {
        s.spawn(|| {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                std::fs::write(&path, &states[i % 2]).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(15));
            }
        });
        // alternately as a single file (stat-ed before its read) and as a file a folder
        // walk listed without a stamp (stat-ed after its read only)
        let r = (0..100)
            .map(|i| {
                let raw = if i % 2 == 0 {
                    sha256_file_raw(&path)
                } else {
                    let progress = Progress::default();
                    resolve_many(&[&path], None, None, true, &progress, Settle::SYSTEM)
                        .pop()
                        .unwrap()
                        .0
                };
                raw.map(|(d, _)| crate::canonical::tag_digest(&d))
            })
            .collect();
        stop.store(true, Ordering::Relaxed);
        r
    });
    for r in results {
        match r {
            Ok(d) => assert!(want.contains(&d), "a digest of no state: {d}"),
            Err(e) => assert!(e.to_string().contains("changed while it was hashed"), "{e}"),
        }
    }
}

/// A folder replaced between two batches is opened again: no batch keeps an earlier
/// batch's folder.
#[test]
fn a_replaced_folder_is_read_anew() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("out");
    let paths: Vec<PathBuf> = (0..40).map(|i| folder.join(format!("f{i}"))).collect();
    let write_all = |tag: &str| {
        std::fs::create_dir_all(&folder).unwrap();
        for p in &paths {
            std::fs::write(p, format!("{tag} {}", p.display())).unwrap();
        }
    };
    write_all("first");
    let first = resolved(&paths, true);
    std::fs::rename(&folder, dir.path().join("out.old")).unwrap();
    write_all("second");
    let second = resolved(&paths, true);
    for (p, (a, b)) in paths.iter().zip(first.iter().zip(&second)) {
        assert_ne!(a, b, "{}", p.display());
        let now = std::fs::read(p).unwrap();
        assert_eq!(*b, digest_of(&now));
    }
}

/// The clock that decides whether a file listed without stat data was left alone while it was
/// read is the caller's (the session passes its host's): by a clock long after the file's last
/// change it is read once; by a clock pinned before it, it is read again against its stamp.
#[test]
fn the_racy_check_runs_on_the_callers_clock() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.bin");
    std::fs::write(&p, vec![7u8; 1000]).unwrap();
    let read_with = |now: std::time::SystemTime| {
        let clock = crate::collect::clock::FixedClock(now);
        let progress = Progress::default();
        let settle = Settle {
            clock: &clock,
            window: std::time::Duration::ZERO,
        };
        let r = resolve_many_on(&[&p], None, None, (true, settle), &progress, 1);
        assert!(r[0].0.is_ok());
        progress.bytes.load(Ordering::Relaxed)
    };
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    assert_eq!(read_with(later), 1000, "settled: read once");
    assert_eq!(
        read_with(std::time::UNIX_EPOCH),
        2000,
        "not settled by this clock: read again"
    );
}
