//! The variance of the FDR1 residual over a finite window at stationarity (the `fdr-variance`
//! panel's dash-dotted curve, `Linear2::residual_stationary`), against an independent exact
//! computation: D written as a quadratic form zᵀMz of the independent Gaussians that drive the
//! window (the starting weight and every noise draw), step by step from the update rule, with
//! Var[zᵀMz] = 2 Tr((MΛ)²) for z ~ N(0, Λ) — no boundary-term identity used.
//!
//! Plain SGD in 1-D: g_t = k w_t + ξ_t, w_{t+1} = w_t − ηg_t, Var ξ = σ². The audit's D pairs
//! each step's O_L = w_t g_t with the same step's ½ηg_t²; the panel's (Yaida's v², the buffer)
//! with the previous step's ½ηg_{t−1}². Closed forms, ρ = 1 − ηk, x = ηk:
//! audit: σ⁴(1 − ρ²ⁿ)/(k²(2 − x)²n²);
//! panel: σ⁴[1 + 2x² − (1 − x²)ρ²ⁿ + x²(1 − x²)ρ²ⁿ⁻²]/(k²(2 − x)²n²).

use nalgebra::{DMatrix, Matrix2};
use nqm_explorer::theory::fdr_finite::Linear2;

/// Which ½ηg² each step's O_L is paired with.
#[derive(Clone, Copy, PartialEq)]
enum Pairing {
    SameStep,
    Buffer,
}

/// (E D, Var D) for a window of `n` steps starting at step t₀ whose weight before step t₀ − 1
/// has variance `v_before` (the stationary ησ²/(k(2 − ηk)), or that after t₀ − 1 steps from
/// w = 0).
fn window(k: f64, s2: f64, lr: f64, n: usize, v_before: f64, pairing: Pairing) -> (f64, f64) {
    // Basis: z₀ = w_{t₀−1}/√v_before, z_{1+j} = ξ_{t₀−1+j}, j = 0 … n; Λ = diag(1, σ², …).
    let dim = n + 2;
    let unit = |i: usize| {
        let mut e = vec![0.0; dim];
        e[i] = 1.0;
        e
    };
    let axpy = |a: f64, x: &[f64], y: &[f64]| -> Vec<f64> {
        x.iter().zip(y).map(|(x, y)| a * x + y).collect()
    };
    let mut w: Vec<f64> = unit(0).iter().map(|v| v * v_before.sqrt()).collect();
    let mut g_prev = axpy(k, &w, &unit(1));
    w = axpy(-lr, &g_prev, &w);
    let mut m = DMatrix::<f64>::zeros(dim, dim);
    for j in 0..n {
        let g = axpy(k, &w, &unit(2 + j));
        let paired = if pairing == Pairing::SameStep {
            &g
        } else {
            &g_prev
        };
        for a in 0..dim {
            for b in 0..dim {
                // Symmetrised w·g − ½η(paired)², divided by n.
                let q = 0.5 * (w[a] * g[b] + g[a] * w[b]) - 0.5 * lr * paired[a] * paired[b];
                m[(a, b)] += q / n as f64;
            }
        }
        w = axpy(-lr, &g, &w);
        g_prev = g;
    }
    let lam = DMatrix::from_diagonal(&nalgebra::DVector::from_fn(dim, |i, _| {
        if i == 0 {
            1.0
        } else {
            s2
        }
    }));
    let ml = &m * &lam;
    (ml.trace(), 2.0 * (&ml * &ml).trace())
}

fn stationary_var(k: f64, s2: f64, lr: f64) -> f64 {
    lr * s2 / (k * (2.0 - lr * k))
}

fn audit(k: f64, s2: f64, lr: f64, n: usize) -> f64 {
    let rho = 1.0 - lr * k;
    s2 * s2 * (1.0 - rho.powi(2 * n as i32)) / (k * k * (2.0 - lr * k).powi(2) * (n * n) as f64)
}

fn panel(k: f64, s2: f64, lr: f64, n: usize) -> f64 {
    let (rho, x, n2) = (1.0 - lr * k, lr * k, 2 * n as i32);
    let num =
        1.0 + 2.0 * x * x - (1.0 - x * x) * rho.powi(n2) + x * x * (1.0 - x * x) * rho.powi(n2 - 2);
    s2 * s2 * num / (k * k * (2.0 - x).powi(2) * (n * n) as f64)
}

