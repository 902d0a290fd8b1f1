//! Strict consistency (linearizability) through a Raft replicated log.
//!
//! **What it guarantees.** Every read, write and compare-and-set takes effect at one
//! instant between its request and its reply, and every client sees the same single order
//! of those instants: the store behaves like one register per key on one machine. A read
//! never returns a value older than a write that finished before the read began (the
//! seed's password update: once "password changed" is shown, no login anywhere accepts the
//! old password). An acknowledged write survives any crash of a minority of replicas.
//!
//! **How.** The replicas keep a replicated log, as in Raft (Ongaro and Ousterhout, 2014).
//! Time is cut into *terms*; in each term at most one *leader* is elected by a majority of
//! votes, and a replica only votes for a candidate whose log is at least as up to date as
//! its own. A follower that hears nothing from a leader for a randomized election timeout
//! first asks for *pre-votes* (would a majority vote for me, and has it lost its leader
//! too?) and only then raises its term and stands; the randomization breaks split votes,
//! and pre-voting keeps a replica that merely hears the leader badly from deposing it.
//! The leader appends every write and cas to its log and streams it to the followers in
//! `append` messages, which carry the previous entry's index and term so a follower can
//! refuse an append that does not fit its log; the leader then backs up (to the
//! follower's first entry of the conflicting term) until the logs match and overwrites
//! the follower's divergent suffix. An entry is *committed* once the leader has it on a
//! majority, but a leader only counts replicas for entries of its own term (the paper's
//! figure 8: an older entry on a majority can still be overwritten), so each new leader
//! first commits a no-op of its term. Committed entries are applied in log order to a
//! key-value map; a cas compares when it is applied. Each request carries its client's
//! request id, and the replicated state machine remembers every applied id with its
//! result, so a request the network duplicated or the client retried is applied once and
//! answered with the first result.
//!
//! Reads do not go through the log. The leader notes its commit index as the read's
//! *read index* (once it has committed an entry of its term), then sends a `read index`
//! round and waits until a majority acknowledges that it is still their leader; then it
//! answers from its state machine, which has applied at least up to the read index. There
//! are no clock-based leases, so skewed clocks cannot make a read stale. A leader that has
//! not heard from a majority for an election timeout steps down (check-quorum), so a
//! leader cut off in a minority stops answering instead of serving old data.
//!
//! Clients may ask any replica: a follower that knows the leader answers with a redirect,
//! and the client asks again there with the same request id. A replica that knows no
//! leader holds the request until it learns one. After an election timeout it fails a
//! held read ("no leader known": a read changes nothing, so that is certain) but never a
//! write: a copy of the write may have reached a leader by another path (a redirect, or a
//! duplicate the network delivered elsewhere) and may still commit, and no single replica
//! can know. A write nobody answers completes as indeterminate at the client.
//!
//! **Cost.** A write takes one round trip from the leader to a majority (two message
//! delays after it reaches the leader) plus the client's trips, and `2 (n − 1)` messages;
//! a read takes the same round trip for the read index confirmation. The leader also
//! sends a heartbeat to every follower each `heartbeat_ms`, `2 (n − 1)` messages per
//! interval when idle, and an election costs a round of pre-votes and a round of votes.
//! Every operation goes through one node, so the leader's links and distance to the
//! client bound throughput and latency.
//!
//! **Failures.** With `n = 2f + 1` replicas, any `f` may crash, be cut off, lose, delay,
//! duplicate or reorder messages and the guarantee holds; safety needs no majority at all,
//! only progress does. Term, vote and log are durable, so a replica that crashes and
//! restarts rebuilds its map by re-applying the log as it re-learns the commit index.
//! Clock skew only changes when timers fire, never what is safe. When no majority can
//! talk, nothing completes: the minority side refuses rather than answering stale
//! (operations fail or time out). A byzantine replica breaks everything: a lying leader
//! can acknowledge writes it never replicated.

use super::check_positive_ms;
use super::shared_log::{SharedLog, SharedMap};
use crate::protocol::{
    Ctx, Key, Op, OpResult, Protocol, RequestId, SessionToken, Shown, TimerId, Value,
};
use crate::scenario::Problem;
use crate::time::{ms_to_us, Time};
use crate::topology::NodeId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most entries `max_entries_per_append` may allow; more would make single messages huge.
pub const MAX_ENTRIES_PER_APPEND_LIMIT: u32 = 10_000;

/// Parameters of the strict (Raft) protocol; every field has a default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RaftParams {
    /// A follower waits at least this long without hearing a leader before it stands
    /// for election. Default 150 ms.
    pub election_timeout_min_ms: f64,
    /// ... and at most this long; each wait is drawn uniformly between the two from the
    /// node's own random stream. Must be above the minimum. Default 300 ms.
    pub election_timeout_max_ms: f64,
    /// How often a leader sends an append (empty: a heartbeat) to every follower. Must be
    /// below `election_timeout_min_ms`, or followers would depose a healthy leader.
    /// Default 50 ms.
    pub heartbeat_ms: f64,
    /// Most log entries one append carries; a follower far behind is repaired in batches.
    /// Default 64.
    pub max_entries_per_append: u32,
    /// Ask for pre-votes before standing for election (Raft thesis §9.6): a replica only
    /// raises its term when a majority would vote for it and has not heard from a leader
    /// for an election timeout, so a replica that lags or hears heartbeats badly cannot
    /// depose a healthy leader again and again. Default true; turn it off to watch the
    /// disruption it prevents.
    pub pre_vote: bool,
}

impl Default for RaftParams {
    fn default() -> Self {
        RaftParams {
            election_timeout_min_ms: 150.0,
            election_timeout_max_ms: 300.0,
            heartbeat_ms: 50.0,
            max_entries_per_append: 64,
            pre_vote: true,
        }
    }
}

impl RaftParams {
    /// Parameter problems, with paths relative to the `protocol` field.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        check_positive_ms(
            &mut problems,
            "election_timeout_min_ms",
            self.election_timeout_min_ms,
        );
        check_positive_ms(
            &mut problems,
            "election_timeout_max_ms",
            self.election_timeout_max_ms,
        );
        check_positive_ms(&mut problems, "heartbeat_ms", self.heartbeat_ms);
        if problems.is_empty() {
            // Compare in whole microseconds, as the timers will run.
            let (min_us, max_us) = (
                ms_to_us(self.election_timeout_min_ms),
                ms_to_us(self.election_timeout_max_ms),
            );
            if max_us <= min_us {
                problems.push(Problem {
                    path: "election_timeout_max_ms".into(),
                    message: format!(
                        "must be above election_timeout_min_ms ({}), got {}; the spread between \
                         them is what breaks split votes",
                        self.election_timeout_min_ms, self.election_timeout_max_ms
                    ),
                });
            }
            if ms_to_us(self.heartbeat_ms) >= min_us {
                problems.push(Problem {
                    path: "heartbeat_ms".into(),
                    message: format!(
                        "must be below election_timeout_min_ms ({}), got {}; otherwise \
                         followers depose a healthy leader between two heartbeats",
                        self.election_timeout_min_ms, self.heartbeat_ms
                    ),
                });
            }
        }
        if !(1..=MAX_ENTRIES_PER_APPEND_LIMIT).contains(&self.max_entries_per_append) {
            problems.push(Problem {
                path: "max_entries_per_append".into(),
                message: format!(
                    "must be between 1 and {MAX_ENTRIES_PER_APPEND_LIMIT}, got {}",
                    self.max_entries_per_append
                ),
            });
        }
        problems
    }

    fn election_timeout_range_us(&self) -> (u64, u64) {
        (
            ms_to_us(self.election_timeout_min_ms),
            ms_to_us(self.election_timeout_max_ms),
        )
    }
}

