//! The Monte Carlo engine: noise distributions, real minibatch noise, every optimizer's update
//! rule against the exact theory, and Yaida's observables. Tolerances are 5 standard errors
//! derived from the sample size; seeds are fixed.

use nalgebra::DMatrix;
use nqm_explorer::model::data::DataSet;
use nqm_explorer::model::Model;
use nqm_explorer::optimizer::Optimizer;
use nqm_explorer::panels::query::{parse as parse_query, Audience};
use nqm_explorer::params::Params;
use nqm_explorer::rng::{LaneRng, Scalar};
use nqm_explorer::sim::{Dynamics, Ensemble, Observables};
use nqm_explorer::theory::{fdr, predict, stationary};

fn params(q: &str) -> Params {
    let (p, e) = parse_query(q, Audience::Cli);
    assert!(e.is_empty(), "{q}: {e:?}");
    p
}

/// One step from w = 0 with K = 0 and λ = 1 leaves w = −η: the walkers are noise samples.
fn noise_samples(q: &str) -> Ensemble {
    let p = params(&format!("h1=0&h2=0&lr=1&mu=0&steps=1&{q}"));
    let model = p.model();
    let dy = p.dynamics(&model).unwrap();
    let mut e = Ensemble::new(2, p.walkers as usize, p.seed);
    e.advance(&dy, 1);
    e
}

fn check_cov(e: &Ensemble, c: &DMatrix<f64>, kurtosis: f64, what: &str) {
    let m = e.moments().unwrap();
    let n = m.n as f64;
    for i in 0..2 {
        let se_mean = (c[(i, i)] / n).sqrt();
        assert!(
            m.mean[i].abs() < 5.0 * se_mean,
            "{what}: mean {} ± {se_mean}",
            m.mean[i]
        );
        for j in 0..2 {
            // Var of xᵢxⱼ for a linear transform of independent unit components with excess
            // kurtosis κ: CᵢᵢCⱼⱼ + Cᵢⱼ² + κ Σₖ Lᵢₖ²Lⱼₖ²; bounded here by (1 + κ/… ) — use the
            // exact value through L.
            let l = c.clone().cholesky().unwrap().l();
            let extra: f64 = (0..2)
                .map(|k| l[(i, k)].powi(2) * l[(j, k)].powi(2))
                .sum::<f64>()
                * (kurtosis - 3.0);
            let se = ((c[(i, i)] * c[(j, j)] + c[(i, j)].powi(2) + extra) / n).sqrt();
            let dev = (m.cov[(i, j)] - c[(i, j)]).abs() / se;
            assert!(
                dev < 5.0,
                "{what}: cov({i},{j}) = {} vs {} ({dev:.1} s.e.)",
                m.cov[(i, j)],
                c[(i, j)]
            );
        }
    }
}

#[test]
fn every_noise_distribution_has_the_requested_mean_and_covariance() {
    let c = nqm_explorer::linalg::rotated_diag(1.0, 0.3, 35.0);
    let c = DMatrix::from_column_slice(2, 2, c.as_slice());
    let q = "noise=general&c1=1&c2=0.3&c_angle=35&walkers=100000";
    check_cov(
        &noise_samples(&format!("{q}&dist=gauss&seed=1")),
        &c,
        3.0,
        "Gaussian",
    );
    // Student-t with ν = 8: kurtosis 3 + 6/(ν − 4) = 4.5.
    check_cov(
        &noise_samples(&format!("{q}&dist=student&dof=8&seed=2")),
        &c,
        4.5,
        "Student-t(8)",
    );
    // Centred χ² with k = 3: kurtosis 3 + 12/k = 7.
    check_cov(
        &noise_samples(&format!("{q}&dist=chi2&seed=3")),
        &c,
        7.0,
        "χ²(3)",
    );
}

