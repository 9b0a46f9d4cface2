//! The CA store update against the real thing: Debian's own
//! `update-ca-certificates` (from the fixture's ca-certificates `.deb`,
//! run with `--sysroot` and the host's `openssl rehash`) on the same tree
//! must leave `/etc/ssl/certs` as [`ca_store::update`] does — the same
//! links, the same hash links, the same bundle bytes — for a fresh install
//! with local certificates (one a copy of a shipped one), and for an
//! upgrade that drops one certificate, deselects another and adds a third.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

use temper_apt::ca_store::{self, EtcEntry, Store};

fn ca_deb() -> std::path::PathBuf {
    fs::read_dir(support::fixture_upgrades()).unwrap().map(|e| e.unwrap().path()).find(|p| p.file_name().unwrap().to_string_lossy().starts_with("ca-certificates_")).expect("ca-certificates .deb in the upgrade fixture")
}

fn crts(dir: &Path, rel: &str, out: &mut BTreeMap<String, Vec<u8>>) {
    let Ok(entries) = fs::read_dir(dir.join(rel)) else { return };
    for e in entries {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        let sub = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
        let meta = fs::metadata(e.path()).unwrap();
        if meta.is_dir() {
            crts(dir, &sub, out);
        } else if name.ends_with(".crt") {
            out.insert(sub, fs::read(e.path()).unwrap());
        }
    }
}

/// The store as `root` holds it.
fn store_of(root: &Path) -> Store {
    let mut store = Store { conf: fs::read_to_string(root.join(ca_store::CONF)).ok(), ..Store::default() };
    crts(&root.join(ca_store::SHARE), "", &mut store.shipped);
    crts(&root.join(ca_store::LOCAL), "", &mut store.local);
    store.etc = etc_of(root, "");
    store.etc.remove("ca-certificates.crt");
    store
}

/// `/etc/ssl/certs` of `root`, link targets with `sysroot` cut off.
fn etc_of(root: &Path, sysroot: &str) -> BTreeMap<String, EtcEntry> {
    fs::read_dir(root.join(ca_store::ETC_CERTS))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let entry = match fs::read_link(e.path()) {
                // `--sysroot` joins as `$SYSROOT//usr/share/…`.
                Ok(t) => EtcEntry::Link(match t.to_string_lossy().strip_prefix(sysroot).filter(|_| !sysroot.is_empty()) {
                    Some(inside) => format!("/{}", inside.trim_start_matches('/')),
                    None => t.to_string_lossy().into_owned(),
                }),
                Err(_) => EtcEntry::File(fs::read(e.path()).unwrap()),
            };
            (name, entry)
        })
        .collect()
}

/// Writes an update into `root`, as the build's layer would.
fn apply(root: &Path, update: &ca_store::Update) {
    fs::write(root.join(ca_store::CONF), &update.conf).unwrap();
    let etc = root.join(ca_store::ETC_CERTS);
    for name in &update.removed {
        fs::remove_file(etc.join(name)).unwrap();
    }
    for (name, target) in &update.links {
        let _ = fs::remove_file(etc.join(name));
        symlink(target, etc.join(name)).unwrap();
    }
    if let Some(bundle) = &update.bundle {
        fs::write(root.join(ca_store::BUNDLE), bundle).unwrap();
    }
}

/// Runs the package's own `update-ca-certificates` on `root`.
fn real_update(root: &Path) {
    // Absolute links are read inside the sysroot, as they are in the image.
    let sysroot = root.to_str().unwrap();
    let etc = root.join(ca_store::ETC_CERTS);
    for (name, entry) in etc_of(root, "") {
        if let EtcEntry::Link(t) = entry
            && t.starts_with('/')
        {
            fs::remove_file(etc.join(&name)).unwrap();
            symlink(format!("{sysroot}{t}"), etc.join(&name)).unwrap();
        }
    }
    let out = Command::new("sh").arg("-e").arg(root.join("usr/sbin/update-ca-certificates")).args(["--sysroot", sysroot, "--hooksdir", ""]).env("TMPDIR", root).output().unwrap();
    assert!(out.status.success(), "update-ca-certificates: {}", String::from_utf8_lossy(&out.stderr));
}

fn copy_tree(from: &Path, to: &Path) {
    assert!(Command::new("cp").arg("-a").arg(from).arg(to).status().unwrap().success());
}

