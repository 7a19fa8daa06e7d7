//! Heavy tails under multiplicative noise: whether the fourth moment of a 1-D weight is finite
//! for heavy-ball SGD (Liu et al. Eq. 5) with real minibatch noise or Fisher noise.
//!
//! With such noise the stochastic gradient of a 1-D quadratic is g_t = A_t w_{t−1} − B_t with a
//! random curvature A_t drawn afresh at every step — the minibatch mean of xₙ² for linear
//! regression (`model::data`), or k(1 + √c_f ξ) for Fisher noise. The state x = (w, m) then follows
//! the random linear map
//!
//! x_t = M_t x_{t−1} + b_t,  M_t = M₀ + A_t M₁,  M₀ = [[1, −λμ], [0, μ]],  M₁ = [[−λ, 0], [1, 0]],
//!
//! and its p-th moment tensor obeys E[x_t^{⊗p}] = E[M^{⊗p}] E[x_{t−1}^{⊗p}] + (terms of lower
//! order in x). So the p-th moments converge when ρ(E[M^{⊗p}]) < 1 and diverge when it exceeds 1.
//! For p = 2 this is the mean-square condition under which the exact theory
//! (`theory::stationary`) has a stationary Σ; since ρ(E[M^{⊗4}]) ≥ ρ(E[M^{⊗2}])², the fourth
//! moment diverges first. Between the two edges the stationary variance exists but w has
//! power-law tails (a Kesten process): the variance of finitely many runs then typically falls
//! short of it, and its standard error — an estimate of the fourth moment — is not valid.

use crate::linalg::spectral_radius;
use nalgebra::DMatrix;

/// The set partitions of {0, …, n−1}, each as the list of its block sizes.
fn partitions(n: usize) -> Vec<Vec<usize>> {
    // Restricted growth strings: element i goes to an existing block or opens a new one.
    fn go(i: usize, n: usize, blocks: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if i == n {
            out.push(blocks.clone());
            return;
        }
        for b in 0..blocks.len() {
            blocks[b] += 1;
            go(i + 1, n, blocks, out);
            blocks[b] -= 1;
        }
        blocks.push(1);
        go(i + 1, n, blocks, out);
        blocks.pop();
    }
    let mut out = Vec::new();
    go(0, n, &mut Vec::new(), &mut out);
    out
}

/// Σ over injective assignments of the blocks to indices n of Π_b a_{n_b}^{size_b}, from the
/// power sums p[k] = Σₙ aₙᵏ by Möbius inversion on the partition lattice: each way of merging
/// the blocks into groups contributes Π_groups (−1)^{m−1}(m−1)! p[total size of the group].
fn distinct_sum(sizes: &[usize], p: &[f64]) -> f64 {
    let mut total = 0.0;
    // Partitions of the blocks themselves, as group labels (restricted growth strings).
    fn go(i: usize, sizes: &[usize], groups: &mut Vec<(usize, usize)>, p: &[f64], total: &mut f64) {
        if i == sizes.len() {
            let mut term = 1.0;
            for &(m, size) in groups.iter() {
                let fact: f64 = (1..m).map(|x| x as f64).product();
                let sign = if m % 2 == 1 { 1.0 } else { -1.0 };
                term *= sign * fact * p[size];
            }
            *total += term;
            return;
        }
        for g in 0..groups.len() {
            groups[g].0 += 1;
            groups[g].1 += sizes[i];
            go(i + 1, sizes, groups, p, total);
            groups[g].0 -= 1;
            groups[g].1 -= sizes[i];
        }
        groups.push((1, sizes[i]));
        go(i + 1, sizes, groups, p, total);
        groups.pop();
    }
    go(0, sizes, &mut Vec::new(), p, &mut total);
    total
}

/// The central moments E[(A − ā)^j], j = 0..=4, of the minibatch mean A = (1/S) Σ_{n∈batch} aₙ
/// of the values `a` (ā their mean), for minibatches of `s` of the N values drawn uniformly
/// without replacement, or as S independent uniform draws with replacement. Exact:
/// E[T^j] for T = Σ_{batch} (aₙ − ā) sums, over the set partitions P of the j factors, the
/// probability that |P| given distinct points are all drawn, (S)_{|P|}/(N)_{|P|}, times the sum
/// over distinct points (without replacement); with replacement, (S)_{|P|} Π_b m_{|b|}, mₖ the
/// k-th central moment of the values. Returns (ā, moments).
pub fn minibatch_mean_moments(a: &[f64], s: usize, replace: bool) -> (f64, [f64; 5]) {
    let n = a.len();
    let nf = n as f64;
    let mean = a.iter().sum::<f64>() / nf.max(1.0);
    let mut p = [0.0; 5];
    p[0] = nf;
    for &x in a {
        let d = x - mean;
        let mut t = 1.0;
        for pk in p.iter_mut().skip(1) {
            t *= d;
            *pk += t;
        }
    }
    let falling = |x: f64, m: usize| (0..m).map(|i| x - i as f64).product::<f64>();
    let sf = s as f64;
    let mut out = [1.0, 0.0, 0.0, 0.0, 0.0];
    for (j, o) in out.iter_mut().enumerate().skip(1) {
        let mut e = 0.0;
        for sizes in partitions(j) {
            let m = sizes.len();
            e += if replace {
                falling(sf, m) * sizes.iter().map(|&b| p[b] / nf).product::<f64>()
            } else {
                if m > n || m > s {
                    continue;
                }
                falling(sf, m) / falling(nf, m) * distinct_sum(&sizes, &p)
            };
        }
        *o = e / sf.powi(j as i32);
    }
    (mean, out)
}

