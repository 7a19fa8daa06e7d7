//! Linear-algebra solvers behind every prediction: the discrete and continuous Lyapunov
//! equations and the spectral radius of a transition matrix.

use nalgebra::DMatrix;

/// A spectral radius within this distance of 1 is treated as marginal: no stationary state.
pub const MARGINAL: f64 = 1e-12;

/// The spectral radius ρ(A) = max |eigenvalue| of a square matrix (through its real Schur
/// form). Returns `f64::INFINITY` if A has a non-finite entry.
pub fn spectral_radius(a: &DMatrix<f64>) -> f64 {
    if a.iter().any(|x| !x.is_finite()) {
        return f64::INFINITY;
    }
    a.complex_eigenvalues()
        .iter()
        .map(|z| z.norm())
        .fold(0.0, f64::max)
}

/// Solves the discrete Lyapunov equation P = A P Aᵀ + Q for P.
///
/// This is the stationarity condition of x_t = A x_{t-1} + B η_{t-1} with Q = B C Bᵀ
/// (Liu et al., proof of Thm 3, App. E.1: Σ = E[x xᵀ] is unchanged by one step). It is solved
/// exactly as the linear system (I − A ⊗ A) vec P = vec Q. The solution exists, is unique and is
/// the stationary covariance iff ρ(A) < 1; returns `None` when ρ(A) ≥ 1 − [`MARGINAL`] or the
/// system cannot be solved.
pub fn discrete_lyapunov(a: &DMatrix<f64>, q: &DMatrix<f64>) -> Option<DMatrix<f64>> {
    if spectral_radius(a) >= 1.0 - MARGINAL {
        return None;
    }
    let n = a.nrows();
    let m = DMatrix::<f64>::identity(n * n, n * n) - a.kronecker(a);
    let rhs = DMatrix::from_column_slice(n * n, 1, q.as_slice());
    let x = m.lu().solve(&rhs)?;
    let p = DMatrix::from_column_slice(n, n, x.as_slice());
    symmetric_finite(p)
}

/// Solves the continuous Lyapunov equation Σ K + K Σ = R for symmetric K and R.
///
/// With R = λ/(1−μ) C this is the stationary covariance of the continuous-time
/// (Ornstein–Uhlenbeck) approximation, Liu et al. Eq. (1) (Mandt et al., 2017). It is solved as
/// (Kᵀ ⊗ I + I ⊗ K) vec Σ = vec R. Returns `None` unless K is positive definite (otherwise the
/// process has no stationary state).
pub fn continuous_lyapunov(k: &DMatrix<f64>, r: &DMatrix<f64>) -> Option<DMatrix<f64>> {
    let min_eig = k.clone().symmetric_eigenvalues().min();
    if min_eig.is_nan() || min_eig <= 0.0 {
        return None;
    }
    let n = k.nrows();
    let id = DMatrix::<f64>::identity(n, n);
    let m = k.transpose().kronecker(&id) + id.kronecker(k);
    let rhs = DMatrix::from_column_slice(n * n, 1, r.as_slice());
    let x = m.lu().solve(&rhs)?;
    symmetric_finite(DMatrix::from_column_slice(n, n, x.as_slice()))
}

/// (P + Pᵀ)/2, or `None` if any entry is not finite.
fn symmetric_finite(p: DMatrix<f64>) -> Option<DMatrix<f64>> {
    let s = (&p + p.transpose()) * 0.5;
    s.iter().all(|x| x.is_finite()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_discrete_lyapunov() {
        // p = a² p + q  ⇒  p = q / (1 − a²)
        let p = discrete_lyapunov(
            &DMatrix::from_element(1, 1, 0.5),
            &DMatrix::from_element(1, 1, 3.0),
        )
        .unwrap();
        assert!((p[(0, 0)] - 4.0).abs() < 1e-14);
        assert!(discrete_lyapunov(
            &DMatrix::from_element(1, 1, -1.0),
            &DMatrix::from_element(1, 1, 1.0)
        )
        .is_none());
    }

    #[test]
    fn spectral_radius_of_a_rotation_is_one() {
        let a = DMatrix::from_row_slice(2, 2, &[0.0, -1.0, 1.0, 0.0]);
        assert!((spectral_radius(&a) - 1.0).abs() < 1e-15);
    }
}
