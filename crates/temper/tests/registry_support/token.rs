//! A token issuer for the distribution token-auth flow, on a std
//! `TcpListener` on 127.0.0.1: `GET /token?service=…&scope=…` with Basic
//! credentials answers an ES256 JWT granting the scopes asked for; without
//! them, or with wrong ones, 401.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::ecdsa::signature::Signer as _;
use serde_json::{Value, json};

use super::pki::TokenSigner;

/// The largest request head read.
const MAX_HEAD: usize = 16 * 1024;
/// How long one connection may take to send its request.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// What the issuer checks and signs with.
pub struct TokenConfig {
    /// The `service` the registry names (the token's audience).
    pub service: String,
    /// The token's `iss`.
    pub issuer: String,
    /// The one user.
    pub user: String,
    /// Their password.
    pub password: String,
    /// The signing key and certificate.
    pub signer: TokenSigner,
}

/// One request the issuer answered.
#[derive(Clone, Debug)]
pub struct TokenRequest {
    /// The Basic user, when credentials were sent.
    pub user: Option<String>,
    /// Every `scope` parameter, decoded.
    pub scopes: Vec<String>,
    /// The status answered.
    pub status: u16,
}

/// The running issuer; stopped and joined when dropped.
pub struct TokenServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<TokenRequest>>>,
    thread: Option<JoinHandle<()>>,
}

impl TokenServer {
    /// Listens on a free port of 127.0.0.1 and serves until dropped.
    pub fn start(config: TokenConfig) -> TokenServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the token server");
        let addr = listener.local_addr().expect("token server address");
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let stop = Arc::clone(&stop);
            let requests = Arc::clone(&requests);
            thread::spawn(move || {
                let serial = AtomicU64::new(0);
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    // One connection at a time, each bounded by IO_TIMEOUT.
                    if let Ok(stream) = stream {
                        serve(stream, &config, &serial, &requests);
                    }
                }
            })
        };
        TokenServer { addr, stop, requests, thread: Some(thread) }
    }

    /// The realm URL for the registry's config.
    pub fn realm(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    /// Every request answered so far.
    pub fn requests(&self) -> Vec<TokenRequest> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `%XX` and `+` decoding of one query component.
fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
            (b'+', _, _) => out.push(b' '),
            (b, _, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads one request and answers it, logging it into `requests` before the
/// answer goes out (so a client that got its answer finds it logged);
/// `None` when nothing usable came.
fn serve(mut stream: TcpStream, config: &TokenConfig, serial: &AtomicU64, requests: &Mutex<Vec<TokenRequest>>) -> Option<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(IO_TIMEOUT)).ok()?;
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 || head.len() + n > MAX_HEAD {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, target) = (request_line.next()?, request_line.next()?);
    let authorization = lines.find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.trim().eq_ignore_ascii_case("authorization").then(|| value.trim().to_owned())
    });
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut scopes = Vec::new();
    let mut service = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match percent_decode(k).as_str() {
            "scope" => scopes.extend(percent_decode(v).split(' ').filter(|s| !s.is_empty()).map(str::to_owned)),
            "service" => service = Some(percent_decode(v)),
            _ => {}
        }
    }
    let user = authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Basic ").or_else(|| a.strip_prefix("basic ")))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|d| String::from_utf8(d).ok())
        .and_then(|s| s.split_once(':').map(|(u, p)| (u.to_owned(), p.to_owned())));

    let (status, extra, body) = if method != "GET" || path != "/token" {
        (404, "", error_body("NOT_FOUND", "only GET /token is served"))
    } else if service.as_deref() != Some(config.service.as_str()) {
        (400, "", error_body("INVALID_REQUEST", "unknown service"))
    } else if user.as_ref().is_none_or(|(u, p)| *u != config.user || *p != config.password) {
        (401, "WWW-Authenticate: Basic realm=\"temper-test-token\"\r\n", error_body("UNAUTHORIZED", "valid user name and password required"))
    } else {
        let jti = serial.fetch_add(1, Ordering::SeqCst);
        let token = jwt(config, &config.user, &scopes, jti);
        (200, "", json!({ "token": token, "access_token": token, "expires_in": 300 }).to_string())
    };
    if let Ok(mut log) = requests.lock() {
        log.push(TokenRequest { user: user.map(|(u, _)| u), scopes, status });
    }
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        _ => "Not Found",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).ok()?;
    stream.flush().ok()
}

fn error_body(code: &str, message: &str) -> String {
    json!({ "errors": [{ "code": code, "message": message }] }).to_string()
}

/// The `access` claim for `repository:NAME:ACTIONS` scopes.
fn access(scopes: &[String]) -> Value {
    scopes
        .iter()
        .filter_map(|s| {
            let (kind, rest) = s.split_once(':')?;
            let (name, actions) = rest.rsplit_once(':')?;
            Some(json!({ "type": kind, "name": name, "actions": actions.split(',').filter(|a| !a.is_empty()).collect::<Vec<_>>() }))
        })
        .collect()
}

/// An ES256 JWT as distribution verifies it: the signing certificate in
/// `x5c`, the signature as raw `r || s`.
fn jwt(config: &TokenConfig, subject: &str, scopes: &[String], jti: u64) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    let header = json!({ "typ": "JWT", "alg": "ES256", "x5c": [STANDARD.encode(&config.signer.cert_der)] });
    let claims = json!({
        "iss": config.issuer,
        "sub": subject,
        "aud": config.service,
        "exp": now + 300,
        "nbf": now.saturating_sub(10),
        "iat": now,
        "jti": format!("temper-test-{jti}"),
        "access": access(scopes),
    });
    let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature: p256::ecdsa::Signature = config.signer.key.sign(signing_input.as_bytes());
    let raw = signature.to_bytes();
    assert_eq!(raw.len(), 64, "ES256 signatures are r || s, 32 bytes each");
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(raw))
}

#[test]
fn decodes_query_components() {
    assert_eq!(percent_decode("repository%3Alab%2Fa%3Apull%2Cpush"), "repository:lab/a:pull,push");
    assert_eq!(percent_decode("a+b%2"), "a b%2");
    assert_eq!(
        access(&["repository:lab/a:pull,push".to_owned()]),
        json!([{ "type": "repository", "name": "lab/a", "actions": ["pull", "push"] }])
    );
}
