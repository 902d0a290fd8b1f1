//! Every shipped scenario runs, and each fault preset shows what its story says; the
//! checker (not a reference in the tests) judges the runs against their guarantees.

use dsplay_check::Budget;
use dsplay_sim::fault::{FaultKindSpec, FaultSpec, StrategyName};
use dsplay_sim::trace::DropReason;
use dsplay_sim::verdict::judge;
use dsplay_sim::{build, Engine, NodeId, Scenario, Time, TraceEvent};

fn preset(name: &str) -> Scenario {
    let path = format!("{}/../../scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    Scenario::from_json(&text).unwrap_or_else(|err| panic!("{name}: {err}"))
}

fn run(scenario: &Scenario) -> Box<dyn Engine> {
    let mut engine = build(scenario).unwrap();
    engine.run_until(engine.duration()).unwrap();
    engine
}

fn node(engine: &dyn Engine, name: &str) -> NodeId {
    engine
        .topology()
        .nodes
        .iter()
        .find(|node| node.name == name)
        .unwrap()
        .id
}

/// When some replica first takes `role` after `after`.
fn first_role_after(engine: &dyn Engine, role: &str, after: Time) -> Option<(Time, NodeId)> {
    engine.trace().iter().find_map(|event| match *event {
        TraceEvent::StateChanged {
            time,
            node,
            role: r,
        } if r == role && time > after => Some((time, node)),
        _ => None,
    })
}

#[test]
fn every_shipped_scenario_runs_and_keeps_its_guarantee() {
    let dir = format!("{}/../../scenarios", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|entry| {
            entry
                .ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".json")
                .map(str::to_string)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 11, "{names:?}");
    for name in names {
        let scenario = preset(&name);
        let engine = run(&scenario);
        let verdict = judge(engine.as_ref(), scenario.protocol.kind(), Budget::default());
        // Every shipped story stays within its protocol's tolerance (the temporal preset
        // loses writes, which eventual consistency allows as long as replicas converge).
        assert_ne!(
            verdict.valid,
            Some(false),
            "{name}: {}",
            verdict.explanation
        );
    }
}

#[test]
fn strict_runs_pass_the_checkers_linearizability_test_across_seeds() {
    for seed in 0..20 {
        let mut scenario = preset("strict-password");
        scenario.seed = seed;
        let engine = run(&scenario);
        let verdict = judge(engine.as_ref(), "strict", Budget::default());
        assert_eq!(
            verdict.valid,
            Some(true),
            "seed {seed}: {}",
            verdict.explanation
        );
    }
}

#[test]
fn a_byzantine_leader_breaks_the_strict_model_and_the_checker_says_how() {
    let mut scenario = preset("strict-password");
    scenario.faults = vec![FaultSpec {
        at_ms: 1_000.0,
        until_ms: None,
        fault: FaultKindSpec::Byzantine {
            node: "n1".into(),
            strategy: StrategyName::Lie,
            toward: vec![],
        },
    }];
    let engine = run(&scenario);
    let verdict = judge(engine.as_ref(), "strict", Budget::default());
    assert_eq!(
        verdict.valid,
        Some(false),
        "a lying leader acknowledges writes it never replicates"
    );
    assert!(
        !verdict.ops.is_empty() && verdict.explanation.len() > 20,
        "{}",
        verdict.explanation
    );
}

#[test]
fn fail_stop_is_told_so_a_new_leader_comes_quickly() {
    let engine = run(&preset("fail-stop"));
    let (when, who) =
        first_role_after(engine.as_ref(), "leader", Time::from_ms(4_000)).expect("a new leader");
    assert_ne!(who, node(engine.as_ref(), "n1"));
    assert!(
        when < Time::from_ms(4_600),
        "told at once, elected at {when}"
    );
    assert!(
        !engine.is_up(node(engine.as_ref(), "n1")),
        "fail-stop is permanent, even after the quiet period"
    );
}

#[test]
fn a_crash_is_noticed_by_timeout_and_the_node_rejoins_after_restart() {
    let engine = run(&preset("crash-recovery"));
    let (when, _) =
        first_role_after(engine.as_ref(), "leader", Time::from_ms(4_000)).expect("a new leader");
    assert!(
        when > Time::from_ms(4_100),
        "nobody is told of a crash: an election timeout passes first ({when})"
    );
    let n1 = node(engine.as_ref(), "n1");
    assert!(engine.is_up(n1));
    assert_eq!(engine.role(n1), "follower");
    let stores: Vec<_> = (0..5).map(|index| engine.store(NodeId(index))).collect();
    assert!(
        stores.windows(2).all(|pair| pair[0] == pair[1]),
        "n1 caught up: {stores:?}"
    );
}

#[test]
fn omission_drops_at_n3_while_the_majority_carries_on() {
    let engine = run(&preset("omission"));
    let n3 = node(engine.as_ref(), "n3");
    let drops = |reason| {
        engine.trace().iter().filter(|event| matches!(**event, TraceEvent::Dropped { node, reason: r, .. } if node == n3 && r == reason)).count()
    };
    assert!(drops(DropReason::SendOmission) > 50 && drops(DropReason::ReceiveOmission) > 50);
    let report = dsplay_sim::report::report(engine.as_ref(), "strict");
    assert!(
        report.ops.availability > 0.8 && report.ops.stale_reads == 0,
        "{}",
        report.ops.availability
    );
}

#[test]
fn a_lagging_clock_loses_acknowledged_writes_in_the_temporal_preset() {
    let engine = run(&preset("temporal"));
    let ops = engine.operations();
    let backup = node(engine.as_ref(), "backup-admin");
    let read_ids: std::collections::BTreeSet<i64> = ops
        .iter()
        .filter_map(|op| op.read_value().flatten())
        .map(|value| value.id)
        .collect();
    let lost = ops
        .iter()
        .filter(|op| op.client == backup && op.is_ok())
        .filter_map(|op| op.written())
        .filter(|value| !read_ids.contains(&value.id))
        .count();
    assert!(
        lost >= 3,
        "acknowledged writes through the lagging ns2 that nobody ever read: {lost}"
    );
    // The slow ns3 handles messages 400 ms after they arrive, from 6 s to 12 s.
    let ns3 = node(engine.as_ref(), "ns3");
    let arrivals: Vec<(Time, dsplay_sim::MsgId)> = engine
        .trace()
        .iter()
        .filter_map(|event| match *event {
            TraceEvent::Hop {
                arrive, msg, to, ..
            } if to == ns3 && arrive > Time::from_ms(6_500) && arrive < Time::from_ms(11_000) => {
                Some((arrive, msg))
            }
            _ => None,
        })
        .collect();
    let late = arrivals.iter().any(|&(arrive, msg)| {
        engine.trace().iter().any(|event| matches!(*event, TraceEvent::Delivered { msg: m, node, time } if m == msg && node == ns3 && time.since_us(arrive) == 400_000))
    });
    assert!(late, "ns3 handles what reaches it 400 ms late");
}

#[test]
fn under_a_partition_the_strict_minority_refuses_instead_of_reading_stale() {
    let engine = run(&preset("partition"));
    let alice = node(engine.as_ref(), "alice");
    let during = |time: Time| time > Time::from_ms(5_600) && time < Time::from_ms(12_000);
    let alice_ok = engine
        .operations()
        .iter()
        .filter(|op| op.client == alice && during(op.invoke) && op.is_ok())
        .count();
    let others_ok = engine
        .operations()
        .iter()
        .filter(|op| op.client != alice && !op.final_read && during(op.invoke) && op.is_ok())
        .count();
    assert!(
        alice_ok <= 2,
        "alice, on the minority side, gets (almost) nothing done: {alice_ok}"
    );
    assert!(others_ok > 30, "the majority side carries on: {others_ok}");
    assert_eq!(
        dsplay_sim::report::report(engine.as_ref(), "strict")
            .ops
            .stale_reads,
        0
    );
}

#[test]
fn the_inspector_sees_each_protocols_own_state() {
    let engine = run(&preset("strict-password"));
    let leader = (0..5)
        .map(NodeId)
        .find(|&node| engine.role(node) == "leader")
        .expect("a leader at the end");
    let details = engine.inspect(leader);
    let value = |label: &str| {
        details
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, value)| value.clone())
    };
    assert!(
        value("term").is_some_and(|term| term.parse::<u64>().unwrap() >= 1),
        "{details:?}"
    );
    assert_eq!(
        value("leader").as_deref(),
        Some(engine.topology().name(leader))
    );
    let causal = run(&preset("causal-comments"));
    let clock = causal.inspect(NodeId(0));
    assert!(
        clock
            .iter()
            .any(|(label, value)| *label == "vector clock" && value.starts_with('[')),
        "{clock:?}"
    );
    let client = node(causal.as_ref(), "alice");
    assert!(
        causal.inspect(client).is_empty(),
        "a client runs no protocol"
    );
}
