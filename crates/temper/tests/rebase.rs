//! `temper rebase` end to end: an app built (by `temper build`) on the
//! corpus's `debian-outdated` is moved onto `debian-minbase`; its Debian
//! findings become the new base's, its own packages stay, and independent
//! readers (skopeo, umoci) accept the result.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

fn corpus() -> PathBuf {
    let dir = std::env::var_os("TEMPER_CORPUS").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/temper-corpus"));
    assert!(dir.join("oci/debian-outdated/index.json").is_file(), "corpus not found at {} (run scripts/test.sh)", dir.display());
    dir
}

fn corpus_image(name: &str) -> String {
    format!("oci:{}", corpus().join("oci").join(name).display())
}

fn shared() -> PathBuf {
    std::env::var_os("TEMPER_SHARED").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

fn temper(args: &[&str]) -> Output {
    let cache = std::env::temp_dir().join(format!("temper-rebase-test-cache-{}", std::process::id()));
    Command::new(env!("CARGO_BIN_EXE_temper")).args(args).env("TEMPER_CACHE_DIR", cache).env_remove("TEMPER_DB").env_remove("SOURCE_DATE_EPOCH").output().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn refused(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(2), "expected a refusal; stdout: {}", String::from_utf8_lossy(&o.stdout));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The app: `debian-outdated` plus an npm package, an env var and a workdir,
/// built by `temper build` (so its base annotations name debian-outdated).
fn app(dir: &Path) -> String {
    std::fs::create_dir_all(dir.join("app/node_modules/lodash")).unwrap();
    std::fs::write(dir.join("app/node_modules/lodash/package.json"), r#"{"name":"lodash","version":"4.17.4"}"#).unwrap();
    std::fs::write(dir.join("app.toml"), format!("base = \"{}\"\nworkdir = \"/app\"\n[env]\nAPP_MODE = \"prod\"\n[[dirs]]\npath = \"/app\"\nsource = \"app\"\n", corpus_image("debian-outdated"))).unwrap();
    let out = format!("oci:{}:1", dir.join("app-layout").display());
    ok(&temper(&["build", dir.join("app.toml").to_str().unwrap(), "-o", &out]));
    out
}

/// A database of the shared Debian and npm advisories, once per process.
fn db() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("advisories.db");
        let osv = shared().join("advisories/osv");
        ok(&temper(&["db", "import", "--db", path.to_str().unwrap(), osv.join("Debian").to_str().unwrap(), osv.join("npm").to_str().unwrap()]));
        (dir, path)
    });
    path
}

/// (ecosystem, package, version) of every package of `image`.
fn packages(image: &str) -> BTreeSet<(String, String, String)> {
    let doc: Value = serde_json::from_str(&ok(&temper(&["sbom", image, "-f", "json"]))).unwrap();
    doc["packages"].as_array().unwrap().iter().map(|p| (p["ecosystem"].as_str().or(p["type"].as_str()).unwrap_or_default().to_owned(), p["name"].as_str().unwrap().to_owned(), p["version"].as_str().unwrap_or_default().to_owned())).collect()
}

/// (package, advisory) of the findings of `image` in `ecosystem`.
fn findings(image: &str, ecosystem: &str) -> BTreeSet<(String, String)> {
    let out = temper(&["scan", image, "--db", db().to_str().unwrap(), "-f", "json"]);
    assert_ne!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["findings"].as_array().unwrap().iter().filter(|f| f["ecosystem"].as_str() == Some(ecosystem)).map(|f| (f["package"].as_str().unwrap().to_owned(), f["id"].as_str().unwrap().to_owned())).collect()
}

/// The JSON blob `digest` of the layout at `dir`.
fn blob(dir: &Path, digest: &str) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("blobs/sha256").join(digest.trim_start_matches("sha256:"))).unwrap()).unwrap()
}

fn manifest_and_config(dir: &Path) -> (Value, Value) {
    let index: Value = serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let manifest = blob(dir, index["manifests"][0]["digest"].as_str().unwrap());
    let config = blob(dir, manifest["config"]["digest"].as_str().unwrap());
    (manifest, config)
}

