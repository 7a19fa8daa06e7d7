//! `lr-sweep` — Liu, Ziyin & Ueda (2021), Fig. 2a (white noise) and 2b (minibatch noise):
//! the variance of a 1-D weight on L(w) = ½kw² after `steps` SGD steps, against the learning
//! rate λ ∈ (0, 2/k). Monte Carlo points (`walkers` runs each, the paper's 10⁴ × 10³), the exact
//! discrete-time stationary variance, the continuous-time one, and the divergence at λk = 2.
//!
//! With white noise the discrete curve is Cor. 3 in one dimension, λσ²/(k(2 − λk)); the
//! continuous one is Eq. (1), λσ²/(2k). With real minibatch noise (a generated data set,
//! `n_data` points, minibatches of `batch`) the exact curve takes the minibatch covariance as
//! the linear function of Σ it is (see `model::data::Minibatch`); the paper's approximation
//! C ≈ σ²K/S (K/S at its unit label noise) is drawn beside it, and the continuous curve uses
//! the same approximation.

use super::kit::{figure, job_seed, largest_z};
use super::{Panel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesId, SeriesKind, Style};
use crate::linalg::linspace;
use crate::model::Model;
use crate::optimizer::Optimizer;
use crate::params::{Noise, Params};
use crate::theory::stability::{limit_below, midpoints};
use crate::{sim, theory};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The panel.
pub struct LrSweep;

static SPEC: Spec = Spec {
    name: "lr-sweep",
    title: "Variance against learning rate",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    reading: include_str!("reading.json"),
    source: "Liu, Ziyin & Ueda (2021), Fig. 2a–b; Cor. 3; Eq. 1",
    keys: &[
        "h1", "noise", "sigma2", "a", "n_data", "batch", "replace", "walkers", "steps", "points",
        "ylog", "seed",
    ],
    defaults,
    presets: &[
        ("Fig. 2a: white noise", "noise=white&sigma2=1&h1=1"),
        (
            "Fig. 2b: minibatch noise",
            "noise=minibatch&n_data=1000&batch=100&h1=1",
        ),
    ],
    live: false,
    heavy: false,
    accepts: &[],
    spectrum: None,
};

fn defaults(p: &mut Params) {
    p.dim = 1;
    p.h1 = 1.0;
    p.sigma2 = 1.0;
    p.walkers = 10_000;
    p.steps = 1000;
    p.points = 40;
}

/// What the Monte Carlo jobs and the readouts need.
#[derive(Serialize, Deserialize)]
pub struct Plan {
    /// The setting, in one dimension without momentum.
    setting: Params,
    /// The Monte Carlo points (none when k = 0), at these learning rates.
    mc: Option<(SeriesId, Vec<f64>)>,
    /// The model, built once where the plan is used.
    #[serde(skip)]
    model: OnceLock<Model>,
}

impl Plan {
    fn model(&self) -> &Model {
        self.model.get_or_init(|| self.setting.model())
    }
}

/// The setting at learning rate `lr`: one dimension, no momentum.
fn at_lr(p: &Params, lr: f64) -> Params {
    let mut q = p.clone();
    q.dim = 1;
    q.lr = lr;
    q.mu = 0.0;
    q
}

/// The exact stationary variance at `lr` (none past the stability limit).
fn discrete(model: &Model, lr: f64) -> Option<f64> {
    let st = theory::stationary(model, &Optimizer::sgd(lr, 0.0, 1)).ok()?;
    Some(st.sigma[(0, 0)])
}

/// The continuous-time stationary variance at `lr` (Eq. 1).
fn continuous(model: &Model, lr: f64) -> Option<f64> {
    theory::continuous(model, &Optimizer::sgd(lr, 0.0, 1)).map(|s| s[(0, 0)])
}

/// The exact variance after `steps` steps from w = 0 at `lr`: what each Monte Carlo point
/// measures.
pub fn exact_after(model: &Model, lr: f64, steps: u64) -> Option<f64> {
    theory::escape::sigma_after(model, &Optimizer::sgd(lr, 0.0, 1), steps).map(|s| s[(0, 0)])
}

/// The model with the paper's approximation of minibatch noise, C ≈ σ²K/S (the paper writes
/// K/S for its unit label noise; σ² is the label-noise variance of the generated data).
fn approx_model(model: &Model, p: &Params) -> Model {
    Model::new(model.k.clone(), &model.k * (p.sigma2 / p.batch as f64))
}

/// The y range: it fits the points and the curves up to the last point, so that the divergence
/// does not flatten everything below it.
fn y_range(model: &Model, limit: f64, last: f64, log: bool) -> Option<(f64, f64)> {
    let top = [last, 0.5 * (last + limit)]
        .iter()
        .map(|&lr| discrete(model, lr).unwrap_or(0.0))
        .fold(0.0f64, f64::max);
    (top > 0.0).then(|| {
        if log {
            let lo = discrete(model, limit * 1e-3).unwrap_or(top * 1e-6);
            (0.5 * lo, 2.0 * top)
        } else {
            (0.0, 1.15 * top)
        }
    })
}

