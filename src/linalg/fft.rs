//! The discrete Fourier transform of a power-of-two length, X_j = Σ_t x_t e^{−2πi jt/n}, by the
//! in-place radix-2 Cooley–Tukey algorithm, with twiddle factors from the platform-independent
//! [`cos_sin_turn`], so that a seed gives the same spectrum natively and in WebAssembly.

use crate::rng::math::{cos_sin_turn, LANES};

/// A transform of one length n (a power of two): its twiddle factors, computed once.
#[derive(Clone, Debug, PartialEq)]
pub struct Fft {
    /// e^{−2πik/n}, k = 0 … n/2 − 1, as (cos, sin).
    twiddles: Vec<(f64, f64)>,
}

impl Fft {
    /// The transform of length `n`, a power of two.
    pub fn new(n: usize) -> Fft {
        let half = n / 2;
        let mut twiddles = Vec::with_capacity(half);
        for chunk in (0..half).collect::<Vec<_>>().chunks(LANES) {
            // φ = 2π(u − ½) = −2πk/n  ⇔  u = ½ − k/n.
            let mut u = [0.5; LANES];
            for (slot, &k) in u.iter_mut().zip(chunk) {
                *slot = 0.5 - k as f64 / n as f64;
            }
            let (c, s) = cos_sin_turn(&u);
            for i in 0..chunk.len() {
                twiddles.push((c[i], s[i]));
            }
        }
        Fft { twiddles }
    }

    /// Replaces (re, im), of the transform's length, by its transform.
    pub fn transform(&self, re: &mut [f64], im: &mut [f64]) {
        let n = re.len();
        debug_assert!(n.is_power_of_two() && n / 2 == self.twiddles.len());
        bit_reverse(re, im);
        let mut len = 2;
        while len <= n {
            let stride = n / len;
            for start in (0..n).step_by(len) {
                for k in 0..len / 2 {
                    let (c, s) = self.twiddles[k * stride];
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
}

/// Puts (re, im) in bit-reversed order of their indices.
fn bit_reverse(re: &mut [f64], im: &mut [f64]) {
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
}
