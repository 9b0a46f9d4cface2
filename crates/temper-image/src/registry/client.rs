//! A blocking client for the OCI distribution API: ping, token and basic
//! auth driven by `WWW-Authenticate`, manifests and streamed blobs, with
//! idempotent requests retried ([`RetryPolicy`]) and blob downloads resumed
//! with `Range` where a connection drops; any other request (the pushes of
//! [`super::push`]) goes through [`Client::call`] with the same auth.
//!
//! Written on `ureq` rather than taken from `oci-client`: the layer pass is
//! synchronous and streams each blob straight into its decoder on a rayon
//! thread, and every document read here is refused above a byte limit
//! before it is buffered; `oci-client` is async and reads manifests whole.

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use ureq::http::{Method, Request, Response, StatusCode};
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::{Agent, Body};

use super::challenge::{self, Challenge};
use super::credentials::Credentials;
use super::retry::{RetryPolicy, retryable_status, retryable_transport, unreachable};
use crate::error::{Error, Result};

/// How to reach registries.
#[derive(Clone, Debug, Default)]
pub struct RegistryOptions {
    /// Allow plain HTTP and unverified TLS (as `crane --insecure`).
    pub insecure: bool,
    /// Extra PEM CA certificates to trust, beside the public roots.
    pub ca_certs: Vec<PathBuf>,
    /// Credentials that win over the docker config (`--creds`).
    pub credentials: Option<Credentials>,
    /// The docker config to read credentials from (`None`: the default one).
    pub docker_config: Option<PathBuf>,
    /// How transient failures are retried.
    pub retry: RetryPolicy,
}

/// The manifest media types temper reads, most specific first.
pub(crate) const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// How a ping failed: no answer at all, or an answer that was wrong.
enum Ping {
    Transport(Error),
    Answered(Error),
}

impl Ping {
    fn into_error(self) -> Error {
        match self {
            Ping::Transport(e) | Ping::Answered(e) => e,
        }
    }
}

/// A client for one repository of one registry.
pub(crate) struct Client {
    agent: Agent,
    base: String,
    repository: String,
    credentials: Option<Credentials>,
    /// The `Authorization` value that last worked, shared by parallel pulls.
    authorization: Mutex<Option<String>>,
    /// Token scopes asked for beside the challenge's (a push asks for
    /// `pull,push` and for `pull` on the repositories it mounts from).
    scopes: Vec<String>,
    pub(crate) retry: RetryPolicy,
}

