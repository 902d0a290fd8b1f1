//! Eventual consistency: Dynamo-style replication with last-writer-wins and tunable N, R, W.
//!
//! **What it guarantees.** Convergence, and little else: once writes stop and the network
//! delivers again, every replica that holds a key ends up with the same value. Until then a
//! read may return an old value, a value the same client has already overwritten, or
//! nothing at all. DNS resolvers and Cassandra work this way: always answer, fix it up
//! later. With R + W > N and clocks that agree, a read that begins after a write was
//! acknowledged sees that write or a newer one, because every read quorum meets every write
//! quorum; it is still not linearizable (a write that timed out part-way may be seen by one
//! read and missed by the next), and skewed clocks break even that promise (below).
//!
//! **How.** Each key lives on N replicas (every replica by default; with fewer, the N
//! replicas that rank highest for the key under rendezvous hashing with a stable hash, so
//! every node computes the same preference list). Any replica coordinates the request a
//! client sends it. A write gets a timestamp `(local clock, node id)` from the coordinator,
//! is applied there if the coordinator holds the key, and is pushed at once to the key's
//! other replicas; the coordinator answers after W acknowledgements, its own apply
//! counting as one. A read asks the key's replicas and answers with the newest of the first
//! R replies; with read repair on, replicas that answered with an older version are sent
//! the newest one. Every `anti_entropy_ms` each replica sends a peer (peers in a random
//! order, each once per cycle) a digest (key, timestamp) of the keys they share; each side
//! then sends the other the versions it is missing, so pushes lost to a partition or a
//! crash are made good, and within N − 1 rounds of a heal every pair has reconciled.
//! Conflicts resolve by last writer wins: the higher timestamp survives everywhere, so
//! replicas converge, and the concurrent write with the lower timestamp is silently lost.
//!
//! A compare-and-set is evaluated by the coordinator on the newest of R replies and, if it
//! matches, written like any write. It is **not atomic across replicas**: two coordinators
//! may both see the old value and both succeed; last writer wins keeps one, and the other,
//! although acknowledged, vanishes. That is the honest behaviour of an eventual store.
//!
//! **Cost.** With the default R = W = 1 and a client talking to a replica of its key, the
//! coordinator answers at once (one round trip between client and replica); a write sends
//! N − 1 pushes, a read no message. A write with W > 1 waits for the (W − 1)-th fastest
//! acknowledgement (N − 1 pushes and as many acknowledgements); a read with R > 1 waits for
//! the (R − 1)-th fastest reply (2 (N − 1) messages, plus repairs). Anti-entropy adds two or
//! three messages per replica per interval, carrying a digest of every shared key.
//!
//! **Failures tolerated.** Any number of crashed, slow or cut-off replicas as long as a
//! client reaches one: with R = W = 1 every reachable replica keeps serving through a
//! partition (the A of CAP). With quorums an operation needs R (or W) of the key's replicas;
//! otherwise a read fails after `request_timeout_ms` and a write stays unanswered, which the
//! client records as indeterminate: if it was applied anywhere, it will spread. There is no
//! hinted handoff: a write that cannot reach W of its own replicas is not parked elsewhere.
//! On a crash the store and the last timestamp issued are **durable** (a real node writes
//! them to disk before acknowledging); coordinations in progress, the window of recent
//! request ids and what the node knew of stopped peers are **volatile**. After a restart
//! or a heal, anti-entropy brings every replica up to date.
//!
//! **How it breaks.** Stale reads whenever R + W ≤ N, most visibly right after a write and
//! across a partition. Last writer wins trusts clocks: a node whose clock runs behind stamps
//! its writes in the past, so a write it acknowledges can lose to an older write and
//! disappear; [`Eventual::version`] exposes every timestamp so that loss can be shown.

