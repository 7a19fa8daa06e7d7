//! SGD as approximate Bayesian inference, per eigenmode (`theory::bayes`, Liu et al. Thm 6):
//! the O(D) KL equals the general solver's, its minimiser is the root of Eq. 16, and the
//! continuous-time KL is smallest at 2SD/((N−S) Tr K).

use nalgebra::{DMatrix, DVector};
use nqm_explorer::theory::bayes::{
    kl, kl_modes, kl_modes_continuous, optimal_lr, optimal_lr_continuous, optimal_lr_with_factor,
    thm6_factor, without_replacement_factor,
};
use nqm_explorer::theory::spectrum;

#[test]
fn the_per_mode_kl_is_the_general_solvers() {
    for (d, decay) in [(1, 1.0), (2, 1.0), (2, 0.3)] {
        let ks = spectrum::power_law(d, 1.2, decay);
        let k = DMatrix::from_diagonal(&DVector::from_vec(ks.clone()));
        for (n, s) in [(1000.0, 100.0), (50.0, 7.0)] {
            for lr in [0.01, 0.3, 1.0, 1.6] {
                let want = kl(&k, n, s, lr).unwrap();
                let got = kl_modes(&ks, n, thm6_factor(n, s), lr).unwrap();
                assert!(
                    (got - want).abs() < 1e-9 * want.max(1e-9),
                    "{d} {n} {s} {lr}"
                );
            }
        }
    }
}

#[test]
fn the_optima_minimise_their_kl() {
    let ks = spectrum::power_law(30, 1.0, 1.0);
    let (n, s) = (1000.0, 100.0);
    let f = thm6_factor(n, s);
    // Thm 6's factor: the regrouped derivative's root is Eq. 16's.
    let root = optimal_lr_with_factor(&ks, n, f).unwrap();
    assert!((root / optimal_lr(&ks, n, s).unwrap() - 1.0).abs() < 1e-12);
    let cont = optimal_lr_continuous(&ks, n, s).unwrap();
    let exact_kl = |lr| kl_modes(&ks, n, f, lr).unwrap();
    let continuous_kl = |lr| kl_modes_continuous(&ks, n, f, lr).unwrap();
    for eps in [1e-2, 1e-4] {
        let (up, down) = (1.0 + eps, 1.0 - eps);
        assert!(exact_kl(root * up) > exact_kl(root) && exact_kl(root * down) > exact_kl(root));
        assert!(continuous_kl(cont * up) > continuous_kl(cont));
        assert!(continuous_kl(cont * down) > continuous_kl(cont));
    }
    // Thm 6's factor misses the finite-population correction, N/(N−1): exactly, the noise is
    // slightly larger, and the optimum slightly smaller.
    let exact = without_replacement_factor(n, s);
    assert!((exact / f - n / (n - 1.0)).abs() < 1e-12);
    assert!(optimal_lr_with_factor(&ks, n, exact).unwrap() < root);
    // No noise, no optimum.
    assert!(optimal_lr_continuous(&ks, n, n).is_none());
    assert!(optimal_lr_with_factor(&ks, n, thm6_factor(n, n)).is_none());
}
