//! Clouds of dots (an ensemble's walkers) composed into one RGB image of the plotting area and
//! drawn with a single `blit_bitmap`: tens of thousands of walkers each animation frame cost one
//! call instead of one shape each.

use super::figure::{Chart, Frame, Look};
use crate::figure::Series;
use plotters::coord::Shift;
use plotters::element::{Drawable, PointCollection};
use plotters::prelude::*;
use plotters_backend::{BackendCoord, DrawingErrorKind};

/// Draws the dots of `clouds` over the theme's background in the plotting area of `chart`:
/// each finite point a `dot`-pixel square blended with the theme's dot colour.
pub(super) fn blit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart<'_, DB>,
    frame: &Frame,
    clouds: &[&Series],
    look: &Look,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let (x0, y0) = (xr.start, yr.start);
    let size = ((xr.end - x0).max(1) as u32, (yr.end - y0).max(1) as u32);
    let mut image = Image::new(size, look);
    let dot = look.px(2.0) as i32;
    for s in clouds {
        for (x, y) in s.finite_points() {
            let (a, b) = frame.to_plot(x, y);
            if frame.inside(a, b) {
                let (px, py) = chart.backend_coord(&(a, b));
                image.dot(px - x0, py - y0, dot);
            }
        }
    }
    let base = area.get_base_pixel();
    area.draw(&Blit {
        pos: (x0 - base.0, y0 - base.1),
        size,
        rgb: &image.rgb,
    })
}

/// An RGB image filled with the background, and the colour dots are blended with.
struct Image {
    rgb: Vec<u8>,
    size: (i32, i32),
    alpha: f64,
    fg: [f64; 3],
}

impl Image {
    fn new((w, h): (u32, u32), look: &Look) -> Image {
        let bg = look.theme.background;
        let c = look.theme.dots;
        Image {
            rgb: std::iter::repeat_n([bg.0, bg.1, bg.2], (w * h) as usize)
                .flatten()
                .collect(),
            size: (w as i32, h as i32),
            alpha: c.3,
            fg: [c.0 as f64, c.1 as f64, c.2 as f64],
        }
    }

    /// A `dot`-pixel square at (x, y), blended into what is there.
    fn dot(&mut self, x: i32, y: i32, dot: i32) {
        let (w, h) = self.size;
        for yy in y.max(0)..(y + dot).min(h) {
            for xx in x.max(0)..(x + dot).min(w) {
                let k = 3 * (yy * w + xx) as usize;
                for ch in 0..3 {
                    let old = self.rgb[k + ch] as f64;
                    self.rgb[k + ch] = (old + self.alpha * (self.fg[ch] - old)).round() as u8;
                }
            }
        }
    }
}

/// An RGB image drawn at a pixel position of a drawing area, through the backend's
/// `blit_bitmap`.
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
