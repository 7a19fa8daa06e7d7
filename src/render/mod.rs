//! Drawing, generic over any plotters [`DrawingBackend`] (the page's canvas, SVG, bitmaps), so
//! that the same code draws every output.

mod figure;
mod measured;

pub use figure::{draw_figure, svg, svg_with};
pub use measured::{approximate_text_size, Measured};

use crate::panels::ellipses::Scene;
use nalgebra::{Matrix2, SymmetricEigen};
use plotters::coord::Shift;
use plotters::element::{DashedPathElement, Drawable, PointCollection};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{BackendCoord, DrawingErrorKind};

/// Okabe–Ito colours, distinguishable under the common colour-vision deficiencies; the three
/// ellipses also differ by line style (solid, long dashes, short dashes).
pub const DISCRETE: RGBColor = RGBColor(213, 94, 0);
/// Continuous-time ellipse colour (blue).
pub const CONTINUOUS: RGBColor = RGBColor(0, 114, 178);
/// Empirical ellipse colour (bluish green).
pub const EMPIRICAL: RGBColor = RGBColor(0, 158, 115);

/// Colours of the page theme.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    /// Background.
    pub background: RGBColor,
    /// Text and axes.
    pub foreground: RGBColor,
    /// Walkers.
    pub walker: RGBAColor,
}

impl Theme {
    /// Dark text on white.
    pub const LIGHT: Theme = Theme {
        background: RGBColor(255, 255, 255),
        foreground: RGBColor(30, 30, 30),
        walker: RGBAColor(80, 80, 80, 0.35),
    };
    /// Light text on near-black.
    pub const DARK: Theme = Theme {
        background: RGBColor(24, 24, 27),
        foreground: RGBColor(230, 230, 230),
        walker: RGBAColor(200, 200, 200, 0.35),
    };
}

/// One ellipse of the legend: name, covariance (if any), colour, dash pattern (on, off).
type Curve<'a> = (&'a str, Option<Matrix2<f64>>, RGBColor, Option<(u32, u32)>);

/// `n + 1` points of the ellipse { w : wᵀ Σ⁻¹ w = s² } (the s-σ contour of N(0, Σ)), closed;
/// a degenerate Σ gives a segment or a point. Negative eigenvalues from rounding count as 0.
pub fn ellipse_points(sigma: &Matrix2<f64>, s: f64, n: usize) -> Vec<(f64, f64)> {
    let sym = Matrix2::new(
        sigma[(0, 0)],
        0.5 * (sigma[(0, 1)] + sigma[(1, 0)]),
        0.5 * (sigma[(0, 1)] + sigma[(1, 0)]),
        sigma[(1, 1)],
    );
    let eig = SymmetricEigen::new(sym);
    let (v, e) = (eig.eigenvectors, eig.eigenvalues);
    let (r0, r1) = (s * e[0].max(0.0).sqrt(), s * e[1].max(0.0).sqrt());
    (0..=n)
        .map(|i| {
            let t = std::f64::consts::TAU * i as f64 / n as f64;
            let (a, b) = (r0 * t.cos(), r1 * t.sin());
            (v[(0, 0)] * a + v[(0, 1)] * b, v[(1, 0)] * a + v[(1, 1)] * b)
        })
        .collect()
}

