//! Sources opened from images built in test code: selection by tag, by
//! platform and by RepoTag, and the errors for broken, oversized or
//! mislabelled documents.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../temper-layer/tests/support/mod.rs"]
mod support;

use std::io::Read;
use std::path::Path;

use serde_json::json;
use support::*;
use temper_image::model::media;
use temper_image::{Digest, Error, Image, LayerContent, Limits, OpenOptions, Platform, Source, open, open_str};

fn opts() -> OpenOptions {
    OpenOptions::default()
}

fn for_platform(p: &str) -> OpenOptions {
    OpenOptions { platform: Some(Platform::parse(p).unwrap()), ..OpenOptions::default() }
}

fn ok(src: &str, o: &OpenOptions) -> Image {
    open_str(src, o).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn err(src: &str, o: &OpenOptions) -> Error {
    match open_str(src, o) {
        Ok(i) => panic!("{src}: opened {i:?}, expected an error"),
        Err(e) => e,
    }
}

fn layer_bytes(image: &Image, i: usize) -> Vec<u8> {
    match image.open_layer(i).unwrap() {
        LayerContent::Stream(mut s) => {
            let mut v = Vec::new();
            s.read_to_end(&mut v).unwrap();
            v
        }
        LayerContent::Directory(p) => panic!("layer {i} is a directory {}", p.display()),
    }
}

/// Two different one-layer images.
fn two_specs() -> (ImageSpec, ImageSpec) {
    let a = ImageSpec::new(vec![layer(&[file("a", "first")], Comp::Gzip)]);
    let b = ImageSpec::new(vec![layer(&[dir("b"), file("b/x", "second")], Comp::Zstd), layer(&[file("c", "")], Comp::Plain)])
        .history(&[("ADD b", false), ("ENV X=1", true), ("RUN c", false)]);
    (a, b)
}

fn tagged_layout(dir: &Path) -> (ImageSpec, ImageSpec) {
    let (a, b) = two_specs();
    let layout = OciLayout::new(dir);
    let da = layout.add_image(&a);
    let db = layout.add_image(&b);
    // A full reference as ref name, as containerd writes it.
    layout.write_index(vec![with_ref(da, "v1"), with_ref(db, "docker.io/lab/app:v2")]);
    (a, b)
}

#[test]
fn oci_layout_tag_selection() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("layout");
    let (a, b) = tagged_layout(&dir);
    let archive = tmp.path().join("layout.tar");
    tar_dir(&dir, &archive);
    for prefix in ["oci", "oci-archive"] {
        let path = if prefix == "oci" { &dir } else { &archive };
        let v1 = ok(&src(prefix, path, Some("v1")), &opts());
        assert_eq!(v1.layers.len(), 1);
        assert_eq!(v1.layers[0].digest.as_ref(), Some(&a.layers[0].digest));
        assert_eq!(v1.layers[0].diff_id.as_ref(), Some(&a.layers[0].diff_id));
        assert_eq!(v1.layers[0].media_type, Comp::Gzip.media_type());
        assert_eq!(v1.layers[0].size, Some(a.layers[0].bytes.len() as u64));
        assert_eq!(layer_bytes(&v1, 0), a.layers[0].bytes);
        let v2 = ok(&src(prefix, path, Some("docker.io/lab/app:v2")), &opts());
        assert_eq!(v2.layers.iter().map(|l| l.digest.clone().unwrap()).collect::<Vec<_>>(), [b.layers[0].digest.clone(), b.layers[1].digest.clone()]);
        assert_eq!(layer_bytes(&v2, 1), b.layers[1].bytes);
        assert_eq!(v2.config.layer_history(2), [Some(0), Some(2)]);
        assert_eq!(v2.manifest.as_ref().unwrap().media_type, media::OCI_MANIFEST);
        assert!(v2.index.is_none());
        assert_eq!(v2.platform().unwrap().to_string(), "linux/amd64");
        assert!(matches!(v2.open_layer(2), Err(Error::Select { .. })));
        assert_eq!(v2.layer_label(1), format!("layer 1 ({})", b.layers[1].digest));

        // No tag with two manifests: the error lists the tags.
        let e = err(&src(prefix, path, None), &opts());
        let msg = e.to_string();
        assert!(matches!(e, Error::Select { .. }), "{msg}");
        assert!(msg.contains("lists 2 manifests") && msg.contains("tags: v1, docker.io/lab/app:v2"), "{msg}");
        // An unknown tag: the same list.
        let msg = err(&src(prefix, path, Some("v3")), &opts()).to_string();
        assert!(msg.contains("no manifest tagged 'v3'") && msg.contains("v1, docker.io/lab/app:v2"), "{msg}");
    }
}

