//! Debian relation fields (Debian Policy 7.1): `Depends`, `Pre-Depends`,
//! `Provides`, `Conflicts`, `Breaks` and the like.
//!
//! A field is a comma-separated list of groups; a group is `|`-separated
//! alternatives; each alternative is a package name with an optional
//! architecture qualifier (`:any`, `:native`, `:amd64`), an optional
//! version relation (`(>= 1.2)`), an optional architecture restriction
//! list (`[amd64 !i386]`) and build-profile formulas (`<!nocheck>`). The
//! last two only mean something in source packages; they are parsed, kept
//! and left to the caller.
//!
//! Versions compare as dpkg does, through the `debversion` crate (`~`
//! sorts before everything, even the end; an epoch wins over the rest).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// Longest field text accepted: the longest in Debian 12 is a Rust
/// crate's `Provides` of about 100 KiB.
pub const MAX_FIELD: usize = 1 << 20;

/// A relation field that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} field '{text}': {reason}")]
pub struct RelationError {
    /// The field's name (`Depends`).
    pub field: String,
    /// The offending text (the field, or the part that failed, shortened).
    pub text: String,
    /// What is wrong.
    pub reason: String,
}

fn error(field: &str, text: &str, reason: impl Into<String>) -> RelationError {
    let text = match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    };
    RelationError { field: field.to_owned(), text, reason: reason.into() }
}

/// A version relation operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    /// `<<`
    Lt,
    /// `<=` (and the obsolete `<`, which dpkg reads the same way)
    Le,
    /// `=`
    Eq,
    /// `>=` (and the obsolete `>`)
    Ge,
    /// `>>`
    Gt,
}

impl Op {
    /// The operator as written in control files.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<<",
            Op::Le => "<=",
            Op::Eq => "=",
            Op::Ge => ">=",
            Op::Gt => ">>",
        }
    }

    /// Whether `have` compared with the wanted version as `ord` satisfies it.
    pub fn holds(self, ord: Ordering) -> bool {
        match self {
            Op::Lt => ord == Ordering::Less,
            Op::Le => ord != Ordering::Greater,
            Op::Eq => ord == Ordering::Equal,
            Op::Ge => ord != Ordering::Less,
            Op::Gt => ord == Ordering::Greater,
        }
    }
}

/// A Debian version, checked when parsed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(debversion::Version);

impl FromStr for Version {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.is_empty() || s.len() > 256 || s.chars().any(char::is_whitespace) {
            return Err(format!("'{s}' is not a Debian version"));
        }
        if let Some((epoch, _)) = s.split_once(':')
            && (epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) || epoch.len() > 9)
        {
            return Err(format!("'{s}' is not a Debian version: its epoch is not a number"));
        }
        debversion::Version::from_str(s).map(Version).map_err(|e| format!("'{s}' is not a Debian version: {e}"))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Compares two version strings as dpkg does.
pub fn compare(a: &str, b: &str) -> Result<Ordering, String> {
    Ok(a.parse::<Version>()?.cmp(&b.parse::<Version>()?))
}

/// The architecture qualifier after a name (`name:any`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ArchQualifier {
    /// `:any`: any architecture, if the target is `Multi-Arch: allowed`.
    Any,
    /// `:native`: the native architecture.
    Native,
    /// `:<arch>`: that architecture.
    Arch(String),
}

/// One alternative of a relation: `name:arch (op version) [arches] <profiles>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Relation {
    /// The package (or virtual package) name.
    pub name: String,
    /// Architecture qualifier, if any.
    pub arch: Option<ArchQualifier>,
    /// Version relation, if any.
    pub version: Option<(Op, Version)>,
    /// Architecture restriction list, each `(negated, arch)`.
    pub arches: Vec<(bool, String)>,
    /// Build-profile formulas (`<a !b> <c>`): each an AND of `(negated, profile)`.
    pub profiles: Vec<Vec<(bool, String)>>,
}

impl Relation {
    /// Whether `version` satisfies the version relation (always, without one).
    pub fn version_ok(&self, version: &Version) -> bool {
        self.version.as_ref().is_none_or(|(op, want)| op.holds(version.cmp(want)))
    }
}

