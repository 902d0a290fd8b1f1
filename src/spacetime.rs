//! The space-time diagram of a run (a Lamport diagram, as ShiViz draws one): a vertical
//! line per node, virtual time running down, an arrow for every copy of a message that
//! crossed a link, and the faults, role changes and events of each node on its line.
//!
//! Plain Rust with no browser types, tested natively. `components/spacetime_view.rs` turns
//! a [`Diagram`] into elements and [`to_svg`] turns the same diagram into a standalone SVG
//! file, both from the same geometry and the same markup writers, so an export shows what
//! the page shows.
//!
//! **The window.** A diagram shows `span` of virtual time ending at the cursor, or the
//! first `span` of the run while the cursor is earlier than that ([`Window::ending_at`]).
//! The root `<svg>` carries the window as `data-window-start-ms` and `data-window-end-ms`.
//!
//! **Which hops are drawn.** Exactly the trace's `Hop` events whose send time lies in the
//! window, both ends included (`start <= time <= end`), in trace order: each is one
//! `<path>` of class `arrow` with `data-msg`, from (from, send time) to (to, arrival time).
//! When there are more than [`MAX_ARROWS`], the first [`MAX_ARROWS`] of them are drawn,
//! the `<svg>` says how many there were in `data-arrows-total`, and a note asks to zoom
//! in. What an arrow shows is what had happened by the cursor: a copy still on its way is
//! drawn up to the cursor (`in-flight`), a copy lost on its link ends halfway with an ×
//! (`lost`), a copy dropped where it arrived (node down, receive omission, link cut,
//! nowhere to go) ends there with an × (`dropped`), and a link's extra copy is dashed with
//! a ring at its middle (`duplicate`). Copies dropped before any link (send omission, a
//! silent byzantine sender, no route) are an × on the sender's line, not arrows.
//!
//! **Dots.** A node's events at one moment (one handler's work: a delivery, the role
//! change it caused, the sends it made) are one dot of class `event` with `data-time-ms`;
//! its tooltip and the detail line list them all.
//!
//! **Vector clocks.** Every node ticks on each of its own events (a send, a delivery, a
//! timer firing, a role change, a client's invocation or completion), and a delivery
//! first merges the clock its sender had at the send. A clock per event would cost
//! nodes × events counters (100 × 100 000 = ten million), so each event keeps three
//! numbers instead, its [`Step`]: its node, its number among that node's events, and for a
//! delivery the send it merges. A clock is computed when asked for, by one walk back from
//! the event ([`clock_by_walk`]), which takes a millisecond or two on a run of 100 000
//! events. Events live in shared chunks, so a diagram holds all of them at the cost of
//! copying at most one chunk, and a hovered dot's words and clock need nothing but the
//! diagram.
//!
//! **Cost.** [`SpaceTimeIndex::update`] reads only the trace events it has not seen; a
//! trace that got shorter (a rewind) or a different run rebuilds it. [`SpaceTimeIndex::
//! diagram`] finds the window by binary search, so a refresh costs about what the window
//! holds, however long the run. Content is placed relative to a time `origin` that moves
//! only once per span, so as the window slides an element keeps its coordinates and only
//! one transform changes. Arrows and dots are written in blocks keyed by their place in
//! the run ([`BLOCK_LEN`]); the index keeps the markup of blocks that can no longer change,
//! so a refresh writes, and the page re-creates, only the blocks at the window's edges.
//! What stays is proportional to how fast messages enter the window: on the 100-replica
//! stress preset (20 000 hops a virtual second) a refresh at 1× speed re-creates most of
//! the (capped) drawing, which is why the caps exist.

use crate::commands::describe_fault;
use crate::scene::kind_colour;
use dsplay_sim::fault::{FaultKindSpec, FaultPhase, FaultSpec, StrategyName};
use dsplay_sim::trace::DropReason;
use dsplay_sim::{Engine, MsgId, NodeId, NodeKind, Scenario, Time, TraceEvent};
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::rc::Rc;

/// The spans the zoom steps through, in milliseconds of virtual time.
pub const SPANS_MS: [u64; 9] = [
    250, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000,
];
/// The span a diagram opens with and a reset returns to.
pub const DEFAULT_SPAN_MS: u64 = 1_000;
/// At most this many arrows are drawn; more would make the page slow and the picture black.
pub const MAX_ARROWS: usize = 3_000;
/// At most this many event dots are drawn, for the same reasons.
pub const MAX_DOTS: usize = 2_500;

/// The next shorter span (zooming in), or the shortest.
pub fn zoom_in(span_ms: u64) -> u64 {
    SPANS_MS
        .iter()
        .rev()
        .find(|&&span| span < span_ms)
        .copied()
        .unwrap_or(SPANS_MS[0])
}

/// The next longer span (zooming out), or the longest.
pub fn zoom_out(span_ms: u64) -> u64 {
    SPANS_MS
        .iter()
        .find(|&&span| span > span_ms)
        .copied()
        .unwrap_or(SPANS_MS[SPANS_MS.len() - 1])
}

/// A span as the zoom buttons name it: `250 ms`, `2 s`.
pub fn span_label(span_ms: u64) -> String {
    if span_ms < 1_000 {
        format!("{span_ms} ms")
    } else {
        format!("{} s", span_ms as f64 / 1_000.0)
    }
}

/// The stretch of virtual time a diagram shows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Window {
    pub start: Time,
    pub end: Time,
}

impl Window {
    /// `span_ms` ending at `cursor`, or `[0, span_ms]` while the cursor is earlier.
    pub fn ending_at(cursor: Time, span_ms: u64) -> Window {
        let span_us = span_ms.max(1).saturating_mul(1_000);
        let start = Time::from_us(cursor.as_us().saturating_sub(span_us));
        Window {
            start,
            end: start.plus_us(span_us),
        }
    }

    pub fn contains(&self, time: Time) -> bool {
        self.start <= time && time <= self.end
    }

    pub fn span_us(&self) -> u64 {
        self.end.since_us(self.start)
    }
}

/// The drawing's size in SVG user units (CSS pixels when shown at its own size).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Size {
    pub width_px: f64,
    pub height_px: f64,
}

impl Default for Size {
    fn default() -> Size {
        Size {
            width_px: 960.0,
            height_px: 560.0,
        }
    }
}

// ---------------------------------------------------------------------------------------
// The index
// ---------------------------------------------------------------------------------------

/// "No event": a step without a cause, a message with no send seen.
const NONE: u32 = u32::MAX;

/// What became of a copy on a link, as far as the trace has said.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Fate {
    /// Delivered, forwarded, or not arrived yet: nothing said otherwise.
    Carried,
    /// Vanished halfway along its link.
    Lost,
    /// Reached its node and was dropped there.
    Dropped(DropReason),
}

/// One copy of a message on one link, from its `Hop` event.
#[derive(Copy, Clone, Debug, PartialEq)]
struct HopRecord {
    msg: MsgId,
    from: NodeId,
    to: NodeId,
    send: Time,
    arrive: Time,
    /// Index of the message's kind in the engine's list of kinds (its colour).
    kind: u16,
    lost: bool,
    duplicate: bool,
    fate: Fate,
}

impl HopRecord {
    /// When the copy stops moving: halfway for a lost one (as the engine schedules its
    /// vanishing), at arrival otherwise.
    fn end(&self) -> Time {
        if self.lost {
            self.send.plus_us(self.arrive.since_us(self.send) / 2)
        } else {
            self.arrive
        }
    }
}

/// What a node did at one moment: a dot on its line, and a tick of its clock.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Happening {
    Sent {
        msg: MsgId,
        to: NodeId,
        kind: &'static str,
    },
    Received {
        msg: MsgId,
        from: NodeId,
        kind: &'static str,
    },
    TimerFired {
        tag: u64,
    },
    BecameRole {
        role: &'static str,
    },
    Invoked {
        request: u64,
        replica: NodeId,
    },
    Completed {
        request: u64,
        outcome: &'static str,
    },
}

/// One event a node took part in: a dot on its line, and a step of its vector clock.
#[derive(Copy, Clone, Debug, PartialEq)]
struct NodeEvent {
    time: Time,
    node: NodeId,
    /// Its number among its node's events, from 1.
    seq: u32,
    /// For a delivery, the index of the send it merges; [`NONE`] otherwise.
    cause: u32,
    what: Happening,
}

/// What a vector clock needs of one event.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub node: u32,
    pub seq: u32,
    pub cause: u32,
}

impl NodeEvent {
    fn step(&self) -> Step {
        Step {
            node: self.node.0,
            seq: self.seq,
            cause: self.cause,
        }
    }
}

/// An append-only list kept in sealed chunks plus one open chunk, so that a copy (a
/// diagram's) shares the sealed chunks and costs at most one chunk.
#[derive(Clone, Debug)]
struct Chunked<T> {
    sealed: Vec<Rc<[T]>>,
    open: Vec<T>,
}

impl<T> Default for Chunked<T> {
    fn default() -> Chunked<T> {
        Chunked {
            sealed: Vec::new(),
            open: Vec::new(),
        }
    }
}

const CHUNK_LEN: usize = 4_096;

impl<T: Copy> Chunked<T> {
    fn push(&mut self, item: T) {
        self.open.push(item);
        if self.open.len() == CHUNK_LEN {
            self.sealed.push(Rc::from(std::mem::take(&mut self.open)));
        }
    }

    fn len(&self) -> usize {
        self.sealed.len() * CHUNK_LEN + self.open.len()
    }

    fn get(&self, index: usize) -> T {
        match self.sealed.get(index / CHUNK_LEN) {
            Some(chunk) => chunk[index % CHUNK_LEN],
            None => self.open[index - self.sealed.len() * CHUNK_LEN],
        }
    }

    /// The first index whose item fails `pred`, for items ordered by it.
    fn partition_point(&self, pred: impl Fn(&T) -> bool) -> usize {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let middle = low + (high - low) / 2;
            if pred(&self.get(middle)) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        low
    }
}

impl Chunked<NodeEvent> {
    /// The vector clock of event `event`, one entry per node.
    fn clock(&self, nodes: usize, event: usize) -> Vec<u32> {
        assert!(event < self.len(), "event {event} is in the log");
        clock_by_walk(nodes, event, |index| self.get(index).step())
    }
}

/// The vector clock of event `event` from its steps, by one walk back.
///
/// Walking back from the event, `frontier[n]` is the latest position of node `n` known to
/// be in the event's past: at first only the event's own node. The first event of a node
/// met at or before its frontier gives the node's entry (its number among the node's
/// events), and a delivery in the past puts its send in the past too. A send always comes
/// before its delivery in the trace, so a frontier only ever moves to a position the walk
/// has yet to reach, and the walk can stop once every node has its entry.
pub fn clock_by_walk(nodes: usize, event: usize, step_at: impl Fn(usize) -> Step) -> Vec<u32> {
    let mut frontier: Vec<Option<usize>> = vec![None; nodes];
    let mut clock = vec![0u32; nodes];
    let mut unknown = nodes;
    frontier[step_at(event).node as usize] = Some(event);
    for index in (0..=event).rev() {
        let step = step_at(index);
        let node = step.node as usize;
        if frontier[node].is_none_or(|latest| index > latest) {
            continue;
        }
        if clock[node] == 0 {
            clock[node] = step.seq;
            unknown -= 1;
            if unknown == 0 {
                break;
            }
        }
        if step.cause != NONE {
            let send = step.cause as usize;
            debug_assert!(send < index, "a send comes before its delivery");
            let sender = step_at(send).node as usize;
            frontier[sender] = Some(frontier[sender].map_or(send, |latest| latest.max(send)));
        }
    }
    clock
}

/// Writes a clock as `[r1:3, r2:5, c1:1]`: nodes in topology order, those at 0 left out.
pub fn format_clock(names: &[String], clock: &[u32]) -> String {
    let entries: Vec<String> = names
        .iter()
        .zip(clock)
        .filter(|(_, &count)| count > 0)
        .map(|(name, count)| format!("{name}:{count}"))
        .collect();
    format!("[{}]", entries.join(", "))
}

/// A node fault in force over an interval.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// Crashed: halted until it restarts.
    Halted,
    /// Fail-stopped: halted for good.
    StoppedForGood,
    Slow,
    Omission,
    ClockSkew,
    /// Byzantine, with its strategy.
    Byzantine(&'static str),
}

impl Condition {
    /// The condition as the detail line says it.
    pub fn words(self) -> String {
        match self {
            Condition::Halted => "down (crashed)".into(),
            Condition::StoppedForGood => "stopped for good".into(),
            Condition::Slow => "slow".into(),
            Condition::Omission => "omission".into(),
            Condition::ClockSkew => "clock skew".into(),
            Condition::Byzantine(strategy) => format!("byzantine ({strategy})"),
        }
    }

    /// The short label beside its band.
    fn short(self) -> &'static str {
        match self {
            Condition::Halted => "down",
            Condition::StoppedForGood => "stopped",
            Condition::Slow => "slow",
            Condition::Omission => "omission",
            Condition::ClockSkew => "skew",
            Condition::Byzantine(_) => "byzantine",
        }
    }

    fn class(self) -> &'static str {
        match self {
            Condition::Halted => "st-halt",
            Condition::StoppedForGood => "st-halt for-good",
            Condition::Slow => "st-condition slow",
            Condition::Omission => "st-condition omission",
            Condition::ClockSkew => "st-condition skew",
            Condition::Byzantine(_) => "st-condition byzantine",
        }
    }

    /// Which side band it takes right of the line; halts sit on the line itself.
    fn lane(self) -> Option<usize> {
        match self {
            Condition::Halted | Condition::StoppedForGood => None,
            Condition::Slow => Some(0),
            Condition::Omission => Some(1),
            Condition::ClockSkew => Some(2),
            Condition::Byzantine(_) => Some(3),
        }
    }

    fn is_halt(self) -> bool {
        self.lane().is_none()
    }
}

/// A node fault's interval; `end` is `None` while it lasts.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeSpan {
    pub node: NodeId,
    pub condition: Condition,
    pub begin: Time,
    pub end: Option<Time>,
    /// The fault as the timeline's lane describes it.
    pub description: String,
}