#[test]
fn nested_index_platform_selection() {
    let tmp = tempfile::tempdir().unwrap();
    let amd = ImageSpec::new(vec![layer(&[file("arch", "amd64")], Comp::Gzip)]);
    let arm = ImageSpec::new(vec![layer(&[file("arch", "arm64")], Comp::Gzip)]).platform("linux", "arm64", Some("v8"));
    let layout = OciLayout::new(tmp.path());
    let d_amd = with_platform(layout.add_image(&amd), "linux", "amd64", None);
    let d_arm = with_platform(layout.add_image(&arm), "linux", "arm64", Some("v8"));
    // An attestation manifest as buildkit writes it: never chosen, never listed.
    let mut d_att = with_platform(layout.add_image(&amd), "unknown", "unknown", None);
    d_att["annotations"] = json!({"vnd.docker.reference.type": "attestation-manifest"});
    let nested = layout.add_index(vec![d_amd, d_att, d_arm]);
    let nested_digest = nested["digest"].as_str().unwrap().to_owned();
    layout.write_index(vec![with_ref(nested, "multi")]);

    let source = src("oci", tmp.path(), Some("multi"));
    let arm_img = ok(&source, &for_platform("linux/arm64"));
    assert_eq!(arm_img.config.architecture, "arm64");
    assert_eq!(arm_img.platform().unwrap().to_string(), "linux/arm64/v8");
    assert_eq!(arm_img.layers[0].digest.as_ref(), Some(&arm.layers[0].digest));
    assert_eq!(arm_img.index.as_ref().unwrap().digest.to_string(), nested_digest);
    let listed: Vec<String> = arm_img.platforms.iter().map(ToString::to_string).collect();
    assert_eq!(listed, ["linux/amd64", "linux/arm64/v8"]);
    let amd_img = ok(&source, &for_platform("linux/amd64"));
    assert_eq!(amd_img.layers[0].digest.as_ref(), Some(&amd.layers[0].digest));
    assert_eq!(ok(&source, &for_platform("linux/arm64/v8")).config.architecture, "arm64");

    match err(&source, &for_platform("linux/s390x")) {
        Error::NoPlatform { wanted, available, .. } => {
            assert_eq!(wanted, "linux/s390x");
            assert_eq!(available, ["linux/amd64", "linux/arm64/v8"]);
        }
        other => panic!("expected NoPlatform, got {other}"),
    }
    let msg = err(&source, &for_platform("linux/arm/v7")).to_string();
    assert!(msg.contains("no image for platform linux/arm/v7; available: linux/amd64, linux/arm64/v8"), "{msg}");
}

