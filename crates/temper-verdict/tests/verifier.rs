//! A `trust::Verifier` keeps its connection: verifications after the first
//! open no new one, absent tags (404s) included. The registry is a small
//! fake on loopback that counts the connections it accepts and serves one
//! image, its legacy `.sig` signature, and 404 for everything else (no
//! referrers API, no tag-schema index), as Debian's docker-registry does.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use serde_json::json;
use temper_image::{Digest, OpenOptions};
use temper_trust::{Algorithm, SigningKey, SimpleSigning};
use temper_verdict::trust::{Outcome, Policy, Verifier};

const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// Path to (content type, body).
type Routes = HashMap<String, (String, Vec<u8>)>;

fn serve(stream: TcpStream, routes: &Routes) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    // A TLS ClientHello (the https try of an insecure client): hang up.
    if reader.fill_buf().map(|b| b.first() == Some(&0x16)).unwrap_or(true) {
        return;
    }
    let mut writer = stream;
    loop {
        let mut request = String::new();
        if reader.read_line(&mut request).unwrap_or(0) == 0 {
            return;
        }
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" {
                break;
            }
        }
        let path = request.split_whitespace().nth(1).unwrap_or_default().to_owned();
        let (status, content_type, body) = match routes.get(&path) {
            Some((t, b)) => ("200 OK", t.clone(), b.clone()),
            None => ("404 Not Found", "application/json".to_owned(), br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#.to_vec()),
        };
        let head = format!("HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n", body.len());
        if writer.write_all(head.as_bytes()).and_then(|()| writer.write_all(&body)).is_err() {
            return;
        }
    }
}

#[test]
fn warm_verifications_reuse_the_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    let image = format!("{host}/lab/img:latest");

    let manifest = serde_json::to_vec(&json!({ "schemaVersion": 2, "mediaType": MANIFEST_TYPE, "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": Digest::sha256_of(b"{}").to_string(), "size": 2 }, "layers": [] })).unwrap();
    let digest = Digest::sha256_of(&manifest);
    let key = SigningKey::generate(Algorithm::EcdsaP256).unwrap();
    let payload = SimpleSigning::new(&format!("{host}/lab/img"), &digest.to_string()).to_json();
    let signature = base64::engine::general_purpose::STANDARD.encode(key.sign(&payload));
    let payload_digest = Digest::sha256_of(&payload);
    let sig_manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": Digest::sha256_of(b"{}").to_string(), "size": 2 },
        "layers": [{ "mediaType": temper_trust::payload::MEDIA_TYPE, "digest": payload_digest.to_string(), "size": payload.len(), "annotations": { temper_trust::payload::SIGNATURE_ANNOTATION: signature } }],
    }))
    .unwrap();
    let routes: Arc<Routes> = Arc::new(HashMap::from([
        ("/v2/".to_owned(), ("application/json".to_owned(), b"{}".to_vec())),
        ("/v2/lab/img/manifests/latest".to_owned(), (MANIFEST_TYPE.to_owned(), manifest.clone())),
        (format!("/v2/lab/img/manifests/{digest}"), (MANIFEST_TYPE.to_owned(), manifest.clone())),
        (format!("/v2/lab/img/manifests/{}.sig", digest.to_string().replacen(':', "-", 1)), (MANIFEST_TYPE.to_owned(), sig_manifest)),
        (format!("/v2/lab/img/blobs/{payload_digest}"), ("application/octet-stream".to_owned(), payload)),
    ]));
    let accepted = Arc::new(AtomicUsize::new(0));
    {
        let accepted = Arc::clone(&accepted);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                accepted.fetch_add(1, Ordering::SeqCst);
                let routes = Arc::clone(&routes);
                std::thread::spawn(move || serve(stream, &routes));
            }
        });
    }

    let mut opts = OpenOptions::default();
    opts.registry.insecure = true;
    let verifier = Verifier::new(&image, &opts).unwrap();
    let keys = Policy { keys: vec![key.public()], keyless: None };
    let first = verifier.verify(&image, &keys).unwrap();
    assert_eq!(first.outcome(), Some(Outcome::Verified), "{first:?}");
    assert_eq!(first.digest, digest.to_string());
    let after_first = accepted.load(Ordering::SeqCst);
    for _ in 0..5 {
        assert_eq!(verifier.verify(&image, &keys).unwrap().outcome(), Some(Outcome::Verified));
    }
    // Each verification looked up two absent things (the referrers API and the tag-schema index).
    assert_eq!(accepted.load(Ordering::SeqCst), after_first, "a warm verification opened a new connection");

    // By digest too; another repository is refused, not silently connected to.
    let by_digest = format!("{host}/lab/img@{digest}");
    assert_eq!(verifier.verify(&by_digest, &keys).unwrap().outcome(), Some(Outcome::Verified));
    let other = verifier.verify(&format!("{host}/lab/other:latest"), &keys).unwrap_err().to_string();
    assert!(other.contains("open another"), "{other}");
    assert_eq!(accepted.load(Ordering::SeqCst), after_first);
}
