//! The trace: every event of a run, in time order. It is the contract with the UI.
//!
//! The animation, the inspector, the history and the checker read the trace and nothing
//! else of a running simulation, so what the page shows is always what a replay shows. A
//! run's fingerprint is a stable hash of its trace (message payloads included), written as
//! 16 lowercase hex digits; equal fingerprints mean equal runs.

use crate::fault::FaultPhase;
use crate::hash::StableHasher;
use crate::protocol::{RequestId, TimerId};
use crate::time::Time;
use crate::topology::{LinkId, NodeId};
use std::fmt::{self, Write as _};

/// Identifies one message (one send); all its hops and copies share it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MsgId(pub u64);

/// Why a message did not arrive.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// The link lost it (its loss probability).
    Loss,
    /// The link direction was cut while the message was on it.
    LinkDown,
    /// It reached a node that is down.
    NodeDown,
    /// No live path led to the destination.
    Unreachable,
    /// The sending node failed to send it (omission fault).
    SendOmission,
    /// The receiving node failed to receive it (omission fault).
    ReceiveOmission,
    /// A byzantine node withheld it (silent strategy).
    Withheld,
}

impl DropReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Loss => "loss",
            DropReason::LinkDown => "link down",
            DropReason::NodeDown => "node down",
            DropReason::Unreachable => "unreachable",
            DropReason::SendOmission => "send omission",
            DropReason::ReceiveOmission => "receive omission",
            DropReason::Withheld => "withheld by a byzantine node",
        }
    }
}

/// One event of a run.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TraceEvent {
    /// A node sent a message to `to` (its final destination).
    Sent {
        time: Time,
        msg: MsgId,
        from: NodeId,
        to: NodeId,
        kind: &'static str,
    },
    /// A copy of a message was put on `link` from `from` to `to`, arriving at `arrive`.
    /// `lost` copies vanish halfway (a `Dropped` event marks the spot); `duplicate` marks
    /// the extra copy a duplicating link made.
    Hop {
        time: Time,
        msg: MsgId,
        from: NodeId,
        to: NodeId,
        link: LinkId,
        arrive: Time,
        lost: bool,
        duplicate: bool,
    },
    /// A copy of the message reached its destination and was handled.
    Delivered {
        time: Time,
        msg: MsgId,
        node: NodeId,
    },
    /// A copy of the message was lost at or on the way to `node`.
    Dropped {
        time: Time,
        msg: MsgId,
        node: NodeId,
        reason: DropReason,
    },
    TimerFired {
        time: Time,
        node: NodeId,
        timer: TimerId,
        tag: u64,
    },
    /// The node's role changed (or was first set, at start).
    StateChanged {
        time: Time,
        node: NodeId,
        role: &'static str,
    },
    /// A client sent a request to a replica.
    OpInvoked {
        time: Time,
        client: NodeId,
        request: RequestId,
        replica: NodeId,
    },
    /// A client's operation ended: `ok`, `fail`, or `info` (timed out, outcome unknown).
    OpCompleted {
        time: Time,
        client: NodeId,
        request: RequestId,
        outcome: &'static str,
    },
    /// The quiet period began: every fault healed.
    HealAll { time: Time },
    /// The run ended and every replica's store was read into the history.
    FinalReads { time: Time },
    /// A scheduled fault began or ended (`index` into the run's fault schedule).
    Fault {
        time: Time,
        index: u32,
        phase: FaultPhase,
    },
}

impl TraceEvent {
    pub fn time(&self) -> Time {
        match *self {
            TraceEvent::Sent { time, .. }
            | TraceEvent::Hop { time, .. }
            | TraceEvent::Delivered { time, .. }
            | TraceEvent::Dropped { time, .. }
            | TraceEvent::TimerFired { time, .. }
            | TraceEvent::StateChanged { time, .. }
            | TraceEvent::OpInvoked { time, .. }
            | TraceEvent::OpCompleted { time, .. }
            | TraceEvent::HealAll { time }
            | TraceEvent::FinalReads { time }
            | TraceEvent::Fault { time, .. } => time,
        }
    }

    /// The message the event is about, if any.
    pub fn msg(&self) -> Option<MsgId> {
        match *self {
            TraceEvent::Sent { msg, .. }
            | TraceEvent::Hop { msg, .. }
            | TraceEvent::Delivered { msg, .. }
            | TraceEvent::Dropped { msg, .. } => Some(msg),
            _ => None,
        }
    }

