//! TLS to the PostgreSQL store, set the way libpq users expect: the URL's
//! `sslmode` — `disable`, `prefer` (the default: TLS when the server offers
//! it, the certificate unchecked), `require` (TLS or nothing; unchecked
//! unless a root certificate is given, then as `verify-ca`), `verify-ca`
//! (the chain must reach a trusted CA) and `verify-full` (that, and the
//! certificate must name the host) — and `sslrootcert=PATH`, a PEM file of
//! CAs trusted beside the public roots temper's registry client trusts
//! (`~/.postgresql/root.crt` when present and none is given, as libpq;
//! `sslrootcert=system` for the public roots alone). The client crate knows
//! only disable, prefer and require and refuses the other parameters, so
//! both are taken out of the URL here and their checks made by the rustls
//! verifier handed to it. The registry's `--ca-cert` is not used: a
//! database's CA is a different trust decision.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use percent_encoding::percent_decode_str;
use postgres::config::SslMode;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_postgres_rustls::MakeRustlsConnect;

/// What `sslmode` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// How much of the server's certificate is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    Nothing,
    Chain,
    ChainAndName,
}

/// The client's configuration (the URL without `sslmode` and
/// `sslrootcert`, its TLS mode set) and the connector that makes the checks
/// `sslmode` asks for; the error is the reason, to be prefixed with the store.
pub(crate) fn configure(url: &str) -> Result<(postgres::Config, MakeRustlsConnect), String> {
    let (rest, sslmode, rootcert) = take_tls_params(url);
    let mode = match sslmode.as_deref() {
        None | Some("prefer") => Mode::Prefer,
        Some("disable") => Mode::Disable,
        Some("require") => Mode::Require,
        Some("verify-ca") => Mode::VerifyCa,
        Some("verify-full") => Mode::VerifyFull,
        Some(other) => return Err(format!("sslmode={other} is not offered; use disable, prefer, require, verify-ca or verify-full")),
    };
    let mut config: postgres::Config = rest.parse().map_err(|e| format!("not a PostgreSQL URL ({e}); use postgres://user@host:port/db"))?;
    config.ssl_mode(match mode {
        Mode::Disable => SslMode::Disable,
        Mode::Prefer => SslMode::Prefer,
        Mode::Require | Mode::VerifyCa | Mode::VerifyFull => SslMode::Require,
    });
    let rootcert = match rootcert {
        Some(path) if path == "system" => None,
        Some(path) => Some(PathBuf::from(path)),
        None => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".postgresql/root.crt")).filter(|p| p.is_file()),
    };
    let check = match mode {
        Mode::Disable | Mode::Prefer => Check::Nothing,
        Mode::Require if rootcert.is_none() => Check::Nothing,
        Mode::Require | Mode::VerifyCa => Check::Chain,
        Mode::VerifyFull => Check::ChainAndName,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = match check {
        Check::Nothing => Arc::new(Unchecked(provider.clone())),
        Check::Chain | Check::ChainAndName => {
            let mut roots = RootCertStore::empty();
            roots.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
            if let Some(path) = &rootcert {
                let certs = CertificateDer::pem_file_iter(path)
                    .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| format!("sslrootcert {}: {e}; give a PEM file of the CA that signed the server's certificate", path.display()))?;
                let (added, _) = roots.add_parsable_certificates(certs);
                if added == 0 {
                    return Err(format!("sslrootcert {} holds no usable certificate; give a PEM file of the CA that signed the server's certificate", path.display()));
                }
            }
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build().map_err(|e| format!("cannot set up certificate checks: {e}"))?;
            if check == Check::Chain { Arc::new(AnyName(webpki)) } else { webpki }
        }
    };
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok((config, MakeRustlsConnect::new(tls)))
}

/// The URL without its `sslmode` and `sslrootcert` parameters, and their
/// (percent-decoded) values.
fn take_tls_params(url: &str) -> (String, Option<String>, Option<String>) {
    let Some((base, query)) = url.split_once('?') else { return (url.to_owned(), None, None) };
    let (mut sslmode, mut rootcert) = (None, None);
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = || percent_decode_str(value).decode_utf8().map_or_else(|_| value.to_owned(), Cow::into_owned);
        match percent_decode_str(key).decode_utf8().unwrap_or(Cow::Borrowed(key)).as_ref() {
            "sslmode" => sslmode = Some(decoded()),
            "sslrootcert" => rootcert = Some(decoded()),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    (rest, sslmode, rootcert)
}

/// `verify-ca`: the chain is checked, the name is not (libpq's meaning).
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(&self, end_entity: &CertificateDer<'_>, intermediates: &[CertificateDer<'_>], server_name: &ServerName<'_>, ocsp: &[u8], now: UnixTime) -> Result<ServerCertVerified, rustls::Error> {
        // webpki checks the chain before the name, so a name error means the chain passed.
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. })) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer` and `require`: encryption without a certificate check, as libpq
/// does; the handshake's signature is still checked against the certificate.
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(&self, _: &CertificateDer<'_>, _: &[CertificateDer<'_>], _: &ServerName<'_>, _: &[u8], _: UnixTime) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_params_are_taken_out_of_the_url() {
        let (rest, mode, root) = take_tls_params("postgres://u@h:5/db?sslmode=verify-full&connect_timeout=5&sslrootcert=%2Ftmp%2Fca%20x.pem");
        assert_eq!(rest, "postgres://u@h:5/db?connect_timeout=5");
        assert_eq!(mode.as_deref(), Some("verify-full"));
        assert_eq!(root.as_deref(), Some("/tmp/ca x.pem"));
        let (rest, mode, root) = take_tls_params("postgres://u@h/db?sslmode=disable");
        assert_eq!((rest.as_str(), mode.as_deref(), root), ("postgres://u@h/db", Some("disable"), None));
        assert_eq!(take_tls_params("postgres://u@h/db").0, "postgres://u@h/db");
    }

    #[test]
    fn unknown_modes_and_unreadable_roots_are_refused() {
        let Err(e) = configure("postgres://u@h/db?sslmode=allow") else { panic!("allow accepted") };
        assert!(e.contains("sslmode=allow is not offered"), "{e}");
        let Err(e) = configure("postgres://u@h/db?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem") else { panic!("missing root accepted") };
        assert!(e.starts_with("sslrootcert /nonexistent/ca.pem: "), "{e}");
        assert!(configure("postgres://u@h/db?sslmode=require").is_ok());
    }
}