impl NodeSpan {
    fn covers(&self, time: Time) -> bool {
        self.begin <= time && self.end.is_none_or(|end| time < end)
    }
}

/// A fault of the network, drawn as a band across the diagram.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NetworkFault {
    Partition,
    Cut,
    LinkChange,
}

impl NetworkFault {
    fn class(self) -> &'static str {
        match self {
            NetworkFault::Partition => "st-band partition",
            NetworkFault::Cut => "st-band cut",
            NetworkFault::LinkChange => "st-band link-change",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct NetworkSpan {
    pub fault: NetworkFault,
    pub begin: Time,
    pub end: Option<Time>,
    /// A short label: `partition {n1, n2} | rest`, `cut n1–n2`.
    pub label: String,
    pub description: String,
    /// The link's ends, for a cut or a change of one link.
    link: Option<(NodeId, NodeId)>,
}

impl NetworkSpan {
    fn covers(&self, time: Time) -> bool {
        self.begin <= time && self.end.is_none_or(|end| time < end)
    }

    fn touches(&self, node: NodeId) -> bool {
        match self.link {
            Some((a, b)) => a == node || b == node,
            None => true,
        }
    }
}

/// A fault of the schedule that has begun and not yet ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum OpenFault {
    Node(usize),
    Network(usize),
}

/// A copy dropped at a node before it was on any link (send omission, withheld by a
/// byzantine sender, no route from the sender): an × on the node's line.
#[derive(Copy, Clone, Debug, PartialEq)]
struct NodeDrop {
    time: Time,
    msg: MsgId,
    node: NodeId,
    reason: DropReason,
}

/// A node's role and node faults at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeState {
    pub role: &'static str,
    /// Its node faults and the network faults that touch it, in words.
    pub conditions: Vec<String>,
}

impl fmt::Display for NodeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.role)?;
        if self.conditions.is_empty() {
            f.write_str(", no faults")
        } else {
            write!(f, "; {}", self.conditions.join(", "))
        }
    }
}

/// The trace organised for space-time diagrams, fed incrementally as the run grows.
#[derive(Debug, Default)]
pub struct SpaceTimeIndex {
    /// The scenario the run came from (positions aside, another one means another run).
    run: Option<Scenario>,
    title: String,
    names: Vec<String>,
    clients: Vec<bool>,
    message_kinds: Vec<&'static str>,
    /// The run's fault schedule, which the trace's fault indices point into.
    schedule: Vec<FaultSpec>,
    /// How many trace events have been read, and the last of them.
    consumed: usize,
    last_seen: Option<TraceEvent>,
    /// Counts rebuilds, so a diagram of a rebuilt index is never taken for an old one.
    generation: u64,
    latest: Time,
    hops: Vec<HopRecord>,
    events: Chunked<NodeEvent>,
    /// Events so far, per node.
    seq: Vec<u32>,
    /// The event of each message's send, by message id (ids are dense from 0).
    sent_event: Vec<u32>,
    /// Copies on their way, by message and the node they head for, to find the copy a
    /// drop, a delivery or a forward is about.
    in_transit: BTreeMap<(MsgId, NodeId), Vec<u32>>,
    node_drops: Vec<NodeDrop>,
    /// Role changes per node, in time order.
    roles: Vec<Vec<(Time, &'static str)>>,
    node_spans: Vec<NodeSpan>,
    restarts: Vec<(Time, NodeId)>,
    network_spans: Vec<NetworkSpan>,
    open_faults: BTreeMap<u32, OpenFault>,
    /// Markup of settled blocks, kept across diagrams of the same view.
    markup: std::cell::RefCell<MarkupCache>,
}

/// Whether two scenarios make the same run: everything but names, descriptions and node
/// positions (which the engine ignores). Destructured so a new field must be considered.
fn same_run(seen: &Scenario, now: &Scenario) -> bool {
    let Scenario {
        version,
        name: _,
        description: _,
        seed,
        duration_ms,
        max_events,
        protocol,
        nodes,
        links,
        faults,
        quiet_ms,
        operations,
        fault_profile,
    } = seen;
    let same_nodes = nodes.len() == now.nodes.len()
        && nodes.iter().zip(&now.nodes).all(|(a, b)| {
            let dsplay_sim::scenario::NodeSpec {
                id,
                kind,
                x: _,
                y: _,
                workload,
            } = a;
            *id == b.id && *kind == b.kind && *workload == b.workload
        });
    *version == now.version
        && *seed == now.seed
        && *duration_ms == now.duration_ms
        && *max_events == now.max_events
        && *protocol == now.protocol
        && same_nodes
        && *links == now.links
        && *faults == now.faults
        && *quiet_ms == now.quiet_ms
        && *operations == now.operations
        && *fault_profile == now.fault_profile
}

impl SpaceTimeIndex {
    pub fn new() -> SpaceTimeIndex {
        SpaceTimeIndex::default()
    }

    /// Reads the trace events not seen yet. A shorter trace (the run went back to a
    /// snapshot), a different last event or another scenario means another run: the index
    /// is rebuilt from the start.
    pub fn update(&mut self, engine: &dyn Engine, scenario: &Scenario) {
        // Positions count from the run's first event; a long run's player keeps only the
        // recent trace, and a last event seen that was let go means starting again.
        let same = self
            .run
            .as_ref()
            .is_some_and(|seen| same_run(seen, scenario))
            && self.names.len() == engine.topology().nodes.len();
        let rewound = engine.trace_end() < self.consumed
            || (self.consumed > 0
                && engine.trace_event(self.consumed - 1) != self.last_seen.as_ref());
        if !same || rewound {
            self.rebuild(engine, scenario);
        }
        if self.title != scenario.name {
            self.title.clone_from(&scenario.name);
        }
        for event in engine.trace_since(self.consumed) {
            self.read(event);
        }
        self.consumed = engine.trace_end();
        self.last_seen = engine.trace().last().copied();
    }

    fn rebuild(&mut self, engine: &dyn Engine, scenario: &Scenario) {
        let topology = engine.topology();
        let nodes = topology.nodes.len();
        // The schedule as the engine has it: `build` prepends the faults a fault profile
        // draws for the seed, and live injections append to the scenario's own.
        let schedule = dsplay_sim::sweep::scenario_for_seed(scenario, scenario.seed).faults;
        *self = SpaceTimeIndex {
            run: Some(scenario.clone()),
            title: scenario.name.clone(),
            names: topology
                .nodes
                .iter()
                .map(|node| node.name.clone())
                .collect(),
            clients: topology
                .nodes
                .iter()
                .map(|node| node.kind == NodeKind::Client)
                .collect(),
            message_kinds: engine.message_kinds(),
            schedule,
            generation: self.generation + 1,
            seq: vec![0; nodes],
            roles: vec![Vec::new(); nodes],
            ..SpaceTimeIndex::default()
        };
    }

    /// The node names, in topology order (the diagram's columns).
    #[cfg(test)]
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// How many events (dots) have been indexed.
    #[cfg(test)]
    pub fn event_count(&self) -> usize {
        self.events.len()
    }

    fn read(&mut self, event: &TraceEvent) {
        debug_assert!(event.time() >= self.latest, "the trace is in time order");
        self.latest = event.time();
        match *event {
            TraceEvent::Sent {
                time,
                msg,
                from,
                to,
                kind,
            } => {
                let index = self.record(time, from, Happening::Sent { msg, to, kind }, NONE);
                let slot = msg.0 as usize;
                if self.sent_event.len() <= slot {
                    self.sent_event.resize(slot + 1, NONE);
                }
                self.sent_event[slot] = index;
            }
            TraceEvent::Hop {
                time,
                msg,
                from,
                to,
                arrive,
                lost,
                duplicate,
                ..
            } => {
                let sent = self.send_of(msg);
                if !duplicate && sent.is_some_and(|sent| sent.node != from) {
                    // Leaving a node other than the sender: the copy that arrived there
                    // now was forwarded, so it is no longer on its way.
                    self.settle(msg, from, |hop| !hop.lost && hop.arrive == time);
                }
                let kind = sent
                    .and_then(|sent| match sent.what {
                        Happening::Sent { kind, .. } => {
                            self.message_kinds.iter().position(|&known| known == kind)
                        }
                        _ => None,
                    })
                    .unwrap_or(0);
                let index = self.hops.len() as u32;
                self.hops.push(HopRecord {
                    msg,
                    from,
                    to,
                    send: time,
                    arrive,
                    kind: kind as u16,
                    lost,
                    duplicate,
                    fate: Fate::Carried,
                });
                self.in_transit.entry((msg, to)).or_default().push(index);
            }
            TraceEvent::Delivered { time, msg, node } => {
                // A slow node handles a copy some time after it arrived.
                self.settle(msg, node, |hop| !hop.lost && hop.arrive <= time);
                let cause = self.sent_event.get(msg.0 as usize).copied().unwrap_or(NONE);
                let (from, kind) = match self.send_of(msg) {
                    Some(NodeEvent {
                        node: from,
                        what: Happening::Sent { kind, .. },
                        ..
                    }) => (from, kind),
                    _ => (node, "message"),
                };
                self.record(time, node, Happening::Received { msg, from, kind }, cause);
            }
            TraceEvent::Dropped {
                time,
                msg,
                node,
                reason,
            } => {
                let copy = if reason == DropReason::Loss {
                    self.settle(msg, node, |hop| hop.lost && hop.end() == time)
                } else {
                    self.settle(msg, node, |hop| !hop.lost && hop.arrive == time)
                };
                match copy {
                    Some(hop) if reason == DropReason::Loss => self.hops[hop].fate = Fate::Lost,
                    Some(hop) => self.hops[hop].fate = Fate::Dropped(reason),
                    None => self.node_drops.push(NodeDrop {
                        time,
                        msg,
                        node,
                        reason,
                    }),
                }
            }
            TraceEvent::TimerFired {
                time, node, tag, ..
            } => {
                self.record(time, node, Happening::TimerFired { tag }, NONE);
            }
            TraceEvent::StateChanged { time, node, role } => {
                self.roles[node.index()].push((time, role));
                self.record(time, node, Happening::BecameRole { role }, NONE);
            }
            TraceEvent::OpInvoked {
                time,
                client,
                request,
                replica,
            } => {
                let what = Happening::Invoked {
                    request: request.0,
                    replica,
                };
                self.record(time, client, what, NONE);
            }
            TraceEvent::OpCompleted {
                time,
                client,
                request,
                outcome,
            } => {
                let what = Happening::Completed {
                    request: request.0,
                    outcome,
                };
                self.record(time, client, what, NONE);
            }
            TraceEvent::HealAll { time } => self.heal_all(time),
            TraceEvent::FinalReads { .. } => {}
            TraceEvent::Fault { time, index, phase } => match phase {
                FaultPhase::Begin => self.begin_fault(time, index),
                FaultPhase::End => self.end_fault(time, index),
            },
        }
    }

    /// Adds an event of `node`: a dot, and a step of its clock.
    fn record(&mut self, time: Time, node: NodeId, what: Happening, cause: u32) -> u32 {
        let index = self.events.len() as u32;
        let seq = &mut self.seq[node.index()];
        *seq += 1;
        self.events.push(NodeEvent {
            time,
            node,
            seq: *seq,
            cause,
            what,
        });
        index
    }

    fn send_of(&self, msg: MsgId) -> Option<NodeEvent> {
        let index = *self.sent_event.get(msg.0 as usize)?;
        (index != NONE).then(|| self.events.get(index as usize))
    }

    /// Takes the first copy of `msg` on its way to `node` that `matches` off the copies in
    /// transit, and returns its index.
    fn settle(
        &mut self,
        msg: MsgId,
        node: NodeId,
        matches: impl Fn(&HopRecord) -> bool,
    ) -> Option<usize> {
        let key = (msg, node);
        let copies = self.in_transit.get_mut(&key)?;
        let position = copies
            .iter()
            .position(|&hop| matches(&self.hops[hop as usize]))?;
        let hop = copies.remove(position);
        if copies.is_empty() {
            self.in_transit.remove(&key);
        }
        Some(hop as usize)
    }

    fn node_named(&self, name: &str) -> Option<NodeId> {
        self.names
            .iter()
            .position(|known| known == name)
            .map(|index| NodeId(index as u32))
    }

