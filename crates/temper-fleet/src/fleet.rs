//! [`Fleet`]: the operations on the store — tracked references, sync,
//! the job queue, rematch and status — each one or a few transactions.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use temper_image::Source;
use temper_verdict::Reporter;

use crate::findings::{self, Changes, CloseReason, Matcher};
use crate::store::{Backend, Location, Value, transaction};
use crate::worker::Scanned;
use crate::{Error, schema};

/// The time operations record, in Unix seconds; tests fix it.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// An open fleet store.
pub struct Fleet {
    pub(crate) db: Box<dyn Backend>,
    location: Location,
    clock: Clock,
}

/// What [`Fleet::add`] did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AddOutcome {
    /// References recorded now.
    pub added: Vec<String>,
    /// References the store already tracked.
    pub known: Vec<String>,
}

/// The manifest a reference points at now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The manifest digest (the platform's, for an index).
    pub digest: String,
    /// `os/arch[/variant]`.
    pub platform: Option<String>,
}

/// Resolves a reference to the manifest it points at, without reading
/// its layers; `Err` is a one-line reason.
pub trait Resolve {
    /// `reference` (any source syntax) now.
    fn resolve(&self, reference: &str) -> Result<Resolved, String>;
}

/// What [`Fleet::sync`] did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SyncReport {
    /// References resolved.
    pub resolved: usize,
    /// (reference, digest) pairs seen for the first time.
    pub new_images: usize,
    /// Scan jobs queued (new digests, and failed ones retried).
    pub enqueued: usize,
    /// References that moved to another digest.
    pub moved: usize,
    /// References that could not be resolved, with why.
    pub failed: Vec<(String, String)>,
}

/// A claimed scan job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Job {
    /// Its id.
    pub id: i64,
    /// The reference to read it by.
    pub reference: String,
    /// The manifest digest to scan.
    pub digest: String,
    /// Claims so far, this one included.
    pub attempts: i64,
    /// The worker holding it.
    pub owner: String,
}

/// A job as the queue records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JobRecord {
    /// The manifest digest.
    pub digest: String,
    /// The reference it is read by.
    pub reference: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    /// Times claimed.
    pub attempts: i64,
    /// The worker that holds (or last held) it.
    pub lease_owner: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

/// A finding as the store records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FindingRecord {
    /// The image's reference.
    pub reference: String,
    /// Its digest.
    pub digest: String,
    /// The vulnerability (CVE when known).
    pub advisory: String,
    /// The package's purl.
    pub purl: String,
    /// Installed version.
    pub installed: String,
    /// The lowest fixed version, when known.
    pub fixed: Option<String>,
    /// Severity, upper case.
    pub severity: String,
    /// `open` or `closed`.
    pub status: String,
    /// Why it was closed.
    pub close_reason: Option<String>,
}

/// What [`Fleet::rematch`] did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RematchReport {
    /// Images matched again.
    pub images: usize,
    /// Findings opened and closed.
    #[serde(flatten)]
    pub changes: Changes,
}

/// One tracked image in [`Status`].
#[derive(Clone, Debug, Serialize)]
pub struct ImageStatus {
    /// As added.
    pub reference: String,
    /// The digest it points at.
    pub digest: String,
    /// `os/arch[/variant]`.
    pub platform: Option<String>,
    /// When temper first saw this digest under this reference (Unix seconds).
    pub first_seen: i64,
    /// When it was scanned; `None` while queued.
    pub scanned_at: Option<i64>,
    /// Open findings by severity.
    pub open: BTreeMap<String, i64>,
}

/// What [`Fleet::status`] reports.
#[derive(Clone, Debug, Serialize)]
pub struct Status {
    /// The store, password hidden.
    pub store: String,
    /// Its schema version.
    pub schema: i64,
    /// References tracked.
    pub references: i64,
    /// Each reference's current image.
    pub images: Vec<ImageStatus>,
    /// Open findings of current images by severity.
    pub open: BTreeMap<String, i64>,
    /// Closed findings by reason.
    pub closed: BTreeMap<String, i64>,
    /// Jobs by state.
    pub jobs: BTreeMap<String, i64>,
}

impl Fleet {
    /// Opens the store at `location`, applying missing migrations.
    pub fn open(location: &Location) -> Result<Fleet, Error> {
        let mut db = location.connect()?;
        schema::migrate(db.as_mut())?;
        Ok(Fleet { db, location: location.clone(), clock: Arc::new(crate::unix_now) })
    }