#[test]
fn student_t_with_four_degrees_of_freedom_has_the_right_shape() {
    // For ν = 4 the sample variance has no standard error (E t⁴ = ∞); check the distribution
    // instead: with unit variance ζ = T/√2, P(|ζ| < 1) = P(|T| < √2) = s(s² + 6)/(s² + 4)^{3/2}.
    let e = noise_samples("noise=white&sigma2=1&dist=student&walkers=100000&seed=4");
    let xs = e.coords(0);
    let inside = xs.iter().filter(|x| x.abs() < 1.0).count() as f64 / xs.len() as f64;
    let s = 2f64.sqrt();
    let p = s * (s * s + 6.0) / (s * s + 4.0).powf(1.5);
    let se = (p * (1.0 - p) / xs.len() as f64).sqrt();
    assert!((inside - p).abs() < 5.0 * se, "{inside} vs {p}");
    // And it is not Gaussian: P(|z| < 1) = 0.6827 is far off.
    assert!((inside - 0.682_689_492).abs() > 20.0 * se);
}

#[test]
fn chi2_noise_is_skewed_as_a_centred_chi_square() {
    // Skewness of a centred, rescaled χ²(3): √(8/3).
    let e = noise_samples("noise=white&sigma2=1&dist=chi2&walkers=100000&seed=5");
    let xs = e.coords(0);
    let n = xs.len() as f64;
    let skew = xs.iter().map(|x| (-x).powi(3)).sum::<f64>() / n; // w = −η
    let want = (8.0f64 / 3.0).sqrt();
    // Var of x³ for this distribution is E x⁶ − (E x³)²; bounded generously by 200/n.
    assert!(
        (skew - want).abs() < 5.0 * (200.0 / n).sqrt(),
        "skewness {skew} vs {want}"
    );
}

fn empirical_cov(samples: &[[f64; 2]]) -> (DMatrix<f64>, DMatrix<f64>) {
    let n = samples.len() as f64;
    let mean = [0, 1].map(|a| samples.iter().map(|s| s[a]).sum::<f64>() / n);
    let mut cov = DMatrix::zeros(2, 2);
    let mut se = DMatrix::zeros(2, 2);
    for a in 0..2 {
        for b in 0..2 {
            let prods: Vec<f64> = samples
                .iter()
                .map(|s| (s[a] - mean[a]) * (s[b] - mean[b]))
                .collect();
            let c = prods.iter().sum::<f64>() / (n - 1.0);
            let v = prods.iter().map(|x| (x - c).powi(2)).sum::<f64>() / (n - 1.0);
            cov[(a, b)] = c;
            se[(a, b)] = (v / n).sqrt();
        }
    }
    (cov, se)
}

#[test]
fn minibatch_noise_covariance_matches_its_exact_value() {
    let cov = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 0.1]);
    let data = DataSet::generate(200, &cov, 1.0, 11).unwrap();
    let u = [0.3, -1.2];
    let mut rng = LaneRng::new(12);
    let mut sc = Scalar::default();
    let mut perm: Vec<u32> = (0..200).collect();
    for (replace, s) in [(true, 100), (false, 100), (false, 10), (true, 1)] {
        let draws: Vec<[f64; 2]> = (0..100_000)
            .map(|_| data.minibatch_gradient(u, s, replace, &mut perm, &mut rng, &mut sc))
            .collect();
        let (emp, se) = empirical_cov(&draws);
        let exact = data.gradient_noise_cov(u, s, replace);
        for i in 0..2 {
            for j in 0..2 {
                let dev = (emp[(i, j)] - exact[(i, j)]).abs() / se[(i, j)];
                assert!(
                    dev < 5.0,
                    "replace={replace} S={s}: ({i},{j}) {} vs {} ({dev:.1} s.e.)",
                    emp[(i, j)],
                    exact[(i, j)]
                );
            }
        }
        // The mean is the full-batch gradient K u.
        let mean0 = draws.iter().map(|d| d[0]).sum::<f64>() / draws.len() as f64;
        let ku0 = data.k[(0, 0)] * u[0] + data.k[(0, 1)] * u[1];
        assert!((mean0 - ku0).abs() < 5.0 * (exact[(0, 0)] / draws.len() as f64).sqrt());
    }
    // Without replacement at S = N there is no noise; the paper's (N − S)/(NS) ≈ our
    // (N − S)/(S(N − 1)).
    assert!(data.gradient_noise_cov(u, 200, false).norm() < 1e-20);
    let with = data.gradient_noise_cov(u, 100, true);
    let without = data.gradient_noise_cov(u, 100, false);
    assert!(((&without * 2.0) - &with * (200.0 / 199.0)).norm() < 1e-12 * with.norm());
}

