//! Plans travel: every panel's plan, written as JSON and read back (as a worker does), gives
//! the same Monte Carlo patches bit for bit, and a plan of another panel, a job past the last
//! and a malformed plan are refused without a panic.

use nqm_explorer::panels::query::{parse_for, Audience};
use nqm_explorer::panels::{Jobs, Planned, NAMES};

/// A small sample for every panel: panels size their Monte Carlo by these keys.
const QUICK: &str = "walkers=200&points=4&steps=200";

#[test]
fn every_plan_round_trips_through_json_with_the_same_jobs() {
    for name in NAMES {
        let (p, errors) = parse_for(name, QUICK, Audience::Cli);
        assert!(errors.is_empty(), "{name}: {errors:?}");
        let planned = Planned::new(&p).unwrap();
        let json = planned.plan_json();
        let jobs = Jobs::from_json(name, &json).unwrap_or_else(|e| panic!("{name}: {e}"));
        let n = planned.figure.jobs;
        if n > 0 {
            let (here, there) = (planned.job(n - 1), jobs.job(n - 1));
            assert_eq!(
                serde_json::to_string(&here).unwrap(),
                serde_json::to_string(&there).unwrap(),
                "{name}"
            );
        }
        assert!(jobs.job(n).is_empty(), "{name}: a job past the last");
        let figure = serde_json::to_string(&planned.figure).unwrap();
        let back = Planned::from_json(name, &json, &figure).unwrap();
        let same = back.figure.to_json() == planned.figure.to_json();
        assert!(same, "{name}: the figure changed on its way");
    }
}

#[test]
fn a_plan_that_is_not_one_is_refused_by_name() {
    let (p, _) = parse_for("lr-sweep", QUICK, Audience::Cli);
    let json = Planned::new(&p).unwrap().plan_json();
    assert!(Jobs::from_json("no-such-panel", &json).is_err());
    assert!(Jobs::from_json("lr-sweep", "{}").is_err());
    assert!(Jobs::from_json("lr-sweep", "[1, 2").is_err());
    assert!(Jobs::from_json("fdr1", &json).is_err());
}

/// Bounded work per figure: every panel's defaults and presets stay far below the cap, and a
/// link asking for more than the cap is lowered, with the keys to lower named.
#[test]
fn a_figure_s_work_is_capped_far_above_every_default_and_preset() {
    use nqm_explorer::panels::query::{figure_work, MAX_FIGURE_WORK};
    use nqm_explorer::panels::{find, spec};
    for name in NAMES {
        let panel = find(name).unwrap();
        let mut queries = vec![String::new()];
        queries.extend(
            spec(name)
                .unwrap()
                .presets
                .iter()
                .map(|(_, q)| q.to_string()),
        );
        for q in queries {
            let (p, errors) = parse_for(name, &q, Audience::Page);
            assert!(errors.is_empty(), "{name} '{q}': {errors:?}");
            let work = panel.work_any(&p);
            assert!(
                work <= MAX_FIGURE_WORK / 10,
                "{name} '{q}': {work} walker-steps"
            );
        }
    }
    // second-order at points = 200 plans 800 ensembles; with 10⁵ walkers × 10⁴ steps that is
    // 8·10¹¹ walker-steps: the link is lowered to the points that fit, and says which keys.
    let query = "points=200&walkers=100000&steps=10000";
    let (p, errors) = parse_for("second-order", query, Audience::Page);
    let e = errors
        .iter()
        .find(|e| e.key == "points")
        .expect("points lowered");
    assert!(
        e.message().contains("lower points, walkers, steps"),
        "{}",
        e.message()
    );
    assert_eq!((p.points, p.walkers, p.steps), (2, 100_000, 10_000));
    assert!(find("second-order").unwrap().work_any(&p) <= MAX_FIGURE_WORK);
    // Walkers are lowered when the fewest points are still too many.
    let mut q = p.clone();
    q.walkers = 100_000;
    q.steps = 1_000_000;
    let e = figure_work(&mut q).expect("lowered");
    assert_eq!(e.key, "walkers");
    assert!(find("second-order").unwrap().work_any(&q) <= MAX_FIGURE_WORK);
}
