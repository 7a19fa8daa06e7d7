//! First passage over a barrier (Liu et al. Thm 9's setting, `theory::first_passage` and
//! `sim::first_passage`): the exact mean first-passage time of the SGD chain converges at second
//! order in the grid, and the Monte Carlo runs measure it.

use nqm_explorer::sim::first_passage::first_passage;
use nqm_explorer::theory::first_passage::{refine, Chain, Landscape};

/// The `kramers` panel's default setting (λ = 0.5, a = 0.01, ΔL = 0.01, k_a = |k_b| = 1) at
/// scale r.
fn chain(r: f64) -> Chain {
    Chain {
        land: Landscape::new(1.0, 1.0, 0.01),
        lr: 0.5,
        a: 0.01,
        r,
    }
}

#[test]
fn the_exact_chain_error_is_second_order_in_the_grid() {
    // Splitting the cells in three once more: the differences shrink by about 9 (an O(h²)
    // error), and the Richardson value of the two finer grids agrees with `exact_mfpt`'s (from
    // the two coarser ones) to 1e-3, well within its (conservative) error estimate, which is
    // the error of the unextrapolated finer grid.
    for r in [0.25, 2.0] {
        let c = chain(r);
        let (e0, s0) = c.coarse_cells().unwrap();
        let (e1, s1) = refine(&e0, s0);
        let (e2, s2) = refine(&e1, s1);
        let m = |e: &[f64], s| c.mfpt_on_cells(e, s).unwrap();
        let (m0, m1, m2) = (m(&e0, s0), m(&e1, s1), m(&e2, s2));
        let (exact, err) = c.exact_mfpt().unwrap();
        let finer = (9.0 * m2 - m1) / 8.0;
        let ratio = (m1 - m0) / (m2 - m1);
        println!("r = {r}: {m0} {m1} {m2} (ratio {ratio:.2}); {exact} ± {err} vs {finer}");
        assert!((ratio - 9.0).abs() < 1.5, "{ratio}");
        assert!((exact - finer).abs() < err, "{exact} vs {finer} (± {err})");
        assert!((exact - finer).abs() < 1e-3 * exact, "{exact} vs {finer}");
        assert!(err < 1e-2 * exact, "{err}");
    }
}

#[test]
fn monte_carlo_first_passage_measures_the_exact_mean_time() {
    // No run censored: the rate is 1/mean T, within 5 standard errors of the exact chain's.
    let c = chain(3.0);
    let (m, _) = c.exact_mfpt().unwrap();
    let e = first_passage(&c, 2000, 1_000_000, 7);
    assert_eq!((e.runs, e.escaped), (2000, 2000));
    assert_eq!(e.censored(), 0.0);
    let (rate, se) = e.rate_per_step().unwrap();
    assert!((rate - e.runs as f64 / e.steps_at_risk).abs() < 1e-15 * rate);
    let z = (rate - 1.0 / m) / se;
    println!(
        "1/E[T]: Monte Carlo {rate} ± {se}, exact {} ({z:+.2} s.e.)",
        1.0 / m
    );
    assert!(z.abs() < 5.0, "{z}");
    // A seed fixes the runs; a cap of zero censors every one.
    assert_eq!(first_passage(&c, 2000, 1_000_000, 7), e);
    let none = first_passage(&c, 5, 0, 7);
    assert_eq!((none.runs, none.escaped, none.censored()), (5, 0, 1.0));
}

#[test]
fn the_double_well_has_its_barrier_and_a_continuous_slope() {
    for (ka, kb, dl) in [(1.0, 1.0, 0.01), (1.0, 3.0, 0.02), (2.5, 0.4, 1.0)] {
        let land = Landscape::new(ka, kb, dl);
        assert!((land.l - kb / (ka + kb)).abs() < 1e-15);
        assert_eq!(land.loss(0.0), 0.0);
        assert!((land.loss(land.wb) - dl).abs() < 1e-15 * dl);
        assert!(land.loss(land.exit()).abs() < 1e-12 * dl);
        // L′ is the derivative of L everywhere, across w_l and 2w_b − w_l too, and |L″| is
        // k_a in the wells and |k_b| over the barrier.
        let h = 1e-6 * land.wb;
        let (wl, wr, exit) = (land.wl, land.exit() - land.wl, land.exit());
        let near = |x: f64| [x * (1.0 - 1e-3), x * (1.0 + 1e-3)];
        let points = [
            near(wl),
            near(wr),
            [-0.5 * wl, 0.5 * wl],
            [land.wb, 1.2 * exit],
        ];
        for w in points.into_iter().flatten() {
            let (g, _) = land.slope_and_curvature(w);
            let numeric = (land.loss(w + h) - land.loss(w - h)) / (2.0 * h);
            assert!(
                (g - numeric).abs() < 1e-6 * (ka + kb) * land.wb,
                "w = {w}: {g} vs {numeric}"
            );
        }
        assert_eq!(land.slope_and_curvature(0.5 * land.wl).1, ka);
        assert_eq!(land.slope_and_curvature(land.wb).1, kb);
        assert_eq!(land.slope_and_curvature(land.exit()).1, ka);
    }
}
