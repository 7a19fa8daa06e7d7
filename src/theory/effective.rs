//! The effective Hessian of the exact stationary state: the discrete-time counterpart of the
//! effective loss of Liu et al., Sec. 4.6, defined so that it covers every optimizer and noise.
//!
//! **Definition.** H_eff is the Hessian for which the continuous-time theory of the same
//! optimizer — its effective learning-rate matrix E ([`Optimizer::effective_lr`]) and the same
//! noise C (for state-dependent noise, C at the exact stationary Σ) — reproduces the exact
//! discrete Σ:
//!
//! E H Σ + Σ H Eᵀ = E C Eᵀ      (Eq. 1 and its analogues with K → H).
//!
//! When E, C and Σ are all functions of K this gives H_eff = ½ E C Σ⁻¹; mode by mode,
//! h = ½ e c / σ² = k σ_c²/σ², with σ_c² = e c/(2k) the continuous-time variance. H_eff is
//! Σ⁻¹ *measured against* ½EC: for white noise and a scalar E that is a temperature T (the
//! density is ∝ exp(−wᵀH_eff w/(2T))); otherwise it is a matrix and Σ⁻¹ = 2(EC)⁻¹H_eff.
//!
//! **Closed forms** (per mode of the exact Σ; derived from the update rules, checked in
//! `tests/core/effective.rs` against the general solver). For the preconditioned family of Thm 3
//! (SGD with momentum μ and dampening ν, preconditioned SGD, damped Newton, NGD, Adam) with
//! learning-rate matrix Λ at the exact Σ, Cor. 1 per mode gives
//!
//! H_eff = K − (1−ν)ΛK²/(2(1+μ)),
//!
//! whatever the noise, as long as it commutes: SGD K − λK²/(2(1+μ)) (Cor. 1, Cor. 3; Sec. 4.6
//! prints K + λK²/2 with the other sign); damped Newton (1 − (1−ν)λ/(2(1+μ)))K (Thm 12);
//! NGD K − (1−ν)λΣ⁻¹/(2(1+μ)). For QHM (Eq. 72, E = λI), from its ARMA(2,1) variance
//! ([`super::closed_form::qhm_commuting`]), with a = 1+μ−2μν and b = μ(1−ν):
//!
//! H_eff = K[(1−μ)I + λbK][2(1+μ)I − λaK] / (2[(1−μ²)I + λabK]),
//!
//! which is K − λK²/2 at ν = 0 (plain SGD) and K − (1−μ)λK²/(2(1+μ)) at ν = 1; Nesterov is
//! QHM with λ/(1−μ) and ν = μ.
//!
//! **Where there is none** ([`effective_hessian`] returns the reason): no stationary state; a
//! singular Σ (noise with no component along an eigen-direction, or Fisher noise c_f·KΣK alone,
//! which vanishes at Σ = 0 under SGD); and whenever E, C(Σ) or Σ is no function of K — noise
//! whose eigenbasis is turned against K's (general noise), a preconditioner not aligned with K,
//! minibatch noise of a finite data set (its C is not a function of the data's empirical K in
//! two dimensions). Then Σ⁻¹ is no function of K and no effective loss of K describes the
//! density. (For damped Newton the equation above still has the solution
//! (1 − (1−ν)λ/(2(1+μ)))K for any C, since Σ ∝ K⁻¹CK⁻¹ in both theories; but Σ⁻¹ ∝ KC⁻¹K is
//! then no function of K, and the same rule gives no effective Hessian.)

use super::Stationary;
use crate::model::Model;
use crate::optimizer::{Opt, Optimizer};
use nalgebra::DMatrix;

/// Relative tolerance of "is a function of K".
const TOL: f64 = 1e-8;

