//! The protocols a scenario can choose, and their configuration.
//!
//! Each protocol is a plug-in on [`crate::protocol::Protocol`]. [`ProtocolConfig`] is the
//! scenario's `protocol` field: a `kind` plus that protocol's parameters.

pub mod bft;
pub mod gossip;
pub mod sequential;

use crate::protocol::Protocol;
use crate::scenario::Problem;
use serde::{Deserialize, Serialize};

/// The scenario's choice of protocol, with its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProtocolConfig {
    /// Heartbeats plus gossip of a grow-only counter.
    Gossip(gossip::GossipParams),
    /// Sequential consistency through a sequencer.
    Sequential(sequential::SequentialParams),
    /// Linearizability despite up to f byzantine replicas of 3f + 1 (PBFT).
    Bft(bft::BftParams),
}

impl ProtocolConfig {
    /// The name the scenario file uses.
    pub fn kind(&self) -> &'static str {
        match self {
            ProtocolConfig::Gossip(_) => "gossip",
            ProtocolConfig::Sequential(_) => "sequential",
            ProtocolConfig::Bft(_) => "bft",
        }
    }

    /// Parameter problems, with paths relative to the `protocol` field.
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            ProtocolConfig::Gossip(params) => params.problems(),
            ProtocolConfig::Sequential(params) => params.problems(),
            ProtocolConfig::Bft(params) => params.problems(),
        }
    }

    /// Problems of running the protocol on `replicas` replicas, with paths relative to the
    /// `protocol` field (empty: the field itself).
    pub fn replica_problems(&self, replicas: usize) -> Vec<Problem> {
        match self {
            ProtocolConfig::Bft(_) => bft::replica_problems(replicas),
            ProtocolConfig::Gossip(_) | ProtocolConfig::Sequential(_) => Vec::new(),
        }
    }

    /// Whether the protocol can be made to equivocate (see `Protocol::can_equivocate`).
    pub fn can_equivocate(&self) -> bool {
        match self {
            ProtocolConfig::Gossip(_) => gossip::Gossip::can_equivocate(),
            ProtocolConfig::Sequential(_) => sequential::Sequential::can_equivocate(),
            ProtocolConfig::Bft(_) => bft::Bft::can_equivocate(),
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
