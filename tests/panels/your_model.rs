//! `your-model`: theory only. Its readouts are `theory::measured::summarise`'s, and they and its
//! curves are the closed forms per direction: SGD's stationary loss Σᵢ wᵢλcᵢf/(2(2 − λhᵢ)), the
//! continuous-time λfΣᵢwᵢcᵢ/4, the edge 2(1 + μ)/h_max, the Bayes-optimal λ a root of Eq. 16
//! with cᵢ.

use nqm_explorer::figure::Figure;
use nqm_explorer::model::spectrum::Spectrum;
use nqm_explorer::panels;
use nqm_explorer::panels::query::{parse_for, Audience};
use nqm_explorer::params::Params;
use nqm_explorer::theory::bayes::thm6_factor;
use nqm_explorer::theory::measured::summarise;

fn setting(query: &str) -> Params {
    let (p, errors) = parse_for("your-model", query, Audience::Page);
    assert!(errors.is_empty(), "{errors:?}");
    p
}

fn value(fig: &Figure, key: &str) -> Option<f64> {
    fig.readout(key)
        .unwrap_or_else(|| panic!("no readout {key}"))
        .value
}

const CUSTOM: &str =
    "spectrum=1*0.5*1_0.3*1*2_0.05*2*3&lr=0.8&batch=10&n_data=500&batch_max=256&theta0=2";

#[test]
fn readouts_are_the_summary() {
    for (query, spectrum) in [
        ("", Spectrum::power_law(100, 2.0, 1.3).unwrap()),
        (CUSTOM, setting(CUSTOM).spectrum.unwrap()),
    ] {
        let p = setting(query);
        let fig = panels::plan(&p).unwrap();
        assert_eq!(fig.jobs, 0);
        let s = summarise(&spectrum, &p.measured_setting());
        let t = s.tradeoff.as_ref().unwrap();
        for (key, want) in [
            ("lr_max", Some(s.stability_edge)),
            ("edge_fraction", Some(s.edge_fraction)),
            ("loss_discrete", s.loss_discrete),
            ("loss_continuous", s.loss_continuous),
            ("loss_ratio", s.loss_ratio),
            ("bayes_lr", s.bayes_lr),
            ("bayes_lr_continuous", s.bayes_lr_continuous),
            ("anisotropy_ratio", s.anisotropy_ratio),
            ("b_crit", Some(t.b_crit)),
            ("s_min", Some(t.s_min)),
            ("e_min", Some(t.e_min)),
        ] {
            assert!(want.is_some(), "{query}: {key}");
            assert_eq!(value(&fig, key), want, "{query}: {key}");
        }
    }
}

#[test]
fn numbers_are_the_closed_forms_per_direction() {
    let p = setting(CUSTOM);
    let s = p.spectrum.clone().unwrap();
    let (h, c, w) = (s.h(), s.c().unwrap(), s.weights());
    let (n, b) = (p.n_data as f64, p.batch as f64);
    let f = (n - b) / (b * (n - 1.0)); // B of N without replacement
    let exact = |lr: f64| -> f64 {
        (0..h.len())
            .map(|i| w[i] * lr * c[i] * f / (2.0 * (2.0 - lr * h[i])))
            .sum()
    };
    let continuous =
        |lr: f64| -> f64 { lr * f * (0..h.len()).map(|i| w[i] * c[i]).sum::<f64>() / 4.0 };
    let fig = panels::plan(&p).unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
    assert!(close(value(&fig, "lr_max").unwrap(), 2.0 / 1.0));
    assert!(close(value(&fig, "loss_discrete").unwrap(), exact(p.lr)));
    assert!(close(
        value(&fig, "loss_continuous").unwrap(),
        continuous(p.lr)
    ));
    let curve = fig.series_named("exact discrete").unwrap();
    let cont = fig.series_named("continuous").unwrap();
    assert_eq!(curve.plot, 1);
    for j in (0..curve.x.len()).step_by(17) {
        assert!(close(curve.y[j], exact(curve.x[j])), "λ = {}", curve.x[j]);
        assert!(close(cont.y[j], continuous(cont.x[j])), "λ = {}", cont.x[j]);
    }
    // The Bayes-optimal λ is the root of Eq. 16 with cᵢ, Thm 6's factor f = (N − S)/(NS):
    // Nf Σᵢ 2wᵢcᵢ/(2 − λhᵢ)² − Σᵢ wᵢhᵢ/(2 − λhᵢ) − D/λ = 0, below the edge.
    let lr = value(&fig, "bayes_lr").unwrap();
    let f6 = thm6_factor(n, b);
    let d: f64 = w.iter().sum();
    let (mut first, mut second) = (0.0, 0.0);
    for i in 0..h.len() {
        let r = 2.0 - lr * h[i];
        first += n * f6 * 2.0 * w[i] * c[i] / (r * r);
        second += w[i] * h[i] / r;
    }
    let g = first - second - d / lr;
    assert!(g.abs() < 1e-9 * (d / lr), "Eq. 16 at λ = {lr}: {g}");
    assert!(lr > 0.0 && lr < 2.0);
    let wc: f64 = (0..h.len()).map(|i| w[i] * c[i]).sum();
    let want = 2.0 * d / (n * f6 * wc);
    assert!(close(value(&fig, "bayes_lr_continuous").unwrap(), want));
}

#[test]
fn the_example_says_so_and_missing_values_say_why() {
    let fig = panels::plan(&setting("")).unwrap();
    assert!(fig.plots[0].title.starts_with("example spectrum"));
    let hist = fig.series_named("directions").unwrap();
    let total: f64 = hist.y.iter().step_by(2).sum();
    assert_eq!(total, 100.0);
    let fig = panels::plan(&setting(CUSTOM)).unwrap();
    assert!(
        fig.plots[0].title.contains("D = 6"),
        "{}",
        fig.plots[0].title
    );
    // Infinite data: no Bayes-optimal rate, and the plot says why; no readout is NaN.
    let fig = panels::plan(&setting("n_data=0&batch=1")).unwrap();
    assert_eq!(value(&fig, "bayes_lr"), None);
    assert!(fig.plots[1]
        .note
        .as_deref()
        .unwrap()
        .contains("finite data set"));
    assert!(fig
        .readouts
        .iter()
        .all(|r| r.value.is_none_or(f64::is_finite)));
}