    fn begin_fault(&mut self, time: Time, index: u32) {
        let Some(spec) = self.schedule.get(index as usize).cloned() else {
            return;
        };
        let lasting = spec.until_ms.map(|until_ms| until_ms - spec.at_ms);
        let description = describe_fault(&spec.fault, lasting);
        let on_node = match &spec.fault {
            FaultKindSpec::Crash { node } => Some((node, Condition::Halted)),
            FaultKindSpec::FailStop { node } => Some((node, Condition::StoppedForGood)),
            FaultKindSpec::Omission { node, .. } => Some((node, Condition::Omission)),
            FaultKindSpec::Slow { node, .. } => Some((node, Condition::Slow)),
            FaultKindSpec::ClockSkew { node, .. } => Some((node, Condition::ClockSkew)),
            FaultKindSpec::Byzantine { node, strategy, .. } => {
                Some((node, Condition::Byzantine(strategy_word(*strategy))))
            }
            _ => None,
        };
        if let Some((name, condition)) = on_node {
            if let Some(node) = self.node_named(name) {
                self.node_spans.push(NodeSpan {
                    node,
                    condition,
                    begin: time,
                    end: None,
                    description,
                });
                let span = self.node_spans.len() - 1;
                self.open_faults.insert(index, OpenFault::Node(span));
            }
            return;
        }
        let link = |index: &SpaceTimeIndex, a: &str, b: &str| {
            Some((index.node_named(a)?, index.node_named(b)?))
        };
        let network = match &spec.fault {
            FaultKindSpec::Partition { groups } => {
                let sides: Vec<String> = groups
                    .iter()
                    .map(|group| format!("{{{}}}", group.join(", ")))
                    .collect();
                Some((
                    NetworkFault::Partition,
                    format!("partition {} | rest", sides.join(" | ")),
                    None,
                ))
            }
            FaultKindSpec::CutLink { a, b, .. } => {
                Some((NetworkFault::Cut, format!("cut {a}–{b}"), link(self, a, b)))
            }
            FaultKindSpec::LinkChange { a, b, .. } => Some((
                NetworkFault::LinkChange,
                format!("link {a}–{b} changed"),
                link(self, a, b),
            )),
            _ => None,
        };
        if let Some((fault, label, link)) = network {
            self.network_spans.push(NetworkSpan {
                fault,
                begin: time,
                end: None,
                label,
                description,
                link,
            });
            let span = self.network_spans.len() - 1;
            self.open_faults.insert(index, OpenFault::Network(span));
            return;
        }
        match &spec.fault {
            FaultKindSpec::Restart { node } => {
                if let Some(node) = self.node_named(node) {
                    self.restart(node, time);
                }
            }
            FaultKindSpec::HealAll {} => self.heal_all(time),
            FaultKindSpec::HealLink { a, b } => {
                if let Some((a, b)) = link(self, a, b) {
                    for span in &mut self.network_spans {
                        let this_link = span.link == Some((a, b)) || span.link == Some((b, a));
                        if this_link && span.end.is_none() {
                            span.end = Some(time);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn end_fault(&mut self, time: Time, index: u32) {
        match self.open_faults.remove(&index) {
            Some(OpenFault::Node(span)) => {
                let span = &mut self.node_spans[span];
                if span.end.is_none() {
                    span.end = Some(time);
                    if span.condition == Condition::Halted {
                        // The end of a crash is a restart.
                        self.restarts.push((time, span.node));
                    }
                }
            }
            Some(OpenFault::Network(span)) => {
                let span = &mut self.network_spans[span];
                span.end = span.end.or(Some(time));
            }
            None => {}
        }
    }

    /// A restart ends the node's crashes (not a fail-stop, which is for good).
    fn restart(&mut self, node: NodeId, time: Time) {
        for span in &mut self.node_spans {
            if span.node == node && span.condition == Condition::Halted && span.end.is_none() {
                span.end = Some(time);
            }
        }
        self.restarts.push((time, node));
    }

    /// Everything heals at once, as the engine does it: crashed nodes restart, node faults
    /// and network faults end; fail-stopped nodes stay down.
    fn heal_all(&mut self, time: Time) {
        let mut restarted: Vec<NodeId> = Vec::new();
        for span in &mut self.node_spans {
            if span.end.is_none() && span.condition != Condition::StoppedForGood {
                span.end = Some(time);
                if span.condition == Condition::Halted && !restarted.contains(&span.node) {
                    restarted.push(span.node);
                }
            }
        }
        self.restarts
            .extend(restarted.into_iter().map(|node| (time, node)));
        for span in &mut self.network_spans {
            span.end = span.end.or(Some(time));
        }
    }

    fn role_at(&self, node: NodeId, time: Time) -> &'static str {
        if self.clients.get(node.index()).copied().unwrap_or(false) {
            return "client";
        }
        let changes = &self.roles[node.index()];
        match changes.partition_point(|&(at, _)| at <= time) {
            0 => "starting",
            upto => changes[upto - 1].1,
        }
    }

    /// The node's role and faults at `time`, as far as the trace has told.
    #[cfg(test)]
    pub fn node_state_at(&self, node: NodeId, time: Time) -> NodeState {
        NodeState {
            role: self.role_at(node, time),
            conditions: conditions_at(&self.node_spans, &self.network_spans, node, time),
        }
    }

    /// The vector clock of the `event`-th indexed event, one entry per node.
    #[cfg(test)]
    pub fn vector_clock(&self, event: usize) -> Vec<u32> {
        self.events.clock(self.names.len(), event)
    }

    /// The diagram of `span_ms` ending at `cursor` (see [`Window::ending_at`]), laid out
    /// in `size`.
    pub fn diagram(&self, cursor: Time, span_ms: u64, size: Size) -> Diagram {
        let span_ms = span_ms.clamp(SPANS_MS[0], SPANS_MS[SPANS_MS.len() - 1]);
        let window = Window::ending_at(cursor, span_ms);
        // Nothing after the cursor has happened yet, unless the index was fed a longer run.
        let now = cursor.max(self.latest);
        let layout = Layout::new(&self.names, &self.message_kinds, size);
        let scale = Scale::new(window, &layout.plot);
        let mut diagram = Diagram {
            title: self.title.clone(),
            content_offset_px: scale.offset_px,
            stamp: Stamp {
                generation: self.generation,
                consumed: self.consumed,
                last: self.last_seen,
            },
            names: self.names.clone(),
            events: self.events.clone(),
            ..Diagram::frame(window, span_ms, cursor, size, &layout)
        };
        diagram.cursor_y = (window.contains(cursor)).then(|| scale.screen_y(cursor));
        diagram.columns = self.columns(&layout, window.end.min(now));
        diagram.ticks = ticks(window, &scale, &layout.plot);
        self.draw_faults(&mut diagram, &layout, &scale, now);
        self.draw_arrows(&mut diagram, &layout, &scale, now);
        self.draw_dots(&mut diagram, &layout, &scale);
        diagram.crosses = self
            .node_drops
            .iter()
            .skip(
                self.node_drops
                    .partition_point(|drop| drop.time < window.start),
            )
            .take_while(|drop| drop.time <= window.end)
            .map(|drop| {
                let (x, y) = (layout.column_x[drop.node.index()], scale.y(drop.time));
                Cross {
                    path: cross_path(x, y),
                    title: format!(
                        "m{} dropped at {} at {} ({})",
                        drop.msg.0,
                        self.names[drop.node.index()],
                        drop.time,
                        drop.reason.as_str()
                    ),
                }
            })
            .collect();
        let mut notes = Vec::new();
        if diagram.arrows_total > diagram.arrows.len() {
            notes.push(format!(
                "showing {} of {} messages — zoom in",
                diagram.arrows.len(),
                diagram.arrows_total
            ));
        }
        if diagram.dots_total > diagram.dots.len() {
            notes.push(format!(
                "{} of {} events",
                diagram.dots.len(),
                diagram.dots_total
            ));
        }
        diagram.note = (!notes.is_empty()).then(|| notes.join("; "));
        self.write_blocks(&mut diagram, &scale, now);
        diagram
    }

    /// Writes the arrows' and dots' markup in blocks, reusing what the cache holds.
    ///
    /// A block is settled when the window's edges leave it whole and nothing in it can
    /// change any more: its copies have all arrived or vanished, its events are over. Its
    /// markup then depends only on the view, so it is kept until the view changes.
    fn write_blocks(&self, diagram: &mut Diagram, scale: &Scale, now: Time) {
        let view = ViewKey {
            generation: self.generation,
            origin_us: scale.origin_us,
            span_us: diagram.window.span_us(),
            size: diagram.size,
            dot_shrink: diagram.dot_shrink,
        };
        let mut cache = self.markup.borrow_mut();
        if cache.view != Some(view) {
            *cache = MarkupCache {
                view: Some(view),
                ..MarkupCache::default()
            };
        }
        let first_hop = diagram.arrows.first().map_or(usize::MAX, |arrow| arrow.hop);
        let drawn_hops = first_hop.saturating_add(diagram.arrows.len());
        let arrow_settled = |key: usize, arrows: &[Arrow]| {
            key * BLOCK_LEN >= first_hop
                && (key + 1) * BLOCK_LEN <= drawn_hops
                && arrows.iter().all(|arrow| arrow.fate != ArrowFate::InFlight)
        };
        let first_event = diagram.dots.first().map_or(usize::MAX, |dot| dot.event);
        // Events before this one are over and inside the window: a block of them is whole.
        let window_end = diagram.window.end;
        let complete = self
            .events
            .partition_point(|event| event.time < now && event.time <= window_end);
        let capped_from = (diagram.dots_total > diagram.dots.len())
            .then(|| diagram.dots.last().map_or(0, |dot| dot.event / BLOCK_LEN));
        let dot_settled = |key: usize, _: &[Dot]| {
            key * BLOCK_LEN >= first_event
                && (key + 1) * BLOCK_LEN <= complete
                && capped_from.is_none_or(|capped| key < capped)
        };
        let cache = &mut *cache;
        let arrow_blocks = build_blocks(
            &diagram.arrows,
            |arrow| arrow.hop,
            arrow_settled,
            arrow_markup,
            &mut cache.arrows,
        );
        let dot_blocks = build_blocks(
            &diagram.dots,
            |dot| dot.event,
            dot_settled,
            |out, dot| dot_markup(out, diagram, dot),
            &mut cache.dots,
        );
        diagram.arrow_blocks = arrow_blocks;
        diagram.dot_blocks = dot_blocks;
    }

    fn columns(&self, layout: &Layout, at: Time) -> Vec<Column> {
        self.names
            .iter()
            .enumerate()
            .map(|(index, name)| {
                let node = NodeId(index as u32);
                let halted = self
                    .node_spans
                    .iter()
                    .find(|span| span.node == node && span.condition.is_halt() && span.covers(at));
                Column {
                    node,
                    name: name.clone(),
                    x: layout.column_x[index],
                    client: self.clients[index],
                    now: match halted {
                        Some(span) if span.condition == Condition::StoppedForGood => {
                            "stopped".to_string()
                        }
                        Some(_) => "down".to_string(),
                        None => self.role_at(node, at).to_string(),
                    },
                }
            })
            .collect()
    }

    fn draw_faults(&self, diagram: &mut Diagram, layout: &Layout, scale: &Scale, now: Time) {
        let window = diagram.window;
        // An interval shows from its beginning (or the window's) to its end, or to now.
        let visible = |begin: Time, end: Option<Time>| {
            let until = end.unwrap_or(now).min(now.max(begin));
            (begin <= window.end && until >= window.start)
                .then(|| (begin.max(window.start), until.min(window.end)))
        };
        let mut band_lanes: Vec<Time> = Vec::new();
        for span in &self.network_spans {
            let Some((top, bottom)) = visible(span.begin, span.end) else {
                continue;
            };
            // Overlapping bands put their labels one under the other.
            let lane = band_lanes.iter().filter(|&&end| end > top).count();
            band_lanes.push(bottom);
            diagram.bands.push(Band {
                class: span.fault.class(),
                x: layout.plot.left,
                width: layout.plot.right - layout.plot.left,
                y_top: scale.y(top),
                y_bottom: scale.y(bottom).max(scale.y(top) + 1.0),
                label: span.label.clone(),
                label_y: scale.y(top) + 12.0 + 12.0 * lane as f64,
                title: format!("{}, from {}", span.description, span.begin),
            });
        }
        let labelled = layout.spacing >= 56.0;
        for span in &self.node_spans {
            let Some((top, bottom)) = visible(span.begin, span.end) else {
                continue;
            };
            let x = layout.column_x[span.node.index()];
            let (x, width) = match span.condition.lane() {
                None => (x - 4.0, 8.0),
                Some(lane) => (x + 5.0 + 5.0 * lane as f64, 4.0),
            };
            let ended = match span.end {
                Some(end) => format!(" until {end}"),
                None => String::new(),
            };
            diagram.spans.push(LineSpan {
                node: span.node,
                condition: span.condition,
                class: span.condition.class(),
                x,
                width,
                y_top: scale.y(top),
                y_bottom: scale.y(bottom).max(scale.y(top) + 1.0),
                label: (labelled && span.condition.lane().is_some())
                    .then(|| span.condition.short()),
                title: format!("{}: from {}{}", span.description, span.begin, ended),
            });
        }
        diagram.node_spans = self
            .node_spans
            .iter()
            .filter(|span| visible(span.begin, span.end).is_some())
            .cloned()
            .collect();
        diagram.network_spans = self
            .network_spans
            .iter()
            .filter(|span| visible(span.begin, span.end).is_some())
            .cloned()
            .collect();
        diagram.restarts = self
            .restarts
            .iter()
            .filter(|(time, _)| window.contains(*time))
            .map(|&(time, node)| {
                let (x, y) = (layout.column_x[node.index()], scale.y(time));
                Marker {
                    node,
                    path: format!(
                        "M{:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z",
                        x - 5.0,
                        y + 4.0,
                        x + 5.0,
                        y + 4.0,
                        x,
                        y - 5.0
                    ),
                    label: labelled.then_some((x + 8.0, y + 4.0)),
                    title: format!("{} restarted at {time}", self.names[node.index()]),
                }
            })
            .collect();
        if layout.spacing >= 40.0 {
            for (index, changes) in self.roles.iter().enumerate() {
                let from = changes.partition_point(|&(at, _)| at < window.start);
                for &(time, role) in changes[from..]
                    .iter()
                    .take_while(|&&(at, _)| at <= window.end)
                {
                    diagram.role_labels.push(RoleLabel {
                        x: layout.column_x[index] + 6.0,
                        y: scale.y(time) - 4.0,
                        role,
                    });
                }
            }
        }
    }

    fn draw_arrows(&self, diagram: &mut Diagram, layout: &Layout, scale: &Scale, now: Time) {
        let window = diagram.window;
        let first = self.hops.partition_point(|hop| hop.send < window.start);
        let last = self.hops.partition_point(|hop| hop.send <= window.end);
        diagram.arrows_total = last - first;
        diagram.arrows = self.hops[first..last]
            .iter()
            .enumerate()
            .take(MAX_ARROWS)
            .map(|(offset, hop)| self.arrow(first + offset, hop, layout, scale, now))
            .collect();
    }

    fn arrow(
        &self,
        index: usize,
        hop: &HopRecord,
        layout: &Layout,
        scale: &Scale,
        now: Time,
    ) -> Arrow {
        let start = (layout.column_x[hop.from.index()], scale.y(hop.send));
        let target = (layout.column_x[hop.to.index()], scale.y(hop.arrive));
        let end_time = hop.end();
        let along = |time: Time| {
            let total_us = hop.arrive.since_us(hop.send);
            let fraction = if total_us == 0 {
                1.0
            } else {
                time.since_us(hop.send) as f64 / total_us as f64
            };
            let round = |value: f64| (value * 10.0).round() / 10.0;
            (
                round(start.0 + (target.0 - start.0) * fraction),
                round(start.1 + (target.1 - start.1) * fraction),
            )
        };
        let fate = if end_time > now {
            ArrowFate::InFlight
        } else {
            match hop.fate {
                Fate::Carried => ArrowFate::Arrived,
                Fate::Lost => ArrowFate::Lost,
                Fate::Dropped(reason) => ArrowFate::Dropped(reason),
            }
        };
        let end = match fate {
            ArrowFate::InFlight => along(now.max(hop.send)),
            ArrowFate::Lost => along(end_time),
            ArrowFate::Arrived | ArrowFate::Dropped(_) => target,
        };
        Arrow {
            hop: index,
            msg: hop.msg,
            from: hop.from,
            to: hop.to,
            kind: usize::from(hop.kind),
            send: hop.send,
            arrive: hop.arrive,
            fate,
            duplicate: hop.duplicate,
            start,
            end,
            ring: hop
                .duplicate
                .then(|| along(hop.send.plus_us(end_time.since_us(hop.send) / 2))),
        }
    }

    fn draw_dots(&self, diagram: &mut Diagram, layout: &Layout, scale: &Scale) {
        let window = diagram.window;
        let first = self
            .events
            .partition_point(|event| event.time < window.start);
        let last = self
            .events
            .partition_point(|event| event.time <= window.end);
        let mut dots = Vec::new();
        let mut total = 0;
        let mut index = first;
        while index < last {
            // A node's events at one moment (one handler's work) make one dot.
            let head = self.events.get(index);
            let mut kind = DotKind::of(&head.what);
            let mut end = index + 1;
            while end < last {
                let next = self.events.get(end);
                if next.node != head.node || next.time != head.time {
                    break;
                }
                kind = kind.max(DotKind::of(&next.what));
                end += 1;
            }
            total += 1;
            if dots.len() < MAX_DOTS {
                dots.push(Dot {
                    event: index,
                    last_event: end - 1,
                    node: head.node,
                    time: head.time,
                    x: layout.column_x[head.node.index()],
                    y: scale.y(head.time),
                    kind,
                    r: kind.radius(),
                    count: end - index,
                    role: self.role_at(head.node, head.time),
                });
            }
            index = end;
        }
        // Dots shrink when a line is crowded, so that they stay apart; in tenths, so the
        // radius (part of every dot's markup) seldom changes.
        let columns = self.names.len().max(1) as f64;
        let px_per_dot =
            (layout.plot.bottom - layout.plot.top) * columns / dots.len().max(1) as f64;
        let shrink = ((px_per_dot / 12.0).clamp(0.5, 1.0) * 10.0).round() / 10.0;
        for dot in &mut dots {
            dot.r = (dot.r * shrink * 10.0).round() / 10.0;
        }
        diagram.dot_shrink = shrink;
        diagram.dots = dots;
        diagram.dots_total = total;
    }
}

fn strategy_word(strategy: StrategyName) -> &'static str {
    match strategy {
        StrategyName::Lie => "lie",
        StrategyName::Equivocate => "equivocate",
        StrategyName::Replay => "replay",
        StrategyName::Silent => "silent",
    }
}

/// A node's faults at `time` in words: its own, then the network's that touch it.
fn conditions_at(
    node_spans: &[NodeSpan],
    network_spans: &[NetworkSpan],
    node: NodeId,
    time: Time,
) -> Vec<String> {
    let own = node_spans
        .iter()
        .filter(|span| span.node == node && span.covers(time))
        .map(|span| span.condition.words());
    let network = network_spans
        .iter()
        .filter(|span| span.touches(node) && span.covers(time))
        .map(|span| span.label.clone());
    own.chain(network).collect()
}

/// One moment's events of one node in words: `received vote from n2; became leader; sent
/// append to n2, n3, n4`.
fn describe_events(events: impl Iterator<Item = NodeEvent>, names: &[String]) -> String {
    let name = |node: NodeId| names[node.index()].as_str();
    let mut parts: Vec<String> = Vec::new();
    let mut sends: Option<(&'static str, Vec<&str>)> = None;
    let flush = |sends: &mut Option<(&'static str, Vec<&str>)>, parts: &mut Vec<String>| {
        if let Some((kind, targets)) = sends.take() {
            parts.push(format!("sent {kind} to {}", targets.join(", ")));
        }
    };
    for event in events {
        if let Happening::Sent { to, kind, .. } = event.what {
            match &mut sends {
                Some((same, targets)) if *same == kind => targets.push(name(to)),
                _ => {
                    flush(&mut sends, &mut parts);
                    sends = Some((kind, vec![name(to)]));
                }
            }
            continue;
        }
        flush(&mut sends, &mut parts);
        parts.push(match event.what {
            Happening::Received { msg, from, kind } => {
                format!("received {kind} m{} from {}", msg.0, name(from))
            }
            Happening::TimerFired { tag } => format!("timer fired (tag {tag})"),
            Happening::BecameRole { role } => format!("became {role}"),
            Happening::Invoked { request, replica } => {
                format!("began operation {request} at {}", name(replica))
            }
            Happening::Completed { request, outcome } => {
                format!("operation {request} ended: {outcome}")
            }
            Happening::Sent { .. } => unreachable!("sends are gathered above"),
        });
    }
    flush(&mut sends, &mut parts);
    parts.join("; ")
}

// ---------------------------------------------------------------------------------------
// Geometry
// ---------------------------------------------------------------------------------------

/// The drawing area for time and nodes, in SVG user units.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Plot {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

/// Height of the caption row at the top.
const CAPTION_PX: f64 = 22.0;
/// Width of the time axis's labels, left of the plot.
const AXIS_PX: f64 = 64.0;
const RIGHT_PX: f64 = 16.0;
const LEGEND_ROW_PX: f64 = 18.0;
const FONT_PX: f64 = 11.0;

/// A rough width of text in the page's sans-serif, enough to lay labels out.
fn text_width_px(text: &str, font_px: f64) -> f64 {
    text.chars().count() as f64 * font_px * 0.6
}

/// Where things go for a given set of nodes and size.
#[derive(Clone, Debug)]
struct Layout {
    plot: Plot,
    column_x: Vec<f64>,
    spacing: f64,
    names_rotated: bool,
    name_font_px: f64,
    legend: Vec<LegendItem>,
}

impl Layout {
    fn new(names: &[String], kinds: &[&'static str], size: Size) -> Layout {
        let width = size.width_px.max(320.0);
        let height = size.height_px.max(240.0);
        let (left, right) = (AXIS_PX, width - RIGHT_PX);
        let spacing = (right - left) / names.len().max(1) as f64;
        let longest = names
            .iter()
            .map(|name| name.chars().count())
            .max()
            .unwrap_or(1);
        let longest_px = longest as f64 * FONT_PX * 0.6;
        // Names sit level while they fit between the lines, and stand up when they don't.
        let names_rotated = spacing < longest_px + 8.0;
        let (name_font_px, header_px) = if names_rotated {
            let font = (spacing * 0.9).clamp(7.0, FONT_PX);
            (font, (longest as f64 * font * 0.6 + 12.0).min(120.0))
        } else {
            (FONT_PX, 34.0)
        };
        let legend = legend_items(kinds, width);
        let legend_rows = legend.iter().map(|item| item.row + 1).max().unwrap_or(0);
        let legend_px = legend_rows as f64 * LEGEND_ROW_PX + 8.0;
        let plot = Plot {
            left,
            top: CAPTION_PX + header_px + 4.0,
            right,
            bottom: (height - legend_px - 14.0).max(CAPTION_PX + header_px + 60.0),
        };
        let mut legend = legend;
        for item in &mut legend {
            item.y = plot.bottom + 24.0 + item.row as f64 * LEGEND_ROW_PX;
        }
        Layout {
            column_x: (0..names.len())
                .map(|index| left + spacing * (index as f64 + 0.5))
                .collect(),
            plot,
            spacing,
            names_rotated,
            name_font_px,
            legend,
        }
    }
}

/// Maps virtual time to content units (relative to an origin) and to the screen.
#[derive(Copy, Clone, Debug)]
struct Scale {
    origin_us: u64,
    px_per_us: f64,
    /// Added to content units to get screen units.
    offset_px: f64,
}

impl Scale {
    fn new(window: Window, plot: &Plot) -> Scale {
        let span_us = window.span_us().max(1);
        // The origin moves a whole span at a time, so most refreshes move only the
        // content's transform and keep every element's coordinates.
        let origin_us = window.start.as_us() / span_us * span_us;
        let px_per_us = (plot.bottom - plot.top) / span_us as f64;
        Scale {
            origin_us,
            px_per_us,
            offset_px: plot.top - (window.start.as_us() - origin_us) as f64 * px_per_us,
        }
    }

    /// Content units, rounded as they are written so equal times give equal strings.
    fn y(&self, time: Time) -> f64 {
        let raw = (time.as_us() as f64 - self.origin_us as f64) * self.px_per_us;
        (raw * 10.0).round() / 10.0
    }

    fn screen_y(&self, time: Time) -> f64 {
        self.y(time) + self.offset_px
    }
}

/// Time-axis ticks: 1, 2 or 5 times a power of ten, about every 56 units.
fn ticks(window: Window, scale: &Scale, plot: &Plot) -> Vec<Tick> {
    let span_us = window.span_us().max(1);
    let wanted = ((plot.bottom - plot.top) / 56.0).max(2.0);
    let raw_us = span_us as f64 / wanted;
    let mut step_us = 1_000u64;
    'search: for power in 0..8 {
        for factor in [1, 2, 5] {
            let candidate = factor * 1_000 * 10u64.pow(power);
            if candidate as f64 >= raw_us {
                step_us = candidate;
                break 'search;
            }
        }
    }
    let decimals = match step_us {
        1_000_000.. => 0,
        100_000.. => 1,
        10_000.. => 2,
        _ => 3,
    };
    let first = window.start.as_us().div_ceil(step_us) * step_us;
    (0..)
        .map(|step| Time::from_us(first + step * step_us))
        .take_while(|&time| time <= window.end)
        .map(|time| Tick {
            time,
            y: scale.y(time),
            label: format!("{:.*} s", decimals, time.as_secs_f64()),
        })
        .collect()
}

fn cross_path(x: f64, y: f64) -> String {
    format!(
        "M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}",
        x - 4.0,
        y - 4.0,
        x + 4.0,
        y + 4.0,
        x - 4.0,
        y + 4.0,
        x + 4.0,
        y - 4.0
    )
}

/// A chevron at `end` pointing away from `start`, appended to the arrow's path.
fn arrow_head(start: (f64, f64), end: (f64, f64)) -> String {
    let (dx, dy) = (end.0 - start.0, end.1 - start.1);
    let length = dx.hypot(dy);
    if length < 2.0 {
        return String::new();
    }
    let (ux, uy) = (dx / length, dy / length);
    let back = (end.0 - 7.0 * ux, end.1 - 7.0 * uy);
    format!(
        "M{:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}",
        back.0 - 3.5 * uy,
        back.1 + 3.5 * ux,
        end.0,
        end.1,
        back.0 + 3.5 * uy,
        back.1 - 3.5 * ux
    )
}

// ---------------------------------------------------------------------------------------
// The diagram
// ---------------------------------------------------------------------------------------

/// What became of a drawn copy by the cursor.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ArrowFate {
    Arrived,
    InFlight,
    Lost,
    Dropped(DropReason),
}

/// One copy of a message on one link. Numbers only: its words and path are written with
/// its markup, which a refresh mostly takes from the cache.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrow {
    /// The hop's place among the run's hops: a stable key.
    pub hop: usize,
    pub msg: MsgId,
    pub from: NodeId,
    pub to: NodeId,
    /// Index of its message kind (its colour, as on the canvas).
    pub kind: usize,
    pub send: Time,
    pub arrive: Time,
    pub fate: ArrowFate,
    pub duplicate: bool,
    /// Where it starts and where it is drawn to, in content units.
    pub start: (f64, f64),
    pub end: (f64, f64),
    /// The ring in the middle of a duplicate copy.
    pub ring: Option<(f64, f64)>,
}

impl Arrow {
    /// `arrow` and its modifiers: `in-flight`, `lost`, `dropped`, `duplicate`.
    pub fn class(&self) -> String {
        let mut class = String::from("arrow");
        match self.fate {
            ArrowFate::InFlight => class.push_str(" in-flight"),
            ArrowFate::Lost => class.push_str(" lost"),
            ArrowFate::Dropped(_) => class.push_str(" dropped"),
            ArrowFate::Arrived => {}
        }
        if self.duplicate {
            class.push_str(" duplicate");
        }
        class
    }

    /// The line, and for a copy that arrived its head, as an SVG path.
    pub fn path(&self) -> String {
        let (start, end) = (self.start, self.end);
        let mut path = format!("M{:.1} {:.1}L{:.1} {:.1}", start.0, start.1, end.0, end.1);
        if self.fate == ArrowFate::Arrived {
            path.push_str(&arrow_head(start, end));
        }
        path
    }

    /// The × where a lost or dropped copy ended.
    pub fn cross(&self) -> Option<String> {
        matches!(self.fate, ArrowFate::Lost | ArrowFate::Dropped(_))
            .then(|| cross_path(self.end.0, self.end.1))
    }
}

/// What a dot stands for, in order of how much it matters (a dot of several events shows
/// the most telling).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DotKind {
    Send,
    Timer,
    Receive,
    Client,
    Role,
}

impl DotKind {
    fn of(what: &Happening) -> DotKind {
        match what {
            Happening::Sent { .. } => DotKind::Send,
            Happening::Received { .. } => DotKind::Receive,
            Happening::TimerFired { .. } => DotKind::Timer,
            Happening::BecameRole { .. } => DotKind::Role,
            Happening::Invoked { .. } | Happening::Completed { .. } => DotKind::Client,
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            DotKind::Send => "event send",
            DotKind::Timer => "event timer",
            DotKind::Receive => "event receive",
            DotKind::Client => "event client-op",
            DotKind::Role => "event role",
        }
    }

    /// The radius at full size; crowded diagrams draw dots smaller.
    pub fn radius(self) -> f64 {
        if self == DotKind::Role {
            4.0
        } else {
            3.0
        }
    }
}

/// A node's events at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct Dot {
    /// The first event's index in the index: a stable key.
    pub event: usize,
    /// The last event's index: the dot's clock is its clock.
    pub last_event: usize,
    pub node: NodeId,
    pub time: Time,
    /// Content units.
    pub x: f64,
    pub y: f64,
    pub kind: DotKind,
    pub r: f64,
    /// How many events it stands for.
    pub count: usize,
    /// The node's role just after.
    pub role: &'static str,
}

/// A block of arrows' or dots' markup, with its key (its place in the run).
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub key: usize,
    pub markup: Rc<str>,
}

/// Arrows and dots are written in blocks of this many hops or events of the run, so the
/// page can key each block by its place: while the window slides, a block's markup stays
/// the same until something in it changes, and only blocks that changed are re-created.
pub const BLOCK_LEN: usize = 256;

/// What settled blocks' markup depends on besides their contents.
#[derive(Copy, Clone, Debug, PartialEq)]
struct ViewKey {
    generation: u64,
    origin_us: u64,
    span_us: u64,
    size: Size,
    dot_shrink: f64,
}

/// Markup of settled blocks for one view, kept across refreshes.
#[derive(Debug, Default)]
struct MarkupCache {
    view: Option<ViewKey>,
    arrows: BTreeMap<usize, Rc<str>>,
    dots: BTreeMap<usize, Rc<str>>,
}

/// Groups `items` (in run order) into blocks by `place / BLOCK_LEN`, taking a settled
/// block's markup from `cache` or writing it there, and writing unsettled ones afresh.
fn build_blocks<T>(
    items: &[T],
    place: impl Fn(&T) -> usize,
    settled: impl Fn(usize, &[T]) -> bool,
    write: impl Fn(&mut String, &T),
    cache: &mut BTreeMap<usize, Rc<str>>,
) -> Vec<Block> {
    // Blocks that slid out of the window will not be asked for again.
    if let Some(first) = items.first() {
        let first_key = place(first) / BLOCK_LEN;
        cache.retain(|&key, _| key >= first_key);
    }
    let mut blocks = Vec::new();
    let mut rest = items;
    while let Some(head) = rest.first() {
        let key = place(head) / BLOCK_LEN;
        let length = rest
            .iter()
            .position(|item| place(item) / BLOCK_LEN != key)
            .unwrap_or(rest.len());
        let (block, after) = rest.split_at(length);
        let settled = settled(key, block);
        let markup = match cache.get(&key) {
            Some(markup) if settled => markup.clone(),
            _ => {
                let mut markup = String::new();
                for item in block {
                    write(&mut markup, item);
                }
                let markup: Rc<str> = Rc::from(markup);
                if settled {
                    cache.insert(key, markup.clone());
                }
                markup
            }
        };
        debug_assert!(
            blocks.last().is_none_or(|last: &Block| last.key < key),
            "blocks come in run order"
        );
        blocks.push(Block { key, markup });
        rest = after;
    }
    blocks
}

/// A node's line with its name.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub node: NodeId,
    pub name: String,
    pub x: f64,
    pub client: bool,
    /// Its role, `down` or `stopped` at the window's end, shown under the name.
    pub now: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    pub time: Time,
    /// Content units.
    pub y: f64,
    pub label: String,
}

