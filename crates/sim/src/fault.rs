//! Faults as data: what can go wrong, and when.
//!
//! A run's faults are a schedule of [`ScheduledFault`]s queued like any other event, so a
//! run with faults replays exactly from its scenario. Live injections from the UI append to
//! the same schedule.

use crate::time::Time;
use crate::topology::{Link, LinkId, NodeId};

/// One direction of one link, cut.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LinkCut {
    pub link: LinkId,
    /// The end the cut direction starts from.
    pub from: NodeId,
}

impl LinkCut {
    /// Both directions of `link` (one only, for a one-way link).
    pub fn both_ways(link: &Link) -> Vec<LinkCut> {
        let mut cuts = vec![LinkCut {
            link: link.id,
            from: link.a,
        }];
        if link.carries(link.b, link.a) {
            cuts.push(LinkCut {
                link: link.id,
                from: link.b,
            });
        }
        cuts
    }
}

/// A fault in the engine's index-based form.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// The node halts silently; nobody is told.
    Crash(NodeId),
    /// The node halts for good, and every other replica gets a failure notice.
    FailStop(NodeId),
    /// A halted node comes back: durable state kept, volatile state rebuilt.
    Restart(NodeId),
    /// These link directions stop carrying messages until healed.
    Cut(Vec<LinkCut>),
}

impl Fault {
    /// A short verb for the trace and the UI.
    pub fn verb(&self) -> &'static str {
        match self {
            Fault::Crash(_) => "crash",
            Fault::FailStop(_) => "fail-stop",
            Fault::Restart(_) => "restart",
            Fault::Cut(_) => "cut",
        }
    }
}

/// A fault with its place in time.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledFault {
    pub at: Time,
    /// When the fault is undone (restart, heal), if ever.
    pub until: Option<Time>,
    pub fault: Fault,
    /// Index of the scenario's fault entry this came from.
    pub origin: u32,
}

/// Whether a fault event begins its fault or ends it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FaultPhase {
    Begin,
    End,
}
