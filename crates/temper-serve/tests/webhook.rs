//! The webhook end to end over HTTPS on loopback, with real AdmissionReview
//! documents (tests/fixtures/, SOURCE.md says where their shape comes from)
//! and a fake judge that counts its calls: allow, deny naming image and
//! rule, warnings, JSONPatch pins applied by PyPI's jsonpatch, the timeout
//! and registry-error paths, exempt images and excluded namespaces with no
//! judge call, the verdict cache, dryRun, readiness, metrics, bad bodies,
//! certificate reload and graceful shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::{FakeJudge, fake_digest, fixture, patch, presented, start};
use hyper::StatusCode;
use serde_json::{Value, json};
use temper_serve::{Decision, OnTimeout};

/// PyPI's jsonpatch's Python, or `None` (and a note) when it is not installed outside CI.
fn jsonpatch_python() -> Option<PathBuf> {
    let dir = std::env::var_os("TEMPER_JSONPATCH").filter(|v| !v.is_empty()).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/temper-peers/jsonpatch"));
    let python = dir.join("bin/python");
    let found = Command::new(&python).args(["-c", "import jsonpatch"]).output().is_ok_and(|o| o.status.success());
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(found || !ci, "PyPI's jsonpatch is not installed at {} (scripts/test.sh installs it; CI must run it)", dir.display());
    if !found {
        eprintln!("SKIPPED: PyPI's jsonpatch is not installed at {} (run scripts/test.sh or scripts/jsonpatch-peer.sh while online)", dir.display());
    }
    found.then_some(python)
}

/// `object` with `patch` applied by PyPI's jsonpatch.
fn apply_with_python(python: &PathBuf, object: &Value, patch: &[Value]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("object.json"), serde_json::to_vec(object).unwrap()).unwrap();
    std::fs::write(dir.path().join("patch.json"), serde_json::to_vec(patch).unwrap()).unwrap();
    let script = "import json, sys, jsonpatch\nobj = json.load(open(sys.argv[1]))\npatch = jsonpatch.JsonPatch(json.load(open(sys.argv[2])))\nprint(json.dumps(patch.apply(obj)))";
    let out = Command::new(python).arg("-c").arg(script).arg(dir.path().join("object.json")).arg(dir.path().join("patch.json")).output().unwrap();
    assert!(out.status.success(), "jsonpatch refused the patch: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn images_at(object: &Value, spec: &str) -> Vec<String> {
    let spec = object.pointer(spec).unwrap();
    ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .flat_map(|l| spec.get(*l).and_then(Value::as_array).cloned().unwrap_or_default())
        .map(|c| c["image"].as_str().unwrap().to_string())
        .collect()
}

