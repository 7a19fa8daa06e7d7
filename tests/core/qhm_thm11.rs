//! Liu et al.'s Thm 11 (QHM, Eq. 73 = Eqs. 82, 86, 88) and the steps of its proof (Eqs. 75,
//! 77, 78, 80), written out as printed and solved as linear systems, against the exact
//! covariance of QHM's update rule (Eq. 72) from the general Stein solver.
//!
//! The audit said Eq. 78 drops the noise–momentum correlation −μλ(1−ν)αC and that adding it
//! back reproduces the exact covariance. Found here: the term is indeed missing from Eq. 78,
//! but adding it back is not enough. The proof drops the correlation between a step's noise
//! and the weights it moves in three places — Eq. 77 (−2λ(1−ν)αC, from E[w_t η_{t−1}ᵀ] =
//! −αC), Eq. 78 (−μλ(1−ν)αC, the audit's term) and Eq. 80 (+μλ(1−ν)α(I − αK)C, the same
//! expectation E[m wᵀ] as in Eq. 78) — and with all three restored Eqs. 75–80 give the exact
//! Σ, for commuting and non-commuting C. Separately, Eq. 82 does not follow from Eqs. 75, 77
//! and 80 (it fails at ν = 1, where the dropped terms vanish and Eqs. 75–80 are exact), nor is
//! Eq. 86 the sum of Eq. 85, so Thm 11 as stated is wrong with or without the audit's term.
//!
//! Eq. 75 prints the noise term as λ²α²C; α = λ(1 − μν) already carries λ, and Eq. 82's
//! d·λ²C = (α² + μ²λ²(1−ν)²)C confirms α²C, which is used.

use nalgebra::DMatrix;
use nqm_explorer::linalg::rotated_diag;
use nqm_explorer::model::Model;
use nqm_explorer::optimizer::{Opt, Optimizer};
use nqm_explorer::theory::stationary;

type M = DMatrix<f64>;

fn m2(e1: f64, e2: f64, angle: f64) -> M {
    DMatrix::from_column_slice(2, 2, rotated_diag(e1, e2, angle).as_slice())
}

fn id() -> M {
    M::identity(2, 2)
}

/// The 2 × 2 matrices packed in `x` (four entries each, column-major).
fn unpack(x: &[f64]) -> Vec<M> {
    x.chunks(4).map(|c| M::from_column_slice(2, 2, c)).collect()
}

/// Solves the affine system r(x) = 0 in `n` unknowns (r affine: its matrix by probing).
fn solve_affine(n: usize, r: impl Fn(&[M]) -> Vec<M>) -> Vec<M> {
    let eval = |x: &[f64]| -> Vec<f64> {
        r(&unpack(x))
            .iter()
            .flat_map(|m| m.iter().copied())
            .collect()
    };
    let r0 = eval(&vec![0.0; n]);
    let mut jac = M::zeros(n, n);
    for j in 0..n {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        for (i, v) in eval(&e).iter().enumerate() {
            jac[(i, j)] = v - r0[i];
        }
    }
    let rhs = M::from_iterator(n, 1, r0.iter().map(|v| -v));
    let x = jac.lu().solve(&rhs).expect("a regular system");
    unpack(x.as_slice())
}

/// QHM's parameters and K, C.
struct Setting {
    k: M,
    c: M,
    lr: f64,
    mu: f64,
    nu: f64,
}

impl Setting {
    fn alpha(&self) -> f64 {
        self.lr * (1.0 - self.mu * self.nu)
    }

    fn s(&self) -> f64 {
        self.lr * (1.0 - self.nu)
    }

    /// The exact Σ of Eq. 72 from the general solver.
    fn exact(&self) -> M {
        let opt = Optimizer {
            opt: Opt::Qhm,
            qhm_nu: self.nu,
            ..Optimizer::sgd(self.lr, self.mu, 2)
        };
        stationary(&Model::new(self.k.clone(), self.c.clone()), &opt)
            .unwrap()
            .sigma
    }

