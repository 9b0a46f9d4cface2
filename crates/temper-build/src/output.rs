//! Writes the result as an OCI image layout (`oci:DIR[:TAG]`): blobs
//! first, each under its digest, then `index.json` through a temporary
//! file renamed into place, so a failed build never leaves an index that
//! names a missing blob. An index already in the directory keeps its other
//! images; one under the same tag is replaced.
//!
//! `oci-archive:PATH[:TAG]` is a tar of such a layout; `docker-archive:PATH[:REPO[:TAG]]`
//! is the same tar with Docker's `manifest.json` beside it (what `docker
//! save` writes since Docker 25), so `docker load` and `podman load` read
//! it. Archives are written deterministically (sorted, epoch times, root
//! owner) to a temporary file renamed into place.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::Error;

/// Where a build's image goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// An OCI layout directory and the tag to write in it.
    Layout {
        /// The directory.
        dir: PathBuf,
        /// The tag.
        tag: String,
    },
    /// A tar of an OCI layout.
    OciArchive {
        /// The tar file.
        path: PathBuf,
        /// The tag.
        tag: String,
    },
    /// A tar `docker load` reads.
    DockerArchive {
        /// The tar file.
        path: PathBuf,
        /// `repo:tag` for its `RepoTags`, when given.
        repo_tag: Option<String>,
    },
}

