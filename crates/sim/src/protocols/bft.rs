//! Byzantine fault tolerant replication in the style of PBFT (Castro and Liskov, OSDI 1999).
//!
//! **The guarantee.** Linearizability, even when some replicas lie. With n = 3f + 1
//! replicas, up to f of them may behave arbitrarily (lie, equivocate, replay, fall
//! silent), and still every correct replica executes the same requests in the same order,
//! and no client served by a correct replica accepts a result the correct replicas did not
//! compute. The crash-tolerant protocols trust each other's word; this one trusts only what
//! enough replicas say alike.
//!
//! **How.** The replicas move through numbered *views*; in view v the replica
//! `replicas[v mod n]` is the *primary*, the others are *backups*. A client asks one
//! replica, its *proxy*, which relays the request to every replica. The primary gives it
//! the next sequence number and multicasts PRE-PREPARE(v, seq, request). A backup accepts
//! it if it is in view v, the number lies within its watermarks and it has not accepted a
//! different request for (v, seq); it multicasts PREPARE. A replica holding the
//! pre-prepare plus 2f matching prepares from distinct backups has *prepared* the request:
//! no correct replica can prepare another request for (v, seq), because two sets of 2f + 1
//! replicas share a correct one. It multicasts COMMIT; with 2f + 1 matching commits the
//! request is *committed* and, once every lower number is executed, it runs on the
//! replica's key-value store. Each replica sends its result to the proxy as a REPLY VOTE.
//!
//! *Client acceptance.* In PBFT the client library waits for f + 1 matching replies, so
//! at least one comes from a correct replica. The engine's clients are shared by every
//! protocol and accept the first reply they get, so here the proxy votes on the client's
//! behalf: it answers only once f + 1 replicas (itself included) report the same result.
//! This protects a client from lying replicas, not from a lying proxy: a proxy that lies
//! to its own client (the engine's `lie` strategy) is believed, exactly as a client would
//! believe a compromised client library. A client linked to several replicas fails over
//! to the next one when its operation times out.
//!
//! *View change.* A backup that knows of a request (the proxy relays it to everyone) and
//! does not see it executed within `view_change_timeout_ms`, or that holds proof the
//! primary equivocated (two different pre-prepares for one number, or f + 1 prepares
//! contradicting the one it accepted), multicasts VIEW-CHANGE for v + 1 carrying its
//! *prepared certificates*. A replica that sees f + 1 replicas ask for a higher view
//! joins them. The new primary, with 2f + 1 view changes, multicasts NEW-VIEW: it re-issues
//! every request prepared in any of them at the **same sequence number** (the one
//! prepared in the highest view wins) and fills gaps with null requests, so a request that
//! may have committed anywhere keeps its place. Backups recompute the new view from the
//! view changes it carries and refuse one that does not match. When a new view does not
//! come in time, the replicas move on to the next, and every consecutive view change
//! doubles the timeout.
//!
//! *Checkpoints.* Every `checkpoint_interval` executions a replica multicasts a digest of
//! its state; 2f + 1 matching digests make a *stable checkpoint*, below which the log is
//! dropped and view changes need not look. The primary assigns numbers at most
//! `log_window` above it. A replica that fell behind (lost messages) fetches executed
//! requests from its peers and accepts each only when f + 1 of them agree.
//!
//! *Signatures.* PBFT signs view changes and certificates so that they can be passed on.
//! The playground has no cryptography: its channels are authenticated, so a node cannot
//! forge another's messages, and a certificate here is the list of replicas whose messages
//! formed it. None of the byzantine strategies the playground offers invents a
//! certificate, so this stands in for a signature check; a real deployment without
//! signatures needs the extra acknowledgements of Castro's PBFT with MACs.
//!
//! **Cost.** Every operation, reads included, costs O(n²) messages: n - 1 relays, n - 1
//! pre-prepares, (n - 1)² prepares, n(n - 1) commits and n - 1 reply votes, 30 for n = 4
//! (the byzantine preset measures about 33 per operation with checkpoints, where the
//! sequencer of the sequential protocol needs under 10 on the same workload, heartbeats
//! included). The latency is the client's round trip plus the relay, three message delays
//! (pre-prepare, prepare, commit) and the vote. That is the price of tolerating a liar:
//! the sequential protocol, faced with an equivocating sequencer, lets readers see posts
//! nobody wrote.
//!
//! **Failures.** Lost, duplicated and reordered messages are repaired by retransmission,
//! de-duplication and fetching: a replica that makes no progress sends its own messages
//! again and asks its peers, which answer with the requests they executed and with their
//! commits for the numbers they committed. A crashed replica restarts with its durable
//! state. Up to f byzantine replicas of 3f + 1 change nothing a correct replica executes
//! or a client of a correct proxy accepts; a faulty primary costs a view change. With
//! f + 1 byzantine replicas the quorums no longer share a correct replica and the
//! protocol breaks: two liars agreeing on an invented result outvote the truth at a
//! proxy, and the history stops being linearizable.

use super::check_positive_ms;
use super::shared_log::{SharedLog, SharedMap};
use crate::fault::Strategy;
use crate::hash::StableHasher;
use crate::protocol::{
    Ctx, Key, Op, OpResult, Protocol, RequestId, SessionToken, Shown, TimerId, Value,
};
use crate::scenario::Problem;
use crate::time::{ms_to_us, Time};
use crate::topology::NodeId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The fewest replicas BFT runs on: 3f + 1 with f = 1.
pub const MIN_REPLICAS: usize = 4;

/// Values a lying replica invents have ids at or below this, which no write uses.
pub const FABRICATED_ID_BASE: i64 = -2_000_000;

/// Most executed requests one fetch answer carries.
const FETCH_BATCH: usize = 64;

/// Consecutive view changes double the timeout at most this many times.
const MAX_BACKOFF_SHIFT: u64 = 6;

const TIMER_TICK: u64 = 0;

/// Parameters of the BFT protocol; every field has a default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BftParams {
    /// How long a backup waits for a request it knows of to execute before it suspects the
    /// primary, and how long a replica waits for the new view once 2f + 1 replicas asked
    /// for it. Doubles with every consecutive view change. Default 1000 ms.
    pub view_change_timeout_ms: f64,
    /// How long a replica waits for progress before it retransmits what may have been
    /// lost (relays, its own protocol messages, fetches of executed requests); replicas
    /// look twice per period. At most `view_change_timeout_ms`. Default 250 ms.
    pub resend_ms: f64,
    /// Replicas exchange a checkpoint every this many executed sequence numbers.
    /// Default 16.
    pub checkpoint_interval: u64,
    /// The primary assigns sequence numbers at most this far above the last stable
    /// checkpoint (the high watermark). At least twice `checkpoint_interval`. Default 64.
    pub log_window: u64,
}

impl Default for BftParams {
    fn default() -> Self {
        BftParams {
            view_change_timeout_ms: 1_000.0,
            resend_ms: 250.0,
            checkpoint_interval: 16,
            log_window: 64,
        }
    }
}

