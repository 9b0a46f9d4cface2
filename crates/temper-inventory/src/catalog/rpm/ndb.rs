//! `Packages.db`: rpm's own "NDB" package store (SUSE's default backend).
//!
//! All integers little-endian. A 32-byte header (magic `RpmP`, version 0,
//! generation, number of slot pages, next package index), then slot pages
//! of 4096 bytes, the first page's slots starting after the header. Each
//! 16-byte slot is magic `Slot`, package index, block offset, block count;
//! offset 0 marks a free slot. Blocks are 16 bytes; a blob at `offset *
//! 16` is framed by a head (magic `BlbS`, package index, timestamp, length)
//! and, at the end of its blocks, a tail (Adler-32 of head, blob and
//! padding, length, magic `BlbE`). Every check rpm makes on read is made
//! here, the checksum included, so a torn write is an error, not garbage.

const HEADER: usize = 32;
const PAGE: usize = 4096;
const SLOT: usize = 16;
const BLOCK: usize = 16;
const BLOB_HEAD: usize = 16;
const BLOB_TAIL: usize = 12;

fn magic(s: &[u8; 4]) -> u32 {
    u32::from_le_bytes(*s)
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).and_then(|s| s.try_into().ok()).map(u32::from_le_bytes)
}

/// Adler-32 (RFC 1950), as rpm computes it over each blob.
fn adler32(bytes: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes is the most that can be summed before `b` could overflow.
    for chunk in bytes.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// `(package index, header blob)` of every used slot.
pub fn blobs(content: &[u8]) -> Result<Vec<(u64, Vec<u8>)>, String> {
    if le32(content, 0) != Some(magic(b"RpmP")) {
        return Err("not an rpm NDB database (no 'RpmP' magic)".into());
    }
    let version = le32(content, 4).unwrap_or(u32::MAX);
    if version != 0 {
        return Err(format!("NDB version {version}; only version 0 exists"));
    }
    let slot_pages = le32(content, 12).unwrap_or(0) as usize;
    if slot_pages == 0 || slot_pages.saturating_mul(PAGE) > content.len() {
        return Err(format!("{slot_pages} slot pages do not fit in {} bytes", content.len()));
    }
    let first_block = slot_pages * PAGE / BLOCK;
    let mut out = Vec::new();
    let mut total = 0;
    for at in (HEADER..slot_pages * PAGE).step_by(SLOT) {
        let field = |k: usize| le32(content, at + 4 * k).unwrap_or(0);
        if field(0) != magic(b"Slot") {
            return Err(format!("slot at byte {at} has no 'Slot' magic"));
        }
        let (index, offset, count) = (field(1), field(2) as usize, field(3) as usize);
        if offset == 0 {
            continue;
        }
        if index == 0 || count == 0 || offset < first_block {
            return Err(format!("slot at byte {at} is invalid (package {index}, blocks {offset}+{count})"));
        }
        let start = offset * BLOCK;
        let blocks = start.checked_add(count * BLOCK).and_then(|end| content.get(start..end));
        let blocks = blocks.ok_or_else(|| format!("package {index}: blocks {offset}+{count} are past the end of the file"))?;
        // Slots of a sound database never share blocks; shared ones would
        // copy the same bytes again and again.
        total += blocks.len();
        if total > content.len() {
            return Err(format!("package {index}: slots overlap (their blobs add up to more than the file)"));
        }
        out.push((u64::from(index), blob(blocks, index)?));
    }
    Ok(out)
}

/// Unframes the blob in `blocks`, checking head, tail and checksum.
fn blob(blocks: &[u8], index: u32) -> Result<Vec<u8>, String> {
    let err = |what: &str| format!("package {index}: {what}");
    if blocks.len() < BLOB_HEAD + BLOB_TAIL || le32(blocks, 0) != Some(magic(b"BlbS")) {
        return Err(err("no blob head"));
    }
    if le32(blocks, 4) != Some(index) {
        return Err(err("the blob belongs to another package"));
    }
    let len = le32(blocks, 12).unwrap_or(0) as usize;
    if (BLOB_HEAD + len + BLOB_TAIL).div_ceil(BLOCK) * BLOCK != blocks.len() {
        return Err(err(&format!("a {len}-byte blob does not fill its {} bytes of blocks", blocks.len())));
    }
    let tail = blocks.len() - BLOB_TAIL;
    if le32(blocks, tail + 8) != Some(magic(b"BlbE")) || le32(blocks, tail + 4) != Some(len as u32) {
        return Err(err("bad blob tail"));
    }
    if le32(blocks, tail) != Some(adler32(&blocks[..tail])) {
        return Err(err("blob checksum mismatch"));
    }
    Ok(blocks[BLOB_HEAD..BLOB_HEAD + len].to_vec())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A one-slot-page database holding `blobs` as packages 1, 2, …
    fn db(blobs: &[&[u8]]) -> Vec<u8> {
        let mut f = vec![0u8; PAGE];
        f[0..4].copy_from_slice(b"RpmP");
        f[12..16].copy_from_slice(&1u32.to_le_bytes());
        f[16..20].copy_from_slice(&(blobs.len() as u32 + 1).to_le_bytes());
        for at in (HEADER..PAGE).step_by(SLOT) {
            f[at..at + 4].copy_from_slice(b"Slot");
        }
        for (i, b) in blobs.iter().enumerate() {
            let index = i as u32 + 1;
            let offset = f.len() / BLOCK;
            let count = (BLOB_HEAD + b.len() + BLOB_TAIL).div_ceil(BLOCK);
            let slot = HEADER + SLOT * i;
            for (k, v) in [index, offset as u32, count as u32].into_iter().enumerate() {
                f[slot + 4 + 4 * k..slot + 8 + 4 * k].copy_from_slice(&v.to_le_bytes());
            }
            let mut blk = Vec::new();
            blk.extend_from_slice(b"BlbS");
            blk.extend_from_slice(&index.to_le_bytes());
            blk.extend_from_slice(&0u32.to_le_bytes());
            blk.extend_from_slice(&(b.len() as u32).to_le_bytes());
            blk.extend_from_slice(b);
            blk.resize(count * BLOCK - BLOB_TAIL, 0);
            let sum = adler32(&blk);
            blk.extend_from_slice(&sum.to_le_bytes());
            blk.extend_from_slice(&(b.len() as u32).to_le_bytes());
            blk.extend_from_slice(b"BlbE");
            f.extend(blk);
        }
        f
    }

    #[test]
    fn reads_slots() {
        let f = db(&[b"first blob", b"second"]);
        assert_eq!(blobs(&f).unwrap(), [(1, b"first blob".to_vec()), (2, b"second".to_vec())]);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn corruption_is_an_error() {
        let good = db(&[b"first blob"]);
        let mut flipped = good.clone();
        flipped[PAGE + BLOB_HEAD] ^= 1;
        assert!(blobs(&flipped).unwrap_err().contains("checksum"));
        assert!(blobs(&good[..good.len() - 1]).unwrap_err().contains("past the end"));
        let mut wild = good.clone();
        wild[HEADER + 8..HEADER + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(blobs(&wild).unwrap_err().contains("past the end"));
        let mut inside = good.clone();
        inside[HEADER + 8..HEADER + 12].copy_from_slice(&3u32.to_le_bytes());
        assert!(blobs(&inside).unwrap_err().contains("invalid"));
        let mut pages = good.clone();
        pages[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(blobs(&pages).unwrap_err().contains("do not fit"));
        let mut other = good.clone();
        other[PAGE + 4] = 7;
        assert!(blobs(&other).unwrap_err().contains("another package"));
        assert!(blobs(b"RpmQ").unwrap_err().contains("magic"));
        // Every slot pointing at the same blob.
        let mut shared = db(&[b"first blob", b"second"]);
        let first = shared[HEADER + 8..HEADER + 16].to_vec();
        shared[HEADER + SLOT + 8..HEADER + SLOT + 16].copy_from_slice(&first);
        shared[HEADER + SLOT + 4..HEADER + SLOT + 8].copy_from_slice(&1u32.to_le_bytes());
        for k in 2..200 {
            let at = HEADER + SLOT * k;
            let slot = shared[HEADER..HEADER + SLOT].to_vec();
            shared[at..at + SLOT].copy_from_slice(&slot);
        }
        assert!(blobs(&shared).unwrap_err().contains("overlap"));
    }
}
