//! The sequential model: one order of writes everywhere, and every client sees its own
//! operations in program order, across seeds, with a lossy, duplicating network, and
//! through crashes, partitions, slow nodes, skewed clocks and the loss of the sequencer.

mod replicated;

use dsplay_sim::fault::{FaultKindSpec, FaultSpec};
use dsplay_sim::history::{self, Operation, Outcome};
use dsplay_sim::protocols::sequential::{Entry, Sequential, SequentialParams, Status};
use dsplay_sim::protocols::ProtocolConfig;
use dsplay_sim::rng::Rng;
use dsplay_sim::{NodeId, Op, Scenario, Simulation, Time, TraceEvent};
use std::collections::{BTreeMap, BTreeSet};

const FEED: &str = include_str!("../../../scenarios/sequential-feed.json");

/// Five replicas, each with a client that reads, writes and sometimes does a cas, over
/// links of mixed speed where some replicas reach others only through a third.
const NEWSROOM: &str = r#"{
  "version": 1,
  "name": "A newsroom of five",
  "seed": 1,
  "duration_ms": 20000,
  "quiet_ms": 3000,
  "protocol": { "kind": "sequential", "heartbeat_ms": 100, "resend_ms": 300, "view_change_timeout_ms": 600 },
  "nodes": [
    { "id": "r1", "kind": "replica" }, { "id": "r2", "kind": "replica" },
    { "id": "r3", "kind": "replica" }, { "id": "r4", "kind": "replica" },
    { "id": "r5", "kind": "replica" },
    { "id": "c1", "kind": "client", "workload": { "rate_per_s": 3, "read": 1, "write": 2, "cas": 0.5, "keys": ["a", "b"], "timeout_ms": 1500 } },
    { "id": "c2", "kind": "client", "workload": { "rate_per_s": 3, "read": 1, "write": 2, "cas": 0.5, "keys": ["a", "b"], "timeout_ms": 1500 } },
    { "id": "c3", "kind": "client", "workload": { "rate_per_s": 3, "read": 2, "write": 1, "keys": ["a", "b"], "timeout_ms": 1500 } },
    { "id": "c4", "kind": "client", "workload": { "rate_per_s": 3, "read": 2, "write": 1, "keys": ["a"], "timeout_ms": 1500 } },
    { "id": "c5", "kind": "client", "workload": { "rate_per_s": 3, "read": 1, "write": 1, "cas": 1, "keys": ["b"], "timeout_ms": 1500 } }
  ],
  "links": [
    { "a": "r1", "b": "r2", "latency": { "kind": "uniform", "min_ms": 20, "max_ms": 50 } },
    { "a": "r2", "b": "r3", "latency": { "kind": "uniform", "min_ms": 30, "max_ms": 80 } },
    { "a": "r3", "b": "r4", "latency": { "kind": "long_tail", "min_ms": 40, "tail_ms": 60 } },
    { "a": "r4", "b": "r5", "latency": { "kind": "uniform", "min_ms": 20, "max_ms": 60 } },
    { "a": "r5", "b": "r1", "latency": { "kind": "normal", "mean_ms": 70, "jitter_ms": 20 } },
    { "a": "r1", "b": "r3", "latency": { "kind": "uniform", "min_ms": 100, "max_ms": 180 } },
    { "a": "r2", "b": "r5", "latency": { "kind": "uniform", "min_ms": 60, "max_ms": 120 } },
    { "a": "c1", "b": "r1", "latency": { "kind": "constant", "ms": 10 } },
    { "a": "c2", "b": "r2", "latency": { "kind": "constant", "ms": 10 } },
    { "a": "c3", "b": "r3", "latency": { "kind": "constant", "ms": 10 } },
    { "a": "c3", "b": "r4", "latency": { "kind": "constant", "ms": 25 } },
    { "a": "c4", "b": "r4", "latency": { "kind": "constant", "ms": 10 } },
    { "a": "c5", "b": "r5", "latency": { "kind": "constant", "ms": 10 } },
    { "a": "c5", "b": "r1", "latency": { "kind": "constant", "ms": 30 } }
  ]
}"#;