/// Runs `q` (with walkers, steps, seed) and checks the empirical covariance against the exact
/// discrete theory within 5 standard errors (Gaussian formula, times `kurt_factor` for heavier
/// tails).
fn mc_matches_theory(q: &str, kurt_factor: f64) {
    let p = params(q);
    let model = p.model();
    let theory = predict(&model, &p.optimizer());
    let s = theory
        .sigma_discrete
        .unwrap_or_else(|| panic!("{q}: {:?}", theory.message));
    let dy = p.dynamics(&model).unwrap();
    let mut e = Ensemble::new(model.dim(), p.walkers as usize, p.seed);
    e.advance(&dy, p.steps);
    assert_eq!(e.diverged(), 0, "{q}");
    let m = e.moments().unwrap();
    let n = m.n as f64;
    let d = s.nrows();
    for i in 0..d {
        for j in 0..d {
            let se = ((s[(i, i)] * s[(j, j)] + s[(i, j)].powi(2)) * kurt_factor / n).sqrt();
            let dev = (m.cov[(i, j)] - s[(i, j)]).abs() / se;
            assert!(
                dev < 5.0,
                "{q}: ({i},{j}) {} vs {} ({dev:.1} s.e.)",
                m.cov[(i, j)],
                s[(i, j)]
            );
        }
    }
}

#[test]
fn every_optimizer_update_rule_matches_the_exact_theory() {
    let common = "walkers=20000&steps=1500&noise=general&c1=1&c2=0.2&c_angle=30&h_angle=10";
    for (i, q) in [
        "opt=sgd&lr=1.5&mu=0",
        "opt=sgd&lr=1.0&mu=0.5&damp=0.3",
        "opt=nesterov&lr=0.5&mu=0.7",
        "opt=qhm&lr=1.0&mu=0.9&qhm_nu=0.7",
        "opt=precond&lr=0.4&p1=2&p2=0.5&p_angle=40&mu=0.3",
        "opt=dnm&lr=1.2&mu=0.2",
    ]
    .iter()
    .enumerate()
    {
        mc_matches_theory(&format!("{common}&seed={}&{q}", 100 + i), 1.0);
    }
}

#[test]
fn natural_gradient_and_adam_reach_their_exact_stationary_state() {
    // Idealised: Λ and the noise covariance are those of the exact stationary state; the walkers
    // converge to it from the origin (Cor. 9, Cor. 6, Thm 10).
    mc_matches_theory(
        "opt=ngd&noise=general&lr=0.5&mu=0.3&walkers=20000&steps=1500&h_angle=20&seed=6",
        1.0,
    );
    mc_matches_theory(
        "opt=ngd&noise=fisher&cf=0.5&lr=0.5&walkers=20000&steps=1500&h_angle=20&seed=7",
        1.0,
    );
    mc_matches_theory(
        "opt=adam&noise=fisher&cf=0.5&lr=0.1&walkers=20000&steps=1500&h_angle=20&seed=8",
        1.0,
    );
    mc_matches_theory(
        "opt=adam&noise=white&lr=0.1&walkers=20000&steps=1500&h_angle=20&seed=9",
        1.0,
    );
}

