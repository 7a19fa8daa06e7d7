//! Learning-rate schedules on the noisy quadratic (Yaida 2019, Sec. 3.3 and Fig. 4), as plain
//! data that the exact theory and the Monte Carlo runs share.
//!
//! [`FdrRule`] is Yaida's adaptive schedule: at the end of every epoch a run compares its own
//! half-running averages (Eq. 15) of O_L and O_R, and when they agree, |Ō_L/Ō_R − 1| < X, it
//! lowers its learning rate η → (1 − Y)η and restarts the averages. What it does depends on the
//! run's own noise, so only runs follow it ([`crate::sim::schedule`]). A [`Schedule`] is fixed
//! in advance — a constant rate, Yaida's preset step decay, or drops evenly spaced over the
//! run — and its expected loss is exact ([`super::fdr_finite::loss_under_schedule`]).

use serde::{Deserialize, Serialize};

/// Yaida's rule (Sec. 3.3): at the end of each epoch (every `epoch` steps), if
/// |Ō_L/Ō_R − 1| < X, then η → (1 − Y)η and the half-running averages restart.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FdrRule {
    /// Threshold X.
    pub x: f64,
    /// Fractional decrease Y.
    pub y: f64,
    /// Steps per epoch (between checks).
    pub epoch: u64,
}

impl FdrRule {
    /// Whether the rate drops at a check where the half-running averages have the ratio
    /// `ratio` = Ō_L/Ō_R: |ratio − 1| < X.
    pub fn drops(&self, ratio: f64) -> bool {
        (ratio - 1.0).abs() < self.x
    }

    /// The learning rate after a drop from `lr`: (1 − Y)η.
    pub fn lowered(&self, lr: f64) -> f64 {
        lr * (1.0 - self.y)
    }
}

/// A learning-rate schedule fixed in advance.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Schedule {
    /// η₀ at every step.
    Constant {
        /// η₀.
        lr: f64,
    },
    /// η₀ multiplied by `factor` after every `period` steps.
    StepDecay {
        /// η₀.
        lr: f64,
        /// The factor of each drop.
        factor: f64,
        /// Steps between drops.
        period: u64,
    },
    /// `drops` drops by `factor`, evenly spaced over a run of `steps` steps: at the steps
    /// j·T/(drops + 1), j = 1 … drops.
    EvenDrops {
        /// η₀.
        lr: f64,
        /// The factor of each drop.
        factor: f64,
        /// Number of drops.
        drops: u64,
        /// Length T of the run.
        steps: u64,
    },
}

impl Schedule {
    /// Yaida's preset (his Fig. 4): η₀ divided by 10 every 100 epochs of `epoch` steps.
    pub fn yaida_preset(lr: f64, epoch: u64) -> Schedule {
        Schedule::StepDecay {
            lr,
            factor: 0.1,
            period: 100 * epoch.max(1),
        }
    }

    /// The learning rate of step `s` (1-based).
    pub fn lr(&self, s: u64) -> f64 {
        match *self {
            Schedule::Constant { lr } => lr,
            Schedule::StepDecay { lr, factor, period } => {
                lr * factor.powi(((s - 1) / period) as i32)
            }
            Schedule::EvenDrops {
                lr,
                factor,
                drops,
                steps,
            } => {
                let k = (s - 1) * (drops + 1) / steps.max(1);
                lr * factor.powi(k.min(drops) as i32)
            }
        }
    }

    /// The schedule over steps 1 … T as a staircase: (step, rate) at step 1, on both sides of
    /// every change (drawn at the step before it), and at step T.
    pub fn staircase(&self, steps: u64) -> (Vec<f64>, Vec<f64>) {
        let (mut x, mut y) = (vec![1.0], vec![self.lr(1)]);
        let mut cur = self.lr(1);
        for s in 2..=steps.max(1) {
            let v = self.lr(s);
            if v != cur {
                x.extend([s as f64 - 1.0, s as f64 - 1.0]);
                y.extend([cur, v]);
                cur = v;
            }
        }
        x.push(steps.max(1) as f64);
        y.push(cur);
        (x, y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_drops_fall_at_whole_fractions_of_the_run() {
        let s = Schedule::EvenDrops {
            lr: 1.0,
            factor: 0.5,
            drops: 3,
            steps: 400,
        };
        let falls: Vec<u64> = (2..=400).filter(|&t| s.lr(t) != s.lr(t - 1)).collect();
        assert_eq!(falls, [101, 201, 301]);
        assert_eq!(s.lr(400), 0.125);
        let (x, y) = s.staircase(400);
        assert_eq!(x, [1.0, 100.0, 100.0, 200.0, 200.0, 300.0, 300.0, 400.0]);
        assert_eq!(y, [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125]);
    }

    #[test]
    fn yaidas_preset_divides_by_ten_every_hundred_epochs() {
        let s = Schedule::yaida_preset(0.1, 50);
        assert_eq!((s.lr(5000), s.lr(5001)), (0.1, 0.1 * 0.1));
    }
}
