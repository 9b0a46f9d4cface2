//! Every rule with a true positive and near misses, redaction, metadata,
//! file selection. Secret-shaped values are generated or assembled from
//! pieces, so this file does not trip secret scanners itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use temper_image::model::{History, ImageConfig};
use temper_inventory::{Fact, Inventory, Secret};
use temper_layer::{EntryKind, FileEntry, Found, Merged};

use super::*;

/// Deterministic characters from `alphabet`.
fn chars(n: usize, seed: u64, alphabet: &[u8]) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % alphabet.len() as u64) as usize] as char
        })
        .collect()
}
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
fn alnum(n: usize, seed: u64) -> String {
    chars(n, seed, ALNUM)
}

/// (rule, line, redacted) of everything found in `text` as file `path`.
fn found(path: &str, text: &str) -> Vec<(String, u32, String)> {
    let facts = SecretScanner.analyze(path, text.as_bytes()).unwrap();
    facts
        .into_iter()
        .map(|f| match f {
            Fact::Secret(s) => (s.rule, s.line, s.redacted),
            other => panic!("not a secret: {other:?}"),
        })
        .collect()
}

fn rules_found(path: &str, text: &str) -> Vec<String> {
    found(path, text).into_iter().map(|f| f.0).collect()
}

/// Asserts `text` at `path` yields exactly one `rule` finding and that
/// neither its redaction nor the facts' JSON contain `secret`.
fn hit(rule: &str, path: &str, text: &str, secret: &str) {
    let facts = SecretScanner.analyze(path, text.as_bytes()).unwrap();
    let got: Vec<&Secret> = facts.iter().filter_map(|f| if let Fact::Secret(s) = f { Some(s) } else { None }).collect();
    assert_eq!(got.iter().map(|s| s.rule.as_str()).collect::<Vec<_>>(), [rule], "{path}: {text}");
    assert!(rule_ids().contains(&rule));
    assert!(!got[0].redacted.contains(secret), "{rule}: redaction {} shows the secret", got[0].redacted);
    assert!(got[0].redacted.contains("*****"), "{}", got[0].redacted);
    let json = serde_json::to_string(&facts).unwrap();
    assert!(!json.contains(secret), "{rule}: the JSON shows the secret");
    // Nor any 8-byte piece of it.
    let b = secret.as_bytes();
    for w in b.windows(8) {
        assert!(!json.as_bytes().windows(8).any(|j| j == w), "{rule}: the JSON shows part of the secret: {json}");
    }
}

fn miss(path: &str, text: &str) {
    assert_eq!(rules_found(path, text), Vec::<String>::new(), "{path}: {text}");
}

/// Asserts `rule` does not fire (others may: a near miss of a token
/// format can still be a secret-named assignment).
fn miss_rule(rule: &str, path: &str, text: &str) {
    assert!(!rules_found(path, text).iter().any(|r| r == rule), "{rule} at {path}: {text}");
}

fn rule_ids() -> Vec<&'static str> {
    rules().into_iter().map(|r| r.id).collect()
}

#[test]
fn registry_compiles_with_unique_kebab_ids() {
    assert!(scan::all_compiled());
    let ids = rule_ids();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "duplicate rule id");
    for id in &ids {
        assert!(id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'), "{id}");
        assert!(rule(id).is_some_and(|r| !r.title.is_empty()));
    }
    for r in rules::RULES {
        assert!(!r.keywords.is_empty() || r.paths.is_some(), "{}: no keywords and no path filter", r.id);
        assert!(r.shown <= 4, "{}", r.id);
    }
    assert!(rule("no-such-rule").is_none());
    assert_eq!(rule("private-key").map(|r| r.severity), Some(Severity::Critical));
}

