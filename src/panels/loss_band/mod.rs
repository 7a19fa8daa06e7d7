//! `loss-band` — the 2-D noisy quadratic model at stationarity (the blog post on Yaida's paper,
//! seed 000, its two pictures; Yaida 2019, Sec. 2.3.1): the loss of one SGD trajectory against
//! time, inside the band of its stationary distribution, for a well-conditioned and an
//! ill-conditioned Hessian side by side.
//!
//! The model: f(w) = ½wᵀKw with K = diag(h₁, h₂) (left) or diag(h₁, h₁/κ) (right), SGD
//! w' = w − η(Kw + n) with Gaussian noise n ~ N(0, C), C = σ²I + aK (white by default; C = K
//! is the NQM whose gradient-noise covariance is its Hessian, a preset).
//!
//! The band, exact. The stationary state is Gaussian, N(0, Σ), Σ the fixed point of
//! Σ = (I − ηK)Σ(I − ηK) + η²C ([`crate::theory::stationary`]). For w ~ N(0, Σ) write
//! w = Σ^{1/2}z, z ~ N(0, I); then f = ½zᵀMz with M = Σ^{1/2}KΣ^{1/2}, and with μᵢ the
//! eigenvalues of M (those of KΣ), f = ½Σμᵢzᵢ², so
//! ⟨f⟩ = ½Tr(KΣ),  Var f = ¼Σμᵢ²·Var(zᵢ²) = ½Σμᵢ² = ½Tr[(KΣ)²].
//! The band drawn is ⟨f⟩ ± √Var f.
//!
//! Yaida's FDR1 gives the same mean: θ·∇f = 2f on a quadratic, so ⟨f⟩ = (η/4)⟨Tr C̃⟩ exactly,
//! with C̃ = E[∇f^B∇f^Bᵀ] = C + KΣK (the trace of the Lyapunov equation,
//! 2Tr KΣ − ηTr K²Σ = ηTr C, says the same). The harmonic approximation of Sec. 2.3.1 as it is
//! used at small η replaces ⟨C̃⟩ by the noise C — the ∇f∇fᵀ part is O(η) — giving
//! ⟨f⟩ ≈ (η/4)Tr C, which is also the continuous-time (SDE) value ½Tr(KΣ_c),
//! KΣ_c + Σ_cK = ηC ([`crate::theory::continuous`]); its band uses ½Tr[(KΣ_c)²]. It is off by the
//! factor 2/(2 − ηhᵢ) per direction, so at large η.
//!
//! The test of the trajectory. One trajectory from w = 0, a burn-in (until the transient
//! r^{2t} < 10⁻⁶, at most `steps`), then `steps` steps whose loss is averaged. Successive
//! losses are correlated, so the standard error of the time average comes from batch means (up
//! to 32 batches); the exact asymptotic standard error is also computed from the loss's
//! autocovariance, Cov(f_t, f_{t+k}) = ½Σᵢ(hᵢΣᵢᵢ)²rᵢ^{2k}, rᵢ = 1 − ηhᵢ (K, C diagonal; the
//! coordinates are independent AR(1) processes), whose sum gives the integrated
//! autocorrelation time τ = Σᵢwᵢ(1 + rᵢ²)/(1 − rᵢ²) / Σᵢwᵢ, wᵢ = (hᵢΣᵢᵢ)².
//!
//! The model is the diagonal NQM of [`crate::theory::diagonal`] (no quartic term), which holds
//! these closed forms; the trajectory is [`crate::sim::diagonal::loss_trajectory`].

use super::kit::{figure, job_seed};
use super::{Panel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesId, SeriesKind, Style};
use crate::params::{Noise, Params};
use crate::sim::diagonal::loss_trajectory;
use crate::theory::diagonal::DiagonalNqm;
use serde::{Deserialize, Serialize};

/// The panel.
pub struct LossBand;

static SPEC: Spec = Spec {
    name: "loss-band",
    title: "The loss band of the 2-D NQM",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    reading: include_str!("reading.json"),
    source: "Blog post on Yaida (2019): the 2-D NQM loss band; Yaida (2019), FDR1 and \
             Sec. 2.3.1; Liu et al. (2021), Thm 1",
    keys: &["lr", "h1", "h2", "kappa", "sigma2", "a", "steps", "seed"],
    defaults,
    presets: &[
        ("small learning rate", "lr=0.1&sigma2=1&a=0"),
        ("near the stability limit", "lr=1.8&sigma2=1&a=0"),
        ("white noise", "sigma2=1&a=0"),
        ("noise ∝ Hessian (blog)", "sigma2=0&a=1&lr=0.5"),
    ],
    live: false,
    heavy: false,
    accepts: &[],
    spectrum: None,
};

