//! `fdr1` — Yaida (2019), FDR1 and FDR1′ (Sec. 2.1, Eq. 17, Figs. 1–2): the half-running
//! averages (Eq. 15) of O_L = θ·∇f^B and O_R = (1+μ)η v²/(2(1−ν)) on the 2-D noisy quadratic,
//! from a start away from the minimum, converging to each other and to the exact stationary
//! value Tr(KΣ).
//!
//! Monte Carlo: `walkers` runs ([`crate::sim::half_running::batched_half_running`], the
//! ensemble means of O_L and O_R), in up to 32 independent batches whose spread gives the
//! standard error; one more run alone shows what a single training run sees (Yaida's figures
//! are single runs). Each point is one job: the runs are re-simulated from the same seeds up to
//! that point's time, so every point of a curve belongs to the same runs. Theory: the exact
//! expected half-running averages at every time ([`crate::theory::fdr_finite::Linear2::
//! expected_half_running`], the second-moment recursion from the start), and the stationary
//! value from [`crate::theory::fdr::fdr`].

use super::fdr_common::{self, as_x, normalized, times};
use super::kit::{figure, job_seed, largest_z};
use super::{Panel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesId, SeriesKind, Style};
use crate::model::Model;
use crate::params::Params;
use crate::sim::half_running::{batched_half_running, ensemble_half_running};
use crate::theory;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The panel.
pub struct Fdr1;

static SPEC: Spec = Spec {
    name: "fdr1",
    title: "FDR1: the half-running averages of O_L and O_R meet",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    reading: include_str!("reading.json"),
    source: "Yaida (2019), Sec. 2.1 (FDR1, FDR1′), Eqs. 10–11, 15, 17; Figs. 1–2",
    keys: &[
        "lr", "mu", "damp", "h1", "h2", "h_angle", "sigma2", "w0", "dist", "walkers", "steps",
        "points", "ylog", "seed",
    ],
    defaults,
    presets: &[
        ("SGD (Yaida's MLP, η = 0.1)", "mu=0&damp=0"),
        ("momentum μ = 0.9 (Yaida's CNN)", "mu=0.9&damp=0"),
        ("μ = 0.9, dampening ν = 0.5", "mu=0.9&damp=0.5"),
        ("start at the minimum", "w0=0&mu=0&damp=0"),
        ("Student-t noise", "dist=student"),
    ],
    live: false,
    heavy: false,
    accepts: &[],
    spectrum: None,
};

fn defaults(p: &mut Params) {
    fdr_common::defaults(p);
    p.w0 = 5.0;
    p.walkers = 1000;
    p.steps = 10_000;
    p.points = 30;
    p.ylog = true;
}

/// Most batches the runs are split into for standard errors.
const BATCHES: usize = 32;

/// The seed of the single run, apart from the batches' seeds.
const ONE_RUN: usize = 1 << 20;

/// A pair of series: one for O_L, one for O_R.
#[derive(Clone, Copy, Serialize, Deserialize)]
struct Pair {
    l: SeriesId,
    r: SeriesId,
}

/// What the Monte Carlo jobs and the readouts need.
#[derive(Serialize, Deserialize)]
pub struct Plan {
    /// The setting ([`normalized`]).
    setting: Params,
    /// The Monte Carlo times, one job each.
    checkpoints: Vec<u64>,
    /// The mean of the runs.
    mc: Pair,
    /// The exact expectations.
    exact: Pair,
    /// The single run.
    one: Pair,
    /// The model, built once where the plan is used.
    #[serde(skip)]
    model: OnceLock<Model>,
}

impl Plan {
    fn model(&self) -> &Model {
        self.model.get_or_init(|| self.setting.model())
    }
}

/// The stationary O_L = O_R = Tr(KΣ) (`None` without a stationary state).
fn stationary(q: &Params, model: &Model) -> Option<theory::fdr::Fdr> {
    let opt = q.optimizer();
    let st = theory::stationary(model, &opt).ok()?;
    theory::fdr::fdr(model, &opt, &st)
}

