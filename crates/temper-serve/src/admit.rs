//! One review, judged: the namespace and operation filters, each distinct
//! image assessed in its own task under one deadline, the caches, and the
//! answer (denial message, warnings, unjudged images per `on-timeout`,
//! `/mutate`'s digest pins).
//!
//! Each image is assessed in a spawned task that outlives the review: when
//! the deadline passes, the review answers at once, and the task's verdict
//! still lands in the cache for the next review. Blocking judge calls run on
//! tokio's blocking pool behind one semaphore of `max_parallel` permits, so
//! registry connections and threads stay bounded however many reviews wait;
//! a task that cannot get a permit within the budget gives up. Concurrent
//! reviews of one cold image share one assessment (the caches' placeholders
//! make the second caller wait for the first).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;
use tokio::sync::Semaphore;

use crate::config::{OnTimeout, ServeConfig};
use crate::judge::{Decision, ImageVerdict, Judge, JudgeError};
use crate::metrics::{ImageOutcome, Metrics};
use crate::review::{AdmissionRequest, Answer, PatchOp};

/// The two review endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /validate`: admit or deny.
    Validate,
    /// `POST /mutate`: the same verdict, and tags pinned to the verified digests.
    Mutate,
}

impl Endpoint {
    /// `validate` or `mutate`, for metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Validate => "validate",
            Endpoint::Mutate => "mutate",
        }
    }
}

/// The most distinct images judged in one review (a pod rarely has more than a dozen containers).
pub const MAX_IMAGES_PER_REVIEW: usize = 256;

#[derive(Clone)]
struct Stamped<V> {
    value: V,
    at: Instant,
}

/// The verdict of one review and a label for metrics and logs.
#[derive(Debug)]
pub struct Reviewed {
    /// The answer to encode.
    pub answer: Answer,
    /// `allowed`, `denied`, `excluded`, `skipped`, `unjudged_allowed` or `unjudged_denied`.
    pub label: &'static str,
    /// How many container images the object has.
    pub images: usize,
}

enum Outcome {
    Exempt,
    Judged(Arc<ImageVerdict>),
    Failed(JudgeError),
    TimedOut,
}

/// The webhook's state shared by every connection: the judge, the caches, the permits and the metrics.
pub struct Webhook {
    judge: Arc<dyn Judge>,
    config: ServeConfig,
    verdicts: Cache<String, Stamped<Arc<ImageVerdict>>>,
    digests: Cache<String, Stamped<String>>,
    permits: Semaphore,
    draining: std::sync::atomic::AtomicBool,
    /// Request-body bytes that may be held at once, in KiB permits.
    pub(crate) body_budget: Semaphore,
    /// The server's metrics.
    pub metrics: Metrics,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook").field("config", &self.config).finish_non_exhaustive()
    }
}

/// Whether `digest` is one a runtime accepts after `@` (so a pin never breaks a pod).
fn pinnable(digest: &str) -> bool {
    let hex_len = |h: &str, n: usize| h.len() == n && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    match digest.split_once(':') {
        Some(("sha256", h)) => hex_len(h, 64),
        Some(("sha512", h)) => hex_len(h, 128),
        _ => false,
    }
}

impl Webhook {
    /// The webhook with `judge` and `config`'s caches and bounds.
    pub fn new(judge: Arc<dyn Judge>, config: ServeConfig) -> Webhook {
        let verdicts = Cache::new(config.cache_size.max(1));
        let digests = Cache::new(config.cache_size.max(1));
        let permits = Semaphore::new(config.max_parallel.max(1));
        let body_budget = Semaphore::new(config.max_body_in_flight.div_ceil(1024).max(config.max_body.div_ceil(1024)).min(Semaphore::MAX_PERMITS));
        Webhook { judge, config, verdicts, digests, permits, draining: std::sync::atomic::AtomicBool::new(false), body_budget, metrics: Metrics::new() }
    }

    /// The configuration served.
    pub fn config(&self) -> &ServeConfig {
        &self.config
    }

    /// Whether to report ready (`/readyz`): the judge is ready and the server is not draining for shutdown.
    pub fn ready(&self) -> bool {
        !self.draining.load(std::sync::atomic::Ordering::Relaxed) && self.judge.ready()
    }

    /// Whether the judge is ready (`/readyz` also says why it is not).
    pub fn judge_ready(&self) -> bool {
        self.judge.ready()
    }

