//! Chart geometry, computed here so the page draws its SVG without any
//! script: bar charts (one bar per category), a stacked bar (one
//! segment per layer, wasted bytes on a second row at the same scale) and
//! stacked columns (the dashboard's findings by severity day by day).
//! Coordinates are whole numbers in the SVG's own view box, so the same
//! counts always give the same bytes.

use serde::Serialize;

/// The view box's width.
pub const WIDTH: u64 = 480;
/// A bar chart's plot height (labels go below it).
const PLOT: u64 = 140;
/// Room under the plot for the category labels.
const LABELS: u64 = 36;
/// Room above the tallest bar for its count.
const TOP: u64 = 16;
/// A stacked row's height.
const ROW: u64 = 28;
/// Half the width of a column label (a date, `2026-12-07`, at 11 px).
const TICK_ROOM: u64 = 32;

/// One chart.
#[derive(Clone, Debug, Serialize)]
pub struct Chart {
    /// Its id in the page (`chart-ID`).
    pub id: &'static str,
    /// Its caption.
    pub title: String,
    /// `bars` or `stack`.
    pub kind: &'static str,
    /// The view box's height.
    pub height: u64,
    /// What the chart counts, summed.
    pub total: u64,
    /// Each bar or segment.
    pub bars: Vec<Bar>,
    /// Said when there is nothing to draw.
    pub empty: bool,
    /// Labels under the columns of a `columns` chart.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ticks: Vec<Tick>,
    /// The legend of a `columns` chart: the last column's segments (the
    /// other charts list every bar).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub legend: Vec<Bar>,
}

/// A label under a column.
#[derive(Clone, Debug, Serialize)]
pub struct Tick {
    /// Its centre.
    pub x: u64,
    /// Its text.
    pub text: String,
}

/// One bar or segment.
#[derive(Clone, Debug, Serialize)]
pub struct Bar {
    /// Its key (`critical`, `deb`, `layer-3`), for classes and `data-key`.
    pub key: String,
    /// Its label.
    pub label: String,
    /// The figure it stands for.
    pub value: u64,
    /// The figure as shown (`12`, `3.4 MB`).
    pub shown: String,
    /// The CSS class that colours it (the label says the same in words).
    pub class: String,
    /// Left edge.
    pub x: u64,
    /// Top edge.
    pub y: u64,
    /// Width.
    pub w: u64,
    /// Height.
    pub h: u64,
}

/// A category of a bar chart: key, label, count, class.
pub struct Category {
    /// Key.
    pub key: String,
    /// Label.
    pub label: String,
    /// Count.
    pub value: u64,
    /// Class.
    pub class: String,
}

/// Vertical bars, one per category, heights proportional to the counts.
pub fn bars(id: &'static str, title: impl Into<String>, categories: Vec<Category>) -> Chart {
    let max = categories.iter().map(|c| c.value).max().unwrap_or(0).max(1);
    let n = categories.len().max(1) as u64;
    let slot = WIDTH / n;
    let w = (slot * 2 / 3).max(2);
    let bars = categories
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let h = c.value * PLOT / max;
            Bar { shown: c.value.to_string(), key: c.key, label: c.label, value: c.value, class: c.class, x: i as u64 * slot + (slot - w) / 2, y: TOP + PLOT - h, w, h }
        })
        .collect::<Vec<_>>();
    let total = bars.iter().map(|b| b.value).sum();
    Chart { id, title: title.into(), kind: "bars", height: TOP + PLOT + LABELS, total, empty: total == 0, bars, ticks: Vec::new(), legend: Vec::new() }
}

/// One horizontal bar of `segments` (label, bytes), followed by a second
/// row of `marked` bytes on the same scale (dive's wasted space).
pub fn stack(id: &'static str, title: impl Into<String>, segments: Vec<(String, u64)>, marked: (String, u64)) -> Chart {
    let total: u64 = segments.iter().map(|s| s.1).sum();
    let scale = total.max(marked.1).max(1);
    let width = |bytes: u64| (u128::from(bytes) * u128::from(WIDTH) / u128::from(scale)) as u64;
    let mut x = 0;
    let mut bars = Vec::with_capacity(segments.len() + 1);
    for (i, (label, bytes)) in segments.into_iter().enumerate() {
        let w = width(bytes);
        bars.push(Bar { key: format!("layer-{i}"), shown: human_bytes(bytes), label, value: bytes, class: format!("seg{}", i % 6), x, y: 0, w, h: ROW });
        x += w;
    }
    bars.push(Bar { key: "wasted".to_owned(), shown: human_bytes(marked.1), label: marked.0, value: marked.1, class: "wasted".to_owned(), x: 0, y: ROW + 8, w: width(marked.1), h: ROW });
    Chart { id, title: title.into(), kind: "stack", height: 2 * ROW + 8, total, empty: total == 0, bars, ticks: Vec::new(), legend: Vec::new() }
}

