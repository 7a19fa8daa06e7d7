//! `escape` — Liu, Ziyin & Ueda (2021), Fig. 5 and Thm 8: the escaping efficiency
//! E(t) = E[L(w_t) − L(w_0)] (Zhu et al.; Liu et al. Eq. 17) of SGD started at the minimum.
//!
//! Plot 0 (Fig. 5): E(t) against t for two learning rates λ and λ₂ with K = h₁I_D and
//! C = σ²I_D (the paper's K = C = I_D): Monte Carlo, the exact discrete-time value (Thm 7,
//! Eq. 18, computed by the covariance recursion) and Zhu et al.'s continuous-time one (Eq. 19).
//! With K and C multiples of the identity the D coordinates are independent 1-D walks, so a run
//! of the D-dimensional problem is D independent 1-D runs: each coordinate is simulated by its own
//! 1-D ensemble (the walker kernels are 1-D or 2-D) and the per-coordinate means and variances
//! of ½h₁w² add up to those of the D-dimensional loss.
//!
//! Plot 1 (Thm 8): the ratio of the escaping efficiency of noise aligned with a power-law Hessian
//! kᵢ = h₁·i^(−d) (C ∝ K) to that of its isotropic version C̄ = (Tr C/D) I, against D: Eq. 20's
//! Tr[KC]/Tr[KC̄] (exact at t = 1), the exact discrete-time ratio after t steps (Eq. 18 per
//! eigenmode) and the continuous-time one (Eq. 19 per eigenmode), beside Thm 8's order D^(2d−1)
//! and the bound D that no ratio can exceed (Tr[KC] ≤ Tr K · Tr C). A measured spectrum
//! (`p.spectrum`) takes the place of the power law: its directions by decreasing curvature,
//! with its noise cᵢ (or a·hᵢ), the ratio over the top D of them; Thm 8's D^(2d−1), a power
//! law's, is then not drawn.

use super::kit::{figure, job_seed, largest_z};
use super::{Panel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesId, SeriesKind, Style};
use crate::linalg::{linspace, logspace};
use crate::model::spectrum::Spectrum;
use crate::model::Model;
use crate::optimizer::Optimizer;
use crate::params::{Params, MAX_WORK};
use crate::sim::stats::mean_se;
use crate::sim::{Dynamics, Ensemble};
use crate::theory::escape::{
    anisotropy_ratios, escape_continuous, escape_discrete_at, per_mode_continuous,
    per_mode_discrete,
};
use crate::theory::{self, measured, spectrum};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// The panel.
pub struct Escape;

static SPEC: Spec = Spec {
    name: "escape",
    title: "Escaping efficiency from a sharp minimum",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    reading: include_str!("reading.json"),
    source: "Liu, Ziyin & Ueda (2021), Fig. 5; Thm 7, Eqs. 17–19; Cor. 4; Thm 8, Eq. 20",
    keys: &[
        "lr",
        "lr2",
        "h1",
        "sigma2",
        "esc_dim",
        "walkers",
        "steps",
        "points",
        "ylog",
        "t",
        "spec_d",
        "spec_decay",
        "seed",
    ],
    defaults,
    presets: &[
        ("Fig. 5: λ = 0.5 and 1.8", "lr=0.5&lr2=1.8&h1=1&sigma2=1"),
        ("small λ: 0.1 and 0.5", "lr=0.1&lr2=0.5&steps=60&points=30"),
        ("Thm 8: d = 0.6", "spec_decay=0.6"),
        ("Thm 8: d = 1.5", "spec_decay=1.5"),
    ],
    live: false,
    heavy: false,
    accepts: &[],
    spectrum: Some(&["spec_d", "spec_decay"]),
};

fn defaults(p: &mut Params) {
    p.lr = 0.5;
    p.lr2 = 1.8;
    p.h1 = 1.0;
    p.sigma2 = 1.0;
    p.esc_dim = 1;
    p.walkers = 50_000;
    p.steps = 20;
    p.points = 20;
    p.ylog = true;
    p.t = 10;
    p.spec_d = 10_000;
    p.spec_decay = 0.75;
}

