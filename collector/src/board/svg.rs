//! Small trend charts as inline SVG: no script, no external asset, so the
//! page prints the same anywhere and can be mailed as one file.

use std::fmt::Write as _;

use super::html::escape;

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Series<'a> {
    pub label: &'a str,
    /// CSS colour.
    pub colour: &'a str,
    /// `None`: no data at that point (drawn as a gap).
    pub values: Vec<Option<f64>>,
    pub dashed: bool,
}

const W: f64 = 240.0;
const H: f64 = 62.0;
const LEFT: f64 = 26.0;
const RIGHT: f64 = 6.0;
const TOP: f64 = 6.0;
const BOTTOM: f64 = 14.0;

/// A line chart of `series` over points labelled `first` and `last` (the
/// dates at either end). `percent`: the y axis is 0–100 %; otherwise
/// 0 to the largest value (at least 1), so a flat zero line sits on the
/// axis rather than mid-chart.
pub fn chart(title: &str, series: &[Series<'_>], percent: bool, first: &str, last: &str) -> String {
    let points = series.iter().map(|s| s.values.len()).max().unwrap_or(0);
    let max = if percent {
        100.0
    } else {
        series
            .iter()
            .flat_map(|s| s.values.iter().flatten())
            .fold(1.0_f64, |m, v| m.max(*v))
            .ceil()
    };
    let x = |i: usize| {
        let span = (points.max(2) - 1) as f64;
        LEFT + (W - LEFT - RIGHT) * i as f64 / span
    };
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - (v / max).clamp(0.0, 1.0));
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        escape(title)
    );
    let top_label = if percent {
        "100%".to_owned()
    } else {
        format!("{max}")
    };
    let zero = if percent { "0%" } else { "0" };
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" y1="{t}" x2="{r}" y2="{t}" stroke="#d0d4d9" stroke-width="0.5"/><line x1="{LEFT}" y1="{b}" x2="{r}" y2="{b}" stroke="#6b7280" stroke-width="0.7"/><text x="{lx}" y="{ty}" class="axis" text-anchor="end">{top_label}</text><text x="{lx}" y="{by}" class="axis" text-anchor="end">{zero}</text><text x="{LEFT}" y="{H}" class="axis" dy="-2">{}</text><text x="{r}" y="{H}" class="axis" dy="-2" text-anchor="end">{}</text>"##,
        escape(first),
        escape(last),
        t = y(max),
        b = y(0.0),
        r = W - RIGHT,
        lx = LEFT - 3.0,
        ty = y(max) + 3.0,
        by = y(0.0) + 1.0,
    );
    for s in series {
        let dash = if s.dashed {
            r#" stroke-dasharray="3 2""#
        } else {
            ""
        };
        // A gap in the data breaks the line.
        let mut run: Vec<(f64, f64)> = Vec::new();
        let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
        for (i, v) in s.values.iter().enumerate() {
            match v {
                Some(v) => run.push((x(i), y(*v))),
                None if !run.is_empty() => runs.push(std::mem::take(&mut run)),
                None => {}
            }
        }
        if !run.is_empty() {
            runs.push(run);
        }
        for run in &runs {
            let pts: Vec<String> = run.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
            let _ = write!(
                svg,
                r#"<polyline fill="none" stroke="{}" stroke-width="1.6"{dash} points="{}"><title>{}</title></polyline>"#,
                s.colour,
                pts.join(" "),
                escape(s.label)
            );
        }
        if let Some((a, b)) = runs.last().and_then(|r| r.last()) {
            let _ = write!(
                svg,
                r#"<circle cx="{a:.1}" cy="{b:.1}" r="2" fill="{}"/>"#,
                s.colour
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_self_contained_svg_with_a_gap_for_missing_data() {
        let svg = chart(
            "Coverage <%>",
            &[Series {
                label: "agents",
                colour: "#005eb8",
                values: vec![Some(50.0), None, Some(100.0), Some(90.0)],
                dashed: false,
            }],
            true,
            "1 Sep",
            "22 Nov",
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"aria-label="Coverage &lt;%&gt;""#));
        assert_eq!(svg.matches("<polyline").count(), 2, "{svg}");
        assert!(!svg.contains("script") && !svg.contains("href"));
        // 100 % sits on the top grid line.
        assert!(
            svg.contains(&format!("{:.1},{:.1}", x_at(2, 4), TOP)),
            "{svg}"
        );
    }

    fn x_at(i: usize, n: usize) -> f64 {
        LEFT + (W - LEFT - RIGHT) * i as f64 / (n - 1) as f64
    }

    #[test]
    fn counts_scale_to_their_largest_value_and_never_below_one() {
        let flat = chart(
            "t",
            &[Series {
                label: "n",
                colour: "red",
                values: vec![Some(0.0), Some(0.0)],
                dashed: true,
            }],
            false,
            "a",
            "b",
        );
        assert!(flat.contains(">1</text>") && flat.contains("stroke-dasharray"));
        let bigger = chart(
            "t",
            &[Series {
                label: "n",
                colour: "red",
                values: vec![Some(3.0), Some(7.0)],
                dashed: false,
            }],
            false,
            "a",
            "b",
        );
        assert!(bigger.contains(">7</text>"));
    }
}
