//! The effective Hessian H_eff = ½ECΣ⁻¹ (`theory::effective`) against closed forms derived by
//! hand from the update rules (per eigen-mode of K), and its `null` cases with their reasons;
//! the ellipse panel's `contours = effective` follows the same rule.

use nalgebra::DMatrix;
use nqm_explorer::linalg::rotated_diag;
use nqm_explorer::model::Model;
use nqm_explorer::optimizer::{Opt, Optimizer};
use nqm_explorer::panels::query::{parse as parse_query, parse_for, Audience};
use nqm_explorer::panels::Planned;
use nqm_explorer::report::theory_json;
use nqm_explorer::theory::effective::{effective_hessian, EffectiveHessian};
use nqm_explorer::theory::stationary;

fn m2(e1: f64, e2: f64, angle: f64) -> DMatrix<f64> {
    DMatrix::from_column_slice(2, 2, rotated_diag(e1, e2, angle).as_slice())
}

fn id2() -> DMatrix<f64> {
    DMatrix::identity(2, 2)
}

fn heff(model: &Model, opt: &Optimizer) -> Result<EffectiveHessian, String> {
    effective_hessian(model, opt, stationary(model, opt).ok().as_ref())
}

/// f(K) for symmetric K: f applied to each eigenvalue.
fn of_k(k: &DMatrix<f64>, f: impl Fn(f64) -> f64) -> DMatrix<f64> {
    let e = k.clone().symmetric_eigen();
    let v = &e.eigenvectors;
    v * DMatrix::from_diagonal(&e.eigenvalues.map(f)) * v.transpose()
}

fn close(a: &DMatrix<f64>, b: &DMatrix<f64>, tol: f64) -> bool {
    (a - b).norm() <= tol * b.norm()
}

