//! The general solver (discrete Lyapunov equation of the state-space map) against the closed
//! forms of Liu, Ziyin & Ueda, Sec. 4: Thm 1 (Eq. 6), Thm 2 (Eq. 7), Cor. 1 (Eq. 8), Thm 4
//! (Eq. 10), Cor. 2, Cor. 3, Thm 5 (Eq. 12), and the continuous-time Eq. (1).

use nalgebra::DMatrix;
use nqm_explorer::linalg::rotated_diag;
use nqm_explorer::model::Model;
use nqm_explorer::optimizer::Optimizer;
use nqm_explorer::theory::{closed_form as cf, predict};

fn m2(m: nalgebra::Matrix2<f64>) -> DMatrix<f64> {
    DMatrix::from_column_slice(2, 2, m.as_slice())
}

fn rel(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    (a - b).norm() / b.norm()
}

const TOL: f64 = 1e-9;

/// Settings (λ, μ, h1, h2, Hessian angle) inside the stability region.
fn settings() -> Vec<(f64, f64, f64, f64, f64)> {
    let mut v = Vec::new();
    for &(h1, h2, ang) in &[
        (1.0, 0.1, 0.0),
        (1.0, 0.1, 30.0),
        (4.0, 0.5, -70.0),
        (0.3, 0.3, 10.0),
    ] {
        for &mu in &[0.0, 0.3, 0.9] {
            for &frac in &[0.05, 0.5, 0.9, 0.999] {
                // λ as a fraction of the stability limit 2(1+μ)/k_max.
                let lr = frac * 2.0 * (1.0 + mu) / f64::max(h1, h2);
                v.push((lr, mu, h1, h2, ang));
            }
        }
    }
    v
}

fn model(k: DMatrix<f64>, c: DMatrix<f64>) -> Model {
    Model::new(k, c)
}

#[test]
fn commuting_noise_matches_corollary_1_and_theorem_4() {
    for (lr, mu, h1, h2, ang) in settings() {
        let k = m2(rotated_diag(h1, h2, ang));
        let id = DMatrix::<f64>::identity(2, 2);
        for &(s2, a) in &[(1.0, 0.0), (0.0, 1.0), (0.7, 2.5), (3.0, 0.2)] {
            let c = &id * s2 + &k * a;
            let p = predict(&model(k.clone(), c.clone()), &Optimizer::sgd(lr, mu, 2));
            let sigma = p.sigma_discrete.expect("inside the stability region");
            let want = cf::cor1(&k, &c, lr, mu).unwrap();
            assert!(
                rel(&sigma, &want) < TOL,
                "Cor. 1 at λ={lr} μ={mu}: {}",
                rel(&sigma, &want)
            );
            if mu == 0.0 {
                let t4 = cf::thm4(&k, s2, a, lr).unwrap();
                assert!(
                    rel(&sigma, &t4) < TOL,
                    "Thm 4 at λ={lr}: {}",
                    rel(&sigma, &t4)
                );
                if s2 == 0.0 {
                    assert!(rel(&sigma, &cf::cor2(&k, a, lr).unwrap()) < TOL, "Cor. 2");
                }
                if a == 0.0 {
                    assert!(rel(&sigma, &cf::cor3(&k, s2, lr).unwrap()) < TOL, "Cor. 3");
                }
            }
        }
    }
}

#[test]
fn general_noise_satisfies_theorems_1_2_and_5() {
    // C with its own eigenbasis: [C, K] ≠ 0, so only the implicit equations hold.
    for (lr, mu, h1, h2, ang) in settings() {
        let k = m2(rotated_diag(h1, h2, ang));
        for &(c1, c2, cang) in &[(1.0, 0.2, 30.0), (0.1, 2.0, -45.0), (1.0, 0.0, 75.0)] {
            let c = m2(rotated_diag(c1, c2, cang));
            let p = predict(&model(k.clone(), c.clone()), &Optimizer::sgd(lr, mu, 2));
            let sigma = p.sigma_discrete.expect("inside the stability region");
            let scale = lr * lr * c.norm();
            let r2 = cf::thm2_residual(&k, &c, lr, mu, &sigma).norm() / scale;
            assert!(r2 < TOL, "Eq. 7 residual {r2} at λ={lr} μ={mu}");
            if mu == 0.0 {
                let r1 = cf::thm1_residual(&k, &c, lr, &sigma).norm() / (lr * c.norm());
                assert!(r1 < TOL, "Eq. 6 residual {r1} at λ={lr}");
            }
            let loss = p.loss_discrete.unwrap();
            let want = cf::thm5_loss(&k, &c, lr, mu).unwrap();
            assert!(
                ((loss - want) / want).abs() < TOL,
                "Thm 5: {loss} vs {want}"
            );
            // Σ is symmetric positive semi-definite.
            assert_eq!(sigma, sigma.transpose());
            assert!(sigma.clone().symmetric_eigenvalues().min() > -1e-12 * sigma.norm());
        }
    }
}

