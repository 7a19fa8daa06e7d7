//! Where 1-D heavy-ball SGD (Liu et al. Eq. 5) settles as its momentum μ runs over [0, 1) at a
//! fixed learning rate λ (their Figs. 4 and 9).
//!
//! - The momenta with a stationary state ([`stable_momenta`]): for constant noise the necessary
//!   condition of Sec. 4.5, λk < 2(1 + μ), i.e. μ > (λk − 2)/2; for noise that grows with the
//!   fluctuations (real minibatches, Fisher noise) the exact theory's mean-square condition,
//!   which can also end the range at a largest μ.
//! - The momenta with a finite stationary fourth moment of w ([`FourthMoment`]), for noise that
//!   multiplies the weight: between the two edges the variance exists but w has power-law tails
//!   ([`super::tails`]).
//!
//! Each set is a union of intervals, found on a grid of μ and refined by bisection at every
//! change ([`ranges_where`]); [`grid_to_edges`] lays out μ for curves that diverge at the edges.

use super::lyapunov::MARGINAL;
use super::stationary;
use super::tails::{curvature_moments, heavy_ball_radius};
use crate::linalg::linspace;
use crate::model::Model;
use crate::optimizer::Optimizer;

/// The largest momentum on the grid: just below 1, where heavy ball stops contracting.
const MU_END: f64 = 1.0 - 1e-6;

/// Cells of the grid on which the intervals are first found.
const CELLS: usize = 400;

/// Halvings of a grid cell that locate an edge.
const HALVINGS: usize = 60;

/// The intervals of μ ∈ [0, 1) where `holds` is true, as (from, to) pairs in increasing order:
/// `holds` is evaluated on 401 evenly spaced μ from 0 to 1 − 10⁻⁶ and every change between
/// neighbours is located by 60 halvings (each edge the last μ on the side where `holds` is
/// true). An interval that reaches the end of the grid ends at 1.
pub fn ranges_where(holds: impl Fn(f64) -> bool) -> Vec<(f64, f64)> {
    let grid: Vec<f64> = (0..=CELLS)
        .map(|i| MU_END * i as f64 / CELLS as f64)
        .collect();
    let flags: Vec<bool> = grid.iter().map(|&mu| holds(mu)).collect();
    let mut out = Vec::new();
    let mut start: Option<f64> = flags[0].then_some(0.0);
    for i in 1..grid.len() {
        if flags[i] == flags[i - 1] {
            continue;
        }
        let edge = edge_between(&holds, grid[i - 1], grid[i]);
        if flags[i] {
            start = Some(edge);
        } else if let Some(s) = start.take() {
            out.push((s, edge));
        }
    }
    if let Some(s) = start {
        out.push((s, 1.0));
    }
    out
}

/// The edge between `a` and `b`, where `holds(a) != holds(b)`: the last point on the side where
/// `holds` is true after 60 halvings.
fn edge_between(holds: impl Fn(f64) -> bool, mut a: f64, mut b: f64) -> f64 {
    let holds_at_a = holds(a);
    for _ in 0..HALVINGS {
        let m = 0.5 * (a + b);
        if holds(m) == holds_at_a {
            a = m;
        } else {
            b = m;
        }
    }
    if holds_at_a {
        a
    } else {
        b
    }
}

/// Momenta for curves that diverge at the edges of `ranges`: 600 evenly spaced from 0 to 0.999,
/// and on each side of every edge four points just inside it (10⁻⁴ to 10⁻² of the range's
/// width), so that a divergence is drawn up to its edge.
pub fn grid_to_edges(ranges: &[(f64, f64)]) -> Vec<f64> {
    let mut grid = linspace(0.0, 0.999, 600);
    for &(a, b) in ranges {
        for t in [1e-4, 1e-3, 3e-3, 1e-2] {
            grid.push(a + t * (b - a));
            grid.push(b - t * (b - a));
        }
    }
    grid.retain(|m| (0.0..1.0).contains(m));
    grid.sort_by(f64::total_cmp);
    grid.dedup();
    grid
}

/// Whether 1-D heavy ball with learning rate `lr` and momentum `mu` has a stationary state on
/// `model` ([`stationary`]).
pub fn has_stationary_state(model: &Model, lr: f64, mu: f64) -> bool {
    stationary(model, &Optimizer::sgd(lr, mu, 1)).is_ok()
}

/// The intervals of μ ∈ [0, 1) at which 1-D heavy ball with learning rate `lr` has a stationary
/// state on `model`.
pub fn stable_momenta(model: &Model, lr: f64) -> Vec<(f64, f64)> {
    ranges_where(|mu| has_stationary_state(model, lr, mu))
}

/// Whether the stationary fourth moment of w is finite, for 1-D heavy ball at one learning rate:
/// ρ(E[M^{⊗4}])^{1/4} < 1 ([`heavy_ball_radius`]) for the random curvature of the model's noise,
/// computed once ([`curvature_moments`]).
#[derive(Clone, Debug, PartialEq)]
pub struct FourthMoment {
    lr: f64,
    /// Mean and central moments of the random curvature; `None` when the noise does not
    /// multiply the weight.
    curvature: Option<(f64, [f64; 5])>,
}

impl FourthMoment {
    /// The test for learning rate `lr` on the 1-D `model`.
    pub fn new(model: &Model, lr: f64) -> FourthMoment {
        FourthMoment {
            lr,
            curvature: curvature_moments(model),
        }
    }

    /// Whether the noise multiplies the weight (minibatch or Fisher noise); otherwise every
    /// moment is finite wherever the variance is.
    pub fn multiplicative(&self) -> bool {
        self.curvature.is_some()
    }

    /// Whether w has a finite stationary fourth moment at momentum `mu` (always, for noise that
    /// does not multiply the weight).
    pub fn finite(&self, mu: f64) -> bool {
        self.curvature.as_ref().is_none_or(|(mean, central)| {
            heavy_ball_radius(self.lr, mu, *mean, central, 4) < 1.0 - MARGINAL
        })
    }

    /// The intervals of μ ∈ [0, 1) with a finite fourth moment, for noise that multiplies the
    /// weight; `None` otherwise.
    pub fn ranges(&self) -> Option<Vec<(f64, f64)>> {
        self.multiplicative()
            .then(|| ranges_where(|mu| self.finite(mu)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_found_to_rounding() {
        let r = ranges_where(|mu| (0.25..=0.5).contains(&mu) || mu >= 0.8);
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(
            (r[0].0 - 0.25).abs() < 1e-15 && (r[0].1 - 0.5).abs() < 1e-15,
            "{r:?}"
        );
        assert!((r[1].0 - 0.8).abs() < 1e-15 && r[1].1 == 1.0, "{r:?}");
        assert_eq!(ranges_where(|_| true), vec![(0.0, 1.0)]);
        assert!(ranges_where(|_| false).is_empty());
    }
}
