//! The page's long jobs, as data: what the page asks ([`Job`]), what comes back
//! ([`Reply`]), and [`run`], which does the work with the engine and the checker.
//!
//! The page runs these in a Web Worker (`main.rs`) so that a search over hundreds of seeds
//! or five full runs never freezes it; messages are JSON text both ways. Nothing here
//! knows about the browser, so the jobs are tested natively, and a job gives the same
//! answer in the worker as here (the engine and checker are deterministic and count
//! steps, not time).

use dsplay_sim::compare::{check_models, compare_one, CompareRow};
use dsplay_sim::sweep::{find_counterexample, SearchOutcome};
use dsplay_sim::verdict::{first_violation, FirstViolation};
use dsplay_sim::{build, Scenario, Time};
use serde::{Deserialize, Serialize};

/// The most seeds one search may try: enough to find what a profile can show, few enough
/// that the page never promises a search of hours.
pub const MAX_SEARCH_SEEDS: u64 = 10_000;

/// What the page asks for. Scenarios travel as their JSON text and are validated again
/// here, like any file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    /// The scenario under each of 2 to 5 models, over its whole duration.
    Compare {
        scenario: String,
        models: Vec<String>,
    },
    /// Seeds `first_seed..first_seed + seeds` until one breaks the guarantee.
    Search {
        scenario: String,
        first_seed: u64,
        seeds: u64,
    },
    /// The moment the checker first finds the guarantee broken, after `after_ms`.
    FirstViolation {
        scenario: String,
        after_ms: f64,
        /// Judge the guarantee of this protocol kind instead of the scenario's own (a
        /// design challenge's consistency requirement).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        judged_as: Option<String>,
    },
    /// The checker's verdict on the history up to `until_ms` (the page's live verdict).
    Check {
        scenario: String,
        until_ms: f64,
        /// As for `FirstViolation`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        judged_as: Option<String>,
    },
    /// Runs the scenario to its end `repeat` times and says how many events each run
    /// processed and its fingerprint: `cargo xtask bench` times it to measure the engine
    /// in the browser against the native figures.
    Run { scenario: String, repeat: u32 },
    /// Grades a design (a scenario's JSON, as the page holds it) against a challenge
    /// (the challenge file's JSON) over its grading seeds.
    Grade { challenge: String, design: String },
    /// The answer the run gives to a lesson's question.
    Answer {
        scenario: String,
        ask: dsplay_sim::lesson::Ask,
    },
}

/// What comes back: any number of `Progress`, then one answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// The worker has loaded and takes jobs.
    Ready,
    Progress {
        done: u64,
        total: u64,
    },
    Compared {
        rows: Vec<CompareRow>,
    },
    /// A seed whose run breaks the guarantee: `scenario` (JSON) reproduces it exactly,
    /// and the checker first finds it broken at `moment_ms`.
    Found {
        seed: u64,
        scenario: String,
        moment_ms: f64,
        model: String,
        explanation: String,
    },
    NotFound {
        seeds: u64,
    },
    /// The first violation after the asked moment.
    Violation {
        moment_ms: f64,
        model: String,
        explanation: String,
        ops: Vec<u32>,
    },
    /// The verdict on the history up to the asked moment.
    Checked {
        valid: Option<bool>,
        model: String,
        explanation: String,
        ops: Vec<u32>,
    },
    /// What a `Run` did: events per run and the run's fingerprint.
    Ran {
        events: u64,
        fingerprint: String,
    },
    /// What the run shows, for a lesson's question.
    Answered {
        answer: dsplay_sim::lesson::Answer,
    },
    /// The scorecard of a graded design.
    Graded {
        scorecard: dsplay_sim::grade::Scorecard,
    },
    /// The design breaks the challenge's constraints: every problem, as a sentence.
    Refused {
        problems: Vec<String>,
    },
    /// No violation to go to, with the sentence that says why.
    NoViolation {
        message: String,
    },
    /// The job could not run, with the sentence that says why.
    Failed {
        message: String,
    },
}

fn load(text: &str) -> Result<Scenario, Reply> {
    Scenario::from_json(text).map_err(|err| Reply::Failed {
        message: format!("The scenario cannot be loaded: {err}"),
    })
}

