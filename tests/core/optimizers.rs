//! The general solver for every optimizer of Liu et al. against the paper's closed forms:
//! QHM (its update rule, Eq. 72, solved per eigen-mode as an ARMA(2,1) process), Nesterov, Yaida's dampening, preconditioned SGD (Thm 3), damped
//! Newton (Thm 12, Cor. 8), natural gradient (Cor. 6, Cor. 9) and Adam (Thm 10); Gitman et al.'s
//! expansions (Table 1, left) to their stated order; and literal Monte Carlo of QHM's and
//! Nesterov's update rules against the exact theory.

use nalgebra::DMatrix;
use nqm_explorer::linalg::rotated_diag;
use nqm_explorer::model::Model;
use nqm_explorer::optimizer::{Opt, Optimizer};
use nqm_explorer::theory::{closed_form as cf, continuous, expected_loss, predict, stationary};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

const TOL: f64 = 1e-9;

fn m2(m: nalgebra::Matrix2<f64>) -> DMatrix<f64> {
    DMatrix::from_column_slice(2, 2, m.as_slice())
}

fn rel(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    (a - b).norm() / b.norm()
}

fn opt(o: Opt, lr: f64, mu: f64) -> Optimizer {
    Optimizer {
        opt: o,
        ..Optimizer::sgd(lr, mu, 2)
    }
}

fn k_rot() -> DMatrix<f64> {
    m2(rotated_diag(1.0, 0.1, 25.0))
}

fn c_general() -> DMatrix<f64> {
    m2(rotated_diag(1.0, 0.2, -50.0))
}

fn sigma(model: &Model, o: &Optimizer) -> DMatrix<f64> {
    stationary(model, o)
        .unwrap_or_else(|r| panic!("{o:?}: no stationary state (radius {r})"))
        .sigma
}

#[test]
fn qhm_matches_its_arma_form_for_commuting_noise() {
    let k = k_rot();
    let c = &k * 0.5 + DMatrix::identity(2, 2) * 0.3;
    for &mu in &[0.0, 0.5, 0.9, 0.99] {
        for &nu in &[0.0, 0.3, 0.7, 1.0] {
            for &lr in &[0.05, 0.5, 1.5] {
                let mut o = opt(Opt::Qhm, lr, mu);
                o.qhm_nu = nu;
                let model = Model::new(k.clone(), c.clone());
                let Ok(st) = stationary(&model, &o) else {
                    // Outside the stability region: the necessary condition must fail or ρ ≥ 1.
                    assert!(!predict(&model, &o).stable);
                    continue;
                };
                let want = cf::qhm_commuting(&k, &c, lr, mu, nu).unwrap();
                assert!(
                    rel(&st.sigma, &want) < TOL,
                    "μ={mu} ν={nu} λ={lr}: {}",
                    rel(&st.sigma, &want)
                );
            }
        }
    }
}

#[test]
fn qhm_reduces_to_sgd_and_to_normalised_momentum() {
    let model = Model::new(k_rot(), c_general());
    for &(lr, mu) in &[(0.5, 0.9), (1.5, 0.3)] {
        let mut q = opt(Opt::Qhm, lr, mu);
        q.qhm_nu = 0.0;
        assert!(
            rel(
                &sigma(&model, &q),
                &sigma(&model, &Optimizer::sgd(lr, 0.0, 2))
            ) < TOL
        );
        // ν = 1: normalised momentum, i.e. heavy ball with λ(1−μ) (Remark after Thm 11).
        q.qhm_nu = 1.0;
        let hb = Optimizer::sgd(lr * (1.0 - mu), mu, 2);
        assert!(rel(&sigma(&model, &q), &sigma(&model, &hb)) < TOL);
    }
}

#[test]
fn heavy_ball_matches_its_arma_form() {
    // Eq. (5) per mode: w_t = (1 + μ − λk) w_{t−1} − μ w_{t−2} − λη_t: QHM with ν = 1 and
    // learning rate λ/(1−μ), and Cor. 1 must agree.
    let k = k_rot();
    let c = &k * 0.3 + DMatrix::identity(2, 2);
    for &(lr, mu) in &[(0.5, 0.5), (1.9, 0.2), (3.0, 0.9)] {
        let arma = cf::qhm_commuting(&k, &c, lr / (1.0 - mu), mu, 1.0).unwrap();
        let cor1 = cf::cor1(&k, &c, lr, mu).unwrap();
        assert!(rel(&arma, &cor1) < TOL, "{}", rel(&arma, &cor1));
    }
}

