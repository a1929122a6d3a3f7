//! The ratio chart: per row of the side-by-side table, a bar for weft/tokio and one for
//! weft/smol, drawn from a line at 1.0 on a log scale, so 0.5 (weft twice as fast) and 2.0
//! (twice as slow) sit equally far from it. Left of the line weft is faster. Hand-written
//! SVG: no plotting crates.

use std::fmt::Write as _;

use super::{Report, Row};
use crate::rt::Which;
use crate::stats::fmt_ns;
use crate::workloads::{FLUME, TOKIO_CURRENT};

const WIDTH: f64 = 980.0;
const LABEL_W: f64 = 250.0;
const PLOT_L: f64 = LABEL_W + 20.0;
const PLOT_R: f64 = WIDTH - 70.0;
const TOP: f64 = 116.0;
const ROW_H: f64 = 40.0;
const BAR_H: f64 = 13.0;
/// The axis spans 1/4x .. 4x (log2 from -2 to 2); longer bars are clipped with an arrow.
const LOG2_SPAN: f64 = 2.0;
const TOKIO: &str = "#3b6fb6";
const SMOL: &str = "#d9822b";
/// An extra pairing's colour: the same in every report.
fn extra_color(name: &str) -> &'static str {
    match name {
        FLUME => "#6a9f3a",
        TOKIO_CURRENT => "#8e5fb5",
        _ => "#777777",
    }
}