    /// Feeds the event into the run fingerprint, field by field.
    pub fn hash_into(&self, hasher: &mut StableHasher) {
        hasher.write_u64(self.time().as_us());
        match *self {
            TraceEvent::Sent {
                msg,
                from,
                to,
                kind,
                ..
            } => {
                hasher.write_u64(1);
                hasher.write_u64(msg.0);
                hasher.write_u64(pair(from, to));
                hasher.write_str(kind);
            }
            TraceEvent::Hop {
                msg,
                from,
                to,
                link,
                arrive,
                lost,
                duplicate,
                ..
            } => {
                hasher.write_u64(2);
                hasher.write_u64(msg.0);
                hasher.write_u64(pair(from, to));
                hasher.write_u64(
                    u64::from(link.0) | u64::from(lost) << 32 | u64::from(duplicate) << 33,
                );
                hasher.write_u64(arrive.as_us());
            }
            TraceEvent::Delivered { msg, node, .. } => {
                hasher.write_u64(3);
                hasher.write_u64(msg.0);
                hasher.write_u64(u64::from(node.0));
            }
            TraceEvent::Dropped {
                msg, node, reason, ..
            } => {
                hasher.write_u64(4);
                hasher.write_u64(msg.0);
                hasher.write_u64(u64::from(node.0) | (reason as u64) << 32);
            }
            TraceEvent::TimerFired {
                node, timer, tag, ..
            } => {
                hasher.write_u64(5);
                hasher.write_u64(u64::from(node.0));
                hasher.write_u64(timer.0);
                hasher.write_u64(tag);
            }
            TraceEvent::StateChanged { node, role, .. } => {
                hasher.write_u64(6);
                hasher.write_u64(u64::from(node.0));
                hasher.write_str(role);
            }
            TraceEvent::OpInvoked {
                client,
                request,
                replica,
                ..
            } => {
                hasher.write_u64(7);
                hasher.write_u64(pair(client, replica));
                hasher.write_u64(request.0);
            }
            TraceEvent::OpCompleted {
                client,
                request,
                outcome,
                ..
            } => {
                hasher.write_u64(8);
                hasher.write_u64(u64::from(client.0));
                hasher.write_u64(request.0);
                hasher.write_str(outcome);
            }
            TraceEvent::HealAll { .. } => hasher.write_u64(10),
            TraceEvent::FinalReads { .. } => hasher.write_u64(11),
            TraceEvent::Fault { index, phase, .. } => {
                hasher.write_u64(9);
                hasher.write_u64(u64::from(index) | u64::from(phase == FaultPhase::End) << 32);
            }
        }
    }
}

fn pair(a: NodeId, b: NodeId) -> u64 {
    u64::from(a.0) << 32 | u64::from(b.0)
}

/// A run's fingerprint: a stable 64-bit hash of its whole trace.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub u64);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// What the text form needs to know beyond the events: names and message contents.
pub trait TraceContext {
    fn node_name(&self, node: NodeId) -> &str;
    /// The message's payload, as one line.
    fn message_summary(&self, msg: MsgId) -> String;
    /// The fault schedule entry's description, as one line.
    fn fault_summary(&self, index: u32) -> String;
}

/// The legend of the text form, printed at the top of every trace file.
pub const LEGEND: &str = "\
# dsplay trace, one event per line: TIME EVENT FIELDS (time in seconds of virtual time)
#   send    MSG FROM -> TO KIND PAYLOAD    a node sent a message to its destination
#   hop     MSG FROM -> TO link=L arrive=T [lost] [duplicate]
#                                           a copy of the message was put on a link
#   deliver MSG at NODE                     a copy reached its destination
#   drop    MSG at NODE (REASON)            a copy was lost (loss, link down, node down, unreachable, ...)
#   timer   NODE timer=ID tag=TAG           a timer fired
#   state   NODE ROLE                       the node's role changed
#   invoke  CLIENT req=ID -> REPLICA        a client sent a request
#   return  CLIENT req=ID OUTCOME           a client's operation ended: ok, fail, or info (timed out)
#   heal    all                             the quiet period began: every fault healed
#   final   reads                           every replica's store was read into the history
#   fault   begin|end DESCRIPTION           a scheduled fault began or ended
";

/// Writes one event as one line (without the newline).
pub fn write_line(out: &mut String, event: &TraceEvent, context: &dyn TraceContext) {
    let name = |node| context.node_name(node);
    let _ = write!(out, "{} ", event.time().precise());
    let _ = match *event {
        TraceEvent::Sent {
            msg,
            from,
            to,
            kind,
            ..
        } => write!(
            out,
            "send    m{} {} -> {} {} {}",
            msg.0,
            name(from),
            name(to),
            kind,
            context.message_summary(msg)
        ),
        TraceEvent::Hop {
            msg,
            from,
            to,
            link,
            arrive,
            lost,
            duplicate,
            ..
        } => write!(
            out,
            "hop     m{} {} -> {} link={} arrive={}{}{}",
            msg.0,
            name(from),
            name(to),
            link.0,
            arrive.precise(),
            if lost { " lost" } else { "" },
            if duplicate { " duplicate" } else { "" }
        ),
        TraceEvent::Delivered { msg, node, .. } => {
            write!(out, "deliver m{} at {}", msg.0, name(node))
        }
        TraceEvent::Dropped {
            msg, node, reason, ..
        } => {
            write!(
                out,
                "drop    m{} at {} ({})",
                msg.0,
                name(node),
                reason.as_str()
            )
        }
        TraceEvent::TimerFired {
            node, timer, tag, ..
        } => {
            write!(out, "timer   {} timer={} tag={}", name(node), timer.0, tag)
        }
        TraceEvent::StateChanged { node, role, .. } => {
            write!(out, "state   {} {}", name(node), role)
        }
        TraceEvent::OpInvoked {
            client,
            request,
            replica,
            ..
        } => {
            write!(
                out,
                "invoke  {} req={} -> {}",
                name(client),
                request.0,
                name(replica)
            )
        }
        TraceEvent::OpCompleted {
            client,
            request,
            outcome,
            ..
        } => write!(
            out,
            "return  {} req={} {}",
            name(client),
            request.0,
            outcome
        ),
        TraceEvent::HealAll { .. } => write!(out, "heal    all"),
        TraceEvent::FinalReads { .. } => write!(out, "final   reads"),
        TraceEvent::Fault { index, phase, .. } => write!(
            out,
            "fault   {} {}",
            if phase == FaultPhase::Begin {
                "begin"
            } else {
                "end"
            },
            context.fault_summary(index)
        ),
    };
}
