//! The one parameter schema.
//!
//! Every parameter of the explorer is declared once, in [`FIELDS`] ([`schema`]): its permalink
//! key, label, unit, range, default (read from [`Params::default`]) and where it is used. The
//! page builds its controls from that table, permalinks and the command line are parsed and
//! written through it ([`query`]), and [`convert`] is the one place that turns a [`Params`] into
//! the core's typed values (the model, the optimizer, the walkers' dynamics), so that nothing
//! below this floor sees the schema. Which fields a panel shows, and its defaults, belong to
//! the panels (`crate::panels::query`).
//!
//! A query string is input from a stranger: a field that is not valid (not a number, not
//! finite, out of range, not one of the allowed words, too long) is named in a [`ParamError`]
//! and keeps its previous value, and the rest of the query still applies. [`rules`] enforces
//! the rules between fields (a minibatch no larger than the data set, the work caps).

pub mod convert;
pub mod query;
pub mod rules;
pub mod schema;
pub mod spectrum;

pub use query::{ParamError, MAX_QUERY_LEN, SCHEMA_VERSION};
pub use rules::{MAX_DATA, MAX_FRAME_WORK, MAX_WALKER_COORDS, MAX_WORK};
pub use schema::{field, help_text, schema_json, Field, Kind, Value, When, FIELDS};

use crate::model::spectrum::Spectrum;
use crate::optimizer::Opt;
use serde::{Deserialize, Serialize};

/// Which gradient-noise covariance C the model uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Noise {
    /// White noise C = σ²I (Liu et al., Cor. 3).
    White,
    /// Hessian-aligned noise C = aK (Liu et al., Cor. 2).
    Hessian,
    /// Mixed noise C = σ²I + aK (Liu et al., Thm 4).
    Mixed,
    /// General C with eigenvalues c1, c2 and its own rotation angle; need not commute with K.
    General,
    /// State-dependent noise C = c_f·KΣK, proportional to the Fisher information (Liu et al.
    /// Cor. 6, Thm 10).
    Fisher,
    /// The true gradient of random minibatches of a generated regression data set (Sec. 5):
    /// `n_data` points, minibatch `batch`, `replace`; σ² is the label-noise variance.
    Minibatch,
}

impl Noise {
    /// The permalink words, in the order of the enum.
    pub const WORDS: &'static [&'static str] = &[
        "white",
        "hessian",
        "mixed",
        "general",
        "fisher",
        "minibatch",
    ];
    const ALL: [Noise; 6] = [
        Noise::White,
        Noise::Hessian,
        Noise::Mixed,
        Noise::General,
        Noise::Fisher,
        Noise::Minibatch,
    ];

    /// The permalink word of this noise kind.
    pub fn word(self) -> &'static str {
        Self::WORDS[self as usize]
    }

    /// The noise kind a permalink word names.
    pub fn from_word(word: &str) -> Option<Noise> {
        Self::WORDS
            .iter()
            .position(|w| *w == word)
            .map(|i| Self::ALL[i])
    }
}

/// The distribution of the gradient noise, as the schema names it (its degrees of freedom are
/// the field `dof`; [`crate::sim::Shape`] carries both).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dist {
    /// Gaussian.
    Gauss,
    /// Student-t, rescaled to the requested covariance.
    Student,
    /// Centred χ², rescaled to the requested covariance.
    Chi2,
}

impl Dist {
    /// The permalink words.
    pub const WORDS: &'static [&'static str] = &["gauss", "student", "chi2"];

    /// The permalink word.
    pub fn word(self) -> &'static str {
        Self::WORDS[self as usize]
    }

    /// The distribution a permalink word names.
    pub fn from_word(w: &str) -> Option<Dist> {
        Self::WORDS
            .iter()
            .position(|x| *x == w)
            .map(|i| [Dist::Gauss, Dist::Student, Dist::Chi2][i])
    }
}

/// Which loss contours the ellipse panel draws behind its walkers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Contours {
    /// None.
    None,
    /// The loss ½wᵀKw.
    Loss,
    /// The effective loss (Liu et al. Sec. 4.6).
    Effective,
    /// Both.
    Both,
}

