//! The 2-D noisy quadratic model with diagonal Hessian and noise, and an optional quartic term
//! — Yaida's (2019) test bed for FDR2 (Sec. 3.2) and the blog post's loss band (seed 000) — with
//! its exact moments under SGD, coordinate by coordinate.
//!
//! f(θ) = Σᵢ ½hᵢθᵢ² + (g/4)θᵢ⁴, minibatch gradient ∇f(θ) + n with n ~ N(0, C), C = diag(c)
//! (the panels take C = σ²I + aK). SGD is θ' = θ − η(∇f(θ) + n); the Monte Carlo of this model
//! is [`crate::sim::diagonal`].
//!
//! Without the quartic term the coordinates are independent AR(1) processes,
//! θᵢ' = rᵢθᵢ − ηnᵢ with rᵢ = 1 − ηhᵢ, so from θ = 0
//!
//! Var θᵢ(t) = sᵢ(1 − rᵢ^{2t}),  sᵢ = ηcᵢ / (hᵢ(2 − ηhᵢ))
//!
//! (Liu, Ziyin & Ueda 2021, Cor. 3 in one dimension), every average over a window of steps is a
//! geometric sum, and the stationary loss has the autocovariance
//! Cov(f_t, f_{t+k}) = ½Σᵢ(hᵢsᵢ)²rᵢ^{2k}. The stationary values themselves come from the
//! general solvers ([`super::stationary`], [`super::continuous`]), of which these closed forms
//! are the time-dependent completion.

use super::fdr::fdr;
use super::{continuous, stationary};
use crate::model::Model;
use crate::optimizer::Optimizer;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// The model: K = diag(h), C = diag(c), quartic strength g.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiagonalNqm {
    /// Hessian eigenvalues at the minimum (K = diag(h)).
    pub h: [f64; 2],
    /// Noise variances (C = diag(c)).
    pub c: [f64; 2],
    /// Quartic strength g of (g/4)Σᵢθᵢ⁴ (0 for the quadratic).
    pub g: f64,
}

impl DiagonalNqm {
    /// K = diag(h) with noise C = σ²I + aK and quartic strength g.
    pub fn new(h: [f64; 2], sigma2: f64, a: f64, g: f64) -> DiagonalNqm {
        DiagonalNqm {
            h,
            c: [sigma2 + a * h[0], sigma2 + a * h[1]],
            g,
        }
    }

    /// Its quadratic part as a [`Model`].
    pub fn model(&self) -> Model {
        Model::diagonal(&self.h, &self.c)
    }

    /// Tr(KC), twice the small-η slope of ⟨(∇f)²⟩ (Yaida's FDR2 at η → 0).
    pub fn tr_kc(&self) -> f64 {
        self.h[0] * self.c[0] + self.h[1] * self.c[1]
    }

    /// The loss at θ.
    pub fn loss(&self, x: [f64; 2]) -> f64 {
        (0..2)
            .map(|i| 0.5 * self.h[i] * x[i] * x[i] + 0.25 * self.g * x[i].powi(4))
            .sum()
    }

    /// ∂ᵢf at θᵢ = `x`: hᵢx + gx³.
    pub fn gradient(&self, i: usize, x: f64) -> f64 {
        self.h[i] * x + self.g * x * x * x
    }

    /// ∂ᵢ²f at θᵢ = `x`: hᵢ + 3gx² (the Hessian is diagonal).
    pub fn curvature(&self, i: usize, x: f64) -> f64 {
        self.h[i] + 3.0 * self.g * x * x
    }

    /// Whether SGD at `lr` has a stationary state on the quadratic part: 0 < ηhᵢ < 2.
    pub fn stable(&self, lr: f64) -> bool {
        self.h.iter().all(|&h| h > 0.0 && lr * h < 2.0)
    }

    /// The exact stationary ⟨(∇f)²⟩ = Tr(K²Σ) of the quadratic part (from [`fdr`]); `None`
    /// without a stationary state.
    pub fn grad_sq_stationary(&self, lr: f64) -> Option<f64> {
        let model = self.model();
        let opt = Optimizer::sgd(lr, 0.0, 2);
        let st = stationary(&model, &opt).ok()?;
        fdr(&model, &opt, &st).map(|f| f.grad_sq)
    }

    /// The exact expectation, on the quadratic part, of Yaida's half-running average (Eq. 15)
    /// of |∇f|² at t = `steps` for runs started at θ = 0: the mean of Tr(K²Σ_j) over the states
    /// j = t₀ … t − 1, t₀ = ⌊t/2⌋. `None` when some ηhᵢ ∉ [0, 2) (hᵢ = 0 does not enter), or
    /// the window is empty.
    pub fn grad_sq_half_running(&self, lr: f64, steps: u64) -> Option<f64> {
        let t0 = steps / 2;
        self.window_mean(self.h.map(|h| h * h), lr, t0, steps - t0)
    }

    /// The exact stationary mean ½Tr(KΣ) and standard deviation √(½Tr[(KΣ)²]) of the loss of
    /// the quadratic part (for θ ~ N(0, Σ), f = ½Σμᵢzᵢ² with μᵢ the eigenvalues of KΣ), Σ from
    /// the exact discrete theory; `None` without a stationary state.
    pub fn loss_band(&self, lr: f64) -> Option<(f64, f64)> {
        if !self.stable(lr) {
            return None;
        }
        let model = self.model();
        let st = stationary(&model, &Optimizer::sgd(lr, 0.0, 2)).ok()?;
        Some(band(&model.k, &st.sigma))
    }