impl BftParams {
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        check_positive_ms(
            &mut problems,
            "view_change_timeout_ms",
            self.view_change_timeout_ms,
        );
        check_positive_ms(&mut problems, "resend_ms", self.resend_ms);
        if self.resend_ms > self.view_change_timeout_ms {
            problems.push(Problem {
                path: "resend_ms".into(),
                message: format!(
                    "must not exceed view_change_timeout_ms ({}), got {}",
                    self.view_change_timeout_ms, self.resend_ms
                ),
            });
        }
        if !(1..=10_000).contains(&self.checkpoint_interval) {
            problems.push(Problem {
                path: "checkpoint_interval".into(),
                message: format!(
                    "must be between 1 and 10000 sequence numbers, got {}",
                    self.checkpoint_interval
                ),
            });
        }
        if self.log_window < self.checkpoint_interval.saturating_mul(2) || self.log_window > 100_000
        {
            problems.push(Problem {
                path: "log_window".into(),
                message: format!(
                    "must be at least twice checkpoint_interval ({}) and at most 100000, got {}",
                    self.checkpoint_interval, self.log_window
                ),
            });
        }
        problems
    }
}

/// Problems of running BFT on `replicas` replicas (paths relative to `protocol`).
pub fn replica_problems(replicas: usize) -> Vec<Problem> {
    if replicas < MIN_REPLICAS {
        vec![Problem {
            path: String::new(),
            message: format!(
                "bft needs at least {MIN_REPLICAS} replicas (3f + 1 with f ≥ 1), got {replicas}"
            ),
        }]
    } else {
        Vec::new()
    }
}

/// A client's operation as the replicas order it. The request itself serves as its
/// digest: two requests match when they are equal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub id: RequestId,
    pub client: NodeId,
    /// The replica the client asked, which collects the votes and answers it.
    pub proxy: NodeId,
    pub op: Op,
}

/// What a sequence number is given to: a request, or nothing (a null request fills a gap
/// in a new view).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Proposal {
    Null,
    Request(Request),
}

impl Proposal {
    pub fn request(&self) -> Option<&Request> {
        match self {
            Proposal::Null => None,
            Proposal::Request(request) => Some(request),
        }
    }
}

/// Proof that `proposal` was prepared for (`view`, `seq`): the pre-prepare plus matching
/// prepares from the backups listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreparedCert {
    pub seq: u64,
    pub view: u64,
    pub proposal: Proposal,
    pub prepares: Vec<NodeId>,
}

/// A replica's request to move to `view`, with what a new primary must not lose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewChange {
    pub view: u64,
    /// The sender's last stable checkpoint and the replicas whose checkpoints made it.
    pub stable_seq: u64,
    pub stable_digest: u64,
    pub stable_proof: Vec<NodeId>,
    /// Its prepared certificates above the checkpoint, the latest view's per number.
    pub prepared: Vec<PreparedCert>,
}

/// The new primary's announcement of `view`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewView {
    pub view: u64,
    /// The 2f + 1 (or more) view changes it was built from.
    pub view_changes: Vec<(NodeId, ViewChange)>,
    /// The re-issued pre-prepares, from the highest stable checkpoint on.
    pub pre_prepares: Vec<(u64, Proposal)>,
}

/// Messages of the BFT protocol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BftMsg {
    /// A client's request, from its proxy to every replica (and from a backup to the
    /// primary when it waited too long).
    Relay(Request),
    PrePrepare {
        view: u64,
        seq: u64,
        proposal: Proposal,
    },
    Prepare {
        view: u64,
        seq: u64,
        proposal: Proposal,
    },
    Commit {
        view: u64,
        seq: u64,
        proposal: Proposal,
    },
    /// A replica's result of executing a request, to the request's proxy.
    ReplyVote {
        request: RequestId,
        result: OpResult,
    },
    /// A digest of the sender's state after executing `seq`.
    Checkpoint {
        seq: u64,
        digest: u64,
    },
    /// A replica that fell behind asks for executed requests from `from_seq` on.
    Fetch {
        from_seq: u64,
        view: u64,
    },
    /// Executed requests, the first at `from_seq`.
    Entries {
        from_seq: u64,
        proposals: Vec<Proposal>,
    },
    ViewChange(ViewChange),
    NewView(NewView),
}

/// Whether a replica is working in its view or trying to leave it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Status {
    Normal,
    ViewChange,
}

/// One sequence number of the current view's log.
#[derive(Clone, Debug, Default, PartialEq)]
struct Slot {
    pre_prepare: Option<Proposal>,
    /// The first prepare and commit of each sender (a second, different one is ignored).
    prepares: BTreeMap<NodeId, Proposal>,
    commits: BTreeMap<NodeId, Proposal>,
    sent_commit: bool,
    committed: bool,
}

/// A request this replica serves as proxy, waiting for f + 1 matching votes.
#[derive(Clone, Debug, PartialEq)]
struct Waiting {
    request: Request,
    votes: BTreeMap<NodeId, OpResult>,
    relayed_at: Time,
}

/// One replica's state.
///
/// **Durable** (kept across a crash, as if written to disk before any message leaves):
/// the view and status, the current view's log, prepared certificates and their record,
/// checkpoints, view-change votes, the primary's numbering, and the executed history
/// with the store and each request's result. **Volatile** (lost in a crash, rebuilt by
/// retransmission): the proxy's waiting clients, the requests a backup is timing, the
/// primary's queue of unnumbered requests and fetched entries not yet agreed on.
#[derive(Clone, Debug, PartialEq)]
pub struct Bft {
    params: BftParams,
    me: NodeId,
    replicas: Vec<NodeId>,
    view: u64,
    status: Status,
    slots: BTreeMap<u64, Slot>,
    /// The latest prepared certificate of each number above the stable checkpoint.
    prepared: BTreeMap<u64, PreparedCert>,
    /// Every certificate this replica formed, for the inspector and the tests. This,
    /// `assigned`, `executed` and `results` only grow (within a view, for `assigned`):
    /// they live in shared chunks, so a snapshot of a long run copies pointers (see
    /// `shared_log`).
    prepared_log: SharedLog<PreparedCert>,
    /// At the primary: the next number to assign and the requests numbered in this view.
    next_seq: u64,
    assigned: SharedMap<RequestId, ()>,
    /// What was executed, number by number (index = seq - 1), and the store it built.
    executed: SharedLog<Proposal>,
    state_digest: u64,
    store: BTreeMap<Key, Value>,
    results: SharedMap<RequestId, OpResult>,
    stable_seq: u64,
    stable_digest: u64,
    stable_proof: Vec<NodeId>,
    checkpoint_votes: BTreeMap<(u64, u64), BTreeSet<NodeId>>,
    /// View changes received for views not yet installed, by view and sender.
    view_changes: BTreeMap<u64, BTreeMap<NodeId, ViewChange>>,
    /// The highest view each replica asked for.
    vc_targets: BTreeMap<NodeId, u64>,
    /// This replica's own view change while in that status.
    my_view_change: Option<ViewChange>,
    /// When 2f + 1 replicas were seen asking for this view or a higher one.
    quorum_at: Option<Time>,
    /// At the primary of the current view: the new-view message that started it.
    new_view_sent: Option<NewView>,
    consecutive_view_changes: u64,
    /// The highest sequence number any message mentioned.
    highest_seen: u64,
    /// Since when the replica has known of a number beyond the last it executed.
    stall_since: Option<Time>,
    waiting: BTreeMap<RequestId, Waiting>,
    pending: BTreeMap<RequestId, (Request, Time)>,
    queue: VecDeque<Request>,
    fetched: BTreeMap<u64, Vec<(Proposal, BTreeSet<NodeId>)>>,
    lying: bool,
    equivocating: bool,
}

