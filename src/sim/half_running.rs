//! Yaida's half-running averages (Eq. 15: the mean over steps ⌊t/2⌋+1 … t) of his observables
//! O_L = w·g and O_R = (1+μ)η v²/(2(1−ν)) (Eq. 17), measured on Monte Carlo runs: the ensemble
//! means of many walkers, pooled over independent batches for a standard error (what the
//! expected half-running averages of [`crate::theory::fdr_finite`] predict); and each run's own
//! estimators of FDR1′, the residual D = Ō_L − Ō_R and the ratio r = Ō_L/Ō_R − 1 (what one
//! training run would measure).

use super::runs::Runs16;
use super::{Dynamics, Ensemble, Observables};
use crate::rng::math::LANES;

/// A mean over runs and its standard error.
pub type Estimate = (Option<f64>, Option<f64>);

/// The half-running averages (Ō_L, Ō_R) at step `t` of the ensemble means of `walkers` walkers
/// of `dynamics` started at weights `start` with an empty buffer, random numbers from `seed`;
/// NaN when any walker diverged (the mean of the others would be biased).
pub fn ensemble_half_running(
    dynamics: &Dynamics,
    start: &[f64],
    walkers: usize,
    t: u64,
    seed: u64,
) -> (f64, f64) {
    let mut e = Ensemble::new(dynamics.dim(), walkers, seed);
    e.start_at(start);
    e.observe(true);
    e.advance(dynamics, t);
    if e.diverged() > 0 {
        return (f64::NAN, f64::NAN);
    }
    let s = e.observed();
    (
        Observables::half_running(&s.o_l).unwrap_or(f64::NAN),
        Observables::half_running(&s.o_r).unwrap_or(f64::NAN),
    )
}

/// [`ensemble_half_running`] of `walkers` walkers split into `batches` independent ensembles
/// of nearly equal size, batch b seeded by `seed(b)`: the mean of the batches' (Ō_L, Ō_R)
/// weighted by their sizes, with the standard error from the batches' spread (none with one
/// batch; neither when a batch diverged).
pub fn batched_half_running(
    dynamics: &Dynamics,
    start: &[f64],
    walkers: usize,
    batches: usize,
    t: u64,
    seed: impl Fn(usize) -> u64,
) -> [Estimate; 2] {
    let means: Vec<(f64, (f64, f64))> = (0..batches)
        .map(|b| {
            let n = walkers * (b + 1) / batches - walkers * b / batches;
            let v = ensemble_half_running(dynamics, start, n, t, seed(b));
            (n as f64, v)
        })
        .collect();
    [pooled(&means, |v| v.0), pooled(&means, |v| v.1)]
}

/// The size-weighted mean of batch means (size, value) and its standard error
/// √(Σ nᵢ(xᵢ − x̄)² / ((B − 1) Σ nᵢ)).
fn pooled(means: &[(f64, (f64, f64))], f: fn(&(f64, f64)) -> f64) -> Estimate {
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
}

/// Each of `runs` runs' FDR1 estimators after `steps` steps (at least 2): the residual
/// D = Ō_L − Ō_R and the ratio r = Ō_L/Ō_R − 1 of its own half-running averages over steps
/// ⌊T/2⌋+1 … T. The runs are made sixteen at a time, chunk c (c = 0, 1, …) by `chunk(c)`; the
/// extra runs of the last chunk are left out.
pub fn fdr1_estimators(
    runs: usize,
    steps: u64,
    chunk: impl Fn(usize) -> Runs16,
) -> (Vec<f64>, Vec<f64>) {
    let t = steps.max(2);
    let t0 = t / 2;
    let n = (t - t0) as f64;
    let (mut d, mut r) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for c in 0..runs.div_ceil(LANES) {
        let mut chunk = chunk(c);
        for _ in 0..t0 {
            chunk.step();
        }
        let (mut sl, mut sr) = ([0.0; LANES], [0.0; LANES]);
        for _ in t0..t {
            let (l, o) = chunk.step();
            for i in 0..LANES {
                sl[i] += l[i];
                sr[i] += o[i];
            }
        }
        for i in 0..(runs - c * LANES).min(LANES) {
            d.push((sl[i] - sr[i]) / n);
            r.push(sl[i] / sr[i] - 1.0);
        }
    }
    (d, r)
}
