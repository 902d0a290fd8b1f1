//! The shipped design challenges, held to their purpose: each reference design (kept in
//! `fixtures/challenges/`) meets every requirement, and each naive design misses exactly
//! the requirements the fixture names, the challenge's own characteristic among them,
//! with a worst seed that replays the miss.

use dsplay_sim::challenge::{Challenge, Characteristic, Design, Requirement};
use dsplay_sim::grade::{grade, GradeError, Scorecard};
use dsplay_sim::verdict::checker_history;
use dsplay_sim::{build, Scenario};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Deserialize)]
struct Fixture {
    reference: Design,
    /// A design, or `"start"` for the challenge's starting design.
    naive: serde_json::Value,
    naive_misses: Vec<Characteristic>,
}

fn challenges() -> Vec<(Challenge, Fixture)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut found = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(root.join("challenges"))
        .expect("the challenges folder")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("a challenge file");
        let challenge =
            Challenge::from_json(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let fixture_path = root
            .join("crates/sim/tests/fixtures/challenges")
            .join(format!("{}.json", challenge.id));
        let fixture: Fixture = serde_json::from_str(
            &std::fs::read_to_string(&fixture_path)
                .unwrap_or_else(|err| panic!("{}: {err}", fixture_path.display())),
        )
        .unwrap_or_else(|err| panic!("{}: {err}", fixture_path.display()));
        found.push((challenge, fixture));
    }
    found
}

/// The shipped challenge `id`, with its fixture.
fn shipped(id: &str) -> (Challenge, Fixture) {
    challenges()
        .into_iter()
        .find(|(challenge, _)| challenge.id == id)
        .unwrap_or_else(|| panic!("no shipped challenge {id}"))
}

fn graded(challenge: &Challenge, design: &Design) -> Scorecard {
    grade(challenge, design, &mut |_, _| true)
        .unwrap_or_else(|err| panic!("{}: {err:?}", challenge.id))
}

fn naive_design(challenge: &Challenge, fixture: &Fixture) -> Design {
    if fixture.naive == serde_json::json!("start") {
        challenge.start.clone()
    } else {
        serde_json::from_value(fixture.naive.clone()).expect("a naive design")
    }
}

#[test]
fn every_reference_design_meets_every_requirement() {
    for (challenge, fixture) in challenges() {
        let scorecard = graded(&challenge, &fixture.reference);
        for row in &scorecard.rows {
            assert!(
                row.met,
                "{}: the reference misses {:?}: {} against {}; {}",
                challenge.id, row.characteristic, row.figure, row.threshold, row.detail
            );
            assert!(
                row.worst.is_none(),
                "{}: a met row shows no worst seed",
                challenge.id
            );
        }
        assert!(scorecard.passed);
        assert_eq!(scorecard.rows.len(), challenge.requirements.len());
    }
}

#[test]
fn every_naive_design_misses_what_its_challenge_is_about_with_a_worst_seed_that_replays_it() {
    for (challenge, fixture) in challenges() {
        let scorecard = graded(&challenge, &naive_design(&challenge, &fixture));
        let missed: Vec<Characteristic> = scorecard
            .rows
            .iter()
            .filter(|row| !row.met)
            .map(|row| row.characteristic)
            .collect();
        assert_eq!(missed, fixture.naive_misses, "{}", challenge.id);
        assert!(missed.contains(&challenge.about), "{}", challenge.id);
        assert!(!scorecard.passed);
        for row in scorecard.rows.iter().filter(|row| !row.met) {
            let worst = row
                .worst
                .as_ref()
                .unwrap_or_else(|| panic!("{}: a miss names its worst seed", challenge.id));
            assert!(!worst.explanation.is_empty());
            // The worst seed's scenario is an ordinary file: it loads, and replaying it
            // shows the same thing.
            let replay = Scenario::from_json(&worst.scenario.to_json_pretty())
                .unwrap_or_else(|err| panic!("{}: {err}", challenge.id));
            assert!(
                replay.fault_profile.is_none(),
                "drawn faults are written out"
            );
            let mut engine = build(&replay).expect("it builds");
            engine.run_until(engine.duration()).expect("it runs");
            if row.characteristic == Characteristic::Consistency {
                let Some(Requirement::Consistency { model }) =
                    challenge.requirements.iter().find(|requirement| {
                        requirement.characteristic() == Characteristic::Consistency
                    })
                else {
                    unreachable!()
                };
                let (history, _) = checker_history(engine.as_ref());
                let verdict = dsplay_check::check(
                    &history,
                    model.parse().expect("a model"),
                    dsplay_check::Budget::default(),
                );
                assert_eq!(verdict.valid, Some(false), "{}", challenge.id);
                assert_eq!(verdict.explanation, worst.explanation);
            }
            if row.characteristic == Characteristic::Reliability {
                let lost = dsplay_sim::history::lost_writes(&engine.operations());
                assert!(
                    !lost.is_empty(),
                    "{}: the replay loses a write too",
                    challenge.id
                );
            }
        }
    }
}

