//! `bayes` — Liu, Ziyin & Ueda (2021), Sec. 6.1 and Thm 6 (after Mandt et al. 2017): SGD as
//! approximate Bayesian inference. The KL divergence D_KL(q ‖ p) between SGD's stationary
//! Gaussian q = N(0, Σ) and the posterior p = N(0, (NK)⁻¹) of Eq. (15), with minibatch noise
//! C = (N−S)/(NS) K, against the learning rate; its minimum at the root of Eq. (16) beside
//! Mandt et al.'s λ* = 2SD/(N Tr K); and both optima against the minibatch size S. The Hessian
//! is a power-law spectrum kᵢ = h₁·i^(−d), i = 1…D.
//!
//! Theory only: the panel has no Monte Carlo jobs. (A walker ensemble would only re-measure the
//! stationary Σ of Thm 1, which `lr-sweep` and `ellipses` already check, and the ensembles
//! simulate D ≤ 2.)
//!
//! With K and C diagonal in the same basis every eigenmode is an independent 1-D problem whose
//! exact stationary variance is Thm 1 in one dimension, σᵢ² = λf/(2 − λkᵢ) for C = fK (Eq. 52),
//! so D_KL = ½Σᵢ[N kᵢ σᵢ² − 1 − ln(N kᵢ σᵢ²)] costs O(D); `theory::bayes::kl` (the general
//! solver) is its test oracle.

use super::kit::figure;
use super::{LegacyPanel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesKind, Style};
use crate::linalg::logspace;
use crate::params::Params;
use crate::theory::{bayes, closed_form, spectrum};

/// The panel.
pub struct Bayes;

static SPEC: Spec = Spec {
    name: "bayes",
    title: "Bayes-optimal learning rate",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    source: "Liu, Ziyin & Ueda (2021), Sec. 6.1, Thm 6, Eqs. 15–16, 52–55; Mandt et al. (2017)",
    keys: &["n_data", "batch", "spec_d", "spec_decay", "h1"],
    defaults,
    presets: &[
        ("isotropic K: λ* exact", "spec_decay=0"),
        (
            "D = 10, N/S = 10",
            "spec_d=10&spec_decay=1&n_data=1000&batch=100",
        ),
        (
            "D = 100: λ* unstable",
            "spec_d=100&spec_decay=1&n_data=1000&batch=100",
        ),
        ("S ≪ N", "n_data=100000&batch=10"),
    ],
    live: false,
};

fn defaults(p: &mut Params) {
    p.n_data = 1000;
    p.batch = 100;
    p.spec_d = 10;
    p.spec_decay = 1.0;
    p.h1 = 1.0;
}

/// The Hessian eigenvalues: the power law kᵢ = h₁·i^(−d), i = 1…D (D ≥ 1).
pub fn spectrum_of(p: &Params) -> Vec<f64> {
    spectrum::power_law(p.spec_d.max(1) as usize, p.h1, p.spec_decay)
}

/// D_KL(q ‖ p) of Thm 6 for noise C = fK (Thm 6: f = (N−S)/(NS)), mode by mode with the exact
/// stationary variance σᵢ² = λf/(2 − λkᵢ) of SGD (Thm 1 per eigenmode, Eq. 52):
/// ½Σᵢ[N kᵢ σᵢ² − 1 − ln(N kᵢ σᵢ²)]. `None` without a stationary state (λk_max ≥ 2).
pub fn kl_modes(ks: &[f64], n: f64, f: f64, lr: f64) -> Option<f64> {
    let mut sum = 0.0;
    for &k in ks {
        if lr * k >= 2.0 || lr.is_nan() {
            return None;
        }
        let x = n * k * lr * f / (2.0 - lr * k);
        sum += x - 1.0 - x.ln();
    }
    let v = 0.5 * sum;
    v.is_finite().then_some(v)
}

/// The same KL for the continuous-time stationary state Σ = λ/2 K⁻¹C = λf/2 I (Eq. 1).
pub fn kl_continuous(ks: &[f64], n: f64, f: f64, lr: f64) -> Option<f64> {
    let mut sum = 0.0;
    for &k in ks {
        let x = n * k * lr * f / 2.0;
        sum += x - 1.0 - x.ln();
    }
    let v = 0.5 * sum;
    v.is_finite().then_some(v)
}

