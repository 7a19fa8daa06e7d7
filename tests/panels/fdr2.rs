//! `fdr2` (Yaida 2019, FDR2, Fig. 3) at reduced sample size: on the quadratic every Monte Carlo
//! ⟨(∇f)²⟩ is within 5 standard errors of the exact expectation of Yaida's half-running
//! average after `steps` steps, and the small-η slope read off the points is ½Tr(KC); with the
//! quartic term the curve departs from the linear small-η law (and from the quadratic's exact
//! curve) by far more than its error bars. (The quartic simulator itself is checked in
//! tests/core/diagonal.rs.)

use nqm_explorer::panels::query::{parse_for, Audience};
use nqm_explorer::panels::{self, fdr2};
use nqm_explorer::params::Params;

fn setting(query: &str) -> Params {
    let (p, errors) = parse_for("fdr2", query, Audience::Page);
    assert!(errors.is_empty(), "{errors:?}");
    p
}

fn points(fig: &nqm_explorer::figure::Figure, name_start: &str) -> Vec<(f64, f64, f64)> {
    let s = fig
        .series
        .iter()
        .find(|s| s.name.starts_with(name_start))
        .unwrap_or_else(|| panic!("no series {name_start}"));
    let e = s.y_err.as_ref().unwrap();
    (0..s.x.len()).map(|j| (s.x[j], s.y[j], e[j])).collect()
}

#[test]
fn quadratic_points_match_the_exact_value_and_give_the_hessian() {
    for query in [
        "walkers=3000&points=10&seed=11",
        "walkers=2000&points=6&steps=400&sigma2=0.3&a=1&h2=0.2&seed=12",
    ] {
        let p = setting(query);
        let q = fdr2::nqm(&p);
        let fig = panels::build(&p, 2).unwrap();
        assert!(fig.complete());
        for (lr, y, se) in points(&fig, "Monte Carlo, quadratic") {
            let exact = q.grad_sq_half_running(lr, p.steps).unwrap();
            assert!(y.is_finite() && se > 0.0, "{query}: η = {lr} missing");
            let z = (y - exact).abs() / se;
            assert!(
                z < 5.0,
                "{query}: η = {lr}: {y} ± {se} vs {exact} ({z:.1} s.e.)"
            );
            // The plotted stationary curve is the t → ∞ limit of the same expectation.
            let st = q.grad_sq_stationary(lr).unwrap();
            let long = q.grad_sq_half_running(lr, 10_000_000).unwrap();
            assert!((st - long).abs() < 1e-9 * st);
        }
        // The slope at η → 0 is ½Tr(KC) and the Hessian estimate Tr(KC)/Tr C.
        let slope = fig.readout("slope_fit").unwrap();
        let (a, se) = (slope.value.unwrap(), slope.se.unwrap());
        let want = 0.5 * q.tr_kc();
        assert!(
            (a - want).abs() < 5.0 * se,
            "{query}: slope {a} ± {se} vs {want}"
        );
        let h = fig.readout("hessian_estimate").unwrap();
        let h_exact = fig.readout("hessian_exact").unwrap().value.unwrap();
        assert!((h.value.unwrap() - h_exact).abs() < 5.0 * h.se.unwrap());
        let z = fig.readout("z_discrete_max").unwrap().value.unwrap();
        assert!(z < 5.0, "{query}: {z}");
    }
}

#[test]
fn the_quartic_curve_departs_from_the_linear_law_by_more_than_its_error_bars() {
    let p = setting("walkers=3000&points=10&seed=13");
    let q = fdr2::nqm(&p);
    assert!(q.g > 0.0);
    let fig = panels::build(&p, 2).unwrap();
    let quartic = points(&fig, "Monte Carlo, quartic");
    let quad = points(&fig, "Monte Carlo, quadratic");
    // The departure from the linear law grows with η (the curve bends) and at the largest η
    // is many error bars; so is the departure from the quadratic's exact curve, which bends
    // too (C̃ grows with η), so that only this second departure is anharmonicity.
    let (lr, y, se) = *quartic.last().unwrap();
    let linear = 0.5 * lr * q.tr_kc();
    let harmonic = q.grad_sq_half_running(lr, p.steps).unwrap();
    assert!(
        (y - linear) / se > 20.0,
        "η = {lr}: {y} ± {se} vs linear {linear}"
    );
    assert!(
        (y - harmonic) / se > 10.0,
        "η = {lr}: {y} ± {se} vs quadratic {harmonic}"
    );
    // The bend is the quartic's: the quadratic's own top point sits on its exact curve.
    let (_, yq, seq) = *quad.last().unwrap();
    assert!((yq - harmonic).abs() < 5.0 * seq);
    let rel: Vec<f64> = quartic
        .iter()
        .map(|(lr, y, _)| y / (0.5 * lr * q.tr_kc()) - 1.0)
        .collect();
    assert!(
        rel.windows(3).all(|w| w[2] > w[0]),
        "relative departure not growing: {rel:?}"
    );
    let zl = fig.readout("z_quartic_linear_max").unwrap().value.unwrap();
    let zh = fig
        .readout("z_quartic_harmonic_max")
        .unwrap()
        .value
        .unwrap();
    assert!(zl > 20.0 && zh > 10.0, "{zl} {zh}");
    // At small η the quartic has the quadratic's slope: the anharmonic terms vanish there.
    let (lr0, y0, se0) = quartic[0];
    let small = q.grad_sq_half_running(lr0, p.steps).unwrap();
    assert!(
        (y0 - small).abs() < 5.0 * se0,
        "η = {lr0}: {y0} ± {se0} vs {small}"
    );
    // FDR2 with the measured ⟨Tr(HC̃)⟩ misses by the anharmonic terms (of either sign;
    // here negative), by more than the (conservative) error bar.
    let r = fig.readout("anharmonic_remainder").unwrap();
    assert!(r.value.unwrap().abs() > 5.0 * r.se.unwrap(), "{r:?}");
}

#[test]
fn sample_size_keys_set_the_points_and_jobs() {
    let p = setting("points=7&walkers=100&steps=50");
    let fig = panels::plan(&p).unwrap();
    assert_eq!(fig.jobs, 14);
    let quad = points(&fig, "Monte Carlo, quadratic");
    assert_eq!(quad.len(), 7);
    assert!((quad[6].0 - p.lr * 13.0 / 14.0).abs() < 1e-15);
    // Readouts of a plan (no points yet) are null, never NaN.
    assert!(fig
        .readouts
        .iter()
        .all(|r| r.value.is_none_or(f64::is_finite)));
    let fig = panels::build(&p, 2).unwrap();
    let fig1 = panels::build(&p, 1).unwrap();
    assert_eq!(
        fig, fig1,
        "the figure does not depend on the number of threads"
    );
}
