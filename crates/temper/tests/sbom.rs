//! `temper sbom` on the corpus: the package lists equal the expected ones
//! exactly (dpkg incl. distroless `status.d`, npm, PyPI, the Go modules of
//! Go binaries, the crates of cargo-auditable binaries), per platform.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn corpus() -> PathBuf {
    let dir = std::env::var_os("TEMPER_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/temper-corpus"));
    assert!(dir.join("expected").is_dir(), "corpus not found at {} (run scripts/test.sh)", dir.display());
    dir
}

fn sbom(args: &[&str]) -> Value {
    // One cache per test process: later scans of shared base layers come
    // from it, so cached and fresh results are both compared to the truth.
    let cache = std::env::temp_dir().join(format!("temper-test-cache-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_temper"))
        .arg("sbom")
        .args(args)
        .args(["--format", "json"])
        .env("TEMPER_CACHE_DIR", &cache)
        .output()
        .expect("run");
    assert!(out.status.success(), "sbom {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

type Row = (String, String, String);

fn rows(packages: &Value, kind: &str, third: impl Fn(&Value) -> String) -> BTreeSet<Row> {
    packages
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| p["ecosystem"] == kind)
        .map(|p| (p["name"].as_str().unwrap_or_default().to_owned(), p["version"].as_str().unwrap_or_default().to_owned(), third(p)))
        .collect()
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn check_image(image: &str) {
    let want: Value = serde_json::from_slice(&std::fs::read(corpus().join(format!("expected/{image}.json"))).expect("expected")).expect("json");
    let layout = format!("oci:{}", corpus().join("oci").join(image).display());
    for p in want["platforms"].as_array().expect("platforms") {
        let plat = s(&p["platform"]);
        let got = sbom(&[&layout, "--platform", &plat]);
        let ctx = format!("{image} {plat}");
        let dpkg_want: BTreeSet<Row> = p["dpkg_packages"]
            .as_array()
            .expect("dpkg")
            .iter()
            .filter(|d| d["status"].as_str().is_none_or(|st| st.ends_with(" installed")))
            .map(|d| (s(&d["name"]), s(&d["version"]), s(&d["arch"])))
            .collect();
        let dpkg_got = rows(&got["packages"], "deb", |p| s(&p["arch"]));
        assert_eq!(dpkg_got, dpkg_want, "{ctx}: dpkg packages");
        let npm_want: BTreeSet<Row> = p["npm_packages"].as_array().expect("npm").iter().map(|d| (s(&d["name"]), s(&d["version"]), s(&d["path"]))).collect();
        let npm_got = rows(&got["packages"], "npm", |p| s(&p["paths"][0]));
        assert_eq!(npm_got, npm_want, "{ctx}: npm packages");
        let py_want: BTreeSet<Row> = p["python_packages"].as_array().expect("pypi").iter().map(|d| (s(&d["name"]), s(&d["version"]), s(&d["path"]))).collect();
        let py_got = rows(&got["packages"], "pypi", |p| s(&p["paths"][0]));
        assert_eq!(py_got, py_want, "{ctx}: PyPI packages");
        // Go binaries: the standard library at the toolchain version in
        // module style, the main module (none in GOPATH mode), every dependency.
        let mut go_want = BTreeSet::new();
        for bin in p["go_binaries"].as_array().expect("go") {
            let path = s(&bin["path"]);
            let go = s(&bin["go_version"]);
            go_want.insert(("stdlib".to_owned(), format!("v{}", go.strip_prefix("go").expect("go version")), path.clone()));
            if !bin["main_module"].is_null() {
                go_want.insert((s(&bin["main_module"]["path"]), s(&bin["main_module"]["version"]), path.clone()));
            }
            for dep in bin["deps"].as_array().expect("deps") {
                go_want.insert((s(&dep["path"]), s(&dep["version"]), path.clone()));
            }
        }
        let go_got = rows(&got["packages"], "golang", |p| s(&p["paths"][0]));
        assert_eq!(go_got, go_want, "{ctx}: Go modules");
        // cargo-auditable binaries: every crate, the root and build-only ones too.
        let rust_want: BTreeSet<Row> = p["rust_audit_binaries"]
            .as_array()
            .expect("rust")
            .iter()
            .flat_map(|bin| bin["crates"].as_array().expect("crates").iter().map(|c| (s(&c["name"]), s(&c["version"]), s(&bin["path"]))))
            .collect();
        let rust_got = rows(&got["packages"], "cargo", |p| s(&p["paths"][0]));
        assert_eq!(rust_got, rust_want, "{ctx}: Rust crates");
        if let Some(os) = p.get("os_release") {
            assert_eq!(got["os"]["id"], os["ID"], "{ctx}: os id");
            assert_eq!(got["os"]["version_id"], os["VERSION_ID"], "{ctx}: os version");
        }
        // Every package names the layer that introduced it, with its diffID.
        for pkg in got["packages"].as_array().expect("packages") {
            let layer = pkg["layer"].as_u64().expect("layer") as usize;
            assert_eq!(pkg["diff_id"], p["layers"][layer]["diff_id_expected"], "{ctx}: {}", pkg["name"]);
        }
    }
}

#[test]
fn debian_minbase() {
    check_image("debian-minbase");
}

#[test]
fn node_app_applies_whiteouts() {
    check_image("node-app");
    let layout = format!("oci:{}", corpus().join("oci/node-app").display());
    let got = sbom(&[&layout]);
    let names = |v: &Value| v["packages"].as_array().expect("packages").iter().map(|p| (s(&p["name"]), p["layer"].as_u64())).collect::<Vec<_>>();
    let merged = names(&got);
    assert!(!merged.iter().any(|(n, _)| n == "marked"), "marked was deleted in layer 3");
    assert!(merged.contains(&("nodejs".to_owned(), Some(1))), "nodejs came with layer 1");
    assert!(merged.contains(&("bash".to_owned(), Some(0))), "bash came with the base layer");
    assert!(merged.contains(&("lodash".to_owned(), Some(2))));
    let all = names(&sbom(&[&layout, "--all-layers"]));
    assert!(all.contains(&("marked".to_owned(), Some(2))), "--all-layers keeps what later layers deleted");
    // The purls of OS packages carry the distro.
    let openssl = got["packages"].as_array().expect("p").iter().find(|p| p["name"] == "libssl3").expect("libssl3");
    assert_eq!(openssl["purl"], "pkg:deb/debian/libssl3@3.0.22-1~deb12u2?arch=amd64&distro=debian-12");
}

#[test]
fn python_app() {
    check_image("python-app");
}

#[test]
fn distroless_status_d() {
    check_image("distroless-like");
    let got = sbom(&[&format!("oci:{}", corpus().join("oci/distroless-like").display())]);
    let paths: BTreeSet<String> = got["packages"].as_array().expect("p").iter().map(|p| s(&p["paths"][0])).collect();
    assert!(paths.contains("var/lib/dpkg/status.d/base-files"), "{paths:?}");
}

#[test]
fn multiarch_index() {
    check_image("multiarch-index");
}

#[test]
fn big_node() {
    check_image("big-node");
}

#[test]
fn go_rust_bins_and_secrets_and_root() {
    check_image("go-rust-bins");
    check_image("secrets-and-root");
    // A main module at `(devel)` keeps a valid purl; stdlib is `pkg:golang/stdlib`.
    let got = sbom(&[&format!("oci:{}", corpus().join("oci/go-rust-bins").display())]);
    let purls: BTreeSet<String> = got["packages"].as_array().expect("p").iter().map(|p| s(&p["purl"])).collect();
    for purl in ["pkg:golang/example.com/lab/linkcheck@%28devel%29", "pkg:golang/stdlib@v1.19.8", "pkg:golang/golang.org/x/net@v0.7.0", "pkg:cargo/regex@1.5.4"] {
        assert!(purls.contains(purl), "{purl} missing");
    }
    assert_eq!(got["unknowns"], serde_json::json!([]), "every executable was read");
}