    /// Eqs. 75, 77, 78, 80 with unknowns Σ, X = E[w_t w_{t−1}ᵀ], N = λ²ν²M, G; `restore`
    /// adds back the dropped noise terms of Eqs. (77, 78, 80).
    fn proof_chain(&self, restore: [bool; 3]) -> M {
        let (k, c, mu) = (&self.k, &self.c, self.mu);
        let (al, s) = (self.alpha(), self.s());
        let f = |on: bool| if on { 1.0 } else { 0.0 };
        let p = id() - k * al;
        let r = id() - k * s;
        let x = solve_affine(16, |u| {
            let (sig, x, n, g) = (&u[0], &u[1], &u[2], &u[3]);
            let xt = x.transpose();
            vec![
                &p * sig * &p + n * (mu * mu) + c * (al * al) - (g + g.transpose()) - sig,
                sig * 2.0 + k * sig * k * (s * s) + c * (s * s)
                    - (sig * k + k * sig) * s
                    - (x + &xt)
                    + (x * k + k * &xt) * s
                    - c * (f(restore[0]) * 2.0 * s * al)
                    - n,
                &p * sig + sig * mu - &r * &xt * mu - c * (f(restore[1]) * mu * s * al) - x,
                -(&p * sig) * mu + &p * x * &r * mu + &p * c * (f(restore[2]) * mu * s * al) - g,
            ]
        });
        x[0].clone()
    }

    /// Thm 11, Eq. 73 (Eqs. 82, 86, 88) with unknowns Σ, X, Q and R (R − ARA = C); `audit`
    /// adds the audit's term −μλ(1−ν)αC to B of Eq. 83, i.e. −μλ(1−ν)α(I − A)R to X. With
    /// `eq86` false, X comes from Eq. 83 itself, X + AXᵀ = B, instead of its printed sum Eq. 86.
    fn thm11(&self, audit: bool, eq86: bool) -> M {
        let (k, c, lr, mu, nu) = (&self.k, &self.c, self.lr, self.mu, self.nu);
        let (al, s) = (self.alpha(), self.s());
        let a = -2.0 * mu * (1.0 + mu);
        let b = lr * mu * mu * (1.0 - nu);
        let cc = lr * lr * (1.0 - mu * mu - 2.0 * mu * nu * (1.0 - mu));
        let d = 1.0 + mu * (mu - 2.0 * nu - 2.0 * mu * nu * (1.0 - nu));
        let am = (id() - k * s) * mu;
        let extra = if audit { mu * s * al } else { 0.0 };
        let x = solve_affine(16, |u| {
            let (sig, x, q, rc) = (&u[0], &u[1], &u[2], &u[3]);
            let xt = x.transpose();
            vec![
                (x + &xt) * (mu * (1.0 + mu))
                    + (x * k + k * &xt) * (lr * (1.0 - mu * nu * (2.0 + mu)))
                    + sig * a
                    + (k * sig + sig * k) * b
                    + k * sig * k * cc
                    - c * (d * lr * lr),
                if eq86 {
                    k * k * sig * (mu * al)
                        + k * sig * k * (lr * (-1.0 + mu * (1.0 + mu - mu * nu)))
                        - k * (k * q + q * k) * k * (lr * mu * (1.0 - nu) * al)
                        + q * (1.0 - mu * mu)
                        - (id() - &am) * rc * extra
                        - x
                } else {
                    x + &am * &xt - sig * (1.0 + mu) + k * sig * al + c * extra
                },
                q - &am * q * &am - sig,
                rc - &am * rc * &am - c,
            ]
        });
        x[0].clone()
    }
}

fn rel(a: &M, b: &M) -> f64 {
    (a - b).norm() / b.norm()
}

fn settings() -> Vec<Setting> {
    let k = m2(1.5, 0.2, 25.0);
    let mut out = Vec::new();
    for (lr, mu, nu) in [(0.5, 0.9, 0.7), (0.8, 0.5, 0.3), (1.0, 0.6, 0.0)] {
        // Commuting and non-commuting noise.
        for c in [m2(0.9, 0.3, 25.0), m2(1.0, 0.3, 70.0)] {
            out.push(Setting {
                k: k.clone(),
                c,
                lr,
                mu,
                nu,
            });
        }
    }
    out
}

#[test]
fn restoring_the_three_dropped_noise_terms_reproduces_the_exact_covariance() {
    for st in settings() {
        let exact = st.exact();
        let full = st.proof_chain([true; 3]);
        assert!(rel(&full, &exact) < 1e-10, "{full} vs {exact}");
        // As printed, and with only the audit's term (Eq. 78), or only the E[m wᵀ] pair
        // (Eqs. 78 and 80): wrong.
        for restore in [[false; 3], [false, true, false], [false, true, true]] {
            let off = rel(&st.proof_chain(restore), &exact);
            assert!(off > 1e-2, "{restore:?}: {off}");
        }
    }
}

