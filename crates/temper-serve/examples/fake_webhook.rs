//! The webhook with a fake judge, for `scripts/load-webhook.sh` (the real
//! judge, assessment and policy, is wired in the `temper` binary).
//!
//! `fake_webhook --dir DIR [--listen ADDR] [--resolve-ms N] [--judge-ms N]`
//! makes a CA (`DIR/ca.pem`) and a certificate for 127.0.0.1 (`DIR/tls.crt`,
//! `DIR/tls.key`), then serves until SIGTERM. Every image is allowed at a
//! digest derived from its name; resolving sleeps `--resolve-ms` (a registry
//! round trip) and judging `--judge-ms` (reading and checking the image),
//! so a cold review costs what a slow registry would. Logs are JSON at the
//! level of `TEMPER_LOG` (error, warn, info; default warn).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
use temper_serve::{Decision, ImageVerdict, Judge, JudgeError, ServeConfig};

struct SlowJudge {
    resolve: Duration,
    judge: Duration,
}

impl Judge for SlowJudge {
    fn exempt(&self, _image: &str, _namespace: &str) -> bool {
        false
    }

    fn resolve(&self, image: &str) -> Result<String, JudgeError> {
        std::thread::sleep(self.resolve);
        let mut hex = String::from("sha256:");
        for round in 0u8..4 {
            let mut h = DefaultHasher::new();
            (round, image).hash(&mut h);
            hex.push_str(&format!("{:016x}", h.finish()));
        }
        Ok(hex)
    }

    fn judge(&self, _image: &str, digest: &str, _namespace: &str, _dry_run: bool) -> Result<ImageVerdict, JudgeError> {
        std::thread::sleep(self.judge);
        Ok(ImageVerdict { decision: Decision::Allow, denials: Vec::new(), warnings: Vec::new(), digest: digest.to_string() })
    }

    fn generation(&self) -> String {
        "fake policy, fake db".to_string()
    }

    fn ready(&self) -> bool {
        true
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut dir, mut listen, mut resolve_ms, mut judge_ms) = (None, "127.0.0.1:8443".to_string(), 20u64, 50u64);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--dir" => dir = Some(PathBuf::from(value)),
            "--listen" => listen = value,
            "--resolve-ms" => resolve_ms = value.parse().expect("--resolve-ms N"),
            "--judge-ms" => judge_ms = value.parse().expect("--judge-ms N"),
            other => panic!("unknown flag {other} (--dir DIR --listen ADDR --resolve-ms N --judge-ms N)"),
        }
    }
    let dir = dir.expect("--dir DIR");
    std::fs::create_dir_all(&dir).unwrap();
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name.push(DnType::CommonName, "temper load-test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    std::fs::write(dir.join("tls.crt"), cert.pem()).unwrap();
    std::fs::write(dir.join("tls.key"), key.serialize_pem()).unwrap();
    // ca.pem last and whole (a rename): the load script waits for it to appear.
    std::fs::write(dir.join("ca.pem.tmp"), ca.pem()).unwrap();
    std::fs::rename(dir.join("ca.pem.tmp"), dir.join("ca.pem")).unwrap();

    let level = match std::env::var("TEMPER_LOG").as_deref() {
        Ok("error") => tracing::Level::ERROR,
        Ok("info") => tracing::Level::INFO,
        _ => tracing::Level::WARN,
    };
    temper_serve::init_json_logs(level);
    let mut config = ServeConfig::new(listen.parse().expect("--listen HOST:PORT"), dir.join("tls.crt"), dir.join("tls.key"));
    config.budget = Duration::from_secs(8);
    let judge = Arc::new(SlowJudge { resolve: Duration::from_millis(resolve_ms), judge: Duration::from_millis(judge_ms) });
    if let Err(e) = temper_serve::serve(config, judge) {
        eprintln!("fake_webhook: {e}");
        std::process::exit(1);
    }
}
