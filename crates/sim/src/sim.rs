//! The simulation: an event queue in virtual time driving protocol state machines.
//!
//! Events are ordered by `(time, sequence)`, the sequence being the order in which they were
//! scheduled, so equal times never fall back on anything platform-dependent. Scheduled faults
//! live in their own list beside the queue, sorted by time and then by their order in the
//! scenario, and go last at equal times. A live injection at the current time therefore
//! lands after every event already due then, exactly where a replay of the scenario that
//! lists the fault puts it, so a run with live faults replays identically.
//!
//! The state a snapshot copies ([`Core`]) is apart from the append-only logs (trace and
//! messages): restoring a snapshot copies the core back and cuts the logs to their lengths
//! at the time of the snapshot. Under a trace retention both logs also lose their oldest
//! entries, and a snapshot whose future needs a message let go is refused.

mod clients;
mod faults;
mod queue;
mod timers;

pub use clients::ClientOp;

use crate::fault::{Fault, FaultPhase, ScheduledFault, Strategy};
use crate::hash::StableHasher;
use crate::history::{self, HistoryEvent, Operation};
use crate::network::Network;
use crate::protocol::{
    Command, Ctx, Op, OpResult, Protocol, RequestId, SessionToken, TimerId, Value,
};
use crate::rng::Rng;
use crate::scenario::Compiled;
use crate::time::Time;
use crate::topology::{LinkId, NodeId, NodeKind, Topology};
use crate::trace::{self, DropReason, Fingerprint, MsgId, TraceContext, TraceEvent};
use clients::{ClientState, ValueBook};
use faults::NodeFaults;
use queue::EventQueue;
use serde::Serialize;
use std::fmt;
use timers::TimerSet;

/// A replaying byzantine node replays one of the last this many messages sent (and looks
/// back up to [`REPLAY_LOOK_BACK`] more for one of its own). The bound lets a long run
/// with a trace retention let older messages go while replaying exactly as a run that
/// keeps them all; runs that send fewer draw from every message, as before the bound.
pub const REPLAY_WINDOW: usize = 1 << 16;
pub const REPLAY_LOOK_BACK: usize = 256;

/// What travels on the network: protocol messages, and client requests and replies.
///
/// Requests and replies are boxed. Unboxed, a request (80 bytes) made every message of
/// every protocol that size, while most are a few words: a gossip heartbeat took 88 bytes
/// in the message log, and with a million in the air (1,000 gossiping nodes) each delivery
/// read its envelope from a log of 88 MB instead of 32. Clients send few messages, so the
/// allocation is rare. (The fingerprint hashes a boxed body exactly as it hashed the
/// fields in place: a variant's index, then its fields.)
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Wire<M> {
    Peer(M),
    Request(Box<ClientRequest>),
    Reply(Box<ClientReply>),
}

/// What the trace calls a message: its protocol's name for it, or "request" or "reply".
fn wire_kind<P: Protocol>(body: &Wire<P::Msg>) -> &'static str {
    match body {
        Wire::Peer(peer) => P::msg_kind(peer),
        Wire::Request(_) => "request",
        Wire::Reply(_) => "reply",
    }
}

/// A client's request, as it travels to a replica.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClientRequest {
    pub id: RequestId,
    pub op: Op,
    pub session: SessionToken,
}

/// A replica's reply, as it travels to a client.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClientReply {
    pub id: RequestId,
    pub result: OpResult,
    pub session: SessionToken,
}

/// One sent message: its endpoints and payload.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope<M> {
    pub from: NodeId,
    pub to: NodeId,
    pub body: Wire<M>,
}

/// Every message of a run, numbered from its first, of which those from `start` on are
/// kept: a trace retention lets older ones go (`let_go_before`). Indexing by a message
/// let go panics; [`MessageLog::get`] answers `None` instead.
#[derive(Debug)]
struct MessageLog<M> {
    kept: Vec<Envelope<M>>,
    start: usize,
}

impl<M> MessageLog<M> {
    fn new() -> MessageLog<M> {
        MessageLog {
            kept: Vec::new(),
            start: 0,
        }
    }

    /// How many messages have been sent.
    fn end(&self) -> usize {
        self.start + self.kept.len()
    }

    fn push(&mut self, envelope: Envelope<M>) -> MsgId {
        let msg = MsgId(self.end() as u64);
        self.kept.push(envelope);
        msg
    }

    fn get(&self, msg: MsgId) -> Option<&Envelope<M>> {
        let index = usize::try_from(msg.0).ok()?.checked_sub(self.start)?;
        self.kept.get(index)
    }

    /// Forgets the messages sent from number `end` on (a snapshot is restored).
    fn truncate(&mut self, end: usize) {
        self.kept.truncate(end - self.start);
    }

    /// Lets go of the messages before number `keep_from`.
    fn let_go_before(&mut self, keep_from: usize) {
        if keep_from > self.start {
            self.kept.drain(..keep_from - self.start);
            self.start = keep_from;
        }
    }
}

impl<M> std::ops::Index<MsgId> for MessageLog<M> {
    type Output = Envelope<M>;

    fn index(&self, msg: MsgId) -> &Envelope<M> {
        &self.kept[msg.0 as usize - self.start]
    }
}

/// Why a run stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimError {
    /// The run processed its whole event budget; the scenario is generating events faster
    /// than it can be simulated (a timer of zero delay, say).
    EventBudgetExhausted { budget: u64, time: Time },
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::EventBudgetExhausted { budget, time } => write!(
                f,
                "the run stopped at {time} after its budget of {budget} events; the scenario makes events faster \
                 than it can be simulated (raise max_events, or make timers and workloads slower)"
            ),
        }
    }
}

impl std::error::Error for SimError {}