/// The continuous-time (Ornstein–Uhlenbeck) value Tr(KΣ_c), Σ_c from Liu et al. Eq. 1 with
/// the effective rate (1−ν)η/(1−μ): it is (1−ν)η Tr C/(2(1−μ)), the small-η limit of both
/// sides, blind to the C̃ − C = KΣK part of FDR1 (Yaida Sec. 2.3.3).
fn continuous(q: &Params, model: &Model) -> Option<f64> {
    let s = theory::continuous(model, &q.optimizer())?;
    Some((&model.k * s).trace())
}

/// The two plots: the mean of the runs, and one run.
fn plots(q: &Params) -> Vec<Plot> {
    let plot = |title: String| {
        let mut p = Plot::new("step t", "half-running average");
        p.title = title;
        p.x_log = true;
        p.y_log = q.ylog;
        p
    };
    vec![
        plot(format!("mean of {} runs", q.walkers)),
        plot("one run".into()),
    ]
}

/// The exact expected half-running averages on a dense log grid with the checkpoints in it.
fn add_exact(fig: &mut Figure, q: &Params, checkpoints: &[u64]) -> Pair {
    let mut tt = times(q.steps, 240, true);
    tt.extend(checkpoints);
    tt.sort_unstable();
    tt.dedup();
    let ex = fdr_common::linear(q).expected_half_running(&fdr_common::start_state(q), &tt);
    let curve =
        |name: &str, y: Vec<f64>| Series::new(name, SeriesKind::TheoryDiscrete, as_x(&tt), y);
    Pair {
        l: fig.add(curve("exact E Ō_L", ex.iter().map(|e| e.0).collect()).colored(5)),
        r: fig.add(
            curve("exact E Ō_R", ex.iter().map(|e| e.1).collect())
                .styled(Style::Dashed)
                .colored(4),
        ),
    }
}

/// A horizontal line at `level` over steps 1 … T.
fn level(name: &str, kind: SeriesKind, q: &Params, level: Option<f64>) -> Series {
    let ends = vec![1.0, q.steps.max(1) as f64];
    Series::new(name, kind, ends, vec![level.unwrap_or(f64::NAN); 2])
}

/// The single run's pending curves, in the second plot.
fn add_one_run(fig: &mut Figure, xs: &[f64]) -> Pair {
    let mut one = |name: &str, color| {
        let mut s = Series::pending(name, xs.to_vec())
            .in_plot(1)
            .styled(Style::Line)
            .colored(color);
        s.y_err = None;
        fig.add(s)
    };
    Pair {
        l: one("one run Ō_L", 5),
        r: one("one run Ō_R", 4),
    }
}

/// The readouts of the theory.
fn theory_readouts(st: Option<theory::fdr::Fdr>, cont: Option<f64>) -> Vec<Readout> {
    vec![
        Readout::new(
            "stationary",
            "stationary ⟨O_L⟩ = ⟨O_R⟩ = Tr(KΣ), exact",
            st.map(|f| f.theta_grad),
        ),
        Readout::new("continuous", "continuous-time value Tr(KΣ_c)", cont),
        Readout::new(
            "fdr1_rhs",
            "FDR1 right side (η/2)⟨Tr C̃⟩ (equals it when μ = ν = 0)",
            st.map(|f| f.fdr1_rhs),
        ),
    ]
}

/// The last value of a series and its standard error.
fn last(s: &Series) -> Option<(f64, Option<f64>)> {
    let j = s.y.len().checked_sub(1)?;
    let se = s.y_err.as_ref().and_then(|e| e.get(j).copied());
    Some((s.y[j], se))
}

