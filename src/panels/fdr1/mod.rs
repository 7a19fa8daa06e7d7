//! `fdr1` — Yaida (2019), FDR1 and FDR1′ (Sec. 2.1, Eq. 17, Figs. 1–2): the half-running
//! averages (Eq. 15) of O_L = θ·∇f^B and O_R = (1+μ)η v²/(2(1−ν)) on the 2-D noisy quadratic,
//! from a start away from the minimum, converging to each other and to the exact stationary
//! value Tr(KΣ).
//!
//! Monte Carlo: `walkers` runs ([`crate::sim::Ensemble`], its per-step ensemble means of O_L
//! and O_R), in up to 32 independent batches whose spread gives the standard error; one more
//! run alone shows what a single training run sees (Yaida's figures are single runs). Each
//! point is one job: the runs are re-simulated from the same seeds up to that point's time,
//! so every point of a curve belongs to the same runs. Theory: the exact expected
//! half-running averages at every time ([`crate::theory::fdr_finite::Linear2::
//! expected_half_running`], the second-moment recursion from the start), and the stationary
//! value from [`crate::theory::fdr::fdr`].

use super::fdr_common::{self, normalized};
use super::kit::{figure, job_seed};
use super::{LegacyPanel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesKind, Style};
use crate::params::Params;
use crate::sim::{Ensemble, Observables as Obs};
use crate::theory;

/// The panel.
pub struct Fdr1;

static SPEC: Spec = Spec {
    name: "fdr1",
    title: "FDR1: the half-running averages of O_L and O_R meet",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
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
        ("start at the minimum", "w0=0"),
        ("Student-t noise", "dist=student"),
    ],
    live: false,
};

fn defaults(p: &mut Params) {
    fdr_common::defaults(p);
    p.w0 = 5.0;
    p.walkers = 1000;
    p.steps = 10_000;
    p.points = 30;
    p.ylog = true;
}

/// Series indices.
const MC_L: usize = 0;
const MC_R: usize = 1;
const EX_L: usize = 2;
const EX_R: usize = 3;
const ONE_L: usize = 6;
const ONE_R: usize = 7;

/// Most batches the runs are split into for standard errors.
const BATCHES: usize = 32;

/// The Monte Carlo times: `points` log-spaced steps up to `steps`.
fn checkpoints(p: &Params) -> Vec<u64> {
    fdr_common::times(p.steps, p.points as usize, true)
}

/// The times of the exact curves: a dense log grid with the checkpoints in it.
fn theory_times(p: &Params) -> Vec<u64> {
    let mut t = fdr_common::times(p.steps, 240, true);
    t.extend(checkpoints(p));
    t.sort_unstable();
    t.dedup();
    t
}

/// The stationary O_L = O_R = Tr(KΣ) (`None` without a stationary state).
fn stationary(p: &Params) -> Option<theory::fdr::Fdr> {
    let q = normalized(p);
    let model = fdr_common::model(&q);
    let opt = q.optimizer();
    let st = theory::stationary(&model, &opt).ok()?;
    theory::fdr::fdr(&model, &opt, &st)
}

/// The continuous-time (Ornstein–Uhlenbeck) value Tr(KΣ_c), Σ_c from Liu et al. Eq. 1 with
/// the effective rate (1−ν)η/(1−μ): it is (1−ν)η Tr C/(2(1−μ)), the small-η limit of both
/// sides, blind to the C̃ − C = KΣK part of FDR1 (Yaida Sec. 2.3.3).
fn continuous(p: &Params) -> Option<f64> {
    let q = normalized(p);
    let model = fdr_common::model(&q);
    let s = theory::continuous(&model, &q.optimizer())?;
    Some((&model.k * s).trace())
}

/// Walkers in batch `b` of `batches`.
fn batch_size(walkers: usize, batches: usize, b: usize) -> usize {
    walkers * (b + 1) / batches - walkers * b / batches
}

