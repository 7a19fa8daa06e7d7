//! The noisy quadratic model: the loss L(w) = ½ wᵀKw and the covariance C of the gradient
//! noise (Liu et al., Sec. 4.1, Eq. 4 with w* shifted to 0), and the generated data sets of
//! real minibatch noise ([`data`]).

pub mod data;
pub mod spectrum;

use data::Minibatch;
use nalgebra::DMatrix;
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

impl Model {
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

    /// State-dependent noise proportional to the Fisher information: C(Σ) = c_f·KΣK (Liu et al.
    /// Cor. 6, Thm 10).
    pub fn fisher(k: DMatrix<f64>, c_fisher: f64) -> Model {
        let d = k.nrows();
        Model {
            k,
            c: DMatrix::zeros(d, d),
            c_fisher,
            data: None,
        }
    }

    /// Real minibatch noise of a data set: K is the data's empirical Hessian and C₀ = `c` the
    /// minibatch gradient's covariance at the minimum (its state dependence is exact).
    pub fn minibatches(mb: Arc<Minibatch>, c: DMatrix<f64>) -> Model {
        Model {
            k: mb.data.k.clone(),
            c,
            c_fisher: 0.0,
            data: Some(mb),
        }
    }

    /// The dimension D.
    pub fn dim(&self) -> usize {
        self.k.nrows()
    }

    /// The largest eigenvalue k* of K.
    pub fn k_max(&self) -> f64 {
        crate::linalg::sym_eigenvalues(&self.k).map_or(f64::NAN, |e| e.max())
    }
}

#[cfg(test)]
mod tests {
    use crate::linalg::rotated_diag;
    use nalgebra::DMatrix;

    #[test]
    fn rotated_diag_has_the_eigenvalues() {
        let m = rotated_diag(1.0, 0.1, 37.0);
        let e = DMatrix::from_column_slice(2, 2, m.as_slice()).symmetric_eigenvalues();
        let (lo, hi) = (e.min(), e.max());
        assert!((lo - 0.1).abs() < 1e-15 && (hi - 1.0).abs() < 1e-15);
        assert_eq!(m[(0, 1)], m[(1, 0)]);
    }
}
