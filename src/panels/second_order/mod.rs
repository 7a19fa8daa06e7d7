//! `second-order` — Liu, Ziyin & Ueda (2021), Sec. 6.4: the stationary fluctuations of damped
//! Newton (Cor. 5), natural-gradient descent (Cor. 6) and Adam (Thm 10) against the learning
//! rate λ, beside SGD (Cor. 1), with Monte Carlo.
//!
//! The setting is the paper's: a 2-D quadratic L = ½wᵀKw with K = diag(h1, h2) (default
//! diag(2, 0.2), the Sec. 5 Hessian diag(1, 0.1) doubled so that no direction has k = 1, where
//! damped Newton coincides with SGD and hides it), and minibatch-like noise of strength a = (N − S)/(NS)
//! (0.009 for the Sec. 5 data set, N = 1000, S = 100), in the form each result assumes:
//! - SGD and damped Newton (Λ = λK⁻¹) with C = aK, the Hessian approximation of minibatch
//!   noise (Cor. 1 with Eq. 8; Cor. 5, Eq. 25 = Thm 12, Eq. 98);
//! - NGD (Λ = λ J⁻¹, J = KΣK the Fisher information) and Adam (Λ = λ E[ggᵀ]^(−1/2), without
//!   momentum) with C = a·KΣK (Cor. 6, Eq. 26; Thm 10, Eq. 27 with c = a).
//!
//! NGD and Adam are simulated in the paper's idealised form, as `sim::Dynamics` does: Λ and the
//! noise covariance a·KΣK are those of the exact stationary Σ. (Noise that followed each walker,
//! a·K w wᵀ K, would have no constant part and let the walkers collapse to 0.) The exact curves
//! come from the general solver (`theory::stationary`); the paper's closed forms are checked
//! against them in a readout and in the tests. Each Monte Carlo point is one 2-D ensemble,
//! compared with the exact covariance after `steps` steps of the same dynamics.

mod readouts;

use readouts::{fitted_constant, readouts};

use super::kit::{figure, job_seed, largest_z_at};
use super::{Panel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesId, SeriesKind, Style};
use crate::linalg::logspace;
use crate::model::Model;
use crate::optimizer::{Opt, Optimizer};
use crate::params::{Noise, Params};
use crate::sim::{self, Dynamics, Shape};
use crate::theory::{self, closed_form, idealised};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// The panel.
pub struct SecondOrder;

static SPEC: Spec = Spec {
    name: "second-order",
    title: "Damped Newton, natural gradient and Adam",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    reading: include_str!("reading.json"),
    source: "Liu, Ziyin & Ueda (2021), Sec. 6.4: Cor. 5 (Eq. 25), Cor. 6 (Eq. 26), Thm 10 \
             (Eq. 27); Cor. 1; App. E.2.7–E.2.8",
    keys: &["h1", "h2", "a", "mu", "walkers", "steps", "points", "seed"],
    defaults,
    presets: &[
        (
            "K = diag(2, 0.2), N = 1000, S = 100 (a = 0.009)",
            "h1=2&h2=0.2&a=0.009&mu=0",
        ),
        (
            "Sec. 5 Hessian diag(1, 0.1): damped Newton = SGD along k₁ = 1",
            "h1=1&h2=0.1&a=0.009&mu=0",
        ),
        ("S = 10 (a = 0.099)", "a=0.099&mu=0"),
        ("Online, S = 1, N → ∞ (a = 1)", "a=1&mu=0"),
        ("With momentum μ = 0.5", "a=0.009&mu=0.5"),
    ],
    live: false,
    heavy: false,
    accepts: &[],
    spectrum: None,
};

fn defaults(p: &mut Params) {
    p.dim = 2;
    p.h1 = 2.0;
    p.h2 = 0.2;
    p.h_angle = 0.0;
    // The noise is built here from `a`; `hessian` keeps the page's `a` control visible.
    p.noise = Noise::Hessian;
    p.a = 0.009;
    p.mu = 0.0;
    p.walkers = 10_000;
    p.steps = 1000;
    p.points = 20;
}

