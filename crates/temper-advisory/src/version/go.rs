//! Go module versions: semantic versions with a `v` prefix, where
//! `+incompatible` marks a v2+ module without a go.mod (it does not take
//! part in the order) and pseudo-versions (`v0.0.0-20200101120000-abcdef123456`)
//! are pre-releases that order by their timestamp. The Go toolchain's own
//! versions (`go1.21.3`, `1.20`, `1.21rc2`), which the standard library is
//! matched by, are read as `1.21.3`, `1.20.0` and `1.21.0-rc.2`.

use std::cmp::Ordering;

use super::{VersionError, VersionScheme};

pub struct Go;

/// `1.21rc2` → `1.21.0-rc.2`; `1.20` → `1.20.0`; anything else unchanged.
fn toolchain(v: &str) -> Option<String> {
    let v = v.strip_prefix("go").unwrap_or(v);
    let split = v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len());
    let (release, pre) = v.split_at(split);
    let parts: Vec<&str> = release.split('.').collect();
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let mut out = parts.join(".");
    for _ in parts.len()..3 {
        out.push_str(".0");
    }
    if !pre.is_empty() {
        let digits = pre.find(|c: char| c.is_ascii_digit()).unwrap_or(pre.len());
        let (word, n) = pre.split_at(digits);
        if !matches!(word, "rc" | "beta") {
            return None;
        }
        out.push('-');
        out.push_str(word);
        if !n.is_empty() {
            out.push('.');
            out.push_str(n);
        }
    }
    Some(out)
}

fn parse(v: &str) -> Result<semver::Version, VersionError> {
    let plain = v.strip_suffix("+incompatible").unwrap_or(v);
    let plain = plain.strip_prefix('v').unwrap_or(plain);
    super::semver::parse("go", plain).or_else(|e| toolchain(plain).map_or(Err(e.clone()), |t| super::semver::parse("go", &t).map_err(|_| e)))
}

impl VersionScheme for Go {
    fn id(&self) -> &'static str {
        "go"
    }
    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        Ok(parse(a)?.cmp(&parse(b)?))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check_vectors;
    use super::*;

    #[test]
    fn module_and_toolchain_vectors() {
        check_vectors(
            &Go,
            &[
                ("v0.4.0", "<", "v0.17.0"),
                ("v0.7.0", "=", "0.7.0"),
                ("v2.0.0+incompatible", "=", "v2.0.0"),
                ("v2.0.0+incompatible", ">", "v1.9.9"),
                // Pseudo-versions: pre-releases of the next patch, by time.
                ("v0.0.0-20200101120000-abcdef123456", "<", "v0.0.0-20210101120000-abcdef123456"),
                ("v0.0.0-20200101120000-abcdef123456", "<", "v0.0.1"),
                ("v1.2.4-0.20200101120000-abcdef123456", ">", "v1.2.3"),
                ("v1.2.4-0.20200101120000-abcdef123456", "<", "v1.2.4"),
                // Toolchain versions.
                ("go1.19.8", "=", "1.19.8"),
                ("1.20", "=", "1.20.0"),
                ("1.21rc2", "<", "1.21.0"),
                ("1.21rc2", ">", "1.21rc1"),
                ("1.21beta1", "<", "1.21rc1"),
                ("go1.19.8", "<", "1.19.10"),
            ],
        );
        assert!(Go.validate("latest").is_err());
        assert!(Go.validate("1.2.3.4").is_err());
    }
}