#[test]
fn continuous_prediction_solves_equation_1() {
    for (lr, mu, h1, h2, ang) in settings() {
        let k = m2(rotated_diag(h1, h2, ang));
        let c = m2(rotated_diag(1.0, 0.2, 30.0));
        let p = predict(&model(k.clone(), c.clone()), &Optimizer::sgd(lr, mu, 2));
        let s = p.sigma_continuous.unwrap();
        let rhs = &c * (lr / (1.0 - mu));
        assert!(rel(&(&s * &k + &k * &s), &rhs) < TOL);
        let want = cf::continuous_loss(&c, lr, mu);
        assert!(((p.loss_continuous.unwrap() - want) / want).abs() < TOL);
        // Commuting noise: Σ = λ/(2(1−μ)) K⁻¹C.
        let cc = &k * 0.5 + DMatrix::identity(2, 2);
        let pc = predict(&model(k.clone(), cc.clone()), &Optimizer::sgd(lr, mu, 2));
        let want = cf::continuous_commuting(&k, &cc, lr, mu).unwrap();
        assert!(rel(pc.sigma_continuous.as_ref().unwrap(), &want) < TOL);
    }
}

#[test]
fn paper_figure_3_values() {
    // Sec. 5: K = diag(1, 0.1), C = I ⇒ discrete Σ = diag(λ/(2−λ), λ/(0.1(2−0.1λ))),
    // continuous Σ = diag(λ/2, λ/0.2).
    for &lr in &[0.1, 0.5, 1.0, 1.5, 1.9] {
        let k = DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![1.0, 0.1]));
        let p = predict(
            &model(k, DMatrix::identity(2, 2)),
            &Optimizer::sgd(lr, 0.0, 2),
        );
        let d = p.sigma_discrete.unwrap();
        let c = p.sigma_continuous.unwrap();
        assert!((d[(0, 0)] / (lr / (2.0 - lr)) - 1.0).abs() < TOL);
        assert!((d[(1, 1)] / (lr / (0.1 * (2.0 - 0.1 * lr))) - 1.0).abs() < TOL);
        assert!(d[(0, 1)].abs() < 1e-12);
        assert!((c[(0, 0)] / (lr / 2.0) - 1.0).abs() < TOL);
        assert!((c[(1, 1)] / (lr / 0.2) - 1.0).abs() < TOL);
    }
}

#[test]
fn no_stationary_state_at_and_beyond_the_stability_limit() {
    for &mu in &[0.0, 0.25, 0.5, 0.9] {
        for &(h1, h2, ang) in &[(1.0, 0.1, 0.0), (2.0, 0.5, 40.0)] {
            let k = m2(rotated_diag(h1, h2, ang));
            let kmax = f64::max(h1, h2);
            let limit = 2.0 * (1.0 + mu) / kmax;
            let m = model(k, DMatrix::identity(2, 2));
            for &f in &[1.0, 1.0 + 1e-9, 1.01, 1.5, 3.0] {
                let p = predict(&m, &Optimizer::sgd(f * limit, mu, 2));
                assert!(!p.stable, "stable at λk = {f}·2(1+μ)");
                assert!(p.sigma_discrete.is_none() && p.loss_discrete.is_none());
                assert!(p.spectral_radius >= 1.0 - 1e-12);
                assert!(p.message.as_deref().unwrap().contains("diverges"));
                assert!(
                    p.sigma_continuous.is_some(),
                    "Eq. 1 knows nothing of the limit"
                );
            }
            for &f in &[0.999, 1.0 - 1e-6] {
                let p = predict(&m, &Optimizer::sgd(f * limit, mu, 2));
                assert!(p.stable && p.spectral_radius < 1.0 && p.necessary_condition);
            }
        }
    }
}

