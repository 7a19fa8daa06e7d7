//! Yaida's observables at finite time on the 2-D noisy quadratic model, exact: the expected
//! half-running averages on the way to stationarity, the FDR1 residual as a boundary term with
//! its exact mean and variance, the expected loss under a learning-rate schedule, and the
//! largest stable learning rate.
//!
//! SGD with momentum μ and dampening ν (Yaida Eqs. 10–11, with our buffer m = −v):
//! g_t = K w_{t−1} + ξ_t, m_t = μ m_{t−1} + (1−ν) g_t, w_t = w_{t−1} − η m_t, is the linear map
//! x_t = A x_{t−1} + B ξ_t of the state x = (w, m) ([`crate::optimizer::StateSpace`]). Step t
//! records O_L(t) = w_{t−1}·g_t and O_R(t) = c |m_{t−1}|², c = (1+μ)η/(2(1−ν)) (Yaida Eq. 17;
//! these are the observables of [`crate::sim::Observables`]), so their expectations are linear in the
//! second moment P_{t−1} = E[x xᵀ] of the state before the step:
//! E O_L = Tr(K P_ww), E O_R = c Tr(P_mm), and P_t = A P_{t−1} Aᵀ + B C Bᵀ holds for second
//! moments (not only covariances) because the noise has mean zero.
//!
//! **The FDR1 residual is a boundary term.** Expanding |w_t|² and w_t·m_t over one step gives,
//! for every path (no expectation taken),
//!
//! O_L(t) − c|m_t|² = Φ(x_t) − Φ(x_{t−1}),  Φ(w, m) = [(μ−1)|w|² + 2ημ w·m] / (2η(1−ν)),
//!
//! which is Yaida's derivation of FDR1′ (Appendix A) before the average is taken. Summed over
//! the window of the half-running average (Eq. 15, steps t₀+1 … T, n = T − t₀):
//!
//! D(T) = Ō_L − Ō_R = [Ψ(x_T) − Ψ(x_{t₀})] / n,  Ψ = Φ + c|m|²,
//!
//! so the estimator of FDR1 is the difference of one quadratic form at the two ends of the
//! window, divided by n: at stationarity its mean is exactly zero and its spread falls as 1/n,
//! not 1/√n. With Gaussian noise (x_{t₀}, x_T) is jointly Gaussian, and the mean and variance
//! of a Gaussian quadratic form are exact: E[zᵀMz] = Tr(MΣ) + mᵀMm,
//! Var[zᵀMz] = 2 Tr(MΣMΣ) + 4 mᵀMΣMm.

use crate::optimizer::StateSpace;
use nalgebra::{DMatrix, Matrix2, Matrix4, SMatrix, Vector2, Vector4};

type Matrix8 = SMatrix<f64, 8, 8>;
type Vector8 = SMatrix<f64, 8, 1>;

/// SGD with momentum and dampening on a 2-D quadratic with constant gradient-noise covariance,
/// as a linear map of the state (w₀, w₁, m₀, m₁).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Linear2 {
    /// The map A.
    pub a: Matrix4<f64>,
    /// B C Bᵀ, the noise's contribution to the state's second moment per step.
    pub q: Matrix4<f64>,
    /// The Hessian K.
    pub k: Matrix2<f64>,
    /// Learning rate η.
    pub lr: f64,
    /// Momentum μ.
    pub mu: f64,
    /// Dampening ν.
    pub damp: f64,
}

fn m4(m: &DMatrix<f64>) -> Matrix4<f64> {
    Matrix4::from_fn(|i, j| m[(i, j)])
}

impl Linear2 {
    /// The map for Hessian `k`, noise covariance `c`, learning rate `lr`, momentum `mu` and
    /// dampening `damp` (from [`StateSpace::preconditioned`] with Λ = ηI).
    pub fn new(k: &Matrix2<f64>, c: &Matrix2<f64>, lr: f64, mu: f64, damp: f64) -> Linear2 {
        let kd = DMatrix::from_column_slice(2, 2, k.as_slice());
        let map = StateSpace::preconditioned(&kd, &(DMatrix::identity(2, 2) * lr), mu, damp);
        let b = &map.b;
        let cd = DMatrix::from_column_slice(2, 2, c.as_slice());
        Linear2 {
            a: m4(&map.a),
            q: m4(&(b * cd * b.transpose())),
            k: *k,
            lr,
            mu,
            damp,
        }
    }

