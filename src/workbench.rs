//! The page's state as plain Rust: the scenario being edited and the run being played.
//!
//! The editor holds the scenario; the player runs it when the engine accepts it. A
//! scenario still being built (an empty canvas, a client not linked yet) has no player,
//! and the page shows its problems instead. Faults and operations injected into the run
//! flow back into the edited scenario, so later edits keep them.

use crate::editor::{Edit, Editor, RunEffect};
use crate::player::Player;
use crate::scene::Fit;
use dsplay_sim::challenge::Challenge;
use dsplay_sim::Scenario;

/// Why an edit of a challenge's clients is refused.
pub const FIXED_CLIENTS: &str = "The challenge fixes its clients: where they sit, their names and what they do stay as they are. Your design is the replicas, the model and the links.";
/// Why an edit of a link's settings is refused under a challenge.
pub const PRICED_LINKS: &str = "Under a challenge every link takes its latency, loss and ordering from the challenge's network; your design chooses which links exist.";
/// Why another edit the challenge's rules would undo entirely is refused.
pub const CHALLENGE_RULES: &str = "The challenge's rules keep this as it is: the clients are fixed and every link takes its settings from the challenge's network.";

/// The scenario being edited and, when it can run, its run.
#[derive(Debug)]
pub struct Workbench {
    editor: Editor,
    player: Option<Player>,
    /// Why the scenario cannot run yet.
    problem: Option<String>,
    /// Maps scenario coordinates to the canvas; kept steady while editing.
    pub view: Fit,
    speed: f64,
    /// Whether players get their verdicts from the page's worker (see
    /// `Player::set_background_checks`).
    background_checks: bool,
    /// A colour theme the address forced (`Some(true)` dark), else the system's.
    pub dark: Option<bool>,
    /// Messages the canvas picks out: those that served the operation last shown.
    pub highlight: std::collections::BTreeSet<dsplay_sim::MsgId>,
    /// The challenge whose regions the canvas draws and, while `rules` is on, whose rules
    /// every edit is brought under (`Challenge::conform`).
    challenge: Option<std::rc::Rc<Challenge>>,
    /// Off while a graded run is shown as it ran (a scaled design has more nodes than the
    /// challenge's rules allow).
    rules: bool,
    /// A graded run is on show (see [`Workbench::show_as_graded`]); the next edit, undo
    /// or redo ends it and puts the rules back.
    showing_graded: bool,
}

impl Workbench {
    pub fn new(scenario: Scenario) -> Workbench {
        let mut workbench = Workbench {
            editor: Editor::new(scenario),
            player: None,
            problem: None,
            view: Fit::identity(),
            speed: crate::player::DEFAULT_SPEED,
            highlight: Default::default(),
            dark: None,
            background_checks: false,
            challenge: None,
            rules: false,
            showing_graded: false,
        };
        workbench.rebuild(true);
        workbench
    }

    pub fn scenario(&self) -> &Scenario {
        self.player
            .as_ref()
            .map_or(self.editor.scenario(), Player::scenario)
    }

    pub fn player(&self) -> Option<&Player> {
        self.player.as_ref()
    }

    pub fn player_mut(&mut self) -> Option<&mut Player> {
        self.player.as_mut()
    }

    /// Sets the playback speed, for this run and the runs that follow edits.
    pub fn set_speed(&mut self, speed: f64) {
        self.speed = speed;
        if let Some(player) = &mut self.player {
            player.set_speed(speed);
        }
    }

    /// Has this run and the runs that follow edits get their verdicts from elsewhere.
    pub fn set_background_checks(&mut self, background: bool) {
        self.background_checks = background;
        if let Some(player) = &mut self.player {
            player.set_background_checks(background);
        }
    }

    /// Puts every later edit under `challenge`'s rules (see `Challenge::conform`); the
    /// scenario given to [`Workbench::new`] is expected to be under them already.
    pub fn set_challenge(&mut self, challenge: Option<std::rc::Rc<Challenge>>) {
        self.rules = challenge.is_some();
        let judged = challenge
            .as_ref()
            .and_then(|challenge| challenge.judged_kind());
        self.challenge = challenge;
        if let Some(player) = &mut self.player {
            player.set_judged_as(judged);
        }
    }

