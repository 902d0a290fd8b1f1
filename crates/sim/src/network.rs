//! Links as state machines, and routing over the live ones.
//!
//! Each direction of a link is live unless some fault has cut it (cuts are counted, so two
//! overlapping faults that cut the same link need two heals). A message travels hop by hop:
//! at every node it takes the next link of the shortest live path to its destination,
//! measured by mean latency, so routes follow the topology as it changes. A halted node
//! forwards nothing, but is still a destination a message can travel to and be lost at.

use crate::fault::LinkCut;
use crate::time::Time;
use crate::topology::{Direction, Link, LinkId, NodeId, Ordering};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The first hop from some node towards every destination, as a position in that node's
/// adjacency list ([`NO_ROUTE`]: unreachable). Two bytes, not the twelve of a link and a
/// node: at 1,000 nodes the tables hold a million entries, 2 MB rather than 12 MB (in the
/// page too). The timing did not change measurably.
type RouteTable = Vec<u16>;

/// No route to that destination.
const NO_ROUTE: u16 = u16::MAX;

/// Routes computed so far, and the live arcs they were computed over. Derived data: a
/// clone starts empty, so snapshots stay small and a restored simulation recomputes exactly
/// the same routes.
#[derive(Debug, Default)]
struct RouteCache {
    tables: Vec<Option<RouteTable>>,
    arcs: Option<LiveArcs>,
}

impl Clone for RouteCache {
    fn clone(&self) -> Self {
        RouteCache {
            tables: vec![None; self.tables.len()],
            arcs: None,
        }
    }
}

/// Every live link direction as an arc with its routing weight, grouped by the node it
/// leaves (node `n`'s arcs are `arcs[starts[n]..starts[n + 1]]`, in adjacency order).
/// Built once per change of the network and read by every search until the next: a
/// search of 1,000 nodes relaxes 6,000 arcs, and reading each link's settings, cut lists
/// and latency model there (turning milliseconds into microseconds every time) was most
/// of the cost of routing a large graph.
#[derive(Debug)]
struct LiveArcs {
    starts: Vec<u32>,
    arcs: Vec<LiveArc>,
}

#[derive(Copy, Clone, Debug)]
struct LiveArc {
    /// The link's mean latency plus one microsecond per hop, which breaks ties in favour
    /// of fewer hops.
    weight_us: u64,
    to: u32,
    /// The arc's position in its node's adjacency list, which is what a route table keeps.
    slot: u16,
}

/// The network's configuration and live state.
#[derive(Clone, Debug)]
pub struct Network {
    /// The links as they are now (faults may change their settings).
    links: Vec<Link>,
    /// The links as the scenario set them up.
    base: Vec<Link>,
    /// The faults cutting each link direction now (index 0 is `a → b`), by their index in
    /// the schedule. A fault's end removes only its own cut, so a heal followed by a new
    /// cut is not undone when an older, already healed cut reaches its end.
    cuts: Vec<[Vec<u32>; 2]>,
    /// The fault whose change of settings each link carries now, if any.
    changed_by: Vec<Option<u32>>,
    /// Latest arrival scheduled per link direction, which FIFO links never undercut.
    fifo_tail: Vec<[Time; 2]>,
    /// For every node, the links it sits on, with the node at the other end.
    adjacency: Vec<Vec<(LinkId, NodeId)>>,
    /// Which nodes forward messages for others (replicas do, clients don't).
    relays: Vec<bool>,
    routes: RouteCache,
}

impl Network {
    /// The network of `links` among `node_count` nodes; only the nodes marked in `relays`
    /// forward messages for others (clients are end points, not routers: a client linked
    /// to two replicas must not become a shortcut between them, nor a way round a
    /// partition).
    pub fn new(node_count: usize, links: Vec<Link>, relays: Vec<bool>) -> Network {
        assert_eq!(relays.len(), node_count, "one relay flag per node");
        let mut adjacency = vec![Vec::new(); node_count];
        for link in &links {
            adjacency[link.a.index()].push((link.id, link.b));
            adjacency[link.b.index()].push((link.id, link.a));
        }
        assert!(
            adjacency
                .iter()
                .all(|links| links.len() < usize::from(NO_ROUTE)),
            "a route table names a node's links by a 16-bit position (the loader allows \
             {} links in all)",
            crate::scenario::MAX_LINKS
        );
        Network {
            cuts: vec![[Vec::new(), Vec::new()]; links.len()],
            changed_by: vec![None; links.len()],
            fifo_tail: vec![[Time::ZERO; 2]; links.len()],
            base: links.clone(),
            links,
            adjacency,
            relays,
            routes: RouteCache {
                tables: vec![None; node_count],
                arcs: None,
            },
        }
    }

