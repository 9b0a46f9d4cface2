//! `[packages]` in `temper build`, end to end against a real, signed apt
//! repository of real Debian packages (temper-apt's test harness: the
//! `.deb`s `scripts/apt-repo-fixture.sh` fetched once, indexed with
//! apt-ftparchive, signed by a throw-away gpg key, served on loopback):
//! curl installed into the corpus's debian-minbase runs in a chroot;
//! debian-outdated upgraded loses exactly the findings the new versions
//! fix; a rebuild from the lock gives the same image after the repository
//! moved on.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../temper-apt/tests/support/mod.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;
use support::{RepoOptions, TestRepo, fixture_debs, fixture_upgrades};

fn corpus_image(name: &str) -> String {
    let dir = std::env::var_os("TEMPER_CORPUS").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/temper-corpus"));
    let layout = dir.join("oci").join(name);
    assert!(layout.join("index.json").is_file(), "corpus not found at {} (run scripts/test.sh)", dir.display());
    format!("oci:{}", layout.display())
}

fn shared() -> PathBuf {
    std::env::var_os("TEMPER_SHARED").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

fn temper(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_temper")).args(args).current_dir(dir).env("TEMPER_CACHE_DIR", dir.join("cache")).env_remove("TEMPER_DB").env_remove("SOURCE_DATE_EPOCH").output().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// A spec over `base` with `[packages]` from `repo`, its key beside it.
fn spec(dir: &Path, repo: &TestRepo, base: &str, packages: &str) -> PathBuf {
    std::fs::write(dir.join("archive.asc"), repo.key.export(true)).unwrap();
    let path = dir.join("golden.toml");
    std::fs::write(&path, format!("base = \"{base}\"\n[packages]\n{packages}\nsources = [\"{}\"]\nkeyrings = [\"archive.asc\"]\n", repo.source_line())).unwrap();
    path
}

/// The rootfs of an OCI layout image, unpacked by umoci.
fn unpack(layout: &Path, tag: &str, into: &Path) -> PathBuf {
    let o = Command::new("umoci").args(["unpack", "--rootless", "--image", &format!("{}:{tag}", layout.display())]).arg(into).output().unwrap();
    assert!(o.status.success(), "umoci: {}", String::from_utf8_lossy(&o.stderr));
    into.join("rootfs")
}

/// `package → version` as the host's dpkg-query reads the image's database.
fn dpkg_versions(rootfs: &Path) -> BTreeMap<String, String> {
    let o = Command::new("dpkg-query").arg(format!("--admindir={}", rootfs.join("var/lib/dpkg").display())).args(["-W", "-f", "${Package} ${Version} ${db:Status-Abbrev}\n"]).output().unwrap();
    assert!(o.status.success(), "dpkg-query: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (name, version, status) = (w.next()?, w.next()?, w.next()?);
            (status == "ii").then(|| (name.to_owned(), version.to_owned()))
        })
        .collect()
}

fn digest(o: &Output) -> String {
    let v: Value = serde_json::from_str(&ok(o)).unwrap();
    v["digest"].as_str().unwrap().to_owned()
}

#[test]
fn install_curl_on_debian_minbase_gives_a_curl_that_runs_in_a_chroot() {
    let dir = tempfile::tempdir().unwrap();
    let repo = TestRepo::new();
    let spec = spec(dir.path(), &repo, &corpus_image("debian-minbase"), "install = [\"curl\"]");
    let spec = spec.to_str().unwrap();
    // --plan says what would happen and writes nothing.
    let plan: Value = serde_json::from_str(&ok(&temper(dir.path(), &["build", spec, "--plan", "-f", "json"]))).unwrap();
    let planned: BTreeSet<&str> = plan[0]["packages"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert!(planned.contains("curl") && planned.contains("libcurl4") && !planned.contains("libc6"), "curl and what minbase lacks: {planned:?}");
    assert!(!dir.path().join("golden.lock").exists());

    let out = dir.path().join("out");
    let built = digest(&temper(dir.path(), &["build", spec, "-o", &format!("oci:{}:1", out.display()), "-f", "json"]));
    let rootfs = unpack(&out, "1", &dir.path().join("bundle"));
    let run = Command::new("chroot").arg(&rootfs).args(["curl", "--version"]).output().unwrap();
    assert!(String::from_utf8_lossy(&run.stdout).starts_with("curl 7.88.1"), "curl in the chroot: {} {}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    let versions = dpkg_versions(&rootfs);
    assert_eq!(versions.get("curl").map(String::as_str), Some("7.88.1-10+deb12u15"), "dpkg sees curl installed");
    assert!(versions.contains_key("libc6"), "the base's packages are still there");
    let verify = Command::new("dpkg").arg(format!("--root={}", rootfs.display())).args(["--verify", "curl", "libcurl4"]).output().unwrap();
    assert!(verify.status.success() && verify.stdout.is_empty(), "dpkg --verify: {}", String::from_utf8_lossy(&verify.stdout));
    let sbom = ok(&temper(dir.path(), &["sbom", &format!("oci:{}:1", out.display())]));
    assert!(sbom.lines().any(|l| l.starts_with("curl ") && l.contains("7.88.1-10+deb12u15")), "{sbom}");
    let lock = std::fs::read_to_string(dir.path().join("golden.lock")).unwrap();
    assert!(lock.contains("[[packages]]\nname = \"curl\"\nversion = \"7.88.1-10+deb12u15\""), "{lock}");

    // The repository gains a newer libpsl5: a rebuild from the lock is the same image; --update takes it.
    let newer = dir.path().join("libpsl5-newer");
    let raw = newer.join("raw");
    std::fs::create_dir_all(&newer).unwrap();
    assert!(Command::new("dpkg-deb").arg("-R").arg(support::fixture_deb("libpsl5")).arg(&raw).status().unwrap().success());
    let control = std::fs::read_to_string(raw.join("DEBIAN/control")).unwrap().replace("Version: 0.21.2-1\n", "Version: 0.21.2-1+temper1\n");
    std::fs::write(raw.join("DEBIAN/control"), control).unwrap();
    assert!(Command::new("dpkg-deb").args(["-b", "-Zxz"]).arg(&raw).arg(repo.root().join("pool/main/libpsl5_0.21.2-1+temper1_amd64.deb")).output().unwrap().status.success());
    repo.reindex();
    let again = dir.path().join("again");
    assert_eq!(digest(&temper(dir.path(), &["build", spec, "-o", &format!("oci:{}:1", again.display()), "-f", "json"])), built, "a rebuild from the lock installs the locked versions");
    let updated = temper(dir.path(), &["build", spec, "-o", &format!("oci:{}:1", dir.path().join("updated").display()), "-f", "json", "--update"]);
    assert_ne!(digest(&updated), built);
    assert!(String::from_utf8_lossy(&updated.stderr).contains("package libpsl5 0.21.2-1 -> 0.21.2-1+temper1"), "{}", String::from_utf8_lossy(&updated.stderr));
    let updated = digest(&updated);

    // The archive drops the locked libpsl5 and the package cache lost it: the spec's snapshot serves it, checked against the lock.
    let snapshot = tempfile::tempdir().unwrap();
    let name = "libpsl5_0.21.2-1+temper1_amd64.deb";
    std::fs::create_dir_all(snapshot.path().join("pool/main")).unwrap();
    std::fs::rename(repo.root().join("pool/main").join(name), snapshot.path().join("pool/main").join(name)).unwrap();
    repo.reindex();
    std::fs::remove_dir_all(dir.path().join("cache/apt-debs-v1")).unwrap();
    let server = support::Server::start(snapshot.path());
    let with_snapshot = std::fs::read_to_string(spec).unwrap() + &format!("snapshot = \"http://{}\"\n", server.addr);
    std::fs::write(spec, with_snapshot).unwrap();
    let from_snapshot = temper(dir.path(), &["build", spec, "-o", &format!("oci:{}:1", dir.path().join("snapshot-out").display()), "-f", "json"]);
    assert_eq!(digest(&from_snapshot), updated, "the locked .deb from the snapshot gives the same image");
    // A snapshot serving other bytes is refused, and nothing is kept in the cache.
    std::fs::remove_dir_all(dir.path().join("cache/apt-debs-v1")).unwrap();
    let mut bytes = std::fs::read(snapshot.path().join("pool/main").join(name)).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(snapshot.path().join("pool/main").join(name), bytes).unwrap();
    let tampered = temper(dir.path(), &["build", spec, "-o", &format!("oci:{}:1", dir.path().join("tampered-out").display())]);
    assert_eq!(tampered.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&tampered.stderr).contains("SHA-256"), "{}", String::from_utf8_lossy(&tampered.stderr));
    assert!(std::fs::read_dir(dir.path().join("cache/apt-debs-v1")).map_or(true, |d| d.filter_map(Result::ok).all(|e| !e.file_name().to_string_lossy().ends_with(".deb"))));
}

/// One database of the shared Debian advisories per test process.
fn db() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("advisories.db");
        ok(&temper(dir.path(), &["db", "import", "--db", path.to_str().unwrap(), shared().join("advisories/osv/Debian").to_str().unwrap()]));
        (dir, path)
    });
    path
}

