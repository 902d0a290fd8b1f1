//! Seed sweeps: many runs of one scenario, each with faults drawn from its fault profile,
//! each checked against its protocol's guarantee.
//!
//! A profile says how many faults of each kind a run gets; the faults' targets, times and
//! durations are drawn from the run's seed, so every violating seed reproduces with
//! `dsplay run SCENARIO --seed S`, which draws the same faults.

use crate::fault::{FaultKindSpec, FaultSpec, StrategyName};
use crate::rng::Rng;
use crate::scenario::{Problem, Scenario};
use crate::topology::NodeKind;
use serde::{Deserialize, Serialize};

/// How many faults of each kind a sweep's run gets. Every field defaults to 0.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultProfile {
    /// Replica crashes, each followed by a restart.
    pub crashes: u32,
    /// Partitions that cut a random minority of replicas off, then heal.
    pub partitions: u32,
    /// Replicas that drop a share of what they send and receive for a while.
    pub omissions: u32,
    /// Replicas that handle messages late for a while.
    pub slow: u32,
    /// Replicas whose clocks run fast or slow for a while.
    pub clock_skews: u32,
    /// Replicas that turn byzantine (lie, replay or go silent) for a while.
    pub byzantine: u32,
    /// The longest a drawn fault lasts, in milliseconds. Default (0) means 3000.
    pub max_fault_ms: f64,
}

impl FaultProfile {
    pub fn is_empty(&self) -> bool {
        self.crashes
            + self.partitions
            + self.omissions
            + self.slow
            + self.clock_skews
            + self.byzantine
            == 0
    }

    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let total = self.crashes
            + self.partitions
            + self.omissions
            + self.slow
            + self.clock_skews
            + self.byzantine;
        if total > 100 {
            problems.push(Problem {
                path: "crashes".into(),
                message: format!("at most 100 faults a run, got {total}"),
            });
        }
        if !(self.max_fault_ms.is_finite() && self.max_fault_ms >= 0.0) {
            problems.push(Problem {
                path: "max_fault_ms".into(),
                message: format!("must be a non-negative number, got {}", self.max_fault_ms),
            });
        }
        problems
    }

    /// The faults of the run with `seed`: targets, times and durations drawn from it,
    /// all inside the workload's part of the run so the quiet period sees them healed.
    pub fn draw(&self, scenario: &Scenario, seed: u64) -> Vec<FaultSpec> {
        let mut rng = Rng::stream(seed, "fault-profile", 0);
        let replicas: Vec<&str> = scenario
            .nodes
            .iter()
            .filter(|node| node.kind == NodeKind::Replica)
            .map(|node| node.id.as_str())
            .collect();
        if replicas.is_empty() {
            return Vec::new();
        }
        let end_ms = (scenario.duration_ms - scenario.quiet_ms).max(1.0);
        let longest_ms = if self.max_fault_ms > 0.0 {
            self.max_fault_ms
        } else {
            3_000.0
        };
        let mut faults = Vec::new();
        let pick = |rng: &mut Rng| replicas[rng.below(replicas.len() as u64) as usize].to_string();
        let interval = |rng: &mut Rng| {
            let at_ms = rng.uniform(0.0, end_ms * 0.8).round();
            let until_ms = (at_ms + rng.uniform(200.0, longest_ms))
                .min(end_ms)
                .round()
                .max(at_ms + 1.0);
            (at_ms, Some(until_ms))
        };
        let push = |faults: &mut Vec<FaultSpec>, (at_ms, until_ms): (f64, Option<f64>), fault| {
            faults.push(FaultSpec {
                at_ms,
                until_ms,
                fault,
            })
        };
        for _ in 0..self.crashes {
            let node = pick(&mut rng);
            push(
                &mut faults,
                interval(&mut rng),
                FaultKindSpec::Crash { node },
            );
        }
        for _ in 0..self.partitions {
            // A minority side: at most (n - 1) / 2 replicas, at least one.
            let size =
                1 + rng.below(((replicas.len().saturating_sub(1)) / 2).max(1) as u64) as usize;
            let mut side: Vec<String> = Vec::new();
            while side.len() < size.min(replicas.len()) {
                let node = pick(&mut rng);
                if !side.contains(&node) {
                    side.push(node);
                }
            }
            push(
                &mut faults,
                interval(&mut rng),
                FaultKindSpec::Partition { groups: vec![side] },
            );
        }
        for _ in 0..self.omissions {
            let node = pick(&mut rng);
            let share = (rng.uniform(0.1, 0.6) * 100.0).round() / 100.0;
            push(
                &mut faults,
                interval(&mut rng),
                FaultKindSpec::Omission {
                    node,
                    send: share,
                    receive: share,
                },
            );
        }
        for _ in 0..self.slow {
            let node = pick(&mut rng);
            let delay_ms = rng.uniform(50.0, 500.0).round();
            push(
                &mut faults,
                interval(&mut rng),
                FaultKindSpec::Slow { node, delay_ms },
            );
        }
        for _ in 0..self.clock_skews {
            let node = pick(&mut rng);
            let rate = if rng.chance(0.5) { 0.5 } else { 2.0 };
            push(
                &mut faults,
                interval(&mut rng),
                FaultKindSpec::ClockSkew {
                    node,
                    rate,
                    offset_ms: 0.0,
                },
            );
        }
        for _ in 0..self.byzantine {
            let node = pick(&mut rng);
            let strategy = [
                StrategyName::Lie,
                StrategyName::Replay,
                StrategyName::Silent,
            ][rng.below(3) as usize];
            push(
                &mut faults,
                interval(&mut rng),
                FaultKindSpec::Byzantine {
                    node,
                    strategy,
                    toward: Vec::new(),
                },
            );
        }
        faults
    }
}

