//! Every fault kind of the seed, each shown to do what it says: omission, temporal faults
//! (slow nodes, slow links, skewed clocks), byzantine strategies, link changes, and live
//! injection that replays exactly.

use dsplay_sim::fault::{FaultKindSpec, FaultSpec, StrategyName};
use dsplay_sim::history::{self, Outcome};
use dsplay_sim::protocols::sequential::Sequential;
use dsplay_sim::protocols::ProtocolConfig;
use dsplay_sim::trace::DropReason;
use dsplay_sim::{build, Engine, NodeId, Scenario, Simulation, Time, TraceEvent};

const RING: &str = include_str!("../../../scenarios/gossip-ring.json");
const FEED: &str = include_str!("../../../scenarios/sequential-feed.json");

fn with_faults(text: &str, faults: Vec<FaultSpec>) -> Scenario {
    let mut scenario = Scenario::from_json(text).unwrap();
    scenario.faults = faults;
    scenario.compile().unwrap_or_else(|err| panic!("{err}"));
    scenario
}

fn run(scenario: &Scenario) -> Box<dyn Engine> {
    let mut engine = build(scenario).unwrap();
    engine.run_until(engine.duration()).unwrap();
    engine
}

fn fault(at_ms: f64, until_ms: Option<f64>, fault: FaultKindSpec) -> FaultSpec {
    FaultSpec {
        at_ms,
        until_ms,
        fault,
    }
}

fn drops(engine: &dyn Engine, reason: DropReason) -> Vec<(Time, NodeId)> {
    engine
        .trace()
        .iter()
        .filter_map(|event| match *event {
            TraceEvent::Dropped {
                time,
                node,
                reason: r,
                ..
            } if r == reason => Some((time, node)),
            _ => None,
        })
        .collect()
}

#[test]
fn send_omission_drops_what_the_node_sends_and_only_while_it_lasts() {
    let spec = FaultKindSpec::Omission {
        node: "n2".into(),
        send: 1.0,
        receive: 0.0,
    };
    let engine = run(&with_faults(
        RING,
        vec![fault(2_000.0, Some(5_000.0), spec)],
    ));
    let dropped = drops(engine.as_ref(), DropReason::SendOmission);
    assert!(
        dropped.len() > 20,
        "n2 sends heartbeats and gossip every few hundred ms"
    );
    assert!(dropped.iter().all(|&(time, node)| node == NodeId(1)
        && time > Time::from_ms(2_000)
        && time <= Time::from_ms(5_000)));
    // Its peers stop hearing from it and suspect it.
    assert!(engine.trace().iter().any(|event| matches!(event, TraceEvent::StateChanged { role: "suspecting", time, .. } if *time > Time::from_ms(2_000) && *time < Time::from_ms(5_500))));
}

#[test]
fn receive_omission_drops_about_the_given_share_at_the_receiver() {
    let spec = FaultKindSpec::Omission {
        node: "n1".into(),
        send: 0.0,
        receive: 0.5,
    };
    let engine = run(&with_faults(RING, vec![fault(0.0, None, spec)]));
    let dropped = drops(engine.as_ref(), DropReason::ReceiveOmission).len() as f64;
    let delivered = engine
        .trace()
        .iter()
        .filter(|event| {
            matches!(
                event,
                TraceEvent::Delivered {
                    node: NodeId(0),
                    ..
                }
            )
        })
        .count() as f64;
    let share = dropped / (dropped + delivered);
    assert!(
        (0.4..0.6).contains(&share),
        "about half of n1's messages are lost on receipt, got {share}"
    );
}