/// The optimizers, in the order of their series: (optimizer, name, result it follows, colour).
pub const OPTS: [(Opt, &str, &str, usize); 4] = [
    (Opt::Sgd, "SGD", "Cor. 1, C = aK", 7),
    (Opt::Dnm, "damped Newton", "Cor. 5, C = aK", 4),
    (Opt::Ngd, "natural gradient", "Cor. 6, C = aKΣK", 2),
    (Opt::Adam, "Adam", "Thm 10, C = aKΣK", 0),
];

const READOUT_KEYS: [&str; 4] = ["z_sgd_max", "z_dnm_max", "z_ngd_max", "z_adam_max"];

/// What the Monte Carlo jobs and the readouts need.
#[derive(Serialize, Deserialize)]
pub struct Plan {
    /// The setting (K, a, μ, and the runs).
    setting: Params,
    /// The learning rates of the Monte Carlo points.
    lrs: Vec<f64>,
    /// One sweep per optimizer, in the order of [`OPTS`].
    sweeps: Vec<Sweep>,
}

/// The Monte Carlo points of one optimizer.
#[derive(Serialize, Deserialize)]
struct Sweep {
    /// Its series in the two directions.
    mc: [SeriesId; 2],
    /// At each learning rate: the variances in both directions after `steps` steps from w = 0
    /// ([`exact_after`]); `None` without a stationary state (the point is not run).
    exact_after: Vec<Option<[f64; 2]>>,
    /// At each learning rate with a stationary state: its Σ (row-major), from which natural
    /// gradient and Adam build their Λ and noise, so that the jobs do not solve it again.
    sigma: Vec<Option<[f64; 4]>>,
}

/// The exact stationary states of optimizer `opt` along the increasing learning rates `lrs`,
/// each Newton search of natural gradient and Adam warm-started from the previous point.
fn stationary_sweep(p: &Params, opt: Opt, lrs: &[f64]) -> Vec<Option<theory::Stationary>> {
    let first = lrs.first().copied().unwrap_or(0.0);
    theory::stationary_sweep(&model(p, opt), &optimizer(p, opt, first), lrs)
        .into_iter()
        .map(Result::ok)
        .collect()
}

/// The Hessian diag(h1, h2).
fn hessian(p: &Params) -> DMatrix<f64> {
    DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![p.h1, p.h2]))
}

/// The model optimizer `opt` is paired with: C = aK for SGD and damped Newton, C = a·KΣK for
/// natural gradient and Adam.
pub fn model(p: &Params, opt: Opt) -> Model {
    let k = hessian(p);
    match opt {
        Opt::Ngd | Opt::Adam => Model::fisher(k, p.a),
        _ => Model::new(k.clone(), k * p.a),
    }
}

/// Optimizer `opt` at learning rate `lr` (Adam without momentum).
pub fn optimizer(p: &Params, opt: Opt, lr: f64) -> Optimizer {
    let mut o = Optimizer::sgd(lr, if opt == Opt::Adam { 0.0 } else { p.mu }, 2);
    o.opt = opt;
    o
}

/// The exact stationary state of optimizer `opt` at `lr`.
fn stationary(p: &Params, opt: Opt, lr: f64) -> Option<theory::Stationary> {
    theory::stationary(&model(p, opt), &optimizer(p, opt, lr)).ok()
}

/// The exact stationary Σ of optimizer `opt` at `lr`.
pub fn exact(p: &Params, opt: Opt, lr: f64) -> Option<DMatrix<f64>> {
    stationary(p, opt, lr).map(|st| st.sigma)
}