    pub fn links(&self) -> &[Link] {
        &self.links
    }

    pub fn link(&self, id: LinkId) -> &Link {
        &self.links[id.index()]
    }

    /// Whether `link` carries messages from `from` right now.
    pub fn is_live(&self, link: LinkId, from: NodeId) -> bool {
        let link_ref = &self.links[link.index()];
        // `link_ref.carries(from, link_ref.other_end(from))` written out: every arrival
        // and every route asks, and the helpers stayed calls in the size-optimised build.
        let carries = from == link_ref.a
            || (matches!(link_ref.direction, Direction::Both) && from == link_ref.b);
        carries && self.cuts[link.index()][usize::from(from != link_ref.a)].is_empty()
    }

    /// Cuts a link direction on behalf of fault `by`.
    pub fn cut(&mut self, cut: LinkCut, by: u32) {
        let direction = self.links[cut.link.index()].direction_index(cut.from);
        self.cuts[cut.link.index()][direction].push(by);
        self.invalidate_routes();
    }

    /// Ends fault `by`'s cut of a link direction, if it still stands (a heal may have
    /// ended it already).
    pub fn heal(&mut self, cut: LinkCut, by: u32) {
        let direction = self.links[cut.link.index()].direction_index(cut.from);
        let cutters = &mut self.cuts[cut.link.index()][direction];
        if let Some(position) = cutters.iter().position(|&cutter| cutter == by) {
            cutters.remove(position);
        }
        self.invalidate_routes();
    }

    /// Applies fault `by`'s change to a link's settings (on top of its scenario settings).
    pub fn change_link(&mut self, change: &crate::fault::LinkChange, by: u32) {
        let base = &self.base[change.link.index()];
        self.links[change.link.index()] = change.apply(base);
        self.changed_by[change.link.index()] = Some(by);
        self.invalidate_routes();
    }

    /// Puts a link back to its scenario settings when fault `by`'s change ends, unless a
    /// later change or a heal has taken its place.
    pub fn restore_link(&mut self, link: LinkId, by: u32) {
        if self.changed_by[link.index()] == Some(by) {
            self.restore_base(link);
        }
    }

    fn restore_base(&mut self, link: LinkId) {
        self.links[link.index()] = self.base[link.index()].clone();
        self.changed_by[link.index()] = None;
        self.invalidate_routes();
    }

    /// Undoes every cut and change of one link.
    pub fn heal_link(&mut self, link: LinkId) {
        self.cuts[link.index()] = [Vec::new(), Vec::new()];
        self.restore_base(link);
    }

    /// Undoes every cut and link change at once.
    pub fn heal_all(&mut self) {
        for index in 0..self.links.len() {
            self.heal_link(LinkId(index as u32));
        }
    }

    /// Forgets every route; called whenever links or node liveness change.
    pub fn invalidate_routes(&mut self) {
        self.routes
            .tables
            .iter_mut()
            .for_each(|table| *table = None);
        self.routes.arcs = None;
    }

    /// When a message put on `link` at `now` with a drawn delay arrives: FIFO links never
    /// let it overtake a message sent earlier in the same direction.
    pub fn arrival_time(&mut self, link: LinkId, from: NodeId, now: Time, delay_us: u64) -> Time {
        let link_ref = &self.links[link.index()];
        let direction = link_ref.direction_index(from);
        let drawn = now.plus_us(delay_us);
        match link_ref.ordering {
            Ordering::Reorder => drawn,
            Ordering::Fifo => {
                let tail = &mut self.fifo_tail[link.index()][direction];
                let arrival = drawn.max(*tail);
                *tail = arrival;
                arrival
            }
        }
    }

