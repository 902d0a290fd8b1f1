//! Judging a run: its history in the checker's form, and the verdict of the guarantee its
//! protocol promises.
//!
//! The checker (`dsplay-check`) knows nothing of the engine; this module translates the
//! engine's history into the checker's and names each protocol's guarantee, the same
//! everywhere (CLI, UI, sweeps): eventual → eventual, causal → causal, sequential →
//! sequential, strict and bft → linearizable.

use crate::engine::Engine;
use crate::history::{HistoryEvent, Outcome};
use crate::protocol::Op;
use dsplay_check::{Budget, Call, History, Model, OpId, Verdict};
use std::collections::BTreeMap;

/// The guarantee a protocol promises, by the scenario's protocol kind, named the same
/// everywhere (CLI, UI, sweeps). Causal is checked as CC; the convergence causal+ adds is
/// judged by the final reads (see the causal tests), and `dsplay check --model
/// causal-convergence` checks CCv on any history.
pub fn guarantee(protocol_kind: &str) -> Model {
    match protocol_kind {
        "strict" | "bft" => Model::Linearizable,
        "sequential" => Model::Sequential,
        "causal" => Model::Causal,
        _ => Model::Eventual,
    }
}

/// Whether `protocol_kind` promises a consistency model the checker can test. The gossip
/// counter is not a register (its reads return a sum nobody wrote), so it does not.
pub fn has_guarantee(protocol_kind: &str) -> bool {
    protocol_kind != "gossip"
}

/// Judges a history against the guarantee of `protocol_kind`; a protocol without one
/// (see [`has_guarantee`]) gets no verdict.
pub fn check_guarantee(history: &History, protocol_kind: &str, budget: Budget) -> Verdict {
    if !has_guarantee(protocol_kind) {
        return Verdict {
            valid: None,
            model: Model::Eventual,
            explanation: "The gossip counter is not a register: its reads return a sum, so there is no consistency model to check it against.".into(),
            ops: Vec::new(),
            steps: 0,
        };
    }
    dsplay_check::check(history, guarantee(protocol_kind), budget)
}

/// The run's history in the checker's form, with the engine's operation index of each
/// checker operation (they differ: the checker numbers operations as they are pushed).
///
/// Values are the unique ids writes carry (see `protocol::Value`). A cas expects the value
/// it replaced when it succeeded; for a cas that timed out the replaced value is unknown,
/// and the number the user typed stands in (the same id unless that number was typed twice).
pub fn checker_history(engine: &dyn Engine) -> (History, Vec<u32>) {
    let names: Vec<String> = engine
        .topology()
        .nodes
        .iter()
        .map(|node| node.name.clone())
        .collect();
    let replaced: BTreeMap<u32, i64> = engine
        .operations()
        .iter()
        .filter_map(|op| match (&op.op, op.outcome()) {
            (Op::Cas { .. }, Some(Outcome::Ok(Some(old)))) => Some((op.index, old.id)),
            _ => None,
        })
        .collect();
    let mut history = History::new();
    let mut ids: BTreeMap<u32, OpId> = BTreeMap::new();
    let mut engine_index = Vec::new();
    for event in engine.history_log() {
        match event {
            HistoryEvent::Invoke {
                op,
                time,
                process,
                operation,
                ..
            } => {
                let call = match operation {
                    Op::Read { .. } => Call::Read,
                    Op::Write { value, .. } => {
                        history.show_value_as(value.id, value.shown);
                        Call::Write(value.id)
                    }
                    Op::Cas { old, new, .. } => {
                        history.show_value_as(new.id, new.shown);
                        Call::Cas {
                            expected: replaced.get(op).copied().unwrap_or(*old),
                            new: new.id,
                        }
                    }
                };
                let id = history.push_invoke(
                    *process,
                    call,
                    Some(operation.key()),
                    time.as_us() * 1_000,
                );
                ids.insert(*op, id);
                engine_index.push(*op);
            }
            HistoryEvent::Complete {
                op,
                time,
                outcome,
                replica,
            } => {
                let Some(&id) = ids.get(op) else { continue };
                let outcome = match outcome {
                    Outcome::Ok(value) => {
                        if let Some(value) = value {
                            history.show_value_as(value.id, value.shown);
                        }
                        dsplay_check::Outcome::Ok(value.map(|value| value.id))
                    }
                    Outcome::Fail(_) => dsplay_check::Outcome::Fail,
                    Outcome::Info => dsplay_check::Outcome::Info,
                };
                history.complete(id, outcome, time.as_us() * 1_000);
                history.set_node(id, &names[replica.index()]);
            }
            HistoryEvent::FinalRead {
                op,
                time,
                replica,
                key,
                value,
            } => {
                let process = crate::history::FINAL_READ_PROCESS_BASE + u64::from(replica.0);
                let time_ns = time.as_us() * 1_000;
                if let Some(value) = value {
                    history.show_value_as(value.id, value.shown);
                }
                let id = history.push_invoke(process, Call::Read, Some(key), time_ns);
                history.complete(
                    id,
                    dsplay_check::Outcome::Ok(value.map(|value| value.id)),
                    time_ns,
                );
                history.set_node(id, &names[replica.index()]);
                history.set_final_read(id, true);
                engine_index.push(*op);
            }
        }
    }
    (history, engine_index)
}

/// The verdict of the run's guarantee over its history so far.
pub fn judge(engine: &dyn Engine, protocol_kind: &str, budget: Budget) -> Verdict {
    let (history, _) = checker_history(engine);
    check_guarantee(&history, protocol_kind, budget)
}
