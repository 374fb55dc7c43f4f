//! Chart geometry: where bars, ticks and labels go, as numbers. The
//! template only writes them into an `<svg>` (no JavaScript, no inline
//! style). Bars may be stacked; every series gets its own fill pattern so
//! the chart reads without colour, and the values are written on it.

/// The drawing's size in SVG units (it scales to the page's width).
pub const HEIGHT: f64 = 240.0;
const TOP: f64 = 22.0;
const BOTTOM: f64 = 44.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 10.0;
const SLOT_MIN: f64 = 44.0;
const WIDTH_MIN: f64 = 320.0;
/// A segment shorter than this has no room for its value (the total above
/// the bar and the table under the chart still give it).
const LABEL_MIN_HEIGHT: f64 = 15.0;

/// One stacked part of the bars (e.g. "renouvelés"), drawn with the CSS
/// class `fill-<class>` and the pattern of its index.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub class: &'static str,
    pub label: String,
}

/// What the caller gives for one bar.
#[derive(Debug, Clone, PartialEq)]
pub struct BarInput {
    pub label: String,
    /// A second line under the label (e.g. the year), often empty.
    pub sublabel: String,
    /// One value per series (negative values count as zero).
    pub values: Vec<f64>,
    /// Written above the bar (the total, a rate, or `—`).
    pub top_label: String,
    /// Drawn lighter and hatched (e.g. a provisional month).
    pub muted: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub series: usize,
    pub class: &'static str,
    pub y: f64,
    pub height: f64,
    /// The value written inside, when the segment is tall enough.
    pub label: Option<String>,
    pub label_y: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub width: f64,
    pub center: f64,
    pub label: String,
    pub sublabel: String,
    pub top_label: String,
    pub top_label_y: f64,
    pub muted: bool,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub y: f64,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Unique within the page (pattern ids, title and description ids).
    pub id: String,
    pub title: String,
    pub description: String,
    pub width: f64,
    pub height: f64,
    pub plot_left: f64,
    pub plot_right: f64,
    pub plot_top: f64,
    pub baseline: f64,
    pub label_y: f64,
    pub sublabel_y: f64,
    pub ticks: Vec<Tick>,
    pub bars: Vec<Bar>,
    pub series: Vec<Series>,
    /// The stacks are more than one series (show a legend).
    pub stacked: bool,
    /// What a hatched bar means, in the legend.
    pub muted_label: String,
}

/// A round top for the axis and its step: 1, 2 or 5 times a power of ten,
/// about four steps, never below one unit. `max` ≤ 0 gives (1, 1).
pub fn nice_scale(max: f64) -> (f64, f64) {
    if !max.is_finite() || max <= 0.0 {
        return (1.0, 1.0);
    }
    let raw = max / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let norm = raw / magnitude;
    let step = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    } * magnitude;
    let step = step.max(1.0);
    ((max / step).ceil() * step, step)
}

/// `1 234 567` (a space between thousands, as in French).
pub fn count_label(n: f64) -> String {
    let n = n.round() as i128;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// How the value axis is scaled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Axis {
    /// Counts: a round top above the tallest stack.
    Counts,
    /// Percentages: 0 to 100.
    Percent,
}

/// Lays out stacked bars, one per input, left to right.
pub fn bar_chart(
    id: &str,
    title: &str,
    description: &str,
    series: Vec<Series>,
    bars: Vec<BarInput>,
    axis: Axis,
) -> BarChart {
    let n = bars.len().max(1) as f64;
    let width = (LEFT + RIGHT + SLOT_MIN * n).max(WIDTH_MIN);
    let slot = (width - LEFT - RIGHT) / n;
    let bar_width = (slot * 0.64).min(56.0);
    let baseline = HEIGHT - BOTTOM;
    let plot_height = baseline - TOP;
    let tallest = bars
        .iter()
        .map(|b| b.values.iter().map(|v| v.max(0.0)).sum::<f64>())
        .fold(0.0, f64::max);
    let (top, step) = match axis {
        Axis::Counts => nice_scale(tallest),
        Axis::Percent => (100.0, 25.0),
    };
    let scale = |v: f64| (v.max(0.0) / top).min(1.0) * plot_height;
    let steps = (top / step).round() as i64;
    let ticks = (0..=steps)
        .map(|i| {
            let value = step * i as f64;
            Tick {
                y: round1(baseline - scale(value)),
                label: match axis {
                    Axis::Counts => count_label(value),
                    Axis::Percent => format!("{} %", count_label(value)),
                },
            }
        })
        .collect();
    let laid = bars
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let center = LEFT + slot * (i as f64 + 0.5);
            let mut y = baseline;
            let segments = b
                .values
                .iter()
                .enumerate()
                .filter(|(_, v)| **v > 0.0)
                .map(|(s, v)| {
                    let h = scale(*v);
                    y -= h;
                    Segment {
                        series: s,
                        class: series.get(s).map_or("none", |x| x.class),
                        y: round1(y),
                        height: round1(h),
                        label: (h >= LABEL_MIN_HEIGHT && series.len() > 1).then(|| count_label(*v)),
                        label_y: round1(y + h / 2.0 + 4.0),
                    }
                })
                .collect();
            Bar {
                x: round1(center - bar_width / 2.0),
                width: round1(bar_width),
                center: round1(center),
                label: b.label,
                sublabel: b.sublabel,
                top_label: b.top_label,
                top_label_y: round1((y - 5.0).max(11.0)),
                muted: b.muted,
                segments,
            }
        })
        .collect();
    BarChart {
        id: id.to_string(),
        title: title.to_string(),
        description: description.to_string(),
        width: round1(width),
        height: HEIGHT,
        plot_left: LEFT,
        plot_right: round1(width - RIGHT),
        plot_top: TOP,
        baseline,
        label_y: baseline + 16.0,
        sublabel_y: baseline + 31.0,
        ticks,
        bars: laid,
        stacked: series.len() > 1,
        muted_label: "Provisoire (des membres en attente, ou mois en cours)".into(),
        series,
    }
}

