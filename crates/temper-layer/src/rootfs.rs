//! `dir:` sources: an unpacked root filesystem walked in place as one layer.
//! Links are recorded, never followed, so nothing outside the root is read.

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use crate::analyzer::{FileSink, feed};
use crate::entry::{EntryKind, FileEntry};
use crate::walk::{relative, Compression, LayerIndex};
use crate::{ImageTally, Limits};

/// Walks `root` depth-first in name order.
pub(crate) fn walk_dir(root: &Path, limits: &Limits, tally: &ImageTally, layer: usize, sink: &dyn FileSink) -> Result<LayerIndex, String> {
    let mut entries = Vec::new();
    let mut inodes: HashMap<(u64, u64), String> = HashMap::new();
    let mut stack = vec![root.to_owned()];
    let mut total = 0u64;
    while let Some(dir) = stack.pop() {
        let mut children: Vec<_> = fs::read_dir(&dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        children.sort_by_key(std::fs::DirEntry::file_name);
        let mut subdirs = Vec::new();
        for child in children {
            let path = child.path();
            let meta = fs::symlink_metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let Some(rel) = relative(root, &path) else { continue };
            tally.add_entries(1, limits)?;
            let ft = meta.file_type();
            let kind = if ft.is_dir() {
                subdirs.push(path.clone());
                EntryKind::Dir
            } else if ft.is_symlink() {
                let target = fs::read_link(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                EntryKind::Symlink { target: target.to_string_lossy().into_owned() }
            } else if ft.is_file() {
                match (meta.nlink() > 1).then(|| inodes.get(&(meta.dev(), meta.ino()))).flatten() {
                    Some(first) => EntryKind::Hardlink { target: first.clone() },
                    None => {
                        if meta.nlink() > 1 {
                            inodes.insert((meta.dev(), meta.ino()), rel.clone());
                        }
                        EntryKind::File
                    }
                }
            } else if ft.is_char_device() {
                EntryKind::CharDevice
            } else if ft.is_block_device() {
                EntryKind::BlockDevice
            } else if ft.is_fifo() {
                EntryKind::Fifo
            } else {
                continue; // sockets are not stored in images
            };
            let size = if kind == EntryKind::File { meta.len() } else { 0 };
            total += size;
            let entry = FileEntry { path: rel, kind, size, mode: meta.mode() & 0o7777, uid: meta.uid().into(), gid: meta.gid().into() };
            if entry.kind == EntryKind::File
                && let Some(limit) = sink.wants(layer, &entry.path, &entry)
            {
                fs::File::open(&path)
                    .and_then(|mut f| feed(sink, layer, &entry, limit, &mut f))
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
            entries.push(entry);
        }
        // Depth-first in name order, so the first name of a hard-linked
        // inode is the one that holds the content.
        stack.extend(subdirs.into_iter().rev());
    }
    // Directory order for stable output: parents before children, by name.
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(LayerIndex { digest: None, diff_id: None, compressed_size: 0, uncompressed_size: total, compression: Compression::Directory, tar_entries: entries.len() as u64, entries })
}