impl Bft {
    pub fn new(node: NodeId, replicas: &[NodeId], params: &BftParams) -> Bft {
        assert!(replicas.contains(&node), "a replica is one of the replicas");
        Bft {
            params: params.clone(),
            me: node,
            replicas: replicas.to_vec(),
            view: 0,
            status: Status::Normal,
            slots: BTreeMap::new(),
            prepared: BTreeMap::new(),
            prepared_log: SharedLog::new(),
            next_seq: 1,
            assigned: SharedMap::new(),
            executed: SharedLog::new(),
            state_digest: 0,
            store: BTreeMap::new(),
            results: SharedMap::new(),
            stable_seq: 0,
            stable_digest: 0,
            stable_proof: Vec::new(),
            checkpoint_votes: BTreeMap::new(),
            view_changes: BTreeMap::new(),
            vc_targets: BTreeMap::new(),
            my_view_change: None,
            quorum_at: None,
            new_view_sent: None,
            consecutive_view_changes: 0,
            highest_seen: 0,
            stall_since: None,
            waiting: BTreeMap::new(),
            pending: BTreeMap::new(),
            queue: VecDeque::new(),
            fetched: BTreeMap::new(),
            lying: false,
            equivocating: false,
        }
    }

    /// The current view (in view-change status, the view being changed to).
    pub fn view(&self) -> u64 {
        self.view
    }

    /// What this replica executed, number by number (index = sequence number - 1).
    pub fn executed(&self) -> Vec<Proposal> {
        self.executed.to_vec()
    }

    /// Every prepared certificate this replica formed, in order.
    pub fn prepared_log(&self) -> Vec<PreparedCert> {
        self.prepared_log.to_vec()
    }

    /// The primary of `view`.
    pub fn primary_of(&self, view: u64) -> NodeId {
        self.replicas[(view % self.replicas.len() as u64) as usize]
    }

    /// How many byzantine replicas the system tolerates: f = (n - 1) / 3.
    pub fn fault_tolerance(&self) -> usize {
        (self.replicas.len() - 1) / 3
    }

    /// Matching messages that make a certificate: n - f, which is 2f + 1 when n = 3f + 1.
    fn quorum(&self) -> usize {
        self.replicas.len() - self.fault_tolerance()
    }

    fn is_primary(&self) -> bool {
        self.primary_of(self.view) == self.me
    }

    fn last_executed(&self) -> u64 {
        self.executed.len() as u64
    }

    fn timeout_us(&self) -> u64 {
        ms_to_us(self.params.view_change_timeout_ms)
            << self.consecutive_view_changes.min(MAX_BACKOFF_SHIFT)
    }

    /// The period of the replica's one timer: half the resend delay, so that nothing
    /// waits much longer than `resend_ms` for a retransmission.
    fn tick_us(&self) -> u64 {
        (ms_to_us(self.params.resend_ms) / 2).max(1)
    }

    fn in_window(&self, seq: u64) -> bool {
        seq > self.stable_seq && seq <= self.stable_seq + self.params.log_window
    }

    fn normal(&self) -> bool {
        self.status == Status::Normal
    }

    /// Some message mentioned `seq`: if it lies beyond what this replica executed, the
    /// replica has work to wait for.
    fn note_seen(&mut self, now: Time, seq: u64) {
        self.highest_seen = self.highest_seen.max(seq);
        if seq > self.last_executed() && self.stall_since.is_none() {
            self.stall_since = Some(now);
        }
    }

    // ----- Requests and votes -----

    /// A request reached this replica (from its client, or relayed).
    fn learn_request(&mut self, ctx: &mut Ctx<'_, BftMsg>, request: Request) {
        if let Some(result) = self.results.get(&request.id).cloned() {
            // Executed already: the proxy may have missed this replica's vote.
            self.send_vote(ctx, &request, result);
            return;
        }
        if self.lying && request.proxy != self.me {
            // A liar does not wait for the agreement: it votes at once (`send_vote` puts
            // an invented result in place of the one given here).
            self.send_vote(ctx, &request, OpResult::Ok(None));
        }
        self.pending
            .entry(request.id)
            .or_insert((request.clone(), ctx.now));
        if self.normal()
            && self.is_primary()
            && !self.assigned.contains_key(&request.id)
            && !self.queue.iter().any(|queued| queued.id == request.id)
        {
            self.queue.push_back(request);
            self.assign_queued(ctx);
        }
    }

    /// Sends this replica's result for `request` to its proxy (a liar's is invented).
    fn send_vote(&mut self, ctx: &mut Ctx<'_, BftMsg>, request: &Request, result: OpResult) {
        let result = if self.lying {
            fabricated(request)
        } else {
            result
        };
        if request.proxy == self.me {
            self.count_vote(ctx, self.me, request.id, result);
        } else {
            ctx.send(
                request.proxy,
                BftMsg::ReplyVote {
                    request: request.id,
                    result,
                },
            );
        }
    }

    /// At the proxy: answers the client once f + 1 replicas reported the same result.
    fn count_vote(
        &mut self,
        ctx: &mut Ctx<'_, BftMsg>,
        voter: NodeId,
        request: RequestId,
        result: OpResult,
    ) {
        let needed = self.fault_tolerance() + 1;
        let Some(waiting) = self.waiting.get_mut(&request) else {
            return;
        };
        let vote = waiting.votes.entry(voter).or_insert(result).clone();
        let matching = waiting
            .votes
            .values()
            .filter(|&other| *other == vote)
            .count();
        if matching >= needed {
            let client = waiting.request.client;
            self.waiting.remove(&request);
            ctx.reply(client, request, vote);
        }
    }

    // ----- Normal operation -----

    /// At the primary: numbers queued requests while the window allows.
    fn assign_queued(&mut self, ctx: &mut Ctx<'_, BftMsg>) {
        while self.normal()
            && self.is_primary()
            && self.next_seq <= self.stable_seq + self.params.log_window
        {
            let Some(request) = self.queue.pop_front() else {
                break;
            };
            if self.results.contains_key(&request.id) || self.assigned.contains_key(&request.id) {
                continue;
            }
            let seq = self.next_seq;
            self.next_seq += 1;
            self.assigned.insert_new(request.id, ());
            let proposal = Proposal::Request(request);
            if self.equivocating {
                self.equivocate(ctx, seq, proposal);
                continue;
            }
            self.slots.entry(seq).or_default().pre_prepare = Some(proposal.clone());
            self.note_seen(ctx.now, seq);
            ctx.broadcast(BftMsg::PrePrepare {
                view: self.view,
                seq,
                proposal,
            });
        }
    }

    /// An equivocating primary gives `seq` to `proposal` for every other backup and to
    /// another request (or a null request) for the rest, then stays out of the agreement
    /// on that number: it neither logs nor commits either version, hoping the halves
    /// drift apart.
    fn equivocate(&mut self, ctx: &mut Ctx<'_, BftMsg>, seq: u64, proposal: Proposal) {
        let other = self
            .queue
            .iter()
            .find(|request| {
                !self.results.contains_key(&request.id) && !self.assigned.contains_key(&request.id)
            })
            .cloned()
            .map_or(Proposal::Null, Proposal::Request);
        let peers: Vec<NodeId> = ctx.peers().collect();
        for (index, peer) in peers.into_iter().enumerate() {
            let told = if index % 2 == 0 {
                proposal.clone()
            } else {
                other.clone()
            };
            ctx.send(
                peer,
                BftMsg::PrePrepare {
                    view: self.view,
                    seq,
                    proposal: told,
                },
            );
        }
    }

