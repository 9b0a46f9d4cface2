//! Images made in test code: layers of hand-written entries, a config
//! from a JSON snippet, an inventory with just the facts a check reads.

use temper_image::model::ImageConfig;
use temper_inventory::{Inventory, OsRelease};
use temper_layer::{Compression, EntryKind, FileEntry, LayerIndex, Merged};
use time::{Date, Month};

use crate::{Check, CheckResult, Context, Outcome, Profile, Settings};

fn entry(path: &str, kind: EntryKind, mode: u32, size: u64) -> FileEntry {
    FileEntry { path: path.to_owned(), kind, size, mode, uid: 0, gid: 0 }
}

/// A regular file owned by root.
pub(crate) fn file(path: &str, mode: u32, size: u64) -> FileEntry {
    entry(path, EntryKind::File, mode, size)
}

/// A directory owned by root.
pub(crate) fn dir(path: &str, mode: u32) -> FileEntry {
    entry(path, EntryKind::Dir, mode, 0)
}

/// A symlink.
pub(crate) fn link(path: &str, target: &str) -> FileEntry {
    entry(path, EntryKind::Symlink { target: target.to_owned() }, 0o777, 0)
}

/// A whiteout deleting `path`.
pub(crate) fn whiteout(path: &str) -> FileEntry {
    entry(path, EntryKind::Whiteout, 0, 0)
}

/// A calendar day.
pub(crate) fn day(year: i32, month: Month, d: u8) -> Date {
    Date::from_calendar_date(year, month, d).unwrap()
}

/// An image under construction.
pub(crate) struct TestImage {
    layers: Vec<LayerIndex>,
    config: ImageConfig,
    inventory: Inventory,
    pub settings: Settings,
}

impl TestImage {
    /// No layers, an empty config, the default settings on 2026-11-15.
    pub fn new() -> Self {
        TestImage {
            layers: Vec::new(),
            config: ImageConfig::default(),
            inventory: Inventory::build(Vec::new(), &[], &Merged::default(), false),
            settings: Settings::new(day(2026, Month::November, 15)),
        }
    }

    /// Adds a layer; its uncompressed size is the sum of its file sizes.
    pub fn layer(mut self, entries: Vec<FileEntry>) -> Self {
        self.layers.push(LayerIndex {
            digest: None,
            diff_id: None,
            compressed_size: 0,
            uncompressed_size: entries.iter().map(FileEntry::stored_bytes).sum(),
            compression: Compression::None,
            tar_entries: entries.len() as u64,
            entries,
        });
        self
    }

    /// The config, from the JSON of its `config` object (`{"User": "app"}`).
    pub fn config(mut self, runtime: &str) -> Self {
        self.config = serde_json::from_str(&format!(r#"{{"config": {runtime}}}"#)).unwrap();
        self
    }

    /// A layer with `etc/passwd` and the accounts it lists, as the reader
    /// would have found them.
    pub fn passwd(mut self, text: &str) -> Self {
        self.inventory.accounts = Some(crate::accounts::parse(text));
        self.layer(vec![file("etc/passwd", 0o644, text.len() as u64)])
    }

    /// The OS release.
    pub fn os(mut self, id: &str, version_id: Option<&str>, pretty_name: Option<&str>) -> Self {
        self.inventory.os = Some(OsRelease {
            id: id.to_owned(),
            version_id: version_id.map(str::to_owned),
            codename: None,
            pretty_name: pretty_name.map(str::to_owned),
        });
        self
    }

    /// The profile.
    pub fn profile(mut self, profile: Profile) -> Self {
        self.settings.profile = profile;
        self
    }

    /// Stacks the layers and hands the context to `f`.
    fn with_context<T>(&self, f: impl FnOnce(&Context<'_>) -> T) -> T {
        let analysis = temper_layer::analyze(&self.layers).unwrap();
        f(&Context {
            config: &self.config,
            layers: &self.layers,
            merged: &analysis.merged,
            efficiency: &analysis.efficiency,
            inventory: &self.inventory,
            settings: &self.settings,
        })
    }

    /// Runs `check`.
    pub fn run(&self, check: &dyn Check) -> Outcome {
        self.with_context(|cx| check.run(cx))
    }

    /// Runs every registered check, as `temper check` does.
    pub fn run_all(&self) -> Vec<CheckResult> {
        self.with_context(crate::run)
    }
}
