//! `kramers` — Liu, Ziyin & Ueda (2021), Fig. 6b and Thm 9: the mean escape rate of SGD from a
//! well of curvature k_a over a barrier of height ΔL and curvature |k_b|, against the scale r of
//! the loss (L → rL). Monte Carlo first-passage times beside the discrete-time rate Eq. (23)
//! (times the paper's one fitted constant, fitted here by least squares and shown) and the
//! continuous-time rate Eq. (24), which grows ∝ r (with the scaled |k_b|), so that its γ/|k_b|
//! does not depend on r; and the exact rate of the SGD chain, from its mean first-passage time
//! solved numerically.
//!
//! The loss (a double well of parabolas joined with a continuous slope, so that l is fixed by
//! k_a and k_b), the noise (variance a·r·|L″(w)|, a = 1/S, as in Thm 9's proof) and the exact
//! first passage are [`crate::theory::first_passage`]; the runs and the censored rate estimate
//! are [`crate::sim::first_passage`]. Every run starts at the minimum (w = 0) and has escaped
//! when it first reaches the neighbouring minimum 2w_b (past the barrier, where it no longer
//! comes back, so the mean first-passage time is the inverse Kramers rate rather than twice it,
//! as for the barrier top); runs not escaped after `steps` steps are censored. Time is measured
//! in units of λ·steps, the time of the Fokker–Planck equation (21) behind Eqs. (23)–(24) (the
//! drift there is −∇L per unit time), and rates are shown over the scaled |k_b| = r|k_b|.

use super::kit::{
    figure, fit_log_constant, job_seed, largest_z, log_chi2_per_point, points_with_se, ConstantFit,
};
use super::{Panel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesId, SeriesKind, Style};
use crate::params::{Noise, Params};
use crate::sim::first_passage::first_passage;
use crate::theory::first_passage::{Chain, Landscape};
use crate::theory::kramers::Kramers;
use crate::theory::stability::midpoints;
use serde::{Deserialize, Serialize};

/// The panel.
pub struct KramersPanel;

static SPEC: Spec = Spec {
    name: "kramers",
    title: "Kramers escape rate against the loss scale",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    reading: include_str!("reading.json"),
    source: "Liu, Ziyin & Ueda (2021), Fig. 6b; Thm 9, Eq. 23; Eq. 24 (Xie et al. 2021)",
    keys: &[
        "lr", "a", "dl", "ka", "kb", "walkers", "steps", "points", "seed",
    ],
    defaults,
    presets: &[
        (
            "Fig. 6b (barrier 4 temperatures)",
            "lr=0.5&a=0.01&dl=0.01&ka=1&kb=1",
        ),
        ("higher barrier", "lr=0.5&a=0.01&dl=0.015&ka=1&kb=1"),
        (
            "sharp barrier, flat well",
            "lr=0.5&a=0.01&dl=0.01&ka=1&kb=3",
        ),
    ],
    live: false,
    heavy: false,
    accepts: &[],
    spectrum: None,
};

fn defaults(p: &mut Params) {
    p.dim = 1;
    p.noise = Noise::Hessian;
    p.lr = 0.5;
    p.a = 0.01;
    p.dl = 0.01;
    p.ka = 1.0;
    p.kb = 1.0;
    p.walkers = 3000;
    p.steps = 20_000;
    p.points = 16;
}

/// What the Monte Carlo jobs and the fits need.
#[derive(Serialize, Deserialize)]
pub struct Plan {
    /// The SGD chain of the setting at scale r = 1.
    chain: Chain,
    /// Runs per point, the step cap of each run, and the figure's seed.
    walkers: u64,
    cap: u64,
    seed: u64,
    /// The loss scales r of the Monte Carlo points.
    scales: Vec<f64>,
    /// The series the jobs and the fits fill in.
    series: Handles,
}

/// The series the jobs and `finish` fill in, and the one the fit scales.
#[derive(Clone, Copy, Serialize, Deserialize)]
struct Handles {
    /// Monte Carlo rates.
    mc: SeriesId,
    /// The exact rate of the chain, one point per job.
    exact: SeriesId,
    /// Eq. 23 times the fitted constant.
    fitted: SeriesId,
    /// Eq. 23 as printed, on the theory grid.
    eq23: SeriesId,
    /// The fraction of runs censored at the step cap (second plot).
    censored: SeriesId,
}

