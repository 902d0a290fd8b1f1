//! wasm half of the determinism check: the engine compiled to wasm32 and run in headless
//! Chromium gives the fingerprints pinned by the native run (`golden.rs`).
#![cfg(target_arch = "wasm32")]

mod common;

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn ring_fingerprints_in_the_browser_equal_the_native_ones() {
    let pinned = common::pinned();
    assert!(pinned.len() >= 5);
    for (seed, expected) in pinned {
        assert_eq!(common::fingerprint_of_ring(seed), expected, "seed {seed}");
    }
}

#[wasm_bindgen_test]
fn preset_fingerprints_in_the_browser_equal_the_native_ones() {
    common::check_pinned_presets();
}
