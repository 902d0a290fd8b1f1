//! Clients: the engine's side of client operations, shared by every protocol.
//!
//! A client node runs no protocol. It sends each operation as a request message to a
//! replica it is linked to, follows redirects, gives up after its timeout (the operation
//! is then indeterminate and the client continues as a fresh process, on its next
//! replica), and records every invocation and completion in the history.

use super::{ClientRequest, EventKind, Simulation, Wire};
use crate::history::{HistoryEvent, Outcome};
use crate::protocol::{Op, OpResult, Protocol, RequestId, SessionToken, Value};
use crate::protocols::shared_log::SharedLog;
use crate::rng::Rng;
use crate::scenario::ClientSpec;
use crate::time::{ms_to_us, Time};
use crate::topology::NodeId;
use crate::trace::TraceEvent;
use std::collections::{BTreeMap, BTreeSet};

/// An operation asked for by hand, with the numbers the user typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientOp {
    Read { key: String },
    Write { key: String, value: i64 },
    Cas { key: String, old: i64, new: i64 },
}

/// The operation a client is waiting on.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Pending {
    request: RequestId,
    op_index: u32,
    op: Op,
    replica: NodeId,
}

/// A client's live state (part of every snapshot).
#[derive(Clone, Debug)]
pub(super) struct ClientState {
    spec: ClientSpec,
    /// The Jepsen process id; a fresh one after every indeterminate operation.
    process: u64,
    /// Index into `spec.replicas` of the replica asked first.
    target: usize,
    pending: Option<Pending>,
    rng: Rng,
    /// The last value this client saw for each key, which its cas operations expect.
    last_seen: BTreeMap<String, i64>,
    /// The protocol's token from the latest reply, sent with every request.
    session: SessionToken,
    /// Whether the workload's next operation is already scheduled (one chain per client).
    next_due: bool,
}

impl ClientState {
    pub(super) fn new(spec: ClientSpec, process: u64, seed: u64) -> ClientState {
        let rng = Rng::stream(seed, "workload", u64::from(spec.node.0));
        ClientState {
            spec,
            process,
            target: 0,
            pending: None,
            rng,
            last_seen: BTreeMap::new(),
            session: SessionToken::default(),
            next_due: false,
        }
    }

    pub(super) fn node(&self) -> NodeId {
        self.spec.node
    }

    pub(super) fn is_waiting(&self) -> bool {
        self.pending.is_some()
    }

    pub(super) fn spec_start_ms(&self) -> f64 {
        self.spec.workload.start_ms
    }
}

/// Written values, kept unique per key (see [`Value`]).
#[derive(Clone, Debug, Default)]
pub(super) struct ValueBook {
    /// Per key, every id written so far with the number shown for it, sorted by id. The
    /// lists grow for as long as the run and every snapshot holds the book, so they are
    /// shared between snapshots ([`SharedLog`]); generated ids only grow, so they land at
    /// the end, and only a typed number below the last id makes a list be rebuilt.
    used: BTreeMap<String, SharedLog<(i64, i64)>>,
    next_generated: i64,
}

/// Where `id` is in `ids` (sorted by id), or where it would go.
fn position(ids: &SharedLog<(i64, i64)>, id: i64) -> Result<usize, usize> {
    let (mut low, mut high) = (0, ids.len());
    while low < high {
        let middle = low + (high - low) / 2;
        match ids[middle].0.cmp(&id) {
            std::cmp::Ordering::Less => low = middle + 1,
            std::cmp::Ordering::Greater => high = middle,
            std::cmp::Ordering::Equal => return Ok(middle),
        }
    }
    Err(low)
}

/// Adds `(id, shown)` to `ids`, keeping them sorted; `id` must be new.
fn insert_sorted(ids: &mut SharedLog<(i64, i64)>, id: i64, shown: i64) {
    match position(ids, id) {
        // The callers pick ids that are not there yet.
        Ok(_) => {}
        Err(at) if at == ids.len() => ids.push((id, shown)),
        Err(at) => {
            let mut all = ids.to_vec();
            all.insert(at, (id, shown));
            *ids = SharedLog::from(all);
        }
    }
}

impl ValueBook {
    /// A value for a write the user typed: its own number if new for the key.
    fn typed(&mut self, key: &str, shown: i64) -> Value {
        let used = self.used.entry(key.to_string()).or_default();
        let id = if position(used, shown).is_ok() {
            used.last().map_or(0, |(id, _)| *id).saturating_add(1)
        } else {
            shown
        };
        insert_sorted(used, id, shown);
        Value { id, shown }
    }

    /// A value for a generated write: the next number unused for the key.
    fn generated(&mut self, key: &str) -> Value {
        let used = self.used.entry(key.to_string()).or_default();
        loop {
            self.next_generated += 1;
            if position(used, self.next_generated).is_err() {
                insert_sorted(used, self.next_generated, self.next_generated);
                return Value::unique(self.next_generated);
            }
        }
    }

    /// The shown number of some value already written to `key`, chosen with `rng`.
    fn any_written(&self, key: &str, rng: &mut Rng) -> Option<i64> {
        let used = self.used.get(key)?;
        let index = rng.below(used.len() as u64) as usize;
        used.get(index).map(|(_, shown)| *shown)
    }

