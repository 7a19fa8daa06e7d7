//! `batch-size` — Zhang et al. (2019), *Which algorithmic choices matter at which batch sizes?
//! Insights from a noisy quadratic model* (Sec. 3–4, Figs. 4–6): the fewest steps to a target
//! loss at the best constant learning rate, T*(B), against the batch size B, for SGD, heavy-ball
//! momentum, SGD preconditioned by H^(−γ) and an exponential moving average of the iterates;
//! with McCandlish et al. (2018)'s trade-off S = S_min(1 + B_crit/B) fitted to it and their
//! gradient noise scales.
//!
//! The model: hᵢ = h₁·i^(−p), i = 1…D, per-example gradient noise cᵢ = hᵢ (C = H), minibatch
//! noise C·f with f = 1/B (or (N − B)/(B(N − 1)) for B of N examples without replacement),
//! θᵢ(0) = θ₀. The exact theory is the per-direction moment recursion
//! ([`crate::theory::diagonal`]); T*(B) and the interval of optimal rates come from
//! [`crate::theory::steps_to_target`]. Above D = 10⁴ directions the theory groups them into 100
//! geometric bins, as Zhang et al. do. Monte Carlo points are walkers in all D dimensions
//! ([`crate::sim::diagonal`]) at the optimal rate, run until their mean loss reaches the
//! target; the loss curve at `batch` compares the exact L(t) with the walkers' mean.
//!
//! A measured spectrum (`p.spectrum`, [`crate::model::spectrum`]) takes the place of the power
//! law: its rows hᵢ with their noise cᵢ (or a·hᵢ) and multiplicities, grouped into the bins
//! above 10⁴ rows; the walkers move in all D = Σnᵢ directions, up to 10⁴ of them.

mod agreement;
mod view;

use super::kit::job_seed;
use super::{Panel, Spec};
use crate::figure::{Figure, Patch, SeriesId};
use crate::params::Params;
use crate::sim::per_direction::Walk;
use crate::theory::measured::minibatch_factor;
use crate::theory::per_direction::{Method, Problem};
use crate::theory::steps_to_target::{over_batches, Best, Choice, Search};
use serde::{Deserialize, Serialize};

/// The panel.
pub struct BatchSize;

static SPEC: Spec = Spec {
    name: "batch-size",
    title: "Steps to a target loss against batch size",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    reading: include_str!("reading.json"),
    source: "Zhang et al. (2019), Sec. 3–4, Eq. 21, Figs. 4–6; McCandlish et al. (2018), Sec. 2",
    keys: &[
        "spec_d",
        "spec_decay",
        "h1",
        "theta0",
        "target",
        "max_steps",
        "batch_max",
        "n_data",
        "batch",
        "mu",
        "gamma",
        "ema",
        "walkers",
        "seed",
    ],
    defaults,
    presets: &[
        (
            "Perfect scaling, then saturation",
            "mu=0&gamma=0&ema=0&batch_max=16384&batch=16",
        ),
        (
            "Momentum helps only at large B",
            "mu=auto&gamma=0&ema=0&batch_max=16384&batch=1024",
        ),
        (
            "Preconditioning helps at every B, raises B_crit",
            "mu=0&gamma=0.75&ema=0&batch_max=16384&batch=64",
        ),
    ],
    live: false,
    heavy: true,
    accepts: &[("mu", "auto"), ("n_data", "0")],
    spectrum: Some(&["spec_d", "spec_decay", "h1"]),
};

/// The spectrum of DESIGN.md's independent check (hᵢ = 2·i^(−1.3), 2 % of L(0)) at D = 100
/// rather than its 300 (`spec_d=300` gives its numbers): the exact search costs O(D) per rate,
/// and at D = 300 the plan alone takes seconds in a browser; 100 directions are as many as
/// Zhang et al.'s 100 bins, and the critical batch size is as clear.
fn defaults(p: &mut Params) {
    p.spec_d = 100;
    p.spec_decay = 1.3;
    p.h1 = 2.0;
    p.theta0 = 1.0;
    p.target = 0.02;
    p.max_steps = 100_000;
    p.batch_max = 4096;
    p.n_data = 0;
    p.batch = 64;
    p.mu = 0.9;
    p.mu_auto = false;
    p.gamma = 0.5;
    p.ema = 0.9;
    p.walkers = 128;
    p.seed = 1;
}

