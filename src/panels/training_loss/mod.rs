//! `training-loss` — Liu, Ziyin & Ueda (2021), Thm 5 and Table 1 (lower half): the expected
//! training loss L_train = ½Tr[KΣ] (Eq. 11) against the learning rate for SGD, SGD with momentum
//! and QHM, one plot each: Monte Carlo (`walkers` runs of `steps` steps from the minimum), the
//! exact discrete-time stationary value (the general solver; equal to Thm 5's Eq. 12 for SGD
//! and SGDM), the continuous-time value and Gitman et al.'s second-order expansion (Table 1,
//! left).
//!
//! For QHM the exact curve is the solver's (an ARMA(2,1) process per eigenmode when [C, K] = 0,
//! `closed_form::qhm_commuting`). Cor. 7 (Eqs. 89–92) as printed is drawn beside it: it is
//! wrong — at ν = 0, where QHM is plain SGD, Thm 11's Eq. 82 does not reduce to Thm 1 — and
//! gives negative losses at common settings (μ = 0.9, ν = 0.7). Thm 11's proof drops the
//! correlation between a step's noise and the weights it moves in Eqs. 77, 78 and 80, and its
//! Eqs. 82 and 86 do not follow from its own steps; `tests/qhm_thm11.rs` solves both versions.

use super::kit::{figure, job_seed};
use super::{LegacyPanel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesKind, Style};
use crate::linalg::linspace;
use crate::model::Model;
use crate::optimizer::{Opt, Optimizer};
use crate::params::Params;
use crate::sim::Ensemble;
use crate::theory::{self, escape};
use nalgebra::DMatrix;

/// The panel.
pub struct TrainingLoss;

