//! The server certificate, re-read when its files change, so cert-manager's
//! rotation needs no restart.
//!
//! Each TLS handshake asks [`ReloadingCert`] for the certificate; it stats
//! both files (device, inode, size, modification time, all through
//! symlinks: a Secret volume swaps a `..data` symlink, which changes the
//! inode even when size and time do not) and reloads the pair when any
//! changed. A pair that fails to load (half-written, key not matching)
//! leaves the previous certificate in service, is logged once, and is
//! retried at the next change.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Why the certificate pair cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The certificate file holds no PEM certificate.
    #[error("{0}: no PEM certificate in the file (expected -----BEGIN CERTIFICATE-----)")]
    NoCertificate(PathBuf),
    /// The key file holds no usable PEM private key.
    #[error("{path}: no usable PEM private key (PKCS#8, PKCS#1 or SEC1; ECDSA, Ed25519 or RSA): {reason}")]
    Key {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The key is not the certificate's.
    #[error("{key} is not the private key of {cert}: {reason}")]
    Mismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls' reason.
        reason: String,
    },
}

/// What identifies a file's current content without reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileStamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: i64,
    mtime_nsec: i64,
}

fn stamp(path: &Path) -> Option<FileStamp> {
    let m = std::fs::metadata(path).ok()?;
    Some(FileStamp { dev: m.dev(), ino: m.ino(), len: m.len(), mtime: m.mtime(), mtime_nsec: m.mtime_nsec() })
}

#[derive(Debug)]
struct Loaded {
    stamps: (Option<FileStamp>, Option<FileStamp>),
    bytes: (Vec<u8>, Vec<u8>),
    key: Arc<CertifiedKey>,
}

/// A [`ResolvesServerCert`] serving the pair at two paths, reloaded when the files change.
#[derive(Debug)]
pub struct ReloadingCert {
    cert: PathBuf,
    key: PathBuf,
    state: Mutex<Loaded>,
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read { path: path.to_path_buf(), source })
}

fn certified(cert_path: &Path, key_path: &Path, cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<CertifiedKey>, TlsError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem).filter_map(Result::ok).collect();
    if chain.is_empty() {
        return Err(TlsError::NoCertificate(cert_path.to_path_buf()));
    }
    let der = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| TlsError::Key { path: key_path.to_path_buf(), reason: e.to_string() })?;
    let signing = rustls::crypto::ring::sign::any_supported_type(&der).map_err(|e| TlsError::Key { path: key_path.to_path_buf(), reason: e.to_string() })?;
    let key = CertifiedKey::new(chain, signing);
    key.keys_match().map_err(|e| TlsError::Mismatch { cert: cert_path.to_path_buf(), key: key_path.to_path_buf(), reason: e.to_string() })?;
    Ok(Arc::new(key))
}

impl ReloadingCert {
    /// Loads the pair; an error here stops the server from starting (there is nothing to serve yet).
    pub fn load(cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Result<ReloadingCert, TlsError> {
        let (cert, key) = (cert.into(), key.into());
        let stamps = (stamp(&cert), stamp(&key));
        let bytes = (read(&cert)?, read(&key)?);
        let certified = certified(&cert, &key, &bytes.0, &bytes.1)?;
        Ok(ReloadingCert { cert, key, state: Mutex::new(Loaded { stamps, bytes, key: certified }) })
    }

    /// The pair to present now, reloaded first when the files changed.
    pub fn current(&self) -> Arc<CertifiedKey> {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let stamps = (stamp(&self.cert), stamp(&self.key));
        if stamps == state.stamps {
            return state.key.clone();
        }
        // Whatever happens below, this change is handled once: a bad pair is not re-read on every handshake.
        state.stamps = stamps;
        let bytes = match (read(&self.cert), read(&self.key)) {
            (Ok(c), Ok(k)) => (c, k),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "certificate files changed but cannot be read; keeping the previous certificate");
                return state.key.clone();
            }
        };
        if bytes == state.bytes {
            return state.key.clone();
        }
        match certified(&self.cert, &self.key, &bytes.0, &bytes.1) {
            Ok(key) => {
                tracing::info!(cert = %self.cert.display(), "reloaded the TLS certificate");
                state.key = key;
                state.bytes = bytes;
            }
            Err(e) => tracing::warn!(error = %e, "the new certificate pair does not load; keeping the previous certificate"),
        }
        state.key.clone()
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// A rustls server configuration (ring provider, TLS 1.2 and 1.3, ALPN h2 and http/1.1) serving `cert`.
pub fn server_config(cert: Arc<ReloadingCert>) -> Result<rustls::ServerConfig, rustls::Error> {
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(cert);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Why the dashboard's client CA cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("--dashboard-client-ca {path}: {reason}")]
pub struct ClientCaError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

/// The dashboard's rustls configuration: `cert` served, and with
/// `client_ca` a client certificate required and verified against the
/// CA certificates in that PEM file (mutual TLS).
pub fn dashboard_config(cert: Arc<ReloadingCert>, client_ca: Option<&Path>) -> Result<rustls::ServerConfig, crate::ServeError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions()?;
    let mut config = match client_ca {
        None => builder.with_no_client_auth().with_cert_resolver(cert),
        Some(path) => {
            let fail = |reason: String| ClientCaError { path: path.to_path_buf(), reason };
            let pem = std::fs::read(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
            let mut roots = rustls::RootCertStore::empty();
            for der in CertificateDer::pem_slice_iter(&pem) {
                roots.add(der.map_err(|e| fail(format!("not a PEM certificate: {e}")))?).map_err(|e| fail(format!("not a usable CA certificate: {e}")))?;
            }
            if roots.is_empty() {
                return Err(fail("no PEM certificate in the file (expected -----BEGIN CERTIFICATE-----)".to_owned()).into());
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build().map_err(|e| fail(e.to_string()))?;
            builder.with_client_cert_verifier(verifier).with_cert_resolver(cert)
        }
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
