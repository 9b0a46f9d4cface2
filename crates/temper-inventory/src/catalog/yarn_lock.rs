//! `yarn.lock`, classic (v1) and Berry (v2+).
//!
//! Both are blocks keyed by a line of descriptors (`name@range, name@range:`)
//! with indented fields under it; classic writes `version "1.2.3"`, Berry
//! writes YAML (`version: 1.2.3`, `linkType: soft` for workspaces and
//! links). Only the header line, the `version`/`linkType` fields and the
//! `dependencies`/`optionalDependencies` lists are needed, so this reads
//! lines instead of pulling in a YAML parser for a format that is not YAML
//! in its classic form. Each requirement (`name` and range) is met by the
//! block whose header lists the descriptor `name@range`; what Berry's
//! workspace blocks require is direct (classic does not record it). A lockfile inside an
//! installed package describes that package's development checkout and is
//! not read. Neither form marks
//! development dependencies, so every locked package is reported; how they
//! are merged with installed ones is decided in [`crate::Inventory::build`].

use std::collections::{HashMap, HashSet};

use temper_layer::{Analyzer, FileEntry};

use crate::package::{Ecosystem, Fact, Package};

pub struct YarnLockCataloger;

/// The package name of a descriptor such as `"@babel/core@^7.0.0"` or
/// `lodash@npm:^4.17.0`, and whether it names a registry package.
fn descriptor_name(descriptor: &str) -> Option<&str> {
    let d = descriptor.trim().trim_matches('"');
    let at = d.get(1..)?.find('@')? + 1;
    let (name, range) = (&d[..at], &d[at + 1..]);
    let local = ["workspace:", "link:", "portal:", "file:", "exec:"].iter().any(|p| range.starts_with(p));
    (!name.is_empty() && !local).then_some(name)
}

fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = line.trim_start().strip_prefix(key)?;
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    rest.starts_with(' ').then(|| rest.trim().trim_matches('"'))
}

/// One block of the lockfile.
#[derive(Default)]
struct Block<'a> {
    /// The descriptors of its header, unquoted.
    descriptors: Vec<&'a str>,
    /// The package name, when the block is a registry package.
    name: Option<&'a str>,
    version: Option<&'a str>,
    /// A workspace or link (Berry's `linkType: soft`).
    soft: bool,
    /// `(name, range)` of its `dependencies` and `optionalDependencies`.
    requires: Vec<(&'a str, &'a str)>,
}

/// `(name, range)` of a line under `dependencies:`: classic
/// `"name" "range"`, Berry `"name": "npm:range"`, quotes optional.
fn requirement(line: &str) -> Option<(&str, &str)> {
    let line = line.trim();
    let (name, rest) = match line.strip_prefix('"') {
        Some(quoted) => quoted.split_once('"')?,
        None => line.split_at(line.find([':', ' '])?),
    };
    let range = rest.trim_start_matches(':').trim().trim_matches('"');
    (!name.is_empty() && !range.is_empty()).then_some((name, range))
}

/// Packages of one lockfile, sorted and without duplicates.
pub fn parse(text: &str) -> Result<Vec<Package>, String> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut in_requires = false;
    let mut headers = 0usize;
    for line in text.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            let header = line.strip_suffix(':').ok_or_else(|| format!("not a yarn.lock entry header: {:.80}", line))?;
            headers += 1;
            in_requires = false;
            if header == "__metadata" {
                continue;
            }
            let descriptors: Vec<&str> = header.split(", ").map(|d| d.trim().trim_matches('"')).collect();
            let name = descriptors.first().and_then(|d| descriptor_name(d));
            blocks.push(Block { descriptors, name, ..Block::default() });
            continue;
        }
        let Some(b) = blocks.last_mut() else { continue };
        if line.starts_with("  ") && !line.starts_with("   ") {
            in_requires = matches!(line.trim().trim_end_matches(':'), "dependencies" | "optionalDependencies");
            if let Some(v) = field(line, "version") {
                b.version = Some(v);
            } else if field(line, "linkType") == Some("soft") {
                b.soft = true;
            }
        } else if in_requires && line.starts_with("    ") && !line.starts_with("     ") {
            b.requires.extend(requirement(line));
        }
    }
    if headers == 0 && !text.contains("yarn lockfile") {
        return Err("no entries and no yarn lockfile marker".into());
    }
    let package_of = |b: &Block<'_>| match (b.name, b.version, b.soft) {
        (Some(name), Some(version), false) if !version.is_empty() => Some(format!("{name}@{version}")),
        _ => None,
    };
    let by_descriptor: HashMap<&str, usize> = blocks.iter().enumerate().flat_map(|(i, b)| b.descriptors.iter().map(move |d| (*d, i))).collect();
    // A requirement is met by the block listing its descriptor; Berry
    // writes `npm:` in both, classic in neither, but a Berry range may omit it.
    let resolve = |name: &str, range: &str| -> Option<Option<String>> {
        let at = by_descriptor.get(format!("{name}@{range}").as_str()).or_else(|| by_descriptor.get(format!("{name}@npm:{range}").as_str()))?;
        Some(blocks.get(*at).and_then(package_of))
    };
    let mut direct = HashSet::new();
    for b in blocks.iter().filter(|b| b.soft) {
        direct.extend(b.requires.iter().filter_map(|(n, r)| resolve(n, r).flatten()));
    }
    let mut out = Vec::new();
    for b in &blocks {
        let (Some(name), Some(version), Some(exact)) = (b.name, b.version, package_of(b)) else { continue };
        // A workspace or link meets a requirement without being a package; nothing found keeps the bare name.
        let depends = b.requires.iter().filter_map(|(n, r)| resolve(n, r).unwrap_or_else(|| Some((*n).to_owned()))).collect();
        out.push(Package { depends, direct: direct.contains(&exact), ..Package::new(name, version, Ecosystem::Npm) });
    }
    Ok(super::distinct(out))
}

