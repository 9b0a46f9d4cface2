//! NuGet versions: one to four numbers (`1.2` is `1.2.0.0`; leading zeros
//! allowed, as NuGet's legacy versions have them), then an optional
//! SemVer 2.0 pre-release after `-`, compared as SemVer does but without
//! regard to case, and build metadata after `+` that takes no part.

use std::cmp::Ordering;

use super::{numeric, VersionError, VersionScheme};

pub struct NuGet;

struct Parsed<'a> {
    numbers: [&'a str; 4],
    pre: Option<Vec<&'a str>>,
}

fn parse(v: &str) -> Result<Parsed<'_>, VersionError> {
    let err = |reason: &str| VersionError::new("nuget", v, reason);
    let s = v.trim();
    let s = s.split_once('+').map_or(s, |(before, meta)| if meta.is_empty() { "" } else { before });
    let (release, pre) = match s.split_once('-') {
        Some((r, p)) => (r, Some(p)),
        None => (s, None),
    };
    let parts: Vec<&str> = release.split('.').collect();
    if parts.len() > 4 || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return Err(err("one to four numbers separated by dots"));
    }
    let mut numbers = ["0"; 4];
    numbers[..parts.len()].copy_from_slice(&parts);
    let pre = pre
        .map(|p| {
            let ids: Vec<&str> = p.split('.').collect();
            if ids.iter().any(|i| i.is_empty() || !i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')) {
                return Err(err("the pre-release is dot-separated letters, digits and '-'"));
            }
            Ok(ids)
        })
        .transpose()?;
    Ok(Parsed { numbers, pre })
}

fn identifier_cmp(a: &str, b: &str) -> Ordering {
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    match (digits(a), digits(b)) {
        (true, true) => numeric(a, b),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase()),
    }
}

impl VersionScheme for NuGet {
    fn id(&self) -> &'static str {
        "nuget"
    }
    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        let (a, b) = (parse(a)?, parse(b)?);
        for (x, y) in a.numbers.iter().zip(&b.numbers) {
            let o = numeric(x, y);
            if o != Ordering::Equal {
                return Ok(o);
            }
        }
        Ok(match (&a.pre, &b.pre) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => x.iter().zip(y).map(|(x, y)| identifier_cmp(x, y)).find(|o| *o != Ordering::Equal).unwrap_or_else(|| x.len().cmp(&y.len())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check_vectors;
    use super::*;

    #[test]
    fn nuget_vectors() {
        check_vectors(
            &NuGet,
            &[
                ("1.0", "=", "1.0.0.0"),
                ("1.01", "=", "1.1"),
                ("1.0.0.1", ">", "1.0.0"),
                ("4.3.0", "<", "4.3.1"),
                ("1.0.0-alpha", "<", "1.0.0"),
                ("1.0.0-Alpha", "=", "1.0.0-alpha"),
                ("1.0.0-alpha.1", "<", "1.0.0-alpha.beta"),
                ("1.0.0-beta.2", "<", "1.0.0-beta.11"),
                ("1.0.0-rc.1", "<", "1.0.0"),
                ("1.0.0+abc", "=", "1.0.0"),
                ("13.0.1", ">", "12.0.3"),
                ("6.0.0-preview.7.21377.19", "<", "6.0.0-rc.1.21451.13"),
            ],
        );
        for bad in ["", "1.2.3.4.5", "a.b", "1.0-", "1..0", "1.0.0-al_pha", "1.0+"] {
            assert!(NuGet.validate(bad).is_err(), "{bad}");
        }
    }
}
