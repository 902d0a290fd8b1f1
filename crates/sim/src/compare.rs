//! One scenario under several consistency models, side by side: what each model's
//! guarantee costs in availability and latency, and what a weaker one lets through.
//!
//! Every model runs the same topology, workload, faults and seed; only the protocol
//! changes. A row's figures are the ones `dsplay run --json` prints for the scenario with
//! that protocol (the same [`report`](crate::report::report)), plus one latency figure
//! over every kind of operation, so that models are compared on the same scale.

use crate::engine::build;
use crate::history::latency_ms_p99;
use crate::protocols::ProtocolConfig;
use crate::report::report;
use crate::scenario::{LoadError, Scenario};
use crate::time::Time;
use crate::verdict::{guarantee, has_guarantee};
use serde::{Deserialize, Serialize};

/// The most models one comparison runs: enough for every model with a guarantee.
pub const MAX_MODELS: usize = 5;

/// The models a comparison can run, strongest first: the protocol kinds whose guarantee
/// the checker can test.
pub const MODELS: [&str; MAX_MODELS] = ["bft", "strict", "sequential", "causal", "eventual"];

/// One model's figures over the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareRow {
    /// The protocol kind, as a scenario's `protocol.kind` names it: `strict`, `eventual`, …
    pub model: String,
    /// The checker model its guarantee is checked as, e.g. `linearizable`.
    pub guarantee: String,
    /// Why the scenario cannot run under this model (too few replicas for bft, a fault the
    /// protocol cannot take, a run that exhausts its event budget), in a sentence; the
    /// figures are then zero.
    pub problem: Option<String>,
    /// Successful operations over all invoked ones, as `OpMetrics::availability`.
    pub availability: f64,
    /// Nearest-rank p99 latency of every successful client operation (reads, writes and
    /// cas together; final reads excluded), in milliseconds; 0 when none succeeded.
    pub latency_ms_p99: f64,
    /// Reads that returned a value already overwritten before they began.
    pub stale_reads: u64,
    /// 0 or 1, as `RunReport::violations`: the checker reports the first it finds.
    pub violations: u64,
    /// The checker's verdict: `true` valid, `false` violated, `None` unknown.
    pub valid: Option<bool>,
    pub explanation: String,
    /// Messages sent per client operation.
    pub messages_per_op: f64,
    pub ops_ok: u64,
    pub ops_fail: u64,
    pub ops_info: u64,
    /// The run's fingerprint, so a row can be reproduced with `dsplay run`.
    pub fingerprint: String,
}

impl CompareRow {
    /// A row for a model the scenario cannot run under: the reason, and zero figures.
    fn refused(kind: &str, problem: String) -> CompareRow {
        CompareRow {
            model: kind.to_string(),
            guarantee: if is_model(kind) {
                guarantee(kind).name().to_string()
            } else {
                String::new()
            },
            problem: Some(problem),
            availability: 0.0,
            latency_ms_p99: 0.0,
            stale_reads: 0,
            violations: 0,
            valid: None,
            explanation: String::new(),
            messages_per_op: 0.0,
            ops_ok: 0,
            ops_fail: 0,
            ops_info: 0,
            fingerprint: String::new(),
        }
    }
}

/// Whether a comparison can run `kind`: a protocol the engine knows whose guarantee the
/// checker can test.
fn is_model(kind: &str) -> bool {
    MODELS.contains(&kind)
}

/// The models as a sentence lists them.
fn models_listed() -> String {
    MODELS.join(", ")
}

/// The scenario with its protocol switched to `kind`. The scenario's own protocol keeps
/// its parameters; another gets that protocol's defaults, as the page's model picker
/// gives them.
pub fn scenario_with_model(scenario: &Scenario, kind: &str) -> Result<Scenario, String> {
    let mut switched = scenario.clone();
    if scenario.protocol.kind() == kind {
        return Ok(switched);
    }
    switched.protocol = serde_json::from_value::<ProtocolConfig>(
        serde_json::json!({ "kind": kind }),
    )
    .map_err(|_| {
        format!(
            "there is no consistency model called \"{kind}\"; the models are {}",
            models_listed()
        )
    })?;
    Ok(switched)
}