fn defaults(p: &mut Params) {
    p.dim = 2;
    p.noise = Noise::Mixed;
    p.h1 = 1.0;
    p.h2 = 0.5;
    p.h_angle = 0.0;
    p.kappa = 100.0;
    p.sigma2 = 1.0;
    p.a = 0.0;
    p.lr = 0.5;
    p.walkers = 1;
    p.steps = 100_000;
}

/// Steps of the trajectory drawn (all `steps` enter the statistics).
pub const SHOWN: u64 = 500;

/// The names of the two sides, in readout keys and labels.
const SIDES: [(&str, &str); 2] = [("well", "well-conditioned"), ("ill", "ill-conditioned")];

/// Side `which` of the parameters: 0 the well-conditioned K = diag(h₁, h₂), 1 the
/// ill-conditioned K = diag(h₁, h₁/κ); C = σ²I + aK, no quartic term.
pub fn nqm(p: &Params, which: usize) -> DiagonalNqm {
    let h = if which == 0 {
        [p.h1, p.h2]
    } else {
        [p.h1, p.h1 / p.kappa]
    };
    DiagonalNqm::new(h, p.sigma2, p.a, 0.0)
}

/// What the Monte Carlo jobs and `finish` need.
#[derive(Serialize, Deserialize)]
pub struct Plan {
    /// Learning rate η, steps of the measured window, the figure's seed.
    lr: f64,
    steps: u64,
    seed: u64,
    /// The two models (job i runs side i).
    sides: [Side; 2],
}

/// One side of the figure.
#[derive(Serialize, Deserialize)]
struct Side {
    nqm: DiagonalNqm,
    theory: Theory,
    series: Handles,
}

/// The exact values of one side (see the module documentation).
#[derive(Clone, Copy, Serialize, Deserialize)]
struct Theory {
    /// Stationary mean and standard deviation of the loss, exact and harmonic.
    exact: Option<(f64, f64)>,
    harmonic: Option<(f64, f64)>,
    /// The burn-in of the trajectory.
    burn: u64,
    /// The exact expected loss over the trajectory's window.
    window_mean: Option<f64>,
    /// The exact asymptotic standard error of the time average, and the autocorrelation time.
    se_time_average: Option<f64>,
    tau: Option<f64>,
}

impl Theory {
    fn of(nqm: &DiagonalNqm, lr: f64, steps: u64) -> Theory {
        let burn = nqm.burn_in(lr, steps);
        Theory {
            exact: nqm.loss_band(lr),
            harmonic: nqm.loss_band_continuous(lr),
            burn,
            window_mean: nqm.loss_window_mean(lr, burn, steps),
            se_time_average: nqm.loss_time_average_se(lr, steps),
            tau: nqm.loss_autocorrelation_time(lr),
        }
    }
}

/// The Monte Carlo series of one side.
#[derive(Clone, Copy, Serialize, Deserialize)]
struct Handles {
    trajectory: SeriesId,
    mean: SeriesId,
    sd: SeriesId,
    fdr1: SeriesId,
}

/// The plot of one side: its title, the burn-in note, and the band's scale.
fn side_plot(p: &Params, which: usize, nqm: &DiagonalNqm, theory: &Theory) -> Plot {
    let shown = p.steps.min(SHOWN);
    let mut plot = Plot::new("step t after the burn-in", "loss f(w_t)");
    plot.title = format!(
        "{}: K = diag({}, {})",
        SIDES[which].1,
        fmt(nqm.h[0]),
        fmt(nqm.h[1])
    );
    plot.note = Some(if nqm.stable(p.lr) {
        format!(
            "burn-in {} steps; first {shown} of {} steps drawn",
            theory.burn, p.steps
        )
    } else {
        "no stationary state: needs 0 < ηhᵢ < 2".into()
    });
    if let (Some((m, s)), Some((mh, sh))) = (theory.exact, theory.harmonic) {
        // The band's scale: the rare peaks of the trajectory above it are cut.
        plot.y_range = Some((0.0, (m + 4.0 * s).max(mh + 4.0 * sh)));
    }
    plot
}

