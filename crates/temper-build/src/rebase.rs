//! `temper rebase`: an app image moved from the base it was built on onto
//! a new one, without a rebuild. The old base's diffIDs must be the exact
//! prefix of the app's (the only proof that the app's lower layers *are*
//! that base); those layers are swapped for the new base's, `rootfs` and
//! history are spliced (history entries are matched to layers by
//! `empty_layer`, not by position), every layer's media type follows the
//! app manifest's family (Docker schema 2 or OCI), and the base
//! annotations name the new base.
//!
//! Config fields the app took unchanged from the old base (`Env` variable
//! by variable, `User`, `WorkingDir`, `Entrypoint`, `Cmd`, labels key by
//! key, ports, volumes, health check, stop signal) and that the new base
//! sets differently are listed; [`Inherit`] says which value wins. The
//! fields the app set itself are never touched. The app's own layers,
//! config times and the rest of its config are kept as they are, so the
//! result is as reproducible as its inputs.
//!
//! A multi-platform app is rebased platform by platform (each onto the new
//! base's image for the same platform) into one index.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;

use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};
use temper_image::model::{Descriptor, media};
use temper_image::{Image, OpenOptions, Platform};

use crate::Error;
use crate::output::{Layout, Staged, parse_target};

/// The manifest annotation naming the base an image was built on.
pub const BASE_NAME: &str = "org.opencontainers.image.base.name";
/// The manifest annotation pinning that base's manifest digest.
pub const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";

/// Which value a config field takes when the app inherited it from the
/// old base and the new base sets it differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inherit {
    /// The new base's (what the app would get if rebuilt on it).
    New,
    /// The old base's, as the app has it now.
    Old,
    /// Refuse, listing the fields.
    Error,
}

/// What to rebase and where to.
pub struct RebaseOptions {
    /// The app image.
    pub app: String,
    /// The base the app was built on (default: from the app's base annotations).
    pub old_base: Option<String>,
    /// The base to move it onto (default: the app's `base.name` annotation, read again).
    pub new_base: Option<String>,
    /// `oci:DIR[:TAG]`, `oci-archive:PATH[:TAG]` or `docker-archive:PATH[:REPO[:TAG]]`.
    pub output: String,
    /// Who wins on an inherited field that changed.
    pub inherit: Inherit,
    /// How to open the three images (a platform here rebases only that one).
    pub open: OpenOptions,
}

/// A config field the app had from the old base, which the new base sets differently.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Inherited {
    /// `Env PATH`, `User`, `Labels maintainer`…
    pub field: String,
    /// The old base's value (and the app's), as JSON; `null` when unset.
    pub old: String,
    /// The new base's value, as JSON; `null` when unset.
    pub new: String,
}

/// One platform's rebase.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PlatformRebase {
    /// `os/arch[/variant]`.
    pub platform: String,
    /// The old base's manifest digest (its config digest when it has none).
    pub old_base: String,
    /// The new base's.
    pub new_base: String,
    /// Base layers taken out.
    pub layers_removed: usize,
    /// Base layers put in.
    pub layers_added: usize,
    /// The app's own layers, kept.
    pub app_layers: usize,
    /// Inherited fields that differ, and which value was kept.
    pub inherited: Vec<Inherited>,
    /// The rebased manifest's digest.
    pub digest: String,
}

/// What a rebase made.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Rebased {
    /// The top digest written (the index's for a multi-platform app).
    pub digest: String,
    /// The target, as given.
    pub output: String,
    /// The new base's name, as the annotation now says.
    pub new_base: String,
    /// Per platform.
    pub platforms: Vec<PlatformRebase>,
}

/// The family of media types a manifest's parts must share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Oci,
    Docker,
}

