//! Exact discrete-time theory of SGD's fluctuations, beside the continuous-time approximation.
//!
//! Every optimizer is a linear state-space map near the minimum ([`crate::optimizer`]), so one
//! solver gives its exact stationary covariance: [`stationary`] solves P = A P Aᵀ + B C Bᵀ
//! (with the extra term for state-dependent noise, and a Newton fixed point when the map itself
//! depends on Σ, as for NGD and Adam). [`predict`] adds the continuous-time counterpart (Eq. 1
//! and its analogues), the training loss ½Tr[KΣ] of each (Eq. 11), the spectral radius, the
//! necessary condition of Sec. 4.5, and Gitman et al.'s expansion where Table 1 quotes one.
//! The paper's closed forms live in [`closed_form`]; they are the tests of this solver, not its
//! implementation. The other modules compute the results of Sec. 6 and of Yaida's and
//! Chaudhari–Soatto's papers on top of it.

pub mod bayes;
pub mod closed_form;
pub mod current;
pub mod diagonal;
pub mod effective;
pub mod escape;
pub mod fdr;
pub mod fdr_finite;
pub mod first_passage;
pub mod idealised;
pub mod kramers;
pub mod lyapunov;
pub mod measured;
pub mod momentum_ranges;
pub mod noise_scale;
pub mod per_direction;
pub mod schedule;

pub mod power_spectra;
pub mod spectrum;
pub mod stability;
pub mod steps_to_target;
pub mod tails;

use crate::model::Model;
use crate::optimizer::{Opt, Optimizer, StateSpace};
use nalgebra::DMatrix;
use serde_json::{json, Value};

/// The exact stationary state of an optimizer on a model.
#[derive(Clone, Debug, PartialEq)]
pub struct Stationary {
    /// Covariance Σ of the weights.
    pub sigma: DMatrix<f64>,
    /// Covariance of the whole state (weights, then momentum buffer).
    pub full: DMatrix<f64>,
    /// The noise covariance C at Σ.
    pub noise: DMatrix<f64>,
    /// The update map at Σ.
    pub map: StateSpace,
}

/// How the state-dependent part of the noise, unvec(L vec Σ), enters the state's second-moment
/// recursion: E = (B⊗B) L (S⊗S) on vec P, with S = [I 0] picking the weights' block.
/// `None` for constant noise.
pub fn state_noise_op(map: &StateSpace, model: &Model) -> Option<DMatrix<f64>> {
    let l = model.noise_op()?;
    let (n, d) = (map.a.nrows(), map.dim);
    let mut sel = DMatrix::zeros(d, n);
    sel.view_mut((0, 0), (d, d)).fill_with_identity();
    Some(map.b.kronecker(&map.b) * l * sel.kronecker(&sel))
}

/// The optimizer's map and its stationary state covariance, for a candidate Σ; `Err(radius)`
/// when there is none.
///
/// For a map that depends on Σ (NGD, Adam) everything is evaluated at the candidate, as in Liu
/// et al. Sec. 4.7 ("Σ can be solved by setting C = C(Σ)"): Λ(Σ) and the noise C(Σ) enter as
/// constants, and the stationary Σ is the candidate that reproduces itself. Otherwise the
/// state-dependent part (c_f·KΣK, or the exact minibatch dependence) is the noise's exact
/// dependence on the current second moment, a linear term of the recursion
/// ([`state_noise_op`]), and one linear solve gives P.
fn solve_at(
    model: &Model,
    opt: &Optimizer,
    s: &DMatrix<f64>,
) -> Result<(StateSpace, DMatrix<f64>), f64> {
    let c = model.noise(s);
    let map = opt.state_space(&model.k, s, &c).ok_or(f64::INFINITY)?;
    let p = if opt.opt.depends_on_sigma() {
        let q = &map.b * &c * map.b.transpose();
        lyapunov::stein(&map.a, None, &q)?
    } else {
        let q = &map.b * &model.c * map.b.transpose();
        lyapunov::stein(&map.a, state_noise_op(&map, model).as_ref(), &q)?
    };
    Ok((map, p))
}

fn w_block(p: &DMatrix<f64>, d: usize) -> DMatrix<f64> {
    p.view((0, 0), (d, d)).into_owned()
}

/// A starting point for the fixed point of NGD and Adam: (λ/2)K⁻¹ and (λ²/2)I.
fn initial_sigma(model: &Model, opt: &Optimizer) -> DMatrix<f64> {
    let d = model.dim();
    let id = DMatrix::<f64>::identity(d, d);
    match opt.opt {
        Opt::Ngd => model
            .k
            .clone()
            .try_inverse()
            .map(|ki| ki * opt.lr)
            .unwrap_or(id * opt.lr),
        _ => id * (opt.lr * opt.lr / 2.0),
    }
}