/// The effective Hessian of an exact stationary state, and what it is measured against.
#[derive(Clone, Debug, PartialEq)]
pub struct EffectiveHessian {
    /// H_eff = ½ E C Σ⁻¹.
    pub matrix: DMatrix<f64>,
    /// Its closed form for this optimizer, in words.
    pub form: String,
    /// The continuous-time noise ½EC it is measured against: H_eff = ½EC·Σ⁻¹.
    pub normalisation: DMatrix<f64>,
    /// T when ½EC = T·I (then H_eff = T·Σ⁻¹); `None` when ½EC is no multiple of I.
    pub temperature: Option<f64>,
    /// Σ⁻¹ itself, in proportional form, in words.
    pub sigma_inverse: String,
}

/// Whether the symmetric `m` is a function of the symmetric `k`: diagonal in K's eigenbasis,
/// and a multiple of I on each eigenspace of K.
pub fn is_function_of(k: &DMatrix<f64>, m: &DMatrix<f64>) -> bool {
    let Some(e) = nalgebra::SymmetricEigen::try_new(k.clone(), f64::EPSILON, 10_000) else {
        return false;
    };
    let v = &e.eigenvectors;
    let mk = v.transpose() * m * v;
    let (tol, ktol) = (TOL * m.norm().max(f64::MIN_POSITIVE), TOL * k.norm());
    let n = k.nrows();
    (0..n).all(|i| {
        (0..n).filter(|&j| j != i).all(|j| {
            let same = (e.eigenvalues[i] - e.eigenvalues[j]).abs() <= ktol;
            mk[(i, j)].abs() <= tol && (!same || (mk[(i, i)] - mk[(j, j)]).abs() <= tol)
        })
    })
}

/// The closed form of H_eff for this optimizer (see the module documentation).
fn form(opt: &Optimizer) -> &'static str {
    match opt.opt {
        Opt::Sgd if opt.damp == 0.0 => "K − λK²/(2(1+μ))",
        Opt::Sgd => "K − (1−ν)λK²/(2(1+μ))",
        Opt::Precond => "K − (1−ν)λPK²/(2(1+μ))",
        Opt::Dnm => "(1 − (1−ν)λ/(2(1+μ)))·K",
        Opt::Ngd => "K − (1−ν)λΣ⁻¹/(2(1+μ)), with Λ = λ(KΣK)⁻¹ at the exact Σ",
        Opt::Adam => "K − (1−ν)ΛK²/(2(1+μ)), with Λ = λ(KΣK + C)^(−1/2) at the exact Σ",
        Opt::Qhm => {
            "K[(1−μ)I + λbK][2(1+μ)I − λaK] / (2[(1−μ²)I + λabK]), a = 1+μ−2μν, b = μ(1−ν) \
             (ν = qhm_nu)"
        }
        Opt::Nesterov => "K[(1−μ)I + λμK][2(1+μ)I − λ(1+2μ)K] / (2(1−μ)[(1+μ)I + λμ(1+2μ)K])",
    }
}

/// Why a matrix that should be a function of K is not, in words.
fn not_a_function(model: &Model, opt: &Optimizer, what: &str) -> String {
    if model.data.is_some() {
        return "minibatch noise of a finite data set: its covariance C is not a function of the \
                data's empirical Hessian K, so neither is Σ⁻¹ and no effective loss of K \
                describes the stationary density"
            .into();
    }
    let dnm = if opt.opt == Opt::Dnm {
        " (for damped Newton Σ ∝ K⁻¹CK⁻¹ in both theories, so the continuous-time theory with \
         K → (1 − (1−ν)λ/(2(1+μ)))K still gives the exact Σ; but Σ⁻¹ ∝ KC⁻¹K is no function \
         of K)"
    } else {
        ""
    };
    format!(
        "{what} does not commute with K, so Σ⁻¹ is no function of K: the exact Σ mixes the \
         eigenbases, and no effective loss of K describes the stationary density{dnm}"
    )
}

