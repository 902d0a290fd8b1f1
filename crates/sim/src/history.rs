//! The client-visible history of a run: every operation's invocation and completion.
//!
//! The engine appends [`HistoryEvent`]s as they happen (append-only, so a snapshot only
//! remembers a length); [`operations`] pairs them into [`Operation`]s, which is what the
//! checker, the run summary and the UI read. Figures like availability and stale reads are
//! pure functions of the operations.

use crate::protocol::{Op, Value};
use crate::time::Time;
use crate::topology::NodeId;
use serde::Serialize;
use std::collections::BTreeMap;

/// Process ids of final reads start here, one per replica, apart from client processes.
pub const FINAL_READ_PROCESS_BASE: u64 = 1 << 40;

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done. A read carries what it saw, a cas the value it replaced.
    Ok(Option<Value>),
    /// Certainly not done, with the system's reason.
    Fail(String),
    /// Unknown: no answer came before the timeout; it may or may not have happened.
    Info,
}

impl Outcome {
    /// `ok`, `fail` or `info`, as Jepsen writes `:type`.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Ok(_) => "ok",
            Outcome::Fail(_) => "fail",
            Outcome::Info => "info",
        }
    }
}

/// One entry of the history log.
#[derive(Clone, Debug, PartialEq)]
pub enum HistoryEvent {
    Invoke {
        op: u32,
        time: Time,
        process: u64,
        client: NodeId,
        replica: NodeId,
        operation: Op,
    },
    Complete {
        op: u32,
        time: Time,
        outcome: Outcome,
        replica: NodeId,
    },
    /// A replica's value of a key, read directly after the quiet period.
    FinalRead {
        op: u32,
        time: Time,
        replica: NodeId,
        key: String,
        value: Option<Value>,
    },
}

impl HistoryEvent {
    /// When the event happened: the invocation, completion or final read's time.
    pub fn time(&self) -> Time {
        match self {
            HistoryEvent::Invoke { time, .. }
            | HistoryEvent::Complete { time, .. }
            | HistoryEvent::FinalRead { time, .. } => *time,
        }
    }
}

/// The part of an append-only log that had happened by `time`: its events at or before
/// `time`. The engine appends events as it processes them, in time order, so this is
/// exactly the log of the same run stopped at `time`.
pub fn log_until(log: &[HistoryEvent], time: Time) -> &[HistoryEvent] {
    debug_assert!(
        log.windows(2).all(|pair| pair[0].time() <= pair[1].time()),
        "the history log is appended in time order"
    );
    &log[..log.partition_point(|event| event.time() <= time)]
}

/// An operation with its invocation and, if it has one, its completion.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    pub index: u32,
    pub process: u64,
    /// The client node (for a final read, the replica read).
    pub client: NodeId,
    /// The replica that answered (or was asked last).
    pub replica: NodeId,
    pub op: Op,
    pub invoke: Time,
    /// `None` while still waiting for an answer.
    pub complete: Option<(Time, Outcome)>,
    pub final_read: bool,
}

impl Operation {
    pub fn outcome(&self) -> Option<&Outcome> {
        self.complete.as_ref().map(|(_, outcome)| outcome)
    }

    pub fn is_ok(&self) -> bool {
        matches!(self.outcome(), Some(Outcome::Ok(_)))
    }

    /// The value a write or successful cas put in the store.
    pub fn written(&self) -> Option<Value> {
        self.op.written()
    }

    /// What a completed read returned.
    pub fn read_value(&self) -> Option<Option<Value>> {
        match (&self.op, self.outcome()) {
            (Op::Read { .. }, Some(Outcome::Ok(value))) => Some(*value),
            _ => None,
        }
    }

    pub fn latency_us(&self) -> Option<u64> {
        self.complete
            .as_ref()
            .map(|(time, _)| time.since_us(self.invoke))
    }
}

