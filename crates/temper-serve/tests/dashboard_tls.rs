//! The dashboard over HTTPS with mutual TLS: a client without a
//! certificate, or with one another CA issued, gets no answer; one with a
//! certificate the configured CA issued does. A client CA file without a
//! certificate stops the server from starting, naming the flag.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::Ca;
use http_body_util::Full;
use hyper::Request;
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use temper_fleet::Location;
use temper_serve::{Dashboard, DashboardConfig};
use tokio_rustls::TlsConnector;

/// A client trusting `server_ca`, presenting `identity` (certificate and key PEM) when given.
fn client(server_ca: &CertificateDer<'static>, identity: Option<&(String, String)>) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(server_ca.clone()).unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider())).with_safe_default_protocol_versions().unwrap().with_root_certificates(roots);
    let config = match identity {
        Some((cert, key)) => builder.with_client_auth_cert(vec![CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()], PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap()).unwrap(),
        None => builder.with_no_client_auth(),
    };
    TlsConnector::from(Arc::new(config))
}

/// The status of `GET path`, or why no answer came.
async fn get(addr: SocketAddr, connector: &TlsConnector, path: &str) -> Result<u16, String> {
    let tcp = tokio::net::TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let tls = connector.connect(ServerName::IpAddress(addr.ip().into()), tcp).await.map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let req = Request::builder().uri(path).header("host", addr.to_string()).body(Full::new(Bytes::new())).unwrap();
    let response = tokio::time::timeout(Duration::from_secs(10), sender.send_request(req)).await.map_err(|_| "timed out".to_owned())?.map_err(|e| e.to_string())?;
    Ok(response.status().as_u16())
}

#[tokio::test]
async fn mutual_tls_admits_only_clients_the_configured_ca_issued() {
    let dir = tempfile::tempdir().unwrap();
    let (server_ca, clients_ca, stranger_ca) = (Ca::new("server CA"), Ca::new("dashboard clients CA"), Ca::new("another CA"));
    let (cert, key, _) = server_ca.issue("dashboard");
    std::fs::write(dir.path().join("tls.crt"), cert).unwrap();
    std::fs::write(dir.path().join("tls.key"), key).unwrap();
    std::fs::write(dir.path().join("clients.pem"), clients_ca.pem()).unwrap();
    // An empty fleet store: the dashboard reads one, it never creates one.
    temper_fleet::Fleet::open(&Location::Sqlite(dir.path().join("fleet.db"))).unwrap();
    let mut config = DashboardConfig::new("127.0.0.1:0".parse().unwrap(), Location::Sqlite(dir.path().join("fleet.db")));
    config.tls = Some((dir.path().join("tls.crt"), dir.path().join("tls.key")));
    config.client_ca = Some(dir.path().join("clients.pem"));
    let board = Dashboard::bind(config.clone()).await.unwrap();
    let addr = board.local_addr().unwrap();
    tokio::spawn(board.run(std::future::pending(), Duration::from_secs(1)));

    let admitted = clients_ca.issue_client("ops");
    assert_eq!(get(addr, &client(&server_ca.der, Some(&admitted)), "/api/overview").await, Ok(200));
    assert!(get(addr, &client(&server_ca.der, None), "/api/overview").await.is_err(), "no client certificate");
    let stranger = stranger_ca.issue_client("ops");
    assert!(get(addr, &client(&server_ca.der, Some(&stranger)), "/api/overview").await.is_err(), "a certificate another CA issued");

    std::fs::write(dir.path().join("empty.pem"), "no certificate here\n").unwrap();
    config.client_ca = Some(dir.path().join("empty.pem"));
    let refused = Dashboard::bind(config).await.unwrap_err().to_string();
    assert!(refused.starts_with("--dashboard-client-ca ") && refused.contains("empty.pem") && refused.contains("no PEM certificate"), "{refused}");
}
