//! The command-line tool `nqm` as a user runs it: its commands and errors, every panel's
//! figure as JSON, SVG and PNG, the golden figures that pin every number down, and a measured
//! spectrum given as a file.

mod cli;
mod example_spectrum;
mod figures;
mod golden;
mod spectrum;

use serde_json::Value;
use std::process::Command;

/// Runs `nqm` with `args`: its exit code, standard output and standard error.
pub(crate) fn nqm(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nqm"))
        .args(args)
        .output()
        .expect("nqm runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Runs `nqm` with `args`, which must succeed, and parses its JSON output.
pub(crate) fn json(args: &[&str]) -> Value {
    let (code, out, err) = nqm(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).expect("valid JSON")
}
