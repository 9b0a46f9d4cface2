//! `package-caches`: no package manager cache was left in the image.
//!
//! Index files and downloaded packages are never needed at run time: they
//! add megabytes to every pull, and stale apt lists make a later
//! `apt-get install` in a derived image install outdated versions without
//! an `update`. Waste, not exposure: **low** in every profile.
//!
//! Looks for regular files under the caches of apt (`var/lib/apt/lists`
//! apart from its `lock` and the `partial/` download area, the
//! `var/cache/apt/*.bin` package caches, `var/cache/apt/archives/*.deb`),
//! apk (`var/cache/apk`), yum and dnf (`var/cache/yum`, `var/cache/dnf`),
//! pip (`.cache/pip` in root's and users' homes) and npm (`.npm` in the
//! same homes), and reports each cache with its file count and bytes.

use std::collections::BTreeMap;

use temper_layer::EntryKind;

use super::bytes;
use crate::{Check, Context, Outcome, Profile, Severity};

/// See the module documentation.
pub struct PackageCaches;

/// The cache `path` (a regular file) belongs to, if any.
fn cache_of(path: &str) -> Option<String> {
    if let Some(rest) = path.strip_prefix("var/lib/apt/lists/") {
        return (rest != "lock" && !rest.starts_with("partial/")).then(|| "var/lib/apt/lists".to_owned());
    }
    if let Some(rest) = path.strip_prefix("var/cache/apt/") {
        let wanted = (!rest.contains('/') && rest.ends_with(".bin")) || rest.strip_prefix("archives/").is_some_and(|f| !f.contains('/') && f.ends_with(".deb"));
        return wanted.then(|| "var/cache/apt".to_owned());
    }
    for dir in ["var/cache/apk/", "var/cache/yum/", "var/cache/dnf/"] {
        if path.starts_with(dir) {
            return Some(dir.trim_end_matches('/').to_owned());
        }
    }
    // A home: `root`, or `home/<user>`.
    let (home, rest) = match path.strip_prefix("root/") {
        Some(rest) => ("root".to_owned(), rest),
        None => {
            let (user, rest) = path.strip_prefix("home/")?.split_once('/')?;
            (format!("home/{user}"), rest)
        }
    };
    [".cache/pip", ".npm"]
        .into_iter()
        .find(|c| rest.strip_prefix(c).is_some_and(|r| r.starts_with('/')))
        .map(|c| format!("{home}/{c}"))
}

impl Check for PackageCaches {
    fn id(&self) -> &'static str {
        "package-caches"
    }
    fn title(&self) -> &'static str {
        "No package manager caches left behind"
    }
    fn severity(&self, _: Profile) -> Severity {
        Severity::Low
    }
    fn remediation(&self) -> &'static str {
        "Clean up in the same RUN step: `apt-get update && apt-get install … && rm -rf /var/lib/apt/lists/*`, `apk add --no-cache`, `dnf clean all`, `pip install --no-cache-dir`, `npm ci && npm cache clean --force`; or mount the caches with `RUN --mount=type=cache`."
    }
    fn run(&self, cx: &Context<'_>) -> Outcome {
        let mut caches: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for (path, m) in &cx.merged.files {
            if m.entry.kind != EntryKind::File {
                continue;
            }
            if let Some(cache) = cache_of(path) {
                let c = caches.entry(cache).or_default();
                c.0 += 1;
                c.1 += m.entry.size;
            }
        }
        if caches.is_empty() {
            return Outcome::pass("no package manager caches");
        }
        let total: u64 = caches.values().map(|c| c.1).sum();
        let details = caches.iter().map(|(dir, (n, size))| format!("/{dir}: {n} files, {}", bytes(*size))).collect();
        Outcome::fail(format!("package manager caches hold {}", bytes(total)), details)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{TestImage, dir, file, whiteout};
    use super::*;
    use crate::Status;

    #[test]
    fn reports_each_cache_with_its_size() {
        let image = TestImage::new().layer(vec![
            file("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease", 0o644, 1000),
            file("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4", 0o644, 2000),
            file("var/lib/apt/lists/lock", 0o640, 0),
            dir("var/lib/apt/lists/partial", 0o700),
            file("var/cache/apt/pkgcache.bin", 0o644, 300),
            file("var/cache/apt/archives/curl_7.88.1_amd64.deb", 0o644, 400),
            file("var/cache/apt/archives/lock", 0o640, 0),
            file("var/cache/apk/APKINDEX.abc.tar.gz", 0o644, 50),
            file("root/.cache/pip/http-v2/a/b", 0o644, 10),
            file("home/node/.npm/_cacache/index-v5/x", 0o644, 20),
            file("home/node/.npmrc", 0o644, 5),
            file("root/.cache/other/x", 0o644, 5),
        ]);
        let o = image.run(&PackageCaches);
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.message, "package manager caches hold 3.7 KiB (3780 bytes)");
        assert_eq!(
            o.details,
            [
                "/home/node/.npm: 1 files, 20 B",
                "/root/.cache/pip: 1 files, 10 B",
                "/var/cache/apk: 1 files, 50 B",
                "/var/cache/apt: 2 files, 700 B",
                "/var/lib/apt/lists: 2 files, 2.9 KiB (3000 bytes)",
            ]
        );
    }

    #[test]
    fn cleaned_caches_pass() {
        let image = TestImage::new()
            .layer(vec![dir("var/lib/apt/lists", 0o755), file("var/lib/apt/lists/x_Packages", 0o644, 100)])
            .layer(vec![whiteout("var/lib/apt/lists/x_Packages"), file("var/lib/apt/lists/lock", 0o640, 0), file("var/cache/apt/archives/lock", 0o640, 0)]);
        let o = image.run(&PackageCaches);
        assert_eq!((o.status, o.message.as_str()), (Status::Pass, "no package manager caches"));
    }
}
