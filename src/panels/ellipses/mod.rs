//! `ellipses` — Liu, Ziyin & Ueda (2021), Fig. 3: an ensemble of SGD walkers on
//! L(w) = ½ wᵀKw with three 3σ ellipses over its cloud: the walkers' own (empirical), the
//! exact discrete-time stationary covariance, and the continuous-time one (Eq. 1); behind them,
//! optionally, contours of the loss and of the effective loss ½wᵀH_eff w
//! ([`crate::theory::effective`]).
//!
//! The one live panel: on the page its walkers keep running while the reader drags a slider
//! ([`crate::panels::live`]); as a figure (`nqm figure ellipses`, exports) it is the walkers
//! after `steps` steps from the origin. [`view`] lays out what the plot shows.

mod view;

use super::kit::figure;
use super::live::Walkers;
use super::{Panel, Spec};
use crate::figure::{Figure, Patch, Plot};
use crate::model::Model;
use crate::params::Params;
use crate::sim::Ensemble;
use crate::theory::effective::{effective_hessian, EffectiveHessian};
use crate::theory::{self, Prediction};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use view::{Ids, Shown};

/// The panel.
pub struct Ellipses;

static SPEC: Spec = Spec {
    name: "ellipses",
    title: "Stationary 3σ ellipses",
    claim: include_str!("claim.txt").trim_ascii(),
    caption: include_str!("caption.html").trim_ascii(),
    reading: include_str!("reading.json"),
    source: "Liu, Ziyin & Ueda (2021), Fig. 3a–f; Thms 1–3, 10; Eqs. 1, 72; Cor. 1; Sec. 4.6",
    keys: &[
        "lr", "mu", "opt", "qhm_nu", "h1", "h2", "h_angle", "noise", "sigma2", "a", "c1", "c2",
        "c_angle", "cf", "n_data", "batch", "replace", "contours", "walkers", "seed", "speed",
    ],
    defaults: |_| {},
    presets: &[
        (
            "Fig. 3a: white noise, λ = 0.1",
            "noise=white&sigma2=1&lr=0.1&mu=0&opt=sgd",
        ),
        (
            "Fig. 3c: white noise, λ = 1.5",
            "noise=white&sigma2=1&lr=1.5&mu=0&opt=sgd",
        ),
        (
            "Fig. 3d: minibatch, λ = 0.1",
            "noise=minibatch&n_data=1000&batch=100&lr=0.1&mu=0&opt=sgd",
        ),
        (
            "Fig. 3f: minibatch, λ = 1.5",
            "noise=minibatch&n_data=1000&batch=100&lr=1.5&mu=0&opt=sgd",
        ),
    ],
    live: true,
    heavy: false,
    accepts: &[],
    spectrum: None,
};

/// The model and its exact theory, the effective Hessian (or why there is none), and why
/// there are no walkers, if there are none (NGD or Adam without a stationary state, damped
/// Newton with a singular K).
struct Theory {
    model: Model,
    prediction: Prediction,
    effective: Result<EffectiveHessian, String>,
    no_walkers: Option<String>,
}

/// What the walkers' job, the live frames and the readouts need.
#[derive(Serialize, Deserialize)]
pub struct Plan {
    /// The setting, in two dimensions.
    setting: Params,
    /// The plot's series.
    ids: Ids,
    /// The theory, computed once where the plan is used.
    #[serde(skip)]
    theory: OnceLock<Theory>,
}

impl Theory {
    fn of(setting: &Params) -> Theory {
        let model = setting.model();
        let opt = setting.optimizer();
        let prediction = theory::predict(&model, &opt);
        let effective = effective_hessian(&model, &opt, prediction.stationary.as_ref());
        let no_walkers = setting.dynamics(&model).err();
        Theory {
            model,
            prediction,
            effective,
            no_walkers,
        }
    }
}

impl Plan {
    fn theory(&self) -> &Theory {
        self.theory.get_or_init(|| Theory::of(&self.setting))
    }

    fn model(&self) -> &Model {
        &self.theory().model
    }
}

impl Panel for Ellipses {
    type Plan = Plan;

    fn spec(&self) -> &'static Spec {
        &SPEC
    }

    fn plan(&self, p: &Params) -> (Plan, Figure) {
        let mut setting = p.clone();
        setting.dim = 2;
        let mut fig = figure(p, vec![Plot::new("w₁", "w₂")]);
        let theory = Theory::of(&setting);
        let plan = Plan {
            ids: view::add_series(&mut fig, &theory.prediction),
            setting,
            theory: OnceLock::from(theory),
        };
        view::theory(&mut fig, &plan);
        fig.jobs = 1;
        (plan, fig)
    }

    fn job(&self, plan: &Plan, _i: usize) -> Vec<Patch> {
        let p = &plan.setting;
        let mut e = Ensemble::new(2, p.walkers as usize, p.seed);
        if let Ok(dy) = p.dynamics(plan.model()) {
            e.advance(&dy, p.steps);
        }
        let shown = Shown::of(&e);
        vec![
            Patch::whole(plan.ids.walkers, shown.cloud),
            Patch::whole(plan.ids.empirical, shown.ellipse),
        ]
    }

    fn finish(&self, plan: &Plan, fig: &mut Figure) {
        if fig.complete() && fig.jobs > 0 {
            view::after_run(fig, plan);
        }
    }

    fn walkers(&self, plan: &Plan) -> Option<Walkers> {
        let p = &plan.setting;
        Some(Walkers {
            dynamics: p.dynamics(plan.model()),
            dim: 2,
            count: p.walkers as usize,
            seed: p.seed,
            per_frame: p.speed,
            revive: plan.theory().prediction.stable,
        })
    }

    fn show(&self, plan: &Plan, walkers: &Ensemble, fig: &mut Figure) {
        view::live(fig, plan, &Shown::of(walkers));
    }
}
