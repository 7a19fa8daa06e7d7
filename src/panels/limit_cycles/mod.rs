//! `limit-cycles` — Chaudhari & Soatto (2018): with gradient noise that is not isotropic, SGD's
//! stationary distribution ρ ∝ e^{−Φ} defines a potential Φ (their Eq. 5) that is not the loss
//! f, and a probability current circulates (their Lemma 6, Lemma 7, Sec. 5.1) — here on the 2-D
//! linear model f(w) = ½wᵀKw with constant noise covariance C, where all of it is exact
//! ([`crate::theory::current`]).
//!
//! Four plots:
//! 0. contours of f, of Φ of the exact discrete-time stationary state (Φ = ½wᵀΣ⁻¹w) and of Φ_c
//!    of the continuous-time one, each at the levels that enclose the same areas as the 1, 2, 3σ
//!    ellipses of Σ (so only their shapes differ), and the stationary probability current
//!    J(w) = ρ(w) Ω Σ⁻¹ w, Ω = (X − Xᵀ)/2 with X = E[w_{t+1} w_tᵀ], as arrows;
//! 1. the circulation E[w_t × w_{t+1}] = X₂₁ − X₁₂ against the angle θ between the eigenbases
//!    of C and K: exact discrete (X = AΣ, A = I − λK), continuous (X = e^{−λK}Σ_c, one step's
//!    lag), and Monte Carlo (`walkers` runs of `steps` steps each started from the exact
//!    stationary N(0, Σ), so every step is stationary; mean over steps, then over walkers);
//! 2. the power spectrum of one trajectory (z_t = w₁ + i w₂, `walkers` × `steps` steps from the
//!    stationary state, at least 32 segments; Bartlett's average over segments of L steps, L
//!    a power of two of at least 50 correlation times of the slowest mode, at most 8192):
//!    ½[S_z(f) + S_z(−f)] = S₁₁ + S₂₂, and beside it S₁₁, the spectrum of the first weight
//!    alone (what an FFT of one weight shows). The trace has no interior peak in a linear model
//!    (with A = I − λK symmetric it is Σᵢ qᵢ/(1 + aᵢ² − 2aᵢ cos 2πf) over K's eigen-modes, each
//!    convex in cos 2πf, so its largest value is at f = 0 or ½); S₁₁ can peak in between when
//!    the noise does not commute with K, through the cross-spectrum of the two modes;
//! 3. its rotational part S_z(f) − S_z(−f) = 4 Im S₁₂(f): the power at frequency f turning
//!    counter-clockwise minus clockwise, which is zero unless the current circulates, and whose
//!    sin-weighted integral is the circulation, E[w_t × w_{t+1}] = ∫₀^½ [S_z(f) − S_z(−f)]
//!    sin(2πf) df.
//!
//! The exact spectra are those of the linear state-space map w_{t+1} = A w_t − λη_t:
//! S(ω) = G(ω) λ²C G(ω)ᴴ, G(ω) = (I − A e^{−iω})⁻¹; the continuous-time process sampled once per
//! step is the same map with A_c = e^{−λK} and innovation covariance Σ_c − A_c Σ_c A_cᵀ. The
//! Monte Carlo averages are compared with the exact expectation of a length-L periodogram,
//! E I_L(ω) = Σ_{|τ|<L} (1 − |τ|/L) R_z(τ) e^{−iωτ}, R(τ) = A^τ Σ.

use super::kit::{figure, job_seed};
use super::{LegacyPanel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesKind, Style};
use crate::linalg::ellipse_points;
use crate::linalg::rotated_diag;
use crate::linalg::{linspace, logspace};
use crate::model::Model;
use crate::optimizer::Optimizer;
use crate::params::{Noise, Params};
use crate::rng::math::{cos_sin_turn, LANES};
use crate::rng::{LaneRng, Scalar};
use crate::theory::{self, current};
use nalgebra::{Complex, DMatrix, Matrix2};

/// The panel.
pub struct LimitCycles;

static SPEC: Spec = Spec {
    name: "limit-cycles",
    title: "Potential, probability current and circulation with non-commuting noise",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    source: "Chaudhari & Soatto (2018), Eq. 5, Lemmas 6–7, Sec. 4.2 and 5.1; Liu et al. (2021), \
             Lemma 1, Cor. 3",
    keys: &[
        "lr", "h1", "h2", "h_angle", "c1", "c2", "c_angle", "walkers", "steps", "points", "seed",
    ],
    defaults,
    presets: &[
        (
            "non-commuting noise (θ = 30°)",
            "c1=1&c2=0.2&c_angle=30&h_angle=0",
        ),
        ("commuting noise (θ = 0)", "c1=1&c2=0.2&c_angle=0&h_angle=0"),
        ("isotropic noise", "c1=1&c2=1&c_angle=30&h_angle=0"),
        ("rank-one noise, θ = 45°", "c1=1&c2=0&c_angle=45&h_angle=0"),
        (
            "one weight's spectrum S₁₁ peaks",
            "h1=0.9&h2=0.1&h_angle=5.71&c1=1&c2=0&c_angle=50.71&lr=1",
        ),
    ],
    live: false,
};

