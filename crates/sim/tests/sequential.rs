//! The sequential model: one order of writes everywhere, and every client sees its own
//! operations in program order, across seeds and with a lossy, duplicating network.

use dsplay_sim::history::{self, Operation, Outcome};
use dsplay_sim::protocols::sequential::Sequential;
use dsplay_sim::protocols::ProtocolConfig;
use dsplay_sim::{Scenario, Simulation};
use std::collections::BTreeMap;

const FEED: &str = include_str!("../../../scenarios/sequential-feed.json");

fn seeds() -> u64 {
    std::env::var("DSPLAY_SWEEP_SEEDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(100)
}

fn run(scenario: &Scenario) -> Simulation<Sequential> {
    let compiled = scenario.compile().expect("valid scenario");
    let ProtocolConfig::Sequential(params) = &compiled.protocol else {
        panic!("a sequential scenario")
    };
    let mut sim = Simulation::new(&compiled, |node, replicas| {
        Sequential::new(node, replicas, params)
    });
    sim.run().expect("within budget");
    sim
}

/// The feed with a harsher network: every link loses, duplicates and reorders.
fn rough(seed: u64) -> Scenario {
    let mut scenario = Scenario::from_json(FEED).unwrap();
    scenario.seed = seed;
    for link in &mut scenario.links {
        link.loss = 0.08;
        link.duplicate = 0.08;
        link.ordering = dsplay_sim::topology::Ordering::Reorder;
    }
    scenario
}

/// The number of each written value in the sequencer's order, per key.
fn write_order(sim: &Simulation<Sequential>) -> BTreeMap<(String, i64), u64> {
    let sequencer = sim.protocol(dsplay_sim::NodeId(0)).unwrap();
    sequencer
        .applied_entries()
        .iter()
        .filter_map(|entry| {
            let written = match &entry.op {
                dsplay_sim::Op::Write { value, .. } => Some(value.id),
                dsplay_sim::Op::Cas { new, .. } => Some(new.id),
                dsplay_sim::Op::Read { .. } => None,
            }?;
            Some(((entry.op.key().to_string(), written), entry.seq))
        })
        .collect()
}

#[test]
fn every_replica_applies_the_same_entries_in_the_same_order() {
    for seed in 0..seeds() {
        let sim = run(&rough(seed));
        let logs: Vec<&[dsplay_sim::protocols::sequential::Entry]> = (0..4)
            .map(|node| {
                sim.protocol(dsplay_sim::NodeId(node))
                    .unwrap()
                    .applied_entries()
            })
            .collect();
        let longest = logs.iter().max_by_key(|log| log.len()).unwrap();
        for (node, log) in logs.iter().enumerate() {
            assert_eq!(
                *log,
                &longest[..log.len()],
                "seed {seed}: replica r{} applied another order",
                node + 1
            );
        }
        // Even with loss on every link (client links too), the editor gets posts through.
        assert!(
            longest.len() >= 5,
            "seed {seed}: the editor published only {} posts",
            longest.len()
        );
    }
}

#[test]
fn every_client_sees_its_own_operations_in_program_order() {
    for seed in 0..seeds() {
        let sim = run(&rough(seed));
        let order = write_order(&sim);
        let ops = sim.operations();
        let mut by_process: BTreeMap<u64, Vec<&Operation>> = BTreeMap::new();
        for op in ops.iter().filter(|op| !op.final_read) {
            by_process.entry(op.process).or_default().push(op);
        }
        for (process, ops) in by_process {
            // The highest position in the write order this process has seen or written.
            let mut seen: BTreeMap<String, u64> = BTreeMap::new();
            for op in ops {
                let key = op.op.key().to_string();
                let position = match (op.outcome(), op.written()) {
                    (Some(Outcome::Ok(_)), Some(written)) => {
                        order.get(&(key.clone(), written.id)).copied()
                    }
                    (Some(Outcome::Ok(Some(read))), None) => Some(order[&(key.clone(), read.id)]),
                    (Some(Outcome::Ok(None)), None) => Some(0),
                    _ => None,
                };
                let Some(position) = position else { continue };
                let floor = seen.get(&key).copied().unwrap_or(0);
                assert!(
                    position >= floor,
                    "seed {seed}: process {process} saw {key} go back from entry {floor} to {position} at {}",
                    op.invoke
                );
                seen.insert(key, position);
            }
        }
    }
}

#[test]
fn stale_reads_happen_yet_replicas_converge() {
    let mut stale = 0;
    for seed in 0..20 {
        let sim = run(&rough(seed));
        let ops = sim.operations();
        stale += history::metrics(&ops).stale_reads;
        let finals: Vec<&Operation> = ops.iter().filter(|op| op.final_read).collect();
        assert_eq!(finals.len(), 4, "seed {seed}: one final read per replica");
        assert!(
            finals
                .windows(2)
                .all(|pair| pair[0].outcome() == pair[1].outcome()),
            "seed {seed}: replicas disagree at the end"
        );
    }
    assert!(
        stale > 0,
        "far readers see a post late: sequential consistency allows stale reads"
    );
}

#[test]
fn a_failed_cas_fails_everywhere_and_a_good_one_returns_what_it_replaced() {
    let mut scenario = Scenario::from_json(FEED).unwrap();
    for node in &mut scenario.nodes {
        if let Some(workload) = node.workload.as_mut() {
            workload.cas = 2.0;
        }
    }
    let sim = run(&scenario);
    let ops = sim.operations();
    let cas: Vec<&Operation> = ops
        .iter()
        .filter(|op| matches!(op.op, dsplay_sim::Op::Cas { .. }))
        .collect();
    assert!(
        cas.iter()
            .any(|op| matches!(op.outcome(), Some(Outcome::Ok(Some(_))))),
        "some cas succeeded"
    );
    assert!(cas.iter().any(|op| matches!(op.outcome(), Some(Outcome::Fail(reason)) if reason.starts_with("feed is"))), "some cas failed");
}