#[test]
fn the_challenges_cover_every_characteristic_and_every_consistency_model() {
    let challenges = challenges();
    assert!(challenges.len() >= 8);
    let characteristics: BTreeSet<Characteristic> = challenges
        .iter()
        .flat_map(|(challenge, _)| {
            challenge
                .requirements
                .iter()
                .map(Requirement::characteristic)
        })
        .collect();
    assert_eq!(characteristics, Characteristic::ALL.into_iter().collect());
    let about: BTreeSet<Characteristic> = challenges
        .iter()
        .map(|(challenge, _)| challenge.about)
        .collect();
    assert_eq!(about, Characteristic::ALL.into_iter().collect());
    let models: BTreeSet<String> = challenges
        .iter()
        .flat_map(|(challenge, _)| {
            challenge
                .requirements
                .iter()
                .filter_map(|requirement| match requirement {
                    Requirement::Consistency { model } => Some(model.clone()),
                    _ => None,
                })
        })
        .collect();
    for model in ["linearizable", "sequential", "causal", "eventual"] {
        assert!(models.contains(model), "no challenge asks for {model}");
    }
    let references: BTreeSet<&str> = challenges
        .iter()
        .map(|(_, fixture)| fixture.reference.protocol.kind())
        .collect();
    for kind in ["strict", "sequential", "causal", "eventual"] {
        assert!(references.contains(kind), "no reference design uses {kind}");
    }
}

#[test]
fn a_design_that_breaks_the_constraints_gets_every_problem_named_and_no_grade() {
    let (challenge, _) = shipped("password-service");
    let mut design = challenge.start.clone();
    design.protocol = serde_json::from_str(r#"{"kind": "gossip"}"#).expect("a protocol");
    design
        .replicas
        .extend((2..=6).map(|index| dsplay_sim::challenge::Place {
            id: format!("db{index}"),
            x: 100.0,
            y: 100.0,
        }));
    design.replicas.push(dsplay_sim::challenge::Place {
        id: "login".into(),
        x: 1.0,
        y: 1.0,
    });
    design.links = vec![
        ["alice".into(), "db".into()],
        ["db".into(), "alice".into()],
        ["alice".into(), "helpdesk".into()],
        ["db".into(), "nowhere".into()],
    ];
    let Err(GradeError::Design(problems)) = grade(&challenge, &design, &mut |_, _| true) else {
        panic!("the design is refused");
    };
    let all = problems.join("\n");
    for expected in [
        "not gossip",
        "must have 1 to 5 replicas; it has 7",
        "Two nodes are called `login`",
        "are linked twice",
        "clients talk to replicas",
        "`nowhere`, which is not in the design",
        "Client `helpdesk` has no link",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
    }
}

#[test]
fn a_challenge_file_gets_every_problem_named() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../challenges/dns-directory.json"),
    )
    .expect("a challenge");
    let mut value: serde_json::Value = serde_json::from_str(&text).expect("json");
    value["version"] = 2.into();
    value["id"] = "has spaces".into();
    value["network"]["between"][0]["a"] = "mars".into();
    value["clients"][0]["x"] = 5000.into();
    value["grading"]["seeds"] = 0.into();
    value["requirements"][0]["min_percent"] = 150.into();
    value["requirements"][1]["model"] = "psychic".into();
    value["faults"] = serde_json::json!([{"at_ms": 1, "fault": {"kind": "crash", "node": "ns1"}}]);
    let err = Challenge::from_json(&value.to_string()).expect_err("refused");
    for expected in [
        "version",
        "id:",
        "no region is called `mars`",
        "outside every region",
        "grading.seeds",
        "min_percent",
        "unknown model \"psychic\"",
        "faults[0]: `ns1` is not one of the challenge's clients",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    // Numbers that would make a requirement always or never met are refused too.
    let mut value: serde_json::Value = serde_json::from_str(&text).expect("json");
    value["grading"]["first_seed"] = u64::MAX.into();
    value["network"]["local"]["loss"] = 2.into();
    value["network"]["between"][1]["b"] = "america".into();
    value["network"]["between"][1]["a"] = "america".into();
    value["requirements"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"kind": "fault_tolerance", "crashes": 6, "min_percent": 50}));
    value["requirements"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!(
            {"kind": "maintainability", "min_percent": 50, "down_ms": 1e12, "gap_ms": 0}
        ));
    let err = Challenge::from_json(&value.to_string()).expect_err("refused");
    for expected in [
        "grading.first_seed",
        "network.local.loss",
        "a link between `america` and itself",
        "survives 6 crashes",
        "down_ms must be above 0",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert!(Challenge::from_json("{").is_err());
    assert!(Challenge::from_json(&"x".repeat(2 << 20)).is_err());
}

