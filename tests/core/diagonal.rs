//! The 2-D diagonal NQM (`theory::diagonal`, `sim::diagonal`), behind the `fdr2` and
//! `loss-band` panels: its closed forms against the shared solvers and direct recursions, and
//! its quartic simulator against the exact discrete identity behind FDR2 and, without the
//! quartic term, against the exact quadratic.

use nqm_explorer::optimizer::Optimizer;
use nqm_explorer::sim::diagonal::fdr2_window;
use nqm_explorer::sim::stats::fit_through_origin;
use nqm_explorer::theory::diagonal::DiagonalNqm;
use nqm_explorer::theory::{fdr, stationary};

/// The `fdr2` panel's default loss with quartic strength g: K = diag(1, 0.5), C = I.
fn fdr2_default(g: f64) -> DiagonalNqm {
    DiagonalNqm::new([1.0, 0.5], 1.0, 0.0, g)
}

#[test]
fn the_closed_form_window_average_tends_to_the_exact_stationary_value() {
    let q = DiagonalNqm {
        h: [1.0, 0.5],
        c: [1.0, 0.7],
        g: 0.0,
    };
    for lr in [0.05, 0.5, 1.5] {
        let st = q.grad_sq_stationary(lr).unwrap();
        let long = q.grad_sq_half_running(lr, 200_000).unwrap();
        assert!((long - st).abs() < 1e-9 * st, "{lr}: {long} vs {st}");
        // FDR2 is exact on the quadratic: G = (η/2)Tr(KC̃).
        let model = q.model();
        let opt = Optimizer::sgd(lr, 0.0, 2);
        let s = stationary(&model, &opt).unwrap();
        let f = fdr::fdr(&model, &opt, &s).unwrap();
        assert!((f.grad_sq - f.fdr2_rhs).abs() < 1e-12 * f.grad_sq);
    }
    // After a few steps the window average is below the stationary value, and matches a
    // direct recursion.
    let (lr, steps) = (0.1, 30);
    let mut s = [0.0f64; 2];
    let mut sum = 0.0;
    for j in 0..steps {
        if j >= steps / 2 {
            sum += (0..2).map(|i| q.h[i] * q.h[i] * s[i]).sum::<f64>();
        }
        for (i, si) in s.iter_mut().enumerate() {
            *si = (1.0 - lr * q.h[i]).powi(2) * *si + lr * lr * q.c[i];
        }
    }
    let want = sum / (steps - steps / 2) as f64;
    let got = q.grad_sq_half_running(lr, steps).unwrap();
    assert!((got - want).abs() < 1e-12 * want, "{got} vs {want}");
}

#[test]
fn the_loss_band_matches_the_shared_solvers_and_a_direct_recursion() {
    let (nqm, lr) = (
        DiagonalNqm {
            h: [1.0, 0.05],
            c: [0.7, 0.2],
            g: 0.0,
        },
        1.3,
    );
    let (m, s) = nqm.loss_band(lr).unwrap();
    // Per direction hᵢΣᵢᵢ = ηcᵢ/(2 − ηhᵢ): mean ½Σ, variance ½Σ(·)².
    let d: Vec<f64> = (0..2)
        .map(|i| lr * nqm.c[i] / (2.0 - lr * nqm.h[i]))
        .collect();
    let mc: f64 = d.iter().map(|x| 0.5 * x).sum();
    let sc: f64 = (d.iter().map(|x| 0.5 * x * x).sum::<f64>()).sqrt();
    assert!(
        (m - mc).abs() < 1e-12 && (s - sc).abs() < 1e-12,
        "{m} {mc} {s} {sc}"
    );
    // (η/4)Tr C̃ with C̃ = C + KΣK equals ½Tr(KΣ) (FDR1 on a quadratic).
    let model = nqm.model();
    let opt = Optimizer::sgd(lr, 0.0, 2);
    let st = stationary(&model, &opt).unwrap();
    let f = fdr::fdr(&model, &opt, &st).unwrap();
    assert!((lr / 4.0 * f.tr_c_tilde - m).abs() < 1e-12);
    let (mh, _) = nqm.loss_band_continuous(lr).unwrap();
    assert!((mh - lr / 4.0 * 0.9).abs() < 1e-12);
    // A long window is stationary; a window from 0 is below.
    let long = nqm.loss_window_mean(lr, 2000, 10).unwrap();
    assert!((long - m).abs() < 1e-12);
    let early = nqm.loss_window_mean(lr, 0, 10).unwrap();
    assert!(early < m);
    // …and equals the direct recursion.
    let mut sig = [0.0f64; 2];
    let mut sum = 0.0;
    for _ in 0..10 {
        sum += 0.5 * (nqm.h[0] * sig[0] + nqm.h[1] * sig[1]);
        for (i, si) in sig.iter_mut().enumerate() {
            *si = (1.0 - lr * nqm.h[i]).powi(2) * *si + lr.powi(2) * nqm.c[i];
        }
    }
    assert!((early - sum / 10.0).abs() < 1e-12, "{early} {}", sum / 10.0);
}

