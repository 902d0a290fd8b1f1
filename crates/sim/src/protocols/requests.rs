//! Recently seen client requests, so that a request the network duplicated is served once.
//!
//! Links may duplicate any message, client requests included. A replica that applied the
//! second copy of a write would give it a new timestamp and could bring an old value back
//! over a newer one, an anomaly of the protocol rather than of the network. Real stores
//! deduplicate by request id; so do ours, over a bounded window (a copy arrives within a
//! link's delay of the first, long before a thousand other requests have come in).

use crate::protocol::RequestId;
use std::collections::{BTreeSet, VecDeque};

/// A bounded window of request ids, oldest first. Volatile: a restarted replica forgets it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecentRequests {
    order: VecDeque<RequestId>,
    seen: BTreeSet<RequestId>,
}

impl RecentRequests {
    /// How many ids the window keeps.
    pub const CAPACITY: usize = 1_024;

    /// Records `request`; `false` when it was already in the window (a duplicate copy).
    pub fn first_time(&mut self, request: RequestId) -> bool {
        if !self.seen.insert(request) {
            return false;
        }
        self.order.push_back(request);
        if self.order.len() > Self::CAPACITY {
            if let Some(oldest) = self.order.pop_front() {
                self.seen.remove(&oldest);
            }
        }
        debug_assert_eq!(self.order.len(), self.seen.len());
        true
    }

    pub fn clear(&mut self) {
        self.order.clear();
        self.seen.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duplicate_is_recognised_until_it_leaves_the_window() {
        let mut recent = RecentRequests::default();
        assert!(recent.first_time(RequestId(7)));
        assert!(!recent.first_time(RequestId(7)));
        for id in 100..100 + RecentRequests::CAPACITY as u64 {
            assert!(recent.first_time(RequestId(id)));
        }
        assert!(recent.first_time(RequestId(7)), "7 has left the window");
    }
}