/// The paper's closed form for optimizer `opt` at `lr`: Cor. 1 (Eq. 8), Thm 12 (Eq. 98, which
/// is Cor. 5's Eq. 25 for C = aK), Cor. 6 (Eq. 26), Thm 10 (Eq. 27).
pub fn paper(p: &Params, opt: Opt, lr: f64) -> Option<DMatrix<f64>> {
    let k = hessian(p);
    let mu = p.mu;
    match opt {
        Opt::Sgd => closed_form::cor1(&k, &(&k * p.a), lr, mu),
        Opt::Dnm => closed_form::thm12_dnm(&k, &(&k * p.a), lr, mu),
        Opt::Ngd => closed_form::cor6_ngd(&k, p.a, lr, mu),
        Opt::Adam => Some(closed_form::thm10_adam(2, p.a, lr)),
        _ => None,
    }
}

/// The exact covariance after `steps` steps from w = 0 of the dynamics the Monte Carlo runs
/// ([`idealised::sigma_after`]): for natural gradient and Adam, the map and the constant noise
/// covariance a·KΣK of the stationary Σ (the simulator's idealisation); for the others, the
/// model's own noise.
pub fn exact_after(p: &Params, opt: Opt, lr: f64) -> Option<DMatrix<f64>> {
    let st = stationary(p, opt, lr);
    idealised::sigma_after(&model(p, opt), &optimizer(p, opt, lr), st.as_ref(), p.steps)
}

/// The largest λ of the sweep: the larger of the divergences of SGD, 2(1 + μ)/k_max, and of
/// damped Newton, 2(1 + μ).
fn lr_top(p: &Params) -> f64 {
    let kmax = p.h1.max(p.h2);
    let edge = 2.0 * (1.0 + p.mu);
    if kmax > 0.0 {
        edge * (1.0f64 / kmax).max(1.0)
    } else {
        edge
    }
}

/// Learning rates of the Monte Carlo points: `points` values spaced evenly in log from
/// λ_top/100 to 0.97 λ_top.
pub fn lrs(p: &Params) -> Vec<f64> {
    let top = lr_top(p);
    logspace(top * 1e-2, top * 0.97, p.points as usize)
}

/// The two plots, one per eigen-direction of K, on log axes.
fn plots(p: &Params) -> Vec<Plot> {
    [p.h1, p.h2]
        .into_iter()
        .enumerate()
        .map(|(d, k)| {
            let y = if d == 0 { "Var[w₁]" } else { "Var[w₂]" };
            let mut pl = Plot::new("learning rate λ", y);
            pl.title = format!("direction {}: k{} = {k}", d + 1, ["₁", "₂"][d]);
            pl.x_log = true;
            pl.y_log = true;
            pl
        })
        .collect()
}

/// Series `s` in the plot of direction `d`, in the legend only when `d` is `legend`.
fn in_direction(s: Series, d: usize, legend: usize) -> Series {
    let s = s.in_plot(d);
    if d == legend {
        s
    } else {
        s.unlabelled()
    }
}

/// Optimizer `opt`'s Monte Carlo series in both directions, pending at `lrs`, and the exact
/// covariance after `steps` steps at each point with a stationary state (one solve per point).
fn add_sweep(
    fig: &mut Figure,
    p: &Params,
    (opt, name, _, color): (Opt, &str, &str, usize),
    lrs: &[f64],
) -> Sweep {
    let mc = [0, 1].map(|d| {
        let label = if d == 0 {
            format!("{name} (Monte Carlo)")
        } else {
            format!("{name} (Monte Carlo), direction 2")
        };
        let s = Series::pending(label, lrs.to_vec()).colored(color);
        fig.add(in_direction(s, d, 0))
    });
    let m = model(p, opt);
    let states = stationary_sweep(p, opt, lrs);
    let exact_after = (lrs.iter().zip(&states))
        .map(|(&lr, st)| {
            let st = st.as_ref()?;
            let s = idealised::sigma_after(&m, &optimizer(p, opt, lr), Some(st), p.steps)?;
            Some([s[(0, 0)], s[(1, 1)]])
        })
        .collect();
    let sigma = (states.iter())
        .map(|st| {
            let s = &st.as_ref()?.sigma;
            Some([s[(0, 0)], s[(0, 1)], s[(1, 0)], s[(1, 1)]])
        })
        .collect();
    Sweep {
        mc,
        exact_after,
        sigma,
    }
}

