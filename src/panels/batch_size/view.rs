//! What the batch-size figure shows, from the plan's exact curves: the four plots (steps to
//! target against B with Monte Carlo points, McCandlish's S–E trade-off with its fitted
//! hyperbola, the optimal effective rate with the stability limits, the loss curve at `batch`
//! with the walkers' mean), the Monte Carlo jobs that fill them in, the readouts and the notes.

use super::{
    crossing_cap, directions, simulated, Curve, Job, Kind, Plan, Point, EXACT_UP_TO, JOB_WORK,
};
use crate::figure::{Figure, Plot, Readout, Series, SeriesKind, Style};
use crate::linalg::logspace;
use crate::model::spectrum::Spectrum;
use crate::panels::kit::figure as empty_figure;
use crate::params::Params;
use crate::rng::math::LANES;
use crate::sim::per_direction::Crossing;
use crate::sim::stats::mean_se;
use crate::theory::noise_scale::{batch_within, fit_tradeoff, noise_scales, Tradeoff};
use crate::theory::per_direction::{Method, Problem};
use crate::theory::steps_to_target::loss_curve;

/// Steps shown in the loss-curve plot past the slowest optimizer's T* at `batch`.
const LOSS_MARGIN: f64 = 1.25;

/// The four plots of the figure, empty.
pub(super) fn plots(p: &Params) -> Vec<Plot> {
    let log = |mut plot: Plot, title: String| {
        plot.x_log = true;
        plot.y_log = true;
        plot.title = title;
        plot
    };
    let model = p.spectrum.as_ref().map_or(String::new(), |s| {
        format!(
            ": your spectrum ({} rows, {} directions)",
            s.rows(),
            s.dims()
        )
    });
    vec![
        log(
            Plot::new("batch size B", "steps to target S"),
            format!(
                "Steps to L ≤ {}·L(0) at the best constant rate{model}",
                p.target
            ),
        ),
        log(
            Plot::new("steps S", "examples E = B·S"),
            "Steps and examples: S = S_min(1 + B_crit/B)".into(),
        ),
        log(
            Plot::new("batch size B", "effective rate λ/(1 − μ)"),
            "Optimal effective rate and the stability limits".into(),
        ),
        log(
            Plot::new("step t", "expected loss L(t)"),
            format!("Loss at B = {}, each at its optimal rate", p.batch),
        ),
    ]
}

/// The figure of a plan whose exact curves are computed; lays out the Monte Carlo jobs.
pub(super) fn figure(plan: &mut Plan, problem: &Problem) -> Figure {
    let p = plan.setting.clone();
    let mut fig = empty_figure(&p, plots(&p));
    if plan.level.is_nan() || plan.level <= 0.0 {
        fig.plots[0].note = Some(
            "L(0) = 0 (no direction with curvature, or θ₀ = 0): there is nothing to reach".into(),
        );
        return fig;
    }
    let xs: Vec<f64> = plan.batches.iter().map(|&b| b as f64).collect();
    for c in &plan.curves {
        let y = c
            .points
            .iter()
            .map(|q| q.map_or(f64::NAN, |q| q.steps as f64));
        fig.add(colored(
            Series::new(
                c.kind.name(),
                SeriesKind::TheoryDiscrete,
                xs.clone(),
                y.collect(),
            ),
            c.kind,
        ));
    }
    add_monte_carlo(plan, &mut fig);
    add_scaling_guide(plan, &mut fig);
    add_tradeoff(plan, &mut fig);
    add_rates(plan, &mut fig, problem);
    add_loss(plan, &mut fig, problem);
    fig.readouts = readouts(plan, problem);
    fig.plots[0].note = note(plan);
    fig.jobs = plan.jobs.len();
    fig
}

fn colored(s: Series, kind: Kind) -> Series {
    s.colored(kind.color())
}

fn walkers(p: &Params) -> u64 {
    super::groups(p) as u64 * LANES as u64
}

