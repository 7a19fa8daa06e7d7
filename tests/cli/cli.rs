//! The `nqm` command-line tool: same query strings as the page, JSON out, named errors.

use crate::{json, nqm};
use serde_json::Value;

#[test]
fn theory_prints_the_public_fields() {
    let v = json(&["theory", "lr=1.5&h1=1&h2=0.1&noise=white&sigma2=1"]);
    for key in [
        "sigma_discrete",
        "sigma_continuous",
        "spectral_radius",
        "stable",
        "necessary_condition",
        "loss_discrete",
        "loss_continuous",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    // Liu et al. Sec. 5: diag(λ/(2−λ), λ/(0.1(2−0.1λ))) and diag(λ/2, λ/0.2).
    let d = &v["sigma_discrete"];
    assert!((d[0][0].as_f64().unwrap() - 3.0).abs() < 1e-12);
    assert!((d[1][1].as_f64().unwrap() - 1.5 / (0.1 * 1.85)).abs() < 1e-12);
    assert!((v["sigma_continuous"][1][1].as_f64().unwrap() - 7.5).abs() < 1e-12);
    assert_eq!(v["stable"], Value::Bool(true));
}

#[test]
fn theory_beyond_the_limit_has_null_sigma_and_no_nan() {
    let (code, out, _) = nqm(&["theory", "lr=2.5"]);
    assert_eq!(code, 0);
    assert!(!out.contains("NaN") && !out.contains("inf"));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["sigma_discrete"].is_null() && v["loss_discrete"].is_null());
    assert_eq!(v["stable"], Value::Bool(false));
    assert!(v["spectral_radius"].as_f64().unwrap() >= 1.0);
}

#[test]
fn one_dimensional_theory() {
    let v = json(&["theory", "dim=1&lr=1&h1=1&sigma2=1"]);
    assert_eq!(v["sigma_discrete"].as_array().unwrap().len(), 1);
    assert!((v["sigma_discrete"][0][0].as_f64().unwrap() - 1.0).abs() < 1e-12);
}

#[test]
fn simulate_prints_empirical_moments() {
    let v = json(&[
        "simulate",
        "lr=1.5&noise=white&walkers=10000&steps=1000&seed=7",
    ]);
    let s = v["sigma_empirical"][0][0].as_f64().unwrap();
    let se = v["sigma_empirical_se"][0][0].as_f64().unwrap();
    assert!((s - 3.0).abs() < 5.0 * se, "{s} ± {se}");
    assert_eq!(v["diverged"], 0);
    assert_eq!(v["mean"].as_array().unwrap().len(), 2);
    // Same seed, same output.
    assert_eq!(
        v,
        json(&[
            "simulate",
            "lr=1.5&noise=white&walkers=10000&steps=1000&seed=7"
        ])
    );
}

#[test]
fn a_bad_query_exits_non_zero_naming_the_key() {
    let (code, out, err) = nqm(&["theory", "lr=abc&h2=0.1"]);
    assert_ne!(code, 0);
    assert!(out.is_empty());
    assert!(err.contains("lr") && err.contains("not a number"), "{err}");
    let (code, _, err) = nqm(&["simulate", "walkers=1000000000"]);
    assert_ne!(code, 0);
    assert!(err.contains("walkers"), "{err}");
    let (code, _, _) = nqm(&["frobnicate", ""]);
    assert_ne!(code, 0);
}

#[test]
fn help_lists_every_key() {
    let (code, out, _) = nqm(&["theory", "--help"]);
    assert_eq!(code, 0);
    for f in nqm_explorer::params::FIELDS {
        assert!(out.contains(f.key), "help misses {}", f.key);
    }
}

#[test]
fn theory_prints_every_applicable_result_for_the_new_keys() {
    let v = json(&[
        "theory",
        "opt=qhm&qhm_nu=0.7&mu=0.9&lr=1&t=10&n_data=1000&batch=100&dl=0.01&ka=1&kb=2",
    ]);
    assert_eq!(v["optimizer"], "QHM");
    for key in [
        "sigma_discrete",
        "sigma_full",
        "sigma_continuous",
        "necessary_condition",
        "sigma_after_t",
        "escape_discrete",
        "escape_continuous",
        "bayes_lr",
        "bayes_lr_mandt",
        "kramers_rate",
        "kramers_rate_continuous",
        "closed_form",
        "circulation_discrete",
        "potential_discrete",
        "effective_hessian",
    ] {
        assert!(!v[key].is_null(), "{key} missing or null");
    }
    assert_eq!(v["sigma_full"].as_array().unwrap().len(), 4);
    // Results that need their inputs are absent without them.
    let bare = json(&["theory", "lr=0.5"]);
    for key in [
        "sigma_after_t",
        "escape_discrete",
        "bayes_lr",
        "kramers_rate",
    ] {
        assert!(bare.get(key).is_none(), "{key} printed without its inputs");
    }
}

#[test]
fn escape_of_plain_sgd_is_checked_against_eq_18() {
    let v = json(&["theory", "lr=1.2&noise=general&t=25"]);
    let d = v["escape_discrete"].as_f64().unwrap();
    let e18 = v["escape_eq18"].as_f64().unwrap();
    assert!((d / e18 - 1.0).abs() < 1e-9);
    let c = v["escape_continuous"].as_f64().unwrap();
    let e19 = v["escape_eq19"].as_f64().unwrap();
    assert!((c / e19 - 1.0).abs() < 1e-9);
    assert!(d >= c, "Cor. 4");
}

