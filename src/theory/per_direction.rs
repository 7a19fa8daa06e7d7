//! Exact second moments of SGD, heavy-ball momentum, preconditioned SGD and an exponential
//! moving average (EMA) of the iterates on a diagonal noisy quadratic model, direction by
//! direction: Zhang et al. (2019), *Which algorithmic choices matter at which batch sizes?
//! Insights from a noisy quadratic model*, Sec. 3 and App. C (their Eq. 21 for momentum, the
//! EMA recursion of their notebook `nqm.ipynb`).
//!
//! Along eigendirection i (curvature hᵢ, gradient noise of variance σᵢ² = cᵢ·f with the
//! per-example variance cᵢ and the minibatch factor f) each method is a linear map of a state
//! x with one or two components, driven by the noise: x' = A x + b ξ, ξ ~ N(0, σᵢ²).
//! - SGD: x = θ, A = 1 − αh, b = −α.
//! - preconditioned by P = H^(−γ): A = 1 − αh^(1−γ), b = −αh^(−γ).
//! - heavy ball (Liu et al. Eq. 5, the map of `StateSpace::heavy_ball` in one dimension):
//!   x = (θ, m), A = [[1 − αh, −αμ], [h, μ]], b = (−α, 1); x₀ = (θ₀, 0).
//! - EMA of SGD's iterates, θ̄' = βθ̄ + (1 − β)θ': x = (θ, θ̄), A = [[q, 0], [(1 − β)q, β]],
//!   b = (−α, −(1 − β)α), q = 1 − αh; x₀ = (θ₀, θ₀), and the loss is that of θ̄.
//!
//! The second moment of the observed component y = eₖᵀx (θ, or θ̄ for EMA) after t steps is
//! E[y_t²] = (eₖᵀAᵗx₀)² + V_t with V_t = [P* − AᵗP*Aᵗᵀ]ₖₖ, where P* = AP*Aᵀ + bbᵀσ² is the
//! stationary covariance — the fixed point of the linear map of the three second moments
//! (E θ², E θm, E m²) ([`moment_map`], Zhang et al.'s Eq. 21 for momentum) — and Aᵗ is in
//! closed form by Cayley–Hamilton, Aᵗ = sₜA − det(A)·sₜ₋₁I with sₜ = (z₁ᵗ − z₂ᵗ)/(z₁ − z₂) for
//! the eigenvalues z₁, z₂ of A. With one component this is Zhang et al.'s
//! s(t) = s* + rᵗ(s(0) − s*), r = (1 − αh)². Every evaluation is O(1) per direction.
//!
//! Two facts make first hitting times exact ([`super::steps_to_target`]): the variance part V_t
//! never decreases (it is [Σ_{j<t} AʲbbᵀAʲᵀ]ₖₖ σ²), and the mean eₖᵀAᵗx₀ is, for real t, a sum of
//! two exponentials or a damped cosine, whose smallest magnitude over a window of steps is known
//! ([`Mode::window_bound`]).

use serde::{Deserialize, Serialize};

/// How the iterate is updated along each eigendirection.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Method {
    /// Plain SGD: θ' = θ − α(hθ + ξ).
    Sgd,
    /// SGD preconditioned by P = H^(−γ): θ' = θ − αh^(−γ)(hθ + ξ).
    Preconditioned {
        /// The power γ.
        gamma: f64,
    },
    /// Heavy-ball momentum: m' = μm + g, θ' = θ − αm'.
    HeavyBall {
        /// The momentum μ ∈ [0, 1).
        mu: f64,
    },
    /// SGD with an exponential moving average of its iterates, θ̄' = βθ̄ + (1 − β)θ'; the
    /// loss is that of θ̄.
    Ema {
        /// The decay β ∈ [0, 1).
        decay: f64,
    },
}

impl Method {
    /// The largest stable rate for the largest curvature `h_max` (mean and mean square agree
    /// here, the noise not depending on the state): 2/h for SGD and EMA, 2(1 + μ)/h with
    /// momentum, 2/h^(1−γ) preconditioned.
    pub fn rate_limit(self, h_max: f64) -> f64 {
        match self {
            Method::Sgd | Method::Ema { .. } => 2.0 / h_max,
            Method::Preconditioned { gamma } => 2.0 / h_max.powf(1.0 - gamma),
            Method::HeavyBall { mu } => 2.0 * (1.0 + mu) / h_max,
        }
    }

