//! Engine throughput: events per second on gossip topologies and the strict, BFT presets
//! with clients, against a bare binary heap; and how the cost per event grows from 10 to
//! 100 to 1,000 nodes.
//!
//! Run with `cargo xtask bench`. Criterion measures each case; afterwards a summary table
//! prints events/s, the ratio to a bare `BinaryHeap` push/pop loop over the same number of
//! events (measured in the same run, so machine speed cancels out), the trace's bytes per
//! event, and the scaling of the ring cases. The summary is also written as JSON
//! (`engine.json` in `DSPLAY_BENCH_DIR`, default `target/bench`), with each case's scenario,
//! which the page benchmark runs in the browser's wasm to compare. BENCHMARKS.md records
//! the figures.

use criterion::{criterion_group, Criterion, Throughput};
use dsplay_sim::protocols::gossip::GossipParams;
use dsplay_sim::protocols::ProtocolConfig;
use dsplay_sim::rng::Rng;
use dsplay_sim::scenario::{LinkSpec, NodeSpec, Scenario, SCENARIO_VERSION};
use dsplay_sim::topology::{Direction, LatencyModel, NodeKind, Ordering};
use dsplay_sim::{build, Fingerprint, TraceEvent};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// A benchmark topology.
struct Case {
    name: &'static str,
    scenario: Scenario,
}

fn scenario(
    name: &str,
    node_count: usize,
    pairs: Vec<(usize, usize)>,
    params: GossipParams,
    duration_ms: f64,
) -> Scenario {
    Scenario {
        version: SCENARIO_VERSION,
        name: name.to_string(),
        description: String::new(),
        seed: 1,
        duration_ms,
        max_events: 100_000_000,
        protocol: ProtocolConfig::Gossip(params),
        nodes: (0..node_count)
            .map(|index| NodeSpec {
                id: format!("n{index}"),
                kind: NodeKind::Replica,
                x: 0.0,
                y: 0.0,
                workload: None,
            })
            .collect(),
        links: pairs
            .into_iter()
            .map(|(a, b)| LinkSpec {
                a: format!("n{a}"),
                b: format!("n{b}"),
                direction: Direction::Both,
                latency: LatencyModel::Uniform {
                    min_ms: 1.0,
                    max_ms: 10.0,
                },
                loss: 0.01,
                duplicate: 0.0,
                ordering: Ordering::Fifo,
            })
            .collect(),
        faults: Vec::new(),
        quiet_ms: 0.0,
        operations: Vec::new(),
        fault_profile: None,
    }
}

fn cases() -> Vec<Case> {
    let mesh = (0..5)
        .flat_map(|a| (a + 1..5).map(move |b| (a, b)))
        .collect();
    let ring: Vec<(usize, usize)> = (0..100).map(|a| (a, (a + 1) % 100)).collect();
    // A ring keeps a random graph connected; two random chords per node make it
    // small-world, so routes stay a few hops long as the graph grows.
    let random = |nodes: usize| {
        let mut rng = Rng::stream(9, "bench-graph", 0);
        let mut pairs: Vec<(usize, usize)> = (0..nodes).map(|a| (a, (a + 1) % nodes)).collect();
        let mut seen: std::collections::BTreeSet<(usize, usize)> =
            pairs.iter().map(|&(a, b)| (a.min(b), a.max(b))).collect();
        while pairs.len() < 3 * nodes {
            let (a, b) = (
                rng.below(nodes as u64) as usize,
                rng.below(nodes as u64) as usize,
            );
            if a != b && seen.insert((a.min(b), a.max(b))) {
                pairs.push((a, b));
            }
        }
        pairs
    };
    let busy = GossipParams {
        heartbeat_ms: 20.0,
        gossip_ms: 10.0,
        increment_ms: 5.0,
        fanout: 2,
        suspect_after_ms: 100.0,
        stagger: false,
    };
    let sparse = GossipParams {
        heartbeat_ms: 1_000.0,
        gossip_ms: 500.0,
        increment_ms: 50.0,
        fanout: 1,
        suspect_after_ms: 3_000.0,
        stagger: false,
    };
    // The shipped password preset: 5 Raft replicas, 4 clients, a partition mid-run.
    let mut strict = Scenario::from_json(include_str!("../../../scenarios/strict-password.json"))
        .expect("the strict preset is valid");
    strict.max_events = 100_000_000;
    vec![
        Case {
            name: "strict-5x4",
            scenario: strict,
        },
        Case {
            name: "mesh-5",
            scenario: scenario("mesh-5", 5, mesh, busy, 20_000.0),
        },
        Case {
            name: "ring-100",
            scenario: scenario("ring-100", 100, ring, sparse.clone(), 2_500.0),
        },
        // The scaling family: the same kind of graph and parameters at 10, 100 and 1,000
        // nodes, each run long enough for about four million events, so that only the
        // node count differs. (Until 2026-12-03 the 10-node run was 18 times shorter than
        // the 1,000-node one: its trace of 16 MB was reused from run to run by the
        // allocator, while the long run's 190 MB came fresh from the kernel every time,
        // a page fault per 4 KB, which the cost per event then blamed on the node count.)
        Case {
            name: "random-10",
            scenario: scenario("random-10", 10, random(10), sparse.clone(), 10_800_000.0),
        },
        Case {
            name: "random-100",
            scenario: scenario("random-100", 100, random(100), sparse.clone(), 143_000.0),
        },
        Case {
            name: "random-1000",
            scenario: scenario("random-1000", 1000, random(1000), sparse, 1_200.0),
        },
        Case {
            name: "bft-4x3",
            scenario: bft_without_faults(),
        },
    ]
}

