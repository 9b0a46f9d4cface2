//! A loopback HTTP proxy in front of a registry that injects the failures
//! a real network produces: `503` on the first ping, `429` with
//! `Retry-After` on the first manifest request, a connection closed before
//! any answer on a blob's first request, and a connection dropped halfway
//! through a large blob's body. Every request it sees is logged.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

/// Blobs larger than this are cut halfway on their first request.
pub const CUT_ABOVE: usize = 64 * 1024;

/// One request the proxy saw, and what it did with it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The request path.
    pub path: String,
    /// The `Range` header, if any.
    pub range: Option<String>,
    /// What the proxy did: `forward`, `503`, `429`, `closed`, `cut:N`
    /// (N body bytes sent before the drop).
    pub action: String,
    /// The status the upstream answered (0 when not asked).
    pub upstream_status: u16,
}

/// The proxy: listens on 127.0.0.1 until dropped (its thread then ends
/// with the test process).
pub struct FaultProxy {
    /// The port it listens on.
    pub port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (`127.0.0.1:PORT`); with
    /// `ignore_range`, `Range` headers are dropped before forwarding, as a
    /// registry that does not do ranges would.
    pub fn start(upstream: String, ignore_range: bool) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let counts = Arc::new(Mutex::new(HashMap::<String, u32>::new()));
        thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (upstream, log, counts) = (upstream.clone(), Arc::clone(&log), Arc::clone(&counts));
                thread::spawn(move || serve(conn, &upstream, ignore_range, &log, &counts));
            }
        });
        FaultProxy { port, seen }
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Every request seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("proxy log").clone()
    }
}

/// Reads one request head: the request line and headers.
fn read_head(reader: &mut BufReader<TcpStream>) -> Option<(String, Vec<(String, String)>)> {
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|n| *n > 0)?;
    let request_line = line.trim_end().to_owned();
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok().filter(|n| *n > 0)?;
        let l = line.trim_end();
        if l.is_empty() {
            return Some((request_line, headers));
        }
        let (name, value) = l.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
}

fn serve(conn: TcpStream, upstream: &str, ignore_range: bool, log: &Mutex<Vec<Seen>>, counts: &Mutex<HashMap<String, u32>>) {
    let mut client = conn.try_clone().expect("clone the client stream");
    let mut reader = BufReader::new(conn);
    // One request per connection: every answer says `Connection: close`.
    let Some((request_line, headers)) = read_head(&mut reader) else { return };
    let path = request_line.split(' ').nth(1).unwrap_or_default().to_owned();
    let range = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("range")).map(|(_, v)| v.clone());
    let nth = {
        let mut c = counts.lock().expect("proxy counts");
        let n = c.entry(path.clone()).or_insert(0);
        *n += 1;
        *n
    };
    let record = |action: String, upstream_status: u16| {
        log.lock().expect("proxy log").push(Seen { path: path.clone(), range: range.clone(), action, upstream_status });
    };
    if path == "/v2/" && nth == 1 {
        record("503".into(), 0);
        let _ = client.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    }
    if path.contains("/manifests/") && nth == 1 {
        record("429".into(), 0);
        let body = br#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#;
        let head = format!("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
        let _ = client.write_all(head.as_bytes()).and_then(|()| client.write_all(body));
        return;
    }

    let mut up = TcpStream::connect(upstream).expect("connect to the upstream registry");
    let mut out = format!("{request_line}\r\n");
    for (name, value) in &headers {
        if name.eq_ignore_ascii_case("connection") || (ignore_range && name.eq_ignore_ascii_case("range")) {
            continue;
        }
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("Connection: close\r\n\r\n");
    up.write_all(out.as_bytes()).expect("forward the request");
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).expect("read the upstream answer");
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").map_or(answer.len(), |i| i + 4);
    let status: u16 = String::from_utf8_lossy(&answer[..split]).split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body_len = answer.len() - split;

    let blob = path.contains("/blobs/") && status == 200 && range.is_none();
    if blob && body_len <= CUT_ABOVE && nth == 1 {
        // Accepted, then closed without a word.
        record("closed".into(), status);
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    if blob && body_len > CUT_ABOVE && nth == 1 {
        let sent = body_len / 2;
        record(format!("cut:{sent}"), status);
        let _ = client.write_all(&answer[..split + sent]);
        let _ = client.flush();
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    record("forward".into(), status);
    let _ = client.write_all(&answer);
}
