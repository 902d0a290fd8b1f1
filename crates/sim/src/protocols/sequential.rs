//! Sequential consistency through a sequencer that a majority can replace (the seed's
//! example: a news feed), in the style of Viewstamped Replication (Oki and Liskov 1988;
//! Liskov and Cowling, "Viewstamped Replication Revisited", 2012).
//!
//! **The guarantee.** Every replica applies every write in one and the same order, and
//! every client sees its own operations take effect in the order it issued them. Reads
//! may be stale in real time (a replica that has not yet applied a write others have
//! already seen serves the older value), but no two clients ever disagree on the order of
//! writes, no client ever sees its own history go backwards, and no write a client was
//! told succeeded is ever lost. This holds through crashes, restarts, partitions, lost,
//! duplicated and late messages, slow nodes and skewed clocks, and through the
//! replacement of the sequencer, even one that was only thought dead.
//!
//! **How.** Time is cut into *views*; the sequencer of view `v` is replica `v mod n`. A
//! replica hands each client write or cas to the sequencer, which gives it the next
//! number and sends it to every replica in a *prepare*. A replica of the same view takes
//! entries strictly in number order and acknowledges how far it holds the sequencer's
//! log. Once a majority (the sequencer included) holds an entry it is *committed*: the
//! sequencer tells the replica that took the write at once, and everyone else with its
//! next prepare or heartbeat. Replicas apply committed entries only, in number order; the
//! replica that took a write answers its client once it has applied it. Reads are served
//! from the replica's own copy, but only once that replica has applied everything the
//! client has seen: the client's session token carries that number, so a client that
//! moves to another replica never reads older data than it already saw.
//!
//! When a replica hears nothing from the sequencer for `view_change_timeout_ms`, or a
//! write it took stays uncommitted twice that long (a sequencer that cannot hear, or is
//! far too slow, is no better than a dead one), or it is told the sequencer has
//! fail-stopped, it moves to the next view and says so (*start view change*); the others
//! follow. Once a majority has moved, each sends its log to the new
//! sequencer (*do view change*), which waits for the logs of a majority and keeps the one
//! from the latest view in which its sender was last in normal operation, the longest of
//! those: every committed entry is held by a majority, any two majorities share a
//! replica, and a replica's log changes only within its view, so that log holds every
//! committed entry at its number. The new sequencer sends it to all (*start view*) and
//! numbers on from there. A replica ignores messages from older views. One that hears of
//! a newer view fetches the new sequencer's log, and keeps its own, with the view it
//! belongs to, until that arrives, so what it says in a later view change stays true. An
//! old sequencer that was cut off, slow or wrongly suspected may go on numbering entries
//! in its old view, but nobody in a newer view acknowledges them, so they never commit
//! and are never applied: one order of applied entries is all there ever is. A view
//! change that does not finish in time gives way to the next view, each time with more
//! patience, and views whose sequencer is known to have fail-stopped are skipped.
//!
//! **Cost.** A write costs a message to the sequencer, a prepare to and an acknowledgement
//! from every other replica, and a commit notice to the replica that took it, besides the
//! sequencer's heartbeats. Committing takes two network trips (prepare, acknowledgement);
//! a write through a replica other than the sequencer waits for four (submit, prepare,
//! acknowledgement, commit notice) plus the client's own round trip, and its latency is
//! set by the slower half of the replicas. The sequencer carries every write, so it is the
//! bottleneck. Reads cost nothing beyond the client's round trip. While a view changes
//! (a timeout plus at least three trips) no write completes.
//!
//! **Failures.** With `2f + 1` replicas it survives `f` of them crashed, cut off or
//! lossy, the sequencer among them (with 4 replicas, one). Lost, duplicated and reordered
//! messages are repaired by numbering, acknowledgements that say how far a replica holds
//! the log, and fetches. A side of a partition without a majority keeps serving reads but
//! completes no writes: its clients time out and their writes are indeterminate, which is
//! what a news feed wants. Safety never depends on timing; progress needs a connected
//! majority and a timeout longer than a few heartbeats and trips. Any one replica that
//! stops hearing the sequencer or getting its writes through (a fast clock, a cut link,
//! heavy loss) starts a view change that the others follow, costing availability but
//! never safety.
//! What a replica must not forget survives a restart: its view, its status, the view it
//! was last in normal operation, its log and its commit point (all durable here, for
//! simplicity; VR Revisited also describes recovery without a durable log). A byzantine
//! sequencer breaks it: by equivocating (one number, different entries for different
//! replicas) it makes replicas apply different writes in the same place, because an
//! acknowledgement says how far a replica holds the log, not what it holds, and only the
//! sequencer counts them; readers of different replicas then see histories that no single
//! order explains, which the checker exposes.

