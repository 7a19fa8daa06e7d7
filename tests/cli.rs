//! The `nqm` command-line tool: same query strings as the page, JSON out, named errors.

use serde_json::Value;
use std::process::Command;

fn nqm(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nqm"))
        .args(args)
        .output()
        .expect("nqm runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(args: &[&str]) -> Value {
    let (code, out, err) = nqm(args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("valid JSON")
}

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
