//! `.deb` files: an ar archive of `debian-binary` (`2.0`), `control.tar`
//! and `data.tar`, each tar compressed with gzip, xz or zstd (or not).
//!
//! [`read_control`] reads the control members (small, held in memory up
//! to [`DebLimits::max_control_bytes`]); [`each_data_entry`] streams the
//! data tar entry by entry, never whole. The data tar is read with the
//! guards temper's layer reader uses: metadata entries bounded
//! ([`temper_layer::TarGuard`]), names normalised by
//! [`temper_layer::normalise_path`] (absolute names and `..` refused), no
//! entry written through a symlink the package itself ships, and every
//! size checked against the limits before a byte of it is read.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

/// Bounds on what one `.deb` may hold.
#[derive(Debug, Clone)]
pub struct DebLimits {
    /// All control members together, uncompressed.
    pub max_control_bytes: u64,
    /// One file of the data tar.
    pub max_file_bytes: u64,
    /// The data tar, uncompressed.
    pub max_data_bytes: u64,
    /// Entries of the data tar.
    pub max_entries: u64,
}

impl Default for DebLimits {
    fn default() -> Self {
        // Debian's largest packages unpack to a few GiB; their control
        // members stay under a few MiB (`md5sums` of big packages, templates).
        DebLimits { max_control_bytes: 16 << 20, max_file_bytes: 4 << 30, max_data_bytes: 16 << 30, max_entries: 500_000 }
    }
}

/// A `.deb` that cannot be read, or is refused.
#[derive(Debug, thiserror::Error)]
#[error("{}: {reason}", path.display())]
pub struct DebError {
    /// The `.deb`.
    pub path: PathBuf,
    /// What is wrong, and what to do.
    pub reason: String,
}

fn fail(path: &Path, reason: impl Into<String>) -> DebError {
    DebError { path: path.to_owned(), reason: reason.into() }
}

/// The maintainer scripts dpkg knows, in the order it would run them.
pub const SCRIPTS: [&str; 4] = ["preinst", "postinst", "prerm", "postrm"];

/// The control members of a `.deb`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Control {
    /// The `control` file: the package's paragraph, without trailing newlines.
    pub paragraph: String,
    /// Every other member by name (`conffiles`, `md5sums`, `postinst`,
    /// `triggers`, `shlibs`, …).
    pub members: BTreeMap<String, Vec<u8>>,
}

impl Control {
    /// A field of the paragraph (first line; continuation lines joined by `\n`).
    pub fn field(&self, name: &str) -> Option<String> {
        crate::install::paragraph_field(&self.paragraph, name)
    }

    /// The paths of `conffiles` (flags such as `remove-on-upgrade` dropped).
    pub fn conffiles(&self) -> Vec<String> {
        let text = self.members.get("conffiles").map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
        text.lines().filter_map(|l| l.split_whitespace().next()).filter(|p| p.starts_with('/')).map(str::to_owned).collect()
    }

    /// The `md5sums` member as written.
    pub fn md5sums(&self) -> Option<&[u8]> {
        self.members.get("md5sums").map(Vec::as_slice)
    }

    /// The maintainer scripts present, `(name, text)`, in [`SCRIPTS`] order.
    pub fn scripts(&self) -> Vec<(&'static str, String)> {
        SCRIPTS.iter().filter_map(|&s| self.members.get(s).map(|b| (s, String::from_utf8_lossy(b).into_owned()))).collect()
    }
}

/// What a data entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataKind {
    /// A regular file of `size` bytes; its content is the reader handed along.
    File {
        /// Bytes.
        size: u64,
    },
    /// A directory.
    Dir,
    /// A symlink, target as written.
    Symlink {
        /// Where it points.
        target: String,
    },
    /// A hard link to an earlier entry (root-relative).
    Hardlink {
        /// The earlier entry.
        target: String,
    },
}

/// One entry of the data tar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataEntry {
    /// Root-relative, normalised (`usr/bin/curl`).
    pub path: String,
    /// What it is.
    pub kind: DataKind,
    /// Permission bits (with setuid, setgid, sticky).
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: u64,
}

/// Fails the stream once more than `left` bytes passed: decompression
/// bombs stop at the limit, not at the end of memory or disk.
struct Bounded<R> {
    inner: R,
    left: u64,
    what: &'static str,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| io::Error::other(format!("{} is larger than the limit", self.what)))?;
        Ok(n)
    }
}

