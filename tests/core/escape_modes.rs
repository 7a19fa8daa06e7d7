//! The escaping efficiency per eigenmode (`theory::escape`, Liu et al. Eqs. 18–20 and Thm 8):
//! Thm 8's ratio of anisotropic to isotropic noise from the per-mode closed forms is Eq. 20 at
//! one step and the general solver's, mode by mode, after t steps; with noise not aligned with K
//! too (a measured spectrum's noise variances).

use nalgebra::{DMatrix, DVector};
use nqm_explorer::optimizer::Optimizer;
use nqm_explorer::theory::escape::{anisotropy_ratios, per_mode_continuous, per_mode_discrete};
use nqm_explorer::theory::{closed_form as cf, spectrum};

fn diag(v: &[f64]) -> DMatrix<f64> {
    DMatrix::from_diagonal(&DVector::from_vec(v.to_vec()))
}

#[test]
fn thm8_ratio_is_eq_20_at_one_step_and_the_exact_ratio_after_t() {
    let ks = spectrum::power_law(40, 1.0, 0.75);
    let ds: Vec<usize> = vec![1, 2, 5, 17, 40];
    // C ∝ K, and (last) noise variances that do not follow the curvatures.
    let bumpy: Vec<f64> = (0..40).map(|i| 0.3 + (i % 7) as f64 * 0.2).collect();
    for cs in [ks.clone(), bumpy] {
        let eq20 = anisotropy_ratios(&ks, &cs, &ds, |k| k);
        let one = anisotropy_ratios(&ks, &cs, &ds, |k| per_mode_discrete(k, 0.5, 1));
        let t = 25;
        let after = anisotropy_ratios(&ks, &cs, &ds, |k| per_mode_discrete(k, 0.5, t));
        let after_c = anisotropy_ratios(&ks, &cs, &ds, |k| per_mode_continuous(k, 0.5, t));
        for (j, &d) in ds.iter().enumerate() {
            let (kd, cd) = (&ks[..d], &cs[..d]);
            // Against its isotropic version with the same trace.
            let want = cf::thm8_ratio(&diag(kd), &diag(cd));
            assert!((eq20[j] - want).abs() < 1e-12 * want, "D = {d}");
            assert!((one[j] - want).abs() < 1e-9 * want, "D = {d}: t = 1");
            assert!(eq20[j] <= d as f64 + 1e-12);
            // After t steps: the general solver, mode by mode.
            let iso = vec![cd.iter().sum::<f64>() / d as f64; d];
            let opt = Optimizer::sgd(0.5, 0.0, 1);
            let (a, ac) = spectrum::escape(kd, cd, 0.0, &opt, t);
            let (b, bc) = spectrum::escape(kd, &iso, 0.0, &opt, t);
            let (want, want_c) = (a.unwrap() / b.unwrap(), ac.unwrap() / bc.unwrap());
            assert!(
                (after[j] - want).abs() < 1e-9 * want,
                "D = {d}: {} vs {want}",
                after[j]
            );
            assert!((after_c[j] - want_c).abs() < 1e-9 * want_c, "D = {d}");
        }
    }
    // Beyond the spectrum: no ratio.
    let past = anisotropy_ratios(&ks[..3], &ks[..3], &[2, 5], |k| k);
    assert!(past[0].is_finite() && past[1].is_nan());
}