    fn on_pre_prepare(
        &mut self,
        ctx: &mut Ctx<'_, BftMsg>,
        from: NodeId,
        view: u64,
        seq: u64,
        proposal: &Proposal,
    ) {
        self.note_seen(ctx.now, seq);
        if view != self.view
            || !self.normal()
            || from != self.primary_of(view)
            || from == self.me
            || !self.in_window(seq)
        {
            return;
        }
        let me = self.me;
        let slot = self.slots.entry(seq).or_default();
        match &slot.pre_prepare {
            Some(accepted) if accepted != proposal => {
                // Two pre-prepares for one number, both from the primary itself over an
                // authenticated channel: proof that it equivocates.
                self.suspect_primary(ctx);
                return;
            }
            Some(_) => return,
            None => {}
        }
        slot.pre_prepare = Some(proposal.clone());
        slot.prepares.insert(me, proposal.clone());
        ctx.broadcast(BftMsg::Prepare {
            view,
            seq,
            proposal: proposal.clone(),
        });
        if let (true, Proposal::Request(request)) = (self.lying, proposal) {
            if request.proxy != me && !self.results.contains_key(&request.id) {
                self.send_vote(ctx, request, OpResult::Ok(None));
            }
        }
        if !self.check_conflict(ctx, seq) {
            self.check_slot(ctx, seq);
        }
    }

    fn on_prepare(
        &mut self,
        ctx: &mut Ctx<'_, BftMsg>,
        from: NodeId,
        view: u64,
        seq: u64,
        proposal: &Proposal,
    ) {
        self.note_seen(ctx.now, seq);
        // The primary's word is its pre-prepare; a prepare from it counts for nothing.
        if view != self.view
            || !self.normal()
            || from == self.primary_of(view)
            || !self.in_window(seq)
        {
            return;
        }
        self.slots
            .entry(seq)
            .or_default()
            .prepares
            .entry(from)
            .or_insert_with(|| proposal.clone());
        if !self.check_conflict(ctx, seq) {
            self.check_slot(ctx, seq);
        }
    }

    fn on_commit(
        &mut self,
        ctx: &mut Ctx<'_, BftMsg>,
        from: NodeId,
        view: u64,
        seq: u64,
        proposal: &Proposal,
    ) {
        self.note_seen(ctx.now, seq);
        if view != self.view || !self.normal() || !self.in_window(seq) {
            return;
        }
        self.slots
            .entry(seq)
            .or_default()
            .commits
            .entry(from)
            .or_insert_with(|| proposal.clone());
        self.check_slot(ctx, seq);
    }

    /// f + 1 backups prepared something other than the pre-prepare this replica accepted:
    /// at least one of them is correct, so the primary told them something else. Returns
    /// whether the replica left the view.
    fn check_conflict(&mut self, ctx: &mut Ctx<'_, BftMsg>, seq: u64) -> bool {
        let Some(slot) = self.slots.get(&seq) else {
            return false;
        };
        let Some(accepted) = &slot.pre_prepare else {
            return false;
        };
        let contradicting = slot
            .prepares
            .iter()
            .filter(|&(&node, proposal)| node != self.me && proposal != accepted)
            .count();
        if contradicting > self.fault_tolerance() {
            self.suspect_primary(ctx);
            return true;
        }
        false
    }

    /// Prepares (sends COMMIT) and commits (executes) a slot once it has the certificates.
    fn check_slot(&mut self, ctx: &mut Ctx<'_, BftMsg>, seq: u64) {
        let (me, view, quorum) = (self.me, self.view, self.quorum());
        let primary = self.primary_of(view);
        let Some(slot) = self.slots.get_mut(&seq) else {
            return;
        };
        let Some(proposal) = slot.pre_prepare.clone() else {
            return;
        };
        if !slot.sent_commit {
            let prepares: Vec<NodeId> = slot
                .prepares
                .iter()
                .filter(|&(&node, prepared)| node != primary && *prepared == proposal)
                .map(|(&node, _)| node)
                .collect();
            // The pre-prepare is the primary's vote: with 2f prepares that makes 2f + 1.
            if prepares.len() + 1 < quorum {
                return;
            }
            slot.sent_commit = true;
            slot.commits.insert(me, proposal.clone());
            let cert = PreparedCert {
                seq,
                view,
                proposal: proposal.clone(),
                prepares,
            };
            self.prepared.insert(seq, cert.clone());
            self.prepared_log.push(cert);
            ctx.broadcast(BftMsg::Commit {
                view,
                seq,
                proposal: proposal.clone(),
            });
        }
        let Some(slot) = self.slots.get_mut(&seq) else {
            return;
        };
        let commits = slot.commits.values().filter(|&c| *c == proposal).count();
        if !slot.committed && commits >= quorum {
            slot.committed = true;
            self.try_execute(ctx);
        }
    }

    /// Executes committed (or fetched and agreed) numbers in order.
    fn try_execute(&mut self, ctx: &mut Ctx<'_, BftMsg>) {
        loop {
            let next = self.last_executed() + 1;
            let committed = self
                .slots
                .get(&next)
                .filter(|slot| slot.committed)
                .and_then(|slot| slot.pre_prepare.clone());
            let Some(proposal) = committed.or_else(|| self.fetched_decision(next)) else {
                break;
            };
            self.execute(ctx, next, proposal);
        }
        let last = self.last_executed();
        self.fetched.retain(|&seq, _| seq > last);
    }

    fn execute(&mut self, ctx: &mut Ctx<'_, BftMsg>, seq: u64, proposal: Proposal) {
        debug_assert_eq!(seq, self.last_executed() + 1, "numbers execute in order");
        self.state_digest = chain_digest(self.state_digest, seq, &proposal);
        self.executed.push(proposal.clone());
        if let Proposal::Request(request) = &proposal {
            // A request numbered twice (say, again after a view change) runs once.
            if !self.results.contains_key(&request.id) {
                let result = self.apply(&request.op);
                self.results.insert_new(request.id, result.clone());
                self.send_vote(ctx, request, result);
            }
            self.pending.remove(&request.id);
        }
        if self.normal() {
            self.consecutive_view_changes = 0;
        }
        self.stall_since = (self.highest_seen > seq).then_some(ctx.now);
        if seq.is_multiple_of(self.params.checkpoint_interval) {
            let digest = self.state_digest;
            ctx.broadcast(BftMsg::Checkpoint { seq, digest });
            let me = self.me;
            self.count_checkpoint(ctx, me, seq, digest);
        }
    }

    /// Runs an operation on the store. Every correct replica runs the same operations in
    /// the same order, so all of them compute the same result.
    fn apply(&mut self, op: &Op) -> OpResult {
        let key = op.key().to_string();
        let current = self.store.get(&key).copied();
        match op {
            Op::Write { value, .. } => {
                self.store.insert(key, *value);
                OpResult::Ok(None)
            }
            Op::Cas { old, new, .. } => match current {
                Some(value) if value.shown == *old => {
                    self.store.insert(key, *new);
                    OpResult::Ok(Some(value))
                }
                Some(value) => OpResult::Fail(format!("{key} is {}, not {old}", value.shown)),
                None => OpResult::Fail(format!("{key} has no value yet, not {old}")),
            },
            Op::Read { .. } => OpResult::Ok(current),
        }
    }

