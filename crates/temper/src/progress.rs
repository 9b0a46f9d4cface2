//! Progress bars on stderr: one per layer (`layer 3/7 scanning 1a2b3c4d5e6f`)
//! under a total line over all layers, shown only on a terminal, never with
//! `--quiet`, and only once the pass has run for a moment, so fast runs
//! draw nothing.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use temper_layer::Progress;

use temper_verdict::reporter::{self, LayerLabel};

/// The reporter every command hands the library: bars and warnings on
/// stderr, as `--quiet` and the terminal allow.
pub struct Terminal;

impl temper_verdict::Reporter for Terminal {
    fn layer_pass(&self, phase: &'static str, layers: Vec<LayerLabel>) -> Box<dyn Progress + '_> {
        Box::new(Bars::new(phase, layers))
    }
    fn download(&self, name: &str) -> Box<dyn reporter::Download + '_> {
        Box::new(download_bar(name))
    }
    fn warn(&self, message: &str) {
        crate::term::warn(message);
    }
    fn note(&self, message: &str) {
        crate::term::note(message);
    }
}

/// One layer pass's bars, cleared when dropped.
struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<usize, ProgressBar>>,
    total: ProgressBar,
    done: AtomicUsize,
    started: Instant,
    shown: Mutex<bool>,
    enabled: bool,
    phase: &'static str,
    layers: Vec<LayerLabel>,
}

/// How long a pass runs before its bars appear: long enough that a cached
/// or tiny image draws nothing, short enough that a big archive shows
/// progress before the user wonders.
const DELAY: Duration = Duration::from_millis(300);

const BAR: &str = "{prefix:>11} {msg:<21} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}";

/// `layer 3/7`: the layer's place counted from 1 among `count`.
fn layer_prefix(index: usize, count: usize) -> String {
    format!("layer {}/{count}", index + 1)
}

/// `scanning 1a2b3c4d5e6f`: what is being done to the layer, and which.
fn layer_message(phase: &str, digest: &str) -> String {
    format!("{phase} {digest}")
}

/// `3/7 layers done`: the total line's message.
fn total_message(done: usize, count: usize) -> String {
    format!("{done}/{count} layers done")
}

impl Bars {
    /// Bars for a pass that does `phase` (`reading`, `scanning`) to `layers`.
    fn new(phase: &'static str, layers: Vec<LayerLabel>) -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::hidden());
        // The total's length is the sum of the sizes the manifest gives; a
        // layer without one adds its bytes as they are read.
        let total = multi.add(ProgressBar::new(layers.iter().filter_map(|l| l.size).sum()));
        if let Ok(style) = ProgressStyle::with_template(BAR) {
            total.set_style(style.progress_chars("=> "));
        }
        total.set_prefix("total");
        total.set_message(total_message(0, layers.len()));
        Bars {
            multi,
            bars: Mutex::new(HashMap::new()),
            total,
            done: AtomicUsize::new(0),
            started: Instant::now(),
            shown: Mutex::new(false),
            enabled: std::io::stderr().is_terminal() && !crate::term::quiet(),
            phase,
            layers,
        }
    }

    fn one_done(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.total.set_message(total_message(done, self.layers.len()));
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

}

impl Drop for Bars {
    fn drop(&mut self) {
        self.total.finish_and_clear();
        let _ = self.multi.clear();
    }
}

impl Progress for Bars {
    fn start(&self, layer: usize, total: Option<u64>) {
        let bar = self.multi.add(ProgressBar::new(total.unwrap_or(0)));
        let template = if total.is_some() { BAR } else { "{prefix:>11} {msg:<21} {spinner} {bytes} {bytes_per_sec}" };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        let described = self.layers.get(layer);
        bar.set_prefix(layer_prefix(layer, self.layers.len()));
        bar.set_message(layer_message(self.phase, described.map_or("", |l| l.digest.as_str())));
        // A size the manifest did not give is learnt now.
        if let (Some(t), None) = (total, described.and_then(|l| l.size)) {
            self.total.inc_length(t);
        }
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
        self.total.inc(bytes);
        self.reveal_if_slow();
    }

    fn finish(&self, layer: usize) {
        if let Ok(mut bars) = self.bars.lock()
            && let Some(b) = bars.remove(&layer)
        {
            b.finish_and_clear();
            self.one_done();
        }
    }

    fn cached(&self, layer: usize) {
        // Its stored bytes count as done: the total reaches its end.
        if let Some(size) = self.layers.get(layer).and_then(|l| l.size) {
            self.total.inc(size);
        }
        self.one_done();
    }
}

/// One download's bar, shown only on a terminal and never with
/// `--quiet`, removed when dropped.
struct Download {
    bar: Option<ProgressBar>,
}

/// A bar for the download of `name`.
fn download_bar(name: &str) -> Download {
    if !std::io::stderr().is_terminal() || crate::term::quiet() {
        return Download { bar: None };
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("{prefix:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(name.to_owned());
    Download { bar: Some(bar) }
}

impl reporter::Download for Download {
    fn update(&self, total: Option<u64>, read: u64) {
        if let Some(b) = &self.bar {
            if let Some(t) = total {
                b.set_length(t);
            }
            b.set_position(read);
        }
    }
}

impl Drop for Download {
    fn drop(&mut self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_labels_name_layer_phase_and_digest() {
        assert_eq!(layer_prefix(2, 7), "layer 3/7");
        assert_eq!(layer_prefix(0, 1), "layer 1/1");
        assert_eq!(layer_message("scanning", "1a2b3c4d5e6f"), "scanning 1a2b3c4d5e6f");
        assert_eq!(total_message(3, 7), "3/7 layers done");
    }

    #[test]
    fn layers_from_the_cache_count_as_done() {
        let bars = Bars::new("scanning", vec![LayerLabel { digest: "a".into(), size: Some(10) }, LayerLabel { digest: "b".into(), size: Some(5) }]);
        bars.cached(0);
        bars.start(1, Some(5));
        bars.advance(1, 5);
        bars.finish(1);
        assert_eq!(bars.done.load(Ordering::Relaxed), 2);
        assert_eq!(bars.total.position(), 15);
        assert_eq!(bars.total.message(), "2/2 layers done");
    }
}