/// Counters of a run so far.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunStats {
    /// Events processed (message arrivals, timers, faults, starts).
    pub events: u64,
    pub messages_sent: u64,
    /// Message copies that reached their destination.
    pub messages_delivered: u64,
    /// Message copies lost on the way.
    pub messages_dropped: u64,
    /// Message copies on a link right now.
    pub in_flight: u64,
    /// Time of the latest event processed, in microseconds.
    pub time_us: u64,
}

/// A node's local clock: `local = offset + global × rate`. Exact unless a clock-skew fault
/// makes it drift.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Clock {
    offset_us: i64,
    rate_ppm: u64,
}

impl Clock {
    const EXACT: Clock = Clock {
        offset_us: 0,
        rate_ppm: 1_000_000,
    };

    fn local(self, global: Time) -> Time {
        // What the arithmetic below gives an exact clock, without its 128-bit division:
        // every handler call asks, and clocks are exact unless skewed.
        if self.rate_ppm == Clock::EXACT.rate_ppm && self.offset_us == 0 {
            return global;
        }
        let scaled = u128::from(global.as_us()) * u128::from(self.rate_ppm) / 1_000_000;
        let shifted = (scaled as i128 + i128::from(self.offset_us)).max(0);
        Time::from_us(u64::try_from(shifted).unwrap_or(u64::MAX))
    }

    /// How much global time passes while this clock advances `local_us`.
    fn global_delay_us(self, local_us: u64) -> u64 {
        // Exact at the normal rate, as in `local`.
        if self.rate_ppm == Clock::EXACT.rate_ppm {
            return local_us;
        }
        let delay = u128::from(local_us) * 1_000_000 / u128::from(self.rate_ppm.max(1));
        u64::try_from(delay).unwrap_or(u64::MAX)
    }
}

#[derive(Clone, Debug)]
struct NodeState<P> {
    /// The protocol state; clients run none.
    protocol: Option<P>,
    /// Bumped at every crash and restart, so timers set before are ignored.
    epoch: u32,
    rng: Rng,
    role: &'static str,
    clock: Clock,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum EventKind {
    Start(NodeId),
    /// A copy of `msg` reaches `to` over `link` (no link: sent to itself); `destination`
    /// is the message's own, carried along so that a hop on the way never has to look
    /// the message up (with a million in the air, that look-up was a cache miss a hop).
    Arrive {
        msg: MsgId,
        link: Option<LinkId>,
        to: NodeId,
        destination: NodeId,
    },
    /// A lost copy vanishes on its way to `to`.
    Vanish {
        msg: MsgId,
        to: NodeId,
    },
    /// A slow node gets round to a message that reached it earlier.
    Process {
        msg: MsgId,
        to: NodeId,
    },
    Timer {
        node: NodeId,
        epoch: u32,
        id: TimerId,
        tag: u64,
    },
    /// A client's next generated operation is due.
    ClientNext(u32),
    /// A client gives up waiting for `request`.
    ClientTimeout {
        client: u32,
        request: RequestId,
    },
    /// The quiet period begins: every fault heals.
    HealAll,
    /// The run ends: every replica's store is read into the history.
    FinalReads,
}

impl EventKind {
    /// The message a queued event carries a copy of.
    fn msg(&self) -> Option<MsgId> {
        match *self {
            EventKind::Arrive { msg, .. }
            | EventKind::Vanish { msg, .. }
            | EventKind::Process { msg, .. } => Some(msg),
            _ => None,
        }
    }
}

/// Something scheduled from outside the system: a fault's beginning or end, or an
/// operation typed by hand on a client.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Action {
    time: Time,
    what: ActionKind,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum ActionKind {
    Fault {
        index: u32,
        phase: FaultPhase,
    },
    /// The operation `index` of [`Simulation::manual_ops`].
    Op {
        index: u32,
    },
}

/// Everything a snapshot copies.
#[derive(Clone, Debug)]
struct Core<P: Protocol> {
    now: Time,
    queue: EventQueue<EventKind>,
    nodes: Vec<NodeState<P>>,
    up: Vec<bool>,
    network: Network,
    net_rng: Rng,
    next_timer: u64,
    next_request: u64,
    pending_timers: TimerSet,
    stats: RunStats,
    hasher: StableHasher,
    /// How many scheduled actions (faults, typed operations) have been applied.
    action_cursor: usize,
    clients: Vec<ClientState>,
    values: ValueBook,
    next_op: u32,
    next_process: u64,
    /// Nodes halted by fail-stop, which never come back.
    stopped_for_good: Vec<bool>,
    /// How many scheduled crashes of each node are in progress.
    crashes: Vec<u32>,
    /// What omission, slowness and byzantine faults do to each node right now.
    node_faults: Vec<NodeFaults>,
    /// Random draws of faults (omissions, byzantine choices), apart from the network's.
    fault_rng: Rng,
}

/// The state of a run at one moment, to go back to.
#[derive(Clone, Debug)]
pub struct Snapshot<P: Protocol> {
    core: Core<P>,
    trace_len: usize,
    /// How many messages had been sent, and the first of them the run from here on can
    /// still touch (one in the air, or within a replay's reach).
    messages_len: usize,
    messages_needed_from: usize,
    history_len: usize,
}

impl<P: Protocol> Snapshot<P> {
    pub fn time(&self) -> Time {
        self.core.now
    }

    /// How many trace events the run had made when the snapshot was taken.
    pub fn trace_len(&self) -> usize {
        self.trace_len
    }

