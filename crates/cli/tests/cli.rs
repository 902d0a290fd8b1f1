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

fn knossos(path: &str) -> String {
    let root = std::env::var("DSPLAY_KNOSSOS_DIR").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/knossos").to_string()
    });
    format!("{root}/{path}")
}

#[test]
fn check_gives_the_knossos_verdicts_with_exit_codes() {
    let good = dsplay(&[
        "check",
        &knossos("cas-register/good/memstress3-0.edn"),
        "--model",
        "linearizable",
    ]);
    assert_eq!(good.status.code(), Some(0), "{}", stderr(&good));
    assert!(stdout(&good).contains("verdict      valid"));
    let bad = dsplay(&[
        "check",
        &knossos("cas-register/bad/cas-failure.edn"),
        "--model",
        "linearizable",
        "--json",
    ]);
    assert_eq!(bad.status.code(), Some(1), "{}", stderr(&bad));
    let verdict: serde_json::Value = serde_json::from_str(&stdout(&bad)).unwrap();
    assert_eq!(verdict["valid"], false);
    assert_eq!(verdict["model"], "linearizable");
    assert!(!verdict["ops"].as_array().unwrap().is_empty());
    assert!(verdict["explanation"].as_str().unwrap().len() > 20);
    assert!(verdict["elapsed_ms"].as_f64().is_some());
}

