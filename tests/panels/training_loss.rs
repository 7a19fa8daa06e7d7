//! `training-loss` (Liu et al. Thm 5, Table 1 lower half, Cor. 7) at reduced sample size: the
//! Monte Carlo loss of SGD, SGDM and QHM within 5 standard errors of the exact loss after
//! `steps` steps, the exact curves equal to Thm 5's Eq. 12 (any K, C) and to QHM's ARMA form,
//! the continuous curve and Gitman et al.'s expansion off where the paper says, and Cor. 7 as
//! printed shown to be wrong.

use nqm_explorer::figure::Series;
use nqm_explorer::model::spectrum::Spectrum;
use nqm_explorer::panels::query::{parse_for, Audience};
use nqm_explorer::panels::{self, training_loss as tl};
use nqm_explorer::params::Params;
use nqm_explorer::theory::measured::minibatch_factor;
use nqm_explorer::theory::spectrum::Rows;
use nqm_explorer::theory::{closed_form as cf, expected_loss};

fn setting(query: &str) -> Params {
    let (p, errors) = parse_for("training-loss", query, Audience::Page);
    assert!(errors.is_empty(), "{errors:?}");
    p
}

fn check_points(query: &str) {
    let p = setting(query);
    let model = p.model();
    let fig = panels::build(&p, 2).unwrap();
    assert!(fig.complete());
    for o in 0..3 {
        let mc = &fig.series[o];
        let se = mc.y_err.as_ref().unwrap();
        for (j, (&lr, &y)) in mc.x.iter().zip(&mc.y).enumerate() {
            assert!(
                y.is_finite() && se[j] > 0.0,
                "{query}: optimizer {o}, point {j}"
            );
            let exact = tl::exact_after(&model, &p, o, lr).unwrap();
            let z = (y - exact).abs() / se[j];
            assert!(
                z < 5.0,
                "{query}: optimizer {o}, λ = {lr}: {y} ± {} vs exact {exact} ({z:.1} s.e.)",
                se[j]
            );
        }
    }
    // Near the stability limit the continuous-time loss is off by far more than the error bars
    // for every optimizer.
    for tag in ["sgd", "sgdm", "qhm"] {
        let z = fig
            .readout(&format!("{tag}_z_continuous_max"))
            .unwrap()
            .value
            .unwrap();
        assert!(z > 20.0, "{query}: {tag}: {z}");
    }
}

#[test]
fn monte_carlo_follows_the_exact_loss_for_all_three_optimizers() {
    check_points("walkers=3000&steps=400&points=6&seed=4");
}

#[test]
fn monte_carlo_follows_the_exact_loss_with_noise_that_does_not_commute_with_k() {
    check_points(
        "noise=general&c1=1&c2=0.2&c_angle=30&h_angle=-20&walkers=3000&steps=400&points=5&seed=8",
    );
}

#[test]
fn exact_curves_are_thm_5_and_qhm_arma_and_exceed_the_continuous_one_for_sgd_and_sgdm() {
    for query in [
        "",
        "noise=general&c1=1&c2=0.2&c_angle=30&h_angle=-20&mu=0.5",
        "noise=hessian&a=2&mu=0.3&qhm_nu=0.4",
    ] {
        let p = setting(query);
        let model = p.model();
        let (k, c) = (&model.k, &model.c);
        let commuting = (k * c - c * k).norm() < 1e-12;
        for o in 0..3 {
            let limit = tl::stability_limit(&p, &model, o);
            for frac in [0.01, 0.2, 0.5, 0.8, 0.97] {
                let lr = frac * limit;
                let exact = tl::exact(&model, &p, o, lr).unwrap();
                let mu = if o == 0 { 0.0 } else { p.mu };
                let cont = if o == 2 {
                    lr / 4.0
                } else {
                    lr / (4.0 * (1.0 - mu))
                } * c.trace();
                if o < 2 {
                    // Thm 5, Eq. 12, for any positive-definite K and C.
                    let want = cf::thm5_loss(k, c, lr, mu).unwrap();
                    assert!((exact - want).abs() < 1e-9 * want, "{query}: {o}, λ = {lr}");
                    assert!(exact > cont, "{query}: {o}, λ = {lr}");
                } else if commuting {
                    let s = cf::qhm_commuting(k, c, lr, p.mu, p.qhm_nu).unwrap();
                    let want = expected_loss(k, &s);
                    assert!((exact - want).abs() < 1e-9 * want, "{query}: QHM, λ = {lr}");
                }
            }
        }
        // The plotted curves are these.
        let fig = panels::plan(&p).unwrap();
        let curves: Vec<_> = fig
            .series
            .iter()
            .filter(|s| s.name == "exact discrete")
            .collect();
        assert_eq!(curves.len(), 3);
        for (o, s) in curves.iter().enumerate() {
            for (&lr, &y) in s.x.iter().zip(&s.y).step_by(37) {
                let want = tl::exact(&model, &p, o, lr).unwrap();
                assert!((y - want).abs() <= 1e-12 * want);
            }
        }
    }
}

