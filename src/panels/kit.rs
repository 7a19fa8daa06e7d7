//! What many panels share: an empty figure for a setting, the seeds of Monte Carlo jobs, how
//! far Monte Carlo points lie from a theory in standard errors, fits of a constant, and a round
//! edge for a view. (Estimates from samples, such as a mean with its standard error, are
//! `crate::sim::stats`.)

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

/// The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 × 10ᵏ that is ≥ x (x > 0): a round edge for a view.
pub fn nice_ceil(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    [1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|v| *v >= x * (1.0 - 1e-12))
        .unwrap_or(10.0 * p)
}

/// The finished points (x, y, se) of a Monte Carlo series: those with a finite value and a
/// finite standard error.
pub fn points_with_se(mc: &Series) -> Vec<(f64, f64, f64)> {
    let err = mc.y_err.clone().unwrap_or_default();
    mc.x.iter()
        .zip(&mc.y)
        .zip(err)
        .filter(|((_, y), e)| y.is_finite() && e.is_finite())
        .map(|((&x, &y), e)| (x, y, e))
        .collect()
}

/// A constant factor c fitted between Monte Carlo points and a theory (see [`fit_log_constant`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConstantFit {
    /// The factor c.
    pub c: f64,
    /// Its standard error.
    pub se: f64,
    /// χ² per degree of freedom of the residuals (none with one point).
    pub chi2_per_dof: Option<f64>,
}

/// Weighted least squares of a constant c in ln y − ln theory(x) = ln c + ε over the points
/// (x, y, se) with y, se and theory(x) positive, weights 1/σ² with σ = se/y (the error of ln y).
/// `None` without such points.
pub fn fit_log_constant(
    points: &[(f64, f64, f64)],
    theory: impl Fn(f64) -> Option<f64>,
) -> Option<ConstantFit> {
    let rows: Vec<(f64, f64)> = points
        .iter()
        .filter_map(|&(x, y, se)| {
            let t = theory(x)?;
            (y > 0.0 && se > 0.0 && t > 0.0).then(|| ((y / t).ln(), (y / se).powi(2)))
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    let sw: f64 = rows.iter().map(|(_, w)| w).sum();
    let m = rows.iter().map(|(d, w)| d * w).sum::<f64>() / sw;
    let chi2: f64 = rows.iter().map(|(d, w)| w * (d - m).powi(2)).sum();
    let n = rows.len();
    let c = m.exp();
    Some(ConstantFit {
        c,
        se: c / sw.sqrt(),
        chi2_per_dof: (n > 1).then(|| chi2 / (n - 1) as f64),
    })
}

/// χ² per point of ln y against ln theory(x), with no free constant, over the points (x, y, se)
/// with y, se and theory(x) positive; `None` without such points.
pub fn log_chi2_per_point(
    points: &[(f64, f64, f64)],
    theory: impl Fn(f64) -> Option<f64>,
) -> Option<f64> {
    let rows: Vec<f64> = points
        .iter()
        .filter_map(|&(x, y, se)| {
            let t = theory(x)?;
            (y > 0.0 && se > 0.0 && t > 0.0).then(|| ((y / t).ln() / (se / y)).powi(2))
        })
        .collect();
    (!rows.is_empty()).then(|| rows.iter().sum::<f64>() / rows.len() as f64)
}

/// [`largest_z`] against theory values given by the point's index, `theory(j)` for point j:
/// for a plan that computed its theory once, at the Monte Carlo points.
pub fn largest_z_at(mc: &Series, theory: impl Fn(usize) -> Option<f64>) -> Option<f64> {
    let se = mc.y_err.as_deref().unwrap_or(&[]);
    let mut z: Option<f64> = None;
    for (j, &y) in mc.y.iter().enumerate() {
        let s = se.get(j).copied().unwrap_or(f64::NAN);
        if !(y.is_finite() && s > 0.0) {
            continue;
        }
        if let Some(t) = theory(j) {
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
    fn nice_ceil_rounds_up_to_a_round_number() {
        for (x, want) in [
            (0.7, 0.8),
            (1.0, 1.0),
            (1.3, 1.5),
            (3.5, 4.0),
            (7.0, 8.0),
            (9.0, 10.0),
            (0.013, 0.015),
        ] {
            let got = nice_ceil(x);
            assert!((got - want).abs() < 1e-12 * want, "{x} → {got}");
        }
    }

    #[test]
    fn job_seeds_differ() {
        let s: std::collections::HashSet<_> = (0..1000).map(|i| job_seed(1, i)).collect();
        assert_eq!(s.len(), 1000);
        assert_ne!(job_seed(1, 0), job_seed(2, 0));
    }
}
