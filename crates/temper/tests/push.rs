//! `temper push` through a real registry: Debian's `docker-registry` on
//! 127.0.0.1 (the harness of `tests/registry.rs`), with a logging proxy in
//! front of it that forwards requests with their bodies, records each one
//! (method, path and query, status) and can drop or hold blob uploads, so
//! the tests count what a push sent and how many uploads overlapped. Pushed images are read back with temper
//! and skopeo. The tools and the corpus are required: a test fails, never
//! skips, without them.

// In a test, `expect` is an assertion with a message.
#![allow(clippy::expect_used)]

// The harness serves several test files; each uses part of it.
#[allow(dead_code)]
mod registry_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use registry_support::pki::{TestTls, TokenSigner};
use registry_support::token::{TokenConfig, TokenServer};
use registry_support::{Auth, Registry, corpus_archive, corpus_layout, layout_blob, layout_latest, skopeo, temper, temper_env};

const DISTROLESS: &str = "distroless-like";
const MULTIARCH: &str = "multiarch-index";
/// Retries of a failed upload wait at most this long (milliseconds).
const FAST_RETRY: (&str, &str) = ("TEMPER_RETRY_MAX_WAIT_MS", "5");

/// One request the proxy saw.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    /// Path and query.
    target: String,
    /// The upstream's status; 0 when the proxy dropped the request.
    status: u16,
}

impl Seen {
    /// A request that writes a blob: a session start, a chunk or the close.
    fn writes_blob(&self) -> bool {
        matches!(self.method.as_str(), "POST" | "PATCH" | "PUT") && self.target.contains("/blobs/")
    }
}

/// What the proxy does to the closing `PUT`s of blob uploads, and how
/// many it saw under way at once.
#[derive(Default)]
struct Faults {
    /// Those of this digest are dropped unanswered.
    drop_digest: Mutex<Option<String>>,
    /// Each is held this long (milliseconds) before it is forwarded.
    hold_ms: AtomicUsize,
    /// Under way now.
    in_flight: AtomicUsize,
    /// The most under way at once.
    most_in_flight: AtomicUsize,
}

/// A loopback proxy that logs every request and forwards it whole.
struct LoggingProxy {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    faults: Arc<Faults>,
}

impl LoggingProxy {
    fn start(upstream: String) -> LoggingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let faults = Arc::new(Faults::default());
        let (log, shared) = (Arc::clone(&seen), Arc::clone(&faults));
        thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (upstream, log, faults) = (upstream.clone(), Arc::clone(&log), Arc::clone(&shared));
                thread::spawn(move || forward(conn, &upstream, &log, &faults));
            }
        });
        LoggingProxy { port, seen, faults }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("proxy log").clone()
    }

    /// Forgets what was seen so far.
    fn clear(&self) {
        self.seen.lock().expect("proxy log").clear();
    }
}

/// Forwards one request (one per connection: every answer closes it).
fn forward(conn: TcpStream, upstream: &str, log: &Mutex<Vec<Seen>>, faults: &Faults) {
    let mut client = conn.try_clone().expect("clone the client stream");
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let request_line = line.trim_end().to_owned();
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or_default().to_owned(), parts.next().unwrap_or_default().to_owned());
    let mut head = format!("{request_line}\r\n");
    let mut length = 0usize;
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (name, value) = l.split_once(':').unwrap_or((l, ""));
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().expect("Content-Length");
        }
        if !name.eq_ignore_ascii_case("connection") {
            head.push_str(&format!("{l}\r\n"));
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).expect("read the request body");
    let record = |status| log.lock().expect("proxy log").push(Seen { method: method.clone(), target: target.clone(), status });
    let closing = method == "PUT" && target.contains("/blobs/uploads/");
    if closing {
        if faults.drop_digest.lock().expect("faults").as_ref().is_some_and(|d| target.contains(d.as_str())) {
            record(0);
            let _ = client.shutdown(Shutdown::Both);
            return;
        }
        let now = faults.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        faults.most_in_flight.fetch_max(now, Ordering::SeqCst);
        thread::sleep(Duration::from_millis(faults.hold_ms.load(Ordering::SeqCst) as u64));
    }
    let mut up = TcpStream::connect(upstream).expect("connect to the registry");
    up.write_all(head.as_bytes()).and_then(|()| up.write_all(&body)).expect("forward the request");
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).expect("read the registry's answer");
    if closing {
        faults.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
    let status = String::from_utf8_lossy(&answer[..answer.len().min(64)]).split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    record(status);
    let _ = client.write_all(&answer);
}

