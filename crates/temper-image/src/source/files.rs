//! Named files inside a directory or inside a tar, read without unpacking.
//!
//! An archive is indexed once by scanning its headers (no content is read);
//! members are then opened by seeking, so each layer of a `docker save` tar
//! can be streamed in parallel from its own file handle.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use crate::digest::{Algorithm, Hasher};
use crate::error::{Error, Result};
use crate::image::{BlobPrint, EDGE_BYTES};

/// Where the members of a layout or archive are read from.
pub(crate) trait Files: Send + Sync {
    /// A display name for messages.
    fn label(&self, name: &str) -> String;
    /// Opens a member and returns it with its size.
    fn open(&self, name: &str) -> Result<(Box<dyn Read + Send>, u64)>;
    /// Reads a small member whole, refusing it above `limit` bytes.
    fn read_small(&self, name: &str, limit: u64) -> Result<Vec<u8>> {
        let (reader, size) = self.open(name)?;
        if size > limit {
            return Err(Error::Format {
                path: self.label(name).into(),
                reason: format!("is {size} bytes, over the {limit}-byte limit"),
            });
        }
        let mut buf = Vec::with_capacity(size as usize);
        reader.take(limit + 1).read_to_end(&mut buf).map_err(|source| Error::Io { path: self.label(name).into(), source })?;
        if buf.len() as u64 > limit {
            return Err(Error::Format { path: self.label(name).into(), reason: format!("is over the {limit}-byte limit") });
        }
        Ok(buf)
    }
    /// A member's size and the digest of its first and last MiB.
    fn print(&self, name: &str) -> Result<BlobPrint>;

    /// The member as a regular file on disk (not a link), when it is one:
    /// a builder links it instead of copying it.
    fn path(&self, _name: &str) -> Option<PathBuf> {
        None
    }
}

/// The [`BlobPrint`] of the `size` bytes at `offset` in `file`: the ends
/// are read by seeking, never the middle.
pub(crate) fn print_at(file: &mut File, offset: u64, size: u64) -> io::Result<BlobPrint> {
    let head = size.min(EDGE_BYTES);
    let tail_start = head.max(size.saturating_sub(EDGE_BYTES));
    let mut hasher = Hasher::new(Algorithm::Sha256);
    let mut buf = vec![0u8; usize::try_from(EDGE_BYTES).unwrap_or(usize::MAX)];
    for (start, len) in [(0, head), (tail_start, size - tail_start)] {
        let chunk = &mut buf[..usize::try_from(len).unwrap_or(0)];
        file.seek(SeekFrom::Start(offset + start))?;
        file.read_exact(chunk)?;
        hasher.update(chunk);
    }
    Ok(BlobPrint { size, edges: Some(hasher.finish()) })
}

