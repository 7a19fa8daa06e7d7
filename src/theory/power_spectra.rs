//! Exact power spectra of a stationary 2-D linear process w_{t+1} = A w_t + ε_t, Var ε = Q —
//! SGD on a quadratic near its minimum (A = I − λK, Q = λ²C), or the continuous-time process
//! sampled once per step — and the exact expectation of their Monte Carlo estimate, the
//! periodogram averaged over segments and over bins of frequencies. With the current of
//! [`super::current`] they show Chaudhari & Soatto's (2018) limit cycles in the frequency domain.
//!
//! With z = w₁ + i w₂ the spectrum of the process splits into a symmetric part
//! ½[S_z(f) + S_z(−f)] = S₁₁ + S₂₂ (the trace) and a rotational part S_z(f) − S_z(−f) = 4 Im S₁₂
//! (the power turning counter-clockwise minus clockwise), whose sin-weighted integral is the
//! circulation: E[w_t × w_{t+1}] = ∫₀^½ [S_z(f) − S_z(−f)] sin(2πf) df. The spectral density
//! matrix is that of a vector autoregression, S(ω) = G(ω) Q G(ω)ᴴ, G(ω) = (I − A e^{−iω})⁻¹; a
//! periodogram of L steps has the expectation
//! E I_L(ω) = Σ_{|τ|<L} (1 − |τ|/L) R_z(τ) e^{−iωτ}, R(τ) = A^τ Σ for τ ≥ 0, Σ = AΣAᵀ + Q.

use super::{continuous, stationary};
use crate::linalg::fft::Fft;
use crate::linalg::linspace;
use crate::model::Model;
use crate::optimizer::Optimizer;
use nalgebra::{Complex, DMatrix, Matrix2};
use serde::{Deserialize, Serialize};

/// The process w_{t+1} = A w_t + ε_t with Var ε = Q and stationary covariance Σ.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinearProcess {
    /// The map A.
    #[serde(with = "rows")]
    pub a: Matrix2<f64>,
    /// The innovation covariance Q.
    #[serde(with = "rows")]
    pub q: Matrix2<f64>,
    /// The stationary covariance Σ.
    #[serde(with = "rows")]
    pub sigma: Matrix2<f64>,
}

/// The three spectra of one frequency, or their means over a bin of frequencies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Spectra {
    /// The symmetric part ½[S_z(f) + S_z(−f)] = S₁₁ + S₂₂.
    pub trace: f64,
    /// The rotational part S_z(f) − S_z(−f) = 4 Im S₁₂.
    pub rotation: f64,
    /// S₁₁, the spectrum of the first weight alone.
    pub first: f64,
}

fn matrix2(m: &DMatrix<f64>) -> Matrix2<f64> {
    Matrix2::new(m[(0, 0)], m[(0, 1)], m[(1, 0)], m[(1, 1)])
}

impl LinearProcess {
    /// SGD at learning rate `lr` on a 2-D `model` with constant noise: A = I − λK, Q = λ²C,
    /// Σ the exact stationary covariance (a singular Σ included: the spectra need no
    /// potential); `None` without a stationary state.
    pub fn sgd(model: &Model, lr: f64) -> Option<LinearProcess> {
        let st = stationary(model, &Optimizer::sgd(lr, 0.0, 2)).ok()?;
        Some(LinearProcess {
            a: Matrix2::identity() - matrix2(&model.k) * lr,
            q: matrix2(&model.c) * (lr * lr),
            sigma: matrix2(&st.sigma),
        })
    }

    /// The continuous-time counterpart (Liu et al. Eq. 1) sampled once per step:
    /// A = e^{−λK}, Σ = Σ_c, Q = Σ_c − AΣ_cAᵀ.
    pub fn continuous(model: &Model, lr: f64) -> Option<LinearProcess> {
        let sigma = matrix2(&continuous(model, &Optimizer::sgd(lr, 0.0, 2))?);
        let a = matrix2(&(&model.k * -lr).exp());
        Some(LinearProcess {
            a,
            q: sigma - a * sigma * a.transpose(),
            sigma,
        })
    }

    /// The spectral density matrix S(ω) = G Q Gᴴ, G = (I − A e^{−iω})⁻¹.
    fn density(&self, omega: f64) -> Option<Matrix2<Complex<f64>>> {
        let e = Complex::from_polar(1.0, -omega);
        let g =
            (Matrix2::<Complex<f64>>::identity() - self.a.map(Complex::from) * e).try_inverse()?;
        Some(g * self.q.map(Complex::from) * g.adjoint())
    }

