//! One series in its plot, in its style: lines (solid, long or short dashes) split at missing
//! values, markers with error bars, dots, arrows, vertical lines.

use super::colour;
use super::figure::{tx, Chart, Frame, Look};
use crate::figure::{Series, Style};
use plotters::coord::Shift;
use plotters::prelude::*;

type Drawn<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Draws `s` on `chart` (in `area`, for arrows drawn in pixels) within `frame`.
pub(super) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &mut Chart<'_, DB>,
    frame: &Frame,
    s: &Series,
    look: &Look,
) -> Drawn<DB> {
    match s.style {
        Style::Line | Style::Dashed | Style::Dotted => lines(chart, frame, s, look),
        Style::Markers => markers(chart, frame, s, look),
        Style::Dots => circles(chart, frame, s, look),
        Style::Arrows => arrows(area, chart, frame, s, look),
        Style::Vline => vlines(chart, frame, s, look),
    }
}

/// The (on, off) dash lengths of a line style, in device pixels; `None` for a solid line.
pub(super) fn dashes(style: Style, look: &Look) -> Option<(u32, u32)> {
    match style {
        Style::Dashed => Some((look.px(10.0), look.px(6.0))),
        Style::Dotted => Some((look.px(3.0), look.px(3.0))),
        Style::Vline => Some((look.px(6.0), look.px(4.0))),
        _ => None,
    }
}

/// Runs of finite plotted points, split where a value is missing.
fn runs(frame: &Frame, s: &Series) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (&x, &y) in s.x.iter().zip(&s.y) {
        let (a, b) = frame.to_plot(x, y);
        if a.is_finite() && b.is_finite() {
            runs.last_mut().expect("one run").push((a, b));
        } else if !runs.last().expect("one run").is_empty() {
            runs.push(Vec::new());
        }
    }
    runs.retain(|r| r.len() >= 2);
    runs
}

fn lines<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    frame: &Frame,
    s: &Series,
    look: &Look,
) -> Drawn<DB> {
    let style = colour(s.color, &look.theme).stroke_width(look.px(2.0));
    for run in runs(frame, s) {
        for piece in frame.clip(&run) {
            match dashes(s.style, look) {
                None => chart.draw_series(LineSeries::new(piece, style))?,
                Some((on, off)) => {
                    chart.draw_series(DashedLineSeries::new(piece, on, off, style))?
                }
            };
        }
    }
    Ok(())
}

fn markers<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    frame: &Frame,
    s: &Series,
    look: &Look,
) -> Drawn<DB> {
    let c = colour(s.color, &look.theme);
    let err = s.y_err.as_deref().unwrap_or(&[]);
    for (j, (&x, &y)) in s.x.iter().zip(&s.y).enumerate() {
        let (a, b) = frame.to_plot(x, y);
        if !(a.is_finite() && b.is_finite()) {
            continue;
        }
        if let Some(e) = err.get(j).copied().filter(|e| e.is_finite() && *e > 0.0) {
            let lo = tx(y - e, frame.log.1);
            let lo = if lo.is_finite() { lo } else { frame.y.0 };
            let hi = tx(y + e, frame.log.1);
            for piece in frame.clip(&[(a, lo), (a, hi)]) {
                let bar = PathElement::new(piece, c.stroke_width(look.px(1.0)));
                chart.draw_series(std::iter::once(bar))?;
            }
        }
        if frame.inside(a, b) {
            let dot = Circle::new((a, b), look.px(3.5), c.filled());
            chart.draw_series(std::iter::once(dot))?;
        }
    }
    Ok(())
}

fn circles<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    frame: &Frame,
    s: &Series,
    look: &Look,
) -> Drawn<DB> {
    let dot = colour(s.color, &look.theme).mix(0.35).filled();
    let r = look.px(1.2);
    chart.draw_series(
        s.finite_points()
            .map(|(x, y)| frame.to_plot(x, y))
            .filter(|&(a, b)| frame.inside(a, b))
            .map(|p| Circle::new(p, r, dot)),
    )?;
    Ok(())
}

/// Arrows: points 2i → 2i+1 are the tail and head of arrow i, with a head in pixels.
fn arrows<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &mut Chart<'_, DB>,
    frame: &Frame,
    s: &Series,
    look: &Look,
) -> Drawn<DB> {
    let style = colour(s.color, &look.theme).stroke_width(look.px(1.0));
    let base = area.get_base_pixel();
    let rel = |p: (i32, i32)| (p.0 - base.0, p.1 - base.1);
    let pts: Vec<(f64, f64)> =
        s.x.iter()
            .zip(&s.y)
            .map(|(&x, &y)| frame.to_plot(x, y))
            .collect();
    for pair in pts.chunks_exact(2) {
        let (t, hd) = (pair[0], pair[1]);
        let finite = [t.0, t.1, hd.0, hd.1].iter().all(|v| v.is_finite());
        if !(finite && frame.inside(t.0, t.1) && frame.inside(hd.0, hd.1)) {
            continue;
        }
        let (p0, p1) = (chart.backend_coord(&t), chart.backend_coord(&hd));
        let (dx, dy) = ((p1.0 - p0.0) as f64, (p1.1 - p0.1) as f64);
        let len = (dx * dx + dy * dy).sqrt();
        if len < 1.0 {
            continue;
        }
        let head = (5.0 * look.scale).min(0.5 * len);
        let (ux, uy) = (dx / len, dy / len);
        let wing = |sgn: f64| {
            (
                p1.0 - (head * (ux - 0.5 * sgn * uy)).round() as i32,
                p1.1 - (head * (uy + 0.5 * sgn * ux)).round() as i32,
            )
        };
        area.draw(&PathElement::new(vec![rel(p0), rel(p1)], style))?;
        let tip = vec![rel(wing(1.0)), rel(p1), rel(wing(-1.0))];
        area.draw(&PathElement::new(tip, style))?;
    }
    Ok(())
}

fn vlines<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    frame: &Frame,
    s: &Series,
    look: &Look,
) -> Drawn<DB> {
    let style = colour(s.color, &look.theme).stroke_width(look.px(1.5));
    let (on, off) = dashes(Style::Vline, look).expect("a vertical line is dashed");
    for &x in &s.x {
        let a = tx(x, frame.log.0);
        if a.is_finite() && frame.inside(a, frame.y.0) {
            let line = vec![(a, frame.y.0), (a, frame.y.1)];
            chart.draw_series(DashedLineSeries::new(line, on, off, style))?;
        }
    }
    Ok(())
}
