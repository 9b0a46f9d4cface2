//! Pulls through a real registry: Debian's `docker-registry` (distribution
//! 2.8) on 127.0.0.1, filled from the corpus's OCI layouts with `skopeo`,
//! read back by the `temper` binary. Three setups, each its own registry
//! process: anonymous over plain HTTP, Basic auth (htpasswd) behind TLS
//! with a CA made in the test, and token auth against an ES256 token
//! issuer run by the test; a fault-injecting proxy in front of the
//! anonymous one. Local engines the same way: Debian's `podman` serving
//! the Docker Engine API over a private store. The tools and the corpus
//! are required: a test fails, never skips, without them.

// In a test, `expect` is an assertion with a message.
#![allow(clippy::expect_used)]

#[allow(dead_code)]
mod registry_support;

use serde_json::Value;
use tempfile::TempDir;

use registry_support::pki::{TestTls, TokenSigner};
use registry_support::token::{TokenConfig, TokenServer};
use registry_support::faults::{CUT_ABOVE, FaultProxy};
use registry_support::podman::Podman;
use registry_support::{Auth, Registry, corpus_archive, corpus_layout, layout_blob, layout_latest, push, skopeo, temper, temper_env};

const DISTROLESS: &str = "distroless-like";
const MULTIARCH: &str = "multiarch-index";
const USER: &str = "tester";
const PASSWORD: &str = "s3cret:with-colon";

/// A scratch directory with an anonymous plain-HTTP registry on its
/// `storage`, holding `images` (pushed with `--all`, so an index keeps
/// every platform) as `lab/<image>:latest`.
fn anonymous_registry(images: &[&str]) -> (TempDir, Registry) {
    let work = tempfile::tempdir().expect("tempdir");
    let registry = Registry::start(work.path(), "anonymous", &work.path().join("storage"), None, &Auth::None);
    for image in images {
        let dest = format!("docker://{}/lab/{image}:latest", registry.host());
        push(work.path(), &corpus_layout(image), &dest, true, &["--dest-tls-verify=false"]);
    }
    (work, registry)
}

fn digest_of(v: &Value) -> &str {
    v["digest"].as_str().unwrap_or_else(|| panic!("no digest in {v}"))
}

/// `inspect` output without the `image` field, which names the source.
fn without_name(mut v: Value) -> Value {
    v.as_object_mut().expect("inspect JSON is an object").remove("image");
    v
}

#[test]
fn anonymous_http_pull_has_the_layouts_manifest_digest() {
    let layout = corpus_layout(DISTROLESS);
    let (work, registry) = anonymous_registry(&[DISTROLESS]);
    let want = layout_latest(&layout);
    let want_digest = want["digest"].as_str().expect("descriptor digest");
    let image = format!("{}/lab/{DISTROLESS}:latest", registry.host());

    // skopeo stored the layout's manifest byte for byte.
    let raw = skopeo(work.path(), &["inspect", "--raw", "--tls-verify=false", &format!("docker://{image}")]);
    assert!(raw.status.success(), "{}: {}", raw.what, raw.stderr);
    assert!(raw.stdout == layout_blob(&layout, want_digest), "the registry's manifest differs from the layout's {want_digest}");

    let got = temper(&["inspect", "--format", "json", "--insecure", &image]).json();
    assert_eq!(got["image"], image.as_str());
    assert_eq!(digest_of(&got), want_digest, "manifest digest over the registry");
    assert_eq!(got["media_type"], want["mediaType"]);
    let manifest: Value = serde_json::from_slice(&layout_blob(&layout, want_digest)).expect("manifest JSON");
    assert_eq!(got["config_digest"], manifest["config"]["digest"]);
    // Everything else inspect reports (config, history, every layer, read
    // whole) matches the layout read locally.
    let local = temper(&["inspect", "--format", "json", &format!("oci:{}", layout.display())]).json();
    assert_eq!(without_name(got), without_name(local), "inspect over the registry differs from the layout");
}