#[derive(Deserialize)]
struct TokenReply {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

#[derive(Deserialize)]
struct ErrorsReply {
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
struct ErrorItem {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// The HTTP agent every temper download goes through: the public roots
/// plus `--ca-cert`, `--insecure`, the proxy environment, timeouts and the
/// user agent; statuses are returned, not turned into errors.
pub fn build_agent(opts: &RegistryOptions) -> Result<Agent> {
    let mut roots: Vec<Certificate<'static>> =
        webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().map(|c| Certificate::from_der(c.as_ref()).to_owned()).collect();
    for path in &opts.ca_certs {
        let pem = std::fs::read(path).map_err(|source| Error::Io { path: path.clone(), source })?;
        let before = roots.len();
        for item in ureq::tls::parse_pem(&pem) {
            if let Ok(ureq::tls::PemItem::Certificate(c)) = item {
                roots.push(c.to_owned());
            }
        }
        if roots.len() == before {
            return Err(Error::Format { path: path.clone(), reason: "holds no PEM certificate".into() });
        }
    }
    let tls = TlsConfig::builder()
        .root_certs(RootCerts::Specific(Arc::new(roots)))
        .disable_verification(opts.insecure)
        .build();
    let config = Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(120)))
        .user_agent(concat!("temper/", env!("CARGO_PKG_VERSION")))
        .build();
    Ok(config.into())
}

/// A one-line reason for a failed answer: the status and the registry's
/// error codes and messages.
pub(crate) fn reason_of(resp: &mut Response<Body>) -> String {
    let status = resp.status();
    let gave_up = gave_up(status.as_u16());
    let body = resp.body_mut().with_config().limit(64 * 1024).read_to_vec().unwrap_or_default();
    let detail = serde_json::from_slice::<ErrorsReply>(&body)
        .ok()
        .map(|e| e.errors.iter().map(|i| format!("{}: {}", i.code, i.message)).collect::<Vec<_>>().join("; "))
        .filter(|s| !s.is_empty());
    match detail {
        Some(d) => format!("HTTP {status}: {d}{gave_up}"),
        None => format!("HTTP {status}{gave_up}"),
    }
}

impl Client {
    /// Connects to `host` for `repository`; with `insecure`, HTTPS without
    /// verification is tried first and plain HTTP after it.
    pub fn connect(host: &str, repository: &str, credentials: Option<Credentials>, opts: &RegistryOptions) -> Result<Self> {
        let agent = build_agent(opts)?;
        let mut client = Client {
            agent,
            base: format!("https://{host}"),
            repository: repository.to_owned(),
            credentials,
            authorization: Mutex::new(None),
            scopes: Vec::new(),
            retry: opts.retry.clone(),
        };
        match client.ping() {
            Ok(()) => Ok(client),
            // Only a failed connection or handshake may mean "plain HTTP";
            // an HTTPS server that answered is not second-guessed.
            Err(Ping::Transport(e)) if opts.insecure => {
                client.base = format!("http://{host}");
                client.ping().map_err(|http| match http {
                    // Neither scheme connected: the host is not there.
                    Ping::Transport(Error::Unreachable { url, reason }) if matches!(e, Error::Unreachable { .. }) => Error::Unreachable { url, reason },
                    http => Error::Registry { url: host.to_owned(), reason: format!("{}; over plain HTTP: {}", e, http.into_error()) },
                })?;
                Ok(client)
            }
            Err(Ping::Transport(Error::Registry { url, reason })) if reason.contains("InvalidContentType") || reason.contains("corrupt message") => {
                Err(Error::Registry { url, reason: format!("{reason} (the registry may speak plain HTTP; pass --insecure to allow that)") })
            }
            Err(e) => Err(e.into_error()),
        }
    }

    /// Asks tokens for `scopes` too, beside what each challenge names.
    pub fn with_scopes(mut self, scopes: Vec<String>) -> Self {
        self.scopes = scopes;
        self
    }

    /// The registry's origin: scheme and host (`http://127.0.0.1:5000`).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The URL of an API path (`<repository>/blobs/<digest>`).
    pub fn url(&self, path: &str) -> String {
        format!("{}/v2/{}", self.base, path)
    }

    /// A `Location` header made absolute against the registry.
    pub fn resolve_location(&self, location: &str) -> Result<String> {
        resolve_location(&self.base, location)
    }

    /// Whether `url` is on the registry's own origin: credentials and
    /// tokens are never sent anywhere else a `Location` points.
    fn same_origin(&self, url: &str) -> bool {
        same_origin(&self.base, url)
    }

    /// A transport failure after `tries` tries; a host that could not be
    /// reached at all is [`Error::Unreachable`], so callers can hint.
    fn transport(url: &str, e: ureq::Error, tries: u32) -> Error {
        let after = if tries > 1 { format!(" (gave up after {tries} tries)") } else { String::new() };
        let unreachable = unreachable(&e);
        let reason = format!("{e}{after}");
        if unreachable { Error::Unreachable { url: url.to_owned(), reason } } else { Error::Registry { url: url.to_owned(), reason } }
    }

