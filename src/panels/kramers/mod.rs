//! `kramers` — Liu, Ziyin & Ueda (2021), Fig. 6b and Thm 9: the mean escape rate of SGD from a
//! well of curvature k_a over a barrier of height ΔL and curvature |k_b|, against the scale r of
//! the loss (L → rL). Monte Carlo first-passage times beside the discrete-time rate Eq. (23)
//! (times the paper's one fitted constant, fitted here by least squares and shown) and the
//! continuous-time rate Eq. (24), which grows ∝ r (with the scaled |k_b|), so that its γ/|k_b|
//! does not depend on r.
//!
//! **The loss.** A symmetric double well made of parabolas joined with a continuous slope:
//! ```text
//! L(w) = ½ k_a w²                     for w ≤ w_l,
//!        ΔL − ½ |k_b| (w − w_b)²      for w_l ≤ w ≤ 2w_b − w_l,
//!        ½ k_a (w − 2w_b)²            for w ≥ 2w_b − w_l,
//! ```
//! with w_l = √(2lΔL/k_a), w_b = w_l + √(2(1−l)ΔL/|k_b|) and l = |k_b|/(k_a + |k_b|), the one
//! value for which L′ is continuous at w_l. So the curvature is k_a on the path a → l and −|k_b|
//! on l → b exactly, as Thm 9 assumes, and l (the fraction of ΔL climbed at curvature k_a) is
//! fixed by k_a and k_b.
//!
//! **The noise.** The paper's minibatch-like noise (Sec. 4.3; Thm 9's proof: "C = k_a/S",
//! with temperature λ|k_b|/(2S) at the barrier): Gaussian gradient noise of variance
//! C(w) = a·r·|L″(w)|, a = 1/S, evaluated at the current weight, as SGD does. One step is
//! w ← w − λ(r L′(w) + √(a r |L″(w)|) ξ), ξ ~ N(0, 1).
//!
//! **The rate.** Every run starts at the minimum a (w = 0) and has escaped when it first
//! reaches the neighbouring minimum 2w_b (past the barrier, where it no longer comes back, so
//! the mean first-passage time is the inverse Kramers rate rather than twice it, as for the
//! barrier top). Runs that have not escaped after `steps` steps are censored. The estimate is
//! γ̂ = (escapes)/(λ · steps at risk), steps at risk = Σ min(T_i, steps): the maximum-likelihood
//! rate of an exponential first-passage law (which Kramers escape follows, up to the short
//! relaxation in the well) under censoring, and exactly 1/(λ·mean T) when no run is censored.
//! Its standard error is the delta-method error of the ratio of two means. Time is measured in
//! units of λ·steps, the time of the Fokker–Planck equation (21) behind Eqs. (23)–(24) (the
//! drift there is −∇L per unit time).

use super::kit::{figure, job_seed};
use super::{LegacyPanel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesKind, Style};
use crate::linalg::erf;
use crate::params::{Noise, Params};
use crate::rng::math::LANES;
use crate::rng::LaneRng;
use crate::theory::kramers::Kramers;
use nalgebra::DMatrix;

/// The panel.
pub struct KramersPanel;

static SPEC: Spec = Spec {
    name: "kramers",
    title: "Kramers escape rate against the loss scale",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
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

/// The double well of the module documentation (unscaled: r = 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Landscape {
    /// Curvature of the well.
    pub ka: f64,
    /// Curvature |k_b| of the barrier top.
    pub kb: f64,
    /// Barrier height ΔL.
    pub dl: f64,
    /// Fraction of ΔL climbed at curvature k_a: |k_b|/(k_a + |k_b|).
    pub l: f64,
    /// Where the curvature changes sign, w_l.
    pub wl: f64,
    /// The barrier top, w_b.
    pub wb: f64,
}

impl Landscape {
    /// The landscape with these curvatures and barrier height (all positive).
    pub fn new(ka: f64, kb: f64, dl: f64) -> Landscape {
        let kb = kb.abs();
        let l = kb / (ka + kb);
        let wl = (2.0 * l * dl / ka).sqrt();
        let wb = wl + (2.0 * (1.0 - l) * dl / kb).sqrt();
        Landscape {
            ka,
            kb,
            dl,
            l,
            wl,
            wb,
        }
    }

