//! The Knossos corpus: real Jepsen histories of a cas register, each with the verdict
//! Knossos gives it (VERDICTS.tsv), must get that verdict here too.

use dsplay_check::{check, parse_edn, Budget, Model};
use std::path::PathBuf;

/// Where the corpus lives: `DSPLAY_KNOSSOS_DIR`, or `shared/` beside the clone.
pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var("DSPLAY_KNOSSOS_DIR").map_or_else(
        |_| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/data/knossos"
            ))
        },
        PathBuf::from,
    );
    assert!(
        dir.join("VERDICTS.tsv").is_file(),
        "the Knossos corpus is missing: expected {}/VERDICTS.tsv (set DSPLAY_KNOSSOS_DIR to its folder)",
        dir.display()
    );
    dir
}

/// Rows of VERDICTS.tsv: file, expected linearizable, operations after dropping `:fail`.
pub fn corpus() -> Vec<(String, bool, usize)> {
    let dir = corpus_dir();
    let table =
        std::fs::read_to_string(dir.join("VERDICTS.tsv")).expect("VERDICTS.tsv is readable");
    let rows: Vec<(String, bool, usize)> = table
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(
                fields.len(),
                3,
                "a VERDICTS.tsv row has three fields: {line}"
            );
            (
                fields[0].to_string(),
                fields[1] == "true",
                fields[2].parse().expect("an operation count"),
            )
        })
        .collect();
    assert!(
        rows.len() >= 100,
        "the corpus has its 120 histories, found {}",
        rows.len()
    );
    rows
}

#[test]
fn every_knossos_history_gets_its_expected_verdict() {
    let dir = corpus_dir();
    let mut wrong = Vec::new();
    for (file, expected, op_count) in corpus() {
        let text = std::fs::read_to_string(dir.join(&file)).expect("a corpus file is readable");
        let history = parse_edn(&text).unwrap_or_else(|error| panic!("{file}: {error}"));
        let kept = history.ops().iter().filter(|op| !op.is_failed()).count();
        assert_eq!(kept, op_count, "{file}: operations after dropping :fail");
        let verdict = check(&history, Model::Linearizable, Budget::default());
        if verdict.valid != Some(expected) {
            wrong.push(format!(
                "{file}: expected {expected}, got {:?} ({})",
                verdict.valid, verdict.explanation
            ));
        }
        if verdict.valid == Some(false) {
            assert!(
                !verdict.ops.is_empty(),
                "{file}: a violation names its operations"
            );
        }
    }
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
}
