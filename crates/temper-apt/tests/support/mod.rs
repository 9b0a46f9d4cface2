//! A real, signed apt repository for tests: the pinned Debian `.deb`s that
//! `scripts/apt-repo-fixture.sh` downloaded once are copied into a temporary
//! `pool/`, indexed with `apt-ftparchive`, signed with a throw-away key made
//! by `gpg --batch` (a certification-only primary with a signing subkey, as
//! Debian's archive keys are), and served by a loopback HTTP server that
//! stops when the repository is dropped.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use sha2::{Digest, Sha256};

/// The suite every test repository is published as.
pub const SUITE: &str = "stable";

/// The fixture's `.deb` directory; fails with what to run when it is missing.
pub fn fixture_debs() -> PathBuf {
    let dir = std::env::var_os("TEMPER_APT_FIXTURE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/temper-apt-fixture"))
        .join("debs");
    assert!(dir.join(".done").is_file(), "apt fixture not found at {} (run scripts/apt-repo-fixture.sh, or scripts/test.sh)", dir.display());
    dir
}

/// The fixture's second set: newer versions of the corpus's debian-outdated packages.
pub fn fixture_upgrades() -> PathBuf {
    let dir = fixture_debs().parent().expect("fixture dir").join("upgrades");
    assert!(dir.join(".done").is_file(), "apt upgrade fixture not found at {} (run scripts/apt-repo-fixture.sh, or scripts/test.sh)", dir.display());
    dir
}

/// The fixture `.deb` of package `name` (`curl_7.88.1-10+deb12u15_amd64.deb`).
pub fn fixture_deb(name: &str) -> PathBuf {
    let prefix = format!("{name}_");
    std::fs::read_dir(fixture_debs())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {name} .deb in the fixture"))
}

fn copy_debs(pool: &Path) {
    copy_debs_from(pool, &[fixture_debs()]);
}

fn copy_debs_from(pool: &Path, dirs: &[PathBuf]) {
    std::fs::create_dir_all(pool).unwrap();
    for dir in dirs {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "deb") {
                std::fs::copy(&path, pool.join(path.file_name().unwrap())).unwrap();
            }
        }
    }
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// A gpg home with one test key: a primary that only certifies and a
/// subkey that signs.
pub struct Gpg {
    home: tempfile::TempDir,
    /// The primary key's fingerprint (upper-case hex, as gpg prints it).
    pub fingerprint: String,
    /// The signing subkey's fingerprint.
    pub subkey: String,
}

impl Gpg {
    pub fn new(name: &str) -> Gpg {
        // Short path: gpg-agent's socket path must fit in a sockaddr_un.
        let home = tempfile::Builder::new().prefix("tg").tempdir_in("/tmp").unwrap();
        let mut g = Gpg { home, fingerprint: String::new(), subkey: String::new() };
        run(g.cmd().args(["--quick-gen-key", &format!("{name} <{name}@temper.invalid>"), "ed25519", "cert", "never"]));
        let fprs = g.fingerprints();
        run(g.cmd().args(["--quick-add-key", &fprs[0], "ed25519", "sign", "never"]));
        let fprs = g.fingerprints();
        g.fingerprint = fprs[0].clone();
        g.subkey = fprs[1].clone();
        g
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", self.home.path()).args(["--batch", "--yes", "--quiet", "--pinentry-mode", "loopback", "--passphrase", ""]);
        c
    }

    fn fingerprints(&self) -> Vec<String> {
        let out = run(self.cmd().args(["--with-colons", "--list-keys"]));
        String::from_utf8(out).unwrap().lines().filter_map(|l| l.strip_prefix("fpr:")).map(|l| l.trim_matches(':').to_owned()).collect()
    }

    /// The public key, armored or binary (`gpg --export`).
    pub fn export(&self, armor: bool) -> Vec<u8> {
        let mut c = self.cmd();
        c.arg("--export");
        if armor {
            c.arg("--armor");
        }
        run(c.arg(&self.fingerprint))
    }

    /// Signs `dir/Release` into `dir/InRelease` and `dir/Release.gpg`, with the subkey.
    pub fn sign_release(&self, dir: &Path) {
        let user = format!("{}!", self.subkey);
        let release = dir.join("Release");
        run(self.cmd().args(["--local-user", &user, "--digest-algo", "SHA512", "--clearsign", "-o"]).arg(dir.join("InRelease")).arg(&release));
        run(self.cmd().args(["--local-user", &user, "--digest-algo", "SHA512", "--armor", "--detach-sign", "-o"]).arg(dir.join("Release.gpg")).arg(&release));
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf").env("GNUPGHOME", self.home.path()).args(["--kill", "gpg-agent"]).stderr(Stdio::null()).status();
    }
}

/// How a test repository is made.
#[derive(Clone, Debug, Default)]
pub struct RepoOptions {
    /// A `Valid-Until` line written into `Release` before signing.
    pub valid_until: Option<String>,
    /// `Acquire-By-Hash: yes`, each index also at `by-hash/SHA256/<hex>`.
    pub by_hash: bool,
}

/// A signed repository of the fixture's `.deb`s, served on loopback.
pub struct TestRepo {
    pub dir: tempfile::TempDir,
    pub key: Gpg,
    pub server: Server,
}

impl TestRepo {
    pub fn new() -> TestRepo {
        Self::with(RepoOptions::default())
    }

    pub fn with(opts: RepoOptions) -> TestRepo {
        Self::of(&[fixture_debs()], opts)
    }

