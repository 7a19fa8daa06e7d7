//! Small linear-algebra and numerical helpers shared by every floor above: symmetric
//! eigenvalues, spectral radii, rotations, matrix square roots, a semi-definite Cholesky
//! factor, grids, and the error function; and the FFT ([`fft`]). Leaves of the crate: they import
//! nothing from it but the portable sines and cosines of [`crate::rng::math`] (the FFT's twiddle
//! factors).

pub mod fft;

pub mod fit;

use nalgebra::{DMatrix, Matrix2};

/// `n + 1` points of the ellipse { w : wᵀ Σ⁻¹ w = s² } (the s-σ contour of N(0, Σ)), closed;
/// a degenerate Σ gives a segment or a point. Negative eigenvalues from rounding count as 0.
pub fn ellipse_points(sigma: &Matrix2<f64>, s: f64, n: usize) -> Vec<(f64, f64)> {
    let sym = Matrix2::new(
        sigma[(0, 0)],
        0.5 * (sigma[(0, 1)] + sigma[(1, 0)]),
        0.5 * (sigma[(0, 1)] + sigma[(1, 0)]),
        sigma[(1, 1)],
    );
    let eig = nalgebra::SymmetricEigen::new(sym);
    let (v, e) = (eig.eigenvectors, eig.eigenvalues);
    let (r0, r1) = (s * e[0].max(0.0).sqrt(), s * e[1].max(0.0).sqrt());
    (0..=n)
        .map(|i| {
            let t = std::f64::consts::TAU * i as f64 / n as f64;
            let (a, b) = (r0 * t.cos(), r1 * t.sin());
            (v[(0, 0)] * a + v[(0, 1)] * b, v[(1, 0)] * a + v[(1, 1)] * b)
        })
        .collect()
}

/// The eigenvalues of a symmetric matrix (closed form for 1×1 and 2×2, bounded symmetric QR
/// beyond); `None` if the entries are not finite or the iteration does not converge.
pub fn sym_eigenvalues(a: &DMatrix<f64>) -> Option<nalgebra::DVector<f64>> {
    if a.iter().any(|x| !x.is_finite()) {
        return None;
    }
    match a.nrows() {
        1 => Some(nalgebra::DVector::from_element(1, a[(0, 0)])),
        2 => {
            let (p, q, r) = (a[(0, 0)], 0.5 * (a[(0, 1)] + a[(1, 0)]), a[(1, 1)]);
            let mid = 0.5 * (p + r);
            let rad = (0.25 * (p - r) * (p - r) + q * q).sqrt();
            Some(nalgebra::DVector::from_vec(vec![mid - rad, mid + rad]))
        }
        _ => nalgebra::SymmetricEigen::try_new(a.clone(), f64::EPSILON, 10_000)
            .map(|e| e.eigenvalues),
    }
}

/// The spectral radius ρ(A) = max |eigenvalue| of a square matrix, by Gelfand's formula
/// ρ(A) = lim ‖A^N‖^{1/N} with N = 2⁶⁰ reached by repeated squaring (renormalised at every
/// step). This needs no eigenvalue iteration — nalgebra's general Schur decomposition can
/// loop forever on matrices with zero blocks, as our update maps have at μ = 0 — and is
/// accurate to about 1e-15 relative (it approaches ρ from above). `f64::INFINITY` if A has a
/// non-finite entry.
pub fn spectral_radius(a: &DMatrix<f64>) -> f64 {
    if a.iter().any(|x| !x.is_finite()) {
        return f64::INFINITY;
    }
    let n0 = a.norm();
    if n0 == 0.0 {
        return 0.0;
    }
    let mut b = a / n0;
    let mut log = n0.ln();
    let mut scale = 1.0_f64;
    for _ in 0..60 {
        b = &b * &b;
        scale *= 0.5;
        let n = b.norm();
        if n == 0.0 || !n.is_finite() {
            return if n == 0.0 { 0.0 } else { f64::INFINITY };
        }
        b /= n;
        log += scale * n.ln();
    }
    log.exp()
}

