//! The planner: a repository's tags and manifests, a policy and a clock
//! in; every tag kept or removed and every manifest deleted, each with
//! its reason and the bytes it frees, out. No I/O.
//!
//! 1. Each ordinary tag (not `sha256-<hex>[.sig|.att|.sbom]`) is kept when
//!    a protected pattern matches it, when no rule applies to its
//!    repository, or when any rule that selects it keeps it (Harbor's
//!    model: rules are OR-combined, and a tag no rule keeps is removed).
//!    A rule that needs an age keeps a tag of unknown age.
//! 2. An untagged manifest that nothing lists (not an index entry, not an
//!    accessory) is deleted when `delete-untagged-older-than` says so and
//!    its age is known; else kept.
//! 3. What a kept tag or manifest reaches is kept: an index's entries, and
//!    its accessories (the cosign tags' manifests, referrers by subject or
//!    by the referrers API), transitively. What a removed tag or an old
//!    untagged manifest reaches is deleted with it, unless kept by step 3:
//!    a digest a kept tag names, or a kept index lists, is never deleted.
//!    Accessories whose subject the registry no longer has are deleted.
//! 4. A removed tag whose manifest stays is only untagged.
//! 5. Bytes freed: the deleted manifests' documents, configs and layers,
//!    less every blob a kept manifest still uses; each blob counted once,
//!    for the first deletion that frees it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Serialize;
use temper_image::Digest;
use time::OffsetDateTime;

use crate::age::{Age, AgeSource, age_of};
use crate::policy::{Policy, Rule};
use crate::snapshot::{Accessory, Repo, accessory_tag};

/// What a manifest is, for the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A cosign signature manifest (`.sig`).
    Signature,
    /// A cosign attestation manifest (`.att`).
    Attestation,
    /// An SBOM attached by tag (`.sbom`).
    Sbom,
    /// The referrers tag-schema index (`sha256-<hex>`).
    ReferrersIndex,
    /// An OCI 1.1 referrer (it has a `subject`).
    Referrer,
    /// A multi-platform index.
    Index,
    /// An image manifest.
    Image,
    /// Another artifact.
    Artifact,
}

/// One ordinary tag and what happens to it.
#[derive(Clone, Debug, Serialize)]
pub struct TagDecision {
    /// The tag.
    pub tag: String,
    /// The digest it names.
    pub digest: String,
    /// Kept, or removed.
    pub keep: bool,
    /// Why.
    pub reason: String,
    /// The age of what it names.
    pub age: Age,
}

/// A tag to remove.
#[derive(Clone, Debug, Serialize)]
pub struct TagRemoval {
    /// The tag.
    pub tag: String,
    /// The digest it names.
    pub digest: String,
    /// Whether that manifest is deleted too (else it stays, untagged or under other tags).
    pub manifest_deleted: bool,
}

/// A manifest to delete.
#[derive(Clone, Debug, Serialize)]
pub struct Deletion {
    /// Its digest.
    pub digest: String,
    /// What it is.
    pub kind: Kind,
    /// The tags that name it (all removed).
    pub tags: Vec<String>,
    /// Why it goes.
    pub reason: String,
    /// Its age.
    pub age: Age,
    /// The bytes its deletion frees (blobs no kept manifest uses and no
    /// earlier deletion counted).
    pub bytes_freed: u64,
    /// Those blobs (the manifest's own document among them).
    pub blobs_freed: Vec<String>,
}

/// One repository's plan.
#[derive(Clone, Debug, Serialize)]
pub struct RepoPlan {
    /// `host/repository`.
    pub repository: String,
    /// Ordinary tags kept.
    pub tags_kept: usize,
    /// Tags removed (accessory tags included).
    pub tags_removed: usize,
    /// Manifests kept.
    pub manifests_kept: usize,
    /// Manifests deleted.
    pub manifests_deleted: usize,
    /// Bytes the deletions free.
    pub bytes_freed: u64,
    /// Every ordinary tag, kept or removed, newest first.
    pub tags: Vec<TagDecision>,
    /// The tags to remove, in the order `--apply` removes them.
    pub untag: Vec<TagRemoval>,
    /// The manifests to delete, in the order `--apply` deletes them
    /// (accessories, then indexes, then images).
    pub delete: Vec<Deletion>,
}

/// The whole plan.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    /// The clock the ages were judged at.
    #[serde(serialize_with = "rfc3339")]
    pub now: OffsetDateTime,
    /// Per repository.
    pub repositories: Vec<RepoPlan>,
    /// Tags removed, in all.
    pub tags_removed: usize,
    /// Manifests deleted, in all.
    pub manifests_deleted: usize,
    /// Bytes freed, in all.
    pub bytes_freed: u64,
}

