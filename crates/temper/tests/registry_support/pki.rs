//! Certificates made in the test: a CA with a server certificate for
//! 127.0.0.1, and a self-signed P-256 certificate that signs tokens.

use std::fs;
use std::path::{Path, PathBuf};

use p256::pkcs8::DecodePrivateKey as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256,
};

use super::ServerTls;

/// A test CA and a server certificate it issued for IP 127.0.0.1, on disk.
pub struct TestTls {
    /// The CA certificate (PEM), for `--ca-cert`.
    pub ca_pem: PathBuf,
    /// A directory holding `ca.crt`, for skopeo's `--dest-cert-dir`.
    pub cert_dir: PathBuf,
    /// The registry's certificate and key.
    pub server: ServerTls,
}

impl TestTls {
    /// Generates the CA and the server certificate into `dir`.
    pub fn create(dir: &Path) -> TestTls {
        let mut ca_params = CertificateParams::default();
        ca_params.distinguished_name.push(DnType::CommonName, "temper test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key")).expect("CA certificate");

        let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("server params");
        params.distinguished_name.push(DnType::CommonName, "127.0.0.1");
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().expect("server key");
        let cert = params.signed_by(&key, &ca).expect("server certificate");

        let ca_pem = dir.join("ca.pem");
        fs::write(&ca_pem, ca.pem()).expect("write ca.pem");
        let cert_dir = dir.join("certs.d");
        fs::create_dir_all(&cert_dir).expect("create cert dir");
        fs::write(cert_dir.join("ca.crt"), ca.pem()).expect("write ca.crt");
        let certificate = dir.join("server.crt");
        fs::write(&certificate, cert.pem()).expect("write server.crt");
        let key_path = dir.join("server.key");
        fs::write(&key_path, key.serialize_pem()).expect("write server.key");
        TestTls { ca_pem, cert_dir, server: ServerTls { certificate, key: key_path } }
    }
}

/// The key that signs tokens (ES256) and its self-signed certificate,
/// which is both the token's `x5c` and the registry's `rootcertbundle`.
pub struct TokenSigner {
    /// The P-256 signing key.
    pub key: p256::ecdsa::SigningKey,
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    /// The certificate, PEM.
    pub cert_pem: String,
}

impl TokenSigner {
    /// Generates a fresh key and certificate.
    pub fn generate() -> TokenSigner {
        let pair = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("P-256 key");
        let key = p256::ecdsa::SigningKey::from_pkcs8_der(&pair.serialize_der()).expect("p256 reads rcgen's PKCS#8");
        // The key p256 signs with is the one the certificate names.
        assert_eq!(
            key.verifying_key().to_encoded_point(false).as_bytes(),
            pair.public_key_raw(),
            "p256 and rcgen disagree on the public key"
        );
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, "temper test token signer");
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let cert = params.self_signed(&pair).expect("signing certificate");
        TokenSigner { key, cert_der: cert.der().to_vec(), cert_pem: cert.pem() }
    }
}