/// The byzantine preset (4 BFT replicas, 3 clients) with its faults removed: the cost of
/// the protocol itself, O(n²) messages per operation.
fn bft_without_faults() -> Scenario {
    let mut scenario = Scenario::from_json(include_str!("../../../scenarios/byzantine.json"))
        .expect("the preset is valid");
    scenario.faults.clear();
    scenario
}

/// Runs a case to its end; returns events processed, trace length and fingerprint.
fn run_case(scenario: &Scenario) -> (u64, usize, Fingerprint) {
    let mut engine = build(scenario).expect("bench scenarios are valid");
    engine.run_until(engine.duration()).expect("within budget");
    (
        engine.stats().events,
        engine.trace().len(),
        engine.fingerprint(),
    )
}

/// A bare event loop: pop the earliest entry, push one later entry, `events` times, over a
/// queue of `queue_len` entries, the way a simulation's queue churns.
fn heap_baseline(events: u64, queue_len: usize) -> u64 {
    let mut rng = Rng::from_seed(5);
    let mut heap: BinaryHeap<Reverse<(u64, u64)>> = (0..queue_len as u64)
        .map(|seq| Reverse((rng.below(10_000), seq)))
        .collect();
    let mut checksum = 0;
    for seq in 0..events {
        let Reverse((time, _)) = heap.pop().expect("the queue never empties");
        checksum ^= time;
        heap.push(Reverse((
            time + 1 + rng.below(10_000),
            queue_len as u64 + seq,
        )));
    }
    checksum
}

fn engine_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    for case in cases() {
        let (events, _, _) = run_case(&case.scenario);
        group.throughput(Throughput::Elements(events));
        group.bench_function(case.name, |b| {
            b.iter(|| black_box(run_case(&case.scenario)))
        });
        group.bench_function(format!("{}-heap-baseline", case.name), |b| {
            b.iter(|| black_box(heap_baseline(events, 64)))
        });
    }
    group.finish();
}

criterion_group!(benches, engine_benches);

