//! The system's shape: nodes, links, and each link's latency, loss and ordering.
//!
//! These are the compiled, index-based forms of what a scenario file names by string id.

use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A node's index in the scenario's node list.
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct NodeId(pub u32);

impl NodeId {
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A link's index in the scenario's link list.
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct LinkId(pub u32);

impl LinkId {
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// What a node is for.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// Holds data and runs the scenario's protocol.
    Replica,
    /// Sends requests to replicas; runs no protocol of its own.
    Client,
}

/// A node as the engine and the UI see it.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub id: NodeId,
    /// The name the scenario gave it, used in the trace and the UI.
    pub name: String,
    pub kind: NodeKind,
    /// Position on the canvas; the engine ignores it.
    pub x: f64,
    pub y: f64,
}

/// Which ways a link carries messages.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Both ways, each direction with its own in-flight queue.
    #[default]
    Both,
    /// Only from `a` to `b`.
    OneWay,
}

/// Whether a link keeps the order in which messages were sent.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ordering {
    /// A message never overtakes an earlier one in the same direction, as over TCP.
    #[default]
    Fifo,
    /// Each message's delay is drawn independently, so later ones may arrive first.
    Reorder,
}

/// How long a message takes to cross a link, in milliseconds.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LatencyModel {
    /// Always the same delay.
    Constant { ms: f64 },
    /// Uniform between `min_ms` and `max_ms`.
    Uniform { min_ms: f64, max_ms: f64 },
    /// Normal around `mean_ms` with standard deviation `jitter_ms`, never below zero.
    Normal { mean_ms: f64, jitter_ms: f64 },
    /// `min_ms` plus an exponential tail with mean `tail_ms`: mostly fast, sometimes very slow.
    LongTail { min_ms: f64, tail_ms: f64 },
}

impl LatencyModel {
    /// Draws one delay, in microseconds.
    pub fn sample_us(&self, rng: &mut Rng) -> u64 {
        let ms = match *self {
            LatencyModel::Constant { ms } => ms,
            LatencyModel::Uniform { min_ms, max_ms } => rng.uniform(min_ms, max_ms),
            LatencyModel::Normal { mean_ms, jitter_ms } => rng.normal(mean_ms, jitter_ms),
            LatencyModel::LongTail { min_ms, tail_ms } => min_ms + rng.exponential(tail_ms),
        };
        crate::time::ms_to_us(ms)
    }

    /// The expected delay in microseconds; routing prefers paths with the smallest sum.
    pub fn mean_us(&self) -> u64 {
        let ms = match *self {
            LatencyModel::Constant { ms } => ms,
            LatencyModel::Uniform { min_ms, max_ms } => (min_ms + max_ms) / 2.0,
            LatencyModel::Normal { mean_ms, .. } => mean_ms,
            LatencyModel::LongTail { min_ms, tail_ms } => min_ms + tail_ms,
        };
        crate::time::ms_to_us(ms)
    }

    /// Every number of the model with its field name, for validation.
    pub fn parameters(&self) -> Vec<(&'static str, f64)> {
        match *self {
            LatencyModel::Constant { ms } => vec![("ms", ms)],
            LatencyModel::Uniform { min_ms, max_ms } => {
                vec![("min_ms", min_ms), ("max_ms", max_ms)]
            }
            LatencyModel::Normal { mean_ms, jitter_ms } => {
                vec![("mean_ms", mean_ms), ("jitter_ms", jitter_ms)]
            }
            LatencyModel::LongTail { min_ms, tail_ms } => {
                vec![("min_ms", min_ms), ("tail_ms", tail_ms)]
            }
        }
    }
}

/// A link between two nodes, with its configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub id: LinkId,
    pub a: NodeId,
    pub b: NodeId,
    pub direction: Direction,
    pub latency: LatencyModel,
    /// Probability that a message crossing the link is lost, in `[0, 1]`.
    pub loss: f64,
    /// Probability that a message crossing the link arrives twice, in `[0, 1]`.
    pub duplicate: f64,
    pub ordering: Ordering,
}

impl Link {
    /// Whether the link can carry a message from `from` to `to` by its configuration
    /// (ignoring cuts).
    pub fn carries(&self, from: NodeId, to: NodeId) -> bool {
        (self.a == from && self.b == to)
            || (self.direction == Direction::Both && self.b == from && self.a == to)
    }

    /// 0 for the `a → b` direction, 1 for `b → a`.
    pub fn direction_index(&self, from: NodeId) -> usize {
        usize::from(from != self.a)
    }

    pub fn other_end(&self, node: NodeId) -> NodeId {
        if node == self.a {
            self.b
        } else {
            self.a
        }
    }
}

/// The compiled topology of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Topology {
    pub nodes: Vec<Node>,
    pub links: Vec<Link>,
}

impl Topology {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    pub fn replicas(&self) -> Vec<NodeId> {
        self.nodes
            .iter()
            .filter(|node| node.kind == NodeKind::Replica)
            .map(|node| node.id)
            .collect()
    }

    pub fn name(&self, id: NodeId) -> &str {
        &self.nodes[id.index()].name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_samples_stay_in_their_range() {
        let mut rng = Rng::from_seed(3);
        let uniform = LatencyModel::Uniform {
            min_ms: 5.0,
            max_ms: 15.0,
        };
        assert!((0..1000).all(|_| (5_000..=15_000).contains(&uniform.sample_us(&mut rng))));
        let normal = LatencyModel::Normal {
            mean_ms: 1.0,
            jitter_ms: 5.0,
        };
        // A wide normal goes negative often; the sample clamps to zero rather than wrapping.
        assert!((0..1000).all(|_| normal.sample_us(&mut rng) < 40_000));
        let tail = LatencyModel::LongTail {
            min_ms: 2.0,
            tail_ms: 10.0,
        };
        assert!((0..1000).all(|_| tail.sample_us(&mut rng) >= 2_000));
        assert_eq!(
            LatencyModel::Constant { ms: 7.5 }.sample_us(&mut rng),
            7_500
        );
    }

    #[test]
    fn one_way_links_carry_one_direction_only() {
        let link = Link {
            id: LinkId(0),
            a: NodeId(0),
            b: NodeId(1),
            direction: Direction::OneWay,
            latency: LatencyModel::Constant { ms: 1.0 },
            loss: 0.0,
            duplicate: 0.0,
            ordering: Ordering::Fifo,
        };
        assert!(link.carries(NodeId(0), NodeId(1)));
        assert!(!link.carries(NodeId(1), NodeId(0)));
        let both = Link {
            direction: Direction::Both,
            ..link
        };
        assert!(both.carries(NodeId(1), NodeId(0)));
        assert_eq!(both.direction_index(NodeId(1)), 1);
    }
}
