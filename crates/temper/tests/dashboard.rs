//! `temper serve --dashboard` (issue 19) end to end: a SQLite fleet store
//! filled through `temper fleet` with images built here — a golden base
//! with two builds (one app left on the old one), an app with a finding in
//! its own layer, and a hostile image whose labels, package name and
//! history carry HTML and script payloads — then the real server process
//! on a free loopback port: HTTP (ETag and 304, 405, 401 with a token,
//! pagination bounds, JSON shapes, 404s) and Debian's headless chromium
//! through the DevTools protocol (chart counts against the store, sorting
//! and filtering, no console error, no request off the loopback server,
//! the hostile page running nothing; the 1280×800 screenshot under
//! `target/dashboard-screenshots/`, and `docs/dashboard.png` with
//! `TEMPER_UPDATE_DOCS=1`). The browser test skips, saying so, only
//! outside CI when chromium is absent.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../temper-layer/tests/support/mod.rs"]
mod support;
mod browser_support;

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use browser_support::{chromium, eval};
use serde_json::{Value, json};
use support::{Comp, ImageSpec, OciLayout, file, layer, with_ref};

/// Critical: lodash before 4.17.21.
const LODASH: &str = r#"{"id":"GHSA-dash-0001","aliases":["CVE-2099-0101"],"modified":"2026-01-01T00:00:00Z",
 "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
 "affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}"#;
