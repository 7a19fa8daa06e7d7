//! Figure panels: each says what its figure shows — which theory curves, which Monte Carlo
//! points, which readouts — and asks [`crate::theory`] and [`crate::sim`] for the numbers. No
//! drawing and no browser here, so every panel is tested natively.
//!
//! A panel is a [`Spec`] (its name in `panel=`, its claim, caption and source, the parameter
//! keys it shows, its defaults — the paper's settings — and presets) and a [`Panel`]
//! implementation in three steps:
//! 1. [`Panel::plan`] computes every theory curve at once, lays out the Monte Carlo points as
//!    pending (`NaN`) values, and returns a plan: the plain data its jobs and `finish` need,
//!    so that nothing is computed twice, and that a worker can compute and hand back;
//! 2. [`Panel::job`] runs Monte Carlo job `i` of a plan — typically one point of a sweep — and
//!    returns its [`Patch`]es; jobs are independent and deterministic (seeded by
//!    [`kit::job_seed`]), so the page farms them out to Web Workers and the command line to
//!    threads, and both get the same numbers;
//! 3. [`Panel::finish`] recomputes what depends on the points so far (fits, readouts).
//!
//! The registry ([`all`], [`find`]) holds every panel behind [`AnyPanel`], which erases the
//! plan's type; [`Planned`] is a figure with its plan, and [`build`] does all three steps
//! natively. [`query`] reads and writes the permalinks of panels; [`kit`] holds what many
//! panels share.

pub mod kit;
mod listing;
pub mod live;
pub mod query;

pub use listing::{reading, specs_json};

pub mod batch_size;
pub mod bayes;
pub mod ellipses;
pub mod escape;
pub mod fdr1;
pub mod fdr2;
mod fdr_common;
pub mod fdr_schedule;
pub mod fdr_variance;
pub mod kramers;
pub mod limit_cycles;
pub mod loss_band;
pub mod lr_sweep;
pub mod momentum;
pub mod noise_shape;
pub mod second_order;
pub mod training_loss;
pub mod your_model;

use crate::figure::{Figure, Patch};
use crate::params::Params;
use crate::sim::Ensemble;
use live::Walkers;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::any::Any;

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
    /// How the page reads it (`reading.json` beside the caption): the control that matters
    /// most (`primary`, shown right under the plot on a phone), the readout the claim is about
    /// (`headline`), short readout labels by key (`labels`; the figure's own label becomes
    /// their definition) and the "try this" steps (`steps`: label, query, what to notice).
    pub reading: &'static str,
    /// Paper, theorem, equation and figure it reproduces.
    pub source: &'static str,
    /// The parameter keys shown on the page and written in its permalinks, in the order of
    /// the controls.
    pub keys: &'static [&'static str],
    /// Sets the panel's defaults (the paper's settings) on top of the general defaults.
    pub defaults: fn(&mut Params),
    /// Named settings offered as buttons: (label, query applied on top of the current state).
    pub presets: &'static [(&'static str, &'static str)],
    /// The ellipse panel animates its walkers; the other panels are figures.
    pub live: bool,
    /// Its plan is too heavy for the page's thread (many rates × many directions): the page
    /// computes it in a worker ([`crate::panels::Planned::pending`] meanwhile).
    pub heavy: bool,
    /// Values it accepts beyond the schema's general ones, as (key, value): `("mu", "auto")`,
    /// `("n_data", "0")` (infinite data). Other panels refuse them by name.
    pub accepts: &'static [(&'static str, &'static str)],
    /// Whether it takes a measured spectrum (`spectrum=`, `crate::model::spectrum`), and the
    /// keys the spectrum replaces (the power law's `spec_d`, `spec_decay`, `h1`; the 2-D
    /// model's curvatures and noise), which the page marks as unused while one is loaded.
    pub spectrum: Option<&'static [&'static str]>,
}

