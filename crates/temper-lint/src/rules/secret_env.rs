//! `secret-in-env-or-arg`: an `ENV` or `ARG` that holds a secret. ENV
//! values are stored in the image config for anyone who pulls it; ARG
//! values are recorded in the build history (`docker history`) and in
//! provenance attestations. BuildKit's own `SecretsUsedInArgOrEnv` check
//! flags both, and so does this rule, ARGs without a default included
//! (the value comes with `--build-arg` and is recorded all the same).
//!
//! A name says secret when one of its `_`-separated words is `PASSWORD`,
//! `PASSWD`, `SECRET`, `TOKEN`, `CREDENTIAL(S)`, `APIKEY`, `ACCESSKEY` or
//! `PRIVATEKEY`, or two neighbouring words are `API KEY`, `ACCESS KEY`,
//! `PRIVATE KEY` or `SECRET KEY` (a word merely containing `PASSWORD` or
//! `SECRET` counts too: `DBPASSWORD`; `TOKEN` only as a word or word end,
//! so `TOKENIZERS_PARALLELISM` is fine). A bare `KEY` is not enough:
//! `GPG_KEY` in the official images is a public fingerprint.
//!
//! Deliberately accepted: names of public material (a word starting with
//! `PUBLIC` or `PUBKEY`, or `FINGERPRINT`, `CHECKSUM`, `SHA*`, `HASH`, or
//! containing `GPG` or `PGP`: BuildKit allows `PUBLIC` too), names whose
//! last word describes the secret rather than holding it (`*_FILE`,
//! `*_PATH`, `*_ID`, `*_NAME`, `*_LENGTH`, `*_URL`, `*_SCRIPT`…:
//! `POSTGRES_PASSWORD_FILE=/run/secrets/db`, `PASSWORD_MIN_LENGTH=8`), and
//! values that cannot be a secret: empty, a number, a boolean, a reference
//! to another variable (`$MYSQL_ROOT_PASSWORD`; but not to an ARG of the
//! stage without a default: `ARG token` then `ENV TOKEN=${token}` writes
//! the build argument into the image config), a path, a file name
//! (`init.sh`), a URL without credentials, a version (`1.25.4`,
//! `8.0.36-1.el8`), a release channel (`stable`, `mainline`), and OpenPGP
//! fingerprints (40 hex digits, also in groups of four, several in a row)
//! under signing-key names, as the official images keep them in
//! `*_SIGNING_KEY` and `GPG_KEYS`.
//!
//! Whatever the name, a value the image secret scanner recognises
//! (`temper_check::secrets`: AWS keys, GitHub and Stripe tokens, private
//! keys, credentials in a URL…) fires, and so does any other value that
//! looks like a credential: at least 20 characters without spaces, upper
//! and lower case letters and digits, Shannon entropy of at least 4 bits
//! per character, and not a path, URL, version, hex digest, nor built
//! from a variable (`manylinux_2_17_$AUDITWHEEL_ARCH`).

use std::collections::HashSet;

use temper_dockerfile::{Dockerfile, InstructionKind, Span};

use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct SecretEnv;

static META: RuleMeta = RuleMeta {
    id: "secret-in-env-or-arg",
    hadolint: None,
    severity: Severity::Error,
    message: "A secret in ENV or ARG is stored in the image or its build history",
    hint: "Pass secrets with `RUN --mount=type=secret,id=…` (`docker build --secret id=…,env=…`), never ENV or ARG.",
    doc: "ENV values are part of the image config that everyone who pulls the image can read, and ARG values are recorded in the build history and provenance, so a password, token or key in either leaks. The rule fires on names that say secret (`*PASSWORD*`, `*SECRET*`, `*_TOKEN`, `*API_KEY*`, `*ACCESS_KEY*`, `*PRIVATE_KEY*`, `*CREDENTIAL*`), on ARGs without a default as well (BuildKit's `SecretsUsedInArgOrEnv` does the same), and on values that look like credentials (long, mixed-case letters and digits, high entropy). Any name holding a value the image secret scanner recognises (AWS keys, GitHub or Stripe tokens, credentials in a URL) fires too. Accepted: names of public material (`*PUBLIC*`, `*PUBKEY*`, `*FINGERPRINT*`, `*SHA256*`, `*GPG*`), names ending in `_FILE`, `_PATH`, `_ID`, `_NAME`, `_LENGTH`, `_URL`, `_SCRIPT` and the like (`POSTGRES_PASSWORD_FILE=/run/secrets/db`), and values that are empty, numbers, booleans, `$VARIABLE` references (except to an ARG without default: `ARG token` then `ENV TOKEN=${token}` stores the build argument in the image), paths, file names, URLs without credentials, versions, release channels (`stable`, `mainline`) or OpenPGP fingerprints (`NGINX_SIGNING_KEY`, `GPG_KEYS`). Fix: `RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci` with `docker build --secret id=npm_token,env=NPM_TOKEN .`.",
};

