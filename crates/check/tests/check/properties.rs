//! Property tests over seeded, generated histories. A failure names its seed; pin a
//! failing seed as a named regression test.

use crate::generate::{build, history, make_stale_read, plan, Shape, SplitMix64};
use dsplay_check::{check, parse_edn, to_edn, Budget, Call, Model, Outcome};

const SEEDS: u64 = 300;

#[test]
fn histories_from_a_sequential_execution_are_linearizable() {
    for seed in 0..SEEDS {
        let history = history(seed, Shape::small(seed));
        let verdict = check(&history, Model::Linearizable, Budget::default());
        assert_eq!(
            verdict.valid,
            Some(true),
            "seed {seed}: {}\n{}",
            verdict.explanation,
            to_edn(&history)
        );
    }
}

#[test]
fn linearizable_histories_satisfy_every_weaker_model() {
    let mut unknown = 0;
    for seed in 0..SEEDS {
        let shape = Shape {
            cas: false,
            final_reads: true,
            ..Shape::small(seed)
        };
        let history = history(seed, shape);
        for model in Model::ALL {
            let verdict = check(&history, model, Budget::default());
            assert_ne!(
                verdict.valid,
                Some(false),
                "seed {seed}, {model}: {}\n{}",
                verdict.explanation,
                to_edn(&history)
            );
            unknown += usize::from(verdict.valid.is_none());
        }
    }
    // Only sequential consistency may run out of budget, and rarely.
    assert!(unknown * 100 < SEEDS as usize, "{unknown} unknown verdicts");
}

#[test]
fn a_stale_read_is_caught_and_named() {
    let mut caught = 0;
    for seed in 0..SEEDS {
        let mut planned = plan(seed, Shape::small(seed));
        let Some(read) = make_stale_read(&mut planned) else {
            continue;
        };
        let (history, ids) = build(&planned);
        let verdict = check(&history, Model::Linearizable, Budget::default());
        assert_eq!(
            verdict.valid,
            Some(false),
            "seed {seed}: {}",
            verdict.explanation
        );
        assert!(!verdict.ops.is_empty(), "seed {seed}");
        assert!(
            !verdict.explanation.contains("not fully minimised"),
            "seed {seed}: {}",
            verdict.explanation
        );
        caught += usize::from(verdict.ops.contains(&ids[read]));
    }
    assert!(caught > 50, "only {caught} seeds made a stale read");
}

#[test]
fn a_value_nobody_wrote_is_caught_by_every_model() {
    for seed in 0..SEEDS / 3 {
        let shape = Shape {
            cas: false,
            ..Shape::small(seed)
        };
        let mut planned = plan(seed, shape);
        let Some(read) = planned.iter().position(|op| {
            op.call == Call::Read && matches!(op.completion, Some((_, Outcome::Ok(_))))
        }) else {
            continue;
        };
        let at = planned[read].completion.expect("completed").0;
        planned[read].completion = Some((at, Outcome::Ok(Some(-7))));
        let (history, ids) = build(&planned);
        for model in [
            Model::Linearizable,
            Model::Sequential,
            Model::Causal,
            Model::CausalConvergence,
            Model::CausalMemory,
        ] {
            let verdict = check(&history, model, Budget::default());
            assert_eq!(
                verdict.valid,
                Some(false),
                "seed {seed}, {model}: {}",
                verdict.explanation
            );
            assert_eq!(
                verdict.ops,
                vec![ids[read]],
                "seed {seed}, {model}: {}",
                verdict.explanation
            );
        }
    }
}

#[test]
fn a_known_verdict_does_not_depend_on_the_budget() {
    for seed in 0..SEEDS / 3 {
        let mut planned = plan(seed, Shape::small(seed));
        if seed % 2 == 0 {
            make_stale_read(&mut planned);
        }
        let (history, _) = build(&planned);
        for model in [Model::Linearizable, Model::Sequential] {
            let full = check(&history, model, Budget::default());
            let tight = check(&history, model, Budget::steps(50));
            if tight.valid.is_some() {
                assert_eq!(tight.valid, full.valid, "seed {seed}, {model}");
            }
        }
    }
}

#[test]
fn checking_is_deterministic() {
    for seed in 0..20 {
        let mut planned = plan(seed, Shape::small(seed));
        make_stale_read(&mut planned);
        let (history, _) = build(&planned);
        for model in Model::ALL {
            assert_eq!(
                check(&history, model, Budget::default()),
                check(&history, model, Budget::default()),
                "seed {seed}, {model}"
            );
        }
    }
}

#[test]
fn written_histories_read_back_the_same() {
    for seed in 0..SEEDS {
        let shape = Shape {
            final_reads: seed % 2 == 0,
            ..Shape::small(seed)
        };
        let history = history(seed, shape);
        let text = to_edn(&history);
        assert_eq!(
            parse_edn(&text).as_ref(),
            Ok(&history),
            "seed {seed}:\n{text}"
        );
    }
}

#[test]
fn damaged_input_gives_an_error_or_a_history_never_a_panic() {
    let alphabet = b"{}[]()\":;#_ \n,\\0123456789-abcdefinvokeprocesstype";
    for seed in 0..SEEDS {
        let mut text = to_edn(&history(seed, Shape::small(seed))).into_bytes();
        let mut rng = SplitMix64::new(seed);
        for _ in 0..1 + rng.below(5) {
            if text.is_empty() {
                break;
            }
            let at = rng.below(text.len() as u64) as usize;
            match rng.below(3) {
                0 => text.truncate(at),
                1 => {
                    text.remove(at);
                }
                _ => text.insert(at, alphabet[rng.below(alphabet.len() as u64) as usize]),
            }
        }
        let text = String::from_utf8(text).expect("the damage is ASCII");
        if let Err(error) = parse_edn(&text) {
            assert!(
                error.line >= 1 && error.line <= text.lines().count().max(1) + 1,
                "seed {seed}: {error}"
            );
            assert!(!error.message.is_empty());
        }
    }
}
