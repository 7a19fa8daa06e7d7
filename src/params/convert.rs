//! The one place that turns the schema's [`Params`] into the core's typed values: the model
//! (Hessian K and noise C, or a generated data set for real minibatches), the optimizer, and
//! the walkers' dynamics with their noise distribution. Nothing below this floor reads a
//! [`Params`].

use super::{Dist, Noise, Params};
use crate::linalg::rotated_diag;
use crate::model::data::{DataSet, Minibatch};
use crate::model::Model;
use crate::optimizer::Optimizer;
use crate::sim::{Dynamics, Shape};
use crate::theory::measured::Setting;
use nalgebra::{DMatrix, Matrix2};
use std::sync::Arc;

/// The generated data set of a minibatch setting and its noise covariance at the minimum,
/// remembered for the last setting asked for: a panel's Monte Carlo jobs each build the model
/// of their setting, and generating 10⁶ points for each would stall the page.
fn minibatch(p: &Params, cov: &DMatrix<f64>) -> Option<(Arc<Minibatch>, DMatrix<f64>)> {
    type Key = (u64, u64, bool, u64, u64, Vec<u64>);
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
    let c = data.gradient_noise_cov([0.0, 0.0], p.batch as usize, p.replace);
    let mb = Arc::new(Minibatch::new(data, p.batch as usize, p.replace));
    LAST.with(|l| *l.borrow_mut() = Some((key, mb.clone(), c.clone())));
    Some((mb, c))
}

impl Params {
    /// The Hessian K = R(h_angle) diag(h1, h2) R(h_angle)ᵀ, or K = h1 with `dim = 1`.
    pub fn hessian(&self) -> DMatrix<f64> {
        if self.dim == 1 {
            DMatrix::from_element(1, 1, self.h1)
        } else {
            let k = rotated_diag(self.h1, self.h2, self.h_angle);
            DMatrix::from_column_slice(2, 2, k.as_slice())
        }
    }

    /// The constant noise covariance of the noise kind: σ²I (Cor. 3), aK (Cor. 2), σ²I + aK
    /// (Thm 4), R(c_angle) diag(c1, c2) R(c_angle)ᵀ; 0 for Fisher and minibatch noise. In 1-D:
    /// σ², a·h1, σ² + a·h1, or c1.
    fn constant_noise(&self) -> DMatrix<f64> {
        if self.dim == 1 {
            let k = self.h1;
            let c = match self.noise {
                Noise::White => self.sigma2,
                Noise::Hessian => self.a * k,
                Noise::Mixed => self.sigma2 + self.a * k,
                Noise::General => self.c1,
                Noise::Fisher | Noise::Minibatch => 0.0,
            };
            return DMatrix::from_element(1, 1, c);
        }
        let k = rotated_diag(self.h1, self.h2, self.h_angle);
        let id = Matrix2::identity();
        let c = match self.noise {
            Noise::White => id * self.sigma2,
            Noise::Hessian => k * self.a,
            Noise::Mixed => id * self.sigma2 + k * self.a,
            Noise::General => rotated_diag(self.c1, self.c2, self.c_angle),
            Noise::Fisher | Noise::Minibatch => Matrix2::zeros(),
        };
        DMatrix::from_column_slice(2, 2, c.as_slice())
    }

    /// The model: K ([`Params::hessian`]) and the noise of `noise` — constant, Fisher
    /// (c_f·KΣK), or the exact minibatch noise of a generated data set whose input covariance
    /// is K (`n_data`, `batch`, `replace`, label noise σ², drawn from `seed`).
    pub fn model(&self) -> Model {
        let k = self.hessian();
        match self.noise {
            Noise::Minibatch => match minibatch(self, &k) {
                Some((mb, c)) => Model::minibatches(mb, c),
                // Too few points to span the space (N < D, or h = 0): no data set, no noise.
                None => {
                    let d = k.nrows();
                    Model::new(k, DMatrix::zeros(d, d))
                }
            },
            Noise::Fisher => Model::fisher(k, self.cf),
            _ => Model::new(k, self.constant_noise()),
        }
    }

    /// The setting of a measured spectrum's summary (`crate::theory::measured`): `lr`, `mu`,
    /// `a`, `batch`, `n_data`, `theta0`, `target`, `max_steps`, `batch_max`.
    pub fn measured_setting(&self) -> Setting {
        Setting {
            lr: self.lr,
            mu: self.mu,
            a: self.a,
            batch: self.batch,
            n_data: self.n_data,
            theta0: self.theta0,
            target: self.target,
            max_steps: self.max_steps,
            batch_max: self.batch_max,
        }
    }

    /// The optimizer: `opt`, `lr`, `mu`, `qhm_nu`, `damp`, and the preconditioner
    /// P = R(p_angle) diag(p1, p2) R(p_angle)ᵀ (p1 in 1-D).
    pub fn optimizer(&self) -> Optimizer {
        let precond = if self.dim == 1 {
            DMatrix::from_element(1, 1, self.p1)
        } else {
            let m = rotated_diag(self.p1, self.p2, self.p_angle);
            DMatrix::from_column_slice(2, 2, m.as_slice())
        };
        Optimizer {
            opt: self.opt,
            lr: self.lr,
            mu: self.mu,
            qhm_nu: self.qhm_nu,
            damp: self.damp,
            precond,
        }
    }

    /// The noise distribution of the walkers: `dist` with `dof` degrees of freedom (0: the
    /// paper's 4 for Student-t and 3 for χ²).
    pub fn shape(&self) -> Shape {
        let dof = |default: u32| {
            if self.dof == 0 {
                default
            } else {
                self.dof as u32
            }
        };
        match self.dist {
            Dist::Gauss => Shape::Gauss,
            Dist::Student => Shape::Student(dof(4)),
            Dist::Chi2 => Shape::Chi2(dof(3)),
        }
    }

    /// The walkers' dynamics on `model` (from [`Params::model`]): the optimizer, the noise
    /// distribution, and real minibatches when the model carries a data set.
    pub fn dynamics(&self, model: &Model) -> Result<Dynamics, String> {
        let dy = Dynamics::new(model, &self.optimizer(), self.shape())?;
        Ok(match &model.data {
            Some(mb) => dy.with_minibatches(Arc::new(mb.data.clone()), mb.batch, mb.replace),
            None => dy,
        })
    }
}
