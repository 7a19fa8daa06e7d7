//! `fdr-schedule` — Yaida (2019), Sec. 3.3: the learning-rate schedule driven by FDR1′, run by
//! `walkers` independent runs on the 2-D noisy quadratic, each deciding its own drops from its
//! own half-running averages (the rule is applied to a single training run, as in the paper;
//! [`crate::sim::schedule`]). Beside it, deterministic schedules
//! ([`crate::theory::schedule::Schedule`]) whose expected loss is exact
//! ([`crate::theory::fdr_finite::loss_under_schedule`]): the same number of drops evenly
//! spaced, Yaida's preset (÷10 every 100 epochs, his Fig. 4), and a constant learning rate.
//!
//! Each Monte Carlo point (a time t) is one job that re-simulates all runs from their fixed
//! seeds up to t, so the points of a curve belong to the same runs; one more job follows run 0
//! to the end and reports its learning rate and ratio at every check.

use super::fdr_common::{self, as_x, normalized, times};
use super::kit::{figure, job_seed};
use super::{Panel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesId, SeriesKind, Style};
use crate::model::Model;
use crate::params::Params;
use crate::sim::runs::Runs16;
use crate::sim::schedule::{adaptive_after, Adaptive16};
use crate::sim::stats::mean_se;
use crate::theory::fdr_finite::loss_under_schedule;
use crate::theory::schedule::{FdrRule, Schedule};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The panel.
pub struct FdrSchedule;

static SPEC: Spec = Spec {
    name: "fdr-schedule",
    title: "Yaida's FDR schedule, run live",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    reading: include_str!("reading.json"),
    source: "Yaida (2019), Sec. 3.3 and Fig. 4; Eqs. 15, 17",
    keys: &[
        "lr", "fdr_x", "fdr_y", "epoch", "mu", "damp", "h1", "h2", "sigma2", "w0", "walkers",
        "steps", "points", "seed",
    ],
    defaults,
    presets: &[
        ("Yaida: X = 0.01, Y = 0.1", "fdr_x=0.01&fdr_y=0.1"),
        (
            "Yaida Fig. S2: X = 0.1, Y = 0.3",
            "fdr_x=0.1&fdr_y=0.3&w0=5",
        ),
        ("start at the minimum", "w0=0&fdr_x=0.01&fdr_y=0.1"),
    ],
    live: false,
    heavy: false,
    accepts: &[],
    spectrum: None,
};

fn defaults(p: &mut Params) {
    fdr_common::defaults(p);
    p.w0 = 5.0;
    p.fdr_x = 0.01;
    p.fdr_y = 0.1;
    p.epoch = 100;
    p.walkers = 1000;
    p.steps = 20_000;
    p.points = 20;
}

/// The series the jobs and `finish` fill in or read.
#[derive(Serialize, Deserialize)]
struct Ids {
    /// Learning rates: the runs' geometric mean, run 0, the same drops evenly spaced.
    lr_mc: SeriesId,
    lr_one: SeriesId,
    lr_even: SeriesId,
    /// Losses: the runs' mean, and exact under the evenly spaced, preset and constant rates.
    loss_mc: SeriesId,
    loss_even: SeriesId,
    loss_preset: SeriesId,
    loss_constant: SeriesId,
    /// Run 0's ratio at every check, and the checks where it dropped.
    ratio_one: SeriesId,
    drops_one: SeriesId,
}

/// What the Monte Carlo jobs and the readouts need.
#[derive(Serialize, Deserialize)]
pub struct Plan {
    /// The setting ([`normalized`]).
    setting: Params,
    /// Yaida's rule with the setting's X, Y and epoch.
    rule: FdrRule,
    /// The Monte Carlo times, one job each.
    checkpoints: Vec<u64>,
    /// The times of the exact loss curves.
    loss_times: Vec<u64>,
    ids: Ids,
    /// The model, built once where the plan is used.
    #[serde(skip)]
    model: OnceLock<Model>,
}

impl Plan {
    fn model(&self) -> &Model {
        self.model.get_or_init(|| self.setting.model())
    }

    /// Runs 16c … 16c + 15 at the start, with their seed.
    fn chunk(&self, c: usize) -> Runs16 {
        let q = &self.setting;
        let w = fdr_common::start(q);
        let seed = job_seed(q.seed, c);
        Runs16::new(self.model(), q.lr, q.mu, q.damp, [w[0], w[1]], seed)
    }

