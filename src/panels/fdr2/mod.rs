//! `fdr2` — Yaida (2019), Sec. 2.2 and 3.2 (Fig. 3): the second fluctuation–dissipation
//! relation, G(η) = ⟨(∇f)²⟩ against the learning rate η.
//!
//! FDR2 follows from stationarity alone (the master equation FDT applied to f and expanded in
//! η):
//!
//! ⟨(∇f)²⟩ = (η/2)⟨Tr(H C̃)⟩ − η² Σ_{k≥3} (−η)^{k−3}/k! ⟨F_{i₁…i_k} C̃_{i₁…i_k}⟩,
//!
//! with C̃ the full (not connected) moments of the minibatch gradient (Eqs. 3–4) and F_k the
//! k-th derivatives of f (Eq. 13). Two losses, both with K = diag(h₁, h₂) and Gaussian gradient
//! noise of constant covariance C = σ²I + aK (diagonal):
//! - the quadratic f = ½θᵀKθ: every derivative beyond the second vanishes, so
//!   G(η) = (η/2) Tr(K C̃) = Tr(K²Σ) exactly, Σ the exact discrete stationary covariance
//!   ([`crate::theory::fdr`]); as η → 0, G/η → ½Tr(KC), the slope that measures the Hessian;
//! - the quartic f = ½θᵀKθ + (g/4)Σᵢθᵢ⁴: H(θ) = K + 3g diag(θᵢ²), F_iii = 6gθᵢ, F_iiii = 6g,
//!   and the series stops at k = 4:
//!   G = (η/2)⟨Tr(HC̃)⟩ − η²g⟨Σᵢθᵢ E vᵢ³⟩ + (η³g/4)⟨Σᵢ E vᵢ⁴⟩, v = ∇f^B = ∇f + noise,
//!   E vᵢ³ = aᵢ³ + 3aᵢCᵢᵢ, E vᵢ⁴ = aᵢ⁴ + 6aᵢ²Cᵢᵢ + 3Cᵢᵢ² (aᵢ = ∂ᵢf). No closed form exists
//!   for its stationary state; its points are Monte Carlo only
//!   ([`crate::sim::diagonal::fdr2_window`]).
//!
//! Each Monte Carlo point is `walkers` runs of `steps` steps from θ = 0 with Yaida's
//! half-running average (Eq. 15) of |∇f|² per run (the full-batch gradient, as in his
//! O_FB, Eq. 18). The quadratic points come from the shared walker engine
//! ([`crate::sim::Ensemble`], split into sub-ensembles for the standard error) and are checked
//! against the exact expectation of that average after `steps` steps
//! ([`DiagonalNqm::grad_sq_half_running`]), not only the stationary value. Both losses are the
//! one diagonal model of [`crate::theory::diagonal`].

use super::kit::{figure, job_seed};
use super::{Panel, Spec};
use crate::figure::{Figure, Patch, Plot, Series, SeriesId, SeriesKind};
use crate::linalg::linspace;
use crate::params::{Noise, Params};
use crate::sim::diagonal::{fdr2_window, grad_sq_half_running};
use crate::theory::diagonal::DiagonalNqm;
use serde::{Deserialize, Serialize};

mod readouts;

/// The panel.
pub struct Fdr2;

static SPEC: Spec = Spec {
    name: "fdr2",
    title: "FDR2: squared gradient against learning rate",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    reading: include_str!("reading.json"),
    source: "Yaida (2019), Sec. 2.2 (FDR2), Sec. 3.2 and Fig. 3; Eq. 15",
    keys: &[
        "lr", "h1", "h2", "sigma2", "a", "quartic", "walkers", "steps", "points", "seed",
    ],
    defaults,
    presets: &[
        ("white noise", "sigma2=1&a=0"),
        ("noise ∝ Hessian", "sigma2=0&a=1"),
        ("strong quartic", "quartic=0.3&lr=0.3"),
        ("no quartic term", "quartic=0"),
    ],
    live: false,
    heavy: false,
    accepts: &[],
    spectrum: None,
};

fn defaults(p: &mut Params) {
    p.dim = 2;
    p.noise = Noise::Mixed;
    p.h1 = 1.0;
    p.h2 = 0.5;
    p.h_angle = 0.0;
    p.sigma2 = 1.0;
    p.a = 0.0;
    p.lr = 0.5;
    p.quartic = 0.1;
    p.walkers = 10_000;
    p.steps = 1000;
    p.points = 20;
}