    // ----- Checkpoints and catching up -----

    fn count_checkpoint(&mut self, ctx: &mut Ctx<'_, BftMsg>, from: NodeId, seq: u64, digest: u64) {
        self.note_seen(ctx.now, seq);
        if seq <= self.stable_seq {
            return;
        }
        let quorum = self.quorum();
        let voters = self.checkpoint_votes.entry((seq, digest)).or_default();
        voters.insert(from);
        if voters.len() >= quorum {
            let proof = voters.iter().copied().collect();
            self.make_stable(seq, digest, proof);
            self.assign_queued(ctx);
        }
    }

    /// 2f + 1 replicas executed up to `seq` with the same state: at least f + 1 correct
    /// ones can hand those requests to anyone behind, so the log below can go.
    fn make_stable(&mut self, seq: u64, digest: u64, proof: Vec<NodeId>) {
        if seq <= self.stable_seq {
            return;
        }
        self.stable_seq = seq;
        self.stable_digest = digest;
        self.stable_proof = proof;
        self.slots.retain(|&slot, _| slot > seq);
        self.prepared.retain(|&slot, _| slot > seq);
        self.checkpoint_votes.retain(|&(slot, _), _| slot > seq);
        self.next_seq = self.next_seq.max(seq + 1);
    }

    /// The proposal f + 1 peers say they executed at `seq`, if they agree.
    fn fetched_decision(&self, seq: u64) -> Option<Proposal> {
        let needed = self.fault_tolerance() + 1;
        self.fetched
            .get(&seq)?
            .iter()
            .find(|(_, senders)| senders.len() >= needed)
            .map(|(proposal, _)| proposal.clone())
    }

    fn on_fetch(&mut self, ctx: &mut Ctx<'_, BftMsg>, from: NodeId, from_seq: u64, view: u64) {
        if view < self.view && self.normal() {
            // The asker missed the new view: send it again (only its primary can).
            if let Some(new_view) = &self.new_view_sent {
                ctx.send(from, BftMsg::NewView(new_view.clone()));
            }
        }
        if view == self.view && self.normal() {
            self.resend_commits(ctx, from, from_seq);
        }
        if from_seq == 0 || from_seq > self.last_executed() {
            return;
        }
        let start = (from_seq - 1) as usize;
        let end = (start + FETCH_BATCH).min(self.executed.len());
        ctx.send(
            from,
            BftMsg::Entries {
                from_seq,
                proposals: self.executed.to_vec_range(start, end),
            },
        );
    }

    /// Sends a peer of this view that asked for what it lacks from `from_seq` on this
    /// replica's commit for every number it committed there. A peer asks because it is
    /// stuck. Executed requests convince it only when f + 1 peers send the same, and with
    /// one replica silent and another stuck as well only one can; a replica that committed
    /// never sends its commit again on its own, so without this one lost commit would hold
    /// the peer, and every request after it, until a view change. (PBFT's replicas likewise
    /// send a peer again whatever its status message shows it lacks.)
    fn resend_commits(&self, ctx: &mut Ctx<'_, BftMsg>, to: NodeId, from_seq: u64) {
        for (&seq, slot) in self.slots.range(from_seq.max(1)..) {
            if let (true, Some(proposal)) = (slot.committed, &slot.pre_prepare) {
                ctx.send(
                    to,
                    BftMsg::Commit {
                        view: self.view,
                        seq,
                        proposal: proposal.clone(),
                    },
                );
            }
        }
    }

    fn on_entries(
        &mut self,
        ctx: &mut Ctx<'_, BftMsg>,
        from: NodeId,
        from_seq: u64,
        proposals: &[Proposal],
    ) {
        for (offset, proposal) in proposals.iter().enumerate() {
            let seq = from_seq + offset as u64;
            if seq <= self.last_executed() {
                continue;
            }
            self.note_seen(ctx.now, seq);
            let tallies = self.fetched.entry(seq).or_default();
            match tallies.iter_mut().find(|(known, _)| known == proposal) {
                Some((_, senders)) => {
                    senders.insert(from);
                }
                None => tallies.push((proposal.clone(), BTreeSet::from([from]))),
            }
        }
        self.try_execute(ctx);
    }

    /// Called when the replica made no progress for `resend_ms` although it knows of
    /// later numbers: asks peers for executed requests and resends its own messages.
    fn retransmit(&mut self, ctx: &mut Ctx<'_, BftMsg>) {
        ctx.broadcast(BftMsg::Fetch {
            from_seq: self.last_executed() + 1,
            view: self.view,
        });
        if !self.normal() {
            return;
        }
        let (view, me, primary) = (self.view, self.me, self.primary_of(self.view));
        let last = self.last_executed();
        let mut resend = Vec::new();
        for (&seq, slot) in self.slots.range(last + 1..) {
            let Some(proposal) = &slot.pre_prepare else {
                continue;
            };
            let proposal = proposal.clone();
            if me == primary {
                resend.push(BftMsg::PrePrepare {
                    view,
                    seq,
                    proposal: proposal.clone(),
                });
            } else {
                resend.push(BftMsg::Prepare {
                    view,
                    seq,
                    proposal: proposal.clone(),
                });
            }
            if slot.sent_commit {
                resend.push(BftMsg::Commit {
                    view,
                    seq,
                    proposal,
                });
            }
        }
        for msg in resend {
            ctx.broadcast(msg);
        }
    }

    // ----- View changes -----

    fn suspect_primary(&mut self, ctx: &mut Ctx<'_, BftMsg>) {
        if self.normal() {
            let next = self.view + 1;
            self.start_view_change(ctx, next);
        }
    }

    /// Leaves the current view for `target`, telling everyone what it prepared.
    fn start_view_change(&mut self, ctx: &mut Ctx<'_, BftMsg>, target: u64) {
        if target <= self.view {
            return;
        }
        self.view = target;
        self.status = Status::ViewChange;
        self.consecutive_view_changes += 1;
        self.slots.clear();
        self.assigned = SharedMap::new();
        self.new_view_sent = None;
        self.quorum_at = None;
        let view_change = ViewChange {
            view: target,
            stable_seq: self.stable_seq,
            stable_digest: self.stable_digest,
            stable_proof: self.stable_proof.clone(),
            prepared: self
                .prepared
                .values()
                .filter(|cert| cert.seq > self.stable_seq)
                .cloned()
                .collect(),
        };
        self.my_view_change = Some(view_change.clone());
        ctx.broadcast(BftMsg::ViewChange(view_change.clone()));
        let me = self.me;
        self.vc_targets.insert(me, target);
        self.view_changes
            .entry(target)
            .or_default()
            .insert(me, view_change);
        self.view_change_progress(ctx);
    }

