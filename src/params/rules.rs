//! The rules between fields, and the caps on work that keep a stranger's link from asking for
//! too much: a minibatch no larger than its data set, Student-t noise with a finite variance,
//! a bounded data set, bounded walker-steps per Monte Carlo run and per animation frame; and
//! rules that hold only where a panel shows the fields they relate ([`Params::reconcile_shown`]:
//! batch sizes no larger than a finite data set, walkers × dimensions within memory).

use super::{Dist, Noise, ParamError, Params};

/// Largest data set generated for real minibatch noise.
pub const MAX_DATA: u64 = 1_000_000;

/// Most walker-steps one Monte Carlo run (one point of a sweep) may ask for: about 15 s in a
/// browser. A link asking for more gets fewer steps, and says so.
pub const MAX_WORK: u64 = 1_000_000_000;

/// Most walker-steps (times the minibatch size, for real minibatches) one animation frame of
/// a live panel may ask for: about 50 ms.
pub const MAX_FRAME_WORK: u64 = 20_000_000;

/// Most walkers × dimensions of a D-dimensional Monte Carlo run (its state, 2 × 8 bytes each,
/// stays within 64 MB).
pub const MAX_WALKER_COORDS: u64 = 4_000_000;

impl Params {
    /// [`Params::reconcile`] until every rule holds; every change it made. `live`: the
    /// parameters drive an animation (the frame cap applies).
    pub fn reconcile_all(&mut self, live: bool) -> Vec<ParamError> {
        let mut out = Vec::new();
        // Each fix only lowers a value, so a few rounds settle it.
        for _ in 0..8 {
            match self.reconcile(live) {
                Some(e) => out.push(e),
                None => break,
            }
        }
        out
    }

    /// Enforces the first rule between fields that does not hold, and reports what it changed.
    pub fn reconcile(&mut self, live: bool) -> Option<ParamError> {
        self.student_dof()
            .or_else(|| self.data_size())
            .or_else(|| self.run_work())
            .or_else(|| if live { self.frame_work() } else { None })
            .or_else(|| self.batch_in_data())
    }

    /// Walker-steps of one step of the ensemble: walkers, times the minibatch for real
    /// minibatch noise (each walker-step then costs a minibatch of gradients); and that unit.
    fn work_per_step(&self) -> (u64, u64) {
        let unit = if self.noise == Noise::Minibatch {
            self.batch.max(1)
        } else {
            1
        };
        (self.walkers.max(1).saturating_mul(unit), unit)
    }

    fn student_dof(&mut self) -> Option<ParamError> {
        if !(self.dist == Dist::Student && (1..3).contains(&self.dof)) {
            return None;
        }
        let was = self.dof;
        self.dof = 0;
        Some(ParamError {
            key: "dof".into(),
            reason: format!("{was} degrees of freedom give Student-t noise no finite variance"),
            fallback: Some("0".into()),
        })
    }

    fn data_size(&mut self) -> Option<ParamError> {
        if !(self.noise == Noise::Minibatch && self.n_data > MAX_DATA) {
            return None;
        }
        let was = self.n_data;
        self.n_data = MAX_DATA;
        self.batch = self.batch.min(MAX_DATA);
        Some(ParamError {
            key: "n_data".into(),
            reason: format!("{was} points are more than the {MAX_DATA} a generated data set holds"),
            fallback: Some(MAX_DATA.to_string()),
        })
    }

    fn run_work(&mut self) -> Option<ParamError> {
        let (per_step, unit) = self.work_per_step();
        if per_step.saturating_mul(self.steps) <= MAX_WORK {
            return None;
        }
        let was = self.steps;
        self.steps = (MAX_WORK / per_step).max(1);
        Some(ParamError {
            key: "steps".into(),
            reason: format!(
                "{was} steps × {} walkers{} is more than the {MAX_WORK} walker-steps one run \
                 may take",
                self.walkers,
                if unit > 1 { " × the minibatch" } else { "" }
            ),
            fallback: Some(self.steps.to_string()),
        })
    }

    fn frame_work(&mut self) -> Option<ParamError> {
        let (per_step, unit) = self.work_per_step();
        if per_step.saturating_mul(self.speed) <= MAX_FRAME_WORK {
            return None;
        }
        let was = (self.walkers, self.speed);
        self.speed = (MAX_FRAME_WORK / per_step).max(1);
        if per_step > MAX_FRAME_WORK {
            self.walkers = (MAX_FRAME_WORK / unit).max(1);
        }
        let (key, fallback) = if self.walkers != was.0 {
            ("walkers", self.walkers)
        } else {
            ("speed", self.speed)
        };
        Some(ParamError {
            key: key.into(),
            reason: format!(
                "{} walkers × {} steps a frame{} is more work than a frame can do",
                was.0,
                was.1,
                if unit > 1 { " × the minibatch" } else { "" }
            ),
            fallback: Some(fallback.to_string()),
        })
    }

    fn batch_in_data(&mut self) -> Option<ParamError> {
        // n_data = 0 is infinite data (only where a panel accepts it).
        if self.n_data == 0 || self.batch <= self.n_data {
            return None;
        }
        let was = self.batch;
        self.batch = self.n_data;
        Some(ParamError {
            key: "batch".into(),
            reason: format!(
                "{was} is larger than the data set, n_data = {}",
                self.n_data
            ),
            fallback: Some(self.batch.to_string()),
        })
    }
}

impl Params {
    /// The rules between fields that a panel shows (`shown`: its keys), until every one holds;
    /// every change it made. A rule applies only where the panel shows all its fields, so that
    /// no hidden field of another panel is changed.
    pub fn reconcile_shown(&mut self, shown: &[&str]) -> Vec<ParamError> {
        let has = |keys: &[&str]| keys.iter().all(|k| shown.contains(k));
        let mut out = Vec::new();
        if has(&["batch_max", "n_data"]) && self.n_data > 0 && self.batch_max > self.n_data {
            let was = self.batch_max;
            self.batch_max = self.n_data;
            out.push(ParamError {
                key: "batch_max".into(),
                reason: format!(
                    "{was} is larger than the data set, n_data = {}",
                    self.n_data
                ),
                fallback: Some(self.batch_max.to_string()),
            });
        }
        // Walkers in all `spec_d` dimensions (all D = Σnᵢ of a measured spectrum) started at
        // θ₀ (the escape panel's `spec_d` is a theory curve's, its walkers are in `esc_dim`
        // dimensions).
        let dims = self.spectrum.as_ref().map_or(self.spec_d, |s| s.dims());
        if has(&["walkers", "spec_d", "theta0"])
            && self.walkers.saturating_mul(dims) > MAX_WALKER_COORDS
        {
            let was = self.walkers;
            self.walkers = (MAX_WALKER_COORDS / dims.max(1)).max(1);
            out.push(ParamError {
                key: "walkers".into(),
                reason: format!(
                    "{was} walkers × {dims} dimensions is more than the {MAX_WALKER_COORDS} \
                     coordinates a run may hold"
                ),
                fallback: Some(self.walkers.to_string()),
            });
        }
        out
    }
}
