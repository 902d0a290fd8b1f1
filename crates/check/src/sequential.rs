//! Sequential consistency: one order of all operations, over all keys at once, that keeps
//! each process's own order and in which every read returns the latest write.
//!
//! Real time plays no part, so the search state is how far each process has got plus the
//! value of every register; a depth-first search over such states, memoised, decides it.
//! Sequential consistency is not compositional (two keys that are each fine may be
//! impossible together), so there is no per-key decomposition, and the problem is
//! NP-complete: on large histories the step budget ends the search with an honest
//! "unknown".
//!
//! Two things keep the search small. A process whose next operation is a read that the
//! current registers satisfy takes it at once, without branching: the read changes no
//! register, so doing it now never closes a door (any order that does it later can do it
//! now). And moves are tried in invocation order, so a history that is in fact
//! linearizable is usually found in one straight descent.
//!
//! An operation with an unknown outcome may take effect after its process's earlier
//! operations, at any moment, or never; it is not held before the process's later
//! operations, because a request that timed out may still be applied after the client
//! moved on. Free operations (see `prepared`) are bound by no order at all; as in the
//! linearizability search, they act only right before an operation that observes a value
//! they can set.

use crate::linearizable::{observed, step, FreeEffects};
use crate::memo::{hash_words, Visited};
use crate::prepared::{Kind, POp, Prepared, Val, NIL};
use crate::{Search, Steps};
use std::collections::BTreeMap;

/// What a move advances: a process, or one optional operation.
#[derive(Clone, Copy, Debug)]
enum Target {
    Process(u32),
    Optional(u32),
}

/// A move, possibly preceded by free operations that set the value it observes.
#[derive(Clone, Copy, Debug)]
struct Move {
    target: Target,
    free: bool,
}

/// What a frame's move changed, to undo it.
#[derive(Clone, Copy, Debug)]
struct Applied {
    chosen: Move,
    register: u32,
    old: Val,
    /// Where the move's greedy reads start in the log.
    greedy_start: usize,
}

struct Frame {
    moves_start: usize,
    next_move: usize,
    applied: Option<Applied>,
}

/// The fixed shape of a search: chains, optional operations, free writes.
struct Shape<'a> {
    ops: &'a [POp],
    /// Per process, its determinate operations in invocation order.
    chains: Vec<Vec<usize>>,
    /// Optional operations, each with the position its process must have reached first.
    optionals: Vec<(usize, Option<(usize, u32)>)>,
    /// Per key, what its free operations can do.
    free: Vec<FreeEffects>,
}

/// The search state.
struct State {
    position: Vec<u32>,
    done: Vec<bool>,
    registers: Vec<Val>,
}

/// Decides whether `prepared` is sequentially consistent.
pub(crate) fn search(prepared: &Prepared, steps: &mut Steps) -> Search {
    let ops = &prepared.ops;
    let mut by_process: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (index, op) in ops.iter().enumerate() {
        if op.determinate && !op.free {
            by_process.entry(op.process).or_default().push(index);
        }
    }
    let mut chains: Vec<Vec<usize>> = by_process.values().cloned().collect();
    for chain in &mut chains {
        chain.sort_by_key(|&index| ops[index].call_seq);
    }
    let chain_of: BTreeMap<u64, usize> = by_process
        .keys()
        .enumerate()
        .map(|(chain, &process)| (process, chain))
        .collect();
    let mut optionals = Vec::new();
    for (index, op) in ops.iter().enumerate() {
        if !op.optional() || op.free {
            continue;
        }
        let after = match chain_of.get(&op.process) {
            Some(&chain) => {
                let before = chains[chain]
                    .iter()
                    .take_while(|&&earlier| ops[earlier].call_seq < op.call_seq)
                    .count();
                Some((chain, before as u32))
            }
            _ => None,
        };
        optionals.push((index, after));
    }
    let free = (0..prepared.keys.len() as u32)
        .map(|key| FreeEffects::of(ops.iter().filter(|op| op.key == key)))
        .collect();
    let shape = Shape {
        ops,
        chains,
        optionals,
        free,
    };
    let mut state = State {
        position: vec![0; shape.chains.len()],
        done: vec![false; shape.optionals.len()],
        registers: vec![NIL; prepared.keys.len()],
    };
    let width = (shape.chains.len().div_ceil(2)
        + shape.optionals.len().div_ceil(64)
        + state.registers.len().div_ceil(2))
    .max(1);
    let mut visited = Visited::new(width);
    let mut key = vec![0u64; width];
    let mut greedy_log: Vec<u32> = Vec::new();
    let mut moves: Vec<Move> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();

    take_reads(&shape, &mut state, &mut greedy_log);
    if shape.finished(&state) {
        return Search::Valid;
    }
    encode(&state, &mut key);
    visited.insert(hash_words(&key), &key);
    stack.push(Frame {
        moves_start: 0,
        next_move: 0,
        applied: None,
    });
    shape.candidates(&state, &mut moves);

    while let Some(frame) = stack.last_mut() {
        if frame.next_move == moves.len() {
            let frame = stack.pop().expect("the frame just seen");
            moves.truncate(frame.moves_start);
            if let Some(applied) = frame.applied {
                undo(applied, &mut state, &mut greedy_log);
            }
            continue;
        }
        let chosen = moves[frame.next_move];
        frame.next_move += 1;
        if !steps.tick() {
            return Search::Exhausted;
        }
        let op = match chosen.target {
            Target::Process(chain) => {
                let op = shape.chains[chain as usize][state.position[chain as usize] as usize];
                state.position[chain as usize] += 1;
                op
            }
            Target::Optional(slot) => {
                state.done[slot as usize] = true;
                shape.optionals[slot as usize].0
            }
        };
        let register = ops[op].key;
        let old = state.registers[register as usize];
        if chosen.free {
            state.registers[register as usize] = observed(ops[op].kind).expect("an observer");
        }
        state.registers[register as usize] = step(state.registers[register as usize], ops[op].kind)
            .expect("candidates are possible");
        let applied = Applied {
            chosen,
            register,
            old,
            greedy_start: greedy_log.len(),
        };
        take_reads(&shape, &mut state, &mut greedy_log);
        if shape.finished(&state) {
            return Search::Valid;
        }
        encode(&state, &mut key);
        if !visited.insert(hash_words(&key), &key) {
            undo(applied, &mut state, &mut greedy_log);
            continue;
        }
        let moves_start = moves.len();
        shape.candidates(&state, &mut moves);
        // Listing the moves and encoding the state scan every process and optional
        // operation: charge for that, so a step costs about what a linearizability step does.
        if !steps.charge(1 + (shape.chains.len() + shape.optionals.len()) as u64 / 8) {
            return Search::Exhausted;
        }
        stack.push(Frame {
            moves_start,
            next_move: moves_start,
            applied: Some(applied),
        });
    }
    Search::Violation
}

