//! Harness for `tests/registry.rs`: finds the tools and the corpus (and
//! fails loudly when they are missing), runs a real `docker-registry` on
//! 127.0.0.1 under a kill-on-drop guard, pushes with `skopeo`, and runs the
//! `temper` binary with a time bound and a hermetic environment.

pub mod faults;
pub mod pki;
pub mod podman;
pub mod token;

use std::fs::{self, File};
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any one subprocess (temper, skopeo) may run.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a registry may take to listen.
const REGISTRY_READY_TIMEOUT: Duration = Duration::from_secs(10);

/// The corpus root: `$TEMPER_CORPUS`, else `~/.cache/temper-corpus`.
fn corpus_root() -> PathBuf {
    std::env::var_os("TEMPER_CORPUS").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").expect("HOME is not set and TEMPER_CORPUS is not either")).join(".cache/temper-corpus")
    })
}

/// The docker archive of corpus image `image`; panics when it is absent.
pub fn corpus_archive(image: &str) -> PathBuf {
    let path = corpus_root().join("docker-archive").join(format!("{image}.tar"));
    assert!(path.is_file(), "corpus archive '{image}' not found at {} (build the corpus with scripts/test.sh, or point TEMPER_CORPUS at it)", path.display());
    path
}

/// The OCI layout of corpus image `image`; panics when it is absent.
pub fn corpus_layout(image: &str) -> PathBuf {
    let dir = corpus_root().join("oci").join(image);
    assert!(
        dir.join("index.json").is_file() && dir.join("blobs/sha256").is_dir(),
        "corpus image '{image}' not found at {} (build the corpus with scripts/test.sh, or point TEMPER_CORPUS at it)",
        dir.display()
    );
    dir
}

/// The path of a required program; panics (never skips) when it is absent.
pub fn tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("'{name}' not found on PATH: the registry tests need docker-registry, skopeo and podman (apt-get install docker-registry skopeo podman, or run scripts/test.sh)"))
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> Value {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A blob of an OCI layout, by `sha256:…` digest.
pub fn layout_blob(layout: &Path, digest: &str) -> Vec<u8> {
    let hex = digest.strip_prefix("sha256:").unwrap_or_else(|| panic!("not a sha256 digest: {digest}"));
    let path = layout.join("blobs/sha256").join(hex);
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The descriptor `index.json` of a layout gives for tag `latest`.
pub fn layout_latest(layout: &Path) -> Value {
    let index = read_json(&layout.join("index.json"));
    index["manifests"]
        .as_array()
        .and_then(|m| m.iter().find(|d| d["annotations"]["org.opencontainers.image.ref.name"] == "latest"))
        .cloned()
        .unwrap_or_else(|| panic!("{}/index.json has no manifest tagged latest", layout.display()))
}

/// What a finished subprocess left.
pub struct Run {
    /// What was run, for messages.
    pub what: String,
    /// The exit status.
    pub status: ExitStatus,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl Run {
    /// The exit code (`None` when killed by a signal).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Panics unless the run succeeded; returns stdout parsed as JSON.
    pub fn json(&self) -> Value {
        assert!(self.status.success(), "{} failed ({}): {}", self.what, self.status, self.stderr);
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|e| panic!("{}: stdout is not JSON ({e}): {}", self.what, String::from_utf8_lossy(&self.stdout)))
    }

    /// Panics unless the run failed with temper's error exit (2) and one
    /// `temper: error:` line on stderr; returns that line.
    pub fn error_line(&self) -> &str {
        assert_eq!(self.code(), Some(2), "{}: expected exit code 2, got {}; stderr: {}", self.what, self.status, self.stderr);
        assert!(self.stdout.is_empty(), "{}: an error must print nothing on stdout, got {}", self.what, String::from_utf8_lossy(&self.stdout));
        let line = self.stderr.strip_suffix('\n').unwrap_or(&self.stderr);
        assert!(
            line.starts_with("temper: error: ") && !line.contains('\n'),
            "{}: expected one 'temper: error:' line on stderr, got: {:?}",
            self.what,
            self.stderr
        );
        line
    }
}

/// Runs `cmd` to completion, killing it after [`COMMAND_TIMEOUT`].
pub fn run_bounded(mut cmd: Command, what: String) -> Run {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                let stderr = err_reader.join().unwrap_or_default();
                panic!("{what} did not finish within {COMMAND_TIMEOUT:?}; stderr so far: {}", String::from_utf8_lossy(&stderr));
            }
            Err(e) => panic!("waiting for {what}: {e}"),
        }
    };
    let stdout = out_reader.join().expect("stdout reader");
    let stderr = String::from_utf8_lossy(&err_reader.join().expect("stderr reader")).into_owned();
    Run { what, status, stdout, stderr }
}

