//! The non-Gaussian noise samplers of Liu et al.'s Fig. 8 (`LaneRng::fill_chi2`,
//! `fill_chi2_unit`, `fill_student_unit`, and their scalar forms on `Scalar`): moments, tail
//! probabilities and a Kolmogorov–Smirnov test against the exact distribution functions, with a
//! fixed seed and tolerances from the sample size; and the numbers a seed draws, pinned, since a
//! change of them changes what a permalink's seed means (schema version 3).

use nqm_explorer::linalg::erf;
use nqm_explorer::rng::math::{F, LANES};
use nqm_explorer::rng::{LaneRng, Scalar};

/// `rounds` rounds of `fill` (all lanes).
fn draw(seed: u64, rounds: usize, fill: impl Fn(&mut LaneRng, &mut F)) -> Vec<f64> {
    let mut rng = LaneRng::new(seed);
    let mut out = Vec::with_capacity(rounds * LANES);
    let mut z = [0.0; LANES];
    for _ in 0..rounds {
        fill(&mut rng, &mut z);
        out.extend_from_slice(&z);
    }
    out
}

/// P(χ²_k ≤ x) for k = 1 … 4, by the closed forms of the regularised incomplete gamma function.
fn chi2_cdf(k: u32, x: f64) -> f64 {
    let h = 0.5 * x;
    let root = |x: f64| (2.0 * x / std::f64::consts::PI).sqrt() * (-0.5 * x).exp();
    match k {
        1 => erf(h.sqrt()),
        2 => 1.0 - (-h).exp(),
        3 => erf(h.sqrt()) - root(x),
        4 => 1.0 - (-h).exp() * (1.0 + h),
        _ => unreachable!(),
    }
}

/// P(T ≤ t) for Student-t with 4 degrees of freedom.
fn t4_cdf(t: f64) -> f64 {
    let s = t / (4.0 + t * t).sqrt();
    0.5 + 0.75 * s * (1.0 - s * s / 3.0)
}

/// The Kolmogorov–Smirnov statistic √n·D of `xs` against `cdf`.
fn ks(mut xs: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len() as f64;
    let d = xs.iter().enumerate().fold(0.0f64, |d, (i, &x)| {
        let f = cdf(x);
        d.max((f - i as f64 / n).abs())
            .max(((i + 1) as f64 / n - f).abs())
    });
    d * n.sqrt()
}

/// Asserts that `got` is within 5 standard errors `se` of `want`.
fn within(got: f64, want: f64, se: f64, what: &str) {
    let dev = (got - want) / se;
    assert!(dev.abs() < 5.0, "{what}: {got} vs {want} ({dev:.2} s.e.)");
}

/// Mean and the central moments 2 and 3.
fn moments(xs: &[f64]) -> (f64, f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let m = |p: i32| xs.iter().map(|x| (x - mean).powi(p)).sum::<f64>() / n;
    (mean, m(2), m(3))
}

// √n·D beyond this has probability below 10⁻⁴ under the null hypothesis.
const KS_LIMIT: f64 = 2.2;

#[test]
fn chi2_has_the_moments_of_a_sum_of_squared_normals() {
    // χ²_k: mean k, variance 2k, third central moment 8k; 33 degrees of freedom use two groups
    // of uniforms (16 pairs each) and an odd normal.
    for k in [1u32, 2, 3, 4, 5, 33] {
        let xs = draw(100 + k as u64, 1 << 14, |r, z| r.fill_chi2(k, z));
        let n = xs.len() as f64;
        let kf = k as f64;
        assert!(xs.iter().all(|x| x.is_finite() && *x >= 0.0));
        let (mean, var, m3) = moments(&xs);
        within(mean, kf, (2.0 * kf / n).sqrt(), &format!("χ²_{k} mean"));
        // The sample variance's variance is (μ₄ − σ⁴)/n, μ₄ = 12k² + 48k for χ²_k.
        let mu4 = 12.0 * kf * kf + 48.0 * kf;
        within(
            var,
            2.0 * kf,
            ((mu4 - 4.0 * kf * kf) / n).sqrt(),
            &format!("χ²_{k} var"),
        );
        // The sample third moment's variance is (μ₆ − μ₃² − 6μ₄μ₂ + 9μ₂³)/n = (48k³ + 1440k²
        // + 3840k)/n for χ²_k; μ₆ = 120k³ + 2080k² + 3840k bounds it.
        let mu6 = 120.0 * kf.powi(3) + 2080.0 * kf * kf + 3840.0 * kf;
        within(
            m3,
            8.0 * kf,
            (mu6 / n).sqrt(),
            &format!("χ²_{k} third moment"),
        );
    }
}

#[test]
fn chi2_follows_its_distribution_function() {
    for k in 1..=4u32 {
        let xs = draw(200 + k as u64, 1 << 14, |r, z| r.fill_chi2(k, z));
        let stat = ks(xs, |x| chi2_cdf(k, x));
        assert!(stat < KS_LIMIT, "χ²_{k}: KS √n·D = {stat:.3}");
    }
}

