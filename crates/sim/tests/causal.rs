//! The causal protocol: a reply is never visible without its comment, sessions survive a
//! move to another replica, replicas converge, and the same thread under eventual breaks.

mod replicated;

use dsplay_sim::history::{is_stale, Outcome};
use dsplay_sim::protocols::causal::{Causal, CausalParams};
use dsplay_sim::protocols::eventual::EventualParams;
use dsplay_sim::protocols::ProtocolConfig;
use dsplay_sim::scenario::{FaultKindSpec, FaultSpec, LinkSpec, NodeSpec};
use dsplay_sim::topology::{Direction, LatencyModel, NodeKind, Ordering};
use dsplay_sim::workload::WorkloadSpec;
use dsplay_sim::{build, ClientOp, Engine, NodeId, Scenario, Simulation, Time, TraceEvent};
use replicated::{add_random_faults, converged, run, sweep_seeds, Causality};

const COMMENTS: &str = include_str!("../../../scenarios/causal-comments.json");

fn comments(seed: u64) -> Scenario {
    let mut scenario = Scenario::from_json(COMMENTS).expect("the shipped preset is valid");
    scenario.seed = seed;
    scenario
}

#[test]
fn no_client_ever_sees_a_reply_without_its_comment() {
    let mut replies_checked = 0;
    let mut held_back = 0;
    for seed in 0..sweep_seeds() {
        let engine = run(&comments(seed));
        let ops = engine.operations();
        let mut causality = Causality::new(&ops);
        let violations = causality.replies_before_comments();
        assert!(
            violations.is_empty(),
            "seed {seed}: {violations:?} (reproduce: dsplay run scenarios/causal-comments.json --seed {seed})"
        );
        let any = causality.violations();
        assert!(any.is_empty(), "seed {seed}: causality broken: {any:?}");
        replies_checked += causality.replies_with_comments();
        held_back += usize::from(engine.trace().iter().any(|event| {
            matches!(
                event,
                TraceEvent::StateChanged {
                    role: "waiting for deps",
                    ..
                }
            )
        }));
        converged(engine.as_ref()).unwrap_or_else(|problem| panic!("seed {seed}: {problem}"));
    }
    println!(
        "{} seeds: {replies_checked} reads of a reply that answers a comment; \
         a replica held a write back in {held_back} runs",
        sweep_seeds()
    );
    assert!(
        replies_checked as u64 > 10 * sweep_seeds(),
        "the thread is busy enough to test something"
    );
    assert!(held_back > 0, "the lossy link makes asia hold replies back");
}

/// The preset under eventual, with the same anti-entropy interval (pushes are immediate in
/// both). The anomaly needs a lost comment and a reply that lands in the window before
/// anti-entropy repairs it; about one seed in ten shows it.
fn comments_under_eventual(seed: u64) -> Scenario {
    let mut scenario = comments(seed);
    let ProtocolConfig::Causal(causal) = &scenario.protocol else {
        unreachable!("the preset runs causal")
    };
    scenario.protocol = ProtocolConfig::Eventual(EventualParams {
        anti_entropy_ms: causal.anti_entropy_ms,
        ..EventualParams::default()
    });
    scenario
}

#[test]
fn under_eventual_the_same_thread_shows_a_reply_before_its_comment() {
    let found = (0..sweep_seeds().max(100)).find_map(|seed| {
        let scenario = comments_under_eventual(seed);
        let engine = run(&scenario);
        let ops = engine.operations();
        let violations = Causality::new(&ops).replies_before_comments();
        violations
            .into_iter()
            .next()
            .map(|violation| (seed, violation))
    });
    let (seed, violation) = found.expect("some seed shows the anomaly under eventual");
    println!("eventual, seed {seed}: {violation:?}");
    assert_eq!(violation.key, "comment");
    assert_eq!(violation.reader, NodeId(5), "carol, on the far replica");
    let preset_seed = Scenario::from_json(COMMENTS).unwrap().seed;
    let preset = comments_under_eventual(preset_seed);
    let ops = run(&preset).operations();
    assert!(
        !Causality::new(&ops).replies_before_comments().is_empty(),
        "the preset's own seed shows it, as its description says"
    );
}

