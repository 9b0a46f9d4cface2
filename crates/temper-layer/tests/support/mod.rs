//! Builds images for tests, in a temporary directory: layer tars from entry
//! lists (hostile raw headers included), compressed plain, gzip or zstd, and
//! written as OCI layouts (nested indexes too), oci-archives and
//! docker-archives. Shared by the tests of `temper-layer` and (through
//! `#[path]`) of `temper-image`; it only needs `temper-image`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use temper_image::Digest;
use temper_image::model::media;

/// One tar entry to write.
#[derive(Clone, Debug)]
pub enum Entry {
    File { path: String, data: Vec<u8>, mode: u32 },
    Dir { path: String, mode: u32 },
    Symlink { path: String, target: String },
    Hardlink { path: String, target: String },
    /// Written byte for byte, bypassing the `tar` crate's path checks.
    Raw { name: Vec<u8>, kind: tar::EntryType, link: Vec<u8>, data: Vec<u8> },
}

pub fn file(path: &str, data: impl Into<Vec<u8>>) -> Entry {
    Entry::File { path: path.into(), data: data.into(), mode: 0o644 }
}

pub fn file_mode(path: &str, data: impl Into<Vec<u8>>, mode: u32) -> Entry {
    Entry::File { path: path.into(), data: data.into(), mode }
}

/// A regular file of `n` bytes (content depends on the path, so that
/// equal sizes at different paths are still different files).
pub fn sized(path: &str, n: usize) -> Entry {
    let seed = path.bytes().fold(7u8, |a, b| a.wrapping_mul(31).wrapping_add(b));
    file(path, (0..n).map(|i| seed.wrapping_add(i as u8)).collect::<Vec<u8>>())
}

pub fn dir(path: &str) -> Entry {
    Entry::Dir { path: path.into(), mode: 0o755 }
}

pub fn symlink(path: &str, target: &str) -> Entry {
    Entry::Symlink { path: path.into(), target: target.into() }
}

pub fn hardlink(path: &str, target: &str) -> Entry {
    Entry::Hardlink { path: path.into(), target: target.into() }
}

/// `.wh.NAME` next to `path`: deletes `path` from lower layers.
pub fn whiteout(path: &str) -> Entry {
    let name = match path.rsplit_once('/') {
        Some((parent, base)) => format!("{parent}/.wh.{base}"),
        None => format!(".wh.{path}"),
    };
    file(&name, Vec::new())
}

/// `DIR/.wh..wh..opq`: hides what lower layers put in `dir`.
pub fn opaque(dir: &str) -> Entry {
    file(&format!("{dir}/.wh..wh..opq"), Vec::new())
}

pub fn raw(name: &[u8], kind: tar::EntryType, link: &[u8], data: &[u8]) -> Entry {
    Entry::Raw { name: name.to_vec(), kind, link: link.to_vec(), data: data.to_vec() }
}

fn header(kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_mtime(0);
    h.set_uid(0);
    h.set_gid(0);
    h
}

