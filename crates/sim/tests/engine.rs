//! Specification tests of the engine: determinism, time, links, faults, budget, snapshots.
//!
//! Property-style tests draw many scenarios from a seeded generator; a failure names the
//! case seed that reproduces it.

use dsplay_sim::fault::{FaultPhase, StrategyName};
use dsplay_sim::protocols::gossip::{Gossip, GossipParams};
use dsplay_sim::protocols::ProtocolConfig;
use dsplay_sim::rng::Rng;
use dsplay_sim::scenario::{
    FaultKindSpec, FaultSpec, LinkSpec, NodeSpec, Scenario, SCENARIO_VERSION,
};
use dsplay_sim::sim::SimError;
use dsplay_sim::topology::{Direction, LatencyModel, NodeKind, Ordering};
use dsplay_sim::trace::DropReason;
use dsplay_sim::{build, Engine, NodeId, Simulation, Time, TraceEvent};

const RING: &str = include_str!("../../../scenarios/gossip-ring.json");

fn ring() -> Scenario {
    Scenario::from_json(RING).expect("the shipped scenario is valid")
}

/// The gossip parameters of a scenario that runs gossip, as the ring does.
fn gossip_params(protocol: &ProtocolConfig) -> &GossipParams {
    match protocol {
        ProtocolConfig::Gossip(params) => params,
        other => panic!("these tests run gossip, not {}", other.kind()),
    }
}

fn run_to_end(scenario: &Scenario) -> Box<dyn Engine> {
    let mut engine = build(scenario).expect("valid scenario");
    engine.run_until(engine.duration()).expect("within budget");
    engine
}

/// A random connected scenario: a ring of `2..=7` replicas plus random chords, random link
/// settings, and a few random faults.
fn random_scenario(case_seed: u64) -> Scenario {
    let mut rng = Rng::stream(case_seed, "test-case", 0);
    let count = 2 + rng.below(6) as usize;
    let nodes = (0..count)
        .map(|index| NodeSpec {
            id: format!("n{index}"),
            kind: NodeKind::Replica,
            x: 0.0,
            y: 0.0,
            workload: None,
        })
        .collect::<Vec<_>>();
    let mut pairs: Vec<(usize, usize)> = (0..count)
        .map(|index| (index, (index + 1) % count))
        .collect();
    pairs.retain(|&(a, b)| a < b || (count > 2 && a == count - 1 && b == 0));
    for _ in 0..rng.below(count as u64) {
        let (a, b) = (
            rng.below(count as u64) as usize,
            rng.below(count as u64) as usize,
        );
        if a != b
            && !pairs
                .iter()
                .any(|&(x, y)| (x, y) == (a, b) || (x, y) == (b, a))
        {
            pairs.push((a, b));
        }
    }
    let links = pairs
        .iter()
        .map(|&(a, b)| {
            let latency = match rng.below(4) {
                0 => LatencyModel::Constant {
                    ms: rng.uniform(1.0, 50.0),
                },
                1 => LatencyModel::Uniform {
                    min_ms: 1.0,
                    max_ms: rng.uniform(2.0, 80.0),
                },
                2 => LatencyModel::Normal {
                    mean_ms: rng.uniform(5.0, 50.0),
                    jitter_ms: rng.uniform(0.0, 20.0),
                },
                _ => LatencyModel::LongTail {
                    min_ms: rng.uniform(1.0, 10.0),
                    tail_ms: rng.uniform(1.0, 60.0),
                },
            };
            LinkSpec {
                a: format!("n{a}"),
                b: format!("n{b}"),
                direction: Direction::Both,
                latency,
                loss: if rng.chance(0.3) {
                    rng.uniform(0.0, 0.3)
                } else {
                    0.0
                },
                duplicate: if rng.chance(0.3) {
                    rng.uniform(0.0, 0.2)
                } else {
                    0.0
                },
                ordering: if rng.chance(0.5) {
                    Ordering::Fifo
                } else {
                    Ordering::Reorder
                },
            }
        })
        .collect::<Vec<_>>();
    let mut faults = Vec::new();
    for _ in 0..rng.below(4) {
        let at_ms = rng.uniform(0.0, 2_500.0);
        let until_ms = Some(at_ms + rng.uniform(1.0, 1_500.0));
        let node = format!("n{}", rng.below(count as u64));
        let fault = match rng.below(3) {
            0 => FaultKindSpec::Crash { node },
            1 => {
                let (a, b) = pairs[rng.below(pairs.len() as u64) as usize];
                FaultKindSpec::CutLink {
                    a: format!("n{a}"),
                    b: format!("n{b}"),
                    one_way: rng.chance(0.5),
                }
            }
            _ => FaultKindSpec::Partition {
                groups: vec![vec![node]],
            },
        };
        faults.push(FaultSpec {
            at_ms,
            until_ms,
            fault,
        });
    }
    let mut scenario = ring();
    scenario.version = SCENARIO_VERSION;
    scenario.seed = rng.next_u64();
    scenario.duration_ms = 3_000.0;
    scenario.nodes = nodes;
    scenario.links = links;
    scenario.faults = faults;
    scenario
        .compile()
        .unwrap_or_else(|err| panic!("case {case_seed}: generated an invalid scenario: {err}"));
    scenario
}

