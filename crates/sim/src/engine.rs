//! One interface over a simulation of any protocol, for the CLI and the UI.
//!
//! [`Simulation`] is generic over its protocol so that the hot loop is monomorphised; the
//! callers pick the protocol from a scenario at run time, so they hold a `Box<dyn Engine>`.
//! Every method is called per frame or per command, never per event.

use crate::fault::{compile_live, Fault, FaultSpec, NodeCondition, ScheduledFault, Strategy};
use crate::history::{HistoryEvent, Operation};
use crate::protocol::{Key, Protocol, RequestId, Value};
use crate::protocols::{
    bft::Bft, causal::Causal, eventual::Eventual, gossip::Gossip, raft::Raft,
    sequential::Sequential, ProtocolConfig,
};
use crate::scenario::NO_EQUIVOCATION;
use crate::scenario::{Compiled, LoadError, Scenario};
use crate::sim::ClientOp;
use crate::sim::{RunStats, SimError, Simulation, Snapshot};
use crate::time::Time;
use crate::topology::{LinkId, NodeId, Topology};
use crate::trace::{Fingerprint, MsgId, TraceContext, TraceEvent};
use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;

/// A snapshot of some engine, restorable only into the run it came from.
pub struct EngineSnapshot {
    time: Time,
    events: u64,
    trace_len: usize,
    inner: Box<dyn Any>,
}

impl EngineSnapshot {
    pub fn time(&self) -> Time {
        self.time
    }

    pub fn events(&self) -> u64 {
        self.events
    }

    /// How many trace events the run had made then (compare [`Engine::trace_start`]).
    pub fn trace_len(&self) -> usize {
        self.trace_len
    }
}

impl fmt::Debug for EngineSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineSnapshot")
            .field("time", &self.time)
            .field("events", &self.events)
            .finish()
    }
}

