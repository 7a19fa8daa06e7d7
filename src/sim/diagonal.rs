//! Monte Carlo of SGD on the 2-D diagonal noisy quadratic model with its quartic term
//! ([`DiagonalNqm`], whose exact moments these runs are checked against), three ways:
//! - [`grad_sq_half_running`]: Yaida's half-running average of |∇f|² on the quadratic part, from
//!   the shared walker engine ([`Ensemble`]);
//! - [`fdr2_window`]: many runs with the quartic term, sixteen in lock-step, each accumulating
//!   the terms of FDR2 over Yaida's half-running window;
//! - [`loss_trajectory`]: one long run, its loss summarised by batch means.
//!
//! The two kernels of this module draw their normals differently (sixteen lanes per step for
//! the ensemble, two scalars per step for the one run), and each keeps the order of draws and
//! of arithmetic that fixes its numbers for a seed.

use super::stats::{mean_se, weighted_mean_se};
use super::{Dynamics, Ensemble, Observables, Shape, ESCAPE_RADIUS};
use crate::optimizer::Optimizer;
use crate::rng::math::LANES;
use crate::rng::{LaneRng, Scalar};
use crate::theory::diagonal::DiagonalNqm;

/// Mean and standard error of the half-running average (Yaida Eq. 15) of the full-batch
/// |∇f|² = |Kθ|² over `walkers` runs of `steps` SGD steps at `lr` from θ = 0, on the quadratic
/// part of `nqm`. The walkers are split into up to 32 sub-ensembles of the shared engine,
/// sub-ensemble j seeded with `group_seed(j)`; each records the ensemble mean of |∇f|² per
/// step ([`Observables::grad_sq`]), and the spread of their half-running averages gives the
/// standard error. `None` if a walker diverged.
pub fn grad_sq_half_running(
    nqm: &DiagonalNqm,
    lr: f64,
    walkers: usize,
    steps: u64,
    group_seed: impl Fn(usize) -> u64,
) -> (Option<f64>, Option<f64>) {
    let Ok(dy) = Dynamics::new(&nqm.model(), &Optimizer::sgd(lr, 0.0, 2), Shape::Gauss) else {
        return (None, None);
    };
    let groups = (walkers / 16).clamp(2, 32).min(walkers.max(1));
    let mut values = Vec::with_capacity(groups);
    for j in 0..groups {
        let n = walkers / groups + usize::from(j < walkers % groups);
        let mut e = Ensemble::new(2, n, group_seed(j));
        e.observe(true);
        e.advance(&dy, steps);
        if e.diverged() > 0 {
            return (None, None);
        }
        match Observables::half_running(&e.observed().grad_sq) {
            Some(v) => values.push((n as f64, v)),
            None => return (None, None),
        }
    }
    weighted_mean_se(&values)
}

/// What [`fdr2_window`] measures, each a mean over the live runs of the run's half-running
/// average, with its standard error.
#[derive(Clone, Debug, PartialEq)]
pub struct Fdr2Window {
    /// Runs.
    pub walkers: usize,
    /// Runs that left the escape radius (excluded from the means).
    pub diverged: usize,
    /// G = ⟨(∇f)²⟩ (full-batch gradient).
    pub grad_sq: (Option<f64>, Option<f64>),
    /// ⟨Tr(H C̃)⟩ with H(θ) the Hessian and C̃(θ) = ∇f∇fᵀ + C.
    pub tr_hc: (Option<f64>, Option<f64>),
    /// The residual of the exact discrete identity behind FDR2 (zero in expectation at any
    /// time, stationary or not): the window mean of G − (η/2)Tr(HC̃) − R plus
    /// (f(θ_t) − f(θ_t₀))/(ηL), with R = −η²gΣθᵢE vᵢ³ + (η³g/4)ΣE vᵢ⁴ the anharmonic terms.
    pub identity: (Option<f64>, Option<f64>),
}

