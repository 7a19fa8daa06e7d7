//! The one parameter schema.
//!
//! Every parameter of the explorer is declared once, in [`FIELDS`]: its permalink key, label,
//! unit, range, default (read from [`Params::default`]) and where it is used. The page builds
//! its controls from this table (exported as JSON by [`schema_json`]), the permalink is parsed
//! and written by [`parse_query`] and [`to_query`], and the command-line tool takes the same
//! query strings, so the three cannot drift apart.
//!
//! A query string is input from a stranger. [`parse_query`] never panics: a field that is not
//! valid (not a number, not finite, out of range, not one of the allowed words, too long) is
//! named in a [`ParamError`] and keeps its default, and the rest of the query still applies.

use crate::optimizer::Opt;
use serde::Serialize;
use std::fmt::Write as _;

/// Version of the permalink schema, written as `v=` in every query this build produces.
/// Version 2 added panels (`panel=`); a version-1 link is the ellipse explorer's (see
/// [`migrate`]).
pub const SCHEMA_VERSION: u32 = 2;

/// Longest query string that is parsed at all; a longer one is rejected whole.
pub const MAX_QUERY_LEN: usize = 4096;

/// Largest data set generated for real minibatch noise.
pub const MAX_DATA: u64 = 1_000_000;

/// Most walker-steps one Monte Carlo run (one point of a sweep) may ask for: about 15 s in a
/// browser. A link asking for more gets fewer steps, and says so.
pub const MAX_WORK: u64 = 1_000_000_000;

/// Most walker-steps (times the minibatch size, for real minibatches) one animation frame of
/// a live panel may ask for: about 50 ms.
pub const MAX_FRAME_WORK: u64 = 20_000_000;

/// Longest single value that is looked at.
const MAX_VALUE_LEN: usize = 64;

/// Which gradient-noise covariance C the model uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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

    fn from_word(word: &str) -> Option<Noise> {
        Self::WORDS
            .iter()
            .position(|w| *w == word)
            .map(|i| Self::ALL[i])
    }
}

/// The distribution of the gradient noise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

    fn from_word(w: &str) -> Option<Dist> {
        Self::WORDS
            .iter()
            .position(|x| *x == w)
            .map(|i| [Dist::Gauss, Dist::Student, Dist::Chi2][i])
    }
}

/// Every parameter of the explorer and of the command-line tool.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// The figure panel (`crate::panels`) the parameters are for.
    pub panel: &'static str,
    /// Points of a sweep (Monte Carlo points, or the grid of a theory curve).
    pub points: u64,
    /// Logarithmic y axis (1) or linear (0).
    pub ylog: u64,
    /// Loss contours behind the ellipses: none, loss, effective (H_eff,
    /// [`crate::theory::effective`]), both.
    pub contours: &'static str,
    // Fields of group A: momentum, noise-shape, second-order.
    // Fields of group B: escape, training-loss, bayes.
    /// A second learning rate λ₂, compared with λ (escape efficiency, Liu et al. Fig. 5).
    pub lr2: f64,
    /// Dimension D of the escape problem K = h₁I_D, C = σ²I_D (Liu et al. Fig. 5).
    pub esc_dim: u64,
    // Fields of group C: kramers, limit-cycles.
    // Fields of group D: fdr1, fdr-schedule, fdr-variance.
    /// Distance of the start from the minimum (FDR panels).
    pub w0: f64,
    /// Yaida's schedule: threshold X on |Ō_L/Ō_R − 1|.
    pub fdr_x: f64,
    /// Yaida's schedule: fractional decrease Y of the learning rate.
    pub fdr_y: f64,
    /// Yaida's schedule: steps between checks (an epoch).
    pub epoch: u64,
    // Fields of group E: fdr2, loss-band.
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
    /// Minibatches drawn with replacement (1) or without (0).
    pub replace: u64,
    /// Number of independent SGD walkers.
    pub walkers: u64,
    /// Seed of the walkers' random numbers.
    pub seed: u64,
    /// SGD steps to simulate (command line).
    pub steps: u64,
    /// SGD steps per animation frame (page).
    pub speed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            panel: "ellipses",
            points: 40,
            ylog: 0,
            contours: "none",
            // Fields of group A: momentum, noise-shape, second-order.
            // Fields of group B: escape, training-loss, bayes.
            lr2: 1.5,
            esc_dim: 1,
            // Fields of group C: kramers, limit-cycles.
            // Fields of group D: fdr1, fdr-schedule, fdr-variance.
            w0: 0.0,
            fdr_x: 0.01,
            fdr_y: 0.1,
            epoch: 100,
            // Fields of group E: fdr2, loss-band.
            quartic: 0.1,
            kappa: 100.0,
            dim: 2,
            lr: 0.5,
            mu: 0.0,
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
            replace: 0,
            walkers: 5000,
            seed: 1,
            steps: 1000,
            speed: 2,
        }
    }
}

