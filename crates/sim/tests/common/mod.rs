//! Shared by the native and the wasm tests: the pinned fingerprints of the shipped scenarios.
//!
//! The same files are checked natively and inside headless Chromium, which is how we know
//! a run is identical on 64-bit native and 32-bit wasm targets. After a deliberate change
//! to the engine, regenerate them with `DSPLAY_BLESS=1 cargo test --release -p dsplay-sim
//! --test golden`.
//!
//! `fixtures/preset-fingerprints.txt` holds every preset under [`PRESET_SEEDS`] seeds
//! (1,300 runs, about 5 s natively and 7 s in Chromium on a two-core machine), all checked
//! on both targets by `cargo xtask test`; `DSPLAY_DETERMINISM_SEEDS=N` (read when the test
//! is compiled, so the wasm build sees it too) checks only the first N.

use dsplay_sim::{build, Scenario};

pub const RING: &str = include_str!("../../../../scenarios/gossip-ring.json");
pub const PINNED: &str = include_str!("../fixtures/fingerprints.txt");
pub const PINNED_PRESETS: &str = include_str!("../fixtures/preset-fingerprints.txt");

/// Seeds `0..PRESET_SEEDS` of every preset are pinned.
pub const PRESET_SEEDS: u64 = 100;

/// How long each preset runs for its fingerprint: to its end, except the 100-node stress
/// grid, whose first 2 s already hold a few hundred thousand events.
fn preset_until_ms(name: &str) -> Option<f64> {
    (name == "stress-grid").then_some(2_000.0)
}

/// Every shipped scenario, by file name without `.json`.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "byzantine",
        include_str!("../../../../scenarios/byzantine.json"),
    ),
    (
        "causal-comments",
        include_str!("../../../../scenarios/causal-comments.json"),
    ),
    (
        "crash-recovery",
        include_str!("../../../../scenarios/crash-recovery.json"),
    ),
    (
        "eventual-dns",
        include_str!("../../../../scenarios/eventual-dns.json"),
    ),
    (
        "fail-stop",
        include_str!("../../../../scenarios/fail-stop.json"),
    ),
    (
        "gossip-ring",
        include_str!("../../../../scenarios/gossip-ring.json"),
    ),
    (
        "omission",
        include_str!("../../../../scenarios/omission.json"),
    ),
    (
        "partition-tradeoff",
        include_str!("../../../../scenarios/partition-tradeoff.json"),
    ),
    (
        "partition",
        include_str!("../../../../scenarios/partition.json"),
    ),
    (
        "sequential-feed",
        include_str!("../../../../scenarios/sequential-feed.json"),
    ),
    (
        "stress-grid",
        include_str!("../../../../scenarios/stress-grid.json"),
    ),
    (
        "strict-password",
        include_str!("../../../../scenarios/strict-password.json"),
    ),
    (
        "temporal",
        include_str!("../../../../scenarios/temporal.json"),
    ),
];

/// How many of the pinned seeds per preset a test run checks.
pub fn determinism_seeds() -> u64 {
    option_env!("DSPLAY_DETERMINISM_SEEDS")
        .and_then(|seeds| seeds.parse().ok())
        .unwrap_or(PRESET_SEEDS)
        .min(PRESET_SEEDS)
}

/// The fingerprint of preset `name` run with `seed` (to its end, or see
/// [`preset_until_ms`]).
pub fn fingerprint_of_preset(name: &str, seed: u64) -> String {
    let text = PRESETS
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, text)| *text)
        .expect("a shipped preset");
    let mut scenario = Scenario::from_json(text).expect("the shipped scenario is valid");
    scenario.seed = seed;
    let mut engine = build(&scenario).expect("valid");
    let until = preset_until_ms(name).map_or(engine.duration(), dsplay_sim::Time::from_ms_f64);
    engine.run_until(until).expect("within budget");
    engine.fingerprint().to_string()
}

/// `(preset, seed, fingerprint)` lines of the pinned preset file.
pub fn pinned_presets() -> Vec<(String, u64, String)> {
    PINNED_PRESETS
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(
                fields.len(),
                3,
                "lines are `PRESET SEED FINGERPRINT`: {line}"
            );
            (
                fields[0].to_string(),
                fields[1].parse().expect("a numeric seed"),
                fields[2].to_string(),
            )
        })
        .collect()
}

/// Checks the first [`determinism_seeds`] seeds of every preset against the pinned file,
/// naming every mismatch.
pub fn check_pinned_presets() {
    let seeds = determinism_seeds();
    let pinned = pinned_presets();
    assert_eq!(
        pinned.len() as u64,
        PRESETS.len() as u64 * PRESET_SEEDS,
        "every preset is pinned for every seed"
    );
    let mismatches: Vec<String> = pinned
        .iter()
        .filter(|(_, seed, _)| *seed < seeds)
        .filter_map(|(name, seed, expected)| {
            let found = fingerprint_of_preset(name, *seed);
            (found != *expected).then(|| format!("{name} seed {seed}: {found}, pinned {expected}"))
        })
        .collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// `(seed, fingerprint)` pairs from the pinned file.
pub fn pinned() -> Vec<(u64, String)> {
    PINNED
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (seed, fingerprint) = line.split_once(' ').expect("lines are `SEED FINGERPRINT`");
            (
                seed.parse().expect("a numeric seed"),
                fingerprint.trim().to_string(),
            )
        })
        .collect()
}

/// The fingerprint of the shipped ring scenario run to its end with `seed`.
pub fn fingerprint_of_ring(seed: u64) -> String {
    let mut scenario = Scenario::from_json(RING).expect("the shipped scenario is valid");
    scenario.seed = seed;
    let mut engine = build(&scenario).expect("valid");
    engine.run_until(engine.duration()).expect("within budget");
    engine.fingerprint().to_string()
}