/// The series of one side, in plot `which`: the trajectory's `shown` steps and its Monte Carlo
/// summaries (pending), then the exact and harmonic levels and bands.
fn add_side(fig: &mut Figure, which: usize, theory: &Theory, shown: usize) -> Handles {
    let x1 = shown.saturating_sub(1).max(1) as f64;
    let xm = [x1 * 1.03, x1 * 1.06];
    let mut add = |s: Series| fig.add(s.in_plot(which));
    let steps: Vec<f64> = (0..shown).map(|t| t as f64).collect();
    let series = Handles {
        trajectory: add(Series::pending("trajectory", steps).styled(Style::Line)),
        mean: add(Series::pending("time average ± s.e. (batch means)", vec![xm[0]]).colored(0)),
        sd: add(Series::pending("time average ± s.d.", vec![xm[0], xm[0]])
            .colored(0)
            .unlabelled()),
        fdr1: add(Series::pending("FDR1: (η/4)·mean |∇f^B|²", vec![xm[1]]).colored(6)),
    };
    let bands = [
        (
            theory.exact,
            SeriesKind::TheoryDiscrete,
            "exact ½Tr(KΣ) = (η/4)Tr C̃",
            "exact ± s.d.",
            Style::Dashed,
        ),
        (
            theory.harmonic,
            SeriesKind::TheoryContinuous,
            "harmonic (η/4)Tr C = continuous",
            "harmonic ± s.d.",
            Style::Dotted,
        ),
    ];
    for (band, kind, mean, sd, style) in bands {
        let (x, y) = band.map_or((vec![], vec![]), |(m, _)| level(m, x1));
        add(Series::new(mean, kind, x, y));
        let (x, y) = band.map_or((vec![], vec![]), |(m, s)| pair(m, s, x1));
        add(Series::new(sd, kind, x, y).styled(style));
    }
    series
}

/// A Monte Carlo value of a series and its standard error, where finite (and positive).
fn value(fig: &Figure, id: SeriesId, j: usize) -> (Option<f64>, Option<f64>) {
    let s = fig.get(id);
    let y = s.y.get(j).copied().filter(|v| v.is_finite());
    let e = s
        .y_err
        .as_ref()
        .and_then(|e| e.get(j).copied())
        .filter(|v| v.is_finite() && *v > 0.0);
    (y, e)
}

/// The readouts of one side: its theory, and its trajectory against it.
fn side_readouts(side: &Side, which: usize, fig: &Figure) -> Vec<Readout> {
    let (pre, name) = SIDES[which];
    let (th, h) = (&side.theory, side.series);
    let key = |k: &str| format!("{pre}_{k}");
    let label = |s: &str| format!("{name}: {s}");
    let (mean, mean_se) = value(fig, h.mean, 0);
    let (upper, sd_se) = value(fig, h.sd, 0);
    let sd = upper.zip(mean).map(|(u, m)| u - m);
    let (fdr1, fdr1_se) = value(fig, h.fdr1, 0);
    let z = |want: Option<f64>| Some((mean? - want?) / mean_se?);
    vec![
        Readout::new(
            &key("mean_exact"),
            &label("exact mean loss ½Tr(KΣ) = (η/4)Tr C̃"),
            th.exact.map(|e| e.0),
        ),
        Readout::new(
            &key("sd_exact"),
            &label("exact s.d. of the loss √(½Tr[(KΣ)²])"),
            th.exact.map(|e| e.1),
        ),
        Readout::new(
            &key("mean_harmonic"),
            &label("harmonic mean loss (η/4)Tr C"),
            th.harmonic.map(|e| e.0),
        ),
        Readout::new(
            &key("sd_harmonic"),
            &label("harmonic s.d. √(½Tr[(KΣ_c)²])"),
            th.harmonic.map(|e| e.1),
        ),
        Readout::new(
            &key("mean_mc"),
            &label("trajectory's time average (± batch-means s.e.)"),
            mean,
        )
        .with_se(mean_se),
        Readout::new(
            &key("z_exact"),
            &label("(time average − exact) / s.e., exact over the same window"),
            z(th.window_mean),
        ),
        Readout::new(
            &key("z_harmonic"),
            &label("(time average − harmonic) / s.e."),
            z(th.harmonic.map(|e| e.0)),
        ),
        Readout::new(&key("sd_mc"), &label("trajectory's s.d. of the loss"), sd).with_se(sd_se),
        Readout::new(
            &key("fdr1_mc"),
            &label("FDR1 estimate (η/4)·mean |∇f^B|²"),
            fdr1,
        )
        .with_se(fdr1_se),
        Readout::new(
            &key("se_exact"),
            &label("exact asymptotic s.e. of the time average, √(Var f·τ/steps)"),
            th.se_time_average,
        ),
        Readout::new(
            &key("tau"),
            &label("integrated autocorrelation time τ of the loss (steps)"),
            th.tau,
        ),
    ]
}

