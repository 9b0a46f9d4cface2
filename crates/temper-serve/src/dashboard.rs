//! The fleet dashboard (`temper serve --dashboard`): read-only HTML pages
//! and the same data as JSON under `/api/`, from the fleet store, on a
//! listener of its own.
//!
//! Routes (GET and HEAD only): `/` the overview, `/images?page=N` the
//! current images a page at a time, `/images/{id}` one image (the report's
//! page), `/advisories/{id}` one advisory across the fleet and which rebase
//! fixes it, `/golden/{id}` one golden base (by id, or by its reference
//! percent-encoded); `/api/overview`,
//! `/api/images?page=N`, `/api/images/{id}`, `/api/advisories/{id}`,
//! `/api/golden/{id}` the same as JSON; `/healthz`.
//!
//! Decisions:
//! - Plain HTTP unless a certificate is given: the dashboard is meant for
//!   loopback or behind an ingress that terminates TLS. With a certificate
//!   it is HTTPS (reloaded on change, as the webhook's), and with
//!   `client_ca` every client must present a certificate that CA issued.
//!   A bearer token, when set, is required on every route but `/healthz`
//!   and compared in constant time (as SHA-256 digests, so the length
//!   leaks nothing either).
//! - Every response carries a strong ETag, the hash of its body, and
//!   `Cache-Control: no-cache`: a browser revalidates each time and gets a
//!   304 without a body when nothing changed. Pages are rendered before
//!   they are compared; the store, not the rendering, is the cost worth
//!   bounding, and it is read on the blocking pool.
//! - Store connections are pooled (a few, opened on demand; the schema is
//!   migrated once, by the first). A connection that failed is dropped, so
//!   a restarted database is reconnected to on the next request; a store
//!   error answers 503 with one line, never a panic.
//! - The overview is computed at the end of the request's minute, so its
//!   ETag holds for that minute when the store did not change.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, ETAG, HeaderName, HeaderValue, IF_NONE_MATCH, LINK, WWW_AUTHENTICATE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use percent_encoding::percent_decode_str;
use serde::Serialize;
use sha2::{Digest, Sha256};
use temper_fleet::dashboard::ImageList;
use temper_fleet::{Fleet, Location, Sla};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::server::ServeError;
use crate::tls::{ReloadingCert, dashboard_config};

/// A request's headers taking longer than this, or a TLS handshake, is dropped.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// A request answered later than this gets a 503 instead.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Most connections open at once.
const MAX_CONNECTIONS: usize = 256;
/// Store connections kept between requests.
const POOL: usize = 4;

/// How the dashboard runs.
#[derive(Clone, Debug)]
pub struct DashboardConfig {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The fleet store.
    pub store: Location,
    /// Certificate chain and key (PEM) for HTTPS; plain HTTP without.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// CA certificates (PEM) client certificates must chain to (mTLS); needs `tls`.
    pub client_ca: Option<PathBuf>,
    /// The bearer token every request must carry, when set.
    pub token: Option<String>,
    /// The patch SLA breaches are judged by.
    pub sla: Sla,
    /// Days of history on the overview.
    pub history_days: usize,
    /// Images a page.
    pub page_size: i64,
}

impl DashboardConfig {
    /// Plain HTTP on `listen` over `store`, no token, the default SLA, 30
    /// days of history, 50 images a page.
    pub fn new(listen: SocketAddr, store: Location) -> DashboardConfig {
        DashboardConfig { listen, store, tls: None, client_ca: None, token: None, sla: Sla::default(), history_days: 30, page_size: 50 }
    }
}

/// Store connections shared by requests.
struct Pool {
    location: Location,
    /// The first connection, which migrated the schema; others are reopened from it.
    seed: Mutex<Option<Fleet>>,
    idle: Mutex<Vec<Fleet>>,
}

impl Pool {
    fn take(&self) -> Result<Fleet, temper_fleet::Error> {
        if let Some(fleet) = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop() {
            return Ok(fleet);
        }
        let mut seed = self.seed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match seed.as_ref() {
            Some(fleet) => fleet.reopen(),
            None => {
                let fleet = Fleet::open(&self.location)?;
                let connection = fleet.reopen()?;
                *seed = Some(fleet);
                Ok(connection)
            }
        }
    }

    fn give_back(&self, fleet: Fleet) {
        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < POOL {
            idle.push(fleet);
        }
    }
}

struct State {
    config: DashboardConfig,
    /// SHA-256 of the token.
    token: Option<[u8; 32]>,
    pool: Pool,
}

/// A bound dashboard, not yet accepting.
pub struct Dashboard {
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    state: Arc<State>,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard").field("listener", &self.listener).field("tls", &self.acceptor.is_some()).finish_non_exhaustive()
    }
}

