//! Any dimension D when K and C are diagonal in a common basis (a spectrum of Hessian
//! eigenvalues kᵢ with noise eigenvalues cᵢ): every mode is an independent 1-D problem, solved by
//! the same general solver, so curves for D = 1000 (a power-law spectrum, as in Thm 8) cost D
//! small solves.

use super::{continuous, escape, expected_loss, stationary};
use crate::model::Model;
use crate::optimizer::Optimizer;
use nalgebra::DMatrix;

/// kᵢ = k₁ · i^(−decay), i = 1…D: a power-law Hessian spectrum.
pub fn power_law(d: usize, k1: f64, decay: f64) -> Vec<f64> {
    (1..=d).map(|i| k1 * (i as f64).powf(-decay)).collect()
}

fn mode(k: f64, c: f64, c_fisher: f64) -> Model {
    Model {
        k: DMatrix::from_element(1, 1, k),
        c: DMatrix::from_element(1, 1, c),
        c_fisher,
        data: None,
    }
}

fn mode_opt(opt: &Optimizer) -> Optimizer {
    Optimizer {
        precond: DMatrix::from_element(1, 1, opt.precond[(0, 0)]),
        ..opt.clone()
    }
}

/// Sums a per-mode quantity; `None` if any mode has none.
fn sum_modes(
    ks: &[f64],
    cs: &[f64],
    f: impl Fn(&Model) -> Option<f64>,
    c_fisher: f64,
) -> Option<f64> {
    ks.iter()
        .zip(cs)
        .map(|(k, c)| f(&mode(*k, *c, c_fisher)))
        .sum()
}

/// The stationary training loss ½Σᵢ kᵢσᵢ, exact (discrete) and continuous.
pub fn loss(ks: &[f64], cs: &[f64], c_fisher: f64, opt: &Optimizer) -> (Option<f64>, Option<f64>) {
    let o = mode_opt(opt);
    let disc = sum_modes(
        ks,
        cs,
        |m| {
            stationary(m, &o)
                .ok()
                .map(|s| expected_loss(&m.k, &s.sigma))
        },
        c_fisher,
    );
    let cont = sum_modes(
        ks,
        cs,
        |m| continuous(m, &o).map(|s| expected_loss(&m.k, &s)),
        c_fisher,
    );
    (disc, cont)
}

/// The escaping efficiency E(t) from the minimum, exact (discrete) and continuous.
pub fn escape(
    ks: &[f64],
    cs: &[f64],
    c_fisher: f64,
    opt: &Optimizer,
    t: u64,
) -> (Option<f64>, Option<f64>) {
    let o = mode_opt(opt);
    let disc = sum_modes(ks, cs, |m| escape::escape_discrete(m, &o, t), c_fisher);
    let cont = sum_modes(
        ks,
        cs,
        |m| escape::escape_continuous(m, &o, t as f64),
        c_fisher,
    );
    (disc, cont)
}

/// Thm 8's ratio Tr[KC]/Tr[KC̄] for diagonal K and C (C̄ = (Tr C/D) I).
pub fn anisotropy_ratio(ks: &[f64], cs: &[f64]) -> f64 {
    let d = ks.len() as f64;
    let tkc: f64 = ks.iter().zip(cs).map(|(k, c)| k * c).sum();
    tkc / (ks.iter().sum::<f64>() * cs.iter().sum::<f64>() / d)
}