    /// The same store with time read from `clock`.
    pub fn with_clock(mut self, clock: Clock) -> Fleet {
        self.clock = clock;
        self
    }

    /// Where it is.
    pub fn location(&self) -> &Location {
        &self.location
    }

    pub(crate) fn now(&self) -> i64 {
        (self.clock)()
    }

    pub(crate) fn db(&mut self) -> &mut dyn Backend {
        self.db.as_mut()
    }

    /// Records `references` (any source syntax) to be synced. A
    /// repository glob is refused here: [`crate::expand`] turns it into
    /// references first, through the registry's catalog.
    pub fn add(&mut self, references: &[String]) -> Result<AddOutcome, Error> {
        for r in references {
            if crate::expand::is_glob(r) {
                return Err(Error::Input(format!("{r}: a repository glob; expand it into references through the registry catalog first (temper fleet add does)")));
            }
            Source::parse(r).map_err(|e| Error::Input(format!("{r}: not an image reference: {e}")))?;
        }
        let now = self.now();
        transaction(self.db.as_mut(), |db| {
            let mut outcome = AddOutcome::default();
            for r in references {
                match db.execute("INSERT INTO refs (reference, added_at) VALUES ($1, $2) ON CONFLICT (reference) DO NOTHING", &[r.into(), now.into()])? {
                    0 => outcome.known.push(r.clone()),
                    _ => outcome.added.push(r.clone()),
                }
            }
            Ok(outcome)
        })
    }

    /// Resolves every tracked reference; records the (reference, digest)
    /// pairs, marks each reference's current image (closing the open
    /// findings of a digest it left with [`CloseReason::ImageGone`]), and
    /// queues a scan only for a digest no job has scanned. A new reference
    /// to a digest scanned before gets that scan's packages and findings.
    pub fn sync(&mut self, resolver: &dyn Resolve) -> Result<SyncReport, Error> {
        let references: Vec<String> = self.db.query("SELECT reference FROM refs ORDER BY id", &[])?.iter().map(|r| r.text(0)).collect::<Result<_, _>>()?;
        let mut report = SyncReport::default();
        for reference in references {
            let resolved = match resolver.resolve(&reference) {
                Ok(r) => r,
                Err(why) => {
                    report.failed.push((reference, why));
                    continue;
                }
            };
            report.resolved += 1;
            let now = self.now();
            let (repository, tag) = names(&reference);
            transaction(self.db.as_mut(), |db| {
                let key = [Value::from(&reference), Value::from(&resolved.digest)];
                let existing = db.query("SELECT id FROM images WHERE reference = $1 AND digest = $2", &key)?.first().map(|r| r.int(0)).transpose()?;
                let image = match existing {
                    Some(id) => {
                        db.execute("UPDATE images SET last_synced = $1, current = 1 WHERE id = $2", &[now.into(), id.into()])?;
                        id
                    }
                    None => {
                        report.new_images += 1;
                        let row = db.query(
                            "INSERT INTO images (reference, repository, tag, digest, platform, current, first_seen, last_synced) VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING id",
                            &[(&reference).into(), repository.clone().into(), tag.clone().into(), (&resolved.digest).into(), resolved.platform.clone().into(), now.into()],
                        )?;
                        row.first().ok_or_else(|| Error::Store("an insert returned no id".into()))?.int(0)?
                    }
                };
                let left = db.query("SELECT id FROM images WHERE reference = $1 AND digest <> $2 AND current = 1", &key)?;
                if !left.is_empty() {
                    report.moved += 1;
                }
                for row in left {
                    let old = row.int(0)?;
                    db.execute("UPDATE images SET current = 0 WHERE id = $1", &[old.into()])?;
                    for finding in db.query("SELECT id FROM findings WHERE image_id = $1 AND status = 'open'", &[old.into()])? {
                        findings::close(db, finding.int(0)?, CloseReason::ImageGone, now)?;
                    }
                }
                let state = db.query("SELECT state FROM jobs WHERE digest = $1", &[(&resolved.digest).into()])?.first().map(|r| r.text(0)).transpose()?;
                match state.as_deref() {
                    None => {
                        report.enqueued += db.execute(
                            "INSERT INTO jobs (reference, digest, state, attempts, enqueued_at) VALUES ($1, $2, 'queued', 0, $3) ON CONFLICT (digest) DO NOTHING",
                            &[(&reference).into(), (&resolved.digest).into(), now.into()],
                        )? as usize;
                    }
                    Some("failed") => {
                        report.enqueued += db.execute(
                            "UPDATE jobs SET state = 'queued', reference = $1, lease_owner = NULL, lease_expires = NULL, error = NULL, enqueued_at = $2 WHERE digest = $3 AND state = 'failed'",
                            &[(&reference).into(), now.into(), (&resolved.digest).into()],
                        )? as usize;
                    }
                    Some("done") if existing.is_none() => copy_scan(db, image, &resolved.digest, now)?,
                    Some(_) => {}
                }
                Ok(())
            })?;
        }
        Ok(report)
    }

