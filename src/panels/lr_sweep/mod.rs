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

use super::kit::{figure, job_seed};
use super::{LegacyPanel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesKind, Style};
use crate::linalg::linspace;
use crate::model::Model;
use crate::optimizer::Optimizer;
use crate::params::{Noise, Params};
use crate::sim::Ensemble;
use crate::theory;

/// The panel.
pub struct LrSweep;

static SPEC: Spec = Spec {
    name: "lr-sweep",
    title: "Variance against learning rate",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
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
};

fn defaults(p: &mut Params) {
    p.dim = 1;
    p.h1 = 1.0;
    p.sigma2 = 1.0;
    p.walkers = 10_000;
    p.steps = 1000;
    p.points = 40;
}

/// Series indices in the plan.
const MC: usize = 0;

/// Learning rates of the Monte Carlo points: the midpoints of `points` equal cells of
/// (0, λ_max), λ_max the stability limit (2/k, or less for minibatch noise, whose covariance
/// grows with the fluctuations), so none sits on the divergence.
fn lrs(p: &Params) -> Vec<f64> {
    let model = (at_lr(p, p.lr)).model();
    let k = model.k[(0, 0)];
    if k.is_nan() || k <= 0.0 {
        return Vec::new(); // no curvature: no stationary variance at any λ
    }
    midpoints(stability_limit(&model, k), p.points)
}

/// The midpoints of `points` equal cells of (0, `top`).
fn midpoints(top: f64, points: u64) -> Vec<f64> {
    (0..points)
        .map(|i| top * (i as f64 + 0.5) / points as f64)
        .collect()
}

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

/// The model with the paper's approximation of minibatch noise, C ≈ σ²K/S (the paper writes
/// K/S for its unit label noise; σ² is the label-noise variance of the generated data).
fn approx_model(model: &Model, p: &Params) -> Model {
    Model::new(model.k.clone(), &model.k * (p.sigma2 / p.batch as f64))
}

/// The largest λ with a stationary state, by bisection on (0, 2/k].
fn stability_limit(model: &Model, k: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 2.0 / k);
    if discrete(model, hi * (1.0 - 1e-9)).is_some() {
        return hi;
    }
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if discrete(model, mid).is_some() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

