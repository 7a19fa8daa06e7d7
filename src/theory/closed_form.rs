//! The closed forms of Liu, Ziyin and Ueda (ICML 2021), Sec. 4, written out literally.
//!
//! They are the test oracles of the general solver in [`super::lyapunov`]: each function
//! states the equation it evaluates. Functions that need [C, K] = 0 say so.

use crate::linalg::erf;
use nalgebra::DMatrix;

fn id(n: usize) -> DMatrix<f64> {
    DMatrix::identity(n, n)
}

/// Residual of Thm 1, Eq. (6):  ΣK + KΣ − λKΣK − λC  (zero at the exact Σ of SGD, μ = 0).
pub fn thm1_residual(
    k: &DMatrix<f64>,
    c: &DMatrix<f64>,
    lr: f64,
    s: &DMatrix<f64>,
) -> DMatrix<f64> {
    s * k + k * s - k * s * k * lr - c * lr
}

/// Residual of Thm 2, Eq. (7):
/// −(1+μ²)/(1−μ²) λ² KΣK + μ/(1−μ²) λ² (K²Σ + ΣK²) + (1−μ) λ (KΣ + ΣK) − λ² C.
pub fn thm2_residual(
    k: &DMatrix<f64>,
    c: &DMatrix<f64>,
    lr: f64,
    mu: f64,
    s: &DMatrix<f64>,
) -> DMatrix<f64> {
    let l2 = lr * lr;
    let d = 1.0 - mu * mu;
    let k2 = k * k;
    k * s * k * (-(1.0 + mu * mu) / d * l2)
        + (&k2 * s + s * &k2) * (mu / d * l2)
        + (k * s + s * k) * ((1.0 - mu) * lr)
        - c * l2
}

/// Cor. 1, Eq. (8), for [C, K] = 0:
/// Σ = [λK/(1+μ) (2I − λK/(1+μ))]⁻¹ λ²C/(1−μ²).
pub fn cor1(k: &DMatrix<f64>, c: &DMatrix<f64>, lr: f64, mu: f64) -> Option<DMatrix<f64>> {
    let n = k.nrows();
    let x = k * (lr / (1.0 + mu));
    let m = &x * (id(n) * 2.0 - &x);
    Some(m.try_inverse()? * c * (lr * lr / (1.0 - mu * mu)))
}

/// Thm 4, Eq. (10), μ = 0:  Σ = λ(σ²I + aK)[K(2I − λK)]⁻¹.
pub fn thm4(k: &DMatrix<f64>, sigma2: f64, a: f64, lr: f64) -> Option<DMatrix<f64>> {
    let n = k.nrows();
    let m = k * (id(n) * 2.0 - k * lr);
    Some((id(n) * sigma2 + k * a) * m.try_inverse()? * lr)
}

/// Cor. 2 (σ² = 0):  Σ = aλ(2I − λK)⁻¹.
pub fn cor2(k: &DMatrix<f64>, a: f64, lr: f64) -> Option<DMatrix<f64>> {
    let n = k.nrows();
    Some((id(n) * 2.0 - k * lr).try_inverse()? * (a * lr))
}

/// Cor. 3 (a = 0):  Σ = σ²λ[K(2I − λK)]⁻¹.
pub fn cor3(k: &DMatrix<f64>, sigma2: f64, lr: f64) -> Option<DMatrix<f64>> {
    let n = k.nrows();
    Some((k * (id(n) * 2.0 - k * lr)).try_inverse()? * (sigma2 * lr))
}

/// Thm 5, Eq. (12), any positive-definite C and K:
/// L_train = λ/(4(1−μ)) Tr[(I − λK/(2(1+μ)))⁻¹ C].
pub fn thm5_loss(k: &DMatrix<f64>, c: &DMatrix<f64>, lr: f64, mu: f64) -> Option<f64> {
    let n = k.nrows();
    let m = id(n) - k * (lr / (2.0 * (1.0 + mu)));
    Some(lr / (4.0 * (1.0 - mu)) * (m.try_inverse()? * c).trace())
}