#[test]
fn centred_chi2_has_unit_variance_and_the_skewness_of_chi2() {
    // Skewness of χ²_k is √(8/k).
    let k = 3u32;
    let xs = draw(7, 1 << 15, |r, z| r.fill_chi2_unit(k, z));
    let n = xs.len() as f64;
    let (mean, var, m3) = moments(&xs);
    within(mean, 0.0, (1.0 / n).sqrt(), "mean");
    within(var, 1.0, (6.0 / n).sqrt(), "variance");
    within(m3, (8.0 / 3.0f64).sqrt(), (40.0 / n).sqrt(), "skewness");
}

#[test]
fn student_t_follows_its_distribution_function_and_tails() {
    // ν = 4, unit variance: t·√2 is a standard t₄.
    let xs = draw(11, 1 << 15, |r, z| r.fill_student_unit(4, z));
    let n = xs.len() as f64;
    let scaled: Vec<f64> = xs.iter().map(|x| x * 2f64.sqrt()).collect();
    let stat = ks(scaled.clone(), t4_cdf);
    assert!(stat < KS_LIMIT, "t₄: KS √n·D = {stat:.3}");
    for c in [3.0, 6.0, 12.0] {
        let p = 2.0 * (1.0 - t4_cdf(c));
        let got = scaled.iter().filter(|x| x.abs() > c).count() as f64 / n;
        within(
            got,
            p,
            (p * (1.0 - p) / n).sqrt(),
            &format!("P(|t₄| > {c})"),
        );
    }
    let positive = xs.iter().filter(|x| **x > 0.0).count() as f64 / n;
    within(positive, 0.5, (0.25 / n).sqrt(), "P(t > 0)");
}

#[test]
fn student_t_with_a_finite_fourth_moment_has_unit_variance_and_its_kurtosis() {
    // ν = 9 (odd: its χ² takes a normal): kurtosis 3 + 6/(ν − 4) = 4.2; the variance's
    // standard error is √((κ − 1)/n).
    let xs = draw(13, 1 << 15, |r, z| r.fill_student_unit(9, z));
    let n = xs.len() as f64;
    let (mean, var, _) = moments(&xs);
    within(mean, 0.0, (1.0 / n).sqrt(), "mean");
    within(var, 1.0, (3.2 / n).sqrt(), "variance");
    let m4 = xs.iter().map(|x| x.powi(4)).sum::<f64>() / n;
    assert!((m4 - 4.2).abs() < 0.5, "kurtosis {m4}");
}

#[test]
fn the_scalar_samplers_draw_the_same_distributions() {
    let (mut rng, mut sc) = (LaneRng::new(17), Scalar::default());
    let n = 200_000;
    let chi: Vec<f64> = (0..n).map(|_| sc.chi2_unit(&mut rng, 3)).collect();
    let t: Vec<f64> = (0..n).map(|_| sc.student_unit(&mut rng, 9)).collect();
    let nf = n as f64;
    for (xs, what, kurt) in [(chi, "centred χ²_3", 7.0), (t, "Student-t₉", 4.2)] {
        let (mean, var, _) = moments(&xs);
        within(mean, 0.0, (1.0 / nf).sqrt(), &format!("{what} mean"));
        within(
            var,
            1.0,
            ((kurt - 1.0) / nf).sqrt(),
            &format!("{what} variance"),
        );
    }
    let raw: Vec<f64> = (0..n).map(|_| sc.chi2(&mut rng, 4)).collect();
    let stat = ks(raw, |x| chi2_cdf(4, x));
    assert!(stat < KS_LIMIT, "scalar χ²_4: KS √n·D = {stat:.3}");
}

#[test]
fn a_seed_draws_these_numbers() {
    // What a seed means for Student-t and χ² noise since schema version 3: a change here
    // changes every permalink's Monte Carlo points and needs a new version.
    let first = |fill: &dyn Fn(&mut LaneRng, &mut F)| {
        let mut rng = LaneRng::new(1);
        let mut z = [0.0; LANES];
        fill(&mut rng, &mut z);
        fill(&mut rng, &mut z);
        [z[0], z[7], z[15]].map(f64::to_bits)
    };
    let student = first(&|r, z| r.fill_student_unit(4, z));
    let chi2 = first(&|r, z| r.fill_chi2_unit(3, z));
    assert_eq!(student, STUDENT_SEED_1, "{student:#x?}");
    assert_eq!(chi2, CHI2_SEED_1, "{chi2:#x?}");
}

const STUDENT_SEED_1: [u64; 3] = [0x3fe4185ba6f2bbbe, 0x3fd618cbb364be97, 0xbfead7526785c293];
const CHI2_SEED_1: [u64; 3] = [0xbfeec88e460aea83, 0xbfce82da5abcedd6, 0xbfdf3f75f8c05084];
