//! Exact discrete-time theory of SGD's stationary fluctuations, beside the continuous-time
//! approximation.
//!
//! [`predict`] is what the page and the command line show: the exact stationary covariance of
//! the weights from the general solver of the optimizer's state-space map
//! ([`lyapunov::discrete_lyapunov`]), the continuous-time prediction of Eq. (1)
//! ([`lyapunov::continuous_lyapunov`]), the expected training loss ½Tr[KΣ] of each (Eq. 11),
//! the spectral radius of the update map and the necessary condition of Sec. 4.5. The closed
//! forms of the paper live in [`closed_form`]; they are the tests of the general solver, not
//! its implementation.

pub mod closed_form;
pub mod lyapunov;

use crate::model::Model;
use crate::optimizer::StateSpace;
use nalgebra::DMatrix;
use serde_json::{json, Value};

/// The theory's predictions for one setting.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// Exact stationary covariance Σ of the weights, or `None` when there is no stationary
    /// state (spectral radius ≥ 1).
    pub sigma_discrete: Option<DMatrix<f64>>,
    /// Continuous-time covariance solving ΣK + KΣ = λ/(1−μ) C (Eq. 1), or `None` when K is
    /// not positive definite.
    pub sigma_continuous: Option<DMatrix<f64>>,
    /// Spectral radius ρ(A) of the update map.
    pub spectral_radius: f64,
    /// Whether a stationary state exists: ρ(A) < 1.
    pub stable: bool,
    /// The necessary condition of Sec. 4.5: λ k* < 2(1 + μ).
    pub necessary_condition: bool,
    /// Expected training loss ½Tr[KΣ] at the discrete Σ (Eq. 11).
    pub loss_discrete: Option<f64>,
    /// Expected training loss ½Tr[KΣ] at the continuous Σ.
    pub loss_continuous: Option<f64>,
    /// Why a prediction is missing, in words.
    pub message: Option<String>,
}

/// ½Tr[KΣ], the expected quadratic loss over N(0, Σ) (Liu et al., Eq. 11).
pub fn expected_loss(k: &DMatrix<f64>, sigma: &DMatrix<f64>) -> f64 {
    0.5 * (k * sigma).trace()
}

/// The predictions for SGD with heavy-ball momentum (Eq. 5) on `model`.
pub fn predict(model: &Model, lr: f64, mu: f64) -> Prediction {
    let ss = StateSpace::heavy_ball(&model.k, lr, mu);
    let rho = lyapunov::spectral_radius(&ss.a);
    let q = &ss.b * &model.c * ss.b.transpose();
    let d = model.dim();
    let sigma_discrete =
        lyapunov::discrete_lyapunov(&ss.a, &q).map(|p| p.view((0, 0), (d, d)).into_owned());
    let stable = sigma_discrete.is_some();
    let sigma_continuous = lyapunov::continuous_lyapunov(&model.k, &(&model.c * (lr / (1.0 - mu))));
    let k_max = model.k_max();
    // Relative slack so that λ = 2(1+μ)/k* itself, after rounding, counts as on the limit.
    let necessary_condition = lr * k_max < 2.0 * (1.0 + mu) * (1.0 - lyapunov::MARGINAL);

    let mut why = Vec::new();
    if !stable {
        why.push(if necessary_condition {
            format!(
                "No stationary state: the spectral radius of the update map is {rho:.6} ≥ 1, \
                 so the fluctuations of SGD do not settle (they grow without bound or \
                 drift along a flat direction)."
            )
        } else {
            format!(
                "SGD diverges here: λ·k_max = {:.4} ≥ 2(1+μ) = {:.4}, so the update map has \
                 spectral radius {rho:.6} ≥ 1 and the walkers are thrown further out at every \
                 step along the sharpest direction of K (Liu et al., Sec. 4.5).",
                lr * k_max,
                2.0 * (1.0 + mu)
            )
        });
    }
    if sigma_continuous.is_none() {
        why.push(
            "The continuous-time theory has no stationary state: K has an eigenvalue 0.".into(),
        );
    }
    Prediction {
        loss_discrete: sigma_discrete.as_ref().map(|s| expected_loss(&model.k, s)),
        loss_continuous: sigma_continuous
            .as_ref()
            .map(|s| expected_loss(&model.k, s)),
        sigma_discrete,
        sigma_continuous,
        spectral_radius: rho,
        stable,
        necessary_condition,
        message: (!why.is_empty()).then(|| why.join(" ")),
    }
}

/// A matrix as JSON rows; `null` for `None` or any non-finite entry.
pub fn matrix_json(m: Option<&DMatrix<f64>>) -> Value {
    match m {
        Some(m) if m.iter().all(|x| x.is_finite()) => Value::Array(
            m.row_iter()
                .map(|r| r.iter().map(|x| json!(x)).collect())
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// A number as JSON; `null` for `None` or a non-finite value.
pub fn number_json(x: Option<f64>) -> Value {
    match x {
        Some(x) if x.is_finite() => json!(x),
        _ => Value::Null,
    }
}

impl Prediction {
    /// The prediction as JSON with the public field names: `sigma_discrete`,
    /// `sigma_continuous`, `spectral_radius`, `stable`, `necessary_condition`,
    /// `loss_discrete`, `loss_continuous`, `message`.
    pub fn to_json(&self) -> Value {
        json!({
            "sigma_discrete": matrix_json(self.sigma_discrete.as_ref()),
            "sigma_continuous": matrix_json(self.sigma_continuous.as_ref()),
            "spectral_radius": number_json(Some(self.spectral_radius)),
            "stable": self.stable,
            "necessary_condition": self.necessary_condition,
            "loss_discrete": number_json(self.loss_discrete),
            "loss_continuous": number_json(self.loss_continuous),
            "message": self.message,
        })
    }
}