/// The exact stationary state of `opt` on `model`, or `Err(radius)` with the spectral radius
/// (the mean-square radius with state-dependent noise) that forbids one.
///
/// For maps that do not depend on Σ this is one solve of
/// P = A P Aᵀ + c_f·G P Gᵀ + B C₀ Bᵀ ([`lyapunov::stein`]); for NGD and Adam it is the
/// Σ with Σ = [P(Σ)]_ww ([`lyapunov::fixed_point`]).
pub fn stationary(model: &Model, opt: &Optimizer) -> Result<Stationary, f64> {
    stationary_from(model, opt, initial_sigma(model, opt))
}

/// [`stationary`] at each learning rate of a sweep `lrs` of `opt` (its other settings kept).
/// For NGD and Adam each Newton search starts from the solution at the previous learning rate,
/// scaled as the paper's laws scale Σ (∝ λ for NGD, Cor. 6; ∝ λ² for Adam, Thm 10), which
/// saves most of the iterations of a cold start; where that start fails, from the cold start.
/// (The fixed point is the same to the search's accuracy, 1e-13 relative, not bit for bit.)
pub fn stationary_sweep(
    model: &Model,
    opt: &Optimizer,
    lrs: &[f64],
) -> Vec<Result<Stationary, f64>> {
    let mut previous: Option<(f64, DMatrix<f64>)> = None;
    lrs.iter()
        .map(|&lr| {
            let o = Optimizer { lr, ..opt.clone() };
            let warm = match (&previous, o.opt) {
                (Some((lr0, s0)), Opt::Ngd) => Some(s0 * (lr / lr0)),
                (Some((lr0, s0)), Opt::Adam) => Some(s0 * (lr / lr0).powi(2)),
                _ => None,
            };
            let st = match warm {
                Some(s0) => stationary_from(model, &o, s0).or_else(|_| stationary(model, &o)),
                None => stationary(model, &o),
            };
            if let Ok(st) = &st {
                previous = Some((lr, st.sigma.clone()));
            }
            st
        })
        .collect()
}

/// [`stationary`] with the fixed point of NGD and Adam searched from `s0`.
fn stationary_from(model: &Model, opt: &Optimizer, s0: DMatrix<f64>) -> Result<Stationary, f64> {
    let d = model.dim();
    let sigma_map = if opt.opt.depends_on_sigma() {
        let f = |s: &DMatrix<f64>| solve_at(model, opt, s).ok().map(|(_, p)| w_block(&p, d));
        match lyapunov::fixed_point(f, s0) {
            Ok(s) => s,
            Err(last) => {
                return Err(match solve_at(model, opt, &last) {
                    Err(r) => r,
                    Ok((map, _)) => crate::linalg::spectral_radius(&map.a).max(1.0),
                })
            }
        }
    } else {
        DMatrix::zeros(d, d)
    };
    let (map, full) = solve_at(model, opt, &sigma_map)?;
    let sigma = w_block(&full, d);
    Ok(Stationary {
        noise: model.noise(&sigma),
        sigma,
        full,
        map,
    })
}

/// The continuous-time counterpart's stationary covariance: E K Σ + Σ K Eᵀ = E C(Σ) Eᵀ with
/// the optimizer's effective learning-rate matrix E ([`Optimizer::effective_lr`]); Eq. (1) for
/// SGD with momentum. `None` when it has no stationary state (K singular, or noise that grows
/// with Σ faster than the drift).
pub fn continuous(model: &Model, opt: &Optimizer) -> Option<DMatrix<f64>> {
    let d = model.dim();
    let dependent = opt.opt.depends_on_sigma();
    let solve = |s: &DMatrix<f64>| -> Option<DMatrix<f64>> {
        let c = model.noise(s);
        let e = opt.effective_lr(&model.k, s, &c)?;
        let m = &e * &model.k;
        // As in `solve_at`: C(Σ) at the candidate for NGD and Adam, exact state dependence else.
        let (r, extra) = match model.noise_op() {
            Some(l) if !dependent => (&e * &model.c * e.transpose(), Some(e.kronecker(&e) * l)),
            _ => (&e * &c * e.transpose(), None),
        };
        let sol = lyapunov::continuous_stationary(&m, extra.as_ref(), &r)?;
        (crate::linalg::sym_eigenvalues(&sol)?.min() >= -1e-12 * sol.norm()).then_some(sol)
    };
    if dependent {
        lyapunov::fixed_point(solve, initial_sigma(model, opt)).ok()
    } else {
        solve(&DMatrix::zeros(d, d))
    }
}

