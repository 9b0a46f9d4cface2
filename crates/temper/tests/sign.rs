//! `temper sign` and `temper verify` against Debian's `docker-registry` on
//! loopback, which has no referrers API: the tag-schema index is used for
//! bundles. The legacy signature is checked by openssl over the payload
//! skopeo pulls back; each outcome has its exit code.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

#[allow(dead_code)]
mod registry_support;

use std::path::Path;

use base64::Engine as _;
use serde_json::Value;

use registry_support::{Auth, Registry, corpus_layout, push, skopeo, temper_env};

const IMAGE: &str = "distroless-like";
const MULTIARCH: &str = "multiarch-index";
const PASSWORD: (&str, &str) = ("TEMPER_PASSWORD", "s3cret");

fn keypair(dir: &Path, prefix: &str) -> (String, String) {
    let p = dir.join(prefix);
    let run = temper_env(&["key", "generate", "--output-prefix", p.to_str().unwrap()], &[PASSWORD]);
    assert!(run.status.success(), "{}", run.stderr);
    (format!("{}.key", p.display()), format!("{}.pub", p.display()))
}

fn registry_with(work: &Path, images: &[&str]) -> Registry {
    let registry = Registry::start(work, "sign", &work.join("storage"), None, &Auth::None);
    for image in images {
        push(work, &corpus_layout(image), &format!("docker://{}/lab/{image}:latest", registry.host()), true, &["--dest-tls-verify=false"]);
    }
    registry
}

fn verify(image: &str, args: &[&str]) -> (Option<i32>, Value, String) {
    let mut all = vec!["verify", image, "--insecure", "-f", "json"];
    all.extend_from_slice(args);
    let run = temper_env(&all, &[]);
    let json = serde_json::from_slice(&run.stdout).unwrap_or(Value::Null);
    (run.code(), json, run.stderr)
}

