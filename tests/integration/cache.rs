//! The stat cache is never wrong: racy same-size rewrites are caught, a missing, corrupt or
//! concurrently written cache changes no result, and unchanged files are not read again.

use crate::project::{Project, hermetic};
use provbase::collect::Host;
use provbase::collect::host::Clock;
use provbase::session::Status;
use provbase::{Config, Session};
use sha2::{Digest, Sha256};
use std::time::{Duration, SystemTime};

/// A clock an hour ahead: to a session on it, every file written so far has long settled, so
/// its stat cache trusts what it hashed without a test waiting out the racy window.
struct AnHourAhead;

impl Clock for AnHourAhead {
    fn now(&self) -> SystemTime {
        SystemTime::now() + Duration::from_secs(3600)
    }
}

fn session(p: &Project) -> Session {
    let config = Config::load(&p.join("harness.toml")).unwrap();
    let host = Host {
        clock: std::sync::Arc::new(AnHourAhead),
        ..Host::this_machine()
    };
    Session::on_host(config, Vec::new(), host)
}

/// Checks the run `data` in a session of its own (which writes the cache when it ends).
fn check(p: &Project) -> Status {
    let s = session(p);
    s.check(s.config.run("data").unwrap()).status()
}

/// Rewrites a file with other bytes of the same size, and a modification time of its own, so
/// that its stamp differs even within one tick of the filesystem's clock.
fn rewrite(p: &Project, rel: &str, text: &str, secs: u64) {
    p.file(rel, text);
    std::fs::File::options()
        .write(true)
        .open(p.join(rel))
        .unwrap()
        .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

/// The stat cache shard of the dataset folder `data`.
fn shard(p: &Project) -> provbase::cache::StatCache {
    provbase::cache::StatCache::open_shard(p.path(), &p.join("data"))
}

fn many_files(p: &Project, n: usize, tag: &str) {
    for i in 0..n {
        // every file the same size, whatever the tag
        p.file(&format!("data/f{i:05}.bin"), &format!("{tag}{i:08}"));
    }
}

/// Every file its own entry (above `max_entries`, folders would be recorded by their digests).
const CONFIG: &str = "[harness]\nmax_entries = 5000\n[[run]]\nname = \"data\"\nhardware = false\nstatic_data = [\"data\"]\n";

#[test]
fn two_thousand_same_size_rewrites_within_one_tick_are_all_detected() {
    let p = Project::new();
    p.file("harness.toml", CONFIG);
    many_files(&p, 2000, "a");
    let mtimes: Vec<_> = (0..2000)
        .map(|i| {
            std::fs::metadata(p.join(&format!("data/f{i:05}.bin")))
                .unwrap()
                .modified()
                .unwrap()
        })
        .collect();
    assert_eq!(p.run(&["accept"]).0, 0);
    assert!(
        p.join(".prov/cache/folders").read_dir().unwrap().count() == 1,
        "the cache was written"
    );
    // rewrite every file with other bytes of the same size, and give it back its mtime
    for (i, m) in mtimes.iter().enumerate() {
        let path = p.join(&format!("data/f{i:05}.bin"));
        std::fs::write(&path, format!("b{i:08}")).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(*m)
            .unwrap();
    }
    let (code, out, _) = p.run(&["--format", "json", "check"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["runs"][0]["drifts"].as_array().unwrap().len(),
        2000,
        "every rewrite detected"
    );
}

/// Whether a session uses stat caches, and how many threads it reads on, are its host's: a host
/// without caches reads every file every time, whatever the process's options say, and the
/// pool's size changes no result.
#[test]
fn the_host_says_whether_caches_are_used_and_its_threads_change_no_result() {
    let p = Project::new();
    p.file("harness.toml", CONFIG);
    many_files(&p, 50, "a");
    let config = Config::load(&p.join("harness.toml")).unwrap();
    let run = config.run("data").unwrap().clone();
    let collect = |cache: bool, threads: usize| {
        let host = Host {
            clock: std::sync::Arc::new(AnHourAhead),
            cache,
            threads,
            ..Host::this_machine()
        };
        let s = Session::on_host(config.clone(), Vec::new(), host);
        let m = s.stripped(&run).unwrap();
        (m, s.facts().files().files_read())
    };
    let (first, read) = collect(true, 1);
    assert_eq!(read, 50);
    assert_eq!(collect(true, 3), (first.clone(), 0), "from the cache");
    assert_eq!(
        collect(false, 2),
        (first, 50),
        "a host without caches reads all"
    );
}

#[test]
fn unchanged_files_are_not_read_again_and_the_cache_changes_no_result() {
    let p = Project::new();
    p.file("harness.toml", CONFIG);
    many_files(&p, 50, "a");
    let config = Config::load(&p.join("harness.toml")).unwrap();
    let run = config.run("data").unwrap().clone();
    let collect = |disable: bool| {
        let s = session(&p);
        if disable {
            s.facts().files().disable_cache();
        }
        let m = s.stripped(&run).unwrap();
        (m, s.facts().files().files_read())
    };
    let (first, read) = collect(false);
    assert_eq!(read, 50);
    let (second, read) = collect(false);
    assert_eq!(
        (read, &second),
        (0, &first),
        "all from the cache, same manifest"
    );
    let (third, read) = collect(true);
    assert_eq!((read, &third), (50, &first), "--no-cache reads everything");

    rewrite(&p, "data/f00007.bin", "z00000007", 1_000_000);
    let (changed, read) = collect(false);
    assert_eq!(read, 1, "only the changed file is read");
    assert_ne!(
        changed["static_data_hashes"]["data/f00007.bin"],
        first["static_data_hashes"]["data/f00007.bin"]
    );

    // a corrupt, foreign or missing cache: the same results
    let loc = provbase::cache::StatCache::shard_location(p.path(), &p.join("data"));
    for bytes in [&b"garbage"[..], b"PBSTAT00", b""] {
        std::fs::write(&loc, bytes).unwrap();
        assert_eq!(collect(false).0, changed);
    }
    std::fs::remove_file(&loc).unwrap();
    assert_eq!(collect(false).0, changed);
    // the CLI's switches
    let out = p
        .provbase(&["--no-cache", "collect", "data"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = p
        .provbase(&["collect", "data"])
        .env("PROVBASE_NO_CACHE", "1")
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn processes_sharing_the_cache_corrupt_nothing() {
    let p = Project::new();
    p.file("harness.toml", CONFIG);
    many_files(&p, 300, "a");
    assert_eq!(p.run(&["accept"]).0, 0);
    let children: Vec<_> = (0..6).map(|_| p.provbase(&["check"]).output()).collect();
    for c in children {
        assert_eq!(c.unwrap().status.code(), Some(0));
    }
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_provbase"));
            hermetic(cmd.arg("check").current_dir(p.path())).stdout(std::process::Stdio::null());
            cmd.spawn().unwrap()
        })
        .collect();
    for mut h in handles {
        assert!(
            h.wait().unwrap().success(),
            "concurrent checks agree with the baseline"
        );
    }
    assert_eq!(shard(&p).len(), 300, "the cache is whole");
}

/// A cache that does not verify changes no result: every single-bit flip anywhere in the file,
/// and a digest planted by hand (the file's old digest over a changed file), are ignored.
#[test]
fn flipped_bits_and_a_planted_stale_digest_change_no_result() {
    let p = Project::new();
    p.file("harness.toml", CONFIG);
    many_files(&p, 20, "a");
    {
        let s = session(&p);
        s.accept(s.config.run("data").unwrap()).unwrap();
    }
    let loc = provbase::cache::StatCache::shard_location(p.path(), &p.join("data"));
    let sealed = std::fs::read(&loc).unwrap();
    assert_eq!(shard(&p).len(), 20);

    // the old digest of data/f00003.bin, then the file changes (same size, new mtime)
    let old = provbase::collect::hashing::sha256_file_raw(&p.join("data/f00003.bin"))
        .unwrap()
        .0;
    rewrite(&p, "data/f00003.bin", "z00000003", 1_000_000);
    // settled: the next check's cache entry for it is trusted
    assert_eq!(check(&p), Status::Fail, "the change is caught");
    // plant the old digest with the file's new stamp: a cache that trusted its bytes would pass
    let mut planted = std::fs::read(&loc).unwrap();
    let new = provbase::collect::hashing::sha256_file_raw(&p.join("data/f00003.bin"))
        .unwrap()
        .0;
    let at = planted
        .windows(32)
        .position(|w| w == new)
        .expect("the new digest is in the cache");
    planted[at..at + 32].copy_from_slice(&old);
    std::fs::write(&loc, &planted).unwrap();
    assert!(shard(&p).is_empty());
    assert_eq!(
        p.run(&["check"]).0,
        1,
        "a planted stale digest is not trusted"
    );
    // sealed again by hand, as a seal without a key could be (a SHA-256 of the folder and the
    // body): the key, kept outside the project, is missing, so it is still not trusted
    let mut planted = std::fs::read(&loc).unwrap();
    let at = planted
        .windows(32)
        .position(|w| w == new)
        .expect("the new digest is in the cache");
    planted[at..at + 32].copy_from_slice(&old);
    let body = planted.len() - 32;
    let folder = p.join("data");
    let owner = folder.as_os_str().as_encoded_bytes();
    let mut seal = Sha256::new();
    seal.update((owner.len() as u64).to_le_bytes());
    seal.update(owner);
    seal.update(&planted[..body]);
    let seal = seal.finalize();
    planted[body..].copy_from_slice(&seal);
    std::fs::write(&loc, &planted).unwrap();
    assert!(shard(&p).is_empty(), "a cache sealed without the key");
    assert_eq!(p.run(&["check"]).0, 1, "a re-sealed cache is not trusted");
    let key = provbase::cache::key_file().expect("a home for the key");
    assert!(
        !key.starts_with(p.path()),
        "the key lives outside the project"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "owner only: {mode:o}");
    }

    // every bit of a sealed cache, flipped one at a time, makes it an empty one
    for bit in (0..sealed.len() * 8).step_by(7) {
        let mut b = sealed.clone();
        b[bit / 8] ^= 1 << (bit % 8);
        std::fs::write(&loc, &b).unwrap();
        assert!(shard(&p).is_empty(), "bit {bit} flipped was trusted");
    }
    // a shard copied from another project's folder is not trusted either
    let other = Project::new();
    let theirs = provbase::cache::StatCache::shard_location(other.path(), &other.join("data"));
    std::fs::create_dir_all(theirs.parent().unwrap()).unwrap();
    std::fs::write(&theirs, &sealed).unwrap();
    assert!(provbase::cache::StatCache::open_shard(other.path(), &other.join("data")).is_empty());
}
