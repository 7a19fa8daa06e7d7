//! `limit-cycles` — Chaudhari & Soatto (2018): with gradient noise that is not isotropic, SGD's
//! stationary distribution ρ ∝ e^{−Φ} defines a potential Φ (their Eq. 5) that is not the loss
//! f, and a probability current circulates (their Lemma 6, Lemma 7, Sec. 5.1) — here on the 2-D
//! linear model f(w) = ½wᵀKw with constant noise covariance C, where all of it is exact
//! ([`crate::theory::current`], [`crate::theory::power_spectra`]; the Monte Carlo is
//! [`crate::sim::power_spectra`]).
//!
//! Four plots:
//! 0. (`contours.rs`) contours of f, of Φ of the exact discrete-time stationary state
//!    (Φ = ½wᵀΣ⁻¹w) and of Φ_c of the continuous-time one, each at the levels that enclose the
//!    same areas as the 1, 2, 3σ ellipses of Σ (so only their shapes differ), and the
//!    stationary probability current J(w) = ρ(w) Ω Σ⁻¹ w, Ω = (X − Xᵀ)/2 with
//!    X = E[w_{t+1} w_tᵀ], as arrows;
//! 1. the circulation E[w_t × w_{t+1}] = X₂₁ − X₁₂ against the angle θ between the eigenbases
//!    of C and K: exact discrete (X = AΣ, A = I − λK), continuous (X = e^{−λK}Σ_c, one step's
//!    lag), and Monte Carlo (`walkers` runs of `steps` steps each started from the exact
//!    stationary N(0, Σ), so every step is stationary; mean over steps, then over walkers);
//! 2. (`spectra.rs`, with plot 3) the power spectrum of one trajectory (z_t = w₁ + i w₂,
//!    `walkers` × `steps` steps from the stationary state, at least 32 segments; Bartlett's average over segments of L steps, L
//!    a power of two of at least 50 correlation times of the slowest mode, at most 8192):
//!    ½[S_z(f) + S_z(−f)] = S₁₁ + S₂₂, and beside it S₁₁, the spectrum of the first weight
//!    alone (what an FFT of one weight shows). The trace has no interior peak in a linear model
//!    (with A = I − λK symmetric it is Σᵢ qᵢ/(1 + aᵢ² − 2aᵢ cos 2πf) over K's eigen-modes, each
//!    convex in cos 2πf, so its largest value is at f = 0 or ½); S₁₁ can peak in between when
//!    the noise does not commute with K, through the cross-spectrum of the two modes;
//! 3. its rotational part S_z(f) − S_z(−f) = 4 Im S₁₂(f): the power at frequency f turning
//!    counter-clockwise minus clockwise, which is zero unless the current circulates, and whose
//!    sin-weighted integral is the circulation, E[w_t × w_{t+1}] = ∫₀^½ [S_z(f) − S_z(−f)]
//!    sin(2πf) df.
//!
//! The exact spectra are those of the linear state-space map w_{t+1} = A w_t − λη_t:
//! S(ω) = G(ω) λ²C G(ω)ᴴ, G(ω) = (I − A e^{−iω})⁻¹; the continuous-time process sampled once per
//! step is the same map with A_c = e^{−λK} and innovation covariance Σ_c − A_c Σ_c A_cᵀ. The
//! Monte Carlo averages are compared with the exact expectation of a length-L periodogram,
//! E I_L(ω) = Σ_{|τ|<L} (1 − |τ|/L) R_z(τ) e^{−iωτ}, R(τ) = A^τ Σ.

use super::kit::{figure, job_seed, largest_z_at};
use super::{Panel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesId, SeriesKind, Style};
use crate::linalg::{linspace, rotated_diag};
use crate::model::Model;
use crate::optimizer::Optimizer;
use crate::params::{Noise, Params};
use crate::sim::power_spectra::{circulation, segment_length};
use crate::theory::power_spectra::{interior_peak, LinearProcess, Spectra};
use crate::theory::{self, current};
use contours::{axes_angle, Missing};
use nalgebra::{DMatrix, Matrix2};
use serde::{Deserialize, Serialize};

mod contours;
mod spectra;

/// The panel.
pub struct LimitCycles;