/// A network fault's band across the diagram, in content units.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub class: &'static str,
    pub x: f64,
    pub width: f64,
    pub y_top: f64,
    pub y_bottom: f64,
    pub label: String,
    pub label_y: f64,
    pub title: String,
}

/// A node fault on its line: a hatched halt on it, or a coloured band beside it.
#[derive(Clone, Debug, PartialEq)]
pub struct LineSpan {
    pub node: NodeId,
    pub condition: Condition,
    pub class: &'static str,
    pub x: f64,
    pub width: f64,
    pub y_top: f64,
    pub y_bottom: f64,
    pub label: Option<&'static str>,
    pub title: String,
}

/// A restart: a triangle on the line.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    pub node: NodeId,
    pub path: String,
    /// Where the word `restart` goes, when there is room.
    pub label: Option<(f64, f64)>,
    pub title: String,
}

/// An × on a node's line for a copy dropped before it was on any link.
#[derive(Clone, Debug, PartialEq)]
pub struct Cross {
    pub path: String,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RoleLabel {
    pub x: f64,
    pub y: f64,
    pub role: &'static str,
}

/// What a legend entry shows beside its words.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Sample {
    Arrived,
    InFlight,
    Duplicate,
    Lost,
    Dropped,
    Dot(DotKind),
    Halt,
    Restart,
    Condition(Condition),
    Partition,
    Kind(usize),
}

