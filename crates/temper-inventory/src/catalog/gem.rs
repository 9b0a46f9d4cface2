//! Installed Ruby gems: the `*.gemspec` files RubyGems writes into a
//! `specifications/` directory (`specifications/default/` for the gems
//! bundled with Ruby) of every gem home, e.g.
//! `usr/local/bundle/specifications/rack-2.2.8.gemspec` or Debian's
//! `usr/share/rubygems-integration/all/specifications/`. A `.gemspec` in a
//! project's source tree is a declaration, not an install, and is not read.
//!
//! The file is Ruby (`Gem::Specification#to_ruby`), read here without
//! running it. The subset understood: one assignment per line,
//! `<var>.name = <string>`, `<var>.version = <string>`,
//! `<var>.licenses = [<string>, ...]` and `<var>.license = <string>`, where
//! a string is `"..."` (with backslash escapes), `'...'` or `%q{...}` (any
//! of `{([<` brackets, as older RubyGems wrote), optionally followed by
//! `.freeze`. Anything else (dependencies, conditionals, metadata hashes)
//! is ignored; the first `name` and `version` assignments count.

use temper_layer::{Analyzer, FileEntry};

use crate::package::{Ecosystem, Fact, Package};

pub struct GemCataloger;

fn wanted(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let (Some(file), Some(dir)) = (parts.next(), parts.next()) else { return false };
    let dir = if dir == "default" { parts.next().unwrap_or_default() } else { dir };
    file.len() > ".gemspec".len() && file.ends_with(".gemspec") && dir == "specifications"
}

/// A Ruby string literal at the start of `s`: its value and the rest.
fn string_literal(s: &str) -> Option<(String, &str)> {
    let mut chars = s.char_indices();
    let (_, first) = chars.next()?;
    let (close, escapes, body_start) = match first {
        '"' => ('"', true, 1),
        '\'' => ('\'', false, 1),
        '%' => {
            let rest = s.strip_prefix("%q")?;
            let close = match rest.chars().next()? {
                '{' => '}',
                '(' => ')',
                '[' => ']',
                '<' => '>',
                _ => return None,
            };
            (close, false, 3)
        }
        _ => return None,
    };
    let mut out = String::new();
    let mut it = s.get(body_start..)?.char_indices();
    while let Some((i, c)) = it.next() {
        if c == close {
            return Some((out, &s[body_start + i + c.len_utf8()..]));
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let (_, e) = it.next()?;
        match e {
            'n' if escapes => out.push('\n'),
            't' if escapes => out.push('\t'),
            _ if escapes || e == close || e == '\\' => out.push(e),
            _ => {
                out.push('\\');
                out.push(e);
            }
        }
    }
    None
}

/// `"x".freeze` or `"x"`: the string value.
fn string_value(s: &str) -> Option<String> {
    string_literal(s.trim_start()).map(|(v, _)| v)
}

/// `["MIT".freeze, "Ruby".freeze]`: the strings.
fn string_list(s: &str) -> Option<Vec<String>> {
    let mut rest = s.trim_start().strip_prefix('[')?;
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.starts_with(']') {
            return Some(out);
        }
        let (v, after) = string_literal(rest)?;
        out.push(v);
        rest = after.strip_prefix(".freeze").unwrap_or(after).trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

/// The name, version and licences of a RubyGems-written specification.
fn parse(text: &str) -> Result<Package, String> {
    let (mut name, mut version, mut licenses) = (None, None, Vec::new());
    for line in text.lines() {
        let Some((lhs, rhs)) = line.trim().split_once(" = ") else { continue };
        let Some((var, attr)) = lhs.split_once('.') else { continue };
        if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        match attr {
            "name" if name.is_none() => name = string_value(rhs),
            "version" if version.is_none() => version = string_value(rhs),
            "licenses" => licenses = string_list(rhs).unwrap_or_default(),
            "license" => licenses = string_value(rhs).into_iter().collect(),
            _ => {}
        }
    }
    let name = name.filter(|n| !n.is_empty()).ok_or("no string assigned to the spec's name")?;
    let version = version.filter(|v| !v.is_empty()).ok_or("no string assigned to the spec's version")?;
    Ok(Package::new(name, version, Ecosystem::Gem).with_licenses(licenses))
}

impl Analyzer<Fact> for GemCataloger {
    fn id(&self) -> &'static str {
        "gem"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        wanted(path)
    }
    /// Specifications list every file of the gem; the largest are a few
    /// hundred KB.
    fn max_bytes(&self) -> u64 {
        4 << 20
    }
    fn analyze(&self, _: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        Ok(vec![Fact::Package(parse(&String::from_utf8_lossy(content))?)])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn selects_installed_specifications_only() {
        let e = crate::catalog::test_entry();
        for p in [
            "usr/local/bundle/specifications/rack-2.2.8.gemspec",
            "usr/local/lib/ruby/gems/3.3.0/specifications/default/json-2.7.1.gemspec",
            "usr/share/rubygems-integration/all/specifications/rack-2.2.22.gemspec",
        ] {
            assert!(GemCataloger.wants(p, &e), "{p}");
        }
        for p in ["app/rack.gemspec", "usr/local/bundle/gems/rack-2.2.8/rack.gemspec", "x/specifications/.gemspec", "x/specifications/rack.gemspec.bak", "x/default/y.gemspec"] {
            assert!(!GemCataloger.wants(p, &e), "{p}");
        }
    }

    #[test]
    fn reads_a_debian_rubygems_specification() {
        // Written by RubyGems 3.3.15 (Debian's ruby-rack, see the README).
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gem/rack-2.2.22.gemspec")).unwrap();
        let p = parse(&text).unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str(), p.licenses), ("rack", "2.2.22", vec!["MIT".to_owned()]));
    }

    #[test]
    fn older_spellings_and_failures() {
        let p = parse("Gem::Specification.new do |s|\n  s.name = %q{json_pure}\n  s.version = '1.8.6'\n  s.license = %q<Ruby>\n  s.name = \"other\"\nend\n").unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str(), p.licenses), ("json_pure", "1.8.6", vec!["Ruby".to_owned()]));
        let p = parse("spec.name = \"a\\\"b\".freeze\nspec.version = \"0.1\"\nspec.licenses = [\"MIT\".freeze, 'BSD-2-Clause']\n").unwrap();
        assert_eq!((p.name.as_str(), p.licenses), ("a\"b", vec!["MIT".to_owned(), "BSD-2-Clause".to_owned()]));
        assert_eq!(parse("s.name = \"x\"\n").unwrap_err(), "no string assigned to the spec's version");
        assert!(parse("s.name = x_from_a_variable\ns.version = \"1\"\n").is_err());
        assert!(parse("s.name = \"unterminated\ns.version = \"1\"\n").is_err());
    }
}
