//! A blocking client for the OCI distribution API: ping, token and basic
//! auth driven by `WWW-Authenticate`, manifests and streamed blobs.
//!
//! Written on `ureq` rather than taken from `oci-client`: the layer pass is
//! synchronous and streams each blob straight into its decoder on a rayon
//! thread, and every document read here is refused above a byte limit
//! before it is buffered; `oci-client` is async and reads manifests whole.

use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use ureq::http::{Response, StatusCode};
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::{Agent, Body};

use super::challenge::{self, Challenge};
use super::credentials::Credentials;
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
}

/// The manifest media types temper reads, most specific first.
const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

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

fn build_agent(opts: &RegistryOptions) -> Result<Agent> {
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

fn reason_of(resp: &mut Response<Body>) -> String {
    let status = resp.status();
    let body = resp.body_mut().with_config().limit(64 * 1024).read_to_vec().unwrap_or_default();
    let detail = serde_json::from_slice::<ErrorsReply>(&body)
        .ok()
        .map(|e| e.errors.iter().map(|i| format!("{}: {}", i.code, i.message)).collect::<Vec<_>>().join("; "))
        .filter(|s| !s.is_empty());
    match detail {
        Some(d) => format!("HTTP {status}: {d}"),
        None => format!("HTTP {status}"),
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
        };
        match client.ping() {
            Ok(()) => Ok(client),
            // Only a failed connection or handshake may mean "plain HTTP";
            // an HTTPS server that answered is not second-guessed.
            Err(Ping::Transport(e)) if opts.insecure => {
                client.base = format!("http://{host}");
                client.ping().map_err(|http| Error::Registry { url: host.to_owned(), reason: format!("{}; over plain HTTP: {}", e, http.into_error()) })?;
                Ok(client)
            }
            Err(Ping::Transport(Error::Registry { url, reason })) if reason.contains("InvalidContentType") || reason.contains("corrupt message") => {
                Err(Error::Registry { url, reason: format!("{reason} (the registry may speak plain HTTP; pass --insecure to allow that)") })
            }
            Err(e) => Err(e.into_error()),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v2/{}", self.base, path)
    }

    fn transport(url: &str, e: ureq::Error) -> Error {
        Error::Registry { url: url.to_owned(), reason: e.to_string() }
    }

    /// `GET /v2/`: checks the registry answers (any status but a transport
    /// failure is an answer; authentication is negotiated per request).
    fn ping(&self) -> std::result::Result<(), Ping> {
        let url = format!("{}/v2/", self.base);
        let resp = self.agent.get(&url).call().map_err(|e| Ping::Transport(Self::transport(&url, e)))?;
        match resp.status().as_u16() {
            200 | 401 | 403 => Ok(()),
            s => Err(Ping::Answered(Error::Registry { url, reason: format!("HTTP {s}: not an OCI distribution registry") })),
        }
    }

    fn current_authorization(&self) -> Option<String> {
        self.authorization.lock().map(|g| g.clone()).unwrap_or(None)
    }

    /// GETs `path`, answering one authentication challenge if there is one.
    fn get(&self, path: &str, accept: Option<&str>) -> Result<Response<Body>> {
        let url = self.url(path);
        let send = |auth: Option<&str>| {
            let mut req = self.agent.get(&url);
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            if let Some(a) = auth {
                req = req.header("Authorization", a);
            }
            req.call().map_err(|e| Self::transport(&url, e))
        };
        let mut resp = send(self.current_authorization().as_deref())?;
        if resp.status() == StatusCode::UNAUTHORIZED {
            let challenge = resp
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .and_then(challenge::parse)
                .ok_or_else(|| Error::Registry { url: url.clone(), reason: "HTTP 401 without a usable WWW-Authenticate challenge".into() })?;
            let auth = self.answer(&challenge, &url)?;
            resp = send(Some(&auth))?;
            if resp.status() == StatusCode::UNAUTHORIZED {
                let reason = reason_of(&mut resp);
                return Err(Error::Registry { url, reason: format!("{reason} (authentication was refused)") });
            }
            if let Ok(mut g) = self.authorization.lock() {
                *g = Some(auth);
            }
        }
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

    /// The token flow: ask the challenge's realm for a pull token, with
    /// credentials when there are any.
    fn token(&self, challenge: &Challenge, url: &str) -> Result<String> {
        let realm = challenge.params.get("realm").ok_or_else(|| Error::Registry { url: url.to_owned(), reason: "Bearer challenge without realm".into() })?;
        if !(realm.starts_with("https://") || realm.starts_with("http://")) {
            return Err(Error::Registry { url: url.to_owned(), reason: format!("token realm '{realm}' is not an HTTP URL") });
        }
        let scope = challenge.params.get("scope").cloned().unwrap_or_else(|| format!("repository:{}:pull", self.repository));
        let service = challenge.params.get("service").cloned().unwrap_or_default();
        let mut resp = match &self.credentials {
            Some(Credentials::IdentityToken(rt)) => self
                .agent
                .post(realm)
                .send_form([
                    ("grant_type", "refresh_token"),
                    ("refresh_token", rt.expose()),
                    ("service", service.as_str()),
                    ("scope", scope.as_str()),
                    ("client_id", "temper"),
                ])
                .map_err(|e| Self::transport(realm, e))?,
            creds => {
                let mut req = self.agent.get(realm).query("scope", &scope);
                if !service.is_empty() {
                    req = req.query("service", &service);
                }
                if let Some(h) = creds.as_ref().and_then(Credentials::basic_header) {
                    req = req.header("Authorization", h);
                }
                req.call().map_err(|e| Self::transport(realm, e))?
            }
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
        let mut resp = self.get(&path, Some(MANIFEST_ACCEPT))?;
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

    /// Streams a blob.
    pub fn blob_stream(&self, digest: &str) -> Result<Box<dyn Read + Send>> {
        let path = format!("{}/blobs/{digest}", self.repository);
        let resp = self.get(&path, None)?;
        Ok(Box::new(resp.into_body().into_with_config().limit(u64::MAX).reader()))
    }
}