    /// The exact expected loss at the plan's loss times under `schedule`.
    fn exact_loss(&self, schedule: Schedule) -> Vec<f64> {
        exact_loss(&self.setting, self.model(), schedule, &self.loss_times)
    }
}

/// The exact expected loss of the setting `q` on `model` at `times` under `schedule`.
fn exact_loss(q: &Params, model: &Model, schedule: Schedule, times: &[u64]) -> Vec<f64> {
    let (k, c) = fdr_common::k_c(model);
    let w0 = fdr_common::start(q);
    loss_under_schedule(&k, &c, q.mu, q.damp, &w0, |s| schedule.lr(s), times)
}

/// `drops` drops by (1 − Y) evenly spaced over the run.
fn evenly_spaced(q: &Params, drops: u64) -> Schedule {
    Schedule::EvenDrops {
        lr: q.lr,
        factor: 1.0 - q.fdr_y,
        drops,
        steps: q.steps,
    }
}

/// The three plots: learning rates, losses, one run's ratio.
fn plots() -> Vec<Plot> {
    let mut lr_plot = Plot::new("step t", "learning rate η");
    lr_plot.y_log = true;
    let mut loss_plot = Plot::new("step t", "loss ½θᵀKθ");
    loss_plot.y_log = true;
    let mut ratio_plot = Plot::new("step t", "Ō_L / Ō_R, one run");
    ratio_plot.y_range = Some((0.0, 2.0));
    vec![lr_plot, loss_plot, ratio_plot]
}

/// A series of one run: filled in by a job, no standard errors.
fn one_run(name: &str, style: Style, color: usize, plot: usize) -> Series {
    let mut s = Series::new(name, SeriesKind::MonteCarlo, vec![], vec![])
        .styled(style)
        .colored(color)
        .in_plot(plot);
    s.y_err = None;
    s
}

/// A whole series from a job.
fn whole(series: SeriesId, x: Vec<f64>, y: Vec<f64>) -> Patch {
    Patch {
        series,
        index: 0,
        x: Some(x),
        y,
        y_err: None,
    }
}

/// The horizontal lines 1 ± X over steps 1 … T.
fn band(q: &Params, t_end: f64) -> Series {
    let (hi, lo) = (1.0 + q.fdr_x, 1.0 - q.fdr_x);
    let x = vec![1.0, t_end, f64::NAN, 1.0, t_end];
    let y = vec![hi, hi, f64::NAN, lo, lo];
    Series::new("1 ± X", SeriesKind::TheoryOther, x, y)
}

/// The learning-rate plot's series: the runs' geometric mean (pending), run 0 and the evenly
/// spaced drops (filled in later), Yaida's preset and the constant rate.
fn add_rates(fig: &mut Figure, q: &Params, xs: &[f64]) -> (SeriesId, SeriesId, SeriesId) {
    let other =
        |name: &str, (x, y): (Vec<f64>, Vec<f64>)| Series::new(name, SeriesKind::TheoryOther, x, y);
    let name = "adaptive: geometric mean over runs";
    let mc = fig.add(Series::pending(name, xs.to_vec()).colored(2));
    let one = fig.add(one_run("adaptive: one run", Style::Line, 2, 0));
    let even = other("same drops, evenly spaced", (vec![], vec![]));
    let even = fig.add(even.styled(Style::Line).colored(0));
    let preset = Schedule::yaida_preset(q.lr, q.epoch).staircase(q.steps);
    let name = "preset: ÷10 per 100 epochs (Yaida)";
    fig.add(other(name, preset).styled(Style::Dashed).colored(4));
    let constant = (vec![1.0, q.steps.max(1) as f64], vec![q.lr; 2]);
    fig.add(
        other("constant η₀", constant)
            .styled(Style::Dotted)
            .colored(7),
    );
    (mc, one, even)
}

/// The loss plot's series: the runs' mean (pending), and exact under the evenly spaced drops
/// (filled in later), Yaida's preset and the constant rate.
fn add_losses(
    fig: &mut Figure,
    q: &Params,
    model: &Model,
    lt: &[u64],
    xs: &[f64],
) -> [SeriesId; 4] {
    let exact = |name: &str, y: Vec<f64>| {
        Series::new(name, SeriesKind::TheoryDiscrete, as_x(lt), y).in_plot(1)
    };
    let mean = Series::pending("adaptive: mean loss", xs.to_vec());
    let mc = fig.add(mean.colored(2).in_plot(1));
    let nan = vec![f64::NAN; lt.len()];
    let even = fig.add(exact("evenly spaced: exact", nan).colored(0));
    let preset = exact_loss(q, model, Schedule::yaida_preset(q.lr, q.epoch), lt);
    let preset = fig.add(
        exact("preset: exact", preset)
            .styled(Style::Dashed)
            .colored(4),
    );
    let constant = exact_loss(q, model, Schedule::Constant { lr: q.lr }, lt);
    let constant = exact("constant η₀: exact", constant);
    let constant = fig.add(constant.styled(Style::Dotted).colored(7));
    [mc, even, preset, constant]
}