/// The tar of `entries`, in order, deterministic (mtime 0, uid/gid 0).
pub fn tar_of(entries: &[Entry]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        match e {
            Entry::File { path, data, mode } => {
                let mut h = header(tar::EntryType::Regular, data.len() as u64, *mode);
                b.append_data(&mut h, path, &data[..]).unwrap();
            }
            Entry::Dir { path, mode } => {
                let mut h = header(tar::EntryType::Directory, 0, *mode);
                b.append_data(&mut h, path, std::io::empty()).unwrap();
            }
            Entry::Symlink { path, target } => {
                let mut h = header(tar::EntryType::Symlink, 0, 0o777);
                b.append_link(&mut h, path, target).unwrap();
            }
            Entry::Hardlink { path, target } => {
                let mut h = header(tar::EntryType::Link, 0, 0o644);
                b.append_link(&mut h, path, target).unwrap();
            }
            Entry::Raw { name, kind, link, data } => {
                let mut h = header(*kind, data.len() as u64, 0o644);
                let old = h.as_old_mut();
                old.name = [0; 100];
                old.name[..name.len()].copy_from_slice(name);
                old.linkname = [0; 100];
                old.linkname[..link.len()].copy_from_slice(link);
                h.set_cksum();
                b.append(&h, &data[..]).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

/// How a layer blob is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comp {
    Plain,
    Gzip,
    Zstd,
}

pub const ALL_COMP: [Comp; 3] = [Comp::Plain, Comp::Gzip, Comp::Zstd];

impl Comp {
    pub fn media_type(self) -> &'static str {
        match self {
            Comp::Plain => media::OCI_LAYER_TAR,
            Comp::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
            Comp::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
        }
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

pub fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(bytes, 3).unwrap()
}

pub fn compress(bytes: &[u8], c: Comp) -> Vec<u8> {
    match c {
        Comp::Plain => bytes.to_vec(),
        Comp::Gzip => gzip(bytes),
        Comp::Zstd => zstd(bytes),
    }
}

/// zstd of a tar holding one file of `zeros` zero bytes, streamed (the tar
/// is never held in memory): a decompression bomb of a few kilobytes.
pub fn zstd_bomb(zeros: u64) -> Vec<u8> {
    let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    let mut h = header(tar::EntryType::Regular, zeros, 0o644);
    h.set_path("zeros").unwrap();
    h.set_cksum();
    enc.write_all(h.as_bytes()).unwrap();
    std::io::copy(&mut std::io::repeat(0).take(zeros), &mut enc).unwrap();
    let pad = (512 - zeros % 512) % 512;
    enc.write_all(&vec![0; pad as usize + 1024]).unwrap();
    enc.finish().unwrap()
}

/// A layer blob as stored, with its digests.
#[derive(Clone, Debug)]
pub struct Blob {
    pub bytes: Vec<u8>,
    pub digest: Digest,
    pub diff_id: Digest,
    pub media_type: String,
}

pub fn layer_from_tar(tar: &[u8], c: Comp) -> Blob {
    let bytes = compress(tar, c);
    Blob { digest: Digest::sha256_of(&bytes), diff_id: Digest::sha256_of(tar), media_type: c.media_type().into(), bytes }
}

pub fn layer(entries: &[Entry], c: Comp) -> Blob {
    layer_from_tar(&tar_of(entries), c)
}

/// An image: layers, history (instruction, empty_layer) and platform.
#[derive(Clone, Debug)]
pub struct ImageSpec {
    pub layers: Vec<Blob>,
    pub history: Vec<(String, bool)>,
    pub os: String,
    pub arch: String,
    pub variant: Option<String>,
}

impl ImageSpec {
    /// linux/amd64, one `RUN layer N` history step per layer.
    pub fn new(layers: Vec<Blob>) -> Self {
        let history = (0..layers.len()).map(|i| (format!("RUN layer {i}"), false)).collect();
        ImageSpec { layers, history, os: "linux".into(), arch: "amd64".into(), variant: None }
    }

    pub fn platform(mut self, os: &str, arch: &str, variant: Option<&str>) -> Self {
        self.os = os.into();
        self.arch = arch.into();
        self.variant = variant.map(Into::into);
        self
    }

    pub fn history(mut self, steps: &[(&str, bool)]) -> Self {
        self.history = steps.iter().map(|(s, e)| ((*s).to_owned(), *e)).collect();
        self
    }

    pub fn config_json(&self) -> Value {
        let mut cfg = json!({
            "architecture": self.arch,
            "os": self.os,
            "created": "2024-01-01T00:00:00Z",
            "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": self.layers.iter().map(|l| l.diff_id.to_string()).collect::<Vec<_>>()},
            "history": self.history.iter().map(|(by, empty)| {
                let mut h = json!({"created": "2024-01-01T00:00:00Z", "created_by": by});
                if *empty { h["empty_layer"] = json!(true); }
                h
            }).collect::<Vec<_>>(),
        });
        if let Some(v) = &self.variant {
            cfg["variant"] = json!(v);
        }
        cfg
    }

    pub fn manifest_json(&self, config: &Value) -> Value {
        json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_MANIFEST,
            "config": config,
            "layers": self.layers.iter().map(|l| json!({
                "mediaType": l.media_type, "digest": l.digest.to_string(), "size": l.bytes.len()
            })).collect::<Vec<_>>(),
        })
    }
}

pub fn to_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap()
}

pub fn descriptor(media_type: &str, bytes: &[u8]) -> Value {
    json!({"mediaType": media_type, "digest": Digest::sha256_of(bytes).to_string(), "size": bytes.len()})
}

/// Adds `org.opencontainers.image.ref.name`.
pub fn with_ref(mut desc: Value, name: &str) -> Value {
    desc["annotations"] = json!({"org.opencontainers.image.ref.name": name});
    desc
}

pub fn with_platform(mut desc: Value, os: &str, arch: &str, variant: Option<&str>) -> Value {
    desc["platform"] = json!({"os": os, "architecture": arch});
    if let Some(v) = variant {
        desc["platform"]["variant"] = json!(v);
    }
    desc
}

/// An OCI image layout being written.
pub struct OciLayout {
    pub dir: PathBuf,
}

impl OciLayout {
    pub fn new(dir: &Path) -> Self {
        std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
        std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        OciLayout { dir: dir.to_owned() }
    }

    pub fn blob_path(&self, d: &Digest) -> PathBuf {
        self.dir.join("blobs/sha256").join(d.hex())
    }

    pub fn put_blob(&self, bytes: &[u8]) -> Digest {
        let d = Digest::sha256_of(bytes);
        self.put_blob_at(&d, bytes);
        d
    }

