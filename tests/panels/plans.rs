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
