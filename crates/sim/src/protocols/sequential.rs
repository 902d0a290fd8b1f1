//! Sequential consistency through a sequencer (the seed's example: a news feed).
//!
//! **The guarantee.** Every replica applies every write in one and the same order, and
//! every client sees its own operations take effect in the order it issued them. Reads
//! may be stale in real time (a replica that has not yet applied a write others have
//! already seen serves the older value), but no two clients ever disagree on the order of
//! writes, and no client ever sees its own history go backwards.
//!
//! **How.** One replica, the sequencer (the first replica), numbers every write and cas
//! and sends the numbered entry to every replica. A replica applies entries strictly in
//! number order, holding back any that arrive early and fetching missing ones from the
//! sequencer, which also announces its highest number with every heartbeat so a lost
//! entry is noticed. A client's write completes once the replica it asked has applied
//! it. Reads are served from the replica's own copy, but only once that replica has
//! applied everything the client has seen: the client's session token carries the last
//! number it saw, so a client that moves to another replica never reads older data than
//! it already saw.
//!
//! **Cost.** A write costs one message to the sequencer and one to each replica, and
//! waits for two network trips (to the sequencer and back); reads cost nothing beyond
//! the client's own round trip. The sequencer carries every write: it is the bottleneck.
//!
//! **Failures.** Lost, duplicated and reordered messages are repaired by numbering,
//! de-duplication and fetches. A crashed replica catches up after restart (its store and
//! position are durable). While the sequencer is down or cut off, no write can complete:
//! clients time out and their writes are indeterminate, while reads keep being served,
//! which is what a news feed wants. A crashed sequencer keeps its numbering when it
//! restarts, so two orders never exist. A byzantine sequencer breaks it: by equivocating
//! (one number, different entries for different replicas) it makes replicas apply
//! different writes in the same place, so readers of different replicas see histories
//! that no single order explains, which the checker exposes.

use super::check_positive_ms;
use crate::protocol::{Ctx, Key, Op, OpResult, Protocol, RequestId, SessionToken, TimerId, Value};
use crate::scenario::Problem;
use crate::time::ms_to_us;
use crate::topology::NodeId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Parameters of the sequential protocol; every field has a default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SequentialParams {
    /// How often the sequencer announces its highest number. Default 100 ms.
    pub heartbeat_ms: f64,
    /// How long a replica waits for its submitted write to come back numbered before it
    /// submits it again. Default 300 ms.
    pub resend_ms: f64,
}

impl Default for SequentialParams {
    fn default() -> Self {
        SequentialParams {
            heartbeat_ms: 100.0,
            resend_ms: 300.0,
        }
    }
}

impl SequentialParams {
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        check_positive_ms(&mut problems, "heartbeat_ms", self.heartbeat_ms);
        check_positive_ms(&mut problems, "resend_ms", self.resend_ms);
        problems
    }
}

/// A numbered write or cas.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    pub request: RequestId,
    pub client: NodeId,
    /// The replica the client asked, which answers it once the entry is applied.
    pub origin: NodeId,
    pub op: Op,
}

/// Messages of the sequential protocol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeqMsg {
    /// A replica asks the sequencer to number a client's write or cas.
    Submit {
        request: RequestId,
        client: NodeId,
        op: Op,
    },
    /// Numbered entries, from the sequencer.
    Order(Vec<Entry>),
    /// The sequencer's heartbeat with its highest number.
    Sync { last_seq: u64 },
    /// A replica asks for every entry from `from_seq` on.
    Fetch { from_seq: u64 },
}

const TIMER_HEARTBEAT: u64 = 0;
const TIMER_RESEND: u64 = 1;

/// A read waiting for its replica to catch up with the client's session.
#[derive(Clone, Debug, PartialEq)]
struct WaitingRead {
    client: NodeId,
    request: RequestId,
    key: Key,
    min_seq: u64,
}

/// One replica's state.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequential {
    params: SequentialParams,
    me: NodeId,
    sequencer: NodeId,
    /// Durable: the applied store, and the entries applied, in order (what the
    /// inspector shows as this replica's log).
    store: BTreeMap<Key, Value>,
    applied: u64,
    applied_entries: Vec<Entry>,
    /// Durable, at the sequencer: every entry numbered so far (index = seq - 1), and the
    /// number each request got, so a duplicate is never numbered twice.
    log: Vec<Entry>,
    numbered: BTreeMap<RequestId, u64>,
    /// Volatile: entries received ahead of their turn.
    early: BTreeMap<u64, Entry>,
    /// Volatile: writes this replica submitted for its clients, not yet applied.
    submitted: BTreeMap<RequestId, (NodeId, Op)>,
    /// Volatile: reads waiting for this replica to catch up.
    waiting_reads: Vec<WaitingRead>,
    /// A byzantine sequencer that equivocates sends different entries under one number.
    equivocating: bool,
}