#[test]
fn rebase_from_debian_outdated_to_debian_minbase_leaves_the_new_bases_findings_and_the_apps_packages() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let out_dir = dir.path().join("rebased");
    let out = format!("oci:{}:1", out_dir.display());
    // The old base comes from the app's annotations; the new one is named.
    let said = ok(&temper(&["rebase", &app, "--new-base", &corpus_image("debian-minbase"), "-o", &out]));
    assert!(said.contains("linux/amd64: 2 base layer(s) replaced by 1"), "{said}");
    assert!(said.contains("inherited Cmd: old base [\"nginx\",\"-g\",\"daemon off;\"], new base [\"bash\"]; now [\"bash\"]"), "{said}");

    let minbase = corpus_image("debian-minbase");
    assert_eq!(findings(&out, "deb"), findings(&minbase, "deb"), "the rebased app's Debian findings (left) are not the new base's (right)");
    assert!(findings(&app, "deb").len() > findings(&minbase, "deb").len(), "the fixture must lose findings by the rebase");
    let lodash = ("npm".to_owned(), "lodash".to_owned(), "4.17.4".to_owned());
    let got = packages(&out);
    assert!(got.contains(&lodash), "the app's own package is gone: {got:?}");
    let debs = |s: &BTreeSet<(String, String, String)>| s.iter().filter(|p| p.0 == "deb").cloned().collect::<BTreeSet<_>>();
    assert_eq!(debs(&got), debs(&packages(&minbase)));
    assert!(!findings(&out, "npm").is_empty(), "lodash 4.17.4 has advisories in the shared corpus");

    let (manifest, config) = manifest_and_config(&out_dir);
    let (_, app_config) = manifest_and_config(&dir.path().join("app-layout"));
    let (_, base_config) = manifest_and_config(&corpus().join("oci/debian-minbase"));
    // rootfs: the new base's layers, then the app's own.
    let ids = |c: &Value| c["rootfs"]["diff_ids"].as_array().unwrap().clone();
    assert_eq!(ids(&config), [ids(&base_config), ids(&app_config)[2..].to_vec()].concat());
    // history: the new base's entries, then the app's own (one per layer it added).
    let history = config["history"].as_array().unwrap();
    assert_eq!(history[..3], base_config["history"].as_array().unwrap()[..]);
    assert_eq!(history[3]["created_by"], "temper build: files");
    assert_eq!(history.iter().filter(|h| !h["empty_layer"].as_bool().unwrap_or(false)).count(), ids(&config).len());
    // What the app set itself stays; what it inherited follows the new base.
    assert_eq!(config["config"]["WorkingDir"], "/app");
    assert_eq!(config["config"]["Env"], json!(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "APP_MODE=prod"]));
    assert_eq!(config["config"]["Cmd"], json!(["bash"]));
    assert!(config["config"].get("ExposedPorts").is_none() && config["config"].get("StopSignal").is_none());
    assert_eq!(config["created"], app_config["created"]);
    let base_manifest = corpus().join("oci/debian-minbase/index.json");
    let base_digest = serde_json::from_slice::<Value>(&std::fs::read(base_manifest).unwrap()).unwrap()["manifests"][0]["digest"].clone();
    assert_eq!(manifest["annotations"]["org.opencontainers.image.base.digest"], base_digest);
    assert_eq!(manifest["annotations"]["org.opencontainers.image.base.name"], minbase.as_str());

    // Independent readers take it.
    let skopeo = Command::new("skopeo").args(["inspect", &out]).output().unwrap();
    let inspected: Value = serde_json::from_slice(&skopeo.stdout).unwrap_or_else(|_| panic!("skopeo: {}", String::from_utf8_lossy(&skopeo.stderr)));
    assert_eq!(inspected["Layers"].as_array().unwrap().len(), 2);
    let bundle = dir.path().join("bundle");
    let umoci = Command::new("umoci").args(["unpack", "--rootless", "--image", &format!("{}:1", out_dir.display())]).arg(&bundle).output().unwrap();
    assert!(umoci.status.success(), "umoci: {}", String::from_utf8_lossy(&umoci.stderr));
    assert!(bundle.join("rootfs/app/node_modules/lodash/package.json").is_file());
    assert!(!bundle.join("rootfs/usr/sbin/nginx").exists(), "the old base's server packages are gone");
}

#[test]
fn rebase_inherit_old_keeps_and_inherit_error_refuses_the_old_bases_fields() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let minbase = corpus_image("debian-minbase");
    let out = format!("oci:{}:old", dir.path().join("rebased").display());
    ok(&temper(&["rebase", &app, "--new-base", &minbase, "--inherit", "old", "-o", &out]));
    let (_, config) = manifest_and_config(&dir.path().join("rebased"));
    assert_eq!(config["config"]["Cmd"], json!(["nginx", "-g", "daemon off;"]));
    assert_eq!(config["config"]["StopSignal"], "SIGQUIT");
    let err = refused(&temper(&["rebase", &app, "--new-base", &minbase, "--inherit", "error", "-o", &format!("oci:{}:e", dir.path().join("e").display())]));
    assert!(err.contains("fields inherited from the old base differ in the new one: Cmd"), "{err}");
    assert!(err.contains("--inherit new or --inherit old"), "{err}");
    assert!(!dir.path().join("e/index.json").exists(), "a refused rebase tags nothing");
}

