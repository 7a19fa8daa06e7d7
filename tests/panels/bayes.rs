//! `bayes` (Liu et al. Thm 6, Sec. 6.1): the KL curve's minimum is at the root of Eq. 16, and
//! Mandt et al.'s λ* sits where the paper puts it — Eq. 16 without its nonlinear terms: equal to the root for an isotropic Hessian, above it
//! for a spread spectrum, converging to it when S ≪ N and λk ≪ 1 and drifting away as λk grows;
//! a measured spectrum with cᵢ = hᵢ gives the power law's curves.

use super::batch_size::{
    assert_same_series, binned_and_expanded, power_law_spectrum, with_spectrum,
};
use nqm_explorer::panels::query::{parse_for, Audience};
use nqm_explorer::panels::{self, bayes as pb};
use nqm_explorer::params::Params;
use nqm_explorer::theory::{bayes, closed_form as cf};

fn setting(query: &str) -> Params {
    let (p, errors) = parse_for("bayes", query, Audience::Page);
    assert!(errors.is_empty(), "{errors:?}");
    p
}

#[test]
fn the_kl_minimum_is_at_the_root_of_eq_16() {
    for query in [
        "",
        "spec_d=1",
        "spec_d=100&spec_decay=0.5&n_data=60000&batch=128",
        "spec_d=1000&spec_decay=1.5&h1=3&n_data=500&batch=200",
    ] {
        let p = setting(query);
        let fig = panels::build(&p, 1).unwrap();
        assert_eq!(fig.jobs, 0);
        assert!(fig.complete());
        let root = fig.readout("lr_opt").unwrap().value.unwrap();
        let ks = pb::spectrum_of(&p);
        let (n, s) = (p.n_data as f64, p.batch as f64);
        // The root of Eq. 16 as printed.
        let scale: f64 = ks.len() as f64 / root;
        assert!(cf::eq16(&ks, n, s, root).abs() < 1e-9 * scale, "{query}");
        // The plotted curve's smallest value is next to it, and the KL rises on either side.
        let kl = fig.series_named("D_KL, exact stationary Σ").unwrap();
        let (j, _) =
            kl.y.iter()
                .enumerate()
                .filter(|(_, y)| y.is_finite())
                .min_by(|a, b| a.1.total_cmp(b.1))
                .unwrap();
        assert!(
            kl.x[j - 1] < root && root < kl.x[j + 1],
            "{query}: {} vs {root}",
            kl.x[j]
        );
        let f = bayes::thm6_factor(n, s);
        let at = |lr: f64| bayes::kl_modes(&ks, n, f, lr).unwrap();
        for eps in [1e-2, 1e-4] {
            assert!(at(root * (1.0 + eps)) > at(root) && at(root * (1.0 - eps)) > at(root));
        }
        // The vertical line marks it.
        assert_eq!(fig.series_named("root of Eq. 16").unwrap().x, vec![root]);
        // The regrouped derivative with Thm 6's factor is Eq. 16.
        let r2 = bayes::optimal_lr_with_factor(&ks, n, f).unwrap();
        assert!((r2 - root).abs() < 1e-12 * root);
    }
}

#[test]
fn mandt_is_exact_for_an_isotropic_hessian_whatever_n_and_s() {
    for (d, n, s) in [
        (1, 1000, 100),
        (5, 100, 40),
        (50, 30, 20),
        (3, 10_000, 9_000),
    ] {
        let p = setting(&format!(
            "spec_d={d}&spec_decay=0&h1=0.7&n_data={n}&batch={s}"
        ));
        let fig = panels::plan(&p).unwrap();
        let root = fig.readout("lr_opt").unwrap().value.unwrap();
        let mandt = fig.readout("lr_mandt").unwrap().value.unwrap();
        assert!(
            (root / mandt - 1.0).abs() < 1e-9,
            "{d} {n} {s}: {root} vs {mandt}"
        );
    }
}

