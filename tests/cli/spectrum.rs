//! `--spectrum FILE` on the command line: a file equal to the power law gives batch-size the
//! power law's SGD curve; a bad file is refused (exit 2) naming its row and column; a panel
//! that takes no spectrum refuses it by name; `nqm theory` summarises the file's model.

use crate::{json, nqm};
use serde_json::Value;
use std::path::PathBuf;

/// `text` written to a file of this name in a directory of this test's own.
fn file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nqm-spectrum-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// hᵢ = h₁·i^(−p), cᵢ = hᵢ, i = 1…d, as CSV.
fn power_law_csv(d: usize, h1: f64, p: f64) -> String {
    let mut text = String::from("h,c\n");
    for i in 1..=d {
        let h = h1 * (i as f64).powf(-p);
        text.push_str(&format!("{h},{h}\n"));
    }
    text
}

/// The series named `name` of a figure's JSON.
fn series<'a>(fig: &'a Value, name: &str) -> &'a Value {
    (fig["series"].as_array().unwrap().iter())
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no series {name}"))
}

#[test]
fn batch_size_with_the_power_law_as_a_file_gives_its_sgd_curve() {
    let query = "spec_d=30&spec_decay=1.3&h1=2&walkers=16&batch_max=256&ema=0";
    let path = file("power_law.csv", &power_law_csv(30, 2.0, 1.3));
    let want = json(&["figure", "batch-size", query, "--json"]);
    let path = path.to_str().unwrap();
    let got = json(&["figure", "batch-size", query, "--spectrum", path, "--json"]);
    let (a, b) = (series(&want, "SGD"), series(&got, "SGD"));
    assert_eq!(a["x"], b["x"]);
    assert_eq!(a["y"], b["y"]);
    assert!(a["y"].as_array().unwrap().iter().any(Value::is_number));
    assert!(got["params"]["spectrum"].is_object(), "{}", got["params"]);
}

#[test]
fn a_bad_file_is_refused_naming_row_and_column() {
    let path = file("bad.csv", "h,c\n1,0.5\n0.5,-2\n");
    let (code, out, err) = nqm(&[
        "figure",
        "batch-size",
        "",
        "--spectrum",
        path.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("row 2, column c"), "{err}");
    assert!(err.contains("bad.csv"), "{err}");
    let (code, _, err) = nqm(&["theory", "", "--spectrum", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("row 2, column c"), "{err}");
}

#[test]
fn a_panel_that_takes_no_spectrum_refuses_it_by_name() {
    let path = file("ok.csv", "h\n1\n0.5\n");
    let (code, _, err) = nqm(&[
        "figure",
        "ellipses",
        "",
        "--spectrum",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("ellipses takes no spectrum"), "{err}");
    assert!(err.contains("batch-size"), "{err}");
}

#[test]
fn theory_summarises_the_file_s_model() {
    let path = file("model.csv", "h,c,count\n4,1,1\n1,0.5,10\n0.01,0.02,100\n");
    let v = json(&["theory", "", "--spectrum", path.to_str().unwrap()]);
    let m = &v["your_model"];
    assert!(m.is_object(), "{v}");
    let edge = m["stability_edge"].as_f64().unwrap();
    assert!(edge.is_finite() && edge > 0.0, "{edge}");
    assert_eq!(m["directions"], 111);
    assert_eq!(m["rows"], 3);
}
