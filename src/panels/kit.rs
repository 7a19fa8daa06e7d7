//! What many panels share: an empty figure for a setting, the seeds of Monte Carlo jobs, the
//! mean of independent runs with its standard error, and how far Monte Carlo points lie from a
//! theory, in standard errors.

use super::query::{to_json, to_query, Audience};
use crate::figure::{Figure, Plot, Series};
use crate::params::{Params, SCHEMA_VERSION};

/// An empty figure for `p` with these plots: the panel, version, query and parameters filled
/// in, no series, no jobs.
pub fn figure(p: &Params, plots: Vec<Plot>) -> Figure {
    Figure {
        panel: p.panel.clone(),
        version: SCHEMA_VERSION,
        query: to_query(p, Audience::Page),
        params: to_json(p, Audience::Page),
        plots,
        series: Vec::new(),
        readouts: Vec::new(),
        jobs: 0,
        jobs_done: 0,
        details: None,
    }
}

/// The seed of Monte Carlo job `i` of a figure with seed `seed`: distinct, well-mixed seeds
/// (SplitMix64 of both), so that points are independent and a permalink's seed fixes them all.
pub fn job_seed(seed: u64, i: usize) -> u64 {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add((i as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Mean and standard error of the mean of `values` (population of independent runs).
pub fn mean_se(values: &[f64]) -> (Option<f64>, Option<f64>) {
    let n = values.len() as f64;
    if values.is_empty() {
        return (None, None);
    }
    let m = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (Some(m), None);
    }
    let v = values.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (Some(m), Some((v / n).sqrt()))
}

/// The largest |y − theory(x)| / se over the finished points of a Monte Carlo series that
/// have a standard error and a theory value; `None` when there is no such point.
pub fn largest_z(mc: &Series, theory: impl Fn(f64) -> Option<f64>) -> Option<f64> {
    let se = mc.y_err.as_deref().unwrap_or(&[]);
    let mut z: Option<f64> = None;
    for (j, (&x, &y)) in mc.x.iter().zip(&mc.y).enumerate() {
        let s = se.get(j).copied().unwrap_or(f64::NAN);
        if !(y.is_finite() && s > 0.0) {
            continue;
        }
        if let Some(t) = theory(x) {
            z = Some(z.unwrap_or(0.0).max((y - t).abs() / s));
        }
    }
    z
}

/// Sample variance of the finite `values` and its standard error, √((m₄ − s⁴(n−3)/(n−1))/n)
/// from the fourth central moment m₄ (population of independent runs); `None` with fewer than
/// four finite values.
pub fn variance_se(values: &[f64]) -> (Option<f64>, Option<f64>) {
    let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    let n = v.len() as f64;
    if v.len() < 4 {
        return (None, None);
    }
    let m = v.iter().sum::<f64>() / n;
    let s2 = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    let m4 = v.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n;
    let var_s2 = (m4 - s2 * s2 * (n - 3.0) / (n - 1.0)) / n;
    (Some(s2), Some(var_s2.max(0.0).sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_seeds_differ() {
        let s: std::collections::HashSet<_> = (0..1000).map(|i| job_seed(1, i)).collect();
        assert_eq!(s.len(), 1000);
        assert_ne!(job_seed(1, 0), job_seed(2, 0));
    }
}
