//! One rpm header blob, as every rpm database backend stores it.
//!
//! Layout (all integers big-endian): `il` (u32, number of index entries),
//! `dl` (u32, bytes of data), then `il` entries of 16 bytes (tag, type,
//! offset into the data, count), then `dl` bytes of data. Strings are
//! NUL-terminated; a string array is `count` of them back to back; INT32
//! arrays are `count` big-endian u32. Region tags (`HEADERIMMUTABLE` and
//! friends) are ordinary entries whose data is a trailer; they are not
//! needed to read values and are skipped. Limits are rpm's own: fewer than
//! 2^16 entries and 2^24 data bytes.

/// rpm's own bounds (`hdrchkTags`, `hdrchkData`).
const MAX_ENTRIES: u32 = 0xffff;
const MAX_DATA: u32 = 0x00ff_ffff;

pub const NAME: u32 = 1000;
pub const VERSION: u32 = 1001;
pub const RELEASE: u32 = 1002;
pub const EPOCH: u32 = 1003;
pub const LICENSE: u32 = 1014;
pub const ARCH: u32 = 1022;
pub const OLDFILENAMES: u32 = 1027;
pub const SOURCERPM: u32 = 1044;
pub const DIRINDEXES: u32 = 1116;
pub const BASENAMES: u32 = 1117;
pub const DIRNAMES: u32 = 1118;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

#[derive(Clone, Copy, Debug)]
struct Entry {
    tag: u32,
    kind: u32,
    offset: u32,
    count: u32,
}

/// A parsed header: its index and data store.
#[derive(Debug)]
pub struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).and_then(|s| s.try_into().ok()).map(u32::from_be_bytes)
}

impl<'a> Header<'a> {
    /// Checks the framing of `blob` and reads its index.
    pub fn parse(blob: &'a [u8]) -> Result<Header<'a>, String> {
        let (Some(il), Some(dl)) = (be32(blob, 0), be32(blob, 4)) else {
            return Err(format!("header blob of {} bytes is shorter than its 8-byte preamble", blob.len()));
        };
        if il == 0 || il > MAX_ENTRIES || dl > MAX_DATA {
            return Err(format!("header claims {il} index entries and {dl} data bytes, outside rpm's limits"));
        }
        let start = 8 + 16 * il as usize;
        let end = start + dl as usize;
        if blob.len() < end {
            return Err(format!("header needs {end} bytes for {il} entries and {dl} data bytes; the blob has {}", blob.len()));
        }
        let entries = (0..il as usize)
            .map(|i| {
                let at = 8 + 16 * i;
                let field = |k: usize| be32(blob, at + 4 * k).unwrap_or(0);
                Entry { tag: field(0), kind: field(1), offset: field(2), count: field(3) }
            })
            .collect();
        Ok(Header { entries, data: &blob[start..end] })
    }

    /// The entry for `tag`; a later entry (a "dribble" added after the
    /// immutable region) overrides an earlier one, as in rpm.
    fn entry(&self, tag: u32) -> Option<Entry> {
        self.entries.iter().rev().find(|e| e.tag == tag).copied()
    }

    fn tail(&self, e: Entry) -> Result<&'a [u8], String> {
        self.data.get(e.offset as usize..).ok_or_else(|| format!("tag {} points at offset {} past the {}-byte data store", e.tag, e.offset, self.data.len()))
    }

    /// `count` NUL-terminated strings starting at the entry's offset.
    fn read_strings(&self, e: Entry) -> Result<Vec<String>, String> {
        let mut rest = self.tail(e)?;
        // Each string takes at least its NUL: a count beyond the data left
        // is a lie, refused before anything is allocated for it.
        if e.count as usize > rest.len() {
            return Err(format!("tag {} claims {} strings in {} bytes", e.tag, e.count, rest.len()));
        }
        let mut out = Vec::with_capacity(e.count as usize);
        for _ in 0..e.count {
            let Some(nul) = rest.iter().position(|&b| b == 0) else {
                return Err(format!("tag {}: a string runs off the end of the data store", e.tag));
            };
            out.push(String::from_utf8_lossy(&rest[..nul]).into_owned());
            rest = &rest[nul + 1..];
        }
        Ok(out)
    }

    /// A single string (STRING, or the first of an I18NSTRING).
    pub fn string(&self, tag: u32) -> Result<Option<String>, String> {
        let Some(e) = self.entry(tag) else { return Ok(None) };
        if !matches!(e.kind, TYPE_STRING | TYPE_I18NSTRING) {
            return Err(format!("tag {tag} has type {}, not a string", e.kind));
        }
        Ok(self.read_strings(Entry { count: 1, ..e })?.pop())
    }

    /// A string array; empty when the tag is absent.
    pub fn strings(&self, tag: u32) -> Result<Vec<String>, String> {
        let Some(e) = self.entry(tag) else { return Ok(Vec::new()) };
        if e.kind != TYPE_STRING_ARRAY {
            return Err(format!("tag {tag} has type {}, not a string array", e.kind));
        }
        self.read_strings(e)
    }

    /// An INT32 array; empty when the tag is absent.
    pub fn int32s(&self, tag: u32) -> Result<Vec<u32>, String> {
        let Some(e) = self.entry(tag) else { return Ok(Vec::new()) };
        if e.kind != TYPE_INT32 {
            return Err(format!("tag {tag} has type {}, not INT32", e.kind));
        }
        let bytes = (e.count as usize).checked_mul(4).and_then(|n| self.tail(e).ok()?.get(..n));
        let Some(bytes) = bytes else {
            return Err(format!("tag {tag}: {} INT32 values at offset {} run past the {}-byte data store", e.count, e.offset, self.data.len()));
        };
        Ok(bytes.chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect())
    }