    fn on_view_change(&mut self, ctx: &mut Ctx<'_, BftMsg>, from: NodeId, vc: &ViewChange) {
        let target = self.vc_targets.entry(from).or_insert(0);
        *target = (*target).max(vc.view);
        let behind = vc.view < self.view || (vc.view == self.view && self.normal());
        if behind {
            // The sender missed the new view this replica is in: its primary resends it.
            if let (true, Some(new_view)) = (self.normal(), &self.new_view_sent) {
                ctx.send(from, BftMsg::NewView(new_view.clone()));
            }
            return;
        }
        self.view_changes
            .entry(vc.view)
            .or_default()
            .entry(from)
            .or_insert_with(|| vc.clone());
        // f + 1 replicas want a higher view: at least one correct one suspects the
        // primary, so join them (in the lowest view they ask for).
        let above: Vec<u64> = self
            .vc_targets
            .iter()
            .filter(|&(&node, &target)| node != self.me && target > self.view)
            .map(|(_, &target)| target)
            .collect();
        if above.len() > self.fault_tolerance() {
            if let Some(&lowest) = above.iter().min() {
                self.start_view_change(ctx, lowest);
                return;
            }
        }
        self.view_change_progress(ctx);
    }

    /// In view-change status: starts the new-view timeout once 2f + 1 replicas want this
    /// view or a higher one, and at the new primary, sends NEW-VIEW once 2f + 1 view
    /// changes for this very view arrived.
    fn view_change_progress(&mut self, ctx: &mut Ctx<'_, BftMsg>) {
        if self.normal() {
            return;
        }
        let supporters = self
            .vc_targets
            .values()
            .filter(|&&target| target >= self.view)
            .count();
        if supporters >= self.quorum() && self.quorum_at.is_none() {
            self.quorum_at = Some(ctx.now);
        }
        let view = self.view;
        let votes = self.view_changes.get(&view).map_or(0, BTreeMap::len);
        if self.primary_of(view) != self.me || votes < self.quorum() {
            return;
        }
        let view_changes: Vec<(NodeId, ViewChange)> = self.view_changes[&view]
            .iter()
            .map(|(&node, vc)| (node, vc.clone()))
            .collect();
        let (_, pre_prepares) = decide(&view_changes);
        let new_view = NewView {
            view,
            view_changes,
            pre_prepares,
        };
        ctx.broadcast(BftMsg::NewView(new_view.clone()));
        self.enter_view(ctx, &new_view);
        self.new_view_sent = Some(new_view);
    }

    fn on_new_view(&mut self, ctx: &mut Ctx<'_, BftMsg>, from: NodeId, new_view: &NewView) {
        let view = new_view.view;
        if from != self.primary_of(view) || view < self.view || (view == self.view && self.normal())
        {
            return;
        }
        if !self.new_view_is_valid(new_view) {
            return;
        }
        self.enter_view(ctx, new_view);
    }

    /// A new view is valid when it rests on 2f + 1 view changes for it from distinct
    /// replicas, each as this replica received it (when it did), and re-issues exactly
    /// what those view changes dictate.
    fn new_view_is_valid(&self, new_view: &NewView) -> bool {
        let senders: BTreeSet<NodeId> = new_view
            .view_changes
            .iter()
            .map(|(node, _)| *node)
            .collect();
        if senders.len() != new_view.view_changes.len()
            || senders.len() < self.quorum()
            || !senders.iter().all(|node| self.replicas.contains(node))
        {
            return false;
        }
        let received = self.view_changes.get(&new_view.view);
        for (node, vc) in &new_view.view_changes {
            if vc.view != new_view.view {
                return false;
            }
            if received
                .and_then(|votes| votes.get(node))
                .is_some_and(|own_copy| own_copy != vc)
            {
                return false;
            }
        }
        decide(&new_view.view_changes).1 == new_view.pre_prepares
    }

    fn enter_view(&mut self, ctx: &mut Ctx<'_, BftMsg>, new_view: &NewView) {
        let (min_seq, _) = decide(&new_view.view_changes);
        self.view = new_view.view;
        self.status = Status::Normal;
        self.quorum_at = None;
        self.my_view_change = None;
        self.slots.clear();
        self.assigned = SharedMap::new();
        let installed = self.view;
        self.view_changes.retain(|&view, _| view > installed);
        if min_seq > self.stable_seq {
            // Adopt the stable checkpoint the new view starts from; what this replica has
            // not executed below it, it fetches.
            if let Some((_, vc)) = new_view
                .view_changes
                .iter()
                .find(|(_, vc)| vc.stable_seq == min_seq)
            {
                let proof = vc.stable_proof.clone();
                self.make_stable(min_seq, vc.stable_digest, proof);
            }
        }
        self.note_seen(ctx.now, min_seq);
        let is_primary = self.is_primary();
        let mut max_seq = min_seq;
        for (seq, proposal) in &new_view.pre_prepares {
            max_seq = max_seq.max(*seq);
            self.note_seen(ctx.now, *seq);
            if *seq <= self.stable_seq {
                continue;
            }
            if let Some(request) = proposal.request() {
                self.assigned.insert_if_absent(request.id, ());
            }
            let slot = self.slots.entry(*seq).or_default();
            slot.pre_prepare = Some(proposal.clone());
            if !is_primary {
                slot.prepares.insert(self.me, proposal.clone());
                ctx.broadcast(BftMsg::Prepare {
                    view: self.view,
                    seq: *seq,
                    proposal: proposal.clone(),
                });
            }
        }
        self.next_seq = max_seq.max(self.stable_seq) + 1;
        // The new primary gets a fair chance: the clock on waiting requests starts again.
        let now = ctx.now;
        for (_, since) in self.pending.values_mut() {
            *since = now;
        }
        if is_primary {
            let unordered: Vec<Request> = self
                .pending
                .values()
                .map(|(request, _)| request.clone())
                .filter(|request| !self.assigned.contains_key(&request.id))
                .collect();
            for request in unordered {
                if !self.queue.iter().any(|queued| queued.id == request.id) {
                    self.queue.push_back(request);
                }
            }
            self.assign_queued(ctx);
        }
        self.try_execute(ctx);
    }

    // ----- Timers -----

    fn on_tick(&mut self, ctx: &mut Ctx<'_, BftMsg>) {
        let now = ctx.now;
        let resend_us = ms_to_us(self.params.resend_ms);
        // As proxy: relay again what got no answer yet (a relay or votes may be lost).
        let unanswered: Vec<Request> = self
            .waiting
            .values_mut()
            .filter(|waiting| now.since_us(waiting.relayed_at) >= resend_us)
            .map(|waiting| {
                waiting.relayed_at = now;
                waiting.request.clone()
            })
            .collect();
        for request in unanswered {
            ctx.broadcast(BftMsg::Relay(request));
        }
        match self.status {
            Status::ViewChange => {
                if let Some(vc) = &self.my_view_change {
                    ctx.broadcast(BftMsg::ViewChange(vc.clone()));
                }
                if self
                    .quorum_at
                    .is_some_and(|since| now.since_us(since) >= self.timeout_us())
                {
                    // The new primary did not deliver: try the next one.
                    let next = self.view + 1;
                    self.start_view_change(ctx, next);
                }
            }
            Status::Normal if !self.is_primary() => self.check_pending(ctx),
            Status::Normal => {}
        }
        if self
            .stall_since
            .is_some_and(|since| now.since_us(since) >= resend_us)
        {
            self.stall_since = Some(now);
            self.retransmit(ctx);
        }
        ctx.set_timer(self.tick_us(), TIMER_TICK);
    }