    /// The effective learning rate λ/(1 − μ) of rate `rate` (λ itself without momentum).
    pub fn effective_rate(self, rate: f64) -> f64 {
        match self {
            Method::HeavyBall { mu } => rate / (1.0 - mu),
            _ => rate,
        }
    }
}

/// The model: curvatures hᵢ with weights (1 each, or the number of directions a bin stands
/// for), per-example noise variances cᵢ, the start θ₀ in every direction and the minibatch
/// factor f (the noise variance is cᵢ·f).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// Curvatures hᵢ > 0.
    pub h: Vec<f64>,
    /// How many directions each entry stands for.
    pub weight: Vec<f64>,
    /// Per-example gradient-noise variances cᵢ.
    pub c: Vec<f64>,
    /// The start θᵢ(0) = θ₀.
    pub theta0: f64,
    /// The minibatch factor f: 1/B, or (N − B)/(B(N − 1)) for B of N examples without
    /// replacement.
    pub factor: f64,
}

impl Problem {
    /// The initial loss L(0) = ½θ₀² Σ wᵢhᵢ.
    pub fn initial_loss(&self) -> f64 {
        0.5 * self.theta0 * self.theta0 * self.weighted_h()
    }

    fn weighted_h(&self) -> f64 {
        self.h.iter().zip(&self.weight).map(|(h, w)| h * w).sum()
    }

    /// The largest curvature (0 without directions).
    pub fn h_max(&self) -> f64 {
        self.h.iter().copied().fold(0.0, f64::max)
    }

    /// The same problem with minibatch factor `factor`.
    pub fn with_factor(&self, factor: f64) -> Problem {
        Problem {
            factor,
            ..self.clone()
        }
    }

    /// The modes of `method` at rate `rate`, one per direction; `None` past the stability
    /// limit (some direction has no stationary state).
    pub fn modes(&self, method: Method, rate: f64) -> Option<Vec<Mode>> {
        self.h
            .iter()
            .zip(&self.c)
            .map(|(&h, &c)| Mode::new(method, rate, h, c * self.factor, self.theta0))
            .collect()
    }

    /// The expected loss ½Σ wᵢhᵢE[yᵢ(t)²] after `t` steps, from modes of this problem.
    pub fn loss(&self, modes: &[Mode], t: u64) -> f64 {
        self.sum(modes, |m| m.second_moment(t))
    }

    /// A lower bound of the expected loss over the steps t₁ ≤ t ≤ t₂, exact when t₁ = t₂
    /// (see [`Mode::window_bound`]).
    pub fn window_bound(&self, modes: &[Mode], t1: u64, t2: u64) -> f64 {
        self.sum(modes, |m| m.window_bound(t1, t2))
    }

    fn sum(&self, modes: &[Mode], f: impl Fn(&Mode) -> f64) -> f64 {
        let s: f64 = modes
            .iter()
            .zip(self.h.iter().zip(&self.weight))
            .map(|(m, (h, w))| w * h * f(m))
            .sum();
        0.5 * s
    }
}

/// The eigenvalues of a 2 × 2 map, with what the powers need.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Eigen {
    /// Real z₁, z₂ with |z₁| ≥ |z₂|; w = z₂/z₁, ln|z₁|, ln|w|, and ln w computed without
    /// rounding (ln(1 + (z₂ − z₁)/z₁)) when w > ½, where (z₁ᵗ − z₂ᵗ)/(z₁ − z₂) would cancel.
    Real {
        z1: f64,
        w: f64,
        ln_z1: f64,
        ln_w: f64,
        near: bool,
    },
    /// ρe^(±iφ), φ ∈ (0, π): ln ρ, 1/ρ, φ, sin φ, cos φ.
    Complex {
        ln_rho: f64,
        inv_rho: f64,
        phi: f64,
        sin: f64,
        cos: f64,
    },
}