/// The SGD chain of `p` at scale r.
pub fn chain(p: &Params, r: f64) -> Chain {
    Chain {
        land: Landscape::new(p.ka, p.kb, p.dl),
        lr: p.lr,
        a: p.a,
        r,
    }
}

/// `chain` at scale r.
fn at(chain: &Chain, r: f64) -> Chain {
    Chain { r, ..*chain }
}

/// The largest scale with a stationary state in the well: λ r k_a = 2.
pub fn r_max(chain: &Chain) -> f64 {
    2.0 / (chain.lr * chain.land.ka)
}

/// The Kramers problem of the chain (at its scale), with l from the landscape.
fn problem(c: &Chain) -> Kramers {
    Kramers {
        lr: c.lr,
        batch: 1.0 / c.a,
        dl: c.land.dl,
        ka: c.land.ka,
        kb: c.land.kb,
        l: c.land.l,
        r: c.r,
    }
}

/// Eq. (23) divided by |k_b| at the chain's scale r (both scaled), `None` past λ r k_a = 2.
pub fn eq23_over_kb(c: &Chain) -> Option<f64> {
    problem(c)
        .rate()
        .map(|g| g / (c.r * c.land.kb))
        .filter(|g| g.is_finite() && *g > 0.0)
}

/// Eq. (24) divided by the scaled |k_b| = r·k_b: independent of r (Eq. 24 itself is ∝ r).
pub fn eq24_over_kb(c: &Chain) -> Option<f64> {
    Some(problem(c).rate_continuous() / (c.r * c.land.kb)).filter(|g| g.is_finite() && *g > 0.0)
}

/// The exact discrete rate γ/|k_b| = 1/(λ E[T] r|k_b|) of the chain, with its estimated
/// relative discretisation error; `None` where the grid cannot resolve it to 1 %.
pub fn exact_over_kb(c: &Chain) -> Option<(f64, f64)> {
    let (m, err) = c.exact_mfpt()?;
    let rel = err / m;
    (rel < 0.01).then(|| (1.0 / (c.lr * m * c.r * c.land.kb), rel))
}

/// The plots: the rates against r, and the censored fraction against r.
fn plots(top: f64) -> Vec<Plot> {
    let mut plot = Plot::new("loss scale r", "γ / |k_b|");
    plot.y_log = true;
    plot.x_range = Some((0.0, top));
    let mut cens = Plot::new("loss scale r", "runs censored at the step cap");
    cens.x_range = Some((0.0, top));
    cens.y_range = Some((0.0, 1.0));
    vec![plot, cens]
}

/// Every series, in the figure's order: Monte Carlo, the exact rate (pending, one point per
/// job), Eq. 23 × c (filled in by `finish`), Eq. 23 and Eq. 24 on a grid of r, the limit
/// λ r k_a = 2, and the censored fraction.
fn add_series(fig: &mut Figure, chain: &Chain, xs: &[f64]) -> Handles {
    let top = r_max(chain);
    let grid: Vec<f64> = (1..400).map(|i| top * i as f64 / 400.0).collect();
    let mc_name = "Monte Carlo (escapes per unit time)";
    let mc = fig.add(Series::pending(mc_name, xs.to_vec()).colored(4));
    let exact_name = "exact discrete (first passage of the SGD chain)";
    let pending = vec![f64::NAN; xs.len()];
    let exact = Series::new(exact_name, SeriesKind::TheoryDiscrete, xs.to_vec(), pending);
    let exact = fig.add(exact.colored(5));
    let unfitted = vec![f64::NAN; grid.len()];
    let fitted = Series::new(
        "Eq. 23 × c (c fitted)",
        SeriesKind::TheoryOther,
        grid.clone(),
        unfitted,
    );
    let fitted = fig.add(fitted.styled(Style::Line).colored(6));
    let (eq23, eq24) = add_kramers_rates(fig, chain, &grid);
    let limit = Series::new(
        "λ r k_a = 2",
        SeriesKind::TheoryOther,
        vec![top],
        vec![f64::NAN],
    );
    fig.add(limit.styled(Style::Vline).colored(7));
    fig.plots[0].y_range = y_range(fig, [eq23, eq24]);
    let censored = fig.add(
        Series::pending("fraction censored", xs.to_vec())
            .in_plot(1)
            .colored(7),
    );
    Handles {
        mc,
        exact,
        fitted,
        eq23,
        censored,
    }
}

