//! Monte Carlo of a stationary 2-D linear process w_{t+1} = A w_t + ε_t
//! ([`LinearProcess`]: SGD near a minimum, or its continuous-time counterpart): the circulation
//! E[w_t × w_{t+1}] over many runs, and the binned spectra of one long trajectory, each checked
//! against its exact value in [`crate::theory::power_spectra`] and [`crate::theory::current`]. Runs
//! start from the exact stationary N(0, Σ), so every step is stationary.

use crate::linalg::fft::Fft;
use crate::linalg::psd_cholesky;
use crate::rng::math::LANES;
use crate::rng::{LaneRng, Scalar};
use crate::theory::power_spectra::{bins, LinearProcess, Spectra};
use nalgebra::{DMatrix, Matrix2};

/// The Cholesky factor [l₀₀, l₁₀, l₁₁] of a semi-definite 2 × 2 matrix.
fn cholesky(m: &Matrix2<f64>) -> [f64; 3] {
    let [l00, _, l10, l11] = psd_cholesky(&DMatrix::from_column_slice(2, 2, m.as_slice()));
    [l00, l10, l11]
}

/// The circulation measured by Monte Carlo: `walkers` runs of `steps` steps of `process`
/// (ε with covariance Q), each started from N(0, Σ), sixteen in lock-step on the lanes of one
/// [`LaneRng`] seeded with `seed`; each run's mean of w_t × w_{t+1} over its steps, then their
/// mean and standard error over the runs. `None` for fewer than two runs or no step.
pub fn circulation(
    process: &LinearProcess,
    walkers: u64,
    steps: u64,
    seed: u64,
) -> Option<(f64, f64)> {
    if walkers < 2 || steps == 0 {
        return None;
    }
    let mut rng = LaneRng::new(seed);
    let ls = cholesky(&process.sigma);
    let lq = cholesky(&process.q);
    let a = process.a;
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

/// The segment length L of a spectrum estimate for a process whose slowest mode decays at the
/// rate λk_min per step: a power of two of at least 50 correlation times 1/(λk_min) (so that
/// the periodogram resolves the spectrum's structure), within [64, 8192].
pub fn segment_length(lr: f64, k_min: f64) -> usize {
    let target = if k_min > 0.0 {
        50.0 / (lr * k_min)
    } else {
        f64::INFINITY
    };
    (target.clamp(64.0, 8192.0) as usize)
        .next_power_of_two()
        .min(8192)
}

/// One bin of [`binned_spectra`]: the mean over segments and its standard error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpectraEstimate {
    /// The mean over segments.
    pub mean: Spectra,
    /// Its standard error, from the spread over segments.
    pub se: Spectra,
}

/// The binned spectra of one trajectory: `segments` consecutive segments of `len` steps (a
/// power of two) of `process` from N(0, Σ), random numbers from `seed` (two scalar normals per
/// step); for each bin of [`bins`], the mean over segments of the bin-averaged
/// ½[I(f) + I(−f)], I(f) − I(−f), I = |Σ_t z_t e^{−2πift}|²/L, z = w₁ + i w₂, and I₁₁(f) of the
/// first weight alone (its transform is X_j = ½[Z_j + conj Z_{L−j}]), with the standard errors
/// from their spread over segments. Empty for fewer than two segments.
pub fn binned_spectra(
    process: &LinearProcess,
    len: usize,
    segments: usize,
    seed: u64,
) -> Vec<SpectraEstimate> {
    let bins = bins(len);
    // Per bin and part: the sum over segments and the sum of squares.
    let mut sums = vec![[[0.0f64; 2]; 3]; bins.len()];
    if segments < 2 {
        return Vec::new();
    }
    let mut walk = Walk::start(process, seed);
    let fft = Fft::new(len);
    let (mut re, mut im) = (vec![0.0; len], vec![0.0; len]);
    for _ in 0..segments {
        walk.fill(&mut re, &mut im);
        fft.transform(&mut re, &mut im);
        for (slot, &bin) in sums.iter_mut().zip(&bins) {
            for (part, v) in slot.iter_mut().zip(bin_periodogram(&re, &im, bin)) {
                part[0] += v;
                part[1] += v * v;
            }
        }
    }
    let k = segments as f64;
    let mean_se = |[sum, sum_sq]: [f64; 2]| {
        let m = sum / k;
        let se = ((sum_sq - k * m * m) / (k - 1.0)).max(0.0).sqrt() / k.sqrt();
        (m, se)
    };
    sums.into_iter()
        .map(|parts| {
            let [trace, rotation, first] = parts.map(mean_se);
            SpectraEstimate {
                mean: Spectra {
                    trace: trace.0,
                    rotation: rotation.0,
                    first: first.0,
                },
                se: Spectra {
                    trace: trace.1,
                    rotation: rotation.1,
                    first: first.1,
                },
            }
        })
        .collect()
}

/// The periodogram of one segment's transform (re, im) of z, averaged over the Fourier
/// frequencies j ∈ [lo, hi): ½[I(f) + I(−f)], I(f) − I(−f) and I₁₁(f).
fn bin_periodogram(re: &[f64], im: &[f64], (lo, hi): (usize, usize)) -> [f64; 3] {
    let len = re.len();
    let power = |j: usize| (re[j] * re[j] + im[j] * im[j]) / len as f64;
    let power11 = |j: usize| {
        let (x, y) = (re[j] + re[len - j], im[j] - im[len - j]);
        0.25 * (x * x + y * y) / len as f64
    };
    let (mut s, mut r, mut s11) = (0.0, 0.0, 0.0);
    for j in lo..hi {
        let (pos, neg) = (power(j), power(len - j));
        s += 0.5 * (pos + neg);
        r += pos - neg;
        s11 += power11(j);
    }
    let n = (hi - lo) as f64;
    [s / n, r / n, s11 / n]
}

/// One trajectory of a process, drawn step by step.
struct Walk {
    rng: LaneRng,
    scalar: Scalar,
    a: Matrix2<f64>,
    /// The Cholesky factor of Q.
    lq: [f64; 3],
    /// The state (w₁, w₂).
    x: f64,
    y: f64,
}

impl Walk {
    /// A trajectory from N(0, Σ), random numbers from `seed`.
    fn start(process: &LinearProcess, seed: u64) -> Walk {
        let mut rng = LaneRng::new(seed);
        let mut scalar = Scalar::default();
        let ls = cholesky(&process.sigma);
        let (z0, z1) = (scalar.normal(&mut rng), scalar.normal(&mut rng));
        Walk {
            rng,
            scalar,
            a: process.a,
            lq: cholesky(&process.q),
            x: ls[0] * z0,
            y: ls[1] * z0 + ls[2] * z1,
        }
    }

    /// The next states, as many as `re` holds: w₁ into `re`, w₂ into `im`.
    fn fill(&mut self, re: &mut [f64], im: &mut [f64]) {
        let (a, lq) = (self.a, self.lq);
        for (r, i) in re.iter_mut().zip(im.iter_mut()) {
            *r = self.x;
            *i = self.y;
            let e0 = self.scalar.normal(&mut self.rng);
            let e1 = self.scalar.normal(&mut self.rng);
            let nx = a[(0, 0)] * self.x + a[(0, 1)] * self.y + lq[0] * e0;
            let ny = a[(1, 0)] * self.x + a[(1, 1)] * self.y + lq[1] * e0 + lq[2] * e1;
            self.x = nx;
            self.y = ny;
        }
    }
}