/// Does `job`, calling `progress(done, total)` along the way; a `false` from it stops
/// the job (the worker itself is simply terminated on Cancel, but native callers and
/// tests can stop this way).
pub fn run(job: &Job, progress: &mut dyn FnMut(u64, u64) -> bool) -> Reply {
    match job {
        Job::Compare { scenario, models } => {
            let scenario = match load(scenario) {
                Ok(scenario) => scenario,
                Err(reply) => return reply,
            };
            let total = models.len() as u64;
            let mut rows = Vec::new();
            // The list is checked as `compare` checks it; then one model at a time, so
            // the page can show how far it got.
            if let Err(message) = check_models(models) {
                return Reply::Failed { message };
            }
            for (done, model) in models.iter().enumerate() {
                if !progress(done as u64, total) {
                    return Reply::Failed {
                        message: "The comparison was cancelled.".into(),
                    };
                }
                rows.push(compare_one(&scenario, model, None));
            }
            Reply::Compared { rows }
        }
        Job::Search {
            scenario,
            first_seed,
            seeds,
        } => {
            let scenario = match load(scenario) {
                Ok(scenario) => scenario,
                Err(reply) => return reply,
            };
            if !dsplay_sim::verdict::has_guarantee(scenario.protocol.kind()) {
                return Reply::Failed {
                    message: format!(
                        "The {} protocol promises no consistency model the checker can test, so no seed can break one.",
                        scenario.protocol.kind()
                    ),
                };
            }
            if *seeds == 0 || *seeds > MAX_SEARCH_SEEDS {
                return Reply::Failed {
                    message: format!("A search tries 1 to {MAX_SEARCH_SEEDS} seeds, not {seeds}."),
                };
            }
            let range = *first_seed..first_seed.saturating_add(*seeds);
            match find_counterexample(&scenario, range, &mut |done| progress(done, *seeds)) {
                SearchOutcome::Found {
                    seed,
                    scenario,
                    model,
                    explanation,
                    ..
                } => {
                    let moment_ms = match moment_of_first_violation(
                        &scenario,
                        scenario.protocol.kind(),
                        Time::ZERO,
                    ) {
                        Reply::Violation { moment_ms, .. } => moment_ms,
                        _ => 0.0,
                    };
                    Reply::Found {
                        seed,
                        scenario: scenario.to_json_pretty(),
                        moment_ms,
                        model,
                        explanation,
                    }
                }
                SearchOutcome::NotFound { seeds } => Reply::NotFound { seeds },
                SearchOutcome::Cancelled { .. } => Reply::Failed {
                    message: "The search was cancelled.".into(),
                },
            }
        }
        Job::Check {
            scenario,
            until_ms,
            judged_as,
        } => match load(scenario).and_then(|scenario| judged(scenario, judged_as)) {
            Ok((scenario, kind)) => check_until(&scenario, kind, Time::from_ms_f64(*until_ms)),
            Err(reply) => reply,
        },
        Job::Run { scenario, repeat } => match load(scenario) {
            Ok(scenario) => {
                let mut ran = Reply::Failed {
                    message: "A run is repeated 1 to 1,000 times.".into(),
                };
                if !(1..=1_000).contains(repeat) {
                    return ran;
                }
                for _ in 0..*repeat {
                    ran = match run_to(&scenario, None) {
                        Ok(engine) => Reply::Ran {
                            events: engine.stats().events,
                            fingerprint: engine.fingerprint().to_string(),
                        },
                        Err(reply) => return reply,
                    };
                }
                ran
            }
            Err(reply) => reply,
        },
        Job::Answer { scenario, ask } => match load(scenario) {
            Ok(scenario) => match dsplay_sim::lesson::answer(ask, &scenario) {
                Ok(answer) => Reply::Answered { answer },
                Err(message) => Reply::Failed {
                    message: format!("The run cannot answer this question: {message}"),
                },
            },
            Err(reply) => reply,
        },
        Job::Grade { challenge, design } => grade(challenge, design, progress),
        Job::FirstViolation {
            scenario,
            after_ms,
            judged_as,
        } => match load(scenario).and_then(|scenario| judged(scenario, judged_as)) {
            Ok((scenario, kind)) => {
                moment_of_first_violation(&scenario, kind, Time::from_ms_f64(*after_ms))
            }
            Err(reply) => reply,
        },
    }
}

/// The scorecard of `design` (a scenario's JSON) under `challenge` (a challenge file).
fn grade(challenge: &str, design: &str, progress: &mut dyn FnMut(u64, u64) -> bool) -> Reply {
    use dsplay_sim::challenge::{Challenge, Design};
    use dsplay_sim::grade::GradeError;
    let challenge = match Challenge::from_json(challenge) {
        Ok(challenge) => challenge,
        Err(problem) => {
            return Reply::Failed {
                message: format!("The challenge cannot be read: {problem}"),
            }
        }
    };
    // The page's scenario may not run as it stands (a client not linked yet): the
    // design is what matters, and the grader says what is wrong with it.
    let scenario: Scenario = match serde_json::from_str(design) {
        Ok(scenario) => scenario,
        Err(err) => {
            return Reply::Failed {
                message: format!("The design cannot be read: {err}"),
            }
        }
    };
    match dsplay_sim::grade::grade(&challenge, &Design::from_scenario(&scenario), progress) {
        Ok(scorecard) => Reply::Graded { scorecard },
        Err(GradeError::Design(problems)) => Reply::Refused { problems },
        Err(GradeError::Cancelled) => Reply::Failed {
            message: "The evaluation was cancelled.".into(),
        },
    }
}

