//! Drawing of a [`Figure`]: every panel's plots, on any plotters backend — the page's canvas,
//! SVG for exports and `nqm figure`, bitmaps — from the same code.
//!
//! Log axes are drawn by plotting log₁₀ of the values on a linear axis whose tick labels are
//! written back as values. plotters clamps path points into the plotting area (bending lines
//! that leave it), so every path is clipped to the view first ([`super::clip_polyline`]).

use super::{clip_polyline, Theme};
use crate::figure::{Figure, Plot, Series, Style};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The Okabe–Ito palette (colour 7 is drawn in the theme's foreground).
pub(crate) const PALETTE: [RGBColor; 8] = [
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 158, 115),
    RGBColor(240, 228, 66),
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(128, 128, 128),
];

/// Palette colour `i` in `theme`.
pub(crate) fn colour(i: usize, theme: &Theme) -> RGBColor {
    if i % PALETTE.len() == 7 {
        theme.foreground
    } else {
        PALETTE[i % PALETTE.len()]
    }
}

/// A tick label of a log axis: three significant digits (31.6, not 31.6228).
fn log_tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || !(1e-3..1e5).contains(&a) {
        return format!("{v:.1e}");
    }
    let digits = (2 - a.log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A tick label: plain for moderate values, scientific for very small or large ones.
fn tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        format!("{v:.1e}")
    } else {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    }
}

/// Value → plotted coordinate (log₁₀ on a log axis; non-positive values have none).
fn tx(v: f64, log: bool) -> f64 {
    if log {
        if v > 0.0 {
            v.log10()
        } else {
            f64::NAN
        }
    } else {
        v
    }
}

/// The plotted range of one axis: the fixed range if given, else the data's with 5 % padding.
fn range(fixed: Option<(f64, f64)>, values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    if let Some((a, b)) = fixed {
        let (a, b) = (tx(a, log), tx(b, log));
        if a.is_finite() && b.is_finite() && b > a {
            return (a, b);
        }
    }
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.map(|v| tx(v, log)).filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo <= 1e-12 * hi.abs().max(1e-300) {
        let d = if log { 0.5 } else { lo.abs().max(1e-12) * 0.5 };
        return (lo - d, hi + d);
    }
    let pad = 0.05 * (hi - lo);
    (lo - pad, hi + pad)
}

/// Splits `n` plots into a grid that suits a `w` × `h` area: (rows, columns).
fn grid(n: usize, w: u32, h: u32) -> (usize, usize) {
    match n {
        0 | 1 => (1, 1),
        2 if w as f64 >= 1.2 * h as f64 => (1, 2),
        2 => (2, 1),
        3 if w as f64 >= 2.0 * h as f64 => (1, 3),
        _ => {
            let cols = (n as f64).sqrt().ceil() as usize;
            (n.div_ceil(cols), cols)
        }
    }
}

/// Draws `fig` onto `root` at device pixel ratio `scale` in `theme`.
pub fn draw_figure<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    fig: &Figure,
    theme: &Theme,
    scale: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&theme.background)?;
    let (w, h) = root.dim_in_pixel();
    let (rows, cols) = grid(fig.plots.len(), w, h);
    let areas = root.split_evenly((rows, cols));
    for (i, (plot, area)) in fig.plots.iter().zip(&areas).enumerate() {
        let series: Vec<&Series> = fig.series.iter().filter(|s| s.plot == i).collect();
        draw_plot(area, plot, &series, theme, scale)?;
    }
    Ok(())
}

