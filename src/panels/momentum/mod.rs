//! `momentum` — Liu, Ziyin & Ueda (2021), Figs. 4a–b (λk = 2.75) and 9a–b (λk = 1 and 2):
//! the variance of a 1-D weight on L(w) = ½kw² after `steps` steps of SGD with heavy-ball
//! momentum μ (Eq. 5), against μ at a fixed learning rate λ. Monte Carlo points (`walkers`
//! runs each, the paper's 10⁴ × 10³), the exact discrete-time stationary variance, the
//! continuous-time one, and the divergence at μ = (λk − 2)/2.
//!
//! With white noise the exact curve is Cor. 1 (Eq. 8) in one dimension,
//! Var[w] = λσ²(1 + μ) / (k(1 − μ)(2(1 + μ) − λk)), which diverges as μ → (λk − 2)/2 from above
//! when λk > 2 (the necessary condition of Sec. 4.5, λk < 2(1 + μ)); the continuous curve is
//! Eq. (1), λσ²/(2k(1 − μ)), finite for every μ < 1. Both come from the general solvers
//! (`theory::stationary`, `theory::continuous`), not from the closed form, which the tests use
//! as a check. With real minibatch noise (a generated data set of `n_data` points, minibatches
//! of `batch`) the exact curve takes the minibatch covariance as the linear function of Σ it is;
//! its stationary state then also ends at a largest μ, where the noise, which grows with the
//! fluctuations, feeds them faster than they decay. The paper's approximation C ≈ σ²K/S is drawn
//! beside it, and the continuous curve uses it too. Where the stationary state and the fourth
//! moment of w exist, as ranges of μ, comes from `theory::momentum_ranges`.
//!
//! A point whose runs diverge has no value: it is counted in a readout and in the second plot
//! (the fraction of runs that left |w| < 10⁶ within `steps` steps), never drawn as a number.

use super::kit::{figure, job_seed, largest_z_at};
use super::{Panel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesId, SeriesKind, Style};
use crate::model::Model;
use crate::optimizer::{Opt, Optimizer};
use crate::params::{Dist, Noise, Params};
use crate::theory::momentum_ranges::{grid_to_edges, stable_momenta, FourthMoment};
use crate::theory::stability::midpoints;
use crate::{sim, theory};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The panel.
pub struct Momentum;

static SPEC: Spec = Spec {
    name: "momentum",
    title: "Variance against momentum",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    reading: include_str!("reading.json"),
    source: "Liu, Ziyin & Ueda (2021), Figs. 4a–b and 9a–b; Thm 2, Cor. 1; Eq. 1",
    keys: &[
        "lr", "h1", "noise", "sigma2", "a", "c1", "cf", "n_data", "batch", "replace", "walkers",
        "steps", "points", "ylog", "seed",
    ],
    defaults,
    presets: &[
        ("Fig. 4a: λk = 2.75, white noise", "noise=white&lr=2.75&h1=1&sigma2=1"),
        (
            "Fig. 4b: λk = 2.75, minibatch noise (10³ runs, 20 points)",
            "noise=minibatch&lr=2.75&h1=1&sigma2=1&n_data=1000&batch=100&replace=0&walkers=1000&points=20",
        ),
        ("Fig. 9a: λk = 1, white noise", "noise=white&lr=1&h1=1&sigma2=1"),
        (
            "Fig. 9b: λk = 2, minibatch noise (10³ runs, 20 points)",
            "noise=minibatch&lr=2&h1=1&sigma2=1&n_data=1000&batch=100&replace=0&walkers=1000&points=20",
        ),
    ],
    live: false,
    heavy: false,
    accepts: &[],
    spectrum: None,
};

fn defaults(p: &mut Params) {
    p.dim = 1;
    p.lr = 2.75;
    p.h1 = 1.0;
    p.noise = Noise::White;
    p.sigma2 = 1.0;
    p.walkers = 10_000;
    p.steps = 1000;
    p.points = 40;
    p.ylog = true;
}

/// The largest momentum of the sweep.
pub const MU_MAX: f64 = 0.98;

/// What the Monte Carlo jobs and the readouts need.
#[derive(Serialize, Deserialize)]
pub struct Plan {
    /// The setting of the runs, at μ = 0 (`at_mu`).
    setting: Params,
    /// The variance of the runs at each momentum of `points`.
    mc: SeriesId,
    /// The fraction of the runs that diverged, at the same momenta.
    diverged: SeriesId,
    /// The Monte Carlo points: midpoints of equal cells of [0, `MU_MAX`].
    points: Vec<Point>,
    /// Whether the noise multiplies the weight (minibatch, Fisher): w can have power-law tails.
    multiplicative: bool,
    /// The model, built once where the plan is used.
    #[serde(skip)]
    model: OnceLock<Model>,
}