impl Family {
    fn of(manifest_media_type: &str) -> Family {
        if manifest_media_type == media::DOCKER_MANIFEST { Family::Docker } else { Family::Oci }
    }
    fn manifest(self) -> &'static str {
        match self {
            Family::Oci => media::OCI_MANIFEST,
            Family::Docker => media::DOCKER_MANIFEST,
        }
    }
    fn config(self) -> &'static str {
        match self {
            Family::Oci => media::OCI_CONFIG,
            Family::Docker => media::DOCKER_CONFIG,
        }
    }
    fn index(self) -> &'static str {
        match self {
            Family::Oci => media::OCI_INDEX,
            Family::Docker => media::DOCKER_LIST,
        }
    }
    /// The layer media type for a blob starting with `head`.
    fn layer(self, head: [u8; 4], what: &str) -> Result<&'static str, Error> {
        let oci = crate::output::layer_media_type(head);
        match (self, oci) {
            (Family::Oci, t) => Ok(t),
            (Family::Docker, media::OCI_LAYER_TAR) => Ok(media::DOCKER_LAYER_TAR),
            (Family::Docker, t) if t.ends_with("+gzip") => Ok(media::DOCKER_LAYER_GZIP),
            (Family::Docker, _) => Err(Error::Spec(format!("{what} is zstd-compressed, which a Docker schema 2 manifest cannot name; rebase an OCI app, or use a gzip base"))),
        }
    }
}

/// Reads a document of `image`'s source, checked against its digest.
fn document(image: &Image, media_type: &str, digest: &temper_image::Digest, size: u64, limit: u64) -> Result<Vec<u8>, Error> {
    Ok(image.read_document(&Descriptor { media_type: media_type.to_owned(), digest: digest.clone(), size, platform: None, annotations: BTreeMap::new() }, limit)?)
}

/// One platform of an image, as this module needs it: its manifest (when
/// the source has one) and its config, both as raw JSON.
struct Opened {
    image: Image,
    manifest: Option<Value>,
    config: Value,
}

impl Opened {
    fn open(role: &str, reference: &str, opts: &OpenOptions) -> Result<Opened, Error> {
        let image = temper_verdict::target::open(reference, opts).map_err(|e| Error::Spec(format!("{role} {reference}: {e}")))?.image;
        let limits = &opts.limits;
        let manifest = match &image.manifest {
            Some(m) => Some(json_of(&format!("{role} {reference}: manifest"), &document(&image, &m.media_type, &m.digest, m.size, limits.manifest_bytes)?)?),
            None => None,
        };
        let config_bytes = match (&manifest, &image.config_digest) {
            (Some(m), _) => {
                let desc: Descriptor = serde_json::from_value(m["config"].clone()).map_err(|e| Error::Spec(format!("{role} {reference}: manifest config: {e}")))?;
                document(&image, &desc.media_type, &desc.digest, desc.size, limits.config_bytes)?
            }
            (None, Some(digest)) => {
                let mut bytes = Vec::new();
                image.open_blob(digest)?.take(limits.config_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(|source| Error::Read { path: format!("{reference}: config").into(), source })?;
                if bytes.len() as u64 > limits.config_bytes || format!("sha256:{}", hex::encode(Sha256::digest(&bytes))) != digest.to_string() {
                    return Err(Error::Spec(format!("{role} {reference}: its config does not match {digest}; the image is damaged")));
                }
                bytes
            }
            (None, None) => return Err(Error::Spec(format!("{role} {reference}: a root filesystem has no layers or config to rebase; give an image"))),
        };
        let config = json_of(&format!("{role} {reference}: config"), &config_bytes)?;
        Ok(Opened { image, manifest, config })
    }

    fn diff_ids(&self) -> Vec<String> {
        self.image.config.rootfs.diff_ids.iter().map(ToString::to_string).collect()
    }

    /// Its manifest digest, else its config digest.
    fn digest(&self) -> String {
        self.image.manifest.as_ref().map(|m| m.digest.to_string()).or_else(|| self.image.config_digest.as_ref().map(ToString::to_string)).unwrap_or_default()
    }

    fn platform(&self) -> Platform {
        self.image.platform().unwrap_or(Platform { os: String::new(), architecture: String::new(), variant: None, os_version: None })
    }

    fn family(&self) -> Family {
        // A docker-archive stores no manifest: Docker's family is its own.
        self.image.manifest.as_ref().map_or(Family::Docker, |m| Family::of(&m.media_type))
    }

    fn annotation(&self, key: &str) -> Option<String> {
        self.manifest.as_ref().and_then(|m| m["annotations"][key].as_str()).or_else(|| self.config["config"]["Labels"][key].as_str()).map(str::to_owned)
    }
}

fn json_of(what: &str, bytes: &[u8]) -> Result<Value, Error> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(Error::Spec(format!("{what}: not a JSON object"))),
        Err(e) => Err(Error::Spec(format!("{what}: {e}"))),
    }
}

