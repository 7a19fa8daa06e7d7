//! The second-order panel's readouts: the divergences, the constants of Cor. 6 and Thm 10
//! (from theory, and fitted to the Monte Carlo points), and the solver against the paper's
//! closed forms.

use super::divergences;
use crate::figure::{Figure, Readout, SeriesId};
use crate::optimizer::Opt;
use crate::params::Params;

/// The readouts of the plan: the divergences, the constants of Cor. 6 and Thm 10, the solver
/// against the closed forms, and the points without a stationary state.
pub(super) fn readouts(p: &Params, rel: f64, past: usize) -> Vec<Readout> {
    let (sgd_edge, edge) = divergences(p);
    let (a, mu) = (p.a, p.mu);
    vec![
        Readout::new(
            "lr_sgd_divergence",
            "λ where SGD diverges, 2(1 + μ)/k_max",
            sgd_edge,
        ),
        Readout::new(
            "lr_dnm_divergence",
            "λ where damped Newton diverges, 2(1 + μ)",
            Some(edge),
        ),
        Readout::new(
            "ngd_constant_theory",
            "natural gradient: Var·k/λ = ((1 + μ)a + 1 − μ)/(2(1 − μ²)) (Cor. 6)",
            Some(((1.0 + mu) * a + 1.0 - mu) / (2.0 * (1.0 - mu * mu))),
        ),
        Readout::new(
            "adam_constant_theory",
            "Adam: Var/λ² = (1 + a)/4 (Thm 10)",
            Some((1.0 + a) / 4.0),
        ),
        Readout::new(
            "closed_form_rel_max",
            "largest relative difference, exact solver vs the paper's closed forms",
            Some(rel),
        ),
        Readout::new(
            "points_past_limit",
            "Monte Carlo points without a stationary state (past their optimizer's \
             stability limit, or no Λ exists): no value",
            Some(past as f64),
        ),
    ]
}

/// The constant of the paper's law for natural gradient (Var·k/λ, Cor. 6) or Adam (Var/λ²,
/// Thm 10), fitted to the Monte Carlo points of both directions, weighted by their standard
/// errors: the weighted mean and its standard error.
pub(super) fn fitted_constant(
    fig: &Figure,
    p: &Params,
    opt: Opt,
    mc: [SeriesId; 2],
) -> (Option<f64>, Option<f64>) {
    let (mut sum, mut weight) = (0.0, 0.0);
    for (d, k) in [p.h1, p.h2].into_iter().enumerate() {
        let s = fig.get(mc[d]);
        for (i, (&lr, &y)) in s.x.iter().zip(&s.y).enumerate() {
            let se = s.y_err.as_ref().map_or(f64::NAN, |e| e[i]);
            if !(y.is_finite() && se > 0.0) {
                continue;
            }
            // Var·k/λ for natural gradient, Var/λ² for Adam.
            let scale = if opt == Opt::Ngd {
                k / lr
            } else {
                1.0 / (lr * lr)
            };
            let w = 1.0 / (se * scale).powi(2);
            sum += w * y * scale;
            weight += w;
        }
    }
    if weight > 0.0 {
        (Some(sum / weight), Some(1.0 / weight.sqrt()))
    } else {
        (None, None)
    }
}