fn seeds() -> u64 {
    std::env::var("DSPLAY_SWEEP_SEEDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(100)
}

fn run(scenario: &Scenario) -> Simulation<Sequential> {
    let mut sim = start(scenario);
    sim.run().expect("within budget");
    sim
}

fn start(scenario: &Scenario) -> Simulation<Sequential> {
    let compiled = scenario.compile().unwrap_or_else(|err| panic!("{err}"));
    let ProtocolConfig::Sequential(params) = &compiled.protocol else {
        panic!("a sequential scenario")
    };
    Simulation::new(&compiled, |node, replicas| {
        Sequential::new(node, replicas, params)
    })
}

/// The feed with a harsher network: every link loses, duplicates and reorders.
fn rough(seed: u64) -> Scenario {
    let mut scenario = Scenario::from_json(FEED).unwrap();
    scenario.seed = seed;
    roughen(&mut scenario);
    scenario
}

fn roughen(scenario: &mut Scenario) {
    for link in &mut scenario.links {
        link.loss = 0.08;
        link.duplicate = 0.08;
        link.ordering = dsplay_sim::topology::Ordering::Reorder;
    }
}

fn replica_ids(sim: &Simulation<Sequential>) -> Vec<NodeId> {
    sim.topology().replicas()
}

fn replica(sim: &Simulation<Sequential>, name: &str) -> NodeId {
    sim.topology()
        .nodes
        .iter()
        .find(|node| node.name == name)
        .unwrap_or_else(|| panic!("no node {name}"))
        .id
}

/// The longest order any replica has applied (every other is a prefix of it, which
/// [`check_one_order`] checks).
fn longest_order(sim: &Simulation<Sequential>) -> Vec<Entry> {
    replica_ids(sim)
        .into_iter()
        .map(|node| sim.protocol(node).unwrap().applied_entries().to_vec())
        .max_by_key(Vec::len)
        .unwrap_or_default()
}

/// The number of each written value in the one order, per key.
fn write_order(order: &[Entry]) -> BTreeMap<(String, i64), u64> {
    order
        .iter()
        .filter_map(|entry| {
            Some((
                (entry.op.key().to_string(), entry.op.written()?.id),
                entry.seq,
            ))
        })
        .collect()
}

/// Every replica applied a prefix of one and the same order, each request at most once.
fn check_one_order(sim: &Simulation<Sequential>) -> Result<(), String> {
    let longest = longest_order(sim);
    for node in replica_ids(sim) {
        let log = sim.protocol(node).unwrap().applied_entries();
        if log[..] != longest[..log.len()] {
            let at = log
                .iter()
                .zip(&longest)
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            return Err(format!(
                "{} applied another order: at number {} it has {:?}, another replica {:?}",
                sim.topology().name(node),
                at + 1,
                log[at],
                longest[at]
            ));
        }
    }
    let mut requests = BTreeSet::new();
    for entry in &longest {
        if !requests.insert(entry.request) {
            return Err(format!("request {:?} was applied twice", entry.request));
        }
    }
    Ok(())
}

/// Every write or cas a client was told succeeded is in the one order.
fn check_no_acknowledged_write_lost(sim: &Simulation<Sequential>) -> Result<(), String> {
    let order = write_order(&longest_order(sim));
    for op in sim.operations() {
        if let (Some(Outcome::Ok(_)), Some(value)) = (op.outcome(), op.written()) {
            if !order.contains_key(&(op.op.key().to_string(), value.id)) {
                return Err(format!(
                    "{} of {} = {} was acknowledged at {} but is in no replica's order",
                    op.op.name(),
                    op.op.key(),
                    value.id,
                    op.complete.as_ref().unwrap().0
                ));
            }
        }
    }
    Ok(())
}

/// Each client sees its own operations take effect in the order it issued them: what it
/// reads or writes never comes before something it already saw or wrote, even when it
/// continues as a fresh process after a timeout.
fn check_program_order(sim: &Simulation<Sequential>) -> Result<(), String> {
    let order = write_order(&longest_order(sim));
    let mut by_client: BTreeMap<NodeId, Vec<Operation>> = BTreeMap::new();
    for op in sim.operations().into_iter().filter(|op| !op.final_read) {
        by_client.entry(op.client).or_default().push(op);
    }
    for (client, ops) in by_client {
        let mut seen: BTreeMap<String, u64> = BTreeMap::new();
        for op in ops {
            let key = op.op.key().to_string();
            let position = match (op.outcome(), op.written()) {
                (Some(Outcome::Ok(_)), Some(written)) => {
                    order.get(&(key.clone(), written.id)).copied()
                }
                (Some(Outcome::Ok(Some(read))), None) => match order.get(&(key.clone(), read.id)) {
                    Some(position) => Some(*position),
                    None => {
                        return Err(format!(
                            "a read of {key} returned {} which no replica applied",
                            read.id
                        ))
                    }
                },
                (Some(Outcome::Ok(None)), None) => Some(0),
                _ => None,
            };
            let Some(position) = position else { continue };
            let floor = seen.get(&key).copied().unwrap_or(0);
            if position < floor {
                return Err(format!(
                    "{} saw {key} go back from entry {floor} to {position} at {}",
                    sim.topology().name(client),
                    op.invoke
                ));
            }
            seen.insert(key, position);
        }
    }
    Ok(())
}

/// After the quiet period every replica that is up holds the same store and has applied
/// the same entries.
fn check_converged(sim: &Simulation<Sequential>) -> Result<(), String> {
    let up: Vec<NodeId> = replica_ids(sim)
        .into_iter()
        .filter(|&node| sim.is_up(node))
        .collect();
    let ops = sim.operations();
    let finals: BTreeMap<(NodeId, String), Option<Outcome>> = ops
        .iter()
        .filter(|op| op.final_read)
        .map(|op| ((op.replica, op.op.key().to_string()), op.outcome().cloned()))
        .collect();
    for pair in up.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let reads = |node: NodeId| -> Vec<&Option<Outcome>> {
            finals
                .iter()
                .filter(|((replica, _), _)| *replica == node)
                .map(|(_, value)| value)
                .collect()
        };
        if reads(a) != reads(b) {
            return Err(format!(
                "{} and {} disagree at the end",
                sim.topology().name(a),
                sim.topology().name(b)
            ));
        }
        let (applied_a, applied_b) = (
            sim.protocol(a).unwrap().applied(),
            sim.protocol(b).unwrap().applied(),
        );
        if applied_a != applied_b {
            return Err(format!(
                "{} applied {applied_a} entries but {} {applied_b}",
                sim.topology().name(a),
                sim.topology().name(b)
            ));
        }
    }
    Ok(())
}

