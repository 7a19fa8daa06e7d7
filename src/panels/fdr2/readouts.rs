//! What `finish` of `fdr2` makes of the Monte Carlo points: the small-η slopes fitted to them
//! (and the tangent line drawn), the y ranges and the note, and the readouts — the slopes and
//! the Hessian they measure, the departures from the exact curves in standard errors, and the
//! quartic's anharmonic remainder.

use super::Plan;
use crate::figure::{Figure, Readout, SeriesId};
use crate::panels::kit::{largest_z, points_with_se};
use crate::sim::stats::fit_through_origin;
use crate::theory::diagonal::DiagonalNqm;

/// The small-η slope a₁ and its standard error from points (η, y, se): the weighted fit
/// aη + bη² + cη³ through the origin ([`fit_through_origin`]).
fn slope(points: &[(f64, f64, f64)]) -> Option<(f64, f64)> {
    fit_through_origin(points, 3).map(|(coefficients, se)| (coefficients[0], se))
}

/// The points with η ≤ λ/2, where the fit's three terms describe the curves without a bias
/// that the standard errors would reveal (checked against the exact curve; over the whole
/// range a cubic misses the quartic's slope by several standard errors).
fn lower_half(points: &[(f64, f64, f64)], lr: f64) -> Vec<(f64, f64, f64)> {
    points.iter().copied().filter(|p| p.0 <= 0.5 * lr).collect()
}

/// The small-η slopes (with standard errors) of the quadratic's and the quartic's points.
pub struct Fits {
    quad: Option<(f64, f64)>,
    quartic: Option<(f64, f64)>,
}

/// The small-η slopes from the points so far, and the tangent line drawn from the quadratic's.
pub fn fit_and_draw(plan: &Plan, fig: &mut Figure) -> Fits {
    let h = plan.series;
    let fit = |id: SeriesId| slope(&lower_half(&points_with_se(fig.get(id)), plan.lr));
    let fits = Fits {
        quad: fit(h.quad),
        quartic: fit(h.quartic),
    };
    let slope = fits.quad.map(|f| f.0);
    let line = fig.get_mut(h.fit);
    line.y = line
        .x
        .iter()
        .map(|&x| slope.map_or(f64::NAN, |a| a * x))
        .collect();
    fits
}

/// The anharmonic remainder 2G/η − ⟨Tr HC̃⟩ of the quartic at the largest η with both values,
/// as (η, remainder, se); its standard error adds the two in quadrature, which overstates it
/// (they are positively correlated).
fn anharmonic_remainder(plan: &Plan, fig: &Figure) -> Option<(f64, f64, f64)> {
    let ratio = fig.get(plan.series.quartic_ratio);
    let hc = fig.get(plan.series.quartic_hc);
    (0..ratio.x.len()).rev().find_map(|j| {
        let (a, b) = (ratio.y[j], hc.y[j]);
        let ea = ratio.y_err.as_ref()?[j];
        let eb = hc.y_err.as_ref()?[j];
        (a.is_finite() && b.is_finite()).then(|| (ratio.x[j], a - b, ea.hypot(eb)))
    })
}

/// The y ranges: room above the curves for the legend.
pub fn fit_ranges(fig: &mut Figure) {
    let values = |plot: usize| {
        fig.series
            .iter()
            .filter(|s| s.plot == plot)
            .flat_map(|s| s.y.iter().copied())
            .filter(|v| v.is_finite())
            .collect::<Vec<f64>>()
    };
    let (v0, v1) = (values(0), values(1));
    if let Some(hi) = v0.iter().copied().reduce(f64::max).filter(|h| *h > 0.0) {
        fig.plots[0].y_range = Some((0.0, 1.4 * hi));
    }
    let lo1 = v1.iter().copied().reduce(f64::min);
    let hi1 = v1.iter().copied().reduce(f64::max);
    if let (Some(lo), Some(hi)) = (lo1, hi1) {
        let span = (hi - lo).max(1e-3 * hi.abs()).max(1e-300);
        fig.plots[1].y_range = Some((lo - 0.05 * span, hi + 0.6 * span));
    }
}