impl Dashboard {
    /// Checks that the store exists, loads the certificates and binds `config.listen`.
    pub async fn bind(config: DashboardConfig) -> Result<Dashboard, ServeError> {
        // Opening a SQLite path creates it: a mistyped store would show an empty fleet instead of an error.
        if let Location::Sqlite(path) = &config.store
            && !path.exists()
        {
            return Err(ServeError::NoStore(path.clone()));
        }
        let acceptor = match &config.tls {
            Some((cert, key)) => {
                let cert = Arc::new(ReloadingCert::load(cert, key)?);
                Some(TlsAcceptor::from(Arc::new(dashboard_config(cert, config.client_ca.as_deref())?)))
            }
            None => None,
        };
        let listener = TcpListener::bind(config.listen).await.map_err(|source| ServeError::Bind { addr: config.listen, source })?;
        let token = config.token.as_ref().map(|t| Sha256::digest(t.as_bytes()).into());
        let pool = Pool { location: config.store.clone(), seed: Mutex::new(None), idle: Mutex::new(Vec::new()) };
        Ok(Dashboard { listener, acceptor, state: Arc::new(State { config, token, pool }) })
    }

    /// The address bound (its port when `listen` asked for port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight (up to `grace`).
    pub async fn run(self, shutdown: impl Future<Output = ()>, grace: Duration) {
        let Dashboard { listener, acceptor, state } = self;
        tracing::info!(addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), tls = acceptor.is_some(), store = %state.config.store.display(), "serving the fleet dashboard");
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
        let graceful = GracefulShutdown::new();
        let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let tcp = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((tcp, _)) => tcp,
                    Err(e) => {
                        tracing::warn!(error = %e, "dashboard accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                tracing::warn!(max = MAX_CONNECTIONS, "dashboard connection refused: too many open connections");
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let (acceptor, state, builder, watcher) = (acceptor.clone(), Arc::clone(&state), builder.clone(), graceful.watcher());
            tokio::spawn(async move {
                let service = service_fn(move |req| handle(Arc::clone(&state), req));
                let served = match acceptor {
                    Some(acceptor) => match tokio::time::timeout(HEADER_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => watcher.watch(builder.serve_connection(TokioIo::new(tls), service).into_owned()).await,
                        Ok(Err(e)) => return tracing::debug!(error = %e, "dashboard TLS handshake failed"),
                        Err(_) => return tracing::debug!("dashboard TLS handshake timed out"),
                    },
                    None => watcher.watch(builder.serve_connection(TokioIo::new(tcp), service).into_owned()).await,
                };
                if let Err(e) = served {
                    tracing::debug!(error = %e, "dashboard connection ended with an error");
                }
                drop(slot);
            });
        }
        drop(listener);
        if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
            tracing::warn!(grace_ms = grace.as_millis() as u64, "dashboard requests still running at the end of the grace period");
        }
    }
}

type Reply = Response<Full<Bytes>>;

/// `&`, `<`, `>`, `"` and `'` of `text` as entities: messages echo paths.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn header(response: &mut Reply, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// A one-line plain-text answer.
fn text(status: StatusCode, message: &str) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(format!("{}\n", escape(message)))));
    *response.status_mut() = status;
    header(&mut response, CONTENT_TYPE, "text/plain; charset=utf-8");
    header(&mut response, HeaderName::from_static("x-content-type-options"), "nosniff");
    header(&mut response, CACHE_CONTROL, "no-store");
    response
}

/// What a route answers with, before ETag handling.
enum Body {
    Html(String),
    Json(Vec<u8>),
}

/// A route's failure: a status and one line.
struct Refusal(StatusCode, String);

impl Refusal {
    fn not_found(message: String) -> Refusal {
        Refusal(StatusCode::NOT_FOUND, message)
    }
}

impl From<temper_fleet::Error> for Refusal {
    fn from(e: temper_fleet::Error) -> Self {
        tracing::warn!(error = %e, "dashboard: the fleet store failed");
        Refusal(StatusCode::SERVICE_UNAVAILABLE, format!("the fleet store cannot be read now: {}", e.to_string().lines().next().unwrap_or_default()))
    }
}