#[test]
fn same_scenario_and_seed_give_the_same_fingerprint_and_trace() {
    for case in 0..40 {
        let scenario = random_scenario(case);
        let (first, second) = (run_to_end(&scenario), run_to_end(&scenario));
        assert_eq!(first.fingerprint(), second.fingerprint(), "case {case}");
        assert_eq!(first.trace(), second.trace(), "case {case}");
    }
    assert_eq!(
        run_to_end(&ring()).fingerprint(),
        run_to_end(&ring()).fingerprint()
    );
}

#[test]
fn different_seeds_give_different_traces() {
    let mut fingerprints = std::collections::BTreeSet::new();
    for seed in 0..50 {
        let mut scenario = ring();
        scenario.seed = seed;
        let engine = run_to_end(&scenario);
        assert!(
            fingerprints.insert(engine.fingerprint().0),
            "seed {seed} repeated an earlier fingerprint"
        );
    }
}

#[test]
fn time_never_goes_backwards() {
    for case in 0..40 {
        let engine = run_to_end(&random_scenario(case));
        let trace = engine.trace();
        assert!(!trace.is_empty(), "case {case}: the run did nothing");
        for pair in trace.windows(2) {
            assert!(
                pair[0].time() <= pair[1].time(),
                "case {case}: {:?} then {:?}",
                pair[0],
                pair[1]
            );
        }
        for event in trace {
            if let TraceEvent::Hop { time, arrive, .. } = event {
                assert!(
                    arrive >= time,
                    "case {case}: a hop arrives before it leaves: {event:?}"
                );
            }
        }
    }
}