    /// L(w).
    pub fn loss(&self, w: f64) -> f64 {
        let u = self.fold(w);
        if u <= self.wl {
            0.5 * self.ka * u * u
        } else {
            self.dl - 0.5 * self.kb * (u - self.wb) * (u - self.wb)
        }
    }

    /// The mirror image of w about the barrier top for w past it.
    fn fold(&self, w: f64) -> f64 {
        if w > self.wb {
            2.0 * self.wb - w
        } else {
            w
        }
    }

    /// (L′(w), |L″(w)|).
    #[inline(always)]
    pub fn slope_and_curvature(&self, w: f64) -> (f64, f64) {
        if w <= self.wl {
            (self.ka * w, self.ka)
        } else if w <= 2.0 * self.wb - self.wl {
            (-self.kb * (w - self.wb), self.kb)
        } else {
            (self.ka * (w - 2.0 * self.wb), self.ka)
        }
    }

    /// The neighbouring minimum, 2w_b: reaching it is an escape.
    pub fn exit(&self) -> f64 {
        2.0 * self.wb
    }
}

/// First-passage statistics of `walkers` runs, each capped at `cap` steps.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Escapes {
    /// Runs.
    pub runs: u64,
    /// Runs that escaped within the cap.
    pub escaped: u64,
    /// Σ min(T_i, cap): steps at risk.
    pub steps_at_risk: f64,
    /// Σ min(T_i, cap)².
    pub steps_sq: f64,
    /// Σ over escaped runs of T_i.
    pub escaped_steps: f64,
}

impl Escapes {
    fn record(&mut self, steps: u64, escaped: bool) {
        let t = steps as f64;
        self.runs += 1;
        self.steps_at_risk += t;
        self.steps_sq += t * t;
        if escaped {
            self.escaped += 1;
            self.escaped_steps += t;
        }
    }

    /// Escapes per step at risk, and its standard error: the ratio ē/x̄ of the mean number of
    /// escapes (e_i ∈ {0, 1}) to the mean steps at risk, with the delta-method variance
    /// (s_e² − 2R s_ex + R² s_x²)/(n x̄²). `None` without escapes.
    pub fn rate_per_step(&self) -> Option<(f64, f64)> {
        if self.escaped == 0 || self.runs < 2 {
            return None;
        }
        let n = self.runs as f64;
        let (e, x) = (self.escaped as f64 / n, self.steps_at_risk / n);
        let r = e / x;
        let see = (self.escaped as f64 - n * e * e) / (n - 1.0);
        let sex = (self.escaped_steps - n * e * x) / (n - 1.0);
        let sxx = (self.steps_sq - n * x * x) / (n - 1.0);
        let var = (see - 2.0 * r * sex + r * r * sxx).max(0.0) / (n * x * x);
        Some((r, var.sqrt()))
    }

    /// Fraction of runs censored by the cap.
    pub fn censored(&self) -> f64 {
        if self.runs == 0 {
            0.0
        } else {
            1.0 - self.escaped as f64 / self.runs as f64
        }
    }
}

