//! The JSON reports of the command line and the page's scripting API: every applicable
//! theoretical result for one setting ([`theory_json`], what `nqm theory` prints and
//! `window.nqm.theory` returns) and a Monte Carlo run ([`simulate_json`], `nqm simulate`), with
//! the same field names on both.

use crate::model::spectrum::Spectrum;
use crate::model::Model;
use crate::optimizer::{Opt, Optimizer};
use crate::params::{query::fields_json, Params};
use crate::sim::{Ensemble, Observables};
use crate::theory::{self, bayes, closed_form as cf, current, effective, escape, fdr, kramers};
use crate::theory::{expected_loss, matrix_json, number_json, predict, Prediction};
use nalgebra::DMatrix;
use serde_json::{json, Value};

fn commute(a: &DMatrix<f64>, b: &DMatrix<f64>) -> bool {
    (a * b - b * a).norm() <= 1e-12 * (a.norm() * b.norm()).max(f64::MIN_POSITIVE)
}

/// The paper's closed form for this optimizer and noise, where one applies: `{source, sigma,
/// loss}`; `null` where the paper has none.
pub fn closed_form(model: &Model, opt: &Optimizer) -> Value {
    let (k, c, lr, mu) = (&model.k, &model.c, opt.lr, opt.mu);
    let d = model.dim();
    let constant = model.noise_op().is_none();
    let commuting = constant && commute(c, k);
    let loss = |s: &Option<DMatrix<f64>>| s.as_ref().map(|s| expected_loss(k, s));
    let (source, sigma, l) = match opt.opt {
        Opt::Sgd if constant && opt.damp == 0.0 => {
            let s = if commuting {
                cf::cor1(k, c, lr, mu)
            } else {
                None
            };
            let src = if commuting {
                "Cor. 1 (Eq. 8); loss Thm 5 (Eq. 12)"
            } else {
                "Thm 5 (Eq. 12), loss only: C does not commute with K"
            };
            (src, s, cf::thm5_loss(k, c, lr, mu))
        }
        Opt::Qhm if commuting => {
            let s = cf::qhm_commuting(k, c, lr, mu, opt.qhm_nu);
            (
                "this project's ARMA(2,1) solution of QHM's update rule (Liu et al. Eq. 72) per \
                 eigen-mode, for [C, K] = 0; not Thm 11 or Cor. 7 (Eqs. 82–92), which as printed \
                 do not give QHM's covariance",
                s.clone(),
                loss(&s),
            )
        }
        Opt::Nesterov if commuting => {
            let s = cf::qhm_commuting(k, c, lr / (1.0 - mu), mu, mu);
            (
                "QHM with λ/(1−μ), ν = μ: this project's ARMA(2,1) solution of the update rule \
                 (Liu et al. Eq. 72) per eigen-mode, for [C, K] = 0; not Thm 11",
                s.clone(),
                loss(&s),
            )
        }
        Opt::Dnm if constant => (
            "Thm 12 (Eq. 98); loss Cor. 8 (Eq. 103)",
            cf::thm12_dnm(k, c, lr, mu),
            cf::cor8_dnm_loss(k, c, lr, mu),
        ),
        Opt::Ngd if !constant && c.norm() == 0.0 => {
            let s = cf::cor6_ngd(k, model.c_fisher, lr, mu);
            (
                "Cor. 6 (Eq. 26); loss Cor. 10 (Eq. 112)",
                s.clone(),
                loss(&s),
            )
        }
        Opt::Ngd if commuting => {
            let s = cf::cor9_ngd(k, c, lr, mu);
            (
                "Cor. 9 (Eq. 107); loss Cor. 10 (Eq. 112)",
                s.clone(),
                loss(&s),
            )
        }
        Opt::Adam if !constant && c.norm() == 0.0 && mu == 0.0 && opt.damp == 0.0 => {
            let s = Some(cf::thm10_adam(d, model.c_fisher, lr));
            ("Thm 10 (Eq. 27); loss Eq. 117", s.clone(), loss(&s))
        }
        _ => return Value::Null,
    };
    json!({"source": source, "sigma": matrix_json(sigma.as_ref()), "loss": number_json(l)})
}