    /// Claims the oldest queued job, or one whose lease ran out (its worker
    /// died), for `lease_secs` seconds. On PostgreSQL other workers' claims
    /// are skipped, not waited for.
    pub fn claim(&mut self, owner: &str, lease_secs: i64) -> Result<Option<Job>, Error> {
        let now = self.now();
        let sql = format!(
            "UPDATE jobs SET state = 'running', lease_owner = $1, lease_expires = $2, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM jobs WHERE state = 'queued' OR (state = 'running' AND lease_expires < $3) ORDER BY id LIMIT 1 {}) \
             RETURNING id, reference, digest, attempts",
            self.db.dialect().skip_locked()
        );
        let rows = transaction(self.db.as_mut(), |db| db.query(&sql, &[owner.into(), (now + lease_secs).into(), now.into()]))?;
        rows.first().map(|r| Ok(Job { id: r.int(0)?, reference: r.text(1)?, digest: r.text(2)?, attempts: r.int(3)?, owner: owner.to_owned() })).transpose()
    }

    /// Stores what scanning `job` found, for every image of its digest,
    /// and marks it done. `None` when the job is no longer this worker's
    /// (its lease ran out and another worker claimed it): nothing is
    /// stored, so each digest is stored by one worker.
    pub fn complete(&mut self, job: &Job, scanned: &Scanned, matcher: &Matcher<'_>, reporter: &dyn Reporter) -> Result<Option<Changes>, Error> {
        self.complete_cached(job, scanned, matcher, reporter, &mut findings::Lookups::default())
    }

    /// [`Fleet::complete`], matching through `lookups`.
    pub(crate) fn complete_cached(&mut self, job: &Job, scanned: &Scanned, matcher: &Matcher<'_>, reporter: &dyn Reporter, lookups: &mut findings::Lookups) -> Result<Option<Changes>, Error> {
        let outcome = matcher.find_cached(&scanned.inventory, reporter, lookups)?;
        let facts = serde_json::to_string(&scanned.facts).map_err(|e| Error::Store(format!("cannot encode an image's facts as JSON: {e}")))?;
        let now = self.now();
        transaction(self.db.as_mut(), |db| {
            let mine = db.execute(
                "UPDATE jobs SET state = 'done', finished_at = $1, lease_expires = NULL, error = NULL WHERE id = $2 AND lease_owner = $3 AND state = 'running'",
                &[now.into(), job.id.into(), (&job.owner).into()],
            )?;
            if mine == 0 {
                return Ok(None);
            }
            let mut changes = Changes::default();
            for row in db.query("SELECT id FROM images WHERE digest = $1 ORDER BY id", &[(&job.digest).into()])? {
                let image = row.int(0)?;
                db.execute("DELETE FROM layers WHERE image_id = $1", &[image.into()])?;
                for (position, digest) in scanned.layers.iter().enumerate() {
                    db.execute("INSERT INTO layers (image_id, position, digest) VALUES ($1, $2, $3)", &[image.into(), (position as i64).into(), digest.into()])?;
                }
                findings::store_inventory(db, image, &scanned.inventory)?;
                db.execute(
                    "UPDATE images SET scanned_at = $1, platform = COALESCE($2, platform), base_name = $3, base_digest = $4, facts = $5 WHERE id = $6",
                    &[now.into(), scanned.platform.clone().into(), scanned.base_name.clone().into(), scanned.base_digest.clone().into(), facts.clone().into(), image.into()],
                )?;
                changes.add(&findings::reconcile(db, image, &outcome, matcher, now)?);
            }
            Ok(Some(changes))
        })
    }

    /// Extends `job`'s lease to `lease_secs` from now while its scan runs;
    /// `false` when the job is no longer this worker's.
    pub fn renew(&mut self, job: &Job, lease_secs: i64) -> Result<bool, Error> {
        let now = self.now();
        let n = self.db.execute("UPDATE jobs SET lease_expires = $1 WHERE id = $2 AND lease_owner = $3 AND state = 'running'", &[(now + lease_secs).into(), job.id.into(), (&job.owner).into()])?;
        Ok(n > 0)
    }

