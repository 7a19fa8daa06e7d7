//! `fdr-variance` — the spread of the FDR1 estimator over repeated runs at fixed run length,
//! against the learning rate and against the gradient-noise variance: the blog post's
//! empirical claim ("this variance seems to grow linearly with variance of the gradients, and
//! in inverse proportion to the learning rate"), measured and set against the exact theory.
//!
//! Each run ([`crate::sim::runs::Runs16`]) takes `steps` = T steps and forms Yaida's
//! half-running averages (Eq. 15) of O_L and O_R over steps ⌊T/2⌋+1 … T. Two estimators of
//! FDR1′ per run: the residual D = Ō_L − Ō_R (zero in expectation at stationarity) and the
//! ratio r = Ō_L/Ō_R − 1 that Yaida's schedule compares with X. Their variances over
//! `walkers` runs are the Monte Carlo points (with the standard error of a sample variance,
//! from the fourth moment). Theory: D is the boundary term [Ψ(x_T) − Ψ(x_{T/2})]/n
//! ([`crate::theory::fdr_finite`]), whose variance is exact for Gaussian noise; for r the
//! leading order Var[D]/(E Ō_R)². A weighted least-squares line in log–log gives each
//! exponent with its standard error, beside the exponent of the exact curve over the same
//! points. Beside them, the exact stationary value over the window
//! ([`crate::theory::fdr_finite::Linear2::residual_stationary`]): Var[r] ∝ η⁻² only for long
//! windows (ηkn ≫ 1), ∝ 1/η for short ones, and from the minimum in pure diffusion (ηkT ≪ 1)
//! independent of η.

use super::fdr_common::{self, fit_line, normalized};
use super::kit::{figure, job_seed};
use super::{LegacyPanel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesKind, Style};
use crate::linalg::logspace;
use crate::params::Params;
use crate::rng::math::LANES;
use crate::sim::runs::Runs16;

/// The panel.
pub struct FdrVariance;

static SPEC: Spec = Spec {
    name: "fdr-variance",
    title: "How noisy is the FDR1 estimator?",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    source: "Bulatov, blog post on Yaida (2019); Yaida Eqs. 15, 17, FDR1′ and App. A",
    keys: &[
        "lr", "sigma2", "mu", "damp", "h1", "h2", "w0", "walkers", "steps", "points", "seed",
    ],
    defaults,
    presets: &[
        ("the blog: NQM from the minimum", "w0=0&mu=0&damp=0"),
        ("momentum μ = 0.9", "mu=0.9"),
        ("longer runs, T = 10⁴", "steps=10000&walkers=2000"),
        ("start away from the minimum", "w0=3"),
        (
            "short run from the minimum: pure diffusion",
            "lr=0.001&steps=100&w0=0",
        ),
    ],
    live: false,
};

fn defaults(p: &mut Params) {
    fdr_common::defaults(p);
    p.w0 = 0.0;
    p.walkers = 10_000;
    p.steps = 1000;
    p.points = 10;
}

/// Series of plot `k` (0: D vs η, 1: D vs σ², 2: r vs η, 3: r vs σ²): Monte Carlo, theory,
/// fit, the blog's slope.
const PER_PLOT: usize = 4;
fn mc(k: usize) -> usize {
    PER_PLOT * k
}
fn th(k: usize) -> usize {
    PER_PLOT * k + 1
}
fn fit(k: usize) -> usize {
    PER_PLOT * k + 2
}
fn claim(k: usize) -> usize {
    PER_PLOT * k + 3
}

/// The learning rates of the η sweep: `points` log-spaced from η/10 to 10η, capped below the
/// stability limit.
fn lrs(p: &Params, n: usize) -> Vec<f64> {
    let hi = (10.0 * p.lr).min(0.9 * fdr_common::lr_limit(p));
    let lo = if p.lr / 10.0 < hi / 1.5 {
        p.lr / 10.0
    } else {
        hi / 100.0
    };
    logspace(lo, hi, n)
}

/// The noise variances of the σ² sweep: `points` log-spaced from σ²/10 to 10σ².
fn sigmas(p: &Params, n: usize) -> Vec<f64> {
    let base = if p.sigma2 > 0.0 { p.sigma2 } else { 1.0 };
    logspace(base / 10.0, 10.0 * base, n)
}