impl Rule for SecretEnv {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        // ARGs of the current stage whose value only `--build-arg` gives.
        let mut build_args: HashSet<&str> = HashSet::new();
        for ins in &df.instructions {
            let pairs: Vec<(&temper_dockerfile::Word, Option<&temper_dockerfile::Word>)> = match &ins.kind {
                InstructionKind::Env(kvs) => kvs.iter().map(|kv| (&kv.key, Some(&kv.value))).collect(),
                InstructionKind::Arg(decls) => decls.iter().map(|d| (&d.name, d.default.as_ref())).collect(),
                InstructionKind::From(_) => {
                    build_args.clear();
                    continue;
                }
                _ => continue,
            };
            for &(name, value) in &pairs {
                let value = value.map(|w| (w.text.as_str(), w.value.as_str(), w.span));
                // `ENV TOKEN=${token}` after `ARG token`: the build argument's
                // value is written into the image config.
                let copied = value.and_then(|(_, v, _)| referenced_name(v.trim())).filter(|n| build_args.contains(n));
                let found = match copied {
                    Some(arg) if secret_name(&name.value) => Some(Pending { span: None, message: format!("{} {} stores the build argument {arg} in the image", ins.keyword, name.value) }),
                    _ => check_pair(&ins.keyword, &name.value, value),
                };
                if let Some(v) = found {
                    out.push(v.with_default_span(name.span));
                }
            }
            if let InstructionKind::Arg(decls) = &ins.kind {
                for d in decls {
                    if d.default.is_none() {
                        build_args.insert(&d.name.value);
                    } else {
                        build_args.remove(d.name.value.as_str());
                    }
                }
            }
        }
        out
    }
}

/// A violation whose span may still be the name's.
struct Pending {
    span: Option<Span>,
    message: String,
}

impl Pending {
    fn with_default_span(self, name: Span) -> Violation {
        Violation::with(self.span.unwrap_or(name), self.message)
    }
}

/// Checks one name and its value (text as written, expanded value, span).
fn check_pair(keyword: &str, name: &str, value: Option<(&str, &str, Span)>) -> Option<Pending> {
    let known = value.and_then(|(_, v, span)| Some((temper_check::secrets::known_formats(&format!("{name}={v}")).first().copied()?, span)));
    if secret_name(name) {
        // The value BuildKit would store: a variable with no known value
        // stays as written (`$MYSQL_ROOT_PASSWORD`).
        let harmless = known.is_none() && value.is_some_and(|(_, v, _)| harmless_value(v) || (signing_name(name) && fingerprints(v)));
        if !harmless {
            return Some(Pending { span: None, message: format!("{keyword} {name} looks like a secret") });
        }
        return None;
    }
    if let Some((rule, span)) = known {
        return Some(Pending { span: Some(span), message: format!("{keyword} {name} holds a secret ({rule})") });
    }
    if public(&words(name)) {
        return None;
    }
    let (text, _, span) = value?;
    looks_like_credential(unquote(text)).then(|| Pending { span: Some(span), message: format!("{keyword} {name} has a value that looks like a credential") })
}

/// The text without the quotes around it.
fn unquote(text: &str) -> &str {
    text.trim_matches(['"', '\''])
}