impl Shape<'_> {
    /// Every process has done all its operations (optional ones may never happen).
    fn finished(&self, state: &State) -> bool {
        state
            .position
            .iter()
            .zip(&self.chains)
            .all(|(&at, chain)| at as usize == chain.len())
    }

    /// How `op` could run now: on its own (false), or after free operations set the value
    /// it observes (true). `None` if neither, or if it would change nothing and `must_change`.
    fn how(&self, state: &State, op: &POp, must_change: bool) -> Option<bool> {
        let current = state.registers[op.key as usize];
        if let Some(new) = step(current, op.kind) {
            return (!must_change || new != current).then_some(false);
        }
        let wanted = observed(op.kind)?;
        let reachable = self.free[op.key as usize].reach(current, wanted);
        (reachable && step(wanted, op.kind).is_some()).then_some(true)
    }

    /// The possible moves from here, earliest invocation first.
    fn candidates(&self, state: &State, moves: &mut Vec<Move>) {
        let start = moves.len();
        for (chain, members) in self.chains.iter().enumerate() {
            if let Some(&op) = members.get(state.position[chain] as usize) {
                if let Some(free) = self.how(state, &self.ops[op], false) {
                    moves.push(Move {
                        target: Target::Process(chain as u32),
                        free,
                    });
                }
            }
        }
        for (slot, &(op, after)) in self.optionals.iter().enumerate() {
            if state.done[slot] || after.is_some_and(|(chain, at)| state.position[chain] < at) {
                continue;
            }
            // Never happening needs no move: an optional operation left over at the end
            // simply did not take effect. So only operations that change a register move.
            if let Some(free) = self.how(state, &self.ops[op], true) {
                moves.push(Move {
                    target: Target::Optional(slot as u32),
                    free,
                });
            }
        }
        let call_seq = |chosen: &Move| match chosen.target {
            Target::Process(chain) => {
                self.ops[self.chains[chain as usize][state.position[chain as usize] as usize]]
                    .call_seq
            }
            Target::Optional(slot) => self.ops[self.optionals[slot as usize].0].call_seq,
        };
        moves[start..].sort_by_key(call_seq);
    }
}

/// Advances every process whose next operation is a read the registers satisfy.
fn take_reads(shape: &Shape, state: &mut State, log: &mut Vec<u32>) {
    for (chain, members) in shape.chains.iter().enumerate() {
        while let Some(&op) = members.get(state.position[chain] as usize) {
            let op = &shape.ops[op];
            match op.kind {
                Kind::Read(value) if state.registers[op.key as usize] == value => {
                    state.position[chain] += 1;
                    log.push(chain as u32);
                }
                _ => break,
            }
        }
    }
}

fn undo(applied: Applied, state: &mut State, log: &mut Vec<u32>) {
    for &chain in log[applied.greedy_start..].iter().rev() {
        state.position[chain as usize] -= 1;
    }
    log.truncate(applied.greedy_start);
    state.registers[applied.register as usize] = applied.old;
    match applied.chosen.target {
        Target::Process(chain) => state.position[chain as usize] -= 1,
        Target::Optional(slot) => state.done[slot as usize] = false,
    }
}

/// Writes the state into `key`: positions, optional operations done, free writes used,
/// registers.
fn encode(state: &State, key: &mut [u64]) {
    key.fill(0);
    let mut word = 0;
    for pair in state.position.chunks(2) {
        key[word] = u64::from(pair[0]) | (u64::from(*pair.get(1).unwrap_or(&0)) << 32);
        word += 1;
    }
    for bits in state.done.chunks(64) {
        key[word] = bits
            .iter()
            .enumerate()
            .fold(0, |acc, (bit, &set)| acc | (u64::from(set) << bit));
        word += 1;
    }
    for pair in state.registers.chunks(2) {
        key[word] = u64::from(pair[0]) | (u64::from(*pair.get(1).unwrap_or(&0)) << 32);
        word += 1;
    }
}