/// Every hop started on a cut direction, or arriving while it is cut, is a violation unless
/// the copy is dropped as `LinkDown` (or was lost anyway).
#[test]
fn no_message_crosses_a_cut_link() {
    for case in 0..60 {
        let scenario = random_scenario(case);
        let compiled = scenario.compile().unwrap();
        let params = gossip_params(&compiled.protocol);
        let mut sim = Simulation::new(&compiled, |node, replicas| {
            Gossip::new(node, replicas, params)
        });
        // Check live state at every event rather than replaying cut intervals by hand.
        while sim
            .next_event_time()
            .is_some_and(|time| time <= compiled.duration)
        {
            let before = sim.trace().len();
            sim.step().expect("within budget");
            for event in &sim.trace()[before..] {
                if let TraceEvent::Hop { from, link, .. } = *event {
                    assert!(
                        sim.is_link_live(link, from),
                        "case {case}: a message was put on a cut link: {event:?}"
                    );
                }
            }
        }
        let trace = sim.trace();
        for (index, event) in trace.iter().enumerate() {
            let TraceEvent::Hop {
                msg,
                from,
                to,
                arrive,
                lost: false,
                ..
            } = *event
            else {
                continue;
            };
            // Find what happened to this copy at `to` when it arrived.
            let outcome = trace[index..].iter().find(|later| match **later {
                TraceEvent::Delivered { msg: m, node, time } => {
                    m == msg && node == to && time == arrive
                }
                TraceEvent::Dropped {
                    msg: m, node, time, ..
                } => m == msg && node == to && time == arrive,
                TraceEvent::Hop {
                    msg: m,
                    from: f,
                    time,
                    ..
                } => m == msg && f == to && time == arrive,
                _ => false,
            });
            if let Some(TraceEvent::Delivered { .. } | TraceEvent::Hop { .. }) = outcome {
                let cut_at_arrival = cut_intervals(&sim, event)
                    .iter()
                    .any(|&interval| in_effect(interval, arrive));
                assert!(
                    !cut_at_arrival,
                    "case {case}: {event:?} crossed {from:?}->{to:?} while it was cut"
                );
            }
        }
    }
}

/// The intervals during which the hop's link direction was cut, read from the trace.
fn cut_intervals(sim: &Simulation<Gossip>, hop: &TraceEvent) -> Vec<(Time, Time)> {
    let TraceEvent::Hop { from, link, .. } = *hop else {
        return Vec::new();
    };
    let mut intervals = Vec::new();
    for event in sim.trace() {
        let TraceEvent::Fault {
            time,
            index,
            phase: FaultPhase::Begin,
        } = *event
        else {
            continue;
        };
        let scheduled = &sim.schedule()[index as usize];
        if let dsplay_sim::fault::Fault::Cut(cuts) = &scheduled.fault {
            if cuts.iter().any(|cut| cut.link == link && cut.from == from) {
                intervals.push((time, scheduled.until.unwrap_or(Time::MAX)));
            }
        }
    }
    intervals
}

/// Whether a fault scheduled over `(start, end)` affects an event at `time`. Faults go last
/// among the events of their instant, so events at `start` still see the world before the
/// fault, and events at `end` the world before its end.
fn in_effect((start, end): (Time, Time), time: Time) -> bool {
    start < time && time <= end
}

#[test]
fn routes_follow_topology_changes() {
    // n1–n3 is cut from 9 s to 12 s in the ring scenario: during the cut, messages from
    // n1 to n3 take a longer way round, and the cut link carries nothing.
    let engine = run_to_end(&ring());
    let shortcut = engine
        .topology()
        .links
        .iter()
        .find(|link| link.a == NodeId(0) && link.b == NodeId(2))
        .unwrap()
        .id;
    let during_cut = |time: Time| in_effect((Time::from_ms(9_000), Time::from_ms(12_000)), time);
    let mut rerouted = 0;
    for event in engine.trace() {
        if let TraceEvent::Hop {
            time, link, from, ..
        } = *event
        {
            if during_cut(time) {
                assert_ne!(
                    link, shortcut,
                    "the cut shortcut carried a message at {time}"
                );
                if from != NodeId(0) && from != NodeId(2) {
                    rerouted += 1;
                }
            }
        }
    }
    assert!(
        rerouted > 0,
        "some traffic should have been forwarded by a third node during the cut"
    );
    let before = engine.trace().iter().filter(|e| matches!(e, TraceEvent::Hop { link, time, .. } if *link == shortcut && *time < Time::from_ms(9_000))).count();
    let after = engine.trace().iter().filter(|e| matches!(e, TraceEvent::Hop { link, time, .. } if *link == shortcut && *time >= Time::from_ms(12_000))).count();
    assert!(
        before > 0 && after > 0,
        "the shortcut carries traffic before and after the cut"
    );
}