    /// The link and node of the next hop from `at` towards `destination`, on the shortest
    /// live path through nodes that are up.
    pub fn next_hop(
        &mut self,
        at: NodeId,
        destination: NodeId,
        node_up: &[bool],
    ) -> Option<(LinkId, NodeId)> {
        if self.routes.tables[at.index()].is_none() {
            if self.routes.arcs.is_none() {
                self.routes.arcs = Some(self.live_arcs());
            }
            let arcs = self.routes.arcs.as_ref().expect("built just above");
            let table = self.shortest_first_hops(arcs, at, node_up);
            self.routes.tables[at.index()] = Some(table);
        }
        let slot = self.routes.tables[at.index()].as_ref()?[destination.index()];
        (slot != NO_ROUTE).then(|| self.adjacency[at.index()][usize::from(slot)])
    }

    /// The live link directions as arcs, each with its routing weight.
    fn live_arcs(&self) -> LiveArcs {
        let mut starts = Vec::with_capacity(self.adjacency.len() + 1);
        let mut arcs = Vec::with_capacity(2 * self.links.len());
        for (node_index, adjacent) in self.adjacency.iter().enumerate() {
            starts.push(arcs.len() as u32);
            let node = NodeId(node_index as u32);
            for (slot, &(link, neighbour)) in adjacent.iter().enumerate() {
                if self.is_live(link, node) {
                    arcs.push(LiveArc {
                        weight_us: self.links[link.index()].latency.mean_us() + 1,
                        to: neighbour.0,
                        slot: slot as u16,
                    });
                }
            }
        }
        starts.push(arcs.len() as u32);
        LiveArcs { starts, arcs }
    }