/// A file's content, failing where the data tar ends before the size its
/// header declares: the tar reader ends such an entry quietly, so a
/// truncated `.deb` would unpack a truncated file.
struct Declared<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Declared<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() && self.left > 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, format!("the data tar ends {} bytes short of the size this file declares; the .deb is truncated", self.left)));
        }
        self.left = self.left.saturating_sub(n as u64);
        Ok(n)
    }
}

/// Memory the xz decoder may use: `xz -9` needs 65 MiB; a hostile header
/// could ask for gigabytes. (zstd refuses windows past 128 MiB by default.)
const XZ_MEMLIMIT: u64 = 256 << 20;

fn decoder<'a>(path: &Path, member: &str, reader: impl Read + 'a) -> Result<Box<dyn Read + 'a>, DebError> {
    let ext = member.rsplit_once(".tar").map_or("?", |(_, e)| e);
    Ok(match ext {
        "" => Box::new(reader),
        ".gz" => Box::new(flate2::read::MultiGzDecoder::new(reader)),
        ".xz" => {
            let stream = liblzma::stream::Stream::new_stream_decoder(XZ_MEMLIMIT, liblzma::stream::CONCATENATED).map_err(|e| fail(path, format!("{member}: {e}")))?;
            Box::new(liblzma::read::XzDecoder::new_stream(reader, stream))
        }
        ".zst" => Box::new(zstd::stream::read::Decoder::new(reader).map_err(|e| fail(path, format!("{member}: {e}")))?),
        _ => return Err(fail(path, format!("member '{member}' is compressed in a way temper does not read (it reads gzip, xz and zstd); repack it with `dpkg-deb -Z xz`"))),
    })
}

/// Opens the ar archive, checks `debian-binary` and hands the member named
/// `prefix.tar*` to `f`.
fn with_member<T, E: From<DebError>>(path: &Path, prefix: &str, f: impl FnOnce(&str, &mut dyn Read) -> Result<T, E>) -> Result<T, E> {
    let file = File::open(path).map_err(|e| fail(path, format!("cannot open: {e}")))?;
    let mut ar = ar::Archive::new(BufReader::new(file));
    let mut first = true;
    while let Some(member) = ar.next_entry() {
        let mut member = member.map_err(|e| fail(path, format!("not a .deb (ar archive): {e}")))?;
        let name = String::from_utf8_lossy(member.header().identifier()).trim_end_matches('/').to_owned();
        if first {
            let mut magic = Vec::new();
            (&mut member).take(16).read_to_end(&mut magic).map_err(|e| fail(path, format!("debian-binary: {e}")))?;
            if name != "debian-binary" || !magic.starts_with(b"2.") {
                return Err(fail(path, "not a .deb: it does not start with a 'debian-binary' member of format 2.x").into());
            }
            first = false;
            continue;
        }
        if name.strip_prefix(prefix).is_some_and(|rest| rest.starts_with(".tar")) {
            return f(&name, &mut member);
        }
    }
    Err(fail(path, if first { "not a .deb: empty archive".to_owned() } else { format!("no {prefix}.tar member; the .deb is truncated or damaged") }).into())
}

/// Reads the control members.
pub fn read_control(path: &Path, limits: &DebLimits) -> Result<Control, DebError> {
    with_member(path, "control", |name, member| -> Result<Control, DebError> {
        let bounded = Bounded { inner: decoder(path, name, member)?, left: limits.max_control_bytes.saturating_add(1 << 20), what: "control.tar" };
        let mut tar = tar::Archive::new(temper_layer::TarGuard::new(bounded));
        let mut control = Control::default();
        let mut total = 0u64;
        for entry in tar.entries().map_err(|e| fail(path, format!("{name}: {e}")))? {
            let mut entry = entry.map_err(|e| fail(path, format!("{name}: {e}")))?;
            if entry.header().entry_type() != tar::EntryType::Regular {
                continue;
            }
            let Some(member) = temper_layer::normalise_path(&entry.path_bytes()).map_err(|e| fail(path, format!("{name}: refusing {e}")))? else { continue };
            total = total.saturating_add(entry.size());
            if total > limits.max_control_bytes {
                return Err(fail(path, format!("{name}: the control members are larger than {} bytes; refusing", limits.max_control_bytes)));
            }
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).map_err(|e| fail(path, format!("{name}: {member}: {e}")))?;
            if member == "control" {
                let text = String::from_utf8(bytes).map_err(|_| fail(path, "the control file is not UTF-8"))?;
                control.paragraph = text.trim_end().to_owned();
            } else {
                control.members.insert(member, bytes);
            }
        }
        if control.paragraph.is_empty() {
            return Err(fail(path, format!("{name} has no control file; the .deb is damaged")));
        }
        Ok(control)
    })
}