impl From<temper_report::Error> for Refusal {
    fn from(e: temper_report::Error) -> Self {
        Refusal(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

fn json<T: Serialize>(value: &T) -> Result<Body, Refusal> {
    serde_json::to_vec_pretty(value).map(Body::Json).map_err(|e| Refusal(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot encode the answer as JSON: {e}")))
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Reply, Infallible> {
    // A GET or HEAD has no body worth reading; the head is all that is needed.
    let (req, _) = req.into_parts();
    let method = req.method.clone();
    let path = req.uri.path().to_owned();
    let response = match tokio::time::timeout(REQUEST_TIMEOUT, answer(&state, &req)).await {
        Ok(response) => response,
        Err(_) => text(StatusCode::SERVICE_UNAVAILABLE, &format!("{path}: no answer within {} s; the fleet store is slow, retry", REQUEST_TIMEOUT.as_secs())),
    };
    tracing::debug!(method = %method, path = %path, status = response.status().as_u16(), "dashboard request");
    Ok(response)
}

async fn answer(state: &Arc<State>, req: &hyper::http::request::Parts) -> Reply {
    if req.method != Method::GET && req.method != Method::HEAD {
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, &format!("the dashboard is read-only: {} takes GET or HEAD, not {}", req.uri.path(), req.method));
        header(&mut response, ALLOW, "GET, HEAD");
        return response;
    }
    let path = req.uri.path().to_owned();
    if path == "/healthz" {
        return text(StatusCode::OK, "ok");
    }
    if let Some(expected) = &state.token {
        let given = req.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(|t| Sha256::digest(t.trim().as_bytes()));
        // Every byte is compared whatever the first difference: no timing tells how much matched.
        let matches = given.is_some_and(|g| g.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0);
        if !matches {
            let mut response = text(StatusCode::UNAUTHORIZED, "the dashboard needs its bearer token: send Authorization: Bearer TOKEN");
            header(&mut response, WWW_AUTHENTICATE, "Bearer realm=\"temper-dashboard\"");
            return response;
        }
    }
    let query = req.uri.query().map(str::to_owned);
    let routed = {
        let state = Arc::clone(state);
        let path = path.clone();
        tokio::task::spawn_blocking(move || route(&state, &path, query.as_deref())).await
    };
    let (body, link) = match routed {
        Ok(Ok(answer)) => answer,
        Ok(Err(Refusal(status, message))) => return text(status, &message),
        Err(e) => return text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{path}: the request failed: {e}")),
    };
    let (content_type, bytes) = match body {
        Body::Html(html) => ("text/html; charset=utf-8", Bytes::from(html)),
        Body::Json(json) => ("application/json", Bytes::from(json)),
    };
    let etag = format!("\"{}\"", hex(&Sha256::digest(&bytes)[..16]));
    let fresh = req.headers.get_all(IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).map(str::trim).any(|t| t == "*" || t == etag);
    let mut response = if fresh {
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(Full::new(bytes));
        header(&mut r, CONTENT_TYPE, content_type);
        r
    };
    header(&mut response, ETAG, &etag);
    header(&mut response, CACHE_CONTROL, "no-cache");
    header(&mut response, HeaderName::from_static("x-content-type-options"), "nosniff");
    header(&mut response, HeaderName::from_static("referrer-policy"), "no-referrer");
    if content_type.starts_with("text/html") {
        header(&mut response, HeaderName::from_static("content-security-policy"), &temper_report::content_security_policy());
    }
    if let Some(link) = link {
        header(&mut response, LINK, &link);
    }
    response
}

/// The last second of the minute of Unix time `now`: what the overview is
/// computed at, so it is the same page all that minute (and its ETag holds)
/// while counting everything that happened up to the request.
fn minute_end(now: i64) -> i64 {
    now - now.rem_euclid(60) + 59
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The page number of `query` (`page=N`, from 1; 1 when absent).
fn page_of(query: Option<&str>) -> Result<i64, Refusal> {
    let Some(value) = query.into_iter().flat_map(|q| q.split('&')).find_map(|kv| kv.strip_prefix("page=")) else { return Ok(1) };
    value.parse::<i64>().ok().filter(|n| (1..=1_000_000).contains(n)).ok_or_else(|| Refusal(StatusCode::BAD_REQUEST, format!("page={value}: not a page number; pages count from 1")))
}

/// The images list as JSON: the page, its neighbours and the rows.
#[derive(Serialize)]
struct ImagesPage<'a> {
    page: i64,
    pages: i64,
    per_page: i64,
    total: i64,
    images: &'a [temper_fleet::dashboard::ImageRow],
}

/// Runs `read` on a pooled store connection, returning it when the read succeeded.
fn with_fleet<T>(state: &State, read: impl FnOnce(&mut Fleet) -> Result<T, temper_fleet::Error>) -> Result<T, Refusal> {
    let mut fleet = state.pool.take()?;
    let value = read(&mut fleet)?;
    state.pool.give_back(fleet);
    Ok(value)
}

/// An id segment: digits only.
fn id_of(kind: &str, segment: &str) -> Result<i64, Refusal> {
    segment.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| Refusal::not_found(format!("no {kind} {segment:?}: {kind} ids are positive numbers")))
}

fn route(state: &State, path: &str, query: Option<&str>) -> Result<(Body, Option<String>), Refusal> {
    let (api, rest) = match path.strip_prefix("/api") {
        Some(rest) if rest.starts_with('/') => (true, rest),
        _ => (false, path),
    };
    let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    let config = &state.config;
    match segments.as_slice() {
        [""] if !api => {
            let now = temper_fleet::unix_now();
            let overview = with_fleet(state, |f| f.overview(&config.sla, config.history_days, minute_end(now)))?;
            Ok((Body::Html(temper_report::dashboard::render_overview(&overview)?), None))
        }
        ["overview"] if api => {
            let now = temper_fleet::unix_now();
            let overview = with_fleet(state, |f| f.overview(&config.sla, config.history_days, minute_end(now)))?;
            Ok((json(&overview)?, None))
        }
        ["images"] => {
            let page = page_of(query)?;
            let list: ImageList = with_fleet(state, |f| f.image_list((page - 1) * config.page_size, config.page_size))?;
            let pages = ((list.total + config.page_size - 1) / config.page_size).max(1);
            if page > pages {
                return Err(Refusal::not_found(format!("page {page} of the images: there are {pages} pages of {}", config.page_size)));
            }
            let prefix = if api { "/api/images" } else { "/images" };
            let mut links = Vec::new();
            if page > 1 {
                links.push(format!("<{prefix}?page={}>; rel=\"prev\"", page - 1));
            }
            if page < pages {
                links.push(format!("<{prefix}?page={}>; rel=\"next\"", page + 1));
            }
            let link = (!links.is_empty()).then(|| links.join(", "));
            if api {
                return Ok((json(&ImagesPage { page, pages, per_page: config.page_size, total: list.total, images: &list.images })?, link));
            }
            Ok((Body::Html(temper_report::dashboard::render_images(&list)?), link))
        }
        ["images", id] => {
            let id = id_of("image", id)?;
            let detail = with_fleet(state, |f| f.image(id))?.ok_or_else(|| Refusal::not_found(format!("no image {id} in the fleet store")))?;
            if api {
                return Ok((json(&detail)?, None));
            }
            Ok((Body::Html(temper_report::dashboard::render_image(&detail)?), None))
        }
        ["advisories", id] => {
            let advisory = percent_decode_str(id).decode_utf8().map_err(|_| Refusal::not_found(format!("no advisory {id:?}: not UTF-8 once decoded")))?.into_owned();
            let view = with_fleet(state, |f| f.advisory(&advisory))?.ok_or_else(|| Refusal::not_found(format!("no finding of advisory {advisory:?} in the fleet store")))?;
            if api {
                return Ok((json(&view)?, None));
            }
            Ok((Body::Html(temper_report::dashboard::render_advisory(&view)?), None))
        }
        ["golden", segment] => {
            // An id, or the golden reference itself, percent-encoded.
            let view = match segment.parse::<i64>() {
                Ok(id) => with_fleet(state, |f| f.golden_base(id))?,
                Err(_) => {
                    let reference = percent_decode_str(segment).decode_utf8().map_err(|_| Refusal::not_found(format!("no golden base {segment:?}: not UTF-8 once decoded")))?.into_owned();
                    with_fleet(state, |f| match f.golden_id(&reference)? {
                        Some(id) => f.golden_base(id),
                        None => Ok(None),
                    })?
                }
            };
            let view = view.ok_or_else(|| Refusal::not_found(format!("no golden base {segment:?} in the fleet store (an id, or a golden reference percent-encoded)")))?;
            if api {
                return Ok((json(&view)?, None));
            }
            Ok((Body::Html(temper_report::dashboard::render_golden(&view)?), None))
        }
        _ => Err(Refusal::not_found(format!(
            "no route {path:?}: the dashboard serves /, /images?page=N, /images/ID, /advisories/ID, /golden/ID, the same under /api/ (/api/overview for /), and /healthz"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_parse_and_refuse() {
        assert_eq!(page_of(None).ok(), Some(1));
        assert_eq!(page_of(Some("x=1&page=3")).ok(), Some(3));
        for bad in ["page=0", "page=-1", "page=two", "page=99999999999"] {
            assert!(matches!(page_of(Some(bad)), Err(Refusal(StatusCode::BAD_REQUEST, _))), "{bad}");
        }
    }

    #[test]
    fn messages_escape_markup_and_control_characters() {
        assert_eq!(escape("/x<script>\"'&\n"), "/x&lt;script&gt;&quot;&#x27;&amp; ");
    }
}
