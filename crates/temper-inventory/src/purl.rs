//! Package URLs (purl spec) for the packages temper finds.

use crate::package::{Ecosystem, OsRelease, Package};

/// Percent-encodes everything but unreserved characters and the few purl
/// leaves readable in versions (`+`, `:` of epochs).
pub(crate) fn encode(s: &str, keep: &[u8]) -> String {
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

/// `?k=v&…` from the qualifiers that are present (already sorted by key,
/// as the purl spec's canonical form wants).
fn qualifiers(q: &[(&str, Option<&str>)]) -> String {
    let parts: Vec<String> = q.iter().filter_map(|(k, v)| v.map(|v| format!("{k}={}", encode(v, b"")))).collect();
    if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
}

/// `namespace/name` with each segment encoded, for types whose names carry
/// a namespace (`@scope/name`, `vendor/package`, Go module paths).
fn segments(name: &str) -> String {
    name.split('/').map(|s| encode(s, b"")).collect::<Vec<_>>().join("/")
}

/// The purl of `p`; OS packages carry the distro they were found on.
pub fn purl(p: &Package, os: Option<&OsRelease>) -> String {
    let version = encode(&p.version, b"+:");
    let distro = os.and_then(|o| o.version_id.as_ref().map(|v| format!("{}-{v}", o.id)));
    match p.ecosystem {
        Ecosystem::Deb | Ecosystem::Apk => {
            let default = if p.ecosystem == Ecosystem::Deb { "debian" } else { "alpine" };
            let namespace = os.map_or(default, |o| o.id.as_str());
            // Syft's `upstream`: distro advisories name source packages, so a
            // scanner of the SBOM needs it (`name@version` when the source's
            // version is not the package's); left out when it would repeat
            // the package.
            let other_version = p.source_version.as_ref().filter(|v| **v != p.version);
            let upstream = p.source_name.as_ref().filter(|s| **s != p.name || other_version.is_some()).map(|s| match other_version {
                Some(v) => format!("{s}@{v}"),
                None => s.clone(),
            });
            let query = qualifiers(&[("arch", p.arch.as_deref()), ("distro", distro.as_deref()), ("upstream", upstream.as_deref())]);
            format!("pkg:{}/{}/{}@{version}{query}", p.ecosystem.purl_type(), encode(namespace, b""), encode(&p.name, b"+"))
        }
        Ecosystem::Rpm => {
            // The purl spec keeps the epoch out of the version, in a qualifier.
            let (epoch, evr) = match p.version.split_once(':') {
                Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => (Some(e), rest),
                _ => (None, p.version.as_str()),
            };
            let namespace = os.map_or("redhat", |o| o.id.as_str());
            let query = qualifiers(&[("arch", p.arch.as_deref()), ("distro", distro.as_deref()), ("epoch", epoch)]);
            format!("pkg:rpm/{}/{}@{}{query}", encode(namespace, b""), encode(&p.name, b"+"), encode(evr, b"+"))
        }
        Ecosystem::Npm | Ecosystem::Golang | Ecosystem::Composer => format!("pkg:{}/{}@{version}", p.ecosystem.purl_type(), segments(&p.name)),
        Ecosystem::Pypi => format!("pkg:pypi/{}@{version}", encode(&pep503(&p.name), b"")),
        Ecosystem::Maven => match p.name.split_once(':') {
            Some((group, artifact)) => format!("pkg:maven/{}/{}@{version}", encode(group, b""), encode(artifact, b"")),
            None => format!("pkg:maven/{}@{version}", encode(&p.name, b"")),
        },
        Ecosystem::Cargo | Ecosystem::Gem | Ecosystem::Nuget => format!("pkg:{}/{}@{version}", p.ecosystem.purl_type(), encode(&p.name, b"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(name: &str, version: &str, ecosystem: Ecosystem, arch: Option<&str>) -> Package {
        Package { name: name.into(), version: version.into(), ecosystem, arch: arch.map(Into::into), source_name: None, source_version: None, licenses: vec![], checksum: None, depends: vec![], provides: vec![], direct: false }
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
        let alpine = OsRelease { id: "alpine".into(), version_id: Some("3.20.1".into()), ..Default::default() };
        assert_eq!(purl(&pkg("musl", "1.2.5-r0", Ecosystem::Apk, Some("x86_64")), Some(&alpine)), "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.1");
        let rhel = OsRelease { id: "rhel".into(), version_id: Some("9.4".into()), ..Default::default() };
        assert_eq!(purl(&pkg("openssl", "1:3.0.7-27.el9", Ecosystem::Rpm, Some("x86_64")), Some(&rhel)), "pkg:rpm/rhel/openssl@3.0.7-27.el9?arch=x86_64&distro=rhel-9.4&epoch=1");
        assert_eq!(purl(&pkg("bash", "5.1.8-9.el9", Ecosystem::Rpm, Some("x86_64")), Some(&rhel)), "pkg:rpm/rhel/bash@5.1.8-9.el9?arch=x86_64&distro=rhel-9.4");
        assert_eq!(purl(&pkg("golang.org/x/net", "v0.7.0", Ecosystem::Golang, None), None), "pkg:golang/golang.org/x/net@v0.7.0");
        assert_eq!(purl(&pkg("org.apache.logging.log4j:log4j-core", "2.14.1", Ecosystem::Maven, None), None), "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
        assert_eq!(purl(&pkg("monolog/monolog", "2.9.1", Ecosystem::Composer, None), None), "pkg:composer/monolog/monolog@2.9.1");
        assert_eq!(purl(&pkg("Newtonsoft.Json", "13.0.1", Ecosystem::Nuget, None), None), "pkg:nuget/Newtonsoft.Json@13.0.1");
        assert_eq!(purl(&pkg("regex", "1.5.4", Ecosystem::Cargo, None), None), "pkg:cargo/regex@1.5.4");
    }

    #[test]
    fn upstream_qualifier_names_the_source_package() {
        let os = OsRelease { id: "debian".into(), version_id: Some("12".into()), ..Default::default() };
        let with_source = |name: &str, version: &str, eco: Ecosystem, source: &str, source_version: Option<&str>| Package {
            source_name: Some(source.into()),
            source_version: source_version.map(Into::into),
            ..pkg(name, version, eco, Some("amd64"))
        };
        // Same version: the name alone, as Syft writes it.
        assert_eq!(
            purl(&with_source("libssl3", "3.0.11-1~deb12u2", Ecosystem::Deb, "openssl", None), Some(&os)),
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"
        );
        assert_eq!(
            purl(&with_source("libssl3", "3.0.11-1~deb12u2", Ecosystem::Deb, "openssl", Some("3.0.11-1~deb12u2")), Some(&os)),
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"
        );
        // A binNMU or an epoch: the source's own version, `@` encoded.
        assert_eq!(
            purl(&with_source("bsdutils", "1:2.38.1-5+b1", Ecosystem::Deb, "util-linux", Some("2.38.1-5")), Some(&os)),
            "pkg:deb/debian/bsdutils@1:2.38.1-5+b1?arch=amd64&distro=debian-12&upstream=util-linux%402.38.1-5"
        );
        let alpine = OsRelease { id: "alpine".into(), version_id: Some("3.20.1".into()), ..Default::default() };
        assert_eq!(
            purl(&with_source("libcrypto3", "3.3.1-r3", Ecosystem::Apk, "openssl", Some("3.3.1-r3")), Some(&alpine)),
            "pkg:apk/alpine/libcrypto3@3.3.1-r3?arch=amd64&distro=alpine-3.20.1&upstream=openssl"
        );
        // Nothing to add when the source is the package itself.
        assert_eq!(purl(&with_source("py3-yaml", "6.0.1-r3", Ecosystem::Apk, "py3-yaml", Some("6.0.1-r3")), Some(&alpine)), "pkg:apk/alpine/py3-yaml@6.0.1-r3?arch=amd64&distro=alpine-3.20.1");
        assert_eq!(
            purl(&with_source("tzdata", "2024a-0+deb12u1+b1", Ecosystem::Deb, "tzdata", Some("2024a-0+deb12u1")), Some(&os)),
            "pkg:deb/debian/tzdata@2024a-0+deb12u1+b1?arch=amd64&distro=debian-12&upstream=tzdata%402024a-0%2Bdeb12u1"
        );
        // rpm advisories name binary packages; its source stays out of the purl.
        let rhel = OsRelease { id: "rhel".into(), version_id: Some("9.4".into()), ..Default::default() };
        assert_eq!(purl(&with_source("openssl-libs", "3.0.7-27.el9", Ecosystem::Rpm, "openssl", Some("3.0.7-27.el9")), Some(&rhel)), "pkg:rpm/rhel/openssl-libs@3.0.7-27.el9?arch=amd64&distro=rhel-9.4");
    }
}
