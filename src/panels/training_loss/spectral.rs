//! `training-loss` with a measured spectrum (`spectrum=`): K = diag(hᵢ) and C = diag(cᵢ)·f, the
//! spectrum's per-example gradient variances cᵢ (or a·hᵢ) times the minibatch factor f of
//! `batch` of `n_data` (`replace`; [`minibatch_factor`]), as in the batch-size and your-model
//! panels (the panel's noise keys are not used). Every direction is a 1-D problem,
//! so the curves are weighted sums over the rows of closed forms per mode ([`Rows`]: Eq. 12 for
//! SGD and SGDM, the ARMA(2,1) variance for QHM, λ_eff·cᵢ/4 in continuous time; Gitman et al.'s
//! expansion and Cor. 7 as printed also go mode by mode). The stability limits follow from
//! h_max. The Monte Carlo runs walkers in all D directions when D ≤ 10⁴ and
//! 3·points × D × walkers × steps stays within [`MAX_FIGURE_WORK`]; otherwise the figure draws
//! the theory only and says so.

use super::{at, finish_plot, optimizer, plots, LegendOnce, Plan, Point, Sweep, NAMES, TAGS};
use crate::figure::{Figure, Patch, Readout, Series, SeriesId, SeriesKind};
use crate::linalg::linspace;
use crate::model::spectrum::Spectrum;
use crate::panels::kit::{figure, job_seed};
use crate::panels::query::MAX_FIGURE_WORK;
use crate::params::Params;
use crate::sim;
use crate::sim::stats::mean_se;
use crate::theory::measured::{minibatch_factor, BINS};
use crate::theory::spectrum::Rows;
use crate::theory::stability::midpoints;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Every direction of the spectrum on its own, for the Monte Carlo.
#[derive(Serialize, Deserialize)]
pub struct Directions {
    h: Vec<f64>,
    c: Vec<f64>,
}

/// The Monte Carlo work with spectrum `s`: 3·points ensembles of D × walkers × steps.
fn mc_work(p: &Params, s: &Spectrum) -> u64 {
    (3 * p.points)
        .saturating_mul(s.dims())
        .saturating_mul(p.walkers)
        .saturating_mul(p.steps)
}

/// Most directions the Monte Carlo runs walkers in (each is an ensemble of its own).
const MAX_MC_DIRECTIONS: u64 = 10_000;

/// Why the Monte Carlo is left out with spectrum `s`: too many directions, or more work than a
/// figure may take; `None` when it runs.
fn mc_refusal(p: &Params, s: &Spectrum) -> Option<String> {
    let d = s.dims();
    if d > MAX_MC_DIRECTIONS {
        return Some(format!(
            "Theory only: the Monte Carlo runs walkers in at most {MAX_MC_DIRECTIONS} \
             directions, and this spectrum has D = {d}"
        ));
    }
    let w = mc_work(p, s);
    (w > MAX_FIGURE_WORK).then(|| {
        format!(
            "Theory only: Monte Carlo in all D = {d} directions would take {w} walker-steps, \
             more than the {MAX_FIGURE_WORK} a figure may take (lower walkers or steps)"
        )
    })
}

/// The figure's Monte Carlo work: [`mc_work`] when it is run, 0 when the figure is theory
/// only.
pub fn work(p: &Params, s: &Spectrum) -> u64 {
    match mc_refusal(p, s) {
        None => mc_work(p, s),
        Some(_) => 0,
    }
}

/// The noise of one step: the per-example variances times the minibatch factor.
fn step_noise_factor(p: &Params) -> f64 {
    minibatch_factor(p.n_data, p.batch, p.replace)
}