fn defaults(p: &mut Params) {
    p.dim = 2;
    p.noise = Noise::General;
    p.lr = 0.5;
    p.mu = 0.0;
    p.h1 = 1.0;
    p.h2 = 0.1;
    p.h_angle = 0.0;
    p.c1 = 1.0;
    p.c2 = 0.2;
    p.c_angle = 30.0;
    p.walkers = 10_000;
    p.steps = 1000;
    p.points = 13;
}

/// Series indices in the plan.
pub const PHI: usize = 0;
/// Contours of the continuous-time potential.
pub const PHI_C: usize = 1;
/// Contours of the loss.
pub const LOSS: usize = 2;
/// Current arrows.
pub const CURRENT: usize = 3;
/// Monte Carlo circulation against θ.
pub const CIRC_MC: usize = 4;
/// Exact discrete circulation.
pub const CIRC: usize = 5;
/// Continuous-time circulation.
pub const CIRC_C: usize = 6;
/// Monte Carlo power spectrum.
pub const POWER_MC: usize = 8;
/// Exact discrete power spectrum.
pub const POWER: usize = 9;
/// Monte Carlo rotational spectrum.
pub const ROT_MC: usize = 11;
/// Exact discrete rotational spectrum.
pub const ROT: usize = 12;
/// Monte Carlo spectrum S₁₁ of the first weight alone (in the power plot).
pub const S11_MC: usize = 14;
/// Exact discrete S₁₁.
pub const S11: usize = 15;

/// Frequency bins of the Monte Carlo spectra (before merging empty ones).
const BINS: usize = 28;

/// The fewest segments the spectrum's trajectory is cut into (its standard errors come from
/// their spread), whatever `walkers` × `steps`.
const MIN_SEGMENTS: usize = 32;

/// The angle θ ∈ [−90°, 90°) between the eigenbases of C and K in `p`.
pub fn angle(p: &Params) -> f64 {
    (p.c_angle - p.h_angle + 90.0).rem_euclid(180.0) - 90.0
}

/// The model of `p` with the noise's eigenbasis turned by `theta` degrees from K's.
pub fn model_at(p: &Params, theta: f64) -> Model {
    let k = rotated_diag(p.h1, p.h2, p.h_angle);
    let c = rotated_diag(p.c1, p.c2, p.h_angle + theta);
    Model::new(
        DMatrix::from_column_slice(2, 2, k.as_slice()),
        DMatrix::from_column_slice(2, 2, c.as_slice()),
    )
}

fn sgd(p: &Params) -> Optimizer {
    Optimizer::sgd(p.lr, 0.0, 2)
}

fn m2(m: &DMatrix<f64>) -> Matrix2<f64> {
    Matrix2::new(m[(0, 0)], m[(0, 1)], m[(1, 0)], m[(1, 1)])
}

/// The exact discrete-time stationary covariance Σ and the current at angle θ.
pub fn discrete_at(p: &Params, theta: f64) -> Option<(Matrix2<f64>, current::Current)> {
    let model = model_at(p, theta);
    let st = theory::stationary(&model, &sgd(p)).ok()?;
    let cur = current::discrete(&model, &st)?;
    Some((m2(&st.sigma), cur))
}

/// The continuous-time stationary covariance Σ_c and its current (at one step's lag).
pub fn continuous_at(p: &Params, theta: f64) -> Option<(Matrix2<f64>, current::Current)> {
    let model = model_at(p, theta);
    let sc = theory::continuous(&model, &sgd(p))?;
    let cur = current::continuous(&model, &sgd(p), &sc)?;
    Some((m2(&sc), cur))
}

/// A process w_{t+1} = A w_t + ε_t with Var ε = Q and stationary covariance Σ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Linear {
    /// The map.
    pub a: Matrix2<f64>,
    /// The innovation covariance.
    pub q: Matrix2<f64>,
    /// The stationary covariance.
    pub sigma: Matrix2<f64>,
}

impl Linear {
    /// SGD at angle θ: A = I − λK, Q = λ²C, Σ exact (singular Σ included: the spectra need
    /// no potential).
    pub fn discrete(p: &Params, theta: f64) -> Option<Linear> {
        let model = model_at(p, theta);
        let st = theory::stationary(&model, &sgd(p)).ok()?;
        Some(Linear {
            a: Matrix2::identity() - m2(&model.k) * p.lr,
            q: m2(&model.c) * (p.lr * p.lr),
            sigma: m2(&st.sigma),
        })
    }