fn test_ca(dir: &Path, name: &str) -> Vec<u8> {
    let key = dir.join(format!("{name}.key"));
    let crt = dir.join(format!("{name}.pem"));
    let ok = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3650", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .args(["-subj", &format!("/O=Temper  Test/CN={name}   Root CA"), "-addext", "basicConstraints=critical,CA:TRUE"])
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    fs::read(crt).unwrap()
}

fn compare(ours: &Path, theirs: &Path) {
    let (a, b) = (etc_of(ours, ""), etc_of(theirs, theirs.to_str().unwrap()));
    let names = |m: &BTreeMap<String, EtcEntry>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b), "the names in /etc/ssl/certs");
    for (name, entry) in &a {
        assert_eq!(Some(entry), b.get(name), "/etc/ssl/certs/{name}");
    }
    assert!(a.keys().filter(|n| n.ends_with(".0")).count() > 100, "hash links made");
}

#[test]
fn ca_store_matches_update_ca_certificates_on_install_and_upgrade() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    fs::create_dir_all(&base).unwrap();
    assert!(Command::new("dpkg-deb").arg("-x").arg(ca_deb()).arg(&base).status().unwrap().success());
    let local = base.join(ca_store::LOCAL);
    fs::create_dir_all(&local).unwrap();
    fs::write(local.join("corp-root.crt"), test_ca(tmp.path(), "Corp")).unwrap();
    // A copy of a shipped certificate: linked, bundled twice, hashed once.
    fs::copy(base.join(ca_store::SHARE).join("mozilla/ISRG_Root_X1.crt"), local.join("isrg copy (1).crt")).unwrap();

    // Install: no configuration yet; the postinst writes it, then runs the script.
    let update = ca_store::update(&store_of(&base));
    assert!(update.warnings.is_empty(), "{:?}", update.warnings);
    let ours = tmp.path().join("ours");
    copy_tree(&base, &ours);
    apply(&ours, &update);
    let theirs = tmp.path().join("theirs");
    copy_tree(&base, &theirs);
    fs::write(theirs.join(ca_store::CONF), &update.conf).unwrap();
    real_update(&theirs);
    compare(&ours, &theirs);
    assert!(etc_of(&ours, "").contains_key("isrg_copy_=1=.pem"));

    // Upgrade: one certificate gone from the package, one deselected by the
    // administrator, one new; the store as the first build left it.
    let share = ours.join(ca_store::SHARE).join("mozilla");
    fs::remove_file(share.join("Certigna.crt")).unwrap();
    fs::write(share.join("Temper_New_Root.crt"), test_ca(tmp.path(), "New")).unwrap();
    let conf = fs::read_to_string(ours.join(ca_store::CONF)).unwrap().replace("mozilla/GTS_Root_R1.crt\n", "!mozilla/GTS_Root_R1.crt\n");
    fs::write(ours.join(ca_store::CONF), conf).unwrap();
    let before = ours.join("../before");
    copy_tree(&ours, &before);
    let update = ca_store::update(&store_of(&before));
    assert!(update.conf.contains("\n!mozilla/Certigna.crt\n") && update.conf.contains("\n!mozilla/GTS_Root_R1.crt\n") && update.conf.ends_with("\nmozilla/Temper_New_Root.crt\n"), "{}", update.conf);
    assert!(update.removed.contains("Certigna.pem") && update.removed.contains("GTS_Root_R1.pem"), "{:?}", update.removed);
    apply(&ours, &update);
    let theirs = tmp.path().join("theirs2");
    copy_tree(&before, &theirs);
    fs::write(theirs.join(ca_store::CONF), &update.conf).unwrap();
    real_update(&theirs);
    compare(&ours, &theirs);
}

#[test]
fn ca_store_subject_hashes_are_openssls() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(Command::new("dpkg-deb").arg("-x").arg(ca_deb()).arg(tmp.path()).status().unwrap().success());
    let mut certs = BTreeMap::new();
    crts(&tmp.path().join(ca_store::SHARE), "", &mut certs);
    assert!(certs.len() > 100);
    for (name, pem) in &certs {
        let path = tmp.path().join(ca_store::SHARE).join(name);
        let out = Command::new("openssl").args(["x509", "-noout", "-subject_hash", "-in"]).arg(&path).output().unwrap();
        let der = x509_der(pem);
        let ours = ca_store::subject_hash(&der).map(|h| format!("{h:08x}"));
        assert_eq!(ours.as_deref(), Some(String::from_utf8_lossy(&out.stdout).trim()), "{name}");
    }
}

fn x509_der(pem: &[u8]) -> Vec<u8> {
    x509_parser::pem::parse_x509_pem(pem).unwrap().1.contents
}
