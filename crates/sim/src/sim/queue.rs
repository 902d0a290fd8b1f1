//! The event queue: a binary heap of small keys over a slab of event payloads.
//!
//! The heap orders `(time, sequence)` keys; what each event carries lives in a slab beside
//! it, and the key names its slot. A heap step moves keys of 24 bytes instead of whole
//! events, which in the strict preset was a sixth of the engine's time, and a slot freed by
//! a popped event is reused by the next push, so the slab stays as long as the queue's
//! longest moment.

use crate::time::Time;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A queued event's place in the order, and where its payload waits.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Key {
    time: Time,
    /// The order of scheduling: equal times keep it.
    seq: u64,
    slot: u32,
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: reverse so the earliest (time, seq) comes out first.
        // The sequence is unique, so the slot never decides.
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Events ordered by `(time, order of scheduling)`.
#[derive(Clone, Debug)]
pub(super) struct EventQueue<E> {
    heap: BinaryHeap<Key>,
    /// Payloads by slot; `None` in a free slot.
    slots: Vec<Option<E>>,
    free: Vec<u32>,
    /// The next sequence number.
    seq: u64,
}

impl<E> EventQueue<E> {
    pub(super) fn new() -> EventQueue<E> {
        EventQueue {
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            seq: 0,
        }
    }

    pub(super) fn push(&mut self, time: Time, event: E) {
        let slot = match self.free.pop() {
            Some(slot) => {
                debug_assert!(self.slots[slot as usize].is_none(), "a free slot is empty");
                self.slots[slot as usize] = Some(event);
                slot
            }
            None => {
                let slot = u32::try_from(self.slots.len())
                    .expect("fewer than 4 billion events are queued at once");
                self.slots.push(Some(event));
                slot
            }
        };
        let seq = self.seq;
        self.seq += 1;
        self.heap.push(Key { time, seq, slot });
    }

    /// When the earliest event is due.
    pub(super) fn peek_time(&self) -> Option<Time> {
        self.heap.peek().map(|key| key.time)
    }

    /// Takes the earliest event.
    pub(super) fn pop(&mut self) -> Option<(Time, E)> {
        let key = self.heap.pop()?;
        let event = self.slots[key.slot as usize]
            .take()
            .expect("a queued key's slot holds its event");
        self.free.push(key.slot);
        Some((key.time, event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn freed_slots_are_reused_so_the_slab_stays_as_long_as_the_busiest_moment() {
        let mut queue = EventQueue::new();
        for round in 0..1_000u64 {
            queue.push(Time::from_us(round), round);
            queue.push(Time::from_us(round + 1), round);
            queue.pop();
            queue.pop();
        }
        assert!(queue.heap.is_empty());
        assert!(queue.slots.len() <= 2, "{} slots", queue.slots.len());
    }
}