/// The effective Hessian ([`effective::effective_hessian`]) as `{matrix, eigenvalues, form,
/// definition, measured_against, temperature, normalisation, sigma_inverse}`, and `null` with
/// the reason in words where there is none.
fn effective_json(
    model: &Model,
    opt: &Optimizer,
    st: Option<&theory::Stationary>,
) -> (Value, Value) {
    match effective::effective_hessian(model, opt, st) {
        Ok(h) => (
            json!({
                "matrix": matrix_json(Some(&h.matrix)),
                "eigenvalues": eigenvalues_json(&h.matrix),
                "form": h.form,
                "definition": "the Hessian H for which the continuous-time theory with the same \
                               effective learning rate E and noise C gives the exact Σ: \
                               EHΣ + ΣHEᵀ = ECEᵀ, i.e. H = ½ECΣ⁻¹ (E, C, Σ functions of K)",
                "measured_against": h.measured_against(),
                "temperature": number_json(h.temperature),
                "normalisation": matrix_json(Some(&h.normalisation)),
                "sigma_inverse": h.sigma_inverse,
            }),
            Value::Null,
        ),
        Err(why) => (Value::Null, json!(why)),
    }
}

/// Sec. 4.6's effective Hessian as printed, K + λK²/2, with its label.
fn paper_effective_json(model: &Model, lr: f64) -> Value {
    let m = &model.k + &model.k * &model.k * (lr / 2.0);
    json!({
        "matrix": matrix_json(Some(&m)),
        "eigenvalues": eigenvalues_json(&m),
        "label": "Liu et al. Sec. 4.6 as printed: K + λK²/2, to first order in λ, for SGD with \
                  white noise; the exact density (Cor. 3) has the other sign, K − λK²/2 (see \
                  effective_hessian)",
    })
}

/// The eigenvalues of a symmetric matrix, largest first.
fn eigenvalues_json(m: &DMatrix<f64>) -> Value {
    let mut e: Vec<f64> =
        crate::linalg::sym_eigenvalues(m).map_or(Vec::new(), |e| e.iter().copied().collect());
    e.sort_by(|a, b| b.total_cmp(a));
    json!(e
        .into_iter()
        .map(|x| number_json(Some(x)))
        .collect::<Vec<_>>())
}