impl LegacyPanel for LrSweep {
    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> Figure {
        let mut plot = Plot::new("learning rate λ", "Var[w]");
        plot.y_log = p.ylog;
        let mut fig = figure(p, vec![plot]);
        let model = (at_lr(p, p.lr)).model();
        let k = model.k[(0, 0)];
        if k.is_nan() || k <= 0.0 {
            fig.plots[0].note =
                Some("k = 0: a flat loss has no stationary variance at any λ".to_string());
            fig.readouts = vec![Readout::new("k", "curvature k", Some(k))];
            return fig;
        }
        let top = 2.0 / k;
        let limit = stability_limit(&model, k);
        let grid = linspace(limit * 1e-3, limit * 0.999, 400);
        let minibatch = p.noise == Noise::Minibatch;
        let xs = midpoints(limit, p.points);
        // The y axis fits the points and the curves up to the last point, so that the
        // divergence does not flatten everything below it.
        let last = xs.last().copied().unwrap_or(limit);
        let mut y_top = 0.0f64;
        for lr in [last, 0.5 * (last + limit)] {
            y_top = y_top.max(discrete(&model, lr).unwrap_or(0.0));
        }
        if y_top > 0.0 {
            fig.plots[0].y_range = Some(if p.ylog {
                let lo = discrete(&model, limit * 1e-3).unwrap_or(y_top * 1e-6);
                (0.5 * lo, 2.0 * y_top)
            } else {
                (0.0, 1.15 * y_top)
            });
        }
        fig.series.push(Series::pending("Monte Carlo", xs));
        fig.series.push(Series::curve(
            if minibatch {
                "exact discrete (minibatch covariance)"
            } else {
                "exact discrete"
            },
            SeriesKind::TheoryDiscrete,
            &grid,
            |lr| discrete(&model, lr),
        ));
        let approx = approx_model(&model, p);
        let cont_model = if minibatch { &approx } else { &model };
        fig.series.push(Series::curve(
            if minibatch {
                "continuous, C ≈ σ²K/S"
            } else {
                "continuous"
            },
            SeriesKind::TheoryContinuous,
            &grid,
            |lr| continuous(cont_model, lr),
        ));
        if minibatch {
            fig.series.push(Series::curve(
                "discrete, C ≈ σ²K/S (paper)",
                SeriesKind::TheoryOther,
                &grid,
                |lr| discrete(&approx, lr),
            ));
        }
        fig.series.push(
            Series::new("λk = 2", SeriesKind::TheoryOther, vec![top], vec![f64::NAN])
                .styled(Style::Vline)
                .colored(7),
        );
        if limit < top * (1.0 - 1e-6) {
            fig.series.push(
                Series::new(
                    "stability limit (mean square)",
                    SeriesKind::TheoryDiscrete,
                    vec![limit],
                    vec![f64::NAN],
                )
                .styled(Style::Vline)
                .colored(5),
            );
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
        fig.jobs = p.points as usize;
        fig
    }

    fn job(&self, p: &Params, i: usize) -> Vec<Patch> {
        let Some(&lr) = lrs(p).get(i) else {
            return Vec::new();
        };
        let q = at_lr(p, lr);
        let model = q.model();
        let (y, se) = match q.dynamics(&model) {
            Ok(dy) => {
                let mut e = Ensemble::new(1, q.walkers as usize, job_seed(q.seed, i));
                e.advance(&dy, q.steps);
                match e.moments() {
                    Some(m) if e.diverged() == 0 => (Some(m.cov[(0, 0)]), Some(m.cov_se[(0, 0)])),
                    _ => (None, None),
                }
            }
            Err(_) => (None, None),
        };
        vec![Patch::point(MC, i, y, se)]
    }

    fn finish(&self, p: &Params, fig: &mut Figure) {
        // How far the Monte Carlo points are from each theory, in standard errors, against the
        // exact covariance after `steps` steps from w = 0 (what the runs measure).
        let model = (at_lr(p, p.lr)).model();
        let Some(mc) = fig.series.get(MC) else {
            return; // no Monte Carlo (k = 0)
        };
        let (mut zd, mut zc, mut n) = (0.0f64, 0.0f64, 0);
        for (j, (&lr, &y)) in mc.x.iter().zip(&mc.y).enumerate() {
            let se = mc.y_err.as_ref().map_or(f64::NAN, |e| e[j]);
            if !y.is_finite() {
                continue;
            }
            let opt = Optimizer::sgd(lr, 0.0, 1);
            let exact = theory::escape::sigma_after(&model, &opt, p.steps).map(|s| s[(0, 0)]);
            let cont = continuous(&model, lr);
            if let (Some(d), true) = (exact, se > 0.0) {
                zd = zd.max((y - d).abs() / se);
                n += 1;
            }
            if let (Some(c), true) = (cont, se > 0.0) {
                zc = zc.max((y - c).abs() / se);
            }
        }
        fig.readouts.retain(|r| !r.key.starts_with("z_"));
        fig.readouts.push(Readout::new(
            "z_discrete_max",
            "largest |Monte Carlo − exact| in standard errors",
            (n > 0).then_some(zd),
        ));
        fig.readouts.push(Readout::new(
            "z_continuous_max",
            "largest |Monte Carlo − continuous| in standard errors",
            (n > 0).then_some(zc),
        ));
    }
}

/// The exact variance after `steps` steps from w = 0 at learning rate `lr` (what each Monte
/// Carlo point measures), for tests.
pub fn exact_after(p: &Params, lr: f64) -> Option<f64> {
    let q = at_lr(p, lr);
    let model = q.model();
    theory::escape::sigma_after(&model, &Optimizer::sgd(lr, 0.0, 1), q.steps).map(|s| s[(0, 0)])
}
