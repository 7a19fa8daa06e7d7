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
//! Σ = (I − ηK)Σ(I − ηK) + η²C ([`theory::stationary`]). For w ~ N(0, Σ) write
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
//! KΣ_c + Σ_cK = ηC ([`theory::continuous`]); its band uses ½Tr[(KΣ_c)²]. It is off by the
//! factor 2/(2 − ηhᵢ) per direction, so at large η.
//!
//! The test of the trajectory. One trajectory from w = 0, a burn-in (until the transient
//! r^{2t} < 10⁻⁶, at most `steps`), then `steps` steps whose loss is averaged. Successive
//! losses are correlated, so the standard error of the time average comes from batch means (up
//! to 32 batches); the exact asymptotic standard error is also computed from the loss's
//! autocovariance, Cov(f_t, f_{t+k}) = ½Σᵢ(hᵢΣᵢᵢ)²rᵢ^{2k}, rᵢ = 1 − ηhᵢ (K, C diagonal; the
//! coordinates are independent AR(1) processes), whose sum gives the integrated
//! autocorrelation time τ = Σᵢwᵢ(1 + rᵢ²)/(1 − rᵢ²) / Σᵢwᵢ, wᵢ = (hᵢΣᵢᵢ)².

use super::kit::{figure, job_seed};
use super::{LegacyPanel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesKind, Style};
use crate::model::Model;
use crate::optimizer::Optimizer;
use crate::params::{Noise, Params};
use crate::rng::{LaneRng, Scalar};
use crate::sim::ESCAPE_RADIUS;
use crate::theory;
use nalgebra::DMatrix;

/// The panel.
pub struct LossBand;

static SPEC: Spec = Spec {
    name: "loss-band",
    title: "The loss band of the 2-D NQM",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    source: "Blog post on Yaida (2019): the 2-D NQM loss band; Yaida (2019), FDR1 and \
             Sec. 2.3.1; Liu et al. (2021), Thm 1",
    keys: &["lr", "h1", "h2", "kappa", "sigma2", "a", "steps", "seed"],
    defaults,
    presets: &[
        ("small learning rate", "lr=0.1"),
        ("near the stability limit", "lr=1.8"),
        ("white noise", "sigma2=1&a=0"),
        ("noise ∝ Hessian (blog)", "sigma2=0&a=1"),
    ],
    live: false,
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

/// Most batches of the batch-means standard error.
pub const BATCHES: u64 = 32;

/// Series per plot, and their offsets.
const PER_PLOT: usize = 8;
const TRAJ: usize = 0;
const MEAN_MC: usize = 1;
const SD_MC: usize = 2;
const FDR1_MC: usize = 3;
const MEAN_EXACT: usize = 4;
const BAND_EXACT: usize = 5;
const MEAN_HARM: usize = 6;
const BAND_HARM: usize = 7;

/// One of the two models: K = diag(h), C = diag(c), learning rate η.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Nqm {
    /// Hessian eigenvalues.
    pub h: [f64; 2],
    /// Noise variances (C = σ²I + aK).
    pub c: [f64; 2],
    /// Learning rate η.
    pub lr: f64,
}

impl Nqm {
    /// Plot `which` of the parameters: 0 the well-conditioned K = diag(h₁, h₂), 1 the
    /// ill-conditioned K = diag(h₁, h₁/κ).
    pub fn from_params(p: &Params, which: usize) -> Nqm {
        let h = if which == 0 {
            [p.h1, p.h2]
        } else {
            [p.h1, p.h1 / p.kappa]
        };
        Nqm {
            h,
            c: [p.sigma2 + p.a * h[0], p.sigma2 + p.a * h[1]],
            lr: p.lr,
        }
    }

    /// The model (K, C).
    pub fn model(&self) -> Model {
        Model::diagonal(&self.h, &self.c)
    }

    /// Whether a stationary state exists: 0 < ηhᵢ < 2.
    pub fn stable(&self) -> bool {
        self.h.iter().all(|&h| h > 0.0 && self.lr * h < 2.0)
    }

    /// Exact stationary mean ½Tr(KΣ) and standard deviation √(½Tr[(KΣ)²]) of the loss, Σ from
    /// the exact discrete theory.
    pub fn exact(&self) -> Option<(f64, f64)> {
        if !self.stable() {
            return None;
        }
        let model = self.model();
        let st = theory::stationary(&model, &Optimizer::sgd(self.lr, 0.0, 2)).ok()?;
        Some(band(&model.k, &st.sigma))
    }