static SPEC: Spec = Spec {
    name: "limit-cycles",
    title: "Potential, probability current and circulation with non-commuting noise",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    reading: include_str!("reading.json"),
    source: "Chaudhari & Soatto (2018), Eq. 5, Lemmas 6–7, Sec. 4.2 and 5.1; Liu et al. (2021), \
             Lemma 1, Cor. 3",
    keys: &[
        "lr", "h1", "h2", "h_angle", "c1", "c2", "c_angle", "walkers", "steps", "points", "seed",
    ],
    defaults,
    presets: &[
        (
            "non-commuting noise (θ = 30°)",
            "c1=1&c2=0.2&c_angle=30&h_angle=0",
        ),
        ("commuting noise (θ = 0)", "c1=1&c2=0.2&c_angle=0&h_angle=0"),
        ("isotropic noise", "c1=1&c2=1&c_angle=30&h_angle=0"),
        (
            "rank-one noise, θ = 45°",
            "c1=1&c2=0&c_angle=45&h_angle=0&lr=0.5",
        ),
        (
            "one weight's spectrum S₁₁ peaks",
            "h1=0.9&h2=0.1&h_angle=5.71&c1=1&c2=0&c_angle=50.71&lr=1",
        ),
    ],
    live: false,
    heavy: false,
    accepts: &[],
    spectrum: None,
};

fn defaults(p: &mut Params) {
    p.dim = 2;
    p.noise = Noise::General;
    p.lr = 0.5;
    p.mu = 0.0;
    p.h1 = 1.0;
    p.h2 = 0.1;
    p.h_angle = 0.0;
    p.c1 = 1.0;
    p.c2 = 0.2;
    p.c_angle = 30.0;
    p.walkers = 10_000;
    p.steps = 1000;
    p.points = 13;
}

/// The angle θ ∈ [−90°, 90°) between the eigenbases of C and K in `p`.
pub fn angle(p: &Params) -> f64 {
    (p.c_angle - p.h_angle + 90.0).rem_euclid(180.0) - 90.0
}

/// The model of `p` with the noise's eigenbasis turned by `theta` degrees from K's.
pub fn model_at(p: &Params, theta: f64) -> Model {
    let k = rotated_diag(p.h1, p.h2, p.h_angle);
    let c = rotated_diag(p.c1, p.c2, p.h_angle + theta);
    Model::new(
        DMatrix::from_column_slice(2, 2, k.as_slice()),
        DMatrix::from_column_slice(2, 2, c.as_slice()),
    )
}

/// A stationary covariance with its current.
pub type State = (Matrix2<f64>, current::Current);

fn sgd(p: &Params) -> Optimizer {
    Optimizer::sgd(p.lr, 0.0, 2)
}

fn m2(m: &DMatrix<f64>) -> Matrix2<f64> {
    Matrix2::new(m[(0, 0)], m[(0, 1)], m[(1, 0)], m[(1, 1)])
}

/// The exact discrete-time stationary covariance Σ and the current at angle θ.
pub fn discrete_at(p: &Params, theta: f64) -> Option<State> {
    let model = model_at(p, theta);
    let st = theory::stationary(&model, &sgd(p)).ok()?;
    let cur = current::discrete(&model, &st)?;
    Some((m2(&st.sigma), cur))
}

/// The continuous-time stationary covariance Σ_c and its current (at one step's lag).
pub fn continuous_at(p: &Params, theta: f64) -> Option<State> {
    let model = model_at(p, theta);
    let sc = theory::continuous(&model, &sgd(p))?;
    let cur = current::continuous(&model, &sgd(p), &sc)?;
    Some((m2(&sc), cur))
}

/// The angles of the Monte Carlo points: `points` from −90° to 90° inclusive.
pub fn angles(p: &Params) -> Vec<f64> {
    linspace(-90.0, 90.0, p.points as usize)
}

/// The segment length L of the spectra ([`segment_length`] for the slowest mode, λ min(h₁, h₂)).
pub fn segment(p: &Params) -> usize {
    segment_length(p.lr, p.h1.min(p.h2))
}

/// What the Monte Carlo jobs and `finish` need.
#[derive(Serialize, Deserialize)]
pub struct Plan {
    /// Runs per angle and steps per run (the spectra: `walkers` × `steps` steps in all), the
    /// figure's seed.
    walkers: u64,
    steps: u64,
    seed: u64,
    /// The circulation's sweep over θ: job i runs `sweep[i]`.
    sweep: Vec<Angle>,
    /// The circulation's Monte Carlo series.
    circulation: SeriesId,
    /// The spectra at the setting's θ, the last job (none without a stationary state).
    spectra: Option<spectra::Job>,
}

