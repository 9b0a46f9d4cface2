//! Maven versions, ordered as Maven's `ComparableVersion` does.
//!
//! A version is split into a list at `.` and into nested lists at `-` and
//! at every switch between digits and letters. Numbers compare
//! numerically; words by their qualifier rank: `alpha` < `beta` <
//! `milestone` < `rc` (= `cr`) < `snapshot` < release (`""`, `ga`,
//! `final`, `release`) < `sp`, then unknown words alphabetically; `a1`,
//! `b1`, `m1` are alpha, beta, milestone. Trailing zeros and release words
//! are dropped (`1.0.0` = `1` = `1-ga`). Against each other a number beats
//! a list, which beats a word. As the POM reference specifies, a word after
//! a `.` counts as if after a `-` (`2.0.a` = `2-a`), which Maven 3.9 also
//! does. No maintained crate implements this.

use std::cmp::Ordering;

use super::{VersionError, VersionScheme};

pub struct Maven;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Digits without leading zeros.
    Int(String),
    /// A lower-case qualifier, aliases resolved.
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: &[&str] = &["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE: usize = 5;

fn qualifier(word: &str, followed_by_digit: bool) -> String {
    let word = match word {
        "a" if followed_by_digit => "alpha",
        "b" if followed_by_digit => "beta",
        "m" if followed_by_digit => "milestone",
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    word.to_owned()
}

/// The sort key of a qualifier: its rank, or unknown words after all ranks.
fn rank(word: &str) -> (usize, &str) {
    match QUALIFIERS.iter().position(|q| *q == word) {
        Some(i) => (i, ""),
        None => (QUALIFIERS.len(), word),
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(d) => d.is_empty(),
            Item::Str(s) => s.is_empty(),
            Item::List(l) => l.is_empty(),
        }
    }

    /// Order against a missing item (the shorter side of a list).
    fn cmp_none(&self) -> Ordering {
        match self {
            Item::Int(d) => if d.is_empty() { Ordering::Equal } else { Ordering::Greater },
            Item::Str(s) => rank(s).cmp(&(RELEASE, "")),
            Item::List(l) => l.first().map_or(Ordering::Equal, Item::cmp_none),
        }
    }

    fn cmp_item(&self, other: &Item) -> Ordering {
        match (self, other) {
            (Item::Int(a), Item::Int(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (Item::Int(_), _) => Ordering::Greater,
            (Item::Str(_), Item::Int(_)) => Ordering::Less,
            (Item::Str(a), Item::Str(b)) => rank(a).cmp(&rank(b)),
            (Item::Str(_), Item::List(_)) => Ordering::Less,
            (Item::List(_), Item::Int(_)) => Ordering::Less,
            (Item::List(_), Item::Str(_)) => Ordering::Greater,
            (Item::List(a), Item::List(b)) => cmp_lists(a, b),
        }
    }
}

fn cmp_lists(a: &[Item], b: &[Item]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let o = match (a.get(i), b.get(i)) {
            (Some(x), Some(y)) => x.cmp_item(y),
            (Some(x), None) => x.cmp_none(),
            (None, Some(y)) => y.cmp_none().reverse(),
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Drops trailing null items, looking through trailing sub-lists.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if let Item::List(inner) = &mut list[i] {
            normalize(inner);
        }
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

fn word_or_number(text: &str, digits: bool, followed_by_digit: bool) -> Item {
    if digits { Item::Int(text.trim_start_matches('0').to_owned()) } else { Item::Str(qualifier(text, followed_by_digit)) }
}

fn push_item(stack: &mut [Vec<Item>], item: Item) {
    if let Some(top) = stack.last_mut() {
        top.push(item);
    }
}

fn parse(v: &str) -> Result<Item, VersionError> {
    if v.is_empty() || v.len() > 256 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(VersionError::new("maven", v, "empty, too long or contains whitespace"));
    }
    let lower = v.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    // A stack of open lists; each new sub-list is nested in the current one.
    let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
    let mut start = 0;
    let mut digits = false;
    // A word after `.` opens a sub-list as if after `-`.
    let push_word = |stack: &mut Vec<Vec<Item>>, start: usize, item: Item| {
        if start > 0 && bytes[start - 1] == b'.' && stack.last().is_some_and(|t| !t.is_empty()) {
            stack.push(Vec::new());
        }
        if let Some(top) = stack.last_mut() {
            top.push(item);
        }
    };
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'.' | b'-' => {
                if i == start {
                    push_item(&mut stack, Item::Int(String::new()));
                } else if digits {
                    push_item(&mut stack, word_or_number(&lower[start..i], true, false));
                } else {
                    push_word(&mut stack, start, word_or_number(&lower[start..i], false, false));
                }
                start = i + 1;
                if c == b'-' {
                    stack.push(Vec::new());
                }
            }
            b'0'..=b'9' => {
                if !digits && i > start {
                    push_word(&mut stack, start, word_or_number(&lower[start..i], false, true));
                    start = i;
                    stack.push(Vec::new());
                }
                digits = true;
            }
            _ => {
                if digits && i > start {
                    push_item(&mut stack, word_or_number(&lower[start..i], true, false));
                    start = i;
                    stack.push(Vec::new());
                }
                digits = false;
            }
        }
    }
    if bytes.len() > start {
        if digits {
            push_item(&mut stack, word_or_number(&lower[start..], true, false));
        } else {
            push_word(&mut stack, start, word_or_number(&lower[start..], false, false));
        }
    }
    // Fold the stack: each list is the last item of the one below it.
    let mut list = stack.pop().unwrap_or_default();
    normalize(&mut list);
    while let Some(mut parent) = stack.pop() {
        parent.push(Item::List(list));
        normalize(&mut parent);
        list = parent;
    }
    Ok(Item::List(list))
}

impl VersionScheme for Maven {
    fn id(&self) -> &'static str {
        "maven"
    }
    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        Ok(parse(a)?.cmp_item(&parse(b)?))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check_vectors;
    use super::*;

    #[test]
    fn comparable_version_vectors() {
        // Maven's documented qualifier order, each strictly before the next.
        let chain = [
            "1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11", "1-rc", "1-cr2", "1-rc123", "1-SNAPSHOT", "1", "1-sp",
            "1-sp2", "1-sp123", "1-abc", "1-def", "1-pom-1", "1-1-snapshot", "1-1", "1-2", "1-123",
        ];
        let pairs: Vec<(&str, &str, &str)> = chain.windows(2).map(|w| (w[0], "<", w[1])).collect();
        check_vectors(&Maven, &pairs);
        let numbers = ["2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1", "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11", "11.a", "11b", "11c", "11m"];
        let pairs: Vec<(&str, &str, &str)> = numbers.windows(2).map(|w| (w[0], "<", w[1])).collect();
        check_vectors(&Maven, &pairs);
        check_vectors(
            &Maven,
            &[
                ("1", "=", "1.0.0"),
                ("1", "=", "1-ga"),
                ("1", "=", "1.final"),
                ("1", "=", "1-release"),
                ("1-cr1", "=", "1-rc1"),
                ("1a1", "=", "1-alpha-1"),
                ("1.0.0-SNAPSHOT", "<", "1.0.0"),
                ("2.14.1", "<", "2.15.0"),
                ("2.17.0", ">", "2.16.0"),
                ("1.2.3.RELEASE", "=", "1.2.3"),
                ("5.3.18", "<", "5.3.20"),
            ],
        );
        // Maven's own order has this cycle (a release word followed by more
        // items); temper keeps Maven's answers rather than invent others.
        check_vectors(&Maven, &[("0", "<", "0-b"), ("0-b", "<", "0-ga-alpha"), ("0-ga-alpha", "<", "0")]);
        assert!(Maven.validate("").is_err());
        assert!(Maven.validate("1 0").is_err());
    }
}
