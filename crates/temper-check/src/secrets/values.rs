//! What makes a matched value a secret rather than a placeholder, an
//! example or code: the gates every rule's `accept` is built from.

/// One regex match as a rule's gate sees it.
pub(crate) struct Match<'a> {
    /// The whole match.
    pub text: &'a [u8],
    /// The secret inside it.
    pub secret: &'a [u8],
    /// Where the secret starts in `text`.
    pub start: usize,
}

impl Match<'_> {
    /// Whether the secret was written between quotes (a literal, not code).
    pub fn quoted(&self) -> bool {
        self.start > 0 && matches!(self.text.get(self.start - 1), Some(b'"' | b'\''))
    }
}

/// Shannon entropy in bits per byte.
pub(crate) fn entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[usize::from(b)] += 1;
    }
    let n = s.len() as f64;
    counts.iter().filter(|&&c| c > 0).map(|&c| f64::from(c) / n).map(|p| -p * p.log2()).sum()
}

/// How many of lower case, upper case, digits and other characters `s` uses.
pub(crate) fn classes(s: &[u8]) -> usize {
    [
        s.iter().any(u8::is_ascii_lowercase),
        s.iter().any(u8::is_ascii_uppercase),
        s.iter().any(u8::is_ascii_digit),
        s.iter().any(|b| !b.is_ascii_alphanumeric()),
    ]
    .into_iter()
    .filter(|&x| x)
    .count()
}

/// Whether `needle` occurs in `hay`.
pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Whether `needle` (lower case) occurs in `hay`, ignoring ASCII case.
pub(crate) fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether a token with a fixed format is real: not one of the documented
/// example values (AWS's end in `EXAMPLE`), not masked (`xxxx`, `****`)
/// and not a run of one character (`000000`), which random tokens of
/// these lengths practically never contain.
pub(crate) fn token(m: &Match<'_>) -> bool {
    let s = m.secret;
    !contains_ci(s, b"example") && !contains_ci(s, b"xxxx") && !contains(s, b"****") && !has_run(s, 6)
}

fn has_run(s: &[u8], n: usize) -> bool {
    s.windows(n).any(|w| w.iter().all(|&b| b == w[0]))
}

/// Values that stand for a secret without being one.
const PLACEHOLDERS: &[&str] = &[
    "password", "passwd", "changeme", "change_me", "change-me", "secret", "null", "none", "nil", "true", "false", "undefined", "redacted", "hidden",
    "dummy", "placeholder", "notasecret", "default", "empty", "admin", "root", "pass", "pwd", "token", "apikey", "api_key",
];

/// Words that, inside a value, mark it as an example or a template.
const PLACEHOLDER_WORDS: &[&[u8]] =
    &[b"password", b"passwd", b"changeme", b"change_me", b"placeholder", b"example", b"dummy", b"sample", b"redacted", b"your_", b"your-", b"yourpass", b"foo", b"xxxx", b"secret"];

/// Whether a free-form value (generic assignments, URLs, file formats) is
/// a real secret: not a placeholder, not a template or shell expansion,
/// not prose, and, when unquoted, not a code expression.
///
/// Words (one letter case, no digits: `geheim$;`, `setuid-binary`) are
/// not taken either: in code and prose they are examples far more often
/// than secrets.
pub(crate) fn password(m: &Match<'_>) -> bool {
    let s = m.secret;
    let mixed = [s.iter().any(u8::is_ascii_lowercase), s.iter().any(u8::is_ascii_uppercase), s.iter().any(u8::is_ascii_digit)].into_iter().filter(|&x| x).count() >= 2;
    mixed && literal(s, 6) && (m.quoted() || !code_like(s))
}

/// [`literal`] for a rule's match: the value of a configuration file
/// (`.npmrc`, `.pypirc`, `.env`), which is never code.
pub(crate) fn config_value(m: &Match<'_>) -> bool {
    literal(m.secret, 6)
}

