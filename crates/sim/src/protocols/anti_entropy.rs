//! Choosing anti-entropy partners: a random peer each round, every peer once per cycle.
//!
//! Picking a peer uniformly at random each round leaves convergence to luck: a replica
//! may go several rounds without meeting the one peer that holds the write it lacks.
//! Drawing peers as a shuffled deck instead (a new random order once every peer has had
//! its turn) keeps the choice random yet bounds the wait: once partitions heal, a replica
//! has reconciled with every live peer within N − 1 rounds, so with no new writes and no
//! lost messages all replicas agree within N − 1 intervals plus a round trip.

use crate::rng::Rng;

/// A shuffled deck of peer slots. Volatile: a restarted replica deals a new one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerCycle {
    deck: Vec<usize>,
}

impl PeerCycle {
    /// The next peer among `peers` (slots), skipping any no longer in it; `None` when
    /// `peers` is empty.
    pub fn next(&mut self, peers: &[usize], rng: &mut Rng) -> Option<usize> {
        loop {
            if self.deck.is_empty() {
                if peers.is_empty() {
                    return None;
                }
                self.deck = peers.to_vec();
                // Fisher–Yates, drawing from the node's own stream.
                for index in (1..self.deck.len()).rev() {
                    let other = rng.below(index as u64 + 1) as usize;
                    self.deck.swap(index, other);
                }
            }
            let peer = self.deck.pop()?;
            if peers.contains(&peer) {
                return Some(peer);
            }
        }
    }

    pub fn clear(&mut self) {
        self.deck.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_peer_comes_once_per_cycle_in_a_random_order() {
        let mut rng = Rng::from_seed(3);
        let mut cycle = PeerCycle::default();
        let peers = [0, 2, 3, 5];
        let mut orders = Vec::new();
        for _ in 0..4 {
            let mut order: Vec<usize> = (0..peers.len())
                .map(|_| cycle.next(&peers, &mut rng).unwrap())
                .collect();
            orders.push(order.clone());
            order.sort_unstable();
            assert_eq!(order, peers);
        }
        assert!(
            orders.windows(2).any(|pair| pair[0] != pair[1]),
            "{orders:?}"
        );
    }

    #[test]
    fn a_peer_that_left_is_skipped() {
        let mut rng = Rng::from_seed(1);
        let mut cycle = PeerCycle::default();
        cycle.next(&[1, 2, 3], &mut rng);
        let drawn: Vec<usize> = (0..2).filter_map(|_| cycle.next(&[1], &mut rng)).collect();
        assert!(drawn.iter().all(|&peer| peer == 1));
        assert_eq!(cycle.next(&[], &mut rng), None);
    }
}