/// (package, advisory, fixed versions) of the Debian findings of `image`.
fn deb_findings(dir: &Path, image: &str) -> BTreeSet<(String, String, Vec<String>)> {
    let out = temper(dir, &["scan", image, "--db", db().to_str().unwrap(), "-f", "json"]);
    assert_ne!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ecosystem"] == "deb")
        .map(|f| (f["package"].as_str().unwrap().to_owned(), f["id"].as_str().unwrap().to_owned(), f["fixed_versions"].as_array().map(|v| v.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect()).unwrap_or_default()))
        .collect()
}

fn at_least(version: &str, fixed: &str) -> bool {
    Command::new("dpkg").args(["--compare-versions", version, "ge", fixed]).status().unwrap().success()
}

#[test]
fn upgrade_of_debian_outdated_loses_exactly_the_findings_the_new_versions_fix() {
    let dir = tempfile::tempdir().unwrap();
    let repo = TestRepo::of(&[fixture_upgrades()], RepoOptions::default());
    let base = corpus_image("debian-outdated");
    let spec = spec(dir.path(), &repo, &base, "upgrade = true");
    let out = dir.path().join("out");
    let o = temper(dir.path(), &["build", spec.to_str().unwrap(), "-o", &format!("oci:{}:1", out.display())]);
    ok(&o);
    // Maintainer scripts are not run, and the ones that would do something are named.
    assert!(String::from_utf8_lossy(&o.stderr).contains("temper: warning: maintainer script not run: nginx-common postinst runs "), "{}", String::from_utf8_lossy(&o.stderr));

    let offered: BTreeMap<String, String> = std::fs::read_to_string(fixture_upgrades().join("versions.txt")).unwrap().lines().filter_map(|l| l.split_once('=')).map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
    let rootfs = unpack(&out, "1", &dir.path().join("bundle"));
    let after = dpkg_versions(&rootfs);
    for (name, version) in &offered {
        assert_eq!(after.get(name), Some(version), "{name} upgraded, as dpkg-query reads it");
    }
    let verify = Command::new("dpkg").arg(format!("--root={}", rootfs.display())).arg("--verify").output().unwrap();
    assert!(verify.stdout.is_empty(), "dpkg --verify: {}", String::from_utf8_lossy(&verify.stdout));
    // ca-certificates' postinst is done natively: /etc/ssl/certs is what the
    // package's own update-ca-certificates makes of the upgraded tree.
    assert!(!String::from_utf8_lossy(&o.stderr).contains("ca-certificates postinst"), "{}", String::from_utf8_lossy(&o.stderr));
    let conf = std::fs::read_to_string(rootfs.join("etc/ca-certificates.conf")).unwrap();
    let shipped = std::fs::read_dir(rootfs.join("usr/share/ca-certificates/mozilla")).unwrap().count();
    assert!(conf.lines().filter(|l| l.starts_with("mozilla/")).count() == shipped && conf.contains("\n!mozilla/"), "every shipped certificate enabled, the dropped ones deselected:\n{conf}");
    assert_eq!(certs_dir(&rootfs, ""), real_update_ca_certificates(&rootfs), "/etc/ssl/certs: temper's (left) and update-ca-certificates' (right)");

    let before = deb_findings(dir.path(), &base);
    let fixed: BTreeSet<_> = before.iter().filter(|(p, _, fixes)| after.get(p).is_some_and(|v| offered.contains_key(p) && fixes.iter().any(|f| at_least(v, f)))).cloned().collect();
    assert!(!fixed.is_empty(), "the fixture must fix something");
    let expected: BTreeSet<_> = before.difference(&fixed).cloned().collect();
    assert_eq!(deb_findings(dir.path(), &format!("oci:{}:1", out.display())), expected, "after the upgrade (left): exactly the findings the new versions do not fix (right)");
}

