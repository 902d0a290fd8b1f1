//! The protocols a scenario can choose, and their configuration.
//!
//! Each protocol is a plug-in on [`crate::protocol::Protocol`]. [`ProtocolConfig`] is the
//! scenario's `protocol` field: a `kind` plus that protocol's parameters.

pub mod gossip;
pub mod raft;

use crate::scenario::Problem;
use serde::{Deserialize, Serialize};

/// The scenario's choice of protocol, with its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProtocolConfig {
    /// Heartbeats plus gossip of a grow-only counter.
    Gossip(gossip::GossipParams),
    /// Strict consistency (linearizability): a Raft replicated log.
    Strict(raft::RaftParams),
}

impl ProtocolConfig {
    /// The name the scenario file uses.
    pub fn kind(&self) -> &'static str {
        match self {
            ProtocolConfig::Gossip(_) => "gossip",
            ProtocolConfig::Strict(_) => "strict",
        }
    }

    /// Parameter problems, with paths relative to the `protocol` field.
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            ProtocolConfig::Gossip(params) => params.problems(),
            ProtocolConfig::Strict(params) => params.problems(),
        }
    }
}

/// Reports a parameter that must be a positive, finite number of milliseconds.
pub(crate) fn check_positive_ms(problems: &mut Vec<Problem>, field: &str, value: f64) {
    if !(value.is_finite() && value > 0.0) {
        problems.push(Problem {
            path: field.to_string(),
            message: format!("must be a positive number of milliseconds, got {value}"),
        });
    }
}
