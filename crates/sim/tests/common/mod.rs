//! Shared by the native and the wasm tests: the pinned fingerprints of the shipped scenario.
//!
//! The same file is checked natively and inside headless Chromium, which is how we know a
//! run is identical on 64-bit native and 32-bit wasm targets. After a deliberate change to
//! the engine, regenerate it with `DSPLAY_BLESS=1 cargo test -p dsplay-sim --test golden`.

use dsplay_sim::{build, Scenario};

pub const RING: &str = include_str!("../../../../scenarios/gossip-ring.json");
pub const PINNED: &str = include_str!("../fixtures/fingerprints.txt");

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
