//! The `policy.toml` fuzz body. A policy comes from a repository many
//! people send changes to and is loaded by the admission webhook: it is
//! parsed, must never panic, and every refusal must be one printable line
//! naming the file. What loads is evaluated on a small assessment.

// Each replay includes this file and uses part of it.
#![allow(dead_code)]

/// `policy.toml` as text, in an empty directory (files it names are
/// missing, unless absolute). True when it loaded.
pub fn toml(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let Ok(dir) = tempfile::tempdir() else { return false };
    let path = dir.path().join("policy.toml");
    match temper_policy::Policy::from_toml(&path, &text) {
        Ok(policy) => {
            let doc = serde_json::json!({ "image": { "reference": "registry.example.com/prod/app:1" }, "checks": [{ "id": "runs-as-root", "status": "fail", "message": "root" }] });
            let request = temper_policy::Request { namespace: Some("prod"), today: time::Date::MIN };
            let verdict = policy.evaluate(&doc, request);
            assert!(verdict.is_ok(), "a loaded policy refused a valid assessment: {verdict:?}");
            assert_eq!(policy.digest().len(), 64);
            true
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.chars().any(char::is_control), "a refusal with control characters: {msg:?}");
            assert!(msg.contains(&path.display().to_string()), "a refusal not naming the file: {msg:?}");
            false
        }
    }
}
