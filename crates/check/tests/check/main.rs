//! Specification tests of the history checker, as one test binary.

mod explanations;
mod knossos;
mod models;
mod parser;
mod properties;
#[path = "../support/generate.rs"]
mod generate;
