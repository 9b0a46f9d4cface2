//! `temper layers` table.

use temper_layer::{Amount, LayerReport, Threshold, ThresholdResult};

use super::{columns, ellipsize, escape};
use crate::size::human;

pub fn table(r: &LayerReport, results: &[ThresholdResult], top: usize) -> String {
    let mut out = String::new();
    out.push_str(&format!("Image  {}\n", escape(&r.image)));
    if let Some(d) = &r.digest {
        out.push_str(&format!("Digest {}\n", escape(&d.to_string())));
    }
    out.push('\n');
    let mut rows = vec![vec![
        "#".into(),
        "SIZE".into(),
        "UNCOMPRESSED".into(),
        "ADDED".into(),
        "MODIFIED".into(),
        "REMOVED".into(),
        "CREATED BY".into(),
    ]];
    for l in &r.layers {
        rows.push(vec![
            l.index.to_string(),
            human(l.size),
            human(l.uncompressed_size),
            human(l.added_bytes),
            human(l.modified_bytes),
            human(l.removed_bytes),
            ellipsize(l.created_by.as_deref().unwrap_or("-"), 60),
        ]);
    }
    out.push_str(&columns(&rows, &[1, 2, 3, 4, 5]));

    out.push_str(&format!(
        "\nImage size      {} compressed, {} uncompressed, {} in {} visible files\n",
        human(r.size),
        human(r.uncompressed_size),
        human(r.visible_bytes),
        r.visible_files
    ));
    out.push_str(&format!("Efficiency      {:.4} %\n", r.efficiency * 100.0));
    out.push_str(&format!(
        "Wasted bytes    {} ({} bytes, {:.2} % of the {} above the base layer)\n",
        human(r.wasted_bytes),
        r.wasted_bytes,
        r.wasted_percent,
        human(r.user_bytes)
    ));
    out.push_str(&format!("Shadowed bytes  {} ({} bytes in lower layers hidden by later ones)\n", human(r.shadowed_bytes), r.shadowed_bytes));
    if !r.wasted_files.is_empty() {
        out.push_str(&format!("\nTop wasted files ({} of {})\n", top.min(r.wasted_files.len()), r.wasted_files.len()));
        let mut rows = vec![vec!["COUNT".into(), "BYTES".into(), "LAYERS".into(), "PATH".into()]];
        for w in r.wasted_files.iter().take(top) {
            rows.push(vec![
                w.layers.len().to_string(),
                human(w.bytes),
                w.layers.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
                format!("/{}", w.path),
            ]);
        }
        out.push_str(&columns(&rows, &[0, 1]));
    }
    if !results.is_empty() {
        out.push_str("\nThresholds\n");
        for t in results {
            match &t.reason {
                None => out.push_str(&format!("  PASS  {}\n", passed(r, &t.threshold))),
                Some(reason) => out.push_str(&format!("  FAIL  {}\n", escape(reason))),
            }
        }
    }
    out
}

/// A met threshold: the measured value against its bound, worded like the
/// failure reasons.
fn passed(r: &LayerReport, t: &Threshold) -> String {
    match *t {
        Threshold::MinEfficiency(min) => format!("efficiency {:.2}% meets the minimum {:.2}%", r.efficiency * 100.0, min * 100.0),
        Threshold::MaxWasted(Amount::Bytes(max)) => format!("wasted bytes {} within the maximum {max}", r.wasted_bytes),
        Threshold::MaxWasted(Amount::Percent(max)) => format!("wasted bytes are {:.2}% of the bytes above the base layer, within the maximum {max}%", r.wasted_percent),
        Threshold::MaxSize(max) => format!("image size {} bytes (uncompressed) within the maximum {max}", r.uncompressed_size),
    }
}