/// Palette colours of the two learning rates.
const COLOUR: [usize; 2] = [5, 4];

/// What the Monte Carlo jobs and the readouts need.
#[derive(Serialize, Deserialize)]
pub struct Plan {
    /// The setting (one coordinate's curvature and noise, D, walkers, seed).
    setting: Params,
    /// The times at which every run is measured.
    times: Vec<u64>,
    /// The Monte Carlo of each learning rate, one job each (none without the budget).
    rates: Vec<Rate>,
}

/// One learning rate's Monte Carlo series and the theory at its times.
#[derive(Serialize, Deserialize)]
struct Rate {
    lr: f64,
    mc: SeriesId,
    /// E(t) of the exact (Eq. 18) and of the continuous-time theory (Eq. 19) at the times.
    exact: Vec<Option<f64>>,
    continuous: Vec<Option<f64>>,
}

fn rates(p: &Params) -> [f64; 2] {
    [p.lr, p.lr2]
}

/// The times at which every run is measured: `points` steps spread evenly over 1..=`steps`
/// (fewer when there are fewer steps than points).
pub fn times(p: &Params) -> Vec<u64> {
    let n = p.points.min(p.steps);
    (1..=n).map(|j| j * p.steps / n).collect()
}

/// One coordinate of the Fig. 5 problem: k = h₁, c = σ².
fn mode(p: &Params) -> Model {
    Model::new(
        DMatrix::from_element(1, 1, p.h1),
        DMatrix::from_element(1, 1, p.sigma2),
    )
}

/// Walker-steps of one job (one learning rate).
fn work(p: &Params) -> u64 {
    p.walkers.saturating_mul(p.esc_dim).saturating_mul(p.steps)
}

/// The exact discrete-time E(t) of the D-dimensional problem at every t of `ts` (sorted), from
/// the covariance recursion started at the minimum (Eq. 17; equal to Eq. 18): D times the
/// one-dimensional value; NaN where the recursion has none.
pub fn exact_at(p: &Params, lr: f64, ts: &[u64]) -> Vec<f64> {
    let d = p.esc_dim as f64;
    escape_discrete_at(&mode(p), &Optimizer::sgd(lr, 0.0, 1), ts)
        .into_iter()
        .map(|e| e.map_or(f64::NAN, |e| d * e))
        .collect()
}

/// Zhu et al.'s continuous-time E(t) (Eq. 19) of the D-dimensional problem.
pub fn continuous_at(p: &Params, lr: f64, t: f64) -> Option<f64> {
    escape_continuous(&mode(p), &Optimizer::sgd(lr, 0.0, 1), t).map(|e| e * p.esc_dim as f64)
}

/// The dimensions of plot 1: about 60 integers spread in log from 1 to `top`.
fn dims(top: u64) -> Vec<usize> {
    let top = top.max(2) as f64;
    let mut ds: Vec<usize> = logspace(1.0, top, 60)
        .into_iter()
        .map(|d| d.round() as usize)
        .collect();
    ds.dedup();
    ds
}

/// The most directions of a measured spectrum plot 1 expands (the largest `spec_d`); the
/// ratio over all of them is a readout.
pub const MAX_THM8_DIMS: u64 = 100_000;

/// Plot 1's model: the curvatures kᵢ and noise variances cᵢ of its directions in order (the
/// first D of them make the D-dimensional model), and the dimensions D shown.
struct Thm8 {
    ks: Vec<f64>,
    cs: Vec<f64>,
    ds: Vec<usize>,
}

