//! What the webhook tests share: a CA and server certificates made in the
//! test, a server on loopback with a fake judge, and an HTTPS client that
//! trusts only that CA.
#![allow(dead_code)]

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
use rustls_pki_types::{CertificateDer, ServerName};
use temper_serve::admit::Webhook;
use temper_serve::{Decision, ImageVerdict, Judge, JudgeError, OnTimeout, ServeConfig, Server};
use tokio_rustls::TlsConnector;

/// A test CA that issues server certificates for 127.0.0.1.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
    /// The CA certificate, for the client's root store.
    pub der: CertificateDer<'static>,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let der = issuer.der().clone();
        Ca { issuer, der }
    }

    /// A server certificate and key (PEM) for 127.0.0.1 with `cn` as its common name.
    pub fn issue(&self, cn: &str) -> (String, String, CertificateDer<'static>) {
        let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem(), cert.der().clone())
    }
}

impl Ca {
    /// A client certificate and key (PEM) with `cn` as its common name.
    pub fn issue_client(&self, cn: &str) -> (String, String) {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    /// The CA certificate as PEM.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }
}

/// A digest the fake registry gives a reference: stable, well formed, distinct per reference.
pub fn fake_digest(image: &str) -> String {
    let mut hex = String::from("sha256:");
    for round in 0u8..4 {
        let mut h = DefaultHasher::new();
        (round, image).hash(&mut h);
        hex.push_str(&format!("{:016x}", h.finish()));
    }
    hex
}

/// A verdict the test sets: decision, deny messages, warn messages.
type Planned = (Decision, Vec<String>, Vec<String>);

/// A judge whose answers the test sets, counting every call.
#[derive(Default)]
pub struct FakeJudge {
    /// Verdicts by reference (default: allow).
    pub verdicts: Mutex<HashMap<String, Planned>>,
    /// References under these prefixes are exempt.
    pub exempt_prefixes: Vec<String>,
    /// References whose judgement sleeps this long.
    pub slow: Mutex<HashMap<String, Duration>>,
    /// References whose resolution fails as a registry would.
    pub unreachable: Vec<String>,
    /// Every resolve and judge call, as `resolve IMAGE` / `judge IMAGE`.
    pub calls: Mutex<Vec<String>>,
    /// The dryRun flag of each judge call.
    pub dry_runs: Mutex<Vec<bool>>,
    pub judged: AtomicUsize,
    pub resolved: AtomicUsize,
    /// Not ready until set.
    pub not_ready: AtomicBool,
    /// The policy/DB generation.
    pub generation: Mutex<String>,
}

impl FakeJudge {
    pub fn set(&self, image: &str, decision: Decision, denials: &[&str], warnings: &[&str]) {
        let v = (decision, denials.iter().map(|s| s.to_string()).collect(), warnings.iter().map(|s| s.to_string()).collect());
        self.verdicts.lock().unwrap().insert(image.to_string(), v);
    }

    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

impl Judge for FakeJudge {
    fn exempt(&self, image: &str, _namespace: &str) -> bool {
        self.exempt_prefixes.iter().any(|p| image.starts_with(p.as_str()))
    }

    fn resolve(&self, image: &str) -> Result<String, JudgeError> {
        self.calls.lock().unwrap().push(format!("resolve {image}"));
        self.resolved.fetch_add(1, Ordering::SeqCst);
        if self.unreachable.iter().any(|u| u == image) {
            return Err(JudgeError::Registry(format!("GET https://{}/v2/: connection refused", image.split('/').next().unwrap_or(""))));
        }
        Ok(match image.split_once('@') {
            Some((_, digest)) => digest.to_string(),
            None => fake_digest(image),
        })
    }

    fn judge(&self, image: &str, digest: &str, _namespace: &str, dry_run: bool) -> Result<ImageVerdict, JudgeError> {
        self.calls.lock().unwrap().push(format!("judge {image}"));
        self.judged.fetch_add(1, Ordering::SeqCst);
        self.dry_runs.lock().unwrap().push(dry_run);
        let sleep = self.slow.lock().unwrap().get(image).copied();
        if let Some(d) = sleep {
            std::thread::sleep(d);
        }
        let (decision, denials, warnings) = self.verdicts.lock().unwrap().get(image).cloned().unwrap_or((Decision::Allow, Vec::new(), Vec::new()));
        Ok(ImageVerdict { decision, denials, warnings, digest: digest.to_string() })
    }

    fn generation(&self) -> String {
        self.generation.lock().unwrap().clone()
    }