#[test]
fn non_gaussian_noise_obeys_the_same_discrete_theory() {
    // Fig. 8: the theory needs only the noise covariance. Student-t(8) has kurtosis 4.5, χ²(3)
    // kurtosis 7; the stationary w has smaller excess kurtosis, bounded by the noise's.
    for (q, kurt) in [("dist=student&dof=8", 1.5), ("dist=chi2", 3.0)] {
        mc_matches_theory(
            &format!("dim=1&lr=1.5&noise=white&sigma2=1&walkers=40000&steps=500&seed=9&{q}"),
            kurt,
        );
    }
}

#[test]
fn state_dependent_noise_matches_the_theory() {
    // Additive noise plus c_f·KΣK: each walker's noise has covariance C₀ + c_f·K w wᵀ K.
    let k = DMatrix::from_column_slice(
        2,
        2,
        nqm_explorer::linalg::rotated_diag(1.0, 0.2, 30.0).as_slice(),
    );
    let model = Model {
        k,
        c: DMatrix::identity(2, 2) * 0.5,
        c_fisher: 0.3,
        data: None,
    };
    let opt = Optimizer::sgd(1.0, 0.2, 2);
    let s = stationary(&model, &opt).unwrap().sigma;
    let dy = Dynamics::new(&model, &opt, nqm_explorer::sim::Shape::Gauss).unwrap();
    let mut e = Ensemble::new(2, 40_000, 31);
    e.advance(&dy, 1500);
    let m = e.moments().unwrap();
    // Multiplicative noise fattens the tails: use the empirical standard errors.
    for i in 0..2 {
        for j in 0..2 {
            let dev = (m.cov[(i, j)] - s[(i, j)]).abs() / m.cov_se[(i, j)];
            assert!(
                dev < 5.0,
                "({i},{j}) {} vs {} ({dev:.1} s.e.)",
                m.cov[(i, j)],
                s[(i, j)]
            );
        }
    }
}

#[test]
fn yaida_relations_hold_in_the_monte_carlo() {
    // Ensemble means at stationarity: O_L and O_R agree (FDR1′) and match the exact values.
    for (i, q) in ["lr=1.0&mu=0", "lr=0.5&mu=0.9", "lr=1.2&mu=0.5&damp=0.4"]
        .iter()
        .enumerate()
    {
        let p = params(&format!(
            "{q}&noise=general&walkers=20000&steps=2000&seed={}",
            20 + i
        ));
        let model = p.model();
        let opt = p.optimizer();
        let dy = p.dynamics(&model).unwrap();
        let mut e = Ensemble::new(model.dim(), p.walkers as usize, p.seed);
        e.advance(&dy, 1000);
        e.observe(true);
        e.advance(&dy, 1000);
        let s = e.observed();
        let exact = fdr::fdr(&model, &opt, &stationary(&model, &opt).unwrap()).unwrap();
        // The per-step ensemble means are correlated in time; their spread over blocks of
        // 100 steps gives an honest standard error.
        let block_se = |v: &[f64]| {
            let blocks: Vec<f64> = v
                .chunks(100)
                .map(|c| c.iter().sum::<f64>() / c.len() as f64)
                .collect();
            let m = blocks.iter().sum::<f64>() / blocks.len() as f64;
            let var =
                blocks.iter().map(|b| (b - m).powi(2)).sum::<f64>() / (blocks.len() - 1) as f64;
            (m, (var / blocks.len() as f64).sqrt())
        };
        let (ol, ol_se) = block_se(&s.o_l);
        let (or, or_se) = block_se(&s.o_r);
        assert!(
            (ol - exact.theta_grad).abs() < 5.0 * ol_se,
            "{q}: O_L {ol} ± {ol_se} vs {}",
            exact.theta_grad
        );
        assert!(
            (or - exact.fdr1p_rhs).abs() < 5.0 * or_se,
            "{q}: O_R {or} ± {or_se} vs {}",
            exact.fdr1p_rhs
        );
        let (g, g_se) = block_se(&s.grad_sq);
        assert!(
            (g - exact.grad_sq).abs() < 5.0 * g_se,
            "{q}: ⟨(∇f)²⟩ {g} ± {g_se} vs {}",
            exact.grad_sq
        );
    }
}