#[test]
fn anonymous_http_multiarch_index_picks_platforms() {
    let layout = corpus_layout(MULTIARCH);
    let (_work, registry) = anonymous_registry(&[MULTIARCH]);
    let image = format!("{}/lab/{MULTIARCH}:latest", registry.host());
    let top = layout_latest(&layout);
    let index_digest = top["digest"].as_str().expect("index digest");
    let nested: Value = serde_json::from_slice(&layout_blob(&layout, index_digest)).expect("nested index JSON");
    let entry = |arch: &str| {
        nested["manifests"]
            .as_array()
            .and_then(|m| m.iter().find(|d| d["platform"]["architecture"] == arch))
            .and_then(|d| d["digest"].as_str())
            .unwrap_or_else(|| panic!("no {arch} entry in the layout's index {nested}"))
            .to_owned()
    };
    let (amd64, arm64) = (entry("amd64"), entry("arm64"));
    assert_ne!(amd64, arm64);

    let default = temper(&["inspect", "--format", "json", "--insecure", &image]).json();
    assert_eq!(default["index_digest"], index_digest, "the index pulled is the layout's");
    assert_eq!(default["platforms"], serde_json::json!(["linux/amd64", "linux/arm64/v8"]));
    // The default is the host's platform.
    match std::env::consts::ARCH {
        "x86_64" => {
            assert_eq!(digest_of(&default), amd64);
            assert_eq!(default["platform"], "linux/amd64");
        }
        "aarch64" => {
            assert_eq!(digest_of(&default), arm64);
            assert_eq!(default["platform"], "linux/arm64/v8");
        }
        other => panic!("no expectation for the default platform on a {other} host"),
    }

    let arm = temper(&["inspect", "--format", "json", "--insecure", "--platform", "linux/arm64", &image]).json();
    assert_eq!(digest_of(&arm), arm64, "--platform linux/arm64 picks the arm64 manifest");
    assert_eq!(arm["platform"], "linux/arm64/v8");
    assert_eq!(arm["index_digest"], index_digest);

    let missing = temper(&["inspect", "--format", "json", "--insecure", "--platform", "linux/s390x", &image]);
    let line = missing.error_line();
    for needle in ["linux/s390x", "available", "linux/amd64", "linux/arm64/v8"] {
        assert!(line.contains(needle), "the error should mention {needle}: {line}");
    }
}

/// `layers --format json` facts that must not depend on where the image is
/// read from.
fn layer_facts(v: &Value) -> (Vec<String>, Value, Value) {
    let diff_ids: Vec<String> = v["layers"]
        .as_array()
        .expect("layers array")
        .iter()
        .map(|l| l["diff_id"].as_str().unwrap_or_else(|| panic!("layer without diff_id: {l}")).to_owned())
        .collect();
    assert!(!diff_ids.is_empty(), "no layers in {v}");
    assert!(diff_ids.iter().all(|d| d.starts_with("sha256:") && d.len() == 71), "diff_ids: {diff_ids:?}");
    assert!(v["wasted_bytes"].is_u64() && v["efficiency"].is_f64(), "wasted_bytes / efficiency missing: {v}");
    (diff_ids, v["wasted_bytes"].clone(), v["efficiency"].clone())
}

#[test]
fn anonymous_http_layers_match_the_local_layout() {
    let (_work, registry) = anonymous_registry(&[DISTROLESS, MULTIARCH]);
    for (image, platform) in [(DISTROLESS, None), (MULTIARCH, Some("linux/arm64")), (MULTIARCH, Some("linux/amd64"))] {
        let remote = format!("{}/lab/{image}:latest", registry.host());
        let local = format!("oci:{}", corpus_layout(image).display());
        let mut args = vec!["layers", "--format", "json"];
        if let Some(p) = platform {
            args.extend(["--platform", p]);
        }
        let over_registry = temper(&[args.as_slice(), &["--insecure", &remote]].concat()).json();
        let over_layout = temper(&[args.as_slice(), &[&local]].concat()).json();
        assert_eq!(layer_facts(&over_registry), layer_facts(&over_layout), "{image} {platform:?}: layers over the registry vs the layout");
        assert_eq!(over_registry["digest"], over_layout["digest"], "{image} {platform:?}: manifest digest");
    }
}