/// Monte Carlo points at the batch sizes 4ᵏ whose run fits in [`JOB_WORK`], for each curve.
fn add_monte_carlo(plan: &mut Plan, fig: &mut Figure) {
    let p = &plan.setting;
    if !simulated(p) {
        return;
    }
    let per_step = walkers(p) * directions(p);
    for (ci, c) in plan.curves.iter_mut().enumerate() {
        let at: Vec<usize> = (0..plan.batches.len())
            .filter(|&k| plan.batches[k].trailing_zeros() % 2 == 0)
            .filter(|&k| {
                c.points[k]
                    .is_some_and(|q| per_step.saturating_mul(crossing_cap(q.steps)) <= JOB_WORK)
            })
            .collect();
        if at.is_empty() {
            continue;
        }
        let xs = at.iter().map(|&k| plan.batches[k] as f64).collect();
        let name = format!("{}: Monte Carlo", c.kind.name());
        let id = fig.add(colored(Series::pending(name, xs), c.kind));
        for point in 0..at.len() {
            plan.jobs.push(Job::Crossing { curve: ci, point });
        }
        c.mc = Some((id, at));
    }
}

/// Perfect scaling S ∝ 1/B through SGD's smallest batch size.
fn add_scaling_guide(plan: &Plan, fig: &mut Figure) {
    let Some(sgd) = plan.curves.first() else {
        return;
    };
    let Some((k, q)) = sgd
        .points
        .iter()
        .enumerate()
        .find_map(|(k, q)| q.map(|q| (k, q)))
    else {
        return;
    };
    let b0 = plan.batches[k] as f64;
    let xs: Vec<f64> = plan.batches[k..].iter().map(|&b| b as f64).collect();
    let ys = xs.iter().map(|b| q.steps as f64 * b0 / b).collect();
    let s = Series::new("perfect scaling S ∝ 1/B", SeriesKind::TheoryOther, xs, ys);
    fig.add(s);
}

/// (B, S) of a curve's finite points.
fn curve_points(plan: &Plan, c: &Curve) -> Vec<(f64, f64)> {
    plan.batches
        .iter()
        .zip(&c.points)
        .filter_map(|(&b, q)| q.map(|q| (b as f64, q.steps as f64)))
        .collect()
}

fn fit(plan: &Plan, c: &Curve) -> Option<Tradeoff> {
    fit_tradeoff(&curve_points(plan, c))
}

/// Plot 1: E = B·S against S, and McCandlish's hyperbola fitted to each curve.
fn add_tradeoff(plan: &Plan, fig: &mut Figure) {
    for c in &plan.curves {
        let pts = curve_points(plan, c);
        let (s, e): (Vec<f64>, Vec<f64>) = pts.iter().map(|&(b, s)| (s, b * s)).unzip();
        let name = format!("{}: E = B·S", c.kind.name());
        fig.add(colored(
            Series::new(name, SeriesKind::TheoryDiscrete, s, e).in_plot(1),
            c.kind,
        ));
        let (Some(t), Some(first), Some(last)) = (fit(plan, c), pts.first(), pts.last()) else {
            continue;
        };
        let bs = logspace(first.0 / 4.0, last.0 * 4.0, 80);
        let (s, e): (Vec<f64>, Vec<f64>) = bs.iter().map(|&b| (t.steps(b), b * t.steps(b))).unzip();
        let name = format!("{}: fit S_min(1 + B_crit/B)", c.kind.name());
        let s = Series::new(name, SeriesKind::TheoryOther, s, e).in_plot(1);
        fig.add(colored(s, c.kind).unlabelled());
    }
}

/// The stability limit of `method`, as an effective rate.
fn effective_limit(method: Method, h_max: f64) -> f64 {
    method.effective_rate(method.rate_limit(h_max))
}

/// Plot 2: the optimal effective rate λ/(1 − μ) against B, and the stability limits.
fn add_rates(plan: &Plan, fig: &mut Figure, problem: &Problem) {
    let xs: Vec<f64> = plan.batches.iter().map(|&b| b as f64).collect();
    // a grouped problem's top bin lies below the largest curvature of a measured spectrum
    let h_max = (plan.setting.spectrum.as_ref()).map_or(problem.h_max(), |s| s.h_max());
    for c in &plan.curves {
        let y = c
            .points
            .iter()
            .map(|q| q.map_or(f64::NAN, |q| q.method.effective_rate(q.rate)));
        let name = format!("{}: optimal rate", c.kind.name());
        let s = Series::new(name, SeriesKind::TheoryDiscrete, xs.clone(), y.collect());
        fig.add(colored(s.in_plot(2), c.kind));
    }
    for c in plan.curves.iter().filter(|c| c.kind != Kind::Ema) {
        let y = c
            .points
            .iter()
            .map(|q| q.map_or(f64::NAN, |q| effective_limit(q.method, h_max)));
        let name = format!("{}: stability limit", c.kind.name());
        let s = Series::new(name, SeriesKind::TheoryOther, xs.clone(), y.collect());
        fig.add(colored(s.in_plot(2).styled(Style::Dashed), c.kind));
    }
}

