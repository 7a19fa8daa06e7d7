//! The wasm-bindgen surface: the only module that knows about the browser.
//!
//! JavaScript gets one opaque handle for every panel, [`PanelView`] (the Rust and WebAssembly
//! book's `Universe` pattern): the parameters, the planned figure and, for a live panel, its
//! walkers live in Rust, and JavaScript gets small copied results (strings of JSON) and asks it
//! to draw on its canvas. Web Workers plan figures off the main thread ([`plan_for`]) and run
//! Monte Carlo jobs through a [`JobRunner`]. Every number is computed by the pure-Rust core.

mod canvas;
mod spectrum;

use crate::figure::{Figure, Patch};
use crate::model::spectrum::Spectrum;
use crate::panels::live::Animation;
use crate::panels::query::{self, Audience};
use crate::panels::{self, Jobs, Planned};
use crate::params::{self, ParamError, Params};
use crate::render::{self, Look, Theme};
use canvas::Canvas;
use plotters::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// Installs the panic hook, so that a panic in Rust reaches the console with its message.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// The explorer's version: Cargo.toml's, the one source of the page footer's, the JSON export's
/// and the Python package's.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// The parameter schema as JSON (see [`params::schema_json`]).
#[wasm_bindgen]
pub fn schema() -> String {
    params::schema_json()
}

/// Every panel's name, title, claim, caption, source, keys, presets and default query, as JSON.
#[wasm_bindgen]
pub fn panels_json() -> String {
    panels::specs_json().to_string()
}

/// The panel a page query names (`ellipses` when it names none or an unknown one).
#[wasm_bindgen]
pub fn panel_of(query: &str) -> String {
    query::parse(query, Audience::Page).0.panel
}

/// The plan and figure of a page query, computed here (a worker, off the main thread), as
/// JSON `{panel, query, key, plan, figure}` for [`PanelView::adopt`].
#[wasm_bindgen]
pub fn plan_for(query: &str) -> String {
    let (p, _) = query::parse(query, Audience::Page);
    planned_json(&p)
}

/// [`plan_for`] of a whole state ([`PanelView::state_json`]): the plan of a state whose
/// spectrum does not fit in its query.
#[wasm_bindgen]
pub fn plan_for_state(state: &str) -> Result<String, JsValue> {
    let p: Params = serde_json::from_str(state).map_err(|e| js(&format!("not a state: {e}")))?;
    panels::spec(&p.panel).ok_or_else(|| js("no such panel"))?;
    Ok(planned_json(&p))
}

fn planned_json(p: &Params) -> String {
    let planned = Planned::new(p).expect("a parsed panel exists");
    serde_json::json!({
        "panel": p.panel,
        "query": query::to_query(p, Audience::Page),
        "key": spectrum::plan_key(p),
        "plan": planned.plan_json(),
        "figure": planned.figure,
    })
    .to_string()
}

/// A worker's Monte Carlo jobs of one plan (from [`PanelView::plan_json`]), decoded once.
#[wasm_bindgen]
pub struct JobRunner {
    jobs: Jobs,
}

#[wasm_bindgen]
impl JobRunner {
    /// The jobs of `plan` (JSON) of panel `panel`; an error says why it is not one.
    #[wasm_bindgen(constructor)]
    pub fn new(panel: &str, plan: &str) -> Result<JobRunner, JsValue> {
        let jobs = Jobs::from_json(panel, plan).map_err(|e| JsValue::from_str(&e))?;
        Ok(JobRunner { jobs })
    }

    /// Runs job `index`; its patches as JSON (an index past the last job gives none).
    pub fn job(&self, index: u32) -> String {
        patches_json(&self.jobs.job(index as usize))
    }
}

fn patches_json(patches: &[Patch]) -> String {
    serde_json::to_string(patches).expect("patches serialise")
}

