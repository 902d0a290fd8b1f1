//! Clients and the history: requests over the network, redirects, timeouts as
//! indeterminate operations, fresh processes, fail-over, unique values and final reads.

use dsplay_sim::history::{Outcome, FINAL_READ_PROCESS_BASE};
use dsplay_sim::scenario::{FaultKindSpec, FaultSpec, LinkSpec, NodeSpec, Scenario};
use dsplay_sim::topology::{Direction, LatencyModel, NodeKind, Ordering};
use dsplay_sim::workload::WorkloadSpec;
use dsplay_sim::{build, ClientOp, Engine, NodeId, Op, Time, TraceEvent};

const RING: &str = include_str!("../../../scenarios/gossip-ring.json");

fn link(a: &str, b: &str, ms: f64) -> LinkSpec {
    LinkSpec {
        a: a.into(),
        b: b.into(),
        direction: Direction::Both,
        latency: LatencyModel::Constant { ms },
        loss: 0.0,
        duplicate: 0.0,
        ordering: Ordering::Fifo,
    }
}

/// The gossip ring without faults, plus client c1 linked to n1 (first) and n2.
fn ring_with_client(workload: Option<WorkloadSpec>) -> Scenario {
    let mut scenario = Scenario::from_json(RING).unwrap();
    scenario.faults.clear();
    scenario.nodes.push(NodeSpec {
        id: "c1".into(),
        kind: NodeKind::Client,
        x: 0.0,
        y: 0.0,
        workload,
    });
    scenario.links.push(link("c1", "n1", 10.0));
    scenario.links.push(link("c1", "n2", 10.0));
    scenario
}

const C1: NodeId = NodeId(5);

#[test]
fn a_read_travels_to_the_first_replica_and_back() {
    let mut engine = build(&ring_with_client(None)).unwrap();
    engine.run_until(Time::from_ms(3_000)).unwrap();
    engine
        .invoke(C1, ClientOp::Read { key: "x".into() })
        .unwrap();
    engine.run_until(Time::from_ms(3_100)).unwrap();
    let ops = engine.operations();
    assert_eq!(ops.len(), 1);
    let (done, outcome) = ops[0].complete.clone().expect("answered");
    assert_eq!(done, Time::from_ms(3_020), "10 ms there and 10 ms back");
    assert_eq!(ops[0].replica, NodeId(0));
    let Outcome::Ok(Some(total)) = outcome else {
        panic!("a read of the counter, got {outcome:?}")
    };
    assert!(total.shown > 0, "the counter has counted by 3 s");
    assert!(engine
        .trace()
        .iter()
        .any(|event| matches!(event, TraceEvent::OpCompleted { outcome: "ok", .. })));
}

#[test]
fn a_client_waits_for_one_operation_at_a_time() {
    let mut engine = build(&ring_with_client(None)).unwrap();
    engine
        .invoke(C1, ClientOp::Read { key: "x".into() })
        .unwrap();
    let error = engine
        .invoke(C1, ClientOp::Read { key: "y".into() })
        .unwrap_err();
    assert_eq!(error, "c1 is still waiting for its read of x");
    let error = engine
        .invoke(NodeId(0), ClientOp::Read { key: "x".into() })
        .unwrap_err();
    assert_eq!(error, "n1 is not a client");
}

#[test]
fn a_refused_write_fails_with_the_replicas_reason() {
    let mut engine = build(&ring_with_client(None)).unwrap();
    engine
        .invoke(
            C1,
            ClientOp::Write {
                key: "x".into(),
                value: 5,
            },
        )
        .unwrap();
    engine.run_until(Time::from_ms(100)).unwrap();
    let ops = engine.operations();
    assert!(
        matches!(&ops[0].complete, Some((_, Outcome::Fail(reason))) if reason.contains("takes no writes"))
    );
}