#[test]
fn docker_archive_selection() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = two_specs();
    // Docker-archive layers are plain tars named by their digest.
    let a = ImageSpec::new(a.layers.iter().map(|l| Blob { bytes: decompress(&l.bytes), ..l.clone() }).map(fix_digest).collect());
    let b = ImageSpec { layers: b.layers.iter().map(|l| fix_digest(Blob { bytes: decompress(&l.bytes), ..l.clone() })).collect(), ..b };
    let path = tmp.path().join("save.tar");
    docker_archive(&path, &[(vec!["app:1.0"], &a), (vec!["lab/tool:2.0", "docker.io/lab/tool:latest"], &b)]);

    let e = err(&src("docker-archive", &path, None), &opts());
    let msg = e.to_string();
    assert!(matches!(e, Error::Select { .. }), "{msg}");
    assert!(msg.contains("holds 2 images") && msg.contains("@0 app:1.0, @1 lab/tool:2.0 docker.io/lab/tool:latest"), "{msg}");

    let by_index = ok(&src("docker-archive", &path, Some("@1")), &opts());
    assert_eq!(by_index.layers.len(), 2);
    assert_eq!(by_index.layers[0].diff_id.as_ref(), Some(&b.layers[0].diff_id));
    assert_eq!(by_index.layers[0].digest.as_ref(), Some(&b.layers[0].digest));
    assert_eq!(layer_bytes(&by_index, 0), b.layers[0].bytes);
    assert_eq!(by_index.config.history.len(), 3);
    assert!(by_index.manifest.is_none());
    for select in ["lab/tool:2.0", "lab/tool:latest", "docker.io/lab/tool:latest"] {
        let img = ok(&src("docker-archive", &path, Some(select)), &opts());
        assert_eq!(img.layers[0].diff_id.as_ref(), Some(&b.layers[0].diff_id), "{select}");
        // The same through the parsed form.
        let parsed = Source::DockerArchive { path: path.clone(), select: Some(select.into()) };
        assert_eq!(Source::parse(&src("docker-archive", &path, Some(select))).unwrap(), parsed);
    }
    let app = ok(&src("docker-archive", &path, Some("app:1.0")), &opts());
    assert_eq!(app.layers[0].diff_id.as_ref(), Some(&a.layers[0].diff_id));
    assert_eq!(app.config_digest, Some(Digest::sha256_of(&to_bytes(&a.config_json()))));
    assert_eq!(ok(&src("docker-archive", &path, Some("@0")), &opts()).layers.len(), 1);

    for bad in ["@2", "@x", "nope:1"] {
        let msg = err(&src("docker-archive", &path, Some(bad)), &opts()).to_string();
        assert!(msg.contains(&format!("no image '{bad}'")) && msg.contains("@0 app:1.0"), "{msg}");
    }
}

fn decompress(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        out = zstd::stream::decode_all(bytes).unwrap();
    } else {
        out = bytes.to_vec();
    }
    out
}

fn fix_digest(b: Blob) -> Blob {
    Blob { digest: Digest::sha256_of(&b.bytes), media_type: media::DOCKER_LAYER_TAR.into(), ..b }
}

#[test]
fn broken_documents_name_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = two_specs();

    // index.json that is not JSON.
    let dir = tmp.path().join("badindex");
    OciLayout::single(&dir, &a, "x");
    std::fs::write(dir.join("index.json"), b"{\"schemaVersion\": 2, \"manifests\": [").unwrap();
    let msg = err(&src("oci", &dir, None), &opts()).to_string();
    assert!(msg.contains(&dir.join("index.json").display().to_string()) && msg.contains("not a valid"), "{msg}");

    // A manifest blob that is not JSON (under its true digest).
    let dir = tmp.path().join("badmanifest");
    let layout = OciLayout::new(&dir);
    let junk = b"{\"schemaVersion\": 2, \"config\": ".to_vec();
    layout.put_blob(&junk);
    layout.write_index(vec![descriptor(media::OCI_MANIFEST, &junk)]);
    let msg = err(&src("oci", &dir, None), &opts()).to_string();
    assert!(msg.contains(&format!("manifest {}", Digest::sha256_of(&junk))) && msg.contains("not a valid"), "{msg}");

    // A config that is not JSON.
    let dir = tmp.path().join("badconfig");
    let layout = OciLayout::new(&dir);
    let cfg = b"[1,2".to_vec();
    layout.put_blob(&cfg);
    let man = to_bytes(&a.manifest_json(&descriptor(media::OCI_CONFIG, &cfg)));
    layout.put_blob(&man);
    layout.write_index(vec![descriptor(media::OCI_MANIFEST, &man)]);
    let msg = err(&src("oci", &dir, None), &opts()).to_string();
    assert!(msg.contains(&format!("config {}", Digest::sha256_of(&cfg))) && msg.contains("image config"), "{msg}");

    // An oci-layout marker of another version.
    let dir = tmp.path().join("version");
    OciLayout::single(&dir, &a, "x");
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"2.0.0"}"#).unwrap();
    let msg = err(&src("oci", &dir, None), &opts()).to_string();
    assert!(msg.contains("oci-layout") && msg.contains("2.0.0"), "{msg}");

    // docker-archive manifest.json that is not JSON.
    let path = tmp.path().join("bad.tar");
    tar_members(&path, &[("manifest.json".into(), b"[{\"Config\":".to_vec())]);
    let msg = err(&src("docker-archive", &path, None), &opts()).to_string();
    assert!(msg.contains(&format!("{}:manifest.json", path.display())) && msg.contains("not a valid"), "{msg}");

    // docker-archive naming a layer it does not hold.
    let path = tmp.path().join("missing.tar");
    let mut members = docker_members(&[(vec!["x:1"], &a)], |m| m[0]["Layers"][0] = json!("nothere/layer.tar"));
    members.remove(0);
    tar_members(&path, &members);
    let msg = err(&src("docker-archive", &path, None), &opts()).to_string();
    assert!(msg.contains("has no member 'nothere/layer.tar'"), "{msg}");

    // A tar that is neither format.
    let path = tmp.path().join("neither.tar");
    tar_members(&path, &[("hello.txt".into(), b"hi".to_vec())]);
    let msg = Source::parse(path.to_str().unwrap()).unwrap_err().to_string();
    assert!(msg.contains("neither manifest.json"), "{msg}");
}