/// Draws the ellipse panel onto `root`: walkers, the eigen-axes of K, and the 3σ ellipses of
/// the empirical, exact discrete and continuous covariances, with axes and a legend. `scale`
/// is the device pixel ratio (line widths and fonts grow with it). Equal units on both axes,
/// so an ellipse's shape is true.
pub fn draw_ellipses<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scene: &Scene,
    theme: &Theme,
    scale: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let px = |x: f64| (x * scale).round().max(1.0) as u32;
    root.fill(&theme.background)?;
    let (w, h) = root.dim_in_pixel();
    let (left, bottom, margin) = (px(48.0), px(32.0), px(10.0));
    let pw = (w.saturating_sub(left + margin)).max(1) as f64;
    let ph = (h.saturating_sub(bottom + margin)).max(1) as f64;
    let unit = scene.half_width / pw.min(ph);
    let (hx, hy) = (unit * pw, unit * ph);
    let font = ("sans-serif", 12.0 * scale)
        .into_font()
        .color(&theme.foreground);

    let mut chart = ChartBuilder::on(root)
        .margin(margin)
        .x_label_area_size(bottom)
        .y_label_area_size(left)
        .build_cartesian_2d(-hx..hx, -hy..hy)?;
    // Walkers: composed into one RGB image of the plotting area, blitted in one call.
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let (x0, y0) = (xr.start, yr.start);
    let (iw, ih) = (
        (xr.end - xr.start).max(1) as u32,
        (yr.end - yr.start).max(1) as u32,
    );
    let image = walker_image(
        scene,
        (iw, ih),
        |x, y| {
            let (px, py) = chart.backend_coord(&(x, y));
            (px - x0, py - y0)
        },
        theme,
        px(2.0),
    );
    root.draw(&Blit {
        pos: (x0 - root.get_base_pixel().0, y0 - root.get_base_pixel().1),
        size: (iw, ih),
        rgb: &image,
    })?;

    chart
        .configure_mesh()
        .disable_mesh()
        .axis_style(theme.foreground.stroke_width(px(1.0)))
        .label_style(font.clone())
        .x_desc("w₁")
        .y_desc("w₂")
        .x_labels(7)
        .y_labels(7)
        .draw()?;

    // Eigen-axes of K. (plotters clamps each point of a path into the plotting area, which
    // bends lines that leave it, so every path is clipped to the view first.)
    let axis_style = theme.foreground.mix(0.25).stroke_width(px(1.0));
    let r = 2.0 * hx.max(hy);
    for (ex, ey) in scene.k_axes {
        let axis = [(-r * ex, -r * ey), (r * ex, r * ey)];
        for piece in clip_polyline(&axis, hx, hy) {
            chart.draw_series(std::iter::once(PathElement::new(piece, axis_style)))?;
        }
    }

    // Loss contours (dotted), each a list of closed curves separated by NaN.
    for c in &scene.contours {
        let style = figure::colour(c.color, theme).stroke_width(px(1.0));
        for run in
            c.x.iter()
                .zip(&c.y)
                .map(|(x, y)| (*x, *y))
                .collect::<Vec<_>>()
                .split(|(x, y)| !(x.is_finite() && y.is_finite()))
        {
            for pts in clip_polyline(run, hx, hy) {
                chart.draw_series(DashedLineSeries::new(pts, px(2.0), px(3.0), style))?;
            }
        }
    }

    let lw = px(2.0);
    let series: [Curve; 3] = [
        (
            "empirical",
            scene.empirical,
            EMPIRICAL,
            Some((px(3.0), px(3.0))),
        ),
        ("exact discrete", scene.discrete, DISCRETE, None),
        (
            "continuous (Eq. 1)",
            scene.continuous,
            CONTINUOUS,
            Some((px(10.0), px(6.0))),
        ),
    ];
    for (_, sigma, colour, dash) in &series {
        let Some(sigma) = sigma else { continue };
        let style = colour.stroke_width(lw);
        for pts in clip_polyline(&ellipse_points(sigma, 3.0, 180), hx, hy) {
            match dash {
                None => chart.draw_series(LineSeries::new(pts, style))?,
                Some((on, off)) => {
                    chart.draw_series(DashedLineSeries::new(pts, *on, *off, style))?
                }
            };
        }
    }

    // Warning, top left of the plotting area.
    if let Some(note) = &scene.note {
        let warn = ("sans-serif", 14.0 * scale)
            .into_font()
            .color(&DISCRETE)
            .pos(Pos::new(HPos::Left, VPos::Top));
        let base = root.get_base_pixel();
        let pad = (8.0 * scale) as i32;
        root.draw(&Text::new(
            note.as_str(),
            (xr.start - base.0 + pad, yr.start - base.1 + pad),
            warn,
        ))?;
    }

    // Legend, top right of the plotting area: a line sample and a name per ellipse.
    let line_h = (16.0 * scale) as i32;
    let sample = (28.0 * scale) as i32;
    let pad = (6.0 * scale) as i32;
    let mut labels: Vec<String> = series
        .iter()
        .map(|(name, sigma, _, _)| match sigma {
            Some(_) => format!("{name} 3σ"),
            None => format!("{name}: none"),
        })
        .collect();
    labels.extend(scene.contours.iter().map(|c| c.name.clone()));
    let mut text_w = 0;
    for l in &labels {
        text_w = text_w.max(root.estimate_text_size(l, &font)?.0 as i32);
    }
    let box_w = pad * 3 + sample + text_w;
    let box_h = pad * 2 + line_h * labels.len() as i32;
    let base = root.get_base_pixel();
    let (bx, by) = (xr.end - base.0 - box_w - pad, yr.start - base.1 + pad);
    root.draw(&Rectangle::new(
        [(bx, by), (bx + box_w, by + box_h)],
        theme.background.mix(0.85).filled(),
    ))?;
    root.draw(&Rectangle::new(
        [(bx, by), (bx + box_w, by + box_h)],
        theme.foreground.mix(0.4).stroke_width(px(1.0)),
    ))?;
    let contour_keys = scene
        .contours
        .iter()
        .map(|c| (figure::colour(c.color, theme), Some((px(2.0), px(3.0)))));
    let keys: Vec<(RGBColor, Option<(u32, u32)>)> = series
        .iter()
        .map(|(_, _, colour, dash)| (*colour, *dash))
        .chain(contour_keys)
        .collect();
    for (i, ((colour, dash), label)) in keys.iter().zip(&labels).enumerate() {
        let y = by + pad + line_h * i as i32 + line_h / 2;
        let ends = vec![(bx + pad, y), (bx + pad + sample, y)];
        let style = colour.stroke_width(lw);
        match dash {
            None => root.draw(&PathElement::new(ends, style))?,
            Some((on, off)) => root.draw(&DashedPathElement::new(ends, *on, *off, style))?,
        }
        root.draw(&Text::new(
            label.as_str(),
            (bx + 2 * pad + sample, y),
            font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}

/// Clips a polyline to the box [−hx, hx] × [−hy, hy] (Liang–Barsky on each segment); returns
/// the pieces that lie inside, each with at least two points.
pub fn clip_polyline(points: &[(f64, f64)], hx: f64, hy: f64) -> Vec<Vec<(f64, f64)>> {
    let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for seg in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (seg[0], seg[1]);
        let (dx, dy) = (x1 - x0, y1 - y0);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        let mut inside = true;
        for (p, q) in [(-dx, x0 + hx), (dx, hx - x0), (-dy, y0 + hy), (dy, hy - y0)] {
            if p == 0.0 {
                if q < 0.0 {
                    inside = false;
                }
            } else {
                let t = q / p;
                if p < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
            }
        }
        if !inside || t0 > t1 || !(t0.is_finite() && t1.is_finite()) {
            if current.len() >= 2 {
                pieces.push(std::mem::take(&mut current));
            }
            current.clear();
            continue;
        }
        // Unclipped ends are kept exactly, so consecutive segments join.
        let a = if t0 > 0.0 {
            (x0 + t0 * dx, y0 + t0 * dy)
        } else {
            seg[0]
        };
        let b = if t1 < 1.0 {
            (x0 + t1 * dx, y0 + t1 * dy)
        } else {
            seg[1]
        };
        if current.last() != Some(&a) {
            if current.len() >= 2 {
                pieces.push(std::mem::take(&mut current));
            }
            current = vec![a];
        }
        current.push(b);
        if t1 < 1.0 {
            pieces.push(std::mem::take(&mut current));
        }
    }
    if current.len() >= 2 {
        pieces.push(current);
    }
    pieces
}

/// The walkers as an RGB image of `size` pixels over `theme`'s background: each live walker a
/// `dot`-pixel square blended with the walker colour. `to_pixel` maps weights to pixels.
pub fn walker_image(
    scene: &Scene,
    (w, h): (u32, u32),
    to_pixel: impl Fn(f64, f64) -> (i32, i32),
    theme: &Theme,
    dot: u32,
) -> Vec<u8> {
    let bg = theme.background;
    let mut img: Vec<u8> = std::iter::repeat_n([bg.0, bg.1, bg.2], (w * h) as usize)
        .flatten()
        .collect();
    let c = theme.walker;
    let (a, fg) = (c.3, [c.0 as f64, c.1 as f64, c.2 as f64]);
    let (w, h, dot) = (w as i32, h as i32, dot as i32);
    for ((x, y), live) in scene.xs.iter().zip(scene.ys).zip(scene.alive) {
        if *live < 0.5 {
            continue;
        }
        let (px, py) = to_pixel(*x, *y);
        for yy in py.max(0)..(py + dot).min(h) {
            for xx in px.max(0)..(px + dot).min(w) {
                let k = 3 * (yy * w + xx) as usize;
                for ch in 0..3 {
                    let old = img[k + ch] as f64;
                    img[k + ch] = (old + a * (fg[ch] - old)).round() as u8;
                }
            }
        }
    }
    img
}

/// An RGB image drawn at a pixel position of a drawing area, through the backend's
/// `blit_bitmap` (one call, instead of one shape per walker).
struct Blit<'a> {
    pos: (i32, i32),
    size: (u32, u32),
    rgb: &'a [u8],
}

