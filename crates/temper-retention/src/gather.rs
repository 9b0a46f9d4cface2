//! A repository read from its registry into a [`Repo`]: every tag (pages
//! followed), every manifest they reach (index entries, the subjects of
//! accessory tags, referrers from the referrers API), each image's config
//! for its `created`, and the untagged manifests the caller names.
//!
//! The distribution API cannot list untagged manifests; those not
//! reached from a tag are known only when the caller names them (a list of
//! digests; the fleet store's records later).

use std::collections::VecDeque;

use temper_image::registry::attach::Attachments;
use temper_image::registry::catalog::Catalog;
use temper_image::registry::delete::Repository;
use temper_image::{Digest, RegistryOptions, RegistryRef};

use crate::snapshot::{Manifest, Repo, accessory_tag};
use crate::{Error, Result};

/// Configs above this are not read for their `created` (the age is then unknown).
const CONFIG_LIMIT: u64 = 16 << 20;
/// Tags asked for per page.
pub const PAGE_SIZE: u32 = 100;

/// Reads `reference`'s repository; `untagged` are more digests to take in
/// (absent ones are skipped).
pub fn gather(reference: &RegistryRef, opts: &RegistryOptions, untagged: &[Digest]) -> Result<Repo> {
    let wrap = |e: temper_image::Error| Error::Registry { repository: format!("{}/{}", reference.registry, reference.repository), source: Box::new(e) };
    let catalog = Catalog::connect(&reference.registry, opts).map_err(wrap)?;
    let repository = Repository::connect(reference, opts).map_err(wrap)?;
    let attachments = Attachments::new(repository.reference(), opts).map_err(wrap)?;
    let mut repo = Repo { name: format!("{}/{}", reference.registry, reference.repository), repository: reference.repository.clone(), ..Repo::default() };
    let mut queue: VecDeque<Digest> = VecDeque::new();
    for tag in catalog.tags(&reference.repository, PAGE_SIZE).map_err(wrap)? {
        let Some(fetched) = repository.manifest(&tag).map_err(wrap)? else { continue };
        repo.tags.insert(tag.clone(), fetched.digest.clone());
        if !repo.manifests.contains_key(&fetched.digest) {
            take(&repository, &mut repo, &fetched.digest, &fetched.bytes, &fetched.media_type, &mut queue).map_err(wrap)?;
        }
        if let Some((subject, _)) = accessory_tag(&tag) {
            queue.push_back(subject);
        }
    }
    queue.extend(untagged.iter().cloned());
    while let Some(digest) = queue.pop_front() {
        if repo.manifests.contains_key(&digest) || repo.missing.contains(&digest) {
            continue;
        }
        match repository.manifest(&digest.to_string()).map_err(wrap)? {
            Some(f) => take(&repository, &mut repo, &digest, &f.bytes, &f.media_type, &mut queue).map_err(wrap)?,
            None => {
                repo.missing.insert(digest);
            }
        }
    }
    // Referrers through the API (a registry without it answers from the
    // tag-schema index, which is a tag read above).
    let subjects: Vec<Digest> = repo.manifests.iter().filter(|(_, m)| m.subject.is_none()).map(|(d, _)| d.clone()).collect();
    for subject in subjects {
        let (descriptors, api) = attachments.referrer_descriptors(&subject).map_err(wrap)?;
        if !api {
            continue;
        }
        let found: Vec<Digest> = descriptors.iter().filter_map(|d| d["digest"].as_str().and_then(|s| Digest::parse(s).ok())).collect();
        for r in &found {
            if !repo.manifests.contains_key(r)
                && let Some(f) = repository.manifest(&r.to_string()).map_err(wrap)?
            {
                take(&repository, &mut repo, r, &f.bytes, &f.media_type, &mut queue).map_err(wrap)?;
            }
        }
        if let Some(m) = repo.manifests.get_mut(&subject) {
            m.referrers = found;
        }
    }
    Ok(repo)
}

/// Adds the manifest `digest` (its document `bytes`), reads its config's
/// `created`, and queues its index entries and subject.
fn take(repository: &Repository, repo: &mut Repo, digest: &Digest, bytes: &[u8], content_type: &str, queue: &mut VecDeque<Digest>) -> temper_image::Result<()> {
    let Some(mut m) = Manifest::from_document(bytes, content_type) else {
        return Err(temper_image::Error::Registry { url: format!("{}@{digest}", repo.name), reason: "is not a JSON manifest or index".into() });
    };
    if let Some(config) = m.image_config() {
        let bytes = repository.blob(config, CONFIG_LIMIT)?;
        // A config that is not JSON has no `created`: the age is unknown, which keeps the image.
        m.created = serde_json::from_slice::<serde_json::Value>(&bytes).ok().and_then(|c| c["created"].as_str().map(str::to_owned));
    }
    queue.extend(m.children.iter().cloned());
    queue.extend(m.subject.iter().cloned());
    repo.manifests.insert(digest.clone(), m);
    Ok(())
}

/// The repositories of `registry` whose path starts with `prefix` (all with an empty one).
pub fn repositories(registry: &str, prefix: &str, opts: &RegistryOptions) -> Result<Vec<String>> {
    let catalog = Catalog::connect(registry, opts).map_err(|e| Error::Registry { repository: registry.to_owned(), source: Box::new(e) })?;
    let all = catalog.repositories(PAGE_SIZE).map_err(|e| Error::Registry { repository: registry.to_owned(), source: Box::new(e) })?;
    let prefix = prefix.trim_end_matches('/');
    Ok(all.into_iter().filter(|r| prefix.is_empty() || r == prefix || r.starts_with(&format!("{prefix}/"))).collect())
}

/// The repositories `spec` names: `HOST/REPO` itself, or, with a `*` in
/// the path, every repository of `HOST`'s catalog the glob matches.
pub fn expand(spec: &str, opts: &RegistryOptions) -> Result<Vec<RegistryRef>> {
    let bad = |e: temper_image::Error| Error::Registry { repository: spec.to_owned(), source: Box::new(e) };
    if !spec.contains('*') {
        let r = RegistryRef::parse(spec).map_err(bad)?;
        if r.tag.is_some() || r.digest.is_some() {
            return Err(Error::Registry { repository: spec.to_owned(), source: Box::new(temper_image::Error::Reference { input: spec.to_owned(), reason: "name a repository (HOST/REPO), without tag or digest".into() }) });
        }
        return Ok(vec![r]);
    }
    let (host, glob) = spec.split_once('/').ok_or_else(|| Error::Input(format!("{spec}: give HOST/REPO or HOST/GLOB")))?;
    let pattern = crate::policy::Pattern::new(glob).map_err(|e| Error::Input(format!("{spec}: {}", e.kind())))?;
    let mut out = Vec::new();
    for repository in repositories(host, "", opts)?.into_iter().filter(|r| pattern.matches(r)) {
        out.push(RegistryRef::parse(&format!("{host}/{repository}")).map_err(bad)?);
    }
    Ok(out)
}
