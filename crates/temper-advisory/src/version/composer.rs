//! Composer (Packagist) versions, as Composer normalises them and PHP's
//! `version_compare` orders them: up to four numbers (`v1.2` is
//! `1.2.0.0`), then an optional stability (`dev` < `alpha`/`a` <
//! `beta`/`b` < `RC` < the release < `patch`/`pl`/`p`) with numbers of its
//! own (`beta2`, `RC1.1`), then an optional `-dev`, which sorts just below
//! what it follows (`1.0.0-beta2-dev` < `1.0.0-beta2`). Branch names
//! (`dev-main`) name no point in the order and are refused.

use std::cmp::Ordering;

use super::{numeric, VersionError, VersionScheme};

pub struct Composer;

#[derive(Debug)]
struct Parsed<'a> {
    numbers: [&'a str; 4],
    /// 0 dev, 1 alpha, 2 beta, 3 RC, 4 release, 5 patch.
    stability: u8,
    stability_numbers: Vec<&'a str>,
    dev: bool,
}

fn stability_rank(word: &str) -> Option<u8> {
    Some(match word.to_ascii_lowercase().as_str() {
        "dev" => 0,
        "alpha" | "a" => 1,
        "beta" | "b" => 2,
        "rc" => 3,
        "stable" => 4,
        "patch" | "pl" | "p" => 5,
        _ => return None,
    })
}

fn parse(v: &str) -> Result<Parsed<'_>, VersionError> {
    let err = |reason: &str| VersionError::new("composer", v, reason);
    let s = v.trim();
    let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
    // Build metadata takes no part in the order.
    let s = s.split_once('+').map_or(s, |(before, _)| before);
    let digits_end = |t: &str| t.bytes().position(|b| !b.is_ascii_digit()).unwrap_or(t.len());
    let mut numbers = ["0"; 4];
    let mut rest = s;
    for (i, slot) in numbers.iter_mut().enumerate() {
        if i > 0 {
            match rest.strip_prefix('.') {
                Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => rest = r,
                _ => break,
            }
        }
        let end = digits_end(rest);
        if end == 0 {
            return Err(err("must start with a number"));
        }
        *slot = &rest[..end];
        rest = &rest[end..];
    }
    // The stability: an optional separator, a word, optional numbers.
    let mut stability = 4;
    let mut stability_numbers = Vec::new();
    let mut dev = false;
    let modifier = rest.trim_start_matches(['.', '-', '_']);
    if !modifier.is_empty() {
        let word_end = modifier.bytes().position(|b| !b.is_ascii_alphabetic()).unwrap_or(modifier.len());
        let rank = stability_rank(&modifier[..word_end]).ok_or_else(|| err("unknown stability; expected dev, alpha, beta, RC, stable or patch"))?;
        rest = &modifier[word_end..];
        if rank == 0 {
            stability = 0;
        } else {
            stability = rank;
            loop {
                let after = rest.strip_prefix(['.', '-']).unwrap_or(rest);
                let end = digits_end(after);
                if end == 0 {
                    break;
                }
                stability_numbers.push(&after[..end]);
                rest = &after[end..];
            }
            if let Some(r) = rest.strip_prefix(['.', '-']).unwrap_or(rest).strip_prefix("dev").or_else(|| rest.strip_prefix(['.', '-']).unwrap_or(rest).strip_prefix("DEV")) {
                dev = true;
                rest = r;
            }
        }
        if !rest.is_empty() {
            return Err(err("unexpected characters after the stability"));
        }
    }
    Ok(Parsed { numbers, stability, stability_numbers, dev })
}

fn numbers_cmp(a: &[&str], b: &[&str]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = numeric(x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    // A further number makes a later version (`beta2` > `beta`).
    a.len().cmp(&b.len())
}

impl VersionScheme for Composer {
    fn id(&self) -> &'static str {
        "composer"
    }
    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        let (a, b) = (parse(a)?, parse(b)?);
        Ok(numbers_cmp(&a.numbers, &b.numbers)
            .then(a.stability.cmp(&b.stability))
            .then_with(|| numbers_cmp(&a.stability_numbers, &b.stability_numbers))
            .then(b.dev.cmp(&a.dev)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check_vectors;
    use super::*;

    #[test]
    fn composer_vectors() {
        check_vectors(
            &Composer,
            &[
                ("1.0.0", "=", "v1.0"),
                ("1.0.0", "=", "1.0.0.0"),
                ("1.0.0", "=", "1.0.0-stable"),
                ("1.0.0-dev", "<", "1.0.0-alpha"),
                ("1.0.0-alpha", "=", "1.0.0-a"),
                ("1.0.0-alpha1", "<", "1.0.0-beta"),
                ("1.0.0-beta", "<", "1.0.0-beta2"),
                ("1.0.0-beta2", "<", "1.0.0-beta.10"),
                ("1.0.0-beta2-dev", "<", "1.0.0-beta2"),
                ("1.0.0-beta-dev", "<", "1.0.0-beta2"),
                ("1.0.0-RC1", "=", "1.0.0rc1"),
                ("1.0.0-RC1", "<", "1.0.0"),
                ("1.0.0", "<", "1.0.0-patch1"),
                ("1.0.0-pl1", "=", "1.0.0-p1"),
                ("1.0.0", "<", "1.0.0.1"),
                ("2.4.10", ">", "2.4.9"),
                ("5.4.31", "<", "5.4.46"),
                ("1.0.0+build5", "=", "1.0.0"),
                ("20240101", ">", "2023.12.31"),
            ],
        );
        for bad in ["", "dev-main", "1.0.0-foo", "1.2.3.4.5", "x1", "1.0.0-beta2x"] {
            assert!(Composer.validate(bad).is_err(), "{bad}");
        }
    }
}