#[test]
fn a_crashed_node_drops_what_reaches_it_and_comes_back_on_restart() {
    let engine = run_to_end(&ring());
    let n3 = NodeId(2);
    let crash = (Time::from_ms(4_000), Time::from_ms(7_000));
    let mut dropped_at_n3 = 0;
    for event in engine.trace() {
        match *event {
            TraceEvent::Dropped {
                node,
                reason: DropReason::NodeDown,
                time,
                ..
            } if node == n3 => {
                assert!(
                    in_effect(crash, time),
                    "n3 dropped a message at {time} while up"
                );
                dropped_at_n3 += 1;
            }
            TraceEvent::Delivered { node, time, .. } if node == n3 => {
                assert!(
                    !in_effect(crash, time),
                    "n3 handled a message at {time} while down"
                );
            }
            TraceEvent::TimerFired { node, time, .. } if node == n3 => {
                assert!(
                    !in_effect(crash, time),
                    "n3's timer fired at {time} while down"
                );
            }
            _ => {}
        }
    }
    assert!(dropped_at_n3 > 0);
    assert!(engine.is_up(n3));
    // Its peers suspected it while it was down.
    let suspected = engine.trace().iter().any(|event| {
        matches!(*event, TraceEvent::StateChanged { role: "suspecting", time, .. } if in_effect(crash, time))
    });
    assert!(suspected, "a crash is noticed through missed heartbeats");
}

#[test]
fn fail_stop_is_announced_to_every_peer() {
    let mut scenario = ring();
    scenario.faults = vec![FaultSpec {
        at_ms: 1_000.0,
        until_ms: None,
        fault: FaultKindSpec::FailStop { node: "n2".into() },
    }];
    let compiled = scenario.compile().unwrap();
    let params = gossip_params(&compiled.protocol);
    let mut sim = Simulation::new(&compiled, |node, replicas| {
        Gossip::new(node, replicas, params)
    });
    sim.run_until(Time::from_ms(5_000)).unwrap();
    assert!(!sim.is_up(NodeId(1)));
    // Told at once, the peers stop suspecting and stop gossiping to n2.
    for node in [0, 2, 3, 4] {
        assert_eq!(
            sim.role(NodeId(node)),
            "gossiping",
            "n{} should not suspect a node announced as stopped",
            node + 1
        );
    }
}

#[test]
fn the_event_budget_stops_a_runaway_run_with_a_clear_error() {
    let mut scenario = ring();
    scenario.max_events = 500;
    let mut engine = build(&scenario).unwrap();
    let error = engine
        .run_until(engine.duration())
        .expect_err("500 events are not enough");
    assert!(matches!(
        error,
        SimError::EventBudgetExhausted { budget: 500, .. }
    ));
    assert_eq!(engine.stats().events, 500);
    assert!(
        error.to_string().contains("budget of 500 events"),
        "{error}"
    );
}

#[test]
fn restoring_a_snapshot_and_running_on_equals_an_uninterrupted_run() {
    for case in 0..30 {
        let scenario = random_scenario(case);
        let uninterrupted = run_to_end(&scenario);
        let mut engine = build(&scenario).unwrap();
        let middle = Time::from_ms(1_000 + case * 37);
        engine.run_until(middle).unwrap();
        let snapshot = engine.snapshot();
        engine.run_until(engine.duration()).unwrap();
        assert_eq!(
            engine.fingerprint(),
            uninterrupted.fingerprint(),
            "case {case}: running on"
        );
        engine.restore(&snapshot).unwrap();
        assert!(engine.now() <= middle);
        engine.run_until(engine.duration()).unwrap();
        assert_eq!(
            engine.fingerprint(),
            uninterrupted.fingerprint(),
            "case {case}: after restore"
        );
        assert_eq!(
            engine.trace(),
            uninterrupted.trace(),
            "case {case}: after restore"
        );
        assert_eq!(
            engine.stats(),
            uninterrupted.stats(),
            "case {case}: after restore"
        );
    }
}

