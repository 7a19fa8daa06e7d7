//! `batch-size` (Zhang et al. 2019, Figs. 4–6) at reduced size: every Monte Carlo
//! steps-to-target point within max(5 standard errors, 1 step) of the exact T*, every point
//! of the walkers' mean loss within 5 standard errors of the exact L(t), for each optimizer,
//! with fixed seeds; the series named as the public format promises; and the keys only this
//! panel accepts (`mu=auto`, `n_data=0`) refused by name elsewhere; a measured spectrum equal
//! to the power law gives the same figure, and a binned one the figure of its expansion.

use nqm_explorer::figure::{Figure, Series, SeriesKind};
use nqm_explorer::model::spectrum::Spectrum;
use nqm_explorer::panels;
use nqm_explorer::panels::query::{parse_for, set_spectrum, Audience};
use nqm_explorer::params::spectrum::from_csv;
use nqm_explorer::params::Params;

fn setting(query: &str) -> Params {
    let (p, errors) = parse_for("batch-size", query, Audience::Cli);
    assert!(errors.is_empty(), "{errors:?}");
    p
}

/// A small model: D = 60, so that every optimizer has Monte Carlo points at B = 1…4096.
const SMALL: &str = "spec_d=60&walkers=256&batch=16&seed=3";

fn build(query: &str) -> Figure {
    let fig = panels::build(&setting(query), 2).unwrap();
    assert!(fig.complete(), "{query}: jobs left");
    fig
}

fn check_steps(fig: &Figure, name: &str) -> usize {
    let theory = fig.series_named(name).unwrap();
    let mc = fig.series_named(&format!("{name}: Monte Carlo")).unwrap();
    let se = mc.y_err.as_ref().unwrap();
    for (j, (&b, &y)) in mc.x.iter().zip(&mc.y).enumerate() {
        let k = theory.x.iter().position(|&x| x == b).unwrap();
        let want = theory.y[k];
        assert!(y.is_finite(), "{name} B = {b}: no point");
        let tol = (5.0 * se[j]).max(1.0);
        assert!(
            (y - want).abs() <= tol,
            "{name} B = {b}: {y} ± {} vs exact {want}",
            se[j]
        );
    }
    mc.x.len()
}

fn check_loss(fig: &Figure, name: &str) {
    let mc = fig
        .series_named(&format!("{name}: Monte Carlo mean L(t)"))
        .unwrap();
    let exact = fig.series_named(&format!("{name}: L(t)")).unwrap();
    let se = mc.y_err.as_ref().unwrap();
    for (j, (&t, &y)) in mc.x.iter().zip(&mc.y).enumerate() {
        // the exact curve is drawn on a finer grid that holds every Monte Carlo step
        let k = exact.x.iter().position(|&x| x == t).unwrap();
        let z = (y - exact.y[k]).abs() / se[j];
        assert!(
            z < 5.0,
            "{name} t = {t}: {y} ± {} vs {} ({z:.1} s.e.)",
            se[j],
            exact.y[k]
        );
    }
}

#[test]
fn monte_carlo_meets_the_exact_theory_for_every_optimizer() {
    let fig = build(SMALL);
    for name in ["SGD", "heavy ball", "preconditioned", "EMA"] {
        let s = fig.series_named(name).unwrap();
        assert_eq!(s.kind, SeriesKind::TheoryDiscrete, "{name}");
        assert!(
            check_steps(&fig, name) >= 3,
            "{name}: too few Monte Carlo points"
        );
        check_loss(&fig, name);
    }
    assert!(fig.readout("b_crit_sgd").unwrap().value.is_some());
    assert!(fig.readout("b_noise_start").unwrap().value.is_some());
}

#[test]
fn finite_data_and_optimised_momentum() {
    let q = "spec_d=40&walkers=128&n_data=2048&batch_max=1024&mu=auto&ema=0&seed=5";
    let fig = build(q);
    let b = fig.series_named("SGD").unwrap();
    assert_eq!(b.x.last(), Some(&1024.0));
    check_steps(&fig, "heavy ball");
    check_steps(&fig, "SGD");
    assert!(fig.series_named("EMA").is_none(), "ema = 0 is SGD itself");
    assert!(fig.readout("mu_heavy_ball").unwrap().value.is_some());
}

#[test]
fn max_steps_reached_is_named_and_not_drawn() {
    let fig = panels::plan(&setting("spec_d=60&max_steps=50&walkers=16")).unwrap();
    let note = fig.plots[0].note.clone().unwrap_or_default();
    assert!(note.contains("max_steps = 50"), "{note}");
    let sgd = fig.series_named("SGD").unwrap();
    assert!(sgd.y[0].is_nan(), "B = 1 needs more than 50 steps");
}