/// Eqs. 23 and 24 over |k_b| on the `grid` of r.
fn add_kramers_rates(fig: &mut Figure, chain: &Chain, grid: &[f64]) -> (SeriesId, SeriesId) {
    let eq23 = fig.add(
        Series::curve(
            "Eq. 23 as printed (c = 1)",
            SeriesKind::TheoryOther,
            grid,
            |r| eq23_over_kb(&at(chain, r)),
        )
        .colored(6),
    );
    let eq24 = fig.add(
        Series::curve(
            "Eq. 24, continuous time",
            SeriesKind::TheoryContinuous,
            grid,
            |r| eq24_over_kb(&at(chain, r)),
        )
        .colored(0),
    );
    (eq23, eq24)
}

/// The y range: it spans Eqs. 23 and 24 (and a fitted constant down to ½), with room above
/// for the legend.
fn y_range(fig: &Figure, curves: [SeriesId; 2]) -> Option<(f64, f64)> {
    let (lo, hi) = curves
        .iter()
        .flat_map(|&id| fig.get(id).y.iter().copied())
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let top = hi * (2.0 * hi / lo).powf(0.45);
    (hi > lo && top.is_finite()).then_some((0.5 * lo, top))
}

/// The readouts of the setting: l, the barrier in temperatures, r_max.
fn setting_readouts(chain: &Chain) -> Vec<Readout> {
    let Chain { land, lr, a, .. } = *chain;
    let barrier = 2.0 * land.dl / (a * lr) * (land.l / land.ka + (1.0 - land.l) / land.kb);
    vec![
        Readout::new(
            "l",
            "fraction l of the barrier climbed at curvature k_a, |k_b|/(k_a + |k_b|)",
            Some(land.l),
        ),
        Readout::new(
            "barrier_temperatures",
            "barrier in units of the temperature as r → 0, (2SΔL/λ)(l/k_a + (1−l)/|k_b|)",
            Some(barrier),
        ),
        Readout::new("r_max", "r at λ r k_a = 2", Some(r_max(chain))),
    ]
}

impl Panel for KramersPanel {
    type Plan = Plan;

    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn work(&self, p: &Params) -> u64 {
        // One point's runs stop at their first passage, at most `steps` steps each.
        (p.points.saturating_mul(p.walkers)).saturating_mul(p.steps)
    }

    fn plan(&self, p: &Params) -> (Plan, Figure) {
        let chain = chain(p, 1.0);
        let top = r_max(&chain);
        let mut fig = figure(p, plots(top));
        let scales = midpoints(top, p.points);
        let series = add_series(&mut fig, &chain, &scales);
        fig.readouts = setting_readouts(&chain);
        fig.jobs = p.points as usize;
        let plan = Plan {
            chain,
            walkers: p.walkers,
            cap: p.steps,
            seed: p.seed,
            scales,
            series,
        };
        (plan, fig)
    }

    fn job(&self, plan: &Plan, i: usize) -> Vec<Patch> {
        let Some(&r) = plan.scales.get(i) else {
            return Vec::new();
        };
        let chain = at(&plan.chain, r);
        let e = first_passage(&chain, plan.walkers, plan.cap, job_seed(plan.seed, i));
        // Per unit time λ·steps, over the scaled |k_b| = r k_b.
        let unit = chain.lr * r * chain.land.kb;
        let (y, se) = match e.rate_per_step() {
            Some((g, s)) => (Some(g / unit), Some(s / unit)),
            None => (None, None),
        };
        let f = e.censored();
        let n = e.runs.max(1) as f64;
        let exact = exact_over_kb(&chain);
        let s = plan.series;
        vec![
            Patch::point(s.mc, i, y, se),
            Patch::point(s.exact, i, exact.map(|e| e.0), exact.map(|e| e.1)),
            Patch::point(s.censored, i, Some(f), Some((f * (1.0 - f) / n).sqrt())),
        ]
    }