/// Words of a name: split on `_`, `-` and `.`, uppercased.
fn words(name: &str) -> Vec<String> {
    name.split(['_', '-', '.']).filter(|w| !w.is_empty()).map(str::to_ascii_uppercase).collect()
}

/// Whether the name says it holds a secret.
pub fn secret_name(name: &str) -> bool {
    let words = words(name);
    const DESCRIBES: &[&str] = &[
        "FILE",
        "FILES",
        "PATH",
        "DIR",
        "DIRECTORY",
        "FILENAME",
        "LOCATION",
        "ID",
        "IDS",
        "NAME",
        "NAMES",
        "FINGERPRINT",
        "LENGTH",
        "LEN",
        "MIN",
        "MAX",
        "URL",
        "URI",
        "ENDPOINT",
        "HOST",
        "PORT",
        "USER",
        "USERNAME",
        "TYPE",
        "ENABLED",
        "REQUIRED",
        "POLICY",
        "EXPIRY",
        "TTL",
        "TIMEOUT",
        "HEADER",
        "PREFIX",
        "VAR",
        "ENV",
        "MODE",
        "FORMAT",
        "SCRIPT",
        "SCRIPTS",
        "BACKEND",
        "METHOD",
        "PROVIDER",
    ];
    if words.last().is_some_and(|w| DESCRIBES.contains(&w.as_str())) || public(&words) {
        return false;
    }
    let single = words.iter().any(|w| {
        w.contains("PASSWORD")
            || w.contains("PASSWD")
            || w.contains("SECRET")
            || w.contains("CREDENTIAL")
            || w == "TOKEN"
            || w == "TOKENS"
            || (w.ends_with("TOKEN") && w.len() > 5)
            || matches!(w.as_str(), "APIKEY" | "ACCESSKEY" | "PRIVATEKEY" | "AUTHKEY")
    });
    single
        || words
            .windows(2)
            .any(|p| p[1] == "KEY" && matches!(p[0].as_str(), "API" | "ACCESS" | "PRIVATE" | "SECRET" | "AUTH" | "SIGNING" | "ENCRYPTION" | "MASTER"))
}

/// Names of public material: `PUBLIC`, `PUBKEY`, `FINGERPRINT`, `CHECKSUM`,
/// `SHA256`… (BuildKit allows `PUBLIC` too).
fn public(words: &[String]) -> bool {
    words.iter().any(|w| {
        w.starts_with("PUBLIC")
            || w.starts_with("PUBKEY")
            || w.ends_with("PUBKEY")
            || w.contains("FINGERPRINT")
            || w.starts_with("CHECKSUM")
            || w.starts_with("SHA")
            || w == "HASH"
            || w.contains("GPG")
            || w.contains("PGP")
    })
}

/// Values that cannot be a secret (see the module docs); the text as
/// written (quotes removed) or the expanded value.
fn harmless_value(v: &str) -> bool {
    let v = v.trim();
    v.is_empty()
        || v.chars().all(|c| c.is_ascii_digit())
        || matches!(v.to_ascii_lowercase().as_str(), "true" | "false" | "yes" | "no" | "on" | "off" | "0" | "1")
        || CHANNELS.contains(&v.to_ascii_lowercase().as_str())
        || variable_reference(v)
        || (!v.contains(char::is_whitespace) && (path(v) || file_name(v) || url_without_credentials(v) || version(v)))
}

/// A name for release signing keys, which hold public fingerprints
/// (`NGINX_SIGNING_KEY`, `GPG_KEYS`); other names keep firing on 40 hex
/// digits, the shape of older GitHub tokens too.
fn signing_name(name: &str) -> bool {
    words(name).iter().any(|w| w.starts_with("SIGN") || w.contains("GPG") || w.contains("PGP") || w == "KEYS")
}

/// Release channels the official images pick packages by.
const CHANNELS: &[&str] = &["stable", "mainline", "latest", "edge", "lts", "beta", "alpha", "nightly", "testing", "unstable"];

/// Exactly one variable: `$NAME` or `${NAME}` (with a `:-default`, too).
fn variable_reference(v: &str) -> bool {
    referenced_name(v).is_some()
}

