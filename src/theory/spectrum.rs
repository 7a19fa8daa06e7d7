//! Any dimension D when K and C are diagonal in a common basis (a spectrum of Hessian
//! eigenvalues kᵢ with noise eigenvalues cᵢ): every mode is an independent 1-D problem, solved by
//! the same general solver, so curves for D = 1000 (a power-law spectrum, as in Thm 8) cost D
//! small solves.
//!
//! [`Rows`] is the same for a measured spectrum whose rows stand for several directions each
//! (multiplicities wᵢ): its stationary training losses are weighted sums of closed forms per
//! mode, O(1) each, so that a curve over hundreds of rates costs rows × rates evaluations.

use super::closed_form::{arma21_variance, cor7_mode_term};
use super::measured::{BINS, EXACT_UP_TO};
use super::per_direction::Problem;
use super::{continuous, escape, expected_loss, loss_expansion, stationary};
use crate::model::spectrum::Spectrum;
use crate::model::Model;
use crate::optimizer::{Opt, Optimizer};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// kᵢ = k₁ · i^(−decay), i = 1…D: a power-law Hessian spectrum.
pub fn power_law(d: usize, k1: f64, decay: f64) -> Vec<f64> {
    (1..=d).map(|i| k1 * (i as f64).powf(-decay)).collect()
}

fn mode(k: f64, c: f64, c_fisher: f64) -> Model {
    Model {
        k: DMatrix::from_element(1, 1, k),
        c: DMatrix::from_element(1, 1, c),
        c_fisher,
        data: None,
    }
}

/// The one-dimensional optimizer of a mode: `opt` with the first entry of its preconditioner.
pub fn mode_opt(opt: &Optimizer) -> Optimizer {
    Optimizer {
        precond: DMatrix::from_element(1, 1, opt.precond[(0, 0)]),
        ..opt.clone()
    }
}

/// Sums a per-mode quantity; `None` if any mode has none.
fn sum_modes(
    ks: &[f64],
    cs: &[f64],
    f: impl Fn(&Model) -> Option<f64>,
    c_fisher: f64,
) -> Option<f64> {
    ks.iter()
        .zip(cs)
        .map(|(k, c)| f(&mode(*k, *c, c_fisher)))
        .sum()
}

/// The stationary training loss ½Σᵢ kᵢσᵢ, exact (discrete) and continuous.
pub fn loss(ks: &[f64], cs: &[f64], c_fisher: f64, opt: &Optimizer) -> (Option<f64>, Option<f64>) {
    let o = mode_opt(opt);
    let disc = sum_modes(
        ks,
        cs,
        |m| {
            stationary(m, &o)
                .ok()
                .map(|s| expected_loss(&m.k, &s.sigma))
        },
        c_fisher,
    );
    let cont = sum_modes(
        ks,
        cs,
        |m| continuous(m, &o).map(|s| expected_loss(&m.k, &s)),
        c_fisher,
    );
    (disc, cont)
}

/// The escaping efficiency E(t) from the minimum, exact (discrete) and continuous.
pub fn escape(
    ks: &[f64],
    cs: &[f64],
    c_fisher: f64,
    opt: &Optimizer,
    t: u64,
) -> (Option<f64>, Option<f64>) {
    let o = mode_opt(opt);
    let disc = sum_modes(ks, cs, |m| escape::escape_discrete(m, &o, t), c_fisher);
    let cont = sum_modes(
        ks,
        cs,
        |m| escape::escape_continuous(m, &o, t as f64),
        c_fisher,
    );
    (disc, cont)
}

/// Thm 8's ratio Tr[KC]/Tr[KC̄] for diagonal K and C (C̄ = (Tr C/D) I).
pub fn anisotropy_ratio(ks: &[f64], cs: &[f64]) -> f64 {
    let d = ks.len() as f64;
    let tkc: f64 = ks.iter().zip(cs).map(|(k, c)| k * c).sum();
    tkc / (ks.iter().sum::<f64>() * cs.iter().sum::<f64>() / d)
}