    /// The harmonic (continuous-time) band: mean (η/4)Tr C = ½Tr(KΣ_c), standard deviation
    /// √(½Tr[(KΣ_c)²]).
    pub fn harmonic(&self) -> Option<(f64, f64)> {
        if !self.stable() {
            return None;
        }
        let model = self.model();
        let s = theory::continuous(&model, &Optimizer::sgd(self.lr, 0.0, 2))?;
        Some(band(&model.k, &s))
    }

    /// hᵢΣᵢᵢ = ηcᵢ/(2 − ηhᵢ) and rᵢ² = (1 − ηhᵢ)² per direction.
    fn directions(&self) -> [(f64, f64); 2] {
        let l = self.lr;
        [0, 1].map(|i| {
            let (h, c) = (self.h[i], self.c[i]);
            (l * c / (2.0 - l * h), (1.0 - l * h) * (1.0 - l * h))
        })
    }

    /// Burn-in before the measured window: the t with max rᵢ^{2t} ≤ 10⁻⁶, at most `steps`.
    pub fn burn_in(&self, steps: u64) -> u64 {
        if !self.stable() {
            return 0;
        }
        let r2 = self.directions().iter().map(|d| d.1).fold(0.0, f64::max);
        if r2 <= 0.0 {
            return 0;
        }
        let t = (1e-6f64.ln() / r2.ln()).ceil();
        if t.is_finite() && t < steps as f64 {
            t.max(0.0) as u64
        } else {
            steps
        }
    }

    /// The exact expected loss averaged over the states t = `burn` … `burn + steps − 1` of a
    /// trajectory from w = 0 (what the time average estimates): per direction Σ_t =
    /// Σ(1 − r^{2t}), so ½Σᵢ hᵢΣᵢᵢ [1 − r^{2b}(1 − r^{2L})/(L(1 − r²))], 1 − r² = ηh(2 − ηh).
    pub fn window_mean(&self, burn: u64, steps: u64) -> Option<f64> {
        if !self.stable() || steps == 0 {
            return None;
        }
        let len = steps as f64;
        let mut total = 0.0;
        for (i, (hs, r2)) in self.directions().into_iter().enumerate() {
            let x = self.lr * self.h[i];
            let transient = r2.powf(burn as f64) * (1.0 - r2.powf(len)) / (len * x * (2.0 - x));
            total += 0.5 * hs * (1.0 - transient);
        }
        Some(total)
    }

    /// The integrated autocorrelation time of the stationary loss, τ = Σ_k Corr(f_t, f_{t+k})
    /// over all k ∈ ℤ (see the module documentation).
    pub fn tau(&self) -> Option<f64> {
        if !self.stable() {
            return None;
        }
        let (mut num, mut den) = (0.0, 0.0);
        for (hs, r2) in self.directions() {
            let w = hs * hs;
            num += w * (1.0 + r2) / (1.0 - r2);
            den += w;
        }
        (den > 0.0).then(|| num / den)
    }

    /// The exact standard error of a time average over `steps` stationary steps, for large
    /// `steps`: √(Var f · τ / steps).
    pub fn se_time_average(&self, steps: u64) -> Option<f64> {
        let (_, sd) = self.exact()?;
        let tau = self.tau()?;
        (steps > 0).then(|| sd * (tau / steps as f64).sqrt())
    }
}

/// ½Tr(KΣ) and √(½Tr[(KΣ)²]).
fn band(k: &DMatrix<f64>, s: &DMatrix<f64>) -> (f64, f64) {
    let ks = k * s;
    (
        0.5 * ks.trace(),
        (0.5 * (&ks * &ks).trace()).max(0.0).sqrt(),
    )
}

/// What one trajectory gives.
#[derive(Clone, Debug, PartialEq)]
pub struct Trajectory {
    /// Steps discarded before the window.
    pub burn: u64,
    /// The loss at the first min(`steps`, [`SHOWN`]) states of the window.
    pub shown: Vec<f64>,
    /// Time average of the loss over the window.
    pub mean: f64,
    /// Its batch-means standard error.
    pub mean_se: Option<f64>,
    /// The loss's variance over the window (about its own mean).
    pub var: f64,
    /// Its batch-means standard error (linearised: batch values of f² − 2 f̄ f).
    pub var_se: Option<f64>,
    /// Yaida's FDR1 estimate (η/4)·mean |∇f^B|² (the minibatch gradient of each step).
    pub fdr1: f64,
    /// Its batch-means standard error.
    pub fdr1_se: Option<f64>,
    /// Number of batches.
    pub batches: usize,
}

