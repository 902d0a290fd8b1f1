//! Causal+ consistency as in COPS: vector clocks, dependencies, and last writer wins on
//! Lamport timestamps.
//!
//! **What it guarantees.** Causal consistency plus convergence. If a client has seen a
//! write (it wrote it, read it, or read something that depended on it), no later operation
//! of that client, at any replica, sees the world as it was before that write: a reply to a
//! comment is never visible without the comment, a client always reads its own writes, and
//! nothing seen goes backwards. Writes that are concurrent (neither saw the other) may be
//! seen in different orders at different replicas until they meet; then last writer wins
//! on `(Lamport timestamp, replica)`, an order that extends causality, picks the same value
//! everywhere. Not guaranteed: recency. A replica may lag behind by a partition's length,
//! serving an old but consistent view, and of two concurrent writes to a key one is lost.
//!
//! **How.** Every replica numbers the writes it accepts (1, 2, 3…) and keeps a vector
//! clock, `applied`, with one entry per replica: how many of that replica's writes are
//! visible here. A client's write is applied at once where the client is; its dependencies
//! are the coordinator's whole `applied` clock, which covers the client's causal context
//! because a replica only serves a client once it has caught up with it. The write is
//! pushed to every other replica. A receiver makes it visible only when it is the next
//! write of its origin and every dependency is visible (causal broadcast); until then it is
//! held back. Every `anti_entropy_ms` a replica sends a peer (peers in a random order, each
//! once per cycle) its vector clock; the peer sends back the writes it has and the sender
//! lacks, then the sender does the same, so writes lost on the way are made good. Each
//! replica logs the writes it has made visible and drops an entry once every live
//! replica's clock (learnt from digests and pushes) shows it applied.
//!
//! A client carries its causal context in the session token: after a read, the vector
//! clock of the version it read (that write and everything it depended on); after a write,
//! the clock of its write. A replica that receives a request whose context it has not yet
//! caught up with holds the request, asks its peers for what it lacks, and serves it as
//! soon as it has caught up. A compare-and-set compares the coordinator's visible value
//! and, if it matches, writes like any write: it is **not atomic across replicas** (two
//! replicas may both accept a cas from the same old value; last writer wins keeps one).
//!
//! **Cost.** Reads and writes are local: one round trip between client and replica, unless
//! the client has just moved replicas and must wait for the new one to catch up. A write
//! costs N − 1 pushes, each carrying a vector clock of N numbers, the price of tracking
//! causality exactly (COPS sends only the nearest dependencies to keep it small). A remote
//! write may become visible later than it arrives, held back behind its dependencies.
//! Anti-entropy adds one to three messages per replica per interval.
//!
//! **Failures tolerated.** Any number of crashed or cut-off replicas: every replica keeps
//! serving the clients that reach it, and causality survives partitions (causal is about
//! the strongest model that stays available under partition). On a crash the store, the
//! vector clock, the Lamport clock and the log of visible writes are **durable**; the
//! writes held back, the requests waiting, the peers' clocks, the window of recent request
//! ids and what the node knew of stopped peers are **volatile** (held writes come back by
//! anti-entropy). A client that fails over to a replica cut off from the writes it has seen
//! waits there; its operation times out as indeterminate and it moves on again.
//!
//! **How it breaks.** Stale but consistent reads for as long as a replica is cut off; lost
//! updates between concurrent writers; a write whose replica stops for good before any
//! peer has it (its pushes lost on the way) is lost, and a client that saw it can be
//! served nowhere else: every other replica waits for a dependency no one has. A replica that is down blocks the
//! trimming of everyone's logs until it is back. Unlike the eventual protocol it does not
//! trust physical clocks: skew changes nothing here.

use super::anti_entropy::PeerCycle;
use super::check_positive_ms;
use super::requests::RecentRequests;
use crate::protocol::{
    Ctx, Key, Op, OpResult, Protocol, RequestId, SessionToken, Shown, TimerId, Value,
};
use crate::scenario::Problem;
use crate::time::ms_to_us;
use crate::topology::NodeId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// Parameters of the causal protocol; every field has a default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CausalParams {
    /// Push every write to the other replicas as soon as it is accepted; when off, writes
    /// spread by anti-entropy only (slower, fewer messages). Default true.
    pub push: bool,
    /// How often each replica compares vector clocks with one random peer. Default 1000 ms.
    pub anti_entropy_ms: f64,
}