/// One Monte Carlo point and the theory it is compared with.
#[derive(Serialize, Deserialize)]
struct Point {
    /// The momentum.
    mu: f64,
    /// Whether there is a stationary state (else the runs have no stationary variance).
    stationary: bool,
    /// Whether w has a finite stationary fourth moment (else the standard error is not valid).
    fourth_finite: bool,
    /// The exact variance after `steps` steps from w = 0: what the runs measure.
    exact_after: Option<f64>,
    /// The continuous-time stationary variance, as drawn.
    continuous: Option<f64>,
}

impl Plan {
    fn model(&self) -> &Model {
        self.model.get_or_init(|| self.setting.model())
    }
}

/// The parameters of one run at momentum `mu`: 1-D plain heavy ball, Gaussian noise (or real
/// minibatches).
fn at_mu(p: &Params, mu: f64) -> Params {
    let mut q = p.clone();
    q.dim = 1;
    q.mu = mu;
    q.opt = Opt::Sgd;
    q.damp = 0.0;
    q.dist = Dist::Gauss;
    q
}

fn sgd(lr: f64, mu: f64) -> Optimizer {
    Optimizer::sgd(lr, mu, 1)
}

/// The model of the panel (the data set's, for minibatch noise).
pub fn model(p: &Params) -> Model {
    at_mu(p, 0.0).model()
}

/// The model of the continuous curve: with minibatches the paper's approximation C ≈ σ²K/S,
/// otherwise the model itself.
pub fn continuous_model(model: &Model, p: &Params) -> Model {
    if p.noise == Noise::Minibatch {
        Model::new(model.k.clone(), &model.k * (p.sigma2 / p.batch as f64))
    } else {
        model.clone()
    }
}

/// The exact stationary variance at learning rate `lr` and momentum `mu` (none without a
/// stationary state).
fn discrete(model: &Model, lr: f64, mu: f64) -> Option<f64> {
    let st = theory::stationary(model, &sgd(lr, mu)).ok()?;
    Some(st.sigma[(0, 0)])
}

/// The continuous-time stationary variance at `lr` and `mu` (Eq. 1).
pub fn continuous(model: &Model, lr: f64, mu: f64) -> Option<f64> {
    theory::continuous(model, &sgd(lr, mu)).map(|s| s[(0, 0)])
}

/// The exact variance after `steps` steps from w = 0 at `lr` and `mu` (what each Monte Carlo
/// point measures).
pub fn exact_after(model: &Model, lr: f64, mu: f64, steps: u64) -> Option<f64> {
    theory::escape::sigma_after(model, &sgd(lr, mu), steps).map(|s| s[(0, 0)])
}

/// The y range: it fits the exact and continuous variances at the Monte Carlo points (and the
/// continuous one at μ = 0), so that the divergences do not flatten everything else.
fn y_range(
    at_points: &[(Option<f64>, Option<f64>)],
    at_zero: Option<f64>,
    log: bool,
) -> Option<(f64, f64)> {
    let values = at_points.iter().flat_map(|&(d, c)| [d, c]).flatten();
    let y_top = values.clone().fold(0.0f64, f64::max);
    let y_bottom = values.chain(at_zero).fold(f64::INFINITY, f64::min);
    let fits = y_top > 0.0 && y_bottom.is_finite() && y_bottom > 0.0;
    fits.then_some(if log {
        (0.5 * y_bottom, 2.0 * y_top)
    } else {
        (0.0, 1.15 * y_top)
    })
}

/// The two plots: the variance, and the fraction of runs that diverged.
fn plots(p: &Params) -> Vec<Plot> {
    let mut main = Plot::new("momentum μ", "Var[w]");
    main.y_log = p.ylog;
    main.x_range = Some((0.0, 1.0));
    let mut frac = Plot::new("momentum μ", "fraction of runs diverged");
    frac.x_range = Some((0.0, 1.0));
    // Room above the data for the legend.
    frac.y_range = Some((-0.05, 1.45));
    vec![main, frac]
}

/// The theory curves over `grid`: exact, continuous, and with minibatches the paper's
/// approximation (on `cont_model`, as the continuous curve).
fn add_curves(fig: &mut Figure, p: &Params, model: &Model, cont_model: &Model, grid: &[f64]) {
    let minibatch = p.noise == Noise::Minibatch;
    let (exact, cont) = if minibatch {
        (
            "exact discrete (minibatch covariance)",
            "continuous, C ≈ σ²K/S",
        )
    } else {
        ("exact discrete", "continuous")
    };
    let lr = p.lr;
    let kind = SeriesKind::TheoryDiscrete;
    fig.add(Series::curve(exact, kind, grid, |mu| {
        discrete(model, lr, mu)
    }));
    let kind = SeriesKind::TheoryContinuous;
    fig.add(Series::curve(cont, kind, grid, |mu| {
        continuous(cont_model, lr, mu)
    }));
    if minibatch {
        let (paper, kind) = ("discrete, C ≈ σ²K/S (paper)", SeriesKind::TheoryOther);
        fig.add(Series::curve(paper, kind, grid, |mu| {
            discrete(cont_model, lr, mu)
        }));
    }
}

