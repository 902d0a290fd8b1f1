//! Editing a scenario by hand: nodes, links, the protocol, workloads and the seed, with
//! undo and redo.
//!
//! Every edit produces a whole new scenario. An edit that cannot make sense (a name taken
//! twice, a link to nothing) is refused and changes nothing. A scenario on its way to
//! being runnable is fine, though: an empty canvas, or a client not yet linked, is a
//! normal step of building a system; the page runs the scenario once the engine's
//! validation accepts it and shows its problems until then. Edits that only move nodes
//! leave the run alone (the engine ignores positions); every other edit restarts it from
//! time zero with the same seed, keeping the fault schedule.

use dsplay_sim::protocols::ProtocolConfig;
use dsplay_sim::scenario::{LinkSpec, NodeSpec};
use dsplay_sim::topology::{Direction, LatencyModel, NodeKind, Ordering};
use dsplay_sim::workload::WorkloadSpec;
use dsplay_sim::Scenario;

use crate::layout;
use crate::scene::Point;

/// One change to the scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// A new node at a position; it gets the next free name (`r4`, `c2`...).
    AddNode {
        kind: NodeKind,
        x: f64,
        y: f64,
    },
    MoveNode {
        node: usize,
        x: f64,
        y: f64,
    },
    /// Removes the node, its links, and the faults and typed operations that name it.
    RemoveNode {
        node: usize,
    },
    Rename {
        node: usize,
        name: String,
    },
    /// A two-way link with a default latency of 20–40 ms.
    Link {
        a: usize,
        b: usize,
    },
    RemoveLink {
        link: usize,
    },
    SetLink {
        link: usize,
        spec: LinkSpec,
    },
    SetProtocol(ProtocolConfig),
    SetWorkload {
        node: usize,
        workload: Option<WorkloadSpec>,
    },
    SetSeed(u64),
    /// Places every node evenly on a circle.
    CircleLayout {
        centre_x: f64,
        centre_y: f64,
        radius: f64,
    },
    /// Spreads the nodes by a force layout (links pull, nodes push apart) inside a square
    /// of side `size` around the centre.
    ForceLayout {
        centre_x: f64,
        centre_y: f64,
        size: f64,
    },
    /// Moves a scheduled fault so it starts at `at_ms`, keeping its length.
    MoveFault {
        fault: usize,
        at_ms: f64,
    },
    /// Takes a fault out of the schedule.
    RemoveFault {
        fault: usize,
    },
    /// Puts a whole other scenario in place (a counterexample a search found, say); it
    /// must compile, so a bad one changes nothing.
    Replace(Box<Scenario>),
}

/// What an edit does to the run.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RunEffect {
    /// Nothing: only positions changed, which the engine ignores.
    Keep,
    /// The fault schedule changed: the run is recomputed and shown at the same time.
    Recompute,
    /// The system changed: the run starts again from time zero with the same seed.
    Restart,
}

impl RunEffect {
    /// What going from scenario `from` to `to` does to the run, whatever edits led there
    /// (an undo or redo knows only the two scenarios).
    pub fn between(from: &Scenario, to: &Scenario) -> RunEffect {
        let mut moved = from.clone();
        for (node, placed) in moved.nodes.iter_mut().zip(&to.nodes) {
            (node.x, node.y) = (placed.x, placed.y);
        }
        if moved == *to {
            return RunEffect::Keep;
        }
        moved.faults.clone_from(&to.faults);
        if moved == *to {
            RunEffect::Recompute
        } else {
            RunEffect::Restart
        }
    }
}

impl Edit {
    /// What the edit does to the run.
    pub fn run_effect(&self) -> RunEffect {
        match self {
            Edit::MoveNode { .. } | Edit::CircleLayout { .. } | Edit::ForceLayout { .. } => {
                RunEffect::Keep
            }
            Edit::MoveFault { .. } | Edit::RemoveFault { .. } => RunEffect::Recompute,
            _ => RunEffect::Restart,
        }
    }
}