#[test]
fn an_unanswered_operation_is_indeterminate_and_the_client_moves_on() {
    let mut scenario = ring_with_client(Some(WorkloadSpec {
        rate_per_s: 5.0,
        read: 1.0,
        write: 0.0,
        ..WorkloadSpec::default()
    }));
    scenario.faults.push(FaultSpec {
        at_ms: 1_000.0,
        until_ms: Some(6_000.0),
        fault: FaultKindSpec::Crash { node: "n1".into() },
    });
    let engine = run(&scenario);
    let ops: Vec<_> = engine
        .operations()
        .into_iter()
        .filter(|op| !op.final_read)
        .collect();
    let first_info = ops
        .iter()
        .position(|op| matches!(op.outcome(), Some(Outcome::Info)))
        .expect("a read to the crashed n1 times out");
    let timed_out = &ops[first_info];
    assert_eq!(timed_out.replica, NodeId(0));
    assert_eq!(
        timed_out.latency_us(),
        Some(1_000_000),
        "the default timeout is 1 s"
    );
    let next = &ops[first_info + 1];
    assert_ne!(
        next.process, timed_out.process,
        "a fresh process after an indeterminate operation"
    );
    assert_eq!(next.replica, NodeId(1), "the client fails over to n2");
    assert!(next.is_ok());
    // At most one operation at a time: each invocation comes after the previous completion.
    for pair in ops.windows(2) {
        let (done, _) = pair[0]
            .complete
            .clone()
            .expect("completed before the next began");
        assert!(done <= pair[1].invoke);
    }
}

fn run(scenario: &Scenario) -> Box<dyn Engine> {
    let mut engine = build(scenario).unwrap();
    engine.run_until(engine.duration()).unwrap();
    engine
}

#[test]
fn the_workload_stops_for_the_quiet_period_and_final_reads_close_the_history() {
    let mut scenario = ring_with_client(Some(WorkloadSpec {
        rate_per_s: 10.0,
        keys: vec!["x".into(), "y".into()],
        ..WorkloadSpec::default()
    }));
    scenario.faults.push(FaultSpec {
        at_ms: 2_000.0,
        until_ms: None,
        fault: FaultKindSpec::Crash { node: "n4".into() },
    });
    let engine = run(&scenario);
    let quiet_from = Time::from_ms(18_000);
    let ops = engine.operations();
    let client_ops: Vec<_> = ops.iter().filter(|op| !op.final_read).collect();
    assert!(
        client_ops.len() > 50,
        "10 operations a second for 18 s, got {}",
        client_ops.len()
    );
    assert!(
        client_ops.iter().all(|op| op.invoke < quiet_from),
        "no operation starts in the quiet period"
    );
    // n4 crashed for good in the schedule, but the quiet period heals it.
    assert!(engine.is_up(NodeId(3)));
    assert!(engine
        .trace()
        .iter()
        .any(|event| matches!(event, TraceEvent::HealAll { time } if *time == quiet_from)));
    let finals: Vec<_> = ops.iter().filter(|op| op.final_read).collect();
    assert_eq!(finals.len(), 5 * 2, "every replica, every key");
    for read in &finals {
        assert_eq!(read.invoke, Time::from_ms(20_000));
        assert_eq!(
            read.process,
            FINAL_READ_PROCESS_BASE + u64::from(read.replica.0)
        );
        assert!(read.is_ok());
    }
}

#[test]
fn typed_values_stay_unique_per_key_even_when_repeated() {
    let mut engine = build(&ring_with_client(None)).unwrap();
    let mut written = Vec::new();
    for _ in 0..3 {
        engine
            .invoke(
                C1,
                ClientOp::Write {
                    key: "x".into(),
                    value: 5,
                },
            )
            .unwrap();
        engine.run_until(engine.now().plus_us(100_000)).unwrap();
    }
    engine
        .invoke(
            C1,
            ClientOp::Write {
                key: "y".into(),
                value: 5,
            },
        )
        .unwrap();
    for op in engine.operations() {
        if let Op::Write { key, value } = op.op {
            written.push((key, value.id, value.shown));
        }
    }
    assert_eq!(
        written,
        vec![
            ("x".into(), 5, 5),
            ("x".into(), 6, 5),
            ("x".into(), 7, 5),
            ("y".into(), 5, 5)
        ]
    );
}