#[test]
fn grading_can_be_cancelled_and_reports_progress_up_to_its_total() {
    let (challenge, fixture) = shipped("password-service");
    let mut seen = Vec::new();
    let scorecard = grade(&challenge, &fixture.reference, &mut |done, total| {
        seen.push((done, total));
        true
    })
    .expect("graded");
    assert_eq!(seen.len() as u64, scorecard.runs);
    assert!(seen.iter().all(|(done, total)| done <= total));
    assert!(seen.windows(2).all(|pair| pair[0].0 + 1 == pair[1].0));
    let mut calls = 0;
    let cancelled = grade(&challenge, &fixture.reference, &mut |_, _| {
        calls += 1;
        calls < 3
    });
    assert_eq!(cancelled, Err(GradeError::Cancelled));
    assert_eq!(calls, 3);
}

#[test]
fn a_scenario_saved_from_the_page_grades_as_its_design() {
    let (challenge, fixture) = shipped("game-leaderboard");
    let scenario = challenge
        .scenario(&fixture.reference, 1)
        .expect("the reference makes a scenario");
    assert_eq!(Design::from_scenario(&scenario), fixture.reference);
    // Link settings come from the region map: a cross-region link is slow, a local fast.
    let link = |a: &str, b: &str| {
        scenario
            .links
            .iter()
            .find(|link| link.a == a && link.b == b)
            .expect("the link")
            .latency
            .mean_us()
    };
    assert!(link("am", "as") > 50_000);
    assert!(link("players-am", "am") < 15_000);
}