    pub fn events(&self) -> u64 {
        self.core.stats.events
    }
}

/// A run of protocol `P` over a scenario.
#[derive(Debug)]
pub struct Simulation<P: Protocol> {
    topology: Topology,
    replicas: Vec<NodeId>,
    duration: Time,
    /// When workloads stop and faults heal (scenarios with clients).
    quiet_from: Time,
    max_events: u64,
    schedule: Vec<ScheduledFault>,
    /// Faults and typed operations in the order they apply; the core's cursor says how
    /// many have been applied.
    actions: Vec<Action>,
    /// Operations typed by hand: which client, what, and when.
    manual_ops: Vec<(Time, NodeId, ClientOp)>,
    core: Core<P>,
    /// The trace kept: the whole trace from event number `trace_dropped` on.
    trace: Vec<TraceEvent>,
    /// How many of the trace's first events were let go (see `set_trace_retention`).
    trace_dropped: usize,
    /// Keep at least this much virtual time of trace behind the latest event (`None`: all).
    trace_keep_us: Option<u64>,
    /// Every message sent (see [`Simulation::set_trace_retention`] for which ones go).
    messages: MessageLog<P::Msg>,
    history: Vec<HistoryEvent>,
    /// Set while a byzantine node replays a message, so a replay does not replay again.
    replaying: bool,
    /// Scratch space for a handler's commands, reused to avoid allocating per event.
    out: Vec<Command<P::Msg>>,
}

impl<P: Protocol> Simulation<P> {
    /// A run of `compiled` whose replicas start as `make(node, replicas)` returns them.
    pub fn new(compiled: &Compiled, make: impl Fn(NodeId, &[NodeId]) -> P) -> Simulation<P> {
        let topology = compiled.topology.clone();
        let replicas = topology.replicas();
        let seed = compiled.seed;
        let nodes = topology
            .nodes
            .iter()
            .map(|node| NodeState {
                protocol: (node.kind == NodeKind::Replica).then(|| make(node.id, &replicas)),
                epoch: 0,
                rng: Rng::stream(seed, "node", u64::from(node.id.0)),
                role: "",
                clock: Clock::EXACT,
            })
            .collect();
        let node_count = topology.nodes.len();
        let clients: Vec<ClientState> = compiled
            .clients
            .iter()
            .enumerate()
            .map(|(index, spec)| ClientState::new(spec.clone(), index as u64, seed))
            .collect();
        let mut sim = Simulation {
            duration: compiled.duration,
            quiet_from: compiled.quiet_from,
            max_events: compiled.max_events,
            schedule: Vec::new(),
            actions: Vec::new(),
            manual_ops: Vec::new(),
            core: Core {
                now: Time::ZERO,
                queue: EventQueue::new(),
                nodes,
                up: vec![true; node_count],
                network: Network::new(
                    node_count,
                    topology.links.clone(),
                    topology
                        .nodes
                        .iter()
                        .map(|node| node.kind == NodeKind::Replica)
                        .collect(),
                ),
                net_rng: Rng::stream(seed, "network", 0),
                next_timer: 0,
                next_request: 0,
                pending_timers: TimerSet::default(),
                stats: RunStats::default(),
                hasher: StableHasher::new(),
                action_cursor: 0,
                next_process: clients.len() as u64,
                clients,
                values: ValueBook::default(),
                next_op: 0,
                stopped_for_good: vec![false; node_count],
                crashes: vec![0; node_count],
                node_faults: vec![NodeFaults::default(); node_count],
                fault_rng: Rng::stream(seed, "faults", 0),
            },
            replicas,
            topology,
            trace: Vec::new(),
            trace_dropped: 0,
            trace_keep_us: None,
            messages: MessageLog::new(),
            history: Vec::new(),
            replaying: false,
            out: Vec::new(),
        };
        for &replica in &sim.replicas.clone() {
            sim.schedule_at(Time::ZERO, EventKind::Start(replica));
        }
        for client in 0..sim.core.clients.len() {
            let start = Time::from_ms_f64(sim.core.clients[client].spec_start_ms());
            sim.schedule_next_op(client, start);
        }
        if !sim.core.clients.is_empty() {
            sim.schedule_at(sim.quiet_from, EventKind::HealAll);
            sim.schedule_at(sim.duration, EventKind::FinalReads);
        }
        // In scenario order, so that a fault's schedule index is its place in the scenario;
        // typed operations after faults, in their order.
        for fault in compiled.faults.iter().cloned() {
            sim.insert_fault(fault);
        }
        for (at, client, op) in compiled.operations.iter().cloned() {
            sim.manual_ops.push((at, client, op));
            let index = sim.manual_ops.len() as u32 - 1;
            sim.insert_action(Action {
                time: at,
                what: ActionKind::Op { index },
            });
        }
        sim
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    pub fn now(&self) -> Time {
        self.core.now
    }

    pub fn duration(&self) -> Time {
        self.duration
    }

    pub fn stats(&self) -> RunStats {
        self.core.stats
    }

    /// The trace kept: all of it, unless a retention was set (then the events from
    /// [`Simulation::trace_start`] on).
    pub fn trace(&self) -> &[TraceEvent] {
        &self.trace
    }

    /// The number, counted from the run's first event, of `trace()[0]`.
    pub fn trace_start(&self) -> usize {
        self.trace_dropped
    }

    /// Keeps at least `keep_us` of virtual time of trace behind the latest event and lets
    /// older events go (`None`, the default: keep everything). A long run's trace then
    /// stays about as long as `keep_us` makes it; the fingerprint is unaffected (it is
    /// summed as events happen). Old events go in batches of at least half the trace, so
    /// the cost per event stays constant.
    ///
    /// With the old trace go the messages nothing can touch any more (`prune_messages`):
    /// what a long run holds of its messages stays bounded too, by the copies in the air
    /// and a byzantine replay's reach ([`REPLAY_WINDOW`] messages).
    pub fn set_trace_retention(&mut self, keep_us: Option<u64>) {
        self.trace_keep_us = keep_us;
    }

    /// Lets go of the trace older than the retention, when that is at least half of it.
    fn prune_trace(&mut self, keep_us: u64) {
        let cutoff = Time::from_us(self.core.now.as_us().saturating_sub(keep_us));
        let old = self.trace.partition_point(|event| event.time() < cutoff);
        if old > 0 && old * 2 >= self.trace.len() {
            self.trace.drain(..old);
            self.trace_dropped += old;
            self.prune_messages();
        }
    }

    /// Lets go of the messages nothing can touch any more: none of their copies is in the
    /// air, no kept trace event names them, and they are beyond a byzantine replay's reach.
    /// A snapshot that needs one of them can no longer be restored (see
    /// [`Simulation::can_restore`]).
    fn prune_messages(&mut self) {
        let keep_from = self
            .trace
            .iter()
            .filter_map(TraceEvent::msg)
            .map(|msg| msg.0 as usize)
            .fold(self.messages_needed_from(), usize::min);
        self.messages.let_go_before(keep_from);
    }

    pub fn schedule(&self) -> &[ScheduledFault] {
        &self.schedule
    }

    /// The messages kept: all of them, unless a retention was set (then those from
    /// [`Simulation::messages_start`] on).
    pub fn messages(&self) -> &[Envelope<P::Msg>] {
        &self.messages.kept
    }

    /// The number of `messages()[0]`.
    pub fn messages_start(&self) -> usize {
        self.messages.start
    }

    /// A message, if it is still kept.
    pub fn envelope(&self, msg: MsgId) -> Option<&Envelope<P::Msg>> {
        self.messages.get(msg)
    }

    /// The first message the run from now on can still touch: the oldest one with a copy
    /// in the air (or waiting on a slow node), or the oldest a byzantine replay can reach.
    fn messages_needed_from(&self) -> usize {
        let reach = self
            .messages
            .end()
            .saturating_sub(REPLAY_WINDOW + REPLAY_LOOK_BACK);
        self.core
            .queue
            .iter()
            .filter_map(EventKind::msg)
            .map(|msg| msg.0 as usize)
            .fold(reach, usize::min)
    }

    /// The history log: invocations and completions as they happened.
    pub fn history_log(&self) -> &[HistoryEvent] {
        &self.history
    }

    /// The history's operations, each with its completion if it has one.
    pub fn operations(&self) -> Vec<Operation> {
        history::operations(&self.history)
    }

    /// A replica's whole store (empty for a client).
    pub fn store(
        &self,
        node: NodeId,
    ) -> std::collections::BTreeMap<crate::protocol::Key, crate::protocol::Value> {
        self.protocol(node).map(Protocol::store).unwrap_or_default()
    }

    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint(self.core.hasher.finish())
    }

