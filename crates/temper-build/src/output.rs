//! Writes the result as an OCI image layout (`oci:DIR[:TAG]`): blobs
//! first, each under its digest, then `index.json` through a temporary
//! file renamed into place, so a failed build never leaves an index that
//! names a missing blob. An index already in the directory keeps its other
//! images; one under the same tag is replaced.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::Error;

/// `oci:DIR[:TAG]` (or a bare directory): the directory and the tag
/// (`latest` when none is given).
pub fn parse_target(target: &str) -> Result<(PathBuf, String), Error> {
    let rest = target.strip_prefix("oci:").unwrap_or(target);
    if rest.is_empty() {
        return Err(Error::Spec(format!("--output {target}: give oci:DIR[:TAG]")));
    }
    for other in ["oci-archive:", "docker-archive:", "docker://", "registry:"] {
        if target.starts_with(other) {
            return Err(Error::Spec(format!("--output {target}: only oci:DIR[:TAG] is written so far")));
        }
    }
    // The tag is what follows the last `:` after the last `/`.
    let after_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (dir, tag) = match rest[after_slash..].rfind(':') {
        Some(i) => (&rest[..after_slash + i], &rest[after_slash + i + 1..]),
        None => (rest, "latest"),
    };
    let valid = !tag.is_empty() && tag.len() <= 128 && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !valid || dir.is_empty() {
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
    pub fn copy(&self, reader: &mut dyn Read, expected: Option<&str>, what: &str) -> Result<(String, u64, [u8; 4]), Error> {
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
        assert_eq!(parse_target("oci:out").unwrap(), (PathBuf::from("out"), "latest".to_owned()));
        assert_eq!(parse_target("oci:/tmp/a:b/out:v1").unwrap(), (PathBuf::from("/tmp/a:b/out"), "v1".to_owned()));
        assert!(parse_target("oci:out:bad tag").is_err());
        assert!(parse_target("docker-archive:x.tar").is_err());
    }
}
