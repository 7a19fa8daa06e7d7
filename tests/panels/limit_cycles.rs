//! `limit-cycles` (Chaudhari & Soatto 2018) at reduced sample size: the Monte Carlo circulation
//! E[w_t × w_{t+1}] is zero within 5 standard errors for isotropic or commuting noise, and for
//! non-commuting noise non-zero with the sign and size of the exact discrete theory (and away
//! from the continuous-time one); the spectra of one trajectory match the exact expected
//! periodogram bin by bin, with a rotational part only where the current circulates; and a
//! seed fixes every number.

use nalgebra::{Complex, Matrix2};
use nqm_explorer::figure::{Figure, Series};
use nqm_explorer::linalg::rotated_diag;
use nqm_explorer::panels::query::{parse_for, Audience};
use nqm_explorer::panels::{self, limit_cycles as lc};
use nqm_explorer::params::Params;
use nqm_explorer::theory::power_spectra::LinearProcess;

/// The Monte Carlo series: the circulation against θ, and the spectra's trace, rotational part
/// and first weight.
const CIRCULATION: &str = "Monte Carlo";
const TRACE: &str = "S₁₁ + S₂₂, Monte Carlo";
const ROTATION: &str = "Monte Carlo (one trajectory)";
const FIRST: &str = "S₁₁ (first weight), Monte Carlo";

/// The series called `name`.
fn named<'a>(fig: &'a Figure, name: &str) -> &'a Series {
    fig.series_named(name)
        .unwrap_or_else(|| panic!("no series {name}"))
}

fn setting(query: &str) -> Params {
    let (p, errors) = parse_for("limit-cycles", query, Audience::Page);
    assert!(errors.is_empty(), "{errors:?}");
    p
}

fn build(query: &str) -> (Params, Figure) {
    let p = setting(query);
    let fig = panels::build(&p, 2).unwrap();
    assert!(fig.complete());
    (p, fig)
}

/// (θ, Monte Carlo, se, exact discrete, continuous) at one angle of the sweep.
type Row = (f64, f64, f64, f64, f64);

/// The rows of every angle of the sweep.
fn circulations(query: &str) -> (Params, Figure, Vec<Row>) {
    let (p, fig) = build(query);
    let mc = named(&fig, CIRCULATION);
    let se = mc.y_err.as_ref().unwrap();
    let rows =
        mc.x.iter()
            .zip(&mc.y)
            .zip(se)
            .map(|((&t, &y), &e)| {
                assert!(y.is_finite() && e > 0.0, "{query}: θ = {t} missing");
                let exact = lc::discrete_at(&p, t).unwrap().1.circulation;
                let cont = lc::continuous_at(&p, t).unwrap().1.circulation;
                (t, y, e, exact, cont)
            })
            .collect();
    (p, fig, rows)
}

#[test]
fn non_commuting_noise_circulates_with_the_exact_sign_and_size() {
    let q = "walkers=2000&steps=500&points=7&seed=31";
    let (_, fig, rows) = circulations(q);
    let mut far_continuous = 0;
    for &(t, y, e, exact, cont) in &rows {
        let z = (y - exact) / e;
        println!("θ = {t:+.0}°: MC {y:+.5} ± {e:.5}, exact {exact:+.5} ({z:+.2} s.e.), continuous {cont:+.5}");
        assert!(
            z.abs() < 5.0,
            "θ = {t}: {z:.1} s.e. from the exact circulation"
        );
        let commuting = t.abs() < 1e-9 || (t.abs() - 90.0).abs() < 1e-9;
        if commuting {
            // Same eigenbasis (θ = 0) or swapped (θ = ±90°): [C, K] = 0, no circulation.
            assert!(exact.abs() < 1e-12, "θ = {t}: {exact}");
            assert!(y.abs() < 5.0 * e, "θ = {t}: {y} ± {e}");
        } else {
            // Non-zero, of the theory's sign, far beyond the error.
            assert!(
                y.signum() == exact.signum() && y.abs() > 5.0 * e,
                "θ = {t}: {y} ± {e}"
            );
            if (y - cont).abs() > 5.0 * e {
                far_continuous += 1;
            }
        }
    }
    // The continuous-time circulation (at one step's lag) misses at λ = 0.5.
    assert!(far_continuous >= 4, "{far_continuous}");
    let z = fig.readout("z_circulation_max").unwrap().value.unwrap();
    assert!(z < 5.0);
}