/// The ratio plot's series: run 0's ratio at every check, the band 1 ± X, run 0's drops.
fn add_ratio(fig: &mut Figure, q: &Params) -> (SeriesId, SeriesId) {
    let ratio = one_run("one run: Ō_L/Ō_R at each check", Style::Line, 2, 2);
    let ratio = fig.add(ratio);
    fig.add(band(q, q.steps.max(1) as f64).colored(7).in_plot(2));
    let drops = fig.add(one_run("drops", Style::Markers, 5, 2));
    (ratio, drops)
}

/// Job `i` at time `t`: the runs' mean loss and the geometric mean of their learning rates.
fn means_at(plan: &Plan, i: usize, t: u64) -> Vec<Patch> {
    let runs = plan.setting.walkers as usize;
    let (loss, lr) = adaptive_after(runs, t, plan.rule, |c| plan.chunk(c));
    let log_lr: Vec<f64> = lr.iter().map(|v| v.ln()).collect();
    let (lm, lse) = mean_se(&loss);
    let (gm, gse) = mean_se(&log_lr);
    let g = gm.map(f64::exp);
    vec![
        Patch::point(plan.ids.loss_mc, i, lm, lse),
        Patch::point(plan.ids.lr_mc, i, g, g.zip(gse).map(|(g, s)| g * s)),
    ]
}

/// The last job: one run (run 0) all the way, its learning rate and ratio at each check.
fn one_run_to_the_end(plan: &Plan) -> Vec<Patch> {
    let q = &plan.setting;
    let (mut lx, mut ly) = (vec![1.0], vec![q.lr]);
    let (mut rx, mut ry) = (Vec::new(), Vec::new());
    let (mut dx, mut dy) = (Vec::new(), Vec::new());
    let mut runs = Adaptive16::new(plan.chunk(0), plan.rule);
    runs.run_to(q.steps, |a, checks| {
        let c = checks[0];
        rx.push(c.t as f64);
        ry.push(c.ratio);
        if c.dropped {
            dx.push(c.t as f64);
            dy.push(c.ratio);
            lx.extend([c.t as f64, c.t as f64]);
            ly.extend([c.lr, a.runs.lr[0]]);
        }
    });
    lx.push(q.steps.max(1) as f64);
    ly.push(*ly.last().expect("one point"));
    vec![
        whole(plan.ids.lr_one, lx, ly),
        whole(plan.ids.ratio_one, rx, ry),
        whole(plan.ids.drops_one, dx, dy),
    ]
}

/// The last value of a Monte Carlo series and its standard error, once it has arrived.
fn last(s: &Series) -> (Option<f64>, Option<f64>) {
    match s.y.last() {
        Some(&y) if y.is_finite() => (Some(y), s.y_err.as_ref().and_then(|e| e.last().copied())),
        _ => (None, None),
    }
}

/// What the readouts report at the end of the runs.
struct Ends {
    /// The adaptive runs' mean loss, with its standard error.
    adaptive: (Option<f64>, Option<f64>),
    /// Their mean number of drops, with its standard error.
    drops: (Option<f64>, Option<f64>),
    /// The exact losses under the evenly spaced, preset and constant rates.
    even: Option<f64>,
    preset: Option<f64>,
    constant: Option<f64>,
}

