//! Catalog and tag listing against a small fake registry on loopback:
//! `Link` pages followed whether relative or absolute, a link to another
//! host refused, a link back to a page already read refused.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use temper_image::RegistryOptions;
use temper_image::registry::RetryPolicy;
use temper_image::registry::catalog::Catalog;

/// Serves `route(path) -> (body, link)` on 127.0.0.1 until the test ends;
/// returns the port and the paths asked for.
fn serve(route: fn(&str, u16) -> (String, Option<String>)) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&asked);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut out = stream;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                            break;
                        }
                    }
                    log.lock().unwrap().push(path.clone());
                    let (body, link) = if path == "/v2/" { ("{}".to_owned(), None) } else { route(&path, port) };
                    let link = link.map(|l| format!("Link: {l}\r\n")).unwrap_or_default();
                    let reply = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{link}\r\n{body}", body.len());
                    if out.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, asked)
}

fn route(path: &str, port: u16) -> (String, Option<String>) {
    match path {
        "/v2/_catalog?n=2" => (r#"{"repositories":["a","b"]}"#.into(), Some(r#"</v2/_catalog?last=b&n=2>; rel="next""#.into())),
        "/v2/_catalog?last=b&n=2" => (r#"{"repositories":["c","d"]}"#.into(), Some(format!(r#"<http://127.0.0.1:{port}/v2/_catalog?last=d&n=2>; rel="next""#))),
        "/v2/_catalog?last=d&n=2" => (r#"{"repositories":["e"]}"#.into(), None),
        "/v2/lab/app/tags/list?n=2" => (r#"{"name":"lab/app","tags":["1","2"]}"#.into(), Some(r#"<?last=2&n=2>; rel="next""#.into())),
        "/v2/lab/app/tags/list?last=2&n=2" => (r#"{"name":"lab/app","tags":null}"#.into(), None),
        "/v2/lab/evil/tags/list?n=2" => (r#"{"tags":["1"]}"#.into(), Some(r#"<http://evil.example/v2/lab/evil/tags/list?last=1>; rel="next""#.into())),
        "/v2/lab/loop/tags/list?n=2" => (r#"{"tags":["1"]}"#.into(), Some(r#"</v2/lab/loop/tags/list?n=2>; rel="next""#.into())),
        _ => (r#"{"errors":[]}"#.into(), None),
    }
}

fn catalog(port: u16) -> Catalog {
    // One try: the HTTPS attempt against this plain-HTTP server fails at once, then plain HTTP is used.
    let retry = RetryPolicy { attempts: 1, ..RetryPolicy::default() };
    Catalog::connect(&format!("127.0.0.1:{port}"), &RegistryOptions { insecure: true, retry, ..RegistryOptions::default() }).unwrap()
}

#[test]
fn pages_are_followed_through_relative_and_absolute_links() {
    let (port, asked) = serve(route);
    let c = catalog(port);
    assert_eq!(c.repositories(2).unwrap(), ["a", "b", "c", "d", "e"]);
    assert_eq!(c.tags("lab/app", 2).unwrap(), ["1", "2"]);
    let asked = asked.lock().unwrap().clone();
    assert_eq!(asked.iter().filter(|p| p.starts_with("/v2/_catalog")).count(), 3, "{asked:?}");
}

#[test]
fn a_link_to_another_host_or_back_to_a_read_page_is_refused() {
    let (port, asked) = serve(route);
    let c = catalog(port);
    let e = c.tags("lab/evil", 2).unwrap_err().to_string();
    assert!(e.contains("points to another host; refusing to follow it") && e.contains("evil.example"), "{e}");
    let e = c.tags("lab/loop", 2).unwrap_err().to_string();
    assert!(e.contains("leads back to a page already read"), "{e}");
    assert!(!asked.lock().unwrap().iter().any(|p| p.contains("last=1")), "nothing was asked of the other host's path");
}
