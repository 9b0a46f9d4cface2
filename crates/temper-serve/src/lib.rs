//! temper's Kubernetes admission webhook (`temper serve --admission`) and
//! the read-only fleet dashboard (`temper serve --dashboard`, [`dashboard`]),
//! each on its own listener, in one process when both are asked for
//! ([`serve_all`]).
//!
//! The API server posts an `admission.k8s.io/v1` AdmissionReview to
//! `/validate` or `/mutate`; [`review`] decodes it and finds every
//! container, initContainer and ephemeralContainer image of a Pod or of a
//! workload's pod template (Deployment, ReplicaSet, StatefulSet, DaemonSet,
//! Job, CronJob, ReplicationController); [`admit::Webhook`] judges each
//! distinct image through a [`Judge`] — exempt images first, without any
//! registry call; the others by digest, from a verdict cache keyed by
//! digest, reference, namespace and the judge's generation (policy digest
//! and advisory-DB version) — in parallel under one deadline; the answer
//! echoes the uid, denies naming each image and failed rule, warns, and on
//! `/mutate` pins tags to the verified digests with a JSONPatch.
//! [`server::Server`] serves it over rustls (certificate files reloaded
//! when they change, [`tls::ReloadingCert`]) with `/healthz`, `/readyz` and
//! `/metrics`, and shuts down gracefully.
//!
//! The judge is a trait because the assessment and the policy live in other
//! crates; the binary plugs the real one in, tests plug in fakes.
//!
//! Decisions a reader may question:
//! - A review never waits past its budget: when it runs out, the answer
//!   follows [`OnTimeout`] and says why. A registry error gets the same
//!   treatment: an image that could not be judged is neither silently
//!   admitted nor a 500 the API server turns into its failurePolicy.
//! - `/mutate` writes `name:tag@sha256:…`, keeping the tag: a runtime pulls
//!   by the digest and ignores the tag, and people reading the pod still see
//!   which tag it came from.
//! - An UPDATE judges and pins only the images the stored object does not
//!   have ([`review::AdmissionRequest::images`]; compared as a set, so a
//!   sidecar inserted before a container does not re-judge the container's
//!   image): re-pinning an unchanged image would restart a running
//!   container or roll a Deployment out, and an image gated when it entered
//!   is not re-gated by a relabel.
//! - Tag-to-digest answers are cached for a short time (`resolve_ttl`, 30 s
//!   by default) so a warm review makes no registry call. The trade-off: a
//!   tag moved within that window is still judged and pinned at its previous
//!   digest; the pod then runs exactly what was judged, only not the newest.
//!
//! This crate must never panic on a request body, hold a review past its
//! budget, or contact a registry for an exempt image.
//!
//! ```
//! use temper_serve::review::{AdmissionRequest, container_images};
//! let body = br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
//!   "uid":"1","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","namespace":"app",
//!   "object":{"spec":{"containers":[{"name":"a","image":"registry.test/app:1.0"}]}}}}"#;
//! let request = AdmissionRequest::parse(body).unwrap();
//! assert_eq!(request.images()[0].pointer, "/spec/containers/0/image");
//! ```

pub mod admit;
pub mod config;
pub mod dashboard;
pub mod judge;
pub mod metrics;
pub mod policy_judge;
pub mod review;
pub mod server;
pub mod tls;

pub use config::{OnTimeout, ServeConfig};
pub use dashboard::{Dashboard, DashboardConfig};
pub use judge::{Decision, ImageVerdict, Judge, JudgeError};
pub use server::{ServeError, Server, shutdown_signal};

/// Runs the webhook until SIGTERM or Ctrl-C on a runtime of its own.
///
/// Judge calls still blocking when the grace period ends are not waited for
/// (the process is exiting; the API server retries or applies its failurePolicy).
pub fn serve(config: ServeConfig, judge: std::sync::Arc<dyn Judge>) -> Result<(), ServeError> {
    serve_all(Some((config, judge)), None)
}

/// Runs the webhook, the fleet dashboard, or both (each on its own
/// listener) until SIGTERM or Ctrl-C, on one runtime: what `temper serve`
/// calls. Both are bound before either serves, so a port in use stops the
/// process before anything is served.
pub fn serve_all(admission: Option<(ServeConfig, std::sync::Arc<dyn Judge>)>, dashboard: Option<DashboardConfig>) -> Result<(), ServeError> {
    let grace = admission.as_ref().map_or(config::DEFAULT_SHUTDOWN_GRACE, |(c, _)| c.shutdown_grace);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("temper-serve").build().map_err(ServeError::Runtime)?;
    let result = runtime.block_on(async {
        let webhook = match admission {
            Some((config, judge)) => Some(Server::bind(config, judge).await?),
            None => None,
        };
        let board = match dashboard {
            Some(config) => Some(Dashboard::bind(config).await?),
            None => None,
        };
        let (stop, stopped) = tokio::sync::watch::channel(());
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop.send(());
        });
        let until_stopped = |mut stopped: tokio::sync::watch::Receiver<()>| async move {
            let _ = stopped.changed().await;
        };
        let run_webhook = async {
            if let Some(server) = webhook {
                server.run(until_stopped(stopped.clone())).await;
            }
        };
        let run_board = async {
            if let Some(board) = board {
                board.run(until_stopped(stopped.clone()), grace).await;
            }
        };
        tokio::join!(run_webhook, run_board);
        Ok(())
    });
    runtime.shutdown_timeout(grace);
    result
}

/// Sends the `tracing` events of the server to stderr as one JSON object per line, at `level` and above.
pub fn init_json_logs(level: tracing::Level) {
    init_json_logs_to(level, std::io::stderr);
}

/// Sends the `tracing` events of the server to `writer` as one JSON object per line (`timestamp`, `level`, `message`, the event's fields, `target`), at `level` and above.
pub fn init_json_logs_to<W>(level: tracing::Level, writer: W)
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    // A second call (a test harness, an embedding binary) keeps the first subscriber.
    let _ = tracing_subscriber::fmt().json().flatten_event(true).with_current_span(false).with_span_list(false).with_max_level(level).with_writer(writer).try_init();
}