#[test]
fn rebase_refuses_a_base_the_app_was_not_built_on_and_another_platform() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let minbase = corpus_image("debian-minbase");
    let out = format!("oci:{}:1", dir.path().join("out").display());
    let err = refused(&temper(&["rebase", &app, "--old-base", &minbase, "--new-base", &minbase, "-o", &out]));
    assert!(err.contains("was not built on"), "{err}");
    assert!(err.contains("differ at layer 0") && err.contains("give --old-base"), "{err}");
    let arm = format!("docker-archive:{}", corpus().join("docker-archive/multiarch-index-arm64.tar").display());
    let err = refused(&temper(&["rebase", &app, "--new-base", &arm, "-o", &out]));
    assert!(err.contains("arm64") && err.contains("linux/amd64"), "{err}");
    assert!(!dir.path().join("out/index.json").exists());
    // No annotations and no flags: nothing to go on.
    let err = refused(&temper(&["rebase", &minbase, "-o", &out]));
    assert!(err.contains("give --old-base"), "{err}");
}

/// Rewrites the single image of the layout at `dir` with Docker schema 2
/// media types (manifest, config and gzip layers), as a registry holding a
/// `docker build` push serves it.
fn to_docker_media_types(dir: &Path) {
    let (mut manifest, _) = manifest_and_config(dir);
    manifest["mediaType"] = json!("application/vnd.docker.distribution.manifest.v2+json");
    manifest["config"]["mediaType"] = json!("application/vnd.docker.container.image.v1+json");
    for l in manifest["layers"].as_array_mut().unwrap() {
        l["mediaType"] = json!("application/vnd.docker.image.rootfs.diff.tar.gzip");
    }
    manifest.as_object_mut().unwrap().remove("annotations");
    let bytes = serde_json::to_vec(&manifest).unwrap();
    let hex = hex::encode(Sha256::digest(&bytes));
    std::fs::write(dir.join("blobs/sha256").join(&hex), &bytes).unwrap();
    let index = json!({ "schemaVersion": 2, "manifests": [{ "mediaType": manifest["mediaType"], "digest": format!("sha256:{hex}"), "size": bytes.len(), "annotations": { "org.opencontainers.image.ref.name": "1" } }] });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

#[test]
fn rebase_of_a_docker_media_type_app_onto_an_oci_base_gives_one_family() {
    let dir = tempfile::tempdir().unwrap();
    app(dir.path());
    to_docker_media_types(&dir.path().join("app-layout"));
    let app = format!("oci:{}:1", dir.path().join("app-layout").display());
    let out_dir = dir.path().join("rebased");
    ok(&temper(&["rebase", &app, "--old-base", &corpus_image("debian-outdated"), "--new-base", &corpus_image("debian-minbase"), "-o", &format!("oci:{}:1", out_dir.display())]));
    let (manifest, _) = manifest_and_config(&out_dir);
    assert_eq!(manifest["mediaType"], "application/vnd.docker.distribution.manifest.v2+json");
    assert_eq!(manifest["config"]["mediaType"], "application/vnd.docker.container.image.v1+json");
    let types: BTreeSet<&str> = manifest["layers"].as_array().unwrap().iter().map(|l| l["mediaType"].as_str().unwrap()).collect();
    assert_eq!(types, BTreeSet::from(["application/vnd.docker.image.rootfs.diff.tar.gzip"]));
    assert!(manifest.get("annotations").is_none(), "Docker schema 2 has no annotations: none were added");
    // temper reads it back as one image (skopeo's oci: transport lists only OCI-typed manifests, so it is checked through a docker-archive below).
    let inspected: Value = serde_json::from_str(&ok(&temper(&["inspect", &format!("oci:{}:1", out_dir.display()), "-f", "json"]))).unwrap();
    assert_eq!(inspected["layers"].as_array().map(Vec::len), Some(2), "{inspected}");
    // A docker-archive of it loads as one image.
    let tar = dir.path().join("app.tar");
    ok(&temper(&["rebase", &app, "--old-base", &corpus_image("debian-outdated"), "--new-base", &corpus_image("debian-minbase"), "-o", &format!("docker-archive:{}:corp/app:2", tar.display())]));
    let skopeo = Command::new("skopeo").args(["inspect", &format!("docker-archive:{}", tar.display())]).output().unwrap();
    let inspected: Value = serde_json::from_slice(&skopeo.stdout).unwrap_or_else(|_| panic!("skopeo: {}", String::from_utf8_lossy(&skopeo.stderr)));
    assert_eq!(inspected["Layers"].as_array().unwrap().len(), 2);
}
