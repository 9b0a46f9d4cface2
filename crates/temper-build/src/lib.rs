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
pub mod packages;
pub mod provenance;
pub mod rebase;
pub mod reproduce;
pub mod spec;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use temper_image::{LayerContent, OpenOptions, Platform, Source};
use temper_verdict::Reporter;

use crate::base::Base;
use crate::layer::{Content, Entry, Node};
use crate::lock::{Lock, LockedBase, LockedInput, LockedPackage, LockedPlatform};
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
#[derive(Clone)]
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
    /// Labels set over the spec's (`--label`, e.g. the revision CI builds).
    pub labels: BTreeMap<String, String>,
    /// Refuse packages whose maintainer scripts do what temper does not reproduce.
    pub strict_scripts: bool,
}

/// What a build made.
#[derive(Debug)]
pub struct Built {
    /// The manifest digest.
    pub digest: String,
    /// Where it was written, as given.
    pub output: String,
    /// The base it was built on, as opened (a registry tag pinned to its locked digest).
    pub base: String,
    /// Layers added over the base (per platform).
    pub layers_added: usize,
    /// The lock file.
    pub lock: PathBuf,
    /// How the lock changed (empty when it did not).
    pub lock_changes: Vec<String>,
    /// Platforms built (more than one: the result is an index).
    pub platforms: usize,
    /// The CycloneDX SBOM of the result beside it (one per platform of an index).
    pub sboms: Vec<PathBuf>,
    /// For a multi-platform build, the manifest each SBOM describes
    /// (digest, media type, size), in the order of `sboms`; empty otherwise.
    pub sbom_manifests: Vec<(String, String, u64)>,
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
    let f = std::fs::File::open(path).map_err(|source| Error::Read { path: path.to_owned(), source })?;
    let mut f = std::io::BufReader::with_capacity(layer::READ_CHUNK, f);
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
    // Hashed side by side; the first failing input in order is the one named.
    use rayon::prelude::*;
    paths.into_par_iter().map(|p| Ok((p.clone(), file_digest(&p)?))).collect::<Vec<_>>().into_iter().collect()
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

/// One platform of the base, read and turned into layer entries, before
/// anything is written.
struct Prepared {
    image: temper_image::Image,
    base: Base,
    epoch: i64,
    steps: Vec<(&'static str, Vec<Entry>)>,
    /// The `[packages]` step, whose staged files the layer reads.
    packages: Option<packages::Step>,
}

/// What one platform's build wrote.
struct PlatformBuilt {
    manifest: Value,
    descriptor: Value,
    layers_added: usize,
}

/// The platforms to build: the one asked for, else those the spec lists
/// (each must be in the base), else every platform of a base index.
/// `None` alone: the base's only image.
fn platforms_to_build(spec: &Spec, first: &temper_image::Image, requested: Option<&Platform>) -> Result<(Vec<Option<Platform>>, bool), Error> {
    if let Some(p) = requested {
        return Ok((vec![Some(p.clone())], false));
    }
    let listed: Vec<Platform> = spec.platforms.iter().map(|p| Platform::parse(p).map_err(|_| Error::Spec(format!("platforms: `{p}` is not os/arch[/variant]")))).collect::<Result<_, _>>()?;
    let available: Vec<Platform> = if first.index.is_some() { first.platforms.clone() } else { first.platform().into_iter().collect() };
    let names = || available.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    let mut chosen = Vec::new();
    for want in &listed {
        let found = available.iter().find(|p| p.satisfies(want)).ok_or_else(|| Error::Spec(format!("platforms: the base {} has no {want} (it has {})", spec.base, names())))?;
        if !chosen.contains(found) {
            chosen.push(found.clone());
        }
    }
    if first.index.is_none() {
        return Ok((vec![None], false));
    }
    if listed.is_empty() {
        chosen = available;
    }
    if chosen.len() <= 1 && listed.is_empty() {
        return Ok((vec![chosen.pop()], false));
    }
    Ok((chosen.into_iter().map(Some).collect(), true))
}

/// Everything a build reads before it writes: the spec, its lock, the
/// base (every platform) and each step's entries.
struct Session {
    spec: Spec,
    spec_text: String,
    spec_dir: PathBuf,
    lock_path: PathBuf,
    locked: Option<Lock>,
    reference: String,
    base_digest: String,
    multi: bool,
    prepared: Vec<Prepared>,
}

fn open_session(spec_path: &Path, opts: &Options, reporter: &dyn Reporter, plan_only: bool) -> Result<Session, Error> {
    let (mut spec, spec_text) = Spec::read(spec_path)?;
    spec.labels.extend(opts.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    let spec_dir = spec_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_owned();
    let lock_path = lock::path_for(spec_path);
    let locked = Lock::read(&lock_path)?;
    let reference = base_reference(&spec, &spec_dir, locked.as_ref(), opts.update)?;
    let first = temper_verdict::target::open_any_platform(&reference, &opts.open)?.image;
    let base_digest = first.index.as_ref().or(first.manifest.as_ref()).map(|d| d.digest.to_string()).or_else(|| first.config_digest.as_ref().map(ToString::to_string)).unwrap_or_default();
    let (platforms, multi) = platforms_to_build(&spec, &first, opts.open.platform.as_ref())?;
    let locked_packages = locked.as_ref().map(|l| l.packages.clone()).unwrap_or_default();
    // Every platform is read and checked before anything is written.
    let mut prepared = Vec::new();
    for platform in platforms {
        let image = match &platform {
            Some(p) if first.platform().as_ref() != Some(p) => temper_verdict::target::open(&reference, &OpenOptions { platform: Some(p.clone()), ..opts.open.clone() })?.image,
            _ => first.clone(),
        };
        prepared.push(prepare(&spec, &spec_dir, image, opts, &locked_packages, reporter, plan_only)?);
    }
    Ok(Session { spec, spec_text, spec_dir, lock_path, locked, reference, base_digest, multi, prepared })
}

/// What `[packages]` would install and upgrade, per platform (`--plan`): nothing is written.
pub fn plan(spec_path: &Path, opts: &Options, reporter: &dyn Reporter) -> Result<Vec<(String, Vec<packages::Planned>)>, Error> {
    let session = open_session(spec_path, opts, reporter, true)?;
    Ok(session.prepared.iter().map(|p| (p.image.platform().map(|p| p.to_string()).unwrap_or_default(), p.packages.as_ref().map(|s| s.plan.clone()).unwrap_or_default())).collect())
}

/// [`build`], writing the lock only when `write_lock`.
fn build_with(spec_path: &Path, opts: &Options, reporter: &dyn Reporter, write_lock: bool) -> Result<Built, Error> {
    let Session { spec, spec_text, spec_dir, lock_path, locked, reference, base_digest, multi, prepared } = open_session(spec_path, opts, reporter, false)?;
    // The local inputs: the spec's own files, not the unpacked packages (the lock pins those by their .deb).
    let all_steps: Vec<(&str, Vec<Entry>)> = prepared.iter().flat_map(|p| p.steps.iter().filter(|(s, _)| *s != "packages").map(|(s, e)| (*s, e.clone()))).collect();
    let input_digests = inputs(&spec, &spec_dir, &all_steps)?;
    let locked_platforms = if multi { prepared.iter().filter_map(|p| Some(LockedPlatform { platform: p.image.platform()?.to_string(), digest: p.image.manifest.as_ref()?.digest.to_string() })).collect() } else { Vec::new() };
    let mut locked_packages: Vec<LockedPackage> = prepared.iter().flat_map(|p| p.packages.iter().flat_map(|s| s.locked.clone())).collect();
    locked_packages.sort_by(|a, b| (&a.name, &a.architecture, &a.version).cmp(&(&b.name, &b.architecture, &b.version)));
    locked_packages.dedup();
    let new_lock = Lock { version: 1, base: LockedBase { reference: spec.base.clone(), digest: base_digest.clone(), platforms: locked_platforms }, inputs: locked_inputs(&input_digests, &spec_dir), packages: locked_packages };
    let lock_changes = locked.as_ref().map_or_else(|| vec![format!("{} created", lock_path.display())], |l| new_lock.changes_from(l));
    if opts.locked && !lock_changes.is_empty() {
        return Err(Error::Spec(format!("--locked: {}: {}; build without --locked (or with --update) to accept", lock_path.display(), lock_changes.join("; "))));
    }
    let scripts: Vec<String> = prepared.iter().flat_map(|p| p.packages.iter().flat_map(|s| s.scripts.clone())).collect();
    if opts.strict_scripts && !scripts.is_empty() {
        return Err(Error::Spec(format!("--strict-scripts: maintainer scripts temper does not reproduce: {}", scripts.join("; "))));
    }
    for s in &scripts {
        reporter.warn(&format!("maintainer script not run: {s}"));
    }
    let staged = output::Staged::new(output::parse_target(&opts.output)?)?;

    let layout = staged.layout()?;
    let epoch = prepared.first().map_or(0, |p| p.epoch);
    let mut built = Vec::new();
    for p in prepared {
        built.push(write_platform(&spec, p, &layout, opts, &input_digests)?);
    }
    let (digest, top, manifest) = if multi {
        let mut manifests: Vec<Value> = built.iter().map(|b| b.descriptor.clone()).collect();
        manifests.sort_by_key(|d| serde_json::from_value::<Platform>(d["platform"].clone()).map(|p| p.to_string()).unwrap_or_default());
        let annotations = manifest_annotations(&spec, Some(&base_digest), &rfc3339(epoch));
        let index = json!({ "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests, "annotations": annotations });
        let (digest, size) = layout.put(&serde_json::to_vec(&index).unwrap_or_default())?;
        (digest.clone(), json!({ "mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "size": size }), None)
    } else {
        let only = built.first().ok_or_else(|| Error::Spec(format!("the base {} has no platform to build", spec.base)))?;
        (only.descriptor["digest"].as_str().unwrap_or_default().to_owned(), only.descriptor.clone(), Some(&only.manifest))
    };
    staged.finish(&layout, top, manifest, u64::try_from(epoch).unwrap_or(0))?;

    let mut sboms = Vec::new();
    let mut sbom_manifests = Vec::new();
    let mut subjects = vec![(opts.output.clone(), digest.clone())];
    for b in &built {
        let platform: Option<Platform> = serde_json::from_value(b.descriptor["platform"].clone()).ok();
        let suffix = platform.as_ref().filter(|_| multi).map(|p| p.to_string().replace('/', "-"));
        let path = provenance::sbom_path(staged.output_path(), suffix.as_deref());
        let sbom = provenance::sbom(&staged.reference(), platform.filter(|_| multi), &opts.limits, &opts.cache, epoch, reporter)?;
        provenance::write_whole(&path, &sbom)?;
        sboms.push(path);
        if multi {
            let d = &b.descriptor;
            sbom_manifests.push((d["digest"].as_str().unwrap_or_default().to_owned(), d["mediaType"].as_str().unwrap_or_default().to_owned(), d["size"].as_u64().unwrap_or(0)));
            subjects.push((format!("{} ({})", opts.output, suffix.unwrap_or_default()), b.descriptor["digest"].as_str().unwrap_or_default().to_owned()));
        }
    }
    let provenance_path = provenance::provenance_path(staged.output_path());
    let statement = provenance::statement(&opts.output, &subjects, spec_path, &spec_text, &opts.labels, &new_lock, opts.source_date_epoch.as_deref());
    provenance::write_whole(&provenance_path, &(serde_json::to_string_pretty(&statement).unwrap_or_default() + "\n"))?;
    if write_lock && !lock_changes.is_empty() {
        provenance::write_whole(&lock_path, &new_lock.to_toml())?;
    }
    Ok(Built { digest, output: opts.output.clone(), base: reference, platforms: built.len(), layers_added: built.iter().map(|b| b.layers_added).max().unwrap_or(0), lock: lock_path, lock_changes, sboms, sbom_manifests, provenance: provenance_path })
}

/// The annotations of a manifest or index: the spec's, the source and
/// revision labels (from the spec or `--label`) as the annotations OCI
/// names for them, the base and the creation time.
fn manifest_annotations(spec: &Spec, base_digest: Option<&str>, created: &str) -> BTreeMap<String, String> {
    let mut annotations: BTreeMap<String, String> = spec.annotations.clone();
    for key in ["org.opencontainers.image.source", "org.opencontainers.image.revision"] {
        if let Some(v) = spec.labels.get(key) {
            annotations.entry(key.to_owned()).or_insert_with(|| v.clone());
        }
    }
    annotations.insert("org.opencontainers.image.base.name".into(), spec.base.clone());
    if let Some(d) = base_digest {
        annotations.insert("org.opencontainers.image.base.digest".into(), d.to_owned());
    }
    annotations.insert("org.opencontainers.image.created".into(), created.to_owned());
    annotations
}

/// Reads one platform of the base and turns the spec into its layer entries.
fn prepare(spec: &Spec, spec_dir: &Path, image: temper_image::Image, opts: &Options, locked: &[LockedPackage], reporter: &dyn Reporter, plan_only: bool) -> Result<Prepared, Error> {
    let epoch = epoch(opts.source_date_epoch.as_deref(), image.config.created.as_deref())?;
    let base = Base::read_cached_as(&image, &opts.limits, &opts.cache, reporter, spec.packages.is_some())?;
    let packages = packages::step(spec, spec_dir, &base, &image, opts, locked, plan_only)?;
    let epoch_u = u64::try_from(epoch).unwrap_or(0);
    // Certificates go on top of a bundle the packages step regenerated (one writer of the file).
    let mut installed = packages.as_ref().map(|s| s.entries.clone()).unwrap_or_default();
    let regenerated = if spec.certificates.is_empty() { None } else { installed.iter().position(|e| e.path == base::DEBIAN_BUNDLE).map(|i| installed.remove(i)) };
    let regenerated = regenerated.and_then(|e| match e.node {
        Node::File { content: Content::Bytes(b), .. } => Some(b),
        _ => None,
    });
    let certs = certificates::step(&spec.certificates, spec_dir, &base, regenerated.as_deref(), opts.now)?;
    let (accounts_entries, accounts) = accounts::step(spec, &base, epoch_u)?;
    let files = files::step(spec, spec_dir, &accounts)?;
    let env = config::env(image.config.config.env.as_deref().unwrap_or_default(), &spec.env)?;
    let removals = files::removals(spec, &base, &env)?;
    let steps: Vec<(&'static str, Vec<Entry>)> = vec![("packages", installed), ("certificates", certs), ("accounts", accounts_entries), ("files", files), ("remove", removals)];
    check_overlaps(&steps)?;
    Ok(Prepared { image, base, epoch, steps, packages })
}

/// Writes one platform: the base's layers copied, the new layers, the config and the manifest.
fn write_platform(spec: &Spec, prepared: Prepared, layout: &output::Layout, opts: &Options, input_digests: &BTreeMap<PathBuf, String>) -> Result<PlatformBuilt, Error> {
    let Prepared { image, base, epoch, steps, packages: _staged } = prepared;
    let epoch_u = u64::try_from(epoch).unwrap_or(0);
    let created = rfc3339(epoch);
    // A base blob in a layout on this file system that the layer pass
    // proved (read whole, or its print matched the cache's) is linked;
    // the others are copied side by side, each hashed on its way. A
    // failure names the lowest failing layer, whatever thread met it first.
    // The layer cache, when on: it proves base blobs, and takes the new layers' analyses.
    let layer_cache = opts.cache.dir.clone().or_else(temper_inventory::cache::default_dir).filter(|_| !opts.cache.disabled).and_then(|d| temper_inventory::cache::LayerCache::open(&d).map(|c| c.verify_blobs(opts.cache.verify_blobs).shared(opts.cache.shared.clone())).ok());
    let mut layer_descriptors: Vec<Value> = {
        use rayon::prelude::*;
        image.layers.par_iter().enumerate().map(|(i, layer)| {
            if let (Some(file), Some(digest), Some(size), Some(cache)) = (image.layer_file(i), layer.digest.as_ref(), layer.size, layer_cache.as_ref())
                && temper_inventory::blob_proven(&image, i, cache).unwrap_or(false)
                && let Some(head) = layout.link(&file, &digest.to_string(), size)?
            {
                return Ok(json!({ "mediaType": output::layer_media_type(head), "digest": digest.to_string(), "size": size }));
            }
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
        groups.par_iter().map(|(_, entries)| layer::write_cached(entries, epoch_u, spec.compression, layout.blobs(), &opts.cache, layer_cache.as_ref(), &opts.limits, &input_digests)).collect::<Vec<_>>().into_iter().collect::<Result<_, Error>>()?
    };
    let mut new_layers = Vec::new();
    for ((name, _), blob) in groups.into_iter().zip(blobs) {
        layer_descriptors.push(json!({ "mediaType": blob.media_type, "digest": blob.digest, "size": blob.size }));
        new_layers.push((blob.diff_id, name));
    }
    let config_doc = config::document(&image.config, spec, &created, &new_layers)?;
    let (config_digest, config_size) = layout.put(&serde_json::to_vec(&config_doc).unwrap_or_default())?;
    let annotations = manifest_annotations(spec, image.manifest.as_ref().map(|m| m.digest.to_string()).as_deref(), &created);
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
        descriptor["platform"] = serde_json::to_value(&p).unwrap_or(Value::Null);
    }
    Ok(PlatformBuilt { manifest, descriptor, layers_added: new_layers.len() })
}