#[test]
fn isotropic_noise_has_no_circulation_at_any_angle() {
    let (p, fig, rows) = circulations("c1=0.6&c2=0.6&walkers=2000&steps=500&points=5&seed=32");
    for &(t, y, e, exact, cont) in &rows {
        assert!(
            exact.abs() < 1e-12 && cont.abs() < 1e-12,
            "θ = {t}: {exact} {cont}"
        );
        assert!(y.abs() < 5.0 * e, "θ = {t}: {y} ± {e}");
    }
    // Continuous-time Φ is the loss (Lemma 6): aligned with it; so is the discrete Φ (Cor. 3),
    // though not proportional to it.
    let angle = |k: &str| fig.readout(k).unwrap().value.unwrap();
    assert!(angle("phi_c_axes_angle") < 1e-6 && angle("phi_axes_angle") < 1e-6);
    let (sigma, cur) = lc::discrete_at(&p, 30.0).unwrap();
    assert!(!cur.potential_matches_loss);
    let (_, cur_c) = lc::continuous_at(&p, 30.0).unwrap();
    assert!(cur_c.potential_matches_loss);
    assert!(sigma.determinant() > 0.0);
    // No rotational spectrum either: every bin within 5 s.e. of zero.
    let rot = named(&fig, ROTATION);
    for (j, (&y, &e)) in rot.y.iter().zip(rot.y_err.as_ref().unwrap()).enumerate() {
        assert!(y.abs() < 5.0 * e, "bin {j}: {y} ± {e}");
    }
}

/// Every spectral bin of the figure within 5 s.e. of the exact expected periodogram; returns
/// the largest rotational bin in standard errors.
fn check_spectra(p: &Params, fig: &Figure) -> f64 {
    let lin = LinearProcess::sgd(&lc::model_at(p, lc::angle(p)), p.lr).unwrap();
    let want = lin.expected_bins(lc::segment(p));
    let mut rot_max = 0.0f64;
    for (part, series) in [TRACE, ROTATION, FIRST].into_iter().enumerate() {
        let s = named(fig, series);
        let err = s.y_err.as_ref().unwrap();
        assert_eq!(s.y.len(), want.len());
        for (j, w) in want.iter().enumerate() {
            let w = [w.trace, w.rotation, w.first][part];
            let (y, e) = (s.y[j], err[j]);
            assert!(y.is_finite() && e > 0.0, "bin {j} missing");
            let z = (y - w) / e;
            assert!(
                z.abs() < 5.0,
                "part {part}, f = {}: {y} ± {e} vs {w} ({z:.1} s.e.)",
                s.x[j]
            );
            if part == 1 {
                rot_max = rot_max.max(y.abs() / e);
            }
        }
    }
    rot_max
}

#[test]
fn the_spectra_of_one_trajectory_match_the_exact_periodogram() {
    // Non-commuting noise: a rotational part far beyond the errors.
    let (p, fig) = build("walkers=1000&steps=500&points=3&seed=33");
    let rot = check_spectra(&p, &fig);
    println!("non-commuting: largest rotational bin {rot:.1} s.e.");
    assert!(rot > 10.0, "{rot}");
    // Commuting noise (θ = 0): the rotational part is zero within the errors.
    let (p, fig) = build("c_angle=0&walkers=1000&steps=500&points=3&seed=34");
    let rot = check_spectra(&p, &fig);
    println!("commuting: largest rotational bin {rot:.1} s.e.");
    assert!(rot < 5.0, "{rot}");
}

#[test]
fn the_rotational_spectrum_integrates_to_the_circulation() {
    // E[w_t × w_{t+1}] = Im R_z(1) = ∫₀^½ [S_z(f) − S_z(−f)] sin 2πf df, for the exact discrete
    // and the continuous-time spectra alike (midpoint rule, 2·10⁵ cells).
    let p = setting("");
    let theta = lc::angle(&p);
    for (lin, want) in [
        (
            LinearProcess::sgd(&lc::model_at(&p, theta), p.lr).unwrap(),
            lc::discrete_at(&p, theta).unwrap().1.circulation,
        ),
        (
            LinearProcess::continuous(&lc::model_at(&p, theta), p.lr).unwrap(),
            lc::continuous_at(&p, theta).unwrap().1.circulation,
        ),
    ] {
        let n = 200_000;
        let h = 0.5 / n as f64;
        let got: f64 = (0..n)
            .map(|i| {
                let f = (i as f64 + 0.5) * h;
                lin.spectrum(f).unwrap().rotation * (std::f64::consts::TAU * f).sin() * h
            })
            .sum();
        assert!((got - want).abs() < 1e-6 * want.abs(), "{got} vs {want}");
    }
}

#[test]
fn a_seed_fixes_every_number() {
    let q = "walkers=300&steps=200&points=3&seed=35";
    let (_, a) = build(q);
    let (_, b) = build(q);
    let p = setting(q);
    let c = panels::build(&p, 1).unwrap();
    for s in [CIRCULATION, TRACE, ROTATION, FIRST] {
        assert_eq!(named(&a, s).y, named(&b, s).y);
        assert_eq!(named(&a, s).y, named(&c, s).y);
    }
    let (_, d) = build("walkers=300&steps=200&points=3&seed=36");
    assert_ne!(named(&a, CIRCULATION).y, named(&d, CIRCULATION).y);
}