    /// The protocol state of a replica (`None` for a client).
    pub fn protocol(&self, node: NodeId) -> Option<&P> {
        self.core.nodes[node.index()].protocol.as_ref()
    }

    pub fn role(&self, node: NodeId) -> &'static str {
        self.core.nodes[node.index()].role
    }

    pub fn is_up(&self, node: NodeId) -> bool {
        self.core.up[node.index()]
    }

    /// What node faults do to `node` now.
    pub fn node_condition(&self, node: NodeId) -> crate::fault::NodeCondition {
        let faults = &self.core.node_faults[node.index()];
        crate::fault::NodeCondition {
            stopped_for_good: self.core.stopped_for_good[node.index()],
            omission: faults.omit_send > 0.0 || faults.omit_receive > 0.0,
            slow: faults.slow_us > 0,
            clock_skewed: self.core.nodes[node.index()].clock != Clock::EXACT,
            byzantine: faults.byzantine.as_ref().map(crate::fault::Strategy::name),
        }
    }

    pub fn is_link_live(&self, link: LinkId, from: NodeId) -> bool {
        self.core.network.is_live(link, from)
    }

    /// When the next event (or fault) is due, if any.
    pub fn next_event_time(&self) -> Option<Time> {
        self.next_times().0
    }

    /// When the next event (or fault) is due, and when the queue's next event is: the
    /// step needs both, and looks the queue up once.
    fn next_times(&self) -> (Option<Time>, Option<Time>) {
        let queued = self.core.queue.peek_time();
        let fault = self
            .actions
            .get(self.core.action_cursor)
            .map(|action| action.time);
        let next = match (queued, fault) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        (next, queued)
    }

    /// Processes the next event. Returns `false` when there is nothing left to do.
    pub fn step(&mut self) -> Result<bool, SimError> {
        self.step_until(Time::MAX)
    }

    /// Processes the next event if it is due at or before `limit`; returns whether it
    /// did. One function for `step` and `run_until`, so that a run looks the queue up
    /// once per event, not once to decide and again to step.
    fn step_until(&mut self, limit: Time) -> Result<bool, SimError> {
        let (Some(next), queued) = self.next_times() else {
            return Ok(false);
        };
        if next > limit {
            return Ok(false);
        }
        if self.core.stats.events >= self.max_events {
            return Err(SimError::EventBudgetExhausted {
                budget: self.max_events,
                time: self.core.now,
            });
        }
        assert!(next >= self.core.now, "time never goes backwards");
        self.core.now = next;
        self.core.stats.time_us = next.as_us();
        self.core.stats.events += 1;
        let fault_due = queued.is_none_or(|queued| next < queued);
        if fault_due {
            let action = self.actions[self.core.action_cursor];
            self.core.action_cursor += 1;
            match action.what {
                ActionKind::Fault { index, phase } => self.apply_fault(index, phase),
                ActionKind::Op { index } => {
                    let (_, client, op) = self.manual_ops[index as usize].clone();
                    // A client still waiting for an earlier operation refuses this one, the
                    // same way in every replay.
                    let _ = self.invoke(client, op);
                }
            }
        } else if let Some((_, kind)) = self.core.queue.pop() {
            self.dispatch(kind);
        }
        Ok(true)
    }