/// The theory's predictions for one setting.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// The exact stationary state, or `None` when there is none.
    pub stationary: Option<Stationary>,
    /// Exact stationary covariance Σ of the weights (a copy of `stationary.sigma`).
    pub sigma_discrete: Option<DMatrix<f64>>,
    /// The continuous-time counterpart's Σ (Eq. 1 for SGD), if it has one.
    pub sigma_continuous: Option<DMatrix<f64>>,
    /// Spectral radius ρ(A) of the update map (at the stationary Σ for NGD and Adam).
    pub spectral_radius: f64,
    /// Mean-square radius √ρ(A⊗A + c_f·G⊗G) with state-dependent noise and a map that does
    /// not depend on Σ; `None` otherwise.
    pub mean_square_radius: Option<f64>,
    /// Whether a stationary state exists.
    pub stable: bool,
    /// The necessary condition of Sec. 4.5: `necessary.0 < necessary.1`.
    pub necessary_condition: bool,
    /// (value, limit) of the necessary condition, e.g. (λk*, 2(1+μ)).
    pub necessary: (f64, f64),
    /// Expected training loss ½Tr[KΣ] at the discrete Σ (Eq. 11).
    pub loss_discrete: Option<f64>,
    /// Expected training loss ½Tr[KΣ] at the continuous Σ.
    pub loss_continuous: Option<f64>,
    /// Gitman et al.'s second-order expansion of the loss (Table 1, left), where it exists.
    pub loss_expansion: Option<f64>,
    /// Why a prediction is missing, in words.
    pub message: Option<String>,
}

/// ½Tr[KΣ], the expected quadratic loss over N(0, Σ) (Liu et al., Eq. 11).
pub fn expected_loss(k: &DMatrix<f64>, sigma: &DMatrix<f64>) -> f64 {
    0.5 * (k * sigma).trace()
}

/// Gitman et al.'s expansions quoted in Liu et al. Table 1 (left column), for constant noise:
/// SGD(M): λ/(4(1−μ)) Tr C + λ²/(8(1−μ²)) Tr KC (with λ → (1−ν)λ under dampening);
/// QHM: λ/4 Tr C + λ²/8 [1 + 2μν/(1−μ) (2μν/(1+μ) − 1)] Tr KC; Nesterov as QHM with
/// λ/(1−μ) and ν = μ.
pub fn loss_expansion(model: &Model, opt: &Optimizer) -> Option<f64> {
    if model.noise_op().is_some() {
        return None;
    }
    let (tc, tkc) = (model.c.trace(), (&model.k * &model.c).trace());
    let mu = opt.mu;
    let qhm = |lr: f64, nu: f64| {
        let x = 2.0 * mu * nu;
        lr / 4.0 * tc + lr * lr / 8.0 * (1.0 + x / (1.0 - mu) * (x / (1.0 + mu) - 1.0)) * tkc
    };
    match opt.opt {
        Opt::Sgd => {
            let lr = opt.lr * (1.0 - opt.damp);
            Some(lr / (4.0 * (1.0 - mu)) * tc + lr * lr / (8.0 * (1.0 - mu * mu)) * tkc)
        }
        Opt::Qhm => Some(qhm(opt.lr, opt.qhm_nu)),
        Opt::Nesterov => Some(qhm(opt.lr / (1.0 - mu), mu)),
        _ => None,
    }
}

/// What [`predict`] found when there is no stationary state, for saying why.
struct WhyNot {
    /// Whether the optimizer's learning-rate matrix exists.
    defined: bool,
    /// Whether the necessary condition of Sec. 4.5 holds.
    necessary_condition: bool,
    /// (value, limit) of the necessary condition.
    necessary: (f64, f64),
    /// Whether the noise grows with the fluctuations (a mean-square radius decides).
    multiplicative: bool,
}

impl WhyNot {
    /// Why `opt` has no stationary state, in words, with its (mean-square) radius `r`.
    fn message(&self, opt: &Optimizer, r: f64) -> String {
        // Never print a non-finite number, even inside a sentence.
        let rho = if r.is_finite() {
            format!("{r:.6}")
        } else {
            "unbounded".to_string()
        };
        if !self.defined {
            format!(
                "{} is not defined here: its learning-rate matrix Λ does not exist (K or KΣK is \
                 singular), so there is no update map and no stationary state.",
                opt.name()
            )
        } else if !self.necessary_condition {
            let quantity = match opt.opt {
                Opt::Sgd if opt.damp > 0.0 => "(1−ν)λ·k_max",
                Opt::Sgd => "λ·k_max",
                Opt::Qhm => "λ·k_max·(1+μ−2μν)",
                Opt::Nesterov => "λ·k_max·(1+2μ)",
                _ => "the largest eigenvalue of ΛK",
            };
            format!(
                "{} diverges here: {quantity} = {:.4} ≥ 2(1+μ) = {:.4}, so the update map has \
                 spectral radius {rho} ≥ 1 and the walkers are thrown further out at every \
                 step along the sharpest direction of K (Liu et al., Sec. 4.5).",
                opt.name(),
                self.necessary.0,
                self.necessary.1
            )
        } else if self.multiplicative {
            format!(
                "No stationary state: with noise that grows with the fluctuations (state-dependent), the \
                 second moment grows at every step (mean-square radius {rho} ≥ 1)."
            )
        } else if opt.opt.depends_on_sigma() {
            format!(
                "No stationary state: no covariance Σ reproduces itself under {}'s \
                 Σ-dependent learning rate here (spectral radius {rho}).",
                opt.name()
            )
        } else {
            format!(
                "No stationary state: the spectral radius of the update map is {rho} ≥ 1, \
                 so the fluctuations of SGD do not settle (they grow without bound or drift \
                 along a flat direction)."
            )
        }
    }
}

