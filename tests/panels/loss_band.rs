//! `loss-band` (the blog post's 2-D NQM; Yaida 2019, FDR1 and Sec. 2.3.1) at fixed seeds: the
//! long-run average of one trajectory's loss is within 5 batch-means standard errors of the
//! exact discrete value, and its spread matches the exact Var f = ½Tr[(KΣ)²]; the batch-means
//! error agrees with the exact one from the loss's autocorrelation; the harmonic band
//! (η/4)Tr C is off by many standard errors at large η, as the theory says, and close at
//! small η.

use nqm_explorer::figure::Series;
use nqm_explorer::panels::query::{parse_for, Audience};
use nqm_explorer::panels::{self, loss_band};
use nqm_explorer::params::Params;

fn setting(query: &str) -> Params {
    let (p, errors) = parse_for("loss-band", query, Audience::Page);
    assert!(errors.is_empty(), "{errors:?}");
    p
}

fn value(fig: &nqm_explorer::figure::Figure, key: &str) -> (f64, Option<f64>) {
    let r = fig
        .readout(key)
        .unwrap_or_else(|| panic!("no readout {key}"));
    (r.value.unwrap_or_else(|| panic!("{key} is null")), r.se)
}

/// The series called `name` in plot `plot`.
fn series<'a>(fig: &'a nqm_explorer::figure::Figure, plot: usize, name: &str) -> &'a Series {
    fig.series
        .iter()
        .find(|s| s.plot == plot && s.name == name)
        .unwrap_or_else(|| panic!("no series {name} in plot {plot}"))
}

/// The settings checked: the default (white noise), the blog's NQM (C = K), large and small η.
const SETTINGS: &[&str] = &[
    "seed=1",
    "sigma2=0&a=1&seed=2",
    "lr=1.6&seed=3",
    "lr=0.05&kappa=10&steps=400000&seed=4",
    "lr=1&h2=1.8&h1=0.5&kappa=20&sigma2=0.5&a=0.5&seed=5",
];

#[test]
fn the_time_average_and_spread_match_the_exact_stationary_loss() {
    for query in SETTINGS {
        let p = setting(query);
        let fig = panels::build(&p, 2).unwrap();
        assert!(fig.complete());
        for pre in ["well", "ill"] {
            let nqm = loss_band::nqm(&p, (pre == "ill") as usize);
            let burn = nqm.burn_in(p.lr, p.steps);
            assert!(burn < p.steps, "{query}: the burn-in was cut short");
            // The mean, within 5 batch-means s.e. of the exact expectation over the window.
            let (z, _) = value(&fig, &format!("{pre}_z_exact"));
            assert!(z.abs() < 5.0, "{query} {pre}: mean off by {z:.1} s.e.");
            let (m, se) = value(&fig, &format!("{pre}_mean_mc"));
            let want = nqm.loss_window_mean(p.lr, burn, p.steps).unwrap();
            assert!((m - want).abs() < 5.0 * se.unwrap());
            // Batch means are long enough: their s.e. agrees with the exact asymptotic one
            // (32 batches: the estimate's relative s.d. is about 1/√62 = 0.13).
            let (se_exact, _) = value(&fig, &format!("{pre}_se_exact"));
            let ratio = se.unwrap() / se_exact;
            assert!(
                (0.55..1.6).contains(&ratio),
                "{query} {pre}: batch-means s.e. / exact = {ratio}"
            );
            // The spread: the exact s.d. √(½Tr[(KΣ)²]).
            let (sd, sd_se) = value(&fig, &format!("{pre}_sd_mc"));
            let (sd_exact, _) = value(&fig, &format!("{pre}_sd_exact"));
            assert!(
                (sd - sd_exact).abs() < 5.0 * sd_se.unwrap(),
                "{query} {pre}: s.d. {sd} ± {sd_se:?} vs {sd_exact}"
            );
            // FDR1 from the squared minibatch gradients gives the same mean.
            let (f1, f1_se) = value(&fig, &format!("{pre}_fdr1_mc"));
            let (exact, _) = value(&fig, &format!("{pre}_mean_exact"));
            assert!(
                (f1 - exact).abs() < 5.0 * f1_se.unwrap(),
                "{query} {pre}: FDR1 {f1} ± {f1_se:?} vs {exact}"
            );
        }
    }
}