/// The continuous-time loss quoted after Thm 5:  L_train = λ/(4(1−μ)) Tr[C].
pub fn continuous_loss(c: &DMatrix<f64>, lr: f64, mu: f64) -> f64 {
    lr / (4.0 * (1.0 - mu)) * c.trace()
}

/// Eq. (1) solved for [C, K] = 0:  Σ = λ/(2(1−μ)) K⁻¹ C.
pub fn continuous_commuting(
    k: &DMatrix<f64>,
    c: &DMatrix<f64>,
    lr: f64,
    mu: f64,
) -> Option<DMatrix<f64>> {
    Some(k.clone().try_inverse()? * c * (lr / (2.0 * (1.0 - mu))))
}

/// Thm 12, Eq. (98), damped Newton Λ = λK⁻¹, any C:
/// Σ = (1+μ)/(1−μ) · λ/(2(1+μ) − λ) · K⁻¹CK⁻¹.
pub fn thm12_dnm(k: &DMatrix<f64>, c: &DMatrix<f64>, lr: f64, mu: f64) -> Option<DMatrix<f64>> {
    let ki = k.clone().try_inverse()?;
    Some(&ki * c * &ki * ((1.0 + mu) / (1.0 - mu) * lr / (2.0 * (1.0 + mu) - lr)))
}

/// Cor. 8, Eq. (103): L = (1+μ)/(1−μ) · λ/(4(1+μ) − 2λ) · Tr[K⁻¹C].
pub fn cor8_dnm_loss(k: &DMatrix<f64>, c: &DMatrix<f64>, lr: f64, mu: f64) -> Option<f64> {
    let ki = k.clone().try_inverse()?;
    Some((1.0 + mu) / (1.0 - mu) * lr / (4.0 * (1.0 + mu) - 2.0 * lr) * (ki * c).trace())
}

/// Cor. 9, Eq. (107), NGD with constant C commuting with K:
/// Σ = ½K⁻¹[Q + λ/(2(1+μ)) I],  Q = [λ²/(4(1+μ)²) I + 2λ/(1−μ) CK⁻¹]^(1/2).
pub fn cor9_ngd(k: &DMatrix<f64>, c: &DMatrix<f64>, lr: f64, mu: f64) -> Option<DMatrix<f64>> {
    let n = k.nrows();
    let ki = k.clone().try_inverse()?;
    let inner = id(n) * (lr * lr / (4.0 * (1.0 + mu).powi(2))) + c * &ki * (2.0 * lr / (1.0 - mu));
    // CK⁻¹ is symmetric when [C, K] = 0.
    let inner = (&inner + inner.transpose()) * 0.5;
    let (q, _) = crate::linalg::sqrt_and_inv_sqrt(&inner)?;
    Some(ki * (q + id(n) * (lr / (2.0 * (1.0 + mu)))) * 0.5)
}

/// Cor. 6, Eq. (26), NGD with noise C = s·KΣK:  Σ = λ((1+μ)s + 1 − μ)/(2(1−μ²)) K⁻¹.
pub fn cor6_ngd(k: &DMatrix<f64>, s: f64, lr: f64, mu: f64) -> Option<DMatrix<f64>> {
    Some(k.clone().try_inverse()? * (lr * ((1.0 + mu) * s + 1.0 - mu) / (2.0 * (1.0 - mu * mu))))
}

/// Thm 10, Eq. (27), Adam (μ = 0) with noise C = c·KΣK:  Σ = λ²(1+c)/4 I.
pub fn thm10_adam(d: usize, c: f64, lr: f64) -> DMatrix<f64> {
    id(d) * (lr * lr * (1.0 + c) / 4.0)
}