/// Σ⁻¹ in proportional form: H_eff/T for a temperature; for the heavy-ball family with
/// Hessian-aligned noise C = aK, Σ⁻¹ ∝ 2I − (1−ν)λK/(1+μ), which tends to a multiple of I,
/// not of K, as λ → 0; otherwise 2(EC)⁻¹H_eff.
fn sigma_inverse(model: &Model, opt: &Optimizer, temperature: Option<f64>) -> String {
    let aligned = model.noise_op().is_none()
        && (&model.c * model.k.norm() - &model.k * model.c.norm()).norm()
            <= TOL * model.c.norm() * model.k.norm();
    match temperature {
        Some(_) => "Σ⁻¹ = H_eff/T".into(),
        None if aligned && opt.opt == Opt::Sgd => {
            let l = if opt.damp == 0.0 { "λ" } else { "(1−ν)λ" };
            format!(
                "Σ⁻¹ = 2(EC)⁻¹H_eff = (1−μ)/({l}a)·(2I − {l}K/(1+μ)) for C = aK: it tends to a \
                 multiple of I, not of K, as λ → 0"
            )
        }
        None => "Σ⁻¹ = 2(EC)⁻¹H_eff".into(),
    }
}

/// T when ½EC = T·I.
fn temperature(half_ec: &DMatrix<f64>) -> Option<f64> {
    let d = half_ec.nrows();
    let t = half_ec.trace() / d as f64;
    ((half_ec - DMatrix::identity(d, d) * t).norm() <= TOL * half_ec.norm()).then_some(t)
}

/// The effective Hessian of the exact stationary state `st` of `opt` on `model`, or the reason
/// there is none (see the module documentation).
pub fn effective_hessian(
    model: &Model,
    opt: &Optimizer,
    st: Option<&Stationary>,
) -> Result<EffectiveHessian, String> {
    let st = st.ok_or("no stationary state, so no density to read a Hessian from")?;
    let (k, sigma, c) = (&model.k, &st.sigma, &st.noise);
    let positive = crate::linalg::sym_eigenvalues(sigma)
        .is_some_and(|e| e.min() > TOL * e.max() && e.max() > 0.0);
    let sigma_inv = sigma.clone().try_inverse().filter(|_| positive).ok_or(
        "Σ is singular: the noise has no component along some eigen-direction of K (or, as \
         Fisher noise c_f·KΣK alone, vanishes at the minimum), so the stationary state has no \
         density there",
    )?;
    let e = opt
        .effective_lr(k, sigma, c)
        .ok_or("the optimizer's learning-rate matrix does not exist here")?;
    for (m, what) in [
        (&e, "the learning-rate matrix"),
        (c, "the noise covariance C"),
        (sigma, "Σ"),
    ] {
        if !is_function_of(k, m) {
            return Err(not_a_function(model, opt, what));
        }
    }
    let half_ec = &e * c * 0.5;
    let half_ec = (&half_ec + half_ec.transpose()) * 0.5;
    let h = &half_ec * &sigma_inv;
    let matrix = (&h + h.transpose()) * 0.5;
    let temperature = temperature(&half_ec);
    Ok(EffectiveHessian {
        matrix,
        form: form(opt).into(),
        sigma_inverse: sigma_inverse(model, opt, temperature),
        normalisation: half_ec,
        temperature,
    })
}

impl EffectiveHessian {
    /// What H_eff is measured against, in words.
    pub fn measured_against(&self) -> String {
        match self.temperature {
            Some(t) => format!(
                "the continuous-time temperature T = {t:.6} (½EC = T·I, E the optimizer's \
                 effective learning rate, C the noise): H_eff = T·Σ⁻¹"
            ),
            None => "the continuous-time noise ½EC (E the optimizer's effective learning rate, C \
                     the noise), a matrix here, not a temperature: H_eff = ½EC·Σ⁻¹"
                .into(),
        }
    }

    /// A short name for a legend: the closed form where it is short, else ½ECΣ⁻¹.
    pub fn label(&self) -> String {
        if self.form.chars().count() <= 28 {
            format!("H_eff = {}", self.form)
        } else {
            "H_eff = ½ECΣ⁻¹".into()
        }
    }
}