/// Integers spread logarithmically from 1 to `end`, without repeats.
fn log_steps(end: u64, n: usize) -> Vec<u64> {
    let mut t: Vec<u64> = logspace(1.0, end.max(1) as f64, n)
        .into_iter()
        .map(|x| x.round() as u64)
        .collect();
    t.dedup();
    t
}

/// Plot 3: L(t) of each optimizer at its optimal rate at `batch`, the walkers' mean, the
/// target.
fn add_loss(plan: &mut Plan, fig: &mut Figure, problem: &Problem) {
    let p = plan.setting.clone();
    let slowest = plan
        .curves
        .iter()
        .filter_map(|c| c.at_batch)
        .map(|q| q.steps)
        .max();
    let Some(slowest) = slowest else {
        return;
    };
    let end = ((slowest as f64 * LOSS_MARGIN).ceil() as u64).clamp(10, p.max_steps.max(10));
    plan.loss_times = log_steps(end, 24);
    // the exact curve at the Monte Carlo's steps too, so that they can be compared
    let mut fine = log_steps(end, 240);
    fine.extend(&plan.loss_times);
    fine.sort_unstable();
    fine.dedup();
    let pb = problem.with_factor(super::factor(&p, p.batch));
    let mc_ok = simulated(&p) && walkers(&p) * directions(&p) * end <= JOB_WORK;
    for (ci, c) in plan.curves.iter_mut().enumerate() {
        let Some(q) = c.at_batch else { continue };
        let y = loss_curve(&pb, q.method, q.rate, &fine).unwrap_or_default();
        let xs = fine.iter().map(|&t| t as f64).collect();
        let name = format!("{}: L(t)", c.kind.name());
        fig.add(colored(
            Series::new(name, SeriesKind::TheoryDiscrete, xs, y).in_plot(3),
            c.kind,
        ));
        if mc_ok {
            let xs = plan.loss_times.iter().map(|&t| t as f64).collect();
            let name = format!("{}: Monte Carlo mean L(t)", c.kind.name());
            let id = fig.add(colored(Series::pending(name, xs).in_plot(3), c.kind));
            let exact = loss_curve(&pb, q.method, q.rate, &plan.loss_times).unwrap_or_default();
            c.loss_mc = Some((id, exact));
            plan.jobs.push(Job::Loss { curve: ci });
        }
    }
    let target = Series::new(
        "target",
        SeriesKind::TheoryOther,
        vec![1.0, end as f64],
        vec![plan.level; 2],
    );
    fig.add(target.in_plot(3));
}

/// The Monte Carlo steps to the target: where the mean loss over all walkers reached it (read
/// from its smoothed trajectory, [`crate::sim::per_direction::fitted_crossing`]), and its error
/// from the spread of the groups of sixteen (the standard error of their mean), at least one
/// step.
pub(super) fn crossing_point(run: &Crossing) -> (Option<f64>, Option<f64>) {
    let Some(steps) = run.steps else {
        return (None, None);
    };
    let groups: Option<Vec<f64>> = run.groups.iter().copied().collect();
    let se = groups.and_then(|g| mean_se(&g).1).unwrap_or(0.0);
    (Some(steps), Some(se.max(1.0)))
}

/// B_noise and B_simple at the start and at the target on SGD's noiseless path (its mean,
/// θᵢ(t) = θ₀(1 − αhᵢ)ᵗ) at its optimal rate at `batch`.
fn noise_readouts(plan: &Plan, problem: &Problem) -> Vec<Readout> {
    let start = vec![problem.theta0; problem.h.len()];
    let at = |theta: &[f64]| noise_scales(&problem.h, &problem.weight, &problem.c, theta);
    let sgd = plan.curves.first().and_then(|c| c.at_batch);
    let end = sgd.map(|q| {
        let t = q.steps as i32;
        problem
            .h
            .iter()
            .map(|h| problem.theta0 * (1.0 - q.rate * h).powi(t))
            .collect::<Vec<_>>()
    });
    let (s0, s1) = (at(&start), end.as_deref().and_then(at));
    let b = plan.setting.batch;
    vec![
        Readout::new(
            "b_noise_start",
            "B_noise = tr(HΣ)/(GᵀHG) at the start",
            s0.map(|s| s.0),
        ),
        Readout::new(
            "b_simple_start",
            "B_simple = tr(Σ)/|G|² at the start",
            s0.map(|s| s.1),
        ),
        Readout::new(
            "b_noise_target",
            &format!("B_noise at the target, on SGD's noiseless path at its best rate for B = {b}"),
            s1.map(|s| s.0),
        ),
        Readout::new(
            "b_simple_target",
            "B_simple at the target, on the same path",
            s1.map(|s| s.1),
        ),
    ]
}

