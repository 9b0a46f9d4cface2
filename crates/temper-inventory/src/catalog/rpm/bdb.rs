//! `Packages`: a Berkeley DB hash database mapping a package number (4
//! bytes) to its header blob, as rpm wrote it up to RHEL 8.
//!
//! The file is a sequence of pages of one size. Page 0 is the hash
//! metadata (magic `0x061561` at offset 12, in the byte order of the host
//! that wrote it; page size at 20; encryption algorithm at 24). Every
//! page starts with a 26-byte header: next page number at 16, entry count
//! (u16) at 20, "high free offset" (u16) at 22, page type at 25. On a hash
//! page the header is followed by `entries` u16 offsets of items, which
//! alternate key, value; an item's first byte is its kind: inline data
//! (1), or off-page (3: overflow page number at +4, total length at +8).
//! An overflow page holds `high free offset` bytes after its header and
//! chains to the next. Buckets are not followed: every hash page is read
//! in file order, which finds every record once. rpm's record 0 holds a
//! counter, not a package, and is skipped.

/// Page header size (`SIZEOF_PAGE`).
const PAGE_HEADER: usize = 26;
const HASH_MAGIC: u32 = 0x0006_1561;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;
/// Metadata flag: pages carry checksums, which shift the page layout.
const DBMETA_CHKSUM: u8 = 1;
/// No header blob is larger (rpm's own limit, plus its preamble).
const MAX_VALUE: usize = 0x0100_0000 + 16 * 0xffff + 8;

/// The database's pages, in the byte order of its metadata.
struct Db<'a> {
    bytes: &'a [u8],
    page_size: usize,
    big_endian: bool,
}

impl<'a> Db<'a> {
    fn pages(&self) -> usize {
        self.bytes.len() / self.page_size
    }

    fn page(&self, n: usize) -> Option<&'a [u8]> {
        self.bytes.get(n * self.page_size..(n + 1) * self.page_size)
    }

    fn u16(&self, b: &[u8], at: usize) -> usize {
        let v = [b[at], b[at + 1]];
        usize::from(if self.big_endian { u16::from_be_bytes(v) } else { u16::from_le_bytes(v) })
    }

    fn u32(&self, b: &[u8], at: usize) -> u32 {
        let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if self.big_endian { u32::from_be_bytes(v) } else { u32::from_le_bytes(v) }
    }

    /// Item `i` of a hash page: it runs from its offset to the previous
    /// item's offset (items are stored from the end of the page down).
    fn item(&self, page: &'a [u8], pgno: usize, i: usize) -> Result<&'a [u8], String> {
        let at = |k: usize| self.u16(page, PAGE_HEADER + 2 * k);
        let start = at(i);
        let end = if i == 0 { self.page_size } else { at(i - 1) };
        page.get(start..end).filter(|s| !s.is_empty()).ok_or_else(|| format!("page {pgno}: item {i} spans {start}..{end}, outside the page"))
    }

    /// The `len` bytes of an off-page value, following the overflow chain
    /// from `pgno`. `budget` is the number of overflow pages still allowed
    /// to be read for the whole file: each belongs to one value, so chains
    /// that loop or are shared run it out instead of running forever.
    fn overflow(&self, mut pgno: usize, len: usize, budget: &mut usize) -> Result<Vec<u8>, String> {
        if len > MAX_VALUE {
            return Err(format!("an off-page value claims {len} bytes, more than any rpm header"));
        }
        let mut out = Vec::with_capacity(len.min(self.bytes.len()));
        loop {
            *budget = budget.checked_sub(1).ok_or("overflow chains visit more pages than the file has: they loop or are shared")?;
            let page = self.page(pgno).ok_or_else(|| format!("overflow page {pgno} is past the end of the file"))?;
            if page[25] != P_OVERFLOW {
                return Err(format!("page {pgno} is of type {}, not an overflow page", page[25]));
            }
            let here = self.u16(page, 22);
            let chunk = page.get(PAGE_HEADER..PAGE_HEADER + here).ok_or_else(|| format!("overflow page {pgno} claims {here} bytes"))?;
            out.extend_from_slice(&chunk[..chunk.len().min(len - out.len())]);
            if out.len() == len {
                return Ok(out);
            }
            pgno = self.u32(page, 16) as usize;
            if pgno == 0 {
                return Err(format!("overflow chain ends after {} of {len} bytes", out.len()));
            }
        }
    }
}

