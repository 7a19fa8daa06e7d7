//! SGD as approximate Bayesian inference (Liu et al. Sec. 6.1, after Mandt et al.): the KL
//! divergence between SGD's stationary Gaussian and the posterior N(0, (NK)⁻¹), and the
//! learning rate that minimises it — the root of Thm 6's Eq. (16) — beside Mandt et al.'s
//! λ* = 2SD/(N Tr K).

use super::closed_form::eq16;
use super::stationary;
use crate::model::Model;
use crate::optimizer::Optimizer;
use nalgebra::DMatrix;

/// The minibatch noise of Thm 6: C = (N−S)/(NS) K.
pub fn minibatch_noise(k: &DMatrix<f64>, n: f64, s: f64) -> DMatrix<f64> {
    k * ((n - s) / (n * s))
}

/// D_KL(q ‖ p) = ½[N Tr(KΣ) − D − ln det(N K Σ)] between q = N(0, Σ), Σ the exact stationary
/// covariance of plain SGD at learning rate λ with C = (N−S)/(NS) K (general solver), and the
/// posterior p = N(0, (NK)⁻¹) of Eq. (15). `None` without a stationary state or with Σ singular.
pub fn kl(k: &DMatrix<f64>, n: f64, s: f64, lr: f64) -> Option<f64> {
    let d = k.nrows();
    let model = Model::new(k.clone(), minibatch_noise(k, n, s));
    let st = stationary(&model, &Optimizer::sgd(lr, 0.0, d)).ok()?;
    let m = k * &st.sigma * n;
    let det = m.determinant();
    if det.is_nan() || det <= 0.0 {
        return None;
    }
    Some(0.5 * (m.trace() - d as f64 - det.ln()))
}

/// The root of Eq. (16) in (0, 2/k_max) by bisection: the KL-optimal learning rate for Hessian
/// eigenvalues `ks`, N data and minibatch S. `None` if S ≥ N (no noise) or no eigenvalue is
/// positive.
pub fn optimal_lr(ks: &[f64], n: f64, s: f64) -> Option<f64> {
    let k_max = ks.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if !(s < n && k_max > 0.0 && ks.iter().all(|k| *k > 0.0)) {
        return None;
    }
    // Eq. 16 → −∞ as λ → 0⁺ and → +∞ as λ → 2/k_max⁻ (the second term dominates for N > S).
    root_below_stability(|lr| eq16(ks, n, s, lr), k_max)
}

/// The root of an increasing-through-zero `f` in (0, 2/k_max), by bisection to 1e-15
/// relative; `None` unless f < 0 near 0 and f > 0 near 2/k_max.
pub fn root_below_stability(f: impl Fn(f64) -> f64, k_max: f64) -> Option<f64> {
    let (mut lo, mut hi) = (1e-12 / k_max, 2.0 / k_max * (1.0 - 1e-12));
    if !(f(lo) < 0.0 && f(hi) > 0.0) {
        return None;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > 0.0 {
            hi = mid;
        } else {
            lo = mid;
        }
        if hi - lo <= 1e-15 * hi {
            break;
        }
    }
    Some(0.5 * (lo + hi))
}

/// The Hessian eigenvalues of K (for Eq. 16).
pub fn eigenvalues(k: &DMatrix<f64>) -> Vec<f64> {
    crate::linalg::sym_eigenvalues(k).map_or(Vec::new(), |e| e.iter().cloned().collect())
}
