//! `temper sbom` on the corpus: the package lists equal the expected ones
//! exactly (dpkg incl. distroless `status.d`, npm, PyPI, the Go modules of
//! Go binaries, the crates of cargo-auditable binaries), per platform.
#![allow(clippy::unwrap_used, clippy::expect_used)]

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

/// `…/node_modules/NAME/package.json` or `…/node_modules/@SCOPE/NAME/package.json`.
fn is_installed_manifest(path: &str) -> bool {
    let parts: Vec<&str> = path.rsplit('/').collect();
    match parts.as_slice() {
        ["package.json", name, "node_modules", ..] => !name.starts_with('@'),
        ["package.json", _, scope, "node_modules", ..] => scope.starts_with('@'),
        _ => false,
    }
}

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
        // The corpus lists installed package directories; temper also
        // reports application roots and copies vendored inside packages
        // (checked in `node_apps_vendored_copies_and_lockfiles`).
        let npm_got: BTreeSet<Row> = rows(&got["packages"], "npm", |p| s(&p["paths"][0])).into_iter().filter(|(_, _, path)| is_installed_manifest(path)).collect();
        assert_eq!(npm_got, npm_want, "{ctx}: npm packages");
        // Each lockfile's production entries are evidence of installed packages, never extra packages.
        for lock in p["npm_lockfiles"].as_array().expect("lockfiles") {
            let path = s(&lock["path"]);
            let evidenced = got["packages"].as_array().expect("p").iter().filter(|p| p["paths"].as_array().expect("paths").iter().any(|x| x == path.as_str())).count();
            assert!(evidenced > 0, "{ctx}: nothing evidenced by {path}");
            let listed = (lock["entries"].as_u64().expect("entries") - lock["dev_entries"].as_u64().expect("dev")) as usize;
            assert!(evidenced <= listed, "{ctx}: {evidenced} packages evidenced by {path}, which lists {listed}");
            assert!(!got["packages"].as_array().expect("p").iter().any(|p| p["found_by"] == "npm-lock"), "{ctx}: lockfile-only packages beside node_modules");
        }
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
    // The purls of OS packages carry the distro and the source package.
    let openssl = got["packages"].as_array().expect("p").iter().find(|p| p["name"] == "libssl3").expect("libssl3");
    assert_eq!(openssl["purl"], "pkg:deb/debian/libssl3@3.0.22-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl");
}

#[test]
fn node_apps_vendored_copies_and_lockfiles() {
    let got = sbom(&[&format!("oci:{}", corpus().join("oci/big-node").display())]);
    let packages = got["packages"].as_array().expect("packages");
    let find = |name: &str, version: &str| packages.iter().filter(|p| p["ecosystem"] == "npm" && p["name"] == name && p["version"] == version).map(|p| s(&p["paths"][0])).collect::<Vec<_>>();
    // Application roots (their package.json carries a name and version).
    assert_eq!(find("lab-node-app", "1.4.2"), ["app/package.json"]);
    assert_eq!(find("lab-web-frontend", "0.9.0"), ["srv/web/package.json"]);
    // Next.js vendors react-refresh; the code is there, so is the package.
    assert_eq!(find("react-refresh", "0.12.0"), ["srv/web/node_modules/next/dist/compiled/react-refresh/package.json"]);
    // No npm package comes from Debian's /usr/share/nodejs (dpkg content).
    assert!(!packages.iter().any(|p| p["ecosystem"] == "npm" && s(&p["paths"][0]).starts_with("usr/share/nodejs/")));
    // An installed package's lockfile entry is evidence, not a second package.
    let lodash: Vec<&Value> = packages.iter().filter(|p| p["name"] == "lodash" && p["version"] == "4.17.15").collect();
    assert_eq!(lodash.len(), 1);
    assert_eq!(lodash[0]["paths"], serde_json::json!(["app/node_modules/lodash/package.json", "app/package-lock.json"]));
    // A lockfile shipped inside an installed package is not read.
    assert!(!packages.iter().any(|p| p["paths"].as_array().expect("paths").iter().any(|x| x.as_str().is_some_and(|x| x.contains("node_modules/") && x.ends_with(".lock")))));
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

#[test]
fn lockfiles_without_installed_trees() {
    // A bundled app ships its lockfiles but no node_modules or venv: the
    // lockfiles are all there is, so their production entries are reported.
    let root = tempfile::tempdir().expect("tempdir");
    let app = root.path().join("app");
    std::fs::create_dir_all(app.join("node_modules/lodash")).expect("mkdir");
    std::fs::write(
        app.join("package-lock.json"),
        r#"{"lockfileVersion":3,"packages":{"":{"name":"app","version":"1.0.0"},
            "node_modules/lodash":{"version":"4.17.15"},"node_modules/jest":{"version":"29.0.0","dev":true}}}"#,
    )
    .expect("write");
    std::fs::write(app.join("node_modules/lodash/package.json"), r#"{"name":"lodash","version":"4.17.15"}"#).expect("write");
    let bundle = root.path().join("bundle");
    std::fs::create_dir_all(&bundle).expect("mkdir");
    std::fs::write(bundle.join("yarn.lock"), "# yarn lockfile v1\n\nminimist@^1.2.0:\n  version \"1.2.0\"\n").expect("write");
    std::fs::write(bundle.join("poetry.lock"), "[[package]]\nname = \"Django\"\nversion = \"2.2\"\ncategory = \"main\"\n\n[[package]]\nname = \"pytest\"\nversion = \"7.0.0\"\ncategory = \"dev\"\n").expect("write");
    let got = sbom(&[&format!("dir:{}", root.path().display())]);
    let list: BTreeSet<(String, String, String, String)> = got["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (s(&p["name"]), s(&p["version"]), s(&p["found_by"]), p["paths"].as_array().expect("paths").iter().map(s).collect::<Vec<_>>().join(",")))
        .collect();
    let want: BTreeSet<(String, String, String, String)> = [
        ("Django", "2.2", "python-lock", "bundle/poetry.lock"),
        ("lodash", "4.17.15", "npm", "app/node_modules/lodash/package.json,app/package-lock.json"),
        ("minimist", "1.2.0", "yarn-lock", "bundle/yarn.lock"),
    ]
    .iter()
    .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
    .collect();
    assert_eq!(list, want);
    let django = got["packages"].as_array().expect("p").iter().find(|p| p["name"] == "Django").expect("django");
    assert_eq!(django["purl"], "pkg:pypi/django@2.2");
}