#[test]
fn restoring_a_snapshot_restores_clients_and_history() {
    let scenario = ring_with_client(Some(WorkloadSpec {
        rate_per_s: 8.0,
        ..WorkloadSpec::default()
    }));
    let whole = run(&scenario);
    let mut engine = build(&scenario).unwrap();
    engine.run_until(Time::from_ms(7_300)).unwrap();
    let snapshot = engine.snapshot();
    engine.run_until(engine.duration()).unwrap();
    engine.restore(&snapshot).unwrap();
    engine.run_until(engine.duration()).unwrap();
    assert_eq!(engine.fingerprint(), whole.fingerprint());
    assert_eq!(engine.operations(), whole.operations());
}

#[test]
fn a_client_linked_to_no_replica_is_rejected() {
    let mut scenario = ring_with_client(None);
    scenario.links.retain(|link| link.a != "c1");
    let error = Scenario::from_json(&scenario.to_json_pretty())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("nodes[5]: client \"c1\" is linked to no replica"),
        "{error}"
    );
    let mut bad = ring_with_client(Some(WorkloadSpec {
        rate_per_s: -1.0,
        keys: vec![],
        ..WorkloadSpec::default()
    }));
    bad.nodes[0].workload = Some(WorkloadSpec::default());
    let error = bad.compile().unwrap_err().to_string();
    assert!(
        error.contains("nodes[5].workload.rate_per_s: must be between 0 and 1000"),
        "{error}"
    );
    assert!(
        error.contains("nodes[5].workload.keys: between 1 and 64 keys, got 0"),
        "{error}"
    );
    assert!(
        error.contains("nodes[0].workload: only clients have a workload"),
        "{error}"
    );
}

#[test]
fn a_typed_operation_scheduled_live_replays_like_one_in_the_scenario() {
    use dsplay_sim::workload::{ClientOpSpec, OperationSpec};
    let scenario = ring_with_client(None);
    let mut live = build(&scenario).unwrap();
    live.run_until(Time::from_ms(2_000)).unwrap();
    live.schedule_op(Time::from_ms(2_000), C1, ClientOp::Read { key: "x".into() })
        .unwrap();
    live.run_until(live.duration()).unwrap();

    let mut recorded = scenario.clone();
    recorded.operations.push(OperationSpec {
        at_ms: 2_000,
        client: "c1".into(),
        op: ClientOpSpec::Read { key: "x".into() },
    });
    let replayed = run(&Scenario::from_json(&recorded.to_json_pretty()).unwrap());
    assert_eq!(live.fingerprint(), replayed.fingerprint());
    assert_eq!(
        replayed
            .operations()
            .iter()
            .filter(|op| !op.final_read)
            .count(),
        1
    );

    let error = live
        .schedule_op(Time::from_ms(1_000), C1, ClientOp::Read { key: "x".into() })
        .unwrap_err();
    assert!(error.contains("before the run's current time"), "{error}");
    let error = live
        .schedule_op(
            live.duration(),
            NodeId(0),
            ClientOp::Read { key: "x".into() },
        )
        .unwrap_err();
    assert_eq!(error, "n1 is not a client");
}

#[test]
fn a_typed_operation_on_a_busy_client_is_refused_in_every_replay() {
    use dsplay_sim::workload::{ClientOpSpec, OperationSpec};
    let mut scenario = ring_with_client(None);
    scenario.operations = vec![
        OperationSpec {
            at_ms: 1_000,
            client: "c1".into(),
            op: ClientOpSpec::Write {
                key: "x".into(),
                value: 1,
            },
        },
        OperationSpec {
            at_ms: 1_005,
            client: "c1".into(),
            op: ClientOpSpec::Read { key: "x".into() },
        },
        OperationSpec {
            at_ms: 2_000,
            client: "c1".into(),
            op: ClientOpSpec::Read { key: "x".into() },
        },
    ];
    let engine = run(&scenario);
    let ops: Vec<_> = engine
        .operations()
        .into_iter()
        .filter(|op| !op.final_read)
        .collect();
    assert_eq!(
        ops.len(),
        2,
        "the read at 1.005 s came while the write was in flight"
    );
    let mut bad = scenario.clone();
    bad.operations.push(OperationSpec {
        at_ms: 5,
        client: "n1".into(),
        op: ClientOpSpec::Read { key: "x".into() },
    });
    let error = bad.compile().unwrap_err().to_string();
    assert!(
        error.contains("operations[3].client: \"n1\" is a replica; operations run on clients"),
        "{error}"
    );
}