/// What a log entry asks the state machine to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogCommand {
    /// Appended by every new leader, so it can commit an entry of its own term.
    Noop,
    /// A client's write or cas.
    Client {
        client: NodeId,
        request: RequestId,
        op: Op,
    },
}

/// One entry of the replicated log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The term of the leader that appended it.
    pub term: u64,
    pub command: LogCommand,
}

/// A follower's answer to an append.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppendResult {
    /// The follower's log now matches the leader's up to this index.
    Matched(u64),
    /// The previous entry did not match; try again from this index.
    Conflict(u64),
    /// The append came from an older term (the ack's term tells the sender it is deposed).
    StaleTerm,
}

/// The leader's append: its entries after `prev_log_index` (none: a heartbeat).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendEntries {
    pub term: u64,
    pub prev_log_index: u64,
    pub prev_log_term: u64,
    pub entries: Vec<Entry>,
    /// The leader's commit index.
    pub leader_commit: u64,
    /// The leader's current round of contact; an ack of it confirms the reads that
    /// arrived before it was sent.
    pub round: u64,
}

/// Messages between Raft replicas. Every message carries its sender's term; a replica
/// that sees a higher term than its own adopts it and becomes a follower.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RaftMsg {
    /// "Would you vote for me in `term`?", asked before standing; changes nobody's term.
    PreVote {
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
    },
    /// The answer, with the voter's own current term.
    PreVoteReply {
        term: u64,
        granted: bool,
    },
    /// A candidate asks for a vote, showing how up to date its log is.
    RequestVote {
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
    },
    Vote {
        term: u64,
        granted: bool,
    },
    /// The leader's entries after `prev_log_index` (none: a heartbeat).
    Append(AppendEntries),
    AppendAck {
        term: u64,
        round: u64,
        result: AppendResult,
    },
    /// "Am I still your leader?", sent when a read arrives.
    ReadIndex {
        term: u64,
        round: u64,
    },
    ReadIndexAck {
        term: u64,
        round: u64,
    },
}

impl RaftMsg {
    fn term(&self) -> u64 {
        match *self {
            RaftMsg::PreVote { term, .. }
            | RaftMsg::PreVoteReply { term, .. }
            | RaftMsg::RequestVote { term, .. }
            | RaftMsg::Vote { term, .. }
            | RaftMsg::Append(AppendEntries { term, .. })
            | RaftMsg::AppendAck { term, .. }
            | RaftMsg::ReadIndex { term, .. }
            | RaftMsg::ReadIndexAck { term, .. } => term,
        }
    }
}

/// A replica's role in its current term.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Role {
    Follower,
    /// A follower asking for pre-votes; its term is unchanged.
    PreCandidate,
    Candidate,
    Leader,
}

/// A read waiting at the leader for its read index to be confirmed and applied.
#[derive(Clone, Debug, PartialEq)]
struct PendingRead {
    client: NodeId,
    request: RequestId,
    op: Op,
    /// Confirmed once a majority has acknowledged a message of this round or later.
    round: u64,
    /// The commit index to reach; unknown until the leader has committed in its term.
    read_index: Option<u64>,
}

/// A request waiting at a replica that knows no leader.
#[derive(Clone, Debug, PartialEq)]
struct Held {
    client: NodeId,
    request: RequestId,
    op: Op,
    /// When it arrived, by this replica's clock.
    since: Time,
}

/// Most appends a leader puts in flight to one follower at once: a follower far behind
/// (after a restart, say) catches up this many batches per round trip.
const PIPELINE_BATCHES: usize = 8;

/// How many election timeouts a held write waits for a leader before it is dropped
/// (unanswered: the client's timeout makes it indeterminate).
const HOLD_WRITES_FOR_TIMEOUTS: u64 = 10;

const TIMER_ELECTION: u64 = 0;
const TIMER_HEARTBEAT: u64 = 1;
const TIMER_QUORUM: u64 = 2;
const TIMER_HOLD: u64 = 3;

/// One Raft replica.
#[derive(Clone, Debug, PartialEq)]
pub struct Raft {
    params: RaftParams,
    /// The parameters' times in microseconds, converted once: the election timeout is
    /// drawn again at every append a follower receives.
    election_timeout_us: (u64, u64),
    heartbeat_us: u64,
    /// Every replica, in id order; vectors below are indexed by position in it.
    replicas: Vec<NodeId>,
    /// This replica's position in `replicas`.
    me: usize,

    // Durable: survives a crash.
    current_term: u64,
    voted_for: Option<NodeId>,
    /// Entry `i` (1-based, as in the paper) is `log[i - 1]`. Shared between snapshots
    /// (see `shared_log`): the log grows for as long as the run.
    log: SharedLog<Entry>,

    // Volatile: rebuilt after a restart.
    role: Role,
    /// The leader of the current term, once heard from.
    leader: Option<NodeId>,
    /// When this replica last heard from that leader, by its own clock.
    leader_contact: Option<Time>,
    commit_index: u64,
    last_applied: u64,
    /// The state machine: the applied store, and every applied request's result (kept
    /// for ever, so a request applied long ago is never applied again; shared between
    /// snapshots, as the log is).
    store: BTreeMap<Key, Value>,
    results: SharedMap<RequestId, OpResult>,
    /// Client entries applied, and client entries skipped as repeats of applied ones.
    applied_ops: u64,
    repeats_skipped: u64,
    /// Leader: requests that arrived again (duplicated or retried) and were not re-appended.
    repeated_requests: u64,
    /// Pre-candidate or candidate: who granted a (pre-)vote in this round.
    votes: Vec<bool>,
    /// Leader: the next entry to send each replica, and the highest known to match.
    next_index: Vec<u64>,
    match_index: Vec<u64>,
    /// Leader: replicas whose log position is in doubt (after a conflict, or at first):
    /// they get one batch at a time, resent with every heartbeat until one fits, rather
    /// than a stream of appends that cannot fit.
    probing: Vec<bool>,
    /// Leader: the latest round each replica acknowledged in this term.
    acked_round: Vec<u64>,
    /// Leader: who answered since the last check-quorum.
    heard: Vec<bool>,
    /// Leader: the current round of contact; bumped by every read.
    round: u64,
    /// Writes this replica appended as leader, waiting to be applied to answer.
    pending_writes: BTreeMap<RequestId, NodeId>,
    pending_reads: Vec<PendingRead>,
    held: Vec<Held>,
    /// Replicas announced as stopped for good: not worth a message.
    stopped: Vec<bool>,
    election_timer: Option<TimerId>,
    heartbeat_timer: Option<TimerId>,
    quorum_timer: Option<TimerId>,
    hold_timer: Option<TimerId>,
}