impl Sequential {
    pub fn new(node: NodeId, replicas: &[NodeId], params: &SequentialParams) -> Sequential {
        Sequential {
            params: params.clone(),
            me: node,
            sequencer: replicas[0],
            store: BTreeMap::new(),
            applied: 0,
            applied_entries: Vec::new(),
            log: Vec::new(),
            numbered: BTreeMap::new(),
            early: BTreeMap::new(),
            submitted: BTreeMap::new(),
            waiting_reads: Vec::new(),
            equivocating: false,
        }
    }

    /// How many numbered entries this replica has applied.
    pub fn applied(&self) -> u64 {
        self.applied
    }

    /// The entries this replica has applied, in the order it applied them.
    pub fn applied_entries(&self) -> &[Entry] {
        &self.applied_entries
    }

    /// The sequencer this replica sends writes to.
    pub fn sequencer(&self) -> NodeId {
        self.sequencer
    }

    fn is_sequencer(&self) -> bool {
        self.me == self.sequencer
    }

    fn arm_timers(&self, ctx: &mut Ctx<'_, SeqMsg>) {
        if self.is_sequencer() {
            ctx.set_timer(ms_to_us(self.params.heartbeat_ms), TIMER_HEARTBEAT);
        }
        ctx.set_timer(ms_to_us(self.params.resend_ms), TIMER_RESEND);
    }

    /// At the sequencer: numbers a request (once) and sends the entry to every replica.
    fn number(
        &mut self,
        ctx: &mut Ctx<'_, SeqMsg>,
        origin: NodeId,
        request: RequestId,
        client: NodeId,
        op: &Op,
    ) {
        if let Some(&seq) = self.numbered.get(&request) {
            // A duplicate: the entry exists; resend it to whoever asked again.
            let entry = self.log[(seq - 1) as usize].clone();
            if origin != self.me {
                ctx.send(origin, SeqMsg::Order(vec![entry]));
            }
            return;
        }
        let seq = self.log.len() as u64 + 1;
        let entry = Entry {
            seq,
            request,
            client,
            origin,
            op: op.clone(),
        };
        self.log.push(entry.clone());
        self.numbered.insert(request, seq);
        if self.equivocating {
            // Every other replica gets a different entry under the same number: a write
            // of a value nobody wrote.
            let forged = Entry {
                op: Op::Write {
                    key: op.key().to_string(),
                    value: Value {
                        id: -1_000_000 - seq as i64,
                        shown: -1,
                    },
                },
                ..entry.clone()
            };
            for (index, peer) in ctx.peers().collect::<Vec<_>>().into_iter().enumerate() {
                let told = if index % 2 == 0 {
                    entry.clone()
                } else {
                    forged.clone()
                };
                ctx.send(peer, SeqMsg::Order(vec![told]));
            }
        } else {
            ctx.broadcast(SeqMsg::Order(vec![entry.clone()]));
        }
        self.receive(ctx, entry);
    }

    /// Takes an entry in; applies it and every held-back successor when its turn comes.
    fn receive(&mut self, ctx: &mut Ctx<'_, SeqMsg>, entry: Entry) {
        if entry.seq <= self.applied {
            return;
        }
        self.early.insert(entry.seq, entry);
        while let Some(next) = self.early.remove(&(self.applied + 1)) {
            self.apply(ctx, next);
        }
        self.serve_waiting_reads(ctx);
    }

    fn apply(&mut self, ctx: &mut Ctx<'_, SeqMsg>, entry: Entry) {
        debug_assert_eq!(entry.seq, self.applied + 1, "entries apply in number order");
        self.applied = entry.seq;
        self.applied_entries.push(entry.clone());
        let key = entry.op.key().to_string();
        let current = self.store.get(&key).copied();
        let result = match &entry.op {
            Op::Write { value, .. } => {
                self.store.insert(key, *value);
                OpResult::Ok(None)
            }
            Op::Cas { old, new, .. } => match current {
                Some(value) if value.shown == *old => {
                    self.store.insert(key, *new);
                    OpResult::Ok(Some(value))
                }
                // Every replica applies the same entries in the same order, so all of
                // them reach this same verdict: the cas certainly did not happen.
                Some(value) => {
                    OpResult::Fail(format!("{} is {}, not {old}", entry.op.key(), value.shown))
                }
                None => OpResult::Fail(format!("{} has no value yet, not {old}", entry.op.key())),
            },
            Op::Read { .. } => OpResult::Ok(current),
        };
        if entry.origin == self.me && self.submitted.remove(&entry.request).is_some() {
            ctx.reply_with_session(
                entry.client,
                entry.request,
                result,
                SessionToken(vec![self.applied]),
            );
        }
    }

    fn serve_waiting_reads(&mut self, ctx: &mut Ctx<'_, SeqMsg>) {
        let applied = self.applied;
        let (ready, waiting): (Vec<WaitingRead>, Vec<WaitingRead>) =
            std::mem::take(&mut self.waiting_reads)
                .into_iter()
                .partition(|read| read.min_seq <= applied);
        self.waiting_reads = waiting;
        for read in ready {
            let value = self.store.get(&read.key).copied();
            ctx.reply_with_session(
                read.client,
                read.request,
                OpResult::Ok(value),
                SessionToken(vec![applied]),
            );
        }
    }

