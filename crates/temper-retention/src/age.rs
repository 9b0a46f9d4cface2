//! How old an image is, and who says so.
//!
//! An [`AgeSource`] answers for one manifest; sources are asked in order
//! and the first that knows wins, so temper's own first-seen records (the
//! fleet store's, `fleet.first-seen`) stand before the config's `created`. When none
//! knows, the age is unknown, and an image of unknown age is never deleted
//! by a rule that needs an age: it is kept, and the plan says why. The plan
//! names the source of every age (`config.created`, `unknown`).
//!
//! `created` is ignored when it is implausible: before 2000 (the epoch,
//! 1980's zip epoch, cosign's year 1: the fixed dates of reproducible
//! builds) or more than a day ahead of now.

use serde::Serialize;
use temper_image::Digest;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::snapshot::Repo;

/// What one source says about one manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// It was created (or first seen) then.
    Known(OffsetDateTime),
    /// The source has a date, but it cannot be trusted: why.
    Implausible(String),
    /// The source has nothing for it.
    NoRecord,
}

/// A source of ages.
pub trait AgeSource {
    /// Its name in the plan (`config.created`).
    fn name(&self) -> &'static str;
    /// What it says about `digest` of `repo`, at `now`.
    fn age(&self, repo: &Repo, digest: &Digest, now: OffsetDateTime) -> Answer;
}

/// An age in the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Age {
    /// When, RFC 3339; `None` when unknown.
    #[serde(serialize_with = "rfc3339")]
    pub created: Option<OffsetDateTime>,
    /// Which source gave it (`config.created`), or `unknown`.
    pub source: String,
    /// Why it is unknown, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Age {
    /// Whole days from `created` to `now`.
    pub fn days(&self, now: OffsetDateTime) -> Option<i64> {
        self.created.map(|c| (now - c).whole_days())
    }
}

fn rfc3339<S: serde::Serializer>(at: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => s.serialize_some(&at.format(&Rfc3339).map_err(serde::ser::Error::custom)?),
        None => s.serialize_none(),
    }
}

/// The age of `digest`: the first source that knows, else unknown with
/// the reasons the sources gave.
pub fn age_of(sources: &[&dyn AgeSource], repo: &Repo, digest: &Digest, now: OffsetDateTime) -> Age {
    let mut notes = Vec::new();
    for source in sources {
        match source.age(repo, digest, now) {
            Answer::Known(at) => return Age { created: Some(at), source: source.name().to_owned(), note: None },
            Answer::Implausible(why) => notes.push(why),
            Answer::NoRecord => notes.push(format!("no {}", source.name())),
        }
    }
    Age { created: None, source: "unknown".to_owned(), note: Some(notes.join("; ")) }
}

/// `created` of the image config; for an index, the newest of its
/// entries' (an index is no older than what it lists).
pub struct ConfigCreated;

/// Dates before this are reproducible builds' fixed dates, not ages.
const PLAUSIBLE_FROM: i64 = 946_684_800; // 2000-01-01T00:00:00Z

impl AgeSource for ConfigCreated {
    fn name(&self) -> &'static str {
        "config.created"
    }

    fn age(&self, repo: &Repo, digest: &Digest, now: OffsetDateTime) -> Answer {
        let Some(m) = repo.manifests.get(digest) else { return Answer::NoRecord };
        if m.is_index() {
            let mut newest = None;
            let mut last = Answer::NoRecord;
            for child in &m.children {
                match self.age(repo, child, now) {
                    Answer::Known(at) => newest = newest.max(Some(at)),
                    other => last = other,
                }
            }
            return newest.map_or(last, Answer::Known);
        }
        let Some(text) = &m.created else { return Answer::NoRecord };
        match OffsetDateTime::parse(text, &Rfc3339) {
            Err(_) => Answer::Implausible(format!("config.created '{}' is not an RFC 3339 date", text.chars().take(64).collect::<String>())),
            Ok(at) if at.unix_timestamp() < PLAUSIBLE_FROM => Answer::Implausible(format!("config.created {text} is a fixed date (reproducible build), not an age")),
            Ok(at) if at > now + time::Duration::days(1) => Answer::Implausible(format!("config.created {text} is in the future")),
            Ok(at) => Answer::Known(at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Manifest;

    fn d(c: char) -> Digest {
        Digest::parse(&format!("sha256:{}", c.to_string().repeat(64))).unwrap()
    }

    #[test]
    fn created_is_trusted_only_when_plausible() {
        let now = OffsetDateTime::parse("2026-12-01T00:00:00Z", &Rfc3339).unwrap();
        let mut repo = Repo::default();
        for (c, created) in [('a', Some("2026-11-01T00:00:00Z")), ('b', Some("1970-01-01T00:00:00Z")), ('c', Some("0001-01-01T00:00:00Z")), ('e', Some("2030-01-01T00:00:00Z")), ('f', None), ('1', Some("yesterday"))] {
            repo.manifests.insert(d(c), Manifest { media_type: "application/vnd.oci.image.manifest.v1+json".into(), created: created.map(str::to_owned), ..Manifest::default() });
        }
        let age = |c| age_of(&[&ConfigCreated], &repo, &d(c), now);
        assert_eq!(age('a').days(now), Some(30));
        assert_eq!(age('a').source, "config.created");
        for c in ['b', 'c', 'e', 'f', '1'] {
            let a = age(c);
            assert_eq!((a.created, a.source.as_str()), (None, "unknown"), "{c}");
        }
        assert!(age('b').note.unwrap().contains("reproducible"));
        assert!(age('e').note.unwrap().contains("future"));
        assert_eq!(age('f').note.unwrap(), "no config.created");
        // An index is as old as its newest entry.
        repo.manifests.insert(d('9'), Manifest { media_type: "application/vnd.oci.image.index.v1+json".into(), children: vec![d('b'), d('a')], ..Manifest::default() });
        assert_eq!(age_of(&[&ConfigCreated], &repo, &d('9'), now).days(now), Some(30));
    }
}
