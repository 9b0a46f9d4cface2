//! `docker-daemon:` and `podman:` — an image in a local engine, read through
//! the Docker Engine API that both speak: `GET /images/{name}/json` to learn
//! that it exists and how big it is, then `GET /images/{name}/get` (what
//! `docker save` calls) for a docker-archive of it.
//!
//! The archive is spooled to a temporary file, refused past
//! [`Limits::archive_bytes`](crate::Limits), and read by the docker-archive
//! reader, because engines write `manifest.json` after the layers (Docker,
//! and Podman's compatible API alike): nothing about the image is known
//! until its last bytes arrive, and the layers are then walked in parallel
//! by seeking into the archive. The spool never sits in memory, and it is
//! deleted when the [`Image`] is dropped.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, LazyBuffers, NextTimeout, Transport};
use ureq::{Agent, Body};

use super::docker_archive;
use super::files::TarFiles;
use crate::OpenOptions;
use crate::error::{Error, Result};
use crate::image::Image;
use crate::model;
use crate::reference::Engine;

/// Where an engine's API listens.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Endpoint {
    Unix(PathBuf),
    /// `host:port`, plain HTTP.
    Tcp(String),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "unix://{}", p.display()),
            Endpoint::Tcp(h) => write!(f, "tcp://{h}"),
        }
    }
}

/// Parses `unix:///path` or `tcp://host:port` as `DOCKER_HOST` and
/// `CONTAINER_HOST` spell them.
fn parse_host(var: &str, value: &str) -> Result<Endpoint> {
    if let Some(path) = value.strip_prefix("unix://") {
        return Ok(Endpoint::Unix(PathBuf::from(path)));
    }
    if let Some(host) = value.strip_prefix("tcp://").or_else(|| value.strip_prefix("http://")) {
        let host = host.trim_end_matches('/');
        if !host.is_empty() && !host.contains(['/', '@', '?', '#']) {
            return Ok(Endpoint::Tcp(host.to_owned()));
        }
    }
    Err(Error::Daemon {
        image: format!("{var}={value}"),
        reason: "is neither unix:///PATH nor tcp://HOST:PORT (TLS and ssh:// endpoints are not supported; forward the socket locally)".into(),
    })
}

/// The endpoints to try, in order, with where each came from.
fn endpoints(engine: Engine) -> Result<Vec<(Endpoint, String)>> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match engine {
        Engine::Docker => match env("DOCKER_HOST") {
            Some(v) => Ok(vec![(parse_host("DOCKER_HOST", &v)?, "DOCKER_HOST".into())]),
            None => Ok(vec![(Endpoint::Unix("/var/run/docker.sock".into()), "the default".into())]),
        },
        Engine::Podman => {
            if let Some(v) = env("CONTAINER_HOST") {
                return Ok(vec![(parse_host("CONTAINER_HOST", &v)?, "CONTAINER_HOST".into())]);
            }
            let mut tried = Vec::new();
            if let Some(dir) = env("XDG_RUNTIME_DIR") {
                tried.push((Endpoint::Unix(Path::new(&dir).join("podman/podman.sock")), "XDG_RUNTIME_DIR".into()));
            }
            tried.push((Endpoint::Unix("/run/podman/podman.sock".into()), "the rootful default".into()));
            Ok(tried)
        }
    }
}

/// The local engines whose API endpoint is configured or whose socket
/// exists, as `Docker at unix:///var/run/docker.sock` (for hints).
pub(crate) fn available() -> Vec<String> {
    [Engine::Docker, Engine::Podman]
        .into_iter()
        .filter_map(|engine| {
            let found = endpoints(engine).ok()?.into_iter().find(|(e, _)| !matches!(e, Endpoint::Unix(p) if !p.exists()))?;
            Some(format!("{engine} at {}", found.0))
        })
        .collect()
}

/// What `GET /images/{name}/json` tells.
#[derive(Deserialize)]
struct ImageInspect {
    #[serde(rename = "Size", default)]
    size: u64,
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(default)]
    message: String,
}