impl Thm8 {
    /// The power law kᵢ = h₁·i^(−d) with C ∝ K, or a measured spectrum's directions by
    /// decreasing curvature (rows repeated by their counts, the first [`MAX_THM8_DIMS`]) with
    /// their noise cᵢ (or a·hᵢ).
    fn of(p: &Params) -> Thm8 {
        let Some(s) = &p.spectrum else {
            let ds = dims(p.spec_d);
            let ks = spectrum::power_law(*ds.last().unwrap_or(&1), p.h1, p.spec_decay);
            return Thm8 {
                cs: ks.clone(),
                ks,
                ds,
            };
        };
        let top = leading(&s.sorted_descending(), MAX_THM8_DIMS);
        let (ks, cs) = top.expanded(p.a);
        Thm8 {
            ds: dims(top.dims()),
            ks,
            cs,
        }
    }
}

/// The first `d` directions of `s` (its rows in order, the last one's count cut short); `s`
/// sorted by decreasing curvature, so that its first row has h > 0.
fn leading(s: &Spectrum, d: u64) -> Spectrum {
    let mut left = d;
    let mut counts = Vec::new();
    for &n in s.counts() {
        if left == 0 {
            break;
        }
        counts.push(n.min(left));
        left -= n.min(left);
    }
    let rows = counts.len();
    let c = s.c().map(|c| c[..rows].to_vec());
    Spectrum::new(s.h()[..rows].to_vec(), c, Some(counts))
        .expect("the leading rows of a valid spectrum are valid when the largest h leads")
}

/// The plots: E(t) for Fig. 5, and Thm 8's ratio against D.
fn plots(p: &Params) -> Vec<Plot> {
    let mut left = Plot::new("steps t", "escaping efficiency E(t)");
    left.title = format!(
        "Fig. 5: K = {}·I, C = {}·I, D = {}",
        p.h1, p.sigma2, p.esc_dim
    );
    let mut right = Plot::new("dimension D", "E(C) / E(C̄)");
    right.title = match &p.spectrum {
        Some(s) => format!(
            "Thm 8: your spectrum ({} rows, {} directions), by decreasing h",
            s.rows(),
            s.dims()
        ),
        None => format!("Thm 8: kᵢ = {}·i^−{}, C ∝ K", p.h1, p.spec_decay),
    };
    right.x_log = true;
    right.y_log = true;
    vec![left, right]
}

/// Plot 0 (Fig. 5): the Monte Carlo points at the times `ts` for both learning rates, then for
/// each the exact curve at integer t (at most ~1000 of them) and the continuous one on a fine
/// grid, and the y range. Returns each rate's Monte Carlo series with the theory at `ts`.
fn add_fig5(fig: &mut Figure, p: &Params, ts: &[u64]) -> Vec<Rate> {
    let xs: Vec<f64> = ts.iter().map(|&t| t as f64).collect();
    let lrs = rates(p);
    let mut rates = Vec::new();
    for (i, &lr) in lrs.iter().enumerate() {
        let mc = Series::pending(format!("Monte Carlo, λ = {lr}"), xs.clone());
        let finite = |e: Option<f64>| e.filter(|e| e.is_finite());
        let exact = exact_at(p, lr, ts).into_iter().map(|e| finite(Some(e)));
        let continuous = xs.iter().map(|&t| finite(continuous_at(p, lr, t)));
        rates.push(Rate {
            lr,
            mc: fig.add(mc.colored(COLOUR[i])),
            exact: exact.collect(),
            continuous: continuous.collect(),
        });
    }
    let stride = (p.steps / 1000).max(1);
    let t_int: Vec<u64> = (0..=p.steps / stride).map(|j| j * stride).collect();
    let t_real = linspace(0.0, p.steps as f64, 300);
    let mut curves = Vec::new();
    for (i, &lr) in lrs.iter().enumerate() {
        let x = t_int.iter().map(|&t| t as f64).collect();
        let name = format!("exact discrete (Eq. 18), λ = {lr}");
        let exact = Series::new(name, SeriesKind::TheoryDiscrete, x, exact_at(p, lr, &t_int));
        curves.push(fig.add(exact.colored(COLOUR[i])));
        let name = format!("continuous (Eq. 19), λ = {lr}");
        let cont = Series::curve(name, SeriesKind::TheoryContinuous, &t_real, |t| {
            continuous_at(p, lr, t)
        });
        curves.push(fig.add(cont.colored(COLOUR[i])));
    }
    fig5_y_range(fig, p, &curves);
    rates
}

