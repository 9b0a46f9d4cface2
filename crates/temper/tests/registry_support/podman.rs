//! Debian's `podman` as a local engine: a private store (storage driver
//! `vfs`, root and runroot in a temporary directory) loaded from corpus
//! docker archives, and its Docker-compatible API served on a socket in
//! that directory by `podman system service`, killed by its process when
//! dropped.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::{run_bounded, tool};

/// How long the API service may take to listen.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// A running `podman system service` over a private store.
/// (Fields drop in order: the service is killed before its files go.)
pub struct Podman {
    child: Child,
    /// More services on the same store (TCP).
    more: Vec<Child>,
    /// The API socket.
    pub socket: PathBuf,
    dir: TempDir,
}

impl Podman {
    /// The store flags every podman command here gets.
    fn store_args(dir: &Path) -> Vec<String> {
        let p = |name: &str| dir.join(name).display().to_string();
        vec!["--root".into(), p("root"), "--runroot".into(), p("run"), "--storage-driver".into(), "vfs".into()]
    }

    /// Loads `archives` (docker-archive tars) into a new store and serves it.
    pub fn start(archives: &[PathBuf]) -> Podman {
        let program = tool("podman");
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Self::store_args(dir.path());
        for archive in archives {
            let mut cmd = Command::new(&program);
            cmd.args(&store).arg("load").arg("-i").arg(archive);
            let run = run_bounded(cmd, format!("podman load -i {}", archive.display()));
            assert!(run.status.success(), "{} failed ({}): {}", run.what, run.status, run.stderr);
        }
        let socket = dir.path().join("podman.sock");
        let child = Self::service(dir.path(), &format!("unix://{}", socket.display()));
        let mut podman = Podman { child, more: Vec::new(), socket, dir };
        let socket = podman.socket.clone();
        Self::wait_ready(&mut podman.child, &podman.dir, || UnixStream::connect(&socket).is_ok());
        podman
    }

    /// Starts `podman system service` on `url`, logging to the directory.
    fn service(dir: &Path, url: &str) -> Child {
        let program = tool("podman");
        let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("service.log")).expect("service log");
        Command::new(&program)
            .args(Self::store_args(dir))
            .args(["system", "service", "--time=0", url])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()))
    }

    fn wait_ready(child: &mut Child, dir: &TempDir, listening: impl Fn() -> bool) {
        let log = || std::fs::read_to_string(dir.path().join("service.log")).unwrap_or_default();
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("podman system service exited ({status}); its log:\n{}", log());
            }
            if listening() {
                return;
            }
            assert!(Instant::now() < deadline, "podman did not listen within {READY_TIMEOUT:?}; its log:\n{}", log());
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Serves the same store on a TCP port of 127.0.0.1 too; returns
    /// `tcp://127.0.0.1:PORT`, for `DOCKER_HOST`.
    pub fn serve_tcp(&mut self) -> String {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let url = format!("tcp://127.0.0.1:{port}");
        let mut child = Self::service(self.dir.path(), &url);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        Self::wait_ready(&mut child, &self.dir, || TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok());
        self.more.push(child);
        url
    }

    /// `unix:///…/podman.sock`, for `DOCKER_HOST` or `CONTAINER_HOST`.
    pub fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        for child in std::iter::once(&mut self.child).chain(self.more.iter_mut()) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