impl fmt::Display for Relation {
    /// The name, qualifier and version relation, as apt prints them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        match &self.arch {
            Some(ArchQualifier::Any) => f.write_str(":any")?,
            Some(ArchQualifier::Native) => f.write_str(":native")?,
            Some(ArchQualifier::Arch(a)) => write!(f, ":{a}")?,
            None => {}
        }
        if let Some((op, v)) = &self.version {
            write!(f, " ({} {v})", op.symbol())?;
        }
        Ok(())
    }
}

/// A group of alternatives (`a | b`): satisfied by any one of them.
pub type Alternatives = Vec<Relation>;

/// Writes a group as `a | b (>= 1)`.
pub fn group_text(group: &[Relation]) -> String {
    group.iter().map(Relation::to_string).collect::<Vec<_>>().join(" | ")
}

fn valid_name(name: &str) -> bool {
    // Policy 5.6.1: lower case letters, digits, `+ - .`, starting
    // alphanumeric, two characters or more. dpkg's parser accepts upper
    // case and single characters, so do we.
    name.len() <= 256
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

fn valid_word(word: &str) -> bool {
    !word.is_empty() && word.len() <= 64 && word.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+'))
}

fn parse_one(field: &str, text: &str) -> Result<Relation, RelationError> {
    let fail = |reason: String| error(field, text.trim(), reason);
    let mut rest = text.trim();
    let end = rest.find(|c: char| c.is_whitespace() || matches!(c, '(' | '[' | '<')).unwrap_or(rest.len());
    let (head, tail) = rest.split_at(end);
    rest = tail.trim_start();
    let (name, arch) = match head.split_once(':') {
        Some((n, "any")) => (n, Some(ArchQualifier::Any)),
        Some((n, "native")) => (n, Some(ArchQualifier::Native)),
        Some((n, a)) if valid_word(a) => (n, Some(ArchQualifier::Arch(a.to_owned()))),
        Some((_, a)) => return Err(fail(format!("'{a}' is not an architecture"))),
        None => (head, None),
    };
    if !valid_name(name) {
        return Err(fail(if name.is_empty() { "a package name is missing".to_owned() } else { format!("'{name}' is not a package name") }));
    }
    let mut relation = Relation { name: name.to_owned(), arch, version: None, arches: Vec::new(), profiles: Vec::new() };
    if let Some(inner) = rest.strip_prefix('(') {
        let (inside, after) = inner.split_once(')').ok_or_else(|| fail("'(' without ')'".to_owned()))?;
        let inside = inside.trim();
        let (op, version) = [("<<", Op::Lt), ("<=", Op::Le), (">=", Op::Ge), (">>", Op::Gt), ("=", Op::Eq), ("<", Op::Le), (">", Op::Ge)]
            .into_iter()
            .find_map(|(sym, op)| inside.strip_prefix(sym).map(|v| (op, v.trim())))
            .ok_or_else(|| fail(format!("'{inside}' has no operator (<< <= = >= >>)")))?;
        relation.version = Some((op, version.parse().map_err(fail)?));
        rest = after.trim_start();
    }
    if let Some(inner) = rest.strip_prefix('[') {
        let (inside, after) = inner.split_once(']').ok_or_else(|| fail("'[' without ']'".to_owned()))?;
        for word in inside.split_whitespace() {
            let (negated, arch) = word.strip_prefix('!').map_or((false, word), |a| (true, a));
            if !valid_word(arch) {
                return Err(fail(format!("'{word}' is not an architecture")));
            }
            relation.arches.push((negated, arch.to_owned()));
        }
        rest = after.trim_start();
    }
    while let Some(inner) = rest.strip_prefix('<') {
        let (inside, after) = inner.split_once('>').ok_or_else(|| fail("'<' without '>'".to_owned()))?;
        let mut formula = Vec::new();
        for word in inside.split_whitespace() {
            let (negated, profile) = word.strip_prefix('!').map_or((false, word), |p| (true, p));
            if !valid_word(profile) {
                return Err(fail(format!("'{word}' is not a build profile")));
            }
            formula.push((negated, profile.to_owned()));
        }
        relation.profiles.push(formula);
        rest = after.trim_start();
    }
    if !rest.is_empty() {
        return Err(fail(format!("unexpected '{rest}'")));
    }
    Ok(relation)
}

/// Parses a relation field named `field` (for messages): groups of
/// alternatives, in order. An empty field has no groups.
pub fn parse(field: &str, text: &str) -> Result<Vec<Alternatives>, RelationError> {
    if text.len() > MAX_FIELD {
        return Err(error(field, text, format!("longer than {MAX_FIELD} bytes")));
    }
    let mut groups = Vec::new();
    for group in text.split(',') {
        if group.trim().is_empty() {
            // dpkg tolerates a trailing comma (and substvars leave empty items).
            continue;
        }
        groups.push(group.split('|').map(|alt| parse_one(field, alt)).collect::<Result<Vec<_>, _>>()?);
    }
    Ok(groups)
}

/// Parses a field that allows no alternatives (`Provides`, `Conflicts`,
/// `Breaks`, `Replaces`).
pub fn parse_flat(field: &str, text: &str) -> Result<Vec<Relation>, RelationError> {
    let mut out = Vec::new();
    for mut group in parse(field, text)? {
        if group.len() != 1 {
            return Err(error(field, &group_text(&group), "alternatives ('|') are not allowed in this field"));
        }
        out.append(&mut group);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    #[test]
    fn relation_parses_alternatives_qualifiers_restrictions_and_profiles() {
        let groups = parse("Depends", "a (>= 1.2) | b:any, c [amd64 !i386] <!nocheck> <stage1>, d:amd64 (<< 2~),").unwrap();
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[0].len(), 2);
        assert_eq!(groups[0][0].version, Some((Op::Ge, v("1.2"))));
        assert_eq!(groups[0][1].arch, Some(ArchQualifier::Any));
        assert_eq!(groups[1][0].arches, vec![(false, "amd64".to_owned()), (true, "i386".to_owned())]);
        assert_eq!(groups[1][0].profiles, vec![vec![(true, "nocheck".to_owned())], vec![(false, "stage1".to_owned())]]);
        assert_eq!(groups[2][0].arch, Some(ArchQualifier::Arch("amd64".into())));
        assert_eq!(groups[2][0].to_string(), "d:amd64 (<< 2~)");
        assert_eq!(group_text(&groups[0]), "a (>= 1.2) | b:any");
    }

    #[test]
    fn relation_operators_compare_as_dpkg() {
        let r = |text: &str| parse_one("Depends", text).unwrap();
        assert!(r("x (<< 2)").version_ok(&v("2~rc1")));
        assert!(!r("x (<< 2)").version_ok(&v("2")));
        assert!(r("x (<= 2)").version_ok(&v("2")));
        assert!(r("x (= 1:2)").version_ok(&v("1:2-0")));
        assert!(!r("x (= 2)").version_ok(&v("1:2")));
        assert!(r("x (>> 7.88.1-10+deb12u4)").version_ok(&v("7.88.1-10+deb12u12")));
        assert!(r("x (>=1.0)").version_ok(&v("1.0")));
        // The obsolete `<` means `<=`.
        assert_eq!(r("x (< 2)").version.map(|(op, _)| op), Some(Op::Le));
        assert!(r("x").version_ok(&v("0")));
    }

    #[test]
    fn relation_errors_name_the_field_and_text() {
        for (text, why) in [
            ("a (>= )", "is not a Debian version"),
            ("a (1.0)", "has no operator"),
            ("a (>= 1.0", "without ')'"),
            ("A_b", "is not a package name"),
            ("a | , b", "a package name is missing"),
            ("a [amd64", "without ']'"),
            ("a (>= 1) junk", "unexpected 'junk'"),
            ("a:", "is not an architecture"),
        ] {
            let e = parse("Depends", text).unwrap_err();
            let msg = e.to_string();
            assert!(msg.starts_with("Depends field '"), "{msg}");
            assert!(msg.contains(why), "{text}: {msg}");
        }
        let long = "a, ".repeat(MAX_FIELD);
        assert!(parse("Depends", &long).unwrap_err().to_string().contains("longer than"));
        assert!(parse_flat("Conflicts", "a | b").unwrap_err().to_string().contains("alternatives"));
    }
}