/// A figure panel (see the module documentation).
pub trait Panel: Sync + 'static {
    /// What `plan` computes once for the jobs and `finish`: plain data that serialises.
    type Plan: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// What the panel is.
    fn spec(&self) -> &'static Spec;
    /// The plan, and the figure with every theory curve computed and the Monte Carlo points
    /// pending, `jobs` set to the number of Monte Carlo jobs.
    fn plan(&self, p: &Params) -> (Self::Plan, Figure);
    /// Runs Monte Carlo job `i` (0 ≤ i < `jobs`) of `plan`.
    fn job(&self, plan: &Self::Plan, i: usize) -> Vec<Patch>;
    /// Updates what depends on the Monte Carlo points received so far (fits, readouts).
    fn finish(&self, _plan: &Self::Plan, _fig: &mut Figure) {}
    /// A live panel (one that animates walkers on the page): the walkers of this plan;
    /// `None` for a figure.
    fn walkers(&self, _plan: &Self::Plan) -> Option<Walkers> {
        None
    }
    /// A live panel: shows the walkers as they are now in the figure (their cloud, what is
    /// measured on them, the readouts that depend on them).
    fn show(&self, _plan: &Self::Plan, _walkers: &Ensemble, _fig: &mut Figure) {}
    /// An upper bound of the figure's Monte Carlo work in walker-steps, from the parameters
    /// alone (before planning), which [`query::MAX_FIGURE_WORK`] caps ([`default_work`] unless
    /// the panel knows better).
    fn work(&self, p: &Params) -> u64 {
        default_work(self.spec(), p)
    }
    /// A heavy panel ([`Spec::heavy`]): the figure shown while its plan is computed elsewhere
    /// (a worker), with no series and no jobs; by default one empty plot that says so.
    fn pending(&self, p: &Params) -> Figure {
        let mut plot = crate::figure::Plot::new("", "");
        plot.title = self.spec().title.into();
        plot.note = Some(PENDING_NOTE.into());
        kit::figure(p, vec![plot])
    }
}

/// The note on a figure whose plan is being computed elsewhere ([`Panel::pending`]).
pub const PENDING_NOTE: &str = "computing the exact theory…";

/// The work of a figure of `walkers` × `steps` ensembles when the panel does not say: up to
/// two per point and two more (for panels with `points`), or two.
pub fn default_work(spec: &Spec, p: &Params) -> u64 {
    let ensembles = if spec.keys.contains(&"points") {
        2 * (p.points + 1)
    } else {
        2
    };
    ensembles.saturating_mul(p.walkers).saturating_mul(p.steps)
}

/// A panel whose plan type is erased, as the registry holds it. Every [`Panel`] is one; a plan
/// passed back must be one this panel made (see [`Planned`], which keeps them together).
pub trait AnyPanel: Sync {
    /// What the panel is.
    fn spec(&self) -> &'static Spec;
    /// [`Panel::plan`], the plan boxed.
    fn plan_any(&self, p: &Params) -> (Box<dyn Any + Send + Sync>, Figure);
    /// [`Panel::job`].
    fn job_any(&self, plan: &(dyn Any + Send + Sync), i: usize) -> Vec<Patch>;
    /// [`Panel::finish`].
    fn finish_any(&self, plan: &(dyn Any + Send + Sync), fig: &mut Figure);
    /// [`Panel::walkers`].
    fn walkers_any(&self, plan: &(dyn Any + Send + Sync)) -> Option<Walkers>;
    /// [`Panel::show`].
    fn show_any(&self, plan: &(dyn Any + Send + Sync), walkers: &Ensemble, fig: &mut Figure);
    /// [`Panel::work`].
    fn work_any(&self, p: &Params) -> u64;
    /// [`Panel::pending`].
    fn pending_any(&self, p: &Params) -> Figure;
    /// The plan as JSON, to hand it to a worker or back from one.
    fn encode(&self, plan: &(dyn Any + Send + Sync)) -> String;
    /// A plan from its JSON ([`AnyPanel::encode`]); `Err` says why it is not one.
    fn decode(&self, json: &str) -> Result<Box<dyn Any + Send + Sync>, String>;
}

fn plan_of<P: Panel>(plan: &(dyn Any + Send + Sync)) -> &P::Plan {
    plan.downcast_ref::<P::Plan>()
        .expect("a plan is passed back only to the panel that made it")
}

