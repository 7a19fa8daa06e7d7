//! Walkers in D dimensions on a diagonal noisy quadratic model (Zhang et al. 2019): every
//! coordinate i has its own curvature hᵢ and gradient noise N(0, cᵢ·f) (f the minibatch
//! factor, 1/B for infinite data), drawn independently per coordinate and per step. The update
//! is the literal rule of the method (SGD, preconditioned SGD, heavy ball, or SGD with an
//! exponential moving average of its iterates; see [`crate::theory::diagonal`] for the maps
//! whose exact moments these walkers sample).
//!
//! Walkers go sixteen at a time in the lanes of one [`LaneRng`] (groups of [`LANES`]); their
//! normals come from its ziggurat in the order step, group, coordinate, so a seed gives the same
//! walkers natively and in WebAssembly. Each group of sixteen is also a batch of runs: its own
//! mean loss gives the spread from which error bars are estimated.

use crate::rng::math::{F, LANES};
use crate::rng::LaneRng;
use crate::theory::per_direction::Method;

/// Walkers of one method at one rate on one diagonal model.
#[derive(Clone, Debug, PartialEq)]
pub struct Walk {
    /// Curvatures hᵢ, one per coordinate.
    pub h: Vec<f64>,
    /// Per-example gradient-noise variances cᵢ.
    pub c: Vec<f64>,
    /// The minibatch factor f: the noise of coordinate i has variance cᵢ·f.
    pub factor: f64,
    /// Every coordinate starts at θ₀ (the momentum buffer at 0, the average at θ₀).
    pub theta0: f64,
    /// The method.
    pub method: Method,
    /// The learning rate α.
    pub rate: f64,
}

/// Where the mean loss reached a level.
#[derive(Clone, Debug, PartialEq)]
pub struct Crossing {
    /// The step at which the mean loss over all walkers reached the level
    /// ([`fitted_crossing`] of its trajectory).
    pub steps: Option<f64>,
    /// The same for each group of sixteen walkers.
    pub groups: Vec<Option<f64>>,
}

/// A noisy mean-loss trajectory: the mean after each step (`mean[t − 1]` after step t) and its
/// standard error.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Path {
    /// The mean loss.
    pub mean: Vec<f64>,
    /// Its standard error (from the spread of the walkers' losses).
    pub se: Vec<f64>,
}

impl Path {
    /// The first step at which the mean is at most `level`.
    fn first(&self, level: f64) -> Option<usize> {
        self.mean.iter().position(|&v| v <= level).map(|i| i + 1)
    }

    /// The half-width of the window [`fitted_crossing`] smooths over around a first crossing
    /// at step `t`: twice the uncertainty of the crossing time, se/|slope| at t (the slope from
    /// a straight line through the steps within a tenth of t), at most a quarter of t; 0 when
    /// that uncertainty is below a step.
    fn window(&self, t: usize) -> usize {
        let i = t - 1;
        let k = (t / 10).max(2);
        let (lo, hi) = (i.saturating_sub(k), (i + k).min(self.mean.len() - 1));
        let n = (hi - lo + 1) as f64;
        let (mut su, mut sy, mut suu, mut suy) = (0.0, 0.0, 0.0, 0.0);
        for j in lo..=hi {
            let (u, y) = (j as f64, self.mean[j]);
            su += u;
            sy += y;
            suu += u * u;
            suy += u * y;
        }
        let slope = (n * suy - su * sy) / (n * suu - su * su);
        let delta = 2.0 * self.se[i] / slope.abs();
        if delta.is_nan() || delta < 1.0 {
            return 0;
        }
        (delta.round() as usize).min(t / 4)
    }
}