impl Eigen {
    /// The eigenvalues of a 2 × 2 map of trace `tr` and determinant `det`; `None` if one has
    /// modulus ≥ 1.
    fn of(tr: f64, det: f64) -> Option<Eigen> {
        let disc = tr * tr - 4.0 * det;
        Some(if disc >= 0.0 {
            let s = disc.sqrt();
            let z1 = 0.5 * (tr + if tr >= 0.0 { s } else { -s });
            if z1.abs() >= 1.0 {
                return None;
            }
            let w = if z1 != 0.0 { det / (z1 * z1) } else { 0.0 };
            let near = w > 0.5;
            let signed_s = if tr >= 0.0 { s } else { -s };
            let ln_w = if near {
                // w − 1 = (z₂ − z₁)/z₁ = −(signed √disc)/z₁, exactly
                (-signed_s / z1).ln_1p()
            } else {
                w.abs().ln()
            };
            Eigen::Real {
                z1,
                w,
                ln_z1: z1.abs().ln(),
                ln_w,
                near,
            }
        } else {
            let rho = det.sqrt();
            if rho >= 1.0 {
                return None;
            }
            let phi = (0.5 * tr / rho).clamp(-1.0, 1.0).acos();
            let (sin, cos) = phi.sin_cos();
            Eigen::Complex {
                ln_rho: rho.ln(),
                inv_rho: 1.0 / rho,
                phi,
                sin,
                cos,
            }
        })
    }
}

/// One direction of one method at one rate, ready to give its moments at any step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// One component: E[θ_t²] = s* + (θ₀² − s*)·q^(2t).
    One {
        /// θ₀.
        theta0: f64,
        /// The factor q of the mean, θ₀qᵗ.
        q: f64,
        /// Stationary second moment s*.
        stat: f64,
        /// 2 ln|q| (−∞ for q = 0).
        log_r: f64,
    },
    /// Two components (see the module documentation).
    Two(Two),
}

/// A two-component mode: the observed row of A, det A, its eigenvalues, the stationary
/// covariance and the start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Two {
    /// Row k of A.
    row: [f64; 2],
    /// det A.
    det: f64,
    eigen: Eigen,
    /// Stationary covariance (P₁₁, P₁₂, P₂₂).
    p: [f64; 3],
    /// Which component is observed (0 or 1).
    k: usize,
    /// The start x₀.
    x0: [f64; 2],
}

/// The linear map of the second moments (E x₁², E x₁x₂, E x₂²) of x' = Ax + bξ, and its
/// constant term: p' = T p + σ²(b₁², b₁b₂, b₂²). For heavy ball this is Zhang et al.'s Eq. 21
/// (in the variables θ and m of Liu et al.'s Eq. 5).
pub fn moment_map(a: [[f64; 2]; 2], b: [f64; 2], sigma2: f64) -> ([[f64; 3]; 3], [f64; 3]) {
    let [[a11, a12], [a21, a22]] = a;
    let t = [
        [a11 * a11, 2.0 * a11 * a12, a12 * a12],
        [a11 * a21, a11 * a22 + a12 * a21, a12 * a22],
        [a21 * a21, 2.0 * a21 * a22, a22 * a22],
    ];
    let q = [b[0] * b[0], b[0] * b[1], b[1] * b[1]].map(|v| v * sigma2);
    (t, q)
}

