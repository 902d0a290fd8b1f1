//! Seeded generators of register histories, shared by the tests and the benchmark.
//!
//! A history is made from a sequential execution: every operation gets an interval on its
//! process's timeline and a linearization point inside it; applying the operations in the
//! order of their points gives every read its value. So a generated history is
//! linearizable by construction, however much the intervals overlap. SplitMix64 is
//! written out, so a seed means the same history on every platform.

#![allow(
    dead_code,
    reason = "each user of this module needs a different part of it"
)]

use dsplay_check::{Call, History, OpId, Outcome};

/// SplitMix64: tiny, seedable, the same everywhere.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (bound > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub processes: u64,
    pub keys: usize,
    pub ops: usize,
    /// Include compare-and-set operations.
    pub cas: bool,
    /// Percent of writes and cas whose outcome is unknown (`:info` or never answered).
    pub unknown_percent: u64,
    /// Append a final read of every key by every process after a quiet period.
    pub final_reads: bool,
}

impl Shape {
    pub fn small(seed: u64) -> Shape {
        let mut rng = SplitMix64::new(seed ^ 0x5eed);
        Shape {
            processes: 2 + rng.below(4),
            keys: 1 + rng.below(3) as usize,
            ops: 5 + rng.below(40) as usize,
            cas: true,
            unknown_percent: 10,
            final_reads: false,
        }
    }
}

/// One operation of a planned history.
#[derive(Clone, Debug)]
pub struct Planned {
    pub process: u64,
    pub call: Call,
    pub key: String,
    pub invoke_ns: u64,
    /// When it completed, with how; `None` if it never did.
    pub completion: Option<(u64, Outcome)>,
    pub final_read: bool,
    /// The linearization point (for mutations).
    pub point_ns: u64,
}

/// Plans a linearizable history of `shape` from `seed`. Written values are unique per key.
pub fn plan(seed: u64, shape: Shape) -> Vec<Planned> {
    let mut rng = SplitMix64::new(seed);
    let mut planned = Vec::with_capacity(shape.ops);
    let mut free_at_ns = vec![0u64; shape.processes as usize];
    // A process whose operation went unanswered stops, as a crashed Jepsen client does;
    // it comes back under a fresh process number.
    let mut process_ids: Vec<u64> = (0..shape.processes).collect();
    let mut next_process = shape.processes;
    for _ in 0..shape.ops {
        let slot = rng.below(shape.processes) as usize;
        let key = format!("k{}", rng.below(shape.keys as u64));
        let invoke_ns = free_at_ns[slot] + 1 + rng.below(2_000_000);
        let point_ns = invoke_ns + 1 + rng.below(5_000_000);
        let complete_ns = point_ns + 1 + rng.below(5_000_000);
        let call = match rng.below(if shape.cas { 3 } else { 2 }) {
            0 => Call::Read,
            1 => Call::Write(0),
            _ => Call::Cas {
                expected: 0,
                new: 0,
            },
        };
        planned.push(Planned {
            process: process_ids[slot],
            call,
            key,
            invoke_ns,
            completion: Some((complete_ns, Outcome::Ok(None))),
            final_read: false,
            point_ns,
        });
        free_at_ns[slot] = complete_ns;
        if !matches!(call, Call::Read) && rng.chance(shape.unknown_percent) {
            let last = planned.last_mut().expect("just pushed");
            last.completion = if rng.chance(50) {
                Some((complete_ns, Outcome::Info))
            } else {
                None
            };
            process_ids[slot] = next_process;
            next_process += 1;
        }
    }
    if shape.final_reads {
        let quiet_ns = free_at_ns.iter().max().copied().unwrap_or(0) + 1_000_000_000;
        for key in 0..shape.keys {
            for (slot, &process) in process_ids.iter().enumerate() {
                let invoke_ns = quiet_ns + (slot as u64) * 10 + key as u64 * 1000;
                planned.push(Planned {
                    process,
                    call: Call::Read,
                    key: format!("k{key}"),
                    invoke_ns,
                    completion: Some((invoke_ns + 2, Outcome::Ok(None))),
                    final_read: true,
                    point_ns: invoke_ns + 1,
                });
            }
        }
    }
    // Run the operations in the order of their points to give them values.
    let mut order: Vec<usize> = (0..planned.len()).collect();
    order.sort_by_key(|&index| (planned[index].point_ns, index));
    let mut registers: std::collections::BTreeMap<String, Option<i64>> = Default::default();
    let mut next_value = 1i64;
    for index in order {
        let op = &mut planned[index];
        let current = registers.get(&op.key).copied().flatten();
        match op.call {
            Call::Read => {
                if let Some((at, _)) = op.completion {
                    op.completion = Some((at, Outcome::Ok(current)));
                }
            }
            Call::Write(_) => {
                op.call = Call::Write(next_value);
                registers.insert(op.key.clone(), Some(next_value));
                next_value += 1;
            }
            Call::Cas { .. } => {
                // Mostly a cas that succeeds; sometimes one that fails and so did not happen.
                let succeed = current.is_some() && rng.chance(70);
                let expected = if succeed {
                    current.expect("checked")
                } else {
                    current.unwrap_or(0) + 1_000_000
                };
                op.call = Call::Cas {
                    expected,
                    new: next_value,
                };
                if succeed {
                    registers.insert(op.key.clone(), Some(next_value));
                } else if let Some((at, Outcome::Ok(_))) = op.completion {
                    op.completion = Some((at, Outcome::Fail));
                }
                next_value += 1;
            }
        }
    }
    planned
}

