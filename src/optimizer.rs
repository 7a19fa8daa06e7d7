//! Update rules near a minimum, written as linear state-space maps.
//!
//! Close to a minimum every optimizer of Liu et al. is linear in its state x (the weights w and
//! a momentum buffer), driven by the gradient noise η:  x_t = A x_{t-1} + B η_{t-1}.  The exact
//! stationary covariance is then the fixed point of the discrete Lyapunov equation
//! P = A P Aᵀ + B C Bᵀ (see [`crate::theory::lyapunov`]). Natural-gradient descent and Adam have
//! a learning-rate matrix that depends on the stationary covariance Σ itself; their map is built
//! for a given Σ and the theory finds the Σ that reproduces itself.

use crate::linalg::sqrt_and_inv_sqrt;
use nalgebra::DMatrix;

/// The optimizers of the theory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Opt {
    /// SGD with heavy-ball momentum μ and dampening ν (Liu et al. Eq. 5; Yaida Eqs. 10–11).
    Sgd,
    /// Nesterov momentum (PyTorch form): m' = μm + g, w' = w − λ(g + μm').
    Nesterov,
    /// Quasi-hyperbolic momentum, Liu et al. Eq. (72), parameters μ and ν (`qhm_nu`).
    Qhm,
    /// Damped Newton's method: Λ = λK⁻¹ (Thm 12).
    Dnm,
    /// Natural-gradient descent: Λ = λ(KΣK)⁻¹, the inverse Fisher information (Thm 13).
    Ngd,
    /// Adam in the paper's idealised form: Λ = λ E[ggᵀ]^(−1/2) = λ(KΣK + C)^(−1/2) (Thm 10).
    Adam,
    /// Preconditioned SGD with a matrix learning rate Λ = λP (Thm 3).
    Precond,
}

impl Opt {
    /// The permalink words, in the order of the enum.
    pub const WORDS: &'static [&'static str] =
        &["sgd", "nesterov", "qhm", "dnm", "ngd", "adam", "precond"];
    const ALL: [Opt; 7] = [
        Opt::Sgd,
        Opt::Nesterov,
        Opt::Qhm,
        Opt::Dnm,
        Opt::Ngd,
        Opt::Adam,
        Opt::Precond,
    ];

    /// The permalink word of this optimizer.
    pub fn word(self) -> &'static str {
        Self::WORDS[self as usize]
    }

    /// The optimizer named by a permalink word.
    pub fn from_word(word: &str) -> Option<Opt> {
        Self::WORDS
            .iter()
            .position(|w| *w == word)
            .map(|i| Self::ALL[i])
    }

    /// Whether the learning-rate matrix depends on the stationary Σ (NGD, Adam).
    pub fn depends_on_sigma(self) -> bool {
        matches!(self, Opt::Ngd | Opt::Adam)
    }
}

/// An optimizer with its hyperparameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Optimizer {
    /// Which update rule.
    pub opt: Opt,
    /// Learning rate λ.
    pub lr: f64,
    /// Momentum μ.
    pub mu: f64,
    /// QHM's interpolation ν ∈ [0, 1].
    pub qhm_nu: f64,
    /// Dampening ν ∈ [0, 1) of the momentum buffer (Yaida Eq. 10); 0 is Liu et al.'s Eq. 5.
    pub damp: f64,
    /// The preconditioner P of [`Opt::Precond`] (Λ = λP), symmetric positive definite.
    pub precond: DMatrix<f64>,
}

/// A linear state-space map x_t = A x_{t-1} + B η_{t-1}, whose first `dim` state components are
/// the weights w and whose last `dim` are the momentum buffer.
#[derive(Clone, Debug, PartialEq)]
pub struct StateSpace {
    /// The transition matrix A (2D × 2D).
    pub a: DMatrix<f64>,
    /// The noise input matrix B (2D × D).
    pub b: DMatrix<f64>,
    /// The dimension D of the weights.
    pub dim: usize,
}

fn blocks(
    a11: &DMatrix<f64>,
    a12: &DMatrix<f64>,
    a21: &DMatrix<f64>,
    a22: &DMatrix<f64>,
) -> DMatrix<f64> {
    let d = a11.nrows();
    let mut a = DMatrix::zeros(2 * d, 2 * d);
    a.view_mut((0, 0), (d, d)).copy_from(a11);
    a.view_mut((0, d), (d, d)).copy_from(a12);
    a.view_mut((d, 0), (d, d)).copy_from(a21);
    a.view_mut((d, d), (d, d)).copy_from(a22);
    a
}

