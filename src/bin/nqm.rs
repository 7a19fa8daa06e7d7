//! `nqm`: the explorer's theory and Monte Carlo on the command line, taking the page's query
//! strings. `nqm theory '<query>'` and `nqm simulate '<query>'` print JSON; `nqm help` lists
//! the keys.

use nqm_explorer::params::{self, Audience, Params};
use nqm_explorer::theory;
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
        Some("simulate") => nqm_explorer::sim::simulate_report(&p),
        Some(other) => {
            eprintln!("nqm: unknown command '{other}'\n\n{}", usage());
            return ExitCode::from(2);
        }
        None => unreachable!(),
    };
    if let Some(e) = out.get("error").and_then(|e| e.as_str()) {
        eprintln!("nqm: {e}");
        return ExitCode::from(2);
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&out).expect("JSON serialises")
    );
    ExitCode::SUCCESS
}
