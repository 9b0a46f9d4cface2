//! Stacks layers into the filesystem a container sees, applying whiteouts
//! and opaque directories, and accounts per layer for what was added,
//! modified and removed.
//!
//! Within a layer, deletions apply first and only to lower layers (a
//! whiteout never hides its own layer's files); then entries apply in tar
//! order. A non-directory replacing a directory hides its whole subtree.
//! An entry that would be written through a symlink is refused, since an
//! unpacker would follow the link out of place.

use std::collections::BTreeMap;
use std::ops::Bound;

use serde::Serialize;

use crate::entry::{EntryKind, FileEntry};
use crate::walk::LayerIndex;

/// A visible path of the merged filesystem and the layer that put it there.
#[derive(Clone, Debug, Serialize)]
pub struct MergedEntry {
    /// The entry as its layer recorded it.
    pub entry: FileEntry,
    /// Index of the layer it comes from.
    pub layer: usize,
}

/// What one layer did to the filesystem below it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LayerChange {
    /// Bytes of regular files at paths that did not exist below.
    pub added_bytes: u64,
    /// Bytes of regular files that replace a path that existed below.
    pub modified_bytes: u64,
    /// Bytes of lower regular files this layer deleted (whiteouts, opaque
    /// directories, directories replaced by files).
    pub removed_bytes: u64,
    /// Entries added (directories included).
    pub added_files: u64,
    /// Non-directory entries replacing an existing path.
    pub modified_files: u64,
    /// Lower entries deleted.
    pub removed_files: u64,
    /// Bytes of lower regular files that this layer makes invisible, by
    /// deletion or by overwriting: bytes that ship but cannot be seen.
    pub shadowed_bytes: u64,
}

/// The merged filesystem.
#[derive(Clone, Debug, Default)]
pub struct Merged {
    /// Visible entries by path.
    pub files: BTreeMap<String, MergedEntry>,
    /// One change summary per layer.
    pub changes: Vec<LayerChange>,
}

/// A layer that cannot be applied safely.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// An entry, or a hard link's target, lies beyond a symlink.
    #[error("layer {layer}: refusing '{path}': it would be written through the symlink '{link}' -> '{target}'")]
    ThroughSymlink {
        /// Layer index.
        layer: usize,
        /// The entry path.
        path: String,
        /// The symlink on its way.
        link: String,
        /// Where that symlink points.
        target: String,
    },
    /// A hard link whose target is no file of this layer or those below:
    /// an unpacker would fail on it or link whatever sits at that path.
    #[error("layer {layer}: refusing the hard link '{path}': its target '{target}' is not a file in this layer or a lower one")]
    MissingLinkTarget {
        /// Layer index.
        layer: usize,
        /// The link's path.
        path: String,
        /// The target it names.
        target: String,
    },
}

impl Merged {
    /// Bytes of regular files visible in the result.
    pub fn visible_bytes(&self) -> u64 {
        self.files.values().map(|m| m.entry.stored_bytes()).sum()
    }

    /// Bytes hidden by later layers, over all layers.
    pub fn shadowed_bytes(&self) -> u64 {
        self.changes.iter().map(|c| c.shadowed_bytes).sum()
    }