use super::anti_entropy::PeerCycle;
use super::check_positive_ms;
use super::requests::RecentRequests;
use crate::hash::fnv1a64;
use crate::protocol::{
    Ctx, Key, Op, OpResult, Protocol, RequestId, SessionToken, Shown, TimerId, Value,
};
use crate::scenario::Problem;
use crate::time::{ms_to_us, Time};
use crate::topology::NodeId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Parameters of the eventual protocol; every field has a default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventualParams {
    /// How many replicas hold each key; 0 means every replica. Default 0.
    pub n: u32,
    /// How many replies a read waits for, the coordinator's own included. Default 1.
    pub r: u32,
    /// How many acknowledgements a write waits for, the coordinator's own apply included.
    /// Default 1.
    pub w: u32,
    /// After a read, send the newest version to replicas that answered with an older one.
    /// Only matters when R > 1 or the coordinator does not hold the key. Default true.
    pub read_repair: bool,
    /// How often each replica reconciles with one random peer. Default 1000 ms.
    pub anti_entropy_ms: f64,
    /// How long a coordinator waits for R replies or W acknowledgements before giving up:
    /// a read then fails, a write stays unanswered (it may have been applied). Default 800 ms.
    pub request_timeout_ms: f64,
}

impl Default for EventualParams {
    fn default() -> Self {
        EventualParams {
            n: 0,
            r: 1,
            w: 1,
            read_repair: true,
            anti_entropy_ms: 1_000.0,
            request_timeout_ms: 800.0,
        }
    }
}

impl EventualParams {
    /// Problems that need no knowledge of the topology, with paths relative to `protocol`.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for (field, quorum) in [("r", self.r), ("w", self.w)] {
            if quorum == 0 {
                problems.push(Problem {
                    path: field.into(),
                    message: "a quorum must be at least 1".into(),
                });
            }
        }
        check_positive_ms(&mut problems, "anti_entropy_ms", self.anti_entropy_ms);
        check_positive_ms(&mut problems, "request_timeout_ms", self.request_timeout_ms);
        problems
    }

    /// Problems that depend on how many replicas the scenario has.
    pub fn problems_with_replicas(&self, replicas: usize) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.n as usize > replicas {
            problems.push(Problem {
                path: "n".into(),
                message: format!(
                    "N = {} is larger than the number of replicas ({replicas})",
                    self.n
                ),
            });
        }
        let n = self.effective_n(replicas);
        for (field, what, quorum) in [("r", "read", self.r), ("w", "write", self.w)] {
            if quorum as usize > n {
                problems.push(Problem {
                    path: field.into(),
                    message: format!("a {what} quorum of {quorum} is larger than N = {n}"),
                });
            }
        }
        problems
    }

    /// N as it applies to a system of `replicas` replicas.
    pub fn effective_n(&self, replicas: usize) -> usize {
        if self.n == 0 {
            replicas
        } else {
            (self.n as usize).min(replicas)
        }
    }
}

/// A last-writer-wins timestamp: the coordinator's local clock reading, then its node id
/// to break ties. Compared field by field.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Stamp {
    pub time_us: u64,
    pub node: u32,
}

/// A value with the timestamp of the write that put it there.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub stamp: Stamp,
    pub value: Value,
}

/// Whether `candidate` wins over `current` under last writer wins.
fn newer(candidate: &Version, current: Option<&Version>) -> bool {
    current.is_none_or(|current| candidate.stamp > current.stamp)
}

/// Messages between replicas. `op` numbers a coordination, so replies find it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventualMsg {
    /// Store this version; acknowledge when `op` is given (a write waiting for W).
    Put {
        op: Option<u64>,
        key: Key,
        version: Version,
    },
    /// The put for coordination `op` is applied.
    Ack { op: u64 },
    /// What do you hold for `key`?
    Get { op: u64, key: Key },
    /// The answer to a get.
    Value {
        op: u64,
        key: Key,
        version: Option<Version>,
    },
    /// Read repair: a read found this replica behind.
    Repair { key: Key, version: Version },
    /// Anti-entropy, first step: the timestamp of every key both ends hold.
    Digest { stamps: Vec<(Key, Stamp)> },
    /// Anti-entropy, answer: versions newer than the other side's, and the keys this side
    /// wants in return (only in the answer to a digest).
    Sync {
        versions: Vec<(Key, Version)>,
        want: Vec<Key>,
    },
}

