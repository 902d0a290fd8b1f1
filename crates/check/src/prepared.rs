//! The form every checker reads: operations that matter, with keys and values as small
//! integers, and weakened sub-histories for explaining violations.
//!
//! Preparing a history applies the semantics of the Knossos corpus once, for all models:
//! a `:fail` did not happen, so it is dropped; a read whose outcome is unknown constrains
//! nothing, so it is dropped; a write or cas whose outcome is unknown is kept as
//! *indeterminate*: it may take effect at any moment after its invocation, or never.
//!
//! [`Prepared::restrict`] keeps a subset of operations and *weakens* the rest instead of
//! deleting them: a removed read is dropped (it only constrained), and a removed write that
//! some kept operation may have observed becomes *free*, able to take effect at any moment
//! or never, bound by no order. Every behaviour the original allowed, the restriction allows
//! too, so a violation found in a restriction is a violation of the original, caused by the
//! kept operations alone. That is what makes an explanation's operation set trustworthy.

use crate::history::{Call, History, OpId, Outcome};
use std::collections::{BTreeMap, BTreeSet};

/// A value as an index: [`NIL`] for the unset register, `v` for `values[v - 1]`.
pub(crate) type Val = u32;
/// The unset register.
pub(crate) const NIL: Val = 0;

/// What an operation does, with interned values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// Returned this value.
    Read(Val),
    /// Set this value.
    Write(Val),
    /// Set `.1` if the register held `.0`.
    Cas(Val, Val),
}

impl Kind {
    /// The value left in the register when it takes effect, for writes and cas.
    pub(crate) fn written(self) -> Option<Val> {
        match self {
            Kind::Read(_) => None,
            Kind::Write(value) | Kind::Cas(_, value) => Some(value),
        }
    }
}

/// One operation as the searches see it.
#[derive(Clone, Debug)]
pub(crate) struct POp {
    /// The history operation it stands for.
    pub(crate) origin: OpId,
    pub(crate) process: u64,
    /// Index into [`Prepared::keys`].
    pub(crate) key: u32,
    pub(crate) kind: Kind,
    /// It completed `:ok`: it took effect, between its invocation and its completion.
    pub(crate) determinate: bool,
    /// Weakened by [`Prepared::restrict`]: any moment or never, bound by no order.
    pub(crate) free: bool,
    /// Position of the invocation in the event order.
    pub(crate) call_seq: u64,
    /// Position of the completion; `None` when indeterminate.
    pub(crate) ret_seq: Option<u64>,
}

impl POp {
    /// True if it may or may not have taken effect.
    pub(crate) fn optional(&self) -> bool {
        !self.determinate
    }
}

/// A history prepared for checking.
#[derive(Clone, Debug)]
pub(crate) struct Prepared<'h> {
    pub(crate) history: &'h History,
    pub(crate) ops: Vec<POp>,
    /// Key names by index, in sorted order (`None`, the single register, first).
    pub(crate) keys: Vec<Option<String>>,
    /// Interned values: index `v` stands for `values[v - 1]`.
    pub(crate) values: Vec<i64>,
}

impl<'h> Prepared<'h> {
    /// Applies the corpus semantics: drops failures and reads with unknown results.
    pub(crate) fn new(history: &'h History) -> Self {
        let key_set: BTreeSet<Option<&str>> =
            history.ops().iter().map(|op| op.key.as_deref()).collect();
        let keys: Vec<Option<String>> = key_set.iter().map(|key| key.map(str::to_string)).collect();
        let key_index: BTreeMap<Option<&str>, u32> = key_set
            .iter()
            .enumerate()
            .map(|(index, &key)| (key, index as u32))
            .collect();
        let mut values = Vec::new();
        let mut interned: BTreeMap<i64, Val> = BTreeMap::new();
        let mut intern = |value: i64| -> Val {
            *interned.entry(value).or_insert_with(|| {
                values.push(value);
                values.len() as Val
            })
        };
        let mut ops = Vec::new();
        for op in history.ops() {
            let kind = match (op.call, op.outcome) {
                (_, Some(Outcome::Fail)) => continue,
                (Call::Read, Some(Outcome::Ok(value))) => {
                    Kind::Read(value.map_or(NIL, &mut intern))
                }
                // An unanswered read tells nothing about the register.
                (Call::Read, _) => continue,
                (Call::Write(value), _) => Kind::Write(intern(value)),
                (Call::Cas { expected, new }, _) => Kind::Cas(intern(expected), intern(new)),
            };
            let key = key_index[&op.key.as_deref()];
            let determinate = op.is_ok();
            ops.push(POp {
                origin: op.id,
                process: op.process,
                key,
                kind,
                determinate,
                free: false,
                call_seq: op.invoke_seq,
                ret_seq: if determinate { op.complete_seq } else { None },
            });
        }
        Prepared {
            history,
            ops,
            keys,
            values,
        }
    }