/// The scenario as run with `seed`: the faults its profile draws, then its own. Drawn
/// faults come first, so faults injected live (appended to the scenario's own) keep their
/// place in every replay.
pub fn scenario_for_seed(scenario: &Scenario, seed: u64) -> Scenario {
    let mut run = scenario.clone();
    run.seed = seed;
    if let Some(profile) = &scenario.fault_profile {
        let mut faults = profile.draw(scenario, seed);
        faults.append(&mut run.faults);
        run.faults = faults;
        run.fault_profile = None;
    }
    run
}

/// One violating seed of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Violation {
    pub seed: u64,
    pub model: String,
    pub explanation: String,
    /// The one-line command that reproduces it.
    pub reproduce: String,
}

/// What a sweep found.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SweepReport {
    /// How many seeds ran.
    pub seeds: u64,
    pub violations: Vec<Violation>,
    /// Seeds whose check ran out of budget, or whose run failed.
    pub unknown: Vec<u64>,
}

/// A seed's run, checked: its fingerprint and the verdict on its history.
struct SeedRun {
    fingerprint: String,
    verdict: dsplay_check::Verdict,
}

/// Runs `scenario` with `seed` (its profile's faults for that seed, then its own) to its
/// duration and judges the history; `None` when the run does not build or stops on its
/// event budget.
fn run_seed(scenario: &Scenario, seed: u64) -> Option<SeedRun> {
    let run = scenario_for_seed(scenario, seed);
    let mut engine = crate::engine::build(&run).ok()?;
    engine.run_until(engine.duration()).ok()?;
    let verdict = crate::verdict::judge(
        engine.as_ref(),
        run.protocol.kind(),
        dsplay_check::Budget::default(),
    );
    Some(SeedRun {
        fingerprint: engine.fingerprint().to_string(),
        verdict,
    })
}

/// Runs `scenario` with `seed` and checks it; `Some` is a violation (or an unknown).
pub fn check_seed(
    scenario: &Scenario,
    seed: u64,
    scenario_path: &str,
) -> Result<Option<Violation>, u64> {
    let Some(SeedRun { verdict, .. }) = run_seed(scenario, seed) else {
        return Err(seed);
    };
    match verdict.valid {
        Some(true) => Ok(None),
        Some(false) => Ok(Some(Violation {
            seed,
            model: verdict.model.name().to_string(),
            explanation: verdict.explanation,
            reproduce: format!("dsplay run {scenario_path} --seed {seed}"),
        })),
        None if crate::verdict::guarantee(scenario.protocol.kind())
            == dsplay_check::Model::Eventual =>
        {
            Ok(None)
        }
        None => Err(seed),
    }
}

/// What a search for a counterexample found.
#[derive(Clone, Debug, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "a search returns one outcome, once: boxing the scenario would save nothing"
)]
pub enum SearchOutcome {
    /// The first seed of the range whose run breaks the guarantee.
    Found {
        seed: u64,
        /// The scenario as that seed ran it ([`scenario_for_seed`]): the drawn faults
        /// written out and no profile, so it loads and reproduces the run exactly.
        scenario: Scenario,
        /// The guarantee broken, e.g. `linearizable`.
        model: String,
        explanation: String,
        /// The run's fingerprint, which a replay of `scenario` shows too.
        fingerprint: String,
    },
    /// Every seed ran and kept the guarantee (or the checker could not tell).
    NotFound { seeds: u64 },
    /// `progress` asked to stop after `seeds` seeds.
    Cancelled { seeds: u64 },
}