/// Half-running averages of O_L and O_R of an ensemble's series at its last step.
fn half(s: &Obs) -> (f64, f64) {
    (
        Obs::half_running(&s.o_l).unwrap_or(f64::NAN),
        Obs::half_running(&s.o_r).unwrap_or(f64::NAN),
    )
}

impl LegacyPanel for Fdr1 {
    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> Figure {
        let q = normalized(p);
        let mut top = Plot::new("step t", "half-running average");
        top.title = format!("mean of {} runs", q.walkers);
        top.x_log = true;
        top.y_log = q.ylog;
        let mut bottom = Plot::new("step t", "half-running average");
        bottom.title = "one run".into();
        bottom.x_log = true;
        bottom.y_log = q.ylog;
        let mut fig = figure(p, vec![top, bottom]);
        let xs: Vec<f64> = checkpoints(&q).iter().map(|&t| t as f64).collect();
        fig.series
            .push(Series::pending("Monte Carlo Ō_L", xs.clone()).colored(5));
        fig.series
            .push(Series::pending("Monte Carlo Ō_R", xs.clone()).colored(4));
        let tt = theory_times(&q);
        let ex =
            fdr_common::linear(&q, q.lr).expected_half_running(&fdr_common::start_state(&q), &tt);
        let tx: Vec<f64> = tt.iter().map(|&t| t as f64).collect();
        fig.series.push(
            Series::new(
                "exact E Ō_L",
                SeriesKind::TheoryDiscrete,
                tx.clone(),
                ex.iter().map(|e| e.0).collect(),
            )
            .colored(5),
        );
        fig.series.push(
            Series::new(
                "exact E Ō_R",
                SeriesKind::TheoryDiscrete,
                tx,
                ex.iter().map(|e| e.1).collect(),
            )
            .styled(Style::Dashed)
            .colored(4),
        );
        let st = stationary(&q);
        let level = st.map_or(f64::NAN, |f| f.theta_grad);
        let ends = vec![1.0, q.steps.max(1) as f64];
        fig.series.push(
            Series::new(
                "stationary Tr(KΣ)",
                SeriesKind::TheoryDiscrete,
                ends.clone(),
                vec![level; 2],
            )
            .styled(Style::Dotted)
            .colored(7),
        );
        let cont = continuous(&q);
        fig.series.push(
            Series::new(
                "continuous-time Tr(KΣ_c)",
                SeriesKind::TheoryContinuous,
                ends.clone(),
                vec![cont.unwrap_or(f64::NAN); 2],
            )
            .colored(2),
        );
        let one = |name: &str, color| {
            let mut s = Series::pending(name, xs.clone())
                .in_plot(1)
                .styled(Style::Line)
                .colored(color);
            s.y_err = None;
            s
        };
        fig.series.push(one("one run Ō_L", 5));
        fig.series.push(one("one run Ō_R", 4));
        fig.series.push(
            Series::new(
                "stationary Tr(KΣ)",
                SeriesKind::TheoryDiscrete,
                ends,
                vec![level; 2],
            )
            .in_plot(1)
            .styled(Style::Dotted)
            .colored(7)
            .unlabelled(),
        );
        if st.is_none() {
            fig.plots[0].note = Some("no stationary state at this η, μ, ν".into());
        }
        fig.readouts = vec![
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
        ];
        fig.jobs = xs.len();
        fig
    }

