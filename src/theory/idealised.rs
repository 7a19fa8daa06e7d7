//! Natural-gradient descent and Adam in the paper's idealised form (Liu et al. Sec. 4.7 and
//! 6.4: "Σ can be solved by setting C = C(Σ)"): their learning-rate matrix Λ(Σ) and the noise
//! covariance C(Σ) (a·KΣK for Cor. 6 and Thm 10) are those of the exact stationary Σ, held
//! fixed. The walkers of `sim::Dynamics` run these dynamics, so a Monte Carlo point after t
//! steps from the minimum measures [`sigma_after`], not the stationary Σ, nor the recursion in
//! which the noise follows the current covariance (`escape::sigma_after`).

use super::{escape, lyapunov, Stationary};
use crate::model::Model;
use crate::optimizer::Optimizer;
use nalgebra::DMatrix;

/// The covariance of the weights after `t` steps from the minimum (w = 0, empty momentum) of
/// the dynamics frozen at the stationary state `st`: P_t = A P_{t−1} Aᵀ + B C Bᵀ with the map
/// (A, B) and the noise covariance C of `st`, P₀ = 0 ([`lyapunov::stein_after`]).
pub fn frozen_sigma_after(st: &Stationary, t: u64) -> DMatrix<f64> {
    let (a, b) = (&st.map.a, &st.map.b);
    let q = b * &st.noise * b.transpose();
    let n = a.nrows();
    let d = st.map.dim;
    let p = lyapunov::stein_after(a, None, &q, &DMatrix::zeros(n, n), t);
    p.view((0, 0), (d, d)).into_owned()
}

/// The covariance of the weights after `t` steps from the minimum of the dynamics the walkers
/// run: for NGD and Adam the dynamics frozen at their stationary state `st` (which they need:
/// `None` without it) ([`frozen_sigma_after`]); for every other optimizer, whose map does not
/// depend on Σ, the exact recursion with the model's own noise ([`escape::sigma_after`]).
pub fn sigma_after(
    model: &Model,
    opt: &Optimizer,
    st: Option<&Stationary>,
    t: u64,
) -> Option<DMatrix<f64>> {
    if opt.opt.depends_on_sigma() {
        st.map(|st| frozen_sigma_after(st, t))
    } else {
        escape::sigma_after(model, opt, t)
    }
}