/// Draws the theory-only figure of a panel at its defaults onto `canvas` (the landing view's
/// thumbnails).
#[wasm_bindgen]
pub fn draw_thumbnail(
    canvas: &HtmlCanvasElement,
    panel: &str,
    dpr: f64,
    dark: bool,
) -> Result<(), JsValue> {
    let p = query::defaults(panel);
    let planned = planned_here(&p).ok_or_else(|| js("no such panel"))?;
    draw_on(canvas, &planned.figure, dpr, dark)
}

/// The plan of `p` made on this thread, or for a heavy panel ([`panels::Spec::heavy`]) the
/// figure to show while a worker makes it ([`plan_for`], then [`PanelView::adopt`]).
fn planned_here(p: &Params) -> Option<Planned> {
    if panels::spec(&p.panel)?.heavy {
        Planned::pending(p)
    } else {
        Planned::new(p)
    }
}

fn js(message: &str) -> JsValue {
    JsValue::from_str(message)
}

/// The rejected fields as a JSON array of `{key, reason, fallback, message}`.
fn errors_json(errors: &[ParamError]) -> String {
    let list: Vec<_> = errors
        .iter()
        .map(|e| {
            serde_json::json!({
                "key": e.key, "reason": e.reason, "fallback": e.fallback,
                "message": e.message(),
            })
        })
        .collect();
    serde_json::to_string(&list).expect("JSON serialises")
}

fn theme(dark: bool) -> Theme {
    if dark {
        Theme::DARK
    } else {
        Theme::LIGHT
    }
}

/// Draws `fig` on `canvas` at device pixel ratio `dpr`.
fn draw_on(canvas: &HtmlCanvasElement, fig: &Figure, dpr: f64, dark: bool) -> Result<(), JsValue> {
    let backend = Canvas::new(canvas).ok_or_else(|| js("the canvas has no 2-D context"))?;
    let root = backend.into_drawing_area();
    let look = Look {
        theme: theme(dark),
        scale: dpr,
        bitmap_dots: true,
    };
    let failed = |e: &dyn std::fmt::Display| js(&format!("drawing failed: {e}"));
    render::draw_figure(&root, fig, &look).map_err(|e| failed(&e))?;
    root.present().map_err(|e| failed(&e))
}

/// `fig` as SVG, text measured with `canvas`'s 2-D context.
fn svg_of(
    canvas: &HtmlCanvasElement,
    fig: &Figure,
    w: u32,
    h: u32,
    dark: bool,
) -> Result<String, JsValue> {
    let context = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
        .ok_or_else(|| js("the canvas has no 2-D context"))?;
    let measure = |text: &str, size: f64| {
        context.set_font(&format!("{size}px sans-serif"));
        match context.measure_text(text) {
            Ok(m) => (m.width().ceil() as u32, size.ceil() as u32),
            Err(_) => render::approximate_text_size(text, size),
        }
    };
    render::svg_with(fig, w, h, &theme(dark), measure).map_err(|e| js(&e))
}

/// A panel behind the page: its parameters, its planned figure — filled in by Monte Carlo
/// patches as workers report them — and, for a live panel, its walkers.
#[wasm_bindgen]
pub struct PanelView {
    params: Params,
    planned: Planned,
    animation: Option<Animation>,
    canvas: HtmlCanvasElement,
    errors: Vec<ParamError>,
}

#[wasm_bindgen]
impl PanelView {
    /// The panel of a page query string, theory computed and Monte Carlo pending (a live
    /// panel's walkers at the origin), drawing on `canvas`.
    #[wasm_bindgen(constructor)]
    pub fn new(canvas: HtmlCanvasElement, query: &str) -> PanelView {
        let (params, errors) = query::parse(query, Audience::Page);
        let mut planned = planned_here(&params).expect("a parsed panel exists");
        let animation = Animation::start(&mut planned);
        PanelView {
            params,
            planned,
            animation,
            canvas,
            errors,
        }
    }

    /// The panel's name.
    pub fn panel(&self) -> String {
        self.params.panel.clone()
    }

