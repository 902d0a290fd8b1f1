//! What the inspector shows about a node, computed from the engine at the cursor.

use dsplay_sim::history::{is_stale, Operation, Outcome};
use dsplay_sim::{Engine, NodeId, NodeKind, Op};

/// One of a client's recent operations, as the inspector lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct OpLine {
    /// E.g. `w feed=3`, `r feed→2`, `cas x 1→3`.
    pub label: String,
    /// `ok`, `failed`, `unknown` (timed out) or `waiting`.
    pub outcome: &'static str,
    /// Latency in milliseconds, once complete.
    pub latency_ms: Option<f64>,
    /// A read that returned a value already overwritten before it began.
    pub stale: bool,
}

/// Everything the inspector shows about one node.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeView {
    pub id: NodeId,
    pub name: String,
    pub kind: NodeKind,
    pub role: &'static str,
    pub up: bool,
    /// The replica's store as `key = value` pairs (shown values).
    pub store: Vec<(String, i64)>,
    /// The protocol's own state: term, view, log, vector clock...
    pub details: Vec<(&'static str, String)>,
    /// For a client: whether it waits for an answer, and its latest operations, newest first.
    pub waiting: bool,
    pub recent: Vec<OpLine>,
    /// The keys the client's workload uses (for the operation form).
    pub keys: Vec<String>,
    /// For a replica: the client operations it was last asked to serve and has not
    /// answered yet, oldest first, as `c1: w x=3 (since 2.310 s)`.
    pub pending: Vec<String>,
}

/// What the inspector shows of a node of a scenario that cannot run yet.
pub fn static_view(scenario: &dsplay_sim::Scenario, node: NodeId) -> Option<NodeView> {
    let spec = scenario.nodes.get(node.index())?;
    Some(NodeView {
        id: node,
        name: spec.id.clone(),
        kind: spec.kind,
        role: if spec.kind == NodeKind::Client {
            "client"
        } else {
            "not running"
        },
        up: true,
        store: Vec::new(),
        details: Vec::new(),
        waiting: false,
        recent: Vec::new(),
        pending: Vec::new(),
        keys: spec
            .workload
            .as_ref()
            .map(|workload| workload.keys.clone())
            .unwrap_or_default(),
    })
}

/// What the inspector shows of a message.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageView {
    pub kind: &'static str,
    pub from: String,
    pub to: String,
    pub sent: dsplay_sim::Time,
    /// The payload, as one line.
    pub payload: String,
    /// Its hops so far: "n1 → n2 (arrives 1.204 s)", "lost on the way" and so on.
    pub hops: Vec<String>,
}

/// The inspector's view of message `msg`, from the trace.
pub fn message_view(engine: &dyn Engine, msg: dsplay_sim::MsgId) -> Option<MessageView> {
    use dsplay_sim::TraceEvent;
    let name = |node: NodeId| engine.topology().name(node).to_string();
    let mut view = None;
    for event in engine.trace() {
        match *event {
            TraceEvent::Sent {
                time,
                msg: m,
                from,
                to,
                kind,
            } if m == msg => {
                view = Some(MessageView {
                    kind,
                    from: name(from),
                    to: name(to),
                    sent: time,
                    payload: engine.describe_message(msg),
                    hops: Vec::new(),
                });
            }
            TraceEvent::Hop {
                msg: m,
                from,
                to,
                arrive,
                lost,
                duplicate,
                ..
            } if m == msg => {
                if let Some(view) = view.as_mut() {
                    let mut line = format!("{} → {} (arrives {arrive})", name(from), name(to));
                    if lost {
                        line.push_str(", lost on the way");
                    }
                    if duplicate {
                        line.push_str(", a duplicate copy");
                    }
                    view.hops.push(line);
                }
            }
            TraceEvent::Dropped {
                msg: m,
                node,
                reason,
                time,
            } if m == msg => {
                if let Some(view) = view.as_mut() {
                    view.hops.push(format!(
                        "dropped at {} at {time}: {}",
                        name(node),
                        reason.as_str()
                    ));
                }
            }
            TraceEvent::Delivered { msg: m, node, time } if m == msg => {
                if let Some(view) = view.as_mut() {
                    view.hops
                        .push(format!("delivered to {} at {time}", name(node)));
                }
            }
            _ => {}
        }
    }
    view
}

/// How many recent operations the inspector lists.
pub const RECENT_OPS: usize = 8;

