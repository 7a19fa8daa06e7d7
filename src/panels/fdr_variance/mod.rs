//! `fdr-variance` — the spread of the FDR1 estimator over repeated runs at fixed run length,
//! against the learning rate and against the gradient-noise variance: the blog post's
//! empirical claim ("this variance seems to grow linearly with variance of the gradients, and
//! in inverse proportion to the learning rate"), measured and set against the exact theory.
//!
//! Each run ([`crate::sim::half_running::fdr1_estimators`]) takes `steps` = T steps and forms Yaida's
//! half-running averages (Eq. 15) of O_L and O_R over steps ⌊T/2⌋+1 … T. Two estimators of
//! FDR1′ per run: the residual D = Ō_L − Ō_R (zero in expectation at stationarity) and the
//! ratio r = Ō_L/Ō_R − 1 that Yaida's schedule compares with X. Their variances over
//! `walkers` runs are the Monte Carlo points (with the standard error of a sample variance,
//! from the fourth moment). Theory: D is the boundary term [Ψ(x_T) − Ψ(x_{T/2})]/n
//! ([`crate::theory::fdr_finite`]), whose variance is exact for Gaussian noise; for r the
//! leading order Var[D]/(E Ō_R)². A weighted least-squares line in log–log gives each
//! exponent with its standard error, beside the exponent of the exact curve over the same
//! points. Beside them, the exact stationary value over the window
//! ([`crate::theory::fdr_finite::Linear2::residual_stationary`]): Var[r] ∝ η⁻² only for long
//! windows (ηkn ≫ 1), ∝ 1/η for short ones, and from the minimum in pure diffusion (ηkT ≪ 1)
//! independent of η.

use super::fdr_common::{self, normalized};
use super::kit::{figure, job_seed, variance_se};
use super::{Panel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesId, SeriesKind, Style};
use crate::linalg::fit::{fit_line, LineFit};
use crate::linalg::logspace;
use crate::params::Params;
use crate::sim::half_running::fdr1_estimators;
use crate::sim::runs::Runs16;
use crate::theory::fdr_finite::lr_limit;
use serde::{Deserialize, Serialize};

/// The panel.
pub struct FdrVariance;

static SPEC: Spec = Spec {
    name: "fdr-variance",
    title: "How noisy is the FDR1 estimator?",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    reading: include_str!("reading.json"),
    source: "Bulatov, blog post on Yaida (2019); Yaida Eqs. 15, 17, FDR1′ and App. A",
    keys: &[
        "lr", "sigma2", "mu", "damp", "h1", "h2", "w0", "walkers", "steps", "points", "seed",
    ],
    defaults,
    presets: &[
        ("the blog: NQM from the minimum", "w0=0&mu=0&damp=0"),
        ("momentum μ = 0.9", "mu=0.9"),
        (
            "longer runs, T = 10⁴",
            "steps=10000&walkers=2000&lr=0.1&w0=0",
        ),
        ("start away from the minimum", "w0=3&lr=0.1&steps=1000"),
        (
            "short run from the minimum: pure diffusion",
            "lr=0.001&steps=100&w0=0",
        ),
    ],
    live: false,
    heavy: false,
    accepts: &[],
    spectrum: None,
};

fn defaults(p: &mut Params) {
    fdr_common::defaults(p);
    p.w0 = 0.0;
    p.walkers = 10_000;
    p.steps = 1000;
    p.points = 10;
}

/// The four plots, k = 0: Var[D] against η, 1: Var[D] against σ², 2: Var[r] against η,
/// 3: Var[r] against σ² (sweep k % 2).
fn plots() -> Vec<Plot> {
    let plot = |x: &str, y: &str| {
        let mut pl = Plot::new(x, y);
        pl.x_log = true;
        pl.y_log = true;
        pl
    };
    let (eta, s2) = ("learning rate η", "noise variance σ²");
    let (d, r) = ("Var[Ō_L − Ō_R] over runs", "Var[Ō_L/Ō_R − 1] over runs");
    vec![plot(eta, d), plot(s2, d), plot(eta, r), plot(s2, r)]
}

/// The series of one plot: Monte Carlo, theory, the power-law fit, the blog's slope.
#[derive(Clone, Copy, Serialize, Deserialize)]
struct PlotIds {
    mc: SeriesId,
    theory: SeriesId,
    fit: SeriesId,
    claim: SeriesId,
}

/// What the Monte Carlo jobs and the fits need.
#[derive(Serialize, Deserialize)]
pub struct Plan {
    /// The setting ([`normalized`]).
    setting: Params,
    /// The points of the η sweep and of the σ² sweep.
    sweeps: [Vec<f64>; 2],
    /// The series of the four plots.
    plots: [PlotIds; 4],
}