/// A scratch directory, an anonymous plain-HTTP registry and a logging
/// proxy in front of it. (Fields drop in order: the registry is killed
/// before its files go.)
struct Setup {
    proxy: LoggingProxy,
    registry: Registry,
    work: TempDir,
}

impl Setup {
    fn start() -> Setup {
        let work = tempfile::tempdir().expect("tempdir");
        let registry = Registry::start(work.path(), "push", &work.path().join("storage"), None, &Auth::None);
        let proxy = LoggingProxy::start(registry.host());
        Setup { proxy, registry, work }
    }

    /// `temper push --insecure --format json SRC REF` through the proxy;
    /// returns the JSON summary.
    fn push(&self, source: &str, repo_tag: &str, extra: &[&str]) -> Value {
        let dest = format!("{}/{repo_tag}", self.proxy.host());
        temper(&[&["push", "--insecure", "--format", "json"], extra, &[source, &dest]].concat()).json()
    }

    /// The status of `GET /v2/<repo>/manifests/<reference>`, asked of the
    /// registry directly.
    fn manifest_status(&self, repo: &str, reference: &str) -> u16 {
        let mut stream = TcpStream::connect(self.registry.host()).expect("connect to the registry");
        let request = format!(
            "GET /v2/{repo}/manifests/{reference} HTTP/1.1\r\nHost: {}\r\nAccept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json\r\nConnection: close\r\n\r\n",
            self.registry.host()
        );
        stream.write_all(request.as_bytes()).expect("send the request");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status in {answer:?}"))
    }
}

fn oci(layout: &Path) -> String {
    format!("oci:{}:latest", layout.display())
}

fn latest_digest(image: &str) -> String {
    layout_latest(&corpus_layout(image))["digest"].as_str().expect("descriptor digest").to_owned()
}

/// The blobs a single-platform layout's manifest names (config first).
fn manifest_blobs(layout: &Path, digest: &str) -> Vec<(String, u64)> {
    let manifest: Value = serde_json::from_slice(&layout_blob(layout, digest)).expect("manifest JSON");
    let layers = manifest["layers"].as_array().expect("layers");
    std::iter::once(&manifest["config"])
        .chain(layers)
        .map(|d| (d["digest"].as_str().expect("digest").to_owned(), d["size"].as_u64().expect("size")))
        .collect()
}

/// `sbom --format json` without the `image` field, which names the source.
fn sbom(source: &str, extra: &[&str]) -> Value {
    let mut v = temper(&[&["sbom", "--format", "json"], extra, &[source]].concat()).json();
    v.as_object_mut().expect("sbom JSON is an object").remove("image");
    assert!(v["packages"].as_array().is_some_and(|p| !p.is_empty()), "no packages to compare: {v}");
    v
}

fn stat(summary: &Value, field: &str) -> u64 {
    summary["stats"][field].as_u64().unwrap_or_else(|| panic!("no stats.{field} in {summary}"))
}

#[test]
fn push_layout_pulls_back_with_the_same_digest_and_sbom() {
    let s = Setup::start();
    let layout = corpus_layout(DISTROLESS);
    let want = latest_digest(DISTROLESS);
    let summary = s.push(&oci(&layout), "lab/app:v1", &[]);
    assert_eq!(summary["digest"], want.as_str(), "the pushed manifest is the layout's, byte for byte: {summary}");
    assert_eq!(summary["reference"], format!("{}/lab/app:v1@{want}", s.proxy.host()));
    let blobs = manifest_blobs(&layout, &want);
    assert_eq!(stat(&summary, "uploaded"), blobs.len() as u64, "{summary}");
    assert_eq!(stat(&summary, "bytes_uploaded"), blobs.iter().map(|b| b.1).sum::<u64>(), "{summary}");
    assert_eq!((stat(&summary, "present"), stat(&summary, "mounted"), stat(&summary, "manifests")), (0, 0, 1));

    // HEAD before every upload; the tag is the last write.
    let seen = s.proxy.seen();
    let heads = seen.iter().filter(|r| r.method == "HEAD" && r.target.contains("/blobs/sha256:")).count();
    assert_eq!(heads, blobs.len(), "one HEAD per blob: {seen:#?}");
    let last = seen.iter().rev().find(|r| r.method == "PUT").expect("a PUT");
    assert!(last.target.ends_with("/manifests/v1") && last.status == 201, "the tag goes last: {seen:#?}");

    // skopeo reads the very bytes of the layout's manifest back.
    let image = format!("{}/lab/app:v1", s.registry.host());
    let raw = skopeo(s.work.path(), &["inspect", "--raw", "--tls-verify=false", &format!("docker://{image}")]);
    assert!(raw.status.success(), "{}: {}", raw.what, raw.stderr);
    assert!(raw.stdout == layout_blob(&layout, &want), "the registry's manifest differs from the layout's {want}");
    let inspected = skopeo(s.work.path(), &["inspect", "--tls-verify=false", &format!("docker://{image}")]).json();
    assert_eq!(inspected["Digest"], want.as_str());

    let pulled = temper(&["inspect", "--format", "json", "--insecure", &image]).json();
    assert_eq!(pulled["digest"], want.as_str());
    assert_eq!(sbom(&image, &["--insecure"]), sbom(&format!("oci:{}", layout.display()), &[]), "sbom of the pushed image vs the layout");
}