/// Parses `--output`: `oci:DIR[:TAG]` (or a bare directory),
/// `oci-archive:PATH[:TAG]`, `docker-archive:PATH[:REPO[:TAG]]`.
pub fn parse_target(target: &str) -> Result<Target, Error> {
    if let Some(rest) = target.strip_prefix("oci-archive:") {
        let (path, tag) = path_and_tag(target, rest)?;
        return Ok(Target::OciArchive { path, tag });
    }
    if let Some(rest) = target.strip_prefix("docker-archive:") {
        // The path ends at the first `:`; what follows is the image's name.
        let (path, name) = rest.split_once(':').map_or((rest, None), |(p, n)| (p, Some(n)));
        if path.is_empty() {
            return Err(Error::Spec(format!("--output {target}: give docker-archive:PATH[:REPO[:TAG]]")));
        }
        let repo_tag = match name {
            None => None,
            Some(n) => {
                let after_slash = n.rfind('/').map_or(0, |i| i + 1);
                let full = if n[after_slash..].contains(':') { n.to_owned() } else { format!("{n}:latest") };
                let valid = full.split_once(':').is_some_and(|(r, t)| !r.is_empty() && r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/:".contains(&b)) && valid_tag(t.rsplit(':').next().unwrap_or("")));
                if !valid {
                    return Err(Error::Spec(format!("--output {target}: `{n}` is not REPO[:TAG] (lower-case repository)")));
                }
                Some(full)
            }
        };
        return Ok(Target::DockerArchive { path: PathBuf::from(path), repo_tag });
    }
    for other in ["docker://", "registry:", "docker-daemon:", "podman:"] {
        if target.starts_with(other) {
            return Err(Error::Spec(format!("--output {target}: write oci:DIR[:TAG], oci-archive:PATH[:TAG] or docker-archive:PATH[:REPO[:TAG]]")));
        }
    }
    let rest = target.strip_prefix("oci:").unwrap_or(target);
    let (dir, tag) = path_and_tag(target, rest)?;
    Ok(Target::Layout { dir, tag })
}

fn valid_tag(tag: &str) -> bool {
    !tag.is_empty() && tag.len() <= 128 && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// `PATH[:TAG]`, the tag being what follows the last `:` after the last `/`.
fn path_and_tag(target: &str, rest: &str) -> Result<(PathBuf, String), Error> {
    if rest.is_empty() {
        return Err(Error::Spec(format!("--output {target}: give oci:DIR[:TAG]")));
    }
    // The tag is what follows the last `:` after the last `/`.
    let after_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (dir, tag) = match rest[after_slash..].rfind(':') {
        Some(i) => (&rest[..after_slash + i], &rest[after_slash + i + 1..]),
        None => (rest, "latest"),
    };
    if !valid_tag(tag) || dir.is_empty() {
        return Err(Error::Spec(format!("--output {target}: `{tag}` is not a tag (letters, digits, `.`, `_`, `-`)")));
    }
    Ok((PathBuf::from(dir), tag.to_owned()))
}

/// An OCI layout being written.
pub struct Layout {
    dir: PathBuf,
    blobs: PathBuf,
}

fn fail(path: &Path) -> impl Fn(io::Error) -> Error + '_ {
    move |source| Error::Write { path: path.to_owned(), source }
}

impl Layout {
    /// Creates (or reuses) the layout at `dir`.
    pub fn create(dir: &Path) -> Result<Layout, Error> {
        let blobs = dir.join("blobs/sha256");
        std::fs::create_dir_all(&blobs).map_err(fail(dir))?;
        let marker = dir.join("oci-layout");
        if !marker.exists() {
            std::fs::write(&marker, b"{\"imageLayoutVersion\":\"1.0.0\"}").map_err(fail(&marker))?;
        }
        Ok(Layout { dir: dir.to_owned(), blobs })
    }

    /// Where blobs go (layers are written straight there).
    pub fn blobs(&self) -> &Path {
        &self.blobs
    }

    /// Stores `bytes`; gives the descriptor's digest and size.
    pub fn put(&self, bytes: &[u8]) -> Result<(String, u64), Error> {
        let hex = hex::encode(Sha256::digest(bytes));
        let path = self.blobs.join(&hex);
        if !path.exists() {
            let tmp = self.blobs.join(format!(".{hex}.tmp"));
            std::fs::write(&tmp, bytes).map_err(fail(&tmp))?;
            std::fs::rename(&tmp, &path).map_err(fail(&path))?;
        }
        Ok((format!("sha256:{hex}"), bytes.len() as u64))
    }

    /// Copies a blob from `reader`, checking it against `expected` when
    /// the source names its digest; gives the digest, size and the first
    /// bytes (to tell its compression).
    /// A blob already in the layout under `expected` with the `size` the
    /// source declares is not copied again: a rebuild into the same layout
    /// reads the base's layers only for their first bytes.
    pub fn copy(&self, reader: &mut dyn Read, expected: Option<&str>, size: Option<u64>, what: &str) -> Result<(String, u64, [u8; 4]), Error> {
        if let (Some(e), Some(n)) = (expected, size)
            && std::fs::metadata(self.blobs.join(e.trim_start_matches("sha256:"))).is_ok_and(|m| m.len() == n)
        {
            let mut head = [0u8; 4];
            reader.read_exact(&mut head).map_err(|source| Error::Read { path: PathBuf::from(what), source })?;
            return Ok((e.to_owned(), n, head));
        }
        let mut tmp = tempfile::Builder::new().prefix(".copy-").tempfile_in(&self.blobs).map_err(fail(&self.blobs))?;
        let mut hash = Sha256::new();
        let mut head = [0u8; 4];
        let mut size = 0u64;
        let mut buf = vec![0u8; 1 << 20];
        {
            let mut out = io::BufWriter::new(tmp.as_file_mut());
            loop {
                let n = reader.read(&mut buf).map_err(|source| Error::Read { path: PathBuf::from(what), source })?;
                if n == 0 {
                    break;
                }
                let have = size.min(4) as usize;
                let take = (4 - have).min(n);
                head[have..have + take].copy_from_slice(&buf[..take]);
                hash.update(&buf[..n]);
                out.write_all(&buf[..n]).map_err(fail(&self.blobs))?;
                size += n as u64;
            }
            out.flush().map_err(fail(&self.blobs))?;
        }
        let digest = format!("sha256:{}", hex::encode(hash.finalize()));
        if let Some(e) = expected
            && e != digest
        {
            return Err(Error::Spec(format!("{what}: its content has digest {digest}, the base says {e}; the base image is damaged")));
        }
        let path = self.blobs.join(digest.trim_start_matches("sha256:"));
        tmp.persist(&path).map_err(|e| Error::Write { path: path.clone(), source: e.error })?;
        Ok((digest, size, head))
    }

    /// Puts the blob at `source` into the layout under `digest` as a hard
    /// link, for a base blob already proven to hold `digest` (blobs are
    /// named by their content and never edited in place, so sharing the
    /// inode shares nothing that can change); gives its first bytes.
    /// `None` when the file system refuses the link (another device, no
    /// permission): the caller copies instead.
    pub fn link(&self, source: &Path, digest: &str, size: u64) -> Result<Option<[u8; 4]>, Error> {
        let Some(hex) = digest.strip_prefix("sha256:") else { return Ok(None) };
        let path = self.blobs.join(hex);
        let mut head = [0u8; 4];
        let mut file = std::fs::File::open(source).map_err(|source_err| Error::Read { path: source.to_owned(), source: source_err })?;
        if file.metadata().map_err(|e| Error::Read { path: source.to_owned(), source: e })?.len() != size {
            return Ok(None);
        }
        file.read_exact(&mut head).map_err(|e| Error::Read { path: source.to_owned(), source: e })?;
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == size) {
            return Ok(Some(head));
        }
        // Linked under a temporary name, then renamed: never a half-made blob name.
        let tmp = self.blobs.join(format!(".link-{}-{hex}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        if std::fs::hard_link(source, &tmp).is_err() {
            return Ok(None);
        }
        std::fs::rename(&tmp, &path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::Write { path: path.clone(), source: e }
        })?;
        Ok(Some(head))
    }

    /// Points `tag` at the manifest `descriptor`, keeping the index's other entries.
    pub fn tag(&self, tag: &str, mut descriptor: Value) -> Result<(), Error> {
        let index_path = self.dir.join("index.json");
        let mut manifests: Vec<Value> = match std::fs::read(&index_path) {
            Ok(bytes) => serde_json::from_slice::<Value>(&bytes).ok().and_then(|v| v["manifests"].as_array().cloned()).ok_or_else(|| Error::Spec(format!("{}: not an OCI index; choose an empty directory", index_path.display())))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(source) => return Err(Error::Read { path: index_path, source }),
        };
        const REF: &str = "org.opencontainers.image.ref.name";
        manifests.retain(|m| m["annotations"][REF].as_str() != Some(tag));
        descriptor["annotations"] = json!({ REF: tag });
        manifests.push(descriptor);
        manifests.sort_by(|a, b| (a["annotations"][REF].as_str(), a["digest"].as_str()).cmp(&(b["annotations"][REF].as_str(), b["digest"].as_str())));
        let index = json!({ "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests });
        let tmp = self.dir.join(".index.json.tmp");
        std::fs::write(&tmp, serde_json::to_vec(&index).unwrap_or_default()).map_err(fail(&tmp))?;
        std::fs::rename(&tmp, &index_path).map_err(fail(&index_path))
    }
}

/// Where an image is assembled before it reaches its target: the layout
/// itself, or a staging layout beside an archive (on the same filesystem,
/// so the archive is renamed into place).
pub struct Staged {
    target: Target,
    /// Removed when the build ends, whatever happened.
    _staging: Option<tempfile::TempDir>,
    dir: PathBuf,
    tag: String,
}

impl Staged {
    /// Prepares `target`.
    pub fn new(target: Target) -> Result<Staged, Error> {
        let (staging, dir, tag) = match &target {
            Target::Layout { dir, tag } => (None, dir.clone(), tag.clone()),
            Target::OciArchive { path, .. } | Target::DockerArchive { path, .. } => {
                let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
                let staging = tempfile::Builder::new().prefix(".temper-build-").tempdir_in(parent).map_err(fail(parent))?;
                let dir = staging.path().to_owned();
                let tag = match &target {
                    Target::OciArchive { tag, .. } => tag.clone(),
                    _ => "latest".to_owned(),
                };
                (Some(staging), dir, tag)
            }
        };
        Ok(Staged { target, _staging: staging, dir, tag })
    }

    /// The layout being written.
    pub fn layout(&self) -> Result<Layout, Error> {
        Layout::create(&self.dir)
    }

    /// The layout as an image reference (for reading the result back).
    pub fn reference(&self) -> String {
        format!("oci:{}:{}", self.dir.display(), self.tag)
    }

    /// The file or directory the target names.
    pub fn output_path(&self) -> &Path {
        match &self.target {
            Target::Layout { dir, .. } => dir,
            Target::OciArchive { path, .. } | Target::DockerArchive { path, .. } => path,
        }
    }

    /// Tags `descriptor` (a manifest's, or an index's) and writes the
    /// archive the target asks for; `manifest` is the image manifest a
    /// docker-archive lists. Archive entries carry `epoch` as their time.
    pub fn finish(&self, layout: &Layout, descriptor: Value, manifest: Option<&Value>, epoch: u64) -> Result<(), Error> {
        layout.tag(&self.tag, descriptor)?;
        match &self.target {
            Target::Layout { .. } => Ok(()),
            Target::OciArchive { path, .. } => archive(&self.dir, path, epoch, None),
            Target::DockerArchive { path, repo_tag } => {
                let Some(manifest) = manifest else {
                    return Err(Error::Spec(format!("{}: a docker-archive holds one platform; write a multi-platform image to oci: or oci-archive:", path.display())));
                };
                let blob = |d: &Value| format!("blobs/sha256/{}", d["digest"].as_str().unwrap_or_default().trim_start_matches("sha256:"));
                let docker = json!([{ "Config": blob(&manifest["config"]), "RepoTags": repo_tag.iter().collect::<Vec<_>>(), "Layers": manifest["layers"].as_array().map(|l| l.iter().map(blob).collect::<Vec<_>>()).unwrap_or_default() }]);
                archive(&self.dir, path, epoch, Some(docker))
            }
        }
    }
}

/// Pushes the image written to `output` (as `--output` named it) to the
/// registry reference `reference`: every platform of an index, the tag
/// last. Blobs of `bases` (image references) that live in the same
/// registry are mounted from their repositories instead of uploaded.
pub fn push(output: &str, reference: &str, registry: &temper_image::RegistryOptions, bases: &[&str]) -> Result<temper_image::registry::push::Pushed, Error> {
    let target = temper_image::RegistryRef::parse(reference.strip_prefix("registry:").or_else(|| reference.strip_prefix("docker://")).unwrap_or(reference))?;
    let mut mount_from: Vec<String> = Vec::new();
    for base in bases {
        if let Ok(temper_image::Source::Registry(r)) = temper_image::Source::parse(base)
            && r.registry == target.registry
            && r.repository != target.repository
            && !mount_from.contains(&r.repository)
        {
            mount_from.push(r.repository);
        }
    }
    let image = temper_verdict::target::open_any_platform(output, &temper_image::OpenOptions::default())?.image;
    let options = temper_image::registry::push::PushOptions { mount_from, ..Default::default() };
    Ok(temper_image::registry::push::Pusher::new(&target, registry, options)?.push_image(&image)?)
}

/// Writes the layout at `dir` as a tar at `path` (with Docker's
/// `manifest.json` when `docker` gives its config, layers and tags),
/// through a temporary file renamed into place.
pub fn archive(dir: &Path, path: &Path, epoch: u64, docker: Option<Value>) -> Result<(), Error> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new().prefix(".temper-archive-").tempfile_in(parent).map_err(fail(parent))?;
    let mut files: Vec<(String, PathBuf)> = vec![("oci-layout".into(), dir.join("oci-layout")), ("index.json".into(), dir.join("index.json"))];
    let mut blobs: Vec<String> = std::fs::read_dir(dir.join("blobs/sha256")).map_err(fail(dir))?.filter_map(|e| e.ok()?.file_name().into_string().ok()).filter(|n| !n.starts_with('.')).collect();
    blobs.sort();
    files.extend(blobs.into_iter().map(|b| (format!("blobs/sha256/{b}"), dir.join("blobs/sha256").join(&b))));
    let mut tar = tar::Builder::new(io::BufWriter::new(tmp.as_file().try_clone().map_err(fail(path))?));
    let header = |kind: tar::EntryType, size: u64, mode: u32| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(mode);
        h.set_mtime(epoch);
        h
    };
    for d in ["blobs/", "blobs/sha256/"] {
        tar.append_data(&mut header(tar::EntryType::Directory, 0, 0o755), d, io::empty()).map_err(fail(path))?;
    }
    let mut entries: Vec<(String, Option<PathBuf>, Vec<u8>)> = files.into_iter().map(|(n, p)| (n, Some(p), Vec::new())).collect();
    if let Some(manifest) = docker {
        entries.push(("manifest.json".into(), None, serde_json::to_vec(&manifest).unwrap_or_default()));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, file, bytes) in entries {
        match file {
            Some(p) => {
                let f = std::fs::File::open(&p).map_err(|source| Error::Read { path: p.clone(), source })?;
                let size = f.metadata().map_err(|source| Error::Read { path: p.clone(), source })?.len();
                tar.append_data(&mut header(tar::EntryType::Regular, size, 0o644), &name, f).map_err(fail(path))?;
            }
            None => tar.append_data(&mut header(tar::EntryType::Regular, bytes.len() as u64, 0o644), &name, bytes.as_slice()).map_err(fail(path))?,
        }
    }
    tar.into_inner().map_err(fail(path))?.flush().map_err(fail(path))?;
    tmp.persist(path).map_err(|e| Error::Write { path: path.to_owned(), source: e.error })?;
    Ok(())
}