impl<P: Panel> AnyPanel for P {
    fn spec(&self) -> &'static Spec {
        Panel::spec(self)
    }
    fn plan_any(&self, p: &Params) -> (Box<dyn Any + Send + Sync>, Figure) {
        let (plan, fig) = self.plan(p);
        (Box::new(plan), fig)
    }
    fn job_any(&self, plan: &(dyn Any + Send + Sync), i: usize) -> Vec<Patch> {
        self.job(plan_of::<P>(plan), i)
    }
    fn finish_any(&self, plan: &(dyn Any + Send + Sync), fig: &mut Figure) {
        self.finish(plan_of::<P>(plan), fig)
    }
    fn walkers_any(&self, plan: &(dyn Any + Send + Sync)) -> Option<Walkers> {
        self.walkers(plan_of::<P>(plan))
    }
    fn show_any(&self, plan: &(dyn Any + Send + Sync), walkers: &Ensemble, fig: &mut Figure) {
        self.show(plan_of::<P>(plan), walkers, fig)
    }
    fn work_any(&self, p: &Params) -> u64 {
        self.work(p)
    }
    fn pending_any(&self, p: &Params) -> Figure {
        self.pending(p)
    }
    fn encode(&self, plan: &(dyn Any + Send + Sync)) -> String {
        serde_json::to_string(plan_of::<P>(plan)).expect("a plan serialises")
    }
    fn decode(&self, json: &str) -> Result<Box<dyn Any + Send + Sync>, String> {
        serde_json::from_str::<P::Plan>(json)
            .map(|p| Box::new(p) as Box<dyn Any + Send + Sync>)
            .map_err(|e| format!("not a plan of panel {}: {e}", Panel::spec(self).name))
    }
}

/// A panel's figure with the plan it was made from: theory at once, Monte Carlo filled in as
/// jobs report.
pub struct Planned {
    /// The panel.
    pub panel: &'static dyn AnyPanel,
    /// `None` while the plan is computed elsewhere ([`Planned::pending`]).
    plan: Option<Box<dyn Any + Send + Sync>>,
    /// The figure so far.
    pub figure: Figure,
}

impl Planned {
    /// The plan and figure of `p.panel` (none for an unknown panel), with what depends on the
    /// Monte Carlo points brought up to date (nothing has reported yet).
    pub fn new(p: &Params) -> Option<Planned> {
        let mut planned = Planned::unfinished(p)?;
        planned.finish();
        Some(planned)
    }

    fn unfinished(p: &Params) -> Option<Planned> {
        let panel = find(&p.panel)?;
        let (plan, figure) = panel.plan_any(p);
        Some(Planned {
            panel,
            plan: Some(plan),
            figure,
        })
    }

    /// The figure of `p.panel` while its plan is computed elsewhere (a heavy panel's plan, in a
    /// worker: [`Panel::pending`]), to be replaced by [`Planned::from_json`]; no jobs.
    pub fn pending(p: &Params) -> Option<Planned> {
        let panel = find(&p.panel)?;
        Some(Planned {
            panel,
            plan: None,
            figure: panel.pending_any(p),
        })
    }

    /// Whether the plan is still being computed elsewhere.
    pub fn is_pending(&self) -> bool {
        self.plan.is_none()
    }

    /// A plan and figure made elsewhere (a worker): the panel's name, the plan's JSON
    /// ([`Planned::plan_json`]) and the figure's; `Err` says what does not fit.
    pub fn from_json(panel: &str, plan: &str, figure: &str) -> Result<Planned, String> {
        let jobs = Jobs::from_json(panel, plan)?;
        let figure: Figure =
            serde_json::from_str(figure).map_err(|e| format!("not a figure: {e}"))?;
        if figure.jobs != jobs.count {
            return Err("the plan and the figure have different jobs".into());
        }
        Ok(Planned {
            panel: jobs.panel,
            plan: Some(jobs.plan),
            figure,
        })
    }

    /// The plan as JSON, `{"jobs": n, "plan": …}`, for [`Jobs::from_json`] in a worker.
    pub fn plan_json(&self) -> String {
        let plan = match &self.plan {
            Some(plan) => self.panel.encode(plan.as_ref()),
            None => "null".into(),
        };
        format!("{{\"jobs\":{},\"plan\":{plan}}}", self.figure.jobs)
    }

    /// Runs Monte Carlo job `i`; a job the plan does not have gives no patches.
    pub fn job(&self, i: usize) -> Vec<Patch> {
        match &self.plan {
            Some(plan) if i < self.figure.jobs => self.panel.job_any(plan.as_ref(), i),
            _ => Vec::new(),
        }
    }

    /// Applies a finished job's patches and updates what depends on them.
    pub fn apply(&mut self, patches: &[Patch]) {
        self.figure.apply(patches);
        self.finish();
    }

    fn finish(&mut self) {
        if let Some(plan) = &self.plan {
            self.panel.finish_any(plan.as_ref(), &mut self.figure);
        }
    }

    /// The walkers a live panel's plan animates (`None` for a figure).
    pub fn walkers(&self) -> Option<Walkers> {
        let plan = self.plan.as_ref()?;
        self.panel.walkers_any(plan.as_ref())
    }

