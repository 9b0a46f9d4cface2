//! What the layer pass records for every tar entry.

use serde::{Deserialize, Serialize};

/// The kind of a layer entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EntryKind {
    /// Regular file.
    File,
    /// Directory.
    Dir,
    /// Symbolic link, kept as a link (never followed).
    Symlink {
        /// The link target as written.
        target: String,
    },
    /// Hard link to another path of the image.
    Hardlink {
        /// The linked path, normalised like entry paths.
        target: String,
    },
    /// Character device.
    CharDevice,
    /// Block device.
    BlockDevice,
    /// Named pipe.
    Fifo,
    /// `.wh.NAME`: deletes `NAME` (and anything under it) from lower layers.
    Whiteout,
    /// `.wh..wh..opq`: hides everything lower layers put in this directory.
    OpaqueDir,
}

/// One entry of a layer, with its path relative to the image root
/// (no leading `/`, `/`-separated, never `..`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Normalised path. For whiteouts, the path being deleted; for opaque
    /// markers, the directory being made opaque.
    pub path: String,
    /// What it is.
    #[serde(flatten)]
    pub kind: EntryKind,
    /// Content size in bytes (0 for everything but regular files).
    pub size: u64,
    /// Permission bits including setuid/setgid/sticky.
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
}

impl FileEntry {
    /// Whether this entry deletes rather than adds.
    pub fn is_deletion(&self) -> bool {
        matches!(self.kind, EntryKind::Whiteout | EntryKind::OpaqueDir)
    }

    /// Whether this entry is a directory.
    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Dir
    }

    /// Bytes this entry stores: the size of regular files, 0 otherwise.
    pub fn stored_bytes(&self) -> u64 {
        if self.kind == EntryKind::File { self.size } else { 0 }
    }
}