/// Streams the data tar: `f` gets each entry and, for files, its content
/// (read as much as wanted; the rest is skipped). `f`'s errors end the
/// walk and come back as they are.
pub fn each_data_entry<E: From<DebError>>(path: &Path, limits: &DebLimits, f: &mut dyn FnMut(&DataEntry, &mut dyn Read) -> Result<(), E>) -> Result<(), E> {
    with_member(path, "data", |name, member| -> Result<(), E> {
        let bounded = Bounded { inner: decoder(path, name, member)?, left: limits.max_data_bytes, what: "the data tar" };
        let mut tar = tar::Archive::new(temper_layer::TarGuard::new(bounded));
        let mut symlinks = BTreeSet::new();
        let mut count = 0u64;
        let refuse = |what: String| -> E { fail(path, format!("{name}: refusing {what}; the package is damaged or hostile")).into() };
        for entry in tar.entries().map_err(|e| fail(path, format!("{name}: {e}")))? {
            let mut entry = entry.map_err(|e| fail(path, format!("{name}: {e}")))?;
            count += 1;
            if count > limits.max_entries {
                return Err(fail(path, format!("{name}: more than {} entries; refusing", limits.max_entries)).into());
            }
            let Some(rel) = temper_layer::normalise_path(&entry.path_bytes()).map_err(refuse)? else { continue };
            let through = |p: &str| p.match_indices('/').map(|(i, _)| &p[..i]).find(|a| symlinks.contains(*a)).map(str::to_owned);
            if let Some(link) = through(&rel) {
                return Err(refuse(format!("'{rel}': it would be written through the symlink '{link}'")));
            }
            let header = entry.header();
            let size = entry.size();
            use tar::EntryType as T;
            let link = || entry.link_name_bytes().map(|b| b.into_owned()).filter(|b| !b.is_empty()).ok_or_else(|| refuse(format!("'{rel}': a link without a target")));
            let kind = match header.entry_type() {
                T::Regular | T::Continuous => {
                    if size > limits.max_file_bytes {
                        return Err(refuse(format!("'{rel}': it declares {size} bytes, over the {}-byte limit for one file", limits.max_file_bytes)));
                    }
                    DataKind::File { size }
                }
                T::Directory => DataKind::Dir,
                T::Symlink => {
                    symlinks.insert(rel.clone());
                    DataKind::Symlink { target: String::from_utf8_lossy(&link()?).into_owned() }
                }
                T::Link => {
                    let target = temper_layer::normalise_path(&link()?).map_err(|e| refuse(format!("hard link '{rel}' to {e}")))?.ok_or_else(|| refuse(format!("hard link '{rel}' to the root")))?;
                    if let Some(l) = through(&target) {
                        return Err(refuse(format!("hard link '{rel}' to '{target}' through the symlink '{l}'")));
                    }
                    DataKind::Hardlink { target }
                }
                other => return Err(refuse(format!("'{rel}': tar entry type {:?} (devices, fifos and sparse files are not unpacked)", other.as_byte() as char))),
            };
            let mode = header.mode().map_err(|e| refuse(format!("'{rel}': {e}")))? & 0o7777;
            let data = DataEntry { path: rel, kind, mode, uid: header.uid().unwrap_or(0), gid: header.gid().unwrap_or(0), mtime: header.mtime().unwrap_or(0) };
            let left = if matches!(data.kind, DataKind::File { .. }) { size } else { 0 };
            f(&data, &mut Declared { inner: &mut entry, left })?;
        }
        Ok(())
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::process::Command;

    /// A package tree for `dpkg-deb --build`: control paragraph, extra
    /// control members, data files `(path, content)`, symlinks `(path, target)`.
    pub(crate) struct Pkg<'a> {
        pub control: &'a str,
        pub members: &'a [(&'a str, &'a str)],
        pub files: &'a [(&'a str, &'a str)],
        pub links: &'a [(&'a str, &'a str)],
    }

    /// Builds a `.deb` with the host's `dpkg-deb`, data compressed with `z`.
    pub(crate) fn build(dir: &Path, name: &str, pkg: &Pkg, z: &str) -> PathBuf {
        let root = dir.join(format!("{name}.tree"));
        std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
        std::fs::write(root.join("DEBIAN/control"), format!("{}\n", pkg.control)).unwrap();
        for (m, text) in pkg.members {
            let p = root.join("DEBIAN").join(m);
            std::fs::write(&p, text).unwrap();
            if SCRIPTS.contains(m) {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
        for (p, text) in pkg.files {
            let p = root.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        for (p, target) in pkg.links {
            let p = root.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::os::unix::fs::symlink(target, p).unwrap();
        }
        let out = dir.join(format!("{name}.deb"));
        let status = Command::new("dpkg-deb").args(["--root-owner-group", "-Z", z, "--build"]).arg(&root).arg(&out).output().unwrap();
        assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
        out
    }

    const HELLO: Pkg = Pkg {
        control: "Package: hello\nVersion: 2.10-3\nArchitecture: amd64\nMaintainer: A <a@example.org>\nDescription: greets\n multi-line",
        members: &[("conffiles", "/etc/hello.conf\n"), ("postinst", "#!/bin/sh\nset -e\nldconfig\n"), ("md5sums", "0123  usr/bin/hello\n")],
        files: &[("usr/bin/hello", "#!/bin/sh\necho hi\n"), ("etc/hello.conf", "greeting=hi\n")],
        links: &[("usr/bin/hi", "hello")],
    };

    fn entries(deb: &Path) -> Vec<(String, DataKind, String)> {
        let mut out = Vec::new();
        each_data_entry(deb, &DebLimits::default(), &mut |e, r| {
            let mut s = String::new();
            if matches!(e.kind, DataKind::File { .. }) {
                r.read_to_string(&mut s).unwrap();
            }
            out.push((e.path.clone(), e.kind.clone(), s));
            Ok::<(), DebError>(())
        })
        .unwrap();
        out
    }

    #[test]
    fn deb_reads_control_and_streams_data_in_xz_gzip_and_zstd() {
        let dir = tempfile::tempdir().unwrap();
        for z in ["xz", "gzip", "zstd", "none"] {
            let deb = build(dir.path(), &format!("hello-{z}"), &HELLO, z);
            let control = read_control(&deb, &DebLimits::default()).unwrap();
            assert_eq!(control.field("Package").as_deref(), Some("hello"));
            assert_eq!(control.field("Description").as_deref(), Some("greets\n multi-line"));
            assert_eq!(control.conffiles(), ["/etc/hello.conf"]);
            assert_eq!(control.md5sums(), Some(&b"0123  usr/bin/hello\n"[..]));
            assert_eq!(control.scripts(), [("postinst", "#!/bin/sh\nset -e\nldconfig\n".to_owned())]);
            let got = entries(&deb);
            assert!(got.contains(&("usr/bin/hello".into(), DataKind::File { size: 18 }, "#!/bin/sh\necho hi\n".into())), "{z}: {got:?}");
            assert!(got.contains(&("usr/bin/hi".into(), DataKind::Symlink { target: "hello".into() }, String::new())), "{z}");
            assert!(got.contains(&("usr".into(), DataKind::Dir, String::new())), "{z}");
        }
    }

    /// A .deb assembled by hand around a data tar given as raw blocks.
    fn deb_with_data(dir: &Path, data_tar: Vec<u8>) -> PathBuf {
        let good = dir.join("good.deb");
        if !good.exists() {
            build(dir, "good", &HELLO, "gzip");
        }
        let mut control = Vec::new();
        with_member(&good, "control", |_, m| -> Result<(), DebError> { Ok(m.read_to_end(&mut control).map(|_| ()).unwrap()) }).unwrap();
        let out = dir.join("hostile.deb");
        let mut b = ar::Builder::new(File::create(&out).unwrap());
        b.append(&ar::Header::new(b"debian-binary".to_vec(), 4), &b"2.0\n"[..]).unwrap();
        b.append(&ar::Header::new(b"control.tar.gz".to_vec(), control.len() as u64), &control[..]).unwrap();
        b.append(&ar::Header::new(b"data.tar".to_vec(), data_tar.len() as u64), &data_tar[..]).unwrap();
        out
    }

    fn raw_tar(entries: &[(&str, tar::EntryType, u64, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        for &(name, kind, size, link) in entries {
            let mut h = tar::Header::new_old();
            h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
            h.set_entry_type(kind);
            h.set_size(size);
            h.set_mode(0o644);
            h.set_cksum();
            out.extend_from_slice(h.as_bytes());
            let body = if size <= 4096 { size.div_ceil(512) * 512 } else { 0 };
            out.resize(out.len() + body as usize, b'x');
        }
        out.resize(out.len() + 1024, 0);
        out
    }

    /// Found by the `apt_deb` fuzz body: a data tar cut inside a file gave
    /// the file's first bytes and no error, so a truncated .deb unpacked a
    /// truncated file.
    #[test]
    fn deb_data_cut_inside_a_file_is_an_error_not_a_short_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut tar = raw_tar(&[("./usr/bin/hello", tar::EntryType::Regular, 31, "")]);
        tar.truncate(512 + 10);
        let deb = deb_with_data(dir.path(), tar);
        let mut got = Vec::new();
        let err = each_data_entry(&deb, &DebLimits::default(), &mut |_, content| {
            content.read_to_end(&mut got).map_err(|e| fail(&deb, e.to_string()))?;
            Ok::<(), DebError>(())
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("the data tar ends 21 bytes short of the size this file declares; the .deb is truncated"), "{err}");
        assert_eq!(got.len(), 10);
        let whole = deb_with_data(dir.path(), raw_tar(&[("./usr/bin/hello", tar::EntryType::Regular, 31, "")]));
        each_data_entry(&whole, &DebLimits::default(), &mut |_, content| {
            assert_eq!(std::io::copy(content, &mut std::io::sink()).unwrap(), 31);
            Ok::<(), DebError>(())
        })
        .unwrap();
    }

    #[test]
    fn deb_hostile_entries_are_refused_with_messages() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&[(&str, tar::EntryType, u64, &str)], &str); 5] = [
            (&[("./usr/../../etc/passwd", tar::EntryType::Regular, 4, "")], "contains '..'"),
            (&[("/etc/passwd", tar::EntryType::Regular, 4, "")], "absolute path '/etc/passwd'"),
            (&[("./big", tar::EntryType::Regular, 1 << 40, "")], "'big': it declares 1099511627776 bytes, over the"),
            (&[("./lib", tar::EntryType::Symlink, 0, "/etc"), ("./lib/x", tar::EntryType::Regular, 4, "")], "'lib/x': it would be written through the symlink 'lib'"),
            (&[("./dev", tar::EntryType::Char, 0, "")], "tar entry type '3'"),
        ];
        for (tar, want) in cases {
            let deb = deb_with_data(dir.path(), raw_tar(tar));
            let err = each_data_entry(&deb, &DebLimits::default(), &mut |_, _| Ok::<(), DebError>(())).unwrap_err().to_string();
            assert!(err.contains(want), "{want}: {err}");
            assert!(err.contains("hostile.deb: data.tar: refusing"), "{err}");
        }
        let mut small = DebLimits::default();
        small.max_data_bytes = 2048;
        let deb = deb_with_data(dir.path(), raw_tar(&[("./a", tar::EntryType::Regular, 4000, "")]));
        let err = each_data_entry(&deb, &small, &mut |_, _| Ok::<(), DebError>(())).unwrap_err().to_string();
        assert!(err.contains("larger than the limit"), "{err}");
        std::fs::write(dir.path().join("not.deb"), b"!<arch>\nhello").unwrap();
        assert!(read_control(&dir.path().join("not.deb"), &DebLimits::default()).is_err());
        std::fs::write(dir.path().join("text.deb"), b"just text").unwrap();
        let err = read_control(&dir.path().join("text.deb"), &DebLimits::default()).unwrap_err().to_string();
        assert!(err.contains("not a .deb"), "{err}");
    }
}
