//! Monte Carlo: ensembles of independent SGD walkers on the noisy quadratic model.
//!
//! Walkers are stored as structure-of-arrays (one vector per coordinate) so that the update
//! loop runs over plain slices. Random numbers come from Xoshiro256++ seeded through
//! SplitMix64 ([`rand_xoshiro`]), which is the same generator on every platform, so a seed in
//! a permalink means the same walkers natively and in WebAssembly.

use crate::model::Model;
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A walker farther than this from the minimum has escaped: it is counted as diverged and no
/// longer moved, drawn or included in the statistics.
pub const ESCAPE_RADIUS: f64 = 1e6;

/// The update of one step: heavy-ball SGD (Liu et al., Eq. 5) with Gaussian noise of
/// covariance C = L Lᵀ.
#[derive(Clone, Debug)]
pub struct Dynamics {
    dim: usize,
    k: [f64; 4],
    l: [f64; 4],
    lr: f64,
    mu: f64,
}

/// A lower-triangular L with L Lᵀ = C for a symmetric positive semi-definite C of size 1 or 2
/// (a Cholesky factor that also accepts singular C). Row-major [l00, 0, l10, l11].
fn psd_cholesky(c: &DMatrix<f64>) -> [f64; 4] {
    let l00 = c[(0, 0)].max(0.0).sqrt();
    if c.nrows() == 1 {
        return [l00, 0.0, 0.0, 0.0];
    }
    let l10 = if l00 > 0.0 { c[(1, 0)] / l00 } else { 0.0 };
    let l11 = (c[(1, 1)] - l10 * l10).max(0.0).sqrt();
    [l00, 0.0, l10, l11]
}

impl Dynamics {
    /// Heavy-ball SGD with learning rate `lr` and momentum `mu` on `model` (D = 1 or 2).
    pub fn heavy_ball(model: &Model, lr: f64, mu: f64) -> Dynamics {
        let d = model.dim();
        assert!(d == 1 || d == 2, "walker ensembles are 1-D or 2-D");
        let k = if d == 1 {
            [model.k[(0, 0)], 0.0, 0.0, 0.0]
        } else {
            [
                model.k[(0, 0)],
                model.k[(0, 1)],
                model.k[(1, 0)],
                model.k[(1, 1)],
            ]
        };
        Dynamics {
            dim: d,
            k,
            l: psd_cholesky(&model.c),
            lr,
            mu,
        }
    }
}

/// Sample moments of the live walkers.
#[derive(Clone, Debug, PartialEq)]
pub struct Moments {
    /// Live walkers the moments are taken over.
    pub n: usize,
    /// Sample mean of w.
    pub mean: Vec<f64>,
    /// Sample covariance of w (about the sample mean, divided by n − 1).
    pub cov: DMatrix<f64>,
    /// Standard error of each covariance entry, estimated from the spread of the products
    /// (w_i − w̄_i)(w_j − w̄_j) across walkers.
    pub cov_se: DMatrix<f64>,
}

/// An ensemble of independent walkers, all started at w = 0, m = 0.
#[derive(Clone, Debug)]
pub struct Ensemble {
    dim: usize,
    w: [Vec<f64>; 2],
    m: [Vec<f64>; 2],
    alive: Vec<bool>,
    diverged: usize,
    steps: u64,
    rng: Xoshiro256PlusPlus,
}

impl Ensemble {
    /// `walkers` walkers of dimension `dim` (1 or 2) at the origin, random numbers from `seed`.
    pub fn new(dim: usize, walkers: usize, seed: u64) -> Ensemble {
        assert!(dim == 1 || dim == 2, "walker ensembles are 1-D or 2-D");
        let col = || vec![0.0; walkers];
        let (w1, m1) = if dim == 2 {
            (col(), col())
        } else {
            (vec![], vec![])
        };
        Ensemble {
            dim,
            w: [col(), w1],
            m: [col(), m1],
            alive: vec![true; walkers],
            diverged: 0,
            steps: 0,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
        }
    }

    /// The dimension of the weights.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of walkers, live or not.
    pub fn len(&self) -> usize {
        self.alive.len()
    }

    /// Whether the ensemble has no walkers.
    pub fn is_empty(&self) -> bool {
        self.alive.is_empty()
    }

    /// Steps taken since the start.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Walkers that have escaped beyond [`ESCAPE_RADIUS`].
    pub fn diverged(&self) -> usize {
        self.diverged
    }

