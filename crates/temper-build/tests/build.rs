//! `temper build` as a library: each spec key on a base built here, the
//! files, modes, owners and config it gives, and every refusal with its
//! message.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../temper-layer/tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use serde_json::Value;
use support::{Comp, ImageSpec, OciLayout, file, file_mode, layer, symlink};

const BASE_BUNDLE: &str = "-----BEGIN CERTIFICATE-----\nBASE\n-----END CERTIFICATE-----\n";

/// A Debian-like base: accounts, a CA bundle, shells and package managers.
fn base(dir: &Path) -> String {
    let layout = dir.join("base");
    let spec = ImageSpec::new(vec![base_layer()]);
    OciLayout::single(&layout, &spec, "12");
    format!("oci:{}:12", layout.display())
}

/// [`base`]'s one layer.
fn base_layer() -> support::Blob {
    layer(
        &[
            file("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n"),
            file("etc/passwd", "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"),
            file("etc/group", "root:x:0:\nnogroup:x:65534:\n"),
            file_mode("etc/shadow", "root:*:19000:0:99999:7:::\n", 0o640),
            file("etc/ssl/certs/ca-certificates.crt", BASE_BUNDLE),
            file_mode("usr/bin/bash", "ELF", 0o755),
            file_mode("usr/bin/dash", "ELF", 0o755),
            symlink("usr/bin/sh", "dash"),
            symlink("bin", "usr/bin"),
            file_mode("usr/bin/apt-get", "ELF", 0o755),
            file_mode("usr/bin/dpkg", "ELF", 0o755),
            file_mode("usr/bin/cat", "ELF", 0o755),
            file("home/.keep", ""),
        ],
        Comp::Gzip,
    )
}

fn ca(name: &str, ca: bool, days: (i64, i64)) -> String {
    let mut p = CertificateParams::default();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = if ca { IsCa::Ca(BasicConstraints::Unconstrained) } else { IsCa::NoCa };
    let now = time::OffsetDateTime::now_utc();
    p.not_before = now + time::Duration::days(days.0);
    p.not_after = now + time::Duration::days(days.1);
    p.self_signed(&KeyPair::generate().unwrap()).unwrap().pem()
}

fn options(output: &Path) -> temper_build::Options {
    temper_build::Options {
        output: format!("oci:{}:v1", output.display()),
        open: Default::default(),
        limits: temper_layer::Limits::default(),
        source_date_epoch: Some("1700000000".into()),
        locked: false,
        update: false,
        now: time::OffsetDateTime::now_utc(),
        cache: temper_verdict::CacheSettings { disabled: true, ..Default::default() },
        labels: Default::default(),
        strict_scripts: false,
    }
}

fn build(dir: &Path, spec: &str) -> Result<temper_build::Built, temper_build::Error> {
    let path = dir.join("golden.toml");
    std::fs::write(&path, spec).unwrap();
    temper_build::build(&path, &options(&dir.join("out")), &temper_verdict::Silent)
}

fn blob(layout: &Path, digest: &str) -> Vec<u8> {
    std::fs::read(layout.join("blobs/sha256").join(digest.trim_start_matches("sha256:"))).unwrap()
}

/// The manifest, config and the added layers' entries: path → (mode, uid, gid, content or link target, mtime).
struct Output {
    manifest: Value,
    config: Value,
    entries: BTreeMap<String, (u32, u64, u64, Vec<u8>, u64)>,
}

fn read(out: &Path, added: usize) -> Output {
    let index: Value = serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap();
    let manifest: Value = serde_json::from_slice(&blob(out, index["manifests"][0]["digest"].as_str().unwrap())).unwrap();
    let config: Value = serde_json::from_slice(&blob(out, manifest["config"]["digest"].as_str().unwrap())).unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    let mut entries = BTreeMap::new();
    for l in &layers[layers.len() - added..] {
        let gz = blob(out, l["digest"].as_str().unwrap());
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(gz.as_slice()));
        for e in archive.entries().unwrap() {
            let mut e = e.unwrap();
            let h = e.header().clone();
            let path = e.path().unwrap().to_string_lossy().trim_end_matches('/').to_owned();
            let mut content = Vec::new();
            e.read_to_end(&mut content).unwrap();
            if let Some(t) = e.link_name().unwrap() {
                content = t.to_string_lossy().as_bytes().to_vec();
            }
            assert!(h.username().unwrap().unwrap_or("").is_empty() && h.groupname().unwrap().unwrap_or("").is_empty(), "{path}: names in the header");
            entries.insert(path, (h.mode().unwrap(), h.uid().unwrap(), h.gid().unwrap(), content, h.mtime().unwrap()));
        }
    }
    Output { manifest, config, entries }
}