    /// The integer a value index stands for (`None` for nil).
    pub(crate) fn value(&self, value: Val) -> Option<i64> {
        (value != NIL).then(|| self.values[value as usize - 1])
    }

    /// Operation indices per key, in key order.
    pub(crate) fn partitions(&self) -> Vec<Vec<usize>> {
        let mut partitions = vec![Vec::new(); self.keys.len()];
        for (index, op) in self.ops.iter().enumerate() {
            partitions[op.key as usize].push(index);
        }
        partitions
    }

    /// The same history with only `indices` (ascending).
    pub(crate) fn subset(&self, indices: &[usize]) -> Prepared<'h> {
        Prepared {
            history: self.history,
            ops: indices
                .iter()
                .map(|&index| self.ops[index].clone())
                .collect(),
            keys: self.keys.clone(),
            values: self.values.clone(),
        }
    }

    /// The history as it stood at event position `cut_seq`: operations invoked later are
    /// gone, and those still in flight then have unknown outcomes (a read in flight is
    /// dropped, a write or cas in flight may or may not take effect). No read left can
    /// have observed a write invoked after it completed, so this only weakens.
    pub(crate) fn cut(&self, cut_seq: u64) -> Prepared<'h> {
        let mut ops = Vec::new();
        for op in self.ops.iter().filter(|op| op.call_seq < cut_seq) {
            let mut op = op.clone();
            if op.ret_seq.is_none_or(|ret| ret >= cut_seq) {
                if matches!(op.kind, Kind::Read(_)) {
                    continue;
                }
                op.determinate = false;
                op.ret_seq = None;
            }
            ops.push(op);
        }
        Prepared {
            history: self.history,
            ops,
            keys: self.keys.clone(),
            values: self.values.clone(),
        }
    }

    /// Keeps the operations at `kept` (ascending indices) and weakens the others: removed
    /// reads go, and removed writes and cas whose value a kept operation may observe stay
    /// as free operations, one per distinct effect, usable at any moment and as often as
    /// needed. See the module documentation.
    pub(crate) fn restrict(&self, kept: &[usize]) -> Prepared<'h> {
        debug_assert!(kept.windows(2).all(|pair| pair[0] < pair[1]));
        let mut keep = vec![false; self.ops.len()];
        for &index in kept {
            keep[index] = true;
        }
        let mut observed: BTreeSet<(u32, Val)> = BTreeSet::new();
        let observe = |op: &POp, observed: &mut BTreeSet<(u32, Val)>| match op.kind {
            Kind::Read(value) if value != NIL => {
                observed.insert((op.key, value));
            }
            Kind::Cas(expected, _) => {
                observed.insert((op.key, expected));
            }
            _ => {}
        };
        for &index in kept {
            observe(&self.ops[index], &mut observed);
        }
        let mut ops: Vec<POp> = kept.iter().map(|&index| self.ops[index].clone()).collect();
        let mut freed: BTreeSet<(u32, Kind)> = BTreeSet::new();
        // A freed cas observes its expected value, which may free another write.
        loop {
            let before = freed.len();
            for (index, op) in self.ops.iter().enumerate() {
                if keep[index] {
                    continue;
                }
                let Some(written) = op.kind.written() else {
                    continue;
                };
                if observed.contains(&(op.key, written)) && freed.insert((op.key, op.kind)) {
                    let mut free = op.clone();
                    free.free = true;
                    free.determinate = false;
                    free.ret_seq = None;
                    observe(&free, &mut observed);
                    ops.push(free);
                }
            }
            if freed.len() == before {
                break;
            }
        }
        Prepared {
            history: self.history,
            ops,
            keys: self.keys.clone(),
            values: self.values.clone(),
        }
    }
}