impl Default for CausalParams {
    fn default() -> Self {
        CausalParams {
            push: true,
            anti_entropy_ms: 1_000.0,
        }
    }
}

impl CausalParams {
    /// Problems with paths relative to the `protocol` field.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        check_positive_ms(&mut problems, "anti_entropy_ms", self.anti_entropy_ms);
        problems
    }
}

/// A vector clock: entry `i` counts the writes of replica `i` (replicas in id order).
pub type VectorClock = Vec<u64>;

/// One write as it travels between replicas.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Write {
    pub key: Key,
    pub value: Value,
    /// The slot (index in id order) of the replica that accepted it.
    pub origin: u32,
    /// Its number among the writes of its origin, from 1.
    pub seq: u64,
    /// Lamport timestamp: above that of every write it depends on.
    pub lamport: u64,
    /// Everything it depends on; `deps[origin] == seq - 1`.
    pub deps: VectorClock,
}

impl Write {
    /// The clock of this write: its dependencies plus itself.
    fn clock(&self) -> VectorClock {
        let mut clock = self.deps.clone();
        clock[self.origin as usize] = self.seq;
        clock
    }
}

/// A value as a replica holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub value: Value,
    /// Last writer wins on `(lamport, origin)`.
    pub lamport: u64,
    pub origin: u32,
    /// The clock of the write that put it there: what a reader of it depends on.
    pub clock: VectorClock,
}

impl Version {
    fn order(&self) -> (u64, u32) {
        (self.lamport, self.origin)
    }
}

/// Messages between replicas.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CausalMsg {
    /// A write just accepted, pushed to every other replica.
    Replicate(Write),
    /// Anti-entropy, first step: the sender's vector clock.
    Digest { applied: VectorClock },
    /// Writes the receiver lacks, with the sender's clock; `answer` asks the receiver to
    /// send back what the sender lacks in turn.
    Catchup {
        writes: Vec<Write>,
        applied: VectorClock,
        answer: bool,
    },
}

const TIMER_ANTI_ENTROPY: u64 = 0;

/// A client request held until the replica catches up with its context.
#[derive(Clone, Debug, PartialEq)]
struct Waiting {
    client: NodeId,
    request: RequestId,
    op: Op,
    context: VectorClock,
}

/// `a ≤ b` entry by entry.
fn dominated(a: &[u64], b: &[u64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x <= y)
}

/// The entry-by-entry maximum, into `into`.
fn join(into: &mut [u64], other: &[u64]) {
    for (mine, &theirs) in into.iter_mut().zip(other) {
        *mine = (*mine).max(theirs);
    }
}

/// One replica's state.
#[derive(Clone, Debug, PartialEq)]
pub struct Causal {
    params: CausalParams,
    /// This replica's slot in every vector clock.
    slot: usize,
    replicas: Vec<NodeId>,
    /// Durable: the visible value of every key.
    store: BTreeMap<Key, Version>,
    /// Durable: how many writes of each replica are visible here.
    applied: VectorClock,
    /// Durable: the Lamport clock, at least the timestamp of every visible write.
    lamport: u64,
    /// Durable: the visible writes of each origin not yet known to be everywhere, oldest
    /// first: seqs `log_base[i] + 1 ..= applied[i]`.
    log: Vec<VecDeque<Write>>,
    log_base: Vec<u64>,
    /// Volatile: writes received but held back, by `(origin, seq)`.
    held: BTreeMap<(u32, u64), Write>,
    /// Volatile: client requests waiting for this replica to catch up.
    waiting: Vec<Waiting>,
    /// Volatile: each replica's clock as last heard (this replica's own slot unused).
    peer_applied: Vec<VectorClock>,
    /// Volatile: request ids seen lately.
    recent: RecentRequests,
    /// Volatile: replicas announced as stopped for good.
    stopped: Vec<bool>,
    /// Volatile: the order in which peers get their anti-entropy turn.
    sync_cycle: PeerCycle,
}

impl Causal {
    /// The state of replica `node`, one of `replicas` (in id order).
    pub fn new(node: NodeId, replicas: &[NodeId], params: &CausalParams) -> Causal {
        let slot = replicas
            .iter()
            .position(|&replica| replica == node)
            .expect("a causal node is one of the replicas");
        let count = replicas.len();
        Causal {
            params: params.clone(),
            slot,
            replicas: replicas.to_vec(),
            store: BTreeMap::new(),
            applied: vec![0; count],
            lamport: 0,
            log: vec![VecDeque::new(); count],
            log_base: vec![0; count],
            held: BTreeMap::new(),
            waiting: Vec::new(),
            peer_applied: vec![vec![0; count]; count],
            recent: RecentRequests::default(),
            stopped: vec![false; count],
            sync_cycle: PeerCycle::default(),
        }
    }

