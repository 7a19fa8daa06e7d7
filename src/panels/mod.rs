//! Figure panels: each turns parameters into the data a figure shows (theory and Monte Carlo),
//! with no drawing and no browser in sight, so that it is tested natively.

pub mod ellipses;
