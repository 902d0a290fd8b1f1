//! The eventual protocol: stale reads before convergence, convergence after, quorums that
//! trade latency for freshness, placement on N replicas, and parameters checked at load.

mod replicated;

use dsplay_sim::history::{is_stale, metrics, Outcome};
use dsplay_sim::protocols::eventual::{Eventual, EventualParams};
use dsplay_sim::protocols::ProtocolConfig;
use dsplay_sim::scenario::{LinkSpec, NodeSpec};
use dsplay_sim::topology::{Direction, LatencyModel, NodeKind, Ordering};
use dsplay_sim::workload::WorkloadSpec;
use dsplay_sim::{ClientOp, Engine, NodeId, Protocol, Scenario, Simulation, Time};
use replicated::{add_random_faults, converged, run, sweep_seeds};

const DNS: &str = include_str!("../../../scenarios/eventual-dns.json");

fn dns() -> Scenario {
    Scenario::from_json(DNS).expect("the shipped preset is valid")
}

fn params(scenario: &mut Scenario) -> &mut EventualParams {
    match &mut scenario.protocol {
        ProtocolConfig::Eventual(params) => params,
        other => panic!("the DNS preset runs eventual, not {}", other.kind()),
    }
}

fn stale_reads(engine: &dyn Engine) -> u64 {
    metrics(&engine.operations()).stale_reads
}

#[test]
fn the_dns_preset_reads_stale_records_and_then_converges() {
    let engine = run(&dns());
    let ops = engine.operations();
    let stale: Vec<_> = ops
        .iter()
        .filter(|op| !op.final_read && is_stale(op, &ops))
        .collect();
    assert!(
        !stale.is_empty(),
        "resolvers read old records after updates"
    );
    let quiet_from = Time::from_ms(18_000 - 3_000);
    assert!(
        stale.iter().any(|op| op.invoke < Time::from_ms(5_000)),
        "a stale read within the first seconds, before any fault"
    );
    assert!(stale.iter().all(|op| op.invoke < quiet_from));
    converged(engine.as_ref()).unwrap();
    let figures = metrics(&ops);
    assert_eq!(figures.ops_fail, 0, "R = W = 1 never refuses");
}

#[test]
fn replicas_converge_after_crashes_and_partitions_heal() {
    for case in 0..sweep_seeds() {
        let mut scenario = dns();
        scenario.faults.clear();
        scenario.seed = case;
        add_random_faults(&mut scenario, case);
        let engine = run(&scenario);
        if let Err(problem) = converged(engine.as_ref()) {
            panic!("case {case}: {problem}");
        }
    }
}

/// With exact clocks, read and write quorums that overlap (R + W > N) never miss a write
/// acknowledged before the read began. Skewed clocks (the failures issue) break this.
#[test]
fn overlapping_quorums_remove_the_stale_reads_of_r_w_one() {
    let seeds = sweep_seeds().min(30);
    let mut one = 0;
    let mut quorum = 0;
    let mut latency_one = 0.0;
    let mut latency_quorum = 0.0;
    for seed in 0..seeds {
        let mut scenario = dns();
        scenario.seed = seed;
        let engine = run(&scenario);
        one += stale_reads(engine.as_ref());
        latency_one += metrics(&engine.operations()).latency_ms["read"].p50;
        let settings = params(&mut scenario);
        settings.r = 2;
        settings.w = 3;
        let engine = run(&scenario);
        quorum += stale_reads(engine.as_ref());
        latency_quorum += metrics(&engine.operations()).latency_ms["read"].p50;
        converged(engine.as_ref()).unwrap_or_else(|problem| panic!("seed {seed}: {problem}"));
    }
    println!(
        "stale reads over {seeds} seeds: R=W=1 {one}, R=2 W=3 {quorum}; \
         mean read p50 {:.1} ms vs {:.1} ms",
        latency_one / seeds as f64,
        latency_quorum / seeds as f64
    );
    assert!(one > 0);
    assert_eq!(
        quorum, 0,
        "R + W > N with exact clocks reads no stale value"
    );
    assert!(
        latency_quorum > latency_one,
        "freshness costs latency: a read waits for a second replica"
    );
}