#[test]
fn half_running_average_is_yaida_eq_15() {
    let v: Vec<f64> = (1..=9).map(|x| x as f64).collect();
    // t = 9, t₀ = 4: mean of values 5 … 9.
    assert_eq!(Observables::half_running(&v), Some(7.0));
    assert_eq!(Observables::half_running(&v[..1]), Some(1.0));
    assert_eq!(Observables::half_running(&[]), None);
    assert_eq!(Observables::running(&v), Some(5.0));
}

#[test]
fn a_seed_gives_the_same_walkers_and_a_new_seed_different_ones() {
    let run = |seed: u64| {
        let p = params(&format!(
            "lr=1.2&mu=0.3&noise=general&walkers=100&seed={seed}"
        ));
        let model = p.model();
        let mut e = Ensemble::new(model.dim(), p.walkers as usize, p.seed);
        e.advance(&p.dynamics(&model).unwrap(), 50);
        e.coords(0).to_vec()
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5), run(6));
}

#[test]
fn real_minibatch_noise_matches_the_exact_theory() {
    // The theory takes the minibatch gradient's exact dependence on the weights (linear in
    // their second moment), so real minibatches agree with it, with and without replacement
    // and with momentum; the noise at the minimum alone does not.
    for (i, q) in [
        "lr=1.2&n_data=200&batch=20&replace=0",
        "lr=1.2&n_data=200&batch=20&replace=1",
        "lr=0.5&mu=0.7&n_data=500&batch=10&replace=0&h_angle=30",
        "dim=1&lr=1.0&n_data=100&batch=5&replace=1",
    ]
    .iter()
    .enumerate()
    {
        mc_matches_theory(
            &format!(
                "noise=minibatch&sigma2=0.5&walkers=40000&steps=800&seed={}&{q}",
                60 + i
            ),
            1.5,
        );
    }
    // The state dependence matters: near its mean-square limit the exact Σ is well above the Σ
    // of the constant noise at the minimum.
    let p = params("noise=minibatch&sigma2=0.5&lr=1.2&n_data=200&batch=5&replace=1&dim=1");
    let model = p.model();
    let exact = stationary(&model, &p.optimizer()).unwrap().sigma[(0, 0)];
    let frozen = Model {
        data: None,
        ..model.clone()
    };
    let at_min = stationary(&frozen, &p.optimizer()).unwrap().sigma[(0, 0)];
    assert!(exact > 1.2 * at_min, "{exact} vs {at_min}");
}

#[test]
fn chunks_on_threads_give_the_same_walkers_as_on_one() {
    // Three chunks of walkers (sim::CHUNK = 16 384 each, the last one partly padding), each with
    // its own stream: on 1, 2 or 3 threads the walkers and the observed means are bit-identical;
    // Gaussian, Student-t and state-dependent noise (the lane kernels and the scalar path).
    for q in [
        "noise=white",
        "noise=white&dist=student",
        "noise=general&cf=0.1&mu=0.5",
        "noise=minibatch&n_data=300&batch=30",
    ] {
        let p = params(&format!("lr=0.8&{q}&walkers=40000&steps=50&seed=3"));
        let model = p.model();
        let dy = p.dynamics(&model).unwrap();
        let run = |threads: usize| {
            let mut e = Ensemble::new(2, p.walkers as usize, p.seed);
            e.set_threads(threads);
            e.observe(true);
            e.advance(&dy, 30);
            e.advance(&dy, 20);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            (
                bits(e.coords(0)),
                bits(e.coords(1)),
                bits(&e.observed().o_l),
                bits(&e.observed().loss),
            )
        };
        let one = run(1);
        assert_eq!(one, run(2), "{q}: 2 threads");
        assert_eq!(one, run(3), "{q}: 3 threads");
        // Chunk 1 draws other numbers than chunk 0.
        assert_ne!(one.0[..100], one.0[16_384..16_484], "{q}");
    }
}