#[derive(Clone, Debug, PartialEq)]
pub struct LegendItem {
    pub sample: Sample,
    pub label: String,
    pub x: f64,
    pub y: f64,
    row: usize,
}

fn legend_items(kinds: &[&'static str], width: f64) -> Vec<LegendItem> {
    let mut entries: Vec<(Sample, String)> = vec![
        (Sample::Arrived, "delivered".into()),
        (Sample::InFlight, "in flight".into()),
        (Sample::Duplicate, "duplicate".into()),
        (Sample::Lost, "lost on a link".into()),
        (Sample::Dropped, "dropped at a node".into()),
        (Sample::Dot(DotKind::Send), "send".into()),
        (Sample::Dot(DotKind::Receive), "receive".into()),
        (Sample::Dot(DotKind::Timer), "timer".into()),
        (Sample::Dot(DotKind::Role), "role change".into()),
        (Sample::Dot(DotKind::Client), "client operation".into()),
        (Sample::Halt, "halted".into()),
        (Sample::Restart, "restart".into()),
        (Sample::Condition(Condition::Slow), "slow".into()),
        (Sample::Condition(Condition::Omission), "omission".into()),
        (Sample::Condition(Condition::ClockSkew), "clock skew".into()),
        (
            Sample::Condition(Condition::Byzantine("")),
            "byzantine".into(),
        ),
        (Sample::Partition, "partition or cut".into()),
    ];
    entries.extend(
        kinds
            .iter()
            .enumerate()
            .map(|(index, kind)| (Sample::Kind(index), kind.to_string())),
    );
    let (mut x, mut row) = (AXIS_PX - 48.0, 0);
    let mut items = Vec::new();
    for (sample, label) in entries {
        let item_px = 28.0 + text_width_px(&label, 10.0) + 12.0;
        if x + item_px > width - RIGHT_PX && x > AXIS_PX - 48.0 {
            x = AXIS_PX - 48.0;
            row += 1;
        }
        items.push(LegendItem {
            sample,
            label,
            x,
            y: 0.0,
            row,
        });
        x += item_px;
    }
    items
}

/// What a diagram was drawn from, so that two drawings of the same data compare equal
/// without comparing every arrow.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
struct Stamp {
    generation: u64,
    consumed: usize,
    last: Option<TraceEvent>,
}

/// A hovered dot, described.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventDetail {
    /// `n1 at 1.234 s`.
    pub heading: String,
    pub what: String,
    /// The node's role and faults then.
    pub state: String,
    /// `[n1:3, n2:5]`.
    pub clock: String,
}

/// A space-time diagram of one window, in SVG user units, ready to draw.
///
/// Coordinates marked *content units* are relative to a time origin; the content group is
/// translated down by [`Diagram::content_offset_px`] to put them on screen.
#[derive(Clone, Debug)]
pub struct Diagram {
    pub title: String,
    pub window: Window,
    pub span_ms: u64,
    pub cursor: Time,
    pub size: Size,
    pub plot: Plot,
    pub content_offset_px: f64,
    pub names_rotated: bool,
    pub name_font_px: f64,
    pub columns: Vec<Column>,
    pub ticks: Vec<Tick>,
    pub bands: Vec<Band>,
    pub spans: Vec<LineSpan>,
    pub restarts: Vec<Marker>,
    pub crosses: Vec<Cross>,
    pub role_labels: Vec<RoleLabel>,
    pub arrows: Vec<Arrow>,
    /// How many hops the window holds, drawn or not.
    pub arrows_total: usize,
    pub dots: Vec<Dot>,
    pub dots_total: usize,
    /// The cursor's line, in screen units, when it is in the window.
    pub cursor_y: Option<f64>,
    pub legend: Vec<LegendItem>,
    /// Said when not everything is drawn.
    pub note: Option<String>,
    /// How much crowded dots were shrunk (1: not at all).
    pub dot_shrink: f64,
    /// The arrows' and dots' markup, in keyed blocks (see [`BLOCK_LEN`]).
    pub arrow_blocks: Vec<Block>,
    pub dot_blocks: Vec<Block>,
    /// The faults in the window, whole, for the detail line.
    node_spans: Vec<NodeSpan>,
    network_spans: Vec<NetworkSpan>,
    names: Vec<String>,
    /// The run's events, shared with the index: for words and clocks of any dot.
    events: Chunked<NodeEvent>,
    stamp: Stamp,
}

/// Two diagrams are equal when drawn from the same data for the same view: comparing
/// that is cheap, comparing thousands of arrows is not.
impl PartialEq for Diagram {
    fn eq(&self, other: &Diagram) -> bool {
        self.stamp == other.stamp
            && self.window == other.window
            && self.cursor == other.cursor
            && self.size == other.size
            && self.title == other.title
    }
}

impl Diagram {
    /// A diagram of no run: the frame alone, saying so.
    pub fn empty(span_ms: u64, size: Size) -> Diagram {
        let layout = Layout::new(&[], &[], size);
        let window = Window::ending_at(Time::ZERO, span_ms);
        Diagram {
            note: Some("no run to draw".into()),
            ..Diagram::frame(window, span_ms, Time::ZERO, size, &layout)
        }
    }

    /// A diagram with its frame laid out and nothing in it yet.
    fn frame(window: Window, span_ms: u64, cursor: Time, size: Size, layout: &Layout) -> Diagram {
        Diagram {
            title: String::new(),
            window,
            span_ms,
            cursor,
            size,
            plot: layout.plot,
            content_offset_px: layout.plot.top,
            names_rotated: layout.names_rotated,
            name_font_px: layout.name_font_px,
            columns: Vec::new(),
            ticks: Vec::new(),
            bands: Vec::new(),
            spans: Vec::new(),
            restarts: Vec::new(),
            crosses: Vec::new(),
            role_labels: Vec::new(),
            arrows: Vec::new(),
            arrows_total: 0,
            dots: Vec::new(),
            dots_total: 0,
            cursor_y: None,
            legend: layout.legend.clone(),
            note: None,
            dot_shrink: 1.0,
            arrow_blocks: Vec::new(),
            dot_blocks: Vec::new(),
            node_spans: Vec::new(),
            network_spans: Vec::new(),
            names: Vec::new(),
            events: Chunked::default(),
            stamp: Stamp::default(),
        }
    }

    /// Counts rebuilds of the index it came from: details of dots stay valid while it
    /// stays the same.
    pub fn generation(&self) -> u64 {
        self.stamp.generation
    }

    /// The caption: `Space-time diagram · partition · 12.000 s – 13.000 s`.
    pub fn caption(&self) -> String {
        let mut caption = String::from("Space-time diagram");
        if !self.title.is_empty() {
            caption.push_str(" · ");
            caption.push_str(&self.title);
        }
        let _ = write!(caption, " · {} – {}", self.window.start, self.window.end);
        caption
    }

    /// The dot that starts at `event`, by its place in [`Diagram::dots`].
    pub fn dot_position(&self, event: usize) -> Option<usize> {
        self.dots.binary_search_by_key(&event, |dot| dot.event).ok()
    }

    /// The dot starting at `event`, described, with its vector clock (computed now: a walk
    /// back through the run's events).
    pub fn detail(&self, event: usize) -> Option<EventDetail> {
        let dot = &self.dots[self.dot_position(event)?];
        let state = NodeState {
            role: dot.role,
            conditions: conditions_at(&self.node_spans, &self.network_spans, dot.node, dot.time),
        };
        let clock = self.events.clock(self.names.len(), dot.last_event);
        Some(EventDetail {
            heading: format!("{} at {}", self.names[dot.node.index()], dot.time),
            what: self.describe(dot),
            state: state.to_string(),
            clock: format_clock(&self.names, &clock),
        })
    }

    /// What happened at a dot, in words: `received vote m12 from n2; became leader`.
    pub fn describe(&self, dot: &Dot) -> String {
        let events = (dot.event..=dot.last_event).map(|index| self.events.get(index));
        describe_events(events, &self.names)
    }

    /// The dot the arrow keys move to from the dot at `position`: up and down along the
    /// same line, left and right to the nearest moment on the next line that has dots.
    pub fn neighbour(&self, position: usize, towards: Towards) -> Option<usize> {
        let here = self.dots.get(position)?;
        let column = here.node.index();
        match towards {
            Towards::Earlier => (0..position)
                .rev()
                .find(|&other| self.dots[other].node == here.node),
            Towards::Later => {
                (position + 1..self.dots.len()).find(|&other| self.dots[other].node == here.node)
            }
            Towards::Left | Towards::Right => {
                let mut columns: Box<dyn Iterator<Item = usize>> = if towards == Towards::Left {
                    Box::new((0..column).rev())
                } else {
                    Box::new(column + 1..self.columns.len())
                };
                columns.find_map(|next| {
                    self.dots
                        .iter()
                        .enumerate()
                        .filter(|(_, dot)| dot.node.index() == next)
                        .min_by_key(|(_, dot)| dot.time.as_us().abs_diff(here.time.as_us()))
                        .map(|(other, _)| other)
                })
            }
        }
    }
}

/// Where an arrow key moves among the dots.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Towards {
    Earlier,
    Later,
    Left,
    Right,
}

// ---------------------------------------------------------------------------------------
// Markup
// ---------------------------------------------------------------------------------------

/// Text made safe for SVG content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A time as the `data-*-ms` attributes write it: milliseconds, exact to the microsecond.
pub fn ms_attribute(time: Time) -> String {
    time.as_ms_f64().to_string()
}

