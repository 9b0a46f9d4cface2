//! `wasted-bytes`: little of the image is wasted.
//!
//! Wasted bytes are counted as `temper layers` (and dive) count them:
//! every copy of a path that appears in more than one layer, the visible
//! one included, against `Settings::max_wasted_bytes`; and as a share of
//! the bytes the layers above the base add, against
//! `Settings::max_wasted_percent`. Exceeding either fails. A file deleted
//! in a later layer still ships (and may be a secret or a vulnerable
//! binary someone can extract), but mostly waste costs pull time: **low**
//! in every profile.

use super::bytes;
use crate::{Check, Context, Outcome, Profile, Severity};

/// See the module documentation.
pub struct WastedBytes;

/// How many of the most wasteful paths are listed.
const SHOWN: usize = 10;

impl Check for WastedBytes {
    fn id(&self) -> &'static str {
        "wasted-bytes"
    }
    fn title(&self) -> &'static str {
        "Wasted bytes within the limits"
    }
    fn severity(&self, _: Profile) -> Severity {
        Severity::Low
    }
    fn remediation(&self) -> &'static str {
        "Delete temporary files in the same RUN step that creates them, do not rewrite large files in later layers, and use multi-stage builds; `temper layers` lists the wasted paths."
    }
    fn run(&self, cx: &Context<'_>) -> Outcome {
        let wasted = cx.efficiency.wasted_bytes;
        // The same base as `temper layers`: regular-file bytes of every layer but the first.
        let user: u64 = cx.layers.iter().skip(1).flat_map(|l| &l.entries).map(|e| e.stored_bytes()).sum();
        let percent = if user == 0 { 0.0 } else { wasted as f64 * 100.0 / user as f64 };
        let (max, max_percent) = (cx.settings.max_wasted_bytes, cx.settings.max_wasted_percent);
        let summary = format!("{} wasted, {percent:.1}% of the {} above the base layer", bytes(wasted), bytes(user));
        let mut over = Vec::new();
        if wasted > max {
            over.push(format!("over the maximum {}", bytes(max)));
        }
        if percent > max_percent {
            over.push(format!("over the maximum {max_percent}%"));
        }
        if over.is_empty() {
            return Outcome::pass(summary);
        }
        let files = &cx.efficiency.wasted_files;
        let mut details: Vec<String> = files
            .iter()
            .take(SHOWN)
            .map(|w| {
                let layers: Vec<String> = w.layers.iter().map(usize::to_string).collect();
                format!("/{}: {} in layers {}", w.path, bytes(w.bytes), layers.join(", "))
            })
            .collect();
        if files.len() > SHOWN {
            details.push(format!("and {} more paths", files.len() - SHOWN));
        }
        Outcome::fail(format!("{summary}: {}", over.join(" and ")), details)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{TestImage, file, whiteout};
    use super::*;
    use crate::Status;

    fn image() -> TestImage {
        TestImage::new()
            .layer(vec![file("base", 0o644, 10_000)])
            .layer(vec![file("app/data.bin", 0o644, 3_000), file("app/tmp.tar", 0o644, 1_000)])
            .layer(vec![file("app/data.bin", 0o644, 3_000), whiteout("app/tmp.tar"), file("app/main", 0o755, 6_000)])
    }

    #[test]
    fn within_both_limits_passes() {
        let mut image = image();
        (image.settings.max_wasted_bytes, image.settings.max_wasted_percent) = (7_000, 55.0);
        let o = image.run(&WastedBytes);
        // data.bin twice (6000), and tmp.tar's deleted copy (1000; its whiteout costs nothing).
        let summary = "6.8 KiB (7000 bytes) wasted, 53.8% of the 12.7 KiB (13000 bytes) above the base layer";
        assert_eq!((o.status, o.message.as_str()), (Status::Pass, summary));
    }

    #[test]
    fn over_either_limit_fails_with_the_paths() {
        let mut image = image();
        (image.settings.max_wasted_bytes, image.settings.max_wasted_percent) = (6_999, 55.0);
        let o = image.run(&WastedBytes);
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.ends_with("above the base layer: over the maximum 6.8 KiB (6999 bytes)"), "{}", o.message);
        assert_eq!(o.details, ["/app/data.bin: 5.9 KiB (6000 bytes) in layers 1, 2", "/app/tmp.tar: 1000 B in layers 1, 2"]);
        (image.settings.max_wasted_bytes, image.settings.max_wasted_percent) = (7_000, 53.0);
        let o = image.run(&WastedBytes);
        assert!(o.message.ends_with("above the base layer: over the maximum 53%"), "{}", o.message);
    }
}