#[test]
fn heavy_ball_with_white_or_aligned_noise_gives_k_minus_lambda_k2_over_2_1_plus_mu() {
    // Cor. 1 per mode: Σ = λ²c/((1−μ²)·λk/(1+μ)·(2 − λk/(1+μ))), E = λ/(1−μ), so
    // ½ec/σ² = k − λk²/(2(1+μ)) for any c; with dampening ν, λ → (1−ν)λ.
    let mut checked = 0;
    for lr in [0.3, 1.0, 1.7] {
        for mu in [0.0, 0.5, 0.9] {
            for damp in [0.0, 0.4] {
                for angle in [0.0, 35.0, 70.0] {
                    let k = m2(1.6, 0.25, angle);
                    let l = (1.0 - damp) * lr;
                    if l * 1.6 >= 2.0 * (1.0 + mu) * 0.99 {
                        continue;
                    }
                    let want = &k - &k * &k * (l / (2.0 * (1.0 + mu)));
                    let opt = Optimizer {
                        damp,
                        ..Optimizer::sgd(lr, mu, 2)
                    };
                    let white = heff(&Model::new(k.clone(), id2() * 1.3), &opt).unwrap();
                    assert!(
                        close(&white.matrix, &want, 1e-9),
                        "{lr} {mu} {damp} {angle}"
                    );
                    let t = l * 1.3 / (2.0 * (1.0 - mu));
                    assert!((white.temperature.unwrap() / t - 1.0).abs() < 1e-9);
                    let aligned = heff(&Model::new(k.clone(), &k * 0.7), &opt).unwrap();
                    assert!(
                        close(&aligned.matrix, &want, 1e-9),
                        "{lr} {mu} {damp} {angle}"
                    );
                    assert!(aligned.temperature.is_none());
                    let l = if damp == 0.0 { "λ" } else { "(1−ν)λ" };
                    assert!(aligned.sigma_inverse.contains(&format!("2I − {l}K/(1+μ)")));
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 40, "{checked}");
}

#[test]
fn aligned_noise_has_sigma_inverse_proportional_to_2i_minus_lambda_k_over_1_plus_mu() {
    // Cor. 1 with C = aK: Σ⁻¹ = (1−μ)/(λa)·(2I − λK/(1+μ)) — not ∝ K as λ → 0.
    let (lr, mu, a) = (0.8, 0.3, 0.7);
    let k = m2(2.0, 0.3, 20.0);
    let st = stationary(&Model::new(k.clone(), &k * a), &Optimizer::sgd(lr, mu, 2)).unwrap();
    let want = (id2() * 2.0 - &k * (lr / (1.0 + mu))) * ((1.0 - mu) / (lr * a));
    assert!(close(&st.sigma.try_inverse().unwrap(), &want, 1e-10));
}

#[test]
fn the_audit_example_prints_0_375_and_0_2634() {
    let q = "lr=1.3&mu=0.6&h1=2&h2=0.3&h_angle=35&noise=white&sigma2=1";
    let v = theory_json(&parse_query(q, Audience::Cli).0, &[]);
    let e = &v["effective_hessian"]["eigenvalues"];
    // 2 − 1.3·4/3.2 and 0.3 − 1.3·0.09/3.2.
    assert!((e[0].as_f64().unwrap() - 0.375).abs() < 1e-12, "{v}");
    assert!((e[1].as_f64().unwrap() - 0.263_437_5).abs() < 1e-12, "{v}");
    assert!(v["effective_hessian_reason"].is_null());
    assert_eq!(v["effective_hessian"]["form"], "K − λK²/(2(1+μ))");
    let t = v["effective_hessian"]["temperature"].as_f64().unwrap();
    assert!((t - 1.3 / (2.0 * 0.4)).abs() < 1e-12);
    // The paper's form is kept, labelled: K + λK²/2 = (4.6, 0.3585).
    let p = &v["effective_hessian_paper"];
    assert!((p["eigenvalues"][0].as_f64().unwrap() - 4.6).abs() < 1e-12);
    assert!(p["label"].as_str().unwrap().contains("Sec. 4.6 as printed"));
}

/// QHM's H_eff per mode, from its ARMA(2,1) variance solved by hand:
/// k[(1−μ) + λbk][2(1+μ) − λak] / (2[(1−μ²) + λabk]), a = 1+μ−2μν, b = μ(1−ν).
fn qhm_mode(k: f64, lr: f64, mu: f64, nu: f64) -> f64 {
    let (a, b) = (1.0 + mu - 2.0 * mu * nu, mu * (1.0 - nu));
    k * (1.0 - mu + lr * b * k) * (2.0 * (1.0 + mu) - lr * a * k)
        / (2.0 * (1.0 - mu * mu + lr * a * b * k))
}

#[test]
fn qhm_and_nesterov_match_their_closed_forms() {
    for (lr, mu, nu) in [
        (0.5, 0.9, 0.7),
        (1.0, 0.5, 0.0),
        (0.7, 0.3, 1.0),
        (1.2, 0.6, 0.4),
    ] {
        let k = m2(1.5, 0.2, 25.0);
        for c in [id2() * 0.6, &k * 1.1, m2(0.9, 0.1, 25.0)] {
            let model = Model::new(k.clone(), c);
            let qhm = Optimizer {
                opt: Opt::Qhm,
                qhm_nu: nu,
                ..Optimizer::sgd(lr, mu, 2)
            };
            let want = of_k(&k, |x| qhm_mode(x, lr, mu, nu));
            assert!(close(&heff(&model, &qhm).unwrap().matrix, &want, 1e-9));
            let nesterov = Optimizer {
                opt: Opt::Nesterov,
                ..Optimizer::sgd(lr * (1.0 - mu), mu, 2)
            };
            // Nesterov is QHM with λ/(1−μ) and ν = μ; the same mode formula with those.
            let want = of_k(&k, |x| qhm_mode(x, lr, mu, mu));
            assert!(close(&heff(&model, &nesterov).unwrap().matrix, &want, 1e-9));
        }
    }
    // ν = 0 is plain SGD: K − λK²/2.
    let k = m2(1.5, 0.2, 25.0);
    let want = &k - &k * &k * 0.25;
    assert!((qhm_mode(1.5, 0.5, 0.9, 0.0) - 1.5 * (1.0 - 0.25 * 1.5)).abs() < 1e-15);
    let qhm = Optimizer {
        opt: Opt::Qhm,
        ..Optimizer::sgd(0.5, 0.9, 2)
    };
    let model = Model::new(k.clone(), id2());
    assert!(close(&heff(&model, &qhm).unwrap().matrix, &want, 1e-9));
}

#[test]
fn preconditioned_family_gives_k_minus_lambda_k2_over_2_1_plus_mu() {
    let k = m2(1.5, 0.2, 25.0);
    let (lr, mu) = (0.6, 0.4);
    // Damped Newton, Λ = λK⁻¹ (Thm 12): (1 − λ/(2(1+μ)))K, for commuting noise.
    let dnm = Optimizer {
        opt: Opt::Dnm,
        ..Optimizer::sgd(lr, mu, 2)
    };
    let want = &k * (1.0 - lr / (2.0 * (1.0 + mu)));
    let model = Model::new(k.clone(), id2() * 0.5);
    assert!(close(&heff(&model, &dnm).unwrap().matrix, &want, 1e-9));
    // Preconditioner aligned with K: K − λPK²/(2(1+μ)).
    let pre = m2(0.5, 2.0, 25.0);
    let opt = Optimizer {
        opt: Opt::Precond,
        precond: pre.clone(),
        ..Optimizer::sgd(lr, mu, 2)
    };
    let want = &k - &pre * &k * &k * (lr / (2.0 * (1.0 + mu)));
    assert!(close(&heff(&model, &opt).unwrap().matrix, &want, 1e-9));
    // NGD with Fisher noise c·KΣK (Cor. 6: Σ = λ((1+μ)c + 1 − μ)/(2(1−μ²))K⁻¹):
    // H_eff = (1+μ)c/((1+μ)c + 1 − μ)·K.
    let c = 2.0;
    let fisher = Model {
        c_fisher: c,
        ..Model::new(k.clone(), DMatrix::zeros(2, 2))
    };
    let ngd = Optimizer {
        opt: Opt::Ngd,
        ..Optimizer::sgd(lr, mu, 2)
    };
    let want = &k * ((1.0 + mu) * c / ((1.0 + mu) * c + 1.0 - mu));
    assert!(close(&heff(&fisher, &ngd).unwrap().matrix, &want, 1e-7));
    // Adam (μ = 0) with Fisher noise (Thm 10: Σ = λ²(1+c)/4·I): H_eff = c/(1+c)·K.
    let adam = Optimizer {
        opt: Opt::Adam,
        ..Optimizer::sgd(0.1, 0.0, 2)
    };
    let want = &k * (c / (1.0 + c));
    assert!(close(&heff(&fisher, &adam).unwrap().matrix, &want, 1e-7));
}

#[test]
fn where_sigma_inverse_is_no_function_of_k_there_is_none_and_a_reason() {
    let k = m2(1.5, 0.2, 25.0);
    let sgd = Optimizer::sgd(0.5, 0.3, 2);
    let turned = Model::new(k.clone(), m2(1.0, 0.2, 70.0));
    let why = heff(&turned, &sgd).unwrap_err();
    assert!(
        why.contains("noise covariance C does not commute with K"),
        "{why}"
    );
    // Damped Newton too: Σ⁻¹ ∝ KC⁻¹K is no function of K.
    let dnm = Optimizer {
        opt: Opt::Dnm,
        ..sgd.clone()
    };
    assert!(heff(&turned, &dnm).is_err());
    // A preconditioner turned against K, with white noise.
    let pre = Optimizer {
        opt: Opt::Precond,
        precond: m2(0.5, 2.0, 80.0),
        ..sgd.clone()
    };
    let why = heff(&Model::new(k.clone(), id2()), &pre).unwrap_err();
    assert!(why.contains("learning-rate matrix"), "{why}");
    // No stationary state.
    let why = heff(&Model::new(k.clone(), id2()), &Optimizer::sgd(3.0, 0.0, 2)).unwrap_err();
    assert!(why.contains("no stationary state"), "{why}");
    // Fisher noise alone under SGD: Σ = 0, no density.
    let fisher = Model {
        c_fisher: 1.0,
        ..Model::new(k.clone(), DMatrix::zeros(2, 2))
    };
    assert!(heff(&fisher, &sgd).unwrap_err().contains("singular"));
    // Minibatch noise of a finite data set (2-D): none; in 1-D everything is a function of k.
    for (q, some) in [
        (
            "noise=minibatch&n_data=200&batch=20&lr=0.3&h_angle=30",
            false,
        ),
        ("noise=minibatch&n_data=200&batch=20&lr=0.3&dim=1", true),
    ] {
        let v = theory_json(&parse_query(q, Audience::Cli).0, &[]);
        assert_eq!(v["effective_hessian"].is_object(), some, "{q}: {v}");
        if !some {
            let why = v["effective_hessian_reason"].as_str().unwrap();
            assert!(why.contains("minibatch"), "{why}");
        }
    }
}

/// wᵀMw over the points of the first ring of a contour series (up to its first NaN).
fn ring_values(xs: &[f64], ys: &[f64], m: &DMatrix<f64>) -> Vec<f64> {
    xs.iter()
        .zip(ys)
        .take_while(|(x, _)| x.is_finite())
        .map(|(&x, &y)| m[(0, 0)] * x * x + 2.0 * m[(0, 1)] * x * y + m[(1, 1)] * y * y)
        .collect()
}

/// The ellipse panel's figure at a page query (theory only, walkers at the origin).
fn ellipse_figure(q: &str) -> nqm_explorer::figure::Figure {
    let (p, errors) = parse_for("ellipses", q, Audience::Page);
    assert!(errors.is_empty(), "{errors:?}");
    Planned::new(&p).unwrap().figure
}

#[test]
fn the_ellipse_panel_draws_effective_contours_only_where_h_eff_exists() {
    let q = "lr=1.3&mu=0.6&h1=2&h2=0.3&h_angle=35&noise=white&sigma2=1&contours=effective";
    let fig = ellipse_figure(q);
    let c: Vec<_> = fig
        .series
        .iter()
        .filter(|s| s.name.contains("loss"))
        .collect();
    assert_eq!(c.len(), 1);
    assert!(c[0].name.contains("K − λK²/(2(1+μ))"), "{}", c[0].name);
    // Its rings are level sets of the closed form, not of Sec. 4.6's K + λK²/2.
    let k = m2(2.0, 0.3, 35.0);
    let want = &k - &k * &k * (1.3 / 3.2);
    let vals = ring_values(&c[0].x, &c[0].y, &want);
    let (lo, hi) = vals
        .iter()
        .fold((f64::MAX, 0.0f64), |(l, h), v| (l.min(*v), h.max(*v)));
    assert!(vals.len() > 10 && hi / lo - 1.0 < 1e-9, "{lo} {hi}");
    assert!(fig.plots[0].note.is_none());
    let details = fig.details.as_ref().unwrap();
    assert!(details["effective_hessian"].is_array());
    // Noise turned against K: no effective contours, the loss ones stay, and the plot says why.
    let fig = ellipse_figure("noise=general&c1=1&c2=0.2&c_angle=60&h_angle=0&contours=both&lr=0.5");
    let c: Vec<_> = fig
        .series
        .iter()
        .filter(|s| s.name.contains("loss"))
        .collect();
    assert_eq!(c.len(), 1);
    assert!(c[0].name.starts_with("loss"));
    let note = fig.plots[0].note.clone().unwrap();
    assert!(note.contains("No effective Hessian: the noise covariance C does not commute with K"));
    assert!(note.len() < 100, "{note}");
    // The figure gives the whole reason beside the missing eigenvalue.
    let r = fig.readout("effective_hessian_min").unwrap();
    assert!(
        r.value.is_none() && r.label.contains("no effective loss of K"),
        "{}",
        r.label
    );
    let details = fig.details.as_ref().unwrap();
    assert!(details["effective_hessian"].is_null());
    assert!(details["effective_hessian_reason"]
        .as_str()
        .unwrap()
        .contains("commute"));
}
