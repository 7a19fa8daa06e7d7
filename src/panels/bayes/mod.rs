//! `bayes` — Liu, Ziyin & Ueda (2021), Sec. 6.1 and Thm 6 (after Mandt et al. 2017): SGD as
//! approximate Bayesian inference. The KL divergence D_KL(q ‖ p) between SGD's stationary
//! Gaussian q = N(0, Σ) and the posterior p = N(0, (NK)⁻¹) of Eq. (15), with minibatch noise
//! C = (N−S)/(NS) K, against the learning rate; its minimum at the root of Eq. (16) beside
//! Mandt et al.'s λ* = 2SD/(N Tr K); and both optima against the minibatch size S. The Hessian
//! is a power-law spectrum kᵢ = h₁·i^(−d), i = 1…D.
//!
//! Theory only: the panel has no Monte Carlo jobs. (A walker ensemble would only re-measure the
//! stationary Σ of Thm 1, which `lr-sweep` and `ellipses` already check, and the ensembles
//! simulate D ≤ 2.)
//!
//! A measured spectrum (`p.spectrum`) takes the place of the power law: rows hᵢ with their
//! per-example noise cᵢ (or a·hᵢ) and multiplicities, and Thm 6 with cᵢ for the Fisher's
//! eigenvalues ([`bayes::kl_measured`], [`bayes::optimal_lr_measured`]); with cᵢ = hᵢ these
//! are the power law's curves.
//!
//! With K and C diagonal in the same basis every eigenmode is an independent 1-D problem whose
//! exact stationary variance is Thm 1 in one dimension, σᵢ² = λf/(2 − λkᵢ) for C = fK (Eq. 52),
//! so D_KL = ½Σᵢ[N kᵢ σᵢ² − 1 − ln(N kᵢ σᵢ²)] costs O(D) ([`bayes::kl_modes`]; the general
//! solver `bayes::kl` is its test oracle).

use super::kit::figure;
use super::{Panel, Spec};
use crate::figure::{Figure, Patch, Plot, Readout, Series, SeriesKind, Style};
use crate::linalg::logspace;
use crate::params::Params;
use crate::theory::bayes::{
    self, kl_measured, kl_measured_continuous, kl_modes, kl_modes_continuous,
    optimal_lr_continuous, optimal_lr_measured, optimal_lr_measured_continuous,
    optimal_lr_with_factor, thm6_factor, without_replacement_factor, Measured,
};
use crate::theory::{closed_form, spectrum};

/// The panel.
pub struct Bayes;

static SPEC: Spec = Spec {
    name: "bayes",
    title: "Bayes-optimal learning rate",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    reading: include_str!("reading.json"),
    source: "Liu, Ziyin & Ueda (2021), Sec. 6.1, Thm 6, Eqs. 15–16, 52–55; Mandt et al. (2017)",
    keys: &["n_data", "batch", "spec_d", "spec_decay", "h1"],
    defaults,
    presets: &[
        ("isotropic K: λ* exact", "spec_decay=0"),
        (
            "D = 10, N/S = 10",
            "spec_d=10&spec_decay=1&n_data=1000&batch=100",
        ),
        (
            "D = 100: λ* unstable",
            "spec_d=100&spec_decay=1&n_data=1000&batch=100",
        ),
        ("S ≪ N", "n_data=100000&batch=10"),
    ],
    live: false,
    heavy: false,
    accepts: &[],
    spectrum: Some(&["spec_d", "spec_decay", "h1"]),
};

fn defaults(p: &mut Params) {
    p.n_data = 1000;
    p.batch = 100;
    p.spec_d = 10;
    p.spec_decay = 1.0;
    p.h1 = 1.0;
}

/// The Hessian eigenvalues: the power law kᵢ = h₁·i^(−d), i = 1…D (D ≥ 1).
pub fn spectrum_of(p: &Params) -> Vec<f64> {
    spectrum::power_law(p.spec_d.max(1) as usize, p.h1, p.spec_decay)
}

