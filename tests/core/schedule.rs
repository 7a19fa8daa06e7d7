//! Learning-rate schedules (Yaida Sec. 3.3) on the FDR panels' 2-D noisy quadratic
//! (K = diag(1, 0.1), C = I, η₀ = 0.1): runs under Yaida's rule lower their learning rate
//! exactly when, at the end of an epoch, their half-running averages satisfy |Ō_L/Ō_R − 1| < X,
//! and never otherwise; and the exact expected loss under a fixed schedule matches runs under
//! that schedule.

use nalgebra::{DMatrix, Matrix2, Vector2};
use nqm_explorer::model::Model;
use nqm_explorer::panels::kit::job_seed;
use nqm_explorer::sim::runs::Runs16;
use nqm_explorer::sim::schedule::Adaptive16;
use nqm_explorer::sim::stats::mean_se;
use nqm_explorer::theory::fdr_finite::loss_under_schedule;
use nqm_explorer::theory::schedule::{FdrRule, Schedule};

const LR: f64 = 0.1;

fn model() -> Model {
    Model::new(
        DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 0.1]),
        DMatrix::identity(2, 2),
    )
}

/// The start at distance `w0` from the minimum along (1, 1).
fn start(w0: f64) -> [f64; 2] {
    [w0 / 2f64.sqrt(); 2]
}

#[test]
fn the_rate_drops_exactly_when_the_relation_holds() {
    let steps = 20_000;
    // (X, Y, epoch, μ, w₀)
    for (x, y, epoch, mu, w0) in [
        (0.01, 0.1, 100, 0.0, 5.0),
        (0.1, 0.3, 50, 0.0, 5.0),
        (0.01, 0.1, 100, 0.9, 0.0),
    ] {
        let rule = FdrRule { x, y, epoch };
        let runs = Runs16::new(&model(), LR, mu, 0.0, start(w0), 99);
        let mut a = Adaptive16::new(runs, rule);
        let mut checks = 0;
        let mut lr = a.runs.lr;
        let mut drops = [0u32; 16];
        while a.t < steps {
            let before = a.runs.lr;
            match a.step() {
                None => assert_eq!(a.runs.lr, before, "{rule:?}: η changed between checks"),
                Some(ch) => {
                    checks += 1;
                    assert_eq!(a.t % epoch, 0);
                    for (i, c) in ch.iter().enumerate() {
                        let holds = (c.ratio - 1.0).abs() < x;
                        assert_eq!(c.dropped, holds, "{rule:?}: run {i} at {}: {c:?}", c.t);
                        assert_eq!(c.lr, lr[i]);
                        let want = if holds { lr[i] * (1.0 - y) } else { lr[i] };
                        assert_eq!(a.runs.lr[i], want);
                        drops[i] += u32::from(holds);
                    }
                    lr = a.runs.lr;
                }
            }
        }
        assert_eq!(checks, steps / epoch);
        assert_eq!(a.drops, drops);
        assert!(drops.iter().all(|&d| d > 0), "{rule:?}: {drops:?}");
    }
}

#[test]
fn the_exact_loss_of_a_fixed_schedule_matches_runs_under_it() {
    // Runs whose rate follows the evenly spaced schedule, against the exact recursion.
    let (k, c) = (Matrix2::new(1.0, 0.0, 0.0, 0.1), Matrix2::identity());
    let model = model();
    // (μ, ν, w₀, drops)
    for (mu, damp, w0, drops) in [(0.0, 0.0, 5.0, 12u64), (0.5, 0.2, 2.0, 5)] {
        let schedule = Schedule::EvenDrops {
            lr: LR,
            factor: 0.9,
            drops,
            steps: 6000,
        };
        let times = [500u64, 2000, 6000];
        let w = start(w0);
        let w = Vector2::new(w[0], w[1]);
        let exact = loss_under_schedule(&k, &c, mu, damp, &w, |s| schedule.lr(s), &times);
        let chunks = 100;
        let mut sums = vec![Vec::new(); times.len()];
        for ch in 0..chunks {
            let mut r = Runs16::new(&model, LR, mu, damp, start(w0), job_seed(7, ch));
            let mut s = 0;
            for (j, &t) in times.iter().enumerate() {
                while s < t {
                    s += 1;
                    r.lr = [schedule.lr(s); 16];
                    r.step();
                }
                sums[j].extend_from_slice(&r.loss());
            }
        }
        for (j, v) in sums.iter().enumerate() {
            let (m, se) = mean_se(v);
            let (m, se) = (m.unwrap(), se.unwrap());
            let z = (m - exact[j]).abs() / se;
            assert!(
                z < 5.0,
                "μ = {mu}, ν = {damp}, t = {}: {m} ± {se} vs exact {} ({z:.1} s.e.)",
                times[j],
                exact[j]
            );
        }
    }
}