#[test]
fn nesterov_is_qhm_with_nu_equal_mu() {
    let model = Model::new(k_rot(), c_general());
    for &(lr, mu) in &[(0.3, 0.9), (1.0, 0.5), (0.05, 0.99)] {
        let mut q = opt(Opt::Qhm, lr / (1.0 - mu), mu);
        q.qhm_nu = mu;
        let n = opt(Opt::Nesterov, lr, mu);
        assert!(rel(&sigma(&model, &n), &sigma(&model, &q)) < TOL);
    }
}

#[test]
fn dampening_is_heavy_ball_with_a_smaller_learning_rate() {
    let model = Model::new(k_rot(), c_general());
    let mut d = Optimizer::sgd(1.5, 0.5, 2);
    d.damp = 0.4;
    let hb = Optimizer::sgd(1.5 * 0.6, 0.5, 2);
    assert!(rel(&sigma(&model, &d), &sigma(&model, &hb)) < TOL);
}

#[test]
fn preconditioned_sgd_satisfies_theorem_3() {
    let (k, c) = (k_rot(), c_general());
    let p = m2(rotated_diag(2.0, 0.5, 70.0));
    for &(lr, mu) in &[(0.3, 0.0), (0.5, 0.5), (0.1, 0.9)] {
        let mut o = opt(Opt::Precond, lr, mu);
        o.precond = p.clone();
        let s = sigma(&Model::new(k.clone(), c.clone()), &o);
        let l = &p * lr;
        let r = cf::thm3_residual(&k, &c, &l, mu, &s);
        assert!(
            r.norm() < TOL * (&l * &c * &l).norm(),
            "Eq. 9 residual {}",
            r.norm()
        );
    }
}

#[test]
fn damped_newton_matches_theorem_12_and_corollary_8() {
    let (k, c) = (k_rot(), c_general());
    for &(lr, mu) in &[(0.5, 0.0), (1.9, 0.0), (1.0, 0.5), (3.5, 0.9)] {
        let model = Model::new(k.clone(), c.clone());
        let o = opt(Opt::Dnm, lr, mu);
        let p = predict(&model, &o);
        let want = cf::thm12_dnm(&k, &c, lr, mu).unwrap();
        assert!(rel(p.sigma_discrete.as_ref().unwrap(), &want) < TOL);
        let l = cf::cor8_dnm_loss(&k, &c, lr, mu).unwrap();
        assert!((p.loss_discrete.unwrap() / l - 1.0).abs() < TOL);
    }
    // DNM's stability limit is λ < 2(1+μ), whatever K.
    let model = Model::new(k.clone(), c.clone());
    assert!(!predict(&model, &opt(Opt::Dnm, 2.0 * 1.5 * 1.0001, 0.5)).stable);
}

#[test]
fn natural_gradient_matches_corollaries_6_and_9() {
    let k = k_rot();
    for &(lr, mu) in &[(0.1, 0.0), (0.5, 0.0), (1.5, 0.0), (0.5, 0.5), (1.0, 0.9)] {
        // Cor. 6: minibatch-like noise C = s·KΣK.
        for &s in &[0.01, 0.5, 2.0] {
            let model = Model {
                k: k.clone(),
                c: DMatrix::zeros(2, 2),
                c_fisher: s,
                data: None,
            };
            let got = sigma(&model, &opt(Opt::Ngd, lr, mu));
            let want = cf::cor6_ngd(&k, s, lr, mu).unwrap();
            assert!(
                rel(&got, &want) < TOL,
                "Cor. 6 λ={lr} μ={mu} s={s}: {}",
                rel(&got, &want)
            );
        }
        // Cor. 9: constant noise commuting with K.
        let c = &k * 0.7 + DMatrix::identity(2, 2) * 0.2;
        let model = Model::new(k.clone(), c.clone());
        let got = sigma(&model, &opt(Opt::Ngd, lr, mu));
        let want = cf::cor9_ngd(&k, &c, lr, mu).unwrap();
        assert!(
            rel(&got, &want) < TOL,
            "Cor. 9 λ={lr} μ={mu}: {}",
            rel(&got, &want)
        );
    }
}