/// A diagonal model row by row: curvatures kᵢ, per-step gradient-noise variances cᵢ and the
/// number of directions wᵢ each row stands for. Every direction is an independent 1-D problem,
/// so each loss below is Σᵢ wᵢ·(the loss of mode (kᵢ, cᵢ)); a flat row (kᵢ = 0) adds nothing to
/// the exact losses (½·0·Var θ).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rows {
    /// Curvatures kᵢ.
    pub k: Vec<f64>,
    /// Gradient-noise variances cᵢ per step.
    pub c: Vec<f64>,
    /// Multiplicities wᵢ.
    pub w: Vec<f64>,
}

impl Rows {
    /// The rows of spectrum `s`, with cᵢ = `s.noise(a)`.
    pub fn of(s: &Spectrum, a: f64) -> Rows {
        Rows {
            k: s.h().to_vec(),
            c: s.noise(a),
            w: s.weights(),
        }
    }

    /// The same rows with every noise variance multiplied by `f`: per-example variances made
    /// the variances of one minibatch step ([`super::measured::minibatch_factor`]).
    pub fn scaled_noise(mut self, f: f64) -> Rows {
        for c in &mut self.c {
            *c *= f;
        }
        self
    }

    /// Whether [`Rows::coarse`] groups these rows.
    pub fn too_many(&self) -> bool {
        self.k.len() > EXACT_UP_TO
    }

    /// These rows for curves over many rates: above [`EXACT_UP_TO`] rows, grouped into
    /// [`BINS`] geometric bins of k ([`Problem::grouped`], which keeps Σwᵢkᵢ, Σwᵢcᵢ and Σwᵢ;
    /// flat rows are left out), as the B_crit search of `measured` does.
    pub fn coarse(self) -> Rows {
        if !self.too_many() {
            return self;
        }
        let g = Problem::measured(&self.k, &self.c, &self.w, 0.0).grouped(BINS);
        Rows {
            k: g.h,
            c: g.c,
            w: g.weight,
        }
    }

    /// The largest curvature.
    pub fn k_max(&self) -> f64 {
        self.k.iter().copied().fold(0.0, f64::max)
    }

    /// Σᵢ wᵢ f(kᵢ, cᵢ) over the rows with kᵢ > 0; `None` if any has none.
    fn sum(&self, f: impl Fn(f64, f64) -> Option<f64>) -> Option<f64> {
        let terms = (self.k.iter().zip(&self.c).zip(&self.w)).filter(|((k, _), _)| **k > 0.0);
        terms.map(|((k, c), w)| f(*k, *c).map(|v| w * v)).sum()
    }

    /// The largest rate with a stationary state, from k_max alone (the noise does not depend
    /// on the state): 2(1 + μ)/(k_max(1 + μ − 2μν)) for QHM (Liu et al. Sec. 4.5; ν = 1 is heavy
    /// ball; exact here: it is the AR(2) stationarity condition (α + β)k < 2(1 + μ) of the
    /// process in [`Rows::stationary_loss`]), 2(1 + μ)/(k_max(1 − dampening)) for SGD with
    /// momentum μ.
    pub fn rate_limit(&self, opt: &Optimizer) -> f64 {
        let mu = opt.mu;
        let factor = match opt.opt {
            Opt::Qhm => 1.0 + mu - 2.0 * mu * opt.qhm_nu,
            _ => 1.0 - opt.damp,
        };
        2.0 * (1.0 + mu) / (self.k_max() * factor)
    }