#[test]
fn document_size_limits() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = two_specs();
    let dir = tmp.path().join("layout");
    OciLayout::single(&dir, &a, "x");
    let index_len = std::fs::metadata(dir.join("index.json")).unwrap().len();
    let limited = |manifest_bytes: u64, config_bytes: u64| OpenOptions { limits: Limits { manifest_bytes, config_bytes, ..Limits::default() }, ..OpenOptions::default() };
    let source = src("oci", &dir, None);
    ok(&source, &limited(4096, 4096));
    // index.json itself over the limit.
    let msg = err(&source, &limited(index_len - 1, 4096)).to_string();
    assert!(msg.contains("index.json") && msg.contains(&format!("over the {}-byte limit", index_len - 1)), "{msg}");
    // index.json fits, the manifest does not (it is larger).
    let e = err(&source, &limited(index_len, 4096));
    let msg = e.to_string();
    assert!(matches!(e, Error::Document { .. }) && msg.contains("manifest sha256:") && msg.contains(&format!("over the {index_len}-byte limit")), "{msg}");
    // The config over its own limit.
    let msg = err(&source, &limited(4096, 50)).to_string();
    assert!(msg.contains("config sha256:") && msg.contains("over the 50-byte limit"), "{msg}");
    // docker-archive manifest.json.
    let path = tmp.path().join("d.tar");
    docker_archive(&path, &[(vec!["x:1"], &a)]);
    let msg = err(&src("docker-archive", &path, None), &limited(20, 4096)).to_string();
    assert!(msg.contains("manifest.json") && msg.contains("over the 20-byte limit"), "{msg}");
}

#[test]
fn document_digests_and_sizes_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = two_specs();
    let wrong = Digest::sha256_of(b"wrong");

    // The config stored under a digest its bytes do not have.
    let dir = tmp.path().join("config");
    let layout = OciLayout::new(&dir);
    for l in &a.layers {
        layout.put_blob(&l.bytes);
    }
    let cfg = to_bytes(&a.config_json());
    layout.put_blob_at(&wrong, &cfg);
    let mut cfg_desc = descriptor(media::OCI_CONFIG, &cfg);
    cfg_desc["digest"] = json!(wrong.to_string());
    let man = to_bytes(&a.manifest_json(&cfg_desc));
    layout.put_blob(&man);
    layout.write_index(vec![descriptor(media::OCI_MANIFEST, &man)]);
    let e = err(&src("oci", &dir, None), &opts());
    let msg = e.to_string();
    assert!(matches!(e, Error::DigestMismatch { .. }) && msg.contains("digest mismatch") && msg.contains(&wrong.to_string()), "{msg}");
    assert!(msg.contains(&Digest::sha256_of(&cfg).to_string()), "{msg}");

    // The manifest's descriptor size is wrong.
    let dir = tmp.path().join("size");
    let layout = OciLayout::new(&dir);
    let mut desc = layout.add_image(&a);
    let real = desc["size"].as_u64().unwrap();
    desc["size"] = json!(real + 1);
    layout.write_index(vec![desc]);
    let msg = err(&src("oci", &dir, None), &opts()).to_string();
    assert!(msg.contains(&format!("is {real} bytes but its descriptor says {}", real + 1)), "{msg}");

    // docker-archive: a config member whose name is not its digest.
    let path = tmp.path().join("d.tar");
    let mut members = docker_members(&[(vec!["x:1"], &a)], |_| {});
    let cfg_at = members.iter().position(|(n, _)| n.ends_with(".json") && n != "manifest.json").unwrap();
    members[cfg_at].1.push(b'\n');
    tar_members(&path, &members);
    let msg = err(&src("docker-archive", &path, None), &opts()).to_string();
    assert!(msg.contains("digest mismatch") && msg.contains(&members[cfg_at].0), "{msg}");
}

