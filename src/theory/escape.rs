//! Escape from a sharp minimum, first kind: the escaping efficiency E(t) = E[L(w_t) − L(w_0)]
//! of Zhu et al., Liu et al. Eq. (17), exact for any optimizer from the covariance recursion,
//! beside the continuous-time value; Eqs. (18) and (19) are its closed-form checks.

use super::lyapunov;
use super::{expected_loss, state_noise_op, stationary};
use crate::model::Model;
use crate::optimizer::Optimizer;
use nalgebra::DMatrix;

/// The Σ at which the optimizer's map is taken: the stationary one for NGD and Adam (the
/// paper's idealisation; `None` if it does not exist), irrelevant (zero) for the others.
fn map_sigma(model: &Model, opt: &Optimizer) -> Option<DMatrix<f64>> {
    let d = model.dim();
    if opt.opt.depends_on_sigma() {
        Some(stationary(model, opt).ok()?.sigma)
    } else {
        Some(DMatrix::zeros(d, d))
    }
}

/// The exact covariance of the whole state after `t` steps from state covariance `p0`:
/// P_t = A P_{t-1} Aᵀ + c_f·G P_{t-1} Gᵀ + B C₀ Bᵀ. For NGD and Adam the map is taken at its
/// stationary Σ (the paper's idealisation); `None` if that does not exist.
pub fn state_covariance_after(
    model: &Model,
    opt: &Optimizer,
    p0: &DMatrix<f64>,
    t: u64,
) -> Option<DMatrix<f64>> {
    let sigma = map_sigma(model, opt)?;
    let map = opt.state_space(&model.k, &sigma, &model.noise(&sigma))?;
    let q = &map.b * &model.c * map.b.transpose();
    Some(lyapunov::stein_after(
        &map.a,
        state_noise_op(&map, model).as_ref(),
        &q,
        p0,
        t,
    ))
}

/// The covariance of the weights after `t` steps from the minimum (w = 0, empty momentum).
pub fn sigma_after(model: &Model, opt: &Optimizer, t: u64) -> Option<DMatrix<f64>> {
    let d = model.dim();
    let p = state_covariance_after(model, opt, &DMatrix::zeros(2 * d, 2 * d), t)?;
    Some(p.view((0, 0), (d, d)).into_owned())
}

/// The exact escaping efficiency E(t) = ½Tr[K Σ_t] from the minimum (Eq. 17).
pub fn escape_discrete(model: &Model, opt: &Optimizer, t: u64) -> Option<f64> {
    sigma_after(model, opt, t).map(|s| expected_loss(&model.k, &s))
}

/// The continuous-time escaping efficiency: ½Tr[K Σ_c(t)] for the optimizer's continuous
/// counterpart started at the minimum (Eq. 19 for SGD). For NGD and Adam the effective learning
/// rate is taken at the discrete stationary Σ.
pub fn escape_continuous(model: &Model, opt: &Optimizer, t: f64) -> Option<f64> {
    let sigma = map_sigma(model, opt)?;
    let e = opt.effective_lr(&model.k, &sigma, &model.noise(&sigma))?;
    let m = &e * &model.k;
    let r = &e * &model.c * e.transpose();
    let extra = model.noise_op().map(|l| e.kronecker(&e) * l);
    let s = lyapunov::continuous_after(&m, extra.as_ref(), &r, t)?;
    Some(expected_loss(&model.k, &s))
}