static SPEC: Spec = Spec {
    name: "training-loss",
    title: "Training loss of SGD, SGDM and QHM",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
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

fn optimizer(p: &Params, o: usize, lr: f64) -> Optimizer {
    (at(p, o, lr)).optimizer()
}

/// The largest λ with a stationary state for optimizer `o`: the necessary condition of
/// Sec. 4.5 (λk*(1+μ−2μν) < 2(1+μ) for QHM), then bisection when the state-dependent or
/// minibatch noise makes the mean-square limit lower.
pub fn stability_limit(p: &Params, model: &Model, o: usize) -> f64 {
    let k_max = model.k_max();
    let opt = optimizer(p, o, 1.0);
    let factor = match o {
        2 => 1.0 + opt.mu - 2.0 * opt.mu * opt.qhm_nu,
        _ => 1.0,
    };
    let mu = opt.mu;
    let top = 2.0 * (1.0 + mu) / (k_max * factor);
    let ok = |lr: f64| theory::stationary(model, &optimizer(p, o, lr)).is_ok();
    if ok(top * (1.0 - 1e-9)) {
        return top;
    }
    let (mut lo, mut hi) = (0.0, top);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if ok(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The learning rates of optimizer `o`'s Monte Carlo points: midpoints of `points` equal cells
/// of (0, λ_max).
fn lrs(p: &Params, model: &Model, o: usize) -> Vec<f64> {
    let top = stability_limit(p, model, o);
    (0..p.points)
        .map(|i| top * (i as f64 + 0.5) / p.points as f64)
        .collect()
}

/// The exact training loss after `steps` steps from the minimum (what the runs measure).
pub fn exact_after(p: &Params, o: usize, lr: f64) -> Option<f64> {
    let model = p.model();
    escape::escape_discrete(&model, &optimizer(p, o, lr), p.steps)
}

/// The exact stationary training loss, ½Tr[KΣ] at the solver's Σ.
pub fn exact(model: &Model, p: &Params, o: usize, lr: f64) -> Option<f64> {
    theory::stationary(model, &optimizer(p, o, lr))
        .ok()
        .map(|s| theory::expected_loss(&model.k, &s.sigma))
}

/// Liu et al. Cor. 7, Eqs. (89)–(92), exactly as printed: L = (λ²/2) Tr[h(K)⁻¹KC] with
/// h(K) = (1/d){aI + 2bK + cK² + [μ(1+μ)f(K) + λ(1 − μν(2+μ))g(K)](I − A²)⁻¹},
/// f(K) = 2(1−μ²)K + λ[−2 + μ(3 + μ(2 − 3ν))]K², g(K) = 2(1−μ²)I + 2λ[−1 + μ(2 + μ − 2μν)]K
/// − 2λμ(1−ν)αK², A = μ(I − λ(1−ν)K), α = λ(1 − ν + ν(1−μ)) and a, b, c, d of Eq. (74).
/// h(K) is a function of K, so the trace is Σᵢ kᵢ (uᵢᵀCuᵢ)/h(kᵢ) over K's eigenpairs. It is
/// misprinted (see the module documentation); drawn for comparison only.
pub fn qhm_eq89_printed(
    k: &DMatrix<f64>,
    c: &DMatrix<f64>,
    lr: f64,
    mu: f64,
    nu: f64,
) -> Option<f64> {
    let e = nalgebra::SymmetricEigen::try_new(k.clone(), f64::EPSILON, 10_000)?;
    let cm = e.eigenvectors.transpose() * c * &e.eigenvectors;
    let alpha = lr * (1.0 - nu + nu * (1.0 - mu));
    let a = -2.0 * mu * (1.0 + mu);
    let b = lr * mu * mu * (1.0 - nu);
    let cc = lr * lr * (1.0 - mu * mu - 2.0 * mu * nu * (1.0 - mu));
    let d = 1.0 + mu * (mu - 2.0 * nu - 2.0 * mu * nu * (1.0 - nu));
    let mut sum = 0.0;
    for (i, &ki) in e.eigenvalues.iter().enumerate() {
        let am = mu * (1.0 - lr * (1.0 - nu) * ki);
        let f =
            2.0 * (1.0 - mu * mu) * ki + lr * (-2.0 + mu * (3.0 + mu * (2.0 - 3.0 * nu))) * ki * ki;
        let g = 2.0 * (1.0 - mu * mu) + 2.0 * lr * (-1.0 + mu * (2.0 + mu - 2.0 * mu * nu)) * ki
            - 2.0 * lr * mu * (1.0 - nu) * alpha * ki * ki;
        let h = (a
            + 2.0 * b * ki
            + cc * ki * ki
            + (mu * (1.0 + mu) * f + lr * (1.0 - mu * nu * (2.0 + mu)) * g) / (1.0 - am * am))
            / d;
        sum += ki * cm[(i, i)] / h;
    }
    let v = lr * lr / 2.0 * sum;
    v.is_finite().then_some(v)
}

impl LegacyPanel for TrainingLoss {
    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> Figure {
        let model = p.model();
        let mut plots = Vec::new();
        for (o, name) in NAMES.iter().enumerate() {
            let mut plot = Plot::new("learning rate λ", "training loss ½Tr[KΣ]");
            plot.title = match o {
                0 => name.to_string(),
                1 => format!("{name}, μ = {}", p.mu),
                _ => format!("{name}, μ = {}, ν = {}", p.mu, p.qhm_nu),
            };
            plot.y_log = p.ylog;
            plots.push(plot);
        }
        let mut fig = figure(p, plots);
        let limits: Vec<f64> = (0..3).map(|o| stability_limit(p, &model, o)).collect();
        for (o, &limit) in limits.iter().enumerate() {
            if limit.is_nan() || limit <= 0.0 {
                fig.plots[o].note = Some(
                    "No stationary state at any learning rate (K has an eigenvalue 0, or the \
                     noise grows faster than the drift)"
                        .into(),
                );
            }
        }
        // Monte Carlo series first (indices 0, 1, 2), so that patches find them.
        for o in 0..3 {
            fig.series.push(
                Series::pending("Monte Carlo", lrs(p, &model, o))
                    .in_plot(o)
                    .unlabelled_unless(o == 0),
            );
        }
        let constant_noise = model.noise_op().is_none();
        for (o, &limit) in limits.iter().enumerate() {
            let grid = linspace(limit * 1e-3, limit * 0.999, 300);
            let first = o == 0;
            fig.series.push(
                Series::curve("exact discrete", SeriesKind::TheoryDiscrete, &grid, |lr| {
                    exact(&model, p, o, lr)
                })
                .in_plot(o)
                .unlabelled_unless(first),
            );
            fig.series.push(
                Series::curve("continuous", SeriesKind::TheoryContinuous, &grid, |lr| {
                    theory::continuous(&model, &optimizer(p, o, lr))
                        .map(|s| theory::expected_loss(&model.k, &s))
                })
                .in_plot(o)
                .unlabelled_unless(first),
            );
            if constant_noise {
                fig.series.push(
                    Series::curve(
                        "Gitman et al. expansion (Table 1)",
                        SeriesKind::TheoryOther,
                        &grid,
                        |lr| theory::loss_expansion(&model, &optimizer(p, o, lr)),
                    )
                    .in_plot(o)
                    .colored(0)
                    .unlabelled_unless(first),
                );
            }
            if o == 2 && constant_noise {
                fig.series.push(
                    Series::curve(
                        "Cor. 7, Eq. 89 as printed",
                        SeriesKind::TheoryOther,
                        &grid,
                        |lr| qhm_eq89_printed(&model.k, &model.c, lr, p.mu, p.qhm_nu),
                    )
                    .in_plot(o)
                    .colored(6),
                );
            }
            fig.series.push(
                Series::new(
                    "stability limit",
                    SeriesKind::TheoryDiscrete,
                    vec![limit],
                    vec![f64::NAN],
                )
                .in_plot(o)
                .styled(Style::Vline)
                .colored(7)
                .unlabelled_unless(first),
            );
            // The y axis fits the curve up to the last point, so that the divergence does not
            // flatten everything below it.
            let last = limit * (p.points as f64 - 0.5) / p.points as f64;
            let mut y_top = 0.0f64;
            for lr in [last, 0.5 * (last + limit)] {
                y_top = y_top.max(exact(&model, p, o, lr).unwrap_or(0.0));
            }
            if y_top > 0.0 {
                // Headroom for the legend, top right.
                fig.plots[o].y_range = Some(if p.ylog {
                    let lo = exact(&model, p, o, limit * 1e-3).unwrap_or(y_top * 1e-6);
                    (0.5 * lo, y_top * (y_top / lo).powf(0.45))
                } else {
                    (0.0, 1.6 * y_top)
                });
            }
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
        fig
    }

    fn job(&self, p: &Params, i: usize) -> Vec<Patch> {
        let n = p.points as usize;
        let (o, j) = (i / n, i % n);
        let model = p.model();
        let Some(&lr) = lrs(p, &model, o).get(j) else {
            return Vec::new();
        };
        let q = at(p, o, lr);
        let (y, se) = match q.dynamics(&model) {
            Ok(dy) => {
                let d = model.dim();
                let mut e = Ensemble::new(d, q.walkers as usize, job_seed(q.seed, i));
                e.advance(&dy, q.steps);
                if e.diverged() > 0 {
                    (None, None)
                } else {
                    let k = &model.k;
                    let x0 = e.coords(0);
                    let losses: Vec<f64> = if d == 1 {
                        x0.iter().map(|w| 0.5 * k[(0, 0)] * w * w).collect()
                    } else {
                        let x1 = e.coords(1);
                        x0.iter()
                            .zip(x1)
                            .map(|(a, b)| {
                                0.5 * (k[(0, 0)] * a * a
                                    + 2.0 * k[(0, 1)] * a * b
                                    + k[(1, 1)] * b * b)
                            })
                            .collect()
                    };
                    super::kit::mean_se(&losses)
                }
            }
            Err(_) => (None, None),
        };
        vec![Patch::point(o, j, y, se)]
    }

    fn finish(&self, p: &Params, fig: &mut Figure) {
        // For each optimizer: the largest deviation of the points from the exact loss after
        // `steps` steps and from the continuous-time value, in standard errors.
        let model = p.model();
        fig.readouts.retain(|r| !r.key.contains("_z_"));
        for o in 0..3 {
            let mc = &fig.series[o];
            let (mut zd, mut zc, mut n) = (0.0f64, 0.0f64, 0);
            for (j, (&lr, &y)) in mc.x.iter().zip(&mc.y).enumerate() {
                let se = mc.y_err.as_ref().map_or(f64::NAN, |e| e[j]);
                if !(y.is_finite() && se > 0.0) {
                    continue;
                }
                let opt = optimizer(p, o, lr);
                if let Some(d) = escape::escape_discrete(&model, &opt, p.steps) {
                    zd = zd.max((y - d).abs() / se);
                    n += 1;
                }
                if let Some(c) =
                    theory::continuous(&model, &opt).map(|s| theory::expected_loss(&model.k, &s))
                {
                    zc = zc.max((y - c).abs() / se);
                }
            }
            fig.readouts.push(Readout::new(
                &format!("{}_z_discrete_max", TAGS[o]),
                &format!(
                    "{}: largest |Monte Carlo − exact| in standard errors",
                    NAMES[o]
                ),
                (n > 0).then_some(zd),
            ));
            fig.readouts.push(Readout::new(
                &format!("{}_z_continuous_max", TAGS[o]),
                &format!(
                    "{}: largest |Monte Carlo − continuous| in standard errors",
                    NAMES[o]
                ),
                (n > 0).then_some(zc),
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