/// `/etc/ssl/certs` of `root`: name → link target (`sysroot` cut off) or file content.
fn certs_dir(root: &Path, sysroot: &str) -> BTreeMap<String, String> {
    std::fs::read_dir(root.join("etc/ssl/certs"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let value = match std::fs::read_link(e.path()) {
                Ok(t) => {
                    let t = t.to_string_lossy().into_owned();
                    match t.strip_prefix(sysroot).filter(|_| !sysroot.is_empty()) {
                        Some(inside) => format!("-> /{}", inside.trim_start_matches('/')),
                        None => format!("-> {t}"),
                    }
                }
                Err(_) => format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(std::fs::read(e.path()).unwrap())),
            };
            (e.file_name().to_string_lossy().into_owned(), value)
        })
        .collect()
}

/// Runs the image's own `update-ca-certificates` on a copy of `rootfs`
/// (`--sysroot`, the host's `openssl rehash`) and lists its `/etc/ssl/certs`.
fn real_update_ca_certificates(rootfs: &Path) -> BTreeMap<String, String> {
    let copy = rootfs.with_extension("update-ca-certificates");
    assert!(Command::new("cp").arg("-a").arg(rootfs).arg(&copy).status().unwrap().success());
    let sysroot = copy.to_str().unwrap().to_owned();
    for e in std::fs::read_dir(copy.join("etc/ssl/certs")).unwrap() {
        let path = e.unwrap().path();
        if let Ok(t) = std::fs::read_link(&path)
            && t.is_absolute()
        {
            std::fs::remove_file(&path).unwrap();
            std::os::unix::fs::symlink(format!("{sysroot}{}", t.display()), &path).unwrap();
        }
    }
    let out = Command::new("sh").arg("-e").arg(copy.join("usr/sbin/update-ca-certificates")).args(["--sysroot", &sysroot, "--hooksdir", ""]).env("TMPDIR", &copy).output().unwrap();
    assert!(out.status.success(), "update-ca-certificates: {}", String::from_utf8_lossy(&out.stderr));
    certs_dir(&copy, &sysroot)
}

