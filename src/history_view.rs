//! The client history as Porcupine draws it: a lane per client, each operation a bar from
//! its invocation to its completion, labelled and coloured by outcome, with the checker's
//! verdict on top and the operations of a violation marked.
//!
//! Also which messages served an operation, so the canvas can pick them out: those
//! causally after the client's first request and causally before its answer (the reply,
//! and everything the replicas exchanged in between to produce it). No browser types.

use crate::inspect::op_line_marked;
use dsplay_sim::history::Operation;
use dsplay_sim::report::VerdictSummary;
use dsplay_sim::topology::NodeKind;
use dsplay_sim::trace::TraceEvent;
use dsplay_sim::{Engine, MsgId, Time};
use std::collections::BTreeSet;

/// How far the time axis reaches past the latest moment shown, as a factor.
pub const END_MARGIN: f64 = 1.04;

/// One row of the view: a client, or a replica's final reads.
#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    pub name: String,
    /// How many rows the lane takes (operations that overlap in time stack).
    pub rows: usize,
}

/// One operation drawn as a bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// The engine's operation index.
    pub op: u32,
    pub lane: usize,
    /// The row inside the lane.
    pub row: usize,
    pub client: String,
    pub replica: String,
    pub invoke_ms: f64,
    /// Completion, or the cursor while the operation is still waiting.
    pub end_ms: f64,
    /// E.g. `w x=2`, `r x→1`, `cas x 1→3`.
    pub label: String,
    /// `ok`, `failed`, `unknown` (timed out) or `waiting`.
    pub outcome: &'static str,
    pub stale: bool,
    /// One of the operations the checker names for a violation.
    pub violating: bool,
    pub final_read: bool,
}

/// The whole view at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryView {
    pub lanes: Vec<Lane>,
    pub bars: Vec<Bar>,
    /// The time axis: from 0 to the end of the shown history (at least the cursor).
    pub end_ms: f64,
    pub cursor_ms: f64,
    /// The checker's verdict on the history up to the cursor, if there is one.
    pub verdict: Option<VerdictSummary>,
}

/// The history of `engine` up to its present (the player's cursor), with `verdict`'s
/// operations marked. Lanes: each client in topology order, then each replica that was
/// read at the end of the run.
pub fn build(engine: &dyn Engine, verdict: Option<&VerdictSummary>, cursor: Time) -> HistoryView {
    let topology = engine.topology();
    let operations = engine.operations();
    let flagged: BTreeSet<u32> = verdict
        .map(|verdict| verdict.ops.iter().copied().collect())
        .unwrap_or_default();
    let cursor_ms = cursor.as_ms_f64();
    let mut lanes: Vec<Lane> = Vec::new();
    let mut lane_of: Vec<Option<usize>> = vec![None; topology.nodes.len()];
    for node in topology
        .nodes
        .iter()
        .filter(|node| node.kind == NodeKind::Client)
    {
        lane_of[node.id.index()] = Some(lanes.len());
        lanes.push(Lane {
            name: node.name.clone(),
            rows: 1,
        });
    }
    let mut final_lane_of: Vec<Option<usize>> = vec![None; topology.nodes.len()];
    // Each row's latest end, per lane, to stack overlapping operations.
    let mut row_ends: Vec<Vec<f64>> = vec![Vec::new(); lanes.len()];
    let mut bars = Vec::with_capacity(operations.len());
    let stale = dsplay_sim::history::stale_reads(&operations);
    for (op, stale) in operations.iter().zip(stale) {
        let lane = if op.final_read {
            *final_lane_of[op.client.index()].get_or_insert_with(|| {
                lanes.push(Lane {
                    name: format!("{} (final read)", topology.name(op.client)),
                    rows: 1,
                });
                row_ends.push(Vec::new());
                lanes.len() - 1
            })
        } else {
            match lane_of[op.client.index()] {
                Some(lane) => lane,
                None => continue,
            }
        };
        let line = op_line_marked(op, stale);
        let invoke_ms = op.invoke.as_ms_f64();
        let end_ms = op
            .complete
            .as_ref()
            .map_or(cursor_ms, |(time, _)| time.as_ms_f64())
            .max(invoke_ms);
        let ends = &mut row_ends[lane];
        let row = match ends.iter().position(|&end| end < invoke_ms) {
            Some(row) => row,
            None => {
                ends.push(0.0);
                ends.len() - 1
            }
        };
        ends[row] = end_ms;
        lanes[lane].rows = lanes[lane].rows.max(ends.len());
        bars.push(Bar {
            op: op.index,
            lane,
            row,
            client: topology.name(op.client).to_string(),
            replica: topology.name(op.replica).to_string(),
            invoke_ms,
            end_ms,
            label: line.label,
            outcome: line.outcome,
            stale: line.stale,
            violating: flagged.contains(&op.index),
            final_read: op.final_read,
        });
    }
    // A little room after the latest moment, so the cursor and the bars in progress are
    // not pressed against the edge.
    let end_ms = bars
        .iter()
        .map(|bar| bar.end_ms)
        .fold(cursor_ms, f64::max)
        .max(1.0)
        * END_MARGIN;
    HistoryView {
        lanes,
        bars,
        end_ms,
        cursor_ms,
        verdict: verdict.cloned(),
    }
}