fn readouts(plan: &Plan, problem: &Problem) -> Vec<Readout> {
    let mut out = Vec::new();
    let b = plan.setting.batch;
    for c in &plan.curves {
        let (name, key) = (c.kind.name(), c.kind.key());
        let t = fit(plan, c);
        let within = t.and_then(|t| batch_within(&curve_points(plan, c), t.s_min, 2.0));
        out.extend([
            Readout::new(
                &format!("b_crit_{key}"),
                &format!("B_crit of {name} (fitted)"),
                t.map(|t| t.b_crit),
            ),
            Readout::new(
                &format!("s_min_{key}"),
                &format!("S_min of {name}"),
                t.map(|t| t.s_min),
            ),
            Readout::new(
                &format!("e_min_{key}"),
                &format!("E_min of {name}"),
                t.map(|t| t.e_min),
            ),
            Readout::new(
                &format!("b_2x_{key}"),
                &format!("B where {name} takes 2·S_min steps (exact curve)"),
                within,
            ),
            Readout::new(
                &format!("steps_{key}"),
                &format!("T* of {name} at B = {b}"),
                c.at_batch.map(|q| q.steps as f64),
            ),
        ]);
        if let Some(Point {
            method: Method::HeavyBall { mu },
            ..
        }) = c.at_batch.filter(|_| plan.setting.mu_auto)
        {
            out.push(Readout::new(
                "mu_heavy_ball",
                &format!("optimal μ at B = {b}"),
                Some(mu),
            ));
        }
    }
    out.extend(noise_readouts(plan, problem));
    out
}

/// The note on the first plot: binning, the batch sizes beyond `max_steps`, where Monte
/// Carlo is.
fn note(plan: &Plan) -> Option<String> {
    let p = &plan.setting;
    let mut parts = Vec::new();
    if let Some(s) = &p.spectrum {
        parts.extend(spectrum_note(s));
    } else if p.spec_d > EXACT_UP_TO {
        parts.push(format!(
            "theory: D = {} directions in {} geometric bins of h (Zhang et al.); no Monte Carlo \
             above D = {EXACT_UP_TO}",
            p.spec_d,
            super::BINS
        ));
    }
    let missed: Vec<String> = plan
        .curves
        .iter()
        .filter_map(|c| {
            let bs: Vec<String> = plan
                .batches
                .iter()
                .zip(&c.points)
                .filter(|(_, q)| q.is_none())
                .map(|(b, _)| b.to_string())
                .collect();
            (!bs.is_empty()).then(|| format!("{} at B = {}", c.kind.name(), bs.join(", ")))
        })
        .collect();
    if !missed.is_empty() {
        parts.push(format!(
            "not reached within max_steps = {}: {}",
            p.max_steps,
            missed.join("; ")
        ));
    }
    if simulated(p) && !plan.jobs.is_empty() {
        parts.push(format!(
            "Monte Carlo: {} walkers in D = {} dimensions at B = 4ᵏ, where a run takes at most \
             {JOB_WORK:.0e} walker-coordinate steps",
            walkers(p),
            directions(p)
        ));
    }
    (!parts.is_empty()).then(|| parts.join(". "))
}

/// What the note says of a measured spectrum: how the theory takes it (row by row, or in
/// bins) and why there is no Monte Carlo above [`EXACT_UP_TO`] directions.
fn spectrum_note(s: &Spectrum) -> Vec<String> {
    let mut parts = vec![format!(
        "model: your spectrum, {} rows for D = {} directions, noise {}",
        s.rows(),
        s.dims(),
        if s.c().is_some() {
            "cᵢ as measured"
        } else {
            "cᵢ = a·hᵢ"
        }
    )];
    if s.rows() as u64 > EXACT_UP_TO {
        parts.push(format!(
            "theory: its rows in {} geometric bins of h (Zhang et al.)",
            super::BINS
        ));
    }
    if s.dims() > EXACT_UP_TO {
        parts.push(format!(
            "no Monte Carlo: walkers would move in D = {} > {EXACT_UP_TO} dimensions",
            s.dims()
        ));
    }
    parts
}