#[test]
fn gitman_expansion_is_right_to_second_order_only() {
    // exact − expansion = O(λ³): halving λ divides it by about 8; at large λ it is far off.
    let p = setting("");
    let model = p.model();
    for o in 0..3 {
        let opt = |lr: f64| {
            let mut q = p.clone();
            q.lr = lr;
            match o {
                0 => {
                    q.opt = nqm_explorer::optimizer::Opt::Sgd;
                    q.mu = 0.0
                }
                1 => q.opt = nqm_explorer::optimizer::Opt::Sgd,
                _ => q.opt = nqm_explorer::optimizer::Opt::Qhm,
            }
            q.optimizer()
        };
        let diff = |lr: f64| {
            tl::exact(&model, &p, o, lr).unwrap()
                - nqm_explorer::theory::loss_expansion(&model, &opt(lr)).unwrap()
        };
        let (a, b) = (diff(2e-3), diff(1e-3));
        let r = a / b;
        assert!((r - 8.0).abs() < 0.5, "optimizer {o}: ratio {r} ({a}, {b})");
        let limit = tl::stability_limit(&p, &model, o);
        let lr = 0.9 * limit;
        let ex = tl::exact(&model, &p, o, lr).unwrap();
        let ga = nqm_explorer::theory::loss_expansion(&model, &opt(lr)).unwrap();
        assert!((ex - ga).abs() > 0.5 * ex, "optimizer {o}: {ex} vs {ga}");
    }
}

#[test]
fn qhm_can_lie_below_the_continuous_curve() {
    let p = setting("");
    let model = p.model();
    // μ = 0.9, ν = 0.7: QHM's exact loss is below λTr C/4 at λ = 1.
    let exact = tl::exact(&model, &p, 2, 1.0).unwrap();
    assert!(exact < 1.0 / 4.0 * model.c.trace(), "{exact}");
    // Cor. 7 as printed (`tests/core/theory.rs`) is drawn beside it, in the QHM plot only.
    let fig = panels::plan(&p).unwrap();
    let printed = fig.series_named("Cor. 7, Eq. 89 as printed").unwrap();
    assert_eq!(printed.plot, 2);
    assert!(printed.y.iter().any(|y| y.is_finite()));
}

/// A 2-D theory curve of optimizer `o` at rate λ.
type Theory<'a> = dyn Fn(usize, f64) -> Option<f64> + 'a;

/// The series of `fig` named `name`, in plot order.
fn named<'a>(fig: &'a nqm_explorer::figure::Figure, name: &str) -> Vec<&'a Series> {
    fig.series.iter().filter(|s| s.name == name).collect()
}

