//! The protocol plug-in interface.
//!
//! A protocol is the code every replica runs. Like a stateright actor it is a pure state
//! machine: the engine calls a handler with a [`Ctx`] holding the node's local clock
//! reading and its own random stream, and the handler answers with commands collected in
//! the context (send, set timer, cancel timer, reply). A protocol never touches the global
//! clock, a global random generator or the network, so the same code runs under the
//! simulator, the checker's sweeps and the animated page.

use crate::rng::Rng;
use crate::time::Time;
use crate::topology::NodeId;
use serde::{Deserialize, Serialize};
use std::fmt::Debug;

/// Identifies a timer a node has set; unique within a run.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TimerId(pub u64);

/// A key of the replicated store.
pub type Key = String;

/// A value written to the store.
///
/// Users may type the same number twice, but a checker can only tell which write a read
/// saw if every written value is distinct, so each write also carries an `id` that is
/// unique for its key within the run. The engine picks it: equal to `shown` when that
/// number is new for the key, another unused number otherwise. Histories record `id`; the
/// UI shows `shown`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Value {
    pub id: i64,
    pub shown: i64,
}

impl Value {
    /// A value whose id is the number itself (unique by construction, e.g. a workload's).
    pub const fn unique(number: i64) -> Value {
        Value {
            id: number,
            shown: number,
        }
    }
}

/// A client operation on the replicated store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "snake_case")]
pub enum Op {
    Read {
        key: Key,
    },
    Write {
        key: Key,
        value: Value,
    },
    /// Sets `new` only if the key's current value shows `old`.
    Cas {
        key: Key,
        old: i64,
        new: Value,
    },
}

impl Op {
    pub fn key(&self) -> &str {
        match self {
            Op::Read { key } | Op::Write { key, .. } | Op::Cas { key, .. } => key,
        }
    }

    /// The value a write, or a cas that succeeds, puts in the store.
    pub fn written(&self) -> Option<Value> {
        match self {
            Op::Write { value, .. } | Op::Cas { new: value, .. } => Some(*value),
            Op::Read { .. } => None,
        }
    }

    /// `read`, `write` or `cas`, as Jepsen histories name them.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Read { .. } => "read",
            Op::Write { .. } => "write",
            Op::Cas { .. } => "cas",
        }
    }
}

/// Identifies one client operation; unique within a run. A client that retries an
/// operation (after a redirect, say) sends the same id again, so a replica can apply
/// each operation once.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId(pub u64);

/// A replica's answer to a client request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpResult {
    /// Done; a read carries the value it saw (`None` for a key never written), a
    /// successful cas the value it replaced.
    Ok(Option<Value>),
    /// Certainly not done, with the reason.
    Fail(String),
    /// Ask that node instead (e.g. the leader).
    Redirect(NodeId),
}

/// What a protocol asks a client to remember between operations and send back with the
/// next one: a causal context, the last sequence number seen, and so on. The engine's
/// client treats it as opaque; a reply that carries a non-empty token replaces the
/// client's, so a client that moves to another replica brings its context along.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionToken(pub Vec<u64>);

/// A value the inspector shows: text, or a node the engine names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    Text(String),
    /// A node, or nobody.
    Node(Option<NodeId>),
}

impl From<String> for Shown {
    fn from(text: String) -> Shown {
        Shown::Text(text)
    }
}

/// What a handler asks the engine to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Command<M> {
    Send {
        to: NodeId,
        msg: M,
    },
    /// Fire `on_timer` after `after_us` microseconds of the node's local clock.
    SetTimer {
        id: TimerId,
        after_us: u64,
        tag: u64,
    },
    CancelTimer(TimerId),
    Reply {
        client: NodeId,
        request: RequestId,
        result: OpResult,
        session: SessionToken,
    },
}

/// What a handler may see and do. Built by the engine for one call.
#[derive(Debug)]
pub struct Ctx<'a, M> {
    /// The node the handler runs on.
    pub node: NodeId,
    /// The node's local clock: the engine's time as this node's clock reads it.
    pub now: Time,
    /// The node's own random stream.
    pub rng: &'a mut Rng,
    /// Every replica of the system, this one included, in id order.
    pub replicas: &'a [NodeId],
    pub(crate) out: &'a mut Vec<Command<M>>,
    pub(crate) next_timer: &'a mut u64,
}