/// Pairs the log's invocations with their completions, in invocation order.
pub fn operations(log: &[HistoryEvent]) -> Vec<Operation> {
    let mut ops: Vec<Operation> = Vec::new();
    for event in log {
        match event {
            HistoryEvent::Invoke {
                op,
                time,
                process,
                client,
                replica,
                operation,
            } => {
                debug_assert_eq!(
                    *op as usize,
                    ops.len(),
                    "operations are numbered in invocation order"
                );
                ops.push(Operation {
                    index: *op,
                    process: *process,
                    client: *client,
                    replica: *replica,
                    op: operation.clone(),
                    invoke: *time,
                    complete: None,
                    final_read: false,
                });
            }
            HistoryEvent::Complete {
                op,
                time,
                outcome,
                replica,
            } => {
                if let Some(operation) = ops.get_mut(*op as usize) {
                    operation.complete = Some((*time, outcome.clone()));
                    operation.replica = *replica;
                }
            }
            HistoryEvent::FinalRead {
                op,
                time,
                replica,
                key,
                value,
            } => ops.push(Operation {
                index: *op,
                process: FINAL_READ_PROCESS_BASE + u64::from(replica.0),
                client: *replica,
                replica: *replica,
                op: Op::Read { key: key.clone() },
                invoke: *time,
                complete: Some((*time, Outcome::Ok(*value))),
                final_read: true,
            }),
        }
    }
    ops
}

/// p50 and p99 latencies of one kind of operation, in milliseconds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p99: f64,
}

/// Client-visible figures of a run (final reads excluded).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OpMetrics {
    pub ops_ok: u64,
    pub ops_fail: u64,
    pub ops_info: u64,
    /// Still waiting for an answer when the run stopped.
    pub ops_pending: u64,
    /// Successful operations over all invoked ones; 1 when there were none.
    pub availability: f64,
    /// Latency of successful operations per function (`read`, `write`, `cas`).
    pub latency_ms: BTreeMap<&'static str, Percentiles>,
    /// Reads that returned a value already overwritten before they began (see [`is_stale`]).
    pub stale_reads: u64,
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], fraction: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn metrics(ops: &[Operation]) -> OpMetrics {
    let mut metrics = OpMetrics::default();
    let mut latencies: BTreeMap<&'static str, Vec<u64>> = BTreeMap::new();
    let client_ops: Vec<&Operation> = ops.iter().filter(|op| !op.final_read).collect();
    for op in &client_ops {
        match op.outcome() {
            Some(Outcome::Ok(_)) => {
                metrics.ops_ok += 1;
                latencies
                    .entry(op.op.name())
                    .or_default()
                    .push(op.latency_us().unwrap_or(0));
            }
            Some(Outcome::Fail(_)) => metrics.ops_fail += 1,
            Some(Outcome::Info) => metrics.ops_info += 1,
            None => metrics.ops_pending += 1,
        }
    }
    let total = client_ops.len() as f64;
    metrics.availability = if client_ops.is_empty() {
        1.0
    } else {
        metrics.ops_ok as f64 / total
    };
    for (name, mut values) in latencies {
        values.sort_unstable();
        let to_ms = |us: u64| us as f64 / 1_000.0;
        metrics.latency_ms.insert(
            name,
            Percentiles {
                p50: to_ms(percentile(&values, 0.5)),
                p99: to_ms(percentile(&values, 0.99)),
            },
        );
    }
    metrics.stale_reads = count_stale_reads(ops);
    metrics
}

/// Nearest-rank p99 latency in milliseconds of every successful client operation, reads,
/// writes and cas together (final reads excluded); 0 when none succeeded. One figure per
/// run, for comparing models whose mixes of slow and fast operations differ.
pub fn latency_ms_p99(ops: &[Operation]) -> f64 {
    let mut latencies_us: Vec<u64> = ops
        .iter()
        .filter(|op| !op.final_read && op.is_ok())
        .map(|op| op.latency_us().unwrap_or(0))
        .collect();
    latencies_us.sort_unstable();
    percentile(&latencies_us, 0.99) as f64 / 1_000.0
}

/// An acknowledged write that no replica kept (see [`lost_writes`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostWrite {
    /// The write's position in the operations.
    pub write: usize,
    /// The position of the write whose value the replicas ended with instead (the newest
    /// such, by completion); `None` when they ended with no value, or one nobody wrote.
    pub kept: Option<usize>,
}