/// Whether a value known to be a literal (an environment value, a quoted
/// string) of at least `min` bytes is a real secret: [`password`] without
/// the code test.
pub(crate) fn literal(s: &[u8], min: usize) -> bool {
    if s.len() < min || !token(&Match { text: s, secret: s, start: 0 }) {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    // A constant's name (`AWS_CONTAINER_AUTHORIZATION_TOKEN`), not its value.
    let constant = s.first().is_some_and(u8::is_ascii_uppercase) && s.contains(&b'_') && s.iter().all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if constant || PLACEHOLDERS.iter().any(|p| p.as_bytes() == lower.as_slice()) || PLACEHOLDER_WORDS.iter().any(|w| contains(&lower, w)) {
        return false;
    }
    // Templates and expansions: `${VAR}`, `$VAR`, `{{ .x }}`, `%(x)s`,
    // `%s`, `<password>`, `#{x}`, `$(cmd)`, `@VAR@`.
    if matches!(s.first(), Some(b'$' | b'%' | b'<' | b'{' | b'[' | b'(' | b'@' | b'*' | b'='))
        || [&b"${"[..], b"{{", b"}}", b"%(", b"%s", b"#{", b"$("].iter().any(|t| contains(s, t))
    {
        return false;
    }
    // A file path (`/run/secrets/db`) names where the secret is.
    let path = s.starts_with(b"/") && s.iter().all(|&b| b.is_ascii_alphanumeric() || b"/._-".contains(&b));
    !path && !s.iter().any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
}

/// An unquoted value that reads as code: an identifier without digits
/// (`password=password_hash`), a member or path (`opts.password`,
/// `this.key=t`, `Win32::GetCwd`, `$x->pw`), an operator (`a||b`,
/// `Buffer|string`) or a call.
fn code_like(s: &[u8]) -> bool {
    let ident = |p: &[u8]| !p.is_empty() && !p[0].is_ascii_digit() && p.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$');
    let member = s.iter().position(|&b| b == b'.').is_some_and(|i| ident(&s[..i]) && s.get(i + 1).is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_'));
    member
        || (ident(s) && !s.iter().any(u8::is_ascii_digit))
        || [&b"::"[..], b"->", b"|", b"&&", b"?"].iter().any(|t| contains(s, t))
        || s.ends_with(b")")
        || s.ends_with(b"(")
}

/// Whether a path holds documentation, tests or examples: READMEs and
/// other prose, TypeScript declarations, API example files, and anything
/// under a `test`, `spec`, `example`, `fixture` or `doc` directory.
pub(crate) fn example_path(path: &str) -> bool {
    const DIRS: &[&str] = &["test", "tests", "__tests__", "spec", "specs", "testdata", "example", "examples", "fixtures", "__fixtures__", "doc", "docs"];
    const SUFFIXES: &[&str] = &[".md", ".markdown", ".rst", ".txt", ".d.ts", ".d.mts", ".d.cts", ".examples.json", ".example", ".sample"];
    let mut parts = path.split('/').rev();
    let name = parts.next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    parts.any(|d| DIRS.contains(&d))
        || SUFFIXES.iter().any(|s| lower.ends_with(s))
        || ["readme", "changelog", "history", "license", "copying"].iter().any(|p| lower.starts_with(p))
        || lower.contains(".test.")
        || lower.contains(".spec.")
        || lower.starts_with("test_")
        || lower.ends_with("_test.py")
        || lower.ends_with("_test.go")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Match<'_> {
        Match { text: s.as_bytes(), secret: s.as_bytes(), start: 0 }
    }

    #[test]
    fn entropy_and_classes() {
        assert!(entropy(b"aaaaaaaa") < 0.01);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert_eq!(entropy(b""), 0.0);
        assert_eq!(classes(b"aB3-"), 4);
        assert_eq!(classes(b"abc"), 1);
    }

    #[test]
    fn placeholders_and_code_are_not_passwords() {
        for v in ["changeme", "${DB_PASSWORD}", "$DB_PASSWORD", "<password>", "xxxxxxxx", "********", "{{ .Values.pw }}", "opts.password", "password_hash", "getenv(X)", "null", "your_password_here", "two words"] {
            assert!(!password(&m(v)), "{v}");
        }
        assert!(password(&m("Hunter2-xyz")));
        assert!(password(&m("hunter2xyz")));
        for v in ["this.key=t", "Win32::GetCwd", "Buffer|string", "setuid-binary", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "MyTestDatabaseSecret"] {
            assert!(!password(&m(v)), "{v}");
        }
    }

    #[test]
    fn example_paths() {
        for p in ["app/node_modules/axios/README.md", "x/aws-sdk/clients/rds.d.ts", "x/apis/iam.examples.json", "x/fast-uri/test/uri.js", "a/url.test.js", "a/tests/test_x.py"] {
            assert!(example_path(p), "{p}");
        }
        for p in ["app/.env", "app/src/config.js", "etc/app/config.yaml", "root/.aws/credentials"] {
            assert!(!example_path(p), "{p}");
        }
    }

    #[test]
    fn examples_and_runs_are_not_tokens() {
        assert!(!token(&m(concat!("AKIAIOSFODNN7", "EXAMPLE"))));
        assert!(!token(&m("ghp_000000000000")));
        assert!(token(&m("ghp_a1B2c3D4e5")));
    }
}
