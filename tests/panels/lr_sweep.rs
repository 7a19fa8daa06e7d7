//! `lr-sweep` (Liu et al. Fig. 2a–b) at reduced sample size: every Monte Carlo point within 5
//! standard errors of the exact variance after `steps` steps, and the continuous-time curve
//! off by far more than that where the paper says (λk close to 2).

use nqm_explorer::panels::query::{parse_for, Audience};
use nqm_explorer::panels::{self, lr_sweep};
use nqm_explorer::params::Params;

fn setting(query: &str) -> Params {
    let (p, errors) = parse_for("lr-sweep", query, Audience::Page);
    assert!(errors.is_empty(), "{errors:?}");
    p
}

fn check(query: &str) {
    let p = setting(query);
    let fig = panels::build(&p, 2).unwrap();
    assert!(fig.complete());
    let mc = fig.series_named("Monte Carlo").unwrap();
    let se = mc.y_err.as_ref().unwrap();
    let mut far_continuous = 0;
    for (j, (&lr, &y)) in mc.x.iter().zip(&mc.y).enumerate() {
        let exact = lr_sweep::exact_after(&p.model(), lr, p.steps).unwrap();
        assert!(y.is_finite() && se[j] > 0.0, "{query}: point {j} missing");
        let z = (y - exact).abs() / se[j];
        assert!(
            z < 5.0,
            "{query}: λ = {lr}: {y} ± {} vs exact {exact} ({z:.1} s.e.)",
            se[j]
        );
        let c =
            lr * if p.noise == nqm_explorer::params::Noise::White {
                p.sigma2
            } else {
                0.0
            } / (2.0 * p.h1);
        if p.noise == nqm_explorer::params::Noise::White && lr * p.h1 >= 1.5 {
            let zc = (y - c).abs() / se[j];
            assert!(
                zc > 5.0,
                "{query}: λ = {lr}: continuous within {zc:.1} s.e."
            );
            far_continuous += 1;
        }
    }
    if p.noise == nqm_explorer::params::Noise::White {
        // Near λk = 2 the continuous curve misses by far more than the error bars.
        assert!(
            far_continuous >= 3,
            "{query}: continuous curve never rejected"
        );
        let z = fig.readout("z_continuous_max").unwrap().value.unwrap();
        assert!(z > 20.0, "{query}: {z}");
    }
}

#[test]
fn white_noise_points_follow_the_exact_curve_and_not_the_continuous_one() {
    check("walkers=4000&points=10&seed=3");
}

#[test]
fn minibatch_points_follow_the_exact_minibatch_theory() {
    check("noise=minibatch&n_data=1000&batch=100&walkers=3000&points=8&seed=5");
    check("noise=minibatch&n_data=200&batch=50&replace=1&walkers=3000&points=6&seed=6");
}

#[test]
fn the_divergence_is_marked_and_the_theory_is_finite_below_it() {
    let p = setting("points=5&walkers=100");
    let fig = panels::plan(&p).unwrap();
    let vline = fig.series_named("λk = 2").unwrap();
    assert_eq!(vline.x, vec![2.0]);
    let d = fig.series_named("exact discrete").unwrap();
    assert!(d.y.iter().all(|y| y.is_finite() && *y > 0.0));
    // Cor. 3 in 1-D: λσ²/(k(2 − λk)).
    for (&lr, &y) in d.x.iter().zip(&d.y) {
        let want = lr / (2.0 - lr);
        assert!((y - want).abs() < 1e-9 * want, "{lr}: {y} vs {want}");
    }
}
