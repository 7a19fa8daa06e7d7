//! `escape` — Liu, Ziyin & Ueda (2021), Fig. 5 and Thm 8: the escaping efficiency
//! E(t) = E[L(w_t) − L(w_0)] (Zhu et al.; Liu et al. Eq. 17) of SGD started at the minimum.
//!
//! Plot 0 (Fig. 5): E(t) against t for two learning rates λ and λ₂ with K = h₁I_D and
//! C = σ²I_D (the paper's K = C = I_D): Monte Carlo, the exact discrete-time value (Thm 7,
//! Eq. 18, computed by the covariance recursion) and Zhu et al.'s continuous-time one (Eq. 19).
//! With K and C multiples of the identity the D coordinates are independent 1-D walks, so a run
//! of the D-dimensional problem is D independent 1-D runs: each coordinate is simulated by its own
//! 1-D ensemble (the walker kernels are 1-D or 2-D) and the per-coordinate means and variances
//! of ½h₁w² add up to those of the D-dimensional loss.
//!
//! Plot 1 (Thm 8): the ratio of the escaping efficiency of noise aligned with a power-law Hessian
//! kᵢ = h₁·i^(−d) (C ∝ K) to that of its isotropic version C̄ = (Tr C/D) I, against D: Eq. 20's
//! Tr[KC]/Tr[KC̄] (exact at t = 1), the exact discrete-time ratio after t steps (Eq. 18 per
//! eigenmode) and the continuous-time one (Eq. 19 per eigenmode), beside Thm 8's order D^(2d−1)
//! and the bound D that no ratio can exceed (Tr[KC] ≤ Tr K · Tr C).

use super::kit::{figure, job_seed};
use super::{LegacyPanel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesKind, Style};
use crate::linalg::{linspace, logspace};
use crate::model::Model;
use crate::optimizer::Optimizer;
use crate::params::{Params, MAX_WORK};
use crate::sim::{Dynamics, Ensemble};
use crate::theory::{self, escape};
use nalgebra::DMatrix;

/// The panel.
pub struct Escape;

static SPEC: Spec = Spec {
    name: "escape",
    title: "Escaping efficiency from a sharp minimum",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    source: "Liu, Ziyin & Ueda (2021), Fig. 5; Thm 7, Eqs. 17–19; Cor. 4; Thm 8, Eq. 20",
    keys: &[
        "lr",
        "lr2",
        "h1",
        "sigma2",
        "esc_dim",
        "walkers",
        "steps",
        "points",
        "ylog",
        "t",
        "spec_d",
        "spec_decay",
        "seed",
    ],
    defaults,
    presets: &[
        ("Fig. 5: λ = 0.5 and 1.8", "lr=0.5&lr2=1.8&h1=1&sigma2=1"),
        ("small λ: 0.1 and 0.5", "lr=0.1&lr2=0.5&steps=60&points=30"),
        ("Thm 8: d = 0.6", "spec_decay=0.6"),
        ("Thm 8: d = 1.5", "spec_decay=1.5"),
    ],
    live: false,
};

fn defaults(p: &mut Params) {
    p.lr = 0.5;
    p.lr2 = 1.8;
    p.h1 = 1.0;
    p.sigma2 = 1.0;
    p.esc_dim = 1;
    p.walkers = 50_000;
    p.steps = 20;
    p.points = 20;
    p.ylog = true;
    p.t = 10;
    p.spec_d = 10_000;
    p.spec_decay = 0.75;
}

/// Series indices: the Monte Carlo points at λ and at λ₂.
const MC: [usize; 2] = [0, 1];
/// Palette colours of the two learning rates.
const COLOUR: [usize; 2] = [5, 4];

fn rates(p: &Params) -> [f64; 2] {
    [p.lr, p.lr2]
}

/// The times at which every run is measured: `points` steps spread evenly over 1..=`steps`
/// (fewer when there are fewer steps than points).
pub fn times(p: &Params) -> Vec<u64> {
    let n = p.points.min(p.steps);
    (1..=n).map(|j| j * p.steps / n).collect()
}

/// One coordinate of the Fig. 5 problem: k = h₁, c = σ².
fn mode(p: &Params) -> Model {
    Model::new(
        DMatrix::from_element(1, 1, p.h1),
        DMatrix::from_element(1, 1, p.sigma2),
    )
}

/// Walker-steps of one job (one learning rate).
fn work(p: &Params) -> u64 {
    p.walkers.saturating_mul(p.esc_dim).saturating_mul(p.steps)
}