/// The anti-entropy timer's tag; timeouts of coordinations use their op number (from 1).
const TIMER_ANTI_ENTROPY: u64 = 0;

/// A coordination in progress.
#[derive(Clone, Debug, PartialEq)]
enum Pending {
    Write {
        client: NodeId,
        request: RequestId,
        /// The replicas that have the write, by id: a duplicated acknowledgement counts once.
        acked: BTreeSet<NodeId>,
        /// What the reply carries: nothing for a write, the replaced value for a cas.
        result: Option<Value>,
        timer: TimerId,
    },
    Read {
        client: NodeId,
        request: RequestId,
        key: Key,
        /// The cas this read serves, if any: `(old, new)`.
        cas: Option<(i64, Value)>,
        /// How many replicas were asked (the coordinator included when it holds the key).
        asked: usize,
        replies: Vec<(NodeId, Option<Version>)>,
        /// Newest version seen so far.
        newest: Option<Version>,
        /// Whether the client has had its answer (late replies then only feed repair).
        answered: bool,
        timer: TimerId,
    },
}

impl Pending {
    fn waits_for_quorum(&self) -> bool {
        match self {
            Pending::Write { .. } => true,
            Pending::Read { answered, .. } => !answered,
        }
    }
}

/// One replica's state.
#[derive(Clone, Debug, PartialEq)]
pub struct Eventual {
    params: EventualParams,
    node: NodeId,
    /// Every replica, in id order.
    replicas: Vec<NodeId>,
    /// N, resolved against the replica count.
    n: usize,
    /// Durable: the store, with the timestamp of every value.
    store: BTreeMap<Key, Version>,
    /// Durable: the last timestamp this node issued, so its own writes are ordered.
    last_stamp_us: u64,
    /// Never reset, so a reply to a coordination from before a crash never matches a new
    /// one (a real node would number them with an incarnation).
    next_op: u64,
    /// Volatile: coordinations in progress.
    pending: BTreeMap<u64, Pending>,
    /// Volatile: request ids seen lately.
    recent: RecentRequests,
    /// Volatile: peers announced as stopped for good.
    stopped: BTreeSet<NodeId>,
    /// Volatile: the order in which peers get their anti-entropy turn.
    sync_cycle: PeerCycle,
}

impl Eventual {
    /// The state of replica `node`, one of `replicas`.
    pub fn new(node: NodeId, replicas: &[NodeId], params: &EventualParams) -> Eventual {
        assert!(
            replicas.contains(&node),
            "an eventual node is one of the replicas"
        );
        Eventual {
            params: params.clone(),
            node,
            replicas: replicas.to_vec(),
            n: params.effective_n(replicas.len()),
            store: BTreeMap::new(),
            last_stamp_us: 0,
            next_op: 1,
            pending: BTreeMap::new(),
            recent: RecentRequests::default(),
            stopped: BTreeSet::new(),
            sync_cycle: PeerCycle::default(),
        }
    }

    /// The version this replica holds for `key`, with its last-writer-wins timestamp.
    pub fn version(&self, key: &str) -> Option<&Version> {
        self.store.get(key)
    }

    /// The replicas that hold `key`, in preference order. With N equal to the replica count
    /// that is every replica in id order; otherwise rendezvous hashing: each replica scores
    /// `fnv1a64(key, node)` and the N highest hold the key, so adding a replica moves only
    /// the keys it wins.
    pub fn owners(&self, key: &str) -> Vec<NodeId> {
        if self.n >= self.replicas.len() {
            return self.replicas.clone();
        }
        let mut scored: Vec<(u64, NodeId)> = self
            .replicas
            .iter()
            .map(|&replica| {
                let mut bytes = key.as_bytes().to_vec();
                bytes.push(0xff);
                bytes.extend_from_slice(&replica.0.to_le_bytes());
                (fnv1a64(&bytes), replica)
            })
            .collect();
        scored.sort_by(|a, b| b.cmp(a));
        scored
            .into_iter()
            .take(self.n)
            .map(|(_, replica)| replica)
            .collect()
    }