/// A run of `scenario` up to `until` (or its end), or the reply that says why not.
fn run_to(scenario: &Scenario, until: Option<Time>) -> Result<Box<dyn dsplay_sim::Engine>, Reply> {
    let failed = |message: String| Reply::Failed { message };
    let mut engine = build(scenario).map_err(|err| failed(err.to_string()))?;
    let end = until.map_or(engine.duration(), |until| until.min(engine.duration()));
    engine
        .run_until(end)
        .map_err(|err| failed(err.to_string()))?;
    Ok(engine)
}

/// Runs `scenario` to `until` and judges its history there, as the page's status bar
/// shows it.
/// The scenario with the protocol kind whose guarantee is judged: the one asked for, or
/// the scenario's own.
fn judged(
    scenario: Scenario,
    judged_as: &Option<String>,
) -> Result<(Scenario, &'static str), Reply> {
    let kind = match judged_as.as_deref() {
        None => scenario.protocol.kind(),
        Some(asked) => match ["strict", "bft", "sequential", "causal", "eventual"]
            .into_iter()
            .find(|kind| *kind == asked)
        {
            Some(kind) => kind,
            None => {
                return Err(Reply::Failed {
                    message: format!(
                        "There is no guarantee of a protocol called \"{}\" to judge.",
                        asked.chars().take(40).collect::<String>()
                    ),
                })
            }
        },
    };
    Ok((scenario, kind))
}

fn check_until(scenario: &Scenario, kind: &str, until: Time) -> Reply {
    let engine = match run_to(scenario, Some(until)) {
        Ok(engine) => engine,
        Err(reply) => return reply,
    };
    let verdict = dsplay_sim::report::VerdictSummary::judge(
        engine.as_ref(),
        kind,
        dsplay_check::Budget::steps(SEARCH_BUDGET_STEPS),
    );
    Reply::Checked {
        valid: verdict.valid,
        model: verdict.model,
        explanation: verdict.explanation,
        ops: verdict.ops,
    }
}

/// Runs `scenario` to its end and finds where the checker first finds its guarantee
/// broken; a violation at or before `after` is reported as having happened already.
fn moment_of_first_violation(scenario: &Scenario, kind: &str, after: Time) -> Reply {
    // Nothing to look for needs no run.
    if let Some(message) = dsplay_sim::verdict::nothing_to_look_for(kind) {
        return Reply::NoViolation { message };
    }
    let engine = match run_to(scenario, None) {
        Ok(engine) => engine,
        Err(reply) => return reply,
    };
    let end = engine.duration();
    match first_violation(
        engine.as_ref(),
        kind,
        dsplay_check::Budget::steps(SEARCH_BUDGET_STEPS),
        &mut |_, _| true,
    ) {
        FirstViolation::Found { time, verdict } if time > after => Reply::Violation {
            moment_ms: time.as_ms_f64(),
            model: verdict.model,
            explanation: verdict.explanation,
            ops: verdict.ops,
        },
        FirstViolation::Found { time, verdict } => Reply::NoViolation {
            message: format!(
                "The run has not been {} since {time}, before this point (the checker names the first violation it finds): {}",
                verdict.model, verdict.explanation
            ),
        },
        FirstViolation::NotFound(verdict) => Reply::NoViolation {
            message: match verdict.valid {
                Some(true) => format!(
                    "The checker finds no violation of {} in the whole run (to {end}).",
                    verdict.model
                ),
                _ => format!("No violation to jump to: {}", verdict.explanation),
            },
        },
        FirstViolation::NoGuarantee(message) => Reply::NoViolation { message },
        FirstViolation::Cancelled => Reply::Failed {
            message: "The search was cancelled.".into(),
        },
    }
}

