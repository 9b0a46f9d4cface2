//! `temper build` end to end on the bundled example: the same bytes
//! whatever the machine's state, and output that independent tools
//! (umoci, skopeo, openssl) accept.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus_image(name: &str) -> String {
    let dir = std::env::var_os("TEMPER_CORPUS").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/temper-corpus"));
    let layout = dir.join("oci").join(name);
    assert!(layout.join("index.json").is_file(), "corpus not found at {} (run scripts/test.sh)", dir.display());
    format!("oci:{}", layout.display())
}

/// A spec over `base`, with a CA, proxy env, a user, files and shells removed.
fn project(dir: &Path, ca_pem: &str, base: &str) -> PathBuf {
    std::fs::write(dir.join("corp-ca.pem"), ca_pem).unwrap();
    std::fs::create_dir_all(dir.join("etc")).unwrap();
    std::fs::write(dir.join("etc/app.conf"), "listen = 8080\n").unwrap();
    let spec = dir.join("golden.toml");
    std::fs::write(
        &spec,
        format!(
            "base = \"{base}\"\nuser = \"svc\"\nremove-shells = true\n[env]\nHTTPS_PROXY = \"http://proxy.corp:3128\"\n[[certificates]]\npath = \"corp-ca.pem\"\n[[users]]\nname = \"svc\"\nuid = 10001\n[[files]]\npath = \"/etc/app/app.conf\"\nsource = \"etc/app.conf\"\nowner = \"svc\"\n",
        ),
    )
    .unwrap();
    spec
}

fn temper(args: &[&str], cwd: &Path, env: &[(&str, &str)], umask: &str) -> Output {
    // umask is a process attribute: set it in a shell that then runs temper.
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(format!("umask {umask} && exec \"$0\" \"$@\"")).arg(env!("CARGO_BIN_EXE_temper")).args(args).current_dir(cwd);
    cmd.env_remove("SOURCE_DATE_EPOCH").envs(env.iter().copied());
    cmd.output().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn test_ca() -> CertifiedIssuer<'static, KeyPair> {
    let mut p = CertificateParams::default();
    p.distinguished_name.push(DnType::CommonName, "temper golden test CA");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
}

/// The digest a `--format json` build printed.
fn digest(o: &Output) -> String {
    let v: serde_json::Value = serde_json::from_str(&ok(o)).unwrap();
    v["digest"].as_str().unwrap().to_owned()
}

#[test]
fn builds_are_bit_for_bit_whatever_tmpdir_umask_tz_cwd_and_input_mtimes() {
    let dir = tempfile::tempdir().unwrap();
    let ca = test_ca();
    let spec = project(dir.path(), &ca.pem(), &format!("oci:{}", root().join("examples/demo-app").display()));
    let spec = spec.to_str().unwrap();
    let out = |n: &str| format!("oci:{}:v1", dir.path().join(n).display());
    let tmp2 = tempfile::tempdir().unwrap();
    let a = digest(&temper(&["build", spec, "-o", &out("a"), "-f", "json"], dir.path(), &[], "022"));
    std::process::Command::new("touch").args(["-d", "2001-02-03 04:05:06"]).arg(dir.path().join("etc/app.conf")).arg(dir.path().join("corp-ca.pem")).status().unwrap();
    let b = digest(&temper(&["build", spec, "-o", &out("b"), "-f", "json"], Path::new("/"), &[("TMPDIR", tmp2.path().to_str().unwrap()), ("TZ", "Pacific/Kiritimati"), ("LANG", "tr_TR.UTF-8"), ("LC_ALL", "tr_TR.UTF-8")], "077"));
    assert_eq!(a, b, "two builds of one spec differ");
    // Another epoch changes the timestamps only: same paths, modes, owners and contents.
    let c = digest(&temper(&["build", spec, "-o", &out("c"), "-f", "json"], dir.path(), &[("SOURCE_DATE_EPOCH", "1800000000")], "022"));
    assert_ne!(a, c);
    let tree = |n: &str| {
        let o = temper(&["layers", &out(n), "--tree", "--layer", "3"], dir.path(), &[], "022");
        ok(&o)
    };
    assert_eq!(tree("a"), tree("c"));
    // --check-reproducible builds twice itself, says so, and leaves no lock behind.
    std::fs::remove_file(dir.path().join("golden.lock")).unwrap();
    let check = ok(&temper(&["build", spec, "--check-reproducible"], dir.path(), &[], "022"));
    assert_eq!(check, format!("reproducible: both builds are {a}\n"));
    assert!(!dir.path().join("golden.lock").exists());
    // A malformed epoch is an error, not a guess.
    let bad = temper(&["build", spec, "-o", &out("d")], dir.path(), &[("SOURCE_DATE_EPOCH", "soon")], "022");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("SOURCE_DATE_EPOCH `soon`"));
}