/// Each replica's standing at the end, for a failure report.
fn describe(sim: &Simulation<Sequential>) -> String {
    replica_ids(sim)
        .into_iter()
        .map(|node| {
            let replica = sim.protocol(node).unwrap();
            format!(
                "  {}: {}, view {} {:?}, log {}, commit {}, applied {}\n",
                sim.topology().name(node),
                if sim.is_up(node) { "up" } else { "down" },
                replica.view(),
                replica.status(),
                replica.log().len(),
                replica.commit(),
                replica.applied()
            )
        })
        .collect()
}

fn check_all(sim: &Simulation<Sequential>) -> Result<(), String> {
    check_one_order(sim)?;
    check_no_acknowledged_write_lost(sim)?;
    check_program_order(sim)?;
    check_converged(sim)
}

#[test]
fn every_replica_applies_the_same_entries_in_the_same_order() {
    let mut published = 0;
    for seed in 0..seeds() {
        let sim = run(&rough(seed));
        if let Err(problem) = check_one_order(&sim) {
            panic!("seed {seed}: {problem}");
        }
        // Loss on a client's link costs that client its request or its reply, and the
        // engine's clients do not resend: no protocol can publish a write it never got.
        // What the protocol owes, whatever the losses, is every write that reached it.
        if let Err(problem) = check_every_write_that_arrived_is_published(&sim) {
            panic!("seed {seed}: {problem}");
        }
        published += longest_order(&sim).len();
    }
    eprintln!("{published} posts published in {} runs", seeds());
    // And the losses still let most writes through: 10,000 seeds publish 12.5 posts a
    // run on average (eleven seeds publish fewer than 5). The floor is on the average.
    assert!(
        published >= 10 * seeds() as usize,
        "only {published} posts in {} runs",
        seeds()
    );
}

/// Every plain write whose request the network delivered to a replica is in the order
/// the replicas applied (a cas that reached one may have failed, so it is left out).
fn check_every_write_that_arrived_is_published(sim: &Simulation<Sequential>) -> Result<(), String> {
    let order = write_order(&longest_order(sim));
    let arrived = replicated::requests_delivered(sim.trace(), |_| true);
    for op in sim.operations() {
        let Op::Write { key, value } = &op.op else {
            continue;
        };
        if arrived.contains(&(op.client, op.invoke))
            && !order.contains_key(&(key.clone(), value.id))
        {
            return Err(format!(
                "the write of {} to {key} (invoked at {}) reached a replica but was never published",
                value.id, op.invoke
            ));
        }
    }
    Ok(())
}