/// The exact curves over `grid` in both directions, and the y range: it fits them up to the
/// last Monte Carlo point `last`, with room above for the legends (a decade and a half on the
/// log axis). Returns the largest relative difference between the solver and the paper's
/// closed forms.
fn add_exact_curves(fig: &mut Figure, p: &Params, grid: &[f64], last: f64) -> f64 {
    let mut rel: f64 = 0.0;
    let (mut y_lo, mut y_hi) = (f64::INFINITY, 0.0f64);
    for (opt, name, result, color) in OPTS {
        let sig: Vec<Option<DMatrix<f64>>> = (stationary_sweep(p, opt, grid).into_iter())
            .map(|st| st.map(|st| st.sigma))
            .collect();
        for (s, &lr) in sig.iter().zip(grid) {
            if let (Some(s), Some(c)) = (s, paper(p, opt, lr)) {
                for d in 0..2 {
                    let (x, y) = (s[(d, d)], c[(d, d)]);
                    if y.abs() > 0.0 {
                        rel = rel.max((x - y).abs() / y.abs());
                    }
                }
            }
        }
        for d in 0..2 {
            let y: Vec<f64> = sig
                .iter()
                .map(|s| s.as_ref().map_or(f64::NAN, |s| s[(d, d)]))
                .collect();
            for (&v, &lr) in y.iter().zip(grid) {
                if v > 0.0 && lr <= last {
                    y_lo = y_lo.min(v);
                    y_hi = y_hi.max(v);
                }
            }
            let label = if d == 1 {
                format!("{name}: {result}")
            } else {
                format!("{name}, exact, direction 1")
            };
            let s = Series::new(label, SeriesKind::TheoryDiscrete, grid.to_vec(), y);
            fig.add(in_direction(s.colored(color), d, 1));
        }
    }
    if y_lo.is_finite() && y_hi > 0.0 {
        for pl in &mut fig.plots {
            pl.y_range = Some((0.5 * y_lo, 30.0 * y_hi));
        }
    }
    rel
}

/// Where SGD diverges, 2(1 + μ)/k_max (none for k_max ≤ 0), and where damped Newton does,
/// 2(1 + μ).
fn divergences(p: &Params) -> (Option<f64>, f64) {
    let edge = 2.0 * (1.0 + p.mu);
    let kmax = p.h1.max(p.h2);
    ((kmax > 0.0).then(|| edge / kmax), edge)
}

/// The divergences as vertical lines in both plots (one line where they coincide).
fn add_divergences(fig: &mut Figure, p: &Params) {
    let (sgd_edge, edge) = divergences(p);
    let dnm = ("damped Newton diverges: λ = 2(1 + μ)", edge, 4);
    let lines = match sgd_edge {
        Some(s) if (s - edge).abs() <= 1e-12 * edge => {
            vec![("SGD and damped Newton diverge", edge, 7)]
        }
        Some(s) => vec![("SGD diverges: λk_max = 2(1 + μ)", s, 7), dnm],
        None => vec![dnm],
    };
    for (name, x, color) in lines {
        for d in 0..2 {
            let s = Series::new(name, SeriesKind::TheoryOther, vec![x], vec![f64::NAN])
                .styled(Style::Vline);
            fig.add(in_direction(s.colored(color), d, 1));
        }
    }
}

impl Panel for SecondOrder {
    type Plan = Plan;

    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn work(&self, p: &Params) -> u64 {
        // One ensemble of `walkers` × `steps` per point and series.
        (OPTS.len() as u64 * p.points)
            .saturating_mul(p.walkers)
            .saturating_mul(p.steps)
    }

