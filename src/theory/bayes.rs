//! SGD as approximate Bayesian inference (Liu et al. Sec. 6.1, after Mandt et al.): the KL
//! divergence between SGD's stationary Gaussian and the posterior N(0, (NK)⁻¹), and the
//! learning rate that minimises it — the root of Thm 6's Eq. (16) — beside Mandt et al.'s
//! λ* = 2SD/(N Tr K). With K and C = fK diagonal in one basis (a list of Hessian eigenvalues,
//! e.g. a measured spectrum) every eigenmode is an independent 1-D problem, and the KL and its
//! minimiser cost O(D) ([`kl_modes`], [`optimal_lr_with_factor`]).

use super::closed_form::eq16;
use super::stationary;
use crate::model::Model;
use crate::optimizer::Optimizer;
use nalgebra::DMatrix;

/// The minibatch noise of Thm 6: C = (N−S)/(NS) K.
pub fn minibatch_noise(k: &DMatrix<f64>, n: f64, s: f64) -> DMatrix<f64> {
    k * thm6_factor(n, s)
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

/// Thm 6's noise factor f = (N−S)/(NS): minibatches of S drawn from N data give C = fK.
pub fn thm6_factor(n: f64, s: f64) -> f64 {
    (n - s) / (n * s)
}

/// The exact factor f of sampling S of N points without replacement, C = fK:
/// (N−S)/(S(N−1)).
pub fn without_replacement_factor(n: f64, s: f64) -> f64 {
    if n > 1.0 {
        (n - s) / (s * (n - 1.0))
    } else {
        0.0
    }
}

/// D_KL(q ‖ p) of Thm 6 for Hessian eigenvalues `ks` and noise C = fK (Thm 6: f = (N−S)/(NS),
/// [`thm6_factor`]), mode by mode with the exact stationary variance σᵢ² = λf/(2 − λkᵢ) of SGD
/// (Thm 1 per eigenmode, Eq. 52): ½Σᵢ[N kᵢ σᵢ² − 1 − ln(N kᵢ σᵢ²)], in O(D) (its test oracle
/// is [`kl`], the general solver in D dimensions). `None` without a stationary state
/// (λk_max ≥ 2).
pub fn kl_modes(ks: &[f64], n: f64, f: f64, lr: f64) -> Option<f64> {
    let mut sum = 0.0;
    for &k in ks {
        if lr * k >= 2.0 || lr.is_nan() {
            return None;
        }
        let x = n * k * lr * f / (2.0 - lr * k);
        sum += x - 1.0 - x.ln();
    }
    let v = 0.5 * sum;
    v.is_finite().then_some(v)
}

/// [`kl_modes`] for the continuous-time stationary state Σ = λ/2 K⁻¹C = λf/2 I (Eq. 1).
pub fn kl_modes_continuous(ks: &[f64], n: f64, f: f64, lr: f64) -> Option<f64> {
    let mut sum = 0.0;
    for &k in ks {
        let x = n * k * lr * f / 2.0;
        sum += x - 1.0 - x.ln();
    }
    let v = 0.5 * sum;
    v.is_finite().then_some(v)
}

/// The minimiser of [`kl_modes`] for noise C = fK: the root in (0, 2/k_max) of
/// Nf Σᵢ 2kᵢ/(2 − λkᵢ)² − Σᵢ kᵢ/(2 − λkᵢ) − D/λ (the derivative of 2·D_KL), by bisection. With
/// f = (N−S)/(NS) this is exactly Eq. (16) (regrouped; [`optimal_lr`]). `None` if f ≤ 0 or an
/// eigenvalue is not positive.
pub fn optimal_lr_with_factor(ks: &[f64], n: f64, f: f64) -> Option<f64> {
    let k_max = ks.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if !(f > 0.0 && k_max > 0.0 && ks.iter().all(|k| *k > 0.0)) {
        return None;
    }
    let d = ks.len() as f64;
    let g = |lr: f64| {
        let (mut a, mut b) = (0.0, 0.0);
        for &k in ks {
            let r = 2.0 - lr * k;
            a += 2.0 * k / (r * r);
            b += k / r;
        }
        n * f * a - b - d / lr
    };
    root_below_stability(g, k_max)
}

/// The minimiser of [`kl_modes_continuous`] with Thm 6's noise: 2SD/((N−S) Tr K), Mandt et
/// al.'s λ* with N − S for N. `None` if S ≥ N (no noise).
pub fn optimal_lr_continuous(ks: &[f64], n: f64, s: f64) -> Option<f64> {
    let d = ks.len() as f64;
    let tr_k: f64 = ks.iter().sum();
    (s < n).then(|| 2.0 * s * d / ((n - s) * tr_k))
}

/// A measured diagonal model for Thm 6 beyond C ∝ K: curvatures hᵢ, per-example gradient-noise
/// variances cᵢ (the noise of a minibatch step is cᵢ·f) and weights wᵢ (how many directions a
/// row stands for; `None`: one each). Thm 6 is the case cᵢ = hᵢ (Fisher = Hessian); directions
/// with hᵢ = 0 have no proper posterior and are left out.
#[derive(Clone, Copy, Debug)]
pub struct Measured<'a> {
    /// Curvatures hᵢ ≥ 0.
    pub h: &'a [f64],
    /// Per-example noise variances cᵢ ≥ 0.
    pub c: &'a [f64],
    /// Multiplicities (`None`: 1 each).
    pub w: Option<&'a [f64]>,
}