/// The extra pairings of `rows` in order of first appearance, each with its colour and a
/// legend label naming the rows it is in.
fn extra_pairings(rows: &[Row]) -> Vec<(&'static str, &'static str, String)> {
    let mut out: Vec<(&'static str, &'static str, String)> = Vec::new();
    for e in rows.iter().filter_map(|row| row.extra.as_ref()) {
        if out.iter().any(|(name, _, _)| *name == e.name) {
            continue;
        }
        let with: Vec<&Row> = rows
            .iter()
            .filter(|row| row.extra.as_ref().is_some_and(|x| x.name == e.name))
            .collect();
        let where_ = if with.iter().all(|row| row.own_prims) {
            "sync rows".to_owned()
        } else {
            with.iter()
                .map(|row| row.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push((
            e.name,
            extra_color(e.name),
            format!("weft / ({}), {where_}", e.name),
        ));
    }
    out
}

/// A row's height: a third bar for a row with an extra pairing (weft + flume, tokio
/// current-thread).
fn row_h(row: &Row) -> f64 {
    if row.extra.is_some() {
        ROW_H + BAR_H + 3.0
    } else {
        ROW_H
    }
}

fn x_of(ratio: f64) -> f64 {
    let t = (ratio.log2() / LOG2_SPAN).clamp(-1.0, 1.0);
    let mid = (PLOT_L + PLOT_R) / 2.0;
    mid + t * (PLOT_R - PLOT_L) / 2.0
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart as an SVG document.
pub fn to_svg(r: &Report) -> String {
    let rows = r.rows();
    let rows_h: f64 = rows.iter().map(row_h).sum();
    let height = TOP + rows_h + 70.0;
    let mid = x_of(1.0);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif" font-size="13">"##
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="white"/>"##);
    // Title and subtitle.
    let _ = writeln!(
        s,
        r##"<text x="20" y="28" font-size="18" font-weight="bold">weft / tokio and weft / smol per workload (below 1: weft faster)</text>"##
    );
    let rtt = r
        .cross_core
        .as_ref()
        .map_or_else(|| "not measured".to_owned(), |c| fmt_ns(c.median));
    let _ = writeln!(
        s,
        r##"<text x="20" y="50" fill="#555">{} · {} mode · {} workers · {} reps · cross-core round trip {} · git {}</text>"##,
        esc(&r.started_utc()),
        if r.config.quick { "quick" } else { "full" },
        r.config.workers,
        r.config.reps,
        esc(&rtt),
        esc(&r.machine.git),
    );
    // Faster / slower halves.
    let plot_top = TOP - 16.0;
    let plot_h = rows_h + 8.0;
    let _ = writeln!(
        s,
        r##"<rect x="{PLOT_L}" y="{plot_top}" width="{}" height="{plot_h}" fill="#eaf5ea"/>"##,
        mid - PLOT_L
    );
    let _ = writeln!(
        s,
        r##"<rect x="{mid}" y="{plot_top}" width="{}" height="{plot_h}" fill="#fbecec"/>"##,
        PLOT_R - mid
    );
    let _ = writeln!(
        s,
        r##"<text x="{}" y="{}" fill="#2e7d32" font-weight="bold">&#8592; weft faster</text>"##,
        PLOT_L + 6.0,
        plot_top - 6.0
    );
    let _ = writeln!(
        s,
        r##"<text x="{}" y="{}" fill="#b23b3b" font-weight="bold" text-anchor="end">weft slower &#8594;</text>"##,
        PLOT_R - 6.0,
        plot_top - 6.0
    );
    // Legend.
    let extras = extra_pairings(&rows);
    let mut legend = vec![
        ("weft / tokio".to_owned(), TOKIO),
        ("weft / smol".to_owned(), SMOL),
    ];
    for (_, color, label) in &extras {
        legend.push((label.clone(), color));
    }
    let mut x = 20.0;
    for (name, color) in legend {
        let _ = writeln!(
            s,
            r##"<rect x="{x}" y="62" width="14" height="12" fill="{color}"/><text x="{}" y="73">{}</text>"##,
            x + 20.0,
            esc(&name)
        );
        // About 7 px a character at 13 px, and a gap.
        x += 20.0 + 7.0 * name.chars().count() as f64 + 24.0;
    }
    // Grid.
    let axis_y = plot_top + plot_h;
    for tick in [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0] {
        let x = x_of(tick);
        let (stroke, w) = if tick == 1.0 {
            ("#222", 2.0)
        } else {
            ("#bbb", 1.0)
        };
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{plot_top}" x2="{x:.1}" y2="{axis_y}" stroke="{stroke}" stroke-width="{w}"/>"##
        );
        let _ = writeln!(
            s,
            r##"<text x="{x:.1}" y="{}" text-anchor="middle" fill="#333">{tick}</text>"##,
            axis_y + 16.0
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="{mid}" y="{}" text-anchor="middle" fill="#555">weft time / other time per repetition: median, whiskers 10th–90th pct (log scale, clipped at 0.25 and 4)</text>"##,
        axis_y + 36.0
    );
    // Rows.
    let mut y = TOP;
    for (i, row) in rows.iter().enumerate() {
        let h = row_h(row);
        if i % 2 == 1 {
            let _ = writeln!(
                s,
                r##"<rect x="10" y="{}" width="{}" height="{h}" fill="#000" fill-opacity="0.035"/>"##,
                y - 4.0,
                WIDTH - 20.0
            );
        }
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" text-anchor="end" font-weight="bold">{}</text>"##,
            LABEL_W,
            y + 14.0,
            esc(&row.name)
        );
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" text-anchor="end" fill="#666" font-size="10">per {}</text>"##,
            LABEL_W,
            y + 27.0,
            esc(row.per)
        );
        // One bar per other pairing: tokio, smol, and the extra one where the row has it.
        let mut bars: Vec<(&str, &str, Option<f64>, Option<&crate::stats::Summary>)> =
            [(Which::Tokio, TOKIO), (Which::Smol, SMOL)]
                .into_iter()
                .map(|(other, color)| {
                    (
                        other.name(),
                        color,
                        row.ratio_to(other),
                        row.ratio_band_to(other),
                    )
                })
                .collect();
        if let Some(e) = &row.extra {
            bars.push((
                e.name,
                extra_color(e.name),
                e.ratio(&row.cells[0]),
                e.paired.as_ref(),
            ));
        }
        for (k, (other, color, ratio, band)) in bars.into_iter().enumerate() {
            let by = y + k as f64 * (BAR_H + 3.0);
            match ratio {
                Some(ratio) => {
                    let x = x_of(ratio);
                    let (x0, w) = if x < mid {
                        (x, mid - x)
                    } else {
                        (mid, x - mid)
                    };
                    let _ = writeln!(
                        s,
                        r##"<rect x="{x0:.1}" y="{by}" width="{:.1}" height="{BAR_H}" fill="{color}"><title>{}: weft / {} = {ratio:.3}</title></rect>"##,
                        w.max(1.0),
                        esc(&row.name),
                        esc(other)
                    );
                    // The 10th–90th percentile of the per-repetition ratios: a whisker
                    // through the bar (one that crosses 1.00 is a tie on this machine).
                    if let Some(band) = band {
                        let cy = by + BAR_H / 2.0;
                        let _ = writeln!(
                            s,
                            r##"<line x1="{:.1}" y1="{cy}" x2="{:.1}" y2="{cy}" stroke="#333" stroke-width="1.5" opacity="0.7"><title>per-repetition ratio, 10th–90th percentile: {:.2}–{:.2}</title></line>"##,
                            x_of(band.p10),
                            x_of(band.p90),
                            band.p10,
                            band.p90
                        );
                    }
                    // The value at the bar's end; inside it (white) when the bar is clipped,
                    // so it never runs into the row labels.
                    let clipped = !(0.25..=4.0).contains(&ratio);
                    let (tx, anchor, fill) = match (x < mid, clipped) {
                        (true, false) => (x - 4.0, "end", "#000"),
                        (true, true) => (x + 4.0, "start", "#fff"),
                        (false, false) => (x + 4.0, "start", "#000"),
                        (false, true) => (x - 4.0, "end", "#fff"),
                    };
                    let _ = writeln!(
                        s,
                        r##"<text x="{tx:.1}" y="{}" text-anchor="{anchor}" font-size="11" fill="{fill}">{ratio:.2}{}</text>"##,
                        by + BAR_H - 2.5,
                        if clipped { " (beyond the axis)" } else { "" }
                    );
                }
                None => {
                    let why = match &row.cells[0] {
                        Err(why) => why,
                        Ok(_) => "n/a",
                    };
                    let _ = writeln!(
                        s,
                        r##"<text x="{}" y="{}" font-size="11" fill="#777">vs {}: {}</text>"##,
                        mid + 6.0,
                        by + BAR_H - 2.0,
                        esc(other),
                        esc(why)
                    );
                }
            }
        }
        y += h;
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_scale_is_symmetric_about_one() {
        let mid = x_of(1.0);
        assert!((mid - x_of(0.5) - (x_of(2.0) - mid)).abs() < 1e-9);
        assert_eq!(x_of(0.01), x_of(0.25));
        assert_eq!(x_of(100.0), PLOT_R);
        assert_eq!(esc("a<b&\"c\""), "a&lt;b&amp;&quot;c&quot;");
    }
}
