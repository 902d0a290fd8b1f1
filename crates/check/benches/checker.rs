//! Checker speed: the whole Knossos corpus, and generated histories of 1,000 and 10,000
//! operations (10 processes, 10 keys), for linearizability.
//!
//! Run with `cargo bench -p dsplay-check`. Criterion measures each case; afterwards a
//! summary table prints milliseconds per case, the corpus's median and hardest file, and
//! each case's ratio to reading (parsing) the same history, measured in the same run so
//! machine speed cancels out. The goal to compare with is Porcupine's: under 1 ms for most
//! 80-operation Jepsen register histories, about 250 ms for the hardest, the corpus in
//! under a second.

use criterion::{criterion_group, Criterion};
use dsplay_check::{check, parse_edn, to_edn, Budget, History, Model};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[path = "../tests/support/generate.rs"]
mod generate;

use generate::Shape;

fn corpus_dir() -> PathBuf {
    std::env::var("DSPLAY_KNOSSOS_DIR").map_or_else(
        |_| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/data/knossos"
            ))
        },
        PathBuf::from,
    )
}

/// The corpus as (file, text), in VERDICTS.tsv order.
fn corpus() -> Vec<(String, String)> {
    let dir = corpus_dir();
    let table = std::fs::read_to_string(dir.join("VERDICTS.tsv"))
        .unwrap_or_else(|error| panic!("the Knossos corpus at {}: {error}", dir.display()));
    table
        .lines()
        .skip(1)
        .filter_map(|line| line.split('\t').next())
        .filter(|file| !file.is_empty())
        .map(|file| {
            let text = std::fs::read_to_string(dir.join(file)).expect("a corpus file");
            (file.to_string(), text)
        })
        .collect()
}

fn generated(ops: usize) -> History {
    generate::history(
        42,
        Shape {
            processes: 10,
            keys: 10,
            ops,
            cas: true,
            unknown_percent: 5,
            final_reads: false,
        },
    )
}

fn check_all(histories: &[History]) -> usize {
    histories
        .iter()
        .filter(|history| {
            check(history, Model::Linearizable, Budget::default()).valid == Some(true)
        })
        .count()
}

fn benches(c: &mut Criterion) {
    let corpus = corpus();
    let histories: Vec<History> = corpus
        .iter()
        .map(|(file, text)| parse_edn(text).unwrap_or_else(|error| panic!("{file}: {error}")))
        .collect();
    let mut group = c.benchmark_group("checker");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    group.bench_function("knossos corpus, linearizable", |b| {
        b.iter(|| check_all(black_box(&histories)))
    });
    for ops in [1_000, 10_000] {
        let history = generated(ops);
        group.bench_function(format!("generated {ops} ops, linearizable"), |b| {
            b.iter(|| check(black_box(&history), Model::Linearizable, Budget::default()))
        });
    }
    group.finish();
}

/// The median of `runs` timings of `work`, in milliseconds.
fn median_ms(runs: usize, mut work: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn summary() {
    let corpus = corpus();
    let histories: Vec<History> = corpus
        .iter()
        .map(|(_, text)| parse_edn(text).expect("the corpus parses"))
        .collect();
    println!();
    println!(
        "{:<44} {:>12} {:>12} {:>10}",
        "case", "check (ms)", "parse (ms)", "ratio"
    );

    let parse_ms = median_ms(5, || {
        for (_, text) in &corpus {
            black_box(parse_edn(text).expect("the corpus parses"));
        }
    });
    let check_ms = median_ms(5, || {
        black_box(check_all(&histories));
    });
    println!(
        "{:<44} {:>12.2} {:>12.2} {:>10.1}",
        format!("knossos corpus ({} files)", histories.len()),
        check_ms,
        parse_ms,
        check_ms / parse_ms
    );

    let mut per_file: Vec<(f64, &str, usize)> = histories
        .iter()
        .zip(&corpus)
        .map(|(history, (file, _))| {
            let ms = median_ms(3, || {
                black_box(check(history, Model::Linearizable, Budget::default()));
            });
            (ms, file.as_str(), history.len())
        })
        .collect();
    per_file.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (median, _, _) = per_file[per_file.len() / 2];
    let (hardest, hardest_file, hardest_ops) = per_file[per_file.len() - 1];
    let under_1_ms = per_file.iter().filter(|(ms, _, _)| *ms < 1.0).count();
    println!("{:<44} {:>12.3}", "  median file", median);
    println!(
        "{:<44} {:>12.3}",
        format!("  hardest: {hardest_file} ({hardest_ops} ops)"),
        hardest
    );
    println!(
        "{:<44} {:>12}",
        "  files under 1 ms",
        format!("{under_1_ms}/{}", per_file.len())
    );

    let mut generated_json: Vec<String> = Vec::new();
    for ops in [1_000, 10_000] {
        let history = generated(ops);
        let text = to_edn(&history);
        let verdict = check(&history, Model::Linearizable, Budget::default());
        assert_eq!(
            verdict.valid,
            Some(true),
            "a generated history is linearizable"
        );
        let check_ms = median_ms(5, || {
            black_box(check(&history, Model::Linearizable, Budget::default()));
        });
        let parse_ms = median_ms(5, || {
            black_box(parse_edn(&text).expect("written EDN parses"));
        });
        println!(
            "{:<44} {:>12.2} {:>12.2} {:>10.1}",
            format!("generated {ops} ops, 10 processes, 10 keys"),
            check_ms,
            parse_ms,
            check_ms / parse_ms
        );
        println!("{:<44} {:>12}", "  search steps", verdict.steps);
        generated_json.push(format!(
            r#"{{"ops": {ops}, "check_ms": {check_ms}, "parse_ms": {parse_ms}, "steps": {}}}"#,
            verdict.steps
        ));
    }
    // The same figures as JSON for `target/bench/report.json` (written by hand: the
    // checker depends on nothing, not even serde_json).
    let json = format!(
        r#"{{"corpus_files": {}, "corpus_check_ms": {check_ms}, "corpus_parse_ms": {parse_ms}, "median_file_ms": {median}, "hardest_file": "{hardest_file}", "hardest_file_ops": {hardest_ops}, "hardest_file_ms": {hardest}, "files_under_1_ms": {under_1_ms}, "generated": [{}]}}"#,
        histories.len(),
        generated_json.join(", ")
    );
    let directory = std::env::var_os("DSPLAY_BENCH_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench"),
        std::path::PathBuf::from,
    );
    if std::fs::create_dir_all(&directory).is_ok() {
        let path = directory.join("checker.json");
        match std::fs::write(&path, json) {
            Ok(()) => println!("wrote {}", path.display()),
            Err(err) => println!("could not write {}: {err}", path.display()),
        }
    }
}

criterion_group!(checker, benches);

fn main() {
    checker();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