/// Mean and standard error of batch values.
fn batch_se(values: &[f64]) -> Option<f64> {
    let b = values.len();
    if b < 2 {
        return None;
    }
    let m = values.iter().sum::<f64>() / b as f64;
    let v = values.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (b - 1) as f64;
    Some((v / b as f64).sqrt())
}

/// One trajectory of SGD on `nqm` from w = 0 with random numbers from `seed`: a burn-in
/// ([`Nqm::burn_in`]), then `steps` steps whose loss (at each state, before its step) is
/// summarised by batch means. `None` if it leaves the escape radius or `steps` = 0.
pub fn run(nqm: &Nqm, steps: u64, seed: u64) -> Option<Trajectory> {
    if steps == 0 {
        return None;
    }
    let burn = nqm.burn_in(steps);
    let batches = BATCHES.min(steps / 2).max(1);
    let mut sums = vec![[0.0f64; 4]; batches as usize];
    let mut shown = Vec::with_capacity(steps.min(SHOWN) as usize);
    let mut rng = LaneRng::new(seed);
    let mut sc = Scalar::default();
    let sd = [nqm.c[0].max(0.0).sqrt(), nqm.c[1].max(0.0).sqrt()];
    let (h, lr) = (nqm.h, nqm.lr);
    let mut w = [0.0f64; 2];
    for t in 0..burn + steps {
        let z = [sc.normal(&mut rng), sc.normal(&mut rng)];
        let g = [h[0] * w[0] + sd[0] * z[0], h[1] * w[1] + sd[1] * z[1]];
        if t >= burn {
            let j = t - burn;
            let f = 0.5 * (h[0] * w[0] * w[0] + h[1] * w[1] * w[1]);
            let b = &mut sums[(j * batches / steps) as usize];
            b[0] += f;
            b[1] += f * f;
            b[2] += g[0] * g[0] + g[1] * g[1];
            b[3] += 1.0;
            if j < SHOWN {
                shown.push(f);
            }
        }
        w = [w[0] - lr * g[0], w[1] - lr * g[1]];
        if !(w[0].abs() <= ESCAPE_RADIUS && w[1].abs() <= ESCAPE_RADIUS) {
            return None;
        }
    }
    let total = |k: usize| sums.iter().map(|b| b[k]).sum::<f64>() / steps as f64;
    let (mean, m2, gsq) = (total(0), total(1), total(2));
    let per_batch = |f: &dyn Fn(&[f64; 4]) -> f64| sums.iter().map(f).collect::<Vec<f64>>();
    let mean_se = batch_se(&per_batch(&|b| b[0] / b[3]));
    let var_se = batch_se(&per_batch(&|b| (b[1] - 2.0 * mean * b[0]) / b[3]));
    let fdr1_se = batch_se(&per_batch(&|b| lr / 4.0 * b[2] / b[3]));
    Some(Trajectory {
        burn,
        shown,
        mean,
        mean_se,
        var: (m2 - mean * mean).max(0.0),
        var_se,
        fdr1: lr / 4.0 * gsq,
        fdr1_se,
        batches: batches as usize,
    })
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

impl LegacyPanel for LossBand {
    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> Figure {
        let mut plots = Vec::new();
        let mut series = Vec::new();
        let shown = p.steps.min(SHOWN) as usize;
        let x1 = shown.saturating_sub(1).max(1) as f64;
        let xm = [x1 * 1.03, x1 * 1.06];
        for which in 0..2 {
            let nqm = Nqm::from_params(p, which);
            let mut plot = Plot::new("step t after the burn-in", "loss f(w_t)");
            plot.title = format!(
                "{}: K = diag({}, {})",
                if which == 0 {
                    "well-conditioned"
                } else {
                    "ill-conditioned"
                },
                fmt(nqm.h[0]),
                fmt(nqm.h[1])
            );
            let exact = nqm.exact();
            let harm = nqm.harmonic();
            plot.note = if nqm.stable() {
                Some(format!(
                    "burn-in {} steps; first {} of {} steps drawn",
                    nqm.burn_in(p.steps),
                    shown,
                    p.steps
                ))
            } else {
                Some("no stationary state: needs 0 < ηhᵢ < 2".into())
            };
            if let (Some((m, s)), Some((mh, sh))) = (exact, harm) {
                // The band's scale: the rare peaks of the trajectory above it are cut.
                plot.y_range = Some((0.0, (m + 4.0 * s).max(mh + 4.0 * sh)));
            }
            plots.push(plot);
            let base = series.len();
            debug_assert_eq!(base, which * PER_PLOT);
            let here = |s: Series| s.in_plot(which);
            series.push(here(
                Series::pending(
                    "trajectory",
                    (0..shown).map(|t| t as f64).collect::<Vec<_>>(),
                )
                .styled(Style::Line),
            ));
            series.push(here(
                Series::pending("time average ± s.e. (batch means)", vec![xm[0]]).colored(0),
            ));
            series.push(here(
                Series::pending("time average ± s.d.", vec![xm[0], xm[0]])
                    .colored(0)
                    .unlabelled(),
            ));
            series.push(here(
                Series::pending("FDR1: (η/4)·mean |∇f^B|²", vec![xm[1]]).colored(6),
            ));
            debug_assert_eq!(series.len(), base + MEAN_EXACT);
            let (x, y) = exact.map_or((vec![], vec![]), |(m, _)| level(m, x1));
            series.push(here(Series::new(
                "exact ½Tr(KΣ) = (η/4)Tr C̃",
                SeriesKind::TheoryDiscrete,
                x,
                y,
            )));
            debug_assert_eq!(series.len(), base + BAND_EXACT);
            let (x, y) = exact.map_or((vec![], vec![]), |(m, s)| pair(m, s, x1));
            series.push(here(
                Series::new("exact ± s.d.", SeriesKind::TheoryDiscrete, x, y).styled(Style::Dashed),
            ));
            debug_assert_eq!(series.len(), base + MEAN_HARM);
            let (x, y) = harm.map_or((vec![], vec![]), |(m, _)| level(m, x1));
            series.push(here(Series::new(
                "harmonic (η/4)Tr C = continuous",
                SeriesKind::TheoryContinuous,
                x,
                y,
            )));
            debug_assert_eq!(series.len(), base + BAND_HARM);
            let (x, y) = harm.map_or((vec![], vec![]), |(m, s)| pair(m, s, x1));
            series.push(here(
                Series::new("harmonic ± s.d.", SeriesKind::TheoryContinuous, x, y)
                    .styled(Style::Dotted),
            ));
        }
        let mut fig = figure(p, plots);
        fig.series = series;
        fig.jobs = 2;
        fig
    }

    fn job(&self, p: &Params, i: usize) -> Vec<Patch> {
        if i >= 2 {
            return Vec::new();
        }
        let nqm = Nqm::from_params(p, i);
        let base = i * PER_PLOT;
        let Some(tr) = run(&nqm, p.steps, job_seed(p.seed, i)) else {
            return vec![Patch::point(base + MEAN_MC, 0, None, None)];
        };
        let sd = tr.var.sqrt();
        let sd_se = tr.var_se.map(|s| s / (2.0 * sd));
        vec![
            Patch {
                series: (base + TRAJ).into(),
                index: 0,
                x: None,
                y: tr.shown.clone(),
                y_err: None,
            },
            Patch::point(base + MEAN_MC, 0, Some(tr.mean), tr.mean_se),
            Patch {
                series: (base + SD_MC).into(),
                index: 0,
                x: None,
                y: vec![tr.mean + sd, tr.mean - sd],
                y_err: Some(vec![sd_se.unwrap_or(f64::NAN); 2]),
            },
            Patch::point(base + FDR1_MC, 0, Some(tr.fdr1), tr.fdr1_se),
        ]
    }

    fn finish(&self, p: &Params, fig: &mut Figure) {
        let mut readouts = Vec::new();
        for which in 0..2 {
            let nqm = Nqm::from_params(p, which);
            let base = which * PER_PLOT;
            let pre = ["well", "ill"][which];
            let label =
                |s: &str| format!("{}: {s}", ["well-conditioned", "ill-conditioned"][which]);
            let exact = nqm.exact();
            let harm = nqm.harmonic();
            let burn = nqm.burn_in(p.steps);
            let window = nqm.window_mean(burn, p.steps);
            let get = |k: usize, j: usize| -> (Option<f64>, Option<f64>) {
                let s = &fig.series[base + k];
                let y = s.y.get(j).copied().filter(|v| v.is_finite());
                let e = s
                    .y_err
                    .as_ref()
                    .and_then(|e| e.get(j).copied())
                    .filter(|v| v.is_finite() && *v > 0.0);
                (y, e)
            };
            let (mean, mean_se) = get(MEAN_MC, 0);
            let (upper, sd_se) = get(SD_MC, 0);
            let sd = upper.zip(mean).map(|(u, m)| u - m);
            let (fdr1, fdr1_se) = get(FDR1_MC, 0);
            let z = |want: Option<f64>| -> Option<f64> {
                let (m, se, w) = (mean?, mean_se?, want?);
                Some((m - w) / se)
            };
            let key = |k: &str| format!("{pre}_{k}");
            readouts.extend([
                Readout::new(
                    &key("mean_exact"),
                    &label("exact mean loss ½Tr(KΣ) = (η/4)Tr C̃"),
                    exact.map(|e| e.0),
                ),
                Readout::new(
                    &key("sd_exact"),
                    &label("exact s.d. of the loss √(½Tr[(KΣ)²])"),
                    exact.map(|e| e.1),
                ),
                Readout::new(
                    &key("mean_harmonic"),
                    &label("harmonic mean loss (η/4)Tr C"),
                    harm.map(|e| e.0),
                ),
                Readout::new(
                    &key("sd_harmonic"),
                    &label("harmonic s.d. √(½Tr[(KΣ_c)²])"),
                    harm.map(|e| e.1),
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
                    z(window),
                ),
                Readout::new(
                    &key("z_harmonic"),
                    &label("(time average − harmonic) / s.e."),
                    z(harm.map(|e| e.0)),
                ),
                Readout::new(&key("sd_mc"), &label("trajectory's s.d. of the loss"), sd)
                    .with_se(sd_se),
                Readout::new(
                    &key("fdr1_mc"),
                    &label("FDR1 estimate (η/4)·mean |∇f^B|²"),
                    fdr1,
                )
                .with_se(fdr1_se),
                Readout::new(
                    &key("se_exact"),
                    &label("exact asymptotic s.e. of the time average, √(Var f·τ/steps)"),
                    nqm.se_time_average(p.steps),
                ),
                Readout::new(
                    &key("tau"),
                    &label("integrated autocorrelation time τ of the loss (steps)"),
                    nqm.tau(),
                ),
            ]);
        }
        fig.readouts = readouts;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_forms_match_the_shared_solvers() {
        let nqm = Nqm {
            h: [1.0, 0.05],
            c: [0.7, 0.2],
            lr: 1.3,
        };
        let (m, s) = nqm.exact().unwrap();
        let d = nqm.directions();
        let mc: f64 = d.iter().map(|x| 0.5 * x.0).sum();
        let sc: f64 = (d.iter().map(|x| 0.5 * x.0 * x.0).sum::<f64>()).sqrt();
        assert!(
            (m - mc).abs() < 1e-12 && (s - sc).abs() < 1e-12,
            "{m} {mc} {s} {sc}"
        );
        // (η/4)Tr C̃ with C̃ = C + KΣK equals ½Tr(KΣ) (FDR1 on a quadratic).
        let model = nqm.model();
        let opt = Optimizer::sgd(nqm.lr, 0.0, 2);
        let st = theory::stationary(&model, &opt).unwrap();
        let f = theory::fdr::fdr(&model, &opt, &st).unwrap();
        assert!((nqm.lr / 4.0 * f.tr_c_tilde - m).abs() < 1e-12);
        let (mh, _) = nqm.harmonic().unwrap();
        assert!((mh - nqm.lr / 4.0 * 0.9).abs() < 1e-12);
        // A long window is stationary; a window from 0 is below.
        let long = nqm.window_mean(2000, 10).unwrap();
        assert!((long - m).abs() < 1e-12);
        let early = nqm.window_mean(0, 10).unwrap();
        assert!(early < m);
        // …and equals the direct recursion.
        let mut sig = [0.0f64; 2];
        let mut sum = 0.0;
        for _ in 0..10 {
            sum += 0.5 * (nqm.h[0] * sig[0] + nqm.h[1] * sig[1]);
            for (i, si) in sig.iter_mut().enumerate() {
                *si = (1.0 - nqm.lr * nqm.h[i]).powi(2) * *si + nqm.lr.powi(2) * nqm.c[i];
            }
        }
        assert!((early - sum / 10.0).abs() < 1e-12, "{early} {}", sum / 10.0);
    }

    #[test]
    fn tau_of_one_direction_is_the_ar1_value() {
        let nqm = Nqm {
            h: [0.5, 0.5],
            c: [1.0, 1.0],
            lr: 0.2,
        };
        let r2: f64 = 0.9f64 * 0.9;
        assert!((nqm.tau().unwrap() - (1.0 + r2) / (1.0 - r2)).abs() < 1e-12);
    }

    #[test]
    fn jobs_are_deterministic_and_unstable_settings_give_no_value() {
        let mut p = crate::panels::query::defaults("loss-band");
        p.steps = 300;
        assert_eq!(LossBand.job(&p, 1), LossBand.job(&p, 1));
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
