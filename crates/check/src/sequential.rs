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
//! moved on. A free operation (see `prepared`) is bound by no order at all.

use crate::linearizable::step;
use crate::memo::{hash_words, Visited};
use crate::prepared::{POp, Prepared, Val, NIL};
use crate::{Search, Steps};
use std::collections::BTreeMap;

/// A move: advance a process, or apply one optional operation.
#[derive(Clone, Copy, Debug)]
enum Move {
    Process(u32),
    Optional(u32),
}

struct Frame {
    moves_start: usize,
    next_move: usize,
    /// What this frame's move changed, to undo it: the move, the register it overwrote
    /// and where its greedy reads start in the log.
    applied: Option<(Move, u32, Val, usize)>,
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
    // Optional operations, each with the position its process must have reached first.
    let optionals: Vec<(usize, Option<(usize, u32)>)> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| op.optional())
        .map(|(index, op)| {
            let after = match (op.free, chain_of.get(&op.process)) {
                (false, Some(&chain)) => {
                    let before = chains[chain]
                        .iter()
                        .take_while(|&&earlier| ops[earlier].call_seq < op.call_seq)
                        .count();
                    Some((chain, before as u32))
                }
                _ => None,
            };
            (index, after)
        })
        .collect();

    let mut position = vec![0u32; chains.len()];
    let mut done = vec![false; optionals.len()];
    let mut registers = vec![NIL; prepared.keys.len()];
    let width = chains.len().div_ceil(2) + optionals.len().div_ceil(64) + registers.len().div_ceil(2);
    let mut visited = Visited::new(width.max(1));
    let mut key = vec![0u64; width.max(1)];
    let mut greedy_log: Vec<u32> = Vec::new();
    let mut moves: Vec<Move> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();

    let finished = |position: &[u32]| {
        position
            .iter()
            .zip(&chains)
            .all(|(&at, chain)| at as usize == chain.len())
    };

    take_reads(ops, &chains, &mut position, &registers, &mut greedy_log);
    if finished(&position) {
        return Search::Valid;
    }
    encode(&position, &done, &registers, &mut key);
    visited.insert(hash_words(&key), &key);
    stack.push(Frame {
        moves_start: 0,
        next_move: 0,
        applied: None,
    });
    candidates(ops, &chains, &optionals, &position, &done, &registers, &mut moves);

    while let Some(frame) = stack.last_mut() {
        if frame.next_move == moves.len() {
            let frame = stack.pop().expect("the frame just seen");
            moves.truncate(frame.moves_start);
            if let Some(applied) = frame.applied {
                undo(applied, &mut position, &mut done, &mut registers, &mut greedy_log);
            }
            continue;
        }
        let chosen = moves[frame.next_move];
        frame.next_move += 1;
        if !steps.tick() {
            return Search::Exhausted;
        }
        let greedy_start = greedy_log.len();
        let (op, register) = match chosen {
            Move::Process(chain) => {
                let op = chains[chain as usize][position[chain as usize] as usize];
                position[chain as usize] += 1;
                (op, ops[op].key)
            }
            Move::Optional(slot) => {
                done[slot as usize] = true;
                let op = optionals[slot as usize].0;
                (op, ops[op].key)
            }
        };
        let old = registers[register as usize];
        registers[register as usize] =
            step(old, ops[op].kind, ops[op].determinate).expect("candidates are possible");
        let applied = (chosen, register, old, greedy_start);
        take_reads(ops, &chains, &mut position, &registers, &mut greedy_log);
        if finished(&position) {
            return Search::Valid;
        }
        encode(&position, &done, &registers, &mut key);
        if !visited.insert(hash_words(&key), &key) {
            undo(applied, &mut position, &mut done, &mut registers, &mut greedy_log);
            continue;
        }
        let moves_start = moves.len();
        candidates(ops, &chains, &optionals, &position, &done, &registers, &mut moves);
        if !steps.charge(1 + (chains.len() + optionals.len()) as u64 / 64) {
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

/// Advances every process whose next operation is a read the registers satisfy.
fn take_reads(
    ops: &[POp],
    chains: &[Vec<usize>],
    position: &mut [u32],
    registers: &[Val],
    log: &mut Vec<u32>,
) {
    for (chain, ops_of_chain) in chains.iter().enumerate() {
        while let Some(&op) = ops_of_chain.get(position[chain] as usize) {
            let op = &ops[op];
            match op.kind {
                crate::prepared::Kind::Read(value) if registers[op.key as usize] == value => {
                    position[chain] += 1;
                    log.push(chain as u32);
                }
                _ => break,
            }
        }
    }
}

fn undo(
    (chosen, register, old, greedy_start): (Move, u32, Val, usize),
    position: &mut [u32],
    done: &mut [bool],
    registers: &mut [Val],
    log: &mut Vec<u32>,
) {
    for &chain in log[greedy_start..].iter().rev() {
        position[chain as usize] -= 1;
    }
    log.truncate(greedy_start);
    registers[register as usize] = old;
    match chosen {
        Move::Process(chain) => position[chain as usize] -= 1,
        Move::Optional(slot) => done[slot as usize] = false,
    }
}

/// The possible moves from here, earliest invocation first.
fn candidates(
    ops: &[POp],
    chains: &[Vec<usize>],
    optionals: &[(usize, Option<(usize, u32)>)],
    position: &[u32],
    done: &[bool],
    registers: &[Val],
    moves: &mut Vec<Move>,
) {
    let start = moves.len();
    for (chain, ops_of_chain) in chains.iter().enumerate() {
        if let Some(&op) = ops_of_chain.get(position[chain] as usize) {
            let op = &ops[op];
            if step(registers[op.key as usize], op.kind, true).is_some() {
                moves.push(Move::Process(chain as u32));
            }
        }
    }
    for (slot, &(op, after)) in optionals.iter().enumerate() {
        if done[slot] || after.is_some_and(|(chain, at)| position[chain] < at) {
            continue;
        }
        let op = &ops[op];
        let current = registers[op.key as usize];
        // Never happening needs no move: an optional operation left over at the end simply
        // did not take effect. So only operations that change a register are moves.
        if step(current, op.kind, false) != Some(current) {
            moves.push(Move::Optional(slot as u32));
        }
    }
    let call_seq = |chosen: &Move| match *chosen {
        Move::Process(chain) => ops[chains[chain as usize][position[chain as usize] as usize]].call_seq,
        Move::Optional(slot) => {
            let op = &ops[optionals[slot as usize].0];
            if op.free {
                0
            } else {
                op.call_seq
            }
        }
    };
    moves[start..].sort_by_key(call_seq);
}

/// Writes the state into `key`: positions, then optional operations done, then registers.
fn encode(position: &[u32], done: &[bool], registers: &[Val], key: &mut [u64]) {
    key.fill(0);
    let mut word = 0;
    for pair in position.chunks(2) {
        key[word] = u64::from(pair[0]) | (u64::from(*pair.get(1).unwrap_or(&0)) << 32);
        word += 1;
    }
    for bits in done.chunks(64) {
        key[word] = bits
            .iter()
            .enumerate()
            .fold(0, |acc, (bit, &set)| acc | (u64::from(set) << bit));
        word += 1;
    }
    for pair in registers.chunks(2) {
        key[word] = u64::from(pair[0]) | (u64::from(*pair.get(1).unwrap_or(&0)) << 32);
        word += 1;
    }
}
