//! `fdr-schedule` — Yaida (2019), Sec. 3.3: the learning-rate schedule driven by FDR1′.

use super::fdr_common::{self, normalized};
use crate::params::Params;
use crate::sim::math::LANES;
use crate::sim::runs::Runs16;
use std::collections::VecDeque;

/// Yaida's rule (Sec. 3.3): at the end of each epoch (every `epoch` steps), if
/// |Ō_L/Ō_R − 1| < X, then η → (1 − Y)η and the half-running averages restart (t = 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    /// Threshold X.
    pub x: f64,
    /// Fractional decrease Y.
    pub y: f64,
    /// Steps per epoch (between checks).
    pub epoch: u64,
}

/// One check of one run: the step, the learning rate in force, the ratio Ō_L/Ō_R, and
/// whether the rate dropped at it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Check {
    /// Global step t at the end of the epoch.
    pub t: u64,
    /// Learning rate during the epoch that just ended.
    pub lr: f64,
    /// Ō_L/Ō_R over the half-running window since the last restart.
    pub ratio: f64,
    /// Whether the rule lowered the learning rate here.
    pub dropped: bool,
}

/// Sixteen runs under Yaida's rule, each with its own learning rate and its own half-running
/// averages since its own last restart.
pub struct Adaptive16 {
    /// The runs.
    pub runs: Runs16,
    rule: Rule,
    /// Global steps taken.
    pub t: u64,
    since: [u64; LANES],
    sl: [f64; LANES],
    sr: [f64; LANES],
    /// (j, Σ O_L, Σ O_R) at τ = ⌊jE/2⌋ steps since the restart, for the windows to come.
    hist: Vec<VecDeque<(u64, f64, f64)>>,
    next_j: [u64; LANES],
    /// Drops so far, per run.
    pub drops: [u32; LANES],
}

impl Adaptive16 {
    /// Runs from `p` (its η is the starting rate) under `rule`, random numbers from `seed`.
    pub fn new(p: &Params, rule: Rule, seed: u64) -> Adaptive16 {
        let q = normalized(p);
        let model = fdr_common::model(&q);
        let w = fdr_common::start(&q);
        Adaptive16 {
            runs: Runs16::new(&model, q.lr, q.mu, q.damp, [w[0], w[1]], seed),
            rule,
            t: 0,
            since: [0; LANES],
            sl: [0.0; LANES],
            sr: [0.0; LANES],
            hist: vec![VecDeque::new(); LANES],
            next_j: [1; LANES],
            drops: [0; LANES],
        }
    }

    /// One step; at the end of an epoch, applies the rule and returns every run's check.
    pub fn step(&mut self) -> Option<[Check; LANES]> {
        let (o_l, o_r) = self.runs.step();
        self.t += 1;
        let e = self.rule.epoch.max(2);
        for i in 0..LANES {
            self.sl[i] += o_l[i];
            self.sr[i] += o_r[i];
            self.since[i] += 1;
            if self.since[i] == self.next_j[i] * e / 2 {
                self.hist[i].push_back((self.next_j[i], self.sl[i], self.sr[i]));
                self.next_j[i] += 1;
            }
        }
        if self.t % e != 0 {
            return None;
        }
        let mut out = [Check {
            t: self.t,
            lr: 0.0,
            ratio: f64::NAN,
            dropped: false,
        }; LANES];
        for (i, c) in out.iter_mut().enumerate() {
            // Restarts happen only at checks, so every run is a whole number k of epochs past
            // its restart, and its window starts at ⌊kE/2⌋: the history entry j = k.
            let k = self.since[i] / e;
            while self.hist[i].front().is_some_and(|h| h.0 < k) {
                self.hist[i].pop_front();
            }
            let (_, l0, r0) = *self.hist[i].front().expect("entry k was recorded");
            let n = (self.since[i] - k * e / 2) as f64;
            let ratio = ((self.sl[i] - l0) / n) / ((self.sr[i] - r0) / n);
            c.lr = self.runs.lr[i];
            c.ratio = ratio;
            if (ratio - 1.0).abs() < self.rule.x {
                c.dropped = true;
                self.runs.lr[i] *= 1.0 - self.rule.y;
                self.drops[i] += 1;
                self.since[i] = 0;
                self.sl[i] = 0.0;
                self.sr[i] = 0.0;
                self.hist[i].clear();
                self.next_j[i] = 1;
            }
        }
        Some(out)
    }
}
