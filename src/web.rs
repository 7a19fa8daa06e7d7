//! The wasm-bindgen surface: the only module that knows about the browser.
//!
//! JavaScript gets opaque handles — [`Explorer`] for the live ellipse panel, [`FigureView`] for
//! the figure panels — and small copied results (strings of JSON); every number it shows is
//! computed here, by the pure-Rust core. Web Workers call [`panel_job`] for Monte Carlo points.

use crate::figure::{Figure, Patch};
use crate::panels::{self, ellipses::EllipseExplorer};
use crate::params::{self, Audience, ParamError, Params};
use crate::render::{self, Theme};
use plotters::prelude::*;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};
use plotters_canvas::CanvasBackend;
use wasm_bindgen::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

/// Installs the panic hook, so that a panic in Rust reaches the console with its message.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
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
    params::parse_query(query, Audience::Page)
        .0
        .panel
        .to_string()
}

/// Monte Carlo job `index` of the figure a page query describes, as a JSON array of patches
/// (a worker's work; the same numbers as `nqm figure`).
#[wasm_bindgen]
pub fn panel_job(query: &str, index: u32) -> String {
    let (p, _) = params::parse_query(query, Audience::Page);
    let patches: Vec<Patch> = match panels::find(p.panel) {
        Some(panel) if (index as usize) < usize::MAX => panel.job(&p, index as usize),
        _ => Vec::new(),
    };
    serde_json::to_string(&patches).expect("patches serialise")
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
    let p = Params::for_panel(panel);
    let fig = panels::plan(&p).ok_or_else(|| JsValue::from_str("no such panel"))?;
    draw_on(canvas, &fig, dpr, dark)
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
    let backend =
        Canvas::new(canvas).ok_or_else(|| JsValue::from_str("the canvas has no 2-D context"))?;
    let root = backend.into_drawing_area();
    render::draw_figure(&root, fig, &theme(dark), dpr)
        .map_err(|e| JsValue::from_str(&format!("drawing failed: {e}")))?;
    root.present()
        .map_err(|e| JsValue::from_str(&format!("drawing failed: {e}")))
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
        .ok_or_else(|| JsValue::from_str("the canvas has no 2-D context"))?;
    let measure = |text: &str, size: f64| {
        context.set_font(&format!("{size}px sans-serif"));
        match context.measure_text(text) {
            Ok(m) => (m.width().ceil() as u32, size.ceil() as u32),
            Err(_) => render::approximate_text_size(text, size),
        }
    };
    render::svg_with(fig, w, h, &theme(dark), measure).map_err(|e| JsValue::from_str(&e))
}

/// A figure panel behind the page: its parameters and its figure, filled in by Monte Carlo
/// patches as workers report them.
#[wasm_bindgen]
pub struct FigureView {
    params: Params,
    figure: Figure,
    canvas: HtmlCanvasElement,
    errors: Vec<ParamError>,
}

#[wasm_bindgen]
impl FigureView {
    /// The figure of a page query string, theory computed and Monte Carlo pending, drawing on
    /// `canvas`.
    #[wasm_bindgen(constructor)]
    pub fn new(canvas: HtmlCanvasElement, query: &str) -> FigureView {
        let (params, errors) = params::parse_query(query, Audience::Page);
        let figure = panels::plan(&params).expect("a parsed panel exists");
        FigureView {
            params,
            figure,
            canvas,
            errors,
        }
    }

    fn replan(&mut self) {
        self.figure = panels::plan(&self.params).expect("the panel exists");
    }

    /// The fields rejected by the last query applied, as JSON.
    pub fn errors(&self) -> String {
        errors_json(&self.errors)
    }

    /// Applies a query string on top of the current state; the Monte Carlo starts again.
    pub fn apply_query(&mut self, query: &str) {
        let mut p = self.params.clone();
        self.errors = params::apply_query(&mut p, query, Audience::Page);
        self.params = p;
        self.replan();
    }

