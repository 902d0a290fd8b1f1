//! The memo of visited search states: a hash set of fixed-width word strings.
//!
//! Both searches remember every (operations done, register state) they have explored, as
//! Lowe's and Porcupine's checkers do, so no configuration is expanded twice. A state is
//! a short slice of `u64` words; they live end to end in one arena and an open-addressing
//! table points into it, which keeps the memo to one allocation pattern and no per-entry
//! boxes. Callers supply the hash (the linearizability search updates it incrementally).
//! Lookups are its only use: nothing is ever iterated, so results never depend on order.

/// A set of word strings of one width.
#[derive(Debug)]
pub(crate) struct Visited {
    width: usize,
    words: Vec<u64>,
    hashes: Vec<u64>,
    /// Slots hold an entry's index plus one; zero is empty.
    table: Vec<u32>,
}

impl Visited {
    /// An empty set of keys `width` words long.
    pub(crate) fn new(width: usize) -> Self {
        assert!(width > 0, "a visited state has at least one word");
        Visited {
            width,
            words: Vec::new(),
            hashes: Vec::new(),
            table: vec![0; 1024],
        }
    }

    /// The number of states remembered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Adds `key`; true if it was not there yet.
    pub(crate) fn insert(&mut self, hash: u64, key: &[u64]) -> bool {
        debug_assert_eq!(key.len(), self.width);
        let mask = self.table.len() - 1;
        let mut slot = (hash as usize) & mask;
        loop {
            let entry = self.table[slot];
            if entry == 0 {
                break;
            }
            let index = (entry - 1) as usize;
            if self.hashes[index] == hash
                && self.words[index * self.width..(index + 1) * self.width] == *key
            {
                return false;
            }
            slot = (slot + 1) & mask;
        }
        let index = self.hashes.len();
        self.table[slot] = u32::try_from(index + 1).expect("fewer than 2^32 visited states");
        self.hashes.push(hash);
        self.words.extend_from_slice(key);
        if self.hashes.len() * 2 > self.table.len() {
            self.grow();
        }
        true
    }

    fn grow(&mut self) {
        let capacity = self.table.len() * 2;
        let mask = capacity - 1;
        let mut table = vec![0u32; capacity];
        for (index, &hash) in self.hashes.iter().enumerate() {
            let mut slot = (hash as usize) & mask;
            while table[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            table[slot] = (index + 1) as u32;
        }
        self.table = table;
    }
}

/// SplitMix64's finaliser: spreads any 64-bit input over all bits of the hash.
pub(crate) fn mix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hashes a whole key.
pub(crate) fn hash_words(key: &[u64]) -> u64 {
    key.iter()
        .fold(0x243f_6a88_85a3_08d3, |hash, &word| mix(hash ^ word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_new_once_and_survives_growth() {
        let mut visited = Visited::new(2);
        for value in 0..5000u64 {
            let key = [value, value * 7];
            assert!(visited.insert(hash_words(&key), &key));
        }
        for value in 0..5000u64 {
            let key = [value, value * 7];
            assert!(!visited.insert(hash_words(&key), &key));
        }
        assert_eq!(visited.len(), 5000);
    }
}
