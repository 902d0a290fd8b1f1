//! Judging a run: its history in the checker's form, and the verdict of the guarantee its
//! protocol promises.
//!
//! The checker (`dsplay-check`) knows nothing of the engine; this module translates the
//! engine's history into the checker's and names each protocol's guarantee, the same
//! everywhere (CLI, UI, sweeps): eventual → eventual, causal → causal, sequential →
//! sequential, strict and bft → linearizable.

use crate::engine::Engine;
use crate::history::{log_until, operations, HistoryEvent, Outcome};
use crate::protocol::Op;
use crate::report::VerdictSummary;
use crate::time::Time;
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

/// Why a search for a violation in a run of `protocol_kind` has nothing to look for, when
/// the protocol promises no model the checker can test (see [`has_guarantee`]). Every
/// search (the page's Next violation, its worker, `first_violation`) says this sentence.
pub fn nothing_to_look_for(protocol_kind: &str) -> Option<String> {
    (!has_guarantee(protocol_kind)).then(|| format!(
        "The {protocol_kind} protocol promises no consistency model the checker can test, so there is no violation to look for."
    ))
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
/// See [`checker_history_of`].
pub fn checker_history(engine: &dyn Engine) -> (History, Vec<u32>) {
    checker_history_of(&node_names(engine), engine.history_log())
}

/// Every node's name, by node index, as the checker's history names replicas.
pub fn node_names(engine: &dyn Engine) -> Vec<String> {
    engine
        .topology()
        .nodes
        .iter()
        .map(|node| node.name.clone())
        .collect()
}

/// A history log (or any prefix of one) in the checker's form, with the engine's
/// operation index of each checker operation; `names` are the nodes' names by index.
///
/// The log is append-only, so its events up to a time (`history::log_until`) are exactly
/// the history of the same run stopped then: invocations without a completion are the
/// operations still pending.
///
/// Values are the unique ids writes carry (see `protocol::Value`). A cas expects the value
/// it replaced when it succeeded; for a cas that timed out (or has not completed within
/// `log`) the replaced value is unknown, and the number the user typed stands in (the same
/// id unless that number was typed twice).
pub fn checker_history_of(names: &[String], log: &[HistoryEvent]) -> (History, Vec<u32>) {
    // From `log`'s own operations, not the whole run's: a cas that completes later must
    // look the same as in a run stopped at the end of `log`.
    let replaced: BTreeMap<u32, i64> = operations(log)
        .iter()
        .filter_map(|op| match (&op.op, op.outcome()) {
            (Op::Cas { .. }, Some(Outcome::Ok(Some(old)))) => Some((op.index, old.id)),
            _ => None,
        })
        .collect();
    let mut history = History::new();
    let mut ids: BTreeMap<u32, OpId> = BTreeMap::new();
    let mut engine_index = Vec::new();
    for event in log {
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

/// Where a run's guarantee first breaks, as [`first_violation`] finds it.
#[derive(Clone, Debug, PartialEq)]
pub enum FirstViolation {
    /// The history up to `time` breaks the guarantee and the history up to the previous
    /// completion does not; `verdict` is the checker's on the history up to `time`.
    Found { time: Time, verdict: VerdictSummary },
    /// The whole history keeps the guarantee, or the checker cannot tell: its verdict.
    NotFound(VerdictSummary),
    /// The protocol promises no model the checker can test; a sentence says so.
    NoGuarantee(String),
    /// `progress` asked to stop before the search was done.
    Cancelled,
}

/// Finds the moment the checker first finds `protocol_kind`'s guarantee broken in the
/// history of `engine`, which has run to where the search should end.
///
/// A prefix of a history that breaks linearizability, sequential or causal consistency
/// breaks it however the history goes on, so the moment is found by a binary search over
/// the times operations complete. Each probe judges the log's events up to that time,
/// which is exactly the history a run stopped then would have (the log is append-only),
/// so nothing runs again. (Eventual consistency is judged by the final reads, or the
/// last reads when there are none, which a prefix need not keep; the search still ends
/// at a moment whose history is broken.) Each probe may spend `budget`.
///
/// `progress(done, total)` is told after each probe how many probes are done and about
/// how many the search takes; returning `false` cancels the rest.
pub fn first_violation(
    engine: &dyn Engine,
    protocol_kind: &str,
    budget: Budget,
    progress: &mut dyn FnMut(u32, u32) -> bool,
) -> FirstViolation {
    if let Some(sentence) = nothing_to_look_for(protocol_kind) {
        return FirstViolation::NoGuarantee(sentence);
    }
    let names = node_names(engine);
    let log = engine.history_log();
    let judge_until =
        |time: Time| VerdictSummary::judge_log(&names, log_until(log, time), protocol_kind, budget);
    let whole = VerdictSummary::judge_log(&names, log, protocol_kind, budget);
    if whole.valid != Some(false) {
        return FirstViolation::NotFound(whole);
    }
    // The moments the history can change its verdict: each completion, in time order.
    let mut moments: Vec<Time> = log
        .iter()
        .filter(|event| !matches!(event, HistoryEvent::Invoke { .. }))
        .map(HistoryEvent::time)
        .collect();
    moments.dedup();
    let Some(&last) = moments.last() else {
        // A broken history without a single completion cannot happen with the checker's
        // models; the end of the log is then the only moment to name.
        let time = log.last().map_or(engine.now(), HistoryEvent::time);
        return FirstViolation::Found {
            time,
            verdict: whole,
        };
    };
    let probes_total = 1
        + (moments.len() as u32 - 1)
            .checked_ilog2()
            .map_or(0, |bits| bits + 1);
    let mut probes_done = 1;
    if !progress(probes_done, probes_total) {
        return FirstViolation::Cancelled;
    }
    // Invariant: the history up to `moments[high]` is broken (or is the whole log's, known
    // broken), and every moment before `moments[low]` holds.
    let (mut low, mut high) = (0, moments.len() - 1);
    let mut verdict_at_high = None;
    while low < high {
        let middle = (low + high) / 2;
        let verdict = judge_until(moments[middle]);
        if verdict.valid == Some(false) {
            high = middle;
            verdict_at_high = Some(verdict);
        } else {
            low = middle + 1;
        }
        probes_done += 1;
        if low < high && !progress(probes_done, probes_total.max(probes_done)) {
            return FirstViolation::Cancelled;
        }
    }
    debug_assert_eq!(low, high);
    let verdict = match verdict_at_high {
        Some(verdict) => verdict,
        None => judge_until(last),
    };
    if verdict.valid == Some(false) {
        FirstViolation::Found {
            time: moments[low],
            verdict,
        }
    } else {
        // Only invocations after the last completion are left, and they broke it.
        FirstViolation::Found {
            time: log.last().map_or(last, HistoryEvent::time),
            verdict: whole,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::build;
    use crate::fault::{FaultKindSpec, FaultSpec, StrategyName};
    use crate::scenario::Scenario;

    fn feed() -> Scenario {
        Scenario::from_json(include_str!("../../../scenarios/sequential-feed.json")).unwrap()
    }

    /// The feed with a replica that answers reads with values nobody wrote from 4 s on.
    fn feed_with_a_liar() -> Scenario {
        let mut scenario = feed();
        scenario.faults = vec![FaultSpec {
            at_ms: 4_000.0,
            until_ms: None,
            fault: FaultKindSpec::Byzantine {
                node: "r3".into(),
                strategy: StrategyName::Lie,
                toward: vec![],
            },
        }];
        scenario
    }

    fn run_to(scenario: &Scenario, time: Time) -> Box<dyn Engine> {
        let mut engine = build(scenario).unwrap();
        engine.run_until(time).unwrap();
        engine
    }

    fn budget() -> Budget {
        Budget::steps(3_000_000)
    }

    #[test]
    fn a_log_prefix_is_the_history_of_the_run_stopped_then() {
        let scenario = feed_with_a_liar();
        let whole = run_to(&scenario, Time::from_ms(20_000));
        let names = node_names(whole.as_ref());
        for ms in [0, 1_500, 4_000, 6_123, 11_000, 20_000] {
            let time = Time::from_ms(ms);
            let stopped = run_to(&scenario, time);
            let (expected, expected_index) = checker_history(stopped.as_ref());
            let (prefix, prefix_index) =
                checker_history_of(&names, log_until(whole.history_log(), time));
            assert_eq!(prefix, expected, "at {time}");
            assert_eq!(prefix_index, expected_index, "at {time}");
        }
    }

    #[test]
    fn the_first_violation_is_where_a_fresh_run_first_breaks_the_guarantee() {
        let scenario = feed_with_a_liar();
        let engine = run_to(&scenario, Time::from_ms(20_000));
        let mut reported = Vec::new();
        let found = first_violation(
            engine.as_ref(),
            "sequential",
            budget(),
            &mut |done, total| {
                reported.push((done, total));
                true
            },
        );
        let FirstViolation::Found { time, verdict } = found else {
            panic!("the liar breaks sequential consistency: {found:?}");
        };
        assert_eq!(verdict.valid, Some(false), "{}", verdict.explanation);
        assert!(
            time > Time::from_ms(4_000),
            "the liar starts at 4 s: {time}"
        );
        assert!(!reported.is_empty());
        assert!(reported
            .windows(2)
            .all(|pair| pair[0].0 < pair[1].0 && pair[1].0 <= pair[1].1));
        // A fresh run to that moment is broken, with the same verdict.
        let at = run_to(&scenario, time);
        assert_eq!(
            crate::report::VerdictSummary::judge(at.as_ref(), "sequential", budget()),
            verdict
        );
        // A fresh run to the completion before it keeps the guarantee.
        let previous = engine
            .history_log()
            .iter()
            .filter(|event| !matches!(event, HistoryEvent::Invoke { .. }))
            .map(HistoryEvent::time)
            .filter(|&completed| completed < time)
            .max()
            .expect("operations completed before the violation");
        let before = run_to(&scenario, previous);
        let held = crate::report::VerdictSummary::judge(before.as_ref(), "sequential", budget());
        assert_ne!(
            held.valid,
            Some(false),
            "at {previous}: {}",
            held.explanation
        );
    }

    #[test]
    fn a_run_that_keeps_its_guarantee_has_no_first_violation() {
        let engine = run_to(&feed(), Time::from_ms(20_000));
        let found = first_violation(engine.as_ref(), "sequential", budget(), &mut |_, _| true);
        let FirstViolation::NotFound(verdict) = found else {
            panic!("the calm feed keeps its guarantee: {found:?}");
        };
        assert_eq!(verdict.valid, Some(true), "{}", verdict.explanation);
        assert_eq!(
            first_violation(engine.as_ref(), "gossip", budget(), &mut |_, _| true),
            FirstViolation::NoGuarantee(
                "The gossip protocol promises no consistency model the checker can test, so there is no violation to look for.".into()
            )
        );
    }

    #[test]
    fn the_search_stops_when_progress_says_so() {
        let engine = run_to(&feed_with_a_liar(), Time::from_ms(20_000));
        let mut probes = 0;
        let found = first_violation(engine.as_ref(), "sequential", budget(), &mut |done, _| {
            probes = done;
            done < 2
        });
        assert_eq!(found, FirstViolation::Cancelled);
        assert_eq!(probes, 2, "no probe after the report that said stop");
    }
}