/// What the CLI and the UI need of a running simulation.
pub trait Engine {
    fn topology(&self) -> &Topology;
    fn protocol_kind(&self) -> &'static str;
    /// Time of the latest event processed.
    fn now(&self) -> Time;
    /// The scenario's duration.
    fn duration(&self) -> Time;
    fn next_event_time(&self) -> Option<Time>;
    fn step(&mut self) -> Result<bool, SimError>;
    fn run_until(&mut self, limit: Time) -> Result<(), SimError>;
    fn stats(&self) -> RunStats;
    fn fingerprint(&self) -> Fingerprint;
    /// The trace kept (see [`Engine::set_trace_retention`]).
    fn trace(&self) -> &[TraceEvent];
    /// The number, counted from the run's first event, of `trace()[0]`: 0 unless a
    /// retention let older events go.
    fn trace_start(&self) -> usize;
    /// Keeps at least `keep_us` of virtual time of trace behind the latest event (`None`:
    /// everything, the default).
    fn set_trace_retention(&mut self, keep_us: Option<u64>);
    /// How many trace events the run has made, kept or let go: the position the next
    /// one gets.
    fn trace_end(&self) -> usize {
        self.trace_start() + self.trace().len()
    }
    /// The kept trace from `position` on (positions count from the run's first event; a
    /// position let go reads from the first event kept).
    fn trace_since(&self, position: usize) -> &[TraceEvent] {
        let start = self.trace_start();
        &self.trace()[position.clamp(start, self.trace_end()) - start..]
    }
    /// The event at `position`, if it is kept.
    fn trace_event(&self, position: usize) -> Option<&TraceEvent> {
        position
            .checked_sub(self.trace_start())
            .and_then(|index| self.trace().get(index))
    }
    /// The trace as text, with its legend.
    fn trace_text(&self) -> String;
    fn role(&self, node: NodeId) -> &'static str;
    /// A replica's protocol state as (label, value) pairs (empty for a client).
    fn inspect(&self, node: NodeId) -> Vec<(&'static str, String)>;
    fn is_up(&self, node: NodeId) -> bool;
    /// What node faults (omission, slowness, clock skew, byzantine) do to `node` now.
    fn node_condition(&self, node: NodeId) -> NodeCondition;
    fn is_link_live(&self, link: LinkId, from: NodeId) -> bool;
    /// Every message kind of the protocol plus `request` and `reply`, in legend order.
    fn message_kinds(&self) -> Vec<&'static str>;
    fn message_kind(&self, msg: MsgId) -> &'static str;
    /// The message's payload as one line.
    fn describe_message(&self, msg: MsgId) -> String;
    /// The number of the oldest message kept (a trace retention lets old ones go) and
    /// how many are kept from it on.
    fn messages_start(&self) -> usize;
    fn messages_kept(&self) -> usize;
    fn snapshot(&self) -> EngineSnapshot;
    /// Goes back to a snapshot of this same run; a snapshot of another run is refused.
    fn restore(&mut self, snapshot: &EngineSnapshot) -> Result<(), String>;
    /// Whether [`Engine::restore`] can go back to the snapshot: it belongs to this run, and
    /// the run still holds the messages it needs (a trace retention lets old ones go).
    fn can_restore(&self, snapshot: &EngineSnapshot) -> bool;
    fn inject_fault(&mut self, fault: ScheduledFault) -> Result<u32, String>;
    /// Injects a fault described as a scenario would (a live click in the UI). It starts at
    /// `spec.at_ms`, which must not be before the latest event, and lands in the schedule
    /// exactly where a replay of the scenario with this fault appended puts it.
    fn inject(&mut self, spec: &FaultSpec) -> Result<u32, String>;
    /// Runs an operation typed by hand on a client now (refused while it waits for
    /// another). Not replayed: the UI schedules typed operations with `schedule_op`.
    fn invoke(&mut self, client: NodeId, op: ClientOp) -> Result<RequestId, String>;
    /// Schedules an operation typed by hand at `at`, replayed like the scenario's own.
    fn schedule_op(&mut self, at: Time, client: NodeId, op: ClientOp) -> Result<u32, String>;
    /// Whether a client is waiting for an answer.
    fn is_waiting(&self, client: NodeId) -> bool;
    /// The history log, appended as operations are invoked and complete.
    fn history_log(&self) -> &[HistoryEvent];
    /// The history's operations, paired.
    fn operations(&self) -> Vec<Operation>;
    /// A replica's store (empty for a client).
    fn store(&self, node: NodeId) -> BTreeMap<Key, Value>;
}

impl<P: Protocol> Engine for Simulation<P> {
    fn topology(&self) -> &Topology {
        Simulation::topology(self)
    }
    fn protocol_kind(&self) -> &'static str {
        std::any::type_name::<P>()
            .rsplit("::")
            .next()
            .unwrap_or("protocol")
    }
    fn now(&self) -> Time {
        Simulation::now(self)
    }
    fn duration(&self) -> Time {
        Simulation::duration(self)
    }
    fn next_event_time(&self) -> Option<Time> {
        Simulation::next_event_time(self)
    }
    fn step(&mut self) -> Result<bool, SimError> {
        Simulation::step(self)
    }
    fn run_until(&mut self, limit: Time) -> Result<(), SimError> {
        Simulation::run_until(self, limit)
    }
    fn stats(&self) -> RunStats {
        Simulation::stats(self)
    }
    fn fingerprint(&self) -> Fingerprint {
        Simulation::fingerprint(self)
    }
    fn trace(&self) -> &[TraceEvent] {
        Simulation::trace(self)
    }
    fn trace_start(&self) -> usize {
        Simulation::trace_start(self)
    }
    fn set_trace_retention(&mut self, keep_us: Option<u64>) {
        Simulation::set_trace_retention(self, keep_us);
    }
    fn trace_text(&self) -> String {
        Simulation::trace_text(self)
    }
    fn role(&self, node: NodeId) -> &'static str {
        Simulation::role(self, node)
    }
    fn inspect(&self, node: NodeId) -> Vec<(&'static str, String)> {
        let named = |shown: crate::protocol::Shown| match shown {
            crate::protocol::Shown::Text(text) => text,
            crate::protocol::Shown::Node(Some(node)) => {
                Simulation::topology(self).name(node).to_string()
            }
            crate::protocol::Shown::Node(None) => "none".to_string(),
        };
        self.protocol(node)
            .map(|protocol| {
                protocol
                    .inspect()
                    .into_iter()
                    .map(|(label, shown)| (label, named(shown)))
                    .collect()
            })
            .unwrap_or_default()
    }
    fn is_up(&self, node: NodeId) -> bool {
        Simulation::is_up(self, node)
    }
    fn node_condition(&self, node: NodeId) -> NodeCondition {
        Simulation::node_condition(self, node)
    }
    fn is_link_live(&self, link: LinkId, from: NodeId) -> bool {
        Simulation::is_link_live(self, link, from)
    }
    fn message_kinds(&self) -> Vec<&'static str> {
        let mut kinds = P::msg_kinds().to_vec();
        kinds.extend(["request", "reply"]);
        kinds
    }
    fn message_kind(&self, msg: MsgId) -> &'static str {
        Simulation::message_kind(self, msg)
    }
    fn messages_start(&self) -> usize {
        Simulation::messages_start(self)
    }
    fn messages_kept(&self) -> usize {
        self.messages().len()
    }
    fn describe_message(&self, msg: MsgId) -> String {
        self.message_summary(msg)
    }
    fn snapshot(&self) -> EngineSnapshot {
        let snapshot = Simulation::snapshot(self);
        EngineSnapshot {
            time: snapshot.time(),
            events: snapshot.events(),
            trace_len: snapshot.trace_len(),
            inner: Box::new(snapshot),
        }
    }
    fn can_restore(&self, snapshot: &EngineSnapshot) -> bool {
        snapshot
            .inner
            .downcast_ref::<Snapshot<P>>()
            .is_some_and(|inner| Simulation::can_restore(self, inner))
    }
    fn restore(&mut self, snapshot: &EngineSnapshot) -> Result<(), String> {
        let inner = snapshot
            .inner
            .downcast_ref::<Snapshot<P>>()
            .ok_or_else(|| "the snapshot belongs to a run of another protocol".to_string())?;
        if inner.events() > self.stats().events && self.trace_end() < self.stats().events as usize {
            return Err("the snapshot belongs to another run".into());
        }
        Simulation::restore(self, inner)
    }
    fn inject_fault(&mut self, fault: ScheduledFault) -> Result<u32, String> {
        Simulation::inject_fault(self, fault)
    }
    fn inject(&mut self, spec: &FaultSpec) -> Result<u32, String> {
        let origin = self.schedule().len() as u32;
        let fault = compile_live(spec, origin, Simulation::topology(self)).map_err(|problems| {
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        })?;
        if matches!(
            fault.fault,
            Fault::Byzantine {
                strategy: Strategy::Equivocate,
                ..
            }
        ) && !P::can_equivocate()
        {
            return Err(format!("fault.strategy: {}", NO_EQUIVOCATION));
        }
        Simulation::inject_fault(self, fault)
    }
    fn invoke(&mut self, client: NodeId, op: ClientOp) -> Result<RequestId, String> {
        Simulation::invoke(self, client, op)
    }
    fn schedule_op(&mut self, at: Time, client: NodeId, op: ClientOp) -> Result<u32, String> {
        Simulation::schedule_op(self, at, client, op)
    }
    fn is_waiting(&self, client: NodeId) -> bool {
        Simulation::is_waiting(self, client)
    }
    fn history_log(&self) -> &[HistoryEvent] {
        Simulation::history_log(self)
    }
    fn operations(&self) -> Vec<Operation> {
        Simulation::operations(self)
    }
    fn store(&self, node: NodeId) -> BTreeMap<Key, Value> {
        Simulation::store(self, node)
    }
}

