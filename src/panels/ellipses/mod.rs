//! The live 2-D ellipse explorer (Liu et al., Fig. 3): an ensemble of SGD walkers on
//! L(w) = ½ wᵀKw with three 3σ ellipses — empirical, exact discrete and continuous.
//!
//! [`EllipseExplorer`] holds the state behind the page: the parameters, the model, the
//! theory's [`Prediction`], the walkers, and the plot's zoom. It validates every change
//! through the parameter schema, recomputes the theory on every change, and keeps the walkers
//! evolving under the new setting.

use super::kit::figure;
use super::query::{self, Audience};
use super::{LegacyPanel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesKind, Style};
use crate::linalg::ellipse_points;
use crate::model::Model;
use crate::params::{ParamError, Params};
use crate::sim::{Dynamics, Ensemble, Moments};
use crate::theory::effective::{self, EffectiveHessian};
use crate::theory::{self, matrix_json, number_json, Prediction};
use nalgebra::{DMatrix, Matrix2};
use serde_json::{json, Value};

/// Everything behind the ellipse page.
pub struct EllipseExplorer {
    params: Params,
    model: Model,
    prediction: Prediction,
    dynamics: Result<Dynamics, String>,
    ensemble: Ensemble,
    moments: Option<Moments>,
    half_width: f64,
}

/// What the ellipse plot draws, in the weights' coordinates.
pub struct Scene<'a> {
    /// First coordinate of every walker.
    pub xs: &'a [f64],
    /// Second coordinate of every walker.
    pub ys: &'a [f64],
    /// Which walkers are live (1.0; the others, 0.0, are not drawn).
    pub alive: &'a [f64],
    /// Exact discrete-time Σ, if there is a stationary state.
    pub discrete: Option<Matrix2<f64>>,
    /// Continuous-time Σ (Eq. 1), if K is positive definite.
    pub continuous: Option<Matrix2<f64>>,
    /// Empirical Σ of the walkers.
    pub empirical: Option<Matrix2<f64>>,
    /// Half the width of the shorter side of the plot, in weight units.
    pub half_width: f64,
    /// Unit eigenvectors of K (drawn as faint axes).
    pub k_axes: [(f64, f64); 2],
    /// A short warning written on the plot (no stationary state, diverged walkers).
    pub note: Option<String>,
    /// Loss contours to draw behind the ellipses (the `contours` setting).
    pub contours: Vec<Series>,
}

fn to2(m: &DMatrix<f64>) -> Matrix2<f64> {
    Matrix2::new(m[(0, 0)], m[(0, 1)], m[(1, 0)], m[(1, 1)])
}

/// The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 × 10ᵏ that is ≥ x (x > 0).
fn nice_ceil(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    [1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|v| *v >= x * (1.0 - 1e-12))
        .unwrap_or(10.0 * p)
}

/// The walkers' dynamics for the page's parameters: the optimizer with the page's noise, real
/// minibatches included; `Err` says why there are none (NGD or Adam without a stationary state,
/// damped Newton with a singular K), and then the walkers stand still.
fn page_dynamics(p: &Params, model: &Model) -> Result<Dynamics, String> {
    p.dynamics(model)
}

/// Largest half-extent of the 3σ ellipse of Σ along either axis: 3 max(√Σ₀₀, √Σ₁₁).
fn extent(s: &Matrix2<f64>) -> f64 {
    3.0 * s[(0, 0)].max(s[(1, 1)]).max(0.0).sqrt()
}

impl EllipseExplorer {
    /// The explorer at `params` (2-D), with the walkers at the origin.
    pub fn new(mut params: Params) -> EllipseExplorer {
        params.dim = 2;
        let model = params.model();
        let prediction = theory::predict(&model, &params.optimizer());
        let dynamics = page_dynamics(&params, &model);
        let ensemble = Ensemble::new(2, params.walkers as usize, params.seed);
        let mut e = EllipseExplorer {
            params,
            model,
            prediction,
            dynamics,
            ensemble,
            moments: None,
            half_width: 1.0,
        };
        e.fit_view(true);
        e
    }

    /// The explorer for a page query string, and the fields that were rejected.
    pub fn from_query(query: &str) -> (EllipseExplorer, Vec<ParamError>) {
        let (p, errors) = query::parse(query, Audience::Page);
        (EllipseExplorer::new(p), errors)
    }