    /// The same store on a connection of its own, with the same clock.
    pub fn reopen(&self) -> Result<Fleet, Error> {
        Ok(Fleet { db: self.location.connect()?, location: self.location.clone(), clock: self.clock.clone() })
    }

    /// Marks `job` failed with `error`; the next sync queues it again.
    pub fn fail(&mut self, job: &Job, error: &str) -> Result<(), Error> {
        let now = self.now();
        self.db.execute(
            "UPDATE jobs SET state = 'failed', error = $1, finished_at = $2, lease_expires = NULL WHERE id = $3 AND lease_owner = $4 AND state = 'running'",
            &[error.into(), now.into(), job.id.into(), (&job.owner).into()],
        )?;
        Ok(())
    }

    /// Returns `job` to the queue unscanned (the worker is stopping).
    pub fn release(&mut self, job: &Job) -> Result<(), Error> {
        self.db.execute("UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires = NULL WHERE id = $1 AND lease_owner = $2 AND state = 'running'", &[job.id.into(), (&job.owner).into()])?;
        Ok(())
    }

    /// Matches every current image's stored inventory against `matcher`'s
    /// database again — no image is read — opening new findings and
    /// closing vanished ones with their reason.
    pub fn rematch(&mut self, matcher: &Matcher<'_>, reporter: &dyn Reporter) -> Result<RematchReport, Error> {
        let images: Vec<i64> = self.db.query("SELECT id FROM images WHERE current = 1 AND scanned_at IS NOT NULL ORDER BY id", &[])?.iter().map(|r| r.int(0)).collect::<Result<_, _>>()?;
        let mut report = RematchReport::default();
        let mut lookups = findings::Lookups::default();
        for image in images {
            let inventory = findings::load_inventory(self.db.as_mut(), image)?;
            let outcome = matcher.find_cached(&inventory, reporter, &mut lookups)?;
            let now = self.now();
            let changes = transaction(self.db.as_mut(), |db| findings::reconcile(db, image, &outcome, matcher, now))?;
            report.changes.add(&changes);
            report.images += 1;
        }
        Ok(report)
    }

    /// Counts: references, current images with their open findings,
    /// findings by severity and by close reason, jobs by state.
    pub fn status(&mut self) -> Result<Status, Error> {
        let db = self.db.as_mut();
        let count = |db: &mut dyn Backend, sql: &str| -> Result<BTreeMap<String, i64>, Error> { db.query(sql, &[])?.iter().map(|r| Ok((r.text(0)?, r.int(1)?))).collect() };
        let schema = db.query("SELECT max(version) FROM schema_migrations", &[])?.first().map(|r| r.opt_int(0)).transpose()?.flatten().unwrap_or(0);
        let references = db.query("SELECT count(*) FROM refs", &[])?.first().map(|r| r.int(0)).transpose()?.unwrap_or(0);
        let mut images: Vec<ImageStatus> = Vec::new();
        for r in db.query(
            "SELECT i.id, i.reference, i.digest, i.platform, i.first_seen, i.scanned_at, f.severity, count(f.id) FROM images i \
             LEFT JOIN findings f ON f.image_id = i.id AND f.status = 'open' WHERE i.current = 1 \
             GROUP BY i.id, i.reference, i.digest, i.platform, i.first_seen, i.scanned_at, f.severity ORDER BY i.reference, i.id",
            &[],
        )? {
            let reference = r.text(1)?;
            if images.last().is_none_or(|last| last.reference != reference) {
                images.push(ImageStatus { reference, digest: r.text(2)?, platform: r.opt_text(3)?, first_seen: r.int(4)?, scanned_at: r.opt_int(5)?, open: BTreeMap::new() });
            }
            if let (Some(severity), Some(image)) = (r.opt_text(6)?, images.last_mut()) {
                image.open.insert(severity, r.int(7)?);
            }
        }
        let open = count(db, "SELECT f.severity, count(*) FROM findings f JOIN images i ON i.id = f.image_id WHERE f.status = 'open' AND i.current = 1 GROUP BY f.severity")?;
        let closed = count(db, "SELECT close_reason, count(*) FROM findings WHERE status = 'closed' GROUP BY close_reason")?;
        let jobs = count(db, "SELECT state, count(*) FROM jobs GROUP BY state")?;
        Ok(Status { store: self.location.display(), schema, references, images, open, closed, jobs })
    }