    /// Shows a run as the grader ran it, the challenge's rules off (they would take away
    /// what a requirement added: a scaled design's extra nodes). The next edit, undo or
    /// redo puts the rules back. Nothing changes if the scenario is refused.
    pub fn show_as_graded(&mut self, scenario: Scenario) -> Result<(), String> {
        self.sync_from_player();
        self.editor.apply(&Edit::Replace(Box::new(scenario)))?;
        self.rules = false;
        self.showing_graded = true;
        self.after_edit(RunEffect::Restart);
        Ok(())
    }

    /// Whether a graded run is on show.
    pub fn is_showing_graded(&self) -> bool {
        self.showing_graded
    }

    /// Ends the show of a graded run: the challenge's rules apply again.
    fn end_showing(&mut self) {
        if self.showing_graded {
            self.showing_graded = false;
            self.rules = self.challenge.is_some();
        }
    }

    /// Why the challenge's rules refuse `edit`, before it is tried.
    fn refusal(&self, challenge: &Challenge, edit: &Edit) -> Option<&'static str> {
        let scenario = self.editor.scenario();
        let fixed = |index: usize| {
            scenario
                .nodes
                .get(index)
                .is_some_and(|node| challenge.clients.iter().any(|client| client.id == node.id))
        };
        match edit {
            Edit::AddNode {
                kind: dsplay_sim::NodeKind::Client,
                ..
            } => Some(FIXED_CLIENTS),
            Edit::MoveNode { node, .. }
            | Edit::RemoveNode { node }
            | Edit::Rename { node, .. }
            | Edit::SetWorkload { node, .. }
                if fixed(*node) =>
            {
                Some(FIXED_CLIENTS)
            }
            Edit::SetLink { .. } => Some(PRICED_LINKS),
            _ => None,
        }
    }

    pub fn challenge(&self) -> Option<&Challenge> {
        self.challenge.as_deref()
    }

    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    pub fn editor(&self) -> &Editor {
        &self.editor
    }

    /// Shows operation `op` (by engine index): pauses at the moment its first message is
    /// in flight and picks out, on the canvas, the messages that served it.
    pub fn show_operation(&mut self, op: u32) -> Result<dsplay_sim::Time, String> {
        let player = self
            .player
            .as_mut()
            .ok_or("The system cannot run yet, so it has no operations to show.")?;
        let operation = player
            .engine()
            .operations()
            .into_iter()
            .find(|operation| operation.index == op)
            .ok_or_else(|| format!("There is no operation number {op} in this run."))?;
        // Which messages served it is only known once it completed: look from its end.
        let end = operation
            .complete
            .as_ref()
            .map_or(player.cursor(), |(time, _)| *time);
        let back = player.cursor();
        player.pause();
        player.seek(end.max(back));
        let (served, moment) = crate::history_view::served_by(player.engine(), &operation);
        player.seek(moment);
        self.highlight = served;
        Ok(moment)
    }

    /// Fits the view to the nodes on a canvas of `width × height`.
    pub fn fit_view(&mut self, width: f64, height: f64) {
        let mut points = crate::scene::node_points(self.scenario());
        if let Some(challenge) = &self.challenge {
            points.extend(crate::scene::region_corners(&challenge.regions));
        }
        self.view = Fit::new(&points, width, height, crate::scene::NODE_RADIUS * 2.5);
    }

    /// Applies an edit: positions keep the run, a changed fault schedule recomputes it
    /// and shows it at the same time, anything else restarts it from time zero.
    pub fn edit(&mut self, edit: &Edit) -> Result<(), String> {
        self.sync_from_player();
        self.end_showing();
        if let Some(challenge) = self.challenge.clone().filter(|_| self.rules) {
            if let Some(reason) = self.refusal(&challenge, edit) {
                return Err(reason.into());
            }
            // Any other edit the rules would undo entirely is refused with the reason too,
            // not silently dropped.
            let before = self.editor.scenario().clone();
            let edited = crate::editor::edited(&before, edit)?;
            let shaped = challenge.conform(&edited);
            if shaped == before && edited != before {
                return Err(CHALLENGE_RULES.into());
            }
            // One undo step for the edit and what the rules made of it.
            self.editor.checkpoint();
            self.editor.replace(shaped);
            self.after_edit(RunEffect::between(&before, self.editor.scenario()));
            return Ok(());
        }
        self.editor.apply(edit)?;
        self.after_edit(edit.run_effect());
        Ok(())
    }

    /// Brings the edited scenario under the challenge's rules; whether that changed it.
    fn conform(&mut self) -> bool {
        let Some(challenge) = self.challenge.as_ref().filter(|_| self.rules) else {
            return false;
        };
        let shaped = challenge.conform(self.editor.scenario());
        let changed = shaped != *self.editor.scenario();
        if changed {
            self.editor.replace(shaped);
        }
        changed
    }

    /// Starts a gesture whose moves share one undo step.
    pub fn checkpoint(&mut self) {
        self.sync_from_player();
        self.editor.checkpoint();
    }

    /// A move during a drag: no undo step of its own, and the run goes on.
    pub fn drag(&mut self, node: usize, x: f64, y: f64) -> Result<(), String> {
        let before = self.rules.then(|| self.editor.scenario().clone());
        self.editor
            .apply_transient(&Edit::MoveNode { node, x, y })?;
        // Under a challenge a replica dragged into another region changes its links'
        // latency, and a client dragged snaps back.
        let effect = match before {
            Some(before) if self.conform() => RunEffect::between(&before, self.editor.scenario()),
            _ => RunEffect::Keep,
        };
        self.after_edit(effect);
        Ok(())
    }

    pub fn undo(&mut self) -> bool {
        self.step_history(Editor::undo)
    }

    pub fn redo(&mut self) -> bool {
        self.step_history(Editor::redo)
    }

    /// Undoes or redoes one edit; the run reacts as the change between the two scenarios
    /// needs (a fault moved back is recomputed at the same moment, like the move itself).
    fn step_history(&mut self, step: fn(&mut Editor) -> bool) -> bool {
        self.sync_from_player();
        self.end_showing();
        let before = self.editor.scenario().clone();
        let stepped = step(&mut self.editor);
        if stepped {
            self.after_edit(RunEffect::between(&before, self.editor.scenario()));
        }
        stepped
    }

    /// Brings live injections into the edited scenario before it changes.
    fn sync_from_player(&mut self) {
        if let Some(player) = &self.player {
            if player.scenario() != self.editor.scenario() {
                self.editor.replace(player.scenario().clone());
            }
        }
    }

    fn after_edit(&mut self, effect: RunEffect) {
        if effect != RunEffect::Keep {
            self.highlight.clear();
        }
        match effect {
            RunEffect::Keep => {
                if let Some(player) = &mut self.player {
                    player.set_positions(self.editor.scenario());
                }
            }
            RunEffect::Recompute => {
                // The same moment of the new run: a replay of the edited scenario from
                // zero up to the cursor, so what is shown is what a fresh run shows.
                let shown = self
                    .player
                    .as_ref()
                    .map(|player| (player.cursor(), player.is_playing()));
                self.rebuild(false);
                if let (Some(player), Some((cursor, playing))) = (&mut self.player, shown) {
                    player.seek(cursor);
                    if playing {
                        player.play();
                    }
                }
            }
            RunEffect::Restart => self.rebuild(false),
        }
    }

    /// A new run from time zero of the edited scenario, if it can run.
    fn rebuild(&mut self, autoplay: bool) {
        let scenario = self.editor.scenario().clone();
        let speed = self.player.as_ref().map_or(self.speed, Player::speed);
        self.speed = speed;
        match scenario.compile() {
            Ok(_) => match Player::new(scenario) {
                Ok(mut player) => {
                    player.set_speed(speed);
                    // Under a challenge the verdict judges what the challenge grades.
                    player.set_judged_as(
                        self.challenge
                            .as_ref()
                            .and_then(|challenge| challenge.judged_kind()),
                    );
                    player.set_background_checks(self.background_checks);
                    if !autoplay {
                        player.pause();
                    }
                    self.player = Some(player);
                    self.problem = None;
                }
                Err(error) => {
                    self.player = None;
                    self.problem = Some(error.to_string());
                }
            },
            Err(error) => {
                self.player = None;
                self.problem = Some(error.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsplay_sim::{NodeKind, Time};

    fn feed() -> Scenario {
        Scenario::from_json(crate::presets::find("sequential-feed").unwrap().json).unwrap()
    }

    /// A workbench on the feed with `node` crashed live at 2 s for `lasting_ms`.
    fn feed_with_crash(node: &str, lasting_ms: f64) -> Workbench {
        let mut bench = Workbench::new(feed());
        let player = bench.player_mut().unwrap();
        player.seek(Time::from_ms(2_000));
        player
            .inject(
                dsplay_sim::fault::FaultKindSpec::Crash { node: node.into() },
                Some(lasting_ms),
            )
            .unwrap();
        bench
    }

    #[test]
    fn under_a_challenge_the_live_verdict_judges_the_model_the_challenge_grades() {
        let challenge = crate::challenges::from_query("?challenge=comment-thread")
            .unwrap()
            .unwrap();
        // The starting design is eventual; the challenge grades causal consistency, and
        // seed 2 breaks it (the grader's worst seed).
        let mut scenario = crate::challenges::opening_scenario(&challenge, None);
        scenario.seed = 2;
        let mut bench = Workbench::new(scenario.clone());
        bench.set_challenge(Some(challenge.clone()));
        let player = bench.player_mut().unwrap();
        assert_eq!(player.judged_kind(), "causal");
        player.seek(Time::from_ms(20_000));
        let verdict = player.verdict();
        assert_eq!(verdict.model, "causal");
        assert_eq!(verdict.valid, Some(false), "{}", verdict.explanation);
        // An edit keeps judging causal; the playground alone judges eventual.
        bench.edit(&Edit::SetSeed(2)).unwrap();
        assert_eq!(bench.player().unwrap().judged_kind(), "causal");
        let plain = Workbench::new(scenario);
        assert_eq!(plain.player().unwrap().judged_kind(), "eventual");
    }

    #[test]
    fn under_a_challenge_every_edit_keeps_the_clients_fixed_and_links_priced_by_the_map() {
        let challenge = crate::challenges::from_query("?challenge=game-leaderboard")
            .unwrap()
            .unwrap();
        let mut bench = Workbench::new(crate::challenges::opening_scenario(&challenge, None));
        bench.set_challenge(Some(challenge.clone()));
        // A replica in Asia, linked to the one in America: the link takes the ocean's
        // latency whatever the editor's default.
        bench
            .edit(&Edit::AddNode {
                kind: NodeKind::Replica,
                x: 670.0,
                y: 250.0,
            })
            .unwrap();
        let added = bench.scenario().nodes.len() - 1;
        bench.edit(&Edit::Link { a: 0, b: added }).unwrap();
        let link = bench.scenario().links.last().unwrap();
        assert!(link.latency.mean_us() > 80_000, "{link:?}");
        // Dragging it to America makes the link local, and restarts the run on it.
        bench.checkpoint();
        bench.drag(added, 140.0, 300.0).unwrap();
        let link = bench.scenario().links.last().unwrap();
        assert!(link.latency.mean_us() < 15_000, "{link:?}");
        assert_eq!(bench.player().unwrap().cursor(), Time::ZERO);
        // A client added by hand goes; a client dragged snaps back.
        let nodes = bench.scenario().nodes.len();
        let refused = bench.edit(&Edit::AddNode {
            kind: NodeKind::Client,
            x: 10.0,
            y: 10.0,
        });
        assert_eq!(refused, Err(FIXED_CLIENTS.to_string()));
        assert_eq!(bench.scenario().nodes.len(), nodes);
        let client = bench
            .scenario()
            .nodes
            .iter()
            .position(|node| node.kind == NodeKind::Client)
            .unwrap();
        let placed = (
            bench.scenario().nodes[client].x,
            bench.scenario().nodes[client].y,
        );
        bench.drag(client, 500.0, 500.0).unwrap();
        let node = &bench.scenario().nodes[client];
        assert_eq!((node.x, node.y), placed);
        // Renaming a client, or typing a link's latency, is refused with the reason.
        let renamed = bench.edit(&Edit::Rename {
            node: client,
            name: "mallory".into(),
        });
        assert_eq!(renamed, Err(FIXED_CLIENTS.to_string()));
        let mut spec = bench.scenario().links[0].clone();
        spec.latency = dsplay_sim::topology::LatencyModel::Constant { ms: 0.1 };
        assert_eq!(
            bench.edit(&Edit::SetLink { link: 0, spec }),
            Err(PRICED_LINKS.to_string())
        );
        // Undo walks back through conformed scenarios.
        assert!(bench.undo());
        assert_eq!(challenge.conform(bench.scenario()), *bench.scenario());
        // A graded run is shown as it ran, extra clients and all, until the next edit.
        let mut graded = bench.scenario().clone();
        let mut extra = graded
            .nodes
            .iter()
            .find(|node| node.kind == NodeKind::Client)
            .unwrap()
            .clone();
        extra.id = "players-am.1".into();
        graded.nodes.push(extra);
        graded.links.push(dsplay_sim::scenario::LinkSpec {
            b: "players-am.1".into(),
            ..graded.links.last().unwrap().clone()
        });
        bench.show_as_graded(graded.clone()).unwrap();
        assert!(bench.is_showing_graded());
        assert_eq!(*bench.scenario(), graded);
        bench
            .edit(&Edit::SetSeed(bench.scenario().seed + 1))
            .unwrap();
        assert!(!bench.is_showing_graded());
        assert!(bench
            .scenario()
            .nodes
            .iter()
            .all(|node| node.id != "players-am.1"));
    }

    #[test]
    fn moving_a_node_keeps_the_run_and_other_edits_restart_it() {
        let mut bench = Workbench::new(feed());
        bench.player_mut().unwrap().seek(Time::from_ms(3_000));
        bench.checkpoint();
        bench.drag(0, 10.0, 10.0).unwrap();
        assert_eq!(
            bench.player().unwrap().cursor(),
            Time::from_ms(3_000),
            "a move does not restart"
        );
        assert_eq!(bench.scenario().nodes[0].x, 10.0);
        bench.edit(&Edit::SetSeed(5)).unwrap();
        assert_eq!(
            bench.player().unwrap().cursor(),
            Time::ZERO,
            "a new seed restarts the run"
        );
        assert_eq!(bench.scenario().seed, 5);
    }

    #[test]
    fn moving_a_fault_recomputes_the_run_at_the_same_moment() {
        let mut bench = feed_with_crash("r1", 2_000.0);
        bench.player_mut().unwrap().seek(Time::from_ms(6_000));
        bench
            .edit(&Edit::MoveFault {
                fault: 0,
                at_ms: 1_000.0,
            })
            .unwrap();
        let player = bench.player().unwrap();
        assert_eq!(player.cursor(), Time::from_ms(6_000), "the cursor stays");
        assert_eq!(
            (
                player.scenario().faults[0].at_ms,
                player.scenario().faults[0].until_ms
            ),
            (1_000.0, Some(3_000.0))
        );
        let mut fresh = Player::new(player.scenario().clone()).unwrap();
        fresh.seek(Time::from_ms(6_000));
        assert_eq!(player.status().fingerprint, fresh.status().fingerprint);
        // Undoing the move puts the fault back and keeps the moment too.
        assert!(bench.undo());
        let player = bench.player().unwrap();
        assert_eq!(player.cursor(), Time::from_ms(6_000));
        assert_eq!(player.scenario().faults[0].at_ms, 2_000.0);
    }

    #[test]
    fn a_scenario_being_built_has_no_run_but_says_why() {
        let mut empty = feed();
        empty.nodes.clear();
        empty.links.clear();
        let mut bench = Workbench::new(empty);
        assert!(bench.player().is_none());
        assert!(bench.problem().unwrap().contains("at least one node"));
        bench
            .edit(&Edit::AddNode {
                kind: NodeKind::Replica,
                x: 0.0,
                y: 0.0,
            })
            .unwrap();
        assert!(bench.player().is_some(), "one replica can run");
        bench
            .edit(&Edit::AddNode {
                kind: NodeKind::Client,
                x: 0.0,
                y: 50.0,
            })
            .unwrap();
        assert!(bench.problem().unwrap().contains("linked to no replica"));
        bench.edit(&Edit::Link { a: 1, b: 0 }).unwrap();
        assert!(bench.player().is_some() && bench.problem().is_none());
    }

    #[test]
    fn live_faults_survive_later_edits_and_undo_brings_back_the_scenario() {
        let mut bench = feed_with_crash("r2", 1_000.0);
        bench.edit(&Edit::SetSeed(11)).unwrap();
        assert_eq!(
            bench.scenario().faults.len(),
            1,
            "the injected crash is part of the edited scenario"
        );
        assert!(bench.undo());
        assert_eq!(bench.scenario().seed, feed().seed);
        assert_eq!(bench.scenario().faults.len(), 1);
        assert!(bench.redo());
        assert_eq!(bench.scenario().seed, 11);
    }
}
