//! Rendering of results as tables and trees; JSON is serde of the same data.
//!
//! Text from an image (file names, package names and versions, labels,
//! history, os-release) is untrusted: printed raw, an escape sequence in a
//! file name can retitle the terminal, move the cursor or hide lines, and a
//! newline can forge rows. Every human-readable renderer passes such text
//! through [`escape`]; [`columns`] escapes every cell, so tables need no
//! more. JSON, SARIF and the SBOM formats are left alone: their encoders
//! escape control characters themselves.

use std::borrow::Cow;
use std::fmt::Write as _;

pub mod check;
pub mod dependency_tree;
pub mod gate;
pub mod lint;
pub mod inspect;
pub mod layers;
pub mod registry;
pub mod sarif;
pub mod sbom;
pub mod scan;
pub mod tree;

/// Whether `c` must not reach a terminal as is: C0 controls (ESC, BEL,
/// CR, LF, tab…), DEL, C1 controls (U+0080–U+009F, which some terminals
/// read as CSI and OSC), and the Unicode controls that reorder or split
/// displayed text (bidi embeddings, overrides and isolates, LRM, RLM, ALM,
/// line and paragraph separators).
fn is_unsafe(c: char) -> bool {
    matches!(c, '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` made safe to print on a terminal, on one line: `\n`, `\r` and `\t`
/// as those two characters, other C0 controls and DEL as `\x1b`, C1 and
/// Unicode format controls as `\u{202e}`. Everything else, backslashes
/// included, is kept, so ordinary names print unchanged (borrowed).
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < '\u{80}' && is_unsafe(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Shortens a long instruction for a table cell.
pub fn ellipsize(s: &str, max: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= max {
        s
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Left-aligned columns separated by two spaces; numbers in `right` columns
/// are right-aligned. Every cell goes through [`escape`], so a cell can
/// neither break its row nor send escape sequences. Rows fit the terminal
/// width (see [`fit_widths`]).
pub fn columns(rows: &[Vec<String>], right: &[usize]) -> String {
    table(rows, right, None)
}

/// [`columns`], with the cells of column `paint.0` (not the header row)
/// coloured by `paint.1` when colour is on; padding is measured on the
/// plain text, so colour never shifts a column.
pub fn table(rows: &[Vec<String>], right: &[usize], paint: Option<(usize, fn(&str) -> anstyle::Style)>) -> String {
    let escaped: Vec<Vec<Cow<'_, str>>> = rows.iter().map(|r| r.iter().map(|c| escape(c)).collect()).collect();
    let rows = &escaped;
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths: Vec<usize> = (0..n).map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0)).collect();
    if let Some(max) = crate::term::width() {
        fit_widths(&mut widths, right, max);
    }
    let mut out = String::new();
    for (r, row) in rows.iter().enumerate() {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let cell = truncate(cell, widths[c]);
            let pad = widths[c].saturating_sub(cell.chars().count());
            let shown = match paint {
                Some((col, style)) if col == c && r > 0 => crate::term::paint(&cell, style(&cell)),
                _ => cell.into_owned(),
            };
            if c > 0 {
                line.push_str("  ");
            }
            if right.contains(&c) {
                line.push_str(&" ".repeat(pad));
                line.push_str(&shown);
            } else {
                line.push_str(&shown);
                if c + 1 < row.len() {
                    line.push_str(&" ".repeat(pad));
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The narrowest a shrunk column gets: an ellipsis and a few characters
/// still say what the cell was.
const MIN_FREE: usize = 8;

/// Shrinks the free-text column, the last left-aligned one (tables put
/// titles, paths and purls last, after ids, versions and severities), so
/// that a row fits `max` characters; the other columns keep their width,
/// so when they alone overflow the row still does.
fn fit_widths(widths: &mut [usize], right: &[usize], max: usize) {
    let total: usize = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
    let Some(free) = (0..widths.len()).rev().find(|c| !right.contains(c)) else { return };
    if total > max && widths[free] > MIN_FREE {
        widths[free] = widths[free].saturating_sub(total - max).max(MIN_FREE);
    }
}

/// `s` cut to `max` characters, the last one an ellipsis when cut.
fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some(_) => {
            let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
            out.push('…');
            Cow::Owned(out)
        }
    }
}

/// A line of free text (a heading listing paths, a purl and its reason)
/// cut to the terminal width, when there is one.
pub fn fit_line(s: &str) -> Cow<'_, str> {
    match crate::term::width() {
        Some(max) => truncate(s, max.max(MIN_FREE)),
        None => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_makes_controls_visible() {
        assert!(matches!(escape("usr/lib/libc.so.6 ünïcode \\ ok"), Cow::Borrowed(_)));
        assert_eq!(escape("evil\u{1b}]0;pwned\u{7}\nname"), "evil\\x1b]0;pwned\\x07\\nname");
        assert_eq!(escape("a\rb\tc\u{7f}\0"), "a\\rb\\tc\\x7f\\x00");
        assert_eq!(escape("\u{9b}31m\u{85}"), "\\u{9b}31m\\u{85}");
        assert_eq!(escape("txt.\u{202e}exe\u{2066}\u{2069}\u{200f}\u{2028}"), "txt.\\u{202e}exe\\u{2066}\\u{2069}\\u{200f}\\u{2028}");
    }

    #[test]
    fn columns_escape_cells() {
        let rows = vec![vec!["NAME".to_owned(), "V".to_owned()], vec!["a\u{1b}[2Jb\nc".to_owned(), "1".to_owned()]];
        let out = columns(&rows, &[]);
        assert_eq!(out.lines().count(), 2);
        assert!(!out.contains('\u{1b}'));
        assert!(out.contains("a\\x1b[2Jb\\nc  1"));
    }

    #[test]
    fn fit_widths_shrinks_only_the_free_column() {
        // ID 16, SEVERITY 8, TITLE 60: 88 with the gaps.
        let mut w = vec![16, 8, 60];
        fit_widths(&mut w, &[], 80);
        assert_eq!(w, [16, 8, 52]);
        let mut w = vec![16, 8, 60];
        fit_widths(&mut w, &[], 20);
        assert_eq!(w, [16, 8, MIN_FREE]);
        // A right-aligned number last: the last left-aligned column shrinks.
        let mut w = vec![40, 5];
        fit_widths(&mut w, &[1], 30);
        assert_eq!(w, [23, 5]);
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abcd", 4), "abcd");
    }
}
