//! When and how long to wait before trying a registry request again.
//!
//! Only idempotent requests are retried (GETs, token fetches), and only on
//! failures another try can cure: a dropped or refused connection, a
//! timeout, `429 Too Many Requests` and the gateway errors 502/503/504. The
//! wait doubles from `base` up to `cap` with full jitter (so parallel layer
//! pulls do not retry in step), unless the registry says how long with
//! `Retry-After`, which is honoured up to `max_retry_after`.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

/// Receives one-line notices about long waits (for stderr or a log).
pub type Notice = Arc<dyn Fn(&str) + Send + Sync>;

/// How transient registry failures are retried.
#[derive(Clone)]
pub struct RetryPolicy {
    /// Tries per request, the first included (1: never retry).
    pub attempts: u32,
    /// The first backoff; each retry doubles it.
    pub base: Duration,
    /// The longest backoff between two tries.
    pub cap: Duration,
    /// The longest `Retry-After` honoured; a longer one is cut to this.
    pub max_retry_after: Duration,
    /// Told whenever a wait is long (at least [`LONG_WAIT`]) or a
    /// `Retry-After` was cut.
    pub notice: Option<Notice>,
}

/// Waits from this long on are announced through [`RetryPolicy::notice`].
pub const LONG_WAIT: Duration = Duration::from_secs(2);

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            notice: None,
        }
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("attempts", &self.attempts)
            .field("base", &self.base)
            .field("cap", &self.cap)
            .field("max_retry_after", &self.max_retry_after)
            .field("notice", &self.notice.is_some())
            .finish()
    }
}

impl RetryPolicy {
    /// The default policy, with every wait capped at
    /// `$TEMPER_RETRY_MAX_WAIT_MS` milliseconds when that is set (tests and
    /// impatient CI jobs).
    pub fn from_env() -> Self {
        let mut policy = RetryPolicy::default();
        if let Some(ms) = std::env::var("TEMPER_RETRY_MAX_WAIT_MS").ok().and_then(|v| v.trim().parse::<u64>().ok()) {
            let max = Duration::from_millis(ms);
            policy.base = policy.base.min(max);
            policy.cap = policy.cap.min(max);
            policy.max_retry_after = policy.max_retry_after.min(max);
        }
        policy
    }

    /// The wait before try `next` (2 for the first retry): the registry's
    /// `Retry-After` if it sent one (capped), else jittered backoff.
    pub(crate) fn wait(&self, next: u32, retry_after: Option<&str>, what: &str) -> Duration {
        if let Some(asked) = retry_after.and_then(|v| parse_retry_after(v, SystemTime::now())) {
            let wait = asked.min(self.max_retry_after);
            if wait < asked {
                self.tell(&format!("{what}: the registry asked to wait {}s (Retry-After); waiting {} instead", asked.as_secs(), human(wait)));
            } else if wait >= LONG_WAIT {
                self.tell(&format!("{what}: waiting {} as the registry asked (Retry-After)", human(wait)));
            }
            return wait;
        }
        let exp = self.base.saturating_mul(1u32 << next.saturating_sub(2).min(16)).min(self.cap);
        // Full jitter: anywhere up to the exponential step.
        let wait = exp.mul_f64(fastrand::f64());
        if wait >= LONG_WAIT {
            self.tell(&format!("{what}: retrying in {}", human(wait)));
        }
        wait
    }

    fn tell(&self, msg: &str) {
        if let Some(n) = &self.notice {
            n(msg);
        }
    }
}

fn human(d: Duration) -> String {
    if d >= Duration::from_secs(1) { format!("{}s", d.as_secs()) } else { format!("{}ms", d.as_millis()) }
}

/// `Retry-After` is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3);
/// a date in the past means "now".
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = OffsetDateTime::parse(value, &Rfc2822).ok()?;
    let now = OffsetDateTime::from(now);
    Some(Duration::try_from(when - now).unwrap_or(Duration::ZERO))
}

/// Whether an HTTP status is worth another try.
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// Whether a transport failure is worth another try: the connection was
/// refused, broke or timed out. Unknown hosts, TLS and protocol errors
/// (which arrive as I/O errors of other kinds) are not.
pub(crate) fn retryable_transport(e: &ureq::Error) -> bool {
    use std::io::ErrorKind as K;
    match e {
        ureq::Error::ConnectionFailed | ureq::Error::Timeout(_) | ureq::Error::BodyStalled => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            K::ConnectionRefused | K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof | K::TimedOut | K::Interrupted | K::NotConnected
        ),
        _ => false,
    }
}

/// Whether a transport failure means the host is not there at all (so a
/// Docker Hub name was likely meant as a local image).
pub(crate) fn unreachable(e: &ureq::Error) -> bool {
    use std::io::ErrorKind as K;
    match e {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed | ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => true,
        // std reports a failed name lookup with an uncategorised kind,
        // recognisable only by its text.
        ureq::Error::Io(io) => {
            matches!(io.kind(), K::ConnectionRefused | K::HostUnreachable | K::NetworkUnreachable | K::NetworkDown | K::AddrNotAvailable)
                || io.to_string().contains("failed to lookup address")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), Some(Duration::ZERO), "a past date means now");
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn retry_after_is_capped_and_announced() {
        let told = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let sink = told.clone();
        let policy = RetryPolicy {
            max_retry_after: Duration::from_millis(5),
            notice: Some(Arc::new(move |m: &str| sink.lock().unwrap().push(m.to_owned()))),
            ..RetryPolicy::default()
        };
        assert_eq!(policy.wait(2, Some("3600"), "reg/x"), Duration::from_millis(5));
        let told = told.lock().unwrap();
        assert_eq!(told.len(), 1);
        assert!(told[0].contains("3600s (Retry-After)") && told[0].contains("5ms"), "{told:?}");
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let policy = RetryPolicy { base: Duration::from_millis(100), cap: Duration::from_millis(350), ..RetryPolicy::default() };
        for (next, bound) in [(2, 100), (3, 200), (4, 350), (5, 350), (40, 350)] {
            let waits: Vec<Duration> = (0..200).map(|_| policy.wait(next, None, "x")).collect();
            assert!(waits.iter().all(|w| *w <= Duration::from_millis(bound)), "try {next}: over {bound} ms");
            // Jittered: not all the same.
            assert!(waits.iter().any(|w| *w != waits[0]), "try {next}: no jitter");
        }
    }

    #[test]
    fn which_failures_are_retried() {
        assert!([429, 502, 503, 504].into_iter().all(retryable_status));
        assert!(![200, 400, 401, 404, 500].into_iter().any(retryable_status));
        assert!(retryable_transport(&ureq::Error::ConnectionFailed));
        assert!(!retryable_transport(&ureq::Error::HostNotFound));
        let lookup = std::net::ToSocketAddrs::to_socket_addrs("no-such-host.invalid:443").map(|_| ()).unwrap_err();
        let lookup = ureq::Error::Io(lookup);
        assert!(!retryable_transport(&lookup) && unreachable(&lookup), "a failed lookup is final and means unreachable: {lookup}");
        let refused = ureq::Error::Io(std::io::ErrorKind::ConnectionRefused.into());
        assert!(retryable_transport(&refused) && unreachable(&refused));
        let tls = ureq::Error::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, "corrupt message"));
        assert!(!retryable_transport(&tls) && !unreachable(&tls), "a TLS failure is neither");
    }
}
