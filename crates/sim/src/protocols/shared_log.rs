//! A replicated log that snapshots share: full chunks of entries are immutable and held
//! by reference count, so cloning a log (every snapshot of a run clones every replica's)
//! copies a pointer per chunk and the short tail, not every entry.
//!
//! Why: the page keeps snapshots of a run to scrub back, and a protocol whose log grows
//! for as long as the run (Raft has no compaction here) made every snapshot a full copy,
//! so an hour's run held a hundred and seventy copies of each log. With the chunks
//! shared, the logs cost about one copy however many snapshots hold them. Entries are
//! only ever appended at the end or cut off a suffix, so a chunk is copied only when a
//! truncation cuts into it, which conflicts after a change of leader do, rarely and near
//! the end.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// Entries per shared chunk: big enough that a clone copies few pointers, small enough
/// that the tail copied with it is short.
const CHUNK: usize = 128;

/// A log of `T`, indexed from 0, that clones cheaply (see the module's text).
#[derive(Clone)]
pub struct SharedLog<T> {
    /// Full chunks of exactly `CHUNK` entries each.
    chunks: Vec<Arc<[T]>>,
    /// The entries after the last full chunk (fewer than `CHUNK`).
    tail: Vec<T>,
}

impl<T> Default for SharedLog<T> {
    fn default() -> Self {
        SharedLog {
            chunks: Vec::new(),
            tail: Vec::new(),
        }
    }
}

impl<T: Clone> SharedLog<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.chunks.len() * CHUNK + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        let full = self.chunks.len() * CHUNK;
        if index < full {
            Some(&self.chunks[index / CHUNK][index % CHUNK])
        } else {
            self.tail.get(index - full)
        }
    }

    pub fn push(&mut self, entry: T) {
        self.tail.push(entry);
        if self.tail.len() == CHUNK {
            let full: Arc<[T]> = std::mem::take(&mut self.tail).into();
            self.chunks.push(full);
        }
    }

    /// Keeps the first `len` entries.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len() {
            return;
        }
        let full = self.chunks.len() * CHUNK;
        if len >= full {
            self.tail.truncate(len - full);
            return;
        }
        // The cut falls inside a shared chunk: what is kept of it becomes the tail.
        let chunk = len / CHUNK;
        self.tail = self.chunks[chunk][..len % CHUNK].to_vec();
        self.chunks.truncate(chunk);
    }

    /// Every entry, in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks
            .iter()
            .flat_map(|chunk| chunk.iter())
            .chain(self.tail.iter())
    }

    pub fn last(&self) -> Option<&T> {
        self.len().checked_sub(1).and_then(|index| self.get(index))
    }

    /// The entries from index `start` on, starting in the chunk that holds it (a log
    /// read from its commit point on must not walk everything before).
    pub fn iter_from(&self, start: usize) -> impl Iterator<Item = &T> {
        let chunk = (start / CHUNK).min(self.chunks.len());
        let skip = start - chunk * CHUNK;
        self.chunks[chunk..]
            .iter()
            .flat_map(|chunk| chunk.iter())
            .chain(self.tail.iter())
            .skip(skip)
    }

    /// Copies of the entries in `start..end` (those of them the log holds).
    pub fn to_vec_range(&self, start: usize, end: usize) -> Vec<T> {
        // Slice by slice rather than through `iter_from`: a leader copies entries for
        // every append it sends, and the chained iterator stepped (and skipped to `start`)
        // one entry at a time, each step a call in the size-optimised build.
        let end = end.min(self.len());
        let mut entries = Vec::with_capacity(end.saturating_sub(start));
        let mut index = start;
        while index < end {
            let slice = self.slice_from(index);
            let count = slice.len().min(end - index);
            entries.extend_from_slice(&slice[..count]);
            index += count;
        }
        entries
    }

    /// The entries from `index` (below `len()`) to the end of the chunk, or of the tail,
    /// that holds it.
    fn slice_from(&self, index: usize) -> &[T] {
        let full = self.chunks.len() * CHUNK;
        if index < full {
            &self.chunks[index / CHUNK][index % CHUNK..]
        } else {
            &self.tail[index - full..]
        }
    }

    pub fn to_vec(&self) -> Vec<T> {
        self.iter().cloned().collect()
    }
}

impl<T: Clone> std::ops::Index<usize> for SharedLog<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        match self.get(index) {
            Some(entry) => entry,
            None => panic!(
                "index {index} is past the end of a log of {} entries",
                self.len()
            ),
        }
    }
}

impl<T: Clone> From<Vec<T>> for SharedLog<T> {
    fn from(entries: Vec<T>) -> Self {
        let mut log = SharedLog::new();
        for entry in entries {
            log.push(entry);
        }
        log
    }
}

impl<T: Clone + PartialEq> PartialEq for SharedLog<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<T: Clone + fmt::Debug> fmt::Debug for SharedLog<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A map that only grows, shared between snapshots the same way: entries are frozen into
/// reference-counted chunks of `CHUNK`, each with the range of its keys, so a clone
/// copies a pointer per chunk and the open tail. Keys inserted in roughly increasing
/// order (request ids, say) give chunks whose ranges barely overlap, so a lookup checks
/// the tail and then the one or two chunks whose range holds the key.
#[derive(Clone)]
pub struct SharedMap<K, V> {
    frozen: Vec<Arc<Frozen<K, V>>>,
    tail: BTreeMap<K, V>,
}

struct Frozen<K, V> {
    first: K,
    last: K,
    entries: BTreeMap<K, V>,
}

impl<K, V> Default for SharedMap<K, V> {
    fn default() -> Self {
        SharedMap {
            frozen: Vec::new(),
            tail: BTreeMap::new(),
        }
    }
}