/// The predictions for `opt` on `model`.
pub fn predict(model: &Model, opt: &Optimizer) -> Prediction {
    let outcome = stationary(model, opt);
    let sigma_for_map = match &outcome {
        Ok(s) => s.sigma.clone(),
        Err(_) => initial_sigma(model, opt),
    };
    let noise = model.noise(&sigma_for_map);
    let map = opt.state_space(&model.k, &sigma_for_map, &noise);
    let spectral_radius = match (&outcome, &map) {
        (Ok(s), _) => crate::linalg::spectral_radius(&s.map.a),
        (Err(r), _) if model.noise_op().is_none() => *r,
        (Err(_), Some(m)) => crate::linalg::spectral_radius(&m.a),
        (Err(r), None) => *r,
    };
    let multiplicative = model.noise_op().is_some() && !opt.opt.depends_on_sigma();
    let mean_square_radius = multiplicative.then(|| match (&outcome, &map) {
        (Err(r), _) => *r,
        (Ok(_), Some(m)) => {
            let e = state_noise_op(m, model).expect("state-dependent noise");
            crate::linalg::spectral_radius(&(m.a.kronecker(&m.a) + e)).sqrt()
        }
        (Ok(_), None) => f64::NAN,
    });
    let defined = opt.necessary_condition(&model.k, &sigma_for_map, &noise);
    let necessary = defined.unwrap_or((f64::INFINITY, 2.0 * (1.0 + opt.mu)));
    let necessary_condition = necessary.0 < necessary.1 * (1.0 - lyapunov::MARGINAL);
    let sigma_continuous = continuous(model, opt);
    let stationary = outcome.ok();
    let sigma_discrete = stationary.as_ref().map(|s| s.sigma.clone());
    let stable = stationary.is_some();

    let mut why = Vec::new();
    if !stable {
        let r = mean_square_radius.unwrap_or(spectral_radius);
        let why_not = WhyNot {
            defined: defined.is_some(),
            necessary_condition,
            necessary,
            multiplicative: mean_square_radius.is_some(),
        };
        why.push(why_not.message(opt, r));
    }
    if sigma_continuous.is_none() {
        let flat = crate::linalg::sym_eigenvalues(&model.k).is_none_or(|e| e.min() <= 0.0);
        why.push(if flat {
            "The continuous-time theory has no stationary state: K has an eigenvalue 0.".into()
        } else {
            "The continuous-time theory has no stationary state here.".to_string()
        });
    }
    Prediction {
        loss_discrete: sigma_discrete.as_ref().map(|s| expected_loss(&model.k, s)),
        loss_continuous: sigma_continuous
            .as_ref()
            .map(|s| expected_loss(&model.k, s)),
        loss_expansion: loss_expansion(model, opt),
        stationary,
        sigma_discrete,
        sigma_continuous,
        spectral_radius,
        mean_square_radius,
        stable,
        necessary_condition,
        necessary,
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
    /// The prediction as JSON with the public field names: `sigma_discrete`, `sigma_full`,
    /// `sigma_continuous`, `spectral_radius`, `mean_square_radius`, `stable`,
    /// `necessary_condition`, `necessary_value`, `necessary_limit`, `loss_discrete`,
    /// `loss_continuous`, `loss_expansion`, `message`.
    pub fn to_json(&self) -> Value {
        json!({
            "sigma_discrete": matrix_json(self.sigma_discrete.as_ref()),
            "sigma_full": matrix_json(self.stationary.as_ref().map(|s| &s.full)),
            "sigma_continuous": matrix_json(self.sigma_continuous.as_ref()),
            "spectral_radius": number_json(Some(self.spectral_radius)),
            "mean_square_radius": number_json(self.mean_square_radius),
            "stable": self.stable,
            "necessary_condition": self.necessary_condition,
            "necessary_value": number_json(Some(self.necessary.0)),
            "necessary_limit": number_json(Some(self.necessary.1)),
            "loss_discrete": number_json(self.loss_discrete),
            "loss_continuous": number_json(self.loss_continuous),
            "loss_expansion": number_json(self.loss_expansion),
            "message": self.message,
        })
    }
}
