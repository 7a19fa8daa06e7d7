//! Live panels: walkers that keep running on the page, one animation frame at a time, while
//! the reader drags a slider. A live panel's plan says which walkers it animates ([`Walkers`]);
//! [`Animation`] keeps their ensemble across changes of the setting — the walkers go on under
//! the new setting, and start again only when their number or seed changes — and a frame asks
//! the panel to show them in its figure ([`super::Panel::show`]).

use super::Planned;
use crate::sim::{Dynamics, Ensemble};

/// The walkers a live panel's plan animates.
pub struct Walkers {
    /// Their update rule and noise; `Err` says why there is none (then they stand still).
    pub dynamics: Result<Dynamics, String>,
    /// Dimension of the weights.
    pub dim: usize,
    /// How many.
    pub count: usize,
    /// The seed of their random numbers.
    pub seed: u64,
    /// SGD steps per animation frame.
    pub per_frame: u64,
    /// Whether walkers that escaped are put back at the origin (the setting has a stationary
    /// state again).
    pub revive: bool,
}

/// A live panel's walkers, kept across changes of its setting.
pub struct Animation {
    walkers: Walkers,
    ensemble: Ensemble,
}

impl Animation {
    /// The walkers of `planned` at the origin, if its panel is live.
    pub fn start(planned: &mut Planned) -> Option<Animation> {
        let walkers = planned.walkers()?;
        let ensemble = Ensemble::new(walkers.dim, walkers.count, walkers.seed);
        let animation = Animation { walkers, ensemble };
        planned.show(&animation.ensemble);
        Some(animation)
    }

    /// Follows a new plan of the same panel: the same walkers under its dynamics, unless their
    /// number, dimension or seed changed (then they start again at the origin).
    pub fn follow(&mut self, planned: &mut Planned) {
        let Some(w) = planned.walkers() else { return };
        let restart =
            (w.count, w.dim, w.seed) != (self.walkers.count, self.walkers.dim, self.walkers.seed);
        if restart {
            self.ensemble = Ensemble::new(w.dim, w.count, w.seed);
        } else if w.revive && self.ensemble.diverged() > 0 {
            self.ensemble.revive();
        }
        self.walkers = w;
        planned.show(&self.ensemble);
    }

    /// One animation frame: `per_frame` steps, then the figure shows the walkers.
    pub fn frame(&mut self, planned: &mut Planned) {
        self.advance(self.walkers.per_frame, planned);
    }

    /// `steps` steps, then the figure shows the walkers.
    pub fn advance(&mut self, steps: u64, planned: &mut Planned) {
        if let Ok(dy) = &self.walkers.dynamics {
            self.ensemble.advance(dy, steps);
        }
        planned.show(&self.ensemble);
    }

    /// Every walker back at the origin.
    pub fn reset(&mut self, planned: &mut Planned) {
        let w = &self.walkers;
        self.ensemble = Ensemble::new(w.dim, w.count, w.seed);
        planned.show(&self.ensemble);
    }

    /// The walkers.
    pub fn ensemble(&self) -> &Ensemble {
        &self.ensemble
    }
}
