//! Bounds the memory the tar reader may spend on one entry's metadata.
//!
//! The `tar` crate reads GNU long names/links and PAX extension records whole
//! into memory, for any size the header declares; a hostile layer could
//! declare gigabytes. This reader watches the tar structure as the bytes pass
//! (headers, sizes, PAX `size` overrides, GNU sparse extension blocks) and
//! refuses a metadata entry larger than [`MAX_METADATA`] before its content
//! is read. It never changes a byte. When it cannot follow the stream (a
//! header with a bad checksum, the end-of-archive block), it stops watching
//! and leaves the verdict to the tar reader.

use std::io::{self, Read};

/// Largest long name, long link or PAX extension entry accepted.
pub const MAX_METADATA: u64 = 1 << 20;

const BLOCK: usize = 512;

enum State {
    /// Collecting a header block.
    Header { buf: Box<[u8; BLOCK]>, filled: usize },
    /// Skipping `remaining` bytes of entry data and padding.
    Data { remaining: u64 },
    /// Collecting a PAX extension's `size` bytes of records (bounded); its
    /// padding is skipped as data afterwards.
    Pax { buf: Vec<u8>, size: u64 },
    /// GNU sparse extension blocks, then `data` bytes.
    SparseExt { buf: Box<[u8; BLOCK]>, filled: usize, data: u64 },
    /// No longer following the structure.
    Off,
}

/// A reader that passes a tar stream through unchanged and fails it when
/// a metadata entry declares more than [`MAX_METADATA`] bytes.
pub struct TarGuard<R> {
    inner: R,
    state: State,
    /// A PAX `size` record that applies to the next entry.
    next_size: Option<u64>,
}

fn header() -> State {
    State::Header { buf: Box::new([0; BLOCK]), filled: 0 }
}

fn padded(size: u64) -> u64 {
    size.div_ceil(BLOCK as u64) * BLOCK as u64
}

fn octal(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        // base-256: big-endian, high bit of the first byte is the marker
        let mut v: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(v);
    }
    let s: Vec<u8> = field.iter().copied().skip_while(|b| *b == b' ').take_while(|b| (b'0'..=b'7').contains(b)).collect();
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(std::str::from_utf8(&s).ok()?, 8).ok()
}

fn checksum_ok(h: &[u8; BLOCK]) -> bool {
    let Some(stored) = octal(&h[148..156]) else { return false };
    let sum: u64 = h.iter().enumerate().map(|(i, b)| if (148..156).contains(&i) { u64::from(b' ') } else { u64::from(*b) }).sum();
    sum == stored
}

/// The `size` record of PAX extension data, if any.
fn pax_size(data: &[u8]) -> Option<u64> {
    let mut rest = data;
    let mut found = None;
    // Records are "LEN key=value\n"; stop at the first malformed one.
    while let Some(sp) = rest.iter().position(|b| *b == b' ') {
        let Some(len) = std::str::from_utf8(&rest[..sp]).ok().and_then(|l| l.parse::<usize>().ok()) else { break };
        if len <= sp || len > rest.len() {
            break;
        }
        if let Some(v) = rest[sp + 1..len].strip_prefix(b"size=") {
            found = std::str::from_utf8(v).ok().and_then(|v| v.trim_end_matches('\n').parse().ok());
        }
        rest = &rest[len..];
    }
    found
}

fn too_large(kind: &str, size: u64) -> io::Error {
    io::Error::other(format!("tar {kind} entry declares {size} bytes, over the {MAX_METADATA}-byte limit for metadata"))
}

impl<R: Read> TarGuard<R> {
    /// Watches the tar stream `inner`.
    pub fn new(inner: R) -> Self {
        TarGuard { inner, state: header(), next_size: None }
    }