/// The minibatch sizes of plot 1: up to 50 integers spread in log over 1 … N−1.
fn batches(p: &Params) -> Vec<f64> {
    let top = p.n_data.saturating_sub(1).max(1) as f64;
    let mut s: Vec<f64> = logspace(1.0, top, 50).into_iter().map(f64::round).collect();
    s.dedup();
    s
}

/// The Hessian of a setting: the power law with Thm 6's noise C = fK, or a measured spectrum
/// with its own per-example noise cᵢ (or a·hᵢ) and multiplicities (Thm 6 with cᵢ in place of
/// the Fisher's eigenvalues; with cᵢ = hᵢ the same curves).
enum Hessian {
    /// Eigenvalues kᵢ, noise cᵢ = kᵢ.
    PowerLaw(Vec<f64>),
    /// Rows hᵢ, cᵢ and their multiplicities wᵢ.
    Measured {
        h: Vec<f64>,
        c: Vec<f64>,
        w: Vec<f64>,
    },
}

impl Hessian {
    /// The Hessian of `p`: its measured spectrum if it has one, else the power law.
    fn of(p: &Params) -> Hessian {
        match &p.spectrum {
            Some(s) => Hessian::Measured {
                h: s.h().to_vec(),
                c: s.noise(p.a),
                w: s.weights(),
            },
            None => Hessian::PowerLaw(spectrum_of(p)),
        }
    }

    fn measured(&self) -> Option<Measured<'_>> {
        match self {
            Hessian::PowerLaw(_) => None,
            Hessian::Measured { h, c, w } => Some(Measured { h, c, w: Some(w) }),
        }
    }

    /// The curvatures kᵢ (hᵢ), one per row.
    fn ks(&self) -> &[f64] {
        match self {
            Hessian::PowerLaw(ks) => ks,
            Hessian::Measured { h, .. } => h,
        }
    }

    /// The largest curvature.
    fn k_max(&self) -> f64 {
        self.ks().iter().cloned().fold(0.0f64, f64::max)
    }

    /// D_KL at the exact stationary Σ with noise factor f (none past the stability limit).
    fn kl(&self, n: f64, f: f64, lr: f64) -> Option<f64> {
        match self.measured() {
            Some(m) => kl_measured(&m, n, f, lr),
            None => kl_modes(self.ks(), n, f, lr),
        }
    }

    /// D_KL at the continuous-time Σ with noise factor f.
    fn kl_continuous(&self, n: f64, f: f64, lr: f64) -> Option<f64> {
        match self.measured() {
            Some(m) => kl_measured_continuous(&m, n, f, lr),
            None => kl_modes_continuous(self.ks(), n, f, lr),
        }
    }

    /// The minimiser of [`Hessian::kl`] with noise factor f (for Thm 6's f, the root of
    /// Eq. 16).
    fn optimum(&self, n: f64, f: f64) -> Option<f64> {
        match self.measured() {
            Some(m) => optimal_lr_measured(&m, n, f),
            None => optimal_lr_with_factor(self.ks(), n, f),
        }
    }

    /// The root of Eq. 16 for minibatches of S (as the paper states it for the power law).
    fn root(&self, n: f64, s: f64) -> Option<f64> {
        match self.measured() {
            Some(m) => optimal_lr_measured(&m, n, thm6_factor(n, s)),
            None => bayes::optimal_lr(self.ks(), n, s),
        }
    }

    /// Mandt et al.'s λ* = 2SD/(N Tr K) (with Σwᵢcᵢ for Tr K: the continuous-time optimum
    /// with noise C/S); none without noise (S ≥ N).
    fn mandt(&self, n: f64, s: f64) -> Option<f64> {
        if s >= n {
            return None;
        }
        match self.measured() {
            Some(m) => optimal_lr_measured_continuous(&m, n, 1.0 / s),
            None => Some(closed_form::mandt_lr(self.ks(), n, s)),
        }
    }

    /// The minimum of the continuous-time KL, 2SD/((N−S) Tr K).
    fn continuous_optimum(&self, n: f64, s: f64) -> Option<f64> {
        match self.measured() {
            Some(m) => optimal_lr_measured_continuous(&m, n, thm6_factor(n, s)),
            None => optimal_lr_continuous(self.ks(), n, s),
        }
    }
}