    /// Every job, oldest first.
    pub fn jobs(&mut self) -> Result<Vec<JobRecord>, Error> {
        self.db
            .query("SELECT digest, reference, state, attempts, lease_owner, error FROM jobs ORDER BY id", &[])?
            .iter()
            .map(|r| Ok(JobRecord { digest: r.text(0)?, reference: r.text(1)?, state: r.text(2)?, attempts: r.int(3)?, lease_owner: r.opt_text(4)?, error: r.opt_text(5)? }))
            .collect()
    }

    /// Every finding, open and closed, by reference, advisory and package.
    pub fn findings(&mut self) -> Result<Vec<FindingRecord>, Error> {
        self.db
            .query(
                "SELECT i.reference, i.digest, f.advisory, f.purl, f.installed, f.fixed, f.severity, f.status, f.close_reason FROM findings f JOIN images i ON i.id = f.image_id \
                 ORDER BY i.reference, f.advisory, f.purl, f.id",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(FindingRecord {
                    reference: r.text(0)?,
                    digest: r.text(1)?,
                    advisory: r.text(2)?,
                    purl: r.text(3)?,
                    installed: r.text(4)?,
                    fixed: r.opt_text(5)?,
                    severity: r.text(6)?,
                    status: r.text(7)?,
                    close_reason: r.opt_text(8)?,
                })
            })
            .collect()
    }
}

/// Gives image `image` the layers, packages and open findings of another
/// image of `digest` already scanned.
fn copy_scan(db: &mut dyn Backend, image: i64, digest: &str, now: i64) -> Result<(), Error> {
    let Some(source) = db.query("SELECT id, os, scanned_at, base_name, base_digest, facts FROM images WHERE digest = $1 AND id <> $2 AND scanned_at IS NOT NULL ORDER BY id LIMIT 1", &[digest.into(), image.into()])?.into_iter().next() else {
        return Ok(());
    };
    let from = source.int(0)?;
    let ids = [Value::from(image), Value::from(from)];
    db.execute("INSERT INTO layers (image_id, position, digest) SELECT CAST($1 AS BIGINT), position, digest FROM layers WHERE image_id = $2", &ids)?;
    db.execute("INSERT INTO packages (image_id, ecosystem, name, version, purl, layer, record) SELECT CAST($1 AS BIGINT), ecosystem, name, version, purl, layer, record FROM packages WHERE image_id = $2 ORDER BY id", &ids)?;
    db.execute(
        "INSERT INTO findings (image_id, advisory, records, package, purl, installed, fixed, severity, status, opened_at, fix_known_at, fix_known_source) \
         SELECT CAST($1 AS BIGINT), advisory, records, package, purl, installed, fixed, severity, 'open', CAST($3 AS BIGINT), fix_known_at, fix_known_source FROM findings WHERE image_id = $2 AND status = 'open'",
        &[image.into(), from.into(), now.into()],
    )?;
    db.execute(
        "UPDATE images SET os = $1, scanned_at = $2, base_name = $3, base_digest = $4, facts = $5 WHERE id = $6",
        &[source.opt_text(1)?.into(), source.opt_int(2)?.into(), source.opt_text(3)?.into(), source.opt_text(4)?.into(), source.opt_text(5)?.into(), image.into()],
    )?;
    Ok(())
}

/// The repository and tag of `reference`, for listing and (later)
/// retention: a registry's `host/repo` and tag, a layout's or archive's
/// path and the tag it picks, else the reference itself.
fn names(reference: &str) -> (String, Option<String>) {
    match Source::parse(reference) {
        Ok(Source::Registry(r)) => (format!("{}/{}", r.registry, r.repository), r.tag),
        Ok(Source::OciDir { path, tag }) => (format!("oci:{}", path.display()), tag),
        Ok(Source::OciArchive { path, tag }) => (format!("oci-archive:{}", path.display()), tag),
        Ok(Source::DockerArchive { path, select }) => (format!("docker-archive:{}", path.display()), select),
        _ => (reference.to_owned(), None),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn repositories_and_tags_of_references() {
        assert_eq!(super::names("localhost:5000/app/web:1.2"), ("localhost:5000/app/web".into(), Some("1.2".into())));
        assert_eq!(super::names("oci:/srv/layout:v1"), ("oci:/srv/layout".into(), Some("v1".into())));
    }
}
