//! What one animation frame shows, in canvas pixels: plain data computed from the player.
//!
//! Geometry lives here, apart from the canvas calls in `draw.rs`, so it is tested natively.

use crate::player::{DropPlace, Player};
use dsplay_sim::fault::NodeCondition;
use dsplay_sim::trace::DropReason;
use dsplay_sim::{LinkId, NodeId, NodeKind, Scenario};

/// Radius of a node's circle, in CSS pixels, at full size.
pub const NODE_RADIUS: f64 = 22.0;
/// Nodes packed closely shrink down to this share of their full size, so a hundred of
/// them fit a canvas without piling up (see [`node_radius`]).
pub const MIN_NODE_SCALE: f64 = 0.4;
/// Below this share of full size, captions are left out (the node list and the
/// inspector still say them); zooming in brings them back. Results are always shown.
pub const LABELS_MIN_SCALE: f64 = 0.75;

/// The radius nodes are drawn at, given where they sit on the canvas: full size unless
/// two nodes sit so close that full-size circles would overlap, then small enough to
/// leave a gap (down to [`MIN_NODE_SCALE`]). Zooming in brings them back to full size.
///
/// Runs every frame, so the closest pair is found by a sweep along x (sorted once,
/// each point compared only with those less than the best distance to its left)
/// rather than by comparing every pair.
pub fn node_radius(positions: &[Point]) -> f64 {
    let mut sorted = positions.to_vec();
    sorted.sort_by(|a, b| a.x.total_cmp(&b.x));
    let mut closest = f64::INFINITY;
    for (index, a) in sorted.iter().enumerate() {
        for b in sorted[..index].iter().rev() {
            if a.x - b.x >= closest {
                break;
            }
            closest = closest.min((a.x - b.x).hypot(a.y - b.y));
        }
    }
    (closest * 0.4).clamp(NODE_RADIUS * MIN_NODE_SCALE, NODE_RADIUS)
}
/// How far the two directions of a link are drawn apart, so their messages don't overlap.
pub const LANE_OFFSET: f64 = 5.0;
/// How long a delayed copy's tail is, as a fraction of its link.
pub const DELAYED_TAIL: f64 = 0.25;
/// How long a drop mark stays visible, in virtual microseconds.
pub const DROP_MARK_US: u64 = 400_000;

/// Message colours by kind index; the legend uses the same list.
pub const PALETTE: [&str; 8] = [
    "#2b7bd9", "#e08a1e", "#2a9d5c", "#c2417a", "#7b5bd6", "#1c9aa8", "#b5892b", "#d2453c",
];

pub fn kind_colour(kind: usize) -> &'static str {
    PALETTE[kind % PALETTE.len()]
}

#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    pub fn lerp(self, to: Point, fraction: f64) -> Point {
        Point {
            x: self.x + (to.x - self.x) * fraction,
            y: self.y + (to.y - self.y) * fraction,
        }
    }

    /// This point moved `distance` to the right of the direction `from → to`.
    pub fn shifted_right(self, from: Point, to: Point, distance: f64) -> Point {
        let (dx, dy) = (to.x - from.x, to.y - from.y);
        let length = (dx * dx + dy * dy).sqrt();
        if length == 0.0 {
            return self;
        }
        Point {
            x: self.x - dy / length * distance,
            y: self.y + dx / length * distance,
        }
    }
}

/// Where the scenario places each node, in scenario coordinates, in node order.
pub fn node_points(scenario: &Scenario) -> Vec<Point> {
    scenario
        .nodes
        .iter()
        .map(|node| Point {
            x: node.x,
            y: node.y,
        })
        .collect()
}

/// The smallest and largest corners of the box around `points`; `None` for no points.
pub fn bounding_box(points: &[Point]) -> Option<(Point, Point)> {
    let first = *points.first()?;
    Some(points.iter().fold((first, first), |(low, high), point| {
        (
            Point {
                x: low.x.min(point.x),
                y: low.y.min(point.y),
            },
            Point {
                x: high.x.max(point.x),
                y: high.y.max(point.y),
            },
        )
    }))
}

/// Maps scenario coordinates onto the canvas, keeping proportions and a margin.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Fit {
    scale: f64,
    offset: Point,
}