/// The problem of a setting: the Hessian, N and S, Thm 6's noise factor, and the optima.
struct Problem {
    hessian: Hessian,
    /// Data N.
    n: f64,
    /// Minibatch S.
    s: f64,
    /// Thm 6's factor f = (N−S)/(NS).
    f: f64,
    /// The stability limit 2/k_max.
    limit: f64,
    /// The root of Eq. 16.
    root: Option<f64>,
    /// Mandt et al.'s λ* (none without noise, S ≥ N).
    mandt: Option<f64>,
}

impl Problem {
    /// The Hessian `hessian`, N data and minibatches of S.
    fn new(hessian: Hessian, n: f64, s: f64) -> Problem {
        Problem {
            f: thm6_factor(n, s),
            limit: 2.0 / hessian.k_max(),
            root: hessian.root(n, s),
            mandt: hessian.mandt(n, s),
            hessian,
            n,
            s,
        }
    }

    /// D_KL at the exact stationary Σ (none past the stability limit).
    fn kl(&self, lr: f64) -> Option<f64> {
        self.hessian.kl(self.n, self.f, lr)
    }
}

/// A vertical line at `x` (none without it) in plot `plot`.
fn vline(name: &str, kind: SeriesKind, x: Option<f64>, colour: usize, plot: usize) -> Series {
    let y = vec![f64::NAN; x.is_some() as usize];
    Series::new(name, kind, x.into_iter().collect(), y)
        .styled(Style::Vline)
        .colored(colour)
        .in_plot(plot)
}

/// The plots: the KL against λ, and the optima against S.
fn plots(p: &Params) -> Vec<Plot> {
    let mut left = Plot::new("learning rate λ", "D_KL(SGD ‖ posterior)");
    left.title = match &p.spectrum {
        Some(s) => format!(
            "N = {}, S = {}, your spectrum ({} rows, {} directions)",
            p.n_data,
            p.batch,
            s.rows(),
            s.dims()
        ),
        None => format!(
            "N = {}, S = {}, D = {}, kᵢ = {}·i^−{}",
            p.n_data,
            p.batch,
            spectrum_of(p).len(),
            p.h1,
            p.spec_decay
        ),
    };
    left.x_log = true;
    left.y_log = true;
    let mut right = Plot::new("minibatch size S", "optimal learning rate");
    right.title = format!("N = {}: optimum against S", p.n_data);
    right.x_log = true;
    right.y_log = true;
    vec![left, right]
}

/// Plot 0: the KL against λ, from well below the optimum to the stability limit (and past it,
/// when Mandt's λ* lies there), with the optima and the limit marked.
fn add_kl_plot(fig: &mut Figure, pr: &Problem) {
    let (limit, root, mandt) = (pr.limit, pr.root, pr.mandt);
    if !(limit.is_finite() && limit > 0.0) {
        fig.plots[0].note = Some("K has no positive eigenvalue: no posterior".into());
    }
    let centre = root.or(mandt).unwrap_or(limit / 2.0).min(limit / 2.0);
    let lo = centre / 100.0;
    let hi = mandt.map_or(limit, |m| m.max(limit) * 1.2).max(limit);
    fig.plots[0].x_range = Some((lo, hi));
    let (exact, cont) = ("D_KL, exact stationary Σ", "D_KL, continuous-time Σ");
    let grid = logspace(lo, limit * (1.0 - 1e-9), 400);
    fig.add(Series::curve(
        exact,
        SeriesKind::TheoryDiscrete,
        &grid,
        |lr| pr.kl(lr),
    ));
    let cgrid = logspace(lo, hi, 400);
    fig.add(Series::curve(
        cont,
        SeriesKind::TheoryContinuous,
        &cgrid,
        |lr| pr.hessian.kl_continuous(pr.n, pr.f, lr),
    ));
    fig.add(vline(
        "root of Eq. 16",
        SeriesKind::TheoryDiscrete,
        root,
        5,
        0,
    ));
    fig.add(vline(
        "Mandt et al. λ*",
        SeriesKind::TheoryOther,
        mandt,
        0,
        0,
    ));
    fig.add(vline(
        "λ k_max = 2",
        SeriesKind::TheoryOther,
        Some(limit),
        7,
        0,
    ));
    // The y axis: from below the minimum to well above it.
    if let Some(kmin) = root.and_then(|r| pr.kl(r)) {
        let top = pr.kl(lo).unwrap_or(10.0 * kmin.max(1e-3));
        fig.plots[0].y_range = Some((0.3 * kmin.max(1e-12), 3.0 * top));
    }
}

