//! Repository globs: `HOST/team/*` (a `*` stays within one path segment)
//! or `HOST/**` (any depth) become one reference per tag of every matching
//! repository of `HOST`'s catalog, optionally only the tags a glob
//! matches. The fleet then tracks those references; a repository created
//! later needs another `fleet add`.

use globset::{GlobBuilder, GlobMatcher};
use temper_image::RegistryOptions;
use temper_image::registry::catalog::Catalog;

use crate::Error;

/// Catalog and tag pages are asked for this many entries at a time.
const PAGE_SIZE: u32 = 1000;

/// Characters that make a reference a repository glob.
const GLOB: &[char] = &['*', '?', '['];

/// Whether `reference` is a repository glob.
pub fn is_glob(reference: &str) -> bool {
    reference.contains(GLOB)
}

/// `text` as a glob where `*` stops at `/` and `**` crosses it.
fn matcher(text: &str, what: &str) -> Result<GlobMatcher, Error> {
    GlobBuilder::new(text).literal_separator(true).build().map(|g| g.compile_matcher()).map_err(|e| Error::Input(format!("{what} '{text}': {}; write a glob such as team/* or **", e.kind())))
}

/// The references `spec` stands for: itself when it is no glob, else
/// `HOST/REPO:TAG` for every repository of the catalog of `HOST` its path
/// glob matches and every tag of it `tags` matches (all without it),
/// repositories in catalog order, tags sorted.
pub fn expand(spec: &str, tags: Option<&str>, opts: &RegistryOptions) -> Result<Vec<String>, Error> {
    if !is_glob(spec) {
        return Ok(vec![spec.to_owned()]);
    }
    let Some((host, glob)) = spec.split_once('/').filter(|(host, glob)| !host.is_empty() && !glob.is_empty() && !is_glob(host)) else {
        return Err(Error::Input(format!("{spec}: a repository glob is HOST/GLOB (localhost:5000/team/* or localhost:5000/**)")));
    };
    let repositories = matcher(glob, spec)?;
    let tags = tags.map(|t| matcher(t, "--tags")).transpose()?;
    let registry = |e: temper_image::Error| Error::Registry(format!("{spec}: {e}"));
    let catalog = Catalog::connect(host, opts).map_err(registry)?;
    let mut out = Vec::new();
    for repository in catalog.repositories(PAGE_SIZE).map_err(registry)?.into_iter().filter(|r| repositories.is_match(r)) {
        let mut listed = catalog.tags(&repository, PAGE_SIZE).map_err(registry)?;
        listed.sort();
        out.extend(listed.into_iter().filter(|t| tags.as_ref().is_none_or(|m| m.is_match(t))).map(|t| format!("{host}/{repository}:{t}")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_globs_stop_at_slashes_unless_doubled() {
        let team = matcher("team/*", "x").unwrap();
        assert!(team.is_match("team/web"));
        assert!(!team.is_match("team/web/v2"));
        assert!(!team.is_match("other/web"));
        assert!(matcher("**", "x").unwrap().is_match("team/web/v2"));
    }

    #[test]
    fn plain_references_pass_and_bad_globs_are_refused() {
        let opts = RegistryOptions::default();
        assert_eq!(expand("localhost:5000/app:1", None, &opts).unwrap(), ["localhost:5000/app:1"]);
        assert!(expand("*/app", None, &opts).unwrap_err().to_string().contains("HOST/GLOB"));
        assert!(expand("localhost:5000/[team", None, &opts).unwrap_err().to_string().contains("glob"));
    }
}
