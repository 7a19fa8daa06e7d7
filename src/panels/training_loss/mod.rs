//! `training-loss` — Liu, Ziyin & Ueda (2021), Thm 5 and Table 1 (lower half): the expected
//! training loss L_train = ½Tr[KΣ] (Eq. 11) against the learning rate for SGD, SGD with momentum
//! and QHM, one plot each: Monte Carlo (`walkers` runs of `steps` steps from the minimum), the
//! exact discrete-time stationary value (the general solver; equal to Thm 5's Eq. 12 for SGD
//! and SGDM), the continuous-time value and Gitman et al.'s second-order expansion (Table 1,
//! left).
//!
//! For QHM the exact curve is the solver's (an ARMA(2,1) process per eigenmode when [C, K] = 0,
//! `closed_form::qhm_commuting`). Cor. 7 (Eqs. 89–92) as printed
//! (`closed_form::cor7_qhm_loss_as_printed`) is drawn beside it: it is wrong — at ν = 0, where
//! QHM is plain SGD, Thm 11's Eq. 82 does not reduce to Thm 1 — and gives negative losses at
//! common settings (μ = 0.9, ν = 0.7). Thm 11's proof drops the correlation between a step's
//! noise and the weights it moves in Eqs. 77, 78 and 80, and its Eqs. 82 and 86 do not follow
//! from its own steps; `tests/core/qhm_thm11.rs` solves both versions.
//!
//! With a measured spectrum the model is D-dimensional and diagonal ([`spectral`]).

mod spectral;

use super::kit::{figure, job_seed, largest_z_at};
use super::{Panel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesId, SeriesKind, Style};
use crate::linalg::linspace;
use crate::model::Model;
use crate::optimizer::{Opt, Optimizer};
use crate::params::Params;
use crate::sim;
use crate::sim::stats::mean_se;
use crate::theory::closed_form::cor7_qhm_loss_as_printed;
use crate::theory::stability::{limit_below, midpoints};
use crate::theory::{self, escape};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The panel.
pub struct TrainingLoss;

static SPEC: Spec = Spec {
    name: "training-loss",
    title: "Training loss of SGD, SGDM and QHM",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    reading: include_str!("reading.json"),
    source: "Liu, Ziyin & Ueda (2021), Thm 5, Eq. 12; Table 1 (approximation error); Eq. 72; \
             Thm 11 and its proof (Eqs. 75–88); Cor. 7, Eqs. 89–92; Gitman et al. (2019)",
    keys: &[
        "h1", "h2", "h_angle", "noise", "sigma2", "a", "c1", "c2", "c_angle", "cf", "n_data",
        "batch", "replace", "mu", "qhm_nu", "walkers", "steps", "points", "ylog", "seed",
    ],
    defaults,
    presets: &[
        (
            "white noise, μ = 0.9, ν = 0.7",
            "noise=white&sigma2=1&mu=0.9&qhm_nu=0.7",
        ),
        ("Hessian noise C = K", "noise=hessian&a=1"),
        ("μ = 0.5", "mu=0.5"),
    ],
    live: false,
    heavy: false,
    accepts: &[],
    spectrum: Some(&[
        "h1", "h2", "h_angle", "noise", "sigma2", "c1", "c2", "c_angle", "cf",
    ]),
};

fn defaults(p: &mut Params) {
    p.dim = 2;
    p.h1 = 1.0;
    p.h2 = 0.1;
    p.h_angle = 0.0;
    p.sigma2 = 1.0;
    p.mu = 0.9;
    p.qhm_nu = 0.7;
    // The three optimizers are drawn side by side; `opt` is not a key of this panel. QHM makes
    // the page show its ν control.
    p.opt = Opt::Qhm;
    p.walkers = 10_000;
    p.steps = 1000;
    p.points = 15;
    p.ylog = true;
}

/// The three optimizers, in plot order.
const NAMES: [&str; 3] = ["SGD", "SGD with momentum", "QHM"];
const TAGS: [&str; 3] = ["sgd", "sgdm", "qhm"];