/// A value of one field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// A real number.
    Real(f64),
    /// A whole number.
    Int(u64),
    /// One of the field's words.
    Word(&'static str),
}

impl Value {
    /// The value as it is written in a query string: a form that reads back exactly, plain
    /// decimal unless scientific notation is shorter (as for 1e-63).
    pub fn to_query_string(self) -> String {
        match self {
            Value::Real(x) => {
                let (plain, sci) = (format!("{x}"), format!("{x:e}"));
                if plain.len() <= 12 || plain.len() <= sci.len() {
                    plain
                } else {
                    sci
                }
            }
            Value::Int(n) => n.to_string(),
            Value::Word(w) => w.to_string(),
        }
    }
}

/// What values a field takes.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// A finite real number in `[min, max]`; `step` is the slider's resolution.
    Real { min: f64, max: f64, step: f64 },
    /// A whole number in `[min, max]`.
    Int { min: u64, max: u64, step: u64 },
    /// One of a fixed list of words.
    Choice(&'static [&'static str]),
}

/// A condition on another field: its key and the words for which a field matters.
pub type When = (&'static str, &'static [&'static str]);

/// One parameter: its key, how it is shown, what it accepts, and how to read and write it.
pub struct Field {
    /// Permalink and command-line key.
    pub key: &'static str,
    /// Label of the control (plain text; may contain Unicode symbols).
    pub label: &'static str,
    /// Unit shown beside the value, empty when dimensionless.
    pub unit: &'static str,
    /// One sentence on what the field does.
    pub help: &'static str,
    /// The values it accepts.
    pub kind: Kind,
    /// The field matters only when another field (a choice) has one of these words
    /// (`None`: always); the page hides it otherwise.
    pub when: Option<When>,
    get: fn(&Params) -> Value,
    set: fn(&mut Params, Value),
}

impl Field {
    /// This field's value in `p`.
    pub fn get(&self, p: &Params) -> Value {
        (self.get)(p)
    }

    /// This field's default value.
    pub fn default_value(&self) -> Value {
        (self.get)(&Params::default())
    }

    /// Checks a raw value against this field; returns it typed, or a message saying why not.
    pub fn validate(&self, raw: &str) -> Result<Value, String> {
        if raw.len() > MAX_VALUE_LEN {
            return Err(format!("value is longer than {MAX_VALUE_LEN} characters"));
        }
        let s = raw.trim();
        if s.is_empty() {
            return Err("value is empty".into());
        }
        match self.kind {
            Kind::Real { min, max, .. } => {
                let x: f64 = s
                    .parse()
                    .map_err(|_| format!("'{}' is not a number", printable(s)))?;
                if !x.is_finite() {
                    // Not echoed: a page never shows "NaN" or "inf", even quoting a stranger.
                    return Err("the value is not a finite number".into());
                }
                if !(min..=max).contains(&x) {
                    return Err(format!("{x} is outside the range [{min}, {max}]"));
                }
                Ok(Value::Real(x))
            }
            Kind::Int { min, max, .. } => {
                if !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("'{}' is not a whole number", printable(s)));
                }
                let n: u64 = s
                    .parse()
                    .map_err(|_| format!("'{}' is too large", printable(s)))?;
                if !(min..=max).contains(&n) {
                    return Err(format!("{n} is outside the range [{min}, {max}]"));
                }
                Ok(Value::Int(n))
            }
            Kind::Choice(words) => words
                .iter()
                .find(|w| **w == s)
                .map(|w| Value::Word(w))
                .ok_or_else(|| format!("'{}' is not one of {}", printable(s), words.join(", "))),
        }
    }

    /// Validates `raw` and, if it is valid, stores it in `p`.
    pub fn set_str(&self, p: &mut Params, raw: &str) -> Result<(), String> {
        let v = self.validate(raw)?;
        (self.set)(p, v);
        Ok(())
    }
}

/// Shortens and escapes a stranger's value for use inside a message (plain text only).
fn printable(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(24)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    if s.chars().count() > 24 {
        out.push('…');
    }
    out
}