    /// The current parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The current theory.
    pub fn prediction(&self) -> &Prediction {
        &self.prediction
    }

    /// The walkers.
    pub fn ensemble(&self) -> &Ensemble {
        &self.ensemble
    }

    /// Sets one field from its query-string form. A rejected value leaves everything as it
    /// was and returns the reason. Changing `walkers` or `seed` restarts the walkers; any other
    /// change keeps them evolving under the new setting.
    pub fn set(&mut self, key: &str, raw: &str) -> Result<(), String> {
        let mut p = self.params.clone();
        query::set(&mut p, key, raw)?;
        self.replace_params(p);
        Ok(())
    }

    /// Applies a whole query string on top of the current parameters (see
    /// [`params::apply_query`]).
    pub fn apply_query(&mut self, query: &str) -> Vec<ParamError> {
        let mut p = self.params.clone();
        let errors = query::apply(&mut p, query, Audience::Page);
        self.replace_params(p);
        errors
    }

    fn replace_params(&mut self, p: Params) {
        let restart = p.walkers != self.params.walkers || p.seed != self.params.seed;
        self.params = p;
        self.model = self.params.model();
        self.prediction = theory::predict(&self.model, &self.params.optimizer());
        self.dynamics = page_dynamics(&self.params, &self.model);
        if restart {
            self.reset();
        } else if self.prediction.stable && self.ensemble.diverged() > 0 {
            self.ensemble.revive();
        }
    }

    /// The permalink query string of the current state.
    pub fn query(&self) -> String {
        query::to_query(&self.params, Audience::Page)
    }

    /// Restarts every walker at w = 0 with the current seed.
    pub fn reset(&mut self) {
        self.ensemble = Ensemble::new(2, self.params.walkers as usize, self.params.seed);
        self.moments = None;
        self.fit_view(true);
    }

    /// Advances the walkers by `speed` steps and refreshes their moments and the zoom.
    pub fn advance(&mut self) {
        if let Ok(dy) = &self.dynamics {
            self.ensemble.advance(dy, self.params.speed);
        }
        self.moments = self.ensemble.moments();
        self.fit_view(false);
    }

    /// Advances the walkers by `n` steps (for tests and benchmarks).
    pub fn advance_steps(&mut self, n: u64) {
        if let Ok(dy) = &self.dynamics {
            self.ensemble.advance(dy, n);
        }
        self.moments = self.ensemble.moments();
    }

    /// Chooses the plot's half-width: a round number a little beyond the largest ellipse,
    /// changed only when the ellipses outgrow it or shrink well inside it, so that an ellipse
    /// visibly grows while the learning rate is dragged.
    fn fit_view(&mut self, force: bool) {
        let mut e: f64 = 0.0;
        for s in [
            self.prediction.sigma_discrete.as_ref().map(to2),
            self.prediction.sigma_continuous.as_ref().map(to2),
            self.moments.as_ref().map(|m| to2(&m.cov)),
        ]
        .iter()
        .flatten()
        {
            e = e.max(extent(s));
        }
        if !(e.is_finite() && e > 0.0) {
            return;
        }
        let e = e.min(crate::sim::ESCAPE_RADIUS);
        if force || e > self.half_width || e < 0.4 * self.half_width {
            self.half_width = nice_ceil(1.1 * e);
        }
    }

