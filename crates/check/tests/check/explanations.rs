//! Explanations: the sentence a student reads and the operations the UI highlights.

use crate::build::{cas, history, r, w};
use dsplay_check::{check, format_seconds, Budget, Model};

#[test]
fn stale_read_is_reported_with_the_write_it_read_and_the_overwrite() {
    let (history, ids) = history(&[
        w(0, "x", 1, 900, 950),
        w(1, "x", 2, 1000, 1100),
        r(2, "x", Some(1), 1204, 1300),
    ]);
    let verdict = check(&history, Model::Linearizable, Budget::default());
    assert_eq!(verdict.valid, Some(false));
    assert_eq!(
        verdict.explanation,
        "Process 2 read x = 1 (invoked at 1.204 s), but after process 0's write x = 1 completed (0.950 s), \
         process 1 wrote x = 2 and that write completed at 1.100 s; a linearizable store must return 2 or a later value."
    );
    assert_eq!(verdict.ops, ids);
}

#[test]
fn operations_that_do_not_take_part_are_left_out() {
    let (history, ids) = history(&[
        w(0, "x", 1, 900, 950),
        r(3, "x", Some(1), 960, 970),
        w(1, "x", 2, 1000, 1100),
        w(4, "y", 5, 1000, 1100),
        r(2, "x", Some(1), 1204, 1300),
        r(3, "x", Some(2), 1400, 1500),
    ]);
    let verdict = check(&history, Model::Linearizable, Budget::default());
    assert_eq!(verdict.ops, vec![ids[0], ids[2], ids[4]]);
}

#[test]
fn a_read_of_nil_after_a_write_names_both() {
    let (history, ids) = history(&[w(0, "x", 1, 0, 100), r(1, "x", None, 200, 300)]);
    let verdict = check(&history, Model::Linearizable, Budget::default());
    assert_eq!(verdict.ops, ids);
    assert_eq!(
        verdict.explanation,
        "Process 1 read x = nil (invoked at 0.200 s), but process 0's write x = 1 had already completed at 0.100 s; \
         once written, the register is never unset again, so a linearizable store must return a written value."
    );
}

#[test]
fn a_read_before_its_write_began_names_both() {
    let (history, ids) = history(&[r(1, "x", Some(1), 0, 100), w(0, "x", 1, 200, 300)]);
    let verdict = check(&history, Model::Linearizable, Budget::default());
    assert_eq!(verdict.ops, ids);
    assert!(
        verdict
            .explanation
            .contains("was invoked only at 0.200 s, after the read had completed"),
        "{}",
        verdict.explanation
    );
}

#[test]
fn a_cas_puzzle_is_told_as_its_minimal_operations() {
    // Both swaps from 1 succeeded, one after the other, and nothing wrote 1 in between.
    let (history, ids) = history(&[
        w(0, "x", 1, 0, 10),
        cas(1, "x", 1, 2, 20, 30),
        cas(2, "x", 1, 3, 40, 50),
        r(3, "x", Some(3), 60, 70),
    ]);
    let verdict = check(&history, Model::Linearizable, Budget::default());
    assert_eq!(verdict.valid, Some(false));
    assert_eq!(verdict.ops, ids[..3].to_vec(), "{}", verdict.explanation);
    assert!(
        verdict
            .explanation
            .starts_with("No linearizable order exists for these 3 operations on x: "),
        "{}",
        verdict.explanation
    );
    assert!(!verdict.explanation.contains("not fully minimised"));
}

#[test]
fn a_causal_violation_tells_the_causal_path() {
    let (history, _) = history(&[
        w(0, "x", 1, 0, 10),
        w(0, "y", 1, 20, 30),
        r(1, "y", Some(1), 40, 50),
        r(1, "x", None, 60, 70),
    ]);
    let verdict = check(&history, Model::Causal, Budget::default());
    assert_eq!(
        verdict.explanation,
        "Process 1 read x = nil, yet a write to x causally precedes that read: process 0 wrote x = 1, then wrote y = 1; \
         process 1 read y = 1, then read x = nil. Once a write is visible to a process, the initial value cannot come back (WriteCOInitRead)."
    );
}

#[test]
fn times_are_seconds_with_three_decimals() {
    assert_eq!(format_seconds(1_204_000_000), "1.204 s");
    assert_eq!(format_seconds(61_000_000_000), "61.000 s");
}
