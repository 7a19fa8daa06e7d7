//! A measured spectrum: the diagonal noisy quadratic model of a researcher's own network. Each
//! row is a direction (an eigenvector of the Hessian) with its curvature hᵢ, optionally the
//! variance cᵢ of the per-example gradients along it (without it cᵢ = a·hᵢ: the Fisher taken
//! for the Hessian) and a multiplicity nᵢ (the count of a bin of a spectral density). The
//! panels whose theory is a D-dimensional diagonal model (Zhang et al.'s batch-size model,
//! Liu et al.'s Thm 6 and Thm 8) take it in place of the power law hᵢ = h₁·i^(−p).
//!
//! A [`Spectrum`] is valid by construction ([`Spectrum::new`] checks every row); reading one
//! from a file or a link is the parameter floor's work (`crate::params::spectrum`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Most rows a spectrum may have.
pub const MAX_ROWS: usize = 1_000_000;
/// Largest multiplicity of one row.
pub const MAX_COUNT: u64 = 1_000_000_000_000;
/// Largest curvature or noise variance accepted.
pub const MAX_VALUE: f64 = 1e12;

/// A diagonal model given direction by direction. Invariants (checked by [`Spectrum::new`]):
/// at least one row, every hᵢ and cᵢ finite in [0, [`MAX_VALUE`]], at least one hᵢ > 0, every
/// count in [1, [`MAX_COUNT`]], as many cᵢ and counts as rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spectrum {
    h: Vec<f64>,
    c: Option<Vec<f64>>,
    count: Vec<u64>,
}

/// Why a spectrum was refused: the row (1-based, in the order given) and column if one is to
/// blame, and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpectrumError {
    /// The data row, counted from 1 (not counting a header).
    pub row: Option<usize>,
    /// The column (`h`, `c` or `count`).
    pub column: Option<String>,
    /// What is wrong, in words.
    pub reason: String,
}

impl SpectrumError {
    /// An error of the whole spectrum (no row to blame).
    pub fn whole(reason: impl Into<String>) -> SpectrumError {
        SpectrumError {
            row: None,
            column: None,
            reason: reason.into(),
        }
    }

    /// An error of one cell.
    pub fn at(row: usize, column: &str, reason: impl Into<String>) -> SpectrumError {
        SpectrumError {
            row: Some(row),
            column: Some(column.into()),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for SpectrumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.row, &self.column) {
            (Some(r), Some(c)) => write!(f, "row {r}, column {c}: {}", self.reason),
            (Some(r), None) => write!(f, "row {r}: {}", self.reason),
            (None, Some(c)) => write!(f, "column {c}: {}", self.reason),
            (None, None) => write!(f, "{}", self.reason),
        }
    }
}

/// A value for a message: plain, or in scientific notation when that is shorter.
pub fn shown(x: f64) -> String {
    let (plain, sci) = (format!("{x}"), format!("{x:e}"));
    if plain.len() <= sci.len() {
        plain
    } else {
        sci
    }
}

/// Checks one value of column `column` in row `row` (1-based).
fn check_value(x: f64, row: usize, column: &str) -> Result<(), SpectrumError> {
    if !x.is_finite() {
        return Err(SpectrumError::at(row, column, "not a finite number"));
    }
    if x < 0.0 {
        return Err(SpectrumError::at(
            row,
            column,
            format!("{} is negative", shown(x)),
        ));
    }
    if x > MAX_VALUE {
        return Err(SpectrumError::at(
            row,
            column,
            format!("{} is larger than {MAX_VALUE:e}", shown(x)),
        ));
    }
    Ok(())
}

impl Spectrum {
    /// The spectrum with curvatures `h`, noise variances `c` (if given) and multiplicities
    /// `count` (if given; else 1 each), every row checked; the first bad one is named.
    pub fn new(
        h: Vec<f64>,
        c: Option<Vec<f64>>,
        count: Option<Vec<u64>>,
    ) -> Result<Spectrum, SpectrumError> {
        if h.is_empty() {
            return Err(SpectrumError::whole("the spectrum has no rows"));
        }
        if h.len() > MAX_ROWS {
            return Err(SpectrumError::whole(format!(
                "the spectrum has {} rows, more than the {MAX_ROWS} allowed",
                h.len()
            )));
        }
        let count = count.unwrap_or_else(|| vec![1; h.len()]);
        if c.as_ref().is_some_and(|c| c.len() != h.len()) || count.len() != h.len() {
            return Err(SpectrumError::whole("the columns have different lengths"));
        }
        for (i, &x) in h.iter().enumerate() {
            check_value(x, i + 1, "h")?;
        }
        for (i, &x) in c.iter().flatten().enumerate() {
            check_value(x, i + 1, "c")?;
        }
        for (i, &n) in count.iter().enumerate() {
            if !(1..=MAX_COUNT).contains(&n) {
                let why = format!("{n} is not a whole number in [1, {MAX_COUNT}]");
                return Err(SpectrumError::at(i + 1, "count", why));
            }
        }
        if h.iter().all(|x| *x == 0.0) {
            return Err(SpectrumError::at(1, "h", "every curvature is 0"));
        }
        Ok(Spectrum { h, c, count })
    }

