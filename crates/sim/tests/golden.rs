//! Native half of the cross-platform determinism check (the wasm half is `wasm.rs`).

mod common;

#[test]
fn ring_fingerprints_match_the_pinned_file() {
    if std::env::var_os("DSPLAY_BLESS").is_some() {
        let mut text = String::from("# SEED FINGERPRINT of scenarios/gossip-ring.json run to its end; see tests/common/mod.rs\n");
        for seed in [42, 0, 1, 7, 123_456_789] {
            text.push_str(&format!("{seed} {}\n", common::fingerprint_of_ring(seed)));
        }
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/fingerprints.txt"
        );
        std::fs::write(path, text).expect("writable fixture");
        return;
    }
    let pinned = common::pinned();
    assert!(pinned.len() >= 5);
    for (seed, expected) in pinned {
        assert_eq!(common::fingerprint_of_ring(seed), expected, "seed {seed}");
    }
}

#[test]
fn every_preset_fingerprint_matches_the_pinned_file() {
    if std::env::var_os("DSPLAY_BLESS").is_some() {
        let mut text = String::from(
            "# PRESET SEED FINGERPRINT: each shipped scenario run with each seed; see tests/common/mod.rs\n",
        );
        for (name, _) in common::PRESETS {
            for seed in 0..common::PRESET_SEEDS {
                text.push_str(&format!(
                    "{name} {seed} {}\n",
                    common::fingerprint_of_preset(name, seed)
                ));
            }
        }
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/preset-fingerprints.txt"
        );
        std::fs::write(path, text).expect("writable fixture");
        return;
    }
    common::check_pinned_presets();
}
