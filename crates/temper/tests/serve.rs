//! `temper serve --admission` end to end with the real judge: HTTPS on
//! loopback, real AdmissionReview documents (Pod, Deployment, CronJob;
//! CREATE, UPDATE, dryRun) naming images in Debian's `docker-registry`, one
//! signed with the policy's key and one not, under a policy written here
//! (a signature rule, a hardening check in warn mode, exempt scopes).
//! Allowed, denied with the rule named, warnings, `/mutate` pins applied by
//! PyPI's jsonpatch, an UPDATE judging only the image it adds, exempt images
//! and namespaces and cached verdicts with no registry request (the
//! registry's access log), a certificate rotated under the running server;
//! and a registry that never answers, which gets the on-timeout answer.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

#[allow(dead_code)]
mod registry_support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use registry_support::{Auth, Registry, corpus_layout, pki::TestTls, push, temper, temper_env};
use serde_json::{Value, json};

const PASSWORD: (&str, &str) = ("TEMPER_PASSWORD", "s3cret");

/// The longest warning the API server shows whole.
const MAX_WARNING_CHARS: usize = 120;

/// The server, killed when dropped.
struct Server {
    child: Child,
    port: u16,
    ca: PathBuf,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Status code (0 when the request failed, TLS included) and body.
    fn curl(&self, path: &str, body: Option<&Value>) -> (u16, String) {
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "--max-time", "20", "-o", "-", "-w", "\n%{http_code}", "--cacert"]).arg(&self.ca);
        if let Some(b) = body {
            cmd.args(["-H", "Content-Type: application/json", "--data-binary", &b.to_string()]);
        }
        let out = cmd.arg(format!("https://127.0.0.1:{}{path}", self.port)).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (code.trim().parse().unwrap_or(0), body.to_owned())
    }

    /// The review's `response`.
    fn review(&self, path: &str, review: &Value) -> Value {
        let (code, body) = self.curl(path, Some(review));
        assert_eq!(code, 200, "{body}\n{}", self.log());
        let out: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(out["response"]["uid"], review["request"]["uid"]);
        out["response"].clone()
    }

    /// The certificate the server presents at a new TLS handshake (PEM, whitespace removed).
    fn presented(&self) -> String {
        let out = Command::new("openssl").args(["s_client", "-connect", &format!("127.0.0.1:{}", self.port)]).stdin(Stdio::null()).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let (begin, end) = ("-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----");
        let start = text.find(begin).unwrap_or_else(|| panic!("no certificate presented: {text}{}", String::from_utf8_lossy(&out.stderr)));
        let stop = start + text[start..].find(end).unwrap() + end.len();
        text[start..stop].split_whitespace().collect()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A PEM file's content with whitespace removed, to compare with [`Server::presented`].
fn pem(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap().split_whitespace().collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A Pod CREATE in namespace `shop` with one container per image.
fn pod(uid: &str, images: &[&str]) -> Value {
    let containers: Vec<Value> = images.iter().enumerate().map(|(i, image)| json!({ "name": format!("c{i}"), "image": image })).collect();
    json!({
        "kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": uid,
            "kind": { "group": "", "version": "v1", "kind": "Pod" },
            "resource": { "group": "", "version": "v1", "resource": "pods" },
            "namespace": "shop", "operation": "CREATE",
            "userInfo": { "username": "alice" },
            "object": { "kind": "Pod", "apiVersion": "v1", "metadata": { "name": "web", "namespace": "shop" },
                        "spec": { "containers": containers } },
            "oldObject": null, "dryRun": false, "options": { "kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1" }
        }
    })
}

/// A `kind` review of `group`/v1 (`resource`) whose object is `object`.
fn workload(uid: &str, group: &str, kind: &str, resource: &str, object: Value) -> Value {
    let mut review = pod(uid, &[]);
    review["request"]["kind"] = json!({ "group": group, "version": "v1", "kind": kind });
    review["request"]["resource"] = json!({ "group": group, "version": "v1", "resource": resource });
    review["request"]["object"] = object;
    review
}

fn deployment(containers: &[(&str, &str)]) -> Value {
    let containers: Vec<Value> = containers.iter().map(|(name, image)| json!({ "name": name, "image": image })).collect();
    json!({ "kind": "Deployment", "apiVersion": "apps/v1", "metadata": { "name": "web", "namespace": "shop", "labels": { "app": "web" } },
            "spec": { "replicas": 2, "selector": { "matchLabels": { "app": "web" } },
                      "template": { "metadata": { "labels": { "app": "web" } }, "spec": { "containers": containers } } } })
}

fn cronjob(init: &str, container: &str) -> Value {
    json!({ "kind": "CronJob", "apiVersion": "batch/v1", "metadata": { "name": "report", "namespace": "shop" },
            "spec": { "schedule": "0 2 * * *", "jobTemplate": { "spec": { "backoffLimit": 2, "template": { "spec": {
                "restartPolicy": "OnFailure",
                "initContainers": [{ "name": "migrate", "image": init }],
                "containers": [{ "name": "report", "image": container }] } } } } } })
}

/// The `/mutate` answer's JSONPatch operations.
fn patch(response: &Value) -> Vec<Value> {
    assert_eq!(response["patchType"], "JSONPatch", "{response}");
    let bytes = base64::engine::general_purpose::STANDARD.decode(response["patch"].as_str().unwrap()).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn warnings(response: &Value) -> Vec<String> {
    response["warnings"].as_array().map(|w| w.iter().map(|w| w.as_str().unwrap().to_string()).collect()).unwrap_or_default()
}

/// PyPI's jsonpatch's Python, or `None` (and a note) when it is not installed outside CI (as in temper-serve's tests/webhook.rs).
fn jsonpatch_python() -> Option<PathBuf> {
    let dir = std::env::var_os("TEMPER_JSONPATCH").filter(|v| !v.is_empty()).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/temper-peers/jsonpatch"));
    let python = dir.join("bin/python");
    let found = Command::new(&python).args(["-c", "import jsonpatch"]).output().is_ok_and(|o| o.status.success());
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(found || !ci, "PyPI's jsonpatch is not installed at {} (scripts/test.sh installs it; CI must run it)", dir.display());
    if !found {
        eprintln!("SKIPPED: applying the patches with PyPI's jsonpatch: not installed at {} (run scripts/test.sh or scripts/jsonpatch-peer.sh while online)", dir.display());
    }
    found.then_some(python)
}

/// The review's object with `ops` applied by PyPI's jsonpatch.
fn apply_with_python(python: &Path, review: &Value, ops: &[Value]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("object.json"), serde_json::to_vec(&review["request"]["object"]).unwrap()).unwrap();
    std::fs::write(dir.path().join("patch.json"), serde_json::to_vec(ops).unwrap()).unwrap();
    let script = "import json, sys, jsonpatch\nobj = json.load(open(sys.argv[1]))\npatch = jsonpatch.JsonPatch(json.load(open(sys.argv[2])))\nprint(json.dumps(patch.apply(obj)))";
    let out = Command::new(python).arg("-c").arg(script).arg(dir.path().join("object.json")).arg(dir.path().join("patch.json")).output().unwrap();
    assert!(out.status.success(), "jsonpatch refused the patch: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The review's object with each image at `pins`' pointers replaced by its value: what a correct patch gives.
fn pinned(review: &Value, pins: &[(&str, String)]) -> Value {
    let mut object = review["request"]["object"].clone();
    for (pointer, value) in pins {
        *object.pointer_mut(pointer).unwrap() = json!(value);
    }
    object
}

/// An advisory database made from the shared OSV records of `ecosystems`.
fn advisory_db(work: &Path, ecosystems: &[&str]) -> PathBuf {
    let db = work.join("db.sqlite");
    let shared = std::env::var_os("TEMPER_SHARED").map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"), Into::into);
    let dirs: Vec<String> = ecosystems.iter().map(|e| shared.join("advisories/osv").join(e).display().to_string()).collect();
    let mut args: Vec<&str> = vec!["db", "import"];
    args.extend(dirs.iter().map(String::as_str));
    args.extend(["--db", db.to_str().unwrap()]);
    let import = temper(&args);
    assert!(import.status.success(), "{}", import.stderr);
    db
}

/// `temper serve --admission` with `flags`, ready; its log is `work/serve-NAME.log`.
fn start(work: &Path, name: &str, tls: &TestTls, policy: &Path, db: &Path, flags: &[&str]) -> Server {
    let port = free_port();
    let log = work.join(format!("serve-{name}.log"));
    let child = Command::new(env!("CARGO_BIN_EXE_temper"))
        .args(["serve", "--admission", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--tls-cert")
        .arg(&tls.server.certificate)
        .arg("--tls-key")
        .arg(&tls.server.key)
        .arg("--policy")
        .arg(policy)
        .arg("--db")
        .arg(db)
        .arg("--cache-dir")
        .arg(work.join("cache"))
        .arg("--insecure")
        .args(flags)
        .env("DOCKER_CONFIG", work)
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
        .spawn()
        .unwrap();
    let server = Server { child, port, ca: tls.ca_pem.clone(), log };
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.curl("/readyz", None).0 != 200 {
        assert!(Instant::now() < deadline, "temper serve did not become ready: {}", server.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

#[test]
fn the_webhook_admits_signed_images_denies_unsigned_ones_and_pins_what_it_judged() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let registry = Registry::start(w, "serve", &w.join("storage"), None, &Auth::None);
    let layout = corpus_layout("distroless-like");
    for repo in ["signed", "sidecar", "unsigned", "exempt"] {
        push(w, &layout, &format!("docker://{}/lab/{repo}:1", registry.host()), true, &["--dest-tls-verify=false"]);
    }
    let key = w.join("signer");
    assert!(temper_env(&["key", "generate", "--output-prefix", key.to_str().unwrap()], &[PASSWORD]).status.success());
    let image = |repo: &str| format!("{}/lab/{repo}:1", registry.host());
    let (signed, sidecar, unsigned) = (image("signed"), image("sidecar"), image("unsigned"));
    for reference in [&signed, &sidecar] {
        let run = temper_env(&["sign", reference, "--key", &format!("{}.key", key.display()), "--insecure"], &[PASSWORD]);
        assert!(run.status.success(), "{}", run.stderr);
    }
    let seen = |repo: &str| registry.log().lines().filter(|l| l.contains(&format!("/lab/{repo}/"))).count();

    let db = advisory_db(w, &["Debian", "Go"]);
    let policy = w.join("policy.toml");
    // The image runs as 65532 but declares no HEALTHCHECK: the warn-mode check fails on it.
    std::fs::write(
        &policy,
        format!(
            "[[scope]]\nimages = [\"**\"]\nnamespaces = [\"sandbox\"]\nexempt = true\n\n[[scope]]\nimages = [\"{host}/lab/exempt:*\"]\nexempt = true\n\n[[scope]]\nimages = [\"**\"]\n\n[rules.signature]\nkeys = [\"signer.pub\"]\n\n[rules.checks]\nwarn = [\"healthcheck\"]\n",
            host = registry.host()
        ),
    )
    .unwrap();
    std::fs::create_dir(w.join("tls")).unwrap();
    let tls = TestTls::create(&w.join("tls"));
    let mut server = start(w, "main", &tls, &policy, &db, &["--budget-ms", "20000"]);
    let python = jsonpatch_python();

    // Allowed, with the warn-mode rule's warning naming the image and the rule.
    let allowed = server.review("/validate", &pod("uid-signed", &[&signed]));
    assert_eq!(allowed["allowed"], true, "{allowed}");
    assert!(allowed.get("status").is_none(), "{allowed}");
    let warned = warnings(&allowed);
    assert_eq!(warned, [format!("{signed}: checks: hardening checks failed (warn): healthcheck")]);
    assert!(warned.iter().all(|w| w.chars().count() <= MAX_WARNING_CHARS), "{warned:?}");

    let denied = server.review("/validate", &pod("uid-unsigned", &[&unsigned]));
    assert_eq!(denied["allowed"], false, "{denied}");
    assert_eq!(denied["status"]["code"], 403);
    let message = denied["status"]["message"].as_str().unwrap();
    assert!(message.starts_with(&format!("temper denied 1 image: {unsigned}: signature: ")), "{message}");

    // /mutate pins the tag to the digest that was verified; PyPI's jsonpatch applies the patch.
    let review = pod("uid-mutate", &[&signed]);
    let mutated = server.review("/mutate", &review);
    assert_eq!(mutated["allowed"], true, "{mutated}");
    let ops = patch(&mutated);
    let digest = ops[0]["value"].as_str().unwrap().strip_prefix(&format!("{signed}@")).unwrap_or_else(|| panic!("{ops:?}")).to_string();
    assert!(digest.starts_with("sha256:") && std::fs::read_to_string(layout.join("index.json")).unwrap().contains(&digest), "pinned to the pushed manifest: {digest}");
    assert_eq!(ops, [json!({ "op": "replace", "path": "/spec/containers/0/image", "value": format!("{signed}@{digest}") })]);
    if let Some(python) = &python {
        assert_eq!(apply_with_python(python, &review, &ops), pinned(&review, &[("/spec/containers/0/image", format!("{signed}@{digest}"))]));
    }

    // An exempt image, and any image in an exempt namespace or an excluded one, is admitted without a single registry request.
    let before = (seen("exempt"), seen("nowhere"));
    let exempt = server.review("/validate", &pod("uid-exempt", &[&image("exempt")]));
    assert_eq!(exempt["allowed"], true, "{exempt}");
    for (uid, namespace) in [("uid-sandbox", "sandbox"), ("uid-kube-system", "kube-system")] {
        // Never pushed: a lookup would fail and deny the review.
        let mut review = pod(uid, &[&image("nowhere")]);
        review["request"]["namespace"] = json!(namespace);
        review["request"]["object"]["metadata"]["namespace"] = json!(namespace);
        let response = server.review("/mutate", &review);
        assert_eq!(response["allowed"], true, "{response}");
        assert!(response.get("patch").is_none() && response.get("warnings").is_none(), "{response}");
    }
    assert_eq!((seen("exempt"), seen("nowhere")), before, "no request for exempt images");

    // The same image again: the verdict and the tag's digest come from the caches, no registry request.
    let before = seen("signed");
    let again = server.review("/validate", &pod("uid-again", &[&signed]));
    assert_eq!(again["allowed"], true, "{again}");
    assert_eq!(warnings(&again), warned, "the cached verdict keeps its warnings");
    assert_eq!(seen("signed"), before, "a cached verdict makes no registry request");

    // A Deployment's pod template, a signed init container and an unsigned container, as a server-side dry run.
    let mut dry = workload("uid-deploy", "apps", "Deployment", "deployments", deployment(&[("web", &unsigned)]));
    dry["request"]["object"]["spec"]["template"]["spec"]["initContainers"] = json!([{ "name": "init", "image": signed }]);
    dry["request"]["dryRun"] = json!(true);
    let denied = server.review("/validate", &dry);
    assert_eq!(denied["allowed"], false, "{denied}");
    let message = denied["status"]["message"].as_str().unwrap();
    assert!(message.contains(&unsigned) && !message.contains(&format!("{signed}:")), "only the unsigned image is named: {message}");

    // An UPDATE adding a sidecar beside the unsigned image already running, after it and then before it: only the sidecar is judged and pinned.
    // Judging the unsigned image would deny the update, so `allowed` shows it was left alone.
    let before = (seen("sidecar"), seen("unsigned"));
    for (uid, containers, at) in [("uid-update-after", [("web", unsigned.as_str()), ("proxy", sidecar.as_str())], 1), ("uid-update-before", [("proxy", sidecar.as_str()), ("web", unsigned.as_str())], 0)] {
        let mut update = workload(uid, "apps", "Deployment", "deployments", deployment(&containers));
        update["request"]["operation"] = json!("UPDATE");
        update["request"]["oldObject"] = deployment(&[("web", &unsigned)]);
        update["request"]["options"] = json!({ "kind": "UpdateOptions", "apiVersion": "meta.k8s.io/v1" });
        let updated = server.review("/mutate", &update);
        assert_eq!(updated["allowed"], true, "the image the update leaves alone is not judged: {updated}");
        assert_eq!(warnings(&updated), [format!("{sidecar}: checks: hardening checks failed (warn): healthcheck")]);
        let ops = patch(&updated);
        let sidecar_pin = (format!("/spec/template/spec/containers/{at}/image"), format!("{sidecar}@{digest}"));
        assert_eq!(ops, [json!({ "op": "replace", "path": sidecar_pin.0, "value": sidecar_pin.1 })]);
        if let Some(python) = &python {
            assert_eq!(apply_with_python(python, &update, &ops), pinned(&update, &[(&sidecar_pin.0, sidecar_pin.1.clone())]));
        }
    }
    assert!(seen("sidecar") > before.0, "the added image was looked up in the registry");
    assert_eq!(seen("unsigned"), before.1, "the image already there was not");

    // A batch/v1 CronJob: its job template's pod spec is judged and pinned at its own pointers.
    let review = workload("uid-cronjob", "batch", "CronJob", "cronjobs", cronjob(&signed, &sidecar));
    let response = server.review("/mutate", &review);
    assert_eq!(response["allowed"], true, "{response}");
    assert_eq!(warnings(&response).len(), 2, "one per image: {response}");
    let ops = patch(&response);
    let pins = [
        ("/spec/jobTemplate/spec/template/spec/initContainers/0/image", format!("{signed}@{digest}")),
        ("/spec/jobTemplate/spec/template/spec/containers/0/image", format!("{sidecar}@{digest}")),
    ];
    assert_eq!(ops, pins.iter().map(|(path, value)| json!({ "op": "replace", "path": path, "value": value })).collect::<Vec<_>>());
    if let Some(python) = &python {
        assert_eq!(apply_with_python(python, &review, &ops), pinned(&review, &pins));
    }
    let denied = server.review("/mutate", &workload("uid-cronjob-unsigned", "batch", "CronJob", "cronjobs", cronjob(&signed, &unsigned)));
    assert_eq!(denied["allowed"], false, "{denied}");
    assert!(denied.get("patch").is_none(), "a denied object is not patched: {denied}");
    let message = denied["status"]["message"].as_str().unwrap();
    assert!(message.starts_with(&format!("temper denied 1 image: {unsigned}: signature: ")), "{message}");

    let (code, metrics) = server.curl("/metrics", None);
    assert_eq!(code, 200);
    assert!(metrics.lines().any(|l| l.starts_with(r#"temper_admission_cache_hits_total{cache="verdict"} "#)), "{metrics}");

    // A new certificate and key written over the files while the server runs: the next handshake presents it.
    assert_eq!(server.presented(), pem(&tls.server.certificate));
    std::fs::create_dir(w.join("tls-rotated")).unwrap();
    let rotated = TestTls::create(&w.join("tls-rotated"));
    assert_ne!(pem(&rotated.server.certificate), pem(&tls.server.certificate));
    std::fs::rename(&rotated.server.key, &tls.server.key).unwrap();
    std::fs::rename(&rotated.server.certificate, &tls.server.certificate).unwrap();
    assert_eq!(server.presented(), pem(&tls.server.certificate), "the rotated certificate is presented");
    assert_eq!(server.curl("/healthz", None).0, 0, "the old CA no longer verifies the server");
    server.ca = rotated.ca_pem.clone();
    assert_eq!(server.review("/validate", &pod("uid-rotated", &[&signed]))["allowed"], true);
}

/// A loopback listener that completes TCP handshakes and never sends a byte: a registry that does not answer.
struct Silent {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl Silent {
    fn start() -> Silent {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&connections);
        // The thread holds every connection open until the test process ends.
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().flatten() {
                counted.fetch_add(1, Ordering::SeqCst);
                held.push(stream);
            }
        });
        Silent { port, connections }
    }
}

#[test]
fn an_image_whose_registry_never_answers_gets_the_on_timeout_answer() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let db = advisory_db(w, &["Debian"]);
    let policy = w.join("policy.toml");
    std::fs::write(&policy, "[[scope]]\nimages = [\"**\"]\n\n[rules.checks]\nwarn = [\"healthcheck\"]\n").unwrap();
    let tls = TestTls::create(w);
    let silent = Silent::start();
    let image = format!("127.0.0.1:{}/x:1", silent.port);

    let deny = start(w, "deny", &tls, &policy, &db, &["--budget-ms", "1500"]);
    let denied = deny.review("/validate", &pod("uid-timeout-deny", &[&image]));
    assert_eq!(denied["allowed"], false, "{denied}");
    assert_eq!(denied["status"]["message"], format!("temper could not judge 1 image (on-timeout=deny): {image}: not judged within the review's 1500 ms budget"));
    assert!(denied["auditAnnotations"]["unjudged"].as_str().unwrap().contains(&image), "{denied}");
    assert!(silent.connections.load(Ordering::SeqCst) >= 1, "the server asked the silent registry");
    let (_, metrics) = deny.curl("/metrics", None);
    assert!(metrics.lines().any(|l| l == r#"temper_admission_images_total{outcome="timeout"} 1"#), "{metrics}");

    let allow = start(w, "allow", &tls, &policy, &db, &["--budget-ms", "1500", "--on-timeout", "allow"]);
    let admitted = allow.review("/mutate", &pod("uid-timeout-allow", &[&image]));
    assert_eq!(admitted["allowed"], true, "{admitted}");
    assert_eq!(warnings(&admitted), [format!("admitted unjudged (on-timeout=allow): {image}: not judged within the review's 1500 ms budget")]);
    assert!(admitted.get("patch").is_none(), "an unjudged image is not pinned: {admitted}");
}
