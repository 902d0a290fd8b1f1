//! The page's long jobs, as data: what the page asks ([`Job`]), what comes back
//! ([`Reply`]), and [`run`], which does the work with the engine and the checker.
//!
//! The page runs these in a Web Worker (`main.rs`) so that a search over hundreds of seeds
//! or five full runs never freezes it; messages are JSON text both ways. Nothing here
//! knows about the browser, so the jobs are tested natively, and a job gives the same
//! answer in the worker as here (the engine and checker are deterministic and count
//! steps, not time).

use dsplay_sim::compare::{compare, CompareRow};
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
    FirstViolation { scenario: String, after_ms: f64 },
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
            // The list is checked as `compare` checks it (runs cut at time zero cost
            // nothing); then one model at a time, so the page can show how far it got.
            if let Err(message) = compare(&scenario, models, Some(Time::ZERO)) {
                return Reply::Failed { message };
            }
            for (done, model) in models.iter().enumerate() {
                if !progress(done as u64, total) {
                    return Reply::Failed {
                        message: "The comparison was cancelled.".into(),
                    };
                }
                rows.push(dsplay_sim::compare::compare_one(&scenario, model, None));
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
                    let moment_ms = match moment_of_first_violation(&scenario, Time::ZERO) {
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
        Job::FirstViolation { scenario, after_ms } => match load(scenario) {
            Ok(scenario) => moment_of_first_violation(&scenario, Time::from_ms_f64(*after_ms)),
            Err(reply) => reply,
        },
    }
}

/// Runs `scenario` to its end and finds where the checker first finds its guarantee
/// broken; a violation at or before `after` is reported as having happened already.
fn moment_of_first_violation(scenario: &Scenario, after: Time) -> Reply {
    let mut engine = match build(scenario) {
        Ok(engine) => engine,
        Err(err) => {
            return Reply::Failed {
                message: err.to_string(),
            }
        }
    };
    let end = engine.duration();
    if let Err(err) = engine.run_until(end) {
        return Reply::Failed {
            message: err.to_string(),
        };
    }
    let kind = scenario.protocol.kind();
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
