//! Command-line arguments: one file argument, options with values, and switches.
//!
//! Each command names the options it takes; anything else is a clear one-line error.

use crate::Failure;
use std::collections::{BTreeMap, BTreeSet};

/// A command's arguments, parsed.
#[derive(Debug, Default)]
pub struct Args {
    /// The one positional argument (a file).
    pub file: Option<String>,
    values: BTreeMap<&'static str, String>,
    switches: BTreeSet<&'static str>,
}

fn bad(message: String) -> Failure {
    Failure::BadInput(message)
}

impl Args {
    /// Parses `args`, allowing the options in `with_value` (which take the next argument)
    /// and the switches in `switches`.
    pub fn parse(
        args: &[String],
        with_value: &[&'static str],
        switches: &[&'static str],
    ) -> Result<Args, Failure> {
        let mut parsed = Args::default();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            if let Some(&flag) = with_value.iter().find(|flag| **flag == arg) {
                let value = rest
                    .next()
                    .ok_or_else(|| bad(format!("{flag} needs a value; see `dsplay --help`")))?;
                parsed.values.insert(flag, value.clone());
            } else if let Some(&switch) = switches.iter().find(|switch| **switch == arg) {
                parsed.switches.insert(switch);
            } else if arg.starts_with('-') {
                return Err(bad(format!("unknown option `{arg}`; see `dsplay --help`")));
            } else if parsed.file.is_none() {
                parsed.file = Some(arg.clone());
            } else {
                return Err(bad(format!(
                    "unexpected argument `{arg}`; see `dsplay --help`"
                )));
            }
        }
        Ok(parsed)
    }

    /// The file argument, or an error naming what it should be.
    pub fn file(&self, what: &str) -> Result<String, Failure> {
        self.file
            .clone()
            .ok_or_else(|| bad(format!("missing the {what}; see `dsplay --help`")))
    }

    pub fn value(&self, flag: &str) -> Option<&str> {
        self.values.get(flag).map(String::as_str)
    }

    pub fn switch(&self, name: &str) -> bool {
        self.switches.contains(name)
    }

    /// The option's value parsed as `T`, with `what` describing a good value in the error.
    pub fn parsed<T: std::str::FromStr>(
        &self,
        flag: &str,
        what: &str,
    ) -> Result<Option<T>, Failure> {
        self.value(flag)
            .map(|text| {
                text.parse()
                    .map_err(|_| bad(format!("{flag} must be {what}, got `{text}`")))
            })
            .transpose()
    }
}
