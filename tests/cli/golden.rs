//! Golden figures: every panel at its defaults and at each of its presets gives the figure saved
//! in `tests/golden/` (by `tests/golden/bless.py`): the same series in the same order with the
//! same names and kinds, theory values to 1e-9, and bit-identical Monte Carlo for the same seed.
//!
//! A deliberate change of what a figure shows (a science fix, a new sampler, a new default)
//! blesses new files in a commit of its own that gives the reason; anything else that moves a
//! number fails here.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Relative tolerance of theory values (and of everything computed from them).
const RTOL: f64 = 1e-9;

/// The golden files, or with `NQM_GOLDEN=<prefix>` only those of panels starting with it.
fn golden_files() -> Vec<PathBuf> {
    let only = std::env::var("NQM_GOLDEN").unwrap_or_default();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(&only))
        .collect();
    files.sort();
    files
}

fn figure(panel: &str, query: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_nqm"))
        .args(["figure", panel, query, "--json", "--threads", "2"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{panel} '{query}': {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn numbers(v: &Value) -> Vec<Option<f64>> {
    v.as_array()
        .map(|a| a.iter().map(Value::as_f64).collect())
        .unwrap_or_default()
}

/// Whether two lists agree: exactly (Monte Carlo) or to `RTOL` of the list's scale (theory).
fn agree(a: &[Option<f64>], b: &[Option<f64>], exact: bool) -> Result<(), String> {
    if a.len() != b.len() {
        return Err(format!("{} values, want {}", a.len(), b.len()));
    }
    let scale = b.iter().flatten().fold(0.0f64, |m, x| m.max(x.abs()));
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let ok = match (x, y) {
            (None, None) => true,
            (Some(x), Some(y)) if exact => x.to_bits() == y.to_bits(),
            (Some(x), Some(y)) => (x - y).abs() <= RTOL * (x.abs() + y.abs()) + 1e-12 * scale,
            _ => false,
        };
        if !ok {
            return Err(format!("value {i}: {x:?}, want {y:?}"));
        }
    }
    Ok(())
}

fn compare_series(got: &Value, want: &Value) -> Result<(), String> {
    let (g, w) = (got.as_array().unwrap(), want.as_array().unwrap());
    let names = |v: &[Value]| v.iter().map(|s| s["name"].to_string()).collect::<Vec<_>>();
    if names(g) != names(w) {
        return Err(format!("series {:?}, want {:?}", names(g), names(w)));
    }
    for (gs, ws) in g.iter().zip(w) {
        let name = &ws["name"];
        for key in ["kind", "plot", "style", "color", "legend"] {
            if gs[key] != ws[key] {
                return Err(format!("{name}: {key} {}, want {}", gs[key], ws[key]));
            }
        }
        let mc = ws["kind"] == "monte-carlo";
        agree(&numbers(&gs["x"]), &numbers(&ws["x"]), false)
            .map_err(|e| format!("{name} x: {e}"))?;
        for key in ["y", "y_err"] {
            agree(&numbers(&gs[key]), &numbers(&ws[key]), mc)
                .map_err(|e| format!("{name} {key}: {e}"))?;
        }
    }
    Ok(())
}

fn compare_readouts(got: &Value, want: &Value) -> Result<(), String> {
    let keys = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["key"].to_string())
            .collect::<Vec<_>>()
    };
    if keys(got) != keys(want) {
        return Err(format!("readouts {:?}, want {:?}", keys(got), keys(want)));
    }
    let values = |v: &Value, k: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r[k].as_f64())
            .collect()
    };
    for k in ["value", "se"] {
        let (g, w): (Vec<_>, Vec<_>) = (values(got, k), values(want, k));
        agree(&g, &w, false).map_err(|e| format!("readout {k}: {e}"))?;
    }
    Ok(())
}

fn compare(got: &Value, want: &Value) -> Result<(), String> {
    for key in ["panel", "query", "params", "complete"] {
        if got[key] != want[key] {
            return Err(format!("{key}: {}, want {}", got[key], want[key]));
        }
    }
    let labels = |v: &Value| {
        v["plots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["x_label"].to_string(), p["y_label"].to_string()))
            .collect::<Vec<_>>()
    };
    if labels(got) != labels(want) {
        return Err(format!("plots {:?}, want {:?}", labels(got), labels(want)));
    }
    compare_series(&got["series"], &want["series"])?;
    compare_readouts(&got["readouts"], &want["readouts"])
}

#[test]
fn every_panel_gives_its_golden_figure() {
    let files = golden_files();
    let selected = std::env::var("NQM_GOLDEN").is_ok();
    assert!(
        selected || files.len() >= 15,
        "only {} golden files",
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        let want: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let panel = want["panel"].as_str().unwrap();
        let got = figure(panel, want["query"].as_str().unwrap());
        if let Err(e) = compare(&got, &want) {
            failures.push(format!(
                "{}: {e}",
                path.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
