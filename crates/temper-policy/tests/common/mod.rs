//! Crafted assessments for the tests: a clean image, changed by small
//! builders, each validated against `schemas/assessment.schema.json` so
//! the fixtures and the contract agree.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::PathBuf;
use std::sync::LazyLock;

use serde_json::{Value, json};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

static VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let schema: Value = serde_json::from_slice(&std::fs::read(root().join("schemas/assessment.schema.json")).unwrap()).unwrap();
    jsonschema::options().should_validate_formats(true).build(&schema).unwrap()
});

/// Panics unless `doc` follows the assessment schema.
pub fn validate(doc: &Value) {
    let errors: Vec<String> = VALIDATOR.iter_errors(doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "fixture does not follow the schema: {errors:#?}");
}

/// An assessment under construction.
pub struct A(pub Value);

/// A clean image: non-root, no finding, no secret, unsigned.
pub fn image(reference: &str) -> A {
    A(json!({
        "apiVersion": "temper.dev/assessment/v1",
        "image": {
            "reference": reference,
            "digest": format!("sha256:{}", "a".repeat(64)),
            "platform": "linux/amd64",
            "os": { "id": "debian", "version": "12", "name": "Debian GNU/Linux 12 (bookworm)" },
            "created": "2026-11-01T00:00:00Z",
            "config": { "user": "app", "env": ["PATH=/usr/bin"], "labels": {}, "entrypoint": ["/app"], "cmd": [], "workdir": "/", "exposed_ports": [] },
            "base": null,
            "size": { "compressed": 30_000_000, "uncompressed": 80_000_000 }
        },
        "layers": { "count": 1, "wasted_bytes": 0, "efficiency": 1.0, "items": [{ "index": 0, "digest": null, "size": 80_000_000, "command": null }] },
        "packages": [],
        "vulnerabilities": { "counts": { "critical": 0, "high": 0, "medium": 0, "low": 0, "unknown": 0 }, "findings": [], "suppressed": [], "database": { "source": "osv", "updated": "2026-12-01T00:00:00Z" } },
        "checks": [
            { "id": "runs-as-root", "title": "Runs as a non-root user", "severity": "high", "status": "pass", "message": "runs as app", "details": [], "remediation": "USER app" },
            { "id": "eol-os", "title": "OS supported", "severity": "high", "status": "pass", "message": "debian 12 is supported", "details": [], "remediation": "" }
        ],
        "secrets": [],
        "signatures": { "checked": false, "verified": [], "invalid": 0 },
        "attestations": []
    }))
}

impl A {
    /// Adds a finding; `published` is a date (`2026-01-01`) or none.
    pub fn finding(mut self, id: &str, severity: &str, fixed: &[&str], kev: bool, published: Option<&str>) -> Self {
        let mut f = json!({
            "id": id, "aliases": [format!("GHSA-{}", id.to_lowercase())], "package": "openssl", "version": "3.0.1", "ecosystem": "deb",
            "purl": "pkg:deb/debian/openssl@3.0.1", "layer": 0, "fixed_versions": fixed, "severity": severity, "kev": kev
        });
        if let Some(p) = published {
            f["published"] = json!(format!("{p}T00:00:00Z"));
        }
        self.0["vulnerabilities"]["findings"].as_array_mut().unwrap().push(f);
        let key = severity.to_lowercase();
        let n = self.0["vulnerabilities"]["counts"][&key].as_u64().unwrap();
        self.0["vulnerabilities"]["counts"][&key] = json!(n + 1);
        self
    }

    /// `n` findings of `severity`, ids `CVE-2026-<severity><k>`.
    pub fn findings(mut self, severity: &str, n: usize) -> Self {
        for k in 0..n {
            self = self.finding(&format!("CVE-2026-{}{k}", severity.len()), severity, &[], false, None);
        }
        self
    }

    pub fn secret(mut self, path: &str, severity: &str) -> Self {
        self.0["secrets"].as_array_mut().unwrap().push(json!({ "rule": "aws-access-key-id", "title": "AWS access key", "severity": severity, "layer": 0, "path": path, "line": 3, "redacted": "AKIA****", "visible": true }));
        self
    }

    pub fn check(mut self, id: &str, status: &str) -> Self {
        let checks = self.0["checks"].as_array_mut().unwrap();
        checks.retain(|c| c["id"] != id);
        checks.push(json!({ "id": id, "title": id, "severity": "high", "status": status, "message": format!("{id} {status}"), "details": [], "remediation": "" }));
        self
    }

    pub fn root(self) -> Self {
        let mut a = self.check("runs-as-root", "fail");
        a.0["image"]["config"]["user"] = json!("");
        a
    }

    pub fn package(mut self, name: &str, purl: &str, licenses: &[&str]) -> Self {
        self.0["packages"].as_array_mut().unwrap().push(json!({ "name": name, "version": "1.0", "ecosystem": "npm", "purl": purl, "licenses": licenses, "layer": 0 }));
        self
    }

    pub fn size(mut self, compressed: u64, uncompressed: u64, wasted: u64) -> Self {
        self.0["image"]["size"] = json!({ "compressed": compressed, "uncompressed": uncompressed });
        self.0["layers"]["wasted_bytes"] = json!(wasted);
        self
    }

    /// Signatures looked for, and these verified signers.
    pub fn signed(mut self, signers: Value) -> Self {
        self.0["signatures"] = json!({ "checked": true, "verified": signers, "invalid": 0 });
        self
    }

    pub fn attestation(mut self, predicate_type: &str, key_id: &str, predicate: Value) -> Self {
        self.0["attestations"].as_array_mut().unwrap().push(json!({ "predicate_type": predicate_type, "signer": { "key_id": key_id }, "predicate": predicate }));
        self
    }

    pub fn base(mut self, digest: &str, signers: Value) -> Self {
        self.0["image"]["base"] = json!({ "name": "registry.example.com/golden/debian:12", "digest": digest, "signers": signers });
        self
    }

    pub fn label(mut self, k: &str, v: &str) -> Self {
        self.0["image"]["config"]["labels"][k] = json!(v);
        self
    }

    /// The document, validated.
    pub fn build(self) -> Value {
        validate(&self.0);
        self.0
    }
}
