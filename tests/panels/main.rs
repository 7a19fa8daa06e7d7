//! Every panel at a reduced sample size: its Monte Carlo points within 5 standard errors of
//! the exact theory, and the papers' claims where the panel shows them. One test binary.

mod batch_size;
mod bayes;
mod ellipses;
mod escape;
mod fdr1;
mod fdr2;
mod fdr_schedule;
mod fdr_variance;
mod kramers;
mod limit_cycles;
mod loss_band;
mod lr_sweep;
mod momentum;
mod noise_shape;
mod plans;
mod second_order;
mod training_loss;
mod your_model;