#[test]
fn large_d_is_binned_and_quick() {
    let t0 = std::time::Instant::now();
    let fig = panels::plan(&setting("spec_d=100000&walkers=16")).unwrap();
    let note = fig.plots[0].note.clone().unwrap_or_default();
    assert!(note.contains("geometric bins"), "{note}");
    assert!(t0.elapsed().as_secs_f64() < 20.0, "{:?}", t0.elapsed());
}

#[test]
fn auto_momentum_and_infinite_data_are_refused_by_name_elsewhere() {
    for q in ["mu=auto", "n_data=0"] {
        let (_, errors) = parse_for("momentum", q, Audience::Cli);
        assert_eq!(errors.len(), 1, "{q}: {errors:?}");
        assert!(
            errors[0].reason.contains("batch-size"),
            "{}",
            errors[0].reason
        );
    }
    let (p, errors) = parse_for("batch-size", "mu=auto&n_data=0", Audience::Cli);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(p.mu_auto && p.n_data == 0);
}

#[test]
fn a_pending_plan_has_no_jobs_until_a_worker_s_plan_is_adopted() {
    let p = setting("spec_d=60");
    let pending = panels::Planned::pending(&p).unwrap();
    assert!(pending.is_pending());
    assert_eq!(pending.figure.jobs, 0);
    assert!(pending.job(0).is_empty());
    let note = pending.figure.plots[0].note.clone();
    assert_eq!(note.as_deref(), Some(panels::PENDING_NOTE));
    let made = panels::Planned::new(&p).unwrap();
    let figure = serde_json::to_string(&made.figure).unwrap();
    let adopted = panels::Planned::from_json("batch-size", &made.plan_json(), &figure).unwrap();
    assert!(!adopted.is_pending());
    assert_eq!(adopted.figure.jobs, made.figure.jobs);
}

/// The default plan's time, printed (`-- --nocapture`); a loose bound only (the machine is
/// shared): the figure's speed is measured by `make bench`.
#[test]
fn the_default_plan_takes_about_a_second_at_most() {
    let p = setting("");
    let t0 = std::time::Instant::now();
    let fig = panels::plan(&p).unwrap();
    let seconds = t0.elapsed().as_secs_f64();
    eprintln!("batch-size default plan: {seconds:.3} s, {} jobs", fig.jobs);
    assert!(seconds < 10.0, "{seconds} s");
}

/// The power law hᵢ = h₁·i^(−p), cᵢ = hᵢ, counts 1, i = 1…d, as a measured spectrum read from
/// CSV text.
pub fn power_law_spectrum(d: usize, h1: f64, p: f64) -> Spectrum {
    let mut text = String::from("h,c,count\n");
    for i in 1..=d {
        let h = h1 * (i as f64).powf(-p);
        text.push_str(&format!("{h},{h},1\n"));
    }
    from_csv(&text).unwrap()
}

/// A binned spectrum (counts > 1, its own noise column) and the same spectrum with every row
/// repeated by its count.
pub fn binned_and_expanded() -> (Spectrum, Spectrum) {
    let binned = from_csv("h,c,count\n2,1.5,3\n1,0.3,5\n0.5,0.7,2\n0.1,0.05,10\n").unwrap();
    let (h, c) = binned.expanded(1.0);
    let expanded = Spectrum::new(h, Some(c), None).unwrap();
    (binned, expanded)
}

/// `p` with spectrum `s` set as a file read by the CLI or the page would set it.
pub fn with_spectrum(p: &Params, s: Spectrum) -> Params {
    let mut q = p.clone();
    let notes = set_spectrum(&mut q, Some(s)).unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    q
}

/// Whether a and b agree to `rel` relative (NaN with NaN, ±∞ with itself).
fn close(a: f64, b: f64, rel: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= rel * a.abs().max(b.abs())
}

