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
//!   for its stationary state; its points are Monte Carlo only ([`simulate_quartic`]).
//!
//! Each Monte Carlo point is `walkers` runs of `steps` steps from θ = 0 with Yaida's
//! half-running average (Eq. 15) of |∇f|² per run (the full-batch gradient, as in his
//! O_FB, Eq. 18). The quadratic points come from the shared walker engine
//! ([`crate::sim::Ensemble`], split into sub-ensembles for the standard error) and are checked
//! against the exact expectation of that average after `steps` steps ([`exact_half_running`]),
//! not only the stationary value.

use super::kit::{figure, job_seed, mean_se};
use super::{LegacyPanel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesKind};
use crate::linalg::linspace;
use crate::model::Model;
use crate::optimizer::Optimizer;
use crate::params::{Noise, Params};
use crate::rng::math::LANES;
use crate::rng::LaneRng;
use crate::sim::{Dynamics, Ensemble, Observables, ESCAPE_RADIUS};
use crate::theory;
use nalgebra::{DMatrix, DVector};

/// The panel.
pub struct Fdr2;

static SPEC: Spec = Spec {
    name: "fdr2",
    title: "FDR2: squared gradient against learning rate",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
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

/// Series indices in the plan.
const MC_QUAD: usize = 0;
const MC_QUARTIC: usize = 1;
const EXACT: usize = 2;
const LINEAR: usize = 3;
const FIT: usize = 4;
const MC_QUAD_RATIO: usize = 5;
const MC_QUARTIC_RATIO: usize = 6;
const MC_QUARTIC_HC: usize = 7;

/// The loss of the panel: K = diag(h₁, h₂), noise covariance C = σ²I + aK (diagonal), and the
/// quartic strength g of (g/4)Σθᵢ⁴.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quartic {
    /// Hessian eigenvalues at the minimum (K = diag(h)).
    pub h: [f64; 2],
    /// Noise variances (C = diag(c)).
    pub c: [f64; 2],
    /// Quartic strength g.
    pub g: f64,
}

impl Quartic {
    /// The loss the parameters describe (h₁, h₂, σ², a, `quartic`; the page's noise kind,
    /// angle and dimension do not enter).
    pub fn from_params(p: &Params) -> Quartic {
        let h = [p.h1, p.h2];
        Quartic {
            h,
            c: [p.sigma2 + p.a * h[0], p.sigma2 + p.a * h[1]],
            g: p.quartic,
        }
    }

    /// Its quadratic part as a [`Model`].
    pub fn model(&self) -> Model {
        Model::diagonal(&self.h, &self.c)
    }

    /// Tr(KC), twice the small-η slope of G.
    pub fn tr_kc(&self) -> f64 {
        self.h[0] * self.c[0] + self.h[1] * self.c[1]
    }

    /// The loss at θ.
    pub fn loss(&self, x: [f64; 2]) -> f64 {
        (0..2)
            .map(|i| 0.5 * self.h[i] * x[i] * x[i] + 0.25 * self.g * x[i].powi(4))
            .sum()
    }
}

/// Learning rates of the Monte Carlo points: midpoints of `points` equal cells of (0, λ].
pub fn lrs(p: &Params) -> Vec<f64> {
    (0..p.points)
        .map(|i| p.lr * (i as f64 + 0.5) / p.points as f64)
        .collect()
}

/// The exact stationary G(η) = ⟨(∇f)²⟩ = Tr(K²Σ) of the quadratic ([`theory::fdr`]); `None`
/// without a stationary state.
pub fn exact_stationary(q: &Quartic, lr: f64) -> Option<f64> {
    let model = q.model();
    let opt = Optimizer::sgd(lr, 0.0, 2);
    let st = theory::stationary(&model, &opt).ok()?;
    theory::fdr::fdr(&model, &opt, &st).map(|f| f.grad_sq)
}