    /// O_R's factor c = (1+μ)η/(2(1−ν)) (Yaida Eq. 17).
    pub fn o_r_factor(&self) -> f64 {
        (1.0 + self.mu) * self.lr / (2.0 * (1.0 - self.damp))
    }

    /// (E O_L, E O_R) of a step taken from a state of second moment `p`: (Tr(K P_ww),
    /// c Tr(P_mm)).
    pub fn observables(&self, p: &Matrix4<f64>) -> (f64, f64) {
        let pw = p.fixed_view::<2, 2>(0, 0);
        let o_l = (self.k * pw).trace();
        let o_r = self.o_r_factor() * (p[(2, 2)] + p[(3, 3)]);
        (o_l, o_r)
    }

    /// One step of the second moment: A P Aᵀ + B C Bᵀ.
    pub fn step(&self, p: &Matrix4<f64>) -> Matrix4<f64> {
        let n = self.a * p * self.a.transpose() + self.q;
        (n + n.transpose()) * 0.5
    }

    /// The symmetric S with Ψ(x) = xᵀ S x (module documentation).
    pub fn psi(&self) -> Matrix4<f64> {
        let den = 2.0 * self.lr * (1.0 - self.damp);
        let ww = (self.mu - 1.0) / den;
        let wm = self.lr * self.mu / den;
        let mm = self.o_r_factor();
        let mut s = Matrix4::zeros();
        for i in 0..2 {
            s[(i, i)] = ww;
            s[(i, i + 2)] = wm;
            s[(i + 2, i)] = wm;
            s[(i + 2, i + 2)] = mm;
        }
        s
    }

    /// (Aᵗ, Σ_t), Σ_t the covariance after t steps from a fixed state, by doubling:
    /// Σ_{a+b} = Aᵇ Σ_a Aᵇᵀ + Σ_b. O(log t) products.
    pub fn propagate(&self, t: u64) -> (Matrix4<f64>, Matrix4<f64>) {
        let (mut pow, mut cov) = (Matrix4::identity(), Matrix4::zeros());
        let (mut ba, mut bs) = (self.a, self.q);
        let mut t = t;
        while t > 0 {
            if t & 1 == 1 {
                // Append the block of bits (length b) after the steps so far (length a).
                cov = ba * cov * ba.transpose() + bs;
                pow = ba * pow;
            }
            t >>= 1;
            if t > 0 {
                bs = ba * bs * ba.transpose() + bs;
                ba = ba * ba;
            }
        }
        (pow, (cov + cov.transpose()) * 0.5)
    }

    /// Expected half-running averages (E Ō_L(t), E Ō_R(t)) (Yaida Eq. 15: the mean over steps
    /// ⌊t/2⌋+1 … t) at each of `times` (increasing, ≥ 1), from the state `x0` (weights, empty
    /// buffer). One pass of the second-moment recursion up to the last time.
    pub fn expected_half_running(&self, x0: &Vector4<f64>, times: &[u64]) -> Vec<(f64, f64)> {
        let last = times.iter().copied().max().unwrap_or(0);
        // prefix[k] = Σ_{s<k} (E O_L, E O_R)(P_s), wanted at every ⌊t/2⌋ and t.
        let mut wanted: Vec<u64> = times.iter().flat_map(|&t| [t / 2, t]).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut at = std::collections::BTreeMap::new();
        let mut p = x0 * x0.transpose();
        let (mut sl, mut sr) = (0.0, 0.0);
        let mut next = 0;
        for s in 0..=last {
            while next < wanted.len() && wanted[next] == s {
                at.insert(s, (sl, sr));
                next += 1;
            }
            if s == last {
                break;
            }
            let (l, r) = self.observables(&p);
            sl += l;
            sr += r;
            p = self.step(&p);
        }
        times
            .iter()
            .map(|&t| {
                let (t0, n) = (t / 2, (t - t / 2) as f64);
                let (a, b) = (at[&t0], at[&t]);
                ((b.0 - a.0) / n, (b.1 - a.1) / n)
            })
            .collect()
    }