    /// Processes every event due at or before `limit`.
    pub fn run_until(&mut self, limit: Time) -> Result<(), SimError> {
        while self.step_until(limit)? {}
        Ok(())
    }

    /// Runs the whole scenario, up to its duration.
    pub fn run(&mut self) -> Result<(), SimError> {
        self.run_until(self.duration)
    }

    /// Runs until no event is left (periodic timers never stop, so the budget may end it).
    pub fn run_to_quiescence(&mut self) -> Result<(), SimError> {
        while self.step()? {}
        Ok(())
    }

    pub fn snapshot(&self) -> Snapshot<P> {
        Snapshot {
            core: self.core.clone(),
            trace_len: self.trace_dropped + self.trace.len(),
            messages_len: self.messages.end(),
            messages_needed_from: self.messages_needed_from(),
            history_len: self.history.len(),
        }
    }

    /// Goes back to `snapshot`, taken earlier in this same run. Faults injected since stay in
    /// the schedule, so running on replays them.
    pub fn restore(&mut self, snapshot: &Snapshot<P>) -> Result<(), String> {
        if !self.can_restore(snapshot) {
            return Err(format!(
                "the snapshot at {} needs messages the run has let go",
                snapshot.time()
            ));
        }
        assert!(
            snapshot.trace_len <= self.trace_dropped + self.trace.len(),
            "a snapshot is restored into the run it came from"
        );
        self.core = snapshot.core.clone();
        if snapshot.trace_len >= self.trace_dropped {
            self.trace.truncate(snapshot.trace_len - self.trace_dropped);
        } else {
            // The snapshot is older than the trace kept: the trace starts again there.
            self.trace.clear();
            self.trace_dropped = snapshot.trace_len;
        }
        self.messages.truncate(snapshot.messages_len);
        self.history.truncate(snapshot.history_len);
        Ok(())
    }

    /// Whether the run still holds every message the snapshot's future touches: those the
    /// retention let go since are gone (without retention, always).
    pub fn can_restore(&self, snapshot: &Snapshot<P>) -> bool {
        snapshot.messages_needed_from >= self.messages.start
    }

    /// Adds a fault to the schedule (a live injection). Its start must not be in the past.
    pub fn inject_fault(&mut self, fault: ScheduledFault) -> Result<u32, String> {
        if fault.at < self.core.now {
            return Err(format!(
                "a fault cannot start at {}, before the run's current time {}",
                fault.at, self.core.now
            ));
        }
        Ok(self.insert_fault(fault))
    }

    /// The trace as text, one line per event, after the legend.
    pub fn trace_text(&self) -> String {
        let mut text = String::from(trace::LEGEND);
        for event in &self.trace {
            trace::write_line(&mut text, event, self);
            text.push('\n');
        }
        text
    }