fn rfc3339<S: serde::Serializer>(at: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.format(&time::format_description::well_known::Rfc3339).map_err(serde::ser::Error::custom)?)
}

/// Plans every repository of `repos`.
pub fn plan(repos: &[Repo], policy: &Policy, ages: &[&dyn AgeSource], now: OffsetDateTime) -> Plan {
    let repositories: Vec<RepoPlan> = repos.iter().map(|r| plan_repo(r, policy, ages, now)).collect();
    Plan {
        now,
        tags_removed: repositories.iter().map(|r| r.tags_removed).sum(),
        manifests_deleted: repositories.iter().map(|r| r.manifests_deleted).sum(),
        bytes_freed: repositories.iter().map(|r| r.bytes_freed).sum(),
        repositories,
    }
}

fn short(d: &Digest) -> String {
    format!("sha256:{}", d.hex().get(..12).unwrap_or(d.hex()))
}

fn accessory_kind(a: Accessory) -> Kind {
    match a {
        Accessory::Signature => Kind::Signature,
        Accessory::Attestation => Kind::Attestation,
        Accessory::Sbom => Kind::Sbom,
        Accessory::ReferrersIndex => Kind::ReferrersIndex,
    }
}

/// What an accessory is, in a reason.
fn accessory_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Signature => "signature",
        Kind::Attestation => "attestation",
        Kind::Sbom => "SBOM",
        Kind::ReferrersIndex => "referrers index",
        _ => "referrer",
    }
}

/// The relations between a repository's manifests.
struct Graph<'a> {
    repo: &'a Repo,
    /// Accessories of each subject, with what they are.
    accessories: BTreeMap<&'a Digest, Vec<(&'a Digest, Kind)>>,
    /// Accessory manifests whose subject the registry no longer has.
    orphans: Vec<(&'a Digest, Kind, &'a Digest)>,
    /// Manifests an index lists.
    listed: BTreeSet<&'a Digest>,
    /// Kinds known from how a manifest is reached (accessory tags, the referrers API).
    kinds: BTreeMap<&'a Digest, Kind>,
}

impl<'a> Graph<'a> {
    fn new(repo: &'a Repo) -> Self {
        let mut g = Graph { repo, accessories: BTreeMap::new(), orphans: Vec::new(), listed: BTreeSet::new(), kinds: BTreeMap::new() };
        let attach = |g: &mut Graph<'a>, subject: &'a Digest, accessory: &'a Digest, kind: Kind| {
            if repo.manifests.contains_key(subject) {
                let list = g.accessories.entry(subject).or_default();
                if !list.iter().any(|(d, _)| *d == accessory) {
                    list.push((accessory, kind));
                }
            } else if repo.missing.contains(subject) {
                g.orphans.push((accessory, kind, subject));
            }
        };
        for (tag, digest) in &repo.tags {
            if let Some((subject, kind)) = accessory_tag(tag) {
                if let Some((stored, _)) = repo.manifests.get_key_value(&subject) {
                    g.kinds.insert(digest, accessory_kind(kind));
                    attach(&mut g, stored, digest, accessory_kind(kind));
                } else if let Some(stored) = repo.missing.get(&subject) {
                    g.kinds.insert(digest, accessory_kind(kind));
                    attach(&mut g, stored, digest, accessory_kind(kind));
                }
            }
        }
        for (digest, m) in &repo.manifests {
            if let Some(subject) = &m.subject {
                attach(&mut g, subject, digest, Kind::Referrer);
            }
            for r in m.referrers.iter().filter(|r| repo.manifests.contains_key(*r)) {
                g.kinds.entry(r).or_insert(Kind::Referrer);
                attach(&mut g, digest, r, Kind::Referrer);
            }
            g.listed.extend(m.children.iter().filter(|c| repo.manifests.contains_key(*c)));
        }
        g
    }

    fn kind(&self, digest: &Digest) -> Kind {
        if let Some(k) = self.kinds.get(digest) {
            return *k;
        }
        match self.repo.manifests.get(digest) {
            Some(m) if m.subject.is_some() => Kind::Referrer,
            Some(m) if m.is_index() => Kind::Index,
            Some(m) if m.artifact_type.is_some() => Kind::Artifact,
            _ => Kind::Image,
        }
    }

    /// What `digest` brings along: index entries, then accessories.
    fn reaches(&self, digest: &'a Digest) -> Vec<(&'a Digest, String)> {
        let mut out = Vec::new();
        if let Some(m) = self.repo.manifests.get(digest) {
            out.extend(m.children.iter().filter(|c| self.repo.manifests.contains_key(*c)).map(|c| (c, format!("entry of index {}", short(digest)))));
        }
        for (a, kind) in self.accessories.get(digest).into_iter().flatten() {
            out.push((*a, format!("{} of {}", accessory_label(*kind), short(digest))));
        }
        out
    }

    /// Everything `roots` reach (roots included), with the reason each was reached.
    fn closure(&self, roots: Vec<(&'a Digest, String)>, stop: &BTreeSet<&'a Digest>) -> BTreeMap<&'a Digest, String> {
        let mut out: BTreeMap<&'a Digest, String> = BTreeMap::new();
        let mut queue: VecDeque<(&'a Digest, String)> = roots.into();
        while let Some((d, why)) = queue.pop_front() {
            if stop.contains(d) || out.contains_key(d) {
                continue;
            }
            out.insert(d, why);
            queue.extend(self.reaches(d));
        }
        out
    }
}

