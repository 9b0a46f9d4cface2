//! Short reads for the streaming fuzz bodies.
//!
//! A reader over a whole buffer hands out as much as is asked for, so code
//! that loses track of a record split over two reads is never caught (the
//! layer walk once spun forever on a PAX body that arrived in two pieces).
//! [`SplitReader`] returns between 1 and 65,536 bytes per call, sizes drawn
//! from a generator seeded by a hash of the fuzz input, so the same input
//! always splits the same way and a crash or hang reproduces.
//!
//! `fuzz/src/lib.rs` exports this module; the stable replays include it by
//! path next to the bodies that use it.

use std::io::{self, Read};

/// Largest single read handed out.
pub const MAX_READ: usize = 64 << 10;

/// A hash of `data` (FNV-1a), the seed of its read sizes.
pub fn seed_of(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Wraps a reader so that no read returns more than a size drawn from a
/// seeded generator: half the bits of the size's range are spent on its
/// order of magnitude, so single bytes, a few hundred bytes (around a tar
/// block) and tens of KiB all come up often.
pub struct SplitReader<R> {
    inner: R,
    state: u64,
}

impl<R> SplitReader<R> {
    /// `inner`, read in sizes drawn from `seed` (0 is remapped).
    pub fn new(inner: R, seed: u64) -> Self {
        SplitReader { inner, state: seed | 1 }
    }

    fn next(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// The size of the next read: 1 ..= [`MAX_READ`], log-uniform.
    pub fn next_size(&mut self) -> usize {
        let r = self.next();
        let bits = (r % 17) as u32; // 0 ..= 16
        let size = (1u64 << bits) + ((r >> 8) & ((1u64 << bits) - 1));
        (size as usize).clamp(1, MAX_READ)
    }
}

impl<R: Read> Read for SplitReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let n = self.next_size().min(buf.len());
        self.inner.read(&mut buf[..n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_cover_the_range_and_reproduce() {
        let mut a = SplitReader::new(&b""[..], seed_of(b"x"));
        let sizes: Vec<usize> = (0..10_000).map(|_| a.next_size()).collect();
        assert!(sizes.iter().all(|&s| (1..=MAX_READ).contains(&s)));
        assert!(sizes.contains(&1) && sizes.iter().any(|&s| s > 32 << 10));
        let mut b = SplitReader::new(&b""[..], seed_of(b"x"));
        assert!(sizes.iter().all(|&s| s == b.next_size()));
    }
}