    /// What the plot draws now.
    pub fn scene(&self) -> Scene<'_> {
        let eig = nalgebra::SymmetricEigen::new(to2(&self.model.k));
        let v = eig.eigenvectors;
        Scene {
            xs: self.ensemble.coords(0),
            ys: self.ensemble.coords(1),
            alive: self.ensemble.alive(),
            discrete: self.prediction.sigma_discrete.as_ref().map(to2),
            continuous: self.prediction.sigma_continuous.as_ref().map(to2),
            empirical: self.moments.as_ref().map(|m| to2(&m.cov)),
            half_width: self.half_width,
            k_axes: [(v[(0, 0)], v[(1, 0)]), (v[(0, 1)], v[(1, 1)])],
            note: self.note(),
            contours: self.contours(),
        }
    }

    /// The effective Hessian of the current exact stationary state, or why there is none
    /// ([`effective::effective_hessian`]).
    pub fn effective(&self) -> Result<EffectiveHessian, String> {
        effective::effective_hessian(
            &self.model,
            &self.params.optimizer(),
            self.prediction.stationary.as_ref(),
        )
    }

    /// The contours the `contours` setting asks for: of the loss ½wᵀKw, and of the effective
    /// loss ½wᵀH_eff w where the effective Hessian exists (none where it does not; the plot's
    /// note says why).
    pub fn contours(&self) -> Vec<Series> {
        let k = to2(&self.model.k);
        let c = self.params.contours;
        let mut out = Vec::new();
        if c.loss() {
            out.extend(contour_series("loss ½wᵀKw", &k, self.half_width, 1));
        }
        if c.effective() {
            let eff = k + k * k * (self.params.lr / 2.0);
            out.extend(contour_series(
                "effective loss wᵀ(K + λK²/2)w",
                &eff,
                self.half_width,
                6,
            ));
        }
        out
    }

    fn note(&self) -> Option<String> {
        let p = &self.prediction;
        let diverged = self.ensemble.diverged();
        let mut parts = Vec::new();
        if let Err(e) = &self.dynamics {
            parts.push(format!("No walkers: {e}"));
        } else if !p.stable {
            parts.push(if p.necessary_condition {
                "No stationary state: spectral radius ≥ 1".to_string()
            } else {
                "SGD diverges: λ·k_max ≥ 2(1+μ)".to_string()
            });
        }
        if diverged > 0 {
            parts.push(format!(
                "{diverged} of {} walkers escaped",
                self.ensemble.len()
            ));
        }
        if self.params.contours.effective() {
            if let Err(why) = self.effective() {
                // The headline on the plot; the readouts give the whole reason.
                let headline = why.split([',', ':']).next().unwrap_or(&why);
                parts.push(format!("No effective Hessian: {headline}"));
            }
        }
        (!parts.is_empty()).then(|| parts.join(" — "))
    }

    /// The numbers the page shows, with the field names of `nqm theory` plus the Monte Carlo
    /// ones: `sigma_empirical` (and its standard errors `sigma_empirical_se`),
    /// `loss_empirical` (½Tr[KΣ̂]), `mean`, `walkers_alive`, `diverged`, `steps`; and the
    /// effective Hessian's matrix `effective_hessian` (or `null` and `effective_hessian_reason`).
    pub fn readouts(&self) -> Value {
        let mut out = self.prediction.to_json();
        let m = self.moments.as_ref();
        let obj = out.as_object_mut().expect("prediction JSON is an object");
        obj.insert("sigma_empirical".into(), matrix_json(m.map(|m| &m.cov)));
        obj.insert(
            "sigma_empirical_se".into(),
            matrix_json(m.map(|m| &m.cov_se)),
        );
        obj.insert(
            "loss_empirical".into(),
            number_json(m.map(|m| theory::expected_loss(&self.model.k, &m.cov))),
        );
        obj.insert(
            "mean".into(),
            m.map(|m| json!(m.mean)).unwrap_or(Value::Null),
        );
        obj.insert(
            "walkers_alive".into(),
            json!(self.ensemble.len() - self.ensemble.diverged()),
        );
        obj.insert("diverged".into(), json!(self.ensemble.diverged()));
        obj.insert("steps".into(), json!(self.ensemble.steps()));
        let (eff, why) = match self.effective() {
            Ok(h) => (matrix_json(Some(&h.matrix)), Value::Null),
            Err(why) => (Value::Null, json!(why)),
        };
        obj.insert("effective_hessian".into(), eff);
        obj.insert("effective_hessian_reason".into(), why);
        out
    }
}

/// The panel: on the page it is the live [`EllipseExplorer`]; as a figure (`nqm figure
/// ellipses`, exports) it is the walkers after `steps` steps from the origin.
pub struct EllipsesPanel;

static SPEC: Spec = Spec {
    name: "ellipses",
    title: "Stationary 3σ ellipses",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    source: "Liu, Ziyin & Ueda (2021), Fig. 3a–f; Thms 1–3, 10; Eqs. 1, 72; Cor. 1; Sec. 4.6",
    keys: &[
        "lr", "mu", "opt", "qhm_nu", "h1", "h2", "h_angle", "noise", "sigma2", "a", "c1", "c2",
        "c_angle", "cf", "n_data", "batch", "replace", "contours", "walkers", "seed", "speed",
    ],
    defaults: |_| {},
    presets: &[
        (
            "Fig. 3a: white noise, λ = 0.1",
            "noise=white&sigma2=1&lr=0.1&mu=0&opt=sgd",
        ),
        (
            "Fig. 3c: white noise, λ = 1.5",
            "noise=white&sigma2=1&lr=1.5&mu=0&opt=sgd",
        ),
        (
            "Fig. 3d: minibatch, λ = 0.1",
            "noise=minibatch&n_data=1000&batch=100&lr=0.1&mu=0&opt=sgd",
        ),
        (
            "Fig. 3f: minibatch, λ = 1.5",
            "noise=minibatch&n_data=1000&batch=100&lr=1.5&mu=0&opt=sgd",
        ),
    ],
    live: true,
};

