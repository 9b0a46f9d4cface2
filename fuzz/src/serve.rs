//! The `temper-serve` fuzz body. AdmissionReview bodies arrive from
//! whoever reaches the webhook's port: each is parsed, must never panic or
//! hang, and a refusal is one line. What parses yields container images
//! whose pointers lead back to the very image string in the object, and a
//! response that is JSON, echoes the uid, and carries a patch that decodes
//! to one `replace` per image.

use base64::Engine as _;
use temper_serve::review::{AdmissionRequest, Answer, PatchOp, encode_response};

/// An AdmissionReview body. True when it parsed.
pub fn admission_review(data: &[u8]) -> bool {
    let request = match AdmissionRequest::parse(data) {
        Ok(request) => request,
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.is_empty() && !msg.contains('\n'), "a refusal not on one line: {msg:?}");
            return false;
        }
    };
    let images = request.images();
    for c in &images {
        let object = request.object.as_ref().unwrap_or_else(|| panic!("images without an object"));
        assert_eq!(object.pointer(&c.pointer).and_then(|v| v.as_str()), Some(c.image.as_str()), "pointer {} does not lead to its image", c.pointer);
    }
    let _ = (request.judged(), request.dry_run());
    let answer = Answer {
        allowed: images.is_empty(),
        message: (!images.is_empty()).then(|| images.iter().map(|c| c.image.as_str()).collect::<Vec<_>>().join(" | ")),
        warnings: images.iter().map(|c| format!("{}: warned", c.image)).collect(),
        patch: images.iter().map(|c| PatchOp { op: "replace", path: c.pointer.clone(), value: format!("{}@sha256:{}", c.image, "5e".repeat(32)) }).collect(),
        ..Answer::default()
    };
    let out: serde_json::Value = match serde_json::from_slice(&encode_response(&request.uid, &answer)) {
        Ok(v) => v,
        Err(e) => panic!("the response is not JSON: {e}"),
    };
    assert_eq!(out["response"]["uid"].as_str(), Some(request.uid.as_str()));
    for w in out["response"]["warnings"].as_array().into_iter().flatten() {
        let w = w.as_str().unwrap_or_default();
        assert!(w.chars().count() <= 120 && !w.chars().any(char::is_control), "warning {w:?}");
    }
    if let Some(patch) = out["response"]["patch"].as_str() {
        let raw = base64::engine::general_purpose::STANDARD.decode(patch).unwrap_or_else(|e| panic!("patch not base64: {e}"));
        let ops: Vec<serde_json::Value> = serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("patch not JSON: {e}"));
        assert_eq!(ops.len(), images.len());
    }
    true
}