/// How one rule judges one tag: kept (why), or not (why not).
fn judge(rule: &Rule, age: &Age, rank: Option<(usize, usize)>, now: OffsetDateTime) -> Result<String, String> {
    let n = rule.number;
    if rule.keep_always {
        return Ok(format!("rule {n} keeps every tag it selects"));
    }
    let Some(days) = age.days(now) else {
        return Ok(format!("rule {n}: age unknown ({}), never deleted by age", age.note.as_deref().unwrap_or("no source")));
    };
    let mut why_not = Vec::new();
    if let Some(limit) = rule.keep_younger_than_days {
        if days < i64::from(limit) {
            return Ok(format!("rule {n}: {days} days old, keeps younger than {limit} days"));
        }
        why_not.push(format!("{days} days old, keeps younger than {limit} days"));
    }
    if let Some(keep) = rule.keep_most_recent {
        match rank {
            Some((r, of)) if r < keep as usize => return Ok(format!("rule {n}: #{} most recent of {of}, keeps {keep}", r + 1)),
            Some((r, of)) => why_not.push(format!("#{} most recent of {of}, keeps {keep}", r + 1)),
            None => why_not.push(format!("not ranked, keeps {keep}")),
        }
    }
    Err(format!("rule {n}: {}", why_not.join(", ")))
}

