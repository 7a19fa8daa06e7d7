//! What the ellipse plot shows, from the plan's theory and from the walkers: the series (the
//! walkers' cloud, the three 3σ ellipses, the chosen contours), the view that fits them, the
//! note on the plot, the readouts, and the details the page prints (the covariance matrices,
//! with the field names of `nqm theory`).

use super::Plan;
use crate::figure::{Figure, Readout, Series, SeriesId, SeriesKind, Style};
use crate::linalg::ellipse_points;
use crate::panels::kit::nice_ceil;
use crate::sim::{Ensemble, Moments, ESCAPE_RADIUS};
use crate::theory::effective::{self, EffectiveHessian};
use crate::theory::{expected_loss, matrix_json, number_json, Prediction};
use nalgebra::{DMatrix, Matrix2};
use serde_json::{json, Value};

fn to2(m: &DMatrix<f64>) -> Matrix2<f64> {
    Matrix2::new(m[(0, 0)], m[(0, 1)], m[(1, 0)], m[(1, 1)])
}

/// Largest half-extent of the 3σ ellipse of Σ along either axis: 3 max(√Σ₀₀, √Σ₁₁).
fn extent(s: &Matrix2<f64>) -> f64 {
    3.0 * s[(0, 0)].max(s[(1, 1)]).max(0.0).sqrt()
}

/// The walkers as the plot shows them: the live ones' coordinates, their moments and 3σ
/// ellipse, how many escaped, and the steps taken.
pub(super) struct Shown {
    pub cloud: (Vec<f64>, Vec<f64>),
    pub ellipse: (Vec<f64>, Vec<f64>),
    moments: Option<Moments>,
    diverged: usize,
    count: usize,
    steps: u64,
}

impl Shown {
    /// The walkers of `e` as they are now.
    pub fn of(e: &Ensemble) -> Shown {
        let live = (0..e.len()).filter(|&i| e.is_alive(i));
        let cloud = live.map(|i| (e.coords(0)[i], e.coords(1)[i])).unzip();
        let moments = e.moments();
        let ellipse = moments
            .as_ref()
            .map(|m| ellipse_points(&to2(&m.cov), 3.0, 180))
            .unwrap_or_default()
            .into_iter()
            .unzip();
        Shown {
            cloud,
            ellipse,
            moments,
            diverged: e.diverged(),
            count: e.len(),
            steps: e.steps(),
        }
    }
}

/// A closed 3σ ellipse as a series (`None` gives an empty one).
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
    let s = Series::new(name, SeriesKind::TheoryOther, x, y);
    Some(s.styled(Style::Dotted).colored(color))
}

/// The effective Hessian of the plan's exact stationary state, or why there is none.
fn effective(plan: &Plan) -> Result<EffectiveHessian, String> {
    let t = plan.theory();
    let opt = plan.setting.optimizer();
    effective::effective_hessian(&t.model, &opt, t.prediction.stationary.as_ref())
}

/// The contours the `contours` setting asks for: of the loss ½wᵀKw, and of the effective loss
/// ½wᵀH_eff w where the effective Hessian exists (none where it does not; the note says why).
fn contours(plan: &Plan, half_width: f64) -> Vec<Series> {
    let k = to2(&plan.model().k);
    let c = plan.setting.contours;
    let mut out = Vec::new();
    if c.loss() {
        out.extend(contour_series("loss ½wᵀKw", &k, half_width, 1));
    }
    if c.effective() {
        if let Ok(h) = effective(plan) {
            let name = format!("effective loss, {}", h.label());
            out.extend(contour_series(&name, &to2(&h.matrix), half_width, 6));
        }
    }
    out
}

/// The handles of the plot's series: the walkers' cloud and the three ellipses (the contours
/// follow them).
#[derive(Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(super) struct Ids {
    pub walkers: SeriesId,
    pub empirical: SeriesId,
    discrete: SeriesId,
    continuous: SeriesId,
}

/// The walkers' cloud and the three ellipses: the walkers' empty until they have run, the
/// exact and continuous ones from the theory.
pub(super) fn add_series(fig: &mut Figure, p: &Prediction) -> Ids {
    let mut cloud = Series::new("walkers", SeriesKind::MonteCarlo, vec![], vec![]);
    cloud.y_err = None;
    let (d, c) = (
        p.sigma_discrete.as_ref().map(to2),
        p.sigma_continuous.as_ref().map(to2),
    );
    Ids {
        walkers: fig.add(cloud.styled(Style::Dots).colored(7)),
        empirical: fig.add(ellipse_series("empirical 3σ", SeriesKind::MonteCarlo, None).colored(2)),
        discrete: fig.add(ellipse_series(
            "exact discrete 3σ",
            SeriesKind::TheoryDiscrete,
            d.as_ref(),
        )),
        continuous: fig.add(ellipse_series(
            "continuous 3σ",
            SeriesKind::TheoryContinuous,
            c.as_ref(),
        )),
    }
}