#[test]
fn a_slow_node_handles_each_message_late() {
    let spec = FaultKindSpec::Slow {
        node: "n3".into(),
        delay_ms: 250.0,
    };
    let engine = run(&with_faults(
        RING,
        vec![fault(1_000.0, Some(3_000.0), spec)],
    ));
    let trace = engine.trace();
    let mut late = 0;
    for event in trace {
        let TraceEvent::Delivered {
            time,
            msg,
            node: NodeId(2),
        } = *event
        else {
            continue;
        };
        let arrived = trace.iter().rev().find_map(|hop| match *hop {
            TraceEvent::Hop {
                msg: m,
                to: NodeId(2),
                arrive,
                ..
            } if m == msg && arrive <= time => Some(arrive),
            _ => None,
        });
        if let Some(arrived) = arrived {
            if arrived > Time::from_ms(1_000) && arrived <= Time::from_ms(3_000) {
                assert_eq!(
                    time.since_us(arrived),
                    250_000,
                    "handled 250 ms after it arrived"
                );
                late += 1;
            } else if arrived > Time::from_ms(3_500) {
                assert_eq!(time, arrived, "on time again after the fault");
            }
        }
    }
    assert!(late > 10);
}

#[test]
fn a_clock_running_at_half_speed_fires_its_timers_half_as_often() {
    let spec = FaultKindSpec::ClockSkew {
        node: "n4".into(),
        rate: 0.5,
        offset_ms: 0.0,
    };
    let engine = run(&with_faults(
        RING,
        vec![fault(4_000.0, Some(16_000.0), spec)],
    ));
    let timers = |node: NodeId, from_ms: u64, to_ms: u64| {
        engine
            .trace()
            .iter()
            .filter(|event| matches!(event, TraceEvent::TimerFired { node: n, time, .. } if *n == node && *time > Time::from_ms(from_ms) && *time <= Time::from_ms(to_ms)))
            .count() as f64
    };
    let skewed = timers(NodeId(3), 6_000, 16_000);
    let honest = timers(NodeId(0), 6_000, 16_000);
    let ratio = skewed / honest;
    assert!(
        (0.4..0.6).contains(&ratio),
        "n4's timers fire about half as often: {skewed} vs {honest}"
    );
}

#[test]
fn a_link_change_slows_a_link_and_ends_on_time() {
    let spec = FaultKindSpec::LinkChange {
        a: "n3".into(),
        b: "n4".into(),
        latency_factor: Some(10.0),
        loss: None,
        duplicate: None,
    };
    let engine = run(&with_faults(
        RING,
        vec![fault(2_000.0, Some(6_000.0), spec)],
    ));
    let link = engine
        .topology()
        .links
        .iter()
        .find(|link| link.a == NodeId(2) && link.b == NodeId(3))
        .unwrap()
        .id;
    for event in engine.trace() {
        if let TraceEvent::Hop {
            time,
            arrive,
            link: l,
            ..
        } = *event
        {
            if l == link && time > Time::from_ms(2_000) && time <= Time::from_ms(6_000) {
                assert_eq!(arrive.since_us(time), 800_000, "80 ms × 10");
            } else if l == link && time > Time::from_ms(6_000) {
                assert_eq!(arrive.since_us(time), 80_000, "back to 80 ms");
            }
        }
    }
}

#[test]
fn a_lying_replica_acknowledges_writes_and_invents_reads() {
    let liar = FaultKindSpec::Byzantine {
        node: "r3".into(),
        strategy: StrategyName::Lie,
        toward: vec![],
    };
    let engine = run(&with_faults(FEED, vec![fault(2_000.0, None, liar)]));
    let ops = engine.operations();
    let invented: Vec<_> = ops
        .iter()
        .filter(|op| !op.final_read && op.replica == NodeId(2))
        .filter(|op| matches!(op.outcome(), Some(Outcome::Ok(Some(value))) if value.id < 0))
        .collect();
    assert!(
        invented.len() > 10,
        "reader1 reads values nobody wrote from the lying r3"
    );
    let honest = run(&with_faults(FEED, vec![]));
    assert!(honest
        .operations()
        .iter()
        .all(|op| !matches!(op.outcome(), Some(Outcome::Ok(Some(value))) if value.id < 0)));
}