impl Raft {
    /// The state of replica `node`, one of `replicas` (in id order), at its first start.
    pub fn new(node: NodeId, replicas: &[NodeId], params: &RaftParams) -> Raft {
        let me = replicas
            .iter()
            .position(|&replica| replica == node)
            .expect("a Raft node is one of the replicas");
        debug_assert!(
            replicas.windows(2).all(|pair| pair[0] < pair[1]),
            "replicas come in id order"
        );
        let count = replicas.len();
        Raft {
            params: params.clone(),
            election_timeout_us: params.election_timeout_range_us(),
            heartbeat_us: ms_to_us(params.heartbeat_ms),
            replicas: replicas.to_vec(),
            me,
            current_term: 0,
            voted_for: None,
            log: SharedLog::new(),
            role: Role::Follower,
            leader: None,
            leader_contact: None,
            commit_index: 0,
            last_applied: 0,
            store: BTreeMap::new(),
            results: SharedMap::new(),
            applied_ops: 0,
            repeats_skipped: 0,
            repeated_requests: 0,
            votes: vec![false; count],
            next_index: vec![1; count],
            match_index: vec![0; count],
            probing: vec![true; count],
            acked_round: vec![0; count],
            heard: vec![false; count],
            round: 0,
            pending_writes: BTreeMap::new(),
            pending_reads: Vec::new(),
            held: Vec::new(),
            stopped: vec![false; count],
            election_timer: None,
            heartbeat_timer: None,
            quorum_timer: None,
            hold_timer: None,
        }
    }

    pub fn current_term(&self) -> u64 {
        self.current_term
    }

    pub fn voted_for(&self) -> Option<NodeId> {
        self.voted_for
    }

    /// The whole log, copied; entry `i` is `log()[i - 1]`.
    pub fn log(&self) -> Vec<Entry> {
        self.log.to_vec()
    }

    pub fn commit_index(&self) -> u64 {
        self.commit_index
    }

    pub fn last_applied(&self) -> u64 {
        self.last_applied
    }

    pub fn raft_role(&self) -> Role {
        self.role
    }

