//! `temper serve --admission` end to end with the real judge: HTTPS on
//! loopback, AdmissionReviews naming images in Debian's `docker-registry`,
//! one signed with the policy's key and one not; a policy that requires the
//! signature. Allowed, denied with the rule named, pinned by `/mutate`, and
//! an exempt image that makes no registry request (the registry's log).

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

#[allow(dead_code)]
mod registry_support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use registry_support::{Auth, Registry, corpus_layout, pki::TestTls, push, temper, temper_env};
use serde_json::{Value, json};

const PASSWORD: (&str, &str) = ("TEMPER_PASSWORD", "s3cret");

/// The server, killed when dropped.
struct Server {
    child: Child,
    port: u16,
    ca: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn curl(&self, path: &str, body: Option<&Value>) -> (u16, String) {
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "--max-time", "20", "-o", "-", "-w", "\n%{http_code}", "--cacert", &self.ca]);
        if let Some(b) = body {
            cmd.args(["-H", "Content-Type: application/json", "--data-binary", &b.to_string()]);
        }
        let out = cmd.arg(format!("https://127.0.0.1:{}{path}", self.port)).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (code.trim().parse().unwrap_or(0), body.to_owned())
    }

    fn review(&self, path: &str, review: &Value) -> Value {
        let (code, body) = self.curl(path, Some(review));
        assert_eq!(code, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn pod(uid: &str, image: &str) -> Value {
    json!({
        "kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": uid,
            "kind": { "group": "", "version": "v1", "kind": "Pod" },
            "resource": { "group": "", "version": "v1", "resource": "pods" },
            "namespace": "shop", "operation": "CREATE",
            "userInfo": { "username": "alice" },
            "object": { "kind": "Pod", "apiVersion": "v1", "metadata": { "name": "web", "namespace": "shop" },
                        "spec": { "containers": [{ "name": "web", "image": image }] } },
            "oldObject": null, "dryRun": false, "options": { "kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1" }
        }
    })
}

fn start(work: &Path, tls: &TestTls, policy: &Path, db: &Path) -> Server {
    let port = free_port();
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
        .args(["--insecure", "--budget-ms", "20000"])
        .env("DOCKER_CONFIG", work)
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(work.join("serve.log")).unwrap()))
        .spawn()
        .unwrap();
    let server = Server { child, port, ca: tls.ca_pem.display().to_string() };
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.curl("/readyz", None).0 != 200 {
        assert!(Instant::now() < deadline, "temper serve did not become ready: {}", std::fs::read_to_string(work.join("serve.log")).unwrap_or_default());
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
    for repo in ["signed", "unsigned", "exempt"] {
        push(w, &layout, &format!("docker://{}/lab/{repo}:1", registry.host()), true, &["--dest-tls-verify=false"]);
    }
    let key = w.join("signer");
    assert!(temper_env(&["key", "generate", "--output-prefix", key.to_str().unwrap()], &[PASSWORD]).status.success());
    let signed = format!("{}/lab/signed:1", registry.host());
    let run = temper_env(&["sign", &signed, "--key", &format!("{}.key", key.display()), "--insecure"], &[PASSWORD]);
    assert!(run.status.success(), "{}", run.stderr);

    let db = w.join("db.sqlite");
    let shared = std::env::var_os("TEMPER_SHARED").map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"), Into::into);
    let osv = |e: &str| shared.join("advisories/osv").join(e).display().to_string();
    let (debian, go) = (osv("Debian"), osv("Go"));
    let import = temper(&["db", "import", &debian, &go, "--db", db.to_str().unwrap()]);
    assert!(import.status.success(), "{}", import.stderr);
    let policy = w.join("policy.toml");
    std::fs::write(
        &policy,
        format!("[[scope]]\nimages = [\"{host}/lab/exempt:*\"]\nexempt = true\n\n[[scope]]\nimages = [\"**\"]\n\n[rules.signature]\nkeys = [\"signer.pub\"]\n", host = registry.host()),
    )
    .unwrap();
    let tls = TestTls::create(w);
    let server = start(w, &tls, &policy, &db);

    let allowed = server.review("/validate", &pod("uid-signed", &signed));
    assert_eq!(allowed["response"]["uid"], "uid-signed");
    assert_eq!(allowed["response"]["allowed"], true, "{allowed}");

    let unsigned = format!("{}/lab/unsigned:1", registry.host());
    let denied = server.review("/validate", &pod("uid-unsigned", &unsigned));
    assert_eq!(denied["response"]["allowed"], false, "{denied}");
    let message = denied["response"]["status"]["message"].as_str().unwrap();
    assert!(message.contains(&unsigned) && message.contains("signature"), "{message}");

    // /mutate pins the tag to the digest that was verified; the patch applies.
    let mutated = server.review("/mutate", &pod("uid-mutate", &signed));
    assert_eq!(mutated["response"]["allowed"], true, "{mutated}");
    assert_eq!(mutated["response"]["patchType"], "JSONPatch");
    let patch: Value = serde_json::from_slice(&base64::engine::general_purpose::STANDARD.decode(mutated["response"]["patch"].as_str().unwrap()).unwrap()).unwrap();
    let digest = std::fs::read_to_string(layout.join("index.json")).unwrap();
    let pinned = patch[0]["value"].as_str().unwrap();
    assert!(pinned.starts_with(&format!("{signed}@sha256:")), "{patch}");
    assert!(digest.contains(pinned.rsplit_once('@').unwrap().1), "pinned to the pushed manifest: {pinned}");
    assert_eq!(patch[0]["path"], "/spec/containers/0/image");

    // An exempt image is admitted without a single registry request.
    let before = registry.log().lines().filter(|l| l.contains("/lab/exempt/")).count();
    let exempt = server.review("/validate", &pod("uid-exempt", &format!("{}/lab/exempt:1", registry.host())));
    assert_eq!(exempt["response"]["allowed"], true, "{exempt}");
    assert_eq!(registry.log().lines().filter(|l| l.contains("/lab/exempt/")).count(), before, "no request for the exempt image");

    // The same image again: the verdict and the tag's digest come from the caches, no registry request.
    let seen = |repo: &str| registry.log().lines().filter(|l| l.contains(&format!("/lab/{repo}/"))).count();
    let before = seen("signed");
    let again = server.review("/validate", &pod("uid-again", &signed));
    assert_eq!(again["response"]["allowed"], true, "{again}");
    assert_eq!(seen("signed"), before, "a cached verdict makes no registry request");

    // A Deployment's pod template, a signed init container and an unsigned container, as a server-side dry run.
    let mut deployment = pod("uid-deploy", &signed);
    let template = json!({ "metadata": { "labels": { "app": "web" } }, "spec": { "initContainers": [{ "name": "init", "image": signed }], "containers": [{ "name": "web", "image": unsigned }] } });
    deployment["request"]["kind"] = json!({ "group": "apps", "version": "v1", "kind": "Deployment" });
    deployment["request"]["resource"] = json!({ "group": "apps", "version": "v1", "resource": "deployments" });
    deployment["request"]["dryRun"] = json!(true);
    deployment["request"]["object"] = json!({ "kind": "Deployment", "apiVersion": "apps/v1", "metadata": { "name": "web", "namespace": "shop" }, "spec": { "replicas": 2, "selector": { "matchLabels": { "app": "web" } }, "template": template } });
    let denied = server.review("/validate", &deployment);
    assert_eq!(denied["response"]["uid"], "uid-deploy");
    assert_eq!(denied["response"]["allowed"], false, "{denied}");
    let message = denied["response"]["status"]["message"].as_str().unwrap();
    assert!(message.contains(&unsigned) && !message.contains(&format!("{signed}:")), "only the unsigned image is named: {message}");

    let (code, metrics) = server.curl("/metrics", None);
    assert_eq!(code, 200);
    assert!(metrics.lines().any(|l| l.starts_with("temper_admission_") || l.contains("verdict")), "{metrics}");
}