/// Above this many directions the theory groups them into [`BINS`] geometric bins.
pub const EXACT_UP_TO: u64 = 10_000;

/// The number of bins above [`EXACT_UP_TO`] directions (Zhang et al.'s 100).
pub const BINS: usize = 100;

/// Most walker-coordinate steps of one Monte Carlo job (about 0.15 s in a browser); points
/// that would take more are left out, and the figure says so.
pub const JOB_WORK: u64 = 30_000_000;

/// The most steps a Monte Carlo crossing run takes for an exact T* of `steps`: twice it and
/// sixteen more, far past where the walkers' mean crosses (within a few error bars of T*).
pub fn crossing_cap(steps: u64) -> u64 {
    2 * steps + 16
}

/// The fewest groups of sixteen walkers a Monte Carlo point is made of.
pub const MIN_GROUPS: usize = 4;

/// The optimizers compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// Plain SGD.
    Sgd,
    /// Heavy-ball momentum.
    HeavyBall,
    /// SGD preconditioned by H^(−γ).
    Preconditioned,
    /// SGD with an EMA of its iterates.
    Ema,
}

impl Kind {
    /// The name of its theory series in the first plot.
    pub fn name(self) -> &'static str {
        ["SGD", "heavy ball", "preconditioned", "EMA"][self as usize]
    }

    /// The key of its readouts.
    pub fn key(self) -> &'static str {
        ["sgd", "heavy_ball", "preconditioned", "ema"][self as usize]
    }

    fn color(self) -> usize {
        [4, 0, 2, 6][self as usize]
    }

    /// How its rate (and μ) is chosen in setting `p`.
    fn choice(self, p: &Params) -> Choice {
        match self {
            Kind::Sgd => Choice::Rate(Method::Sgd),
            Kind::HeavyBall if p.mu_auto => Choice::RateAndMomentum,
            Kind::HeavyBall => Choice::Rate(Method::HeavyBall { mu: p.mu }),
            Kind::Preconditioned => Choice::Rate(Method::Preconditioned { gamma: p.gamma }),
            Kind::Ema => Choice::Rate(Method::Ema { decay: p.ema }),
        }
    }
}

/// T* at one batch size, with the rates that achieve it and the method (its μ).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The fewest steps.
    pub steps: u64,
    /// The midpoint of the optimal rates.
    pub rate: f64,
    /// The interval of optimal rates.
    pub rates: (f64, f64),
    /// The method, with the optimal μ when μ is optimised.
    pub method: Method,
}

impl Point {
    /// The point of a search's result (none if its rates are not finite numbers).
    fn of((best, method): (Best, Method)) -> Option<Point> {
        let rate = best.rate();
        (rate.is_finite() && best.rates.0.is_finite()).then_some(Point {
            steps: best.steps,
            rate,
            rates: best.rates,
            method,
        })
    }
}

/// One optimizer's exact curve and its Monte Carlo series.
#[derive(Serialize, Deserialize)]
pub struct Curve {
    /// Which optimizer.
    pub kind: Kind,
    /// T* at each batch size (`None`: beyond `max_steps`).
    pub points: Vec<Option<Point>>,
    /// T* at `batch`.
    pub at_batch: Option<Point>,
    /// Its Monte Carlo steps-to-target points, at these indices of the batch sizes.
    mc: Option<(SeriesId, Vec<usize>)>,
    /// Its Monte Carlo loss curve at `batch`, and the exact loss at its steps.
    loss_mc: Option<(SeriesId, Vec<f64>)>,
}

/// A Monte Carlo job.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
enum Job {
    /// Point `point` of curve `curve`'s steps-to-target series.
    Crossing { curve: usize, point: usize },
    /// Curve `curve`'s loss curve at `batch`.
    Loss { curve: usize },
}