    /// The leader of the current term as this replica knows it (itself when leading).
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }

    /// Client entries applied to the state machine since the last (re)start.
    pub fn applied_ops(&self) -> u64 {
        self.applied_ops
    }

    /// Committed client entries skipped because their request had been applied already.
    pub fn repeats_skipped(&self) -> u64 {
        self.repeats_skipped
    }

    /// Requests this replica, leading, recognised as repeats (applied or in its log
    /// already) and did not append again.
    pub fn repeated_requests(&self) -> u64 {
        self.repeated_requests
    }

    /// Leader state: for each replica (in id order), the highest index known to match
    /// this leader's log.
    pub fn match_index(&self) -> &[u64] {
        &self.match_index
    }

    /// The term of entry `index` (0 for the empty prefix).
    pub fn term_at(&self, index: u64) -> u64 {
        term_at(&self.log, index)
    }

    fn last_index(&self) -> u64 {
        self.log.len() as u64
    }

    fn majority(&self) -> usize {
        self.replicas.len() / 2 + 1
    }

    fn slot_of(&self, node: NodeId) -> Option<usize> {
        // A plain scan: a handful of replicas, asked at every message, and the generic
        // binary search stayed a call per step in the size-optimised build.
        let replicas: &[NodeId] = &self.replicas;
        let mut slot = 0;
        while slot < replicas.len() {
            if replicas[slot].0 == node.0 {
                return Some(slot);
            }
            slot += 1;
        }
        None
    }

    /// Peers worth a message, by slot.
    fn live_peer_slots(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.replicas.len()).filter(move |&slot| slot != self.me && !self.stopped[slot])
    }

    fn send_to_peers(&self, ctx: &mut Ctx<'_, RaftMsg>, msg: &RaftMsg) {
        for slot in self.live_peer_slots() {
            ctx.send(self.replicas[slot], msg.clone());
        }
    }

    // ----- timers -----

    fn arm_election_timer(&mut self, ctx: &mut Ctx<'_, RaftMsg>) {
        let (min_us, max_us) = self.election_timeout_us;
        let wait_us = min_us + ctx.rng.below(max_us.saturating_sub(min_us).max(1));
        self.arm_election_timer_after(ctx, wait_us);
    }

    fn arm_election_timer_after(&mut self, ctx: &mut Ctx<'_, RaftMsg>, wait_us: u64) {
        if let Some(timer) = self.election_timer.take() {
            ctx.cancel_timer(timer);
        }
        self.election_timer = Some(ctx.set_timer(wait_us, TIMER_ELECTION));
    }

    fn cancel_leader_timers(&mut self, ctx: &mut Ctx<'_, RaftMsg>) {
        for timer in [self.heartbeat_timer.take(), self.quorum_timer.take()]
            .into_iter()
            .flatten()
        {
            ctx.cancel_timer(timer);
        }
    }

    // ----- roles -----

    /// Adopts a higher term, if `term` is one: a new term has no vote and no known leader.
    fn observe_term(&mut self, ctx: &mut Ctx<'_, RaftMsg>, term: u64) {
        if term > self.current_term {
            self.current_term = term;
            self.voted_for = None;
            self.leader = None;
            self.become_follower(ctx);
        }
    }

    /// Becomes a follower of the current term (a no-op for a follower).
    fn become_follower(&mut self, ctx: &mut Ctx<'_, RaftMsg>) {
        match self.role {
            Role::Follower => {}
            Role::PreCandidate | Role::Candidate => self.role = Role::Follower,
            Role::Leader => {
                self.role = Role::Follower;
                self.leader = None;
                self.cancel_leader_timers(ctx);
                self.arm_election_timer(ctx);
                // Reads were never appended, so another leader may serve them.
                for read in std::mem::take(&mut self.pending_reads) {
                    self.hold(ctx, read.client, read.request, read.op);
                }
            }
        }
    }

    /// Learns who leads the current term: held requests and appended writes still
    /// waiting are redirected there (the writes may commit anyway; the leader's dedupe
    /// applies them once).
    fn learn_leader(&mut self, ctx: &mut Ctx<'_, RaftMsg>, leader: NodeId) {
        debug_assert_ne!(self.role, Role::Leader, "one leader per term");
        if self.leader == Some(leader) {
            return;
        }
        self.leader = Some(leader);
        for held in std::mem::take(&mut self.held) {
            ctx.reply(held.client, held.request, OpResult::Redirect(leader));
        }
        for (request, client) in std::mem::take(&mut self.pending_writes) {
            ctx.reply(client, request, OpResult::Redirect(leader));
        }
        if let Some(timer) = self.hold_timer.take() {
            ctx.cancel_timer(timer);
        }
    }

    /// An election timeout: ask for pre-votes (or stand at once without pre-vote).
    fn start_pre_vote(&mut self, ctx: &mut Ctx<'_, RaftMsg>) {
        if !self.params.pre_vote || self.majority() == 1 {
            return self.start_election(ctx);
        }
        self.role = Role::PreCandidate;
        self.votes.fill(false);
        self.votes[self.me] = true;
        self.arm_election_timer(ctx);
        let msg = RaftMsg::PreVote {
            term: self.current_term + 1,
            last_log_index: self.last_index(),
            last_log_term: self.term_at(self.last_index()),
        };
        self.send_to_peers(ctx, &msg);
    }

    /// Whether a candidate's log is at least as up to date as this replica's.
    fn log_up_to_date(&self, last_log_index: u64, last_log_term: u64) -> bool {
        let my_last_term = self.term_at(self.last_index());
        last_log_term > my_last_term
            || (last_log_term == my_last_term && last_log_index >= self.last_index())
    }

    /// Whether a leader was heard within the minimum election timeout: then a pre-vote
    /// is refused, since the leader seems alive.
    fn leader_recently_heard(&self, now: Time) -> bool {
        let (min_us, _) = self.election_timeout_us;
        self.role == Role::Leader
            || self
                .leader_contact
                .is_some_and(|contact| now.since_us(contact) < min_us)
    }

    fn start_election(&mut self, ctx: &mut Ctx<'_, RaftMsg>) {
        self.current_term += 1;
        self.role = Role::Candidate;
        self.voted_for = Some(self.replicas[self.me]);
        self.leader = None;
        self.votes.fill(false);
        self.votes[self.me] = true;
        self.arm_election_timer(ctx);
        if self.majority() == 1 {
            return self.become_leader(ctx);
        }
        let msg = RaftMsg::RequestVote {
            term: self.current_term,
            last_log_index: self.last_index(),
            last_log_term: self.term_at(self.last_index()),
        };
        self.send_to_peers(ctx, &msg);
    }

    fn become_leader(&mut self, ctx: &mut Ctx<'_, RaftMsg>) {
        debug_assert_eq!(self.role, Role::Candidate);
        self.role = Role::Leader;
        self.leader = Some(self.replicas[self.me]);
        if let Some(timer) = self.election_timer.take() {
            ctx.cancel_timer(timer);
        }
        if let Some(timer) = self.hold_timer.take() {
            ctx.cancel_timer(timer);
        }
        let next = self.last_index() + 1;
        self.next_index.fill(next);
        self.match_index.fill(0);
        self.probing.fill(true);
        self.acked_round.fill(0);
        self.heard.fill(false);
        // A no-op of the new term: committing it commits everything before it, and until
        // it commits the leader cannot know its commit index, so reads wait for it.
        self.log.push(Entry {
            term: self.current_term,
            command: LogCommand::Noop,
        });
        self.match_index[self.me] = self.last_index();
        self.heartbeat_timer = Some(ctx.set_timer(self.heartbeat_us, TIMER_HEARTBEAT));
        let (_, max_us) = self.election_timeout_us;
        self.quorum_timer = Some(ctx.set_timer(max_us, TIMER_QUORUM));
        self.replicate(ctx);
        self.advance_commit(ctx);
        for held in std::mem::take(&mut self.held) {
            self.lead_request(ctx, held.client, held.request, &held.op);
        }
    }

    // ----- replication -----

    fn replicate(&mut self, ctx: &mut Ctx<'_, RaftMsg>) {
        for slot in 0..self.replicas.len() {
            if slot != self.me && !self.stopped[slot] {
                self.send_append(ctx, slot);
            }
        }
    }

    /// Sends replica `slot` the entries from its next index on (or a heartbeat). To a
    /// replica known to match, up to [`PIPELINE_BATCHES`] appends go at once, assumed to
    /// arrive: the next append carries the entries after them, so the leader streams its
    /// log instead of waiting a round trip per batch, and a lost batch shows up as a
    /// conflict on the next append, which backs `next_index` up and starts probing. A
    /// probed replica gets one batch, the same again with every heartbeat until it fits,
    /// so on a lossy link one delivered append is enough to make progress.
    fn send_append(&mut self, ctx: &mut Ctx<'_, RaftMsg>, slot: usize) {
        if self.probing[slot] {
            let next = self.next_index[slot];
            self.send_one_append(ctx, slot);
            self.next_index[slot] = next;
            return;
        }
        for _ in 0..PIPELINE_BATCHES {
            self.send_one_append(ctx, slot);
            if self.next_index[slot] > self.last_index() {
                break;
            }
        }
    }

    fn send_one_append(&mut self, ctx: &mut Ctx<'_, RaftMsg>, slot: usize) {
        let prev_log_index = self.next_index[slot] - 1;
        debug_assert!(prev_log_index <= self.last_index());
        let end = self
            .last_index()
            .min(prev_log_index + u64::from(self.params.max_entries_per_append));
        let entries = self.log.to_vec_range(prev_log_index as usize, end as usize);
        self.next_index[slot] = end + 1;
        ctx.send(
            self.replicas[slot],
            RaftMsg::Append(AppendEntries {
                term: self.current_term,
                prev_log_index,
                prev_log_term: self.term_at(prev_log_index),
                entries,
                leader_commit: self.commit_index,
                round: self.round,
            }),
        );
    }

    /// Commits what a majority holds, counting replicas for entries of this term only.
    fn advance_commit(&mut self, ctx: &mut Ctx<'_, RaftMsg>) {
        if self.role != Role::Leader {
            return;
        }
        let target = quorum_commit_index(
            &self.log,
            &self.match_index,
            self.current_term,
            self.commit_index,
        );
        if target > self.commit_index {
            self.commit_index = target;
            self.apply(ctx);
            let read_index = self.commit_index;
            for read in &mut self.pending_reads {
                read.read_index.get_or_insert(read_index);
            }
            self.serve_reads(ctx);
        }
    }

    /// Applies committed entries in order; answers the writes this replica waits on.
    fn apply(&mut self, ctx: &mut Ctx<'_, RaftMsg>) {
        debug_assert!(self.commit_index <= self.last_index());
        while self.last_applied < self.commit_index {
            self.last_applied += 1;
            let entry = &self.log[self.last_applied as usize - 1];
            let LogCommand::Client { request, op, .. } = &entry.command else {
                continue;
            };
            let request = *request;
            if self.results.contains_key(&request) {
                // The same request committed twice (a retry after a change of leader):
                // the first application counts, the repeat changes nothing.
                self.repeats_skipped += 1;
            } else {
                let result = apply_op(&mut self.store, op);
                self.results.insert_new(request, result);
                self.applied_ops += 1;
            }
            if let Some(client) = self.pending_writes.remove(&request) {
                let result = self.results.get(&request).cloned();
                debug_assert!(result.is_some(), "an applied request has its result");
                if let Some(result) = result {
                    ctx.reply(client, request, result);
                }
            }
        }
    }

    // ----- reads -----

    fn term_committed(&self) -> bool {
        self.commit_index > 0 && self.term_at(self.commit_index) == self.current_term
    }

    /// Whether a majority (this leader included) acknowledged round `round` or later.
    fn round_confirmed(&self, round: u64) -> bool {
        let acks = (0..self.replicas.len())
            .filter(|&slot| slot == self.me || self.acked_round[slot] >= round)
            .count();
        acks >= self.majority()
    }

    fn serve_reads(&mut self, ctx: &mut Ctx<'_, RaftMsg>) {
        if self.role != Role::Leader || self.pending_reads.is_empty() {
            return;
        }
        // Answered in place, keeping the order of the rest: this runs after every ack, and
        // building a new list each time was an allocation per ack.
        let mut reads = std::mem::take(&mut self.pending_reads);
        reads.retain(|read| {
            let ready = read
                .read_index
                .is_some_and(|index| self.last_applied >= index)
                && self.round_confirmed(read.round);
            if ready {
                let value = self.store.get(read.op.key()).copied();
                ctx.reply(read.client, read.request, OpResult::Ok(value));
            }
            !ready
        });
        self.pending_reads = reads;
    }

    // ----- client requests -----

    fn lead_request(
        &mut self,
        ctx: &mut Ctx<'_, RaftMsg>,
        client: NodeId,
        request: RequestId,
        op: &Op,
    ) {
        debug_assert_eq!(self.role, Role::Leader);
        if let Op::Read { .. } = op {
            self.round += 1;
            self.pending_reads.push(PendingRead {
                client,
                request,
                op: op.clone(),
                round: self.round,
                read_index: self.term_committed().then_some(self.commit_index),
            });
            let probe = RaftMsg::ReadIndex {
                term: self.current_term,
                round: self.round,
            };
            self.send_to_peers(ctx, &probe);
            return self.serve_reads(ctx);
        }
        if let Some(result) = self.results.get(&request) {
            self.repeated_requests += 1;
            return ctx.reply(client, request, result.clone());
        }
        self.pending_writes.insert(request, client);
        // A retry of an entry already in the log waits for that entry: the leader's log
        // only grows while it leads, and its next commit covers it.
        let in_log = self.log.iter_from(self.last_applied as usize).any(|entry| {
            matches!(&entry.command, LogCommand::Client { request: r, .. } if *r == request)
        });
        if in_log {
            self.repeated_requests += 1;
        } else {
            self.log.push(Entry {
                term: self.current_term,
                command: LogCommand::Client {
                    client,
                    request,
                    op: op.clone(),
                },
            });
            self.match_index[self.me] = self.last_index();
            self.replicate(ctx);
            self.advance_commit(ctx);
        }
    }

    /// Keeps a request until a leader is known (see the hold timer for how long).
    fn hold(&mut self, ctx: &mut Ctx<'_, RaftMsg>, client: NodeId, request: RequestId, op: Op) {
        self.held.push(Held {
            client,
            request,
            op,
            since: ctx.now,
        });
        if self.hold_timer.is_none() {
            let (_, max_us) = self.election_timeout_us;
            self.hold_timer = Some(ctx.set_timer(max_us, TIMER_HOLD));
        }
    }

    /// Still no leader after an election timeout. A read fails: it changes nothing, so
    /// failing it is always certain. A write does not: a copy of it may have reached a
    /// leader on another path (a redirect, or a duplicate the network delivered
    /// elsewhere earlier) and may still commit, and this replica cannot know, so a write
    /// keeps waiting for a leader for a while and is then dropped unanswered, which the
    /// client sees as indeterminate.
    fn expire_held(&mut self, ctx: &mut Ctx<'_, RaftMsg>) {
        let (_, max_us) = self.election_timeout_us;
        let write_limit_us = max_us.saturating_mul(HOLD_WRITES_FOR_TIMEOUTS);
        let mut waiting = Vec::new();
        for held in std::mem::take(&mut self.held) {
            if let Op::Read { .. } = held.op {
                let reason = "no leader known: an election is under way or this replica is cut \
                              off from a majority";
                ctx.reply(held.client, held.request, OpResult::Fail(reason.into()));
            } else if ctx.now.since_us(held.since) < write_limit_us {
                waiting.push(held);
            }
        }
        self.held = waiting;
        if !self.held.is_empty() {
            self.hold_timer = Some(ctx.set_timer(max_us, TIMER_HOLD));
        }
    }

    // ----- messages -----

    fn on_request_vote(
        &mut self,
        ctx: &mut Ctx<'_, RaftMsg>,
        from: NodeId,
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
    ) {
        let granted = term == self.current_term
            && self.voted_for.is_none_or(|voted| voted == from)
            && self.log_up_to_date(last_log_index, last_log_term);
        if granted {
            self.voted_for = Some(from);
            self.arm_election_timer(ctx);
        }
        ctx.send(
            from,
            RaftMsg::Vote {
                term: self.current_term,
                granted,
            },
        );
    }

    fn on_pre_vote(
        &mut self,
        ctx: &mut Ctx<'_, RaftMsg>,
        from: NodeId,
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
    ) {
        // Nothing changes here: no term, no vote, no timer.
        let granted = term > self.current_term
            && self.log_up_to_date(last_log_index, last_log_term)
            && !self.leader_recently_heard(ctx.now);
        ctx.send(
            from,
            RaftMsg::PreVoteReply {
                term: self.current_term,
                granted,
            },
        );
    }

    /// Counts `from`'s vote (or pre-vote) once; true when a majority has voted yes.
    fn count_vote(&mut self, from: NodeId) -> bool {
        let Some(slot) = self.slot_of(from) else {
            return false;
        };
        self.votes[slot] = true;
        self.votes.iter().filter(|&&vote| vote).count() >= self.majority()
    }

    fn on_pre_vote_reply(&mut self, ctx: &mut Ctx<'_, RaftMsg>, from: NodeId, granted: bool) {
        if self.role != Role::PreCandidate || !granted {
            return;
        }
        if self.count_vote(from) {
            self.start_election(ctx);
        }
    }

    fn on_vote(&mut self, ctx: &mut Ctx<'_, RaftMsg>, from: NodeId, term: u64, granted: bool) {
        if self.role != Role::Candidate || term != self.current_term || !granted {
            return;
        }
        if self.count_vote(from) {
            self.become_leader(ctx);
        }
    }

    fn on_append(&mut self, ctx: &mut Ctx<'_, RaftMsg>, from: NodeId, append: &AppendEntries) {
        let AppendEntries {
            term,
            prev_log_index,
            prev_log_term,
            ref entries,
            leader_commit,
            round,
        } = *append;
        if term < self.current_term {
            return self.ack_append(ctx, from, round, AppendResult::StaleTerm);
        }
        debug_assert_ne!(self.role, Role::Leader, "one leader per term");
        self.become_follower(ctx);
        self.learn_leader(ctx, from);
        self.leader_contact = Some(ctx.now);
        self.arm_election_timer(ctx);
        let result = match append_entries(
            &mut self.log,
            self.commit_index,
            prev_log_index,
            prev_log_term,
            entries,
        ) {
            Ok(matched) => {
                // Only what the leader just vouched for may be committed here: the rest
                // of this log may still be another term's leftovers.
                let commit = leader_commit.min(matched);
                if commit > self.commit_index {
                    self.commit_index = commit;
                    self.apply(ctx);
                }
                AppendResult::Matched(matched)
            }
            Err(retry_from) => AppendResult::Conflict(retry_from),
        };
        self.ack_append(ctx, from, round, result);
    }

    fn ack_append(
        &self,
        ctx: &mut Ctx<'_, RaftMsg>,
        leader: NodeId,
        round: u64,
        result: AppendResult,
    ) {
        ctx.send(
            leader,
            RaftMsg::AppendAck {
                term: self.current_term,
                round,
                result,
            },
        );
    }

    fn on_append_ack(
        &mut self,
        ctx: &mut Ctx<'_, RaftMsg>,
        from: NodeId,
        round: u64,
        result: AppendResult,
    ) {
        let Some(slot) = self.slot_of(from) else {
            return;
        };
        self.heard_from(slot, round);
        match result {
            AppendResult::Matched(matched) => {
                // Acks may come late, twice or out of order: only progress (or the first
                // fit after probing) counts, and only that sends more, so duplicates
                // cannot multiply messages.
                let fits = self.probing[slot] && matched >= self.match_index[slot];
                if matched > self.match_index[slot] || fits {
                    self.probing[slot] = false;
                    self.match_index[slot] = matched;
                    self.next_index[slot] = self.next_index[slot].max(matched + 1);
                    self.advance_commit(ctx);
                    if self.next_index[slot] <= self.last_index() {
                        self.send_append(ctx, slot);
                    }
                }
            }
            AppendResult::Conflict(retry_from) => {
                let retry_from = retry_from.max(self.match_index[slot] + 1);
                if retry_from < self.next_index[slot] {
                    self.next_index[slot] = retry_from;
                    self.probing[slot] = true;
                    self.send_append(ctx, slot);
                }
            }
            AppendResult::StaleTerm => {}
        }
        self.serve_reads(ctx);
    }

    fn heard_from(&mut self, slot: usize, round: u64) {
        self.heard[slot] = true;
        self.acked_round[slot] = self.acked_round[slot].max(round);
    }

    fn on_read_index(&mut self, ctx: &mut Ctx<'_, RaftMsg>, from: NodeId, term: u64, round: u64) {
        if term == self.current_term {
            debug_assert_ne!(self.role, Role::Leader, "one leader per term");
            self.become_follower(ctx);
            self.learn_leader(ctx, from);
            self.leader_contact = Some(ctx.now);
            self.arm_election_timer(ctx);
        }
        // With an older term, the ack's term tells the sender it is deposed.
        ctx.send(
            from,
            RaftMsg::ReadIndexAck {
                term: self.current_term,
                round,
            },
        );
    }
}