    /// Sends an idempotent request, again after a wait while it fails in a
    /// way another try may cure; a retryable status that outlasts the tries
    /// is returned for the caller to report.
    fn send_retrying(&self, url: &str, send: impl Fn() -> std::result::Result<Response<Body>, ureq::Error>) -> Result<Response<Body>> {
        let attempts = self.retry.attempts.max(1);
        let mut tries = 1;
        loop {
            match send() {
                Ok(mut resp) if retryable_status(resp.status().as_u16()) && tries < attempts => {
                    let after = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
                    // Read the (small) error body so the connection can be reused.
                    let _ = resp.body_mut().with_config().limit(64 * 1024).read_to_vec();
                    tries += 1;
                    std::thread::sleep(self.retry.wait(tries, after.as_deref(), url));
                }
                Ok(resp) => return Ok(resp),
                Err(e) if retryable_transport(&e) && tries < attempts => {
                    tries += 1;
                    std::thread::sleep(self.retry.wait(tries, None, url));
                }
                Err(e) => return Err(Self::transport(url, e, tries)),
            }
        }
    }

    /// `GET /v2/`: checks the registry answers (any status but a transport
    /// failure is an answer; authentication is negotiated per request).
    fn ping(&self) -> std::result::Result<(), Ping> {
        let url = format!("{}/v2/", self.base);
        let resp = self.send_retrying(&url, || self.agent.get(&url).call()).map_err(Ping::Transport)?;
        match resp.status().as_u16() {
            200 | 401 | 403 => Ok(()),
            s => Err(Ping::Answered(Error::Registry { url, reason: format!("HTTP {s}{}: not an OCI distribution registry", gave_up(s)) })),
        }
    }

    fn current_authorization(&self) -> Option<String> {
        self.authorization.lock().map(|g| g.clone()).unwrap_or(None)
    }

    /// Sends `method` to `url` (absolute) with `headers` and `body`,
    /// answering one authentication challenge if there is one; with
    /// `retry`, transient failures are tried again ([`RetryPolicy`]). Any
    /// status but a refused authentication is returned for the caller.
    pub fn call(&self, method: Method, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>, retry: bool) -> Result<Response<Body>> {
        let own = self.same_origin(url);
        let once = |auth: Option<&str>| {
            let mut req = Request::builder().method(method.clone()).uri(url);
            for (name, value) in headers {
                req = req.header(*name, *value);
            }
            if let Some(a) = auth.filter(|_| own) {
                req = req.header("Authorization", a);
            }
            match body {
                Some(b) => req.body(b).map_err(ureq::Error::from).and_then(|r| self.agent.run(r)),
                None => req.body(()).map_err(ureq::Error::from).and_then(|r| self.agent.run(r)),
            }
        };
        let send = |auth: Option<&str>| {
            if retry { self.send_retrying(url, || once(auth)) } else { once(auth).map_err(|e| Self::transport(url, e, 1)) }
        };
        let mut resp = send(self.current_authorization().as_deref())?;
        if resp.status() == StatusCode::UNAUTHORIZED && own {
            let challenge = resp
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .and_then(challenge::parse)
                .ok_or_else(|| Error::Registry { url: url.to_owned(), reason: "HTTP 401 without a usable WWW-Authenticate challenge".into() })?;
            let auth = self.answer(&challenge, url)?;
            resp = send(Some(&auth))?;
            if resp.status() == StatusCode::UNAUTHORIZED {
                let reason = reason_of(&mut resp);
                return Err(Error::Registry { url: url.to_owned(), reason: format!("{reason} (authentication was refused)") });
            }
            if let Ok(mut g) = self.authorization.lock() {
                *g = Some(auth);
            }
        }
        Ok(resp)
    }

    /// GETs `path`, answering one authentication challenge if there is one;
    /// `header` is one more request header (`Accept`, `Range`).
    fn get(&self, path: &str, header: Option<(&str, &str)>) -> Result<Response<Body>> {
        let url = self.url(path);
        let mut resp = self.call(Method::GET, &url, header.as_slice(), None, true)?;
        if !resp.status().is_success() {
            let reason = reason_of(&mut resp);
            return Err(Error::Registry { url, reason });
        }
        Ok(resp)
    }