    fn holds(&self, key: &str, node: NodeId) -> bool {
        self.n >= self.replicas.len() || self.owners(key).contains(&node)
    }

    /// Keeps `version` if it is newer than what the store holds; true if it was.
    fn merge(&mut self, key: &str, version: Version) -> bool {
        if newer(&version, self.store.get(key)) {
            self.store.insert(key.to_string(), version);
            true
        } else {
            false
        }
    }

    /// A fresh timestamp from the local clock: a clock that runs behind gives old ones,
    /// which is the point. Only this node's own writes are kept in order.
    fn next_stamp(&mut self, now: Time) -> Stamp {
        let time_us = now.as_us().max(self.last_stamp_us + 1);
        self.last_stamp_us = time_us;
        Stamp {
            time_us,
            node: self.node.0,
        }
    }

    fn new_op(&mut self) -> u64 {
        let op = self.next_op;
        self.next_op += 1;
        op
    }

    fn timeout_us(&self) -> u64 {
        ms_to_us(self.params.request_timeout_ms)
    }

    fn arm_anti_entropy(&self, ctx: &mut Ctx<'_, EventualMsg>, first: bool) {
        let period_us = ms_to_us(self.params.anti_entropy_ms).max(1);
        // The first round starts at a random phase, so replicas do not reconcile in step.
        let after_us = if first {
            1 + ctx.rng.below(period_us)
        } else {
            period_us
        };
        ctx.set_timer(after_us, TIMER_ANTI_ENTROPY);
    }

    /// Writes `value` to `key` for a client and answers once W replicas have it.
    fn coordinate_write(
        &mut self,
        ctx: &mut Ctx<'_, EventualMsg>,
        client: NodeId,
        request: RequestId,
        key: &str,
        value: Value,
        result: Option<Value>,
    ) {
        let version = Version {
            stamp: self.next_stamp(ctx.now),
            value,
        };
        let owners = self.owners(key);
        let mut acked = BTreeSet::new();
        if owners.contains(&self.node) {
            // Applied even when an existing version wins: the write is acknowledged and
            // shadowed, as last writer wins does.
            self.merge(key, version);
            acked.insert(self.node);
        }
        let op = (acked.len() < self.params.w as usize).then(|| self.new_op());
        for &owner in owners.iter().filter(|&&owner| owner != self.node) {
            ctx.send(
                owner,
                EventualMsg::Put {
                    op,
                    key: key.to_string(),
                    version,
                },
            );
        }
        match op {
            None => ctx.reply(client, request, OpResult::Ok(result)),
            Some(op) => {
                let timer = ctx.set_timer(self.timeout_us(), op);
                self.pending.insert(
                    op,
                    Pending::Write {
                        client,
                        request,
                        acked,
                        result,
                        timer,
                    },
                );
            }
        }
    }

    /// Reads `key` for a client (or for a cas) from R replicas.
    fn coordinate_read(
        &mut self,
        ctx: &mut Ctx<'_, EventualMsg>,
        client: NodeId,
        request: RequestId,
        key: &str,
        cas: Option<(i64, Value)>,
    ) {
        let owners = self.owners(key);
        let local = owners.contains(&self.node);
        let needed = self.params.r as usize;
        if local && needed <= 1 {
            let current = self.store.get(key).copied();
            return self.finish_read(ctx, client, request, key, current, cas);
        }
        let op = self.new_op();
        for &owner in owners.iter().filter(|&&owner| owner != self.node) {
            ctx.send(
                owner,
                EventualMsg::Get {
                    op,
                    key: key.to_string(),
                },
            );
        }
        let replies = if local {
            vec![(self.node, self.store.get(key).copied())]
        } else {
            Vec::new()
        };
        let newest = replies.iter().filter_map(|(_, version)| *version).next();
        let timer = ctx.set_timer(self.timeout_us(), op);
        self.pending.insert(
            op,
            Pending::Read {
                client,
                request,
                key: key.to_string(),
                cas,
                asked: owners.len(),
                replies,
                newest,
                answered: false,
                timer,
            },
        );
    }