pub fn node_view(engine: &dyn Engine, node: NodeId, workload_keys: &[String]) -> NodeView {
    let topology = engine.topology();
    let info = topology.node(node);
    let ops = engine.operations();
    let recent = ops
        .iter()
        .rev()
        .filter(|op| op.client == node && !op.final_read)
        .take(RECENT_OPS)
        .map(|op| op_line(op, &ops))
        .collect();
    let pending = if info.kind == NodeKind::Replica {
        ops.iter()
            .filter(|op| op.replica == node && op.complete.is_none() && !op.final_read)
            .map(|op| {
                format!(
                    "{}: {} (since {})",
                    topology.name(op.client),
                    op_line(op, &ops).label,
                    op.invoke
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    NodeView {
        id: node,
        name: info.name.clone(),
        pending,
        kind: info.kind,
        role: if info.kind == NodeKind::Client {
            "client"
        } else {
            engine.role(node)
        },
        up: engine.is_up(node),
        store: engine
            .store(node)
            .into_iter()
            .map(|(key, value)| (key, value.shown))
            .collect(),
        details: engine.inspect(node),
        waiting: engine.is_waiting(node),
        recent,
        keys: workload_keys.to_vec(),
    }
}

/// A short label for an operation and its result.
pub fn op_line(op: &Operation, all: &[Operation]) -> OpLine {
    op_line_marked(op, is_stale(op, all))
}

/// [`op_line`] for an operation already known to be stale or not (a whole history's flags
/// come cheaper from `history::stale_reads` than one read at a time).
pub fn op_line_marked(op: &Operation, stale: bool) -> OpLine {
    let shown = |value: Option<dsplay_sim::Value>| {
        value.map_or("nil".to_string(), |value| value.shown.to_string())
    };
    let result = op.outcome();
    let label = match (&op.op, result) {
        (Op::Read { key }, Some(Outcome::Ok(value))) => format!("r {key}→{}", shown(*value)),
        (Op::Read { key }, _) => format!("r {key}"),
        (Op::Write { key, value }, _) => format!("w {key}={}", value.shown),
        (Op::Cas { key, old, new }, _) => format!("cas {key} {old}→{}", new.shown),
    };
    let outcome = match result {
        Some(Outcome::Ok(_)) => "ok",
        Some(Outcome::Fail(_)) => "failed",
        Some(Outcome::Info) => "unknown",
        None => "waiting",
    };
    OpLine {
        label,
        outcome,
        latency_ms: op.latency_us().map(|us| us as f64 / 1_000.0),
        stale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::player::Player;
    use dsplay_sim::{Scenario, Time};

    #[test]
    fn a_client_view_lists_its_latest_operations_with_results() {
        let scenario =
            Scenario::from_json(crate::presets::find("sequential-feed").unwrap().json).unwrap();
        let mut player = Player::new(scenario).unwrap();
        player.seek(Time::from_ms(6_000));
        let view = node_view(player.engine(), NodeId(5), &["feed".into()]);
        assert_eq!(view.name, "reader1");
        assert_eq!(view.role, "client");
        assert_eq!(view.recent.len(), RECENT_OPS);
        assert!(view
            .recent
            .iter()
            .all(|line| line.label.starts_with("r feed")));
        assert!(view
            .recent
            .iter()
            .filter(|line| line.outcome == "ok")
            .all(|line| line.latency_ms.is_some()));
        let sequencer = node_view(player.engine(), NodeId(0), &[]);
        assert_eq!(sequencer.role, "sequencer");
        assert!(
            sequencer
                .details
                .iter()
                .any(|(label, value)| *label == "sequencer" && value == "r1"),
            "{:?}",
            sequencer.details
        );
        assert!(sequencer.store.iter().any(|(key, _)| key == "feed"));
    }

    #[test]
    fn a_replica_lists_the_operations_it_has_not_answered_yet() {
        let scenario =
            Scenario::from_json(crate::presets::find("sequential-feed").unwrap().json).unwrap();
        let mut player = Player::new(scenario).unwrap();
        let mut seen = 0;
        for ms in (500..8_000).step_by(37) {
            player.seek(Time::from_ms(ms));
            let ops = player.engine().operations();
            for replica in 0..4 {
                let view = node_view(player.engine(), NodeId(replica), &[]);
                let expected = ops
                    .iter()
                    .filter(|op| {
                        op.replica == NodeId(replica) && op.complete.is_none() && !op.final_read
                    })
                    .count();
                assert_eq!(view.pending.len(), expected);
                seen += view.pending.len();
                if let Some(line) = view.pending.first() {
                    assert!(line.contains(": ") && line.contains("(since "), "{line}");
                }
            }
        }
        assert!(seen > 0, "some operation is caught in progress");
        // A known operation, half way through: its replica lists it by client and label.
        player.seek(Time::from_ms(8_000));
        let ops = player.engine().operations();
        let op = ops
            .iter()
            .find(|op| !op.final_read && op.complete.is_some())
            .unwrap();
        let (invoke, complete) = (op.invoke, op.complete.as_ref().unwrap().0);
        player.seek(Time::from_us((invoke.as_us() + complete.as_us()) / 2));
        let view = node_view(player.engine(), op.replica, &[]);
        let client = player.engine().topology().name(op.client).to_string();
        let expected = format!("{client}: {} (since {invoke})", op_line(op, &ops).label);
        assert!(
            view.pending
                .iter()
                .any(|line| line.starts_with(&format!("{client}: ")))
                && view
                    .pending
                    .iter()
                    .any(|line| line.ends_with(&format!("(since {invoke})"))),
            "{expected} in {:?}",
            view.pending
        );
        player.seek(complete);
        let view = node_view(player.engine(), op.replica, &[]);
        assert!(
            !view
                .pending
                .iter()
                .any(|line| line.ends_with(&format!("(since {invoke})"))),
            "answered at {complete}: {:?}",
            view.pending
        );
    }

    #[test]
    fn a_message_view_tells_its_path_and_payload() {
        let scenario =
            Scenario::from_json(crate::presets::find("sequential-feed").unwrap().json).unwrap();
        let mut player = Player::new(scenario).unwrap();
        player.seek(Time::from_ms(3_000));
        let msg = player
            .flights()
            .active(Time::from_ms(3_000))
            .next()
            .expect("a message in the air")
            .msg;
        let view = message_view(player.engine(), msg).unwrap();
        assert!(!view.payload.is_empty() && !view.hops.is_empty());
        assert!(view.hops[0].contains(" → "), "{:?}", view.hops);
        assert!(view.sent <= Time::from_ms(3_000));
    }
}