/// Series of the ellipse figure, in order.
const WALKERS: usize = 0;
const EMPIRICAL: usize = 1;

/// A closed ellipse as a series (`None` gives an empty one).
fn ellipse_series(name: &str, kind: SeriesKind, s: Option<&Matrix2<f64>>) -> Series {
    let pts = s.map(|s| ellipse_points(s, 3.0, 180)).unwrap_or_default();
    let (x, y) = pts.into_iter().unzip();
    let mut s = Series::new(name, kind, x, y);
    s.y_err = None;
    s.styled(match kind {
        SeriesKind::TheoryContinuous => Style::Dashed,
        SeriesKind::MonteCarlo => Style::Dotted,
        _ => Style::Line,
    })
}

/// Level sets {w : wᵀ M w = r²} of a quadratic form, for r spread over the view, as one series
/// with NaN breaks (none if M is not positive definite).
fn contour_series(name: &str, m: &Matrix2<f64>, half_width: f64, color: usize) -> Option<Series> {
    let inv = m.try_inverse()?;
    let eig = nalgebra::SymmetricEigen::new(*m);
    if eig.eigenvalues.min() <= 0.0 {
        return None;
    }
    let r_max = half_width * eig.eigenvalues.max().sqrt() * 1.5;
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for j in 1..=8 {
        for (a, b) in ellipse_points(&inv, r_max * j as f64 / 8.0, 120) {
            x.push(a);
            y.push(b);
        }
        x.push(f64::NAN);
        y.push(f64::NAN);
    }
    Some(
        Series::new(name, SeriesKind::TheoryOther, x, y)
            .styled(Style::Dotted)
            .colored(color),
    )
}

impl EllipseExplorer {
    /// The current state as a figure (walkers as dots, the three ellipses, the chosen
    /// contours), for exports and `nqm figure`.
    pub fn figure(&self) -> Figure {
        let scene = self.scene();
        let hw = scene.half_width;
        let mut plot = Plot::new("w₁", "w₂");
        plot.equal = true;
        plot.x_range = Some((-hw, hw));
        plot.y_range = Some((-hw, hw));
        plot.note = scene.note.clone();
        let mut fig = figure(&self.params, vec![plot]);
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for i in 0..self.ensemble.len() {
            if scene.alive[i] > 0.5 {
                xs.push(scene.xs[i]);
                ys.push(scene.ys[i]);
            }
        }
        let mut walkers = Series::new("walkers", SeriesKind::MonteCarlo, xs, ys)
            .styled(Style::Dots)
            .colored(7);
        walkers.y_err = None;
        fig.series.push(walkers);
        fig.series.push(
            ellipse_series(
                "empirical 3σ",
                SeriesKind::MonteCarlo,
                scene.empirical.as_ref(),
            )
            .colored(2),
        );
        fig.series.push(ellipse_series(
            "exact discrete 3σ",
            SeriesKind::TheoryDiscrete,
            scene.discrete.as_ref(),
        ));
        fig.series.push(ellipse_series(
            "continuous 3σ",
            SeriesKind::TheoryContinuous,
            scene.continuous.as_ref(),
        ));
        fig.series.extend(scene.contours.iter().cloned());
        let r = self.readouts();
        let num = |key: &str| r[key].as_f64();
        let tr = |key: &str| {
            r[key]
                .as_array()
                .map(|m| (0..m.len()).filter_map(|i| m[i][i].as_f64()).sum::<f64>())
        };
        let eff = self.effective();
        let eff_eig = |i: usize| {
            let e = eff
                .as_ref()
                .ok()
                .map(|h| to2(&h.matrix).symmetric_eigenvalues())?;
            Some(if i == 0 { e.max() } else { e.min() })
        };
        let none = match &eff {
            Ok(_) => String::new(),
            Err(why) => format!(" — none: {why}"),
        };
        fig.readouts = vec![
            Readout::new(
                "trace_discrete",
                "Tr Σ, exact discrete",
                tr("sigma_discrete"),
            ),
            Readout::new(
                "trace_continuous",
                "Tr Σ, continuous",
                tr("sigma_continuous"),
            ),
            Readout::new("trace_empirical", "Tr Σ, walkers", tr("sigma_empirical")),
            Readout::new("spectral_radius", "spectral radius", num("spectral_radius")),
            Readout::new(
                "effective_hessian_max",
                "largest eigenvalue of the effective Hessian H_eff = ½ECΣ⁻¹",
                eff_eig(0),
            ),
            Readout::new(
                "effective_hessian_min",
                &format!("smallest eigenvalue of H_eff{none}"),
                eff_eig(1),
            ),
            Readout::new("steps", "steps", num("steps")),
            Readout::new("diverged", "walkers diverged", num("diverged")),
        ];
        fig
    }
}