#[test]
fn a_sequencer_silent_toward_one_replica_starves_it_until_a_view_change_replaces_it() {
    let silent = FaultKindSpec::Byzantine {
        node: "r1".into(),
        strategy: StrategyName::Silent,
        toward: vec!["r3".into()],
    };
    // A patient failure detector, so that the starvation lasts a while.
    let patient = |faults| {
        let mut scenario = with_faults(FEED, faults);
        if let ProtocolConfig::Sequential(params) = &mut scenario.protocol {
            params.view_change_timeout_ms = 4_000.0;
        }
        scenario
    };
    let starved = run(&patient(vec![fault(1_000.0, None, silent)]));
    let honest = run(&patient(vec![]));
    assert!(!drops(starved.as_ref(), DropReason::Withheld).is_empty());
    // r3 hears nothing from the sequencer, suspects it after its timeout and starts a view
    // change, which the others follow: r2 leads view 1, and r1 (still silent toward r3)
    // is only a replica now. Until then r3 gets no new posts, and its reader reads old
    // ones.
    let r2_leads = starved.trace().iter().find_map(|event| match *event {
        TraceEvent::StateChanged {
            time,
            node: NodeId(1),
            role: "sequencer",
        } => Some(time),
        _ => None,
    });
    assert!(
        r2_leads.is_some_and(|time| time > Time::from_ms(5_000) && time < Time::from_ms(6_500)),
        "r2 takes over a timeout and a view change after the silence begins: {r2_leads:?}"
    );
    let starved_until = r2_leads.unwrap();
    // Stale reads at r3 while it was starved (every write is kept, to judge them by).
    let stale_at_r3 = |engine: &dyn Engine| {
        let ops: Vec<_> = engine
            .operations()
            .into_iter()
            .filter(|op| {
                op.written().is_some()
                    || (op.replica == NodeId(2)
                        && op.invoke > Time::from_ms(1_000)
                        && op.invoke < starved_until)
            })
            .collect();
        history::metrics(&ops).stale_reads
    };
    let (starved_stale, honest_stale) =
        (stale_at_r3(starved.as_ref()), stale_at_r3(honest.as_ref()));
    assert!(
        starved_stale > honest_stale + 5,
        "r3's reader read old posts while r1 withheld them: {starved_stale} stale reads, {honest_stale} without the fault"
    );
    assert!(dsplay_sim::report::report(starved.as_ref(), "sequential").converged);
}

#[test]
fn an_equivocating_sequencer_shows_replicas_different_posts_under_one_number() {
    let equivocate = FaultKindSpec::Byzantine {
        node: "r1".into(),
        strategy: StrategyName::Equivocate,
        toward: vec![],
    };
    let scenario = with_faults(FEED, vec![fault(3_000.0, Some(8_000.0), equivocate)]);
    let engine = run(&scenario);
    // Acknowledgements say how far a replica holds the log, not what it holds, and only
    // the sequencer counts them: a majority quorum does not stop a lying sequencer. It
    // commits each number, and r3, told the forged entries, applies them where r2 and r4
    // apply the real ones. Replicas have applied two orders.
    let compiled = scenario.compile().unwrap();
    let ProtocolConfig::Sequential(params) = &compiled.protocol else {
        panic!("a sequential scenario")
    };
    let mut sim = Simulation::new(&compiled, |node, replicas| {
        Sequential::new(node, replicas, params)
    });
    sim.run().unwrap();
    let applied = |node: u32| {
        sim.protocol(NodeId(node))
            .unwrap()
            .applied_entries()
            .to_vec()
    };
    let (r2, r3) = (applied(1), applied(2));
    let split = r2.iter().zip(&r3).filter(|(a, b)| a != b).count();
    assert!(
        split > 3,
        "r2 and r3 applied different entries under {split} numbers"
    );
    // Readers on the replicas told the forged entries read a post nobody wrote, while
    // the others read the real one under the same number.
    let forged_reads = engine
        .operations()
        .iter()
        .filter(|op| {
            !op.final_read
                && matches!(op.outcome(), Some(Outcome::Ok(Some(value))) if value.id <= -1_000_000)
        })
        .count();
    assert!(forged_reads > 0, "some reader saw a forged post");
    let honest = run(&with_faults(FEED, vec![]));
    assert!(honest
        .operations()
        .iter()
        .all(|op| !matches!(op.outcome(), Some(Outcome::Ok(Some(value))) if value.id < 0)));
}