impl Fit {
    /// Scenario coordinates are canvas pixels.
    pub const fn identity() -> Fit {
        Fit {
            scale: 1.0,
            offset: Point { x: 0.0, y: 0.0 },
        }
    }

    /// Zooms by `factor` keeping the scenario point under canvas point `at` in place.
    pub fn zoomed_at(&self, at: Point, factor: f64) -> Fit {
        let scale = (self.scale * factor).clamp(0.1, 10.0);
        let world = self.invert(at);
        Fit {
            scale,
            offset: Point {
                x: at.x - world.x * scale,
                y: at.y - world.y * scale,
            },
        }
    }

    /// Follows two fingers: the scenario point under their old midpoint goes under the new
    /// one, and the view scales by how much farther apart they are.
    pub fn pinched(&self, before: (Point, f64), after: (Point, f64)) -> Fit {
        let ((centre_before, spread_before), (centre_after, spread_after)) = (before, after);
        if spread_before <= 0.0 || spread_after <= 0.0 {
            return *self;
        }
        self.zoomed_at(centre_before, spread_after / spread_before)
            .panned(
                centre_after.x - centre_before.x,
                centre_after.y - centre_before.y,
            )
    }

    /// Moves the view by a canvas distance.
    pub fn panned(&self, dx: f64, dy: f64) -> Fit {
        Fit {
            scale: self.scale,
            offset: Point {
                x: self.offset.x + dx,
                y: self.offset.y + dy,
            },
        }
    }

    /// The scenario point under a canvas point.
    pub fn invert(&self, point: Point) -> Point {
        Point {
            x: (point.x - self.offset.x) / self.scale,
            y: (point.y - self.offset.y) / self.scale,
        }
    }

    /// Fits every point into `width × height` with `margin` pixels on each side, centred.
    pub fn new(points: &[Point], width: f64, height: f64, margin: f64) -> Fit {
        let Some((low, high)) = bounding_box(points) else {
            return Fit::identity();
        };
        let (min_x, min_y, max_x, max_y) = (low.x, low.y, high.x, high.y);
        let (span_x, span_y) = ((max_x - min_x).max(1.0), (max_y - min_y).max(1.0));
        let room_x = (width - 2.0 * margin).max(1.0);
        let room_y = (height - 2.0 * margin).max(1.0);
        // A lone node or a line of nodes would otherwise be blown up to fill the canvas.
        let scale = (room_x / span_x).min(room_y / span_y).min(2.0);
        // The bounding box's centre goes to the canvas's centre.
        let offset = Point {
            x: width / 2.0 - (min_x + max_x) / 2.0 * scale,
            y: height / 2.0 - (min_y + max_y) / 2.0 * scale,
        };
        Fit { scale, offset }
    }