#[test]
fn a_live_injection_replays_like_the_same_fault_in_the_scenario() {
    let mut scenario = ring();
    let injected = FaultSpec {
        at_ms: 2_500.0,
        until_ms: Some(3_500.0),
        fault: FaultKindSpec::Crash { node: "n1".into() },
    };
    // Live: run to 2.5 s, inject, run on.
    let mut live = build(&scenario).unwrap();
    live.run_until(Time::from_ms(2_500)).unwrap();
    let mut with_fault = scenario.clone();
    with_fault.faults.push(injected);
    let compiled = with_fault.compile().unwrap();
    live.inject_fault(compiled.faults.last().unwrap().clone())
        .unwrap();
    live.run_until(live.duration()).unwrap();
    // Replayed: the same fault in the file.
    let replayed = run_to_end(&with_fault);
    assert_eq!(live.fingerprint(), replayed.fingerprint());
    // And the fault mattered.
    scenario.faults.clear();
    assert_ne!(run_to_end(&scenario).fingerprint(), replayed.fingerprint());
    // A fault in the past is refused.
    let error = live.inject_fault(compiled.faults[0].clone()).unwrap_err();
    assert!(error.contains("before the run's current time"), "{error}");
}

#[test]
fn gossip_converges_once_increments_are_rare_and_links_heal() {
    let mut scenario = ring();
    scenario.faults.clear();
    scenario.duration_ms = 60_000.0;
    let ProtocolConfig::Gossip(params) = &mut scenario.protocol else {
        unreachable!("the ring runs gossip")
    };
    params.increment_ms = 50_000.0;
    let compiled = scenario.compile().unwrap();
    let params = gossip_params(&compiled.protocol);
    let mut sim = Simulation::new(&compiled, |node, replicas| {
        Gossip::new(node, replicas, params)
    });
    sim.run().unwrap();
    let totals: Vec<u64> = (0..5)
        .map(|node| sim.protocol(NodeId(node)).unwrap().total())
        .collect();
    assert!(
        totals.iter().all(|&total| total == 5),
        "every replica counted one increment each: {totals:?}"
    );
}

#[test]
fn the_text_trace_has_the_legend_and_one_line_per_event() {
    let mut engine = build(&ring()).unwrap();
    engine.run_until(Time::from_ms(4_500)).unwrap();
    let text = engine.trace_text();
    let lines: Vec<&str> = text.lines().filter(|line| !line.starts_with('#')).collect();
    assert_eq!(lines.len(), engine.trace().len());
    assert!(text.starts_with("# dsplay trace"));
    assert!(lines
        .iter()
        .any(|line| line.contains("send    m") && line.contains("heartbeat Heartbeat")));
    assert!(
        lines
            .iter()
            .any(|line| line.contains("fault   begin crash n3")),
        "the crash at 4 s is in the trace"
    );
    assert!(lines[0].starts_with("0.000000 "), "{}", lines[0]);
}

#[test]
fn overlapping_crashes_end_with_the_last_one_and_fail_stop_is_permanent() {
    let mut scenario = ring();
    scenario.faults = vec![
        FaultSpec {
            at_ms: 1_000.0,
            until_ms: Some(3_000.0),
            fault: FaultKindSpec::Crash { node: "n2".into() },
        },
        FaultSpec {
            at_ms: 2_000.0,
            until_ms: Some(5_000.0),
            fault: FaultKindSpec::Crash { node: "n2".into() },
        },
        FaultSpec {
            at_ms: 1_000.0,
            until_ms: None,
            fault: FaultKindSpec::FailStop { node: "n4".into() },
        },
        FaultSpec {
            at_ms: 2_000.0,
            until_ms: None,
            fault: FaultKindSpec::Restart { node: "n4".into() },
        },
    ];
    let mut engine = build(&scenario).unwrap();
    engine.run_until(Time::from_ms(4_000)).unwrap();
    assert!(
        !engine.is_up(NodeId(1)),
        "the second crash still holds n2 down after the first ends"
    );
    assert!(
        !engine.is_up(NodeId(3)),
        "a restart does not bring back a fail-stopped node"
    );
    engine.run_until(Time::from_ms(5_500)).unwrap();
    assert!(engine.is_up(NodeId(1)));
    assert!(!engine.is_up(NodeId(3)));
}