/// SGD on `nqm` with its quartic term: `walkers` runs of `steps` steps from θ = 0 with
/// learning rate `lr`, gradient ∇f(θ) + n, n ~ N(0, C), random numbers from `seed` ([`LaneRng`],
/// Box–Muller; sixteen runs in lock-step, so a seed gives the same runs on every platform).
///
/// FDR2 (Yaida 2019, Sec. 2.2) for f = ½θᵀKθ + (g/4)Σᵢθᵢ⁴: H(θ) = K + 3g diag(θᵢ²),
/// F_iii = 6gθᵢ, F_iiii = 6g, and the series stops at k = 4:
/// G = (η/2)⟨Tr(HC̃)⟩ − η²g⟨Σᵢθᵢ E vᵢ³⟩ + (η³g/4)⟨Σᵢ E vᵢ⁴⟩, v = ∇f + n,
/// E vᵢ³ = aᵢ³ + 3aᵢCᵢᵢ, E vᵢ⁴ = aᵢ⁴ + 6aᵢ²Cᵢᵢ + 3Cᵢᵢ² (aᵢ = ∂ᵢf). Each run accumulates, over
/// the states θ_j, j = t₀ … t − 1 (Yaida's half-running window, Eq. 15), |∇f|², Tr(HC̃) and the
/// anharmonic terms R, and records f at the ends of the window. A run that leaves the ball of
/// radius [`ESCAPE_RADIUS`] is counted as diverged.
pub fn fdr2_window(
    nqm: &DiagonalNqm,
    lr: f64,
    walkers: usize,
    steps: u64,
    seed: u64,
) -> Fdr2Window {
    let mut rng = LaneRng::new(seed);
    let mut per_run: Vec<[f64; 3]> = Vec::with_capacity(walkers);
    let mut diverged = 0;
    for chunk in 0..walkers.div_ceil(LANES) {
        let lanes = Lanes::run(nqm, lr, steps, &mut rng);
        for l in 0..(walkers - chunk * LANES).min(LANES) {
            if !lanes.alive[l] {
                diverged += 1;
            } else if let Some(run) = lanes.window_means(l, nqm, lr, steps) {
                per_run.push(run);
            }
        }
    }
    let column = |k: usize| mean_se(&per_run.iter().map(|r| r[k]).collect::<Vec<_>>());
    Fdr2Window {
        walkers,
        diverged,
        grad_sq: column(0),
        tr_hc: column(1),
        identity: column(2),
    }
}

/// Sixteen runs of [`fdr2_window`] in lock-step.
struct Lanes {
    /// θ, per coordinate and lane.
    x: [[f64; LANES]; 2],
    alive: [bool; LANES],
    /// Sums over the window of |∇f|², Tr(HC̃) and R.
    sums: [[f64; LANES]; 3],
    /// f at the window's start.
    f_start: [f64; LANES],
}

impl Lanes {
    /// `steps` steps from θ = 0, the window t₀ = ⌊steps/2⌋ … steps − 1 accumulated.
    fn run(nqm: &DiagonalNqm, lr: f64, steps: u64, rng: &mut LaneRng) -> Lanes {
        let t0 = steps / 2;
        let sd = [nqm.c[0].max(0.0).sqrt(), nqm.c[1].max(0.0).sqrt()];
        let g = nqm.g;
        let anharmonic = (lr * lr * g, lr * lr * lr * g / 4.0);
        let mut lanes = Lanes {
            x: [[0.0; LANES]; 2],
            alive: [true; LANES],
            sums: [[0.0; LANES]; 3],
            f_start: [0.0; LANES],
        };
        for step in 0..steps {
            let (z0, z1) = rng.normals();
            if step == t0 {
                for l in 0..LANES {
                    lanes.f_start[l] = nqm.loss([lanes.x[0][l], lanes.x[1][l]]);
                }
            }
            let observe = (step >= t0).then_some(anharmonic);
            lanes.step(nqm, lr, sd, [z0, z1], observe);
        }
        lanes
    }

    /// One SGD step of every lane with normals `z`, adding the FDR2 terms of the states before
    /// it to the sums when `observe` holds the anharmonic coefficients (η²g, η³g/4).
    fn step(
        &mut self,
        nqm: &DiagonalNqm,
        lr: f64,
        sd: [f64; 2],
        z: [[f64; LANES]; 2],
        observe: Option<(f64, f64)>,
    ) {
        for (l, (&z0, &z1)) in z[0].iter().zip(&z[1]).enumerate() {
            let mut grad = [0.0; 2];
            let mut terms = [0.0; 3];
            for (i, gi) in grad.iter_mut().enumerate() {
                let xi = self.x[i][l];
                *gi = nqm.gradient(i, xi);
                if let Some(coefficients) = observe {
                    let t = fdr2_terms(nqm, i, xi, *gi, coefficients);
                    terms.iter_mut().zip(t).for_each(|(sum, v)| *sum += v);
                }
            }
            if observe.is_some() {
                for (sums, v) in self.sums.iter_mut().zip(terms) {
                    sums[l] += v;
                }
            }
            let y0 = self.x[0][l] - lr * (grad[0] + sd[0] * z0);
            let y1 = self.x[1][l] - lr * (grad[1] + sd[1] * z1);
            let keep = self.alive[l] && y0.abs() <= ESCAPE_RADIUS && y1.abs() <= ESCAPE_RADIUS;
            self.x[0][l] = if keep { y0 } else { 0.0 };
            self.x[1][l] = if keep { y1 } else { 0.0 };
            self.alive[l] = keep;
        }
    }