#[test]
fn push_multiarch_index_pushes_every_platform_and_the_index() {
    let s = Setup::start();
    let layout = corpus_layout(MULTIARCH);
    let want = latest_digest(MULTIARCH);
    let summary = s.push(&oci(&layout), "lab/multi:v1", &[]);
    assert_eq!(summary["digest"], want.as_str(), "{summary}");
    let image = format!("{}/lab/multi:v1", s.registry.host());
    for platform in ["linux/amd64", "linux/arm64"] {
        let pulled = temper(&["layers", "--format", "json", "--insecure", "--platform", platform, &image]).json();
        let local = temper(&["layers", "--format", "json", "--platform", platform, &oci(&layout)]).json();
        assert_eq!(pulled["digest"], local["digest"], "{platform}");
        assert_eq!(pulled["layers"], local["layers"], "{platform}");
    }
    // Each blob is asked for once, however many platforms share it.
    let heads: Vec<String> = s.proxy.seen().into_iter().filter(|r| r.method == "HEAD").map(|r| r.target).collect();
    let distinct: std::collections::BTreeSet<&String> = heads.iter().collect();
    assert_eq!(distinct.len(), heads.len(), "a blob asked for twice: {heads:#?}");
    // Children before the index, the index by digest before the tag.
    let puts: Vec<String> = s.proxy.seen().into_iter().filter(|r| r.method == "PUT" && r.target.contains("/manifests/")).map(|r| r.target).collect();
    assert!(puts.len() >= 3, "{puts:?}");
    assert!(puts[puts.len() - 2].ends_with(&format!("/manifests/{want}")) && puts[puts.len() - 1].ends_with("/manifests/v1"), "{puts:?}");

    // --platform pushes that platform's manifest alone.
    let arm = s.push(&oci(&layout), "lab/multi:arm", &["--platform", "linux/arm64"]);
    let local = temper(&["inspect", "--format", "json", "--platform", "linux/arm64", &oci(&layout)]).json();
    assert_eq!(arm["digest"], local["digest"], "{arm}");
    assert_eq!(stat(&arm, "manifests"), 1, "{arm}");
}

