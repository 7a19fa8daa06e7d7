//! The fields of the schema: for every parameter its key, label, unit, help, the values it
//! accepts and how it is read from and written to a [`Params`]. The page builds its controls
//! from this table ([`schema_json`]), the permalink and the command line parse and write
//! through it, and `nqm help` prints it ([`help_text`]), so the four cannot drift apart.

use super::{Contours, Dist, Noise, Params};
use crate::optimizer::Opt;
use serde::Serialize;
use std::fmt::Write as _;

/// Longest single value that is looked at.
const MAX_VALUE_LEN: usize = 64;

/// A value of one field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// A real number.
    Real(f64),
    /// A whole number.
    Int(u64),
    /// Yes or no (written 1 or 0).
    Bool(bool),
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
            Value::Bool(b) => u8::from(b).to_string(),
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
    /// Yes (1) or no (0).
    Bool,
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
    /// A word accepted besides the numbers of the range (`mu=auto`: optimise μ too), for
    /// the panels that take it (`crate::panels::Spec::accepts`).
    pub word: Option<&'static str>,
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
        if let Some(w) = self.word.filter(|w| *w == s) {
            return Ok(Value::Word(w));
        }
        match self.kind {
            Kind::Real { min, max, .. } => validate_real(s, min, max),
            Kind::Int { min, max, .. } => validate_int(s, min, max),
            Kind::Bool => match s {
                "1" | "true" => Ok(Value::Bool(true)),
                "0" | "false" => Ok(Value::Bool(false)),
                _ => Err(format!("'{}' is not 0 or 1", printable(s))),
            },
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

fn validate_real(s: &str, min: f64, max: f64) -> Result<Value, String> {
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

fn validate_int(s: &str, min: u64, max: u64) -> Result<Value, String> {
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

/// Shortens and escapes a stranger's value for use inside a message (plain text only).
pub fn printable(s: &str) -> String {
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
            word: None,
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
            word: None,
            get: |p| Value::Int(p.$f),
            set: |p, v| {
                if let Value::Int(n) = v {
                    p.$f = n
                }
            },
        }
    };
}

macro_rules! boolean {
    ($key:literal, $f:ident, $label:literal, $help:literal) => {
        Field {
            key: $key,
            label: $label,
            unit: "",
            help: $help,
            kind: Kind::Bool,
            when: None,
            word: None,
            get: |p| Value::Bool(p.$f),
            set: |p, v| {
                if let Value::Bool(b) = v {
                    p.$f = b
                }
            },
        }
    };
}

const SIGMA_NOISE: Option<When> = Some(("noise", &["white", "mixed"]));
const A_NOISE: Option<When> = Some(("noise", &["hessian", "mixed"]));
const GENERAL_NOISE: Option<When> = Some(("noise", &["general"]));
const FISHER_NOISE: Option<When> = Some(("noise", &["fisher"]));
const DATA_NOISE: Option<When> = Some(("noise", &["minibatch"]));
const QHM_OPT: Option<When> = Some(("opt", &["qhm"]));
const PRECOND_OPT: Option<When> = Some(("opt", &["precond"]));

/// The schema: every parameter, in the order the page shows them.
pub static FIELDS: &[Field] = &[
    real!(
        "lr",
        lr,
        "learning rate λ",
        "",
        "Step size of SGD.",
        [0.001, 4.0, 0.001],
        None
    ),
    Field {
        key: "mu",
        label: "momentum μ",
        unit: "",
        help: "Heavy-ball momentum (Liu et al., Eq. 5); `auto` (batch-size panel) optimises μ \
               too, over a grid.",
        kind: Kind::Real {
            min: 0.0,
            max: 0.99,
            step: 0.01,
        },
        when: None,
        word: Some("auto"),
        get: |p| {
            if p.mu_auto {
                Value::Word("auto")
            } else {
                Value::Real(p.mu)
            }
        },
        set: |p, v| match v {
            Value::Real(x) => {
                p.mu = x;
                p.mu_auto = false;
            }
            Value::Word(_) => p.mu_auto = true,
            _ => {}
        },
    },
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
        word: None,
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
        word: None,
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
            "Number of training points N (0: infinite data, batch-size panel only).",
            [0, 10_000_000, 1]
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
        word: None,
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
        ..boolean!(
            "replace",
            replace,
            "with replacement",
            "Minibatches drawn with replacement (1) or without (0)."
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
        kind: Kind::Choice(Contours::WORDS),
        when: None,
        word: None,
        get: |p| Value::Word(p.contours.word()),
        set: |p, v| {
            if let Value::Word(w) = v {
                if let Some(c) = Contours::from_word(w) {
                    p.contours = c
                }
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
    // Fields of the batch-size panel.
    real!(
        "theta0",
        theta0,
        "start θ₀",
        "",
        "The start θᵢ(0) = θ₀ in every direction of the power-law model.",
        [0.001, 100.0, 0.001],
        None
    ),
    real!(
        "target",
        target,
        "target",
        "× L(0)",
        "The target loss, as a fraction of the initial expected loss L(0).",
        [0.0001, 0.99, 0.0001],
        None
    ),
    int!(
        "max_steps",
        max_steps,
        "most steps",
        "The most steps looked at for the target; a batch size that needs more is named, not \
        drawn.",
        [1, 1_000_000, 1]
    ),
    int!(
        "batch_max",
        batch_max,
        "largest batch",
        "The batch sizes are the powers of two from 1 to this.",
        [1, 1_048_576, 1]
    ),
    real!(
        "gamma",
        gamma,
        "preconditioner power γ",
        "",
        "SGD preconditioned by P = H^(−γ): 0 is plain SGD, 1 is Newton's direction.",
        [0.0, 1.0, 0.05],
        None
    ),
    real!(
        "ema",
        ema,
        "EMA decay β",
        "",
        "Decay β of the exponential moving average of the iterates, θ̄ ← βθ̄ + (1 − β)θ \
         (0: no EMA).",
        [0.0, 0.99, 0.01],
        None
    ),
    int!(
        "points",
        points,
        "points",
        "Points of a sweep: Monte Carlo points, one per value of the swept parameter.",
        [2, 200, 1]
    ),
    boolean!(
        "ylog",
        ylog,
        "log scale",
        "Logarithmic y axis (1) or linear (0)."
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
    word: Option<&'static str>,
}

impl Field {
    fn json(&self) -> FieldJson {
        let (kind, min, max, step, options) = match self.kind {
            Kind::Real { min, max, step } => ("real", Some(min), Some(max), Some(step), None),
            Kind::Int { min, max, step } => (
                "int",
                Some(min as f64),
                Some(max as f64),
                Some(step as f64),
                None,
            ),
            Kind::Bool => ("bool", None, None, None, None),
            Kind::Choice(words) => ("choice", None, None, None, Some(words)),
        };
        FieldJson {
            key: self.key,
            label: self.label,
            unit: self.unit,
            help: self.help,
            kind,
            min,
            max,
            step,
            options,
            default: self.default_value().to_query_string(),
            when: self.when,
            word: self.word,
        }
    }
}

/// The schema as JSON, for building controls: one object per field with `key`, `label`,
/// `unit`, `help`, `kind` (`real`, `int`, `bool`, `choice`), `min`, `max`, `step`, `options`
/// (the words the page offers), `default` (the general default; each panel's own are in its
/// `defaults`) and `when`.
pub fn schema_json() -> String {
    let fields: Vec<FieldJson> = FIELDS.iter().map(Field::json).collect();
    serde_json::to_string(&fields).expect("schema serialises")
}

/// One line per field, for `--help` texts.
pub fn help_text() -> String {
    let mut out = String::new();
    for f in FIELDS {
        let range = match f.kind {
            Kind::Real { min, max, .. } => format!("real in [{min}, {max}]"),
            Kind::Int { min, max, .. } => format!("integer in [{min}, {max}]"),
            Kind::Bool => "0|1".to_string(),
            Kind::Choice(words) => words.join("|"),
        };
        let range = match f.word {
            Some(w) => format!("{range} or {w}"),
            None => range,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_validates() {
        for f in FIELDS {
            let s = f.default_value().to_query_string();
            assert_eq!(f.validate(&s), Ok(f.default_value()), "{}", f.key);
        }
    }
}