/// Runs `scenario` under the model `kind` to `until` (`None`: the scenario's whole
/// duration) and sums the run up. A scenario the model cannot run gives a row with the
/// reason in `problem` rather than an error, so a comparison shows every model it was
/// asked for.
pub fn compare_one(scenario: &Scenario, kind: &str, until: Option<Time>) -> CompareRow {
    if !has_guarantee(kind) {
        return CompareRow::refused(
            kind,
            format!(
                "The {kind} protocol promises no consistency model the checker can test, so there is nothing to compare."
            ),
        );
    }
    let switched = match scenario_with_model(scenario, kind) {
        Ok(switched) => switched,
        Err(problem) => return CompareRow::refused(kind, problem),
    };
    let mut engine = match build(&switched) {
        Ok(engine) => engine,
        Err(err) => return CompareRow::refused(kind, cannot_run(kind, &err)),
    };
    let limit = until.unwrap_or(engine.duration());
    if let Err(err) = engine.run_until(limit) {
        return CompareRow::refused(kind, format!("Under {kind}, {err}."));
    }
    let figures = report(engine.as_ref(), kind);
    CompareRow {
        model: kind.to_string(),
        guarantee: figures.verdict.model,
        problem: None,
        availability: figures.ops.availability,
        latency_ms_p99: latency_ms_p99(&engine.operations()),
        stale_reads: figures.ops.stale_reads,
        violations: figures.violations,
        valid: figures.verdict.valid,
        explanation: figures.verdict.explanation,
        messages_per_op: figures.messages_per_op,
        ops_ok: figures.ops.ops_ok,
        ops_fail: figures.ops.ops_fail,
        ops_info: figures.ops.ops_info,
        fingerprint: figures.fingerprint,
    }
}

/// Why a scenario does not build under `kind`, as a sentence.
fn cannot_run(kind: &str, err: &LoadError) -> String {
    match err {
        LoadError::Invalid(problems) => {
            let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
            format!("{kind} cannot run this scenario: {}.", problems.join("; "))
        }
        other => format!("{kind} cannot run this scenario: {other}."),
    }
}

/// Runs `scenario` under each model in `kinds` (2 to [`MAX_MODELS`], each once, each one
/// of [`MODELS`]) to `until`, one row per model in the order asked. A list it cannot
/// compare is refused with a sentence saying why.
pub fn compare(
    scenario: &Scenario,
    kinds: &[String],
    until: Option<Time>,
) -> Result<Vec<CompareRow>, String> {
    check_models(kinds)?;
    Ok(kinds
        .iter()
        .map(|kind| compare_one(scenario, kind, until))
        .collect())
}