/// The rotation by `degrees`.
pub fn rotation(degrees: f64) -> Matrix2<f64> {
    let (s, c) = degrees.to_radians().sin_cos();
    Matrix2::new(c, -s, s, c)
}

/// R(θ) diag(e1, e2) R(θ)ᵀ: the symmetric matrix with eigenvalues e1, e2 whose first
/// eigenvector makes the angle θ (degrees) with the first axis.
pub fn rotated_diag(e1: f64, e2: f64, degrees: f64) -> Matrix2<f64> {
    let r = rotation(degrees);
    let m = r * Matrix2::new(e1, 0.0, 0.0, e2) * r.transpose();
    // Exactly symmetric, whatever the rounding of the products.
    let off = 0.5 * (m[(0, 1)] + m[(1, 0)]);
    Matrix2::new(m[(0, 0)], off, off, m[(1, 1)])
}

/// The symmetric square root and inverse square root of a symmetric positive-definite matrix
/// (`None` unless every eigenvalue is positive and finite).
pub fn sqrt_and_inv_sqrt(m: &DMatrix<f64>) -> Option<(DMatrix<f64>, DMatrix<f64>)> {
    if m.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let e = nalgebra::SymmetricEigen::try_new(m.clone(), f64::EPSILON, 10_000)?;
    if e.eigenvalues.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
        return None;
    }
    let v = &e.eigenvectors;
    let s = DMatrix::from_diagonal(&e.eigenvalues.map(f64::sqrt));
    let si = DMatrix::from_diagonal(&e.eigenvalues.map(|x| 1.0 / x.sqrt()));
    Some((v * s * v.transpose(), v * si * v.transpose()))
}

/// A lower-triangular L with L Lᵀ = C for a symmetric positive semi-definite C of size 1 or 2
/// (a Cholesky factor that also accepts singular C). Row-major [l00, 0, l10, l11].
pub fn psd_cholesky(c: &DMatrix<f64>) -> [f64; 4] {
    let l00 = c[(0, 0)].max(0.0).sqrt();
    if c.nrows() == 1 {
        return [l00, 0.0, 0.0, 0.0];
    }
    let l10 = if l00 > 0.0 { c[(1, 0)] / l00 } else { 0.0 };
    let l11 = (c[(1, 1)] - l10 * l10).max(0.0).sqrt();
    [l00, 0.0, l10, l11]
}

/// `n` points evenly spaced from `a` to `b` inclusive.
pub fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    match n {
        0 => Vec::new(),
        1 => vec![a],
        _ => (0..n)
            .map(|i| a + (b - a) * i as f64 / (n - 1) as f64)
            .collect(),
    }
}

/// `n` points evenly spaced in log from `a` to `b` inclusive (a, b > 0).
pub fn logspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    linspace(a.ln(), b.ln(), n)
        .into_iter()
        .map(f64::exp)
        .collect()
}

/// The error function, to about 1e-15 relative: its Maclaurin series for |x| < 2.5 and the
/// continued fraction of erfc beyond.
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let ax = x.abs();
    let v = if ax < 2.5 {
        // erf x = 2/√π Σ (−1)ⁿ x^{2n+1} / (n! (2n+1))
        let mut term = ax;
        let mut sum = ax;
        let x2 = ax * ax;
        let mut n = 0.0;
        while term.abs() > 1e-17 * sum.abs() {
            n += 1.0;
            term *= -x2 / n;
            sum += term / (2.0 * n + 1.0);
        }
        2.0 / std::f64::consts::PI.sqrt() * sum
    } else if ax > 27.0 {
        1.0
    } else {
        // erfc x = e^{−x²}/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))), evaluated backwards.
        let mut f = 0.0;
        for k in (1..200).rev() {
            f = (k as f64 / 2.0) / (ax + f);
        }
        1.0 - (-ax * ax).exp() / std::f64::consts::PI.sqrt() / (ax + f)
    };
    v.copysign(x)
}
