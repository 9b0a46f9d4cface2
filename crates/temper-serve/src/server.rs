//! HTTPS on hyper: the accept loop (TLS handshakes bounded in time,
//! connections bounded in number), the routes, request bodies bounded in
//! size and time, and a shutdown that drains (readyz fails first, so the
//! Service stops routing here before the port closes) and then finishes
//! the reviews in flight.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::admit::{Endpoint, Webhook};
use crate::config::ServeConfig;
use crate::judge::Judge;
use crate::review::{AdmissionRequest, encode_response};
use crate::tls::{ReloadingCert, TlsError, server_config};

/// A TLS handshake or a request's headers taking longer than this is dropped (slow clients hold no slot for long).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Most connections open at once; the API server keeps a few per replica.
const MAX_CONNECTIONS: usize = 1024;

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The certificate pair does not load.
    #[error("TLS certificate: {0}")]
    Tls(#[from] TlsError),
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    /// The dashboard's client CA file is unusable.
    #[error(transparent)]
    ClientCa(#[from] crate::tls::ClientCaError),
    /// The dashboard's SQLite store does not exist (opening it would
    /// create an empty fleet, and the dashboard only reads).
    #[error("--store {}: no fleet store there; point --store (or TEMPER_FLEET_STORE) at the one `temper fleet sync` fills", .0.display())]
    NoStore(std::path::PathBuf),
    /// The async runtime cannot start (threads, descriptors).
    #[error("cannot start the server's runtime: {0}")]
    Runtime(std::io::Error),
    /// The address cannot be listened on.
    #[error("cannot listen on {addr}: {source} (is another process using the port?)")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// A bound server, not yet accepting.
pub struct Server {
    listener: TcpListener,
    acceptor: TlsAcceptor,
    webhook: Arc<Webhook>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("listener", &self.listener).field("webhook", &self.webhook).finish_non_exhaustive()
    }
}

impl Server {
    /// Loads the certificate and binds `config.listen`.
    pub async fn bind(config: ServeConfig, judge: Arc<dyn Judge>) -> Result<Server, ServeError> {
        let cert = Arc::new(ReloadingCert::load(&config.tls_cert, &config.tls_key)?);
        let acceptor = TlsAcceptor::from(Arc::new(server_config(cert)?));
        let listener = TcpListener::bind(config.listen).await.map_err(|source| ServeError::Bind { addr: config.listen, source })?;
        Ok(Server { listener, acceptor, webhook: Arc::new(Webhook::new(judge, config)) })
    }

    /// The address bound (its port when `listen` asked for port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// The webhook state (metrics, readiness).
    pub fn webhook(&self) -> &Arc<Webhook> {
        &self.webhook
    }

    /// Serves until `shutdown` completes; then drains (`/readyz` fails while connections are still accepted for `drain_delay`), stops accepting, and waits up to `shutdown_grace` for in-flight requests.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let Server { listener, acceptor, webhook } = self;
        let (grace, drain_delay) = (webhook.config().shutdown_grace, webhook.config().drain_delay);
        tracing::info!(addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "serving admission reviews");
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder.http1().timer(TokioTimer::new()).header_read_timeout(HANDSHAKE_TIMEOUT);
        let graceful = GracefulShutdown::new();
        let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let accept = |tcp: tokio::net::TcpStream| {
            let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                tracing::warn!(max = MAX_CONNECTIONS, "connection refused: too many open connections");
                return;
            };
            let _ = tcp.set_nodelay(true);
            let (acceptor, webhook, builder, watcher) = (acceptor.clone(), Arc::clone(&webhook), builder.clone(), graceful.watcher());
            tokio::spawn(async move {
                let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => return tracing::debug!(error = %e, "TLS handshake failed"),
                    Err(_) => return tracing::debug!("TLS handshake timed out"),
                };
                let service = service_fn(move |req| route(Arc::clone(&webhook), req));
                if let Err(e) = watcher.watch(builder.serve_connection(TokioIo::new(tls), service).into_owned()).await {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                drop(slot);
            });
        };
        // Serve until the stop signal, then keep accepting through the drain delay (readyz 503) so the endpoints drop this pod first.
        let mut shutdown = std::pin::pin!(shutdown);
        let mut drain = std::pin::pin!(async {
            shutdown.as_mut().await;
            webhook.drain();
            tracing::info!(drain_ms = drain_delay.as_millis() as u64, "stop requested: readyz now fails; still accepting while endpoints update");
            tokio::time::sleep(drain_delay).await;
        });
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((tcp, _)) => accept(tcp),
                    Err(e) => {
                        // Out of descriptors, mostly: wait a little rather than spin.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                () = &mut drain => break,
            }
        }
        drop(listener);
        tracing::info!(in_flight = graceful.count(), "shutting down: finishing in-flight reviews");
        if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
            tracing::warn!(grace_ms = grace.as_millis() as u64, "in-flight requests still running at the end of the grace period");
        }
    }
}

/// Completes on SIGTERM (what the kubelet sends) or Ctrl-C.
pub async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

type Reply = Response<Full<Bytes>>;

fn reply(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Reply {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn text(status: StatusCode, body: impl Into<String>) -> Reply {
    let mut body = body.into();
    body.push('\n');
    reply(status, "text/plain; charset=utf-8", body)
}

fn code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        200 => "200",
        400 => "400",
        404 => "404",
        405 => "405",
        408 => "408",
        413 => "413",
        503 => "503",
        _ => "other",
    }
}

