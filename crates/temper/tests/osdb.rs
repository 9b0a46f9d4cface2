//! `temper sbom` on images built here: an Alpine-like image (apk database)
//! and Red Hat-like images (rpm's SQLite database, the real one from
//! `scripts/make-rpm-fixtures.sh`), each rewritten by a later layer that
//! installs one package and removes another.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../temper-layer/tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::{Comp, ImageSpec, OciLayout, file, layer, src, whiteout};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../temper-inventory/tests/fixtures/rpm").join(name)).unwrap()
}

fn sbom(dir: &Path, spec: &ImageSpec) -> Value {
    OciLayout::single(dir, spec, "t");
    let out = Command::new(env!("CARGO_BIN_EXE_temper"))
        .args(["sbom", &src("oci", dir, Some("t")), "--format", "json"])
        .env("TEMPER_CACHE_DIR", dir.join("cache"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (name, version, layer, purl, owner) of each package of `ecosystem`.
fn rows(sbom: &Value, ecosystem: &str) -> Vec<(String, String, u64, String, Option<String>)> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ecosystem"] == ecosystem)
        .map(|p| (s(&p["name"]), s(&p["version"]), p["layer"].as_u64().unwrap(), s(&p["purl"]), p["owner"].as_str().map(Into::into)))
        .collect()
}

const OS_RELEASE: &str = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.1\nPRETTY_NAME=\"Alpine Linux v3.20\"\n";
const MUSL: &str = "P:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT\no:musl\nF:lib\nR:ld-musl-x86_64.so.1\n";
const BUSYBOX: &str = "P:busybox\nV:1.36.1-r29\nA:x86_64\nL:GPL-2.0-only\no:busybox\nF:bin\nR:busybox\n";
const PYYAML: &str = "P:py3-yaml\nV:6.0.1-r3\nA:x86_64\nL:MIT\no:py3-yaml\nF:usr/lib/python3.12/site-packages/PyYAML-6.0.1.dist-info\nR:METADATA\n";
const PYYAML_META: &str = "usr/lib/python3.12/site-packages/PyYAML-6.0.1.dist-info/METADATA";

#[test]
fn alpine_packages_layers_and_owners() {
    let dir = tempfile::tempdir().unwrap();
    let base = layer(
        &[file("etc/os-release", OS_RELEASE), file("lib/apk/db/installed", format!("{MUSL}\n{BUSYBOX}")), file("lib/ld-musl-x86_64.so.1", "elf"), file("bin/busybox", "elf")],
        Comp::Gzip,
    );
    // `apk add py3-yaml && apk del busybox`: the database is rewritten.
    let top = layer(
        &[file("lib/apk/db/installed", format!("{MUSL}\n{PYYAML}")), file(PYYAML_META, "Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0.1\n"), whiteout("bin/busybox")],
        Comp::Gzip,
    );
    let got = sbom(&dir.path().join("oci"), &ImageSpec::new(vec![base, top]));
    assert_eq!(got["os"]["id"], "alpine");
    let apk_yaml = "pkg:apk/alpine/py3-yaml@6.0.1-r3?arch=x86_64&distro=alpine-3.20.1";
    assert_eq!(
        rows(&got, "apk"),
        [
            ("musl".into(), "1.2.5-r0".into(), 0, "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.1".into(), None),
            ("py3-yaml".into(), "6.0.1-r3".into(), 1, apk_yaml.into(), None),
        ],
        "busybox was removed"
    );
    let yaml = got["packages"].as_array().unwrap().iter().find(|p| p["name"] == "py3-yaml").unwrap();
    assert_eq!((yaml["source_name"].as_str(), yaml["licenses"][0].as_str()), (Some("py3-yaml"), Some("MIT")));
    assert_eq!(rows(&got, "pypi"), [("PyYAML".into(), "6.0.1".into(), 1, "pkg:pypi/pyyaml@6.0.1".into(), Some(apk_yaml.into()))]);
}

const WORLD_META: &str = "usr/lib/python3.12/site-packages/world-0.1.dist-info/METADATA";

fn rpm_base() -> support::Blob {
    layer(
        &[
            file("etc/redhat-release", "Red Hat Enterprise Linux release 9.4 (Plow)\n"),
            file("var/lib/rpm/rpmdb.sqlite", fixture("rpmdb.sqlite")),
            file(WORLD_META, "Metadata-Version: 2.1\nName: world\nVersion: 0.1\n"),
        ],
        Comp::Zstd,
    )
}

#[test]
fn rpm_packages_from_a_real_database() {
    let dir = tempfile::tempdir().unwrap();
    let got = sbom(&dir.path().join("oci"), &ImageSpec::new(vec![rpm_base()]));
    // No os-release: the release file stands in.
    assert_eq!((got["os"]["id"].as_str(), got["os"]["version_id"].as_str()), (Some("rhel"), Some("9.4")));
    let world = "pkg:rpm/rhel/world@0.1-3?arch=noarch&distro=rhel-9.4";
    assert_eq!(
        rows(&got, "rpm"),
        [
            ("hello".into(), "2:1.0-1".into(), 0, "pkg:rpm/rhel/hello@1.0-1?arch=x86_64&distro=rhel-9.4&epoch=2".into(), None),
            ("world".into(), "0.1-3".into(), 0, world.into(), None),
        ],
        "the gpg-pubkey entry is not a package"
    );
    assert_eq!(rows(&got, "pypi"), [("world".into(), "0.1".into(), 0, "pkg:pypi/world@0.1".into(), Some(world.into()))]);
}

#[test]
fn rpm_database_rewritten_by_a_later_layer() {
    let dir = tempfile::tempdir().unwrap();
    // `rpm -e world && dnf install hello-libs`.
    let top = layer(&[file("var/lib/rpm/rpmdb.sqlite", fixture("rpmdb-2.sqlite")), whiteout(WORLD_META)], Comp::Zstd);
    let got = sbom(&dir.path().join("oci"), &ImageSpec::new(vec![rpm_base(), top]));
    assert_eq!(
        rows(&got, "rpm"),
        [
            ("hello".into(), "2:1.0-1".into(), 0, "pkg:rpm/rhel/hello@1.0-1?arch=x86_64&distro=rhel-9.4&epoch=2".into(), None),
            ("hello-libs".into(), "2:1.0-1".into(), 1, "pkg:rpm/rhel/hello-libs@1.0-1?arch=x86_64&distro=rhel-9.4&epoch=2".into(), None),
        ]
    );
    let libs = got["packages"].as_array().unwrap().iter().find(|p| p["name"] == "hello-libs").unwrap();
    assert_eq!((libs["source_name"].as_str(), libs["source_version"].as_str()), (Some("hello"), Some("2:1.0-1")));
    let hello = got["packages"].as_array().unwrap().iter().find(|p| p["name"] == "hello").unwrap();
    assert!(libs["diff_id"].is_string() && hello["diff_id"].is_string() && libs["diff_id"] != hello["diff_id"], "each names its own layer's diffID");
    assert!(rows(&got, "pypi").is_empty());
}

#[test]
fn red_hat_advisories_apply_by_product_and_major_release() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("oci");
    OciLayout::single(&layout, &ImageSpec::new(vec![rpm_base()]), "t");
    let advisories = dir.path().join("osv");
    std::fs::create_dir(&advisories).unwrap();
    // hello is installed at 2:1.0-1 on RHEL 9.4.
    let record = |id: &str, ecosystem: &str, fixed: &str| {
        let r = serde_json::json!({
            "id": id, "modified": "2026-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": ecosystem, "name": "hello"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]
        });
        std::fs::write(advisories.join(format!("{id}.json")), r.to_string()).unwrap();
    };
    record("RHSA-2026:0001", "Red Hat:enterprise_linux:9::baseos", "2:1.0-2.el9");
    record("RHSA-2026:0002", "Red Hat:enterprise_linux:9.4::appstream", "2:1.0-3.el9");
    record("RHSA-2026:0003", "Red Hat:enterprise_linux:8::baseos", "2:1.0-2.el8");
    record("RHSA-2026:0004", "Red Hat:openshift:4.14::el9", "2:1.0-2.el9");
    record("RHSA-2026:0005", "Red Hat:enterprise_linux:9::baseos", "1:9.0-1.el9");
    let out = Command::new(env!("CARGO_BIN_EXE_temper"))
        .args(["scan", &src("oci", &layout, Some("t")), "--format", "json", "--advisories"])
        .arg(&advisories)
        .env("TEMPER_CACHE_DIR", dir.path().join("cache"))
        .env_remove("TEMPER_DB")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = got["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    // Not RHEL 8's, not another product's, not one fixed below the installed epoch.
    assert_eq!(ids, ["RHSA-2026:0001", "RHSA-2026:0002"]);
}