/// Vertical lines at `xs` in plot `plot`, in the legend of the second plot only.
fn vlines(name: &str, kind: SeriesKind, xs: &[f64], color: usize, plot: usize) -> Series {
    let s = Series::new(name, kind, xs.to_vec(), vec![f64::NAN; xs.len()])
        .styled(Style::Vline)
        .colored(color)
        .in_plot(plot);
    if plot == 1 {
        s
    } else {
        s.unlabelled()
    }
}

/// The ends of `ranges` strictly inside (0, 1).
fn inner_edges(ranges: &[(f64, f64)]) -> impl Iterator<Item = f64> + '_ {
    ranges
        .iter()
        .flat_map(|&(a, b)| [a, b])
        .filter(|&m| m > 1e-9 && m < 1.0 - 1e-6)
}

/// In both plots: the necessary condition's edge `edge`, the edges of the stationary state that
/// it does not give (noise that grows with the fluctuations), and where the fourth moment of w
/// diverges while the variance does not.
fn add_edges(
    fig: &mut Figure,
    edge: Option<f64>,
    ranges: &[(f64, f64)],
    tails: Option<&[(f64, f64)]>,
) {
    let other: Vec<f64> = inner_edges(ranges)
        .filter(|&m| edge.is_none_or(|e| (m - e).abs() > 1e-6))
        .collect();
    let heavy: Vec<f64> = inner_edges(tails.unwrap_or(&[])).collect();
    for plot in [0, 1] {
        if let Some(e) = edge.filter(|e| *e < 1.0) {
            let name = "μ = (λk − 2)/2";
            fig.add(vlines(name, SeriesKind::TheoryOther, &[e], 7, plot));
        }
        if !other.is_empty() {
            let name = "stability limit (mean square)";
            fig.add(vlines(name, SeriesKind::TheoryDiscrete, &other, 5, plot));
        }
        if !heavy.is_empty() {
            let name = "fourth moment diverges (power-law tails)";
            fig.add(vlines(name, SeriesKind::TheoryOther, &heavy, 6, plot));
        }
    }
}

/// The readouts of the plan: λk, the edges of the stationary state and of the finite fourth
/// moment.
fn readouts(
    lrk: f64,
    edge: Option<f64>,
    ranges: &[(f64, f64)],
    tails: Option<&[(f64, f64)]>,
) -> Vec<Readout> {
    let fourth_lo = tails.and_then(|t| t.first().map(|r| r.0));
    let fourth_hi = tails
        .and_then(|t| t.last().map(|r| r.1))
        .filter(|&b| b < 1.0);
    vec![
        Readout::new("lrk", "λk (k of the data set, for minibatches)", Some(lrk)),
        Readout::new(
            "mu_divergence",
            "μ = (λk − 2)/2, the necessary condition's edge (none for λk ≤ 2)",
            edge,
        ),
        Readout::new(
            "mu_stable_min",
            "smallest μ with a stationary state",
            ranges.first().map(|r| r.0),
        ),
        Readout::new(
            "mu_stable_max",
            "largest μ with a stationary state (none: up to μ → 1)",
            ranges.last().map(|r| r.1).filter(|&b| b < 1.0),
        ),
        Readout::new(
            "mu_fourth_min",
            "smallest μ with a finite fourth moment of w (minibatch or Fisher noise)",
            fourth_lo,
        ),
        Readout::new(
            "mu_fourth_max",
            "largest μ with a finite fourth moment of w (minibatch or Fisher noise)",
            fourth_hi,
        ),
    ]
}

/// The Monte Carlo points at the momenta `mus`, with the theory each is compared with.
fn points(
    model: &Model,
    fourth: &FourthMoment,
    p: &Params,
    mus: &[f64],
    at: &[(Option<f64>, Option<f64>)],
) -> Vec<Point> {
    mus.iter()
        .zip(at)
        .map(|(&mu, &(discrete, continuous))| Point {
            mu,
            stationary: discrete.is_some(),
            fourth_finite: fourth.finite(mu),
            exact_after: exact_after(model, p.lr, mu, p.steps).filter(|v| v.is_finite()),
            continuous: continuous.filter(|v| v.is_finite()),
        })
        .collect()
}

