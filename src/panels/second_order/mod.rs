//! `second-order` — Liu, Ziyin & Ueda (2021), Sec. 6.4: the stationary fluctuations of damped
//! Newton (Cor. 5), natural-gradient descent (Cor. 6) and Adam (Thm 10) against the learning
//! rate λ, beside SGD (Cor. 1), with Monte Carlo.
//!
//! The setting is the paper's: a 2-D quadratic L = ½wᵀKw with K = diag(h1, h2) (default
//! diag(2, 0.2), the Sec. 5 Hessian diag(1, 0.1) doubled so that no direction has k = 1, where
//! damped Newton coincides with SGD and hides it), and minibatch-like noise of strength a = (N − S)/(NS)
//! (0.009 for the Sec. 5 data set, N = 1000, S = 100), in the form each result assumes:
//! - SGD and damped Newton (Λ = λK⁻¹) with C = aK, the Hessian approximation of minibatch
//!   noise (Cor. 1 with Eq. 8; Cor. 5, Eq. 25 = Thm 12, Eq. 98);
//! - NGD (Λ = λ J⁻¹, J = KΣK the Fisher information) and Adam (Λ = λ E[ggᵀ]^(−1/2), without
//!   momentum) with C = a·KΣK (Cor. 6, Eq. 26; Thm 10, Eq. 27 with c = a).
//!
//! NGD and Adam are simulated in the paper's idealised form, as `sim::Dynamics` does: Λ and the
//! noise covariance a·KΣK are those of the exact stationary Σ. (Noise that followed each walker,
//! a·K w wᵀ K, would have no constant part and let the walkers collapse to 0.) The exact curves
//! come from the general solver (`theory::stationary`); the paper's closed forms are checked
//! against them in a readout and in the tests. Each Monte Carlo point is one 2-D ensemble,
//! compared with the exact covariance after `steps` steps of the same dynamics.

use super::kit::{figure, job_seed};
use super::{LegacyPanel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesKind, Style};
use crate::linalg::logspace;
use crate::model::Model;
use crate::optimizer::{Opt, Optimizer};
use crate::params::{Noise, Params};
use crate::sim::{Dynamics, Ensemble, Shape};
use crate::theory::{self, closed_form, lyapunov};
use nalgebra::DMatrix;

/// The panel.
pub struct SecondOrder;

static SPEC: Spec = Spec {
    name: "second-order",
    title: "Damped Newton, natural gradient and Adam",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    source: "Liu, Ziyin & Ueda (2021), Sec. 6.4: Cor. 5 (Eq. 25), Cor. 6 (Eq. 26), Thm 10 \
             (Eq. 27); Cor. 1; App. E.2.7–E.2.8",
    keys: &["h1", "h2", "a", "mu", "walkers", "steps", "points", "seed"],
    defaults,
    presets: &[
        (
            "K = diag(2, 0.2), N = 1000, S = 100 (a = 0.009)",
            "h1=2&h2=0.2&a=0.009&mu=0",
        ),
        (
            "Sec. 5 Hessian diag(1, 0.1): damped Newton = SGD along k₁ = 1",
            "h1=1&h2=0.1&a=0.009&mu=0",
        ),
        ("S = 10 (a = 0.099)", "a=0.099&mu=0"),
        ("Online, S = 1, N → ∞ (a = 1)", "a=1&mu=0"),
        ("With momentum μ = 0.5", "a=0.009&mu=0.5"),
    ],
    live: false,
};

fn defaults(p: &mut Params) {
    p.dim = 2;
    p.h1 = 2.0;
    p.h2 = 0.2;
    p.h_angle = 0.0;
    // The noise is built here from `a`; `hessian` keeps the page's `a` control visible.
    p.noise = Noise::Hessian;
    p.a = 0.009;
    p.mu = 0.0;
    p.walkers = 10_000;
    p.steps = 1000;
    p.points = 20;
}

/// The optimizers, in the order of their series: (optimizer, name, result it follows, colour).
pub const OPTS: [(Opt, &str, &str, usize); 4] = [
    (Opt::Sgd, "SGD", "Cor. 1, C = aK", 7),
    (Opt::Dnm, "damped Newton", "Cor. 5, C = aK", 4),
    (Opt::Ngd, "natural gradient", "Cor. 6, C = aKΣK", 2),
    (Opt::Adam, "Adam", "Thm 10, C = aKΣK", 0),
];

const READOUT_KEYS: [&str; 4] = ["z_sgd_max", "z_dnm_max", "z_ngd_max", "z_adam_max"];

/// Index of the Monte Carlo series of optimizer `j` in direction `d`.
fn mc_index(j: usize, d: usize) -> usize {
    2 * j + d
}