/// The scenario being edited, with its undo and redo stacks.
#[derive(Clone, Debug)]
pub struct Editor {
    scenario: Scenario,
    undo: Vec<Scenario>,
    redo: Vec<Scenario>,
}

/// How many edits can be undone.
pub const UNDO_DEPTH: usize = 100;

impl Editor {
    pub fn new(scenario: Scenario) -> Editor {
        Editor {
            scenario,
            undo: Vec::new(),
            redo: Vec::new(),
        }
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Applies `edit`, remembering the previous scenario for undo.
    pub fn apply(&mut self, edit: &Edit) -> Result<(), String> {
        let next = edited(&self.scenario, edit)?;
        self.push_undo();
        self.scenario = next;
        Ok(())
    }

    /// Applies `edit` without a new undo step (the moves of one drag share one step,
    /// taken with [`Editor::checkpoint`] when the drag starts).
    pub fn apply_transient(&mut self, edit: &Edit) -> Result<(), String> {
        self.scenario = edited(&self.scenario, edit)?;
        Ok(())
    }

    /// Remembers the current scenario as an undo step.
    pub fn checkpoint(&mut self) {
        self.push_undo();
    }

    /// Replaces the scenario (for example with the player's, which holds live faults).
    pub fn replace(&mut self, scenario: Scenario) {
        self.scenario = scenario;
    }

    fn push_undo(&mut self) {
        self.undo.push(self.scenario.clone());
        if self.undo.len() > UNDO_DEPTH {
            self.undo.remove(0);
        }
        self.redo.clear();
    }

    pub fn undo(&mut self) -> bool {
        match self.undo.pop() {
            Some(previous) => {
                self.redo
                    .push(std::mem::replace(&mut self.scenario, previous));
                true
            }
            None => false,
        }
    }

    pub fn redo(&mut self) -> bool {
        match self.redo.pop() {
            Some(next) => {
                self.undo.push(std::mem::replace(&mut self.scenario, next));
                true
            }
            None => false,
        }
    }
}

/// The scenario after `edit`, validated; an error leaves the caller's scenario as it was.
pub fn edited(scenario: &Scenario, edit: &Edit) -> Result<Scenario, String> {
    let mut next = scenario.clone();
    let node_name = |index: usize| {
        scenario
            .nodes
            .get(index)
            .map(|node| node.id.clone())
            .ok_or_else(|| format!("there is no node number {index}"))
    };
    match edit {
        Edit::AddNode { kind, x, y } => {
            let prefix = if *kind == NodeKind::Replica { "r" } else { "c" };
            let id = (1..)
                .map(|n| format!("{prefix}{n}"))
                .find(|id| !scenario.nodes.iter().any(|node| &node.id == id))
                .unwrap_or_default();
            let workload = (*kind == NodeKind::Client).then(WorkloadSpec::default);
            next.nodes.push(NodeSpec {
                id,
                kind: *kind,
                x: *x,
                y: *y,
                workload,
            });
        }
        Edit::MoveNode { node, x, y } => {
            let spec = next
                .nodes
                .get_mut(*node)
                .ok_or_else(|| format!("there is no node number {node}"))?;
            spec.x = *x;
            spec.y = *y;
        }
        Edit::RemoveNode { node } => {
            let name = node_name(*node)?;
            next.nodes.remove(*node);
            next.links.retain(|link| link.a != name && link.b != name);
            next.faults.retain_mut(|fault| {
                let names = fault.fault.node_names_mut();
                !names.iter().any(|named| **named == name)
            });
            next.operations.retain(|op| op.client != name);
            // Clients left with no replica get no link; validation below says so.
        }
        Edit::Rename { node, name } => {
            let old = node_name(*node)?;
            let name = name.trim().to_string();
            if !dsplay_sim::scenario::is_valid_id(&name) {
                return Err(format!(
                    "\"{name}\" is not a valid name: use 1 to 32 letters, digits, '_', '-' or '.'"
                ));
            }
            if scenario
                .nodes
                .iter()
                .enumerate()
                .any(|(index, other)| index != *node && other.id == name)
            {
                return Err(format!("another node is already called \"{name}\""));
            }
            next.nodes[*node].id = name.clone();
            for link in &mut next.links {
                for end in [&mut link.a, &mut link.b] {
                    if *end == old {
                        end.clone_from(&name);
                    }
                }
            }
            for fault in &mut next.faults {
                for named in fault.fault.node_names_mut() {
                    if *named == old {
                        named.clone_from(&name);
                    }
                }
            }
            for op in &mut next.operations {
                if op.client == old {
                    op.client.clone_from(&name);
                }
            }
        }
        Edit::Link { a, b } => {
            let (a, b) = (node_name(*a)?, node_name(*b)?);
            if a == b {
                return Err("a link joins two different nodes".into());
            }
            if scenario
                .links
                .iter()
                .any(|link| (link.a == a && link.b == b) || (link.a == b && link.b == a))
            {
                return Err(format!("{a} and {b} are already linked"));
            }
            next.links.push(LinkSpec {
                a,
                b,
                direction: Direction::Both,
                latency: LatencyModel::Uniform {
                    min_ms: 20.0,
                    max_ms: 40.0,
                },
                loss: 0.0,
                duplicate: 0.0,
                ordering: Ordering::Fifo,
            });
        }
        Edit::RemoveLink { link } => {
            if *link >= next.links.len() {
                return Err(format!("there is no link number {link}"));
            }
            next.links.remove(*link);
        }
        Edit::SetLink { link, spec } => {
            let slot = next
                .links
                .get_mut(*link)
                .ok_or_else(|| format!("there is no link number {link}"))?;
            *slot = spec.clone();
        }
        Edit::SetProtocol(protocol) => next.protocol = protocol.clone(),
        Edit::SetWorkload { node, workload } => {
            let spec = next
                .nodes
                .get_mut(*node)
                .ok_or_else(|| format!("there is no node number {node}"))?;
            spec.workload = workload.clone();
        }
        Edit::SetSeed(seed) => next.seed = *seed,
        Edit::CircleLayout {
            centre_x,
            centre_y,
            radius,
        } => {
            let centre = Point {
                x: *centre_x,
                y: *centre_y,
            };
            let placed = layout::circle(next.nodes.len(), centre, *radius);
            place(&mut next, &placed);
        }
        Edit::ForceLayout {
            centre_x,
            centre_y,
            size,
        } => {
            let start = crate::scene::node_points(&next);
            let index = |name: &str| next.nodes.iter().position(|node| node.id == name);
            let edges: Vec<(usize, usize)> = next
                .links
                .iter()
                .filter_map(|link| Some((index(&link.a)?, index(&link.b)?)))
                .collect();
            let centre = Point {
                x: *centre_x,
                y: *centre_y,
            };
            let placed = layout::force(&start, &edges, centre, *size);
            place(&mut next, &placed);
        }
        Edit::MoveFault { fault, at_ms } => {
            let spec = next
                .faults
                .get_mut(*fault)
                .ok_or_else(|| format!("there is no fault number {fault}"))?;
            if !(at_ms.is_finite() && *at_ms >= 0.0 && *at_ms < scenario.duration_ms) {
                return Err(format!(
                    "a fault must start between 0 and the end of the run ({} ms), not at {at_ms} ms",
                    scenario.duration_ms
                ));
            }
            let shift_ms = at_ms - spec.at_ms;
            spec.at_ms = *at_ms;
            if let Some(until_ms) = spec.until_ms.as_mut() {
                *until_ms += shift_ms;
            }
        }
        Edit::RemoveFault { fault } => {
            if *fault >= next.faults.len() {
                return Err(format!("there is no fault number {fault}"));
            }
            next.faults.remove(*fault);
        }
        Edit::Replace(scenario) => {
            scenario.compile().map_err(|err| err.to_string())?;
            next = (**scenario).clone();
        }
    }
    Ok(next)
}

/// The nodes `node` could be linked to: every other node not linked to it yet, by index
/// and name, in scenario order.
pub fn link_candidates(scenario: &Scenario, node: usize) -> Vec<(usize, String)> {
    let Some(name) = scenario.nodes.get(node).map(|spec| &spec.id) else {
        return Vec::new();
    };
    let linked = |other: &str| {
        scenario.links.iter().any(|link| {
            (link.a == *name && link.b == other) || (link.b == *name && link.a == other)
        })
    };
    scenario
        .nodes
        .iter()
        .enumerate()
        .filter(|(index, other)| *index != node && !linked(&other.id))
        .map(|(index, other)| (index, other.id.clone()))
        .collect()
}

/// A seed as typed: a whole number from 0 to 2^64 − 1.
pub fn parse_seed(text: &str) -> Result<u64, String> {
    let text = text.trim();
    text.parse::<u64>().map_err(|_| {
        format!(
            "A seed is a whole number from 0 to {}; \"{text}\" is not.",
            u64::MAX
        )
    })
}

/// Moves every node to its new position.
fn place(scenario: &mut Scenario, positions: &[Point]) {
    for (node, point) in scenario.nodes.iter_mut().zip(positions) {
        node.x = point.x;
        node.y = point.y;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed() -> Scenario {
        Scenario::from_json(crate::presets::find("sequential-feed").unwrap().json).unwrap()
    }

    #[test]
    fn new_nodes_get_the_next_free_name_and_links_join_them() {
        let mut editor = Editor::new(feed());
        editor
            .apply(&Edit::AddNode {
                kind: NodeKind::Replica,
                x: 10.0,
                y: 20.0,
            })
            .unwrap();
        let added = editor.scenario().nodes.last().unwrap().clone();
        assert_eq!(added.id, "r5");
        let index = editor.scenario().nodes.len() - 1;
        editor.apply(&Edit::Link { a: 0, b: index }).unwrap();
        assert!(editor
            .scenario()
            .links
            .iter()
            .any(|link| link.a == "r1" && link.b == "r5"));
        let again = editor.apply(&Edit::Link { a: index, b: 0 }).unwrap_err();
        assert_eq!(again, "r5 and r1 are already linked");
    }

    #[test]
    fn a_client_added_alone_is_kept_but_not_runnable_until_linked() {
        let mut editor = Editor::new(feed());
        editor
            .apply(&Edit::AddNode {
                kind: NodeKind::Client,
                x: 0.0,
                y: 0.0,
            })
            .unwrap();
        let error = editor.scenario().compile().unwrap_err().to_string();
        assert!(
            error.contains("client \"c1\" is linked to no replica"),
            "{error}"
        );
        let client = editor.scenario().nodes.len() - 1;
        editor.apply(&Edit::Link { a: client, b: 0 }).unwrap();
        assert!(editor.scenario().compile().is_ok());
    }

    #[test]
    fn a_refused_edit_changes_nothing() {
        let mut editor = Editor::new(feed());
        assert!(editor.apply(&Edit::Link { a: 0, b: 0 }).is_err());
        assert!(editor.apply(&Edit::RemoveLink { link: 99 }).is_err());
        assert_eq!(editor.scenario(), &feed());
        assert!(!editor.can_undo());
    }

    #[test]
    fn an_empty_canvas_is_a_valid_place_to_start() {
        let mut empty = feed();
        empty.nodes.clear();
        empty.links.clear();
        let mut editor = Editor::new(empty);
        for x in [100.0, 300.0, 500.0] {
            editor
                .apply(&Edit::AddNode {
                    kind: NodeKind::Replica,
                    x,
                    y: 100.0,
                })
                .unwrap();
        }
        editor
            .apply(&Edit::AddNode {
                kind: NodeKind::Client,
                x: 300.0,
                y: 300.0,
            })
            .unwrap();
        for (a, b) in [(0, 1), (1, 2), (0, 2), (3, 1)] {
            editor.apply(&Edit::Link { a, b }).unwrap();
        }
        let names: Vec<&str> = editor
            .scenario()
            .nodes
            .iter()
            .map(|node| node.id.as_str())
            .collect();
        assert_eq!(names, ["r1", "r2", "r3", "c1"]);
        assert!(editor.scenario().compile().is_ok());
    }

    #[test]
    fn renaming_follows_links_faults_and_operations() {
        let mut scenario = feed();
        scenario.faults.push(dsplay_sim::fault::FaultSpec {
            at_ms: 1.0,
            until_ms: None,
            fault: dsplay_sim::fault::FaultKindSpec::Crash { node: "r1".into() },
        });
        let mut editor = Editor::new(scenario);
        editor
            .apply(&Edit::Rename {
                node: 0,
                name: "seq".into(),
            })
            .unwrap();
        let renamed = editor.scenario();
        assert!(renamed
            .links
            .iter()
            .all(|link| link.a != "r1" && link.b != "r1"));
        assert!(renamed.links.iter().any(|link| link.a == "seq"));
        assert_eq!(
            renamed.faults[0].fault,
            dsplay_sim::fault::FaultKindSpec::Crash { node: "seq".into() }
        );
        let clash = editor
            .apply(&Edit::Rename {
                node: 0,
                name: "r2".into(),
            })
            .unwrap_err();
        assert_eq!(clash, "another node is already called \"r2\"");
        let bad = editor
            .apply(&Edit::Rename {
                node: 0,
                name: "two words".into(),
            })
            .unwrap_err();
        assert!(bad.contains("is not a valid name"), "{bad}");
    }

    #[test]
    fn removing_a_node_takes_its_links_and_faults_with_it() {
        let mut scenario = feed();
        scenario.faults.push(dsplay_sim::fault::FaultSpec {
            at_ms: 1.0,
            until_ms: None,
            fault: dsplay_sim::fault::FaultKindSpec::Crash { node: "r3".into() },
        });
        let mut editor = Editor::new(scenario);
        editor.apply(&Edit::RemoveNode { node: 5 }).unwrap();
        editor.apply(&Edit::RemoveNode { node: 2 }).unwrap();
        assert!(editor.scenario().faults.is_empty());
        assert!(editor
            .scenario()
            .links
            .iter()
            .all(|link| link.a != "r3" && link.b != "r3"));
    }

    #[test]
    fn undo_and_redo_walk_the_history_of_edits() {
        let mut editor = Editor::new(feed());
        editor.apply(&Edit::SetSeed(99)).unwrap();
        editor.checkpoint();
        editor
            .apply_transient(&Edit::MoveNode {
                node: 0,
                x: 1.0,
                y: 2.0,
            })
            .unwrap();
        editor
            .apply_transient(&Edit::MoveNode {
                node: 0,
                x: 3.0,
                y: 4.0,
            })
            .unwrap();
        assert!(editor.undo(), "one step undoes the whole drag");
        assert_eq!(editor.scenario().nodes[0].x, feed().nodes[0].x);
        assert!(editor.undo());
        assert_eq!(editor.scenario().seed, feed().seed);
        assert!(!editor.undo());
        assert!(editor.redo());
        assert_eq!(editor.scenario().seed, 99);
        editor.apply(&Edit::SetSeed(5)).unwrap();
        assert!(!editor.can_redo(), "a new edit clears the redo stack");
        assert_eq!(
            Edit::MoveNode {
                node: 0,
                x: 0.0,
                y: 0.0
            }
            .run_effect(),
            RunEffect::Keep
        );
        assert_eq!(Edit::SetSeed(1).run_effect(), RunEffect::Restart);
        assert_eq!(
            Edit::MoveFault {
                fault: 0,
                at_ms: 0.0
            }
            .run_effect(),
            RunEffect::Recompute
        );
    }

    #[test]
    fn the_effect_of_going_between_two_scenarios_is_the_least_the_change_needs() {
        let before = feed();
        let mut moved = before.clone();
        moved.nodes[0].x += 50.0;
        assert_eq!(RunEffect::between(&before, &moved), RunEffect::Keep);
        let mut faulted = moved.clone();
        faulted.faults.push(dsplay_sim::fault::FaultSpec {
            at_ms: 1_000.0,
            until_ms: None,
            fault: dsplay_sim::fault::FaultKindSpec::HealAll {},
        });
        assert_eq!(RunEffect::between(&before, &faulted), RunEffect::Recompute);
        let mut reseeded = faulted.clone();
        reseeded.seed += 1;
        assert_eq!(RunEffect::between(&faulted, &reseeded), RunEffect::Restart);
        let mut fewer = before.clone();
        fewer.nodes.pop();
        assert_eq!(RunEffect::between(&before, &fewer), RunEffect::Restart);
    }

    #[test]
    fn moving_a_fault_keeps_its_length_and_bad_moves_change_nothing() {
        let mut scenario = feed();
        scenario.faults = vec![dsplay_sim::fault::FaultSpec {
            at_ms: 2_000.0,
            until_ms: Some(5_000.0),
            fault: dsplay_sim::fault::FaultKindSpec::Crash { node: "r1".into() },
        }];
        let mut editor = Editor::new(scenario);
        editor
            .apply(&Edit::MoveFault {
                fault: 0,
                at_ms: 4_500.0,
            })
            .unwrap();
        let moved = &editor.scenario().faults[0];
        assert_eq!((moved.at_ms, moved.until_ms), (4_500.0, Some(7_500.0)));
        let before = editor.scenario().clone();
        for bad in [
            Edit::MoveFault {
                fault: 0,
                at_ms: -1.0,
            },
            Edit::MoveFault {
                fault: 0,
                at_ms: f64::NAN,
            },
            Edit::MoveFault {
                fault: 3,
                at_ms: 1.0,
            },
            Edit::RemoveFault { fault: 1 },
        ] {
            assert!(editor.apply(&bad).is_err(), "{bad:?}");
            assert_eq!(editor.scenario(), &before);
        }
        editor.apply(&Edit::RemoveFault { fault: 0 }).unwrap();
        assert!(editor.scenario().faults.is_empty());
        assert!(editor.undo());
        assert_eq!(editor.scenario(), &before);
    }

    #[test]
    fn a_node_can_be_linked_to_every_node_it_is_not_linked_to_yet() {
        let scenario = feed();
        let names = |node| -> Vec<String> {
            link_candidates(&scenario, node)
                .into_iter()
                .map(|(_, name)| name)
                .collect()
        };
        let editor = scenario
            .nodes
            .iter()
            .position(|node| node.id == "editor")
            .unwrap();
        let candidates = names(editor);
        assert!(!candidates.contains(&"editor".to_string()));
        assert!(!candidates.contains(&"r2".to_string()), "already linked");
        assert!(candidates.contains(&"r1".to_string()));
        assert!(link_candidates(&scenario, 99).is_empty());
    }

    #[test]
    fn seeds_are_whole_numbers() {
        assert_eq!(parse_seed(" 42 "), Ok(42));
        assert_eq!(parse_seed("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(
            parse_seed("-1").unwrap_err(),
            "A seed is a whole number from 0 to 18446744073709551615; \"-1\" is not."
        );
        assert!(parse_seed("4.5").is_err() && parse_seed("").is_err());
    }

    #[test]
    fn force_layout_places_every_node_apart() {
        let mut editor = Editor::new(feed());
        editor
            .apply(&Edit::ForceLayout {
                centre_x: 400.0,
                centre_y: 300.0,
                size: 400.0,
            })
            .unwrap();
        let nodes = &editor.scenario().nodes;
        for (index, a) in nodes.iter().enumerate() {
            for b in &nodes[index + 1..] {
                assert!((a.x - b.x).hypot(a.y - b.y) > 20.0, "{} and {}", a.id, b.id);
            }
        }
    }

    #[test]
    fn circle_layout_spreads_nodes_evenly() {
        let mut editor = Editor::new(feed());
        editor
            .apply(&Edit::CircleLayout {
                centre_x: 400.0,
                centre_y: 300.0,
                radius: 200.0,
            })
            .unwrap();
        let first = &editor.scenario().nodes[0];
        assert_eq!(
            (first.x, first.y),
            (400.0, 100.0),
            "the first node at the top"
        );
        assert!(editor.scenario().nodes.iter().all(|node| ((node.x - 400.0)
            .hypot(node.y - 300.0)
            - 200.0)
            .abs()
            < 1.0));
    }
}
