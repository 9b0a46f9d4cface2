//! The webhook's fuzz body (`fuzz/src/serve.rs`) on stable: every seed in
//! `fuzz/seeds/admission_review/` (the AdmissionReview fixtures) is
//! accepted, and thousands of deterministic mutations of them do not panic
//! or hang (each runs under a watchdog, `fuzz/src/watchdog.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../fuzz/src/serve.rs"]
mod bodies;
#[path = "../../../fuzz/src/mutate.rs"]
mod mutate;
#[path = "../../../fuzz/src/replay.rs"]
mod replay;
#[path = "../../../fuzz/src/watchdog.rs"]
mod watchdog;

#[test]
fn admission_review_body_survives_mutations() {
    replay::run("admission_review", bodies::admission_review, 3000, 0xad_3155);
}

#[test]
fn admission_review_body_accepts_an_object_without_a_pod_template_and_refuses_a_bare_array() {
    assert!(bodies::admission_review(br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"","version":"v1","kind":"ConfigMap"},"operation":"CREATE","object":{"data":{"a":"b"}}}}"#));
    assert!(!bodies::admission_review(b"[]"));
}
