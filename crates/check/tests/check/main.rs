//! Specification tests of the history checker, as one test binary.

mod build;
mod explanations;
#[path = "../support/generate.rs"]
mod generate;
mod knossos;
mod models;
mod parser;
mod properties;