/// Opens the image `name` of `engine`.
pub(crate) fn open(display: &str, engine: Engine, name: &str, opts: &OpenOptions) -> Result<Image> {
    let err = |reason: String| Error::Daemon { image: display.to_owned(), reason };
    let candidates = endpoints(engine)?;
    let Some((endpoint, _)) = candidates.iter().find(|(e, _)| !matches!(e, Endpoint::Unix(p) if !p.exists())) else {
        let tried = candidates.iter().map(|(e, from)| format!("{e} ({from})")).collect::<Vec<_>>().join(", ");
        let (var, save) = match engine {
            Engine::Docker => ("DOCKER_HOST", "docker save"),
            Engine::Podman => ("CONTAINER_HOST", "podman save"),
        };
        return Err(err(format!(
            "no {engine} API socket at {tried}; set {var}=unix:///PATH/TO/SOCKET (or tcp://HOST:PORT) to use another, or `{save} -o image.tar {name}` and read docker-archive:image.tar, which needs no daemon"
        )));
    };
    let agent = agent(endpoint);
    let base = match endpoint {
        Endpoint::Unix(_) => "http://localhost".to_owned(),
        Endpoint::Tcp(h) => format!("http://{h}"),
    };
    let path = encode(name);
    let call = |what: &str| {
        let url = format!("{base}/images/{path}/{what}");
        let mut resp = agent.get(&url).call().map_err(|e| err(format!("{endpoint}: {e}")))?;
        let status = resp.status().as_u16();
        if status == 200 {
            return Ok(resp);
        }
        let body = resp.body_mut().with_config().limit(64 * 1024).read_to_vec().unwrap_or_default();
        let message = serde_json::from_slice::<ApiError>(&body).map(|e| e.message).unwrap_or_default();
        Err(err(if status == 404 {
            format!("the {engine} engine at {endpoint} has no image '{name}' ({message}); pull or build it first, or list what it has with `{} images`", engine.cli())
        } else {
            format!("{endpoint} answered HTTP {status} for /images/{path}/{what}: {message}")
        }))
    };

    let limit = opts.limits.archive_bytes;
    let mut resp = call("json")?;
    let bytes = resp.body_mut().with_config().limit(opts.limits.manifest_bytes).read_to_vec().map_err(|e| err(format!("{endpoint}: image details: {e}")))?;
    let details: ImageInspect =
        model::parse_document(&bytes, opts.limits.manifest_bytes, "image details").map_err(|e| err(format!("{endpoint}: image details: {e}")))?;
    if details.size > limit {
        return Err(err(format!("is {} bytes, over the {limit}-byte image limit (--max-image-size)", details.size)));
    }

    let resp = call("get")?;
    let spool = spool(resp.into_body(), limit).map_err(|e| err(format!("saving the image from {endpoint}: {e}")))?;
    docker_archive::open(display, TarFiles::spooled(spool)?, None, opts)
}

/// Copies the archive into a temporary file, refusing it past `limit` bytes.
fn spool(body: Body, limit: u64) -> io::Result<tempfile::TempPath> {
    let mut file = tempfile::Builder::new().prefix("temper-daemon-").suffix(".tar").tempfile()?;
    let mut reader = body.into_with_config().limit(u64::MAX).reader().take(limit.saturating_add(1));
    let mut out = io::BufWriter::with_capacity(1 << 20, file.as_file_mut());
    let copied = io::copy(&mut reader, &mut out)?;
    out.flush()?;
    drop(out);
    if copied > limit {
        return Err(io::Error::other(format!("the archive is over the {limit}-byte image limit (--max-image-size)")));
    }
    Ok(file.into_temp_path())
}

/// Percent-encodes what a path segment may not hold; `/`, `:` and `@` stay
/// (the engines route `/images/{name:.*}/get`).
fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The longest an engine may go without sending a byte, over a Unix
/// socket, before the read is given up: a hung engine must not hang temper
/// (an export of a large image streams steadily once it has started).
const STALL: Duration = Duration::from_secs(120);

fn agent(endpoint: &Endpoint) -> Agent {
    agent_with_stall(endpoint, STALL)
}