/// The checker's step budget for a search the user asked for (as the page's Next
/// violation uses).
pub const SEARCH_BUDGET_STEPS: u64 = 3_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    fn lying_feed() -> String {
        let mut scenario =
            Scenario::from_json(include_str!("../../../scenarios/sequential-feed.json")).unwrap();
        scenario.faults = vec![dsplay_sim::fault::FaultSpec {
            at_ms: 4_000.0,
            until_ms: None,
            fault: dsplay_sim::fault::FaultKindSpec::Byzantine {
                node: "r3".into(),
                strategy: dsplay_sim::fault::StrategyName::Lie,
                toward: vec![],
            },
        }];
        scenario.to_json_pretty()
    }

    fn quietly(job: &Job) -> Reply {
        let reply = run(job, &mut |_, _| true);
        // Every reply crosses the worker boundary as JSON.
        let text = serde_json::to_string(&reply).unwrap();
        assert_eq!(serde_json::from_str::<Reply>(&text).unwrap(), reply);
        reply
    }

    #[test]
    fn a_check_can_judge_another_protocols_guarantee() {
        let challenge = dsplay_sim::challenge::Challenge::from_json(include_str!(
            "../../../challenges/comment-thread.json"
        ))
        .unwrap();
        let mut scenario = challenge.scenario(&challenge.start, 2).unwrap();
        scenario.seed = 2;
        let text = scenario.to_json_pretty();
        let Reply::Checked { valid, model, .. } = quietly(&Job::Check {
            scenario: text.clone(),
            until_ms: 20_000.0,
            judged_as: Some("causal".into()),
        }) else {
            panic!("checked");
        };
        assert_eq!((model.as_str(), valid), ("causal", Some(false)));
        let Reply::Violation { model, .. } = quietly(&Job::FirstViolation {
            scenario: text.clone(),
            after_ms: 0.0,
            judged_as: Some("causal".into()),
        }) else {
            panic!("a violation");
        };
        assert_eq!(model, "causal");
        let Reply::Failed { message } = quietly(&Job::Check {
            scenario: text,
            until_ms: 1.0,
            judged_as: Some("psychic".into()),
        }) else {
            panic!("refused");
        };
        assert!(message.contains("psychic"), "{message}");
    }

    #[test]
    fn a_design_is_graded_with_progress_and_a_bad_one_refused_with_every_problem() {
        let challenge = include_str!("../../../challenges/password-service.json");
        let parsed = dsplay_sim::challenge::Challenge::from_json(challenge).unwrap();
        let start = parsed.scenario(&parsed.start, 1).unwrap();
        let job = Job::Grade {
            challenge: challenge.into(),
            design: start.to_json_pretty(),
        };
        let mut reports = 0;
        let reply = run(&job, &mut |done, total| {
            assert!(done <= total);
            reports += 1;
            true
        });
        let Reply::Graded { scorecard } = reply.clone() else {
            panic!("graded: {reply:?}");
        };
        assert!(!scorecard.passed, "one server survives no crash");
        assert_eq!(reports, scorecard.runs);
        assert_eq!(quietly(&job), reply, "the scorecard crosses as JSON");
        let mut crowded = start.clone();
        crowded
            .nodes
            .retain(|node| node.kind == dsplay_sim::NodeKind::Client);
        crowded.links.clear();
        let Reply::Refused { problems } = quietly(&Job::Grade {
            challenge: challenge.into(),
            design: serde_json::to_string(&crowded).unwrap(),
        }) else {
            panic!("refused");
        };
        assert!(
            problems.iter().any(|problem| problem.contains("it has 0")),
            "{problems:?}"
        );
        assert!(problems
            .iter()
            .any(|problem| problem.contains("Client `alice` has no link")));
        let Reply::Failed { message } = quietly(&Job::Grade {
            challenge: "{}".into(),
            design: start.to_json_pretty(),
        }) else {
            panic!("failed");
        };
        assert!(
            message.contains("The challenge cannot be read"),
            "{message}"
        );
        let Reply::Failed { message } = run(&job, &mut |_, _| false) else {
            panic!("cancelled");
        };
        assert!(message.contains("cancelled"));
    }

    #[test]
    fn a_check_judges_the_history_up_to_the_asked_moment() {
        let before = quietly(&Job::Check {
            scenario: lying_feed(),
            until_ms: 3_000.0,
            judged_as: None,
        });
        assert!(
            matches!(
                before,
                Reply::Checked {
                    valid: Some(true),
                    ..
                }
            ),
            "{before:?}"
        );
        let after = quietly(&Job::Check {
            scenario: lying_feed(),
            until_ms: 20_000.0,
            judged_as: None,
        });
        assert!(
            matches!(&after, Reply::Checked { valid: Some(false), ops, .. } if !ops.is_empty()),
            "{after:?}"
        );
    }

    #[test]
    fn the_first_violation_comes_after_the_lie_and_not_before_the_asked_moment() {
        let Reply::Violation { moment_ms, .. } = quietly(&Job::FirstViolation {
            scenario: lying_feed(),
            after_ms: 0.0,
            judged_as: None,
        }) else {
            panic!("the lying feed breaks");
        };
        assert!(moment_ms > 4_000.0);
        let later = quietly(&Job::FirstViolation {
            scenario: lying_feed(),
            after_ms: moment_ms + 1.0,
            judged_as: None,
        });
        assert!(
            matches!(&later, Reply::NoViolation { message } if message.contains("since")),
            "{later:?}"
        );
    }

    #[test]
    fn a_comparison_gives_a_row_per_model_and_refuses_a_single_model() {
        let scenario = include_str!("../../../scenarios/partition-tradeoff.json").to_string();
        let Reply::Compared { rows } = quietly(&Job::Compare {
            scenario: scenario.clone(),
            models: vec!["strict".into(), "eventual".into()],
        }) else {
            panic!("two models compare");
        };
        assert_eq!(rows.len(), 2);
        assert!(rows[0].availability < rows[1].availability);
        assert!(matches!(
            quietly(&Job::Compare {
                scenario,
                models: vec!["strict".into()],
            }),
            Reply::Failed { .. }
        ));
    }

    #[test]
    fn a_search_finds_a_seed_whose_scenario_replays_the_violation() {
        let mut scenario =
            Scenario::from_json(include_str!("../../../scenarios/strict-password.json")).unwrap();
        scenario.fault_profile = Some(dsplay_sim::sweep::FaultProfile {
            byzantine: 1,
            ..Default::default()
        });
        let Reply::Found {
            scenario: found,
            moment_ms,
            ..
        } = quietly(&Job::Search {
            scenario: scenario.to_json_pretty(),
            first_seed: 6,
            seeds: 50,
        })
        else {
            panic!("a lying replica breaks Raft for some seed");
        };
        let checked = quietly(&Job::Check {
            scenario: found,
            until_ms: moment_ms + 1.0,
            judged_as: None,
        });
        assert!(
            matches!(
                checked,
                Reply::Checked {
                    valid: Some(false),
                    ..
                }
            ),
            "{checked:?}"
        );
    }

    #[test]
    fn a_lesson_question_is_answered_as_the_engine_answers_it() {
        let text = include_str!("../../../scenarios/strict-password.json");
        let ask = dsplay_sim::lesson::Ask::Read {
            client: "alice".into(),
            key: None,
            after_ms: 9_000.0,
        };
        let Reply::Answered { answer } = quietly(&Job::Answer {
            scenario: text.into(),
            ask: ask.clone(),
        }) else {
            panic!("the question is answered");
        };
        let direct = dsplay_sim::lesson::answer(&ask, &Scenario::from_json(text).unwrap());
        assert_eq!(Ok(answer), direct);
        let stranger = dsplay_sim::lesson::Ask::Read {
            client: "mallory".into(),
            key: None,
            after_ms: 0.0,
        };
        let Reply::Failed { message } = quietly(&Job::Answer {
            scenario: text.into(),
            ask: stranger,
        }) else {
            panic!("a question about no client fails");
        };
        assert!(message.contains("mallory"), "{message}");
    }

    #[test]
    fn a_run_reports_the_events_and_fingerprint_of_the_native_engine() {
        let text = include_str!("../../../scenarios/gossip-ring.json");
        let Reply::Ran {
            events,
            fingerprint,
        } = quietly(&Job::Run {
            scenario: text.into(),
            repeat: 2,
        })
        else {
            panic!("the scenario runs");
        };
        let mut engine = build(&Scenario::from_json(text).unwrap()).unwrap();
        engine.run_until(engine.duration()).unwrap();
        assert_eq!(events, engine.stats().events);
        assert_eq!(fingerprint, engine.fingerprint().to_string());
        assert!(matches!(
            quietly(&Job::Run {
                scenario: text.into(),
                repeat: 0
            }),
            Reply::Failed { .. }
        ));
    }

    #[test]
    fn bad_jobs_get_a_sentence() {
        assert!(matches!(
            quietly(&Job::Check { scenario: "{".into(), until_ms: 0.0, judged_as: None }),
            Reply::Failed { message } if message.starts_with("The scenario cannot be loaded")
        ));
        assert!(matches!(
            quietly(&Job::Search {
                scenario: lying_feed(),
                first_seed: 0,
                seeds: MAX_SEARCH_SEEDS + 1
            }),
            Reply::Failed { .. }
        ));
    }
}