impl Panel for Fdr1 {
    type Plan = Plan;

    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> (Plan, Figure) {
        let q = normalized(p);
        let model = q.model();
        let mut fig = figure(p, plots(&q));
        let checkpoints = times(q.steps, q.points as usize, true);
        let xs = as_x(&checkpoints);
        let pending = |name: &str, color| Series::pending(name, xs.clone()).colored(color);
        let mc = Pair {
            l: fig.add(pending("Monte Carlo Ō_L", 5)),
            r: fig.add(pending("Monte Carlo Ō_R", 4)),
        };
        let exact = add_exact(&mut fig, &q, &checkpoints);
        let st = stationary(&q, &model);
        let tr = st.map(|f| f.theta_grad);
        let stat = || level("stationary Tr(KΣ)", SeriesKind::TheoryDiscrete, &q, tr);
        fig.add(stat().styled(Style::Dotted).colored(7));
        let cont = continuous(&q, &model);
        let name = "continuous-time Tr(KΣ_c)";
        fig.add(level(name, SeriesKind::TheoryContinuous, &q, cont).colored(2));
        let one = add_one_run(&mut fig, &xs);
        fig.add(
            stat()
                .in_plot(1)
                .styled(Style::Dotted)
                .colored(7)
                .unlabelled(),
        );
        if st.is_none() {
            fig.plots[0].note = Some("no stationary state at this η, μ, ν".into());
        }
        fig.readouts = theory_readouts(st, cont);
        fig.jobs = xs.len();
        let plan = Plan {
            setting: q,
            checkpoints,
            mc,
            exact,
            one,
            model: OnceLock::from(model),
        };
        (plan, fig)
    }

    fn job(&self, plan: &Plan, i: usize) -> Vec<Patch> {
        let q = &plan.setting;
        let Some(&t) = plan.checkpoints.get(i) else {
            return Vec::new();
        };
        let Ok(dy) = q.dynamics(plan.model()) else {
            return Vec::new();
        };
        let w = fdr_common::start(q);
        let start = [w[0], w[1]];
        let walkers = q.walkers as usize;
        let batches = BATCHES.min(walkers / 16).max(1);
        let seed = |b| job_seed(q.seed, b);
        let [(l, l_se), (r, r_se)] = batched_half_running(&dy, &start, walkers, batches, t, seed);
        let single = ensemble_half_running(&dy, &start, 1, t, seed(ONE_RUN));
        vec![
            Patch::point(plan.mc.l, i, l, l_se),
            Patch::point(plan.mc.r, i, r, r_se),
            Patch::point(plan.one.l, i, Some(single.0), None),
            Patch::point(plan.one.r, i, Some(single.1), None),
        ]
    }

    fn finish(&self, plan: &Plan, fig: &mut Figure) {
        // Deviation of every Monte Carlo point from the exact expectation at its time, in
        // standard errors.
        let z = |mc: SeriesId, exact: SeriesId| {
            let e = fig.get(exact);
            largest_z(fig.get(mc), |x| {
                let j = e.x.iter().position(|&t| t == x)?;
                Some(e.y[j]).filter(|y| y.is_finite())
            })
        };
        let worst = [z(plan.mc.l, plan.exact.l), z(plan.mc.r, plan.exact.r)]
            .into_iter()
            .flatten()
            .reduce(f64::max);
        let mean = |id| last(fig.get(id)).unwrap_or((f64::NAN, None));
        let ((l, l_se), (r, r_se)) = (mean(plan.mc.l), mean(plan.mc.r));
        let (one_l, one_r) = (mean(plan.one.l).0, mean(plan.one.r).0);
        fig.readouts
            .retain(|r| ["stationary", "continuous", "fdr1_rhs"].contains(&r.key.as_str()));
        let t = plan.setting.steps;
        let at_end = |what: &str| format!("{what} at t = {t}, mean of the runs");
        fig.readouts.extend([
            Readout::new("o_l_final", &at_end("Ō_L"), Some(l)).with_se(l_se),
            Readout::new("o_r_final", &at_end("Ō_R"), Some(r)).with_se(r_se),
            Readout::new(
                "gap_one_run",
                &format!("one run: |Ō_L/Ō_R − 1| at t = {t}"),
                Some((one_l / one_r - 1.0).abs()),
            ),
            Readout::new(
                "z_max",
                "largest |Monte Carlo − exact expectation| in standard errors",
                worst,
            ),
        ]);
    }
}
