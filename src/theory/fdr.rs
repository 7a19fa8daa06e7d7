//! Yaida's fluctuation–dissipation relations on the noisy quadratic model, exact.
//!
//! For SGD with momentum μ and dampening ν (Yaida Eqs. 10–11: v' = μv − (1−ν)∇f^B,
//! θ' = θ + ηv'; our buffer is m = −v), at stationarity:
//! - O_L = ⟨θ·∇f⟩ = Tr(KΣ);
//! - FDR1 (μ = ν = 0): ⟨θ·∇f⟩ = (η/2)⟨Tr C̃⟩ with C̃ = E[∇f^B ∇f^Bᵀ] = KΣK + C;
//! - FDR1': ⟨θ·∇f⟩ = (1+μ)/(2(1−ν)) η⟨v²⟩ = O_R;
//! - FDR2 (μ = ν = 0): ⟨(∇f)²⟩ = Tr(K²Σ) = (η/2)⟨Tr(H C̃)⟩, exact because every derivative of f
//!   beyond the second vanishes.
//!
//! These are the values a Monte Carlo estimate of the same observables must reproduce.

use super::Stationary;
use crate::model::Model;
use crate::optimizer::{Opt, Optimizer};
use serde::Serialize;

/// The stationary values of Yaida's observables.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Fdr {
    /// O_L = ⟨θ·∇f⟩ = Tr(KΣ).
    pub theta_grad: f64,
    /// ⟨Tr C̃⟩ = Tr(KΣK) + Tr C.
    pub tr_c_tilde: f64,
    /// (η/2)⟨Tr C̃⟩, FDR1's right-hand side (equal to O_L for μ = ν = 0).
    pub fdr1_rhs: f64,
    /// ⟨v²⟩ = Tr of the buffer's covariance.
    pub v_sq: f64,
    /// O_R = (1+μ)/(2(1−ν)) η⟨v²⟩, FDR1′'s right-hand side (equal to O_L).
    pub fdr1p_rhs: f64,
    /// ⟨(∇f)²⟩ = Tr(K²Σ), FDR2's left-hand side G(η).
    pub grad_sq: f64,
    /// (η/2)⟨Tr(K C̃)⟩, FDR2's right-hand side (equal to G for μ = ν = 0).
    pub fdr2_rhs: f64,
}

/// Yaida's observables for SGD with momentum and dampening at its stationary state; `None` for
/// other optimizers, whose buffer is not Yaida's v.
pub fn fdr(model: &Model, opt: &Optimizer, st: &Stationary) -> Option<Fdr> {
    if opt.opt != Opt::Sgd {
        return None;
    }
    let d = model.dim();
    let (k, s, lr) = (&model.k, &st.sigma, opt.lr);
    let c_tilde = k * s * k + &st.noise;
    let v_sq = st.full.view((d, d), (d, d)).trace();
    Some(Fdr {
        theta_grad: (k * s).trace(),
        tr_c_tilde: c_tilde.trace(),
        fdr1_rhs: lr / 2.0 * c_tilde.trace(),
        v_sq,
        fdr1p_rhs: (1.0 + opt.mu) / (2.0 * (1.0 - opt.damp)) * lr * v_sq,
        grad_sq: (k * k * s).trace(),
        fdr2_rhs: lr / 2.0 * (k * c_tilde).trace(),
    })
}