/// The parts of the drawing that do not move with time: definitions, caption, names,
/// node lines and legend. The page and the export both write them with this.
pub fn frame_markup(diagram: &Diagram) -> String {
    let mut out = String::new();
    let plot = &diagram.plot;
    let _ = write!(
        out,
        "<defs><pattern id=\"st-hatch\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect class=\"st-hatch-stripe\" width=\"2.5\" height=\"5\"/></pattern>\
         <clipPath id=\"st-clip\"><rect x=\"0\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"/></clipPath>\
         <clipPath id=\"st-clip-axis\"><rect x=\"0\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"/></clipPath></defs>",
        plot.top,
        diagram.size.width_px,
        plot.bottom - plot.top,
        plot.top - 8.0,
        plot.left,
        plot.bottom - plot.top + 16.0
    );
    let _ = write!(
        out,
        "<text class=\"st-caption\" x=\"{:.1}\" y=\"15\">{}</text>",
        8.0,
        escape(&diagram.caption())
    );
    let _ = write!(
        out,
        "<text class=\"st-axis-title\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">time ↓</text>",
        plot.left - 8.0,
        plot.top - 8.0
    );
    for column in &diagram.columns {
        let name = escape(&column.name);
        if diagram.names_rotated {
            let _ = write!(
                out,
                "<text class=\"st-name\" transform=\"translate({:.1} {:.1}) rotate(-90)\" style=\"font-size:{:.1}px\">{name}</text>",
                column.x + diagram.name_font_px * 0.35,
                plot.top - 6.0,
                diagram.name_font_px
            );
        } else {
            let _ = write!(
                out,
                "<text class=\"st-name\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{name}</text>\
                 <text class=\"st-role-now\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                column.x,
                plot.top - 18.0,
                column.x,
                plot.top - 6.0,
                escape(&column.now)
            );
        }
        let _ = write!(
            out,
            "<line class=\"st-node-line{}\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"><title>{name}</title></line>",
            if column.client { " client" } else { "" },
            plot.top,
            plot.bottom,
            x = column.x
        );
    }
    if diagram.columns.is_empty() {
        let _ = write!(
            out,
            "<text class=\"st-empty\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">No run to draw yet.</text>",
            (plot.left + plot.right) / 2.0,
            (plot.top + plot.bottom) / 2.0
        );
    }
    for item in &diagram.legend {
        write_sample(&mut out, item.sample, item.x, item.y);
        let _ = write!(
            out,
            "<text class=\"st-legend\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            item.x + 28.0,
            item.y + 3.5,
            escape(&item.label)
        );
    }
    out
}

fn write_sample(out: &mut String, sample: Sample, x: f64, y: f64) {
    let line = |class: &str| {
        format!(
            "<path class=\"st-sample {class}\" d=\"M{:.1} {y:.1}L{:.1} {y:.1}\"/>",
            x,
            x + 20.0
        )
    };
    let _ = match sample {
        Sample::Arrived => write!(
            out,
            "<path class=\"st-sample\" d=\"M{:.1} {y:.1}L{:.1} {y:.1}{}\"/>",
            x,
            x + 20.0,
            arrow_head((x, y), (x + 20.0, y))
        ),
        Sample::InFlight => out.write_str(&line("in-flight")),
        Sample::Duplicate => out.write_str(&line("duplicate")),
        Sample::Lost => write!(
            out,
            "<path class=\"st-sample\" d=\"M{:.1} {y:.1}L{:.1} {y:.1}\"/><path class=\"st-cross\" d=\"{}\"/>",
            x,
            x + 12.0,
            cross_path(x + 12.0, y)
        ),
        Sample::Dropped => write!(
            out,
            "{}<path class=\"st-cross\" d=\"{}\"/>",
            line(""),
            cross_path(x + 20.0, y)
        ),
        Sample::Dot(kind) => write!(
            out,
            "<circle class=\"{}\" cx=\"{:.1}\" cy=\"{y:.1}\" r=\"{}\"/>",
            kind.class().replace("event", "event-sample"),
            x + 10.0,
            kind.radius()
        ),
        Sample::Halt => write!(
            out,
            "<rect class=\"st-halt\" x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"12\"/>",
            x + 6.0,
            y - 6.0
        ),
        Sample::Restart => write!(
            out,
            "<path class=\"st-restart\" d=\"M{:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z\"/>",
            x + 5.0,
            y + 4.0,
            x + 15.0,
            y + 4.0,
            x + 10.0,
            y - 5.0
        ),
        Sample::Condition(condition) => write!(
            out,
            "<rect class=\"{}\" x=\"{:.1}\" y=\"{:.1}\" width=\"4\" height=\"12\"/>",
            condition.class(),
            x + 8.0,
            y - 6.0
        ),
        Sample::Partition => write!(
            out,
            "<rect class=\"st-band partition\" x=\"{:.1}\" y=\"{:.1}\" width=\"20\" height=\"12\"/>",
            x,
            y - 6.0
        ),
        Sample::Kind(kind) => write!(
            out,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"20\" height=\"4\" rx=\"2\" fill=\"{}\"/>",
            x,
            y - 2.0,
            kind_colour(kind)
        ),
    };
}

/// The time axis's labels, in content units, clipped to the strip left of the plot (a
/// little taller than the plot, so the labels at its edges show whole).
pub fn axis_markup(diagram: &Diagram) -> String {
    let mut out = String::new();
    for tick in &diagram.ticks {
        let _ = write!(
            out,
            "<text class=\"st-tick-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            diagram.plot.left - 8.0,
            tick.y + 3.5,
            escape(&tick.label),
        );
    }
    out
}

/// What lies under the arrows, in content units: grid lines, fault bands and marks, drops
/// before any link, and role labels.
pub fn backdrop_markup(diagram: &Diagram) -> String {
    let mut out = String::new();
    let plot = &diagram.plot;
    for tick in &diagram.ticks {
        let _ = write!(
            out,
            "<line class=\"st-tick\" x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/>",
            plot.left - 4.0,
            plot.right,
            y = tick.y
        );
    }
    for band in &diagram.bands {
        let _ = write!(
            out,
            "<rect class=\"{}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{}</title></rect>\
             <text class=\"st-band-label\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            band.class,
            band.x,
            band.y_top,
            band.width,
            band.y_bottom - band.y_top,
            escape(&band.title),
            band.x + 4.0,
            band.label_y,
            escape(&band.label)
        );
    }
    for span in &diagram.spans {
        let _ = write!(
            out,
            "<rect class=\"{}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{}</title></rect>",
            span.class,
            span.x,
            span.y_top,
            span.width,
            span.y_bottom - span.y_top,
            escape(&span.title)
        );
        if let Some(label) = span.label {
            let _ = write!(
                out,
                "<text class=\"st-condition-label\" x=\"{:.1}\" y=\"{:.1}\">{label}</text>",
                span.x + span.width + 2.0,
                span.y_top + 10.0
            );
        }
    }
    for marker in &diagram.restarts {
        let _ = write!(
            out,
            "<path class=\"st-restart\" d=\"{}\"><title>{}</title></path>",
            marker.path,
            escape(&marker.title)
        );
        if let Some((x, y)) = marker.label {
            let _ = write!(
                out,
                "<text class=\"st-restart-label\" x=\"{x:.1}\" y=\"{y:.1}\">restart</text>"
            );
        }
    }
    for cross in &diagram.crosses {
        let _ = write!(
            out,
            "<path class=\"st-cross\" d=\"{}\"><title>{}</title></path>",
            cross.path,
            escape(&cross.title)
        );
    }
    for label in &diagram.role_labels {
        let _ = write!(
            out,
            "<text class=\"st-role-label\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            label.x,
            label.y,
            escape(label.role)
        );
    }
    out
}

/// What lies over everything, in screen units: the cursor's line and the cap's note.
pub fn overlay_markup(diagram: &Diagram) -> String {
    let mut out = String::new();
    let plot = &diagram.plot;
    if let Some(y) = diagram.cursor_y {
        let _ = write!(
            out,
            "<line class=\"st-cursor\" x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"st-cursor-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">cursor {}</text>",
            plot.left,
            plot.right,
            plot.right - 2.0,
            y - 4.0,
            diagram.cursor
        );
    }
    if let Some(note) = &diagram.note {
        let width = text_width_px(note, FONT_PX) + 12.0;
        let _ = write!(
            out,
            "<g class=\"st-note\"><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"18\" rx=\"3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
            plot.right - width - 4.0,
            plot.top + 4.0,
            plot.right - width + 2.0,
            plot.top + 16.5,
            escape(note)
        );
    }
    out
}

/// One arrow: a single path of class `arrow` (and its modifiers) with `data-msg`, its head
/// part of the path; then the ring or × it may carry, as siblings.
///
/// An arrow has no tooltip of its own: on a busy run the page re-creates thousands of
/// arrows a second, and a tooltip each would more than double that work. The dots at
/// both ends say what was sent and received, by whom and when.
pub fn arrow_markup(out: &mut String, arrow: &Arrow) {
    let colour = kind_colour(arrow.kind);
    let _ = write!(
        out,
        "<path class=\"{}\" data-msg=\"{}\" data-send-ms=\"{}\" stroke=\"{colour}\" d=\"{}\"/>",
        arrow.class(),
        arrow.msg.0,
        ms_attribute(arrow.send),
        arrow.path()
    );
    if let Some((x, y)) = arrow.ring {
        let _ = write!(
            out,
            "<circle class=\"st-duplicate-ring\" stroke=\"{colour}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2.5\"/>"
        );
    }
    if let Some(cross) = arrow.cross() {
        let _ = write!(out, "<path class=\"st-cross\" d=\"{cross}\"/>");
    }
}

/// One dot: a circle of class `event` with `data-time-ms` (and `data-event`, which the
/// page's pointer and keys use to find it), holding its tooltip.
pub fn dot_markup(out: &mut String, diagram: &Diagram, dot: &Dot) {
    let _ = write!(
        out,
        "<circle class=\"{}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{}\" data-event=\"{}\" data-time-ms=\"{}\"><title>{} at {}: {}</title></circle>",
        dot.kind.class(),
        dot.x,
        dot.y,
        dot.r,
        dot.event,
        ms_attribute(dot.time),
        diagram.names[dot.node.index()],
        dot.time,
        diagram.describe(dot)
    );
}

/// The colours of the export, where the page's CSS variables are not at hand.
const EXPORT_STYLE: &str = "\
svg{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}\
text{fill:#1d2330;font-size:11px}\
.st-background{fill:#ffffff}\
.st-caption{font-size:12px;font-weight:600}\
.st-axis-title,.st-tick-label,.st-role-now,.st-legend,.st-empty{fill:#5f6b7a;font-size:10px}\
.st-name{font-weight:600}\
.st-node-line{stroke:#1d2330;stroke-width:1.2}\
.st-node-line.client{stroke:#5f6b7a;stroke-dasharray:2 3}\
.st-tick{stroke:#d8dee6;stroke-width:1}\
.st-band{fill:#2b7bd9;fill-opacity:0.08;stroke:#2b7bd9;stroke-opacity:0.35}\
.st-band.partition{fill:#8a4fd6;fill-opacity:0.12;stroke:#8a4fd6}\
.st-band-label{fill:#8a4fd6;font-size:10px;font-weight:600}\
.st-hatch-stripe{fill:#b3261e}\
.st-halt{fill:url(#st-hatch);stroke:#b3261e;stroke-width:1}\
.st-condition{stroke:none}\
.st-condition.slow{fill:#d98e04}\
.st-condition.omission{fill:#8a4fd6}\
.st-condition.skew{fill:#0f8b8d}\
.st-condition.byzantine{fill:#c2185b}\
.st-condition-label,.st-restart-label,.st-role-label{font-size:9px;fill:#5f6b7a}\
.st-band-label,.st-condition-label,.st-restart-label,.st-role-label,.st-cursor-label{paint-order:stroke;stroke:#ffffff;stroke-width:3px;stroke-linejoin:round}\
.st-role-label{fill:#2b7bd9;font-weight:600}\
.st-restart{fill:#1f7a45}\
.st-cross{stroke:#b3261e;stroke-width:1.8;fill:none}\
.arrow{fill:none;stroke-width:1.2}\
.arrow.in-flight{stroke-opacity:0.55}\
.arrow.duplicate{stroke-dasharray:4 3}\
.st-duplicate-ring{fill:#ffffff;stroke-width:1.2}\
.event{stroke:#1d2330;stroke-width:1}\
.event.send,.event-sample.send{fill:#ffffff;stroke:#1d2330}\
.event.receive,.event-sample.receive{fill:#1d2330;stroke:#1d2330}\
.event.timer,.event-sample.timer{fill:#5f6b7a;stroke:#5f6b7a}\
.event.client-op,.event-sample.client-op{fill:#e08a1e;stroke:#1d2330}\
.event.role,.event-sample.role{fill:#2b7bd9;stroke:#1d2330}\
.st-sample{fill:none;stroke:#1d2330;stroke-width:1.2}\
.st-sample.in-flight{stroke-opacity:0.55}\
.st-sample.duplicate{stroke-dasharray:4 3}\
.st-cursor{stroke:#2b7bd9;stroke-width:1.5}\
.st-cursor-label{fill:#2b7bd9;font-size:10px;font-weight:600}\
.st-note rect{fill:#fde8e6;stroke:#b3261e}\
.st-note text{fill:#7a1c14;font-size:11px}";

