//! The core, natively: the solver against the papers' closed forms, the Monte Carlo engine
//! against the theory, the normal sampler, the optimizers, the parameter schema. One test
//! binary (linking one per file took most of the test build).

mod bayes;
mod diagonal;
mod effective;
mod engine;
mod escape_modes;
mod fdr_window;
mod first_passage;
mod monte_carlo;
mod noise_samplers;
mod normals;
mod optimizers;
mod params;
mod power_spectra;
mod qhm_thm11;
mod results;
mod schedule;
mod spectrum_files;
mod steps_to_target;
mod theory;