/// The exact expectation, on the quadratic, of the half-running average (Eq. 15) of |∇f|² at
/// t = `steps` for runs started at θ = 0: the mean of Tr(K²Σ_j) over the states j = t₀ … t−1,
/// t₀ = ⌊t/2⌋ (the states the Monte Carlo averages). With K and C diagonal each coordinate is
/// Σ_j = s(1 − r^{2j}), r = 1 − ηh, s = ηc/(h(2 − ηh)), so the window sum is
/// s[L − r^{2t₀}(1 − r^{2L})/(1 − r²)] with L = t − t₀. `None` when ηhᵢ ≥ 2 or L = 0.
pub fn exact_half_running(q: &Quartic, lr: f64, steps: u64) -> Option<f64> {
    let t0 = steps / 2;
    let len = steps - t0;
    if len == 0 {
        return None;
    }
    let mut total = 0.0;
    for i in 0..2 {
        let (h, c) = (q.h[i], q.c[i]);
        if h == 0.0 {
            continue;
        }
        let x = lr * h;
        if !(0.0..2.0).contains(&x) {
            return None;
        }
        let r2 = (1.0 - x) * (1.0 - x);
        let one_minus_r2 = x * (2.0 - x);
        let s = lr * c / (h * (2.0 - x));
        let sum =
            s * (len as f64 - r2.powf(t0 as f64) * (1.0 - r2.powf(len as f64)) / one_minus_r2);
        total += h * h * sum;
    }
    Some(total / len as f64)
}

/// Mean and standard error of the quadratic's half-running |∇f|² over `walkers` runs, from
/// the shared walker engine: the walkers are split into up to 32 sub-ensembles (seeded from
/// `seed`), each records the ensemble mean of |∇f|² per step ([`Observables::grad_sq`]), and
/// the spread of their half-running averages gives the standard error. `None` if a walker
/// diverged.
pub fn quadratic_point(
    q: &Quartic,
    lr: f64,
    walkers: usize,
    steps: u64,
    seed: u64,
) -> (Option<f64>, Option<f64>) {
    let model = q.model();
    let dy = match Dynamics::new(
        &model,
        &Optimizer::sgd(lr, 0.0, 2),
        crate::sim::Shape::Gauss,
    ) {
        Ok(d) => d,
        Err(_) => return (None, None),
    };
    let groups = (walkers / 16).clamp(2, 32).min(walkers.max(1));
    let mut values = Vec::with_capacity(groups);
    for g in 0..groups {
        let n = walkers / groups + usize::from(g < walkers % groups);
        let mut e = Ensemble::new(2, n, job_seed(seed, g));
        e.observe(true);
        e.advance(&dy, steps);
        if e.diverged() > 0 {
            return (None, None);
        }
        match Observables::half_running(&e.observed().grad_sq) {
            Some(v) => values.push((n as f64, v)),
            None => return (None, None),
        }
    }
    weighted_mean_se(&values)
}

/// The mean of group values weighted by their sizes, and its standard error from their spread.
fn weighted_mean_se(values: &[(f64, f64)]) -> (Option<f64>, Option<f64>) {
    let total: f64 = values.iter().map(|(n, _)| n).sum();
    if values.is_empty() || total <= 0.0 {
        return (None, None);
    }
    let m = values.iter().map(|(n, v)| n * v).sum::<f64>() / total;
    if values.len() < 2 {
        return (Some(m), None);
    }
    let k = values.len() as f64;
    let var = values
        .iter()
        .map(|(n, v)| (n / total * (v - m)).powi(2))
        .sum::<f64>()
        * k
        / (k - 1.0);
    (Some(m), Some(var.sqrt()))
}