#[test]
fn aws() {
    let id = format!("AKIA{}", chars(16, 1, UPPER));
    hit("aws-access-key-id", "root/.aws/config", &format!("[default]\naws_access_key_id = {id}\n"), &id);
    let key = chars(40, 2, B64);
    hit("aws-secret-access-key", "root/.aws/credentials", &format!("[default]\naws_secret_access_key = {key}\n"), &key);
    hit("aws-secret-access-key", "app/config.json", &format!("{{\"SecretAccessKey\": \"{key}\"}}"), &key);
    // Wrong length, lower case, AWS's documented examples.
    miss("a.txt", &format!("AKIA{}", chars(15, 1, UPPER)));
    miss("a.txt", &format!("AKIA{}", chars(17, 1, UPPER)));
    miss("a.txt", &format!("akia{}", chars(16, 1, UPPER)).to_ascii_lowercase());
    miss("a.json", concat!("{\"AccessKeyId\": \"AKIAIOSFODNN7", "EXAMPLE\", \"SecretAccessKey\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCY", "EXAMPLEKEY\"}"));
    miss_rule("aws-secret-access-key", "a.txt", &format!("aws_secret_access_key = {}", chars(39, 2, B64)));
}

#[test]
fn github() {
    for (rule, prefix, seed) in [("github-pat", "ghp_", 3), ("github-oauth", "gho_", 4), ("github-app-token", "ghs_", 5), ("github-app-token", "ghu_", 6), ("github-refresh-token", "ghr_", 7)] {
        let t = format!("{prefix}{}", alnum(36, seed));
        hit(rule, "app/deploy.sh", &format!("export GH={t}\n"), &t);
        miss("app/deploy.sh", &format!("export GH={prefix}{}\n", alnum(30, seed)));
        miss("app/deploy.sh", &format!("export GH={prefix}{}\n", alnum(37, seed)));
    }
    miss("a.txt", &format!("ghp_{}", "0".repeat(36)));
    let fine = format!("github_pat_{}_{}", alnum(22, 8), alnum(59, 9));
    hit("github-fine-grained-pat", "app/x.yml", &format!("token: {fine}\n"), &fine);
    miss("app/x.yml", &format!("token: github_pat_{}_{}\n", alnum(22, 8), alnum(50, 9)));
}

#[test]
fn gitlab() {
    let t = format!("glpat-{}", alnum(20, 10));
    hit("gitlab-pat", "app/ci.sh", &format!("curl -H 'PRIVATE-TOKEN: {t}'\n"), &t);
    miss("app/ci.sh", &format!("glpat-{}", alnum(12, 10)));
    let r = format!("glrt-{}", alnum(24, 11));
    hit("gitlab-runner-token", "etc/gitlab-runner/config.toml", &format!("token = \"{r}\"\n"), &r);
    miss("etc/gitlab-runner/config.toml", &format!("token = \"glrt-{}\"\n", "x".repeat(24)));
}

#[test]
fn slack() {
    let t = format!("xoxb-{}-{}-{}", chars(12, 12, b"0123456789"), chars(13, 13, b"0123456789"), alnum(24, 14));
    hit("slack-token", "app/bot.py", &format!("SLACK = \"{t}\"\n"), &t);
    miss("app/bot.py", "SLACK = \"xoxb-your-token-here\"\n");
    let path = format!("T{}/B{}/{}", chars(8, 15, UPPER), chars(8, 16, UPPER), alnum(24, 17));
    hit("slack-webhook", "app/notify.sh", &format!("curl https://hooks.slack.com/services/{path}\n"), &path);
    miss("app/notify.sh", &format!("https://hooks.slack.com/services/T00000000/B00000000/{}\n", "X".repeat(24)));
}

#[test]
fn stripe() {
    let k = format!("sk_live_{}", alnum(24, 18));
    hit("stripe-secret-key", "app/pay.js", &format!("const stripe = require('stripe')('{k}');\n"), &k);
    miss("app/pay.js", &format!("const stripe = require('stripe')('sk_test_{}');\n", alnum(24, 18)));
    miss("app/pay.js", "sk_live_short");
}

/// A PEM body of `lines` base64 lines.
fn pem_body(lines: usize, seed: u64, nl: &str) -> String {
    (0..lines).map(|i| chars(64, seed + i as u64, B64)).collect::<Vec<_>>().join(nl)
}

