//! The walkers' normal sampler (`LaneRng::normals`, the ziggurat of `src/rng/mod.rs`) against
//! N(0, 1): mean, variance, skewness, kurtosis, tail probabilities and a χ² test over 182 bins,
//! each within 5 standard errors (fixed seed, tolerances from the sample size); and the same
//! numbers for the same seed.

use nqm_explorer::rng::math::LANES;
use nqm_explorer::rng::{tables, LaneRng};

/// The standard normal density.
fn phi(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// P(a < z < b) for finite a < b, by Simpson's rule (error far below 1e-13 here).
fn prob(a: f64, b: f64) -> f64 {
    let n = 200;
    let h = (b - a) / n as f64;
    let inner: f64 = (1..n)
        .map(|k| phi(a + k as f64 * h) * if k % 2 == 1 { 4.0 } else { 2.0 })
        .sum();
    (phi(a) + phi(b) + inner) * h / 3.0
}

#[test]
fn the_normals_are_standard_normal() {
    let mut rng = LaneRng::new(2024);
    let rounds = 1 << 19;
    let n = (2 * LANES * rounds) as f64;
    // Bins: (−∞, −4.5), 180 bins of width 0.05 over [−4.5, 4.5), [4.5, ∞).
    let (lo, width, inner) = (-4.5, 0.05, 180usize);
    let mut hist = vec![0u64; inner + 2];
    let (mut s1, mut s2, mut s3, mut s4) = (0.0, 0.0, 0.0, 0.0);
    let mut beyond = [0u64; 4];
    let cuts = [1.0, 2.0, 3.0, tables::R];
    let mut positive = 0u64;
    for _ in 0..rounds {
        let (a, b) = rng.normals();
        for z in a.into_iter().chain(b) {
            assert!(z.is_finite());
            s1 += z;
            s2 += z * z;
            s3 += z * z * z;
            s4 += z * z * z * z;
            positive += u64::from(z > 0.0);
            for (c, count) in cuts.iter().zip(beyond.iter_mut()) {
                *count += u64::from(z.abs() > *c);
            }
            let k = ((z - lo) / width).floor();
            hist[if k < 0.0 {
                0
            } else {
                (k as usize + 1).min(inner + 1)
            }] += 1;
        }
    }
    let mean = s1 / n;
    let var = s2 / n - mean * mean;
    let m3 = s3 / n - 3.0 * mean * s2 / n + 2.0 * mean.powi(3);
    let m4 = s4 / n - 4.0 * mean * s3 / n + 6.0 * mean * mean * s2 / n - 3.0 * mean.powi(4);
    let within = |got: f64, want: f64, se: f64, what: &str| {
        let dev = (got - want) / se;
        assert!(dev.abs() < 5.0, "{what}: {got} vs {want} ({dev:.2} s.e.)");
    };
    // Standard errors for N(0, 1): mean 1/√n, variance √(2/n), skewness √(6/n), kurtosis √(24/n).
    within(mean, 0.0, (1.0 / n).sqrt(), "mean");
    within(var, 1.0, (2.0 / n).sqrt(), "variance");
    within(m3 / var.powf(1.5), 0.0, (6.0 / n).sqrt(), "skewness");
    within(m4 / (var * var), 3.0, (24.0 / n).sqrt(), "kurtosis");
    within(positive as f64 / n, 0.5, (0.25 / n).sqrt(), "P(z > 0)");
    // P(|z| > c) = erfc(c/√2); r is where the ziggurat's tail algorithm takes over.
    let tails = [
        0.31731050786291415,
        0.04550026389635842,
        0.0026997960632601866,
        tables::TAIL,
    ];
    for ((c, count), p) in cuts.iter().zip(beyond).zip(tails) {
        within(
            count as f64 / n,
            p,
            (p * (1.0 - p) / n).sqrt(),
            &format!("P(|z| > {c})"),
        );
    }
    assert!(beyond[3] > 200, "the tail was sampled {} times", beyond[3]);
    // χ² over the bins (expected counts ≥ 17): below its mean + 5 standard deviations.
    let p_out = 0.5 * 6.795_346_249_460_1e-6; // P(z > 4.5) = erfc(4.5/√2)/2
    let expected: Vec<f64> = (0..inner + 2)
        .map(|k| match k {
            0 => p_out,
            k if k == inner + 1 => p_out,
            k => {
                let a = lo + (k - 1) as f64 * width;
                prob(a, a + width)
            }
        })
        .collect();
    assert!((expected.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    let chi2: f64 = hist
        .iter()
        .zip(&expected)
        .map(|(&o, &p)| (o as f64 - n * p).powi(2) / (n * p))
        .sum();
    let dof = (inner + 1) as f64;
    assert!(
        chi2 < dof + 5.0 * (2.0 * dof).sqrt(),
        "χ² = {chi2:.1} with {dof} degrees of freedom"
    );
}

#[test]
fn a_seed_gives_the_same_normals_and_another_seed_different_ones() {
    let draw = |seed: u64| {
        let mut rng = LaneRng::new(seed);
        (0..20_000)
            .flat_map(|_| {
                let (a, b) = rng.normals();
                a.into_iter().chain(b).map(f64::to_bits).collect::<Vec<_>>()
            })
            .collect::<Vec<u64>>()
    };
    let first = draw(7);
    assert_eq!(first, draw(7));
    let other = draw(8);
    let same = first.iter().zip(&other).filter(|(a, b)| a == b).count();
    assert!(same < 10, "{same} equal numbers for different seeds");
    // Pinned: the first normals of seed 7 in lanes 0 … 3 (they change only with the algorithm,
    // and are the same natively and in WebAssembly).
    let pinned: Vec<f64> = first[..4].iter().map(|b| f64::from_bits(*b)).collect();
    assert_eq!(pinned, PINNED_SEED_7);
}

/// See `a_seed_gives_the_same_normals_and_another_seed_different_ones`.
const PINNED_SEED_7: [f64; 4] = [
    0.12677105060601496,
    -0.6416472924812707,
    1.1396099377096252,
    0.960189230389203,
];