    /// The exact stationary training loss ½Σᵢ wᵢkᵢVar θᵢ; `None` past the stability limit or
    /// for an optimizer other than SGD (with heavy-ball momentum μ and dampening) and QHM.
    /// Per mode, SGD with momentum is Liu et al.'s Thm 5, Eq. 12:
    /// ½kVar θ = λ'c/(4(1 − μ)) / (1 − λ'k/(2(1 + μ))), λ' = λ(1 − dampening);
    /// QHM is the ARMA(2,1) process of [`super::closed_form::qhm_commuting`],
    /// θ_t = (1 + μ − αk)θ_{t−1} + (βk − μ)θ_{t−2} − αη_t + βη_{t−1}, α = λ(1 − μν), β = λμ(1 − ν).
    pub fn stationary_loss(&self, opt: &Optimizer) -> Option<f64> {
        let (lr, mu, nu) = (opt.lr, opt.mu, opt.qhm_nu);
        let v = match opt.opt {
            Opt::Sgd => self.sum(|k, c| {
                let lr = lr * (1.0 - opt.damp);
                let stable = lr * k > 0.0 && lr * k < 2.0 * (1.0 + mu) && (0.0..1.0).contains(&mu);
                stable.then(|| lr * c / (4.0 * (1.0 - mu)) / (1.0 - lr * k / (2.0 * (1.0 + mu))))
            }),
            Opt::Qhm => self.sum(|k, c| {
                let (alpha, beta) = (lr * (1.0 - mu * nu), lr * mu * (1.0 - nu));
                let var = arma21_variance(1.0 + mu - alpha * k, beta * k - mu, -alpha, beta, c)?;
                Some(0.5 * k * var)
            }),
            _ => None,
        };
        v.filter(|v| v.is_finite() && *v >= 0.0)
    }

    /// The continuous-time stationary training loss Σᵢ wᵢ λ_eff cᵢ/4 (Eq. 1 per mode:
    /// ½kσ² with σ² = λ_eff c/(2k)), λ_eff = λ(1 − dampening)/(1 − μ) for SGD with momentum and
    /// λ for QHM (its momentum is normalised); `None` for other optimizers.
    pub fn continuous_loss(&self, opt: &Optimizer) -> Option<f64> {
        let lr = match opt.opt {
            Opt::Sgd => opt.lr * (1.0 - opt.damp) / (1.0 - opt.mu),
            Opt::Qhm => opt.lr,
            _ => return None,
        };
        self.sum(|_, c| Some(lr * c / 4.0))
            .filter(|v| v.is_finite())
    }

    /// Gitman et al.'s second-order expansion of the loss (Liu et al. Table 1,
    /// [`super::loss_expansion`]): it is linear in Tr C and Tr[KC], so for the rows it is the
    /// expansion of one mode with Tr C = Σwᵢcᵢ and Tr[KC] = Σwᵢkᵢcᵢ.
    pub fn expansion(&self, opt: &Optimizer) -> Option<f64> {
        let tc = self.sum(|_, c| Some(c))?;
        let tkc = self.sum(|k, c| Some(k * c))?;
        let k = if tc > 0.0 { tkc / tc } else { 0.0 };
        loss_expansion(&mode(k, tc, 0.0), &mode_opt(opt))
    }

    /// Cor. 7 (Eq. 89) as printed, Σᵢ wᵢ·(its value for mode i): the printed formula is a sum
    /// over K's eigenpairs ([`super::closed_form::cor7_qhm_loss_as_printed`]), here
    /// λ²/2·[`cor7_mode_term`] per row.
    pub fn cor7_as_printed(&self, lr: f64, mu: f64, nu: f64) -> Option<f64> {
        self.sum(|k, c| {
            let v = lr * lr / 2.0 * cor7_mode_term(k, c, lr, mu, nu);
            v.is_finite().then_some(v)
        })
    }

    /// The exact training loss after `t` steps from the minimum, Σᵢ wᵢE_i(t) with each mode's
    /// escaping efficiency from the covariance recursion ([`escape::escape_discrete`]).
    pub fn loss_after(&self, opt: &Optimizer, t: u64) -> Option<f64> {
        let o = mode_opt(opt);
        self.sum(|k, c| escape::escape_discrete(&mode(k, c, 0.0), &o, t))
    }
}