/// What [`simulate_quartic`] measures, each a mean over the live runs of the run's
/// half-running average, with its standard error.
#[derive(Clone, Debug, PartialEq)]
pub struct QuarticStats {
    /// Runs.
    pub walkers: usize,
    /// Runs that left the escape radius (excluded from the means).
    pub diverged: usize,
    /// G = ⟨(∇f)²⟩ (full-batch gradient).
    pub grad_sq: (Option<f64>, Option<f64>),
    /// ⟨Tr(H C̃)⟩ with H(θ) the Hessian and C̃(θ) = ∇f∇fᵀ + C.
    pub tr_hc: (Option<f64>, Option<f64>),
    /// The residual of the exact discrete identity behind FDR2 (zero in expectation at any
    /// time, stationary or not): the window mean of G − (η/2)Tr(HC̃) − R plus
    /// (f(θ_t) − f(θ_t₀))/(ηL), with R = −η²gΣθᵢE vᵢ³ + (η³g/4)ΣE vᵢ⁴ the anharmonic terms.
    pub identity: (Option<f64>, Option<f64>),
}

/// SGD on the quartic loss: `walkers` runs of `steps` steps from θ = 0 with learning rate
/// `lr`, gradient ∇f(θ) + n, n ~ N(0, C) (C diagonal), random numbers from `seed`
/// ([`LaneRng`], Box–Muller; sixteen runs in lock-step, so a seed gives the same runs on every
/// platform). Each run accumulates, over the states θ_j, j = t₀ … t−1 (Yaida's half-running
/// window, Eq. 15), |∇f|², Tr(HC̃) and the anharmonic terms R of FDR2 (see the module
/// documentation), and records f at the ends of the window. A run that leaves the ball of
/// radius [`ESCAPE_RADIUS`] is counted as diverged.
pub fn simulate_quartic(
    q: &Quartic,
    lr: f64,
    walkers: usize,
    steps: u64,
    seed: u64,
) -> QuarticStats {
    let t0 = steps / 2;
    let len = steps - t0;
    let mut rng = LaneRng::new(seed);
    let sd = [q.c[0].max(0.0).sqrt(), q.c[1].max(0.0).sqrt()];
    let (h, c, g) = (q.h, q.c, q.g);
    let (e2g, e3g4) = (lr * lr * g, lr * lr * lr * g / 4.0);
    let mut per_run: Vec<[f64; 3]> = Vec::with_capacity(walkers);
    let mut diverged = 0;
    let chunks = walkers.div_ceil(LANES);
    for ch in 0..chunks {
        let live_lanes = (walkers - ch * LANES).min(LANES);
        let mut x = [[0.0f64; LANES]; 2];
        let mut alive = [true; LANES];
        let mut acc = [[0.0f64; LANES]; 4];
        let mut f_start = [0.0f64; LANES];
        for step in 0..steps {
            let (z0, z1) = rng.normals();
            let z = [z0, z1];
            let observe = step >= t0;
            if step == t0 {
                for l in 0..LANES {
                    f_start[l] = q.loss([x[0][l], x[1][l]]);
                }
            }
            for l in 0..LANES {
                let mut grad = [0.0; 2];
                let (mut gs, mut hc, mut rem) = (0.0, 0.0, 0.0);
                for i in 0..2 {
                    let xi = x[i][l];
                    let ai = h[i] * xi + g * xi * xi * xi;
                    grad[i] = ai;
                    if observe {
                        let a2 = ai * ai;
                        gs += a2;
                        hc += (h[i] + 3.0 * g * xi * xi) * (a2 + c[i]);
                        rem += -e2g * xi * (a2 * ai + 3.0 * ai * c[i])
                            + e3g4 * (a2 * a2 + 6.0 * a2 * c[i] + 3.0 * c[i] * c[i]);
                    }
                }
                if observe {
                    acc[0][l] += gs;
                    acc[1][l] += hc;
                    acc[2][l] += rem;
                }
                let y0 = x[0][l] - lr * (grad[0] + sd[0] * z[0][l]);
                let y1 = x[1][l] - lr * (grad[1] + sd[1] * z[1][l]);
                let keep = alive[l] && y0.abs() <= ESCAPE_RADIUS && y1.abs() <= ESCAPE_RADIUS;
                x[0][l] = if keep { y0 } else { 0.0 };
                x[1][l] = if keep { y1 } else { 0.0 };
                alive[l] = keep;
            }
        }
        for l in 0..live_lanes {
            if !alive[l] {
                diverged += 1;
                continue;
            }
            if len == 0 {
                continue;
            }
            let n = len as f64;
            let f_end = q.loss([x[0][l], x[1][l]]);
            let (gs, hc, rem) = (acc[0][l] / n, acc[1][l] / n, acc[2][l] / n);
            let identity = gs - 0.5 * lr * hc - rem + (f_end - f_start[l]) / (lr * n);
            per_run.push([gs, hc, identity]);
        }
    }
    let column = |k: usize| mean_se(&per_run.iter().map(|r| r[k]).collect::<Vec<_>>());
    QuarticStats {
        walkers,
        diverged,
        grad_sq: column(0),
        tr_hc: column(1),
        identity: column(2),
    }
}

