//! Linearizability of one register: Wing & Gong's search with Lowe's just-in-time
//! linearization and memo, in the form Porcupine gives it.
//!
//! Every operation becomes two entries, its call and its return, in one doubly linked list
//! ordered by the history's event order. The search walks the list from the front: at a
//! call it tries to linearize that operation now (the register model must accept it, and
//! the pair (set of linearized operations, register value) must be new to the memo); if it
//! can, it *lifts* the call and its return out of the list, pushes it on a stack and starts
//! again from the front. Reaching a return means the operation whose return it is should
//! already have been linearized: the search backtracks, unlifting the latest choice and
//! moving past it. With nothing left to backtrack, the history is not linearizable.
//!
//! An indeterminate operation's return sits at +infinity, so it may be linearized at any
//! point after its call; it may also never take effect, so the search succeeds as soon as
//! every determinate operation is linearized. An indeterminate cas is only linearized where
//! it swaps: a swap that failed changed nothing, the same as one that never happened.
//!
//! Free operations (see `prepared`) may take effect at any instant, as often as needed.
//! They are not in the list at all: a free write is only ever useful right before an
//! operation that observes its value (a read of it, a cas expecting it), so the search
//! lets such an operation find its value whenever free writes and cas can reach it from
//! the register's current value ([`FreeEffects`]). Any linearization can be rearranged into
//! that shape, so nothing is lost, and the memo needs no trace of free operations.
//!
//! Linearizability is compositional (Herlihy & Wing's locality, P-compositionality in
//! Horn & Kroening), so the caller checks each key on its own.

use crate::memo::{mix, Visited};
use crate::prepared::{Kind, POp, Val, NIL};
use crate::{Search, Steps};

const NONE: u32 = u32::MAX;

/// The register model: the value after `kind` runs on `state`, or `None` if it cannot.
pub(crate) fn step(state: Val, kind: Kind) -> Option<Val> {
    match kind {
        Kind::Read(value) => (value == state).then_some(state),
        Kind::Write(value) => Some(value),
        Kind::Cas(expected, new) if expected == state => Some(new),
        // A cas that finds another value fails: a determinate one cannot, and an
        // indeterminate one that failed is the same as one that never happened.
        Kind::Cas(..) => None,
    }
}

/// The value an operation needs to find in the register: a read's, or a cas's expected.
pub(crate) fn observed(kind: Kind) -> Option<Val> {
    match kind {
        Kind::Read(value) | Kind::Cas(value, _) => Some(value),
        Kind::Write(_) => None,
    }
}

/// What the free operations of one key can do to its register.
#[derive(Debug, Default)]
pub(crate) struct FreeEffects {
    /// Values free writes can set at any moment.
    writes: Vec<Val>,
    /// Swaps free cas can make at any moment.
    swaps: Vec<(Val, Val)>,
}

impl FreeEffects {
    /// Collects the free operations among `ops` of one key.
    pub(crate) fn of<'a>(ops: impl IntoIterator<Item = &'a POp>) -> Self {
        let mut effects = FreeEffects::default();
        for op in ops.into_iter().filter(|op| op.free) {
            match op.kind {
                Kind::Write(value) => effects.writes.push(value),
                Kind::Cas(expected, new) => effects.swaps.push((expected, new)),
                Kind::Read(_) => {}
            }
        }
        effects
    }

    /// True if there are none.
    pub(crate) fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.swaps.is_empty()
    }

    /// True if free operations can turn `from` into `wanted`.
    pub(crate) fn reach(&self, from: Val, wanted: Val) -> bool {
        if self.is_empty() {
            return false;
        }
        let mut reached: Vec<Val> = self.writes.clone();
        reached.push(from);
        let mut at = 0;
        while at < reached.len() {
            let value = reached[at];
            if value == wanted {
                return true;
            }
            for &(expected, new) in &self.swaps {
                if expected == value && !reached.contains(&new) {
                    reached.push(new);
                }
            }
            at += 1;
        }
        false
    }
}

