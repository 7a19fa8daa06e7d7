//! Drawing, generic over any plotters [`DrawingBackend`] (the page's canvas, SVG, bitmaps), so
//! that the same code draws every output: [`draw_figure`] draws any panel's [`Figure`].
//!
//! [`Figure`]: crate::figure::Figure

mod dots;
mod figure;
mod legend;
mod measured;
mod series;

pub use figure::{draw_figure, svg, svg_with, Look};
pub use measured::{approximate_text_size, Measured};

use plotters::prelude::*;

/// Colours of the page theme.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    /// Background.
    pub background: RGBColor,
    /// Text and axes.
    pub foreground: RGBColor,
    /// Clouds of dots (walkers).
    pub dots: RGBAColor,
}

impl Theme {
    /// Dark text on white.
    pub const LIGHT: Theme = Theme {
        background: RGBColor(255, 255, 255),
        foreground: RGBColor(30, 30, 30),
        dots: RGBAColor(80, 80, 80, 0.35),
    };
    /// Light text on near-black.
    pub const DARK: Theme = Theme {
        background: RGBColor(24, 24, 27),
        foreground: RGBColor(230, 230, 230),
        dots: RGBAColor(200, 200, 200, 0.35),
    };
}

/// The Okabe–Ito palette, distinguishable under the common colour-vision deficiencies (colour 7
/// is drawn in the theme's foreground); series also differ by line style.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::ellipse_points;
    use nalgebra::Matrix2;

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