/// The acknowledged writes (and successful cas) that the run lost: every final read of
/// the key returned no value, a value no client wrote, or the value of a write that was
/// over before this one began, which this one should have replaced. A write survives if
/// some replica ends with it or with a write concurrent with or later than it. Keys no
/// replica was read for at the end (every replica down) are not judged.
pub fn lost_writes(ops: &[Operation]) -> Vec<LostWrite> {
    let writer_of: BTreeMap<i64, usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| !op.final_read)
        .filter_map(|(index, op)| op.written().map(|value| (value.id, index)))
        .collect();
    let mut finals: BTreeMap<&str, Vec<Option<usize>>> = BTreeMap::new();
    for op in ops.iter().filter(|op| op.final_read) {
        let kept = op
            .read_value()
            .flatten()
            .and_then(|value| writer_of.get(&value.id).copied());
        finals.entry(op.op.key()).or_default().push(kept);
    }
    // Only an acknowledged write is known to be over: one that timed out may still take
    // effect after a later write began, and then rightly wins.
    let over_before = |earlier: &Operation, later: &Operation| matches!(earlier.complete, Some((done, Outcome::Ok(_))) if done < later.invoke);
    let mut lost = Vec::new();
    for (index, op) in ops.iter().enumerate() {
        if op.final_read || !op.is_ok() || op.written().is_none() {
            continue;
        }
        let Some(kept) = finals.get(op.op.key()) else {
            continue;
        };
        let survives = kept.iter().any(|kept| match kept {
            Some(writer) => *writer == index || !over_before(&ops[*writer], op),
            None => false,
        });
        if !survives {
            let newest = kept
                .iter()
                .flatten()
                .copied()
                .max_by_key(|writer| ops[*writer].complete.as_ref().map(|(done, _)| *done));
            lost.push(LostWrite {
                write: index,
                kept: newest,
            });
        }
    }
    lost
}

/// How many client reads are stale (see [`is_stale`] and [`stale_reads`]).
pub fn count_stale_reads(ops: &[Operation]) -> u64 {
    stale_reads(ops).iter().filter(|&&stale| stale).count() as u64
}

/// Which of `ops` are stale client reads (see [`is_stale`]), position by position, in
/// O(n log n): per key, the writes that completed ok sorted by invocation, with the
/// earliest completion among all later invocations, answer "did a write begin after `t`
/// and finish before this read?" by a binary search. The page recounts this several times
/// a second, so the quadratic definition would not do for long runs.
pub fn stale_reads(ops: &[Operation]) -> Vec<bool> {
    let mut writes_by_key: BTreeMap<&str, Vec<(Time, Time)>> = BTreeMap::new();
    let mut completed_write: BTreeMap<(&str, i64), Time> = BTreeMap::new();
    for op in ops.iter().filter(|op| !op.final_read) {
        let (Some(written), Some((done, Outcome::Ok(_)))) = (op.written(), &op.complete) else {
            continue;
        };
        writes_by_key
            .entry(op.op.key())
            .or_default()
            .push((op.invoke, *done));
        completed_write
            .entry((op.op.key(), written.id))
            .or_insert(*done);
    }
    // Per key: invocation times ascending, and the earliest completion from each on.
    let index: BTreeMap<&str, (Vec<Time>, Vec<Time>)> = writes_by_key
        .into_iter()
        .map(|(key, mut writes)| {
            writes.sort();
            let invokes = writes.iter().map(|(invoke, _)| *invoke).collect();
            let mut suffix_min = vec![Time::MAX; writes.len()];
            let mut earliest = Time::MAX;
            for (slot, (_, done)) in writes.iter().enumerate().rev() {
                earliest = earliest.min(*done);
                suffix_min[slot] = earliest;
            }
            (key, (invokes, suffix_min))
        })
        .collect();
    // The earliest completion of an ok write to `key` invoked strictly after `after`.
    let earliest_done_after = |key: &str, after: Option<Time>| -> Time {
        let Some((invokes, suffix_min)) = index.get(key) else {
            return Time::MAX;
        };
        let from = after.map_or(0, |after| {
            invokes.partition_point(|&invoke| invoke <= after)
        });
        suffix_min.get(from).copied().unwrap_or(Time::MAX)
    };
    ops.iter()
        .map(|op| {
            !op.final_read
                && match op.read_value() {
                    Some(None) => earliest_done_after(op.op.key(), None) < op.invoke,
                    Some(Some(value)) => {
                        completed_write
                            .get(&(op.op.key(), value.id))
                            .is_some_and(|&source_done| {
                                earliest_done_after(op.op.key(), Some(source_done)) < op.invoke
                            })
                    }
                    None => false,
                }
        })
        .collect()
}