macro_rules! real {
    ($key:literal, $f:ident, $label:literal, $unit:literal, $help:literal,
     [$min:expr, $max:expr, $step:expr], $when:expr) => {
        Field {
            key: $key,
            label: $label,
            unit: $unit,
            help: $help,
            kind: Kind::Real {
                min: $min,
                max: $max,
                step: $step,
            },
            when: $when,
            get: |p| Value::Real(p.$f),
            set: |p, v| {
                if let Value::Real(x) = v {
                    p.$f = x
                }
            },
        }
    };
}

macro_rules! real_cli {
    ($key:literal, $f:ident, $label:literal, $help:literal, [$min:expr, $max:expr]) => {
        real!($key, $f, $label, "", $help, [$min, $max, 0.001], None)
    };
}

macro_rules! int {
    ($key:literal, $f:ident, $label:literal, $help:literal, [$min:expr, $max:expr, $step:expr]) => {
        Field {
            key: $key,
            label: $label,
            unit: "",
            help: $help,
            kind: Kind::Int {
                min: $min,
                max: $max,
                step: $step,
            },
            when: None,
            get: |p| Value::Int(p.$f),
            set: |p, v| {
                if let Value::Int(n) = v {
                    p.$f = n
                }
            },
        }
    };
}

/// The words of `contours`.
pub const CONTOURS: &[&str] = &["none", "loss", "effective", "both"];

const SIGMA_NOISE: Option<When> = Some(("noise", &["white", "mixed"]));
const A_NOISE: Option<When> = Some(("noise", &["hessian", "mixed"]));
const GENERAL_NOISE: Option<When> = Some(("noise", &["general"]));
const FISHER_NOISE: Option<When> = Some(("noise", &["fisher"]));
const DATA_NOISE: Option<When> = Some(("noise", &["minibatch"]));
const QHM_OPT: Option<When> = Some(("opt", &["qhm"]));
const PRECOND_OPT: Option<When> = Some(("opt", &["precond"]));