/// ρ(E[M^{⊗p}])^{1/p} for the random matrix M = M₀ + δ M₁ with E[δ^j] = `central[j]`
/// (j = 0..=p): the p-th moments of x_t = M_t x_{t−1} + b_t converge iff it is below 1.
pub fn moment_radius(m0: &DMatrix<f64>, m1: &DMatrix<f64>, central: &[f64], p: u32) -> f64 {
    let n = m0.nrows();
    let dim = n.pow(p);
    let mut e = DMatrix::<f64>::zeros(dim, dim);
    for c in 0u32..(1 << p) {
        let weight = central[c.count_ones() as usize];
        if weight == 0.0 {
            continue;
        }
        let mut k = DMatrix::<f64>::identity(1, 1);
        for i in 0..p {
            let f = if c >> i & 1 == 1 { m1 } else { m0 };
            k = k.kronecker(f);
        }
        e += k * weight;
    }
    spectral_radius(&e).powf(1.0 / p as f64)
}

/// The p-th-moment radius of 1-D heavy-ball SGD with learning rate `lr`, momentum `mu` and a
/// random curvature of mean `mean` and central moments `central` (see the module docs).
pub fn heavy_ball_radius(lr: f64, mu: f64, mean: f64, central: &[f64], p: u32) -> f64 {
    let m0 = DMatrix::from_row_slice(2, 2, &[1.0 - lr * mean, -lr * mu, mean, mu]);
    let m1 = DMatrix::from_row_slice(2, 2, &[-lr, 0.0, 1.0, 0.0]);
    moment_radius(&m0, &m1, central, p)
}

/// The random curvature of a 1-D model's noise, as (mean, central moments E[δ^j], j = 0..=4):
/// the minibatch mean of xₙ² for real minibatches, k(1 + √c_f ξ) with ξ ~ N(0, 1) for Fisher
/// noise; `None` when the noise does not multiply the weight (or the model is not 1-D).
pub fn curvature_moments(model: &crate::model::Model) -> Option<(f64, [f64; 5])> {
    if model.dim() != 1 {
        return None;
    }
    if let Some(mb) = &model.data {
        let a: Vec<f64> = mb.data.x[0].iter().map(|x| x * x).collect();
        return Some(minibatch_mean_moments(&a, mb.batch, mb.replace));
    }
    if model.c_fisher > 0.0 {
        let k = model.k[(0, 0)];
        let v = k * k * model.c_fisher;
        return Some((k, [1.0, 0.0, v, 0.0, 3.0 * v * v]));
    }
    None
}

/// Whether heavy-ball SGD on the 1-D `model` has a finite stationary fourth moment of w:
/// `None` for noise that does not multiply the weight (then every moment is finite wherever
/// the variance is).
pub fn fourth_moment_finite(model: &crate::model::Model, lr: f64, mu: f64) -> Option<bool> {
    let (mean, central) = curvature_moments(model)?;
    Some(heavy_ball_radius(lr, mu, mean, &central, 4) < 1.0 - super::lyapunov::MARGINAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_counted_by_the_bell_numbers() {
        let bell: Vec<usize> = (0..=5).map(|n| partitions(n).len()).collect();
        assert_eq!(bell, vec![1, 1, 2, 5, 15, 52]);
    }

    /// Brute force over every minibatch of a small data set.
    fn brute(a: &[f64], s: usize) -> [f64; 5] {
        let n = a.len();
        let mean = a.iter().sum::<f64>() / n as f64;
        let mut out = [0.0; 5];
        let mut count = 0.0;
        for mask in 0u32..(1 << n) {
            if mask.count_ones() as usize != s {
                continue;
            }
            let m = (0..n)
                .filter(|i| mask >> i & 1 == 1)
                .map(|i| a[i])
                .sum::<f64>()
                / s as f64;
            for (j, o) in out.iter_mut().enumerate() {
                *o += (m - mean).powi(j as i32);
            }
            count += 1.0;
        }
        out.map(|x| x / count)
    }

    #[test]
    fn minibatch_moments_match_enumeration_and_the_iid_formulas() {
        let a = [0.3, 2.0, 0.1, 1.7, 0.9, 4.2, 0.05, 1.1, 0.6];
        for s in 1..=a.len() {
            let (_, got) = minibatch_mean_moments(&a, s, false);
            let want = brute(&a, s);
            for j in 0..5 {
                assert!(
                    (got[j] - want[j]).abs() < 1e-12 * (1.0 + want[j].abs()),
                    "S = {s}, j = {j}: {} vs {}",
                    got[j],
                    want[j]
                );
            }
        }
        // With replacement: the mean of S iid draws, whose cumulants are κₖ/S^{k−1}.
        let (_, got) = minibatch_mean_moments(&a, 3, true);
        let n = a.len() as f64;
        let mean = a.iter().sum::<f64>() / n;
        let m = |k: i32| a.iter().map(|x| (x - mean).powi(k)).sum::<f64>() / n;
        let (k2, k3, k4) = (m(2), m(3), m(4) - 3.0 * m(2) * m(2));
        let s = 3.0;
        let want = [
            1.0,
            0.0,
            k2 / s,
            k3 / (s * s),
            k4 / (s * s * s) + 3.0 * (k2 / s).powi(2),
        ];
        for j in 0..5 {
            assert!((got[j] - want[j]).abs() < 1e-12, "j = {j}");
        }
    }
}