fn agent_with_stall(endpoint: &Endpoint, stall: Duration) -> Agent {
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(10)))
        // An engine may take a while to start exporting a large image.
        .timeout_recv_response(Some(Duration::from_secs(600)))
        .user_agent(concat!("temper/", env!("CARGO_PKG_VERSION")))
        // The engine is local: an HTTP(S)_PROXY from the environment is not for it.
        .proxy(None)
        .build();
    match endpoint {
        Endpoint::Unix(path) => Agent::with_parts(config, UnixConnector { path: path.clone(), stall }, NoResolve),
        Endpoint::Tcp(_) => config.into(),
    }
}

/// Connects every request to a Unix socket, whatever the URL's host.
#[derive(Debug)]
struct UnixConnector {
    path: PathBuf,
    /// The longest wait for a byte.
    stall: Duration,
}

impl Connector<()> for UnixConnector {
    type Out = UnixTransport;

    fn connect(&self, details: &ConnectionDetails, _: Option<()>) -> Result<Option<UnixTransport>, ureq::Error> {
        let stream = UnixStream::connect(&self.path)?;
        let buffers = LazyBuffers::new(details.config.input_buffer_size(), details.config.output_buffer_size());
        Ok(Some(UnixTransport { stream, buffers, stall: self.stall }))
    }
}

/// One HTTP/1.1 exchange over a Unix socket.
#[derive(Debug)]
struct UnixTransport {
    stream: UnixStream,
    buffers: LazyBuffers,
    stall: Duration,
}

impl Transport for UnixTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.set_write_timeout(timeout.for_write().not_zero().map(|d| *d))?;
        self.stream.write_all(&self.buffers.output()[..amount])?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        // ureq gives no limit while a body streams; a stall still ends the read.
        let wait = timeout.for_read().not_zero().map_or(self.stall, |d| (*d).min(self.stall));
        self.stream.set_read_timeout(Some(wait))?;
        let n = self.stream.read(self.buffers.input_append_buf())?;
        self.buffers.input_appended(n);
        Ok(n > 0)
    }

    fn is_open(&mut self) -> bool {
        // Not pooled: each request opens its own connection.
        false
    }
}

/// The socket path is the address: no name is looked up.
#[derive(Debug)]
struct NoResolve;

impl Resolver for NoResolve {
    fn resolve(&self, _: &Uri, _: &Config, _: NextTimeout) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let mut addrs = self.empty();
        addrs.push(std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_names() {
        assert_eq!(parse_host("DOCKER_HOST", "unix:///run/user/1/docker.sock").unwrap(), Endpoint::Unix("/run/user/1/docker.sock".into()));
        assert_eq!(parse_host("DOCKER_HOST", "tcp://127.0.0.1:2375").unwrap(), Endpoint::Tcp("127.0.0.1:2375".into()));
        for bad in ["ssh://me@host", "npipe:////./pipe/docker_engine", "tcp://", "/var/run/docker.sock"] {
            let e = parse_host("DOCKER_HOST", bad).unwrap_err().to_string();
            assert!(e.contains("DOCKER_HOST=") && e.contains("unix:///PATH"), "{bad}: {e}");
        }
        assert_eq!(encode("lab/app:1.0@sha256:ab"), "lab/app:1.0@sha256:ab");
        assert_eq!(encode("a b?c#d"), "a%20b%3Fc%23d");
    }

    #[test]
    fn an_engine_that_stalls_mid_export_is_given_up() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("engine.sock");
        let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = [0u8; 4096];
            let _ = conn.read(&mut request);
            // Headers and a first chunk of the archive, then silence.
            conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nContent-Length: 1000000\r\n\r\n").unwrap();
            conn.write_all(&[0u8; 512]).unwrap();
            std::thread::sleep(Duration::from_secs(3));
        });
        let agent = agent_with_stall(&Endpoint::Unix(socket), Duration::from_millis(300));
        let started = std::time::Instant::now();
        let resp = agent.get("http://localhost/images/x/get").call().unwrap();
        let read = spool(resp.into_body(), 1 << 30);
        assert!(read.is_err(), "a stalled export must fail, not hang");
        assert!(started.elapsed() < Duration::from_secs(2), "gave up after {:?}", started.elapsed());
        server.join().unwrap();
    }
}
