//! Estimates from Monte Carlo samples: the mean of independent values (runs, or batches of one
//! long run) with its standard error, the size-weighted mean of sub-ensembles, and a weighted
//! polynomial fit of points with standard errors.

use nalgebra::{DMatrix, DVector};

/// Mean and standard error of the mean of `values`, independent samples of one quantity:
/// s/√n with s² the sample variance (divided by n − 1). `None` for what n does not allow.
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

/// The mean of group values (size, value) weighted by their sizes, and its standard error
/// from their spread: with k groups and weights pⱼ = nⱼ/Σn,
/// se² = k/(k − 1) Σⱼ pⱼ²(vⱼ − m)².
pub fn weighted_mean_se(values: &[(f64, f64)]) -> (Option<f64>, Option<f64>) {
    let total: f64 = values.iter().map(|(n, _)| n).sum();
    if values.is_empty() || total <= 0.0 {
        return (None, None);
    }
    let m = values.iter().map(|(n, v)| n * v).sum::<f64>() / total;
    if values.len() < 2 {
        return (Some(m), None);
    }
    let k = values.len() as f64;
    let var = values
        .iter()
        .map(|(n, v)| (n / total * (v - m)).powi(2))
        .sum::<f64>()
        * k
        / (k - 1.0);
    (Some(m), Some(var.sqrt()))
}

/// Weighted least squares of y = a₁x + a₂x² + … + a_dx^d (a polynomial through the origin) on
/// the points (x, y, se) whose values are finite and se > 0, with weights 1/se² and
/// d = min(`degree`, number of such points): the coefficients (a₁ … a_d) and the standard error
/// of a₁, from the inverse of the normal matrix. `None` with no usable point, a singular
/// normal matrix or a non-finite a₁.
pub fn fit_through_origin(points: &[(f64, f64, f64)], degree: usize) -> Option<(Vec<f64>, f64)> {
    let pts: Vec<_> = points
        .iter()
        .filter(|(x, y, s)| x.is_finite() && y.is_finite() && s.is_finite() && *s > 0.0)
        .collect();
    let d = pts.len().min(degree);
    if d == 0 {
        return None;
    }
    let mut a = DMatrix::<f64>::zeros(d, d);
    let mut b = DVector::<f64>::zeros(d);
    for (x, y, s) in pts {
        let w = 1.0 / (s * s);
        let basis: Vec<f64> = (1..=d).map(|k| x.powi(k as i32)).collect();
        for i in 0..d {
            b[i] += w * basis[i] * y;
            for j in 0..d {
                a[(i, j)] += w * basis[i] * basis[j];
            }
        }
    }
    let inv = a.try_inverse()?;
    let coef = &inv * b;
    let se = inv[(0, 0)].max(0.0).sqrt();
    coef[0]
        .is_finite()
        .then(|| (coef.iter().copied().collect(), se))
}