const CASES: [(f64, f64, f64, usize); 5] = [
    (1.0, 1.0, 0.1, 50),
    (0.3, 2.0, 0.5, 20),
    (1.0, 0.5, 1.5, 7),
    (0.1, 1.0, 0.01, 100),
    (2.0, 1.0, 0.9, 33),
];

#[test]
fn the_audits_closed_form_is_the_same_step_pairing() {
    for (k, s2, lr, n) in CASES {
        let (mean, var) = window(k, s2, lr, n, stationary_var(k, s2, lr), Pairing::SameStep);
        let want = audit(k, s2, lr, n);
        assert!(mean.abs() < 1e-12 * s2, "{mean}");
        assert!(
            (var / want - 1.0).abs() < 1e-10,
            "{k} {lr} {n}: {var} vs {want}"
        );
    }
}

#[test]
fn the_panels_residual_has_its_own_closed_form_and_the_curve_is_it() {
    for (k, s2, lr, n) in CASES {
        let (mean, var) = window(k, s2, lr, n, stationary_var(k, s2, lr), Pairing::Buffer);
        let want = panel(k, s2, lr, n);
        assert!(mean.abs() < 1e-12 * s2, "{mean}");
        assert!(
            (var / want - 1.0).abs() < 1e-10,
            "{k} {lr} {n}: {var} vs {want}"
        );
        // The panel's curve: two independent modes (K = diag(k, k₂), white noise) add.
        let k2 = 0.5 * k;
        let lin = Linear2::new(
            &Matrix2::new(k, 0.0, 0.0, k2),
            &(Matrix2::identity() * s2),
            lr,
            0.0,
            0.0,
        );
        let (v, o_r) = lin.residual_stationary(n as u64).unwrap();
        let both = want + panel(k2, s2, lr, n);
        assert!((v / both - 1.0).abs() < 1e-9, "{v} vs {both}");
        let o_r_want = lr * s2 / (2.0 - lr * k) + lr * s2 / (2.0 - lr * k2);
        assert!((o_r / o_r_want - 1.0).abs() < 1e-12);
    }
}

/// d ln Var[r] / d ln η of the leading order Var[D]/(E Ō_R)², 1-D, E Ō_R = ησ²/(2 − ηk).
fn exponent(var_d: impl Fn(f64) -> f64, k: f64, lr: f64) -> f64 {
    let r = |lr: f64| var_d(lr) / (lr / (2.0 - lr * k)).powi(2);
    let h = 1e-4;
    ((r(lr * (1.0 + h))).ln() - (r(lr * (1.0 - h))).ln()) / (2.0 * h)
}

#[test]
fn var_ratio_falls_as_eta_to_the_minus_2_only_for_long_windows() {
    let k = 1.0;
    for f in [audit, panel] {
        // Long window: ηkn = 100.
        let e = exponent(|lr| f(k, 1.0, lr, 1000), k, 0.1);
        assert!((e + 2.0).abs() < 0.05, "{e}");
        // Short window: ηkn = 0.01.
        let e = exponent(|lr| f(k, 1.0, lr, 10), k, 0.001);
        assert!((e + 1.0).abs() < 0.01, "{e}");
    }
}

#[test]
fn from_the_minimum_in_pure_diffusion_var_ratio_does_not_depend_on_eta() {
    // ηkT ≪ 1: from w = 0, T = 200 steps, window n = 100 after t₀ = 100; E Ō_R ≈ ησ²/2.
    let (k, s2, n) = (1e-5, 1.0, 100);
    let ratio = |lr: f64| {
        let rho2: f64 = (1.0 - lr * k).powi(2);
        let v = lr * lr * s2 * (1.0 - rho2.powi(n as i32 - 1)) / (1.0 - rho2);
        let (_, var) = window(k, s2, lr, n, v, Pairing::Buffer);
        var / (lr * s2 / (2.0 - lr * k)).powi(2)
    };
    let (a, b) = (ratio(0.01), ratio(0.1));
    assert!((a / b - 1.0).abs() < 1e-3, "{a} vs {b}");
}
