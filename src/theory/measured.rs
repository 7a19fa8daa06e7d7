//! What the discrete-time theory says about a researcher's own model, given as a measured
//! spectrum ([`Spectrum`]: curvatures hᵢ, per-example noise variances cᵢ, multiplicities wᵢ):
//! - the stability edge λ_max = 2(1 + μ)/h_max of SGD with heavy-ball momentum μ (Liu et al.
//!   Sec. 4.5; 2/h_max without momentum) and the rate as a fraction of it;
//! - the stationary training loss ½Σᵢ wᵢhᵢσᵢ², exact (discrete time: the stationary second
//!   moment of each direction's linear map, Liu et al. Thms 1–2 per eigenmode) and continuous
//!   (Eq. 1: σᵢ² = λcᵢf/(2hᵢ(1 − μ))), with the minibatch factor f of `batch` of `n_data`;
//! - the Bayes-optimal rate of Thm 6 (the root of Eq. 16, with cᵢ for the Fisher's
//!   eigenvalues, [`super::bayes::optimal_lr_measured`]) and its continuous-time counterpart;
//! - Thm 8's ratio Tr[KC]/Tr[KC̄] (C̄ = (Tr C/D)·I): how much faster the noise as measured
//!   escapes than isotropic noise of the same total variance;
//! - the critical batch size B_crit = E_min/S_min of the steps–examples trade-off of SGD at its
//!   best constant rate (Zhang et al. 2019; McCandlish et al. 2018's S = S_min(1 + B_crit/B)),
//!   fitted to T*(B) over the batch sizes 1, 2, 4, … ([`super::steps_to_target`]).

use super::bayes::{
    optimal_lr_measured, optimal_lr_measured_continuous, thm6_factor, without_replacement_factor,
    Measured,
};
use super::noise_scale::{fit_tradeoff, Tradeoff};
use super::per_direction::{Method, Mode, Problem};
use super::spectrum::Rows;
use super::steps_to_target::{over_batches, Choice};
use crate::model::spectrum::Spectrum;
use serde::Serialize;

/// Above this many rows the B_crit search groups the directions into [`BINS`] geometric bins.
pub const EXACT_UP_TO: usize = 10_000;
/// The bins above [`EXACT_UP_TO`] rows.
pub const BINS: usize = 100;
/// Above this many rows the B_crit search (a first-hitting-time search per batch size, O(rows)
/// per rate tried: about 0.4 ms per row natively) runs on [`BINS`] geometric bins.
pub const CRITICAL_EXACT_UP_TO: usize = 400;

/// The training setting the summary is for.
#[derive(Clone, Copy, Debug)]
pub struct Setting {
    /// The learning rate λ.
    pub lr: f64,
    /// Heavy-ball momentum μ.
    pub mu: f64,
    /// The noise scale a of cᵢ = a·hᵢ when the spectrum has no noise column.
    pub a: f64,
    /// The minibatch size B.
    pub batch: u64,
    /// The data-set size N (0: infinite, the minibatch factor is 1/B).
    pub n_data: u64,
    /// The start θ₀ in every direction (for B_crit).
    pub theta0: f64,
    /// The target loss as a fraction of L(0) (for B_crit).
    pub target: f64,
    /// The most steps looked at (for B_crit).
    pub max_steps: u64,
    /// The largest batch size of the B_crit fit.
    pub batch_max: u64,
}

impl Setting {
    /// SGD with heavy-ball momentum μ (plain SGD at μ = 0).
    pub fn method(&self) -> Method {
        if self.mu > 0.0 {
            Method::HeavyBall { mu: self.mu }
        } else {
            Method::Sgd
        }
    }

    /// The minibatch factor f of batch size `b`: 1/B with infinite data, (N − B)/(B(N − 1))
    /// for B of N examples without replacement.
    pub fn factor(&self, b: u64) -> f64 {
        minibatch_factor(self.n_data, b, false)
    }
}

/// The minibatch factor f that turns a per-example gradient variance cᵢ into the variance
/// cᵢ·f of one step's minibatch mean: 1/B for B examples drawn with replacement (or from
/// infinite data, `n_data` = 0), (N − B)/(B(N − 1)) for B of N without replacement.
pub fn minibatch_factor(n_data: u64, batch: u64, replace: bool) -> f64 {
    if n_data == 0 || replace {
        1.0 / batch as f64
    } else {
        without_replacement_factor(n_data as f64, batch as f64)
    }
}