/// The variance γ₀ of the stationary ARMA(2,1) process y_t = φ₁y_{t−1} + φ₂y_{t−2} + θ₀ε_t +
/// θ₁ε_{t−1} with Var ε = c, from its Yule–Walker equations
/// γ₀ = φ₁γ₁ + φ₂γ₂ + θ₀²c + θ₁(φ₁θ₀ + θ₁)c,  γ₁ = φ₁γ₀ + φ₂γ₁ + θ₀θ₁c,  γ₂ = φ₁γ₁ + φ₂γ₀.
pub fn arma21_variance(phi1: f64, phi2: f64, th0: f64, th1: f64, c: f64) -> Option<f64> {
    let m = DMatrix::from_row_slice(
        3,
        3,
        &[1.0, -phi1, -phi2, -phi1, 1.0 - phi2, 0.0, -phi2, -phi1, 1.0],
    );
    let rhs = DMatrix::from_column_slice(
        3,
        1,
        &[
            (th0 * th0 + th1 * (phi1 * th0 + th1)) * c,
            th0 * th1 * c,
            0.0,
        ],
    );
    Some(m.lu().solve(&rhs)?[0])
}

/// QHM's exact stationary covariance for [C, K] = 0, derived directly from its update rule,
/// Eq. (72): eliminating m gives, for each eigen-mode (k, c) of K and C,
/// w_t = (1 + μ − αk) w_{t−1} + (βk − μ) w_{t−2} − α η_t + β η_{t−1},
/// α = λ(1 − μν), β = λμ(1 − ν) — an ARMA(2,1) process whose variance is [`arma21_variance`].
///
/// Thm 11's Eq. (82) and Cor. 7's Eqs. (89)–(92) as printed are not used as the oracle: at
/// ν = 0, where QHM is plain SGD whatever μ, Eq. (82) reduces to
/// (1−μ)λ²C − μ(1+μ)λ²KΣK = (1+μ²)λ²C instead of Thm 1. Its proof drops the correlation of a
/// step's noise with the weights it moves in Eqs. (77), (78) and (80), and Eqs. (82) and (86)
/// do not follow from its own steps (`tests/core/qhm_thm11.rs` solves the printed and the repaired
/// systems against the general solver).
pub fn qhm_commuting(
    k: &DMatrix<f64>,
    c: &DMatrix<f64>,
    lr: f64,
    mu: f64,
    nu: f64,
) -> Option<DMatrix<f64>> {
    let e = nalgebra::SymmetricEigen::try_new(k.clone(), f64::EPSILON, 10_000)?;
    let u = &e.eigenvectors;
    let c_modes = u.transpose() * c * u;
    let (alpha, beta) = (lr * (1.0 - mu * nu), lr * mu * (1.0 - nu));
    let mut var = Vec::new();
    for (i, ki) in e.eigenvalues.iter().enumerate() {
        let v = arma21_variance(
            1.0 + mu - alpha * ki,
            beta * ki - mu,
            -alpha,
            beta,
            c_modes[(i, i)],
        )?;
        var.push(v);
    }
    Some(u * DMatrix::from_diagonal(&nalgebra::DVector::from_vec(var)) * u.transpose())
}

/// Cor. 7, Eqs. (89)–(92), QHM's training loss exactly as printed:
/// L = (λ²/2) Tr[h(K)⁻¹KC] with
/// h(K) = (1/d){aI + 2bK + cK² + [μ(1+μ)f(K) + λ(1 − μν(2+μ))g(K)](I − A²)⁻¹},
/// f(K) = 2(1−μ²)K + λ[−2 + μ(3 + μ(2 − 3ν))]K², g(K) = 2(1−μ²)I + 2λ[−1 + μ(2 + μ − 2μν)]K
/// − 2λμ(1−ν)αK², A = μ(I − λ(1−ν)K), α = λ(1 − ν + ν(1−μ)) and a, b, c, d of Eq. (74).
/// h(K) is a function of K, so the trace is Σᵢ kᵢ (uᵢᵀCuᵢ)/h(kᵢ) over K's eigenpairs.
///
/// It is misprinted (see [`qhm_commuting`]): at ν = 0 it is not Thm 5, and it gives negative
/// losses at common settings (μ = 0.9, ν = 0.7). For comparison only; `None` where it is not
/// finite.
pub fn cor7_qhm_loss_as_printed(
    k: &DMatrix<f64>,
    c: &DMatrix<f64>,
    lr: f64,
    mu: f64,
    nu: f64,
) -> Option<f64> {
    let e = nalgebra::SymmetricEigen::try_new(k.clone(), f64::EPSILON, 10_000)?;
    let cm = e.eigenvectors.transpose() * c * &e.eigenvectors;
    let sum: f64 = (e.eigenvalues.iter().enumerate())
        .map(|(i, &ki)| cor7_mode_term(ki, cm[(i, i)], lr, mu, nu))
        .sum();
    let v = lr * lr / 2.0 * sum;
    v.is_finite().then_some(v)
}