    /// Works out the `Authorization` value a challenge asks for.
    fn answer(&self, challenge: &Challenge, url: &str) -> Result<String> {
        match challenge.scheme.as_str() {
            "basic" => self.credentials.as_ref().and_then(Credentials::basic_header).ok_or_else(|| Error::Registry {
                url: url.to_owned(),
                reason: "the registry asks for a user name and password; pass --creds USER:PASSWORD or log in with docker".into(),
            }),
            "bearer" => self.token(challenge, url).map(|t| format!("Bearer {t}")),
            other => Err(Error::Registry { url: url.to_owned(), reason: format!("unsupported authentication scheme '{other}'") }),
        }
    }

    /// The token flow: ask the challenge's realm for a token of its scope
    /// and the client's own, with credentials when there are any.
    fn token(&self, challenge: &Challenge, url: &str) -> Result<String> {
        let realm = challenge.params.get("realm").ok_or_else(|| Error::Registry { url: url.to_owned(), reason: "Bearer challenge without realm".into() })?;
        if !(realm.starts_with("https://") || realm.starts_with("http://")) {
            return Err(Error::Registry { url: url.to_owned(), reason: format!("token realm '{realm}' is not an HTTP URL") });
        }
        let asked: Vec<&str> = challenge.params.get("scope").map(|s| s.split(' ').filter(|s| !s.is_empty()).collect()).unwrap_or_default();
        let default = format!("repository:{}:pull", self.repository);
        let scopes = if asked.is_empty() && self.scopes.is_empty() { vec![default] } else { merge_scopes(&asked, &self.scopes) };
        // OAuth2 joins scopes with spaces; the GET flow takes one parameter each.
        let scope = scopes.join(" ");
        let service = challenge.params.get("service").cloned().unwrap_or_default();
        // A token fetch changes nothing on the server: it is retried like a GET.
        let mut resp = match &self.credentials {
            Some(Credentials::IdentityToken(rt)) => self.send_retrying(realm, || {
                self.agent.post(realm).send_form([
                    ("grant_type", "refresh_token"),
                    ("refresh_token", rt.expose()),
                    ("service", service.as_str()),
                    ("scope", scope.as_str()),
                    ("client_id", "temper"),
                ])
            })?,
            creds => self.send_retrying(realm, || {
                let mut req = self.agent.get(realm);
                for s in &scopes {
                    req = req.query("scope", s);
                }
                if !service.is_empty() {
                    req = req.query("service", &service);
                }
                if let Some(h) = creds.as_ref().and_then(Credentials::basic_header) {
                    req = req.header("Authorization", h);
                }
                req.call()
            })?,
        };
        if !resp.status().is_success() {
            let reason = reason_of(&mut resp);
            return Err(Error::Registry { url: realm.clone(), reason: format!("token request failed: {reason}") });
        }
        let body = resp
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .map_err(|e| Error::Registry { url: realm.clone(), reason: format!("token reply: {e}") })?;
        let reply: TokenReply = serde_json::from_slice(&body)
            .map_err(|e| Error::Registry { url: realm.clone(), reason: format!("token reply is not JSON: {e}") })?;
        reply
            .token
            .or(reply.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::Registry { url: realm.clone(), reason: "token reply holds no token".into() })
    }

    /// Fetches a manifest or index by tag or digest: bytes, content type and
    /// the registry's `Docker-Content-Digest`, refused above `limit`.
    pub fn manifest(&self, reference: &str, limit: u64) -> Result<(Vec<u8>, String, Option<String>)> {
        let path = format!("{}/manifests/{reference}", self.repository);
        let mut resp = self.get(&path, Some(("Accept", MANIFEST_ACCEPT)))?;
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(';').next().unwrap_or(s).trim().to_owned())
            .unwrap_or_default();
        let digest = resp.headers().get("docker-content-digest").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = resp.body_mut().with_config().limit(limit).read_to_vec().map_err(|e| Error::Registry {
            url: self.url(&path),
            reason: format!("manifest over the {limit}-byte limit or unreadable: {e}"),
        })?;
        Ok((body, content_type, digest))
    }

