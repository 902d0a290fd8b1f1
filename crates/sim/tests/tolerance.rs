//! Outside a protocol's fault tolerance the guarantee breaks, and the checker finds and
//! explains it.
//!
//! The seed sweeps (`strict.rs`, `sequential.rs`, `causal.rs`, `eventual.rs`, `bft.rs`,
//! run with 10,000 seeds by `cargo xtask sweep`) show each protocol keeping its guarantee
//! under faults it tolerates. These are the other half: a fault the protocol does not
//! model (a replica that lies, for protocols that assume replicas fail only by stopping)
//! over a sample of seeds, where the checker must find violations and say which
//! operations show them. PBFT's case, two traitors of four, is in `bft.rs`. Eventual
//! consistency has no such case here: its guarantee is convergence of the replicas'
//! stores after the quiet period, which heals every fault, and a lying replica lies in its
//! answers, not in its store, so the stores still converge.

use dsplay_check::Budget;
use dsplay_sim::fault::{FaultKindSpec, FaultSpec, StrategyName};
use dsplay_sim::report::VerdictSummary;
use dsplay_sim::{build, Scenario};

const SEEDS: u64 = 20;

/// The preset `name` with `liar` lying from `at_ms` on, under `seed`.
fn with_liar(text: &str, liar: &str, at_ms: f64, seed: u64) -> Scenario {
    let mut scenario = Scenario::from_json(text).expect("the preset loads");
    scenario.seed = seed;
    scenario.faults = vec![FaultSpec {
        at_ms,
        until_ms: None,
        fault: FaultKindSpec::Byzantine {
            node: liar.into(),
            strategy: StrategyName::Lie,
            toward: vec![],
        },
    }];
    scenario
}

/// The checker's verdicts on the whole run for each seed of the sample.
fn verdicts(text: &str, liar: &str, at_ms: f64) -> Vec<(u64, VerdictSummary)> {
    (0..SEEDS)
        .map(|seed| {
            let scenario = with_liar(text, liar, at_ms, seed);
            let mut engine = build(&scenario).expect("the scenario runs");
            engine.run_until(engine.duration()).expect("within budget");
            let verdict =
                VerdictSummary::judge(engine.as_ref(), scenario.protocol.kind(), Budget::default());
            (seed, verdict)
        })
        .collect()
}

/// Most seeds of the sample break the guarantee, and every violation names operations
/// and says what is wrong.
fn assert_found_and_explained(name: &str, found: &[(u64, VerdictSummary)]) {
    let broken: Vec<&(u64, VerdictSummary)> = found
        .iter()
        .filter(|(_, verdict)| verdict.valid == Some(false))
        .collect();
    println!(
        "{name}: {} of {SEEDS} seeds break {}",
        broken.len(),
        found[0].1.model
    );
    assert!(
        broken.len() as u64 * 2 > SEEDS,
        "{name}: only {} of {SEEDS} seeds broke the guarantee",
        broken.len()
    );
    for (seed, verdict) in broken {
        assert!(
            !verdict.ops.is_empty(),
            "{name} seed {seed}: no operations named"
        );
        assert!(
            verdict.explanation.len() > 40,
            "{name} seed {seed}: {}",
            verdict.explanation
        );
    }
}

#[test]
fn a_lying_raft_leader_breaks_linearizability_and_the_checker_says_how() {
    let found = verdicts(
        include_str!("../../../scenarios/strict-password.json"),
        "n1",
        3_000.0,
    );
    assert_found_and_explained("strict, n1 lies", &found);
}

#[test]
fn a_lying_replica_breaks_sequential_consistency_and_the_checker_says_how() {
    let found = verdicts(
        include_str!("../../../scenarios/sequential-feed.json"),
        "r3",
        4_000.0,
    );
    assert_found_and_explained("sequential, r3 lies", &found);
}

#[test]
fn a_lying_replica_breaks_causal_consistency_and_the_checker_says_how() {
    let found = verdicts(
        include_str!("../../../scenarios/causal-comments.json"),
        "eu",
        3_000.0,
    );
    assert_found_and_explained("causal, eu lies", &found);
}
