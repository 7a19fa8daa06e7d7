//! Sixteen independent SGD runs in lock-step, each with its own learning rate, reporting
//! Yaida's observables run by run.
//!
//! [`super::Ensemble`] reports ensemble means with one learning rate for all walkers; the FDR
//! panels also need what each run sees on its own: the spread of one run's FDR1 estimator, and
//! Yaida's adaptive schedule, which lowers each run's learning rate when that run's own
//! half-running averages agree. The rule is [`super::Rule`]'s heavy ball with dampening
//! (Yaida Eqs. 10–11): g = Kw + Lz, m' = μm + (1−ν)g, w' = w − η m', on the 2-D noisy quadratic
//! with Gaussian noise of constant covariance C = LLᵀ; the random numbers are the same
//! portable [`LaneRng`] streams, so a seed means the same runs natively and in WebAssembly.
//! A run that diverges becomes non-finite and stays so; callers drop it.

use crate::model::Model;
use crate::rng::math::{F, LANES};
use crate::rng::LaneRng;

/// [`LANES`] runs of SGD with momentum and dampening on a 2-D quadratic.
#[derive(Clone, Debug)]
pub struct Runs16 {
    /// Weights, by coordinate.
    pub w: [F; 2],
    /// Momentum buffers m = −v, by coordinate.
    pub m: [F; 2],
    /// Each run's learning rate η.
    pub lr: F,
    k: [f64; 4],
    l: [f64; 3],
    mu: f64,
    damp: f64,
    rng: LaneRng,
}

impl Runs16 {
    /// Runs on `model` (2-D, constant noise C; its state-dependent part is not simulated) with
    /// learning rate `lr`, momentum `mu` and dampening `damp`, all started at weights `start`
    /// with an empty buffer; random numbers from `seed`.
    pub fn new(model: &Model, lr: f64, mu: f64, damp: f64, start: [f64; 2], seed: u64) -> Runs16 {
        assert_eq!(model.dim(), 2, "Runs16 is 2-D");
        let (k, c) = (&model.k, &model.c);
        // Cholesky factor of C that also accepts a singular C.
        let l00 = c[(0, 0)].max(0.0).sqrt();
        let l10 = if l00 > 0.0 { c[(1, 0)] / l00 } else { 0.0 };
        let l11 = (c[(1, 1)] - l10 * l10).max(0.0).sqrt();
        Runs16 {
            w: [[start[0]; LANES], [start[1]; LANES]],
            m: [[0.0; LANES]; 2],
            lr: [lr; LANES],
            k: [k[(0, 0)], k[(0, 1)], k[(1, 0)], k[(1, 1)]],
            l: [l00, l10, l11],
            mu,
            damp,
            rng: LaneRng::new(seed),
        }
    }

    /// O_R's factor (1+μ)/(2(1−ν)), to be multiplied by each run's η.
    pub fn o_r_factor(&self) -> f64 {
        (1.0 + self.mu) / (2.0 * (1.0 - self.damp))
    }

    /// One step of every run; returns each run's O_L = w·g and O_R = (1+μ)η/(2(1−ν)) |m|² for
    /// the state before the step (as [`super::Series`] records them).
    #[inline]
    pub fn step(&mut self) -> (F, F) {
        let (z0, z1) = self.rng.normals();
        let [k00, k01, k10, k11] = self.k;
        let [l00, l10, l11] = self.l;
        let (a, b) = (self.mu, 1.0 - self.damp);
        let f = self.o_r_factor();
        let mut o_l = [0.0; LANES];
        let mut o_r = [0.0; LANES];
        let [w0, w1] = &mut self.w;
        let [m0, m1] = &mut self.m;
        for i in 0..LANES {
            let (x0, x1) = (w0[i], w1[i]);
            let g0 = k00 * x0 + k01 * x1 + l00 * z0[i];
            let g1 = k10 * x0 + k11 * x1 + l10 * z0[i] + l11 * z1[i];
            o_l[i] = x0 * g0 + x1 * g1;
            o_r[i] = f * self.lr[i] * (m0[i] * m0[i] + m1[i] * m1[i]);
            let n0 = a * m0[i] + b * g0;
            let n1 = a * m1[i] + b * g1;
            m0[i] = n0;
            m1[i] = n1;
            w0[i] = x0 - self.lr[i] * n0;
            w1[i] = x1 - self.lr[i] * n1;
        }
        (o_l, o_r)
    }

    /// Each run's loss ½wᵀKw.
    pub fn loss(&self) -> F {
        let [k00, k01, k10, k11] = self.k;
        let mut out = [0.0; LANES];
        for (i, o) in out.iter_mut().enumerate() {
            let (x0, x1) = (self.w[0][i], self.w[1][i]);
            *o = 0.5 * (x0 * (k00 * x0 + k01 * x1) + x1 * (k10 * x0 + k11 * x1));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimizer::Optimizer;
    use crate::sim::{Dynamics, Ensemble};
    use nalgebra::DMatrix;

    #[test]
    fn runs_follow_the_same_rule_as_the_ensemble() {
        // Noise-free runs from the same start take the same deterministic path as an ensemble
        // walker with the same rule, step for step.
        let model = Model::new(
            DMatrix::from_row_slice(2, 2, &[1.0, 0.2, 0.2, 0.3]),
            DMatrix::zeros(2, 2),
        );
        let (lr, mu, damp) = (0.4, 0.7, 0.2);
        let mut opt = Optimizer::sgd(lr, mu, 2);
        opt.damp = damp;
        let dy = Dynamics::new(&model, &opt, crate::sim::Shape::Gauss).unwrap();
        let mut e = Ensemble::new(2, 1, 1);
        e.start_at(&[2.0, -1.0]);
        e.observe(true);
        let mut r = Runs16::new(&model, lr, mu, damp, [2.0, -1.0], 1);
        for t in 0..50 {
            let (o_l, o_r) = r.step();
            e.advance(&dy, 1);
            let s = e.observed();
            assert!((s.o_l[t] - o_l[3]).abs() < 1e-12, "{t}");
            assert!((s.o_r[t] - o_r[3]).abs() < 1e-12, "{t}");
            assert!((e.coords(0)[0] - r.w[0][3]).abs() < 1e-12);
            assert!((e.coords(1)[0] - r.w[1][3]).abs() < 1e-12);
        }
    }
}