    /// Reads a small blob whole, refused above `limit`.
    pub fn blob_bytes(&self, digest: &str, limit: u64) -> Result<Vec<u8>> {
        let path = format!("{}/blobs/{digest}", self.repository);
        let mut resp = self.get(&path, None)?;
        resp.body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| Error::Registry { url: self.url(&path), reason: format!("blob over the {limit}-byte limit or unreadable: {e}") })
    }

    /// Streams a blob, resuming where a dropped connection left it.
    pub fn blob_stream(self: &Arc<Self>, digest: &str) -> Result<Box<dyn Read + Send>> {
        let path = format!("{}/blobs/{digest}", self.repository);
        let resp = self.get(&path, None)?;
        let body = Box::new(resp.into_body().into_with_config().limit(u64::MAX).reader());
        Ok(Box::new(ResumingBlob { client: Arc::clone(self), path, body: Some(body), offset: 0, skip: 0, resumes: 0 }))
    }

    /// Asks for the blob at `path` from byte `offset` on; returns the body
    /// and how many of its leading bytes to drop (all `offset` of them when
    /// the registry ignored the range and sent the whole blob).
    fn blob_from(&self, path: &str, offset: u64) -> Result<(Box<dyn Read + Send>, u64)> {
        let range = format!("bytes={offset}-");
        let resp = self.get(path, Some(("Range", &range)))?;
        let skip = match resp.status().as_u16() {
            206 => {
                let content_range = resp.headers().get("content-range").and_then(|v| v.to_str().ok()).unwrap_or_default();
                if !content_range.starts_with(&format!("bytes {offset}-")) {
                    return Err(Error::Registry {
                        url: self.url(path),
                        reason: format!("asked to resume at byte {offset}, the registry answered Content-Range '{content_range}'"),
                    });
                }
                0
            }
            _ => offset,
        };
        Ok((Box::new(resp.into_body().into_with_config().limit(u64::MAX).reader()), skip))
    }
}

/// Whether `url` is on the origin `base` (scheme and host, no path).
pub(crate) fn same_origin(base: &str, url: &str) -> bool {
    url.strip_prefix(base).is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
}

/// A `Location` made absolute: registries may answer a full URL or a path
/// on their own origin (`base`, scheme and host).
fn resolve_location(base: &str, location: &str) -> Result<String> {
    if location.starts_with("https://") || location.starts_with("http://") {
        Ok(location.to_owned())
    } else if location.starts_with('/') && !location.starts_with("//") {
        Ok(format!("{base}{location}"))
    } else {
        Err(Error::Registry { url: base.to_owned(), reason: format!("the registry answered an unusable Location '{}'", location.chars().take(200).collect::<String>()) })
    }
}

/// The challenge's scopes and the client's, one per resource with the
/// actions of both (`repository:a:pull` and `repository:a:pull,push` ask
/// for `repository:a:pull,push`), in the order first named.
fn merge_scopes(asked: &[&str], own: &[String]) -> Vec<String> {
    let mut merged: Vec<(String, Vec<String>)> = Vec::new();
    for scope in asked.iter().copied().chain(own.iter().map(String::as_str)) {
        let (resource, actions) = scope.rsplit_once(':').unwrap_or((scope, ""));
        let index = match merged.iter().position(|(r, _)| r == resource) {
            Some(i) => i,
            None => {
                merged.push((resource.to_owned(), Vec::new()));
                merged.len() - 1
            }
        };
        for action in actions.split(',').filter(|a| !a.is_empty()) {
            if !merged[index].1.iter().any(|a| a == action) {
                merged[index].1.push(action.to_owned());
            }
        }
    }
    merged.into_iter().map(|(resource, actions)| format!("{resource}:{}", actions.join(","))).collect()
}