/// The Hessian diag(h1, h2).
fn hessian(p: &Params) -> DMatrix<f64> {
    DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![p.h1, p.h2]))
}

/// The model optimizer `opt` is paired with: C = aK for SGD and damped Newton, C = a·KΣK for
/// natural gradient and Adam.
pub fn model(p: &Params, opt: Opt) -> Model {
    let k = hessian(p);
    match opt {
        Opt::Ngd | Opt::Adam => Model {
            c: DMatrix::zeros(2, 2),
            c_fisher: p.a,
            data: None,
            k,
        },
        _ => Model::new(k.clone(), k * p.a),
    }
}

/// Optimizer `opt` at learning rate `lr` (Adam without momentum).
pub fn optimizer(p: &Params, opt: Opt, lr: f64) -> Optimizer {
    let mut o = Optimizer::sgd(lr, if opt == Opt::Adam { 0.0 } else { p.mu }, 2);
    o.opt = opt;
    o
}

/// The exact stationary Σ of optimizer `opt` at `lr`.
pub fn exact(p: &Params, opt: Opt, lr: f64) -> Option<DMatrix<f64>> {
    Some(
        theory::stationary(&model(p, opt), &optimizer(p, opt, lr))
            .ok()?
            .sigma,
    )
}

/// The paper's closed form for optimizer `opt` at `lr`: Cor. 1 (Eq. 8), Thm 12 (Eq. 98, which
/// is Cor. 5's Eq. 25 for C = aK), Cor. 6 (Eq. 26), Thm 10 (Eq. 27).
pub fn paper(p: &Params, opt: Opt, lr: f64) -> Option<DMatrix<f64>> {
    let k = hessian(p);
    let mu = p.mu;
    match opt {
        Opt::Sgd => closed_form::cor1(&k, &(&k * p.a), lr, mu),
        Opt::Dnm => closed_form::thm12_dnm(&k, &(&k * p.a), lr, mu),
        Opt::Ngd => closed_form::cor6_ngd(&k, p.a, lr, mu),
        Opt::Adam => Some(closed_form::thm10_adam(2, p.a, lr)),
        _ => None,
    }
}

/// The exact covariance after `steps` steps from w = 0 of the dynamics the Monte Carlo runs:
/// for natural gradient and Adam, the map and the constant noise covariance a·KΣK of the
/// stationary Σ (the simulator's idealisation); for the others, the model's own noise.
pub fn exact_after(p: &Params, opt: Opt, lr: f64) -> Option<DMatrix<f64>> {
    let m = model(p, opt);
    let o = optimizer(p, opt, lr);
    if opt.depends_on_sigma() {
        let st = theory::stationary(&m, &o).ok()?;
        let q = &st.map.b * &st.noise * st.map.b.transpose();
        let pt = lyapunov::stein_after(&st.map.a, None, &q, &DMatrix::zeros(4, 4), p.steps);
        Some(pt.view((0, 0), (2, 2)).into_owned())
    } else {
        theory::escape::sigma_after(&m, &o, p.steps)
    }
}

/// [`exact_after`], remembered for the current setting: `finish` runs after every Monte Carlo
/// patch on the page, and natural gradient's and Adam's stationary states are Newton solves.
fn exact_after_memo(p: &Params, opt: Opt, lr: f64) -> Option<DMatrix<f64>> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    type Memo = (String, HashMap<(u8, u64), Option<DMatrix<f64>>>);
    thread_local! {
        static MEMO: RefCell<Memo> = RefCell::new((String::new(), HashMap::new()));
    }
    let query = super::query::to_query(p, super::query::Audience::Cli);
    let key = (opt as u8, lr.to_bits());
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.0 != query {
            *m = (query, HashMap::new());
        }
        m.1.entry(key)
            .or_insert_with(|| exact_after(p, opt, lr))
            .clone()
    })
}

/// The largest λ of the sweep: the larger of the divergences of SGD, 2(1 + μ)/k_max, and of
/// damped Newton, 2(1 + μ).
fn lr_top(p: &Params) -> f64 {
    let kmax = p.h1.max(p.h2);
    let edge = 2.0 * (1.0 + p.mu);
    if kmax > 0.0 {
        edge * (1.0f64 / kmax).max(1.0)
    } else {
        edge
    }
}

/// Learning rates of the Monte Carlo points: `points` values spaced evenly in log from
/// λ_top/100 to 0.97 λ_top.
pub fn lrs(p: &Params) -> Vec<f64> {
    let top = lr_top(p);
    logspace(top * 1e-2, top * 0.97, p.points as usize)
}