/// One eigenmode's term kᵢcᵢ/hᵢ of Cor. 7's Eq. 89 as printed ([`cor7_qhm_loss_as_printed`]
/// is λ²/2 times their sum over the eigenmodes, with cᵢ the noise's diagonal in K's
/// eigenbasis): per mode it needs no eigendecomposition, so a measured spectrum's curve is a
/// plain sum over its rows.
pub fn cor7_mode_term(ki: f64, ci: f64, lr: f64, mu: f64, nu: f64) -> f64 {
    let alpha = lr * (1.0 - nu + nu * (1.0 - mu));
    let a = -2.0 * mu * (1.0 + mu);
    let b = lr * mu * mu * (1.0 - nu);
    let cc = lr * lr * (1.0 - mu * mu - 2.0 * mu * nu * (1.0 - mu));
    let d = 1.0 + mu * (mu - 2.0 * nu - 2.0 * mu * nu * (1.0 - nu));
    let am = mu * (1.0 - lr * (1.0 - nu) * ki);
    let f = 2.0 * (1.0 - mu * mu) * ki + lr * (-2.0 + mu * (3.0 + mu * (2.0 - 3.0 * nu))) * ki * ki;
    let g = 2.0 * (1.0 - mu * mu) + 2.0 * lr * (-1.0 + mu * (2.0 + mu - 2.0 * mu * nu)) * ki
        - 2.0 * lr * mu * (1.0 - nu) * alpha * ki * ki;
    let h = (a
        + 2.0 * b * ki
        + cc * ki * ki
        + (mu * (1.0 + mu) * f + lr * (1.0 - mu * nu * (2.0 + mu)) * g) / (1.0 - am * am))
        / d;
    ki * ci / h
}

/// Residual of Thm 3, Eq. (9), preconditioned SGD with momentum:
/// −(1+μ²)/(1−μ²) ΛKΣKΛ + μ/(1−μ²)(ΛKΛKΣ + ΣKΛKΛ) + (1−μ)(ΛKΣ + ΣKΛ) − ΛCΛ.
pub fn thm3_residual(
    k: &DMatrix<f64>,
    c: &DMatrix<f64>,
    l: &DMatrix<f64>,
    mu: f64,
    s: &DMatrix<f64>,
) -> DMatrix<f64> {
    let d = 1.0 - mu * mu;
    let lk = l * k;
    let kl = k * l;
    &lk * s * &kl * (-(1.0 + mu * mu) / d)
        + (&lk * &lk * s + s * &kl * &kl) * (mu / d)
        + (&lk * s + s * &kl) * (1.0 - mu)
        - l * c * l
}

/// Thm 7, Eq. (18), SGD (μ = 0) from the minimum:
/// E_d(t) = λ/4 Tr[(I − λK/2)⁻¹ (I − (I − λK)^{2t}) C].
pub fn eq18_escape(k: &DMatrix<f64>, c: &DMatrix<f64>, lr: f64, t: u64) -> Option<f64> {
    let n = k.nrows();
    let step = id(n) - k * lr;
    let pow = step.pow((2 * t) as u32);
    Some(lr / 4.0 * ((id(n) - k * (lr / 2.0)).try_inverse()? * (id(n) - pow) * c).trace())
}

