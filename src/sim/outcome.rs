//! What one Monte Carlo point of a sweep measures: `walkers` independent walkers started at the
//! minimum (w = 0, empty momentum buffer) after `steps` steps, and how many of them diverged on
//! the way (left |w| < [`super::ESCAPE_RADIUS`]).
//!
//! A point whose runs diverged has no value: the moments of the survivors would be biased
//! towards the minimum. [`after`] keeps the count (a panel may show the fraction that
//! diverged); [`super::moments_after`] is its short form when only the moments matter, and
//! [`losses_after`] gives the training loss ½wᵀKw (Liu et al. Eq. 11) of every walker;
//! [`losses_after_diagonal`] does so in D dimensions on a diagonal model.

use super::{chunk_seed, Dynamics, Ensemble, Moments, Shape};
use crate::model::Model;
use crate::optimizer::Optimizer;
use crate::theory::spectrum::mode_opt;
use nalgebra::DMatrix;

/// An ensemble after a number of steps from the minimum.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Walkers run.
    pub walkers: usize,
    /// Walkers that diverged.
    pub diverged: usize,
    /// Sample moments of the walkers that did not diverge (`None` with fewer than two).
    pub moments: Option<Moments>,
}

impl Outcome {
    /// The fraction of the walkers that diverged (0 without walkers).
    pub fn diverged_fraction(&self) -> f64 {
        self.diverged as f64 / self.walkers.max(1) as f64
    }

    /// The moments when no walker diverged.
    pub fn settled_moments(&self) -> Option<&Moments> {
        self.moments.as_ref().filter(|_| self.diverged == 0)
    }
}

/// `walkers` walkers after `steps` steps of `dynamics` from the minimum, with random numbers
/// from `seed`.
pub fn after(dynamics: &Dynamics, walkers: usize, steps: u64, seed: u64) -> Outcome {
    let mut e = Ensemble::new(dynamics.dim(), walkers, seed);
    e.advance(dynamics, steps);
    Outcome {
        walkers: e.len(),
        diverged: e.diverged(),
        moments: e.moments(),
    }
}

/// The training loss ½wᵀKw of each of `walkers` walkers after `steps` steps of `dynamics` from
/// the minimum (random numbers from `seed`), on the quadratic with Hessian `k`; `None` when any
/// walker diverged.
pub fn losses_after(
    dynamics: &Dynamics,
    k: &DMatrix<f64>,
    walkers: usize,
    steps: u64,
    seed: u64,
) -> Option<Vec<f64>> {
    let mut e = Ensemble::new(dynamics.dim(), walkers, seed);
    e.advance(dynamics, steps);
    if e.diverged() > 0 {
        return None;
    }
    let x0 = e.coords(0);
    Some(if e.dim() == 1 {
        x0.iter().map(|w| 0.5 * k[(0, 0)] * w * w).collect()
    } else {
        x0.iter()
            .zip(e.coords(1))
            .map(|(a, b)| 0.5 * (k[(0, 0)] * a * a + 2.0 * k[(0, 1)] * a * b + k[(1, 1)] * b * b))
            .collect()
    })
}

/// The training loss ½Σᵢkᵢθᵢ² of each of `walkers` walkers after `steps` steps of `opt` from
/// the minimum on the diagonal model with curvatures `k` and constant noise variances `c` (noise
/// of distribution `shape`); `None` when any walker diverged. With constant noise the
/// directions move independently, so direction i is a 1-D ensemble of its own, with random
/// numbers from `chunk_seed(seed, i + 1)`, and walker j's loss sums the losses of walker j of
/// every direction: D-dimensional walkers at the cost of D × walkers × steps.
pub fn losses_after_diagonal(
    k: &[f64],
    c: &[f64],
    opt: &Optimizer,
    shape: Shape,
    (walkers, steps, seed): (usize, u64, u64),
) -> Option<Vec<f64>> {
    let one = |x: f64| DMatrix::from_element(1, 1, x);
    let opt = mode_opt(opt);
    let mut total = vec![0.0; walkers];
    for (i, (&ki, &ci)) in k.iter().zip(c).enumerate() {
        let model = Model::new(one(ki), one(ci));
        let dy = Dynamics::new(&model, &opt, shape).ok()?;
        let losses = losses_after(&dy, &model.k, walkers, steps, chunk_seed(seed, i + 1))?;
        for (t, l) in total.iter_mut().zip(losses) {
            *t += l;
        }
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;

    fn model() -> Model {
        Model::new(DMatrix::identity(2, 2), DMatrix::identity(2, 2))
    }

    #[test]
    fn the_outcome_holds_the_moments_and_the_divergences() {
        let dy = Dynamics::heavy_ball(&model(), 0.5, 0.0);
        let run = after(&dy, 100, 50, 7);
        assert_eq!(
            (run.walkers, run.diverged, run.diverged_fraction()),
            (100, 0, 0.0)
        );
        assert_eq!(
            run.settled_moments(),
            super::super::moments_after(&dy, 100, 50, 7).as_ref()
        );
        let losses = losses_after(&dy, &model().k, 100, 50, 7).unwrap();
        assert_eq!(losses.len(), 100);
        assert!(losses.iter().all(|l| *l >= 0.0));
        // Past λk = 2 every walker leaves.
        let dy = Dynamics::heavy_ball(&model(), 2.5, 0.0);
        let run = after(&dy, 100, 200, 7);
        assert_eq!((run.diverged, run.diverged_fraction()), (100, 1.0));
        assert!(run.settled_moments().is_none());
        assert!(losses_after(&dy, &model().k, 100, 200, 7).is_none());
    }
}
