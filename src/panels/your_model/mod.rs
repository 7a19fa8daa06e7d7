//! `your-model` — what the discrete-time theory says about a researcher's own network, given as
//! a measured Hessian spectrum (`spectrum=`, `crate::model::spectrum`): every number is
//! [`crate::theory::measured`]'s. Without a spectrum the panel shows an example, the power law
//! hᵢ = 2·i^(−1.3), D = 100 (cᵢ = a·hᵢ), and says so.
//!
//! Plot 1: the spectrum, directions per log-spaced bin of h ([`Spectrum::histogram`]), with the
//! largest curvature SGD with momentum μ can take at the chosen λ, h = 2(1 + μ)/λ. Plot 2: the
//! stationary training loss against λ up to the stability edge 2(1 + μ)/h_max, exact and
//! continuous ([`loss_curve`]), with the chosen λ, the edge and the Bayes-optimal λ. The readouts
//! are [`summarise`]'s; a value that does not exist is left empty and its reason shown.
//!
//! Theory only: the panel has no Monte Carlo jobs (`training-loss`, `batch-size` and `escape`
//! carry the Monte Carlo for a spectrum).

use super::kit::figure;
use super::{Panel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesKind, Style};
use crate::linalg::logspace;
use crate::model::spectrum::Spectrum;
use crate::params::Params;
use crate::theory::measured::{loss_curve, summarise, Summary};

/// The panel.
pub struct YourModel;

static SPEC: Spec = Spec {
    name: "your-model",
    title: "What the theory says about your model",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    reading: include_str!("reading.json"),
    source: "Liu, Ziyin & Ueda (2021), Thms 1, 2, 6, 8; Zhang et al. (2019)",
    keys: &[
        "lr",
        "mu",
        "a",
        "batch",
        "n_data",
        "theta0",
        "target",
        "max_steps",
        "batch_max",
    ],
    defaults,
    presets: &[
        ("momentum μ = 0.9", "mu=0.9&lr=0.1"),
        ("infinite data, B = 1", "n_data=0&batch=1"),
    ],
    live: false,
    // The B_crit search of `summarise`: 43 ms natively for the example (D = 100), 1.4 s for
    // 1000 rows, 12 s for 10⁴.
    heavy: true,
    accepts: &[("n_data", "0")],
    spectrum: Some(&[]),
};

/// The example spectrum's size, top curvature and decay: hᵢ = 2·i^(−1.3), i = 1…100.
const EXAMPLE: (usize, f64, f64) = (100, 2.0, 1.3);

fn defaults(p: &mut Params) {
    p.lr = 0.5;
    p.mu = 0.0;
    p.a = 1.0;
    // A data set of ImageNet's size (1 281 167 training images), minibatches of 256.
    p.n_data = 1_281_167;
    p.batch = 256;
    p.batch_max = 4096;
}

/// The spectrum of `p`, or the example.
fn spectrum(p: &Params) -> Spectrum {
    p.spectrum.clone().unwrap_or_else(|| {
        let (d, h1, decay) = EXAMPLE;
        Spectrum::power_law(d, h1, decay).expect("the example spectrum is valid")
    })
}

/// The plots' titles name the spectrum, and say when it is the example.
fn plots(p: &Params, s: &Spectrum) -> Vec<Plot> {
    let mut spectrum = Plot::new("curvature h", "directions per bin");
    spectrum.x_log = true;
    spectrum.title = if p.spectrum.is_some() {
        format!(
            "your spectrum: {} rows, D = {} directions",
            s.rows(),
            s.dims()
        )
    } else {
        "example spectrum: hᵢ = 2·i^−1.3, D = 100; load your own".into()
    };
    let mut loss = Plot::new("learning rate λ", "stationary training loss");
    loss.x_log = true;
    loss.y_log = true;
    let method = if p.mu > 0.0 {
        "SGD with momentum"
    } else {
        "SGD"
    };
    loss.title = format!("{method}, μ = {}, batch {}", p.mu, p.batch);
    vec![spectrum, loss]
}

/// The histogram as a step line: each bin's count from its lower to its upper edge.
fn histogram(s: &Spectrum) -> Series {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for (lo, hi, n) in s.histogram(30) {
        x.extend([lo, hi]);
        y.extend([n as f64; 2]);
    }
    Series::new("directions", SeriesKind::TheoryOther, x, y).colored(0)
}

/// The spectrum's range of h, widened to show the stability limit `h_limit` when it lies
/// within a factor 10 above the largest curvature.
fn x_range(s: &Spectrum, h_limit: f64) -> Option<(f64, f64)> {
    let (lo, hi) = (s.h_min_positive(), s.h_max());
    let top = if h_limit < 10.0 * hi {
        hi.max(h_limit)
    } else {
        hi
    };
    Some((lo / 1.2, top * 1.2))
}

