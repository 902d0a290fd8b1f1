//! The `dsplay` binary as a user runs it: summaries, flags, and errors with status 2.

use std::path::PathBuf;
use std::process::{Command, Output};

fn dsplay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dsplay"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn scenario_path(name: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios")
        .join(name);
    root.to_string_lossy().into_owned()
}

fn temp_file(name: &str, contents: &str) -> String {
    let path = std::env::temp_dir().join(format!("dsplay-cli-test-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path.to_string_lossy().into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn run_prints_a_summary_with_the_fingerprint() {
    let output = dsplay(&["run", &scenario_path("gossip-ring.json")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("scenario     Gossip on a ring (gossip, 5 nodes, 7 links)"),
        "{text}"
    );
    assert!(text.contains("time         20.000 s"), "{text}");
    let fingerprint = text
        .lines()
        .find_map(|line| line.strip_prefix("fingerprint  "))
        .expect("a fingerprint line");
    assert_eq!(fingerprint.len(), 16);
    assert!(fingerprint
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
}

#[test]
fn json_summary_has_the_documented_keys_and_matches_the_text_form() {
    let json_out = dsplay(&[
        "run",
        &scenario_path("gossip-ring.json"),
        "--json",
        "--seed",
        "7",
    ]);
    assert!(json_out.status.success(), "{}", stderr(&json_out));
    let summary: serde_json::Value =
        serde_json::from_str(&stdout(&json_out)).expect("one JSON object");
    for key in [
        "events",
        "messages_sent",
        "messages_delivered",
        "messages_dropped",
        "fingerprint",
    ] {
        assert!(summary.get(key).is_some(), "missing key {key} in {summary}");
    }
    assert_eq!(summary["seed"], 7);
    assert!(summary["messages_sent"].as_u64().unwrap() > 100);
    let text_out = stdout(&dsplay(&[
        "run",
        &scenario_path("gossip-ring.json"),
        "--seed",
        "7",
    ]));
    assert!(text_out.contains(&format!(
        "fingerprint  {}",
        summary["fingerprint"].as_str().unwrap()
    )));
    let other_seed: serde_json::Value = serde_json::from_str(&stdout(&dsplay(&[
        "run",
        &scenario_path("gossip-ring.json"),
        "--json",
        "--seed",
        "8",
    ])))
    .unwrap();
    assert_ne!(summary["fingerprint"], other_seed["fingerprint"]);
}

#[test]
fn until_ms_stops_early_and_trace_writes_one_line_per_event() {
    let trace_path = temp_file("trace.txt", "");
    let output = dsplay(&[
        "run",
        &scenario_path("gossip-ring.json"),
        "--until-ms",
        "1500",
        "--trace",
        &trace_path,
        "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["time_ms"], 1500.0);
    assert!(summary["last_event_ms"].as_f64().unwrap() <= 1500.0);
    let trace = std::fs::read_to_string(&trace_path).unwrap();
    let events = trace.lines().filter(|line| !line.starts_with('#')).count() as u64;
    assert!(trace.starts_with("# dsplay trace"));
    assert!(
        events >= summary["events"].as_u64().unwrap(),
        "every event leaves at least one line"
    );
}

#[test]
fn bad_input_is_one_clear_line_on_stderr_with_status_2() {
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["run".into(), "/no/such/file.json".into()],
            "cannot read /no/such/file.json",
        ),
        (
            vec!["run".into(), temp_file("bad.json", "{ not json")],
            "invalid scenario JSON",
        ),
        (
            vec![
                "run".into(),
                temp_file(
                    "invalid.json",
                    &std::fs::read_to_string(scenario_path("gossip-ring.json"))
                        .unwrap()
                        .replace("\"b\": \"n2\"", "\"b\": \"n9\""),
                ),
            ],
            "links[0].b: unknown node \"n9\"",
        ),
        (
            vec![
                "run".into(),
                scenario_path("gossip-ring.json"),
                "--seed".into(),
                "-1".into(),
            ],
            "--seed must be an unsigned integer",
        ),
        (
            vec![
                "run".into(),
                scenario_path("gossip-ring.json"),
                "--frobnicate".into(),
            ],
            "unknown option `--frobnicate`",
        ),
        (vec!["fly".into()], "unknown command `fly`"),
        (vec!["run".into()], "missing the scenario file"),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = dsplay(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        let message = stderr(&output);
        assert_eq!(
            message.lines().count(),
            1,
            "{args:?}: one line, got {message:?}"
        );
        assert!(
            message.contains(expected),
            "{args:?}: expected {expected:?} in {message:?}"
        );
        assert!(stdout(&output).is_empty());
    }
}

#[test]
fn an_exhausted_event_budget_exits_with_status_1() {
    let text = std::fs::read_to_string(scenario_path("gossip-ring.json"))
        .unwrap()
        .replace("\"max_events\": 2000000", "\"max_events\": 100");
    let output = dsplay(&["run", &temp_file("budget.json", &text)]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("budget of 100 events"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn json_summary_reports_client_figures_and_replica_stores() {
    let output = dsplay(&["run", &scenario_path("sequential-feed.json"), "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    for key in [
        "ops_ok",
        "ops_fail",
        "ops_info",
        "availability",
        "latency_ms",
        "stale_reads",
        "messages_per_op",
        "converged",
        "replicas",
    ] {
        assert!(summary.get(key).is_some(), "missing key {key} in {summary}");
    }
    assert!(summary["ops_ok"].as_u64().unwrap() > 50);
    let availability = summary["availability"].as_f64().unwrap();
    assert!((0.5..=1.0).contains(&availability), "{availability}");
    assert!(
        summary["latency_ms"]["write"]["p99"].as_f64().unwrap()
            >= summary["latency_ms"]["write"]["p50"].as_f64().unwrap()
    );
    assert_eq!(
        summary["converged"], true,
        "the quiet period lets every replica catch up"
    );
    let replicas = summary["replicas"].as_object().unwrap();
    assert_eq!(replicas.len(), 4);
    assert!(replicas.values().all(|store| store == &replicas["r1"]));
}