/// Runs the `temper` binary with `args`, without credentials from the
/// environment: no `TEMPER_CREDS`, and a `DOCKER_CONFIG` that holds nothing.
pub fn temper(args: &[&str]) -> Run {
    temper_env(args, &[])
}

/// [`temper`] with more environment variables.
pub fn temper_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let empty = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_temper"));
    cmd.args(args).env_remove("TEMPER_CREDS").env("DOCKER_CONFIG", empty.path()).env("NO_COLOR", "1");
    cmd.envs(env.iter().copied());
    run_bounded(cmd, format!("temper {}", args.join(" ")))
}

/// Runs skopeo with a policy that accepts anything (no system policy needed).
pub fn skopeo(work: &Path, args: &[&str]) -> Run {
    let policy = work.join("skopeo-policy.json");
    if !policy.is_file() {
        fs::write(&policy, r#"{"default":[{"type":"insecureAcceptAnything"}]}"#).expect("write skopeo policy");
    }
    let mut cmd = Command::new(tool("skopeo"));
    cmd.arg("--policy").arg(&policy).args(args);
    run_bounded(cmd, format!("skopeo {}", args.join(" ")))
}

/// Pushes the `latest` tag of corpus layout `layout` to `dest`
/// (`docker://…`) with skopeo; `extra` carries TLS and credential flags.
/// `--preserve-digests` makes skopeo refuse to change any manifest.
pub fn push(work: &Path, layout: &Path, dest: &str, all: bool, extra: &[&str]) {
    let src = format!("oci:{}:latest", layout.display());
    let mut args = vec!["copy", "--preserve-digests", "--retry-times", "0"];
    if all {
        args.push("--all");
    }
    args.extend_from_slice(extra);
    args.extend([src.as_str(), dest]);
    let run = skopeo(work, &args);
    assert!(run.status.success(), "{} failed ({}): {}", run.what, run.status, run.stderr);
}

/// How a registry authenticates.
pub enum Auth {
    /// Anyone may push and pull.
    None,
    /// `auth.htpasswd`.
    Htpasswd {
        /// The htpasswd file.
        path: PathBuf,
    },
    /// `auth.token`: a bearer token from `realm`, signed by a certificate
    /// of `rootcertbundle`.
    Token {
        /// The token endpoint.
        realm: String,
        /// The `service` (token audience).
        service: String,
        /// The token issuer.
        issuer: String,
        /// PEM of the trusted signing certificates.
        rootcertbundle: PathBuf,
    },
}

/// TLS files for a registry.
pub struct ServerTls {
    /// PEM certificate chain.
    pub certificate: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// A running `docker-registry serve`, killed when dropped.
pub struct Registry {
    child: Child,
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    log: PathBuf,
    /// Its config file.
    pub config: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("bind 127.0.0.1:0").port()
}

impl Registry {
    /// Starts a registry named `name` (for its config and log files in
    /// `work`) over `storage`, and waits until it listens.
    pub fn start(work: &Path, name: &str, storage: &Path, tls: Option<&ServerTls>, auth: &Auth) -> Registry {
        Self::start_with(work, name, storage, tls, auth, false)
    }

    /// [`Registry::start`] with `storage.delete.enabled`, so manifests and
    /// blobs can be deleted, without TLS or auth.
    pub fn start_deletable(work: &Path, name: &str, storage: &Path) -> Registry {
        Self::start_with(work, name, storage, None, &Auth::None, true)
    }

    fn start_with(work: &Path, name: &str, storage: &Path, tls: Option<&ServerTls>, auth: &Auth, delete: bool) -> Registry {
        let program = tool("docker-registry");
        // The port is free when picked but not held; another process may
        // take it first, in which case the registry exits and is retried.
        for attempt in 1..=3 {
            let port = free_port();
            let mut http = json!({ "addr": format!("127.0.0.1:{port}") });
            if let Some(tls) = tls {
                http["tls"] = json!({ "certificate": tls.certificate, "key": tls.key });
            }
            let mut config = json!({
                "version": "0.1",
                "log": { "level": "info", "formatter": "text" },
                "storage": {
                    "filesystem": { "rootdirectory": storage },
                    "maintenance": { "uploadpurging": { "enabled": false } },
                },
                "http": http,
            });
            if delete {
                config["storage"]["delete"] = json!({ "enabled": true });
            }
            match auth {
                Auth::None => {}
                Auth::Htpasswd { path } => config["auth"] = json!({ "htpasswd": { "realm": "temper-test-realm", "path": path } }),
                Auth::Token { realm, service, issuer, rootcertbundle } => {
                    config["auth"] = json!({ "token": { "realm": realm, "service": service, "issuer": issuer, "rootcertbundle": rootcertbundle } })
                }
            }
            // YAML is a superset of JSON: the config is written as JSON so
            // every path and string is quoted correctly.
            let config_path = work.join(format!("{name}-config.yml"));
            fs::write(&config_path, serde_json::to_vec_pretty(&config).expect("config JSON")).expect("write registry config");
            let log = work.join(format!("{name}-{attempt}.log"));
            let log_file = File::create(&log).expect("create registry log");
            let child = Command::new(&program)
                .arg("serve")
                .arg(&config_path)
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("clone log file"))
                .stderr(log_file)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
            let mut registry = Registry { child, port, log, config: config_path.clone() };
            match registry.wait_ready() {
                Ok(()) => return registry,
                Err(reason) => {
                    let log = registry.log();
                    if attempt < 3 && log.contains("address already in use") {
                        continue;
                    }
                    panic!("docker-registry '{name}' did not start: {reason}; its log:\n{log}");
                }
            }
        }
        unreachable!("the last attempt either returns or panics")
    }

    /// Polls the port until it accepts, while the process lives.
    fn wait_ready(&mut self) -> Result<(), String> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + REGISTRY_READY_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Err(format!("it exited ({status})"));
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                // Listening, and still alive: not someone else's port.
                thread::sleep(Duration::from_millis(30));
                return match self.child.try_wait().map_err(|e| e.to_string())? {
                    Some(status) => Err(format!("it exited ({status})")),
                    None => Ok(()),
                };
            }
            if Instant::now() >= deadline {
                return Err(format!("nothing listened on {addr} within {REGISTRY_READY_TIMEOUT:?}"));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The registry's log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_else(|e| format!("(no log at {}: {e})", self.log.display()))
    }
}

impl Registry {
    /// Stops it (the process this harness started, by its handle) and waits for it.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes a docker `config.json` with basic credentials for `registry`.
pub fn docker_config(path: &Path, registry: &str, user: &str, password: &str) {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let config = json!({ "auths": { registry: { "auth": auth } } });
    fs::write(path, serde_json::to_vec_pretty(&config).expect("docker config JSON")).expect("write docker config");
}

/// Writes an htpasswd file with a bcrypt hash of `password` for `user`.
pub fn htpasswd(path: &Path, user: &str, password: &str) {
    let hash = bcrypt::hash(password, 4).expect("bcrypt");
    assert!(bcrypt::verify(password, &hash).expect("bcrypt verify"), "bcrypt round trip");
    fs::write(path, format!("{user}:{hash}\n")).expect("write htpasswd");
}