    /// Marks the server as draining: `/readyz` answers 503 from now on.
    pub fn drain(&self) {
        self.draining.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Answers one review within the budget.
    pub async fn review(self: &Arc<Self>, endpoint: Endpoint, request: &AdmissionRequest) -> Reviewed {
        let namespace = request.namespace.as_deref().unwrap_or("");
        if !request.judged() {
            return Reviewed { answer: Answer::allow(), label: "skipped", images: 0 };
        }
        let containers = request.images();
        if self.config.exclude_namespaces.iter().any(|n| n == namespace) {
            return Reviewed { answer: Answer::allow(), label: "excluded", images: containers.len() };
        }
        let deadline = tokio::time::Instant::now() + self.config.budget;
        let mut seen = std::collections::HashSet::new();
        let unique: Vec<&str> = containers.iter().map(|c| c.image.as_str()).filter(|i| seen.insert(*i)).collect();
        if unique.len() > MAX_IMAGES_PER_REVIEW {
            // No pod has this many containers: a hostile or broken object gets one answer, not thousands of assessments.
            let reason = format!("the object names {} distinct images, more than the {MAX_IMAGES_PER_REVIEW} temper judges in one review", unique.len());
            let (answer, label) = self.unjudged(reason);
            return Reviewed { answer, label, images: containers.len() };
        }
        let generation = self.judge.generation();
        let dry_run = request.dry_run();
        let mut tasks = Vec::with_capacity(unique.len());
        for image in &unique {
            if self.judge.exempt(image, namespace) {
                tasks.push(None);
            } else {
                let me = Arc::clone(self);
                let (image, namespace, generation) = (image.to_string(), namespace.to_string(), generation.clone());
                tasks.push(Some(tokio::spawn(async move { me.assess(&image, &namespace, &generation, dry_run).await })));
            }
        }
        let mut outcomes = Vec::with_capacity(tasks.len());
        for task in tasks {
            outcomes.push(match task {
                None => Outcome::Exempt,
                // Every wait ends at the one deadline; a task still running is left to fill the cache.
                Some(handle) => match tokio::time::timeout_at(deadline, handle).await {
                    Ok(Ok(Ok(verdict))) => Outcome::Judged(verdict),
                    Ok(Ok(Err(e))) => Outcome::Failed(e),
                    Ok(Err(e)) => Outcome::Failed(JudgeError::Other(format!("the assessment failed: {e}"))),
                    Err(_) => Outcome::TimedOut,
                },
            });
        }
        let answer = self.answer(endpoint, request, &unique, outcomes);
        Reviewed { label: answer.1, answer: answer.0, images: containers.len() }
    }

    /// The answer for an object none of whose images could be judged, per `on-timeout`.
    fn unjudged(&self, reason: String) -> (Answer, &'static str) {
        let mut answer = Answer::allow();
        answer.audit.insert("unjudged".to_string(), reason.clone());
        match self.config.on_timeout {
            OnTimeout::Deny => {
                answer.allowed = false;
                answer.message = Some(format!("temper could not judge the object (on-timeout=deny): {reason}"));
                (answer, "unjudged_denied")
            }
            OnTimeout::Allow => {
                answer.warnings.push(format!("admitted unjudged (on-timeout=allow): {reason}"));
                (answer, "unjudged_allowed")
            }
        }
    }

    fn answer(&self, endpoint: Endpoint, request: &AdmissionRequest, unique: &[&str], outcomes: Vec<Outcome>) -> (Answer, &'static str) {
        let mut denied = Vec::new();
        let mut unjudged = Vec::new();
        let mut warnings = Vec::new();
        let mut pins: HashMap<&str, String> = HashMap::new();
        for (image, outcome) in unique.iter().copied().zip(outcomes) {
            match outcome {
                Outcome::Exempt => self.metrics.image(ImageOutcome::Exempt),
                Outcome::Judged(v) => {
                    warnings.extend(v.warnings.iter().map(|w| format!("{image}: {w}")));
                    match v.decision {
                        Decision::Deny => {
                            self.metrics.image(ImageOutcome::Deny);
                            let rules = if v.denials.is_empty() { "denied by policy".to_string() } else { v.denials.join("; ") };
                            denied.push(format!("{image}: {rules}"));
                        }
                        Decision::Allow | Decision::Warn => {
                            self.metrics.image(if v.decision == Decision::Allow { ImageOutcome::Allow } else { ImageOutcome::Warn });
                            if pinnable(&v.digest) {
                                pins.insert(image, v.digest.clone());
                            }
                        }
                    }
                }
                Outcome::Failed(e) => {
                    self.metrics.image(ImageOutcome::Error);
                    if matches!(e, JudgeError::Registry(_)) {
                        self.metrics.registry_error();
                    }
                    unjudged.push(format!("{image}: {e}"));
                }
                Outcome::TimedOut => {
                    self.metrics.image(ImageOutcome::Timeout);
                    unjudged.push(format!("{image}: not judged within the review's {} ms budget", self.config.budget.as_millis()));
                }
            }
        }
        let on_timeout = self.config.on_timeout;
        let mut answer = Answer { allowed: true, warnings, ..Answer::default() };
        let mut label = "allowed";
        if !unjudged.is_empty() {
            answer.audit.insert("unjudged".to_string(), unjudged.join(" | "));
        }
        if !denied.is_empty() {
            let mut message = format!("temper denied {} image{}: {}", denied.len(), plural(denied.len()), denied.join(" | "));
            if !unjudged.is_empty() {
                message.push_str(&format!("; not judged: {}", unjudged.join(" | ")));
            }
            answer.allowed = false;
            answer.message = Some(message);
            label = "denied";
        } else if !unjudged.is_empty() {
            match on_timeout {
                OnTimeout::Deny => {
                    answer.allowed = false;
                    answer.message = Some(format!("temper could not judge {} image{} (on-timeout=deny): {}", unjudged.len(), plural(unjudged.len()), unjudged.join(" | ")));
                    label = "unjudged_denied";
                }
                OnTimeout::Allow => {
                    answer.warnings.extend(unjudged.iter().map(|u| format!("admitted unjudged (on-timeout=allow): {u}")));
                    label = "unjudged_allowed";
                }
            }
        }
        if endpoint == Endpoint::Mutate && answer.allowed {
            for c in request.images() {
                // A reference with a digest already names what runs; only tags are pinned.
                if let Some(digest) = pins.get(c.image.as_str()).filter(|_| !c.image.contains('@')) {
                    answer.patch.push(PatchOp { op: "replace", path: c.pointer, value: format!("{}@{digest}", c.image) });
                }
            }
        }
        (answer, label)
    }

    /// Digest, then verdict, each from its cache when fresh.
    async fn assess(&self, image: &str, namespace: &str, generation: &str, dry_run: bool) -> Result<Arc<ImageVerdict>, JudgeError> {
        let digest = if self.config.resolve_ttl.is_zero() {
            self.metrics.cache("digest", false);
            self.resolve(image).await?
        } else {
            cached(&self.digests, image, self.config.resolve_ttl, &self.metrics, "digest", self.resolve(image)).await?
        };
        // Beside the digest and the generation, the key holds what a policy's rules may match on: the reference as written and the namespace.
        let key = format!("{generation}\n{namespace}\n{image}\n{digest}");
        cached(&self.verdicts, &key, self.config.cache_ttl, &self.metrics, "verdict", async {
            let judge = Arc::clone(&self.judge);
            let (image, digest, namespace) = (image.to_string(), digest.clone(), namespace.to_string());
            self.blocking(move || judge.judge(&image, &digest, &namespace, dry_run)).await?.map(Arc::new)
        })
        .await
    }

    async fn resolve(&self, image: &str) -> Result<String, JudgeError> {
        let judge = Arc::clone(&self.judge);
        let image = image.to_string();
        self.blocking(move || judge.resolve(&image)).await?
    }

    /// Runs a blocking judge call on the blocking pool once a permit is free.
    async fn blocking<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, JudgeError> {
        let wait = self.config.budget;
        let permit = match tokio::time::timeout(wait, self.permits.acquire()).await {
            Ok(Ok(permit)) => permit,
            _ => return Err(JudgeError::Other(format!("all {} assessment slots stayed busy for {} ms", self.config.max_parallel, wait.as_millis()))),
        };
        let result = tokio::task::spawn_blocking(f).await.map_err(|e| JudgeError::Other(format!("the judge failed: {e}")));
        drop(permit);
        result
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `key`'s value from `cache` when younger than `ttl`, else `compute`'s (stored when it succeeds).
async fn cached<V: Clone>(cache: &Cache<String, Stamped<V>>, key: &str, ttl: Duration, metrics: &Metrics, name: &'static str, compute: impl Future<Output = Result<V, JudgeError>>) -> Result<V, JudgeError> {
    let mut guard = None;
    // A stale entry is removed and looked up again; three rounds bound the loop when other tasks keep refilling it.
    for _ in 0..3 {
        match cache.get_value_or_guard_async(key).await {
            Ok(entry) if entry.at.elapsed() < ttl => {
                metrics.cache(name, true);
                return Ok(entry.value);
            }
            Ok(_) => {
                cache.remove_if(key, |e| e.at.elapsed() >= ttl);
            }
            Err(g) => {
                guard = Some(g);
                break;
            }
        }
    }
    metrics.cache(name, false);
    let value = compute.await?;
    if let Some(guard) = guard {
        let _ = guard.insert(Stamped { value: value.clone(), at: Instant::now() });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::pinnable;

    #[test]
    fn only_well_formed_digests_are_pinned() {
        assert!(pinnable(&format!("sha256:{}", "ab".repeat(32))));
        assert!(!pinnable(&format!("sha256:{}", "AB".repeat(32))));
        assert!(!pinnable("sha256:abc"));
        assert!(!pinnable(&format!("md5:{}", "ab".repeat(32))));
    }
}