    /// Answers a read with `current`, or carries on with the cas it was for.
    fn finish_read(
        &mut self,
        ctx: &mut Ctx<'_, EventualMsg>,
        client: NodeId,
        request: RequestId,
        key: &str,
        current: Option<Version>,
        cas: Option<(i64, Value)>,
    ) {
        let current = current.map(|version| version.value);
        match (cas, current) {
            (None, _) => ctx.reply(client, request, OpResult::Ok(current)),
            (Some((old, new)), Some(found)) if found.shown == old => {
                self.coordinate_write(ctx, client, request, key, new, Some(found));
            }
            (Some((old, _)), found) => {
                let reason = match found {
                    Some(found) => format!("the value is {}, not {old}", found.shown),
                    None => format!("the key has no value, not {old}"),
                };
                ctx.reply(client, request, OpResult::Fail(reason));
            }
        }
    }

    fn on_value(
        &mut self,
        ctx: &mut Ctx<'_, EventualMsg>,
        from: NodeId,
        op: u64,
        version: Option<Version>,
    ) {
        let duplicate = match self.pending.get(&op) {
            Some(Pending::Read { replies, .. }) => replies.iter().any(|(node, _)| *node == from),
            // Answered and done, timed out, or from before a crash.
            _ => return,
        };
        if duplicate {
            return; // A copy the network duplicated counts once.
        }
        let Some(Pending::Read {
            client,
            request,
            key,
            cas,
            asked,
            mut replies,
            mut newest,
            answered,
            timer,
        }) = self.pending.remove(&op)
        else {
            unreachable!("just found as a read");
        };
        replies.push((from, version));
        if let Some(version) = version {
            if newer(&version, newest.as_ref()) {
                newest = Some(version);
            }
        }
        let mut answered_now = answered;
        if !answered && replies.len() >= self.params.r as usize {
            answered_now = true;
            if self.params.read_repair {
                self.repair(ctx, &key, newest, &replies);
            }
            self.finish_read(ctx, client, request, &key, newest, cas);
        } else if answered && self.params.read_repair {
            // A late reply: repair it if it is behind the newest version seen.
            self.repair(ctx, &key, newest, &replies[replies.len() - 1..]);
        }
        // Done once every replica asked has replied, or once answered when late replies
        // would serve nothing (a cas has moved on to its write; no repair to do).
        let done =
            replies.len() >= asked || (answered_now && (cas.is_some() || !self.params.read_repair));
        if done {
            debug_assert!(answered_now, "every replica replied, so R of them did");
            ctx.cancel_timer(timer);
            return;
        }
        self.pending.insert(
            op,
            Pending::Read {
                client,
                request,
                key,
                cas,
                asked,
                replies,
                newest,
                answered: answered_now,
                timer,
            },
        );
    }

    /// Sends `newest` to every replier that answered with something older.
    fn repair(
        &mut self,
        ctx: &mut Ctx<'_, EventualMsg>,
        key: &str,
        newest: Option<Version>,
        replies: &[(NodeId, Option<Version>)],
    ) {
        let Some(newest) = newest else { return };
        for (node, version) in replies {
            if !newer(&newest, version.as_ref()) {
                continue;
            }
            if *node == self.node {
                self.merge(key, newest);
            } else {
                ctx.send(
                    *node,
                    EventualMsg::Repair {
                        key: key.to_string(),
                        version: newest,
                    },
                );
            }
        }
    }