#[test]
fn a_two_row_spectrum_of_the_default_model_draws_the_default_curves() {
    // The default: K = diag(1, 0.1), white noise σ² = 1, so C = diag(1, 1): per-example
    // variances 111 times the minibatch factor of 100 of 1000 without replacement,
    // 900/(100·999) = 1/111.
    let p = setting("");
    let model = p.model();
    let ps = setting("spectrum=1*111*1_0.1*111*1");
    assert!(ps.spectrum.is_some());
    let fig = panels::plan(&ps).unwrap();
    for o in 0..3 {
        let (a, b) = (
            tl::stability_limit(&p, &model, o),
            fig.readouts[o].value.unwrap(),
        );
        assert!((a - b).abs() < 1e-9 * a, "optimizer {o}: limit {a} vs {b}");
    }
    let two_d: [(&str, &Theory); 2] = [
        ("exact discrete", &|o, lr| tl::exact(&model, &p, o, lr)),
        ("continuous", &|o, lr| tl::continuous(&model, &p, o, lr)),
    ];
    for (name, theory) in two_d {
        let curves = named(&fig, name);
        assert_eq!(curves.len(), 3, "{name}");
        for (o, s) in curves.iter().enumerate() {
            for (&lr, &y) in s.x.iter().zip(&s.y) {
                let want = theory(o, lr).unwrap();
                assert!(
                    (y - want).abs() <= 1e-9 * want,
                    "{name} {o}, λ = {lr}: {y} vs {want}"
                );
            }
        }
    }
    // Gitman et al.'s expansion and Cor. 7 as printed too.
    let default_fig = panels::plan(&p).unwrap();
    for name in [
        "Gitman et al. expansion (Table 1)",
        "Cor. 7, Eq. 89 as printed",
    ] {
        for (s, d) in named(&fig, name).iter().zip(named(&default_fig, name)) {
            for (y, want) in s.y.iter().zip(&d.y).filter(|(_, w)| w.is_finite()) {
                assert!(
                    (y - want).abs() <= 1e-6 * want.abs(),
                    "{name}: {y} vs {want}"
                );
            }
        }
    }
}

#[test]
fn monte_carlo_in_d_dimensions_follows_the_exact_loss_of_a_spectrum() {
    // Three rows, one of them two directions (D = 4), its own noise column.
    let p = setting("spectrum=1*0.5*1_0.3*1*2_0.05*2*1&walkers=2000&steps=300&points=4&seed=5");
    let s = p.spectrum.clone().unwrap();
    let rows = Rows::of(&s, p.a).scaled_noise(minibatch_factor(p.n_data, p.batch, p.replace));
    let fig = panels::build(&p, 2).unwrap();
    assert!(fig.complete());
    assert_eq!(fig.jobs, 12);
    for o in 0..3 {
        let mc = &fig.series[o];
        assert_eq!(mc.name, "Monte Carlo");
        let se = mc.y_err.as_ref().unwrap();
        for (j, (&lr, &y)) in mc.x.iter().zip(&mc.y).enumerate() {
            let exact = rows.loss_after(&tl::optimizer(&p, o, lr), p.steps).unwrap();
            let z = (y - exact).abs() / se[j];
            assert!(
                z < 5.0,
                "optimizer {o}, λ = {lr}: {y} ± {} vs exact {exact} ({z:.1} s.e.)",
                se[j]
            );
        }
    }
}

#[test]
fn a_spectrum_too_large_for_the_monte_carlo_draws_the_theory_and_says_so() {
    let mut p = setting("");
    p.spectrum = Some(Spectrum::power_law(50, 2.0, 1.3).unwrap());
    assert_eq!(panels::find("training-loss").unwrap().work_any(&p), 0);
    let fig = panels::plan(&p).unwrap();
    assert_eq!(fig.jobs, 0);
    assert!(named(&fig, "Monte Carlo").is_empty());
    for plot in &fig.plots {
        assert!(plot.title.contains("D = 50"), "{}", plot.title);
        let note = plot.note.as_deref().unwrap();
        assert!(note.starts_with("Theory only"), "{note}");
    }
    // Too many directions for the walkers, however few: one row of 20 000 directions.
    let mut q = setting("walkers=16&steps=10&points=2");
    q.spectrum = Some(Spectrum::new(vec![1.0], None, Some(vec![20_000])).unwrap());
    let many = panels::plan(&q).unwrap();
    assert_eq!(many.jobs, 0);
    let note = many.plots[0].note.as_deref().unwrap();
    assert!(note.contains("at most 10000 directions"), "{note}");
    // Its curves are the sums over the modes of Eq. 12 (SGD: λcf/(4(1 − λh/2)) each).
    let s = p.spectrum.as_ref().unwrap();
    let f = minibatch_factor(p.n_data, p.batch, p.replace);
    let sgd = named(&fig, "exact discrete")[0];
    for (&lr, &y) in sgd.x.iter().zip(&sgd.y).step_by(29) {
        let want: f64 = (s.h().iter())
            .map(|h| lr * p.a * h * f / (4.0 * (1.0 - lr * h / 2.0)))
            .sum();
        assert!((y - want).abs() <= 1e-12 * want, "λ = {lr}: {y} vs {want}");
    }
}