    /// Sets one parameter from its query-string form; returns the reason if it is rejected
    /// (and then nothing changes). A change re-plans the figure: theory at once, Monte Carlo
    /// pending.
    pub fn set(&mut self, key: &str, value: &str) -> Option<String> {
        let Some(f) = params::field(key)
            .filter(|f| f.key != "panel" && f.serves(Audience::Page, self.params.panel))
        else {
            return Some(format!("'{key}' is not a parameter of this panel"));
        };
        let mut p = self.params.clone();
        if let Err(e) = f.set_str(&mut p, value) {
            return Some(e);
        }
        let _ = p.reconcile_all();
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
        params::to_query(&self.params, Audience::Page)
    }

    /// The current parameters as JSON.
    pub fn params_json(&self) -> String {
        self.params.to_json(Audience::Page).to_string()
    }

    /// Number of Monte Carlo jobs of the current plan.
    pub fn jobs(&self) -> u32 {
        self.figure.jobs as u32
    }

    /// Applies a worker's patches (JSON from [`panel_job`]) and updates fits and readouts.
    /// Malformed input is refused with a message, never a panic.
    pub fn apply(&mut self, patches: &str) -> Result<(), JsValue> {
        let patches: Vec<Patch> = serde_json::from_str(patches)
            .map_err(|e| JsValue::from_str(&format!("a worker's answer did not parse: {e}")))?;
        self.figure.apply(&patches);
        if let Some(panel) = panels::find(self.params.panel) {
            panel.finish(&self.params, &mut self.figure);
        }
        Ok(())
    }

    /// Readouts as JSON: `{readouts: [...], complete, jobs, jobs_done}`.
    pub fn readouts_json(&self) -> String {
        serde_json::json!({
            "readouts": self.figure.readouts,
            "complete": self.figure.complete(),
            "jobs": self.figure.jobs,
            "jobs_done": self.figure.jobs_done,
        })
        .to_string()
    }

    /// The figure in the public JSON format.
    pub fn figure_json(&self) -> String {
        self.figure.to_json().to_string()
    }

    /// The figure's series as CSV with the state in its header.
    pub fn csv(&self) -> String {
        self.figure.to_csv()
    }

    /// The figure as an SVG document of `w` × `h` pixels.
    pub fn svg(&self, w: u32, h: u32, dark: bool) -> Result<String, JsValue> {
        svg_of(&self.canvas, &self.figure, w, h, dark)
    }

    /// Draws the figure on its canvas at device pixel ratio `dpr`.
    pub fn draw(&self, dpr: f64, dark: bool) -> Result<(), JsValue> {
        draw_on(&self.canvas, &self.figure, dpr, dark)
    }

    /// Draws the figure on another canvas (PNG export at a chosen size).
    pub fn draw_to(&self, canvas: &HtmlCanvasElement, dpr: f64, dark: bool) -> Result<(), JsValue> {
        draw_on(canvas, &self.figure, dpr, dark)
    }
}

/// `out` with the rejected fields' messages as `errors`, as a JSON string.
fn with_errors(mut out: serde_json::Value, errors: &[params::ParamError]) -> String {
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
    let (p, errors) = params::parse_query(query, params::Audience::Cli);
    let given = params::given_keys(query, params::Audience::Cli);
    with_errors(crate::theory::report::theory_json(&p, &given), &errors)
}

/// Runs a simulation for a query string and reports it as JSON — the same as
/// `nqm simulate '<query>'` prints, number for number. Invalid fields are reported in `errors`.
#[wasm_bindgen]
pub fn simulate_json(query: &str) -> String {
    let (p, errors) = params::parse_query(query, params::Audience::Cli);
    with_errors(crate::sim::simulate_report(&p), &errors)
}