/// The setting of point `x` of sweep `k` (0: η, 1: σ²).
fn at(p: &Params, k: usize, x: f64) -> Params {
    let mut q = normalized(p);
    if k == 0 {
        q.lr = x;
    } else {
        q.sigma2 = x;
    }
    q
}

/// The window of the half-running average: n = T − ⌊T/2⌋ steps.
fn window(q: &Params) -> u64 {
    let t = q.steps.max(2);
    t - t / 2
}

/// Exact Var[D] and E Ō_R over the window at stationarity (`None` beyond the stability limit).
fn stationary(q: &Params) -> Option<(f64, f64)> {
    fdr_common::linear(q, q.lr).residual_stationary(window(q))
}

/// Series index of the stationary window-n curve of Var[D] against η (plot 0); that of
/// Var[D]/(E Ō_R)² (plot 2) is the next one.
pub const STATIONARY: usize = 4 * PER_PLOT;

/// Exact (mean, variance) of D and the expected Ō_R, for `q` (Gaussian noise).
fn exact(q: &Params) -> (f64, f64, f64) {
    let l = fdr_common::linear(q, q.lr);
    let x0 = fdr_common::start_state(q);
    let t = q.steps.max(2);
    let (e, v) = l.residual(&x0, t);
    (e, v, l.expected_o_r(&x0, t))
}

/// Sample variance and its standard error, √((m₄ − s⁴(n−3)/(n−1))/n), over the finite values.
fn variance_se(v: &[f64]) -> (Option<f64>, Option<f64>) {
    let v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    let n = v.len() as f64;
    if v.len() < 4 {
        return (None, None);
    }
    let m = v.iter().sum::<f64>() / n;
    let s2 = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    let m4 = v.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n;
    let var_s2 = (m4 - s2 * s2 * (n - 3.0) / (n - 1.0)) / n;
    (Some(s2), Some(var_s2.max(0.0).sqrt()))
}

/// The runs of one point: per run (D, r).
fn runs(q: &Params, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let model = fdr_common::model(q);
    let w = fdr_common::start(q);
    let t = q.steps.max(2);
    let t0 = t / 2;
    let n = (t - t0) as f64;
    let total = q.walkers as usize;
    let (mut d, mut r) = (Vec::with_capacity(total), Vec::with_capacity(total));
    for c in 0..total.div_ceil(LANES) {
        let mut runs = Runs16::new(&model, q.lr, q.mu, q.damp, [w[0], w[1]], job_seed(seed, c));
        for _ in 0..t0 {
            runs.step();
        }
        let (mut sl, mut sr) = ([0.0; LANES], [0.0; LANES]);
        for _ in t0..t {
            let (l, o) = runs.step();
            for i in 0..LANES {
                sl[i] += l[i];
                sr[i] += o[i];
            }
        }
        for i in 0..(total - c * LANES).min(LANES) {
            d.push((sl[i] - sr[i]) / n);
            r.push(sl[i] / sr[i] - 1.0);
        }
    }
    (d, r)
}

/// η_eff·k·n at the chosen η, with η_eff = η(1−ν)/(1−μ), for the smallest and the largest
/// eigenvalue of K, and the local exponent d ln Var[r]/d ln η of the stationary window-n
/// curve there: about −2 when η_eff·k·n ≫ 1 for every k, about −1 when ≪ 1.
fn window_readouts(q: &Params) -> Vec<Readout> {
    let eff = q.lr * (1.0 - q.damp) / (1.0 - q.mu) * window(q) as f64;
    let ratio = |lr: f64| stationary(&at(q, 0, lr)).map(|(v, o)| v / (o * o));
    let h = 1e-3;
    let local = ratio(q.lr * (1.0 + h))
        .zip(ratio(q.lr * (1.0 - h)))
        .map(|(a, b)| (a.ln() - b.ln()) / (2.0 * h));
    vec![
        Readout::new(
            "eta_k_n_min",
            "η(1−ν)/(1−μ) · k_min · n at the chosen η (Var[r] ∝ η⁻² needs ≫ 1)",
            Some(eff * q.h1.min(q.h2)),
        ),
        Readout::new(
            "eta_k_n_max",
            "the same with k_max",
            Some(eff * q.h1.max(q.h2)),
        ),
        Readout::new(
            "slope_r_lr_stationary_local",
            "local exponent of Var[r] in η at the chosen η, stationary window n (exact)",
            local,
        ),
    ]
}