/// No severity: minimist before 1.2.6.
const MINIMIST: &str = r#"{"id":"GHSA-dash-0002","aliases":["CVE-2099-0102"],"modified":"2026-01-01T00:00:00Z",
 "affected":[{"package":{"ecosystem":"npm","name":"minimist"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.6"}]}]}]}"#;

/// A payload that, if it ran, would mark the window and retitle the page.
const SCRIPT: &str = "<script>window.__pwned=1;document.title='pwned'</script>";
/// An attribute break-out that, if it became an element, would do the same.
const IMG: &str = "\"><img src=x onerror=\"window.__pwned=2;document.title='pwned'\" id=xss>";

fn temper(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_temper"));
    c.args(args).env("TEMPER_CACHE_DIR", dir.join("cache")).env("TEMPER_FLEET_STORE", dir.join("fleet.db")).env_remove("TEMPER_CONFIG").env("XDG_CONFIG_HOME", dir).env("XDG_DATA_HOME", dir);
    c
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn package_json(name: &str, version: &str) -> String {
    json!({ "name": name, "version": version, "license": "MIT" }).to_string()
}

/// The fleet: references by name, in a store at `dir/fleet.db`.
struct Fleet {
    refs: BTreeMap<&'static str, String>,
}

/// Builds the layout and fills the store: golden build 1 synced, then
/// the golden tag moved to build 2 and synced again; findings backdated so
/// the history has days and one finding breaches its SLA.
fn fill(dir: &Path) -> Fleet {
    let path = dir.join("layout");
    let layout = OciLayout::new(&path);
    let base = |version: &str| layer(&[file("usr/lib/node_modules/lodash/package.json", package_json("lodash", version))], Comp::Gzip);
    let (v1, v2) = (base("4.17.20"), base("4.17.21"));
    let golden1 = layout.add_image(&ImageSpec::new(vec![v1.clone()]));
    let golden2 = layout.add_image(&ImageSpec::new(vec![v2.clone()]));
    let app_old = layout.add_image(&ImageSpec::new(vec![v1, layer(&[file("srv/old/index.js", "1")], Comp::Gzip)]));
    let app_new = layout.add_image(&ImageSpec::new(vec![v2, layer(&[file("srv/new/node_modules/minimist/package.json", package_json("minimist", "1.2.5"))], Comp::Gzip)]));
    let evil = layer(&[file("app/node_modules/evil/package.json", package_json(&format!("evil{SCRIPT}"), &format!("1.0.0{IMG}"))), file("app/index.js", "1")], Comp::Gzip);
    let hostile = layout.add_image_with(
        &ImageSpec::new(vec![evil]).history(&[(&format!("/bin/sh -c echo {SCRIPT}{IMG}"), false)]),
        |config| config["config"]["Labels"] = json!({ "org.example.evil": SCRIPT, format!("k{IMG}"): IMG }),
        |_| {},
    );
    let index = |golden: &Value| vec![with_ref(golden.clone(), "golden"), with_ref(app_old.clone(), "app-old"), with_ref(app_new.clone(), "app-new"), with_ref(hostile.clone(), "hostile")];
    layout.write_index(index(&golden1));
    let r = |tag: &str| format!("oci:{}:{tag}", path.display());
    let refs = BTreeMap::from([("golden", r("golden")), ("app-old", r("app-old")), ("app-new", r("app-new")), ("hostile", r("hostile"))]);
    let osv = dir.join("osv");
    std::fs::create_dir_all(&osv).unwrap();
    std::fs::write(osv.join("lodash.json"), LODASH).unwrap();
    std::fs::write(osv.join("minimist.json"), MINIMIST).unwrap();
    let osv = osv.to_str().unwrap();
    ok(temper(dir, &["fleet", "add", "--golden", &refs["golden"]]).output().unwrap());
    ok(temper(dir, &["fleet", "add", &refs["app-old"], &refs["app-new"], &refs["hostile"]]).output().unwrap());
    ok(temper(dir, &["fleet", "sync", "--advisories", osv, "--allow-partial-db"]).output().unwrap());
    layout.write_index(index(&golden2));
    ok(temper(dir, &["fleet", "sync", "--advisories", osv, "--allow-partial-db"]).output().unwrap());

    let db = rusqlite::Connection::open(dir.join("fleet.db")).unwrap();
    // Open for ten days, the fix known for forty: 33 days past the critical SLA of 7.
    db.execute("UPDATE findings SET fix_known_at = opened_at - 40 * 86400, fix_known_source = 'update', opened_at = opened_at - 10 * 86400 WHERE advisory = 'CVE-2099-0101' AND status = 'open'", []).unwrap();
    db.execute("UPDATE findings SET opened_at = opened_at - 3 * 86400 WHERE advisory = 'CVE-2099-0102'", []).unwrap();
    Fleet { refs }
}

/// Open findings of current images by severity, read from the store itself.
fn open_in_store(dir: &Path) -> BTreeMap<String, i64> {
    let db = rusqlite::Connection::open(dir.join("fleet.db")).unwrap();
    let mut stmt = db.prepare("SELECT f.severity, count(*) FROM findings f JOIN images i ON i.id = f.image_id WHERE f.status = 'open' AND i.current = 1 GROUP BY f.severity").unwrap();
    stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).unwrap().map(Result::unwrap).collect()
}

/// A running `temper serve --dashboard`, killed (by its pid) when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn serve(dir: &Path, extra: &[&str]) -> Server {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut args = vec!["serve", "--dashboard", "--dashboard-listen", addr.as_str()];
    args.extend_from_slice(extra);
    let child = temper(dir, &args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let mut server = Server { child, addr };
    let started = Instant::now();
    while get(&server, "GET", "/healthz", &[]).is_none() {
        assert!(started.elapsed() < Duration::from_secs(30), "the dashboard did not start on {}", server.addr);
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("temper serve --dashboard exited: {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

/// An HTTP/1.1 answer: status, headers (lower-case names), body.
struct Answer {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        assert_eq!(self.headers.get("content-type").map(String::as_str), Some("application/json"), "{}", self.text());
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// One request on its own connection; `None` when nothing listens yet.
fn get(server: &Server, method: &str, path: &str, headers: &[(&str, &str)]) -> Option<Answer> {
    let mut stream = TcpStream::connect(&server.addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", server.addr);
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned())).collect();
    Some(Answer { status, headers, body: raw[end + 4..].to_vec() })
}

fn fetch(server: &Server, path: &str) -> Answer {
    get(server, "GET", path, &[]).unwrap()
}

/// The id of the image whose reference is `reference`, from the API.
fn image_id(server: &Server, reference: &str) -> i64 {
    let list = fetch(server, "/api/images?page=1").json();
    list["images"].as_array().unwrap().iter().find(|i| i["reference"] == reference).unwrap_or_else(|| panic!("{reference} not in {list}"))["id"].as_i64().unwrap()
}

#[test]
fn dashboard_over_http() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let fleet = fill(dir);
    let server = serve(dir, &["--sla", "critical=7d,high=30d"]);

    // The overview's JSON: what the store holds.
    let overview = fetch(&server, "/api/overview").json();
    assert_eq!(overview["images"], 4, "the golden's current build and three apps: {overview}");
    let store = open_in_store(dir);
    assert_eq!(store, BTreeMap::from([("CRITICAL".to_owned(), 1), ("UNKNOWN".to_owned(), 1)]), "app-old's lodash and app-new's minimist");
    for (severity, n) in &store {
        assert_eq!(overview["open"][severity], *n, "{severity}");
    }
    assert_eq!(overview["history"].as_array().unwrap().len(), 30);
    let days: Vec<(i64, i64)> = overview["history"].as_array().unwrap().iter().map(|d| (d["open"]["CRITICAL"].as_i64().unwrap(), d["open"]["UNKNOWN"].as_i64().unwrap())).collect();
    assert_eq!(days[29], (1, 1), "today");
    assert_eq!(days[29 - 5], (1, 0), "five days ago: the lodash finding only");
    assert_eq!(days[29 - 12], (0, 0), "twelve days ago: nothing yet");
    let breaches = overview["breaches"].as_array().unwrap();
    assert_eq!(breaches.len(), 1, "{overview}");
    assert_eq!((breaches[0]["reference"].as_str(), breaches[0]["advisory"].as_str(), breaches[0]["limit_days"].as_i64()), (Some(fleet.refs["app-old"].as_str()), Some("CVE-2099-0101"), Some(7)));
    assert!((33..=34).contains(&breaches[0]["days_over"].as_i64().unwrap()), "{}", breaches[0]);
    let bases = overview["bases"].as_array().unwrap();
    assert_eq!(bases.len(), 1);
    assert_eq!((bases[0]["reference"].as_str(), bases[0]["images"].as_i64(), bases[0]["outdated"].as_i64()), (Some(fleet.refs["golden"].as_str()), Some(2), Some(1)));
    assert_eq!(overview["unbased"], 1, "the hostile image is on no golden base");

    // Pagination: one page of 50; page 2 is out of bounds, page 0 and words are refused.
    let images = fetch(&server, "/api/images?page=1");
    let list = images.json();
    assert_eq!((list["page"].as_i64(), list["pages"].as_i64(), list["per_page"].as_i64(), list["total"].as_i64()), (Some(1), Some(1), Some(50), Some(4)));
    assert!(!images.headers.contains_key("link"), "no neighbour pages");
    let names: Vec<&str> = list["images"].as_array().unwrap().iter().map(|i| i["reference"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "by reference");
    assert_eq!(fetch(&server, "/api/images?page=2").status, 404);
    for bad in ["0", "-1", "two"] {
        let answer = fetch(&server, &format!("/images?page={bad}"));
        assert_eq!(answer.status, 400, "page={bad}");
        assert_eq!(answer.text().lines().count(), 1, "{}", answer.text());
    }

    // One image: the report's page, with the headers of every HTML answer; then 304.
    let old = image_id(&server, &fleet.refs["app-old"]);
    let page = fetch(&server, &format!("/images/{old}"));
    assert_eq!(page.status, 200);
    assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
    let csp = &page.headers["content-security-policy"];
    assert!(csp.starts_with("default-src 'none'; style-src 'sha256-") && page.text().contains(&format!("content=\"{csp}\"")), "the header is the page's own policy");
    assert_eq!((page.headers["x-content-type-options"].as_str(), page.headers["referrer-policy"].as_str(), page.headers["cache-control"].as_str()), ("nosniff", "no-referrer", "no-cache"));
    let html = page.text();
    assert!(html.contains("<h1>Image report: <span class=\"ref\">") && html.contains("<a href=\"../advisories/CVE-2099-0101\">CVE-2099-0101</a>"), "the report's page, its advisory linked to the dashboard's page");
    assert!(html.contains("outdated: the newest is sha256:"), "the page says the golden base moved on");
    let etag = page.headers["etag"].clone();
    assert!(etag.starts_with('"') && etag.len() == 34, "a strong ETag: {etag}");
    let again = get(&server, "GET", &format!("/images/{old}"), &[("If-None-Match", &etag)]).unwrap();
    assert_eq!((again.status, again.body.len(), again.headers["etag"].as_str()), (304, 0, etag.as_str()));
    let other = get(&server, "GET", &format!("/images/{old}"), &[("If-None-Match", "\"0000\"")]).unwrap();
    assert_eq!(other.status, 200, "another tag gets the page");
    let head = get(&server, "HEAD", &format!("/api/images/{old}"), &[]).unwrap();
    assert_eq!((head.status, head.body.len()), (200, 0));
    let detail = fetch(&server, &format!("/api/images/{old}")).json();
    assert_eq!(detail["findings"][0]["advisory"], "CVE-2099-0101");
    assert_eq!(detail["golden"]["up_to_date"], false);
    assert_eq!(detail["facts"]["layers"].as_array().unwrap().len(), 2, "the scan's facts are stored");

    // The advisory: which image has it, and that a rebase onto golden build 2 fixes it.
    let advisory = fetch(&server, "/api/advisories/CVE-2099-0101").json();
    assert_eq!(advisory["images"].as_array().unwrap().len(), 1);
    assert_eq!((advisory["images"][0]["image"].as_i64(), advisory["images"][0]["rebase"]["fixes"].as_bool()), (Some(old), Some(true)));
    assert_eq!(advisory["fixed_by_rebase"], 1);
    assert!(fetch(&server, "/advisories/CVE-2099-0101").text().contains("<b class=\"st st-pass\">fixes it</b>"));
    let minimist = fetch(&server, "/api/advisories/CVE-2099-0102").json();
    assert_eq!(minimist["images"][0]["rebase"]["in_base"], false, "minimist is in app-new's own layer");

    // The golden base: two builds, app-old on the old one.
    let golden = fetch(&server, &format!("/api/golden/{}", bases[0]["id"])).json();
    let builds = golden["builds"].as_array().unwrap();
    assert_eq!(builds.len(), 2);
    assert_eq!((builds[0]["newest"].as_bool(), builds[1]["newest"].as_bool()), (Some(true), Some(false)));
    assert_eq!(builds[1]["images"][0]["id"].as_i64(), Some(old));
    assert_eq!(golden["outdated"], 1);
    assert_eq!(fetch(&server, &format!("/golden/{}", bases[0]["id"])).status, 200);
    let encoded: String = fleet.refs["golden"].bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
    assert_eq!(fetch(&server, &format!("/api/golden/{encoded}")).json(), golden, "by its reference, percent-encoded");

    // Read-only, and 404s that are one escaped line.
    let post = get(&server, "POST", "/", &[("Content-Length", "0")]).unwrap();
    assert_eq!((post.status, post.headers.get("allow").map(String::as_str)), (405, Some("GET, HEAD")));
    for (path, status) in [("/images/999999", 404), ("/images/x", 404), ("/golden/0", 404), ("/advisories/CVE-0000-0000", 404), ("/no/such%3Cscript%3E", 404), ("/api/nothing", 404)] {
        let answer = fetch(&server, path);
        assert_eq!(answer.status, status, "{path}");
        assert_eq!(answer.headers["content-type"], "text/plain; charset=utf-8");
        assert_eq!(answer.text().lines().count(), 1, "{path}: {}", answer.text());
    }
    let hostile_path = fetch(&server, &format!("/advisories/{}", "%3Cscript%3Ex"));
    assert!(hostile_path.text().contains("&lt;script&gt;x") && !hostile_path.text().contains("<script>"), "{}", hostile_path.text());

    // The hostile image: every payload is text.
    let hostile = image_id(&server, &fleet.refs["hostile"]);
    let html = fetch(&server, &format!("/images/{hostile}")).text();
    let body = &html[html.find("<body>").unwrap()..html.rfind("<script>").unwrap()];
    assert!(!body.contains("<script>") && !body.contains("<img") && !body.contains("id=xss>"), "a payload reached the page raw");
    let escaped = "&lt;script&gt;window.__pwned=1;document.title=&#x27;pwned&#x27;";
    assert!(body.matches(escaped).count() >= 3, "the label, the package name and the history show the payload as text");

    // A token: required everywhere but /healthz, refused without or with another.
    let token_file = dir.join("token");
    std::fs::write(&token_file, "s3cret-token\n").unwrap();
    let guarded = serve(dir, &["--dashboard-token-file", token_file.to_str().unwrap()]);
    for given in [None, Some("Bearer wrong"), Some("Basic czNjcmV0LXRva2Vu")] {
        let headers: Vec<(&str, &str)> = given.iter().map(|g| ("Authorization", *g)).collect();
        let answer = get(&guarded, "GET", "/api/overview", &headers).unwrap();
        assert_eq!((answer.status, answer.headers.get("www-authenticate").map(String::as_str)), (401, Some("Bearer realm=\"temper-dashboard\"")), "{given:?}");
    }
    assert_eq!(get(&guarded, "GET", "/api/overview", &[("Authorization", "Bearer s3cret-token")]).unwrap().status, 200);
    assert_eq!(fetch(&guarded, "/healthz").status, 200);

    // A mistyped store is an error at the start, not an empty fleet.
    let missing = temper(dir, &["serve", "--dashboard", "--store", dir.join("no-such.db").to_str().unwrap(), "--dashboard-listen", "127.0.0.1:0"]).output().unwrap();
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("no-such.db: no fleet store there") && stderr.trim().lines().count() == 1, "{stderr}");
    assert!(!dir.join("no-such.db").exists(), "nothing was created");
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn dashboard_in_chromium() {
    let Some(chromium) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let fleet = fill(dir);
    let server = serve(dir, &[]);
    let base = format!("http://{}", server.addr);

    // Kept to the end: dropping the session closes the browser.
    let session = browser_support::launch(chromium);
    let (tab, errors, requests) = (session.tab.clone(), session.errors.clone(), session.requests.clone());
    tab.navigate_to(&format!("{base}/")).unwrap().wait_until_navigated().unwrap();
    let store = open_in_store(dir);
    let total: i64 = store.values().sum();
    assert_eq!(eval(&tab, "document.querySelector('#chart-open').getAttribute('data-total')"), json!(total.to_string()));
    for (severity, n) in &store {
        let key = severity.to_lowercase();
        assert_eq!(eval(&tab, &format!("document.querySelector('#chart-open g.bar[data-key=\"{key}\"]').getAttribute('data-count')")), json!(n.to_string()), "{severity}");
    }
    assert_eq!(eval(&tab, "document.querySelectorAll('#chart-history g.bar').length"), json!(30 * 5), "30 days of five severities");
    let today = eval(&tab, "Array.from(document.querySelectorAll('#chart-history g.bar')).slice(-5).map(g => [g.getAttribute('data-key').split('/')[1], g.getAttribute('data-count')])");
    assert_eq!(today, json!([["critical", "1"], ["high", "0"], ["medium", "0"], ["low", "0"], ["unknown", "1"]]));
    let golden = &fleet.refs["golden"];
    assert_eq!(eval(&tab, &format!("document.querySelector('#chart-bases g.bar[data-key=\"{golden}/outdated\"]').getAttribute('data-count')")), json!("1"));
    assert_eq!(eval(&tab, "document.querySelectorAll('#breaches-table tbody tr').length"), json!(1));
    let png = tab.capture_screenshot(headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption::Png, None, None, true).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    assert_eq!((u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap())), (1280, 800), "the PNG's IHDR size");
    let shots = root().join("target/dashboard-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::write(shots.join("dashboard.png"), &png).unwrap();
    if std::env::var("TEMPER_UPDATE_DOCS").is_ok_and(|v| v == "1") {
        std::fs::write(root().join("docs/dashboard.png"), &png).unwrap();
    }

    // The image list: sorting by a count column, filtering by text.
    tab.navigate_to(&format!("{base}/images")).unwrap().wait_until_navigated().unwrap();
    let rows = "Array.from(document.querySelectorAll('#images-table tbody tr')).filter(r => !r.hidden).map(r => r.cells[0].textContent)";
    assert_eq!(eval(&tab, &format!("{rows}.length")), json!(4));
    tab.wait_for_element("#images-table thead th:nth-child(5) button").unwrap().click().unwrap();
    tab.wait_for_element("#images-table thead th:nth-child(5) button").unwrap().click().unwrap();
    assert_eq!(eval(&tab, &format!("{rows}[0]")), json!(fleet.refs["app-old"]), "most critical first once sorted descending");
    assert_eq!(eval(&tab, "document.querySelector('#images-table thead th:nth-child(5)').getAttribute('aria-sort')"), json!("descending"));
    tab.wait_for_element(".filters input.q").unwrap().click().unwrap();
    tab.type_str("app-new").unwrap();
    assert_eq!(eval(&tab, rows), json!([fleet.refs["app-new"]]));
    assert_eq!(eval(&tab, "document.querySelector('.filters .shown .n').textContent"), json!("1"));

    // The hostile image's page: the payloads are text, and none ran.
    let hostile = eval(&tab, &format!("Array.from(document.querySelectorAll('#images-table tbody tr')).find(r => r.cells[0].textContent === {}).getAttribute('data-id')", json!(fleet.refs["hostile"])));
    let hostile = hostile.as_str().unwrap().to_owned();
    tab.navigate_to(&format!("{base}/images/{hostile}")).unwrap().wait_until_navigated().unwrap();
    assert_eq!(eval(&tab, "window.__pwned === undefined"), json!(true), "a payload ran");
    assert_eq!(eval(&tab, "document.title.startsWith('oci:')"), json!(true), "the title is the page's own");
    assert_eq!(eval(&tab, "document.querySelectorAll('#xss, main img, main script').length"), json!(0), "a payload became an element");
    assert_eq!(eval(&tab, &format!("document.body.textContent.includes({})", json!(SCRIPT))), json!(true), "the payload shows as text");

    // The advisory page, reached by its link on the image page of app-old.
    tab.navigate_to(&format!("{base}/advisories/CVE-2099-0101")).unwrap().wait_until_navigated().unwrap();
    assert_eq!(eval(&tab, "document.querySelector('#advisory-table .rebase').textContent.startsWith('fixes it')"), json!(true));

    assert_eq!(errors.lock().unwrap().clone(), Vec::<String>::new(), "console errors, exceptions or CSP violations");
    let requests = requests.lock().unwrap().clone();
    assert!(requests.len() >= 4, "the Network domain saw the navigations: {requests:?}");
    let off: Vec<&String> = requests.iter().filter(|u| !u.starts_with(&format!("{base}/"))).collect();
    assert!(off.is_empty(), "requests off the loopback server: {off:?}");
}