fn stack(b1: &DMatrix<f64>, b2: &DMatrix<f64>) -> DMatrix<f64> {
    let d = b1.nrows();
    let mut b = DMatrix::zeros(2 * d, b1.ncols());
    b.view_mut((0, 0), (d, b1.ncols())).copy_from(b1);
    b.view_mut((d, 0), (d, b1.ncols())).copy_from(b2);
    b
}

impl StateSpace {
    /// Preconditioned SGD with momentum and dampening, Liu et al. Thm 3 with Yaida's dampening:
    ///
    /// g_t = K w_{t-1} + η_{t-1};  m_t = μ m_{t-1} + (1−ν) g_t;  w_t = w_{t-1} − Λ m_t,
    ///
    /// i.e. A = [[I − (1−ν)ΛK, −μΛ], [(1−ν)K, μI]],  B = [[−(1−ν)Λ], [(1−ν)I]].
    /// Λ = λI, ν = 0 is Eq. (5); μ = 0 as well is plain SGD.
    pub fn preconditioned(
        k: &DMatrix<f64>,
        lambda: &DMatrix<f64>,
        mu: f64,
        damp: f64,
    ) -> StateSpace {
        let d = k.nrows();
        let id = DMatrix::<f64>::identity(d, d);
        let g = 1.0 - damp;
        StateSpace {
            a: blocks(
                &(&id - lambda * k * g),
                &(lambda * -mu),
                &(k * g),
                &(&id * mu),
            ),
            b: stack(&(lambda * -g), &(&id * g)),
            dim: d,
        }
    }

    /// SGD with heavy-ball momentum, Liu et al. Eq. (5):
    /// A = [[I − λK, −λμ I], [K, μ I]],  B = [[−λ I], [I]].
    pub fn heavy_ball(k: &DMatrix<f64>, lr: f64, mu: f64) -> StateSpace {
        let d = k.nrows();
        Self::preconditioned(k, &(DMatrix::identity(d, d) * lr), mu, 0.0)
    }

    /// Quasi-hyperbolic momentum, Liu et al. Eq. (72):
    /// m_t = μ m_{t-1} + (1−μ) g_t;  w_t = w_{t-1} − λ[(1−ν) g_t + ν m_t], so with
    /// α = λ(1 − μν):  A = [[I − αK, −λνμ I], [(1−μ)K, μI]],  B = [[−α I], [(1−μ) I]].
    pub fn qhm(k: &DMatrix<f64>, lr: f64, mu: f64, nu: f64) -> StateSpace {
        let d = k.nrows();
        let id = DMatrix::<f64>::identity(d, d);
        let alpha = lr * (1.0 - mu * nu);
        StateSpace {
            a: blocks(
                &(&id - k * alpha),
                &(&id * (-lr * nu * mu)),
                &(k * (1.0 - mu)),
                &(&id * mu),
            ),
            b: stack(&(&id * -alpha), &(&id * (1.0 - mu))),
            dim: d,
        }
    }

    /// Nesterov momentum in PyTorch's form: m_t = μ m_{t-1} + g_t;  w_t = w_{t-1} − λ(g_t + μ m_t),
    /// so A = [[I − λ(1+μ)K, −λμ² I], [K, μI]],  B = [[−λ(1+μ) I], [I]]. It equals QHM with
    /// learning rate λ/(1−μ) and ν = μ.
    pub fn nesterov(k: &DMatrix<f64>, lr: f64, mu: f64) -> StateSpace {
        let d = k.nrows();
        let id = DMatrix::<f64>::identity(d, d);
        StateSpace {
            a: blocks(
                &(&id - k * (lr * (1.0 + mu))),
                &(&id * (-lr * mu * mu)),
                k,
                &(&id * mu),
            ),
            b: stack(&(&id * (-lr * (1.0 + mu))), &id),
            dim: d,
        }
    }
}

impl Optimizer {
    /// Plain SGD with heavy-ball momentum μ (Eq. 5).
    pub fn sgd(lr: f64, mu: f64, dim: usize) -> Optimizer {
        Optimizer {
            opt: Opt::Sgd,
            lr,
            mu,
            qhm_nu: 0.0,
            damp: 0.0,
            precond: DMatrix::identity(dim, dim),
        }
    }

