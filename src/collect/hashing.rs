//! Hashing at disk speed: each file is streamed through a page-aligned buffer of 1 MiB (a
//! plain `Vec` sits 16 bytes past a page boundary, which makes reads into it several times
//! slower here), and many files are hashed at once with enough reads in flight to hide disk
//! latency when the page cache is cold.

use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// The read buffer's size.
pub const BUF_LEN: usize = 1 << 20;
const PAGE: usize = 4096;
/// Files hashed at once: disk latency, not the core count, decides (16–32 reads in flight are
/// several times faster than one on a cold cache, even on two cores).
pub const MAX_THREADS: usize = 16;

thread_local! {
    static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's page-aligned buffer.
fn with_buffer<R>(f: impl FnOnce(&mut [u8]) -> R) -> R {
    BUF.with(|cell| {
        let mut v = cell.borrow_mut();
        if v.len() < BUF_LEN + PAGE {
            *v = vec![0u8; BUF_LEN + PAGE];
        }
        let offset = v.as_ptr().align_offset(PAGE);
        f(&mut v[offset..offset + BUF_LEN])
    })
}

/// The raw SHA-256 of a file and its length, streamed.
pub fn sha256_file_raw(path: &Path) -> Hashed {
    let mut file = std::fs::File::open(path)?;
    with_buffer(|buf| {
        let mut hasher = Sha256::new();
        let mut len = 0u64;
        loop {
            let n = match file.read(buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            hasher.update(&buf[..n]);
            len += n as u64;
        }
        Ok((hasher.finalize().into(), len))
    })
}

/// A file's raw SHA-256 and length, or why it could not be read.
pub type Hashed = std::io::Result<([u8; 32], u64)>;

/// Progress of a batch, shared with whoever shows it.
#[derive(Debug, Default)]
pub struct Progress {
    /// Files done.
    pub files: AtomicU64,
    /// Bytes read.
    pub bytes: AtomicU64,
}

/// Hashes many files at once; results come back in the order of `paths`.
pub fn hash_many(paths: &[PathBuf], progress: &Progress) -> Vec<Hashed> {
    let threads = paths.len().clamp(1, MAX_THREADS);
    if threads == 1 {
        return paths
            .iter()
            .map(|p| record(sha256_file_raw(p), progress))
            .collect();
    }
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<Hashed>> = (0..paths.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(p) = paths.get(i) else { break };
                        done.push((i, record(sha256_file_raw(p), progress)));
                    }
                    done
                })
            })
            .collect();
        for h in handles {
            for (i, r) in h.join().unwrap_or_default() {
                results[i] = Some(r);
            }
        }
    });
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(std::io::Error::other("a hashing thread stopped"))))
        .collect()
}

fn record(r: Hashed, progress: &Progress) -> Hashed {
    if let Ok((_, len)) = &r {
        progress.files.fetch_add(1, Ordering::Relaxed);
        progress.bytes.fetch_add(*len, Ordering::Relaxed);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_is_page_aligned() {
        with_buffer(|b| {
            assert_eq!(b.as_ptr() as usize % PAGE, 0);
            assert_eq!(b.len(), BUF_LEN);
        });
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
}