    fn on_ack(&mut self, ctx: &mut Ctx<'_, EventualMsg>, from: NodeId, op: u64) {
        let Some(Pending::Write { acked, .. }) = self.pending.get_mut(&op) else {
            return;
        };
        acked.insert(from);
        if acked.len() < self.params.w as usize {
            return;
        }
        if let Some(Pending::Write {
            client,
            request,
            result,
            timer,
            ..
        }) = self.pending.remove(&op)
        {
            ctx.cancel_timer(timer);
            ctx.reply(client, request, OpResult::Ok(result));
        }
    }

    /// A coordination ran out of time. A read that has not answered fails: it changed
    /// nothing. A write never fails here, since it may have been applied; the client's own
    /// timeout records it as indeterminate.
    fn on_timeout(&mut self, ctx: &mut Ctx<'_, EventualMsg>, op: u64) {
        // Writes, and reads already answered (kept only for late repairs), end silently.
        if let Some(Pending::Read {
            client,
            request,
            replies,
            answered: false,
            cas,
            ..
        }) = self.pending.remove(&op)
        {
            let what = if cas.is_some() { "cas" } else { "read" };
            let reason = format!(
                "only {} of the {} replies a {what} needs came within {} ms",
                replies.len(),
                self.params.r,
                self.params.request_timeout_ms
            );
            ctx.reply(client, request, OpResult::Fail(reason));
        }
    }

    /// Anti-entropy, first step: a digest of the keys this node and `peer` both hold.
    fn start_sync(&mut self, ctx: &mut Ctx<'_, EventualMsg>) {
        let peers: Vec<usize> = (0..self.replicas.len())
            .filter(|&slot| {
                let peer = self.replicas[slot];
                peer != self.node && !self.stopped.contains(&peer)
            })
            .collect();
        let Some(slot) = self.sync_cycle.next(&peers, ctx.rng) else {
            return;
        };
        let peer = self.replicas[slot];
        let stamps = self
            .store
            .iter()
            .filter(|(key, _)| self.holds(key, peer))
            .map(|(key, version)| (key.clone(), version.stamp))
            .collect();
        ctx.send(peer, EventualMsg::Digest { stamps });
    }

    /// Anti-entropy, answer: what the digest's sender lacks, and what this node lacks.
    fn answer_digest(
        &mut self,
        ctx: &mut Ctx<'_, EventualMsg>,
        from: NodeId,
        stamps: &[(Key, Stamp)],
    ) {
        let theirs: BTreeMap<&str, Stamp> = stamps
            .iter()
            .map(|(key, stamp)| (key.as_str(), *stamp))
            .collect();
        let mut versions = Vec::new();
        for (key, version) in &self.store {
            let behind = theirs
                .get(key.as_str())
                .is_none_or(|stamp| version.stamp > *stamp);
            if behind && self.holds(key, from) {
                versions.push((key.clone(), *version));
            }
        }
        let want: Vec<Key> = stamps
            .iter()
            .filter(|(key, stamp)| {
                self.holds(key, self.node)
                    && self.store.get(key).is_none_or(|mine| *stamp > mine.stamp)
            })
            .map(|(key, _)| key.clone())
            .collect();
        if !versions.is_empty() || !want.is_empty() {
            ctx.send(from, EventualMsg::Sync { versions, want });
        }
    }

    fn on_sync(
        &mut self,
        ctx: &mut Ctx<'_, EventualMsg>,
        from: NodeId,
        versions: &[(Key, Version)],
        want: &[Key],
    ) {
        for (key, version) in versions {
            if self.holds(key, self.node) {
                self.merge(key, *version);
            }
        }
        let wanted: Vec<(Key, Version)> = want
            .iter()
            .filter_map(|key| self.store.get(key).map(|version| (key.clone(), *version)))
            .collect();
        if !wanted.is_empty() {
            ctx.send(
                from,
                EventualMsg::Sync {
                    versions: wanted,
                    want: Vec::new(),
                },
            );
        }
    }
}