/// The old and new base references: as given, else from the app's
/// annotations (the old base pinned to the recorded digest when it lives
/// in a registry, so a moved tag still finds the image the app was built on).
fn base_references(opts: &RebaseOptions, app: &Opened) -> Result<(String, String), Error> {
    let name = app.annotation(BASE_NAME);
    let old = match (&opts.old_base, &name) {
        (Some(o), _) => o.clone(),
        (None, Some(n)) => match (temper_image::Source::parse(n), app.annotation(BASE_DIGEST)) {
            (Ok(temper_image::Source::Registry(r)), Some(d)) if r.digest.is_none() => format!("{n}@{d}"),
            _ => n.clone(),
        },
        (None, None) => return Err(Error::Spec(format!("{}: no {BASE_NAME} annotation or label says what it was built on; give --old-base", opts.app))),
    };
    let new = match (&opts.new_base, name) {
        (Some(n), _) => n.clone(),
        (None, Some(n)) => n,
        (None, None) => return Err(Error::Spec(format!("{}: no {BASE_NAME} annotation names a base to move to; give --new-base", opts.app))),
    };
    Ok((old, new))
}

/// The history entries of `config`.
fn history(config: &Value) -> Vec<Value> {
    config["history"].as_array().cloned().unwrap_or_default()
}

fn is_empty_layer(h: &Value) -> bool {
    h["empty_layer"].as_bool().unwrap_or(false)
}

/// How many of the app's history entries describe the old base: all of the
/// old base's own entries when the app's history starts with them (what a
/// build on that base writes), else the entries up to the one that made
/// the old base's last layer.
fn base_history_len(app: &[Value], old: &[Value], old_layers: usize) -> usize {
    let key = |h: &Value| (h["created_by"].clone(), is_empty_layer(h));
    if !old.is_empty() && app.len() >= old.len() && app.iter().zip(old).all(|(a, o)| key(a) == key(o)) {
        return old.len();
    }
    let mut layers = 0;
    for (i, h) in app.iter().enumerate() {
        if layers == old_layers {
            return i;
        }
        if !is_empty_layer(h) {
            layers += 1;
        }
    }
    app.len()
}

/// `NAME=value` lines as (name, value), in order.
fn env_pairs(config: &Value) -> Vec<(String, String)> {
    config["config"]["Env"].as_array().map(|a| a.iter().filter_map(Value::as_str).map(|l| l.split_once('=').map_or((l.to_owned(), String::new()), |(k, v)| (k.to_owned(), v.to_owned()))).collect()).unwrap_or_default()
}

fn shown(v: Option<&Value>) -> String {
    v.map_or_else(|| "null".to_owned(), Value::to_string)
}

