//! Registry logins stored by `docker login` and its peers: `auths.<host>.auth`
//! (base64 `user:password`) and `identitytoken` in `.docker/config.json`,
//! the legacy `.dockercfg`, and the `auth.json` of podman, skopeo and
//! buildah (`containers/auth.json`).

use super::Rule;
use crate::Severity;
use crate::secrets::values;

pub(crate) static AUTH: Rule = Rule {
    id: "docker-config-auth",
    title: "Container registry credential in a Docker config",
    severity: Severity::High,
    keywords: &["\"auth\"", "identitytoken"],
    pattern: r#""(?:auth|identitytoken)"[ \t]*:[ \t]*"([A-Za-z0-9+/=_.-]{8,})""#,
    min_entropy: 2.5,
    paths: Some(is_docker_config),
    accept: values::token,
    shown: 4,
    noisy: false,
};

fn is_docker_config(path: &str) -> bool {
    path.ends_with(".docker/config.json") || path.ends_with("containers/auth.json") || path.rsplit('/').next() == Some(".dockercfg")
}