/// The benchmark kernel: `steps` steps of `walkers` 2-D SGD walkers with Gaussian noise
/// (K = diag(1, 0.1), C = I, λ = 0.5). Returns a checksum; the caller times the call.
#[wasm_bindgen]
pub fn bench_kernel(walkers: u32, steps: u32) -> f64 {
    let (p, _) = params::parse_query("lr=0.5&noise=white", params::Audience::Cli);
    let model = crate::model::p.model();
    let dy = crate::sim::Dynamics::heavy_ball(&model, p.lr, 0.0);
    let mut e = crate::sim::Ensemble::new(2, walkers as usize, 1);
    e.advance(&dy, steps as u64);
    e.coords(0).iter().sum()
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
    getrandom::fill(&mut b).map_err(|e| JsValue::from_str(&e.to_string()))?;
    Ok((u64::from_le_bytes(b) >> 11) as f64)
}

/// The ellipse explorer behind the page, drawing onto one canvas.
#[wasm_bindgen]
pub struct Explorer {
    inner: EllipseExplorer,
    canvas: HtmlCanvasElement,
    errors: Vec<params::ParamError>,
}

#[wasm_bindgen]
impl Explorer {
    /// An explorer at the state of a page query string (`location.search`), drawing on
    /// `canvas`. Rejected fields are available from [`Explorer::errors`].
    #[wasm_bindgen(constructor)]
    pub fn new(canvas: HtmlCanvasElement, query: &str) -> Explorer {
        let (inner, errors) = EllipseExplorer::from_query(query);
        Explorer {
            inner,
            canvas,
            errors,
        }
    }

    /// The fields rejected by the last query applied, as a JSON array of
    /// `{key, reason, fallback, message}`.
    pub fn errors(&self) -> String {
        errors_json(&self.errors)
    }

    /// The current state as a figure in the public JSON format (walkers, ellipses, contours).
    pub fn figure_json(&self) -> String {
        self.inner.figure().to_json().to_string()
    }

    /// The current state's series as CSV with the state in its header.
    pub fn csv(&self) -> String {
        self.inner.figure().to_csv()
    }

    /// The current state as an SVG document of `w` × `h` pixels.
    pub fn svg(&self, w: u32, h: u32, dark: bool) -> Result<String, JsValue> {
        svg_of(&self.canvas, &self.inner.figure(), w, h, dark)
    }

    /// Draws the current state on another canvas (PNG export at a chosen size).
    pub fn draw_to(&self, canvas: &HtmlCanvasElement, dpr: f64, dark: bool) -> Result<(), JsValue> {
        self.draw_canvas(canvas, dpr, dark)
    }

    /// Applies a query string on top of the current state (back/forward, embedding pages).
    pub fn apply_query(&mut self, query: &str) {
        self.errors = self.inner.apply_query(query);
    }

    /// Sets one parameter from its query-string form; returns the reason if it is rejected
    /// (and then nothing changes).
    pub fn set(&mut self, key: &str, value: &str) -> Option<String> {
        self.inner.set(key, value).err()
    }

    /// The current value of a parameter, as written in the query string.
    pub fn get(&self, key: &str) -> Option<String> {
        self.inner.params().get_str(key)
    }

    /// The permalink query string of the current state (without `?`).
    pub fn query(&self) -> String {
        self.inner.query()
    }

    /// The current parameters as JSON, keyed as in the query string.
    pub fn params_json(&self) -> String {
        self.inner
            .params()
            .to_json(params::Audience::Page)
            .to_string()
    }

    /// The numbers shown beside the plot, as JSON (see `EllipseExplorer::readouts`).
    pub fn readouts_json(&self) -> String {
        self.inner.readouts().to_string()
    }

    /// Restarts the walkers at w = 0.
    pub fn reset(&mut self) {
        self.inner.reset();
    }

    /// One animation frame of simulation: `speed` SGD steps.
    pub fn advance(&mut self) {
        self.inner.advance();
    }

    /// Draws the plot at device pixel ratio `dpr` in the light or dark theme.
    pub fn draw(&self, dpr: f64, dark: bool) -> Result<(), JsValue> {
        self.draw_canvas(&self.canvas, dpr, dark)
    }
}