    pub fn message_kind(&self, msg: MsgId) -> &'static str {
        let Some(envelope) = self.envelope(msg) else {
            return "unknown";
        };
        wire_kind::<P>(&envelope.body)
    }

    fn insert_fault(&mut self, fault: ScheduledFault) -> u32 {
        let index = self.schedule.len() as u32;
        let begin = Action {
            time: fault.at,
            what: ActionKind::Fault {
                index,
                phase: FaultPhase::Begin,
            },
        };
        let end = fault.until.map(|until| Action {
            time: until,
            what: ActionKind::Fault {
                index,
                phase: FaultPhase::End,
            },
        });
        self.schedule.push(fault);
        self.insert_action(begin);
        if let Some(end) = end {
            self.insert_action(end);
        }
        index
    }

    /// Inserts after every action at the same time: what is scheduled later applies later.
    fn insert_action(&mut self, action: Action) {
        let position = self
            .actions
            .partition_point(|existing| existing.time <= action.time);
        debug_assert!(
            position >= self.core.action_cursor,
            "a new action never lands in the past"
        );
        self.actions.insert(position, action);
    }

    /// Schedules an operation typed by hand on `client` at `at` (not in the past). If the
    /// client is still waiting for another operation then, it refuses this one.
    pub fn schedule_op(&mut self, at: Time, client: NodeId, op: ClientOp) -> Result<u32, String> {
        if at < self.core.now {
            return Err(format!(
                "an operation cannot start at {at}, before the run's current time {}",
                self.core.now
            ));
        }
        if self.client_index(client).is_none() {
            return Err(format!("{} is not a client", self.topology.name(client)));
        }
        let index = self.manual_ops.len() as u32;
        self.manual_ops.push((at, client, op));
        self.insert_action(Action {
            time: at,
            what: ActionKind::Op { index },
        });
        Ok(index)
    }

    /// Whether `client` is waiting for an answer right now.
    pub fn is_waiting(&self, client: NodeId) -> bool {
        self.client_index(client)
            .is_some_and(|index| self.core.clients[index].is_waiting())
    }

    fn schedule_at(&mut self, time: Time, kind: EventKind) {
        debug_assert!(
            time >= self.core.now,
            "events are never scheduled in the past"
        );
        self.core.queue.push(time, kind);
    }

    fn emit(&mut self, event: TraceEvent) {
        event.hash_into(&mut self.core.hasher);
        if self.trace_keep_us.is_none() {
            grow_for_the_rest(&mut self.trace, self.core.now, self.duration);
        }
        self.trace.push(event);
        // Checked every 4,096 events: a binary search, and a drain only when it halves
        // the trace.
        if let Some(keep_us) = self.trace_keep_us {
            if self.trace.len().is_multiple_of(4_096) {
                self.prune_trace(keep_us);
            }
        }
    }

    fn dispatch(&mut self, kind: EventKind) {
        match kind {
            EventKind::Start(node) => {
                if self.core.up[node.index()] {
                    self.call(node, Handler::Start);
                }
            }
            EventKind::Arrive {
                msg,
                link,
                to,
                destination,
            } => self.arrive(msg, link, to, destination),
            EventKind::Vanish { msg, to } => {
                self.core.stats.in_flight -= 1;
                self.drop_copy(msg, to, DropReason::Loss);
            }
            EventKind::Process { msg, to } => {
                if self.core.up[to.index()] {
                    self.deliver(msg, to);
                } else {
                    self.drop_copy(msg, to, DropReason::NodeDown);
                }
            }
            EventKind::Timer {
                node,
                epoch,
                id,
                tag,
            } => {
                let pending = self.core.pending_timers.remove(id);
                if pending
                    && epoch == self.core.nodes[node.index()].epoch
                    && self.core.up[node.index()]
                {
                    let time = self.core.now;
                    self.emit(TraceEvent::TimerFired {
                        time,
                        node,
                        timer: id,
                        tag,
                    });
                    self.call(node, Handler::Timer { id, tag });
                }
            }
            EventKind::ClientNext(client) => self.generated_op_due(client as usize),
            EventKind::ClientTimeout { client, request } => {
                self.client_timeout(client as usize, request)
            }
            EventKind::HealAll => self.begin_quiet_period(),
            EventKind::FinalReads => self.final_reads(),
        }
    }

    /// The quiet period: crashed nodes restart and every cut link heals. Nodes that
    /// fail-stopped stay down, as fail-stop is permanent.
    fn begin_quiet_period(&mut self) {
        let time = self.core.now;
        self.emit(TraceEvent::HealAll { time });
        self.heal_all();
    }

    /// Cuts and link changes end, node faults stop, crashed nodes restart; fail-stopped
    /// nodes stay down, as fail-stop is permanent.
    fn heal_all(&mut self) {
        self.core.network.heal_all();
        self.clear_node_faults();
        for index in 0..self.topology.nodes.len() {
            let node = NodeId(index as u32);
            self.core.crashes[node.index()] = 0;
            if !self.core.up[node.index()] && !self.core.stopped_for_good[node.index()] {
                self.restart(node);
            }
        }
    }

    fn restart(&mut self, node: NodeId) {
        if !self.core.up[node.index()] {
            self.core.up[node.index()] = true;
            self.core.nodes[node.index()].epoch += 1;
            self.core.network.invalidate_routes();
            self.call(node, Handler::Restart);
        }
    }

    fn send(&mut self, from: NodeId, to: NodeId, body: Wire<P::Msg>) {
        debug_assert!(self.core.up[from.index()], "a halted node sends nothing");
        let kind = wire_kind::<P>(&body);
        self.core.hasher.write_serialize(&body);
        if self.trace_keep_us.is_none() {
            grow_for_the_rest(&mut self.messages.kept, self.core.now, self.duration);
        }
        let msg = self.messages.push(Envelope { from, to, body });
        self.core.stats.messages_sent += 1;
        let time = self.core.now;
        self.emit(TraceEvent::Sent {
            time,
            msg,
            from,
            to,
            kind,
        });
        if from == to {
            let arrive = EventKind::Arrive {
                msg,
                link: None,
                to,
                destination: to,
            };
            self.schedule_at(time, arrive);
            return;
        }
        let omit_send = self.core.node_faults[from.index()].omit_send;
        if omit_send > 0.0 && self.core.fault_rng.chance(omit_send) {
            return self.drop_copy(msg, from, DropReason::SendOmission);
        }
        if self
            .strategy_of(from)
            .is_some_and(|strategy| strategy.silences(to))
        {
            return self.drop_copy(msg, from, DropReason::Withheld);
        }
        self.forward(from, msg, to);
        if matches!(self.strategy_of(from), Some(Strategy::Replay)) && !self.replaying {
            self.replay_old_message(from);
        }
    }

    /// A replaying byzantine node sends one of its earlier messages again, half the time.
    fn replay_old_message(&mut self, node: NodeId) {
        if !self.core.fault_rng.chance(0.5) {
            return;
        }
        // A message among the last REPLAY_WINDOW sent (all of them, in a shorter run).
        let end = self.messages.end();
        let base = end.saturating_sub(REPLAY_WINDOW);
        let start = base + self.core.fault_rng.below((end - base) as u64) as usize;
        // Look back a bounded way for an older protocol message of this node's.
        let found = (self.messages.start..=start)
            .rev()
            .take(REPLAY_LOOK_BACK)
            .map(|index| &self.messages[MsgId(index as u64)])
            .find(|envelope| {
                envelope.from == node
                    && envelope.to != node
                    && matches!(envelope.body, Wire::Peer(_))
            });
        if let Some(envelope) = found {
            let (to, body) = (envelope.to, envelope.body.clone());
            self.replaying = true;
            self.send(node, to, body);
            self.replaying = false;
        }
    }

    /// Puts `msg`, now at node `at`, on the next link towards its destination.
    fn forward(&mut self, at: NodeId, msg: MsgId, destination: NodeId) {
        match self.core.network.next_hop(at, destination, &self.core.up) {
            None => self.drop_copy(msg, at, DropReason::Unreachable),
            // A byzantine router cannot alter what it forwards, but it may withhold it.
            Some((_, next))
                if self
                    .strategy_of(at)
                    .is_some_and(|strategy| strategy.silences(next)) =>
            {
                self.drop_copy(msg, at, DropReason::Withheld)
            }
            Some((link, next)) => self.put_on_link(msg, link, at, next, destination, false),
        }
    }

    fn put_on_link(
        &mut self,
        msg: MsgId,
        link: LinkId,
        from: NodeId,
        to: NodeId,
        destination: NodeId,
        duplicate: bool,
    ) {
        let core = &mut self.core;
        let settings = core.network.link(link);
        let (latency, loss, duplicate_chance) =
            (settings.latency, settings.loss, settings.duplicate);
        let delay_us = latency.sample_us(&mut core.net_rng);
        let lost = loss > 0.0 && core.net_rng.chance(loss);
        let time = core.now;
        let arrive = core.network.arrival_time(link, from, time, delay_us);
        core.stats.in_flight += 1;
        self.emit(TraceEvent::Hop {
            time,
            msg,
            from,
            to,
            link,
            arrive,
            lost,
            duplicate,
        });
        if lost {
            let vanish = time.plus_us(arrive.since_us(time) / 2);
            self.schedule_at(vanish, EventKind::Vanish { msg, to });
        } else {
            self.schedule_at(
                arrive,
                EventKind::Arrive {
                    msg,
                    link: Some(link),
                    to,
                    destination,
                },
            );
        }
        if !duplicate && duplicate_chance > 0.0 && self.core.net_rng.chance(duplicate_chance) {
            self.put_on_link(msg, link, from, to, destination, true);
        }
    }

    fn drop_copy(&mut self, msg: MsgId, node: NodeId, reason: DropReason) {
        self.core.stats.messages_dropped += 1;
        let time = self.core.now;
        self.emit(TraceEvent::Dropped {
            time,
            msg,
            node,
            reason,
        });
    }

    fn arrive(&mut self, msg: MsgId, link: Option<LinkId>, to: NodeId, destination: NodeId) {
        if let Some(link) = link {
            self.core.stats.in_flight -= 1;
            // The copy came from the link's other end.
            let ends = &self.topology.links[link.index()];
            let from = if ends.a == to { ends.b } else { ends.a };
            if !self.core.network.is_live(link, from) {
                return self.drop_copy(msg, to, DropReason::LinkDown);
            }
        }
        if !self.core.up[to.index()] {
            return self.drop_copy(msg, to, DropReason::NodeDown);
        }
        if destination != to {
            return self.forward(to, msg, destination);
        }
        let faults = &self.core.node_faults[to.index()];
        let (omit_receive, slow_us) = (faults.omit_receive, faults.slow_us);
        if omit_receive > 0.0 && self.core.fault_rng.chance(omit_receive) {
            return self.drop_copy(msg, to, DropReason::ReceiveOmission);
        }
        if slow_us > 0 {
            let due = self.core.now.plus_us(slow_us);
            return self.schedule_at(due, EventKind::Process { msg, to });
        }
        self.deliver(msg, to);
    }

    /// A message reached its destination and is handled now.
    fn deliver(&mut self, msg: MsgId, to: NodeId) {
        self.core.stats.messages_delivered += 1;
        let time = self.core.now;
        self.emit(TraceEvent::Delivered {
            time,
            msg,
            node: to,
        });
        let envelope = &self.messages[msg];
        let sender = envelope.from;
        match &envelope.body {
            Wire::Peer(_) => self.call(to, Handler::Message { from: sender, msg }),
            Wire::Request(_) if matches!(self.strategy_of(to), Some(Strategy::Lie)) => {
                self.lie_to(to, sender, msg)
            }
            Wire::Request(_) => self.call(
                to,
                Handler::Request {
                    client: sender,
                    msg,
                },
            ),
            Wire::Reply(reply) => {
                let ClientReply {
                    id,
                    result,
                    session,
                } = (**reply).clone();
                self.reply_arrived(to, id, &result, session);
            }
        }
    }

    /// A lying byzantine replica answers a client at once without doing anything: writes
    /// are acknowledged though never carried out, reads get a value nobody wrote (its id
    /// is negative, which no write ever uses).
    fn lie_to(&mut self, liar: NodeId, client: NodeId, msg: MsgId) {
        let Wire::Request(request) = &self.messages[msg].body else {
            return;
        };
        let (request, op) = (request.id, request.op.clone());
        // Far below any number a person types, so it never matches a real write.
        let invented = i64::MIN / 2 - self.core.fault_rng.below(1_000_000) as i64;
        let fake = Value {
            id: invented,
            shown: 1 + invented.rem_euclid(100),
        };
        let result = match op {
            Op::Write { .. } => OpResult::Ok(None),
            Op::Read { .. } | Op::Cas { .. } => OpResult::Ok(Some(fake)),
        };
        self.send(
            liar,
            client,
            Wire::Reply(Box::new(ClientReply {
                id: request,
                result,
                session: SessionToken::default(),
            })),
        );
    }

    fn halt(&mut self, node: NodeId) {
        if self.core.up[node.index()] {
            self.core.up[node.index()] = false;
            self.core.nodes[node.index()].epoch += 1;
            self.core.network.invalidate_routes();
        }
    }

    /// Runs one protocol handler on `node`, then carries out the commands it returned.
    fn call(&mut self, node: NodeId, handler: Handler) {
        let mut out = std::mem::take(&mut self.out);
        let core = &mut self.core;
        let state = &mut core.nodes[node.index()];
        let Some(protocol) = state.protocol.as_mut() else {
            self.out = out;
            return;
        };
        let mut ctx = Ctx {
            node,
            now: state.clock.local(core.now),
            rng: &mut state.rng,
            replicas: &self.replicas,
            out: &mut out,
            next_timer: &mut core.next_timer,
        };
        match handler {
            Handler::Start => protocol.on_start(&mut ctx),
            Handler::Restart => protocol.on_restart(&mut ctx),
            Handler::Timer { id, tag } => protocol.on_timer(&mut ctx, id, tag),
            Handler::FailureNotice { peer } => protocol.on_failure_notice(&mut ctx, peer),
            Handler::Message { from, msg } => {
                if let Wire::Peer(payload) = &self.messages[msg].body {
                    protocol.on_message(&mut ctx, from, payload);
                }
            }
            Handler::Request { client, msg } => {
                if let Wire::Request(request) = &self.messages[msg].body {
                    let ClientRequest { id, op, session } = &**request;
                    protocol.on_client_request(&mut ctx, client, *id, op, session);
                }
            }
        }
        let role = protocol.role();
        let clock = state.clock;
        let epoch = state.epoch;
        // Roles are static strings, nearly always the very one the node had: comparing
        // addresses first skips a byte comparison after every handler.
        if !std::ptr::eq(role, state.role) && role != state.role {
            state.role = role;
            let time = core.now;
            self.emit(TraceEvent::StateChanged { time, node, role });
        }
        for command in out.drain(..) {
            match command {
                Command::Send { to, msg } => self.send(node, to, Wire::Peer(msg)),
                Command::Reply {
                    client,
                    request,
                    result,
                    session,
                } => {
                    self.send(
                        node,
                        client,
                        Wire::Reply(Box::new(ClientReply {
                            id: request,
                            result,
                            session,
                        })),
                    );
                }
                Command::SetTimer { id, after_us, tag } => {
                    let due = self.core.now.plus_us(clock.global_delay_us(after_us));
                    self.core.pending_timers.insert(id);
                    self.schedule_at(
                        due,
                        EventKind::Timer {
                            node,
                            epoch,
                            id,
                            tag,
                        },
                    );
                }
                Command::CancelTimer(id) => {
                    self.core.pending_timers.remove(id);
                }
            }
        }
        self.out = out;
    }
}

