//! Real minibatch noise (Liu et al. Sec. 5): a generated linear-regression data set and the
//! exact minibatch gradient of its mean squared loss.
//!
//! Points xₙ ~ N(0, R diag(h1, h2) Rᵀ) (R the Hessian rotation), labels yₙ = w*ᵀxₙ + εₙ with
//! εₙ ~ N(0, σ²). The loss L(w) = (1/2N) Σ (xₙᵀw − yₙ)² has Hessian K = (1/N) Σ xₙxₙᵀ and its
//! minimum at the least-squares w_ls; walkers live in u = w − w_ls, where the per-sample
//! gradient is gₙ(u) = xₙ(xₙᵀu − rₙ) with residuals rₙ = yₙ − xₙᵀw_ls (Σ rₙxₙ = 0).

use crate::rng::{LaneRng, Scalar};
use nalgebra::DMatrix;

/// A data set of N points in D ∈ {1, 2} dimensions, in minimum-centred coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct DataSet {
    /// Dimension D.
    pub dim: usize,
    /// Points, xₙ = (x[0][n], x[1][n]).
    pub x: [Vec<f64>; 2],
    /// Residuals rₙ at the least-squares minimum.
    pub r: Vec<f64>,
    /// The empirical Hessian K = (1/N) Σ xₙxₙᵀ.
    pub k: DMatrix<f64>,
}

impl DataSet {
    /// N points with input covariance `cov` (D × D, D ∈ {1, 2}) and label-noise variance
    /// `label_var`, drawn from `seed`. `None` if the points do not span the space.
    pub fn generate(n: usize, cov: &DMatrix<f64>, label_var: f64, seed: u64) -> Option<DataSet> {
        let d = cov.nrows();
        let mut rng = LaneRng::new(seed ^ 0xD1B5_4A32_D192_ED03);
        let mut sc = Scalar::default();
        let l = cov.clone().cholesky()?.l();
        let mut x = [vec![0.0; n], vec![0.0; if d == 2 { n } else { 0 }]];
        let mut y = vec![0.0; n];
        let w_star = [0.7, -0.4];
        for i in 0..n {
            let z0 = sc.normal(&mut rng);
            let z1 = if d == 2 { sc.normal(&mut rng) } else { 0.0 };
            x[0][i] = l[(0, 0)] * z0;
            if d == 2 {
                x[1][i] = l[(1, 0)] * z0 + l[(1, 1)] * z1;
            }
            let mut dot = w_star[0] * x[0][i];
            if d == 2 {
                dot += w_star[1] * x[1][i];
            }
            y[i] = dot + label_var.sqrt() * sc.normal(&mut rng);
        }
        // K and the least-squares minimum.
        let mut k = DMatrix::zeros(d, d);
        let mut xty = DMatrix::zeros(d, 1);
        for i in 0..n {
            for a in 0..d {
                xty[a] += x[a][i] * y[i];
                for b in 0..d {
                    k[(a, b)] += x[a][i] * x[b][i];
                }
            }
        }
        k /= n as f64;
        xty /= n as f64;
        let w_ls = k.clone().lu().solve(&xty)?;
        let r = (0..n)
            .map(|i| y[i] - (0..d).map(|a| x[a][i] * w_ls[a]).sum::<f64>())
            .collect();
        Some(DataSet { dim: d, x, r, k })
    }

    /// The number of points N.
    pub fn len(&self) -> usize {
        self.r.len()
    }

    /// Whether the data set is empty.
    pub fn is_empty(&self) -> bool {
        self.r.is_empty()
    }

    /// The per-sample gradient gₙ(u) = xₙ(xₙᵀu − rₙ).
    #[inline]
    pub fn sample_gradient(&self, n: usize, u: [f64; 2]) -> [f64; 2] {
        let x0 = self.x[0][n];
        let x1 = if self.dim == 2 { self.x[1][n] } else { 0.0 };
        let e = x0 * u[0] + x1 * u[1] - self.r[n];
        [x0 * e, x1 * e]
    }