#[test]
fn sign_then_verify_in_both_places_with_independent_checks() {
    let work = tempfile::tempdir().unwrap();
    let registry = registry_with(work.path(), &[IMAGE]);
    let image = format!("{}/lab/{IMAGE}:latest", registry.host());
    let (key, public) = keypair(work.path(), "signer");
    let (_, other_public) = keypair(work.path(), "other");

    // Nothing attached yet: 3.
    let (code, json, err) = verify(&image, &["--key", &public]);
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(json["signatures"], Value::Array(vec![]));
    assert!(err.contains("no signature found"), "{err}");

    let run = temper_env(&["sign", &image, "--key", &key, "--insecure", "-a", "team=platform", "-f", "json"], &[PASSWORD]);
    assert!(run.status.success(), "{}", run.stderr);
    let signed = run.json();
    let digest = signed["signed"][0]["digest"].as_str().unwrap().to_owned();

    let (code, json, err) = verify(&image, &["--key", &public]);
    assert_eq!(code, Some(0), "{err}");
    let sigs = json["signatures"].as_array().unwrap();
    assert_eq!(sigs.len(), 2, "{json}");
    assert!(sigs.iter().any(|s| s["found"]["tag"].is_string()) && sigs.iter().any(|s| s["found"]["referrer"].is_string()), "{json}");
    assert!(sigs.iter().all(|s| s["outcome"] == "verified"), "{json}");

    // Another key: signed, but not by it (5). A rotation set holding both: verified.
    let (code, _, err) = verify(&image, &["--key", &other_public]);
    assert_eq!(code, Some(5), "{err}");
    let keys = work.path().join("keys");
    std::fs::create_dir(&keys).unwrap();
    std::fs::copy(&other_public, keys.join("a.pub")).unwrap();
    std::fs::copy(&public, keys.join("b.pub")).unwrap();
    assert_eq!(verify(&image, &["--keys-dir", keys.to_str().unwrap()]).0, Some(0));

    // A second signature adds a layer to the .sig manifest, keeping the first.
    let run = temper_env(&["sign", &image, "--key", &key, "--insecure", "--storage", "legacy"], &[PASSWORD]);
    assert!(run.status.success(), "{}", run.stderr);
    let sig_tag = format!("docker://{}/lab/{IMAGE}:{}.sig", registry.host(), digest.replacen(':', "-", 1));
    let raw = skopeo(work.path(), &["inspect", "--raw", "--tls-verify=false", &sig_tag]);
    let manifest: Value = serde_json::from_slice(&raw.stdout).unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2, "a new layer, the first kept: {manifest}");
    let (code, json, _) = verify(&image, &["--key", &public]);
    assert_eq!((code, json["signatures"].as_array().unwrap().len()), (Some(0), 3), "{json}");

    // openssl verifies the legacy signature over the payload skopeo copies back.
    let copied = work.path().join("sig-dir");
    let run = skopeo(work.path(), &["copy", "--src-tls-verify=false", &sig_tag, &format!("dir:{}", copied.display())]);
    assert!(run.status.success(), "{}", run.stderr);
    let layer = &layers[0];
    assert_eq!(layer["mediaType"], "application/vnd.dev.cosign.simplesigning.v1+json");
    let payload_path = copied.join(layer["digest"].as_str().unwrap().trim_start_matches("sha256:"));
    let payload: Value = serde_json::from_slice(&std::fs::read(&payload_path).unwrap()).unwrap();
    assert_eq!(payload["critical"]["image"]["docker-manifest-digest"], digest.as_str());
    assert_eq!(payload["critical"]["type"], "cosign container image signature");
    assert_eq!(payload["optional"]["team"], "platform");
    let sig = base64::engine::general_purpose::STANDARD.decode(layer["annotations"]["dev.cosignproject.cosign/signature"].as_str().unwrap()).unwrap();
    std::fs::write(work.path().join("sig.der"), sig).unwrap();
    let o = std::process::Command::new("openssl").args(["dgst", "-sha256", "-verify", &public, "-signature"]).arg(work.path().join("sig.der")).arg(&payload_path).output().unwrap();
    assert!(o.status.success(), "openssl: {}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_signature_about_another_image_is_invalid_and_an_unsigned_one_is_not_found() {
    let work = tempfile::tempdir().unwrap();
    let registry = registry_with(work.path(), &[IMAGE, MULTIARCH]);
    let (key, public) = keypair(work.path(), "signer");
    let signed = format!("{}/lab/{IMAGE}:latest", registry.host());
    let other = format!("{}/lab/{MULTIARCH}:latest", registry.host());
    let run = temper_env(&["sign", &signed, "--key", &key, "--insecure", "--storage", "legacy", "-f", "json"], &[PASSWORD]);
    assert!(run.status.success(), "{}", run.stderr);
    let digest = run.json()["signed"][0]["digest"].as_str().unwrap().to_owned();
    assert_eq!(verify(&other, &["--key", &public]).0, Some(3));

    // Copy the first image's .sig manifest to the second's tag: the
    // signature verifies, but its payload names another image.
    let other_digest = {
        let raw = skopeo(work.path(), &["inspect", "--raw", "--tls-verify=false", &format!("docker://{other}")]);
        format!("sha256:{}", sha256_hex(&raw.stdout))
    };
    let from = format!("docker://{}/lab/{IMAGE}:{}.sig", registry.host(), digest.replacen(':', "-", 1));
    let to = format!("docker://{}/lab/{MULTIARCH}:{}.sig", registry.host(), other_digest.replacen(':', "-", 1));
    let run = skopeo(work.path(), &["copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--preserve-digests", &from, &to]);
    assert!(run.status.success(), "{}", run.stderr);
    let (code, json, err) = verify(&other, &["--key", &public]);
    assert_eq!(code, Some(4), "{err} {json}");
    assert!(err.contains("signature invalid") && err.contains("not this image"), "{err}");

    // A multi-arch index: signed with --recursive, the index and each platform verify.
    let run = temper_env(&["sign", &other, "--key", &key, "--insecure", "--recursive", "-f", "json"], &[PASSWORD]);
    assert!(run.status.success(), "{}", run.stderr);
    let signed = run.json();
    assert!(signed["signed"].as_array().unwrap().len() >= 3, "{signed}");
    assert_eq!(verify(&other, &["--key", &public]).0, Some(0));
    let platform = signed["signed"][1]["digest"].as_str().unwrap();
    assert_eq!(verify(&format!("{}/lab/{MULTIARCH}@{platform}", registry.host()), &["--key", &public]).0, Some(0));
}