/// The exact discrete-time E(t) of the D-dimensional problem at every t of `ts` (sorted), from
/// the covariance recursion P_t = A P_{t−1} Aᵀ + B C Bᵀ started at the minimum (Eq. 17; equal
/// to Eq. 18): D times the one-dimensional value.
pub fn exact_at(p: &Params, lr: f64, ts: &[u64]) -> Vec<f64> {
    let model = mode(p);
    let opt = Optimizer::sgd(lr, 0.0, 1);
    let mut state = DMatrix::zeros(2, 2);
    let mut now = 0;
    let d = p.esc_dim as f64;
    ts.iter()
        .map(|&t| {
            if t > now {
                match escape::state_covariance_after(&model, &opt, &state, t - now) {
                    Some(s) => state = s,
                    None => return f64::NAN,
                }
                now = t;
            }
            d * theory::expected_loss(&model.k, &state.view((0, 0), (1, 1)).into_owned())
        })
        .collect()
}

/// Zhu et al.'s continuous-time E(t) (Eq. 19) of the D-dimensional problem.
pub fn continuous_at(p: &Params, lr: f64, t: f64) -> Option<f64> {
    escape::escape_continuous(&mode(p), &Optimizer::sgd(lr, 0.0, 1), t)
        .map(|e| e * p.esc_dim as f64)
}

/// The long-time limits (t → ∞) of E_d and E_c: ½Tr[KΣ] at the stationary Σ of each theory.
fn limits(p: &Params, lr: f64) -> (Option<f64>, Option<f64>) {
    let pr = theory::predict(&mode(p), &Optimizer::sgd(lr, 0.0, 1));
    let d = p.esc_dim as f64;
    (
        pr.loss_discrete.map(|x| x * d),
        pr.loss_continuous.map(|x| x * d),
    )
}

