//! What the three FDR panels share: the 2-D noisy quadratic they run on, its start, the exact
//! linear map, checkpoints, and a weighted power-law fit.

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

/// The FDR panels' model: 2-D, K = R(h_angle) diag(h1, h2) R(h_angle)ᵀ, white Gaussian noise
/// C = σ²I (constant, so that the exact finite-time theory and the runs' kernel apply).
pub fn normalized(p: &Params) -> Params {
    let mut q = p.clone();
    q.dim = 2;
    q.noise = Noise::White;
    q.opt = crate::optimizer::Opt::Sgd;
    q
}

/// The model of [`normalized`] parameters.
pub fn model(p: &Params) -> Model {
    (normalized(p)).model()
}

/// K and C as 2 × 2 matrices.
pub fn k_c(p: &Params) -> (Matrix2<f64>, Matrix2<f64>) {
    let m = model(p);
    let k = Matrix2::from_fn(|i, j| m.k[(i, j)]);
    let c = Matrix2::from_fn(|i, j| m.c[(i, j)]);
    (k, c)
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

/// The exact linear map at learning rate `lr` (momentum, dampening and the model from `p`).
pub fn linear(p: &Params, lr: f64) -> Linear2 {
    let (k, c) = k_c(p);
    Linear2::new(&k, &c, lr, p.mu, p.damp)
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

/// The largest stable learning rate of SGD with momentum μ and dampening ν on curvature
/// `k_max`: (1−ν)ηk < 2(1+μ) (Liu et al. Sec. 4.5 with Yaida's dampening).
pub fn lr_limit(p: &Params) -> f64 {
    let k_max = p.h1.max(p.h2).max(1e-12);
    2.0 * (1.0 + p.mu) / ((1.0 - p.damp) * k_max)
}

/// A weighted least-squares line y = a + b x with known standard errors of y: (a, b,
/// se(b), χ²/dof). The slope's error is scaled up by √(χ²/dof) when the points scatter more
/// than their errors say (so a curve that is not a line gets an honest, larger error).
/// `None` with fewer than 3 usable points.
pub fn fit_line(x: &[f64], y: &[f64], se: &[f64]) -> Option<(f64, f64, f64, f64)> {
    let pts: Vec<(f64, f64, f64)> = x
        .iter()
        .zip(y)
        .zip(se)
        .filter(|((x, y), s)| x.is_finite() && y.is_finite() && s.is_finite() && **s > 0.0)
        .map(|((x, y), s)| (*x, *y, 1.0 / (s * s)))
        .collect();
    if pts.len() < 3 {
        return None;
    }
    let sw: f64 = pts.iter().map(|p| p.2).sum();
    let sx: f64 = pts.iter().map(|p| p.2 * p.0).sum();
    let sy: f64 = pts.iter().map(|p| p.2 * p.1).sum();
    let (mx, my) = (sx / sw, sy / sw);
    let sxx: f64 = pts.iter().map(|p| p.2 * (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| p.2 * (p.0 - mx) * (p.1 - my)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let b = sxy / sxx;
    let a = my - b * mx;
    let chi2: f64 = pts.iter().map(|p| p.2 * (p.1 - a - b * p.0).powi(2)).sum();
    let dof = (pts.len() - 2) as f64;
    let red = chi2 / dof;
    let se_b = (1.0 / sxx).sqrt() * red.max(1.0).sqrt();
    Some((a, b, se_b, red))
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

    #[test]
    fn a_line_is_fitted_exactly() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let y: Vec<f64> = x.iter().map(|x| 1.0 - 2.0 * x).collect();
        let (a, b, se, _) = fit_line(&x, &y, &[0.1; 4]).unwrap();
        assert!((a - 1.0).abs() < 1e-12 && (b + 2.0).abs() < 1e-12 && se > 0.0);
    }
}