#[test]
fn one_dimensional_model() {
    let (p, e) = nqm_explorer::panels::query::parse(
        "dim=1&lr=1.5&h1=1&noise=white&sigma2=1",
        nqm_explorer::panels::query::Audience::Cli,
    );
    assert!(e.is_empty());
    let pr = predict(&p.model(), &p.optimizer());
    // Cor. 3 in 1-D: σ²λ / (k(2 − λk)) = 1.5 / 0.5 = 3.
    assert!((pr.sigma_discrete.unwrap()[(0, 0)] - 3.0).abs() < 1e-12);
    assert!((pr.sigma_continuous.unwrap()[(0, 0)] - 0.75).abs() < 1e-12);
}

#[test]
fn flat_direction_has_no_stationary_state() {
    let k = m2(rotated_diag(1.0, 0.0, 0.0));
    let p = predict(
        &model(k, DMatrix::identity(2, 2)),
        &Optimizer::sgd(0.5, 0.0, 2),
    );
    assert!(!p.stable && p.sigma_continuous.is_none());
    assert!(p.message.unwrap().contains("eigenvalue 0"));
}

/// The exact heavy-ball radius of the minibatch curvature moments (`theory::tails`) is the
/// general solver's mean-square radius, for the momentum panel's data set.
#[test]
fn the_second_moment_radius_is_the_exact_theory_s_mean_square_radius() {
    use nqm_explorer::params::Noise;
    use nqm_explorer::theory::tails::{curvature_moments, heavy_ball_radius};
    let mut p = nqm_explorer::panels::query::defaults("momentum");
    p.noise = Noise::Minibatch;
    p.dim = 1;
    for &(lr, mu) in &[(0.5, 0.0), (1.5, 0.3), (2.75, 0.6), (2.0, 0.95)] {
        p.lr = lr;
        p.mu = mu;
        let model = p.model();
        let pred = nqm_explorer::theory::predict(
            &model,
            &nqm_explorer::optimizer::Optimizer::sgd(lr, mu, 1),
        );
        let (mean, c) = curvature_moments(&model).unwrap();
        let r2 = heavy_ball_radius(lr, mu, mean, &c, 2);
        let ms = pred.mean_square_radius.unwrap();
        assert!((r2 - ms).abs() < 1e-9, "λ = {lr}, μ = {mu}: {r2} vs {ms}");
        let r4 = heavy_ball_radius(lr, mu, mean, &c, 4);
        assert!(r4 >= r2 * (1.0 - 1e-12), "{r4} < {r2}");
    }
}

/// Cor. 7, Eq. (89), as printed is wrong: negative at μ = 0.9, ν = 0.7, and at ν = 0 (QHM = SGD)
/// not Thm 5; at μ = 0 it is right.
#[test]
fn qhm_corollary_7_as_printed_is_wrong() {
    let k = DMatrix::from_element(1, 1, 1.0);
    let c = DMatrix::from_element(1, 1, 1.0);
    assert!(cf::cor7_qhm_loss_as_printed(&k, &c, 0.1, 0.9, 0.7).unwrap() < 0.0);
    let sgd = cf::thm5_loss(&k, &c, 0.5, 0.0).unwrap();
    let printed = cf::cor7_qhm_loss_as_printed(&k, &c, 0.5, 0.9, 0.0).unwrap();
    assert!((printed - sgd).abs() > 0.1 * sgd, "{printed} vs {sgd}");
    let at_mu0 = cf::cor7_qhm_loss_as_printed(&k, &c, 0.1, 0.0, 0.7).unwrap();
    let sgd = cf::thm5_loss(&k, &c, 0.1, 0.0).unwrap();
    assert!((at_mu0 - sgd).abs() < 1e-12, "{at_mu0} vs {sgd}");
}
