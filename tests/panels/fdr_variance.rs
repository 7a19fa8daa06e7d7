//! `fdr-variance` at reduced sample size: the variance over runs of the FDR1 residual
//! D = Ō_L − Ō_R within 5 standard errors of its exact value (a Gaussian quadratic form, since
//! D is a boundary term) at every point of both sweeps; the fitted exponents within 5 standard
//! errors of the exponents the theory gives over the same points — exactly 2 (D) and 0 (r) in
//! σ² from the minimum — and far from the blog's −1 (in η) and +1 (in σ²) for the variance of D.

use nqm_explorer::figure::{Figure, Series};
use nqm_explorer::panels;
use nqm_explorer::panels::query::{parse_for, Audience};
use nqm_explorer::params::Params;

fn setting(query: &str) -> Params {
    let (p, errors) = parse_for("fdr-variance", query, Audience::Page);
    assert!(errors.is_empty(), "{errors:?}");
    p
}

fn slope(fig: &Figure, key: &str) -> (f64, f64, f64) {
    let r = fig.readout(&format!("slope_{key}")).unwrap();
    let t = fig.readout(&format!("slope_{key}_theory")).unwrap();
    (r.value.unwrap(), r.se.unwrap(), t.value.unwrap())
}

/// The series called `name` in plot `plot`.
fn series<'a>(fig: &'a Figure, plot: usize, name: &str) -> &'a Series {
    let mut found = fig
        .series
        .iter()
        .filter(|s| s.plot == plot && s.name == name);
    found.next().unwrap()
}

/// Every Monte Carlo Var[D] against the exact value; returns the figure.
fn check(query: &str) -> Figure {
    let p = setting(query);
    let fig = panels::build(&p, 2).unwrap();
    assert!(fig.complete());
    for k in 0..2 {
        let mc = series(&fig, k, "Monte Carlo");
        let ex = series(&fig, k, "exact (Gaussian quadratic form)");
        let se = mc.y_err.as_ref().unwrap();
        for (j, (&x, &y)) in mc.x.iter().zip(&mc.y).enumerate() {
            let e = ex.y[ex.x.iter().position(|&t| t == x).unwrap()];
            let z = (y - e).abs() / se[j];
            assert!(
                z < 5.0,
                "{query}: plot {k}, x = {x}: {y} ± {} vs exact {e} ({z:.1} s.e.)",
                se[j]
            );
        }
    }
    // The fitted exponents of Var[D] against the exact curve's over the same points.
    for key in ["d_lr", "d_sigma2"] {
        let (b, se, t) = slope(&fig, key);
        assert!(
            (b - t).abs() < 5.0 * se,
            "{query}: {key}: {b} ± {se} vs theory {t}"
        );
    }
    fig
}

#[test]
fn the_residuals_variance_is_exact_and_its_exponents_are_not_the_blogs() {
    let fig = check("walkers=3000&points=6&seed=21");
    let (b_lr, se_lr, _) = slope(&fig, "d_lr");
    let (b_s, se_s, t_s) = slope(&fig, "d_sigma2");
    eprintln!("Var[D]: η exponent {b_lr:.3} ± {se_lr:.3}, σ² exponent {b_s:.3} ± {se_s:.3}");
    // From the minimum every run scales with σ: Var[D] ∝ σ⁴ exactly.
    assert!((t_s - 2.0).abs() < 1e-9, "{t_s}");
    // The blog's "linear in the gradient variance, inverse in the learning rate" is not what
    // the variance of D does: far from both exponents.
    assert!((b_s - 1.0) / se_s > 20.0, "{b_s} ± {se_s}");
    assert!((b_lr + 1.0) / se_lr > 10.0, "{b_lr} ± {se_lr}");
    // The ratio: independent of σ² (exactly, from the minimum) and falling about as η⁻²
    // (the leading-order curve's exponent, within 5 s.e.).
    let (b, se, t) = slope(&fig, "r_sigma2");
    assert!(t.abs() < 1e-9 && b.abs() < 5.0 * se, "{b} ± {se} vs {t}");
    let (b, se, t) = slope(&fig, "r_lr");
    eprintln!("Var[r]: η exponent {b:.3} ± {se:.3} (leading order {t:.3})");
    assert!((b - t).abs() < 5.0 * se && b < -1.5, "{b} ± {se} vs {t}");
}

#[test]
fn the_exact_variance_holds_with_momentum_dampening_and_a_start_away() {
    check("mu=0.9&walkers=2000&points=5&seed=22");
    check("mu=0.5&damp=0.3&lr=0.2&walkers=2000&points=5&seed=23");
    check("w0=3&walkers=2000&points=5&steps=400&seed=24");
}

#[test]
fn at_stationarity_the_residual_falls_as_one_over_n_squared() {
    // D is a boundary term: quadrupling the run divides its variance by 16 once the two ends
    // are independent.
    use nalgebra::{Matrix2, Vector4};
    use nqm_explorer::theory::fdr_finite::Linear2;
    let l = Linear2::new(
        &Matrix2::new(1.0, 0.0, 0.0, 0.1),
        &Matrix2::identity(),
        0.5,
        0.0,
        0.0,
    );
    let var = |steps: u64| l.residual(&Vector4::zeros(), steps).1;
    let ratio = var(1000) / var(4000);
    assert!((ratio - 16.0).abs() < 0.01, "{ratio}");
}

#[test]
fn the_eta_minus_2_law_of_the_ratio_needs_long_windows() {
    // Stationary window n, closed form per mode (tests/fdr_window.rs): Var[r] ∝ η⁻² when ηkn ≫ 1
    // for every k, ∝ 1/η when ηkn ≪ 1.
    let value = |fig: &Figure, key: &str| fig.readout(key).unwrap().value.unwrap();
    // The default: T = 1000 (n = 500), η = 0.1, K = diag(1, 0.1): ηkn = 5 and 50.
    let long = panels::plan(&setting("")).unwrap();
    assert!((value(&long, "eta_k_n_min") - 5.0).abs() < 1e-9);
    let e = value(&long, "slope_r_lr_stationary_local");
    assert!((e + 2.0).abs() < 0.1, "{e}");
    // η = 10⁻³, T = 100 (n = 50): ηkn = 0.005 and 0.05.
    let short = panels::plan(&setting("lr=0.001&steps=100")).unwrap();
    assert!(value(&short, "eta_k_n_max") < 0.1);
    let e = value(&short, "slope_r_lr_stationary_local");
    assert!((e + 1.0).abs() < 0.05, "{e}");
    // Where the runs have reached stationarity before their window (ηk_min·T/2 ≫ 1), the exact
    // curve from the minimum is the stationary one.
    let (exact, stat) = (
        series(&long, 0, "exact (Gaussian quadratic form)"),
        series(&long, 0, "stationary, window n (exact)"),
    );
    let (x, y) = (stat.x.last().unwrap(), stat.y.last().unwrap());
    let j = exact
        .x
        .iter()
        .position(|t| (t / x - 1.0).abs() < 1e-12)
        .unwrap();
    assert!((exact.y[j] / y - 1.0).abs() < 1e-6, "{} vs {y}", exact.y[j]);
}