    /// Lane `l`'s window means of |∇f|² and Tr(HC̃), and its identity residual (see
    /// [`Fdr2Window::identity`]); `None` for an empty window.
    fn window_means(&self, l: usize, nqm: &DiagonalNqm, lr: f64, steps: u64) -> Option<[f64; 3]> {
        let len = steps - steps / 2;
        if len == 0 {
            return None;
        }
        let n = len as f64;
        let f_end = nqm.loss([self.x[0][l], self.x[1][l]]);
        let [gs, hc, rem] = self.sums.map(|s| s[l] / n);
        let identity = gs - 0.5 * lr * hc - rem + (f_end - self.f_start[l]) / (lr * n);
        Some([gs, hc, identity])
    }
}

/// The FDR2 terms of coordinate i at θᵢ = `x` with ∂ᵢf = `a`: a², ∂ᵢ²f·(a² + Cᵢᵢ), and
/// −η²g x E vᵢ³ + (η³g/4) E vᵢ⁴ (`coefficients` = (η²g, η³g/4)).
fn fdr2_terms(nqm: &DiagonalNqm, i: usize, x: f64, a: f64, coefficients: (f64, f64)) -> [f64; 3] {
    let (e2g, e3g4) = coefficients;
    let (a2, c) = (a * a, nqm.c[i]);
    [
        a2,
        nqm.curvature(i, x) * (a2 + c),
        -e2g * x * (a2 * a + 3.0 * a * c) + e3g4 * (a2 * a2 + 6.0 * a2 * c + 3.0 * c * c),
    ]
}

/// Most batches of [`loss_trajectory`]'s batch-means standard errors.
pub const BATCHES: u64 = 32;

/// What one trajectory of [`loss_trajectory`] gives.
#[derive(Clone, Debug, PartialEq)]
pub struct Trajectory {
    /// Steps discarded before the window.
    pub burn: u64,
    /// The loss at the first states of the window (as many as asked for).
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

/// One trajectory of SGD at `lr` on `nqm` from θ = 0 with random numbers from `seed` (two
/// scalar normals per step): a burn-in ([`DiagonalNqm::burn_in`]), then `steps` steps whose loss
/// (at each state, before its step) and squared minibatch gradient are summarised by up to
/// [`BATCHES`] batch means; the loss at the first `shown` states of the window is kept. `None`
/// if it leaves the escape radius or `steps` = 0. (The burn-in is that of the quadratic part;
/// the `loss-band` panel runs it without the quartic term.)
pub fn loss_trajectory(
    nqm: &DiagonalNqm,
    lr: f64,
    steps: u64,
    shown: u64,
    seed: u64,
) -> Option<Trajectory> {
    if steps == 0 {
        return None;
    }
    let burn = nqm.burn_in(lr, steps);
    let batches = BATCHES.min(steps / 2).max(1);
    let mut sums = vec![[0.0f64; 4]; batches as usize];
    let mut losses = Vec::with_capacity(steps.min(shown) as usize);
    let mut rng = LaneRng::new(seed);
    let mut sc = Scalar::default();
    let sd = [nqm.c[0].max(0.0).sqrt(), nqm.c[1].max(0.0).sqrt()];
    let mut w = [0.0f64; 2];
    for t in 0..burn + steps {
        let z = [sc.normal(&mut rng), sc.normal(&mut rng)];
        let g = [0, 1].map(|i| nqm.gradient(i, w[i]) + sd[i] * z[i]);
        if let Some(j) = t.checked_sub(burn) {
            let f = nqm.loss(w);
            let b = &mut sums[(j * batches / steps) as usize];
            b[0] += f;
            b[1] += f * f;
            b[2] += g[0] * g[0] + g[1] * g[1];
            b[3] += 1.0;
            if j < shown {
                losses.push(f);
            }
        }
        w = [w[0] - lr * g[0], w[1] - lr * g[1]];
        if !(w[0].abs() <= ESCAPE_RADIUS && w[1].abs() <= ESCAPE_RADIUS) {
            return None;
        }
    }
    Some(summarise(&sums, burn, losses, lr, steps))
}

/// The trajectory's summary from its batch sums (Σf, Σf², Σ|∇f^B|², count).
fn summarise(sums: &[[f64; 4]], burn: u64, shown: Vec<f64>, lr: f64, steps: u64) -> Trajectory {
    let total = |k: usize| sums.iter().map(|b| b[k]).sum::<f64>() / steps as f64;
    let (mean, m2, gsq) = (total(0), total(1), total(2));
    let batch_se =
        |f: &dyn Fn(&[f64; 4]) -> f64| mean_se(&sums.iter().map(f).collect::<Vec<_>>()).1;
    Trajectory {
        burn,
        shown,
        mean,
        mean_se: batch_se(&|b| b[0] / b[3]),
        var: (m2 - mean * mean).max(0.0),
        var_se: batch_se(&|b| (b[1] - 2.0 * mean * b[0]) / b[3]),
        fdr1: lr / 4.0 * gsq,
        fdr1_se: batch_se(&|b| lr / 4.0 * b[2] / b[3]),
        batches: sums.len(),
    }
}