/// Runs `scenario` for each seed of `seeds` in order, as [`check_seed`] does (faults
/// drawn from its profile for the seed, plus its own), and stops at the first whose
/// history breaks the protocol's guarantee. Seeds whose run cannot be judged (it stops on
/// its event budget, or the check runs out of steps) are passed over.
///
/// `progress(done)` is told after each seed that does not break the guarantee how many
/// seeds have run; returning `false` cancels the rest.
pub fn find_counterexample(
    scenario: &Scenario,
    seeds: std::ops::Range<u64>,
    progress: &mut dyn FnMut(u64) -> bool,
) -> SearchOutcome {
    let mut done = 0;
    let last = seeds.end;
    for seed in seeds {
        if let Some(SeedRun {
            fingerprint,
            verdict,
        }) = run_seed(scenario, seed)
        {
            if verdict.valid == Some(false) {
                return SearchOutcome::Found {
                    seed,
                    scenario: scenario_for_seed(scenario, seed),
                    model: verdict.model.name().to_string(),
                    explanation: verdict.explanation,
                    fingerprint,
                };
            }
        }
        done += 1;
        let go_on = progress(done);
        if !go_on && seed + 1 < last {
            return SearchOutcome::Cancelled { seeds: done };
        }
    }
    SearchOutcome::NotFound { seeds: done }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed() -> Scenario {
        Scenario::from_json(include_str!("../../../scenarios/sequential-feed.json")).unwrap()
    }

    /// The feed with one byzantine replica drawn per seed: some seeds draw a liar (which
    /// breaks sequential consistency), others a replayer or a silent one (which do not).
    fn feed_with_a_drawn_traitor() -> Scenario {
        let mut scenario = feed();
        scenario.fault_profile = Some(FaultProfile {
            byzantine: 1,
            ..FaultProfile::default()
        });
        scenario
    }

    #[test]
    fn a_counterexample_is_a_scenario_that_reproduces_the_violation() {
        let scenario = feed_with_a_drawn_traitor();
        let mut reported = Vec::new();
        // Seeds 0 to 2 break the guarantee; from 3 on, a few seeds pass first.
        let first = 3;
        let found = find_counterexample(&scenario, first..40, &mut |done| {
            reported.push(done);
            true
        });
        let SearchOutcome::Found {
            seed,
            scenario: found_scenario,
            model,
            explanation,
            fingerprint,
        } = found
        else {
            panic!("some seed draws a liar: {found:?}");
        };
        assert_eq!(model, "sequential");
        assert!(seed > first, "the search went past clean seeds");
        assert_eq!(
            reported,
            (1..=seed - first).collect::<Vec<_>>(),
            "one report per clean seed"
        );
        // It is the first: no earlier seed breaks the guarantee in a sweep either.
        for earlier in first..seed {
            assert!(
                !matches!(check_seed(&scenario, earlier, "feed.json"), Ok(Some(_))),
                "seed {earlier}"
            );
        }
        assert!(matches!(
            check_seed(&scenario, seed, "feed.json"),
            Ok(Some(Violation { seed: s, .. })) if s == seed
        ));
        // Written out and loaded again, the scenario replays the run the search saw.
        assert_eq!(found_scenario.fault_profile, None);
        assert_eq!(found_scenario.seed, seed);
        let loaded = Scenario::from_json(&found_scenario.to_json_pretty()).unwrap();
        let mut engine = crate::engine::build(&loaded).unwrap();
        engine.run_until(engine.duration()).unwrap();
        assert_eq!(engine.fingerprint().to_string(), fingerprint);
        let verdict = crate::verdict::judge(
            engine.as_ref(),
            loaded.protocol.kind(),
            dsplay_check::Budget::default(),
        );
        assert_eq!(verdict.valid, Some(false));
        assert_eq!(verdict.explanation, explanation);
    }

    #[test]
    fn a_search_over_clean_seeds_finds_nothing_and_stops_when_asked() {
        let scenario = feed();
        assert_eq!(
            find_counterexample(&scenario, 3..6, &mut |_| true),
            SearchOutcome::NotFound { seeds: 3 }
        );
        assert_eq!(
            find_counterexample(&scenario, 3..6, &mut |done| done < 2),
            SearchOutcome::Cancelled { seeds: 2 }
        );
    }

    #[test]
    fn a_profile_draws_the_same_faults_for_a_seed_and_others_for_another() {
        let profile = FaultProfile {
            crashes: 2,
            partitions: 1,
            omissions: 1,
            slow: 1,
            clock_skews: 1,
            byzantine: 1,
            max_fault_ms: 0.0,
        };
        let scenario = feed();
        let drawn = profile.draw(&scenario, 7);
        assert_eq!(drawn.len(), 7);
        assert_eq!(drawn, profile.draw(&scenario, 7));
        assert_ne!(drawn, profile.draw(&scenario, 8));
        let mut with = scenario.clone();
        with.faults = drawn;
        with.compile().expect("drawn faults are valid");
        let end = scenario.duration_ms - scenario.quiet_ms;
        assert!(with
            .faults
            .iter()
            .all(|fault| fault.until_ms.is_some_and(|until| until <= end)));
    }
}