/// The plan and figure with spectrum `s`.
pub fn plan(p: &Params, s: &Spectrum) -> (Plan, Figure) {
    let f = step_noise_factor(p);
    let exact_rows = Rows::of(s, p.a).scaled_noise(f);
    let grouped = exact_rows.too_many();
    let limits: Vec<f64> = (0..3)
        .map(|o| exact_rows.rate_limit(&optimizer(p, o, 1.0)))
        .collect();
    let refusal = mc_refusal(p, s);
    let run_mc = refusal.is_none();
    let mut fig = figure(p, plots(p));
    for (o, plot) in fig.plots.iter_mut().enumerate() {
        plot.title = format!(
            "{} · your spectrum, D = {}, C = diag(cᵢ)·{f:.4}",
            plot.title,
            s.dims()
        );
        plot.note = notes(s, refusal.as_deref(), grouped && o == 0);
    }
    let sweeps = if run_mc {
        (limits.iter().enumerate())
            .map(|(o, &limit)| {
                let xs = midpoints(limit, p.points);
                let mc = Series::pending("Monte Carlo", xs).in_plot(o);
                let mc = fig.add(mc.unlabelled_unless(o == 0));
                sweep(p, &exact_rows, o, mc, limit)
            })
            .collect()
    } else {
        Vec::new()
    };
    let rows = exact_rows.coarse();
    for (o, &limit) in limits.iter().enumerate() {
        add_curves(&mut fig, p, &rows, o, limit);
    }
    let edges = ["2/h_max", "2(1 + μ)/h_max", "2(1 + μ)/(h_max(1 + μ − 2μν))"];
    fig.readouts = (0..3)
        .map(|o| {
            let label = format!(
                "{}: largest λ with a stationary state, {}",
                NAMES[o], edges[o]
            );
            Readout::new(&format!("{}_lr_max", TAGS[o]), &label, Some(limits[o]))
        })
        .collect();
    fig.jobs = sweeps.len() * p.points as usize;
    let directions = run_mc.then(|| {
        let (h, c) = s.expanded(p.a);
        let c = c.iter().map(|c| c * f).collect();
        Directions { h, c }
    });
    let plan = Plan {
        setting: p.clone(),
        sweeps,
        directions,
        model: OnceLock::new(),
    };
    (plan, fig)
}

/// What a plot says about the figure: why the Monte Carlo is left out, that the curves come
/// from grouped rows.
fn notes(s: &Spectrum, refusal: Option<&str>, grouped: bool) -> Option<String> {
    let mut notes: Vec<String> = refusal.map(String::from).into_iter().collect();
    if grouped {
        notes.push(format!(
            "The curves group the {} rows into {BINS} geometric bins of h",
            s.rows()
        ));
    }
    (!notes.is_empty()).then(|| notes.join("; "))
}

/// Optimizer `o`'s Monte Carlo points with the theory at each.
fn sweep(p: &Params, rows: &Rows, o: usize, mc: SeriesId, limit: f64) -> Sweep {
    let points = midpoints(limit, p.points)
        .into_iter()
        .map(|lr| {
            let opt = optimizer(p, o, lr);
            Point {
                lr,
                exact_after: rows.loss_after(&opt, p.steps).filter(|v| v.is_finite()),
                continuous: rows.continuous_loss(&opt),
            }
        })
        .collect();
    Sweep { mc, points }
}

/// Optimizer `o`'s theory curves over (0, `limit`) in plot `o`, its stability limit and its
/// y range.
fn add_curves(fig: &mut Figure, p: &Params, rows: &Rows, o: usize, limit: f64) {
    let grid = linspace(limit * 1e-3, limit * 0.999, 300);
    let first = o == 0;
    let curve = |name: &str, kind: SeriesKind, f: &dyn Fn(f64) -> Option<f64>| {
        Series::curve(name, kind, &grid, f)
            .in_plot(o)
            .unlabelled_unless(first)
    };
    let opt = |lr: f64| optimizer(p, o, lr);
    fig.add(curve("exact discrete", SeriesKind::TheoryDiscrete, &|lr| {
        rows.stationary_loss(&opt(lr))
    }));
    fig.add(curve("continuous", SeriesKind::TheoryContinuous, &|lr| {
        rows.continuous_loss(&opt(lr))
    }));
    let name = "Gitman et al. expansion (Table 1)";
    fig.add(
        curve(name, SeriesKind::TheoryOther, &|lr| {
            rows.expansion(&opt(lr))
        })
        .colored(0),
    );
    if o == 2 {
        let s = Series::curve(
            "Cor. 7, Eq. 89 as printed",
            SeriesKind::TheoryOther,
            &grid,
            |lr| rows.cor7_as_printed(lr, p.mu, p.qhm_nu),
        );
        fig.add(s.in_plot(o).colored(6));
    }
    finish_plot(fig, p, o, limit, |lr| {
        rows.stationary_loss(&optimizer(p, o, lr))
    });
}

/// Monte Carlo job `i`: point j of optimizer o, walkers in every direction.
pub fn job(plan: &Plan, dirs: &Directions, i: usize) -> Vec<Patch> {
    let n = plan.setting.points as usize;
    let (o, j) = (i / n, i % n);
    let Some(sweep) = plan.sweeps.get(o) else {
        return Vec::new();
    };
    let Some(point) = sweep.points.get(j) else {
        return Vec::new();
    };
    let q = at(&plan.setting, o, point.lr);
    let run = (q.walkers as usize, q.steps, job_seed(q.seed, i));
    let losses =
        sim::outcome::losses_after_diagonal(&dirs.h, &dirs.c, &q.optimizer(), q.shape(), run);
    let (y, se) = losses.map_or((None, None), |l| mean_se(&l));
    vec![Patch::point(sweep.mc, j, y, se)]
}