/// The learning rates of the η sweep: `points` log-spaced from η/10 to 10η, capped below the
/// stability limit.
fn lrs(p: &Params, n: usize) -> Vec<f64> {
    let limit = lr_limit(fdr_common::k_max(p), p.mu, p.damp);
    let hi = (10.0 * p.lr).min(0.9 * limit);
    let lo = if p.lr / 10.0 < hi / 1.5 {
        p.lr / 10.0
    } else {
        hi / 100.0
    };
    logspace(lo, hi, n)
}

/// The noise variances of the σ² sweep: `points` log-spaced from σ²/10 to 10σ².
fn sigmas(p: &Params, n: usize) -> Vec<f64> {
    let base = if p.sigma2 > 0.0 { p.sigma2 } else { 1.0 };
    logspace(base / 10.0, 10.0 * base, n)
}

/// The setting of point `x` of sweep `sweep` (0: η, 1: σ²).
fn at(p: &Params, sweep: usize, x: f64) -> Params {
    let mut q = normalized(p);
    if sweep == 0 {
        q.lr = x;
    } else {
        q.sigma2 = x;
    }
    q
}

/// The window of the half-running average: n = T − ⌊T/2⌋ steps.
fn window(q: &Params) -> u64 {
    let t = q.steps.max(2);
    t - t / 2
}

/// Exact Var[D] and E Ō_R over the window at stationarity (`None` beyond the stability limit).
fn stationary(q: &Params) -> Option<(f64, f64)> {
    fdr_common::linear(q).residual_stationary(window(q))
}

/// Exact variance of D and the leading order Var[D]/(E Ō_R)² of Var[r] after the run of `q`
/// from its start (Gaussian noise).
fn exact(q: &Params) -> (f64, f64) {
    let l = fdr_common::linear(q);
    let x0 = fdr_common::start_state(q);
    let t = q.steps.max(2);
    let (_, v) = l.residual(&x0, t);
    let o_r = l.expected_o_r(&x0, t);
    (v, v / (o_r * o_r))
}

/// The exact curves of a sweep over a log grid with the sweep's points in it: the grid,
/// Var[D], and Var[D]/(E Ō_R)².
fn exact_sweep(q: &Params, sweep: usize, xs: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut grid = logspace(xs[0], xs[xs.len() - 1], 60);
    grid.extend(xs);
    grid.sort_by(f64::total_cmp);
    grid.dedup();
    let (d, r) = grid.iter().map(|&x| exact(&at(q, sweep, x))).unzip();
    (grid, d, r)
}

/// Plot `k`'s series over the points `xs` of its sweep, with the exact curve (`grid`, `ys`).
fn add_plot(fig: &mut Figure, k: usize, xs: &[f64], grid: &[f64], ys: &[f64]) -> PlotIds {
    let (lo, hi) = (xs[0], xs[xs.len() - 1]);
    let ends = || (vec![lo, hi], vec![f64::NAN; 2]);
    let mc = Series::pending("Monte Carlo", xs.to_vec()).colored(2);
    let theory = if k < 2 {
        let name = "exact (Gaussian quadratic form)";
        Series::new(name, SeriesKind::TheoryDiscrete, grid.to_vec(), ys.to_vec())
    } else {
        let name = "leading order Var[D]/(E Ō_R)²";
        let s = Series::new(name, SeriesKind::TheoryOther, grid.to_vec(), ys.to_vec());
        s.styled(Style::Dashed)
    };
    let (x, y) = ends();
    let fit = Series::new("power-law fit", SeriesKind::TheoryOther, x, y).styled(Style::Line);
    let blog = if k % 2 == 0 {
        "blog: slope −1"
    } else {
        "blog: slope +1"
    };
    let (x, y) = ends();
    let claim = Series::new(blog, SeriesKind::TheoryOther, x, y).styled(Style::Dotted);
    PlotIds {
        mc: fig.add(mc.in_plot(k)),
        theory: fig.add(theory.in_plot(k).colored(5)),
        fit: fig.add(fit.in_plot(k).colored(4)),
        claim: fig.add(claim.in_plot(k).colored(7)),
    }
}