    /// The spectra at frequency f (cycles per step).
    pub fn spectrum(&self, f: f64) -> Option<Spectra> {
        let s = self.density(std::f64::consts::TAU * f)?;
        Some(Spectra {
            trace: (s[(0, 0)] + s[(1, 1)]).re,
            rotation: 4.0 * s[(0, 1)].im,
            first: s[(0, 0)].re,
        })
    }

    /// The exact expectation of the Monte Carlo spectra of segments of `len` steps (a power of
    /// two): each bin's mean ([`bins`]) of the expected periodogram at its Fourier frequencies
    /// j/L, all of them at once by one FFT of length 2L: E I_L(2πj/L) = Σ_n g_n e^{−2πi(2j)n/(2L)}
    /// with g_τ = (1 − τ/L) R_z(τ) for 0 ≤ τ < L, g_{2L−τ} = (1 − τ/L) R_z(−τ) = its conjugate,
    /// g_L = 0, and R_z(τ) = tr(A^τΣ) + i c(τ), c(τ) = (A^τΣ)₂₁ − (A^τΣ)₁₂; and the same for
    /// the first weight alone, R₁₁(τ) = (A^τΣ)₁₁.
    pub fn expected_bins(&self, len: usize) -> Vec<Spectra> {
        let n = 2 * len;
        let (mut re, mut im) = (vec![0.0; n], vec![0.0; n]);
        let (mut re11, mut im11) = (vec![0.0; n], vec![0.0; n]);
        let mut r = self.sigma;
        for tau in 0..len {
            if tau > 0 {
                r = self.a * r;
            }
            let w = 1.0 - tau as f64 / len as f64;
            let (tr, c) = (w * r.trace(), w * (r[(1, 0)] - r[(0, 1)]));
            re[tau] = tr;
            im[tau] = c;
            re11[tau] = w * r[(0, 0)];
            if tau > 0 {
                re[n - tau] = tr;
                im[n - tau] = -c;
                re11[n - tau] = re11[tau];
            }
        }
        let fft = Fft::new(n);
        fft.transform(&mut re, &mut im);
        fft.transform(&mut re11, &mut im11);
        let at = |v: &[f64], j: usize| v[(2 * j) % n];
        bins(len)
            .into_iter()
            .map(|(a, b)| {
                let (mut s, mut rot, mut s11) = (0.0, 0.0, 0.0);
                for j in a..b {
                    let (pos, neg) = (at(&re, j), at(&re, len - j));
                    s += 0.5 * (pos + neg);
                    rot += pos - neg;
                    s11 += at(&re11, j);
                }
                let k = (b - a) as f64;
                Spectra {
                    trace: s / k,
                    rotation: rot / k,
                    first: s11 / k,
                }
            })
            .collect()
    }
}

/// Frequency bins of the Monte Carlo spectra (before merging empty ones).
const BINS: usize = 28;

/// The frequency bins of spectra estimated from segments of `len` steps: runs of the Fourier
/// frequencies j/L, j = 1 … L/2 − 1, with log-spaced edges (empty bins merged), as
/// (first j, last j + 1).
pub fn bins(len: usize) -> Vec<(usize, usize)> {
    let top = len / 2;
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut start = 1;
    for b in 1..=BINS {
        let edge = ((top as f64).powf(b as f64 / BINS as f64)).round() as usize;
        let end = edge.clamp(start, top);
        if end > start {
            out.push((start, end));
            start = end;
        }
    }
    out
}

/// The mean frequency of a bin (cycles per step) of segments of `len` steps.
pub fn bin_frequency(len: usize, (a, b): (usize, usize)) -> f64 {
    (a + b - 1) as f64 / 2.0 / len as f64
}

/// The interior maximum of a spectrum on f ∈ [0, ½] (2001 evenly spaced frequencies), as
/// (f, value at f over value at 0); `None` when the largest value is at f = 0 or ½.
pub fn interior_peak(spectrum: impl Fn(f64) -> Option<f64>) -> Option<(f64, f64)> {
    let fs = linspace(0.0, 0.5, 2001);
    let vals: Vec<f64> = fs.iter().map(|&f| spectrum(f)).collect::<Option<_>>()?;
    let top = (0..vals.len()).max_by(|&a, &b| vals[a].total_cmp(&vals[b]))?;
    (top > 0 && top + 1 < vals.len()).then(|| (fs[top], vals[top] / vals[0]))
}

/// A 2 × 2 matrix as its entries in row-major order, for plans that travel as JSON.
mod rows {
    use nalgebra::Matrix2;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(m: &Matrix2<f64>, s: S) -> Result<S::Ok, S::Error> {
        [m[(0, 0)], m[(0, 1)], m[(1, 0)], m[(1, 1)]].serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Matrix2<f64>, D::Error> {
        let [a, b, c, e] = <[f64; 4]>::deserialize(d)?;
        Ok(Matrix2::new(a, b, c, e))
    }
}
