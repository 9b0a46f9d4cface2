//! A throwaway PostgreSQL server for the fleet tests: `initdb` in a
//! temporary directory, `postgres` on a free loopback port with its Unix
//! socket in that directory, stopped (`pg_ctl stop`, which signals the
//! postmaster's pid) when dropped. As root, initdb refuses to run, so the
//! server runs as the `postgres` user Debian's package creates (through
//! `runuser`), owning the directory. `start_tls` turns `ssl` on with a
//! certificate and key the test makes. Without the server binaries the
//! tests skip with a message, except in CI (`CI=true`), where they fail.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use temper_fleet::Location;

pub struct PgServer {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

/// The newest `/usr/lib/postgresql/N/bin` holding the server, or the
/// directory `TEMPER_PG_BIN` names.
fn binaries() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("TEMPER_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin): &(u32, PathBuf)| bin.join("initdb").is_file() && bin.join("postgres").is_file())
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl PgServer {
    /// A running server, or `None` (skipped, said on stderr) when the
    /// binaries are absent outside CI.
    pub fn start() -> Option<PgServer> {
        PgServer::start_with(None)
    }

    /// A running server with `ssl=on`, presenting certificate `cert_pem`
    /// (its key `key_pem`); plain connections are still accepted.
    pub fn start_tls(cert_pem: &str, key_pem: &str) -> Option<PgServer> {
        PgServer::start_with(Some((cert_pem, key_pem)))
    }

    fn start_with(tls: Option<(&str, &str)>) -> Option<PgServer> {
        let Some(bin) = binaries() else {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "PostgreSQL server binaries not found under /usr/lib/postgresql (scripts/test.sh installs Debian's postgresql)");
            eprintln!("skipped: no PostgreSQL server binaries (install Debian's postgresql, or set TEMPER_PG_BIN)");
            return None;
        };
        let as_postgres = std::fs::metadata("/proc/self").unwrap().uid() == 0;
        let dir = tempfile::Builder::new().prefix("temper-pg").tempdir().unwrap();
        if as_postgres {
            let status = Command::new("chown").arg("postgres").arg(dir.path()).status().unwrap();
            assert!(status.success(), "chown postgres {}", dir.path().display());
        }
        let server = PgServer { bin, dir, port: free_port(), as_postgres };
        let data = server.data();
        server.run("initdb", &["-D", data.to_str().unwrap(), "-U", "temper", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        let mut options = format!("-k {} -c listen_addresses=127.0.0.1 -p {} -c fsync=off -c max_connections=50", server.dir.path().display(), server.port);
        if let Some((cert, key)) = tls {
            // The server refuses a key file others can read, or one owned by another user than itself or root.
            for (name, pem) in [("server.crt", cert), ("server.key", key)] {
                let path = server.dir.path().join(name);
                std::fs::write(&path, pem).unwrap();
                std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
                if as_postgres {
                    assert!(Command::new("chown").arg("postgres").arg(&path).status().unwrap().success(), "chown postgres {}", path.display());
                }
            }
            let dir = server.dir.path().display();
            options.push_str(&format!(" -c ssl=on -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key"));
        }
        let log = server.dir.path().join("server.log");
        server.run("pg_ctl", &["start", "-D", data.to_str().unwrap(), "-w", "-t", "60", "-s", "-l", log.to_str().unwrap(), "-o", &options]);
        Some(server)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self.command(program).args(args).current_dir(self.dir.path()).stdin(Stdio::null()).output().unwrap();
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        assert!(out.status.success(), "{program} {args:?}: {}{}\n{log}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }

    /// A new, empty database on the server.
    pub fn database(&self, name: &str) -> Location {
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls).unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        Location::Postgres(self.url(name))
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://temper@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self.command("pg_ctl").args(["stop", "-D", data.to_str().unwrap_or_default(), "-m", "fast", "-w", "-s"]).stdin(Stdio::null()).status();
    }
}