#[test]
fn replaying_old_messages_changes_the_run_but_the_sequencer_numbers_each_request_once() {
    let replay = FaultKindSpec::Byzantine {
        node: "r2".into(),
        strategy: StrategyName::Replay,
        toward: vec![],
    };
    let replayed = run(&with_faults(FEED, vec![fault(1_000.0, None, replay)]));
    let honest = run(&with_faults(FEED, vec![]));
    assert_ne!(replayed.fingerprint(), honest.fingerprint());
    assert!(
        replayed.stats().messages_sent > honest.stats().messages_sent + 20,
        "old messages were sent again"
    );
    // Replayed submissions of old posts are not numbered again: the editor's posts appear
    // once each in the final store's history of the sequencer.
    assert!(dsplay_sim::report::report(replayed.as_ref(), "sequential").converged);
}

#[test]
fn a_live_injection_replays_exactly_and_bad_ones_are_refused() {
    let spec = fault(
        4_500.0,
        Some(6_000.0),
        FaultKindSpec::Omission {
            node: "r4".into(),
            send: 0.7,
            receive: 0.2,
        },
    );
    let mut live = build(&with_faults(FEED, vec![])).unwrap();
    live.run_until(Time::from_ms(4_500)).unwrap();
    live.inject(&spec).unwrap();
    live.run_until(live.duration()).unwrap();
    let replayed = run(&with_faults(FEED, vec![spec.clone()]));
    assert_eq!(live.fingerprint(), replayed.fingerprint());

    let error = live
        .inject(&fault(
            25_000.0,
            None,
            FaultKindSpec::Crash { node: "r9".into() },
        ))
        .unwrap_err();
    assert_eq!(error, "fault.fault.node: unknown node \"r9\"");
    let error = live.inject(&spec).unwrap_err();
    assert!(error.contains("before the run's current time"), "{error}");
}

#[test]
fn bad_fault_entries_are_rejected_with_clear_messages() {
    let mut scenario = Scenario::from_json(RING).unwrap();
    scenario.faults = vec![
        fault(
            1.0,
            None,
            FaultKindSpec::Omission {
                node: "n1".into(),
                send: 1.5,
                receive: 0.0,
            },
        ),
        fault(
            1.0,
            None,
            FaultKindSpec::ClockSkew {
                node: "n1".into(),
                rate: 0.0,
                offset_ms: 0.0,
            },
        ),
        fault(
            1.0,
            None,
            FaultKindSpec::Slow {
                node: "n1".into(),
                delay_ms: 0.0,
            },
        ),
        fault(
            1.0,
            None,
            FaultKindSpec::Byzantine {
                node: "n1".into(),
                strategy: StrategyName::Equivocate,
                toward: vec![],
            },
        ),
        fault(
            1.0,
            None,
            FaultKindSpec::Byzantine {
                node: "n1".into(),
                strategy: StrategyName::Lie,
                toward: vec!["n2".into()],
            },
        ),
        fault(
            1.0,
            None,
            FaultKindSpec::LinkChange {
                a: "n1".into(),
                b: "n4".into(),
                latency_factor: Some(2.0),
                loss: None,
                duplicate: None,
            },
        ),
    ];
    let error = scenario.compile().unwrap_err().to_string();
    for expected in [
        "faults[0].fault.send: a probability must be between 0 and 1, got 1.5",
        "faults[1].fault.rate: a clock rate must be between 0.01 and 100, got 0",
        "faults[2].fault.delay_ms: must be above 0",
        "faults[3].fault.strategy: this protocol does not model equivocation",
        "faults[4].fault.toward: only the silent strategy takes `toward`",
        "faults[5].fault: there is no link between \"n1\" and \"n4\"",
    ] {
        assert!(error.contains(expected), "missing {expected:?} in {error}");
    }
}