    /// Dijkstra from `source` over the live `arcs`, remembering for each node the first
    /// hop of its path. Halted nodes are reached but not expanded: they can receive, not
    /// forward. Ties break by node index, so the result is the same on every platform.
    fn shortest_first_hops(&self, live: &LiveArcs, source: NodeId, node_up: &[bool]) -> RouteTable {
        let count = self.adjacency.len();
        let mut distance = vec![u64::MAX; count];
        let mut first_hop: RouteTable = vec![NO_ROUTE; count];
        let mut frontier = BinaryHeap::new();
        distance[source.index()] = 0;
        frontier.push(Reverse((0u64, source.0)));
        while let Some(Reverse((dist, node_index))) = frontier.pop() {
            let node = node_index as usize;
            let forwards = node_up[node] && self.relays[node];
            if dist > distance[node] || (node_index != source.0 && !forwards) {
                continue;
            }
            let arcs = &live.arcs[live.starts[node] as usize..live.starts[node + 1] as usize];
            for arc in arcs {
                let neighbour = arc.to as usize;
                let candidate = dist + arc.weight_us;
                if candidate < distance[neighbour] {
                    distance[neighbour] = candidate;
                    first_hop[neighbour] = if node_index == source.0 {
                        arc.slot
                    } else {
                        first_hop[node]
                    };
                    frontier.push(Reverse((candidate, arc.to)));
                }
            }
        }
        first_hop
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::{Direction, LatencyModel};

    fn link(id: u32, a: u32, b: u32, ms: f64) -> Link {
        Link {
            id: LinkId(id),
            a: NodeId(a),
            b: NodeId(b),
            direction: Direction::Both,
            latency: LatencyModel::Constant { ms },
            loss: 0.0,
            duplicate: 0.0,
            ordering: Ordering::Fifo,
        }
    }

    /// 0 —(10)— 1 —(10)— 2, and a slow direct link 0 —(50)— 2.
    fn triangle() -> Network {
        Network::new(
            3,
            vec![
                link(0, 0, 1, 10.0),
                link(1, 1, 2, 10.0),
                link(2, 0, 2, 50.0),
            ],
            vec![true; 3],
        )
    }

    #[test]
    fn routes_take_the_fastest_path_and_follow_cuts() {
        let mut net = triangle();
        let up = [true; 3];
        assert_eq!(
            net.next_hop(NodeId(0), NodeId(2), &up),
            Some((LinkId(0), NodeId(1)))
        );
        net.cut(
            LinkCut {
                link: LinkId(1),
                from: NodeId(1),
            },
            0,
        );
        assert_eq!(
            net.next_hop(NodeId(0), NodeId(2), &up),
            Some((LinkId(2), NodeId(2)))
        );
        net.heal(
            LinkCut {
                link: LinkId(1),
                from: NodeId(1),
            },
            0,
        );
        assert_eq!(
            net.next_hop(NodeId(0), NodeId(2), &up),
            Some((LinkId(0), NodeId(1)))
        );
    }

    /// The routing weights are worked out once per change of the network: a slowed link
    /// must re-route at once, and its restoring must route back.
    #[test]
    fn routes_follow_a_change_of_latency_and_its_end() {
        let mut net = triangle();
        let up = [true; 3];
        let slow_first_hop = crate::fault::LinkChange {
            link: LinkId(0),
            latency_factor: Some(10.0),
            loss: None,
            duplicate: None,
        };
        assert_eq!(
            net.next_hop(NodeId(0), NodeId(2), &up),
            Some((LinkId(0), NodeId(1)))
        );
        net.change_link(&slow_first_hop, 7);
        assert_eq!(
            net.next_hop(NodeId(0), NodeId(2), &up),
            Some((LinkId(2), NodeId(2))),
            "100 ms + 10 ms through node 1 is slower than the direct 50 ms"
        );
        net.restore_link(LinkId(0), 7);
        assert_eq!(
            net.next_hop(NodeId(0), NodeId(2), &up),
            Some((LinkId(0), NodeId(1)))
        );
    }

    #[test]
    fn clients_do_not_forward_but_can_be_reached() {
        let mut net = Network::new(
            3,
            vec![
                link(0, 0, 1, 10.0),
                link(1, 1, 2, 10.0),
                link(2, 0, 2, 50.0),
            ],
            vec![true, false, true],
        );
        let up = [true; 3];
        assert_eq!(
            net.next_hop(NodeId(0), NodeId(2), &up),
            Some((LinkId(2), NodeId(2))),
            "not through client 1"
        );
        assert_eq!(
            net.next_hop(NodeId(0), NodeId(1), &up),
            Some((LinkId(0), NodeId(1)))
        );
        assert_eq!(
            net.next_hop(NodeId(1), NodeId(2), &up),
            Some((LinkId(1), NodeId(2))),
            "a client still sends"
        );
    }

    #[test]
    fn halted_nodes_do_not_forward_but_can_be_reached() {
        let mut net = triangle();
        let up = [true, false, true];
        assert_eq!(
            net.next_hop(NodeId(0), NodeId(2), &up),
            Some((LinkId(2), NodeId(2)))
        );
        assert_eq!(
            net.next_hop(NodeId(0), NodeId(1), &up),
            Some((LinkId(0), NodeId(1)))
        );
    }

    #[test]
    fn no_live_path_means_unreachable() {
        let mut net = triangle();
        net.cut(
            LinkCut {
                link: LinkId(0),
                from: NodeId(0),
            },
            0,
        );
        net.cut(
            LinkCut {
                link: LinkId(2),
                from: NodeId(0),
            },
            0,
        );
        assert_eq!(net.next_hop(NodeId(0), NodeId(2), &[true; 3]), None);
        // The other direction is still live, and its fastest path is through node 1.
        assert_eq!(
            net.next_hop(NodeId(2), NodeId(0), &[true; 3]),
            Some((LinkId(1), NodeId(1)))
        );
    }

    #[test]
    fn overlapping_cuts_each_end_their_own() {
        let mut net = triangle();
        let cut = LinkCut {
            link: LinkId(0),
            from: NodeId(0),
        };
        net.cut(cut, 1);
        net.cut(cut, 2);
        net.heal(cut, 1);
        assert!(!net.is_live(LinkId(0), NodeId(0)), "fault 2 still cuts it");
        net.heal(cut, 1);
        assert!(
            !net.is_live(LinkId(0), NodeId(0)),
            "ending fault 1 twice ends nothing more"
        );
        net.heal(cut, 2);
        assert!(net.is_live(LinkId(0), NodeId(0)));
        // A heal ends every cut; an older cut's end afterwards leaves a newer cut alone.
        net.cut(cut, 3);
        net.heal_link(LinkId(0));
        net.cut(cut, 4);
        net.heal(cut, 3);
        assert!(!net.is_live(LinkId(0), NodeId(0)), "fault 4's cut stands");
    }

    #[test]
    fn fifo_links_never_let_a_message_overtake() {
        let mut net = triangle();
        let first = net.arrival_time(LinkId(0), NodeId(0), Time::ZERO, 30_000);
        let second = net.arrival_time(LinkId(0), NodeId(0), Time::from_us(1), 5_000);
        assert!(second >= first);
        // The opposite direction has its own queue.
        let back = net.arrival_time(LinkId(0), NodeId(1), Time::from_us(1), 5_000);
        assert_eq!(back, Time::from_us(5_001));
    }
}