impl Panel for Momentum {
    type Plan = Plan;

    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> (Plan, Figure) {
        let mut fig = figure(p, plots(p));
        let plan_model = OnceLock::new();
        let model = plan_model.get_or_init(|| model(p));
        let k = model.k[(0, 0)];
        let cont_model = continuous_model(model, p);
        let mus = midpoints(MU_MAX, p.points);
        let ranges = stable_momenta(model, p.lr);
        let fourth = FourthMoment::new(model, p.lr);
        let tails = fourth.ranges();
        let at: Vec<_> = mus
            .iter()
            .map(|&mu| (discrete(model, p.lr, mu), continuous(&cont_model, p.lr, mu)))
            .collect();
        let at_zero = continuous(&cont_model, p.lr, 0.0);
        fig.plots[0].y_range = y_range(&at, at_zero, p.ylog);
        let mc = fig.add(Series::pending("Monte Carlo", mus.clone()));
        let diverged = fig.add(
            Series::pending("runs diverged (Monte Carlo)", mus.clone())
                .in_plot(1)
                .colored(5),
        );
        add_curves(&mut fig, p, model, &cont_model, &grid_to_edges(&ranges));
        let lrk = p.lr * k;
        let edge = (lrk > 2.0).then(|| (lrk - 2.0) / 2.0);
        add_edges(&mut fig, edge, &ranges, tails.as_deref());
        fig.readouts = readouts(lrk, edge, &ranges, tails.as_deref());
        fig.jobs = p.points as usize;
        let points = points(model, &fourth, p, &mus, &at);
        let plan = Plan {
            setting: at_mu(p, 0.0),
            mc,
            diverged,
            points,
            multiplicative: fourth.multiplicative(),
            model: plan_model,
        };
        (plan, fig)
    }

    fn job(&self, plan: &Plan, i: usize) -> Vec<Patch> {
        let Some(point) = plan.points.get(i) else {
            return Vec::new();
        };
        let q = at_mu(&plan.setting, point.mu);
        let (y, se, frac) = match q.dynamics(plan.model()) {
            Ok(dy) => {
                let run =
                    sim::outcome::after(&dy, q.walkers as usize, q.steps, job_seed(q.seed, i));
                let frac = Some(run.diverged_fraction());
                match run.settled_moments() {
                    // Without a stationary state the variance grows without bound: what the
                    // runs hold after `steps` steps is not a stationary variance.
                    Some(m) if point.stationary => {
                        (Some(m.cov[(0, 0)]), Some(m.cov_se[(0, 0)]), frac)
                    }
                    _ => (None, None, frac),
                }
            }
            Err(_) => (None, None, None),
        };
        vec![
            Patch::point(plan.mc, i, y, se),
            Patch::point(plan.diverged, i, frac, None),
        ]
    }

    fn finish(&self, plan: &Plan, fig: &mut Figure) {
        let (mc, fraction) = (fig.get(plan.mc), fig.get(plan.diverged));
        let n = plan.points.len().min(mc.y.len());
        let reported = |j: &usize| fraction.y.get(*j).is_some_and(|f| f.is_finite());
        let done = (0..n).filter(reported).count();
        let diverged = (0..n)
            .filter(|j| reported(j) && !mc.y[*j].is_finite())
            .count();
        // With an infinite fourth moment the standard error is not valid: no z-score.
        let se = |j: usize| mc.y_err.as_ref().map_or(f64::NAN, |e| e[j]);
        let heavy = (0..n)
            .filter(|&j| mc.y[j].is_finite() && se(j) > 0.0 && !plan.points[j].fourth_finite)
            .count();
        // How far the other points are from each theory, in standard errors, against the
        // exact variance after `steps` steps from w = 0 (what the runs measure).
        let valid = |j: usize| plan.points.get(j).filter(|pt| pt.fourth_finite);
        let zd = largest_z_at(mc, |j| valid(j).and_then(|pt| pt.exact_after));
        let zc = largest_z_at(mc, |j| valid(j).and_then(|pt| pt.continuous));
        let zc = zd.and(zc.or(Some(0.0)));
        fig.plots[0].note = (diverged > 0).then(|| {
            format!("{diverged} of {done} points diverged: no stationary variance, no value")
        });
        fig.readouts.retain(|r| {
            !r.key.starts_with("z_") && r.key != "diverged_points" && r.key != "heavy_tail_points"
        });
        fig.readouts.push(Readout::new(
            "diverged_points",
            "Monte Carlo points whose runs diverged (no value)",
            Some(diverged as f64),
        ));
        if plan.multiplicative {
            fig.readouts.push(Readout::new(
                "heavy_tail_points",
                "Monte Carlo points with an infinite fourth moment (standard error not valid; \
                 left out of the deviations below)",
                Some(heavy as f64),
            ));
        }
        for (key, theory, z) in [
            ("z_discrete_max", "exact", zd),
            ("z_continuous_max", "continuous", zc),
        ] {
            let label = format!("largest |Monte Carlo − {theory}| in standard errors");
            fig.readouts.push(Readout::new(key, &label, z));
        }
    }
}