#[test]
fn each_spec_key_gives_its_files_modes_owners_and_config() {
    let dir = tempfile::tempdir().unwrap();
    let base = base(dir.path());
    std::fs::write(dir.path().join("corp.pem"), ca("Corp Root CA", true, (-1, 3650))).unwrap();
    std::fs::create_dir_all(dir.path().join("conf/sub")).unwrap();
    std::fs::write(dir.path().join("conf/a.yaml"), "a: 1\n").unwrap();
    std::fs::write(dir.path().join("conf/sub/run.sh"), "#!/bin/true\n").unwrap();
    std::fs::set_permissions(dir.path().join("conf/sub/run.sh"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let inline = ca("Inline CA", true, (-1, 365));
    let spec = format!(
        r#"base = "{base}"
user = "app"
workdir = "/srv/app"
entrypoint = ["/srv/app/run"]
cmd = ["--serve"]
stop-signal = "SIGINT"
exposed-ports = ["8080", "53/udp"]
volumes = ["/data"]
remove = ["/bin/cat"]
remove-shells = true
remove-package-managers = true
[env]
HTTP_PROXY = "http://proxy.corp:3128"
TZ = "Europe/Paris"
[labels]
"org.opencontainers.image.vendor" = "Corp"
[annotations]
"org.opencontainers.image.source" = "https://git.corp/golden"
[healthcheck]
test = ["CMD", "/srv/app/run", "--health"]
interval = "30s"
retries = 3
[[certificates]]
path = "corp.pem"
[[certificates]]
content = """{inline}"""
name = "inline"
[[groups]]
name = "app"
gid = 10001
[[users]]
name = "app"
uid = 10001
[[files]]
path = "/etc/app/secret.conf"
content = "k=v\n"
mode = 0o640
owner = "app"
[[dirs]]
path = "/srv/app"
source = "conf"
owner = "app"
group = "app"
mode = 0o750
[[symlinks]]
path = "/usr/local/bin/app"
target = "/srv/app/sub/run.sh"
"#
    );
    let built = build(dir.path(), &spec).unwrap();
    assert_eq!(built.layers_added, 1);
    let out = dir.path().join("out");
    let r = read(&out, 1);
    let e = &r.entries;
    // Certificates: one file each and the bundle, base first, then sorted by name.
    let corp = String::from_utf8(e["usr/local/share/ca-certificates/corp.crt"].3.clone()).unwrap();
    let inl = String::from_utf8(e["usr/local/share/ca-certificates/inline.crt"].3.clone()).unwrap();
    assert_eq!(String::from_utf8(e["etc/ssl/certs/ca-certificates.crt"].3.clone()).unwrap(), format!("{BASE_BUNDLE}{corp}{inl}"));
    assert_eq!(e["usr/local/share/ca-certificates/corp.crt"].0, 0o644);
    // Accounts: appended lines, locked password, a home owned by the user.
    assert!(String::from_utf8_lossy(&e["etc/passwd"].3).ends_with("nologin\napp:x:10001:10001::/home/app:/sbin/nologin\n"));
    assert!(String::from_utf8_lossy(&e["etc/group"].3).ends_with("nogroup:x:65534:\napp:x:10001:\n"));
    assert_eq!(String::from_utf8_lossy(&e["etc/shadow"].3), format!("root:*:19000:0:99999:7:::\napp:!:{}:0:99999:7:::\n", 1_700_000_000 / 86_400));
    assert_eq!(e["etc/shadow"].0, 0o640, "the base's mode is kept");
    assert_eq!((e["home/app"].0, e["home/app"].1, e["home/app"].2), (0o750, 10001, 10001));
    // Files, dirs (a tree copied with the executable bit only), symlinks, owners by name.
    assert_eq!((e["etc/app/secret.conf"].0, e["etc/app/secret.conf"].1, e["etc/app/secret.conf"].2, e["etc/app/secret.conf"].3.as_slice()), (0o640, 10001, 10001, b"k=v\n".as_slice()));
    assert_eq!((e["etc/app"].0, e["etc/app"].1), (0o755, 0), "a missing parent is a root directory");
    assert_eq!((e["srv/app"].0, e["srv/app"].1, e["srv/app"].2), (0o750, 10001, 10001));
    assert_eq!((e["srv/app/a.yaml"].0, e["srv/app/sub/run.sh"].0), (0o644, 0o755));
    assert_eq!(e["usr/local/bin/app"].3, b"/srv/app/sub/run.sh");
    // Removals: the explicit path, every shell and package manager (links and targets), nothing else.
    let whiteouts: Vec<&str> = e.keys().filter(|p| p.rsplit('/').next().unwrap().starts_with(".wh.")).map(String::as_str).collect();
    assert_eq!(whiteouts, ["usr/bin/.wh.apt-get", "usr/bin/.wh.bash", "usr/bin/.wh.cat", "usr/bin/.wh.dash", "usr/bin/.wh.dpkg", "usr/bin/.wh.sh"]);
    // Every entry at the epoch.
    assert!(e.values().all(|v| v.4 == 1_700_000_000));
    // The config.
    let c = &r.config["config"];
    assert_eq!(c["User"], "app");
    assert_eq!(c["WorkingDir"], "/srv/app");
    assert_eq!(c["Entrypoint"], serde_json::json!(["/srv/app/run"]));
    assert_eq!(c["Cmd"], serde_json::json!(["--serve"]));
    assert_eq!(c["StopSignal"], "SIGINT");
    assert_eq!(c["ExposedPorts"], serde_json::json!({"53/udp": {}, "8080/tcp": {}}));
    assert_eq!(c["Volumes"], serde_json::json!({"/data": {}}));
    assert_eq!(c["Env"], serde_json::json!(["PATH=/usr/bin:/bin", "HTTP_PROXY=http://proxy.corp:3128", "TZ=Europe/Paris", "http_proxy=http://proxy.corp:3128"]));
    assert_eq!(c["Labels"]["org.opencontainers.image.vendor"], "Corp");
    assert_eq!(c["Healthcheck"], serde_json::json!({"Test": ["CMD", "/srv/app/run", "--health"], "Interval": 30_000_000_000i64, "Retries": 3}));
    assert_eq!(r.config["created"], "2023-11-14T22:13:20Z");
    assert_eq!(r.config["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
    assert_eq!(r.config["history"].as_array().unwrap().last().unwrap()["created_by"], "temper build: certificates, accounts, files, remove");
    let a = &r.manifest["annotations"];
    assert_eq!(a["org.opencontainers.image.base.name"], base.as_str());
    assert!(a["org.opencontainers.image.base.digest"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(a["org.opencontainers.image.source"], "https://git.corp/golden");
    assert_eq!(a["org.opencontainers.image.created"], "2023-11-14T22:13:20Z");
    // Beside the output: the SBOM of the result and the SLSA provenance statement.
    assert_eq!(built.sboms, [dir.path().join("out.sbom.cdx.json")]);
    let sbom: Value = serde_json::from_slice(&std::fs::read(&built.sboms[0]).unwrap()).unwrap();
    assert_eq!(sbom["bomFormat"], "CycloneDX");
    assert!(sbom["metadata"]["component"]["bom-ref"].as_str().unwrap().contains(&built.digest.replace(':', "%3A")), "{}", sbom["metadata"]["component"]);
    let prov: Value = serde_json::from_slice(&std::fs::read(&built.provenance).unwrap()).unwrap();
    assert_eq!(prov["predicateType"], "https://slsa.dev/provenance/v1");
    assert_eq!(prov["subject"][0]["digest"]["sha256"], built.digest.trim_start_matches("sha256:"));
    let deps = prov["predicate"]["buildDefinition"]["resolvedDependencies"].as_array().unwrap();
    assert_eq!(deps[0]["digest"]["sha256"], a["org.opencontainers.image.base.digest"].as_str().unwrap().trim_start_matches("sha256:"));
    assert!(deps.iter().any(|d| d["uri"] == "file:corp.pem") && deps.iter().any(|d| d["uri"] == "file:conf/a.yaml"));
    assert!(prov["predicate"]["buildDefinition"]["externalParameters"]["spec"]["content"].as_str().unwrap().contains("remove-shells = true"));
    // The lock names the base digest and both local inputs.
    let lock = std::fs::read_to_string(dir.path().join("golden.lock")).unwrap();
    assert!(lock.contains(a["org.opencontainers.image.base.digest"].as_str().unwrap()) && lock.contains("path = \"corp.pem\"") && lock.contains("path = \"conf/sub/run.sh\""), "{lock}");
}

#[test]
fn per_step_layers_and_zstd() {
    let dir = tempfile::tempdir().unwrap();
    let base = base(dir.path());
    let built = build(dir.path(), &format!("base = \"{base}\"\nlayers = \"per-step\"\ncompression = \"zstd\"\nremove-shells = true\n[[files]]\npath = \"/etc/motd\"\ncontent = \"hi\"\n")).unwrap();
    assert_eq!(built.layers_added, 2);
    let index: Value = serde_json::from_slice(&std::fs::read(dir.path().join("out/index.json")).unwrap()).unwrap();
    let manifest: Value = serde_json::from_slice(&blob(&dir.path().join("out"), index["manifests"][0]["digest"].as_str().unwrap())).unwrap();
    let types: Vec<&str> = manifest["layers"].as_array().unwrap().iter().map(|l| l["mediaType"].as_str().unwrap()).collect();
    assert_eq!(types, ["application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.oci.image.layer.v1.tar+zstd"]);
}

fn refused(spec_tail: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let base = base(dir.path());
    std::fs::write(dir.path().join("expired.pem"), ca("Old CA", true, (-30, -1))).unwrap();
    std::fs::write(dir.path().join("leaf.pem"), ca("Leaf", false, (-1, 30))).unwrap();
    std::fs::write(dir.path().join("junk.pem"), "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n").unwrap();
    let e = build(dir.path(), &format!("base = \"{base}\"\n{spec_tail}")).unwrap_err().to_string();
    assert!(!dir.path().join("out/index.json").exists(), "a refused build writes no index");
    e
}

#[test]
fn refusals_name_the_input_and_the_reason() {
    let e = refused("[[certificates]]\npath = \"expired.pem\"\n");
    assert!(e.contains("expired.pem") && e.contains("Old CA expired on"), "{e}");
    let e = refused("[[certificates]]\npath = \"leaf.pem\"\n");
    assert!(e.contains("leaf.pem") && e.contains("is not a CA certificate"), "{e}");
    let e = refused("[[certificates]]\npath = \"junk.pem\"\n");
    assert!(e.contains("junk.pem") && e.contains("not X.509"), "{e}");
    let e = refused("[[users]]\nname = \"daemon\"\nuid = 65534\n");
    assert!(e.contains("`daemon` (uid 65534) clashes with user `nobody`"), "{e}");
    let e = refused("[[groups]]\nname = \"root\"\ngid = 5\n");
    assert!(e.contains("clashes with group `root`"), "{e}");
    let e = refused("colour = \"red\"\n");
    assert!(e.contains("golden.toml:2:1") && e.contains("colour"), "{e}");
    let e = refused("user = 5\n");
    assert!(e.contains("golden.toml:2:8") && e.contains("`user`"), "{e}");
    let e = refused("[[files]]\npath = \"/../../etc/x\"\ncontent = \"\"\n");
    assert!(e.contains("not a path inside the image"), "{e}");
    let e = refused("[[files]]\npath = \"/bin/evil\"\ncontent = \"\"\n");
    assert!(e.contains("/bin in the base is not a directory"), "{e}");
    let e = refused("remove = [\"/opt/nothing\"]\n");
    assert!(e.contains("nothing there in the base"), "{e}");
    let e = refused("[[files]]\npath = \"/x\"\ncontent = \"\"\nowner = \"ghost\"\n");
    assert!(e.contains("no user `ghost`"), "{e}");
    let e = refused("[[files]]\npath = \"/etc/passwd\"\ncontent = \"\"\n[[users]]\nname = \"u\"\nuid = 7\n");
    assert!(e.contains("/etc/passwd: written by both accounts and files"), "{e}");
}

#[test]
fn a_malformed_source_date_epoch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let base = base(dir.path());
    let path = dir.path().join("golden.toml");
    std::fs::write(&path, format!("base = \"{base}\"\n")).unwrap();
    let mut opts = options(&dir.path().join("out"));
    opts.source_date_epoch = Some("yesterday".into());
    let e = temper_build::build(&path, &opts, &temper_verdict::Silent).unwrap_err().to_string();
    assert!(e.contains("SOURCE_DATE_EPOCH `yesterday`"), "{e}");
}

#[test]
fn locked_refuses_a_moved_input_and_update_takes_it() {
    let dir = tempfile::tempdir().unwrap();
    let base = base(dir.path());
    std::fs::write(dir.path().join("motd"), "one").unwrap();
    let spec = format!("base = \"{base}\"\n[[files]]\npath = \"/etc/motd\"\nsource = \"motd\"\n");
    let path = dir.path().join("golden.toml");
    std::fs::write(&path, &spec).unwrap();
    let mut opts = options(&dir.path().join("out"));
    let first = temper_build::build(&path, &opts, &temper_verdict::Silent).unwrap();
    opts.locked = true;
    assert_eq!(temper_build::build(&path, &opts, &temper_verdict::Silent).unwrap().digest, first.digest, "nothing moved: --locked builds");
    std::fs::write(dir.path().join("motd"), "two").unwrap();
    let e = temper_build::build(&path, &opts, &temper_verdict::Silent).unwrap_err().to_string();
    assert!(e.contains("--locked") && e.contains("motd changed"), "{e}");
    opts.locked = false;
    let second = temper_build::build(&path, &opts, &temper_verdict::Silent).unwrap();
    assert_ne!(second.digest, first.digest);
    assert_eq!(second.lock_changes.len(), 1);
}

#[test]
fn the_published_schema_is_the_one_the_spec_parses() {
    let published = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/golden.schema.json");
    let text = std::fs::read_to_string(&published).unwrap_or_default();
    assert_eq!(text, temper_build::spec::schema(), "regenerate it: temper build --print-schema > schemas/golden.schema.json");
}

/// Counts the layers opened by any pass.
#[derive(Default)]
struct Counting(std::sync::atomic::AtomicUsize);

impl temper_layer::Progress for &Counting {
    fn start(&self, _: usize, _: Option<u64>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    fn advance(&self, _: usize, _: u64) {}
    fn finish(&self, _: usize) {}
}

impl temper_verdict::Reporter for Counting {
    fn layer_pass(&self, _: &'static str, _: Vec<temper_verdict::reporter::LayerLabel>) -> Box<dyn temper_layer::Progress + '_> {
        Box::new(self)
    }
    fn download(&self, name: &str) -> Box<dyn temper_verdict::reporter::Download + '_> {
        temper_verdict::Silent.download(name)
    }
    fn warn(&self, _: &str) {}
    fn note(&self, _: &str) {}
}

#[test]
fn a_rebuild_reads_no_base_layer_and_compresses_nothing_again() {
    let dir = tempfile::tempdir().unwrap();
    let base = base(dir.path());
    std::fs::write(dir.path().join("motd"), "hello").unwrap();
    let path = dir.path().join("golden.toml");
    std::fs::write(&path, format!("base = \"{base}\"\nremove-shells = true\n[[files]]\npath = \"/etc/motd\"\nsource = \"motd\"\n")).unwrap();
    let mut opts = options(&dir.path().join("out"));
    opts.cache = temper_verdict::CacheSettings { dir: Some(dir.path().join("cache")), ..Default::default() };
    let (cold, warm) = (Counting::default(), Counting::default());
    let first = temper_build::build(&path, &opts, &cold).unwrap();
    // The base's one layer, once; the new layer is analysed as it is written.
    assert_eq!(cold.0.load(std::sync::atomic::Ordering::Relaxed), 1, "the cold build reads the base once");
    let manifest: Value = serde_json::from_slice(&blob(&dir.path().join("out"), &first.digest)).unwrap();
    let added = dir.path().join("out/blobs/sha256").join(manifest["layers"][1]["digest"].as_str().unwrap().trim_start_matches("sha256:"));
    let written = std::fs::metadata(&added).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let second = temper_build::build(&path, &opts, &warm).unwrap();
    assert_eq!(second.digest, first.digest);
    assert_eq!(warm.0.load(std::sync::atomic::Ordering::Relaxed), 0, "a warm rebuild opens no layer");
    assert_eq!(std::fs::metadata(&added).unwrap().modified().unwrap(), written, "the unchanged layer was not written again");
    // A changed input is a new layer, not a stale one from the cache.
    std::fs::write(dir.path().join("motd"), "changed").unwrap();
    assert_ne!(temper_build::build(&path, &opts, &warm).unwrap().digest, first.digest);
}

#[test]
fn a_planted_layer_cache_record_naming_a_path_outside_the_layout_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let base = base(dir.path());
    let path = dir.path().join("golden.toml");
    std::fs::write(&path, format!("base = \"{base}\"\n[[files]]\npath = \"/etc/motd\"\ncontent = \"hello\"\n")).unwrap();
    let mut opts = options(&dir.path().join("out"));
    opts.cache = temper_verdict::CacheSettings { dir: Some(dir.path().join("cache")), ..Default::default() };
    let first = temper_build::build(&path, &opts, &temper_verdict::Silent).unwrap();
    // The record now names the spec itself (outside the layout's blobs), with its size.
    let planted = serde_json::json!({ "digest": "sha256:../../../golden.toml", "diff_id": "sha256:0", "size": std::fs::metadata(&path).unwrap().len() });
    let records: Vec<_> = std::fs::read_dir(dir.path().join("cache/build-layers-v1")).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(!records.is_empty());
    for r in &records {
        std::fs::write(r, planted.to_string()).unwrap();
    }
    std::fs::remove_dir_all(dir.path().join("out")).unwrap();
    let again = temper_build::build(&path, &opts, &temper_verdict::Silent).unwrap();
    assert_eq!(again.digest, first.digest, "the record was ignored and the layer written again");
}

#[test]
fn label_flag_sets_labels_and_the_source_and_revision_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let base = base(dir.path());
    let path = dir.path().join("golden.toml");
    std::fs::write(&path, format!("base = \"{base}\"\n[labels]\n\"org.opencontainers.image.source\" = \"https://git.corp.example/golden\"\nteam = \"platform\"\n")).unwrap();
    let mut opts = options(&dir.path().join("out"));
    opts.labels = BTreeMap::from([("org.opencontainers.image.revision".to_owned(), "4b1d".to_owned()), ("team".to_owned(), "sre".to_owned())]);
    let built = temper_build::build(&path, &opts, &temper_verdict::Silent).unwrap();
    let out = read(&dir.path().join("out"), built.layers_added);
    assert_eq!(out.config["config"]["Labels"]["team"], "sre", "--label wins over the spec");
    assert_eq!(out.config["config"]["Labels"]["org.opencontainers.image.revision"], "4b1d");
    assert_eq!(out.manifest["annotations"]["org.opencontainers.image.source"], "https://git.corp.example/golden");
    assert_eq!(out.manifest["annotations"]["org.opencontainers.image.revision"], "4b1d");
    let provenance: Value = serde_json::from_slice(&std::fs::read(&built.provenance).unwrap()).unwrap();
    assert_eq!(provenance["predicate"]["buildDefinition"]["externalParameters"]["labels"]["org.opencontainers.image.revision"], "4b1d", "what --label added is recorded");
}

/// A base with accounts, with or without `/etc/gshadow`.
fn accounts_base(dir: &Path, gshadow: bool) -> String {
    let layout = dir.join("base");
    let mut files = vec![file("etc/os-release", "ID=debian\n"), file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"), file("etc/group", "root:x:0:\nshadow:x:42:\n")];
    if gshadow {
        files.push(file_mode("etc/gshadow", "root:*::\nshadow:*::", 0o600));
    }
    OciLayout::single(&layout, &ImageSpec::new(vec![layer(&files, Comp::Gzip)]), "1");
    format!("oci:{}:1", layout.display())
}

#[test]
fn gshadow_gets_the_new_groups_locked_when_the_base_has_one() {
    let spec = |base: &str| format!("base = \"{base}\"\n[[groups]]\nname = \"app\"\ngid = 10001\n[[groups]]\nname = \"ops\"\ngid = 10002\n");
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), &spec(&accounts_base(dir.path(), true))).unwrap();
    let e = read(&dir.path().join("out"), 1).entries;
    assert!(String::from_utf8_lossy(&e["etc/group"].3).ends_with("shadow:x:42:\napp:x:10001:\nops:x:10002:\n"));
    // Appended after the base's last line (which had no newline), as `groupadd` writes them.
    assert_eq!(String::from_utf8_lossy(&e["etc/gshadow"].3), "root:*::\nshadow:*::\napp:!::\nops:!::\n");
    assert_eq!((e["etc/gshadow"].0, e["etc/gshadow"].1, e["etc/gshadow"].2), (0o600, 0, 0), "the base's mode is kept");
    // No gshadow in the base: none is made.
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), &spec(&accounts_base(dir.path(), false))).unwrap();
    let e = read(&dir.path().join("out"), 1).entries;
    assert!(e.contains_key("etc/group") && !e.contains_key("etc/gshadow"), "{:?}", e.keys().collect::<Vec<_>>());
}

/// Counts, by layer index, the layers each pass opened.
#[derive(Default)]
struct OpenedByLayer(std::sync::Mutex<BTreeMap<usize, usize>>);

impl temper_layer::Progress for &OpenedByLayer {
    fn start(&self, layer: usize, _: Option<u64>) {
        *self.0.lock().unwrap().entry(layer).or_default() += 1;
    }
    fn advance(&self, _: usize, _: u64) {}
    fn finish(&self, _: usize) {}
}

impl temper_verdict::Reporter for OpenedByLayer {
    fn layer_pass(&self, _: &'static str, _: Vec<temper_verdict::reporter::LayerLabel>) -> Box<dyn temper_layer::Progress + '_> {
        Box::new(self)
    }
    fn download(&self, name: &str) -> Box<dyn temper_verdict::reporter::Download + '_> {
        temper_verdict::Silent.download(name)
    }
    fn warn(&self, _: &str) {}
    fn note(&self, _: &str) {}
}

/// [`base`] with a second layer over it, and a spec adding a user (so the
/// base's /etc/passwd must come out of the pass).
fn two_layer_base_and_spec(dir: &Path) -> (PathBuf, temper_build::Options) {
    let spec = ImageSpec::new(vec![base_layer(), layer(&[file("etc/motd", "base motd\n")], Comp::Gzip)]);
    OciLayout::single(&dir.join("two"), &spec, "12");
    let path = dir.join("golden.toml");
    std::fs::write(&path, format!("base = \"oci:{}:12\"\n[[users]]\nname = \"app\"\nuid = 10001\n", dir.join("two").display())).unwrap();
    let mut opts = options(&dir.join("out"));
    opts.cache = temper_verdict::CacheSettings { dir: Some(dir.join("cache")), ..Default::default() };
    (path, opts)
}

#[test]
fn cold_build_walks_each_base_layer_once() {
    let dir = tempfile::tempdir().unwrap();
    let (path, opts) = two_layer_base_and_spec(dir.path());
    let opened = OpenedByLayer::default();
    temper_build::build(&path, &opts, &opened).unwrap();
    // Base layers 0 and 1 by the build's own pass; the new layer 2 was
    // analysed as it was written: the SBOM's pass finds all three in the cache.
    assert_eq!(opened.0.lock().unwrap().clone(), BTreeMap::from([(0, 1), (1, 1)]));
    let passwd = String::from_utf8(read(&dir.path().join("out"), 1).entries["etc/passwd"].3.clone()).unwrap();
    assert!(passwd.starts_with("root:x:0:0:") && passwd.contains("app:x:10001:"), "{passwd}");
}

/// Scans the base of [`two_layer_base_and_spec`] as `temper scan` does,
/// filling the layer cache (not the build's own).
fn scan_base(dir: &Path, opts: &temper_build::Options) {
    let image = temper_verdict::target::open(&format!("oci:{}:12", dir.join("two").display()), &Default::default()).unwrap().image;
    temper_verdict::pass::scan(&image, &opts.limits, &opts.cache, &temper_verdict::Silent, false).unwrap();
}

#[test]
fn cold_build_on_a_base_scanned_before_reads_no_base_layer() {
    let dir = tempfile::tempdir().unwrap();
    let (path, opts) = two_layer_base_and_spec(dir.path());
    scan_base(dir.path(), &opts);
    let opened = OpenedByLayer::default();
    temper_build::build(&path, &opts, &opened).unwrap();
    // The files the build edits were kept by the scan's pass, and the new
    // layer was analysed as it was written: no layer is read.
    assert_eq!(opened.0.lock().unwrap().clone(), BTreeMap::new());
    let e = read(&dir.path().join("out"), 1).entries;
    let passwd = String::from_utf8(e["etc/passwd"].3.clone()).unwrap();
    assert!(passwd.starts_with("root:x:0:0:") && passwd.contains("app:x:10001:"), "{passwd}");
    let shadow = String::from_utf8_lossy(&e["etc/shadow"].3).into_owned();
    assert!(shadow.starts_with("root:*:19000:0:99999:7:::\napp:!:"), "the base's shadow, then the new account: {shadow}");
}

#[test]
fn a_layer_analysed_as_it_is_written_equals_a_pass_over_its_blob() {
    let dir = tempfile::tempdir().unwrap();
    let (path, opts) = two_layer_base_and_spec(dir.path());
    // An npm package among the added files, so the new layer has a package to find.
    let spec = std::fs::read_to_string(&path).unwrap();
    std::fs::create_dir_all(dir.path().join("app/node_modules/left-pad")).unwrap();
    std::fs::write(dir.path().join("app/node_modules/left-pad/package.json"), r#"{"name":"left-pad","version":"1.3.0","license":"WTFPL"}"#).unwrap();
    std::fs::write(&path, format!("{spec}[[dirs]]\npath = \"/srv/app\"\nsource = \"app\"\n")).unwrap();
    temper_build::build(&path, &opts, &temper_verdict::Silent).unwrap();
    let image = temper_verdict::target::open(&format!("oci:{}:v1", dir.path().join("out").display()), &Default::default()).unwrap().image;
    let cached = temper_verdict::pass::scan(&image, &opts.limits, &opts.cache, &temper_verdict::Silent, false).unwrap();
    assert_eq!(cached.from_cache, vec![true, true, true], "every layer of the result is in the cache");
    let uncached = temper_verdict::pass::scan(&image, &opts.limits, &temper_verdict::CacheSettings { disabled: true, ..Default::default() }, &temper_verdict::Silent, false).unwrap();
    let show = |s: &temper_verdict::Scanned| (serde_json::to_value(&s.inventory).unwrap(), serde_json::to_value(&s.layers).unwrap());
    assert_eq!(show(&cached), show(&uncached), "the cache entry the build made is what a pass over the blob finds");
    assert!(cached.inventory.packages.iter().any(|p| p.package.name == "left-pad" && p.layer == Some(2)));
}

#[test]
fn a_shadow_file_with_a_password_hash_is_not_kept_and_its_layer_is_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let shadow = "root:$6$salt$0123456789abcdef:19000:0:99999:7:::\n";
    let spec = ImageSpec::new(vec![base_layer(), layer(&[file_mode("etc/shadow", shadow, 0o640)], Comp::Gzip)]);
    OciLayout::single(&dir.path().join("two"), &spec, "12");
    let path = dir.path().join("golden.toml");
    std::fs::write(&path, format!("base = \"oci:{}:12\"\n[[users]]\nname = \"app\"\nuid = 10001\n", dir.path().join("two").display())).unwrap();
    let mut opts = options(&dir.path().join("out"));
    opts.cache = temper_verdict::CacheSettings { dir: Some(dir.path().join("cache")), ..Default::default() };
    scan_base(dir.path(), &opts);
    // The scan cached layer 1 without the file's text.
    let image = temper_verdict::target::open(&format!("oci:{}:12", dir.path().join("two").display()), &Default::default()).unwrap().image;
    let cache = temper_inventory::cache::LayerCache::open(&dir.path().join("cache")).unwrap();
    let cached = cache.get(&temper_inventory::cache::key(image.layers[1].diff_id.as_ref().unwrap(), &temper_verdict::pass::analyzers())).expect("layer 1 is cached");
    assert!(cached.found.iter().any(|f| f.path == "etc/shadow"), "the shadow file was offered to the analysers");
    let texts: Vec<String> = cached.found.iter().map(|f| format!("{} {:?}", f.path, f.result)).collect();
    assert!(!texts.iter().any(|t| t.contains("0123456789abcdef")), "a password hash was written into the layer cache: {texts:?}");
    let opened = OpenedByLayer::default();
    temper_build::build(&path, &opts, &opened).unwrap();
    // Layer 1 holds the visible shadow file: read again for it.
    assert_eq!(opened.0.lock().unwrap().clone(), BTreeMap::from([(1, 1)]));
    let e = read(&dir.path().join("out"), 1).entries;
    assert!(String::from_utf8_lossy(&e["etc/shadow"].3).starts_with(shadow), "the base's hash is kept in the image");
}

#[test]
fn proven_base_blobs_are_linked_and_a_damaged_one_is_refused() {
    use std::os::unix::fs::MetadataExt as _;
    let dir = tempfile::tempdir().unwrap();
    let (path, mut opts) = two_layer_base_and_spec(dir.path());
    temper_build::build(&path, &opts, &temper_verdict::Silent).unwrap();
    let base_blobs = dir.path().join("two/blobs/sha256");
    let image = temper_verdict::target::open(&format!("oci:{}:12", dir.path().join("two").display()), &Default::default()).unwrap().image;
    for layer in &image.layers {
        let hex = layer.digest.as_ref().unwrap().hex().to_owned();
        let (from, to) = (std::fs::metadata(base_blobs.join(&hex)).unwrap(), std::fs::metadata(dir.path().join("out/blobs/sha256").join(&hex)).unwrap());
        assert_eq!((from.dev(), from.ino()), (to.dev(), to.ino()), "base layer {hex} is linked, not copied");
    }
    // A blob changed since (same size) fails its proof: it is read whole,
    // and refused, never linked.
    let hex = image.layers[1].digest.as_ref().unwrap().hex().to_owned();
    let blob = base_blobs.join(&hex);
    let mut bytes = std::fs::read(&blob).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::remove_file(&blob).unwrap();
    std::fs::write(&blob, &bytes).unwrap();
    opts.output = format!("oci:{}:v1", dir.path().join("out2").display());
    let err = temper_build::build(&path, &opts, &temper_verdict::Silent).err().expect("a damaged base blob is refused");
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        chain.push_str(&format!(": {s}"));
        source = s.source();
    }
    assert!(chain.contains("layer 1") && chain.contains(&hex), "{chain}");
    assert!(!dir.path().join("out2/blobs/sha256").join(&hex).exists(), "the damaged blob is not in the output");
}