    /// Every key written so far.
    pub(super) fn keys(&self) -> impl Iterator<Item = &String> {
        self.used.keys()
    }
}

impl<P: Protocol> Simulation<P> {
    /// The client index of a node, if it is a client.
    pub(super) fn client_index(&self, node: NodeId) -> Option<usize> {
        self.core
            .clients
            .iter()
            .position(|client| client.node() == node)
    }

    /// Schedules the client's next generated operation after a think time, unless its
    /// workload is manual or the quiet period has begun.
    pub(super) fn schedule_next_op(&mut self, client: usize, earliest: Time) {
        let rate_per_s = self.core.clients[client].spec.workload.rate_per_s;
        if rate_per_s <= 0.0 {
            return;
        }
        let think_us = ms_to_us(
            self.core.clients[client]
                .rng
                .exponential(1_000.0 / rate_per_s),
        );
        let due = earliest.max(self.core.now).plus_us(think_us);
        if due < self.quiet_from && !self.core.clients[client].next_due {
            self.core.clients[client].next_due = true;
            self.schedule_at(due, EventKind::ClientNext(client as u32));
        }
    }

    /// A generated operation is due.
    pub(super) fn generated_op_due(&mut self, client: usize) {
        self.core.clients[client].next_due = false;
        // A client that is down or busy with a typed operation skips this one; the next
        // completion starts the workload again.
        let node = self.core.clients[client].spec.node;
        if self.core.clients[client].pending.is_some() {
            return;
        }
        if !self.core.up[node.index()] {
            return self.schedule_next_op(client, self.core.now);
        }
        let op = self.draw_op(client);
        self.issue(client, op);
    }

    fn draw_op(&mut self, client: usize) -> Op {
        let state = &mut self.core.clients[client];
        let workload = &state.spec.workload;
        let key = workload.keys[state.rng.below(workload.keys.len() as u64) as usize].clone();
        let total = workload.read + workload.write + workload.cas;
        let pick = state.rng.uniform(0.0, total);
        if pick < workload.read {
            Op::Read { key }
        } else if pick < workload.read + workload.write {
            Op::Write {
                value: self.core.values.generated(&key),
                key,
            }
        } else {
            let old = match state.last_seen.get(&key) {
                Some(&seen) => Some(seen),
                None => self.core.values.any_written(&key, &mut state.rng),
            };
            let new = self.core.values.generated(&key);
            Op::Cas {
                old: old.unwrap_or(0),
                new,
                key,
            }
        }
    }

    /// Runs an operation asked for by hand on `client`. Refused while the client waits
    /// for another operation (a client has one operation outstanding at a time).
    pub fn invoke(&mut self, client: NodeId, request: ClientOp) -> Result<RequestId, String> {
        let name = self.topology.name(client).to_string();
        if !self.core.up[client.index()] {
            return Err(format!("{name} is down"));
        }
        let index = self
            .client_index(client)
            .ok_or_else(|| format!("{name} is not a client"))?;
        if let Some(pending) = &self.core.clients[index].pending {
            return Err(format!(
                "{name} is still waiting for its {} of {}",
                pending.op.name(),
                pending.op.key()
            ));
        }
        let op = match request {
            ClientOp::Read { key } => Op::Read { key },
            ClientOp::Write { key, value } => Op::Write {
                value: self.core.values.typed(&key, value),
                key,
            },
            ClientOp::Cas { key, old, new } => Op::Cas {
                new: self.core.values.typed(&key, new),
                key,
                old,
            },
        };
        Ok(self.issue(index, op))
    }

    fn issue(&mut self, client: usize, op: Op) -> RequestId {
        let request = RequestId(self.core.next_request);
        self.core.next_request += 1;
        let op_index = self.core.next_op;
        self.core.next_op += 1;
        let time = self.core.now;
        let state = &mut self.core.clients[client];
        let (node, process) = (state.spec.node, state.process);
        let replica = state.spec.replicas[state.target % state.spec.replicas.len()];
        let timeout_us = ms_to_us(state.spec.workload.timeout_ms);
        state.pending = Some(Pending {
            request,
            op_index,
            op: op.clone(),
            replica,
        });
        self.history.push(HistoryEvent::Invoke {
            op: op_index,
            time,
            process,
            client: node,
            replica,
            operation: op.clone(),
        });
        self.emit(TraceEvent::OpInvoked {
            time,
            client: node,
            request,
            replica,
        });
        let session = self.core.clients[client].session.clone();
        self.send(
            node,
            replica,
            Wire::Request(Box::new(ClientRequest {
                id: request,
                op,
                session,
            })),
        );
        self.schedule_at(
            time.plus_us(timeout_us),
            EventKind::ClientTimeout {
                client: client as u32,
                request,
            },
        );
        request
    }