/// When a log that a run keeps whole (the trace, the messages) is full, at `now` of a run
/// lasting until `duration`, makes room for what the rest of the run will add at the rate
/// so far, and a quarter more for slack. A `Vec` left to itself doubles, copying
/// everything each time, a dozen times in a run of the strict preset, which was 7 % of
/// the instructions the run took; taking the rate into account, its logs grow half as
/// often and copy a third as much. At least doubling, as a `Vec` would, and at most
/// quadrupling, since the rate early in a run is only a guess.
fn grow_for_the_rest<T>(log: &mut Vec<T>, now: Time, duration: Time) {
    let len = log.len();
    if len < log.capacity() {
        return;
    }
    let expected = len as u128 * u128::from(duration.as_us()) / u128::from(now.as_us().max(1));
    let rest = (expected + expected / 4).saturating_sub(len as u128);
    let rest = usize::try_from(rest).unwrap_or(usize::MAX);
    log.reserve_exact(rest.clamp(len.max(16), 3 * len.max(16)));
}

/// Which protocol handler to run.
#[derive(Copy, Clone, Debug)]
enum Handler {
    Start,
    Restart,
    Timer { id: TimerId, tag: u64 },
    FailureNotice { peer: NodeId },
    Message { from: NodeId, msg: MsgId },
    Request { client: NodeId, msg: MsgId },
}