/// One 20 MiB file, text and noise in turn: several gzip blocks and
/// batches, several zstd jobs.
fn big_layer() -> Vec<temper_build::layer::Entry> {
    let words: [&[u8]; 8] = [b"alpha ", b"beta ", b"gamma ", b"delta\n", b"epsilon ", b"zeta ", b"eta ", b"theta\n"];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut data = Vec::with_capacity(21 << 20);
    while data.len() < 20 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (data.len() >> 16) % 2 == 0 {
            data.extend_from_slice(words[(x % 8) as usize]);
        } else {
            data.extend_from_slice(&x.to_le_bytes());
        }
    }
    let node = temper_build::layer::Node::File { content: temper_build::layer::Content::Bytes(data), mode: 0o644 };
    vec![temper_build::layer::Entry { path: "opt/data".into(), node, uid: 0, gid: 0 }]
}

/// The layer written on a pool of `threads` threads, and its bytes.
fn written_on(threads: usize, entries: &[temper_build::layer::Entry], compression: temper_build::spec::Compression) -> (temper_build::layer::Blob, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let blob = pool.install(|| temper_build::layer::write(entries, 1_700_000_000, compression, dir.path())).unwrap();
    let bytes = std::fs::read(&blob.path).unwrap();
    (blob, bytes)
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

#[test]
fn gzip_layer_same_bytes_whatever_the_thread_count() {
    let entries = big_layer();
    let (one, bytes) = written_on(1, &entries, temper_build::spec::Compression::Gzip);
    let (four, _) = written_on(4, &entries, temper_build::spec::Compression::Gzip);
    assert_eq!((&one.digest, &one.diff_id, one.size), (&four.digest, &four.diff_id, four.size));
    assert_eq!(one.digest, sha256(&bytes));
    assert_eq!(bytes[..10], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255], "fixed header: no mtime, OS 255");
    // One gzip member (its CRC and size checked) holding the tar the diffID names.
    let mut decoder = flate2::read::GzDecoder::new(bytes.as_slice());
    let mut tar = Vec::new();
    decoder.read_to_end(&mut tar).unwrap();
    assert!(decoder.into_inner().is_empty(), "bytes after the first member");
    assert_eq!(sha256(&tar), one.diff_id);
    assert!(bytes.len() < tar.len() * 3 / 4, "{} of {}: the text half is compressed", bytes.len(), tar.len());
}

