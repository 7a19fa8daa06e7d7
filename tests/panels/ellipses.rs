//! `ellipses` (Liu et al. Fig. 3) as a figure at reduced sample size: the walkers' covariance
//! after `steps` steps is within 5 standard errors of the exact discrete-time covariance after
//! those steps, entry by entry, for white and minibatch noise and with momentum; the
//! continuous-time ellipse is off by far more at a large learning rate, as in Fig. 3c and 3f.

use nqm_explorer::panels::live::Animation;
use nqm_explorer::panels::query::{parse_for, Audience};
use nqm_explorer::panels::{self, Planned};
use nqm_explorer::theory;

/// Sample covariance of the walker dots and the standard errors of its entries.
fn covariance(x: &[f64], y: &[f64]) -> ([[f64; 2]; 2], [[f64; 2]; 2]) {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cols = [x, y];
    let means = [mx, my];
    let mut c = [[0.0; 2]; 2];
    let mut se = [[0.0; 2]; 2];
    for a in 0..2 {
        for b in 0..2 {
            let prods: Vec<f64> = (0..x.len())
                .map(|i| (cols[a][i] - means[a]) * (cols[b][i] - means[b]))
                .collect();
            let m = prods.iter().sum::<f64>() / (n - 1.0);
            let v = prods.iter().map(|p| (p - m) * (p - m)).sum::<f64>() / (n - 1.0);
            c[a][b] = m;
            se[a][b] = (v / n).sqrt();
        }
    }
    (c, se)
}

fn check(query: &str, continuous_off: bool) {
    let (p, errors) = parse_for("ellipses", query, Audience::Cli);
    assert!(errors.is_empty(), "{errors:?}");
    let fig = panels::build(&p, 2).unwrap();
    assert!(fig.complete());
    let w = fig.series_named("walkers").unwrap();
    assert_eq!(w.x.len(), p.walkers as usize, "{query}: walkers lost");
    let (c, se) = covariance(&w.x, &w.y);
    let model = p.model();
    let opt = p.optimizer();
    let exact = theory::escape::sigma_after(&model, &opt, p.steps).unwrap();
    let cont = theory::continuous(&model, &opt).unwrap();
    let mut worst_c: f64 = 0.0;
    for a in 0..2 {
        for b in 0..2 {
            let z = (c[a][b] - exact[(a, b)]).abs() / se[a][b];
            assert!(
                z < 5.0,
                "{query}: Σ[{a}{b}] = {} ± {} vs exact {} ({z:.1} s.e.)",
                c[a][b],
                se[a][b],
                exact[(a, b)]
            );
            worst_c = worst_c.max((c[a][b] - cont[(a, b)]).abs() / se[a][b]);
        }
    }
    if continuous_off {
        assert!(
            worst_c > 10.0,
            "{query}: continuous within {worst_c:.1} s.e."
        );
    }
}

#[test]
fn white_noise_walkers_follow_the_exact_ellipse_and_not_the_continuous_one() {
    check("noise=white&lr=0.1&walkers=20000&steps=300&seed=3", false);
    check(
        "noise=white&lr=1.5&h_angle=30&walkers=20000&steps=300&seed=4",
        true,
    );
}

#[test]
fn minibatch_and_momentum_walkers_follow_the_exact_ellipse() {
    check("noise=minibatch&lr=1.5&walkers=5000&steps=300&seed=5", true);
    check(
        "noise=general&lr=0.8&mu=0.5&walkers=20000&steps=300&seed=6",
        false,
    );
}

/// The live page's walkers, as `PanelView` drives them: planned at a query, animated.
fn live(query: &str) -> (Planned, Animation) {
    let (p, errors) = parse_for("ellipses", query, Audience::Page);
    assert!(errors.is_empty(), "{errors:?}");
    let mut planned = Planned::new(&p).unwrap();
    let animation = Animation::start(&mut planned).unwrap();
    (planned, animation)
}

#[test]
fn divergent_walkers_are_counted_and_revived_when_stable_again() {
    let (mut planned, mut a) = live("lr=2.5&walkers=200");
    a.advance(200, &mut planned);
    assert_eq!(a.ensemble().diverged(), 200);
    let d = planned.figure.details.clone().unwrap();
    assert!(d["sigma_discrete"].is_null() && d["sigma_empirical"].is_null());
    assert_eq!(d["diverged"], 200);
    assert!(!d.to_string().contains("NaN"));
    let note = planned.figure.plots[0].note.clone().unwrap();
    assert!(note.contains("200 of 200 walkers escaped"), "{note}");
    let (p, _) = parse_for("ellipses", "lr=0.5&walkers=200", Audience::Page);
    let mut next = Planned::new(&p).unwrap();
    a.follow(&mut next);
    assert_eq!(a.ensemble().diverged(), 0);
    assert_eq!(
        a.ensemble().steps(),
        200,
        "the walkers go on, they do not start again"
    );
}

#[test]
fn a_new_seed_or_count_starts_the_walkers_again_and_a_frame_takes_speed_steps() {
    let (mut planned, mut a) = live("lr=0.5&walkers=100&speed=3");
    a.frame(&mut planned);
    a.frame(&mut planned);
    assert_eq!(a.ensemble().steps(), 6);
    let steps = planned.figure.readout("steps").unwrap().value;
    assert_eq!(steps, Some(6.0));
    let (p, _) = parse_for(
        "ellipses",
        "lr=0.5&walkers=100&speed=3&seed=9",
        Audience::Page,
    );
    let mut next = Planned::new(&p).unwrap();
    a.follow(&mut next);
    assert_eq!(a.ensemble().steps(), 0);
}
