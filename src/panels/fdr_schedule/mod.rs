//! `fdr-schedule` — Yaida (2019), Sec. 3.3: the learning-rate schedule driven by FDR1′, run by
//! `walkers` independent runs on the 2-D noisy quadratic, each deciding its own drops from its
//! own half-running averages (the rule is applied to a single training run, as in the paper).
//! Beside it, deterministic schedules whose expected loss is exact
//! ([`crate::theory::fdr_finite::loss_under_schedule`]): the same number of drops evenly
//! spaced, Yaida's preset (÷10 every 100 epochs, his Fig. 4), and a constant learning rate.
//!
//! Each Monte Carlo point (a time t) is one job that re-simulates all runs from their fixed
//! seeds up to t, so the points of a curve belong to the same runs; one more job follows run 0
//! to the end and reports its learning rate and ratio at every check.

use super::fdr_common::{self, normalized};
use super::kit::{figure, job_seed, mean_se};
use super::{LegacyPanel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesKind, Style};
use crate::params::Params;
use crate::rng::math::LANES;
use crate::sim::runs::Runs16;
use nalgebra::DMatrix;
use std::collections::VecDeque;

/// Yaida's rule (Sec. 3.3): at the end of each epoch (every `epoch` steps), if
/// |Ō_L/Ō_R − 1| < X, then η → (1 − Y)η and the half-running averages restart (t = 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    /// Threshold X.
    pub x: f64,
    /// Fractional decrease Y.
    pub y: f64,
    /// Steps per epoch (between checks).
    pub epoch: u64,
}

/// One check of one run: the step, the learning rate in force, the ratio Ō_L/Ō_R, and
/// whether the rate dropped at it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Check {
    /// Global step t at the end of the epoch.
    pub t: u64,
    /// Learning rate during the epoch that just ended.
    pub lr: f64,
    /// Ō_L/Ō_R over the half-running window since the last restart.
    pub ratio: f64,
    /// Whether the rule lowered the learning rate here.
    pub dropped: bool,
}

/// Sixteen runs under Yaida's rule, each with its own learning rate and its own half-running
/// averages since its own last restart.
pub struct Adaptive16 {
    /// The runs.
    pub runs: Runs16,
    rule: Rule,
    /// Global steps taken.
    pub t: u64,
    since: [u64; LANES],
    sl: [f64; LANES],
    sr: [f64; LANES],
    /// (j, Σ O_L, Σ O_R) at τ = ⌊jE/2⌋ steps since the restart, for the windows to come.
    hist: Vec<VecDeque<(u64, f64, f64)>>,
    next_j: [u64; LANES],
    /// Drops so far, per run.
    pub drops: [u32; LANES],
}

impl Adaptive16 {
    /// Runs from `p` (its η is the starting rate) under `rule`, random numbers from `seed`.
    pub fn new(p: &Params, rule: Rule, seed: u64) -> Adaptive16 {
        let q = normalized(p);
        let model = fdr_common::model(&q);
        let w = fdr_common::start(&q);
        Adaptive16 {
            runs: Runs16::new(&model, q.lr, q.mu, q.damp, [w[0], w[1]], seed),
            rule,
            t: 0,
            since: [0; LANES],
            sl: [0.0; LANES],
            sr: [0.0; LANES],
            hist: vec![VecDeque::new(); LANES],
            next_j: [1; LANES],
            drops: [0; LANES],
        }
    }

    /// One step; at the end of an epoch, applies the rule and returns every run's check.
    pub fn step(&mut self) -> Option<[Check; LANES]> {
        let (o_l, o_r) = self.runs.step();
        self.t += 1;
        let e = self.rule.epoch.max(2);
        for i in 0..LANES {
            self.sl[i] += o_l[i];
            self.sr[i] += o_r[i];
            self.since[i] += 1;
            if self.since[i] == self.next_j[i] * e / 2 {
                self.hist[i].push_back((self.next_j[i], self.sl[i], self.sr[i]));
                self.next_j[i] += 1;
            }
        }
        if self.t % e != 0 {
            return None;
        }
        let mut out = [Check {
            t: self.t,
            lr: 0.0,
            ratio: f64::NAN,
            dropped: false,
        }; LANES];
        for (i, c) in out.iter_mut().enumerate() {
            // Restarts happen only at checks, so every run is a whole number k of epochs past
            // its restart, and its window starts at ⌊kE/2⌋: the history entry j = k.
            let k = self.since[i] / e;
            while self.hist[i].front().is_some_and(|h| h.0 < k) {
                self.hist[i].pop_front();
            }
            let (_, l0, r0) = *self.hist[i].front().expect("entry k was recorded");
            let n = (self.since[i] - k * e / 2) as f64;
            let ratio = ((self.sl[i] - l0) / n) / ((self.sr[i] - r0) / n);
            c.lr = self.runs.lr[i];
            c.ratio = ratio;
            if (ratio - 1.0).abs() < self.rule.x {
                c.dropped = true;
                self.runs.lr[i] *= 1.0 - self.rule.y;
                self.drops[i] += 1;
                self.since[i] = 0;
                self.sl[i] = 0.0;
                self.sr[i] = 0.0;
                self.hist[i].clear();
                self.next_j[i] = 1;
            }
        }
        Some(out)
    }
}

