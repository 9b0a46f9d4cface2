//! Package URLs (purl spec) for the packages temper finds.

use crate::package::{Ecosystem, OsRelease, Package};

/// Percent-encodes everything but unreserved characters and the few purl
/// leaves readable in versions (`+`, `:` of epochs).
fn encode(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// PEP 503 name normalisation, which the purl spec asks for PyPI.
pub fn pep503(name: &str) -> String {
    let mut out = String::new();
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The purl of `p`; OS packages carry the distro they were found on.
pub fn purl(p: &Package, os: Option<&OsRelease>) -> String {
    let version = encode(&p.version, b"+:");
    match p.ecosystem {
        Ecosystem::Deb => {
            let namespace = os.map_or("debian", |o| o.id.as_str());
            let mut q = Vec::new();
            if let Some(a) = &p.arch {
                q.push(format!("arch={}", encode(a, b"")));
            }
            if let Some(o) = os
                && let Some(v) = &o.version_id
            {
                q.push(format!("distro={}-{}", encode(&o.id, b""), encode(v, b"")));
            }
            let query = if q.is_empty() { String::new() } else { format!("?{}", q.join("&")) };
            format!("pkg:deb/{}/{}@{version}{query}", encode(namespace, b""), encode(&p.name, b"+"))
        }
        Ecosystem::Npm => match p.name.split_once('/') {
            Some((scope, name)) if scope.starts_with('@') => format!("pkg:npm/{}/{}@{version}", encode(scope, b""), encode(name, b"")),
            _ => format!("pkg:npm/{}@{version}", encode(&p.name, b"")),
        },
        Ecosystem::Pypi => format!("pkg:pypi/{}@{version}", encode(&pep503(&p.name), b"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(name: &str, version: &str, ecosystem: Ecosystem, arch: Option<&str>) -> Package {
        Package { name: name.into(), version: version.into(), ecosystem, arch: arch.map(Into::into), source_name: None, source_version: None, licenses: vec![] }
    }

    #[test]
    fn purls() {
        let os = OsRelease { id: "debian".into(), version_id: Some("12".into()), ..Default::default() };
        assert_eq!(
            purl(&pkg("openssl", "3.0.15-1~deb12u1", Ecosystem::Deb, Some("amd64")), Some(&os)),
            "pkg:deb/debian/openssl@3.0.15-1~deb12u1?arch=amd64&distro=debian-12"
        );
        assert_eq!(purl(&pkg("bsdutils", "1:2.38.1-5+deb12u3", Ecosystem::Deb, Some("amd64")), Some(&os)), "pkg:deb/debian/bsdutils@1:2.38.1-5+deb12u3?arch=amd64&distro=debian-12");
        assert_eq!(purl(&pkg("@babel/core", "7.24.0", Ecosystem::Npm, None), None), "pkg:npm/%40babel/core@7.24.0");
        assert_eq!(purl(&pkg("PyYAML", "5.3", Ecosystem::Pypi, None), None), "pkg:pypi/pyyaml@5.3");
        assert_eq!(pep503("Foo__Bar.baz"), "foo-bar-baz");
    }
}