    /// Shows a live panel's walkers in its figure.
    pub fn show(&mut self, walkers: &Ensemble) {
        if let Some(plan) = &self.plan {
            self.panel
                .show_any(plan.as_ref(), walkers, &mut self.figure);
        }
    }
}

/// The Monte Carlo jobs of a plan made elsewhere (a worker's share of a figure).
pub struct Jobs {
    panel: &'static dyn AnyPanel,
    plan: Box<dyn Any + Send + Sync>,
    count: usize,
}

/// The envelope of [`Planned::plan_json`].
#[derive(serde::Deserialize)]
struct Envelope {
    jobs: usize,
    plan: Box<serde_json::value::RawValue>,
}

impl Jobs {
    /// The jobs of a plan of panel `panel` given as JSON ([`Planned::plan_json`]).
    pub fn from_json(panel: &str, json: &str) -> Result<Jobs, String> {
        let panel = find(panel).ok_or_else(|| format!("no panel called '{panel}'"))?;
        let envelope: Envelope =
            serde_json::from_str(json).map_err(|e| format!("not a plan: {e}"))?;
        let plan = panel.decode(envelope.plan.get())?;
        Ok(Jobs {
            panel,
            plan,
            count: envelope.jobs,
        })
    }

    /// Runs Monte Carlo job `i`; a job the plan does not have gives no patches.
    pub fn job(&self, i: usize) -> Vec<Patch> {
        if i < self.count {
            self.panel.job_any(self.plan.as_ref(), i)
        } else {
            Vec::new()
        }
    }
}

/// The panels' names, in the order of the landing view.
pub const NAMES: &[&str] = &[
    "ellipses",
    "lr-sweep",
    "momentum",
    "noise-shape",
    "second-order",
    "escape",
    "training-loss",
    "bayes",
    "kramers",
    "limit-cycles",
    "fdr1",
    "fdr-schedule",
    "fdr-variance",
    "fdr2",
    "loss-band",
    "batch-size",
    "your-model",
];

static PANELS: &[&dyn AnyPanel] = &[
    &ellipses::Ellipses,
    &lr_sweep::LrSweep,
    &momentum::Momentum,
    &noise_shape::NoiseShape,
    &second_order::SecondOrder,
    &escape::Escape,
    &training_loss::TrainingLoss,
    &bayes::Bayes,
    &kramers::KramersPanel,
    &limit_cycles::LimitCycles,
    &fdr1::Fdr1,
    &fdr_schedule::FdrSchedule,
    &fdr_variance::FdrVariance,
    &fdr2::Fdr2,
    &loss_band::LossBand,
    &batch_size::BatchSize,
    &your_model::YourModel,
];

/// Every panel, in the order of [`NAMES`].
pub fn all() -> &'static [&'static dyn AnyPanel] {
    PANELS
}

/// The panel called `name`.
pub fn find(name: &str) -> Option<&'static dyn AnyPanel> {
    PANELS.iter().copied().find(|p| p.spec().name == name)
}

/// The spec of the panel called `name`.
pub fn spec(name: &str) -> Option<&'static Spec> {
    find(name).map(|p| p.spec())
}

/// The planned figure of `p.panel`: theory only, Monte Carlo pending.
pub fn plan(p: &Params) -> Option<Figure> {
    Planned::new(p).map(|planned| planned.figure)
}

/// Runs every Monte Carlo job of `p.panel` and returns the finished figure. Natively the jobs
/// run on `threads` threads (the figure is the same for any number).
pub fn build(p: &Params, threads: usize) -> Option<Figure> {
    let mut planned = Planned::unfinished(p)?;
    let results = run_jobs(&planned, threads.max(1));
    for patches in results {
        planned.figure.apply(&patches);
    }
    planned.finish();
    Some(planned.figure)
}

#[cfg(not(target_arch = "wasm32"))]
fn run_jobs(planned: &Planned, threads: usize) -> Vec<Vec<Patch>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let jobs = planned.figure.jobs;
    let next = AtomicUsize::new(0);
    let out = Mutex::new(vec![Vec::new(); jobs]);
    std::thread::scope(|s| {
        for _ in 0..threads.min(jobs.max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= jobs {
                    break;
                }
                let patches = planned.job(i);
                out.lock().expect("no job panicked")[i] = patches;
            });
        }
    });
    out.into_inner().expect("no job panicked")
}

#[cfg(target_arch = "wasm32")]
fn run_jobs(planned: &Planned, _threads: usize) -> Vec<Vec<Patch>> {
    (0..planned.figure.jobs).map(|i| planned.job(i)).collect()
}

#[cfg(test)]
mod tests;