/// The step at which a noisy mean-loss trajectory reaches `level`.
///
/// The first step at which a mean over finitely many walkers is at most the level comes early
/// where the loss approaches the level slowly: the mean fluctuates about the expected loss from
/// step to step, and the first of many fluctuations below it ends the run. So where the
/// crossing time is uncertain by a step or more ([`Path`]'s window), the crossing is read from
/// the trajectory smoothed over that window — a quadratic least-squares fit of ln(mean) around
/// the first crossing, solved for ln(level) nearest it; elsewhere (a steep crossing, or an
/// oscillating loss, which a fit would smooth away) it is the first crossing itself. `None` if
/// the trajectory never reaches the level.
pub fn fitted_crossing(path: &Path, level: f64) -> Option<f64> {
    let t = path.first(level)?;
    let w = path.window(t);
    let raw = Some(t as f64);
    if w < 2 {
        return raw;
    }
    let m = &path.mean;
    let (first, t0) = (t - 1, (t - 1) as f64);
    let (lo, hi) = (first.saturating_sub(w), (first + w).min(m.len() - 1));
    // Normal equations of ln m = a + b·u + c·u², u = t − t₁.
    let mut s = [0.0; 5];
    let mut r = [0.0; 3];
    for (j, &v) in m.iter().enumerate().take(hi + 1).skip(lo) {
        let u = j as f64 - t0;
        let y = v.ln();
        let mut pw = 1.0;
        for k in 0..5 {
            s[k] += pw;
            if k < 3 {
                r[k] += pw * y;
            }
            pw *= u;
        }
    }
    let Some([a, b, c]) = solve3(
        [[s[0], s[1], s[2]], [s[1], s[2], s[3]], [s[2], s[3], s[4]]],
        r,
    ) else {
        return raw;
    };
    let a = a - level.ln();
    let roots = if c.abs() < 1e-300 {
        vec![-a / b]
    } else {
        let d = b * b - 4.0 * a * c;
        if d < 0.0 {
            return raw;
        }
        let q = -0.5 * (b + b.signum() * d.sqrt());
        vec![q / c, a / q]
    };
    roots
        .into_iter()
        .filter(|u| u.is_finite() && u.abs() <= w as f64)
        .min_by(|u, v| u.abs().total_cmp(&v.abs()))
        .map(|u| t0 + u + 1.0)
        .or(raw)
}

/// Steps run past a first crossing at `t` before its window is known (the slope needs them).
fn path_lookahead(t: usize) -> usize {
    (t / 10).max(2)
}