    /// The learning-rate matrix Λ of a preconditioned method, given K, the stationary Σ (used
    /// by NGD and Adam) and the noise covariance C at that Σ; `None` for QHM and Nesterov, or
    /// when Λ does not exist (singular K or KΣK).
    pub fn lambda(
        &self,
        k: &DMatrix<f64>,
        sigma: &DMatrix<f64>,
        c: &DMatrix<f64>,
    ) -> Option<DMatrix<f64>> {
        let d = k.nrows();
        let lr = self.lr;
        match self.opt {
            Opt::Sgd => Some(DMatrix::identity(d, d) * lr),
            Opt::Precond => Some(&self.precond * lr),
            Opt::Dnm => Some(k.clone().try_inverse()? * lr),
            Opt::Ngd => Some((k * sigma * k).try_inverse()? * lr),
            Opt::Adam => Some(sqrt_and_inv_sqrt(&(k * sigma * k + c))?.1 * lr),
            Opt::Qhm | Opt::Nesterov => None,
        }
    }

    /// The state-space map at stationary covariance `sigma` and noise `c` (both used only by
    /// NGD and Adam); `None` when the learning-rate matrix does not exist.
    pub fn state_space(
        &self,
        k: &DMatrix<f64>,
        sigma: &DMatrix<f64>,
        c: &DMatrix<f64>,
    ) -> Option<StateSpace> {
        match self.opt {
            Opt::Qhm => Some(StateSpace::qhm(k, self.lr, self.mu, self.qhm_nu)),
            Opt::Nesterov => Some(StateSpace::nesterov(k, self.lr, self.mu)),
            _ => Some(StateSpace::preconditioned(
                k,
                &self.lambda(k, sigma, c)?,
                self.mu,
                self.damp,
            )),
        }
    }

    /// The necessary condition of Liu et al. Sec. 4.5 as (value, limit): a stationary state
    /// needs value < limit. For the preconditioned family it is the largest eigenvalue of
    /// (1−ν)ΛK against 2(1+μ) (2I − ΛK/(1+μ) positive definite). For QHM and Nesterov the same
    /// argument — no eigenvalue of the update crossing −1 — gives λk*(1 + μ − 2μν) < 2(1+μ)
    /// and λk*(1 + 2μ) < 2(1+μ).
    pub fn necessary_condition(
        &self,
        k: &DMatrix<f64>,
        sigma: &DMatrix<f64>,
        c: &DMatrix<f64>,
    ) -> Option<(f64, f64)> {
        let limit = 2.0 * (1.0 + self.mu);
        let k_max = crate::linalg::sym_eigenvalues(k)?.max();
        let value = match self.opt {
            Opt::Qhm => self.lr * k_max * (1.0 + self.mu - 2.0 * self.mu * self.qhm_nu),
            Opt::Nesterov => self.lr * k_max * (1.0 + 2.0 * self.mu),
            _ => {
                // ΛK is similar to the symmetric Λ^{1/2} K Λ^{1/2}: real eigenvalues.
                let (root, _) = sqrt_and_inv_sqrt(&self.lambda(k, sigma, c)?)?;
                let m = &root * k * &root * (1.0 - self.damp);
                crate::linalg::sym_eigenvalues(&m)?.max()
            }
        };
        Some((value, limit))
    }

    /// The effective learning-rate matrix E of the continuous-time (first-order in λ)
    /// counterpart dw = −EK w dt + E dW with ⟨dW dWᵀ⟩ = C dt, whose stationary covariance solves
    /// EKΣ + ΣKEᵀ = ECEᵀ. Preconditioned family: E = (1−ν)Λ/(1−μ) (Λ = λI gives Eq. 1,
    /// ΣK + KΣ = λC/(1−μ)); QHM, which normalises its momentum: E = λI (Gitman et al.'s leading
    /// term, Table 1 left); Nesterov: E = λI/(1−μ).
    pub fn effective_lr(
        &self,
        k: &DMatrix<f64>,
        sigma: &DMatrix<f64>,
        c: &DMatrix<f64>,
    ) -> Option<DMatrix<f64>> {
        let d = k.nrows();
        let (lr, mu) = (self.lr, self.mu);
        match self.opt {
            Opt::Qhm => Some(DMatrix::identity(d, d) * lr),
            Opt::Nesterov => Some(DMatrix::identity(d, d) * (lr / (1.0 - mu))),
            _ => Some(self.lambda(k, sigma, c)? * ((1.0 - self.damp) / (1.0 - mu))),
        }
    }
}

impl Optimizer {
    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self.opt {
            Opt::Sgd if self.mu == 0.0 && self.damp == 0.0 => "SGD",
            Opt::Sgd => "SGD with momentum",
            Opt::Nesterov => "Nesterov momentum",
            Opt::Qhm => "QHM",
            Opt::Dnm => "Damped Newton",
            Opt::Ngd => "Natural-gradient descent",
            Opt::Adam => "Adam",
            Opt::Precond => "Preconditioned SGD",
        }
    }
}
