//! `temper inspect` output.

use std::collections::BTreeMap;

use serde::Serialize;
use temper_image::model::Healthcheck;
use temper_image::{Digest, Image};
use temper_layer::{Compression, LayerIndex};

use super::{columns, ellipsize};
use crate::size::human;

#[derive(Serialize)]
pub struct View {
    image: String,
    digest: Option<Digest>,
    media_type: Option<String>,
    index_digest: Option<Digest>,
    platforms: Vec<String>,
    platform: Option<String>,
    size: u64,
    uncompressed_size: u64,
    config_digest: Option<Digest>,
    created: Option<String>,
    config: ConfigView,
    history: Vec<HistoryView>,
    layers: Vec<LayerView>,
}

#[derive(Serialize)]
struct ConfigView {
    user: Option<String>,
    env: Vec<String>,
    entrypoint: Option<Vec<String>>,
    cmd: Option<Vec<String>>,
    workdir: Option<String>,
    labels: BTreeMap<String, String>,
    healthcheck: Option<Healthcheck>,
    exposed_ports: Vec<String>,
    volumes: Vec<String>,
    stop_signal: Option<String>,
}

#[derive(Serialize)]
struct HistoryView {
    created: Option<String>,
    created_by: Option<String>,
    comment: Option<String>,
    empty_layer: bool,
    layer: Option<usize>,
}

#[derive(Serialize)]
struct LayerView {
    index: usize,
    digest: Option<Digest>,
    diff_id: Option<Digest>,
    media_type: String,
    compression: Compression,
    size: u64,
    uncompressed_size: u64,
    entries: u64,
    created_by: Option<String>,
}

impl View {
    pub fn new(image: &Image, walked: &[LayerIndex]) -> Self {
        let cfg = &image.config.config;
        let map_of = |history: Vec<Option<usize>>| history;
        let layer_history = map_of(image.config.layer_history(walked.len()));
        View {
            image: image.name.clone(),
            digest: image.manifest.as_ref().map(|m| m.digest.clone()),
            media_type: image.manifest.as_ref().map(|m| m.media_type.clone()),
            index_digest: image.index.as_ref().map(|i| i.digest.clone()),
            platforms: image.platforms.iter().map(ToString::to_string).collect(),
            platform: image.platform().map(|p| p.to_string()),
            size: walked.iter().map(|w| w.compressed_size).sum(),
            uncompressed_size: walked.iter().map(|w| w.uncompressed_size).sum(),
            config_digest: image.config_digest.clone(),
            created: image.config.created.clone(),
            config: ConfigView {
                user: cfg.user.clone().filter(|u| !u.is_empty()),
                env: cfg.env.clone().unwrap_or_default(),
                entrypoint: cfg.entrypoint.clone(),
                cmd: cfg.cmd.clone(),
                workdir: cfg.working_dir.clone().filter(|w| !w.is_empty()),
                labels: cfg.labels.clone().unwrap_or_default(),
                healthcheck: cfg.healthcheck.clone(),
                exposed_ports: cfg.exposed_ports.as_ref().map(|p| p.keys().cloned().collect()).unwrap_or_default(),
                volumes: cfg.volumes.as_ref().map(|p| p.keys().cloned().collect()).unwrap_or_default(),
                stop_signal: cfg.stop_signal.clone(),
            },
            history: image
                .config
                .history
                .iter()
                .enumerate()
                .map(|(hi, h)| HistoryView {
                    created: h.created.clone(),
                    created_by: h.created_by.clone(),
                    comment: h.comment.clone(),
                    empty_layer: h.empty_layer,
                    layer: layer_history.iter().position(|x| *x == Some(hi)),
                })
                .collect(),
            layers: walked
                .iter()
                .enumerate()
                .map(|(i, w)| LayerView {
                    index: i,
                    digest: w.digest.clone(),
                    diff_id: w.diff_id.clone(),
                    media_type: image.layers[i].media_type.clone(),
                    compression: w.compression,
                    size: w.compressed_size,
                    uncompressed_size: w.uncompressed_size,
                    entries: w.tar_entries,
                    created_by: layer_history[i].and_then(|h| image.config.history[h].created_by.clone()),
                })
                .collect(),
        }
    }
}

fn list(v: &Option<Vec<String>>) -> String {
    v.as_ref().map_or_else(|| "-".to_owned(), |v| serde_json::to_string(v).unwrap_or_default())
}

fn duration(ns: Option<i64>) -> Option<String> {
    ns.filter(|n| *n > 0).map(|n| format!("{}s", n / 1_000_000_000))
}