async fn route(webhook: Arc<Webhook>, req: Request<Incoming>) -> Result<Reply, Infallible> {
    let endpoint = match req.uri().path() {
        "/validate" => Endpoint::Validate,
        "/mutate" => Endpoint::Mutate,
        "/healthz" => return Ok(text(StatusCode::OK, "ok")),
        "/readyz" if webhook.ready() => return Ok(text(StatusCode::OK, "ready")),
        "/readyz" if webhook.judge_ready() => return Ok(text(StatusCode::SERVICE_UNAVAILABLE, "not ready: shutting down")),
        "/readyz" => return Ok(text(StatusCode::SERVICE_UNAVAILABLE, "not ready: the advisory database or the policies are not loaded yet")),
        "/metrics" => return Ok(reply(StatusCode::OK, "application/openmetrics-text; version=1.0.0; charset=utf-8", webhook.metrics.encode())),
        other => return Ok(text(StatusCode::NOT_FOUND, format!("no route {other:?}: the webhook serves POST /validate and POST /mutate, GET /healthz, /readyz and /metrics"))),
    };
    let response = if req.method() != Method::POST {
        text(StatusCode::METHOD_NOT_ALLOWED, format!("{} takes POST with an AdmissionReview, not {}", req.uri().path(), req.method()))
    } else {
        review(&webhook, endpoint, req).await
    };
    webhook.metrics.request(endpoint.as_str(), code(response.status()));
    Ok(response)
}

/// Bytes of a refused body read and dropped before the refusal is sent: a
/// client still sending when the server closes gets a reset, not the 413
/// and its reason. Past this the connection is simply closed.
const DRAIN_LIMIT: usize = 1 << 20;

/// The body, `None` when it is over `max` bytes (the rest of it drained
/// up to [`DRAIN_LIMIT`]).
async fn read_body(mut body: Incoming, max: usize) -> Result<Option<Bytes>, hyper::Error> {
    let mut read = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            if read.len() + data.len() > max {
                drain(body).await;
                return Ok(None);
            }
            read.extend_from_slice(&data);
        }
    }
    Ok(Some(read.freeze()))
}

/// Reads and drops up to [`DRAIN_LIMIT`] bytes of `body`.
async fn drain(mut body: Incoming) {
    let mut left = DRAIN_LIMIT;
    while let Some(Ok(frame)) = body.frame().await {
        let n = frame.data_ref().map_or(0, Bytes::len);
        if n >= left {
            return;
        }
        left -= n;
    }
}

async fn review(webhook: &Arc<Webhook>, endpoint: Endpoint, req: Request<Incoming>) -> Reply {
    let config = webhook.config();
    let max = config.max_body;
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared.filter(|&n| n > max as u64) {
        if n <= (max + DRAIN_LIMIT) as u64 {
            let _ = tokio::time::timeout(config.budget, drain(req.into_body())).await;
        }
        return text(StatusCode::PAYLOAD_TOO_LARGE, format!("the AdmissionReview is larger than the {max}-byte limit"));
    }
    // Bodies in flight share one byte budget (KiB permits): a flood of large bodies waits instead of exhausting memory.
    let kib = declared.map_or(max, |n| n as usize).div_ceil(1024).max(1) as u32;
    let Ok(Ok(_held)) = tokio::time::timeout(config.budget, webhook.body_budget.acquire_many(kib)).await else {
        return text(StatusCode::SERVICE_UNAVAILABLE, format!("too many large reviews in flight (over {} bytes); retry", config.max_body_in_flight));
    };
    // The body must arrive within the budget too: a slow sender holds no review slot for long.
    let body = match tokio::time::timeout(config.budget, read_body(req.into_body(), max)).await {
        Ok(Ok(Some(body))) => body,
        Ok(Ok(None)) => return text(StatusCode::PAYLOAD_TOO_LARGE, format!("the AdmissionReview is larger than the {max}-byte limit")),
        Ok(Err(e)) => return text(StatusCode::BAD_REQUEST, format!("cannot read the request body: {e}")),
        Err(_) => return text(StatusCode::REQUEST_TIMEOUT, format!("the request body did not arrive within {} ms", config.budget.as_millis())),
    };
    let started = Instant::now();
    let request = match AdmissionRequest::parse(&body) {
        Ok(request) => request,
        Err(e) => {
            tracing::warn!(endpoint = endpoint.as_str(), error = %e, "refused a request body");
            return text(StatusCode::BAD_REQUEST, e.to_string());
        }
    };
    let reviewed = webhook.review(endpoint, &request).await;
    let elapsed = started.elapsed();
    webhook.metrics.review(endpoint.as_str(), reviewed.label, elapsed.as_secs_f64());
    tracing::info!(
        endpoint = endpoint.as_str(),
        uid = %request.uid,
        kind = %request.kind.kind,
        namespace = request.namespace.as_deref().unwrap_or(""),
        name = request.name.as_deref().unwrap_or(""),
        operation = %request.operation,
        dry_run = request.dry_run(),
        images = reviewed.images,
        answer = reviewed.label,
        allowed = reviewed.answer.allowed,
        patched = reviewed.answer.patch.len(),
        warnings = reviewed.answer.warnings.join(" | "),
        reason = reviewed.answer.message.as_deref().unwrap_or(""),
        duration_ms = elapsed.as_secs_f64() * 1e3,
        "review"
    );
    reply(StatusCode::OK, "application/json", encode_response(&request.uid, &reviewed.answer))
}