impl<P: Protocol> TraceContext for Simulation<P> {
    fn node_name(&self, node: NodeId) -> &str {
        self.topology.name(node)
    }

    fn message_summary(&self, msg: MsgId) -> String {
        let Some(envelope) = self.envelope(msg) else {
            return "(let go: older than the messages kept)".into();
        };
        match &envelope.body {
            Wire::Peer(payload) => format!("{payload:?}"),
            Wire::Request(request) => format!("{:?}", request.op),
            Wire::Reply(reply) => format!("{:?}", reply.result),
        }
    }

    fn fault_summary(&self, index: u32) -> String {
        let fault = &self.schedule[index as usize].fault;
        let name = |node: NodeId| self.topology.name(node).to_string();
        let link_name = |link: crate::topology::LinkId| {
            let link = &self.topology.links[link.index()];
            format!("{}-{}", name(link.a), name(link.b))
        };
        match fault {
            Fault::HealAll => "heal all".to_string(),
            Fault::HealLink(link) => format!("heal {}", link_name(*link)),
            Fault::Crash(node) | Fault::FailStop(node) | Fault::Restart(node) => {
                format!("{} {}", fault.verb(), name(*node))
            }
            Fault::Omission {
                node,
                send,
                receive,
            } => format!("omission {} send={send} receive={receive}", name(*node)),
            Fault::Slow { node, delay_us } => {
                format!("slow {} +{}", name(*node), Time::from_us(*delay_us))
            }
            Fault::ClockSkew {
                node,
                rate_ppm,
                offset_us,
            } => {
                format!(
                    "clock-skew {} rate={} offset={}ms",
                    name(*node),
                    *rate_ppm as f64 / 1e6,
                    *offset_us as f64 / 1e3
                )
            }
            Fault::Byzantine { node, strategy } => {
                format!("byzantine {} {}", name(*node), strategy.name())
            }
            Fault::Cut(cuts) => {
                let parts: Vec<String> = cuts
                    .iter()
                    .map(|cut| {
                        let link = &self.topology.links[cut.link.index()];
                        format!("{}->{}", name(cut.from), name(link.other_end(cut.from)))
                    })
                    .collect();
                format!("cut {}", parts.join(" "))
            }
            Fault::Link(change) => {
                let mut text = format!("link-change {}", link_name(change.link));
                if let Some(factor) = change.latency_factor {
                    text.push_str(&format!(" latency×{factor}"));
                }
                if let Some(loss) = change.loss {
                    text.push_str(&format!(" loss={loss}"));
                }
                if let Some(duplicate) = change.duplicate {
                    text.push_str(&format!(" duplicate={duplicate}"));
                }
                text
            }
        }
    }
}
