//! `eol-os`: the image's OS release still has standard security support.
//!
//! Past that date the distribution's own security team stops publishing
//! fixes, so every new vulnerability in the base stays open (and
//! vulnerability scanners, which match against the distribution's feed,
//! go quiet rather than red). With no support left at all that is
//! **high**. While the distribution's extended support still runs
//! (Debian LTS, Ubuntu Pro, Red Hat ELS) fixes may still come, though for
//! fewer packages or with a subscription the image's package sources
//! rarely have: the check still fails, at **medium**, and says until when
//! extended support runs.
//!
//! The dates come from `data/eol.toml` (sources and how it was checked in
//! `data/SOURCES.md`), compiled in and parsed when the check runs. The
//! release is found by os-release `ID` and `VERSION_ID`, cut as the
//! distribution versions its support: Debian and the RHEL family by major
//! version, Alpine by major.minor (`3.20.1` is 3.20), Ubuntu and Amazon
//! Linux as written. Support includes its last day. The check skips when
//! the image has no OS release, no `VERSION_ID` (Debian testing and
//! unstable), or a release the table does not list.

use serde::Deserialize;
use time::{Date, Month};

use crate::{Check, Context, Outcome, Profile, Severity};

/// See the module documentation.
pub struct EolOs;

/// The table, as kept in the repository.
const TABLE: &str = include_str!("../../data/eol.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    distro: Vec<Distro>,
    release: Vec<Release>,
}

/// How one distribution is matched and named.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Distro {
    /// os-release `ID`.
    id: String,
    /// Its name in messages.
    name: String,
    /// How `VERSION_ID` is cut: `major`, `major.minor` or `exact`.
    version_key: String,
    /// What its extended support is called.
    extended_name: Option<String>,
}

/// One release and its dates (`YYYY-MM-DD`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Release {
    distro: String,
    version: String,
    name: String,
    /// Matches only when `PRETTY_NAME` contains this (CentOS Stream and
    /// CentOS Linux share `ID` and `VERSION_ID`).
    pretty_name_contains: Option<String>,
    released: String,
    standard_end: String,
    extended_end: Option<String>,
    source: String,
}

fn parse_table() -> Result<Table, String> {
    toml::from_str(TABLE).map_err(|e| e.to_string())
}

fn date(s: &str) -> Result<Date, String> {
    let bad = || format!("'{s}' is not a YYYY-MM-DD date");
    let mut parts = s.splitn(3, '-').map(str::parse::<u32>);
    let (Some(Ok(y)), Some(Ok(m)), Some(Ok(d))) = (parts.next(), parts.next(), parts.next()) else { return Err(bad()) };
    let month = u8::try_from(m).ok().and_then(|m| Month::try_from(m).ok()).ok_or_else(bad)?;
    let year = i32::try_from(y).map_err(|_| bad())?;
    Date::from_calendar_date(year, month, u8::try_from(d).map_err(|_| bad())?).map_err(|_| bad())
}

/// `VERSION_ID` cut as `key` says; `None` when it has too few parts.
fn version_key(version_id: &str, key: &str) -> Option<String> {
    let parts: Vec<&str> = version_id.split('.').collect();
    match key {
        "major" => parts.first().map(|p| (*p).to_owned()),
        "major.minor" => (parts.len() >= 2).then(|| format!("{}.{}", parts[0], parts[1])),
        _ => Some(version_id.to_owned()),
    }
}