#[test]
fn the_harmonic_band_is_off_at_large_learning_rate_and_close_at_small() {
    // Large η: the harmonic mean (η/4)Tr C misses by the factor 2/(2 − ηhᵢ) per direction,
    // many standard errors.
    let p = setting("lr=1.5&seed=7");
    let fig = panels::build(&p, 2).unwrap();
    for pre in ["well", "ill"] {
        let (z, _) = value(&fig, &format!("{pre}_z_harmonic"));
        assert!(z > 20.0, "{pre}: harmonic only {z:.1} s.e. off");
        let (sd, sd_se) = value(&fig, &format!("{pre}_sd_mc"));
        let (sd_h, _) = value(&fig, &format!("{pre}_sd_harmonic"));
        assert!((sd - sd_h) / sd_se.unwrap() > 20.0, "{pre}: harmonic s.d.");
    }
    // Small η: the two agree to O(ηh) (theory), and the trajectory cannot tell them apart at
    // this sample size.
    let p = setting("lr=0.02&kappa=4&steps=200000&seed=8");
    let fig = panels::build(&p, 2).unwrap();
    for (which, pre) in ["well", "ill"].iter().enumerate() {
        let nqm = loss_band::nqm(&p, which);
        let (m, _) = nqm.loss_band(p.lr).unwrap();
        let (mh, _) = nqm.loss_band_continuous(p.lr).unwrap();
        assert!(mh < m && (m - mh) / m < 0.01, "{pre}: {m} vs {mh}");
        let (z, _) = value(&fig, &format!("{pre}_z_harmonic"));
        assert!(z.abs() < 5.0, "{pre}: {z}");
    }
}

#[test]
fn the_bands_are_the_closed_forms() {
    // K, C diagonal: ½Tr(KΣ) = ½Σ ηcᵢ/(2 − ηhᵢ), Var = ½Σ (ηcᵢ/(2 − ηhᵢ))², harmonic
    // (η/4)Tr C with Var ½Σ (ηcᵢ/2)².
    let p = setting("lr=0.8&h1=1.5&h2=0.3&kappa=30&sigma2=0.4&a=0.7&steps=1000");
    let fig = panels::plan(&p).unwrap();
    for (which, pre) in ["well", "ill"].iter().enumerate() {
        let nqm = loss_band::nqm(&p, which);
        let d: Vec<f64> = (0..2)
            .map(|i| p.lr * nqm.c[i] / (2.0 - p.lr * nqm.h[i]))
            .collect();
        let mean = 0.5 * (d[0] + d[1]);
        let sd = (0.5 * (d[0] * d[0] + d[1] * d[1])).sqrt();
        let (m, _) = value(&fig, &format!("{pre}_mean_exact"));
        let (s, _) = value(&fig, &format!("{pre}_sd_exact"));
        assert!((m - mean).abs() < 1e-12 && (s - sd).abs() < 1e-12);
        let hm = p.lr / 4.0 * (nqm.c[0] + nqm.c[1]);
        let hs = (0.5 * (nqm.c[0].powi(2) + nqm.c[1].powi(2))).sqrt() * p.lr / 2.0;
        let (m, _) = value(&fig, &format!("{pre}_mean_harmonic"));
        let (s, _) = value(&fig, &format!("{pre}_sd_harmonic"));
        assert!(
            (m - hm).abs() < 1e-12 && (s - hs).abs() < 1e-12,
            "{m} {hm} {s} {hs}"
        );
        // The drawn lines are these values.
        let line = series(&fig, which, "exact ½Tr(KΣ) = (η/4)Tr C̃");
        assert!(line.y.iter().all(|y| (y - mean).abs() < 1e-12));
    }
    // `steps` sets the trajectory's length (at most 500 steps drawn).
    assert_eq!(series(&fig, 0, "trajectory").x.len(), 500);
    let short = panels::plan(&setting("steps=120")).unwrap();
    assert_eq!(series(&short, 0, "trajectory").x.len(), 120);
}
