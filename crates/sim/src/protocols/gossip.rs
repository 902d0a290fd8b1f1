//! Heartbeats and gossip of a grow-only counter: the simplest protocol with real traffic.
//!
//! **What it guarantees.** Every replica counts its own events in its own slot of a vector
//! (a G-counter CRDT). Periodically each replica sends its whole vector to a few random
//! peers, and a receiver keeps the larger value of every slot. Merging is commutative,
//! associative and idempotent, so duplicated, reordered or late messages do no harm, and
//! once the increments stop and the network delivers, every replica converges to the same
//! total.
//!
//! **Failure detection.** Every replica broadcasts a heartbeat. A peer unheard for longer
//! than `suspect_after_ms` is suspected; the replica's role becomes `suspecting` until it
//! hears from every peer again. This is the crash detector the later protocols build on:
//! it cannot tell a crashed node from a slow or cut-off one.
//!
//! **Cost.** One heartbeat to every peer per interval (n² messages per interval in all),
//! plus `fanout` gossip messages per replica per gossip interval, each carrying n counters.

use super::check_positive_ms;
use crate::protocol::{Ctx, Key, Op, OpResult, Protocol, RequestId, SessionToken, TimerId, Value};
use crate::scenario::Problem;
use crate::time::{ms_to_us, Time};
use crate::topology::NodeId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Parameters of the gossip protocol; every field has a default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GossipParams {
    /// How often each replica broadcasts a heartbeat. Default 100 ms.
    pub heartbeat_ms: f64,
    /// How often each replica gossips its counters. Default 250 ms.
    pub gossip_ms: f64,
    /// How often each replica counts one local event. Default 400 ms.
    pub increment_ms: f64,
    /// How many distinct random peers receive each gossip round. Default 1.
    pub fanout: u32,
    /// A peer unheard for this long is suspected. Default 350 ms.
    pub suspect_after_ms: f64,
    /// Start each replica's timers at a random phase within their interval, so the
    /// replicas do not all send at the same instant (as real heartbeats are jittered).
    /// Default false: every replica starts its intervals at time zero.
    pub stagger: bool,
}

impl Default for GossipParams {
    fn default() -> Self {
        GossipParams {
            heartbeat_ms: 100.0,
            gossip_ms: 250.0,
            increment_ms: 400.0,
            fanout: 1,
            suspect_after_ms: 350.0,
            stagger: false,
        }
    }
}

impl GossipParams {
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        check_positive_ms(&mut problems, "heartbeat_ms", self.heartbeat_ms);
        check_positive_ms(&mut problems, "gossip_ms", self.gossip_ms);
        check_positive_ms(&mut problems, "increment_ms", self.increment_ms);
        check_positive_ms(&mut problems, "suspect_after_ms", self.suspect_after_ms);
        if self.fanout == 0 {
            problems.push(Problem {
                path: "fanout".into(),
                message: "must be at least 1".into(),
            });
        }
        problems
    }
}

/// Messages between gossiping replicas.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GossipMsg {
    /// "I am alive."
    Heartbeat,
    /// The sender's whole counter vector, one slot per replica.
    Counters(Vec<u64>),
}

const TIMER_HEARTBEAT: u64 = 0;
const TIMER_GOSSIP: u64 = 1;
const TIMER_INCREMENT: u64 = 2;

/// One replica's state.
#[derive(Clone, Debug, PartialEq)]
pub struct Gossip {
    params: GossipParams,
    /// This replica's slot in `counters`.
    slot: usize,
    /// Durable: the G-counter, one slot per replica (survives a crash).
    counters: Vec<u64>,
    /// Volatile: when each replica was last heard from, by this node's clock.
    last_heard: Vec<Time>,
    /// Volatile: which replicas this node suspects.
    suspected: Vec<bool>,
    /// Volatile: how many entries of `suspected` are true, so `role` is O(1).
    suspected_count: usize,
    /// Volatile: replicas announced as stopped for good.
    stopped: Vec<bool>,
}

impl Gossip {
    /// The state of replica `node`, one of `replicas`.
    pub fn new(node: NodeId, replicas: &[NodeId], params: &GossipParams) -> Gossip {
        let slot = replicas
            .iter()
            .position(|&replica| replica == node)
            .expect("a gossip node is one of the replicas");
        let count = replicas.len();
        Gossip {
            params: params.clone(),
            slot,
            counters: vec![0; count],
            last_heard: vec![Time::ZERO; count],
            suspected: vec![false; count],
            suspected_count: 0,
            stopped: vec![false; count],
        }
    }

    /// The counter's value as this replica knows it.
    pub fn total(&self) -> u64 {
        self.counters.iter().sum()
    }

    pub fn counters(&self) -> &[u64] {
        &self.counters
    }

    fn arm_timers(&mut self, ctx: &mut Ctx<'_, GossipMsg>) {
        for (interval_ms, tag) in [
            (self.params.heartbeat_ms, TIMER_HEARTBEAT),
            (self.params.gossip_ms, TIMER_GOSSIP),
            (self.params.increment_ms, TIMER_INCREMENT),
        ] {
            let interval_us = ms_to_us(interval_ms);
            // A staggered replica's first interval is cut short by a random phase.
            let first_us = if self.params.stagger {
                1 + ctx.rng.below(interval_us.max(1))
            } else {
                interval_us
            };
            ctx.set_timer(first_us, tag);
        }
    }