impl LegacyPanel for FdrVariance {
    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> Figure {
        let q = normalized(p);
        let n = q.points as usize;
        let mk = |x: &str, y: &str| {
            let mut pl = Plot::new(x, y);
            pl.x_log = true;
            pl.y_log = true;
            pl
        };
        let mut fig = figure(
            p,
            vec![
                mk("learning rate η", "Var[Ō_L − Ō_R] over runs"),
                mk("noise variance σ²", "Var[Ō_L − Ō_R] over runs"),
                mk("learning rate η", "Var[Ō_L/Ō_R − 1] over runs"),
                mk("noise variance σ²", "Var[Ō_L/Ō_R − 1] over runs"),
            ],
        );
        for k in 0..4 {
            let sweep = k % 2;
            let xs = if sweep == 0 {
                lrs(&q, n)
            } else {
                sigmas(&q, n)
            };
            let (lo, hi) = (xs[0], xs[xs.len() - 1]);
            let mut grid = logspace(lo, hi, 60);
            grid.extend(&xs);
            grid.sort_by(f64::total_cmp);
            grid.dedup();
            let ys: Vec<f64> = grid
                .iter()
                .map(|&x| {
                    let (_, v, o_r) = exact(&at(&q, sweep, x));
                    if k < 2 {
                        v
                    } else {
                        v / (o_r * o_r)
                    }
                })
                .collect();
            fig.series.push(
                Series::pending("Monte Carlo", xs.clone())
                    .in_plot(k)
                    .colored(2),
            );
            fig.series.push(
                Series::new(
                    if k < 2 {
                        "exact (Gaussian quadratic form)"
                    } else {
                        "leading order Var[D]/(E Ō_R)²"
                    },
                    if k < 2 {
                        SeriesKind::TheoryDiscrete
                    } else {
                        SeriesKind::TheoryOther
                    },
                    grid,
                    ys,
                )
                .in_plot(k)
                .styled(if k < 2 { Style::Line } else { Style::Dashed })
                .colored(5),
            );
            fig.series.push(
                Series::new(
                    "power-law fit",
                    SeriesKind::TheoryOther,
                    vec![lo, hi],
                    vec![f64::NAN; 2],
                )
                .in_plot(k)
                .styled(Style::Line)
                .colored(4),
            );
            fig.series.push(
                Series::new(
                    if sweep == 0 {
                        "blog: slope −1"
                    } else {
                        "blog: slope +1"
                    },
                    SeriesKind::TheoryOther,
                    vec![lo, hi],
                    vec![f64::NAN; 2],
                )
                .in_plot(k)
                .styled(Style::Dotted)
                .colored(7),
            );
        }
        let xs = lrs(&q, n);
        let grid = logspace(xs[0], xs[xs.len() - 1], 60);
        for (k, ratio) in [(0, false), (2, true)] {
            let ys = grid
                .iter()
                .map(|&x| {
                    let (v, o_r) = stationary(&at(&q, 0, x))?;
                    Some(if ratio { v / (o_r * o_r) } else { v })
                })
                .map(|y| y.unwrap_or(f64::NAN))
                .collect();
            fig.series.push(
                Series::new(
                    if ratio {
                        "stationary, window n: Var[D]/(E Ō_R)²"
                    } else {
                        "stationary, window n (exact)"
                    },
                    SeriesKind::TheoryDiscrete,
                    grid.clone(),
                    ys,
                )
                .in_plot(k)
                .styled(Style::Dashed)
                .colored(6),
            );
        }
        fig.readouts = window_readouts(&q);
        if q.lr >= fdr_common::lr_limit(&q) {
            let note = Some("η is beyond the stability limit: the runs diverge".to_string());
            fig.plots[1].note.clone_from(&note);
            fig.plots[3].note = note;
        }
        fig.jobs = 2 * n;
        fig
    }

    fn job(&self, p: &Params, i: usize) -> Vec<Patch> {
        let q = normalized(p);
        let n = q.points as usize;
        let (sweep, j) = (i / n.max(1), i % n.max(1));
        let xs = if sweep == 0 {
            lrs(&q, n)
        } else {
            sigmas(&q, n)
        };
        let Some(&x) = xs.get(j) else {
            return Vec::new();
        };
        let (d, r) = runs(&at(&q, sweep, x), job_seed(q.seed, i));
        let (vd, sd) = variance_se(&d);
        let (vr, sr) = variance_se(&r);
        vec![
            Patch::point(mc(sweep), j, vd, sd),
            Patch::point(mc(sweep + 2), j, vr, sr),
        ]
    }

