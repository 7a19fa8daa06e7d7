//! # nqm-explorer
//!
//! Exact discrete-time theory and Monte Carlo of SGD on noisy quadratic models, after Liu,
//! Ziyin and Ueda, *Noise and Fluctuation of Finite Learning Rate SGD* (ICML 2021), drawn live
//! in the browser beside the classic continuous-time approximation.
//!
//! The map of the crate:
//! - [`params`] — the one parameter schema: defaults, ranges, validation, permalinks.
//! - [`model`] — the quadratic loss (Hessian K) and the gradient-noise covariance C.
//! - [`optimizer`] — update rules as linear state-space maps x_t = A x_{t-1} + B η.
//! - [`theory`] — the exact stationary covariance (discrete Lyapunov equation), the
//!   continuous-time prediction (Eq. 1), losses, stability; the paper's closed forms as oracles.
//! - [`sim`] — ensembles of SGD walkers with a portable seeded generator.
//! - [`panels`] — one module per figure: parameters → theory and Monte Carlo data.
//! - [`figure`] — figures as data: the public JSON/CSV format of every panel's series.
//! - [`render`] — plotters drawing, generic over the backend.
//! - `web` (wasm32 only) — the wasm-bindgen surface used by the page; nothing else touches
//!   the browser.
//!
//! Everything but `web` is plain Rust, built and tested natively.

pub mod figure;
pub mod linalg;
pub mod model;
pub mod optimizer;
pub mod panels;
pub mod params;
pub mod render;
pub mod report;
pub mod rng;
pub mod sim;
pub mod theory;

#[cfg(target_arch = "wasm32")]
pub mod web;
