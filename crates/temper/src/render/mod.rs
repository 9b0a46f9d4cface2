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
pub mod lint;
pub mod inspect;
pub mod layers;
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
/// neither break its row nor send escape sequences.
pub fn columns(rows: &[Vec<String>], right: &[usize]) -> String {
    let escaped: Vec<Vec<Cow<'_, str>>> = rows.iter().map(|r| r.iter().map(|c| escape(c)).collect()).collect();
    let rows = &escaped;
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n).map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let pad = widths[c].saturating_sub(cell.chars().count());
            if c > 0 {
                line.push_str("  ");
            }
            if right.contains(&c) {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
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
}