    fn replan(&mut self) {
        self.planned = planned_here(&self.params).expect("the panel exists");
        if let Some(a) = &mut self.animation {
            a.follow(&mut self.planned);
        }
    }

    /// The fields rejected by the last query applied, as JSON.
    pub fn errors(&self) -> String {
        errors_json(&self.errors)
    }

    /// Applies a query string on top of the current state; the Monte Carlo starts again.
    pub fn apply_query(&mut self, query: &str) {
        let mut p = self.params.clone();
        self.errors = query::apply(&mut p, query, Audience::Page);
        self.params = p;
        self.replan();
    }

    /// Sets one parameter from its query-string form; returns the reason if it is refused
    /// (and then nothing changes). A change re-plans the figure: theory at once, Monte Carlo
    /// pending; a live panel's walkers go on under the new setting.
    pub fn set(&mut self, key: &str, value: &str) -> Option<String> {
        let mut p = self.params.clone();
        if let Err(e) = query::set(&mut p, key, value) {
            return Some(e);
        }
        if p != self.params {
            self.params = p;
            self.replan();
        }
        None
    }

    /// The current value of a parameter, as written in the query string.
    pub fn get(&self, key: &str) -> Option<String> {
        self.params.get_str(key)
    }

    /// The permalink query string of the current state (without `?`).
    pub fn query(&self) -> String {
        query::to_query(&self.params, Audience::Page)
    }

    /// The current parameters as JSON.
    pub fn params_json(&self) -> String {
        query::to_json(&self.params, Audience::Page).to_string()
    }

    /// The whole state as JSON for [`plan_for_state`]: unlike [`PanelView::query`], it holds
    /// a spectrum too large for a link.
    pub fn state_json(&self) -> String {
        serde_json::to_string(&self.params).expect("parameters serialise")
    }

    /// What tells one plan from another: the query, and a fingerprint of a spectrum the query
    /// leaves out (the workers decode a plan once per key).
    pub fn plan_key(&self) -> String {
        spectrum::plan_key(&self.params)
    }

    /// Reads a spectrum from a file's bytes (`name` tells its format: `.csv`, `.json`, `.npy`,
    /// …; see [`params::spectrum::load`]) and puts it in place of the power law; its summary
    /// as JSON ([`PanelView::spectrum_json`]). A bad file is refused with a message naming its
    /// row and column, and nothing changes.
    pub fn load_spectrum(&mut self, name: &str, bytes: &[u8]) -> Result<String, JsValue> {
        let s = params::spectrum::load(name, bytes).map_err(|e| js(&e.to_string()))?;
        self.put_spectrum(Some(s))?;
        Ok(self.spectrum_json())
    }

    /// Removes the spectrum: the power law again.
    pub fn clear_spectrum(&mut self) -> Result<(), JsValue> {
        self.put_spectrum(None)
    }

    fn put_spectrum(&mut self, s: Option<Spectrum>) -> Result<(), JsValue> {
        let mut p = self.params.clone();
        let errors = query::set_spectrum(&mut p, s).map_err(|e| js(&e.message()))?;
        if p != self.params {
            self.params = p;
            self.errors = errors;
            self.replan();
        }
        Ok(())
    }

    /// The spectrum in use as JSON, `null` without one: `{rows, directions, h_max,
    /// noise_column, fits_link, link_note, histogram: [[lo, hi, directions], …], replaces}`
    /// (`replaces`: the panel's power-law keys it stands for).
    pub fn spectrum_json(&self) -> String {
        spectrum::summary(&self.params).to_string()
    }

    /// The spectrum in use as a CSV file (to download when it does not fit in a link).
    pub fn spectrum_csv(&self) -> Option<String> {
        self.params.spectrum.as_ref().map(params::spectrum::to_csv)
    }

    /// Whether the plan is being computed in a worker (a heavy panel): the page asks one for
    /// [`plan_for`] of [`PanelView::query`] and hands the answer to [`PanelView::adopt`].
    pub fn pending(&self) -> bool {
        self.planned.is_pending()
    }