#[test]
fn plain_http_registry_needs_insecure() {
    let (_work, registry) = anonymous_registry(&[DISTROLESS]);
    let image = format!("{}/lab/{DISTROLESS}:latest", registry.host());
    let refused = temper(&["inspect", "--format", "json", &image]);
    let line = refused.error_line();
    assert!(line.contains(&format!("https://{}/v2/", registry.host())), "the error should name the HTTPS URL tried: {line}");
    assert!(line.contains("pass --insecure"), "the error should suggest --insecure: {line}");
    // The same pull with --insecure works: only the transport was refused.
    let allowed = temper(&["inspect", "--format", "json", "--insecure", &image]).json();
    assert_eq!(digest_of(&allowed), layout_latest(&corpus_layout(DISTROLESS))["digest"].as_str().expect("digest"));
}

/// A TLS registry (certificate from a test CA) with htpasswd Basic auth,
/// holding `lab/distroless-like:latest` pushed with credentials.
/// (Fields drop in order: the registry is killed before its files go.)
struct BasicTls {
    registry: Registry,
    tls: TestTls,
    work: TempDir,
}

impl BasicTls {
    fn start() -> BasicTls {
        let work = tempfile::tempdir().expect("tempdir");
        let tls = TestTls::create(work.path());
        let htpasswd = work.path().join("htpasswd");
        registry_support::htpasswd(&htpasswd, USER, PASSWORD);
        let registry =
            Registry::start(work.path(), "basic-tls", &work.path().join("storage"), Some(&tls.server), &Auth::Htpasswd { path: htpasswd });
        let dest = format!("docker://{}/lab/{DISTROLESS}:latest", registry.host());
        let cert_dir = tls.cert_dir.display().to_string();
        let creds = format!("{USER}:{PASSWORD}");
        push(work.path(), &corpus_layout(DISTROLESS), &dest, false, &["--dest-cert-dir", &cert_dir, "--dest-creds", &creds]);
        BasicTls { registry, tls, work }
    }

    fn image(&self) -> String {
        format!("{}/lab/{DISTROLESS}:latest", self.registry.host())
    }

    fn ca(&self) -> String {
        self.tls.ca_pem.display().to_string()
    }
}

#[test]
fn tls_basic_auth_pulls_with_creds_and_docker_config() {
    let want = layout_latest(&corpus_layout(DISTROLESS))["digest"].as_str().expect("digest").to_owned();
    let r = BasicTls::start();
    let (image, ca) = (r.image(), r.ca());
    let creds = format!("{USER}:{PASSWORD}");

    let got = temper(&["inspect", "--format", "json", "--ca-cert", &ca, "--creds", &creds, &image]).json();
    assert_eq!(digest_of(&got), want, "pull with --creds");

    let config = r.work.path().join("docker-config.json");
    registry_support::docker_config(&config, &r.registry.host(), USER, PASSWORD);
    let got = temper(&["inspect", "--format", "json", "--ca-cert", &ca, "--docker-config", &config.display().to_string(), &image]).json();
    assert_eq!(digest_of(&got), want, "pull with --docker-config");
    assert!(got["uncompressed_size"].as_u64().is_some_and(|s| s > 0), "the layers were read: {got}");
}