/// The term of entry `index` of `log` (0 for the empty prefix).
pub fn term_at(log: &SharedLog<Entry>, index: u64) -> u64 {
    match index {
        0 => 0,
        _ => log[index as usize - 1].term,
    }
}

/// A follower's side of an append: checks that the entry before `entries` matches, then
/// adds what is new, cutting off a conflicting suffix (never a committed entry). Entries
/// it holds already are kept as they are, so a late or repeated append never truncates
/// what a newer one added. Returns the index up to which the log now matches the
/// leader's, or the index the leader should retry from.
pub fn append_entries(
    log: &mut SharedLog<Entry>,
    commit_index: u64,
    prev_log_index: u64,
    prev_log_term: u64,
    entries: &[Entry],
) -> Result<u64, u64> {
    let last = log.len() as u64;
    if prev_log_index > last {
        return Err(last + 1);
    }
    let local_prev_term = term_at(log, prev_log_index);
    if local_prev_term != prev_log_term {
        // Skip back over every entry of the conflicting term at once.
        let first_of_term = (0..prev_log_index as usize)
            .rev()
            .find(|&position| log[position].term != local_prev_term)
            .map_or(1, |position| position as u64 + 2);
        return Err(first_of_term);
    }
    for (offset, entry) in entries.iter().enumerate() {
        let index = prev_log_index + 1 + offset as u64;
        if index <= log.len() as u64 {
            if log[index as usize - 1].term == entry.term {
                continue;
            }
            assert!(
                index > commit_index,
                "a committed entry is never overwritten (index {index}, commit {commit_index})"
            );
            log.truncate(index as usize - 1);
        }
        log.push(entry.clone());
    }
    Ok(prev_log_index + entries.len() as u64)
}