#[test]
fn replicas_converge_after_crashes_and_partitions_heal() {
    for case in 0..sweep_seeds() {
        let mut scenario = comments(case);
        // The us–asia link drops half of all messages, so after a heal convergence can
        // take a few rounds more than the N − 1 of a lossless network; give it 8 s.
        scenario.quiet_ms = 8_000.0;
        add_random_faults(&mut scenario, case);
        let compiled = scenario.compile().unwrap();
        let ProtocolConfig::Causal(settings) = &compiled.protocol else {
            unreachable!("the preset runs causal")
        };
        let mut sim = Simulation::new(&compiled, |node, replicas| {
            Causal::new(node, replicas, settings)
        });
        sim.run().unwrap();
        let engine: &dyn Engine = &sim;
        converged(engine).unwrap_or_else(|problem| panic!("case {case}: {problem}"));
        let ops = engine.operations();
        let violations = Causality::new(&ops).violations();
        assert!(violations.is_empty(), "case {case}: {violations:?}");
        let clocks: Vec<&[u64]> = (0..3)
            .map(|replica| sim.protocol(NodeId(replica)).unwrap().applied())
            .collect();
        assert!(
            clocks.iter().all(|clock| clock == &clocks[0]),
            "case {case}: every write visible everywhere: {clocks:?}"
        );
        for replica in 0..3 {
            assert_eq!(sim.protocol(NodeId(replica)).unwrap().held_len(), 0);
        }
    }
}

#[test]
fn duplicated_and_reordered_messages_change_nothing() {
    for seed in 0..sweep_seeds().min(30) {
        let mut scenario = comments(seed);
        for link in &mut scenario.links {
            link.duplicate = 0.5;
            link.ordering = Ordering::Reorder;
        }
        let engine = run(&scenario);
        let ops = engine.operations();
        let violations = Causality::new(&ops).violations();
        assert!(violations.is_empty(), "seed {seed}: {violations:?}");
        converged(engine.as_ref()).unwrap_or_else(|problem| panic!("seed {seed}: {problem}"));
    }
}

#[test]
fn logs_are_trimmed_once_every_replica_has_applied() {
    let compiled = comments(3).compile().unwrap();
    let mut sim = Simulation::new(&compiled, |node, replicas| {
        Causal::new(node, replicas, &CausalParams::default())
    });
    sim.run().unwrap();
    let written: u64 = sim.protocol(NodeId(0)).unwrap().applied().iter().sum();
    assert!(written > 20, "the thread wrote {written} times");
    for replica in 0..3 {
        let kept = sim.protocol(NodeId(replica)).unwrap().log_len();
        assert!(
            kept < 10,
            "replica {replica} keeps {kept} of {written} writes after the quiet period"
        );
    }
}

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

/// Three replicas 20 ms apart; client c reaches r1 first and r2 as its fail-over, 30 ms
/// each (longer than any replica link, so the client is never a shortcut). Just after c's
/// write is accepted on r1, r1 crashes and its links to r2 and r3 go dead one way, so the
/// write's pushes are lost; r1 comes back at 3 s.
fn fail_over(protocol: ProtocolConfig) -> Scenario {
    let mut scenario = comments(1);
    scenario.protocol = protocol;
    scenario.nodes = ["r1", "r2", "r3"]
        .iter()
        .map(|id| NodeSpec {
            id: (*id).into(),
            kind: NodeKind::Replica,
            x: 0.0,
            y: 0.0,
            workload: None,
        })
        .collect();
    scenario.nodes.push(NodeSpec {
        id: "c".into(),
        kind: NodeKind::Client,
        x: 0.0,
        y: 0.0,
        workload: Some(WorkloadSpec {
            timeout_ms: 2_000.0,
            ..WorkloadSpec::manual()
        }),
    });
    scenario.links = vec![
        link("r1", "r2", 20.0),
        link("r1", "r3", 20.0),
        link("r2", "r3", 20.0),
        link("c", "r1", 30.0),
        link("c", "r2", 30.0),
    ];
    let fault = |fault| FaultSpec {
        at_ms: 35.0,
        until_ms: Some(3_000.0),
        fault,
    };
    scenario.faults = vec![
        fault(FaultKindSpec::Crash { node: "r1".into() }),
        fault(FaultKindSpec::CutLink {
            a: "r1".into(),
            b: "r2".into(),
            one_way: true,
        }),
        fault(FaultKindSpec::CutLink {
            a: "r1".into(),
            b: "r3".into(),
            one_way: true,
        }),
    ];
    scenario
}

