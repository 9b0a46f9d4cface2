//! `temper report` (issue 19): the HTML report of the README's demo image
//! as an insta snapshot, the same page from `scan`, `check` and `gate
//! --format html`, a hostile image whose labels, package and history carry
//! HTML and script payloads, and the page in Debian's headless chromium
//! (`--dump-dom`, and the DevTools protocol for sorting, filtering, console
//! errors and CSP violations, and the 1280×800 screenshot under
//! `target/report-screenshots/`). The browser tests skip, saying so, only
//! outside CI when chromium is absent (scripts/test.sh installs it).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod browser_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use browser_support::{chromium, eval};
use serde_json::json;
use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn temper(args: &[&str]) -> Output {
    let cache = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_temper")).args(args).current_dir(root()).env("TEMPER_CACHE_DIR", cache.path()).env_remove("TEMPER_CONFIG").env_remove("TEMPER_DB").output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = temper(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The in-memory advisory database of `--advisories` is "updated" when it
/// is read: the one clock in the page, replaced for comparisons.
fn redact_updated(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(", updated ") {
        let (head, tail) = rest.split_at(i + ", updated ".len());
        out.push_str(head);
        out.push_str("[time]");
        rest = &tail[tail.find('<').unwrap_or(tail.len())..];
    }
    out.push_str(rest);
    out
}

/// The demo image's report, written with `-o` into `dir`.
fn demo_report(dir: &Path) -> PathBuf {
    let path = dir.join("report.html");
    let out = ok(&["report", "examples/demo-app", "--advisories", "examples/advisories", "-o", path.to_str().unwrap()]);
    assert!(out.is_empty(), "-o writes the file, not stdout: {out}");
    path
}

/// The rows of the findings table in `html`.
fn finding_rows(html: &str) -> usize {
    html.matches("<tr data-severity=").count()
}

#[test]
fn demo_image_report_is_deterministic_and_matches_its_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let first = std::fs::read_to_string(demo_report(dir.path())).unwrap();
    let second = std::fs::read_to_string(demo_report(dir.path())).unwrap();
    assert_eq!(redact_updated(&first), redact_updated(&second), "the same image gives the same bytes");
    assert_eq!(finding_rows(&first), 27, "the README's 27 expat findings");
    assert!(!std::fs::read_dir(dir.path()).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().contains("temper-tmp")), "no temporary file is left");
    insta::assert_snapshot!("demo_app_report", redact_updated(&first));
}

