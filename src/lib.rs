//! # nqm-explorer
//!
//! Exact discrete-time theory and Monte Carlo of SGD on noisy quadratic models, after Liu,
//! Ziyin and Ueda, *Noise and Fluctuation of Finite Learning Rate SGD* (ICML 2021), drawn live
//! in the browser beside the classic continuous-time approximation.
//!
//! ## The floors
//!
//! Each floor imports only from the floors below it; nothing points back up.
//!
//! | floor | modules | what they are for |
//! |---|---|---|
//! | 7 | `web` (wasm32), `bin/nqm` | the browser surface (one handle per panel) and the command line |
//! | 6 | [`panels`], [`report`] | what each figure shows (recipes), JSON reports of `nqm theory` and `nqm simulate` |
//! | 5 | [`params`] | the one parameter schema, and the one place that turns it into the core's values; reading a measured spectrum from a file or a link |
//! | 4 | [`figure`], [`render`] | figures as data (the public JSON/CSV format); drawing on any plotters backend |
//! | 3 | [`theory`], then [`sim`] | exact theory and the continuous-time approximation; Monte Carlo walkers |
//! | 2 | [`model`], [`optimizer`] | the quadratic K, the noise C and its data sets, a measured spectrum; update rules as state-space maps |
//! | 1 | [`linalg`], [`rng`] | small matrix helpers, eigenvalues, grids; the portable generator |
//!
//! A new figure is one folder in `src/panels/` (its recipe, `caption.html` and `claim.txt`) and
//! one line in the registry of [`panels`]; if it needs new numerics, they go into [`theory`] or
//! [`sim`], where the command line and the other panels can use them. Everything but `web` is
//! plain Rust, built and tested natively.

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
