//! Byte spans into the Dockerfile source, line/column lookup, and the map
//! from text the parser assembled (continued lines joined, comments
//! dropped) back to the source bytes it came from.

use std::ops::Range;

/// A half-open byte range `start..end` into the original Dockerfile source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// As a `Range`, for slicing the source.
    pub const fn range(self) -> Range<usize> {
        self.start..self.end
    }

    /// The source text under the span (empty if the span does not fit).
    pub fn text(self, source: &str) -> &str {
        source.get(self.range()).unwrap_or("")
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// Length in bytes.
    pub const fn len(self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// True when the span covers no byte.
    pub const fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// A 1-based line and column; the column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// Start offsets of every line, for turning byte offsets into positions.
///
/// Columns count characters; for a source that is not ASCII the index also
/// keeps the number of characters before every [`CHAR_BLOCK`]-th byte, so
/// a column costs at most one block of counting however long its line is
/// (a 4 MiB one-line RUN with a finding per command stays linear).
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    starts: Vec<usize>,
    /// Characters in `source[..k * CHAR_BLOCK]`; empty for ASCII sources.
    chars: Vec<usize>,
}

/// Bytes between the character counts [`LineIndex`] keeps.
const CHAR_BLOCK: usize = 4096;

/// Characters in `bytes` of UTF-8: the bytes that are not continuation bytes.
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

impl LineIndex {
    /// Index the line starts of `source`.
    pub fn new(source: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(source.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        let mut chars = Vec::new();
        if !source.is_ascii() {
            let mut total = 0;
            chars.push(0);
            for block in source.as_bytes().chunks(CHAR_BLOCK) {
                total += count_chars(block);
                chars.push(total);
            }
        }
        Self { starts, chars }
    }

    /// Characters in `source[..offset]` (`offset` a character boundary).
    fn chars_before(&self, source: &str, offset: usize) -> usize {
        if self.chars.is_empty() {
            return offset;
        }
        let block = offset / CHAR_BLOCK;
        self.chars.get(block).copied().unwrap_or(0) + count_chars(source.as_bytes().get(block * CHAR_BLOCK..offset).unwrap_or_default())
    }

    /// The position of byte `offset` in `source` (clamped to the source).
    pub fn position(&self, source: &str, offset: usize) -> Position {
        let offset = offset.min(source.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = if source.is_char_boundary(offset) && source.is_char_boundary(start) {
            self.chars_before(source, offset) - self.chars_before(source, start)
        } else {
            offset - start
        } + 1;
        Position { line, column }
    }
}

/// One contiguous run of assembled text copied from the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    text: usize,
    source: usize,
    len: usize,
}

/// Maps byte offsets in assembled text back to byte offsets in the source.
///
/// Assembled text is built from pieces of the source (a continued
/// instruction without its escape characters and comment lines, or a RUN
/// line followed by its heredoc bodies); each piece is recorded as a
/// segment, so an offset finds its segment by binary search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OffsetMap {
    segments: Vec<Segment>,
    len: usize,
}

impl OffsetMap {
    /// Record that the next `len` bytes of text were copied from `source..`.
    pub fn push(&mut self, source: usize, len: usize) {
        if len == 0 {
            return;
        }
        if let Some(last) = self.segments.last_mut()
            && last.source + last.len == source
        {
            last.len += len;
        } else {
            self.segments.push(Segment { text: self.len, source, len });
        }
        self.len += len;
    }

    /// Source offset of text byte `at` (the end of the text maps to just
    /// past the last mapped source byte).
    pub fn source_offset(&self, at: usize) -> usize {
        if self.segments.is_empty() {
            return 0;
        }
        if at >= self.len {
            return self.segments.last().map_or(0, |s| s.source + s.len);
        }
        let i = self.segments.partition_point(|s| s.text <= at).saturating_sub(1);
        let seg = self.segments[i];
        seg.source + (at - seg.text)
    }

    /// Source span of the text range `start..end`: the first byte's offset
    /// to just past the last byte's offset, so a range that crosses a line
    /// continuation covers it.
    pub fn span(&self, start: usize, end: usize) -> Span {
        let s = self.source_offset(start);
        if end <= start {
            return Span::new(s, s);
        }
        Span::new(s, self.source_offset(end - 1) + 1)
    }

    /// The map of `start..end` of this text, rebased to start at zero.
    pub fn slice(&self, start: usize, end: usize) -> OffsetMap {
        let mut out = OffsetMap::default();
        let end = end.min(self.len);
        let mut at = start;
        while at < end {
            let i = self.segments.partition_point(|s| s.text <= at).saturating_sub(1);
            let seg = self.segments[i];
            let within = at - seg.text;
            let take = (seg.len - within).min(end - at);
            out.push(seg.source + within, take);
            at += take;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        let src = "ab\nçd\n";
        let idx = LineIndex::new(src);
        assert_eq!(idx.position(src, 0), Position { line: 1, column: 1 });
        assert_eq!(idx.position(src, 3), Position { line: 2, column: 1 });
        assert_eq!(idx.position(src, 5), Position { line: 2, column: 2 });
        assert_eq!(idx.position(src, 99), Position { line: 3, column: 1 });
    }

    #[test]
    fn positions_in_long_non_ascii_lines_match_counting() {
        // Lines longer than a block, characters of 1 to 4 bytes straddling
        // block boundaries.
        let line: String = "aç€😀".repeat(3000);
        let src = format!("x\n{line}\n{line}");
        let idx = LineIndex::new(&src);
        for (offset, _) in src.char_indices().step_by(7).chain([(src.len(), ' ')]) {
            let start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
            let expected = Position { line: src[..offset].matches('\n').count() + 1, column: src[start..offset].chars().count() + 1 };
            assert_eq!(idx.position(&src, offset), expected, "offset {offset}");
        }
        // Inside a character: bytes from the line start, as before.
        assert_eq!(idx.position(&src, 4).column, 3);
    }

    #[test]
    fn offset_map_crosses_segments() {
        let mut m = OffsetMap::default();
        m.push(10, 3);
        m.push(20, 4);
        assert_eq!(m.source_offset(2), 12);
        assert_eq!(m.source_offset(3), 20);
        assert_eq!(m.span(1, 5), Span::new(11, 22));
        let s = m.slice(2, 6);
        assert_eq!(s.source_offset(0), 12);
        assert_eq!(s.source_offset(1), 20);
        assert_eq!(s.len, 4);
    }
}
