//! Debian's `podman` as a local engine: a private store (storage driver
//! `vfs`, root and runroot in a temporary directory) loaded from corpus
//! docker archives, and its Docker-compatible API served on a socket in
//! that directory by `podman system service`, killed by its process when
//! dropped.

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
        let log = std::fs::File::create(dir.path().join("service.log")).expect("service log");
        let child = Command::new(&program)
            .args(&store)
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let mut podman = Podman { child, socket, dir };
        podman.wait_ready();
        podman
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("podman system service exited ({status}); its log:\n{}", self.log());
            }
            if UnixStream::connect(&self.socket).is_ok() {
                return;
            }
            assert!(Instant::now() < deadline, "podman did not listen on {} within {READY_TIMEOUT:?}; its log:\n{}", self.socket.display(), self.log());
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// `unix:///…/podman.sock`, for `DOCKER_HOST` or `CONTAINER_HOST`.
    pub fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// The service's log so far.
    pub fn log(&self) -> String {
        let path = self.dir.path().join("service.log");
        std::fs::read_to_string(&path).unwrap_or_else(|e| format!("(no log at {}: {e})", path.display()))
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