    /// Advances the state machine over `bytes`.
    fn observe(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            match &mut self.state {
                State::Off => return Ok(()),
                State::Data { remaining } => {
                    let n = (*remaining).min(bytes.len() as u64) as usize;
                    *remaining -= n as u64;
                    bytes = &bytes[n..];
                    if *remaining == 0 {
                        self.state = header();
                    }
                }
                State::Pax { buf, size } => {
                    // `buf.len()` alone tracks progress, so a body split
                    // over any number of reads is collected exactly once.
                    let n = (*size - buf.len() as u64).min(bytes.len() as u64) as usize;
                    buf.extend_from_slice(&bytes[..n]);
                    bytes = &bytes[n..];
                    if buf.len() as u64 == *size {
                        self.next_size = pax_size(buf).or(self.next_size);
                        let padding = padded(*size) - *size;
                        self.state = if padding == 0 { header() } else { State::Data { remaining: padding } };
                    }
                }
                State::Header { buf, filled } | State::SparseExt { buf, filled, .. } => {
                    let n = (BLOCK - *filled).min(bytes.len());
                    buf[*filled..*filled + n].copy_from_slice(&bytes[..n]);
                    *filled += n;
                    bytes = &bytes[n..];
                    if *filled == BLOCK {
                        let block = std::mem::replace(buf, Box::new([0; BLOCK]));
                        *filled = 0;
                        self.block(&block)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn block(&mut self, b: &[u8; BLOCK]) -> io::Result<()> {
        if let State::SparseExt { data, .. } = self.state {
            self.state = if b[504] != 0 { State::SparseExt { buf: Box::new([0; BLOCK]), filled: 0, data } } else { State::Data { remaining: data } };
            if let State::Data { remaining: 0 } = self.state {
                self.state = header();
            }
            return Ok(());
        }
        if b.iter().all(|x| *x == 0) || !checksum_ok(b) {
            self.state = State::Off;
            return Ok(());
        }
        let Some(declared) = octal(&b[124..136]) else {
            self.state = State::Off;
            return Ok(());
        };
        let kind = b[156];
        let size = match kind {
            b'x' | b'g' | b'L' | b'K' => declared,
            _ => self.next_size.take().unwrap_or(declared),
        };
        match kind {
            b'L' | b'K' | b'x' | b'g' if size > MAX_METADATA => {
                return Err(too_large(if matches!(kind, b'x' | b'g') { "PAX extension" } else { "GNU long name" }, size));
            }
            b'x' => {
                self.state = State::Pax { buf: Vec::with_capacity(size as usize), size };
                if size == 0 {
                    self.state = header();
                }
                return Ok(());
            }
            b'S' if b[482] != 0 => {
                self.state = State::SparseExt { buf: Box::new([0; BLOCK]), filled: 0, data: padded(size) };
                return Ok(());
            }
            // Directories, links and devices carry no data whatever the field says.
            b'1' | b'2' | b'3' | b'4' | b'5' | b'6' => {
                self.state = header();
                return Ok(());
            }
            _ => {}
        }
        self.state = if size == 0 { header() } else { State::Data { remaining: padded(size) } };
        Ok(())
    }
}

impl<R: Read> Read for TarGuard<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        self.observe(&out[..n])?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, name, &data[..]).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn read_through(bytes: &[u8], chunk: usize) -> io::Result<Vec<u8>> {
        let mut g = TarGuard::new(bytes);
        let mut out = Vec::new();
        let mut buf = vec![0; chunk];
        loop {
            let n = g.read(&mut buf)?;
            if n == 0 {
                return Ok(out);
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn passes_real_archives_unchanged_in_any_chunking() {
        let long = "d/".repeat(200) + "file";
        let tar = archive(&[("a", vec![1; 700]), (&long, vec![2; 3]), ("b", Vec::new())]);
        for chunk in [1, 7, 512, 4096] {
            assert_eq!(read_through(&tar, chunk).unwrap(), tar);
        }
        assert_eq!(tar::Archive::new(TarGuard::new(&tar[..])).entries().unwrap().count(), 3);
    }

    /// Runs `f` on a thread; a result later than a minute is a hang.
    fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(f()));
        rx.recv_timeout(std::time::Duration::from_secs(60)).unwrap_or_else(|e| panic!("{what}: no result ({e}): a hang or a panic"))
    }

    #[test]
    fn pax_bodies_split_over_reads_are_followed() {
        // A 9,000-byte record arrives in several reads at every chunk size
        // below it; a split PAX body once made the guard spin forever.
        let mut b = tar::Builder::new(Vec::new());
        let comment = "c".repeat(9000);
        b.append_pax_extensions([("comment", comment.as_bytes()), ("size", &b"5"[..])]).unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_size(5);
        h.set_mode(0o644);
        b.append_data(&mut h, "f", &b"hello"[..]).unwrap();
        // Bodies of every length around a block boundary, so the padding
        // is split too.
        for n in [1, 99, 500, 511, 512, 513, 1023] {
            b.append_pax_extensions([("comment", "x".repeat(n).as_bytes())]).unwrap();
            b.append_data(&mut h.clone(), format!("g{n}"), &b"hello"[..]).unwrap();
        }
        let tar = b.into_inner().unwrap();
        for chunk in [1, 7, 100, 511, 512, 513, 4096, 8192, 9000, 65536] {
            let copy = tar.clone();
            let read = within(&format!("chunks of {chunk}"), move || read_through(&copy, chunk).unwrap());
            assert_eq!(read.len(), tar.len(), "chunks of {chunk}");
        }
        let names: Vec<String> = tar::Archive::new(TarGuard::new(&tar[..]))
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(names.len(), 8);
        assert_eq!(names[0], "f");
    }

    #[test]
    fn refuses_huge_long_names() {
        let mut h = tar::Header::new_gnu();
        h.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"././@LongLink");
        h.set_entry_type(tar::EntryType::GNULongName);
        h.set_size(8 << 30);
        h.set_cksum();
        let mut bytes = h.as_bytes().to_vec();
        bytes.extend(vec![b'a'; 4096]);
        let err = read_through(&bytes, 4096).unwrap_err().to_string();
        assert!(err.contains("over the 1048576-byte limit"), "{err}");
    }

    #[test]
    fn pax_size_is_followed() {
        assert_eq!(pax_size(b"12 size=999\n22 path=a/b/c/d/e/f/g\n"), Some(999));
        assert_eq!(pax_size(b"12 size=999\n99 truncated"), Some(999));
        assert_eq!(pax_size(b"garbage"), None);
        // A PAX header overriding the next entry's size keeps the guard in step.
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_size(3);
        h.set_mode(0o644);
        b.append_pax_extensions([("size", &b"3"[..]), ("comment", &b"x"[..])]).unwrap();
        b.append_data(&mut h, "f", &b"abc"[..]).unwrap();
        b.append_data(&mut h.clone(), "g", &b"def"[..]).unwrap();
        let tar = b.into_inner().unwrap();
        assert_eq!(read_through(&tar, 100).unwrap(), tar);
    }
}