impl Measured<'_> {
    /// The directions that enter the KL: (hᵢ, cᵢ, wᵢ) with hᵢ > 0.
    fn rows(&self) -> impl Iterator<Item = (f64, f64, f64)> + '_ {
        let w = |i: usize| self.w.map_or(1.0, |w| w[i]);
        (0..self.h.len())
            .map(move |i| (self.h[i], self.c[i], w(i)))
            .filter(|(h, _, _)| *h > 0.0)
    }

    fn h_max(&self) -> f64 {
        self.rows().map(|r| r.0).fold(0.0, f64::max)
    }
}

/// D_KL(q ‖ p) of Thm 6 for a measured model, q the exact stationary Gaussian of SGD (Thm 1
/// per direction, σᵢ² = λfcᵢ/(hᵢ(2 − λhᵢ))) and p = N(0, (NK)⁻¹) (Eq. 15):
/// ½Σᵢ wᵢ[xᵢ − 1 − ln xᵢ] with xᵢ = N hᵢ σᵢ² = Nλfcᵢ/(2 − λhᵢ). With cᵢ = hᵢ it is
/// [`kl_modes`]. `None` without a stationary state (λh_max ≥ 2) or if some cᵢ = 0.
pub fn kl_measured(m: &Measured, n: f64, f: f64, lr: f64) -> Option<f64> {
    let mut sum = 0.0;
    for (h, c, w) in m.rows() {
        if lr * h >= 2.0 || lr.is_nan() {
            return None;
        }
        let x = n * lr * f * c / (2.0 - lr * h);
        sum += w * (x - 1.0 - x.ln());
    }
    let v = 0.5 * sum;
    v.is_finite().then_some(v)
}

/// [`kl_measured`] for the continuous-time stationary state σᵢ² = λfcᵢ/(2hᵢ) (Eq. 1):
/// xᵢ = Nλfcᵢ/2.
pub fn kl_measured_continuous(m: &Measured, n: f64, f: f64, lr: f64) -> Option<f64> {
    let sum: f64 = (m.rows())
        .map(|(_, c, w)| {
            let x = n * lr * f * c / 2.0;
            w * (x - 1.0 - x.ln())
        })
        .sum();
    let v = 0.5 * sum;
    v.is_finite().then_some(v)
}

/// The minimiser of [`kl_measured`]: the root in (0, 2/h_max) of
/// Nf Σᵢ 2wᵢcᵢ/(2 − λhᵢ)² − Σᵢ wᵢhᵢ/(2 − λhᵢ) − D/λ (D = Σwᵢ), Eq. (16) with cᵢ in place of kᵢ
/// in its first sum (with cᵢ = hᵢ it is [`optimal_lr_with_factor`]). `None` if f ≤ 0 or some
/// cᵢ = 0.
pub fn optimal_lr_measured(m: &Measured, n: f64, f: f64) -> Option<f64> {
    let h_max = m.h_max();
    if !(f > 0.0 && h_max > 0.0 && m.rows().all(|(_, c, _)| c > 0.0)) {
        return None;
    }
    let g = |lr: f64| {
        let (mut a, mut b, mut d) = (0.0, 0.0, 0.0);
        for (h, c, w) in m.rows() {
            let r = 2.0 - lr * h;
            a += 2.0 * w * c / (r * r);
            b += w * h / r;
            d += w;
        }
        n * f * a - b - d / lr
    };
    root_below_stability(g, h_max)
}

/// The minimiser of [`kl_measured_continuous`]: λ = 2D/(Nf Σᵢwᵢcᵢ) (Mandt et al.'s λ* with
/// f = (N−S)/(NS) and cᵢ = hᵢ). `None` if f ≤ 0.
pub fn optimal_lr_measured_continuous(m: &Measured, n: f64, f: f64) -> Option<f64> {
    let (d, wc) = (m.rows()).fold((0.0, 0.0), |(d, wc), (_, c, w)| (d + w, wc + w * c));
    let lr = 2.0 * d / (n * f * wc);
    (f > 0.0 && lr.is_finite() && lr > 0.0).then_some(lr)
}