/// Pinned from the 10,000-seed sweep, where this seed published only 4 posts (when each
/// seed had to publish 5). Nothing was lost or held up between the replicas: every write that
/// reached r2 was published within a second. The editor wrote six times, and its link to
/// r2 (8 % loss each way, like every link here) lost two of those requests, then three
/// reads' requests or replies, each costing the 1.5 s timeout. The protocol cannot repair
/// a loss between a client and its replica (the engine's clients do not resend), so this
/// pins what the protocol owes: every write that reaches a replica is published.
#[test]
fn every_write_that_reaches_the_editors_replica_is_published_with_seed_1132() {
    let sim = run(&rough(1132));
    check_all(&sim).unwrap();
    check_every_write_that_arrived_is_published(&sim).unwrap();
    let arrived = replicated::requests_delivered(sim.trace(), |_| true);
    let editor = replica(&sim, "editor");
    let writes: Vec<Operation> = sim
        .operations()
        .into_iter()
        .filter(|op| op.client == editor && op.written().is_some())
        .collect();
    let reached = writes
        .iter()
        .filter(|op| arrived.contains(&(op.client, op.invoke)))
        .count();
    assert_eq!(
        (writes.len(), reached, longest_order(&sim).len()),
        (6, 4, 4),
        "six writes, two lost on the editor's link, four published"
    );
}