/// `(package number, header blob)` of every record.
pub fn blobs(content: &[u8]) -> Result<Vec<(u64, Vec<u8>)>, String> {
    let meta = content.get(..PAGE_HEADER + 72).ok_or("too short for Berkeley DB metadata")?;
    let magic = [meta[12], meta[13], meta[14], meta[15]];
    let big_endian = if u32::from_le_bytes(magic) == HASH_MAGIC {
        false
    } else if u32::from_be_bytes(magic) == HASH_MAGIC {
        true
    } else {
        return Err("not a Berkeley DB hash database (bad magic)".into());
    };
    let mut db = Db { bytes: content, page_size: 0, big_endian };
    let page_size = db.u32(meta, 20) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!("page size {page_size} is not a Berkeley DB page size"));
    }
    if content.len() < page_size {
        return Err(format!("{} bytes are less than one {page_size}-byte page", content.len()));
    }
    db.page_size = page_size;
    if meta[24] != 0 {
        return Err("the database is encrypted".into());
    }
    if meta[25] != P_HASHMETA {
        return Err(format!("page 0 is of type {}, not hash metadata", meta[25]));
    }
    if meta[26] & DBMETA_CHKSUM != 0 {
        return Err("the database has page checksums, which rpm never writes".into());
    }
    let mut out = Vec::new();
    let mut budget = db.pages();
    for pgno in 1..db.pages() {
        let Some(page) = db.page(pgno) else { break };
        if !matches!(page[25], P_HASH | P_HASH_UNSORTED) {
            continue;
        }
        let entries = db.u16(page, 20);
        if PAGE_HEADER + 2 * entries > page_size {
            return Err(format!("page {pgno} claims {entries} entries, more than fit"));
        }
        for i in (0..entries.saturating_sub(1)).step_by(2) {
            let key = db.item(page, pgno, i)?;
            let value = db.item(page, pgno, i + 1)?;
            let number = match key {
                [H_KEYDATA, k @ ..] if k.len() == 4 => db.u32(k, 0),
                _ => return Err(format!("page {pgno}: record {} has a key that is not a package number", i / 2)),
            };
            if number == 0 {
                continue;
            }
            let blob = match value {
                [H_KEYDATA, v @ ..] => v.to_vec(),
                [H_OFFPAGE, ..] if value.len() >= 12 => db.overflow(db.u32(value, 4) as usize, db.u32(value, 8) as usize, &mut budget).map_err(|e| format!("package {number}: {e}"))?,
                _ => return Err(format!("page {pgno}: package {number} has a value of kind {}", value[0])),
            };
            out.push((u64::from(number), blob));
        }
    }
    out.sort_by_key(|(n, _)| *n);
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A database of 512-byte pages, in either byte order: metadata, one
    /// hash page with records 0 (rpm's counter), 1 (inline) and 2
    /// (off-page over two overflow pages).
    fn sample_in(big: bool) -> Vec<u8> {
        let u32b = |v: u32| if big { v.to_be_bytes() } else { v.to_le_bytes() };
        let u16b = |v: u16| if big { v.to_be_bytes() } else { v.to_le_bytes() };
        let ps = 512;
        let mut f = vec![0u8; ps * 4];
        f[12..16].copy_from_slice(&u32b(HASH_MAGIC));
        f[20..24].copy_from_slice(&u32b(ps as u32));
        f[25] = P_HASHMETA;
        let p = &mut f[ps..2 * ps];
        p[25] = P_HASH;
        let mut items: Vec<Vec<u8>> = Vec::new();
        let mut offpage = vec![H_OFFPAGE, 0, 0, 0];
        offpage.extend_from_slice(&u32b(2));
        offpage.extend_from_slice(&u32b(600));
        for (k, v) in [(0u32, vec![H_KEYDATA, 9, 0, 0, 0]), (1, vec![H_KEYDATA, b'a', b'b']), (2, offpage)] {
            let mut key = vec![H_KEYDATA];
            key.extend_from_slice(&u32b(k));
            items.push(key);
            items.push(v);
        }
        p[20..22].copy_from_slice(&u16b(items.len() as u16));
        let mut end = ps;
        for (i, it) in items.iter().enumerate() {
            let start = end - it.len();
            p[start..end].copy_from_slice(it);
            p[PAGE_HEADER + 2 * i..PAGE_HEADER + 2 * i + 2].copy_from_slice(&u16b(start as u16));
            end = start;
        }
        for (pg, len, next) in [(2usize, 400u16, 3u32), (3, 200, 0)] {
            let p = &mut f[pg * ps..(pg + 1) * ps];
            p[25] = P_OVERFLOW;
            p[16..20].copy_from_slice(&u32b(next));
            p[22..24].copy_from_slice(&u16b(len));
            p[PAGE_HEADER..PAGE_HEADER + usize::from(len)].fill(pg as u8);
        }
        f
    }

    fn sample() -> Vec<u8> {
        sample_in(false)
    }

    #[test]
    fn inline_and_overflow_values() {
        // Big-endian files come from s390x and old POWER hosts.
        for big in [false, true] {
            let got = blobs(&sample_in(big)).unwrap();
            assert_eq!(got.len(), 2);
            assert_eq!(got[0], (1, b"ab".to_vec()));
            assert_eq!(got[1].1.len(), 600);
            assert_eq!((got[1].1[399], got[1].1[400]), (2, 3));
        }
    }

    #[test]
    fn corruption_is_an_error() {
        let ps = 512;
        let mut cyclic = sample();
        cyclic[3 * ps + 16..3 * ps + 20].copy_from_slice(&3u32.to_le_bytes());
        cyclic[3 * ps + 22..3 * ps + 24].copy_from_slice(&0u16.to_le_bytes());
        assert!(blobs(&cyclic).unwrap_err().contains("loop"));
        let mut wild = sample();
        wild[2 * ps + 16..2 * ps + 20].copy_from_slice(&999u32.to_le_bytes());
        assert!(blobs(&wild).unwrap_err().contains("past the end"));
        let mut too_many = sample();
        too_many[ps + 20..ps + 22].copy_from_slice(&400u16.to_le_bytes());
        assert!(blobs(&too_many).unwrap_err().contains("more than fit"));
        let mut bad_item = sample();
        bad_item[ps + PAGE_HEADER..ps + PAGE_HEADER + 2].copy_from_slice(&600u16.to_le_bytes());
        assert!(blobs(&bad_item).unwrap_err().contains("outside the page"));
        let mut huge = sample();
        let s = sample();
        let at = (ps..2 * ps).find(|&i| s[i] == H_OFFPAGE && s[i + 4] == 2).unwrap();
        huge[at + 8..at + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(blobs(&huge).unwrap_err().contains("more than any rpm header"));
        assert!(blobs(&sample()[..50]).unwrap_err().contains("too short"));
        assert!(blobs(&sample()[..100]).unwrap_err().contains("less than one"));
        let mut not = sample();
        not[12] = 0;
        assert!(blobs(&not).unwrap_err().contains("bad magic"));
        // Truncated after the hash page: the overflow chain is cut.
        assert!(blobs(&sample()[..2 * ps + 100]).unwrap_err().contains("past the end"));
    }
}
