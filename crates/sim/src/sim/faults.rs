//! Applying faults: each kind's beginning and end, and the per-node fault state that the
//! message path consults (omission, slowness, byzantine strategies).

use super::{Clock, Handler, Simulation};
use crate::fault::{Fault, FaultPhase, Strategy};
use crate::protocol::Protocol;
use crate::topology::NodeId;
use crate::trace::TraceEvent;

/// What faults currently do to one node.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct NodeFaults {
    /// Probability that the node fails to send a message it originates.
    pub(super) omit_send: f64,
    /// Probability that the node fails to receive a message addressed to it.
    pub(super) omit_receive: f64,
    /// Extra time before the node handles a message that reached it.
    pub(super) slow_us: u64,
    pub(super) byzantine: Option<Strategy>,
}

impl<P: Protocol> Simulation<P> {
    pub(super) fn apply_fault(&mut self, index: u32, phase: FaultPhase) {
        let time = self.core.now;
        self.emit(TraceEvent::Fault { time, index, phase });
        let fault = self.schedule[index as usize].fault.clone();
        match (fault, phase) {
            (Fault::Crash(node), FaultPhase::Begin) => {
                self.core.crashes[node.index()] += 1;
                self.halt(node);
            }
            (Fault::Crash(node), FaultPhase::End) => {
                // Overlapping crashes of one node end when the last of them does.
                let crashes = &mut self.core.crashes[node.index()];
                *crashes = crashes.saturating_sub(1);
                if *crashes == 0 && !self.core.stopped_for_good[node.index()] {
                    self.restart(node);
                }
            }
            (Fault::FailStop(node), FaultPhase::Begin) => {
                self.halt(node);
                self.core.stopped_for_good[node.index()] = true;
                for peer in self.replicas.clone() {
                    if peer != node && self.core.up[peer.index()] {
                        self.call(peer, Handler::FailureNotice { peer: node });
                    }
                }
            }
            (Fault::Restart(node), FaultPhase::Begin) => {
                self.core.crashes[node.index()] = 0;
                if !self.core.stopped_for_good[node.index()] {
                    self.restart(node);
                }
            }
            (Fault::FailStop(_) | Fault::Restart(_), FaultPhase::End) => {}
            (
                Fault::Omission {
                    node,
                    send,
                    receive,
                },
                phase,
            ) => {
                let faults = &mut self.core.node_faults[node.index()];
                let on = phase == FaultPhase::Begin;
                faults.omit_send = if on { send } else { 0.0 };
                faults.omit_receive = if on { receive } else { 0.0 };
            }
            (Fault::Slow { node, delay_us }, phase) => {
                self.core.node_faults[node.index()].slow_us = if phase == FaultPhase::Begin {
                    delay_us
                } else {
                    0
                };
            }
            (
                Fault::ClockSkew {
                    node,
                    rate_ppm,
                    offset_us,
                },
                FaultPhase::Begin,
            ) => {
                // The clock keeps its current reading, then jumps by the offset and runs
                // at the new rate from here on.
                let state = &mut self.core.nodes[node.index()];
                let reading = state.clock.local(time).as_us() as i128;
                let scaled = i128::from(time.as_us()) * i128::from(rate_ppm) / 1_000_000;
                let offset = reading - scaled + i128::from(offset_us);
                state.clock = Clock {
                    offset_us: offset.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64,
                    rate_ppm,
                };
            }
            (Fault::ClockSkew { node, .. }, FaultPhase::End) => {
                // Corrected, as by a time server: the clock jumps back to real time.
                self.core.nodes[node.index()].clock = Clock::EXACT;
            }
            (Fault::Byzantine { node, strategy }, phase) => {
                let strategy = (phase == FaultPhase::Begin).then_some(strategy);
                if let Some(protocol) = self.core.nodes[node.index()].protocol.as_mut() {
                    protocol.set_byzantine(strategy.as_ref());
                }
                self.core.node_faults[node.index()].byzantine = strategy;
            }
            (Fault::Cut(cuts), FaultPhase::Begin) => cuts
                .into_iter()
                .for_each(|cut| self.core.network.cut(cut, index)),
            (Fault::Cut(cuts), FaultPhase::End) => cuts
                .into_iter()
                .for_each(|cut| self.core.network.heal(cut, index)),
            (Fault::Link(change), FaultPhase::Begin) => {
                self.core.network.change_link(&change, index)
            }
            (Fault::Link(change), FaultPhase::End) => {
                self.core.network.restore_link(change.link, index)
            }
            (Fault::HealAll, FaultPhase::Begin) => self.heal_all(),
            (Fault::HealLink(link), FaultPhase::Begin) => self.core.network.heal_link(link),
            (Fault::HealAll | Fault::HealLink(_), FaultPhase::End) => {}
        }
    }

    /// The byzantine strategy of `node`, if it has one now. Asked up to three times per
    /// message sent; always inlined, as the size-optimised build would keep it a call.
    #[inline(always)]
    pub(super) fn strategy_of(&self, node: NodeId) -> Option<&Strategy> {
        self.core.node_faults[node.index()].byzantine.as_ref()
    }

    /// Every node fault ends at the quiet period, like the network's.
    pub(super) fn clear_node_faults(&mut self) {
        for node in 0..self.core.node_faults.len() {
            if self.core.node_faults[node].byzantine.is_some() {
                if let Some(protocol) = self.core.nodes[node].protocol.as_mut() {
                    protocol.set_byzantine(None);
                }
            }
            self.core.node_faults[node] = NodeFaults::default();
            self.core.nodes[node].clock = Clock::EXACT;
        }
    }
}