    fn finish(&self, p: &Params, fig: &mut Figure) {
        fig.readouts = window_readouts(&normalized(p));
        let names = [
            ("d_lr", "Var[D] against η"),
            ("d_sigma2", "Var[D] against σ²"),
            ("r_lr", "Var[r] against η"),
            ("r_sigma2", "Var[r] against σ²"),
        ];
        let mut worst: Option<f64> = None;
        for (k, (key, what)) in names.iter().enumerate() {
            let s = &fig.series[mc(k)];
            let err = s.y_err.clone().unwrap_or_default();
            let lx: Vec<f64> = s.x.iter().map(|x| x.ln()).collect();
            let ly: Vec<f64> = s.y.iter().map(|y| y.ln()).collect();
            // The error of ln y is se/y.
            let lse: Vec<f64> = s.y.iter().zip(&err).map(|(y, e)| e / y).collect();
            let theory = &fig.series[th(k)];
            let th_at: Vec<f64> =
                s.x.iter()
                    .map(|x| {
                        theory
                            .x
                            .iter()
                            .position(|t| t == x)
                            .map_or(f64::NAN, |j| theory.y[j].ln())
                    })
                    .collect();
            if k < 2 {
                for ((&y, &e), &t) in s.y.iter().zip(&err).zip(&th_at) {
                    let z = (y - t.exp()).abs() / e;
                    if z.is_finite() {
                        worst = Some(worst.map_or(z, |w: f64| w.max(z)));
                    }
                }
            }
            let fitted = fit_line(&lx, &ly, &lse);
            // The exact curve's slope over the same points, with the same weights (only where
            // the Monte Carlo point has arrived).
            let tse: Vec<f64> = lse
                .iter()
                .map(|e| if e.is_finite() { *e } else { f64::NAN })
                .collect();
            let th_fit = fit_line(&lx, &th_at, &tse);
            let (lo, hi) = (s.x[0], s.x[s.x.len() - 1]);
            if let Some((a, b, se, _)) = fitted {
                fig.series[fit(k)].y = vec![(a + b * lo.ln()).exp(), (a + b * hi.ln()).exp()];
                fig.plots[k].title = format!("slope {b:.2} ± {se:.2}");
                // The blog's slope through the points' weighted centre.
                let w: Vec<f64> = lse.iter().map(|e| 1.0 / (e * e)).collect();
                let pts = lx
                    .iter()
                    .zip(&ly)
                    .zip(&w)
                    .filter(|((x, y), w)| x.is_finite() && y.is_finite() && w.is_finite());
                let (mut sw, mut sx, mut sy) = (0.0, 0.0, 0.0);
                for ((x, y), w) in pts {
                    sw += w;
                    sx += w * x;
                    sy += w * y;
                }
                let slope = if k % 2 == 0 { -1.0 } else { 1.0 };
                let (cx, cy) = (sx / sw, sy / sw);
                fig.series[claim(k)].y = vec![
                    (cy + slope * (lo.ln() - cx)).exp(),
                    (cy + slope * (hi.ln() - cx)).exp(),
                ];
            } else {
                fig.series[fit(k)].y = vec![f64::NAN; 2];
                fig.series[claim(k)].y = vec![f64::NAN; 2];
                fig.plots[k].title = String::new();
            }
            fig.readouts.push(
                Readout::new(
                    &format!("slope_{key}"),
                    &format!("fitted exponent of {what}, Monte Carlo"),
                    fitted.map(|f| f.1),
                )
                .with_se(fitted.map(|f| f.2)),
            );
            fig.readouts.push(Readout::new(
                &format!("slope_{key}_theory"),
                &format!(
                    "exponent of the {} curve over the same points",
                    if k < 2 { "exact" } else { "leading-order" }
                ),
                th_fit.map(|f| f.1),
            ));
        }
        fig.readouts.push(Readout::new(
            "z_max",
            "largest |Monte Carlo − exact| of Var[D] in standard errors",
            worst,
        ));
    }
}