/// The name in a value that is exactly one variable reference.
fn referenced_name(v: &str) -> Option<&str> {
    let rest = v.strip_prefix('$')?;
    let name = match rest.strip_prefix('{') {
        Some(inner) => {
            let inner = inner.strip_suffix('}')?;
            inner.split(":-").next().unwrap_or(inner)
        }
        None => rest,
    };
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(name)
}

/// An absolute or relative path (`/docker-entrypoint-initdb.d/x.sh`, `./x`, `~/x`).
fn path(v: &str) -> bool {
    v.starts_with('/') || v.starts_with("./") || v.starts_with("../") || v.starts_with("~/")
}

/// A file name with an extension files of scripts, configuration or keys
/// have (`init.sh`, `password.properties`).
fn file_name(v: &str) -> bool {
    const EXTENSIONS: &[&str] = &[
        "sh", "bash", "py", "rb", "js", "pl", "php", "sql", "txt", "conf", "cfg", "ini", "json", "yaml", "yml", "xml", "toml", "properties", "env",
        "pem", "crt", "cer", "key", "asc", "gpg", "jks", "p12", "pfx", "tar", "gz", "tgz", "zip", "jar", "war", "deb", "rpm",
    ];
    let Some((stem, ext)) = v.rsplit_once('.') else { return false };
    !stem.is_empty()
        && stem.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
}

/// A URL whose authority carries no `user:password@`.
fn url_without_credentials(v: &str) -> bool {
    let Some((scheme, rest)) = v.split_once("://") else { return false };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-')) && !authority.contains('@')
}

/// A version: `1.25.4`, `v2.7.6`, `8.0.36-1.el8`, `jdk-21.0.2+13`,
/// `16.2-1.pgdg120+2`, `1~bookworm`: digits first (after an optional word
/// and `-`, or `v`), then a dot or `~`.
fn version(v: &str) -> bool {
    let start = v.find(|c: char| c.is_ascii_digit()).unwrap_or(v.len());
    let prefix = &v[..start];
    let prefix_ok = prefix.is_empty() || prefix == "v" || (prefix.ends_with('-') && prefix.len() <= 8 && prefix[..prefix.len() - 1].chars().all(|c| c.is_ascii_alphabetic()));
    prefix_ok && start < v.len() && v.contains(['.', '~']) && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '~' | '_'))
}

/// OpenPGP fingerprints: 40 hex digits each (also written in groups of
/// four, or with `0x`), one or more separated by spaces.
fn fingerprints(v: &str) -> bool {
    let hex: String = v.split_whitespace().map(|w| w.strip_prefix("0x").unwrap_or(w)).collect();
    !hex.is_empty() && hex.len() % 40 == 0 && hex.chars().all(|c| c.is_ascii_hexdigit())
}

/// Whether a value looks like a credential (see the module docs).
pub fn looks_like_credential(v: &str) -> bool {
    if v.chars().count() < 20 || v.chars().any(|c| c.is_whitespace() || !c.is_ascii()) {
        return false;
    }
    // A `$` anywhere means part of the value comes from a variable
    // (`manylinux_2_17_$AUDITWHEEL_ARCH`): the text is a template, not a
    // literal credential; a known credential behind it is caught expanded.
    if v.starts_with(['/', '.', '~']) || v.contains('$') || v.contains("://") || v.contains('.') || v.contains(':') || v.contains('@') {
        return false;
    }
    if v.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return false;
    }
    let upper = v.chars().any(|c| c.is_ascii_uppercase());
    let lower = v.chars().any(|c| c.is_ascii_lowercase());
    let digit = v.chars().any(|c| c.is_ascii_digit());
    upper && lower && digit && entropy(v) >= 4.0
}

/// Shannon entropy in bits per character.
fn entropy(v: &str) -> f64 {
    let mut counts = [0usize; 128];
    let mut n = 0usize;
    for b in v.bytes() {
        if let Some(c) = counts.get_mut(usize::from(b)) {
            *c += 1;
            n += 1;
        }
    }
    if n == 0 {
        return 0.0;
    }
    let n = n as f64;
    counts.iter().filter(|&&c| c > 0).map(|&c| c as f64 / n).map(|p| -p * p.log2()).sum()
}