fn plan_repo(repo: &Repo, policy: &Policy, sources: &[&dyn AgeSource], now: OffsetDateTime) -> RepoPlan {
    let graph = Graph::new(repo);
    let mut ages: BTreeMap<Digest, Age> = BTreeMap::new();
    let mut age = |d: &Digest| -> Age { ages.entry(d.clone()).or_insert_with(|| age_of(sources, repo, d, now)).clone() };
    let ordinary: Vec<(&String, &Digest)> = repo.tags.iter().filter(|(t, _)| accessory_tag(t).is_none()).collect();
    let rules: Vec<&Rule> = policy.rules.iter().filter(|r| r.selects_repository(&repo.repository)).collect();

    // Per rule, the rank of each tag it selects among those of known age, newest first.
    let mut ranks: Vec<BTreeMap<&str, (usize, usize)>> = Vec::new();
    for rule in &rules {
        let mut dated: Vec<(OffsetDateTime, &str)> = ordinary.iter().filter(|(t, _)| rule.selects_tag(t)).filter_map(|(t, d)| age(d).created.map(|c| (c, t.as_str()))).collect();
        dated.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        let of = dated.len();
        ranks.push(dated.into_iter().enumerate().map(|(i, (_, t))| (t, (i, of))).collect());
    }

    let mut tags = Vec::new();
    for (tag, digest) in &ordinary {
        let a = age(digest);
        let verdict = if let Some(p) = policy.protected.iter().find(|p| p.matches(tag)) {
            Ok(format!("protected by '{}'", p.text()))
        } else if rules.is_empty() {
            Ok("no rule applies to the repository".to_owned())
        } else {
            let mut why_not = Vec::new();
            let mut kept = None;
            for (rule, rank) in rules.iter().zip(&ranks).filter(|(r, _)| r.selects_tag(tag)) {
                match judge(rule, &a, rank.get(tag.as_str()).copied(), now) {
                    Ok(why) => {
                        kept = Some(why);
                        break;
                    }
                    Err(why) => why_not.push(why),
                }
            }
            match kept {
                Some(why) => Ok(why),
                None if why_not.is_empty() => Err("no rule selects the tag".to_owned()),
                None => Err(why_not.join("; ")),
            }
        };
        let (keep, reason) = match verdict {
            Ok(r) => (true, r),
            Err(r) => (false, r),
        };
        tags.push(TagDecision { tag: (*tag).clone(), digest: digest.to_string(), keep, reason, age: a });
    }
    tags.sort_by(|a, b| b.age.created.cmp(&a.age.created).then(a.tag.cmp(&b.tag)));

    // Roots: what kept tags name and untagged manifests that stay; what removed tags name and old untagged ones.
    let digest_of = |t: &TagDecision| repo.tags.get_key_value(&t.tag).map(|(_, d)| d);
    let mut keep_roots: Vec<(&Digest, String)> = tags.iter().filter(|t| t.keep).filter_map(|t| digest_of(t).map(|d| (d, format!("tag {}", t.tag)))).collect();
    let mut delete_roots: Vec<(&Digest, String)> = tags.iter().filter(|t| !t.keep).filter_map(|t| digest_of(t).map(|d| (d, format!("tag {}: {}", t.tag, t.reason)))).collect();
    let tagged: BTreeSet<&Digest> = repo.tags.values().collect();
    let accessory: BTreeSet<&Digest> = graph.accessories.values().flatten().map(|(d, _)| *d).chain(graph.orphans.iter().map(|(d, _, _)| *d)).collect();
    for digest in repo.manifests.keys().filter(|d| !tagged.contains(d) && !graph.listed.contains(d) && !accessory.contains(d)) {
        let a = age(digest);
        match (policy.delete_untagged_older_than_days, a.days(now)) {
            (Some(limit), Some(days)) if days > i64::from(limit) => delete_roots.push((digest, format!("untagged, {days} days old, older than {limit} days"))),
            _ => keep_roots.push((digest, "untagged".to_owned())),
        }
    }
    for (digest, kind, subject) in &graph.orphans {
        delete_roots.push((*digest, format!("{} of {}, which the registry no longer has", accessory_label(*kind), short(subject))));
    }

    let kept = graph.closure(keep_roots, &BTreeSet::new());
    let kept_set: BTreeSet<&Digest> = kept.keys().copied().collect();
    let doomed = graph.closure(delete_roots, &kept_set);

    // Bytes: blobs kept manifests use are never freed.
    let mut used: BTreeSet<&Digest> = BTreeSet::new();
    for d in repo.manifests.keys().filter(|d| !doomed.contains_key(d)) {
        used.insert(d);
        used.extend(repo.manifests.get(d).into_iter().flat_map(|m| m.blobs.iter().map(|(b, _)| b)));
    }
    let mut order: Vec<(&Digest, &String)> = doomed.iter().map(|(d, w)| (*d, w)).collect();
    order.sort_by_key(|(d, _)| {
        let rank = match graph.kind(d) {
            Kind::Index => 1,
            Kind::Image | Kind::Artifact => 2,
            _ => 0,
        };
        (rank, *d)
    });
    let mut counted: BTreeSet<&Digest> = BTreeSet::new();
    let mut delete = Vec::new();
    for (digest, why) in order {
        let Some(m) = repo.manifests.get(digest) else { continue };
        let mut freed = Vec::new();
        let mut bytes = 0;
        for (blob, size) in std::iter::once((digest, m.size)).chain(m.blobs.iter().map(|(b, s)| (b, *s))) {
            if !used.contains(blob) && counted.insert(blob) {
                freed.push(blob.to_string());
                bytes += size;
            }
        }
        let names: Vec<String> = repo.tags.iter().filter(|(_, d)| *d == digest).map(|(t, _)| t.clone()).collect();
        delete.push(Deletion { digest: digest.to_string(), kind: graph.kind(digest), tags: names, reason: why.clone(), age: age(digest), bytes_freed: bytes, blobs_freed: freed });
    }

    // Tags to remove: the removed ordinary tags, and the accessory tags of what goes.
    let mut untag: Vec<TagRemoval> = Vec::new();
    for t in tags.iter().filter(|t| !t.keep) {
        let deleted = digest_of(t).is_some_and(|d| doomed.contains_key(d));
        untag.push(TagRemoval { tag: t.tag.clone(), digest: t.digest.clone(), manifest_deleted: deleted });
    }
    for (tag, digest) in repo.tags.iter().filter(|(t, _)| accessory_tag(t).is_some()) {
        let subject_goes = accessory_tag(tag).is_some_and(|(s, _)| doomed.contains_key(&s) || repo.missing.contains(&s));
        if doomed.contains_key(digest) || subject_goes {
            untag.push(TagRemoval { tag: tag.clone(), digest: digest.to_string(), manifest_deleted: doomed.contains_key(digest) });
        }
    }

    RepoPlan {
        repository: repo.name.clone(),
        tags_kept: tags.iter().filter(|t| t.keep).count(),
        tags_removed: untag.len(),
        manifests_kept: repo.manifests.len() - delete.len(),
        manifests_deleted: delete.len(),
        bytes_freed: delete.iter().map(|d| d.bytes_freed).sum(),
        tags,
        untag,
        delete,
    }
}