/// Solves a 3 × 3 system by Cramer's rule; `None` if singular.
fn solve3(m: [[f64; 3]; 3], r: [f64; 3]) -> Option<[f64; 3]> {
    let det = |m: &[[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(&m);
    if d == 0.0 || !d.is_finite() {
        return None;
    }
    let x: [f64; 3] = std::array::from_fn(|col| {
        let mut mc = m;
        for (row, v) in mc.iter_mut().zip(r) {
            row[col] = v;
        }
        det(&mc) / d
    });
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Per-coordinate coefficients of one step (see [`Walk::coefficients`]).
#[derive(Clone, Copy, Debug)]
struct Coef {
    /// ½hᵢ, the weight of the coordinate in the loss.
    half_h: f64,
    /// θ-factor a of θ' = aθ + s·z (one-component methods and EMA), or hᵢ for heavy ball.
    a: f64,
    /// Noise scale s (the noise standard deviation times its coefficient in the update).
    s: f64,
}

/// The state of one group of sixteen walkers: θ and the second component (m or θ̄) per
/// coordinate.
struct Group {
    x: Vec<F>,
    y: Vec<F>,
}

impl Walk {
    fn coefficients(&self) -> Vec<Coef> {
        self.h
            .iter()
            .zip(&self.c)
            .map(|(&h, &c)| {
                let sd = (c * self.factor).sqrt();
                let (a, s) = match self.method {
                    Method::Preconditioned { gamma } => (
                        1.0 - self.rate * h.powf(1.0 - gamma),
                        -self.rate * h.powf(-gamma) * sd,
                    ),
                    Method::HeavyBall { .. } => (h, sd),
                    Method::Sgd | Method::Ema { .. } => (1.0 - self.rate * h, -self.rate * sd),
                };
                Coef {
                    half_h: 0.5 * h,
                    a,
                    s,
                }
            })
            .collect()
    }

    fn start(&self, groups: usize) -> Vec<Group> {
        let d = self.h.len();
        let y0 = match self.method {
            Method::Ema { .. } => self.theta0,
            _ => 0.0,
        };
        (0..groups)
            .map(|_| Group {
                x: vec![[self.theta0; LANES]; d],
                y: vec![[y0; LANES]; d],
            })
            .collect()
    }

    /// One step of one group; returns each walker's loss after it.
    fn step(&self, g: &mut Group, coef: &[Coef], rng: &mut LaneRng) -> F {
        let mut z = [0.0; LANES];
        let mut loss = [0.0; LANES];
        match self.method {
            Method::Sgd | Method::Preconditioned { .. } => {
                for (x, c) in g.x.iter_mut().zip(coef) {
                    rng.fill_normal(&mut z);
                    for l in 0..LANES {
                        x[l] = c.a * x[l] + c.s * z[l];
                        loss[l] += c.half_h * x[l] * x[l];
                    }
                }
            }
            Method::HeavyBall { mu } => {
                let rate = self.rate;
                for ((x, m), c) in g.x.iter_mut().zip(&mut g.y).zip(coef) {
                    rng.fill_normal(&mut z);
                    for l in 0..LANES {
                        m[l] = mu * m[l] + c.a * x[l] + c.s * z[l];
                        x[l] -= rate * m[l];
                        loss[l] += c.half_h * x[l] * x[l];
                    }
                }
            }
            Method::Ema { decay } => {
                let keep = 1.0 - decay;
                for ((x, avg), c) in g.x.iter_mut().zip(&mut g.y).zip(coef) {
                    rng.fill_normal(&mut z);
                    for l in 0..LANES {
                        x[l] = c.a * x[l] + c.s * z[l];
                        avg[l] = decay * avg[l] + keep * x[l];
                        loss[l] += c.half_h * avg[l] * avg[l];
                    }
                }
            }
        }
        loss
    }

    /// Runs `groups` × 16 walkers from the start until the mean loss over all of them and
    /// over each group has reached `level` and gone on for the window of [`fitted_crossing`],
    /// or for `cap` steps; random numbers from `seed`.
    pub fn crossing(&self, level: f64, groups: usize, cap: u64, seed: u64) -> Crossing {
        let coef = self.coefficients();
        let mut state = self.start(groups);
        let mut rng = LaneRng::new(seed);
        // Over all walkers (index 0) and over each group.
        let mut paths: Vec<Path> = vec![Path::default(); groups + 1];
        let mut stop: Vec<Option<usize>> = vec![None; groups + 1];
        let n = LANES as f64;
        for t in 1..=cap as usize {
            let (mut total, mut var) = (0.0, 0.0);
            for (g, st) in state.iter_mut().enumerate() {
                let loss = self.step(st, &coef, &mut rng);
                let mean = loss.iter().sum::<f64>() / n;
                let v = loss.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0) / n;
                (total, var) = (total + mean, var + v);
                paths[g + 1].mean.push(mean);
                paths[g + 1].se.push(v.sqrt());
            }
            let k = groups as f64;
            paths[0].mean.push(total / k);
            paths[0].se.push(var.sqrt() / k);
            for (path, end) in paths.iter().zip(&mut stop) {
                if end.is_none() && path.mean[t - 1] <= level {
                    *end = Some(t + path.window(t).max(path_lookahead(t)));
                }
            }
            if stop.iter().all(|e| e.is_some_and(|e| t >= e)) {
                break;
            }
        }
        let mut fitted = paths.iter().map(|m| fitted_crossing(m, level));
        Crossing {
            steps: fitted.next().flatten(),
            groups: fitted.collect(),
        }
    }

    /// The mean loss over `groups` × 16 walkers and its standard error (from the spread over
    /// walkers) at each of `times` (ascending), with random numbers from `seed`.
    pub fn loss_curve(&self, groups: usize, times: &[u64], seed: u64) -> Vec<(f64, f64)> {
        let coef = self.coefficients();
        let mut state = self.start(groups);
        let mut rng = LaneRng::new(seed);
        let n = (groups * LANES) as f64;
        let start = 0.5 * self.theta0 * self.theta0 * self.h.iter().sum::<f64>();
        let mut out = Vec::with_capacity(times.len());
        let mut next = times.iter().peekable();
        while next.next_if(|&&t| t == 0).is_some() {
            out.push((start, 0.0));
        }
        let last = times.last().copied().unwrap_or(0);
        for t in 1..=last {
            let (mut s1, mut s2) = (0.0, 0.0);
            for g in &mut state {
                for v in self.step(g, &coef, &mut rng) {
                    s1 += v;
                    s2 += v * v;
                }
            }
            while next.next_if(|&&u| u == t).is_some() {
                let mean = s1 / n;
                let var = ((s2 - n * mean * mean) / (n - 1.0)).max(0.0);
                out.push((mean, (var / n).sqrt()));
            }
        }
        out
    }
}