/// One angle of the circulation's sweep.
#[derive(Serialize, Deserialize)]
struct Angle {
    /// SGD there (none without a stationary state).
    process: Option<LinearProcess>,
    /// Its exact circulation (none without a potential).
    circulation: Option<f64>,
}

/// The four plots (see the module documentation); the spectra's run from 1/L to ½.
fn plots(len: usize) -> Vec<Plot> {
    let mut contour_plot = Plot::new("w₁", "w₂");
    contour_plot.equal = true;
    contour_plot.title = "contours of f and Φ; probability current".into();
    let mut circ_plot = Plot::new(
        "angle θ between the eigenbases of C and K (°)",
        "E[w_t × w_{t+1}]",
    );
    circ_plot.x_range = Some((-90.0, 90.0));
    circ_plot.title = "circulation (dashed line: θ of the other plots)".into();
    let f_lo = 1.0 / len as f64;
    let mut power_plot = Plot::new("frequency f (1/step)", "S₁₁ + S₂₂ and S₁₁");
    power_plot.x_log = true;
    power_plot.y_log = true;
    power_plot.x_range = Some((f_lo, 0.5));
    power_plot.title = "power spectrum: trace (no interior peak) and one weight".into();
    let mut rot_plot = Plot::new("frequency f (1/step)", "S_z(f) − S_z(−f)");
    rot_plot.x_log = true;
    rot_plot.x_range = Some((f_lo, 0.5));
    rot_plot.title = "its rotational part (z = w₁ + i w₂)".into();
    vec![contour_plot, circ_plot, power_plot, rot_plot]
}

/// Plot 1: the circulation against θ, Monte Carlo (pending) and exact, and the setting's θ.
fn add_circulation(fig: &mut Figure, p: &Params, theta: f64) -> SeriesId {
    let grid = linspace(-90.0, 90.0, 181);
    let in_plot = |s: Series| s.in_plot(1);
    let mc = fig.add(in_plot(
        Series::pending("Monte Carlo", angles(p)).colored(2),
    ));
    let curves = [
        fig.add(in_plot(Series::curve(
            "exact discrete",
            SeriesKind::TheoryDiscrete,
            &grid,
            |t| discrete_at(p, t).map(|(_, c)| c.circulation),
        ))),
        fig.add(in_plot(Series::curve(
            "continuous time",
            SeriesKind::TheoryContinuous,
            &grid,
            |t| continuous_at(p, t).map(|(_, c)| c.circulation),
        ))),
    ];
    let theta_line = Series::new(
        "θ of the other plots",
        SeriesKind::TheoryOther,
        vec![theta],
        vec![f64::NAN],
    );
    fig.add(in_plot(
        theta_line.styled(Style::Vline).colored(7).unlabelled(),
    ));
    // Room above the curves for the legend.
    let top = curves
        .iter()
        .flat_map(|&id| fig.get(id).y.iter())
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    if top > 0.0 {
        fig.plots[1].y_range = Some((-1.15 * top, 2.0 * top));
    }
    mc
}

/// The readouts that do not depend on the Monte Carlo: at θ, the circulations, the angles of
/// Φ's axes against f's (K = `k`), and the peaks of the spectra.
fn theory_readouts(
    theta: f64,
    disc: Option<&State>,
    cont: Option<&State>,
    k: &Matrix2<f64>,
    process: Option<&LinearProcess>,
    rotation_peak: Option<f64>,
) -> Vec<Readout> {
    let phi_angle = |state: Option<&State>| {
        state
            .and_then(|(s, _)| s.try_inverse())
            .and_then(|inv| axes_angle(&inv, k))
    };
    let peak = |part: fn(&Spectra) -> f64| {
        process.and_then(|l| interior_peak(|f| l.spectrum(f).map(|s| part(&s))))
    };
    let s11_peak = peak(|s| s.first);
    vec![
        Readout::new(
            "theta",
            "angle θ between the eigenbases of C and K (°)",
            Some(theta),
        ),
        Readout::new(
            "circulation",
            "circulation E[w_t × w_{t+1}] at θ, exact discrete",
            disc.map(|(_, c)| c.circulation),
        ),
        Readout::new(
            "circulation_continuous",
            "circulation at θ, continuous time (one step's lag)",
            cont.map(|(_, c)| c.circulation),
        ),
        Readout::new(
            "phi_axes_angle",
            "angle between the principal axes of Φ and of f (°), exact discrete",
            phi_angle(disc),
        ),
        Readout::new(
            "phi_c_axes_angle",
            "the same for the continuous-time Φ (°)",
            phi_angle(cont),
        ),
        Readout::new(
            "rotation_peak_f",
            "frequency where the rotational spectrum peaks (1/step)",
            rotation_peak,
        ),
        Readout::new(
            "s11_peak_f",
            "frequency of an interior peak of S₁₁, one weight's spectrum (1/step; none if \
             its largest value is at f = 0 or ½)",
            s11_peak.map(|p| p.0),
        ),
        Readout::new(
            "s11_peak_over_zero",
            "S₁₁ at that peak over S₁₁(0)",
            s11_peak.map(|p| p.1),
        ),
        Readout::new(
            "trace_peak_f",
            "frequency of an interior peak of S₁₁ + S₂₂ (none in a linear model)",
            peak(|s| s.trace).map(|p| p.0),
        ),
    ]
}

