//! The closed forms of Liu, Ziyin and Ueda (ICML 2021), Sec. 4, written out literally.
//!
//! They are the test oracles of the general solver in [`super::lyapunov`]: each function
//! states the equation it evaluates. Functions that need [C, K] = 0 say so.

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