/// The times each replica first sends a heartbeat, by replica.
fn first_heartbeats(scenario: &Scenario) -> Vec<Time> {
    let mut engine = build(scenario).unwrap();
    engine.run_until(Time::from_ms(1_000)).unwrap();
    (0..5)
        .map(|node| {
            engine
                .trace()
                .iter()
                .find_map(|event| match *event {
                    TraceEvent::Sent {
                        time, from, kind, ..
                    } if from == NodeId(node) && kind == "heartbeat" => Some(time),
                    _ => None,
                })
                .expect("every replica sends a heartbeat within a second")
        })
        .collect()
}

#[test]
fn staggered_gossip_timers_start_at_random_phases_within_their_interval() {
    let mut scenario = ring();
    scenario.faults.clear();
    let ProtocolConfig::Gossip(params) = &mut scenario.protocol else {
        panic!("the ring runs gossip")
    };
    params.stagger = false;
    let heartbeat = Time::from_ms_f64(params.heartbeat_ms);
    assert!(
        first_heartbeats(&scenario)
            .iter()
            .all(|&time| time == heartbeat),
        "in step: every replica sends at the end of its first interval"
    );
    let ProtocolConfig::Gossip(params) = &mut scenario.protocol else {
        unreachable!()
    };
    params.stagger = true;
    let staggered = first_heartbeats(&scenario);
    assert!(staggered
        .iter()
        .all(|&time| time <= heartbeat && time > Time::ZERO));
    let mut distinct = staggered.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 5, "five different phases: {staggered:?}");
    assert_eq!(
        staggered,
        first_heartbeats(&scenario),
        "and the same every run"
    );
}

/// The strict preset stretched to five minutes: long enough for a retention to let go.
fn five_minutes_of_passwords() -> Scenario {
    let mut scenario =
        Scenario::from_json(include_str!("../../../scenarios/strict-password.json")).unwrap();
    scenario.duration_ms = 300_000.0;
    scenario.max_events = 100_000_000;
    scenario
}

#[test]
fn a_trace_retention_keeps_the_recent_trace_and_changes_nothing_else() {
    let scenario = five_minutes_of_passwords();
    let whole = run_to_end(&scenario);
    let mut kept = build(&scenario).unwrap();
    kept.set_trace_retention(Some(10_000_000));
    kept.run_until(kept.duration()).unwrap();
    assert_eq!(kept.fingerprint(), whole.fingerprint());
    assert_eq!(kept.stats(), whole.stats());
    assert!(kept.trace_start() > 0, "old events were let go");
    assert_eq!(kept.trace(), &whole.trace()[kept.trace_start()..]);
    // At least the last 10 s are kept, and at most about twice that.
    let first = kept.trace()[0].time();
    assert!(first <= Time::from_ms(290_000), "{first}");
    assert!(
        kept.trace().len() * 8 < whole.trace().len(),
        "{} of {}",
        kept.trace().len(),
        whole.trace().len()
    );
}

