//! Figure panels: each turns parameters into the data a figure shows (theory and Monte Carlo),
//! with no drawing and no browser in sight, so that it is tested natively.
//!
//! A panel is a [`Spec`] (its name in `panel=`, its claim, caption and source, the parameter
//! keys it shows, its defaults — the paper's settings) and a [`Panel`] implementation in
//! three steps:
//! 1. [`Panel::plan`] computes every theory curve at once and lays out the Monte Carlo points
//!    as pending (`NaN`) values, with the number of independent Monte Carlo jobs;
//! 2. [`Panel::job`] runs job `i` — one point of a sweep, typically 10⁴ walkers × 10³ steps —
//!    and returns its [`Patch`]es; jobs are independent and deterministic (seeded by
//!    [`job_seed`]), so the page farms them out to Web Workers and the command line to threads,
//!    and both get the same numbers;
//! 3. [`Panel::finish`] recomputes what depends on the points so far (fits, readouts).
//!
//! [`build`] does all three natively.

pub mod ellipses;
pub mod lr_sweep;
// Modules of group A: momentum, noise-shape, second-order.
pub mod momentum;
pub mod noise_shape;
pub mod second_order;
// Modules of group B: escape, training-loss, bayes.
pub mod bayes;
pub mod escape;
pub mod training_loss;
// Modules of group C: kramers, limit-cycles.
pub mod kramers;
pub mod limit_cycles;
// Modules of group D: fdr1, fdr-schedule, fdr-variance.
pub mod fdr1;
mod fdr_common;
pub mod fdr_schedule;
pub mod fdr_variance;
// Modules of group E: fdr2, loss-band.
pub mod fdr2;
pub mod loss_band;

use crate::figure::{Figure, Patch, Plot};
use crate::params::{self, Audience, Params};

/// What a panel is and which parameters it shows.
pub struct Spec {
    /// The name in `panel=`.
    pub name: &'static str,
    /// Title of the panel.
    pub title: &'static str,
    /// The claim it demonstrates, in one line (plain text).
    pub claim: &'static str,
    /// The caption: the claim with its equation, as HTML with MathML. It is our own text
    /// (never anything from a query), inserted into the page as markup.
    pub caption: &'static str,
    /// Paper, theorem, equation and figure it reproduces.
    pub source: &'static str,
    /// The parameter keys shown on the page and written in its permalinks, in the order of
    /// the controls.
    pub keys: &'static [&'static str],
    /// Sets the panel's defaults (the paper's settings) on top of the general defaults.
    pub defaults: fn(&mut Params),
    /// Named settings offered as buttons: (label, query applied on top of the current state).
    pub presets: &'static [(&'static str, &'static str)],
    /// The ellipse explorer animates its walkers; the other panels are figures.
    pub live: bool,
}

/// A figure panel (see the module documentation).
pub trait Panel: Sync {
    /// What the panel is.
    fn spec(&self) -> &'static Spec;
    /// The figure with every theory curve computed and the Monte Carlo points pending, and
    /// `jobs` set to the number of Monte Carlo jobs.
    fn plan(&self, p: &Params) -> Figure;
    /// Runs Monte Carlo job `i` (0 ≤ i < `jobs`).
    fn job(&self, p: &Params, i: usize) -> Vec<Patch>;
    /// Updates what depends on the Monte Carlo points received so far (fits, readouts).
    fn finish(&self, _p: &Params, _fig: &mut Figure) {}
}

/// The panels' names, in the order of the landing view.
pub const NAMES: &[&str] = &[
    "ellipses",
    "lr-sweep",
    // Panels of group A: momentum, noise-shape, second-order.
    "momentum",
    "noise-shape",
    "second-order",
    // Panels of group B: escape, training-loss, bayes.
    "escape",
    "training-loss",
    "bayes",
    // Panels of group C: kramers, limit-cycles.
    "kramers",
    "limit-cycles",
    // Panels of group D: fdr1, fdr-schedule, fdr-variance.
    "fdr1",
    "fdr-schedule",
    "fdr-variance",
    // Panels of group E: fdr2, loss-band.
    "fdr2",
    "loss-band",
];

static PANELS: &[&dyn Panel] = &[
    &ellipses::EllipsesPanel,
    &lr_sweep::LrSweep,
    // Panels of group A: momentum, noise-shape, second-order.
    &momentum::Momentum,
    &noise_shape::NoiseShape,
    &second_order::SecondOrder,
    // Panels of group B: escape, training-loss, bayes.
    &escape::Escape,
    &training_loss::TrainingLoss,
    &bayes::Bayes,
    // Panels of group C: kramers, limit-cycles.
    &kramers::KramersPanel,
    &limit_cycles::LimitCycles,
    // Panels of group D: fdr1, fdr-schedule, fdr-variance.
    &fdr1::Fdr1,
    &fdr_schedule::FdrSchedule,
    &fdr_variance::FdrVariance,
    // Panels of group E: fdr2, loss-band.
    &fdr2::Fdr2,
    &loss_band::LossBand,
];

