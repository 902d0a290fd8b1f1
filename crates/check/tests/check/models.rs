//! Each model's anomalies, and histories that only a weaker model accepts.

use crate::build::{cas, history, r, w, Op};
use dsplay_check::{check, Budget, History, Model, Verdict};

fn verdict(history: &History, model: Model) -> Verdict {
    check(history, model, Budget::default())
}

fn valid(ops: &[Op], model: Model) -> Option<bool> {
    verdict(&history(ops).0, model).valid
}

/// Asserts the verdict of every model, strongest first: linearizable, sequential,
/// causal memory, causal convergence, causal, eventual.
fn assert_models(ops: &[Op], expected: [Option<bool>; 6]) {
    let (history, _) = history(ops);
    for (model, expected) in Model::ALL.into_iter().zip(expected) {
        let verdict = verdict(&history, model);
        assert_eq!(verdict.valid, expected, "{model}: {}", verdict.explanation);
    }
}

// Linearizability.

#[test]
fn a_read_after_a_completed_write_sees_it() {
    assert_eq!(
        valid(
            &[w(0, "x", 1, 0, 10), r(1, "x", Some(1), 20, 30)],
            Model::Linearizable
        ),
        Some(true)
    );
    assert_eq!(
        valid(
            &[w(0, "x", 1, 0, 10), r(1, "x", None, 20, 30)],
            Model::Linearizable
        ),
        Some(false)
    );
}

#[test]
fn a_read_concurrent_with_a_write_may_see_either_value() {
    for seen in [None, Some(1)] {
        assert_eq!(
            valid(
                &[w(0, "x", 1, 0, 50), r(1, "x", seen, 10, 20)],
                Model::Linearizable
            ),
            Some(true)
        );
    }
}

#[test]
fn a_failed_write_did_not_happen() {
    let ops = [w(0, "x", 1, 0, 10).fail(), r(1, "x", Some(1), 20, 30)];
    assert_eq!(valid(&ops, Model::Linearizable), Some(false));
}

#[test]
fn an_unknown_write_may_take_effect_late_or_never() {
    let late = [
        w(0, "x", 1, 0, 10).info(),
        r(1, "x", None, 20, 30),
        r(1, "x", Some(1), 40, 50),
    ];
    assert_eq!(valid(&late, Model::Linearizable), Some(true));
    let never = [w(0, "x", 1, 0, 10).pending(), r(1, "x", None, 20, 30)];
    assert_eq!(valid(&never, Model::Linearizable), Some(true));
    // But once seen, it has happened: the register cannot go back to nil.
    let back = [
        w(0, "x", 1, 0, 10).info(),
        r(1, "x", Some(1), 20, 30),
        r(1, "x", None, 40, 50),
    ];
    assert_eq!(valid(&back, Model::Linearizable), Some(false));
}

#[test]
fn an_unknown_read_constrains_nothing() {
    let ops = [w(0, "x", 1, 0, 10), r(1, "x", Some(7), 20, 30).info()];
    assert_eq!(valid(&ops, Model::Linearizable), Some(true));
}

#[test]
fn cas_swaps_only_the_expected_value() {
    let ok = [
        w(0, "x", 1, 0, 10),
        cas(1, "x", 1, 2, 20, 30),
        r(2, "x", Some(2), 40, 50),
    ];
    assert_eq!(valid(&ok, Model::Linearizable), Some(true));
    let wrong = [w(0, "x", 1, 0, 10), cas(1, "x", 3, 2, 20, 30)];
    assert_eq!(valid(&wrong, Model::Linearizable), Some(false));
    let failed = [
        w(0, "x", 1, 0, 10),
        cas(1, "x", 3, 2, 20, 30).fail(),
        r(2, "x", Some(1), 40, 50),
    ];
    assert_eq!(valid(&failed, Model::Linearizable), Some(true));
}

#[test]
fn keys_are_separate_registers() {
    let ops = [
        w(0, "x", 1, 0, 10),
        w(0, "y", 2, 20, 30),
        r(1, "x", Some(1), 40, 50),
        r(1, "y", Some(2), 40, 50),
    ];
    assert_eq!(valid(&ops, Model::Linearizable), Some(true));
    let crossed = [w(0, "x", 1, 0, 10), r(1, "y", Some(1), 20, 30)];
    assert_eq!(valid(&crossed, Model::Linearizable), Some(false));
}

#[test]
fn an_exhausted_budget_gives_unknown_not_a_guess() {
    let ops: Vec<Op> = (0..40)
        .map(|index| w(index % 8, "x", index as i64, 0, 1000))
        .chain([r(9, "x", Some(-1), 1, 999)])
        .collect();
    let (history, _) = history(&ops);
    for model in [Model::Linearizable, Model::Sequential] {
        let verdict = check(&history, model, Budget::steps(10));
        assert_eq!(verdict.valid, None, "{model}");
        assert_eq!(
            verdict.explanation,
            format!("unknown (budget exhausted after {} steps)", verdict.steps)
        );
        assert!(verdict.steps <= 10);
    }
}