/// Weighted least squares of y = a₁η + a₂η² + … + a_dη^d (through the origin) on the points
/// (η, y, se) with se > 0, d = min(3, number of points); returns (a₁, se of a₁, all
/// coefficients). `None` with no usable point.
pub fn fit_slope(points: &[(f64, f64, f64)]) -> Option<(f64, f64, Vec<f64>)> {
    let pts: Vec<_> = points
        .iter()
        .filter(|(x, y, s)| x.is_finite() && y.is_finite() && s.is_finite() && *s > 0.0)
        .collect();
    let d = pts.len().min(3);
    if d == 0 {
        return None;
    }
    let mut a = DMatrix::<f64>::zeros(d, d);
    let mut b = DVector::<f64>::zeros(d);
    for (x, y, s) in pts {
        let w = 1.0 / (s * s);
        let basis: Vec<f64> = (1..=d).map(|k| x.powi(k as i32)).collect();
        for i in 0..d {
            b[i] += w * basis[i] * y;
            for j in 0..d {
                a[(i, j)] += w * basis[i] * basis[j];
            }
        }
    }
    let inv = a.try_inverse()?;
    let coef = &inv * b;
    let se = inv[(0, 0)].max(0.0).sqrt();
    coef[0]
        .is_finite()
        .then(|| (coef[0], se, coef.iter().copied().collect()))
}

/// The points with η ≤ λ/2, where the fit's three terms describe the curves without a bias
/// that the standard errors would reveal (checked against the exact curve; over the whole
/// range a cubic misses the quartic's slope by several standard errors).
pub fn lower_half(points: &[(f64, f64, f64)], lr: f64) -> Vec<(f64, f64, f64)> {
    points.iter().copied().filter(|p| p.0 <= 0.5 * lr).collect()
}

/// The points of a Monte Carlo series as (η, y, se).
fn points_of(s: &Series) -> Vec<(f64, f64, f64)> {
    let err = s.y_err.clone().unwrap_or_default();
    s.x.iter()
        .zip(&s.y)
        .enumerate()
        .map(|(j, (&x, &y))| (x, y, err.get(j).copied().unwrap_or(f64::NAN)))
        .collect()
}

