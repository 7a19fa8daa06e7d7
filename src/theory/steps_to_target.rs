//! The fewest steps to a target loss at the best constant learning rate, T*, exactly: Zhang et
//! al. (2019), *Which algorithmic choices matter at which batch sizes?*, Sec. 3.2 ("steps to
//! target" at the optimal fixed learning rate, their Figs. 4–6).
//!
//! For a rate α the steps to the target are the first hitting time
//! τ(α) = min{t : L(t; α) ≤ ℓ} of the exact expected loss ([`super::diagonal`]); L need not
//! fall monotonically (momentum oscillates, and a large rate's noise can lift the loss before
//! it settles). T* = min_α τ(α), and the identity
//! T* = min{t : inf_α L(t; α) ≤ ℓ}
//! (the first step at which some rate has reached the target) holds without monotonicity. The
//! search goes through the steps in windows [t₁, t₂] that double while no rate can reach the
//! target in them and halve when one might, down to single steps: a window is ruled out when
//! inf_α B(t₁, t₂; α) > ℓ for a lower bound B of L over the window that is exact for t₁ = t₂
//! (the variance part at t₁, since it never decreases, plus the smallest squared mean over the
//! window: [`super::per_direction::Mode::window_bound`]). So no step before T* is skipped, whether or
//! not inf_α L(t; α) is monotone in t (for momentum it is not), and about 2 log₂ T* windows
//! are tried.
//!
//! The infimum over α at each window: a logarithmic grid of rates between a lower bound below
//! which no rate can reach ℓ by t₂ (the top direction alone keeps L above ℓ: L ≥ L(0)·r₁^(t₂)) and
//! the stability limit (or, for one-component methods, the rate whose least possible loss
//! ½Σhᵢ min(θ₀², sᵢ*(α)) exceeds ℓ), denser where momentum makes L ripple in α, then golden-
//! section refinement of every local minimum on the grid below 2ℓ. The rates that achieve T*
//! form an interval around the minimiser of L(T*; ·); its ends are found by bisection and its
//! midpoint is reported as the optimal rate.

use super::per_direction::{Method, Mode, Problem};
use serde::{Deserialize, Serialize};

/// The fewest steps and the rates that achieve them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Best {
    /// T*: the fewest steps to the target at a constant rate.
    pub steps: u64,
    /// The interval of rates that reach the target in T* steps.
    pub rates: (f64, f64),
    /// The rate that minimises L(T*; α).
    pub minimiser: f64,
}

impl Best {
    /// The optimal rate: the midpoint of the interval that achieves T*.
    pub fn rate(&self) -> f64 {
        0.5 * (self.rates.0 + self.rates.1)
    }
}

/// Grid points of the rates at each window, at least (two-component methods).
const GRID: usize = 32;

/// Rates per half-period π of the top direction's phase t·φ (momentum, see [`Search::grid`]).
const PHASE_STEPS: u64 = 4;

/// At most this many phase-uniform rates per window.
const MAX_PHASE_RATES: u64 = 4096;

/// Momentum's loss ripples in α with amplitude about μᵗL(0); while that exceeds this fraction
/// of ℓ, the grid of rates gets the phase-uniform ones of [`Search::grid`] (checked against
/// a brute-force scan of rates in tests/core/steps_to_target.rs).
const RIPPLE: f64 = 1e-4;

/// One direction of a one-component method: its weight ½wᵢhᵢ in the loss, its step
/// coefficient sᵢ (q = 1 − αsᵢ) and noise coefficient eᵢ (the noise adds α²eᵢ per step).
#[derive(Clone, Copy, Debug)]
struct OneDir {
    weight: f64,
    step: f64,
    noise: f64,
}

impl OneDir {
    /// s*(α) = α²e/(1 − q²) = αe/(s(2 − αs)).
    fn stationary(&self, rate: f64) -> f64 {
        rate * self.noise / (self.step * (2.0 - rate * self.step))
    }

