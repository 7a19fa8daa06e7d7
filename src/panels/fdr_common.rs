//! The setting the three FDR panels (`fdr1`, `fdr-schedule`, `fdr-variance`) share: their
//! default 2-D noisy quadratic with white noise, the start away from the minimum, the exact
//! linear map of that setting, and their grids of whole times.

use crate::model::Model;
use crate::params::{Noise, Params};
use crate::theory::fdr_finite::Linear2;
use nalgebra::{Matrix2, Vector2, Vector4};

/// The setting the three FDR panels share by default: K = diag(1, 0.1), white noise σ² = 1,
/// η = 0.1, plain SGD (μ = ν = 0). Each panel then sets its own start and sample size.
pub fn defaults(p: &mut Params) {
    p.dim = 2;
    p.lr = 0.1;
    p.mu = 0.0;
    p.damp = 0.0;
    p.h1 = 1.0;
    p.h2 = 0.1;
    p.sigma2 = 1.0;
}

/// The FDR panels' setting: 2-D, K = R(h_angle) diag(h1, h2) R(h_angle)ᵀ, white Gaussian noise
/// C = σ²I (constant, so that the exact finite-time theory and the runs' kernel apply), SGD
/// with momentum μ and dampening ν.
pub fn normalized(p: &Params) -> Params {
    let mut q = p.clone();
    q.dim = 2;
    q.noise = Noise::White;
    q.opt = crate::optimizer::Opt::Sgd;
    q
}

/// K and C of `model` as 2 × 2 matrices.
pub fn k_c(model: &Model) -> (Matrix2<f64>, Matrix2<f64>) {
    let k = Matrix2::from_fn(|i, j| model.k[(i, j)]);
    let c = Matrix2::from_fn(|i, j| model.c[(i, j)]);
    (k, c)
}

/// The exact linear map of the setting `p` ([`normalized`]) at its learning rate.
pub fn linear(p: &Params) -> Linear2 {
    let (k, c) = k_c(&normalized(p).model());
    Linear2::new(&k, &c, p.lr, p.mu, p.damp)
}

/// The largest curvature of the setting, max(h1, h2).
pub fn k_max(p: &Params) -> f64 {
    p.h1.max(p.h2)
}

/// The start: distance `w0` from the minimum along the diagonal of K's eigenbasis,
/// w₀·R(h_angle)(1, 1)/√2, so that both eigen-directions start displaced.
pub fn start(p: &Params) -> Vector2<f64> {
    let r = crate::linalg::rotation(p.h_angle);
    r * Vector2::new(1.0, 1.0) * (p.w0 / 2f64.sqrt())
}

/// The start as a state (weights, empty buffer).
pub fn start_state(p: &Params) -> Vector4<f64> {
    let w = start(p);
    Vector4::new(w[0], w[1], 0.0, 0.0)
}

/// `n` increasing whole times from 1 to `last`, evenly spaced in log (`log`) or linearly;
/// fewer when `last` < `n`.
pub fn times(last: u64, n: usize, log: bool) -> Vec<u64> {
    let last = last.max(1);
    let n = n.min(last as usize).max(1);
    let mut out: Vec<u64> = Vec::with_capacity(n);
    for i in 0..n {
        let f = if n == 1 {
            1.0
        } else {
            i as f64 / (n - 1) as f64
        };
        let t = if log {
            (last as f64).powf(f).round() as u64
        } else {
            (1.0 + f * (last as f64 - 1.0)).round() as u64
        };
        let floor = out.last().map_or(1, |&l| l + 1);
        out.push(t.max(floor));
    }
    // Pushing up may have overshot the end: pull the tail back below it.
    for i in (0..n).rev() {
        let cap = last - (n - 1 - i) as u64;
        if out[i] > cap {
            out[i] = cap;
        }
    }
    out
}

/// Whole times as the abscissae of a plot.
pub fn as_x(times: &[u64]) -> Vec<f64> {
    times.iter().map(|&t| t as f64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_increasing_and_end_at_the_last() {
        for (last, n, log) in [
            (10_000, 30, true),
            (200, 4, true),
            (5, 10, true),
            (1000, 25, false),
        ] {
            let t = times(last, n, log);
            assert!(t.windows(2).all(|w| w[0] < w[1]), "{t:?}");
            assert_eq!(*t.last().unwrap(), last);
            assert_eq!(t[0], 1);
            assert_eq!(t.len(), n.min(last as usize));
        }
    }
}