/// The schema: every parameter, in the order the page shows them.
pub static FIELDS: &[Field] = &[
    Field {
        key: "panel",
        label: "panel",
        unit: "",
        help: "The figure shown: a query that names a panel starts from that panel's defaults.",
        kind: Kind::Choice(crate::panels::NAMES),
        when: None,
        get: |p| Value::Word(p.panel),
        set: |p, v| {
            if let Value::Word(w) = v {
                p.panel = w
            }
        },
    },
    real!(
        "lr",
        lr,
        "learning rate λ",
        "",
        "Step size of SGD.",
        [0.001, 4.0, 0.001],
        None
    ),
    real!(
        "mu",
        mu,
        "momentum μ",
        "",
        "Heavy-ball momentum (Liu et al., Eq. 5).",
        [0.0, 0.99, 0.01],
        None
    ),
    real!(
        "h1",
        h1,
        "Hessian eigenvalue h₁",
        "",
        "Curvature along the first eigenvector of K.",
        [0.0, 10.0, 0.01],
        None
    ),
    real!(
        "h2",
        h2,
        "Hessian eigenvalue h₂",
        "",
        "Curvature along the second eigenvector of K.",
        [0.0, 10.0, 0.01],
        None
    ),
    real!(
        "h_angle",
        h_angle,
        "Hessian angle",
        "°",
        "Rotation of the eigenbasis of K.",
        [-90.0, 90.0, 1.0],
        None
    ),
    Field {
        key: "noise",
        label: "noise",
        unit: "",
        help: "Covariance C of the gradient noise: σ²I, aK, σ²I + aK, or general.",
        kind: Kind::Choice(Noise::WORDS),
        when: None,
        get: |p| Value::Word(p.noise.word()),
        set: |p, v| {
            if let Value::Word(w) = v {
                if let Some(n) = Noise::from_word(w) {
                    p.noise = n
                }
            }
        },
    },
    real!(
        "sigma2",
        sigma2,
        "noise σ²",
        "",
        "Strength of the isotropic noise σ²I.",
        [0.0, 10.0, 0.01],
        SIGMA_NOISE
    ),
    real!(
        "a",
        a,
        "noise a",
        "",
        "Strength of the Hessian-aligned noise aK.",
        [0.0, 10.0, 0.01],
        A_NOISE
    ),
    real!(
        "c1",
        c1,
        "noise eigenvalue c₁",
        "",
        "First eigenvalue of a general C.",
        [0.0, 10.0, 0.01],
        GENERAL_NOISE
    ),
    real!(
        "c2",
        c2,
        "noise eigenvalue c₂",
        "",
        "Second eigenvalue of a general C.",
        [0.0, 10.0, 0.01],
        GENERAL_NOISE
    ),
    real!(
        "c_angle",
        c_angle,
        "noise angle",
        "°",
        "Rotation of the eigenbasis of a general C.",
        [-90.0, 90.0, 1.0],
        GENERAL_NOISE
    ),
    real!(
        "cf",
        cf,
        "noise c_f",
        "",
        "Strength of state-dependent noise C = c_f·KΣK.",
        [0.0, 10.0, 0.01],
        FISHER_NOISE
    ),
    Field {
        key: "opt",
        label: "optimizer",
        unit: "",
        help: "Update rule: SGD with momentum and dampening, Nesterov, QHM, damped Newton, \
               natural gradient, Adam, or SGD preconditioned by P.",
        kind: Kind::Choice(Opt::WORDS),
        when: None,
        get: |p| Value::Word(p.opt.word()),
        set: |p, v| {
            if let Value::Word(w) = v {
                if let Some(o) = Opt::from_word(w) {
                    p.opt = o
                }
            }
        },
    },
    Field {
        when: QHM_OPT,
        ..real_cli!(
            "qhm_nu",
            qhm_nu,
            "QHM ν",
            "QHM's interpolation ν between SGD (0) and \
        normalised momentum (1).",
            [0.0, 1.0]
        )
    },
    real_cli!(
        "damp",
        damp,
        "dampening",
        "Dampening ν of the momentum buffer (Yaida).",
        [0.0, 0.99]
    ),
    Field {
        when: PRECOND_OPT,
        ..real_cli!(
            "p1",
            p1,
            "preconditioner p₁",
            "First eigenvalue of P (opt=precond, Λ = λP).",
            [0.01, 10.0]
        )
    },
    Field {
        when: PRECOND_OPT,
        ..real_cli!(
            "p2",
            p2,
            "preconditioner p₂",
            "Second eigenvalue of P.",
            [0.01, 10.0]
        )
    },
    Field {
        when: PRECOND_OPT,
        ..real_cli!(
            "p_angle",
            p_angle,
            "preconditioner angle",
            "Rotation of P's eigenbasis, degrees.",
            [-90.0, 90.0]
        )
    },
    int!(
        "t",
        t,
        "steps t",
        "Steps for transient results: covariance after t steps from the \
        minimum, escape efficiency.",
        [0, 100_000, 1]
    ),
    Field {
        when: DATA_NOISE,
        ..int!(
            "n_data",
            n_data,
            "data set size N",
            "Number of training points N.",
            [1, 10_000_000, 1]
        )
    },
    Field {
        when: DATA_NOISE,
        ..int!(
            "batch",
            batch,
            "minibatch size S",
            "Minibatch size S (at most N).",
            [1, 10_000_000, 1]
        )
    },
    real_cli!(
        "dl",
        dl,
        "barrier ΔL",
        "Kramers problem: barrier height ΔL.",
        [1e-6, 100.0]
    ),
    real_cli!(
        "ka",
        ka,
        "well curvature k_a",
        "Kramers problem: curvature of the well.",
        [1e-6, 100.0]
    ),
    real_cli!(
        "kb",
        kb,
        "barrier curvature |k_b|",
        "Kramers problem: curvature of the barrier.",
        [1e-6, 100.0]
    ),
    real_cli!(
        "l_mid",
        l_mid,
        "midpoint l",
        "Kramers problem: fraction of the path at k_a.",
        [0.0, 1.0]
    ),
    real_cli!(
        "r",
        r,
        "loss scale r",
        "Kramers problem: the loss is scaled L → rL.",
        [1e-3, 1000.0]
    ),
    int!(
        "spec_d",
        spec_d,
        "spectrum dimension D",
        "Dimension D of a power-law Hessian spectrum \
        kᵢ = h1·i^(−spec_decay) (0: off). `nqm theory` gives its losses with the noise of `noise` \
        mode by mode: σ² (white, the default: Thm 8's ratio is then 1), a·kᵢ, σ² + a·kᵢ, or \
        Fisher; general and minibatch noise have no power-law counterpart (null, with a reason). \
        The escape panel's Thm 8 plot takes C ∝ K.",
        [0, 100_000, 1]
    ),
    real_cli!(
        "spec_decay",
        spec_decay,
        "spectrum decay",
        "Exponent of the power-law spectrum.",
        [0.0, 5.0]
    ),
    Field {
        key: "dist",
        label: "noise distribution",
        unit: "",
        help: "Distribution of the gradient noise: Gaussian, Student-t or centred χ² (Fig. 8), \
               rescaled to the covariance C.",
        kind: Kind::Choice(Dist::WORDS),
        when: None,
        get: |p| Value::Word(p.dist.word()),
        set: |p, v| {
            if let Value::Word(w) = v {
                if let Some(d) = Dist::from_word(w) {
                    p.dist = d
                }
            }
        },
    },
    int!(
        "dof",
        dof,
        "degrees of freedom",
        "Degrees of freedom of student (≥ 3) or chi2 (≥ 1); \
        0 means the paper's 4 and 3.",
        [0, 100, 1]
    ),
    Field {
        when: DATA_NOISE,
        ..int!(
            "replace",
            replace,
            "with replacement",
            "Minibatches drawn with replacement (1) or \
        without (0).",
            [0, 1, 1]
        )
    },
    int!(
        "walkers",
        walkers,
        "walkers",
        "Number of independent SGD runs.",
        [1, 100_000, 100]
    ),
    int!(
        "seed",
        seed,
        "seed",
        "Seed of the random numbers; the same seed gives the same run.",
        [0, (1u64 << 53) - 1, 1]
    ),
    int!(
        "speed",
        speed,
        "steps per frame",
        "SGD steps taken per animation frame.",
        [1, 50, 1]
    ),
    int!(
        "dim",
        dim,
        "dimension",
        "1 for the 1-D model (h1, and c1 or σ²), 2 for the 2-D model.",
        [1, 2, 1]
    ),
    Field {
        key: "contours",
        label: "contours",
        unit: "",
        help: "Contours behind the walkers: of the loss ½wᵀKw, of the effective loss ½wᵀH_eff w \
               (H_eff = ½ECΣ⁻¹, the Hessian whose continuous-time theory gives the exact Σ; \
               K − λK²/(2(1+μ)) for SGD with commuting noise; none, with the reason, where Σ⁻¹ is \
               no function of K), of both, or none.",
        kind: Kind::Choice(CONTOURS),
        when: None,
        get: |p| Value::Word(p.contours),
        set: |p, v| {
            if let Value::Word(w) = v {
                p.contours = w
            }
        },
    },
    // Fields of group A: momentum, noise-shape, second-order.
    // Fields of group B: escape, training-loss, bayes.
    real!(
        "lr2",
        lr2,
        "second learning rate λ₂",
        "",
        "A second learning rate, compared with λ (escape efficiency).",
        [0.001, 4.0, 0.001],
        None
    ),
    int!(
        "esc_dim",
        esc_dim,
        "dimension D",
        "Dimension D of the escape problem K = h₁I_D, C = σ²I_D: D independent coordinates, \
        so the work grows as walkers × D × steps.",
        [1, 100, 1]
    ),
    // Fields of group C: kramers, limit-cycles.
    // Fields of group D: fdr1, fdr-schedule, fdr-variance.
    real!(
        "w0",
        w0,
        "start distance |w₀|",
        "",
        "Distance of the start from the minimum, along the diagonal of K's eigenbasis \
         (buffer empty).",
        [0.0, 100.0, 0.1],
        None
    ),
    real!(
        "fdr_x",
        fdr_x,
        "threshold X",
        "",
        "Yaida's schedule: the learning rate drops when |Ō_L/Ō_R − 1| < X.",
        [0.0001, 1.0, 0.0001],
        None
    ),
    real!(
        "fdr_y",
        fdr_y,
        "decrease Y",
        "",
        "Yaida's schedule: each drop multiplies the learning rate by 1 − Y.",
        [0.01, 0.9, 0.01],
        None
    ),
    int!(
        "epoch",
        epoch,
        "steps per check",
        "Yaida's schedule: steps between checks of the relation (an epoch).",
        [10, 100_000, 10]
    ),
    // Fields of group E: fdr2, loss-band.
    real!(
        "quartic",
        quartic,
        "quartic strength g",
        "",
        "Strength g of the quartic term (g/4)Σθᵢ⁴ added to the loss ½θᵀKθ.",
        [0.0, 2.0, 0.01],
        None
    ),
    real!(
        "kappa",
        kappa,
        "condition number κ",
        "",
        "Condition number of the ill-conditioned Hessian diag(h₁, h₁/κ).",
        [1.0, 10_000.0, 1.0],
        None
    ),
    int!(
        "points",
        points,
        "points",
        "Points of a sweep: Monte Carlo points, one per value of the swept parameter.",
        [2, 200, 1]
    ),
    int!(
        "ylog",
        ylog,
        "log scale",
        "Logarithmic y axis (1) or linear (0).",
        [0, 1, 1]
    ),
    int!(
        "steps",
        steps,
        "steps",
        "SGD steps to simulate.",
        [0, 1_000_000, 1]
    ),
];

