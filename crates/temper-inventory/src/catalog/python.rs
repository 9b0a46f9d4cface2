//! Installed Python distributions: `*.dist-info/METADATA` (wheels, pip)
//! and `*.egg-info/PKG-INFO` (setuptools), both RFC 822-style headers.
//! Each `Requires-Dist` gives a requirement by distribution name; one
//! whose environment marker names an `extra` is needed only when that
//! extra is asked for, which the metadata does not record, so it is left
//! out; one with another marker is conditional (see [`Package::depends`]).

use temper_layer::{Analyzer, FileEntry};

use crate::package::{Ecosystem, Fact, Package};

pub struct PythonCataloger;

fn wanted(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    match (parts.next(), parts.next()) {
        (Some("METADATA"), Some(dir)) => dir.ends_with(".dist-info"),
        (Some("PKG-INFO"), Some(dir)) => dir.ends_with(".egg-info"),
        (Some(file), _) => file.ends_with(".egg-info"),
        _ => false,
    }
}

/// The headers of a metadata file (up to the first blank line).
pub fn parse(text: &str) -> Result<Package, String> {
    let mut name = None;
    let mut version = None;
    let mut licenses = Vec::new();
    let mut depends = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        let Some((k, v)) = line.split_once(':') else { continue };
        let v = v.trim();
        match k {
            "Name" => name = Some(v.to_owned()),
            "Version" => version = Some(v.to_owned()),
            "License" | "License-Expression" if !v.is_empty() && v != "UNKNOWN" => licenses.push(v.to_owned()),
            "Requires-Dist" => depends.extend(requirement(v)),
            _ => {}
        }
    }
    Ok(Package { depends, ..Package::new(name.ok_or("no Name header")?, version.ok_or("no Version header")?, Ecosystem::Pypi).with_licenses(licenses) })
}

/// The distribution a PEP 508 requirement names, unless its marker names
/// an extra; `?`-prefixed when another marker (a Python version, a
/// platform) may leave it out.
fn requirement(spec: &str) -> Option<String> {
    let (spec, marker) = spec.split_once(';').unwrap_or((spec, ""));
    if marker.contains("extra") {
        return None;
    }
    let name: String = spec.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')).collect();
    let conditional = if marker.trim().is_empty() { "" } else { "?" };
    (!name.is_empty()).then(|| format!("{conditional}{name}"))
}

impl Analyzer<Fact> for PythonCataloger {
    fn id(&self) -> &'static str {
        "python"
    }
    fn version(&self) -> u32 {
        2
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        wanted(path)
    }
    fn max_bytes(&self) -> u64 {
        8 << 20
    }
    fn analyze(&self, _: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        Ok(vec![Fact::Package(parse(&String::from_utf8_lossy(content))?)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_and_selection() {
        let p = parse("Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3\nLicense: MIT\n\nName: body\n").unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str(), p.licenses.clone()), ("PyYAML", "5.3", vec!["MIT".to_owned()]));
        assert!(parse("Name: x\n").is_err());
        assert!(wanted("opt/venv/lib/python3.11/site-packages/Django-2.2.dist-info/METADATA"));
        assert!(wanted("usr/lib/python3/dist-packages/foo-1.0.egg-info/PKG-INFO"));
        assert!(wanted("usr/lib/python3/dist-packages/foo-1.0.egg-info"));
        assert!(!wanted("opt/venv/lib/python3.11/site-packages/Django-2.2.dist-info/RECORD"));
        assert!(!wanted("x/METADATA"));
    }

    #[test]
    fn requires_dist_without_extras() {
        let p = parse("Name: requests\nVersion: 2.31.0\nRequires-Dist: charset-normalizer (<4,>=2)\nRequires-Dist: idna<4,>=2.5\nRequires-Dist: urllib3[socks]<3,>=1.21.1 ; python_version >= \"3.8\"\nRequires-Dist: PySocks!=1.5.7,>=1.5.6 ; extra == 'socks'\nRequires-Dist: (bad)\n\nRequires-Dist: body\n").unwrap();
        assert_eq!(p.depends, ["charset-normalizer", "idna", "?urllib3"]);
    }
}