    fn plan(&self, p: &Params) -> (Plan, Figure) {
        let mut fig = figure(p, plots(p));
        let top = lr_top(p);
        let xs = lrs(p);
        let sweeps: Vec<Sweep> = OPTS
            .iter()
            .map(|o| add_sweep(&mut fig, p, *o, &xs))
            .collect();
        // Exact curves (and the paper's closed forms beside them, for the readout).
        let grid = logspace(top * 1e-2, top * 0.999, 300);
        let last = xs.last().copied().unwrap_or(top);
        let rel = add_exact_curves(&mut fig, p, &grid, last);
        add_divergences(&mut fig, p);
        let past = (sweeps.iter())
            .map(|s| s.exact_after.iter().filter(|e| e.is_none()).count())
            .sum::<usize>();
        fig.readouts = readouts(p, rel, past);
        fig.jobs = OPTS.len() * p.points as usize;
        let plan = Plan {
            setting: p.clone(),
            lrs: xs,
            sweeps,
        };
        (plan, fig)
    }

    fn job(&self, plan: &Plan, i: usize) -> Vec<Patch> {
        // Jobs interleave the optimizers, so that all the series fill in together.
        let (point, j) = (i / OPTS.len(), i % OPTS.len());
        let Some(&lr) = plan.lrs.get(point) else {
            return Vec::new();
        };
        let (p, opt, sweep) = (&plan.setting, OPTS[j].0, &plan.sweeps[j]);
        let mut out = [(None, None), (None, None)];
        if let (Some(_), Some(sigma)) = (sweep.exact_after[point], sweep.sigma[point]) {
            let sigma = DMatrix::from_row_slice(2, 2, &sigma);
            let (m, o) = (model(p, opt), optimizer(p, opt, lr));
            if let Ok(dy) = Dynamics::at_sigma(&m, &o, &sigma, Shape::Gauss) {
                let seed = job_seed(p.seed, i);
                if let Some(m) = sim::moments_after(&dy, p.walkers as usize, p.steps, seed) {
                    for (d, o) in out.iter_mut().enumerate() {
                        *o = (Some(m.cov[(d, d)]), Some(m.cov_se[(d, d)]));
                    }
                }
            }
        }
        (0..2)
            .map(|d| Patch::point(sweep.mc[d], point, out[d].0, out[d].1))
            .collect()
    }

    fn finish(&self, plan: &Plan, fig: &mut Figure) {
        // Per optimizer: the largest deviation of its points from the exact covariance after
        // `steps` steps, in standard errors, and for natural gradient and Adam the constant of
        // the paper's law fitted to the points (weighted by their standard errors).
        fig.readouts
            .retain(|r| !r.key.starts_with("z_") && !r.key.ends_with("_fit"));
        for (j, sweep) in plan.sweeps.iter().enumerate() {
            let z = (0..2)
                .filter_map(|d| {
                    largest_z_at(fig.get(sweep.mc[d]), |i| {
                        sweep.exact_after.get(i).copied().flatten().map(|e| e[d])
                    })
                })
                .reduce(f64::max);
            let name = OPTS[j].1;
            let label = format!("largest |Monte Carlo − exact| in standard errors, {name}");
            fig.readouts.push(Readout::new(READOUT_KEYS[j], &label, z));
        }
        let laws = [
            ("ngd", "natural gradient: Var·k/λ"),
            ("adam", "Adam: Var/λ²"),
        ];
        for (j, (tag, law)) in [(2, laws[0]), (3, laws[1])] {
            let (value, se) = fitted_constant(fig, &plan.setting, OPTS[j].0, plan.sweeps[j].mc);
            let label = format!("{law} fitted to the Monte Carlo points");
            let readout = Readout::new(&format!("{tag}_constant_fit"), &label, value);
            fig.readouts.push(readout.with_se(se));
        }
    }
}