    /// At a backup: suspects the primary when a known request waited too long, and hands
    /// the primary requests it seems not to have.
    fn check_pending(&mut self, ctx: &mut Ctx<'_, BftMsg>) {
        let now = ctx.now;
        let oldest = self.pending.values().map(|&(_, since)| since).min();
        if oldest.is_some_and(|since| now.since_us(since) >= self.timeout_us()) {
            self.suspect_primary(ctx);
            return;
        }
        let resend_us = ms_to_us(self.params.resend_ms);
        let ordered: BTreeSet<RequestId> = self
            .slots
            .values()
            .filter_map(|slot| slot.pre_prepare.as_ref()?.request().map(|r| r.id))
            .collect();
        let primary = self.primary_of(self.view);
        for (request, since) in self.pending.values() {
            // A proxy relays its own requests again anyway.
            if request.proxy != self.me
                && now.since_us(*since) >= resend_us
                && !ordered.contains(&request.id)
            {
                ctx.send(primary, BftMsg::Relay(request.clone()));
            }
        }
    }
}

/// The value a lying replica claims for `request`: the same at every liar, so colluding
/// liars agree. A write is acknowledged before it is agreed on; a read or cas sees a
/// value nobody wrote.
pub fn fabricated(request: &Request) -> OpResult {
    match request.op {
        Op::Write { .. } => OpResult::Ok(None),
        Op::Read { .. } | Op::Cas { .. } => {
            let number = request.id.0 as i64;
            OpResult::Ok(Some(Value {
                id: FABRICATED_ID_BASE - number,
                shown: 1 + number.rem_euclid(97),
            }))
        }
    }
}

/// The digest of the state after executing `proposal` at `seq`, chained from the one
/// before: equal states, equal digests, on every platform.
fn chain_digest(previous: u64, seq: u64, proposal: &Proposal) -> u64 {
    let mut hasher = StableHasher::new();
    hasher.write_u64(previous);
    hasher.write_u64(seq);
    hasher.write_serialize(proposal);
    hasher.finish()
}

/// What a new view re-issues, given its view changes: the highest stable checkpoint among
/// them, and from there to the highest prepared number, the request prepared in the
/// latest view for each number, or a null request where none was.
pub fn decide(view_changes: &[(NodeId, ViewChange)]) -> (u64, Vec<(u64, Proposal)>) {
    let min_seq = view_changes
        .iter()
        .map(|(_, vc)| vc.stable_seq)
        .max()
        .unwrap_or(0);
    let mut best: BTreeMap<u64, &PreparedCert> = BTreeMap::new();
    for cert in view_changes.iter().flat_map(|(_, vc)| &vc.prepared) {
        if cert.seq <= min_seq {
            continue;
        }
        let entry = best.entry(cert.seq).or_insert(cert);
        if cert.view > entry.view {
            *entry = cert;
        }
    }
    let max_seq = best.keys().next_back().copied().unwrap_or(min_seq);
    let pre_prepares = (min_seq + 1..=max_seq)
        .map(|seq| {
            let proposal = best
                .get(&seq)
                .map_or(Proposal::Null, |cert| cert.proposal.clone());
            (seq, proposal)
        })
        .collect();
    (min_seq, pre_prepares)
}