/// Builds a compiled scenario's simulation with the protocol it names.
pub fn build_compiled(compiled: &Compiled) -> Box<dyn Engine> {
    match &compiled.protocol {
        ProtocolConfig::Gossip(params) => Box::new(Simulation::new(compiled, |node, replicas| {
            Gossip::new(node, replicas, params)
        })),
        ProtocolConfig::Sequential(params) => {
            Box::new(Simulation::new(compiled, |node, replicas| {
                Sequential::new(node, replicas, params)
            }))
        }
        ProtocolConfig::Eventual(params) => {
            Box::new(Simulation::new(compiled, |node, replicas| {
                Eventual::new(node, replicas, params)
            }))
        }
        ProtocolConfig::Causal(params) => Box::new(Simulation::new(compiled, |node, replicas| {
            Causal::new(node, replicas, params)
        })),
        ProtocolConfig::Bft(params) => Box::new(Simulation::new(compiled, |node, replicas| {
            Bft::new(node, replicas, params)
        })),
        ProtocolConfig::Strict(params) => Box::new(Simulation::new(compiled, |node, replicas| {
            Raft::new(node, replicas, params)
        })),
    }
}

/// Validates a scenario and builds its simulation, with the faults its fault profile (if
/// any) draws for its seed.
pub fn build(scenario: &Scenario) -> Result<Box<dyn Engine>, LoadError> {
    scenario.compile()?;
    let run = crate::sweep::scenario_for_seed(scenario, scenario.seed);
    Ok(build_compiled(&run.compile()?))
}