/// The loss the parameters describe: K = diag(h₁, h₂), C = σ²I + aK, quartic strength
/// `quartic` (the page's noise kind, angle and dimension do not enter).
pub fn nqm(p: &Params) -> DiagonalNqm {
    DiagonalNqm::new([p.h1, p.h2], p.sigma2, p.a, p.quartic)
}

/// Learning rates of the Monte Carlo points: midpoints of `points` equal cells of (0, λ].
pub fn lrs(p: &Params) -> Vec<f64> {
    (0..p.points)
        .map(|i| p.lr * (i as f64 + 0.5) / p.points as f64)
        .collect()
}

/// What the Monte Carlo jobs and `finish` need.
#[derive(Serialize, Deserialize)]
pub struct Plan {
    /// The loss.
    nqm: DiagonalNqm,
    /// λ, the largest learning rate of the figure.
    lr: f64,
    /// The learning rates of the Monte Carlo points (job i < n: the quadratic at `lrs[i]`;
    /// job n + i: the quartic).
    lrs: Vec<f64>,
    /// Runs per point, steps per run, the figure's seed.
    walkers: usize,
    steps: u64,
    seed: u64,
    series: Handles,
}

/// The series that the jobs fill in and `finish` reads or draws.
#[derive(Clone, Copy, Serialize, Deserialize)]
struct Handles {
    /// G(η) of the quadratic and of the quartic (left plot).
    quad: SeriesId,
    quartic: SeriesId,
    /// The fitted tangent at η → 0.
    fit: SeriesId,
    /// 2G/η of both, and the quartic's ⟨Tr(HC̃)⟩ (right plot).
    quad_ratio: SeriesId,
    quartic_ratio: SeriesId,
    quartic_hc: SeriesId,
}

/// The two plots: G(η), and G divided by η/2.
fn plots() -> Vec<Plot> {
    let mut left = Plot::new("learning rate η", "⟨(∇f)²⟩");
    left.title = "G(η) = ⟨(∇f)²⟩".into();
    let mut right = Plot::new("learning rate η", "2⟨(∇f)²⟩ / η");
    right.title = "FDR2 divided by η/2".into();
    vec![left, right]
}

/// The series of the left plot, G(η): Monte Carlo of both losses, the quadratic's exact curve
/// and its small-η law on `grid`, and the fitted tangent (drawn by `finish`).
fn add_left(fig: &mut Figure, nqm: &DiagonalNqm, xs: &[f64], grid: &[f64]) -> [SeriesId; 3] {
    let quartic = format!("g = {}", nqm.g);
    let quad = fig.add(Series::pending("Monte Carlo, quadratic", xs.to_vec()));
    let mc_quartic =
        fig.add(Series::pending(format!("Monte Carlo, quartic {quartic}"), xs.to_vec()).colored(0));
    fig.add(Series::curve(
        "exact, quadratic: Tr(K²Σ)",
        SeriesKind::TheoryDiscrete,
        grid,
        |lr| nqm.grad_sq_stationary(lr),
    ));
    let tr_kc = nqm.tr_kc();
    fig.add(Series::curve(
        "small-η law (η/2)Tr(KC) = continuous time",
        SeriesKind::TheoryContinuous,
        grid,
        |lr| Some(0.5 * lr * tr_kc),
    ));
    let fit = fig.add(
        Series::new(
            "fit: slope at η → 0",
            SeriesKind::TheoryOther,
            grid.to_vec(),
            vec![f64::NAN; grid.len()],
        )
        .colored(6),
    );
    [quad, mc_quartic, fit]
}

/// The series of the right plot, 2G/η: Monte Carlo of both losses and the quartic's
/// ⟨Tr(HC̃)⟩, the quadratic's exact Tr(KC̃) and its limit Tr(KC).
fn add_right(fig: &mut Figure, nqm: &DiagonalNqm, xs: &[f64], grid: &[f64]) -> [SeriesId; 3] {
    let quartic = format!("g = {}", nqm.g);
    let right = |s: Series| s.in_plot(1);
    let quad = fig.add(right(Series::pending(
        "Monte Carlo 2G/η, quadratic",
        xs.to_vec(),
    )));
    let mc_quartic = fig.add(right(
        Series::pending(format!("Monte Carlo 2G/η, quartic {quartic}"), xs.to_vec()).colored(0),
    ));
    let hc = fig.add(right(
        Series::pending(format!("quartic: ⟨Tr(HC̃)⟩, {quartic}"), xs.to_vec()).colored(6),
    ));
    fig.add(right(Series::curve(
        "exact, quadratic: Tr(KC̃)",
        SeriesKind::TheoryDiscrete,
        grid,
        |lr| nqm.grad_sq_stationary(lr).map(|g| 2.0 * g / lr),
    )));
    let tr_kc = nqm.tr_kc();
    fig.add(right(Series::curve(
        "Tr(KC)",
        SeriesKind::TheoryContinuous,
        grid,
        |_| Some(tr_kc),
    )));
    [quad, mc_quartic, hc]
}