/// The panel.
pub struct FdrSchedule;

static SPEC: Spec = Spec {
    name: "fdr-schedule",
    title: "Yaida's FDR schedule, run live",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    source: "Yaida (2019), Sec. 3.3 and Fig. 4; Eqs. 15, 17",
    keys: &[
        "lr", "fdr_x", "fdr_y", "epoch", "mu", "damp", "h1", "h2", "sigma2", "w0", "walkers",
        "steps", "points", "seed",
    ],
    defaults,
    presets: &[
        ("Yaida: X = 0.01, Y = 0.1", "fdr_x=0.01&fdr_y=0.1"),
        ("Yaida Fig. S2: X = 0.1, Y = 0.3", "fdr_x=0.1&fdr_y=0.3"),
        ("start at the minimum", "w0=0"),
    ],
    live: false,
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

/// Series indices.
const LR_MC: usize = 0;
const LR_ONE: usize = 1;
const LR_EVEN: usize = 2;
const LOSS_MC: usize = 5;
const LOSS_EVEN: usize = 6;
const LOSS_PRESET: usize = 7;
const LOSS_CONST: usize = 8;
const RATIO_ONE: usize = 9;
const DROPS_ONE: usize = 11;

fn rule(p: &Params) -> Rule {
    Rule {
        x: p.fdr_x,
        y: p.fdr_y,
        epoch: p.epoch,
    }
}

/// The Monte Carlo times: `points` evenly spaced steps up to `steps`.
fn checkpoints(p: &Params) -> Vec<u64> {
    fdr_common::times(p.steps, p.points as usize, false)
}

/// Yaida's preset (his Fig. 4): η₀ divided by 10 every 100 epochs; the rate of step `s` (1-based).
pub fn preset_lr(p: &Params, s: u64) -> f64 {
    let period = 100 * p.epoch.max(1);
    p.lr * 0.1f64.powi(((s - 1) / period) as i32)
}

/// `drops` drops by (1 − Y) at steps jT/(drops + 1): the rate of step `s` (1-based).
pub fn even_lr(p: &Params, drops: u64, s: u64) -> f64 {
    let k = (s - 1) * (drops + 1) / p.steps.max(1);
    p.lr * (1.0 - p.fdr_y).powi(k.min(drops) as i32)
}

/// The exact expected loss at `times` under the schedule `lr`.
pub fn exact_loss(p: &Params, lr: impl Fn(u64) -> f64, times: &[u64]) -> Vec<f64> {
    let q = normalized(p);
    let (k, c) = fdr_common::k_c(&q);
    let w0 = fdr_common::start(&q);
    crate::theory::fdr_finite::loss_under_schedule(&k, &c, q.mu, q.damp, &w0, lr, times)
}

/// A schedule as a staircase over steps 1 … T (points at the corners).
fn staircase(p: &Params, lr: impl Fn(u64) -> f64) -> (Vec<f64>, Vec<f64>) {
    let (mut x, mut y) = (vec![1.0], vec![lr(1)]);
    let mut cur = lr(1);
    for s in 2..=p.steps.max(1) {
        let v = lr(s);
        if v != cur {
            x.extend([s as f64 - 1.0, s as f64 - 1.0]);
            y.extend([cur, v]);
            cur = v;
        }
    }
    x.push(p.steps.max(1) as f64);
    y.push(cur);
    (x, y)
}

/// The fine grid of the exact loss curves.
fn loss_times(p: &Params) -> Vec<u64> {
    fdr_common::times(p.steps, 300, false)
}

/// Runs of chunk `c` simulated for `t` steps.
fn chunk_at(
    p: &Params,
    c: usize,
    t: u64,
    mut on_check: impl FnMut(&Adaptive16, &[Check; LANES]),
) -> Adaptive16 {
    let mut a = Adaptive16::new(p, rule(p), job_seed(p.seed, c));
    while a.t < t {
        if let Some(ch) = a.step() {
            on_check(&a, &ch);
        }
    }
    a
}

impl LegacyPanel for FdrSchedule {
    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> Figure {
        let q = normalized(p);
        let mut lr_plot = Plot::new("step t", "learning rate η");
        lr_plot.y_log = true;
        let mut loss_plot = Plot::new("step t", "loss ½θᵀKθ");
        loss_plot.y_log = true;
        let mut ratio_plot = Plot::new("step t", "Ō_L / Ō_R, one run");
        ratio_plot.y_range = Some((0.0, 2.0));
        let mut fig = figure(p, vec![lr_plot, loss_plot, ratio_plot]);
        let xs: Vec<f64> = checkpoints(&q).iter().map(|&t| t as f64).collect();
        let t_end = q.steps.max(1) as f64;
        // Learning rates.
        fig.series
            .push(Series::pending("adaptive: geometric mean over runs", xs.clone()).colored(2));
        let mut one = Series::new("adaptive: one run", SeriesKind::MonteCarlo, vec![], vec![])
            .styled(Style::Line)
            .colored(2);
        one.y_err = None;
        fig.series.push(one);
        fig.series.push(
            Series::new(
                "same drops, evenly spaced",
                SeriesKind::TheoryOther,
                vec![],
                vec![],
            )
            .styled(Style::Line)
            .colored(0),
        );
        let (px, py) = staircase(&q, |s| preset_lr(&q, s));
        fig.series.push(
            Series::new(
                "preset: ÷10 per 100 epochs (Yaida)",
                SeriesKind::TheoryOther,
                px,
                py,
            )
            .styled(Style::Dashed)
            .colored(4),
        );
        fig.series.push(
            Series::new(
                "constant η₀",
                SeriesKind::TheoryOther,
                vec![1.0, t_end],
                vec![q.lr; 2],
            )
            .styled(Style::Dotted)
            .colored(7),
        );
        // Losses.
        let lt = loss_times(&q);
        let lx: Vec<f64> = lt.iter().map(|&t| t as f64).collect();
        fig.series.push(
            Series::pending("adaptive: mean loss", xs.clone())
                .colored(2)
                .in_plot(1),
        );
        fig.series.push(
            Series::new(
                "evenly spaced: exact",
                SeriesKind::TheoryDiscrete,
                lx.clone(),
                vec![f64::NAN; lx.len()],
            )
            .colored(0)
            .in_plot(1),
        );
        fig.series.push(
            Series::new(
                "preset: exact",
                SeriesKind::TheoryDiscrete,
                lx.clone(),
                exact_loss(&q, |s| preset_lr(&q, s), &lt),
            )
            .styled(Style::Dashed)
            .colored(4)
            .in_plot(1),
        );
        fig.series.push(
            Series::new(
                "constant η₀: exact",
                SeriesKind::TheoryDiscrete,
                lx,
                exact_loss(&q, |_| q.lr, &lt),
            )
            .styled(Style::Dotted)
            .colored(7)
            .in_plot(1),
        );
        // One run's ratio.
        let mut ratio = Series::new(
            "one run: Ō_L/Ō_R at each check",
            SeriesKind::MonteCarlo,
            vec![],
            vec![],
        )
        .styled(Style::Line)
        .colored(2)
        .in_plot(2);
        ratio.y_err = None;
        fig.series.push(ratio);
        fig.series.push(
            Series::new(
                "1 ± X",
                SeriesKind::TheoryOther,
                vec![1.0, t_end, f64::NAN, 1.0, t_end],
                vec![
                    1.0 + q.fdr_x,
                    1.0 + q.fdr_x,
                    f64::NAN,
                    1.0 - q.fdr_x,
                    1.0 - q.fdr_x,
                ],
            )
            .colored(7)
            .in_plot(2),
        );
        let mut drops = Series::new("drops", SeriesKind::MonteCarlo, vec![], vec![])
            .colored(5)
            .in_plot(2);
        drops.y_err = None;
        fig.series.push(drops);
        let st = fdr_common::linear(&q, q.lr);
        if crate::linalg::spectral_radius(&DMatrix::from_column_slice(4, 4, st.a.as_slice())) >= 1.0
        {
            fig.plots[1].note = Some("η₀ is beyond the stability limit: the runs diverge".into());
        }
        fig.jobs = xs.len() + 1;
        fig
    }

    fn job(&self, p: &Params, i: usize) -> Vec<Patch> {
        let q = normalized(p);
        let runs = q.walkers as usize;
        let chunks = runs.div_ceil(LANES);
        let cps = checkpoints(&q);
        if let Some(&t) = cps.get(i) {
            let (mut loss, mut log_lr) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
            for c in 0..chunks {
                let a = chunk_at(&q, c, t, |_, _| {});
                let l = a.runs.loss();
                let take = (runs - c * LANES).min(LANES);
                loss.extend_from_slice(&l[..take]);
                log_lr.extend(a.runs.lr[..take].iter().map(|v| v.ln()));
            }
            let (lm, lse) = mean_se(&loss);
            let (gm, gse) = mean_se(&log_lr);
            let g = gm.map(f64::exp);
            return vec![
                Patch::point(LOSS_MC, i, lm, lse),
                Patch::point(LR_MC, i, g, g.zip(gse).map(|(g, s)| g * s)),
            ];
        }
        if i != cps.len() {
            return Vec::new();
        }
        // The last job: one run (run 0) all the way, its learning rate and ratio at each check.
        let (mut lx, mut ly) = (vec![1.0], vec![q.lr]);
        let (mut rx, mut ry) = (Vec::new(), Vec::new());
        let (mut dx, mut dy) = (Vec::new(), Vec::new());
        chunk_at(&q, 0, q.steps, |a, ch| {
            let c = ch[0];
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
        let whole = |series: usize, x: Vec<f64>, y: Vec<f64>| Patch {
            series: series.into(),
            index: 0,
            x: Some(x),
            y,
            y_err: None,
        };
        vec![
            whole(LR_ONE, lx, ly),
            whole(RATIO_ONE, rx, ry),
            whole(DROPS_ONE, dx, dy),
        ]
    }

    fn finish(&self, p: &Params, fig: &mut Figure) {
        let q = normalized(p);
        fig.readouts.clear();
        let last = |s: usize| -> (Option<f64>, Option<f64>) {
            let s = &fig.series[s];
            match s.y.last() {
                Some(&y) if y.is_finite() => {
                    (Some(y), s.y_err.as_ref().and_then(|e| e.last().copied()))
                }
                _ => (None, None),
            }
        };
        let (loss, loss_se) = last(LOSS_MC);
        let (g, g_se) = last(LR_MC);
        // The mean number of drops: η_T = η₀(1 − Y)^n per run, so the mean of n is
        // ln(geometric-mean η / η₀)/ln(1 − Y).
        let per = (1.0 - q.fdr_y).ln();
        let drops = g.map(|g| (g / q.lr).ln() / per + 0.0);
        let drops_se = g.zip(g_se).map(|(g, s)| s / g / per.abs());
        let n = drops
            .filter(|d| d.is_finite())
            .map(|d| d.round().max(0.0) as u64);
        let lt = loss_times(&q);
        if let Some(n) = n {
            let (x, y) = staircase(&q, |s| even_lr(&q, n, s));
            fig.series[LR_EVEN].x = x;
            fig.series[LR_EVEN].y = y;
            fig.series[LOSS_EVEN].y = exact_loss(&q, |s| even_lr(&q, n, s), &lt);
        }
        let end = |s: usize| fig.series[s].y.last().copied().filter(|v| v.is_finite());
        let (even, preset, constant) = (n.and(end(LOSS_EVEN)), end(LOSS_PRESET), end(LOSS_CONST));
        let t = q.steps;
        fig.readouts.push(
            Readout::new(
                "loss_adaptive",
                &format!("adaptive: mean loss at t = {t}"),
                loss,
            )
            .with_se(loss_se),
        );
        fig.readouts.push(
            Readout::new("drops_mean", "adaptive: mean number of drops", drops).with_se(drops_se),
        );
        fig.readouts.push(Readout::new(
            "loss_even",
            "same drops evenly spaced: exact loss at the end",
            even,
        ));
        fig.readouts.push(Readout::new(
            "loss_preset",
            "Yaida's preset: exact loss at the end",
            preset,
        ));
        fig.readouts.push(Readout::new(
            "loss_constant",
            "constant η₀: exact loss at the end",
            constant,
        ));
        let z = |other: Option<f64>| loss.zip(loss_se).zip(other).map(|((l, s), o)| (l - o) / s);
        fig.readouts.push(Readout::new(
            "z_even",
            "(adaptive − evenly spaced) in standard errors (negative: adaptive lower)",
            z(even),
        ));
        fig.readouts.push(Readout::new(
            "z_preset",
            "(adaptive − preset) in standard errors",
            z(preset),
        ));
        fig.readouts.push(Readout::new(
            "z_constant",
            "(adaptive − constant) in standard errors",
            z(constant),
        ));
        let one = &fig.series[DROPS_ONE];
        fig.readouts.push(Readout::new(
            "first_drop_one_run",
            "one run: step of its first drop",
            one.x.first().copied(),
        ));
        // The loss relaxes as (1 − (1−ν)η h_min/(1−μ))^{2t} at small η: its time constant.
        let h_min = q.h1.min(q.h2);
        fig.readouts.push(Readout::new(
            "relaxation",
            "loss relaxation time at η₀, 1−μ over 2(1−ν)η₀h_min (steps)",
            Some((1.0 - q.mu) / (2.0 * (1.0 - q.damp) * q.lr * h_min)),
        ));
    }
}
