//! `noise-shape` (Liu et al. Fig. 8) at reduced sample size: for Gaussian, Student-t (ν = 4) and
//! centred χ² (3 dof) noise, every Monte Carlo point within 5 standard errors of the exact
//! variance after `steps` steps, which is the same for all three; the continuous curve off by
//! more than that near λk = 2.
//!
//! Student-t with ν = 4 has an infinite fourth moment, so the sample standard error of the
//! variance is only asymptotically valid (see the module docs of `panels::noise_shape`); the
//! comparison uses 10⁴ runs, where a 5-s.e. excursion has a measured probability of about
//! 10⁻⁴ per point at the worst λ (λk = 1). `student_t_standard_errors_calibration` (ignored:
//! about half a minute) measures it.

use nalgebra::DMatrix;
use nqm_explorer::model::Model;
use nqm_explorer::optimizer::Optimizer;
use nqm_explorer::panels::query::{parse_for, Audience};
use nqm_explorer::panels::{self, noise_shape};
use nqm_explorer::params::Params;
use nqm_explorer::sim::{Dynamics, Ensemble, Shape};
use nqm_explorer::theory::closed_form;

fn setting(query: &str) -> Params {
    let (p, errors) = parse_for("noise-shape", query, Audience::Page);
    assert!(errors.is_empty(), "{errors:?}");
    p
}

#[test]
fn every_distribution_follows_the_exact_curve_and_not_the_continuous_one() {
    let p = setting("walkers=10000&points=8&seed=11");
    let fig = panels::build(&p, 2).unwrap();
    assert!(fig.complete());
    let model = noise_shape::model(&p);
    let mut rel_se = Vec::new();
    for (name, _, _) in noise_shape::DISTS {
        let mc = fig.series_named(name).unwrap();
        let se = mc.y_err.as_ref().unwrap();
        assert_eq!(mc.x, noise_shape::lrs(&p, rel_se.len()));
        let mut far_continuous = 0;
        let mut near_one = f64::NAN;
        for (j, (&lr, &y)) in mc.x.iter().zip(&mc.y).enumerate() {
            assert!(y.is_finite() && se[j] > 0.0, "{name}: λ = {lr} missing");
            let exact = noise_shape::exact_after(&model, lr, p.steps).unwrap();
            let z = (y - exact).abs() / se[j];
            assert!(
                z < 5.0,
                "{name}: λ = {lr}: {y} ± {} vs exact {exact} ({z:.1} s.e.)",
                se[j]
            );
            if lr * p.h1 >= 1.5 {
                let c = lr * p.sigma2 / (2.0 * p.h1);
                let zc = (y - c).abs() / se[j];
                assert!(zc > 5.0, "{name}: λ = {lr}: continuous within {zc:.1} s.e.");
                far_continuous += 1;
            }
            if (0.8..1.2).contains(&(lr * p.h1)) && near_one.is_nan() {
                near_one = se[j] / y;
            }
        }
        assert!(far_continuous >= 2, "{name}");
        rel_se.push(near_one);
    }
    // The runs really use the three distributions: near λk = 1, where w is almost the noise
    // itself, the relative standard error of the variance is √((κ − 1)/n) with κ the kurtosis
    // of w: √(2/n) for Gaussian noise, about √(6/n) for χ²(3) (κ = 3 + 12/3), and larger for
    // Student-t(4), whose κ is infinite.
    assert!(rel_se[1] > 1.3 * rel_se[0], "{rel_se:?}");
    assert!(rel_se[2] > 1.3 * rel_se[0], "{rel_se:?}");
    for key in ["z_gauss_max", "z_student_max", "z_chi2_max"] {
        assert!(fig.readout(key).unwrap().value.unwrap() < 5.0, "{key}");
    }
    assert!(fig.readout("z_continuous_max").unwrap().value.unwrap() > 20.0);
}

#[test]
fn the_exact_curve_is_corollary_3_and_the_continuous_one_eq_1() {
    let p = setting("points=4&walkers=100&h1=0.5&sigma2=2");
    let fig = panels::plan(&p).unwrap();
    let d = fig
        .series_named("exact discrete (every distribution)")
        .unwrap();
    let k = DMatrix::from_element(1, 1, p.h1);
    for (&lr, &y) in d.x.iter().zip(&d.y) {
        let want = closed_form::cor3(&k, p.sigma2, lr).unwrap()[(0, 0)];
        assert!((y - want).abs() < 1e-9 * want, "{lr}: {y} vs {want}");
    }
    let c = fig.series_named("continuous").unwrap();
    for (&lr, &y) in c.x.iter().zip(&c.y) {
        let want = lr * p.sigma2 / (2.0 * p.h1);
        assert!((y - want).abs() < 1e-9 * want, "{lr}: {y} vs {want}");
    }
    assert_eq!(fig.series_named("λk = 2").unwrap().x, vec![4.0]);
    assert_eq!(fig.jobs, 12);
}

/// The deviation (v̂ − v)/ŝ of the sample variance from the exact one in sample standard errors,
/// over `reps` replicate ensembles of `n` runs at λk = 1 after one step (w = −λη: the noise
/// itself, the worst case for heavy tails); returns the fractions below −3 and −5 and above 3.
fn calibration(dist: Shape, n: usize, reps: usize) -> (f64, f64, f64) {
    let model = Model::new(
        DMatrix::from_element(1, 1, 1.0),
        DMatrix::from_element(1, 1, 1.0),
    );
    let opt = Optimizer::sgd(1.0, 0.0, 1);
    let dy = Dynamics::new(&model, &opt, dist).unwrap();
    let (mut lo3, mut lo5, mut hi3) = (0, 0, 0);
    for r in 0..reps {
        let mut e = Ensemble::new(1, n, 1000 + r as u64);
        e.advance(&dy, 1);
        let m = e.moments().unwrap();
        let z = (m.cov[(0, 0)] - 1.0) / m.cov_se[(0, 0)];
        lo3 += (z < -3.0) as usize;
        lo5 += (z < -5.0) as usize;
        hi3 += (z > 3.0) as usize;
    }
    let f = |c: usize| c as f64 / reps as f64;
    (f(lo3), f(lo5), f(hi3))
}

#[test]
#[ignore]
fn student_t_standard_errors_calibration() {
    // Measured on this code (seeds 1000…): Student-t(4), n = 2000, 50 000 replicates:
    // below −3 s.e. 2.2 %, below −5 s.e. 0.07 %, above 3 s.e. 0 %; n = 10⁴, 20 000 replicates:
    // 1.5 %, 0.01 %, 0.01 %. χ²(3), n = 2000: 0.65 %, 0.005 %, 0.02 %. Gaussian, n = 1000:
    // 0.32 %, 0, 0.06 % (a normal law: 0.13 %, 3·10⁻⁷, 0.13 %).
    for (dist, n, reps) in [
        (Shape::Student(4), 2000, 50_000),
        (Shape::Student(4), 10_000, 20_000),
        (Shape::Chi2(3), 2000, 20_000),
        (Shape::Gauss, 1000, 20_000),
    ] {
        let (lo3, lo5, hi3) = calibration(dist, n, reps);
        println!("{dist:?} n = {n}: z < −3: {lo3:.4}, z < −5: {lo5:.5}, z > 3: {hi3:.4}");
    }
    let (lo3, lo5, _) = calibration(Shape::Student(4), 10_000, 20_000);
    // Heavier than normal below (0.13 % beyond −3), yet a 5-s.e. excursion stays rare.
    assert!(lo3 > 0.005 && lo5 < 0.001, "{lo3} {lo5}");
}
