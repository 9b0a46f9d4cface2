//! Golden images out: a spec (`golden.toml`) over a base image becomes
//! new layers, a config and a manifest, written as an OCI layout — no
//! daemon, no program run inside the image, and the same bytes every time
//! (see [`layer`] for the tar rules, [`config`] for the config).
//!
//! The base is read once ([`base`]); each step ([`certificates`],
//! [`accounts`], [`files`]) turns part of the spec into layer entries;
//! `golden.lock` ([`lock`]) records what the build was made from. This
//! crate never trusts its inputs: paths leaving the image root, a path
//! through a link of the base, clashing accounts and certificates that are
//! no CA are refused with the input named.

pub mod accounts;
pub mod base;
pub mod certificates;
pub mod config;
pub mod files;
pub mod layer;
pub mod lock;
pub mod output;
pub mod provenance;
pub mod reproduce;
pub mod spec;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use temper_image::{LayerContent, OpenOptions, Source};
use temper_verdict::Reporter;

use crate::base::Base;
use crate::layer::{Content, Entry, Node};
use crate::lock::{Lock, LockedBase, LockedInput};
use crate::spec::{LayerMode, Spec};

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spec (or the lock) is wrong; the message names the key and the fix.
    #[error("{0}")]
    Spec(String),
    /// A certificate cannot be trusted.
    #[error("{input}: {reason}")]
    Certificate {
        /// The file (or inline entry).
        input: String,
        /// Why.
        reason: String,
    },
    /// The base could not be opened or read.
    #[error(transparent)]
    Base(#[from] temper_verdict::Error),
    /// The base image could not be opened.
    #[error(transparent)]
    Image(#[from] temper_image::Error),
    /// A local input could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The output could not be written.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// Where.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// How to build.
pub struct Options {
    /// `oci:DIR[:TAG]`, `oci-archive:PATH[:TAG]` or `docker-archive:PATH[:REPO[:TAG]]`.
    pub output: String,
    /// How to open the base.
    pub open: OpenOptions,
    /// Limits of the pass over the base.
    pub limits: temper_layer::Limits,
    /// `SOURCE_DATE_EPOCH`, when set.
    pub source_date_epoch: Option<String>,
    /// Refuse to build when the lock would change.
    pub locked: bool,
    /// Resolve the base's tag again instead of using the locked digest.
    pub update: bool,
    /// When certificates must be valid.
    pub now: time::OffsetDateTime,
    /// The layer cache the result's SBOM is made through.
    pub cache: temper_verdict::CacheSettings,
}

/// What a build made.
#[derive(Debug)]
pub struct Built {
    /// The manifest digest.
    pub digest: String,
    /// Where it was written, as given.
    pub output: String,
    /// Layers added over the base.
    pub layers_added: usize,
    /// The lock file.
    pub lock: PathBuf,
    /// How the lock changed (empty when it did not).
    pub lock_changes: Vec<String>,
    /// The CycloneDX SBOM of the result, beside it.
    pub sbom: PathBuf,
    /// The SLSA provenance statement, beside it.
    pub provenance: PathBuf,
}

/// The epoch every time in the image is set to: `SOURCE_DATE_EPOCH`,
/// else the base's `created`, else 0.
fn epoch(source_date_epoch: Option<&str>, base_created: Option<&str>) -> Result<i64, Error> {
    if let Some(s) = source_date_epoch {
        let v: i64 = s.trim().parse().map_err(|_| Error::Spec(format!("SOURCE_DATE_EPOCH `{s}`: not a number of seconds since 1970")))?;
        if !(0..=253_402_300_799).contains(&v) {
            return Err(Error::Spec(format!("SOURCE_DATE_EPOCH `{s}`: outside 1970..9999")));
        }
        return Ok(v);
    }
    Ok(base_created.and_then(|c| time::OffsetDateTime::parse(c, &time::format_description::well_known::Rfc3339).ok()).map_or(0, |t| t.unix_timestamp().max(0)))
}

fn rfc3339(epoch: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(epoch).ok().and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()).unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

/// `base` with a relative local path taken from the spec's directory, as
/// every other input of the spec is.
fn relative_to_spec(base: &str, spec_dir: &Path) -> String {
    for prefix in ["oci:", "oci-archive:", "docker-archive:", "dir:"] {
        if let Some(path) = base.strip_prefix(prefix)
            && !path.starts_with('/')
        {
            return format!("{prefix}{}", spec_dir.join(path).display());
        }
    }
    if !base.starts_with('/') && spec_dir.join(base).exists() {
        return spec_dir.join(base).display().to_string();
    }
    base.to_owned()
}

/// The base reference to open: a registry tag pinned to the locked digest
/// unless `update`; a local path relative to the spec.
fn base_reference(spec: &Spec, spec_dir: &Path, locked: Option<&Lock>, update: bool) -> Result<String, Error> {
    let source = Source::parse(&relative_to_spec(&spec.base, spec_dir))?;
    match (source, locked) {
        (Source::Registry(r), Some(lock)) if !update && r.digest.is_none() && lock.base.reference == spec.base && lock.base.digest.starts_with("sha256:") => Ok(format!("{}@{}", spec.base, lock.base.digest)),
        _ => Ok(relative_to_spec(&spec.base, spec_dir)),
    }
}

/// `sha256:…` of a local file.
fn file_digest(path: &Path) -> Result<String, Error> {
    let mut f = std::fs::File::open(path).map_err(|source| Error::Read { path: path.to_owned(), source })?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(|source| Error::Read { path: path.to_owned(), source })?;
    Ok(format!("sha256:{}", hex::encode(h.finalize())))
}

/// The spec's local inputs with their digests, by path.
fn inputs(spec: &Spec, spec_dir: &Path, steps: &[(&str, Vec<Entry>)]) -> Result<BTreeMap<PathBuf, String>, Error> {
    let mut paths: Vec<PathBuf> = spec.certificates.iter().filter_map(|c| c.path.as_ref()).map(|p| spec_dir.join(p)).collect();
    for (_, entries) in steps {
        paths.extend(entries.iter().filter_map(|e| match &e.node {
            Node::File { content: Content::Local(p, _), .. } => Some(p.clone()),
            _ => None,
        }));
    }
    paths.into_iter().map(|p| Ok((p.clone(), file_digest(&p)?))).collect()
}

/// The lock's view of the inputs: paths relative to the spec, sorted.
fn locked_inputs(inputs: &BTreeMap<PathBuf, String>, spec_dir: &Path) -> Vec<LockedInput> {
    let mut out: Vec<LockedInput> = inputs.iter().map(|(p, d)| LockedInput { path: p.strip_prefix(spec_dir).unwrap_or(p).to_string_lossy().into_owned(), digest: d.clone() }).collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out.dedup();
    out
}

/// Adds the missing parent directories of `entries` and refuses a path
/// that goes through a link or a file of the base.
fn with_parents(entries: Vec<Entry>, base: &Base) -> Result<Vec<Entry>, Error> {
    let mut by_path: BTreeMap<String, Entry> = BTreeMap::new();
    for e in entries {
        by_path.insert(e.path.clone(), e);
    }
    let paths: Vec<String> = by_path.keys().cloned().collect();
    for path in paths {
        let mut at = String::new();
        for part in path.split('/').take(path.split('/').count() - 1) {
            if !at.is_empty() {
                at.push('/');
            }
            at.push_str(part);
            if let Some(e) = base.entry(&at) {
                if !e.is_dir() {
                    return Err(Error::Spec(format!("/{path}: /{at} in the base is not a directory (a link?); name the path it leads to")));
                }
            } else if !by_path.contains_key(&at) {
                by_path.insert(at.clone(), Entry { path: at.clone(), node: Node::Dir { mode: 0o755 }, uid: 0, gid: 0 });
            } else if !matches!(by_path[&at].node, Node::Dir { .. }) {
                return Err(Error::Spec(format!("/{path}: the spec makes /{at} something other than a directory")));
            }
        }
    }
    Ok(by_path.into_values().collect())
}

/// Refuses two steps writing the same path.
fn check_overlaps(steps: &[(&str, Vec<Entry>)]) -> Result<(), Error> {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (step, entries) in steps {
        for e in entries {
            if let Some(first) = seen.insert(&e.path, step)
                && !(first == *step && matches!(e.node, Node::Dir { .. }))
            {
                return Err(Error::Spec(format!("/{}: written by both {first} and {step}; keep one", e.path)));
            }
        }
    }
    Ok(())
}

/// Builds the image `spec_path` describes.
pub fn build(spec_path: &Path, opts: &Options, reporter: &dyn Reporter) -> Result<Built, Error> {
    build_with(spec_path, opts, reporter, true)
}

/// [`build`], writing the lock only when `write_lock`.
fn build_with(spec_path: &Path, opts: &Options, reporter: &dyn Reporter, write_lock: bool) -> Result<Built, Error> {
    let (spec, spec_text) = Spec::read(spec_path)?;
    let spec_dir = spec_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_owned();
    let lock_path = lock::path_for(spec_path);
    let locked = Lock::read(&lock_path)?;
    let target = output::parse_target(&opts.output)?;
    // Archives are made from a layout built beside them.
    let staging = match &target {
        output::Target::Layout { .. } => None,
        output::Target::OciArchive { path, .. } | output::Target::DockerArchive { path, .. } => {
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            Some(tempfile::Builder::new().prefix(".temper-build-").tempdir_in(parent).map_err(|source| Error::Write { path: parent.to_owned(), source })?)
        }
    };
    let (out_dir, tag) = match (&target, &staging) {
        (output::Target::Layout { dir, tag }, _) => (dir.clone(), tag.clone()),
        (output::Target::OciArchive { tag, .. }, Some(s)) => (s.path().to_owned(), tag.clone()),
        (_, Some(s)) => (s.path().to_owned(), "latest".to_owned()),
        (_, None) => return Err(Error::Spec("--output: no staging directory".into())),
    };

    let reference = base_reference(&spec, &spec_dir, locked.as_ref(), opts.update)?;
    let image = temper_verdict::target::open(&reference, &opts.open)?.image;
    let base_digest = image.index.as_ref().or(image.manifest.as_ref()).map(|d| d.digest.to_string()).or_else(|| image.config_digest.as_ref().map(ToString::to_string)).unwrap_or_default();
    let epoch = epoch(opts.source_date_epoch.as_deref(), image.config.created.as_deref())?;
    let created = rfc3339(epoch);
    let base = Base::read_cached(&image, &opts.limits, &opts.cache, reporter)?;

    let epoch_u = u64::try_from(epoch).unwrap_or(0);
    let certs = certificates::step(&spec.certificates, &spec_dir, &base, opts.now)?;
    let (accounts_entries, accounts) = accounts::step(&spec, &base, epoch_u)?;
    let files = files::step(&spec, &spec_dir, &accounts)?;
    let env = config::env(image.config.config.env.as_deref().unwrap_or_default(), &spec.env)?;
    let removals = files::removals(&spec, &base, &env)?;
    let steps: Vec<(&str, Vec<Entry>)> = vec![("certificates", certs), ("accounts", accounts_entries), ("files", files), ("remove", removals)];
    check_overlaps(&steps)?;

    let input_digests = inputs(&spec, &spec_dir, &steps)?;
    let new_lock = Lock { version: 1, base: LockedBase { reference: spec.base.clone(), digest: base_digest.clone() }, inputs: locked_inputs(&input_digests, &spec_dir) };
    let lock_changes = locked.as_ref().map_or_else(|| vec![format!("{} created", lock_path.display())], |l| new_lock.changes_from(l));
    if opts.locked && !lock_changes.is_empty() {
        return Err(Error::Spec(format!("--locked: {}: {}; build without --locked (or with --update) to accept", lock_path.display(), lock_changes.join("; "))));
    }

    let layout = output::Layout::create(&out_dir)?;
    // The base's blobs are copied side by side (each hashed on its way); a
    // failure names the lowest failing layer, whatever thread met it first.
    let mut layer_descriptors: Vec<Value> = {
        use rayon::prelude::*;
        image.layers.par_iter().enumerate().map(|(i, layer)| {
            let LayerContent::Stream(mut stream) = image.open_layer(i)? else {
                return Err(Error::Spec(format!("base {}: a root filesystem directory has no layers to build on; give an image", spec.base)));
            };
            let (digest, size, head) = layout.copy(&mut stream, layer.digest.as_ref().map(ToString::to_string).as_deref(), layer.size, &image.layer_label(i))?;
            Ok(json!({ "mediaType": output::layer_media_type(head), "digest": digest, "size": size }))
        }).collect::<Vec<_>>().into_iter().collect::<Result<_, Error>>()?
    };
    let groups: Vec<(String, Vec<Entry>)> = match spec.layers {
        LayerMode::One => vec![(steps.iter().filter(|(_, e)| !e.is_empty()).map(|(s, _)| *s).collect::<Vec<_>>().join(", "), steps.into_iter().flat_map(|(_, e)| e).collect())],
        LayerMode::PerStep => steps.into_iter().map(|(s, e)| (s.to_owned(), e)).collect(),
    };
    let groups: Vec<(String, Vec<Entry>)> = groups.into_iter().filter(|(_, e)| !e.is_empty()).map(|(name, entries)| Ok((name, with_parents(entries, &base)?))).collect::<Result<_, Error>>()?;
    // The steps' layers are compressed side by side; the first failing step is the one named.
    let blobs: Vec<layer::Blob> = {
        use rayon::prelude::*;
        groups.par_iter().map(|(_, entries)| layer::write_cached(entries, epoch_u, spec.compression, layout.blobs(), &opts.cache, &input_digests)).collect::<Vec<_>>().into_iter().collect::<Result<_, Error>>()?
    };
    let mut new_layers = Vec::new();
    for ((name, _), blob) in groups.into_iter().zip(blobs) {
        layer_descriptors.push(json!({ "mediaType": blob.media_type, "digest": blob.digest, "size": blob.size }));
        new_layers.push((blob.diff_id, name));
    }
    let config_doc = config::document(&image.config, &spec, &created, &new_layers)?;
    let (config_digest, config_size) = layout.put(&serde_json::to_vec(&config_doc).unwrap_or_default())?;
    let mut annotations: BTreeMap<String, String> = spec.annotations.clone();
    annotations.insert("org.opencontainers.image.base.name".into(), spec.base.clone());
    if let Some(m) = &image.manifest {
        annotations.insert("org.opencontainers.image.base.digest".into(), m.digest.to_string());
    }
    annotations.insert("org.opencontainers.image.created".into(), created);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size },
        "layers": layer_descriptors,
        "annotations": annotations,
    });
    let (digest, size) = layout.put(&serde_json::to_vec(&manifest).unwrap_or_default())?;
    let mut descriptor = json!({ "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": size });
    if let Some(p) = image.platform() {
        let mut platform = json!({ "architecture": p.architecture, "os": p.os });
        if let Some(v) = &p.variant {
            platform["variant"] = Value::String(v.clone());
        }
        descriptor["platform"] = platform;
    }
    layout.tag(&tag, descriptor)?;
    match &target {
        output::Target::Layout { .. } => {}
        output::Target::OciArchive { path, .. } => output::archive(&out_dir, path, epoch_u, None)?,
        output::Target::DockerArchive { path, repo_tag } => {
            let blob = |d: &Value| format!("blobs/sha256/{}", d["digest"].as_str().unwrap_or_default().trim_start_matches("sha256:"));
            let docker = json!([{ "Config": blob(&manifest["config"]), "RepoTags": repo_tag.iter().collect::<Vec<_>>(), "Layers": manifest["layers"].as_array().map(|l| l.iter().map(blob).collect::<Vec<_>>()).unwrap_or_default() }]);
            output::archive(&out_dir, path, epoch_u, Some(docker))?;
        }
    }
    let output_path = match &target {
        output::Target::Layout { dir, .. } => dir.clone(),
        output::Target::OciArchive { path, .. } | output::Target::DockerArchive { path, .. } => path.clone(),
    };
    let (sbom_path, provenance_path) = provenance::paths_beside(&output_path);
    let sbom = provenance::sbom(&format!("oci:{}:{tag}", out_dir.display()), &opts.limits, &opts.cache, epoch, reporter)?;
    provenance::write_whole(&sbom_path, &sbom)?;
    let statement = provenance::statement(&opts.output, &digest, spec_path, &spec_text, &new_lock, opts.source_date_epoch.as_deref());
    provenance::write_whole(&provenance_path, &(serde_json::to_string_pretty(&statement).unwrap_or_default() + "\n"))?;
    if write_lock && !lock_changes.is_empty() {
        provenance::write_whole(&lock_path, &new_lock.to_toml())?;
    }
    Ok(Built { digest, output: opts.output.clone(), layers_added: new_layers.len(), lock: lock_path, lock_changes, sbom: sbom_path, provenance: provenance_path })
}
