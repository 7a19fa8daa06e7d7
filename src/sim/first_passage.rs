//! First-passage times by Monte Carlo: independent runs of the SGD chain of
//! [`crate::theory::first_passage`] from the minimum of a double well until they reach the
//! neighbouring minimum, or a cap on the steps; and the escape rate they measure.
//!
//! Runs that have not escaped after the cap are censored. The rate estimate is
//! γ̂ = (escapes)/(steps at risk), steps at risk = Σ min(T_i, cap): the maximum-likelihood rate
//! of an exponential first-passage law (which Kramers escape follows, up to the short
//! relaxation in the well) under censoring, and exactly 1/mean T when no run is censored. Its
//! standard error is the delta-method error of the ratio of two means.

use crate::rng::math::LANES;
use crate::rng::LaneRng;
use crate::theory::first_passage::Chain;

/// First-passage statistics of independent runs, each capped at the same number of steps.
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

/// Runs `walkers` runs of `chain` from w = 0, each until it reaches the neighbouring minimum
/// or `cap` steps. Sixteen runs go in lock-step on the lanes of one [`LaneRng`] seeded with
/// `seed`; a lane whose run ends starts the next, so the result depends on the seed alone.
pub fn first_passage(chain: &Chain, walkers: u64, cap: u64, seed: u64) -> Escapes {
    let mut out = Escapes::default();
    if walkers == 0 {
        return out;
    }
    if cap == 0 {
        for _ in 0..walkers {
            out.record(0, false);
        }
        return out;
    }
    let mut rng = LaneRng::new(seed);
    let Chain { land, lr, a, r } = *chain;
    let exit = land.exit();
    let drift = lr * r;
    let noise = lr * (a * r).max(0.0).sqrt();
    let (sa, sb) = (noise * land.ka.sqrt(), noise * land.kb.sqrt());
    let (wl, wr) = (land.wl, exit - land.wl);
    let (ka, kb, wb) = (land.ka, land.kb, land.wb);
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