#[test]
fn an_empty_history_is_valid_for_the_search_models() {
    let history = History::new();
    for model in [Model::Linearizable, Model::Sequential, Model::Causal] {
        assert_eq!(verdict(&history, model).valid, Some(true), "{model}");
    }
}

// Sequential consistency.

#[test]
fn a_read_of_nil_after_a_write_is_sequential_but_not_linearizable() {
    // Process 1 may be ordered before process 0's write: real time does not count.
    let ops = [w(0, "x", 1, 0, 10), r(1, "x", None, 20, 30)];
    assert_models(
        &ops,
        [
            Some(false),
            Some(true),
            Some(true),
            Some(true),
            Some(true),
            Some(false),
        ],
    );
}

#[test]
fn one_process_writes_are_seen_in_their_order() {
    let ops = [
        w(0, "x", 1, 0, 10),
        w(0, "x", 2, 20, 30),
        r(1, "x", Some(2), 40, 50),
        r(1, "x", Some(1), 60, 70),
    ];
    assert_eq!(valid(&ops, Model::Sequential), Some(false));
    let verdict = verdict(&history(&ops).0, Model::Causal);
    assert_eq!(verdict.valid, Some(false));
    assert!(
        verdict.explanation.contains("WriteCORead"),
        "{}",
        verdict.explanation
    );
}

#[test]
fn store_buffering_is_causal_but_not_sequential() {
    // Each process writes its key, then reads the other's as unset.
    let ops = [
        w(0, "x", 1, 0, 10),
        r(0, "y", None, 20, 30),
        w(1, "y", 1, 0, 10),
        r(1, "x", None, 20, 30),
    ];
    assert_models(
        &ops,
        [
            Some(false),
            Some(false),
            Some(true),
            Some(true),
            Some(true),
            Some(false),
        ],
    );
    let verdict = verdict(&history(&ops).0, Model::Sequential);
    assert_eq!(
        verdict.ops.len(),
        4,
        "all four operations are needed: {}",
        verdict.explanation
    );
}

#[test]
fn sequential_consistency_is_judged_over_all_keys_at_once() {
    // Each key alone is fine; together they need x's write before y's and after it.
    let ops = [
        w(0, "x", 1, 0, 10),
        w(0, "y", 1, 20, 30),
        r(1, "y", Some(1), 40, 50),
        r(1, "x", None, 60, 70),
    ];
    assert_eq!(valid(&ops, Model::Sequential), Some(false));
}

// Causal consistency.

#[test]
fn a_value_nobody_wrote_is_a_thin_air_read() {
    let verdict = verdict(&history(&[r(0, "x", Some(5), 0, 10)]).0, Model::Causal);
    assert_eq!(verdict.valid, Some(false));
    assert!(
        verdict.explanation.contains("ThinAirRead"),
        "{}",
        verdict.explanation
    );
    assert_eq!(verdict.ops.len(), 1);
}

#[test]
fn the_initial_value_after_a_causally_preceding_write_is_write_co_init_read() {
    // Process 1 saw y = 1, which process 0 wrote after x = 1, then read x as unset.
    let ops = [
        w(0, "x", 1, 0, 10),
        w(0, "y", 1, 20, 30),
        r(1, "y", Some(1), 40, 50),
        r(1, "x", None, 60, 70),
    ];
    let (history, ids) = history(&ops);
    let verdict = verdict(&history, Model::Causal);
    assert_eq!(verdict.valid, Some(false));
    assert!(
        verdict.explanation.contains("WriteCOInitRead"),
        "{}",
        verdict.explanation
    );
    assert_eq!(
        verdict.ops, ids,
        "the write, the write after it, the read of it, the read of nil"
    );
}

#[test]
fn a_causal_cycle_is_cyclic_co() {
    // Each process read what the other wrote after its read.
    let ops = [
        r(0, "x", Some(1), 0, 10),
        w(0, "y", 1, 20, 30),
        r(1, "y", Some(1), 0, 10),
        w(1, "x", 1, 20, 30),
    ];
    let verdict = verdict(&history(&ops).0, Model::Causal);
    assert_eq!(verdict.valid, Some(false));
    assert!(
        verdict.explanation.contains("CyclicCO"),
        "{}",
        verdict.explanation
    );
}

#[test]
fn disagreeing_on_concurrent_writes_is_causal_but_not_convergent() {
    // Processes 2 and 3 see the concurrent writes of x in opposite orders.
    let ops = [
        w(0, "x", 1, 0, 10),
        w(1, "x", 2, 0, 10),
        r(2, "x", Some(1), 20, 30),
        r(2, "x", Some(2), 40, 50),
        r(3, "x", Some(2), 20, 30),
        r(3, "x", Some(1), 40, 50),
    ];
    assert_models(
        &ops,
        [
            Some(false),
            Some(false),
            Some(true),
            Some(false),
            Some(true),
            Some(false),
        ],
    );
    let verdict = verdict(&history(&ops).0, Model::CausalConvergence);
    assert!(
        verdict.explanation.contains("CyclicCF"),
        "{}",
        verdict.explanation
    );
}

