//! `temper sbom`: the table, and the image as the standard SBOM formats describe it.

use temper_image::{Image, RegistryRef, Source};
use temper_inventory::Inventory;
use temper_inventory::format::Subject;
use temper_layer::LayerIndex;

use super::{columns, escape};

pub fn table(inv: &Inventory) -> String {
    let mut out = String::new();
    if let Some(os) = &inv.os {
        let name = os.pretty_name.clone().unwrap_or_else(|| format!("{} {}", os.id, os.version_id.clone().unwrap_or_default()));
        out.push_str(&format!("OS  {}\n\n", escape(&name)));
    }
    let mut rows = vec![vec!["NAME".into(), "VERSION".into(), "TYPE".into(), "LAYER".into(), "PATH".into()]];
    for p in &inv.packages {
        rows.push(vec![
            p.package.name.clone(),
            p.package.version.clone(),
            p.package.ecosystem.purl_type().to_owned(),
            p.layer.map_or_else(|| "-".to_owned(), |l| l.to_string()),
            p.paths.first().map(|s| format!("/{s}")).unwrap_or_default(),
        ]);
    }
    out.push_str(&columns(&rows, &[3]));
    out.push_str(&format!("\n{} packages", inv.packages.len()));
    if !inv.unknowns.is_empty() {
        out.push_str(&format!(", {} files could not be read:\n", inv.unknowns.len()));
        for u in &inv.unknowns {
            out.push_str(&format!("  layer {} /{} ({}): {}\n", u.layer, escape(&u.path), u.cataloger, escape(&u.reason)));
        }
    } else {
        out.push('\n');
    }
    out
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