impl LegacyPanel for Fdr2 {
    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> Figure {
        let q = Quartic::from_params(p);
        let mut left = Plot::new("learning rate η", "⟨(∇f)²⟩");
        left.title = "G(η) = ⟨(∇f)²⟩".into();
        let mut right = Plot::new("learning rate η", "2⟨(∇f)²⟩ / η");
        right.title = "FDR2 divided by η/2".into();
        let mut fig = figure(p, vec![left, right]);
        let xs = lrs(p);
        let h_max = q.h[0].max(q.h[1]);
        let top = if h_max > 0.0 {
            p.lr.min(2.0 / h_max * 0.999)
        } else {
            p.lr
        };
        let grid = linspace(top * 2e-3, top, 300);
        let quartic = format!("g = {}", p.quartic);
        fig.series
            .push(Series::pending("Monte Carlo, quadratic", xs.clone()));
        fig.series.push(
            Series::pending(format!("Monte Carlo, quartic {quartic}"), xs.clone()).colored(0),
        );
        debug_assert_eq!(fig.series.len(), EXACT);
        fig.series.push(Series::curve(
            "exact, quadratic: Tr(K²Σ)",
            SeriesKind::TheoryDiscrete,
            &grid,
            |lr| exact_stationary(&q, lr),
        ));
        let tr_kc = q.tr_kc();
        debug_assert_eq!(fig.series.len(), LINEAR);
        fig.series.push(Series::curve(
            "small-η law (η/2)Tr(KC) = continuous time",
            SeriesKind::TheoryContinuous,
            &grid,
            |lr| Some(0.5 * lr * tr_kc),
        ));
        fig.series.push(
            Series::new(
                "fit: slope at η → 0",
                SeriesKind::TheoryOther,
                grid.clone(),
                vec![f64::NAN; grid.len()],
            )
            .colored(6),
        );
        debug_assert_eq!(fig.series.len(), MC_QUAD_RATIO);
        fig.series
            .push(Series::pending("Monte Carlo 2G/η, quadratic", xs.clone()).in_plot(1));
        fig.series.push(
            Series::pending(format!("Monte Carlo 2G/η, quartic {quartic}"), xs.clone())
                .in_plot(1)
                .colored(0),
        );
        fig.series.push(
            Series::pending(format!("quartic: ⟨Tr(HC̃)⟩, {quartic}"), xs)
                .in_plot(1)
                .colored(6),
        );
        fig.series.push(
            Series::curve(
                "exact, quadratic: Tr(KC̃)",
                SeriesKind::TheoryDiscrete,
                &grid,
                |lr| exact_stationary(&q, lr).map(|g| 2.0 * g / lr),
            )
            .in_plot(1),
        );
        fig.series.push(
            Series::curve("Tr(KC)", SeriesKind::TheoryContinuous, &grid, |_| {
                Some(tr_kc)
            })
            .in_plot(1),
        );
        if h_max > 0.0 && p.lr >= 2.0 / h_max {
            fig.plots[0].note = Some(format!(
                "no stationary state for the quadratic beyond η = 2/h_max = {}",
                2.0 / h_max
            ));
        }
        fig.jobs = 2 * p.points as usize;
        fig
    }

    fn job(&self, p: &Params, i: usize) -> Vec<Patch> {
        let q = Quartic::from_params(p);
        let xs = lrs(p);
        let n = xs.len();
        let seed = job_seed(p.seed, i);
        let walkers = p.walkers as usize;
        if i < n {
            let lr = xs[i];
            let (y, se) = quadratic_point(&q, lr, walkers, p.steps, seed);
            let ratio = |v: Option<f64>| v.map(|v| 2.0 * v / lr);
            vec![
                Patch::point(MC_QUAD, i, y, se),
                Patch::point(MC_QUAD_RATIO, i, ratio(y), ratio(se)),
            ]
        } else if let Some(&lr) = xs.get(i - n) {
            let j = i - n;
            let st = simulate_quartic(&q, lr, walkers, p.steps, seed);
            let ok = st.diverged == 0;
            let keep = |v: (Option<f64>, Option<f64>)| if ok { v } else { (None, None) };
            let (g, gse) = keep(st.grad_sq);
            let (hc, hcse) = keep(st.tr_hc);
            let ratio = |v: Option<f64>| v.map(|v| 2.0 * v / lr);
            vec![
                Patch::point(MC_QUARTIC, j, g, gse),
                Patch::point(MC_QUARTIC_RATIO, j, ratio(g), ratio(gse)),
                Patch::point(MC_QUARTIC_HC, j, hc, hcse),
            ]
        } else {
            Vec::new()
        }
    }