/// The diagram as a standalone SVG document: its own styles, a title, the axis and the
/// legend, viewable in a browser alone.
pub fn to_svg(diagram: &Diagram) -> String {
    let Size {
        width_px,
        height_px,
    } = diagram.size;
    let blocks_len: usize = (diagram.arrow_blocks.iter().chain(&diagram.dot_blocks))
        .map(|block| block.markup.len())
        .sum();
    let mut out = String::with_capacity(blocks_len + 16_384);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" class=\"spacetime-svg\" width=\"{width_px:.0}\" height=\"{height_px:.0}\" viewBox=\"0 0 {width_px:.0} {height_px:.0}\" \
         data-window-start-ms=\"{}\" data-window-end-ms=\"{}\" data-arrows-total=\"{}\">\n\
         <title>{}</title>\n<style>{EXPORT_STYLE}</style>\n\
         <rect class=\"st-background\" width=\"100%\" height=\"100%\"/>\n",
        ms_attribute(diagram.window.start),
        ms_attribute(diagram.window.end),
        diagram.arrows_total,
        escape(&diagram.caption())
    );
    out.push_str(&frame_markup(diagram));
    let _ = write!(
        out,
        "\n<g clip-path=\"url(#st-clip-axis)\"><g transform=\"translate(0 {offset:.1})\">{}</g></g>\n\
         <g clip-path=\"url(#st-clip)\"><g transform=\"translate(0 {offset:.1})\">\n",
        axis_markup(diagram),
        offset = diagram.content_offset_px
    );
    out.push_str(&backdrop_markup(diagram));
    out.push('\n');
    for block in diagram.arrow_blocks.iter().chain(&diagram.dot_blocks) {
        out.push_str(&block.markup);
        out.push('\n');
    }
    out.push_str("</g></g>\n");
    out.push_str(&overlay_markup(diagram));
    out.push_str("\n</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::player::Player;
    use dsplay_sim::build;

    fn scenario(json: &str) -> Scenario {
        Scenario::from_json(json).unwrap()
    }

    fn partition() -> Scenario {
        scenario(include_str!("../scenarios/partition.json"))
    }

    fn crash_recovery() -> Scenario {
        scenario(include_str!("../scenarios/crash-recovery.json"))
    }

    /// A player at `ms`, with an index fed from it.
    fn indexed(scenario: Scenario, ms: u64) -> (Player, SpaceTimeIndex) {
        let mut player = Player::new(scenario).unwrap();
        player.pause();
        player.seek(Time::from_ms(ms));
        let mut index = SpaceTimeIndex::new();
        index.update(player.engine(), player.scenario());
        (player, index)
    }

    /// The hops of the trace sent in the window, straight from the trace.
    fn hops_sent_in(trace: &[TraceEvent], window: Window) -> Vec<MsgId> {
        trace
            .iter()
            .filter_map(|event| match *event {
                TraceEvent::Hop { time, msg, .. } if window.contains(time) => Some(msg),
                _ => None,
            })
            .collect()
    }

    fn column(index: &SpaceTimeIndex, name: &str) -> NodeId {
        index.node_named(name).unwrap()
    }

    #[test]
    fn every_hop_sent_in_the_window_is_one_arrow() {
        for (cursor_ms, span_ms) in [(6_000, 1_000), (400, 1_000), (12_345, 250), (9_000, 5_000)] {
            let (player, index) = indexed(partition(), cursor_ms);
            let diagram = index.diagram(player.cursor(), span_ms, Size::default());
            let expected = hops_sent_in(player.engine().trace(), diagram.window);
            assert!(!expected.is_empty(), "at {cursor_ms} ms");
            assert_eq!(diagram.arrows_total, expected.len());
            let drawn: Vec<MsgId> = diagram.arrows.iter().map(|arrow| arrow.msg).collect();
            assert_eq!(drawn, expected, "the same hops, in trace order");
            assert!(diagram.note.is_none());
        }
    }

    #[test]
    fn the_window_ends_at_the_cursor_or_starts_at_zero() {
        assert_eq!(
            Window::ending_at(Time::from_ms(6_000), 1_000),
            Window {
                start: Time::from_ms(5_000),
                end: Time::from_ms(6_000)
            }
        );
        assert_eq!(
            Window::ending_at(Time::from_ms(300), 1_000),
            Window {
                start: Time::ZERO,
                end: Time::from_ms(1_000)
            }
        );
        let (player, index) = indexed(partition(), 300);
        let diagram = index.diagram(player.cursor(), 1_000, Size::default());
        let cursor_y = diagram.cursor_y.expect("the cursor is in the window");
        let third = diagram.plot.top + (diagram.plot.bottom - diagram.plot.top) * 0.3;
        assert!((cursor_y - third).abs() < 0.5, "{cursor_y} vs {third}");
    }

    #[test]
    fn more_hops_than_the_cap_draw_the_first_and_say_so() {
        let stress = scenario(include_str!("../scenarios/stress-grid.json"));
        let (player, index) = indexed(stress, 20_000);
        let diagram = index.diagram(player.cursor(), 20_000, Size::default());
        let expected = hops_sent_in(player.engine().trace(), diagram.window);
        assert!(expected.len() > MAX_ARROWS, "{} hops", expected.len());
        assert_eq!(diagram.arrows_total, expected.len());
        assert_eq!(diagram.arrows.len(), MAX_ARROWS);
        let drawn: Vec<MsgId> = diagram.arrows.iter().map(|arrow| arrow.msg).collect();
        assert_eq!(drawn, expected[..MAX_ARROWS]);
        let note = diagram.note.clone().unwrap();
        assert!(
            note.starts_with(&format!(
                "showing {MAX_ARROWS} of {} messages — zoom in",
                expected.len()
            )),
            "{note}"
        );
        assert!(diagram.names_rotated, "a hundred names stand up");
        assert!(overlay_markup(&diagram).contains("zoom in"));
    }

    #[test]
    fn a_lost_copy_ends_halfway_with_a_mark() {
        // The ring's link n4–n5 loses some of what it carries.
        let (player, index) = indexed(scenario(crate::DEFAULT_SCENARIO), 20_000);
        let diagram = index.diagram(player.cursor(), 20_000, Size::default());
        let lost: Vec<&Arrow> = diagram
            .arrows
            .iter()
            .filter(|arrow| arrow.fate == ArrowFate::Lost)
            .collect();
        assert!(!lost.is_empty());
        for arrow in lost {
            let hop = &index.hops[arrow.hop];
            let target_x = diagram.columns[hop.to.index()].x;
            let halfway_x = (arrow.start.0 + target_x) / 2.0;
            assert!((arrow.end.0 - halfway_x).abs() < 0.2, "{arrow:?}");
            assert!(arrow.cross().is_some(), "an × marks where it vanished");
            assert!(arrow.class().split(' ').any(|class| class == "lost"));
            assert_eq!(arrow.path().matches('M').count(), 1, "a line with no head");
        }
    }

    #[test]
    fn a_copy_reaching_a_crashed_node_ends_at_its_line_with_a_mark() {
        let (player, index) = indexed(crash_recovery(), 6_000);
        let n1 = column(&index, "n1");
        let diagram = index.diagram(player.cursor(), 2_000, Size::default());
        let dropped: Vec<&Arrow> = diagram
            .arrows
            .iter()
            .filter(|arrow| arrow.fate == ArrowFate::Dropped(DropReason::NodeDown))
            .collect();
        assert!(!dropped.is_empty(), "n1 is down from 4 s to 9 s");
        for arrow in dropped {
            assert_eq!(arrow.end.0, diagram.columns[n1.index()].x);
            assert!(arrow.cross().is_some());
            assert!(arrow.class().split(' ').any(|class| class == "dropped"));
        }
    }

    #[test]
    fn duplicate_copies_are_dashed_and_marked() {
        let (player, index) = indexed(scenario(crate::DEFAULT_SCENARIO), 20_000);
        let diagram = index.diagram(player.cursor(), 20_000, Size::default());
        let duplicates: Vec<&Arrow> = diagram
            .arrows
            .iter()
            .filter(|arrow| arrow.duplicate)
            .collect();
        assert!(!duplicates.is_empty(), "the ring has a duplicating link");
        assert!(duplicates.iter().all(|arrow| arrow.ring.is_some()
            && arrow.class().split(' ').any(|class| class == "duplicate")));
    }

    #[test]
    fn copies_on_their_way_are_drawn_up_to_the_cursor() {
        let (player, index) = indexed(partition(), 6_000);
        let diagram = index.diagram(player.cursor(), 1_000, Size::default());
        let cursor_y = diagram.cursor_y.unwrap() - diagram.content_offset_px;
        let in_flight: Vec<&Arrow> = diagram
            .arrows
            .iter()
            .filter(|arrow| arrow.fate == ArrowFate::InFlight)
            .collect();
        assert_eq!(
            in_flight.len(),
            player.flights().active(player.cursor()).count()
        );
        for arrow in in_flight {
            assert!((arrow.end.1 - cursor_y).abs() < 0.2, "{arrow:?}");
        }
    }

    #[test]
    fn a_delivery_merges_the_senders_clock() {
        let (_, index) = indexed(partition(), 3_000);
        let (delivery, event) = (0..index.event_count())
            .rev()
            .map(|position| (position, index.events.get(position)))
            .find(|(_, event)| {
                matches!(event.what, Happening::Received { from, .. } if from != event.node)
            })
            .unwrap();
        let receiver = event.node;
        let send = event.cause as usize;
        let before = (0..delivery)
            .rev()
            .find(|&earlier| index.events.get(earlier).node == receiver)
            .unwrap();
        // The receiver's clock just before, merged with the sender's at the send, then
        // one more tick of the receiver's own.
        let mut expected: Vec<u32> = index
            .vector_clock(before)
            .into_iter()
            .zip(index.vector_clock(send))
            .map(|(mine, theirs)| mine.max(theirs))
            .collect();
        expected[receiver.index()] += 1;
        assert_eq!(index.vector_clock(delivery), expected);
        let sender = index.events.get(send).node;
        assert!(
            index.vector_clock(before)[sender.index()] < expected[sender.index()],
            "the delivery taught the receiver something of the sender"
        );
    }

    #[test]
    fn vector_clocks_match_a_replay_of_the_whole_trace() {
        // The walk back must agree with the textbook forward rule at every event.
        let (_, index) = indexed(partition(), 2_000);
        let nodes = index.names().len();
        let mut clocks: Vec<Vec<u32>> = vec![vec![0; nodes]; nodes];
        let mut at_event: Vec<Vec<u32>> = Vec::new();
        for position in 0..index.event_count() {
            let step = index.events.get(position).step();
            let node = step.node as usize;
            if step.cause != NONE {
                let sent = at_event[step.cause as usize].clone();
                for (mine, theirs) in clocks[node].iter_mut().zip(sent) {
                    *mine = (*mine).max(theirs);
                }
            }
            clocks[node][node] += 1;
            at_event.push(clocks[node].clone());
        }
        for position in (0..index.event_count()).step_by(7) {
            assert_eq!(
                index.vector_clock(position),
                at_event[position],
                "event {position}"
            );
        }
    }

    #[test]
    fn a_clock_is_written_with_node_names_leaving_out_zeros() {
        let names: Vec<String> = ["r1", "r2", "c1", "c2"].map(String::from).to_vec();
        assert_eq!(format_clock(&names, &[3, 5, 1, 0]), "[r1:3, r2:5, c1:1]");
    }

    #[test]
    fn a_hovered_dot_tells_what_happened_the_nodes_state_and_its_clock() {
        let (player, index) = indexed(crash_recovery(), 3_000);
        let diagram = index.diagram(player.cursor(), 1_000, Size::default());
        let dot = diagram
            .dots
            .iter()
            .find(|dot| dot.kind == DotKind::Receive && !index.clients[dot.node.index()])
            .unwrap();
        let detail = diagram.detail(dot.event).unwrap();
        let name = &index.names()[dot.node.index()];
        assert_eq!(detail.heading, format!("{name} at {}", dot.time));
        assert!(detail.what.contains("received"), "{}", detail.what);
        assert!(
            ["leader", "follower", "candidate"]
                .iter()
                .any(|role| detail.state.starts_with(role)),
            "{}",
            detail.state
        );
        let clock = index.vector_clock(dot.last_event);
        assert_eq!(detail.clock, format_clock(index.names(), &clock));
        assert!(detail.clock.contains(&format!("{name}:")));
    }

    #[test]
    fn a_crash_marks_the_node_line_until_restart() {
        let (player, index) = indexed(crash_recovery(), 10_000);
        let n1 = column(&index, "n1");
        let diagram = index.diagram(player.cursor(), 10_000, Size::default());
        let halt = diagram
            .spans
            .iter()
            .find(|span| span.node == n1 && span.condition == Condition::Halted)
            .expect("n1's crash is drawn");
        let scale = Scale::new(diagram.window, &diagram.plot);
        assert_eq!(halt.y_top, scale.y(Time::from_ms(4_000)));
        assert_eq!(halt.y_bottom, scale.y(Time::from_ms(9_000)));
        let x = diagram.columns[n1.index()].x;
        assert!(halt.x < x && x < halt.x + halt.width, "on the line");
        assert_eq!(diagram.restarts.len(), 1, "the crash's end restarts n1");
        assert_eq!(diagram.restarts[0].node, n1);
        assert_eq!(
            index.node_state_at(n1, Time::from_ms(5_000)).conditions,
            ["down (crashed)"]
        );
        assert!(index
            .node_state_at(n1, Time::from_ms(9_500))
            .conditions
            .is_empty());
        // While it is down, the crash reaches the cursor and no further.
        let (player, index) = indexed(crash_recovery(), 6_000);
        let diagram = index.diagram(player.cursor(), 5_000, Size::default());
        let halt = diagram.spans.iter().find(|span| span.node == n1).unwrap();
        assert_eq!(
            halt.y_bottom + diagram.content_offset_px,
            diagram.cursor_y.unwrap()
        );
        assert_eq!(diagram.columns[n1.index()].now, "down");
    }

    #[test]
    fn a_fail_stop_lasts_to_the_end_of_the_run() {
        let fail_stop = scenario(include_str!("../scenarios/fail-stop.json"));
        let (_, index) = indexed(fail_stop, 19_900);
        let n1 = column(&index, "n1");
        let state = index.node_state_at(n1, Time::from_ms(19_000));
        assert_eq!(
            state.conditions,
            ["stopped for good"],
            "even after the heal"
        );
        assert!(index.restarts.is_empty());
    }

    #[test]
    fn slow_skewed_and_byzantine_nodes_get_labelled_side_bands() {
        let temporal = scenario(include_str!("../scenarios/temporal.json"));
        let (player, index) = indexed(temporal, 8_000);
        let diagram = index.diagram(player.cursor(), 10_000, Size::default());
        let (ns2, ns3) = (column(&index, "ns2"), column(&index, "ns3"));
        let slow = diagram.spans.iter().find(|span| span.node == ns3).unwrap();
        assert_eq!(
            (slow.condition, slow.label),
            (Condition::Slow, Some("slow"))
        );
        let skew = diagram.spans.iter().find(|span| span.node == ns2).unwrap();
        assert_eq!(skew.condition, Condition::ClockSkew);
        assert!(slow.x > diagram.columns[ns3.index()].x, "beside the line");
        assert_eq!(
            index.node_state_at(ns3, Time::from_ms(7_000)).to_string(),
            format!("{}; slow", index.role_at(ns3, Time::from_ms(7_000)))
        );
        let byzantine = scenario(include_str!("../scenarios/byzantine.json"));
        let (player, index) = indexed(byzantine, 5_000);
        let diagram = index.diagram(player.cursor(), 5_000, Size::default());
        assert!(diagram
            .spans
            .iter()
            .any(|span| span.condition == Condition::Byzantine("equivocate")));
    }

    #[test]
    fn a_partition_shades_a_band_across_the_diagram_over_its_interval() {
        let (player, index) = indexed(partition(), 14_000);
        let diagram = index.diagram(player.cursor(), 10_000, Size::default());
        assert_eq!(diagram.bands.len(), 1);
        let band = &diagram.bands[0];
        let scale = Scale::new(diagram.window, &diagram.plot);
        assert_eq!(band.y_top, scale.y(Time::from_ms(5_000)));
        assert_eq!(band.y_bottom, scale.y(Time::from_ms(12_000)));
        assert_eq!(band.width, diagram.plot.right - diagram.plot.left);
        assert_eq!(band.label, "partition {n1, n2, alice} | rest");
        let n4 = column(&index, "n4");
        assert!(index
            .node_state_at(n4, Time::from_ms(6_000))
            .conditions
            .contains(&band.label));
    }

    #[test]
    fn faults_drawn_from_a_fault_profile_are_matched_by_their_place_in_the_schedule() {
        let mut feed = crate::presets::scenario("sequential-feed");
        feed.fault_profile = Some(dsplay_sim::sweep::FaultProfile {
            crashes: 1,
            ..Default::default()
        });
        feed.faults = vec![FaultSpec {
            at_ms: 500.0,
            until_ms: Some(900.0),
            fault: FaultKindSpec::Slow {
                node: "r2".into(),
                delay_ms: 50.0,
            },
        }];
        let (_, index) = indexed(feed, 15_000);
        let crash = index
            .node_spans
            .iter()
            .find(|span| span.condition == Condition::Halted)
            .expect("the drawn crash");
        // The engine's own words for its first fault name the same node.
        let text = index
            .run
            .as_ref()
            .map(|run| build(run).unwrap())
            .map(|mut engine| {
                engine.run_until(Time::from_ms(15_000)).unwrap();
                engine.trace_text()
            });
        let crashed = &index.names()[crash.node.index()];
        assert!(
            text.unwrap()
                .contains(&format!("fault   begin crash {crashed}")),
            "{crashed}"
        );
        let slow = index
            .node_spans
            .iter()
            .find(|span| span.condition == Condition::Slow)
            .unwrap();
        assert_eq!(index.names()[slow.node.index()], "r2");
        assert_eq!(slow.begin, Time::from_ms(500));
    }

    #[test]
    fn role_changes_are_dots_and_labels_on_the_line() {
        let (player, index) = indexed(crash_recovery(), 6_000);
        let diagram = index.diagram(player.cursor(), 5_000, Size::default());
        // n1 crashed at 4 s: someone else became leader after it.
        let new_leader = diagram
            .dots
            .iter()
            .find(|dot| {
                dot.kind == DotKind::Role && dot.role == "leader" && dot.time > Time::from_ms(4_000)
            })
            .expect("a new leader");
        assert!(diagram.describe(new_leader).contains("became leader"));
        assert!(diagram
            .role_labels
            .iter()
            .any(|label| label.role == "leader"));
    }

    #[test]
    fn a_nodes_events_at_one_moment_make_one_dot() {
        let (player, index) = indexed(partition(), 2_000);
        let diagram = index.diagram(player.cursor(), 2_000, Size::default());
        let shown: usize = diagram.dots.iter().map(|dot| dot.count).sum();
        let window = diagram.window;
        let events = (0..index.event_count())
            .filter(|&position| window.contains(index.events.get(position).time))
            .count();
        assert_eq!(shown, events, "every event in the window is in some dot");
        let broadcast = diagram
            .dots
            .iter()
            .find(|dot| dot.count > 2)
            .expect("a heartbeat");
        let what = diagram.describe(broadcast);
        assert!(what.contains("sent"), "{what}");
        assert!(diagram
            .dots
            .windows(2)
            .all(|pair| pair[0].event < pair[1].event && pair[0].time <= pair[1].time));
    }

    #[test]
    fn a_rewound_run_is_reindexed() {
        let (mut player, mut index) = indexed(partition(), 8_000);
        let before = index.generation;
        player.seek(Time::from_ms(3_000));
        index.update(player.engine(), player.scenario());
        assert_eq!(index.generation, before + 1, "rebuilt");
        let (fresh_player, fresh) = indexed(partition(), 3_000);
        assert_eq!(index.event_count(), fresh.event_count());
        let view = |index: &SpaceTimeIndex, player: &Player| {
            index.diagram(player.cursor(), 2_000, Size::default())
        };
        assert_eq!(
            view(&index, &player).arrows,
            view(&fresh, &fresh_player).arrows
        );
        assert_eq!(view(&index, &player).dots, view(&fresh, &fresh_player).dots);
        // Another run, even a longer one, is noticed too.
        let (other, _) = indexed(crash_recovery(), 9_000);
        index.update(other.engine(), other.scenario());
        assert_eq!(index.generation, before + 2);
        assert!(index
            .node_spans
            .iter()
            .any(|span| span.condition == Condition::Halted));
    }

    #[test]
    fn feeding_the_trace_bit_by_bit_gives_the_same_diagram() {
        let mut player = Player::new(crash_recovery()).unwrap();
        player.pause();
        let mut index = SpaceTimeIndex::new();
        for ms in (0..=10_000).step_by(137) {
            player.seek(Time::from_ms(ms));
            index.update(player.engine(), player.scenario());
        }
        assert_eq!(index.generation, 1, "going forward never rebuilds");
        let (_, whole) = indexed(crash_recovery(), player.cursor().as_us() / 1_000);
        assert_eq!(index.hops, whole.hops);
        let events = |index: &SpaceTimeIndex| -> Vec<NodeEvent> {
            (0..index.event_count())
                .map(|position| index.events.get(position))
                .collect()
        };
        assert_eq!(events(&index), events(&whole));
        assert_eq!(index.node_spans, whole.node_spans);
        assert_eq!(index.in_transit, whole.in_transit);
        // Moving a node on the canvas changes nothing the run depends on.
        let mut moved = player.scenario().clone();
        moved.nodes[0].x += 40.0;
        index.update(player.engine(), &moved);
        assert_eq!(index.generation, 1);
    }

    #[test]
    fn copies_in_transit_are_only_those_still_on_their_way() {
        let (player, index) = indexed(scenario(crate::DEFAULT_SCENARIO), 12_000);
        let now = player.cursor();
        for copies in index.in_transit.values() {
            for &hop in copies {
                let hop = &index.hops[hop as usize];
                assert!(hop.end() > now, "{hop:?} has arrived by {now}");
            }
        }
    }

    #[test]
    fn arrow_keys_move_along_a_line_and_across_to_the_nearest_moment() {
        let (player, index) = indexed(partition(), 3_000);
        let diagram = index.diagram(player.cursor(), 1_000, Size::default());
        let start = diagram.dots.len() / 2;
        let here = &diagram.dots[start];
        let later = diagram.neighbour(start, Towards::Later).unwrap();
        assert_eq!(diagram.dots[later].node, here.node);
        assert!(diagram.dots[later].time >= here.time);
        assert_eq!(diagram.neighbour(later, Towards::Earlier), Some(start));
        if let Some(right) = diagram.neighbour(start, Towards::Right) {
            assert!(diagram.dots[right].node > here.node);
        }
        let first_column = diagram
            .dots
            .iter()
            .position(|dot| dot.node == NodeId(0))
            .unwrap();
        assert_eq!(diagram.neighbour(first_column, Towards::Left), None);
    }

    #[test]
    fn zoom_steps_through_the_spans_and_stops_at_the_ends() {
        assert_eq!(zoom_in(DEFAULT_SPAN_MS), 500);
        assert_eq!(zoom_out(DEFAULT_SPAN_MS), 2_000);
        assert_eq!(zoom_in(250), 250);
        assert_eq!(zoom_out(60_000), 60_000);
        assert_eq!(zoom_in(3_000), 2_000, "an odd span snaps to the list");
        assert_eq!(span_label(250), "250 ms");
        assert_eq!(span_label(2_000), "2 s");
    }

    #[test]
    fn ticks_are_round_times_labelled_in_seconds() {
        let (player, index) = indexed(partition(), 12_345);
        let diagram = index.diagram(player.cursor(), 1_000, Size::default());
        let labels: Vec<&str> = diagram
            .ticks
            .iter()
            .map(|tick| tick.label.as_str())
            .collect();
        assert_eq!(labels.first(), Some(&"11.4 s"), "every 200 ms");
        assert!(labels.contains(&"12.0 s"), "{labels:?}");
        assert!(diagram.ticks.windows(2).all(|pair| pair[0].y < pair[1].y));
    }

    #[test]
    fn sliding_the_window_keeps_the_contents_coordinates() {
        let (mut player, mut index) = indexed(partition(), 6_000);
        let before = index.diagram(player.cursor(), 1_000, Size::default());
        player.seek(Time::from_ms(6_100));
        index.update(player.engine(), player.scenario());
        let after = index.diagram(player.cursor(), 1_000, Size::default());
        assert_ne!(before.content_offset_px, after.content_offset_px);
        let arrived = |diagram: &Diagram| -> Vec<(usize, String)> {
            diagram
                .arrows
                .iter()
                .filter(|arrow| {
                    arrow.fate == ArrowFate::Arrived && arrow.send >= Time::from_ms(5_100)
                })
                .map(|arrow| (arrow.hop, arrow.path()))
                .collect()
        };
        let kept = arrived(&before);
        assert!(!kept.is_empty());
        assert!(kept.iter().all(|path| arrived(&after).contains(path)));
        assert_ne!(before, after);
        assert_eq!(
            after,
            index.diagram(player.cursor(), 1_000, Size::default())
        );
    }

    #[test]
    fn the_exported_svg_is_a_standalone_document() {
        let (player, index) = indexed(crash_recovery(), 6_000);
        let diagram = index.diagram(player.cursor(), 5_000, Size::default());
        let svg = to_svg(&diagram);
        assert!(svg.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""
        ));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("<title>Space-time diagram · "));
        assert!(svg.contains("<style>"), "styles travel with the file");
        assert!(!svg.contains("var(--"), "no page variables");
        assert!(
            svg.contains(">time ↓</text>") && svg.contains(">5 s</text>"),
            "the axis is labelled"
        );
        assert!(svg.contains(">delivered</text>"), "the legend");
        assert_eq!(
            svg.matches("<path class=\"arrow").count(),
            diagram.arrows.len()
        );
        assert_eq!(
            svg.matches("<circle class=\"event ").count(),
            diagram.dots.len()
        );
        assert!(svg.contains(&format!(
            "data-window-start-ms=\"1000\" data-window-end-ms=\"6000\" data-arrows-total=\"{}\"",
            diagram.arrows_total
        )));
        // Well formed, as far as counting tags tells: every group and text closes.
        for (open, close) in [
            ("<g", "</g>"),
            ("<text", "</text>"),
            ("<title>", "</title>"),
        ] {
            assert_eq!(
                svg.matches(open).count(),
                svg.matches(close).count(),
                "{open}"
            );
        }
        if let Ok(path) = std::env::var("DSPLAY_SPACETIME_SVG") {
            std::fs::write(path, &svg).unwrap();
        }
    }

    #[test]
    fn blocks_of_markup_hold_every_arrow_and_dot_once_and_settled_ones_are_kept() {
        let (mut player, mut index) = indexed(partition(), 9_000);
        let before = index.diagram(player.cursor(), 5_000, Size::default());
        let count = |blocks: &[Block], tag: &str| -> usize {
            blocks
                .iter()
                .map(|block| block.markup.matches(tag).count())
                .sum()
        };
        assert_eq!(
            count(&before.arrow_blocks, "<path class=\"arrow"),
            before.arrows.len()
        );
        assert_eq!(
            count(&before.dot_blocks, "<circle class=\"event "),
            before.dots.len()
        );
        let keys: Vec<usize> = before.arrow_blocks.iter().map(|block| block.key).collect();
        assert!(keys.len() > 2 && keys.windows(2).all(|pair| pair[0] < pair[1]));
        player.seek(Time::from_ms(9_050));
        index.update(player.engine(), player.scenario());
        let after = index.diagram(player.cursor(), 5_000, Size::default());
        // The blocks between the window's ends are taken from the cache as they were.
        let inner = &before.arrow_blocks[1..before.arrow_blocks.len() - 1];
        for block in inner
            .iter()
            .chain(&before.dot_blocks[1..before.dot_blocks.len() - 1])
        {
            let kept = after
                .arrow_blocks
                .iter()
                .chain(&after.dot_blocks)
                .any(|other| Rc::ptr_eq(&other.markup, &block.markup));
            assert!(kept, "block {} was written again", block.key);
        }
        // And what the cache gives is what writing afresh gives.
        index.markup.borrow_mut().view = None;
        let fresh = index.diagram(player.cursor(), 5_000, Size::default());
        assert!(fresh.arrow_blocks == after.arrow_blocks);
        assert!(fresh.dot_blocks == after.dot_blocks);
    }

    #[test]
    fn text_from_the_scenario_is_escaped() {
        let mut named = partition();
        named.name = "A <b>&</b> \"quoted\" run".into();
        let (player, index) = indexed(named, 1_000);
        let svg = to_svg(&index.diagram(player.cursor(), 1_000, Size::default()));
        assert!(svg.contains("A &lt;b&gt;&amp;&lt;/b&gt; &quot;quoted&quot; run"));
    }

    #[test]
    fn a_diagram_of_no_run_says_so() {
        let diagram = Diagram::empty(DEFAULT_SPAN_MS, Size::default());
        assert!(frame_markup(&diagram).contains("No run to draw yet."));
        assert_eq!(diagram.arrows_total, 0);
        assert!(to_svg(&diagram).contains("data-window-end-ms=\"1000\""));
    }
}