impl<K: Ord + Copy, V: Clone> SharedMap<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.tail.get(key).or_else(|| {
            self.frozen
                .iter()
                .rev()
                .filter(|chunk| chunk.first <= *key && *key <= chunk.last)
                .find_map(|chunk| chunk.entries.get(key))
        })
    }

    pub fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    /// Adds `key`, which must not be there yet: the map only grows.
    pub fn insert_new(&mut self, key: K, value: V) {
        debug_assert!(!self.contains_key(&key), "a key is inserted once");
        self.tail.insert(key, value);
        if self.tail.len() == CHUNK {
            let entries = std::mem::take(&mut self.tail);
            if let (Some((&first, _)), Some((&last, _))) =
                (entries.first_key_value(), entries.last_key_value())
            {
                self.frozen.push(Arc::new(Frozen {
                    first,
                    last,
                    entries,
                }));
            }
        }
    }

    /// Adds `key` unless it is there already, where its first value stays (the map
    /// cannot change a frozen entry).
    pub fn insert_if_absent(&mut self, key: K, value: V) {
        if !self.contains_key(&key) {
            self.insert_new(key, value);
        }
    }

    pub fn len(&self) -> usize {
        self.frozen.len() * CHUNK + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every entry, in key order.
    pub fn to_map(&self) -> BTreeMap<K, V> {
        let mut all = self.tail.clone();
        for chunk in &self.frozen {
            all.extend(
                chunk
                    .entries
                    .iter()
                    .map(|(key, value)| (*key, value.clone())),
            );
        }
        all
    }
}

impl<K: Ord + Copy, V: Clone + PartialEq> PartialEq for SharedMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.to_map() == other.to_map()
    }
}

impl<K: Ord + Copy + fmt::Debug, V: Clone + fmt::Debug> fmt::Debug for SharedMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.to_map()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_behaves_as_a_vector_through_pushes_truncations_and_clones() {
        // Against a Vec as the reference, across chunk boundaries.
        let mut log = SharedLog::new();
        let mut reference = Vec::new();
        let mut snapshots = Vec::new();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for step in 0..5_000_u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if state.is_multiple_of(7) && !reference.is_empty() {
                let len = (state as usize / 7) % (reference.len() + 1);
                log.truncate(len);
                reference.truncate(len);
            } else {
                log.push(step);
                reference.push(step);
            }
            if step.is_multiple_of(97) {
                snapshots.push((log.clone(), reference.clone()));
            }
            assert_eq!(log.len(), reference.len());
        }
        assert_eq!(log.to_vec(), reference);
        // Every snapshot still holds what it held, whatever happened after it.
        for (snapshot, expected) in &snapshots {
            assert_eq!(&snapshot.to_vec(), expected);
            for (index, entry) in expected.iter().enumerate() {
                assert_eq!(snapshot[index], *entry);
            }
            let from = expected.len() / 3;
            assert_eq!(
                snapshot.iter_from(from).copied().collect::<Vec<_>>(),
                expected[from..]
            );
            assert_eq!(snapshot.last(), expected.last());
            assert_eq!(snapshot.iter_from(expected.len() + 5).count(), 0);
            assert_eq!(
                snapshot.to_vec_range(from, expected.len() / 2 + 1),
                expected[from..(expected.len() / 2 + 1).min(expected.len())]
            );
            // Ranges across chunks, past the end, and empty ones.
            let len = expected.len();
            for (start, end) in [
                (0, len),
                (from, from + 300),
                (len, len + 3),
                (from + 10, from),
                (len + 5, len + 9),
            ] {
                let (start_in, end_in) = (start.min(len), end.min(len));
                let want = &expected[start_in..end_in.max(start_in)];
                assert_eq!(snapshot.to_vec_range(start, end), want, "{start}..{end}");
            }
        }
        assert_eq!(SharedLog::from(reference.clone()), log);
    }

    #[test]
    fn a_shared_map_finds_every_key_its_snapshots_held() {
        let mut map = SharedMap::new();
        let mut reference = BTreeMap::new();
        let mut snapshots = Vec::new();
        // Keys roughly increasing, with some stragglers from far back.
        for step in 0..3_000_u64 {
            let key = if step % 50 == 7 {
                step / 3 + 1_000_000
            } else {
                step * 2
            };
            // A key seen before keeps its first value.
            map.insert_if_absent(key, step);
            reference.entry(key).or_insert(step);
            if step.is_multiple_of(333) {
                snapshots.push((map.clone(), reference.clone()));
            }
        }
        // Key 0 went in first and is frozen by now: a second value does not replace it.
        map.insert_if_absent(0, 99);
        assert_eq!(map.get(&0), Some(&0));
        assert_eq!(map.to_map(), reference);
        assert_eq!(map.len(), reference.len());
        for (snapshot, expected) in &snapshots {
            for (key, value) in expected {
                assert_eq!(snapshot.get(key), Some(value));
            }
            assert_eq!(snapshot.get(&1), None);
            assert_eq!(snapshot.len(), expected.len());
        }
        assert!(map.frozen.len() > 10);
        let copy = map.clone();
        assert!(Arc::ptr_eq(&map.frozen[0], &copy.frozen[0]));
        assert_eq!(copy, map);
    }

    #[test]
    fn clones_share_their_full_chunks() {
        let log: SharedLog<u64> = (0..1_000).collect::<Vec<_>>().into();
        let copy = log.clone();
        assert!(Arc::ptr_eq(&log.chunks[0], &copy.chunks[0]));
        assert_eq!(log.chunks.len(), 1_000 / CHUNK);
    }
}