    /// Coordinate `i` of every walker (meaningful only where [`Ensemble::alive`] is true).
    pub fn coords(&self, i: usize) -> &[f64] {
        &self.w[i]
    }

    /// Which walkers are still live.
    pub fn alive(&self) -> &[bool] {
        &self.alive
    }

    /// Puts diverged walkers back at the origin (w = 0, m = 0); returns how many.
    pub fn revive(&mut self) -> usize {
        let mut n = 0;
        for i in 0..self.alive.len() {
            if !self.alive[i] {
                self.alive[i] = true;
                for d in 0..self.dim {
                    self.w[d][i] = 0.0;
                    self.m[d][i] = 0.0;
                }
                n += 1;
            }
        }
        self.diverged = 0;
        n
    }

    /// Takes `n` SGD steps with `dynamics` for every live walker.
    pub fn advance(&mut self, dynamics: &Dynamics, n: u64) {
        assert_eq!(
            dynamics.dim, self.dim,
            "dynamics and ensemble differ in dimension"
        );
        for _ in 0..n {
            if self.dim == 1 {
                self.step_1d(dynamics);
            } else {
                self.step_2d(dynamics);
            }
            self.steps += 1;
        }
    }

    fn normal(&mut self) -> f64 {
        StandardNormal.sample(&mut self.rng)
    }

    fn step_1d(&mut self, d: &Dynamics) {
        let (k, l, lr, mu) = (d.k[0], d.l[0], d.lr, d.mu);
        for i in 0..self.alive.len() {
            if !self.alive[i] {
                continue;
            }
            let eta = l * self.normal();
            let m = mu * self.m[0][i] + k * self.w[0][i] + eta;
            let w = self.w[0][i] - lr * m;
            self.m[0][i] = m;
            self.w[0][i] = w;
            if w.is_nan() || w.abs() > ESCAPE_RADIUS {
                self.alive[i] = false;
                self.diverged += 1;
            }
        }
    }

    fn step_2d(&mut self, d: &Dynamics) {
        let [k00, k01, k10, k11] = d.k;
        let [l00, _, l10, l11] = d.l;
        let (lr, mu) = (d.lr, d.mu);
        for i in 0..self.alive.len() {
            if !self.alive[i] {
                continue;
            }
            let (z0, z1) = (self.normal(), self.normal());
            let (e0, e1) = (l00 * z0, l10 * z0 + l11 * z1);
            let (w0, w1) = (self.w[0][i], self.w[1][i]);
            let m0 = mu * self.m[0][i] + k00 * w0 + k01 * w1 + e0;
            let m1 = mu * self.m[1][i] + k10 * w0 + k11 * w1 + e1;
            let (w0, w1) = (w0 - lr * m0, w1 - lr * m1);
            self.m[0][i] = m0;
            self.m[1][i] = m1;
            self.w[0][i] = w0;
            self.w[1][i] = w1;
            let r2 = w0 * w0 + w1 * w1;
            if r2.is_nan() || r2 > ESCAPE_RADIUS * ESCAPE_RADIUS {
                self.alive[i] = false;
                self.diverged += 1;
            }
        }
    }

    /// Sample mean, covariance and the covariance's standard errors over the live walkers;
    /// `None` with fewer than two live walkers.
    pub fn moments(&self) -> Option<Moments> {
        let d = self.dim;
        let live: Vec<usize> = (0..self.alive.len()).filter(|&i| self.alive[i]).collect();
        let n = live.len();
        if n < 2 {
            return None;
        }
        let mean: Vec<f64> = (0..d)
            .map(|a| live.iter().map(|&i| self.w[a][i]).sum::<f64>() / n as f64)
            .collect();
        let mut cov = DMatrix::zeros(d, d);
        let mut se = DMatrix::zeros(d, d);
        for a in 0..d {
            for b in a..d {
                let prod = |i: usize| (self.w[a][i] - mean[a]) * (self.w[b][i] - mean[b]);
                let c = live.iter().map(|&i| prod(i)).sum::<f64>() / (n - 1) as f64;
                let var = live.iter().map(|&i| (prod(i) - c).powi(2)).sum::<f64>() / (n - 1) as f64;
                let s = (var / n as f64).sqrt();
                cov[(a, b)] = c;
                cov[(b, a)] = c;
                se[(a, b)] = s;
                se[(b, a)] = s;
            }
        }
        Some(Moments {
            n,
            mean,
            cov,
            cov_se: se,
        })
    }
}
