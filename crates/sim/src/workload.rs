//! What a client does by itself: a closed-loop generator of reads, writes and cas.
//!
//! A client has at most one operation outstanding, as in Jepsen. After each completion it
//! waits an exponentially distributed think time (mean `1 / rate_per_s`) and issues the
//! next operation, drawn from the read/write/cas mix over its keys. A rate of zero means
//! the client only runs operations asked for by hand (from the UI or the API).

use crate::scenario::Problem;
use serde::{Deserialize, Serialize};

/// A client's workload, as the scenario writes it. Every field has a default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkloadSpec {
    /// Operations per second (mean); 0 for a client driven by hand. Default 2.
    pub rate_per_s: f64,
    /// Relative weight of reads in the mix. Default 1.
    pub read: f64,
    /// Relative weight of writes. Default 1.
    pub write: f64,
    /// Relative weight of compare-and-set. Default 0.
    pub cas: f64,
    /// The keys operations pick from, uniformly. Default `["x"]`.
    pub keys: Vec<String>,
    /// An operation unanswered after this long completes as indeterminate. Default 1000 ms.
    pub timeout_ms: f64,
    /// When the client starts issuing operations. Default 0 ms.
    pub start_ms: f64,
}

impl Default for WorkloadSpec {
    fn default() -> Self {
        WorkloadSpec {
            rate_per_s: 2.0,
            read: 1.0,
            write: 1.0,
            cas: 0.0,
            keys: vec!["x".to_string()],
            timeout_ms: 1_000.0,
            start_ms: 0.0,
        }
    }
}

/// Most keys a workload may name; more would only clutter the page.
pub const MAX_KEYS: usize = 64;
/// Highest operation rate per client, in operations per second.
pub const MAX_RATE_PER_S: f64 = 1_000.0;

impl WorkloadSpec {
    /// A client that waits for operations asked for by hand.
    pub fn manual() -> WorkloadSpec {
        WorkloadSpec {
            rate_per_s: 0.0,
            ..WorkloadSpec::default()
        }
    }

    /// Problems with paths relative to the `workload` field.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut report = |path: &str, message: String| {
            problems.push(Problem {
                path: path.to_string(),
                message,
            })
        };
        if !(self.rate_per_s.is_finite() && (0.0..=MAX_RATE_PER_S).contains(&self.rate_per_s)) {
            report(
                "rate_per_s",
                format!(
                    "must be between 0 and {MAX_RATE_PER_S} operations per second, got {}",
                    self.rate_per_s
                ),
            );
        }
        for (field, weight) in [
            ("read", self.read),
            ("write", self.write),
            ("cas", self.cas),
        ] {
            if !(weight.is_finite() && weight >= 0.0) {
                report(
                    field,
                    format!("a weight must be a finite number of at least 0, got {weight}"),
                );
            }
        }
        if self.rate_per_s > 0.0 && self.read + self.write + self.cas <= 0.0 {
            report(
                "read",
                "at least one of read, write and cas needs a positive weight".into(),
            );
        }
        if self.keys.is_empty() || self.keys.len() > MAX_KEYS {
            report(
                "keys",
                format!("between 1 and {MAX_KEYS} keys, got {}", self.keys.len()),
            );
        }
        for (index, key) in self.keys.iter().enumerate() {
            if key.is_empty() || key.len() > 32 {
                report(
                    &format!("keys[{index}]"),
                    "a key is a non-empty name of at most 32 bytes".into(),
                );
            }
        }
        if !(self.timeout_ms.is_finite() && self.timeout_ms > 0.0) {
            report(
                "timeout_ms",
                format!(
                    "must be a positive number of milliseconds, got {}",
                    self.timeout_ms
                ),
            );
        }
        if !(self.start_ms.is_finite() && self.start_ms >= 0.0) {
            report(
                "start_ms",
                format!(
                    "must be a non-negative number of milliseconds, got {}",
                    self.start_ms
                ),
            );
        }
        problems
    }
}

/// An operation typed by hand, as a scenario records it so that replays repeat it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationSpec {
    /// When the client issues it, in milliseconds of virtual time. (A client still
    /// waiting for an earlier operation then refuses it.)
    pub at_ms: u64,
    /// The client's node id.
    pub client: String,
    pub op: ClientOpSpec,
}

/// What a typed operation does; values are the numbers the user typed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientOpSpec {
    Read { key: String },
    Write { key: String, value: i64 },
    Cas { key: String, old: i64, new: i64 },
}

impl ClientOpSpec {
    pub fn key(&self) -> &str {
        match self {
            ClientOpSpec::Read { key }
            | ClientOpSpec::Write { key, .. }
            | ClientOpSpec::Cas { key, .. } => key,
        }
    }

    pub fn to_client_op(&self) -> crate::sim::ClientOp {
        match self.clone() {
            ClientOpSpec::Read { key } => crate::sim::ClientOp::Read { key },
            ClientOpSpec::Write { key, value } => crate::sim::ClientOp::Write { key, value },
            ClientOpSpec::Cas { key, old, new } => crate::sim::ClientOp::Cas { key, old, new },
        }
    }
}
