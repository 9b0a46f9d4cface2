//! The scan worker: claim a job, scan its image, store what was found,
//! again until the queue is empty (or forever, polling). Any number of
//! workers share one store; each claim holds a lease, renewed while the
//! scan runs, and a job whose worker died is claimed again once its lease
//! runs out.

use std::time::Duration;

use temper_image::{OpenOptions, Source};
use temper_inventory::Inventory;
use temper_layer::Limits;
use temper_verdict::assessment::{Request, assess};
use temper_verdict::{CacheSettings, Reporter};

use crate::dashboard::Facts;
use crate::findings::{Changes, Lookups, Matcher};
use crate::fleet::{Fleet, Job, Resolve, Resolved};
use crate::Error;

/// What scanning one image gave the store.
pub struct Scanned {
    /// Its packages.
    pub inventory: Inventory,
    /// Its layers' diffIDs, base first.
    pub layers: Vec<String>,
    /// `os/arch[/variant]`.
    pub platform: Option<String>,
    /// The base it names (`org.opencontainers.image.base.name`), annotation or label.
    pub base_name: Option<String>,
    /// The base's digest (`org.opencontainers.image.base.digest`).
    pub base_digest: Option<String>,
    /// What its dashboard page shows beside packages and findings.
    pub facts: Facts,
}

/// Scans the image a job names.
pub trait Scan {
    /// The image `reference` names, which must be at `digest`.
    fn scan(&self, reference: &str, digest: &str) -> Result<Scanned, Error>;
}

/// The production [`Scan`] and [`Resolve`]: `temper_verdict`'s assessment
/// through the per-layer cache, so layers already read for another image
/// come from the cache, and a plain open for resolving.
pub struct Assessor<'a> {
    /// How to reach registries.
    pub open: &'a OpenOptions,
    /// The layer pass's limits.
    pub limits: &'a Limits,
    /// The per-layer cache (shared by every worker on a machine).
    pub cache: &'a CacheSettings,
    /// Told about layer passes and warnings.
    pub reporter: &'a dyn Reporter,
}

impl Scan for Assessor<'_> {
    fn scan(&self, reference: &str, digest: &str) -> Result<Scanned, Error> {
        // A registry image is read at the digest synced, whatever its tag
        // says now; a local source cannot be pinned, so it is checked.
        let pinned = matches!(Source::parse(reference), Ok(Source::Registry(_))).then_some(digest);
        let checks = temper_check::Settings::new(time::OffsetDateTime::now_utc().date());
        let request = Request {
            reference,
            digest: pinned,
            open: self.open,
            limits: self.limits,
            cache: self.cache,
            advisories: None,
            checks: &checks,
            secrets_allowed: &Default::default(),
            trust: Default::default(),
            dockerfile: None,
        };
        let assessed = assess(&request, self.reporter)?;
        let facts = Facts::of(&assessed.assessment);
        let found = assessed.assessment.image.digest.unwrap_or_default();
        if found != digest {
            return Err(Error::Input(format!("{reference} is now at {found}, not the {digest} the last sync queued; run `temper fleet sync` again")));
        }
        let base = assessed.assessment.image.base;
        Ok(Scanned {
            facts,
            base_name: base.as_ref().and_then(|b| b.name.clone()),
            base_digest: base.and_then(|b| b.digest),
            layers: assessed.assessment.layers.items.iter().filter_map(|l| l.digest.clone()).collect(),
            platform: assessed.assessment.image.platform,
            inventory: assessed.scanned.inventory,
        })
    }
}

impl Resolve for Assessor<'_> {
    fn resolve(&self, reference: &str) -> Result<Resolved, String> {
        let opened = temper_verdict::target::open(reference, self.open).map_err(|e| e.to_string())?;
        let digest = opened.image.manifest.as_ref().map(|m| m.digest.to_string()).ok_or_else(|| format!("{reference}: no manifest digest (a directory or an engine image); the fleet tracks images by digest"))?;
        Ok(Resolved { digest, platform: opened.image.platform().map(|p| p.to_string()) })
    }
}

/// How a worker runs.
#[derive(Clone, Debug)]
pub struct WorkOptions {
    /// Its name in the job records (`host:pid` by default in the CLI).
    pub owner: String,
    /// How long a claim holds before another worker may take the job
    /// over; renewed every third of it while the scan runs.
    pub lease: Duration,
    /// Stop when no job is waiting, instead of polling.
    pub exit_when_idle: bool,
    /// How long to wait between polls of an empty queue.
    pub poll: Duration,
}

/// What a worker did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct WorkReport {
    /// Images scanned and stored.
    pub scanned: usize,
    /// Jobs whose scan failed, with why.
    pub failed: Vec<(String, String)>,
    /// Jobs finished after another worker had taken them over (not stored).
    pub lost: usize,
    /// Findings opened and closed.
    #[serde(flatten)]
    pub changes: Changes,
}

/// Claims and processes jobs until the queue is empty (with
/// `exit_when_idle`) or forever. A scan that fails marks its job failed
/// and the worker goes on; a store or matching error stops it, its job
/// returned to the queue.
pub fn work(fleet: &mut Fleet, scanner: &dyn Scan, matcher: &Matcher<'_>, options: &WorkOptions, reporter: &dyn Reporter) -> Result<WorkReport, Error> {
    let lease = i64::try_from(options.lease.as_secs()).unwrap_or(i64::MAX / 2);
    let mut report = WorkReport::default();
    let mut keeper = fleet.reopen()?;
    // What matching read from the advisory DB, kept while jobs keep coming
    // (images of one sync share their bases' packages) and dropped when the
    // queue runs dry, so a DB updated between syncs is read afresh.
    let mut lookups = Lookups::default();
    loop {
        let Some(job) = fleet.claim(&options.owner, lease)? else {
            if options.exit_when_idle {
                return Ok(report);
            }
            lookups = Lookups::default();
            std::thread::sleep(options.poll);
            continue;
        };
        match scan_holding_lease(&mut keeper, &job, scanner, lease, options.lease / 3) {
            Ok(scanned) => match fleet.complete_cached(&job, &scanned, matcher, reporter, &mut lookups) {
                Ok(Some(changes)) => {
                    report.scanned += 1;
                    report.changes.add(&changes);
                }
                Ok(None) => report.lost += 1,
                Err(e) => {
                    fleet.release(&job)?;
                    return Err(e);
                }
            },
            Err(e) => {
                let why = one_line(&e);
                reporter.warn(&format!("{}@{}: {why}", job.reference, job.digest));
                fleet.fail(&job, &why)?;
                report.failed.push((job.reference, why));
            }
        }
    }
}

/// Scans `job`'s image while a second connection (`keeper`) renews its
/// lease every `every`, so a scan longer than the lease is not taken over
/// by another worker; a renewal that fails leaves the lease to run out.
fn scan_holding_lease(keeper: &mut Fleet, job: &Job, scanner: &dyn Scan, lease: i64, every: Duration) -> Result<Scanned, Error> {
    let (done, stop) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|s| {
        s.spawn(move || {
            while stop.recv_timeout(every) == Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
                if !matches!(keeper.renew(job, lease), Ok(true)) {
                    return;
                }
            }
        });
        let scanned = scanner.scan(&job.reference, &job.digest);
        drop(done);
        scanned
    })
}

/// `e` and its sources on one line (`IMAGE: layer 1 (…): uncompressed size
/// exceeds…`): the image alone does not say why its job failed.
fn one_line(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut last = text.clone();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if next != last {
            text.push_str(": ");
            text.push_str(&next);
        }
        last = next;
        source = s.source();
    }
    text
}