/// A vertical line at `x` in plot `plot`.
fn vline(name: &str, x: f64, plot: usize, color: usize) -> Series {
    Series::new(name, SeriesKind::TheoryOther, vec![x], vec![f64::NAN])
        .in_plot(plot)
        .styled(Style::Vline)
        .colored(color)
}

/// The loss curves from 10⁻³ of the edge to the edge, and the lines of λ, the edge and the
/// Bayes-optimal λ.
fn add_loss(fig: &mut Figure, p: &Params, s: &Spectrum, summary: &Summary) {
    let edge = summary.stability_edge;
    let rates = logspace(edge * 1e-3, edge * 0.999, 200);
    let curve = loss_curve(s, &p.measured_setting(), &rates);
    let disc: Vec<f64> = curve.iter().map(|v| v.0.unwrap_or(f64::NAN)).collect();
    let cont: Vec<f64> = curve.iter().map(|v| v.1.unwrap_or(f64::NAN)).collect();
    let exact = Series::new(
        "exact discrete",
        SeriesKind::TheoryDiscrete,
        rates.clone(),
        disc,
    );
    fig.add(exact.in_plot(1));
    let continuous = Series::new("continuous", SeriesKind::TheoryContinuous, rates, cont);
    fig.add(continuous.in_plot(1));
    fig.add(vline("λ", p.lr, 1, 3));
    fig.add(vline("stability edge 2(1 + μ)/h_max", edge, 1, 7));
    if let Some(b) = summary.bayes_lr {
        fig.add(vline("Bayes-optimal λ (Eq. 16, SGD)", b, 1, 2));
    }
}

/// Every number of the summary, `None` where it does not exist.
fn readouts(summary: &Summary) -> Vec<Readout> {
    let t = summary.tradeoff.as_ref();
    let r = |key: &str, label: &str, v: Option<f64>| Readout::new(key, label, v);
    vec![
        r(
            "lr_max",
            "stability edge λ_max = 2(1 + μ)/h_max",
            Some(summary.stability_edge),
        ),
        r("edge_fraction", "λ/λ_max", Some(summary.edge_fraction)),
        r(
            "loss_discrete",
            "stationary training loss at λ, exact discrete",
            summary.loss_discrete,
        ),
        r(
            "loss_continuous",
            "stationary training loss at λ, continuous time",
            summary.loss_continuous,
        ),
        r(
            "loss_ratio",
            "exact / continuous stationary loss at λ",
            summary.loss_ratio,
        ),
        r(
            "bayes_lr",
            "Bayes-optimal λ of SGD (root of Eq. 16 with cᵢ)",
            summary.bayes_lr,
        ),
        r(
            "bayes_lr_continuous",
            "Bayes-optimal λ, continuous time 2D/(Nf Σcᵢ)",
            summary.bayes_lr_continuous,
        ),
        r(
            "anisotropy_ratio",
            "Thm 8: Tr[KC]/Tr[KC̄], C̄ isotropic of the same trace",
            summary.anisotropy_ratio,
        ),
        r(
            "b_crit",
            "critical batch size B_crit = E_min/S_min (SGD at its best rate)",
            t.map(|t| t.b_crit),
        ),
        r(
            "s_min",
            "S_min: fewest steps to the target (B → ∞)",
            t.map(|t| t.s_min),
        ),
        r(
            "e_min",
            "E_min: fewest examples to the target (B → 0)",
            t.map(|t| t.e_min),
        ),
    ]
}

impl Panel for YourModel {
    type Plan = ();

    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn work(&self, _p: &Params) -> u64 {
        0
    }

    fn plan(&self, p: &Params) -> ((), Figure) {
        let s = spectrum(p);
        let summary = summarise(&s, &p.measured_setting());
        let mut fig = figure(p, plots(p, &s));
        fig.add(histogram(&s));
        let h_limit = 2.0 * (1.0 + p.mu) / p.lr;
        fig.add(vline("largest stable h at λ: 2(1 + μ)/λ", h_limit, 0, 7));
        fig.plots[0].x_range = x_range(&s, h_limit);
        add_loss(&mut fig, p, &s, &summary);
        if !summary.notes.is_empty() {
            fig.plots[1].note = Some(summary.notes.join("; "));
        }
        fig.readouts = readouts(&summary);
        ((), fig)
    }

    fn job(&self, _plan: &(), _i: usize) -> Vec<Patch> {
        Vec::new()
    }
}