#[test]
fn check_refuses_bad_input_with_status_2() {
    let broken = temp_file("broken.edn", "{:process 0, :type :invoke, :f :read\n");
    let output = dsplay(&["check", &broken, "--model", "linearizable"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("line 1"), "{}", stderr(&output));
    let output = dsplay(&["check", &broken, "--model", "strictest"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("unknown model"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_runs_history_round_trips_through_the_checker_and_carries_its_verdict() {
    let history = temp_file("feed.edn", "");
    let output = dsplay(&[
        "run",
        &scenario_path("sequential-feed.json"),
        "--history",
        &history,
        "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["verdict"]["model"], "sequential");
    assert_eq!(summary["verdict"]["valid"], true, "{}", summary["verdict"]);
    assert_eq!(summary["violations"], 0);
    let text = std::fs::read_to_string(&history).unwrap();
    assert!(
        text.lines().next().unwrap().starts_with("{:process "),
        "{}",
        text.lines().next().unwrap()
    );
    assert!(text.contains(":final true"), "final reads are marked");
    let checked = dsplay(&["check", &history, "--model", "sequential"]);
    assert_eq!(checked.status.code(), Some(0), "{}", stdout(&checked));
}

#[test]
fn the_eventual_preset_is_not_linearizable_and_says_why() {
    let history = temp_file("dns.edn", "");
    let output = dsplay(&[
        "run",
        &scenario_path("eventual-dns.json"),
        "--history",
        &history,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let checked = dsplay(&["check", &history, "--model", "linearizable", "--json"]);
    assert_eq!(checked.status.code(), Some(1), "{}", stdout(&checked));
    let verdict: serde_json::Value = serde_json::from_str(&stdout(&checked)).unwrap();
    let explanation = verdict["explanation"].as_str().unwrap();
    assert!(
        explanation.contains("read"),
        "a student-readable sentence: {explanation}"
    );
}

fn feed_with_profile(profile: &str) -> String {
    let text = std::fs::read_to_string(scenario_path("sequential-feed.json")).unwrap();
    let with = text.replacen(
        "\"protocol\"",
        &format!("\"fault_profile\": {profile},\n  \"protocol\""),
        1,
    );
    temp_file(&format!("profile-{}.json", profile.len()), &with)
}

#[test]
fn a_sweep_reports_violating_seeds_each_with_a_command_that_reproduces_it() {
    let liars = feed_with_profile(r#"{"byzantine": 2}"#);
    let output = dsplay(&["sweep", &liars, "--seeds", "0..12", "--json"]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "violations found: {}",
        stderr(&output)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["seeds"], 12);
    let violations = report["violations"].as_array().unwrap();
    assert!(!violations.is_empty());
    let first = &violations[0];
    let seed = first["seed"].as_u64().unwrap().to_string();
    assert_eq!(
        first["reproduce"],
        format!("dsplay run {liars} --seed {seed}")
    );
    // The reproducing run draws the same faults and shows the same violation.
    let again = dsplay(&["run", &liars, "--seed", &seed, "--json"]);
    let summary: serde_json::Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!(summary["verdict"]["valid"], false);
    assert_eq!(summary["verdict"]["explanation"], first["explanation"]);
}

#[test]
fn shards_split_the_seed_range_and_crash_tolerant_faults_break_nothing() {
    let crashes = feed_with_profile(r#"{"crashes": 1, "omissions": 1, "slow": 1}"#);
    let whole = dsplay(&["sweep", &crashes, "--seeds", "0..8", "--json"]);
    assert_eq!(whole.status.code(), Some(0), "{}", stdout(&whole));
    let mut total = 0;
    for shard in ["0/3", "1/3", "2/3"] {
        let part = dsplay(&[
            "sweep", &crashes, "--seeds", "0..8", "--shard", shard, "--json",
        ]);
        let report: serde_json::Value = serde_json::from_str(&stdout(&part)).unwrap();
        total += report["seeds"].as_u64().unwrap();
    }
    assert_eq!(total, 8);
    let bad = dsplay(&["sweep", &crashes, "--seeds", "9..3"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("--seeds must be A..B"),
        "{}",
        stderr(&bad)
    );
}

/// The scenario at `path` with its protocol replaced by `kind`'s defaults, as a file.
fn with_protocol(path: &str, kind: &str) -> String {
    let mut scenario: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    scenario["protocol"] = serde_json::json!({ "kind": kind });
    temp_file(&format!("protocol-{kind}.json"), &scenario.to_string())
}

#[test]
fn compare_gives_each_model_the_figures_dsplay_run_reports_for_it() {
    let tradeoff = scenario_path("partition-tradeoff.json");
    let output = dsplay(&[
        "compare",
        &tradeoff,
        "--models",
        "strict,eventual",
        "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).lines().count(), 1, "one line");
    let comparison: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        comparison["scenario"],
        "Trade-off: a partition, strict against eventual"
    );
    assert_eq!(comparison["seed"], 3);
    assert_eq!(comparison["time_ms"], 16000.0);
    let rows = comparison["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    // The scenario's own protocol as the file has it, and eventual with its defaults.
    for (row, file) in rows
        .iter()
        .zip([tradeoff.clone(), with_protocol(&tradeoff, "eventual")])
    {
        let run: serde_json::Value =
            serde_json::from_str(&stdout(&dsplay(&["run", &file, "--json"]))).unwrap();
        assert_eq!(row["model"], run["protocol"]);
        assert_eq!(row["guarantee"], run["verdict"]["model"]);
        assert_eq!(row["problem"], serde_json::Value::Null);
        for key in [
            "availability",
            "stale_reads",
            "violations",
            "messages_per_op",
            "ops_ok",
            "ops_fail",
            "ops_info",
            "fingerprint",
        ] {
            assert_eq!(row[key], run[key], "{}: {key}", row["model"]);
        }
        assert_eq!(row["valid"], run["verdict"]["valid"]);
        assert_eq!(row["explanation"], run["verdict"]["explanation"]);
        assert!(row["latency_ms_p99"].as_f64().unwrap() > 0.0);
    }
    assert!(rows[0]["availability"].as_f64().unwrap() < rows[1]["availability"].as_f64().unwrap());
    assert!(rows[1]["stale_reads"].as_u64().unwrap() > 0);
}

#[test]
fn compare_prints_an_aligned_table_and_takes_a_seed_and_a_stopping_time() {
    let output = dsplay(&[
        "compare",
        &scenario_path("partition-tradeoff.json"),
        "--models",
        "eventual,strict,causal",
        "--seed",
        "4",
        "--until-ms",
        "9000",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "Trade-off: a partition, strict against eventual (seed 4, 9.000 s of virtual time)"
    );
    assert_eq!(
        lines[1],
        "model     guarantee     availability  p99 ms  stale reads  violations  msgs/op"
    );
    let models: Vec<&str> = lines[2..5]
        .iter()
        .map(|line| line.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        models,
        ["eventual", "strict", "causal"],
        "in the order asked"
    );
    // Every figure ends where its heading ends.
    for heading in [
        "availability",
        "p99 ms",
        "stale reads",
        "violations",
        "msgs/op",
    ] {
        let end = lines[1].find(heading).unwrap() + heading.len();
        for line in &lines[2..5] {
            assert_eq!(line.len(), lines[1].len(), "{line}");
            assert_ne!(line.as_bytes()[end - 1], b' ', "{heading} in {line:?}");
        }
    }
    let json = |seed: &str| -> serde_json::Value {
        serde_json::from_str(&stdout(&dsplay(&[
            "compare",
            &scenario_path("partition-tradeoff.json"),
            "--models",
            "eventual,strict",
            "--seed",
            seed,
            "--until-ms",
            "9000",
            "--json",
        ])))
        .unwrap()
    };
    let (four, five) = (json("4"), json("5"));
    assert_eq!(
        (&four["seed"], &four["time_ms"]),
        (&4.into(), &9000.0.into())
    );
    assert_ne!(
        four["rows"][0]["fingerprint"],
        five["rows"][0]["fingerprint"]
    );
}

#[test]
fn compare_refuses_what_it_cannot_compare_with_one_line_and_status_2() {
    let tradeoff = scenario_path("partition-tradeoff.json");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["compare", &tradeoff], "missing --models"),
        (
            vec!["compare", &tradeoff, "--models", "strict"],
            "a comparison needs at least 2 models, got 1",
        ),
        (
            vec!["compare", &tradeoff, "--models", "strict,eventual,strict"],
            "the model \"strict\" is listed twice",
        ),
        (
            vec![
                "compare",
                &tradeoff,
                "--models",
                "bft,strict,sequential,causal,eventual,strict",
            ],
            "at most 5 models, got 6",
        ),
        (
            vec!["compare", &tradeoff, "--models", "strict,paxos"],
            "there is no consistency model called \"paxos\"",
        ),
        (
            vec!["compare", &tradeoff, "--models", "gossip,strict"],
            "gossip promises no consistency model",
        ),
        (
            vec![
                "compare",
                &tradeoff,
                "--models",
                "strict,eventual",
                "--until-ms",
                "-5",
            ],
            "--until-ms must be a non-negative number",
        ),
        (
            vec![
                "compare",
                "/no/such/file.json",
                "--models",
                "strict,eventual",
            ],
            "cannot read /no/such/file.json",
        ),
        (
            vec!["compare", "--models", "strict,eventual"],
            "missing the scenario file",
        ),
    ];
    for (args, expected) in cases {
        let output = dsplay(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let message = stderr(&output);
        assert_eq!(message.lines().count(), 1, "{args:?}: {message:?}");
        assert!(message.contains(expected), "{args:?}: {message:?}");
        assert!(stdout(&output).is_empty());
    }
}

#[test]
fn a_model_that_cannot_run_the_scenario_gets_a_row_that_says_why() {
    // The feed has four replicas; cut to three, bft (3f + 1) cannot run it.
    let mut scenario: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(scenario_path("sequential-feed.json")).unwrap(),
    )
    .unwrap();
    let keep = |id: &serde_json::Value| id != "r4";
    scenario["nodes"]
        .as_array_mut()
        .unwrap()
        .retain(|node| keep(&node["id"]));
    scenario["links"]
        .as_array_mut()
        .unwrap()
        .retain(|link| keep(&link["a"]) && keep(&link["b"]));
    let three = temp_file("three-replicas.json", &scenario.to_string());
    let output = dsplay(&["compare", &three, "--models", "sequential,bft"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let bft_row = text.lines().find(|line| line.starts_with("bft ")).unwrap();
    assert!(bft_row.trim_end().ends_with('-'), "{bft_row}");
    assert!(
        text.contains("bft: bft cannot run this scenario: protocol: bft needs at least 4 replicas (3f + 1 with f ≥ 1), got 3."),
        "{text}"
    );
}

fn lesson_path(name: &str) -> String {
    format!("{}/../../lessons/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn lesson_prints_each_step_and_the_answer_its_run_gives() {
    let output = dsplay(&["lesson", &lesson_path("strict-password.json"), "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let lesson: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(lesson["lesson"], "strict-password");
    let steps = lesson["steps"].as_array().unwrap();
    assert_eq!(steps[0]["step"], 1);
    assert_eq!(steps[0]["model"], "strict");
    let question = &steps[0]["question"];
    let choice = question["answer"]["choice"].as_u64().unwrap() as usize;
    assert_eq!(
        question["choices"][choice], question["answer"]["label"],
        "the answer is one of the choices"
    );
    assert!(question["answer"]["detail"]
        .as_str()
        .unwrap()
        .contains("login's read"));
    let text = dsplay(&["lesson", &lesson_path("strict-password.json")]);
    assert!(stdout(&text).contains("   A: "), "{}", stdout(&text));
}

#[test]
fn a_bad_lesson_file_is_one_line_with_status_2() {
    let bad = temp_file("bad-lesson.json", r#"{"version": 1, "id": "x"}"#);
    let output = dsplay(&["lesson", &bad]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("dsplay: "),
        "{}",
        stderr(&output)
    );
    let unknown = temp_file(
        "unknown-scenario.json",
        r#"{"version": 1, "id": "x", "title": "T", "summary": "S", "topic": "failure",
            "steps": [{"title": "A", "text": "a", "scenario": "nowhere"}]}"#,
    );
    let output = dsplay(&["lesson", &unknown]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("there is no scenario `nowhere`"),
        "{}",
        stderr(&output)
    );
}

fn challenge_path(name: &str) -> String {
    format!("{}/../../challenges/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn challenge_grades_the_start_design_and_a_saved_design_with_the_scorecard() {
    // The starting design (one server) misses fault tolerance: status 1.
    let output = dsplay(&["challenge", &challenge_path("password-service.json")]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("MISS Fault tolerance: survives 0 crashes"),
        "{text}"
    );
    assert!(text.contains("worst seed"), "{text}");
    let reference = std::fs::read_to_string(format!(
        "{}/../sim/tests/fixtures/challenges/password-service.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let reference: serde_json::Value = serde_json::from_str(&reference).unwrap();
    let design = temp_file("design.json", &reference["reference"].to_string());
    let output = dsplay(&[
        "challenge",
        &challenge_path("password-service.json"),
        "--design",
        &design,
        "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let scorecard: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(scorecard["passed"], true);
    assert_eq!(scorecard["rows"][1]["characteristic"], "fault_tolerance");
}

#[test]
fn a_design_that_breaks_the_constraints_is_one_line_with_status_2() {
    let design = temp_file(
        "too-many.json",
        r#"{"protocol": {"kind": "strict"}, "replicas": [], "links": []}"#,
    );
    let output = dsplay(&[
        "challenge",
        &challenge_path("password-service.json"),
        "--design",
        &design,
    ]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("must have 1 to 5 replicas; it has 0"),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
    let not_json = temp_file("not-a-design.json", "{");
    let output = dsplay(&[
        "challenge",
        &challenge_path("password-service.json"),
        "--design",
        &not_json,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("neither a design"));
}
