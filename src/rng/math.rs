//! The lane arrays the walker kernels work on, and a natural logarithm and cos/sin of a turn
//! written with plain arithmetic and bit operations, so that it gives bit-identical results on every platform (no
//! libm), which keeps a seed meaning the same walkers natively and in WebAssembly. Accurate to a
//! few units in the last place for the arguments the samplers use.

/// Number of lanes processed together.
pub const LANES: usize = 16;

/// A lane array of f64.
pub type F = [f64; LANES];

const SQRT2: f64 = std::f64::consts::SQRT_2;
const LN2: f64 = std::f64::consts::LN_2;

/// ln x for one x in (0, 1] (a normal number).
///
/// x = 2ᵉ·m with m ∈ [1/√2, √2); ln m = 2 atanh s = 2(s + s³/3 + …), s = (m − 1)/(m + 1),
/// |s| ≤ 0.1716, summed to s²¹ (truncation below 1e-17).
#[inline(always)]
pub fn ln1(x: f64) -> f64 {
    let bits = x.to_bits();
    // Exponent as f64 without an int→float conversion: 2⁵² + e₀ read as a double.
    let e =
        f64::from_bits(0x4330_0000_0000_0000 | (bits >> 52)) - (4_503_599_627_370_496.0 + 1023.0);
    let m = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000);
    let big = m > SQRT2;
    let m = if big { m * 0.5 } else { m };
    let e = if big { e + 1.0 } else { e };
    let s = (m - 1.0) / (m + 1.0);
    let z = s * s;
    let p = 1.0 / 21.0;
    let p = p * z + 1.0 / 19.0;
    let p = p * z + 1.0 / 17.0;
    let p = p * z + 1.0 / 15.0;
    let p = p * z + 1.0 / 13.0;
    let p = p * z + 1.0 / 11.0;
    let p = p * z + 1.0 / 9.0;
    let p = p * z + 1.0 / 7.0;
    let p = p * z + 1.0 / 5.0;
    let p = p * z + 1.0 / 3.0;
    let p = p * z + 1.0;
    e * LN2 + 2.0 * s * p
}

/// (cos φ, sin φ) for φ = 2π(u − ½), u ∈ [0, 1): half-angle Taylor series on [−π/2, π/2)
/// (truncation below 2e-17), then the double-angle formulas.
#[inline(always)]
/// (The spectrum of the limit-cycles panel takes its twiddle factors from here.)
pub fn cos_sin_turn(u: &F) -> (F, F) {
    let mut c = [0.0; LANES];
    let mut s = [0.0; LANES];
    for i in 0..LANES {
        let h = std::f64::consts::PI * (u[i] - 0.5);
        let z = h * h;
        // sin h = h Σ (−z)ᵏ/(2k+1)!, cos h = Σ (−z)ᵏ/(2k)!
        let sp = -1.0 / 51_090_942_171_709_440_000.0; // 1/21!
        let sp = sp * z + 1.0 / 121_645_100_408_832_000.0; // 1/19!
        let sp = sp * z - 1.0 / 355_687_428_096_000.0; // 1/17!
        let sp = sp * z + 1.0 / 1_307_674_368_000.0; // 1/15!
        let sp = sp * z - 1.0 / 6_227_020_800.0; // 1/13!
        let sp = sp * z + 1.0 / 39_916_800.0; // 1/11!
        let sp = sp * z - 1.0 / 362_880.0; // 1/9!
        let sp = sp * z + 1.0 / 5_040.0; // 1/7!
        let sp = sp * z - 1.0 / 120.0; // 1/5!
        let sp = sp * z + 1.0 / 6.0; // 1/3!
        let sh = h - h * z * sp;
        let cp = 1.0 / 2_432_902_008_176_640_000.0; // 1/20!
        let cp = cp * z - 1.0 / 6_402_373_705_728_000.0; // 1/18!
        let cp = cp * z + 1.0 / 20_922_789_888_000.0; // 1/16!
        let cp = cp * z - 1.0 / 87_178_291_200.0; // 1/14!
        let cp = cp * z + 1.0 / 479_001_600.0; // 1/12!
        let cp = cp * z - 1.0 / 3_628_800.0; // 1/10!
        let cp = cp * z + 1.0 / 40_320.0; // 1/8!
        let cp = cp * z - 1.0 / 720.0; // 1/6!
        let cp = cp * z + 1.0 / 24.0; // 1/4!
        let cp = cp * z - 1.0 / 2.0; // 1/2!
        let ch = 1.0 + z * cp;
        c[i] = (ch - sh) * (ch + sh);
        s[i] = 2.0 * sh * ch;
    }
    (c, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_is_accurate() {
        let mut worst: f64 = 0.0;
        for k in 1..=100_000u64 {
            let x = (k as f64) / 100_000.0 * (1.0 - 1e-12) + 1e-15 * (k % 7) as f64;
            let got = ln1(x);
            let want = x.ln();
            worst = worst.max((got - want).abs() / want.abs().max(1e-300).max(1e-16));
        }
        for x in [
            f64::EPSILON,
            2.2e-16,
            1e-10,
            0.5,
            0.7,
            std::f64::consts::FRAC_1_SQRT_2,
            1.0,
        ] {
            let got = ln1(x);
            assert!(
                (got - x.ln()).abs() <= 4e-16 * x.ln().abs().max(1.0),
                "ln({x}) = {got}"
            );
        }
        assert!(worst < 1e-14, "worst relative error {worst}");
    }

    #[test]
    fn cos_sin_are_accurate() {
        for k in 0..=10_000 {
            let u = k as f64 / 10_000.0 * (1.0 - 1e-16);
            let (c, s) = cos_sin_turn(&[u; LANES]);
            let phi = std::f64::consts::TAU * (u - 0.5);
            assert!(
                (c[0] - phi.cos()).abs() < 1e-15 && (s[0] - phi.sin()).abs() < 1e-15,
                "u = {u}"
            );
        }
    }
}