fn draw_plot<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    plot: &Plot,
    series: &[&Series],
    theme: &Theme,
    scale: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let px = |x: f64| (x * scale).round().max(1.0) as u32;
    let font = ("sans-serif", 12.0 * scale)
        .into_font()
        .color(&theme.foreground);
    let xs = series.iter().flat_map(|s| s.x.iter().copied());
    let ys = series
        .iter()
        .filter(|s| s.style != Style::Vline)
        .flat_map(|s| {
            let err = s.y_err.as_deref().unwrap_or(&[]);
            s.y.iter().enumerate().flat_map(move |(j, &y)| {
                let e = err.get(j).copied().filter(|e| e.is_finite()).unwrap_or(0.0);
                [y - e, y + e]
            })
        });
    let (mut x0, mut x1) = range(plot.x_range, xs, plot.x_log);
    let (mut y0, mut y1) = range(plot.y_range, ys, plot.y_log);

    let (left, bottom, margin) = (px(60.0), px(38.0), px(10.0));
    let top = if plot.title.is_empty() { 0 } else { px(20.0) };
    let (w, h) = area.dim_in_pixel();
    if plot.equal {
        // Equal units: widen the range that is short for its side.
        let pw = w.saturating_sub(left + 2 * margin).max(1) as f64;
        let ph = h.saturating_sub(bottom + top + 2 * margin).max(1) as f64;
        let unit = ((x1 - x0) / pw).max((y1 - y0) / ph);
        let (cx, cy) = (0.5 * (x0 + x1), 0.5 * (y0 + y1));
        (x0, x1) = (cx - 0.5 * unit * pw, cx + 0.5 * unit * pw);
        (y0, y1) = (cy - 0.5 * unit * ph, cy + 0.5 * unit * ph);
    }
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(margin)
        .x_label_area_size(bottom)
        .y_label_area_size(left);
    if !plot.title.is_empty() {
        builder.caption(&plot.title, font.clone());
    }
    let mut chart = builder.build_cartesian_2d(x0..x1, y0..y1)?;
    let (xlog, ylog) = (plot.x_log, plot.y_log);
    let fx = move |v: &f64| {
        if xlog {
            log_tick(10f64.powf(*v))
        } else {
            tick(*v)
        }
    };
    let fy = move |v: &f64| {
        if ylog {
            log_tick(10f64.powf(*v))
        } else {
            tick(*v)
        }
    };
    chart
        .configure_mesh()
        .light_line_style(theme.foreground.mix(0.06))
        .bold_line_style(theme.foreground.mix(0.12))
        .axis_style(theme.foreground.stroke_width(px(1.0)))
        .label_style(font.clone())
        .x_desc(plot.x_label.as_str())
        .y_desc(plot.y_label.as_str())
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .draw()?;

    // Clipping box, in plotted coordinates, as a centre and half-sizes.
    let (cx, cy, hx, hy) = (
        0.5 * (x0 + x1),
        0.5 * (y0 + y1),
        0.5 * (x1 - x0),
        0.5 * (y1 - y0),
    );
    let to_plot = |x: f64, y: f64| (tx(x, xlog), tx(y, ylog));
    let clip = |pts: &[(f64, f64)]| -> Vec<Vec<(f64, f64)>> {
        let shifted: Vec<_> = pts.iter().map(|(x, y)| (x - cx, y - cy)).collect();
        clip_polyline(&shifted, hx, hy)
            .into_iter()
            .map(|p| p.into_iter().map(|(x, y)| (x + cx, y + cy)).collect())
            .collect()
    };
    let inside = |x: f64, y: f64| (x - cx).abs() <= hx && (y - cy).abs() <= hy;
    let lw = px(2.0);
    for s in series {
        let c = colour(s.color, theme);
        match s.style {
            Style::Line | Style::Dashed | Style::Dotted => {
                // Runs of finite points, split at NaN.
                let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
                for (&x, &y) in s.x.iter().zip(&s.y) {
                    let (a, b) = to_plot(x, y);
                    if a.is_finite() && b.is_finite() {
                        runs.last_mut().expect("one run").push((a, b));
                    } else if !runs.last().expect("one run").is_empty() {
                        runs.push(Vec::new());
                    }
                }
                let style = c.stroke_width(lw);
                for run in runs.iter().filter(|r| r.len() >= 2) {
                    for piece in clip(run) {
                        match s.style {
                            Style::Line => chart.draw_series(LineSeries::new(piece, style))?,
                            Style::Dashed => chart.draw_series(DashedLineSeries::new(
                                piece,
                                px(10.0),
                                px(6.0),
                                style,
                            ))?,
                            _ => chart.draw_series(DashedLineSeries::new(
                                piece,
                                px(3.0),
                                px(3.0),
                                style,
                            ))?,
                        };
                    }
                }
            }
            Style::Markers => {
                let err = s.y_err.as_deref().unwrap_or(&[]);
                for (j, (&x, &y)) in s.x.iter().zip(&s.y).enumerate() {
                    let (a, b) = to_plot(x, y);
                    if !(a.is_finite() && b.is_finite()) {
                        continue;
                    }
                    let e = err.get(j).copied().filter(|e| e.is_finite() && *e > 0.0);
                    if let Some(e) = e {
                        let lo = tx(y - e, ylog);
                        let lo = if lo.is_finite() { lo } else { y0 };
                        let hi = tx(y + e, ylog);
                        for piece in clip(&[(a, lo), (a, hi)]) {
                            chart.draw_series(std::iter::once(PathElement::new(
                                piece,
                                c.stroke_width(px(1.0)),
                            )))?;
                        }
                    }
                    if inside(a, b) {
                        chart.draw_series(std::iter::once(Circle::new(
                            (a, b),
                            px(3.5),
                            c.filled(),
                        )))?;
                    }
                }
            }
            Style::Dots => {
                let dot = c.mix(0.35).filled();
                let r = px(1.2);
                chart.draw_series(
                    s.finite_points()
                        .map(|(x, y)| to_plot(x, y))
                        .filter(|&(a, b)| inside(a, b))
                        .map(|p| Circle::new(p, r, dot)),
                )?;
            }
            Style::Arrows => {
                let pts: Vec<(f64, f64)> =
                    s.x.iter().zip(&s.y).map(|(&x, &y)| to_plot(x, y)).collect();
                for pair in pts.chunks_exact(2) {
                    let (t, hd) = (pair[0], pair[1]);
                    let ok = [t.0, t.1, hd.0, hd.1].iter().all(|v| v.is_finite())
                        && inside(t.0, t.1)
                        && inside(hd.0, hd.1);
                    if !ok {
                        continue;
                    }
                    let (p0, p1) = (chart.backend_coord(&t), chart.backend_coord(&hd));
                    let (dx, dy) = ((p1.0 - p0.0) as f64, (p1.1 - p0.1) as f64);
                    let len = (dx * dx + dy * dy).sqrt();
                    if len < 1.0 {
                        continue;
                    }
                    let head = (5.0 * scale).min(0.5 * len);
                    let (ux, uy) = (dx / len, dy / len);
                    let wing = |sgn: f64| {
                        (
                            p1.0 - (head * (ux - 0.5 * sgn * uy)).round() as i32,
                            p1.1 - (head * (uy + 0.5 * sgn * ux)).round() as i32,
                        )
                    };
                    let style = c.stroke_width(px(1.0));
                    let base = area.get_base_pixel();
                    let rel = |p: (i32, i32)| (p.0 - base.0, p.1 - base.1);
                    area.draw(&PathElement::new(vec![rel(p0), rel(p1)], style))?;
                    area.draw(&PathElement::new(
                        vec![rel(wing(1.0)), rel(p1), rel(wing(-1.0))],
                        style,
                    ))?;
                }
            }
            Style::Vline => {
                for &x in &s.x {
                    let a = tx(x, xlog);
                    if a.is_finite() && (a - cx).abs() <= hx {
                        chart.draw_series(DashedLineSeries::new(
                            vec![(a, y0), (a, y1)],
                            px(6.0),
                            px(4.0),
                            c.stroke_width(px(1.5)),
                        ))?;
                    }
                }
            }
        }
    }

    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let base = area.get_base_pixel();
    let pad = (6.0 * scale) as i32;
    if let Some(note) = &plot.note {
        let warn = ("sans-serif", 13.0 * scale)
            .into_font()
            .color(&PALETTE[5])
            .pos(Pos::new(HPos::Left, VPos::Bottom));
        area.draw(&Text::new(
            note.as_str(),
            (xr.start - base.0 + pad, yr.end - base.1 - pad),
            warn,
        ))?;
    }

    // Legend, top right of the plotting area.
    let entries: Vec<&&Series> = series.iter().filter(|s| s.legend).collect();
    if entries.is_empty() {
        return Ok(());
    }
    let line_h = (16.0 * scale) as i32;
    let sample = (26.0 * scale) as i32;
    let mut text_w = 0;
    for s in &entries {
        text_w = text_w.max(area.estimate_text_size(&s.name, &font)?.0 as i32);
    }
    let box_w = pad * 3 + sample + text_w;
    let box_h = pad * 2 + line_h * entries.len() as i32;
    let (bx, by) = (xr.end - base.0 - box_w - pad, yr.start - base.1 + pad);
    area.draw(&Rectangle::new(
        [(bx, by), (bx + box_w, by + box_h)],
        theme.background.mix(0.85).filled(),
    ))?;
    area.draw(&Rectangle::new(
        [(bx, by), (bx + box_w, by + box_h)],
        theme.foreground.mix(0.4).stroke_width(px(1.0)),
    ))?;
    for (i, s) in entries.iter().enumerate() {
        let c = colour(s.color, theme);
        let y = by + pad + line_h * i as i32 + line_h / 2;
        let (xa, xb) = (bx + pad, bx + pad + sample);
        let style = c.stroke_width(lw);
        match s.style {
            Style::Line | Style::Arrows => {
                area.draw(&PathElement::new(vec![(xa, y), (xb, y)], style))?
            }
            Style::Dashed => area.draw(&plotters::element::DashedPathElement::new(
                vec![(xa, y), (xb, y)],
                px(10.0),
                px(6.0),
                style,
            ))?,
            Style::Dotted => area.draw(&plotters::element::DashedPathElement::new(
                vec![(xa, y), (xb, y)],
                px(3.0),
                px(3.0),
                style,
            ))?,
            Style::Vline => area.draw(&plotters::element::DashedPathElement::new(
                vec![(xa, y), (xb, y)],
                px(6.0),
                px(4.0),
                c.stroke_width(px(1.5)),
            ))?,
            Style::Markers => {
                area.draw(&PathElement::new(
                    vec![((xa + xb) / 2, y - pad), ((xa + xb) / 2, y + pad)],
                    c.stroke_width(px(1.0)),
                ))?;
                area.draw(&Circle::new(((xa + xb) / 2, y), px(3.5), c.filled()))?
            }
            Style::Dots => area.draw(&Circle::new(((xa + xb) / 2, y), px(2.0), c.filled()))?,
        }
        area.draw(&Text::new(
            s.name.as_str(),
            (xb + pad, y),
            font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}

/// `fig` as an SVG document of `w` × `h` pixels, through plotters' SVG backend, with text
/// widths estimated ([`super::approximate_text_size`]; no font needed).
pub fn svg(fig: &Figure, w: u32, h: u32, theme: &Theme) -> Result<String, String> {
    svg_with(fig, w, h, theme, super::approximate_text_size)
}

/// [`svg`] with text measured by `measure(text, size) → (width, height)` in pixels.
pub fn svg_with(
    fig: &Figure,
    w: u32,
    h: u32,
    theme: &Theme,
    measure: impl Fn(&str, f64) -> (u32, u32),
) -> Result<String, String> {
    let mut out = String::new();
    {
        let backend = super::Measured {
            inner: SVGBackend::with_string(&mut out, (w, h)),
            measure,
        };
        let root = backend.into_drawing_area();
        draw_figure(&root, fig, theme, 1.0).map_err(|e| format!("drawing failed: {e}"))?;
        root.present().map_err(|e| format!("drawing failed: {e}"))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_pad_the_data_and_skip_what_a_log_axis_cannot_show() {
        let (a, b) = range(None, [1.0, 2.0, f64::NAN].into_iter(), false);
        assert!(a < 1.0 && b > 2.0);
        let (a, b) = range(None, [-1.0, 0.0, 10.0, 1000.0].into_iter(), true);
        assert!(a < 1.0 && b > 3.0 && a > 0.8);
        assert_eq!(range(None, std::iter::empty(), false), (0.0, 1.0));
        assert_eq!(
            range(Some((2.0, 4.0)), [9.0].into_iter(), false),
            (2.0, 4.0)
        );
    }

    #[test]
    fn ticks_read_well() {
        assert_eq!(tick(0.5), "0.5");
        assert_eq!(tick(2.0), "2");
        assert_eq!(tick(1e-5), "1.0e-5");
        assert_eq!(log_tick(31.6228), "31.6");
        assert_eq!(log_tick(3.16228), "3.16");
        assert_eq!(log_tick(0.031623), "0.0316");
        assert_eq!(log_tick(100.0), "100");
    }
}