/// The theory curves over (0, λ_max): exact, continuous, and with minibatches the paper's
/// approximation.
fn add_curves(fig: &mut Figure, p: &Params, model: &Model, limit: f64) {
    let grid = linspace(limit * 1e-3, limit * 0.999, 400);
    let minibatch = p.noise == Noise::Minibatch;
    let (exact, cont) = if minibatch {
        (
            "exact discrete (minibatch covariance)",
            "continuous, C ≈ σ²K/S",
        )
    } else {
        ("exact discrete", "continuous")
    };
    fig.add(Series::curve(
        exact,
        SeriesKind::TheoryDiscrete,
        &grid,
        |lr| discrete(model, lr),
    ));
    let approx = approx_model(model, p);
    let cont_model = if minibatch { &approx } else { model };
    fig.add(Series::curve(
        cont,
        SeriesKind::TheoryContinuous,
        &grid,
        |lr| continuous(cont_model, lr),
    ));
    if minibatch {
        let paper = "discrete, C ≈ σ²K/S (paper)";
        fig.add(Series::curve(paper, SeriesKind::TheoryOther, &grid, |lr| {
            discrete(&approx, lr)
        }));
    }
}

/// A vertical line at `x`.
fn vline(name: &str, kind: SeriesKind, x: f64, color: usize) -> Series {
    Series::new(name, kind, vec![x], vec![f64::NAN])
        .styled(Style::Vline)
        .colored(color)
}

impl Panel for LrSweep {
    type Plan = Plan;

    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> (Plan, Figure) {
        let setting = at_lr(p, p.lr);
        let mut plan = Plan {
            model: OnceLock::new(),
            setting,
            mc: None,
        };
        let mut plot = Plot::new("learning rate λ", "Var[w]");
        plot.y_log = p.ylog;
        let mut fig = figure(p, vec![plot]);
        let model = plan.model();
        let k = model.k[(0, 0)];
        if k.is_nan() || k <= 0.0 {
            fig.plots[0].note =
                Some("k = 0: a flat loss has no stationary variance at any λ".to_string());
            fig.readouts = vec![Readout::new("k", "curvature k", Some(k))];
            return (plan, fig);
        }
        let top = 2.0 / k;
        let limit = limit_below(top, |lr| discrete(model, lr).is_some());
        let xs = midpoints(limit, p.points);
        let last = xs.last().copied().unwrap_or(limit);
        fig.plots[0].y_range = y_range(model, limit, last, p.ylog);
        let mc = fig.add(Series::pending("Monte Carlo", xs.clone()));
        add_curves(&mut fig, p, model, limit);
        fig.add(vline("λk = 2", SeriesKind::TheoryOther, top, 7));
        if limit < top * (1.0 - 1e-6) {
            let name = "stability limit (mean square)";
            fig.add(vline(name, SeriesKind::TheoryDiscrete, limit, 5));
        }
        fig.readouts = vec![
            Readout::new(
                "k",
                "curvature k (of the data set, for minibatches)",
                Some(k),
            ),
            Readout::new("lr_divergence", "λ at λk = 2", Some(top)),
            Readout::new(
                "lr_stable_max",
                "largest λ with a stationary state",
                Some(limit),
            ),
        ];
        fig.jobs = xs.len();
        plan.mc = Some((mc, xs));
        (plan, fig)
    }

    fn job(&self, plan: &Plan, i: usize) -> Vec<Patch> {
        let Some((mc, lrs)) = &plan.mc else {
            return Vec::new();
        };
        let q = at_lr(&plan.setting, lrs[i]);
        let moments = q.dynamics(plan.model()).ok().and_then(|dy| {
            sim::moments_after(&dy, q.walkers as usize, q.steps, job_seed(q.seed, i))
        });
        let (y, se) = match moments {
            Some(m) => (Some(m.cov[(0, 0)]), Some(m.cov_se[(0, 0)])),
            None => (None, None),
        };
        vec![Patch::point(*mc, i, y, se)]
    }

    fn finish(&self, plan: &Plan, fig: &mut Figure) {
        // How far the Monte Carlo points are from each theory, in standard errors, against the
        // exact covariance after `steps` steps from w = 0 (what the runs measure).
        let Some((mc, _)) = &plan.mc else {
            return; // no Monte Carlo (k = 0)
        };
        let (model, steps) = (plan.model(), plan.setting.steps);
        let mc = fig.get(*mc);
        let zd = largest_z(mc, |lr| exact_after(model, lr, steps));
        let zc = zd.and(largest_z(mc, |lr| continuous(model, lr)).or(Some(0.0)));
        fig.readouts.retain(|r| !r.key.starts_with("z_"));
        fig.readouts.push(Readout::new(
            "z_discrete_max",
            "largest |Monte Carlo − exact| in standard errors",
            zd,
        ));
        fig.readouts.push(Readout::new(
            "z_continuous_max",
            "largest |Monte Carlo − continuous| in standard errors",
            zc,
        ));
    }
}