/// Refuses a list of models [`compare`] cannot compare (fewer than 2, more than
/// [`MAX_MODELS`], one listed twice, one not in [`MODELS`]) with a sentence saying why.
pub fn check_models(kinds: &[String]) -> Result<(), String> {
    if kinds.len() < 2 {
        return Err(format!(
            "a comparison needs at least 2 models, got {}; pick among {}",
            kinds.len(),
            models_listed()
        ));
    }
    if kinds.len() > MAX_MODELS {
        return Err(format!(
            "a comparison runs at most {MAX_MODELS} models, got {}",
            kinds.len()
        ));
    }
    for (index, kind) in kinds.iter().enumerate() {
        if kinds[..index].contains(kind) {
            return Err(format!("the model \"{kind}\" is listed twice"));
        }
        if kind == "gossip" {
            return Err(format!(
                "gossip promises no consistency model (its reads return a sum nobody wrote), so it cannot be compared; pick among {}",
                models_listed()
            ));
        }
        if !is_model(kind) {
            return Err(format!(
                "there is no consistency model called \"{kind}\"; the models are {}",
                models_listed()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsplay_check::Budget;

    fn feed() -> Scenario {
        Scenario::from_json(include_str!("../../../scenarios/sequential-feed.json")).unwrap()
    }

    fn kinds(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn a_row_holds_the_figures_dsplay_run_reports_for_that_protocol() {
        let scenario = feed();
        let until = Time::from_ms(8_000);
        for kind in ["sequential", "eventual"] {
            let row = compare_one(&scenario, kind, Some(until));
            let mut engine = build(&scenario_with_model(&scenario, kind).unwrap()).unwrap();
            engine.run_until(until).unwrap();
            let expected = report(engine.as_ref(), kind);
            assert_eq!(row.problem, None);
            assert_eq!(row.model, kind);
            assert_eq!(row.guarantee, expected.verdict.model);
            assert_eq!(row.availability, expected.ops.availability);
            assert_eq!(row.stale_reads, expected.ops.stale_reads);
            assert_eq!(row.violations, expected.violations);
            assert_eq!(row.valid, expected.verdict.valid);
            assert_eq!(row.explanation, expected.verdict.explanation);
            assert_eq!(row.messages_per_op, expected.messages_per_op);
            assert_eq!(
                (row.ops_ok, row.ops_fail, row.ops_info),
                (
                    expected.ops.ops_ok,
                    expected.ops.ops_fail,
                    expected.ops.ops_info
                )
            );
            assert_eq!(row.fingerprint, expected.fingerprint);
            // The p99 is the nearest rank over every successful client operation.
            let mut latencies_us: Vec<u64> = engine
                .operations()
                .iter()
                .filter(|op| !op.final_read && op.is_ok())
                .filter_map(|op| op.latency_us())
                .collect();
            latencies_us.sort_unstable();
            let rank = (latencies_us.len() * 99).div_ceil(100);
            assert_eq!(
                row.latency_ms_p99,
                latencies_us[rank - 1] as f64 / 1_000.0,
                "{kind}"
            );
            let per_function_max = expected
                .ops
                .latency_ms
                .values()
                .map(|percentiles| percentiles.p99)
                .fold(0.0, f64::max);
            assert!(row.latency_ms_p99 <= per_function_max, "{kind}");
        }
    }

    #[test]
    fn the_scenarios_own_model_keeps_its_parameters_and_others_get_defaults() {
        let scenario = feed();
        let own = scenario_with_model(&scenario, "sequential").unwrap();
        assert_eq!(own, scenario);
        let strict = scenario_with_model(&scenario, "strict").unwrap();
        assert_eq!(
            strict.protocol,
            serde_json::from_value::<ProtocolConfig>(serde_json::json!({"kind": "strict"}))
                .unwrap()
        );
        assert_eq!(
            (strict.nodes, strict.faults, strict.seed),
            (scenario.nodes, scenario.faults, scenario.seed)
        );
        let said = scenario_with_model(&feed(), "paxos").unwrap_err();
        assert_eq!(
            said,
            "there is no consistency model called \"paxos\"; the models are bft, strict, sequential, causal, eventual"
        );
    }

    #[test]
    fn a_model_that_cannot_run_the_scenario_says_why_with_zero_figures() {
        let mut scenario = feed();
        let replicas: Vec<String> = scenario
            .nodes
            .iter()
            .filter(|node| node.kind == crate::topology::NodeKind::Replica)
            .map(|node| node.id.clone())
            .collect();
        // Keep three replicas: too few for bft's 3f + 1.
        let dropped = &replicas[3..];
        scenario.nodes.retain(|node| !dropped.contains(&node.id));
        scenario
            .links
            .retain(|link| !dropped.contains(&link.a) && !dropped.contains(&link.b));
        scenario.faults.clear();
        scenario.compile().expect("three replicas run sequential");
        let row = compare_one(&scenario, "bft", None);
        assert_eq!(
            row.problem.as_deref(),
            Some("bft cannot run this scenario: protocol: bft needs at least 4 replicas (3f + 1 with f ≥ 1), got 3.")
        );
        assert_eq!(row.guarantee, "linearizable");
        assert_eq!(
            (row.availability, row.ops_ok, row.violations, row.valid),
            (0.0, 0, 0, None)
        );
        let rows = compare(&scenario, &kinds(&["sequential", "bft"]), None).unwrap();
        assert_eq!(rows[0].problem, None);
        assert_eq!(rows[1], row);
    }

    #[test]
    fn a_comparison_refuses_lists_it_cannot_run_with_a_sentence() {
        let scenario = feed();
        let refused = |names: &[&str]| compare(&scenario, &kinds(names), None).unwrap_err();
        assert_eq!(
            refused(&["strict"]),
            "a comparison needs at least 2 models, got 1; pick among bft, strict, sequential, causal, eventual"
        );
        assert_eq!(
            refused(&[
                "bft",
                "strict",
                "sequential",
                "causal",
                "eventual",
                "strict"
            ]),
            "a comparison runs at most 5 models, got 6"
        );
        assert_eq!(
            refused(&["strict", "eventual", "strict"]),
            "the model \"strict\" is listed twice"
        );
        assert_eq!(
            refused(&["strict", "linearizable"]),
            "there is no consistency model called \"linearizable\"; the models are bft, strict, sequential, causal, eventual"
        );
        assert!(refused(&["gossip", "strict"]).starts_with("gossip promises no consistency model"));
        let row = compare_one(&scenario, "gossip", None);
        assert!(row.problem.unwrap().contains("nothing to compare"));
    }

    #[test]
    fn rows_come_in_the_order_asked_and_repeat_exactly() {
        let scenario = feed();
        let until = Some(Time::from_ms(5_000));
        let asked = kinds(&["eventual", "sequential"]);
        let rows = compare(&scenario, &asked, until).unwrap();
        let models: Vec<&str> = rows.iter().map(|row| row.model.as_str()).collect();
        assert_eq!(models, ["eventual", "sequential"]);
        assert_eq!(rows, compare(&scenario, &asked, until).unwrap());
        assert_ne!(rows[0].fingerprint, rows[1].fingerprint);
        // The verdict is the one the engine's own judging gives.
        let mut engine = build(&scenario).unwrap();
        engine.run_until(Time::from_ms(5_000)).unwrap();
        let verdict = crate::verdict::judge(engine.as_ref(), "sequential", Budget::default());
        assert_eq!(rows[1].valid, verdict.valid);
    }
}
