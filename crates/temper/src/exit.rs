//! The exit code, one meaning for every command (`scan`, `check`,
//! `layers`, `lint`): a run fails when any of its thresholds fails; each
//! failed threshold prints its own `temper: threshold failed:` line on
//! stderr; the exit code is then 1, or N with `--exit-code N`. Errors are
//! 2, as always. What fails is decided by [`temper_verdict::FailOn`].

use std::io::Write;
use std::process::ExitCode;

use crate::render;

/// The thresholds that failed in one run, and the code that says so.
#[derive(Debug)]
pub struct Verdict {
    failed: Vec<String>,
    code: u8,
}

impl Verdict {
    /// No failure yet; `exit_code` is `--exit-code`, 1 without it.
    pub fn new(exit_code: Option<u8>) -> Verdict {
        Verdict { failed: Vec::new(), code: exit_code.unwrap_or(1) }
    }

    /// Records a failed threshold and why.
    pub fn fail(&mut self, reason: String) {
        self.failed.push(reason);
    }

    /// Prints every failed threshold on its own stderr line, then gives
    /// the exit code: 0 when none failed.
    pub fn finish(self) -> ExitCode {
        if self.failed.is_empty() {
            return ExitCode::SUCCESS;
        }
        let mut err = std::io::stderr().lock();
        for reason in &self.failed {
            let _ = writeln!(err, "temper: threshold failed: {}", render::escape(reason));
        }
        ExitCode::from(self.code)
    }
}
