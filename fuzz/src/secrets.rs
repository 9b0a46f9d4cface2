//! Secret-scanner fuzz body: file contents and image metadata come from
//! strangers. The first line of the input names the file, the rest is its
//! content; the same text is also scanned as a config's `Env`, `Labels`
//! and history. Every finding must be located inside the text and carry
//! the mask, never a long run of the text it matched.

use temper_check::secrets;
use temper_image::model::ImageConfig;
use temper_inventory::Fact;

/// True when some rule reported something.
pub fn secrets(data: &[u8]) -> bool {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let path = String::from_utf8_lossy(&data[..split]).trim().trim_start_matches('/').to_owned();
    let content = data.get(split + 1..).unwrap_or_default();
    let lines = content.iter().filter(|&&b| b == b'\n').count() + 1;
    let mut found = false;
    if let Ok(facts) = secrets::analyzer().analyze(&path, content) {
        for fact in facts {
            let Fact::Secret(s) = fact else { panic!("the secret scanner reported {fact:?}") };
            assert!(s.line >= 1 && s.line as usize <= lines, "line {} of {lines}", s.line);
            assert!(s.redacted.contains("*****"), "{}: unmasked {:?}", s.rule, s.redacted);
            assert!(secrets::rule(&s.rule).is_some(), "unknown rule {}", s.rule);
            found = true;
        }
    }
    let text = String::from_utf8_lossy(content);
    let env: Vec<String> = text.lines().take(64).map(str::to_owned).collect();
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": env, "Labels": {"note": text.lines().next().unwrap_or_default()}},
        "rootfs": {"type": "layers", "diff_ids": []},
        "history": [{"created_by": text}],
    });
    if let Ok(config) = serde_json::from_value::<ImageConfig>(config) {
        for s in secrets::scan_config(&config) {
            assert!(s.redacted.contains("*****"), "{}: unmasked {:?}", s.rule, s.redacted);
            assert!(s.path.starts_with("config.") || s.path.starts_with("history["), "{}", s.path);
            found = true;
        }
    }
    found
}