/// Runs `walkers` SGD runs on `land` scaled by r, from w = 0, each until it reaches the
/// neighbouring minimum or `cap` steps: w ← w − λ(r L′(w) + √(a r |L″(w)|) ξ). Sixteen runs go
/// in lock-step on the lanes of one [`LaneRng`] seeded with `seed`; a lane whose run ends starts
/// the next, so the result depends on the seed alone.
pub fn first_passage(
    land: &Landscape,
    lr: f64,
    a: f64,
    r: f64,
    walkers: u64,
    cap: u64,
    seed: u64,
) -> Escapes {
    let mut out = Escapes::default();
    if walkers == 0 {
        return out;
    }
    let mut rng = LaneRng::new(seed);
    let exit = land.exit();
    let drift = lr * r;
    let noise = lr * (a * r).max(0.0).sqrt();
    let (sa, sb) = (noise * land.ka.sqrt(), noise * land.kb.sqrt());
    let mut w = [0.0f64; LANES];
    let mut t = [0u64; LANES];
    let mut live = [false; LANES];
    let mut started = 0u64;
    for slot in live.iter_mut() {
        if started < walkers {
            *slot = true;
            started += 1;
        }
    }
    if cap == 0 {
        for _ in 0..walkers {
            out.record(0, false);
        }
        return out;
    }
    let (wl, wr) = (land.wl, exit - land.wl);
    let (ka, kb, wb) = (land.ka, land.kb, land.wb);
    while live.iter().any(|&l| l) {
        let (z0, z1) = rng.normals();
        for z in [z0, z1] {
            for i in 0..LANES {
                if !live[i] {
                    continue;
                }
                let x = w[i];
                let (g, s) = if x <= wl {
                    (ka * x, sa)
                } else if x <= wr {
                    (-kb * (x - wb), sb)
                } else {
                    (ka * (x - exit), sa)
                };
                let y = x - drift * g - s * z[i];
                t[i] += 1;
                let escaped = y >= exit;
                if escaped || t[i] >= cap {
                    out.record(t[i], escaped);
                    w[i] = 0.0;
                    t[i] = 0;
                    if started < walkers {
                        started += 1;
                    } else {
                        live[i] = false;
                    }
                } else {
                    w[i] = y;
                }
            }
        }
    }
    out
}

/// Φ(z), the standard normal distribution function, from [`erf`].
fn normal_cdf(z: f64) -> f64 {
    if z < -9.0 {
        0.0
    } else if z > 9.0 {
        1.0
    } else {
        0.5 * (1.0 + erf(z * std::f64::consts::FRAC_1_SQRT_2))
    }
}

/// The mean first-passage time E[T] (in steps) of the SGD chain of [`first_passage`] from w = 0,
/// on the cells between `edges` (increasing; the last edge is the exit 2w_b) started from cell
/// `start`, whose centre must be w = 0. `None` if the solve fails.
///
/// The chain's mean exit time m(w) solves m(w) = 1 + ∫ K(w, w′) m(w′) dw′ over w′ < 2w_b, with
/// the Gaussian kernel K(w, ·) = N(w − λrL′(w), λ²ar|L″(w)|) of one step. With m constant on
/// each cell, m_i its value at the cell's centre, and the kernel's exact cell probabilities
/// Q_ij = Φ((e_{j+1} − μ_i)/s_i) − Φ((e_j − μ_i)/s_i) (the lowest cell also takes everything
/// below it), this is (I − Q) m = 1: the midpoint rule, with an O(h²) error as long as m is
/// smooth inside every cell — which is why the cells have edges at w_l and 2w_b − w_l, where the
/// drift has a kink (and the noise a jump when k_a ≠ |k_b|) and so m too.
pub fn mfpt_on_cells(
    land: &Landscape,
    lr: f64,
    a: f64,
    r: f64,
    edges: &[f64],
    start: usize,
) -> Option<f64> {
    let cells = edges.len().checked_sub(1).filter(|&n| n > start)?;
    let mut q = DMatrix::<f64>::zeros(cells, cells);
    for i in 0..cells {
        let w = 0.5 * (edges[i] + edges[i + 1]);
        let (g, k) = land.slope_and_curvature(w);
        let mu = w - lr * r * g;
        let s = lr * (a * r * k).sqrt();
        let cdf = |e: f64| normal_cdf((e - mu) / s);
        // Only the cells within 9 s of μ carry probability.
        let first = edges
            .partition_point(|&e| e < mu - 9.0 * s)
            .saturating_sub(1)
            .min(cells - 1);
        let last = edges
            .partition_point(|&e| e <= mu + 9.0 * s)
            .clamp(first + 1, cells);
        let mut prev = if first == 0 { 0.0 } else { cdf(edges[first]) };
        for j in first..last {
            let f = cdf(edges[j + 1]);
            q[(i, j)] = f - prev;
            prev = f;
        }
    }
    let m = DMatrix::<f64>::identity(cells, cells) - q;
    let ones = nalgebra::DVector::<f64>::from_element(cells, 1.0);
    let t = m.lu().solve(&ones)?;
    let v = t[start];
    (v.is_finite() && v >= 1.0).then_some(v)
}