/// What the jobs and `finish` need.
#[derive(Serialize, Deserialize)]
pub struct Plan {
    setting: Params,
    /// The target loss ℓ = target·L(0).
    level: f64,
    /// The batch sizes.
    batches: Vec<u64>,
    curves: Vec<Curve>,
    /// The steps at which the loss curve's Monte Carlo is recorded.
    loss_times: Vec<u64>,
    jobs: Vec<Job>,
}

/// The minibatch factor f of batch size `b`: 1/B for infinite data, (N − B)/(B(N − 1)) for B
/// of N examples drawn without replacement.
pub fn factor(p: &Params, b: u64) -> f64 {
    minibatch_factor(p.n_data, b, false)
}

/// The model of `p` with minibatch factor 1: exact up to [`EXACT_UP_TO`] directions (rows of
/// a measured spectrum), in [`BINS`] geometric bins beyond. A measured spectrum
/// (`p.spectrum`) takes the place of the power law, with its noise cᵢ (or a·hᵢ) and its
/// multiplicities.
pub fn problem(p: &Params) -> Problem {
    if let Some(s) = &p.spectrum {
        let problem = Problem::measured(s.h(), &s.noise(p.a), &s.weights(), p.theta0);
        return if binned(p) {
            problem.grouped(BINS)
        } else {
            problem
        };
    }
    let d = p.spec_d as usize;
    if binned(p) {
        Problem::binned(d, p.h1, p.spec_decay, p.theta0, BINS)
    } else {
        Problem::power_law(d, p.h1, p.spec_decay, p.theta0)
    }
}

/// The directions the walkers move in: D = Σnᵢ of a measured spectrum, else `spec_d`.
pub fn directions(p: &Params) -> u64 {
    p.spectrum.as_ref().map_or(p.spec_d, |s| s.dims())
}

/// Whether the theory groups the directions (the rows of a measured spectrum) into [`BINS`]
/// bins: above [`EXACT_UP_TO`] of them.
fn binned(p: &Params) -> bool {
    match &p.spectrum {
        Some(s) => s.rows() as u64 > EXACT_UP_TO,
        None => p.spec_d > EXACT_UP_TO,
    }
}

/// Whether the figure has Monte Carlo: walkers in at most [`EXACT_UP_TO`] dimensions.
pub(super) fn simulated(p: &Params) -> bool {
    directions(p) <= EXACT_UP_TO
}

/// The curvatures and noise variances of the walkers' coordinates: every direction of a
/// measured spectrum (rows repeated by their counts), or the power law's.
fn coordinates(p: &Params) -> (Vec<f64>, Vec<f64>) {
    match &p.spectrum {
        Some(s) => s.expanded(p.a),
        None => {
            let h = Problem::power_law(p.spec_d as usize, p.h1, p.spec_decay, p.theta0).h;
            (h.clone(), h)
        }
    }
}

/// The batch sizes: powers of two from 1 to `batch_max` (and to N with finite data).
pub fn batches(p: &Params) -> Vec<u64> {
    let top = if p.n_data > 0 {
        p.batch_max.min(p.n_data)
    } else {
        p.batch_max
    };
    (0..63)
        .map(|k| 1u64 << k)
        .take_while(|&b| b <= top)
        .collect()
}

/// The optimizers shown: all four, EMA only with a decay (`ema = 0` is SGD itself).
fn kinds(p: &Params) -> Vec<Kind> {
    let mut k = vec![Kind::Sgd, Kind::HeavyBall, Kind::Preconditioned];
    if p.ema > 0.0 {
        k.push(Kind::Ema);
    }
    k
}

/// The exact curves: T* at every batch size and at `batch`, for each optimizer.
fn theory(p: &Params, problem: &Problem, level: f64, batches: &[u64]) -> Vec<Curve> {
    let factors: Vec<f64> = batches.iter().map(|&b| factor(p, b)).collect();
    kinds(p)
        .into_iter()
        .map(|kind| {
            let choice = kind.choice(p);
            let points: Vec<Option<Point>> =
                over_batches(problem, choice, level, p.max_steps, &factors)
                    .into_iter()
                    .map(|b| b.and_then(Point::of))
                    .collect();
            let at_batch = match batches.iter().position(|&b| b == p.batch) {
                Some(k) => points[k],
                None => best_at(problem.with_factor(factor(p, p.batch)), choice, level, p),
            };
            Curve {
                kind,
                points,
                at_batch,
                mc: None,
                loss_mc: None,
            }
        })
        .collect()
}