#[test]
fn conform_brings_a_freely_edited_scenario_back_under_the_rules() {
    let (challenge, fixture) = shipped("game-leaderboard");
    let graded = challenge
        .scenario(&fixture.reference, 1)
        .expect("a scenario");
    let mut edited = graded.clone();
    // A client moved, a client removed (with its link), a stray client added, a link's
    // latency typed down to nothing, and a replica crashed by hand.
    let moved = edited
        .nodes
        .iter_mut()
        .find(|node| node.id == "players-am")
        .unwrap();
    moved.x += 300.0;
    edited.nodes.retain(|node| node.id != "players-eu");
    edited
        .links
        .retain(|link| link.b != "players-eu" && link.a != "players-eu");
    edited.nodes.push(dsplay_sim::scenario::NodeSpec {
        id: "c9".into(),
        kind: dsplay_sim::NodeKind::Client,
        x: 10.0,
        y: 10.0,
        workload: None,
    });
    edited.links.push(dsplay_sim::scenario::LinkSpec {
        a: "c9".into(),
        b: "am".into(),
        direction: Default::default(),
        latency: dsplay_sim::topology::LatencyModel::Constant { ms: 1.0 },
        loss: 0.0,
        duplicate: 0.0,
        ordering: Default::default(),
    });
    let fast = edited
        .links
        .iter_mut()
        .find(|link| link.a == "am" && link.b == "as")
        .unwrap();
    fast.latency = dsplay_sim::topology::LatencyModel::Constant { ms: 0.5 };
    edited.faults.push(dsplay_sim::fault::FaultSpec {
        at_ms: 1_000.0,
        until_ms: Some(2_000.0),
        fault: dsplay_sim::fault::FaultKindSpec::Crash { node: "eu".into() },
    });
    let shaped = challenge.conform(&edited);
    assert!(shaped.nodes.iter().all(|node| node.id != "c9"));
    assert!(shaped.links.iter().all(|link| link.a != "c9"));
    let am = shaped
        .nodes
        .iter()
        .find(|node| node.id == "players-am")
        .unwrap();
    assert_eq!((am.x, am.y), (130.0, 560.0), "a moved client snaps back");
    assert!(
        shaped.nodes.iter().any(|node| node.id == "players-eu"),
        "a removed client returns"
    );
    let slow = shaped
        .links
        .iter()
        .find(|link| link.a == "am" && link.b == "as")
        .unwrap();
    assert!(
        slow.latency.mean_us() > 50_000,
        "link settings come from the map"
    );
    assert_eq!(
        shaped.faults.len(),
        graded.faults.len() + 1,
        "an injected fault stays"
    );
    // The returned client is not linked, so the scenario cannot run until it is.
    let err = shaped
        .compile()
        .expect_err("an unlinked client")
        .to_string();
    assert!(
        err.contains("players-eu") || err.contains("nodes["),
        "{err}"
    );
    // The returned client has no link now: the design says so.
    let problems = challenge.design_problems(&Design::from_scenario(&shaped));
    assert_eq!(
        problems,
        vec!["Client `players-eu` has no link to a replica, so every request it makes fails."]
    );
    // A scenario already under the rules is left as it is.
    assert_eq!(challenge.conform(&graded), graded);
}

#[test]
fn a_design_that_answers_nothing_is_not_fast_and_a_row_that_could_not_run_crosses_as_json() {
    let (challenge, _) = shipped("comment-thread");
    // Strict on two replicas that cannot reach each other: no leader, nothing succeeds.
    let design: Design = serde_json::from_value(serde_json::json!({
        "protocol": {"kind": "strict"},
        "replicas": [{"id": "us", "x": 130, "y": 250}, {"id": "eu", "x": 400, "y": 250}],
        "links": [["alice", "us"], ["bob", "eu"], ["carol", "eu"]]
    }))
    .expect("a design");
    let scorecard = graded(&challenge, &design);
    let latency = scorecard
        .rows
        .iter()
        .find(|row| row.characteristic == Characteristic::Latency)
        .expect("a latency row");
    assert!(!latency.met, "{latency:?}");
    assert_eq!(latency.figure, "over any bound");
    assert!(latency
        .worst
        .as_ref()
        .unwrap()
        .explanation
        .contains("failed or got no answer"));
    // The scorecard, "over any bound" figures included, survives the trip to the page.
    let text = serde_json::to_string(&scorecard).expect("serializes");
    let back: Scorecard = serde_json::from_str(&text).expect("reads back");
    assert_eq!(back, scorecard);
    // A scaling run that cannot be built (N larger than the smaller size) says so.
    let (cart, _) = shipped("shopping-cart");
    let mut design = cart.start.clone();
    design.protocol = serde_json::from_value(serde_json::json!({"kind": "eventual", "n": 6}))
        .expect("a protocol");
    for index in 4..=6 {
        design.replicas.push(dsplay_sim::challenge::Place {
            id: format!("s{index}"),
            x: 100.0 * index as f64,
            y: 300.0,
        });
        design.links.push(["s1".into(), format!("s{index}")]);
    }
    let scorecard = graded(&cart, &design);
    let scaling = &scorecard.rows[0];
    assert!(!scaling.met);
    assert_eq!(scaling.figure, "could not run");
    let text = serde_json::to_string(&scorecard).expect("serializes");
    assert_eq!(
        serde_json::from_str::<Scorecard>(&text).expect("reads back"),
        scorecard
    );
}
