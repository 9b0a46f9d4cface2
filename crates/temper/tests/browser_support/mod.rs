//! Debian's chromium for the browser tests (`scripts/test.sh` installs
//! it): found on PATH, launched headless through the DevTools protocol at
//! 1280×800, with every console error, exception and request recorded.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::{Browser, LaunchOptions, Tab};

/// chromium on PATH, or `None` (and a note) outside CI.
pub fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join("chromium")).find(|c| c.is_file()));
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(found.is_some() || !ci, "chromium is not installed (scripts/test.sh installs it; CI must run the browser tests)");
    if found.is_none() {
        eprintln!("SKIPPED: chromium is not installed (apt-get install chromium, or run scripts/test.sh)");
    }
    found
}

/// One headless chromium with one tab.
pub struct Session {
    /// The tab.
    pub tab: Arc<Tab>,
    /// Console errors, exceptions and CSP violations, in order.
    pub errors: Arc<Mutex<Vec<String>>>,
    /// The URL of every request the page made.
    pub requests: Arc<Mutex<Vec<String>>>,
    _browser: Browser,
    _profile: tempfile::TempDir,
}

/// Starts chromium with a fresh profile and no background traffic (this
/// machine's network is closed), the page sized 1280×800 exactly.
pub fn launch(chromium: PathBuf) -> Session {
    let profile = tempfile::tempdir().unwrap();
    let args: Vec<&std::ffi::OsStr> = ["--disable-gpu", "--disable-background-networking", "--disable-extensions", "--no-first-run", "--disable-component-update", "--disable-sync"].iter().map(std::ffi::OsStr::new).collect();
    let browser = Browser::new(LaunchOptions { headless: true, sandbox: false, path: Some(chromium), user_data_dir: Some(profile.path().to_owned()), window_size: Some((1280, 800)), args, ..Default::default() }).unwrap();
    let tab = browser.new_tab().unwrap();
    // The window's size includes what a headless window still reserves; the page gets 1280×800 exactly.
    tab.call_method(headless_chrome::protocol::cdp::Emulation::SetDeviceMetricsOverride {
        width: 1280,
        height: 800,
        device_scale_factor: 1.0,
        mobile: false,
        scale: None,
        screen_width: None,
        screen_height: None,
        position_x: None,
        position_y: None,
        dont_set_visible_size: None,
        screen_orientation: None,
        viewport: None,
        display_feature: None,
        device_posture: None,
    })
    .unwrap();
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let requests = Arc::new(Mutex::new(Vec::<String>::new()));
    let (error_sink, request_sink) = (errors.clone(), requests.clone());
    tab.add_event_listener(Arc::new(move |event: &Event| {
        let message = match event {
            Event::LogEntryAdded(e) if format!("{:?}", e.params.entry.level) == "Error" => Some(e.params.entry.text.clone()),
            Event::RuntimeExceptionThrown(e) => Some(e.params.exception_details.text.clone()),
            Event::RuntimeConsoleAPICalled(e) if format!("{:?}", e.params.Type) == "Error" => Some("console.error".to_owned()),
            Event::NetworkRequestWillBeSent(e) => {
                request_sink.lock().unwrap().push(e.params.request.url.clone());
                None
            }
            _ => None,
        };
        if let Some(m) = message {
            error_sink.lock().unwrap().push(m);
        }
    }))
    .unwrap();
    tab.enable_log().unwrap();
    tab.enable_runtime().unwrap();
    tab.call_method(headless_chrome::protocol::cdp::Network::Enable { max_total_buffer_size: None, max_resource_buffer_size: None, max_post_data_size: None, report_direct_socket_traffic: None, enable_durable_messages: None }).unwrap();
    Session { tab, errors, requests, _browser: browser, _profile: profile }
}

/// Evaluates `js` in the tab and returns its JSON value (through a string:
/// objects come back by reference otherwise).
pub fn eval(tab: &Tab, js: &str) -> serde_json::Value {
    match tab.evaluate(&format!("JSON.stringify({js})"), false).unwrap().value {
        Some(serde_json::Value::String(s)) => serde_json::from_str(&s).unwrap(),
        _ => serde_json::Value::Null,
    }
}
