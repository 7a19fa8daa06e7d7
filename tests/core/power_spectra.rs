//! The spectra of a 2-D linear process (`theory::power_spectra`, behind the `limit-cycles`
//! panel): the FFT against a direct DFT, and the expected periodogram of every bin, computed by
//! one FFT of the lag sums, against the lag sums summed directly at each Fourier frequency.

use nalgebra::DMatrix;
use nqm_explorer::linalg::fft::Fft;
use nqm_explorer::linalg::rotated_diag;
use nqm_explorer::model::Model;
use nqm_explorer::theory::power_spectra::{bins, LinearProcess};

/// SGD at λ = 0.5 on K = diag(1, 0.1) with noise C of eigenvalues 1, 0.2 turned by 30°.
fn process() -> LinearProcess {
    let k = rotated_diag(1.0, 0.1, 0.0);
    let c = rotated_diag(1.0, 0.2, 30.0);
    let model = Model::new(
        DMatrix::from_column_slice(2, 2, k.as_slice()),
        DMatrix::from_column_slice(2, 2, c.as_slice()),
    );
    LinearProcess::sgd(&model, 0.5).unwrap()
}

/// The expected periodogram of segments of `len` steps at frequency f, directly:
/// (tr Σ + 2 Σ_{τ=1}^{L−1} (1 − τ/L) tr(A^τΣ) cos ωτ, 4 Σ_{τ=1}^{L−1} (1 − τ/L) c(τ) sin ωτ,
/// Σ₁₁ + 2 Σ_{τ=1}^{L−1} (1 − τ/L) (A^τΣ)₁₁ cos ωτ), c(τ) = (A^τΣ)₂₁ − (A^τΣ)₁₂.
fn periodogram(lin: &LinearProcess, len: usize, f: f64) -> [f64; 3] {
    let omega = std::f64::consts::TAU * f;
    let mut r = lin.sigma;
    let [mut sym, mut rot, mut s11] = [r.trace(), 0.0, r[(0, 0)]];
    for tau in 1..len {
        r = lin.a * r;
        let wgt = 1.0 - tau as f64 / len as f64;
        let (s, c) = (omega * tau as f64).sin_cos();
        sym += 2.0 * wgt * r.trace() * c;
        rot += 4.0 * wgt * (r[(1, 0)] - r[(0, 1)]) * s;
        s11 += 2.0 * wgt * r[(0, 0)] * c;
    }
    [sym, rot, s11]
}

#[test]
fn the_fft_of_the_lag_sums_is_the_expected_periodogram() {
    let lin = process();
    let len = 256;
    let fast = lin.expected_bins(len);
    for (k, &(a, b)) in bins(len).iter().enumerate() {
        let mut want = [0.0; 3];
        for j in a..b {
            let p = periodogram(&lin, len, j as f64 / len as f64);
            for (w, v) in want.iter_mut().zip(p) {
                *w += v / (b - a) as f64;
            }
        }
        let got = [fast[k].trace, fast[k].rotation, fast[k].first];
        let scale = want[0].abs().max(1.0);
        for part in 0..3 {
            let tol = 1e-9
                * if part == 2 {
                    want[2].abs().max(1.0)
                } else {
                    scale
                };
            assert!(
                (got[part] - want[part]).abs() < tol,
                "bin {k}, part {part}: {} vs {}",
                got[part],
                want[part]
            );
        }
    }
}

#[test]
fn the_fft_matches_a_direct_dft() {
    let n = 64;
    let x: Vec<f64> = (0..n).map(|i| ((i * 7 % 11) as f64 - 5.0) * 0.3).collect();
    let y: Vec<f64> = (0..n).map(|i| ((i * 5 % 13) as f64 - 6.0) * 0.2).collect();
    let (mut re, mut im) = (x.clone(), y.clone());
    Fft::new(n).transform(&mut re, &mut im);
    for k in 0..n {
        let (mut a, mut b) = (0.0, 0.0);
        for t in 0..n {
            let phi = -std::f64::consts::TAU * (k * t) as f64 / n as f64;
            let (s, c) = phi.sin_cos();
            a += x[t] * c - y[t] * s;
            b += x[t] * s + y[t] * c;
        }
        assert!(
            (re[k] - a).abs() < 1e-12 && (im[k] - b).abs() < 1e-12,
            "{k}"
        );
    }
}