#[test]
fn tau_of_one_direction_is_the_ar1_value() {
    let nqm = DiagonalNqm {
        h: [0.5, 0.5],
        c: [1.0, 1.0],
        g: 0.0,
    };
    let r2: f64 = 0.9f64 * 0.9;
    let tau = nqm.loss_autocorrelation_time(0.2).unwrap();
    assert!((tau - (1.0 + r2) / (1.0 - r2)).abs() < 1e-12);
}

#[test]
fn the_quartic_simulator_satisfies_the_exact_discrete_identity() {
    // E[window mean of (|∇f|² − (η/2)Tr(HC̃) − R) + (f(θ_t) − f(θ_t₀))/(ηL)] = 0 exactly,
    // stationary or not (the master equation applied to f, summed over the window).
    for (g, lr, steps, seed) in [
        (0.1, 0.02, 200, 1),
        (0.1, 0.3, 1000, 2),
        (0.3, 0.25, 600, 3),
        (1.0, 0.1, 300, 4),
    ] {
        let st = fdr2_window(&fdr2_default(g), lr, 4000, steps, seed);
        assert_eq!(st.diverged, 0, "g = {g}, η = {lr}");
        let (m, se) = (st.identity.0.unwrap(), st.identity.1.unwrap());
        assert!(
            m.abs() < 5.0 * se,
            "g = {g}, η = {lr}: identity residual {m} ± {se}"
        );
        // The residual is small beside the terms it balances.
        assert!(m.abs() < 0.05 * st.grad_sq.0.unwrap());
    }
}

#[test]
fn the_quartic_simulator_without_the_quartic_term_is_the_exact_quadratic() {
    // An independent implementation from the panel's quadratic points (which use the shared
    // walker engine): the same exact finite-time values.
    let q = fdr2_default(0.0);
    for (lr, steps, seed) in [(0.05, 400, 5), (0.45, 1000, 6), (1.2, 300, 7)] {
        let st = fdr2_window(&q, lr, 4000, steps, seed);
        let (y, se) = (st.grad_sq.0.unwrap(), st.grad_sq.1.unwrap());
        let exact = q.grad_sq_half_running(lr, steps).unwrap();
        assert!(
            (y - exact).abs() < 5.0 * se,
            "η = {lr}: {y} ± {se} vs {exact}"
        );
        // On the quadratic H = K and C̃ = ∇f∇fᵀ + C, so ⟨Tr(HC̃)⟩ = Tr(K³Σ) + Tr(KC).
        let hc = st.tr_hc.0.unwrap();
        assert!(hc > q.tr_kc());
    }
}

#[test]
fn the_fit_through_the_origin_recovers_a_polynomial() {
    let pts: Vec<_> = (1..10)
        .map(|i| {
            let x = i as f64 * 0.1;
            (x, 2.0 * x - 0.5 * x * x + 0.1 * x * x * x, 0.01)
        })
        .collect();
    let (c, se) = fit_through_origin(&pts, 3).unwrap();
    assert!((c[0] - 2.0).abs() < 1e-9 && se > 0.0 && (c[1] + 0.5).abs() < 1e-8);
    assert!(fit_through_origin(&[], 3).is_none());
    let (c, _) = fit_through_origin(&[(0.5, 1.0, 0.1)], 3).unwrap();
    assert_eq!(c, vec![2.0]);
}