/// Plot 1: the optima against S (over the minibatch sizes `ss`), with this S marked.
fn add_optima_plot(fig: &mut Figure, pr: &Problem, ss: &[f64]) {
    let (h, n, limit) = (&pr.hessian, pr.n, pr.limit);
    let root = "root of Eq. 16";
    fig.add(Series::curve(root, SeriesKind::TheoryDiscrete, ss, |s| h.root(n, s)).in_plot(1));
    let mandt = "Mandt et al. λ* = 2SD/(N Tr K)";
    fig.add(
        Series::curve(mandt, SeriesKind::TheoryOther, ss, |s| h.mandt(n, s))
            .in_plot(1)
            .styled(Style::Dashed)
            .colored(0),
    );
    let cont = "continuous-time optimum 2SD/((N−S) Tr K)";
    fig.add(
        Series::curve(cont, SeriesKind::TheoryContinuous, ss, |s| {
            h.continuous_optimum(n, s)
        })
        .in_plot(1),
    );
    let ends = vec![ss[0], *ss.last().unwrap_or(&ss[0])];
    let stability = Series::new("2/k_max", SeriesKind::TheoryOther, ends, vec![limit, limit]);
    fig.add(stability.in_plot(1).colored(7));
    fig.add(vline("this S", SeriesKind::TheoryOther, Some(pr.s), 7, 1).unlabelled());
    let y_lo = ss
        .first()
        .and_then(|&s0| h.root(n, s0))
        .unwrap_or(limit * 1e-3);
    fig.plots[1].y_range = Some((0.5 * y_lo, 30.0 * limit));
}

/// The optima, their ratio, the limit and the KL at the optima.
fn readouts(pr: &Problem) -> Vec<Readout> {
    let (root, mandt) = (pr.root, pr.mandt);
    let kl_at = |x: Option<f64>| x.and_then(|x| pr.kl(x));
    let exact_factor = without_replacement_factor(pr.n, pr.s);
    vec![
        Readout::new("lr_opt", "optimal λ: root of Eq. 16", root),
        Readout::new("lr_mandt", "Mandt et al.'s λ* = 2SD/(N Tr K)", mandt),
        Readout::new(
            "mandt_over_opt",
            "λ* / optimal λ",
            mandt.zip(root).map(|(m, r)| m / r),
        ),
        Readout::new(
            "lr_continuous_opt",
            "minimum of the continuous-time KL, 2SD/((N−S) Tr K)",
            pr.hessian.continuous_optimum(pr.n, pr.s),
        ),
        Readout::new("lr_limit", "stability limit 2/k_max", Some(pr.limit)),
        Readout::new("kl_opt", "D_KL at the optimal λ", kl_at(root)),
        Readout::new(
            "kl_mandt",
            "D_KL at Mandt et al.'s λ* (none past the stability limit)",
            kl_at(mandt),
        ),
        Readout::new(
            "lr_opt_exact_factor",
            "optimal λ with C = (N−S)/(S(N−1)) K (exact without replacement)",
            pr.hessian.optimum(pr.n, exact_factor),
        ),
    ]
}

impl Panel for Bayes {
    /// Theory only: nothing for jobs.
    type Plan = ();

    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> ((), Figure) {
        let pr = Problem::new(Hessian::of(p), p.n_data as f64, p.batch as f64);
        let mut fig = figure(p, plots(p));
        add_kl_plot(&mut fig, &pr);
        add_optima_plot(&mut fig, &pr, &batches(p));
        fig.readouts = readouts(&pr);
        ((), fig)
    }

    fn job(&self, _plan: &(), _i: usize) -> Vec<Patch> {
        Vec::new()
    }
}