impl Check for EolOs {
    fn id(&self) -> &'static str {
        "eol-os"
    }
    fn title(&self) -> &'static str {
        "OS release still supported"
    }
    fn severity(&self, _: Profile) -> Severity {
        Severity::High
    }
    fn remediation(&self) -> &'static str {
        "Rebuild on a supported release of the base (for example `FROM debian:13`), or on a base image whose vendor still ships fixes for this one."
    }
    fn run(&self, cx: &Context<'_>) -> Outcome {
        let Some(os) = &cx.inventory.os else { return Outcome::skip("no OS release found in the image") };
        let table = match parse_table() {
            Ok(t) => t,
            Err(e) => return Outcome::skip(format!("the built-in end-of-life table does not parse: {e}")),
        };
        let Some(distro) = table.distro.iter().find(|d| d.id == os.id) else {
            return Outcome::skip(format!("no end-of-life data for the OS '{}'", os.id));
        };
        let Some(version_id) = os.version_id.as_deref() else {
            return Outcome::skip(format!("{} without a VERSION_ID (a testing or rolling release?) cannot be dated", distro.name));
        };
        let key = version_key(version_id, &distro.version_key);
        let pretty = os.pretty_name.as_deref().unwrap_or("");
        let mut rows: Vec<&Release> = table
            .release
            .iter()
            .filter(|r| r.distro == distro.id && Some(&r.version) == key.as_ref())
            .filter(|r| r.pretty_name_contains.as_deref().is_none_or(|p| pretty.contains(p)))
            .collect();
        // The row that names a variant is the more specific one.
        rows.sort_by_key(|r| r.pretty_name_contains.is_none());
        let Some(r) = rows.first() else {
            return Outcome::skip(format!("{} {version_id} is not in the end-of-life table", distro.name));
        };
        let release = format!("{} {} ({})", distro.name, r.version, r.name);
        let (standard, extended) = match (date(&r.standard_end), r.extended_end.as_deref().map(date).transpose()) {
            (Ok(s), Ok(e)) => (s, e),
            (Err(e), _) | (_, Err(e)) => return Outcome::skip(format!("the end-of-life table's row for {release} is broken: {e}")),
        };
        let today = cx.settings.today;
        if today <= standard {
            return Outcome::pass(format!("{release} has standard support until {standard}"));
        }
        let extended_name = distro.extended_name.as_deref().unwrap_or("extended support");
        let (after, severity) = match extended {
            Some(e) if today <= e => (format!("; {extended_name} runs until {e}"), Severity::Medium),
            Some(e) => (format!("; {extended_name} ended on {e} too"), Severity::High),
            None => (String::new(), Severity::High),
        };
        Outcome::fail(
            format!("{release} reached the end of standard support on {standard}{after}"),
            vec![format!("released {}, source {}", r.released, r.source)],
        )
        .at(severity)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{TestImage, day};
    use super::*;
    use crate::Status;
    use time::Month::*;

    fn on(today: Date, id: &str, version: Option<&str>, pretty: Option<&str>) -> Outcome {
        let mut image = TestImage::new().os(id, version, pretty);
        image.settings.today = today;
        image.run(&EolOs)
    }

    #[test]
    fn the_table_parses_and_every_row_is_sound() {
        let t = parse_table().unwrap();
        for r in &t.release {
            let d = t.distro.iter().find(|d| d.id == r.distro).unwrap_or_else(|| panic!("{}: unknown distro {}", r.name, r.distro));
            assert!(["major", "major.minor", "exact"].contains(&d.version_key.as_str()), "{}", d.id);
            let (released, standard) = (date(&r.released).unwrap(), date(&r.standard_end).unwrap());
            assert!(released < standard, "{} {}", r.distro, r.version);
            if let Some(e) = &r.extended_end {
                assert!(standard <= date(e).unwrap(), "{} {}", r.distro, r.version);
            }
            assert!(r.source.starts_with("https://"), "{} {}", r.distro, r.version);
            let twins = t.release.iter().filter(|o| o.distro == r.distro && o.version == r.version && o.pretty_name_contains == r.pretty_name_contains);
            assert_eq!(twins.count(), 1, "{} {} listed twice", r.distro, r.version);
        }
        for id in ["debian", "ubuntu", "alpine", "rhel", "centos", "rocky", "almalinux", "ol", "amzn"] {
            assert!(t.distro.iter().any(|d| d.id == id), "{id}");
        }
    }

    #[test]
    fn the_last_day_of_support_is_still_supported() {
        let o = on(day(2026, June, 10), "debian", Some("12"), None);
        assert_eq!((o.status, o.message.as_str()), (Status::Pass, "Debian 12 (bookworm) has standard support until 2026-06-10"));
        let o = on(day(2026, June, 11), "debian", Some("12"), None);
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.message, "Debian 12 (bookworm) reached the end of standard support on 2026-06-10; Debian LTS runs until 2028-06-30");
        assert_eq!(o.severity, Some(Severity::Medium), "extended support still runs");
        assert_eq!(o.details, ["released 2023-06-10, source https://wiki.debian.org/DebianReleases"]);
    }

    #[test]
    fn extended_support_that_ended_is_said() {
        let o = on(day(2026, November, 15), "debian", Some("10"), None);
        assert_eq!(o.message, "Debian 10 (buster) reached the end of standard support on 2022-09-10; Debian LTS ended on 2024-06-30 too");
        assert_eq!(o.severity, Some(Severity::High));
    }

    #[test]
    fn alpine_matches_on_major_minor() {
        let o = on(day(2026, November, 15), "alpine", Some("3.22.2"), None);
        assert_eq!((o.status, o.message.as_str()), (Status::Pass, "Alpine Linux 3.22 (v3.22) has standard support until 2027-05-01"));
        assert_eq!(on(day(2026, November, 15), "alpine", Some("3.18.4"), None).status, Status::Fail);
        assert_eq!(on(day(2026, November, 15), "alpine", Some("3"), None).status, Status::Skip);
    }

    #[test]
    fn rhel_family_matches_on_major_and_centos_stream_apart() {
        let o = on(day(2026, November, 15), "rocky", Some("9.4"), None);
        assert_eq!(o.status, Status::Pass);
        let linux = on(day(2023, January, 1), "centos", Some("8"), Some("CentOS Linux 8"));
        assert_eq!(linux.message, "CentOS 8 (CentOS Linux 8) reached the end of standard support on 2021-12-31");
        let stream = on(day(2023, January, 1), "centos", Some("8"), Some("CentOS Stream 8"));
        assert_eq!(stream.message, "CentOS 8 (CentOS Stream 8) has standard support until 2024-05-31");
    }

    #[test]
    fn distroless_reads_as_debian() {
        let o = on(day(2025, January, 1), "debian", Some("12"), Some("Distroless"));
        assert_eq!(o.status, Status::Pass);
    }

    #[test]
    fn unknown_releases_skip() {
        let o = TestImage::new().run(&EolOs);
        assert_eq!((o.status, o.message.as_str()), (Status::Skip, "no OS release found in the image"));
        let o = on(day(2026, November, 15), "plan9", Some("4"), None);
        assert_eq!(o.message, "no end-of-life data for the OS 'plan9'");
        let o = on(day(2026, November, 15), "debian", None, Some("Debian GNU/Linux trixie/sid"));
        assert_eq!(o.message, "Debian without a VERSION_ID (a testing or rolling release?) cannot be dated");
        let o = on(day(2026, November, 15), "ubuntu", Some("99.04"), None);
        assert_eq!((o.status, o.message.as_str()), (Status::Skip, "Ubuntu 99.04 is not in the end-of-life table"));
    }

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(date("2026-06-10").unwrap(), day(2026, June, 10));
        assert!(date("2026-13-01").is_err());
        assert!(date("2026-02-30").is_err());
        assert!(date("soon").is_err());
    }
}