#[test]
fn install_of_ca_certificates_links_and_bundles_the_store_and_keeps_the_specs_ca() {
    let dir = tempfile::tempdir().unwrap();
    let repo = TestRepo::of(&[fixture_debs(), fixture_upgrades()], RepoOptions::default());
    let spec_path = spec(dir.path(), &repo, &corpus_image("debian-minbase"), "install = [\"ca-certificates\"]");
    let ca = dir.path().join("ca");
    std::fs::create_dir_all(&ca).unwrap();
    let openssl = |args: &[&str]| assert!(Command::new("openssl").current_dir(&ca).args(args).output().unwrap().status.success(), "openssl {args:?}");
    openssl(&["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=Temper Test Root", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"]);
    openssl(&["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=leaf.test"]);
    openssl(&["x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "10", "-out", "leaf.pem"]);
    let mut text = std::fs::read_to_string(&spec_path).unwrap();
    text.push_str(&format!("\n[[certificates]]\npath = \"{}\"\nname = \"corp-root\"\n", ca.join("ca.pem").display()));
    std::fs::write(&spec_path, text).unwrap();
    let out = dir.path().join("out");
    let o = temper(dir.path(), &["build", spec_path.to_str().unwrap(), "-o", &format!("oci:{}:1", out.display())]);
    ok(&o);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("ca-certificates postinst"), "{}", String::from_utf8_lossy(&o.stderr));
    let rootfs = unpack(&out, "1", &dir.path().join("bundle"));
    let links = certs_dir(&rootfs, "");
    assert_eq!(links.get("ISRG_Root_X1.pem").map(String::as_str), Some("-> /usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt"));
    assert!(links.keys().filter(|n| n.ends_with(".0")).count() > 100, "hash links: {links:?}");
    // The bundle holds the shipped roots and, after them, the spec's CA.
    let bundle = rootfs.join("etc/ssl/certs/ca-certificates.crt");
    let verify = |cert: &Path| Command::new("openssl").arg("verify").arg("-CAfile").arg(&bundle).arg(cert).output().unwrap().status.success();
    assert!(verify(&ca.join("leaf.pem")), "the spec's CA verifies its leaf through the image's bundle");
    assert!(verify(&rootfs.join("usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt")));
    assert!(rootfs.join("usr/local/share/ca-certificates/corp-root.crt").is_file());
}

#[test]
fn a_repository_signed_by_another_key_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let repo = TestRepo::new();
    let spec = spec(dir.path(), &repo, &corpus_image("debian-minbase"), "install = [\"curl\"]");
    let other = support::Gpg::new("someone-else");
    std::fs::write(dir.path().join("archive.asc"), other.export(true)).unwrap();
    let out = dir.path().join("out");
    let o = temper(dir.path(), &["build", spec.to_str().unwrap(), "-o", &format!("oci:{}:1", out.display())]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("InRelease") && err.contains("[packages] repository"), "{err}");
    assert!(!out.join("index.json").exists() && !dir.path().join("golden.lock").exists());
    assert!(fixture_debs().is_dir());
}

#[test]
fn readme_apt_example_output_is_what_the_script_prints() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("bash").arg(root.join("examples/golden/apt-example.sh")).arg(env!("CARGO_BIN_EXE_temper")).output().unwrap();
    assert!(out.status.success(), "apt-example.sh: {}", String::from_utf8_lossy(&out.stderr));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let shown = readme.split("<!-- apt-example -->\n```text\n").nth(1).and_then(|r| r.split("```").next()).expect("the README's apt-example block");
    assert_eq!(String::from_utf8_lossy(&out.stdout), shown, "README's apt-example block is stale");
}
