//! `/metrics` in the Prometheus text format, through `prometheus-client`
//! (the maintained client of the Prometheus project's Rust org): counters
//! per endpoint and outcome, cache hits, registry errors, and a latency
//! histogram.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels1 = [(&'static str, &'static str); 1];
type Labels2 = [(&'static str, &'static str); 2];

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 16 s: the warm path sits in the first buckets, a slow registry in the last.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels2, Counter>,
    verdicts: Family<Labels2, Counter>,
    images: Family<Labels1, Counter>,
    cache_hits: Family<Labels1, Counter>,
    cache_misses: Family<Labels1, Counter>,
    registry_errors: Counter,
    latency: Family<Labels1, Histogram, fn() -> Histogram>,
}

/// The outcome of one image in a review, counted in `temper_admission_images_total`.
#[derive(Clone, Copy, Debug)]
pub enum ImageOutcome {
    /// Allowed by the policy.
    Allow,
    /// Allowed with warnings.
    Warn,
    /// Denied by the policy.
    Deny,
    /// Exempt: not looked at.
    Exempt,
    /// Not judged within the budget.
    Timeout,
    /// Could not be judged (registry or reference error).
    Error,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Registers every metric, at zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("temper_admission");
        let requests = Family::<Labels2, Counter>::default();
        registry.register("requests", "HTTP requests by endpoint and status code", requests.clone());
        let verdicts = Family::<Labels2, Counter>::default();
        registry.register("reviews", "Admission reviews answered, by endpoint and answer (allowed, denied, excluded, unjudged)", verdicts.clone());
        let images = Family::<Labels1, Counter>::default();
        registry.register("images", "Images in reviews, by outcome (allow, warn, deny, exempt, timeout, error)", images.clone());
        let cache_hits = Family::<Labels1, Counter>::default();
        registry.register("cache_hits", "Cache hits, by cache (verdict, digest)", cache_hits.clone());
        let cache_misses = Family::<Labels1, Counter>::default();
        registry.register("cache_misses", "Cache misses, by cache (verdict, digest)", cache_misses.clone());
        let registry_errors = Counter::default();
        registry.register("registry_errors", "Images that could not be judged because a registry read failed", registry_errors.clone());
        let latency = Family::<Labels1, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register("review_duration_seconds", "Time from a review's body read to its answer, by endpoint", latency.clone());
        Metrics { registry, requests, verdicts, images, cache_hits, cache_misses, registry_errors, latency }
    }

    /// Counts one HTTP request.
    pub fn request(&self, endpoint: &'static str, code: &'static str) {
        self.requests.get_or_create(&[("endpoint", endpoint), ("code", code)]).inc();
    }

    /// Counts one answered review and its latency.
    pub fn review(&self, endpoint: &'static str, answer: &'static str, seconds: f64) {
        self.verdicts.get_or_create(&[("endpoint", endpoint), ("answer", answer)]).inc();
        self.latency.get_or_create(&[("endpoint", endpoint)]).observe(seconds);
    }

    /// Counts one image's outcome.
    pub fn image(&self, outcome: ImageOutcome) {
        let label = match outcome {
            ImageOutcome::Allow => "allow",
            ImageOutcome::Warn => "warn",
            ImageOutcome::Deny => "deny",
            ImageOutcome::Exempt => "exempt",
            ImageOutcome::Timeout => "timeout",
            ImageOutcome::Error => "error",
        };
        self.images.get_or_create(&[("outcome", label)]).inc();
    }

    /// Counts a hit or a miss of `cache` (`verdict` or `digest`).
    pub fn cache(&self, cache: &'static str, hit: bool) {
        let family = if hit { &self.cache_hits } else { &self.cache_misses };
        family.get_or_create(&[("cache", cache)]).inc();
    }

    /// Counts a registry error.
    pub fn registry_error(&self) {
        self.registry_errors.inc();
    }

    /// The text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
