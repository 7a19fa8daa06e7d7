//! Linear-algebra solvers behind every prediction: the discrete and continuous Lyapunov
//! equations (with an optional multiplicative-noise term), spectral radii, and a Newton solver
//! for covariances that must reproduce themselves (state-dependent learning rates).

use crate::linalg::{spectral_radius, sym_eigenvalues};
use nalgebra::DMatrix;

/// A spectral radius within this distance of 1 is treated as marginal: no stationary state.
pub const MARGINAL: f64 = 1e-12;

fn vec_of(m: &DMatrix<f64>) -> DMatrix<f64> {
    DMatrix::from_column_slice(m.len(), 1, m.as_slice())
}

fn unvec(x: &DMatrix<f64>, n: usize) -> DMatrix<f64> {
    DMatrix::from_column_slice(n, n, x.as_slice())
}

/// (P + Pᵀ)/2, or `None` if any entry is not finite.
fn symmetric_finite(p: DMatrix<f64>) -> Option<DMatrix<f64>> {
    let s = (&p + p.transpose()) * 0.5;
    s.iter().all(|x| x.is_finite()).then_some(s)
}

/// Solves vec P = (A⊗A + E) vec P + vec Q: the stationary second moment of
/// x_t = A x_{t-1} + B η_{t-1} when the noise covariance has a part linear in the state's own
/// second moment (E = (B⊗B) L (S⊗S) for noise C₀ + unvec(L vec Σ), S = [I 0] picking the
/// weights; c_f·KΣK is L = c_f K⊗K).
///
/// The second moment converges iff the mean-square radius r = √ρ(A⊗A + E) < 1 (with no E,
/// r = ρ(A)); `Err(r)` when r ≥ 1 − [`MARGINAL`], when the solution is not finite, or when the
/// system cannot be solved.
pub fn stein(
    a: &DMatrix<f64>,
    extra: Option<&DMatrix<f64>>,
    q: &DMatrix<f64>,
) -> Result<DMatrix<f64>, f64> {
    let n = a.nrows();
    let mut op = a.kronecker(a);
    if let Some(e) = extra {
        op += e;
    }
    let radius = match extra {
        None => spectral_radius(a),
        Some(_) => spectral_radius(&op).sqrt(),
    };
    if radius.is_nan() || radius >= 1.0 - MARGINAL {
        return Err(radius);
    }
    let m = DMatrix::<f64>::identity(n * n, n * n) - op;
    let x = m.lu().solve(&vec_of(q)).ok_or(radius)?;
    let p = symmetric_finite(unvec(&x, n)).ok_or(radius)?;
    Ok(p)
}

/// Advances P ↦ A P Aᵀ + unvec(E vec P) + Q `t` times from `p0` (see [`stein`]): the exact
/// second moment after t steps (finite for every t, whether or not a stationary state exists).
///
/// Computed by doubling in O(log t) products, not t steps: with no E,
/// P_t = Aᵗ P₀ Aᵗᵀ + S_t, S_t = Σ_{i<t} Aⁱ Q Aⁱᵀ, and (Aʳ, S_r), (Aᵐ, S_m) combine to
/// (Aʳ⁺ᵐ, S_m + Aᵐ S_r Aᵐᵀ); with E, the same on vec P with T = A⊗A + E (for n ≤ 8, where T
/// is at most 64 × 64; beyond that, step by step).
pub fn stein_after(
    a: &DMatrix<f64>,
    extra: Option<&DMatrix<f64>>,
    q: &DMatrix<f64>,
    p0: &DMatrix<f64>,
    t: u64,
) -> DMatrix<f64> {
    let n = a.nrows();
    let p = match extra {
        None => {
            // (power, sum) for the bits of t seen so far, and for the current power of two.
            let (mut rp, mut rs) = (DMatrix::identity(n, n), DMatrix::zeros(n, n));
            let (mut mp, mut ms) = (a.clone(), q.clone());
            let mut k = t;
            while k > 0 {
                if k & 1 == 1 {
                    rs = &ms + &mp * &rs * mp.transpose();
                    rp = &mp * &rp;
                }
                k >>= 1;
                if k > 0 {
                    ms = &ms + &mp * &ms * mp.transpose();
                    mp = &mp * &mp;
                }
            }
            &rp * p0 * rp.transpose() + rs
        }
        Some(e) if n <= 8 => {
            let op = a.kronecker(a) + e;
            let qv = vec_of(q);
            let (mut rp, mut rs) = (DMatrix::identity(n * n, n * n), DMatrix::zeros(n * n, 1));
            let (mut mp, mut ms) = (op, qv);
            let mut k = t;
            while k > 0 {
                if k & 1 == 1 {
                    rs = &ms + &mp * &rs;
                    rp = &mp * &rp;
                }
                k >>= 1;
                if k > 0 {
                    ms = &ms + &mp * &ms;
                    mp = &mp * &mp;
                }
            }
            unvec(&(&rp * vec_of(p0) + rs), n)
        }
        Some(e) => {
            let at = a.transpose();
            let mut p = p0.clone();
            for _ in 0..t {
                let mut next = a * &p * &at + q;
                next += unvec(&(e * vec_of(&p)), n);
                p = (&next + next.transpose()) * 0.5;
            }
            p
        }
    };
    (&p + p.transpose()) * 0.5
}