/// Eq. (19), Zhu et al.'s continuous-time escaping efficiency: E_c(t) = λ/4 Tr[(I − e^{−2λKt}) C].
pub fn eq19_escape(k: &DMatrix<f64>, c: &DMatrix<f64>, lr: f64, t: f64) -> f64 {
    let n = k.nrows();
    lr / 4.0 * ((id(n) - (k * (-2.0 * lr * t)).exp()) * c).trace()
}

/// Thm 8, Eq. (20): the ratio Tr[KC] / Tr[K C̄] of the escaping efficiency of noise C to its
/// isotropic version C̄ = (Tr C / D) I (short-time; the same for any t when [C, K] = 0).
pub fn thm8_ratio(k: &DMatrix<f64>, c: &DMatrix<f64>) -> f64 {
    let d = k.nrows() as f64;
    (k * c).trace() / (k.trace() * c.trace() / d)
}

/// Left-hand side minus right-hand side of Thm 6, Eq. (16), for Hessian eigenvalues `ks`:
/// (N−2S)/S Σ kᵢ/(2−λkᵢ) + (N−S)/S λ Σ kᵢ²/(2−λkᵢ)² − D/λ.
pub fn eq16(ks: &[f64], n: f64, s: f64, lr: f64) -> f64 {
    let d = ks.len() as f64;
    let first: f64 = ks.iter().map(|k| k / (2.0 - lr * k)).sum();
    let second: f64 = ks.iter().map(|k| k * k / (2.0 - lr * k).powi(2)).sum();
    (n - 2.0 * s) / s * first + (n - s) / s * lr * second - d / lr
}

/// Mandt et al.'s optimal learning rate quoted after Thm 6: λ* = 2 S D / (N Tr K).
pub fn mandt_lr(ks: &[f64], n: f64, s: f64) -> f64 {
    2.0 * s * ks.len() as f64 / (n * ks.iter().sum::<f64>())
}

/// Thm 9, Eq. (23), the discrete-time Kramers rate:
/// γ = |k_b|/(2π) √(2/(2 − λk_a)) erf(√(S(2 − λk_a)ΔL/(λk_a)))
///     · exp[−(2SΔL/λ)(l(1 − λk_a/2)/k_a + (1 − l)/|k_b|)].
pub fn eq23_kramers(lr: f64, s: f64, dl: f64, ka: f64, kb: f64, l: f64) -> Option<f64> {
    let x = lr * ka;
    if x.is_nan() || x >= 2.0 {
        return None;
    }
    let pre = kb.abs() / (2.0 * std::f64::consts::PI) * (2.0 / (2.0 - lr * ka)).sqrt();
    let e = erf((s * (2.0 - lr * ka) * dl / (lr * ka)).sqrt());
    let expo = -(2.0 * s * dl / lr) * (l * (1.0 - lr * ka / 2.0) / ka + (1.0 - l) / kb.abs());
    Some(pre * e * expo.exp())
}

/// Eq. (24), the continuous-time Kramers rate (Xie et al.):
/// γ_c = |k_b|/(2π) exp[−(2SΔL/λ)(l/k_a + (1 − l)/|k_b|)].
pub fn eq24_kramers(lr: f64, s: f64, dl: f64, ka: f64, kb: f64, l: f64) -> f64 {
    kb.abs() / (2.0 * std::f64::consts::PI)
        * (-(2.0 * s * dl / lr) * (l / ka + (1.0 - l) / kb.abs())).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_known_values() {
        for (x, want) in [
            (0.0, 0.0),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (3.0, 0.999_977_909_503_001_4),
            (-1.0, -0.842_700_792_949_714_9),
        ] {
            assert!((erf(x) - want).abs() < 1e-14, "erf({x}) = {}", erf(x));
        }
    }
}