/// The circulation's sweep: SGD's process and its exact circulation at each angle.
fn sweep(p: &Params) -> Vec<Angle> {
    angles(p)
        .into_iter()
        .map(|theta| Angle {
            process: LinearProcess::sgd(&model_at(p, theta), p.lr),
            circulation: discrete_at(p, theta).map(|(_, c)| c.circulation),
        })
        .collect()
}

impl Panel for LimitCycles {
    type Plan = Plan;

    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> (Plan, Figure) {
        let theta = angle(p);
        let model = model_at(p, theta);
        let (disc, cont) = (discrete_at(p, theta), continuous_at(p, theta));
        let process = LinearProcess::sgd(&model, p.lr);
        let len = segment(p);
        let mut fig = figure(p, plots(len));
        let missing = if process.is_some() {
            Missing::Singular
        } else {
            Missing::Unstable
        };
        let k = m2(&model.k);
        contours::add(&mut fig, disc.as_ref(), cont.as_ref(), &k, missing);
        let circulation = add_circulation(&mut fig, p, theta);
        let continuous = LinearProcess::continuous(&model, p.lr);
        let (series, rotation_curve) =
            spectra::add(&mut fig, process.as_ref(), continuous.as_ref(), len);
        let peak = spectra::rotation_peak(fig.get(rotation_curve), disc.as_ref());
        let (disc, cont) = (disc.as_ref(), cont.as_ref());
        fig.readouts = theory_readouts(theta, disc, cont, &k, process.as_ref(), peak);
        fig.jobs = p.points as usize + 1;
        let spectra = process.map(|process| {
            let segments = spectra::segments(p.walkers * p.steps.max(1), len);
            spectra::Job::new(process, len, segments, series)
        });
        let plan = Plan {
            walkers: p.walkers,
            steps: p.steps,
            seed: p.seed,
            sweep: sweep(p),
            circulation,
            spectra,
        };
        (plan, fig)
    }

    fn job(&self, plan: &Plan, i: usize) -> Vec<Patch> {
        if let Some(point) = plan.sweep.get(i) {
            let seed = job_seed(plan.seed, i);
            let (y, se) = point
                .process
                .and_then(|l| circulation(&l, plan.walkers, plan.steps, seed))
                .map_or((None, None), |(m, s)| (Some(m), Some(s)));
            return vec![Patch::point(plan.circulation, i, y, se)];
        }
        match &plan.spectra {
            Some(job) if i == plan.sweep.len() => job.run(job_seed(plan.seed, i)),
            _ => Vec::new(),
        }
    }

    fn finish(&self, plan: &Plan, fig: &mut Figure) {
        // Monte Carlo against the exact theory, in standard errors.
        let circulation = fig.get(plan.circulation);
        let z_circ = largest_z_at(circulation, |j| plan.sweep.get(j)?.circulation);
        let z_spec = plan.spectra.as_ref().and_then(|job| job.largest_z(fig));
        fig.readouts
            .retain(|r| r.key != "z_circulation_max" && r.key != "z_spectrum_max");
        fig.readouts.push(Readout::new(
            "z_circulation_max",
            "largest |Monte Carlo − exact| circulation, in standard errors",
            z_circ,
        ));
        fig.readouts.push(Readout::new(
            "z_spectrum_max",
            "largest |Monte Carlo − exact| spectral bin (segments of L steps), in standard errors",
            z_spec,
        ));
    }
}
