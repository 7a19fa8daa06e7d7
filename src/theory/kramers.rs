//! The Kramers escape rate from a well of curvature k_a over a barrier of height ΔL and
//! curvature k_b: Liu et al. Thm 9 (Eq. 23, discrete time) beside Xie et al.'s continuous rate
//! (Eq. 24), for a loss scaled by r (L → rL, so k_a, k_b and ΔL all scale by r).

use super::closed_form::{eq23_kramers, eq24_kramers};

/// The inputs of the Kramers problem.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Kramers {
    /// Learning rate λ.
    pub lr: f64,
    /// Minibatch size S (the noise is C = k/S).
    pub batch: f64,
    /// Barrier height ΔL of the unscaled loss.
    pub dl: f64,
    /// Curvature k_a of the well, unscaled.
    pub ka: f64,
    /// Curvature |k_b| of the barrier top, unscaled.
    pub kb: f64,
    /// Fraction l of the escape path at curvature k_a.
    pub l: f64,
    /// Loss scale r.
    pub r: f64,
}

impl Kramers {
    /// (ΔL, k_a, |k_b|) of the loss scaled by r.
    fn scaled(&self) -> (f64, f64, f64) {
        (self.r * self.dl, self.r * self.ka, self.r * self.kb)
    }

    /// Eq. (23) at scale r; `None` when λ r k_a ≥ 2 (no stationary distribution in the well).
    pub fn rate(&self) -> Option<f64> {
        let (dl, ka, kb) = self.scaled();
        eq23_kramers(self.lr, self.batch, dl, ka, kb, self.l)
    }

    /// Eq. (24) at scale r: γ_c = r|k_b|/(2π) · exp[−(2SΔL/λ)(l/k_a + (1 − l)/|k_b|)], whose
    /// exponent is the same at every r (ΔL, k_a and k_b all scale by r), so γ_c ∝ r; only
    /// γ_c/(r|k_b|), the plotted γ/|k_b|, is independent of r.
    pub fn rate_continuous(&self) -> f64 {
        let (dl, ka, kb) = self.scaled();
        eq24_kramers(self.lr, self.batch, dl, ka, kb, self.l)
    }
}