#[test]
fn tls_basic_auth_refusals() {
    let r = BasicTls::start();
    let (image, ca) = (r.image(), r.ca());

    let wrong = temper(&["inspect", "--format", "json", "--ca-cert", &ca, "--creds", &format!("{USER}:not-the-password"), &image]);
    let line = wrong.error_line();
    assert!(line.contains("401") && line.contains("refused"), "a wrong password should be reported as refused with HTTP 401: {line}");
    assert!(!line.contains("not-the-password"), "the password must not be printed: {line}");

    let anonymous = temper(&["inspect", "--format", "json", "--ca-cert", &ca, &image]);
    let line = anonymous.error_line();
    assert!(line.contains("--creds"), "no credentials should point at --creds: {line}");

    let untrusted = temper(&["inspect", "--format", "json", "--creds", &format!("{USER}:{PASSWORD}"), &image]);
    let line = untrusted.error_line();
    assert!(line.to_ascii_lowercase().contains("certificate"), "an unknown CA should be reported as an untrusted certificate: {line}");
    assert!(line.contains(&format!("https://{}/v2/", r.registry.host())), "{line}");

    // The wrong password reached the registry and failed its bcrypt check.
    let log = r.registry.log();
    // (logrus quotes the message, escaping its inner quotes)
    let refused_login = format!(r#"error authenticating user \"{USER}\": authentication failure"#);
    assert!(log.contains(&refused_login), "the registry log shows no refused login:\n{log}");
}

const SERVICE: &str = "temper-test";
const ISSUER: &str = "temper-test-issuer";

#[test]
fn token_auth_push_and_pull() {
    let want = layout_latest(&corpus_layout(DISTROLESS))["digest"].as_str().expect("digest").to_owned();
    let work = tempfile::tempdir().expect("tempdir");
    let signer = TokenSigner::generate();
    let bundle = work.path().join("token-signer.pem");
    std::fs::write(&bundle, &signer.cert_pem).expect("write rootcertbundle");
    let tokens = TokenServer::start(TokenConfig {
        service: SERVICE.into(),
        issuer: ISSUER.into(),
        user: USER.into(),
        password: PASSWORD.into(),
        signer,
    });
    let tls = TestTls::create(work.path());
    let auth = Auth::Token { realm: tokens.realm(), service: SERVICE.into(), issuer: ISSUER.into(), rootcertbundle: bundle };
    let registry = Registry::start(work.path(), "token", &work.path().join("storage"), Some(&tls.server), &auth);
    let repo = format!("lab/{DISTROLESS}");
    let image = format!("{}/{repo}:latest", registry.host());
    let (ca, creds) = (tls.ca_pem.display().to_string(), format!("{USER}:{PASSWORD}"));

    push(
        work.path(),
        &corpus_layout(DISTROLESS),
        &format!("docker://{image}"),
        false,
        &["--dest-cert-dir", &tls.cert_dir.display().to_string(), "--dest-creds", &creds],
    );
    let pushed = tokens.requests();
    assert!(
        pushed.iter().any(|r| r.status == 200 && r.scopes.iter().any(|s| s.starts_with(&format!("repository:{repo}:")) && s.contains("push"))),
        "skopeo's push went through the token flow with a push scope: {pushed:?}"
    );

    let got = temper(&["inspect", "--format", "json", "--ca-cert", &ca, "--creds", &creds, &image]);
    let got = got.json();
    assert_eq!(digest_of(&got), want, "pull with a token");
    let pulled: Vec<_> = tokens.requests().split_off(pushed.len());
    assert_eq!(pulled.len(), 1, "one token serves the whole pull (manifest, config, layers): {pulled:?}");
    assert_eq!(pulled[0].user.as_deref(), Some(USER));
    assert_eq!(pulled[0].scopes, [format!("repository:{repo}:pull")]);
    assert_eq!(pulled[0].status, 200);

    let before = tokens.requests().len();
    let anonymous = temper(&["inspect", "--format", "json", "--ca-cert", &ca, &image]);
    let line = anonymous.error_line();
    assert!(line.contains("token request failed") && line.contains("401"), "no credentials: {line}");
    assert!(line.contains(&tokens.realm()), "the error should name the token realm: {line}");
    let refused: Vec<_> = tokens.requests().split_off(before);
    assert!(refused.len() == 1 && refused[0].user.is_none() && refused[0].status == 401, "{refused:?}");

    let wrong = temper(&["inspect", "--format", "json", "--ca-cert", &ca, "--creds", &format!("{USER}:wrong"), &image]);
    let line = wrong.error_line();
    assert!(line.contains("token request failed") && line.contains("401"), "wrong password: {line}");

    // A registry that trusts another signer refuses these tokens: the
    // successful pull above depended on the signature being verified.
    let other = work.path().join("other-signer.pem");
    std::fs::write(&other, TokenSigner::generate().cert_pem).expect("write other bundle");
    let strict_auth = Auth::Token { realm: tokens.realm(), service: SERVICE.into(), issuer: ISSUER.into(), rootcertbundle: other };
    let strict = Registry::start(work.path(), "token-other-signer", &work.path().join("storage"), Some(&tls.server), &strict_auth);
    let image = format!("{}/{repo}:latest", strict.host());
    let untrusted = temper(&["inspect", "--format", "json", "--ca-cert", &ca, "--creds", &creds, &image]);
    let line = untrusted.error_line();
    assert!(line.contains("401") && line.contains("refused"), "a token from an untrusted signer: {line}");
}

/// Waits are capped at a few milliseconds so the tests never sleep long;
/// what is asserted is the requests the proxy saw, never timing.
const FAST_RETRY: (&str, &str) = ("TEMPER_RETRY_MAX_WAIT_MS", "5");

/// Pulls `image` through a [`FaultProxy`] in front of an anonymous
/// registry and checks the result equals the local layout, read whole;
/// returns the proxy's log and temper's stderr.
fn pull_through_faults(ignore_range: bool) -> (Vec<registry_support::faults::Seen>, String) {
    let (_work, registry) = anonymous_registry(&[DISTROLESS]);
    let proxy = FaultProxy::start(registry.host(), ignore_range);
    let image = format!("{}/lab/{DISTROLESS}:latest", proxy.host());
    let run = temper_env(&["inspect", "--format", "json", "--insecure", &image], &[FAST_RETRY]);
    let got = run.json();
    let local = temper(&["inspect", "--format", "json", &format!("oci:{}", corpus_layout(DISTROLESS).display())]).json();
    assert_eq!(without_name(got), without_name(local), "inspect through the faulty proxy differs from the layout");
    (proxy.seen(), run.stderr.clone())
}

#[test]
fn registry_robustness_retries_and_resumes_with_range() {
    let (seen, stderr) = pull_through_faults(false);
    let of = |pred: &dyn Fn(&registry_support::faults::Seen) -> bool| seen.iter().filter(|s| pred(s)).cloned().collect::<Vec<_>>();
    // The 503 on the first ping was retried (plain HTTP after the HTTPS
    // attempt fails: --insecure), once.
    let pings = of(&|s| s.path == "/v2/");
    assert_eq!(pings.iter().map(|s| s.action.as_str()).collect::<Vec<_>>(), ["503", "forward"], "pings: {seen:?}");
    // The 429 was retried once, and its long Retry-After announced and cut.
    let manifests = of(&|s| s.path.contains("/manifests/"));
    assert_eq!(manifests.iter().map(|s| s.action.as_str()).collect::<Vec<_>>(), ["429", "forward"], "manifests: {seen:?}");
    assert!(stderr.contains("asked to wait 30s (Retry-After); waiting 5ms"), "the capped Retry-After should be announced: {stderr}");
    // The config blob's silent close was retried.
    let closed = of(&|s| s.action == "closed");
    assert_eq!(closed.len(), 1, "one small blob is closed on first request: {seen:?}");
    assert_eq!(of(&|s| s.path == closed[0].path).len(), 2, "and asked for again: {seen:?}");
    // Each large blob dropped halfway was resumed from exactly the byte
    // where it was cut, and the registry answered 206.
    let cuts = of(&|s| s.action.starts_with("cut:"));
    assert!(!cuts.is_empty(), "no blob over {CUT_ABOVE} bytes was cut: {seen:?}");
    for cut in &cuts {
        let sent = &cut.action["cut:".len()..];
        let resumed = of(&|s| s.path == cut.path && s.range.is_some());
        assert_eq!(resumed.len(), 1, "{}: one resumption: {seen:?}", cut.path);
        assert_eq!(resumed[0].range.as_deref(), Some(format!("bytes={sent}-").as_str()), "{}: resumed from the cut", cut.path);
        assert_eq!(resumed[0].upstream_status, 206, "{}: the registry honoured the range", cut.path);
    }
}

#[test]
fn registry_robustness_restarts_a_blob_when_the_range_is_ignored() {
    let (seen, _) = pull_through_faults(true);
    let cuts: Vec<_> = seen.iter().filter(|s| s.action.starts_with("cut:")).collect();
    assert!(!cuts.is_empty(), "no blob was cut: {seen:?}");
    for cut in cuts {
        let resumed: Vec<_> = seen.iter().filter(|s| s.path == cut.path && s.range.is_some()).collect();
        assert_eq!(resumed.len(), 1, "{}: one resumption: {seen:?}", cut.path);
        // The whole blob came again (200); inspect still equals the layout
        // above, so the resent prefix was dropped, not duplicated.
        assert_eq!(resumed[0].upstream_status, 200, "{}: the range was ignored", cut.path);
    }
}

#[test]
fn registry_robustness_gives_up_after_bounded_tries() {
    // A port nothing listens on: refused every time, retried, then reported
    // with the reference and the number of tries.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let image = format!("127.0.0.1:{port}/lab/app:1");
    let run = temper_env(&["inspect", "--format", "json", &image], &[FAST_RETRY]);
    let line = run.error_line();
    assert!(line.contains(&format!("{image}: https://127.0.0.1:{port}/v2/")), "the error names the reference and the URL: {line}");
    assert!(line.contains("gave up after 5 tries"), "{line}");
}

#[test]
fn registry_error_hints_local_sources_for_unreachable_hub_names() {
    // Docker Hub made unreachable without the network: every connection
    // goes to a proxy port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let proxy = format!("http://127.0.0.1:{port}");
    let proxy_env = [FAST_RETRY, ("HTTPS_PROXY", proxy.as_str()), ("https_proxy", proxy.as_str()), ("NO_PROXY", ""), ("no_proxy", "")];
    // The engines found are named: here a Docker socket (any file will do)
    // and no Podman one.
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("docker.sock");
    std::fs::write(&socket, "").expect("stand-in socket");
    let (docker_host, xdg) = (format!("unix://{}", socket.display()), dir.path().display().to_string());
    let engines = [("DOCKER_HOST", docker_host.as_str()), ("XDG_RUNTIME_DIR", xdg.as_str()), ("CONTAINER_HOST", "")];
    let line = temper_env(&["inspect", "nonexistent-local"], &[&proxy_env[..], &engines[..]].concat()).error_line().to_owned();
    for needle in [
        "'nonexistent-local' was read as the registry reference docker.io/library/nonexistent-local:latest",
        "docker-daemon:nonexistent-local",
        "podman:nonexistent-local",
        "docker-archive:PATH",
        "oci:DIR",
        "a path",
        &format!("engines found here: Docker at {docker_host}"),
    ] {
        assert!(line.contains(needle), "the hint should say {needle:?}: {line}");
    }
    assert!(!line.contains("Podman at"), "no Podman socket is there: {line}");
    // A reference with its own registry host gets no such hint, but is named.
    let line = temper_env(&["inspect", &format!("127.0.0.1:{port}/lab/app")], &[FAST_RETRY]).error_line().to_owned();
    assert!(line.contains(&format!("127.0.0.1:{port}/lab/app:latest: https://127.0.0.1:{port}/v2/")) && !line.contains("docker-daemon:"), "{line}");
}

/// `inspect` and `sbom` of `source` with `env`, without the source's name.
fn daemon_views(source: &str, env: &[(&str, &str)]) -> (Value, Value) {
    let inspect = temper_env(&["inspect", "--format", "json", source], env).json();
    let sbom = temper_env(&["sbom", "--format", "json", source], env).json();
    (without_name(inspect), without_name(sbom))
}

#[test]
fn local_daemons_read_the_same_image_as_docker_archive() {
    let images = [DISTROLESS, "debian-minbase"];
    let mut podman = Podman::start(&images.map(corpus_archive));
    let tcp = podman.serve_tcp();
    let spool = tempfile::tempdir().expect("tempdir");
    let tmp = spool.path().display().to_string();
    for image in images {
        let want = daemon_views(&format!("docker-archive:{}", corpus_archive(image).display()), &[]);
        assert!(want.1["packages"].as_array().is_some_and(|p| !p.is_empty()), "{image}: no packages to compare: {}", want.1);
        let name = format!("lab/{image}:latest");
        let docker = daemon_views(&format!("docker-daemon:{name}"), &[("DOCKER_HOST", &podman.host()), ("TMPDIR", &tmp)]);
        assert_eq!(docker, want, "{image}: docker-daemon: differs from docker-archive:");
        let over_tcp = daemon_views(&format!("docker-daemon:{name}"), &[("DOCKER_HOST", &tcp), ("TMPDIR", &tmp)]);
        assert_eq!(over_tcp, want, "{image}: docker-daemon: over {tcp} differs from docker-archive:");
        let config = want.0["config_digest"].as_str().expect("config digest").to_owned();
        // By podman's API socket, and by image ID (the config digest).
        let podman_views = daemon_views(&format!("podman:{name}"), &[("CONTAINER_HOST", &podman.host()), ("TMPDIR", &tmp)]);
        assert_eq!(podman_views, want, "{image}: podman: differs from docker-archive:");
        let by_id = daemon_views(&format!("containers-storage:{}", &config["sha256:".len().."sha256:".len() + 12]), &[("CONTAINER_HOST", &podman.host()), ("TMPDIR", &tmp)]);
        assert_eq!(by_id.0["config_digest"], config.as_str(), "{image}: by image ID");
    }
    // Every spooled archive was deleted with its image.
    let left: Vec<_> = std::fs::read_dir(spool.path()).expect("read TMPDIR").flatten().map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");

    let missing = temper_env(&["inspect", "docker-daemon:lab/absent:1"], &[("DOCKER_HOST", &podman.host())]);
    let line = missing.error_line();
    assert!(line.contains("has no image 'lab/absent:1'") && line.contains(&podman.host()), "a missing image is named: {line}");
}

#[test]
fn local_daemons_without_a_socket_name_it_and_the_alternatives() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("docker.sock");
    let host = format!("unix://{}", socket.display());
    let line = temper_env(&["inspect", "docker-daemon:alpine:3.19"], &[("DOCKER_HOST", &host)]).error_line().to_owned();
    for needle in [host.as_str(), "DOCKER_HOST=", "docker save -o image.tar alpine:3.19", "docker-archive:image.tar"] {
        assert!(line.contains(needle), "the error should say {needle:?}: {line}");
    }
    let xdg = dir.path().display().to_string();
    let line = temper_env(&["inspect", "podman:alpine"], &[("XDG_RUNTIME_DIR", &xdg), ("CONTAINER_HOST", "")]).error_line().to_owned();
    assert!(line.contains(&format!("unix://{xdg}/podman/podman.sock")) && line.contains("CONTAINER_HOST="), "{line}");
}