impl HistoryView {
    /// The bars of the operations a violation involves.
    pub fn violating(&self) -> impl Iterator<Item = &Bar> {
        self.bars.iter().filter(|bar| bar.violating)
    }

    /// Rows above each lane, for laying lanes out one under another.
    pub fn lane_offsets(&self) -> Vec<usize> {
        self.lanes
            .iter()
            .scan(0, |rows, lane| {
                let offset = *rows;
                *rows += lane.rows;
                Some(offset)
            })
            .collect()
    }

    pub fn total_rows(&self) -> usize {
        self.lanes.iter().map(|lane| lane.rows).sum()
    }
}

/// The messages that served `op`, and the moment to show them: when the first of them is
/// halfway along its first link (or the invocation, when none was sent).
///
/// A message serves the operation when it is causally after the client's request (sent
/// by the client, or by a node that had already received such a message) and causally
/// before the client learned the outcome (delivered to the client before the answer, or
/// to a node that sent such a message afterwards). Trace order is processing order, so
/// both closures are one scan over the operation's interval, forward and backward.
pub fn served_by(engine: &dyn Engine, op: &Operation) -> (BTreeSet<MsgId>, Time) {
    let trace = engine.trace();
    let nodes = engine.topology().nodes.len();
    let end = op.complete.as_ref().map_or(engine.now(), |(time, _)| *time);
    let first = trace.partition_point(|event| event.time() < op.invoke);
    let last = trace.partition_point(|event| event.time() <= end);
    let interval = &trace[first..last];

    // Forward: messages sent by a node once it is "after the request".
    let mut after = vec![false; nodes];
    after[op.client.index()] = true;
    let mut forward = BTreeSet::new();
    for event in interval {
        match *event {
            TraceEvent::Sent { msg, from, .. } if after[from.index()] => {
                forward.insert(msg);
            }
            TraceEvent::Delivered { msg, node, .. } if forward.contains(&msg) => {
                after[node.index()] = true;
            }
            _ => {}
        }
    }
    // Backward: messages delivered to a node before it (eventually) told the client.
    let mut before = vec![false; nodes];
    before[op.client.index()] = true;
    let mut backward = BTreeSet::new();
    for event in interval.iter().rev() {
        match *event {
            TraceEvent::Delivered { msg, node, .. } if before[node.index()] => {
                backward.insert(msg);
            }
            TraceEvent::Sent { msg, from, .. } if backward.contains(&msg) => {
                before[from.index()] = true;
            }
            _ => {}
        }
    }
    let mut served: BTreeSet<MsgId> = forward.intersection(&backward).copied().collect();
    if served.is_empty() {
        // No answer came (a timeout): what the client sent is all that served it.
        served = interval
            .iter()
            .filter_map(|event| match *event {
                TraceEvent::Sent { msg, from, .. } if from == op.client => Some(msg),
                _ => None,
            })
            .collect();
    }
    let moment = interval
        .iter()
        .find_map(|event| match *event {
            TraceEvent::Hop {
                time, msg, arrive, ..
            } if served.contains(&msg) => {
                Some(Time::from_us(time.as_us() + arrive.since_us(time) / 2))
            }
            _ => None,
        })
        .unwrap_or(op.invoke);
    (served, moment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::player::Player;
    use dsplay_sim::Scenario;

    fn player(preset: &str, at_ms: u64) -> Player {
        let scenario = Scenario::from_json(crate::presets::find(preset).unwrap().json).unwrap();
        let mut player = Player::new(scenario).unwrap();
        player.seek(Time::from_ms(at_ms));
        player
    }

    #[test]
    fn every_client_has_a_lane_and_every_operation_a_bar_from_invocation_to_completion() {
        let player = player("sequential-feed", 6_000);
        let view = build(player.engine(), None, player.cursor());
        let clients = player
            .engine()
            .topology()
            .nodes
            .iter()
            .filter(|node| node.kind == NodeKind::Client)
            .count();
        assert_eq!(view.lanes.len(), clients);
        let operations = player.engine().operations();
        assert_eq!(view.bars.len(), operations.len());
        for (bar, op) in view.bars.iter().zip(&operations) {
            assert_eq!(bar.invoke_ms, op.invoke.as_ms_f64());
            match &op.complete {
                Some((time, _)) => assert_eq!(bar.end_ms, time.as_ms_f64()),
                None => {
                    assert_eq!(bar.outcome, "waiting");
                    assert_eq!(bar.end_ms, 6_000.0);
                }
            }
            assert_eq!(view.lanes[bar.lane].name, bar.client);
        }
        assert!(view.bars.iter().any(|bar| bar.label.starts_with("w ")));
        assert!(view.bars.iter().any(|bar| bar.label.starts_with("r ")));
        assert_eq!(view.end_ms, 6_000.0 * END_MARGIN);
    }

    #[test]
    fn overlapping_operations_of_one_client_stack_in_rows() {
        let player = player("sequential-feed", 6_000);
        let view = build(player.engine(), None, player.cursor());
        for (lane_index, lane) in view.lanes.iter().enumerate() {
            let bars: Vec<&Bar> = view
                .bars
                .iter()
                .filter(|bar| bar.lane == lane_index)
                .collect();
            for row in 0..lane.rows {
                let mut in_row: Vec<&&Bar> = bars.iter().filter(|bar| bar.row == row).collect();
                in_row.sort_by(|a, b| a.invoke_ms.total_cmp(&b.invoke_ms));
                for pair in in_row.windows(2) {
                    assert!(pair[0].end_ms < pair[1].invoke_ms, "{pair:?} overlap");
                }
            }
        }
        let offsets = view.lane_offsets();
        for (index, lane) in view.lanes.iter().enumerate().skip(1) {
            assert_eq!(
                offsets[index],
                offsets[index - 1] + view.lanes[index - 1].rows
            );
            assert!(lane.rows >= 1);
        }
    }

    #[test]
    fn the_operations_of_a_violation_are_marked() {
        // A replica of the sequential feed lies from 4 s on.
        let mut scenario =
            Scenario::from_json(crate::presets::find("sequential-feed").unwrap().json).unwrap();
        scenario.faults = vec![dsplay_sim::fault::FaultSpec {
            at_ms: 4_000.0,
            until_ms: None,
            fault: dsplay_sim::fault::FaultKindSpec::Byzantine {
                node: "r3".into(),
                strategy: dsplay_sim::fault::StrategyName::Lie,
                toward: vec![],
            },
        }];
        let mut player = Player::new(scenario).unwrap();
        let (_, verdict) = player
            .seek_next_violation()
            .expect("a lying replica breaks sequential consistency");
        assert!(!verdict.ops.is_empty());
        let view = build(player.engine(), Some(&verdict), player.cursor());
        let marked: Vec<u32> = view.violating().map(|bar| bar.op).collect();
        let mut expected = verdict.ops.clone();
        expected.sort_unstable();
        let mut marked_sorted = marked.clone();
        marked_sorted.sort_unstable();
        assert_eq!(marked_sorted, expected);
        assert_eq!(view.verdict.as_ref().map(|v| v.valid), Some(Some(false)));
    }

    #[test]
    fn a_read_is_served_by_its_request_and_its_reply_and_nothing_outside_its_interval() {
        let player = player("strict-password", 6_000);
        let engine = player.engine();
        let operations = engine.operations();
        let op = operations
            .iter()
            .find(|op| op.is_ok() && !op.final_read)
            .expect("an operation succeeded");
        let (served, moment) = served_by(engine, op);
        assert!(served.len() >= 2, "a request and a reply: {served:?}");
        let (complete, _) = op.complete.as_ref().unwrap();
        let trace = engine.trace();
        for msg in &served {
            let sent = trace
                .iter()
                .find_map(|event| match *event {
                    TraceEvent::Sent { time, msg: m, .. } if m == *msg => Some(time),
                    _ => None,
                })
                .unwrap();
            assert!(sent >= op.invoke && sent <= *complete);
        }
        // The client's own request is among them, and so is the message that answered.
        assert!(trace.iter().any(|event| matches!(*event,
            TraceEvent::Sent { msg, from, .. } if from == op.client && served.contains(&msg))));
        assert!(trace.iter().any(|event| matches!(*event,
            TraceEvent::Delivered { msg, node, time } if node == op.client && time == *complete && served.contains(&msg))));
        assert!(moment > op.invoke && moment < *complete);
    }
}