/// The field with this key.
pub fn field(key: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.key == key)
}

/// Who reads a query: the page takes only the fields shown on it, the command line all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// The explorer page and its permalinks.
    Page,
    /// The `nqm` command-line tool.
    Cli,
}

impl Field {
    /// Whether this field is read and written for `audience` when `panel` is shown: the
    /// command line takes every field, the page the panel's own.
    pub fn serves(&self, audience: Audience, panel: &str) -> bool {
        audience == Audience::Cli
            || self.key == "panel"
            || crate::panels::spec(panel).is_some_and(|s| s.keys.contains(&self.key))
    }
}

/// A query field that was rejected, and why; the field kept its previous (default) value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParamError {
    /// The key that was rejected (`query` for the query string as a whole).
    pub key: String,
    /// Why, in words.
    pub reason: String,
    /// The value used instead, as written in a query (absent when nothing replaces it).
    pub fallback: Option<String>,
}

impl ParamError {
    /// The whole message for the page: the key, why, and the value used instead.
    pub fn message(&self) -> String {
        match &self.fallback {
            Some(v) => format!("{}: {}; using {v} instead", self.key, self.reason),
            None => format!("{}: {}", self.key, self.reason),
        }
    }
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.reason)
    }
}

/// Parses a query string (`lr=1.5&noise=white`, with or without a leading `?`) on top of the
/// defaults of the panel it names (the ellipse explorer if none). Unknown keys, and for the
/// page keys that the panel does not use, are ignored; a key given twice takes its last value;
/// every rejected field is reported and keeps its default.
pub fn parse_query(query: &str, audience: Audience) -> (Params, Vec<ParamError>) {
    let mut p = Params::default();
    let errors = apply_query(&mut p, query, audience);
    (p, errors)
}

