//! What the user names on the command line: a transport prefix as skopeo and
//! crane spell them, or a path whose kind is detected, or a registry reference.

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::digest::Digest;
use crate::error::{Error, Result};

/// Where an image lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A `docker save` tar; `select` is a `RepoTags` entry or `@N`.
    DockerArchive {
        /// The tar file.
        path: PathBuf,
        /// Which image, when the archive holds several.
        select: Option<String>,
    },
    /// An OCI image layout directory.
    OciDir {
        /// The layout directory.
        path: PathBuf,
        /// The `org.opencontainers.image.ref.name` to pick.
        tag: Option<String>,
    },
    /// A tar of an OCI image layout.
    OciArchive {
        /// The tar file.
        path: PathBuf,
        /// The `org.opencontainers.image.ref.name` to pick.
        tag: Option<String>,
    },
    /// An unpacked root filesystem.
    Dir {
        /// Its top directory.
        path: PathBuf,
    },
    /// An image in a local engine, read through its Docker Engine API.
    Daemon {
        /// Which engine.
        engine: Engine,
        /// The image as the engine names it (`alpine:3.19`, an image ID).
        name: String,
    },
    /// An image in a registry.
    Registry(RegistryRef),
}

/// A local container engine with a Docker-compatible API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Docker Engine (`DOCKER_HOST`, `/var/run/docker.sock`).
    Docker,
    /// Podman's API service (`CONTAINER_HOST`, `$XDG_RUNTIME_DIR/podman/podman.sock`).
    Podman,
}

impl Engine {
    /// Its command-line tool.
    pub fn cli(self) -> &'static str {
        match self {
            Engine::Docker => "docker",
            Engine::Podman => "podman",
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Docker => "Docker",
            Engine::Podman => "Podman",
        })
    }
}

/// `HOST/REPO[:TAG][@DIGEST]`, normalised as Docker does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryRef {
    /// Registry host (and port); `docker.io` for Docker Hub.
    pub registry: String,
    /// Repository path (`library/debian`).
    pub repository: String,
    /// Tag, if given (`latest` is assumed when neither tag nor digest is).
    pub tag: Option<String>,
    /// Digest, if given; it wins over the tag.
    pub digest: Option<Digest>,
}

impl RegistryRef {
    /// Parses a reference with Docker's normalisation rules: a first part
    /// without `.`, `:` or `localhost` is a Docker Hub repository, and a
    /// single name is under `library/`.
    pub fn parse(input: &str) -> Result<Self> {
        let bad = |why: &str| Error::Reference { input: input.chars().take(300).collect(), reason: why.to_owned() };
        if input.is_empty() || input.len() > 1024 {
            return Err(bad("empty or longer than 1024 characters"));
        }
        let (name_tag, digest) = match input.split_once('@') {
            Some((n, d)) => (n, Some(Digest::parse(d).map_err(|e| bad(&e.to_string()))?)),
            None => (input, None),
        };
        let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_tag[last_slash..].rfind(':') {
            Some(i) => (&name_tag[..last_slash + i], Some(&name_tag[last_slash + i + 1..])),
            None => (name_tag, None),
        };
        if let Some(t) = tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
                && !t.starts_with(['.', '-']);
            if !ok {
                return Err(bad("invalid tag"));
            }
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (first.to_owned(), rest.to_owned()),
            Some(_) => ("docker.io".to_owned(), name.to_owned()),
            None => ("docker.io".to_owned(), format!("library/{name}")),
        };
        let registry = if registry == "index.docker.io" { "docker.io".to_owned() } else { registry };
        // `docker.io/alpine` is `library/alpine`, as Docker normalises it.
        let repository = if registry == "docker.io" && !repository.contains('/') { format!("library/{repository}") } else { repository };
        let repo_ok = !repository.is_empty()
            && repository.len() <= 255
            && repository.split('/').all(|c| {
                !c.is_empty()
                    && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                    && c.as_bytes()[0].is_ascii_alphanumeric()
                    && c.as_bytes()[c.len() - 1].is_ascii_alphanumeric()
            });
        if !repo_ok {
            return Err(bad("invalid repository name (lower-case letters, digits and . _ - separators)"));
        }
        Ok(RegistryRef { registry, repository, tag: tag.map(str::to_owned), digest })
    }

    /// What to ask the registry for: the digest if known, else the tag.
    pub fn reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".to_owned(),
        }
    }

    /// The reference with the tag Docker assumes (`:latest`) written out.
    pub fn with_default_tag(&self) -> String {
        if self.tag.is_none() && self.digest.is_none() { format!("{self}:latest") } else { self.to_string() }
    }

    /// The reference as a user types it for Docker Hub (`alpine:3.19`,
    /// `user/app`), else whole.
    pub fn without_default_registry(&self) -> String {
        let full = self.to_string();
        full.strip_prefix("docker.io/library/").or_else(|| full.strip_prefix("docker.io/")).map_or_else(|| full.clone(), str::to_owned)
    }

    /// The host to connect to (Docker Hub's API lives elsewhere than its name).
    pub fn api_host(&self) -> &str {
        if self.registry == "docker.io" { "registry-1.docker.io" } else { &self.registry }
    }
}