/// A horizontal line from x = 0 to `x1` at `y`, and a pair at `y ± d` (broken by a NaN).
fn level(y: f64, x1: f64) -> (Vec<f64>, Vec<f64>) {
    (vec![0.0, x1], vec![y, y])
}

fn pair(y: f64, d: f64, x1: f64) -> (Vec<f64>, Vec<f64>) {
    (
        vec![0.0, x1, f64::NAN, 0.0, x1],
        vec![y + d, y + d, f64::NAN, y - d, y - d],
    )
}

fn fmt(x: f64) -> String {
    let s = format!("{x:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl Panel for LossBand {
    type Plan = Plan;

    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> (Plan, Figure) {
        let shown = p.steps.min(SHOWN) as usize;
        let models = [nqm(p, 0), nqm(p, 1)];
        let theory = models.map(|m| Theory::of(&m, p.lr, p.steps));
        let plots = (0..2)
            .map(|w| side_plot(p, w, &models[w], &theory[w]))
            .collect();
        let mut fig = figure(p, plots);
        let series = [0, 1].map(|w| add_side(&mut fig, w, &theory[w], shown));
        let sides = [0, 1].map(|w| Side {
            nqm: models[w],
            theory: theory[w],
            series: series[w],
        });
        fig.jobs = 2;
        let plan = Plan {
            lr: p.lr,
            steps: p.steps,
            seed: p.seed,
            sides,
        };
        (plan, fig)
    }

    fn job(&self, plan: &Plan, i: usize) -> Vec<Patch> {
        let Some(side) = plan.sides.get(i) else {
            return Vec::new();
        };
        let h = side.series;
        let seed = job_seed(plan.seed, i);
        let Some(tr) = loss_trajectory(&side.nqm, plan.lr, plan.steps, SHOWN, seed) else {
            return vec![Patch::point(h.mean, 0, None, None)];
        };
        let sd = tr.var.sqrt();
        let sd_se = tr.var_se.map(|s| s / (2.0 * sd));
        vec![
            Patch {
                series: h.trajectory,
                index: 0,
                x: None,
                y: tr.shown.clone(),
                y_err: None,
            },
            Patch::point(h.mean, 0, Some(tr.mean), tr.mean_se),
            Patch {
                series: h.sd,
                index: 0,
                x: None,
                y: vec![tr.mean + sd, tr.mean - sd],
                y_err: Some(vec![sd_se.unwrap_or(f64::NAN); 2]),
            },
            Patch::point(h.fdr1, 0, Some(tr.fdr1), tr.fdr1_se),
        ]
    }

    fn finish(&self, plan: &Plan, fig: &mut Figure) {
        let readouts = plan.sides.iter().enumerate();
        fig.readouts = readouts
            .flat_map(|(which, side)| side_readouts(side, which, fig))
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_deterministic_and_unstable_settings_give_no_value() {
        let mut p = crate::panels::query::defaults("loss-band");
        p.steps = 300;
        let (plan, _) = LossBand.plan(&p);
        assert_eq!(LossBand.job(&plan, 1), LossBand.job(&plan, 1));
        p.lr = 2.5;
        let fig = super::super::build(&p, 1).unwrap();
        assert!(fig.complete());
        assert!(fig
            .readouts
            .iter()
            .all(|r| r.value.is_none_or(f64::is_finite)));
        assert!(fig.plots[0]
            .note
            .as_ref()
            .unwrap()
            .contains("no stationary state"));
    }
}
