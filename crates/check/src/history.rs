//! Histories: the operations clients invoked on registers, and how each one ended.
//!
//! A [`History`] is built in the order things happened, one invocation or completion at a
//! time ([`History::push_invoke`], [`History::complete`]), by the dsplay engine or by the
//! EDN reader. The order of those events, not the clock readings, is what decides whether
//! one operation finished before another began: two events at the same nanosecond still
//! have an order, the order they were pushed in.

use serde::Serialize;
use std::fmt;

/// An operation's index in its [`History`]: the UI highlights operations by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct OpId(pub u32);

impl OpId {
    /// The index into [`History::ops`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The function an operation calls, as Jepsen writes `:f`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum F {
    /// Read the register.
    Read,
    /// Overwrite the register.
    Write,
    /// Compare and set.
    Cas,
}

impl F {
    /// `read`, `write` or `cas`.
    pub fn name(self) -> &'static str {
        match self {
            F::Read => "read",
            F::Write => "write",
            F::Cas => "cas",
        }
    }
}

/// What an operation was asked to do: its function and the value it was invoked with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Call {
    /// Read the register (invoked with nil).
    Read,
    /// Set the register to this value.
    Write(i64),
    /// Set the register to `new` if, and only if, it holds `expected` (Jepsen's `[old new]`).
    Cas {
        /// The value the register must hold for the swap to happen.
        expected: i64,
        /// The value it then holds.
        new: i64,
    },
}

impl Call {
    /// The function called.
    pub fn f(self) -> F {
        match self {
            Call::Read => F::Read,
            Call::Write(_) => F::Write,
            Call::Cas { .. } => F::Cas,
        }
    }

    /// The value this call leaves in the register when it takes effect (None for a read).
    pub fn written(self) -> Option<i64> {
        match self {
            Call::Read => None,
            Call::Write(value) => Some(value),
            Call::Cas { new, .. } => Some(new),
        }
    }
}

/// How an operation ended, when it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It took effect. A read carries the value it returned (`None` is nil: the register was
    /// unset); for a write or a cas the value is not used and [`History::complete`] stores `None`.
    Ok(Option<i64>),
    /// It certainly did not take effect (Jepsen `:fail`).
    Fail,
    /// Unknown: it may have taken effect at any moment after its invocation, or never
    /// (Jepsen `:info`).
    Info,
}

/// One operation: an invocation and, perhaps, its completion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Operation {
    /// Its index in the history.
    pub id: OpId,
    /// The client process that invoked it; a process runs one operation at a time.
    pub process: u64,
    /// What was called, with the invocation's value.
    pub call: Call,
    /// The register it addressed; `None` for a history of a single register.
    pub key: Option<String>,
    /// How it ended; `None` if it never completed (treated like [`Outcome::Info`]).
    pub outcome: Option<Outcome>,
    /// When it was invoked, in nanoseconds.
    pub invoke_ns: u64,
    /// When it completed, in nanoseconds.
    pub complete_ns: Option<u64>,
    /// The replica that served it, when the engine knows.
    pub node: Option<String>,
    /// A read issued after a quiet period to judge convergence (eventual consistency).
    pub final_read: bool,
    /// Position of the invocation in the history's event order.
    #[serde(skip)]
    pub(crate) invoke_seq: u64,
    /// Position of the completion in the history's event order.
    #[serde(skip)]
    pub(crate) complete_seq: Option<u64>,
}

impl Operation {
    /// The function called.
    pub fn f(&self) -> F {
        self.call.f()
    }

    /// The value a completed read returned: `Some(None)` for nil, `None` if this is not a
    /// read that completed with `:ok`.
    pub fn read_value(&self) -> Option<Option<i64>> {
        match (self.call, self.outcome) {
            (Call::Read, Some(Outcome::Ok(value))) => Some(value),
            _ => None,
        }
    }

    /// True if the operation certainly took effect.
    pub fn is_ok(&self) -> bool {
        matches!(self.outcome, Some(Outcome::Ok(_)))
    }

    /// True if nobody knows whether it took effect: `:info`, or it never completed.
    pub fn is_indeterminate(&self) -> bool {
        matches!(self.outcome, None | Some(Outcome::Info))
    }

    /// True if it certainly did not take effect.
    pub fn is_failed(&self) -> bool {
        matches!(self.outcome, Some(Outcome::Fail))
    }

    /// True if this operation completed before `other` was invoked (real-time order).
    pub fn precedes(&self, other: &Operation) -> bool {
        self.complete_seq.is_some_and(|seq| seq < other.invoke_seq)
    }
}

/// Whether an event invokes an operation or completes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The client called.
    Invoke,
    /// The call returned (ok, fail or info).
    Complete,
}

/// One entry of the event order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    /// The operation invoked or completed.
    pub op: OpId,
    /// Which of the two.
    pub kind: EventKind,
}

/// A history of register operations, in the order their events happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct History {
    ops: Vec<Operation>,
    events: Vec<Event>,
    /// The process's operation in flight, per process; kept sorted by process.
    #[serde(skip)]
    in_flight: Vec<(u64, OpId)>,
    /// False when the times are only positions in the file (an EDN file without `:time`).
    timed: bool,
    last_time_ns: u64,
    /// How values are shown to people, where that differs from the value itself: the
    /// engine gives every write a unique value but shows the number the user typed.
    #[serde(skip)]
    shown: std::collections::BTreeMap<i64, i64>,
}