impl<M> Ctx<'_, M> {
    pub fn send(&mut self, to: NodeId, msg: M) {
        self.out.push(Command::Send { to, msg });
    }

    /// Sends `msg` to every other replica.
    pub fn broadcast(&mut self, msg: M)
    where
        M: Clone,
    {
        for &peer in self.replicas {
            if peer != self.node {
                self.out.push(Command::Send {
                    to: peer,
                    msg: msg.clone(),
                });
            }
        }
    }

    /// Sets a timer that fires after `after_us` of local time, handing `tag` back.
    pub fn set_timer(&mut self, after_us: u64, tag: u64) -> TimerId {
        let id = TimerId(*self.next_timer);
        *self.next_timer += 1;
        self.out.push(Command::SetTimer { id, after_us, tag });
        id
    }

    pub fn cancel_timer(&mut self, id: TimerId) {
        self.out.push(Command::CancelTimer(id));
    }

    pub fn reply(&mut self, client: NodeId, request: RequestId, result: OpResult) {
        self.reply_with_session(client, request, result, SessionToken::default());
    }

    /// Replies and hands the client a new session token (see [`SessionToken`]).
    pub fn reply_with_session(
        &mut self,
        client: NodeId,
        request: RequestId,
        result: OpResult,
        session: SessionToken,
    ) {
        self.out.push(Command::Reply {
            client,
            request,
            result,
            session,
        });
    }

    /// The other replicas, in id order.
    pub fn peers(&self) -> impl Iterator<Item = NodeId> + '_ {
        let me = self.node;
        self.replicas
            .iter()
            .copied()
            .filter(move |&peer| peer != me)
    }
}

/// The code every replica runs. See the module documentation.
pub trait Protocol: Clone + Debug + 'static {
    /// Messages between replicas.
    type Msg: Clone + Debug + Serialize + 'static;

    /// Called once when the run starts (and the node is up).
    fn on_start(&mut self, ctx: &mut Ctx<'_, Self::Msg>);

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self::Msg>, from: NodeId, msg: &Self::Msg);

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self::Msg>, timer: TimerId, tag: u64);

    /// A client's request has arrived, with the session token from the client's last
    /// reply (empty at first); answer with [`Ctx::reply`], now or later. A retried
    /// operation arrives again with the same `request` id.
    fn on_client_request(
        &mut self,
        ctx: &mut Ctx<'_, Self::Msg>,
        client: NodeId,
        request: RequestId,
        op: &Op,
        session: &SessionToken,
    );

    /// A failure detector announces that `peer` has stopped for good (fail-stop).
    fn on_failure_notice(&mut self, ctx: &mut Ctx<'_, Self::Msg>, peer: NodeId);

    /// The node comes back after a crash. Durable state is as it was; the handler rebuilds
    /// its volatile state and sets its timers again (every timer set before the crash is
    /// gone).
    fn on_restart(&mut self, ctx: &mut Ctx<'_, Self::Msg>);

    /// The value this replica holds for `key` right now, without any coordination: the
    /// engine's final reads, taken after the workload and a quiet period, use it to judge
    /// convergence.
    fn local_read(&self, key: &str) -> Option<Value>;

    /// This replica's whole store, for the inspector and the run summary.
    fn store(&self) -> std::collections::BTreeMap<Key, Value>;

    /// The node turns byzantine with `strategy` (or back to honest, with `None`). Lying,
    /// replaying and silence are carried out by the engine for every protocol; a protocol
    /// where one node orders requests for others implements equivocation here. The
    /// default ignores it.
    fn set_byzantine(&mut self, strategy: Option<&crate::fault::Strategy>) {
        let _ = strategy;
    }

    /// Whether [`Protocol::set_byzantine`] carries out equivocation; scenarios that ask a
    /// protocol without it to equivocate are refused at load.
    fn can_equivocate() -> bool
    where
        Self: Sized,
    {
        false
    }

    /// What the inspector shows of this replica's protocol state, as (label, value) pairs:
    /// terms, views, log positions, vector clocks. The default shows nothing more.
    fn inspect(&self) -> Vec<(&'static str, Shown)> {
        Vec::new()
    }

    /// A short name of the node's current role ("leader", "follower", "up"...). The engine
    /// records a state-change event whenever it changes.
    fn role(&self) -> &'static str;

    /// The kind of a message, for the trace and the animation's colours.
    fn msg_kind(msg: &Self::Msg) -> &'static str;

    /// Every message kind, in legend order.
    fn msg_kinds() -> &'static [&'static str];
}
