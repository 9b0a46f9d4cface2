//! The image config of the result: the base's, with the spec's runtime
//! settings over it, the new layers' diffIDs and history, and `created`
//! at the build's epoch. Keys are written in one fixed order.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use temper_image::model::ImageConfig;

use crate::Error;
use crate::spec::Spec;

/// Proxy variables, which programs read in either case: the spec's value
/// is set under both spellings.
const PROXY_VARS: [&str; 5] = ["http_proxy", "https_proxy", "ftp_proxy", "all_proxy", "no_proxy"];

/// The base's `Env` with the spec's variables set over it: a variable the
/// base has keeps its place, new ones follow in name order.
pub fn env(base: &[String], spec: &BTreeMap<String, String>) -> Result<Vec<String>, Error> {
    let mut set: Vec<(String, String)> = Vec::new();
    for (k, v) in spec {
        if k.is_empty() || k.contains(['=', '\0']) || v.contains('\0') {
            return Err(Error::Spec(format!("[env] `{k}`: not a variable name")));
        }
        set.push((k.clone(), v.clone()));
        let lower = k.to_ascii_lowercase();
        if PROXY_VARS.contains(&lower.as_str()) {
            let other = if *k == lower { k.to_ascii_uppercase() } else { lower };
            if !spec.contains_key(&other) {
                set.push((other, v.clone()));
            }
        }
    }
    let mut out: Vec<String> = base.iter().map(|e| {
        let name = e.split_once('=').map_or(e.as_str(), |(n, _)| n);
        set.iter().find(|(k, _)| k == name).map_or_else(|| e.clone(), |(k, v)| format!("{k}={v}"))
    }).collect();
    let mut added: Vec<&(String, String)> = set.iter().filter(|(k, _)| !base.iter().any(|e| e.split_once('=').map_or(e.as_str(), |(n, _)| n) == k)).collect();
    added.sort();
    out.extend(added.into_iter().map(|(k, v)| format!("{k}={v}")));
    Ok(out)
}

/// `30s`, `1m30s`, `500ms`, `2h` in nanoseconds.
fn duration(what: &str, s: &str) -> Result<i64, Error> {
    let bad = || Error::Spec(format!("healthcheck.{what} `{s}`: not a duration such as 30s, 1m30s or 500ms"));
    let mut total: i64 = 0;
    let mut rest = s.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let scale: i64 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(bad()),
        };
        total = n.checked_mul(scale).and_then(|v| total.checked_add(v)).ok_or_else(bad)?;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

