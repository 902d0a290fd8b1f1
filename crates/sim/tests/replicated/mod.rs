//! Shared by the tests of the replicated stores: convergence from the final reads, a
//! small causal checker over histories, random faults, the sweep's seed count, and which
//! client requests reached a replica.
//!
//! The causal checker stands in until the checker issue lands. It rebuilds happens-before
//! from the history alone: a client's operations are ordered after its previous successful
//! one (its session), and a read or cas comes after the write whose value it returned. A
//! read violates causality when it returns nothing, or a value that some write in its own
//! causal past has overwritten (that write itself came after the returned one).

// Each test binary compiles this module and uses a different part of it.
#![allow(dead_code)]

use dsplay_sim::history::{Operation, Outcome};
use dsplay_sim::rng::Rng;
use dsplay_sim::scenario::{FaultKindSpec, FaultSpec, Scenario};
use dsplay_sim::topology::NodeKind;
use dsplay_sim::{Engine, NodeId, Op, Time, TraceEvent};
use std::collections::{BTreeMap, BTreeSet};

/// How many seeds a sweep runs: `DSPLAY_SWEEP_SEEDS`, default 100.
pub fn sweep_seeds() -> u64 {
    std::env::var("DSPLAY_SWEEP_SEEDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(100)
}

/// Runs `scenario` to its end.
pub fn run(scenario: &Scenario) -> Box<dyn Engine> {
    let mut engine = dsplay_sim::build(scenario).expect("a valid scenario");
    engine
        .run_until(engine.duration())
        .expect("within the event budget");
    engine
}

/// Checks that the final reads agree: every up replica read the same value of every key,
/// and each final read equals that replica's store.
pub fn converged(engine: &dyn Engine) -> Result<(), String> {
    let mut by_key: BTreeMap<String, BTreeMap<NodeId, Option<i64>>> = BTreeMap::new();
    for read in engine.operations().iter().filter(|op| op.final_read) {
        let Some(Outcome::Ok(value)) = read.outcome() else {
            return Err(format!("final read {} did not complete", read.index));
        };
        let stored = engine.store(read.replica).get(read.op.key()).map(|v| v.id);
        if stored != value.map(|v| v.id) {
            return Err(format!(
                "{} read {:?} of {} but stores {stored:?}",
                engine.topology().name(read.replica),
                value.map(|v| v.id),
                read.op.key()
            ));
        }
        by_key
            .entry(read.op.key().to_string())
            .or_default()
            .insert(read.replica, value.map(|v| v.id));
    }
    if by_key.is_empty() {
        return Err("no final reads".into());
    }
    for (key, values) in by_key {
        let distinct: BTreeSet<_> = values.values().collect();
        if distinct.len() > 1 {
            let names: Vec<String> = values
                .iter()
                .map(|(node, value)| format!("{}={value:?}", engine.topology().name(*node)))
                .collect();
            return Err(format!("{key} diverges: {}", names.join(" ")));
        }
    }
    Ok(())
}

/// Adds one to three random faults before the quiet period: crashes that restart and
/// partitions that heal, over the scenario's replicas (and the clients with them).
pub fn add_random_faults(scenario: &mut Scenario, case: u64) {
    let mut rng = Rng::stream(case, "replicated-faults", 0);
    let replicas: Vec<String> = scenario
        .nodes
        .iter()
        .filter(|node| node.kind == NodeKind::Replica)
        .map(|node| node.id.clone())
        .collect();
    let quiet_from = scenario.duration_ms - scenario.quiet_ms;
    for _ in 0..1 + rng.below(3) {
        let at_ms = rng.uniform(500.0, quiet_from - 1_000.0);
        let until_ms = Some(rng.uniform(at_ms + 100.0, quiet_from + 500.0));
        let node = replicas[rng.below(replicas.len() as u64) as usize].clone();
        let fault = if rng.chance(0.5) {
            FaultKindSpec::Crash { node }
        } else {
            FaultKindSpec::Partition {
                groups: vec![vec![node]],
            }
        };
        scenario.faults.push(FaultSpec {
            at_ms,
            until_ms,
            fault,
        });
    }
}

/// A history with happens-before computed from sessions and reads-from.
pub struct Causality<'a> {
    ops: Vec<&'a Operation>,
    /// Position in `ops` of the write of each `(key, value id)`.
    writer: BTreeMap<(String, i64), usize>,
    /// Position of each op's predecessor in its session: the client's previous successful
    /// operation.
    session_previous: Vec<Option<usize>>,
    /// Memo: the writes (positions) each op's invocation causally follows.
    before: Vec<Option<BTreeSet<usize>>>,
}

/// A read that returned something its reader had already seen overwritten.
#[derive(Clone, Debug)]
pub struct Violation {
    pub reader: NodeId,
    pub read: u32,
    pub key: String,
    pub returned: Option<i64>,
    /// The write in the reader's causal past that had overwritten the returned value.
    pub overwritten_by: i64,
}