/// What the Monte Carlo jobs and the readouts need.
#[derive(Serialize, Deserialize)]
pub struct Plan {
    /// The setting: the model, μ, ν, and the runs.
    setting: Params,
    /// One sweep per optimizer, in plot order.
    sweeps: Vec<Sweep>,
    /// With a measured spectrum and its Monte Carlo: every direction (h, c).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    directions: Option<spectral::Directions>,
    /// The model, built once where the plan is used.
    #[serde(skip)]
    model: OnceLock<Model>,
}

impl Plan {
    fn model(&self) -> &Model {
        self.model.get_or_init(|| self.setting.model())
    }
}

/// The Monte Carlo points of one optimizer.
#[derive(Serialize, Deserialize)]
struct Sweep {
    mc: SeriesId,
    points: Vec<Point>,
}

/// One Monte Carlo point and the theory it is compared with.
#[derive(Serialize, Deserialize)]
struct Point {
    /// The learning rate.
    lr: f64,
    /// The exact training loss after `steps` steps from the minimum: what the runs measure.
    exact_after: Option<f64>,
    /// The continuous-time stationary training loss.
    continuous: Option<f64>,
}

/// The parameters of optimizer `o` (0 SGD, 1 SGDM, 2 QHM) at learning rate `lr`.
fn at(p: &Params, o: usize, lr: f64) -> Params {
    let mut q = p.clone();
    q.lr = lr;
    q.damp = 0.0;
    match o {
        0 => {
            q.opt = Opt::Sgd;
            q.mu = 0.0;
        }
        1 => q.opt = Opt::Sgd,
        _ => q.opt = Opt::Qhm,
    }
    q
}

/// The optimizer `o` (0 SGD, 1 SGDM, 2 QHM) at learning rate `lr`.
pub fn optimizer(p: &Params, o: usize, lr: f64) -> Optimizer {
    (at(p, o, lr)).optimizer()
}

/// The largest λ with a stationary state for optimizer `o`: the necessary condition of
/// Sec. 4.5 (λk*(1+μ−2μν) < 2(1+μ) for QHM), or below it where the state-dependent or
/// minibatch noise makes the mean-square limit lower ([`limit_below`]).
pub fn stability_limit(p: &Params, model: &Model, o: usize) -> f64 {
    let opt = optimizer(p, o, 1.0);
    let factor = match o {
        2 => 1.0 + opt.mu - 2.0 * opt.mu * opt.qhm_nu,
        _ => 1.0,
    };
    let top = 2.0 * (1.0 + opt.mu) / (model.k_max() * factor);
    limit_below(top, |lr| {
        theory::stationary(model, &optimizer(p, o, lr)).is_ok()
    })
}

/// The exact training loss after `steps` steps from the minimum (what the runs measure).
pub fn exact_after(model: &Model, p: &Params, o: usize, lr: f64) -> Option<f64> {
    escape::escape_discrete(model, &optimizer(p, o, lr), p.steps)
}

/// The exact stationary training loss, ½Tr[KΣ] at the solver's Σ.
pub fn exact(model: &Model, p: &Params, o: usize, lr: f64) -> Option<f64> {
    theory::stationary(model, &optimizer(p, o, lr))
        .ok()
        .map(|s| theory::expected_loss(&model.k, &s.sigma))
}

/// The continuous-time stationary training loss.
pub fn continuous(model: &Model, p: &Params, o: usize, lr: f64) -> Option<f64> {
    theory::continuous(model, &optimizer(p, o, lr)).map(|s| theory::expected_loss(&model.k, &s))
}

/// One plot per optimizer.
fn plots(p: &Params) -> Vec<Plot> {
    (NAMES.iter().enumerate())
        .map(|(o, name)| {
            let mut plot = Plot::new("learning rate λ", "training loss ½Tr[KΣ]");
            plot.title = match o {
                0 => name.to_string(),
                1 => format!("{name}, μ = {}", p.mu),
                _ => format!("{name}, μ = {}, ν = {}", p.mu, p.qhm_nu),
            };
            plot.y_log = p.ylog;
            plot
        })
        .collect()
}