/// Decides whether the operations of one register are linearizable.
pub(crate) fn search(ops: &[POp], steps: &mut Steps) -> Search {
    debug_assert!(ops.windows(2).all(|pair| pair[0].key == pair[1].key));
    let count = ops.len();
    let mut remaining_determinate = ops.iter().filter(|op| op.determinate).count();
    if remaining_determinate == 0 {
        return Search::Valid;
    }
    assert!(
        count < (u32::MAX / 2) as usize,
        "too many operations for one search"
    );

    let free = FreeEffects::of(ops);

    // Entries sorted by event position; unknown returns sit at +infinity, after everything.
    let listed: Vec<usize> = (0..count).filter(|&index| !ops[index].free).collect();
    let mut order: Vec<(u64, u32, bool)> = Vec::with_capacity(2 * listed.len());
    for &index in &listed {
        let op = &ops[index];
        let call_time = op.call_seq;
        let return_time = op.ret_seq.unwrap_or(u64::MAX);
        debug_assert!(call_time < return_time);
        order.push((call_time, index as u32, true));
        order.push((return_time, index as u32, false));
    }
    order.sort_unstable();

    // Entry 0 is the head; entries 1..=2n follow the sorted order.
    let size = order.len() + 1;
    let mut op_of = vec![0u32; size];
    let mut is_call = vec![false; size];
    let mut matching = vec![NONE; size];
    let mut next = vec![NONE; size];
    let mut prev = vec![NONE; size];
    let mut call_entry = vec![NONE; count];
    for (position, &(_, op, call)) in order.iter().enumerate() {
        let entry = position + 1;
        op_of[entry] = op;
        is_call[entry] = call;
        if call {
            call_entry[op as usize] = entry as u32;
        } else {
            matching[call_entry[op as usize] as usize] = entry as u32;
        }
        prev[entry] = position as u32;
        next[position] = entry as u32;
    }

    let op_hash: Vec<u64> = (0..count as u64).map(mix).collect();
    let words = count.div_ceil(64);
    let mut key = vec![0u64; words + 1];
    let mut hash = 0u64;
    let mut visited = Visited::new(words + 1);
    let mut state: Val = NIL;
    // Linearized calls: entry, and the value before.
    let mut calls: Vec<(u32, Val)> = Vec::new();
    let mut entry = next[0];

    loop {
        if !steps.tick() {
            return Search::Exhausted;
        }
        assert!(entry != NONE, "a determinate return is always ahead");
        let index = entry as usize;
        if is_call[index] {
            let op = op_of[index] as usize;
            let kind = ops[op].kind;
            let choice = step(state, kind).or_else(|| {
                let wanted = observed(kind)?;
                free.reach(state, wanted)
                    .then(|| step(wanted, kind))
                    .flatten()
            });
            if let Some(new_state) = choice {
                key[op / 64] |= 1 << (op % 64);
                let new_hash = hash ^ op_hash[op];
                key[words] = u64::from(new_state);
                if visited.insert(new_hash ^ mix(u64::from(new_state) ^ 0x5bd1_e995), &key) {
                    hash = new_hash;
                    calls.push((entry, state));
                    state = new_state;
                    lift(index, &matching, &mut next, &mut prev);
                    if ops[op].determinate {
                        remaining_determinate -= 1;
                        if remaining_determinate == 0 {
                            return Search::Valid;
                        }
                    }
                    entry = next[0];
                    continue;
                }
                key[op / 64] &= !(1 << (op % 64));
            }
            entry = next[index];
        } else {
            let Some((call, previous_state)) = calls.pop() else {
                return Search::Violation;
            };
            let call = call as usize;
            let op = op_of[call] as usize;
            key[op / 64] &= !(1 << (op % 64));
            hash ^= op_hash[op];
            state = previous_state;
            unlift(call, &matching, &mut next, &mut prev);
            if ops[op].determinate {
                remaining_determinate += 1;
            }
            entry = next[call];
        }
    }
}

/// Takes a call and its return out of the list.
fn lift(call: usize, matching: &[u32], next: &mut [u32], prev: &mut [u32]) {
    for entry in [call, matching[call] as usize] {
        let (before, after) = (prev[entry], next[entry]);
        next[before as usize] = after;
        if after != NONE {
            prev[after as usize] = before;
        }
    }
}

/// Puts back what [`lift`] took out; lifts are undone in reverse order, so the
/// neighbours an entry remembers are its neighbours again.
fn unlift(call: usize, matching: &[u32], next: &mut [u32], prev: &mut [u32]) {
    for entry in [matching[call] as usize, call] {
        let (before, after) = (prev[entry], next[entry]);
        next[before as usize] = entry as u32;
        if after != NONE {
            prev[after as usize] = entry as u32;
        }
    }
}
