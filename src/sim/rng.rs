//! The walkers' random numbers: [`LANES`] (16) Xoshiro256++ streams advanced in lock-step (so the
//! generator vectorises), seeded through SplitMix64 from one 64-bit seed, and exact standard
//! normals by the Box–Muller transform with the platform-independent [`super::math`] functions.
//! Integer and floating-point operations only, so a seed gives the same numbers on every
//! platform, natively and in WebAssembly.

use super::math::{cos_sin_turn, ln, F, LANES};

/// [`LANES`] Xoshiro256++ generators in lock-step.
#[derive(Clone, Debug)]
pub struct LaneRng {
    s: [[u64; LANES]; 4],
}

/// SplitMix64, the seeding generator recommended for the xoshiro family.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A double in [0, 1) from the top 52 bits: the bits of 1.x minus 1 (exact).
#[inline(always)]
fn unit(u: u64) -> f64 {
    f64::from_bits((u >> 12) | 0x3FF0_0000_0000_0000) - 1.0
}

impl LaneRng {
    /// The generators for `seed`.
    pub fn new(seed: u64) -> LaneRng {
        let mut sm = seed;
        let mut s = [[0u64; LANES]; 4];
        for lane in 0..LANES {
            for word in s.iter_mut() {
                word[lane] = splitmix64(&mut sm);
            }
        }
        LaneRng { s }
    }

    /// One 64-bit output per lane (Xoshiro256++).
    #[inline(always)]
    pub fn next_u64(&mut self) -> [u64; LANES] {
        let [s0, s1, s2, s3] = &mut self.s;
        let mut out = [0u64; LANES];
        for i in 0..LANES {
            out[i] = s0[i]
                .wrapping_add(s3[i])
                .rotate_left(23)
                .wrapping_add(s0[i]);
            let t = s1[i] << 17;
            s2[i] ^= s0[i];
            s3[i] ^= s1[i];
            s1[i] ^= s2[i];
            s0[i] ^= s3[i];
            s2[i] ^= t;
            s3[i] = s3[i].rotate_left(45);
        }
        out
    }

    /// Uniform doubles in [0, 1), one per lane.
    #[inline(always)]
    pub fn uniform(&mut self) -> F {
        let u = self.next_u64();
        let mut out = [0.0; LANES];
        for i in 0..LANES {
            out[i] = unit(u[i]);
        }
        out
    }

    /// Two independent standard normals per lane (Box–Muller):
    /// z₀ = √(−2 ln u₁) cos 2πu₂, z₁ = √(−2 ln u₁) sin 2πu₂ with u₁ ∈ (0, 1].
    #[inline(always)]
    pub fn normals(&mut self) -> (F, F) {
        let a = self.next_u64();
        let b = self.next_u64();
        let mut u1 = [0.0; LANES];
        let mut u2 = [0.0; LANES];
        for i in 0..LANES {
            u1[i] = 1.0 - unit(a[i]);
            u2[i] = unit(b[i]);
        }
        let l = ln(&u1);
        let (c, s) = cos_sin_turn(&u2);
        let mut z0 = [0.0; LANES];
        let mut z1 = [0.0; LANES];
        for i in 0..LANES {
            let r = (-2.0 * l[i]).sqrt();
            z0[i] = r * c[i];
            z1[i] = r * s[i];
        }
        (z0, z1)
    }
}

/// A scalar view of a [`LaneRng`] for the slower samplers (Student-t, χ², minibatches): it
/// hands out the lanes' numbers one at a time, refilling all lanes together.
#[derive(Clone, Debug)]
pub struct Scalar {
    normals: Vec<f64>,
    uniforms: Vec<u64>,
}

impl Default for Scalar {
    fn default() -> Self {
        Scalar {
            normals: Vec::with_capacity(2 * LANES),
            uniforms: Vec::with_capacity(LANES),
        }
    }
}

impl Scalar {
    /// The next standard normal.
    pub fn normal(&mut self, rng: &mut LaneRng) -> f64 {
        if self.normals.is_empty() {
            let (a, b) = rng.normals();
            self.normals.extend_from_slice(&b);
            self.normals.extend_from_slice(&a);
        }
        self.normals.pop().expect("refilled")
    }

    /// The next 64 random bits.
    pub fn bits(&mut self, rng: &mut LaneRng) -> u64 {
        if self.uniforms.is_empty() {
            self.uniforms.extend_from_slice(&rng.next_u64());
        }
        self.uniforms.pop().expect("refilled")
    }

    /// A uniform integer in [0, n), n ≥ 1 (Lemire's multiply-shift with rejection: exact).
    pub fn below(&mut self, rng: &mut LaneRng, n: u64) -> u64 {
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = (self.bits(rng) as u128) * (n as u128);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normals_have_the_right_moments() {
        let mut rng = LaneRng::new(3);
        let (mut s1, mut s2, mut s3, mut s4, mut cross) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let rounds = 100_000;
        for _ in 0..rounds {
            let (a, b) = rng.normals();
            for i in 0..LANES {
                for z in [a[i], b[i]] {
                    s1 += z;
                    s2 += z * z;
                    s3 += z * z * z;
                    s4 += z * z * z * z;
                }
                cross += a[i] * b[i];
            }
        }
        let n = (2 * LANES * rounds) as f64;
        // Standard errors: mean 1/√n, E z² √(2/n), E z³ √(15/n), E z⁴ √(96/n).
        assert!((s1 / n).abs() < 5.0 / n.sqrt());
        assert!((s2 / n - 1.0).abs() < 5.0 * (2.0 / n).sqrt());
        assert!((s3 / n).abs() < 5.0 * (15.0 / n).sqrt());
        assert!((s4 / n - 3.0).abs() < 5.0 * (96.0 / n).sqrt());
        assert!((cross / (n / 2.0)).abs() < 5.0 / (n / 2.0).sqrt());
    }

    #[test]
    fn each_lane_is_a_reference_xoshiro256plusplus() {
        // Lane i is seeded with SplitMix64 outputs 4i … 4i+3 of the seed; every lane must follow
        // the reference generator of rand_xoshiro started from the same state.
        use rand::{Rng, SeedableRng};
        let mut ours = LaneRng::new(42);
        let mut sm = 42u64;
        for lane in 0..LANES {
            let mut bytes = [0u8; 32];
            for w in 0..4 {
                bytes[8 * w..8 * w + 8].copy_from_slice(&splitmix64(&mut sm).to_le_bytes());
            }
            let mut reference = rand_xoshiro::Xoshiro256PlusPlus::from_seed(bytes);
            let mut copy = ours.clone();
            for _ in 0..5 {
                assert_eq!(copy.next_u64()[lane], reference.next_u64());
            }
        }
        let _ = ours.next_u64();
    }
}