#[test]
fn gzip_stores_incompressible_blocks_and_still_compresses_text() {
    // 6 MiB of noise, then 6 MiB of text: the noise's blocks are stored,
    // the text's deflated, and the stream is one valid gzip member.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut noise = Vec::with_capacity(6 << 20);
    while noise.len() < 6 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        noise.extend_from_slice(&x.to_le_bytes());
    }
    let text: Vec<u8> = b"the quick brown fox jumps over the lazy dog\n".iter().copied().cycle().take(6 << 20).collect();
    let file = |path: &str, data: Vec<u8>| temper_build::layer::Entry { path: path.into(), node: temper_build::layer::Node::File { content: temper_build::layer::Content::Bytes(data), mode: 0o644 }, uid: 0, gid: 0 };
    let noise_only = [file("opt/noise", noise.clone())];
    let (_, stored) = written_on(2, &noise_only, temper_build::spec::Compression::Gzip);
    // Stored blocks cost 5 bytes per 64 KiB: well under 0.1 % over the tar.
    assert!(stored.len() < (6 << 20) + (12 << 10) && stored.len() > 6 << 20, "{} bytes for 6 MiB of noise", stored.len());
    let both = [file("opt/noise", noise), file("opt/text", text)];
    let (one, bytes) = written_on(1, &both, temper_build::spec::Compression::Gzip);
    let (two, _) = written_on(2, &both, temper_build::spec::Compression::Gzip);
    assert_eq!(one.digest, two.digest);
    let mut decoder = flate2::read::GzDecoder::new(bytes.as_slice());
    let mut tar = Vec::new();
    decoder.read_to_end(&mut tar).unwrap();
    assert_eq!(sha256(&tar), one.diff_id);
    assert!(bytes.len() < (6 << 20) + (1 << 20), "{} bytes: the text half is compressed", bytes.len());
}

#[test]
fn zstd_layer_same_bytes_whatever_the_thread_count() {
    let entries = big_layer();
    let (one, bytes) = written_on(1, &entries, temper_build::spec::Compression::Zstd);
    let (four, _) = written_on(4, &entries, temper_build::spec::Compression::Zstd);
    assert_eq!((&one.digest, &one.diff_id, one.size), (&four.digest, &four.diff_id, four.size));
    let tar = zstd::decode_all(bytes.as_slice()).unwrap();
    assert_eq!(sha256(&tar), one.diff_id);
}