impl fmt::Display for RegistryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opt = |o: &Option<String>| o.as_ref().map(|t| format!(":{t}")).unwrap_or_default();
        match self {
            Source::DockerArchive { path, select } => write!(f, "docker-archive:{}{}", path.display(), opt(select)),
            Source::OciDir { path, tag } => write!(f, "oci:{}{}", path.display(), opt(tag)),
            Source::OciArchive { path, tag } => write!(f, "oci-archive:{}{}", path.display(), opt(tag)),
            Source::Dir { path } => write!(f, "dir:{}", path.display()),
            Source::Daemon { engine: Engine::Docker, name } => write!(f, "docker-daemon:{name}"),
            Source::Daemon { engine: Engine::Podman, name } => write!(f, "podman:{name}"),
            Source::Registry(r) => write!(f, "{r}"),
        }
    }
}

/// Splits `PATH[:SUFFIX]`: the whole string when it names an existing file,
/// otherwise at the last `:` (paths with colons must exist to be read whole).
fn split_path_suffix(rest: &str) -> (PathBuf, Option<String>) {
    if Path::new(rest).exists() {
        return (PathBuf::from(rest), None);
    }
    // The longest existing path before a ':' wins, so a suffix that holds
    // a ':' or '/' itself (docker-archive `REPO:TAG`, a full ref name) stays whole.
    for (i, _) in rest.rmatch_indices(':') {
        let (p, s) = (&rest[..i], &rest[i + 1..]);
        if !p.is_empty() && Path::new(p).exists() {
            return (PathBuf::from(p), Some(s.to_owned()).filter(|s| !s.is_empty()));
        }
    }
    match rest.rsplit_once(':') {
        Some((p, s)) if !p.is_empty() && !s.contains('/') => (PathBuf::from(p), Some(s.to_owned()).filter(|s| !s.is_empty())),
        _ => (PathBuf::from(rest), None),
    }
}

impl Source {
    /// Parses what the user typed. Prefixes: `docker-archive:`, `oci:`,
    /// `oci-archive:`, `dir:`, `docker-daemon:`, `podman:` /
    /// `containers-storage:`, `registry:` / `docker://`. Without a prefix,
    /// an existing path is detected by content; anything else is a registry
    /// reference.
    pub fn parse(input: &str) -> Result<Self> {
        for (prefix, engine) in [("docker-daemon:", Engine::Docker), ("podman:", Engine::Podman), ("containers-storage:", Engine::Podman)] {
            if let Some(name) = input.strip_prefix(prefix) {
                return daemon_name(input, name).map(|name| Source::Daemon { engine, name });
            }
        }
        if let Some(rest) = input.strip_prefix("docker-archive:") {
            let (path, select) = split_path_suffix(rest);
            return Ok(Source::DockerArchive { path, select });
        }
        if let Some(rest) = input.strip_prefix("oci-archive:") {
            let (path, tag) = split_path_suffix(rest);
            return Ok(Source::OciArchive { path, tag });
        }
        if let Some(rest) = input.strip_prefix("oci:") {
            let (path, tag) = split_path_suffix(rest);
            return Ok(Source::OciDir { path, tag });
        }
        if let Some(rest) = input.strip_prefix("dir:") {
            return Ok(Source::Dir { path: PathBuf::from(rest) });
        }
        if let Some(rest) = input.strip_prefix("registry:").or_else(|| input.strip_prefix("docker://")) {
            return Ok(Source::Registry(RegistryRef::parse(rest)?));
        }
        let path = Path::new(input);
        if path.exists() {
            return detect(path);
        }
        if input.starts_with(['.', '/']) {
            return Err(Error::Io { path: path.to_owned(), source: std::io::Error::new(std::io::ErrorKind::NotFound, format!("no such file or directory; {ACCEPTED}")) });
        }
        Ok(Source::Registry(RegistryRef::parse(input)?))
    }
}

/// What an image argument may be, for errors about one that is none of them.
const ACCEPTED: &str = "an image is docker-archive:PATH, oci:DIR, oci-archive:PATH, dir:PATH, docker-daemon:NAME, podman:NAME, a registry reference such as registry:HOST/REPO:TAG, or the path of an archive or OCI layout";

/// Top-level names of which a root filesystem has at least one.
const ROOTFS_NAMES: [&str; 5] = ["etc", "usr", "bin", "lib", "sbin"];

/// Checks an engine's image name: an image ID (`sha256:…` or hex, at
/// least 12 digits) or a reference (`alpine:3.19`, `lab/app@sha256:…`),
/// kept as typed for the engine to resolve.
fn daemon_name(input: &str, name: &str) -> Result<String> {
    let hex = name.strip_prefix("sha256:").unwrap_or(name);
    let is_id = (12..=64).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !is_id {
        RegistryRef::parse(name).map_err(|e| match e {
            Error::Reference { reason, .. } => Error::Reference { input: input.chars().take(300).collect(), reason },
            e => e,
        })?;
    }
    Ok(name.to_owned())
}

