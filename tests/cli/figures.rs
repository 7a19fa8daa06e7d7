//! `nqm figure` for every panel, at a small sample size: the JSON is the public format (panel,
//! params, series with a known kind and matching lengths, complete), and the SVG has the axes,
//! the legend labels and a drawn element for every series.

use nqm_explorer::panels::NAMES;
use serde_json::Value;
use std::process::Command;

/// A small sample for every panel: panels size their Monte Carlo by these keys.
const QUICK: &str = "walkers=200&points=4&steps=200";

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[test]
fn every_panel_renders_its_series_to_svg_and_json() {
    let dir = std::env::temp_dir().join(format!("nqm-figures-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in NAMES {
        let svg_path = dir.join(format!("{name}.svg"));
        let out = Command::new(env!("CARGO_BIN_EXE_nqm"))
            .args(["figure", name, QUICK, "--json", "--out"])
            .arg(&svg_path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let fig: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(fig["panel"], *name);
        assert_eq!(fig["complete"], true, "{name}");
        assert!(fig["params"].is_object());
        let series = fig["series"].as_array().unwrap();
        assert!(!series.is_empty(), "{name}: no series");
        let kinds = [
            "monte-carlo",
            "theory-discrete",
            "theory-continuous",
            "theory-other",
        ];
        for s in series {
            let kind = s["kind"].as_str().unwrap();
            assert!(kinds.contains(&kind), "{name}: kind {kind}");
            let n = s["x"].as_array().unwrap().len();
            assert_eq!(s["y"].as_array().unwrap().len(), n, "{name}: {}", s["name"]);
            if let Some(e) = s["y_err"].as_array() {
                assert_eq!(e.len(), n, "{name}: {}", s["name"]);
            }
            assert!(!s.to_string().contains("NaN"));
        }
        // A theory-only panel (no Monte Carlo jobs in its plan) has no Monte Carlo values.
        let theory_only = fig["jobs"] == 0;
        assert!(
            theory_only
                || series.iter().any(|s| s["kind"] == "monte-carlo"
                    && s["y"].as_array().unwrap().iter().any(|v| v.is_number())),
            "{name}: no Monte Carlo value at all"
        );

        let svg = std::fs::read_to_string(&svg_path).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{name}"
        );
        for plot in fig["plots"].as_array().unwrap() {
            for label in ["x_label", "y_label"] {
                let l = xml_escape(plot[label].as_str().unwrap());
                assert!(
                    svg.contains(&format!(">{l}<")) || svg.contains(&l),
                    "{name}: axis {l}"
                );
            }
        }
        for s in series.iter().filter(|s| s["legend"] == true) {
            let l = xml_escape(s["name"].as_str().unwrap());
            assert!(svg.contains(&l), "{name}: legend label {l} missing");
        }
        let drawn = svg.matches("<polyline").count()
            + svg.matches("<circle").count()
            + svg.matches("<line").count()
            + svg.matches("<path").count();
        assert!(
            drawn >= series.len(),
            "{name}: {drawn} elements for {} series",
            series.len()
        );
    }
}

#[test]
fn an_unknown_panel_or_bad_query_is_an_error_not_a_crash() {
    for args in [
        vec!["figure", "nope"],
        vec!["figure", "lr-sweep", "points=1000000"],
        vec!["figure", "lr-sweep", "", "--size", "5x5"],
        vec!["figure", "lr-sweep", "", "--out", "/tmp/x.gif"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_nqm"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!String::from_utf8_lossy(&out.stderr).is_empty());
    }
}

#[test]
fn a_png_has_the_requested_size() {
    let path = std::env::temp_dir().join(format!("nqm-figure-{}.png", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_nqm"))
        .args(["figure", "lr-sweep", QUICK, "--size", "640x400", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    assert_eq!(&bytes[12..16], b"IHDR");
    assert_eq!((be(16), be(20)), (640, 400));
}

#[test]
fn a_permalink_gives_the_figure_of_its_panel_and_state() {
    let run = |args: &[&str]| -> Value {
        let out = Command::new(env!("CARGO_BIN_EXE_nqm"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let link = format!(
        "https://notes.example/explorer/index.html?v=2&panel=lr-sweep&{QUICK}&seed=3&embed=1&controls=lr,noise"
    );
    let from_link = run(&["figure", &link, "--json"]);
    let direct = run(&["figure", "lr-sweep", &format!("{QUICK}&seed=3"), "--json"]);
    assert_eq!(from_link["panel"], "lr-sweep");
    assert_eq!(from_link["query"], direct["query"]);
    assert_eq!(from_link["series"], direct["series"]);
}