/// The runtime section (`config`), the base's with the spec over it.
fn runtime(base: &ImageConfig, spec: &Spec) -> Result<Value, Error> {
    let b = &base.config;
    let mut c = Map::new();
    let env = env(b.env.as_deref().unwrap_or_default(), &spec.env)?;
    let put = |c: &mut Map<String, Value>, k: &str, v: Value| {
        if !v.is_null() {
            c.insert(k.to_owned(), v);
        }
    };
    put(&mut c, "User", json!(spec.user.clone().or_else(|| b.user.clone()).filter(|u| !u.is_empty())));
    let mut ports: BTreeMap<String, Value> = b.exposed_ports.clone().unwrap_or_default();
    for p in &spec.exposed_ports {
        let p = if p.contains('/') { p.clone() } else { format!("{p}/tcp") };
        let (n, proto) = p.split_once('/').unwrap_or((&p, "tcp"));
        if n.parse::<u16>().is_err() || !["tcp", "udp", "sctp"].contains(&proto) {
            return Err(Error::Spec(format!("exposed-ports `{p}`: not PORT[/tcp|udp|sctp]")));
        }
        ports.insert(p.clone(), json!({}));
    }
    if !ports.is_empty() {
        c.insert("ExposedPorts".into(), json!(ports));
    }
    if !env.is_empty() {
        c.insert("Env".into(), json!(env));
    }
    put(&mut c, "Entrypoint", json!(spec.entrypoint.clone().or_else(|| b.entrypoint.clone())));
    // A new entrypoint resets an inherited command, as a Dockerfile's ENTRYPOINT does.
    let cmd = spec.cmd.clone().or_else(|| if spec.entrypoint.is_some() { None } else { b.cmd.clone() });
    put(&mut c, "Cmd", json!(cmd));
    let mut volumes: BTreeMap<String, Value> = b.volumes.clone().unwrap_or_default();
    for v in &spec.volumes {
        if !v.starts_with('/') {
            return Err(Error::Spec(format!("volumes `{v}`: not an absolute path")));
        }
        volumes.insert(v.clone(), json!({}));
    }
    if !volumes.is_empty() {
        c.insert("Volumes".into(), json!(volumes));
    }
    put(&mut c, "WorkingDir", json!(spec.workdir.clone().or_else(|| b.working_dir.clone()).filter(|w| !w.is_empty())));
    let mut labels = b.labels.clone().unwrap_or_default();
    labels.extend(spec.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    if !labels.is_empty() {
        c.insert("Labels".into(), json!(labels));
    }
    put(&mut c, "StopSignal", json!(spec.stop_signal.clone().or_else(|| b.stop_signal.clone())));
    if let Some(h) = &spec.healthcheck {
        if !matches!(h.test.first().map(String::as_str), Some("CMD" | "CMD-SHELL" | "NONE")) {
            return Err(Error::Spec("healthcheck.test must start with CMD, CMD-SHELL or NONE".into()));
        }
        let mut hc = Map::new();
        hc.insert("Test".into(), json!(h.test));
        for (key, field, v) in [("Interval", "interval", &h.interval), ("Timeout", "timeout", &h.timeout), ("StartPeriod", "start-period", &h.start_period)] {
            if let Some(v) = v {
                hc.insert(key.into(), json!(duration(field, v)?));
            }
        }
        if let Some(r) = h.retries {
            hc.insert("Retries".into(), json!(r));
        }
        c.insert("Healthcheck".into(), Value::Object(hc));
    } else if let Some(h) = &b.healthcheck {
        c.insert("Healthcheck".into(), serde_json::to_value(h).unwrap_or(Value::Null));
    }
    put(&mut c, "OnBuild", json!(b.on_build));
    put(&mut c, "Shell", json!(b.shell));
    Ok(Value::Object(c))
}

/// The result's config document.
pub fn document(base: &ImageConfig, spec: &Spec, created: &str, new_layers: &[(String, String)]) -> Result<Value, Error> {
    let mut diff_ids: Vec<String> = base.rootfs.diff_ids.iter().map(ToString::to_string).collect();
    let mut history: Vec<Value> = base.history.iter().map(|h| serde_json::to_value(h).unwrap_or(Value::Null)).collect();
    for (diff_id, step) in new_layers {
        diff_ids.push(diff_id.clone());
        history.push(json!({ "created": created, "created_by": format!("temper build: {step}"), "comment": "temper build" }));
    }
    let mut doc = Map::new();
    doc.insert("architecture".into(), json!(base.architecture));
    doc.insert("config".into(), runtime(base, spec)?);
    doc.insert("created".into(), json!(created));
    doc.insert("history".into(), json!(history));
    doc.insert("os".into(), json!(base.os));
    doc.insert("rootfs".into(), json!({ "type": "layers", "diff_ids": diff_ids }));
    if let Some(v) = &base.variant {
        doc.insert("variant".into(), json!(v));
    }
    Ok(Value::Object(doc))
}

/// The runtime section's `Env` of a config document.
pub fn env_of(doc: &Value) -> Vec<String> {
    doc["config"]["Env"].as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_variables_are_set_in_both_cases_and_base_order_is_kept() {
        let spec: BTreeMap<String, String> = [("HTTPS_PROXY", "http://p:3128"), ("no_proxy", "localhost"), ("TZ", "UTC"), ("PATH", "/opt/bin:/usr/bin")].into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        let out = env(&["PATH=/usr/bin".into(), "LANG=C".into()], &spec).unwrap();
        assert_eq!(out, ["PATH=/opt/bin:/usr/bin", "LANG=C", "HTTPS_PROXY=http://p:3128", "NO_PROXY=localhost", "TZ=UTC", "https_proxy=http://p:3128", "no_proxy=localhost"]);
    }

    #[test]
    fn durations() {
        assert_eq!(duration("interval", "1m30s").unwrap(), 90_000_000_000);
        assert_eq!(duration("interval", "500ms").unwrap(), 500_000_000);
        assert!(duration("interval", "30").is_err() && duration("interval", "s").is_err() && duration("interval", "").is_err());
    }
}