#[test]
fn scan_check_and_gate_write_the_same_page_with_format_html() {
    let dir = tempfile::tempdir().unwrap();
    let report = redact_updated(&std::fs::read_to_string(demo_report(dir.path())).unwrap());
    let scan = ok(&["scan", "examples/demo-app", "--advisories", "examples/advisories", "--format", "html"]);
    assert_eq!(redact_updated(&scan), report, "scan --format html is the report");

    let check = ok(&["check", "examples/demo-app", "--format", "html"]);
    assert!(check.contains("Not matched: no advisory database was given.") && check.contains("<h2 id=\"h-checks\">Hardening checks"), "check's page has no findings but its checks");

    let gate_path = dir.path().join("gate.html");
    let out = temper(&["gate", "examples/demo-app", "--advisories", "examples/advisories", "--format", "html", "-o", gate_path.to_str().unwrap()]);
    assert!(out.status.code() == Some(0) || out.status.code() == Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let gate = std::fs::read_to_string(&gate_path).unwrap();
    assert!(gate.contains("<p class=\"verdict ") && gate.contains("<table id=\"rules\">"), "gate's page shows the verdict and its rules");
    assert_eq!(finding_rows(&gate), 27);

    let dockerfile = dir.path().join("Dockerfile");
    std::fs::write(&dockerfile, "FROM debian:latest\nRUN apt-get install curl\n").unwrap();
    let linted = ok(&["report", "examples/demo-app", "--advisories", "examples/advisories", "--dockerfile", dockerfile.to_str().unwrap()]);
    assert!(linted.contains("<section id=\"lint\""), "the lint section");
    assert!(linted.contains("<pre class=\"src\"><span class=\"ln\">2</span> RUN apt-get install curl\n</pre>"), "a finding shows the line it is about");

    let missing = temper(&["report", "examples/demo-app", "--advisories", "examples/advisories", "-o", dir.path().join("no/such/dir/r.html").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("does not exist") && stderr.lines().count() == 1, "{stderr}");
}

const SCRIPT: &str = "<script>document.title='pwned';document.body.setAttribute('data-xss','1')</script>";
const IMG: &str = "\"><img src=x onerror=\"document.title='pwned'\" id=xss>";

fn sha(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A `docker save` archive of one layer with an npm package whose name and
/// version are payloads, and a config whose labels and history are too.
fn hostile_image(dir: &Path) -> String {
    let manifest = json!({ "name": format!("evil{SCRIPT}"), "version": format!("1.0.0{IMG}"), "license": "MIT" }).to_string();
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in [("app/node_modules/evil/package.json", manifest.as_bytes()), ("app/index.js", b"1".as_slice())] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, data).unwrap();
    }
    let layer = b.into_inner().unwrap();
    let config = json!({
        "architecture": "amd64", "os": "linux",
        "config": { "User": "app", "Labels": { "org.example.evil": SCRIPT, format!("k{IMG}"): IMG } },
        "rootfs": { "type": "layers", "diff_ids": [format!("sha256:{}", sha(&layer))] },
        "history": [{ "created_by": format!("/bin/sh -c echo {SCRIPT}{IMG}") }],
    })
    .to_string()
    .into_bytes();
    let layer_name = format!("{}/layer.tar", sha(&layer));
    let config_name = format!("{}.json", sha(&config));
    let manifest = json!([{ "Config": config_name, "RepoTags": ["hostile:latest"], "Layers": [layer_name] }]).to_string().into_bytes();
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in [(layer_name.as_str(), layer.as_slice()), (config_name.as_str(), config.as_slice()), ("manifest.json", manifest.as_slice())] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, data).unwrap();
    }
    let path = dir.join("hostile.tar");
    std::fs::write(&path, b.into_inner().unwrap()).unwrap();
    format!("docker-archive:{}", path.display())
}

/// The DOM chromium builds from `page` after its scripts ran.
fn dump_dom(chromium: &Path, page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-extensions", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn hostile_strings_render_as_text_and_run_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let image = hostile_image(dir.path());
    let path = dir.path().join("hostile.html");
    ok(&["report", &image, "--advisories", "examples/advisories", "--allow-partial-db", "-o", path.to_str().unwrap()]);
    let html = std::fs::read_to_string(&path).unwrap();
    let body = &html[html.find("<body>").unwrap()..html.rfind("<script>").unwrap()];
    assert!(!body.contains("<script>") && !body.contains("<img") && !body.contains("id=xss>"), "a payload reached the page raw");
    let escaped = "&lt;script&gt;document.title=&#x27;pwned&#x27;";
    assert!(body.matches(escaped).count() >= 3, "the label, the package name and the history show the payload as text");
    assert!(body.contains("<td>evil&lt;script&gt;"), "the package name is in the packages table, escaped");

    let Some(chromium) = chromium() else { return };
    let dom = dump_dom(&chromium, &path);
    assert!(dom.contains("<title>docker-archive:"), "the title is the page's own: {}", &dom[..dom.len().min(600)]);
    assert!(!dom.contains("pwned</title>") && !dom.contains("data-xss=\"1\"") && !dom.contains("id=\"xss\"") && !dom.contains("<img"), "a payload ran or became an element");
}

#[test]
fn report_in_chromium_dom_counts() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let dom = dump_dom(&chromium, &demo_report(dir.path()));
    assert_eq!(finding_rows(&dom), 27);
    assert!(dom.contains("id=\"chart-severity\" data-kind=\"bars\" data-total=\"27\""), "severity chart");
    assert!(dom.contains("data-key=\"unknown\" data-count=\"27\""), "27 of unknown severity");
    assert!(dom.contains("id=\"chart-ecosystem\" data-kind=\"bars\" data-total=\"4\"") && dom.contains("data-key=\"deb\" data-count=\"4\""), "four Debian packages");
    assert!(dom.contains("data-key=\"fixable\" data-count=\"27\""), "every finding has a fix");
    assert_eq!(dom.matches("data-key=\"layer-").count(), 6, "three layers in the findings-by-layer chart and three in the stacked bar");
}