/// The half-width of the view: a round number a little beyond the largest ellipse, changed
/// only when the ellipses outgrow it or shrink well inside it (`force`: always), so that an
/// ellipse visibly grows while the learning rate is dragged.
fn fit_view(current: f64, sigmas: &[Option<Matrix2<f64>>], force: bool) -> f64 {
    let e = sigmas.iter().flatten().map(extent).fold(0.0f64, f64::max);
    if !(e.is_finite() && e > 0.0) {
        return current;
    }
    let e = e.min(ESCAPE_RADIUS);
    if force || e > current || e < 0.4 * current {
        nice_ceil(1.1 * e)
    } else {
        current
    }
}

/// Sets the view to ±`half_width` and draws the contours for it.
fn set_view(fig: &mut Figure, plan: &Plan, half_width: f64) {
    let plot = &mut fig.plots[0];
    plot.equal = true;
    plot.x_range = Some((-half_width, half_width));
    plot.y_range = Some((-half_width, half_width));
    fig.series.truncate(plan.ids.continuous.index() + 1);
    fig.series.extend(contours(plan, half_width));
}

fn half_width(fig: &Figure) -> f64 {
    fig.plots[0].x_range.map_or(1.0, |r| r.1)
}

/// The view that fits the exact and continuous ellipses, the contours, the note, the readouts
/// and the details of the theory: the figure before any walker has moved.
pub(super) fn theory(fig: &mut Figure, plan: &Plan) {
    let p = &plan.theory().prediction;
    let sigmas = [
        p.sigma_discrete.as_ref().map(to2),
        p.sigma_continuous.as_ref().map(to2),
    ];
    set_view(fig, plan, fit_view(1.0, &sigmas, true));
    fig.plots[0].note = note(plan, 0, 0);
    fig.readouts = readouts(plan, p);
    fig.details = Some(details(plan, None));
}

/// The note on the plot: no walkers or no stationary state, escaped walkers, no effective
/// Hessian.
fn note(plan: &Plan, diverged: usize, count: usize) -> Option<String> {
    let t = plan.theory();
    let p = &t.prediction;
    let mut parts = Vec::new();
    if let Some(e) = &t.no_walkers {
        parts.push(format!("No walkers: {e}"));
    } else if !p.stable {
        parts.push(if p.necessary_condition {
            "No stationary state: spectral radius ≥ 1".to_string()
        } else {
            "SGD diverges: λ·k_max ≥ 2(1+μ)".to_string()
        });
    }
    if diverged > 0 {
        parts.push(format!("{diverged} of {count} walkers escaped"));
    }
    if plan.setting.contours.effective() {
        if let Err(why) = effective(plan) {
            // The headline on the plot; the readouts give the whole reason.
            let headline = why.split([',', ':']).next().unwrap_or(&why);
            parts.push(format!("No effective Hessian: {headline}"));
        }
    }
    (!parts.is_empty()).then(|| parts.join(" — "))
}

fn trace(m: Option<&DMatrix<f64>>) -> Option<f64> {
    m.map(|m| m.trace())
}

/// The readouts of the theory, with the walkers' not yet measured.
fn readouts(plan: &Plan, p: &Prediction) -> Vec<Readout> {
    let eff = effective(plan);
    let eig = |max: bool| {
        let e = eff.as_ref().ok()?.matrix.clone();
        let e = to2(&e).symmetric_eigenvalues();
        Some(if max { e.max() } else { e.min() })
    };
    let none = match &eff {
        Ok(_) => String::new(),
        Err(why) => format!(" — none: {why}"),
    };
    vec![
        Readout::new(
            "trace_discrete",
            "Tr Σ, exact discrete",
            trace(p.sigma_discrete.as_ref()),
        ),
        Readout::new(
            "trace_continuous",
            "Tr Σ, continuous",
            trace(p.sigma_continuous.as_ref()),
        ),
        Readout::new("trace_empirical", "Tr Σ, walkers", None),
        Readout::new(
            "spectral_radius",
            "spectral radius",
            Some(p.spectral_radius),
        ),
        Readout::new(
            "effective_hessian_max",
            "largest eigenvalue of the effective Hessian H_eff = ½ECΣ⁻¹",
            eig(true),
        ),
        Readout::new(
            "effective_hessian_min",
            &format!("smallest eigenvalue of H_eff{none}"),
            eig(false),
        ),
        Readout::new("steps", "steps", Some(0.0)),
        Readout::new("diverged", "walkers diverged", Some(0.0)),
    ]
}

