//! The protocols a scenario can choose, and their configuration.
//!
//! Each protocol is a plug-in on [`crate::protocol::Protocol`]. [`ProtocolConfig`] is the
//! scenario's `protocol` field: a `kind` plus that protocol's parameters.

pub mod anti_entropy;
pub mod bft;
pub mod causal;
pub mod eventual;
pub mod gossip;
pub mod raft;
pub mod requests;
pub mod sequential;
pub mod shared_log;

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
    /// Eventual consistency: last writer wins with tunable N, R, W (Dynamo style).
    Eventual(eventual::EventualParams),
    /// Causal+ consistency with vector clocks, as in COPS.
    Causal(causal::CausalParams),
    /// Linearizability despite up to f byzantine replicas of 3f + 1 (PBFT).
    Bft(bft::BftParams),
    /// Strict consistency (linearizability): a Raft replicated log.
    Strict(raft::RaftParams),
}

impl ProtocolConfig {
    /// The name the scenario file uses.
    pub fn kind(&self) -> &'static str {
        match self {
            ProtocolConfig::Gossip(_) => "gossip",
            ProtocolConfig::Sequential(_) => "sequential",
            ProtocolConfig::Eventual(_) => "eventual",
            ProtocolConfig::Causal(_) => "causal",
            ProtocolConfig::Bft(_) => "bft",
            ProtocolConfig::Strict(_) => "strict",
        }
    }

    /// Parameter problems, with paths relative to the `protocol` field.
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            ProtocolConfig::Gossip(params) => params.problems(),
            ProtocolConfig::Sequential(params) => params.problems(),
            ProtocolConfig::Eventual(params) => params.problems(),
            ProtocolConfig::Causal(params) => params.problems(),
            ProtocolConfig::Bft(params) => params.problems(),
            ProtocolConfig::Strict(params) => params.problems(),
        }
    }

    /// Problems of running the protocol on `replicas` replicas, with paths relative to the
    /// `protocol` field (empty: the field itself).
    pub fn replica_problems(&self, replicas: usize) -> Vec<Problem> {
        match self {
            ProtocolConfig::Bft(_) => bft::replica_problems(replicas),
            ProtocolConfig::Gossip(_)
            | ProtocolConfig::Sequential(_)
            | ProtocolConfig::Eventual(_)
            | ProtocolConfig::Causal(_)
            | ProtocolConfig::Strict(_) => Vec::new(),
        }
    }

    /// Whether the protocol can be made to equivocate (see `Protocol::can_equivocate`).
    pub fn can_equivocate(&self) -> bool {
        match self {
            ProtocolConfig::Gossip(_) => gossip::Gossip::can_equivocate(),
            ProtocolConfig::Sequential(_) => sequential::Sequential::can_equivocate(),
            ProtocolConfig::Eventual(_) => eventual::Eventual::can_equivocate(),
            ProtocolConfig::Causal(_) => causal::Causal::can_equivocate(),
            ProtocolConfig::Bft(_) => bft::Bft::can_equivocate(),
            ProtocolConfig::Strict(_) => raft::Raft::can_equivocate(),
        }
    }

    /// Every parameter problem, including those that depend on how many replicas the
    /// scenario has (a quorum larger than N, say); `Scenario::compile` calls this.
    pub fn validate(&self, replicas: usize) -> Vec<Problem> {
        let mut problems = self.problems();
        if replicas > 0 {
            if let ProtocolConfig::Eventual(params) = self {
                problems.extend(params.problems_with_replicas(replicas));
            }
        }
        problems
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