#[test]
fn restoring_a_snapshot_older_than_the_kept_trace_starts_the_trace_there() {
    let scenario = five_minutes_of_passwords();
    let whole = run_to_end(&scenario);
    let mut kept = build(&scenario).unwrap();
    kept.set_trace_retention(Some(10_000_000));
    kept.run_until(Time::from_ms(50_000)).unwrap();
    let early = kept.snapshot();
    let early_total = kept.trace_start() + kept.trace().len();
    // Not to the end: by then the run has let go of messages the early snapshot needs
    // (see the next test).
    kept.run_until(Time::from_ms(200_000)).unwrap();
    assert!(kept.trace_start() > early_total);
    kept.restore(&early).unwrap();
    assert_eq!(kept.trace_start(), early_total);
    assert!(kept.trace().is_empty());
    kept.run_until(kept.duration()).unwrap();
    assert_eq!(kept.fingerprint(), whole.fingerprint());
    assert_eq!(kept.trace(), &whole.trace()[kept.trace_start()..]);
    // A snapshot inside the kept trace truncates it as before.
    let late_at = Time::from_ms(299_000);
    let mut again = build(&scenario).unwrap();
    again.set_trace_retention(Some(10_000_000));
    again.run_until(late_at).unwrap();
    let late = again.snapshot();
    let start = again.trace_start();
    again.run_until(again.duration()).unwrap();
    again.restore(&late).unwrap();
    assert_eq!(again.trace_start(), start);
    assert!(again.trace().iter().all(|event| event.time() <= late_at));
    assert!(!again.trace().is_empty());
}

/// Six minutes of the strict preset with n1 replaying its old messages from the fourth
/// minute: over 65,536 messages, so replays draw from the last `REPLAY_WINDOW` only.
fn six_minutes_of_replays() -> Scenario {
    let mut scenario = five_minutes_of_passwords();
    scenario.duration_ms = 360_000.0;
    scenario.faults.push(FaultSpec {
        at_ms: 240_000.0,
        until_ms: None,
        fault: FaultKindSpec::Byzantine {
            node: "n1".into(),
            strategy: StrategyName::Replay,
            toward: Vec::new(),
        },
    });
    scenario
}

#[test]
fn a_retention_lets_old_messages_go_and_replays_stay_exactly_the_same() {
    let scenario = six_minutes_of_replays();
    let whole = run_to_end(&scenario);
    let sent = whole.stats().messages_sent as usize;
    assert!(
        sent > dsplay_sim::sim::REPLAY_WINDOW + dsplay_sim::sim::REPLAY_LOOK_BACK,
        "{sent} messages: too few to reach past the replay window"
    );
    let mut kept = build(&scenario).unwrap();
    kept.set_trace_retention(Some(10_000_000));
    kept.run_until(Time::from_ms(30_000)).unwrap();
    let early = kept.snapshot();
    kept.run_until(kept.duration()).unwrap();
    // The same run, replays included, with the old messages gone.
    assert_eq!(kept.fingerprint(), whole.fingerprint());
    assert_eq!(kept.stats(), whole.stats());
    assert!(kept.messages_start() > 0, "old messages were let go");
    assert_eq!(whole.messages_kept(), sent);
    assert_eq!(kept.messages_start() + kept.messages_kept(), sent);
    // What is kept is within a replay's reach, or sent since the last time old trace went
    // (so the kept trace shows it sent).
    let sent_in_kept_trace = kept
        .trace()
        .iter()
        .filter(|event| matches!(event, TraceEvent::Sent { .. }))
        .count();
    let reach = dsplay_sim::sim::REPLAY_WINDOW + dsplay_sim::sim::REPLAY_LOOK_BACK;
    assert!(
        kept.messages_kept() <= reach + sent_in_kept_trace,
        "{} kept, {sent_in_kept_trace} sent in the kept trace",
        kept.messages_kept()
    );
    // Every message the kept trace names is still there to describe.
    for event in kept.trace() {
        if let Some(msg) = event.msg() {
            assert_ne!(
                kept.describe_message(msg),
                "(let go: older than the messages kept)"
            );
        }
    }
    // A snapshot whose future needs messages let go is refused, saying why, and the run
    // is left as it was.
    assert!(!kept.can_restore(&early));
    let error = kept.restore(&early).unwrap_err();
    assert!(error.contains("let go"), "{error}");
    assert_eq!(kept.fingerprint(), whole.fingerprint());
    assert_eq!(kept.now(), whole.now());
}