    fn ready(&self) -> bool {
        !self.not_ready.load(Ordering::SeqCst)
    }
}

/// A server on loopback with its certificate files and a stop switch.
pub struct TestServer {
    pub addr: SocketAddr,
    pub ca: Ca,
    pub dir: tempfile::TempDir,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
    pub webhook: Arc<Webhook>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub task: tokio::task::JoinHandle<()>,
}

/// The test defaults: a 2 s budget, deny on timeout, `kube-system` and `temper-system` excluded.
pub fn config(dir: &Path) -> ServeConfig {
    let mut c = ServeConfig::new("127.0.0.1:0".parse().unwrap(), dir.join("tls.crt"), dir.join("tls.key"));
    c.budget = Duration::from_millis(2000);
    c.on_timeout = OnTimeout::Deny;
    c.exclude_namespaces = vec!["temper-system".into(), "kube-system".into()];
    c.shutdown_grace = Duration::from_secs(10);
    c.drain_delay = Duration::ZERO;
    c
}

pub async fn start(judge: Arc<FakeJudge>, tweak: impl FnOnce(&mut ServeConfig)) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("temper webhook test CA");
    let (cert, key, _) = ca.issue("webhook one");
    let mut config = config(dir.path());
    std::fs::write(&config.tls_cert, cert).unwrap();
    std::fs::write(&config.tls_key, key).unwrap();
    tweak(&mut config);
    let (cert_path, key_path) = (config.tls_cert.clone(), config.tls_key.clone());
    let server = Server::bind(config, judge).await.unwrap();
    let addr = server.local_addr().unwrap();
    let webhook = Arc::clone(server.webhook());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = rx.await;
    }));
    TestServer { addr, ca, dir, cert_path, key_path, webhook, stop: Some(tx), task }
}

impl TestServer {
    /// Asks the server to stop (it finishes in-flight requests first).
    pub fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    pub async fn post(&self, path: &str, body: impl Into<Bytes>) -> (StatusCode, Bytes) {
        request(self.addr, &self.ca.der, "POST", path, body.into()).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let (status, body) = request(self.addr, &self.ca.der, "GET", path, Bytes::new()).await;
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    /// POSTs a review and returns the decoded `response`.
    pub async fn review(&self, path: &str, review: &serde_json::Value) -> serde_json::Value {
        let (status, body) = self.post(path, serde_json::to_vec(review).unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let out: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(out["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(out["kind"], "AdmissionReview");
        assert_eq!(out["response"]["uid"], review["request"]["uid"], "the uid is echoed");
        out["response"].clone()
    }
}

/// A TLS client trusting only `ca`, offering HTTP/1.1.
pub fn connector(ca: &CertificateDer<'static>) -> TlsConnector {
    connector_alpn(ca, b"http/1.1")
}

/// A TLS client trusting only `ca`, offering one ALPN protocol.
pub fn connector_alpn(ca: &CertificateDer<'static>, alpn: &[u8]) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    TlsConnector::from(Arc::new(config))
}

/// The certificate the server presents in a fresh handshake.
pub async fn presented(addr: SocketAddr, ca: &CertificateDer<'static>) -> CertificateDer<'static> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let tls = connector(ca).connect(ServerName::IpAddress(addr.ip().into()), tcp).await.unwrap();
    tls.get_ref().1.peer_certificates().unwrap()[0].clone().into_owned()
}

/// One request on a fresh connection.
pub async fn request(addr: SocketAddr, ca: &CertificateDer<'static>, method: &str, path: &str, body: Bytes) -> (StatusCode, Bytes) {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let tls = connector(ca).connect(ServerName::IpAddress(addr.ip().into()), tcp).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    let req = Request::builder().method(method).uri(path).header("host", addr.to_string()).header("content-type", "application/json").body(Full::new(body)).unwrap();
    let response = sender.send_request(req).await.unwrap();
    let status = response.status();
    (status, response.into_body().collect().await.unwrap().to_bytes())
}

/// A fixture of `tests/fixtures/`.
pub fn fixture(name: &str) -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// The decoded JSONPatch of a response.
pub fn patch(response: &serde_json::Value) -> Vec<serde_json::Value> {
    use base64::Engine as _;
    assert_eq!(response["patchType"], "JSONPatch");
    let raw = base64::engine::general_purpose::STANDARD.decode(response["patch"].as_str().unwrap()).unwrap();
    serde_json::from_slice(&raw).unwrap()
}

/// One POST over HTTP/2 (ALPN h2), as an API server may send it.
pub async fn post_h2(addr: SocketAddr, ca: &CertificateDer<'static>, path: &str, body: Bytes) -> (StatusCode, Bytes) {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let tls = connector_alpn(ca, b"h2").connect(ServerName::IpAddress(addr.ip().into()), tcp).await.unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]), "the server agreed to HTTP/2");
    let (mut sender, conn) = hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    let req = Request::builder().method("POST").uri(format!("https://{addr}{path}")).header("content-type", "application/json").body(Full::new(body)).unwrap();
    let response = sender.send_request(req).await.unwrap();
    assert_eq!(response.version(), hyper::Version::HTTP_2);
    let status = response.status();
    (status, response.into_body().collect().await.unwrap().to_bytes())
}