fn set_readout(fig: &mut Figure, key: &str, value: Option<f64>) {
    for r in fig.readouts.iter_mut().filter(|r| r.key == key) {
        r.value = value.filter(|v| v.is_finite());
    }
}

/// The numbers the page prints, with the field names of `nqm theory` plus the walkers' ones:
/// `sigma_empirical` (± `sigma_empirical_se`), `loss_empirical` (½Tr[KΣ̂]), `mean`,
/// `walkers_alive`, `diverged`, `steps`; and the effective Hessian `effective_hessian` (or
/// `null` and `effective_hessian_reason`).
fn details(plan: &Plan, shown: Option<&Shown>) -> Value {
    let t = plan.theory();
    let mut out = t.prediction.to_json();
    let m = shown.and_then(|s| s.moments.as_ref());
    out["sigma_empirical"] = matrix_json(m.map(|m| &m.cov));
    out["sigma_empirical_se"] = matrix_json(m.map(|m| &m.cov_se));
    out["loss_empirical"] = number_json(m.map(|m| expected_loss(&t.model.k, &m.cov)));
    out["mean"] = m.map_or(Value::Null, |m| json!(m.mean));
    let (count, diverged, steps) = shown.map_or((0, 0, 0), |s| (s.count, s.diverged, s.steps));
    out["walkers_alive"] = json!(count - diverged);
    out["diverged"] = json!(diverged);
    out["steps"] = json!(steps);
    let (eff, why) = match effective(plan) {
        Ok(h) => (matrix_json(Some(&h.matrix)), Value::Null),
        Err(why) => (Value::Null, json!(why)),
    };
    out["effective_hessian"] = eff;
    out["effective_hessian_reason"] = why;
    out
}

/// A frame of the live page: the walkers as they are now, the view following the ellipses, the
/// note, the walkers' readouts and the details.
pub(super) fn live(fig: &mut Figure, plan: &Plan, shown: &Shown) {
    let p = &plan.theory().prediction;
    let walkers = fig.get_mut(plan.ids.walkers);
    (walkers.x, walkers.y) = shown.cloud.clone();
    let empirical = fig.get_mut(plan.ids.empirical);
    (empirical.x, empirical.y) = shown.ellipse.clone();
    let sigmas = [
        p.sigma_discrete.as_ref().map(to2),
        p.sigma_continuous.as_ref().map(to2),
        shown.moments.as_ref().map(|m| to2(&m.cov)),
    ];
    let current = half_width(fig);
    let wanted = fit_view(current, &sigmas, false);
    if wanted != current {
        set_view(fig, plan, wanted);
    }
    fig.plots[0].note = note(plan, shown.diverged, shown.count);
    set_readout(
        fig,
        "trace_empirical",
        trace(shown.moments.as_ref().map(|m| &m.cov)),
    );
    set_readout(fig, "steps", Some(shown.steps as f64));
    set_readout(fig, "diverged", Some(shown.diverged as f64));
    fig.details = Some(details(plan, Some(shown)));
}

/// After the walkers of `nqm figure` have run: the view fits the three ellipses, and the
/// readouts take the walkers' trace (from their cloud), the number lost and the steps taken.
pub(super) fn after_run(fig: &mut Figure, plan: &Plan) {
    let ids = &plan.ids;
    let reach = [ids.empirical, ids.discrete, ids.continuous]
        .iter()
        .flat_map(|&id| fig.get(id).finite_points())
        .fold(0.0f64, |m, (x, y)| m.max(x.abs()).max(y.abs()));
    if reach.is_finite() && reach > 0.0 {
        set_view(fig, plan, nice_ceil(1.1 * reach.min(ESCAPE_RADIUS)));
    }
    let w = fig.get(ids.walkers);
    let n = w.x.len() as f64;
    let var = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / n;
        v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)
    };
    let trace = (n >= 2.0).then(|| var(&w.x) + var(&w.y));
    let lost = plan.setting.walkers as f64 - n;
    fig.plots[0].note = note(plan, lost as usize, plan.setting.walkers as usize);
    set_readout(fig, "trace_empirical", trace);
    set_readout(fig, "steps", Some(plan.setting.steps as f64));
    set_readout(fig, "diverged", Some(lost));
}