#[test]
fn quorums_larger_than_n_are_rejected_at_load() {
    let mut scenario = dns();
    let settings = params(&mut scenario);
    settings.n = 3;
    settings.r = 4;
    settings.w = 0;
    let error = scenario.compile().unwrap_err().to_string();
    assert!(
        error.contains("protocol.r: a read quorum of 4 is larger than N = 3"),
        "{error}"
    );
    assert!(
        error.contains("protocol.w: a quorum must be at least 1"),
        "{error}"
    );

    let mut scenario = dns();
    params(&mut scenario).n = 5;
    params(&mut scenario).w = 5;
    let error = Scenario::from_json(&scenario.to_json_pretty())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("protocol.n: N = 5 is larger than the number of replicas (4)"),
        "{error}"
    );
    assert!(
        error.contains("protocol.w: a write quorum of 5 is larger than N = 4"),
        "{error}"
    );

    let text = DNS.replace(r#""read_repair": true"#, r#""read_repiar": true"#);
    let error = Scenario::from_json(&text).unwrap_err().to_string();
    assert!(error.contains("unknown field `read_repiar`"), "{error}");
    let text = DNS.replace(r#""anti_entropy_ms": 500"#, r#""anti_entropy_ms": 0"#);
    let error = Scenario::from_json(&text).unwrap_err().to_string();
    assert!(
        error.contains("protocol.anti_entropy_ms: must be a positive number"),
        "{error}"
    );
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

/// Five replicas in a ring of 30 ms links, and a client driven by hand on r1.
fn ring_of_five(settings: EventualParams) -> Scenario {
    let mut scenario = dns();
    scenario.faults.clear();
    scenario.protocol = ProtocolConfig::Eventual(settings);
    scenario.nodes = (1..=5)
        .map(|index| NodeSpec {
            id: format!("r{index}"),
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
        workload: Some(WorkloadSpec::manual()),
    });
    scenario.links = (1..=5)
        .map(|index| link(&format!("r{index}"), &format!("r{}", index % 5 + 1), 30.0))
        .collect();
    scenario.links.push(link("c", "r1", 5.0));
    scenario
}

const CLIENT: NodeId = NodeId(5);

fn simulation(scenario: &Scenario) -> Simulation<Eventual> {
    let compiled = scenario.compile().unwrap();
    let ProtocolConfig::Eventual(settings) = &compiled.protocol else {
        unreachable!("built as eventual")
    };
    Simulation::new(&compiled, |node, replicas| {
        Eventual::new(node, replicas, settings)
    })
}

/// Invokes `op` on the client and runs until it completes; returns its outcome and latency.
fn complete(sim: &mut Simulation<Eventual>, op: ClientOp) -> (Outcome, u64) {
    sim.invoke(CLIENT, op).unwrap();
    let index = sim.operations().len() - 1;
    loop {
        let ops = sim.operations();
        if let Some((_, outcome)) = &ops[index].complete {
            return (outcome.clone(), ops[index].latency_us().unwrap());
        }
        assert!(sim.step().unwrap(), "the run ended with the operation open");
    }
}

#[test]
fn with_n_below_the_replica_count_each_key_lives_on_its_n_replicas() {
    let mut sim = simulation(&ring_of_five(EventualParams {
        n: 3,
        w: 2,
        r: 2,
        ..EventualParams::default()
    }));
    let keys = ["a", "b", "c", "d", "e", "f"];
    for (value, key) in keys.iter().enumerate() {
        let (outcome, _) = complete(
            &mut sim,
            ClientOp::Write {
                key: (*key).into(),
                value: value as i64,
            },
        );
        assert_eq!(outcome, Outcome::Ok(None));
    }
    sim.run_until(Time::from_ms(5_000)).unwrap();
    let replicas: Vec<NodeId> = (0..5).map(NodeId).collect();
    let mut owned_by_r1 = 0;
    for (value, key) in keys.iter().enumerate() {
        let owners = sim.protocol(replicas[0]).unwrap().owners(key);
        assert_eq!(owners.len(), 3);
        for &replica in &replicas {
            let protocol = sim.protocol(replica).unwrap();
            assert_eq!(protocol.owners(key), owners, "every replica agrees");
            let held = protocol.local_read(key).map(|v| v.id);
            let expected = owners.contains(&replica).then_some(value as i64);
            assert_eq!(held, expected, "{key} at r{}", replica.0 + 1);
        }
        owned_by_r1 += usize::from(owners.contains(&replicas[0]));
    }
    assert!(
        owned_by_r1 < keys.len(),
        "r1 coordinates keys it does not hold"
    );
    // A read through r1 finds the keys r1 does not hold on their owners.
    for (value, key) in keys.iter().enumerate() {
        let (outcome, _) = complete(&mut sim, ClientOp::Read { key: (*key).into() });
        let Outcome::Ok(Some(read)) = outcome else {
            panic!("{key}: {outcome:?}")
        };
        assert_eq!(read.id, value as i64);
    }
}

#[test]
fn a_write_waits_for_w_acknowledgements_and_a_read_for_r_replies() {
    // r1's neighbours are 30 ms away, the others 60 ms: the client's round trip is 10 ms.
    let scenario = |r, w| {
        ring_of_five(EventualParams {
            r,
            w,
            ..EventualParams::default()
        })
    };
    let mut sim = simulation(&scenario(1, 1));
    let write = ClientOp::Write {
        key: "x".into(),
        value: 1,
    };
    assert_eq!(complete(&mut sim, write.clone()).1, 10_000);
    let mut sim = simulation(&scenario(1, 3));
    assert_eq!(complete(&mut sim, write.clone()).1, 10_000 + 60_000);
    let mut sim = simulation(&scenario(4, 1));
    assert_eq!(complete(&mut sim, write).1, 10_000);
    let (outcome, latency_us) = complete(&mut sim, ClientOp::Read { key: "x".into() });
    assert_eq!(
        latency_us,
        10_000 + 120_000,
        "the two far replicas answer last"
    );
    assert!(matches!(outcome, Outcome::Ok(Some(value)) if value.id == 1));
}

#[test]
fn a_duplicated_acknowledgement_counts_once() {
    let mut scenario = ring_of_five(EventualParams {
        w: 3,
        ..EventualParams::default()
    });
    // Every message between r1 and r2 arrives twice; r5, r1's other neighbour, is slow.
    scenario.links[0].duplicate = 1.0;
    scenario.links[4].latency = LatencyModel::Constant { ms: 100.0 };
    let mut sim = simulation(&scenario);
    let write = ClientOp::Write {
        key: "x".into(),
        value: 1,
    };
    let (outcome, latency_us) = complete(&mut sim, write);
    assert_eq!(outcome, Outcome::Ok(None));
    assert_eq!(
        latency_us,
        10_000 + 120_000,
        "the third acknowledgement is r3's, 60 ms away through r2, not r2's copy at 30 ms"
    );
}

#[test]
fn a_quorum_read_that_cannot_gather_r_replies_fails_and_a_write_stays_open() {
    let mut scenario = ring_of_five(EventualParams {
        r: 3,
        w: 3,
        ..EventualParams::default()
    });
    // r1 alone: its two ring links cut.
    scenario.faults = vec![dsplay_sim::scenario::FaultSpec {
        at_ms: 0.0,
        until_ms: None,
        fault: dsplay_sim::scenario::FaultKindSpec::Partition {
            groups: vec![vec!["r1".into(), "c".into()]],
        },
    }];
    let mut sim = simulation(&scenario);
    let (outcome, _) = complete(&mut sim, ClientOp::Read { key: "x".into() });
    assert_eq!(
        outcome,
        Outcome::Fail("only 1 of the 3 replies a read needs came within 800 ms".into())
    );
    let (outcome, latency_us) = complete(
        &mut sim,
        ClientOp::Write {
            key: "x".into(),
            value: 7,
        },
    );
    assert_eq!(
        outcome,
        Outcome::Info,
        "applied at r1, so never a failure: the client times out"
    );
    assert_eq!(latency_us, 1_000_000);
    assert_eq!(
        sim.protocol(NodeId(0)).unwrap().local_read("x").unwrap().id,
        7
    );
}

#[test]
fn cas_compares_at_the_coordinator_and_returns_the_value_it_replaced() {
    let mut sim = simulation(&ring_of_five(EventualParams::default()));
    let write = ClientOp::Write {
        key: "x".into(),
        value: 5,
    };
    complete(&mut sim, write);
    let (outcome, _) = complete(
        &mut sim,
        ClientOp::Cas {
            key: "x".into(),
            old: 5,
            new: 6,
        },
    );
    assert!(matches!(outcome, Outcome::Ok(Some(value)) if value.shown == 5));
    let (outcome, _) = complete(
        &mut sim,
        ClientOp::Cas {
            key: "x".into(),
            old: 5,
            new: 7,
        },
    );
    assert_eq!(outcome, Outcome::Fail("the value is 6, not 5".into()));
}

/// The hook for clock skew: every version carries its coordinator's clock reading.
#[test]
fn versions_carry_the_coordinators_clock_and_node() {
    let mut sim = simulation(&ring_of_five(EventualParams::default()));
    sim.run_until(Time::from_ms(1_000)).unwrap();
    complete(
        &mut sim,
        ClientOp::Write {
            key: "x".into(),
            value: 1,
        },
    );
    let invoked = sim.operations()[0].invoke;
    sim.run_until(Time::from_ms(2_000)).unwrap();
    for replica in 0..5 {
        let version = *sim.protocol(NodeId(replica)).unwrap().version("x").unwrap();
        assert_eq!(version.stamp.node, 0, "r1 coordinated");
        assert_eq!(
            version.stamp.time_us,
            invoked.as_us() + 5_000,
            "r1's clock when the write arrived"
        );
    }
}

/// Links that duplicate every other message and reorder them: acknowledgements and replies
/// count once per replica, and a client's request is served once.
#[test]
fn duplicated_messages_count_once() {
    for seed in 0..sweep_seeds().min(30) {
        let mut scenario = dns();
        scenario.seed = seed;
        for link in &mut scenario.links {
            link.duplicate = 0.5;
            link.ordering = Ordering::Reorder;
        }
        let settings = params(&mut scenario);
        settings.r = 2;
        settings.w = 3;
        let engine = run(&scenario);
        assert_eq!(stale_reads(engine.as_ref()), 0, "seed {seed}");
        converged(engine.as_ref()).unwrap_or_else(|problem| panic!("seed {seed}: {problem}"));
    }
}

/// r3 is cut off while x is written, and anti-entropy is too slow to matter: a read that
/// hears r3's old answer repairs it, unless read repair is off.
#[test]
fn a_read_repairs_the_replicas_it_found_behind() {
    for read_repair in [true, false] {
        let mut scenario = ring_of_five(EventualParams {
            r: 5,
            read_repair,
            anti_entropy_ms: 1_000_000.0,
            ..EventualParams::default()
        });
        scenario.faults = vec![dsplay_sim::scenario::FaultSpec {
            at_ms: 0.0,
            until_ms: Some(500.0),
            fault: dsplay_sim::scenario::FaultKindSpec::Partition {
                groups: vec![vec!["r3".into()]],
            },
        }];
        let mut sim = simulation(&scenario);
        let write = ClientOp::Write {
            key: "x".into(),
            value: 1,
        };
        complete(&mut sim, write);
        sim.run_until(Time::from_ms(1_000)).unwrap();
        let r3 = NodeId(2);
        assert_eq!(sim.protocol(r3).unwrap().local_read("x"), None);
        let (outcome, _) = complete(&mut sim, ClientOp::Read { key: "x".into() });
        assert!(matches!(outcome, Outcome::Ok(Some(value)) if value.id == 1));
        sim.run_until(sim.now().plus_us(500_000)).unwrap();
        let repaired = sim.protocol(r3).unwrap().local_read("x").map(|v| v.id);
        assert_eq!(
            repaired,
            read_repair.then_some(1),
            "read_repair {read_repair}"
        );
    }
}
