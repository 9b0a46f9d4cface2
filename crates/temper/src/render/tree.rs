//! `--tree`: a file tree with modes, owners and sizes. Names and link
//! targets are [`escape`]d: one entry, one line.

use std::collections::BTreeMap;

use temper_layer::{EntryKind, FileEntry, Merged};

use super::escape;
use crate::size::human;

#[derive(Default)]
struct Node<'a> {
    entry: Option<&'a FileEntry>,
    children: BTreeMap<&'a str, Node<'a>>,
}

fn mode_string(e: &FileEntry) -> String {
    let t = match e.kind {
        EntryKind::Dir => 'd',
        EntryKind::Symlink { .. } => 'l',
        EntryKind::Hardlink { .. } => 'h',
        EntryKind::CharDevice => 'c',
        EntryKind::BlockDevice => 'b',
        EntryKind::Fifo => 'p',
        EntryKind::Whiteout | EntryKind::OpaqueDir => 'w',
        EntryKind::File => '-',
    };
    let m = e.mode;
    let bit = |b: u32, c: char| if m & b != 0 { c } else { '-' };
    let exec = |x: u32, special: u32, on: char, off: char| match (m & x != 0, m & special != 0) {
        (true, true) => on,
        (false, true) => off,
        (true, false) => 'x',
        (false, false) => '-',
    };
    format!(
        "{t}{}{}{}{}{}{}{}{}{}",
        bit(0o400, 'r'),
        bit(0o200, 'w'),
        exec(0o100, 0o4000, 's', 'S'),
        bit(0o040, 'r'),
        bit(0o020, 'w'),
        exec(0o010, 0o2000, 's', 'S'),
        bit(0o004, 'r'),
        bit(0o002, 'w'),
        exec(0o001, 0o1000, 't', 'T'),
    )
}

fn render<'a>(entries: impl Iterator<Item = &'a FileEntry>) -> String {
    let mut root = Node::default();
    for e in entries {
        let mut node = &mut root;
        for part in e.path.split('/') {
            node = node.children.entry(part).or_default();
        }
        node.entry = Some(e);
    }
    let mut out = String::from("/\n");
    walk(&root, "", &mut out);
    out
}

fn walk(node: &Node<'_>, prefix: &str, out: &mut String) {
    let n = node.children.len();
    for (i, (name, child)) in node.children.iter().enumerate() {
        let last = i + 1 == n;
        // A name is one tree line whatever bytes the layer gave it.
        let name = escape(name);
        let (branch, next) = if last { ("└── ", "    ") } else { ("├── ", "│   ") };
        let detail = match child.entry {
            Some(e) => {
                let suffix = match &e.kind {
                    EntryKind::Symlink { target } => format!(" -> {}", escape(target)),
                    EntryKind::Hardlink { target } => format!(" => /{}", escape(target)),
                    EntryKind::Whiteout => " (deleted)".into(),
                    EntryKind::OpaqueDir => " (opaque: lower contents hidden)".into(),
                    _ => String::new(),
                };
                let size = if e.kind == EntryKind::File { human(e.size) } else { String::new() };
                format!("{} {:>5}:{:<5} {:>10}  {prefix}{branch}{name}{suffix}", mode_string(e), e.uid, e.gid, size)
            }
            None => format!("{:<10} {:>5} {:<5} {:>10}  {prefix}{branch}{name}", "", "", "", ""),
        };
        out.push_str(&detail);
        out.push('\n');
        walk(child, &format!("{prefix}{next}"), out);
    }
}

/// The merged filesystem.
pub fn merged(m: &Merged) -> String {
    render(m.files.values().map(|v| &v.entry))
}

/// One layer's own entries, whiteouts and opaque markers included.
pub fn layer(entries: &[FileEntry]) -> String {
    render(entries.iter())
}