fn judge() -> Arc<FakeJudge> {
    Arc::new(FakeJudge::default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_create_is_allowed_with_the_uid_echoed_and_every_image_judged() {
    let j = judge();
    let server = start(j.clone(), |_| {}).await;
    let response = server.review("/validate", &fixture("pod-create.json")).await;
    assert_eq!(response["allowed"], true);
    assert!(response.get("status").is_none() && response.get("patch").is_none(), "{response}");
    let mut judged: Vec<String> = j.calls().into_iter().filter_map(|c| c.strip_prefix("judge ").map(str::to_string)).collect();
    judged.sort();
    assert_eq!(judged, ["registry.test/mesh/proxy:2.0", "registry.test/shop/migrate:3.1", "registry.test/shop/web:3.1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_denied_with_a_message_naming_each_image_and_rule() {
    let j = judge();
    j.set("registry.test/shop/cache:0.9", Decision::Deny, &["no-critical: 2 critical vulnerabilities (CVE-2026-1111, CVE-2026-2222)", "signed: no signature by the release key"], &[]);
    j.set("registry.test/tools/wait-for:1.2", Decision::Deny, &["max-age: the image was built 412 days ago (limit 365)"], &[]);
    let server = start(j.clone(), |_| {}).await;
    for path in ["/validate", "/mutate"] {
        let response = server.review(path, &fixture("deployment-create.json")).await;
        assert_eq!(response["allowed"], false, "{response}");
        assert!(response.get("patch").is_none(), "a denied object is not patched: {response}");
        assert_eq!(response["status"]["code"], 403);
        let message = response["status"]["message"].as_str().unwrap();
        assert!(message.starts_with("temper denied 2 images: "), "{message}");
        for part in ["registry.test/shop/cache:0.9: no-critical: 2 critical vulnerabilities (CVE-2026-1111, CVE-2026-2222); signed: no signature by the release key", "registry.test/tools/wait-for:1.2: max-age: the image was built 412 days ago"] {
            assert!(message.contains(part), "{message} lacks {part}");
        }
        assert!(!message.contains("registry.test/shop/api:2.7"), "an allowed image is not blamed: {message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warn_rules_become_warnings_of_at_most_120_characters() {
    let j = judge();
    let long = format!("base-age: the base image debian:bookworm-20250101 is old; {}", "rebuild it on a newer base ".repeat(8));
    j.set("registry.test/shop/web:3.1", Decision::Warn, &[], &["user: runs as root", &long]);
    let server = start(j.clone(), |_| {}).await;
    let response = server.review("/validate", &fixture("pod-create.json")).await;
    assert_eq!(response["allowed"], true);
    let warnings: Vec<&str> = response["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert_eq!(warnings[0], "registry.test/shop/web:3.1: user: runs as root");
    assert!(warnings[1].starts_with("registry.test/shop/web:3.1: base-age: the base image"), "{}", warnings[1]);
    assert!(warnings.iter().all(|w| w.chars().count() <= 120), "{warnings:?}");
    assert!(warnings[1].ends_with('…') && warnings[1].chars().count() == 120);
}

/// Pod, Deployment and CronJob (and the other pod-template kinds): the patch pins each tag to the verified digest at the right pointer, and PyPI's jsonpatch applies it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutate_pins_tags_to_the_verified_digests_with_a_patch_jsonpatch_applies() {
    let j = judge();
    let server = start(j.clone(), |_| {}).await;
    let python = jsonpatch_python();
    let deployment = fixture("deployment-create.json");
    let mut reviews = vec![
        (fixture("pod-create.json"), "/spec"),
        (deployment.clone(), "/spec/template/spec"),
        (fixture("cronjob-update.json"), "/spec/jobTemplate/spec/template/spec"),
        (fixture("pod-ephemeralcontainers-update.json"), "/spec"),
    ];
    for (kind, group, resource) in [("ReplicaSet", "apps", "replicasets"), ("StatefulSet", "apps", "statefulsets"), ("DaemonSet", "apps", "daemonsets"), ("Job", "batch", "jobs")] {
        let mut review = deployment.clone();
        review["request"]["kind"] = json!({"group": group, "version": "v1", "kind": kind});
        review["request"]["resource"] = json!({"group": group, "version": "v1", "resource": resource});
        review["request"]["object"]["kind"] = json!(kind);
        review["request"]["object"]["apiVersion"] = json!(format!("{group}/v1"));
        review["request"]["uid"] = json!(format!("uid-{resource}"));
        reviews.push((review, "/spec/template/spec"));
    }
    for (review, spec) in reviews {
        let response = server.review("/mutate", &review).await;
        assert_eq!(response["allowed"], true, "{response}");
        let ops = patch(&response);
        let object = &review["request"]["object"];
        let before = images_at(object, spec);
        // Adding an ephemeral container leaves the others alone: only the new one is pinned.
        let pinned_count = if review["request"]["subResource"] == "ephemeralcontainers" { 1 } else { before.len() };
        assert_eq!(ops.len(), pinned_count, "one op per container: {ops:?}");
        for op in &ops {
            assert_eq!(op["op"], "replace");
            let path = op["path"].as_str().unwrap();
            assert!(path.starts_with(&format!("{spec}/")) && path.ends_with("/image"), "{path}");
            let old = object.pointer(path).unwrap().as_str().unwrap();
            assert_eq!(op["value"], format!("{old}@{}", fake_digest(old)));
        }
        if let Some(python) = &python {
            let patched = apply_with_python(python, object, &ops);
            let after = images_at(&patched, spec);
            let unpinned = before.len() - pinned_count;
            let want: Vec<String> = before.iter().enumerate().map(|(n, i)| if n < unpinned { i.clone() } else { format!("{i}@{}", fake_digest(i)) }).collect();
            assert_eq!(after, want, "the patched object's images");
            // Nothing but the pinned images changed.
            let mut restored = patched.clone();
            for op in &ops {
                let path = op["path"].as_str().unwrap();
                *restored.pointer_mut(path).unwrap() = object.pointer(path).unwrap().clone();
            }
            assert_eq!(&restored, object);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_already_pinned_by_digest_gets_no_patch() {
    let j = judge();
    let server = start(j.clone(), |_| {}).await;
    let mut review = fixture("pod-create-dryrun.json");
    let pinned = format!("registry.test/shop/web@sha256:{}", "ab".repeat(32));
    review["request"]["object"]["spec"]["containers"][0]["image"] = json!(pinned);
    let response = server.review("/mutate", &review).await;
    assert_eq!(response["allowed"], true);
    assert!(response.get("patch").is_none(), "{response}");
    assert_eq!(j.calls(), [format!("resolve {pinned}"), format!("judge {pinned}")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_past_its_budget_is_denied_with_the_reason_without_waiting_for_the_judge() {
    let j = judge();
    j.slow.lock().unwrap().insert("registry.test/shop/proxy-never:1".into(), Duration::from_secs(6));
    let server = start(j.clone(), |c| c.budget = Duration::from_millis(400)).await;
    let mut review = fixture("pod-create.json");
    review["request"]["object"]["spec"]["containers"][1]["image"] = json!("registry.test/shop/proxy-never:1");
    let started = Instant::now();
    let response = server.review("/validate", &review).await;
    let elapsed = started.elapsed();
    assert_eq!(response["allowed"], false, "{response}");
    let message = response["status"]["message"].as_str().unwrap();
    assert_eq!(message, "temper could not judge 1 image (on-timeout=deny): registry.test/shop/proxy-never:1: not judged within the review's 400 ms budget");
    assert!(response["auditAnnotations"]["unjudged"].as_str().unwrap().contains("proxy-never"));
    // The judge sleeps 6 s: answering at all before it returns shows the review did not wait for it.
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_timeout_allow_admits_with_a_warning_giving_the_reason() {
    let j = judge();
    j.slow.lock().unwrap().insert("registry.test/shop/web:3.1".into(), Duration::from_secs(6));
    let server = start(j.clone(), |c| {
        c.budget = Duration::from_millis(300);
        c.on_timeout = OnTimeout::Allow;
    })
    .await;
    let response = server.review("/mutate", &fixture("pod-create.json")).await;
    assert_eq!(response["allowed"], true, "{response}");
    let warnings = response["warnings"].as_array().unwrap();
    assert!(warnings.iter().any(|w| w.as_str().unwrap().starts_with("admitted unjudged (on-timeout=allow): registry.test/shop/web:3.1: not judged within")), "{warnings:?}");
    // Only the images that were judged are pinned.
    let paths: Vec<String> = patch(&response).iter().map(|op| op["path"].as_str().unwrap().to_string()).collect();
    assert_eq!(paths, ["/spec/initContainers/0/image", "/spec/containers/1/image"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_error_follows_on_timeout_and_is_counted() {
    let j = Arc::new(FakeJudge { unreachable: vec!["registry.test/mesh/proxy:2.0".into()], ..FakeJudge::default() });
    let server = start(j.clone(), |_| {}).await;
    let response = server.review("/validate", &fixture("pod-create.json")).await;
    assert_eq!(response["allowed"], false);
    assert_eq!(response["status"]["message"], "temper could not judge 1 image (on-timeout=deny): registry.test/mesh/proxy:2.0: registry: GET https://registry.test/v2/: connection refused");
    let (_, metrics) = server.get("/metrics").await;
    assert!(metrics.lines().any(|l| l == "temper_admission_registry_errors_total 1"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exempt_images_make_no_registry_call() {
    let j = Arc::new(FakeJudge { exempt_prefixes: vec!["registry.test/shop/".into()], ..FakeJudge::default() });
    let server = start(j.clone(), |_| {}).await;
    let response = server.review("/mutate", &fixture("pod-create.json")).await;
    assert_eq!(response["allowed"], true);
    // Only the proxy is outside the exempt prefix: it alone is resolved, judged and pinned.
    assert_eq!(j.calls(), ["resolve registry.test/mesh/proxy:2.0", "judge registry.test/mesh/proxy:2.0"]);
    let paths: Vec<String> = patch(&response).iter().map(|op| op["path"].as_str().unwrap().to_string()).collect();
    assert_eq!(paths, ["/spec/containers/1/image"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn excluded_namespaces_deletes_and_other_subresources_are_admitted_without_a_look() {
    let j = judge();
    j.set("registry.test/shop/web:3.1", Decision::Deny, &["never"], &[]);
    let server = start(j.clone(), |_| {}).await;
    let mut in_kube_system = fixture("pod-create.json");
    in_kube_system["request"]["namespace"] = json!("kube-system");
    let mut delete = fixture("pod-create.json");
    delete["request"]["operation"] = json!("DELETE");
    let mut status = fixture("pod-ephemeralcontainers-update.json");
    status["request"]["subResource"] = json!("status");
    for review in [in_kube_system, delete, status] {
        let response = server.review("/validate", &review).await;
        assert_eq!(response["allowed"], true, "{response}");
    }
    assert!(j.calls().is_empty(), "{:?}", j.calls());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_review_of_the_same_images_is_answered_from_the_cache() {
    let j = judge();
    j.set("registry.test/batch/report:2.2", Decision::Warn, &[], &["user: runs as root"]);
    let server = start(j.clone(), |_| {}).await;
    let first = server.review("/validate", &fixture("cronjob-update.json")).await;
    let second = server.review("/mutate", &fixture("cronjob-update.json")).await;
    assert_eq!(first["warnings"], second["warnings"]);
    assert_eq!(j.calls(), ["resolve registry.test/batch/report:2.2", "judge registry.test/batch/report:2.2"]);
    let (_, metrics) = server.get("/metrics").await;
    assert!(metrics.lines().any(|l| l == r#"temper_admission_cache_hits_total{cache="verdict"} 1"#), "{metrics}");
    assert!(metrics.lines().any(|l| l == r#"temper_admission_cache_misses_total{cache="verdict"} 1"#), "{metrics}");
    // A new policy or advisory DB is a new generation: the image is judged again.
    *j.generation.lock().unwrap() = "policy sha256:2 db 2026-12-07".into();
    server.review("/validate", &fixture("cronjob-update.json")).await;
    assert_eq!(j.judged.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reviews_of_one_cold_image_share_one_assessment() {
    let j = judge();
    j.slow.lock().unwrap().insert("registry.test/batch/report:2.2".into(), Duration::from_millis(300));
    let server = Arc::new(start(j.clone(), |_| {}).await);
    let review = fixture("cronjob-update.json");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (server, review) = (Arc::clone(&server), review.clone());
        tasks.push(tokio::spawn(async move { server.review("/validate", &review).await }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap()["allowed"], true);
    }
    assert_eq!(j.judged.load(Ordering::SeqCst), 1, "{:?}", j.calls());
    assert_eq!(j.resolved.load(Ordering::SeqCst), 1, "{:?}", j.calls());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_is_answered_like_a_real_request_and_the_judge_is_told() {
    let j = judge();
    j.set("registry.test/shop/web:3.1", Decision::Deny, &["no-critical: 1 critical vulnerability (CVE-2026-3333)"], &[]);
    let server = start(j.clone(), |_| {}).await;
    let response = server.review("/validate", &fixture("pod-create-dryrun.json")).await;
    assert_eq!(response["allowed"], false);
    assert_eq!(response["status"]["message"], "temper denied 1 image: registry.test/shop/web:3.1: no-critical: 1 critical vulnerability (CVE-2026-3333)");
    assert_eq!(*j.dry_runs.lock().unwrap(), [true]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_follows_the_judge_and_healthz_is_always_up() {
    let j = judge();
    j.not_ready.store(true, Ordering::SeqCst);
    let server = start(j.clone(), |_| {}).await;
    assert_eq!(server.get("/healthz").await.0, StatusCode::OK);
    let (status, body) = server.get("/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("not ready"), "{body}");
    j.not_ready.store(false, Ordering::SeqCst);
    assert_eq!(server.get("/readyz").await, (StatusCode::OK, "ready\n".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_prometheus_text_that_counts_requests_reviews_and_latency() {
    let j = judge();
    j.set("registry.test/shop/cache:0.9", Decision::Deny, &["no"], &[]);
    let server = start(j.clone(), |_| {}).await;
    server.review("/validate", &fixture("pod-create.json")).await;
    server.review("/validate", &fixture("deployment-create.json")).await;
    server.review("/mutate", &fixture("pod-create.json")).await;
    let (status, _) = server.post("/validate", "not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, text) = server.get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    // Every line is a comment, `# EOF`, or `name{labels} value` with a number.
    let mut samples = std::collections::HashMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (name, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("not a number: {line}"));
        samples.insert(name.to_string(), value);
    }
    assert!(text.trim_end().ends_with("# EOF"));
    assert_eq!(samples[r#"temper_admission_requests_total{endpoint="validate",code="200"}"#], 2.0);
    assert_eq!(samples[r#"temper_admission_requests_total{endpoint="validate",code="400"}"#], 1.0);
    assert_eq!(samples[r#"temper_admission_requests_total{endpoint="mutate",code="200"}"#], 1.0);
    assert_eq!(samples[r#"temper_admission_reviews_total{endpoint="validate",answer="allowed"}"#], 1.0);
    assert_eq!(samples[r#"temper_admission_reviews_total{endpoint="validate",answer="denied"}"#], 1.0);
    assert_eq!(samples[r#"temper_admission_review_duration_seconds_count{endpoint="validate"}"#], 2.0);
    assert_eq!(samples[r#"temper_admission_review_duration_seconds_bucket{le="+Inf",endpoint="validate"}"#], 2.0);
    assert_eq!(samples[r#"temper_admission_images_total{outcome="deny"}"#], 1.0);
    // 3 distinct images in the pod (twice, the second from the cache), 3 in the deployment.
    assert_eq!(samples[r#"temper_admission_cache_hits_total{cache="verdict"}"#], 3.0);
    assert_eq!(samples[r#"temper_admission_cache_misses_total{cache="verdict"}"#], 6.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_get_a_clear_4xx_and_the_server_goes_on() {
    let j = judge();
    // A refused body is drained (up to 1 MiB) before the 413, so a client still sending reads the reason instead of a reset.
    let server = start(j.clone(), |c| c.max_body = 64 * 1024).await;
    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        (b"\x00\xff garbage".to_vec(), StatusCode::BAD_REQUEST, "the body is not an AdmissionReview: "),
        (br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"1","kind":{}}}"#.to_vec(), StatusCode::BAD_REQUEST, "not an admission.k8s.io/v1 AdmissionReview"),
        (br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"","kind":{}}}"#.to_vec(), StatusCode::BAD_REQUEST, "empty uid"),
        (format!("[{}]", "[".repeat(5000)).into_bytes(), StatusCode::BAD_REQUEST, "the body is not an AdmissionReview"),
        (vec![b' '; 64 * 1024 + 1], StatusCode::PAYLOAD_TOO_LARGE, "larger than the 65536-byte limit"),
        (vec![b' '; 900 * 1024], StatusCode::PAYLOAD_TOO_LARGE, "larger than the 65536-byte limit"),
    ];
    for (body, want, text) in cases {
        let (status, reply) = server.post("/validate", body).await;
        let reply = String::from_utf8(reply.to_vec()).unwrap();
        assert_eq!(status, want, "{reply}");
        assert!(reply.contains(text), "{reply}");
        assert_eq!(reply.trim_end().lines().count(), 1, "one line: {reply}");
    }
    assert_eq!(server.get("/validate").await.0, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(server.get("/nope").await.0, StatusCode::NOT_FOUND);
    assert_eq!(server.review("/validate", &fixture("pod-create.json")).await["allowed"], true);
}

/// cert-manager's Secret volume: `tls.crt -> ..data/tls.crt`, `..data -> ..<timestamp>`; a rotation writes a new timestamped directory and swaps `..data`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_certificate_is_presented_at_the_next_handshake() {
    use std::os::unix::fs::symlink;
    let j = judge();
    let volume = tempfile::tempdir().unwrap();
    let v = volume.path().to_path_buf();
    let ca = common::Ca::new("rotation CA");
    let (cert1, key1, der1) = ca.issue("webhook one");
    std::fs::create_dir(v.join("..2026_12_07_01")).unwrap();
    std::fs::write(v.join("..2026_12_07_01/tls.crt"), &cert1).unwrap();
    std::fs::write(v.join("..2026_12_07_01/tls.key"), &key1).unwrap();
    symlink("..2026_12_07_01", v.join("..data")).unwrap();
    symlink("..data/tls.crt", v.join("tls.crt")).unwrap();
    symlink("..data/tls.key", v.join("tls.key")).unwrap();
    let mut server = start(j.clone(), |c| {
        c.tls_cert = v.join("tls.crt");
        c.tls_key = v.join("tls.key");
    })
    .await;
    server.ca = ca;
    assert_eq!(presented(server.addr, &server.ca.der).await, der1);
    // A new pair, swapped in atomically as the kubelet does.
    let (cert2, key2, der2) = server.ca.issue("webhook two");
    std::fs::create_dir(v.join("..2026_12_07_02")).unwrap();
    std::fs::write(v.join("..2026_12_07_02/tls.crt"), &cert2).unwrap();
    std::fs::write(v.join("..2026_12_07_02/tls.key"), &key2).unwrap();
    symlink("..2026_12_07_02", v.join("..data_tmp")).unwrap();
    std::fs::rename(v.join("..data_tmp"), v.join("..data")).unwrap();
    assert_eq!(presented(server.addr, &server.ca.der).await, der2);
    // A broken pair (a key that is not the certificate's) keeps the previous certificate in service.
    let (cert3, _, _) = server.ca.issue("webhook three");
    std::fs::create_dir(v.join("..2026_12_07_03")).unwrap();
    std::fs::write(v.join("..2026_12_07_03/tls.crt"), &cert3).unwrap();
    std::fs::write(v.join("..2026_12_07_03/tls.key"), &key1).unwrap();
    symlink("..2026_12_07_03", v.join("..data_tmp")).unwrap();
    std::fs::rename(v.join("..data_tmp"), v.join("..data")).unwrap();
    assert_eq!(presented(server.addr, &server.ca.der).await, der2);
    assert_eq!(server.review("/validate", &fixture("pod-create.json")).await["allowed"], true);
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_review_in_flight() {
    let j = judge();
    j.slow.lock().unwrap().insert("registry.test/batch/report:2.2".into(), Duration::from_millis(800));
    let mut server = start(j.clone(), |_| {}).await;
    let (addr, ca) = (server.addr, server.ca.der.clone());
    let body = serde_json::to_vec(&fixture("cronjob-update.json")).unwrap();
    let in_flight = tokio::spawn(async move { common::request(addr, &ca, "POST", "/validate", body.into()).await });
    // Stop once the judge is at work on the review.
    while j.judged.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.stop();
    let (status, body) = in_flight.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    let out: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(out["response"]["allowed"], true);
    tokio::time::timeout(Duration::from_secs(10), &mut server.task).await.expect("the server stops after the review").unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "the listener is closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_over_http2_is_answered() {
    let j = judge();
    let server = start(j.clone(), |_| {}).await;
    let review = fixture("deployment-create.json");
    let (status, body) = common::post_h2(server.addr, &server.ca.der, "/mutate", serde_json::to_vec(&review).unwrap().into()).await;
    assert_eq!(status, StatusCode::OK);
    let out: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(out["response"]["uid"], review["request"]["uid"]);
    assert_eq!(patch(&out["response"]).len(), 3);
}

/// After the stop signal, /readyz fails at once so the Service drops the pod, while reviews are still answered until the drain delay ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_draining_readyz_fails_and_reviews_are_still_answered() {
    let j = judge();
    let mut server = start(j.clone(), |c| c.drain_delay = Duration::from_secs(3)).await;
    assert_eq!(server.get("/readyz").await.0, StatusCode::OK);
    server.stop();
    let mut status = StatusCode::OK;
    for _ in 0..100 {
        status = server.get("/readyz").await.0;
        if status != StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(server.get("/readyz").await.1, "not ready: shutting down\n");
    assert_eq!(server.review("/validate", &fixture("pod-create.json")).await["allowed"], true);
    tokio::time::timeout(Duration::from_secs(15), &mut server.task).await.expect("the server stops after the drain").unwrap();
}

/// An UPDATE that leaves the images where they were (a label, the replica count) neither judges nor pins them; a changed image is both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_judges_and_pins_only_the_images_it_changes() {
    let j = judge();
    j.set("registry.test/shop/api:2.7", Decision::Deny, &["no-critical: 1 critical vulnerability"], &[]);
    let server = start(j.clone(), |_| {}).await;
    let mut relabel = fixture("deployment-create.json");
    relabel["request"]["operation"] = json!("UPDATE");
    relabel["request"]["oldObject"] = relabel["request"]["object"].clone();
    relabel["request"]["object"]["metadata"]["labels"]["team"] = json!("shop");
    relabel["request"]["object"]["spec"]["replicas"] = json!(5);
    let response = server.review("/mutate", &relabel).await;
    assert_eq!(response["allowed"], true, "an image denied now does not block an update that leaves it alone: {response}");
    assert!(response.get("patch").is_none());
    assert!(j.calls().is_empty(), "{:?}", j.calls());
    // The cache container's image changes: it alone is judged and pinned.
    let mut bump = relabel.clone();
    bump["request"]["object"]["spec"]["template"]["spec"]["containers"][1]["image"] = json!("registry.test/shop/cache:1.0");
    let response = server.review("/mutate", &bump).await;
    assert_eq!(response["allowed"], true);
    let ops = patch(&response);
    assert_eq!(ops, [json!({"op": "replace", "path": "/spec/template/spec/containers/1/image", "value": format!("registry.test/shop/cache:1.0@{}", fake_digest("registry.test/shop/cache:1.0"))})]);
    assert_eq!(j.calls(), ["resolve registry.test/shop/cache:1.0", "judge registry.test/shop/cache:1.0"]);
}

/// Tens of thousands of containers: one answer, quickly, and no judge call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_with_too_many_images_gets_one_unjudged_answer() {
    let j = judge();
    let server = start(j.clone(), |_| {}).await;
    let mut huge = fixture("pod-create.json");
    let containers: Vec<Value> = (0..30_000).map(|i| json!({"name": format!("c{i}"), "image": format!("registry.test/many/c{i}:1")})).collect();
    huge["request"]["object"]["spec"]["containers"] = json!(containers);
    let response = server.review("/validate", &huge).await;
    assert_eq!(response["allowed"], false);
    assert_eq!(response["status"]["message"], "temper could not judge the object (on-timeout=deny): the object names 30001 distinct images, more than the 256 temper judges in one review");
    assert!(j.calls().is_empty());
}