    pub fn apply(&self, point: Point) -> Point {
        Point {
            x: point.x * self.scale + self.offset.x,
            y: point.y * self.scale + self.offset.y,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeShape {
    pub id: NodeId,
    pub selected: bool,
    /// For a client: its latest operation's result.
    pub result: Option<crate::player::ResultLabel>,
    pub at: Point,
    pub name: String,
    pub role: &'static str,
    pub kind: NodeKind,
    pub up: bool,
    /// Node faults in force (slow, byzantine...), drawn as marks on the node.
    pub condition: NodeCondition,
    /// The radius it is drawn at, in canvas pixels: [`NODE_RADIUS`], or less when nodes
    /// are packed closely on the canvas (see [`node_radius`]).
    pub radius: f64,
}

impl NodeShape {
    /// How much smaller than full size the node is drawn, from 1 down to [`MIN_NODE_SCALE`].
    pub fn scale(&self) -> f64 {
        self.radius / NODE_RADIUS
    }

    /// Half the width of the node's shape: its radius, or a client box's half width.
    pub fn half_width(&self) -> f64 {
        match self.kind {
            NodeKind::Replica => self.radius,
            NodeKind::Client => client_half_width(&self.name) * self.scale(),
        }
    }

    /// Half the height of the node's shape.
    pub fn half_height(&self) -> f64 {
        match self.kind {
            NodeKind::Replica => self.radius,
            NodeKind::Client => self.radius * 0.8,
        }
    }

    /// Whether there is room for the caption under the node.
    pub fn has_room_for_labels(&self) -> bool {
        self.scale() >= LABELS_MIN_SCALE
    }

    /// The words under a node: its role, or `down`, then every node fault in force, so
    /// that a fault shows in words as well as in shape and colour.
    pub fn caption(&self) -> String {
        if !self.up {
            return liveness(self.up, &self.condition).to_string();
        }
        let mut words = vec![self.role.to_string()];
        words.extend(condition_words(&self.condition));
        words.retain(|word| !word.is_empty());
        words.join(" · ")
    }
}

/// `up`, `down`, or `stopped for good` (after a fail-stop).
pub fn liveness(up: bool, condition: &NodeCondition) -> &'static str {
    match (up, condition.stopped_for_good) {
        (true, _) => "up",
        (false, true) => "stopped for good",
        (false, false) => "down",
    }
}

/// The node faults in force as short words: `slow`, `omission`, `clock skew`,
/// `byzantine (lie)`.
pub fn condition_words(condition: &NodeCondition) -> Vec<String> {
    let mut words = Vec::new();
    if condition.slow {
        words.push("slow".to_string());
    }
    if condition.omission {
        words.push("omission".to_string());
    }
    if condition.clock_skewed {
        words.push("clock skew".to_string());
    }
    if let Some(strategy) = condition.byzantine {
        words.push(format!("byzantine ({strategy})"));
    }
    words
}

#[derive(Clone, Debug, PartialEq)]
pub struct LinkShape {
    /// The link's index in the scenario.
    pub index: usize,
    pub a: Point,
    pub b: Point,
    /// Whether each direction (`a → b`, `b → a`) exists and is live.
    pub live: [bool; 2],
    pub one_way: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MessageDot {
    pub msg: dsplay_sim::MsgId,
    pub at: Point,
    /// Index into [`PALETTE`] (the kind's colour).
    pub colour_index: usize,
    pub duplicate: bool,
    /// One of the messages that served the operation the history view shows.
    pub highlighted: bool,
    /// Where a delayed copy's tail starts (behind it along the link), if it is delayed.
    pub tail: Option<Point>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DropShape {
    pub at: Point,
    /// 1 when fresh, fading to 0.
    pub opacity: f64,
    pub reason: DropReason,
}

/// Everything one frame draws.
#[derive(Clone, Debug, PartialEq)]
pub struct Scene {
    pub links: Vec<LinkShape>,
    pub nodes: Vec<NodeShape>,
    pub messages: Vec<MessageDot>,
    pub drops: Vec<DropShape>,
    /// A link being drawn by dragging from a node: from there to the pointer.
    pub rubber_band: Option<(Point, Point)>,
    /// A lasso being drawn around nodes to partition them off.
    pub lasso: Option<Vec<Point>>,
    /// A challenge's regions, drawn under everything.
    pub regions: Vec<RegionShape>,
}

/// A region of a challenge's map on the canvas.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionShape {
    pub name: String,
    pub top_left: Point,
    pub bottom_right: Point,
}

/// The regions of a challenge as `fit` places them on the canvas.
pub fn region_shapes(regions: &[dsplay_sim::challenge::Region], fit: &Fit) -> Vec<RegionShape> {
    regions
        .iter()
        .map(|region| RegionShape {
            name: region.name.clone(),
            top_left: fit.apply(Point {
                x: region.x,
                y: region.y,
            }),
            bottom_right: fit.apply(Point {
                x: region.x + region.width,
                y: region.y + region.height,
            }),
        })
        .collect()
}

/// The corners of a challenge's regions, for fitting the view to the whole map.
pub fn region_corners(regions: &[dsplay_sim::challenge::Region]) -> Vec<Point> {
    regions
        .iter()
        .flat_map(|region| {
            [
                Point {
                    x: region.x,
                    y: region.y,
                },
                Point {
                    x: region.x + region.width,
                    y: region.y + region.height,
                },
            ]
        })
        .collect()
}

/// The frame for `scenario` (positions from it, mapped by `fit`); with a player, at its
/// cursor, with roles, liveness and messages; without one, the topology alone.
pub fn build(
    scenario: &Scenario,
    player: Option<&Player>,
    fit: &Fit,
    selected: Option<NodeId>,
    highlight: &std::collections::BTreeSet<dsplay_sim::MsgId>,
) -> Scene {
    let position: Vec<Point> = scenario
        .nodes
        .iter()
        .map(|node| {
            fit.apply(Point {
                x: node.x,
                y: node.y,
            })
        })
        .collect();
    let at = |node: NodeId| position[node.index()];
    let index_of = |name: &str| {
        scenario
            .nodes
            .iter()
            .position(|node| node.id == name)
            .map(|index| NodeId(index as u32))
    };
    let engine = player.map(Player::engine);
    let labels = player.map(Player::result_labels).unwrap_or_default();
    let links = scenario
        .links
        .iter()
        .enumerate()
        .filter_map(|(index, link)| {
            let (a, b) = (index_of(&link.a)?, index_of(&link.b)?);
            let one_way = link.direction == dsplay_sim::topology::Direction::OneWay;
            let live = match engine {
                Some(engine) => [
                    engine.is_link_live(LinkId(index as u32), a),
                    one_way || engine.is_link_live(LinkId(index as u32), b),
                ],
                None => [true, true],
            };
            Some(LinkShape {
                index,
                a: at(a),
                b: at(b),
                live,
                one_way,
            })
        })
        .collect();
    let radius = node_radius(&position);
    let nodes = scenario
        .nodes
        .iter()
        .enumerate()
        .map(|(index, node)| {
            let id = NodeId(index as u32);
            NodeShape {
                id,
                selected: selected == Some(id),
                result: labels
                    .iter()
                    .find(|(client, _)| *client == id)
                    .map(|(_, label)| label.clone()),
                at: at(id),
                name: node.id.clone(),
                role: engine.map_or("", |engine| engine.role(id)),
                kind: node.kind,
                up: engine.is_none_or(|engine| engine.is_up(id)),
                condition: engine
                    .map_or_else(NodeCondition::default, |engine| engine.node_condition(id)),
                radius,
            }
        })
        .collect();
    let Some(player) = player else {
        return Scene {
            links,
            nodes,
            messages: Vec::new(),
            drops: Vec::new(),
            rubber_band: None,
            regions: Vec::new(),
            lasso: None,
        };
    };
    let time = player.cursor();
    let messages = player
        .flights()
        .active(time)
        .map(|flight| {
            let (from, to) = (at(flight.from), at(flight.to));
            let progress = flight.progress(time);
            let on_lane =
                |fraction: f64| from.lerp(to, fraction).shifted_right(from, to, LANE_OFFSET);
            MessageDot {
                msg: flight.msg,
                at: on_lane(progress),
                colour_index: flight.kind % PALETTE.len(),
                duplicate: flight.duplicate,
                highlighted: highlight.contains(&flight.msg),
                tail: flight
                    .delayed
                    .then(|| on_lane((progress - DELAYED_TAIL).max(0.0))),
            }
        })
        .collect();
    let drops = player
        .flights()
        .recent_drops(time, DROP_MARK_US)
        .iter()
        .map(|drop| DropShape {
            at: match drop.place {
                // Just outside the node's shape, on the side the message came from, so
                // the node does not hide it.
                DropPlace::Node { node, from } => {
                    let shape = &nodes[node.index()];
                    let centre = shape.at;
                    let towards = from
                        .map(at)
                        .filter(|other| *other != centre)
                        .unwrap_or(Point {
                            x: centre.x - 1.0,
                            y: centre.y + 1.0,
                        });
                    let (dx, dy) = (towards.x - centre.x, towards.y - centre.y);
                    let length = dx.hypot(dy);
                    // How far the shape reaches along that direction: its radius, or where
                    // the ray leaves a client's box.
                    let reach = match shape.kind {
                        NodeKind::Replica => shape.radius,
                        NodeKind::Client => (shape.half_width() * length / dx.abs().max(1e-9))
                            .min(shape.half_height() * length / dy.abs().max(1e-9)),
                    };
                    centre.lerp(towards, (reach + 8.0) / length)
                }
                DropPlace::OnLink { from, to, progress } => at(from)
                    .lerp(at(to), progress)
                    .shifted_right(at(from), at(to), LANE_OFFSET),
            },
            opacity: 1.0 - time.since_us(drop.time) as f64 / DROP_MARK_US as f64,
            reason: drop.reason,
        })
        .collect();
    Scene {
        links,
        nodes,
        messages,
        drops,
        rubber_band: None,
        regions: Vec::new(),
        lasso: None,
    }
}

/// The node under a point of the canvas (within its radius, or its box for a client).
pub fn node_at(scene: &Scene, point: Point) -> Option<NodeId> {
    scene
        .nodes
        .iter()
        .map(|node| (node, (node.at.x - point.x).hypot(node.at.y - point.y)))
        .filter(|(node, distance)| match node.kind {
            NodeKind::Replica => *distance <= node.radius + 4.0,
            NodeKind::Client => {
                (node.at.x - point.x).abs() <= node.half_width() + 4.0
                    && (node.at.y - point.y).abs() <= node.half_height() + 4.0
            }
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(node, _)| node.id)
}

/// Whether `point` lies inside the closed polygon `polygon` (ray casting).
pub fn inside(polygon: &[Point], point: Point) -> bool {
    let mut crossings = false;
    for (index, a) in polygon.iter().enumerate() {
        let b = polygon[(index + 1) % polygon.len()];
        if (a.y > point.y) != (b.y > point.y)
            && point.x < a.x + (point.y - a.y) / (b.y - a.y) * (b.x - a.x)
        {
            crossings = !crossings;
        }
    }
    crossings
}

/// The link drawn nearest a canvas point, within a few pixels of its line.
pub fn link_at(scene: &Scene, point: Point) -> Option<usize> {
    let distance = |link: &LinkShape| {
        let (dx, dy) = (link.b.x - link.a.x, link.b.y - link.a.y);
        let length_sq = dx * dx + dy * dy;
        let along = if length_sq == 0.0 {
            0.0
        } else {
            (((point.x - link.a.x) * dx + (point.y - link.a.y) * dy) / length_sq).clamp(0.0, 1.0)
        };
        let nearest = link.a.lerp(link.b, along);
        (nearest.x - point.x).hypot(nearest.y - point.y)
    };
    scene
        .links
        .iter()
        .map(|link| (link.index, distance(link)))
        .filter(|(_, distance)| *distance <= 6.0)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(index, _)| index)
}

/// The message copy drawn nearest a canvas point, within a few pixels of it.
pub fn message_at(scene: &Scene, point: Point) -> Option<dsplay_sim::MsgId> {
    scene
        .messages
        .iter()
        .map(|dot| (dot.msg, (dot.at.x - point.x).hypot(dot.at.y - point.y)))
        .filter(|(_, distance)| *distance <= 9.0)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(msg, _)| msg)
}

/// Half the width of a client's box: wide enough for its name (about 7.5 px a character).
pub fn client_half_width(name: &str) -> f64 {
    NODE_RADIUS.max(name.len() as f64 * 3.8 + 8.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::player::Player;
    use dsplay_sim::{Scenario, Time};

    #[test]
    fn fit_centres_and_keeps_proportions() {
        let points = [Point { x: 0.0, y: 0.0 }, Point { x: 200.0, y: 100.0 }];
        let fit = Fit::new(&points, 400.0, 400.0, 50.0);
        let (a, b) = (fit.apply(points[0]), fit.apply(points[1]));
        assert!(
            (b.x - a.x - 2.0 * (b.y - a.y)).abs() < 1e-9,
            "proportions kept"
        );
        assert!(
            (a.x - 50.0).abs() < 1e-9 && (b.x - 350.0).abs() < 1e-9,
            "fills the width inside the margin"
        );
        assert!(
            ((a.y + b.y) / 2.0 - 200.0).abs() < 1e-9,
            "centred vertically"
        );
        let lone = Fit::new(&[Point { x: 7.0, y: 7.0 }], 300.0, 200.0, 10.0);
        assert_eq!(
            lone.apply(Point { x: 7.0, y: 7.0 }),
            Point { x: 150.0, y: 100.0 }
        );
    }

    #[test]
    fn a_scenario_without_a_run_shows_its_topology() {
        let scenario = Scenario::from_json(crate::DEFAULT_SCENARIO).unwrap();
        let scene = build(&scenario, None, &Fit::identity(), None, &Default::default());
        assert_eq!(scene.nodes.len(), 5);
        assert_eq!(scene.links.len(), 7);
        assert!(scene.messages.is_empty() && scene.nodes.iter().all(|node| node.up));
        assert_eq!(
            scene.nodes[0].at,
            Point {
                x: scenario.nodes[0].x,
                y: scenario.nodes[0].y
            }
        );
        let fit = Fit::new(
            &[Point { x: 0.0, y: 0.0 }, Point { x: 100.0, y: 100.0 }],
            300.0,
            300.0,
            50.0,
        );
        let back = fit.invert(fit.apply(Point { x: 30.0, y: 70.0 }));
        assert!((back.x - 30.0).abs() < 1e-9 && (back.y - 70.0).abs() < 1e-9);
    }

    #[test]
    fn a_lasso_knows_what_it_encloses() {
        let square = [
            Point { x: 0.0, y: 0.0 },
            Point { x: 10.0, y: 0.0 },
            Point { x: 10.0, y: 10.0 },
            Point { x: 0.0, y: 10.0 },
        ];
        assert!(inside(&square, Point { x: 5.0, y: 5.0 }));
        assert!(!inside(&square, Point { x: 15.0, y: 5.0 }));
        assert!(!inside(&[], Point { x: 0.0, y: 0.0 }));
    }

    #[test]
    fn zooming_keeps_the_point_under_the_pointer_and_panning_moves_everything() {
        let fit = Fit::new(
            &[Point { x: 0.0, y: 0.0 }, Point { x: 100.0, y: 100.0 }],
            300.0,
            300.0,
            50.0,
        );
        let pointer = Point { x: 120.0, y: 80.0 };
        let before = fit.invert(pointer);
        let zoomed = fit.zoomed_at(pointer, 1.5);
        let after = zoomed.invert(pointer);
        assert!((before.x - after.x).abs() < 1e-9 && (before.y - after.y).abs() < 1e-9);
        let panned = zoomed.panned(10.0, -5.0);
        let moved = panned.apply(before);
        assert!(
            (moved.x - (pointer.x + 10.0)).abs() < 1e-9
                && (moved.y - (pointer.y - 5.0)).abs() < 1e-9
        );
    }

    #[test]
    fn pinching_zooms_around_the_fingers_and_follows_them() {
        let fit = Fit::identity();
        let (a, b) = (Point { x: 100.0, y: 100.0 }, Point { x: 200.0, y: 100.0 });
        let under = fit.invert(a.lerp(b, 0.5));
        let (c, d) = (Point { x: 90.0, y: 120.0 }, Point { x: 290.0, y: 120.0 });
        let pinched = fit.pinched((a.lerp(b, 0.5), 100.0), (c.lerp(d, 0.5), 200.0));
        let now_under = pinched.invert(c.lerp(d, 0.5));
        assert!((under.x - now_under.x).abs() < 1e-9 && (under.y - now_under.y).abs() < 1e-9);
        let one =
            pinched.apply(Point { x: 1.0, y: 0.0 }).x - pinched.apply(Point { x: 0.0, y: 0.0 }).x;
        assert!(
            (one - 2.0).abs() < 1e-9,
            "twice as far apart, twice the scale"
        );
        assert_eq!(fit.pinched((a, 0.0), (b, 10.0)), fit);
    }

    #[test]
    fn the_two_directions_of_a_link_use_separate_lanes() {
        let (a, b) = (Point { x: 0.0, y: 0.0 }, Point { x: 100.0, y: 0.0 });
        let there = a.lerp(b, 0.5).shifted_right(a, b, LANE_OFFSET);
        let back = b.lerp(a, 0.5).shifted_right(b, a, LANE_OFFSET);
        assert_eq!(
            there,
            Point {
                x: 50.0,
                y: LANE_OFFSET
            }
        );
        assert_eq!(
            back,
            Point {
                x: 50.0,
                y: -LANE_OFFSET
            }
        );
    }

    #[test]
    fn a_frame_shows_every_node_link_and_message_in_the_air() {
        let mut player =
            Player::new(Scenario::from_json(crate::DEFAULT_SCENARIO).unwrap()).unwrap();
        player.seek(Time::from_ms(5_000));
        let points = node_points(player.scenario());
        let fit = Fit::new(&points, 800.0, 600.0, NODE_RADIUS * 2.5);
        let scene = build(
            player.scenario(),
            Some(&player),
            &fit,
            Some(NodeId(2)),
            &Default::default(),
        );
        assert!(scene.nodes[2].selected && !scene.nodes[0].selected);
        assert_eq!(node_at(&scene, scene.nodes[2].at), Some(NodeId(2)));
        let beside = Point {
            x: scene.nodes[2].at.x + NODE_RADIUS * 0.9,
            y: scene.nodes[2].at.y,
        };
        assert_eq!(node_at(&scene, beside), Some(NodeId(2)));
        assert_eq!(node_at(&scene, Point { x: 1.0, y: 1.0 }), None);
        let dot = &scene.messages[0];
        assert_eq!(
            message_at(
                &scene,
                Point {
                    x: dot.at.x + 3.0,
                    y: dot.at.y
                }
            ),
            Some(dot.msg)
        );
        assert_eq!(message_at(&scene, Point { x: 1.0, y: 1.0 }), None);
        let link = &scene.links[3];
        let middle = link.a.lerp(link.b, 0.5);
        assert_eq!(
            link_at(
                &scene,
                Point {
                    x: middle.x + 2.0,
                    y: middle.y
                }
            ),
            Some(3)
        );
        assert_eq!(link_at(&scene, Point { x: 1.0, y: 1.0 }), None);
        assert_eq!(scene.nodes.len(), 5);
        assert_eq!(scene.links.len(), 7);
        assert_eq!(
            scene.messages.len(),
            player.flights().active(Time::from_ms(5_000)).count()
        );
        assert!(!scene.messages.is_empty());
        let crashed = scene.nodes.iter().find(|node| node.name == "n3").unwrap();
        assert!(!crashed.up, "n3 is down between 4 s and 7 s");
        for point in scene
            .nodes
            .iter()
            .map(|node| node.at)
            .chain(scene.messages.iter().map(|dot| dot.at))
        {
            assert!(
                (0.0..=800.0).contains(&point.x) && (0.0..=600.0).contains(&point.y),
                "{point:?} is off the canvas"
            );
        }
        assert!(scene
            .drops
            .iter()
            .all(|drop| (0.0..=1.0).contains(&drop.opacity)));
        // Drop marks are never hidden under a node, even those of messages that reached
        // the crashed n3.
        let mut seen = 0;
        for ms in (4_100..7_000).step_by(150) {
            player.seek(Time::from_ms(ms));
            let scene = build(
                player.scenario(),
                Some(&player),
                &fit,
                None,
                &Default::default(),
            );
            for drop in &scene.drops {
                seen += 1;
                for node in &scene.nodes {
                    let inside = (drop.at.x - node.at.x).abs() <= node.half_width()
                        && (drop.at.y - node.at.y).abs() <= node.half_height();
                    assert!(!inside, "a drop under {}", node.name);
                }
            }
        }
        assert!(seen > 0);
    }

    #[test]
    fn packed_nodes_shrink_and_hits_follow_their_size() {
        let scenario = crate::presets::scenario("stress-grid");
        let points = node_points(&scenario);
        let fit = Fit::new(&points, 900.0, 450.0, NODE_RADIUS * 2.5);
        let scene = build(&scenario, None, &fit, None, &Default::default());
        let node = &scene.nodes[0];
        assert!(node.radius < NODE_RADIUS && node.radius >= NODE_RADIUS * MIN_NODE_SCALE);
        assert!(!node.has_room_for_labels());
        // Neighbours on the grid no longer overlap.
        let gap = (scene.nodes[1].at.x - scene.nodes[0].at.x).abs();
        assert!(
            gap > 2.0 * node.radius,
            "{gap} px apart, radius {}",
            node.radius
        );
        let just_outside = Point {
            x: node.at.x + node.radius + 6.0,
            y: node.at.y,
        };
        assert_ne!(node_at(&scene, just_outside), Some(node.id));
        let full = build(&scenario, None, &Fit::identity(), None, &Default::default());
        assert_eq!(full.nodes[0].radius, NODE_RADIUS);
        assert!(full.nodes[0].has_room_for_labels());
        // A small scenario zoomed out keeps its captions while its nodes have room.
        let feed = crate::presets::scenario("sequential-feed");
        let small = Fit::new(&node_points(&feed), 700.0, 300.0, NODE_RADIUS * 2.5);
        let scene = build(&feed, None, &small, None, &Default::default());
        assert!(
            scene.nodes[0].has_room_for_labels(),
            "{}",
            scene.nodes[0].radius
        );
    }

    #[test]
    fn the_closest_pair_sweep_agrees_with_comparing_every_pair() {
        let mut rng = dsplay_sim::rng::Rng::from_seed(7);
        for count in [2, 3, 10, 60] {
            let points: Vec<Point> = (0..count)
                .map(|_| Point {
                    x: rng.uniform(0.0, 300.0),
                    y: rng.uniform(0.0, 300.0),
                })
                .collect();
            let mut closest = f64::INFINITY;
            for (index, a) in points.iter().enumerate() {
                for b in &points[index + 1..] {
                    closest = closest.min((a.x - b.x).hypot(a.y - b.y));
                }
            }
            let expected = (closest * 0.4).clamp(NODE_RADIUS * MIN_NODE_SCALE, NODE_RADIUS);
            assert_eq!(node_radius(&points), expected, "{count} points");
        }
        assert_eq!(node_radius(&[]), NODE_RADIUS);
    }

    #[test]
    fn a_nodes_caption_names_its_faults_in_words() {
        let mut node = NodeShape {
            id: NodeId(0),
            selected: false,
            result: None,
            at: Point { x: 0.0, y: 0.0 },
            name: "r1".into(),
            role: "leader",
            kind: NodeKind::Replica,
            up: true,
            condition: NodeCondition::default(),
            radius: NODE_RADIUS,
        };
        assert_eq!(node.caption(), "leader");
        node.condition.slow = true;
        node.condition.byzantine = Some("lie");
        assert_eq!(node.caption(), "leader · slow · byzantine (lie)");
        node.up = false;
        assert_eq!(node.caption(), "down");
        node.condition.stopped_for_good = true;
        assert_eq!(node.caption(), "stopped for good");
    }

    #[test]
    fn copies_held_up_on_a_slowed_link_trail_a_tail() {
        let mut scenario = Scenario::from_json(crate::DEFAULT_SCENARIO).unwrap();
        scenario.faults = vec![dsplay_sim::fault::FaultSpec {
            at_ms: 1_000.0,
            until_ms: Some(5_000.0),
            fault: dsplay_sim::fault::FaultKindSpec::LinkChange {
                a: "n3".into(),
                b: "n4".into(),
                latency_factor: Some(5.0),
                loss: None,
                duplicate: None,
            },
        }];
        let mut player = Player::new(scenario).unwrap();
        let mut seen = (0, 0);
        for ms in (1_500..4_500).step_by(100) {
            player.seek(Time::from_ms(ms));
            let scene = build(
                player.scenario(),
                Some(&player),
                &Fit::identity(),
                None,
                &Default::default(),
            );
            for dot in &scene.messages {
                if dot.tail.is_some() {
                    seen.0 += 1;
                } else {
                    seen.1 += 1;
                }
            }
        }
        assert!(seen.0 > 0, "copies on the slowed link n3–n4 are delayed");
        assert!(seen.1 > seen.0, "most copies travel at the usual pace");
        let early: Vec<bool> = {
            player.seek(Time::from_ms(900));
            let scene = build(
                player.scenario(),
                Some(&player),
                &Fit::identity(),
                None,
                &Default::default(),
            );
            scene
                .messages
                .iter()
                .map(|dot| dot.tail.is_some())
                .collect()
        };
        assert!(
            early.iter().all(|delayed| !delayed),
            "none before the fault"
        );
    }
}