/// The summary (every value `None` where it does not exist, with the reason in `notes`).
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Rows of the spectrum and the directions they stand for.
    pub rows: usize,
    /// D = Σwᵢ.
    pub directions: u64,
    /// The largest curvature.
    pub h_max: f64,
    /// λ_max = 2(1 + μ)/h_max.
    pub stability_edge: f64,
    /// λ/λ_max.
    pub edge_fraction: f64,
    /// The exact stationary training loss at λ, B.
    pub loss_discrete: Option<f64>,
    /// The continuous-time stationary training loss at λ, B.
    pub loss_continuous: Option<f64>,
    /// loss_discrete / loss_continuous.
    pub loss_ratio: Option<f64>,
    /// The root of Eq. 16 (with cᵢ), for N data and minibatch B.
    pub bayes_lr: Option<f64>,
    /// The continuous-time Bayes-optimal rate 2D/(Nf Σwᵢcᵢ).
    pub bayes_lr_continuous: Option<f64>,
    /// Thm 8's Tr[KC]/Tr[KC̄].
    pub anisotropy_ratio: Option<f64>,
    /// The fitted steps–examples trade-off of SGD (B_crit, S_min, E_min).
    pub tradeoff: Option<Tradeoff>,
    /// Why values are missing.
    pub notes: Vec<String>,
}

/// The summary of spectrum `s` at `setting` (see the module docs).
pub fn summarise(s: &Spectrum, setting: &Setting) -> Summary {
    let (h, c, w) = (s.h(), s.noise(setting.a), s.weights());
    let mut notes = Vec::new();
    let method = setting.method();
    let edge = method.rate_limit(s.h_max());
    let f = setting.factor(setting.batch);
    let (disc, cont) = stationary_loss(h, &c, &w, method, setting, f);
    if disc.is_none() {
        notes.push(format!(
            "no stationary state: λ = {} is at or past the stability edge {edge:.6}",
            setting.lr
        ));
    }
    let (bayes, bayes_cont) = bayes_rates(h, &c, &w, setting, &mut notes);
    let tradeoff = critical_batch(h, &c, &w, setting);
    if tradeoff.is_none() {
        notes.push("B_crit: the steps to the target could not be fitted by S_min(1 + B_crit/B) (too few batch sizes reach the target within max_steps)".into());
    } else if s.rows() > CRITICAL_EXACT_UP_TO {
        notes.push(format!(
            "B_crit: the {} rows are grouped into {BINS} geometric bins of h for the search",
            s.rows()
        ));
    }
    Summary {
        rows: s.rows(),
        directions: s.dims(),
        h_max: s.h_max(),
        stability_edge: edge,
        edge_fraction: setting.lr / edge,
        loss_discrete: disc,
        loss_continuous: cont,
        loss_ratio: disc.zip(cont).map(|(d, c)| d / c).filter(|r| r.is_finite()),
        bayes_lr: bayes,
        bayes_lr_continuous: bayes_cont,
        anisotropy_ratio: anisotropy_ratio(h, &c, &w),
        tradeoff,
        notes,
    }
}

/// ½Σᵢ wᵢhᵢσᵢ², exact (the stationary second moment of each direction's map) and continuous
/// (σᵢ² = λcᵢf/(2hᵢ(1 − μ)), Eq. 1); the exact one `None` past the stability edge.
pub fn stationary_loss(
    h: &[f64],
    c: &[f64],
    w: &[f64],
    method: Method,
    setting: &Setting,
    f: f64,
) -> (Option<f64>, Option<f64>) {
    let mu = if let Method::HeavyBall { mu } = method {
        mu
    } else {
        0.0
    };
    let mut exact = Some(0.0);
    let mut continuous = 0.0;
    for i in 0..h.len() {
        if h[i] == 0.0 {
            continue; // a flat direction adds nothing to the loss, in either theory
        }
        continuous += w[i] * setting.lr * c[i] * f / (4.0 * (1.0 - mu));
        let mode = Mode::new(method, setting.lr, h[i], c[i] * f, 0.0);
        exact = exact
            .zip(mode)
            .map(|(sum, m)| sum + 0.5 * w[i] * h[i] * m.stationary());
    }
    (
        exact.filter(|x| x.is_finite()),
        Some(continuous).filter(|x| x.is_finite()),
    )
}