use super::check_positive_ms;
use super::shared_log::{SharedLog, SharedMap};
use crate::protocol::{
    Ctx, Key, Op, OpResult, Protocol, RequestId, SessionToken, Shown, TimerId, Value,
};
use crate::scenario::Problem;
use crate::time::{ms_to_us, Time};
use crate::topology::NodeId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Parameters of the sequential protocol; every field has a default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SequentialParams {
    /// How often the sequencer sends a heartbeat with its commit point, and how often
    /// every replica checks its timeouts. Default 100 ms.
    pub heartbeat_ms: f64,
    /// How long a replica waits before it sends again what may have been lost: writes
    /// not yet applied, view-change messages, a fetch of the log. Default 300 ms.
    pub resend_ms: f64,
    /// How long a replica waits without hearing from the sequencer (and half as long as
    /// it waits for a write it took to commit) before it suspects the sequencer and
    /// starts a view change; and how long a view change may take before the next
    /// one starts (after each failed view change in a row one more time, up to four).
    /// At least twice `heartbeat_ms`; several heartbeats plus a few network trips is
    /// sane. Default 500 ms.
    pub view_change_timeout_ms: f64,
}

impl Default for SequentialParams {
    fn default() -> Self {
        SequentialParams {
            heartbeat_ms: 100.0,
            resend_ms: 300.0,
            view_change_timeout_ms: 500.0,
        }
    }
}

impl SequentialParams {
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        check_positive_ms(&mut problems, "heartbeat_ms", self.heartbeat_ms);
        check_positive_ms(&mut problems, "resend_ms", self.resend_ms);
        check_positive_ms(
            &mut problems,
            "view_change_timeout_ms",
            self.view_change_timeout_ms,
        );
        if self.heartbeat_ms.is_finite()
            && self.view_change_timeout_ms.is_finite()
            && self.view_change_timeout_ms < 2.0 * self.heartbeat_ms
        {
            problems.push(Problem {
                path: "view_change_timeout_ms".into(),
                message: format!(
                    "must be at least twice heartbeat_ms ({} ms), or replicas suspect a \
                     healthy sequencer between two heartbeats; got {}",
                    self.heartbeat_ms, self.view_change_timeout_ms
                ),
            });
        }
        problems
    }
}

/// A numbered write or cas.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The view whose sequencer numbered it.
    pub view: u64,
    /// Its place in the order, from 1.
    pub seq: u64,
    pub request: RequestId,
    pub client: NodeId,
    /// The replica the client asked, which answers it once the entry is applied.
    pub origin: NodeId,
    pub op: Op,
}

/// Messages of the sequential protocol. Every message but `Submit` names the sender's
/// view; a replica ignores messages of views older than its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeqMsg {
    /// A replica asks the sequencer to number a client's write or cas.
    Submit {
        request: RequestId,
        client: NodeId,
        op: Op,
    },
    /// Numbered entries from the sequencer, with its commit point.
    Prepare {
        view: u64,
        entries: Vec<Entry>,
        commit: u64,
    },
    /// A replica holds the sequencer's log of this view up to `seq`.
    PrepareOk { view: u64, seq: u64 },
    /// The sequencer's heartbeat or commit notice: entries up to `commit` are committed,
    /// and its log reaches `last_seq`.
    Commit {
        view: u64,
        commit: u64,
        last_seq: u64,
    },
    /// A replica asks the sequencer of `view` for its log from `from_seq` on.
    GetState { view: u64, from_seq: u64 },
    /// The sequencer's log from `from_seq` on, with its commit point.
    NewState {
        view: u64,
        from_seq: u64,
        entries: Vec<Entry>,
        commit: u64,
    },
    /// The sender has moved to `view` and stopped listening to older sequencers.
    StartViewChange { view: u64 },
    /// To the sequencer of `view`: the sender's log, as of the last view in which it was
    /// in normal operation, and its commit point.
    DoViewChange {
        view: u64,
        last_normal_view: u64,
        commit: u64,
        log: Vec<Entry>,
    },
    /// From the new sequencer: the log view `view` starts from.
    StartView {
        view: u64,
        commit: u64,
        log: Vec<Entry>,
    },
}

const TIMER_TICK: u64 = 0;

/// Where a replica stands in its view.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// Taking entries from the view's sequencer (or, at the sequencer, numbering them).
    Normal,
    /// Moving to a new view: waiting for a majority and the new sequencer's log.
    ViewChange,
    /// Knows its view has started elsewhere, and waits for the sequencer's log.
    Transfer,
}

/// A read waiting for its replica to catch up with the client's session.
#[derive(Clone, Debug, PartialEq)]
struct WaitingRead {
    client: NodeId,
    request: RequestId,
    key: Key,
    min_seq: u64,
}