    fn finish(&self, plan: &Plan, fig: &mut Figure) {
        let s = plan.series;
        let chain = &plan.chain;
        let eq23 = |r| eq23_over_kb(&at(chain, r));
        let eq24 = |r| eq24_over_kb(&at(chain, r));
        let pts = points_with_se(fig.get(s.mc));
        let fit = fit_log_constant(&pts, eq23);
        let c = fit.map(|f| f.c);
        let scaled = fig.get(s.eq23).y.iter();
        let scaled = scaled.map(|g| c.map_or(f64::NAN, |c| c * g)).collect();
        fig.get_mut(s.fitted).y = scaled;
        let fit24 = fit_log_constant(&pts, eq24);
        let mut readouts = fit_readouts(fit, fit24, log_chi2_per_point(&pts, eq24));
        // Monte Carlo against the exact chain, in standard errors.
        let exact = fig.get(s.exact);
        let z_exact = largest_z(fig.get(s.mc), |r| {
            let j = exact.x.iter().position(|&x| x == r)?;
            Some(exact.y[j]).filter(|e| e.is_finite())
        });
        let censored = fig.get(s.censored).finite_points().map(|(_, f)| f);
        let censored = censored.fold(None, |m: Option<f64>, f| Some(m.map_or(f, |m| m.max(f))));
        readouts.extend(sweep_readouts(z_exact, log_rise(&pts, eq23), censored));
        fig.readouts
            .retain(|r| !readouts.iter().any(|new| new.key == r.key));
        fig.readouts.extend(readouts);
    }
}

/// The readouts of the fits: c × Eq. 23 (`fit`), Eq. 24 with its own constant (`fit24`) and as
/// printed (its χ² per point `chi2_24`).
fn fit_readouts(
    fit: Option<ConstantFit>,
    fit24: Option<ConstantFit>,
    chi2_24: Option<f64>,
) -> Vec<Readout> {
    vec![
        Readout::new(
            "c_fit",
            "fitted constant c of Eq. 23 (least squares in log γ)",
            fit.map(|f| f.c),
        )
        .with_se(fit.map(|f| f.se)),
        Readout::new(
            "chi2_eq23_fit",
            "χ² per degree of freedom of c × Eq. 23",
            fit.and_then(|f| f.chi2_per_dof),
        ),
        Readout::new(
            "chi2_eq24_fit",
            "χ² per degree of freedom of Eq. 24 with its own best constant",
            fit24.and_then(|f| f.chi2_per_dof),
        ),
        Readout::new("chi2_eq24", "χ² per point of Eq. 24 as printed", chi2_24),
    ]
}

/// The readouts of the sweep: the largest deviation from the exact chain, the rise of the
/// rate across the sweep, the largest censored fraction.
fn sweep_readouts(z_exact: Option<f64>, rise: Option<Rise>, censored: Option<f64>) -> Vec<Readout> {
    vec![
        Readout::new(
            "z_exact_max",
            "largest |Monte Carlo − exact| in standard errors",
            z_exact,
        ),
        Readout::new(
            "log_rise_mc",
            "ln(γ at the largest r / γ at the smallest r), Monte Carlo (Eq. 24: 0)",
            rise.map(|r| r.mc),
        )
        .with_se(rise.map(|r| r.se)),
        Readout::new(
            "log_rise_eq23",
            "the same ratio from Eq. 23",
            rise.and_then(|r| r.eq23),
        ),
        Readout::new(
            "censored_max",
            "largest fraction of runs censored at the step cap",
            censored,
        ),
    ]
}

/// The rise of the rate from the first to the last finished point, in log.
#[derive(Clone, Copy)]
struct Rise {
    /// ln(γ_last/γ_first) of the Monte Carlo points,
    mc: f64,
    /// with its standard error,
    se: f64,
    /// and the same from Eq. 23 (Eq. 24 rises by 0).
    eq23: Option<f64>,
}

/// The [`Rise`] over `pts` (r, γ, se); `None` with fewer than two points.
fn log_rise(pts: &[(f64, f64, f64)], eq23: impl Fn(f64) -> Option<f64>) -> Option<Rise> {
    match (pts.first(), pts.last()) {
        (Some(a), Some(b)) if pts.len() > 1 => Some(Rise {
            mc: (b.1 / a.1).ln(),
            se: ((a.2 / a.1).powi(2) + (b.2 / b.1).powi(2)).sqrt(),
            eq23: eq23(b.0).zip(eq23(a.0)).map(|(y, x)| (y / x).ln()),
        }),
        _ => None,
    }
}