impl History {
    /// An empty history whose times are real clock readings.
    pub fn new() -> Self {
        History {
            timed: true,
            ..History::untimed()
        }
    }

    /// An empty history whose times are only event positions, not clock readings:
    /// explanations then say "event 12" instead of seconds.
    pub fn untimed() -> Self {
        History {
            ops: Vec::new(),
            events: Vec::new(),
            in_flight: Vec::new(),
            timed: false,
            last_time_ns: 0,
            shown: std::collections::BTreeMap::new(),
        }
    }

    /// Explanations show `value` as `shown` (values stay distinct for the checking).
    pub fn show_value_as(&mut self, value: i64, shown: i64) {
        if value != shown {
            self.shown.insert(value, shown);
        }
    }

    /// How explanations show `value`.
    pub fn shown_value(&self, value: i64) -> i64 {
        self.shown.get(&value).copied().unwrap_or(value)
    }

    /// True if `invoke_ns` and `complete_ns` are clock readings.
    pub fn is_timed(&self) -> bool {
        self.timed
    }

    /// Records that `process` invoked `call` on register `key` at `time_ns`.
    ///
    /// If the process still had an operation in flight, that one is left without a
    /// completion: it may or may not have happened, like a Jepsen `:info`.
    ///
    /// # Panics
    /// If `time_ns` is earlier than the previous event's time: time never goes backwards.
    pub fn push_invoke(
        &mut self,
        process: u64,
        call: Call,
        key: Option<&str>,
        time_ns: u64,
    ) -> OpId {
        self.advance_time(time_ns);
        let id = OpId(u32::try_from(self.ops.len()).expect("fewer than 2^32 operations"));
        let seq = self.events.len() as u64;
        self.ops.push(Operation {
            id,
            process,
            call,
            key: key.map(str::to_string),
            outcome: None,
            invoke_ns: time_ns,
            complete_ns: None,
            node: None,
            final_read: false,
            invoke_seq: seq,
            complete_seq: None,
        });
        self.events.push(Event {
            op: id,
            kind: EventKind::Invoke,
        });
        match self.in_flight.binary_search_by_key(&process, |&(p, _)| p) {
            Ok(slot) => self.in_flight[slot].1 = id,
            Err(slot) => self.in_flight.insert(slot, (process, id)),
        }
        id
    }

    /// Records that operation `op` ended with `outcome` at `time_ns`. For a write or a cas
    /// the value in [`Outcome::Ok`] is not used and is stored as `None`.
    ///
    /// # Panics
    /// If `op` does not exist or already completed, or if time went backwards.
    pub fn complete(&mut self, op: OpId, outcome: Outcome, time_ns: u64) {
        self.advance_time(time_ns);
        let seq = self.events.len() as u64;
        let operation = &mut self.ops[op.index()];
        assert!(
            operation.outcome.is_none(),
            "operation {} completed twice",
            op.0
        );
        let outcome = match (operation.call, outcome) {
            (Call::Read, outcome) => outcome,
            (_, Outcome::Ok(_)) => Outcome::Ok(None),
            (_, outcome) => outcome,
        };
        operation.outcome = Some(outcome);
        operation.complete_ns = Some(time_ns);
        operation.complete_seq = Some(seq);
        let process = operation.process;
        if let Ok(slot) = self.in_flight.binary_search_by_key(&process, |&(p, _)| p) {
            if self.in_flight[slot].1 == op {
                self.in_flight.remove(slot);
            }
        }
        self.events.push(Event {
            op,
            kind: EventKind::Complete,
        });
    }

    /// The operation `process` has in flight, if any: what its next completion completes.
    pub fn in_flight(&self, process: u64) -> Option<OpId> {
        self.in_flight
            .binary_search_by_key(&process, |&(p, _)| p)
            .ok()
            .map(|slot| self.in_flight[slot].1)
    }

    /// Names the replica that served `op`.
    pub fn set_node(&mut self, op: OpId, node: &str) {
        self.ops[op.index()].node = Some(node.to_string());
    }

    /// Marks `op` as a final read, issued after a quiet period to judge convergence.
    pub fn set_final_read(&mut self, op: OpId, final_read: bool) {
        self.ops[op.index()].final_read = final_read;
    }

    /// All operations, indexed by [`OpId`].
    pub fn ops(&self) -> &[Operation] {
        &self.ops
    }

    /// One operation.
    pub fn op(&self, id: OpId) -> &Operation {
        &self.ops[id.index()]
    }

    /// Invocations and completions in the order they happened.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// True if nothing was invoked.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    fn advance_time(&mut self, time_ns: u64) {
        assert!(
            time_ns >= self.last_time_ns,
            "time went backwards: {time_ns} ns after {} ns",
            self.last_time_ns
        );
        self.last_time_ns = time_ns;
    }
}

impl Default for History {
    fn default() -> Self {
        History::new()
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Call::Read => write!(f, "read"),
            Call::Write(value) => write!(f, "write {value}"),
            Call::Cas { expected, new } => write!(f, "cas {expected} -> {new}"),
        }
    }
}