    /// Number of Monte Carlo jobs of the current plan.
    pub fn jobs(&self) -> u32 {
        self.planned.figure.jobs as u32
    }

    /// The current plan as JSON, for the workers' [`JobRunner`]s.
    pub fn plan_json(&self) -> String {
        self.planned.plan_json()
    }

    /// Runs Monte Carlo job `index` here, on the page's thread; its patches as JSON.
    pub fn job(&self, index: u32) -> String {
        patches_json(&self.planned.job(index as usize))
    }

    /// Takes a plan made by a worker ([`plan_for`]) if it is the plan of the current state;
    /// returns whether it was taken.
    pub fn adopt(&mut self, planned: &str) -> Result<bool, JsValue> {
        let v: serde_json::Value =
            serde_json::from_str(planned).map_err(|e| js(&format!("not a plan: {e}")))?;
        if v["key"].as_str() != Some(self.plan_key().as_str()) {
            return Ok(false);
        }
        let (plan, figure) = (v["plan"].as_str().unwrap_or(""), v["figure"].to_string());
        self.planned = Planned::from_json(&self.params.panel, plan, &figure).map_err(|e| js(&e))?;
        if let Some(a) = &mut self.animation {
            a.follow(&mut self.planned);
        }
        Ok(true)
    }

    /// Applies a worker's patches (JSON from [`JobRunner::job`]) and updates fits and
    /// readouts. Malformed input is refused with a message, never a panic.
    pub fn apply(&mut self, patches: &str) -> Result<(), JsValue> {
        let patches: Vec<Patch> = serde_json::from_str(patches)
            .map_err(|e| js(&format!("a worker's answer did not parse: {e}")))?;
        self.planned.apply(&patches);
        Ok(())
    }

    /// Readouts as JSON: `{readouts: [...], complete, pending, jobs, jobs_done}`, and the panel's
    /// structured details beside them (the ellipse panel's covariance matrices).
    pub fn readouts_json(&self) -> String {
        let fig = &self.planned.figure;
        let mut out = fig.details.clone().unwrap_or_else(|| serde_json::json!({}));
        out["readouts"] = serde_json::json!(fig.readouts);
        // A heavy panel's figure is not complete before a worker's plan arrives.
        let pending = self.planned.is_pending();
        out["complete"] = serde_json::json!(fig.complete() && !pending);
        out["pending"] = serde_json::json!(pending);
        out["jobs"] = serde_json::json!(fig.jobs);
        out["jobs_done"] = serde_json::json!(fig.jobs_done);
        out.to_string()
    }

    /// The figure in the public JSON format.
    pub fn figure_json(&self) -> String {
        self.planned.figure.to_json().to_string()
    }

    /// The figure's series as CSV with the state in its header.
    pub fn csv(&self) -> String {
        self.planned.figure.to_csv()
    }

    /// The figure as an SVG document of `w` × `h` pixels.
    pub fn svg(&self, w: u32, h: u32, dark: bool) -> Result<String, JsValue> {
        svg_of(&self.canvas, &self.planned.figure, w, h, dark)
    }

    /// Draws the figure on its canvas at device pixel ratio `dpr`.
    pub fn draw(&self, dpr: f64, dark: bool) -> Result<(), JsValue> {
        draw_on(&self.canvas, &self.planned.figure, dpr, dark)
    }

    /// Draws the figure on another canvas (PNG export at a chosen size).
    pub fn draw_to(&self, canvas: &HtmlCanvasElement, dpr: f64, dark: bool) -> Result<(), JsValue> {
        draw_on(canvas, &self.planned.figure, dpr, dark)
    }

    /// Whether the panel animates walkers.
    pub fn live(&self) -> bool {
        self.animation.is_some()
    }

    /// A live panel: one animation frame of its walkers.
    pub fn advance(&mut self) {
        if let Some(a) = &mut self.animation {
            a.frame(&mut self.planned);
        }
    }

