//! Registry credentials: `--creds`, then `~/.docker/config.json` (`credHelpers`,
//! `credsStore`, `auths`), as the docker CLI looks them up.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde::Deserialize;

use crate::error::{Error, Result};

/// A secret string whose `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// What to authenticate with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// User name and password (or token used as a password).
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: Secret,
    },
    /// An OAuth2 refresh token (`identitytoken` in docker's config).
    IdentityToken(Secret),
}

impl Credentials {
    /// Parses `USER:PASSWORD` as given to `--creds`.
    pub fn parse_user_pass(s: &str) -> Option<Self> {
        let (u, p) = s.split_once(':')?;
        Some(Credentials::Basic { username: u.to_owned(), password: Secret::new(p) })
    }

    /// The `Authorization: Basic …` value, for basic credentials.
    pub(crate) fn basic_header(&self) -> Option<String> {
        match self {
            Credentials::Basic { username, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{}", password.expose()))
            )),
            Credentials::IdentityToken(_) => None,
        }
    }
}

#[derive(Deserialize, Default)]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(rename = "credHelpers", default)]
    cred_helpers: BTreeMap<String, String>,
    #[serde(rename = "credsStore", default)]
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// The docker config file in effect: `$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`.
pub fn default_docker_config() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

/// The keys docker's config may use for `registry`.
fn keys_for(registry: &str) -> Vec<String> {
    let mut keys = vec![registry.to_owned(), format!("https://{registry}"), format!("http://{registry}"), format!("https://{registry}/v1/"), format!("https://{registry}/v2/")];
    if registry == "docker.io" {
        keys.extend(["https://index.docker.io/v1/", "index.docker.io", "registry-1.docker.io"].map(str::to_owned));
    }
    keys
}

/// Looks up credentials for `registry` in the docker config at `path`
/// (absent file: none). A helper is run as `docker-credential-NAME get`.
pub fn from_docker_config(path: &Path, registry: &str) -> Result<Option<Credentials>> {
    let err = |reason: String| Error::Credentials { registry: registry.to_owned(), reason };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(Error::Io { path: path.to_owned(), source }),
    };
    let cfg: DockerConfig = crate::model::parse_document(&bytes, 4 << 20, "docker config")
        .map_err(|e| err(format!("{}: {e}", path.display())))?;
    let keys = keys_for(registry);
    if let Some(helper) = keys.iter().find_map(|k| cfg.cred_helpers.get(k)) {
        return run_helper(helper, registry);
    }
    if let Some((key, entry)) = keys.iter().find_map(|k| cfg.auths.get(k).map(|e| (k, e))) {
        if let Some(token) = &entry.identitytoken {
            return Ok(Some(Credentials::IdentityToken(Secret::new(token))));
        }
        if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|_| err(format!("{}: auths[{key}].auth is not base64", path.display())))?;
            let text = String::from_utf8(decoded).map_err(|_| err(format!("{}: auths[{key}].auth is not UTF-8", path.display())))?;
            return Credentials::parse_user_pass(&text)
                .map(Some)
                .ok_or_else(|| err(format!("{}: auths[{key}].auth is not user:password", path.display())));
        }
        if let (Some(u), Some(p)) = (&entry.username, &entry.password) {
            return Ok(Some(Credentials::Basic { username: u.clone(), password: Secret::new(p) }));
        }
    }
    match &cfg.creds_store {
        Some(store) if !store.is_empty() => run_helper(store, registry),
        _ => Ok(None),
    }
}

#[derive(Deserialize)]
struct HelperReply {
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

fn run_helper(helper: &str, registry: &str) -> Result<Option<Credentials>> {
    let err = |reason: String| Error::Credentials { registry: registry.to_owned(), reason };
    if !helper.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
        return Err(err(format!("refusing credential helper name '{helper}'")));
    }
    let program = format!("docker-credential-{helper}");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| err(format!("cannot run {program}: {e}")))?;
    let server = if registry == "docker.io" { "https://index.docker.io/v1/" } else { registry };
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(server.as_bytes()).map_err(|e| err(format!("{program}: {e}")))?;
    }
    let out = child.wait_with_output().map_err(|e| err(format!("{program}: {e}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        if stdout.contains("credentials not found") {
            return Ok(None);
        }
        return Err(err(format!("{program} failed: {}", stdout.trim())));
    }
    let reply: HelperReply = serde_json::from_str(&stdout).map_err(|e| err(format!("{program} answered: {e}")))?;
    Ok(Some(if reply.username == "<token>" {
        Credentials::IdentityToken(Secret::new(reply.secret))
    } else {
        Credentials::Basic { username: reply.username, password: Secret::new(reply.secret) }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_auths_and_never_prints_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(
            &path,
            r#"{"auths":{"reg.example:5000":{"auth":"dXNlcjpwYSQkOndvcmQ="},"https://index.docker.io/v1/":{"username":"hub","password":"pw"},"tok.example":{"identitytoken":"rt"}}}"#,
        )
        .unwrap();
        let c = from_docker_config(&path, "reg.example:5000").unwrap().unwrap();
        assert_eq!(c, Credentials::Basic { username: "user".into(), password: Secret::new("pa$$:word") });
        assert!(!format!("{c:?}").contains("pa$$"));
        let hub = from_docker_config(&path, "docker.io").unwrap().unwrap();
        assert!(matches!(hub, Credentials::Basic { ref username, .. } if username == "hub"));
        assert!(matches!(from_docker_config(&path, "tok.example").unwrap(), Some(Credentials::IdentityToken(_))));
        assert_eq!(from_docker_config(&path, "other.example").unwrap(), None);
        assert_eq!(from_docker_config(&dir.path().join("absent.json"), "x").unwrap(), None);
    }

    #[test]
    fn missing_helper_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, r#"{"credHelpers":{"reg.example":"temper-test-absent-helper"}}"#).unwrap();
        let e = from_docker_config(&path, "reg.example").unwrap_err().to_string();
        assert!(e.contains("docker-credential-temper-test-absent-helper"), "{e}");
    }
}
