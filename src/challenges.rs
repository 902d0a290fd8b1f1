//! The design challenges the page offers, and a student's work on one: the evaluation in
//! progress, the scorecard, and every attempt graded so far for the trade-off view.
//!
//! Challenge files are data (`challenges/ID.json`, read by `dsplay_sim::challenge`); the
//! grader (`dsplay_sim::grade`) runs in the worker. This module holds what the page keeps
//! between renders, as plain Rust with native tests: which challenge an address opens, the
//! scenario it starts from, and the [`Work`] reducer.

use crate::presets;
use dsplay_sim::challenge::{Challenge, Characteristic};
use dsplay_sim::grade::Scorecard;
use dsplay_sim::Scenario;
use std::rc::Rc;

/// Every challenge file, in the index's order.
pub const CHALLENGE_FILES: &[(&str, &str)] = &[
    (
        "password-service",
        include_str!("../challenges/password-service.json"),
    ),
    (
        "dns-directory",
        include_str!("../challenges/dns-directory.json"),
    ),
    (
        "comment-thread",
        include_str!("../challenges/comment-thread.json"),
    ),
    ("news-feed", include_str!("../challenges/news-feed.json")),
    (
        "order-ledger",
        include_str!("../challenges/order-ledger.json"),
    ),
    (
        "game-leaderboard",
        include_str!("../challenges/game-leaderboard.json"),
    ),
    (
        "shopping-cart",
        include_str!("../challenges/shopping-cart.json"),
    ),
    (
        "rolling-upgrade",
        include_str!("../challenges/rolling-upgrade.json"),
    ),
];

/// Every challenge that reads. (The native tests make sure that is all of them.)
pub fn catalogue() -> Vec<Challenge> {
    CHALLENGE_FILES
        .iter()
        .filter_map(|(_, text)| Challenge::from_json(text).ok())
        .collect()
}

/// A challenge's file text, by id (the worker gets the file as it is).
pub fn file_text(id: &str) -> Option<&'static str> {
    CHALLENGE_FILES
        .iter()
        .find(|(known, _)| *known == id)
        .map(|(_, text)| *text)
}

/// The challenge an address asks for (`challenge=ID`), or the sentence saying why it
/// cannot be opened. `Ok(None)`: the address asks for none.
pub fn from_query(query: &str) -> Result<Option<Rc<Challenge>>, String> {
    let Some((_, id)) = presets::query_pairs(query).find(|(name, _)| *name == "challenge") else {
        return Ok(None);
    };
    let text = file_text(id).ok_or_else(|| {
        format!(
            "There is no challenge called \"{}\"; the challenges index lists them all.",
            id.chars().take(40).collect::<String>()
        )
    })?;
    Challenge::from_json(text)
        .map(|challenge| Some(Rc::new(challenge)))
        .map_err(|err| format!("The challenge cannot be read: {err}"))
}

/// Whether an address asks for the challenges index.
pub fn wants_index(query: &str) -> bool {
    presets::query_pairs(query).any(|(name, _)| name == "challenges")
}

/// The scenario a challenge opens with: a shared design (a student's answer a teacher
/// opens) brought under the challenge's rules, or the challenge's starting design with
/// its first grading seed.
pub fn opening_scenario(challenge: &Challenge, shared: Option<&Scenario>) -> Scenario {
    match shared {
        Some(scenario) => challenge.conform(scenario),
        // A challenge that loaded has a starting design that makes a valid scenario.
        None => challenge.assemble(
            &challenge.start,
            &challenge.clients,
            challenge.grading.first_seed,
        ),
    }
}

/// One graded design, for the trade-off view.
#[derive(Clone, Debug, PartialEq)]
pub struct Attempt {
    /// Counted from 1 in the order graded.
    pub number: usize,
    /// The scenario graded (its design is what was graded; restoring puts it back).
    pub scenario: Scenario,
    pub scorecard: Scorecard,
}

/// Where an evaluation stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Evaluation {
    #[default]
    Idle,
    /// Runs done of the most the grading may take.
    Running { done: u64, total: u64 },
    /// The scorecard of the design evaluated last.
    Graded(Scorecard),
    /// The design breaks the constraints: every problem.
    Refused(Vec<String>),
    /// It could not be graded (or was cancelled), with the sentence that says why.
    Failed(String),
}

/// A student's work on a challenge.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Work {
    pub evaluation: Evaluation,
    pub attempts: Vec<Attempt>,
    /// What the worst seed shown last shows (on screen while the workbench shows it).
    pub showing: Option<String>,
}

/// What happens to the work.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Started,
    Progress {
        done: u64,
        total: u64,
    },
    /// A scorecard for the scenario that was evaluated.
    Graded(Box<Scenario>, Scorecard),
    Refused(Vec<String>),
    Failed(String),
    Cancelled,
    /// A miss's worst seed is in the playground, with its sentence.
    Showing(String),
}

impl Work {
    pub fn hear(&mut self, step: Step) {
        match step {
            Step::Started => {
                self.evaluation = Evaluation::Running { done: 0, total: 0 };
                self.showing = None;
            }
            Step::Progress { done, total } => {
                if matches!(self.evaluation, Evaluation::Running { .. }) {
                    self.evaluation = Evaluation::Running { done, total };
                }
            }
            Step::Graded(scenario, scorecard) => {
                self.attempts.push(Attempt {
                    number: self.attempts.len() + 1,
                    scenario: *scenario,
                    scorecard: scorecard.clone(),
                });
                self.evaluation = Evaluation::Graded(scorecard);
            }
            Step::Refused(problems) => self.evaluation = Evaluation::Refused(problems),
            Step::Failed(message) => self.evaluation = Evaluation::Failed(message),
            Step::Cancelled => {
                self.evaluation = Evaluation::Failed("The evaluation was cancelled.".into())
            }
            Step::Showing(sentence) => self.showing = Some(sentence),
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self.evaluation, Evaluation::Running { .. })
    }
}