/// Optimizer `o`'s points: midpoints of `points` equal cells of (0, `limit`), with the theory
/// at each.
fn sweep(p: &Params, model: &Model, o: usize, mc: SeriesId, limit: f64) -> Sweep {
    let points = midpoints(limit, p.points)
        .into_iter()
        .map(|lr| Point {
            lr,
            exact_after: exact_after(model, p, o, lr).filter(|v| v.is_finite()),
            continuous: continuous(model, p, o, lr).filter(|v| v.is_finite()),
        })
        .collect();
    Sweep { mc, points }
}

/// Optimizer `o`'s theory curves over (0, `limit`) in plot `o`, its stability limit, and its
/// y range.
fn add_curves(fig: &mut Figure, p: &Params, model: &Model, o: usize, limit: f64) {
    let grid = linspace(limit * 1e-3, limit * 0.999, 300);
    let first = o == 0;
    let constant_noise = model.noise_op().is_none();
    let exact_curve = Series::curve("exact discrete", SeriesKind::TheoryDiscrete, &grid, |lr| {
        exact(model, p, o, lr)
    });
    fig.add(exact_curve.in_plot(o).unlabelled_unless(first));
    let cont = Series::curve("continuous", SeriesKind::TheoryContinuous, &grid, |lr| {
        continuous(model, p, o, lr)
    });
    fig.add(cont.in_plot(o).unlabelled_unless(first));
    if constant_noise {
        let name = "Gitman et al. expansion (Table 1)";
        let s = Series::curve(name, SeriesKind::TheoryOther, &grid, |lr| {
            theory::loss_expansion(model, &optimizer(p, o, lr))
        });
        fig.add(s.in_plot(o).colored(0).unlabelled_unless(first));
    }
    if o == 2 && constant_noise {
        let name = "Cor. 7, Eq. 89 as printed";
        let s = Series::curve(name, SeriesKind::TheoryOther, &grid, |lr| {
            cor7_qhm_loss_as_printed(&model.k, &model.c, lr, p.mu, p.qhm_nu)
        });
        fig.add(s.in_plot(o).colored(6));
    }
    finish_plot(fig, p, o, limit, |lr| exact(model, p, o, lr));
}

/// Ends optimizer `o`'s plot: the stability limit as a vertical line (labelled in the first
/// plot only) and the y range that fits the exact curve `exact` ([`y_range`]).
fn finish_plot(
    fig: &mut Figure,
    p: &Params,
    o: usize,
    limit: f64,
    exact: impl Fn(f64) -> Option<f64>,
) {
    let line = Series::new(
        "stability limit",
        SeriesKind::TheoryDiscrete,
        vec![limit],
        vec![f64::NAN],
    );
    fig.add(
        line.in_plot(o)
            .styled(Style::Vline)
            .colored(7)
            .unlabelled_unless(o == 0),
    );
    fig.plots[o].y_range = y_range(p, limit, exact);
}

/// The y range of a plot of the exact curve `exact` up to `limit`: it fits the curve up to the
/// last point, so that the divergence does not flatten everything below it, with headroom for
/// the legend, top right.
fn y_range(p: &Params, limit: f64, exact: impl Fn(f64) -> Option<f64>) -> Option<(f64, f64)> {
    let last = limit * (p.points as f64 - 0.5) / p.points as f64;
    let mut y_top = 0.0f64;
    for lr in [last, 0.5 * (last + limit)] {
        y_top = y_top.max(exact(lr).unwrap_or(0.0));
    }
    (y_top > 0.0).then(|| {
        if p.ylog {
            let lo = exact(limit * 1e-3).unwrap_or(y_top * 1e-6);
            (0.5 * lo, y_top * (y_top / lo).powf(0.45))
        } else {
            (0.0, 1.6 * y_top)
        }
    })
}

impl Panel for TrainingLoss {
    type Plan = Plan;

    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn work(&self, p: &Params) -> u64 {
        if let Some(s) = &p.spectrum {
            return spectral::work(p, s);
        }
        // One ensemble of `walkers` × `steps` per point and series.
        (3 * p.points)
            .saturating_mul(p.walkers)
            .saturating_mul(p.steps)
    }