/// Marks a retryable status that reached a caller: its retries ran out.
fn gave_up(status: u16) -> &'static str {
    if retryable_status(status) { " (gave up retrying)" } else { "" }
}

/// A blob download that survives dropped connections: on a read error it
/// asks again with `Range: bytes=N-` from the first byte not yet handed
/// out. A `206` continues the stream; a `200` (range ignored) restarts the
/// blob and its first N bytes are dropped, so the reader sees each byte of
/// the blob exactly once and the digest check downstream stays valid.
struct ResumingBlob {
    client: Arc<Client>,
    path: String,
    body: Option<Box<dyn Read + Send>>,
    /// Bytes of the blob handed out so far.
    offset: u64,
    /// Leading bytes of the current body still to drop.
    skip: u64,
    resumes: u32,
}

impl ResumingBlob {
    fn read_body(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let body = self.body.as_mut().ok_or_else(|| io::Error::other("no body"))?;
        while self.skip > 0 {
            let dropped = io::copy(&mut body.by_ref().take(self.skip), &mut io::sink())?;
            if dropped == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "blob ended before the resume point"));
            }
            self.skip -= dropped;
        }
        body.read(buf)
    }
}

impl Read for ResumingBlob {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.body.is_none() {
                let (body, skip) = self.client.blob_from(&self.path, self.offset).map_err(io::Error::other)?;
                self.body = Some(body);
                self.skip = skip;
            }
            match self.read_body(buf) {
                Ok(n) => {
                    self.offset += n as u64;
                    return Ok(n);
                }
                Err(e) if self.resumes + 1 < self.client.retry.attempts => {
                    self.resumes += 1;
                    self.body = None;
                    let what = format!("{} (resuming at byte {} after: {e})", self.client.url(&self.path), self.offset);
                    std::thread::sleep(self.client.retry.wait(self.resumes + 1, None, &what));
                }
                Err(e) => {
                    return Err(io::Error::new(e.kind(), format!("{}: {e} (after {} resumes)", self.client.url(&self.path), self.resumes)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_location_resolves_against_the_registry() {
        let base = "http://127.0.0.1:5000";
        let r = |l| resolve_location(base, l);
        assert_eq!(r("/v2/lab/app/blobs/uploads/u1?_state=x").unwrap(), "http://127.0.0.1:5000/v2/lab/app/blobs/uploads/u1?_state=x");
        assert_eq!(r("https://uploads.example/v2/lab/app/blobs/uploads/u1").unwrap(), "https://uploads.example/v2/lab/app/blobs/uploads/u1");
        for bad in ["//evil.example/x", "uploads/u1", ""] {
            assert!(r(bad).unwrap_err().to_string().contains("unusable Location"), "{bad:?}");
        }
    }

    #[test]
    fn credentials_go_to_the_registry_origin_only() {
        let base = "http://127.0.0.1:5000";
        assert!(same_origin(base, "http://127.0.0.1:5000/v2/lab/app/blobs/uploads/u1"));
        for other in ["http://127.0.0.1:50001/v2/", "https://127.0.0.1:5000/v2/", "http://127.0.0.1:5000.evil.example/v2/", "http://uploads.example/v2/"] {
            assert!(!same_origin(base, other), "{other}");
        }
    }

    #[test]
    fn push_scope_merges_with_the_challenge() {
        let own = ["repository:lab/app:pull,push".to_owned(), "repository:lab/base:pull".to_owned()];
        assert_eq!(merge_scopes(&["repository:lab/app:pull"], &own), ["repository:lab/app:pull,push", "repository:lab/base:pull"]);
        assert_eq!(
            merge_scopes(&["repository:lab/app:pull,push", "repository:lab/base:pull"], &own[..1]),
            ["repository:lab/app:pull,push", "repository:lab/base:pull"]
        );
        assert_eq!(merge_scopes(&["registry:catalog:*"], &[]), ["registry:catalog:*"]);
    }
}
