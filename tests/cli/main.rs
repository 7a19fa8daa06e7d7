//! The command-line tool `nqm` as a user runs it: its commands and errors, every panel's
//! figure as JSON, SVG and PNG, and the golden figures that pin every number down.

mod cli;
mod example_spectrum;
mod figures;
mod golden;