/// Solves (I − T)p = q by Cramer's rule; `None` if singular or not finite.
fn stationary3(t: [[f64; 3]; 3], q: [f64; 3]) -> Option<[f64; 3]> {
    let m: [[f64; 3]; 3] =
        std::array::from_fn(|i| std::array::from_fn(|j| f64::from(u8::from(i == j)) - t[i][j]));
    let det3 = |m: &[[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det3(&m);
    let p: [f64; 3] = std::array::from_fn(|col| {
        let mut mc = m;
        for (row, v) in mc.iter_mut().zip(q) {
            row[col] = v;
        }
        det3(&mc) / d
    });
    p.iter().all(|v| v.is_finite()).then_some(p)
}

/// A two-component map: A, b, the observed component k and the start x₀.
pub type TwoStateMap = ([[f64; 2]; 2], [f64; 2], usize, [f64; 2]);

/// The map (A, b), the observed component and the start of `method` along a direction of
/// curvature `h` at rate `rate`; `None` for one-component methods.
pub fn two_state(method: Method, rate: f64, h: f64, theta0: f64) -> Option<TwoStateMap> {
    match method {
        Method::HeavyBall { mu } => Some((
            [[1.0 - rate * h, -rate * mu], [h, mu]],
            [-rate, 1.0],
            0,
            [theta0, 0.0],
        )),
        Method::Ema { decay } => {
            let q = 1.0 - rate * h;
            Some((
                [[q, 0.0], [(1.0 - decay) * q, decay]],
                [-rate, -(1.0 - decay) * rate],
                1,
                [theta0, theta0],
            ))
        }
        _ => None,
    }
}

impl Mode {
    /// The mode of `method` at rate `rate` along a direction of curvature `h` with noise
    /// variance `sigma2`, started at θ₀; `None` without a stationary state.
    pub fn new(method: Method, rate: f64, h: f64, sigma2: f64, theta0: f64) -> Option<Mode> {
        if let Some((a, b, k, x0)) = two_state(method, rate, h, theta0) {
            return Two::new(a, b, sigma2, k, x0).map(Mode::Two);
        }
        let (step, noise) = match method {
            Method::Preconditioned { gamma } => (rate * h.powf(1.0 - gamma), rate * h.powf(-gamma)),
            _ => (rate * h, rate),
        };
        let q = 1.0 - step;
        let r = q * q;
        // A step below the rounding of 1 − step (a curvature ~10⁻¹⁶ of the rate's scale) still
        // contracts: 1 − r = step(2 − step) and ln r = 2 ln(1 − step), from the step itself.
        let below_rounding = q == 1.0 && step > 0.0;
        if r.is_nan() || (r >= 1.0 && !below_rounding) {
            return None;
        }
        let (one_minus_r, log_r) = if below_rounding {
            (step * (2.0 - step), 2.0 * (-step).ln_1p())
        } else {
            (1.0 - r, 2.0 * q.abs().ln())
        };
        Some(Mode::One {
            theta0,
            q,
            stat: noise * noise * sigma2 / one_minus_r,
            log_r,
        })
    }

    /// E[y_t²], the second moment of the observed component after `t` steps.
    pub fn second_moment(&self, t: u64) -> f64 {
        match self {
            Mode::One {
                theta0,
                stat,
                log_r,
                ..
            } => stat + (theta0 * theta0 - stat) * power(*log_r, t),
            Mode::Two(m) => {
                let (mean, var) = m.at(t);
                mean * mean + var
            }
        }
    }

    /// (E y_t, Var y_t): the mean (the noiseless path) and the variance after `t` steps.
    pub fn mean_var(&self, t: u64) -> (f64, f64) {
        match self {
            Mode::One {
                theta0,
                q,
                stat,
                log_r,
            } => (theta0 * pow_real(*q, t), stat * (1.0 - power(*log_r, t))),
            Mode::Two(m) => m.at(t),
        }
    }

    /// The stationary second moment of the observed component.
    pub fn stationary(&self) -> f64 {
        match self {
            Mode::One { stat, .. } => *stat,
            Mode::Two(m) => m.p[if m.k == 0 { 0 } else { 2 }],
        }
    }

    /// A lower bound of E[y_t²] over the steps t₁ ≤ t ≤ t₂, equal to it when t₁ = t₂:
    /// V_{t₁} (the variance never decreases) plus the smallest squared mean over the window
    /// (the mean is θ₀qᵗ, two exponentials c₁z₁ᵗ + c₂z₂ᵗ, or ρᵗR cos(tφ − ψ) for real t; see
    /// [`Two::smallest_mean`]).
    pub fn window_bound(&self, t1: u64, t2: u64) -> f64 {
        match self {
            Mode::One {
                theta0,
                stat,
                log_r,
                ..
            } => stat * (1.0 - power(*log_r, t1)) + theta0 * theta0 * power(*log_r, t2),
            Mode::Two(m) => m.window_bound(t1, t2),
        }
    }
}

/// e^(t·log_r) with t = 0 giving 1 (also for log_r = −∞).
fn power(log_r: f64, t: u64) -> f64 {
    if t == 0 {
        1.0
    } else {
        (t as f64 * log_r).exp()
    }
}

/// [`Two::s_pair`] for complex eigenvalues ρe^(±iφ).
fn oscillating_pair(ln_rho: f64, inv_rho: f64, phi: f64, sin: f64, cos: f64, t: u64) -> (f64, f64) {
    // ρᵗ⁻¹ sin(tφ)/sin φ and ρᵗ⁻² sin((t − 1)φ)/sin φ
    let p = power(ln_rho, t - 1);
    if sin == 0.0 {
        // φ rounded to 0 or π: a double eigenvalue ±ρ, sin(nφ)/sin φ → n(±1)ⁿ⁻¹
        let sign = |n: u64| if cos < 0.0 && n % 2 == 1 { -1.0 } else { 1.0 };
        let s1 = if t == 1 {
            0.0
        } else {
            (t - 1) as f64 * sign(t - 2)
        };
        return (p * t as f64 * sign(t - 1), p * inv_rho * s1);
    }
    let (sn, cs) = (t as f64 * phi).sin_cos();
    (p * sn / sin, p * inv_rho * (sn * cos - cs * sin) / sin)
}

/// [`Two::s_pair`] for real eigenvalues z₁ and z₂ = wz₁.
fn real_pair(z1: f64, w: f64, ln_z1: f64, ln_w: f64, near: bool, t: u64) -> (f64, f64) {
    if z1 == 0.0 {
        return (if t == 1 { 1.0 } else { 0.0 }, 0.0);
    }
    let sign = |n: u64| if z1 < 0.0 && n % 2 == 1 { -1.0 } else { 1.0 };
    let zt1 = sign(t - 1) * power(ln_z1, t - 1);
    // G_n = Σ_{j<n} wʲ for n = t and t − 1
    let (g_t, g_t1) = if near {
        // a double eigenvalue (w = 1 to rounding): Σ_{j<t} wʲ = t
        let g = if ln_w == 0.0 {
            t as f64
        } else {
            (t as f64 * ln_w).exp_m1() / ln_w.exp_m1()
        };
        (g, if t == 1 { 0.0 } else { (g - 1.0) / w })
    } else {
        let wsign = |n: u64| if w < 0.0 && n % 2 == 1 { -1.0 } else { 1.0 };
        let w_t1 = wsign(t - 1) * power(ln_w, t - 1);
        ((1.0 - w_t1 * w) / (1.0 - w), (1.0 - w_t1) / (1.0 - w))
    };
    let s_t1 = if t == 1 { 0.0 } else { zt1 / z1 * g_t1 };
    (zt1 * g_t, s_t1)
}

/// zᵗ for real z and whole t ≥ 0.
fn pow_real(z: f64, t: u64) -> f64 {
    if t == 0 {
        return 1.0;
    }
    let m = (t as f64 * z.abs().ln()).exp();
    if z < 0.0 && t % 2 == 1 {
        -m
    } else {
        m
    }
}

impl Two {
    /// The mode of x' = Ax + bξ (noise variance `sigma2`) observing component `k`, from
    /// `x0`; `None` without a stationary state (an eigenvalue of modulus ≥ 1).
    pub fn new(a: [[f64; 2]; 2], b: [f64; 2], sigma2: f64, k: usize, x0: [f64; 2]) -> Option<Two> {
        let tr = a[0][0] + a[1][1];
        let det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
        let eigen = Eigen::of(tr, det)?;
        let (t, q) = moment_map(a, b, sigma2);
        let p = stationary3(t, q)?;
        Some(Two {
            row: a[k],
            det,
            eigen,
            p,
            k,
            x0,
        })
    }

    /// (sₜ, sₜ₋₁) with sₜ = (z₁ᵗ − z₂ᵗ)/(z₁ − z₂) = z₁ᵗ⁻¹Σ_{j<t} wʲ, for t ≥ 1, without
    /// cancellation when the eigenvalues are close.
    fn s_pair(&self, t: u64) -> (f64, f64) {
        match self.eigen {
            Eigen::Complex {
                ln_rho,
                inv_rho,
                phi,
                sin,
                cos,
            } => oscillating_pair(ln_rho, inv_rho, phi, sin, cos, t),
            Eigen::Real {
                z1,
                w,
                ln_z1,
                ln_w,
                near,
            } => real_pair(z1, w, ln_z1, ln_w, near, t),
        }
    }

    /// eₖᵀAᵗ = sₜ·(row k of A) − det·sₜ₋₁·eₖ.
    fn row_power(&self, t: u64) -> [f64; 2] {
        if t == 0 {
            let mut e = [0.0; 2];
            e[self.k] = 1.0;
            return e;
        }
        let (st, s1) = self.s_pair(t);
        let mut u = [st * self.row[0], st * self.row[1]];
        u[self.k] -= self.det * s1;
        u
    }

    /// (mean, variance) of the observed component after `t` steps.
    pub fn at(&self, t: u64) -> (f64, f64) {
        let u = self.row_power(t);
        let mean = u[0] * self.x0[0] + u[1] * self.x0[1];
        let [p11, p12, p22] = self.p;
        let stat = if self.k == 0 { p11 } else { p22 };
        let var = stat - (u[0] * u[0] * p11 + 2.0 * u[0] * u[1] * p12 + u[1] * u[1] * p22);
        (mean, var.max(0.0))
    }

    /// See [`Mode::window_bound`].
    pub fn window_bound(&self, t1: u64, t2: u64) -> f64 {
        let (mean1, var1) = self.at(t1);
        let mean = if t1 == t2 {
            mean1.abs()
        } else {
            self.smallest_mean(t1, t2, mean1)
        };
        mean * mean + var1
    }

    fn mean(&self, t: u64) -> f64 {
        let u = self.row_power(t);
        u[0] * self.x0[0] + u[1] * self.x0[1]
    }

    /// The smallest |mean| over t₁ < t ≤ t₂ (real t), or a lower bound of it, given the mean at
    /// t₁:
    /// - complex eigenvalues: the mean is ρᵗR cos(tφ − ψ); at least ρ^(t₂)R·min|cos| over
    ///   the phases [t₁φ − ψ, t₂φ − ψ], 0 if they pass a zero of the cosine;
    /// - real eigenvalues of one sign: (±1)ᵗ·mean = c₁|z₁|ᵗ + c₂|z₂|ᵗ has at most one zero and
    ///   one extremum and tends to 0, so if it has one sign at both ends its smallest
    ///   magnitude is at an end; else 0;
    /// - real eigenvalues of both signs: |mean| ≥ ||c₁||z₁|ᵗ − |c₂||z₂|ᵗ|, the same argument
    ///   applied to the difference.
    pub fn smallest_mean(&self, t1: u64, t2: u64, mean1: f64) -> f64 {
        match self.eigen {
            Eigen::Complex {
                ln_rho,
                phi,
                sin,
                cos,
                ..
            } => self.smallest_oscillating(ln_rho, phi, sin, cos, t1, t2),
            Eigen::Real { z1, w, .. } if w >= 0.0 => {
                let flip = |t: u64| if z1 < 0.0 && t % 2 == 1 { -1.0 } else { 1.0 };
                let (a, b) = (flip(t1) * mean1, flip(t2) * self.mean(t2));
                if a * b > 0.0 {
                    a.abs().min(b.abs())
                } else {
                    0.0
                }
            }
            Eigen::Real { z1, w, .. } => {
                let z2 = w * z1;
                let (c1, c2) = self.coefficients(z1, z2);
                let gap =
                    |t: u64| c1.abs() * pow_real(z1.abs(), t) - c2.abs() * pow_real(z2.abs(), t);
                let (a, b) = (gap(t1), gap(t2));
                if a * b > 0.0 {
                    a.abs().min(b.abs())
                } else {
                    0.0
                }
            }
        }
    }

    /// c₁, c₂ of mean_t = c₁z₁ᵗ + c₂z₂ᵗ (distinct real eigenvalues).
    fn coefficients(&self, z1: f64, z2: f64) -> (f64, f64) {
        let g0 = self.x0[self.k];
        let g1 = self.row[0] * self.x0[0] + self.row[1] * self.x0[1];
        ((g1 - g0 * z2) / (z1 - z2), (g0 * z1 - g1) / (z1 - z2))
    }

    fn smallest_oscillating(
        &self,
        ln_rho: f64,
        phi: f64,
        sin: f64,
        cos: f64,
        t1: u64,
        t2: u64,
    ) -> f64 {
        // mean_t = ρᵗ(A_s sin tφ + A_c cos tφ) = ρᵗR cos(tφ − ψ)
        let pi = std::f64::consts::PI;
        if (t2 - t1) as f64 * phi >= pi || sin == 0.0 {
            // the window spans half a period: the cosine passes zero (or φ rounded to 0 or π,
            // where 0 is the bound)
            return 0.0;
        }
        let rho = ln_rho.exp();
        let g0 = self.x0[self.k];
        let g1 = self.row[0] * self.x0[0] + self.row[1] * self.x0[1];
        let a_s = (g1 - rho * g0 * cos) / (rho * sin);
        let (r, psi) = (a_s.hypot(g0), a_s.atan2(g0));
        let (lo, hi) = (t1 as f64 * phi - psi, t2 as f64 * phi - psi);
        // A zero of the cosine at (n + ½)π inside [lo, hi]?
        if (hi / pi - 0.5).floor() >= (lo / pi - 0.5).ceil() {
            return 0.0;
        }
        power(ln_rho, t2) * r * lo.cos().abs().min(hi.cos().abs())
    }
}

impl Problem {
    /// Zhang et al.'s model with a power-law spectrum: hᵢ = h₁·i^(−p), i = 1…D, noise cᵢ = hᵢ
    /// (C = H), θᵢ(0) = θ₀, minibatch factor 1 (set it with [`Problem::with_factor`]).
    /// Directions with hᵢ = 0 do not enter the loss and are left out.
    pub fn power_law(d: usize, h1: f64, p: f64, theta0: f64) -> Problem {
        let h: Vec<f64> = (1..=d)
            .map(|i| h1 * (i as f64).powf(-p))
            .filter(|h| *h > 0.0)
            .collect();
        Problem {
            weight: vec![1.0; h.len()],
            c: h.clone(),
            h,
            theta0,
            factor: 1.0,
        }
    }

    /// The same model with its directions grouped into `bins` geometric bins of h between
    /// h_D and h₁, as Zhang et al. do (100 bins for D = 10⁴): each bin is one entry with the
    /// mean curvature of its directions and their number as its weight, so that L(0) and
    /// Σcᵢ are kept exactly.
    pub fn binned(d: usize, h1: f64, p: f64, theta0: f64, bins: usize) -> Problem {
        Problem::power_law(d, h1, p, theta0).grouped(bins)
    }

    /// A measured model: curvatures `h`, per-example noise variances `c` and multiplicities
    /// `weight`, row by row (rows with h = 0 do not enter the loss and are left out), started
    /// at θ₀ in every direction, minibatch factor 1.
    pub fn measured(h: &[f64], c: &[f64], weight: &[f64], theta0: f64) -> Problem {
        let keep: Vec<usize> = (0..h.len()).filter(|&i| h[i] > 0.0).collect();
        Problem {
            h: keep.iter().map(|&i| h[i]).collect(),
            c: keep.iter().map(|&i| c[i]).collect(),
            weight: keep.iter().map(|&i| weight[i]).collect(),
            theta0,
            factor: 1.0,
        }
    }

    /// The directions grouped into `bins` geometric bins of h between the smallest and the
    /// largest curvature: each bin is one entry with the weighted mean curvature and noise of
    /// its directions and their total weight, so that L(0), Σwᵢcᵢ and the weight are kept
    /// exactly (Zhang et al.'s grouping of D = 10⁴ directions into 100 bins).
    pub fn grouped(&self, bins: usize) -> Problem {
        let top = self.h.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let bottom = self.h.iter().copied().fold(f64::INFINITY, f64::min);
        if self.h.is_empty() || bins == 0 {
            return self.clone();
        }
        let span = (top / bottom).ln();
        let (mut weight, mut sum_h, mut sum_c) =
            (vec![0.0; bins], vec![0.0; bins], vec![0.0; bins]);
        for ((&h, &c), &w) in self.h.iter().zip(&self.c).zip(&self.weight) {
            let x = if span > 0.0 {
                (top / h).ln() / span
            } else {
                0.0
            };
            let b = ((x * bins as f64) as usize).min(bins - 1);
            weight[b] += w;
            sum_h[b] += w * h;
            sum_c[b] += w * c;
        }
        let full: Vec<usize> = (0..bins).filter(|&b| weight[b] > 0.0).collect();
        Problem {
            h: full.iter().map(|&b| sum_h[b] / weight[b]).collect(),
            c: full.iter().map(|&b| sum_c[b] / weight[b]).collect(),
            weight: full.iter().map(|&b| weight[b]).collect(),
            theta0: self.theta0,
            factor: self.factor,
        }
    }
}