    fn plan(&self, p: &Params) -> (Plan, Figure) {
        if let Some(s) = &p.spectrum {
            return spectral::plan(p, s);
        }
        let plan_model = OnceLock::new();
        let model = plan_model.get_or_init(|| p.model());
        let mut fig = figure(p, plots(p));
        let limits: Vec<f64> = (0..3).map(|o| stability_limit(p, model, o)).collect();
        for (o, &limit) in limits.iter().enumerate() {
            if limit.is_nan() || limit <= 0.0 {
                fig.plots[o].note = Some(
                    "No stationary state at any learning rate (K has an eigenvalue 0, or the \
                     noise grows faster than the drift)"
                        .into(),
                );
            }
        }
        // Monte Carlo series first, one per plot.
        let sweeps = (limits.iter().enumerate())
            .map(|(o, &limit)| {
                let xs = midpoints(limit, p.points);
                let mc = Series::pending("Monte Carlo", xs).in_plot(o);
                let mc = fig.add(mc.unlabelled_unless(o == 0));
                sweep(p, model, o, mc, limit)
            })
            .collect();
        for (o, &limit) in limits.iter().enumerate() {
            add_curves(&mut fig, p, model, o, limit);
        }
        fig.readouts = (0..3)
            .map(|o| {
                Readout::new(
                    &format!("{}_lr_max", TAGS[o]),
                    &format!("{}: largest λ with a stationary state", NAMES[o]),
                    Some(limits[o]),
                )
            })
            .collect();
        fig.jobs = 3 * p.points as usize;
        let plan = Plan {
            setting: p.clone(),
            sweeps,
            directions: None,
            model: plan_model,
        };
        (plan, fig)
    }

    fn job(&self, plan: &Plan, i: usize) -> Vec<Patch> {
        if let Some(dirs) = &plan.directions {
            return spectral::job(plan, dirs, i);
        }
        let n = plan.setting.points as usize;
        let (o, j) = (i / n, i % n);
        let Some(sweep) = plan.sweeps.get(o) else {
            return Vec::new();
        };
        let Some(point) = sweep.points.get(j) else {
            return Vec::new();
        };
        let model = plan.model();
        let q = at(&plan.setting, o, point.lr);
        let losses = q.dynamics(model).ok().and_then(|dy| {
            let seed = job_seed(q.seed, i);
            sim::outcome::losses_after(&dy, &model.k, q.walkers as usize, q.steps, seed)
        });
        let (y, se) = losses.map_or((None, None), |l| mean_se(&l));
        vec![Patch::point(sweep.mc, j, y, se)]
    }

    fn finish(&self, plan: &Plan, fig: &mut Figure) {
        // For each optimizer: the largest deviation of the points from the exact loss after
        // `steps` steps and from the continuous-time value, in standard errors.
        fig.readouts.retain(|r| !r.key.contains("_z_"));
        for (o, sweep) in plan.sweeps.iter().enumerate() {
            let mc = fig.get(sweep.mc);
            let at = |j: usize| sweep.points.get(j);
            let zd = largest_z_at(mc, |j| at(j).and_then(|pt| pt.exact_after));
            let zc = largest_z_at(mc, |j| at(j).and_then(|pt| pt.continuous));
            // The continuous deviation is shown whenever the exact one is (0 without values).
            let zc = zd.and(zc.or(Some(0.0)));
            fig.readouts.push(Readout::new(
                &format!("{}_z_discrete_max", TAGS[o]),
                &format!(
                    "{}: largest |Monte Carlo − exact| in standard errors",
                    NAMES[o]
                ),
                zd,
            ));
            fig.readouts.push(Readout::new(
                &format!("{}_z_continuous_max", TAGS[o]),
                &format!(
                    "{}: largest |Monte Carlo − continuous| in standard errors",
                    NAMES[o]
                ),
                zc,
            ));
        }
    }
}

/// Legend entries once per figure: the three plots share their styles.
trait LegendOnce {
    fn unlabelled_unless(self, keep: bool) -> Self;
}

impl LegendOnce for Series {
    fn unlabelled_unless(self, keep: bool) -> Series {
        if keep {
            self
        } else {
            self.unlabelled()
        }
    }
}