/// The highest index a leader of `term` may commit: the latest entry of its own term held
/// by a majority (`match_index` has one slot per replica, the leader's own included).
/// Entries of earlier terms are never committed by counting replicas, only by a later
/// entry of this term (the paper's figure 8).
pub fn quorum_commit_index(
    log: &SharedLog<Entry>,
    match_index: &[u64],
    term: u64,
    commit_index: u64,
) -> u64 {
    let majority = match_index.len() / 2 + 1;
    let mut index = log.len() as u64;
    while index > commit_index && term_at(log, index) == term {
        let holders = match_index
            .iter()
            .filter(|&&matched| matched >= index)
            .count();
        if holders >= majority {
            return index;
        }
        index -= 1;
    }
    commit_index
}

/// Applies a write or cas to the store; returns the client's answer.
fn apply_op(store: &mut BTreeMap<Key, Value>, op: &Op) -> OpResult {
    match op {
        Op::Write { key, value } => {
            store.insert(key.clone(), *value);
            OpResult::Ok(None)
        }
        Op::Cas { key, old, new } => {
            let current = store.get(key).copied();
            match current {
                Some(value) if value.shown == *old => {
                    store.insert(key.clone(), *new);
                    OpResult::Ok(Some(value))
                }
                Some(value) => {
                    OpResult::Fail(format!("cas failed: {key} is {}, not {old}", value.shown))
                }
                None => OpResult::Fail(format!("cas failed: {key} has no value, not {old}")),
            }
        }
        Op::Read { key } => OpResult::Ok(store.get(key).copied()),
    }
}