    /// The version this replica serves for `key`, with its Lamport timestamp and clock.
    pub fn version(&self, key: &str) -> Option<&Version> {
        self.store.get(key)
    }

    /// How many writes of each replica are visible here.
    pub fn applied(&self) -> &[u64] {
        &self.applied
    }

    /// How many writes this replica still keeps for peers that may lack them.
    pub fn log_len(&self) -> usize {
        self.log.iter().map(VecDeque::len).sum()
    }

    /// How many received writes are held back, waiting for their dependencies.
    pub fn held_len(&self) -> usize {
        self.held.len()
    }

    /// A client's context from its token: one entry per replica, zeros when it has none.
    fn context_of(&self, session: &SessionToken) -> VectorClock {
        let mut context = vec![0; self.replicas.len()];
        for (entry, &seen) in context.iter_mut().zip(&session.0) {
            *entry = seen;
        }
        context
    }

    fn live_peers(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.replicas.len()).filter(move |&slot| slot != self.slot && !self.stopped[slot])
    }

    fn arm_anti_entropy(&self, ctx: &mut Ctx<'_, CausalMsg>, first: bool) {
        let period_us = ms_to_us(self.params.anti_entropy_ms).max(1);
        // The first round starts at a random phase, so replicas do not reconcile in step.
        let after_us = if first {
            1 + ctx.rng.below(period_us)
        } else {
            period_us
        };
        ctx.set_timer(after_us, TIMER_ANTI_ENTROPY);
    }

    /// Whether `write` can become visible: it is its origin's next, and every dependency
    /// is visible.
    fn deliverable(&self, write: &Write) -> bool {
        let origin = write.origin as usize;
        write.seq == self.applied[origin] + 1
            && write
                .deps
                .iter()
                .enumerate()
                .all(|(slot, &needed)| slot == origin || needed <= self.applied[slot])
    }

    /// Makes `write` visible: last writer wins in the store, the clocks advance, the log
    /// keeps it for peers that lack it.
    fn apply(&mut self, write: Write) {
        let origin = write.origin as usize;
        debug_assert!(self.deliverable(&write), "only deliverable writes apply");
        let version = Version {
            value: write.value,
            lamport: write.lamport,
            origin: write.origin,
            clock: write.clock(),
        };
        let wins = self
            .store
            .get(&write.key)
            .is_none_or(|current| version.order() > current.order());
        if wins {
            self.store.insert(write.key.clone(), version);
        }
        self.applied[origin] = write.seq;
        self.lamport = self.lamport.max(write.lamport);
        self.log[origin].push_back(write);
        debug_assert_eq!(
            self.log_base[origin] + self.log[origin].len() as u64,
            self.applied[origin],
            "the log holds exactly the visible writes not yet trimmed"
        );
    }

    /// Takes in writes from a peer: applies what it can, holds back the rest, then serves
    /// the requests that were waiting for them.
    fn receive(&mut self, ctx: &mut Ctx<'_, CausalMsg>, writes: impl IntoIterator<Item = Write>) {
        for write in writes {
            let origin = write.origin as usize;
            if origin >= self.replicas.len() || write.deps.len() != self.replicas.len() {
                continue; // Not from this system: ignore rather than panic.
            }
            if write.seq > self.applied[origin] {
                self.held.insert((write.origin, write.seq), write);
            }
        }
        // Each pass applies every origin's next write if it is ready; stop when a pass
        // applies nothing.
        let mut progress = true;
        while progress {
            progress = false;
            for origin in 0..self.replicas.len() {
                let next = (origin as u32, self.applied[origin] + 1);
                let ready = self
                    .held
                    .get(&next)
                    .is_some_and(|write| self.deliverable(write));
                if ready {
                    if let Some(write) = self.held.remove(&next) {
                        self.apply(write);
                        progress = true;
                    }
                }
            }
        }
        self.serve_waiting(ctx);
    }

    /// Serves every waiting request whose context is now visible here.
    fn serve_waiting(&mut self, ctx: &mut Ctx<'_, CausalMsg>) {
        if self.waiting.is_empty() {
            return;
        }
        let waiting = std::mem::take(&mut self.waiting);
        for request in waiting {
            if dominated(&request.context, &self.applied) {
                self.serve(ctx, request);
            } else {
                self.waiting.push(request);
            }
        }
    }

    /// Accepts a client's write here: numbered, stamped, visible at once, pushed on.
    fn local_write(&mut self, ctx: &mut Ctx<'_, CausalMsg>, key: &str, value: Value) -> Write {
        self.lamport += 1;
        let write = Write {
            key: key.to_string(),
            value,
            origin: self.slot as u32,
            seq: self.applied[self.slot] + 1,
            lamport: self.lamport,
            deps: self.applied.clone(),
        };
        self.apply(write.clone());
        if self.params.push {
            for peer in self.live_peers().collect::<Vec<_>>() {
                ctx.send(self.replicas[peer], CausalMsg::Replicate(write.clone()));
            }
        }
        write
    }

    /// Runs a request whose context is visible here, and hands the client its new context.
    fn serve(&mut self, ctx: &mut Ctx<'_, CausalMsg>, request: Waiting) {
        debug_assert!(dominated(&request.context, &self.applied));
        let Waiting {
            client,
            request,
            op,
            mut context,
        } = request;
        let result = match &op {
            Op::Read { key } => {
                let current = self.store.get(key);
                if let Some(current) = current {
                    join(&mut context, &current.clock);
                }
                OpResult::Ok(current.map(|version| version.value))
            }
            Op::Write { key, value } => {
                let write = self.local_write(ctx, key, *value);
                context = write.clock();
                OpResult::Ok(None)
            }
            Op::Cas { key, old, new } => match self.store.get(key).cloned() {
                Some(current) if current.value.shown == *old => {
                    let write = self.local_write(ctx, key, *new);
                    context = write.clock();
                    OpResult::Ok(Some(current.value))
                }
                Some(current) => {
                    join(&mut context, &current.clock);
                    OpResult::Fail(format!("the value is {}, not {old}", current.value.shown))
                }
                None => OpResult::Fail(format!("the key has no value, not {old}")),
            },
        };
        ctx.reply_with_session(client, request, result, SessionToken(context));
    }

    /// Sends a peer the writes it lacks according to its clock `theirs`.
    fn missing_for(&self, theirs: &[u64]) -> Vec<Write> {
        let mut writes = Vec::new();
        for (origin, log) in self.log.iter().enumerate() {
            let known = theirs.get(origin).copied().unwrap_or(0);
            if known >= self.applied[origin] {
                continue;
            }
            // Entries are seqs log_base + 1 ..; skip what the peer has.
            let skip = known.saturating_sub(self.log_base[origin]) as usize;
            writes.extend(log.iter().skip(skip).cloned());
        }
        writes
    }

    /// Remembers a peer's clock and trims every log entry that all live replicas have.
    fn heard_clock(&mut self, from: NodeId, theirs: &[u64]) {
        let Ok(peer) = self.replicas.binary_search(&from) else {
            return;
        };
        join(&mut self.peer_applied[peer], theirs);
        for origin in 0..self.replicas.len() {
            let everywhere = (0..self.replicas.len())
                .filter(|&slot| !self.stopped[slot])
                .map(|slot| {
                    if slot == self.slot {
                        self.applied[origin]
                    } else {
                        self.peer_applied[slot][origin]
                    }
                })
                .min()
                .unwrap_or(0);
            while self.log_base[origin] < everywhere && !self.log[origin].is_empty() {
                self.log[origin].pop_front();
                self.log_base[origin] += 1;
            }
        }
    }

    /// Asks every live peer for what this replica lacks.
    fn ask_peers(&self, ctx: &mut Ctx<'_, CausalMsg>) {
        for peer in self.live_peers() {
            ctx.send(
                self.replicas[peer],
                CausalMsg::Digest {
                    applied: self.applied.clone(),
                },
            );
        }
    }
}