/// Lists (and with [`Inherit::New`] applies) the fields `app` inherited
/// from `old` that `new` sets differently.
fn inherit(app: &mut Value, old: &Value, new: &Value, choice: Inherit) -> Vec<Inherited> {
    let mut out = Vec::new();
    // Env, variable by variable.
    // By name (the first line of a name wins, as the runtime's lookup does), so a hostile config with many variables stays linear.
    let (app_env, old_env, new_env) = (env_pairs(app), env_pairs(old), env_pairs(new));
    let by_name = |env: &[(String, String)]| {
        let mut m: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in env {
            m.entry(k.clone()).or_insert_with(|| v.clone());
        }
        m
    };
    let (app_map, old_map, new_map) = (by_name(&app_env), by_name(&old_env), by_name(&new_env));
    let names: BTreeSet<&String> = old_map.keys().chain(new_map.keys()).collect();
    let mut set: BTreeMap<String, Option<String>> = BTreeMap::new();
    for name in names {
        let (a, o, n) = (app_map.get(name), old_map.get(name), new_map.get(name));
        if a == o && o != n {
            let js = |v: Option<&String>| v.map(|v| Value::String(v.clone()));
            out.push(Inherited { field: format!("Env {name}"), old: shown(js(o).as_ref()), new: shown(js(n).as_ref()) });
            set.insert(name.clone(), n.cloned());
        }
    }
    let mut changes: Vec<(String, Option<Value>)> = Vec::new();
    if !set.is_empty() {
        let mut env: Vec<(String, String)> = app_env.into_iter().filter_map(|(k, v)| match set.get(&k) {
            Some(Some(new)) => Some((k, new.clone())),
            Some(None) => None,
            None => Some((k, v)),
        }).collect();
        let mut present: BTreeSet<String> = env.iter().map(|(k, _)| k.clone()).collect();
        for (k, v) in &set {
            if let Some(v) = v
                && present.insert(k.clone())
            {
                env.push((k.clone(), v.clone()));
            }
        }
        changes.push(("Env".into(), Some(Value::Array(env.into_iter().map(|(k, v)| Value::String(format!("{k}={v}"))).collect()))));
    }
    let field = |c: &Value, k: &str| c["config"].get(k).filter(|v| !v.is_null()).cloned();
    for key in ["User", "WorkingDir", "Entrypoint", "Cmd", "ExposedPorts", "Volumes", "Healthcheck", "StopSignal", "Shell"] {
        let (a, o, n) = (field(app, key), field(old, key), field(new, key));
        // An empty string is how Docker writes an unset User or WorkingDir.
        let norm = |v: Option<Value>| v.filter(|v| v.as_str() != Some(""));
        if norm(a.clone()) == norm(o.clone()) && norm(o.clone()) != norm(n.clone()) {
            out.push(Inherited { field: key.to_owned(), old: shown(o.as_ref()), new: shown(n.as_ref()) });
            changes.push((key.to_owned(), n));
        }
    }
    let labels = |c: &Value| c["config"]["Labels"].as_object().cloned().unwrap_or_default();
    let (app_labels, old_labels, new_labels) = (labels(app), labels(old), labels(new));
    let mut merged = app_labels.clone();
    let keys: BTreeSet<&String> = old_labels.keys().chain(new_labels.keys()).filter(|k| k.as_str() != BASE_NAME && k.as_str() != BASE_DIGEST).collect();
    for key in keys {
        let (a, o, n) = (app_labels.get(key), old_labels.get(key), new_labels.get(key));
        if a == o && o != n {
            out.push(Inherited { field: format!("Labels {key}"), old: shown(o), new: shown(n) });
            match n {
                Some(v) => merged.insert(key.clone(), v.clone()),
                None => merged.remove(key),
            };
        }
    }
    if merged != app_labels {
        changes.push(("Labels".into(), Some(Value::Object(merged)).filter(|m| m.as_object().is_some_and(|m| !m.is_empty()))));
    }
    if choice == Inherit::New {
        if let Some(c) = app.get_mut("config").and_then(Value::as_object_mut) {
            for (key, value) in changes {
                match value {
                    Some(v) => c.insert(key, v),
                    None => c.remove(&key),
                };
            }
        } else if !changes.is_empty() {
            app["config"] = Value::Object(changes.into_iter().filter_map(|(k, v)| Some((k, v?))).collect::<Map<_, _>>());
        }
    }
    out
}