/// The escaping efficiency of one eigenmode per unit noise, φ(k) with E = Σᵢ φ(kᵢ) cᵢ for K and C
/// diagonal in the same basis: Eq. 18 per mode, φ = (λ²k/2) Σ_{s<t} (1 − λk)^{2s}
/// = (λ/4)(1 − (1 − λk)^{2t})/(1 − λk/2), evaluated without cancellation for small λk (and
/// valid for λk > 2 too, where it grows with t).
pub fn phi_discrete(k: f64, lr: f64, t: u64) -> f64 {
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

/// Eq. 19 per mode and per unit noise: φ_c = (λ/4)(1 − e^{−2λkt}).
pub fn phi_continuous(k: f64, lr: f64, t: u64) -> f64 {
    -lr / 4.0 * (-2.0 * lr * k * t as f64).exp_m1()
}

/// The ratio E(C)/E(C̄) for the first D modes of the power-law spectrum, C ∝ K and
/// C̄ = (Tr C/D) I, with per-mode weights φᵢ: D Σφᵢkᵢ / (Σφᵢ Σkᵢ), for every D in `ds` (sorted);
/// NaN where it is not defined.
pub fn ratio_curve(ks: &[f64], ds: &[usize], phi: impl Fn(f64) -> f64) -> Vec<f64> {
    let (mut sfk, mut sf, mut sk) = (0.0, 0.0, 0.0);
    let mut out = Vec::with_capacity(ds.len());
    let mut next = ds.iter().peekable();
    for (i, &k) in ks.iter().enumerate() {
        let f = phi(k);
        sfk += f * k;
        sf += f;
        sk += k;
        while next.peek() == Some(&&(i + 1)) {
            next.next();
            let r = (i + 1) as f64 * sfk / (sf * sk);
            out.push(if r.is_finite() { r } else { f64::NAN });
        }
    }
    out.resize(ds.len(), f64::NAN);
    out
}

/// The dimensions of plot 1: about 60 integers spread in log from 1 to `spec_d`.
fn dims(p: &Params) -> Vec<usize> {
    let top = p.spec_d.max(2) as f64;
    let mut ds: Vec<usize> = logspace(1.0, top, 60)
        .into_iter()
        .map(|d| d.round() as usize)
        .collect();
    ds.dedup();
    ds
}

impl LegacyPanel for Escape {
    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> Figure {
        let mut left = Plot::new("steps t", "escaping efficiency E(t)");
        left.title = format!(
            "Fig. 5: K = {}·I, C = {}·I, D = {}",
            p.h1, p.sigma2, p.esc_dim
        );
        let mut right = Plot::new("dimension D", "E(C) / E(C̄)");
        right.title = format!("Thm 8: kᵢ = {}·i^−{}, C ∝ K", p.h1, p.spec_decay);
        right.x_log = true;
        right.y_log = true;
        let mut fig = figure(p, vec![left, right]);
        let ts = times(p);
        let xs: Vec<f64> = ts.iter().map(|&t| t as f64).collect();
        let lrs = rates(p);
        for (i, &lr) in lrs.iter().enumerate() {
            fig.series.push(
                Series::pending(format!("Monte Carlo, λ = {lr}"), xs.clone()).colored(COLOUR[i]),
            );
        }
        // Discrete theory at integer t (at most ~1000 of them), continuous on a fine grid.
        let stride = (p.steps / 1000).max(1);
        let t_int: Vec<u64> = (0..=p.steps / stride).map(|j| j * stride).collect();
        let t_real = linspace(0.0, p.steps as f64, 300);
        for (i, &lr) in lrs.iter().enumerate() {
            let ex = exact_at(p, lr, &t_int);
            fig.series.push(
                Series::new(
                    format!("exact discrete (Eq. 18), λ = {lr}"),
                    SeriesKind::TheoryDiscrete,
                    t_int.iter().map(|&t| t as f64).collect(),
                    ex,
                )
                .colored(COLOUR[i]),
            );
            fig.series.push(
                Series::curve(
                    format!("continuous (Eq. 19), λ = {lr}"),
                    SeriesKind::TheoryContinuous,
                    &t_real,
                    |t| continuous_at(p, lr, t),
                )
                .colored(COLOUR[i]),
            );
        }
        // The y axis: from the first step's value to the largest long-time value, with room
        // above for the legend.
        let values: Vec<f64> = fig.series[2..6]
            .iter()
            .flat_map(|s| s.finite_points())
            .map(|(_, y)| y)
            .filter(|y| *y > 0.0)
            .collect();
        let (lo, hi) = values
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
        if hi > 0.0 {
            fig.plots[0].y_log = p.ylog;
            let first: f64 = lrs
                .iter()
                .map(|&lr| exact_at(p, lr, &[1])[0])
                .fold(f64::INFINITY, f64::min);
            fig.plots[0].y_range = Some(if p.ylog {
                (0.5 * first.max(lo), 6.0 * hi)
            } else {
                (0.0, 1.5 * hi)
            });
        }
        if work(p) > MAX_WORK {
            fig.plots[0].note = Some(format!(
                "No Monte Carlo: walkers × D × steps = {} is more than the {MAX_WORK} \
                 walker-steps one run may take",
                work(p)
            ));
        } else {
            fig.jobs = if ts.is_empty() { 0 } else { 2 };
        }

        // Plot 1: Thm 8.
        let ds = dims(p);
        let d_max = *ds.last().unwrap_or(&1);
        let ks = theory::spectrum::power_law(d_max, p.h1, p.spec_decay);
        let dx: Vec<f64> = ds.iter().map(|&d| d as f64).collect();
        let (lr, t) = (p.lr, p.t);
        let eq20 = ratio_curve(&ks, &ds, |k| k);
        let disc = if t == 0 {
            vec![f64::NAN; ds.len()]
        } else {
            ratio_curve(&ks, &ds, |k| phi_discrete(k, lr, t))
        };
        let cont = if t == 0 {
            vec![f64::NAN; ds.len()]
        } else {
            ratio_curve(&ks, &ds, |k| phi_continuous(k, lr, t))
        };
        fig.series.push(
            Series::new(
                "Eq. 20: Tr[KC]/Tr[KC̄] (exact at t = 1)",
                SeriesKind::TheoryOther,
                dx.clone(),
                eq20.clone(),
            )
            .in_plot(1)
            .styled(Style::Line)
            .colored(0),
        );
        fig.series.push(
            Series::new(
                format!("exact discrete, t = {t}, λ = {lr}"),
                SeriesKind::TheoryDiscrete,
                dx.clone(),
                disc,
            )
            .in_plot(1),
        );
        fig.series.push(
            Series::new(
                format!("continuous, t = {t}, λ = {lr}"),
                SeriesKind::TheoryContinuous,
                dx.clone(),
                cont,
            )
            .in_plot(1),
        );
        let order = 2.0 * p.spec_decay - 1.0;
        fig.series.push(
            Series::new(
                format!("Thm 8: D^(2d−1) = D^{order:.3}"),
                SeriesKind::TheoryOther,
                dx.clone(),
                dx.iter().map(|d| d.powf(order)).collect(),
            )
            .in_plot(1)
            .colored(6),
        );
        fig.series.push(
            Series::new("bound D", SeriesKind::TheoryOther, dx.clone(), dx.clone())
                .in_plot(1)
                .styled(Style::Dashed)
                .colored(7),
        );
        let (y_top, y_bot) = eq20
            .iter()
            .filter(|v| v.is_finite())
            .fold((1.0f64, 1.0f64), |(a, b), &v| (a.max(v), b.min(v)));
        // Room above the curves for the legend.
        fig.plots[1].y_range = Some((0.5 * y_bot.min(1.0), 8.0 * y_top.max(1.0)));

        let exponent = {
            let n = eq20.len();
            (n >= 2 && dx[n - 1] > dx[0]).then(|| {
                let j = ds
                    .iter()
                    .position(|&d| d as f64 >= dx[n - 1] / 10.0)
                    .unwrap_or(0);
                (eq20[n - 1] / eq20[j]).ln() / (dx[n - 1] / dx[j]).ln()
            })
        };
        let mut readouts = Vec::new();
        for (i, &lr) in lrs.iter().enumerate() {
            let (d, c) = limits(p, lr);
            let tag = ["lr", "lr2"][i];
            readouts.push(Readout::new(
                &format!("e_discrete_inf_{tag}"),
                &format!("E_d(∞) at λ = {lr}: λD σ²/(2(2 − λh₁))"),
                d,
            ));
            readouts.push(Readout::new(
                &format!("e_continuous_inf_{tag}"),
                &format!("E_c(∞) at λ = {lr}: λDσ²/4"),
                c,
            ));
        }
        readouts.push(Readout::new(
            "thm8_ratio_dmax",
            &format!("Eq. 20 ratio at D = {d_max}"),
            eq20.last().copied(),
        ));
        readouts.push(Readout::new(
            "thm8_exponent",
            "growth exponent of the Eq. 20 ratio over the last decade of D",
            exponent,
        ));
        readouts.push(Readout::new(
            "thm8_order",
            "Thm 8's exponent 2d − 1",
            Some(order),
        ));
        fig.readouts = readouts;
        fig
    }

    fn job(&self, p: &Params, i: usize) -> Vec<Patch> {
        let Some(&lr) = rates(p).get(i) else {
            return Vec::new();
        };
        let ts = times(p);
        let n = ts.len();
        let model = mode(p);
        let dy = Dynamics::heavy_ball(&model, lr, 0.0);
        let half_k = 0.5 * p.h1;
        let (mut mean, mut var) = (vec![0.0; n], vec![0.0; n]);
        // Points from the first time a walker escaped on are left out (the escaped walkers are
        // no longer in the statistics); all of them without the budget for the runs.
        let mut cut = if work(p) <= MAX_WORK { n } else { 0 };
        let seed = job_seed(p.seed, i);
        for coord in 0..p.esc_dim as usize {
            if cut == 0 {
                break;
            }
            let mut e = Ensemble::new(1, p.walkers as usize, job_seed(seed, coord));
            let mut now = 0;
            for (j, &t) in ts.iter().enumerate().take(cut) {
                e.advance(&dy, t - now);
                now = t;
                if e.diverged() > 0 {
                    cut = j;
                    break;
                }
                // Mean and variance of ½h₁w² over the runs; coordinates are independent, so
                // both add over them.
                let ls: Vec<f64> = e.coords(0).iter().map(|w| half_k * w * w).collect();
                let (m, se) = super::kit::mean_se(&ls);
                mean[j] += m.unwrap_or(f64::NAN);
                var[j] += se.map_or(f64::NAN, |s| s * s);
            }
        }
        let mut err: Vec<f64> = var.into_iter().map(f64::sqrt).collect();
        for j in cut..n {
            mean[j] = f64::NAN;
            err[j] = f64::NAN;
        }
        let y = mean;
        vec![Patch {
            series: MC[i].into(),
            index: 0,
            x: None,
            y,
            y_err: Some(err),
        }]
    }

    fn finish(&self, p: &Params, fig: &mut Figure) {
        // How far the Monte Carlo points are from each theory at the times they measure, in
        // standard errors.
        let ts = times(p);
        let (mut zd, mut zc, mut n) = (0.0f64, 0.0f64, 0);
        for (i, &lr) in rates(p).iter().enumerate() {
            let mc = &fig.series[MC[i]];
            if !mc.y.iter().any(|y| y.is_finite()) {
                continue;
            }
            let exact = exact_at(p, lr, &ts);
            for (j, &y) in mc.y.iter().enumerate() {
                let se = mc.y_err.as_ref().map_or(f64::NAN, |e| e[j]);
                if !(y.is_finite() && se > 0.0) {
                    continue;
                }
                zd = zd.max((y - exact[j]).abs() / se);
                if let Some(c) = continuous_at(p, lr, ts[j] as f64) {
                    zc = zc.max((y - c).abs() / se);
                }
                n += 1;
            }
        }
        fig.readouts.retain(|r| !r.key.starts_with("z_"));
        fig.readouts.push(Readout::new(
            "z_discrete_max",
            "largest |Monte Carlo − exact (Eq. 18)| in standard errors",
            (n > 0).then_some(zd),
        ));
        fig.readouts.push(Readout::new(
            "z_continuous_max",
            "largest |Monte Carlo − continuous (Eq. 19)| in standard errors",
            (n > 0).then_some(zc),
        ));
    }
}