/// Cells of width about `h` for [`mfpt_on_cells`]: a cell centred on w = 0 (of width
/// min(h, w_l)), edges at w_l, 2w_b − w_l and the exit 2w_b, and cells down to `lo`; with the
/// index of the cell at w = 0. At most about (2w_b − lo)/h + 4 cells.
pub fn cells(land: &Landscape, h: f64, lo: f64) -> (Vec<f64>, usize) {
    let exit = land.exit();
    // The cell at w = 0 is narrower when w_l is close to the minimum.
    let c = 0.5 * h.min(land.wl);
    let below = ((-c - lo) / h).ceil().max(1.0) as usize;
    let mut edges: Vec<f64> = (0..=below).map(|j| -c - (below - j) as f64 * h).collect();
    edges.push(c);
    for (a, b) in [
        (c, land.wl),
        (land.wl, exit - land.wl),
        (exit - land.wl, exit),
    ] {
        let n = ((b - a) / h).round().max(1.0) as usize;
        edges.extend((1..=n).map(|j| {
            if j == n {
                b
            } else {
                a + (b - a) * j as f64 / n as f64
            }
        }));
    }
    (edges, below)
}

/// Every cell split in three: the cell at w = 0 keeps w = 0 at its middle third's centre.
pub fn refine(edges: &[f64], start: usize) -> (Vec<f64>, usize) {
    let mut out = vec![edges[0]];
    for w in edges.windows(2) {
        let d = (w[1] - w[0]) / 3.0;
        out.extend([w[0] + d, w[0] + 2.0 * d, w[1]]);
    }
    (out, 3 * start + 1)
}

/// The coarse cells of [`exact_mfpt`]: width a third of the smallest noise step s = λ√(ark)
/// (capped so that the fine cells number at most 900), down to 8 stationary standard
/// deviations √(λa/(2 − λrk_a)) below the minimum. `None` where the chain has no stationary
/// well (λrk_a ≥ 2) or no noise.
pub fn coarse_cells(land: &Landscape, lr: f64, a: f64, r: f64) -> Option<(Vec<f64>, usize)> {
    let x = lr * r * land.ka;
    if !(x > 0.0 && x < 2.0 && a > 0.0 && land.wb.is_finite() && land.wb > 0.0) {
        return None;
    }
    let lo = -8.0 * (lr * a / (2.0 - x)).sqrt();
    let s = lr * (a * r * land.ka.min(land.kb)).sqrt();
    let h = (s / 3.0).max((land.exit() - lo) / 300.0);
    Some(cells(land, h, lo))
}

/// The exact mean first-passage time (steps) of the SGD chain from the minimum to the
/// neighbouring minimum, and an estimate of its discretisation error: [`mfpt_on_cells`] on
/// the cells of [`coarse_cells`] and on those cells split in three, combined by Richardson
/// extrapolation of the O(h²) error, (9 m_{h/3} − m_h)/8. The error estimate returned is the
/// size of that correction, i.e. the error of the finer grid alone: a conservative bound (one
/// more refinement moves the extrapolated value by far less; see the tests).
pub fn exact_mfpt(land: &Landscape, lr: f64, a: f64, r: f64) -> Option<(f64, f64)> {
    let (edges, start) = coarse_cells(land, lr, a, r)?;
    let coarse = mfpt_on_cells(land, lr, a, r, &edges, start)?;
    let (edges, start) = refine(&edges, start);
    let finer = mfpt_on_cells(land, lr, a, r, &edges, start)?;
    let m = (9.0 * finer - coarse) / 8.0;
    Some((m, (finer - coarse).abs() / 8.0))
}

