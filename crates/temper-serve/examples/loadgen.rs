//! A load generator for the webhook, loopback only, bounded in rate, time
//! and count: `scripts/load-webhook.sh` runs it against `fake_webhook`.
//!
//! `loadgen --addr 127.0.0.1:8443 --ca DIR/ca.pem [--rate 1000] [--duration 60]
//! [--connections 32] [--cold] [--pid PID] [--path /validate] [--images FILE]`
//!
//! Open loop: request k is due at `k / rate` seconds, spread over
//! keep-alive HTTPS connections, and its latency runs from when it was due,
//! so a stalled server shows in the figures instead of slowing the
//! generator down (no coordinated omission). Each review is a Pod with
//! three containers; `--cold` gives every review images never seen before,
//! so each one is resolved and judged. Prints requests, achieved rate,
//! p50, p90, p99 and max latency, errors, and with `--pid` the server's
//! resident and peak memory from /proc. With `--images FILE` (one
//! reference per line, real images in a loopback registry), each review is
//! a Pod with one container naming them in turn, and `--cold` sends each
//! image once (so the run ends when the list does).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::time::Instant;
use tokio_rustls::TlsConnector;

/// The bounds: no run asks more of the machine than this.
const MAX_RATE: u64 = 20_000;
const MAX_DURATION: u64 = 600;
const MAX_CONNECTIONS: usize = 256;

struct Options {
    addr: SocketAddr,
    ca: PathBuf,
    rate: u64,
    duration: u64,
    connections: usize,
    cold: bool,
    pid: Option<u32>,
    path: String,
    images: Option<Arc<Vec<String>>>,
}

fn options() -> Options {
    let mut o = Options { addr: "127.0.0.1:8443".parse().unwrap(), ca: PathBuf::new(), rate: 1000, duration: 60, connections: 32, cold: false, pid: None, path: "/validate".into(), images: None };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--cold" {
            o.cold = true;
            continue;
        }
        let value = args.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => o.addr = value.parse().expect("--addr HOST:PORT"),
            "--ca" => o.ca = PathBuf::from(value),
            "--rate" => o.rate = value.parse().expect("--rate N"),
            "--duration" => o.duration = value.parse().expect("--duration SECONDS"),
            "--connections" => o.connections = value.parse().expect("--connections N"),
            "--pid" => o.pid = Some(value.parse().expect("--pid PID")),
            "--path" => o.path = value,
            "--images" => {
                let text = std::fs::read_to_string(&value).unwrap_or_else(|e| panic!("--images {value}: {e}"));
                o.images = Some(Arc::new(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()));
            }
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(o.addr.ip().is_loopback(), "loadgen only targets loopback, not {}", o.addr);
    assert!((1..=MAX_RATE).contains(&o.rate), "--rate is 1 to {MAX_RATE}");
    assert!((1..=MAX_DURATION).contains(&o.duration), "--duration is 1 to {MAX_DURATION} seconds");
    assert!((1..=MAX_CONNECTIONS).contains(&o.connections), "--connections is 1 to {MAX_CONNECTIONS}");
    o
}

fn review(n: u64, cold: bool, images: Option<&Vec<String>>) -> Bytes {
    let tag = if cold { format!("cold-{n}") } else { "3.1".to_string() };
    let spec = match images {
        Some(list) => serde_json::json!({ "containers": [{"name": "app", "image": list[(n as usize) % list.len()]}] }),
        None => serde_json::json!({
            "initContainers": [{"name": "migrate", "image": format!("registry.test/load/migrate:{tag}")}],
            "containers": [{"name": "web", "image": format!("registry.test/load/web:{tag}")}, {"name": "proxy", "image": format!("registry.test/load/proxy:{tag}")}],
        }),
    };
    let body = serde_json::json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": format!("00000000-0000-4000-8000-{n:012}"),
            "kind": {"group": "", "version": "v1", "kind": "Pod"}, "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": "load", "operation": "CREATE", "userInfo": {"username": "loadgen"}, "dryRun": false,
            "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "load-", "namespace": "load"}, "spec": spec},
        }
    });
    Bytes::from(serde_json::to_vec(&body).unwrap())
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr, connector: &TlsConnector) -> Result<Sender, String> {
    let tcp = tokio::net::TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let tls = connector.connect(ServerName::IpAddress(addr.ip().into()), tcp).await.map_err(|e| e.to_string())?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    Ok(sender)
}