#[test]
fn layers_must_be_layers() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = two_specs();
    // A layer descriptor with the config media type.
    let dir = tmp.path().join("mt");
    let layout = OciLayout::new(&dir);
    let desc = layout.add_image_with(&a, |_| {}, |m| m["layers"][0]["mediaType"] = json!(media::OCI_CONFIG));
    layout.write_index(vec![desc]);
    let msg = err(&src("oci", &dir, None), &opts()).to_string();
    assert!(msg.contains("layer 0") && msg.contains("not a filesystem layer") && msg.contains(media::OCI_CONFIG), "{msg}");

    // A manifest whose config is not an image config (an artifact).
    let dir = tmp.path().join("artifact");
    let layout = OciLayout::new(&dir);
    let desc = layout.add_image_with(&a, |_| {}, |m| m["config"]["mediaType"] = json!("application/vnd.example.sbom+json"));
    layout.write_index(vec![desc]);
    let msg = err(&src("oci", &dir, None), &opts()).to_string();
    assert!(msg.contains("is not a container image"), "{msg}");

    // More layers than diffIDs.
    let dir = tmp.path().join("count");
    let layout = OciLayout::new(&dir);
    let desc = layout.add_image_with(&a, |c| c["rootfs"]["diff_ids"] = json!([]), |_| {});
    layout.write_index(vec![desc]);
    let msg = err(&src("oci", &dir, None), &opts()).to_string();
    assert!(msg.contains("manifest lists 1 layers but the config lists 0 diff_ids"), "{msg}");

    // Docker schema 1 is refused by name.
    let dir = tmp.path().join("schema1");
    let layout = OciLayout::new(&dir);
    let desc = layout.add_image_with(&a, |_| {}, |m| m["schemaVersion"] = json!(1));
    layout.write_index(vec![desc]);
    let msg = err(&src("oci", &dir, None), &opts()).to_string();
    assert!(msg.contains("schemaVersion 1"), "{msg}");
}

#[test]
fn dir_source_is_one_directory_layer() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("f"), b"x").unwrap();
    let img = open(&Source::Dir { path: tmp.path().to_owned() }, &opts()).unwrap();
    assert_eq!(img.layers.len(), 1);
    assert!(img.layers[0].digest.is_none() && img.manifest.is_none() && img.platform().is_none());
    assert!(matches!(img.open_layer(0).unwrap(), LayerContent::Directory(p) if p == tmp.path()));
    // A file is not a root filesystem.
    let msg = err(&format!("dir:{}", tmp.path().join("f").display()), &opts()).to_string();
    assert!(msg.contains("is not a directory"), "{msg}");
}

#[test]
fn registry_references_normalise_like_docker() {
    use temper_image::RegistryRef;
    let r = |s: &str| RegistryRef::parse(s).unwrap();
    for (input, registry, repository) in [
        ("alpine", "docker.io", "library/alpine"),
        ("docker.io/alpine", "docker.io", "library/alpine"),
        ("index.docker.io/alpine:3", "docker.io", "library/alpine"),
        ("docker.io/library/alpine", "docker.io", "library/alpine"),
        ("user/app", "docker.io", "user/app"),
        ("ghcr.io/app", "ghcr.io", "app"),
        ("localhost:5000/app", "localhost:5000", "app"),
    ] {
        let parsed = r(input);
        assert_eq!((parsed.registry.as_str(), parsed.repository.as_str()), (registry, repository), "{input}");
        // What is printed parses back to the same reference.
        assert_eq!(r(&parsed.to_string()), parsed, "{input}");
    }
    assert_eq!(r("docker.io/alpine").api_host(), "registry-1.docker.io");
}