/// Under last-writer-wins, a replica whose clock runs behind stamps its writes in the
/// past: an acknowledged write loses to an older one and disappears.
#[test]
fn a_lagging_clock_makes_an_acknowledged_write_disappear_under_last_writer_wins() {
    use dsplay_sim::workload::{ClientOpSpec, OperationSpec};
    let text = r#"{
        "version": 1, "name": "two registrars", "seed": 3, "duration_ms": 8000, "quiet_ms": 2000,
        "protocol": {"kind": "eventual"},
        "nodes": [
            {"id": "r1", "kind": "replica", "x": 0, "y": 0}, {"id": "r2", "kind": "replica", "x": 200, "y": 0},
            {"id": "c1", "kind": "client", "x": 0, "y": 100}, {"id": "c2", "kind": "client", "x": 200, "y": 100}
        ],
        "links": [
            {"a": "r1", "b": "r2", "latency": {"kind": "constant", "ms": 20}},
            {"a": "c1", "b": "r1", "latency": {"kind": "constant", "ms": 5}},
            {"a": "c2", "b": "r2", "latency": {"kind": "constant", "ms": 5}}
        ]
    }"#;
    let op = |at_ms, client: &str, op| OperationSpec {
        at_ms,
        client: client.into(),
        op,
    };
    let mut scenario = Scenario::from_json(text).unwrap();
    scenario.operations = vec![
        op(
            1_000,
            "c1",
            ClientOpSpec::Write {
                key: "x".into(),
                value: 1,
            },
        ),
        op(
            2_000,
            "c2",
            ClientOpSpec::Write {
                key: "x".into(),
                value: 2,
            },
        ),
        op(3_000, "c1", ClientOpSpec::Read { key: "x".into() }),
    ];
    let honest = run(&scenario);
    let value_read = |engine: &dyn Engine| {
        engine
            .operations()
            .iter()
            .find(|op| !op.final_read && op.read_value().is_some())
            .and_then(|op| op.read_value().flatten())
            .map(|v| v.shown)
    };
    assert_eq!(
        value_read(honest.as_ref()),
        Some(2),
        "with exact clocks the later write wins"
    );

    scenario.faults = vec![fault(
        0.0,
        None,
        FaultKindSpec::ClockSkew {
            node: "r2".into(),
            rate: 1.0,
            offset_ms: -3_000.0,
        },
    )];
    let skewed = run(&scenario);
    let second_write = skewed
        .operations()
        .into_iter()
        .find(|op| matches!(&op.op, dsplay_sim::Op::Write { value, .. } if value.shown == 2))
        .unwrap();
    assert!(second_write.is_ok(), "x = 2 was acknowledged");
    assert_eq!(
        value_read(skewed.as_ref()),
        Some(1),
        "the later read sees the older value"
    );
    let finals: Vec<i64> = skewed
        .operations()
        .iter()
        .filter(|op| op.final_read)
        .filter_map(|op| op.read_value().flatten())
        .map(|v| v.shown)
        .collect();
    assert_eq!(
        finals,
        vec![1, 1],
        "every replica settles on x = 1: the acknowledged x = 2 is gone"
    );
}

#[test]
fn heal_all_ends_every_fault_at_once_but_not_a_fail_stop() {
    let mut scenario = Scenario::from_json(RING).unwrap();
    scenario.faults = vec![
        fault(1_000.0, None, FaultKindSpec::Crash { node: "n2".into() }),
        fault(1_000.0, None, FaultKindSpec::FailStop { node: "n5".into() }),
        fault(
            1_000.0,
            None,
            FaultKindSpec::CutLink {
                a: "n3".into(),
                b: "n4".into(),
                one_way: false,
            },
        ),
        fault(
            1_000.0,
            None,
            FaultKindSpec::Omission {
                node: "n1".into(),
                send: 1.0,
                receive: 0.0,
            },
        ),
        fault(2_000.0, None, FaultKindSpec::HealAll {}),
    ];
    let mut engine = build(&scenario).unwrap();
    engine.run_until(Time::from_ms(1_500)).unwrap();
    assert!(!engine.is_up(NodeId(1)));
    engine.run_until(Time::from_ms(2_500)).unwrap();
    assert!(engine.is_up(NodeId(1)), "the crashed node restarted");
    assert!(!engine.is_up(NodeId(4)), "fail-stop is permanent");
    let link = engine
        .topology()
        .links
        .iter()
        .find(|link| link.a == NodeId(2) && link.b == NodeId(3))
        .unwrap()
        .id;
    assert!(engine.is_link_live(link, NodeId(2)));
    let late_omissions = drops(engine.as_ref(), DropReason::SendOmission)
        .into_iter()
        .filter(|(time, _)| *time > Time::from_ms(2_000))
        .count();
    assert_eq!(late_omissions, 0, "n1 sends again");
    let mut bad = scenario.clone();
    bad.faults = vec![fault(1.0, Some(5.0), FaultKindSpec::HealAll {})];
    assert!(bad
        .compile()
        .unwrap_err()
        .to_string()
        .contains("faults[0].until_ms: healing is instantaneous"));
}