/// The exact stationary window-n curves of Var[D] (plot 0) and Var[D]/(E Ō_R)² (plot 2) over
/// the η sweep's range.
fn add_stationary(fig: &mut Figure, q: &Params, lrs: &[f64]) {
    let grid = logspace(lrs[0], lrs[lrs.len() - 1], 60);
    let values: Vec<Option<(f64, f64)>> = grid.iter().map(|&x| stationary(&at(q, 0, x))).collect();
    let curve = |name: &str, plot: usize, f: fn(f64, f64) -> f64| {
        let ys = values
            .iter()
            .map(|v| v.map_or(f64::NAN, |(v, o)| f(v, o)))
            .collect();
        Series::new(name, SeriesKind::TheoryDiscrete, grid.clone(), ys)
            .in_plot(plot)
            .styled(Style::Dashed)
            .colored(6)
    };
    fig.add(curve("stationary, window n (exact)", 0, |v, _| v));
    let ratio = "stationary, window n: Var[D]/(E Ō_R)²";
    fig.add(curve(ratio, 2, |v, o| v / (o * o)));
}

/// The keys of [`window_readouts`].
const WINDOW_KEYS: [&str; 3] = ["eta_k_n_min", "eta_k_n_max", "slope_r_lr_stationary_local"];

/// η_eff·k·n at the chosen η, with η_eff = η(1−ν)/(1−μ), for the smallest and the largest
/// eigenvalue of K, and the local exponent d ln Var[r]/d ln η of the stationary window-n
/// curve there: about −2 when η_eff·k·n ≫ 1 for every k, about −1 when ≪ 1.
fn window_readouts(q: &Params) -> Vec<Readout> {
    let eff = q.lr * (1.0 - q.damp) / (1.0 - q.mu) * window(q) as f64;
    let ratio = |lr: f64| stationary(&at(q, 0, lr)).map(|(v, o)| v / (o * o));
    let h = 1e-3;
    let local = ratio(q.lr * (1.0 + h))
        .zip(ratio(q.lr * (1.0 - h)))
        .map(|(a, b)| (a.ln() - b.ln()) / (2.0 * h));
    let [min, max, local_key] = WINDOW_KEYS;
    vec![
        Readout::new(
            min,
            "η(1−ν)/(1−μ) · k_min · n at the chosen η (Var[r] ∝ η⁻² needs ≫ 1)",
            Some(eff * q.h1.min(q.h2)),
        ),
        Readout::new(max, "the same with k_max", Some(eff * q.h1.max(q.h2))),
        Readout::new(
            local_key,
            "local exponent of Var[r] in η at the chosen η, stationary window n (exact)",
            local,
        ),
    ]
}

/// A plot's power-law fit in log–log over its Monte Carlo points, and the exact (or
/// leading-order) curve's exponent over the same points with the same weights.
struct Fitted {
    /// ln x of the points.
    lx: Vec<f64>,
    /// The fit of ln y.
    mc: Option<LineFit>,
    /// The fit of the ln of the curve, where the point has arrived.
    theory: Option<LineFit>,
}

/// Fits the plot of series `ids` (see [`Fitted`]).
fn fit_plot(fig: &Figure, ids: &PlotIds) -> Fitted {
    let s = fig.get(ids.mc);
    let err = s.y_err.clone().unwrap_or_default();
    let lx: Vec<f64> = s.x.iter().map(|x| x.ln()).collect();
    let ly: Vec<f64> = s.y.iter().map(|y| y.ln()).collect();
    // The error of ln y is se/y.
    let lse: Vec<f64> = s.y.iter().zip(&err).map(|(y, e)| e / y).collect();
    let th_at = ln_theory_at(fig, ids);
    let mc = fit_line(&lx, &ly, &lse);
    // Only where the Monte Carlo point has arrived.
    let tse: Vec<f64> = lse
        .iter()
        .map(|e| if e.is_finite() { *e } else { f64::NAN })
        .collect();
    let theory = fit_line(&lx, &th_at, &tse);
    Fitted { lx, mc, theory }
}

/// ln of the theory curve of a plot (series `ids`) at each of its Monte Carlo points (NaN where
/// it has none).
fn ln_theory_at(fig: &Figure, ids: &PlotIds) -> Vec<f64> {
    let theory = fig.get(ids.theory);
    let at = |x: &f64| {
        let j = theory.x.iter().position(|t| t == x)?;
        Some(theory.y[j].ln())
    };
    fig.get(ids.mc)
        .x
        .iter()
        .map(|x| at(x).unwrap_or(f64::NAN))
        .collect()
}

/// The largest |Monte Carlo − exact| / se over a plot's points (series `ids`).
fn worst_z(fig: &Figure, ids: &PlotIds) -> Option<f64> {
    let s = fig.get(ids.mc);
    let err = s.y_err.clone().unwrap_or_default();
    let mut worst: Option<f64> = None;
    for ((&y, &e), &t) in s.y.iter().zip(&err).zip(&ln_theory_at(fig, ids)) {
        let z = (y - t.exp()).abs() / e;
        if z.is_finite() {
            worst = Some(worst.map_or(z, |w: f64| w.max(z)));
        }
    }
    worst
}