/// A write a client is waiting for at this replica.
#[derive(Clone, Debug, PartialEq)]
struct Submitted {
    client: NodeId,
    op: Op,
    /// Local clock reading when it was first handed to the current view's sequencer.
    since: Time,
}

/// What a replica sent in its do-view-change message.
#[derive(Clone, Debug, PartialEq)]
struct ViewChangeLog {
    last_normal_view: u64,
    commit: u64,
    log: Vec<Entry>,
}

/// One replica's state.
///
/// Durable (kept through a crash): `view`, `status`, `last_normal_view`, `log`, `commit`,
/// the store and the applied entries, and which peers are known to have fail-stopped.
/// Everything else is volatile and rebuilt on restart.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequential {
    params: SequentialParams,
    me: NodeId,
    replicas: Vec<NodeId>,
    /// How many replicas make a majority.
    quorum: usize,
    view: u64,
    status: Status,
    /// The latest view in which this replica was in normal operation: the view its log
    /// belongs to.
    last_normal_view: u64,
    /// Every entry this replica holds, in number order (index = seq - 1). Beyond the
    /// commit point it may still change in a view change. Shared in chunks with the
    /// snapshots of a long run (see `shared_log`), as are the applied entries and
    /// `logged`.
    log: SharedLog<Entry>,
    /// Entries up to here are known to be committed.
    commit: u64,
    /// The entries applied, in order (the prefix of the one order this replica has
    /// reached), and the store they built.
    applied_entries: SharedLog<Entry>,
    store: BTreeMap<Key, Value>,
    /// Peers a failure detector reported as stopped for good; views they would lead
    /// are skipped.
    stopped: BTreeSet<NodeId>,
    /// Derived from `log`: the number each request got (the first, if the log holds it
    /// twice), so the sequencer numbers a request once.
    logged: SharedMap<RequestId, u64>,
    /// Volatile, at the sequencer: how far each replica holds its log in this view.
    acked: BTreeMap<NodeId, u64>,
    /// Volatile: replicas known to have moved to this view (view change).
    started: BTreeSet<NodeId>,
    /// Volatile, at the new sequencer: the logs received for this view change.
    logs: BTreeMap<NodeId, ViewChangeLog>,
    /// Volatile: entries of this view received ahead of their turn.
    early: BTreeMap<u64, Entry>,
    /// Volatile: writes this replica took from its clients, not yet applied.
    submitted: BTreeMap<RequestId, Submitted>,
    /// Volatile: reads waiting for this replica to catch up.
    waiting_reads: Vec<WaitingRead>,
    /// Volatile: the length of the sequencer's log at its latest announcement.
    announced: u64,
    /// Volatile, local clock readings: when the sequencer was last heard from, when the
    /// status last changed, and when lost messages were last sent again.
    heard_at: Time,
    status_since: Time,
    resent_at: Time,
    /// Volatile: view changes in a row that timed out.
    failed_view_changes: u32,
    /// A byzantine sequencer that equivocates sends different entries under one number.
    equivocating: bool,
}

impl Sequential {
    pub fn new(node: NodeId, replicas: &[NodeId], params: &SequentialParams) -> Sequential {
        assert!(replicas.contains(&node), "a replica is one of the replicas");
        Sequential {
            params: params.clone(),
            me: node,
            replicas: replicas.to_vec(),
            quorum: replicas.len() / 2 + 1,
            view: 0,
            status: Status::Normal,
            last_normal_view: 0,
            log: SharedLog::new(),
            commit: 0,
            applied_entries: SharedLog::new(),
            store: BTreeMap::new(),
            stopped: BTreeSet::new(),
            logged: SharedMap::new(),
            acked: BTreeMap::new(),
            started: BTreeSet::new(),
            logs: BTreeMap::new(),
            early: BTreeMap::new(),
            submitted: BTreeMap::new(),
            waiting_reads: Vec::new(),
            announced: 0,
            heard_at: Time::ZERO,
            status_since: Time::ZERO,
            resent_at: Time::ZERO,
            failed_view_changes: 0,
            equivocating: false,
        }
    }

    /// How many entries this replica has applied.
    pub fn applied(&self) -> u64 {
        self.applied_entries.len() as u64
    }

    /// The entries this replica has applied, in the order it applied them.
    pub fn applied_entries(&self) -> Vec<Entry> {
        self.applied_entries.to_vec()
    }

    /// Every entry this replica holds, committed or not.
    pub fn log(&self) -> Vec<Entry> {
        self.log.to_vec()
    }

    /// The commit point this replica knows of.
    pub fn commit(&self) -> u64 {
        self.commit
    }

    pub fn view(&self) -> u64 {
        self.view
    }

    pub fn status(&self) -> Status {
        self.status
    }

    /// The sequencer of this replica's current view.
    pub fn sequencer(&self) -> NodeId {
        self.sequencer_of(self.view)
    }

