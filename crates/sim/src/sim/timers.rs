//! The set of pending timers: those set and neither fired nor cancelled yet.
//!
//! Timer ids are handed out in increasing order and a timer is pending only for a while
//! (until its event fires or it is cancelled), so the pending ones all lie in a window of
//! recent ids. The set keeps that window as a bitmap of 64-bit words: setting, cancelling
//! and firing a timer are a shift and a mask, where a `BTreeSet` searched and rebalanced
//! its nodes (a Raft follower cancels and sets its election timer at every append it
//! receives, and every timer event asks whether its timer is still pending). The window
//! is one bit per id from the oldest pending timer on, so even a timer left pending for a
//! whole run costs a bit per timer set after it.

use crate::protocol::TimerId;
use std::collections::VecDeque;

#[derive(Clone, Debug, Default)]
pub(super) struct TimerSet {
    /// Bit `i % 64` of word `i / 64 - first_word` is set when timer `i` is pending. The
    /// first word is never zero (the window starts at the oldest pending timer's word).
    words: VecDeque<u64>,
    first_word: u64,
}

impl TimerSet {
    pub(super) fn insert(&mut self, id: TimerId) {
        let word = id.0 / 64;
        if self.words.is_empty() {
            self.first_word = word;
        }
        // Ids come in increasing order, so the window only grows at the back, except for
        // a timer older than every pending one (never in practice, but not forbidden).
        while word < self.first_word {
            self.words.push_front(0);
            self.first_word -= 1;
        }
        let index = (word - self.first_word) as usize;
        if index >= self.words.len() {
            self.words.resize(index + 1, 0);
        }
        self.words[index] |= 1 << (id.0 % 64);
    }

    /// Removes `id`; whether it was pending.
    pub(super) fn remove(&mut self, id: TimerId) -> bool {
        let Some(index) = (id.0 / 64).checked_sub(self.first_word) else {
            return false;
        };
        let Some(word) = self.words.get_mut(index as usize) else {
            return false;
        };
        let bit = 1 << (id.0 % 64);
        let pending = *word & bit != 0;
        *word &= !bit;
        // Let the window start at the oldest pending timer again.
        while self.words.front() == Some(&0) {
            self.words.pop_front();
            self.first_word += 1;
        }
        pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use std::collections::BTreeSet;

    /// The same answers as a `BTreeSet` over random sets, cancels and fires, with ids in
    /// increasing order as the engine hands them out and now and then an old one.
    #[test]
    fn answers_as_a_btree_set_does() {
        for seed in 0..20 {
            let mut rng = Rng::from_seed(seed);
            let mut set = TimerSet::default();
            let mut reference = BTreeSet::new();
            let mut next = rng.below(1_000);
            for _ in 0..5_000 {
                match rng.below(5) {
                    0 | 1 => {
                        let id = if rng.below(50) == 0 {
                            next.saturating_sub(rng.below(2_000))
                        } else {
                            next += 1 + rng.below(100);
                            next
                        };
                        set.insert(TimerId(id));
                        reference.insert(id);
                    }
                    _ => {
                        let id = next.saturating_sub(rng.below(3_000));
                        assert_eq!(set.remove(TimerId(id)), reference.remove(&id));
                    }
                }
            }
            for id in 0..=next {
                assert_eq!(set.remove(TimerId(id)), reference.remove(&id), "{id}");
            }
            assert!(set.words.is_empty());
        }
    }
}
