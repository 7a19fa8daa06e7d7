//! Escape from a sharp minimum, first kind: the escaping efficiency E(t) = E[L(w_t) − L(w_0)]
//! of Zhu et al., Liu et al. Eq. (17), exact for any optimizer from the covariance recursion,
//! beside the continuous-time value; Eqs. (18) and (19) are its closed-form checks. Per
//! eigenmode (K and C diagonal in one basis, e.g. a power-law or a measured spectrum), Eqs. (18)
//! and (19) give E(t) in O(D), which Thm 8's comparison of anisotropic with isotropic noise
//! uses.

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

/// The exact escaping efficiency E(t) = ½Tr[K Σ_t] from the minimum (Eq. 17) at every t of
/// `ts` (sorted, from 0), by one pass of the covariance recursion of
/// [`state_covariance_after`]; `None` at a time where the recursion has no map.
pub fn escape_discrete_at(model: &Model, opt: &Optimizer, ts: &[u64]) -> Vec<Option<f64>> {
    let d = model.dim();
    let mut state = DMatrix::zeros(2 * d, 2 * d);
    let mut now = 0;
    ts.iter()
        .map(|&t| {
            if t > now {
                state = state_covariance_after(model, opt, &state, t - now)?;
                now = t;
            }
            Some(expected_loss(
                &model.k,
                &state.view((0, 0), (d, d)).into_owned(),
            ))
        })
        .collect()
}

/// The exact escaping efficiency of plain SGD per eigenmode and per unit noise: φ(k) with
/// E(t) = Σᵢ φ(kᵢ) cᵢ when K and C are diagonal in one basis (eigenvalues kᵢ and cᵢ). Eq. 18
/// per mode, φ = (λ²k/2) Σ_{s<t} (1 − λk)^{2s} = (λ/4)(1 − (1 − λk)^{2t})/(1 − λk/2),
/// evaluated without cancellation for small λk (and valid for λk > 2 too, where it grows with
/// t).
pub fn per_mode_discrete(k: f64, lr: f64, t: u64) -> f64 {
    let x = lr * k;
    let t = t as f64;
    if x == 0.0 {
        return 0.0;
    }
    let one_minus_q = x * (2.0 - x);
    if one_minus_q == 0.0 {
        // λk = 2: (1 − λk)² = 1, the geometric sum is t.
        return lr * lr * k / 2.0 * t;
    }
    // q^t = exp(2t ln|1 − λk|), with ln1p for λk < 1 (small k).
    let ln_abs = if x < 1.0 {
        (-x).ln_1p()
    } else {
        (x - 1.0).ln()
    };
    let one_minus_qt = -(2.0 * t * ln_abs).exp_m1();
    lr * lr * k / 2.0 * one_minus_qt / one_minus_q
}

/// Zhu et al.'s continuous-time escaping efficiency per eigenmode and per unit noise (Eq. 19
/// per mode): φ_c(k) = (λ/4)(1 − e^{−2λkt}).
pub fn per_mode_continuous(k: f64, lr: f64, t: u64) -> f64 {
    -lr / 4.0 * (-2.0 * lr * k * t as f64).exp_m1()
}

/// Thm 8's comparison of anisotropic noise with its isotropic version, for every dimension D
/// in `ds` (sorted): the ratio E(C)/E(C̄) = D Σᵢ φᵢcᵢ / (Σᵢ φᵢ Σᵢ cᵢ) of the escaping
/// efficiencies over the first D modes, with Hessian eigenvalues `ks`, noise eigenvalues `cs`
/// (in the same basis), C̄ = (Tr C/D) I and per-mode weights φᵢ = `phi`(kᵢ) —
/// [`per_mode_discrete`] or [`per_mode_continuous`] after t steps, or kᵢ for Eq. 20's
/// Tr[KC]/Tr[KC̄] (the value at t = 1). NaN where the ratio is not defined (D beyond the
/// spectrum, no noise, no curvature).
pub fn anisotropy_ratios(
    ks: &[f64],
    cs: &[f64],
    ds: &[usize],
    phi: impl Fn(f64) -> f64,
) -> Vec<f64> {
    let (mut sfc, mut sf, mut sc) = (0.0, 0.0, 0.0);
    let mut out = Vec::with_capacity(ds.len());
    let mut next = ds.iter().peekable();
    for (i, (&k, &c)) in ks.iter().zip(cs).enumerate() {
        let f = phi(k);
        sfc += f * c;
        sf += f;
        sc += c;
        while next.peek() == Some(&&(i + 1)) {
            next.next();
            let r = (i + 1) as f64 * sfc / (sf * sc);
            out.push(if r.is_finite() { r } else { f64::NAN });
        }
    }
    out.resize(ds.len(), f64::NAN);
    out
}