/// The minimiser of [`kl_modes`] for noise C = fK: the root in (0, 2/k_max) of
/// Nf Σᵢ 2kᵢ/(2 − λkᵢ)² − Σᵢ kᵢ/(2 − λkᵢ) − D/λ (the derivative of 2·D_KL), by bisection. With
/// f = (N−S)/(NS) this is exactly Eq. (16) (regrouped). `None` if f ≤ 0.
pub fn optimal_lr_for(ks: &[f64], n: f64, f: f64) -> Option<f64> {
    let k_max = ks.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if !(f > 0.0 && k_max > 0.0 && ks.iter().all(|k| *k > 0.0)) {
        return None;
    }
    let d = ks.len() as f64;
    let g = |lr: f64| {
        let (mut a, mut b) = (0.0, 0.0);
        for &k in ks {
            let r = 2.0 - lr * k;
            a += 2.0 * k / (r * r);
            b += k / r;
        }
        n * f * a - b - d / lr
    };
    crate::theory::bayes::root_below_stability(g, k_max)
}

/// Thm 6's noise factor f = (N−S)/(NS).
pub fn thm6_factor(n: f64, s: f64) -> f64 {
    (n - s) / (n * s)
}

/// The exact factor of sampling S of N points without replacement: (N−S)/(S(N−1)).
pub fn exact_factor(n: f64, s: f64) -> f64 {
    if n > 1.0 {
        (n - s) / (s * (n - 1.0))
    } else {
        0.0
    }
}

/// The minibatch sizes of plot 1: up to 50 integers spread in log over 1 … N−1.
fn batches(p: &Params) -> Vec<f64> {
    let top = p.n_data.saturating_sub(1).max(1) as f64;
    let mut s: Vec<f64> = logspace(1.0, top, 50).into_iter().map(f64::round).collect();
    s.dedup();
    s
}