#[test]
fn mandt_overshoots_a_spread_spectrum_less_as_s_much_less_than_n_and_more_as_lambda_k_grows() {
    // S ≪ N and λk ≪ 1: λ*/root → 1 from above.
    let mut last = f64::INFINITY;
    for n in [1_000u64, 10_000, 100_000, 1_000_000] {
        let p = setting(&format!("spec_d=100&spec_decay=1&n_data={n}&batch=10"));
        let fig = panels::plan(&p).unwrap();
        let r = fig.readout("mandt_over_opt").unwrap().value.unwrap();
        assert!(r > 1.0 && r < last, "N = {n}: {r}");
        last = r;
    }
    assert!(last - 1.0 < 2e-4, "{last}");
    // At N/S = 10 the optimum has λk of order one and λ* is far off — for D = 100 it lies
    // beyond the stability limit 2/k_max, where the KL does not exist.
    let p = setting("spec_d=100&spec_decay=1&n_data=1000&batch=100");
    let fig = panels::plan(&p).unwrap();
    let r = |k: &str| fig.readout(k).unwrap().value;
    assert!(r("mandt_over_opt").unwrap() > 2.0);
    assert!(r("lr_mandt").unwrap() > r("lr_limit").unwrap());
    assert!(r("kl_mandt").is_none());
    assert!(r("lr_opt").unwrap() < r("lr_limit").unwrap());
    // The KL at λ* (when it exists) is larger than at the optimum.
    let fig = panels::plan(&setting("")).unwrap();
    let r = |k: &str| fig.readout(k).unwrap().value.unwrap();
    assert!(r("kl_mandt") > r("kl_opt"));
    assert!(r("mandt_over_opt") > 1.1);
}

#[test]
fn the_exact_sampling_factor_barely_moves_the_optimum_for_large_n() {
    let fig = panels::plan(&setting("n_data=1000&batch=100")).unwrap();
    let r = |k: &str| fig.readout(k).unwrap().value.unwrap();
    let (a, b) = (r("lr_opt"), r("lr_opt_exact_factor"));
    assert!(b < a && (a - b) / a < 2e-3, "{a} {b}");
}

#[test]
fn a_spectrum_equal_to_the_power_law_gives_the_same_curves() {
    for query in ["", "spec_d=100&spec_decay=0.5&n_data=60000&batch=128"] {
        let p = setting(query);
        let want = panels::plan(&p).unwrap();
        let s = power_law_spectrum(p.spec_d as usize, p.h1, p.spec_decay);
        let got = panels::plan(&with_spectrum(&p, s)).unwrap();
        // Thm 6 with cᵢ = hᵢ and a = 1 is the power law's Thm 6, Mandt's λ* its 2SD/(N Tr K)
        for r in &want.readouts {
            let (a, b) = (r.value, got.readout(&r.key).unwrap().value);
            let same = a
                .zip(b)
                .is_some_and(|(a, b)| (a - b).abs() <= 1e-12 * a.abs());
            assert!(same || a == b, "{query}: {} {a:?} vs {b:?}", r.key);
        }
        // the measured KL with cᵢ = hᵢ at the power law's rates is its KL
        let kl = want.series_named("D_KL, exact stationary Σ").unwrap();
        let f = bayes::thm6_factor(p.n_data as f64, p.batch as f64);
        let ks = pb::spectrum_of(&p);
        let h = bayes::Measured {
            h: &ks,
            c: &ks,
            w: None,
        };
        for (&lr, &y) in kl.x.iter().zip(&kl.y) {
            let m = bayes::kl_measured(&h, p.n_data as f64, f, lr).unwrap();
            assert!(
                (m - y).abs() <= 1e-12 * y.abs(),
                "{query} λ = {lr}: {m} vs {y}"
            );
        }
        assert_same_series(&want, &got, 1e-12, &[]);
        assert!(
            got.plots[0].title.contains("your spectrum"),
            "{}",
            got.plots[0].title
        );
    }
}

#[test]
fn a_binned_spectrum_equals_its_expansion() {
    let p = setting("n_data=1000&batch=10");
    let (binned, expanded) = binned_and_expanded();
    let a = panels::plan(&with_spectrum(&p, binned)).unwrap();
    let b = panels::plan(&with_spectrum(&p, expanded)).unwrap();
    assert_same_series(&b, &a, 1e-12, &[]);
    for r in &b.readouts {
        let (x, y) = (r.value.unwrap(), a.readout(&r.key).unwrap().value.unwrap());
        assert!((x - y).abs() <= 1e-12 * x.abs(), "{}: {x} vs {y}", r.key);
    }
    assert!(a.plots[0]
        .title
        .contains("your spectrum (4 rows, 20 directions)"));
}