/// The noise of each mode of the power-law spectrum, as `noise` says, with its description; or
/// why the spectrum has no such noise.
///
/// White σ² (isotropic: Thm 8's ratio is then exactly 1), Hessian-aligned a·kᵢ, mixed σ² + a·kᵢ,
/// Fisher c_f·kᵢ²σᵢ (state-dependent, so no constant cᵢ). General noise is a 2-D matrix with its
/// own eigenbasis (c1, c2, c_angle) and minibatch noise comes from a generated 2-D data set:
/// neither says what the noise of mode i of a D-dimensional spectrum would be.
fn spectrum_noise(p: &Params, ks: &[f64]) -> Result<(Vec<f64>, &'static str), &'static str> {
    use crate::params::Noise;
    let per_mode = |f: &dyn Fn(f64) -> f64| ks.iter().map(|&k| f(k)).collect();
    match p.noise {
        Noise::White => Ok((
            per_mode(&|_| p.sigma2),
            "cᵢ = σ² (white, isotropic: Thm 8's ratio is 1)",
        )),
        Noise::Hessian => Ok((per_mode(&|k| p.a * k), "cᵢ = a·kᵢ (Hessian-aligned)")),
        Noise::Mixed => Ok((per_mode(&|k| p.sigma2 + p.a * k), "cᵢ = σ² + a·kᵢ (mixed)")),
        Noise::Fisher => Ok((
            per_mode(&|_| 0.0),
            "cᵢ = c_f·kᵢ²σᵢ (Fisher, state-dependent)",
        )),
        Noise::General => Err("general noise is a 2-D covariance with its own eigenbasis \
                               (c1, c2, c_angle): it does not say what the noise of each mode of \
                               a D-dimensional spectrum would be (choose white, hessian, mixed or \
                               fisher)"),
        Noise::Minibatch => Err(
            "minibatch noise comes from a generated 2-D regression data set \
                                 (n_data, batch): it has no counterpart on a D-dimensional \
                                 power-law spectrum (choose white, hessian, mixed or fisher)",
        ),
    }
}

/// Results for the power-law spectrum kᵢ = h1·i^(−spec_decay), i = 1…spec_d, with the noise of
/// `noise` mode by mode ([`spectrum_noise`]): `null` values and a `reason` where the spectrum
/// has no meaning or a value does not exist.
fn spectrum_json(p: &Params, opt: &Optimizer, with_t: bool) -> Value {
    let ks = theory::spectrum::power_law(p.spec_d as usize, p.h1, p.spec_decay);
    let mut out = json!({"dim": p.spec_d, "loss_discrete": null, "loss_continuous": null,
                         "anisotropy_ratio": null, "noise": null, "reason": null});
    if with_t {
        out["escape_discrete"] = Value::Null;
        out["escape_continuous"] = Value::Null;
    }
    let (cs, noise) = match spectrum_noise(p, &ks) {
        Ok(n) => n,
        Err(why) => {
            out["reason"] = json!(why);
            return out;
        }
    };
    out["noise"] = json!(noise);
    let cf = if p.noise == crate::params::Noise::Fisher {
        p.cf
    } else {
        0.0
    };
    let mut opt1 = opt.clone();
    opt1.precond = DMatrix::from_element(1, 1, p.p1);
    let (ld, lc) = theory::spectrum::loss(&ks, &cs, cf, &opt1);
    out["loss_discrete"] = number_json(ld);
    out["loss_continuous"] = number_json(lc);
    out["anisotropy_ratio"] =
        number_json((cf == 0.0).then(|| theory::spectrum::anisotropy_ratio(&ks, &cs)));
    let mut why = Vec::new();
    if with_t {
        let (ed, ec) = theory::spectrum::escape(&ks, &cs, cf, &opt1, p.t);
        out["escape_discrete"] = number_json(ed);
        out["escape_continuous"] = number_json(ec);
        if ed.is_none() || ec.is_none() {
            why.push("an escape value is missing: some mode has no solution at this setting");
        }
    }
    if ld.is_none() {
        why.push("no exact stationary state in some mode (beyond the stability limit)");
    }
    if lc.is_none() {
        why.push("the continuous-time theory has no stationary state in some mode");
    }
    if cf != 0.0 {
        why.push("Thm 8's anisotropy ratio needs constant noise; Fisher noise depends on Σ");
    }
    if !why.is_empty() {
        out["reason"] = json!(why.join("; "));
    }
    out
}

/// What the theory says about a measured spectrum ([`theory::measured`]) at the rate `lr`,
/// momentum `mu`, batch `batch` of `n_data` (noise cᵢ = a·hᵢ without a `c` column), and the
/// batch-size settings `theta0`, `target`, `max_steps`, `batch_max` for B_crit.
fn your_model_json(s: &Spectrum, p: &Params) -> Value {
    let summary = theory::measured::summarise(s, &p.measured_setting());
    let mut v = serde_json::to_value(&summary).expect("the summary serialises");
    v["noise"] = json!(match s.c() {
        Some(_) => "cᵢ from the spectrum's c column".to_string(),
        None => format!("cᵢ = a·hᵢ with a = {} (no c column: Fisher ≈ Hessian)", p.a),
    });
    v
}

/// Every applicable result for the parameters `p`; `given` lists the keys the query set
/// explicitly (transient results need `t`, Bayesian ones `n_data` and `batch`, Kramers ones any
/// of `dl`, `ka`, `kb`, `l_mid`, `r`).
pub fn theory_json(p: &Params, given: &[&str]) -> Value {
    let model = p.model();
    let opt = p.optimizer();
    let pred: Prediction = predict(&model, &opt);
    let mut out = pred.to_json();
    let o = out.as_object_mut().expect("an object");
    o.insert("params".into(), params_json(p));
    o.insert("optimizer".into(), json!(opt.name()));
    o.insert("closed_form".into(), closed_form(&model, &opt));
    let (eff, why) = effective_json(&model, &opt, pred.stationary.as_ref());
    o.insert("effective_hessian".into(), eff);
    o.insert("effective_hessian_reason".into(), why);
    o.insert(
        "effective_hessian_paper".into(),
        paper_effective_json(&model, p.lr),
    );
    if model.c_fisher == 0.0 {
        o.insert(
            "anisotropy_ratio".into(),
            number_json(Some(cf::thm8_ratio(&model.k, &model.c))),
        );
    }
    insert_fdr_and_current(o, &model, &opt, &pred);
    let has = |k: &str| given.contains(&k);
    if has("t") {
        insert_escape(o, p, &model, &opt);
    }
    if has("n_data") && has("batch") {
        insert_bayes(o, p, &model);
    }
    if let Some(s) = &p.spectrum {
        o.insert("your_model".into(), your_model_json(s, p));
    } else if p.spec_d > 0 {
        o.insert("spectrum".into(), spectrum_json(p, &opt, has("t")));
    }
    if ["dl", "ka", "kb", "l_mid", "r"].iter().any(|k| has(k)) {
        insert_kramers(o, p);
    }
    out
}

type Object = serde_json::Map<String, Value>;

/// Yaida's relations, and Chaudhari–Soatto's potential and current (discrete and continuous).
fn insert_fdr_and_current(o: &mut Object, model: &Model, opt: &Optimizer, pred: &Prediction) {
    let st = pred.stationary.as_ref();
    let f = st.and_then(|s| fdr::fdr(model, opt, s));
    o.insert("fdr".into(), f.map_or(Value::Null, |f| json!(f)));
    let cur_d = st.and_then(|s| current::discrete(model, s));
    let cur_c = pred
        .sigma_continuous
        .as_ref()
        .and_then(|s| current::continuous(model, opt, s));
    for (name, cur) in [("discrete", cur_d), ("continuous", cur_c)] {
        let cur = cur.as_ref();
        o.insert(
            format!("potential_{name}"),
            matrix_json(cur.map(|c| &c.potential)),
        );
        o.insert(
            format!("potential_matches_loss_{name}"),
            cur.map_or(Value::Null, |c| json!(c.potential_matches_loss)),
        );
        o.insert(
            format!("current_{name}"),
            matrix_json(cur.map(|c| &c.velocity)),
        );
        o.insert(
            format!("circulation_{name}"),
            number_json(cur.map(|c| c.circulation)),
        );
    }
}

/// The covariance after `t` steps from the minimum and the escape efficiency, exact and
/// continuous, and Eqs. 18–19 for plain SGD with constant noise.
fn insert_escape(o: &mut Object, p: &Params, model: &Model, opt: &Optimizer) {
    let s_t = escape::sigma_after(model, opt, p.t);
    o.insert("sigma_after_t".into(), matrix_json(s_t.as_ref()));
    o.insert(
        "escape_discrete".into(),
        number_json(s_t.as_ref().map(|s| expected_loss(&model.k, s))),
    );
    o.insert(
        "escape_continuous".into(),
        number_json(escape::escape_continuous(model, opt, p.t as f64)),
    );
    let plain = opt.opt == Opt::Sgd && p.mu == 0.0 && p.damp == 0.0 && model.noise_op().is_none();
    let eq18 = plain.then(|| cf::eq18_escape(&model.k, &model.c, p.lr, p.t));
    o.insert("escape_eq18".into(), number_json(eq18.flatten()));
    let eq19 = plain.then(|| cf::eq19_escape(&model.k, &model.c, p.lr, p.t as f64));
    o.insert("escape_eq19".into(), number_json(eq19));
}

/// The Bayes-optimal learning rate (the root of Eq. 16), Mandt's, and the KL at `lr`.
fn insert_bayes(o: &mut Object, p: &Params, model: &Model) {
    let ks = bayes::eigenvalues(&model.k);
    let (n, s) = (p.n_data as f64, p.batch as f64);
    o.insert("bayes_lr".into(), number_json(bayes::optimal_lr(&ks, n, s)));
    o.insert(
        "bayes_lr_mandt".into(),
        number_json(Some(cf::mandt_lr(&ks, n, s))),
    );
    o.insert(
        "bayes_kl".into(),
        number_json(bayes::kl(&model.k, n, s, p.lr)),
    );
}

/// The Kramers escape rates of Eq. 23 (discrete) and Eq. 24 (continuous).
fn insert_kramers(o: &mut Object, p: &Params) {
    let kr = kramers::Kramers {
        lr: p.lr,
        batch: p.batch as f64,
        dl: p.dl,
        ka: p.ka,
        kb: p.kb,
        l: p.l_mid,
        r: p.r,
    };
    o.insert("kramers_rate".into(), number_json(kr.rate()));
    o.insert(
        "kramers_rate_continuous".into(),
        number_json(Some(kr.rate_continuous())),
    );
}

/// Runs the simulation the parameters describe — `walkers` walkers, `steps` steps, `seed` —
/// and reports it as JSON, the same natively (`nqm simulate`) and in WebAssembly:
/// `sigma_empirical` (± `sigma_empirical_se`), `mean`, `loss_empirical`, `walkers_alive`,
/// `diverged`, `steps`, and Yaida's observables `observed` (plain and half-running averages of
/// the ensemble means of loss, O_L, O_R and |∇f|²). `first_walker` is walker 0's final
/// position, for reproducibility checks.
pub fn simulate_json(p: &Params) -> Value {
    simulate_json_on(p, 1)
}

/// [`simulate_json`] with the walkers' chunks on up to `threads` threads natively: the same
/// numbers for any number of threads ([`Ensemble::set_threads`]).
pub fn simulate_json_on(p: &Params, threads: usize) -> Value {
    let model = p.model();
    let dynamics = match p.dynamics(&model) {
        Ok(d) => d,
        Err(e) => return json!({ "params": params_json(p), "error": e }),
    };
    let mut e = Ensemble::new(model.dim(), p.walkers as usize, p.seed);
    e.set_threads(threads);
    e.observe(true);
    e.advance(&dynamics, p.steps);
    let m = e.moments();
    let s = e.observed();
    let avg = |v: &[f64]| json!({ "running": number_json(Observables::running(v)), "half_running": number_json(Observables::half_running(v)) });
    json!({
        "params": params_json(p),
        "steps": e.steps(),
        "walkers_alive": e.len() - e.diverged(),
        "diverged": e.diverged(),
        "mean": m.as_ref().map(|m| json!(m.mean)),
        "sigma_empirical": matrix_json(m.as_ref().map(|m| &m.cov)),
        "sigma_empirical_se": matrix_json(m.as_ref().map(|m| &m.cov_se)),
        "loss_empirical": number_json(m.as_ref().map(|m| expected_loss(&model.k, &m.cov))),
        "observed": {
            "loss": avg(&s.loss),
            "o_l": avg(&s.o_l),
            "o_r": avg(&s.o_r),
            "grad_sq": avg(&s.grad_sq),
        },
        "first_walker": (!e.is_empty() && e.is_alive(0)).then(|| json!([e.coords(0)[0], if e.dim() == 2 { e.coords(1)[0] } else { 0.0 }])),
    })
}

/// Every field of `p` and its panel, keyed as in the query.
fn params_json(p: &Params) -> Value {
    let mut v = fields_json(p, |_| true);
    v["panel"] = json!(p.panel);
    v
}
