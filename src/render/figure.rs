//! Drawing of a [`Figure`]: every panel's plots, on any plotters backend — the page's canvas,
//! SVG for exports and `nqm figure`, bitmaps — from the same code.
//!
//! Log axes are drawn by plotting log₁₀ of the values on a linear axis whose tick labels are
//! written back as values. plotters clamps path points into the plotting area (bending lines
//! that leave it), so every path is clipped to the view first ([`super::clip_polyline`]).

use super::{clip_polyline, dots, legend, series, Theme};
use crate::figure::{Figure, Plot, Series, Style};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// How a figure is drawn: its colours, the device pixel ratio (line widths and fonts grow with
/// it), and whether clouds of dots are composed into one bitmap (the canvas and PNG: one call
/// for tens of thousands of walkers, every animation frame) or drawn as circles (SVG, which
/// stays vector).
#[derive(Clone, Copy, Debug)]
pub struct Look {
    /// Colours.
    pub theme: Theme,
    /// Device pixel ratio.
    pub scale: f64,
    /// Dots as one bitmap.
    pub bitmap_dots: bool,
}

impl Look {
    /// `x` CSS pixels in device pixels, at least one.
    pub(super) fn px(&self, x: f64) -> u32 {
        (x * self.scale).round().max(1.0) as u32
    }

    /// The label font.
    pub(super) fn font(&self) -> TextStyle<'static> {
        ("sans-serif", 12.0 * self.scale)
            .into_font()
            .color(&self.theme.foreground)
    }
}

/// The chart of one plot: plotted coordinates (log₁₀ on a log axis) on both axes.
pub(super) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

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
pub(super) fn tx(v: f64, log: bool) -> f64 {
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

/// The view of one plot in plotted coordinates, and how values map into it.
pub(super) struct Frame {
    /// Plotted x range.
    pub x: (f64, f64),
    /// Plotted y range.
    pub y: (f64, f64),
    /// Logarithmic axes.
    pub log: (bool, bool),
}

impl Frame {
    /// The view of `plot` for its `series`, in an area whose plotting part is `pw` × `ph`
    /// pixels (equal units widen the range that is short for its side).
    fn of(plot: &Plot, series: &[&Series], (pw, ph): (f64, f64)) -> Frame {
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
        let (mut x, mut y) = (
            range(plot.x_range, xs, plot.x_log),
            range(plot.y_range, ys, plot.y_log),
        );
        if plot.equal {
            let unit = ((x.1 - x.0) / pw).max((y.1 - y.0) / ph);
            let (cx, cy) = (0.5 * (x.0 + x.1), 0.5 * (y.0 + y.1));
            x = (cx - 0.5 * unit * pw, cx + 0.5 * unit * pw);
            y = (cy - 0.5 * unit * ph, cy + 0.5 * unit * ph);
        }
        Frame {
            x,
            y,
            log: (plot.x_log, plot.y_log),
        }
    }

    /// A data point in plotted coordinates.
    pub fn to_plot(&self, x: f64, y: f64) -> (f64, f64) {
        (tx(x, self.log.0), tx(y, self.log.1))
    }

    fn centre(&self) -> (f64, f64, f64, f64) {
        let (x, y) = (self.x, self.y);
        (
            0.5 * (x.0 + x.1),
            0.5 * (y.0 + y.1),
            0.5 * (x.1 - x.0),
            0.5 * (y.1 - y.0),
        )
    }

    /// Whether a plotted point lies in the view.
    pub fn inside(&self, a: f64, b: f64) -> bool {
        let (cx, cy, hx, hy) = self.centre();
        (a - cx).abs() <= hx && (b - cy).abs() <= hy
    }

    /// The pieces of a plotted polyline that lie in the view.
    pub fn clip(&self, pts: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
        let (cx, cy, hx, hy) = self.centre();
        let shifted: Vec<_> = pts.iter().map(|(x, y)| (x - cx, y - cy)).collect();
        clip_polyline(&shifted, hx, hy)
            .into_iter()
            .map(|p| p.into_iter().map(|(x, y)| (x + cx, y + cy)).collect())
            .collect()
    }
}

/// Draws `fig` onto `root`.
pub fn draw_figure<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    fig: &Figure,
    look: &Look,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&look.theme.background)?;
    let (w, h) = root.dim_in_pixel();
    let (rows, cols) = grid(fig.plots.len(), w, h);
    let areas = root.split_evenly((rows, cols));
    for (i, (plot, area)) in fig.plots.iter().zip(&areas).enumerate() {
        let series: Vec<&Series> = fig.series.iter().filter(|s| s.plot == i).collect();
        draw_plot(area, plot, &series, look)?;
    }
    Ok(())
}

fn draw_plot<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    plot: &Plot,
    series: &[&Series],
    look: &Look,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (left, bottom, margin) = (look.px(60.0), look.px(38.0), look.px(10.0));
    let top = if plot.title.is_empty() {
        0
    } else {
        look.px(20.0)
    };
    let (w, h) = area.dim_in_pixel();
    let plotting = (
        w.saturating_sub(left + 2 * margin).max(1) as f64,
        h.saturating_sub(bottom + top + 2 * margin).max(1) as f64,
    );
    let frame = Frame::of(plot, series, plotting);
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(margin)
        .x_label_area_size(bottom)
        .y_label_area_size(left);
    if !plot.title.is_empty() {
        builder.caption(&plot.title, look.font());
    }
    let mut chart = builder.build_cartesian_2d(frame.x.0..frame.x.1, frame.y.0..frame.y.1)?;
    let bitmap = |s: &&&Series| look.bitmap_dots && s.style == Style::Dots;
    let clouds: Vec<&Series> = series.iter().filter(bitmap).copied().collect();
    if !clouds.is_empty() {
        dots::blit(area, &chart, &frame, &clouds, look)?;
    }
    mesh(&mut chart, plot, look)?;
    for s in series.iter().filter(|s| !bitmap(s)) {
        series::draw(area, &mut chart, &frame, s, look)?;
    }
    let pixels = chart.plotting_area().get_pixel_range();
    legend::note(area, pixels.clone(), plot.note.as_deref(), look)?;
    legend::legend(area, pixels, series, look)
}

/// The axes, their labels and a light grid.
fn mesh<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    plot: &Plot,
    look: &Look,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (xlog, ylog) = (plot.x_log, plot.y_log);
    let label = |log: bool| {
        move |v: &f64| {
            if log {
                log_tick(10f64.powf(*v))
            } else {
                tick(*v)
            }
        }
    };
    let (fx, fy) = (label(xlog), label(ylog));
    let fg = look.theme.foreground;
    chart
        .configure_mesh()
        .light_line_style(fg.mix(0.06))
        .bold_line_style(fg.mix(0.12))
        .axis_style(fg.stroke_width(look.px(1.0)))
        .label_style(look.font())
        .x_desc(plot.x_label.as_str())
        .y_desc(plot.y_label.as_str())
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .draw()
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
        let look = Look {
            theme: *theme,
            scale: 1.0,
            bitmap_dots: false,
        };
        draw_figure(&root, fig, &look).map_err(|e| format!("drawing failed: {e}"))?;
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