    fn sequencer_of(&self, view: u64) -> NodeId {
        self.replicas[(view % self.replicas.len() as u64) as usize]
    }

    fn is_sequencer(&self) -> bool {
        self.status == Status::Normal && self.sequencer() == self.me
    }

    /// The view after `view` whose sequencer is not known to have stopped for good.
    fn next_view(&self, view: u64) -> u64 {
        let mut next = view + 1;
        for _ in 0..self.replicas.len() {
            if !self.stopped.contains(&self.sequencer_of(next)) {
                break;
            }
            next += 1;
        }
        next
    }

    fn log_len(&self) -> u64 {
        self.log.len() as u64
    }

    /// Local microseconds since `since`. A clock that jumped backwards counts from now.
    fn elapsed_us(now: Time, since: &mut Time) -> u64 {
        if now < *since {
            *since = now;
        }
        now.since_us(*since)
    }

    fn replace_log(&mut self, log: SharedLog<Entry>) {
        debug_assert!(
            log.iter()
                .enumerate()
                .all(|(index, entry)| entry.seq == index as u64 + 1),
            "a log is numbered from 1 without gaps"
        );
        self.logged = SharedMap::new();
        for entry in log.iter() {
            self.logged.insert_if_absent(entry.request, entry.seq);
        }
        self.log = log;
        self.early.clear();
    }

    fn append(&mut self, entry: Entry) {
        debug_assert_eq!(entry.seq, self.log_len() + 1, "entries append in order");
        self.logged.insert_if_absent(entry.request, entry.seq);
        self.log.push(entry);
    }

    // ---- Normal operation ----

