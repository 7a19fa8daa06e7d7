//! `second-order` (Liu et al. Sec. 6.4: Cor. 5, Cor. 6, Thm 10, beside SGD's Cor. 1) at reduced
//! sample size: every optimizer's Monte Carlo points within 5 standard errors of the exact
//! covariance after `steps` steps in both eigen-directions; the exact solver against the paper's
//! closed forms; where each optimizer diverges.

use nqm_explorer::optimizer::Opt;
use nqm_explorer::panels::query::{parse_for, Audience};
use nqm_explorer::panels::{self, second_order};
use nqm_explorer::params::Params;

fn setting(query: &str) -> Params {
    let (p, errors) = parse_for("second-order", query, Audience::Page);
    assert!(errors.is_empty(), "{errors:?}");
    p
}

fn check(query: &str) {
    let p = setting(query);
    let fig = panels::build(&p, 2).unwrap();
    assert!(fig.complete());
    let mut missing = 0;
    for (opt, name, ..) in second_order::OPTS {
        for d in 0..2 {
            let series = if d == 0 {
                format!("{name} (Monte Carlo)")
            } else {
                format!("{name} (Monte Carlo), direction 2")
            };
            let mc = fig.series_named(&series).unwrap();
            let se = mc.y_err.as_ref().unwrap();
            let mut checked = 0;
            for (j, (&lr, &y)) in mc.x.iter().zip(&mc.y).enumerate() {
                let Some(exact) = second_order::exact_after(&p, opt, lr) else {
                    panic!("{query}: {series}: no theory at λ = {lr}");
                };
                if second_order::exact(&p, opt, lr).is_none() {
                    // Past the optimizer's stability limit: no value.
                    assert!(y.is_nan(), "{query}: {series}: λ = {lr} has {y}");
                    missing += (d == 0) as usize;
                    continue;
                }
                assert!(y.is_finite() && se[j] > 0.0, "{query}: {series}: λ = {lr}");
                let z = (y - exact[(d, d)]).abs() / se[j];
                assert!(
                    z < 5.0,
                    "{query}: {series}: λ = {lr}: {y} ± {} vs {} ({z:.1} s.e.)",
                    se[j],
                    exact[(d, d)]
                );
                checked += 1;
            }
            assert!(checked >= 4, "{query}: {series}: {checked} points");
        }
    }
    let past = fig.readout("points_past_limit").unwrap().value.unwrap();
    assert_eq!(past, missing as f64, "{query}");
    for key in ["z_sgd_max", "z_dnm_max", "z_ngd_max", "z_adam_max"] {
        assert!(
            fig.readout(key).unwrap().value.unwrap() < 5.0,
            "{query}: {key}"
        );
    }
    // The constants of Cor. 6 and Thm 10, fitted to the points, within 5 of their standard
    // errors of the paper's.
    for (fit, theory) in [
        ("ngd_constant_fit", "ngd_constant_theory"),
        ("adam_constant_fit", "adam_constant_theory"),
    ] {
        let f = fig.readout(fit).unwrap();
        let t = fig.readout(theory).unwrap().value.unwrap();
        let z = (f.value.unwrap() - t).abs() / f.se.unwrap();
        assert!(z < 5.0, "{query}: {fit} {:?} vs {t}", f.value);
    }
    assert!(fig.readout("closed_form_rel_max").unwrap().value.unwrap() < 1e-9);
}

#[test]
fn every_optimizer_follows_its_exact_theory() {
    // Default K = diag(2, 0.2): SGD diverges at λ = 1, inside the sweep.
    check("walkers=4000&points=8&seed=21");
}

#[test]
fn with_momentum_and_stronger_noise() {
    check("walkers=4000&points=6&mu=0.5&a=0.099&seed=22");
    check("walkers=4000&points=6&h1=1&h2=0.1&a=1&seed=23");
}

#[test]
fn the_solver_agrees_with_the_paper_s_closed_forms() {
    for (h1, h2, a, mu) in [
        (2.0, 0.2, 0.009, 0.0),
        (1.0, 0.1, 0.099, 0.5),
        (0.5, 3.0, 1.0, 0.9),
    ] {
        let p = setting(&format!("h1={h1}&h2={h2}&a={a}&mu={mu}"));
        for lr in [0.01, 0.3, 1.0, 1.9] {
            for (opt, ..) in second_order::OPTS {
                let (Some(x), Some(c)) = (
                    second_order::exact(&p, opt, lr),
                    second_order::paper(&p, opt, lr),
                ) else {
                    continue;
                };
                for d in 0..2 {
                    let rel = (x[(d, d)] - c[(d, d)]).abs() / c[(d, d)];
                    assert!(rel < 1e-9, "{opt:?} λ={lr} {p:?}: {rel}");
                }
                assert!(x[(0, 1)].abs() < 1e-12 * x[(0, 0)], "{opt:?}: off-diagonal");
            }
            // Cor. 5, Eq. (25), literally: (1+μ)/(1−μ) · λ/(2(1+μ) − λ) · (N−S)/(NS) · K⁻¹.
            if lr < 2.0 * (1.0 + mu) {
                let x = second_order::exact(&p, Opt::Dnm, lr).unwrap();
                for (d, k) in [h1, h2].into_iter().enumerate() {
                    let want = (1.0 + mu) / (1.0 - mu) * lr / (2.0 * (1.0 + mu) - lr) * a / k;
                    assert!((x[(d, d)] / want - 1.0).abs() < 1e-9);
                }
            }
            // Cor. 6, Eq. (26), and Thm 10, Eq. (27), literally.
            let x = second_order::exact(&p, Opt::Ngd, lr).unwrap();
            for (d, k) in [h1, h2].into_iter().enumerate() {
                let want = lr * ((1.0 + mu) * a + 1.0 - mu) / (2.0 * (1.0 - mu * mu)) / k;
                assert!((x[(d, d)] / want - 1.0).abs() < 1e-9);
            }
            let x = second_order::exact(&p, Opt::Adam, lr).unwrap();
            for d in 0..2 {
                let want = lr * lr * (1.0 + a) / 4.0;
                assert!((x[(d, d)] / want - 1.0).abs() < 1e-9);
            }
        }
    }
}

#[test]
fn natural_gradient_and_adam_never_diverge_unlike_sgd_and_damped_newton() {
    let p = setting("mu=0.3");
    let edge = 2.0 * 1.3;
    for lr in [0.5 * edge, 0.999 * edge, 1.001 * edge, 3.0 * edge, 20.0] {
        assert!(
            second_order::exact(&p, Opt::Ngd, lr).is_some(),
            "NGD at {lr}"
        );
        assert!(
            second_order::exact(&p, Opt::Adam, lr).is_some(),
            "Adam at {lr}"
        );
        assert_eq!(
            second_order::exact(&p, Opt::Dnm, lr).is_some(),
            lr < edge,
            "DNM at {lr}"
        );
        assert_eq!(
            second_order::exact(&p, Opt::Sgd, lr).is_some(),
            lr * p.h1 < edge,
            "SGD at {lr}"
        );
    }
    let fig = panels::plan(&p).unwrap();
    assert_eq!(
        fig.readout("lr_sgd_divergence").unwrap().value,
        Some(edge / 2.0)
    );
    assert_eq!(fig.readout("lr_dnm_divergence").unwrap().value, Some(edge));
}