#[test]
fn heal_link_ends_the_cuts_and_changes_of_one_link_only() {
    let mut scenario = Scenario::from_json(RING).unwrap();
    scenario.faults = vec![
        fault(
            1_000.0,
            None,
            FaultKindSpec::Partition {
                groups: vec![vec!["n3".into()]],
            },
        ),
        fault(
            1_000.0,
            None,
            FaultKindSpec::LinkChange {
                a: "n3".into(),
                b: "n4".into(),
                latency_factor: Some(10.0),
                loss: None,
                duplicate: None,
            },
        ),
        fault(
            2_000.0,
            None,
            FaultKindSpec::HealLink {
                a: "n4".into(),
                b: "n3".into(),
            },
        ),
    ];
    let mut engine = build(&scenario).unwrap();
    let link_between = |engine: &dyn Engine, a: u32, b: u32| {
        engine
            .topology()
            .links
            .iter()
            .find(|link| (link.a, link.b) == (NodeId(a), NodeId(b)))
            .unwrap()
            .id
    };
    let (n3_n4, n2_n3) = (
        link_between(engine.as_ref(), 2, 3),
        link_between(engine.as_ref(), 1, 2),
    );
    engine.run_until(Time::from_ms(1_500)).unwrap();
    assert!(!engine.is_link_live(n3_n4, NodeId(2)) && !engine.is_link_live(n2_n3, NodeId(1)));
    engine.run_until(Time::from_ms(2_500)).unwrap();
    assert!(
        engine.is_link_live(n3_n4, NodeId(2)) && engine.is_link_live(n3_n4, NodeId(3)),
        "the healed link carries messages both ways"
    );
    assert!(
        !engine.is_link_live(n2_n3, NodeId(1)),
        "the partition still cuts n3's other links"
    );
    // The change of latency ended too: hops on n3–n4 take 80 ms again, not 800.
    let slowest_late_hop_us = engine
        .trace()
        .iter()
        .filter_map(|event| match *event {
            TraceEvent::Hop {
                time, link, arrive, ..
            } if link == n3_n4 && time > Time::from_ms(2_000) => Some(arrive.since_us(time)),
            _ => None,
        })
        .max()
        .expect("traffic crosses the healed link");
    assert!(slowest_late_hop_us <= 80_000, "{slowest_late_hop_us} µs");
    let mut bad = scenario.clone();
    bad.faults = vec![fault(
        1.0,
        None,
        FaultKindSpec::HealLink {
            a: "n1".into(),
            b: "n4".into(),
        },
    )];
    assert!(bad
        .compile()
        .unwrap_err()
        .to_string()
        .contains("faults[0].fault: there is no link between \"n1\" and \"n4\" to heal"));
}