    /// A live panel: every walker back at the origin.
    pub fn reset(&mut self) {
        if let Some(a) = &mut self.animation {
            a.reset(&mut self.planned);
        }
    }
}

/// `out` with the rejected fields' messages as `errors`, as a JSON string.
fn with_errors(mut out: serde_json::Value, errors: &[ParamError]) -> String {
    out["errors"] = errors
        .iter()
        .map(|e| serde_json::json!(e.message()))
        .collect();
    out.to_string()
}

/// Every applicable theoretical result for a query string, as JSON — the same as
/// `nqm theory '<query>'` prints. Invalid fields are reported in `errors` and keep their
/// defaults.
#[wasm_bindgen]
pub fn theory_json(query: &str) -> String {
    let (p, errors) = query::parse(query, Audience::Cli);
    let given = query::given_keys(query, Audience::Cli);
    with_errors(crate::report::theory_json(&p, &given), &errors)
}

/// Runs a simulation for a query string and reports it as JSON — the same as
/// `nqm simulate '<query>'` prints, number for number. Invalid fields are reported in `errors`.
#[wasm_bindgen]
pub fn simulate_json(query: &str) -> String {
    let (p, errors) = query::parse(query, Audience::Cli);
    with_errors(crate::report::simulate_json(&p), &errors)
}

/// The benchmark kernel: `steps` steps of `walkers` 2-D SGD walkers with Gaussian noise
/// (K = diag(1, 0.1), C = I, λ = 0.5). Returns a checksum; the caller times the call.
#[wasm_bindgen]
pub fn bench_kernel(walkers: u32, steps: u32) -> f64 {
    let (p, _) = query::parse("lr=0.5&noise=white", Audience::Cli);
    let model = p.model();
    let dy = crate::sim::Dynamics::heavy_ball(&model, p.lr, 0.0);
    let mut e = crate::sim::Ensemble::new(2, walkers as usize, 1);
    e.advance(&dy, steps as u64);
    e.coords(0).iter().sum()
}

/// Runs each walker kernel briefly — 1-D and 2-D, with and without a momentum buffer and
/// Yaida's observables, Gaussian, Student-t and χ² noise, and the scalar path — so that V8's
/// optimising tier compiles them before a figure's first job: a job is one long call, which
/// would otherwise run entirely in the baseline tier (about half speed). About 6·10⁵
/// walker-steps; returns a checksum.
#[wasm_bindgen]
pub fn warm_up() -> f64 {
    let mut sum = 0.0;
    for q in [
        "lr=0.5&noise=white",
        "lr=0.5&mu=0.5&noise=white",
        "lr=0.5&noise=white&dist=student",
        "lr=0.5&noise=white&dist=chi2",
        "lr=0.5&noise=general&cf=0.1",
        "dim=1&lr=0.5&noise=white",
        "dim=1&lr=0.5&noise=white&dist=student",
        "dim=1&lr=0.5&noise=white&dist=chi2",
    ] {
        let (p, _) = query::parse(q, Audience::Cli);
        let model = p.model();
        let Ok(dy) = p.dynamics(&model) else {
            continue;
        };
        for observe in [false, true] {
            let mut e = crate::sim::Ensemble::new(model.dim(), 2048, 1);
            e.observe(observe);
            e.advance(&dy, 20);
            sum += e.coords(0).iter().sum::<f64>();
        }
    }
    sum
}

/// Panics on purpose: a test hook for the page's recovery from a Rust panic (the panic hook
/// prints the message to the console first).
#[wasm_bindgen]
pub fn debug_panic() {
    panic!("debug_panic called: a deliberate panic to test recovery");
}

/// A fresh seed from the browser's cryptographic generator, in [0, 2⁵³).
#[wasm_bindgen]
pub fn random_seed() -> Result<f64, JsValue> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| js(&e.to_string()))?;
    Ok((u64::from_le_bytes(b) >> 11) as f64)
}
