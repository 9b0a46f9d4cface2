//! The server's logs are JSON lines: one per review with its uid, kind,
//! namespace, answer and duration, and the reasons of a denial. Its own test
//! binary, because the log subscriber is process-wide.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{FakeJudge, fixture, start};
use serde_json::Value;
use temper_serve::Decision;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_review_is_one_json_line() {
    let captured = Captured::default();
    let sink = captured.clone();
    temper_serve::init_json_logs_to(tracing::Level::INFO, move || sink.clone());
    let judge = Arc::new(FakeJudge::default());
    judge.set("registry.test/shop/cache:0.9", Decision::Deny, &["no-critical: 2 critical vulnerabilities"], &[]);
    let server = start(judge, |_| {}).await;
    server.review("/validate", &fixture("deployment-create.json")).await;
    server.review("/mutate", &fixture("pod-create-dryrun.json")).await;
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))).collect();
    let reviews: Vec<&Value> = lines.iter().filter(|l| l["message"] == "review").collect();
    assert_eq!(reviews.len(), 2, "{text}");
    let denied = reviews.iter().find(|r| r["endpoint"] == "validate").unwrap();
    assert_eq!(denied["uid"], "4e1d0b3c-7a2f-4c58-8b6e-2d9f1c0a3b47");
    assert_eq!(denied["kind"], "Deployment");
    assert_eq!(denied["namespace"], "shop");
    assert_eq!(denied["answer"], "denied");
    assert_eq!(denied["allowed"], false);
    assert_eq!(denied["images"], 3);
    assert!(denied["reason"].as_str().unwrap().contains("registry.test/shop/cache:0.9: no-critical"), "{denied}");
    assert!(denied["duration_ms"].is_number() && denied["level"] == "INFO" && denied["timestamp"].is_string());
    let mutated = reviews.iter().find(|r| r["endpoint"] == "mutate").unwrap();
    assert_eq!(mutated["dry_run"], true);
    assert_eq!(mutated["patched"], 1);
}