/// Every panel, in the order of [`NAMES`].
pub fn all() -> &'static [&'static dyn Panel] {
    PANELS
}

/// The panel called `name`.
pub fn find(name: &str) -> Option<&'static dyn Panel> {
    PANELS.iter().copied().find(|p| p.spec().name == name)
}

/// The spec of the panel called `name`.
pub fn spec(name: &str) -> Option<&'static Spec> {
    find(name).map(|p| p.spec())
}

/// An empty figure for `p` with these plots: the panel, version, query and parameters filled
/// in, no series, no jobs.
pub fn figure(p: &Params, plots: Vec<Plot>) -> Figure {
    Figure {
        panel: p.panel.to_string(),
        version: params::SCHEMA_VERSION,
        query: params::to_query(p, Audience::Page),
        params: p.to_json(Audience::Page),
        plots,
        series: Vec::new(),
        readouts: Vec::new(),
        jobs: 0,
        jobs_done: 0,
    }
}

/// The seed of Monte Carlo job `i` of a figure with seed `seed`: distinct, well-mixed seeds
/// (SplitMix64 of both), so that points are independent and a permalink's seed fixes them all.
pub fn job_seed(seed: u64, i: usize) -> u64 {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add((i as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The planned figure of `p.panel` (theory only, Monte Carlo pending).
pub fn plan(p: &Params) -> Option<Figure> {
    let panel = find(p.panel)?;
    let mut fig = panel.plan(p);
    panel.finish(p, &mut fig);
    Some(fig)
}

/// Runs every Monte Carlo job of `p.panel` and returns the finished figure. Natively the jobs
/// run on `threads` threads (the figure is the same for any number).
pub fn build(p: &Params, threads: usize) -> Option<Figure> {
    let panel = find(p.panel)?;
    let mut fig = panel.plan(p);
    let results = run_jobs(panel, p, fig.jobs, threads.max(1));
    for patches in results {
        fig.apply(&patches);
    }
    panel.finish(p, &mut fig);
    Some(fig)
}

#[cfg(not(target_arch = "wasm32"))]
fn run_jobs(panel: &dyn Panel, p: &Params, jobs: usize, threads: usize) -> Vec<Vec<Patch>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let next = AtomicUsize::new(0);
    let out = Mutex::new(vec![Vec::new(); jobs]);
    std::thread::scope(|s| {
        for _ in 0..threads.min(jobs.max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= jobs {
                    break;
                }
                let patches = panel.job(p, i);
                out.lock().expect("no job panicked")[i] = patches;
            });
        }
    });
    out.into_inner().expect("no job panicked")
}

#[cfg(target_arch = "wasm32")]
fn run_jobs(panel: &dyn Panel, p: &Params, jobs: usize, _threads: usize) -> Vec<Vec<Patch>> {
    (0..jobs).map(|i| panel.job(p, i)).collect()
}

/// The landing view's list: name, title, claim and source of every panel, as JSON; and for
/// each panel its keys, presets and caption, for building its controls.
pub fn specs_json() -> serde_json::Value {
    serde_json::Value::Array(
        PANELS
            .iter()
            .map(|p| {
                let s = p.spec();
                serde_json::json!({
                    "name": s.name, "title": s.title, "claim": s.claim, "caption": s.caption,
                    "source": s.source, "keys": s.keys, "live": s.live,
                    "presets": s.presets.iter().map(|(l, q)| serde_json::json!({"label": l, "query": q})).collect::<Vec<_>>(),
                    "defaults": params::to_query(&Params::for_panel(s.name), Audience::Page),
                })
            })
            .collect(),
    )
}

/// Mean and standard error of the mean of `values` (population of independent runs).
pub fn mean_se(values: &[f64]) -> (Option<f64>, Option<f64>) {
    let n = values.len() as f64;
    if values.is_empty() {
        return (None, None);
    }
    let m = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (Some(m), None);
    }
    let v = values.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (Some(m), Some((v / n).sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_registry_and_keys_are_fields() {
        let names: Vec<_> = all().iter().map(|p| p.spec().name).collect();
        assert_eq!(names, NAMES);
        for p in all() {
            for k in p.spec().keys {
                assert!(
                    params::field(k).is_some(),
                    "{}: no field {k}",
                    p.spec().name
                );
            }
        }
    }

    #[test]
    fn job_seeds_differ() {
        let s: std::collections::HashSet<_> = (0..1000).map(|i| job_seed(1, i)).collect();
        assert_eq!(s.len(), 1000);
        assert_ne!(job_seed(1, 0), job_seed(2, 0));
    }
}