    fn finish(&self, p: &Params, fig: &mut Figure) {
        let q = Quartic::from_params(p);
        let tr_kc = q.tr_kc();
        let tr_c = q.c[0] + q.c[1];
        // The small-η slope from the quadratic's points: the tangent line and the readouts.
        let quad = points_of(&fig.series[MC_QUAD]);
        let fit = fit_slope(&lower_half(&quad, p.lr));
        let fit_quartic = fit_slope(&lower_half(&points_of(&fig.series[MC_QUARTIC]), p.lr));
        let slope = fit.as_ref().map(|f| f.0);
        let slope_se = fit.as_ref().map(|f| f.1);
        {
            let s = &mut fig.series[FIT];
            s.y =
                s.x.iter()
                    .map(|&x| slope.map_or(f64::NAN, |a| a * x))
                    .collect();
        }
        // Departures in standard errors.
        let z = |y: f64, se: f64, want: Option<f64>| -> Option<f64> {
            let w = want?;
            (y.is_finite() && se > 0.0).then(|| (y - w).abs() / se)
        };
        let max = |v: Vec<f64>| v.into_iter().reduce(f64::max);
        let zd: Vec<f64> = quad
            .iter()
            .filter_map(|&(x, y, se)| z(y, se, exact_half_running(&q, x, p.steps)))
            .collect();
        let quartic = points_of(&fig.series[MC_QUARTIC]);
        let zl: Vec<f64> = quartic
            .iter()
            .filter_map(|&(x, y, se)| z(y, se, Some(0.5 * x * tr_kc)))
            .collect();
        let zh: Vec<f64> = quartic
            .iter()
            .filter_map(|&(x, y, se)| z(y, se, exact_half_running(&q, x, p.steps)))
            .collect();
        // The anharmonic remainder 2G/η − ⟨Tr HC̃⟩ at the largest η with both values (its
        // standard error adds the two in quadrature, which overstates it: they are positively
        // correlated).
        let ratio = &fig.series[MC_QUARTIC_RATIO];
        let hc = &fig.series[MC_QUARTIC_HC];
        let rem = (0..ratio.x.len()).rev().find_map(|j| {
            let (a, b) = (ratio.y[j], hc.y[j]);
            let ea = ratio.y_err.as_ref()?[j];
            let eb = hc.y_err.as_ref()?[j];
            (a.is_finite() && b.is_finite()).then(|| (ratio.x[j], a - b, ea.hypot(eb)))
        });
        let missing = fig.complete() && fig.series[MC_QUARTIC].y.iter().any(|y| !y.is_finite());
        // Room above the curves for the legend.
        let values = |plot: usize| {
            fig.series
                .iter()
                .filter(|s| s.plot == plot)
                .flat_map(|s| s.y.iter().copied())
                .filter(|v| v.is_finite())
                .collect::<Vec<f64>>()
        };
        let (v0, v1) = (values(0), values(1));
        if let Some(hi) = v0.iter().copied().reduce(f64::max).filter(|h| *h > 0.0) {
            fig.plots[0].y_range = Some((0.0, 1.4 * hi));
        }
        let lo1 = v1.iter().copied().reduce(f64::min);
        let hi1 = v1.iter().copied().reduce(f64::max);
        if let (Some(lo), Some(hi)) = (lo1, hi1) {
            let span = (hi - lo).max(1e-3 * hi.abs()).max(1e-300);
            fig.plots[1].y_range = Some((lo - 0.05 * span, hi + 0.6 * span));
        }
        fig.plots[1].note = missing.then(|| {
            if p.steps == 0 {
                "no steps simulated".to_string()
            } else {
                "quartic points missing: some runs diverged (the quartic loss is unstable for \
                 large |θ|, and only points where no run diverged are shown)"
                    .to_string()
            }
        });
        fig.readouts = vec![
            Readout::new(
                "slope_exact",
                "small-η slope of ⟨(∇f)²⟩, exact: ½Tr(KC)",
                Some(0.5 * tr_kc),
            ),
            Readout::new(
                "slope_fit",
                "small-η slope from the quadratic's points (fit aη + bη² + cη³ for η ≤ λ/2)",
                slope,
            )
            .with_se(slope_se),
            Readout::new(
                "hessian_exact",
                "noise-weighted Hessian Tr(KC)/Tr C",
                (tr_c > 0.0).then(|| tr_kc / tr_c),
            ),
            Readout::new(
                "hessian_estimate",
                "Hessian estimate 2a/Tr C from the fitted slope",
                slope.filter(|_| tr_c > 0.0).map(|a| 2.0 * a / tr_c),
            )
            .with_se(slope_se.filter(|_| tr_c > 0.0).map(|s| 2.0 * s / tr_c)),
            Readout::new(
                "slope_fit_quartic",
                "small-η slope from the quartic's points (same limit)",
                fit_quartic.as_ref().map(|f| f.0),
            )
            .with_se(fit_quartic.as_ref().map(|f| f.1)),
            Readout::new(
                "z_discrete_max",
                "quadratic: largest |Monte Carlo − exact| in standard errors",
                max(zd),
            ),
            Readout::new(
                "z_quartic_linear_max",
                "quartic: largest departure from the small-η law, in standard errors",
                max(zl),
            ),
            Readout::new(
                "z_quartic_harmonic_max",
                "quartic: largest departure from the quadratic's exact curve, in standard errors",
                max(zh),
            ),
            Readout::new(
                "anharmonic_lr",
                "η of the anharmonic remainder below",
                rem.map(|r| r.0),
            ),
            Readout::new(
                "anharmonic_remainder",
                "quartic: 2⟨(∇f)²⟩/η − ⟨Tr(HC̃)⟩ at the largest η (0 on a quadratic)",
                rem.map(|r| r.1),
            )
            .with_se(rem.map(|r| r.2)),
        ];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closed_form_window_average_tends_to_the_exact_stationary_value() {
        let q = Quartic {
            h: [1.0, 0.5],
            c: [1.0, 0.7],
            g: 0.0,
        };
        for lr in [0.05, 0.5, 1.5] {
            let st = exact_stationary(&q, lr).unwrap();
            let long = exact_half_running(&q, lr, 200_000).unwrap();
            assert!((long - st).abs() < 1e-9 * st, "{lr}: {long} vs {st}");
            // FDR2 is exact on the quadratic: G = (η/2)Tr(KC̃).
            let model = q.model();
            let opt = Optimizer::sgd(lr, 0.0, 2);
            let s = theory::stationary(&model, &opt).unwrap();
            let f = theory::fdr::fdr(&model, &opt, &s).unwrap();
            assert!((f.grad_sq - f.fdr2_rhs).abs() < 1e-12 * f.grad_sq);
        }
        // After a few steps the window average is below the stationary value, and matches a
        // direct recursion.
        let (lr, steps) = (0.1, 30);
        let mut s = [0.0f64; 2];
        let mut sum = 0.0;
        for j in 0..steps {
            if j >= steps / 2 {
                sum += (0..2).map(|i| q.h[i] * q.h[i] * s[i]).sum::<f64>();
            }
            for (i, si) in s.iter_mut().enumerate() {
                *si = (1.0 - lr * q.h[i]).powi(2) * *si + lr * lr * q.c[i];
            }
        }
        let want = sum / (steps - steps / 2) as f64;
        let got = exact_half_running(&q, lr, steps).unwrap();
        assert!((got - want).abs() < 1e-12 * want, "{got} vs {want}");
    }

    #[test]
    fn the_fit_recovers_a_polynomial() {
        let pts: Vec<_> = (1..10)
            .map(|i| {
                let x = i as f64 * 0.1;
                (x, 2.0 * x - 0.5 * x * x + 0.1 * x * x * x, 0.01)
            })
            .collect();
        let (a, se, c) = fit_slope(&pts).unwrap();
        assert!((a - 2.0).abs() < 1e-9 && se > 0.0 && (c[1] + 0.5).abs() < 1e-8);
        assert!(fit_slope(&[]).is_none());
        assert_eq!(fit_slope(&[(0.5, 1.0, 0.1)]).unwrap().0, 2.0);
    }

    #[test]
    fn jobs_are_deterministic() {
        let mut p = crate::panels::query::defaults("fdr2");
        p.walkers = 40;
        p.steps = 50;
        p.points = 3;
        for i in [1, 4] {
            assert_eq!(Fdr2.job(&p, i), Fdr2.job(&p, i));
        }
    }
}
