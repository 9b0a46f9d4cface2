//! Platforms (`os/arch[/variant]`) and how a request selects one from an index.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An image platform as OCI descriptors and configs state it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// Operating system (`linux`).
    #[serde(default)]
    pub os: String,
    /// CPU architecture, in Go's spelling (`amd64`, `arm64`).
    #[serde(default)]
    pub architecture: String,
    /// Variant (`v7`, `v8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// OS version (Windows images).
    #[serde(rename = "os.version", default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
}

/// A platform string that cannot be parsed.
#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not a platform; expected os/arch[/variant], e.g. linux/arm64")]
pub struct PlatformParseError(String);

impl Platform {
    /// Parses `os/arch[/variant]`.
    pub fn parse(s: &str) -> Result<Self, PlatformParseError> {
        let parts: Vec<&str> = s.split('/').collect();
        if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty()) {
            return Err(PlatformParseError(s.to_owned()));
        }
        Ok(Platform {
            os: parts[0].to_owned(),
            architecture: normalise_arch(parts[1]).to_owned(),
            variant: parts.get(2).map(|v| (*v).to_owned()),
            os_version: None,
        })
    }

    /// The platform of the machine temper runs on.
    pub fn host() -> Self {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            other => other,
        };
        Platform { os: "linux".into(), architecture: architecture.into(), variant: None, os_version: None }
    }

    /// Whether an image of platform `self` satisfies the request `want`.
    /// A request without variant accepts the architecture's default variant
    /// (`arm64` takes `v8`, `arm` takes `v7`) or none at all.
    pub fn satisfies(&self, want: &Platform) -> bool {
        if self.os != want.os || normalise_arch(&self.architecture) != want.architecture {
            return false;
        }
        match (&want.variant, &self.variant) {
            (None, None) => true,
            (None, Some(v)) => default_variant(&want.architecture) == Some(v.as_str()),
            (Some(w), Some(v)) => w == v,
            (Some(w), None) => default_variant(&want.architecture) == Some(w.as_str()),
        }
    }
}

fn normalise_arch(arch: &str) -> &str {
    match arch {
        "x86_64" | "x86-64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

fn default_variant(arch: &str) -> Option<&'static str> {
    match arch {
        "arm64" => Some("v8"),
        "arm" => Some("v7"),
        _ => None,
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_match() {
        let want = Platform::parse("linux/arm64").unwrap();
        assert!(Platform::parse("linux/arm64/v8").unwrap().satisfies(&want));
        assert!(Platform::parse("linux/aarch64").unwrap().satisfies(&want));
        assert!(!Platform::parse("linux/amd64").unwrap().satisfies(&want));
        assert!(!Platform::parse("linux/arm/v6").unwrap().satisfies(&Platform::parse("linux/arm").unwrap()));
        assert!(Platform::parse("linux/arm/v7").unwrap().satisfies(&Platform::parse("linux/arm").unwrap()));
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux//v7").is_err());
        assert_eq!(Platform::parse("linux/arm64/v8").unwrap().to_string(), "linux/arm64/v8");
    }
}