/// The OCI media type of a stored layer blob, by its first bytes.
pub fn layer_media_type(head: [u8; 4]) -> &'static str {
    match head {
        [0x1f, 0x8b, ..] => "application/vnd.oci.image.layer.v1.tar+gzip",
        [0x28, 0xb5, 0x2f, 0xfd] => "application/vnd.oci.image.layer.v1.tar+zstd",
        _ => "application/vnd.oci.image.layer.v1.tar",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_targets() {
        let layout = |d: &str, t: &str| Target::Layout { dir: PathBuf::from(d), tag: t.to_owned() };
        assert_eq!(parse_target("oci:out").unwrap(), layout("out", "latest"));
        assert_eq!(parse_target("oci:/tmp/a:b/out:v1").unwrap(), layout("/tmp/a:b/out", "v1"));
        assert!(parse_target("oci:out:bad tag").is_err());
        assert_eq!(parse_target("oci-archive:g.tar:v2").unwrap(), Target::OciArchive { path: PathBuf::from("g.tar"), tag: "v2".into() });
        assert_eq!(parse_target("docker-archive:g.tar").unwrap(), Target::DockerArchive { path: PathBuf::from("g.tar"), repo_tag: None });
        assert_eq!(parse_target("docker-archive:g.tar:corp/golden").unwrap(), Target::DockerArchive { path: PathBuf::from("g.tar"), repo_tag: Some("corp/golden:latest".into()) });
        assert_eq!(parse_target("docker-archive:g.tar:reg:5000/corp/golden:1.0").unwrap(), Target::DockerArchive { path: PathBuf::from("g.tar"), repo_tag: Some("reg:5000/corp/golden:1.0".into()) });
        assert!(parse_target("docker-archive:g.tar:Corp/Golden").is_err());
        assert!(parse_target("docker://corp/golden").is_err());
    }
}
