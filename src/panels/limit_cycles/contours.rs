//! Plot 0 of `limit-cycles`: contours of the loss f, of the exact discrete-time potential
//! Φ = ½wᵀΣ⁻¹w and of the continuous-time Φ_c, each at the levels that enclose the areas of the
//! 1, 2, 3σ ellipses of Σ (so that only their shapes differ), and the stationary probability
//! current J(w) = ρ(w) Ω Σ⁻¹ w as arrows ([`crate::theory::current`]).

use super::{m2, State};
use crate::figure::{Figure, Series, SeriesKind, Style};
use crate::linalg::{ellipse_points, linspace};
use crate::theory::current::Current;
use nalgebra::{Matrix2, Vector2};

/// What plot 0 shows when the exact state is missing: why.
pub enum Missing {
    /// Σ exists but is singular: no potential.
    Singular,
    /// No stationary state at all.
    Unstable,
}

/// Adds plot 0's series to `fig` (in plot 0): the contours, then the current's arrows; sets its
/// view and note. `disc` and `cont` are the exact and continuous-time states, `k` the Hessian.
pub fn add(
    fig: &mut Figure,
    disc: Option<&State>,
    cont: Option<&State>,
    k: &Matrix2<f64>,
    missing: Missing,
) {
    let sigma = disc.map(|(s, _)| s);
    let inverse = |state: Option<&State>| state.and_then(|(s, _)| s.try_inverse());
    let phi = disc.map(|(s, _)| s.try_inverse().unwrap_or_else(Matrix2::zeros));
    let sets = [
        contours("Φ (exact)", SeriesKind::TheoryDiscrete, phi, sigma),
        contours(
            "Φ (continuous)",
            SeriesKind::TheoryContinuous,
            disc.map(|_| inverse(cont).unwrap_or_else(Matrix2::zeros)),
            sigma,
        ),
        contours("loss f", SeriesKind::TheoryOther, disc.map(|_| *k), sigma).colored(7),
    ];
    let mut arrows = Series::new(
        "current J (exact)",
        SeriesKind::TheoryDiscrete,
        Vec::new(),
        Vec::new(),
    )
    .styled(Style::Arrows)
    .colored(2);
    arrows.y_err = None;
    let plot = &mut fig.plots[0];
    if let Some((sigma, cur)) = disc {
        let half = 3.0 * sigma.symmetric_eigenvalues().max().max(0.0).sqrt();
        // The view holds every contour.
        let (ex, ey) = (extent(&sets, half, |s| &s.x), extent(&sets, half, |s| &s.y));
        plot.x_range = Some((-ex, ex));
        plot.y_range = Some((-ey, ey));
        if no_current(cur) {
            plot.note = Some("no current: [C, K] = 0".into());
        } else if let Some(inv) = sigma.try_inverse() {
            draw_current(&mut arrows, &inv, &m2(&cur.velocity), half);
        }
    } else {
        plot.note = Some(match missing {
            Missing::Singular => "Σ is singular (rank-one noise): no potential".into(),
            Missing::Unstable => "no stationary state (λk_max ≥ 2 or k = 0)".into(),
        });
    }
    for s in sets {
        fig.add(s);
    }
    fig.add(arrows);
}

/// The half-width of the view along one axis (`coordinate` of the points): the largest |value|
/// of the contours, at least `half`, with a margin of 5 %.
fn extent(sets: &[Series], half: f64, coordinate: fn(&Series) -> &Vec<f64>) -> f64 {
    sets.iter()
        .flat_map(coordinate)
        .filter(|v| v.is_finite())
        .fold(half, |m, v| m.max(v.abs()))
        * 1.05
}

/// Level sets of ½wᵀMw-shaped forms enclosing the areas of the 1, 2, 3σ ellipses of Σ: the
/// ellipses {wᵀ(κM⁻¹)⁻¹w = s²}, s = 1, 2, 3, with κ = √(det Σ · det M), as one series with
/// NaN breaks (empty without M and Σ).
fn contours(
    name: &str,
    kind: SeriesKind,
    m: Option<Matrix2<f64>>,
    sigma: Option<&Matrix2<f64>>,
) -> Series {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    if let (Some(m), Some(sigma)) = (m, sigma) {
        if let Some(inv) = m.try_inverse() {
            let kappa = (sigma.determinant() * m.determinant()).sqrt();
            if kappa.is_finite() && kappa > 0.0 {
                for s in [1.0, 2.0, 3.0] {
                    for (a, b) in ellipse_points(&(inv * kappa), s, 120) {
                        x.push(a);
                        y.push(b);
                    }
                    x.push(f64::NAN);
                    y.push(f64::NAN);
                }
            }
        }
    }
    let mut s = Series::new(name, kind, x, y);
    s.y_err = None;
    s.in_plot(0)
}

/// The current J(w) = ρ(w) V w (V = ΩΣ⁻¹, ρ unnormalised from Σ⁻¹ = `inv`) on a 13 × 13 grid
/// over ±0.85 `half`, as arrows scaled to the grid's spacing; the shortest (under 5 % of the
/// longest) are left out.
fn draw_current(arrows: &mut Series, inv: &Matrix2<f64>, v: &Matrix2<f64>, half: f64) {
    let grid = linspace(-half * 0.85, half * 0.85, 13);
    let spacing = grid[1] - grid[0];
    let field: Vec<(f64, f64, f64, f64)> = grid
        .iter()
        .flat_map(|&a| grid.iter().map(move |&b| (a, b)))
        .map(|(a, b)| {
            let w = Vector2::new(a, b);
            let rho = (-0.5 * (w.transpose() * inv * w)[0]).exp();
            let j = v * w * rho;
            (a, b, j[0], j[1])
        })
        .collect();
    let top = field.iter().map(|f| f.2.hypot(f.3)).fold(0.0, f64::max);
    if top > 0.0 {
        let scale = 0.9 * spacing / top;
        for (a, b, ja, jb) in field {
            if ja.hypot(jb) < 0.05 * top {
                continue;
            }
            arrows.x.extend([a, a + scale * ja]);
            arrows.y.extend([b, b + scale * jb]);
        }
    }
}

/// Whether the current of this state is zero (Ω negligible against X).
pub fn no_current(cur: &Current) -> bool {
    let omega = (&cur.lag_one - cur.lag_one.transpose()) * 0.5;
    omega.norm() <= 1e-12 * cur.lag_one.norm()
}

/// The angle (degrees, in [0°, 90°]) between the principal axes of two symmetric 2 × 2
/// matrices; `None` when either is isotropic (no principal axes).
pub fn axes_angle(a: &Matrix2<f64>, b: &Matrix2<f64>) -> Option<f64> {
    let axis = |m: &Matrix2<f64>| {
        let (d, o) = (m[(0, 0)] - m[(1, 1)], m[(0, 1)]);
        (d.hypot(2.0 * o) > 1e-12 * m.norm()).then(|| 0.5 * (2.0 * o).atan2(d))
    };
    let diff = (axis(a)? - axis(b)?).to_degrees().rem_euclid(180.0);
    Some(diff.min(180.0 - diff))
}