impl yew::Reducible for Work {
    type Action = Step;

    fn reduce(self: Rc<Self>, step: Step) -> Rc<Self> {
        let mut next = (*self).clone();
        next.hear(step);
        Rc::new(next)
    }
}

/// The trade-off view: one column per requirement, one row per attempt, each cell the
/// figure and whether it met the threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct TradeOffs {
    /// The requirements' characteristics, as column headings.
    pub columns: Vec<&'static str>,
    pub rows: Vec<TradeOffRow>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TradeOffRow {
    pub number: usize,
    pub design: String,
    pub cells: Vec<(String, bool)>,
    pub passed: bool,
}

pub fn trade_offs(challenge: &Challenge, attempts: &[Attempt]) -> TradeOffs {
    TradeOffs {
        columns: challenge
            .requirements
            .iter()
            .map(|requirement| requirement.characteristic().name())
            .collect(),
        rows: attempts
            .iter()
            .rev()
            .map(|attempt| TradeOffRow {
                number: attempt.number,
                design: attempt.scorecard.design.clone(),
                cells: attempt
                    .scorecard
                    .rows
                    .iter()
                    .map(|row| (row.figure.clone(), row.met))
                    .collect(),
                passed: attempt.scorecard.passed,
            })
            .collect(),
    }
}

/// The index's groups: each characteristic with the challenges mainly about it.
pub fn index_groups(challenges: &[Challenge]) -> Vec<(Characteristic, Vec<&Challenge>)> {
    Characteristic::ALL
        .into_iter()
        .map(|characteristic| {
            (
                characteristic,
                challenges
                    .iter()
                    .filter(|challenge| challenge.about == characteristic)
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, found)| !found.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsplay_sim::challenge::Design;

    #[test]
    fn every_challenge_file_reads_and_opens_with_a_scenario_that_runs() {
        let challenges = catalogue();
        assert_eq!(challenges.len(), CHALLENGE_FILES.len());
        for (challenge, (id, _)) in challenges.iter().zip(CHALLENGE_FILES) {
            assert_eq!(challenge.id, *id);
            let scenario = opening_scenario(challenge, None);
            assert!(scenario.compile().is_ok(), "{id}");
            assert!(
                challenge
                    .design_problems(&Design::from_scenario(&scenario))
                    .is_empty(),
                "{id}"
            );
            assert_eq!(challenge.conform(&scenario), scenario, "{id}");
        }
        // Every file in the folder is offered.
        let on_disk = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/challenges"))
            .unwrap()
            .count();
        assert_eq!(on_disk, CHALLENGE_FILES.len());
    }

    #[test]
    fn an_address_opens_a_challenge_or_says_why_not() {
        assert_eq!(from_query("?preset=gossip-ring"), Ok(None));
        let opened = from_query("?challenge=news-feed").unwrap().unwrap();
        assert_eq!(opened.id, "news-feed");
        let err = from_query("?challenge=moon-base").unwrap_err();
        assert!(err.contains("no challenge called \"moon-base\""), "{err}");
        assert!(wants_index("?challenges"));
        assert!(!wants_index("?challenge=news-feed"));
    }

    #[test]
    fn a_shared_design_opens_under_the_rules() {
        let challenge = from_query("?challenge=password-service").unwrap().unwrap();
        let mut shared = opening_scenario(&challenge, None);
        shared.nodes[1].x += 200.0; // a client moved
        let opened = opening_scenario(&challenge, Some(&shared));
        assert_eq!(opened, opening_scenario(&challenge, None));
    }

    #[test]
    fn work_keeps_each_graded_attempt_and_the_trade_off_view_lists_them_newest_first() {
        let challenge = from_query("?challenge=password-service").unwrap().unwrap();
        let scenario = opening_scenario(&challenge, None);
        let scorecard = dsplay_sim::grade::grade(
            &challenge,
            &Design::from_scenario(&scenario),
            &mut |_, _| true,
        )
        .unwrap();
        let mut work = Work::default();
        work.hear(Step::Started);
        assert!(work.is_running());
        work.hear(Step::Progress { done: 3, total: 9 });
        assert_eq!(work.evaluation, Evaluation::Running { done: 3, total: 9 });
        work.hear(Step::Graded(Box::new(scenario.clone()), scorecard.clone()));
        work.hear(Step::Started);
        work.hear(Step::Cancelled);
        assert!(matches!(work.evaluation, Evaluation::Failed(_)));
        work.hear(Step::Graded(Box::new(scenario), scorecard));
        // A late progress report does not reopen a finished evaluation.
        work.hear(Step::Progress { done: 1, total: 2 });
        assert!(matches!(work.evaluation, Evaluation::Graded(_)));
        let view = trade_offs(&challenge, &work.attempts);
        assert_eq!(view.columns, vec!["Consistency", "Fault tolerance"]);
        assert_eq!(
            view.rows.iter().map(|row| row.number).collect::<Vec<_>>(),
            vec![2, 1]
        );
        assert_eq!(
            view.rows[0].cells[1],
            ("survives 0 crashes".to_string(), false)
        );
        assert!(!view.rows[0].passed);
    }

    #[test]
    fn the_index_groups_challenges_by_what_they_are_about() {
        let challenges = catalogue();
        let groups = index_groups(&challenges);
        assert_eq!(groups.len(), Characteristic::ALL.len());
        let listed: usize = groups.iter().map(|(_, found)| found.len()).sum();
        assert_eq!(listed, challenges.len());
    }
}
