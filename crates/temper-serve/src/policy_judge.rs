//! The [`Judge`] `temper serve` runs: each image resolved in its registry,
//! assessed through the per-layer cache and judged by the policy with
//! [`temper_verdict::gate`], the same orchestration `temper gate` runs. An
//! image the policy exempts (or lets pass when no scope selects it) is
//! never looked up.
//!
//! The advisory database is SQLite, one connection per thread at a time:
//! connections are pooled, opened as blocking judges need them.

use std::path::PathBuf;
use std::sync::Mutex;

use temper_advisory::db::AdvisoryDb;
use temper_check::secrets::AllowList;
use temper_image::{OpenOptions, RegistryRef};
use temper_layer::Limits;
use temper_policy::{Policy, RuleStatus, Status};
use temper_verdict::assessment::{Advisories, Request};
use temper_verdict::{CacheSettings, Silent, advisories};

use crate::judge::{Decision, ImageVerdict, Judge, JudgeError};

/// Everything a [`PolicyJudge`] assesses with.
pub struct Settings {
    /// The policy.
    pub policy: Policy,
    /// The advisory database file.
    pub db: PathBuf,
    /// How images are read (registry options, credentials, platform).
    pub open: OpenOptions,
    /// The layer pass's limits.
    pub limits: Limits,
    /// The per-layer cache.
    pub cache: CacheSettings,
    /// Secrets reviewed and allowed.
    pub secrets_allowed: AllowList,
}

/// Judges images by a policy; see the module documentation.
pub struct PolicyJudge {
    settings: Settings,
    generation: String,
    pool: Mutex<Vec<AdvisoryDb>>,
}

impl PolicyJudge {
    /// Opens the database once (so a missing or damaged one fails at start,
    /// not at the first review) and fixes the cache generation: the
    /// policy's digest and the database's last update.
    pub fn new(settings: Settings) -> Result<Self, temper_verdict::Error> {
        let db = advisories::open_existing(&settings.db)?;
        let updated = db.updated()?.unwrap_or(0);
        let generation = format!("{}:{updated}", settings.policy.digest());
        Ok(PolicyJudge { settings, generation, pool: Mutex::new(vec![db]) })
    }

    fn take_db(&self) -> Result<AdvisoryDb, JudgeError> {
        let pooled = self.pool.lock().ok().and_then(|mut p| p.pop());
        match pooled {
            Some(db) => Ok(db),
            None => advisories::open_existing(&self.settings.db).map_err(|e| JudgeError::Other(e.to_string())),
        }
    }

    fn give_db(&self, db: AdvisoryDb) {
        if let Ok(mut p) = self.pool.lock() {
            p.push(db);
        }
    }
}

fn registry_ref(image: &str) -> Result<RegistryRef, JudgeError> {
    RegistryRef::parse(image).map_err(|e| JudgeError::Reference(e.to_string()))
}

/// One line per rule: `rule: reason`.
fn lines(verdict: &temper_policy::Verdict, status: RuleStatus) -> Vec<String> {
    verdict.results.iter().filter(|r| r.status == status).map(|r| format!("{}: {}", r.rule, r.reason)).collect()
}

impl Judge for PolicyJudge {
    fn exempt(&self, image: &str, namespace: &str) -> bool {
        self.settings.policy.decide_unassessed(image, Some(namespace)).is_some_and(|v| v.status == Status::Pass)
    }

    fn resolve(&self, image: &str) -> Result<String, JudgeError> {
        let reference = registry_ref(image)?;
        temper_image::registry::resolve_digest(&reference, &self.settings.open).map(|d| d.to_string()).map_err(|e| JudgeError::Registry(e.to_string()))
    }

    fn judge(&self, image: &str, digest: &str, namespace: &str, _dry_run: bool) -> Result<ImageVerdict, JudgeError> {
        // Judging records nothing outside the process (the layer cache only
        // saves work), so a dry run is judged like any other review.
        registry_ref(image)?;
        let db = self.take_db()?;
        let suppressions = Default::default();
        let today = time::OffsetDateTime::now_utc().date();
        let checks = temper_check::Settings::new(today);
        let request = Request {
            reference: image,
            digest: Some(digest),
            open: &self.settings.open,
            limits: &self.settings.limits,
            cache: &self.settings.cache,
            advisories: Some(Advisories { db: &db, source: format!("the advisory database {}", self.settings.db.display()), suppressions: &suppressions, allow_partial: false, filter: Default::default() }),
            checks: &checks,
            secrets_allowed: &self.settings.secrets_allowed,
            trust: Default::default(),
            dockerfile: None,
        };
        let gated = temper_verdict::gate::gate(request, &self.settings.policy, Some(namespace), &Silent);
        self.give_db(db);
        let gated = gated.map_err(|e| match e {
            temper_verdict::Error::Image(e) => JudgeError::Registry(e.to_string()),
            e => JudgeError::Other(e.to_string()),
        })?;
        let verdict = gated.verdict;
        let decision = match verdict.status {
            Status::Pass => Decision::Allow,
            Status::Warn => Decision::Warn,
            Status::Fail => Decision::Deny,
        };
        Ok(ImageVerdict { decision, denials: lines(&verdict, RuleStatus::Fail), warnings: lines(&verdict, RuleStatus::Warn), digest: digest.to_owned() })
    }

    fn generation(&self) -> String {
        self.generation.clone()
    }

    fn ready(&self) -> bool {
        // Built only once the policy and database are loaded.
        true
    }
}