/// Copies layer `i` of `image` into `layout`; its descriptor in `family`.
fn copy_layer(layout: &Layout, image: &Image, i: usize, family: Family) -> Result<Value, Error> {
    let layer = &image.layers[i];
    let temper_image::LayerContent::Stream(mut stream) = image.open_layer(i)? else {
        return Err(Error::Spec(format!("{}: a root filesystem has no layers to rebase", image.name)));
    };
    let label = format!("{}: {}", image.name, image.layer_label(i));
    let (digest, size, head) = layout.copy(&mut stream, layer.digest.as_ref().map(ToString::to_string).as_deref(), layer.size, &label)?;
    Ok(json!({ "mediaType": family.layer(head, &label)?, "digest": digest, "size": size }))
}

/// Rebases one platform of the app into `layout`; gives its manifest and
/// its descriptor (with platform).
fn rebase_platform(layout: &Layout, opts: &RebaseOptions, platform: Option<Platform>) -> Result<(PlatformRebase, Value, Value, String), Error> {
    let mut open = opts.open.clone();
    open.platform = platform;
    let app = Opened::open("app", &opts.app, &open)?;
    let want = app.platform();
    open.platform = Some(want.clone());
    let (old_ref, new_ref) = base_references(opts, &app)?;
    let old = Opened::open("old base", &old_ref, &open)?;
    let new = Opened::open("new base", &new_ref, &open)?;
    for (role, reference, base) in [("old base", &old_ref, &old), ("new base", &new_ref, &new)] {
        if !base.platform().satisfies(&want) && !want.satisfies(&base.platform()) {
            return Err(Error::Spec(format!("{role} {reference} is {}, the app {} is {want}; give a base for {want}", base.platform(), opts.app)));
        }
    }
    let (app_ids, old_ids, new_ids) = (app.diff_ids(), old.diff_ids(), new.diff_ids());
    if old_ids.len() > app_ids.len() || app_ids[..old_ids.len()] != old_ids[..] {
        let at = app_ids.iter().zip(&old_ids).position(|(a, o)| a != o).unwrap_or(app_ids.len().min(old_ids.len()));
        return Err(Error::Spec(format!(
            "{} was not built on {old_ref}: the base has {} layer(s), the app {}, and they differ at layer {at} ({} in the app, {} in the base); give --old-base with the image the app was built on",
            opts.app,
            old_ids.len(),
            app_ids.len(),
            app_ids.get(at).map_or("none", String::as_str),
            old_ids.get(at).map_or("none", String::as_str)
        )));
    }
    if let Some(recorded) = app.annotation(BASE_DIGEST)
        && opts.old_base.is_none()
        && old.image.manifest.is_some()
        && recorded != old.digest()
        && old.image.index.as_ref().is_none_or(|i| i.digest.to_string() != recorded)
    {
        return Err(Error::Spec(format!("{}: built on {recorded}, but {old_ref} now holds {}; give --old-base with the image the app was built on", opts.app, old.digest())));
    }

    let family = app.family();
    let mut layers = Vec::new();
    for i in 0..new.image.layers.len() {
        layers.push(copy_layer(layout, &new.image, i, family)?);
    }
    for i in old_ids.len()..app.image.layers.len() {
        layers.push(copy_layer(layout, &app.image, i, family)?);
    }

    let mut config = app.config.clone();
    let inherited = inherit(&mut config, &old.config, &new.config, opts.inherit);
    if opts.inherit == Inherit::Error && !inherited.is_empty() {
        let list: Vec<String> = inherited.iter().map(|i| format!("{} ({} → {})", i.field, i.old, i.new)).collect();
        return Err(Error::Spec(format!("{}: fields inherited from the old base differ in the new one: {}; choose --inherit new or --inherit old", opts.app, list.join(", "))));
    }
    let app_history = history(&app.config);
    let keep_from = base_history_len(&app_history, &history(&old.config), old_ids.len());
    if !app_history.is_empty() {
        config["history"] = Value::Array(history(&new.config).into_iter().chain(app_history[keep_from..].iter().cloned()).collect());
    }
    config["rootfs"] = json!({ "type": "layers", "diff_ids": new_ids.iter().chain(&app_ids[old_ids.len()..]).collect::<Vec<_>>() });
    let new_digest = new.digest();
    // `get_mut`, not indexing: a hostile config whose `config` is no object must not panic.
    if let Some(labels) = config.get_mut("config").and_then(|c| c.get_mut("Labels")).and_then(Value::as_object_mut) {
        if labels.contains_key(BASE_NAME) {
            labels.insert(BASE_NAME.into(), Value::String(new_ref.clone()));
        }
        if labels.contains_key(BASE_DIGEST) {
            labels.insert(BASE_DIGEST.into(), Value::String(new_digest.clone()));
        }
    }
    let config_bytes = serde_json::to_vec(&config).map_err(|e| Error::Spec(format!("config: {e}")))?;
    let (config_digest, config_size) = layout.put(&config_bytes)?;

    let mut manifest = app.manifest.clone().unwrap_or_else(|| json!({ "schemaVersion": 2 }));
    manifest["mediaType"] = Value::String(family.manifest().to_owned());
    manifest["config"] = json!({ "mediaType": family.config(), "digest": config_digest, "size": config_size });
    manifest["layers"] = Value::Array(layers);
    // Docker schema 2 has no annotations: they are written only where the app had them.
    if family == Family::Oci || manifest.get("annotations").is_some() {
        let annotations = manifest["annotations"].as_object().cloned().unwrap_or_default();
        let mut annotations: BTreeMap<String, Value> = annotations.into_iter().collect();
        annotations.insert(BASE_NAME.into(), Value::String(new_ref.clone()));
        annotations.insert(BASE_DIGEST.into(), Value::String(new_digest.clone()));
        manifest["annotations"] = json!(annotations);
    }
    let (digest, size) = layout.put(&serde_json::to_vec(&manifest).map_err(|e| Error::Spec(format!("manifest: {e}")))?)?;
    let mut descriptor = json!({ "mediaType": family.manifest(), "digest": digest, "size": size });
    descriptor["platform"] = serde_json::to_value(&want).unwrap_or(Value::Null);
    let report = PlatformRebase { platform: want.to_string(), old_base: old.digest(), new_base: new_digest, layers_removed: old_ids.len(), layers_added: new_ids.len(), app_layers: app_ids.len() - old_ids.len(), inherited, digest };
    Ok((report, manifest, descriptor, new_ref))
}