/// The operator 𝓜 = I⊗M + M⊗I − E of dΣ/dt = R − MΣ − ΣMᵀ + unvec(E vec Σ) on vec Σ.
fn continuous_operator(m: &DMatrix<f64>, extra: Option<&DMatrix<f64>>) -> DMatrix<f64> {
    let n = m.nrows();
    let id = DMatrix::<f64>::identity(n, n);
    let mut op = id.kronecker(m) + m.kronecker(&id);
    if let Some(e) = extra {
        op -= e;
    }
    op
}

/// Solves M Σ + Σ Mᵀ − unvec(E vec Σ) = R: the stationary covariance of the linear SDE
/// dw = −M w dt + noise of covariance rate R + unvec(E vec Σ) (the continuous-time
/// counterpart of an optimizer; no E and M = K is Eq. 1). `None` unless every eigenvalue of
/// the operator I⊗M + M⊗I − E has a positive real part (the only case with a stationary state).
pub fn continuous_stationary(
    m: &DMatrix<f64>,
    extra: Option<&DMatrix<f64>>,
    r: &DMatrix<f64>,
) -> Option<DMatrix<f64>> {
    let n = m.nrows();
    if m.iter().chain(r.iter()).any(|x| !x.is_finite()) {
        return None;
    }
    let op = continuous_operator(m, extra);
    // Every eigenvalue z of 𝓜 has Re z > 0 iff the Cayley transform (sI + 𝓜)⁻¹(sI − 𝓜),
    // s > 0, has spectral radius < 1.
    let s = op.norm();
    let id = DMatrix::<f64>::identity(n * n, n * n);
    let cayley = (&id * s + &op).lu().solve(&(&id * s - &op))?;
    let rc = spectral_radius(&cayley);
    if rc.is_nan() || rc >= 1.0 - MARGINAL {
        return None;
    }
    let x = op.lu().solve(&vec_of(r))?;
    symmetric_finite(unvec(&x, n))
}

/// The covariance at time t of the same SDE started from Σ(0) = 0:
/// vec Σ(t) = 𝓜⁻¹ (I − e^{−𝓜t}) vec R, with 𝓜 = I⊗M + M⊗I − E. `None` if 𝓜 is singular.
pub fn continuous_after(
    m: &DMatrix<f64>,
    extra: Option<&DMatrix<f64>>,
    r: &DMatrix<f64>,
    t: f64,
) -> Option<DMatrix<f64>> {
    let n = m.nrows();
    let op = continuous_operator(m, extra);
    let id = DMatrix::<f64>::identity(n * n, n * n);
    let decay = (&op * -t).exp();
    let x = op.lu().solve(&((id - decay) * vec_of(r)))?;
    symmetric_finite(unvec(&x, n))
}