fn visible_ids(tab: &headless_chrome::Tab) -> Vec<String> {
    serde_json::from_value(eval(tab, "Array.from(document.querySelectorAll('#findings-table tbody tr')).filter(r => !r.hidden).map(r => r.cells[0].textContent)")).unwrap()
}

#[test]
fn report_in_chromium_sorts_filters_and_logs_no_error() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = demo_report(dir.path());
    // Kept to the end: dropping the session closes the browser.
    let session = browser_support::launch(chromium);
    let (tab, errors, requests) = (session.tab.clone(), session.errors.clone(), session.requests.clone());
    tab.navigate_to(&format!("file://{}", page.canonicalize().unwrap().display())).unwrap().wait_until_navigated().unwrap();

    let all = visible_ids(&tab);
    assert_eq!(all.len(), 27);
    assert_eq!(eval(&tab, "document.querySelectorAll('#chart-severity g.bar').length"), json!(5));

    // Sorting: a click sorts ascending, Enter on the focused button descending.
    let header = "#findings-table thead th:nth-child(1)";
    tab.wait_for_element(&format!("{header} button")).unwrap().click().unwrap();
    let mut ascending = all.clone();
    ascending.sort_by_key(|id| id.to_lowercase());
    assert_eq!(visible_ids(&tab), ascending);
    assert_eq!(eval(&tab, &format!("document.querySelector('{header}').getAttribute('aria-sort')")), json!("ascending"));
    tab.press_key("Enter").unwrap();
    let descending: Vec<String> = ascending.iter().rev().cloned().collect();
    assert_eq!(visible_ids(&tab), descending);
    assert_eq!(eval(&tab, &format!("document.querySelector('{header}').getAttribute('aria-sort')")), json!("descending"));

    // Filtering: typed text hides the other rows; a severity none has hides all.
    tab.wait_for_element("#findings .filters input.q").unwrap().click().unwrap();
    tab.type_str("56405").unwrap();
    assert_eq!(visible_ids(&tab), vec!["CVE-2026-56405".to_owned()]);
    assert_eq!(eval(&tab, "document.querySelector('#findings .shown .n').textContent"), json!("1"));
    eval(&tab, "(() => { const s = document.querySelector('#findings select.sev'); s.value = 'critical'; s.dispatchEvent(new Event('change')); })()");
    assert!(visible_ids(&tab).is_empty());

    assert_eq!(eval(&tab, "performance.getEntriesByType('resource').length"), json!(0), "the page fetched something");
    let fetched: Vec<String> = requests.lock().unwrap().iter().filter(|u| !u.starts_with("file://")).cloned().collect();
    assert!(fetched.is_empty(), "requests besides the page itself: {fetched:?}");
    eval(&tab, "(() => { const s = document.querySelector('#findings select.sev'); s.value = ''; s.dispatchEvent(new Event('change')); const q = document.querySelector('#findings input.q'); q.value = ''; q.dispatchEvent(new Event('input')); window.scrollTo(0, 0); })()");
    let png = tab.capture_screenshot(headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption::Png, None, None, true).unwrap();
    let shots = root().join("target/report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::write(shots.join("report.png"), &png).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    assert_eq!((u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap())), (1280, 800), "the PNG's IHDR size");
    assert_eq!(errors.lock().unwrap().clone(), Vec::<String>::new(), "console errors or CSP violations");

    // The listener does see a CSP violation: an inline style added now is refused.
    eval(&tab, "(() => { const s = document.createElement('style'); s.textContent = 'body{color:red}'; document.head.appendChild(s); })()");
    let mut seen = false;
    for _ in 0..50 {
        if errors.lock().unwrap().iter().any(|e| e.contains("Content Security Policy")) {
            seen = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(seen, "no CSP violation was reported: {:?}", errors.lock().unwrap());
}