fn tool(name: &str) -> PathBuf {
    let path = Path::new("/usr/bin").join(name);
    assert!(path.exists(), "{name} not installed (scripts/test.sh installs it)");
    path
}

#[test]
fn umoci_skopeo_and_openssl_accept_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let ca = test_ca();
    // The example has a zstd layer, which skopeo cannot put in a docker-archive: a gzip-only base.
    let spec = project(dir.path(), &ca.pem(), &corpus_image("debian-minbase"));
    let layout = dir.path().join("golden");
    ok(&temper(&["build", spec.to_str().unwrap(), "-o", &format!("oci:{}:v1", layout.display())], dir.path(), &[], "022"));
    let image = format!("{}:v1", layout.display());
    // The SBOM beside the output lists the base's packages.
    let sbom: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("golden.sbom.cdx.json")).unwrap()).unwrap();
    assert!(sbom["components"].as_array().unwrap().iter().any(|c| c["name"] == "libc6"));

    let inspect = Command::new(tool("skopeo")).args(["inspect", &format!("oci:{image}")]).output().unwrap();
    let info: serde_json::Value = serde_json::from_str(&ok(&inspect)).unwrap();
    assert_eq!(info["Layers"].as_array().unwrap().len(), 2);
    assert!(info["Env"].as_array().unwrap().iter().any(|e| e == "https_proxy=http://proxy.corp:3128"));
    let archive = dir.path().join("golden.tar");
    ok(&Command::new(tool("skopeo")).args(["copy", &format!("oci:{image}"), &format!("docker-archive:{}:corp/golden:v1", archive.display())]).output().unwrap());
    assert!(archive.metadata().unwrap().len() > 1000);

    let bundle = dir.path().join("bundle");
    ok(&Command::new(tool("umoci")).args(["unpack", "--rootless", "--image", &image]).arg(&bundle).output().unwrap());
    let rootfs = bundle.join("rootfs");
    assert_eq!(std::fs::read_to_string(rootfs.join("etc/app/app.conf")).unwrap(), "listen = 8080\n");
    assert!(!rootfs.join("usr/bin/sh").exists() && !rootfs.join("usr/bin/bash").exists() && !rootfs.join("usr/bin/dash").exists(), "shells removed");
    assert!(rootfs.join("usr/bin/ls").exists(), "nothing else removed");
    assert!(std::fs::read_to_string(rootfs.join("etc/passwd")).unwrap().contains("svc:x:10001:10001::/home/svc:/sbin/nologin"));

    // A server certificate signed by the CA verifies against the image's bundle.
    let mut p = CertificateParams::new(vec!["svc.corp".to_owned()]).unwrap();
    p.distinguished_name.push(DnType::CommonName, "svc.corp");
    let leaf = p.signed_by(&KeyPair::generate().unwrap(), &ca).unwrap();
    let leaf_pem = dir.path().join("leaf.pem");
    std::fs::write(&leaf_pem, leaf.pem()).unwrap();
    let verify = Command::new(tool("openssl")).arg("verify").arg("-CAfile").arg(rootfs.join("etc/ssl/certs/ca-certificates.crt")).arg(&leaf_pem).output().unwrap();
    assert!(ok(&verify).contains(": OK"));
    // The archives: the same image, read back by skopeo and by temper, and the same bytes twice.
    let oci_tar = dir.path().join("golden-oci.tar");
    let docker_tar = dir.path().join("golden-docker.tar");
    let built = |target: String| digest(&temper(&["build", spec.to_str().unwrap(), "-o", &target, "-f", "json"], dir.path(), &[], "022"));
    let layout_digest = built(format!("oci:{}:v1", layout.display()));
    assert_eq!(built(format!("oci-archive:{}:v1", oci_tar.display())), layout_digest);
    assert_eq!(built(format!("docker-archive:{}:corp/golden:v1", docker_tar.display())), layout_digest);
    let first = std::fs::read(&docker_tar).unwrap();
    built(format!("docker-archive:{}:corp/golden:v1", docker_tar.display()));
    assert!(first == std::fs::read(&docker_tar).unwrap(), "two docker-archive builds differ");
    // skopeo picks the image by the name manifest.json gives it, as `docker load` tags it.
    let by_name = Command::new(tool("skopeo")).args(["inspect", &format!("docker-archive:{}:corp/golden:v1", docker_tar.display())]).output().unwrap();
    let by_name: serde_json::Value = serde_json::from_str(&ok(&by_name)).unwrap();
    assert_eq!(by_name["Layers"].as_array().unwrap().len(), 2);
    assert!(!Command::new(tool("skopeo")).args(["inspect", &format!("docker-archive:{}:corp/other:v1", docker_tar.display())]).output().unwrap().status.success());
    ok(&Command::new(tool("skopeo")).args(["inspect", &format!("oci-archive:{}:v1", oci_tar.display())]).output().unwrap());
    let read_back = temper(&["inspect", "--format", "json", &format!("oci-archive:{}:v1", oci_tar.display())], dir.path(), &[], "022");
    let read_back: serde_json::Value = serde_json::from_str(&ok(&read_back)).unwrap();
    assert_eq!(read_back["digest"], layout_digest.as_str());
    let docker_read = temper(&["sbom", "--no-cache", &format!("docker-archive:{}", docker_tar.display())], dir.path(), &[], "022");
    assert!(ok(&docker_read).contains("libc6"));

    // And not against a bundle without it.
    std::fs::write(dir.path().join("other.pem"), test_ca().pem()).unwrap();
    let other = Command::new(tool("openssl")).arg("verify").arg("-CAfile").arg(dir.path().join("other.pem")).arg(&leaf_pem).output().unwrap();
    assert!(!other.status.success());
}

