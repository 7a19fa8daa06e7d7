//! `nqm`: the explorer's theory and Monte Carlo on the command line, taking the page's query
//! strings. `nqm theory '<query>'` and `nqm simulate '<query>'` print JSON; `nqm help` lists
//! the keys.

use nqm_explorer::model::Model;
use nqm_explorer::params::{self, Audience, Params};
use nqm_explorer::sim::{Dynamics, Ensemble};
use nqm_explorer::theory::{self, matrix_json, number_json};
use serde_json::json;
use std::process::ExitCode;

const USAGE: &str = "\
usage: nqm theory   '<query>'   exact discrete and continuous stationary covariance, as JSON
       nqm simulate '<query>'   Monte Carlo of `walkers` SGD runs for `steps` steps, as JSON
       nqm help                 this text

A query is the explorer page's permalink query, e.g. 'lr=1.5&h1=1&h2=0.1&noise=white&sigma2=1'.
Keys not given take their defaults; unknown keys are ignored; an invalid value is an error.
Keys:
";

fn usage() -> String {
    format!("{USAGE}{}", params::help_text())
}

fn parse(query: &str) -> Result<Params, String> {
    let (p, errors) = params::parse_query(query, Audience::Cli);
    if errors.is_empty() {
        Ok(p)
    } else {
        Err(errors
            .iter()
            .map(|e| format!("invalid query: {e}"))
            .collect::<Vec<_>>()
            .join("\n"))
    }
}

fn simulate_json(p: &Params) -> serde_json::Value {
    let model = Model::from_params(p);
    let dynamics = Dynamics::heavy_ball(&model, p.lr, p.mu);
    let mut e = Ensemble::new(p.dim as usize, p.walkers as usize, p.seed);
    e.advance(&dynamics, p.steps);
    let m = e.moments();
    json!({
        "params": p.to_json(Audience::Cli),
        "steps": e.steps(),
        "walkers_alive": e.len() - e.diverged(),
        "diverged": e.diverged(),
        "mean": m.as_ref().map(|m| json!(m.mean)),
        "sigma_empirical": matrix_json(m.as_ref().map(|m| &m.cov)),
        "sigma_empirical_se": matrix_json(m.as_ref().map(|m| &m.cov_se)),
        "loss_empirical": number_json(m.as_ref().map(|m| theory::expected_loss(&model.k, &m.cov))),
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = args.first().map(String::as_str);
    if matches!(cmd, None | Some("help" | "--help" | "-h")) || args.iter().any(|a| a == "--help") {
        print!("{}", usage());
        return if cmd.is_none() {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    if args.len() > 2 {
        eprintln!("nqm: expected one query argument\n\n{}", usage());
        return ExitCode::from(2);
    }
    let query = args.get(1).map(String::as_str).unwrap_or("");
    let p = match parse(query) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("nqm: {e}");
            return ExitCode::from(2);
        }
    };
    let out = match cmd {
        Some("theory") => {
            theory::report::theory_json(&p, &params::given_keys(query, Audience::Cli))
        }
        Some("simulate") => simulate_json(&p),
        Some(other) => {
            eprintln!("nqm: unknown command '{other}'\n\n{}", usage());
            return ExitCode::from(2);
        }
        None => unreachable!(),
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&out).expect("JSON serialises")
    );
    ExitCode::SUCCESS
}