#[test]
fn every_client_sees_its_own_operations_in_program_order() {
    for seed in 0..seeds() {
        let sim = run(&rough(seed));
        if let Err(problem) = check_program_order(&sim) {
            panic!("seed {seed}: {problem}");
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

// ---- Faults ----

fn fault(at_ms: f64, until_ms: Option<f64>, fault: FaultKindSpec) -> FaultSpec {
    FaultSpec {
        at_ms,
        until_ms,
        fault,
    }
}

/// Each replica with the clients whose first link goes to it, so that a partition keeps
/// clients with their replica.
fn clients_of(scenario: &Scenario) -> BTreeMap<String, Vec<String>> {
    let replicas: BTreeSet<&str> = scenario
        .nodes
        .iter()
        .filter(|node| node.kind == dsplay_sim::NodeKind::Replica)
        .map(|node| node.id.as_str())
        .collect();
    let mut clients: BTreeMap<String, Vec<String>> = replicas
        .iter()
        .map(|name| (name.to_string(), Vec::new()))
        .collect();
    for node in scenario
        .nodes
        .iter()
        .filter(|node| node.kind == dsplay_sim::NodeKind::Client)
    {
        let home = scenario.links.iter().find_map(|link| {
            if link.a == node.id && replicas.contains(link.b.as_str()) {
                Some(link.b.clone())
            } else if link.b == node.id && replicas.contains(link.a.as_str()) {
                Some(link.a.clone())
            } else {
                None
            }
        });
        if let Some(home) = home {
            clients.get_mut(&home).unwrap().push(node.id.clone());
        }
    }
    clients
}

/// A partition of `side` (with their clients) from the other replicas (with theirs).
fn partition(scenario: &Scenario, side: &[&str]) -> FaultKindSpec {
    let clients = clients_of(scenario);
    let mut groups = vec![Vec::new(), Vec::new()];
    for (replica, attached) in clients {
        let group = usize::from(!side.contains(&replica.as_str()));
        groups[group].push(replica);
        groups[group].extend(attached);
    }
    FaultKindSpec::Partition { groups }
}

/// A random schedule of the engine's fault kinds, all before the quiet period: crashes
/// with and without restarts (of any replica, the sequencer included), at most one
/// fail-stop, partitions with minority and majority sides, one-way cuts, omission, slow
/// nodes, skewed clocks, and links that slow down, lose and duplicate.
fn random_faults(scenario: &Scenario, seed: u64) -> Vec<FaultSpec> {
    let mut rng = Rng::stream(seed, "sequential-sweep", 0);
    let replicas: Vec<String> = clients_of(scenario).keys().cloned().collect();
    let replica_links: Vec<(String, String)> = scenario
        .links
        .iter()
        .filter(|link| replicas.contains(&link.a) && replicas.contains(&link.b))
        .map(|link| (link.a.clone(), link.b.clone()))
        .collect();
    let quiet_from_ms = scenario.duration_ms - scenario.quiet_ms;
    let mut faults = Vec::new();
    let mut fail_stopped = false;
    for _ in 0..2 + rng.below(7) {
        let at_ms = rng.uniform(300.0, quiet_from_ms - 500.0).round();
        let until_ms = Some(
            (at_ms + rng.uniform(200.0, 5_000.0))
                .round()
                .min(quiet_from_ms),
        );
        let node = replicas[rng.below(replicas.len() as u64) as usize].clone();
        let (a, b) = replica_links[rng.below(replica_links.len() as u64) as usize].clone();
        let kind = rng.below(100);
        let spec = match kind {
            0..=19 => fault(at_ms, until_ms, FaultKindSpec::Crash { node }),
            20..=24 => fault(at_ms, None, FaultKindSpec::Crash { node }),
            25..=29 if !fail_stopped => {
                fail_stopped = true;
                fault(at_ms, None, FaultKindSpec::FailStop { node })
            }
            25..=44 => {
                let size = 1 + rng.below(replicas.len() as u64 - 1) as usize;
                let mut side: Vec<&str> = Vec::new();
                while side.len() < size {
                    let pick = replicas[rng.below(replicas.len() as u64) as usize].as_str();
                    if !side.contains(&pick) {
                        side.push(pick);
                    }
                }
                fault(at_ms, until_ms, partition(scenario, &side))
            }
            45..=52 => fault(
                at_ms,
                until_ms,
                FaultKindSpec::CutLink {
                    a,
                    b,
                    one_way: rng.chance(0.5),
                },
            ),
            53..=62 => fault(
                at_ms,
                until_ms,
                FaultKindSpec::Omission {
                    node,
                    send: rng.uniform(0.1, 0.9),
                    receive: rng.uniform(0.0, 0.9),
                },
            ),
            63..=72 => fault(
                at_ms,
                until_ms,
                FaultKindSpec::Slow {
                    node,
                    delay_ms: rng.uniform(20.0, 1_500.0).round(),
                },
            ),
            73..=86 => {
                let rates = [0.1, 0.25, 0.5, 2.0, 4.0, 10.0];
                fault(
                    at_ms,
                    until_ms,
                    FaultKindSpec::ClockSkew {
                        node,
                        rate: rates[rng.below(rates.len() as u64) as usize],
                        offset_ms: rng.uniform(-800.0, 800.0).round(),
                    },
                )
            }
            _ => fault(
                at_ms,
                until_ms,
                FaultKindSpec::LinkChange {
                    a,
                    b,
                    latency_factor: Some(rng.uniform(1.0, 20.0)),
                    loss: Some(rng.uniform(0.0, 0.5)),
                    duplicate: Some(rng.uniform(0.0, 0.3)),
                },
            ),
        };
        faults.push(spec);
    }
    faults
}

/// How long the sweeps leave the system in peace before the final reads: long enough
/// for a view change that waits out its longest timeout, then a fetch over lossy links.
const QUIET_MS: f64 = 4_000.0;

fn stormy(text: &str, seed: u64) -> Scenario {
    let mut scenario = Scenario::from_json(text).unwrap();
    scenario.seed = seed;
    roughen(&mut scenario);
    scenario.quiet_ms = scenario.quiet_ms.max(QUIET_MS);
    scenario.faults = random_faults(&scenario, seed);
    scenario
}

/// Runs `make(seed)` for every seed of the sweep, checks every property, and reports
/// every failing seed at once.
fn sweep(name: &str, make: impl Fn(u64) -> Scenario) {
    let mut failures = Vec::new();
    let (mut ok_writes, mut views) = (0, 0);
    for seed in 0..seeds() {
        let sim = run(&make(seed));
        ok_writes += sim
            .operations()
            .iter()
            .filter(|op| op.is_ok() && op.written().is_some())
            .count();
        views += replica_ids(&sim)
            .iter()
            .map(|&node| sim.protocol(node).unwrap().view())
            .max()
            .unwrap_or(0);
        if let Err(problem) = check_all(&sim) {
            eprintln!("{name}: seed {seed}: {problem}\n{}", describe(&sim));
            failures.push(seed);
        }
    }
    eprintln!(
        "{name}: {} seeds, {ok_writes} acknowledged writes, {views} views in all",
        seeds()
    );
    assert!(failures.is_empty(), "{name}: failing seeds {failures:?}");
    assert!(
        views > 0,
        "{name}: the faults replaced a sequencer somewhere"
    );
}

#[test]
fn one_order_and_no_lost_write_through_random_faults_in_the_feed() {
    sweep("feed", |seed| stormy(FEED, seed));
}

#[test]
fn one_order_and_no_lost_write_through_random_faults_in_a_newsroom_of_five() {
    sweep("newsroom", |seed| stormy(NEWSROOM, seed));
}

/// Pinned from the newsroom sweep. A tempting simplification drops a replica's
/// uncommitted entries as soon as it hears of a newer view, before the new sequencer's
/// log arrives. With it, this seed lost a committed write: r1 committed entry 10 of
/// view 0 with the acknowledgements of r4 and r5; both heard of view 1 and dropped it
/// while they waited for r2's log, which r2 (losing most of its messages) never sent;
/// the next view change chose, among r3, r4 and r5, a log without it; r4 submitted the
/// write again and it was applied as entry 10 of view 3, while r1 had applied it as
/// entry 10 of view 0. A replica now keeps its log, and the view it belongs to, until it
/// has the new sequencer's, so whatever it says in a view change is still true.
#[test]
fn a_replica_that_hears_of_a_new_view_keeps_its_log_until_the_new_one_arrives() {
    let sim = run(&stormy(NEWSROOM, 831));
    check_all(&sim).unwrap();
}

fn feed_with(faults: Vec<FaultSpec>) -> Scenario {
    let mut scenario = Scenario::from_json(FEED).unwrap();
    scenario.faults = faults;
    scenario
}

/// Writes invoked in `[from_ms, to_ms)`, by outcome name.
fn write_outcomes(
    sim: &Simulation<Sequential>,
    from_ms: u64,
    to_ms: u64,
) -> BTreeMap<&'static str, usize> {
    let mut outcomes = BTreeMap::new();
    for op in sim.operations() {
        if op.written().is_some()
            && op.invoke >= Time::from_ms(from_ms)
            && op.invoke < Time::from_ms(to_ms)
        {
            *outcomes
                .entry(op.outcome().map_or("pending", Outcome::name))
                .or_insert(0) += 1;
        }
    }
    outcomes
}

/// When each replica first took `role` at or after `from_ms`.
fn first_role(sim: &Simulation<Sequential>, role: &str, from_ms: u64) -> Option<(Time, NodeId)> {
    sim.trace().iter().find_map(|event| match *event {
        TraceEvent::StateChanged {
            time,
            node,
            role: r,
        } if r == role && time >= Time::from_ms(from_ms) => Some((time, node)),
        _ => None,
    })
}

#[test]
fn a_crashed_sequencer_is_replaced_and_writes_complete_again() {
    for seed in 0..10 {
        let mut scenario = feed_with(vec![fault(
            5_000.0,
            None,
            FaultKindSpec::Crash { node: "r1".into() },
        )]);
        scenario.seed = seed;
        let sim = run(&scenario);
        let (when, who) = first_role(&sim, "sequencer", 5_000).expect("a new sequencer");
        assert_eq!(
            who,
            replica(&sim, "r2"),
            "seed {seed}: view 1 belongs to r2"
        );
        assert!(
            when < Time::from_ms(7_000),
            "seed {seed}: r2 took over at {when}, a timeout and a few trips after the crash"
        );
        let after = write_outcomes(&sim, 7_000, 18_000);
        assert!(
            after.get("ok").copied().unwrap_or(0) >= 5,
            "seed {seed}: writes complete again: {after:?}"
        );
        assert_eq!(
            after.get("info"),
            None,
            "seed {seed}: and none time out: {after:?}"
        );
        // r1 restarts at the quiet period and catches up with the new view.
        let r1 = sim.protocol(replica(&sim, "r1")).unwrap();
        assert!(
            r1.view() >= 1 && r1.status() == Status::Normal,
            "seed {seed}"
        );
        check_all(&sim).unwrap_or_else(|problem| panic!("seed {seed}: {problem}"));
    }
}

#[test]
fn a_fail_stopped_sequencer_is_replaced_at_once() {
    let sim = run(&feed_with(vec![fault(
        5_000.0,
        None,
        FaultKindSpec::FailStop { node: "r1".into() },
    )]));
    let (changing, _) = first_role(&sim, "view change", 5_000).expect("a view change");
    assert_eq!(
        changing,
        Time::from_ms(5_000),
        "the notice starts it without a timeout"
    );
    let (when, who) = first_role(&sim, "sequencer", 5_000).expect("a new sequencer");
    assert_eq!(who, replica(&sim, "r2"));
    assert!(
        when < Time::from_ms(5_600),
        "three trips, no timeout: {when}"
    );
    check_all(&sim).unwrap();
}

/// The feed with a writer of its own on r1, so the sequencer takes writes directly.
fn feed_with_writer_on_r1(seed: u64, faults: Vec<FaultSpec>) -> Scenario {
    let mut scenario = feed_with(faults);
    scenario.seed = seed;
    let mut writer = scenario
        .nodes
        .iter()
        .find(|node| node.id == "editor")
        .unwrap()
        .clone();
    writer.id = "desk".into();
    scenario.nodes.push(writer);
    let mut link = scenario
        .links
        .iter()
        .find(|link| link.a == "editor")
        .unwrap()
        .clone();
    link.a = "desk".into();
    link.b = "r1".into();
    scenario.links.push(link);
    scenario
}

#[test]
fn a_sequencer_cut_off_but_alive_numbers_in_vain_and_never_leaves_two_orders() {
    for seed in 0..10 {
        let mut scenario = feed_with_writer_on_r1(seed, Vec::new());
        scenario.faults = vec![fault(4_000.0, Some(9_000.0), partition(&scenario, &["r1"]))];
        let mut sim = start(&scenario);
        sim.run_until(Time::from_ms(8_900)).unwrap();
        // Mid-partition: r1 still believes it leads view 0 and has numbered its desk's
        // writes, while the majority numbers other writes under the same numbers.
        let (r1, r2) = (replica(&sim, "r1"), replica(&sim, "r2"));
        let old = sim.protocol(r1).unwrap().clone();
        let new = sim.protocol(r2).unwrap().clone();
        assert_eq!(
            (old.view(), old.status()),
            (0, Status::Normal),
            "seed {seed}"
        );
        assert_eq!(sim.role(r1), "sequencer", "seed {seed}");
        assert!(
            new.view() >= 1 && sim.role(r2) == "sequencer",
            "seed {seed}: r2 leads view {}",
            new.view()
        );
        // Entries r1 numbered that the new sequencer gave to other writes. (Some of r1's
        // uncommitted entries may instead have reached the majority before the cut, and
        // legitimately survive the view change.)
        let stranded: Vec<Entry> = old.log()[old.commit() as usize..]
            .iter()
            .filter(|entry| {
                new.log()
                    .get(entry.seq as usize - 1)
                    .is_some_and(|other| other.view >= 1 && other.request != entry.request)
            })
            .cloned()
            .collect();
        assert!(
            !stranded.is_empty(),
            "seed {seed}: r1 and r2 numbered different writes under the same numbers"
        );
        sim.run().unwrap();
        // None of them was applied under its old number, and the desk heard no success.
        let order = longest_order(&sim);
        for entry in &stranded {
            assert!(
                order.get(entry.seq as usize - 1) != Some(entry),
                "seed {seed}: a write numbered by the cut-off sequencer was applied"
            );
        }
        let desk = replica(&sim, "desk");
        let lucky: Vec<Operation> = sim
            .operations()
            .into_iter()
            .filter(|op| op.client == desk && op.written().is_some() && op.is_ok())
            .filter(|op| op.invoke >= Time::from_ms(4_100) && op.invoke < Time::from_ms(9_000))
            .collect();
        assert!(
            lucky
                .iter()
                .all(|op| op.complete.as_ref().unwrap().0 > Time::from_ms(9_000)),
            "seed {seed}: only a write still waiting at the heal can succeed: {lucky:?}"
        );
        check_all(&sim).unwrap_or_else(|problem| panic!("seed {seed}: {problem}"));
    }
}

#[test]
fn a_falsely_suspected_sequencer_never_leaves_two_orders() {
    // r1 stays alive and correct throughout, but it looks dead to others: its links slow
    // down fortyfold (its heartbeats come late), or r3's clock runs ten times fast (r3
    // times out early), or r1 handles every message 900 ms late (writes wait longer than
    // the timeout), or r1's clock crawls (its heartbeats come seldom, which matters only
    // when no prepares fill the gaps). Each (name, faults, whether most runs must
    // replace r1).
    let slow_links: Vec<FaultSpec> = ["r2", "r3", "r4"]
        .into_iter()
        .map(|other| {
            fault(
                3_000.0,
                Some(12_000.0),
                FaultKindSpec::LinkChange {
                    a: "r1".into(),
                    b: other.into(),
                    latency_factor: Some(40.0),
                    loss: None,
                    duplicate: None,
                },
            )
        })
        .collect();
    let one = |kind: FaultKindSpec| vec![fault(3_000.0, Some(12_000.0), kind)];
    let troubles = [
        ("slow links", slow_links, true),
        (
            "a fast clock at r3",
            one(FaultKindSpec::ClockSkew {
                node: "r3".into(),
                rate: 10.0,
                offset_ms: 0.0,
            }),
            true,
        ),
        (
            "a slow clock at r1",
            one(FaultKindSpec::ClockSkew {
                node: "r1".into(),
                rate: 0.05,
                offset_ms: 0.0,
            }),
            false,
        ),
        (
            "a slow r1",
            one(FaultKindSpec::Slow {
                node: "r1".into(),
                delay_ms: 900.0,
            }),
            true,
        ),
    ];
    for (name, faults, replaced_mostly) in troubles {
        let mut replaced = 0;
        for seed in 0..20 {
            let sim = run(&feed_with_writer_on_r1(seed, faults.clone()));
            check_all(&sim).unwrap_or_else(|problem| panic!("{name}, seed {seed}: {problem}"));
            let view = sim.protocol(replica(&sim, "r2")).unwrap().view();
            replaced += usize::from(view >= 1);
        }
        eprintln!("{name}: r1 was replaced in {replaced} runs of 20");
        if replaced_mostly {
            assert!(
                replaced >= 15,
                "{name}: r1 was replaced in only {replaced} runs of 20"
            );
        }
    }
}

#[test]
fn a_sequencer_that_can_send_but_not_hear_is_replaced() {
    // Every link into r1 is cut one way: its heartbeats still arrive, so nobody misses
    // them, but it hears no submissions and no acknowledgements. The editor's replica
    // suspects it because its writes stay uncommitted.
    let into_r1: Vec<FaultSpec> = ["r2", "r3", "r4"]
        .into_iter()
        .map(|from| {
            fault(
                4_000.0,
                Some(17_000.0),
                FaultKindSpec::CutLink {
                    a: from.into(),
                    b: "r1".into(),
                    one_way: true,
                },
            )
        })
        .collect();
    for seed in 0..10 {
        let mut scenario = feed_with(into_r1.clone());
        scenario.seed = seed;
        let mut sim = start(&scenario);
        sim.run_until(Time::from_ms(16_900)).unwrap();
        // r1 hears of no view change: it still thinks it leads view 0.
        let r1 = replica(&sim, "r1");
        assert_eq!(sim.protocol(r1).unwrap().view(), 0, "seed {seed}");
        sim.run().unwrap();
        let (when, who) = first_role(&sim, "sequencer", 4_000).expect("a new sequencer");
        assert_eq!(who, replica(&sim, "r2"), "seed {seed}");
        assert!(
            when < Time::from_ms(9_000),
            "seed {seed}: r2 took over at {when}"
        );
        let after = write_outcomes(&sim, 9_000, 16_000);
        assert!(
            after.get("ok").copied().unwrap_or(0) >= 3 && !after.contains_key("info"),
            "seed {seed}: writes complete during the cut: {after:?}"
        );
        check_all(&sim).unwrap_or_else(|problem| panic!("seed {seed}: {problem}"));
        assert!(
            sim.protocol(r1).unwrap().view() >= 1,
            "seed {seed}: r1 catches up after the cut"
        );
    }
}

#[test]
fn a_minority_partition_serves_reads_but_completes_no_writes() {
    let scenario = feed_with(Vec::new());
    let side = partition(&scenario, &["r2"]);
    let sim = run(&feed_with(vec![fault(5_000.0, Some(12_000.0), side)]));
    let editor = replica(&sim, "editor");
    let during: Vec<Operation> = sim
        .operations()
        .into_iter()
        .filter(|op| {
            op.client == editor
                && op.invoke >= Time::from_ms(5_100)
                && op.invoke < Time::from_ms(12_000)
        })
        .collect();
    let writes: Vec<&Operation> = during.iter().filter(|op| op.written().is_some()).collect();
    let r2 = replica(&sim, "r2");
    let reads: Vec<Operation> = sim
        .operations()
        .into_iter()
        .filter(|op| op.replica == r2 && !op.final_read && op.written().is_none())
        .filter(|op| op.invoke >= Time::from_ms(5_100) && op.invoke < Time::from_ms(12_000))
        .collect();
    assert!(
        !writes.is_empty() && writes.iter().all(|op| op.outcome() == Some(&Outcome::Info)),
        "every write on the minority side times out"
    );
    assert!(
        !reads.is_empty() && reads.iter().all(|op| op.is_ok()),
        "every read is served: {reads:?}"
    );
    // After the heal the editor's writes go through again.
    assert!(write_outcomes(&sim, 14_000, 18_000).contains_key("ok"));
    check_all(&sim).unwrap();
}

#[test]
fn bad_parameters_are_rejected() {
    let params = SequentialParams {
        heartbeat_ms: 200.0,
        resend_ms: -1.0,
        view_change_timeout_ms: 300.0,
    };
    let problems: Vec<String> = params.problems().iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("resend_ms: must be a positive number"));
    assert!(problems[1].starts_with("view_change_timeout_ms: must be at least twice heartbeat_ms"));
    assert!(SequentialParams::default().problems().is_empty());
}