#[test]
fn a_nodes_condition_shows_the_node_faults_in_force() {
    let mut scenario = Scenario::from_json(RING).unwrap();
    scenario.faults = vec![
        fault(
            1_000.0,
            Some(3_000.0),
            FaultKindSpec::Slow {
                node: "n1".into(),
                delay_ms: 200.0,
            },
        ),
        fault(
            1_000.0,
            Some(3_000.0),
            FaultKindSpec::Byzantine {
                node: "n2".into(),
                strategy: StrategyName::Replay,
                toward: vec![],
            },
        ),
        fault(
            1_000.0,
            Some(3_000.0),
            FaultKindSpec::ClockSkew {
                node: "n4".into(),
                rate: 2.0,
                offset_ms: 0.0,
            },
        ),
        fault(
            1_000.0,
            Some(3_000.0),
            FaultKindSpec::Omission {
                node: "n5".into(),
                send: 0.0,
                receive: 0.5,
            },
        ),
        fault(1_000.0, None, FaultKindSpec::FailStop { node: "n3".into() }),
    ];
    let mut engine = build(&scenario).unwrap();
    let calm = dsplay_sim::fault::NodeCondition::default();
    engine.run_until(Time::from_ms(500)).unwrap();
    assert!((0..5).all(|node| engine.node_condition(NodeId(node)) == calm));
    engine.run_until(Time::from_ms(2_000)).unwrap();
    assert!(engine.node_condition(NodeId(0)).slow);
    assert_eq!(engine.node_condition(NodeId(1)).byzantine, Some("replay"));
    assert!(engine.node_condition(NodeId(2)).stopped_for_good);
    assert!(engine.node_condition(NodeId(3)).clock_skewed);
    assert!(engine.node_condition(NodeId(4)).omission);
    engine.run_until(Time::from_ms(4_000)).unwrap();
    assert!([0, 1, 3, 4]
        .into_iter()
        .all(|node| engine.node_condition(NodeId(node)) == calm));
    assert!(engine.node_condition(NodeId(2)).stopped_for_good);
}

#[test]
fn a_heal_is_not_undone_when_an_older_cut_or_change_reaches_its_end() {
    let mut scenario = Scenario::from_json(RING).unwrap();
    let cut = || FaultKindSpec::CutLink {
        a: "n3".into(),
        b: "n4".into(),
        one_way: false,
    };
    let slower = |factor| FaultKindSpec::LinkChange {
        a: "n3".into(),
        b: "n4".into(),
        latency_factor: Some(factor),
        loss: None,
        duplicate: None,
    };
    let heal = || FaultKindSpec::HealLink {
        a: "n3".into(),
        b: "n4".into(),
    };
    scenario.faults = vec![
        // Cut for 10 s, healed at 2 s, cut again at 4 s until healed for good at 15 s.
        fault(1_000.0, Some(11_000.0), cut()),
        fault(2_000.0, None, heal()),
        fault(4_000.0, None, cut()),
        fault(15_000.0, None, heal()),
        // Slowed ×10 for a long while, then ×2 from 16 s: the first change's end at
        // 17 s leaves the second in place.
        fault(15_500.0, Some(17_000.0), slower(10.0)),
        fault(16_000.0, Some(19_000.0), slower(2.0)),
    ];
    let mut engine = build(&scenario).unwrap();
    let link = engine
        .topology()
        .links
        .iter()
        .find(|link| (link.a, link.b) == (NodeId(2), NodeId(3)))
        .unwrap()
        .id;
    for (ms, live) in [
        (1_500, false),
        (3_000, true),
        (5_000, false),
        (12_000, false),
        (15_200, true),
    ] {
        engine.run_until(Time::from_ms(ms)).unwrap();
        assert_eq!(engine.is_link_live(link, NodeId(2)), live, "at {ms} ms");
    }
    // Between 17 s and 19 s hops take about twice the usual 80 ms, not the base 80.
    engine.run_until(Time::from_ms(19_000)).unwrap();
    let late: Vec<u64> = engine
        .trace()
        .iter()
        .filter_map(|event| match *event {
            TraceEvent::Hop {
                time,
                link: l,
                arrive,
                ..
            } if l == link && time > Time::from_ms(17_100) && time < Time::from_ms(18_900) => {
                Some(arrive.since_us(time))
            }
            _ => None,
        })
        .collect();
    assert!(!late.is_empty());
    assert!(late.iter().all(|&us| us >= 150_000), "{late:?}");
}
