//! The figures of a run, as the CLI's `--json` and the UI's status bar show them.

use crate::engine::Engine;
use crate::history::{metrics, OpMetrics};
use crate::topology::NodeKind;
use serde::Serialize;
use std::collections::BTreeMap;

/// A run's summary: engine counters, client-visible figures and the replicas' stores.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunReport {
    pub events: u64,
    pub messages_sent: u64,
    pub messages_delivered: u64,
    pub messages_dropped: u64,
    pub in_flight: u64,
    pub fingerprint: String,
    #[serde(flatten)]
    pub ops: OpMetrics,
    /// Messages sent per client operation (0 when there were none).
    pub messages_per_op: f64,
    /// Whether every replica that is up holds the same store.
    pub converged: bool,
    /// Each replica's store: key to the value shown to users.
    pub replicas: BTreeMap<String, BTreeMap<String, i64>>,
}

pub fn report(engine: &dyn Engine) -> RunReport {
    let stats = engine.stats();
    let operations = engine.operations();
    let ops = metrics(&operations);
    let client_ops = ops.ops_ok + ops.ops_fail + ops.ops_info + ops.ops_pending;
    let topology = engine.topology();
    let replica_ids: Vec<_> = topology
        .nodes
        .iter()
        .filter(|node| node.kind == NodeKind::Replica)
        .map(|node| node.id)
        .collect();
    let stores: Vec<_> = replica_ids
        .iter()
        .filter(|&&id| engine.is_up(id))
        .map(|&id| engine.store(id))
        .collect();
    let converged = stores.windows(2).all(|pair| pair[0] == pair[1]);
    let replicas = replica_ids
        .iter()
        .map(|&id| {
            let store = engine
                .store(id)
                .into_iter()
                .map(|(key, value)| (key, value.shown))
                .collect();
            (topology.name(id).to_string(), store)
        })
        .collect();
    RunReport {
        events: stats.events,
        messages_sent: stats.messages_sent,
        messages_delivered: stats.messages_delivered,
        messages_dropped: stats.messages_dropped,
        in_flight: stats.in_flight,
        fingerprint: engine.fingerprint().to_string(),
        messages_per_op: if client_ops == 0 {
            0.0
        } else {
            stats.messages_sent as f64 / client_ops as f64
        },
        ops,
        converged,
        replicas,
    }
}