/// One column per label (a day, a base), each a stack of its categories
/// from the bottom up, all on the scale of the tallest column. A segment's
/// key is `LABEL/CATEGORY`; its count is in `value`.
pub fn columns(id: &'static str, title: impl Into<String>, columns: Vec<(String, Vec<Category>)>) -> Chart {
    let sums: Vec<u64> = columns.iter().map(|(_, cats)| cats.iter().map(|c| c.value).sum()).collect();
    let max = sums.iter().copied().max().unwrap_or(0).max(1);
    let n = columns.len();
    let slot = WIDTH / n.max(1) as u64;
    let w = (slot * 2 / 3).max(2);
    // Five labels at most, the last column's always: more would overlap.
    let step = n.div_ceil(5).max(1);
    let mut bars = Vec::new();
    let mut ticks = Vec::with_capacity(n);
    let mut legend = Vec::new();
    for (i, (label, cats)) in columns.into_iter().enumerate() {
        let x = i as u64 * slot + (slot - w) / 2;
        let mut base = TOP + PLOT;
        for c in cats {
            let h = c.value * PLOT / max;
            base -= h;
            let bar = Bar { key: format!("{label}/{}", c.key), label: format!("{label} {}", c.label), shown: c.value.to_string(), value: c.value, class: c.class, x, y: base, w, h };
            if i + 1 == n {
                legend.push(Bar { label: format!("{} ({label})", c.label), ..bar.clone() });
            }
            bars.push(bar);
        }
        if (n - 1 - i).is_multiple_of(step) {
            // Centred under its column, but kept whole inside the view box.
            ticks.push(Tick { x: (x + w / 2).clamp(TICK_ROOM, WIDTH - TICK_ROOM), text: label });
        }
    }
    let total = sums.iter().sum();
    Chart { id, title: title.into(), kind: "columns", height: TOP + PLOT + LABELS, total, empty: total == 0, bars, ticks, legend }
}

/// Bytes for people, in SI units as `temper layers` shows them.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1000.0;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(key: &str, value: u64) -> Category {
        Category { key: key.to_owned(), label: key.to_owned(), value, class: key.to_owned() }
    }

    #[test]
    fn bars_scale_to_the_largest_and_keep_counts() {
        let c = bars("t", "T", vec![cat("a", 4), cat("b", 2), cat("c", 0)]);
        assert_eq!(c.total, 6);
        assert_eq!(c.bars.iter().map(|b| b.h).collect::<Vec<_>>(), vec![PLOT, PLOT / 2, 0]);
        assert_eq!(c.bars[1].y + c.bars[1].h, TOP + PLOT, "bars stand on one baseline");
        assert!(c.bars.windows(2).all(|w| w[0].x + w[0].w <= w[1].x), "bars do not overlap");
    }

    #[test]
    fn stack_segments_fill_the_width_and_mark_waste_on_the_same_scale() {
        let c = stack("s", "S", vec![("base".into(), 300), ("app".into(), 100)], ("wasted".into(), 100));
        assert_eq!((c.bars[0].x, c.bars[0].w, c.bars[1].x, c.bars[1].w), (0, 360, 360, 120));
        assert_eq!((c.bars[2].key.as_str(), c.bars[2].w), ("wasted", 120));
        assert_eq!(c.total, 400);
    }

    #[test]
    fn columns_stack_from_one_baseline_on_one_scale() {
        let c = columns("h", "H", vec![("d1".into(), vec![cat("a", 1), cat("b", 1)]), ("d2".into(), vec![cat("a", 4), cat("b", 0)])]);
        assert_eq!(c.total, 6);
        assert_eq!(c.bars.iter().map(|b| (b.key.as_str(), b.h)).collect::<Vec<_>>(), [("d1/a", PLOT / 4), ("d1/b", PLOT / 4), ("d2/a", PLOT), ("d2/b", 0)]);
        assert_eq!(c.bars[0].y + c.bars[0].h, TOP + PLOT, "the first segment stands on the baseline");
        assert_eq!(c.bars[1].y + c.bars[1].h, c.bars[0].y, "the second sits on the first");
        assert_eq!(c.ticks.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(), ["d1", "d2"]);
        assert_eq!(c.legend.iter().map(|b| (b.label.as_str(), b.value)).collect::<Vec<_>>(), [("a (d2)", 4), ("b (d2)", 0)], "the legend is the last column's");
    }

    #[test]
    fn human_bytes_uses_si_units() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500), "1.5 kB");
        assert_eq!(human_bytes(74_800_000), "74.8 MB");
    }
}