    /// Removes `path` and everything under it, returning (bytes, entries).
    fn remove_tree(&mut self, path: &str, include_self: bool) -> (u64, u64) {
        let mut doomed: Vec<String> = Vec::new();
        if include_self && self.files.contains_key(path) {
            doomed.push(path.to_owned());
        }
        let prefix = if path.is_empty() { String::new() } else { format!("{path}/") };
        for (k, _) in self.files.range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded)) {
            if !k.starts_with(&prefix) {
                break;
            }
            doomed.push(k.clone());
        }
        let mut bytes = 0;
        for k in &doomed {
            if let Some(m) = self.files.remove(k) {
                bytes += m.entry.stored_bytes();
            }
        }
        (bytes, doomed.len() as u64)
    }

    /// The first proper ancestor of `path` that is a symlink, if any.
    fn symlink_ancestor<'a>(&'a self, path: &'a str) -> Option<(&'a str, &'a str)> {
        let mut end = 0;
        while let Some(i) = path[end..].find('/') {
            let ancestor = &path[..end + i];
            if let Some(MergedEntry { entry: FileEntry { kind: EntryKind::Symlink { target }, .. }, .. }) = self.files.get(ancestor) {
                return Some((ancestor, target));
            }
            end += i + 1;
        }
        None
    }

    /// Applies one layer on top.
    pub fn apply(&mut self, layer: usize, index: &LayerIndex) -> Result<(), MergeError> {
        let mut change = LayerChange::default();
        for e in index.entries.iter().filter(|e| e.is_deletion()) {
            let (bytes, count) = self.remove_tree(&e.path, e.kind == EntryKind::Whiteout);
            change.removed_bytes += bytes;
            change.removed_files += count;
        }
        for e in index.entries.iter().filter(|e| !e.is_deletion()) {
            // Neither the entry nor a hard link's target may be reached
            // through a symlink: an unpacker would follow it out of the root.
            let through = match &e.kind {
                EntryKind::Hardlink { target } => self.symlink_ancestor(&e.path).or_else(|| self.symlink_ancestor(target)),
                _ => self.symlink_ancestor(&e.path),
            };
            if let Some((link, target)) = through {
                return Err(MergeError::ThroughSymlink { layer, path: e.path.clone(), link: link.to_owned(), target: target.to_owned() });
            }
            if let EntryKind::Hardlink { target } = &e.kind
                && self.files.get(target).is_none_or(|t| t.entry.is_dir())
            {
                return Err(MergeError::MissingLinkTarget { layer, path: e.path.clone(), target: target.clone() });
            }
            match self.files.get(&e.path) {
                Some(old) if old.entry.is_dir() && e.is_dir() => {}
                Some(old) => {
                    let old_dir = old.entry.is_dir();
                    let old_bytes = old.entry.stored_bytes();
                    let lower = old.layer < layer;
                    if old_dir {
                        let (bytes, count) = self.remove_tree(&e.path, false);
                        change.removed_bytes += bytes;
                        change.removed_files += count;
                    }
                    if lower {
                        change.modified_files += 1;
                        change.modified_bytes += e.stored_bytes();
                        change.shadowed_bytes += old_bytes;
                    } else {
                        change.added_bytes += e.stored_bytes();
                    }
                }
                None => {
                    change.added_files += 1;
                    change.added_bytes += e.stored_bytes();
                }
            }
            self.files.insert(e.path.clone(), MergedEntry { entry: e.clone(), layer });
        }
        change.shadowed_bytes += change.removed_bytes;
        self.changes.push(change);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walk::Compression;

    fn layer(entries: Vec<(&str, EntryKind)>) -> LayerIndex {
        LayerIndex {
            digest: None,
            diff_id: None,
            compressed_size: 0,
            uncompressed_size: 0,
            compression: Compression::None,
            tar_entries: entries.len() as u64,
            entries: entries
                .into_iter()
                .map(|(p, kind)| FileEntry { path: p.into(), kind, size: 0, mode: 0o644, uid: 0, gid: 0 })
                .collect(),
        }
    }

    #[test]
    fn hard_link_through_a_symlink_is_refused() {
        let mut m = Merged::default();
        m.apply(0, &layer(vec![("a", EntryKind::Symlink { target: "/etc".into() })])).unwrap();
        let err = m.apply(1, &layer(vec![("x", EntryKind::Hardlink { target: "a/shadow".into() })])).unwrap_err();
        let MergeError::ThroughSymlink { path, link, target, .. } = err else { panic!("{err}") };
        assert_eq!((path.as_str(), link.as_str(), target.as_str()), ("x", "a", "/etc"));
        // A hard link to a plain path next to the symlink is fine.
        m.apply(1, &layer(vec![("b", EntryKind::File), ("y", EntryKind::Hardlink { target: "b".into() })])).unwrap();
    }

    #[test]
    fn hard_link_needs_a_file_to_link() {
        let mut m = Merged::default();
        m.apply(0, &layer(vec![("d", EntryKind::Dir), ("f", EntryKind::File)])).unwrap();
        // Lower layers' files and earlier entries of the same layer count.
        m.apply(1, &layer(vec![("g", EntryKind::File), ("l1", EntryKind::Hardlink { target: "f".into() }), ("l2", EntryKind::Hardlink { target: "g".into() })])).unwrap();
        for (target, layer_entries) in [("nowhere", vec![]), ("d", vec![]), ("later", vec![("later", EntryKind::File)])] {
            let mut entries = vec![("x", EntryKind::Hardlink { target: target.into() })];
            entries.extend(layer_entries);
            let err = m.clone().apply(2, &layer(entries)).unwrap_err().to_string();
            assert_eq!(err, format!("layer 2: refusing the hard link 'x': its target '{target}' is not a file in this layer or a lower one"));
        }
        // A target deleted by this layer's whiteout is gone too.
        let err = m.clone().apply(2, &layer(vec![("f", EntryKind::Whiteout), ("x", EntryKind::Hardlink { target: "f".into() })])).unwrap_err();
        assert!(matches!(err, MergeError::MissingLinkTarget { .. }), "{err}");
    }
}