    /// The installed files, root-relative: `DIRNAMES[DIRINDEXES[i]] +
    /// BASENAMES[i]`, or the pre-4.1 `OLDFILENAMES`. Joining repeats each
    /// directory name once per file, so a hostile header could expand a
    /// few bytes into gigabytes: the joined paths may take at most
    /// `budget` bytes, which is reduced by what they take.
    pub fn files(&self, budget: &mut usize) -> Result<Vec<String>, String> {
        let mut spend = |path: String| {
            *budget = budget.checked_sub(path.len()).ok_or("the file list expands beyond its share of the database's size")?;
            Ok::<_, String>(path)
        };
        let base = self.strings(BASENAMES)?;
        if base.is_empty() {
            return self.strings(OLDFILENAMES)?.into_iter().map(|f| spend(f.trim_start_matches('/').to_owned())).collect();
        }
        let dirs = self.strings(DIRNAMES)?;
        let index = self.int32s(DIRINDEXES)?;
        if index.len() != base.len() {
            return Err(format!("{} file names but {} directory indexes", base.len(), index.len()));
        }
        base.iter()
            .zip(index)
            .map(|(b, i)| {
                let dir = dirs.get(i as usize).ok_or_else(|| format!("directory index {i} for '{b}' is past the {} directories", dirs.len()))?;
                spend(format!("{}{b}", dir.trim_start_matches('/')))
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod tests {
    use super::*;

    /// Builds a header blob from (tag, type, count, data) entries, for tests.
    pub fn blob(entries: &[(u32, u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, kind, count, bytes) in entries {
            if *kind == TYPE_INT32 {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
            }
            for v in [*tag, *kind, data.len() as u32, *count] {
                index.extend_from_slice(&v.to_be_bytes());
            }
            data.extend_from_slice(bytes);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    pub fn s(tag: u32, v: &str) -> (u32, u32, u32, Vec<u8>) {
        (tag, TYPE_STRING, 1, format!("{v}\0").into_bytes())
    }

    pub fn sa(tag: u32, v: &[&str]) -> (u32, u32, u32, Vec<u8>) {
        (tag, TYPE_STRING_ARRAY, v.len() as u32, v.iter().flat_map(|s| format!("{s}\0").into_bytes()).collect())
    }

    pub fn i32s(tag: u32, v: &[u32]) -> (u32, u32, u32, Vec<u8>) {
        (tag, TYPE_INT32, v.len() as u32, v.iter().flat_map(|x| x.to_be_bytes()).collect())
    }

    #[test]
    fn reads_tags_and_files() {
        let b = blob(&[
            s(NAME, "bash"),
            i32s(EPOCH, &[2]),
            sa(DIRNAMES, &["/usr/bin/", "/etc/"]),
            sa(BASENAMES, &["bash", "bashrc", "sh"]),
            i32s(DIRINDEXES, &[0, 1, 0]),
        ]);
        let h = Header::parse(&b).unwrap();
        assert_eq!(h.string(NAME).unwrap().as_deref(), Some("bash"));
        assert_eq!(h.string(VERSION).unwrap(), None);
        assert_eq!(h.int32s(EPOCH).unwrap(), [2]);
        assert_eq!(h.files(&mut 100).unwrap(), ["usr/bin/bash", "etc/bashrc", "usr/bin/sh"]);
        // 12 + 10 + 10 bytes of paths: 31 is one too few.
        assert!(h.files(&mut 31).unwrap_err().contains("expands"));
    }

    #[test]
    fn lies_are_errors() {
        assert!(Header::parse(&[0, 0, 0, 1]).unwrap_err().contains("preamble"));
        assert!(Header::parse(&[0, 0, 0, 0, 0, 0, 0, 0]).unwrap_err().contains("limits"));
        assert!(Header::parse(&[0, 1, 0, 0, 0, 0, 0, 0]).unwrap_err().contains("limits"));
        let mut b = blob(&[s(NAME, "bash")]);
        assert!(Header::parse(&b[..b.len() - 1]).unwrap_err().contains("the blob has"));
        // The name's NUL overwritten: the string runs off the end.
        let last = b.len() - 1;
        b[last] = b'x';
        assert!(Header::parse(&b).unwrap().string(NAME).unwrap_err().contains("runs off"));
        // A huge count is refused before allocating.
        let b = blob(&[(BASENAMES, TYPE_STRING_ARRAY, u32::MAX, b"a\0".to_vec())]);
        assert!(Header::parse(&b).unwrap().strings(BASENAMES).unwrap_err().contains("claims"));
        let b = blob(&[(DIRINDEXES, TYPE_INT32, u32::MAX, vec![0; 4])]);
        assert!(Header::parse(&b).unwrap().int32s(DIRINDEXES).unwrap_err().contains("run past"));
        let b = blob(&[sa(DIRNAMES, &["/"]), sa(BASENAMES, &["a"]), i32s(DIRINDEXES, &[1])]);
        assert!(Header::parse(&b).unwrap().files(&mut 100).unwrap_err().contains("past the 1 directories"));
        let b = blob(&[i32s(NAME, &[1])]);
        assert!(Header::parse(&b).unwrap().string(NAME).unwrap_err().contains("not a string"));
    }
}