impl<'a, 'b> PointCollection<'a, (i32, i32)> for &'a Blit<'b> {
    type Point = &'a (i32, i32);
    type IntoIter = std::iter::Once<&'a (i32, i32)>;
    fn point_iter(self) -> Self::IntoIter {
        std::iter::once(&self.pos)
    }
}

impl<DB: DrawingBackend> Drawable<DB> for Blit<'_> {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut points: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        match points.next() {
            Some(p) => backend.blit_bitmap(p, self.size, self.rgb),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_keeps_directions_and_drops_what_is_outside() {
        let line = [(-10.0, -5.0), (10.0, 5.0)];
        let pieces = clip_polyline(&line, 2.0, 2.0);
        assert_eq!(pieces, vec![vec![(-2.0, -1.0), (2.0, 1.0)]]);
        assert!(clip_polyline(&[(3.0, 3.0), (4.0, 5.0)], 2.0, 2.0).is_empty());
        // A closed curve crossing the box twice gives two pieces, all inside.
        let ring = ellipse_points(&Matrix2::new(9.0, 0.0, 0.0, 0.25), 1.0, 90);
        let pieces = clip_polyline(&ring, 2.0, 2.0);
        assert_eq!(pieces.len(), 2);
        for p in pieces.iter().flatten() {
            assert!(p.0.abs() <= 2.0 + 1e-12 && p.1.abs() <= 2.0 + 1e-12);
        }
        // Fully inside: one piece, untouched.
        let small = ellipse_points(&Matrix2::new(0.1, 0.0, 0.0, 0.1), 1.0, 30);
        assert_eq!(clip_polyline(&small, 2.0, 2.0), vec![small.clone()]);
    }

    #[test]
    fn ellipse_points_lie_on_the_contour() {
        let s = Matrix2::new(2.0, 0.6, 0.6, 0.5);
        let inv = s.try_inverse().unwrap();
        for (x, y) in ellipse_points(&s, 3.0, 64) {
            let v = nalgebra::Vector2::new(x, y);
            assert!(((v.transpose() * inv * v)[0] - 9.0).abs() < 1e-12);
        }
    }
}