#[test]
fn thm_11_as_printed_is_wrong_with_or_without_the_audits_term() {
    for st in settings() {
        let exact = st.exact();
        for audit in [false, true] {
            let off = rel(&st.thm11(audit, true), &exact);
            println!(
                "λ {} μ {} ν {} audit {audit}: {off:.3}",
                st.lr, st.mu, st.nu
            );
            assert!(off > 1e-2, "audit term {audit}: {off}");
        }
    }
}

#[test]
fn at_nu_1_the_proof_is_exact_but_eq_82_is_not() {
    // ν = 1: every dropped term carries λ(1−ν) = 0, so Eqs. 75–80 as printed are exact; Eq. 82,
    // which should follow from them, is not.
    let st = Setting {
        k: m2(1.5, 0.2, 25.0),
        c: m2(1.0, 0.3, 70.0),
        lr: 0.8,
        mu: 0.5,
        nu: 1.0,
    };
    let exact = st.exact();
    assert!(rel(&st.proof_chain([false; 3]), &exact) < 1e-10);
    assert!(rel(&st.thm11(false, true), &exact) > 1e-2);
    // Eq. 82 is wrong by itself: with X from Eq. 83 (exact at ν = 1) instead of Eq. 86, still.
    assert!(rel(&st.thm11(false, false), &exact) > 1e-2);
}

#[test]
fn eq_86_is_not_the_sum_of_eq_85() {
    // At the exact Σ and ν = 1 (where Eq. 83 is exact), X from Eq. 83 is the exact lag-one
    // covariance E[w_t w_{t−1}ᵀ] = [AP]_ww of the state-space map; Eq. 86 is not.
    let (k, lr, mu) = (m2(1.5, 0.2, 25.0), 0.8, 0.5);
    let opt = Optimizer {
        opt: Opt::Qhm,
        qhm_nu: 1.0,
        ..Optimizer::sgd(lr, mu, 2)
    };
    let st = stationary(&Model::new(k.clone(), m2(1.0, 0.3, 70.0)), &opt).unwrap();
    let lag = (&st.map.a * &st.full).view((0, 0), (2, 2)).into_owned();
    let (sig, al) = (&st.sigma, lr * (1.0 - mu));
    // Eq. 83 at ν = 1: X + μXᵀ = (1+μ)Σ − αKΣ.
    assert!((&lag + lag.transpose() * mu - (sig * (1.0 + mu) - &k * sig * al)).norm() < 1e-12);
    // Eq. 86 at ν = 1 (A = μI, Q = Σ/(1−μ²)): μαK²Σ + λ(μ − 1)KΣK + Σ.
    let q = sig / (1.0 - mu * mu);
    let x86 = &k * &k * sig * (mu * al) + &k * sig * &k * (lr * (mu - 1.0)) + q * (1.0 - mu * mu);
    assert!(rel(&x86, &lag) > 1e-2, "{x86} vs {lag}");
}

#[test]
fn nqm_theory_says_where_the_qhm_number_comes_from() {
    use nqm_explorer::panels::query::{parse as parse_query, Audience};
    use nqm_explorer::report::theory_json;
    for q in [
        "opt=qhm&qhm_nu=0.7&mu=0.9&lr=0.5",
        "opt=nesterov&mu=0.5&lr=0.3",
    ] {
        let v = theory_json(&parse_query(q, Audience::Cli).0, &[]);
        let source = v["closed_form"]["source"].as_str().unwrap();
        assert!(
            source.contains("ARMA(2,1)")
                && source.contains("Eq. 72")
                && source.contains("not Thm 11"),
            "{q}: {source}"
        );
        // And the number is the exact one.
        let (cf, exact) = (&v["closed_form"]["sigma"], &v["sigma_discrete"]);
        for (i, j) in [(0, 0), (0, 1), (1, 1)] {
            let (a, b) = (cf[i][j].as_f64().unwrap(), exact[i][j].as_f64().unwrap());
            assert!((a - b).abs() < 1e-10 * b.abs().max(1e-3), "{q}: {a} vs {b}");
        }
    }
}
