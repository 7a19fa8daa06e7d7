//! What is written over a plot: its note (a divergence, no stationary state) and its legend,
//! a sample of each labelled series' line or marker beside its name.

use super::colour;
use super::figure::Look;
use super::series::dashes;
use crate::figure::{Series, Style};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

type Drawn<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// The plotting area in pixels: (x range, y range).
type Pixels = (Range<i32>, Range<i32>);

/// The note, bottom left of the plotting area.
pub(super) fn note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (xr, yr): Pixels,
    note: Option<&str>,
    look: &Look,
) -> Drawn<DB> {
    let Some(note) = note else { return Ok(()) };
    let base = area.get_base_pixel();
    let pad = (6.0 * look.scale) as i32;
    let warn = ("sans-serif", 13.0 * look.scale)
        .into_font()
        .color(&super::PALETTE[5])
        .pos(Pos::new(HPos::Left, VPos::Bottom));
    let at = (xr.start - base.0 + pad, yr.end - base.1 - pad);
    area.draw(&Text::new(note, at, warn))
}

/// The legend, top right of the plotting area.
pub(super) fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (xr, yr): Pixels,
    series: &[&Series],
    look: &Look,
) -> Drawn<DB> {
    let entries: Vec<&&Series> = series.iter().filter(|s| s.legend).collect();
    if entries.is_empty() {
        return Ok(());
    }
    let font = look.font();
    let pad = (6.0 * look.scale) as i32;
    let line_h = (16.0 * look.scale) as i32;
    let sample = (26.0 * look.scale) as i32;
    let mut text_w = 0;
    for s in &entries {
        text_w = text_w.max(area.estimate_text_size(&s.name, &font)?.0 as i32);
    }
    let base = area.get_base_pixel();
    let (w, h) = (
        pad * 3 + sample + text_w,
        pad * 2 + line_h * entries.len() as i32,
    );
    let (bx, by) = (xr.end - base.0 - w - pad, yr.start - base.1 + pad);
    let frame = [(bx, by), (bx + w, by + h)];
    area.draw(&Rectangle::new(
        frame,
        look.theme.background.mix(0.85).filled(),
    ))?;
    let edge = look.theme.foreground.mix(0.4).stroke_width(look.px(1.0));
    area.draw(&Rectangle::new(frame, edge))?;
    for (i, s) in entries.iter().enumerate() {
        let y = by + pad + line_h * i as i32 + line_h / 2;
        let (xa, xb) = (bx + pad, bx + pad + sample);
        sample_of(area, s, (xa, xb, y), pad, look)?;
        let label = font.clone().pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(s.name.as_str(), (xb + pad, y), label))?;
    }
    Ok(())
}

/// The sample of one series in the legend, from `xa` to `xb` at height `y`.
fn sample_of<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &Series,
    (xa, xb, y): (i32, i32, i32),
    pad: i32,
    look: &Look,
) -> Drawn<DB> {
    let c = colour(s.color, &look.theme);
    let ends = vec![(xa, y), (xb, y)];
    let mid = (xa + xb) / 2;
    match s.style {
        Style::Line | Style::Arrows => {
            area.draw(&PathElement::new(ends, c.stroke_width(look.px(2.0))))
        }
        Style::Dashed | Style::Dotted | Style::Vline => {
            let (on, off) = dashes(s.style, look).expect("a dashed style");
            let width = if s.style == Style::Vline { 1.5 } else { 2.0 };
            area.draw(&DashedPathElement::new(
                ends,
                on,
                off,
                c.stroke_width(look.px(width)),
            ))
        }
        Style::Markers => {
            let bar = vec![(mid, y - pad), (mid, y + pad)];
            area.draw(&PathElement::new(bar, c.stroke_width(look.px(1.0))))?;
            area.draw(&Circle::new((mid, y), look.px(3.5), c.filled()))
        }
        Style::Dots => area.draw(&Circle::new((mid, y), look.px(2.0), c.filled())),
    }
}