impl LegacyPanel for Bayes {
    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> Figure {
        let ks = spectrum_of(p);
        let (n, s) = (p.n_data as f64, p.batch as f64);
        let f = thm6_factor(n, s);
        let k_max = ks.iter().cloned().fold(0.0f64, f64::max);
        let limit = 2.0 / k_max;
        let root = bayes::optimal_lr(&ks, n, s);
        let mandt = (s < n).then(|| closed_form::mandt_lr(&ks, n, s));
        let d = ks.len() as f64;
        let tr_k: f64 = ks.iter().sum();
        let cont_opt = (s < n).then(|| 2.0 * s * d / ((n - s) * tr_k));

        let mut left = Plot::new("learning rate λ", "D_KL(SGD ‖ posterior)");
        left.title = format!(
            "N = {}, S = {}, D = {}, kᵢ = {}·i^−{}",
            p.n_data,
            p.batch,
            ks.len(),
            p.h1,
            p.spec_decay
        );
        left.x_log = true;
        left.y_log = true;
        let mut right = Plot::new("minibatch size S", "optimal learning rate");
        right.title = format!("N = {}: optimum against S", p.n_data);
        right.x_log = true;
        right.y_log = true;
        let mut fig = figure(p, vec![left, right]);
        if !(limit.is_finite() && limit > 0.0) {
            fig.plots[0].note = Some("K has no positive eigenvalue: no posterior".into());
        }

        // Plot 0: KL against λ, from well below the optimum to the stability limit (and past
        // it, when Mandt's λ* lies there).
        let centre = root.or(mandt).unwrap_or(limit / 2.0).min(limit / 2.0);
        let lo = centre / 100.0;
        let hi = mandt.map_or(limit, |m| m.max(limit) * 1.2).max(limit);
        let grid = logspace(lo, limit * (1.0 - 1e-9), 400);
        fig.plots[0].x_range = Some((lo, hi));
        fig.series.push(Series::curve(
            "D_KL, exact stationary Σ",
            SeriesKind::TheoryDiscrete,
            &grid,
            |lr| kl_modes(&ks, n, f, lr),
        ));
        let cgrid = logspace(lo, hi, 400);
        fig.series.push(Series::curve(
            "D_KL, continuous-time Σ",
            SeriesKind::TheoryContinuous,
            &cgrid,
            |lr| kl_continuous(&ks, n, f, lr),
        ));
        let vline = |name: &str, kind: SeriesKind, x: Option<f64>, colour: usize, plot: usize| {
            Series::new(
                name,
                kind,
                x.into_iter().collect(),
                vec![f64::NAN; x.is_some() as usize],
            )
            .styled(Style::Vline)
            .colored(colour)
            .in_plot(plot)
        };
        fig.series.push(vline(
            "root of Eq. 16",
            SeriesKind::TheoryDiscrete,
            root,
            5,
            0,
        ));
        fig.series.push(vline(
            "Mandt et al. λ*",
            SeriesKind::TheoryOther,
            mandt,
            0,
            0,
        ));
        fig.series.push(vline(
            "λ k_max = 2",
            SeriesKind::TheoryOther,
            Some(limit),
            7,
            0,
        ));
        // The y axis: from below the minimum to well above it.
        if let Some(kmin) = root.and_then(|r| kl_modes(&ks, n, f, r)) {
            let top = kl_modes(&ks, n, f, lo).unwrap_or(10.0 * kmin.max(1e-3));
            fig.plots[0].y_range = Some((0.3 * kmin.max(1e-12), 3.0 * top));
        }

        // Plot 1: the optima against S.
        let ss = batches(p);
        fig.series.push(
            Series::curve("root of Eq. 16", SeriesKind::TheoryDiscrete, &ss, |s| {
                bayes::optimal_lr(&ks, n, s)
            })
            .in_plot(1),
        );
        fig.series.push(
            Series::curve(
                "Mandt et al. λ* = 2SD/(N Tr K)",
                SeriesKind::TheoryOther,
                &ss,
                |s| Some(closed_form::mandt_lr(&ks, n, s)),
            )
            .in_plot(1)
            .styled(Style::Dashed)
            .colored(0),
        );
        fig.series.push(
            Series::curve(
                "continuous-time optimum 2SD/((N−S) Tr K)",
                SeriesKind::TheoryContinuous,
                &ss,
                |s| Some(2.0 * s * d / ((n - s) * tr_k)),
            )
            .in_plot(1),
        );
        fig.series.push(
            Series::new(
                "2/k_max",
                SeriesKind::TheoryOther,
                vec![ss[0], *ss.last().unwrap_or(&ss[0])],
                vec![limit, limit],
            )
            .in_plot(1)
            .colored(7),
        );
        fig.series
            .push(vline("this S", SeriesKind::TheoryOther, Some(s), 7, 1).unlabelled());
        let y_lo = ss
            .first()
            .and_then(|&s0| bayes::optimal_lr(&ks, n, s0))
            .unwrap_or(limit * 1e-3);
        fig.plots[1].y_range = Some((0.5 * y_lo, 30.0 * limit));

        let kl_at = |x: Option<f64>| x.and_then(|x| kl_modes(&ks, n, f, x));
        fig.readouts = vec![
            Readout::new("lr_opt", "optimal λ: root of Eq. 16", root),
            Readout::new("lr_mandt", "Mandt et al.'s λ* = 2SD/(N Tr K)", mandt),
            Readout::new(
                "mandt_over_opt",
                "λ* / optimal λ",
                mandt.zip(root).map(|(m, r)| m / r),
            ),
            Readout::new(
                "lr_continuous_opt",
                "minimum of the continuous-time KL, 2SD/((N−S) Tr K)",
                cont_opt,
            ),
            Readout::new("lr_limit", "stability limit 2/k_max", Some(limit)),
            Readout::new("kl_opt", "D_KL at the optimal λ", kl_at(root)),
            Readout::new(
                "kl_mandt",
                "D_KL at Mandt et al.'s λ* (none past the stability limit)",
                kl_at(mandt),
            ),
            Readout::new(
                "lr_opt_exact_factor",
                "optimal λ with C = (N−S)/(S(N−1)) K (exact without replacement)",
                optimal_lr_for(&ks, n, exact_factor(n, s)),
            ),
        ];
        fig
    }

    fn job(&self, _p: &Params, _i: usize) -> Vec<Patch> {
        Vec::new()
    }
}