    /// Exact mean and variance of the FDR1 residual D(t) = Ō_L(t) − Ō_R(t) of one run after `t`
    /// steps from `x0`, with Gaussian noise: D = [Ψ(x_t) − Ψ(x_{t₀})]/n (module documentation),
    /// a quadratic form of the jointly Gaussian (x_{t₀}, x_t).
    pub fn residual(&self, x0: &Vector4<f64>, t: u64) -> (f64, f64) {
        let t0 = t / 2;
        let n = (t - t0) as f64;
        let (a0, s0) = self.propagate(t0);
        let (an, sn) = self.propagate(t - t0);
        let m0 = a0 * x0;
        let mt = an * m0;
        // Cov(x_t, x_{t₀}) = Aⁿ Σ_{t₀}; Σ_t = Aⁿ Σ_{t₀} Aⁿᵀ + Σ_n.
        let cross = an * s0;
        let st = an * s0 * an.transpose() + sn;
        let mut z = Matrix8::zeros();
        z.fixed_view_mut::<4, 4>(0, 0).copy_from(&s0);
        z.fixed_view_mut::<4, 4>(4, 0).copy_from(&cross);
        z.fixed_view_mut::<4, 4>(0, 4).copy_from(&cross.transpose());
        z.fixed_view_mut::<4, 4>(4, 4).copy_from(&st);
        let mut mean = Vector8::zeros();
        mean.fixed_view_mut::<4, 1>(0, 0).copy_from(&m0);
        mean.fixed_view_mut::<4, 1>(4, 0).copy_from(&mt);
        let s = self.psi() / n;
        let mut mm = Matrix8::zeros();
        mm.fixed_view_mut::<4, 4>(0, 0).copy_from(&(-s));
        mm.fixed_view_mut::<4, 4>(4, 4).copy_from(&s);
        let ms = mm * z;
        let e = ms.trace() + (mean.transpose() * mm * mean)[(0, 0)];
        let v = 2.0 * (ms * ms).trace() + 4.0 * (mean.transpose() * mm * z * mm * mean)[(0, 0)];
        (e, v)
    }

    /// The stationary second moment P = A P Aᵀ + B C Bᵀ; `None` without one.
    pub fn stationary(&self) -> Option<Matrix4<f64>> {
        let d = |m: &Matrix4<f64>| DMatrix::from_column_slice(4, 4, m.as_slice());
        let p = super::lyapunov::stein(&d(&self.a), None, &d(&self.q)).ok()?;
        Some(m4(&p))
    }

    /// The spectral radius of A: below 1 exactly when the mean and the second moment of the
    /// state settle, i.e. when a stationary state exists.
    pub fn spectral_radius(&self) -> f64 {
        crate::linalg::spectral_radius(&DMatrix::from_column_slice(4, 4, self.a.as_slice()))
    }

    /// Exact (Var D, E Ō_R) of the FDR1 residual over a window of `n` steps started from the
    /// stationary state P: with y = Aⁿx + noise, Cov(xᵀΨx, yᵀΨy) = 2 Tr(Ψ AⁿP Ψ (AⁿP)ᵀ), so
    /// Var D = 4[Tr((ΨP)²) − Tr(Ψ AⁿP Ψ (AⁿP)ᵀ)]/n², and E Ō_R = c Tr(P_mm).
    ///
    /// For plain SGD in 1-D (ρ = 1 − ηk, x = ηk, noise variance σ²) this is
    /// σ⁴[1 + 2x² − (1 − x²)ρ²ⁿ + x²(1 − x²)ρ²ⁿ⁻²]/(k²(2 − x)²n²), and E Ō_R = ησ²/(2 − x). O_R
    /// pairs the step's O_L with the buffer, i.e. the previous step's ½η|g|² (Yaida's v²);
    /// pairing it with the same step's gradient instead gives the boundary term
    /// (w²_start − w²_end)/(2ηn) and σ⁴(1 − ρ²ⁿ)/(k²(2 − x)²n²). Either way Var[D]/(E Ō_R)² falls
    /// as η⁻² only for long windows, ηkn ≫ 1, and as 1/η for short ones.
    pub fn residual_stationary(&self, n: u64) -> Option<(f64, f64)> {
        let p = self.stationary()?;
        let (an, _) = self.propagate(n);
        let (s, cross) = (self.psi(), an * p);
        let nn = (n * n) as f64;
        let var =
            4.0 * ((s * p * s * p).trace() - (s * cross * s * cross.transpose()).trace()) / nn;
        Some((var, self.o_r_factor() * (p[(2, 2)] + p[(3, 3)])))
    }

    /// The expected half-running average E Ō_R(t) after `t` steps from `x0` (the scale of
    /// both sides of FDR1′), in O(log t): Σ_{s=t₀}^{t−1} Tr(P_mm,s) from the doubling sums.
    pub fn expected_o_r(&self, x0: &Vector4<f64>, t: u64) -> f64 {
        let t0 = t / 2;
        let n = t - t0;
        let (a0, s0) = self.propagate(t0);
        let p0 = s0 + (a0 * x0) * (a0 * x0).transpose();
        // Σ_{j<n} P_{t₀+j} with P_{s+1} = A P_s Aᵀ + Q, by doubling on (Aʲ, Σ_j, sums).
        let sum = sum_of_moments(&self.a, &self.q, &p0, n);
        self.o_r_factor() * (sum[(2, 2)] + sum[(3, 3)]) / n as f64
    }
}