    fn r(&self, rate: f64) -> f64 {
        let q = 1.0 - rate * self.step;
        q * q
    }
}

/// rᵗ for r ∈ [0, 1), t ≥ 1.
fn pow_r(r: f64, t: u64) -> f64 {
    if r == 0.0 {
        0.0
    } else {
        (t as f64 * r.ln()).exp()
    }
}

/// One search: a method on a problem, the target loss ℓ and the steps looked at.
pub struct Search<'a> {
    problem: &'a Problem,
    method: Method,
    level: f64,
    /// The first step looked at (earlier ones are known to be above ℓ) and the last.
    steps: (u64, u64),
    /// The stability limit.
    limit: f64,
    /// Rates above this cannot reach ℓ (their least possible loss exceeds it).
    ceiling: f64,
    /// The largest step coefficient sᵢ over the directions.
    step_max: f64,
    /// The directions of a one-component method (empty for two components).
    one: Vec<OneDir>,
}

impl<'a> Search<'a> {
    /// A search for the first step with L ≤ `level` within `max_steps` steps.
    pub fn new(problem: &'a Problem, method: Method, level: f64, max_steps: u64) -> Search<'a> {
        let one: Vec<OneDir> = match method {
            Method::Sgd | Method::Preconditioned { .. } => {
                let gamma = match method {
                    Method::Preconditioned { gamma } => gamma,
                    _ => 0.0,
                };
                let p = problem;
                (0..p.h.len())
                    .map(|i| {
                        let (h, n) = (p.h[i], p.h[i].powf(-gamma));
                        OneDir {
                            weight: 0.5 * p.weight[i] * h,
                            step: h * n,
                            noise: n * n * p.c[i] * p.factor,
                        }
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        let step_max = if one.is_empty() {
            problem.h_max()
        } else {
            one.iter().map(|d| d.step).fold(0.0, f64::max)
        };
        let limit = method.rate_limit(problem.h_max()) * (1.0 - 1e-12);
        let mut s = Search {
            problem,
            method,
            level,
            steps: (1, max_steps),
            limit,
            ceiling: limit,
            step_max,
            one,
        };
        s.ceiling = s.least_loss_ceiling();
        s
    }

    /// The same search from step `first` on: the caller knows that no rate reaches ℓ before
    /// it (for example, T* of a larger batch: more noise never lowers the loss).
    pub fn from_step(mut self, first: u64) -> Search<'a> {
        self.steps.0 = first.max(1);
        self
    }

    /// The method searched.
    pub fn method(&self) -> Method {
        self.method
    }

    /// One-component methods: the loss of each direction stays between θ₀² and s*(α), so
    /// L ≥ ½Σhᵢ min(θ₀², sᵢ*(α)), which grows with α; the rate where it reaches ℓ.
    fn least_loss_ceiling(&self) -> f64 {
        if self.one.is_empty() {
            return self.limit;
        }
        let s0 = self.problem.theta0 * self.problem.theta0;
        let least = |rate: f64| -> f64 {
            self.one
                .iter()
                .map(|d| d.weight * d.stationary(rate).min(s0))
                .sum()
        };
        if least(self.limit) <= self.level {
            return self.limit;
        }
        let (mut lo, mut hi) = (0.0, self.limit);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if least(mid) <= self.level {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        hi
    }

    /// Below this rate the loss stays above ℓ until step t: the top direction's mean alone
    /// keeps L ≥ L(0)·z^(2t) with z = 1 − αsᵢ (SGD, preconditioned; EMA, whose average of
    /// decreasing iterates is no smaller), or the slow eigenvalue z₁ of an overdamped heavy
    /// ball (then θ_t ≥ θ₀z₁ᵗ).
    fn floor_rate(&self, t: u64) -> f64 {
        let l0 = self.problem.initial_loss();
        let zeta = (self.level / l0).powf(0.5 / t as f64);
        if !(zeta > 0.0 && zeta < 1.0) {
            return 0.0;
        }
        let x = match self.method {
            Method::HeavyBall { mu } => {
                let x = 1.0 + mu - zeta - mu / zeta;
                x.min((1.0 - mu.sqrt()).powi(2))
            }
            _ => 1.0 - zeta,
        };
        (x / self.step_max).max(0.0)
    }

    /// The rates between which the infimum is sought at window [t₁, t₂].
    fn range(&self, t2: u64) -> (f64, f64) {
        let hi = self.ceiling;
        (self.floor_rate(t2).max(hi * 1e-12).min(hi * 0.5), hi)
    }

    /// The rates tried at window [t₁, t₂] by two-component methods: [`GRID`] logarithmic
    /// over the range; for momentum, whose loss ripples in α with the phase tφ(α) of the
    /// oscillating directions until μᵗ has damped them, also rates uniform in the phase of the
    /// top direction, φ ∈ (0, π) with α = (1 + μ − 2√μ cos φ)/h₁ (the complex eigenvalues
    /// √μ·e^(±iφ) of its map), [`PHASE_STEPS`]·t of them, so that t₂φ moves by at most
    /// π/[`PHASE_STEPS`] from one rate to the next.
    fn grid(&self, t2: u64) -> Vec<f64> {
        let (lo, hi) = self.range(t2);
        let mut grid = crate::linalg::logspace(lo, hi, GRID);
        if let Method::HeavyBall { mu } = self.method {
            let l0 = self.problem.initial_loss();
            if mu.powf(t2 as f64) * l0 > RIPPLE * self.level {
                let n = (PHASE_STEPS * t2).min(MAX_PHASE_RATES);
                let (h, s) = (self.problem.h_max(), mu.sqrt());
                let pi = std::f64::consts::PI;
                grid.extend(
                    (1..n)
                        .map(|j| (1.0 + mu - 2.0 * s * (pi * j as f64 / n as f64).cos()) / h)
                        .filter(|&r| r > lo && r < hi),
                );
                grid.sort_by(f64::total_cmp);
            }
        }
        grid
    }

    /// The lower bound B(t₁, t₂; α) of L over [t₁, t₂] at `rate` (+∞ past the stability
    /// limit); the sum stops once it exceeds `stop` (it is then still a lower bound).
    fn bound(&self, rate: f64, t1: u64, t2: u64, stop: f64) -> f64 {
        let mut acc = 0.0;
        if !self.one.is_empty() {
            let s0 = self.problem.theta0 * self.problem.theta0;
            for d in &self.one {
                // Stable iff 0 < αs < 2 (a step below the rounding of 1 − αs gives r = 1: that
                // direction does not move, which the sum below takes exactly so).
                let x = rate * d.step;
                if !(x > 0.0 && x < 2.0) {
                    return f64::INFINITY;
                }
                let r = d.r(rate);
                let (r1, r2) = (pow_r(r, t1), pow_r(r, t2));
                acc += d.weight * (d.stationary(rate) * (1.0 - r1) + s0 * r2);
                if acc > stop {
                    return acc;
                }
            }
            return acc;
        }
        let p = self.problem;
        for i in 0..p.h.len() {
            let sigma2 = p.c[i] * p.factor;
            let Some(m) = Mode::new(self.method, rate, p.h[i], sigma2, p.theta0) else {
                return f64::INFINITY;
            };
            acc += 0.5 * p.weight[i] * p.h[i] * m.window_bound(t1, t2);
            if acc > stop {
                return acc;
            }
        }
        acc
    }

    /// One-component methods: a lower bound of B(t₁, t₂; α) for every α ∈ [a, b] (a ≤ b below
    /// the stability limit): s*(α) grows with α and r = (1 − αs)² is convex in α, so each
    /// direction's B is at least s*(a)(1 − max(r(a), r(b))^(t₁)) + θ₀²·min_{[a, b]} r^(t₂),
    /// with min r = 0 when αs = 1 lies in [a, b].
    fn interval_bound(&self, a: f64, b: f64, t1: u64, t2: u64) -> f64 {
        let s0 = self.problem.theta0 * self.problem.theta0;
        let mut acc = 0.0;
        for d in &self.one {
            let (ra, rb) = (d.r(a), d.r(b));
            let crosses = a * d.step <= 1.0 && b * d.step >= 1.0;
            let rmin = if crosses { 0.0 } else { ra.min(rb) };
            let v = d.stationary(a) * (1.0 - pow_r(ra.max(rb), t1));
            acc += d.weight * (v + s0 * pow_r(rmin, t2));
            if acc > self.level {
                return acc;
            }
        }
        acc
    }

    /// Whether some rate may reach ℓ within [t₁, t₂]: some rate has B(t₁, t₂; α) ≤ ℓ (for
    /// t₁ = t₂: L(t₁; α) ≤ ℓ, exactly).
    pub fn reachable(&self, t1: u64, t2: u64) -> bool {
        if self.one.is_empty() {
            self.reachable_on_grid(t1, t2)
        } else {
            self.reachable_by_intervals(t1, t2)
        }
    }

    /// Branch and bound over the rates (one-component methods): an interval is dropped when
    /// its [`Search::interval_bound`] exceeds ℓ, split at its geometric midpoint otherwise,
    /// smallest bound first, until a rate with B ≤ ℓ is found or none is left.
    fn reachable_by_intervals(&self, t1: u64, t2: u64) -> bool {
        let (lo, hi) = self.range(t2);
        let cuts = crate::linalg::logspace(lo, hi, 9);
        let mut open: Vec<_> = cuts
            .windows(2)
            .map(|c| (self.interval_bound(c[0], c[1], t1, t2), c[0], c[1]))
            .collect();
        while let Some(k) = (0..open.len()).min_by(|&i, &j| open[i].0.total_cmp(&open[j].0)) {
            let (lb, a, b) = open.swap_remove(k);
            if lb > self.level {
                return false;
            }
            let mid = (a * b).sqrt();
            if self.bound(mid, t1, t2, self.level) <= self.level {
                return true;
            }
            if b > a * (1.0 + 1e-10) {
                open.push((self.interval_bound(a, mid, t1, t2), a, mid));
                open.push((self.interval_bound(mid, b, t1, t2), mid, b));
            }
        }
        false
    }

    /// Two-component methods: the grid of [`Search::grid`], then golden-section refinement
    /// of each local minimum on it below 2ℓ.
    fn reachable_on_grid(&self, t1: u64, t2: u64) -> bool {
        let grid = self.grid(t2);
        let mut v = Vec::with_capacity(grid.len());
        for &rate in &grid {
            let b = self.bound(rate, t1, t2, 2.0 * self.level);
            if b <= self.level {
                return true;
            }
            v.push(b);
        }
        local_minima(&v, 2.0 * self.level).into_iter().any(|k| {
            let (a, b) = (grid[k.saturating_sub(1)], grid[(k + 1).min(grid.len() - 1)]);
            let f = |r, above| self.bound(r, t1, t2, above);
            golden(a, b, f, self.level).1 <= self.level
        })
    }

    /// The rate minimising L(t; α), and that loss.
    pub fn minimise(&self, t: u64) -> (f64, f64) {
        let (lo, hi) = self.range(t);
        let mut grid = self.grid(t);
        grid.extend(crate::linalg::logspace(lo, hi, 48));
        grid.sort_by(f64::total_cmp);
        let f = |r, above| self.bound(r, t, t, above);
        // Local minima that may hold the least value: below 2ℓ, or the lowest on the grid. The
        // grid is summed only up to 4ℓ: a value cut off there is above every candidate, as its
        // full value is, so the candidates are those of full sums (else they are summed in full).
        let values = |above: f64| -> (Vec<f64>, f64) {
            let v: Vec<f64> = grid.iter().map(|&r| f(r, above)).collect();
            let lowest = v.iter().copied().fold(f64::INFINITY, f64::min);
            (v, (2.0 * self.level).max(lowest * (1.0 + 1e-12)))
        };
        let cut = 4.0 * self.level;
        let (mut v, mut below) = values(cut);
        if below >= cut {
            (v, below) = values(f64::INFINITY);
        }
        let mut best = (f64::NAN, f64::INFINITY);
        for k in local_minima(&v, below) {
            let (a, b) = (grid[k.saturating_sub(1)], grid[(k + 1).min(grid.len() - 1)]);
            let m = golden(a, b, f, f64::NEG_INFINITY);
            if m.1 < best.1 {
                best = m;
            }
        }
        best
    }

    /// The first step at which some rate has L ≤ ℓ, if it is within the steps looked at.
    pub fn first_step(&self) -> Option<u64> {
        if self.problem.initial_loss() <= self.level {
            return Some(0);
        }
        // Windows start at a sixteenth of the steps already known to be above ℓ.
        let (mut t, mut w) = (self.steps.0, (self.steps.0 / 16).max(1));
        while t <= self.steps.1 {
            let t2 = (t + w - 1).min(self.steps.1);
            if !self.reachable(t, t2) {
                t = t2 + 1;
                w = w.saturating_mul(2);
            } else if t2 == t {
                return Some(t);
            } else {
                w = (t2 - t).div_ceil(2);
            }
        }
        None
    }

    /// T* with the interval of rates that achieve it; `None` when no rate reaches the target
    /// within the steps looked at.
    pub fn best(&self) -> Option<Best> {
        let steps = self.first_step()?;
        if steps == 0 {
            return Some(Best {
                steps,
                rates: (0.0, self.limit),
                minimiser: 0.0,
            });
        }
        let (minimiser, _) = self.minimise(steps);
        let below = |r: f64| self.bound(r, steps, steps, self.level) <= self.level;
        let lo = edge(minimiser, 0.0, &below);
        let hi = edge(minimiser, self.limit, &below);
        Some(Best {
            steps,
            rates: (lo, hi),
            minimiser,
        })
    }
}

/// Indices of the local minima of `v` (ends included, +∞ never) below `below`.
fn local_minima(v: &[f64], below: f64) -> Vec<usize> {
    (0..v.len())
        .filter(|&k| {
            let left = k == 0 || v[k] <= v[k - 1];
            let right = k + 1 == v.len() || v[k] <= v[k + 1];
            left && right && v[k] < below
        })
        .collect()
}

/// Golden-section minimisation of `f` over [a, b] in log α; stops early once f ≤ `stop`.
/// Returns (argmin, min) of the points evaluated.
///
/// `f(α, above)` is f(α), or any value above `above` when f(α) exceeds it (a partial sum of
/// nonnegative terms, [`Search::bound`]): each new point is evaluated against the interior point
/// it is compared with, and a point found above it is the one that the bracket drops, so the
/// points, the comparisons and the result are those of full evaluations.
fn golden(a: f64, b: f64, f: impl Fn(f64, f64) -> f64, stop: f64) -> (f64, f64) {
    const INV_PHI: f64 = 0.618_033_988_749_894_8;
    let (mut lo, mut hi) = (a.ln(), b.ln());
    let mut x1 = hi - INV_PHI * (hi - lo);
    let mut x2 = lo + INV_PHI * (hi - lo);
    let mut f1 = f(x1.exp(), f64::INFINITY);
    let mut f2 = f(x2.exp(), f1);
    let mut best = if f1 < f2 { (x1, f1) } else { (x2, f2) };
    for _ in 0..80 {
        if best.1 <= stop || hi - lo < 1e-10 {
            break;
        }
        if f1 < f2 {
            hi = x2;
            (x2, f2) = (x1, f1);
            x1 = hi - INV_PHI * (hi - lo);
            f1 = f(x1.exp(), f2);
        } else {
            lo = x1;
            (x1, f1) = (x2, f2);
            x2 = lo + INV_PHI * (hi - lo);
            f2 = f(x2.exp(), f1);
        }
        for (x, v) in [(x1, f1), (x2, f2)] {
            if v < best.1 {
                best = (x, v);
            }
        }
    }
    let mut out = (best.0.exp(), best.1);
    for x in [a, b] {
        let v = f(x, out.1);
        if v < out.1 {
            out = (x, v);
        }
    }
    out
}

/// The end, toward `bound`, of the interval around `inside` (where `below` holds) on which
/// `below` holds: walking out by factors of 1.005 (finer than the ripples of momentum's
/// loss in α) to the first rate where it fails, then
/// bisection; `bound` if it holds all the way.
fn edge(inside: f64, bound: f64, below: &impl Fn(f64) -> bool) -> f64 {
    let up = bound > inside;
    let mut a = inside;
    for _ in 0..4000 {
        let next = if up {
            (a * 1.005).min(bound)
        } else {
            (a / 1.005).max(bound)
        };
        if !below(next) {
            let mut b = next;
            for _ in 0..45 {
                let mid = 0.5 * (a + b);
                if below(mid) {
                    a = mid;
                } else {
                    b = mid;
                }
            }
            return a;
        }
        if next == bound {
            return bound;
        }
        a = next;
    }
    a
}

/// How the rate (and, for momentum, μ) is chosen at each batch size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Choice {
    /// The best rate for this method.
    Rate(Method),
    /// Heavy ball with the best rate and the best μ of a grid.
    RateAndMomentum,
}

/// The momenta tried when μ is optimised too: 0 (SGD) and 1 − μ from ½ down to 10⁻², the
/// range of Zhang et al.'s grid 1 − 10^(−5…0) that the schema's μ ≤ 0.99 allows.
pub const MOMENTA: [f64; 9] = [0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99];

/// T* at each minibatch factor of `factors` (decreasing: ascending batch sizes), with the
/// method and its best rate and μ; `None` where the target is not reached within
/// `max_steps`. The batch sizes go from the largest down, each search starting at the T* of
/// the next larger one: with more noise no rate does better (the variance part of L only
/// grows with the factor, the mean part does not change).
pub fn over_batches(
    problem: &Problem,
    choice: Choice,
    level: f64,
    max_steps: u64,
    factors: &[f64],
) -> Vec<Option<(Best, Method)>> {
    let mut out = vec![None; factors.len()];
    let mut first = 1;
    for (k, &f) in factors.iter().enumerate().rev() {
        let p = problem.with_factor(f);
        let best = match choice {
            Choice::Rate(m) => Search::new(&p, m, level, max_steps)
                .from_step(first)
                .best()
                .map(|b| (b, m)),
            Choice::RateAndMomentum => best_over_momenta(&p, level, first, max_steps),
        };
        match best {
            Some((b, _)) => first = b.steps,
            None => break, // smaller batches reach the target no sooner
        }
        out[k] = best;
    }
    out
}

/// T* over the momenta [`MOMENTA`] (heavy ball with μ optimised on that grid, exactly in α
/// for each), from step `first` on: the best and its method. Each μ is searched only up to
/// one step fewer than the best so far.
pub fn best_over_momenta(
    problem: &Problem,
    level: f64,
    first: u64,
    max_steps: u64,
) -> Option<(Best, Method)> {
    let mut best: Option<(Best, Method)> = None;
    for mu in MOMENTA {
        let limit = best.map_or(max_steps, |(b, _)| b.steps.saturating_sub(1));
        if limit < first {
            break;
        }
        let m = Method::HeavyBall { mu };
        if let Some(b) = Search::new(problem, m, level, limit)
            .from_step(first)
            .best()
        {
            best = Some((b, m));
        }
    }
    best
}

/// The expected loss at each of `times` at rate `rate`, or `None` past the stability limit.
pub fn loss_curve(problem: &Problem, method: Method, rate: f64, times: &[u64]) -> Option<Vec<f64>> {
    let modes: Vec<Mode> = problem.modes(method, rate)?;
    Some(times.iter().map(|&t| problem.loss(&modes, t)).collect())
}