    fn job(&self, p: &Params, i: usize) -> Vec<Patch> {
        let q = normalized(p);
        let Some(&t) = checkpoints(&q).get(i) else {
            return Vec::new();
        };
        let model = fdr_common::model(&q);
        let Ok(dy) = q.dynamics(&model) else {
            return Vec::new();
        };
        let w = fdr_common::start(&q);
        let run = |n: usize, seed: u64| {
            let mut e = Ensemble::new(2, n, seed);
            e.start_at(&[w[0], w[1]]);
            e.observe(true);
            e.advance(&dy, t);
            if e.diverged() > 0 {
                // Escaped walkers would bias the mean of the others: no value.
                return (f64::NAN, f64::NAN);
            }
            half(e.observed())
        };
        let walkers = q.walkers as usize;
        let batches = BATCHES.min(walkers / 16).max(1);
        let mut means = Vec::with_capacity(batches);
        for b in 0..batches {
            let n = batch_size(walkers, batches, b);
            means.push((n as f64, run(n, job_seed(q.seed, b))));
        }
        let pooled = |f: fn(&(f64, f64)) -> f64| -> (Option<f64>, Option<f64>) {
            let total: f64 = means.iter().map(|m| m.0).sum();
            let m = means.iter().map(|(n, v)| n * f(v)).sum::<f64>() / total;
            if !m.is_finite() {
                return (None, None);
            }
            if means.len() < 2 {
                return (Some(m), None);
            }
            let ss: f64 = means.iter().map(|(n, v)| n * (f(v) - m).powi(2)).sum();
            let se = (ss / ((means.len() - 1) as f64 * total)).sqrt();
            (Some(m), Some(se))
        };
        let (l, l_se) = pooled(|v| v.0);
        let (r, r_se) = pooled(|v| v.1);
        let single = run(1, job_seed(q.seed, 1 << 20));
        vec![
            Patch::point(MC_L, i, l, l_se),
            Patch::point(MC_R, i, r, r_se),
            Patch::point(ONE_L, i, Some(single.0), None),
            Patch::point(ONE_R, i, Some(single.1), None),
        ]
    }

    fn finish(&self, p: &Params, fig: &mut Figure) {
        let q = normalized(p);
        // Deviation of every Monte Carlo point from the exact expectation at its time, in
        // standard errors.
        let exact_at = |s: usize, x: f64| {
            let e = &fig.series[s];
            e.x.iter().position(|&t| t == x).map(|j| e.y[j])
        };
        let mut worst: Option<f64> = None;
        for (mc, ex) in [(MC_L, EX_L), (MC_R, EX_R)] {
            let s = &fig.series[mc];
            for (j, (&x, &y)) in s.x.iter().zip(&s.y).enumerate() {
                let se = s.y_err.as_ref().map_or(f64::NAN, |e| e[j]);
                if let Some(e) = exact_at(ex, x) {
                    let z = (y - e).abs() / se;
                    if z.is_finite() {
                        worst = Some(worst.map_or(z, |w: f64| w.max(z)));
                    }
                }
            }
        }
        let last = |s: usize| {
            let s = &fig.series[s];
            let j = s.y.len().checked_sub(1)?;
            let se = s.y_err.as_ref().and_then(|e| e.get(j).copied());
            Some((s.y[j], se))
        };
        let (l, l_se) = last(MC_L).unwrap_or((f64::NAN, None));
        let (r, r_se) = last(MC_R).unwrap_or((f64::NAN, None));
        let (one_l, one_r) = (
            last(ONE_L).map_or(f64::NAN, |v| v.0),
            last(ONE_R).map_or(f64::NAN, |v| v.0),
        );
        fig.readouts
            .retain(|r| ["stationary", "continuous", "fdr1_rhs"].contains(&r.key.as_str()));
        let t = q.steps;
        fig.readouts.push(
            Readout::new(
                "o_l_final",
                &format!("Ō_L at t = {t}, mean of the runs"),
                Some(l),
            )
            .with_se(l_se),
        );
        fig.readouts.push(
            Readout::new(
                "o_r_final",
                &format!("Ō_R at t = {t}, mean of the runs"),
                Some(r),
            )
            .with_se(r_se),
        );
        fig.readouts.push(Readout::new(
            "gap_one_run",
            &format!("one run: |Ō_L/Ō_R − 1| at t = {t}"),
            Some((one_l / one_r - 1.0).abs()),
        ));
        fig.readouts.push(Readout::new(
            "z_max",
            "largest |Monte Carlo − exact expectation| in standard errors",
            worst,
        ));
    }
}