/// Rebases the app as `opts` says and writes the result.
pub fn rebase(opts: &RebaseOptions) -> Result<Rebased, Error> {
    let staged = Staged::new(parse_target(&opts.output)?)?;
    let layout = staged.layout()?;
    let app = temper_verdict::target::open_any_platform(&opts.app, &opts.open).map_err(|e| Error::Spec(format!("app {}: {e}", opts.app)))?.image;
    // Archive entries carry the app's creation time, as its layers do.
    let epoch = app.config.created.as_deref().and_then(|c| time::OffsetDateTime::parse(c, &time::format_description::well_known::Rfc3339).ok()).map_or(0, |t| u64::try_from(t.unix_timestamp()).unwrap_or(0));
    let multi = opts.open.platform.is_none() && app.index.is_some() && app.platforms.len() > 1;
    if !multi {
        let (report, manifest, descriptor, new_base) = rebase_platform(&layout, opts, app.platform())?;
        staged.finish(&layout, descriptor, Some(&manifest), epoch)?;
        return Ok(Rebased { digest: report.digest.clone(), output: opts.output.clone(), new_base, platforms: vec![report] });
    }
    let mut reports = Vec::new();
    let mut entries = Vec::new();
    let mut new_base = String::new();
    let mut family = Family::Oci;
    for platform in &app.platforms {
        let (report, manifest, descriptor, base) = rebase_platform(&layout, opts, Some(platform.clone()))?;
        family = Family::of(manifest["mediaType"].as_str().unwrap_or_default());
        reports.push(report);
        entries.push(descriptor);
        new_base = base;
    }
    let index = json!({ "schemaVersion": 2, "mediaType": family.index(), "manifests": entries });
    let (digest, size) = layout.put(&serde_json::to_vec(&index).map_err(|e| Error::Spec(format!("index: {e}")))?)?;
    staged.finish(&layout, json!({ "mediaType": family.index(), "digest": digest, "size": size }), None, epoch)?;
    Ok(Rebased { digest, output: opts.output.clone(), new_base, platforms: reports })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(env: &[&str], user: Option<&str>, labels: Value) -> Value {
        let mut c = json!({ "config": { "Env": env, "Labels": labels } });
        if let Some(u) = user {
            c["config"]["User"] = json!(u);
        }
        c
    }

    #[test]
    fn inherited_env_follows_the_new_base_and_the_apps_own_values_stay() {
        let old = config(&["PATH=/bin", "HTTP_PROXY=http://old:3128", "TZ=UTC"], Some("1000"), json!({ "vendor": "corp", "team": "base" }));
        let new = config(&["PATH=/bin", "HTTP_PROXY=http://new:3128", "NO_PROXY=.corp"], Some("1000"), json!({ "vendor": "corp2", "team": "base" }));
        let mut app = config(&["PATH=/bin", "HTTP_PROXY=http://old:3128", "TZ=Europe/Paris", "APP=1"], Some("app"), json!({ "vendor": "corp", "team": "payments" }));
        let got = inherit(&mut app, &old, &new, Inherit::New);
        let fields: Vec<&str> = got.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, ["Env HTTP_PROXY", "Env NO_PROXY", "Labels vendor"]);
        assert_eq!(app["config"]["Env"], json!(["PATH=/bin", "HTTP_PROXY=http://new:3128", "TZ=Europe/Paris", "APP=1", "NO_PROXY=.corp"]));
        assert_eq!(app["config"]["User"], "app");
        assert_eq!(app["config"]["Labels"], json!({ "vendor": "corp2", "team": "payments" }));
        let mut kept = config(&["PATH=/bin", "HTTP_PROXY=http://old:3128"], None, json!({}));
        let before = kept.clone();
        assert_eq!(inherit(&mut kept, &old, &new, Inherit::Old).len(), 2);
        assert_eq!(kept, before);
    }

    #[test]
    fn a_config_that_is_not_an_object_where_one_is_expected_is_not_a_panic() {
        let old = json!({ "config": { "Env": ["A=1"] } });
        let new = json!({ "config": { "Env": ["A=2"] } });
        for hostile in [json!({ "config": "x" }), json!({ "config": { "Env": "A=1", "Labels": 3 } }), json!({ "config": null, "history": 7 })] {
            let mut app = hostile.clone();
            inherit(&mut app, &old, &new, Inherit::New);
            assert_eq!(history(&hostile).len(), 0);
        }
    }

    #[test]
    fn history_of_the_old_base_is_found_by_content_then_by_empty_layer_count() {
        let h = |by: &str, empty: bool| json!({ "created_by": by, "empty_layer": empty });
        let old = [h("ADD rootfs", false), h("CMD bash", true)];
        let app = [h("ADD rootfs", false), h("CMD bash", true), h("ENV A=1", true), h("COPY app", false)];
        assert_eq!(base_history_len(&app, &old, 1), 2);
        // Without matching entries the base ends with its last layer.
        let other = [h("ADD something", false), h("CMD sh", true)];
        let app2 = [h("ADD rootfs", false), h("ENV A=1", true), h("RUN x", false)];
        assert_eq!(base_history_len(&app2, &other, 1), 1);
        assert_eq!(base_history_len(&app2, &[], 2), 3);
    }
}