#[test]
fn changing_ones_mind_after_seeing_a_write_breaks_causal_memory() {
    // Process 2 reads x = 1, then learns (through z) of the write x = 2, yet reads 1 again
    // and finally 2: causal consistency allows it, causal memory does not.
    let ops = [
        w(0, "x", 1, 0, 10),
        w(1, "x", 2, 0, 10),
        w(1, "z", 1, 20, 30),
        r(2, "x", Some(1), 40, 50),
        r(2, "z", Some(1), 60, 70),
        r(2, "x", Some(1), 80, 90),
        r(2, "x", Some(2), 100, 110),
    ];
    let (history, _) = history(&ops);
    assert_eq!(verdict(&history, Model::Causal).valid, Some(true));
    let memory = verdict(&history, Model::CausalMemory);
    assert_eq!(memory.valid, Some(false));
    assert!(
        memory.explanation.contains("CyclicHB"),
        "{}",
        memory.explanation
    );
}

#[test]
fn causal_checks_do_not_apply_to_cas_or_repeated_values() {
    let with_cas = [w(0, "x", 1, 0, 10), cas(1, "x", 1, 2, 20, 30)];
    let repeated = [w(0, "x", 1, 0, 10), w(1, "x", 1, 20, 30)];
    for ops in [&with_cas[..], &repeated[..]] {
        for model in [Model::Causal, Model::CausalMemory, Model::CausalConvergence] {
            let verdict = verdict(&history(ops).0, model);
            assert_eq!(verdict.valid, None, "{model}");
            assert!(
                verdict.explanation.starts_with("not applicable: "),
                "{}",
                verdict.explanation
            );
        }
    }
}

// Eventual consistency.

#[test]
fn replicas_whose_final_reads_differ_are_named_with_the_key() {
    let ops = [
        w(0, "x", 1, 0, 10),
        w(1, "x", 2, 0, 10),
        r(10, "x", Some(1), 100, 110).final_at("n1"),
        r(11, "x", Some(2), 100, 110).final_at("n2"),
        r(12, "x", Some(2), 100, 110).final_at("n3"),
    ];
    let (history, ids) = history(&ops);
    let verdict = verdict(&history, Model::Eventual);
    assert_eq!(verdict.valid, Some(false));
    assert_eq!(
        verdict.explanation,
        "Key x did not converge: in their final reads, replica n1 read 1, while replica n2 and replica n3 read 2."
    );
    assert_eq!(verdict.ops, vec![ids[2], ids[3]]);
}

#[test]
fn a_final_read_must_return_a_written_value() {
    let ops = [
        w(0, "x", 1, 0, 10),
        r(10, "x", Some(9), 100, 110).final_at("n1"),
    ];
    assert_eq!(valid(&ops, Model::Eventual), Some(false));
    let unset = [
        w(0, "x", 1, 0, 10),
        r(10, "x", None, 100, 110).final_at("n1"),
    ];
    assert_eq!(valid(&unset, Model::Eventual), Some(false));
    // A write that may never have happened does not make nil wrong.
    let maybe = [
        w(0, "x", 1, 0, 10).info(),
        r(10, "x", None, 100, 110).final_at("n1"),
    ];
    assert_eq!(valid(&maybe, Model::Eventual), Some(true));
}

#[test]
fn converged_replicas_may_still_break_causality() {
    // The WriteCOInitRead history, then every replica agrees on both keys.
    let ops = [
        w(0, "x", 1, 0, 10),
        w(0, "y", 1, 20, 30),
        r(1, "y", Some(1), 40, 50),
        r(1, "x", None, 60, 70),
        r(10, "x", Some(1), 100, 110).final_at("n1"),
        r(11, "x", Some(1), 100, 110).final_at("n2"),
        r(10, "y", Some(1), 120, 130).final_at("n1"),
        r(11, "y", Some(1), 120, 130).final_at("n2"),
    ];
    assert_models(
        &ops,
        [
            Some(false),
            Some(false),
            Some(false),
            Some(false),
            Some(false),
            Some(true),
        ],
    );
}

#[test]
fn without_final_reads_each_process_last_read_stands_in() {
    let ops = [
        w(0, "x", 1, 0, 10),
        w(1, "x", 2, 0, 10),
        r(2, "x", Some(1), 20, 30),
        r(3, "x", Some(2), 20, 30),
    ];
    let verdict = verdict(&history(&ops).0, Model::Eventual);
    assert_eq!(verdict.valid, Some(false));
    assert!(
        verdict.explanation.contains("last reads"),
        "{}",
        verdict.explanation
    );
    assert!(
        verdict.explanation.contains("process 2"),
        "{}",
        verdict.explanation
    );
}

#[test]
fn eventual_needs_reads_to_judge() {
    let verdict = verdict(&history(&[w(0, "x", 1, 0, 10)]).0, Model::Eventual);
    assert_eq!(verdict.valid, None);
}

#[test]
fn models_are_named_as_the_cli_writes_them() {
    for model in Model::ALL {
        assert_eq!(model.name().parse::<Model>(), Ok(model));
    }
    assert!("strict".parse::<Model>().is_err());
}