impl Protocol for Eventual {
    type Msg = EventualMsg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, EventualMsg>) {
        self.arm_anti_entropy(ctx, true);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, EventualMsg>, from: NodeId, msg: &EventualMsg) {
        match msg {
            EventualMsg::Put { op, key, version } => {
                self.merge(key, *version);
                if let Some(op) = op {
                    ctx.send(from, EventualMsg::Ack { op: *op });
                }
            }
            EventualMsg::Ack { op } => self.on_ack(ctx, from, *op),
            EventualMsg::Get { op, key } => {
                let version = self.store.get(key).copied();
                ctx.send(
                    from,
                    EventualMsg::Value {
                        op: *op,
                        key: key.clone(),
                        version,
                    },
                );
            }
            EventualMsg::Value { op, version, .. } => self.on_value(ctx, from, *op, *version),
            EventualMsg::Repair { key, version } => {
                self.merge(key, *version);
            }
            EventualMsg::Digest { stamps } => self.answer_digest(ctx, from, stamps),
            EventualMsg::Sync { versions, want } => self.on_sync(ctx, from, versions, want),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, EventualMsg>, _timer: TimerId, tag: u64) {
        if tag == TIMER_ANTI_ENTROPY {
            self.start_sync(ctx);
            self.arm_anti_entropy(ctx, false);
        } else {
            self.on_timeout(ctx, tag);
        }
    }

    fn on_client_request(
        &mut self,
        ctx: &mut Ctx<'_, EventualMsg>,
        client: NodeId,
        request: RequestId,
        op: &Op,
        _session: &SessionToken,
    ) {
        if !self.recent.first_time(request) {
            return; // A copy the network duplicated: the first is being served.
        }
        match op {
            Op::Read { key } => self.coordinate_read(ctx, client, request, key, None),
            Op::Write { key, value } => {
                self.coordinate_write(ctx, client, request, key, *value, None);
            }
            Op::Cas { key, old, new } => {
                self.coordinate_read(ctx, client, request, key, Some((*old, *new)));
            }
        }
    }

    fn on_failure_notice(&mut self, _ctx: &mut Ctx<'_, EventualMsg>, peer: NodeId) {
        self.stopped.insert(peer);
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_, EventualMsg>) {
        // The store and the last timestamp are durable; everything in progress is lost
        // (its clients time out and record it as indeterminate).
        self.pending.clear();
        self.recent.clear();
        self.stopped.clear();
        self.sync_cycle.clear();
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
        let stamps: Vec<String> = self
            .store
            .iter()
            .map(|(key, version)| format!("{key}: {:?}", version.stamp))
            .collect();
        vec![
            (
                "N / R / W",
                Shown::from(format!(
                    "{} / {} / {}",
                    self.n, self.params.r, self.params.w
                )),
            ),
            (
                "versions",
                Shown::from(if stamps.is_empty() {
                    "none".into()
                } else {
                    stamps.join("; ")
                }),
            ),
            (
                "operations coordinating",
                Shown::from(self.pending.len().to_string()),
            ),
        ]
    }

    fn role(&self) -> &'static str {
        if self.pending.values().any(Pending::waits_for_quorum) {
            "coordinating"
        } else {
            "replica"
        }
    }

    fn msg_kind(msg: &EventualMsg) -> &'static str {
        match msg {
            EventualMsg::Put { .. } => "put",
            EventualMsg::Ack { .. } => "ack",
            EventualMsg::Get { .. } => "get",
            EventualMsg::Value { .. } => "value",
            EventualMsg::Repair { .. } => "repair",
            EventualMsg::Digest { .. } => "digest",
            EventualMsg::Sync { .. } => "sync",
        }
    }

    fn msg_kinds() -> &'static [&'static str] {
        &["put", "ack", "get", "value", "repair", "digest", "sync"]
    }
}
