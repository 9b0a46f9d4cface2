//! The server's settings, filled by the CLI (`temper serve --admission …`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// What a review answers when images could not be judged (the budget ran out, or a registry failed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnTimeout {
    /// Refuse the object, saying which images were not judged and why (fail closed).
    Deny,
    /// Admit it with a warning saying which images were not judged and why (fail open).
    Allow,
}

impl OnTimeout {
    /// `deny` or `allow`, as in the flag and the messages.
    pub fn as_str(self) -> &'static str {
        match self {
            OnTimeout::Deny => "deny",
            OnTimeout::Allow => "allow",
        }
    }
}

/// Everything `serve` needs beside the judge.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Where to listen (e.g. `0.0.0.0:8443`).
    pub listen: SocketAddr,
    /// The certificate chain (PEM), re-read when it changes.
    pub tls_cert: PathBuf,
    /// The certificate's private key (PEM), re-read when it changes.
    pub tls_key: PathBuf,
    /// The whole review's budget: keep it below the webhook's `timeoutSeconds` so the answer, not the API server's deadline, decides.
    pub budget: Duration,
    /// The answer when the budget runs out or an image cannot be judged.
    pub on_timeout: OnTimeout,
    /// Namespaces admitted without a look (the server's own, so it can restart, and `kube-system`).
    pub exclude_namespaces: Vec<String>,
    /// How long a verdict stays valid.
    pub cache_ttl: Duration,
    /// Most verdicts kept.
    pub cache_size: usize,
    /// How long a tag's digest is trusted without asking the registry again (0: always ask).
    pub resolve_ttl: Duration,
    /// Largest request body accepted.
    pub max_body: usize,
    /// Most images judged at once over all reviews (bounds registry connections and blocking threads).
    pub max_parallel: usize,
    /// After the stop signal, how long the server keeps accepting while `/readyz` says 503, so the Service's endpoints drop it before its port closes (with failurePolicy Fail, a refused connection fails the API request).
    pub drain_delay: Duration,
    /// Then, how long shutdown waits for in-flight reviews.
    pub shutdown_grace: Duration,
    /// Most request-body bytes held at once over all connections (bodies are bounded one by one by `max_body`; this bounds their sum).
    pub max_body_in_flight: usize,
}

/// The largest review a legitimate API server sends: an UPDATE carries the object and the stored object, each within the API server's 3 MiB request limit.
pub const DEFAULT_MAX_BODY: usize = 6 << 20;

/// How long requests in flight may finish after a stop (with the drain, inside deploy/'s terminationGracePeriodSeconds of 30).
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

impl ServeConfig {
    /// The defaults, listening on `listen` with the certificate pair at `tls_cert` and `tls_key`.
    pub fn new(listen: SocketAddr, tls_cert: PathBuf, tls_key: PathBuf) -> ServeConfig {
        ServeConfig {
            listen,
            tls_cert,
            tls_key,
            // The API server's default timeoutSeconds is 10; deploy/ sets 10 and this leaves room for the round trip.
            budget: Duration::from_millis(8000),
            on_timeout: OnTimeout::Deny,
            exclude_namespaces: default_excluded_namespaces(),
            cache_ttl: Duration::from_secs(15 * 60),
            cache_size: 10_000,
            resolve_ttl: Duration::from_secs(30),
            max_body: DEFAULT_MAX_BODY,
            max_parallel: 16,
            drain_delay: Duration::from_secs(5),
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            max_body_in_flight: 32 << 20,
        }
    }
}

/// The server's own namespace (`POD_NAMESPACE`, set by deploy/ from the downward API, else `temper-system`) and `kube-system`.
pub fn default_excluded_namespaces() -> Vec<String> {
    let own = std::env::var("POD_NAMESPACE").ok().filter(|n| !n.is_empty()).unwrap_or_else(|| "temper-system".to_string());
    vec![own, "kube-system".to_string()]
}
