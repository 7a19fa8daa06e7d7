//! Non-equilibrium stationary states (Chaudhari & Soatto, ICLR 2018): with noise that is not
//! isotropic, SGD's stationary distribution N(0, Σ) defines a potential Φ(w) = ½ wᵀΣ⁻¹w (in
//! units of the temperature) that differs from the loss f, and a probability current
//! circulates. For a linear model both are exact:
//! - Φ ∝ f iff Σ⁻¹ ∝ K, i.e. (continuous time) iff C ∝ I — their Lemma 6;
//! - detailed balance holds iff the lag-one covariance X = E[w_{t+1} w_tᵀ] is symmetric; the
//!   current is J(w) = ρ(w) Ω Σ⁻¹ w with Ω = (X − Xᵀ)/2, and the mean circulation
//!   E[w_t × w_{t+1}] = X₂₁ − X₁₂ (2-D). In discrete time X = [A P]_ww (the update map times the
//!   state covariance); in continuous time, at lag one step, X = e^{−EK} Σ_c. Both vanish iff
//!   [Σ, K] = 0, i.e. iff [C, K] = 0 (Liu et al. Lemma 1).

use super::Stationary;
use crate::model::Model;
use crate::optimizer::Optimizer;
use nalgebra::DMatrix;

/// The stationary state's potential and current.
#[derive(Clone, Debug, PartialEq)]
pub struct Current {
    /// The potential's matrix Σ⁻¹/2 (Φ(w) = wᵀ (Σ⁻¹/2) w).
    pub potential: DMatrix<f64>,
    /// Whether Φ is proportional to f = ½wᵀKw (Σ⁻¹ ∝ K to 1e-9).
    pub potential_matches_loss: bool,
    /// The lag-one covariance X = E[w_{t+1} w_tᵀ].
    pub lag_one: DMatrix<f64>,
    /// The current's velocity matrix Ω Σ⁻¹ (J(w) = ρ(w) Ω Σ⁻¹ w).
    pub velocity: DMatrix<f64>,
    /// E[w_t × w_{t+1}] = X₂₁ − X₁₂ (2-D; 0 in 1-D).
    pub circulation: f64,
}

/// Whether two symmetric matrices are proportional to relative accuracy `tol`.
fn proportional(a: &DMatrix<f64>, b: &DMatrix<f64>, tol: f64) -> bool {
    let (na, nb) = (a.norm(), b.norm());
    if na == 0.0 || nb == 0.0 {
        return false;
    }
    (a / na - b / nb).norm() < tol
}

fn assemble(sigma: &DMatrix<f64>, k: &DMatrix<f64>, x: DMatrix<f64>) -> Option<Current> {
    let inv = sigma.clone().try_inverse()?;
    let omega = (&x - x.transpose()) * 0.5;
    let circulation = if x.nrows() == 2 {
        x[(1, 0)] - x[(0, 1)]
    } else {
        0.0
    };
    Some(Current {
        potential_matches_loss: proportional(&inv, k, 1e-9),
        potential: &inv * 0.5,
        velocity: omega * &inv,
        lag_one: x,
        circulation,
    })
}

/// Potential and current of the exact discrete-time stationary state.
pub fn discrete(model: &Model, st: &Stationary) -> Option<Current> {
    let d = model.dim();
    let x = (&st.map.a * &st.full).view((0, 0), (d, d)).into_owned();
    assemble(&st.sigma, &model.k, x)
}

/// Potential and current of the continuous-time counterpart with covariance `sigma_c`, at a lag
/// of one step (X = e^{−EK} Σ_c).
pub fn continuous(model: &Model, opt: &Optimizer, sigma_c: &DMatrix<f64>) -> Option<Current> {
    let e = opt.effective_lr(&model.k, sigma_c, &model.noise(sigma_c))?;
    let x = (&e * &model.k * -1.0).exp() * sigma_c;
    assemble(sigma_c, &model.k, x)
}