/// The JSON document `digest` of the layout at `dir`.
fn doc(dir: &Path, digest: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("blobs/sha256").join(digest.trim_start_matches("sha256:"))).unwrap()).unwrap()
}

/// The paths in the gzip layer `digest` of the layout at `dir`.
fn layer_paths(dir: &Path, digest: &str) -> Vec<String> {
    let file = std::fs::File::open(dir.join("blobs/sha256").join(digest.trim_start_matches("sha256:"))).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    archive.entries().unwrap().map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned()).collect()
}

#[test]
fn multi_platform_base_builds_every_platform_into_an_index_and_rebases_per_platform() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("golden.toml");
    let write_spec = |extra: &str| std::fs::write(&spec, format!("base = \"{}\"\n{extra}[env]\nHTTPS_PROXY = \"http://proxy:3128\"\n[[files]]\npath = \"/etc/corp/motd\"\ncontent = \"hello\\n\"\n", corpus_image("multiarch-index"))).unwrap();
    write_spec("");
    let out = dir.path().join("golden");
    let o = temper(&["build", spec.to_str().unwrap(), "-o", &format!("oci:{}:1", out.display()), "-f", "json"], dir.path(), &[], "022");
    let built: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
    assert_eq!(built["platforms"], 2);
    assert_eq!(built["sboms"].as_array().unwrap().len(), 2);
    assert!(dir.path().join("golden.linux-arm64-v8.sbom.cdx.json").is_file());
    let index = doc(&out, built["digest"].as_str().unwrap());
    assert_eq!(index["mediaType"], "application/vnd.oci.image.index.v1+json");
    let manifests = index["manifests"].as_array().unwrap();
    let platforms: Vec<String> = manifests.iter().map(|m| format!("{}/{}", m["platform"]["os"].as_str().unwrap(), m["platform"]["architecture"].as_str().unwrap())).collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"], "every platform, sorted");
    for m in manifests {
        let manifest = doc(&out, m["digest"].as_str().unwrap());
        let config = doc(&out, manifest["config"]["digest"].as_str().unwrap());
        assert_eq!(config["architecture"], m["platform"]["architecture"], "each platform is built on its own base");
        assert!(config["config"]["Env"].as_array().unwrap().iter().any(|e| e == "https_proxy=http://proxy:3128"));
        let top = manifest["layers"].as_array().unwrap().last().unwrap()["digest"].as_str().unwrap().to_owned();
        assert!(layer_paths(&out, &top).iter().any(|p| p == "etc/corp/motd"));
    }
    let lock = std::fs::read_to_string(dir.path().join("golden.lock")).unwrap();
    assert_eq!(lock.matches("[[base.platforms]]").count(), 2, "{lock}");
    assert!(lock.contains("platform = \"linux/arm64/v8\""), "{lock}");
    // skopeo copies the whole index.
    ok(&Command::new(tool("skopeo")).args(["copy", "--all", &format!("oci:{}:1", out.display()), &format!("oci:{}:1", dir.path().join("copy").display())]).output().unwrap());
    // The same spec twice gives the same index.
    let again = temper(&["build", spec.to_str().unwrap(), "--check-reproducible"], dir.path(), &[], "022");
    assert_eq!(ok(&again), format!("reproducible: both builds are {}\n", built["digest"].as_str().unwrap()));

    // --platform builds one image, not an index.
    let one = dir.path().join("one");
    let o = temper(&["build", spec.to_str().unwrap(), "-o", &format!("oci:{}:1", one.display()), "--platform", "linux/arm64", "-f", "json"], dir.path(), &[], "022");
    let single: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
    assert_eq!(doc(&one, single["digest"].as_str().unwrap())["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    // `platforms` picks some; a platform the base lacks is refused, naming what it has.
    write_spec("platforms = [\"linux/arm64\"]\n");
    let o = temper(&["build", spec.to_str().unwrap(), "-o", &format!("oci:{}:arm", out.display()), "-f", "json"], dir.path(), &[], "022");
    let arm: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
    let arm_index = doc(&out, arm["digest"].as_str().unwrap());
    assert_eq!(arm_index["manifests"].as_array().unwrap().len(), 1);
    assert_eq!(arm_index["manifests"][0]["platform"]["variant"], "v8");
    write_spec("platforms = [\"linux/s390x\"]\n");
    let o = temper(&["build", spec.to_str().unwrap(), "-o", &format!("oci:{}:s390x", out.display())], dir.path(), &[], "022");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("has no linux/s390x (it has linux/amd64, linux/arm64/v8)"), "{err}");

    // An app on the two-platform golden, moved onto a golden 1.1: rebased platform by platform.
    std::fs::write(dir.path().join("app.toml"), format!("base = \"oci:{}:1\"\n[[files]]\npath = \"/app/run\"\ncontent = \"app\\n\"\n", out.display())).unwrap();
    std::fs::write(dir.path().join("golden-1.1.toml"), format!("base = \"oci:{}:1\"\n[env]\nHTTPS_PROXY = \"http://proxy2:3128\"\n", out.display())).unwrap();
    let app = format!("oci:{}:1", dir.path().join("app").display());
    let new_golden = format!("oci:{}:1.1", out.display());
    ok(&temper(&["build", "app.toml", "-o", &app], dir.path(), &[], "022"));
    ok(&temper(&["build", "golden-1.1.toml", "-o", &new_golden], dir.path(), &[], "022"));
    let rebased = dir.path().join("rebased");
    let o = temper(&["rebase", &app, "--new-base", &new_golden, "-o", &format!("oci:{}:1", rebased.display()), "-f", "json"], dir.path(), &[], "022");
    let report: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
    let reports = report["platforms"].as_array().unwrap();
    assert_eq!(reports.len(), 2);
    let index = doc(&rebased, report["digest"].as_str().unwrap());
    for (m, r) in index["manifests"].as_array().unwrap().iter().zip(reports) {
        assert_eq!(m["digest"], r["digest"]);
        let manifest = doc(&rebased, m["digest"].as_str().unwrap());
        assert_eq!(manifest["annotations"]["org.opencontainers.image.base.digest"], r["new_base"]);
        let config = doc(&rebased, manifest["config"]["digest"].as_str().unwrap());
        assert_eq!(config["architecture"], m["platform"]["architecture"]);
        assert!(config["config"]["Env"].as_array().unwrap().iter().any(|e| e == "HTTPS_PROXY=http://proxy2:3128"), "{config}");
        assert_eq!(r["inherited"].as_array().unwrap().len(), 2, "HTTPS_PROXY and https_proxy: {r}");
    }
}
