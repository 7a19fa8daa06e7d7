//! Yaida's adaptive learning-rate schedule (Sec. 3.3) followed by Monte Carlo runs: sixteen
//! independent runs in lock-step ([`Runs16`]), each deciding its own drops from its own
//! half-running averages (Eq. 15) under the rule [`FdrRule`], as a single training run would.
//!
//! At the end of epoch k after a restart, a run's half-running window covers the steps
//! ⌊kE/2⌋+1 … kE since that restart (E the epoch); the running sums of O_L and O_R at every
//! ⌊jE/2⌋ are kept until the window has passed them, so each check costs O(1).

use super::runs::Runs16;
use crate::rng::math::LANES;
use crate::theory::schedule::FdrRule;
use std::collections::VecDeque;

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
    rule: FdrRule,
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
    /// `runs` (their learning rates are the starting rates) under `rule`.
    pub fn new(runs: Runs16, rule: FdrRule) -> Adaptive16 {
        Adaptive16 {
            runs,
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

    /// The epoch E in steps (at least 2, so that a window is never empty).
    fn epoch(&self) -> u64 {
        self.rule.epoch.max(2)
    }

    /// One step; at the end of an epoch, applies the rule and returns every run's check.
    pub fn step(&mut self) -> Option<[Check; LANES]> {
        let (o_l, o_r) = self.runs.step();
        self.t += 1;
        let e = self.epoch();
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
        Some(std::array::from_fn(|i| self.check(i)))
    }

    /// The check of run `i` at the end of an epoch: its ratio, and a drop and restart when the
    /// rule says so.
    fn check(&mut self, i: usize) -> Check {
        let e = self.epoch();
        // Restarts happen only at checks, so every run is a whole number k of epochs past its
        // restart, and its window starts at ⌊kE/2⌋: the history entry j = k.
        let k = self.since[i] / e;
        while self.hist[i].front().is_some_and(|h| h.0 < k) {
            self.hist[i].pop_front();
        }
        let (_, l0, r0) = *self.hist[i].front().expect("entry k was recorded");
        let n = (self.since[i] - k * e / 2) as f64;
        let ratio = ((self.sl[i] - l0) / n) / ((self.sr[i] - r0) / n);
        let check = Check {
            t: self.t,
            lr: self.runs.lr[i],
            ratio,
            dropped: self.rule.drops(ratio),
        };
        if check.dropped {
            self.runs.lr[i] = self.rule.lowered(self.runs.lr[i]);
            self.drops[i] += 1;
            self.since[i] = 0;
            self.sl[i] = 0.0;
            self.sr[i] = 0.0;
            self.hist[i].clear();
            self.next_j[i] = 1;
        }
        check
    }

    /// Steps on until step `t`, calling `on_check` after every check with the runs as they are
    /// after it.
    pub fn run_to(&mut self, t: u64, mut on_check: impl FnMut(&Adaptive16, &[Check; LANES])) {
        while self.t < t {
            if let Some(checks) = self.step() {
                on_check(self, &checks);
            }
        }
    }
}

/// Each of `runs` runs' loss ½wᵀKw and learning rate after `t` steps under `rule`. The runs are
/// made sixteen at a time, chunk c (c = 0, 1, …) by `chunk(c)`; the extra runs of the last chunk
/// are left out.
pub fn adaptive_after(
    runs: usize,
    t: u64,
    rule: FdrRule,
    chunk: impl Fn(usize) -> Runs16,
) -> (Vec<f64>, Vec<f64>) {
    let (mut loss, mut lr) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for c in 0..runs.div_ceil(LANES) {
        let mut a = Adaptive16::new(chunk(c), rule);
        a.run_to(t, |_, _| {});
        let take = (runs - c * LANES).min(LANES);
        loss.extend_from_slice(&a.runs.loss()[..take]);
        lr.extend_from_slice(&a.runs.lr[..take]);
    }
    (loss, lr)
}
