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
//! beside it, and the continuous curve uses it too.
//!
//! A point whose runs diverge has no value: it is counted in a readout and in the second plot
//! (the fraction of runs that left |w| < 10⁶ within `steps` steps), never drawn as a number.

use super::kit::{figure, job_seed};
use super::{LegacyPanel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesKind, Style};
use crate::model::Model;
use crate::optimizer::{Opt, Optimizer};
use crate::params::{Dist, Noise, Params};
use crate::sim::Ensemble;
use crate::theory;

/// The panel.
pub struct Momentum;

static SPEC: Spec = Spec {
    name: "momentum",
    title: "Variance against momentum",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
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

/// Series indices in the plan.
const MC: usize = 0;
const FRACTION: usize = 1;

/// The largest momentum of the sweep.
pub const MU_MAX: f64 = 0.98;

/// Momenta of the Monte Carlo points: the midpoints of `points` equal cells of [0, MU_MAX].
pub fn mus(p: &Params) -> Vec<f64> {
    (0..p.points)
        .map(|i| MU_MAX * (i as f64 + 0.5) / p.points as f64)
        .collect()
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

fn sgd(p: &Params, mu: f64) -> Optimizer {
    Optimizer::sgd(p.lr, mu, 1)
}

/// The exact stationary variance at momentum `mu` (none without a stationary state).
fn discrete(model: &Model, p: &Params, mu: f64) -> Option<f64> {
    let st = theory::stationary(model, &sgd(p, mu)).ok()?;
    Some(st.sigma[(0, 0)])
}

/// The continuous-time stationary variance at `mu` (Eq. 1).
fn continuous(model: &Model, p: &Params, mu: f64) -> Option<f64> {
    theory::continuous(model, &sgd(p, mu)).map(|s| s[(0, 0)])
}

/// The model with the paper's approximation C ≈ σ²K/S of minibatch noise.
fn approx_model(model: &Model, p: &Params) -> Model {
    Model::new(model.k.clone(), &model.k * (p.sigma2 / p.batch as f64))
}

/// The model of the panel (the data set's, for minibatch noise).
pub fn model(p: &Params) -> Model {
    (at_mu(p, 0.0)).model()
}

/// The ranges of μ ∈ [0, 1) where `ok` holds, as (from, to) pairs: found on a grid and refined
/// by bisection at every change.
fn ranges(ok: impl Fn(f64) -> bool) -> Vec<(f64, f64)> {
    let hi = 1.0 - 1e-6;
    let n = 400;
    let grid: Vec<f64> = (0..=n).map(|i| hi * i as f64 / n as f64).collect();
    let flags: Vec<bool> = grid.iter().map(|&m| ok(m)).collect();
    let refine = |mut a: f64, mut b: f64| {
        // ok(a) != ok(b): the edge between them.
        let fa = ok(a);
        for _ in 0..60 {
            let m = 0.5 * (a + b);
            if ok(m) == fa {
                a = m;
            } else {
                b = m;
            }
        }
        if fa {
            a
        } else {
            b
        }
    };
    let mut out = Vec::new();
    let mut start: Option<f64> = flags[0].then_some(0.0);
    for i in 1..grid.len() {
        if flags[i] != flags[i - 1] {
            let edge = refine(grid[i - 1], grid[i]);
            if flags[i] {
                start = Some(edge);
            } else if let Some(s) = start.take() {
                out.push((s, edge));
            }
        }
    }
    if let Some(s) = start {
        out.push((s, 1.0));
    }
    out
}

/// The ranges of μ ∈ [0, 1) with a stationary state.
pub fn stable_ranges(model: &Model, p: &Params) -> Vec<(f64, f64)> {
    ranges(|mu| discrete(model, p, mu).is_some())
}

/// The random curvature of the model's noise (`theory::tails::curvature_moments`): `None` for
/// noise that does not multiply the weight.
type Curvature = Option<(f64, [f64; 5])>;

/// Whether w has a finite stationary fourth moment at `mu` (`theory::tails`); always, wherever
/// the variance exists, for noise that does not multiply the weight.
fn fourth_finite(curv: &Curvature, p: &Params, mu: f64) -> bool {
    curv.as_ref().is_none_or(|(mean, c)| {
        theory::tails::heavy_ball_radius(p.lr, mu, *mean, c, 4) < 1.0 - theory::lyapunov::MARGINAL
    })
}

/// The ranges of μ with a finite fourth moment, for noise that multiplies the weight
/// (minibatch, Fisher); `None` otherwise.
pub fn fourth_ranges(model: &Model, p: &Params) -> Option<Vec<(f64, f64)>> {
    let curv = theory::tails::curvature_moments(model);
    curv.as_ref()?;
    Some(ranges(|mu| fourth_finite(&curv, p, mu)))
}

/// Whether the stationary fourth moment of w is finite at `mu`, for tests.
pub fn fourth_moment_finite(p: &Params, mu: f64) -> bool {
    fourth_finite(&theory::tails::curvature_moments(&model(p)), p, mu)
}

/// The exact variance after `steps` steps from w = 0 at momentum `mu` (what each Monte Carlo
/// point measures).
pub fn exact_after(p: &Params, mu: f64) -> Option<f64> {
    let model = model(p);
    theory::escape::sigma_after(&model, &sgd(p, mu), p.steps).map(|s| s[(0, 0)])
}

/// The continuous-time variance at `mu` as the panel draws it (C ≈ σ²K/S for minibatches).
pub fn continuous_at(p: &Params, mu: f64) -> Option<f64> {
    let model = model(p);
    let cm = if p.noise == Noise::Minibatch {
        approx_model(&model, p)
    } else {
        model
    };
    continuous(&cm, p, mu)
}

impl LegacyPanel for Momentum {
    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> Figure {
        let mut main = Plot::new("momentum μ", "Var[w]");
        main.y_log = p.ylog;
        main.x_range = Some((0.0, 1.0));
        let mut frac = Plot::new("momentum μ", "fraction of runs diverged");
        frac.x_range = Some((0.0, 1.0));
        // Room above the data for the legend.
        frac.y_range = Some((-0.05, 1.45));
        let mut fig = figure(p, vec![main, frac]);
        let model = model(p);
        let k = model.k[(0, 0)];
        let minibatch = p.noise == Noise::Minibatch;
        let approx = approx_model(&model, p);
        let cont_model = if minibatch { &approx } else { &model };
        let xs = mus(p);
        let ranges = stable_ranges(&model, p);
        let tails = fourth_ranges(&model, p);

        // Theory curves on a grid that also holds points just inside every stability edge, so
        // that the divergence is drawn up to the edge.
        let mut grid = crate::linalg::linspace(0.0, 0.999, 600);
        for &(a, b) in &ranges {
            for t in [1e-4, 1e-3, 3e-3, 1e-2] {
                grid.push(a + t * (b - a));
                grid.push(b - t * (b - a));
            }
        }
        grid.retain(|m| (0.0..1.0).contains(m));
        grid.sort_by(f64::total_cmp);
        grid.dedup();

        // The y axis fits the continuous curve and the exact curve at the Monte Carlo points,
        // so that the divergences do not flatten everything else.
        let mut y_top = 0.0f64;
        let mut y_bottom = f64::INFINITY;
        for &mu in &xs {
            if let Some(v) = discrete(&model, p, mu) {
                y_top = y_top.max(v);
                y_bottom = y_bottom.min(v);
            }
            if let Some(v) = continuous(cont_model, p, mu) {
                y_top = y_top.max(v);
                y_bottom = y_bottom.min(v);
            }
        }
        if let Some(v) = continuous(cont_model, p, 0.0) {
            y_bottom = y_bottom.min(v);
        }
        if y_top > 0.0 && y_bottom.is_finite() && y_bottom > 0.0 {
            fig.plots[0].y_range = Some(if p.ylog {
                (0.5 * y_bottom, 2.0 * y_top)
            } else {
                (0.0, 1.15 * y_top)
            });
        }

        fig.series.push(Series::pending("Monte Carlo", xs.clone()));
        fig.series.push(
            Series::pending("runs diverged (Monte Carlo)", xs.clone())
                .in_plot(1)
                .colored(5),
        );
        fig.series.push(Series::curve(
            if minibatch {
                "exact discrete (minibatch covariance)"
            } else {
                "exact discrete"
            },
            SeriesKind::TheoryDiscrete,
            &grid,
            |mu| discrete(&model, p, mu),
        ));
        fig.series.push(Series::curve(
            if minibatch {
                "continuous, C ≈ σ²K/S"
            } else {
                "continuous"
            },
            SeriesKind::TheoryContinuous,
            &grid,
            |mu| continuous(cont_model, p, mu),
        ));
        if minibatch {
            fig.series.push(Series::curve(
                "discrete, C ≈ σ²K/S (paper)",
                SeriesKind::TheoryOther,
                &grid,
                |mu| discrete(&approx, p, mu),
            ));
        }
        let lrk = p.lr * k;
        let edge = (lrk > 2.0).then(|| (lrk - 2.0) / 2.0);
        for plot in [0, 1] {
            if let Some(e) = edge.filter(|e| *e < 1.0) {
                let s = Series::new(
                    "μ = (λk − 2)/2",
                    SeriesKind::TheoryOther,
                    vec![e],
                    vec![f64::NAN],
                )
                .styled(Style::Vline)
                .colored(7)
                .in_plot(plot);
                fig.series.push(if plot == 1 { s } else { s.unlabelled() });
            }
            // Edges of the stationary state that the necessary condition does not give
            // (minibatch noise, which grows with the fluctuations).
            let other: Vec<f64> = ranges
                .iter()
                .flat_map(|&(a, b)| [a, b])
                .filter(|&m| m > 1e-9 && m < 1.0 - 1e-6)
                .filter(|&m| edge.is_none_or(|e| (m - e).abs() > 1e-6))
                .collect();
            if !other.is_empty() {
                let n = other.len();
                let s = Series::new(
                    "stability limit (mean square)",
                    SeriesKind::TheoryDiscrete,
                    other,
                    vec![f64::NAN; n],
                )
                .styled(Style::Vline)
                .colored(5)
                .in_plot(plot);
                fig.series.push(if plot == 1 { s } else { s.unlabelled() });
            }
            // Where the fourth moment of w diverges while the variance does not.
            let heavy: Vec<f64> = tails
                .iter()
                .flatten()
                .flat_map(|&(a, b)| [a, b])
                .filter(|&m| m > 1e-9 && m < 1.0 - 1e-6)
                .collect();
            if !heavy.is_empty() {
                let n = heavy.len();
                let s = Series::new(
                    "fourth moment diverges (power-law tails)",
                    SeriesKind::TheoryOther,
                    heavy,
                    vec![f64::NAN; n],
                )
                .styled(Style::Vline)
                .colored(6)
                .in_plot(plot);
                fig.series.push(if plot == 1 { s } else { s.unlabelled() });
            }
        }
        let fourth_lo = tails.as_ref().and_then(|t| t.first().map(|r| r.0));
        let fourth_hi = tails
            .as_ref()
            .and_then(|t| t.last().map(|r| r.1))
            .filter(|&b| b < 1.0);
        fig.readouts = vec![
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
        ];
        fig.jobs = p.points as usize;
        fig
    }

    fn job(&self, p: &Params, i: usize) -> Vec<Patch> {
        let Some(&mu) = mus(p).get(i) else {
            return Vec::new();
        };
        let q = at_mu(p, mu);
        let model = q.model();
        let stationary = discrete(&model, p, mu).is_some();
        let (y, se, frac) = match q.dynamics(&model) {
            Ok(dy) => {
                let mut e = Ensemble::new(1, q.walkers as usize, job_seed(q.seed, i));
                e.advance(&dy, q.steps);
                let frac = e.diverged() as f64 / e.len().max(1) as f64;
                match e.moments() {
                    // Without a stationary state the variance grows without bound: what the
                    // runs hold after `steps` steps is not a stationary variance.
                    Some(m) if e.diverged() == 0 && stationary => {
                        (Some(m.cov[(0, 0)]), Some(m.cov_se[(0, 0)]), Some(frac))
                    }
                    _ => (None, None, Some(frac)),
                }
            }
            Err(_) => (None, None, None),
        };
        vec![
            Patch::point(MC, i, y, se),
            Patch::point(FRACTION, i, frac, None),
        ]
    }

    fn finish(&self, p: &Params, fig: &mut Figure) {
        // How far the Monte Carlo points are from each theory, in standard errors, against the
        // exact covariance after `steps` steps from w = 0 (what the runs measure).
        let model = model(p);
        let cont_model = if p.noise == Noise::Minibatch {
            approx_model(&model, p)
        } else {
            model.clone()
        };
        let curv = theory::tails::curvature_moments(&model);
        let mc = &fig.series[MC];
        let fr = &fig.series[FRACTION];
        let (mut zd, mut zc, mut n, mut diverged, mut done) = (0.0f64, 0.0f64, 0, 0, 0);
        let mut heavy = 0;
        for (j, (&mu, &y)) in mc.x.iter().zip(&mc.y).enumerate() {
            let reported = fr.y.get(j).is_some_and(|f| f.is_finite());
            if reported {
                done += 1;
            }
            if !y.is_finite() {
                if reported {
                    diverged += 1;
                }
                continue;
            }
            let se = mc.y_err.as_ref().map_or(f64::NAN, |e| e[j]);
            if se.is_nan() || se <= 0.0 {
                continue;
            }
            // With an infinite fourth moment the standard error is not valid: no z-score.
            if !fourth_finite(&curv, p, mu) {
                heavy += 1;
                continue;
            }
            if let Some(d) =
                theory::escape::sigma_after(&model, &sgd(p, mu), p.steps).map(|s| s[(0, 0)])
            {
                zd = zd.max((y - d).abs() / se);
                n += 1;
            }
            if let Some(c) = continuous(&cont_model, p, mu) {
                zc = zc.max((y - c).abs() / se);
            }
        }
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
        if curv.is_some() {
            fig.readouts.push(Readout::new(
                "heavy_tail_points",
                "Monte Carlo points with an infinite fourth moment (standard error not valid; \
                 left out of the deviations below)",
                Some(heavy as f64),
            ));
        }
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
