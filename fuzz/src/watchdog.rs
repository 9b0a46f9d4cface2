//! The stable replays' time bound: libFuzzer fails an input that runs past
//! `-timeout`; `cargo test` has no such thing, so a body that never returns
//! would hang CI instead of failing it.
//!
//! [`Watchdog`] runs a body on its own worker thread and waits for each
//! input's result at most [`REPLAY_TIMEOUT`]. An input that takes longer, or
//! panics, fails the test with the input's name, and its bytes are written
//! to the temporary directory so it can be replayed and added to the seeds.

// Each replay includes this file and uses part of it.
#![allow(dead_code)]

use std::hash::{DefaultHasher, Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread;
use std::time::{Duration, Instant};

/// How long one input may take in a (debug) replay: inputs take
/// milliseconds, so this only trips on a hang.
pub const REPLAY_TIMEOUT: Duration = Duration::from_secs(20);

/// A body on a worker thread, fed one input at a time.
pub struct Watchdog<T> {
    target: String,
    inputs: Sender<Vec<u8>>,
    results: Receiver<Result<T, String>>,
    timeout: Duration,
    /// The longest time any input took so far.
    pub slowest: Duration,
}

impl<T: Send + 'static> Watchdog<T> {
    /// Starts a worker running `body` for fuzz target `target`.
    pub fn new(target: &str, body: impl Fn(&[u8]) -> T + Send + 'static) -> Self {
        let (inputs, jobs) = channel::<Vec<u8>>();
        let (done, results) = channel();
        thread::Builder::new()
            .name(format!("fuzz-{target}"))
            .spawn(move || {
                for input in jobs {
                    let result = catch_unwind(AssertUnwindSafe(|| body(&input))).map_err(|p| {
                        p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned())).unwrap_or_default()
                    });
                    if done.send(result).is_err() {
                        return;
                    }
                }
            })
            .expect("spawn the fuzz worker");
        Watchdog { target: target.to_owned(), inputs, results, timeout: REPLAY_TIMEOUT, slowest: Duration::ZERO }
    }

    /// Runs the body on `input`, named `what` in a failure. Panics when the
    /// body panics or runs past the timeout.
    pub fn run(&mut self, what: &str, input: &[u8]) -> T {
        let start = Instant::now();
        self.inputs.send(input.to_vec()).unwrap_or_else(|_| self.fail(what, input, "the worker is gone".into()));
        let result = match self.results.recv_timeout(self.timeout) {
            Ok(r) => r,
            Err(RecvTimeoutError::Timeout) => self.fail(what, input, format!("no result within {:?}: a hang", self.timeout)),
            Err(RecvTimeoutError::Disconnected) => self.fail(what, input, "the worker is gone".into()),
        };
        self.slowest = self.slowest.max(start.elapsed());
        result.unwrap_or_else(|msg| self.fail(what, input, format!("panicked: {msg}")))
    }

    fn fail(&self, what: &str, input: &[u8], why: String) -> ! {
        let mut h = DefaultHasher::new();
        input.hash(&mut h);
        let path = std::env::temp_dir().join(format!("fuzz-{}-{:016x}", self.target, h.finish()));
        let saved = match std::fs::write(&path, input) {
            Ok(()) => format!("input saved as {}", path.display()),
            Err(e) => format!("input not saved: {e}"),
        };
        panic!("{}: {what} ({} bytes) {why}; {saved}", self.target, input.len());
    }
}