impl BarChart {
    /// Some bars are drawn muted (the legend then explains them).
    pub fn has_muted(&self) -> bool {
        self.bars.iter().any(|b| b.muted)
    }

    /// Where the value axis labels end (left of the plot).
    pub fn tick_x(&self) -> f64 {
        self.plot_left - 6.0
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_series() -> Vec<Series> {
        vec![Series {
            class: "brand",
            label: "Échus".into(),
        }]
    }

    fn bar(label: &str, values: &[f64]) -> BarInput {
        BarInput {
            label: label.into(),
            sublabel: String::new(),
            values: values.to_vec(),
            top_label: count_label(values.iter().sum()),
            muted: false,
        }
    }

    #[test]
    fn scales_are_round_and_cover_the_maximum() {
        assert_eq!(nice_scale(0.0), (1.0, 1.0));
        assert_eq!(nice_scale(-3.0), (1.0, 1.0));
        assert_eq!(nice_scale(f64::NAN), (1.0, 1.0));
        assert_eq!(nice_scale(1.0), (1.0, 1.0));
        assert_eq!(nice_scale(3.0), (3.0, 1.0));
        assert_eq!(nice_scale(7.0), (8.0, 2.0));
        assert_eq!(nice_scale(87.0), (100.0, 50.0));
        let (top, step) = nice_scale(87.0);
        assert!(top >= 87.0 && top / step <= 5.0);
        let (top, step) = nice_scale(1e12);
        assert!(top >= 1e12 && (top / step) <= 5.0 && top.is_finite());
    }

    #[test]
    fn zero_bars_give_an_empty_plot_with_an_axis() {
        let c = bar_chart("c", "t", "d", one_series(), vec![], Axis::Counts);
        assert!(c.bars.is_empty());
        assert_eq!(c.ticks.len(), 2);
        assert_eq!(c.ticks[0].y, c.baseline);
        assert!(c.width >= WIDTH_MIN);
    }

    #[test]
    fn one_bar_fills_the_plot_height_and_stays_inside() {
        let c = bar_chart(
            "c",
            "t",
            "d",
            one_series(),
            vec![bar("mars 26", &[4.0])],
            Axis::Counts,
        );
        let b = &c.bars[0];
        assert_eq!(b.segments.len(), 1);
        assert_eq!(b.segments[0].y, c.plot_top);
        assert_eq!(b.segments[0].y + b.segments[0].height, c.baseline);
        assert!(b.x >= c.plot_left && b.x + b.width <= c.plot_right);
        assert_eq!(b.top_label, "4");
    }

    #[test]
    fn a_huge_value_keeps_every_bar_within_the_plot() {
        let c = bar_chart(
            "c",
            "t",
            "d",
            one_series(),
            vec![bar("a", &[1.0]), bar("b", &[5_000_000_000.0])],
            Axis::Counts,
        );
        for b in &c.bars {
            for s in &b.segments {
                assert!(s.y >= c.plot_top - 0.05 && s.y + s.height <= c.baseline + 0.05);
            }
        }
        assert_eq!(c.bars[1].top_label, "5 000 000 000");
        assert_eq!(c.ticks.last().unwrap().label, "6 000 000 000");
        assert_eq!(c.ticks.last().unwrap().y, c.plot_top);
    }

    #[test]
    fn stacks_pile_up_and_small_segments_have_no_inner_label() {
        let series = vec![
            Series {
                class: "renewed",
                label: "Renouvelés".into(),
            },
            Series {
                class: "lost",
                label: "Perdus".into(),
            },
        ];
        let c = bar_chart(
            "c",
            "t",
            "d",
            series,
            vec![bar("a", &[90.0, 1.0])],
            Axis::Counts,
        );
        let s = &c.bars[0].segments;
        assert_eq!(s.len(), 2);
        assert!((s[0].y - (s[1].y + s[1].height)).abs() < 0.2, "stacked");
        assert_eq!(s[0].label.as_deref(), Some("90"));
        assert_eq!(s[1].label, None, "too thin for its value");
        assert_eq!(s[1].class, "lost");
        assert!(c.stacked);
    }

    #[test]
    fn percent_axis_runs_to_one_hundred() {
        let c = bar_chart(
            "c",
            "t",
            "d",
            one_series(),
            vec![bar("a", &[50.0])],
            Axis::Percent,
        );
        assert_eq!(c.ticks.last().unwrap().label, "100 %");
        assert_eq!(c.ticks.len(), 5);
        let s = &c.bars[0].segments[0];
        assert!((s.height - (c.baseline - c.plot_top) / 2.0).abs() < 0.1);
    }

    #[test]
    fn thousands_are_separated_by_a_space() {
        assert_eq!(count_label(0.0), "0");
        assert_eq!(count_label(999.0), "999");
        assert_eq!(count_label(1000.0), "1 000");
        assert_eq!(count_label(-1234567.0), "-1 234 567");
    }
}
