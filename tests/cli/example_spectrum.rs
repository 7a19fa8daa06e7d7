//! The worked example of docs/guide.md ("Your own model: a small network's spectrum"): the
//! spectra examples/mlp_spectrum.py wrote load, and `nqm theory --spectrum` gives the numbers
//! the guide quotes, to the digits quoted.

use serde_json::Value;
use std::process::Command;

const TOP: &str = "examples/mlp_spectrum.csv";
const BINNED: &str = "examples/mlp_spectrum_binned.csv";

/// `nqm theory <query> --spectrum <file>`'s `your_model`, run from the crate's root.
fn your_model(query: &str, file: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_nqm"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["theory", query, "--spectrum", file])
        .output()
        .expect("nqm runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "nqm theory {query} --spectrum {file}: {err}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    v["your_model"].clone()
}

/// Asserts that `model[path]` rounds to `quoted` at the digits the guide gives.
fn quoted(model: &Value, path: &str, quoted: &str) {
    let value = path
        .split('.')
        .fold(model, |v, key| &v[key])
        .as_f64()
        .unwrap_or_else(|| panic!("{path} is missing"));
    let decimals = quoted.split('.').nth(1).map_or(0, str::len) as i32;
    let target: f64 = quoted.parse().unwrap();
    let half_ulp = 0.5 * 10f64.powi(-decimals) * (1.0 + 1e-9);
    assert!(
        (value - target).abs() <= half_ulp,
        "{path} = {value}, the guide says {quoted}"
    );
}

#[test]
fn example_spectrum_files_load() {
    let top = your_model("", TOP);
    assert_eq!(top["rows"], 100);
    assert!(top["notes"].as_array().unwrap().is_empty(), "{top}");
    let binned = your_model("", BINNED);
    assert_eq!(
        (binned["rows"].as_u64(), binned["directions"].as_u64()),
        (Some(59), Some(321))
    );
}

#[test]
fn example_spectrum_at_the_training_rate() {
    let m = your_model("lr=0.2&batch=32&n_data=1000", TOP);
    for (path, value) in [
        ("h_max", "3.431"),
        ("stability_edge", "0.5829"),
        ("edge_fraction", "0.3431"),
        ("loss_discrete", "0.003561"),
        ("loss_continuous", "0.002616"),
        ("loss_ratio", "1.361"),
        ("bayes_lr", "0.4630"),
        ("bayes_lr_continuous", "3.827"),
        ("anisotropy_ratio", "9.908"),
        ("tradeoff.b_crit", "3.470"),
        ("tradeoff.s_min", "50.94"),
        ("tradeoff.e_min", "176.8"),
    ] {
        quoted(&m, path, value);
    }
    let near = your_model("lr=0.2&batch=32&n_data=1000&theta0=0.3", TOP);
    quoted(&near, "tradeoff.b_crit", "32.96");
}

#[test]
fn example_spectrum_near_the_edge() {
    let m = your_model("lr=0.55&batch=32&n_data=1000", TOP);
    for (path, value) in [
        ("edge_fraction", "0.9436"),
        ("loss_discrete", "0.04432"),
        ("loss_continuous", "0.007193"),
        ("loss_ratio", "6.162"),
    ] {
        quoted(&m, path, value);
    }
}

#[test]
fn example_spectrum_binned() {
    let m = your_model("lr=0.2&batch=32&n_data=1000", BINNED);
    for (path, value) in [
        ("loss_discrete", "0.003579"),
        ("loss_ratio", "1.358"),
        ("stability_edge", "0.5969"),
        ("h_max", "3.350"),
        ("anisotropy_ratio", "31.00"),
    ] {
        quoted(&m, path, value);
    }
}
