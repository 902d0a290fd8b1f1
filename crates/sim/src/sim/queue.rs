//! The event queue: a radix heap keyed by `(time, order of scheduling)`.
//!
//! Virtual time never goes backwards, so the queue only ever has to hand out times at or
//! after the last one it handed out, which a radix heap does with sequential memory access
//! (Ahuja, Mehlhorn, Orlin and Tarjan, 1990). Events wait in buckets by the highest digit
//! ([`DIGIT_BITS`] bits) in which their time differs from the last time taken, and that
//! digit's value; taking an event empties the lowest bucket into the lower ones, so each
//! event moves a few times, always by appending to a bucket. With a bucket per bit, as
//! first written, a move dropped an event by as little as one bit, and in the strict
//! preset an event moved more than twice on average; a move now drops it a whole digit.
//! A binary heap of a million messages in flight (1,000 gossiping nodes) instead took a
//! cache miss at most of its 20 levels on every step, 60 % of the engine's time there.
//!
//! The order is exactly the binary heap's: earliest time first, and at equal times the
//! order of scheduling, kept by a sequence number.
//!
//! The buckets are boxed slices filled up to a length ([`Slots`]) rather than vectors. In
//! a size-optimised build (`opt-level = "z"`, as the page's wasm ships), `Vec::push`
//! stays a call that takes its entry through memory and reads it back right after the
//! caller stored it, which stalled the processor on most of the queue's moves; storing
//! into a slice by index is written in place.

use crate::time::Time;
use std::fmt;

/// Entries stored in a boxed slice, of which the first `len` are live (the rest are stale
/// copies, kept as room for more). Indexing a boxed slice is built into the language, so
/// a push below is plain stores even in the size-optimised build.
struct Slots<T> {
    entries: Box<[T]>,
    len: usize,
}

/// A copy holds the live entries only: the player snapshots the engine, queue and all,
/// and a bucket that once held a million events (1,000 gossiping nodes) keeps that room.
impl<T: Clone> Clone for Slots<T> {
    fn clone(&self) -> Self {
        Slots {
            entries: self.entries[..self.len].into(),
            len: self.len,
        }
    }
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            entries: Box::default(),
            len: 0,
        }
    }
}

impl<T: Copy> Slots<T> {
    #[inline(always)]
    fn push(&mut self, entry: T) {
        if self.len == self.entries.len() {
            self.grow(entry);
        }
        self.entries[self.len] = entry;
        self.len += 1;
    }

    /// Doubles the room (at least 8 entries), filling the new slots with `filler`.
    #[cold]
    fn grow(&mut self, filler: T) {
        let capacity = (2 * self.entries.len()).max(8);
        let mut grown = Vec::with_capacity(capacity);
        grown.extend_from_slice(&self.entries[..self.len]);
        grown.resize(capacity, filler);
        self.entries = grown.into_boxed_slice();
    }

    fn live(&self) -> &[T] {
        &self.entries[..self.len]
    }
}

impl<T: fmt::Debug> fmt::Debug for Slots<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.entries[..self.len]).finish()
    }
}

/// Times are read in digits of this many bits.
const DIGIT_BITS: u32 = 4;
const DIGITS: usize = 1 << DIGIT_BITS;
/// Buckets: one for each value of each digit of a 64-bit time.
const BUCKETS: usize = 64usize.div_ceil(DIGIT_BITS as usize) * DIGITS;

/// The bucket of an event due at `time_us`, later than `base_us`: the highest digit in
/// which the times differ, and that digit's value in `time_us` (above the base's). A lower
/// bucket holds only earlier times, and stays so as the base moves: the base only moves
/// to the earliest event of the lowest bucket, so it keeps every digit above that bucket's
/// digit, and every event in a higher bucket keeps its bucket.
#[inline(always)]
fn bucket_of(time_us: u64, base_us: u64) -> usize {
    let digit = (63 - (time_us ^ base_us).leading_zeros()) / DIGIT_BITS;
    let value = (time_us >> (digit * DIGIT_BITS)) as usize & (DIGITS - 1);
    digit as usize * DIGITS + value
}

/// Events ordered by `(time, order of scheduling)`.
#[derive(Clone, Debug)]
pub(super) struct EventQueue<E> {
    /// Every queued time is at least this: the time of the last event taken (at first, 0).
    base_us: u64,
    /// The events due exactly at `base_us` (sequence, event), in the order they were
    /// scheduled; the first `due_taken` of them have been taken.
    due: Slots<(u64, E)>,
    due_taken: usize,
    /// The events (time, sequence, event) later than `base_us`, by [`bucket_of`]: every
    /// event in a bucket is later than every event in the buckets below it. An array, so
    /// picking a bucket is address arithmetic too.
    buckets: [Slots<(u64, u64, E)>; BUCKETS],
    /// The earliest time in each bucket (`u64::MAX` when empty).
    earliest_us: [u64; BUCKETS],
    /// Bit `i % 64` of word `i / 64` is set when bucket `i` holds events.
    occupied: [u64; BUCKETS / 64],
    /// The next sequence number.
    seq: u64,
}

impl<E: Copy> EventQueue<E> {
    pub(super) fn new() -> EventQueue<E> {
        EventQueue {
            base_us: 0,
            due: Slots::default(),
            due_taken: 0,
            buckets: std::array::from_fn(|_| Slots::default()),
            earliest_us: [u64::MAX; BUCKETS],
            occupied: [0; BUCKETS / 64],
            seq: 0,
        }
    }

