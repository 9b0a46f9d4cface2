//! Alpine package versions, as apk orders them (also Wolfi and
//! Chainguard): `digits{.digits}[letter]{_suffix[digits]}[~hash][-rN]`.
//!
//! Parts are compared in turn, numbers numerically except that a later
//! dotted part with a leading zero compares as a decimal fraction
//! (`1.02 < 1.1`). Suffixes `_alpha`, `_beta`, `_pre`, `_rc` are
//! pre-releases (before the plain version); `_cvs`, `_svn`, `_git`, `_hg`,
//! `_p` come after it. When the parts run out on one side or differ in
//! kind, a pre-release suffix loses, and otherwise the side with the more
//! specific part (digit, then letter, suffix, hash, revision, end) wins.
//! No maintained crate implements this, hence this file.

use std::cmp::Ordering;

use super::{numeric, VersionError, VersionScheme};

pub struct Apk;

const SUFFIXES: &[&str] = &["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"];
/// Suffixes before this index are pre-releases.
const FIRST_POST: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Digit,
    Letter,
    Suffix,
    Hash,
    Revision,
    End,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part<'a> {
    /// The first number, or a later dotted one.
    Digit { text: &'a str, first: bool },
    Letter(u8),
    Suffix { rank: usize, number: &'a str },
    Hash(&'a str),
    Revision(&'a str),
}

impl Part<'_> {
    fn kind(&self) -> Kind {
        match self {
            Part::Digit { .. } => Kind::Digit,
            Part::Letter(_) => Kind::Letter,
            Part::Suffix { .. } => Kind::Suffix,
            Part::Hash(_) => Kind::Hash,
            Part::Revision(_) => Kind::Revision,
        }
    }
    fn is_pre_release(&self) -> bool {
        matches!(self, Part::Suffix { rank, .. } if *rank < FIRST_POST)
    }
}

fn digits(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

fn parse(v: &str) -> Result<Vec<Part<'_>>, VersionError> {
    let err = |why: &str| VersionError::new("apk", v, why);
    let mut parts = Vec::new();
    let mut rest = v;
    let n = digits(rest);
    if n == 0 {
        return Err(err("does not start with a digit"));
    }
    parts.push(Part::Digit { text: &rest[..n], first: true });
    rest = &rest[n..];
    while let Some(after) = rest.strip_prefix('.') {
        let n = digits(after);
        if n == 0 {
            return Err(err("a dot is not followed by a number"));
        }
        parts.push(Part::Digit { text: &after[..n], first: false });
        rest = &after[n..];
    }
    if let Some(&c) = rest.as_bytes().first()
        && c.is_ascii_lowercase()
    {
        parts.push(Part::Letter(c));
        rest = &rest[1..];
    }
    while let Some(after) = rest.strip_prefix('_') {
        let word = after.bytes().take_while(u8::is_ascii_lowercase).count();
        let rank = SUFFIXES.iter().position(|s| *s == &after[..word]).ok_or_else(|| err("unknown suffix"))?;
        let n = digits(&after[word..]);
        parts.push(Part::Suffix { rank, number: &after[word..word + n] });
        rest = &after[word + n..];
    }
    if let Some(after) = rest.strip_prefix('~') {
        let n = after.bytes().take_while(u8::is_ascii_hexdigit).count();
        if n == 0 {
            return Err(err("`~` is not followed by a commit hash"));
        }
        parts.push(Part::Hash(&after[..n]));
        rest = &after[n..];
    }
    if let Some(after) = rest.strip_prefix("-r") {
        let n = digits(after);
        if n == 0 || n != after.len() {
            return Err(err("the revision is not a number"));
        }
        parts.push(Part::Revision(after));
        rest = "";
    }
    if !rest.is_empty() {
        return Err(err("unexpected characters"));
    }
    Ok(parts)
}

fn same_kind(a: &Part, b: &Part) -> Ordering {
    match (a, b) {
        (Part::Digit { text: x, first: fx }, Part::Digit { text: y, first: fy }) => {
            // A later part with a leading zero is a decimal fraction.
            if !(*fx || *fy) && (x.starts_with('0') || y.starts_with('0')) {
                let (x, y) = (x.trim_end_matches('0'), y.trim_end_matches('0'));
                x.cmp(y)
            } else {
                numeric(x, y)
            }
        }
        (Part::Letter(x), Part::Letter(y)) => x.cmp(y),
        (Part::Suffix { rank: rx, number: nx }, Part::Suffix { rank: ry, number: ny }) => rx.cmp(ry).then_with(|| numeric(nx, ny)),
        (Part::Hash(x), Part::Hash(y)) => x.cmp(y),
        (Part::Revision(x), Part::Revision(y)) => numeric(x, y),
        _ => Ordering::Equal,
    }
}

fn compare_parts(a: &[Part], b: &[Part]) -> Ordering {
    let mut i = 0;
    loop {
        match (a.get(i), b.get(i)) {
            (None, None) => return Ordering::Equal,
            (Some(x), Some(y)) if x.kind() == y.kind() => match same_kind(x, y) {
                Ordering::Equal => i += 1,
                other => return other,
            },
            (x, y) => {
                if x.is_some_and(Part::is_pre_release) {
                    return Ordering::Less;
                }
                if y.is_some_and(Part::is_pre_release) {
                    return Ordering::Greater;
                }
                // The more specific part (earlier kind) is the later version.
                let kx = x.map_or(Kind::End, Part::kind);
                let ky = y.map_or(Kind::End, Part::kind);
                return ky.cmp(&kx);
            }
        }
    }
}

impl VersionScheme for Apk {
    fn id(&self) -> &'static str {
        "apk"
    }
    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        Ok(compare_parts(&parse(a)?, &parse(b)?))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check_vectors;
    use super::*;

    #[test]
    fn apk_vectors() {
        // A selection of apk-tools' own comparison vectors.
        check_vectors(
            &Apk,
            &[
                ("2.34", ">", "0.1.0_alpha"),
                ("0.1.0_alpha2", ">", "0.1.0_alpha"),
                ("1.0.4-r3", "<", "1.0.4-r4"),
                ("1.1", ">", "1.1_alpha1"),
                ("1.2.1", ">", "1.2"),
                ("1.2", "<", "1.3_alpha"),
                ("0.8_beta4", "<", "4.8-r1"),
                ("2.3.0b-r1", "<", "2.3.0b-r2"),
                ("0.12.3", ">", "0.12"),
                ("1.2.12.1", "<", "1.2.13"),
                ("3.1_p16", "<", "3.1_p17"),
                ("1.06-r6", "<", "006"),
                ("1.2.2-r1", ">", "1.2.2"),
                ("2.01.01_alpha10", ">", "0.94"),
                ("1.0", ">", "0.99.3.20040818"),
                ("1.02", "<", "1.03-r1"),
                ("1.2.07.8", "<", "1.2.12.04"),
                ("4.01", "<", "4.20"),
                ("2.5.1-r8", "<", "2.5.1a-r1"),
                ("1.7", "<", "1.7b"),
                ("1.8.5", "<", "1.8.5_p2"),
                ("22.7-r1", "<", "22.7.3-r1"),
                ("1.3-r0", "<", "1.3.1-r0"),
                ("1.3_pre1-r1", "<", "1.3.2"),
                ("1.0_p10-r0", ">", "1.0_p9-r0"),
                ("0.1.0_alpha_pre2", "<", "0.1.0_alpha"),
                ("1.0.0_pre20191002222144-r0", "<", "1.0.0_pre20210530193627-r0"),
                ("4.5_p1-r1", ">", "4.5_p1"),
                ("0.20070118", "<", "0.20070207_rc1"),
                ("2.9.11_pre20051101-r3", ">", "2.9.11_pre20051101"),
                ("7.0.17", "<", "7.0.174"),
                ("0.2.0-r1", "=", "0.2.0-r1"),
                ("1.2.5-r0", "<", "1.2.5-r1"),
                ("3.0.15-r0", ">", "3.0.8-r1"),
            ],
        );
        for bad in ["", "abc", "1.", "1.0_foo", "1.0-r", "1.0-rx", "1.0 ", "1.0~"] {
            assert!(Apk.validate(bad).is_err(), "{bad}");
        }
    }
}