#[test]
fn two_concurrent_signers_lose_no_signature() {
    let work = tempfile::tempdir().unwrap();
    let registry = registry_with(work.path(), &[IMAGE]);
    let image = format!("{}/lab/{IMAGE}:latest", registry.host());
    let signers: Vec<(String, String)> = (0..4).map(|i| keypair(work.path(), &format!("k{i}"))).collect();
    let handles: Vec<_> = signers
        .iter()
        .map(|(key, _)| {
            let (image, key) = (image.clone(), key.clone());
            std::thread::spawn(move || temper_env(&["sign", &image, "--key", &key, "--insecure"], &[PASSWORD]))
        })
        .collect();
    for h in handles {
        let run = h.join().unwrap();
        assert!(run.status.success(), "{}", run.stderr);
    }
    let (code, json, err) = verify(&image, &["--key", &signers[0].1]);
    assert_eq!(code, Some(0), "{err}");
    let sigs = json["signatures"].as_array().unwrap();
    assert_eq!(sigs.iter().filter(|s| s["found"]["tag"].is_string()).count(), 4, "every .sig layer kept: {json}");
    assert_eq!(sigs.iter().filter(|s| s["found"]["referrer"].is_string()).count(), 4, "every referrer kept: {json}");
    for (_, public) in &signers {
        assert_eq!(verify(&image, &["--key", public]).0, Some(0));
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn attest_then_verify_attestation_by_type() {
    let work = tempfile::tempdir().unwrap();
    let registry = registry_with(work.path(), &[IMAGE]);
    let image = format!("{}/lab/{IMAGE}:latest", registry.host());
    let (key, public) = keypair(work.path(), "signer");
    let (_, other_public) = keypair(work.path(), "other");
    let predicate = serde_json::json!({ "bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{ "type": "library", "name": "zlib", "version": "1.3" }] });
    std::fs::write(work.path().join("bom.json"), predicate.to_string()).unwrap();
    let run = temper_env(&["attest", &image, "--key", &key, "--insecure", "--predicate", work.path().join("bom.json").to_str().unwrap(), "--type", "cyclonedx", "-f", "json"], &[PASSWORD]);
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(run.json()["predicate_type"], "https://cyclonedx.org/bom");
    // A signature as well: it is not an attestation of the type.
    assert!(temper_env(&["sign", &image, "--key", &key, "--insecure"], &[PASSWORD]).status.success());

    let attest = |args: &[&str]| {
        let mut all = vec!["verify-attestation", image.as_str(), "--insecure", "-f", "json"];
        all.extend_from_slice(args);
        let run = temper_env(&all, &[]);
        (run.code(), serde_json::from_slice::<Value>(&run.stdout).unwrap_or(Value::Null), run.stderr)
    };
    let (code, json, err) = attest(&["--type", "cyclonedx", "--key", &public]);
    assert_eq!(code, Some(0), "{err}");
    let verified = json["verified"].as_array().unwrap();
    assert_eq!(verified.len(), 2, "the .att layer and the bundle referrer: {json}");
    for v in verified {
        assert_eq!(v["statement"]["predicate"], predicate);
        assert_eq!(v["statement"]["predicateType"], "https://cyclonedx.org/bom");
    }
    assert_eq!(attest(&["--type", "spdx", "--key", &public]).0, Some(3), "no SPDX attestation");
    assert_eq!(attest(&["--type", "cyclonedx", "--key", &other_public]).0, Some(5));
    // The signature verifies on its own; the attestations do not count as signatures.
    let (code, json, _) = verify(&image, &["--key", &public]);
    assert_eq!((code, json["signatures"].as_array().unwrap().len()), (Some(0), 2), "{json}");
}

#[test]
fn sign_attest_and_verify_in_an_oci_layout_that_other_tools_still_read() {
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("layout");
    let copy = std::process::Command::new("cp").arg("-a").arg(corpus_layout(MULTIARCH)).arg(&layout).status().unwrap();
    assert!(copy.success());
    let image = format!("oci:{}:latest", layout.display());
    let signers: Vec<(String, String)> = (0..3).map(|i| keypair(work.path(), &format!("k{i}"))).collect();
    assert_eq!(verify(&image, &["--key", &signers[0].1]).0, Some(3));
    // Concurrent signers queue on the layout's lock: every signature kept.
    let handles: Vec<_> = signers
        .iter()
        .map(|(key, _)| {
            let (image, key) = (image.clone(), key.clone());
            std::thread::spawn(move || temper_env(&["sign", &image, "--key", &key], &[PASSWORD]))
        })
        .collect();
    for h in handles {
        let run = h.join().unwrap();
        assert!(run.status.success(), "{}", run.stderr);
    }
    let (code, json, err) = verify(&image, &["--key", &signers[2].1]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json["signatures"].as_array().unwrap().len(), 6, "3 .sig layers and 3 bundles: {json}");
    std::fs::write(work.path().join("vex.json"), r#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[]}"#).unwrap();
    let run = temper_env(&["attest", &image, "--key", &signers[0].0, "--predicate", work.path().join("vex.json").to_str().unwrap(), "--type", "openvex"], &[PASSWORD]);
    assert!(run.status.success(), "{}", run.stderr);
    let run = temper_env(&["verify-attestation", &image, "--type", "openvex", "--key", &signers[0].1], &[]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr);
    // The image is still what it was to skopeo and temper.
    let inspect = skopeo(work.path(), &["inspect", "--raw", &format!("oci:{}:latest", layout.display())]);
    assert!(inspect.status.success(), "{}", inspect.stderr);
    let index: Value = serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let names: Vec<&str> = index["manifests"].as_array().unwrap().iter().filter_map(|m| m["annotations"]["org.opencontainers.image.ref.name"].as_str()).collect();
    assert!(names.contains(&"latest") && names.iter().any(|n| n.ends_with(".sig")) && names.iter().any(|n| n.ends_with(".att")), "{names:?}");

    // `tree` lists it all, by tag and by referrers.
    let tree = temper_env(&["tree", &image, "-f", "json"], &[]).json();
    let kinds: Vec<(&str, usize)> = tree["tags"].as_array().unwrap().iter().map(|t| (t["kind"].as_str().unwrap(), t["layers"].as_array().unwrap().len())).collect();
    assert_eq!(kinds, [("signatures", 3), ("attestations", 1)], "{tree}");
    assert_eq!(tree["tags"][1]["layers"][0]["predicate_type"], "https://openvex.dev/ns");
    assert_eq!(tree["referrers"].as_array().unwrap().len(), 4, "{tree}");
    assert_eq!(tree["referrers_api"], false);
    let text = temper_env(&["tree", &image], &[]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("└── referrers (tag-schema index): 4"), "{}", String::from_utf8_lossy(&text.stdout));
}

/// sigstore-conformance's keyless DSSE bundle (crates/temper-trust/tests/fixtures).
fn conformance(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../temper-trust/tests/fixtures").join(path)
}

#[test]
fn keyless_bundles_need_a_trusted_root_and_are_checked_against_it() {
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("layout");
    assert!(std::process::Command::new("cp").arg("-a").arg(corpus_layout(IMAGE)).arg(&layout).status().unwrap().success());
    let index: Value = serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let top = index["manifests"].as_array().unwrap().iter().find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == "latest").unwrap().clone();
    // A real keyless bundle (a Fulcio certificate, a Rekor entry) attached to the image.
    let bundle = std::fs::read(conformance("sigstore-conformance/bundle-verify/happy-path-intoto-in-dsse-v3/bundle.sigstore.json")).unwrap();
    let store = temper_image::registry::attach::Attachments::layout(&layout).unwrap();
    let subject = temper_image::Digest::parse(top["digest"].as_str().unwrap()).unwrap();
    store.attach_referrer((&subject, top["mediaType"].as_str().unwrap(), top["size"].as_u64().unwrap()), "application/vnd.dev.sigstore.bundle.v0.3+json", &bundle, "application/vnd.dev.sigstore.bundle.v0.3+json", &Default::default()).unwrap();
    let image = format!("oci:{}:latest", layout.display());
    let (_, public) = keypair(work.path(), "k");

    // Keys cannot verify a certificate: signed, but not by them, and the message says what to give.
    let (code, _, err) = verify(&image, &["--key", &public]);
    assert_eq!(code, Some(5), "{err}");
    assert!(err.contains("--trusted-root"), "{err}");
    // With the trusted root and the signer's identity the chain, SCT and log entry check out;
    // the statement is about another artifact, so the signature is invalid for this image.
    let root = conformance("sigstore-go/trusted-root-public-good.json");
    let identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    let (code, json, err) = verify(&image, &["--trusted-root", root.to_str().unwrap(), "--certificate-identity", identity, "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com"]);
    assert_eq!(code, Some(4), "{err} {json}");
    assert!(err.contains("subject digest differs"), "{err}");
    // An identity without a trusted root is refused as a usage error.
    let run = temper_env(&["verify", &image, "--certificate-identity", identity], &[]);
    assert!(run.error_line().contains("need --trusted-root"), "{}", run.stderr);
}

#[test]
fn scan_attest_attaches_the_result_as_a_vulnerability_predicate() {
    let work = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let layout = work.path().join("demo");
    assert!(std::process::Command::new("cp").arg("-a").arg(root.join("examples/demo-app")).arg(&layout).status().unwrap().success());
    let (key, public) = keypair(work.path(), "scanner");
    let image = format!("oci:{}", layout.display());
    let advisories = root.join("examples/advisories");
    let run = temper_env(&["scan", &image, "--advisories", advisories.to_str().unwrap(), "-f", "json", "--attest", &key, "--no-cache"], &[PASSWORD]);
    assert!(run.status.success(), "{}", run.stderr);
    let scanned = run.json();
    assert!(!scanned["findings"].as_array().unwrap().is_empty());
    let run = temper_env(&["verify-attestation", &image, "--type", "vuln", "--key", &public, "-f", "json"], &[]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr);
    let doc: Value = serde_json::from_slice(&run.stdout).unwrap();
    let statement = &doc["verified"][0]["statement"];
    assert_eq!(statement["predicateType"], "https://cosign.sigstore.dev/attestation/vuln/v1");
    assert_eq!(statement["predicate"]["scanner"]["result"]["findings"], scanned["findings"]);
    assert!(statement["predicate"]["metadata"]["scanFinishedOn"].as_str().unwrap().len() >= 20);
}

#[test]
fn build_sign_of_a_multi_platform_image_attests_each_platforms_sbom_to_its_manifest() {
    let work = tempfile::tempdir().unwrap();
    let spec = work.path().join("golden.toml");
    std::fs::write(&spec, format!("base = \"oci:{}:latest\"\n[env]\nTZ = \"UTC\"\n", corpus_layout(MULTIARCH).display())).unwrap();
    let (key, public) = keypair(work.path(), "builder");
    let out = format!("oci:{}:1", work.path().join("out").display());
    let run = temper_env(&["build", spec.to_str().unwrap(), "-o", &out, "--sign", &key, "-f", "json"], &[PASSWORD]);
    assert!(run.status.success(), "{}", run.stderr);
    let built = run.json();
    assert_eq!(built["platforms"], 2);
    let run = temper_env(&["verify", &out, "--key", &public], &[]);
    assert_eq!(run.code(), Some(0), "the index: {}", run.stderr);
    for platform in ["linux/amd64", "linux/arm64"] {
        let run = temper_env(&["verify", &out, "--key", &public, "--platform", platform], &[]);
        assert_eq!(run.code(), Some(0), "{platform} signed too: {}", run.stderr);
        let run = temper_env(&["verify-attestation", &out, "--platform", platform, "--type", "cyclonedx", "--key", &public, "-f", "json"], &[]);
        assert_eq!(run.code(), Some(0), "{platform}: {}", run.stderr);
        let doc: Value = serde_json::from_slice(&run.stdout).unwrap();
        assert_eq!(doc["verified"][0]["statement"]["predicate"]["bomFormat"], "CycloneDX");
    }
    // The index carries the provenance, not an SBOM of one platform.
    let run = temper_env(&["verify-attestation", &out, "--type", "slsaprovenance1", "--key", &public], &[]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr);
    assert_eq!(temper_env(&["verify-attestation", &out, "--type", "cyclonedx", "--key", &public], &[]).code(), Some(3));
}