#[test]
fn adam_matches_theorem_10() {
    for &(lr, c, ang) in &[
        (0.01, 0.1, 0.0),
        (0.1, 1.0, 30.0),
        (0.5, 0.3, -60.0),
        (1.0, 3.0, 10.0),
    ] {
        let k = m2(rotated_diag(1.0, 0.1, ang));
        let model = Model {
            k,
            c: DMatrix::zeros(2, 2),
            c_fisher: c,
            data: None,
        };
        let got = sigma(&model, &opt(Opt::Adam, lr, 0.0));
        let want = cf::thm10_adam(2, c, lr);
        assert!(
            rel(&got, &want) < TOL,
            "Thm 10 λ={lr} c={c}: {}",
            rel(&got, &want)
        );
    }
}

/// |exact − expansion| shrinks like λ³: halving λ divides it by about 8.
fn third_order(o: impl Fn(f64) -> Optimizer, model: &Model) {
    let err = |lr: f64| {
        let p = predict(model, &o(lr));
        (p.loss_discrete.unwrap() - p.loss_expansion.unwrap()).abs()
    };
    let (e1, e2) = (err(0.02), err(0.01));
    let ratio = e1 / e2;
    assert!(
        (6.0..10.0).contains(&ratio),
        "error ratio {ratio} ({e1} vs {e2})"
    );
    // The expansion is not the exact value: the error is real, not rounding.
    assert!(e2 > 1e-12);
}

#[test]
fn gitman_expansions_hold_to_third_order() {
    let model = Model::new(k_rot(), c_general());
    third_order(|lr| Optimizer::sgd(lr, 0.0, 2), &model);
    third_order(|lr| Optimizer::sgd(lr, 0.6, 2), &model);
    third_order(
        |lr| {
            let mut q = opt(Opt::Qhm, lr, 0.8);
            q.qhm_nu = 0.7;
            q
        },
        &model,
    );
    third_order(|lr| opt(Opt::Nesterov, lr, 0.5), &model);
}

#[test]
fn continuous_counterparts_are_the_first_order_theory() {
    let model = Model::new(k_rot(), c_general());
    // Discrete and continuous agree to first order in λ: their ratio tends to 1.
    for o in [Opt::Sgd, Opt::Qhm, Opt::Nesterov, Opt::Dnm, Opt::Precond] {
        let gap = |lr: f64| {
            let mut op = opt(o, lr, 0.5);
            op.precond = m2(rotated_diag(2.0, 0.5, 70.0));
            let d = sigma(&model, &op);
            let c = continuous(&model, &op).unwrap();
            rel(&c, &d)
        };
        assert!(
            gap(0.001) < 0.01 && gap(0.001) < gap(0.01) / 5.0,
            "{o:?}: {} {}",
            gap(0.001),
            gap(0.01)
        );
    }
}

/// Runs a literal scalar-loop implementation of an update rule on `walkers` walkers for `steps`
/// steps and returns the sample covariance of w (about 0) — independent of the state-space
/// derivation it checks.
fn literal(
    model: &Model,
    walkers: usize,
    steps: u64,
    seed: u64,
    mut update: impl FnMut(&mut [f64; 4], [f64; 2]),
) -> DMatrix<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let c = &model.c;
    let l00 = c[(0, 0)].sqrt();
    let l10 = c[(1, 0)] / l00;
    let l11 = (c[(1, 1)] - l10 * l10).sqrt();
    let mut acc = DMatrix::zeros(2, 2);
    for _ in 0..walkers {
        let mut s = [0.0; 4]; // w0, w1, m0, m1
        for _ in 0..steps {
            let z0: f64 = StandardNormal.sample(&mut rng);
            let z1: f64 = StandardNormal.sample(&mut rng);
            update(&mut s, [l00 * z0, l10 * z0 + l11 * z1]);
        }
        acc[(0, 0)] += s[0] * s[0];
        acc[(0, 1)] += s[0] * s[1];
        acc[(1, 1)] += s[1] * s[1];
    }
    acc[(1, 0)] = acc[(0, 1)];
    acc / walkers as f64
}

fn within_5_se(emp: &DMatrix<f64>, s: &DMatrix<f64>, n: usize, what: &str) {
    for i in 0..2 {
        for j in 0..2 {
            let se = ((s[(i, i)] * s[(j, j)] + s[(i, j)].powi(2)) / n as f64).sqrt();
            let dev = (emp[(i, j)] - s[(i, j)]).abs() / se;
            assert!(
                dev < 5.0,
                "{what}: entry ({i},{j}) {} vs {} is {dev:.1} s.e. off",
                emp[(i, j)],
                s[(i, j)]
            );
        }
    }
}