pub fn table(v: &View) -> String {
    let mut out = String::new();
    let dash = |s: Option<&String>| s.cloned().unwrap_or_else(|| "-".into());
    let mut head = vec![vec!["Image".into(), v.image.clone()]];
    head.push(vec!["Digest".into(), dash(v.digest.as_ref().map(ToString::to_string).as_ref())]);
    head.push(vec!["Media type".into(), dash(v.media_type.as_ref())]);
    if let Some(i) = &v.index_digest {
        head.push(vec!["Index".into(), format!("{i} ({})", v.platforms.join(", "))]);
    }
    head.push(vec!["Platform".into(), dash(v.platform.as_ref())]);
    head.push(vec![
        "Size".into(),
        format!("{} compressed, {} uncompressed, {} layers", human(v.size), human(v.uncompressed_size), v.layers.len()),
    ]);
    head.push(vec!["Created".into(), dash(v.created.as_ref())]);
    out.push_str(&columns(&head, &[]));

    let c = &v.config;
    out.push_str("\nConfig\n");
    let mut rows = vec![
        vec!["  User".into(), c.user.clone().unwrap_or_else(|| "- (root)".into())],
        vec!["  Entrypoint".into(), list(&c.entrypoint)],
        vec!["  Cmd".into(), list(&c.cmd)],
        vec!["  WorkingDir".into(), dash(c.workdir.as_ref())],
    ];
    for (i, e) in c.env.iter().enumerate() {
        rows.push(vec![if i == 0 { "  Env".into() } else { String::new() }, e.clone()]);
    }
    if !c.exposed_ports.is_empty() {
        rows.push(vec!["  ExposedPorts".into(), c.exposed_ports.join(", ")]);
    }
    if !c.volumes.is_empty() {
        rows.push(vec!["  Volumes".into(), c.volumes.join(", ")]);
    }
    rows.push(vec!["  StopSignal".into(), dash(c.stop_signal.as_ref())]);
    let hc = c.healthcheck.as_ref().map_or_else(
        || "-".to_owned(),
        |h| {
            let mut s = serde_json::to_string(&h.test).unwrap_or_default();
            for (k, val) in [("interval", duration(h.interval)), ("timeout", duration(h.timeout)), ("start-period", duration(h.start_period))] {
                if let Some(val) = val {
                    s.push_str(&format!(" {k}={val}"));
                }
            }
            if let Some(r) = h.retries.filter(|r| *r > 0) {
                s.push_str(&format!(" retries={r}"));
            }
            s
        },
    );
    rows.push(vec!["  Healthcheck".into(), hc]);
    for (i, (k, val)) in c.labels.iter().enumerate() {
        rows.push(vec![if i == 0 { "  Labels".into() } else { String::new() }, format!("{k}={val}")]);
    }
    out.push_str(&columns(&rows, &[]));

    out.push_str("\nHistory\n");
    let mut rows = vec![vec!["  #".into(), "LAYER".into(), "SIZE".into(), "UNCOMPRESSED".into(), "CREATED BY".into()]];
    for (i, h) in v.history.iter().enumerate() {
        let (layer, size, unc) = match h.layer.and_then(|l| v.layers.get(l)) {
            Some(l) => (
                format!("{} {}", l.index, l.digest.as_ref().or(l.diff_id.as_ref()).map_or("-", |d| d.short())),
                human(l.size),
                human(l.uncompressed_size),
            ),
            None => ("(empty)".into(), String::new(), String::new()),
        };
        rows.push(vec![format!("  {i}"), layer, size, unc, ellipsize(h.created_by.as_deref().unwrap_or(""), 70)]);
    }
    // Layers without a history entry still get a row.
    let covered: Vec<usize> = v.history.iter().filter_map(|h| h.layer).collect();
    for l in v.layers.iter().filter(|l| !covered.contains(&l.index)) {
        rows.push(vec![
            "  -".into(),
            format!("{} {}", l.index, l.digest.as_ref().or(l.diff_id.as_ref()).map_or("-", |d| d.short())),
            human(l.size),
            human(l.uncompressed_size),
            "(no history)".into(),
        ]);
    }
    out.push_str(&columns(&rows, &[2, 3]));

    out.push_str("\nLayers\n");
    let mut rows = vec![vec!["  #".into(), "DIGEST".into(), "DIFF ID".into(), "COMPRESSION".into(), "SIZE".into(), "UNCOMPRESSED".into(), "ENTRIES".into()]];
    for l in &v.layers {
        rows.push(vec![
            format!("  {}", l.index),
            l.digest.as_ref().map_or("-".into(), ToString::to_string),
            l.diff_id.as_ref().map_or("-".into(), |d| d.short().to_owned()),
            serde_json::to_value(l.compression).ok().and_then(|c| c.as_str().map(str::to_owned)).unwrap_or_default(),
            human(l.size),
            human(l.uncompressed_size),
            l.entries.to_string(),
        ]);
    }
    out.push_str(&columns(&rows, &[4, 5, 6]));
    out
}