impl Protocol for Raft {
    type Msg = RaftMsg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, RaftMsg>) {
        self.arm_election_timer(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, RaftMsg>, from: NodeId, msg: &RaftMsg) {
        // A pre-vote's term is only proposed: adopting it would disrupt as much as the
        // election pre-voting avoids.
        if !matches!(msg, RaftMsg::PreVote { .. }) {
            self.observe_term(ctx, msg.term());
        }
        match msg {
            &RaftMsg::PreVote {
                term,
                last_log_index,
                last_log_term,
            } => self.on_pre_vote(ctx, from, term, last_log_index, last_log_term),
            &RaftMsg::PreVoteReply { granted, .. } => self.on_pre_vote_reply(ctx, from, granted),
            &RaftMsg::RequestVote {
                term,
                last_log_index,
                last_log_term,
            } => self.on_request_vote(ctx, from, term, last_log_index, last_log_term),
            &RaftMsg::Vote { term, granted } => self.on_vote(ctx, from, term, granted),
            RaftMsg::Append(append) => self.on_append(ctx, from, append),
            &RaftMsg::AppendAck {
                term,
                round,
                result,
            } => {
                if self.role == Role::Leader && term == self.current_term {
                    self.on_append_ack(ctx, from, round, result);
                }
            }
            &RaftMsg::ReadIndex { term, round } => self.on_read_index(ctx, from, term, round),
            &RaftMsg::ReadIndexAck { term, round } => {
                if self.role == Role::Leader && term == self.current_term {
                    if let Some(slot) = self.slot_of(from) {
                        self.heard_from(slot, round);
                        self.serve_reads(ctx);
                    }
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, RaftMsg>, timer: TimerId, tag: u64) {
        match tag {
            TIMER_ELECTION if self.election_timer == Some(timer) => {
                self.election_timer = None;
                if self.role != Role::Leader {
                    self.start_pre_vote(ctx);
                }
            }
            TIMER_HEARTBEAT if self.heartbeat_timer == Some(timer) => {
                self.replicate(ctx);
                self.heartbeat_timer = Some(ctx.set_timer(self.heartbeat_us, TIMER_HEARTBEAT));
            }
            TIMER_QUORUM if self.quorum_timer == Some(timer) => {
                self.quorum_timer = None;
                let heard = (0..self.replicas.len())
                    .filter(|&slot| slot == self.me || self.heard[slot])
                    .count();
                if heard >= self.majority() {
                    self.heard.fill(false);
                    let (_, max_us) = self.election_timeout_us;
                    self.quorum_timer = Some(ctx.set_timer(max_us, TIMER_QUORUM));
                } else {
                    // Cut off from a majority: another leader may exist; stop serving.
                    self.become_follower(ctx);
                }
            }
            TIMER_HOLD if self.hold_timer == Some(timer) => {
                self.hold_timer = None;
                self.expire_held(ctx);
            }
            _ => {}
        }
    }

    fn on_client_request(
        &mut self,
        ctx: &mut Ctx<'_, RaftMsg>,
        client: NodeId,
        request: RequestId,
        op: &Op,
        _session: &SessionToken,
    ) {
        if self.role == Role::Leader {
            return self.lead_request(ctx, client, request, op);
        }
        if let (Some(result), false) = (self.results.get(&request), matches!(op, Op::Read { .. })) {
            // Applied already (its first answer was lost): the result is final.
            return ctx.reply(client, request, result.clone());
        }
        match self.leader {
            Some(leader) => ctx.reply(client, request, OpResult::Redirect(leader)),
            None => self.hold(ctx, client, request, op.clone()),
        }
    }

    fn on_failure_notice(&mut self, ctx: &mut Ctx<'_, RaftMsg>, peer: NodeId) {
        let Some(slot) = self.slot_of(peer) else {
            return;
        };
        self.stopped[slot] = true;
        if self.leader == Some(peer) {
            // The leader is gone for good: stand for election soon, skipping the minimum
            // wait but keeping the random spread that avoids split votes.
            self.leader = None;
            self.leader_contact = None;
            let (min_us, max_us) = self.election_timeout_us;
            let wait_us = ctx.rng.below(max_us.saturating_sub(min_us).max(1));
            self.arm_election_timer_after(ctx, wait_us);
        }
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_, RaftMsg>) {
        // Term, vote and log are durable; everything else starts over, and the store is
        // rebuilt by re-applying the log as the commit index is learned again.
        let durable = (
            std::mem::take(&mut self.current_term),
            self.voted_for.take(),
            std::mem::take(&mut self.log),
        );
        *self = Raft::new(self.replicas[self.me], &self.replicas, &self.params);
        (self.current_term, self.voted_for, self.log) = durable;
        self.arm_election_timer(ctx);
    }

    fn local_read(&self, key: &str) -> Option<Value> {
        self.store.get(key).copied()
    }

    fn store(&self) -> BTreeMap<Key, Value> {
        self.store.clone()
    }

    fn inspect(&self) -> Vec<(&'static str, Shown)> {
        let last_term = term_at(&self.log, self.last_index());
        vec![
            ("term", Shown::from(self.current_term.to_string())),
            ("voted for", Shown::Node(self.voted_for)),
            ("leader", Shown::Node(self.leader)),
            (
                "log",
                Shown::from(format!(
                    "{} entries, last of term {last_term}",
                    self.log.len()
                )),
            ),
            ("committed", Shown::from(self.commit_index.to_string())),
            ("applied", Shown::from(self.last_applied.to_string())),
        ]
    }

    fn role(&self) -> &'static str {
        match self.role {
            // A pre-candidate has not raised its term: it is still a follower.
            Role::Follower | Role::PreCandidate => "follower",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }

    fn msg_kind(msg: &RaftMsg) -> &'static str {
        match msg {
            RaftMsg::PreVote { .. } => "pre-vote request",
            RaftMsg::PreVoteReply { .. } => "pre-vote",
            RaftMsg::RequestVote { .. } => "vote request",
            RaftMsg::Vote { .. } => "vote",
            RaftMsg::Append(append) if append.entries.is_empty() => "heartbeat",
            RaftMsg::Append(_) => "append",
            RaftMsg::AppendAck { .. } => "append ack",
            RaftMsg::ReadIndex { .. } => "read index",
            RaftMsg::ReadIndexAck { .. } => "read index ack",
        }
    }

    fn msg_kinds() -> &'static [&'static str] {
        &[
            "pre-vote request",
            "pre-vote",
            "vote request",
            "vote",
            "append",
            "heartbeat",
            "append ack",
            "read index",
            "read index ack",
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Command;
    use crate::rng::Rng;

    fn entry(term: u64) -> Entry {
        Entry {
            term,
            command: LogCommand::Noop,
        }
    }

    fn write(term: u64, request: u64, value: i64) -> Entry {
        Entry {
            term,
            command: LogCommand::Client {
                client: NodeId(9),
                request: RequestId(request),
                op: Op::Write {
                    key: "x".into(),
                    value: Value::unique(value),
                },
            },
        }
    }

    fn terms(log: &SharedLog<Entry>) -> Vec<u64> {
        log.iter().map(|entry| entry.term).collect()
    }

    #[test]
    fn an_append_keeps_matching_entries_and_cuts_a_conflicting_suffix() {
        let mut log = SharedLog::from(vec![entry(1), entry(1), entry(2), entry(2)]);
        // Entries 3 and 4 of term 2 lose to the leader's entry 3 of term 3.
        assert_eq!(
            append_entries(&mut log, 2, 2, 1, &[entry(2), entry(3)]),
            Ok(4)
        );
        assert_eq!(terms(&log), [1, 1, 2, 3]);
        // An append of entries already held changes nothing, and matches only its own.
        assert_eq!(append_entries(&mut log, 2, 1, 1, &[entry(1)]), Ok(2));
        assert_eq!(terms(&log), [1, 1, 2, 3]);
    }

    #[test]
    fn a_late_append_never_truncates_what_a_newer_one_added() {
        let mut log = SharedLog::from(vec![entry(1)]);
        assert_eq!(
            append_entries(&mut log, 0, 1, 1, &[entry(1), entry(1)]),
            Ok(3)
        );
        // The older append (one entry after index 1) arrives second.
        assert_eq!(append_entries(&mut log, 0, 1, 1, &[entry(1)]), Ok(2));
        assert_eq!(log.len(), 3);
    }

    #[test]
    fn an_append_that_does_not_fit_names_where_to_retry() {
        let mut log = SharedLog::from(vec![entry(1), entry(2), entry(2), entry(2)]);
        // A gap: the follower has only 4 entries.
        assert_eq!(append_entries(&mut log, 0, 6, 3, &[]), Err(5));
        // A mismatch at 4 (term 2 here, 3 at the leader): skip back over the whole of
        // term 2, to index 2.
        assert_eq!(append_entries(&mut log, 0, 4, 3, &[entry(3)]), Err(2));
        assert_eq!(
            terms(&log),
            [1, 2, 2, 2],
            "a refused append changes nothing"
        );
        // The empty prefix always matches.
        assert_eq!(append_entries(&mut log, 0, 0, 0, &[entry(3)]), Ok(1));
        assert_eq!(terms(&log), [3]);
    }

    #[test]
    #[should_panic(expected = "a committed entry is never overwritten")]
    fn overwriting_a_committed_entry_is_a_bug() {
        let mut log = SharedLog::from(vec![entry(1), entry(1)]);
        let _ = append_entries(&mut log, 2, 1, 1, &[entry(2)]);
    }

    #[test]
    fn a_leader_commits_by_counting_only_entries_of_its_own_term() {
        // Figure 8 (c): the leader of term 4 has entry 2 (term 2) on three of five
        // replicas and its own entry 3 (term 4) on itself only. Nothing commits.
        let log = SharedLog::from(vec![entry(1), entry(2), entry(4)]);
        assert_eq!(quorum_commit_index(&log, &[3, 2, 2, 1, 1], 4, 1), 1);
        // Once entry 3 is on a majority, it commits, and entry 2 with it.
        assert_eq!(quorum_commit_index(&log, &[3, 3, 3, 1, 1], 4, 1), 3);
        // The highest entry held by a majority wins; commit never goes back.
        let log = SharedLog::from(vec![entry(4), entry(4), entry(4)]);
        assert_eq!(quorum_commit_index(&log, &[3, 3, 2, 2, 0], 4, 0), 2);
        assert_eq!(quorum_commit_index(&log, &[3, 0, 0, 0, 0], 4, 2), 2);
    }

    #[test]
    fn cas_compares_what_the_store_shows_when_it_is_applied() {
        let mut store = BTreeMap::new();
        let cas = |old, new| Op::Cas {
            key: "x".into(),
            old,
            new: Value::unique(new),
        };
        assert!(matches!(
            apply_op(&mut store, &cas(0, 1)),
            OpResult::Fail(_)
        ));
        let set = Op::Write {
            key: "x".into(),
            value: Value { id: 7, shown: 3 },
        };
        assert_eq!(apply_op(&mut store, &set), OpResult::Ok(None));
        assert_eq!(
            apply_op(&mut store, &cas(3, 4)),
            OpResult::Ok(Some(Value { id: 7, shown: 3 }))
        );
        assert_eq!(store["x"], Value::unique(4));
        assert!(matches!(
            apply_op(&mut store, &cas(3, 5)),
            OpResult::Fail(_)
        ));
    }

    /// Runs one handler of `raft` with a fresh context at 1 ms; returns its commands.
    fn handle(
        raft: &mut Raft,
        call: impl FnOnce(&mut Raft, &mut Ctx<'_, RaftMsg>),
    ) -> Vec<Command<RaftMsg>> {
        handle_at(raft, Time::from_ms(1), call)
    }

    fn handle_at(
        raft: &mut Raft,
        now: Time,
        call: impl FnOnce(&mut Raft, &mut Ctx<'_, RaftMsg>),
    ) -> Vec<Command<RaftMsg>> {
        let replicas = raft.replicas.clone();
        let mut rng = Rng::from_seed(1);
        let mut out = Vec::new();
        let mut next_timer = 0;
        let mut ctx = Ctx {
            node: replicas[raft.me],
            now,
            rng: &mut rng,
            replicas: &replicas,
            out: &mut out,
            next_timer: &mut next_timer,
        };
        call(raft, &mut ctx);
        out
    }

    #[test]
    fn a_request_committed_twice_is_applied_once_and_answered_alike() {
        let replicas = [NodeId(0), NodeId(1), NodeId(2)];
        let mut follower = Raft::new(NodeId(1), &replicas, &RaftParams::default());
        // The same request at indexes 1 and 3 (a retry appended by a later leader),
        // with another write between.
        let append = AppendEntries {
            term: 2,
            prev_log_index: 0,
            prev_log_term: 0,
            entries: vec![write(1, 5, 10), write(2, 6, 20), write(2, 5, 10)],
            leader_commit: 3,
            round: 0,
        };
        handle(&mut follower, |raft, ctx| {
            raft.on_message(ctx, NodeId(0), &RaftMsg::Append(append))
        });
        assert_eq!(follower.commit_index(), 3);
        assert_eq!(follower.local_read("x"), Some(Value::unique(20)));
        assert_eq!((follower.applied_ops(), follower.repeats_skipped()), (2, 1));
        // A retry that reaches this follower is answered from the table, not redirected.
        let out = handle(&mut follower, |raft, ctx| {
            let op = Op::Write {
                key: "x".into(),
                value: Value::unique(10),
            };
            raft.on_client_request(ctx, NodeId(9), RequestId(5), &op, &SessionToken::default())
        });
        assert!(matches!(
            out.as_slice(),
            [Command::Reply {
                result: OpResult::Ok(None),
                ..
            }]
        ));
    }

    /// A replica that knows no leader may fail a read (it changes nothing), never a
    /// write: a copy of the write may have reached a leader by another path.
    #[test]
    fn without_a_leader_reads_fail_and_writes_are_never_failed() {
        let replicas = [NodeId(0), NodeId(1), NodeId(2)];
        let mut follower = Raft::new(NodeId(1), &replicas, &RaftParams::default());
        let client = NodeId(9);
        let session = SessionToken::default();
        let write = Op::Write {
            key: "x".into(),
            value: Value::unique(1),
        };
        let read = Op::Read { key: "x".into() };
        let out = handle(&mut follower, |raft, ctx| {
            raft.on_client_request(ctx, client, RequestId(1), &write, &session);
            raft.on_client_request(ctx, client, RequestId(2), &read, &session);
        });
        let hold_timer = |out: &[Command<RaftMsg>]| {
            out.iter().find_map(|command| match command {
                Command::SetTimer { id, tag, .. } if *tag == TIMER_HOLD => Some(*id),
                _ => None,
            })
        };
        let mut timer = hold_timer(&out).expect("held, with a timer");
        let mut replies = Vec::new();
        for second in 1..=20 {
            let out = handle_at(&mut follower, Time::from_ms(second * 1_000), |raft, ctx| {
                raft.on_timer(ctx, timer, TIMER_HOLD)
            });
            for command in &out {
                if let Command::Reply {
                    request, result, ..
                } = command
                {
                    replies.push((*request, result.clone()));
                }
            }
            match hold_timer(&out) {
                Some(next) => timer = next,
                None => break,
            }
        }
        assert_eq!(replies.len(), 1, "{replies:?}");
        assert!(matches!(&replies[0], (RequestId(2), OpResult::Fail(_))));
        assert!(
            follower.held.is_empty(),
            "the write is dropped, unanswered, in the end"
        );
    }

    #[test]
    fn parameters_are_checked_with_their_paths() {
        assert!(RaftParams::default().problems().is_empty());
        let bad = RaftParams {
            election_timeout_min_ms: 200.0,
            election_timeout_max_ms: 200.0,
            heartbeat_ms: 250.0,
            max_entries_per_append: 0,
            pre_vote: true,
        };
        let paths: Vec<String> = bad.problems().into_iter().map(|p| p.path).collect();
        assert_eq!(
            paths,
            [
                "election_timeout_max_ms",
                "heartbeat_ms",
                "max_entries_per_append"
            ]
        );
        let negative = RaftParams {
            heartbeat_ms: f64::NAN,
            ..RaftParams::default()
        };
        assert_eq!(negative.problems()[0].path, "heartbeat_ms");
    }
}