    /// The power law hᵢ = h₁·i^(−decay), i = 1…D, without noise column (cᵢ = a·hᵢ).
    pub fn power_law(d: usize, h1: f64, decay: f64) -> Result<Spectrum, SpectrumError> {
        let h = (1..=d).map(|i| h1 * (i as f64).powf(-decay)).collect();
        Spectrum::new(h, None, None)
    }

    /// The curvatures hᵢ, one per row.
    pub fn h(&self) -> &[f64] {
        &self.h
    }

    /// The noise variances cᵢ if the spectrum gives them.
    pub fn c(&self) -> Option<&[f64]> {
        self.c.as_deref()
    }

    /// The multiplicities nᵢ, one per row.
    pub fn counts(&self) -> &[u64] {
        &self.count
    }

    /// The multiplicities as weights.
    pub fn weights(&self) -> Vec<f64> {
        self.count.iter().map(|n| *n as f64).collect()
    }

    /// The noise variance of every row: cᵢ, or a·hᵢ when the spectrum has no `c` column.
    pub fn noise(&self, a: f64) -> Vec<f64> {
        match &self.c {
            Some(c) => c.clone(),
            None => self.h.iter().map(|h| a * h).collect(),
        }
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.h.len()
    }

    /// The dimension D = Σnᵢ: the directions the rows stand for.
    pub fn dims(&self) -> u64 {
        self.count.iter().sum()
    }

    /// The largest curvature h_max (> 0).
    pub fn h_max(&self) -> f64 {
        self.h.iter().copied().fold(0.0, f64::max)
    }

    /// The smallest positive curvature.
    pub fn h_min_positive(&self) -> f64 {
        (self.h.iter().copied())
            .filter(|h| *h > 0.0)
            .fold(f64::INFINITY, f64::min)
    }

    /// Every direction on its own, rows repeated by their counts: (hᵢ, cᵢ) with cᵢ from
    /// [`Spectrum::noise`], in the order given.
    pub fn expanded(&self, a: f64) -> (Vec<f64>, Vec<f64>) {
        let c = self.noise(a);
        let mut hs = Vec::with_capacity(self.dims() as usize);
        let mut cs = Vec::with_capacity(hs.capacity());
        for ((h, c), n) in self.h.iter().zip(&c).zip(&self.count) {
            for _ in 0..*n {
                hs.push(*h);
                cs.push(*c);
            }
        }
        (hs, cs)
    }

    /// The rows ordered by decreasing curvature (a stable sort: ties keep their order).
    pub fn sorted_descending(&self) -> Spectrum {
        let mut order: Vec<usize> = (0..self.rows()).collect();
        order.sort_by(|&i, &j| self.h[j].total_cmp(&self.h[i]));
        Spectrum {
            h: order.iter().map(|&i| self.h[i]).collect(),
            c: (self.c.as_ref()).map(|c| order.iter().map(|&i| c[i]).collect()),
            count: order.iter().map(|&i| self.count[i]).collect(),
        }
    }

    /// A histogram of the positive curvatures in `bins` bins equally spaced in log h from the
    /// smallest to the largest: (lower edge, upper edge, directions), every direction counted
    /// with its multiplicity (zero curvatures are left out).
    pub fn histogram(&self, bins: usize) -> Vec<(f64, f64, u64)> {
        let (lo, hi) = (self.h_min_positive().ln(), self.h_max().ln());
        let bins = if hi > lo { bins.max(1) } else { 1 };
        let width = (hi - lo) / bins as f64;
        let mut out: Vec<(f64, f64, u64)> = (0..bins)
            .map(|b| {
                let edge = |k: usize| (lo + k as f64 * width).exp();
                (edge(b), edge(b + 1), 0)
            })
            .collect();
        for (h, n) in self.h.iter().zip(&self.count).filter(|(h, _)| **h > 0.0) {
            let x = if width > 0.0 {
                (h.ln() - lo) / width
            } else {
                0.0
            };
            let b = (x as usize).min(bins - 1);
            out[b].2 += n;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_row_is_named() {
        let e = Spectrum::new(vec![1.0, -2.0], None, None).unwrap_err();
        assert_eq!(e.to_string(), "row 2, column h: -2 is negative");
        let e = Spectrum::new(vec![1.0], Some(vec![f64::NAN]), None).unwrap_err();
        assert_eq!(e.to_string(), "row 1, column c: not a finite number");
        let e = Spectrum::new(vec![1.0, 1.0], None, Some(vec![1, 0])).unwrap_err();
        assert!(e.to_string().starts_with("row 2, column count:"));
    }

    #[test]
    fn expanded_repeats_rows() {
        let s = Spectrum::new(vec![2.0, 1.0], Some(vec![0.5, 0.25]), Some(vec![1, 2])).unwrap();
        assert_eq!(s.dims(), 3);
        assert_eq!(
            s.expanded(1.0),
            (vec![2.0, 1.0, 1.0], vec![0.5, 0.25, 0.25])
        );
        let hist = s.histogram(2);
        assert_eq!(hist.iter().map(|b| b.2).collect::<Vec<_>>(), vec![2, 1]);
    }
}