/// Every series of `want` equals the series of the same name (and plot) in `got` (x, y and error bars to
/// `rel` relative), and `got` has no other series, but for those named in `skip`.
pub fn assert_same_series(want: &Figure, got: &Figure, rel: f64, skip: &[&str]) {
    let named = |f: &Figure, name: &str| -> Vec<Series> {
        f.series
            .iter()
            .filter(|s| s.name == name)
            .cloned()
            .collect()
    };
    let compared =
        (want.series.iter().enumerate()).filter(|(_, s)| !skip.contains(&s.name.as_str()));
    for (i, w) in compared {
        // a name may stand in two plots (a marker and a curve): pair them in order
        let n = want.series[..i].iter().filter(|s| s.name == w.name).count();
        let g = (named(got, &w.name).get(n).cloned())
            .unwrap_or_else(|| panic!("no series '{}'", w.name));
        let pairs = [(&w.x, &g.x), (&w.y, &g.y)];
        for (which, (a, b)) in ["x", "y"].iter().zip(pairs) {
            assert_eq!(a.len(), b.len(), "{}: {which} lengths", w.name);
            for (j, (&a, &b)) in a.iter().zip(b).enumerate() {
                assert!(close(a, b, rel), "{} {which}[{j}]: {a} vs {b}", w.name);
            }
        }
        let (we, ge) = (w.y_err.clone().unwrap_or_default(), g.y_err.clone());
        let ge = ge.unwrap_or_default();
        assert_eq!(we.len(), ge.len(), "{}: error bars", w.name);
        for (j, (&a, &b)) in we.iter().zip(&ge).enumerate() {
            assert!(close(a, b, rel), "{} y_err[{j}]: {a} vs {b}", w.name);
        }
    }
    let compared = |f: &Figure| {
        (f.series.iter())
            .filter(|s| !skip.contains(&s.name.as_str()))
            .count()
    };
    assert_eq!(compared(got), compared(want), "series counts");
}

#[test]
fn a_spectrum_equal_to_the_power_law_gives_the_same_figure() {
    let p = setting("spec_d=40&walkers=64&batch=16&batch_max=1024&seed=3");
    let want = panels::build(&p, 2).unwrap();
    let q = with_spectrum(&p, power_law_spectrum(40, p.h1, p.spec_decay));
    let got = panels::build(&q, 2).unwrap();
    assert!(want.complete() && got.complete());
    assert!(want.series_named("SGD: Monte Carlo").is_some());
    // the same model and the same walkers: equal theory, identical Monte Carlo points
    assert_same_series(&want, &got, 0.0, &[]);
    for r in &want.readouts {
        assert_eq!(got.readout(&r.key).unwrap().value, r.value, "{}", r.key);
    }
    let title = &got.plots[0].title;
    assert!(
        title.contains("your spectrum (40 rows, 40 directions)"),
        "{title}"
    );
    assert!(!title.contains("i^"), "{title}");
}

#[test]
fn a_binned_spectrum_equals_its_expansion() {
    let p = setting("walkers=64&batch=16&batch_max=1024&seed=3");
    let (binned, expanded) = binned_and_expanded();
    let a = panels::build(&with_spectrum(&p, binned), 2).unwrap();
    let b = panels::build(&with_spectrum(&p, expanded), 2).unwrap();
    assert!(a.complete() && b.complete());
    let mc: Vec<String> = (a.series.iter())
        .filter(|s| s.name.contains("Monte Carlo"))
        .map(|s| s.name.clone())
        .collect();
    assert!(!mc.is_empty(), "walkers in the 20 directions");
    let skip: Vec<&str> = mc.iter().map(String::as_str).collect();
    // the theory: weighted rows against repeated ones (sums in another order)
    assert_same_series(&b, &a, 1e-12, &skip);
    let note = a.plots[0].note.clone().unwrap_or_default();
    assert!(note.contains("4 rows for D = 20 directions"), "{note}");
}

#[test]
fn a_spectrum_past_the_walkers_limit_is_theory_only_and_its_walkers_capped() {
    let p = setting("walkers=1000&batch=16&batch_max=256");
    let s = from_csv("h,count\n1,10000\n0.01,10000\n").unwrap();
    let mut q = p.clone();
    let notes = set_spectrum(&mut q, Some(s)).unwrap();
    // 1000 walkers × 20 000 directions > the 4·10⁶ coordinates a run may hold
    assert!(notes.iter().any(|e| e.key == "walkers"), "{notes:?}");
    assert_eq!(q.walkers, 200);
    let fig = panels::plan(&q).unwrap();
    assert_eq!(fig.jobs, 0);
    let note = fig.plots[0].note.clone().unwrap_or_default();
    assert!(note.contains("no Monte Carlo"), "{note}");
    assert!(fig
        .series_named("SGD")
        .unwrap()
        .y
        .iter()
        .any(|y| y.is_finite()));
    // the stability limit of SGD: 2/h_max
    let limit = fig.series_named("SGD: stability limit").unwrap();
    assert!(
        limit.y.iter().all(|y| y.is_nan() || *y == 2.0),
        "{:?}",
        limit.y
    );
}