async fn send(sender: &mut Sender, addr: SocketAddr, path: &str, body: Bytes) -> Result<(), String> {
    sender.ready().await.map_err(|e| e.to_string())?;
    let req = Request::post(path).header("host", addr.to_string()).header("content-type", "application/json").body(Full::new(body)).map_err(|e| e.to_string())?;
    let response = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    let out: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    if out["response"]["allowed"] != true {
        return Err(format!("not allowed: {}", out["response"]));
    }
    Ok(())
}

/// `VmRSS` and `VmHWM` of `pid`, in KiB.
fn memory(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| status.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.split_whitespace().next()?.parse().ok());
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

#[tokio::main]
async fn main() {
    let o = options();
    let ca = CertificateDer::pem_file_iter(&o.ca).unwrap_or_else(|e| panic!("{}: {e}", o.ca.display())).collect::<Result<Vec<_>, _>>().unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for c in ca {
        roots.add(c).unwrap();
    }
    let mut tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider())).with_safe_default_protocol_versions().unwrap().with_root_certificates(roots).with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let connector = TlsConnector::from(Arc::new(tls));
    // Wait for the server to listen (it may still be starting).
    let deadline = Instant::now() + Duration::from_secs(30);
    while connect(o.addr, &connector).await.is_err() {
        assert!(Instant::now() < deadline, "no webhook at {} after 30 s", o.addr);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut total = o.rate * o.duration;
    if let (true, Some(list)) = (o.cold, &o.images) {
        total = total.min(list.len() as u64);
    }
    let interval = Duration::from_secs_f64(1.0 / o.rate as f64);
    let start = Instant::now() + Duration::from_millis(200);
    let mut tasks = Vec::new();
    for c in 0..o.connections {
        let (connector, path, cold, addr, connections, images) = (connector.clone(), o.path.clone(), o.cold, o.addr, o.connections as u64, o.images.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity((total / connections + 1) as usize);
            let mut errors: Vec<String> = Vec::new();
            let mut sender = None;
            let mut k = c as u64;
            while k < total {
                let due = start + interval * k as u32;
                tokio::time::sleep_until(due).await;
                if sender.is_none() {
                    match connect(addr, &connector).await {
                        Ok(s) => sender = Some(s),
                        Err(e) => errors.push(format!("connect: {e}")),
                    }
                }
                if let Some(s) = sender.as_mut() {
                    match send(s, addr, &path, review(k, cold, images.as_deref())).await {
                        Ok(()) => latencies.push(due.elapsed()),
                        Err(e) => {
                            errors.push(e);
                            sender = None;
                        }
                    }
                }
                k += connections;
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::with_capacity(total as usize);
    let mut errors = Vec::new();
    for t in tasks {
        let (l, e) = t.await.unwrap();
        latencies.extend(l);
        errors.extend(e);
    }
    let elapsed = start.elapsed();
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("{} reviews ({}) to https://{}{} over {} connections: {} ok in {:.1} s ({:.0}/s)", total, if o.cold { "cold: new images each" } else { "warm: the same images" }, o.addr, o.path, o.connections, latencies.len(), elapsed.as_secs_f64(), latencies.len() as f64 / elapsed.as_secs_f64());
    println!("latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}", ms(percentile(&latencies, 0.50)), ms(percentile(&latencies, 0.90)), ms(percentile(&latencies, 0.99)), ms(latencies.last().copied().unwrap_or_default()));
    println!("errors: {}", errors.len());
    for e in errors.iter().take(5) {
        println!("  {e}");
    }
    if let Some((rss, peak)) = o.pid.and_then(memory) {
        println!("server memory after the run: RSS {:.1} MiB, peak {:.1} MiB", rss as f64 / 1024.0, peak as f64 / 1024.0);
    }
    if !errors.is_empty() {
        std::process::exit(1);
    }
}