    /// The replica's slot; `replicas` is in id order, so a binary search finds it.
    fn slot_of(ctx: &Ctx<'_, GossipMsg>, node: NodeId) -> Option<usize> {
        ctx.replicas.binary_search(&node).ok()
    }

    /// Re-derives every suspicion from the heartbeat times: O(n), so only run once per
    /// heartbeat interval, never per message.
    fn check_suspicions(&mut self, now: Time) {
        let limit_us = ms_to_us(self.params.suspect_after_ms);
        for slot in 0..self.suspected.len() {
            self.suspected[slot] = slot != self.slot
                && !self.stopped[slot]
                && now.since_us(self.last_heard[slot]) > limit_us;
        }
        self.suspected_count = self
            .suspected
            .iter()
            .filter(|&&suspected| suspected)
            .count();
    }

    /// Hearing from a replica clears any suspicion of it.
    fn heard_from(&mut self, slot: usize, now: Time) {
        self.last_heard[slot] = now;
        if self.suspected[slot] {
            self.suspected[slot] = false;
            self.suspected_count -= 1;
        }
    }

    /// The peers not announced as stopped for good.
    fn live_peers(&self, ctx: &Ctx<'_, GossipMsg>) -> Vec<NodeId> {
        ctx.peers()
            .filter(|&peer| Self::slot_of(ctx, peer).is_some_and(|slot| !self.stopped[slot]))
            .collect()
    }

    /// Sends the counters to `fanout` distinct random peers.
    fn gossip(&mut self, ctx: &mut Ctx<'_, GossipMsg>) {
        let mut peers = self.live_peers(ctx);
        let rounds = (self.params.fanout as usize).min(peers.len());
        for round in 0..rounds {
            // A partial Fisher–Yates shuffle: each round takes a peer not yet chosen.
            let pick = round + ctx.rng.below((peers.len() - round) as u64) as usize;
            peers.swap(round, pick);
            ctx.send(peers[round], GossipMsg::Counters(self.counters.clone()));
        }
    }
}

impl Protocol for Gossip {
    type Msg = GossipMsg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, GossipMsg>) {
        self.last_heard.fill(ctx.now);
        self.arm_timers(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, GossipMsg>, from: NodeId, msg: &GossipMsg) {
        if let Some(slot) = Self::slot_of(ctx, from) {
            self.heard_from(slot, ctx.now);
        }
        if let GossipMsg::Counters(theirs) = msg {
            for (mine, &their) in self.counters.iter_mut().zip(theirs) {
                *mine = (*mine).max(their);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, GossipMsg>, _timer: TimerId, tag: u64) {
        match tag {
            TIMER_HEARTBEAT => {
                for peer in self.live_peers(ctx) {
                    ctx.send(peer, GossipMsg::Heartbeat);
                }
                self.check_suspicions(ctx.now);
                ctx.set_timer(ms_to_us(self.params.heartbeat_ms), TIMER_HEARTBEAT);
            }
            TIMER_GOSSIP => {
                self.gossip(ctx);
                ctx.set_timer(ms_to_us(self.params.gossip_ms), TIMER_GOSSIP);
            }
            _ => {
                self.counters[self.slot] += 1;
                ctx.set_timer(ms_to_us(self.params.increment_ms), TIMER_INCREMENT);
            }
        }
    }

    fn on_client_request(
        &mut self,
        ctx: &mut Ctx<'_, GossipMsg>,
        client: NodeId,
        request: RequestId,
        op: &Op,
        _session: &SessionToken,
    ) {
        let result = match op {
            Op::Read { .. } => OpResult::Ok(Some(Value::unique(self.total() as i64))),
            Op::Write { .. } | Op::Cas { .. } => {
                OpResult::Fail("the gossip counter counts by itself and takes no writes".into())
            }
        };
        ctx.reply(client, request, result);
    }

    fn on_failure_notice(&mut self, ctx: &mut Ctx<'_, GossipMsg>, peer: NodeId) {
        if let Some(slot) = Self::slot_of(ctx, peer) {
            self.stopped[slot] = true;
        }
        self.check_suspicions(ctx.now);
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_, GossipMsg>) {
        // The counters are durable; what the node knew about its peers is not.
        self.suspected.fill(false);
        self.suspected_count = 0;
        self.stopped.fill(false);
        self.last_heard.fill(ctx.now);
        self.arm_timers(ctx);
    }

    /// Every key reads the counter's total: the gossip protocol stores nothing else.
    fn local_read(&self, _key: &str) -> Option<Value> {
        Some(Value::unique(self.total() as i64))
    }

    fn store(&self) -> BTreeMap<Key, Value> {
        BTreeMap::from([("count".to_string(), Value::unique(self.total() as i64))])
    }

    fn role(&self) -> &'static str {
        if self.suspected_count > 0 {
            "suspecting"
        } else {
            "gossiping"
        }
    }

    fn msg_kind(msg: &GossipMsg) -> &'static str {
        match msg {
            GossipMsg::Heartbeat => "heartbeat",
            GossipMsg::Counters(_) => "gossip",
        }
    }

    fn msg_kinds() -> &'static [&'static str] {
        &["heartbeat", "gossip"]
    }
}