#[test]
fn private_keys() {
    for label in ["RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "OPENSSH PRIVATE KEY", "DSA PRIVATE KEY"] {
        let body = pem_body(6, 20, "\n");
        let pem = format!("-----BEGIN {label}-----\n{body}\nAB==\n-----END {label}-----\n");
        hit("private-key", "root/.ssh/id", &pem, &body[..64]);
        let r = found("root/.ssh/id", &pem);
        assert_eq!(r[0].2, format!("-----BEGIN {label}-----*****"), "only the BEGIN line is shown");
    }
    let body = pem_body(4, 30, "\n");
    let pgp = format!("-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: x\n\n{body}\n=AbCd\n-----END PGP PRIVATE KEY BLOCK-----\n");
    hit("private-key", "root/key.asc", &pgp, &body[..64]);
    let escaped = format!("KEY=\"-----BEGIN RSA PRIVATE KEY-----\\n{}\\n-----END RSA PRIVATE KEY-----\\n\"", pem_body(4, 40, "\\n"));
    assert_eq!(rules_found("app/k.env.json", &escaped), ["private-key"]);
    // Header without body, a placeholder body, no END line.
    miss("usr/lib/python3/ssh.py", "_SK_START = b\"-----BEGIN OPENSSH PRIVATE KEY-----\"\n_SK_END = b\"-----END OPENSSH PRIVATE KEY-----\"\n");
    miss("a.json", "\"PrivateKey\": \"-----BEGIN DSA PRIVATE KEY-----<a very long private key string>-----END DSA PRIVATE KEY-----\"");
    miss("a.pem", &format!("-----BEGIN RSA PRIVATE KEY-----\n{}\n", pem_body(6, 50, "\n")));
    miss("a.pem", &format!("-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n", "A".repeat(64)));
}

#[test]
fn gcp_service_account() {
    let body = pem_body(5, 60, "\\n");
    let json = format!(
        "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"p\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END PRIVATE KEY-----\\n\",\n  \"client_email\": \"a@p.iam\"\n}}\n"
    );
    hit("gcp-service-account", "app/sa.json", &json, &body[..64]);
    assert_eq!(found("app/sa.json", &json)[0].1, 4);
    miss("app/sa.json", "{\"type\": \"service_account\", \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n<key>\\n-----END PRIVATE KEY-----\\n\"}");
}