impl LegacyPanel for EllipsesPanel {
    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> Figure {
        let mut fig = EllipseExplorer::new(p.clone()).figure();
        fig.jobs = 1;
        fig
    }

    fn job(&self, p: &Params, _i: usize) -> Vec<Patch> {
        let mut e = EllipseExplorer::new(p.clone());
        e.advance_steps(p.steps);
        e.fit_view(true);
        let fig = e.figure();
        [WALKERS, EMPIRICAL]
            .iter()
            .map(|&s| Patch {
                series: s.into(),
                index: 0,
                x: Some(fig.series[s].x.clone()),
                y: fig.series[s].y.clone(),
                y_err: None,
            })
            .collect()
    }

    fn finish(&self, _p: &Params, fig: &mut Figure) {
        // Once the walkers have run: the view fits all three ellipses, and the readouts take
        // the walkers' trace.
        if !fig.complete() || fig.jobs == 0 {
            return;
        }
        let reach = fig.series[EMPIRICAL..EMPIRICAL + 3]
            .iter()
            .flat_map(|s| s.finite_points())
            .fold(0.0f64, |m, (x, y)| m.max(x.abs()).max(y.abs()));
        if reach.is_finite() && reach > 0.0 {
            let hw = nice_ceil(1.1 * reach.min(crate::sim::ESCAPE_RADIUS));
            fig.plots[0].x_range = Some((-hw, hw));
            fig.plots[0].y_range = Some((-hw, hw));
        }
        let w = &fig.series[WALKERS];
        let n = w.x.len() as f64;
        let var = |v: &[f64]| {
            let m = v.iter().sum::<f64>() / n;
            v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)
        };
        let trace = (n >= 2.0).then(|| var(&w.x) + var(&w.y));
        for r in &mut fig.readouts {
            if r.key == "trace_empirical" {
                *r = Readout::new("trace_empirical", "Tr Σ, walkers", trace);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ceil_rounds_up_to_a_round_number() {
        for (x, want) in [
            (0.7, 0.8),
            (1.0, 1.0),
            (1.3, 1.5),
            (3.5, 4.0),
            (7.0, 8.0),
            (9.0, 10.0),
            (0.013, 0.015),
        ] {
            assert!(
                (nice_ceil(x) - want).abs() < 1e-12 * want,
                "{x} → {}",
                nice_ceil(x)
            );
        }
    }

    #[test]
    fn a_rejected_value_changes_nothing() {
        let (mut e, errors) = EllipseExplorer::from_query("lr=0.3");
        assert!(errors.is_empty());
        let before = e.query();
        assert!(e.set("lr", "NaN").is_err());
        assert!(e.set("dim", "1").is_err());
        assert_eq!(e.query(), before);
    }

    #[test]
    fn divergent_walkers_are_counted_and_revived_when_stable_again() {
        let (mut e, _) = EllipseExplorer::from_query("lr=2.5&walkers=200");
        e.advance_steps(200);
        assert_eq!(e.ensemble().diverged(), 200);
        let r = e.readouts();
        assert!(r["sigma_discrete"].is_null() && r["sigma_empirical"].is_null());
        assert!(!r.to_string().contains("NaN"));
        e.set("lr", "0.5").unwrap();
        assert_eq!(e.ensemble().diverged(), 0);
    }
}
