//! Update rules near a minimum, written as linear state-space maps.
//!
//! Close to a minimum every optimizer of Liu et al. is linear in its state x (the weights w and
//! any buffers), driven by the gradient noise η:  x_t = A x_{t-1} + B η_{t-1}.  The exact
//! stationary covariance is then the fixed point of the discrete Lyapunov equation
//! P = A P Aᵀ + B C Bᵀ (see [`crate::theory::lyapunov`]).

use nalgebra::DMatrix;

/// A linear state-space map x_t = A x_{t-1} + B η_{t-1}, whose first `dim` state components are
/// the weights w.
#[derive(Clone, Debug, PartialEq)]
pub struct StateSpace {
    /// The transition matrix A (n × n).
    pub a: DMatrix<f64>,
    /// The noise input matrix B (n × D).
    pub b: DMatrix<f64>,
    /// The dimension D of the weights.
    pub dim: usize,
}

impl StateSpace {
    /// SGD with heavy-ball momentum, Liu et al. Eq. (5):
    ///
    /// g_t = K w_{t-1} + η_{t-1};  m_t = μ m_{t-1} + g_t;  w_t = w_{t-1} − λ m_t.
    ///
    /// With state x = (w, m) this is
    /// A = [[I − λK, −λμ I], [K, μ I]],  B = [[−λ I], [I]].  μ = 0 is plain SGD.
    pub fn heavy_ball(k: &DMatrix<f64>, lr: f64, mu: f64) -> StateSpace {
        let d = k.nrows();
        let id = DMatrix::<f64>::identity(d, d);
        let mut a = DMatrix::<f64>::zeros(2 * d, 2 * d);
        a.view_mut((0, 0), (d, d)).copy_from(&(&id - k * lr));
        a.view_mut((0, d), (d, d)).copy_from(&(&id * (-lr * mu)));
        a.view_mut((d, 0), (d, d)).copy_from(k);
        a.view_mut((d, d), (d, d)).copy_from(&(&id * mu));
        let mut b = DMatrix::<f64>::zeros(2 * d, d);
        b.view_mut((0, 0), (d, d)).copy_from(&(&id * -lr));
        b.view_mut((d, 0), (d, d)).copy_from(&id);
        StateSpace { a, b, dim: d }
    }

    /// Advances a state covariance by one step: P ↦ A P Aᵀ + B C Bᵀ.
    pub fn step_covariance(&self, p: &DMatrix<f64>, c: &DMatrix<f64>) -> DMatrix<f64> {
        &self.a * p * self.a.transpose() + &self.b * c * self.b.transpose()
    }
}