    /// The same from the continuous-time (harmonic) stationary covariance Σ_c,
    /// KΣ_c + Σ_cK = ηC: mean (η/4)Tr C, standard deviation √(½Tr[(KΣ_c)²]).
    pub fn loss_band_continuous(&self, lr: f64) -> Option<(f64, f64)> {
        if !self.stable(lr) {
            return None;
        }
        let model = self.model();
        let s = continuous(&model, &Optimizer::sgd(lr, 0.0, 2))?;
        Some(band(&model.k, &s))
    }

    /// hᵢsᵢ = ηcᵢ/(2 − ηhᵢ) and rᵢ² = (1 − ηhᵢ)² per coordinate.
    fn coordinates(&self, lr: f64) -> [(f64, f64); 2] {
        [0, 1].map(|i| {
            let (h, c) = (self.h[i], self.c[i]);
            (lr * c / (2.0 - lr * h), (1.0 - lr * h) * (1.0 - lr * h))
        })
    }

    /// A burn-in for runs from θ = 0: the t with max rᵢ^{2t} ≤ 10⁻⁶ (the transient of the
    /// variances below 10⁻⁶ of their stationary values), at most `steps`.
    pub fn burn_in(&self, lr: f64, steps: u64) -> u64 {
        if !self.stable(lr) {
            return 0;
        }
        let r2 = self.coordinates(lr).iter().map(|d| d.1).fold(0.0, f64::max);
        if r2 <= 0.0 {
            return 0;
        }
        let t = (1e-6f64.ln() / r2.ln()).ceil();
        if t.is_finite() && t < steps as f64 {
            t.max(0.0) as u64
        } else {
            steps
        }
    }

    /// The exact expected loss of the quadratic part averaged over the states
    /// t = `burn` … `burn + steps − 1` of a run from θ = 0; `None` without a stationary state
    /// or with `steps` = 0.
    pub fn loss_window_mean(&self, lr: f64, burn: u64, steps: u64) -> Option<f64> {
        if !self.stable(lr) {
            return None;
        }
        self.window_mean(self.h.map(|h| 0.5 * h), lr, burn, steps)
    }

    /// Σᵢ wᵢ × the mean of Var θᵢ(j) over j = `start` … `start + len − 1` from θ = 0:
    /// per coordinate sᵢ[1 − rᵢ^{2·start}(1 − rᵢ^{2L})/(L(1 − rᵢ²))], 1 − rᵢ² = ηhᵢ(2 − ηhᵢ).
    /// Coordinates of weight 0 do not enter; `None` when another has ηhᵢ ∉ [0, 2), or L = 0.
    fn window_mean(&self, weights: [f64; 2], lr: f64, start: u64, len: u64) -> Option<f64> {
        if len == 0 {
            return None;
        }
        let n = len as f64;
        let mut total = 0.0;
        for (i, &weight) in weights.iter().enumerate() {
            let (h, c) = (self.h[i], self.c[i]);
            if weight == 0.0 {
                continue;
            }
            let x = lr * h;
            if !(0.0..2.0).contains(&x) {
                return None;
            }
            let r2 = (1.0 - x) * (1.0 - x);
            let s = lr * c / (h * (2.0 - x));
            let transient = r2.powf(start as f64) * (1.0 - r2.powf(n)) / (n * x * (2.0 - x));
            total += weight * s * (1.0 - transient);
        }
        Some(total)
    }

    /// The integrated autocorrelation time of the stationary loss of the quadratic part,
    /// τ = Σ_{k∈ℤ} Corr(f_t, f_{t+k}) = Σᵢwᵢ(1 + rᵢ²)/(1 − rᵢ²) / Σᵢwᵢ, wᵢ = (hᵢsᵢ)².
    pub fn loss_autocorrelation_time(&self, lr: f64) -> Option<f64> {
        if !self.stable(lr) {
            return None;
        }
        let (mut num, mut den) = (0.0, 0.0);
        for (hs, r2) in self.coordinates(lr) {
            let w = hs * hs;
            num += w * (1.0 + r2) / (1.0 - r2);
            den += w;
        }
        (den > 0.0).then(|| num / den)
    }

    /// The exact standard error of the loss averaged over `steps` stationary steps, for large
    /// `steps`: √(Var f · τ / steps).
    pub fn loss_time_average_se(&self, lr: f64, steps: u64) -> Option<f64> {
        let (_, sd) = self.loss_band(lr)?;
        let tau = self.loss_autocorrelation_time(lr)?;
        (steps > 0).then(|| sd * (tau / steps as f64).sqrt())
    }
}

/// ½Tr(KΣ) and √(½Tr[(KΣ)²]).
fn band(k: &DMatrix<f64>, s: &DMatrix<f64>) -> (f64, f64) {
    let ks = k * s;
    (
        0.5 * ks.trace(),
        (0.5 * (&ks * &ks).trace()).max(0.0).sqrt(),
    )
}
