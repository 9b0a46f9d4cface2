//! What an assessment is of: an image from any source temper reads, or an
//! SBOM file (CycloneDX or SPDX JSON) standing in for one.

use std::path::Path;

use temper_image::{Image, OpenOptions, RegistryRef, Source};
use temper_inventory::Inventory;
use temper_inventory::format::Subject;
use temper_layer::LayerIndex;

use crate::Error;

/// An image and the source it was read from.
pub struct Opened {
    /// The source as parsed.
    pub source: Source,
    /// The image.
    pub image: Image,
}

/// What was named.
pub enum Target {
    /// An image.
    Image(Box<Opened>),
    /// An SBOM file: its packages, with no layers to read.
    Sbom(Inventory),
}

/// Opens the image `reference` names (any source syntax).
pub fn open(reference: &str, opts: &OpenOptions) -> Result<Opened, Error> {
    let source = Source::parse(reference)?;
    let image = temper_image::open(&source, opts)?;
    Ok(Opened { source, image })
}

/// [`open`] for a whole index: without a platform in `opts`, an index that
/// lacks the host's platform is opened at its first one instead of refused
/// (what a push or a rebase of every platform wants).
pub fn open_any_platform(reference: &str, opts: &OpenOptions) -> Result<Opened, Error> {
    match open(reference, opts) {
        Err(Error::Image(temper_image::Error::NoPlatform { available, .. })) if opts.platform.is_none() && available.iter().any(|p| temper_image::Platform::parse(p).is_ok()) => {
            let mut opts = opts.clone();
            opts.platform = available.iter().find_map(|p| temper_image::Platform::parse(p).ok());
            open(reference, &opts)
        }
        other => other,
    }
}

/// An SBOM file when `reference` is a JSON file, else the image it names.
pub fn resolve(reference: &str, opts: &OpenOptions) -> Result<Target, Error> {
    match sbom_file(reference)? {
        Some(inventory) => Ok(Target::Sbom(inventory)),
        None => Ok(Target::Image(Box::new(open(reference, opts)?))),
    }
}

/// The largest SBOM file read.
const MAX_SBOM_BYTES: u64 = 512 << 20;

/// The inventory of `target` when it is an SBOM file (a file whose first
/// non-blank byte is `{`); `None` when it is an image source.
fn sbom_file(target: &str) -> Result<Option<Inventory>, Error> {
    let path = Path::new(target);
    if !path.is_file() {
        return Ok(None);
    }
    let read = |source| Error::Read { path: path.to_owned(), source };
    let mut head = [0u8; 512];
    let n = std::fs::File::open(path).and_then(|mut f| std::io::Read::read(&mut f, &mut head)).map_err(read)?;
    if head[..n].iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Ok(None);
    }
    if std::fs::metadata(path).map_err(read)?.len() > MAX_SBOM_BYTES {
        return Err(Error::Input(format!("{target}: SBOM over 512 MiB")));
    }
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).map_err(read)?).map_err(|e| Error::Input(format!("{target}: not JSON: {e}")))?;
    temper_inventory::decode::from_sbom(&doc).map(Some).map_err(|e| Error::Input(format!("{target}: {e}")))
}

/// What the SBOM formats say about the image itself.
pub fn subject(source: &Source, image: &Image, layers: &[LayerIndex]) -> Subject {
    let (short_name, repository, tag) = naming(source);
    Subject {
        name: image.name.clone(),
        short_name,
        repository,
        tag,
        manifest_digest: image.manifest.as_ref().map(|m| m.digest.clone()),
        config_digest: image.config_digest.clone(),
        platform: image.platform(),
        created: image.config.created.clone(),
        diff_ids: layers.iter().filter_map(|l| l.diff_id.clone()).collect(),
    }
}

/// The `pkg:oci` name, `registry/repository` and tag a source gives.
fn naming(source: &Source) -> (String, Option<String>, Option<String>) {
    let file_name = |p: &std::path::Path| {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        name.strip_suffix(".tar").map(str::to_owned).unwrap_or(name)
    };
    let from_registry = |r: &RegistryRef| {
        let short = r.repository.rsplit('/').next().unwrap_or(&r.repository).to_owned();
        (short, Some(format!("{}/{}", r.registry, r.repository)), r.tag.clone())
    };
    let (short_name, repository, tag) = match source {
        Source::Registry(r) => from_registry(r),
        Source::OciDir { path, tag } | Source::OciArchive { path, tag } => (file_name(path), None, tag.clone()),
        // A RepoTags selection names the image; `@N` only a position.
        Source::DockerArchive { path, select } => match select.as_deref().filter(|s| !s.starts_with('@')).map(RegistryRef::parse) {
            Some(Ok(r)) => from_registry(&r),
            _ => (file_name(path), None, None),
        },
        Source::Dir { path } => (file_name(path), None, None),
        // A reference names the image as a registry would; an image ID does not.
        Source::Daemon { name, .. } => match RegistryRef::parse(name) {
            Ok(r) => from_registry(&r),
            Err(_) => (name.clone(), None, None),
        },
    };
    (if short_name.is_empty() { "image".to_owned() } else { short_name }, repository, tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naming_by_source() {
        let n = |s: &str| naming(&Source::parse(s).expect("source"));
        let owned = |a: &str, b: Option<&str>, c: Option<&str>| (a.to_owned(), b.map(str::to_owned), c.map(str::to_owned));
        assert_eq!(n("registry:debian:12"), owned("debian", Some("docker.io/library/debian"), Some("12")));
        assert_eq!(n(&format!("registry:ghcr.io/acme/tools/app@sha256:{}", "a".repeat(64))).0, "app");
        let archive = Source::DockerArchive { path: "/tmp/x.tar".into(), select: Some("quay.io/org/web:1.2".into()) };
        assert_eq!(naming(&archive), owned("web", Some("quay.io/org/web"), Some("1.2")));
        assert_eq!(n("docker-archive:/tmp/images.tar:@1"), owned("images", None, None));
        assert_eq!(n("oci-archive:/tmp/app.tar:v2"), owned("app", None, Some("v2")));
        assert_eq!(n("oci:/srv/layouts/demo-app"), owned("demo-app", None, None));
        assert_eq!(n("dir:/"), owned("image", None, None));
        assert_eq!(n("docker-daemon:alpine:3.19"), owned("alpine", Some("docker.io/library/alpine"), Some("3.19")));
    }
}