/// The unique entries of a symmetric matrix (upper triangle, row by row).
fn vech(s: &DMatrix<f64>) -> Vec<f64> {
    let n = s.nrows();
    (0..n)
        .flat_map(|i| (i..n).map(move |j| (i, j)))
        .map(|ij| s[ij])
        .collect()
}

fn unvech(x: &[f64], n: usize) -> DMatrix<f64> {
    let mut s = DMatrix::zeros(n, n);
    let mut it = x.iter();
    for i in 0..n {
        for j in i..n {
            let v = *it.next().expect("length n(n+1)/2");
            s[(i, j)] = v;
            s[(j, i)] = v;
        }
    }
    s
}

/// Finds a symmetric positive-definite Σ with F(Σ) = Σ, starting from `s0`: the stationary
/// covariance of an optimizer whose own map depends on Σ (NGD's Λ = λ(KΣK)⁻¹, Adam's
/// Λ = λ(KΣK + C)^(−1/2)). Newton's method on Σ − F(Σ) over the D(D+1)/2 unique entries, with
/// a finite-difference Jacobian and step halving that keeps Σ positive definite and the
/// residual decreasing. Plain iteration Σ ← F(Σ) is not used: at the NGD fixed point its
/// derivative is −1/c for noise c·KΣK, so it diverges for c < 1.
///
/// `Err(last iterate)` if no fixed point is found to relative accuracy 1e-13.
pub fn fixed_point(
    f: impl Fn(&DMatrix<f64>) -> Option<DMatrix<f64>>,
    s0: DMatrix<f64>,
) -> Result<DMatrix<f64>, DMatrix<f64>> {
    let n = s0.nrows();
    let positive = |s: &DMatrix<f64>| sym_eigenvalues(s).is_some_and(|e| e.min() > 0.0);
    let residual = |s: &DMatrix<f64>| -> Option<Vec<f64>> {
        if !positive(s) {
            return None;
        }
        let fs = f(s)?;
        Some(vech(&fs).iter().zip(vech(s)).map(|(a, b)| a - b).collect())
    };
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let mut x = vech(&s0);
    let Some(mut r) = residual(&s0) else {
        return Err(s0);
    };
    for _ in 0..200 {
        let scale = norm(&x).max(f64::MIN_POSITIVE);
        if norm(&r) <= 1e-13 * scale {
            return Ok(unvech(&x, n));
        }
        // Jacobian of the residual by forward differences.
        let m = x.len();
        let mut jac = DMatrix::zeros(m, m);
        for j in 0..m {
            let h = 1e-7 * x[j].abs().max(1e-3 * scale);
            let at = |delta: f64| {
                let mut xp = x.clone();
                xp[j] += delta;
                residual(&unvech(&xp, n))
            };
            // Forward difference, or backward where Σ + h leaves the domain.
            let col: Vec<f64> = if let Some(rp) = at(h) {
                rp.iter().zip(&r).map(|(a, b)| (a - b) / h).collect()
            } else if let Some(rm) = at(-h) {
                r.iter().zip(&rm).map(|(a, b)| (a - b) / h).collect()
            } else {
                return Err(unvech(&x, n));
            };
            for (i, v) in col.into_iter().enumerate() {
                jac[(i, j)] = v;
            }
        }
        let rhs = DMatrix::from_column_slice(m, 1, &r.iter().map(|v| -v).collect::<Vec<_>>());
        let Some(dx) = jac.lu().solve(&rhs) else {
            return Err(unvech(&x, n));
        };
        let mut step = 1.0;
        let mut accepted = false;
        while step > 1e-6 {
            let xn: Vec<f64> = x.iter().zip(dx.iter()).map(|(a, d)| a + step * d).collect();
            if let Some(rn) = residual(&unvech(&xn, n)) {
                if norm(&rn) < norm(&r) {
                    x = xn;
                    r = rn;
                    accepted = true;
                    break;
                }
            }
            step *= 0.5;
        }
        if !accepted {
            break;
        }
    }
    let scale = norm(&x).max(f64::MIN_POSITIVE);
    if norm(&r) <= 1e-11 * scale {
        Ok(unvech(&x, n))
    } else {
        Err(unvech(&x, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_discrete_lyapunov() {
        // p = a² p + q  ⇒  p = q / (1 − a²)
        let one = |x| DMatrix::from_element(1, 1, x);
        let p = stein(&one(0.5), None, &one(3.0)).unwrap();
        assert!((p[(0, 0)] - 4.0).abs() < 1e-14);
        assert!(stein(&one(-1.0), None, &one(1.0)).is_err());
        // p = a² p + e p + q  ⇒  p = q / (1 − a² − e)
        let p = stein(&one(0.5), Some(&one(0.5)), &one(1.0)).unwrap();
        assert!((p[(0, 0)] - 4.0).abs() < 1e-14);
        assert!(stein(&one(0.5), Some(&one(0.75)), &one(1.0)).is_err());
    }

    #[test]
    fn spectral_radius_of_a_rotation_is_one() {
        let a = DMatrix::from_row_slice(2, 2, &[0.0, -1.0, 1.0, 0.0]);
        assert!((spectral_radius(&a) - 1.0).abs() < 1e-15);
    }

    #[test]
    fn continuous_transient_tends_to_the_stationary_solution() {
        let m = DMatrix::from_row_slice(2, 2, &[1.0, 0.3, 0.0, 0.5]);
        let r = DMatrix::from_row_slice(2, 2, &[1.0, 0.2, 0.2, 2.0]);
        let s = continuous_stationary(&m, None, &r).unwrap();
        let st = continuous_after(&m, None, &r, 200.0).unwrap();
        assert!((&s - &st).norm() < 1e-12 * s.norm());
        assert!((&m * &s + &s * m.transpose() - &r).norm() < 1e-12);
    }

    #[test]
    fn newton_finds_a_scalar_fixed_point_where_iteration_diverges() {
        // NGD's map in 1-D, in units of λ/k: σ ↦ s/(2 − 1/σ), defined (stable) for σ > 1/2, has
        // the fixed point σ* = (1 + s)/2 with derivative −1/s there.
        let s = 0.05;
        let f = |x: &DMatrix<f64>| {
            let den = 2.0 - 1.0 / x[(0, 0)];
            (den > 0.0).then(|| DMatrix::from_element(1, 1, s / den))
        };
        let got = fixed_point(f, DMatrix::from_element(1, 1, 0.7)).unwrap();
        assert!((got[(0, 0)] - (1.0 + s) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn stein_after_by_doubling_equals_the_step_by_step_recursion() {
        let a = DMatrix::from_row_slice(
            4,
            4,
            &[
                0.5, 0.1, -0.3, 0.0, 0.2, 0.7, 0.0, -0.2, 1.0, 0.0, 0.4, 0.1, 0.0, 1.0, 0.05, 0.3,
            ],
        );
        let q = DMatrix::from_row_slice(
            4,
            4,
            &[
                1.0, 0.2, -1.0, 0.0, 0.2, 0.5, 0.0, -0.3, -1.0, 0.0, 1.2, 0.1, 0.0, -0.3, 0.1, 0.4,
            ],
        );
        let p0 = DMatrix::identity(4, 4) * 0.3;
        let e = DMatrix::from_fn(16, 16, |i, j| {
            if i == j {
                0.01
            } else {
                0.001 * ((i + j) % 3) as f64
            }
        });
        for extra in [None, Some(&e)] {
            for t in [0u64, 1, 2, 3, 7, 64, 1000] {
                let mut p = p0.clone();
                for _ in 0..t {
                    let mut next = &a * &p * a.transpose() + &q;
                    if let Some(e) = extra {
                        next += unvec(&(e * vec_of(&p)), 4);
                    }
                    p = next;
                }
                let fast = stein_after(&a, extra, &q, &p0, t);
                let err = (&fast - &p).norm() / p.norm().max(1.0);
                assert!(err < 1e-12, "t = {t}, E = {}: {err}", extra.is_some());
            }
        }
    }
}