/// A read is stale when it returned the value of write `w` although another write `w2` to
/// the same key started after `w` completed and itself completed before the read was
/// invoked: the read missed a write that was certainly newer. A read of nothing is stale
/// when some write to the key had completed before the read began.
pub fn is_stale(read: &Operation, ops: &[Operation]) -> bool {
    let Some(value) = read.read_value() else {
        return false;
    };
    let key = read.op.key();
    let completed_ok_before_read = |write: &&Operation| {
        write.op.key() == key
            && write.written().is_some()
            && matches!(&write.complete, Some((time, Outcome::Ok(_))) if *time < read.invoke)
    };
    match value {
        None => ops
            .iter()
            .filter(|op| !op.final_read)
            .any(|op| completed_ok_before_read(&op)),
        Some(value) => {
            let Some(source) = ops
                .iter()
                .find(|op| op.op.key() == key && op.written().is_some_and(|w| w.id == value.id))
            else {
                return false;
            };
            let Some((source_done, Outcome::Ok(_))) = &source.complete else {
                return false;
            };
            ops.iter().filter(|op| !op.final_read).any(|newer| {
                newer.index != source.index
                    && newer.invoke > *source_done
                    && completed_ok_before_read(&newer)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(
        index: u32,
        operation: Op,
        invoke_ms: u64,
        complete: Option<(u64, Outcome)>,
    ) -> Operation {
        Operation {
            index,
            process: u64::from(index),
            client: NodeId(9),
            replica: NodeId(0),
            op: operation,
            invoke: Time::from_ms(invoke_ms),
            complete: complete.map(|(ms, outcome)| (Time::from_ms(ms), outcome)),
            final_read: false,
        }
    }

    fn write(index: u32, value: i64, invoke_ms: u64, complete_ms: u64) -> Operation {
        op(
            index,
            Op::Write {
                key: "x".into(),
                value: Value::unique(value),
            },
            invoke_ms,
            Some((complete_ms, Outcome::Ok(None))),
        )
    }

    fn read(index: u32, value: Option<i64>, invoke_ms: u64, complete_ms: u64) -> Operation {
        op(
            index,
            Op::Read { key: "x".into() },
            invoke_ms,
            Some((complete_ms, Outcome::Ok(value.map(Value::unique)))),
        )
    }

    fn final_read(index: u32, value: Option<i64>) -> Operation {
        Operation {
            final_read: true,
            ..read(index, value, 100, 100)
        }
    }

    #[test]
    fn a_write_superseded_by_a_later_one_is_not_lost_but_one_an_older_write_beat_is() {
        // Write 2 began after write 1 was over; the replicas ending with 1 lost 2.
        let ops = vec![
            write(0, 1, 0, 10),
            write(1, 2, 20, 30),
            final_read(2, Some(1)),
        ];
        assert_eq!(
            lost_writes(&ops),
            vec![LostWrite {
                write: 1,
                kept: Some(0)
            }]
        );
        // Ending with 2 loses nothing: 1 was replaced as it should be.
        let ops = vec![
            write(0, 1, 0, 10),
            write(1, 2, 20, 30),
            final_read(2, Some(2)),
        ];
        assert!(lost_writes(&ops).is_empty());
        // Concurrent writes: either may win.
        let ops = vec![
            write(0, 1, 0, 25),
            write(1, 2, 20, 30),
            final_read(2, Some(1)),
        ];
        assert!(lost_writes(&ops).is_empty());
        // One replica keeping the write is enough; no value anywhere loses it.
        let ops = vec![
            write(0, 1, 0, 10),
            write(1, 2, 20, 30),
            final_read(2, Some(1)),
            final_read(3, Some(2)),
        ];
        assert!(lost_writes(&ops).is_empty());
        let ops = vec![write(0, 1, 0, 10), final_read(1, None)];
        assert_eq!(
            lost_writes(&ops),
            vec![LostWrite {
                write: 0,
                kept: None
            }]
        );
        // Nothing read at the end (every replica down): nothing judged.
        assert!(lost_writes(&[write(0, 1, 0, 10)]).is_empty());
        // A write that timed out is not over: if it lands after a later one, it wins.
        let timed_out = op(
            0,
            Op::Write {
                key: "x".into(),
                value: Value::unique(1),
            },
            0,
            Some((10, Outcome::Info)),
        );
        let ops = vec![timed_out, write(1, 2, 20, 30), final_read(2, Some(1))];
        assert!(lost_writes(&ops).is_empty());
    }

    #[test]
    fn a_read_that_misses_a_completed_newer_write_is_stale() {
        let ops = vec![
            write(0, 1, 0, 10),
            write(1, 2, 20, 30),
            read(2, Some(1), 40, 45),
        ];
        assert!(is_stale(&ops[2], &ops));
        assert_eq!(metrics(&ops).stale_reads, 1);
    }

    #[test]
    fn concurrent_writes_make_no_read_stale() {
        // The second write began before the first completed: either order is fine.
        let ops = vec![
            write(0, 1, 0, 10),
            write(1, 2, 5, 30),
            read(2, Some(1), 40, 45),
        ];
        assert!(!is_stale(&ops[2], &ops));
        // A read overlapping the newer write may still see the old value.
        let ops = vec![
            write(0, 1, 0, 10),
            write(1, 2, 20, 50),
            read(2, Some(1), 40, 45),
        ];
        assert!(!is_stale(&ops[2], &ops));
    }

    #[test]
    fn reading_nothing_after_a_completed_write_is_stale() {
        let ops = vec![write(0, 1, 0, 10), read(1, None, 20, 25)];
        assert!(is_stale(&ops[1], &ops));
        let ops = vec![write(0, 1, 0, 30), read(1, None, 20, 25)];
        assert!(!is_stale(&ops[1], &ops));
    }

    #[test]
    fn metrics_count_outcomes_and_percentiles() {
        let ops = vec![
            write(0, 1, 0, 10),
            read(1, Some(1), 20, 24),
            op(
                2,
                Op::Read { key: "x".into() },
                30,
                Some((1_030, Outcome::Info)),
            ),
            op(
                3,
                Op::Write {
                    key: "x".into(),
                    value: Value::unique(3),
                },
                40,
                Some((41, Outcome::Fail("no".into()))),
            ),
            op(4, Op::Read { key: "x".into() }, 50, None),
        ];
        let figures = metrics(&ops);
        assert_eq!(
            (
                figures.ops_ok,
                figures.ops_info,
                figures.ops_fail,
                figures.ops_pending
            ),
            (2, 1, 1, 1)
        );
        assert!((figures.availability - 0.4).abs() < 1e-12);
        assert_eq!(
            figures.latency_ms["write"],
            Percentiles {
                p50: 10.0,
                p99: 10.0
            }
        );
        assert_eq!(
            figures.latency_ms["read"],
            Percentiles { p50: 4.0, p99: 4.0 }
        );
        assert_eq!(percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5), 5);
        assert_eq!(percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99), 10);
    }

    #[test]
    fn one_p99_covers_every_kind_of_successful_operation() {
        let mut ops: Vec<Operation> = (0..99).map(|i| read(i, None, 0, 2)).collect();
        ops.push(write(99, 1, 0, 40));
        assert_eq!(latency_ms_p99(&ops), 2.0, "the 99th of 100 is a read");
        ops.push(write(100, 2, 0, 50));
        assert_eq!(latency_ms_p99(&ops), 40.0, "the 100th of 101 is a write");
        let failed = op(
            101,
            Op::Read { key: "x".into() },
            0,
            Some((900, Outcome::Info)),
        );
        ops.push(failed);
        assert_eq!(
            latency_ms_p99(&ops),
            40.0,
            "timed-out operations do not count"
        );
        assert_eq!(latency_ms_p99(&[]), 0.0);
    }

    #[test]
    fn the_log_until_a_time_keeps_the_events_that_had_happened() {
        let log = vec![
            HistoryEvent::Invoke {
                op: 0,
                time: Time::from_ms(1),
                process: 0,
                client: NodeId(3),
                replica: NodeId(0),
                operation: Op::Read { key: "x".into() },
            },
            HistoryEvent::Complete {
                op: 0,
                time: Time::from_ms(5),
                outcome: Outcome::Ok(None),
                replica: NodeId(0),
            },
        ];
        assert!(log_until(&log, Time::ZERO).is_empty());
        assert_eq!(log_until(&log, Time::from_ms(4)).len(), 1);
        assert_eq!(log_until(&log, Time::from_ms(5)).len(), 2, "inclusive");
        assert_eq!(log[1].time(), Time::from_ms(5));
    }

    #[test]
    fn the_log_pairs_invocations_with_completions() {
        let log = vec![
            HistoryEvent::Invoke {
                op: 0,
                time: Time::from_ms(1),
                process: 0,
                client: NodeId(3),
                replica: NodeId(0),
                operation: Op::Read { key: "x".into() },
            },
            HistoryEvent::Invoke {
                op: 1,
                time: Time::from_ms(2),
                process: 1,
                client: NodeId(4),
                replica: NodeId(1),
                operation: Op::Read { key: "x".into() },
            },
            HistoryEvent::Complete {
                op: 0,
                time: Time::from_ms(5),
                outcome: Outcome::Ok(None),
                replica: NodeId(2),
            },
            HistoryEvent::FinalRead {
                op: 2,
                time: Time::from_ms(9),
                replica: NodeId(1),
                key: "x".into(),
                value: None,
            },
        ];
        let ops = operations(&log);
        assert_eq!(ops.len(), 3);
        assert_eq!(ops[0].complete, Some((Time::from_ms(5), Outcome::Ok(None))));
        assert_eq!(ops[0].replica, NodeId(2), "the replica that answered");
        assert_eq!(ops[1].complete, None);
        assert!(ops[2].final_read);
        assert_eq!(ops[2].process, FINAL_READ_PROCESS_BASE + 1);
    }

    #[test]
    fn the_fast_stale_count_agrees_with_the_definition() {
        let mut rng = crate::rng::Rng::from_seed(11);
        for case in 0..200 {
            let mut ops = Vec::new();
            for index in 0..rng.below(30) as u32 {
                let invoke = rng.below(1_000);
                let complete = invoke + 1 + rng.below(200);
                let outcome = match rng.below(5) {
                    0 => Outcome::Info,
                    1 => Outcome::Fail("no".into()),
                    _ => Outcome::Ok(None),
                };
                if rng.chance(0.5) {
                    let mut w = write(index, i64::from(index) + 1, invoke, complete);
                    w.complete = Some((Time::from_ms(complete), outcome));
                    ops.push(w);
                } else {
                    let seen = (rng.below(index as u64 + 1) as i64 > 0)
                        .then(|| rng.below(index as u64 + 1) as i64);
                    ops.push(read(index, seen, invoke, complete));
                }
            }
            let slow: Vec<bool> = ops.iter().map(|op| is_stale(op, &ops)).collect();
            assert_eq!(stale_reads(&ops), slow, "case {case}");
            let slow_count = slow.iter().filter(|&&stale| stale).count() as u64;
            assert_eq!(count_stale_reads(&ops), slow_count, "case {case}");
        }
    }
}
