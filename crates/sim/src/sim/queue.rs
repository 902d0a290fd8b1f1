//! The event queue: a radix heap keyed by `(time, order of scheduling)`.
//!
//! Virtual time never goes backwards, so the queue only ever has to hand out times at or
//! after the last one it handed out, which a radix heap does with sequential memory access
//! (Ahuja, Mehlhorn, Orlin and Tarjan, 1990). Events wait in 64 buckets by the highest bit
//! in which their time differs from the last time taken; taking an event empties the
//! lowest bucket into the lower ones, so each event moves a few times, always by
//! appending to a vector. A binary heap of a million messages in flight (1,000 gossiping
//! nodes) instead took a cache miss at most of its 20 levels on every step, 60 % of the
//! engine's time there.
//!
//! The order is exactly the binary heap's: earliest time first, and at equal times the
//! order of scheduling, kept by a sequence number.

use crate::time::Time;
use std::collections::VecDeque;

/// Events ordered by `(time, order of scheduling)`.
#[derive(Clone, Debug)]
pub(super) struct EventQueue<E> {
    /// Every queued time is at least this: the time of the last event taken (at first, 0).
    base_us: u64,
    /// The events due exactly at `base_us`, in the order they were scheduled.
    due: VecDeque<(u64, E)>,
    /// Bucket `k` holds events (time, sequence, event) whose time differs from `base_us`
    /// first at bit `k`: every event in a bucket is later than every event in the buckets
    /// below it.
    buckets: Vec<Vec<(u64, u64, E)>>,
    /// The earliest time in each bucket (`u64::MAX` when empty).
    earliest_us: [u64; 64],
    /// Bit `k` is set when bucket `k` holds events.
    occupied: u64,
    /// The next sequence number.
    seq: u64,
}

impl<E> EventQueue<E> {
    pub(super) fn new() -> EventQueue<E> {
        EventQueue {
            base_us: 0,
            due: VecDeque::new(),
            buckets: (0..64).map(|_| Vec::new()).collect(),
            earliest_us: [u64::MAX; 64],
            occupied: 0,
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
        self.place(time_us, seq, event);
    }

    /// Puts an event in the bucket its time belongs to, relative to `base_us`.
    fn place(&mut self, time_us: u64, seq: u64, event: E) {
        if time_us == self.base_us {
            self.due.push_back((seq, event));
        } else {
            let bucket = 63 - (time_us ^ self.base_us).leading_zeros() as usize;
            self.buckets[bucket].push((time_us, seq, event));
            self.earliest_us[bucket] = self.earliest_us[bucket].min(time_us);
            self.occupied |= 1 << bucket;
        }
    }

    /// When the earliest event is due.
    pub(super) fn peek_time(&self) -> Option<Time> {
        if !self.due.is_empty() {
            Some(Time::from_us(self.base_us))
        } else if self.occupied != 0 {
            Some(Time::from_us(
                self.earliest_us[self.occupied.trailing_zeros() as usize],
            ))
        } else {
            None
        }
    }

    /// Every queued event, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &E> + '_ {
        let due = self.due.iter().map(|(_, event)| event);
        let waiting = self.buckets.iter().flatten().map(|(_, _, event)| event);
        due.chain(waiting)
    }

    /// Takes the earliest event.
    pub(super) fn pop(&mut self) -> Option<(Time, E)> {
        if self.due.is_empty() {
            self.advance();
        }
        let (_, event) = self.due.pop_front()?;
        Some((Time::from_us(self.base_us), event))
    }

    /// Moves the base to the earliest queued time and spreads the lowest bucket below it;
    /// the events due then become `due`, sorted by their sequence.
    fn advance(&mut self) {
        if self.occupied == 0 {
            return;
        }
        let lowest = self.occupied.trailing_zeros() as usize;
        self.base_us = self.earliest_us[lowest];
        self.earliest_us[lowest] = u64::MAX;
        self.occupied &= !(1 << lowest);
        let mut spread = std::mem::take(&mut self.buckets[lowest]);
        for (time_us, seq, event) in spread.drain(..) {
            // Every event of the bucket lands in a lower one, or in `due`.
            self.place(time_us, seq, event);
        }
        // Keep the bucket's allocation for the next events that fall into it.
        self.buckets[lowest] = spread;
        self.due
            .make_contiguous()
            .sort_unstable_by_key(|&(seq, _)| seq);
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