impl Analyzer<Fact> for YarnLockCataloger {
    fn id(&self) -> &'static str {
        "yarn-lock"
    }
    fn version(&self) -> u32 {
        2
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        super::lockfile_named(path, &["yarn.lock"])
    }
    fn max_bytes(&self) -> u64 {
        64 << 20
    }
    fn analyze(&self, _: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        let text = std::str::from_utf8(content).map_err(|e| format!("not UTF-8: {e}"))?;
        Ok(parse(text)?.into_iter().map(Fact::Package).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &[Package]) -> Vec<String> {
        p.iter().map(|p| format!("{}@{}", p.name, p.version)).collect()
    }

    #[test]
    fn classic() {
        let lock = "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\n\
\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.22.13\":\n  version \"7.22.13\"\n  resolved \"https://registry.example.invalid/x.tgz#abc\"\n  integrity sha512-x\n  dependencies:\n    \"@babel/highlight\" \"^7.22.13\"\n    version \"9.9.9\"\n\n\
lodash@^4.17.15, lodash@^4.17.20:\n  version \"4.17.21\"\n\n\
local-thing@file:../thing:\n  version \"1.0.0\"\n";
        assert_eq!(names(&parse(lock).unwrap()), ["@babel/code-frame@7.22.13", "lodash@4.17.21"]);
    }

    #[test]
    fn berry() {
        let lock = "# This file is generated by running \"yarn install\" inside your project.\n\n__metadata:\n  version: 6\n  cacheKey: 8\n\n\
\"@babel/code-frame@npm:^7.0.0, @babel/code-frame@npm:^7.22.13\":\n  version: 7.22.13\n  resolution: \"@babel/code-frame@npm:7.22.13\"\n  languageName: node\n  linkType: hard\n\n\
\"app@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"app@workspace:.\"\n  languageName: unknown\n  linkType: soft\n\n\
\"resolve@patch:resolve@npm%3A^1.20.0#~builtin<compat/resolve>\":\n  version: 1.22.8\n  linkType: hard\n\n\
\"resolve@npm:^1.20.0\":\n  version: 1.22.8\n  linkType: hard\n\n\
\"member@portal:./m\":\n  version: 0.0.0\n  linkType: soft\n";
        assert_eq!(names(&parse(lock).unwrap()), ["@babel/code-frame@7.22.13", "resolve@1.22.8"]);
    }

    #[test]
    fn yarn_lock_edges_by_descriptor() {
        let classic = "# yarn lockfile v1\n\n\
express@^4.17.1:\n  version \"4.17.1\"\n  dependencies:\n    debug \"2.6.9\"\n    \"@types/qs\" \"^6\"\n    gone \"^1\"\n  optionalDependencies:\n    fsevents \"^2\"\n\n\
debug@2.6.9:\n  version \"2.6.9\"\n\n\
\"@types/qs@^6\", \"@types/qs@^6.9\":\n  version \"6.9.7\"\n\n\
fsevents@^2:\n  version \"2.3.3\"\n";
        let p = parse(classic).unwrap();
        assert_eq!(names(&p), ["@types/qs@6.9.7", "debug@2.6.9", "express@4.17.1", "fsevents@2.3.3"]);
        assert_eq!(p[2].depends, ["@types/qs@6.9.7", "debug@2.6.9", "fsevents@2.3.3", "gone"]);
        assert!(p.iter().all(|p| !p.direct), "classic does not record the project's own requirements");
        let berry = "__metadata:\n  version: 6\n\n\
\"app@workspace:.\":\n  version: 0.0.0-use.local\n  dependencies:\n    express: \"npm:^4.17.1\"\n    member: \"workspace:m\"\n  linkType: soft\n\n\
\"express@npm:^4.17.1\":\n  version: 4.17.1\n  dependencies:\n    debug: \"npm:2.6.9\"\n    member: \"workspace:m\"\n  linkType: hard\n\n\
\"debug@npm:2.6.9\":\n  version: 2.6.9\n  linkType: hard\n\n\
\"member@workspace:m\":\n  version: 0.0.0\n  linkType: soft\n";
        let p = parse(berry).unwrap();
        assert_eq!(names(&p), ["debug@2.6.9", "express@4.17.1"]);
        assert_eq!(p[1].depends, ["debug@2.6.9"], "a workspace meets a requirement without being a package");
        assert!(p[1].direct && !p[0].direct);
    }

    #[test]
    fn refuses_other_text() {
        assert!(parse("hello world").is_err());
        assert!(parse("").is_err());
        assert!(parse("# yarn lockfile v1\n").unwrap().is_empty());
    }
}