impl LegacyPanel for SecondOrder {
    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> Figure {
        let plot = |d: usize, k: f64| {
            let mut pl = Plot::new(
                "learning rate λ",
                if d == 0 { "Var[w₁]" } else { "Var[w₂]" },
            );
            pl.title = format!("direction {}: k{} = {k}", d + 1, ["₁", "₂"][d]);
            pl.x_log = true;
            pl.y_log = true;
            pl
        };
        let mut fig = figure(p, vec![plot(0, p.h1), plot(1, p.h2)]);
        let top = lr_top(p);
        let grid = logspace(top * 1e-2, top * 0.999, 300);
        let xs = lrs(p);
        for (j, (_, name, _, color)) in OPTS.iter().enumerate() {
            for d in 0..2 {
                let s = Series::pending(
                    if d == 0 {
                        format!("{name} (Monte Carlo)")
                    } else {
                        format!("{name} (Monte Carlo), direction 2")
                    },
                    xs.clone(),
                )
                .colored(*color)
                .in_plot(d);
                debug_assert_eq!(fig.series.len(), mc_index(j, d));
                fig.series.push(if d == 0 { s } else { s.unlabelled() });
            }
        }
        // Exact curves (and the paper's closed forms beside them, for the readout).
        let mut rel: f64 = 0.0;
        let (mut y_lo, mut y_hi) = (f64::INFINITY, 0.0f64);
        for (opt, name, result, color) in OPTS {
            let sig: Vec<Option<DMatrix<f64>>> = grid.iter().map(|&lr| exact(p, opt, lr)).collect();
            for (s, &lr) in sig.iter().zip(&grid) {
                if let (Some(s), Some(c)) = (s, paper(p, opt, lr)) {
                    for d in 0..2 {
                        let (x, y) = (s[(d, d)], c[(d, d)]);
                        if y.abs() > 0.0 {
                            rel = rel.max((x - y).abs() / y.abs());
                        }
                    }
                }
            }
            for d in 0..2 {
                let y: Vec<f64> = sig
                    .iter()
                    .map(|s| s.as_ref().map_or(f64::NAN, |s| s[(d, d)]))
                    .collect();
                for (&v, &lr) in y.iter().zip(&grid) {
                    if v > 0.0 && lr <= xs.last().copied().unwrap_or(top) {
                        y_lo = y_lo.min(v);
                        y_hi = y_hi.max(v);
                    }
                }
                let s = Series::new(
                    if d == 1 {
                        format!("{name}: {result}")
                    } else {
                        format!("{name}, exact, direction 1")
                    },
                    SeriesKind::TheoryDiscrete,
                    grid.clone(),
                    y,
                )
                .colored(color)
                .in_plot(d);
                fig.series.push(if d == 1 { s } else { s.unlabelled() });
            }
        }
        // Room above the data for the legends (a decade and a half on the log axis).
        if y_lo.is_finite() && y_hi > 0.0 {
            for pl in &mut fig.plots {
                pl.y_range = Some((0.5 * y_lo, 30.0 * y_hi));
            }
        }
        let edge = 2.0 * (1.0 + p.mu);
        let kmax = p.h1.max(p.h2);
        let sgd_edge = (kmax > 0.0).then(|| edge / kmax);
        let mut lines: Vec<(String, f64, usize)> = Vec::new();
        match sgd_edge {
            Some(s) if (s - edge).abs() <= 1e-12 * edge => {
                lines.push(("SGD and damped Newton diverge".into(), edge, 7))
            }
            Some(s) => {
                lines.push(("SGD diverges: λk_max = 2(1 + μ)".into(), s, 7));
                lines.push(("damped Newton diverges: λ = 2(1 + μ)".into(), edge, 4));
            }
            None => lines.push(("damped Newton diverges: λ = 2(1 + μ)".into(), edge, 4)),
        }
        for (name, x, color) in lines {
            for d in 0..2 {
                let s = Series::new(
                    name.clone(),
                    SeriesKind::TheoryOther,
                    vec![x],
                    vec![f64::NAN],
                )
                .styled(Style::Vline)
                .colored(color)
                .in_plot(d);
                fig.series.push(if d == 1 { s } else { s.unlabelled() });
            }
        }
        // Points without a stationary state (past an optimizer's stability limit, or where its
        // Λ does not exist) have no value (and are not run).
        let past = OPTS
            .iter()
            .map(|(opt, ..)| {
                xs.iter()
                    .filter(|&&lr| exact(p, *opt, lr).is_none())
                    .count()
            })
            .sum::<usize>();
        let a = p.a;
        let mu = p.mu;
        fig.readouts = vec![
            Readout::new(
                "lr_sgd_divergence",
                "λ where SGD diverges, 2(1 + μ)/k_max",
                sgd_edge,
            ),
            Readout::new(
                "lr_dnm_divergence",
                "λ where damped Newton diverges, 2(1 + μ)",
                Some(edge),
            ),
            Readout::new(
                "ngd_constant_theory",
                "natural gradient: Var·k/λ = ((1 + μ)a + 1 − μ)/(2(1 − μ²)) (Cor. 6)",
                Some(((1.0 + mu) * a + 1.0 - mu) / (2.0 * (1.0 - mu * mu))),
            ),
            Readout::new(
                "adam_constant_theory",
                "Adam: Var/λ² = (1 + a)/4 (Thm 10)",
                Some((1.0 + a) / 4.0),
            ),
            Readout::new(
                "closed_form_rel_max",
                "largest relative difference, exact solver vs the paper's closed forms",
                Some(rel),
            ),
            Readout::new(
                "points_past_limit",
                "Monte Carlo points without a stationary state (past their optimizer's \
                 stability limit, or no Λ exists): no value",
                Some(past as f64),
            ),
        ];
        fig.jobs = OPTS.len() * p.points as usize;
        fig
    }