impl Protocol for Causal {
    type Msg = CausalMsg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, CausalMsg>) {
        self.arm_anti_entropy(ctx, true);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, CausalMsg>, from: NodeId, msg: &CausalMsg) {
        match msg {
            CausalMsg::Replicate(write) => {
                // Only a write's origin pushes it, and the write's clock was the origin's
                // own then: a free report of the sender's progress, for trimming logs.
                if self.replicas.get(write.origin as usize) == Some(&from) {
                    self.heard_clock(from, &write.clock());
                }
                self.receive(ctx, [write.clone()]);
            }
            CausalMsg::Digest { applied } => {
                self.heard_clock(from, applied);
                let writes = self.missing_for(applied);
                let they_have_more = applied
                    .iter()
                    .zip(&self.applied)
                    .any(|(theirs, mine)| theirs > mine);
                if !writes.is_empty() || they_have_more {
                    ctx.send(
                        from,
                        CausalMsg::Catchup {
                            writes,
                            applied: self.applied.clone(),
                            answer: they_have_more,
                        },
                    );
                }
            }
            CausalMsg::Catchup {
                writes,
                applied,
                answer,
            } => {
                self.receive(ctx, writes.iter().cloned());
                self.heard_clock(from, applied);
                if *answer {
                    let back = self.missing_for(applied);
                    if !back.is_empty() {
                        ctx.send(
                            from,
                            CausalMsg::Catchup {
                                writes: back,
                                applied: self.applied.clone(),
                                answer: false,
                            },
                        );
                    }
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, CausalMsg>, _timer: TimerId, tag: u64) {
        debug_assert_eq!(tag, TIMER_ANTI_ENTROPY);
        let peers: Vec<usize> = self.live_peers().collect();
        if let Some(peer) = self.sync_cycle.next(&peers, ctx.rng) {
            ctx.send(
                self.replicas[peer],
                CausalMsg::Digest {
                    applied: self.applied.clone(),
                },
            );
        }
        self.arm_anti_entropy(ctx, false);
    }

    fn on_client_request(
        &mut self,
        ctx: &mut Ctx<'_, CausalMsg>,
        client: NodeId,
        request: RequestId,
        op: &Op,
        session: &SessionToken,
    ) {
        if !self.recent.first_time(request) {
            return; // A copy the network duplicated: the first is being served.
        }
        // A client has one operation outstanding: a new request means it gave up on any
        // older one still waiting here.
        self.waiting.retain(|waiting| waiting.client != client);
        let request = Waiting {
            client,
            request,
            op: op.clone(),
            context: self.context_of(session),
        };
        if dominated(&request.context, &self.applied) {
            self.serve(ctx, request);
        } else {
            self.waiting.push(request);
            self.ask_peers(ctx);
        }
    }

    fn on_failure_notice(&mut self, _ctx: &mut Ctx<'_, CausalMsg>, peer: NodeId) {
        if let Ok(slot) = self.replicas.binary_search(&peer) {
            self.stopped[slot] = true;
        }
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_, CausalMsg>) {
        // Store, clocks and log are durable; what was held back or waiting is lost (held
        // writes come back by anti-entropy, waiting clients time out), as is all the node
        // knew of its peers.
        let count = self.replicas.len();
        self.held.clear();
        self.waiting.clear();
        self.peer_applied = vec![vec![0; count]; count];
        self.recent.clear();
        self.stopped = vec![false; count];
        self.sync_cycle.clear();
        self.ask_peers(ctx);
        self.arm_anti_entropy(ctx, true);
    }

    fn local_read(&self, key: &str) -> Option<Value> {
        self.store.get(key).map(|version| version.value)
    }

    fn store(&self) -> BTreeMap<Key, Value> {
        self.store
            .iter()
            .map(|(key, version)| (key.clone(), version.value))
            .collect()
    }

    fn inspect(&self) -> Vec<(&'static str, Shown)> {
        let clock: Vec<String> = self.applied.iter().map(u64::to_string).collect();
        vec![
            (
                "vector clock",
                Shown::from(format!("[{}]", clock.join(", "))),
            ),
            ("lamport", Shown::from(self.lamport.to_string())),
            ("held back", Shown::from(self.held.len().to_string())),
            (
                "waiting requests",
                Shown::from(self.waiting.len().to_string()),
            ),
        ]
    }

    fn role(&self) -> &'static str {
        if !self.waiting.is_empty() {
            "catching up"
        } else if !self.held.is_empty() {
            "waiting for deps"
        } else {
            "replica"
        }
    }

    fn msg_kind(msg: &CausalMsg) -> &'static str {
        match msg {
            CausalMsg::Replicate(_) => "replicate",
            CausalMsg::Digest { .. } => "digest",
            CausalMsg::Catchup { .. } => "catchup",
        }
    }

    fn msg_kinds() -> &'static [&'static str] {
        &["replicate", "digest", "catchup"]
    }
}