/// The `key=value` pairs of a query of schema version `version`, rewritten as the current
/// version writes them. Version 1 (before panels) described the ellipse explorer with the
/// same keys, so its links gain `panel=ellipses` and are otherwise read as they are.
pub fn migrate(version: u32, mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    if version == 1 {
        pairs.retain(|(k, _)| k != "panel");
        pairs.insert(0, ("panel".into(), "ellipses".into()));
    }
    pairs
}

/// Applies a query string on top of `p` (see [`parse_query`]). A query that names a panel
/// (`panel=…`, valid) starts again from that panel's defaults, so a permalink means the same
/// state whatever came before it.
pub fn apply_query(p: &mut Params, query: &str, audience: Audience) -> Vec<ParamError> {
    let mut errors = Vec::new();
    let query = query.strip_prefix('?').unwrap_or(query);
    if query.len() > MAX_QUERY_LEN {
        errors.push(ParamError {
            key: "query".into(),
            reason: format!(
                "the query is {} characters long, more than the {MAX_QUERY_LEN} allowed, \
                 so none of it was read",
                query.len()
            ),
            fallback: None,
        });
        return errors;
    }
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut version = SCHEMA_VERSION;
    if let Some((_, raw)) = pairs.iter().rev().find(|(k, _)| k == "v") {
        match raw.trim().parse::<u32>() {
            Ok(v) if (1..=SCHEMA_VERSION).contains(&v) => version = v,
            _ => errors.push(ParamError {
                key: "v".into(),
                reason: format!(
                    "'{}' is not a known schema version; the other fields were read as \
                     v={SCHEMA_VERSION}",
                    printable(raw)
                ),
                fallback: Some(SCHEMA_VERSION.to_string()),
            }),
        }
    }
    pairs.retain(|(k, _)| k != "v");
    pairs = migrate(version, pairs);
    if let Some((_, raw)) = pairs.iter().rev().find(|(k, _)| k == "panel") {
        let f = field("panel").expect("the schema has panel");
        match f.validate(raw) {
            Ok(Value::Word(name)) => *p = Params::for_panel(name),
            Ok(_) => {}
            Err(why) => errors.push(ParamError {
                key: "panel".into(),
                reason: why,
                fallback: Some(p.panel.into()),
            }),
        }
    }
    for (key, raw) in pairs.iter().filter(|(k, _)| k != "panel") {
        let Some(f) = field(key).filter(|f| f.serves(audience, p.panel)) else {
            continue;
        };
        if let Err(why) = f.set_str(p, raw) {
            errors.retain(|e: &ParamError| e.key != f.key);
            errors.push(ParamError {
                key: f.key.into(),
                reason: why,
                fallback: Some(f.get(p).to_query_string()),
            });
        } else {
            errors.retain(|e| e.key != f.key);
        }
    }
    errors.extend(p.reconcile_all());
    errors
}

