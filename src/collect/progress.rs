//! A progress bar (files, bytes, rate) on stderr for hashing that takes longer than about a
//! second — only when stderr is a terminal; nothing otherwise.

use super::hashing::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long hashing runs before a bar appears.
pub const DELAY: Duration = Duration::from_secs(1);

/// Runs `work` (which hashes `files` files, or a number not known before it is done, counting
/// into `progress`), showing a bar if it takes longer than [`DELAY`] and stderr is a terminal.
pub fn while_hashing<R: Send>(
    files: Option<usize>,
    progress: &Progress,
    work: impl FnOnce() -> R + Send,
) -> R {
    // one large file is worth a bar too: its bytes move while it is read
    if files == Some(0) || !std::io::stderr().is_terminal() {
        return work();
    }
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let start = Instant::now();
            let mut bar: Option<ProgressBar> = None;
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                if bar.is_none() && start.elapsed() >= DELAY {
                    let b = ProgressBar::with_draw_target(
                        files.map(|f| f as u64),
                        ProgressDrawTarget::stderr(),
                    );
                    let template = if files.is_some() {
                        "hashing {bar:30} {pos}/{len} files, {msg}"
                    } else {
                        "hashing {spinner} {pos} files, {msg}"
                    };
                    b.set_style(
                        ProgressStyle::with_template(template)
                            .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    bar = Some(b);
                }
                if let Some(b) = &bar {
                    let bytes = progress.bytes.load(Ordering::Relaxed);
                    let secs = start.elapsed().as_secs_f64().max(0.001);
                    b.set_position(progress.files.load(Ordering::Relaxed));
                    b.set_message(format!(
                        "{}, {}/s",
                        indicatif::HumanBytes(bytes),
                        indicatif::HumanBytes((bytes as f64 / secs) as u64)
                    ));
                }
            }
            if let Some(b) = bar {
                b.finish_and_clear();
            }
        });
        let r = work();
        done.store(true, Ordering::Relaxed);
        r
    })
}