#[test]
fn push_index_without_the_host_platform() {
    // The multi-arch layout with the host's platform taken out of its index.
    let s = Setup::start();
    let corpus = corpus_layout(MULTIARCH);
    let layout = s.work.path().join("other-platform");
    std::fs::create_dir_all(layout.join("blobs/sha256")).expect("create the layout");
    std::fs::copy(corpus.join("oci-layout"), layout.join("oci-layout")).expect("copy oci-layout");
    for blob in std::fs::read_dir(corpus.join("blobs/sha256")).expect("read blobs").flatten() {
        std::fs::copy(blob.path(), layout.join("blobs/sha256").join(blob.file_name())).expect("copy a blob");
    }
    let host = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => panic!("no expectation for a {other} host"),
    };
    let mut index: Value = serde_json::from_slice(&layout_blob(&corpus, &latest_digest(MULTIARCH))).expect("index JSON");
    index["manifests"].as_array_mut().expect("manifests").retain(|d| d["platform"]["architecture"] != host);
    let bytes = serde_json::to_vec(&index).expect("index bytes");
    let digest = format!("sha256:{}", hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)));
    std::fs::write(layout.join("blobs/sha256").join(&digest["sha256:".len()..]), &bytes).expect("write the index");
    let top = serde_json::json!({ "schemaVersion": 2, "manifests": [{ "mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "size": bytes.len(), "annotations": { "org.opencontainers.image.ref.name": "latest" } }] });
    std::fs::write(layout.join("index.json"), top.to_string()).expect("write index.json");

    let summary = s.push(&oci(&layout), "lab/other:v1", &[]);
    assert_eq!(summary["digest"], digest.as_str(), "{summary}");
    assert_eq!(stat(&summary, "manifests"), 2, "the index and its one platform: {summary}");
    assert_eq!(s.manifest_status("lab/other", "v1"), 200);
}

#[test]
fn second_push_uploads_no_blob() {
    let s = Setup::start();
    let layout = corpus_layout(DISTROLESS);
    let first = s.push(&oci(&layout), "lab/app:v1", &[]);
    let first_writes = s.proxy.seen().iter().filter(|r| r.writes_blob()).count();
    assert!(first_writes > 0, "the first push uploaded nothing?");
    s.proxy.clear();

    let second = s.push(&oci(&layout), "lab/app:v1", &[]);
    assert_eq!(second["digest"], first["digest"]);
    let seen = s.proxy.seen();
    let writes: Vec<&Seen> = seen.iter().filter(|r| r.writes_blob()).collect();
    assert!(writes.is_empty(), "the second push wrote blobs: {writes:#?}");
    let blobs = manifest_blobs(&layout, &latest_digest(DISTROLESS)).len() as u64;
    assert_eq!((stat(&second, "uploaded"), stat(&second, "bytes_uploaded"), stat(&second, "present")), (0, 0, blobs), "{second}");
    eprintln!("requests: first push {first_writes} blob writes; second push {} requests, 0 blob writes", seen.len());
}

#[test]
fn chunked_upload_gives_the_same_digest() {
    let s = Setup::start();
    let layout = corpus_layout(DISTROLESS);
    let want = latest_digest(DISTROLESS);
    let summary = s.push(&oci(&layout), "lab/chunked:v1", &["--chunk-size", "256KiB"]);
    assert_eq!(summary["digest"], want.as_str(), "{summary}");
    let seen = s.proxy.seen();
    let patches = seen.iter().filter(|r| r.method == "PATCH").count();
    // The 2 MiB layer in 9 chunks, the 500 KiB one in 2.
    let big: u64 = manifest_blobs(&layout, &want).iter().map(|b| b.1).filter(|s| *s > 256 * 1024).map(|s| s.div_ceil(256 * 1024)).sum();
    assert_eq!(patches as u64, big, "one PATCH per 256 KiB chunk of each blob above 256 KiB: {seen:#?}");
    assert!(seen.iter().filter(|r| r.method == "PATCH").all(|r| r.status == 202), "{seen:#?}");
    // Read back whole: every layer's digest and diffID is checked.
    let image = format!("{}/lab/chunked:v1", s.registry.host());
    let pulled = temper(&["layers", "--format", "json", "--insecure", &image]).json();
    let local = temper(&["layers", "--format", "json", &format!("oci:{}", layout.display())]).json();
    assert_eq!((&pulled["digest"], &pulled["layers"]), (&local["digest"], &local["layers"]));
}

#[test]
fn interrupted_push_leaves_no_tag() {
    let s = Setup::start();
    let layout = corpus_layout(DISTROLESS);
    let blobs = manifest_blobs(&layout, &latest_digest(DISTROLESS));
    // The last layer's upload is dropped unanswered, every time; the other
    // blobs go up beside it.
    let broken = blobs.last().expect("a layer").0.clone();
    *s.proxy.faults.drop_digest.lock().expect("faults") = Some(broken.clone());
    let dest = format!("{}/lab/broken:v1", s.proxy.host());
    let run = temper_env(&["push", "--insecure", &oci(&layout), &dest], &[FAST_RETRY]);
    let line = run.error_line();
    assert!(line.contains(&format!("pushing to {dest}")), "the error names the destination: {line}");
    let dropped = s.proxy.seen().iter().filter(|r| r.status == 0).count();
    assert_eq!(dropped, 5, "the upload was tried the policy's 5 times: {:#?}", s.proxy.seen());
    assert!(!s.proxy.seen().iter().any(|r| r.method == "PUT" && r.target.contains("/manifests/")), "no manifest was written");
    assert_eq!(s.manifest_status("lab/broken", "v1"), 404, "a failed push leaves no tag");
    assert_eq!(s.manifest_status("lab/broken", &latest_digest(DISTROLESS)), 404, "nor the manifest");

    // Once the network heals, the same push completes: the blob that
    // failed goes up, and none twice.
    *s.proxy.faults.drop_digest.lock().expect("faults") = None;
    s.proxy.clear();
    let summary = s.push(&oci(&layout), "lab/broken:v1", &[]);
    assert_eq!(stat(&summary, "present") + stat(&summary, "uploaded"), blobs.len() as u64, "{summary}");
    assert!(s.proxy.seen().iter().any(|r| r.method == "PUT" && r.target.contains(&format!("digest={broken}")) && r.status == 201), "{:#?}", s.proxy.seen());
    assert_eq!(s.manifest_status("lab/broken", "v1"), 200);
}

#[test]
fn blobs_of_a_manifest_go_up_in_parallel() {
    let s = Setup::start();
    let layout = corpus_layout(DISTROLESS);
    let want = latest_digest(DISTROLESS);
    let blobs = manifest_blobs(&layout, &want);
    // Each upload is held long enough that uploads made one after the
    // other could never overlap.
    s.proxy.faults.hold_ms.store(400, Ordering::SeqCst);
    let start = Instant::now();
    let summary = s.push(&oci(&layout), "lab/parallel:v1", &[]);
    let took = start.elapsed();
    assert_eq!(summary["digest"], want.as_str(), "{summary}");
    assert_eq!(stat(&summary, "uploaded"), blobs.len() as u64, "{summary}");
    let most = s.proxy.faults.most_in_flight.load(Ordering::SeqCst);
    assert!(most >= 2, "at most {most} of {} blob uploads were under way at once (pushed in {took:?})", blobs.len());
    // The manifest only after every blob was confirmed, the tag last.
    let seen = s.proxy.seen();
    let first_manifest = seen.iter().position(|r| r.target.contains("/manifests/")).expect("a manifest PUT");
    let closed = seen.iter().enumerate().filter(|(_, r)| r.method == "PUT" && r.target.contains("/blobs/uploads/")).map(|(i, r)| (i, r.status)).collect::<Vec<_>>();
    assert!(closed.len() == blobs.len() && closed.iter().all(|(i, status)| *i < first_manifest && *status == 201), "{seen:#?}");
    eprintln!("{} blobs, each upload held 400 ms: pushed in {took:?}, {most} uploads at once", blobs.len());
}

#[test]
fn mount_from_another_repository_is_used() {
    let s = Setup::start();
    let layout = corpus_layout(DISTROLESS);
    s.push(&oci(&layout), "lab/base:v1", &[]);
    s.proxy.clear();

    // The source is in the same registry: its blobs are mounted, not sent.
    let source = format!("{}/lab/base:v1", s.proxy.host());
    let summary = s.push(&source, "lab/app:v1", &[]);
    let want = latest_digest(DISTROLESS);
    assert_eq!(summary["digest"], want.as_str(), "{summary}");
    let blobs = manifest_blobs(&layout, &want);
    assert_eq!((stat(&summary, "mounted"), stat(&summary, "uploaded"), stat(&summary, "bytes_uploaded")), (blobs.len() as u64, 0, 0), "{summary}");
    let seen = s.proxy.seen();
    let writes: Vec<&Seen> = seen.iter().filter(|r| r.writes_blob()).collect();
    assert_eq!(writes.len(), blobs.len(), "one mount per blob, nothing else: {writes:#?}");
    for (digest, _) in &blobs {
        let mount = format!("/v2/lab/app/blobs/uploads/?mount={digest}&from=lab/base");
        assert!(writes.iter().any(|r| r.method == "POST" && r.target == mount && r.status == 201), "no mount of {digest}: {writes:#?}");
    }
    assert_eq!(s.manifest_status("lab/app", "v1"), 200);
}

#[test]
fn push_docker_archive_writes_a_manifest_for_the_same_image() {
    let s = Setup::start();
    let archive = format!("docker-archive:{}", corpus_archive(DISTROLESS).display());
    let summary = s.push(&archive, "lab/from-archive:v1", &[]);
    assert_eq!(summary["media_type"], "application/vnd.oci.image.manifest.v1+json", "{summary}");
    let image = format!("{}/lab/from-archive:v1", s.registry.host());
    let pulled = temper(&["inspect", "--format", "json", "--insecure", &image]).json();
    assert_eq!(pulled["digest"], summary["digest"]);
    let local = temper(&["inspect", "--format", "json", &archive]).json();
    assert_eq!(pulled["config_digest"], local["config_digest"], "the same config");
    let diff_ids = |v: &Value| v["layers"].as_array().expect("layers").iter().map(|l| l["diff_id"].clone()).collect::<Vec<_>>();
    assert_eq!(diff_ids(&pulled), diff_ids(&local), "the same layers");
    // The same packages; only the pushed image has a manifest digest.
    let (mut pushed, local) = (sbom(&image, &["--insecure"]), sbom(&archive, &[]));
    assert_eq!((&pushed["digest"], &local["digest"]), (&summary["digest"], &Value::Null));
    pushed["digest"] = Value::Null;
    assert_eq!(pushed, local);
    // Pushing the same archive again writes the same manifest.
    let again = s.push(&archive, "lab/from-archive:v2", &[]);
    assert_eq!((&again["digest"], stat(&again, "uploaded")), (&summary["digest"], 0));
}

const SERVICE: &str = "temper-test";
const ISSUER: &str = "temper-test-issuer";
const USER: &str = "tester";
const PASSWORD: &str = "s3cret:with-colon";

#[test]
fn token_auth_push_asks_for_push_scope() {
    let work = tempfile::tempdir().expect("tempdir");
    let signer = TokenSigner::generate();
    let bundle = work.path().join("token-signer.pem");
    std::fs::write(&bundle, &signer.cert_pem).expect("write rootcertbundle");
    let tokens = TokenServer::start(TokenConfig { service: SERVICE.into(), issuer: ISSUER.into(), user: USER.into(), password: PASSWORD.into(), signer });
    let tls = TestTls::create(work.path());
    let auth = Auth::Token { realm: tokens.realm(), service: SERVICE.into(), issuer: ISSUER.into(), rootcertbundle: bundle };
    let registry = Registry::start(work.path(), "token", &work.path().join("storage"), Some(&tls.server), &auth);
    let image = format!("{}/lab/app:v1", registry.host());
    let (ca, creds) = (tls.ca_pem.display().to_string(), format!("{USER}:{PASSWORD}"));
    let source = oci(&corpus_layout(DISTROLESS));

    let anonymous = temper(&["push", "--ca-cert", &ca, &source, &image]);
    let line = anonymous.error_line();
    assert!(line.contains("token request failed") && line.contains("401"), "no credentials: {line}");
    let before = tokens.requests().len();

    let summary = temper(&["push", "--format", "json", "--ca-cert", &ca, "--creds", &creds, &source, &image]).json();
    assert_eq!(summary["digest"], latest_digest(DISTROLESS).as_str());
    let asked: Vec<_> = tokens.requests().split_off(before);
    assert_eq!(asked.len(), 1, "one token serves the whole push: {asked:?}");
    assert_eq!(asked[0].scopes, ["repository:lab/app:pull,push"], "{asked:?}");
    assert_eq!((asked[0].user.as_deref(), asked[0].status), (Some(USER), 200));
    let pulled = temper(&["inspect", "--format", "json", "--ca-cert", &ca, "--creds", &creds, &image]).json();
    assert_eq!(pulled["digest"], summary["digest"]);
}

#[test]
fn build_push_uploads_the_golden_image_and_a_rebuild_pushes_no_blob() {
    let s = Setup::start();
    let spec = s.work.path().join("golden.toml");
    std::fs::write(&spec, format!("base = \"{}\"\nuser = \"65532\"\n[labels]\n\"org.opencontainers.image.vendor\" = \"Corp\"\n[[files]]\npath = \"/etc/motd\"\ncontent = \"golden\\n\"\n", oci(&corpus_layout(DISTROLESS)))).expect("spec");
    let dest = format!("{}/lab/golden:v1", s.proxy.host());
    let layout = s.work.path().join("out");
    let build = |extra: &[&str]| temper(&[&["build", spec.to_str().expect("utf-8"), "--insecure", "--format", "json", "--push", &dest], extra].concat()).json();
    let first = build(&["--output", &format!("oci:{}:v1", layout.display())]);
    assert_eq!(first["pushed"], format!("{dest}@{}", first["digest"].as_str().expect("digest")), "{first}");
    // The base's blobs are in the registry after the first push: only the added layer, config and manifest were new.
    assert!(s.proxy.seen().iter().any(|r| r.writes_blob()));
    s.proxy.clear();
    // Without --output: built in a temporary layout, the same image, nothing uploaded again.
    let second = build(&[]);
    assert_eq!(second["digest"], first["digest"]);
    let writes: Vec<Seen> = s.proxy.seen().into_iter().filter(|r| r.writes_blob()).collect();
    assert!(writes.is_empty(), "a rebuild pushed blobs again: {writes:#?}");
    let pulled = temper(&["inspect", "--format", "json", "--insecure", &format!("{}/lab/golden:v1", s.registry.host())]).json();
    assert_eq!(pulled["digest"], first["digest"]);
}

#[test]
fn rebase_follows_a_moved_golden_tag_in_the_registry_and_mounts_its_blobs() {
    let s = Setup::start();
    let golden = format!("{}/lab/golden:latest", s.proxy.host());
    let spec = |name: &str, base: &str, motd: &str| {
        let path = s.work.path().join(name);
        std::fs::write(&path, format!("base = \"{base}\"\n[[files]]\npath = \"/etc/motd\"\ncontent = \"{motd}\\n\"\n")).expect("spec");
        path.to_str().expect("utf-8").to_owned()
    };
    let build = |spec: &str, dest: &str| temper(&["build", spec, "--insecure", "--format", "json", "--push", dest]).json();
    let base = oci(&corpus_layout(DISTROLESS));
    let v1 = build(&spec("golden1.toml", &base, "golden 1"), &golden);
    // The app is built on the registry's golden tag; its annotations name it and pin v1.
    std::fs::write(s.work.path().join("app.toml"), format!("base = \"{golden}\"\n[[files]]\npath = \"/app/run\"\ncontent = \"app\\n\"\n")).expect("app spec");
    s.proxy.clear();
    let app = build(s.work.path().join("app.toml").to_str().expect("utf-8"), &format!("{}/lab/app:1", s.proxy.host()));
    let mounts = |seen: &[Seen]| seen.iter().filter(|r| r.method == "POST" && r.target.contains("&from=lab/golden") && r.status == 201).count();
    assert!(mounts(&s.proxy.seen()) > 0, "the golden base's blobs are mounted into lab/app, not uploaded: {:#?}", s.proxy.seen());
    // The platform team moves the tag.
    let v2 = build(&spec("golden2.toml", &base, "golden 2"), &golden);
    assert_ne!(v1["digest"], v2["digest"]);

    // No --old-base or --new-base: the annotations say both.
    s.proxy.clear();
    let dest = format!("{}/lab/app:2", s.proxy.host());
    let report = temper(&["rebase", &format!("{}/lab/app:1", s.proxy.host()), "--insecure", "--format", "json", "--push", &dest]).json();
    assert_eq!(report["platforms"][0]["old_base"], v1["digest"], "{report}");
    assert_eq!(report["platforms"][0]["new_base"], v2["digest"], "{report}");
    assert_eq!(report["pushed"], format!("{dest}@{}", report["digest"].as_str().expect("digest")));
    let seen = s.proxy.seen();
    let uploads: Vec<&Seen> = seen.iter().filter(|r| r.method == "PATCH" || (r.method == "PUT" && r.target.contains("/blobs/uploads/"))).collect();
    // Only the new config goes up: golden 2's layers are mounted, the app's own layer is already in lab/app.
    assert_eq!(uploads.len(), 1, "{uploads:#?}");
    assert!(mounts(&seen) > 0);

    let pulled = temper(&["inspect", "--format", "json", "--insecure", &format!("{}/lab/app:2", s.registry.host())]).json();
    let golden2 = temper(&["inspect", "--format", "json", "--insecure", &format!("{}/lab/golden:latest", s.registry.host())]).json();
    let app1 = temper(&["inspect", "--format", "json", "--insecure", &format!("{}/lab/app:1", s.registry.host())]).json();
    let digests = |v: &Value| v["layers"].as_array().expect("layers").iter().map(|l| l["digest"].clone()).collect::<Vec<_>>();
    let (g2, a1) = (digests(&golden2), digests(&app1));
    assert_eq!(digests(&pulled), [g2.clone(), a1[a1.len() - 1..].to_vec()].concat(), "golden 2's layers, then the app's own");
    assert_eq!(app["digest"], app1["digest"]);
}