/// Draws plot `k`'s fitted line and the blog's slope through the points' weighted centre, and
/// titles the plot with the fitted exponent.
fn draw_fit(fig: &mut Figure, k: usize, ids: &PlotIds, f: &Fitted) {
    let (lo, hi) = (f.lx[0], f.lx[f.lx.len() - 1]);
    let Some(fit) = f.mc else {
        fig.get_mut(ids.fit).y = vec![f64::NAN; 2];
        fig.get_mut(ids.claim).y = vec![f64::NAN; 2];
        fig.plots[k].title = String::new();
        return;
    };
    fig.get_mut(ids.fit).y = vec![fit.at(lo).exp(), fit.at(hi).exp()];
    fig.plots[k].title = format!("slope {:.2} ± {:.2}", fit.slope, fit.slope_se);
    let slope = if k % 2 == 0 { -1.0 } else { 1.0 };
    let (cx, cy) = fit.centre;
    fig.get_mut(ids.claim).y = vec![
        (cy + slope * (lo - cx)).exp(),
        (cy + slope * (hi - cx)).exp(),
    ];
}

impl Panel for FdrVariance {
    type Plan = Plan;

    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> (Plan, Figure) {
        let q = normalized(p);
        let n = q.points as usize;
        let mut fig = figure(p, plots());
        let sweeps = [lrs(&q, n), sigmas(&q, n)];
        let exact = [0, 1].map(|sweep| exact_sweep(&q, sweep, &sweeps[sweep]));
        let plots = std::array::from_fn(|k| {
            let (grid, d, r) = &exact[k % 2];
            add_plot(&mut fig, k, &sweeps[k % 2], grid, if k < 2 { d } else { r })
        });
        add_stationary(&mut fig, &q, &sweeps[0]);
        fig.readouts = window_readouts(&q);
        let limit = lr_limit(fdr_common::k_max(&q), q.mu, q.damp);
        if q.lr >= limit {
            let note = Some("η is beyond the stability limit: the runs diverge".to_string());
            fig.plots[1].note.clone_from(&note);
            fig.plots[3].note = note;
        }
        fig.jobs = 2 * n;
        let plan = Plan {
            setting: q,
            sweeps,
            plots,
        };
        (plan, fig)
    }

    fn job(&self, plan: &Plan, i: usize) -> Vec<Patch> {
        let n = (plan.setting.points as usize).max(1);
        let (sweep, j) = (i / n, i % n);
        let Some(&x) = plan.sweeps.get(sweep).and_then(|xs| xs.get(j)) else {
            return Vec::new();
        };
        let q = at(&plan.setting, sweep, x);
        let model = q.model();
        let w = fdr_common::start(&q);
        let seed = job_seed(plan.setting.seed, i);
        let (d, r) = fdr1_estimators(q.walkers as usize, q.steps, |c| {
            Runs16::new(&model, q.lr, q.mu, q.damp, [w[0], w[1]], job_seed(seed, c))
        });
        let (vd, sd) = variance_se(&d);
        let (vr, sr) = variance_se(&r);
        vec![
            Patch::point(plan.plots[sweep].mc, j, vd, sd),
            Patch::point(plan.plots[sweep + 2].mc, j, vr, sr),
        ]
    }

    fn finish(&self, plan: &Plan, fig: &mut Figure) {
        fig.readouts
            .retain(|r| WINDOW_KEYS.contains(&r.key.as_str()));
        let names = [
            ("d_lr", "Var[D] against η"),
            ("d_sigma2", "Var[D] against σ²"),
            ("r_lr", "Var[r] against η"),
            ("r_sigma2", "Var[r] against σ²"),
        ];
        for (k, (key, what)) in names.iter().enumerate() {
            let ids = &plan.plots[k];
            let fitted = fit_plot(fig, ids);
            draw_fit(fig, k, ids, &fitted);
            let curve = if k < 2 { "exact" } else { "leading-order" };
            fig.readouts.extend([
                Readout::new(
                    &format!("slope_{key}"),
                    &format!("fitted exponent of {what}, Monte Carlo"),
                    fitted.mc.map(|f| f.slope),
                )
                .with_se(fitted.mc.map(|f| f.slope_se)),
                Readout::new(
                    &format!("slope_{key}_theory"),
                    &format!("exponent of the {curve} curve over the same points"),
                    fitted.theory.map(|f| f.slope),
                ),
            ]);
        }
        let worst = [0, 1]
            .into_iter()
            .filter_map(|k| worst_z(fig, &plan.plots[k]))
            .reduce(f64::max);
        fig.readouts.push(Readout::new(
            "z_max",
            "largest |Monte Carlo − exact| of Var[D] in standard errors",
            worst,
        ));
    }
}