    /// A repository of the `.deb`s in `dirs` (and what is added to its pool later, with [`TestRepo::reindex`]).
    pub fn of(dirs: &[PathBuf], opts: RepoOptions) -> TestRepo {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        copy_debs_from(&root.join("pool/main"), dirs);
        let bin = root.join(format!("dists/{SUITE}/main/binary-amd64"));
        std::fs::create_dir_all(&bin).unwrap();
        let packages = run(Command::new("apt-ftparchive").current_dir(root).args(["packages", "pool/main"]));
        std::fs::write(bin.join("Packages"), &packages).unwrap();
        run(Command::new("gzip").args(["-9", "-k", "-n"]).arg(bin.join("Packages")));
        run(Command::new("xz").args(["-k"]).arg(bin.join("Packages")));
        let key = Gpg::new("temper-test");
        let server = Server::start(root);
        let repo = TestRepo { dir, key, server };
        repo.write_release(&opts);
        repo
    }

    /// Indexes the pool again (after `.deb`s were added to it) and signs a new release.
    pub fn reindex(&self) {
        let root = self.root();
        let bin = root.join(format!("dists/{SUITE}/main/binary-amd64"));
        let packages = run(Command::new("apt-ftparchive").current_dir(root).args(["packages", "pool/main"]));
        std::fs::write(bin.join("Packages"), &packages).unwrap();
        for ext in ["gz", "xz"] {
            let _ = std::fs::remove_file(bin.join(format!("Packages.{ext}")));
        }
        run(Command::new("gzip").args(["-9", "-k", "-n"]).arg(bin.join("Packages")));
        run(Command::new("xz").args(["-k"]).arg(bin.join("Packages")));
        self.write_release(&RepoOptions::default());
    }

    /// A flat repository (`deb URL ./`): `Packages`, `Release`, `InRelease`
    /// and `Release.gpg` beside `pool/` at the archive root.
    pub fn flat() -> TestRepo {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        copy_debs(&root.join("pool/main"));
        let packages = run(Command::new("apt-ftparchive").current_dir(root).args(["packages", "pool/main"]));
        std::fs::write(root.join("Packages"), &packages).unwrap();
        run(Command::new("xz").args(["-k"]).arg(root.join("Packages")));
        let release = run(Command::new("apt-ftparchive").current_dir(root).args(["release", "."]));
        std::fs::write(root.join("Release"), release).unwrap();
        let key = Gpg::new("temper-flat");
        key.sign_release(root);
        let server = Server::start(root);
        TestRepo { dir, key, server }
    }

    /// The archive root on disk.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `dists/<suite>/`.
    pub fn dist(&self) -> PathBuf {
        self.root().join("dists").join(SUITE)
    }

    /// The archive's URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    /// A one-line source entry for the repository.
    pub fn source_line(&self) -> String {
        format!("deb {} {SUITE} main", self.url())
    }

    /// Writes `Release` for the current indexes and signs it again.
    pub fn write_release(&self, opts: &RepoOptions) {
        let out = run(Command::new("apt-ftparchive").current_dir(self.root()).args([
            "-o",
            &format!("APT::FTPArchive::Release::Suite={SUITE}"),
            "-o",
            &format!("APT::FTPArchive::Release::Codename={SUITE}"),
            "-o",
            "APT::FTPArchive::Release::Architectures=amd64",
            "-o",
            "APT::FTPArchive::Release::Components=main",
            "release",
            &format!("dists/{SUITE}"),
        ]));
        let mut text = String::from_utf8(out).unwrap();
        if let Some(until) = &opts.valid_until {
            let at = text.find("\nDate:").map(|i| i + 1).unwrap_or(0);
            text.insert_str(at, &format!("Valid-Until: {until}\n"));
        }
        if opts.by_hash {
            text.insert_str(text.find("\nDate:").map(|i| i + 1).unwrap_or(0), "Acquire-By-Hash: yes\n");
            let bin = self.dist().join("main/binary-amd64");
            let by_hash = bin.join("by-hash/SHA256");
            std::fs::create_dir_all(&by_hash).unwrap();
            for name in ["Packages", "Packages.gz", "Packages.xz"] {
                let bytes = std::fs::read(bin.join(name)).unwrap();
                std::fs::write(by_hash.join(hex::encode(Sha256::digest(&bytes))), bytes).unwrap();
            }
        }
        std::fs::write(self.dist().join("Release"), text).unwrap();
        self.key.sign_release(&self.dist());
    }
}

/// A loopback HTTP/1.1 server of a directory's files (GET only, one
/// request per connection), stopped on drop.
pub struct Server {
    pub addr: std::net::SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(root: &Path) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (root, flag) = (root.to_owned(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = serve(&root, stream);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server { addr, stop, thread: Some(thread) }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(root: &Path, stream: TcpStream) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
    }
    // Percent-decoded, as web servers do (pool names hold a literal `%3a` for an epoch's `:`).
    let path = percent_encoding::percent_decode_str(request.split_whitespace().nth(1).unwrap_or("/")).decode_utf8_lossy().trim_start_matches('/').to_owned();
    let file = (!path.split('/').any(|c| c == "..")).then(|| root.join(&path)).filter(|p| p.is_file());
    let mut out = stream;
    match file.and_then(|p| std::fs::read(p).ok()) {
        Some(body) => {
            write!(out, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())?;
            out.write_all(&body)?;
        }
        None => write!(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?,
    }
    out.flush()
}