    /// At the sequencer: numbers a request (once) and prepares it at every replica.
    fn number(
        &mut self,
        ctx: &mut Ctx<'_, SeqMsg>,
        origin: NodeId,
        request: RequestId,
        client: NodeId,
        op: &Op,
    ) {
        debug_assert!(self.is_sequencer());
        if self.logged.contains_key(&request) {
            // Numbered already; the heartbeats carry it to whoever lacks it.
            return;
        }
        let entry = Entry {
            view: self.view,
            seq: self.log_len() + 1,
            request,
            client,
            origin,
            op: op.clone(),
        };
        self.append(entry.clone());
        let (view, commit) = (self.view, self.commit);
        if self.equivocating {
            // Every other peer gets a different entry under the same number: a write of a
            // value nobody wrote.
            let forged = Entry {
                op: Op::Write {
                    key: op.key().to_string(),
                    value: Value {
                        id: -1_000_000 - entry.seq as i64,
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
                ctx.send(
                    peer,
                    SeqMsg::Prepare {
                        view,
                        entries: vec![told],
                        commit,
                    },
                );
            }
        } else {
            ctx.broadcast(SeqMsg::Prepare {
                view,
                entries: vec![entry],
                commit,
            });
        }
        self.advance_commit(ctx);
    }

    /// At the sequencer: commits what a majority holds, and tells the replicas that took
    /// the newly committed writes at once.
    fn advance_commit(&mut self, ctx: &mut Ctx<'_, SeqMsg>) {
        debug_assert!(self.is_sequencer());
        let log_len = self.log_len();
        let mut held: Vec<u64> = self
            .replicas
            .iter()
            .map(|replica| {
                if *replica == self.me {
                    log_len
                } else {
                    self.acked.get(replica).copied().unwrap_or(0).min(log_len)
                }
            })
            .collect();
        held.sort_unstable_by(|a, b| b.cmp(a));
        let majority_holds = held[self.quorum - 1];
        if majority_holds <= self.commit {
            return;
        }
        let newly = self.commit as usize..majority_holds as usize;
        let origins: BTreeSet<NodeId> = self
            .log
            .iter_from(newly.start)
            .take(newly.len())
            .map(|entry| entry.origin)
            .filter(|origin| *origin != self.me)
            .collect();
        self.commit = majority_holds;
        for origin in origins {
            ctx.send(
                origin,
                SeqMsg::Commit {
                    view: self.view,
                    commit: self.commit,
                    last_seq: log_len,
                },
            );
        }
        self.apply_committed(ctx);
    }

    /// Applies every committed entry this replica holds, in order.
    fn apply_committed(&mut self, ctx: &mut Ctx<'_, SeqMsg>) {
        let target = self.commit.min(self.log_len());
        while self.applied() < target {
            let entry = self.log[self.applied() as usize].clone();
            self.apply(ctx, entry);
        }
        self.serve_waiting_reads(ctx);
    }

    fn apply(&mut self, ctx: &mut Ctx<'_, SeqMsg>, entry: Entry) {
        debug_assert_eq!(
            entry.seq,
            self.applied() + 1,
            "entries apply in number order"
        );
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
        let (request, seq) = (entry.request, entry.seq);
        self.applied_entries.push(entry);
        if let Some(submitted) = self.submitted.remove(&request) {
            ctx.reply_with_session(submitted.client, request, result, SessionToken(vec![seq]));
        }
    }

    fn serve_waiting_reads(&mut self, ctx: &mut Ctx<'_, SeqMsg>) {
        let applied = self.applied();
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

    /// On entering normal operation in a view: hands every waiting write to its sequencer,
    /// which gets a full timeout for each.
    fn hand_over_writes(&mut self, ctx: &mut Ctx<'_, SeqMsg>) {
        for submitted in self.submitted.values_mut() {
            submitted.since = ctx.now;
        }
        self.resubmit(ctx);
    }

    /// Sends (again) every write this replica's clients are waiting for to the sequencer,
    /// or numbers them if this replica is the sequencer.
    fn resubmit(&mut self, ctx: &mut Ctx<'_, SeqMsg>) {
        if self.status != Status::Normal {
            return;
        }
        let pending: Vec<(RequestId, NodeId, Op)> = self
            .submitted
            .iter()
            .map(|(request, submitted)| (*request, submitted.client, submitted.op.clone()))
            .collect();
        for (request, client, op) in pending {
            self.submit(ctx, request, client, &op);
        }
    }

    fn submit(&mut self, ctx: &mut Ctx<'_, SeqMsg>, request: RequestId, client: NodeId, op: &Op) {
        if self.is_sequencer() {
            let me = self.me;
            self.number(ctx, me, request, client, op);
        } else if self.status == Status::Normal {
            ctx.send(
                self.sequencer(),
                SeqMsg::Submit {
                    request,
                    client,
                    op: op.clone(),
                },
            );
        }
    }

    /// At a replica in normal operation: takes the sequencer's entries in order and says
    /// how far it holds the log.
    fn take_entries(&mut self, ctx: &mut Ctx<'_, SeqMsg>, entries: &[Entry], commit: u64) {
        debug_assert!(self.status == Status::Normal && !self.is_sequencer());
        for entry in entries {
            if entry.seq > self.log_len() {
                self.early.insert(entry.seq, entry.clone());
            }
        }
        while let Some(next) = self.early.remove(&(self.log_len() + 1)) {
            self.append(next);
        }
        self.early.retain(|seq, _| *seq > self.log.len() as u64);
        self.commit = self.commit.max(commit);
        self.apply_committed(ctx);
        ctx.send(
            self.sequencer(),
            SeqMsg::PrepareOk {
                view: self.view,
                seq: self.log_len(),
            },
        );
    }

    // ---- View change ----

    /// Moves to `view` and says so; stops listening to older sequencers.
    fn start_view_change(&mut self, ctx: &mut Ctx<'_, SeqMsg>, view: u64) {
        debug_assert!(view > self.view, "views only move forward");
        self.view = view;
        self.status = Status::ViewChange;
        self.status_since = ctx.now;
        self.resent_at = ctx.now;
        self.acked.clear();
        self.early.clear();
        self.logs.clear();
        self.started.clear();
        self.started.insert(self.me);
        ctx.broadcast(SeqMsg::StartViewChange { view });
        self.maybe_do_view_change(ctx);
    }

    /// Follows another replica to `view`, or past it if its sequencer is known to have
    /// stopped for good (the other replica missed the notice, say while it was down).
    fn join_view_change(&mut self, ctx: &mut Ctx<'_, SeqMsg>, view: u64) {
        if self.stopped.contains(&self.sequencer_of(view)) {
            let next = self.next_view(view);
            self.start_view_change(ctx, next);
        } else {
            self.start_view_change(ctx, view);
        }
    }

    /// Once a majority has moved to this view, sends this replica's log to the new
    /// sequencer (or, at the new sequencer, counts its own).
    fn maybe_do_view_change(&mut self, ctx: &mut Ctx<'_, SeqMsg>) {
        if self.status != Status::ViewChange || self.started.len() < self.quorum {
            return;
        }
        let sequencer = self.sequencer();
        if sequencer == self.me {
            self.maybe_start_view(ctx);
        } else {
            ctx.send(
                sequencer,
                SeqMsg::DoViewChange {
                    view: self.view,
                    last_normal_view: self.last_normal_view,
                    commit: self.commit,
                    log: self.log.to_vec(),
                },
            );
        }
    }

    /// The message that brings a replica into this view: its log and commit point.
    fn start_view(&self) -> SeqMsg {
        SeqMsg::StartView {
            view: self.view,
            commit: self.commit,
            log: self.log.to_vec(),
        }
    }

    /// At the new sequencer: with the logs of a majority (its own included), starts the
    /// view from the log of the latest normal view, the longest of those.
    fn maybe_start_view(&mut self, ctx: &mut Ctx<'_, SeqMsg>) {
        debug_assert_eq!(self.sequencer(), self.me);
        if self.status != Status::ViewChange || self.logs.len() + 1 < self.quorum {
            return;
        }
        let mut best_view = self.last_normal_view;
        let mut best: Option<NodeId> = None;
        let mut best_len = self.log_len();
        let mut commit = self.commit;
        for (replica, sent) in &self.logs {
            commit = commit.max(sent.commit);
            if (sent.last_normal_view, sent.log.len() as u64) > (best_view, best_len) {
                best_view = sent.last_normal_view;
                best_len = sent.log.len() as u64;
                best = Some(*replica);
            }
        }
        if let Some(replica) = best {
            let log = SharedLog::from(self.logs[&replica].log.clone());
            self.replace_log(log);
        }
        // Every committed entry is in the chosen log; a byzantine sequencer of an earlier
        // view could announce more than that, which nobody can apply.
        self.commit = commit.min(self.log_len());
        self.status = Status::Normal;
        self.last_normal_view = self.view;
        self.failed_view_changes = 0;
        self.status_since = ctx.now;
        self.logs.clear();
        self.started.clear();
        self.acked.clear();
        ctx.broadcast(self.start_view());
        self.apply_committed(ctx);
        self.advance_commit(ctx);
        self.hand_over_writes(ctx);
    }

    /// Takes the log a sequencer of `view` sent (a start view, or its log from `from_seq`
    /// on), and joins that view in normal operation.
    fn join_view(
        &mut self,
        ctx: &mut Ctx<'_, SeqMsg>,
        view: u64,
        from_seq: u64,
        entries: &[Entry],
        commit: u64,
    ) {
        // What this replica applied is committed, so it is in the sequencer's log at the
        // same numbers: only the rest is taken from the message.
        let keep = ((from_seq - 1) as usize).min(self.log.len());
        let mut log = self.log.clone();
        log.truncate(keep);
        for entry in entries {
            log.push(entry.clone());
        }
        self.replace_log(log);
        self.view = view;
        self.status = Status::Normal;
        self.last_normal_view = view;
        self.failed_view_changes = 0;
        self.status_since = ctx.now;
        self.heard_at = ctx.now;
        self.announced = 0;
        self.commit = self.commit.max(commit);
        self.logs.clear();
        self.started.clear();
        self.acked.clear();
        self.apply_committed(ctx);
        ctx.send(
            self.sequencer(),
            SeqMsg::PrepareOk {
                view,
                seq: self.log_len(),
            },
        );
        self.hand_over_writes(ctx);
    }

    /// Learns that `view` runs normally at its sequencer, and fetches its log.
    fn start_transfer(&mut self, ctx: &mut Ctx<'_, SeqMsg>, view: u64) {
        debug_assert!(view >= self.view);
        // The log stays as it is (with its last normal view) until the sequencer's
        // arrives: if another view change came first, this replica's log would still
        // speak truly for the view it came from.
        self.view = view;
        self.status = Status::Transfer;
        self.status_since = ctx.now;
        self.heard_at = ctx.now;
        self.resent_at = ctx.now;
        self.acked.clear();
        self.early.clear();
        self.logs.clear();
        self.started.clear();
        self.fetch(ctx);
    }

    fn fetch(&self, ctx: &mut Ctx<'_, SeqMsg>) {
        let from_seq = match self.status {
            Status::Normal => self.log_len() + 1,
            _ => self.applied() + 1,
        };
        ctx.send(
            self.sequencer(),
            SeqMsg::GetState {
                view: self.view,
                from_seq,
            },
        );
    }

    /// A message that only the sequencer of `view`, in normal operation, sends: this
    /// replica falls in with that view unless it is already there.
    fn heard_from_sequencer_of(&mut self, ctx: &mut Ctx<'_, SeqMsg>, view: u64) -> bool {
        if view < self.view {
            return false;
        }
        if view > self.view || self.status == Status::ViewChange {
            self.start_transfer(ctx, view);
            return false;
        }
        self.heard_at = ctx.now;
        self.status == Status::Normal
    }

    fn on_tick(&mut self, ctx: &mut Ctx<'_, SeqMsg>) {
        let now = ctx.now;
        let timeout_us = ms_to_us(self.params.view_change_timeout_ms);
        let resend_due =
            Self::elapsed_us(now, &mut self.resent_at) >= ms_to_us(self.params.resend_ms);
        if resend_due {
            self.resent_at = now;
        }
        match self.status {
            Status::Normal if self.sequencer() == self.me => {
                ctx.broadcast(SeqMsg::Commit {
                    view: self.view,
                    commit: self.commit,
                    last_seq: self.log_len(),
                });
            }
            Status::Normal => {
                // A sequencer that has gone quiet is suspected; so is one that is heard
                // but does not get this replica's writes committed, as one that cannot
                // hear the others (a one-way cut) would. A commit takes several trips and
                // perhaps a repair where a heartbeat takes one, so writes get twice as
                // long.
                let stuck = self
                    .submitted
                    .values_mut()
                    .any(|submitted| Self::elapsed_us(now, &mut submitted.since) >= 2 * timeout_us);
                if stuck || Self::elapsed_us(now, &mut self.heard_at) >= timeout_us {
                    let next = self.next_view(self.view);
                    return self.start_view_change_and_tick(ctx, next);
                }
            }
            Status::ViewChange => {
                // A view change that does not finish in time gives way to the next view
                // (its sequencer may be down too). Each failure in a row allows the next
                // one more time, up to four timeouts, so that replicas which joined at
                // different moments overlap long enough to finish one over a slow or
                // lossy network.
                let patience = 1 + u64::from(self.failed_view_changes.min(3));
                if Self::elapsed_us(now, &mut self.status_since) >= timeout_us * patience {
                    self.failed_view_changes += 1;
                    let next = self.next_view(self.view);
                    return self.start_view_change_and_tick(ctx, next);
                }
                // Nothing completes while the view changes: repeat at every tick.
                ctx.broadcast(SeqMsg::StartViewChange { view: self.view });
                self.maybe_do_view_change(ctx);
            }
            Status::Transfer => {
                // Fetching from a sequencer that has gone quiet: suspect it as usual.
                if Self::elapsed_us(now, &mut self.heard_at) >= timeout_us {
                    let next = self.next_view(self.view);
                    return self.start_view_change_and_tick(ctx, next);
                }
                if resend_due {
                    self.fetch(ctx);
                }
            }
        }
        if resend_due {
            self.resubmit(ctx);
        }
        ctx.set_timer(ms_to_us(self.params.heartbeat_ms), TIMER_TICK);
    }

    fn start_view_change_and_tick(&mut self, ctx: &mut Ctx<'_, SeqMsg>, view: u64) {
        self.start_view_change(ctx, view);
        ctx.set_timer(ms_to_us(self.params.heartbeat_ms), TIMER_TICK);
    }

    fn restart_clocks(&mut self, now: Time) {
        self.heard_at = now;
        self.status_since = now;
        self.resent_at = now;
    }
}

impl Protocol for Sequential {
    type Msg = SeqMsg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, SeqMsg>) {
        self.restart_clocks(ctx.now);
        ctx.set_timer(ms_to_us(self.params.heartbeat_ms), TIMER_TICK);
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
            SeqMsg::Prepare {
                view,
                entries,
                commit,
            } => {
                if from == self.sequencer_of(*view) && self.heard_from_sequencer_of(ctx, *view) {
                    self.take_entries(ctx, entries, *commit);
                }
            }
            SeqMsg::Commit {
                view,
                commit,
                last_seq,
            } => {
                if from == self.sequencer_of(*view) && self.heard_from_sequencer_of(ctx, *view) {
                    self.commit = self.commit.max(*commit);
                    self.apply_committed(ctx);
                    // Fetch what is committed but missing here, or what the sequencer
                    // already had at its previous announcement (a prepare sent just
                    // now is likely still on its way).
                    let missing = self.commit > self.log_len()
                        || self.announced.min(*last_seq) > self.log_len();
                    self.announced = *last_seq;
                    if missing {
                        self.fetch(ctx);
                    } else if self.log_len() > self.commit {
                        // Entries it holds are not committed yet: the acknowledgement
                        // may have been lost.
                        ctx.send(
                            from,
                            SeqMsg::PrepareOk {
                                view: *view,
                                seq: self.log_len(),
                            },
                        );
                    }
                }
            }
            SeqMsg::PrepareOk { view, seq } => {
                if *view == self.view && self.is_sequencer() {
                    let held = self.acked.entry(from).or_insert(0);
                    *held = (*held).max(*seq);
                    self.advance_commit(ctx);
                }
            }
            SeqMsg::GetState { view, from_seq } => {
                if *view == self.view && self.is_sequencer() && *from_seq >= 1 {
                    let start = (*from_seq - 1).min(self.log_len()) as usize;
                    ctx.send(
                        from,
                        SeqMsg::NewState {
                            view: *view,
                            from_seq: start as u64 + 1,
                            entries: self.log.to_vec_range(start, self.log.len()),
                            commit: self.commit,
                        },
                    );
                }
            }
            SeqMsg::NewState {
                view,
                from_seq,
                entries,
                commit,
            } => {
                if from != self.sequencer_of(*view) || *view < self.view || *from_seq == 0 {
                    return;
                }
                let joining = *view > self.view || self.status != Status::Normal;
                if joining && *from_seq <= self.applied() + 1 {
                    self.join_view(ctx, *view, *from_seq, entries, *commit);
                } else if joining {
                    self.start_transfer(ctx, *view);
                } else if !self.is_sequencer() {
                    self.heard_at = ctx.now;
                    self.take_entries(ctx, entries, *commit);
                }
            }
            SeqMsg::StartViewChange { view } => {
                if *view > self.view {
                    self.join_view_change(ctx, *view);
                }
                if *view == self.view && self.status == Status::ViewChange {
                    self.started.insert(from);
                    self.maybe_do_view_change(ctx);
                } else if *view == self.view && self.is_sequencer() {
                    // It missed the start of this view.
                    ctx.send(from, self.start_view());
                }
            }
            SeqMsg::DoViewChange {
                view,
                last_normal_view,
                commit,
                log,
            } => {
                if self.sequencer_of(*view) != self.me {
                    return;
                }
                if *view > self.view {
                    self.join_view_change(ctx, *view);
                }
                if *view == self.view && self.status == Status::ViewChange {
                    self.started.insert(from);
                    self.logs.insert(
                        from,
                        ViewChangeLog {
                            last_normal_view: *last_normal_view,
                            commit: *commit,
                            log: log.clone(),
                        },
                    );
                    self.maybe_start_view(ctx);
                } else if *view == self.view && self.is_sequencer() {
                    ctx.send(from, self.start_view());
                }
            }
            SeqMsg::StartView { view, commit, log } => {
                if from != self.sequencer_of(*view) || *view < self.view {
                    return;
                }
                if *view > self.view || self.status != Status::Normal {
                    self.join_view(ctx, *view, 1, log, *commit);
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, SeqMsg>, _timer: TimerId, tag: u64) {
        debug_assert_eq!(tag, TIMER_TICK);
        self.on_tick(ctx);
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
                // A duplicate of a request already applied has had its answer.
                if self
                    .logged
                    .get(&request)
                    .is_some_and(|seq| *seq <= self.applied())
                {
                    return;
                }
                self.submitted.insert(
                    request,
                    Submitted {
                        client,
                        op: op.clone(),
                        since: ctx.now,
                    },
                );
                self.submit(ctx, request, client, op);
            }
        }
    }

    fn on_failure_notice(&mut self, ctx: &mut Ctx<'_, SeqMsg>, peer: NodeId) {
        self.stopped.insert(peer);
        if peer == self.sequencer() && peer != self.me {
            let next = self.next_view(self.view);
            self.start_view_change(ctx, next);
        }
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_, SeqMsg>) {
        // View, status, log, commit point and store are durable; what this node was
        // waiting for and counting is gone with its memory.
        self.acked.clear();
        self.started.clear();
        self.started.insert(self.me);
        self.logs.clear();
        self.early.clear();
        self.submitted.clear();
        self.waiting_reads.clear();
        self.announced = 0;
        self.failed_view_changes = 0;
        self.restart_clocks(ctx.now);
        ctx.set_timer(ms_to_us(self.params.heartbeat_ms), TIMER_TICK);
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

    fn inspect(&self) -> Vec<(&'static str, Shown)> {
        vec![
            ("view", Shown::from(self.view.to_string())),
            (
                "sequencer",
                Shown::Node(Some(
                    self.replicas[(self.view as usize) % self.replicas.len()],
                )),
            ),
            ("log", Shown::from(format!("{} entries", self.log.len()))),
            ("committed", Shown::from(self.commit.to_string())),
            (
                "applied",
                Shown::from(self.applied_entries.len().to_string()),
            ),
        ]
    }

    fn role(&self) -> &'static str {
        match self.status {
            Status::ViewChange => "view change",
            Status::Transfer => "catching up",
            Status::Normal if self.sequencer() == self.me => "sequencer",
            Status::Normal
                if !self.early.is_empty()
                    || !self.waiting_reads.is_empty()
                    || self.applied() < self.commit =>
            {
                "catching up"
            }
            Status::Normal => "replica",
        }
    }

    fn msg_kind(msg: &SeqMsg) -> &'static str {
        match msg {
            SeqMsg::Submit { .. } => "submit",
            SeqMsg::Prepare { .. } => "prepare",
            SeqMsg::PrepareOk { .. } => "prepare-ok",
            SeqMsg::Commit { .. } => "commit",
            SeqMsg::GetState { .. } => "get-state",
            SeqMsg::NewState { .. } => "new-state",
            SeqMsg::StartViewChange { .. } => "start-view-change",
            SeqMsg::DoViewChange { .. } => "do-view-change",
            SeqMsg::StartView { .. } => "start-view",
        }
    }

    fn msg_kinds() -> &'static [&'static str] {
        &[
            "submit",
            "prepare",
            "prepare-ok",
            "commit",
            "get-state",
            "new-state",
            "start-view-change",
            "do-view-change",
            "start-view",
        ]
    }
}