#[test]
fn every_optimizer_has_theory_and_no_nan() {
    for opt in nqm_explorer::optimizer::Opt::WORDS {
        for q in [
            format!("opt={opt}&lr=0.3&mu=0.5&noise=general&t=5"),
            format!("opt={opt}&lr=3.9&mu=0.9&noise=fisher&cf=3"),
            format!("opt={opt}&lr=0.001&h2=0&noise=white&sigma2=0"),
        ] {
            let (code, out, err) = nqm(&["theory", &q]);
            assert_eq!(code, 0, "{q}: {err}");
            assert!(!out.contains("NaN") && !out.contains("inf"), "{q}: {out}");
            let v: Value = serde_json::from_str(&out).unwrap();
            assert!(v["stable"].is_boolean());
            if v["stable"] == Value::Bool(false) {
                assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{q}");
            }
        }
    }
}

#[test]
fn a_power_law_spectrum_of_a_thousand_modes() {
    let v = json(&[
        "theory",
        "spec_d=1000&spec_decay=1&noise=hessian&lr=1.5&t=10",
    ]);
    let s = &v["spectrum"];
    assert_eq!(s["dim"], 1000);
    assert!(s["loss_discrete"].as_f64().unwrap() > s["loss_continuous"].as_f64().unwrap());
    assert!(s["escape_discrete"].as_f64().unwrap() >= s["escape_continuous"].as_f64().unwrap());
}

#[test]
fn the_spectrum_follows_noise_and_says_why_where_it_has_no_meaning() {
    // `nqm help` says so.
    let (_, help, _) = nqm(&["help"]);
    assert!(help.contains("with the noise of `noise`") && help.contains("Thm 8's ratio is then 1"));
    assert!(!help.contains("noise aligned"));
    // White noise (the default): Thm 5 per mode, ½kᵢσᵢ = λc/(4(1−μ)) / (1 − λkᵢ/(2(1+μ))),
    // and Thm 8's ratio Σkc/(Σk·Σc/D) = 1 for isotropic noise.
    let (lr, mu, d) = (0.7, 0.4, 50);
    let q = format!("spec_d={d}&spec_decay=1&lr={lr}&mu={mu}&noise=white&sigma2=2");
    let s = json(&["theory", &q])["spectrum"].clone();
    let want: f64 = (1..=d)
        .map(|i| 1.0 / i as f64)
        .map(|k| lr * 2.0 / (4.0 * (1.0 - mu)) / (1.0 - lr * k / (2.0 * (1.0 + mu))))
        .sum();
    assert!(
        (s["loss_discrete"].as_f64().unwrap() / want - 1.0).abs() < 1e-9,
        "{s}"
    );
    assert!(
        (s["anisotropy_ratio"].as_f64().unwrap() - 1.0).abs() < 1e-12,
        "{s}"
    );
    assert!(s["reason"].is_null() && s["noise"].as_str().unwrap().contains("white"));
    // Hessian-aligned noise: D·Σk²/(Σk)².
    let q = format!("spec_d={d}&spec_decay=1&noise=hessian&a=1");
    let s = json(&["theory", &q])["spectrum"].clone();
    let ks: Vec<f64> = (1..=d).map(|i| 1.0 / i as f64).collect();
    let want = d as f64 * ks.iter().map(|k| k * k).sum::<f64>() / ks.iter().sum::<f64>().powi(2);
    assert!((s["anisotropy_ratio"].as_f64().unwrap() / want - 1.0).abs() < 1e-12);
    // Minibatch and general noise: null values and a reason, never 0.0.
    for (noise, word) in [("minibatch", "minibatch"), ("general", "eigenbasis")] {
        let q = format!("spec_d=100&noise={noise}&t=5");
        let s = json(&["theory", &q])["spectrum"].clone();
        for key in [
            "loss_discrete",
            "loss_continuous",
            "anisotropy_ratio",
            "escape_discrete",
            "escape_continuous",
        ] {
            assert!(s[key].is_null(), "{noise}: {key} = {}", s[key]);
        }
        assert!(s["reason"].as_str().unwrap().contains(word), "{s}");
    }
}

#[test]
fn the_continuous_kramers_rate_grows_with_the_loss_scale() {
    // Eq. 24 at scale r: r|k_b|/(2π)·exp(…) with an r-independent exponent.
    let rate = |r: f64| {
        json(&["theory", &format!("dl=0.05&ka=1&kb=1&r={r}")])["kramers_rate_continuous"]
            .as_f64()
            .unwrap()
    };
    assert!((rate(2.0) / rate(1.0) - 2.0).abs() < 1e-12);
    assert!((rate(10.0) / rate(1.0) - 10.0).abs() < 1e-11);
}

#[test]
fn a_simulation_that_cannot_run_says_why_and_exits_non_zero() {
    let (code, out, err) = nqm(&["simulate", "opt=dnm&h2=0&walkers=10&steps=1"]);
    assert_ne!(code, 0);
    assert!(out.is_empty());
    assert!(err.contains("learning-rate matrix does not exist"), "{err}");
}