/// [`stationary_loss`] of spectrum `s` at `setting` at each rate of `rates` (in place of
/// `setting.lr`), with the minibatch factor of `setting.batch`: (exact, continuous) per rate.
/// Above [`EXACT_UP_TO`] rows the rows are grouped into [`BINS`] geometric bins of h
/// ([`Rows::coarse`]).
pub fn loss_curve(
    s: &Spectrum,
    setting: &Setting,
    rates: &[f64],
) -> Vec<(Option<f64>, Option<f64>)> {
    let rows = Rows::of(s, setting.a).coarse();
    let f = setting.factor(setting.batch);
    (rates.iter())
        .map(|&lr| {
            let at = Setting { lr, ..*setting };
            stationary_loss(&rows.k, &rows.c, &rows.w, setting.method(), &at, f)
        })
        .collect()
}

/// The Bayes-optimal rates (discrete, continuous) for N = `n_data` and S = `batch`, with Thm 6's
/// factor f = (N − S)/(NS).
fn bayes_rates(
    h: &[f64],
    c: &[f64],
    w: &[f64],
    setting: &Setting,
    notes: &mut Vec<String>,
) -> (Option<f64>, Option<f64>) {
    let (n, b) = (setting.n_data as f64, setting.batch as f64);
    if setting.n_data == 0 || b >= n {
        notes.push("Bayes-optimal rate: needs a finite data set larger than the batch (Thm 6's posterior is that of N examples)".into());
        return (None, None);
    }
    let m = Measured { h, c, w: Some(w) };
    let f = thm6_factor(n, b);
    let disc = optimal_lr_measured(&m, n, f);
    if disc.is_none() {
        notes.push("Bayes-optimal rate: some direction has no gradient noise (cᵢ = 0), so no rate brings SGD's stationary state near the posterior".into());
    }
    (disc, optimal_lr_measured_continuous(&m, n, f))
}

/// Thm 8's Tr[KC]/Tr[KC̄] with C̄ = (Tr C/D)·I, every sum weighted by the multiplicities.
pub fn anisotropy_ratio(h: &[f64], c: &[f64], w: &[f64]) -> Option<f64> {
    let (mut hc, mut th, mut tc, mut d) = (0.0, 0.0, 0.0, 0.0);
    for i in 0..h.len() {
        hc += w[i] * h[i] * c[i];
        th += w[i] * h[i];
        tc += w[i] * c[i];
        d += w[i];
    }
    let r = hc * d / (th * tc);
    r.is_finite().then_some(r)
}

/// The steps–examples trade-off of SGD at its best rate over B = 1, 2, 4, …, `batch_max`
/// (B ≤ N with finite data): T*(B) to the target, fitted by S_min(1 + B_crit/B). Above
/// [`CRITICAL_EXACT_UP_TO`] rows on [`BINS`] geometric bins of h (Zhang et al.'s grouping;
/// within 5 % of the exact T* at D = 10⁴, `tests/panels/batch_size.rs`).
pub fn critical_batch(h: &[f64], c: &[f64], w: &[f64], setting: &Setting) -> Option<Tradeoff> {
    let mut problem = Problem::measured(h, c, w, setting.theta0);
    if problem.h.len() > CRITICAL_EXACT_UP_TO {
        problem = problem.grouped(BINS);
    }
    let batches: Vec<u64> = std::iter::successors(Some(1u64), |b| b.checked_mul(2))
        .take_while(|b| *b <= setting.batch_max)
        .filter(|b| setting.n_data == 0 || *b < setting.n_data)
        .collect();
    let factors: Vec<f64> = batches.iter().map(|b| setting.factor(*b)).collect();
    let level = setting.target * problem.initial_loss();
    let best = over_batches(
        &problem,
        Choice::Rate(Method::Sgd),
        level,
        setting.max_steps,
        &factors,
    );
    let points: Vec<(f64, f64)> = (batches.iter().zip(&best))
        .filter_map(|(b, t)| t.map(|(best, _)| (*b as f64, best.steps as f64)))
        .collect();
    fit_tradeoff(&points)
}
