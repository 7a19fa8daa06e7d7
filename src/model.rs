//! The noisy quadratic model: the loss L(w) = ½ wᵀKw and the covariance C of the gradient
//! noise, built from the parameters (Liu et al., Sec. 4.1, Eq. 4 with w* shifted to 0).

use crate::params::{Noise, Params};
use crate::sim::data::{DataSet, Minibatch};
use nalgebra::{DMatrix, Matrix2};
use std::sync::Arc;

/// A Hessian K and a gradient-noise covariance C(Σ) = C₀ + c_f·KΣK of the same dimension D.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// The Hessian K (symmetric positive semi-definite).
    pub k: DMatrix<f64>,
    /// The constant part C₀ of the noise covariance (symmetric positive semi-definite).
    pub c: DMatrix<f64>,
    /// The coefficient c_f of the state-dependent part c_f·KΣK (0 for constant noise).
    pub c_fisher: f64,
    /// Real minibatch noise, if any: then K is the data set's empirical Hessian, C₀ the
    /// minibatch gradient's covariance at the minimum, and its state dependence is exact.
    pub data: Option<Arc<Minibatch>>,
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

fn fisher(p: &Params) -> f64 {
    if p.noise == Noise::Fisher {
        p.cf
    } else {
        0.0
    }
}

/// The generated data set of a minibatch setting and its noise covariance at the minimum,
/// remembered for the last setting asked for (panels rebuild the model for every point and
/// after every Monte Carlo patch; generating 10⁶ points each time would stall the page).
fn minibatch(p: &Params, cov: &DMatrix<f64>) -> Option<(Arc<Minibatch>, DMatrix<f64>)> {
    type Key = (u64, u64, u64, u64, u64, Vec<u64>);
    type Entry = (Key, Arc<Minibatch>, DMatrix<f64>);
    thread_local! {
        static LAST: std::cell::RefCell<Option<Entry>> = const { std::cell::RefCell::new(None) };
    }
    let key: Key = (
        p.n_data,
        p.batch,
        p.replace,
        p.seed,
        p.sigma2.to_bits(),
        cov.iter().map(|x| x.to_bits()).collect(),
    );
    if let Some(hit) = LAST.with(|l| {
        l.borrow()
            .as_ref()
            .filter(|e| e.0 == key)
            .map(|e| (e.1.clone(), e.2.clone()))
    }) {
        return Some(hit);
    }
    let data = DataSet::generate(p.n_data as usize, cov, p.sigma2, p.seed)?;
    let c = data.gradient_noise_cov([0.0, 0.0], p.batch as usize, p.replace == 1);
    let mb = Arc::new(Minibatch::new(data, p.batch as usize, p.replace == 1));
    LAST.with(|l| *l.borrow_mut() = Some((key, mb.clone(), c.clone())));
    Some((mb, c))
}

impl Model {
    /// The model described by `p`: K = R(h_angle) diag(h1, h2) R(h_angle)ᵀ and C from the
    /// noise kind — σ²I (Cor. 3), aK (Cor. 2), σ²I + aK (Thm 4), or R(c_angle) diag(c1, c2)
    /// R(c_angle)ᵀ. With `dim = 1`, K = h1 and C = σ², a·h1, σ² + a·h1, or c1.
    pub fn from_params(p: &Params) -> Model {
        if p.noise == Noise::Minibatch {
            let cov = if p.dim == 1 {
                DMatrix::from_element(1, 1, p.h1)
            } else {
                DMatrix::from_column_slice(2, 2, rotated_diag(p.h1, p.h2, p.h_angle).as_slice())
            };
            if let Some((mb, c)) = minibatch(p, &cov) {
                return Model {
                    k: mb.data.k.clone(),
                    c,
                    c_fisher: 0.0,
                    data: Some(mb),
                };
            }
            // Too few points to span the space (N < D, or h = 0): no data set, no noise.
            return Model::new(cov.clone(), DMatrix::zeros(cov.nrows(), cov.nrows()));
        }
        if p.dim == 1 {
            let k = p.h1;
            let c = match p.noise {
                Noise::White => p.sigma2,
                Noise::Hessian => p.a * k,
                Noise::Mixed => p.sigma2 + p.a * k,
                Noise::General => p.c1,
                Noise::Fisher | Noise::Minibatch => 0.0,
            };
            return Model {
                k: DMatrix::from_element(1, 1, k),
                c: DMatrix::from_element(1, 1, c),
                c_fisher: fisher(p),
                data: None,
            };
        }
        let k = rotated_diag(p.h1, p.h2, p.h_angle);
        let id = Matrix2::identity();
        let c = match p.noise {
            Noise::White => id * p.sigma2,
            Noise::Hessian => k * p.a,
            Noise::Mixed => id * p.sigma2 + k * p.a,
            Noise::General => rotated_diag(p.c1, p.c2, p.c_angle),
            Noise::Fisher | Noise::Minibatch => Matrix2::zeros(),
        };
        Model {
            k: DMatrix::from_column_slice(2, 2, k.as_slice()),
            c: DMatrix::from_column_slice(2, 2, c.as_slice()),
            c_fisher: fisher(p),
            data: None,
        }
    }

    /// A model with constant noise C.
    pub fn new(k: DMatrix<f64>, c: DMatrix<f64>) -> Model {
        Model {
            k,
            c,
            c_fisher: 0.0,
            data: None,
        }
    }

    /// The model with diagonal K = diag(`k`) and constant noise C = diag(`c`).
    pub fn diagonal(k: &[f64], c: &[f64]) -> Model {
        Model::new(
            DMatrix::from_diagonal(&nalgebra::DVector::from_row_slice(k)),
            DMatrix::from_diagonal(&nalgebra::DVector::from_row_slice(c)),
        )
    }

    /// The state-dependent part of the noise as a linear map on vec Σ (D² × D²):
    /// c_f·K ⊗ K for Fisher noise plus the minibatch map; `None` for constant noise.
    pub fn noise_op(&self) -> Option<DMatrix<f64>> {
        let fisher = (self.c_fisher > 0.0).then(|| self.k.kronecker(&self.k) * self.c_fisher);
        match (fisher, &self.data) {
            (f, None) => f,
            (None, Some(mb)) => Some(mb.op.clone()),
            (Some(f), Some(mb)) => Some(f + &mb.op),
        }
    }

    /// The noise covariance at second moment Σ: C₀ + c_f·KΣK (+ the minibatch part).
    pub fn noise(&self, sigma: &DMatrix<f64>) -> DMatrix<f64> {
        match self.noise_op() {
            None => self.c.clone(),
            Some(op) => {
                let d = self.dim();
                let v = op * DMatrix::from_column_slice(d * d, 1, sigma.as_slice());
                let extra = DMatrix::from_column_slice(d, d, v.as_slice());
                &self.c + (&extra + extra.transpose()) * 0.5
            }
        }
    }

    /// The dimension D.
    pub fn dim(&self) -> usize {
        self.k.nrows()
    }

    /// The largest eigenvalue k* of K.
    pub fn k_max(&self) -> f64 {
        crate::theory::lyapunov::sym_eigenvalues(&self.k).map_or(f64::NAN, |e| e.max())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_diag_has_the_eigenvalues() {
        let m = rotated_diag(1.0, 0.1, 37.0);
        let e = DMatrix::from_column_slice(2, 2, m.as_slice()).symmetric_eigenvalues();
        let (lo, hi) = (e.min(), e.max());
        assert!((lo - 0.1).abs() < 1e-15 && (hi - 1.0).abs() < 1e-15);
        assert_eq!(m[(0, 1)], m[(1, 0)]);
    }
}