/// Tells an OCI layout, a root filesystem, a docker-archive and an
/// oci-archive apart by what they contain. A directory that is neither a
/// layout nor looks like a root filesystem needs `dir:`, so that a typo'd
/// path to a layout is not silently read as an (empty) filesystem.
fn detect(path: &Path) -> Result<Source> {
    let io_err = |source| Error::Io { path: path.to_owned(), source };
    if path.is_dir() {
        if path.join("oci-layout").is_file() && path.join("index.json").is_file() {
            return Ok(Source::OciDir { path: path.to_owned(), tag: None });
        }
        if ROOTFS_NAMES.iter().any(|n| path.join(n).is_dir()) {
            return Ok(Source::Dir { path: path.to_owned() });
        }
        return Err(Error::Format {
            path: path.to_owned(),
            reason: format!(
                "neither an OCI layout (no oci-layout and index.json) nor a root filesystem (none of {}); to read it as a root filesystem anyway, name it dir:{}",
                ROOTFS_NAMES.join(", "),
                path.display()
            ),
        });
    }
    let file = File::open(path).map_err(io_err)?;
    // Top-level names of a tar decide; both formats keep their index files
    // small and near the front, but scan headers only (no content is read).
    let mut archive = tar::Archive::new(file);
    let entries = archive.entries().map_err(io_err)?;
    for (i, entry) in entries.take(100_000).enumerate() {
        // tar's message about a bad first header quotes the header's bytes:
        // noise for a file that was never a tar.
        let entry = entry.map_err(|e| Error::Format {
            path: path.to_owned(),
            reason: if i == 0 { format!("not a tar archive, so not a docker-archive or oci-archive; {ACCEPTED}") } else { format!("tar entry {i}: {e}") },
        })?;
        let name = entry.path_bytes();
        let name = name.strip_prefix(b"./").unwrap_or(&name);
        match name {
            b"manifest.json" => return Ok(Source::DockerArchive { path: path.to_owned(), select: None }),
            b"oci-layout" | b"index.json" => return Ok(Source::OciArchive { path: path.to_owned(), tag: None }),
            _ => {}
        }
    }
    Err(Error::Format {
        path: path.to_owned(),
        reason: "a tar with neither manifest.json (docker-archive) nor oci-layout (oci-archive)".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> RegistryRef {
        RegistryRef::parse(s).unwrap()
    }

    #[test]
    fn docker_normalisation() {
        let a = r("debian");
        assert_eq!((a.registry.as_str(), a.repository.as_str(), a.tag.as_deref()), ("docker.io", "library/debian", None));
        assert_eq!(a.reference(), "latest");
        assert_eq!(a.api_host(), "registry-1.docker.io");
        let b = r("localhost:5000/lab/app:1.2");
        assert_eq!((b.registry.as_str(), b.repository.as_str(), b.tag.as_deref()), ("localhost:5000", "lab/app", Some("1.2")));
        let c = r("ghcr.io/o/r@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(c.reference(), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(r("127.0.0.1:5000/x:y").to_string(), "127.0.0.1:5000/x:y");
        assert_eq!(r("user/app").repository, "user/app");
    }

    #[test]
    fn bad_references() {
        for bad in ["", "UPPER/case", "a//b", "x:", "x:-tag", "h.io/r@sha256:12", "-lead"] {
            assert!(RegistryRef::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn prefixes() {
        assert_eq!(
            Source::parse("oci:/nonexistent/layout:v1").unwrap(),
            Source::OciDir { path: "/nonexistent/layout".into(), tag: Some("v1".into()) }
        );
        assert_eq!(
            Source::parse("docker-archive:/x/y.tar:@1").unwrap(),
            Source::DockerArchive { path: "/x/y.tar".into(), select: Some("@1".into()) }
        );
        assert!(matches!(Source::parse("registry:quay.io/a/b").unwrap(), Source::Registry(_)));
        assert!(matches!(Source::parse("./does-not-exist"), Err(Error::Io { .. })));
    }

    #[test]
    fn docker_daemon_names_with_tags_and_digests_parse() {
        let d = |s: &str| Source::parse(s).unwrap();
        assert_eq!(d("docker-daemon:alpine:3.19"), Source::Daemon { engine: Engine::Docker, name: "alpine:3.19".into() });
        assert_eq!(d("docker-daemon:alpine:3.19").to_string(), "docker-daemon:alpine:3.19");
        assert_eq!(d("podman:localhost:5000/lab/app:1"), Source::Daemon { engine: Engine::Podman, name: "localhost:5000/lab/app:1".into() });
        assert_eq!(d("containers-storage:lab/app").to_string(), "podman:lab/app");
        let digest = "alpine@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(d(&format!("docker-daemon:{digest}")), Source::Daemon { engine: Engine::Docker, name: digest.into() });
        assert_eq!(d("docker-daemon:24b2ada56afe"), Source::Daemon { engine: Engine::Docker, name: "24b2ada56afe".into() });
        for bad in ["docker-daemon:", "docker-daemon:UPPER", "podman:a b", "docker-daemon:x:-t"] {
            let e = Source::parse(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("'{bad}'")), "{bad}: {e}");
        }
    }
}