/// The readouts of the losses and drops at step `t`, the end.
fn end_readouts(t: u64, e: &Ends) -> Vec<Readout> {
    let (loss, loss_se) = e.adaptive;
    let z = |other: Option<f64>| loss.zip(loss_se).zip(other).map(|((l, s), o)| (l - o) / s);
    let label = format!("adaptive: mean loss at t = {t}");
    let mut out = vec![
        Readout::new("loss_adaptive", &label, loss).with_se(loss_se),
        Readout::new("drops_mean", "adaptive: mean number of drops", e.drops.0).with_se(e.drops.1),
    ];
    // (key, schedule, its name in the difference, a note, exact loss)
    let others = [
        (
            "even",
            "same drops evenly spaced",
            "evenly spaced",
            " (negative: adaptive lower)",
            e.even,
        ),
        ("preset", "Yaida's preset", "preset", "", e.preset),
        ("constant", "constant η₀", "constant", "", e.constant),
    ];
    for (key, what, _, _, loss) in others {
        let label = format!("{what}: exact loss at the end");
        out.push(Readout::new(&format!("loss_{key}"), &label, loss));
    }
    for (key, _, name, note, loss) in others {
        let label = format!("(adaptive − {name}) in standard errors{note}");
        out.push(Readout::new(&format!("z_{key}"), &label, z(loss)));
    }
    out
}

impl Panel for FdrSchedule {
    type Plan = Plan;

    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> (Plan, Figure) {
        let q = normalized(p);
        let model = q.model();
        let mut fig = figure(p, plots());
        let checkpoints = times(q.steps, q.points as usize, false);
        let loss_times = times(q.steps, 300, false);
        let xs = as_x(&checkpoints);
        let (lr_mc, lr_one, lr_even) = add_rates(&mut fig, &q, &xs);
        let [loss_mc, loss_even, loss_preset, loss_constant] =
            add_losses(&mut fig, &q, &model, &loss_times, &xs);
        let (ratio_one, drops_one) = add_ratio(&mut fig, &q);
        if fdr_common::linear(&q).spectral_radius() >= 1.0 {
            fig.plots[1].note = Some("η₀ is beyond the stability limit: the runs diverge".into());
        }
        fig.jobs = xs.len() + 1;
        let plan = Plan {
            rule: FdrRule {
                x: q.fdr_x,
                y: q.fdr_y,
                epoch: q.epoch,
            },
            setting: q,
            checkpoints,
            loss_times,
            ids: Ids {
                lr_mc,
                lr_one,
                lr_even,
                loss_mc,
                loss_even,
                loss_preset,
                loss_constant,
                ratio_one,
                drops_one,
            },
            model: OnceLock::from(model),
        };
        (plan, fig)
    }

    fn job(&self, plan: &Plan, i: usize) -> Vec<Patch> {
        match plan.checkpoints.get(i) {
            Some(&t) => means_at(plan, i, t),
            None if i == plan.checkpoints.len() => one_run_to_the_end(plan),
            None => Vec::new(),
        }
    }

    fn finish(&self, plan: &Plan, fig: &mut Figure) {
        let (q, ids) = (&plan.setting, &plan.ids);
        let (g, g_se) = last(fig.get(ids.lr_mc));
        // The mean number of drops: η_T = η₀(1 − Y)^n per run, so the mean of n is
        // ln(geometric-mean η / η₀)/ln(1 − Y).
        let per = (1.0 - q.fdr_y).ln();
        let drops = g.map(|g| (g / q.lr).ln() / per + 0.0);
        let drops_se = g.zip(g_se).map(|(g, s)| s / g / per.abs());
        let n = drops
            .filter(|d| d.is_finite())
            .map(|d| d.round().max(0.0) as u64);
        if let Some(n) = n {
            let even = evenly_spaced(q, n);
            let lr_even = fig.get_mut(ids.lr_even);
            (lr_even.x, lr_even.y) = even.staircase(q.steps);
            fig.get_mut(ids.loss_even).y = plan.exact_loss(even);
        }
        let end = |id| {
            fig.get(id)
                .y
                .last()
                .copied()
                .filter(|v: &f64| v.is_finite())
        };
        let ends = Ends {
            adaptive: last(fig.get(ids.loss_mc)),
            drops: (drops, drops_se),
            even: n.and(end(ids.loss_even)),
            preset: end(ids.loss_preset),
            constant: end(ids.loss_constant),
        };
        let first_drop = fig.get(ids.drops_one).x.first().copied();
        // The loss relaxes as (1 − (1−ν)η h_min/(1−μ))^{2t} at small η: its time constant.
        let relaxation = (1.0 - q.mu) / (2.0 * (1.0 - q.damp) * q.lr * q.h1.min(q.h2));
        fig.readouts = end_readouts(q.steps, &ends);
        fig.readouts.extend([
            Readout::new(
                "first_drop_one_run",
                "one run: step of its first drop",
                first_drop,
            ),
            Readout::new(
                "relaxation",
                "loss relaxation time at η₀, 1−μ over 2(1−ν)η₀h_min (steps)",
                Some(relaxation),
            ),
        ]);
    }
}
