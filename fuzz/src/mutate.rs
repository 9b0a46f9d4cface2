//! The mutator the stable tests use to drive the fuzz bodies without
//! cargo-fuzz: byte flips, interesting bytes, truncation, splices from other
//! seeds, deletions, overwritten runs and duplicated chunks.

/// A small deterministic generator, so stable tests replay exactly.
pub struct XorShift(pub u64);

impl XorShift {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

/// One to four mutations of `seed`, splicing from `others`.
pub fn mutate(rng: &mut XorShift, seed: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    const INTERESTING: &[u8] = b"\x00\xff\x7f\x80/.0 7:{}[]\"\\";
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        match rng.below(7) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 => {
                let keep = rng.below(v.len() + 1);
                v.truncate(keep);
            }
            3 => {
                let other = &others[rng.below(others.len())];
                let from = rng.below(other.len());
                let len = rng.below((other.len() - from).min(600) + 1);
                let at = rng.below(v.len() + 1);
                v.splice(at..at, other[from..from + len].iter().copied());
            }
            4 if !v.is_empty() => {
                let from = rng.below(v.len());
                let len = rng.below((v.len() - from).min(1024) + 1);
                v.drain(from..from + len);
            }
            5 if !v.is_empty() => {
                // Overwrite a run, as a header field would be.
                let at = rng.below(v.len());
                let b = INTERESTING[rng.below(INTERESTING.len())];
                for x in v.iter_mut().skip(at).take(1 + rng.below(12)) {
                    *x = b;
                }
            }
            _ if !v.is_empty() => {
                let from = rng.below(v.len());
                let len = rng.below((v.len() - from).min(512) + 1);
                let chunk = v[from..from + len].to_vec();
                let at = rng.below(v.len() + 1);
                v.splice(at..at, chunk);
            }
            _ => v.push(rng.next() as u8),
        }
    }
    v
}