/// Σ_{j<n} P_j for P_{j+1} = A P_j Aᵀ + Q from P₀, in O(log n) products: with
/// F_k(P) = Σ_{j<k} P_j(P) = Σ_{j<k} (Aʲ P Aʲᵀ + Σ_j), blocks combine as
/// F_{a+b}(P) = F_a(P) + F_b(P_a(P)).
fn sum_of_moments(a: &Matrix4<f64>, q: &Matrix4<f64>, p0: &Matrix4<f64>, n: u64) -> Matrix4<f64> {
    // For a block of length k keep: Aᵏ, Σ_k (covariance added by k steps), and the linear map
    // P ↦ Σ_{j<k} Aʲ P Aʲᵀ (as a 16×16 matrix on vec P) plus the constant Σ_{j<k} Σ_j.
    type M16 = SMatrix<f64, 16, 16>;
    let kron =
        |x: &Matrix4<f64>| -> M16 { M16::from_fn(|r, c| x[(r % 4, c % 4)] * x[(r / 4, c / 4)]) };
    let vec = |x: &Matrix4<f64>| SMatrix::<f64, 16, 1>::from_column_slice(x.as_slice());
    let unvec = |v: &SMatrix<f64, 16, 1>| Matrix4::from_column_slice(v.as_slice());
    // Block (len 1): A, Σ₁ = Q, lin = I (j = 0 only), cst = Σ₀ = 0.
    let (mut ba, mut bs, mut bl, mut bc) = (*a, *q, M16::identity(), Matrix4::zeros());
    // Accumulated prefix (len so far): its state map P ↦ P_len(P) = A^len P A^lenᵀ + Σ_len,
    // and its sum F_len(P) = unvec(lin vec P) + cst.
    let (mut pa, mut ps, mut pl, mut pc) = (
        Matrix4::identity(),
        Matrix4::zeros(),
        M16::zeros(),
        Matrix4::zeros(),
    );
    let mut n = n;
    while n > 0 {
        if n & 1 == 1 {
            // F_{len+b}(P) = F_len(P) + F_b(P_len(P)),
            // F_b(P') = unvec(bl vec P') + bc, P' = pa P paᵀ + ps.
            let kp = kron(&pa);
            pl += bl * kp;
            pc += unvec(&(bl * vec(&ps))) + bc;
            ps = ba * ps * ba.transpose() + bs;
            pa = ba * pa;
        }
        n >>= 1;
        if n > 0 {
            // Block doubling: F_{2b}(P) = F_b(P) + F_b(Aᵇ P Aᵇᵀ + Σ_b).
            let kb = kron(&ba);
            bc = bc + unvec(&(bl * vec(&bs))) + bc;
            bl = bl + bl * kb;
            bs = ba * bs * ba.transpose() + bs;
            ba = ba * ba;
        }
    }
    let s = unvec(&(pl * vec(p0))) + pc;
    (s + s.transpose()) * 0.5
}

/// The largest stable learning rate of SGD with momentum μ and dampening ν on a quadratic whose
/// largest curvature is `k_max`: the map is stable when (1−ν)η·k_max < 2(1+μ) (Liu et al.
/// Sec. 4.5, with Yaida's dampening). A flat quadratic counts as k_max = 10⁻¹².
pub fn lr_limit(k_max: f64, mu: f64, damp: f64) -> f64 {
    2.0 * (1.0 + mu) / ((1.0 - damp) * k_max.max(1e-12))
}