/// The note of the right plot when the figure is complete but quartic points are missing.
pub fn missing_note(plan: &Plan, fig: &Figure) -> Option<String> {
    let missing = fig.complete()
        && fig
            .get(plan.series.quartic)
            .y
            .iter()
            .any(|y| !y.is_finite());
    missing.then(|| {
        if plan.steps == 0 {
            "no steps simulated".to_string()
        } else {
            "quartic points missing: some runs diverged (the quartic loss is unstable for \
             large |θ|, and only points where no run diverged are shown)"
                .to_string()
        }
    })
}

/// The readouts of the slopes: exact, fitted, and the Hessian they measure.
pub fn slopes(nqm: &DiagonalNqm, fits: &Fits) -> Vec<Readout> {
    let tr_kc = nqm.tr_kc();
    let tr_c = nqm.c[0] + nqm.c[1];
    let slope = fits.quad.map(|f| f.0);
    let slope_se = fits.quad.map(|f| f.1);
    vec![
        Readout::new(
            "slope_exact",
            "small-η slope of ⟨(∇f)²⟩, exact: ½Tr(KC)",
            Some(0.5 * tr_kc),
        ),
        Readout::new(
            "slope_fit",
            "small-η slope from the quadratic's points (fit aη + bη² + cη³ for η ≤ λ/2)",
            slope,
        )
        .with_se(slope_se),
        Readout::new(
            "hessian_exact",
            "noise-weighted Hessian Tr(KC)/Tr C",
            (tr_c > 0.0).then(|| tr_kc / tr_c),
        ),
        Readout::new(
            "hessian_estimate",
            "Hessian estimate 2a/Tr C from the fitted slope",
            slope.filter(|_| tr_c > 0.0).map(|a| 2.0 * a / tr_c),
        )
        .with_se(slope_se.filter(|_| tr_c > 0.0).map(|s| 2.0 * s / tr_c)),
        Readout::new(
            "slope_fit_quartic",
            "small-η slope from the quartic's points (same limit)",
            fits.quartic.map(|f| f.0),
        )
        .with_se(fits.quartic.map(|f| f.1)),
    ]
}

/// The readouts of the departures, in standard errors: the quadratic's points from its exact
/// curve after `steps` steps, the quartic's from the small-η law and from the quadratic's
/// curve; and the anharmonic remainder.
pub fn departures(plan: &Plan, fig: &Figure) -> Vec<Readout> {
    let (nqm, steps) = (&plan.nqm, plan.steps);
    let exact = |lr: f64| nqm.grad_sq_half_running(lr, steps);
    let tr_kc = nqm.tr_kc();
    let quartic = fig.get(plan.series.quartic);
    let rem = anharmonic_remainder(plan, fig);
    vec![
        Readout::new(
            "z_discrete_max",
            "quadratic: largest |Monte Carlo − exact| in standard errors",
            largest_z(fig.get(plan.series.quad), exact),
        ),
        Readout::new(
            "z_quartic_linear_max",
            "quartic: largest departure from the small-η law, in standard errors",
            largest_z(quartic, |lr| Some(0.5 * lr * tr_kc)),
        ),
        Readout::new(
            "z_quartic_harmonic_max",
            "quartic: largest departure from the quadratic's exact curve, in standard errors",
            largest_z(quartic, exact),
        ),
        Readout::new(
            "anharmonic_lr",
            "η of the anharmonic remainder below",
            rem.map(|r| r.0),
        ),
        Readout::new(
            "anharmonic_remainder",
            "quartic: 2⟨(∇f)²⟩/η − ⟨Tr(HC̃)⟩ at the largest η (0 on a quadratic)",
            rem.map(|r| r.1),
        )
        .with_se(rem.map(|r| r.2)),
    ]
}