#[test]
fn jwt() {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"svc-billing","iat":1767225600}"#);
    let t = format!("{header}.{payload}.{}", chars(43, 61, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"));
    hit("jwt", "app/client.js", &format!("const auth = 'Bearer {t}';\n"), &t);
    let tutorial = URL_SAFE_NO_PAD.encode(br#"{"sub":"1234567890","name":"John Doe","iat":1516239022}"#);
    miss("app/README.md", &format!("{header}.{tutorial}.{}", alnum(43, 62)));
    let not_json = format!("eyJ{}.eyJ{}.{}", alnum(20, 63), alnum(20, 64), alnum(43, 65));
    miss("app/x.js", &not_json);
}

#[test]
fn npmrc() {
    let t = format!("npm_{}", alnum(36, 70));
    hit("npmrc-auth", "home/node/.npmrc", &format!("//npm.internal.invalid/:_authToken={t}\n"), &t);
    let auth = STANDARD.encode(format!("ci:{}", alnum(16, 71)));
    hit("npmrc-auth", "app/.npmrc", &format!("_auth = {auth}\nalways-auth=true\n"), &auth);
    miss("app/.npmrc", "//npm.internal.invalid/:_authToken=${NPM_TOKEN}\n");
    // Only npmrc files.
    assert!(!rules_found("app/notes.txt", &format!("_authToken={t}\n")).contains(&"npmrc-auth".to_owned()));
}

#[test]
fn pypirc() {
    let p = format!("{}-{}", alnum(10, 72), alnum(30, 73));
    hit("pypirc-password", "root/.pypirc", &format!("[distutils]\nindex-servers = internal\n\n[internal]\nusername = ci\npassword = {p}\n"), &p);
    miss("root/.pypirc", "[internal]\nusername = ci\npassword = <your token>\n");
    miss("root/.pypirc", "[internal]\nusername = ci\npassword = changeme\n");
}

#[test]
fn docker_config() {
    let auth = STANDARD.encode(format!("ci:{}", alnum(20, 74)));
    hit("docker-config-auth", "root/.docker/config.json", &format!("{{\"auths\": {{\"reg.internal\": {{\"auth\": \"{auth}\"}}}}}}"), &auth);
    miss("root/.docker/config.json", "{\"auths\": {\"reg.internal\": {}}, \"credsStore\": \"pass\"}");
    miss("root/.docker/config.json", "{\"auths\": {\"reg.internal\": {\"auth\": \"\"}}}");
}

#[test]
fn url_credentials() {
    let pw = concat!("Sup3r", "S3cret-FAKE-2024");
    hit("url-credentials", "app/settings.py", &format!("DATABASES_URL = 'postgres://app:{pw}@db.internal:5432/app'\n"), pw);
    assert_eq!(found("app/settings.py", &format!("x\n\nurl = \"mysql://root:{pw}@10.0.0.5/db\"\n"))[0].2, "mysql://root:Sup3*****@10.0.0.5");
    for s in [
        "http://user:pass@example.com:123/",
        "http://username:password@host/",
        "uri://foo:bar@example.com:1",
        "http://atpass:foo%40bar@127.0.0.1",
        "http://USER:PW@www.example.com",
        "proxy = 'socks5h://user:s3cr3t-Pa55@example.org'",
        "{scheme}://{user}:{password}@{host}",
        "amqp://guest:guest@rabbit/",
        "https://user:${TOKEN}@git.internal/repo",
    ] {
        miss("usr/lib/python3/url.py", s);
    }
}

#[test]
fn dotenv() {
    let v = alnum(24, 75);
    hit("dotenv-secret", "app/.env", &format!("# app\nNODE_ENV=production\nSESSION_SECRET={v}\n"), &v);
    hit("dotenv-secret", "app/.env.production", &format!("export API_KEY=\"{v}\"\n"), &v);
    miss_rule("dotenv-secret", "app/.env.example", &format!("SESSION_SECRET={v}\n"));
    miss("app/.env", "SESSION_SECRET=${SESSION_SECRET}\nAPI_TOKEN=\nDB_PASSWORD=changeme\nLOG_LEVEL=debug\n");
}

#[test]
fn generic_password() {
    let pw = concat!("Hx9-kq2L", "mZ7p");
    hit("generic-password", "etc/app/config.yaml", &format!("db:\n  password: {pw}\n"), pw);
    hit("generic-password", "app/settings.py", &format!("API_KEY = \"{pw}\"\n"), pw);
    for s in [
        "password = \"changeme\"",
        "password=${DB_PASSWORD}",
        "password: opts.password,",
        "password = os.environ.get('PW')",
        "password: \"<password>\"",
        "password: \"********\"",
        "secret: null",
        "passwd = xxxxxxxxxx",
        "PASSWORD_HASHERS = django.contrib.auth",
        "help: \"Password must be at least 8 characters\"",
        "if (password == user.password_hash)",
        "password=password123",
        "DB_PASSWORD_FILE=/run/secrets/db_password",
        "apiKey: 'aaaaaaaa'",
    ] {
        miss("app/code.py", s);
    }
}

#[test]
fn the_specific_rule_wins_and_reports_once() {
    let pat = format!("ghp_{}", alnum(36, 80));
    let stripe = format!("sk_live_{}", alnum(24, 81));
    let env = format!("GITHUB_TOKEN={pat}\nSTRIPE_SECRET_KEY={stripe}\nDATABASE_URL=postgres://app:{}@db.internal:5432/app\n", concat!("Sup3r", "S3cret-FAKE-2024"));
    let got = found("app/.env", &env);
    let summary: Vec<(&str, u32)> = got.iter().map(|(r, l, _)| (r.as_str(), *l)).collect();
    assert_eq!(summary, [("github-pat", 1), ("stripe-secret-key", 2), ("url-credentials", 3)]);
    assert_eq!(got[0].2, "ghp_*****");
    // Two secrets on one line are two findings.
    assert_eq!(rules_found("a.txt", &format!("{pat} {stripe}")), ["github-pat", "stripe-secret-key"]);
}

#[test]
fn redaction_shows_a_short_prefix_at_most() {
    assert_eq!(scan::redact(b"k=abcdefghijklmnop;", 2..18, 4), "k=abcd*****;");
    assert_eq!(scan::redact(b"abcdefgh", 0..8, 4), "ab*****");
    assert_eq!(scan::redact(b"abc", 0..3, 4), "*****");
    assert_eq!(scan::redact(b"line1\nkey: \"sEcReTvAlUe1\"\nnext", 12..24, 0), "key: \"*****\"");
}

fn config(env: &[&str], history: &[&str]) -> ImageConfig {
    let mut c = ImageConfig::default();
    c.config.env = Some(env.iter().map(|s| (*s).to_owned()).collect());
    c.history = history.iter().map(|h| History { created_by: Some((*h).to_owned()), ..History::default() }).collect();
    c
}

fn meta(c: &ImageConfig) -> Vec<(String, String, u32)> {
    scan_config(c).into_iter().map(|s| (s.rule, s.path, s.line)).collect()
}

#[test]
fn metadata_env_labels_and_history() {
    let pw = concat!("Sup3r", "S3cret-FAKE-2024");
    let pat = format!("ghp_{}", alnum(36, 90));
    let mut c = config(
        &["PATH=/usr/bin", "DB_USER=app", &format!("DB_PASSWORD={pw}"), "DB_PASSWORD_FILE=/run/secrets/db", "API_TOKEN=", "SECRET_KEY=changeme"],
        &[
            "/bin/sh -c #(nop) ADD file:x in / ",
            "/bin/sh -c #(nop)  ENV PATH=/usr/bin",
            &format!("RUN |1 GITHUB_TOKEN={pat} /bin/sh -c make # buildkit"),
            &format!("ENV DB_USER=app DB_PASSWORD={pw}"),
            &format!("/bin/sh -c #(nop)  ENV API_SECRET {pw}"),
            "ARG NPM_TOKEN",
            &format!("|2 NPM_TOKEN={} OTHER=1 /bin/sh -c npm ci", alnum(24, 91)),
            "RUN /bin/sh -c echo password=${PW}",
        ],
    );
    c.config.labels = Some([("a.token".to_owned(), pat.clone()), ("org.opencontainers.image.title".to_owned(), "x".to_owned())].into());
    let s = |r: &str, p: &str, l: u32| (r.to_owned(), p.to_owned(), l);
    assert_eq!(
        meta(&c),
        [
            s("secret-like-env-name", "config.Env", 3),
            s("github-pat", "config.Labels", 1),
            s("github-pat", "history[2].created_by", 1),
            s("secret-like-env-name", "history[3].created_by", 1),
            s("secret-like-env-name", "history[4].created_by", 1),
            s("secret-like-env-name", "history[6].created_by", 1),
        ]
    );
    let all = serde_json::to_string(&scan_config(&c)).unwrap();
    assert!(!all.contains(pw) && !all.contains(&pat), "{all}");
    assert!(all.contains("DB_PASSWORD=Sup3*****"), "{all}");
}

#[test]
fn assignments_of_instructions() {
    let a = |t: &str| metadata::assignments(t).into_iter().map(|(n, v)| (t[n].to_owned(), t[v].to_owned())).collect::<Vec<_>>();
    let p = |n: &str, v: &str| (n.to_owned(), v.to_owned());
    assert_eq!(a("ENV A=1 B=\"two words\" C='x'"), [p("A", "1"), p("B", "two words"), p("C", "x")]);
    assert_eq!(a("/bin/sh -c #(nop)  ENV NAME some value"), [p("NAME", "some value")]);
    assert_eq!(a("RUN |2 A=1 B=2 /bin/sh -c C=3 make"), [p("A", "1"), p("B", "2")]);
    assert_eq!(a("|1 A=1 /bin/sh -c x"), [p("A", "1")]);
    assert_eq!(a("RUN /bin/sh -c A=1 make"), []);
    assert_eq!(a("ARG X"), []);
    assert_eq!(a("RUN |9 A=1"), [p("A", "1")]);
    assert_eq!(a("ENV A=\"unterminated"), [p("A", "unterminated")]);
}

fn file(size: u64) -> FileEntry {
    FileEntry { path: String::new(), kind: EntryKind::File, size, mode: 0o644, uid: 0, gid: 0 }
}

#[test]
fn file_selection() {
    let s = SecretScanner;
    for p in ["root/.aws/credentials", "app/.env", "srv/web/node_modules/x/index.js", "app/src/config.ts", "etc/ssl/private/k.pem", "usr/share/nodejs/x.json"] {
        assert!(s.wants(p, &file(100)), "{p}");
    }
    for p in ["usr/lib/x86_64-linux-gnu/libc.so.6", "usr/share/zoneinfo/UTC", "app/logo.png", "app/app.jar", "app/x.js.map", "usr/share/doc/x/copyright", "a/b.pyc", "srv/web/node_modules/aws-sdk/clients/sts.d.ts", "lib/x.d.mts"] {
        assert!(!s.wants(p, &file(100)), "{p}");
    }
    assert!(!s.wants("app/.env", &file(0)));
    assert!(!s.wants("app/big.json", &file(MAX_BYTES + 1)));
    assert!(!s.wants("app/dir", &FileEntry { kind: EntryKind::Dir, ..file(0) }));
    assert!(s.wants_head(b"KEY=value\n"));
    for head in [&b"\x7fELF\x02\x01"[..], b"PK\x03\x04x", b"\x1f\x8b\x08", b"text\0more"] {
        assert!(!s.wants_head(head));
    }
}

#[test]
fn a_deleted_secret_is_still_reported() {
    let key = chars(40, 95, B64);
    let facts = SecretScanner.analyze("root/.aws/credentials", format!("aws_secret_access_key = {key}\n").as_bytes()).unwrap();
    let found = vec![Found { layer: 0, path: "root/.aws/credentials".to_owned(), analyzer: SecretScanner.id(), result: Ok(facts) }];
    // Layer 1 deleted the file: the merged view does not show it.
    let inv = Inventory::build(found, &[], &Merged::default(), false);
    assert_eq!(inv.secrets.len(), 1);
    let s = &inv.secrets[0];
    assert_eq!((s.layer, s.path.as_str(), s.visible, s.secret.rule.as_str(), s.secret.line), (0, "root/.aws/credentials", false, "aws-secret-access-key", 2 - 1));
}

#[test]
fn binary_and_odd_bytes_do_not_panic() {
    let mut junk: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    junk.extend_from_slice(b"password=\xff\xfe\xfd-\xc3(abc1 ghp_\xf0\x9f\x92\xa9 -----BEGIN RSA PRIVATE KEY-----\n\xff");
    for path in ["a", "app/.env", "root/.npmrc", "root/.pypirc", "root/.docker/config.json"] {
        assert!(SecretScanner.analyze(path, &junk).is_ok());
    }
}

#[test]
fn known_formats_judge_one_assignment_without_the_generic_rule() {
    let aws = format!("BUILD_REF=AKIA{}", chars(16, 7, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"));
    assert_eq!(known_formats(&aws), ["aws-access-key-id"]);
    // The generic rule judges by the name: the caller does that itself.
    let generic = "AGENT_SECRET=agent-1.2.3.jar";
    assert!(scan::scan(generic.as_bytes(), None).iter().any(|l| l.rule == "generic-password"));
    assert!(known_formats(generic).is_empty());
    assert!(known_formats("NGINX_VERSION=1.25.4").is_empty());
}