/// The keys of `query` that are schema fields for `audience` with a valid value (for results
/// that are printed only when their inputs are given, such as `t`).
pub fn given_keys(query: &str, audience: Audience) -> Vec<&'static str> {
    let query = query.strip_prefix('?').unwrap_or(query);
    if query.len() > MAX_QUERY_LEN {
        return Vec::new();
    }
    let (p, _) = parse_query(query, audience);
    let mut keys: Vec<&'static str> = form_urlencoded::parse(query.as_bytes())
        .filter_map(|(k, v)| {
            field(&k)
                .filter(|f| f.serves(audience, p.panel) && f.validate(&v).is_ok())
                .map(|f| f.key)
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Writes `v=`, `panel=` and every field of `p` for `audience` (for the page: the panel's
/// fields) as a query string, in schema order. Reading it back with [`parse_query`] gives
/// the same state.
pub fn to_query(p: &Params, audience: Audience) -> String {
    let mut out = format!("v={SCHEMA_VERSION}");
    for f in FIELDS.iter().filter(|f| f.serves(audience, p.panel)) {
        let _ = write!(out, "&{}={}", f.key, f.get(p).to_query_string());
    }
    out
}

#[derive(Serialize)]
struct FieldJson {
    key: &'static str,
    label: &'static str,
    unit: &'static str,
    help: &'static str,
    kind: &'static str,
    min: Option<f64>,
    max: Option<f64>,
    step: Option<f64>,
    options: Option<&'static [&'static str]>,
    default: String,
    when: Option<When>,
}

/// The schema as JSON, for building controls: one object per field with `key`, `label`,
/// `unit`, `help`, `kind` (`real`, `int`, `choice`), `min`, `max`, `step`, `options` (the words
/// the page offers),
/// `default` (the ellipse explorer's; each panel's own are in its `defaults`) and
/// `when`.
pub fn schema_json() -> String {
    let fields: Vec<FieldJson> = FIELDS
        .iter()
        .map(|f| {
            let (kind, min, max, step, options) = match f.kind {
                Kind::Real { min, max, step } => ("real", Some(min), Some(max), Some(step), None),
                Kind::Int { min, max, step } => (
                    "int",
                    Some(min as f64),
                    Some(max as f64),
                    Some(step as f64),
                    None,
                ),
                Kind::Choice(words) => ("choice", None, None, None, Some(words)),
            };
            FieldJson {
                key: f.key,
                label: f.label,
                unit: f.unit,
                help: f.help,
                kind,
                min,
                max,
                step,
                options,
                default: f.default_value().to_query_string(),
                when: f.when,
            }
        })
        .collect();
    serde_json::to_string(&fields).expect("schema serialises")
}

/// One line per field, for `--help` texts.
pub fn help_text() -> String {
    let mut out = String::new();
    for f in FIELDS {
        let range = match f.kind {
            Kind::Real { min, max, .. } => format!("real in [{min}, {max}]"),
            Kind::Int { min, max, .. } => format!("integer in [{min}, {max}]"),
            Kind::Choice(words) => words.join("|"),
        };
        let _ = writeln!(
            out,
            "  {:<8} {} (default {}{}) — {}",
            f.key,
            range,
            f.default_value().to_query_string(),
            f.unit,
            f.help
        );
    }
    out
}

impl Params {
    /// The defaults of panel `name` (the general defaults if there is no such panel).
    pub fn for_panel(name: &str) -> Params {
        let mut p = Params::default();
        if let Some(spec) = crate::panels::spec(name) {
            p.panel = spec.name;
            (spec.defaults)(&mut p);
        }
        p
    }

    /// The state of panel `name` after `query` (its defaults, then the query on top, read for
    /// `audience`), and the fields that were rejected.
    pub fn for_panel_query(
        name: &str,
        query: &str,
        audience: Audience,
    ) -> (Params, Vec<ParamError>) {
        let mut p = Params::for_panel(name);
        let errors = apply_query(&mut p, query, audience);
        (p, errors)
    }

    /// [`Params::reconcile`] until every rule holds; every change it made.
    pub fn reconcile_all(&mut self) -> Vec<ParamError> {
        let mut out = Vec::new();
        // Each fix only lowers a value, so a few rounds settle it.
        for _ in 0..8 {
            match self.reconcile() {
                Some(e) => out.push(e),
                None => break,
            }
        }
        out
    }

    /// Enforces the rules between fields — a minibatch is no larger than the data set — and
    /// reports what it changed.
    pub fn reconcile(&mut self) -> Option<ParamError> {
        if self.dist == Dist::Student && (1..3).contains(&self.dof) {
            let was = self.dof;
            self.dof = 0;
            return Some(ParamError {
                key: "dof".into(),
                reason: format!("{was} degrees of freedom give Student-t noise no finite variance"),
                fallback: Some("0".into()),
            });
        }
        if self.noise == Noise::Minibatch && self.n_data > MAX_DATA {
            let was = self.n_data;
            self.n_data = MAX_DATA;
            self.batch = self.batch.min(MAX_DATA);
            return Some(ParamError {
                key: "n_data".into(),
                reason: format!(
                    "{was} points are more than the {MAX_DATA} a generated data set holds"
                ),
                fallback: Some(MAX_DATA.to_string()),
            });
        }
        // Each walker-step of real minibatch noise costs a minibatch of gradients.
        let unit = if self.noise == Noise::Minibatch {
            self.batch.max(1)
        } else {
            1
        };
        let per_step = self.walkers.max(1).saturating_mul(unit);
        if per_step.saturating_mul(self.steps) > MAX_WORK {
            let was = self.steps;
            self.steps = (MAX_WORK / per_step).max(1);
            return Some(ParamError {
                key: "steps".into(),
                reason: format!(
                    "{was} steps × {} walkers{} is more than the {MAX_WORK} walker-steps one run \
                     may take",
                    self.walkers,
                    if unit > 1 { " × the minibatch" } else { "" }
                ),
                fallback: Some(self.steps.to_string()),
            });
        }
        let live = crate::panels::spec(self.panel).is_some_and(|s| s.live);
        if live && per_step.saturating_mul(self.speed) > MAX_FRAME_WORK {
            let was = (self.walkers, self.speed);
            self.speed = (MAX_FRAME_WORK / per_step).max(1);
            if per_step > MAX_FRAME_WORK {
                self.walkers = (MAX_FRAME_WORK / unit).max(1);
            }
            return Some(ParamError {
                key: if self.walkers != was.0 {
                    "walkers"
                } else {
                    "speed"
                }
                .into(),
                reason: format!(
                    "{} walkers × {} steps a frame{} is more work than a frame can do",
                    was.0,
                    was.1,
                    if unit > 1 { " × the minibatch" } else { "" }
                ),
                fallback: Some(if self.walkers != was.0 {
                    self.walkers.to_string()
                } else {
                    self.speed.to_string()
                }),
            });
        }
        if self.batch > self.n_data {
            let was = self.batch;
            self.batch = self.n_data;
            return Some(ParamError {
                key: "batch".into(),
                reason: format!(
                    "{was} is larger than the data set, n_data = {}",
                    self.n_data
                ),
                fallback: Some(self.batch.to_string()),
            });
        }
        None
    }

    /// The value of the field with this key as it is written in a query.
    pub fn get_str(&self, key: &str) -> Option<String> {
        field(key).map(|f| f.get(self).to_query_string())
    }

    /// The fields for `audience` as a JSON object keyed as in the query (numbers as numbers).
    pub fn to_json(&self, audience: Audience) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for f in FIELDS.iter().filter(|f| f.serves(audience, self.panel)) {
            let v = match f.get(self) {
                Value::Real(x) => serde_json::json!(x),
                Value::Int(n) => serde_json::json!(n),
                Value::Word(w) => serde_json::json!(w),
            };
            map.insert(f.key.into(), v);
        }
        serde_json::Value::Object(map)
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

    #[test]
    fn every_default_validates() {
        for f in FIELDS {
            let s = f.default_value().to_query_string();
            assert_eq!(f.validate(&s), Ok(f.default_value()), "{}", f.key);
        }
    }
}