/// Builds the history: events in time order, invocations before completions at a tie.
pub fn build(planned: &[Planned]) -> (History, Vec<OpId>) {
    let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * planned.len());
    for (index, op) in planned.iter().enumerate() {
        events.push((op.invoke_ns, false, index));
        if let Some((at, _)) = op.completion {
            events.push((at, true, index));
        }
    }
    events.sort();
    let mut history = History::new();
    let mut ids = vec![OpId(u32::MAX); planned.len()];
    for (at, completes, index) in events {
        let op = &planned[index];
        if completes {
            let (_, outcome) = op.completion.expect("a completion event");
            history.complete(ids[index], outcome, at);
            if op.final_read {
                history.set_node(ids[index], &format!("n{}", op.process));
            }
        } else {
            ids[index] = history.push_invoke(op.process, op.call, Some(&op.key), at);
            history.set_final_read(ids[index], op.final_read);
        }
    }
    (history, ids)
}

/// A generated linearizable history.
pub fn history(seed: u64, shape: Shape) -> History {
    build(&plan(seed, shape)).0
}

/// Makes one completed read stale: it returns the value of a write that had been
/// overwritten (by a completed write) before the read began. `None` if the plan has no
/// such read. Returns the read's index.
pub fn make_stale_read(planned: &mut [Planned]) -> Option<usize> {
    let ended = |op: &Planned| match op.completion {
        Some((at, Outcome::Ok(_))) => Some(at),
        _ => None,
    };
    for read in 0..planned.len() {
        let Call::Read = planned[read].call else {
            continue;
        };
        let Some((_, Outcome::Ok(seen))) = planned[read].completion else {
            continue;
        };
        let read_invoke = planned[read].invoke_ns;
        for first in 0..planned.len() {
            let Call::Write(old) = planned[first].call else {
                continue;
            };
            if planned[first].key != planned[read].key || Some(old) == seen {
                continue;
            }
            let Some(first_end) = ended(&planned[first]) else {
                continue;
            };
            let overwritten = planned.iter().any(|second| {
                second.key == planned[read].key
                    && matches!(second.call, Call::Write(_))
                    && second.invoke_ns > first_end
                    && ended(second).is_some_and(|end| end < read_invoke)
            });
            if overwritten {
                let at = planned[read].completion.expect("completed").0;
                planned[read].completion = Some((at, Outcome::Ok(Some(old))));
                return Some(read);
            }
        }
    }
    None
}