/// Refuses member names that could leave the directory or archive.
fn checked_relative(name: &str) -> Option<PathBuf> {
    let p = Path::new(name);
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// Members of a directory on disk.
pub(crate) struct DirFiles {
    pub root: PathBuf,
}

impl Files for DirFiles {
    fn label(&self, name: &str) -> String {
        self.root.join(name).display().to_string()
    }

    fn open(&self, name: &str) -> Result<(Box<dyn Read + Send>, u64)> {
        let rel = checked_relative(name).ok_or_else(|| Error::Format {
            path: self.root.clone(),
            reason: format!("refusing member name '{name}' that leaves the directory"),
        })?;
        let path = self.root.join(rel);
        let file = File::open(&path).map_err(|source| Error::Io { path: path.clone(), source })?;
        let meta = file.metadata().map_err(|source| Error::Io { path: path.clone(), source })?;
        if !meta.is_file() {
            return Err(Error::Format { path, reason: "is not a regular file".into() });
        }
        Ok((Box::new(file), meta.len()))
    }

    fn path(&self, name: &str) -> Option<PathBuf> {
        let path = self.root.join(checked_relative(name)?);
        std::fs::symlink_metadata(&path).ok()?.is_file().then_some(path)
    }

    fn print(&self, name: &str) -> Result<BlobPrint> {
        let (_, size) = self.open(name)?;
        let path = self.label(name);
        let mut file = File::open(&path).map_err(|source| Error::Io { path: path.clone().into(), source })?;
        print_at(&mut file, 0, size).map_err(|source| Error::Io { path: path.into(), source })
    }
}

/// Members of a tar archive, by normalised name.
pub(crate) struct TarFiles {
    path: PathBuf,
    members: HashMap<String, (u64, u64)>,
    /// A temporary archive, deleted with this index.
    _spool: Option<tempfile::TempPath>,
}

/// Largest number of members an image archive may have: real archives hold
/// a handful of JSON files and one file per layer.
const MAX_MEMBERS: usize = 1_000_000;

impl TarFiles {
    /// Scans the archive's headers once.
    pub fn index(path: &Path) -> Result<Self> {
        let io_err = |source| Error::Io { path: path.to_owned(), source };
        let fmt_err = |reason: String| Error::Format { path: path.to_owned(), reason };
        let file = File::open(path).map_err(io_err)?;
        let mut archive = tar::Archive::new(file);
        let mut members = HashMap::new();
        let mut links = Vec::new();
        for (n, entry) in archive.entries().map_err(io_err)?.enumerate() {
            if n >= MAX_MEMBERS {
                return Err(fmt_err(format!("more than {MAX_MEMBERS} members")));
            }
            let entry = entry.map_err(|e| fmt_err(format!("not a readable tar archive: {e}")))?;
            let name = normalise(&entry.path_bytes());
            let kind = entry.header().entry_type();
            if kind.is_file() {
                members.insert(name, (entry.raw_file_position(), entry.size()));
            } else if kind.is_symlink() || kind.is_hard_link() {
                // Old `docker save` links duplicate layers to one copy.
                if let Some(target) = entry.link_name_bytes() {
                    let target = if kind.is_symlink() {
                        resolve_relative(&name, &String::from_utf8_lossy(&target))
                    } else {
                        normalise(&target)
                    };
                    links.push((name, target));
                }
            }
        }
        for (name, target) in links {
            if let Some(found) = members.get(&target).copied() {
                members.insert(name, found);
            }
        }
        if members.is_empty() {
            return Err(fmt_err("empty archive".into()));
        }
        Ok(TarFiles { path: path.to_owned(), members, _spool: None })
    }

    /// Indexes a temporary archive, which lives as long as the index.
    pub fn spooled(spool: tempfile::TempPath) -> Result<Self> {
        let index = Self::index(&spool)?;
        Ok(TarFiles { _spool: Some(spool), ..index })
    }
}

fn normalise(name: &[u8]) -> String {
    let s = String::from_utf8_lossy(name);
    s.trim_start_matches("./").trim_start_matches('/').to_owned()
}

/// Resolves a symlink target relative to the link's own directory.
fn resolve_relative(link: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        link.split('/').collect::<Vec<_>>()[..link.split('/').count().saturating_sub(1)].to_vec()
    };
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

impl Files for TarFiles {
    fn label(&self, name: &str) -> String {
        format!("{}:{name}", self.path.display())
    }

    fn open(&self, name: &str) -> Result<(Box<dyn Read + Send>, u64)> {
        let key = normalise(name.as_bytes());
        let &(offset, size) = self.members.get(&key).ok_or_else(|| Error::Format {
            path: self.path.clone(),
            reason: format!("has no member '{name}'"),
        })?;
        let io_err = |source| Error::Io { path: self.path.clone(), source };
        let mut file = File::open(&self.path).map_err(io_err)?;
        file.seek(SeekFrom::Start(offset)).map_err(io_err)?;
        Ok((Box::new(TruncationCheck { inner: file.take(size), left: size }), size))
    }

    fn print(&self, name: &str) -> Result<BlobPrint> {
        let &(offset, size) = self.members.get(&normalise(name.as_bytes())).ok_or_else(|| Error::Format {
            path: self.path.clone(),
            reason: format!("has no member '{name}'"),
        })?;
        let io_err = |source| Error::Io { path: self.label(name).into(), source };
        let mut file = File::open(&self.path).map_err(io_err)?;
        print_at(&mut file, offset, size).map_err(io_err)
    }
}

/// Turns a short read of an archive member (a truncated archive) into an
/// error instead of a silently short stream.
struct TruncationCheck<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for TruncationCheck<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.left > 0 && !buf.is_empty() {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "archive member is truncated"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_links() {
        assert_eq!(resolve_relative("a/layer.tar", "../b/layer.tar"), "b/layer.tar");
        assert_eq!(resolve_relative("x", "/y/z"), "y/z");
        assert_eq!(resolve_relative("a/b/c", "../../../../d"), "d");
    }

    #[test]
    fn prints_cover_small_files_whole_and_large_ones_at_both_ends() {
        let dir = tempfile::tempdir().unwrap();
        let files = DirFiles { root: dir.path().to_owned() };
        let print_with = |len: usize, flipped: Option<usize>| {
            let mut bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            if let Some(at) = flipped {
                bytes[at] ^= 0xff;
            }
            std::fs::write(dir.path().join("blob"), &bytes).unwrap();
            files.print("blob").unwrap()
        };
        let small = 3 << 19;
        assert_eq!(print_with(small, None).size, small as u64);
        assert_ne!(print_with(small, None), print_with(small, Some(small / 2)), "under 2 MiB every byte counts");
        let large = 3 << 20;
        assert_eq!(print_with(large, None), print_with(large, Some(large / 2)), "the middle of a large blob is not read");
        assert_ne!(print_with(large, None), print_with(large, Some(10)));
        assert_ne!(print_with(large, None), print_with(large, Some(large - 10)));
    }

    #[test]
    fn dir_files_refuse_escapes() {
        let d = DirFiles { root: "/tmp".into() };
        assert!(d.open("../etc/passwd").is_err());
        assert!(d.open("/etc/passwd").is_err());
    }
}