    pub(super) fn push(&mut self, time: Time, event: E) {
        let time_us = time.as_us();
        assert!(
            time_us >= self.base_us,
            "an event is never scheduled before the last one taken"
        );
        let seq = self.seq;
        self.seq += 1;
        if time_us == self.base_us {
            if self.due_taken == self.due.len {
                // Every event due was taken: start again at the front.
                self.due.len = 0;
                self.due_taken = 0;
            }
            self.due.push((seq, event));
        } else {
            self.place(time_us, seq, event);
        }
    }

    /// Puts an event later than `base_us` in the bucket its time belongs to.
    #[inline(always)]
    fn place(&mut self, time_us: u64, seq: u64, event: E) {
        let bucket = bucket_of(time_us, self.base_us);
        self.buckets[bucket].push((time_us, seq, event));
        self.earliest_us[bucket] = self.earliest_us[bucket].min(time_us);
        self.occupied[bucket / 64] |= 1 << (bucket % 64);
    }

    /// The lowest bucket holding events, if any.
    #[inline(always)]
    fn lowest(&self) -> Option<usize> {
        // A plain loop: an iterator's steps stay calls in the size-optimised build.
        let mut word = 0;
        while word < self.occupied.len() {
            if self.occupied[word] != 0 {
                return Some(word * 64 + self.occupied[word].trailing_zeros() as usize);
            }
            word += 1;
        }
        None
    }

    /// When the earliest event is due.
    pub(super) fn peek_time(&self) -> Option<Time> {
        if self.due_taken < self.due.len {
            Some(Time::from_us(self.base_us))
        } else {
            let lowest = self.lowest()?;
            Some(Time::from_us(self.earliest_us[lowest]))
        }
    }

    /// Every queued event, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &E> + '_ {
        let due = self.due.live()[self.due_taken..]
            .iter()
            .map(|(_, event)| event);
        let waiting = self
            .buckets
            .iter()
            .flat_map(Slots::live)
            .map(|(_, _, event)| event);
        due.chain(waiting)
    }

    /// Takes the earliest event.
    pub(super) fn pop(&mut self) -> Option<(Time, E)> {
        if self.due_taken < self.due.len {
            let (_, event) = self.due.entries[self.due_taken];
            self.due_taken += 1;
            return Some((Time::from_us(self.base_us), event));
        }
        self.advance()
    }

    /// Moves the base to the earliest queued time and takes the first event due then;
    /// the rest of the lowest bucket spreads below the new base, the events due at it
    /// becoming `due`, sorted by their sequence. Called with every due event taken.
    fn advance(&mut self) -> Option<(Time, E)> {
        let lowest = self.lowest()?;
        let base_us = self.earliest_us[lowest];
        self.base_us = base_us;
        self.earliest_us[lowest] = u64::MAX;
        self.occupied[lowest / 64] &= !(1 << (lowest % 64));
        let time = Time::from_us(base_us);
        let mut spread = std::mem::take(&mut self.buckets[lowest]);
        // Most often the bucket holds that one event alone (times a few milliseconds
        // apart rarely share their highest bits): it is taken straight away.
        if spread.len == 1 {
            let (_, _, event) = spread.entries[0];
            spread.len = 0;
            self.buckets[lowest] = spread;
            return Some((time, event));
        }
        self.due.len = 0;
        for &(time_us, seq, event) in spread.live() {
            // Every event of the bucket lands in a lower one, or in `due`.
            if time_us == base_us {
                self.due.push((seq, event));
            } else {
                self.place(time_us, seq, event);
            }
        }
        // Keep the bucket's room for the next events that fall into it.
        spread.len = 0;
        self.buckets[lowest] = spread;
        let due = &mut self.due.entries[..self.due.len];
        if due.len() > 1 {
            due.sort_unstable_by_key(|&(seq, _)| seq);
        }
        self.due_taken = 1;
        Some((time, due[0].1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    #[test]
    fn events_come_out_by_time_then_by_order_of_scheduling() {
        let mut queue = EventQueue::new();
        queue.push(Time::from_us(30), "c");
        queue.push(Time::from_us(10), "a");
        queue.push(Time::from_us(30), "d");
        queue.push(Time::from_us(10), "b");
        assert_eq!(queue.peek_time(), Some(Time::from_us(10)));
        let order: Vec<_> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(
            order,
            [
                (Time::from_us(10), "a"),
                (Time::from_us(10), "b"),
                (Time::from_us(30), "c"),
                (Time::from_us(30), "d"),
            ]
        );
        assert_eq!(queue.peek_time(), None);
    }

    /// Against a binary heap of `(time, sequence)`, the order the engine had before: the
    /// same events in the same order, through bursts at equal times, events scheduled at
    /// the time just taken, long and short delays, and the queue running dry.
    #[test]
    fn the_order_is_a_binary_heaps_over_random_schedules() {
        for seed in 0..50 {
            let mut rng = Rng::from_seed(seed);
            let mut queue = EventQueue::new();
            let mut reference = BinaryHeap::new();
            let (mut now_us, mut next_id) = (0u64, 0u64);
            for _ in 0..5_000 {
                let pushes = rng.below(4);
                for _ in 0..pushes {
                    let delay_us = match rng.below(4) {
                        0 => 0,
                        1 => rng.below(8),
                        2 => rng.below(10_000),
                        _ => rng.below(1 << 40),
                    };
                    queue.push(Time::from_us(now_us + delay_us), next_id);
                    reference.push(Reverse((now_us + delay_us, next_id)));
                    next_id += 1;
                }
                assert_eq!(
                    queue.peek_time(),
                    reference
                        .peek()
                        .map(|Reverse((time, _))| Time::from_us(*time))
                );
                let taken = queue.pop();
                let expected = reference
                    .pop()
                    .map(|Reverse((time, id))| (Time::from_us(time), id));
                assert_eq!(taken, expected, "seed {seed}");
                if let Some((time, _)) = taken {
                    now_us = time.as_us();
                }
            }
        }
    }
}