    /// The mean gradient of a minibatch of `s` points at u, drawn with or without replacement
    /// (without: a partial Fisher–Yates shuffle of `perm`, a permutation of 0..N).
    pub fn minibatch_gradient(
        &self,
        u: [f64; 2],
        s: usize,
        replace: bool,
        perm: &mut [u32],
        rng: &mut LaneRng,
        sc: &mut Scalar,
    ) -> [f64; 2] {
        let n = self.len();
        let mut g = [0.0, 0.0];
        for j in 0..s {
            let idx = if replace {
                sc.below(rng, n as u64) as usize
            } else {
                let k = j + sc.below(rng, (n - j) as u64) as usize;
                perm.swap(j, k);
                perm[j] as usize
            };
            let gi = self.sample_gradient(idx, u);
            g[0] += gi[0];
            g[1] += gi[1];
        }
        [g[0] / s as f64, g[1] / s as f64]
    }

    /// The exact covariance of the minibatch gradient at u over the draw of the minibatch:
    /// Σ_data(u)/S with replacement, (N − S)/(S(N − 1)) Σ_data(u) without, where
    /// Σ_data(u) = (1/N) Σ (gₙ − ḡ)(gₙ − ḡ)ᵀ and ḡ = K u. (Thm 6 approximates the latter factor
    /// by (N − S)/(NS).)
    pub fn gradient_noise_cov(&self, u: [f64; 2], s: usize, replace: bool) -> DMatrix<f64> {
        let (n, d) = (self.len(), self.dim);
        let mut mean = [0.0, 0.0];
        let mut second = DMatrix::zeros(d, d);
        for i in 0..n {
            let g = self.sample_gradient(i, u);
            for a in 0..d {
                mean[a] += g[a] / n as f64;
                for b in 0..d {
                    second[(a, b)] += g[a] * g[b] / n as f64;
                }
            }
        }
        let mut cov = second;
        for a in 0..d {
            for b in 0..d {
                cov[(a, b)] -= mean[a] * mean[b];
            }
        }
        let (nf, sf) = (n as f64, s as f64);
        let factor = if replace {
            1.0 / sf
        } else {
            (nf - sf) / (sf * (nf - 1.0).max(1.0))
        };
        cov * factor
    }
}

/// Real minibatch noise: a data set, the minibatch size and the sampling, and the exact linear
/// map from the walkers' second moment Σ to the state-dependent part of the noise covariance.
#[derive(Clone, Debug, PartialEq)]
pub struct Minibatch {
    /// The data set.
    pub data: DataSet,
    /// Minibatch size S.
    pub batch: usize,
    /// Drawn with replacement?
    pub replace: bool,
    /// The D² × D² matrix L with vec C(Σ) = vec C₀ + L vec Σ (see [`Minibatch::new`]).
    pub op: DMatrix<f64>,
}

impl Minibatch {
    /// The noise of minibatches of `batch` points of `data`. Averaged over walkers with
    /// E[u] = 0 and E[u uᵀ] = Σ, the minibatch gradient's covariance is exactly
    /// C(Σ) = f·[(1/N) Σₙ Xₙ (xₙᵀΣxₙ + rₙ²) − KΣK],  Xₙ = xₙxₙᵀ,
    /// with f = 1/S (with replacement) or (N − S)/(S(N − 1)) (without): a constant part C₀ (its
    /// value at the minimum) plus L vec Σ, L = f·[(1/N) Σₙ vec Xₙ vec Xₙᵀ − K ⊗ K].
    pub fn new(data: DataSet, batch: usize, replace: bool) -> Minibatch {
        let (n, d) = (data.len(), data.dim);
        let (nf, sf) = (n as f64, batch as f64);
        let f = if replace {
            1.0 / sf
        } else {
            (nf - sf) / (sf * (nf - 1.0).max(1.0))
        };
        let mut op = DMatrix::zeros(d * d, d * d);
        for i in 0..n {
            let x = [data.x[0][i], if d == 2 { data.x[1][i] } else { 0.0 }];
            let vx: Vec<f64> = (0..d * d).map(|k| x[k % d] * x[k / d]).collect();
            for a in 0..d * d {
                for b in 0..d * d {
                    op[(a, b)] += vx[a] * vx[b] / nf;
                }
            }
        }
        op -= data.k.kronecker(&data.k);
        op *= f;
        Minibatch {
            data,
            batch,
            replace,
            op,
        }
    }
}