/// Seconds per call of `work`: the median of 5 samples, each timing as many calls as fill
/// a fifth of a second (at least one), so a case of a few milliseconds is timed over
/// dozens of runs instead of one.
fn median_secs(mut work: impl FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let mut calls = 0u32;
            while calls == 0 || start.elapsed() < Duration::from_millis(200) {
                work();
                calls += 1;
            }
            start.elapsed().as_secs_f64() / f64::from(calls)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn summary() {
    println!("\nsummary (median of 5 samples of at least 0.2 s each; heap baseline measured in the same run)");
    println!(
        "{:<12} {:>10} {:>14} {:>14} {:>8} {:>12} {:>8}",
        "case", "events", "events/s", "heap events/s", "ratio", "trace B/ev", "ns/ev"
    );
    println!("  (kept: events/s with the allocator keeping freed memory, in a child process)");
    let mut rows = Vec::new();
    for case in cases() {
        let (events, trace_len, fingerprint) = run_case(&case.scenario);
        let engine_secs = median_secs(|| {
            black_box(run_case(&case.scenario));
        });
        let heap_secs = median_secs(|| {
            black_box(heap_baseline(events, 64));
        });
        let trace_bytes = trace_len * std::mem::size_of::<TraceEvent>();
        let ns_per_event = engine_secs * 1e9 / events as f64;
        let kept = kept_memory_events_per_s(case.name);
        println!(
            "{:<12} {:>10} {:>14.0} {:>14.0} {:>8.3} {:>12.1} {:>8.1}",
            case.name,
            events,
            events as f64 / engine_secs,
            events as f64 / heap_secs,
            heap_secs / engine_secs,
            trace_bytes as f64 / events as f64,
            ns_per_event,
        );
        if let Some(kept) = kept {
            println!("{:<12} kept {kept:>14.0}", "");
        }
        rows.push(serde_json::json!({
            "name": case.name,
            "nodes": case.scenario.nodes.len(),
            "events": events,
            "events_per_s": events as f64 / engine_secs,
            "heap_events_per_s": events as f64 / heap_secs,
            "ratio_to_heap": heap_secs / engine_secs,
            "trace_bytes_per_event": trace_bytes as f64 / events as f64,
            "ns_per_event": ns_per_event,
            "kept_memory_events_per_s": kept,
            "fingerprint": fingerprint.to_string(),
            "scenario": case.scenario.to_json_pretty(),
        }));
    }
    // Cost per event against node count: a heap-based queue should grow no faster than
    // the logarithm of its size, so 10 → 1,000 nodes (100 times the queue) should cost at
    // most about log(1000) / log(10) = 3 times as much per event.
    let ns = |name: &str| {
        rows.iter()
            .find(|row| row["name"] == name)
            .and_then(|row| row["ns_per_event"].as_f64())
            .unwrap_or(f64::NAN)
    };
    let growth = ns("random-1000") / ns("random-10");
    println!(
        "scaling: ns/event random-10 {:.1}, random-100 {:.1}, random-1000 {:.1}; 10 -> 1000 nodes x{growth:.2} (logarithmic bound x3.00)",
        ns("random-10"),
        ns("random-100"),
        ns("random-1000"),
    );
    let directory = std::env::var_os("DSPLAY_BENCH_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench"),
        std::path::PathBuf::from,
    );
    let report = serde_json::json!({
        "cases": rows,
        "scaling": { "ns_per_event_growth_10_to_1000_nodes": growth, "logarithmic_bound": 3.0 },
    });
    if std::fs::create_dir_all(&directory).is_ok() {
        let path = directory.join("engine.json");
        match std::fs::write(&path, report.to_string()) {
            Ok(()) => println!("wrote {}", path.display()),
            Err(err) => println!("could not write {}: {err}", path.display()),
        }
    }
}

/// The environment that makes glibc's allocator keep what a run frees (see
/// [`kept_memory_events_per_s`]).
const KEEP_MEMORY_ENV: [(&str, &str); 3] = [
    ("MALLOC_TRIM_THRESHOLD_", "1000000000"),
    ("MALLOC_MMAP_THRESHOLD_", "1000000000"),
    ("MALLOC_TOP_PAD_", "100000000"),
];

/// Events per second of one case, measured in a child process of this benchmark whose
/// allocator keeps the memory a run frees instead of handing it back to the kernel.
///
/// Each measured run builds its engine and frees its trace, messages and history at the
/// end; glibc returns the freed top of the heap to the kernel, so the next run takes page
/// faults to get fresh zeroed pages back, which in the strict preset is about 40 % of the
/// wall time. The page's wasm allocator never returns memory, and a long-lived process
/// reuses it, so this figure is the engine's own cost; the in-process figure includes the
/// kernel's. `None` where the child cannot be run.
fn kept_memory_events_per_s(case: &str) -> Option<f64> {
    let output = std::process::Command::new(std::env::current_exe().ok()?)
        .env(CHILD_CASE_ENV, case)
        .envs(KEEP_MEMORY_ENV)
        .output()
        .ok()?;
    String::from_utf8(output.stdout).ok()?.trim().parse().ok()
}

/// Set in the child process [`kept_memory_events_per_s`] starts: the case to time.
const CHILD_CASE_ENV: &str = "DSPLAY_BENCH_CHILD_CASE";

fn main() {
    if let Ok(name) = std::env::var(CHILD_CASE_ENV) {
        let case = cases()
            .into_iter()
            .find(|case| case.name == name)
            .expect("the parent names one of the cases");
        let (events, _, _) = run_case(&case.scenario);
        let secs = median_secs(|| {
            black_box(run_case(&case.scenario));
        });
        println!("{}", events as f64 / secs);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