    /// Stores `bytes` under `digest`, whether or not they hash to it.
    pub fn put_blob_at(&self, digest: &Digest, bytes: &[u8]) {
        std::fs::write(self.blob_path(digest), bytes).unwrap();
    }

    /// Writes layers, config and manifest; returns the manifest descriptor.
    pub fn add_image(&self, spec: &ImageSpec) -> Value {
        self.add_image_with(spec, |_| {}, |_| {})
    }

    /// Like [`add_image`](Self::add_image), letting the test alter the
    /// config before it is hashed and the manifest before it is hashed.
    pub fn add_image_with(&self, spec: &ImageSpec, config: impl FnOnce(&mut Value), manifest: impl FnOnce(&mut Value)) -> Value {
        for l in &spec.layers {
            self.put_blob(&l.bytes);
        }
        let mut cfg = spec.config_json();
        config(&mut cfg);
        let cfg_bytes = to_bytes(&cfg);
        self.put_blob(&cfg_bytes);
        let mut man = spec.manifest_json(&descriptor(media::OCI_CONFIG, &cfg_bytes));
        manifest(&mut man);
        let man_bytes = to_bytes(&man);
        self.put_blob(&man_bytes);
        descriptor(media::OCI_MANIFEST, &man_bytes)
    }

    /// Writes a nested index blob over `manifests`; returns its descriptor.
    pub fn add_index(&self, manifests: Vec<Value>) -> Value {
        let idx = json!({"schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": manifests});
        let bytes = to_bytes(&idx);
        self.put_blob(&bytes);
        descriptor(media::OCI_INDEX, &bytes)
    }

    /// Writes `index.json`.
    pub fn write_index(&self, manifests: Vec<Value>) {
        let idx = json!({"schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": manifests});
        std::fs::write(self.dir.join("index.json"), to_bytes(&idx)).unwrap();
    }

    /// One image, tagged `tag`, as the whole layout.
    pub fn single(dir: &Path, spec: &ImageSpec, tag: &str) -> Self {
        let layout = OciLayout::new(dir);
        let desc = layout.add_image(spec);
        layout.write_index(vec![with_ref(desc, tag)]);
        layout
    }
}

/// Tars the files under `dir` (names relative to it) into `out`.
pub fn tar_dir(dir: &Path, out: &Path) {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut b = tar::Builder::new(std::fs::File::create(out).unwrap());
    for f in files {
        let data = std::fs::read(&f).unwrap();
        let mut h = header(tar::EntryType::Regular, data.len() as u64, 0o644);
        b.append_data(&mut h, f.strip_prefix(dir).unwrap(), &data[..]).unwrap();
    }
    b.finish().unwrap();
}

/// A tar of named members, in order.
pub fn tar_members(out: &Path, members: &[(String, Vec<u8>)]) {
    let mut b = tar::Builder::new(std::fs::File::create(out).unwrap());
    for (name, data) in members {
        let mut h = header(tar::EntryType::Regular, data.len() as u64, 0o644);
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    b.finish().unwrap();
}

/// The members of a `docker save` archive holding `images` (RepoTags,
/// spec): `<hex>.json` configs, `<hex>.tar` layers (stored once when
/// shared), and `manifest.json` last, as docker writes it. `tamper` may
/// alter the manifest.json document.
pub fn docker_members(images: &[(Vec<&str>, &ImageSpec)], tamper: impl FnOnce(&mut Value)) -> Vec<(String, Vec<u8>)> {
    let mut members: Vec<(String, Vec<u8>)> = Vec::new();
    let mut manifest = Vec::new();
    for (tags, spec) in images {
        let cfg = to_bytes(&spec.config_json());
        let cfg_name = format!("{}.json", Digest::sha256_of(&cfg).hex());
        let mut layers = Vec::new();
        for l in &spec.layers {
            let name = format!("{}.tar", l.digest.hex());
            if !members.iter().any(|(n, _)| *n == name) {
                members.push((name.clone(), l.bytes.clone()));
            }
            layers.push(name);
        }
        if !members.iter().any(|(n, _)| *n == cfg_name) {
            members.push((cfg_name.clone(), cfg));
        }
        manifest.push(json!({"Config": cfg_name, "RepoTags": tags, "Layers": layers}));
    }
    let mut manifest = Value::Array(manifest);
    tamper(&mut manifest);
    members.push(("manifest.json".into(), to_bytes(&manifest)));
    members
}

pub fn docker_archive(out: &Path, images: &[(Vec<&str>, &ImageSpec)]) {
    tar_members(out, &docker_members(images, |_| {}));
}

/// `prefix:path[:suffix]` as `open_str` takes it.
pub fn src(prefix: &str, path: &Path, suffix: Option<&str>) -> String {
    match suffix {
        Some(s) => format!("{prefix}:{}:{s}", path.display()),
        None => format!("{prefix}:{}", path.display()),
    }
}