impl Protocol for Bft {
    type Msg = BftMsg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, BftMsg>) {
        ctx.set_timer(self.tick_us(), TIMER_TICK);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, BftMsg>, from: NodeId, msg: &BftMsg) {
        if !self.replicas.contains(&from) {
            return;
        }
        match msg {
            BftMsg::Relay(request) => self.learn_request(ctx, request.clone()),
            BftMsg::PrePrepare {
                view,
                seq,
                proposal,
            } => self.on_pre_prepare(ctx, from, *view, *seq, proposal),
            BftMsg::Prepare {
                view,
                seq,
                proposal,
            } => self.on_prepare(ctx, from, *view, *seq, proposal),
            BftMsg::Commit {
                view,
                seq,
                proposal,
            } => self.on_commit(ctx, from, *view, *seq, proposal),
            BftMsg::ReplyVote { request, result } => {
                self.count_vote(ctx, from, *request, result.clone())
            }
            BftMsg::Checkpoint { seq, digest } => self.count_checkpoint(ctx, from, *seq, *digest),
            BftMsg::Fetch { from_seq, view } => self.on_fetch(ctx, from, *from_seq, *view),
            BftMsg::Entries {
                from_seq,
                proposals,
            } => self.on_entries(ctx, from, *from_seq, proposals),
            BftMsg::ViewChange(vc) => self.on_view_change(ctx, from, vc),
            BftMsg::NewView(new_view) => self.on_new_view(ctx, from, new_view),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, BftMsg>, _timer: TimerId, tag: u64) {
        debug_assert_eq!(tag, TIMER_TICK, "BFT sets one periodic timer");
        self.on_tick(ctx);
    }

    fn on_client_request(
        &mut self,
        ctx: &mut Ctx<'_, BftMsg>,
        client: NodeId,
        request: RequestId,
        op: &Op,
        _session: &SessionToken,
    ) {
        let request = Request {
            id: request,
            client,
            proxy: self.me,
            op: op.clone(),
        };
        self.waiting.entry(request.id).or_insert_with(|| Waiting {
            request: request.clone(),
            votes: BTreeMap::new(),
            relayed_at: ctx.now,
        });
        ctx.broadcast(BftMsg::Relay(request.clone()));
        self.learn_request(ctx, request);
    }

    fn on_failure_notice(&mut self, _ctx: &mut Ctx<'_, BftMsg>, _peer: NodeId) {
        // A fail-stopped replica is one of the f the quorums already do without.
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_, BftMsg>) {
        // Clients' connections, timed requests, the primary's queue and unconfirmed
        // fetches are gone; everything else was durable.
        self.waiting.clear();
        self.pending.clear();
        self.queue.clear();
        self.fetched.clear();
        let now = ctx.now;
        self.stall_since = (self.highest_seen > self.last_executed()).then_some(now);
        self.quorum_at = self.quorum_at.map(|_| now);
        ctx.set_timer(self.tick_us(), TIMER_TICK);
    }

    fn set_byzantine(&mut self, strategy: Option<&Strategy>) {
        self.lying = strategy == Some(&Strategy::Lie);
        self.equivocating = strategy == Some(&Strategy::Equivocate);
    }

    /// The primary numbers requests for everyone, so it can tell backups different things.
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
                "primary",
                Shown::Node(Some(
                    self.replicas[(self.view as usize) % self.replicas.len()],
                )),
            ),
            ("executed", Shown::from(self.executed.len().to_string())),
            ("prepared", Shown::from(self.prepared.len().to_string())),
            (
                "stable checkpoint",
                Shown::from(self.stable_seq.to_string()),
            ),
        ]
    }

    fn role(&self) -> &'static str {
        if !self.normal() {
            "view change"
        } else if self.is_primary() {
            "primary"
        } else {
            "backup"
        }
    }

    fn msg_kind(msg: &BftMsg) -> &'static str {
        match msg {
            BftMsg::Relay(_) => "relay",
            BftMsg::PrePrepare { .. } => "pre-prepare",
            BftMsg::Prepare { .. } => "prepare",
            BftMsg::Commit { .. } => "commit",
            BftMsg::ReplyVote { .. } => "reply vote",
            BftMsg::Checkpoint { .. } => "checkpoint",
            BftMsg::Fetch { .. } => "fetch",
            BftMsg::Entries { .. } => "entries",
            BftMsg::ViewChange(_) => "view change",
            BftMsg::NewView(_) => "new view",
        }
    }

    fn msg_kinds() -> &'static [&'static str] {
        &[
            "relay",
            "pre-prepare",
            "prepare",
            "commit",
            "reply vote",
            "checkpoint",
            "fetch",
            "entries",
            "view change",
            "new view",
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(id: u64) -> Proposal {
        Proposal::Request(Request {
            id: RequestId(id),
            client: NodeId(9),
            proxy: NodeId(0),
            op: Op::Read { key: "x".into() },
        })
    }

    fn vc(stable_seq: u64, prepared: Vec<(u64, u64, Proposal)>) -> ViewChange {
        ViewChange {
            view: 3,
            stable_seq,
            stable_digest: stable_seq * 7,
            stable_proof: vec![],
            prepared: prepared
                .into_iter()
                .map(|(seq, view, proposal)| PreparedCert {
                    seq,
                    view,
                    proposal,
                    prepares: vec![NodeId(1), NodeId(2)],
                })
                .collect(),
        }
    }

    #[test]
    fn a_new_view_keeps_each_prepared_request_at_its_number_and_fills_gaps() {
        let view_changes = vec![
            (
                NodeId(0),
                vc(0, vec![(1, 0, request(10)), (3, 0, request(30))]),
            ),
            (NodeId(1), vc(0, vec![(3, 2, request(31))])),
            (NodeId(2), vc(0, vec![])),
        ];
        let (min_seq, pre_prepares) = decide(&view_changes);
        assert_eq!(min_seq, 0);
        assert_eq!(
            pre_prepares,
            vec![(1, request(10)), (2, Proposal::Null), (3, request(31))],
            "the certificate of the latest view wins"
        );
    }

    #[test]
    fn a_new_view_starts_from_the_highest_stable_checkpoint() {
        let view_changes = vec![
            (NodeId(0), vc(16, vec![(17, 1, request(5))])),
            (
                NodeId(1),
                vc(0, vec![(2, 0, request(1)), (17, 1, request(5))]),
            ),
            (NodeId(2), vc(16, vec![])),
        ];
        assert_eq!(decide(&view_changes), (16, vec![(17, request(5))]));
    }

    #[test]
    fn bad_parameters_are_reported() {
        let params = BftParams {
            view_change_timeout_ms: 0.0,
            resend_ms: 10.0,
            checkpoint_interval: 0,
            log_window: 200_000,
        };
        let messages: Vec<String> = params.problems().iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            vec![
                "view_change_timeout_ms: must be a positive number of milliseconds, got 0",
                "resend_ms: must not exceed view_change_timeout_ms (0), got 10",
                "checkpoint_interval: must be between 1 and 10000 sequence numbers, got 0",
                "log_window: must be at least twice checkpoint_interval (0) and at most 100000, got 200000",
            ]
        );
        assert!(BftParams::default().problems().is_empty());
        assert_eq!(replica_problems(4), vec![]);
        assert_eq!(
            replica_problems(3)[0].message,
            "bft needs at least 4 replicas (3f + 1 with f ≥ 1), got 3"
        );
    }

    /// Four replicas driven by hand: every message sent is delivered in order unless the
    /// test's loss rule drops it, and timers fire only when the test ticks a replica.
    struct Cluster {
        replicas: Vec<NodeId>,
        nodes: Vec<Bft>,
        rng: crate::rng::Rng,
        next_timer: u64,
        now: Time,
        in_flight: VecDeque<(NodeId, NodeId, BftMsg)>,
        replies: Vec<(RequestId, OpResult)>,
    }

    impl Cluster {
        fn new() -> Cluster {
            let replicas: Vec<NodeId> = (0..4).map(NodeId).collect();
            let params = BftParams::default();
            let mut cluster = Cluster {
                nodes: replicas
                    .iter()
                    .map(|&node| Bft::new(node, &replicas, &params))
                    .collect(),
                replicas,
                rng: crate::rng::Rng::stream(1, "bft-cluster", 0),
                next_timer: 0,
                now: Time::ZERO,
                in_flight: VecDeque::new(),
                replies: Vec::new(),
            };
            for node in cluster.replicas.clone() {
                cluster.call(node, |bft, ctx| bft.on_start(ctx));
            }
            cluster
        }

        fn call(&mut self, node: NodeId, handler: impl FnOnce(&mut Bft, &mut Ctx<'_, BftMsg>)) {
            let mut out = Vec::new();
            let mut ctx = Ctx {
                node,
                now: self.now,
                rng: &mut self.rng,
                replicas: &self.replicas,
                out: &mut out,
                next_timer: &mut self.next_timer,
            };
            handler(&mut self.nodes[node.0 as usize], &mut ctx);
            for command in out {
                match command {
                    crate::protocol::Command::Send { to, msg } => {
                        self.in_flight.push_back((node, to, msg));
                    }
                    crate::protocol::Command::Reply {
                        request, result, ..
                    } => self.replies.push((request, result)),
                    crate::protocol::Command::SetTimer { .. }
                    | crate::protocol::Command::CancelTimer(_) => {}
                }
            }
        }

        /// Delivers messages until none is left, dropping those `lost` picks.
        fn settle(&mut self, lost: impl Fn(NodeId, NodeId, &BftMsg) -> bool) {
            while let Some((from, to, msg)) = self.in_flight.pop_front() {
                if !lost(from, to, &msg) {
                    self.call(to, |bft, ctx| bft.on_message(ctx, from, &msg));
                }
            }
        }

        fn executed(&self) -> Vec<u64> {
            self.nodes.iter().map(Bft::last_executed).collect()
        }
    }

    #[test]
    fn a_replica_that_committed_sends_its_commit_again_to_a_stuck_peer() {
        // r3 is silent, so every commit needs r1, r2 and r4. The primary r1's commit
        // reaches neither r2 nor r4: r1 executes, they cannot. Their fetch gets executed
        // requests from r1 alone (f + 1 must agree), and r1, which made progress, never
        // retransmits by itself: before r1 answered a fetch with its commit, they waited
        // for a view change.
        let (r1, r2, r3, r4) = (NodeId(0), NodeId(1), NodeId(2), NodeId(3));
        let silent = move |from: NodeId, _: NodeId, _: &BftMsg| from == r3;
        let mut cluster = Cluster::new();
        let write = Op::Write {
            key: "x".into(),
            value: Value::unique(1),
        };
        cluster.call(r2, |bft, ctx| {
            bft.on_client_request(
                ctx,
                NodeId(9),
                RequestId(1),
                &write,
                &SessionToken::default(),
            )
        });
        cluster.settle(|from, to, msg| {
            silent(from, to, msg)
                || (from == r1 && to != r3 && matches!(msg, BftMsg::Commit { .. }))
        });
        // (r3 still hears everything; it only says nothing.)
        assert_eq!(cluster.executed(), vec![1, 0, 1, 0], "r2 and r4 are stuck");
        assert!(cluster.replies.is_empty());

        // A resend period later r2 and r4 notice they are stuck and ask their peers.
        cluster.now = Time::from_ms(300);
        for node in [r2, r4] {
            cluster.call(node, |bft, ctx| bft.on_tick(ctx));
        }
        cluster.settle(silent);
        assert_eq!(cluster.executed(), vec![1, 1, 1, 1]);
        assert_eq!(
            cluster.replies,
            vec![(RequestId(1), OpResult::Ok(None))],
            "the proxy r2 answers its client"
        );
        assert!(
            cluster
                .nodes
                .iter()
                .all(|bft| bft.view() == 0 && bft.normal()),
            "no view change"
        );
    }
}
