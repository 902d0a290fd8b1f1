//! The figures of a run, as the CLI's `--json` and the UI's status bar show them.

use crate::engine::Engine;
use crate::history::{metrics, HistoryEvent, OpMetrics};
use crate::topology::NodeKind;
use crate::verdict::{check_guarantee, checker_history_of, node_names};
use dsplay_check::Budget;
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
    /// The checker's verdict on the guarantee the protocol promises.
    pub verdict: VerdictSummary,
    /// How many violations of that guarantee the run shows (0 or 1: the checker reports
    /// the first it finds).
    pub violations: u64,
}

/// A verdict as the report shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VerdictSummary {
    /// The guarantee checked, e.g. `linearizable`.
    pub model: String,
    /// `true` valid, `false` violated, `null` unknown or not applicable.
    pub valid: Option<bool>,
    pub explanation: String,
    /// The engine's indices of the operations that show a violation.
    pub ops: Vec<u32>,
}

impl VerdictSummary {
    /// Checks the guarantee `protocol_kind` promises over `engine`'s history so far,
    /// within `budget`, and names the operations that show a violation by engine index.
    pub fn judge(engine: &dyn Engine, protocol_kind: &str, budget: Budget) -> Self {
        Self::judge_log(
            &node_names(engine),
            engine.history_log(),
            protocol_kind,
            budget,
        )
    }

    /// Checks the guarantee `protocol_kind` promises over a history log, or a prefix of
    /// one (the run as it stood at some earlier time, without running it again); `names`
    /// are the nodes' names by index.
    pub fn judge_log(
        names: &[String],
        log: &[HistoryEvent],
        protocol_kind: &str,
        budget: Budget,
    ) -> Self {
        let (history, engine_index) = checker_history_of(names, log);
        let checked = check_guarantee(&history, protocol_kind, budget);
        VerdictSummary {
            model: checked.model.name().to_string(),
            valid: checked.valid,
            explanation: checked.explanation,
            ops: checked
                .ops
                .iter()
                .filter_map(|id| engine_index.get(id.index()).copied())
                .collect(),
        }
    }
}

/// The report of a run of a scenario whose protocol is `protocol_kind`.
pub fn report(engine: &dyn Engine, protocol_kind: &str) -> RunReport {
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
    let verdict = VerdictSummary::judge(engine, protocol_kind, Budget::default());
    RunReport {
        violations: u64::from(verdict.valid == Some(false)),
        verdict,
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
