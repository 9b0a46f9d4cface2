//! The checks on the real corpus (`shared/corpus`, built into
//! `$TEMPER_CORPUS`): the facts `expected/FINDINGS.md` states about root,
//! setuid files, world-writable directories, shells and package managers.
//! Skipped, with a message, when `TEMPER_CORPUS` is not set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use temper_check::{CheckResult, Context, Profile, Settings, Status};
use temper_image::{Source, open};
use temper_inventory::Inventory;

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("TEMPER_CORPUS").map(PathBuf::from);
    if dir.is_none() {
        eprintln!("TEMPER_CORPUS is not set: skipping the corpus checks");
    }
    dir
}

/// Every check's result on `$TEMPER_CORPUS/oci/<name>`, on 2026-11-15.
fn check(corpus: &std::path::Path, name: &str, profile: Profile) -> Vec<CheckResult> {
    let path = corpus.join("oci").join(name);
    let image = open(&Source::parse(&format!("oci:{}", path.display())).unwrap(), &Default::default()).unwrap();
    let mut analyzers = temper_inventory::catalog::registry();
    for a in temper_check::analyzers() {
        if !analyzers.iter().any(|b| b.id() == a.id()) {
            analyzers.push(a);
        }
    }
    let scan = temper_inventory::scan(&image, &Default::default(), &temper_layer::NoProgress, &analyzers, None).unwrap();
    let analysis = temper_layer::analyze(&scan.layers).unwrap();
    let inventory = Inventory::build(scan.found, &scan.layers, &analysis.merged, false);
    let mut settings = Settings::new(time::Date::from_calendar_date(2026, time::Month::November, 15).unwrap());
    settings.profile = profile;
    temper_check::run(&Context {
        config: &image.config,
        layers: &scan.layers,
        merged: &analysis.merged,
        efficiency: &analysis.efficiency,
        inventory: &inventory,
        settings: &settings,
    })
}

fn result<'a>(results: &'a [CheckResult], id: &str) -> &'a CheckResult {
    results.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("no check {id}"))
}

#[test]
fn secrets_and_root() {
    let Some(corpus) = corpus() else { return };
    let results = check(&corpus, "secrets-and-root", Profile::Default);
    let root = result(&results, "runs-as-root");
    assert_eq!((root.status, root.message.as_str()), (Status::Fail, "runs as root (no USER)"));

    let setuid = result(&results, "setuid");
    assert_eq!(setuid.status, Status::Fail);
    let paths: Vec<&str> = setuid.details.iter().map(|d| d.split(':').next().unwrap()).collect();
    assert_eq!(
        paths,
        [
            "/usr/bin/chage",
            "/usr/bin/chfn",
            "/usr/bin/chsh",
            "/usr/bin/expiry",
            "/usr/bin/gpasswd",
            "/usr/bin/mount",
            "/usr/bin/newgrp",
            "/usr/bin/passwd",
            "/usr/bin/su",
            "/usr/bin/umount",
            "/usr/local/bin/backup-find",
            "/usr/sbin/unix_chkpwd",
        ]
    );
    assert!(setuid.details.contains(&"/usr/local/bin/backup-find: setuid, mode 4755, owner root (0) group 0".to_owned()), "{:?}", setuid.details);

    let ww = result(&results, "world-writable");
    assert_eq!(ww.status, Status::Fail);
    assert_eq!(ww.details, ["/srv/uploads: directory without the sticky bit, mode 0777"]);
    assert!(!ww.details.iter().any(|d| d.starts_with("/tmp")));
}

#[test]
fn distroless_like_passes_the_distroless_profile() {
    let Some(corpus) = corpus() else { return };
    let results = check(&corpus, "distroless-like", Profile::Distroless);
    for id in ["runs-as-root", "shell", "package-manager", "setuid", "world-writable", "package-caches"] {
        let r = result(&results, id);
        assert_eq!(r.status, Status::Pass, "{id}: {} {:?}", r.message, r.details);
    }
    assert_eq!(result(&results, "runs-as-root").message, "runs as uid 65532 (USER 65532:65532, numeric)");
    assert_eq!(result(&results, "shell").severity, temper_check::Severity::High);
    // Its os-release says Debian 12, whose standard support ended on 2026-06-10.
    let eol = result(&results, "eol-os");
    assert_eq!(eol.status, Status::Fail);
    assert!(eol.message.starts_with("Debian 12 (bookworm) reached the end of standard support"), "{}", eol.message);
}

#[test]
fn debian_minbase_has_a_shell_and_dpkg() {
    let Some(corpus) = corpus() else { return };
    let results = check(&corpus, "debian-minbase", Profile::Default);
    let shell = result(&results, "shell");
    assert_eq!(shell.status, Status::Fail);
    assert!(shell.details.contains(&"/usr/bin/sh -> /usr/bin/dash".to_owned()), "{:?}", shell.details);
    assert!(shell.details.contains(&"/usr/bin/bash".to_owned()), "{:?}", shell.details);
    let pm = result(&results, "package-manager");
    assert_eq!(pm.status, Status::Fail);
    for p in ["/usr/bin/apt", "/usr/bin/apt-get", "/usr/bin/dpkg"] {
        assert!(pm.details.contains(&p.to_owned()), "{p}: {:?}", pm.details);
    }
    let ww = result(&results, "world-writable");
    assert_eq!(ww.status, Status::Pass, "{:?}", ww.details);
    assert_eq!(result(&results, "setuid").details.len(), 11);
}