const C: NodeId = NodeId(3);

/// Writes x on r1, then reads x until a read completes on r2 (the fail-over replica).
fn write_then_read_elsewhere(scenario: &Scenario) -> (Box<dyn Engine>, Outcome, u64) {
    let mut engine = build(scenario).unwrap();
    let write = ClientOp::Write {
        key: "x".into(),
        value: 1,
    };
    engine.invoke(C, write).unwrap();
    loop {
        let ops = engine.operations();
        let last = ops.last().unwrap();
        match &last.complete {
            Some((_, outcome)) if last.replica == NodeId(1) && !last.op.name().eq("write") => {
                let latency_us = last.latency_us().unwrap();
                let outcome = outcome.clone();
                return (engine, outcome, latency_us);
            }
            Some(_) => {
                engine
                    .invoke(C, ClientOp::Read { key: "x".into() })
                    .unwrap();
            }
            None => assert!(engine.step().unwrap(), "the run ended first"),
        }
    }
}

#[test]
fn a_client_that_fails_over_still_reads_its_own_write() {
    let scenario = fail_over(ProtocolConfig::Causal(CausalParams::default()));
    let (engine, outcome, latency_us) = write_then_read_elsewhere(&scenario);
    let ops = engine.operations();
    assert_eq!(
        ops[0].outcome(),
        Some(&Outcome::Ok(None)),
        "r1 took the write"
    );
    assert_eq!(
        ops[1].outcome(),
        Some(&Outcome::Info),
        "r1 crashed: time out"
    );
    assert!(
        matches!(outcome, Outcome::Ok(Some(value)) if value.id == 1),
        "r2 waited for the write before answering: {outcome:?}"
    );
    assert!(
        latency_us > 800_000,
        "r2 caught up only once r1 was back at 3 s ({latency_us} µs)"
    );
    assert!(engine.trace().iter().any(|event| matches!(
        event,
        TraceEvent::StateChanged {
            node: NodeId(1),
            role: "catching up",
            ..
        }
    )));
    assert!(ops.iter().all(|op| !is_stale(op, &ops)));
}

#[test]
fn without_a_causal_context_the_fail_over_reads_nothing() {
    let scenario = fail_over(ProtocolConfig::Eventual(EventualParams::default()));
    let (engine, outcome, latency_us) = write_then_read_elsewhere(&scenario);
    assert_eq!(outcome, Outcome::Ok(None), "r2 has not heard of the write");
    assert_eq!(latency_us, 60_000, "and says so at once");
    let ops = engine.operations();
    assert!(is_stale(ops.last().unwrap(), &ops));
}

#[test]
fn bad_parameters_are_rejected_at_load() {
    let text = COMMENTS.replace(r#""anti_entropy_ms": 2000"#, r#""anti_entropy_ms": -5"#);
    let error = Scenario::from_json(&text).unwrap_err().to_string();
    assert!(
        error.contains(
            "protocol.anti_entropy_ms: must be a positive number of milliseconds, got -5"
        ),
        "{error}"
    );
    let text = COMMENTS.replace(r#""push": true"#, r#""push": true, "n": 2"#);
    let error = Scenario::from_json(&text).unwrap_err().to_string();
    assert!(error.contains("unknown field `n`"), "{error}");
}

#[test]
fn a_run_is_deterministic_and_the_final_reads_close_it() {
    let first = run(&comments(5));
    let second = run(&comments(5));
    assert_eq!(first.fingerprint(), second.fingerprint());
    let finals = first
        .operations()
        .into_iter()
        .filter(|op| op.final_read)
        .count();
    assert_eq!(finals, 3 * 2, "three replicas, two keys");
    assert_eq!(first.now(), Time::from_ms(20_000));
}