    /// The continuous-time process sampled once per step: A = e^{−λK}, Σ = Σ_c,
    /// Q = Σ_c − AΣ_cAᵀ.
    pub fn continuous(p: &Params, theta: f64) -> Option<Linear> {
        let model = model_at(p, theta);
        let sigma = m2(&theory::continuous(&model, &sgd(p))?);
        let a = m2(&(&model.k * -p.lr).exp());
        Some(Linear {
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

    /// (S₁₁ + S₂₂, 4 Im S₁₂) at frequency f (cycles per step): the symmetric and rotational
    /// parts of the spectrum of z = w₁ + i w₂.
    pub fn spectrum(&self, f: f64) -> Option<(f64, f64)> {
        let s = self.density(std::f64::consts::TAU * f)?;
        Some(((s[(0, 0)] + s[(1, 1)]).re, 4.0 * s[(0, 1)].im))
    }

    /// S₁₁(f), the spectrum of the first weight alone.
    pub fn s11(&self, f: f64) -> Option<f64> {
        Some(self.density(std::f64::consts::TAU * f)?[(0, 0)].re)
    }

    /// The expected periodogram of segments of `len` steps at frequency f, in the same two
    /// parts: tr Σ + 2 Σ_{τ=1}^{L−1} (1 − τ/L) tr(A^τΣ) cos ωτ and
    /// 4 Σ_{τ=1}^{L−1} (1 − τ/L) c(τ) sin ωτ, c(τ) = (A^τΣ)₂₁ − (A^τΣ)₁₂.
    pub fn periodogram(&self, len: usize, f: f64) -> (f64, f64) {
        let omega = std::f64::consts::TAU * f;
        let (mut sym, mut rot) = (self.sigma.trace(), 0.0);
        let mut r = self.sigma;
        for tau in 1..len {
            r = self.a * r;
            let wgt = 1.0 - tau as f64 / len as f64;
            let (s, c) = (omega * tau as f64).sin_cos();
            sym += 2.0 * wgt * r.trace() * c;
            rot += 4.0 * wgt * (r[(1, 0)] - r[(0, 1)]) * s;
        }
        (sym, rot)
    }
}

/// The angles of the Monte Carlo points: `points` from −90° to 90° inclusive.
pub fn angles(p: &Params) -> Vec<f64> {
    linspace(-90.0, 90.0, p.points as usize)
}

/// The segment length L of the spectrum: a power of two of at least 50 correlation times
/// 1/(λk_min) of the slowest mode (so that the periodogram resolves the spectrum's structure),
/// within [64, 8192].
pub fn segment(p: &Params) -> usize {
    let k = p.h1.min(p.h2);
    let target = if k > 0.0 {
        50.0 / (p.lr * k)
    } else {
        f64::INFINITY
    };
    (target.clamp(64.0, 8192.0) as usize)
        .next_power_of_two()
        .min(8192)
}

/// Frequency bins of the Monte Carlo spectra: runs of Fourier frequencies j/L, j = 1 … L/2 − 1,
/// with log-spaced edges (empty bins merged): (first j, last j + 1).
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

/// The mean frequency of a bin (cycles per step).
fn bin_frequency(len: usize, (a, b): (usize, usize)) -> f64 {
    (a + b - 1) as f64 / 2.0 / len as f64
}

/// The exact expectation of the Monte Carlo spectra: each bin's mean of the expected
/// periodogram ([`Linear::periodogram`]) at its Fourier frequencies j/L, all of them at once by
/// one FFT of length 2L: E I_L(2πj/L) = Σ_n g_n e^{−2πi(2j)n/(2L)} with g_τ = (1 − τ/L) R_z(τ)
/// for 0 ≤ τ < L, g_{2L−τ} = (1 − τ/L) R_z(−τ) = its conjugate, g_L = 0, and
/// R_z(τ) = tr(A^τΣ) + i c(τ); and the same for the first weight alone, R₁₁(τ) = (A^τΣ)₁₁.
/// Per bin: (½[S_z(f) + S_z(−f)], S_z(f) − S_z(−f), S₁₁).
pub fn expected_bins(lin: &Linear, len: usize) -> Vec<(f64, f64, f64)> {
    let n = 2 * len;
    let (mut re, mut im) = (vec![0.0; n], vec![0.0; n]);
    let (mut re11, mut im11) = (vec![0.0; n], vec![0.0; n]);
    let mut r = lin.sigma;
    for tau in 0..len {
        if tau > 0 {
            r = lin.a * r;
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
    let tw = twiddles(n);
    fft(&mut re, &mut im, &tw);
    fft(&mut re11, &mut im11, &tw);
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
            (s / k, rot / k, s11 / k)
        })
        .collect()
}

/// A lower-triangular L with L Lᵀ = M for a symmetric positive semi-definite 2 × 2 M.
fn cholesky(m: &Matrix2<f64>) -> [f64; 3] {
    let l00 = m[(0, 0)].max(0.0).sqrt();
    let l10 = if l00 > 0.0 { m[(1, 0)] / l00 } else { 0.0 };
    let l11 = (m[(1, 1)] - l10 * l10).max(0.0).sqrt();
    [l00, l10, l11]
}

/// The circulation measured by Monte Carlo: `walkers` runs of w_{t+1} = A w_t + ε_t (ε with
/// covariance Q), each started from N(0, Σ) and run `steps` steps; each run's mean of
/// w_t × w_{t+1} over its steps, then their mean and standard error over the runs.
pub fn circulation_mc(lin: &Linear, walkers: u64, steps: u64, seed: u64) -> Option<(f64, f64)> {
    if walkers < 2 || steps == 0 {
        return None;
    }
    let mut rng = LaneRng::new(seed);
    let ls = cholesky(&lin.sigma);
    let lq = cholesky(&lin.q);
    let a = lin.a;
    let (mut sum, mut sum_sq) = (0.0, 0.0);
    let mut done = 0u64;
    while done < walkers {
        let (z0, z1) = rng.normals();
        let mut x = [0.0; LANES];
        let mut y = [0.0; LANES];
        for i in 0..LANES {
            x[i] = ls[0] * z0[i];
            y[i] = ls[1] * z0[i] + ls[2] * z1[i];
        }
        let mut acc = [0.0; LANES];
        for _ in 0..steps {
            let (e0, e1) = rng.normals();
            for i in 0..LANES {
                let nx = a[(0, 0)] * x[i] + a[(0, 1)] * y[i] + lq[0] * e0[i];
                let ny = a[(1, 0)] * x[i] + a[(1, 1)] * y[i] + lq[1] * e0[i] + lq[2] * e1[i];
                acc[i] += x[i] * ny - y[i] * nx;
                x[i] = nx;
                y[i] = ny;
            }
        }
        for v in acc.iter().take((walkers - done).min(LANES as u64) as usize) {
            let m = v / steps as f64;
            sum += m;
            sum_sq += m * m;
            done += 1;
        }
    }
    let n = walkers as f64;
    let mean = sum / n;
    let var = ((sum_sq - n * mean * mean) / (n - 1.0)).max(0.0);
    Some((mean, (var / n).sqrt()))
}

/// In-place radix-2 FFT, X_j = Σ_t x_t e^{−2πi jt/n} (n a power of two), with twiddle factors
/// from the platform-independent [`cos_sin_turn`], so that a seed gives the same spectrum
/// natively and in WebAssembly.
fn fft(re: &mut [f64], im: &mut [f64], twiddles: &[(f64, f64)]) {
    let n = re.len();
    let mut j = 0;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let stride = n / len;
        for start in (0..n).step_by(len) {
            for k in 0..len / 2 {
                let (c, s) = twiddles[k * stride];
                let (a, b) = (start + k, start + k + len / 2);
                let (xr, xi) = (re[b] * c - im[b] * s, re[b] * s + im[b] * c);
                re[b] = re[a] - xr;
                im[b] = im[a] - xi;
                re[a] += xr;
                im[a] += xi;
            }
        }
        len <<= 1;
    }
}

/// e^{−2πik/n}, k = 0 … n/2 − 1, as (cos, sin).
fn twiddles(n: usize) -> Vec<(f64, f64)> {
    let half = n / 2;
    let mut out = Vec::with_capacity(half);
    for chunk in (0..half).collect::<Vec<_>>().chunks(LANES) {
        // φ = 2π(u − ½) = −2πk/n  ⇔  u = ½ − k/n.
        let mut u = [0.5; LANES];
        for (slot, &k) in u.iter_mut().zip(chunk) {
            *slot = 0.5 - k as f64 / n as f64;
        }
        let (c, s) = cos_sin_turn(&u);
        for i in 0..chunk.len() {
            out.push((c[i], s[i]));
        }
    }
    out
}

/// The binned spectra of one trajectory: `segments` consecutive segments of `len` steps of
/// w_{t+1} = A w_t + ε_t from N(0, Σ); for each bin of [`bins`], the mean over segments of
/// the bin-averaged ½[I(f) + I(−f)], I(f) − I(−f), I = |Σ_t z_t e^{−2πift}|²/L, and I₁₁(f) of
/// the first weight alone (its transform is X_j = ½[Z_j + conj Z_{L−j}]), each with the
/// standard error from its spread over segments: [mean, se] × 3.
pub fn spectrum_mc(lin: &Linear, len: usize, segments: usize, seed: u64) -> Vec<[f64; 6]> {
    let bins = bins(len);
    let mut acc = vec![[0.0f64; 6]; bins.len()];
    if segments < 2 {
        return Vec::new();
    }
    let mut rng = LaneRng::new(seed);
    let mut sc = Scalar::default();
    let ls = cholesky(&lin.sigma);
    let lq = cholesky(&lin.q);
    let a = lin.a;
    let (z0, z1) = (sc.normal(&mut rng), sc.normal(&mut rng));
    let (mut x, mut y) = (ls[0] * z0, ls[1] * z0 + ls[2] * z1);
    let tw = twiddles(len);
    let (mut re, mut im) = (vec![0.0; len], vec![0.0; len]);
    for _ in 0..segments {
        for t in 0..len {
            re[t] = x;
            im[t] = y;
            let (e0, e1) = (sc.normal(&mut rng), sc.normal(&mut rng));
            let nx = a[(0, 0)] * x + a[(0, 1)] * y + lq[0] * e0;
            let ny = a[(1, 0)] * x + a[(1, 1)] * y + lq[1] * e0 + lq[2] * e1;
            x = nx;
            y = ny;
        }
        fft(&mut re, &mut im, &tw);
        let power = |j: usize| (re[j] * re[j] + im[j] * im[j]) / len as f64;
        let power11 = |j: usize| {
            let (x, y) = (re[j] + re[len - j], im[j] - im[len - j]);
            0.25 * (x * x + y * y) / len as f64
        };
        for (slot, &(lo, hi)) in acc.iter_mut().zip(&bins) {
            let (mut s, mut r, mut s11) = (0.0, 0.0, 0.0);
            for j in lo..hi {
                let (pos, neg) = (power(j), power(len - j));
                s += 0.5 * (pos + neg);
                r += pos - neg;
                s11 += power11(j);
            }
            let n = (hi - lo) as f64;
            for (i, v) in [s / n, r / n, s11 / n].into_iter().enumerate() {
                slot[2 * i] += v;
                slot[2 * i + 1] += v * v;
            }
        }
    }
    let k = segments as f64;
    let mean_se = |sum: f64, sum_sq: f64| {
        let m = sum / k;
        let se = ((sum_sq - k * m * m) / (k - 1.0)).max(0.0).sqrt() / k.sqrt();
        (m, se)
    };
    acc.into_iter()
        .map(|a| {
            let [(m0, e0), (m1, e1), (m2, e2)] = [0, 1, 2].map(|i| mean_se(a[2 * i], a[2 * i + 1]));
            [m0, e0, m1, e1, m2, e2]
        })
        .collect()
}

/// Level sets of ½wᵀMw-shaped forms enclosing the areas of the 1, 2, 3σ ellipses of Σ: the
/// ellipses {wᵀ(κM⁻¹)⁻¹w = s²}, s = 1, 2, 3, with κ = √(det Σ · det M), as one series with
/// NaN breaks.
fn contours(name: &str, kind: SeriesKind, m: &Matrix2<f64>, sigma: &Matrix2<f64>) -> Series {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    if let Some(inv) = m.try_inverse() {
        let kappa = (sigma.determinant() * m.determinant()).sqrt();
        if kappa.is_finite() && kappa > 0.0 {
            for s in [1.0, 2.0, 3.0] {
                for (a, b) in ellipse_points(&(inv * kappa), s, 120) {
                    x.push(a);
                    y.push(b);
                }
                x.push(f64::NAN);
                y.push(f64::NAN);
            }
        }
    }
    let mut s = Series::new(name, kind, x, y);
    s.y_err = None;
    s.in_plot(0)
}

/// The angle (degrees, in [0°, 90°]) between the principal axes of two symmetric 2 × 2
/// matrices; `None` when either is isotropic (no principal axes).
pub fn axes_angle(a: &Matrix2<f64>, b: &Matrix2<f64>) -> Option<f64> {
    let axis = |m: &Matrix2<f64>| {
        let (d, o) = (m[(0, 0)] - m[(1, 1)], m[(0, 1)]);
        (d.hypot(2.0 * o) > 1e-12 * m.norm()).then(|| 0.5 * (2.0 * o).atan2(d))
    };
    let diff = (axis(a)? - axis(b)?).to_degrees().rem_euclid(180.0);
    Some(diff.min(180.0 - diff))
}

/// The interior maximum of a spectrum on f ∈ [0, ½] (2001 evenly spaced frequencies), as
/// (f, value at f over value at 0); `None` when the largest value is at f = 0 or ½.
fn interior_peak(spectrum: impl Fn(f64) -> Option<f64>) -> Option<(f64, f64)> {
    let fs = linspace(0.0, 0.5, 2001);
    let vals: Vec<f64> = fs.iter().map(|&f| spectrum(f)).collect::<Option<_>>()?;
    let top = (0..vals.len()).max_by(|&a, &b| vals[a].total_cmp(&vals[b]))?;
    (top > 0 && top + 1 < vals.len()).then(|| (fs[top], vals[top] / vals[0]))
}

/// Whether the current of this state is zero (Ω negligible against X).
fn no_current(cur: &current::Current) -> bool {
    let omega = (&cur.lag_one - cur.lag_one.transpose()) * 0.5;
    omega.norm() <= 1e-12 * cur.lag_one.norm()
}

impl LegacyPanel for LimitCycles {
    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> Figure {
        let theta = angle(p);
        let disc = discrete_at(p, theta);
        let cont = continuous_at(p, theta);
        let k = m2(&model_at(p, theta).k);

        let mut contour_plot = Plot::new("w₁", "w₂");
        contour_plot.equal = true;
        contour_plot.title = "contours of f and Φ; probability current".into();
        let mut circ_plot = Plot::new(
            "angle θ between the eigenbases of C and K (°)",
            "E[w_t × w_{t+1}]",
        );
        circ_plot.x_range = Some((-90.0, 90.0));
        circ_plot.title = "circulation (dashed line: θ of the other plots)".into();
        let len = segment(p);
        let f_lo = 1.0 / len as f64;
        let mut power_plot = Plot::new("frequency f (1/step)", "S₁₁ + S₂₂ and S₁₁");
        power_plot.x_log = true;
        power_plot.y_log = true;
        power_plot.x_range = Some((f_lo, 0.5));
        power_plot.title = "power spectrum: trace (no interior peak) and one weight".into();
        let mut rot_plot = Plot::new("frequency f (1/step)", "S_z(f) − S_z(−f)");
        rot_plot.x_log = true;
        rot_plot.x_range = Some((f_lo, 0.5));
        rot_plot.title = "its rotational part (z = w₁ + i w₂)".into();
        let mut fig = figure(p, vec![contour_plot, circ_plot, power_plot, rot_plot]);

        // Plot 0: contours and current.
        let (phi, phi_c, loss) = match &disc {
            Some((sigma, _)) => (
                contours(
                    "Φ (exact)",
                    SeriesKind::TheoryDiscrete,
                    &sigma.try_inverse().unwrap_or_else(Matrix2::zeros),
                    sigma,
                ),
                contours(
                    "Φ (continuous)",
                    SeriesKind::TheoryContinuous,
                    &cont
                        .as_ref()
                        .and_then(|(s, _)| s.try_inverse())
                        .unwrap_or_else(Matrix2::zeros),
                    sigma,
                ),
                contours("loss f", SeriesKind::TheoryOther, &k, sigma).colored(7),
            ),
            None => (
                contours(
                    "Φ (exact)",
                    SeriesKind::TheoryDiscrete,
                    &Matrix2::zeros(),
                    &Matrix2::zeros(),
                ),
                contours(
                    "Φ (continuous)",
                    SeriesKind::TheoryContinuous,
                    &Matrix2::zeros(),
                    &Matrix2::zeros(),
                ),
                contours(
                    "loss f",
                    SeriesKind::TheoryOther,
                    &Matrix2::zeros(),
                    &Matrix2::zeros(),
                )
                .colored(7),
            ),
        };
        fig.series.extend([phi, phi_c, loss]);
        let mut arrows = Series::new(
            "current J (exact)",
            SeriesKind::TheoryDiscrete,
            Vec::new(),
            Vec::new(),
        )
        .styled(Style::Arrows)
        .colored(2);
        arrows.y_err = None;
        if let Some((sigma, cur)) = &disc {
            let half = 3.0 * sigma.symmetric_eigenvalues().max().max(0.0).sqrt();
            // The view holds every contour.
            let extent = |k: usize| {
                fig.series[PHI..=LOSS]
                    .iter()
                    .flat_map(|s| if k == 0 { &s.x } else { &s.y })
                    .filter(|v| v.is_finite())
                    .fold(half, |m, v| m.max(v.abs()))
                    * 1.05
            };
            let (ex, ey) = (extent(0), extent(1));
            fig.plots[0].x_range = Some((-ex, ex));
            fig.plots[0].y_range = Some((-ey, ey));
            if no_current(cur) {
                fig.plots[0].note = Some("no current: [C, K] = 0".into());
            } else if let Some(inv) = sigma.try_inverse() {
                let v = m2(&cur.velocity);
                let n = 13;
                let grid = linspace(-half * 0.85, half * 0.85, n);
                let spacing = grid[1] - grid[0];
                let field: Vec<(f64, f64, f64, f64)> = grid
                    .iter()
                    .flat_map(|&a| grid.iter().map(move |&b| (a, b)))
                    .map(|(a, b)| {
                        let w = nalgebra::Vector2::new(a, b);
                        let rho = (-0.5 * (w.transpose() * inv * w)[0]).exp();
                        let j = v * w * rho;
                        (a, b, j[0], j[1])
                    })
                    .collect();
                let top = field.iter().map(|f| f.2.hypot(f.3)).fold(0.0, f64::max);
                if top > 0.0 {
                    let scale = 0.9 * spacing / top;
                    for (a, b, ja, jb) in field {
                        if ja.hypot(jb) < 0.05 * top {
                            continue;
                        }
                        arrows.x.extend([a, a + scale * ja]);
                        arrows.y.extend([b, b + scale * jb]);
                    }
                }
            }
        } else if Linear::discrete(p, theta).is_some() {
            fig.plots[0].note = Some("Σ is singular (rank-one noise): no potential".into());
        } else {
            fig.plots[0].note = Some("no stationary state (λk_max ≥ 2 or k = 0)".into());
        }
        fig.series.push(arrows);

        // Plot 1: circulation against θ.
        let grid = linspace(-90.0, 90.0, 181);
        fig.series.push(
            Series::pending("Monte Carlo", angles(p))
                .in_plot(1)
                .colored(2),
        );
        fig.series.push(
            Series::curve("exact discrete", SeriesKind::TheoryDiscrete, &grid, |t| {
                discrete_at(p, t).map(|(_, c)| c.circulation)
            })
            .in_plot(1),
        );
        fig.series.push(
            Series::curve(
                "continuous time",
                SeriesKind::TheoryContinuous,
                &grid,
                |t| continuous_at(p, t).map(|(_, c)| c.circulation),
            )
            .in_plot(1),
        );
        fig.series.push(
            Series::new(
                "θ of the other plots",
                SeriesKind::TheoryOther,
                vec![theta],
                vec![f64::NAN],
            )
            .styled(Style::Vline)
            .colored(7)
            .in_plot(1)
            .unlabelled(),
        );
        // Room above the curves for the legend.
        let top = fig.series[CIRC..=CIRC_C]
            .iter()
            .flat_map(|s| s.y.iter())
            .filter(|v| v.is_finite())
            .fold(0.0f64, |m, v| m.max(v.abs()));
        if top > 0.0 {
            fig.plots[1].y_range = Some((-1.15 * top, 2.0 * top));
        }

        // Plots 2 and 3: spectra.
        let fs = logspace(f_lo, 0.5, 300);
        let lin = Linear::discrete(p, theta);
        let lin_c = Linear::continuous(p, theta);
        let spec = |l: &Option<Linear>, f: f64, part: usize| {
            l.as_ref()
                .and_then(|l| l.spectrum(f))
                .map(|s| if part == 0 { s.0 } else { s.1 })
        };
        let bin_f: Vec<f64> = bins(len)
            .into_iter()
            .map(|b| bin_frequency(len, b))
            .collect();
        fig.series.push(
            Series::pending("S₁₁ + S₂₂, Monte Carlo", bin_f.clone())
                .in_plot(2)
                .colored(2),
        );
        fig.series.push(
            Series::curve(
                "S₁₁ + S₂₂, exact discrete",
                SeriesKind::TheoryDiscrete,
                &fs,
                |f| spec(&lin, f, 0),
            )
            .in_plot(2),
        );
        fig.series.push(
            Series::curve(
                "S₁₁ + S₂₂, continuous time",
                SeriesKind::TheoryContinuous,
                &fs,
                |f| spec(&lin_c, f, 0),
            )
            .in_plot(2),
        );
        fig.series.push(
            Series::pending("Monte Carlo (one trajectory)", bin_f.clone())
                .in_plot(3)
                .colored(2),
        );
        fig.series.push(
            Series::curve("exact discrete", SeriesKind::TheoryDiscrete, &fs, |f| {
                spec(&lin, f, 1)
            })
            .in_plot(3),
        );
        fig.series.push(
            Series::curve("continuous time", SeriesKind::TheoryContinuous, &fs, |f| {
                spec(&lin_c, f, 1)
            })
            .in_plot(3),
        );

        fig.series.push(
            Series::pending("S₁₁ (first weight), Monte Carlo", bin_f)
                .in_plot(2)
                .colored(4),
        );
        fig.series.push(
            Series::curve(
                "S₁₁ (first weight), exact discrete",
                SeriesKind::TheoryOther,
                &fs,
                |f| lin.as_ref().and_then(|l| l.s11(f)),
            )
            .in_plot(2)
            .styled(Style::Line)
            .colored(6),
        );

        // Readouts that do not depend on the Monte Carlo.
        let rot = &fig.series[ROT];
        let peak = rot
            .x
            .iter()
            .zip(&rot.y)
            .filter(|(_, y)| y.is_finite())
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .filter(|(_, y)| y.abs() > 0.0 && disc.as_ref().is_some_and(|(_, c)| !no_current(c)))
            .map(|(x, _)| *x);
        let s11_peak = lin.as_ref().and_then(|l| interior_peak(|f| l.s11(f)));
        let phi_angle = disc
            .as_ref()
            .and_then(|(s, _)| s.try_inverse())
            .and_then(|inv| axes_angle(&inv, &k));
        let phi_c_angle = cont
            .as_ref()
            .and_then(|(s, _)| s.try_inverse())
            .and_then(|inv| axes_angle(&inv, &k));
        fig.readouts = vec![
            Readout::new(
                "theta",
                "angle θ between the eigenbases of C and K (°)",
                Some(theta),
            ),
            Readout::new(
                "circulation",
                "circulation E[w_t × w_{t+1}] at θ, exact discrete",
                disc.as_ref().map(|(_, c)| c.circulation),
            ),
            Readout::new(
                "circulation_continuous",
                "circulation at θ, continuous time (one step's lag)",
                cont.as_ref().map(|(_, c)| c.circulation),
            ),
            Readout::new(
                "phi_axes_angle",
                "angle between the principal axes of Φ and of f (°), exact discrete",
                phi_angle,
            ),
            Readout::new(
                "phi_c_axes_angle",
                "the same for the continuous-time Φ (°)",
                phi_c_angle,
            ),
            Readout::new(
                "rotation_peak_f",
                "frequency where the rotational spectrum peaks (1/step)",
                peak,
            ),
            Readout::new(
                "s11_peak_f",
                "frequency of an interior peak of S₁₁, one weight's spectrum (1/step; none if \
                 its largest value is at f = 0 or ½)",
                s11_peak.map(|p| p.0),
            ),
            Readout::new(
                "s11_peak_over_zero",
                "S₁₁ at that peak over S₁₁(0)",
                s11_peak.map(|p| p.1),
            ),
            Readout::new(
                "trace_peak_f",
                "frequency of an interior peak of S₁₁ + S₂₂ (none in a linear model)",
                lin.as_ref()
                    .and_then(|l| interior_peak(|f| l.spectrum(f).map(|s| s.0)))
                    .map(|p| p.0),
            ),
        ];
        fig.jobs = p.points as usize + 1;
        fig
    }

    fn job(&self, p: &Params, i: usize) -> Vec<Patch> {
        let thetas = angles(p);
        if let Some(&theta) = thetas.get(i) {
            let (y, se) = Linear::discrete(p, theta)
                .and_then(|lin| circulation_mc(&lin, p.walkers, p.steps, job_seed(p.seed, i)))
                .map_or((None, None), |(m, s)| (Some(m), Some(s)));
            return vec![Patch::point(CIRC_MC, i, y, se)];
        }
        if i != thetas.len() {
            return Vec::new();
        }
        let len = segment(p);
        let segments = ((p.walkers * p.steps.max(1)) as usize / len).max(MIN_SEGMENTS);
        let Some(lin) = Linear::discrete(p, angle(p)) else {
            return Vec::new();
        };
        let bins = spectrum_mc(&lin, len, segments, job_seed(p.seed, i));
        let col = |k: usize| bins.iter().map(|b| b[k]).collect::<Vec<_>>();
        vec![
            Patch {
                series: POWER_MC.into(),
                index: 0,
                x: None,
                y: col(0),
                y_err: Some(col(1)),
            },
            Patch {
                series: ROT_MC.into(),
                index: 0,
                x: None,
                y: col(2),
                y_err: Some(col(3)),
            },
            Patch {
                series: S11_MC.into(),
                index: 0,
                x: None,
                y: col(4),
                y_err: Some(col(5)),
            },
        ]
    }

    fn finish(&self, p: &Params, fig: &mut Figure) {
        // Monte Carlo against the exact theory, in standard errors.
        let z_of =
            |y: f64, e: f64, want: f64| (y.is_finite() && e > 0.0).then(|| (y - want).abs() / e);
        let max = |it: &mut dyn Iterator<Item = f64>| {
            it.fold(None, |m: Option<f64>, z| Some(m.map_or(z, |m| m.max(z))))
        };
        let mc = &fig.series[CIRC_MC];
        let errs = mc.y_err.clone().unwrap_or_default();
        let z_circ = max(&mut mc
            .x
            .iter()
            .zip(&mc.y)
            .zip(&errs)
            .filter_map(|((&t, &y), &e)| {
                let want = discrete_at(p, t)?.1.circulation;
                z_of(y, e, want)
            }));
        let len = segment(p);
        let expected = Linear::discrete(p, angle(p)).map(|l| expected_bins(&l, len));
        let z_spec = expected.as_ref().and_then(|ex| {
            let mut zs = Vec::new();
            for (series, part) in [(POWER_MC, 0), (ROT_MC, 1), (S11_MC, 2)] {
                let s = &fig.series[series];
                let e = s.y_err.clone().unwrap_or_default();
                for (j, want) in ex.iter().enumerate() {
                    let want = [want.0, want.1, want.2][part];
                    if let (Some(&y), Some(&e)) = (s.y.get(j), e.get(j)) {
                        zs.extend(z_of(y, e, want));
                    }
                }
            }
            max(&mut zs.into_iter())
        });
        fig.readouts
            .retain(|r| r.key != "z_circulation_max" && r.key != "z_spectrum_max");
        fig.readouts.push(Readout::new(
            "z_circulation_max",
            "largest |Monte Carlo − exact| circulation, in standard errors",
            z_circ,
        ));
        fig.readouts.push(Readout::new(
            "z_spectrum_max",
            "largest |Monte Carlo − exact| spectral bin (segments of L steps), in standard errors",
            z_spec,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fft_of_the_lag_sums_is_the_expected_periodogram() {
        let p = crate::panels::query::defaults("limit-cycles");
        let lin = Linear::discrete(&p, 30.0).unwrap();
        let len = 256;
        let fast = expected_bins(&lin, len);
        for (k, &(a, b)) in bins(len).iter().enumerate() {
            let (mut s, mut r) = (0.0, 0.0);
            for j in a..b {
                let (x, y) = lin.periodogram(len, j as f64 / len as f64);
                s += x;
                r += y;
            }
            let n = (b - a) as f64;
            let (s, r) = (s / n, r / n);
            assert!(
                (fast[k].0 - s).abs() < 1e-9 * s.abs().max(1.0),
                "{k}: {:?} vs {s}",
                fast[k]
            );
            assert!(
                (fast[k].1 - r).abs() < 1e-9 * s.abs().max(1.0),
                "{k}: {:?} vs {r}",
                fast[k]
            );
            // One weight: R₁₁(0) + 2 Σ (1 − τ/L) (A^τΣ)₁₁ cos ωτ, summed directly.
            let mut s11 = 0.0;
            for j in a..b {
                let omega = std::f64::consts::TAU * j as f64 / len as f64;
                let mut r = lin.sigma;
                let mut v = r[(0, 0)];
                for tau in 1..len {
                    r = lin.a * r;
                    v += 2.0
                        * (1.0 - tau as f64 / len as f64)
                        * r[(0, 0)]
                        * (omega * tau as f64).cos();
                }
                s11 += v;
            }
            let s11 = s11 / n;
            assert!((fast[k].2 - s11).abs() < 1e-9 * s11.abs().max(1.0), "{k}");
        }
    }

    #[test]
    fn the_fft_matches_a_direct_dft() {
        let n = 64;
        let x: Vec<f64> = (0..n).map(|i| ((i * 7 % 11) as f64 - 5.0) * 0.3).collect();
        let y: Vec<f64> = (0..n).map(|i| ((i * 5 % 13) as f64 - 6.0) * 0.2).collect();
        let (mut re, mut im) = (x.clone(), y.clone());
        fft(&mut re, &mut im, &twiddles(n));
        for k in 0..n {
            let (mut a, mut b) = (0.0, 0.0);
            for t in 0..n {
                let phi = -std::f64::consts::TAU * (k * t) as f64 / n as f64;
                let (s, c) = phi.sin_cos();
                a += x[t] * c - y[t] * s;
                b += x[t] * s + y[t] * c;
            }
            assert!(
                (re[k] - a).abs() < 1e-12 && (im[k] - b).abs() < 1e-12,
                "{k}"
            );
        }
    }
}