/// The Kramers problem of `p` at scale r, with l from the landscape.
pub fn problem(p: &Params, r: f64) -> Kramers {
    let land = landscape(p);
    Kramers {
        lr: p.lr,
        batch: 1.0 / p.a,
        dl: p.dl,
        ka: p.ka,
        kb: p.kb,
        l: land.l,
        r,
    }
}

/// The landscape of `p`.
pub fn landscape(p: &Params) -> Landscape {
    Landscape::new(p.ka, p.kb, p.dl)
}

/// The largest scale with a stationary state in the well: λ r k_a = 2.
pub fn r_max(p: &Params) -> f64 {
    2.0 / (p.lr * p.ka)
}

/// The scales of the Monte Carlo points: midpoints of `points` equal cells of (0, r_max).
pub fn scales(p: &Params) -> Vec<f64> {
    let top = r_max(p);
    (0..p.points)
        .map(|i| top * (i as f64 + 0.5) / p.points as f64)
        .collect()
}

/// Eq. (23) divided by |k_b| at scale r (both scaled), `None` past λ r k_a = 2.
pub fn eq23_over_kb(p: &Params, r: f64) -> Option<f64> {
    problem(p, r)
        .rate()
        .map(|g| g / (r * p.kb))
        .filter(|g| g.is_finite() && *g > 0.0)
}

/// Eq. (24) divided by the scaled |k_b| = r·k_b: independent of r (Eq. 24 itself is ∝ r).
pub fn eq24_over_kb(p: &Params, r: f64) -> Option<f64> {
    Some(problem(p, r).rate_continuous() / (r * p.kb)).filter(|g| g.is_finite() && *g > 0.0)
}

/// Series indices in the plan: Monte Carlo points.
pub const MC: usize = 0;
/// The exact discrete-time rate (numerical first passage of the SGD chain), one point per job.
pub const EXACT: usize = 1;
/// Eq. 23 times the fitted constant.
pub const FITTED: usize = 2;
/// The fraction of runs censored at the step cap (second plot).
pub const CENSORED: usize = 6;

/// Theory grid of r.
fn grid(p: &Params) -> Vec<f64> {
    let top = r_max(p);
    (1..400).map(|i| top * i as f64 / 400.0).collect()
}