    fn submit(&self, ctx: &mut Ctx<'_, SeqMsg>, request: RequestId, client: NodeId, op: &Op) {
        ctx.send(
            self.sequencer,
            SeqMsg::Submit {
                request,
                client,
                op: op.clone(),
            },
        );
    }
}

impl Protocol for Sequential {
    type Msg = SeqMsg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, SeqMsg>) {
        self.arm_timers(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, SeqMsg>, from: NodeId, msg: &SeqMsg) {
        match msg {
            SeqMsg::Submit {
                request,
                client,
                op,
            } => {
                if self.is_sequencer() {
                    self.number(ctx, from, *request, *client, op);
                }
            }
            SeqMsg::Order(entries) => {
                for entry in entries {
                    self.receive(ctx, entry.clone());
                }
            }
            SeqMsg::Sync { last_seq } => {
                if *last_seq > self.applied {
                    ctx.send(
                        from,
                        SeqMsg::Fetch {
                            from_seq: self.applied + 1,
                        },
                    );
                }
            }
            SeqMsg::Fetch { from_seq } => {
                if self.is_sequencer() && *from_seq >= 1 {
                    let missing: Vec<Entry> = self
                        .log
                        .iter()
                        .skip((*from_seq - 1) as usize)
                        .cloned()
                        .collect();
                    if !missing.is_empty() {
                        ctx.send(from, SeqMsg::Order(missing));
                    }
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, SeqMsg>, _timer: TimerId, tag: u64) {
        match tag {
            TIMER_HEARTBEAT => {
                ctx.broadcast(SeqMsg::Sync {
                    last_seq: self.log.len() as u64,
                });
                ctx.set_timer(ms_to_us(self.params.heartbeat_ms), TIMER_HEARTBEAT);
            }
            _ => {
                // Writes not yet numbered may have been lost on the way: submit again
                // (the sequencer numbers each request once).
                let submitted: Vec<(RequestId, NodeId, Op)> = self
                    .submitted
                    .iter()
                    .map(|(request, (client, op))| (*request, *client, op.clone()))
                    .collect();
                for (request, client, op) in submitted {
                    if self.is_sequencer() {
                        let me = self.me;
                        self.number(ctx, me, request, client, &op);
                    } else {
                        self.submit(ctx, request, client, &op);
                    }
                }
                ctx.set_timer(ms_to_us(self.params.resend_ms), TIMER_RESEND);
            }
        }
    }

    fn on_client_request(
        &mut self,
        ctx: &mut Ctx<'_, SeqMsg>,
        client: NodeId,
        request: RequestId,
        op: &Op,
        session: &SessionToken,
    ) {
        match op {
            Op::Read { key } => {
                let min_seq = session.0.first().copied().unwrap_or(0);
                self.waiting_reads.push(WaitingRead {
                    client,
                    request,
                    key: key.clone(),
                    min_seq,
                });
                self.serve_waiting_reads(ctx);
            }
            Op::Write { .. } | Op::Cas { .. } => {
                self.submitted.insert(request, (client, op.clone()));
                if self.is_sequencer() {
                    let me = self.me;
                    self.number(ctx, me, request, client, op);
                } else {
                    self.submit(ctx, request, client, op);
                }
            }
        }
    }

    fn on_failure_notice(&mut self, _ctx: &mut Ctx<'_, SeqMsg>, _peer: NodeId) {}

    fn on_restart(&mut self, ctx: &mut Ctx<'_, SeqMsg>) {
        // The store, its position and the sequencer's numbering are durable; what this
        // node was waiting for is gone with its clients' connections.
        self.early.clear();
        self.submitted.clear();
        self.waiting_reads.clear();
        self.arm_timers(ctx);
    }

    fn set_byzantine(&mut self, strategy: Option<&crate::fault::Strategy>) {
        self.equivocating = strategy == Some(&crate::fault::Strategy::Equivocate);
    }

    /// The sequencer numbers writes for everyone, so it can tell replicas different things.
    fn can_equivocate() -> bool {
        true
    }

    fn local_read(&self, key: &str) -> Option<Value> {
        self.store.get(key).copied()
    }

    fn store(&self) -> BTreeMap<Key, Value> {
        self.store.clone()
    }

    fn role(&self) -> &'static str {
        if self.is_sequencer() {
            "sequencer"
        } else if !self.early.is_empty() || !self.waiting_reads.is_empty() {
            "catching up"
        } else {
            "replica"
        }
    }

    fn msg_kind(msg: &SeqMsg) -> &'static str {
        match msg {
            SeqMsg::Submit { .. } => "submit",
            SeqMsg::Order(_) => "order",
            SeqMsg::Sync { .. } => "sync",
            SeqMsg::Fetch { .. } => "fetch",
        }
    }

    fn msg_kinds() -> &'static [&'static str] {
        &["submit", "order", "sync", "fetch"]
    }
}