impl Contours {
    /// The permalink words, in the order of the enum.
    pub const WORDS: &'static [&'static str] = &["none", "loss", "effective", "both"];
    const ALL: [Contours; 4] = [
        Contours::None,
        Contours::Loss,
        Contours::Effective,
        Contours::Both,
    ];

    /// The permalink word.
    pub fn word(self) -> &'static str {
        Self::WORDS[self as usize]
    }

    /// The contours a permalink word names.
    pub fn from_word(w: &str) -> Option<Contours> {
        Self::WORDS
            .iter()
            .position(|x| *x == w)
            .map(|i| Self::ALL[i])
    }

    /// Whether the loss contours are drawn.
    pub fn loss(self) -> bool {
        matches!(self, Contours::Loss | Contours::Both)
    }

    /// Whether the effective-loss contours are drawn.
    pub fn effective(self) -> bool {
        matches!(self, Contours::Effective | Contours::Both)
    }
}

/// Every parameter of the explorer and of the command-line tool: the values of the fields of
/// [`FIELDS`], and the panel they are for. Plain data: it serialises (a plan carries it to a
/// worker) and it is compared field by field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// The name of the figure panel the parameters are for (the panels' registry checks it).
    pub panel: String,
    /// Points of a sweep (Monte Carlo points, or the grid of a theory curve).
    pub points: u64,
    /// Logarithmic y axis.
    pub ylog: bool,
    /// Loss contours behind the ellipses: none, loss, effective (H_eff,
    /// [`crate::theory::effective`]), both.
    pub contours: Contours,
    /// A second learning rate λ₂, compared with λ (escape efficiency, Liu et al. Fig. 5).
    pub lr2: f64,
    /// Dimension D of the escape problem K = h₁I_D, C = σ²I_D (Liu et al. Fig. 5).
    pub esc_dim: u64,
    /// Distance of the start from the minimum (FDR panels).
    pub w0: f64,
    /// Yaida's schedule: threshold X on |Ō_L/Ō_R − 1|.
    pub fdr_x: f64,
    /// Yaida's schedule: fractional decrease Y of the learning rate.
    pub fdr_y: f64,
    /// Yaida's schedule: steps between checks (an epoch).
    pub epoch: u64,
    /// Strength g of the quartic term (g/4)Σθᵢ⁴ added to the quadratic loss (panel fdr2).
    pub quartic: f64,
    /// Condition number κ of the ill-conditioned Hessian diag(h1, h1/κ) (panel loss-band).
    pub kappa: f64,
    /// Dimension of the model: 1 (h1 and c1 or σ² only) or 2.
    pub dim: u64,
    /// Learning rate λ.
    pub lr: f64,
    /// Heavy-ball momentum μ ∈ [0, 1) (Liu et al., Eq. 5).
    pub mu: f64,
    /// `mu=auto`: μ is optimised too (panels that accept it; `mu` then holds no value used).
    pub mu_auto: bool,
    /// First Hessian eigenvalue.
    pub h1: f64,
    /// Second Hessian eigenvalue.
    pub h2: f64,
    /// Rotation of the Hessian eigenbasis, degrees.
    pub h_angle: f64,
    /// Kind of gradient noise.
    pub noise: Noise,
    /// Strength σ² of the isotropic part of the noise.
    pub sigma2: f64,
    /// Strength a of the Hessian-aligned part of the noise.
    pub a: f64,
    /// First eigenvalue of a general noise covariance.
    pub c1: f64,
    /// Second eigenvalue of a general noise covariance.
    pub c2: f64,
    /// Rotation of a general noise covariance's eigenbasis, degrees.
    pub c_angle: f64,
    /// Coefficient c_f of state-dependent noise C = c_f·KΣK.
    pub cf: f64,
    /// The optimizer.
    pub opt: Opt,
    /// QHM's ν (Liu et al. Eq. 72).
    pub qhm_nu: f64,
    /// Dampening ν of the momentum buffer (Yaida Eq. 10).
    pub damp: f64,
    /// First eigenvalue of the preconditioner P (Λ = λP).
    pub p1: f64,
    /// Second eigenvalue of the preconditioner P.
    pub p2: f64,
    /// Rotation of the preconditioner's eigenbasis, degrees.
    pub p_angle: f64,
    /// Number of steps for transient results (covariance after t steps, escape efficiency).
    pub t: u64,
    /// Size N of the data set.
    pub n_data: u64,
    /// Minibatch size S.
    pub batch: u64,
    /// Kramers problem: barrier height ΔL.
    pub dl: f64,
    /// Kramers problem: curvature k_a of the well.
    pub ka: f64,
    /// Kramers problem: curvature |k_b| of the barrier top.
    pub kb: f64,
    /// Kramers problem: fraction l of the escape path with curvature k_a.
    pub l_mid: f64,
    /// Kramers problem: scale r of the loss, L → rL.
    pub r: f64,
    /// Dimension of a power-law Hessian spectrum kᵢ = h1·i^(−spec_decay) (0: none).
    pub spec_d: u64,
    /// Exponent of the power-law spectrum.
    pub spec_decay: f64,
    /// Distribution of the gradient noise: `gauss`, `student` or `chi2` (Fig. 8).
    pub dist: Dist,
    /// Degrees of freedom of `student` or `chi2` (0: the paper's 4 and 3).
    pub dof: u64,
    /// Minibatches drawn with replacement.
    pub replace: bool,
    /// Number of independent SGD walkers.
    pub walkers: u64,
    /// Seed of the walkers' random numbers.
    pub seed: u64,
    /// SGD steps to simulate (command line).
    pub steps: u64,
    /// SGD steps per animation frame (page).
    pub speed: u64,
    /// The start θᵢ(0) = θ₀ in every direction (batch-size panel).
    pub theta0: f64,
    /// The target loss as a fraction of the initial expected loss.
    pub target: f64,
    /// The most steps looked at for the target.
    pub max_steps: u64,
    /// The largest batch size: batch sizes are the powers of two from 1 to it.
    pub batch_max: u64,
    /// The power γ of the preconditioner P = H^(−γ).
    pub gamma: f64,
    /// The decay β of the exponential moving average of the iterates (0: off).
    pub ema: f64,
    /// A measured spectrum in place of the power law (`spec_d`, `spec_decay`, `h1`), for the
    /// panels that take one (`spectrum=` in a query, [`spectrum`]).
    pub spectrum: Option<Spectrum>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            panel: "ellipses".into(),
            points: 40,
            ylog: false,
            contours: Contours::None,
            lr2: 1.5,
            esc_dim: 1,
            w0: 0.0,
            fdr_x: 0.01,
            fdr_y: 0.1,
            epoch: 100,
            quartic: 0.1,
            kappa: 100.0,
            dim: 2,
            lr: 0.5,
            mu: 0.0,
            mu_auto: false,
            h1: 1.0,
            h2: 0.1,
            h_angle: 0.0,
            noise: Noise::White,
            sigma2: 1.0,
            a: 1.0,
            c1: 1.0,
            c2: 0.2,
            c_angle: 30.0,
            cf: 0.1,
            opt: Opt::Sgd,
            qhm_nu: 0.7,
            damp: 0.0,
            p1: 1.0,
            p2: 1.0,
            p_angle: 0.0,
            t: 100,
            n_data: 1000,
            batch: 100,
            dl: 0.01,
            ka: 1.0,
            kb: 1.0,
            l_mid: 0.5,
            r: 1.0,
            spec_d: 0,
            spec_decay: 1.0,
            dist: Dist::Gauss,
            dof: 0,
            replace: false,
            walkers: 5000,
            seed: 1,
            steps: 1000,
            speed: 2,
            theta0: 1.0,
            target: 0.02,
            max_steps: 100_000,
            batch_max: 4096,
            gamma: 0.5,
            ema: 0.9,
            spectrum: None,
        }
    }
}

impl Params {
    /// The value of the field with this key as it is written in a query.
    pub fn get_str(&self, key: &str) -> Option<String> {
        field(key).map(|f| f.get(self).to_query_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_paper() {
        let p = Params::default();
        assert_eq!((p.h1, p.h2, p.walkers), (1.0, 0.1, 5000));
    }
}
