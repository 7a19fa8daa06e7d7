//! `batch-size` (Zhang et al. 2019, Figs. 4–6) at reduced size: every Monte Carlo
//! steps-to-target point within max(5 standard errors, 1 step) of the exact T*, every point
//! of the walkers' mean loss within 5 standard errors of the exact L(t), for each optimizer,
//! with fixed seeds; the series named as the public format promises; and the keys only this
//! panel accepts (`mu=auto`, `n_data=0`) refused by name elsewhere.

use nqm_explorer::figure::{Figure, SeriesKind};
use nqm_explorer::panels;
use nqm_explorer::panels::query::{parse_for, Audience};
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
