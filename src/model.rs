//! The noisy quadratic model: the loss L(w) = ½ wᵀKw and the covariance C of the gradient
//! noise, built from the parameters (Liu et al., Sec. 4.1, Eq. 4 with w* shifted to 0).

use crate::params::{Noise, Params};
use crate::sim::data::DataSet;
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
    /// The data set behind real minibatch noise, if any (then K is its empirical Hessian and
    /// C the covariance of the minibatch gradient at the minimum).
    pub data: Option<Arc<DataSet>>,
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
            if let Some(data) = DataSet::generate(p.n_data as usize, &cov, p.sigma2, p.seed) {
                let c = data.gradient_noise_cov([0.0, 0.0], p.batch as usize, p.replace == 1);
                return Model {
                    k: data.k.clone(),
                    c,
                    c_fisher: 0.0,
                    data: Some(Arc::new(data)),
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

    /// The noise covariance at stationary covariance Σ: C₀ + c_f·KΣK.
    pub fn noise(&self, sigma: &DMatrix<f64>) -> DMatrix<f64> {
        if self.c_fisher == 0.0 {
            return self.c.clone();
        }
        &self.c + &self.k * sigma * &self.k * self.c_fisher
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
