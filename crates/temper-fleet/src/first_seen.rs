//! The fleet's first-seen records as a retention age source: a manifest
//! is as old as the first sync that saw it in its repository, which,
//! unlike the config's `created`, a reproducible build cannot fix at the
//! epoch. The fleet records the platform manifest an index resolves to,
//! so an index is as old as its newest entry the fleet has seen.

use std::collections::HashMap;

use temper_image::Digest;
use temper_retention::Repo;
use temper_retention::age::{AgeSource, Answer};
use time::OffsetDateTime;

use crate::{Error, Fleet};

/// First-seen times by (`host/repository`, digest).
#[derive(Clone, Debug, Default)]
pub struct FirstSeen {
    seen: HashMap<(String, String), i64>,
}

impl FirstSeen {
    /// Every (repository, digest) the store has seen, the earliest time for each.
    pub fn load(fleet: &mut Fleet) -> Result<FirstSeen, Error> {
        let mut seen = HashMap::new();
        for r in fleet.db().query("SELECT repository, digest, min(first_seen) FROM images GROUP BY repository, digest", &[])? {
            seen.insert((r.text(0)?, r.text(1)?), r.int(2)?);
        }
        Ok(FirstSeen { seen })
    }

    fn at(&self, repo: &Repo, digest: &Digest) -> Option<i64> {
        self.seen.get(&(repo.name.clone(), digest.to_string())).copied()
    }
}

impl AgeSource for FirstSeen {
    fn name(&self) -> &'static str {
        "fleet.first-seen"
    }

    fn age(&self, repo: &Repo, digest: &Digest, _now: OffsetDateTime) -> Answer {
        let at = self.at(repo, digest).or_else(|| repo.manifests.get(digest).and_then(|m| m.children.iter().filter_map(|c| self.at(repo, c)).max()));
        match at.map(OffsetDateTime::from_unix_timestamp) {
            Some(Ok(at)) => Answer::Known(at),
            Some(Err(_)) => Answer::Implausible(format!("fleet.first-seen of {digest} is out of range")),
            None => Answer::NoRecord,
        }
    }
}