/// The spectral density matrix of w_{t+1} = A w_t + B η_t, Var η = C, computed directly:
/// S(f) = (I − A e^{−2πif})⁻¹ B C Bᵀ (I − A e^{2πif})⁻ᵀ, with A = I − λK and B = −λI.
fn density(k: &Matrix2<f64>, c: &Matrix2<f64>, lr: f64, f: f64) -> Matrix2<Complex<f64>> {
    let a = (Matrix2::identity() - k * lr).map(Complex::from);
    let q = (c * (lr * lr)).map(Complex::from);
    let z = Complex::from_polar(1.0, -std::f64::consts::TAU * f);
    let left = (Matrix2::identity() - a * z).try_inverse().unwrap();
    let right = (Matrix2::identity() - a * z.conj())
        .transpose()
        .try_inverse()
        .unwrap();
    left * q * right
}

/// (f, value) at the largest value over 5001 frequencies in [0, ½].
fn argmax(s: impl Fn(f64) -> f64) -> (f64, f64) {
    (0..=5000)
        .map(|i| i as f64 / 10_000.0)
        .map(|f| (f, s(f)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap()
}

#[test]
fn one_weights_spectrum_peaks_where_the_trace_does_not() {
    // The audit's setting: noise turned by 45° against K.
    let q = "h1=0.9&h2=0.1&h_angle=5.71&c1=1&c2=0&c_angle=50.71&lr=1";
    let k = rotated_diag(0.9, 0.1, 5.71);
    for (c_angle, peaks) in [(50.71, true), (5.71, false)] {
        let c = rotated_diag(1.0, 0.0, c_angle);
        let s11 = |f: f64| density(&k, &c, 1.0, f)[(0, 0)].re;
        let trace = |f: f64| density(&k, &c, 1.0, f).trace().re;
        let (f_peak, top) = argmax(s11);
        // The trace is largest at an end of [0, ½], with or without the current.
        let (f_trace, _) = argmax(trace);
        assert!(f_trace == 0.0 || f_trace == 0.5, "{f_trace}");
        let p = setting(&format!("{q}&c_angle={c_angle}"));
        let fig = panels::plan(&p).unwrap();
        let readout = |key: &str| fig.readout(key).unwrap().value;
        assert_eq!(readout("trace_peak_f"), None);
        if peaks {
            assert!((f_peak - 0.088).abs() < 0.002, "{f_peak}");
            assert!((top - 0.506).abs() < 1e-3 && (s11(0.0) - 0.006_12).abs() < 1e-5);
            let f = readout("s11_peak_f").unwrap();
            assert!((f - f_peak).abs() < 1e-3, "{f} vs {f_peak}");
            let ratio = readout("s11_peak_over_zero").unwrap();
            assert!((ratio / (top / s11(0.0)) - 1.0).abs() < 1e-3, "{ratio}");
        } else {
            assert_eq!(f_peak, 0.0);
            assert_eq!(readout("s11_peak_f"), None);
        }
        // The panel's exact S₁₁ curve is this density.
        let curve = named(&fig, "S₁₁ (first weight), exact discrete");
        for (&f, &y) in curve.x.iter().zip(&curve.y).step_by(37) {
            assert!(
                (y / s11(f) - 1.0).abs() < 1e-9,
                "f = {f}: {y} vs {}",
                s11(f)
            );
        }
    }
}

#[test]
fn the_monte_carlo_s11_shows_the_peak() {
    // At the audit's setting the Monte Carlo S₁₁ matches the expected periodogram (5 s.e.,
    // checked with the other spectra), and its largest bin is inside the band, above the
    // lowest- and the highest-frequency bins by more than 5 standard errors.
    let q = "h1=0.9&h2=0.1&h_angle=5.71&c1=1&c2=0&c_angle=50.71&lr=1";
    let (p, fig) = build(&format!("{q}&walkers=500&steps=500&points=3&seed=37"));
    check_spectra(&p, &fig);
    let s = named(&fig, FIRST);
    let e = s.y_err.as_ref().unwrap();
    let top = (0..s.y.len())
        .max_by(|&a, &b| s.y[a].total_cmp(&s.y[b]))
        .unwrap();
    let last = s.y.len() - 1;
    println!("S₁₁ Monte Carlo peaks at f = {:.3}", s.x[top]);
    for end in [0, last] {
        let gap = s.y[top] - s.y[end];
        assert!(gap > 5.0 * e[top].hypot(e[end]), "bin {end}: {gap}");
    }
}