/// Weighted least squares of a constant c in log γ_MC − log γ_theory = log c + ε, weights
/// 1/σ² with σ = se/γ_MC (the error of log γ_MC): (c, se of c, χ²/dof of the residuals).
/// `None` without points.
pub fn fit_constant(
    points: &[(f64, f64, f64)],
    theory: impl Fn(f64) -> Option<f64>,
) -> Option<(f64, f64, Option<f64>)> {
    let rows: Vec<(f64, f64)> = points
        .iter()
        .filter_map(|&(r, y, se)| {
            let t = theory(r)?;
            (y > 0.0 && se > 0.0 && t > 0.0).then(|| ((y / t).ln(), (y / se).powi(2)))
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    let sw: f64 = rows.iter().map(|(_, w)| w).sum();
    let m = rows.iter().map(|(d, w)| d * w).sum::<f64>() / sw;
    let chi2: f64 = rows.iter().map(|(d, w)| w * (d - m).powi(2)).sum();
    let n = rows.len();
    let c = m.exp();
    Some((c, c / sw.sqrt(), (n > 1).then(|| chi2 / (n - 1) as f64)))
}

/// χ² per point of log γ_MC against a theory with no free constant.
pub fn chi2_fixed(points: &[(f64, f64, f64)], theory: impl Fn(f64) -> Option<f64>) -> Option<f64> {
    let rows: Vec<f64> = points
        .iter()
        .filter_map(|&(r, y, se)| {
            let t = theory(r)?;
            (y > 0.0 && se > 0.0 && t > 0.0).then(|| ((y / t).ln() / (se / y)).powi(2))
        })
        .collect();
    (!rows.is_empty()).then(|| rows.iter().sum::<f64>() / rows.len() as f64)
}

/// The finished Monte Carlo points (r, γ/|k_b|, se).
pub fn mc_points(fig: &Figure) -> Vec<(f64, f64, f64)> {
    let mc = &fig.series[MC];
    let err = mc.y_err.clone().unwrap_or_default();
    mc.x.iter()
        .zip(&mc.y)
        .zip(err)
        .filter(|((_, y), e)| y.is_finite() && e.is_finite())
        .map(|((&r, &y), e)| (r, y, e))
        .collect()
}

/// The exact discrete rate γ/|k_b| = 1/(λ E[T] r|k_b|) at scale r, with its estimated
/// relative discretisation error; `None` where the grid cannot resolve it to 1 %.
pub fn exact_over_kb(p: &Params, r: f64) -> Option<(f64, f64)> {
    let (m, err) = exact_mfpt(&landscape(p), p.lr, p.a, r)?;
    let rel = err / m;
    (rel < 0.01).then(|| (1.0 / (p.lr * m * r * p.kb), rel))
}

impl LegacyPanel for KramersPanel {
    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> Figure {
        let mut plot = Plot::new("loss scale r", "γ / |k_b|");
        plot.y_log = true;
        plot.x_range = Some((0.0, r_max(p)));
        let mut cens = Plot::new("loss scale r", "runs censored at the step cap");
        cens.x_range = Some((0.0, r_max(p)));
        cens.y_range = Some((0.0, 1.0));
        let mut fig = figure(p, vec![plot, cens]);
        let xs = scales(p);
        let grid = grid(p);
        let pending = vec![f64::NAN; xs.len()];
        fig.series
            .push(Series::pending("Monte Carlo (escapes per unit time)", xs.clone()).colored(4));
        fig.series.push(
            Series::new(
                "exact discrete (first passage of the SGD chain)",
                SeriesKind::TheoryDiscrete,
                xs.clone(),
                pending,
            )
            .colored(5),
        );
        // Filled in by `finish` once the constant is fitted.
        fig.series.push(
            Series::new(
                "Eq. 23 × c (c fitted)",
                SeriesKind::TheoryOther,
                grid.clone(),
                vec![f64::NAN; grid.len()],
            )
            .styled(Style::Line)
            .colored(6),
        );
        fig.series.push(
            Series::curve(
                "Eq. 23 as printed (c = 1)",
                SeriesKind::TheoryOther,
                &grid,
                |r| eq23_over_kb(p, r),
            )
            .colored(6),
        );
        fig.series.push(
            Series::curve(
                "Eq. 24, continuous time",
                SeriesKind::TheoryContinuous,
                &grid,
                |r| eq24_over_kb(p, r),
            )
            .colored(0),
        );
        fig.series.push(
            Series::new(
                "λ r k_a = 2",
                SeriesKind::TheoryOther,
                vec![r_max(p)],
                vec![f64::NAN],
            )
            .styled(Style::Vline)
            .colored(7),
        );
        // The y range spans Eqs. 23 and 24 (and a fitted constant down to ½), with room above
        // for the legend.
        let (lo, hi) = fig.series[FITTED + 1..=FITTED + 2]
            .iter()
            .flat_map(|s| s.y.iter().copied())
            .filter(|v| v.is_finite() && *v > 0.0)
            .fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
        let top = hi * (2.0 * hi / lo).powf(0.45);
        if hi > lo && top.is_finite() {
            fig.plots[0].y_range = Some((0.5 * lo, top));
        }
        fig.series.push(
            Series::pending("fraction censored", xs)
                .in_plot(1)
                .colored(7),
        );
        let land = landscape(p);
        let barrier = 2.0 * p.dl / (p.a * p.lr) * (land.l / p.ka + (1.0 - land.l) / p.kb);
        fig.readouts = vec![
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
            Readout::new("r_max", "r at λ r k_a = 2", Some(r_max(p))),
        ];
        fig.jobs = p.points as usize;
        fig
    }

    fn job(&self, p: &Params, i: usize) -> Vec<Patch> {
        let Some(&r) = scales(p).get(i) else {
            return Vec::new();
        };
        let e = first_passage(
            &landscape(p),
            p.lr,
            p.a,
            r,
            p.walkers,
            p.steps,
            job_seed(p.seed, i),
        );
        // Per unit time λ·steps, over the scaled |k_b| = r k_b.
        let unit = p.lr * r * p.kb;
        let (y, se) = match e.rate_per_step() {
            Some((g, s)) => (Some(g / unit), Some(s / unit)),
            None => (None, None),
        };
        let f = e.censored();
        let n = e.runs.max(1) as f64;
        let exact = exact_over_kb(p, r);
        vec![
            Patch::point(MC, i, y, se),
            Patch::point(EXACT, i, exact.map(|e| e.0), exact.map(|e| e.1)),
            Patch::point(CENSORED, i, Some(f), Some((f * (1.0 - f) / n).sqrt())),
        ]
    }

    fn finish(&self, p: &Params, fig: &mut Figure) {
        let pts = mc_points(fig);
        let fit = fit_constant(&pts, |r| eq23_over_kb(p, r));
        let fit24 = fit_constant(&pts, |r| eq24_over_kb(p, r));
        let c = fit.map(|f| f.0);
        let s = &mut fig.series[FITTED];
        for (x, y) in s.x.iter().zip(s.y.iter_mut()) {
            *y = c
                .and_then(|c| eq23_over_kb(p, *x).map(|g| c * g))
                .unwrap_or(f64::NAN);
        }
        // Monte Carlo against the exact chain, in standard errors.
        let exact = &fig.series[EXACT];
        let z_exact = pts
            .iter()
            .filter_map(|&(r, y, se)| {
                let j = exact.x.iter().position(|&x| x == r)?;
                let e = exact.y[j];
                e.is_finite().then(|| (y - e).abs() / se)
            })
            .fold(None, |m: Option<f64>, z| Some(m.map_or(z, |m| m.max(z))));
        // The rise of the rate from the first to the last point, in log, against the rises of
        // Eq. 23 and Eq. 24 (0).
        let rise = match (pts.first(), pts.last()) {
            (Some(a), Some(b)) if pts.len() > 1 => Some((
                (b.1 / a.1).ln(),
                ((a.2 / a.1).powi(2) + (b.2 / b.1).powi(2)).sqrt(),
                eq23_over_kb(p, b.0)
                    .zip(eq23_over_kb(p, a.0))
                    .map(|(y, x)| (y / x).ln()),
            )),
            _ => None,
        };
        let censored = fig.series[CENSORED]
            .y
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
        const KEYS: &[&str] = &[
            "c_fit",
            "chi2_eq23_fit",
            "chi2_eq24_fit",
            "chi2_eq24",
            "z_exact_max",
            "log_rise_mc",
            "log_rise_eq23",
            "censored_max",
        ];
        fig.readouts.retain(|r| !KEYS.contains(&r.key.as_str()));
        fig.readouts.extend([
            Readout::new(
                "c_fit",
                "fitted constant c of Eq. 23 (least squares in log γ)",
                c,
            )
            .with_se(fit.map(|f| f.1)),
            Readout::new(
                "chi2_eq23_fit",
                "χ² per degree of freedom of c × Eq. 23",
                fit.and_then(|f| f.2),
            ),
            Readout::new(
                "chi2_eq24_fit",
                "χ² per degree of freedom of Eq. 24 with its own best constant",
                fit24.and_then(|f| f.2),
            ),
            Readout::new(
                "chi2_eq24",
                "χ² per point of Eq. 24 as printed",
                chi2_fixed(&pts, |r| eq24_over_kb(p, r)),
            ),
            Readout::new(
                "z_exact_max",
                "largest |Monte Carlo − exact| in standard errors",
                z_exact,
            ),
            Readout::new(
                "log_rise_mc",
                "ln(γ at the largest r / γ at the smallest r), Monte Carlo (Eq. 24: 0)",
                rise.map(|r| r.0),
            )
            .with_se(rise.map(|r| r.1)),
            Readout::new(
                "log_rise_eq23",
                "the same ratio from Eq. 23",
                rise.and_then(|r| r.2),
            ),
            Readout::new(
                "censored_max",
                "largest fraction of runs censored at the step cap",
                censored,
            ),
        ]);
    }
}