/// The y axis of plot 0: from the first step's value to the largest long-time value of the
/// `curves`, with room above for the legend.
fn fig5_y_range(fig: &mut Figure, p: &Params, curves: &[SeriesId]) {
    let (lo, hi) = curves
        .iter()
        .flat_map(|&id| fig.get(id).finite_points())
        .map(|(_, y)| y)
        .filter(|y| *y > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    if hi > 0.0 {
        fig.plots[0].y_log = p.ylog;
        let first: f64 = rates(p)
            .iter()
            .map(|&lr| exact_at(p, lr, &[1])[0])
            .fold(f64::INFINITY, f64::min);
        fig.plots[0].y_range = Some(if p.ylog {
            (0.5 * first.max(lo), 6.0 * hi)
        } else {
            (0.0, 1.5 * hi)
        });
    }
}

/// Plot 1 (Thm 8) for kᵢ = h₁·i^(−d) and C ∝ K, or a measured spectrum: Eq. 20's ratio, the
/// exact and continuous ratios after t steps at λ, the bound D, and for the power law Thm 8's
/// order D^(2d−1); with its readouts.
fn add_thm8(fig: &mut Figure, p: &Params) -> Vec<Readout> {
    let Thm8 { ks, cs, ds } = Thm8::of(p);
    let dx: Vec<f64> = ds.iter().map(|&d| d as f64).collect();
    let (lr, t) = (p.lr, p.t);
    let ratios = |phi: &dyn Fn(f64) -> f64| {
        if t == 0 {
            vec![f64::NAN; ds.len()]
        } else {
            anisotropy_ratios(&ks, &cs, &ds, phi)
        }
    };
    let eq20 = anisotropy_ratios(&ks, &cs, &ds, |k| k);
    let disc = ratios(&|k| per_mode_discrete(k, lr, t));
    let cont = ratios(&|k| per_mode_continuous(k, lr, t));
    let line = |name: String, kind, y| Series::new(name, kind, dx.clone(), y).in_plot(1);
    let name = "Eq. 20: Tr[KC]/Tr[KC̄] (exact at t = 1)".to_string();
    let kind = SeriesKind::TheoryOther;
    fig.add(
        line(name, kind, eq20.clone())
            .styled(Style::Line)
            .colored(0),
    );
    let name = format!("exact discrete, t = {t}, λ = {lr}");
    fig.add(line(name, SeriesKind::TheoryDiscrete, disc));
    let name = format!("continuous, t = {t}, λ = {lr}");
    fig.add(line(name, SeriesKind::TheoryContinuous, cont));
    let order = p.spectrum.is_none().then_some(2.0 * p.spec_decay - 1.0);
    if let Some(order) = order {
        let name = format!("Thm 8: D^(2d−1) = D^{order:.3}");
        let power = dx.iter().map(|d| d.powf(order)).collect();
        fig.add(line(name, kind, power).colored(6));
    }
    let bound = line("bound D".to_string(), kind, dx.clone());
    fig.add(bound.styled(Style::Dashed).colored(7));
    let (y_top, y_bot) = eq20
        .iter()
        .filter(|v| v.is_finite())
        .fold((1.0f64, 1.0f64), |(a, b), &v| (a.max(v), b.min(v)));
    // Room above the curves for the legend.
    fig.plots[1].y_range = Some((0.5 * y_bot.min(1.0), 8.0 * y_top.max(1.0)));
    let mut readouts = thm8_readouts(&ds, &eq20, order);
    if let Some(s) = &p.spectrum {
        fig.plots[1].note = Some(spectrum_note(s, p.a));
        let (c, w) = (s.noise(p.a), s.weights());
        readouts.push(Readout::new(
            "thm8_ratio_all",
            &format!("Eq. 20 ratio over all D = {} directions", s.dims()),
            measured::anisotropy_ratio(s.h(), &c, &w),
        ));
    }
    readouts
}

/// The note of plot 1 with a measured spectrum: what it shows, and why Thm 8's D^(2d−1) is not
/// drawn.
fn spectrum_note(s: &Spectrum, a: f64) -> String {
    let noise = match s.c() {
        Some(_) => "its noise cᵢ".to_string(),
        None => format!("cᵢ = a·hᵢ, a = {a}"),
    };
    let shown = if s.dims() > MAX_THM8_DIMS {
        format!(" (the first {MAX_THM8_DIMS} of {})", s.dims())
    } else {
        String::new()
    };
    format!(
        "your spectrum: the D directions of largest h{shown}, {noise}. Thm 8's closed form \
         D^(2d−1) holds for a power law hᵢ ∝ i^(−d) only and is not drawn"
    )
}

/// Thm 8's readouts: Eq. 20's ratio at the largest D, its growth exponent over the last
/// decade of D, and Thm 8's order (a power law's only: `None` for a measured spectrum).
fn thm8_readouts(ds: &[usize], eq20: &[f64], order: Option<f64>) -> Vec<Readout> {
    let d_max = *ds.last().unwrap_or(&1);
    let exponent = {
        let n = eq20.len();
        let d = |j: usize| ds[j] as f64;
        (n >= 2 && d(n - 1) > d(0)).then(|| {
            let j = ds
                .iter()
                .position(|&x| x as f64 >= d(n - 1) / 10.0)
                .unwrap_or(0);
            (eq20[n - 1] / eq20[j]).ln() / (d(n - 1) / d(j)).ln()
        })
    };
    vec![
        Readout::new(
            "thm8_ratio_dmax",
            &format!("Eq. 20 ratio at D = {d_max}"),
            eq20.last().copied(),
        ),
        Readout::new(
            "thm8_exponent",
            "growth exponent of the Eq. 20 ratio over the last decade of D",
            exponent,
        ),
        Readout::new(
            "thm8_order",
            match order {
                Some(_) => "Thm 8's exponent 2d − 1",
                None => "Thm 8's exponent 2d − 1 (a power law's; none for a measured spectrum)",
            },
            order,
        ),
    ]
}

/// The long-time limits (t → ∞) of E_d and E_c at both learning rates: ½Tr[KΣ] at the
/// stationary Σ of each theory.
fn limit_readouts(p: &Params) -> Vec<Readout> {
    let d = p.esc_dim as f64;
    let mut readouts = Vec::new();
    for (lr, tag) in rates(p).into_iter().zip(["lr", "lr2"]) {
        let pr = theory::predict(&mode(p), &Optimizer::sgd(lr, 0.0, 1));
        readouts.push(Readout::new(
            &format!("e_discrete_inf_{tag}"),
            &format!("E_d(∞) at λ = {lr}: λD σ²/(2(2 − λh₁))"),
            pr.loss_discrete.map(|x| x * d),
        ));
        readouts.push(Readout::new(
            &format!("e_continuous_inf_{tag}"),
            &format!("E_c(∞) at λ = {lr}: λDσ²/4"),
            pr.loss_continuous.map(|x| x * d),
        ));
    }
    readouts
}

/// The mean of ½h₁w² at every time of `ts` over `walkers` runs of each of `coords` independent
/// coordinates (their sum: the D-dimensional loss), with its standard error, from SGD at `lr`
/// started at the minimum; NaN from the first time a walker escaped on (the escaped walkers are
/// no longer in the statistics). Coordinate `c` runs on seed `job_seed(seed, c)`.
fn measure(
    model: &Model,
    lr: f64,
    ts: &[u64],
    coords: u64,
    walkers: usize,
    seed: u64,
) -> (Vec<f64>, Vec<f64>) {
    let n = ts.len();
    let dy = Dynamics::heavy_ball(model, lr, 0.0);
    let half_k = 0.5 * model.k[(0, 0)];
    let (mut mean, mut var) = (vec![0.0; n], vec![0.0; n]);
    let mut cut = n;
    for coord in 0..coords as usize {
        if cut == 0 {
            break;
        }
        let mut e = Ensemble::new(1, walkers, job_seed(seed, coord));
        let mut now = 0;
        for (j, &t) in ts.iter().enumerate().take(cut) {
            e.advance(&dy, t - now);
            now = t;
            if e.diverged() > 0 {
                cut = j;
                break;
            }
            // Coordinates are independent: the means and the variances add over them.
            let ls: Vec<f64> = e.coords(0).iter().map(|w| half_k * w * w).collect();
            let (m, se) = mean_se(&ls);
            mean[j] += m.unwrap_or(f64::NAN);
            var[j] += se.map_or(f64::NAN, |s| s * s);
        }
    }
    let mut err: Vec<f64> = var.into_iter().map(f64::sqrt).collect();
    mean[cut..].fill(f64::NAN);
    err[cut..].fill(f64::NAN);
    (mean, err)
}

impl Panel for Escape {
    type Plan = Plan;

    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> (Plan, Figure) {
        let mut fig = figure(p, plots(p));
        let times = times(p);
        let mut rates = add_fig5(&mut fig, p, &times);
        if work(p) > MAX_WORK {
            fig.plots[0].note = Some(format!(
                "No Monte Carlo: walkers × D × steps = {} is more than the {MAX_WORK} \
                 walker-steps one run may take",
                work(p)
            ));
        }
        if work(p) > MAX_WORK || times.is_empty() {
            rates.clear(); // no Monte Carlo
        }
        fig.jobs = rates.len();
        let thm8 = add_thm8(&mut fig, p);
        fig.readouts = limit_readouts(p);
        fig.readouts.extend(thm8);
        let plan = Plan {
            setting: p.clone(),
            times,
            rates,
        };
        (plan, fig)
    }

    fn job(&self, plan: &Plan, i: usize) -> Vec<Patch> {
        let Some(rate) = plan.rates.get(i) else {
            return Vec::new();
        };
        let p = &plan.setting;
        let seed = job_seed(p.seed, i);
        let (coords, walkers) = (p.esc_dim, p.walkers as usize);
        let (y, err) = measure(&mode(p), rate.lr, &plan.times, coords, walkers, seed);
        vec![Patch {
            series: rate.mc,
            index: 0,
            x: None,
            y,
            y_err: Some(err),
        }]
    }

    fn finish(&self, plan: &Plan, fig: &mut Figure) {
        // How far the Monte Carlo points are from each theory at the times they measure, in
        // standard errors.
        let at = |values: &[Option<f64>], x: f64| {
            let j = plan.times.iter().position(|&t| t as f64 == x)?;
            values[j]
        };
        let (mut zd, mut zc) = (None, None);
        for rate in &plan.rates {
            let mc = fig.get(rate.mc);
            let max = |a: Option<f64>, b: Option<f64>| a.into_iter().chain(b).reduce(f64::max);
            zd = max(zd, largest_z(mc, |t| at(&rate.exact, t)));
            zc = max(zc, largest_z(mc, |t| at(&rate.continuous, t)));
        }
        let zc = zd.and(zc.or(Some(0.0)));
        fig.readouts.retain(|r| !r.key.starts_with("z_"));
        fig.readouts.push(Readout::new(
            "z_discrete_max",
            "largest |Monte Carlo − exact (Eq. 18)| in standard errors",
            zd,
        ));
        fig.readouts.push(Readout::new(
            "z_continuous_max",
            "largest |Monte Carlo − continuous (Eq. 19)| in standard errors",
            zc,
        ));
    }
}
