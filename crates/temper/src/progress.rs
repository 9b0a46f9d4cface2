//! Progress bars on stderr: one per layer, shown only on a terminal and
//! only once the pass has run for a second.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use temper_layer::Progress;

pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<usize, ProgressBar>>,
    started: Instant,
    shown: Mutex<bool>,
    enabled: bool,
    labels: Vec<String>,
}

const DELAY: Duration = Duration::from_secs(1);

impl Bars {
    pub fn new(labels: Vec<String>) -> Self {
        Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::hidden()),
            bars: Mutex::new(HashMap::new()),
            started: Instant::now(),
            shown: Mutex::new(false),
            enabled: std::io::stderr().is_terminal(),
            labels,
        }
    }

    fn reveal_if_slow(&self) {
        if !self.enabled || self.started.elapsed() < DELAY {
            return;
        }
        if let Ok(mut shown) = self.shown.lock()
            && !*shown
        {
            self.multi.set_draw_target(ProgressDrawTarget::stderr());
            *shown = true;
        }
    }

    pub fn clear(&self) {
        let _ = self.multi.clear();
    }
}

impl Progress for Bars {
    fn start(&self, layer: usize, total: Option<u64>) {
        let bar = self.multi.add(ProgressBar::new(total.unwrap_or(0)));
        let template = if total.is_some() {
            "{prefix:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}"
        } else {
            "{prefix:>12} {spinner} {bytes} {bytes_per_sec}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(self.labels.get(layer).cloned().unwrap_or_else(|| format!("layer {layer}")));
        if let Ok(mut bars) = self.bars.lock() {
            bars.insert(layer, bar);
        }
    }

    fn advance(&self, layer: usize, bytes: u64) {
        if let Ok(bars) = self.bars.lock()
            && let Some(b) = bars.get(&layer)
        {
            b.inc(bytes);
        }
        self.reveal_if_slow();
    }

    fn finish(&self, layer: usize) {
        if let Ok(mut bars) = self.bars.lock()
            && let Some(b) = bars.remove(&layer)
        {
            b.finish_and_clear();
        }
    }
}

/// One download's bar, shown only on a terminal.
pub struct Download {
    bar: Option<ProgressBar>,
}

/// A bar for the download of `name`.
pub fn download_bar(name: &str) -> Download {
    if !std::io::stderr().is_terminal() {
        return Download { bar: None };
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("{prefix:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(name.to_owned());
    Download { bar: Some(bar) }
}

impl Download {
    /// `read` of `total` bytes so far.
    pub fn update(&self, total: Option<u64>, read: u64) {
        if let Some(b) = &self.bar {
            if let Some(t) = total {
                b.set_length(t);
            }
            b.set_position(read);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