fn grad(k: &DMatrix<f64>, s: &[f64; 4], eta: [f64; 2]) -> [f64; 2] {
    [
        k[(0, 0)] * s[0] + k[(0, 1)] * s[1] + eta[0],
        k[(1, 0)] * s[0] + k[(1, 1)] * s[1] + eta[1],
    ]
}

#[test]
fn monte_carlo_of_qhm_and_nesterov_update_rules() {
    let model = Model::new(k_rot(), c_general());
    let k = model.k.clone();
    let n = 20_000;
    // QHM, Eq. (72): m = μm + (1−μ)g; w = w − λ[(1−ν)g + νm].
    let (lr, mu, nu) = (1.0, 0.9, 0.7);
    let emp = literal(&model, n, 400, 1, |s, eta| {
        let g = grad(&k, s, eta);
        for i in 0..2 {
            s[2 + i] = mu * s[2 + i] + (1.0 - mu) * g[i];
            s[i] -= lr * ((1.0 - nu) * g[i] + nu * s[2 + i]);
        }
    });
    let mut q = opt(Opt::Qhm, lr, mu);
    q.qhm_nu = nu;
    within_5_se(&emp, &sigma(&model, &q), n, "QHM");
    // Nesterov (PyTorch): m = μm + g; w = w − λ(g + μm).
    let (lr, mu) = (0.4, 0.6);
    let emp = literal(&model, n, 400, 2, |s, eta| {
        let g = grad(&k, s, eta);
        for i in 0..2 {
            s[2 + i] = mu * s[2 + i] + g[i];
            s[i] -= lr * (g[i] + mu * s[2 + i]);
        }
    });
    within_5_se(
        &emp,
        &sigma(&model, &opt(Opt::Nesterov, lr, mu)),
        n,
        "Nesterov",
    );
}

#[test]
fn monte_carlo_of_the_transient_covariance() {
    // Heavy ball from the minimum, t = 1, 2, 5 steps: Σ_t from the recursion.
    let model = Model::new(k_rot(), c_general());
    let k = model.k.clone();
    let (lr, mu) = (1.2, 0.5);
    let n = 40_000;
    for t in [1u64, 2, 5] {
        let emp = literal(&model, n, t, 10 + t, |s, eta| {
            let g = grad(&k, s, eta);
            for i in 0..2 {
                s[2 + i] = mu * s[2 + i] + g[i];
                s[i] -= lr * s[2 + i];
            }
        });
        let want = nqm_explorer::theory::escape::sigma_after(&model, &Optimizer::sgd(lr, mu, 2), t)
            .unwrap();
        within_5_se(&emp, &want, n, &format!("t = {t}"));
    }
}

#[test]
fn escape_matches_equations_18_and_19_for_any_noise() {
    use nqm_explorer::theory::escape::{escape_continuous, escape_discrete};
    for (k, c) in [
        (k_rot(), c_general()),
        (DMatrix::identity(2, 2), DMatrix::identity(2, 2)),
    ] {
        let model = Model::new(k.clone(), c.clone());
        for &lr in &[0.1, 1.0, 1.9] {
            let o = Optimizer::sgd(lr, 0.0, 2);
            for t in [0u64, 1, 3, 10, 100] {
                let d = escape_discrete(&model, &o, t).unwrap();
                let want = cf::eq18_escape(&k, &c, lr, t).unwrap();
                assert!(
                    (d - want).abs() <= TOL * want.abs().max(1e-300),
                    "Eq. 18 t={t}: {d} vs {want}"
                );
                let cc = escape_continuous(&model, &o, t as f64).unwrap();
                let want = cf::eq19_escape(&k, &c, lr, t as f64);
                assert!(
                    (cc - want).abs() <= TOL * want.abs().max(1e-300),
                    "Eq. 19 t={t}: {cc} vs {want}"
                );
            }
            // t → ∞: the stationary loss.
            let st = sigma(&model, &o);
            let e = escape_discrete(&model, &o, 20_000).unwrap();
            assert!((e / expected_loss(&k, &st) - 1.0).abs() < 1e-9);
        }
    }
}

#[test]
fn short_time_escape_is_the_same_in_both_theories() {
    // Sec. 6.2: E_c ≈ tλ²/2 Tr[KC] for small t, which is the discrete t = 1 value.
    let (k, c) = (k_rot(), c_general());
    let lr = 0.7;
    let e1 = cf::eq18_escape(&k, &c, lr, 1).unwrap();
    assert!((e1 - lr * lr / 2.0 * (&k * &c).trace()).abs() < 1e-14);
}