/// The expected loss E ½wᵀKw after each of `times` (increasing) steps from weights `w0` (empty
/// buffer) when the learning rate of step s (1-based) is `lr(s)`: the second-moment recursion
/// with the map of each step's learning rate (exact for any deterministic schedule).
pub fn loss_under_schedule(
    k: &Matrix2<f64>,
    c: &Matrix2<f64>,
    mu: f64,
    damp: f64,
    w0: &Vector2<f64>,
    lr: impl Fn(u64) -> f64,
    times: &[u64],
) -> Vec<f64> {
    let mut p = {
        let x0 = Vector4::new(w0[0], w0[1], 0.0, 0.0);
        x0 * x0.transpose()
    };
    let loss = |p: &Matrix4<f64>| 0.5 * (k * p.fixed_view::<2, 2>(0, 0)).trace();
    let mut out = Vec::with_capacity(times.len());
    let mut map: Option<Linear2> = None;
    let mut s = 0u64;
    for &t in times {
        while s < t {
            let eta = lr(s + 1);
            if map.is_none_or(|m| m.lr != eta) {
                map = Some(Linear2::new(k, c, eta, mu, damp));
            }
            p = map.expect("set above").step(&p);
            s += 1;
        }
        out.push(loss(&p));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(mu: f64, damp: f64) -> Linear2 {
        let k = Matrix2::new(1.0, 0.2, 0.2, 0.3);
        let c = Matrix2::new(0.8, 0.1, 0.1, 0.5);
        Linear2::new(&k, &c, 0.3, mu, damp)
    }

    #[test]
    fn the_residual_identity_holds_on_every_path() {
        // A random path with arbitrary noise: Σ (O_L(t) − c|m_{t−1}|²) = Ψ(x_T) − Ψ(x_{t₀}).
        for (mu, damp) in [(0.0, 0.0), (0.9, 0.0), (0.5, 0.3)] {
            let l = setting(mu, damp);
            let s = l.psi();
            let mut x = Vector4::new(1.5, -2.0, 0.0, 0.0);
            let mut u = 0.123f64;
            let mut next = || {
                u = (u * 9301.0 + 49297.0) % 233280.0;
                u / 233280.0 - 0.5
            };
            let (t, t0) = (37, 18);
            let mut sum = 0.0;
            let mut psi0 = 0.0;
            for step in 1..=t {
                if step == t0 + 1 {
                    psi0 = (x.transpose() * s * x)[(0, 0)];
                }
                let (w, m) = (Vector2::new(x[0], x[1]), Vector2::new(x[2], x[3]));
                let g = l.k * w + Vector2::new(next(), next());
                let o_l = w.dot(&g);
                let o_r = l.o_r_factor() * m.norm_squared();
                let m2 = m * mu + g * (1.0 - damp);
                let w2 = w - m2 * l.lr;
                x = Vector4::new(w2[0], w2[1], m2[0], m2[1]);
                if step > t0 {
                    sum += o_l - o_r;
                }
            }
            let psi_t = (x.transpose() * s * x)[(0, 0)];
            assert!(
                (sum - (psi_t - psi0)).abs() < 1e-12 * (1.0 + sum.abs()),
                "μ={mu} ν={damp}: {sum} vs {}",
                psi_t - psi0
            );
        }
    }

    #[test]
    fn doubling_matches_the_plain_recursion() {
        let l = setting(0.5, 0.2);
        let x0 = Vector4::new(1.0, -0.5, 0.0, 0.0);
        for t in [0u64, 1, 2, 7, 64, 100] {
            let (pow, cov) = l.propagate(t);
            let mut p = Matrix4::zeros();
            let mut a = Matrix4::identity();
            for _ in 0..t {
                p = l.step(&p);
                a = l.a * a;
            }
            assert!((cov - p).norm() < 1e-12 * (1.0 + p.norm()), "{t}");
            assert!((pow - a).norm() < 1e-12 * (1.0 + a.norm()), "{t}");
            if t > 0 {
                let hr = l.expected_half_running(&x0, &[t])[0].1;
                let fast = l.expected_o_r(&x0, t);
                assert!(
                    (hr - fast).abs() < 1e-12 * (1.0 + hr.abs()),
                    "{t}: {hr} {fast}"
                );
            }
        }
    }

    #[test]
    fn the_half_running_averages_reach_fdr1_prime() {
        // Far from the start both expectations approach the stationary O_L = Tr(KΣ), equal to
        // O_R = (1+μ)η/(2(1−ν)) Tr ⟨mmᵀ⟩ (FDR1′), and the residual's mean approaches 0.
        let l = setting(0.6, 0.2);
        let x0 = Vector4::new(3.0, 1.0, 0.0, 0.0);
        let v = l.expected_half_running(&x0, &[20_000])[0];
        assert!((v.0 - v.1).abs() < 1e-3 * v.1, "{v:?}");
        let (e, var) = l.residual(&x0, 20_000);
        assert!(e.abs() < 1e-3 * v.1 && var > 0.0, "{e} {var}");
        let mean_diff = v.0 - v.1;
        assert!((mean_diff - e).abs() < 1e-9 * v.1, "{mean_diff} vs {e}");
    }
}