impl<'a> Causality<'a> {
    pub fn new(all: &'a [Operation]) -> Causality<'a> {
        let ops: Vec<&Operation> = all.iter().filter(|op| !op.final_read).collect();
        let mut writer = BTreeMap::new();
        for (position, op) in ops.iter().enumerate() {
            let failed = matches!(op.outcome(), Some(Outcome::Fail(_)));
            if let (Some(value), false) = (op.written(), failed) {
                writer.insert((op.op.key().to_string(), value.id), position);
            }
        }
        let mut last_ok: BTreeMap<NodeId, usize> = BTreeMap::new();
        let mut session_previous = Vec::with_capacity(ops.len());
        for (position, op) in ops.iter().enumerate() {
            session_previous.push(last_ok.get(&op.client).copied());
            if op.is_ok() {
                last_ok.insert(op.client, position);
            }
        }
        let before = vec![None; ops.len()];
        Causality {
            ops,
            writer,
            session_previous,
            before,
        }
    }

    /// The value an op observed: what a read returned, or what a successful cas replaced.
    fn observed(&self, position: usize) -> Option<Option<i64>> {
        let op = self.ops[position];
        match (&op.op, op.outcome()) {
            (Op::Read { .. } | Op::Cas { .. }, Some(Outcome::Ok(value))) => {
                Some(value.map(|v| v.id))
            }
            _ => None,
        }
    }

    fn source(&self, position: usize, id: i64) -> Option<usize> {
        let key = self.ops[position].op.key().to_string();
        self.writer.get(&(key, id)).copied()
    }

    /// The writes an op's invocation causally follows.
    pub fn before(&mut self, position: usize) -> BTreeSet<usize> {
        if let Some(known) = &self.before[position] {
            return known.clone();
        }
        let set = match self.session_previous[position] {
            Some(previous) => self.after(previous),
            None => BTreeSet::new(),
        };
        self.before[position] = Some(set.clone());
        set
    }

    /// The writes an op's completion causally follows: its past, what it read (with that
    /// write's past), and itself if it wrote.
    pub fn after(&mut self, position: usize) -> BTreeSet<usize> {
        let mut set = self.before(position);
        if let Some(Some(id)) = self.observed(position) {
            if let Some(source) = self.source(position, id) {
                if source != position {
                    set.extend(self.after(source));
                }
            }
        }
        if self.ops[position].written().is_some() {
            set.insert(position);
        }
        set
    }

    /// Whether write `earlier` happens before write `later`.
    fn precedes(&mut self, earlier: usize, later: usize) -> bool {
        earlier != later && self.before(later).contains(&earlier)
    }

    fn violation_if_stale(
        &mut self,
        read: usize,
        past: &BTreeSet<usize>,
        returned: Option<i64>,
    ) -> Option<Violation> {
        let op = self.ops[read];
        let key = op.op.key().to_string();
        let seen: Vec<usize> = past
            .iter()
            .copied()
            .filter(|&write| self.ops[write].op.key() == key)
            .collect();
        let source = returned.and_then(|id| self.source(read, id));
        let overwritten_by = match source {
            None => seen.first().copied(),
            Some(source) => seen
                .iter()
                .copied()
                .find(|&write| self.precedes(source, write)),
        }?;
        Some(Violation {
            reader: op.client,
            read: op.index,
            key,
            returned,
            overwritten_by: self.ops[overwritten_by]
                .written()
                .map_or(0, |value| value.id),
        })
    }

    /// Every read (and cas) that returned a value already overwritten in its causal past.
    pub fn violations(&mut self) -> Vec<Violation> {
        let mut found = Vec::new();
        for position in 0..self.ops.len() {
            let Some(returned) = self.observed(position) else {
                continue;
            };
            let past = self.before(position);
            if let Some(violation) = self.violation_if_stale(position, &past, returned) {
                found.push(violation);
            }
        }
        found
    }

    /// The comment thread's property: once a client has read a reply, its later reads of
    /// `comment` return the comment the reply answered or a later one. Only the comments
    /// reached through a reply count, so this is the anomaly "a reply before its comment".
    pub fn replies_before_comments(&mut self) -> Vec<Violation> {
        let mut found = Vec::new();
        let mut answered: BTreeMap<NodeId, BTreeSet<usize>> = BTreeMap::new();
        for position in 0..self.ops.len() {
            let op = self.ops[position];
            let Some(returned) = self.observed(position) else {
                continue;
            };
            match op.op.key() {
                "reply" => {
                    if let Some(source) = returned.and_then(|id| self.source(position, id)) {
                        let past = self.after(source);
                        answered.entry(op.client).or_default().extend(past);
                    }
                }
                "comment" => {
                    let past = answered.get(&op.client).cloned().unwrap_or_default();
                    if let Some(violation) = self.violation_if_stale(position, &past, returned) {
                        found.push(violation);
                    }
                }
                _ => {}
            }
        }
        found
    }

    /// How many reads of `reply` returned a reply that depends on some comment.
    pub fn replies_with_comments(&mut self) -> usize {
        let mut count = 0;
        for position in 0..self.ops.len() {
            if self.ops[position].op.key() != "reply" {
                continue;
            }
            let Some(Some(id)) = self.observed(position) else {
                continue;
            };
            if let Some(source) = self.source(position, id) {
                if self
                    .after(source)
                    .iter()
                    .any(|&write| self.ops[write].op.key() == "comment")
                {
                    count += 1;
                }
            }
        }
        count
    }
}

/// When each client request that reached a replica was sent: `(client, invocation time)`
/// of every request message the network delivered to a node `reached` accepts. A client
/// sends its request at the operation's invocation, so the pair names the operation.
pub fn requests_delivered(
    trace: &[TraceEvent],
    reached: impl Fn(NodeId) -> bool,
) -> BTreeSet<(NodeId, Time)> {
    let delivered: BTreeSet<_> = trace
        .iter()
        .filter_map(|event| match *event {
            TraceEvent::Delivered { msg, node, .. } if reached(node) => Some(msg),
            _ => None,
        })
        .collect();
    trace
        .iter()
        .filter_map(|event| match *event {
            TraceEvent::Sent {
                time,
                msg,
                from,
                kind: "request",
                ..
            } if delivered.contains(&msg) => Some((from, time)),
            _ => None,
        })
        .collect()
}