impl Explorer {
    fn draw_canvas(&self, canvas: &HtmlCanvasElement, dpr: f64, dark: bool) -> Result<(), JsValue> {
        let backend = Canvas::new(canvas)
            .ok_or_else(|| JsValue::from_str("the canvas has no 2-D context"))?;
        let root = backend.into_drawing_area();
        render::draw_ellipses(&root, &self.inner.scene(), &theme(dark), dpr)
            .map_err(|e| JsValue::from_str(&format!("drawing failed: {e}")))?;
        root.present()
            .map_err(|e| JsValue::from_str(&format!("drawing failed: {e}")))
    }
}

/// plotters' canvas backend, with two things done the canvas's own way: text is measured with
/// `measureText` (plotters' default measures it by inserting a styled `<span>` into the page,
/// which forces a layout per label and is refused by the page's Content Security Policy), and
/// a bitmap is drawn with one `putImageData` instead of one rectangle per pixel.
struct Canvas {
    inner: CanvasBackend,
    context: CanvasRenderingContext2d,
}

impl Canvas {
    fn new(canvas: &HtmlCanvasElement) -> Option<Canvas> {
        let context = canvas
            .get_context("2d")
            .ok()??
            .dyn_into::<CanvasRenderingContext2d>()
            .ok()?;
        Some(Canvas {
            inner: CanvasBackend::with_canvas_object(canvas.clone())?,
            context,
        })
    }
}

/// A drawing error, in words.
#[derive(Debug)]
pub struct CanvasError(String);

impl std::fmt::Display for CanvasError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CanvasError {}

fn js_error(e: JsValue) -> DrawingErrorKind<CanvasError> {
    DrawingErrorKind::DrawingError(CanvasError(format!("{e:?}")))
}

/// Re-types an error of the wrapped backend.
fn inner<T, E: std::error::Error + Send + Sync>(
    r: Result<T, DrawingErrorKind<E>>,
) -> Result<T, DrawingErrorKind<CanvasError>> {
    r.map_err(|e| match e {
        DrawingErrorKind::DrawingError(e) => {
            DrawingErrorKind::DrawingError(CanvasError(e.to_string()))
        }
        DrawingErrorKind::FontError(f) => DrawingErrorKind::FontError(f),
    })
}

impl DrawingBackend for Canvas {
    type ErrorType = CanvasError;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<CanvasError>> {
        inner(self.inner.ensure_prepared())
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<CanvasError>> {
        inner(self.inner.present())
    }
    fn draw_pixel(
        &mut self,
        p: BackendCoord,
        c: BackendColor,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        inner(self.inner.draw_pixel(p, c))
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        inner(self.inner.draw_line(from, to, style))
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        ul: BackendCoord,
        br: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        inner(self.inner.draw_rect(ul, br, style, fill))
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        inner(self.inner.draw_path(path, style))
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        inner(self.inner.draw_circle(center, radius, style, fill))
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        inner(self.inner.fill_polygon(vert, style))
    }
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        inner(self.inner.draw_text(text, style, pos))
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<CanvasError>> {
        self.context.set_font(&format!(
            "{} {}px {}",
            style.style().as_str(),
            style.size(),
            style.family().as_str()
        ));
        let m = self.context.measure_text(text).map_err(js_error)?;
        Ok((m.width().ceil() as u32, style.size().ceil() as u32))
    }

    fn blit_bitmap(
        &mut self,
        (x, y): BackendCoord,
        (w, h): (u32, u32),
        rgb: &[u8],
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        let mut rgba = Vec::with_capacity(rgb.len() / 3 * 4);
        for p in rgb.chunks_exact(3) {
            rgba.extend_from_slice(&[p[0], p[1], p[2], 255]);
        }
        let data =
            ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), w, h).map_err(js_error)?;
        self.context
            .put_image_data(&data, f64::from(x), f64::from(y))
            .map_err(js_error)
    }
}