/// Job i < n: the quadratic's point at η = `lrs[i]`, from the shared walker engine.
fn quadratic_job(plan: &Plan, i: usize) -> Vec<Patch> {
    let (lr, h, seed) = (plan.lrs[i], plan.series, job_seed(plan.seed, i));
    let group_seed = |g| job_seed(seed, g);
    let (y, se) = grad_sq_half_running(&plan.nqm, lr, plan.walkers, plan.steps, group_seed);
    let ratio = |v: Option<f64>| v.map(|v| 2.0 * v / lr);
    vec![
        Patch::point(h.quad, i, y, se),
        Patch::point(h.quad_ratio, i, ratio(y), ratio(se)),
    ]
}

/// Job n + j: the quartic's point at η = `lrs[j]` (none where a run diverged).
fn quartic_job(plan: &Plan, i: usize) -> Vec<Patch> {
    let j = i - plan.lrs.len();
    let (lr, h) = (plan.lrs[j], plan.series);
    let runs = fdr2_window(
        &plan.nqm,
        lr,
        plan.walkers,
        plan.steps,
        job_seed(plan.seed, i),
    );
    let keep = |v: (Option<f64>, Option<f64>)| if runs.diverged == 0 { v } else { (None, None) };
    let (g, gse) = keep(runs.grad_sq);
    let (hc, hcse) = keep(runs.tr_hc);
    let ratio = |v: Option<f64>| v.map(|v| 2.0 * v / lr);
    vec![
        Patch::point(h.quartic, j, g, gse),
        Patch::point(h.quartic_ratio, j, ratio(g), ratio(gse)),
        Patch::point(h.quartic_hc, j, hc, hcse),
    ]
}

impl Panel for Fdr2 {
    type Plan = Plan;

    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> (Plan, Figure) {
        let nqm = nqm(p);
        let mut fig = figure(p, plots());
        let xs = lrs(p);
        let h_max = nqm.h[0].max(nqm.h[1]);
        let top = if h_max > 0.0 {
            p.lr.min(2.0 / h_max * 0.999)
        } else {
            p.lr
        };
        let grid = linspace(top * 2e-3, top, 300);
        let [quad, quartic, fit] = add_left(&mut fig, &nqm, &xs, &grid);
        let [quad_ratio, quartic_ratio, quartic_hc] = add_right(&mut fig, &nqm, &xs, &grid);
        if h_max > 0.0 && p.lr >= 2.0 / h_max {
            fig.plots[0].note = Some(format!(
                "no stationary state for the quadratic beyond η = 2/h_max = {}",
                2.0 / h_max
            ));
        }
        fig.jobs = 2 * xs.len();
        let plan = Plan {
            nqm,
            lr: p.lr,
            lrs: xs,
            walkers: p.walkers as usize,
            steps: p.steps,
            seed: p.seed,
            series: Handles {
                quad,
                quartic,
                fit,
                quad_ratio,
                quartic_ratio,
                quartic_hc,
            },
        };
        (plan, fig)
    }

    fn job(&self, plan: &Plan, i: usize) -> Vec<Patch> {
        let n = plan.lrs.len();
        if i < n {
            quadratic_job(plan, i)
        } else if i < 2 * n {
            quartic_job(plan, i)
        } else {
            Vec::new()
        }
    }

    fn finish(&self, plan: &Plan, fig: &mut Figure) {
        let fits = readouts::fit_and_draw(plan, fig);
        readouts::fit_ranges(fig);
        fig.plots[1].note = readouts::missing_note(plan, fig);
        let mut all = readouts::slopes(&plan.nqm, &fits);
        all.extend(readouts::departures(plan, fig));
        fig.readouts = all;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_deterministic() {
        let mut p = crate::panels::query::defaults("fdr2");
        p.walkers = 40;
        p.steps = 50;
        p.points = 3;
        let (plan, _) = Fdr2.plan(&p);
        for i in [1, 4] {
            assert_eq!(Fdr2.job(&plan, i), Fdr2.job(&plan, i));
        }
        assert!(Fdr2.job(&plan, 6).is_empty());
    }
}