fn best_at(problem: Problem, choice: Choice, level: f64, p: &Params) -> Option<Point> {
    let best = match choice {
        Choice::Rate(m) => Search::new(&problem, m, level, p.max_steps)
            .best()
            .map(|b| (b, m)),
        Choice::RateAndMomentum => {
            crate::theory::steps_to_target::best_over_momenta(&problem, level, 1, p.max_steps)
        }
    };
    best.and_then(Point::of)
}

impl Panel for BatchSize {
    type Plan = Plan;

    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> (Plan, Figure) {
        let problem = problem(p);
        let level = p.target * problem.initial_loss();
        let batches = batches(p);
        let curves = if level > 0.0 {
            theory(p, &problem, level, &batches)
        } else {
            Vec::new()
        };
        let mut plan = Plan {
            setting: p.clone(),
            level,
            batches,
            curves,
            loss_times: Vec::new(),
            jobs: Vec::new(),
        };
        let fig = view::figure(&mut plan, &problem);
        (plan, fig)
    }

    fn job(&self, plan: &Plan, i: usize) -> Vec<Patch> {
        let p = &plan.setting;
        let walk = |point: &Point, b: u64| {
            let (h, c) = coordinates(p);
            Walk {
                h,
                c,
                factor: factor(p, b),
                theta0: p.theta0,
                method: point.method,
                rate: point.rate,
            }
        };
        let groups = groups(p);
        let seed = job_seed(p.seed, i);
        match plan.jobs.get(i) {
            Some(&Job::Crossing { curve, point }) => {
                let c = &plan.curves[curve];
                let Some((id, at)) = &c.mc else {
                    return Vec::new();
                };
                let Some(pt) = c.points[at[point]] else {
                    return Vec::new();
                };
                let cap = crossing_cap(pt.steps);
                let run =
                    walk(&pt, plan.batches[at[point]]).crossing(plan.level, groups, cap, seed);
                let (y, se) = view::crossing_point(&run);
                vec![Patch::point(*id, point, y, se)]
            }
            Some(&Job::Loss { curve }) => {
                let c = &plan.curves[curve];
                let (Some((id, _)), Some(pt)) = (&c.loss_mc, c.at_batch) else {
                    return Vec::new();
                };
                let run = walk(&pt, p.batch).loss_curve(groups, &plan.loss_times, seed);
                let (y, se): (Vec<f64>, Vec<f64>) = run.into_iter().unzip();
                vec![Patch {
                    series: *id,
                    index: 0,
                    x: None,
                    y,
                    y_err: Some(se),
                }]
            }
            None => Vec::new(),
        }
    }

    fn finish(&self, plan: &Plan, fig: &mut Figure) {
        agreement::finish(plan, fig);
    }

    /// The four plots, empty, with a note on the first.
    fn pending(&self, p: &Params) -> Figure {
        let mut fig = super::kit::figure(p, view::plots(p));
        fig.plots[0].note = Some(super::PENDING_NOTE.into());
        fig
    }

    /// In walker-coordinate steps (a walker in D dimensions costs D a step): every optimizer
    /// has at most one crossing job per batch size 4ᵏ, each run only where
    /// walkers × D × [`crossing_cap`] ≤ [`JOB_WORK`], and one loss-curve job of at most
    /// [`JOB_WORK`].
    fn work(&self, p: &Params) -> u64 {
        if !simulated(p) {
            return 0;
        }
        let points = batches(p)
            .iter()
            .filter(|b| b.trailing_zeros() % 2 == 0)
            .count() as u64;
        let curves = kinds(p).len() as u64;
        curves.saturating_mul((points + 1).saturating_mul(JOB_WORK))
    }
}

/// Groups of sixteen walkers: `walkers` rounded up, and at least [`MIN_GROUPS`], since the
/// error bars come from the spread over groups.
fn groups(p: &Params) -> usize {
    (p.walkers as usize)
        .div_ceil(crate::rng::math::LANES)
        .max(MIN_GROUPS)
}