    /// A reply reached client node `node`.
    pub(super) fn reply_arrived(
        &mut self,
        node: NodeId,
        request: RequestId,
        result: &OpResult,
        session: SessionToken,
    ) {
        let Some(client) = self.client_index(node) else {
            return;
        };
        let state = &mut self.core.clients[client];
        // Looked at in place: every reply came here, and copying the pending operation
        // (its key a `String`) was an allocation per reply.
        let Some(pending) = &state.pending else {
            return;
        };
        if pending.request != request {
            return; // A late answer to an operation already given up on.
        }
        let from_replica = pending.replica;
        if !session.0.is_empty() {
            state.session = session;
        }
        match result {
            OpResult::Ok(value) => {
                let seen = match &pending.op {
                    Op::Read { .. } => value.map(|value| value.shown),
                    Op::Write { value, .. } => Some(value.shown),
                    Op::Cas { new, .. } => Some(new.shown),
                };
                if let Some(seen) = seen {
                    let key = pending.op.key();
                    match state.last_seen.get_mut(key) {
                        Some(last) => *last = seen,
                        None => {
                            state.last_seen.insert(key.to_string(), seen);
                        }
                    }
                }
                self.complete(client, Outcome::Ok(*value), from_replica);
            }
            OpResult::Fail(reason) => {
                self.complete(client, Outcome::Fail(reason.clone()), from_replica)
            }
            OpResult::Redirect(leader) => {
                // Ask the named replica instead, as the same operation.
                let leader = *leader;
                let Some(pending) = self.core.clients[client].pending.as_mut() else {
                    return;
                };
                pending.replica = leader;
                let op = pending.op.clone();
                let session = self.core.clients[client].session.clone();
                self.send(
                    node,
                    leader,
                    Wire::Request(Box::new(ClientRequest {
                        id: request,
                        op,
                        session,
                    })),
                );
            }
        }
    }

    /// The client's timeout for `request` fired.
    pub(super) fn client_timeout(&mut self, client: usize, request: RequestId) {
        let Some(pending) = &self.core.clients[client].pending else {
            return;
        };
        if pending.request != request {
            return;
        }
        let replica = pending.replica;
        self.complete(client, Outcome::Info, replica);
        // As in Jepsen, an indeterminate operation ends its process: the client goes on
        // as a fresh one, and tries its next replica.
        let process = self.core.next_process;
        self.core.next_process += 1;
        let state = &mut self.core.clients[client];
        state.process = process;
        state.target = (state.target + 1) % state.spec.replicas.len();
    }

    fn complete(&mut self, client: usize, outcome: Outcome, replica: NodeId) {
        let Some(pending) = self.core.clients[client].pending.take() else {
            return;
        };
        let time = self.core.now;
        let node = self.core.clients[client].spec.node;
        let outcome_name = outcome.name();
        self.history.push(HistoryEvent::Complete {
            op: pending.op_index,
            time,
            outcome,
            replica,
        });
        self.emit(TraceEvent::OpCompleted {
            time,
            client: node,
            request: pending.request,
            outcome: outcome_name,
        });
        self.schedule_next_op(client, time);
    }

    /// The end of the run: every up replica's value of every key, straight from its state.
    pub(super) fn final_reads(&mut self) {
        let time = self.core.now;
        let mut keys: BTreeSet<String> = self.core.values.keys().cloned().collect();
        for client in &self.core.clients {
            keys.extend(client.spec.workload.keys.iter().cloned());
        }
        self.emit(TraceEvent::FinalReads { time });
        for replica in self.replicas.clone() {
            if !self.core.up[replica.index()] {
                continue;
            }
            for key in &keys {
                let value = self.core.nodes[replica.index()]
                    .protocol
                    .as_ref()
                    .and_then(|protocol| protocol.local_read(key));
                let op = self.core.next_op;
                self.core.next_op += 1;
                self.history.push(HistoryEvent::FinalRead {
                    op,
                    time,
                    replica,
                    key: key.clone(),
                    value,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_book_keeps_ids_unique_and_sorted_whatever_order_they_come_in() {
        let mut book = ValueBook::default();
        assert_eq!(book.generated("x"), Value::unique(1));
        assert_eq!(book.typed("x", 7), Value { id: 7, shown: 7 });
        // A number typed again gets a fresh id past the largest, showing the same number.
        assert_eq!(book.typed("x", 7), Value { id: 8, shown: 7 });
        // Generated ids skip those taken; a typed number below the last id lands in order.
        assert_eq!(book.generated("x"), Value::unique(2));
        assert_eq!(book.typed("x", -3), Value { id: -3, shown: -3 });
        let ids: Vec<i64> = book.used["x"].iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [-3, 1, 2, 7, 8]);
        // A snapshot of the book is unchanged by what comes after it.
        let snapshot = book.clone();
        for _ in 0..500 {
            book.generated("x");
        }
        assert_eq!(snapshot.used["x"].len(), 5);
        assert_eq!(book.used["x"].len(), 505);
        // The pick is by position in id order, as the shown numbers are listed.
        let mut rng = Rng::stream(1, "test", 0);
        let picked = snapshot.any_written("x", &mut rng).unwrap();
        assert!([-3, 1, 2, 7].contains(&picked));
        assert_eq!(snapshot.any_written("y", &mut rng), None);
        assert_eq!(book.keys().collect::<Vec<_>>(), ["x"]);
    }
}
