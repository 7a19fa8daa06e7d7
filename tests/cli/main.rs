//! The command-line tool `nqm` as a user runs it: its commands and errors, every panel's
//! figure as JSON, SVG and PNG, the golden figures that pin every number down, and a measured
//! spectrum given as a file.

mod cli;
mod example_spectrum;
mod figures;
mod golden;
mod spectrum;