    fn job(&self, p: &Params, i: usize) -> Vec<Patch> {
        // Jobs interleave the optimizers, so that all the series fill in together.
        let (point, j) = (i / OPTS.len(), i % OPTS.len());
        let Some(&lr) = lrs(p).get(point) else {
            return Vec::new();
        };
        let opt = OPTS[j].0;
        let m = model(p, opt);
        let o = optimizer(p, opt, lr);
        let mut out = [(None, None), (None, None)];
        if exact(p, opt, lr).is_some() {
            if let Ok(dy) = Dynamics::new(&m, &o, Shape::Gauss) {
                let mut e = Ensemble::new(2, p.walkers as usize, job_seed(p.seed, i));
                e.advance(&dy, p.steps);
                if let (Some(mo), 0) = (e.moments(), e.diverged()) {
                    for (d, o) in out.iter_mut().enumerate() {
                        *o = (Some(mo.cov[(d, d)]), Some(mo.cov_se[(d, d)]));
                    }
                }
            }
        }
        (0..2)
            .map(|d| Patch::point(mc_index(j, d), point, out[d].0, out[d].1))
            .collect()
    }

    fn finish(&self, p: &Params, fig: &mut Figure) {
        // Per optimizer: the largest deviation of its points from the exact covariance after
        // `steps` steps, in standard errors, and for natural gradient and Adam the constant of
        // the paper's law fitted to the points (weighted by their standard errors).
        let mut z = [None; 4];
        let mut fits = [(0.0, 0.0); 4];
        for (j, (opt, ..)) in OPTS.iter().enumerate() {
            for d in 0..2 {
                let s = &fig.series[mc_index(j, d)];
                let k = if d == 0 { p.h1 } else { p.h2 };
                for (i, (&lr, &y)) in s.x.iter().zip(&s.y).enumerate() {
                    let se = s.y_err.as_ref().map_or(f64::NAN, |e| e[i]);
                    if !(y.is_finite() && se > 0.0) {
                        continue;
                    }
                    if let Some(ex) = exact_after_memo(p, *opt, lr) {
                        let dev = (y - ex[(d, d)]).abs() / se;
                        z[j] = Some(z[j].unwrap_or(0.0f64).max(dev));
                    }
                    // Var·k/λ for natural gradient, Var/λ² for Adam.
                    let scale = match opt {
                        Opt::Ngd => k / lr,
                        Opt::Adam => 1.0 / (lr * lr),
                        _ => continue,
                    };
                    let w = 1.0 / (se * scale).powi(2);
                    fits[j].0 += w * y * scale;
                    fits[j].1 += w;
                }
            }
        }
        fig.readouts
            .retain(|r| !r.key.starts_with("z_") && !r.key.ends_with("_fit"));
        let names = ["SGD", "damped Newton", "natural gradient", "Adam"];
        for j in 0..4 {
            fig.readouts.push(Readout::new(
                READOUT_KEYS[j],
                &format!(
                    "largest |Monte Carlo − exact| in standard errors, {}",
                    names[j]
                ),
                z[j],
            ));
        }
        for (j, key, label) in [
            (
                2,
                "ngd_constant_fit",
                "natural gradient: Var·k/λ fitted to the Monte Carlo points",
            ),
            (
                3,
                "adam_constant_fit",
                "Adam: Var/λ² fitted to the Monte Carlo points",
            ),
        ] {
            let (sum, w) = fits[j];
            fig.readouts.push(
                Readout::new(key, label, (w > 0.0).then(|| sum / w))
                    .with_se((w > 0.0).then(|| 1.0 / w.sqrt())),
            );
        }
    }
}
